/*
 * queue_sync.c owns the batching of syncs. The syncs asked for in one pass
 * of the event loop go to Redis as one call of the sync script, up to
 * SYNC_MAX at a time: a batch's commit asks for up to 64 at once, a
 * rebuild for a thousand. Each caller is told how its own callback went; a
 * failed call fails all of its callbacks (Redis was not reachable for any
 * of them) and counts them as missed, so that the index is rebuilt. It
 * never decides what a callback's entry becomes (the sync script does,
 * from the row it is given) and never talks to Redis but through a script.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "queue_int.h"
#include "timefmt.h"

#define SYNC_MAX 32
/* per callback: nine arguments and at most one routing set */
#define SYNC_ARGS (4 + 2 + SYNC_MAX * 10)

struct sync_item {
	queue_done_fn *fn;
	void *arg;
	int64_t not_before;
};

struct sync_batch {
	int n;
	struct sync_item items[SYNC_MAX];
	int nroutes;
	char routes[SYNC_MAX][QUEUE_ROUTE_KEY_MAX];
	/* the nine arguments of each callback; packed ids and tokens keep
	 * their length in lens */
	char args[SYNC_MAX][9][24];
	size_t lens[SYNC_MAX][9];
};

static struct sync_batch *sync_pending;
static struct event *ev_sync;

static void
sync_reply(void *arg, const redisReply *reply)
{
	struct sync_batch *b = arg;
	const redisReply *r;
	int i;

	for (i = 0; i < b->n; i++) {
		r = reply && reply->type == REDIS_REPLY_ARRAY &&
			(size_t)i < reply->elements ?
		    reply->element[i] :
		    NULL;
		if (r && r->type == REDIS_REPLY_STRING &&
		    !strcmp(r->str, "waiting"))
			queue_promote_at(b->items[i].not_before);
		if (!reply)
			queue_conn_missed();
		if (b->items[i].fn)
			b->items[i].fn(b->items[i].arg, reply != NULL);
	}
	free(b);
}

void
queue_sync_flush(void)
{
	struct sync_batch *b = sync_pending;
	const char *args[SYNC_ARGS];
	size_t lens[SYNC_ARGS] = { 0 };
	char k_wait[QUEUE_KEY_MAX], k_leases[QUEUE_KEY_MAX];
	char k_flag[QUEUE_KEY_MAX], nkeys[16], now[24];
	int i, j, n = 0;

	if (!b)
		return;
	sync_pending = NULL;
	if (b->n == 0) {
		free(b);
		return;
	}
	queue_key(QK_WAITING, k_wait, sizeof(k_wait));
	queue_key(QK_LEASES, k_leases, sizeof(k_leases));
	queue_key(QK_FLAGGED, k_flag, sizeof(k_flag));
	snprintf(nkeys, sizeof(nkeys), "%d", 3 + b->nroutes);
	args[n++] = nkeys;
	args[n++] = k_wait;
	args[n++] = k_leases;
	args[n++] = k_flag;
	for (i = 0; i < b->nroutes; i++)
		args[n++] = b->routes[i];
	args[n++] = queue_key_prefix();
	args[n++] = queue_ms_arg(now_ms(), now, sizeof(now));
	for (i = 0; i < b->n; i++)
		for (j = 0; j < 9; j++) {
			lens[n] = b->lens[i][j];
			args[n++] = b->args[i][j];
		}
	queue_script_run(SCRIPT_SYNC, NULL, sync_reply, b, n, args, lens);
}

static void
sync_flush_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	queue_sync_flush();
}

/* The number of the callback's routing set among the batch's keys (the
 * waiting, leases and flagged sets are 1 to 3). */
static int
sync_route(struct sync_batch *b, const struct callback *cb)
{
	char k[QUEUE_ROUTE_KEY_MAX];
	int i;

	queue_key_route(cb, k, sizeof(k));
	for (i = 0; i < b->nroutes && strcmp(b->routes[i], k); i++)
		;
	if (i == b->nroutes)
		snprintf(b->routes[b->nroutes++], sizeof(b->routes[0]), "%s",
		    k);
	return 4 + i;
}

void
queue_sync(const struct callback *cb, queue_done_fn *fn, void *arg)
{
	struct sync_batch *b;
	struct sync_item *it;
	char(*a)[24];
	size_t *l;

	if (!sync_pending &&
	    !(sync_pending = calloc(1, sizeof(*sync_pending)))) {
		if (fn)
			fn(arg, 0);
		return;
	}
	b = sync_pending;
	a = b->args[b->n];
	l = b->lens[b->n];
	if (queue_id_pack(cb->id, (unsigned char *)a[0]) == -1 ||
	    (cb->lease_token[0] &&
		queue_id_pack(cb->lease_token, (unsigned char *)a[4]) == -1)) {
		if (fn)
			fn(arg, 0);
		return;
	}
	l[0] = sizeof(packed_id);
	snprintf(a[1], sizeof(a[1]), "%s", state_word(cb->state));
	queue_ms_arg(callback_rank(cb), a[2], sizeof(a[2]));
	queue_ms_arg(cb->not_before, a[3], sizeof(a[3]));
	if (cb->lease_token[0])
		l[4] = sizeof(packed_id);
	else
		a[4][0] = '\0';
	queue_ms_arg(cb->lease_until, a[5], sizeof(a[5]));
	snprintf(a[6], sizeof(a[6]), "%s", cb->flagged ? "1" : "0");
	queue_ms_arg(cb->updated_at, a[7], sizeof(a[7]));
	snprintf(a[8], sizeof(a[8]), "%d", sync_route(b, cb));
	it = &b->items[b->n++];
	it->fn = fn;
	it->arg = arg;
	it->not_before = cb->not_before;
	if (b->n == SYNC_MAX)
		queue_sync_flush();
	else if (b->n == 1)
		event_active(ev_sync, EV_TIMEOUT, 0);
}

void
queue_sync_init(struct event_base *base)
{
	ev_sync = evtimer_new(base, sync_flush_cb, NULL);
}

void
queue_sync_free(void)
{
	if (ev_sync)
		event_free(ev_sync);
	ev_sync = NULL;
}
