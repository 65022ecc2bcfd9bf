/*
 * store_conn.c owns PostgreSQL at run time: a small pool of non-blocking
 * libpq connections driven by the event loop, reconnection with back-off,
 * the schema check, the deadline of what a connection waits for, and
 * handing idle connections to waiting jobs (store_jobs.c). It runs no
 * statement of its own beyond the schema check and ROLLBACK: the SQL of
 * each resource is in its store_*.c. It never blocks the loop and never
 * logs the DETAIL of an error, which may hold personal data.
 *
 * A job owns one connection from its first statement to its last, so a job
 * may be a transaction. When a job ends with its transaction still open
 * (an error half-way), the connection rolls back before the next job.
 *
 * Only a server that takes writes is of use: conninfo may name several
 * hosts (target_session_attrs=read-write lets libpq choose the primary),
 * and a connection that finds itself on a read-only one (a standby, a
 * demoted primary, default_transaction_read_only) at connect or at a
 * statement (SQLSTATE 25006) is closed and made again, with back-off,
 * until one takes writes: never kept to answer every write with an error.
 * When the pool finds itself on another server than before (its start
 * time differs: a promoted standby, or a restart) it says so
 * (store_set_moved), for the Redis index to be rebuilt.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include <event2/event.h>
#include <libpq-fe.h>

#include "config.h"
#include "embedded.h"
#include "bounds.h"
#include "log.h"
#include "metrics.h"
#include "store.h"
#include "store_conn.h"
#include "store_job.h"
#include "timefmt.h"

static struct pgconn *conns;
static int nconns;
static struct event_base *base;
static store_fatal_fn *on_fatal;
static char last_error[160] = "not connected yet";
/* What /readyz says: a code, never the server's text (it names hosts and
 * users); the text goes to the log. */
static const char *not_ready = "connecting";
static int schema_ok;
static store_gone_fn *client_gone;
/* when the server the pool is on started (pg_postmaster_start_time):
 * another time is another server, or a restart */
static char server_started[48];
static store_moved_fn *on_moved;

static void conn_connect(struct pgconn *);
static void conn_on_io(evutil_socket_t, short, void *);

int
store_schema_version(void)
{
	int v = 0;
	const struct embedded_migration *m;

	for (m = embedded_migrations; m->name; m++)
		v = m->version;
	return v;
}

/* ---- connections ---------------------------------------------------- */

static int
conn_up(const struct pgconn *c)
{
	return c->state == CONN_IDLE || c->state == CONN_BUSY ||
	    c->state == CONN_ROLLBACK;
}

int
store_ready(void)
{
	int i;

	if (!schema_ok)
		return 0;
	for (i = 0; i < nconns; i++)
		if (conn_up(&conns[i]))
			return 1;
	return 0;
}

const char *
store_state(void)
{
	if (store_ready())
		return jobs_slow() ? "slow" : "ok";
	return not_ready;
}

void
store_set_gone(store_gone_fn *fn)
{
	client_gone = fn;
}

void
store_set_moved(store_moved_fn *fn)
{
	on_moved = fn;
}

int
store_client_gone(void *arg)
{
	return client_gone && client_gone(arg);
}

/* How long we wait for a statement, or a connection, before giving up
 * on the connection: the server's statement_timeout should have ended it
 * before, unless the server itself does not answer. */
void
conn_arm(struct pgconn *c)
{
	struct timeval tv;

	ms_timeval(conf->pg_statement_timeout_ms + CBD_PG_DEADLINE_GRACE_MS,
	    &tv);
	evtimer_add(c->ev_deadline, &tv);
}

static void
conn_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	conn_connect(arg);
}

