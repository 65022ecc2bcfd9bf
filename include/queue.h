#ifndef CBD_QUEUE_H
#define CBD_QUEUE_H

#include "callback.h"

/*
 * The working queue in Redis: an index of the open callbacks, rebuilt from
 * PostgreSQL whenever it may be incomplete. Every Redis key and Lua script
 * is known here and nowhere else.
 *
 * Keys under the configured prefix P:
 *   P ready    sorted set: claimable callbacks, scored by due_at (ms)
 *   P waiting  sorted set: callbacks whose not_before lies ahead, scored by it
 *   P cb:ID    hash: what routing needs (site, topic, language, urgent,
 *              due_at, not_before, assignee)
 *   P index    marker: present while the index is complete
 */

struct event_base;

/* Called when the index may have lost entries: after (re)connecting and
 * when the marker is gone (FLUSHALL, a restart without persistence). */
typedef void queue_lost_fn(void);
/* ok: 1 when Redis confirmed the change. */
typedef void queue_done_fn(void *arg, int ok);

int queue_init(struct event_base *, queue_lost_fn *);
void queue_shutdown(void);
/* 1 when connected, the scripts are loaded and Redis will not evict. */
int queue_ready(void);
const char *queue_state(void);

/* Adds or moves one open callback. fn is called once, maybe before this
 * returns when Redis is not connected. */
void queue_enqueue(const struct callback *, queue_done_fn *, void *arg);
/* Empties the index ahead of a rebuild. */
void queue_reset(queue_done_fn *, void *arg);
/* Marks the index complete. */
void queue_mark_built(queue_done_fn *, void *arg);

#endif
