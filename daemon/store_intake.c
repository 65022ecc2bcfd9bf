/*
 * store_intake.c owns the recording of a request: replay, merge or new
 * callback, and the plan of its alerts, in one commit. Urgent requests
 * run as their own transaction; the others are group-committed through
 * cbd_intake_batch. It never decides the SLA itself: a new callback's
 * plan is the handler's, given with the request; a merge that made a
 * callback urgent is planned again by sla.c from the merged row, which
 * only this transaction sees (its first request's time and site).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "bounds.h"
#include "config.h"
#include "sla.h"

#include "store.h"
#include "store_job.h"

/* ---- intake ---------------------------------------------------------- */

enum intake_step { IN_BEGIN, IN_INTAKE, IN_RAISE, IN_PLAN, IN_COMMIT };

struct intake_job {
	struct store_job job;
	enum intake_step at;
	struct callback req;
	char idem_key[CBD_IDEMPOTENCY_KEY_MAX + 1];
	int64_t scope;
	char actor[64];
	struct sla_plan
	    sla;     /* the request's; after a raise, the merged row's */
	int planned; /* whether the answer carries sla */
	store_intake_fn *fn;
	void *arg;
	enum intake_outcome outcome;
	struct callback row;
	struct group_item gi; /* non-urgent: waiting for a group */
};

static void
intake_start(struct store_job *j, PGresult *unused)
{
	struct intake_job *in = (struct intake_job *)j;

	(void)unused;
	if (store_client_gone(in->arg)) {
		in->fn(in->arg, STORE_UNAVAILABLE, INTAKE_CREATED, NULL, NULL);
		in->fn = NULL;
		job_done(j);
		return;
	}
	in->at = IN_BEGIN;
	job_send(j, "BEGIN", 0, NULL);
}

/* The outcome column of cbd_intake and cbd_intake_batch. */
static enum intake_outcome
intake_outcome_parse(const char *o)
{
	if (!strcmp(o, "created"))
		return INTAKE_CREATED;
	if (!strcmp(o, "replayed"))
		return INTAKE_REPLAYED;
	if (!strcmp(o, "conflict_idem"))
		return INTAKE_CONFLICT_KEY;
	if (!strcmp(o, "conflict_call"))
		return INTAKE_CONFLICT_CALL_ID;
	if (!strcmp(o, "unknown_assignee"))
		return INTAKE_UNKNOWN_ASSIGNEE;
	return INTAKE_MERGED; /* merged, merged_raised */
}

static int
intake_refused(enum intake_outcome o)
{
	return o == INTAKE_CONFLICT_KEY || o == INTAKE_CONFLICT_CALL_ID ||
	    o == INTAKE_UNKNOWN_ASSIGNEE;
}

static void
intake_send(struct intake_job *in)
{
	const struct callback *r = &in->req;
	char t_req[24], t_rcv[24], t_due[24], t_nb[24], t_na[24], scope[24];
	const char *p[20] = { str_or_null(in->idem_key),
		str_or_null(r->call_id), r->phone, r->topic, r->site,
		r->language, r->urgent ? "t" : "f", str_or_null(r->assignee),
		str_or_null(r->name), str_or_null(r->customer_ref),
		str_or_null(r->note),
		time_param(r->requested_at, t_req, sizeof(t_req)),
		time_param(r->received_at, t_rcv, sizeof(t_rcv)),
		time_param(r->due_at, t_due, sizeof(t_due)),
		time_param(r->not_before, t_nb, sizeof(t_nb)),
		time_param(r->not_after, t_na, sizeof(t_na)), in->actor, scope,
		str_or_null(r->fingerprint), r->language_given ? "t" : "f" };

	snprintf(scope, sizeof(scope), "%lld", (long long)in->scope);
	in->at = IN_INTAKE;
	job_send(&in->job,
	    "SELECT r.outcome, " CB_COLS " FROM cbd_intake("
	    "array_remove(ARRAY['idem:' || $1, 'call:' || $2], NULL), "
	    "$3, $4, $5, $6, $7::boolean, $8, $9, $10, $11, $2, "
	    "cbd_ts($12::bigint), cbd_ts($13::bigint), cbd_ts($14::bigint), "
	    "cbd_ts($15::bigint), cbd_ts($16::bigint), $17, NULL, $18::bigint, "
	    "$19, $20::boolean) r, "
	    "LATERAL (SELECT (r.cb).*) c",
	    20, p);
}

