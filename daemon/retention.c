/*
 * retention.c owns what keeps personal data from staying for good. Every
 * retention_check it first has PostgreSQL expire the open callbacks whose
 * window (not_after) is over or that stayed open longer than max_open_age
 * (each an event; queued ones only, a claimed one when its lease ends)
 * and syncs them out of the queue; then it erases phone, name, customer
 * reference, call_id and notes of the callbacks closed longer than
 * retention_days ago, in batches, each erasure an event. Times, counts
 * and outcomes stay for the reports. It knows no SQL and no Redis keys.
 * retention_days = 0 stops the erasure, also when a reload says so;
 * max_open_age = 0 stops expiry by age. The expiry shares this timer:
 * it is PostgreSQL housekeeping of the same kind (set-wise, bounded,
 * rows other daemons hold skipped), and a window of hours or days does
 * not need the lease sweeper's second.
 */
#include <event2/event.h>

#include "bounds.h"
#include "config.h"
#include "log.h"
#include "metrics.h"
#include "queue.h"
#include "retention.h"
#include "store.h"
#include "timefmt.h"

static struct event *ev_check;
static int running;
static long long erased, expired;

static int64_t run_days; /* retention_days of the run under way */

static void
batch_done(void *arg, enum store_status st, int n)
{
	(void)arg;
	if (st == STORE_OK && n > 0) {
		erased += n;
		metrics_add(M_RETENTION_ERASED, (uint64_t)n);
	}
	/* a reload to 0 in the middle of a run stops it after this batch */
	if (st == STORE_OK && n == CBD_ERASE_BATCH &&
	    conf->retention_days == run_days) {
		store_erase_personal((int)run_days, CBD_ERASE_BATCH, batch_done,
		    NULL);
		return;
	}
	if (erased > 0)
		log_info(
		    "retention: erased the personal data of %lld callback%s "
		    "closed more than %lld day%s ago",
		    erased, erased == 1 ? "" : "s", (long long)run_days,
		    run_days == 1 ? "" : "s");
	running = 0;
}

static void
erase_begin(void)
{
	/* as it is now: a reload may have come while the expiry ran */
	run_days = conf->retention_days;
	/* 0 keeps personal data for good: the operator's choice, never
	 * "erase everything closed more than 0 days ago" */
	if (run_days == 0) {
		running = 0;
		return;
	}
	store_erase_personal((int)run_days, CBD_ERASE_BATCH, batch_done, NULL);
}

static void
expire_done(void *arg, enum store_status st, const struct callback *rows,
    size_t n)
{
	size_t i;

	(void)arg;
	/* a sync that does not make it is mended by the index check or the
	 * next rebuild, which index only open callbacks */
	for (i = 0; st == STORE_OK && i < n; i++)
		queue_sync(&rows[i], NULL, NULL);
	if (st == STORE_OK)
		expired += (long long)n;
	if (st == STORE_OK && n == CBD_EXPIRE_BATCH) {
		store_expire(conf->max_open_age_ms, CBD_EXPIRE_BATCH,
		    expire_done, NULL);
		return;
	}
	if (expired > 0)
		log_info(
		    "retention: expired %lld open callback%s (window over, or "
		    "open longer than max_open_age)",
		    expired, expired == 1 ? "" : "s");
	erase_begin();
}

static void
check_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	metrics_count(M_RETENTION_CHECKS);
	if (running || !store_ready())
		return;
	running = 1;
	erased = expired = 0;
	store_expire(conf->max_open_age_ms, CBD_EXPIRE_BATCH, expire_done,
	    NULL);
}

static void
log_horizon(const char *when)
{
	if (conf->retention_days == 0)
		log_info(
		    "retention %s: off (retention_days = 0); personal data "
		    "is kept",
		    when);
	else
		log_info(
		    "retention %s: the personal data of callbacks closed more "
		    "than %lld day%s ago is erased every %lld s",
		    when, (long long)conf->retention_days,
		    conf->retention_days == 1 ? "" : "s",
		    (long long)(conf->retention_check_ms / 1000));
}

void
retention_reloaded(int64_t old_days)
{
	if (conf->retention_days == old_days)
		return;
	if (old_days == 0 ||
	    (conf->retention_days && conf->retention_days < old_days))
		log_warnx(
		    "retention: the reload widens what is erased: from the "
		    "next run on, callbacks closed more than %lld day%s ago (was %s)",
		    (long long)conf->retention_days,
		    conf->retention_days == 1 ? "" : "s",
		    old_days ? "longer" : "off");
	log_horizon("after the reload");
}

void
retention_init(struct event_base *base)
{
	struct timeval tv;

	log_horizon("at start");
	if (conf->max_open_age_ms > 0)
		log_info(
		    "expiry: queued callbacks whose window is over, or open "
		    "longer than %lld s (max_open_age), expire every %lld s",
		    (long long)(conf->max_open_age_ms / 1000),
		    (long long)(conf->retention_check_ms / 1000));
	else
		log_info("expiry: queued callbacks whose window is over expire "
			 "every %lld s; max_open_age = 0 keeps the others open",
		    (long long)(conf->retention_check_ms / 1000));
	ms_timeval(conf->retention_check_ms, &tv);
	ev_check = event_new(base, -1, EV_PERSIST, check_cb, NULL);
	evtimer_add(ev_check, &tv);
}

void
retention_shutdown(void)
{
	if (ev_check)
		event_free(ev_check);
	ev_check = NULL;
}
