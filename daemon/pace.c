/*
 * pace.c owns the pace of unauthenticated requests (see pace.h): a token
 * bucket refilled with the monotonic clock and a queue of what waits for
 * it. It knows nothing of HTTP; http.c decides what goes through here.
 */
#include <stdlib.h>
#include <time.h>

#include <event2/event.h>

#include "bounds.h"
#include "metrics.h"
#include "pace.h"
#include "timefmt.h"

struct waiter {
	void (*go)(void *);
	void *arg;
	struct waiter *next;
};

static struct event *ev_drain;
static double tokens = CBD_PACE_BURST;
static int64_t filled_ms;
static struct waiter *head, **tail = &head;

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
refill(void)
{
	int64_t now = mono_ms();

	tokens += (double)(now - filled_ms) * CBD_PACE_PER_S / 1000.0;
	if (tokens > CBD_PACE_BURST)
		tokens = CBD_PACE_BURST;
	filled_ms = now;
}

static void
schedule(void)
{
	struct timeval tv;

	if (head && !evtimer_pending(ev_drain, NULL)) {
		/* when the next one may go, at least a millisecond on */
		ms_timeval(1 + 1000 / CBD_PACE_PER_S, &tv);
		evtimer_add(ev_drain, &tv);
	}
}

static void
drain_cb(evutil_socket_t fd, short what, void *arg)
{
	struct waiter *w;

	(void)fd;
	(void)what;
	(void)arg;
	refill();
	while ((w = head) && tokens >= 1) {
		tokens -= 1;
		if (!(head = w->next))
			tail = &head;
		w->go(w->arg);
		free(w);
	}
	schedule();
}

void
pace_admit(void (*go)(void *), void *arg)
{
	struct waiter *w;

	refill();
	if (!head && tokens >= 1) {
		tokens -= 1;
		go(arg);
		return;
	}
	if (!ev_drain || !(w = calloc(1, sizeof(*w)))) {
		go(arg); /* no memory to wait in: better served than lost */
		return;
	}
	metrics_count(M_PACE_DEFERRED);
	w->go = go;
	w->arg = arg;
	*tail = w;
	tail = &w->next;
	schedule();
}

int
pace_init(struct event_base *base)
{
	filled_ms = mono_ms();
	if (!(ev_drain = evtimer_new(base, drain_cb, NULL)))
		return -1;
	return 0;
}

void
pace_free(void)
{
	struct waiter *w;

	/* after the loop: whoever waits has no client to answer any more */
	while ((w = head)) {
		head = w->next;
		free(w);
	}
	tail = &head;
	if (ev_drain)
		event_free(ev_drain);
	ev_drain = NULL;
}
