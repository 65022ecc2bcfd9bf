/*
 * retention.c owns the erasure of personal data: every retention_check it
 * has PostgreSQL erase phone, name, customer reference and notes of the
 * callbacks closed longer than retention_days ago, in batches, each
 * erasure an event. Times, counts and outcomes stay for the reports. It
 * knows no SQL. retention_days = 0 stops it, also when a reload says so.
 */
#include <event2/event.h>

#include "bounds.h"
#include "config.h"
#include "log.h"
#include "metrics.h"
#include "retention.h"
#include "store.h"
#include "timefmt.h"

static struct event *ev_check;
static int running;
static long long erased;

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
	if (st == STORE_OK && n == CBD_ERASE_BATCH && conf->retention_days == run_days) {
		store_erase_personal((int)run_days, CBD_ERASE_BATCH, batch_done, NULL);
		return;
	}
	if (erased > 0)
		log_info("retention: erased the personal data of %lld callback%s "
		    "closed more than %lld day%s ago", erased, erased == 1 ? "" : "s",
		    (long long)run_days, run_days == 1 ? "" : "s");
	running = 0;
}

static void
check_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	metrics_count(M_RETENTION_CHECKS);
	/* 0 keeps personal data for good: the operator's choice, never
	 * "erase everything closed more than 0 days ago" */
	if (conf->retention_days == 0 || running || !store_ready())
		return;
	running = 1;
	erased = 0;
	run_days = conf->retention_days;
	store_erase_personal((int)run_days, CBD_ERASE_BATCH, batch_done, NULL);
}

static void
log_horizon(const char *when)
{
	if (conf->retention_days == 0)
		log_info("retention %s: off (retention_days = 0); personal data "
		    "is kept", when);
	else
		log_info("retention %s: the personal data of callbacks closed more "
		    "than %lld day%s ago is erased every %lld s", when,
		    (long long)conf->retention_days, conf->retention_days == 1 ? "" : "s",
		    (long long)(conf->retention_check_ms / 1000));
}

void
retention_reloaded(int64_t old_days)
{
	if (conf->retention_days == old_days)
		return;
	if (old_days == 0 || (conf->retention_days && conf->retention_days < old_days))
		log_warnx("retention: the reload widens what is erased: from the "
		    "next run on, callbacks closed more than %lld day%s ago (was %s)",
		    (long long)conf->retention_days, conf->retention_days == 1 ? "" : "s",
		    old_days ? "longer" : "off");
	log_horizon("after the reload");
}

void
retention_init(struct event_base *base)
{
	struct timeval tv;

	log_horizon("at start");
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