void
conn_close(struct pgconn *c, const char *why)
{
	struct store_job *job = c->job;
	struct timeval tv;
	char next[sizeof(last_error)];
	int i, any_up = 0;

	snprintf(next, sizeof(next), "postgres: %s", why);
	evtimer_del(c->ev_deadline);
	if (c->ev_read) {
		event_free(c->ev_read);
		c->ev_read = NULL;
	}
	if (c->ev_write) {
		event_free(c->ev_write);
		c->ev_write = NULL;
	}
	if (c->pending) {
		PQclear(c->pending);
		c->pending = NULL;
	}
	exec_forget(c);
	c->nprepared = 0; /* a new session knows none of them */
	if (c->pg) {
		PQfinish(c->pg);
		c->pg = NULL;
	}
	if (conn_up(c) || c->state == CONN_CHECKING) {
		log_warnx("postgres: connection %d lost: %s", c->idx, why);
		metrics_count(M_PG_RECONNECTS);
	} else if (strcmp(next, last_error))
		/* a new reason not to connect ("too many clients"): once
		 * each time it changes, not at every retry */
		log_warnx("postgres: connection %d cannot connect: %s", c->idx,
		    why);
	memcpy(last_error, next, sizeof(last_error));
	not_ready = "unreachable";
	c->state = CONN_DOWN;
	c->job = NULL;
	if (job) {
		job->conn = NULL;
		job_finish_failed(job, STORE_UNAVAILABLE);
	}

	for (i = 0; i < nconns; i++)
		any_up |= conn_up(&conns[i]);
	if (!any_up)
		fail_waiting();

	c->backoff_ms = backoff_next(c->backoff_ms);
	ms_timeval(c->backoff_ms, &tv);
	evtimer_add(c->ev_retry, &tv);
}

/* The first line of libpq's message, without the DETAIL that may name
 * values from a row. */
void
short_error(const char *msg, char *out, size_t len)
{
	size_t n = strcspn(msg, "\n");

	if (n >= len)
		n = len - 1;
	memcpy(out, msg, n);
	out[n] = '\0';
}

static void
conn_watch(struct pgconn *c)
{
	int fd = PQsocket(c->pg);

	c->ev_read = event_new(base, fd, EV_READ | EV_PERSIST, conn_on_io, c);
	c->ev_write = event_new(base, fd, EV_WRITE, conn_on_io, c);
	event_add(c->ev_read, NULL);
}

/* Sends what libpq still holds; arms the write event while it cannot. */
int
conn_flush(struct pgconn *c)
{
	int r = PQflush(c->pg);

	if (r == 1)
		event_add(c->ev_write, NULL);
	return r == -1 ? -1 : 0;
}

int
conn_send(struct pgconn *c, const char *sql, int n, const char *const *params)
{
	if (!PQsendQueryParams(c->pg, sql, n, NULL, params, NULL, NULL, 0))
		return -1;
	conn_arm(c);
	return conn_flush(c);
}

/* Reads the schema version, and bounds every statement of the session
 * from here on: a lock or a statement that takes too long is ended by
 * the server, which rolls its transaction back. */
static void
conn_check_schema(struct pgconn *c)
{
	char st[24], lt[24];
	const char *p[2] = { st, lt };

	snprintf(st, sizeof(st), "%lld",
	    (long long)conf->pg_statement_timeout_ms);
	snprintf(lt, sizeof(lt), "%lld", (long long)conf->pg_lock_timeout_ms);
	c->state = CONN_CHECKING;
	if (conn_send(c,
		"SELECT (SELECT coalesce(max(version), 0) FROM "
		"schema_migrations), set_config('statement_timeout', $1, false), "
		"set_config('lock_timeout', $2, false), "
		"current_setting('transaction_read_only'), "
		"pg_postmaster_start_time()::text",
		2, p) == -1) {
		char why[120];

		short_error(PQerrorMessage(c->pg), why, sizeof(why));
		conn_close(c, why);
	}
}

static void
conn_poll_cb(evutil_socket_t fd, short what, void *arg)
{
	struct pgconn *c = arg;
	PostgresPollingStatusType st;
	char why[120];

	(void)fd;
	(void)what;
	if (c->ev_read) {
		event_free(c->ev_read);
		c->ev_read = NULL;
	}
	st = PQconnectPoll(c->pg);
	switch (st) {
	case PGRES_POLLING_READING:
	case PGRES_POLLING_WRITING:
		/* The socket may change between polls (several addresses). */
		c->ev_read = event_new(base, PQsocket(c->pg),
		    st == PGRES_POLLING_READING ? EV_READ : EV_WRITE,
		    conn_poll_cb, c);
		event_add(c->ev_read, NULL);
		return;
	case PGRES_POLLING_OK:
		if (PQsetnonblocking(c->pg, 1) == -1) {
			conn_close(c,
			    "cannot make the connection non-blocking");
			return;
		}
		conn_watch(c);
		conn_check_schema(c);
		return;
	default:
		short_error(PQerrorMessage(c->pg), why, sizeof(why));
		conn_close(c, why[0] ? why : "connection failed");
		return;
	}
}

/* Server notices ("terminating connection due to administrator command")
 * would go to stderr unformatted; the state change is logged by us. */
