/*
 * store_tokens.c owns the tokens table: the lookup of a bearer token on
 * every request, and the admin's create, list and revoke with their
 * events. The token itself never reaches it, only its SHA-256; an event
 * names a token by its number, never by its label.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "store.h"
#include "store_job.h"

static void
lookup_answer(struct query_job *q, enum store_status st, const PGresult *res)
{
	struct token_info ti;

	if (st != STORE_OK) {
		q->done.token(q->arg, st, NULL);
	} else if (PQntuples(res) == 0) {
		q->done.token(q->arg, STORE_NOT_FOUND, NULL);
	} else {
		memset(&ti, 0, sizeof(ti));
		ti.id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
		col_str(res, 0, 1, ti.role, sizeof(ti.role));
		col_str(res, 0, 2, ti.caseworker_id, sizeof(ti.caseworker_id));
		ti.expires_ms = col_time(res, 0, 3);
		q->done.token(q->arg, STORE_OK, &ti);
	}
}

/* a caseworker's token is as valid as its caseworker is active: a
 * deactivated caseworker reads and changes nothing more */
#define LOOKUP_SQL \
	"SELECT t.id, t.role, coalesce(t.caseworker_id, ''), " \
	"cbd_ms(t.expires_at) FROM tokens t " \
	"LEFT JOIN caseworkers w ON w.id = t.caseworker_id " \
	"WHERE t.hash = decode($1, 'hex') AND t.revoked_at IS NULL " \
	"AND (t.expires_at IS NULL OR t.expires_at > now()) " \
	"AND (t.caseworker_id IS NULL OR w.active)"

void
store_token_lookup(const char *sha256_hex, store_token_fn *fn, void *arg)
{
	struct query_job *q;

	if (!(q = query_new(sizeof(*q), LOOKUP_SQL, "token lookup",
		  lookup_answer, (union store_done){ .token = fn }, arg)))
		return;
	q->prepared = 1;
	query_param(q, sha256_hex);
	query_submit(q);
}

/* ---- the admin's tokens ---------------------------------------------------- */

#define TOKEN_COLS \
	"id, role, coalesce(caseworker_id, ''), coalesce(label, ''), " \
	"cbd_iso(created_at), coalesce(cbd_iso(revoked_at), ''), " \
	"coalesce(cbd_iso(expires_at), '')"

static void
tokens_answer(struct query_job *q, enum store_status st, const PGresult *res)
{
	struct token_row *rows = NULL;
	int i, n;

	if (st != STORE_OK) {
		q->done.tokens(q->arg, st, NULL, 0);
		return;
	}
	n = PQntuples(res);
	if (n > 0 && !(rows = calloc((size_t)n, sizeof(*rows)))) {
		q->done.tokens(q->arg, STORE_UNAVAILABLE, NULL, 0);
		return;
	}
	for (i = 0; i < n; i++) {
		rows[i].id = strtoll(PQgetvalue(res, i, 0), NULL, 10);
		col_str(res, i, 1, rows[i].role, sizeof(rows[i].role));
		col_str(res, i, 2, rows[i].caseworker_id,
		    sizeof(rows[i].caseworker_id));
		col_str(res, i, 3, rows[i].label, sizeof(rows[i].label));
		col_str(res, i, 4, rows[i].created_at,
		    sizeof(rows[i].created_at));
		col_str(res, i, 5, rows[i].revoked_at,
		    sizeof(rows[i].revoked_at));
		col_str(res, i, 6, rows[i].expires_at,
		    sizeof(rows[i].expires_at));
	}
	q->done.tokens(q->arg, STORE_OK, rows, (size_t)n);
	free(rows);
}

static struct query_job *
tokens_new(const char *sql, store_tokens_fn *fn, void *arg)
{
	return query_new(sizeof(struct query_job), sql, "tokens", tokens_answer,
	    (union store_done){ .tokens = fn }, arg);
}

/* the events name a token by its number, never by its label, which may
 * name a person */
#define CREATE_SQL \
	"WITH t AS (INSERT INTO tokens (hash, role, caseworker_id, " \
	"label, expires_at) VALUES (decode($1, 'hex'), $2, $3, $4, " \
	"cbd_ts($5::bigint)) RETURNING *), " \
	"e AS (INSERT INTO admin_events (actor, kind, data) SELECT $6, " \
	"'token_created', jsonb_build_object('token', t.id, 'role', t.role, " \
	"'caseworker', t.caseworker_id, 'expires_at', t.expires_at) FROM t) " \
	"SELECT " TOKEN_COLS " FROM t"
#define REVOKE_SQL \
	"WITH o AS (SELECT id, revoked_at IS NULL AS live FROM tokens " \
	"WHERE id = $1::bigint FOR UPDATE), " \
	"t AS (UPDATE tokens k SET revoked_at = coalesce(k.revoked_at, now()) " \
	"FROM o WHERE k.id = o.id RETURNING k.*, o.live), " \
	"e AS (INSERT INTO admin_events (actor, kind, data) SELECT $2, " \
	"'token_revoked', jsonb_build_object('token', t.id, 'role', t.role, " \
	"'caseworker', t.caseworker_id) FROM t WHERE t.live) " \
	"SELECT " TOKEN_COLS " FROM t"

void
store_token_create(const char *sha256_hex, const char *role, const char *cw,
    const char *label, int64_t expires_ms, const char *actor,
    store_tokens_fn *fn, void *arg)
{
	struct query_job *q = tokens_new(CREATE_SQL, fn, arg);

	if (!q)
		return;
	query_param(q, sha256_hex);
	query_param(q, role);
	query_param(q, cw);
	query_param(q, label);
	query_param_time(q, expires_ms);
	query_param(q, actor);
	query_submit(q);
}

void
store_tokens(int64_t revoke_id, const char *actor, store_tokens_fn *fn,
    void *arg)
{
	struct query_job *q;

	if (!revoke_id) {
		if ((q = tokens_new("SELECT " TOKEN_COLS
				    " FROM tokens ORDER BY id",
			 fn, arg)))
			query_submit(q);
		return;
	}
	if (!(q = tokens_new(REVOKE_SQL, fn, arg)))
		return;
	query_param_int(q, revoke_id);
	query_param(q, actor);
	query_submit(q);
}
