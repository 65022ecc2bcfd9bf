/*
 * unclaimable.c owns the timing of the look for callbacks nobody may
 * claim and what the last look counted. PostgreSQL decides which
 * callbacks they are and which daemon writes each one's alert (the unique
 * row); the alert timer sends it. It knows no SQL, and counts carry sites and
 * topics only.
 */
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "alert_timer.h"
#include "bounds.h"
#include "config.h"
#include "log.h"
#include "metrics.h"
#include "store.h"
#include "timefmt.h"
#include "unclaimable.h"

static struct event *ev_check;
static int64_t check_at; /* when ev_check fires, if pending */
static int running;      /* a look is under way */
static int hinted;       /* a hint came while it was: look again after */
static struct metrics_pair *counts;
static size_t ncounts;
static int counted; /* a look has succeeded: the counts are known */
static long long last_total = -1;

static void
schedule(int64_t delay_ms)
{
	int64_t at = now_ms() + delay_ms;
	struct timeval tv;

	if (evtimer_pending(ev_check, NULL) && check_at <= at)
		return;
	check_at = at;
	ms_timeval(delay_ms, &tv);
	evtimer_add(ev_check, &tv);
}

static void
checked(void *arg, enum store_status st, const struct table *t)
{
	struct metrics_pair *next = NULL;
	long long total = 0, fresh = 0;
	int i;

	(void)arg;
	running = 0;
	if (st == STORE_OK && t->nrows > 0 &&
	    !(next = calloc((size_t)t->nrows, sizeof(*next))))
		st = STORE_UNAVAILABLE;
	if (st != STORE_OK) {
		schedule(hinted ? CBD_UNCLAIMABLE_HINT_MS :
				  conf->unclaimable_check_ms);
		hinted = 0;
		return;
	}
	for (i = 0; i < t->nrows; i++) {
		const char *const *row = t->cells + i * t->ncols;

		snprintf(next[i].site, sizeof(next[i].site), "%s", row[0]);
		snprintf(next[i].topic, sizeof(next[i].topic), "%s", row[1]);
		next[i].n = strtoll(row[2], NULL, 10);
		total += next[i].n;
		fresh += strtoll(row[3], NULL, 10);
	}
	free(counts);
	counts = next;
	ncounts = (size_t)t->nrows;
	counted = 1;
	if (fresh > 0) {
		log_warnx(
		    "unclaimable: %lld callback%s no active caseworker may "
		    "claim (%lld new)",
		    total, total == 1 ? "" : "s", fresh);
		alert_timer_hint(now_ms()); /* their alerts are due now */
	} else if (total != last_total && last_total != -1)
		log_info(
		    "unclaimable: %lld callback%s no active caseworker may "
		    "claim",
		    total, total == 1 ? "" : "s");
	last_total = total;
	if (hinted) {
		hinted = 0;
		schedule(CBD_UNCLAIMABLE_HINT_MS);
	} else
		schedule(conf->unclaimable_check_ms);
}

static void
check_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	if (running)
		return;
	if (!store_ready()) {
		schedule(CBD_UNCLAIMABLE_HINT_MS);
		return;
	}
	running = 1;
	store_unclaimable_check(checked, NULL);
}

void
unclaimable_hint(void)
{
	if (!ev_check)
		return;
	if (running) {
		hinted = 1;
		return;
	}
	schedule(CBD_UNCLAIMABLE_HINT_MS);
}

void
unclaimable_metrics_write(FILE *f)
{
	if (!counted)
		return;
	fprintf(f,
	    "# HELP callbackd_unclaimable Queued callbacks no active "
	    "caseworker may claim, by site and topic, as of the last look.\n"
	    "# TYPE callbackd_unclaimable gauge\n");
	metrics_pairs(f, "callbackd_unclaimable", conf, counts, ncounts);
}

void
unclaimable_init(struct event_base *base)
{
	if (conf->unclaimable_check_ms == 0)
		return; /* the operator's choice: no look, no alerts, no gauge */
	ev_check = evtimer_new(base, check_cb, NULL);
	schedule(200); /* what became unclaimable while no daemon looked */
}

void
unclaimable_shutdown(void)
{
	if (ev_check)
		event_free(ev_check);
	ev_check = NULL;
	free(counts);
	counts = NULL;
	ncounts = 0;
	counted = 0;
}
