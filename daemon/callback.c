/*
 * callback.c owns facts about a callback that every part asks: whether it
 * is open, and where it ranks in a queue. Pure.
 */
#include <string.h>

#include "callback.h"

int
callback_open(const struct callback *cb)
{
	return !strcmp(cb->state, "queued") || !strcmp(cb->state, "claimed");
}

int64_t
callback_rank(const struct callback *cb)
{
	/* Earliest due first; at the same due time, urgent first. Twice a
	 * time in ms stays far below 2^53, so Redis scores hold it exactly. */
	return cb->due_at * 2 + (cb->urgent ? 0 : 1);
}
