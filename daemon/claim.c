/*
 * claim.c owns the claim workflow: a Redis pick under a provisional lease,
 * PostgreSQL's record of the lease (with its access log row), the undo in
 * Redis when PostgreSQL does not record it, and the retries past stale
 * index entries; and the peek, which reads the same queue and mends the
 * same misplaced entries. It never answers the client (the handler does,
 * from the outcome), never builds SQL or Redis commands, and never logs
 * personal data: ids, sites, topics and caseworkers only.
 */
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "bounds.h"
#include "claim.h"
#include "config.h"
#include "log.h"
#include "queue.h"
#include "store.h"
#include "timefmt.h"


/*
 * The index offered a queued callback this caseworker may not claim: it
 * is out of place (tampered with, or a change not yet mirrored). It is
 * skipped, said in the log, and its entry rewritten from its row.
 */
static void
foreign_row(void *arg, enum store_status st, const struct callback *cb,
    const char *attempts)
{
	(void)arg;
	(void)attempts;
	if (st == STORE_OK)
		queue_sync(cb, NULL, NULL);
}

/* ---- claim ------------------------------------------------------------ */

struct claim {
	struct api_req *a; /* first: the store asks whether a->req is gone */
	struct caseworker cw;
	char id[37];
	char token[37];
	int64_t until_ms;
	int tries;
	claim_fn *fn;
	void *arg;
};

static void claim_next(struct claim *);

static void
claim_end(struct claim *c, enum claim_outcome o, const struct callback *cb)
{
	c->fn(c->arg, o, cb);
	free(c);
}

static void
claim_undone(void *arg, int ok)
{
	(void)ok; /* a failed unclaim lapses like any lease */
	claim_end(arg, CLAIM_STORE_FAILED, NULL);
}

static void
claim_synced(void *arg, int ok)
{
	(void)ok;
	claim_next(arg);
}

/* PostgreSQL says the callback the index offered is not queued: bring the
 * index in line with the row and try the next one. */
static void
claim_stale_row(void *arg, enum store_status st, const struct callback *cb,
    const char *attempts)
{
	struct claim *c = arg;

	(void)attempts;
	if (st == STORE_OK) {
		if (cb->state == CB_QUEUED && !cb->flagged &&
		    !caseworker_may_claim(&c->cw, cb))
			log_warnx(
			    "callback %s: in the queue of caseworker %s, who "
			    "may not claim it (site %s, topic %s); skipped and "
			    "re-synced",
			    cb->id, c->cw.id, cb->site, cb->topic);
		queue_sync(cb, claim_synced, c);
		return;
	}
	queue_unclaim(c->id, c->token, claim_undone, c);
}

static void
claim_recorded_synced(void *arg, int ok)
{
	(void)arg;
	(void)ok; /* committed: the rebuild mends Redis if this failed */
}

static void
claim_stored(void *arg, enum store_status st, enum verdict verdict,
    const struct callback *cb)
{
	struct claim *c = arg;

	(void)verdict;
	if (st == STORE_REFUSED) {
		store_get_callback(c->id, claim_stale_row, c);
		return;
	}
	if (st != STORE_OK) {
		queue_unclaim(c->id, c->token, claim_undone, c);
		return;
	}
	log_info("callback %s claimed (site %s, topic %s) by caseworker %s",
	    cb->id, cb->site, cb->topic, c->cw.id);
	queue_sync(cb, claim_recorded_synced, NULL);
	claim_end(c, CLAIM_OK, cb);
}

static void
claim_picked(void *arg, int ok, const char *id)
{
	struct claim *c = arg;

	if (!ok) {
		claim_end(c, CLAIM_QUEUE_FAILED, NULL);
		return;
	}
	if (!id) {
		claim_end(c, CLAIM_NONE, NULL);
		return;
	}
	snprintf(c->id, sizeof(c->id), "%s", id);
	store_claim(c->id, c->token, c->until_ms, &c->cw, c->a->actor,
	    c->a->token.id, claim_stored, c);
}

static void
claim_next(struct claim *c)
{
	int64_t now, provisional;

	if (++c->tries > CBD_CLAIM_TRIES || !http_alive(c->a) ||
	    auth_new_uuid(c->token) == -1) {
		claim_end(c, CLAIM_STORE_FAILED, NULL);
		return;
	}
	/* Redis holds a provisional lease until PostgreSQL has recorded the
	 * claim; the sync after the commit puts in the full one. */
	now = now_ms();
	c->until_ms = now + conf->lease_ms;
	provisional = now + CBD_PROVISIONAL_LEASE_MS;
	queue_claim(&c->cw, c->token,
	    provisional < c->until_ms ? provisional : c->until_ms, claim_picked,
	    c);
}

void
claim_take(struct api_req *a, const struct caseworker *cw, claim_fn *fn,
    void *arg)
{
	struct claim *c = calloc(1, sizeof(*c));

	if (!c) {
		fn(arg, CLAIM_STORE_FAILED, NULL);
		return;
	}
	c->a = a;
	c->cw = *cw;
	c->fn = fn;
	c->arg = arg;
	claim_next(c);
}

/* ---- peek ------------------------------------------------------------- */

struct peek {
	struct caseworker cw;
	char ids[CBD_PEEK_LIMIT_MAX][37]; /* what the index offered */
	size_t nids;
	claim_peek_fn *fn;
	void *arg;
};

static void
peek_rows(void *arg, enum store_status st, const struct callback *rows,
    size_t n)
{
	struct peek *p = arg;
	size_t i, k;

	if (st != STORE_OK) {
		p->fn(p->arg, CLAIM_STORE_FAILED, st, NULL, 0, p->nids);
		free(p);
		return;
	}
	/* an id the index offered that PostgreSQL did not return is one
	 * this caseworker may not claim */
	for (i = 0, k = 0; i < p->nids; i++) {
		if (k < n && !strcmp(rows[k].id, p->ids[i])) {
			k++;
			continue;
		}
		store_get_callback(p->ids[i], foreign_row, NULL);
		log_warnx("callback %s: in the queue of caseworker %s, who may "
			  "not claim it; skipped and re-synced",
		    p->ids[i], p->cw.id);
	}
	p->fn(p->arg, CLAIM_OK, STORE_OK, rows, n, p->nids);
	free(p);
}

static void
peek_ids(void *arg, int ok, const char **ids, size_t n)
{
	struct peek *p = arg;
	size_t i;

	if (!ok) {
		p->fn(p->arg, CLAIM_QUEUE_FAILED, STORE_OK, NULL, 0, 0);
		free(p);
		return;
	}
	for (i = 0; i < n && i < CBD_PEEK_LIMIT_MAX; i++)
		snprintf(p->ids[i], sizeof(p->ids[i]), "%s", ids[i]);
	p->nids = i;
	store_callbacks_by_id(ids, p->nids, &p->cw, peek_rows, p);
}

void
claim_peek(const struct caseworker *cw, size_t offset, size_t limit,
    claim_peek_fn *fn, void *arg)
{
	struct peek *p = calloc(1, sizeof(*p));

	if (!p) {
		fn(arg, CLAIM_STORE_FAILED, STORE_UNAVAILABLE, NULL, 0, 0);
		return;
	}
	p->cw = *cw;
	p->fn = fn;
	p->arg = arg;
	queue_peek(&p->cw, offset, limit, peek_ids, p);
}
