/*
 * queue_keys.c owns the names of the Redis keys and the packed form of the
 * ids stored under them. Every key the daemon names is built here, under
 * the configured prefix P; the Lua scripts name only the record hashes and
 * P routes, from the prefix they are given (lua/lib/record.lua). It never
 * talks to Redis and never decides what goes into a key.
 *
 * Keys; Redis knows callbacks and lease tokens by the 16 bytes of their
 * UUIDs:
 *   P q:SITE:TOPIC:LANG  sorted set: claimable unassigned callbacks of
 *              that route, scored by callback_rank (due first, urgent first)
 *   P q:@CASEWORKER      the same for callbacks assigned to a caseworker
 *   P waiting  sorted set: queued callbacks whose not_before lies ahead,
 *              scored by it
 *   P leases   sorted set: claimed callbacks, scored by lease expiry (ms)
 *   P flagged  set: callbacks flagged for a supervisor (lapsed leases)
 *   P r:0000 to P r:ffff  hashes, by the id's first two bytes in hex:
 *              the packed record of each indexed callback (state, version,
 *              routing score, routing set, lease token), laid out in
 *              lua/lib/record.lua; a closed callback's record stays a day
 *              as a tombstone
 *   P routes   hash: the routing sets' numbers
 *   P index    marker: present while the index is complete
 *   P building:PID.MS.N  held by a rebuild while it runs (a day at most);
 *              gone when Redis was emptied meanwhile
 *   P daemons  sorted set: the daemons using this index, scored by when
 *              each was last seen (Redis time, ms)
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <uuid/uuid.h>

#include "config.h"
#include "timefmt.h"
#include "queue_int.h"

static const char *const key_names[] = {
	[QK_WAITING] = "waiting",
	[QK_LEASES] = "leases",
	[QK_FLAGGED] = "flagged",
	[QK_INDEX] = "index",
	[QK_DAEMONS] = "daemons",
};

void
queue_key(enum queue_key_id id, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s", conf->key_prefix, key_names[id]);
}

const char *
queue_key_prefix(void)
{
	return conf->key_prefix;
}

static void
personal_key(char *buf, size_t len, const char *caseworker)
{
	snprintf(buf, len, "%sq:@%s", conf->key_prefix, caseworker);
}

static void
route_key(char *buf, size_t len, const char *site, const char *topic,
    const char *language)
{
	snprintf(buf, len, "%sq:%s:%s:%s", conf->key_prefix, site, topic,
	    language);
}

/* Its assignee's, or the one of its site, topic and language. */
void
queue_key_route(const struct callback *cb, char *buf, size_t len)
{
	if (cb->assignee[0])
		personal_key(buf, len, cb->assignee);
	else
		route_key(buf, len, cb->site, cb->topic, cb->language);
}

size_t
queue_key_caseworker_routes(const struct caseworker *cw, size_t extra,
    char (**out)[QUEUE_ROUTE_KEY_MAX])
{
	size_t n = 1 + cw->ntopics * cw->nlanguages, t, l, i = 0;
	char(*keys)[QUEUE_ROUTE_KEY_MAX] = calloc(n + extra, sizeof(*keys));

	if (!keys)
		return 0;
	personal_key(keys[i++], sizeof(keys[0]), cw->id);
	for (t = 0; t < cw->ntopics; t++)
		for (l = 0; l < cw->nlanguages; l++)
			route_key(keys[i++], sizeof(keys[0]), cw->site,
			    cw->topics[t], cw->languages[l]);
	*out = keys;
	return n;
}

void
queue_key_building(char *buf, size_t len)
{
	static unsigned n;

	snprintf(buf, len, "%sbuilding:%ld.%lld.%u", conf->key_prefix,
	    (long)getpid(), (long long)now_ms(), ++n);
}

int
queue_id_pack(const char *text, packed_id out)
{
	return uuid_parse(text, out) == 0 ? 0 : -1;
}

void
queue_id_text(const redisReply *r, char out[37])
{
	if (r->type != REDIS_REPLY_STRING || r->len != sizeof(packed_id)) {
		out[0] = '\0';
		return;
	}
	uuid_unparse_lower((const unsigned char *)r->str, out);
}
