/*
 * store_changes.c owns the changes to one callback: claim, heartbeat,
 * release, lease expiry, attempt, cancel and unflag. Each is one
 * statement that checks the state it starts from and the lease, and
 * returns the row as it is afterwards; claims and attempts are
 * group-committed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "bounds.h"
#include "log.h"
#include "ident.h"

#include "store.h"
#include "store_job.h"

/* ---- changes to one callback ----------------------------------------- */

/*
 * A change is one statement that returns (verdict text, CB_COLS) or just
 * CB_COLS. Its parameters are copied, so callers may pass stack buffers.
 * Claims and attempts, the work cycle, are group-committed: a group is
 * one set-wise statement (cbd_claims, cbd_attempts) over its items, in
 * ascending id order; when a group fails, each of its changes runs again
 * on its own.
 */
static struct group_kind claims;

struct change_job {
	struct query_job q;
	int has_verdict;
	/* what no row says: STORE_NOT_FOUND, or STORE_REFUSED for a claim,
	 * whose statement returns no row for a callback it may not take */
	enum store_status none;
	/* grouped: the names its parameters have in the group statement */
	const char *const *names;
	struct group_item gi;
};

/* Answers a change from row k of res, whose verdict or CB_COLS start at
 * column first; no res: the change found nothing to change. */
static void
change_answer(struct change_job *c, const PGresult *res, int k, int first)
{
	struct callback cb;
	enum verdict verdict = VERDICT_OK;
	store_change_fn *fn = c->q.done.change;
	const char *word = res && c->has_verdict ? PQgetvalue(res, k, first) :
						   "ok";

	c->q.answered = 1;
	if (!res || !strcmp(word, "not_found")) {
		fn(c->q.arg, res ? STORE_NOT_FOUND : c->none, VERDICT_OK, NULL);
	} else if (verdict_parse(word, &verdict) == -1) {
		log_warnx("change callback: unknown verdict %s", word);
		fn(c->q.arg, STORE_FAILED, VERDICT_OK, NULL);
	} else {
		row_to_callback(res, k, first + c->has_verdict, &cb);
		fn(c->q.arg, STORE_OK, verdict, &cb);
	}
}

static void
change_alone_answer(struct query_job *q, enum store_status st,
    const PGresult *res)
{
	if (st != STORE_OK)
		q->done.change(q->arg, st, VERDICT_OK, NULL);
	else
		change_answer((struct change_job *)q,
		    PQntuples(res) ? res : NULL, 0, 0);
}

static struct change_job *
change_new(const char *sql, int has_verdict, int n, const char *const *params,
    store_change_fn *fn, void *arg)
{
	struct query_job *q = query_new(sizeof(struct change_job), sql,
	    "change callback", change_alone_answer,
	    (union store_done){ .change = fn }, arg);
	int i;

	if (!q)
		return NULL;
	q->prepared = 1;
	for (i = 0; i < n; i++)
		query_param(q, params[i]);
	if (q->oom) {
		query_answer(q, STORE_UNAVAILABLE, NULL);
		query_free(&q->job);
		return NULL;
	}
	((struct change_job *)q)->has_verdict = has_verdict;
	((struct change_job *)q)->none = STORE_NOT_FOUND;
	return (struct change_job *)q;
}

static void
change_run(const char *sql, int has_verdict, int n, const char *const *params,
    store_change_fn *fn, void *arg)
{
	struct change_job *c = change_new(sql, has_verdict, n, params, fn, arg);

	if (c)
		job_submit(&c->q.job);
}

/* The parameters as a JSON object, each a string or null: the group
 * statement's column types read them as they would read $n. */
static json_t *
change_item_json(struct group_item *it)
{
	const struct change_job *c = ITEM_OF(it, struct change_job);
	json_t *o = json_object();
	int i;

	for (i = 0; o && i < c->q.nparams; i++)
		if (json_object_set_new(o, c->names[i],
			c->q.params[i] ? json_string(c->q.params[i]) :
					 json_null()) == -1) {
			json_decref(o);
			return NULL;
		}
	return o;
}

