/*
 * rebuild.c owns the rebuild of the Redis index from PostgreSQL. It reads
 * through store and writes through queue and knows neither SQL nor Redis
 * keys. The live index is never emptied, so claims go on while it runs:
 * every open row is synced over it (a row older than what the index holds
 * changes nothing), then entries not synced since the start, which
 * PostgreSQL no longer has open, are removed.
 */
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "bounds.h"
#include "log.h"
#include "metrics.h"
#include "queue.h"
#include "rebuild.h"
#include "store.h"
#include "timefmt.h"

static struct event *ev_retry;
static int running, again;
static size_t outstanding, enqueued;
static int page_failed, last_page;
static char last_id[37];
static int64_t started_ms;

static void next_page(void);

static void
finish(int ok)
{
	struct timeval tv = { 1, 0 };

	running = 0;
	if (!ok) {
		/* PostgreSQL or Redis went away half-way: try again soon; the
		 * marker is not set, so nobody takes the index as complete. */
		evtimer_add(ev_retry, &tv);
		return;
	}
	metrics_count(M_REBUILDS);
	log_info("queue index rebuilt from PostgreSQL: %zu open callback%s",
	    enqueued, enqueued == 1 ? "" : "s");
	if (again) {
		again = 0;
		rebuild_request();
	}
}

static void
marked(void *arg, int ok)
{
	(void)arg;
	finish(ok);
}

static void
item_done(void *arg, int ok)
{
	(void)arg;
	if (!ok)
		page_failed = 1;
	if (--outstanding > 0)
		return;
	if (page_failed)
		finish(0);
	else if (last_page)
		queue_finish_rebuild(started_ms, marked, NULL);
	else
		next_page();
}

static void
page_done(void *arg, enum store_status st, const struct callback *rows, size_t n)
{
	size_t i;

	(void)arg;
	if (st != STORE_OK) {
		finish(0);
		return;
	}
	last_page = n < CBD_REBUILD_BATCH;
	if (n > 0)
		memcpy(last_id, rows[n - 1].id, sizeof(last_id));
	/* One extra count so that completions arriving at once cannot start
	 * the next page before this loop is through. */
	outstanding = n + 1;
	for (i = 0; i < n; i++) {
		enqueued++;
		queue_sync(&rows[i], item_done, NULL);
	}
	item_done(NULL, 1);
}

static void
next_page(void)
{
	store_open_callbacks(last_id, CBD_REBUILD_BATCH, page_done, NULL);
}

void
rebuild_request(void)
{
	if (running) {
		again = 1;
		return;
	}
	evtimer_del(ev_retry);
	if (!store_ready() || !queue_ready()) {
		/* The queue calls again when Redis is back; PostgreSQL we poll,
		 * briefly, so that the index is there soon after start-up. */
		struct timeval tv = { 0, 200000 };

		evtimer_add(ev_retry, &tv);
		return;
	}
	running = 1;
	enqueued = 0;
	page_failed = 0;
	last_page = 0;
	last_id[0] = '\0';
	/* a millisecond of margin: syncs at the same ms count as fresh */
	started_ms = now_ms() - 1;
	next_page();
}

static void
retry_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	rebuild_request();
}

void
rebuild_init(struct event_base *base)
{
	ev_retry = evtimer_new(base, retry_cb, NULL);
}

void
rebuild_shutdown(void)
{
	if (ev_retry)
		event_free(ev_retry);
	ev_retry = NULL;
}
