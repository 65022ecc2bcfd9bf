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

/* ---- tokens --------------------------------------------------------- */

struct token_job {
	struct store_job job;
	char hash[65];
	store_token_fn *fn;
	void *arg;
};

static void
token_start(struct store_job *j, PGresult *unused)
{
	struct token_job *t = (struct token_job *)j;
	const char *params[1] = { t->hash };

	(void)unused;
	/* a caseworker's token is as valid as its caseworker is active: a
	 * deactivated caseworker reads and changes nothing more */
	job_send_prepared(j, "SELECT t.id, t.role, coalesce(t.caseworker_id, ''), "
	    "cbd_ms(t.expires_at) FROM tokens t "
	    "LEFT JOIN caseworkers w ON w.id = t.caseworker_id "
	    "WHERE t.hash = decode($1, 'hex') AND t.revoked_at IS NULL "
	    "AND (t.expires_at IS NULL OR t.expires_at > now()) "
	    "AND (t.caseworker_id IS NULL OR w.active)", 1, params);
}

static void
token_step(struct store_job *j, PGresult *res)
{
	struct token_job *t = (struct token_job *)j;
	struct token_info ti;

	if (res_failed(res, PGRES_TUPLES_OK, "token lookup")) {
		t->fn(t->arg, STORE_FAILED, NULL);
	} else if (PQntuples(res) == 0) {
		t->fn(t->arg, STORE_NOT_FOUND, NULL);
	} else {
		memset(&ti, 0, sizeof(ti));
		ti.id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
		col_str(res, 0, 1, ti.role, sizeof(ti.role));
		col_str(res, 0, 2, ti.caseworker_id, sizeof(ti.caseworker_id));
		ti.expires_ms = col_time(res, 0, 3);
		t->fn(t->arg, STORE_OK, &ti);
	}
	t->fn = NULL;
	job_done(j);
}

static void
token_fail(struct store_job *j, enum store_status st)
{
	struct token_job *t = (struct token_job *)j;

	if (t->fn)
		t->fn(t->arg, st, NULL);
}


void
store_token_lookup(const char *sha256_hex, store_token_fn *fn, void *arg)
{
	struct token_job *t = calloc(1, sizeof(*t));

	if (!t) {
		fn(arg, STORE_UNAVAILABLE, NULL);
		return;
	}
	snprintf(t->hash, sizeof(t->hash), "%s", sha256_hex);
	t->fn = fn;
	t->arg = arg;
	job_run(&t->job, token_start, token_step, token_fail);
}

/* ---- tokens (admin) ----------------------------------------------------- */

#define TOKEN_COLS "id, role, coalesce(caseworker_id, ''), coalesce(label, ''), " \
	"cbd_iso(created_at), coalesce(cbd_iso(revoked_at), ''), " \
	"coalesce(cbd_iso(expires_at), '')"

struct tokens_job {
	struct store_job job;
	int kind; /* 0 create, 1 list, 2 revoke */
	char hash[65], role[16], cw[CBD_IDENT_MAX + 1], label[201], id[24];
	char expires[24], actor[CBD_IDENT_MAX + 1];
	int has_cw, has_label, has_expires;
	store_tokens_fn *fn;
	void *arg;
};

static void
tokens_start(struct store_job *j, PGresult *unused)
{
	struct tokens_job *t = (struct tokens_job *)j;
	const char *p[6] = { t->hash, t->role, t->has_cw ? t->cw : NULL,
		t->has_label ? t->label : NULL, t->has_expires ? t->expires : NULL,
		t->actor };
	const char *q[2] = { t->id, t->actor };

	(void)unused;
	/* the event names the token by its number, never by its label, which
	 * may name a person */
	if (t->kind == 0)
		job_send(j, "WITH t AS (INSERT INTO tokens (hash, role, caseworker_id, "
		    "label, expires_at) VALUES (decode($1, 'hex'), $2, $3, $4, "
		    "cbd_ts($5::bigint)) RETURNING *), "
		    "e AS (INSERT INTO admin_events (actor, kind, data) SELECT $6, "
		    "'token_created', jsonb_build_object('token', t.id, 'role', t.role, "
		    "'caseworker', t.caseworker_id, 'expires_at', t.expires_at) FROM t) "
		    "SELECT " TOKEN_COLS " FROM t", 6, p);
	else if (t->kind == 1)
		job_send(j, "SELECT " TOKEN_COLS " FROM tokens ORDER BY id", 0, NULL);
	else
		job_send(j, "WITH o AS (SELECT id, revoked_at IS NULL AS live FROM tokens "
		    "WHERE id = $1::bigint FOR UPDATE), "
		    "t AS (UPDATE tokens k SET revoked_at = coalesce(k.revoked_at, now()) "
		    "FROM o WHERE k.id = o.id RETURNING k.*, o.live), "
		    "e AS (INSERT INTO admin_events (actor, kind, data) SELECT $2, "
		    "'token_revoked', jsonb_build_object('token', t.id, 'role', t.role, "
		    "'caseworker', t.caseworker_id) FROM t WHERE t.live) "
		    "SELECT " TOKEN_COLS " FROM t", 2, q);
}