/* Columns: i, then as for the change alone. */
static void
change_item_answer(struct group_item *it, const PGresult *res, int k)
{
	struct change_job *c = ITEM_OF(it, struct change_job);

	change_answer(c, res, k, 1);
	query_free(&c->q.job);
}

static void
change_item_fail(struct group_item *it, enum store_status st)
{
	struct change_job *c = ITEM_OF(it, struct change_job);

	query_answer(&c->q, st, NULL);
	query_free(&c->q.job);
}

static void
change_item_alone(struct group_item *it)
{
	job_submit(&ITEM_OF(it, struct change_job)->q.job);
}

/* Queues a change for the next group of its kind: sql and params run it
 * alone; names are what the kind's group statement calls the parameters.
 * The first parameter is the callback's id. */
static void
change_group(struct group_kind *k, const char *sql, int has_verdict,
    const char *const *names, int n, const char *const *params,
    store_change_fn *fn, void *arg)
{
	struct change_job *c;

	if (!(c = change_new(sql, has_verdict, n, params, fn, arg)))
		return;
	c->names = names;
	c->gi.order = c->q.params[0];
	if (k == &claims) {
		c->gi.client = arg;
		c->none = STORE_REFUSED;
	}
	if (group_add(k, &c->gi) == -1) {
		query_answer(&c->q, STORE_UNAVAILABLE, NULL);
		query_free(&c->q.job);
	}
}

#define VERDICT_ROW(call) \
	"SELECT r.verdict, " CB_COLS " FROM " call " r, " \
	"LATERAL (SELECT (r.cb).*) c"

/* A claim shows the caseworker the caller's data: its access log row is
 * written by the same statement, so no claim is answered without it. */
#define CLAIM_ROUTE "'POST /v1/queue/claim'"
#define CLAIM_SQL \
	"WITH r AS (SELECT " CB_COLS \
	" FROM cbd_claim($1, $2, cbd_ts($3::bigint), " \
	"$4, $5, $6, $7, $8) c), l AS (INSERT INTO access_log (token_id, " \
	"caseworker_id, route, callback_ids) SELECT $9::bigint, $4, " CLAIM_ROUTE \
	", ARRAY[r.id] FROM r) SELECT * FROM r"
static const char *const claim_names[] = { "id", "token", "until_ms",
	"caseworker", "site", "topics", "languages", "actor", "token_id" };

static struct group_kind claims = GROUP_KIND(claims, "claim group",
    "WITH r AS (SELECT x.i, " CB_COLS " FROM cbd_claims($1::jsonb) x, "
    "LATERAL (SELECT (x.cb).*) c), l AS (INSERT INTO access_log (token_id, "
    "caseworker_id, route, callback_ids) SELECT (e->>'token_id')::bigint, "
    "e->>'caseworker', " CLAIM_ROUTE ", ARRAY[r.id] FROM r "
    "JOIN jsonb_array_elements($1::jsonb) e ON (e->>'i')::integer = r.i "
    "ORDER BY r.i) SELECT * FROM r",
    CBD_GROUP_LANE_AT, change_item_json, change_item_answer, change_item_fail,
    change_item_alone);

/* The retry time of an unanswered attempt comes in not_before
 * (sla_retry_at): cbd_attempt's back-off parameter is always NULL. */
#define ATTEMPT_SQL \
	VERDICT_ROW("cbd_attempt($1, $2, $3, $4, $5, $6, " \
		    "$7::integer, cbd_ts($8::bigint), NULL, $9::integer)")
static const char *const attempt_names[] = { "id", "token", "caseworker",
	"actor", "result", "note", "duration_s", "not_before", "max_attempts" };

static struct group_kind attempts = GROUP_KIND(attempts, "attempt group",
    "SELECT x.i, x.verdict, " CB_COLS " FROM cbd_attempts($1::jsonb) x, "
    "LATERAL (SELECT (x.cb).*) c",
    CBD_GROUP_LANE_AT, change_item_json, change_item_answer, change_item_fail,
    change_item_alone);

