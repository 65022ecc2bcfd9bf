/*
 * alert_timer.c owns the timing of SLA alerts: when to look, what to take,
 * and marking what went out. PostgreSQL decides which daemon sends each
 * alert; alert.c carries it. It knows no SQL and no socket.
 */
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "alert.h"
#include "bounds.h"
#include "config.h"
#include "log.h"
#include "metrics.h"
#include "store.h"
#include "timefmt.h"
#include "alert_timer.h"

static struct event *ev_timer, *ev_hook;
static size_t hook_outstanding; /* webhook posts and their records in flight */
static int64_t timer_at;        /* when ev_timer fires, if pending */
static int busy;                /* a take-send-mark round is under way */

/* One take's alerts, all of them: a take of CBD_ALERT_BATCH callbacks
 * may return several alerts for each (every warning that fell due). */
struct round {
	size_t n;
	size_t nsent;    /* the first nsent went out */
	int64_t *ids;    /* of a, for the mark */
	struct alert *a; /* for the log and the counters, once they went out */
};

static void
round_free(struct round *r)
{
	free(r->ids);
	free(r->a);
	free(r);
}

/* A round of the n alerts of a take, copied. */
static struct round *
round_new(const struct alert *a, size_t n)
{
	struct round *r = calloc(1, sizeof(*r));
	size_t i;

	if (!r)
		return NULL;
	r->ids = calloc(n, sizeof(*r->ids));
	r->a = calloc(n, sizeof(*r->a));
	if (!r->ids || !r->a) {
		round_free(r);
		return NULL;
	}
	memcpy(r->a, a, n * sizeof(*a));
	for (i = 0; i < n; i++)
		r->ids[i] = a[i].id;
	r->n = n;
	return r;
}

static enum metric_counter
level_counter(const char *level)
{
	if (!strcmp(level, "breached"))
		return M_ALERTS_BREACHED;
	return !strcmp(level, "unclaimable") ? M_ALERTS_UNCLAIMABLE :
					       M_ALERTS_AT_RISK;
}

static void tick(evutil_socket_t, short, void *);

static void
schedule(int64_t at)
{
	int64_t now = now_ms(), delay;
	struct timeval tv;

	if (!ev_timer)
		return; /* stopped: a round answered at shutdown */
	if (at == CBD_NO_TIME || at > now + CBD_ALERT_TIMER_MAX_SLEEP_MS)
		at = now + CBD_ALERT_TIMER_MAX_SLEEP_MS;
	if (evtimer_pending(ev_timer, NULL) && timer_at <= at)
		return;
	timer_at = at;
	delay = at > now ? at - now : 0;
	ms_timeval(delay, &tv);
	evtimer_add(ev_timer, &tv);
}

void
alert_timer_hint(int64_t at_ms)
{
	if (ev_timer && !busy)
		schedule(at_ms);
}

static void
next_known(void *arg, enum store_status st, int64_t next)
{
	(void)arg;
	busy = 0;
	schedule(st == STORE_OK ? next : now_ms() + 1000);
}

static void
marked(void *arg, enum store_status st, const struct alert *unused, size_t n)
{
	struct round *r = arg;
	size_t i;

	(void)unused;
	(void)n;
	for (i = 0; i < r->nsent; i++)
		metrics_count(level_counter(r->a[i].level));
	if (st != STORE_OK)
		log_warnx(
		    "alerts: %zu sent but not marked; they may go out again",
		    r->nsent);
	busy = 0;
	/* more may be due; after a refusal, a pause for the transport */
	schedule(r->nsent < r->n ? now_ms() + 1000 : now_ms());
	round_free(r);
}

/* Said once an alert has gone out, not each time it is taken: one the
 * transport refused is taken again when its claim runs out. */
static void
log_sent(const struct alert *a)
{
	if (a->reason[0])
		log_info("alert: callback %s %s (site %s, topic %s, %s)",
		    a->callback_id, a->level, a->site, a->topic, a->reason);
	else
		log_info("alert: callback %s %s (site %s, topic %s, %.0f%% of "
			 "target)",
		    a->callback_id, a->level, a->site, a->topic,
		    a->threshold * 100);
}

static void
sent(void *arg, size_t n_sent)
{
	struct round *r = arg;
	size_t i;

	for (i = 0; i < n_sent && i < r->n; i++)
		log_sent(&r->a[i]);
	if (n_sent == 0) {
		/* they stay taken until the claim runs out, then go again */
		round_free(r);
		busy = 0;
		schedule(now_ms() + 1000);
		return;
	}
	/* those the transport took are marked now, or they would go out
	 * again with the ones it refused (which stay taken until their claim
	 * runs out) */
	r->nsent = n_sent < r->n ? n_sent : r->n;
	store_alerts_sent(r->ids, r->nsent, marked, r);
}

static void
taken(void *arg, enum store_status st, const struct alert *a, size_t n)
{
	struct round *r;

	(void)arg;
	if (st == STORE_OK && n == 0) {
		store_alerts_next(next_known, NULL);
		return;
	}
	if (st != STORE_OK || !(r = round_new(a, n))) {
		busy = 0;
		schedule(now_ms() + 1000);
		return;
	}
	alert_send(a, n, sent, r);
}

static void
tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	if (busy)
		return;
	if (!store_ready() || !alert_ready()) {
		schedule(now_ms() + 1000);
		return;
	}
	busy = 1;
	store_alerts_take(CBD_ALERT_BATCH, CBD_ALERT_CLAIM_MS, taken, NULL);
}

/* ---- the webhook: each fired alert posted once, retried with pauses ---- */

static void
hook_recorded(void *arg, enum store_status st, const struct alert *a, size_t n)
{
	(void)arg;
	(void)st; /* unrecorded: the claim runs out and it is tried again */
	(void)a;
	(void)n;
	hook_outstanding--;
}

static void
hook_posted(void *arg, int ok)
{
	int64_t *id = arg;

	if (!ok)
		log_warnx(
		    "alerts: webhook did not accept alert %lld; posting it "
		    "again later",
		    (long long)*id);
	store_webhook_done(*id, ok, hook_recorded, NULL);
	free(id);
}

static void
hook_taken(void *arg, enum store_status st, const struct alert *a, size_t n)
{
	size_t i;
	int64_t *id;

	(void)arg;
	hook_outstanding = 0;
	if (st != STORE_OK)
		return;
	for (i = 0; i < n; i++) {
		if (!(id = malloc(sizeof(*id))))
			continue; /* the claim runs out; tried again then */
		*id = a[i].id;
		hook_outstanding++;
		alert_webhook_post(&a[i], hook_posted, id);
	}
}

static void
hook_tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	if (hook_outstanding || !store_ready())
		return;
	hook_outstanding = 1; /* the take itself */
	store_webhook_take(CBD_ALERT_BATCH,
	    2 * conf->alert_webhook_timeout_ms + CBD_ALERT_CLAIM_MS, hook_taken,
	    NULL);
}

void
alert_timer_init(struct event_base *base)
{
	if (alert_webhook_enabled()) {
		struct timeval tv = { 1, 0 };

		/* retries are due at times of their own; a look each second is
		 * one indexed query */
		ev_hook = event_new(base, -1, EV_PERSIST, hook_tick, NULL);
		evtimer_add(ev_hook, &tv);
	}
	ev_timer = evtimer_new(base, tick, NULL);
	schedule(now_ms() + 200); /* catch up with what fell due while down */
}

void
alert_timer_shutdown(void)
{
	if (ev_timer)
		event_free(ev_timer);
	if (ev_hook)
		event_free(ev_hook);
	ev_timer = ev_hook = NULL;
}