static void
conn_notice(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

static void
conn_connect(struct pgconn *c)
{
	/* application_name first, so a conninfo that names one wins; ours
	 * makes the pool easy to find in pg_stat_activity */
	static const char *const keys[] = { "application_name", "dbname",
		NULL };
	const char *values[] = { "callbackd", conf->pg_conninfo, NULL };

	c->state = CONN_CONNECTING;
	c->pg = PQconnectStartParams(keys, values, 1);
	if (!c->pg || PQstatus(c->pg) == CONNECTION_BAD) {
		char why[120];

		short_error(c->pg ? PQerrorMessage(c->pg) : "out of memory",
		    why, sizeof(why));
		conn_close(c, why);
		return;
	}
	PQsetNoticeProcessor(c->pg, conn_notice, NULL);
	conn_arm(c);
	/* PQconnectStartParams wants to be polled for writing first. */
	c->ev_read = event_new(base, PQsocket(c->pg), EV_WRITE, conn_poll_cb,
	    c);
	event_add(c->ev_read, NULL);
}

/* The server takes no writes: the connection goes (its job fails: 503,
 * nothing written) and is made again with back-off; libpq may find the
 * primary among the hosts of conninfo next time. */
static void
conn_read_only(struct pgconn *c)
{
	conn_close(c, "the server is read-only (a standby?)");
	not_ready = "read_only";
}

static void
on_schema_result(struct pgconn *c, PGresult *res)
{
	int have = 0, want = store_schema_version();
	char msg[200];

	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 &&
	    !strcmp(PQgetvalue(res, 0, 3), "on")) {
		/* a refusal, not a loss: logged once while it lasts */
		c->state = CONN_CONNECTING;
		conn_read_only(c);
		return;
	}
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
		have = atoi(PQgetvalue(res, 0, 0));
	else if (strcmp(PQresultErrorField(res, PG_DIAG_SQLSTATE) ?
			 PQresultErrorField(res, PG_DIAG_SQLSTATE) :
			 "",
		     "42P01")) {
		char why[120];

		short_error(PQresultErrorMessage(res), why, sizeof(why));
		conn_close(c, why);
		return;
	}
	if (have != want) {
		snprintf(msg, sizeof(msg),
		    "database schema is at version %d, this "
		    "callbackd needs version %d: %s",
		    have, want,
		    have < want ? "run callbackd --migrate" :
				  "run a newer callbackd");
		snprintf(last_error, sizeof(last_error),
		    "schema: version %d, need %d", have, want);
		not_ready = have < want ? "schema_old" : "schema_new";
		schema_ok = 0;
		on_fatal(msg);
		return;
	}
	if (!schema_ok || c->backoff_ms)
		log_info("postgres: connection %d ready (schema version %d)",
		    c->idx, have);
	if (server_started[0] &&
	    strcmp(server_started, PQgetvalue(res, 0, 4))) {
		/* a standby promoted may not have had the last commits of the
		 * old primary: the index would offer callbacks that are gone */
		log_info("postgres: on another server now, or a restarted one "
			 "(started %s); rebuilding the queue index from it",
		    PQgetvalue(res, 0, 4));
		if (on_moved)
			on_moved();
	}
	snprintf(server_started, sizeof(server_started), "%s",
	    PQgetvalue(res, 0, 4));
	schema_ok = 1;
	c->backoff_ms = 0;
	c->state = CONN_IDLE;
	conn_dispatch();
}

/* The server ended a statement at statement_timeout or lock_timeout (or
 * an operator cancelled it): 1 when res says so. */
static int
res_timed_out(const PGresult *res)
{
	const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);

	return PQresultStatus(res) == PGRES_FATAL_ERROR && state &&
	    (!strcmp(state, "57014") || !strcmp(state, "55P03"));
}

/* A write refused because the server is read-only now (25006
 * read_only_sql_transaction): promoted elsewhere, or made read-only. */
static int
res_read_only(const PGresult *res)
{
	const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);

	return PQresultStatus(res) == PGRES_FATAL_ERROR && state &&
	    !strcmp(state, "25006");
}

/* No answer by the deadline: the server, or the way to it, is stuck.
 * The connection goes (a cancel request could hang as long) and its job
 * fails; the pool connects again with back-off. */
static void
conn_deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	struct pgconn *c = arg;
	char why[80];

	(void)fd;
	(void)what;
	deadline_missed();
	snprintf(why, sizeof(why), "no answer within %lld ms",
	    (long long)(conf->pg_statement_timeout_ms +
		CBD_PG_DEADLINE_GRACE_MS));
	conn_close(c, why);
}

