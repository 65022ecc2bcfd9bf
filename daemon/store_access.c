/*
 * store_access.c owns the access log: a row for every read of personal
 * data, committed before the read is answered, and the admin's listing of
 * those rows and of the admin actions (admin_events). It never stores a
 * phone number, a name or a note: a row names the token, its caseworker,
 * the route and the callback ids only.
 */
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "store.h"
#include "store_job.h"

void
store_access_record(int64_t token_id, const char *caseworker, const char *route,
    const char *const *ids, size_t n, store_count_fn *fn, void *arg)
{
	struct query_job *q;

	if (!(q = count_new(
		  "INSERT INTO access_log (token_id, caseworker_id, "
		  "route, callback_ids) VALUES ($1::bigint, $2, $3, $4::uuid[])",
		  "access log", fn, arg)))
		return;
	q->prepared = 1;
	q->want = PGRES_COMMAND_OK;
	query_param_int(q, token_id);
	query_param_opt(q, caseworker);
	query_param(q, route);
	/* the ids of rows just read from PostgreSQL */
	query_param_take(q, uuid_array(ids, n));
	query_submit(q);
}

static void
access_answer(struct query_job *q, enum store_status st, const PGresult *res)
{
	struct access_row *rows = NULL;
	int i, n;

	if (st != STORE_OK) {
		q->done.access(q->arg, st, NULL, 0);
		return;
	}
	n = PQntuples(res);
	if (n > 0 && !(rows = calloc((size_t)n, sizeof(*rows)))) {
		q->done.access(q->arg, STORE_UNAVAILABLE, NULL, 0);
		return;
	}
	for (i = 0; i < n; i++) {
		rows[i].id = strtoll(PQgetvalue(res, i, 0), NULL, 10);
		col_str(res, i, 1, rows[i].at, sizeof(rows[i].at));
		rows[i].token_id = strtoll(PQgetvalue(res, i, 2), NULL, 10);
		col_str(res, i, 3, rows[i].caseworker_id,
		    sizeof(rows[i].caseworker_id));
		col_str(res, i, 4, rows[i].route, sizeof(rows[i].route));
		rows[i].callback_ids = PQgetvalue(res, i, 5);
	}
	q->done.access(q->arg, STORE_OK, rows, (size_t)n);
	free(rows);
}

void
store_access_list(const char *callback_id, int64_t token_id, int64_t since_ms,
    int64_t after_id, size_t limit, store_access_fn *fn, void *arg)
{
	struct query_job *q = query_new(sizeof(*q),
	    "SELECT id, cbd_iso(at), "
	    "token_id, coalesce(caseworker_id, ''), route, "
	    "array_to_json(callback_ids)::text FROM access_log "
	    "WHERE ($1::uuid IS NULL OR callback_ids @> ARRAY[$1::uuid]) "
	    "AND ($2::bigint IS NULL OR token_id = $2::bigint) "
	    "AND ($3::bigint IS NULL OR at >= cbd_ts($3::bigint)) "
	    "AND id > $4::bigint ORDER BY id LIMIT $5::integer",
	    "read access log", access_answer,
	    (union store_done){ .access = fn }, arg);

	if (!q)
		return;
	query_param_opt(q, callback_id);
	if (token_id)
		query_param_int(q, token_id);
	else
		query_param(q, NULL);
	query_param_time(q, since_ms);
	query_param_int(q, after_id);
	query_param_int(q, (int64_t)limit);
	query_submit(q);
}

void
store_admin_events(const char *kind, int64_t since_ms, int64_t after_id,
    size_t limit, store_table_fn *fn, void *arg)
{
	struct query_job *q = table_new(
	    "SELECT id, cbd_iso(at) AS at, actor, kind, data::text AS data "
	    "FROM admin_events WHERE ($1::text IS NULL OR kind = $1::text) "
	    "AND ($2::bigint IS NULL OR at >= cbd_ts($2::bigint)) "
	    "AND id > $3::bigint ORDER BY id LIMIT $4::integer",
	    fn, arg);

	if (!q)
		return;
	query_param_opt(q, kind);
	query_param_time(q, since_ms);
	query_param_int(q, after_id);
	query_param_int(q, (int64_t)limit);
	query_submit(q);
}
