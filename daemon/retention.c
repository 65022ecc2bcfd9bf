/*
 * retention.c owns the erasure of personal data: every retention_check it
 * has PostgreSQL erase phone, name, customer reference and notes of the
 * callbacks closed longer than retention_days ago, in batches, each
 * erasure an event. Times, counts and outcomes stay for the reports. It
 * knows no SQL.
 */
#include <event2/event.h>

#include "bounds.h"
#include "config.h"
#include "log.h"
#include "retention.h"
#include "store.h"
#include "timefmt.h"

static struct event *ev_check;
static int running;
static long long erased;

static void
batch_done(void *arg, enum store_status st, int n)
{
	(void)arg;
	if (st == STORE_OK && n > 0)
		erased += n;
	if (st == STORE_OK && n == CBD_ERASE_BATCH) {
		store_erase_personal((int)conf->retention_days, CBD_ERASE_BATCH,
		    batch_done, NULL);
		return;
	}
	if (erased > 0)
		log_info("retention: erased the personal data of %lld callback%s "
		    "closed more than %lld days ago", erased, erased == 1 ? "" : "s",
		    (long long)conf->retention_days);
	running = 0;
}

static void
check_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	if (running || !store_ready())
		return;
	running = 1;
	erased = 0;
	store_erase_personal((int)conf->retention_days, CBD_ERASE_BATCH,
	    batch_done, NULL);
}

void
retention_init(struct event_base *base)
{
	struct timeval tv;

	if (conf->retention_days == 0)
		return; /* kept for good, by the operator's choice */
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