/* Plans (or moves) the alerts of the row just written. */
static void
intake_send_plan(struct intake_job *in)
{
	char fracs[CBD_WARN_MAX * 12 + 3], times[CBD_WARN_MAX * 21 + 3],
	    due[24];
	const char *p[4] = { in->row.id, fracs, times, due };
	size_t fo = 0, to = 0;
	int i;

	fracs[fo++] = '{';
	times[to++] = '{';
	for (i = 0; i < in->sla.nwarn; i++) {
		fo += (size_t)snprintf(fracs + fo, sizeof(fracs) - fo, "%s%.3f",
		    i ? "," : "", in->sla.warn_frac[i]);
		to += (size_t)snprintf(times + to, sizeof(times) - to, "%s%lld",
		    i ? "," : "", (long long)in->sla.warn_at[i]);
	}
	snprintf(fracs + fo, sizeof(fracs) - fo, "}");
	snprintf(times + to, sizeof(times) - to, "}");
	snprintf(due, sizeof(due), "%lld", (long long)in->sla.due_at);
	in->at = IN_PLAN;
	job_send(&in->job,
	    "SELECT cbd_alerts_plan($1, $2::numeric[], "
	    "$3::bigint[], cbd_ts($4::bigint))",
	    4, p);
}

static void
intake_step(struct store_job *j, PGresult *res)
{
	struct intake_job *in = (struct intake_job *)j;
	char due[24];
	const char *p[2];

	switch (in->at) {
	case IN_BEGIN:
		if (res_failed(res, PGRES_COMMAND_OK, "intake begin"))
			goto broken;
		intake_send(in);
		return;
	case IN_INTAKE:
	case IN_RAISE:
		if (res_failed(res, PGRES_TUPLES_OK, "intake") ||
		    PQntuples(res) != 1)
			goto broken;
		if (in->at == IN_INTAKE &&
		    intake_refused(
			intake_outcome_parse(PQgetvalue(res, 0, 0)))) {
			/* nothing was written: the answer has no row */
			in->outcome = intake_outcome_parse(
			    PQgetvalue(res, 0, 0));
			in->at = IN_COMMIT;
			job_send(j, "COMMIT", 0, NULL);
			return;
		}
		row_to_callback(res, 0, 1, &in->row);
		if (in->at == IN_INTAKE) {
			const char *o = PQgetvalue(res, 0, 0);

			in->outcome = intake_outcome_parse(o);
			if (in->outcome == INTAKE_CREATED) {
				in->planned = 1;
				intake_send_plan(in);
				return;
			}
			if (!strcmp(o, "merged_raised")) {
				/* the clock runs from the first request */
				sla_plan_callback(conf, &in->row, &in->sla);
				in->planned = 1;
				snprintf(due, sizeof(due), "%lld",
				    (long long)in->sla.due_at);
				p[0] = in->row.id;
				p[1] = due;
				in->at = IN_RAISE;
				job_send(j,
				    "SELECT r.outcome, " CB_COLS " FROM "
				    "cbd_intake_raise($1, cbd_ts($2::bigint)) r, "
				    "LATERAL (SELECT (r.cb).*) c",
				    2, p);
				return;
			}
		} else {
			intake_send_plan(
			    in); /* after a raise: move the alerts */
			return;
		}
		in->at = IN_COMMIT;
		job_send(j, "COMMIT", 0, NULL);
		return;
	case IN_PLAN:
		if (res_failed(res, PGRES_TUPLES_OK, "plan alerts"))
			goto broken;
		in->at = IN_COMMIT;
		job_send(j, "COMMIT", 0, NULL);
		return;
	case IN_COMMIT:
		if (res_failed(res, PGRES_COMMAND_OK, "intake commit"))
			goto broken;
		in->fn(in->arg, STORE_OK, in->outcome, &in->row,
		    in->planned ? &in->sla : NULL);
		in->fn = NULL;
		job_done(j);
		return;
	}
broken:
	in->fn(in->arg, STORE_FAILED, INTAKE_CREATED, NULL, NULL);
	in->fn = NULL;
	job_done(j);
}

static void
intake_fail(struct store_job *j, enum store_status st)
{
	struct intake_job *in = (struct intake_job *)j;

	if (in->fn)
		in->fn(in->arg, st, INTAKE_CREATED, NULL, NULL);
}

/*
 * Non-urgent requests are group-committed through cbd_intake_batch, which
 * takes every lock of its requests in ascending order first and answers
 * each request, a failed one with the outcome 'error'. Urgent requests
 * keep the transaction above, which may raise a merged callback's
 * deadline.
 */
