/*
 * store_group.c owns group commit: requests of one kind that arrive while
 * a group of that kind runs wait, and the next group takes them into one
 * statement and one commit. It knows no SQL of its own: each kind (intake,
 * claims, attempts) brings its statement and how to answer an item.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stddef.h>

#include <jansson.h>

#include "bounds.h"
#include "config.h"

#include "store.h"
#include "store_job.h"

/* ---- group commit ---------------------------------------------------- */

/*
 * Requests of one kind (intake, claims, attempts) that arrive while a
 * group of that kind is in PostgreSQL wait in the kind's queue; the next
 * group takes up to CBD_GROUP_MAX of them into one statement, whose $1 is
 * a JSON array of the items (each with its index "i") and whose first
 * column says which item a row answers, so they share one commit. Nobody
 * is answered before it. Up to half the pool runs groups of a kind at
 * once: another starts when more than lane_at wait for each one running,
 * so a small load keeps one lane and full groups, a large one uses them
 * all.
 */
/* 1 when nobody waits for the item any more: it is answered (to nobody)
 * instead of being sent, so that no work is committed unseen. */
static int
item_gone(const struct group_item *it)
{
	return it->client && store_client_gone(it->client);
}

struct group_job {
	struct store_job job;
	struct group_kind *kind;
	struct group_item *items[CBD_GROUP_MAX];
	size_t n;
	int started;
	int failed;           /* the statement failed */
	enum store_status st; /* for the items not answered */
};

static void group_kick(struct group_kind *);

static int
by_order(const void *a, const void *b)
{
	const struct group_item *x = *(struct group_item *const *)a;
	const struct group_item *y = *(struct group_item *const *)b;

	return strcmp(x->order, y->order);
}

static void
group_start(struct store_job *j, PGresult *unused)
{
	struct group_job *g = (struct group_job *)j;
	struct group_kind *k = g->kind;
	struct group_item *it;
	json_t *list = json_array(), *o;
	const char *p[1];
	char *text = NULL;
	size_t i;

	(void)unused;
	g->started = 1;
	while (g->n < CBD_GROUP_MAX && (it = TAILQ_FIRST(&k->pending))) {
		TAILQ_REMOVE(&k->pending, it, entry);
		k->npending--;
		if (item_gone(it))
			k->fail(it, STORE_UNAVAILABLE);
		else
			g->items[g->n++] = it;
	}
	/* in one order, so that two groups never wait for each other's row
	 * locks in a circle */
	if (g->n && g->items[0]->order)
		qsort(g->items, g->n, sizeof(g->items[0]), by_order);
	for (i = 0; list && i < g->n; i++)
		if (!(o = k->json(g->items[i])) ||
		    json_object_set_new(o, "i", json_integer((json_int_t)i)) ||
		    json_array_append_new(list, o))
			break;
	if (list && i == g->n && g->n > 0)
		text = json_dumps(list, JSON_COMPACT);
	json_decref(list);
	if (!text) {
		g->st = STORE_UNAVAILABLE;
		job_done(j); /* the items are answered by group_free */
		return;
	}
	p[0] = text;
	job_send_prepared(j, k->sql, 1, p);
	free(text);
}

static void
group_step(struct store_job *j, PGresult *res)
{
	struct group_job *g = (struct group_job *)j;
	int k, n;
	long i;
	size_t m;

	if (res_failed(res, PGRES_TUPLES_OK, g->kind->what)) {
		g->failed = 1;
		job_done(j); /* group_free answers the items */
		return;
	}
	n = PQntuples(res);
	for (k = 0; k < n; k++) {
		i = strtol(PQgetvalue(res, k, 0), NULL, 10);
		if (i < 0 || (size_t)i >= g->n || !g->items[i])
			continue;
		g->kind->answer(g->items[i], res, k);
		g->items[i] = NULL;
	}
	for (m = 0; m < g->n; m++)
		if (g->items[m]) {
			g->kind->answer(g->items[m], NULL, 0);
			g->items[m] = NULL;
		}
	job_done(j);
}

static void
group_fail(struct store_job *j, enum store_status st)
{
	((struct group_job *)j)->st = st;
}

/* Answers, or runs alone, what the group did not answer. When it never
 * got a connection, or PostgreSQL is away, the waiting items are answered
 * too, as their own jobs would have been. */
static void
group_free(struct store_job *j)
{
	struct group_job *g = (struct group_job *)j;
	struct group_kind *k = g->kind;
	struct group_item *it;
	int give_up = !g->started || !store_ready();
	size_t i;

	for (i = 0; i < g->n; i++) {
		if (!(it = g->items[i]))
			continue;
		if (g->failed && k->alone)
			k->alone(it);
		else
			k->fail(it, g->st);
	}
	free(g);
	k->running--;
	if (give_up)
		while ((it = TAILQ_FIRST(&k->pending))) {
			TAILQ_REMOVE(&k->pending, it, entry);
			k->npending--;
			k->fail(it, STORE_UNAVAILABLE);
		}
	group_kick(k);
}

static void
group_kick(struct group_kind *k)
{
	int lanes = conf->pg_pool_size / 2 > 0 ? (int)conf->pg_pool_size / 2 :
						 1;
	struct group_job *g;
	struct group_item *it;

	while (k->running < lanes &&
	    (size_t)k->running * k->lane_at < k->npending) {
		if (!(g = calloc(1, sizeof(*g)))) {
			if (k->running == 0) {
				it = TAILQ_FIRST(&k->pending);
				TAILQ_REMOVE(&k->pending, it, entry);
				k->npending--;
				k->fail(it, STORE_UNAVAILABLE);
			}
			return;
		}
		k->running++;
		g->kind = k;
		g->job.start = group_start;
		g->job.step = group_step;
		g->job.fail = group_fail;
		g->job.destroy = group_free;
		g->st = STORE_FAILED;
		job_submit(&g->job);
	}
}

/* Queues an item for the next group of its kind; 0, or -1 when the queue
 * is full (the caller answers). */
int
group_add(struct group_kind *k, struct group_item *it)
{
	if (k->npending >= CBD_STORE_QUEUE_MAX)
		return -1;
	TAILQ_INSERT_TAIL(&k->pending, it, entry);
	k->npending++;
	group_kick(k);
	return 0;
}
