/*
 * store_admin.c owns the blocking PostgreSQL work of the command line:
 * applying migrations (the numbered files, then every function) and adding
 * a token. It runs before or instead of the
 * event loop, never inside it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "embedded.h"
#include "store.h"

/* "relation already exists, skipping" and the like are not news. */
static void
quiet(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

static PGconn *
admin_connect(const char *conninfo)
{
	static const char *const keys[] = { "application_name", "dbname",
		NULL };
	const char *values[] = { "callbackd admin", conninfo, NULL };
	PGconn *pg = PQconnectdbParams(keys, values, 1);

	if (PQstatus(pg) != CONNECTION_OK) {
		fprintf(stderr, "callbackd: cannot connect to PostgreSQL: %s",
		    PQerrorMessage(pg));
		PQfinish(pg);
		return NULL;
	}
	PQsetNoticeProcessor(pg, quiet, NULL);
	return pg;
}

static int
exec_ok(PGconn *pg, const char *sql, const char *what)
{
	PGresult *res = PQexec(pg, sql);
	ExecStatusType st = PQresultStatus(res);

	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		fprintf(stderr, "callbackd: %s: %s", what,
		    PQresultErrorMessage(res));
		PQclear(res);
		return -1;
	}
	PQclear(res);
	return 0;
}

/* Re-applies every function and view (each file CREATE OR REPLACE), in
 * one transaction: a database is always left with the bodies of this
 * build. Their bodies are not checked as they are created (as pg_dump
 * does), so the files need no order among themselves; each is checked
 * when it first runs. */
static int
apply_functions(PGconn *pg)
{
	const struct embedded_function *f;
	int n = 0;

	if (exec_ok(pg, "BEGIN", "begin") == -1 ||
	    exec_ok(pg, "SET LOCAL check_function_bodies = off", "functions") ==
		-1)
		return -1;
	for (f = embedded_functions; f->name; f++, n++)
		if (exec_ok(pg, f->sql, f->name) == -1)
			return -1;
	if (exec_ok(pg, "COMMIT", "commit") == -1)
		return -1;
	return n;
}

/* Applies every embedded migration newer than the database, each in its
 * own transaction with its row in schema_migrations, then every function.
 * An advisory lock keeps two migrating processes from interleaving. */
int
store_admin_migrate(const char *conninfo)
{
	const struct embedded_migration *m;
	PGconn *pg;
	PGresult *res;
	int have, applied = 0, functions;

	if (!(pg = admin_connect(conninfo)))
		return -1;
	if (exec_ok(pg,
		"SELECT pg_advisory_lock(hashtext('callbackd migrate'))",
		"lock") == -1 ||
	    exec_ok(pg,
		"CREATE TABLE IF NOT EXISTS schema_migrations ("
		"version integer PRIMARY KEY, name text NOT NULL, "
		"applied_at timestamptz NOT NULL DEFAULT now())",
		"schema_migrations") == -1)
		goto fail;
	res = PQexec(pg,
	    "SELECT coalesce(max(version), 0) FROM schema_migrations");
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		fprintf(stderr, "callbackd: %s", PQresultErrorMessage(res));
		PQclear(res);
		goto fail;
	}
	have = atoi(PQgetvalue(res, 0, 0));
	PQclear(res);
	if (have > store_schema_version()) {
		fprintf(stderr,
		    "callbackd: database schema is at version %d, newer "
		    "than this callbackd knows (%d): run a newer callbackd\n",
		    have, store_schema_version());
		goto fail;
	}
	for (m = embedded_migrations; m->name; m++) {
		char ver[16];
		const char *params[2] = { ver, m->name };

		if (m->version <= have)
			continue;
		snprintf(ver, sizeof(ver), "%d", m->version);
		if (exec_ok(pg, "BEGIN", "begin") == -1)
			goto fail;
		if (exec_ok(pg, m->sql, m->name) == -1)
			goto fail;
		res = PQexecParams(pg,
		    "INSERT INTO schema_migrations (version, name) "
		    "VALUES ($1::integer, $2)",
		    2, NULL, params, NULL, NULL, 0);
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			fprintf(stderr, "callbackd: %s",
			    PQresultErrorMessage(res));
			PQclear(res);
			goto fail;
		}
		PQclear(res);
		if (exec_ok(pg, "COMMIT", "commit") == -1)
			goto fail;
		printf("applied migration %s\n", m->name);
		applied++;
	}
	if ((functions = apply_functions(pg)) == -1)
		goto fail;
	printf("schema at version %d (%d migration%s applied, %d functions "
	       "and views re-applied)\n",
	    store_schema_version(), applied, applied == 1 ? "" : "s",
	    functions);
	PQfinish(pg);
	return 0;
fail:
	PQfinish(pg);
	return -1;
}

int
store_admin_create_token(const char *conninfo, const char *sha256_hex,
    const char *role, const char *caseworker_id, const char *label,
    int64_t expires_ms)
{
	char expires[24];
	const char *params[5] = { sha256_hex, role, caseworker_id, label,
		expires_ms == CBD_NO_TIME ? NULL : expires };
	PGconn *pg;
	PGresult *res;
	int rc = -1;

	snprintf(expires, sizeof(expires), "%lld", (long long)expires_ms);
	if (!(pg = admin_connect(conninfo)))
		return -1;
	/* an admin action like any other, by the command line: the first
	 * admin token comes from here */
	res = PQexecParams(pg,
	    "WITH t AS (INSERT INTO tokens (hash, role, "
	    "caseworker_id, label, expires_at) VALUES (decode($1, 'hex'), $2, $3, "
	    "$4, cbd_ts($5::bigint)) RETURNING *), e AS (INSERT INTO admin_events "
	    "(actor, kind, data) SELECT 'callbackd --create-token', 'token_created', "
	    "jsonb_build_object('token', t.id, 'role', t.role, 'caseworker', "
	    "t.caseworker_id, 'expires_at', t.expires_at) FROM t) SELECT id FROM t",
	    5, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) == PGRES_TUPLES_OK)
		rc = atoi(PQgetvalue(res, 0, 0));
	else
		fprintf(stderr, "callbackd: cannot store the token: %s",
		    PQresultErrorMessage(res));
	PQclear(res);
	PQfinish(pg);
	return rc;
}
