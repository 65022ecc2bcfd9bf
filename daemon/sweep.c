/*
 * sweep.c owns the return of lapsed leases. It reads through queue, decides
 * through store and knows neither SQL nor Redis keys. A lapsed lease is
 * not an attempt; after CBD_LAPSES_TO_FLAG in a row the callback is
 * flagged for a supervisor.
 */
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "bounds.h"
#include "log.h"
#include "queue.h"
#include "store.h"
#include "sweep.h"
#include "timefmt.h"

static struct event *ev_sweep;
static size_t outstanding; /* lapses being handled; 0: the sweep is idle */

static void
synced(void *arg, int ok)
{
	(void)arg;
	(void)ok; /* the next sweep or rebuild mends what did not make it */
	outstanding--;
}

static void
expired(void *arg, enum store_status st, enum verdict verdict,
    const struct callback *cb)
{
	(void)arg;
	(void)verdict;
	if (st != STORE_OK) {
		outstanding--;
		return;
	}
	if (cb->state == CB_QUEUED)
		log_info(
		    "callback %s: lease lapsed, back in the queue (site %s, "
		    "topic %s, %d lapse%s%s)",
		    cb->id, cb->site, cb->topic, cb->lapsed_leases,
		    cb->lapsed_leases == 1 ? "" : "s",
		    cb->flagged ? ", flagged for a supervisor" : "");
	queue_sync(cb, synced, NULL);
}

static void
found(void *arg, const char **ids, size_t n)
{
	size_t i;

	(void)arg;
	outstanding = n + 1;
	for (i = 0; i < n; i++)
		store_lease_expire(ids[i], CBD_LAPSES_TO_FLAG, expired, NULL);
	outstanding--;
}

static void
sweep_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	if (outstanding == 0 && queue_ready() && store_ready())
		queue_expired_leases(now_ms(), found, NULL);
}

void
sweep_init(struct event_base *base)
{
	struct timeval tv = { CBD_SWEEP_INTERVAL_MS / 1000,
		(CBD_SWEEP_INTERVAL_MS % 1000) * 1000 };

	ev_sweep = event_new(base, -1, EV_PERSIST, sweep_cb, NULL);
	evtimer_add(ev_sweep, &tv);
}

void
sweep_shutdown(void)
{
	if (ev_sweep)
		event_free(ev_sweep);
	ev_sweep = NULL;
}