static void
tokens_step(struct store_job *j, PGresult *res)
{
	struct tokens_job *t = (struct tokens_job *)j;
	struct token_row *rows = NULL;
	int i, n;

	if (res_failed(res, PGRES_TUPLES_OK, "tokens")) {
		t->fn(t->arg, STORE_FAILED, NULL, 0);
	} else {
		n = PQntuples(res);
		if (n > 0 && !(rows = calloc((size_t)n, sizeof(*rows)))) {
			t->fn(t->arg, STORE_UNAVAILABLE, NULL, 0);
		} else {
			for (i = 0; i < n; i++) {
				rows[i].id = strtoll(PQgetvalue(res, i, 0), NULL, 10);
				col_str(res, i, 1, rows[i].role, sizeof(rows[i].role));
				col_str(res, i, 2, rows[i].caseworker_id,
				    sizeof(rows[i].caseworker_id));
				col_str(res, i, 3, rows[i].label, sizeof(rows[i].label));
				col_str(res, i, 4, rows[i].created_at, sizeof(rows[i].created_at));
				col_str(res, i, 5, rows[i].revoked_at, sizeof(rows[i].revoked_at));
				col_str(res, i, 6, rows[i].expires_at, sizeof(rows[i].expires_at));
			}
			t->fn(t->arg, STORE_OK, rows, (size_t)n);
			free(rows);
		}
	}
	t->fn = NULL;
	job_done(j);
}

static void
tokens_fail(struct store_job *j, enum store_status st)
{
	struct tokens_job *t = (struct tokens_job *)j;

	if (t->fn)
		t->fn(t->arg, st, NULL, 0);
}

static struct tokens_job *
tokens_job_new(int kind, store_tokens_fn *fn, void *arg)
{
	struct tokens_job *t = calloc(1, sizeof(*t));

	if (!t) {
		fn(arg, STORE_UNAVAILABLE, NULL, 0);
		return NULL;
	}
	t->kind = kind;
	t->fn = fn;
	t->arg = arg;
	return t;
}

void
store_token_create(const char *sha256_hex, const char *role, const char *cw,
    const char *label, int64_t expires_ms, const char *actor,
    store_tokens_fn *fn, void *arg)
{
	struct tokens_job *t = tokens_job_new(0, fn, arg);

	if (!t)
		return;
	snprintf(t->actor, sizeof(t->actor), "%s", actor);
	if ((t->has_expires = expires_ms != CBD_NO_TIME))
		snprintf(t->expires, sizeof(t->expires), "%lld", (long long)expires_ms);
	snprintf(t->hash, sizeof(t->hash), "%s", sha256_hex);
	snprintf(t->role, sizeof(t->role), "%s", role);
	if ((t->has_cw = cw != NULL))
		snprintf(t->cw, sizeof(t->cw), "%s", cw);
	if ((t->has_label = label != NULL))
		snprintf(t->label, sizeof(t->label), "%s", label);
	job_run(&t->job, tokens_start, tokens_step, tokens_fail);
}

void
store_tokens(int64_t revoke_id, const char *actor, store_tokens_fn *fn,
    void *arg)
{
	struct tokens_job *t = tokens_job_new(revoke_id ? 2 : 1, fn, arg);

	if (!t)
		return;
	snprintf(t->actor, sizeof(t->actor), "%s", actor);
	snprintf(t->id, sizeof(t->id), "%lld", (long long)revoke_id);
	job_run(&t->job, tokens_start, tokens_step, tokens_fail);
}
