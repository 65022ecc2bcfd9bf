/*
 * store_callbacks.c owns reading callbacks: one with its attempts, the
 * filtered list, the open ones for the index rebuild, and those of an
 * index's offer that a caseworker may claim. It changes nothing.
 */
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "ident.h"
#include "store.h"
#include "store_job.h"

/* ---- one callback ------------------------------------------------------ */

void
store_get_callback(const char *id, store_callback_fn *fn, void *arg)
{
	struct query_job *q;

	if (!ident_uuid(id)) {
		fn(arg, STORE_NOT_FOUND, NULL, NULL);
		return;
	}
	if (!(q = query_new(sizeof(*q),
		  "SELECT " CB_COLS ", (SELECT "
		  "coalesce(json_agg(json_build_object("
		  "'at', to_char(a.at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), "
		  "'actor', a.actor, 'result', a.result, 'note', a.note, "
		  "'duration_s', a.duration_s) ORDER BY a.at, a.id), '[]') "
		  "FROM attempts a WHERE a.callback_id = c.id) "
		  "FROM callbacks c WHERE c.id = $1",
		  "read callback", callback_row_answer,
		  (union store_done){ .callback = fn }, arg)))
		return;
	q->prepared = 1;
	query_param(q, id);
	query_submit(q);
}

/* ---- pages of callbacks --------------------------------------------------- */

void
store_list_callbacks(const struct list_filter *f, store_page_fn *fn, void *arg)
{
	struct query_job *q;

	if (f->after_id[0] && !ident_uuid(f->after_id)) {
		fn(arg, STORE_OK, NULL, 0);
		return;
	}
	/* Keyset pagination on (created_at in ms, id), the cursor's precision:
	 * stable while rows come in. */
	if (!(q = page_new(
		  "SELECT " CB_COLS " FROM callbacks c "
		  "WHERE ($1::text IS NULL OR c.state = $1) "
		  "AND ($2::text IS NULL OR c.site = $2) "
		  "AND ($3::text IS NULL OR c.topic = $3) "
		  "AND ($4::text IS NULL OR c.assignee = $4) "
		  "AND ($5::bigint IS NULL OR (cbd_ms(c.created_at), c.id) > "
		  "($5::bigint, $6::uuid)) "
		  "AND ($8::text IS NULL OR c.phone = $8) "
		  "AND ($9::text IS NULL OR c.customer_ref = $9) "
		  "AND ($10::boolean IS NULL OR c.flagged = $10) "
		  "AND ($11::boolean IS NULL OR c.id IN "
		  "(SELECT u.id FROM cbd_unclaimable() u)) "
		  "ORDER BY cbd_ms(c.created_at), c.id LIMIT $7::integer",
		  "read callbacks", fn, arg)))
		return;
	query_param(q, f->by_state ? state_word(f->state) : NULL);
	query_param_opt(q, f->site);
	query_param_opt(q, f->topic);
	query_param_opt(q, f->assignee);
	if (f->after_id[0]) {
		query_param_int(q, f->after_created);
		query_param(q, f->after_id);
	} else {
		query_param(q, NULL);
		query_param(q, NULL);
	}
	query_param_int(q, (int64_t)f->limit);
	query_param_opt(q, f->phone);
	query_param_opt(q, f->customer_ref);
	if (f->flagged < 0)
		query_param(q, NULL);
	else
		query_param_bool(q, f->flagged);
	query_param(q, f->unclaimable ? "t" : NULL);
	query_submit(q);
}

void
store_open_callbacks(const char *after_id, int64_t since_ms, size_t limit,
    store_page_fn *fn, void *arg)
{
	/* open: closed_at IS NULL, as the index of open callbacks has it */
	struct query_job *q = page_new(
	    "SELECT " CB_COLS " FROM callbacks c "
	    "WHERE c.closed_at IS NULL "
	    "AND ($1::uuid IS NULL OR c.id > $1::uuid) "
	    "AND ($3::bigint IS NULL OR c.updated_at >= cbd_ts($3::bigint)) "
	    "ORDER BY c.id LIMIT $2::integer",
	    "read callbacks", fn, arg);

	if (!q)
		return;
	query_param_opt(q, after_id);
	query_param_int(q, (int64_t)limit);
	query_param_time(q, since_ms);
	query_submit(q);
}

void
store_callbacks_by_id(const char *const *ids, size_t n,
    const struct caseworker *cw, store_page_fn *fn, void *arg)
{
	/* only what the caseworker may claim, whatever the index says: as
	 * cbd_claims has it */
	struct query_job *q = page_new(
	    "SELECT " CB_COLS " FROM unnest($1::uuid[]) WITH ORDINALITY "
	    "AS k(id, n) JOIN callbacks c ON c.id = k.id "
	    "WHERE c.assignee = $2 OR (c.assignee IS NULL AND c.site = $3 "
	    "AND c.topic = ANY ($4::text[]) AND c.language = ANY ($5::text[])) "
	    "ORDER BY k.n",
	    "read callbacks", fn, arg);
	char topics[CBD_CASEWORKER_TOPICS_MAX * (CBD_IDENT_MAX + 1) + 3];
	char langs[CBD_CASEWORKER_LANGUAGES_MAX * (CBD_LANGUAGE_MAX + 1) + 3];

	if (!q)
		return;
	/* ids come from our own index: uuid_array checks their shape */
	query_param_take(q, uuid_array(ids, n));
	query_param(q, cw->id);
	query_param(q, cw->site);
	array_literal(topics, sizeof(topics), cw->topics[0],
	    sizeof(cw->topics[0]), cw->ntopics);
	array_literal(langs, sizeof(langs), cw->languages[0],
	    sizeof(cw->languages[0]), cw->nlanguages);
	query_param(q, topics);
	query_param(q, langs);
	query_submit(q);
}
