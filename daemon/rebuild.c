/*
 * rebuild.c owns the completeness of the Redis index. It reads through
 * store and writes through queue and knows neither SQL nor Redis keys.
 *
 * A full rebuild (at start, after Redis reconnects or loses its marker, on
 * SIGUSR1) never empties the live index, so claims go on while it runs:
 * every open row is synced over it (a row older than what the index holds
 * changes nothing), then entries not synced since the start, which
 * PostgreSQL no longer has open, are removed.
 *
 * A catch-up re-syncs only the open rows changed since a moment: when a
 * peer daemon falls silent, what it committed but did not live to mirror
 * into Redis is brought in by a survivor. Each daemon says it is alive
 * every CBD_PEER_BEAT_MS; Redis decides atomically which survivor reaps a
 * dead peer.
 */
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "auth.h"
#include "bounds.h"
#include "log.h"
#include "metrics.h"
#include "queue.h"
#include "rebuild.h"
#include "store.h"
#include "timefmt.h"

/* what is to be done: a full rebuild, or a catch-up since a moment */
struct pass {
	int full;
	int64_t since; /* catch-up: CBD_NO_TIME when none is asked for */
};

static struct event *ev_retry, *ev_beat;
static char self[37];
static int running, left;
static struct pass cur, pending;
static size_t outstanding, synced;
static int page_failed, last_page;
static char last_id[37];
static int64_t started_ms;

static void next_page(void);
static void start(void);

/* Adds a request to what is pending; a full rebuild covers any catch-up. */
static void
want(int full, int64_t since)
{
	if (full)
		pending.full = 1;
	else if (pending.since == CBD_NO_TIME || since < pending.since)
		pending.since = since;
}

static void
finish(int ok)
{
	struct timeval tv = { 1, 0 };

	running = 0;
	if (!ok) {
		/* PostgreSQL or Redis went away half-way: try again soon; the
		 * marker is not set, so nobody takes the index as complete. */
		want(cur.full, cur.since);
		evtimer_add(ev_retry, &tv);
		return;
	}
	if (cur.full) {
		metrics_count(M_REBUILDS);
		log_info(
		    "queue index rebuilt from PostgreSQL: %zu open callback%s",
		    synced, synced == 1 ? "" : "s");
	} else
		log_info(
		    "queue index caught up after a silent daemon: %zu open "
		    "callback%s changed since then re-synced",
		    synced, synced == 1 ? "" : "s");
	if (pending.full || pending.since != CBD_NO_TIME)
		start();
}

static void
begun(void *arg, int ok)
{
	(void)arg;
	if (ok)
		next_page();
	else
		finish(0);
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
	else if (!last_page)
		next_page();
	else if (cur.full)
		queue_finish_rebuild(started_ms, marked, NULL);
	else
		finish(1);
}

static void
page_done(void *arg, enum store_status st, const struct callback *rows,
    size_t n)
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
		synced++;
		queue_sync(&rows[i], item_done, NULL);
	}
	item_done(NULL, 1);
}

static void
next_page(void)
{
	store_open_callbacks(last_id, cur.full ? CBD_NO_TIME : cur.since,
	    CBD_REBUILD_BATCH, page_done, NULL);
}

/* Starts what is pending, now or, while a dependency is away, soon. */
static void
start(void)
{
	if (running)
		return;
	evtimer_del(ev_retry);
	if (!store_ready() || !queue_ready()) {
		/* The queue calls again when Redis is back; PostgreSQL we poll,
		 * briefly, so that the index is there soon after start-up. */
		struct timeval tv = { 0, 200000 };

		evtimer_add(ev_retry, &tv);
		return;
	}
	cur = pending;
	pending.full = 0;
	pending.since = CBD_NO_TIME;
	running = 1;
	synced = 0;
	page_failed = 0;
	last_page = 0;
	last_id[0] = '\0';
	/* a millisecond of margin: syncs at the same ms count as fresh */
	started_ms = now_ms() - 1;
	if (cur.full)
		queue_begin_rebuild(begun, NULL);
	else
		next_page();
}

void
rebuild_request(void)
{
	want(1, CBD_NO_TIME);
	start();
}

static void
retry_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	if (pending.full || pending.since != CBD_NO_TIME)
		start();
}

static void
alive(void *arg, int ok, int64_t dead_since)
{
	(void)arg;
	if (!ok || dead_since == CBD_NO_TIME)
		return;
	log_warnx("a daemon sharing this queue has been silent for %d s; "
		  "re-syncing the open callbacks it may have changed",
	    CBD_PEER_DEAD_MS / 1000);
	want(0, dead_since - CBD_CATCHUP_MARGIN_MS);
	start();
}

static void
beat_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	if (queue_ready() && !left)
		queue_alive(self, CBD_PEER_DEAD_MS, alive, NULL);
}

int
rebuild_init(struct event_base *base)
{
	struct timeval tv;

	pending.since = CBD_NO_TIME;
	if (auth_new_uuid(self) == -1)
		return -1;
	ev_retry = evtimer_new(base, retry_cb, NULL);
	ev_beat = event_new(base, -1, EV_PERSIST, beat_cb, NULL);
	if (!ev_retry || !ev_beat)
		return -1;
	ms_timeval(CBD_PEER_BEAT_MS, &tv);
	evtimer_add(ev_beat, &tv);
	return 0;
}

void
rebuild_leave(void (*fn)(void))
{
	left = 1;
	queue_leave(self, fn);
}

void
rebuild_shutdown(void)
{
	if (ev_retry)
		event_free(ev_retry);
	if (ev_beat)
		event_free(ev_beat);
	ev_retry = ev_beat = NULL;
}
