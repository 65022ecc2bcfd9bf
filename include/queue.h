#ifndef CBD_QUEUE_H
#define CBD_QUEUE_H

#include "callback.h"

/*
 * The working queue in Redis: an index of the open callbacks, rebuilt from
 * PostgreSQL whenever it may be incomplete. Every Redis key and Lua script
 * is known in daemon/queue*.c and nowhere else; the keys are listed in
 * daemon/queue_keys.c.
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
/* A code for /readyz: "ok", "connecting", "unreachable", "slow" (a reply
 * took longer than redis_timeout: the connection was dropped and is being
 * made again), "eviction_policy" or "replica" (with sentinels: the address
 * given is no master); the details go to the log. */
const char *queue_state(void);
/* With [redis] sentinels: the master's address (host:port) ROLE confirmed
 * last, NULL before any; without: NULL. No personal data. */
const char *queue_master(void);

/* Brings the index in line with one callback's row: queued, claimed or
 * gone. The syncs of one pass of the event loop go to Redis together. fn
 * is called once, maybe before this returns when Redis is not connected
 * or the sync cannot be queued. */
void queue_sync(const struct callback *, queue_done_fn *, void *arg);

/* Picks the first callback this caseworker may take and leases it to
 * token until until_ms, atomically. fn gets ok 0 when Redis failed, and id
 * NULL when nothing is there. */
typedef void queue_claim_fn(void *arg, int ok, const char *id);
void queue_claim(const struct caseworker *, const char *token, int64_t until_ms,
    queue_claim_fn *, void *arg);
/* The ids a caseworker would claim next, in claim order, from offset on. */
typedef void queue_peek_fn(void *arg, int ok, const char **ids, size_t n);
void queue_peek(const struct caseworker *, size_t offset, size_t limit,
    queue_peek_fn *, void *arg);
/* Puts back a claim PostgreSQL did not record, if token still holds it. */
void queue_unclaim(const char *id, const char *token, queue_done_fn *,
    void *arg);

/* Ids whose lease ran out by now, at most CBD_SWEEP_BATCH; n 0 on error. */
typedef void queue_expired_fn(void *arg, const char **ids, size_t n);
void queue_expired_leases(int64_t now, queue_expired_fn *, void *arg);
/* Starts a full rebuild: should Redis be emptied before it ends, the end
 * fails instead of marking an empty index complete. */
void queue_begin_rebuild(queue_done_fn *, void *arg);
/* Ends a rebuild that synced every open callback since since_ms: removes
 * what was not synced since (closed in PostgreSQL meanwhile) and marks the
 * index complete. */
void queue_finish_rebuild(int64_t since_ms, queue_done_fn *, void *arg);

/* Says that daemon id is alive and reaps peers silent for dead_after_ms:
 * fn gets when the earliest of those reaped was last seen (Redis time,
 * ms), or CBD_NO_TIME when none was; ok 0 when Redis failed. */
typedef void queue_alive_fn(void *arg, int ok, int64_t dead_since);
void queue_alive(const char *id, int64_t dead_after_ms, queue_alive_fn *,
    void *arg);
/* A daemon stopping cleanly leaves: nobody needs to catch up after it.
 * fn is called when Redis has answered, or at once when it cannot. */
void queue_leave(const char *id, void (*fn)(void));

#endif
