/*
 * store_events.c owns reading a callback's story: its row and, in one
 * statement, what cbd_events (sql/functions/cbd_events.sql) puts in
 * order, its events, attempts and alerts, with whether a caseworker ever
 * held it. It changes nothing and decides nothing about who may see what
 * (timeline.c does).
 */
#include "bounds.h"
#include "ident.h"
#include "store.h"
#include "store_job.h"

void
store_callback_events(const char *id, const char *caseworker, size_t limit,
    store_callback_fn *fn, void *arg)
{
	struct query_job *q;

	if (!ident_uuid(id)) {
		fn(arg, STORE_NOT_FOUND, NULL, NULL);
		return;
	}
	if (!(q = query_new(sizeof(*q),
		  "SELECT " CB_COLS ", json_build_object('events', (SELECT "
		  "coalesce(json_agg(json_build_object('at', cbd_iso(x.at), "
		  "'kind', x.kind, 'actor', x.actor, 'data', x.data) "
		  "ORDER BY x.n), '[]') FROM cbd_events(c.id, $2::integer) "
		  "WITH ORDINALITY AS x(at, kind, actor, data, n)), "
		  "'held', $3::text IS NOT NULL AND EXISTS (SELECT 1 FROM events e "
		  "WHERE e.callback_id = c.id AND e.kind = 'claimed' "
		  "AND e.data->>'caseworker' = $3::text)) "
		  "FROM callbacks c WHERE c.id = $1",
		  "read events", callback_row_answer,
		  (union store_done){ .callback = fn }, arg)))
		return;
	q->prepared = 1;
	query_param(q, id);
	query_param_int(q, (int64_t)limit);
	query_param_opt(q, caseworker);
	query_submit(q);
}