static json_t *
intake_item_json(struct group_item *it)
{
	const struct intake_job *in = ITEM_OF(it, struct intake_job);
	const struct callback *r = &in->req;
	json_t *keys, *warn;
	char key[CBD_IDEMPOTENCY_KEY_MAX + 8];
	int64_t alert_at = in->sla.due_at;
	int i;

	keys = json_array();
	if (in->idem_key[0]) {
		snprintf(key, sizeof(key), "idem:%s", in->idem_key);
		json_array_append_new(keys, json_string(key));
	}
	if (r->call_id[0]) {
		snprintf(key, sizeof(key), "call:%s", r->call_id);
		json_array_append_new(keys, json_string(key));
	}
	warn = json_array();
	for (i = 0; i < in->sla.nwarn; i++) {
		json_array_append_new(warn,
		    json_pack("[f,I]", in->sla.warn_frac[i],
			(json_int_t)in->sla.warn_at[i]));
		if (in->sla.warn_at[i] < alert_at)
			alert_at = in->sla.warn_at[i];
	}
#define OPT_S(s) ((s)[0] ? json_string(s) : json_null())
#define OPT_T(t) ((t) == CBD_NO_TIME ? json_null() : json_integer(t))
	/* the first alert: the earliest warning, or the breach */
	return json_pack("{s:o,s:s,s:s,s:s,s:s,s:o,s:o,s:o,s:o,s:o,s:I,s:I,s:I,"
			 "s:o,s:o,s:s,s:o,s:I,s:I,s:o,s:b}",
	    "keys", keys, "phone", r->phone, "topic", r->topic, "site", r->site,
	    "language", r->language, "assignee", OPT_S(r->assignee), "name",
	    OPT_S(r->name), "customer_ref", OPT_S(r->customer_ref), "note",
	    OPT_S(r->note), "call_id", OPT_S(r->call_id), "requested_at",
	    (json_int_t)r->requested_at, "received_at",
	    (json_int_t)r->received_at, "due_at", (json_int_t)in->sla.due_at,
	    "not_before", OPT_T(r->not_before), "not_after",
	    OPT_T(r->not_after), "actor", in->actor, "warn", warn, "alert_at",
	    (json_int_t)alert_at, "scope", (json_int_t)in->scope, "fingerprint",
	    OPT_S(r->fingerprint), "language_given", r->language_given);
#undef OPT_S
#undef OPT_T
}

static void
intake_item_fail(struct group_item *it, enum store_status st)
{
	struct intake_job *in = ITEM_OF(it, struct intake_job);

	in->fn(in->arg, st, INTAKE_CREATED, NULL, NULL);
	free(in);
}

/* Columns: i, outcome, CB_COLS. */
static void
intake_item_answer(struct group_item *it, const PGresult *res, int k)
{
	struct intake_job *in = ITEM_OF(it, struct intake_job);
	enum intake_outcome outcome;
	struct callback row;
	const char *o;

	if (!res || !strcmp((o = PQgetvalue(res, k, 1)), "error")) {
		intake_item_fail(it, STORE_FAILED);
		return;
	}
	memset(&row, 0, sizeof(row));
	if (!intake_refused(outcome = intake_outcome_parse(o)))
		row_to_callback(res, k, 2, &row);
	in->fn(in->arg, STORE_OK, outcome, &row,
	    outcome == INTAKE_CREATED ? &in->sla : NULL);
	free(in);
}

static struct group_kind intakes = GROUP_KIND(intakes, "intake batch",
    "SELECT b.i, b.outcome, " CB_COLS " FROM cbd_intake_batch($1::jsonb) b, "
    "LATERAL (SELECT (b.cb).*) c",
    CBD_INTAKE_LANE_AT, intake_item_json, intake_item_answer, intake_item_fail,
    NULL);

void
store_intake(const struct callback *req, const struct sla_plan *plan,
    const char *idem_key, int64_t scope, const char *actor, store_intake_fn *fn,
    void *arg)
{
	struct intake_job *in;

	if (!(in = calloc(1, sizeof(*in)))) {
		fn(arg, STORE_UNAVAILABLE, INTAKE_CREATED, NULL, NULL);
		return;
	}
	in->req = *req;
	in->sla = *plan;
	snprintf(in->idem_key, sizeof(in->idem_key), "%s",
	    idem_key ? idem_key : "");
	in->scope = scope;
	snprintf(in->actor, sizeof(in->actor), "%s", actor);
	in->fn = fn;
	in->arg = arg;
	if (req->urgent) {
		job_run(&in->job, intake_start, intake_step, intake_fail);
		return;
	}
	in->gi.client = arg;
	if (group_add(&intakes, &in->gi) == -1) {
		free(in);
		fn(arg, STORE_UNAVAILABLE, INTAKE_CREATED, NULL, NULL);
	}
}