void
store_claim(const char *id, const char *token, int64_t until_ms,
    const struct caseworker *cw, const char *actor, int64_t token_id,
    store_change_fn *fn, void *arg)
{
	char until[24], tid[24];
	char topics[CBD_CASEWORKER_TOPICS_MAX * (CBD_IDENT_MAX + 1) + 3];
	char langs[CBD_CASEWORKER_LANGUAGES_MAX * (CBD_LANGUAGE_MAX + 1) + 3];
	const char *p[9] = { id, token, until, cw->id, cw->site, topics, langs,
		actor, tid };

	snprintf(until, sizeof(until), "%lld", (long long)until_ms);
	snprintf(tid, sizeof(tid), "%lld", (long long)token_id);
	array_literal(topics, sizeof(topics), cw->topics[0],
	    sizeof(cw->topics[0]), cw->ntopics);
	array_literal(langs, sizeof(langs), cw->languages[0],
	    sizeof(cw->languages[0]), cw->nlanguages);
	change_group(&claims, CLAIM_SQL, 0, claim_names, 9, p, fn, arg);
}

void
store_heartbeat(const char *id, const char *token, const char *caseworker,
    int64_t until_ms, store_change_fn *fn, void *arg)
{
	char until[24];
	const char *p[4] = { id, token, caseworker, until };

	if (!ident_uuid(id) || !ident_uuid(token)) {
		fn(arg, STORE_NOT_FOUND, VERDICT_OK, NULL);
		return;
	}
	snprintf(until, sizeof(until), "%lld", (long long)until_ms);
	change_run(VERDICT_ROW("cbd_heartbeat($1, $2, $3, cbd_ts($4::bigint))"),
	    1, 4, p, fn, arg);
}

void
store_release(const char *id, const char *token, const char *caseworker,
    const char *actor, store_change_fn *fn, void *arg)
{
	const char *p[4] = { id, token, caseworker, actor };

	if (!ident_uuid(id) || !ident_uuid(token)) {
		fn(arg, STORE_NOT_FOUND, VERDICT_OK, NULL);
		return;
	}
	change_run(VERDICT_ROW("cbd_release($1, $2, $3, $4)"), 1, 4, p, fn,
	    arg);
}

void
store_lease_expire(const char *id, int flag_after, store_change_fn *fn,
    void *arg)
{
	char n[16];
	const char *p[2] = { id, n };

	snprintf(n, sizeof(n), "%d", flag_after);
	change_run("SELECT " CB_COLS
		   " FROM cbd_lease_expire($1, $2::integer) c",
	    0, 2, p, fn, arg);
}

void
store_attempt(const struct attempt_req *a, store_change_fn *fn, void *arg)
{
	char dur[16], nb[24], max[16];
	const char *p[9] = { a->id, a->lease_token[0] ? a->lease_token : NULL,
		a->caseworker[0] ? a->caseworker : NULL, a->actor,
		result_word(a->result), a->note[0] ? a->note : NULL, NULL, NULL,
		max };

	if (!ident_uuid(a->id) ||
	    (a->lease_token[0] && !ident_uuid(a->lease_token))) {
		fn(arg, STORE_NOT_FOUND, VERDICT_OK, NULL);
		return;
	}
	if (a->duration_s >= 0) {
		snprintf(dur, sizeof(dur), "%d", a->duration_s);
		p[6] = dur;
	}
	if (a->not_before != CBD_NO_TIME) {
		snprintf(nb, sizeof(nb), "%lld", (long long)a->not_before);
		p[7] = nb;
	}
	snprintf(max, sizeof(max), "%d", a->max_attempts);
	change_group(&attempts, ATTEMPT_SQL, 1, attempt_names, 9, p, fn, arg);
}

void
store_cancel(const char *id, const char *actor, store_change_fn *fn, void *arg)
{
	const char *p[2] = { id, actor };

	if (!ident_uuid(id)) {
		fn(arg, STORE_NOT_FOUND, VERDICT_OK, NULL);
		return;
	}
	change_run(VERDICT_ROW("cbd_cancel($1, $2)"), 1, 2, p, fn, arg);
}

void
store_unflag(const char *id, const char *actor, store_change_fn *fn, void *arg)
{
	const char *p[2] = { id, actor };

	if (!ident_uuid(id)) {
		fn(arg, STORE_NOT_FOUND, VERDICT_OK, NULL);
		return;
	}
	change_run(VERDICT_ROW("cbd_unflag($1, $2)"), 1, 2, p, fn, arg);
}
