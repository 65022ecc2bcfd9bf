/*
 * callback.c owns facts about a callback that every part asks: whether it
 * is open, where it ranks in a queue, and who may claim it. Pure: it
 * never reads a clock, a socket or the configuration.
 */
#include <string.h>

#include "callback.h"

int
callback_open(const struct callback *cb)
{
	return state_open(cb->state);
}

int64_t
callback_rank(const struct callback *cb)
{
	/* Earliest due first; at the same due time, urgent first. Twice a
	 * time in ms stays far below 2^53, so Redis scores hold it exactly. */
	return cb->due_at * 2 + (cb->urgent ? 0 : 1);
}

int
caseworker_may_claim(const struct caseworker *cw, const struct callback *cb)
{
	size_t i, j;

	if (cb->assignee[0])
		return !strcmp(cb->assignee, cw->id);
	if (strcmp(cb->site, cw->site))
		return 0;
	for (i = 0; i < cw->ntopics; i++)
		if (!strcmp(cw->topics[i], cb->topic))
			for (j = 0; j < cw->nlanguages; j++)
				if (!strcmp(cw->languages[j], cb->language))
					return 1;
	return 0;
}
