/*
 * queue_maint.c owns the index's upkeep on timers and the peer registry:
 * the promotion of waiting callbacks whose not_before has come, the
 * tombstone reaper walking the record hashes a few at a time, and the
 * daemons' registry (alive, reaping silent peers, leaving). It never
 * decides what a dead peer's work needs (rebuild.c catches up after it)
 * and never touches a callback's entry but through a script.
 */
#include <stdio.h>
#include <stdlib.h>

#include <event2/event.h>

#include "bounds.h"
#include "log.h"
#include "queue_int.h"
#include "timefmt.h"

static struct event *ev_promote, *ev_reap;
static int64_t promote_at; /* when the promotion timer fires next */
static int reap_next; /* the record hash the tombstone reaper visits next */

/* ---- waiting to ready ------------------------------------------------- */

/* Arms the promotion timer for at, unless it fires sooner already; never
 * sleeps longer than CBD_PROMOTE_MAX_SLEEP_MS, so callbacks other daemons
 * put in waiting are promoted in time too. */
void
queue_promote_at(int64_t at)
{
	int64_t now = now_ms(), delay;
	struct timeval tv;

	if (at > now + CBD_PROMOTE_MAX_SLEEP_MS)
		at = now + CBD_PROMOTE_MAX_SLEEP_MS;
	if (evtimer_pending(ev_promote, NULL) && promote_at <= at)
		return;
	promote_at = at;
	delay = at > now ? at - now : 0;
	ms_timeval(delay, &tv);
	evtimer_add(ev_promote, &tv);
}

static void
promote_reply(void *arg, const redisReply *reply)
{
	(void)arg;
	if (!reply) {
		queue_promote_at(now_ms() + 1000);
		return;
	}
	if (reply->type == REDIS_REPLY_STRING)
		queue_promote_at(strtoll(reply->str, NULL, 10));
	else /* -1: nothing waits */
		queue_promote_at(now_ms() + CBD_PROMOTE_MAX_SLEEP_MS);
}

static void
promote_cb(evutil_socket_t fd, short what, void *arg)
{
	char k_wait[QUEUE_KEY_MAX], now[24], limit[16];
	const char *args[5] = { "1", k_wait, now, limit, queue_key_prefix() };

	(void)fd;
	(void)what;
	(void)arg;
	if (!queue_ready()) {
		queue_promote_at(now_ms() + 1000);
		return;
	}
	queue_key(QK_WAITING, k_wait, sizeof(k_wait));
	snprintf(now, sizeof(now), "%lld", (long long)now_ms());
	snprintf(limit, sizeof(limit), "%d", CBD_PROMOTE_BATCH);
	queue_script_run(SCRIPT_PROMOTE, NULL, promote_reply, NULL, 5, args,
	    NULL);
}

/* ---- tombstones ------------------------------------------------------- */

static void
reaped(void *arg, const redisReply *reply)
{
	(void)arg;
	if (reply && reply->type == REDIS_REPLY_INTEGER && reply->integer > 0)
		log_debug(
		    "redis: %lld tombstones of closed callbacks forgotten",
		    (long long)reply->integer);
}

/* Visits a few record hashes each tick, all of them in a few hours, and
 * forgets the tombstones older than CBD_TOMBSTONE_MS. */
static void
reap_cb(evutil_socket_t fd, short what, void *arg)
{
	char cutoff[24], first[16], count[16];
	const char *args[5] = { "0", queue_key_prefix(), cutoff, first, count };

	(void)fd;
	(void)what;
	(void)arg;
	if (!queue_ready())
		return;
	snprintf(cutoff, sizeof(cutoff), "%lld",
	    (long long)(now_ms() - CBD_TOMBSTONE_MS));
	snprintf(first, sizeof(first), "%d", reap_next);
	snprintf(count, sizeof(count), "%d", CBD_REAP_STEP);
	reap_next = (reap_next + CBD_REAP_STEP) % RECORD_HASHES;
	queue_script_run(SCRIPT_REAP, NULL, reaped, NULL, 5, args, NULL);
}

/* ---- daemons alive ---------------------------------------------------- */

struct alive_call {
	queue_alive_fn *fn;
	void *arg;
};

static void
alive_reply(void *arg, const redisReply *reply)
{
	struct alive_call *al = arg;
	int64_t since = CBD_NO_TIME;

	if (reply && reply->type == REDIS_REPLY_INTEGER && reply->integer >= 0)
		since = reply->integer;
	al->fn(al->arg, reply != NULL, since);
	free(al);
}

void
queue_alive(const char *id, int64_t dead_after_ms, queue_alive_fn *fn,
    void *arg)
{
	char k_daemons[QUEUE_KEY_MAX], after[24];
	const char *args[4] = { "1", k_daemons, id, after };
	struct alive_call *al = calloc(1, sizeof(*al));

	if (!al) {
		fn(arg, 0, CBD_NO_TIME);
		return;
	}
	al->fn = fn;
	al->arg = arg;
	queue_key(QK_DAEMONS, k_daemons, sizeof(k_daemons));
	snprintf(after, sizeof(after), "%lld", (long long)dead_after_ms);
	queue_script_run(SCRIPT_ALIVE, NULL, alive_reply, al, 4, args, NULL);
}

static void (*left_fn)(void);

static void
left_reply(redisAsyncContext *ctx, void *r, void *priv)
{
	(void)ctx;
	(void)r;
	(void)priv;
	left_fn();
}

void
queue_leave(const char *id, void (*fn)(void))
{
	redisAsyncContext *ac = queue_conn();
	char k_daemons[QUEUE_KEY_MAX];

	queue_key(QK_DAEMONS, k_daemons, sizeof(k_daemons));
	left_fn = fn;
	if (!ac ||
	    redisAsyncCommand(ac, left_reply, NULL, "ZREM %s %s", k_daemons,
		id) != REDIS_OK)
		fn();
}

void
queue_maint_init(struct event_base *base)
{
	struct timeval tv;

	ev_promote = evtimer_new(base, promote_cb, NULL);
	queue_promote_at(now_ms() + CBD_PROMOTE_MAX_SLEEP_MS);
	ev_reap = event_new(base, -1, EV_PERSIST, reap_cb, NULL);
	ms_timeval(CBD_REAP_EVERY_MS, &tv);
	evtimer_add(ev_reap, &tv);
}

void
queue_maint_free(void)
{
	if (ev_promote)
		event_free(ev_promote);
	if (ev_reap)
		event_free(ev_reap);
	ev_promote = ev_reap = NULL;
}