/* A statement's results are complete: hand the first one on. */
static void
conn_result(struct pgconn *c, PGresult *res)
{
	struct store_job *job = c->job;

	evtimer_del(c->ev_deadline);
	if (c->state == CONN_BUSY && res_timed_out(res)) {
		job_timed_out(c);
		PQclear(res);
		return;
	}
	if (c->state == CONN_BUSY && res_read_only(res)) {
		int i;

		PQclear(res);
		conn_read_only(c);
		/* the idle ones are on the same server, most likely: they
		 * look again too, rather than fail a write each first */
		for (i = 0; i < nconns; i++)
			if (conns[i].state == CONN_IDLE)
				conn_read_only(&conns[i]);
		return;
	}
	if (c->state == CONN_BUSY)
		deadline_kept();
	switch (c->state) {
	case CONN_CHECKING:
		on_schema_result(c, res);
		break;
	case CONN_ROLLBACK:
		c->state = CONN_IDLE;
		conn_dispatch();
		break;
	case CONN_BUSY:
		if (c->preparing && prepared_done(c, res) == 0)
			break; /* the statement itself is on its way */
		job->step(job, res);
		break;
	default:
		break;
	}
	PQclear(res);
}

static void
conn_on_io(evutil_socket_t fd, short what, void *arg)
{
	struct pgconn *c = arg;
	PGresult *res;
	char why[120];

	(void)fd;
	if ((what & EV_WRITE) && conn_flush(c) == -1)
		goto broken;
	if (!(what & EV_READ))
		return;
	if (!PQconsumeInput(c->pg))
		goto broken;
	while (c->pg && !PQisBusy(c->pg)) {
		res = PQgetResult(c->pg);
		if (!res) {
			/* End of a statement's results. */
			if (!c->pending)
				break;
			res = c->pending;
			c->pending = NULL;
			conn_result(c, res);
			continue;
		}
		if (c->pending)
			PQclear(res); /* keep the first result only */
		else
			c->pending = res;
	}
	if (c->pg && PQstatus(c->pg) == CONNECTION_BAD)
		goto broken;
	return;
broken:
	short_error(c->pg ? PQerrorMessage(c->pg) : "connection closed", why,
	    sizeof(why));
	conn_close(c, why[0] ? why : "connection closed");
}

/* Gives idle connections to waiting jobs. */
void
conn_dispatch(void)
{
	struct store_job *job;
	int i;

	for (i = 0; i < nconns; i++) {
		struct pgconn *c = &conns[i];

		if (c->state != CONN_IDLE)
			continue;
		if (!(job = jobs_next()))
			break;
		c->state = CONN_BUSY;
		c->job = job;
		job->conn = c;
		job->start(job, NULL);
	}
}

int
store_init(struct event_base *b, store_fatal_fn *fatal_fn)
{
	int i;

	base = b;
	on_fatal = fatal_fn;
	nconns = (int)conf->pg_pool_size;
	conns = calloc((size_t)nconns, sizeof(*conns));
	if (!conns)
		return -1;
	for (i = 0; i < nconns; i++) {
		conns[i].idx = i;
		conns[i].ev_retry = evtimer_new(base, conn_retry_cb, &conns[i]);
		conns[i].ev_deadline = evtimer_new(base, conn_deadline_cb,
		    &conns[i]);
		conn_connect(&conns[i]);
	}
	return jobs_init(base);
}

void
store_shutdown(void)
{
	int i;

	/* from here on nothing new is queued: a batch or group failed below
	 * answers what waits for it instead of starting another */
	schema_ok = 0;
	jobs_shutdown();
	for (i = 0; i < nconns; i++) {
		struct pgconn *c = &conns[i];

		if (c->job) {
			c->job->conn = NULL;
			job_finish_failed(c->job, STORE_UNAVAILABLE);
			c->job = NULL;
		}
		if (c->ev_read)
			event_free(c->ev_read);
		if (c->ev_write)
			event_free(c->ev_write);
		event_free(c->ev_retry);
		event_free(c->ev_deadline);
		if (c->pending)
			PQclear(c->pending);
		exec_forget(c); /* a PREPARE still out keeps its parameters */
		if (c->pg)
			PQfinish(c->pg);
	}
	free(conns);
	conns = NULL;
	nconns = 0;
}
