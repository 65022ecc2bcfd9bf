/*
 * store.c owns PostgreSQL at run time: a small pool of non-blocking libpq
 * connections driven by the event loop, a queue of jobs waiting for one,
 * reconnection with back-off, the schema check, and every SQL statement the
 * daemon runs while serving. It never blocks the loop and never logs the
 * DETAIL of an error, which may hold personal data.
 *
 * A job owns one connection from its first statement to its last, so a job
 * may be a transaction. When a job ends with its transaction still open
 * (an error half-way), the connection rolls back before the next job.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include <event2/event.h>
#include <jansson.h>
#include <libpq-fe.h>

#include "cache.h"
#include "config.h"
#include "embedded.h"
#include "bounds.h"
#include "log.h"
#include "metrics.h"
#include "store.h"
#include "validate.h"
#include "timefmt.h"

enum conn_state {
	CONN_DOWN,       /* waiting for the retry timer */
	CONN_CONNECTING, /* PQconnectPoll in progress */
	CONN_CHECKING,   /* reading the schema version */
	CONN_IDLE,
	CONN_BUSY,       /* running a job */
	CONN_ROLLBACK    /* ending a transaction a job left open */
};

struct store_job;
typedef void job_step_fn(struct store_job *, PGresult *);

struct store_job {
	TAILQ_ENTRY(store_job) entry;
	struct pgconn *conn;
	job_step_fn *start;  /* connection assigned: send the first statement */
	job_step_fn *step;   /* a result arrived; NULL result: connection lost */
	void (*fail)(struct store_job *, enum store_status);
	void (*destroy)(struct store_job *);
	int64_t queued_ms; /* when it began to wait for a connection */
};

#define PREPARED_MAX 32
#define PREPARED_PARAMS_MAX 24

struct pgconn {
	int idx;
	enum conn_state state;
	PGconn *pg;
	struct event *ev_read;
	struct event *ev_write;
	struct event *ev_retry;
	struct event *ev_deadline; /* armed while a statement is out */
	int64_t backoff_ms;
	struct store_job *job;
	PGresult *pending; /* the first result of the statement in flight */
	/* hot statements prepared on this connection, by their text (string
	 * literals: the pointer is the key), named "cbdN" by index */
	const char *prepared[PREPARED_MAX];
	int nprepared;
	/* a statement's first use waits for its PREPARE: what to run then */
	int preparing;
	int exec_n;
	char *exec_params[PREPARED_PARAMS_MAX];
};

static TAILQ_HEAD(, store_job) waiting = TAILQ_HEAD_INITIALIZER(waiting);
static size_t nwaiting;
static struct pgconn *conns;
static int nconns;
static struct event_base *base;
static store_fatal_fn *on_fatal;
static char last_error[160] = "not connected yet";
/* What /readyz says: a code, never the server's text (it names hosts and
 * users); the text goes to the log. */
static const char *not_ready = "connecting";
static int schema_ok;
/* A statement ran past its deadline, and none has answered in time since:
 * /readyz says "slow"; the log says so once, and once when it ends. */
static int slow;
static int64_t late_ms; /* when the last one did */
static struct event *ev_waited; /* fails jobs that waited too long */
static store_gone_fn *client_gone;

static void conn_connect(struct pgconn *);
static void conn_dispatch(void);
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
		return slow ? "slow" : "ok";
	return not_ready;
}

void
store_set_gone(store_gone_fn *fn)
{
	client_gone = fn;
}

/* "5 s", or "500 ms" */
static void
ms_words(int64_t ms, char *buf, size_t len)
{
	if (ms % 1000)
		snprintf(buf, len, "%lld ms", (long long)ms);
	else
		snprintf(buf, len, "%lld s", (long long)(ms / 1000));
}

/* A statement ran past its deadline (ours or the server's). */
static void
deadline_missed(void)
{
	char st[32], lt[32];

	metrics_count(M_PG_TIMEOUTS);
	late_ms = now_ms();
	if (slow)
		return;
	slow = 1;
	ms_words(conf->pg_statement_timeout_ms, st, sizeof(st));
	ms_words(conf->pg_lock_timeout_ms, lt, sizeof(lt));
	log_warnx("postgres: a query ran past %s (statement_timeout; lock_timeout "
	    "%s); answering 503 until queries answer in time again", st, lt);
}

/* A statement answered in time: the episode is over once none has run
 * late for a while, so that the quick queries of other tables that a
 * lock does not hold up do not end it while the lock lasts. */
static void
deadline_kept(void)
{
	int64_t quiet = conf->pg_statement_timeout_ms > CBD_PG_SLOW_QUIET_MS ?
	    conf->pg_statement_timeout_ms : CBD_PG_SLOW_QUIET_MS;

	if (!slow || now_ms() - late_ms < quiet)
		return;
	slow = 0;
	log_info("postgres: queries answer in time again");
}

/* How long we wait for a statement, or a connection, before giving up
 * on the connection: the server's statement_timeout should have ended it
 * before, unless the server itself does not answer. */
static void
conn_arm(struct pgconn *c)
{
	struct timeval tv;

	ms_timeval(conf->pg_statement_timeout_ms + CBD_PG_DEADLINE_GRACE_MS, &tv);
	evtimer_add(c->ev_deadline, &tv);
}

static void
job_finish_failed(struct store_job *job, enum store_status st)
{
	job->fail(job, st);
	job->destroy(job);
}

/* Fails every job that waits for a connection when none can come soon. */
static void
fail_waiting(void)
{
	struct store_job *job;

	while ((job = TAILQ_FIRST(&waiting))) {
		TAILQ_REMOVE(&waiting, job, entry);
		nwaiting--;
		job_finish_failed(job, STORE_UNAVAILABLE);
	}
}

static void
conn_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	conn_connect(arg);
}

static int prepared_done(struct pgconn *, PGresult *);

static void
exec_forget(struct pgconn *c)
{
	int i;

	for (i = 0; i < c->exec_n; i++) {
		free(c->exec_params[i]);
		c->exec_params[i] = NULL;
	}
	c->exec_n = 0;
	c->preparing = 0;
}

static void
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
		log_warnx("postgres: connection %d cannot connect: %s", c->idx, why);
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
static void
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
static int
conn_flush(struct pgconn *c)
{
	int r = PQflush(c->pg);

	if (r == 1)
		event_add(c->ev_write, NULL);
	return r == -1 ? -1 : 0;
}

static int
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

	snprintf(st, sizeof(st), "%lld", (long long)conf->pg_statement_timeout_ms);
	snprintf(lt, sizeof(lt), "%lld", (long long)conf->pg_lock_timeout_ms);
	c->state = CONN_CHECKING;
	if (conn_send(c, "SELECT (SELECT coalesce(max(version), 0) FROM "
	    "schema_migrations), set_config('statement_timeout', $1, false), "
	    "set_config('lock_timeout', $2, false)", 2, p) == -1) {
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
		    st == PGRES_POLLING_READING ? EV_READ : EV_WRITE, conn_poll_cb, c);
		event_add(c->ev_read, NULL);
		return;
	case PGRES_POLLING_OK:
		if (PQsetnonblocking(c->pg, 1) == -1) {
			conn_close(c, "cannot make the connection non-blocking");
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
	static const char *const keys[] = { "application_name", "dbname", NULL };
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
	c->ev_read = event_new(base, PQsocket(c->pg), EV_WRITE, conn_poll_cb, c);
	event_add(c->ev_read, NULL);
}

static void
on_schema_result(struct pgconn *c, PGresult *res)
{
	int have = 0, want = store_schema_version();
	char msg[200];

	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
		have = atoi(PQgetvalue(res, 0, 0));
	else if (strcmp(PQresultErrorField(res, PG_DIAG_SQLSTATE) ?
	    PQresultErrorField(res, PG_DIAG_SQLSTATE) : "", "42P01")) {
		char why[120];

		short_error(PQresultErrorMessage(res), why, sizeof(why));
		conn_close(c, why);
		return;
	}
	if (have != want) {
		snprintf(msg, sizeof(msg), "database schema is at version %d, this "
		    "callbackd needs version %d: %s", have, want, have < want ?
		    "run callbackd --migrate" : "run a newer callbackd");
		snprintf(last_error, sizeof(last_error), "schema: version %d, need %d",
		    have, want);
		not_ready = have < want ? "schema_old" : "schema_new";
		schema_ok = 0;
		on_fatal(msg);
		return;
	}
	if (!schema_ok || c->backoff_ms)
		log_info("postgres: connection %d ready (schema version %d)",
		    c->idx, have);
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

/* The job's statement ran out of time: the job fails as a whole, as on a
 * lost connection, and its callers are told to come back; the server has
 * rolled back what the statement did, and the transaction is ended. */
static void
job_timed_out(struct pgconn *c)
{
	struct store_job *job = c->job;

	deadline_missed();
	exec_forget(c);
	c->job = NULL;
	job->conn = NULL;
	job_finish_failed(job, STORE_UNAVAILABLE);
	if (PQtransactionStatus(c->pg) != PQTRANS_IDLE) {
		c->state = CONN_ROLLBACK;
		if (conn_send(c, "ROLLBACK", 0, NULL) == -1)
			conn_close(c, "cannot roll back");
		return;
	}
	c->state = CONN_IDLE;
	conn_dispatch();
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
	    (long long)(conf->pg_statement_timeout_ms + CBD_PG_DEADLINE_GRACE_MS));
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
static void
conn_dispatch(void)
{
	struct store_job *job;
	int i;

	for (i = 0; i < nconns && !TAILQ_EMPTY(&waiting); i++) {
		struct pgconn *c = &conns[i];

		if (c->state != CONN_IDLE)
			continue;
		job = TAILQ_FIRST(&waiting);
		TAILQ_REMOVE(&waiting, job, entry);
		nwaiting--;
		c->state = CONN_BUSY;
		c->job = job;
		job->conn = c;
		job->start(job, NULL);
	}
}

static void
job_submit(struct store_job *job)
{
	if (!store_ready() || nwaiting >= CBD_STORE_QUEUE_MAX) {
		job_finish_failed(job, STORE_UNAVAILABLE);
		return;
	}
	job->queued_ms = now_ms();
	TAILQ_INSERT_TAIL(&waiting, job, entry);
	nwaiting++;
	conn_dispatch();
}

/* A job that waited for a connection as long as a statement may run
 * fails: every connection is held up (a lock, a slow server), and its
 * caller should not wait for a turn that comes later still. */
static void
waited_cb(evutil_socket_t fd, short what, void *arg)
{
	struct store_job *job;
	int64_t now = now_ms();

	(void)fd;
	(void)what;
	(void)arg;
	while ((job = TAILQ_FIRST(&waiting)) &&
	    now - job->queued_ms >= conf->pg_statement_timeout_ms) {
		TAILQ_REMOVE(&waiting, job, entry);
		nwaiting--;
		deadline_missed();
		job_finish_failed(job, STORE_UNAVAILABLE);
	}
}

/* Sends the job's next statement. On failure the connection is closed,
 * which fails the job. */
static void
job_send(struct store_job *job, const char *sql, int n,
    const char *const *params)
{
	struct pgconn *c = job->conn;
	char why[120];

	if (conn_send(c, sql, n, params) == -1) {
		short_error(PQerrorMessage(c->pg), why, sizeof(why));
		conn_close(c, why);
	}
}

static void
prepared_name(int i, char name[16])
{
	snprintf(name, 16, "cbd%d", i);
}

/* The PREPARE of a statement's first use came back. Returns 0 when the
 * statement was sent after it; -1 when the PREPARE failed, and res is
 * the job's to see. */
static int
prepared_done(struct pgconn *c, PGresult *res)
{
	char name[16], why[120];
	int ok = PQresultStatus(res) == PGRES_COMMAND_OK, sent;

	if (!ok) {
		exec_forget(c);
		return -1;
	}
	prepared_name(c->nprepared, name);
	c->nprepared++;
	sent = PQsendQueryPrepared(c->pg, name, c->exec_n,
	    (const char *const *)c->exec_params, NULL, NULL, 0);
	if (sent)
		conn_arm(c);
	sent = sent && conn_flush(c) == 0;
	exec_forget(c);
	if (!sent) {
		short_error(PQerrorMessage(c->pg), why, sizeof(why));
		conn_close(c, why);
	}
	return 0;
}

/* Like job_send, for a statement run often: prepared on the connection
 * at its first use there, so PostgreSQL parses and plans it once per
 * session. sql must be a string literal. */
static void
job_send_prepared(struct store_job *job, const char *sql, int n,
    const char *const *params)
{
	struct pgconn *c = job->conn;
	char name[16], why[120];
	int i, ok;

	for (i = 0; i < c->nprepared && c->prepared[i] != sql; i++)
		;
	if (i == c->nprepared && (i == PREPARED_MAX || n > PREPARED_PARAMS_MAX)) {
		job_send(job, sql, n, params);
		return;
	}
	prepared_name(i, name);
	if (i < c->nprepared) {
		ok = PQsendQueryPrepared(c->pg, name, n, params, NULL, NULL, 0) &&
		    conn_flush(c) == 0;
	} else {
		/* the parameters wait with the connection for the PREPARE */
		for (c->exec_n = 0; c->exec_n < n; c->exec_n++)
			if (params[c->exec_n] && !(c->exec_params[c->exec_n] =
			    strdup(params[c->exec_n]))) {
				exec_forget(c);
				conn_close(c, "out of memory");
				return;
			}
		c->prepared[i] = sql;
		c->preparing = 1;
		ok = PQsendPrepare(c->pg, name, sql, n, NULL) && conn_flush(c) == 0;
	}
	if (ok)
		conn_arm(c);
	if (!ok) {
		short_error(PQerrorMessage(c->pg), why, sizeof(why));
		conn_close(c, why);
	}
}

/* The job is done with its connection. */
static void
job_done(struct store_job *job)
{
	struct pgconn *c = job->conn;

	job->destroy(job);
	if (!c)
		return;
	c->job = NULL;
	if (PQtransactionStatus(c->pg) != PQTRANS_IDLE) {
		c->state = CONN_ROLLBACK;
		if (conn_send(c, "ROLLBACK", 0, NULL) == -1)
			conn_close(c, "cannot roll back");
		return;
	}
	c->state = CONN_IDLE;
	conn_dispatch();
}

/* Logs a failed statement by SQLSTATE and its first line only. */
static int
failed(PGresult *res, ExecStatusType want, const char *what)
{
	char why[120];
	const char *state;

	if (PQresultStatus(res) == want)
		return 0;
	state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	short_error(PQresultErrorMessage(res), why, sizeof(why));
	log_warnx("postgres: %s failed: %s %s", what, state ? state : "-", why);
	return 1;
}

int
store_init(struct event_base *b, store_fatal_fn *fatal_fn)
{
	struct timeval tv;
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
		conns[i].ev_deadline = evtimer_new(base, conn_deadline_cb, &conns[i]);
		conn_connect(&conns[i]);
	}
	ev_waited = event_new(base, -1, EV_PERSIST, waited_cb, NULL);
	ms_timeval(CBD_PG_WAITED_CHECK_MS, &tv);
	evtimer_add(ev_waited, &tv);
	return 0;
}

void
store_shutdown(void)
{
	int i;

	/* from here on nothing new is queued: a batch or group failed below
	 * answers what waits for it instead of starting another */
	schema_ok = 0;
	fail_waiting();
	if (ev_waited) {
		event_free(ev_waited);
		ev_waited = NULL;
	}
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

/* ---- rows ----------------------------------------------------------- */

/* The columns of a callback, in the order row_to_callback reads them,
 * from a relation named c. */
#define CB_COLS \
	"c.id, c.state, c.phone, c.topic, c.site, c.language, c.urgent, " \
	"c.assignee, c.name, c.customer_ref, c.note, c.call_id, " \
	"cbd_ms(c.requested_at), cbd_ms(c.received_at), cbd_ms(c.due_at), " \
	"cbd_ms(c.not_before), cbd_ms(c.not_after), c.request_count, " \
	"cbd_ms(c.created_at), cbd_ms(c.updated_at), c.lease_token, " \
	"cbd_ms(c.lease_until), c.claimed_by, c.attempt_count, c.lapsed_leases, " \
	"c.flagged, cbd_ms(c.first_attempt_at), cbd_ms(c.reached_at), " \
	"cbd_ms(c.closed_at), c.unanswered_count"
#define CB_NCOLS 30

static void
col_str(const PGresult *res, int row, int col, char *dst, size_t len)
{
	snprintf(dst, len, "%s", PQgetisnull(res, row, col) ? "" :
	    PQgetvalue(res, row, col));
}

static int64_t
col_time(const PGresult *res, int row, int col)
{
	if (PQgetisnull(res, row, col))
		return CBD_NO_TIME;
	return strtoll(PQgetvalue(res, row, col), NULL, 10);
}

/* Reads CB_COLS starting at column first. */
static void
row_to_callback(const PGresult *res, int row, int first, struct callback *cb)
{
	int i = first;

	memset(cb, 0, sizeof(*cb));
	col_str(res, row, i++, cb->id, sizeof(cb->id));
	col_str(res, row, i++, cb->state, sizeof(cb->state));
	col_str(res, row, i++, cb->phone, sizeof(cb->phone));
	col_str(res, row, i++, cb->topic, sizeof(cb->topic));
	col_str(res, row, i++, cb->site, sizeof(cb->site));
	col_str(res, row, i++, cb->language, sizeof(cb->language));
	cb->urgent = PQgetvalue(res, row, i++)[0] == 't';
	col_str(res, row, i++, cb->assignee, sizeof(cb->assignee));
	col_str(res, row, i++, cb->name, sizeof(cb->name));
	col_str(res, row, i++, cb->customer_ref, sizeof(cb->customer_ref));
	col_str(res, row, i++, cb->note, sizeof(cb->note));
	col_str(res, row, i++, cb->call_id, sizeof(cb->call_id));
	cb->requested_at = col_time(res, row, i++);
	cb->received_at = col_time(res, row, i++);
	cb->due_at = col_time(res, row, i++);
	cb->not_before = col_time(res, row, i++);
	cb->not_after = col_time(res, row, i++);
	cb->request_count = atoi(PQgetvalue(res, row, i++));
	cb->created_at = col_time(res, row, i++);
	cb->updated_at = col_time(res, row, i++);
	col_str(res, row, i++, cb->lease_token, sizeof(cb->lease_token));
	cb->lease_until = col_time(res, row, i++);
	col_str(res, row, i++, cb->claimed_by, sizeof(cb->claimed_by));
	cb->attempt_count = atoi(PQgetvalue(res, row, i++));
	cb->lapsed_leases = atoi(PQgetvalue(res, row, i++));
	cb->flagged = PQgetvalue(res, row, i++)[0] == 't';
	cb->first_attempt_at = col_time(res, row, i++);
	cb->reached_at = col_time(res, row, i++);
	cb->closed_at = col_time(res, row, i++);
	cb->unanswered_count = atoi(PQgetvalue(res, row, i++));
}

static const char *
str_or_null(const char *s)
{
	return s && *s ? s : NULL;
}

static const char *
time_param(int64_t ms, char *buf, size_t len)
{
	if (ms == CBD_NO_TIME)
		return NULL;
	snprintf(buf, len, "%lld", (long long)ms);
	return buf;
}

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

	if (failed(res, PGRES_TUPLES_OK, "token lookup")) {
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

static void
job_free(struct store_job *j)
{
	free(j);
}

/* Fills in a job's steps and queues it for a connection. */
static void
job_run(struct store_job *j, job_step_fn *start, job_step_fn *step,
    void (*fail)(struct store_job *, enum store_status))
{
	j->start = start;
	j->step = step;
	j->fail = fail;
	j->destroy = job_free;
	job_submit(j);
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

/* ---- group commit ---------------------------------------------------- */

/*
 * Requests of one kind (intake, claims, attempts) that arrive while a
 * group of that kind is in PostgreSQL wait in the kind's queue; the next
 * group takes up to CBD_GROUP_MAX of them into one statement, whose $1 is
 * a JSON array of the items (each with its index "i") and whose first
 * column says which item a row answers, so they share one commit. Nobody
 * is answered before it. Up to half the pool runs groups of a kind at
 * once: another starts when more than lane_at wait for each one running,
 * so a small load keeps one lane and full groups, a large one uses them
 * all.
 */
struct group_item {
	TAILQ_ENTRY(group_item) entry;
	const char *order; /* kinds that sort: the callback's id */
	void *client; /* the completion's arg, asked whether anyone still
	               * waits before the item is sent (NULL: not asked) */
};

/* 1 when nobody waits for the item any more: it is answered (to nobody)
 * instead of being sent, so that no work is committed unseen. */
static int
item_gone(const struct group_item *it)
{
	return it->client && client_gone && client_gone(it->client);
}

struct group_kind {
	const char *what; /* for the log: "claim group" */
	const char *sql;
	size_t lane_at;
	/* the item as JSON, a new reference */
	json_t *(*json)(struct group_item *);
	/* answers the item from row k of res (NULL: the statement gave it no
	 * row) and frees it */
	void (*answer)(struct group_item *, const PGresult *res, int k);
	/* answers the item with a failure and frees it */
	void (*fail)(struct group_item *, enum store_status);
	/* NULL, or runs the item on its own when its group's statement failed,
	 * so that a bad one fails alone */
	void (*alone)(struct group_item *);
	TAILQ_HEAD(, group_item) pending;
	size_t npending;
	int running; /* groups waiting for or using a connection */
};

#define GROUP_KIND(name, what_, sql_, lane_at_, json_, answer_, fail_, alone_) \
	{ (what_), (sql_), (lane_at_), (json_), (answer_), (fail_), (alone_), \
	  TAILQ_HEAD_INITIALIZER((name).pending), 0, 0 }

#define ITEM_OF(p, type) ((type *)((char *)(p) - offsetof(type, gi)))

struct group_job {
	struct store_job job;
	struct group_kind *kind;
	struct group_item *items[CBD_GROUP_MAX];
	size_t n;
	int started;
	int failed;           /* the statement failed */
	enum store_status st; /* for the items not answered */
};

static void group_kick(struct group_kind *);
static struct group_kind claims;

static int
by_order(const void *a, const void *b)
{
	const struct group_item *x = *(struct group_item *const *)a;
	const struct group_item *y = *(struct group_item *const *)b;

	return strcmp(x->order, y->order);
}

static void
group_start(struct store_job *j, PGresult *unused)
{
	struct group_job *g = (struct group_job *)j;
	struct group_kind *k = g->kind;
	struct group_item *it;
	json_t *list = json_array(), *o;
	const char *p[1];
	char *text = NULL;
	size_t i;

	(void)unused;
	g->started = 1;
	while (g->n < CBD_GROUP_MAX && (it = TAILQ_FIRST(&k->pending))) {
		TAILQ_REMOVE(&k->pending, it, entry);
		k->npending--;
		if (item_gone(it))
			k->fail(it, STORE_UNAVAILABLE);
		else
			g->items[g->n++] = it;
	}
	/* in one order, so that two groups never wait for each other's row
	 * locks in a circle */
	if (g->n && g->items[0]->order)
		qsort(g->items, g->n, sizeof(g->items[0]), by_order);
	for (i = 0; list && i < g->n; i++)
		if (!(o = k->json(g->items[i])) ||
		    json_object_set_new(o, "i", json_integer((json_int_t)i)) ||
		    json_array_append_new(list, o))
			break;
	if (list && i == g->n && g->n > 0)
		text = json_dumps(list, JSON_COMPACT);
	json_decref(list);
	if (!text) {
		g->st = STORE_UNAVAILABLE;
		job_done(j); /* the items are answered by group_free */
		return;
	}
	p[0] = text;
	job_send_prepared(j, k->sql, 1, p);
	free(text);
}

static void
group_step(struct store_job *j, PGresult *res)
{
	struct group_job *g = (struct group_job *)j;
	int k, n;
	long i;
	size_t m;

	if (failed(res, PGRES_TUPLES_OK, g->kind->what)) {
		g->failed = 1;
		job_done(j); /* group_free answers the items */
		return;
	}
	n = PQntuples(res);
	for (k = 0; k < n; k++) {
		i = strtol(PQgetvalue(res, k, 0), NULL, 10);
		if (i < 0 || (size_t)i >= g->n || !g->items[i])
			continue;
		g->kind->answer(g->items[i], res, k);
		g->items[i] = NULL;
	}
	for (m = 0; m < g->n; m++)
		if (g->items[m]) {
			g->kind->answer(g->items[m], NULL, 0);
			g->items[m] = NULL;
		}
	job_done(j);
}

static void
group_fail(struct store_job *j, enum store_status st)
{
	((struct group_job *)j)->st = st;
}

/* Answers, or runs alone, what the group did not answer. When it never
 * got a connection, or PostgreSQL is away, the waiting items are answered
 * too, as their own jobs would have been. */
static void
group_free(struct store_job *j)
{
	struct group_job *g = (struct group_job *)j;
	struct group_kind *k = g->kind;
	struct group_item *it;
	int give_up = !g->started || !store_ready();
	size_t i;

	for (i = 0; i < g->n; i++) {
		if (!(it = g->items[i]))
			continue;
		if (g->failed && k->alone)
			k->alone(it);
		else
			k->fail(it, g->st);
	}
	free(g);
	k->running--;
	if (give_up)
		while ((it = TAILQ_FIRST(&k->pending))) {
			TAILQ_REMOVE(&k->pending, it, entry);
			k->npending--;
			k->fail(it, STORE_UNAVAILABLE);
		}
	group_kick(k);
}

static void
group_kick(struct group_kind *k)
{
	int lanes = conf->pg_pool_size / 2 > 0 ? (int)conf->pg_pool_size / 2 : 1;
	struct group_job *g;
	struct group_item *it;

	while (k->running < lanes && (size_t)k->running * k->lane_at < k->npending) {
		if (!(g = calloc(1, sizeof(*g)))) {
			if (k->running == 0) {
				it = TAILQ_FIRST(&k->pending);
				TAILQ_REMOVE(&k->pending, it, entry);
				k->npending--;
				k->fail(it, STORE_UNAVAILABLE);
			}
			return;
		}
		k->running++;
		g->kind = k;
		g->job.start = group_start;
		g->job.step = group_step;
		g->job.fail = group_fail;
		g->job.destroy = group_free;
		g->st = STORE_FAILED;
		job_submit(&g->job);
	}
}

/* Queues an item for the next group of its kind; 0, or -1 when the queue
 * is full (the caller answers). */
static int
group_add(struct group_kind *k, struct group_item *it)
{
	if (k->npending >= CBD_STORE_QUEUE_MAX)
		return -1;
	TAILQ_INSERT_TAIL(&k->pending, it, entry);
	k->npending++;
	group_kick(k);
	return 0;
}

/* ---- intake ---------------------------------------------------------- */

enum intake_step { IN_BEGIN, IN_INTAKE, IN_RAISE, IN_PLAN, IN_COMMIT };

struct intake_job {
	struct store_job job;
	enum intake_step at;
	struct callback req;
	char idem_key[CBD_IDEMPOTENCY_KEY_MAX + 1];
	int64_t scope;
	char actor[64];
	store_plan_fn *plan;
	struct sla_plan sla;
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
	if (client_gone && client_gone(in->arg)) {
		in->fn(in->arg, STORE_UNAVAILABLE, INTAKE_CREATED, NULL);
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
	const char *p[20] = {
		str_or_null(in->idem_key), str_or_null(r->call_id), r->phone,
		r->topic, r->site, r->language, r->urgent ? "t" : "f",
		str_or_null(r->assignee), str_or_null(r->name),
		str_or_null(r->customer_ref), str_or_null(r->note),
		time_param(r->requested_at, t_req, sizeof(t_req)),
		time_param(r->received_at, t_rcv, sizeof(t_rcv)),
		time_param(r->due_at, t_due, sizeof(t_due)),
		time_param(r->not_before, t_nb, sizeof(t_nb)),
		time_param(r->not_after, t_na, sizeof(t_na)),
		in->actor, scope, str_or_null(r->fingerprint),
		r->language_given ? "t" : "f"
	};

	snprintf(scope, sizeof(scope), "%lld", (long long)in->scope);
	in->at = IN_INTAKE;
	job_send(&in->job,
	    "SELECT r.outcome, " CB_COLS " FROM cbd_intake("
	    "array_remove(ARRAY['idem:' || $1, 'call:' || $2], NULL), "
	    "$3, $4, $5, $6, $7::boolean, $8, $9, $10, $11, $2, "
	    "cbd_ts($12::bigint), cbd_ts($13::bigint), cbd_ts($14::bigint), "
	    "cbd_ts($15::bigint), cbd_ts($16::bigint), $17, NULL, $18::bigint, "
	    "$19, $20::boolean) r, "
	    "LATERAL (SELECT (r.cb).*) c", 20, p);
}

/* Plans (or moves) the alerts of the row just written. */
static void
intake_send_plan(struct intake_job *in)
{
	char fracs[CBD_WARN_MAX * 12 + 3], times[CBD_WARN_MAX * 21 + 3], due[24];
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
	job_send(&in->job, "SELECT cbd_alerts_plan($1, $2::numeric[], "
	    "$3::bigint[], cbd_ts($4::bigint))", 4, p);
}

static void
intake_step(struct store_job *j, PGresult *res)
{
	struct intake_job *in = (struct intake_job *)j;
	char due[24];
	const char *p[2];

	switch (in->at) {
	case IN_BEGIN:
		if (failed(res, PGRES_COMMAND_OK, "intake begin"))
			goto broken;
		intake_send(in);
		return;
	case IN_INTAKE:
	case IN_RAISE:
		if (failed(res, PGRES_TUPLES_OK, "intake") || PQntuples(res) != 1)
			goto broken;
		if (in->at == IN_INTAKE &&
		    intake_refused(intake_outcome_parse(PQgetvalue(res, 0, 0)))) {
			/* nothing was written: the answer has no row */
			in->outcome = intake_outcome_parse(PQgetvalue(res, 0, 0));
			in->at = IN_COMMIT;
			job_send(j, "COMMIT", 0, NULL);
			return;
		}
		row_to_callback(res, 0, 1, &in->row);
		if (in->at == IN_INTAKE) {
			const char *o = PQgetvalue(res, 0, 0);

			in->outcome = intake_outcome_parse(o);
			if (in->outcome == INTAKE_CREATED) {
				in->plan(&in->row, &in->sla);
				intake_send_plan(in);
				return;
			}
			if (!strcmp(o, "merged_raised")) {
				in->plan(&in->row, &in->sla);
				snprintf(due, sizeof(due), "%lld",
				    (long long)in->sla.due_at);
				p[0] = in->row.id;
				p[1] = due;
				in->at = IN_RAISE;
				job_send(j, "SELECT r.outcome, " CB_COLS " FROM "
				    "cbd_intake_raise($1, cbd_ts($2::bigint)) r, "
				    "LATERAL (SELECT (r.cb).*) c", 2, p);
				return;
			}
		} else {
			intake_send_plan(in); /* after a raise: move the alerts */
			return;
		}
		in->at = IN_COMMIT;
		job_send(j, "COMMIT", 0, NULL);
		return;
	case IN_PLAN:
		if (failed(res, PGRES_TUPLES_OK, "plan alerts"))
			goto broken;
		in->at = IN_COMMIT;
		job_send(j, "COMMIT", 0, NULL);
		return;
	case IN_COMMIT:
		if (failed(res, PGRES_COMMAND_OK, "intake commit"))
			goto broken;
		in->fn(in->arg, STORE_OK, in->outcome, &in->row);
		in->fn = NULL;
		job_done(j);
		return;
	}
broken:
	in->fn(in->arg, STORE_FAILED, INTAKE_CREATED, NULL);
	in->fn = NULL;
	job_done(j);
}

static void
intake_fail(struct store_job *j, enum store_status st)
{
	struct intake_job *in = (struct intake_job *)j;

	if (in->fn)
		in->fn(in->arg, st, INTAKE_CREATED, NULL);
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
		json_array_append_new(warn, json_pack("[f,I]", in->sla.warn_frac[i],
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
	    "language", r->language, "assignee", OPT_S(r->assignee),
	    "name", OPT_S(r->name), "customer_ref", OPT_S(r->customer_ref),
	    "note", OPT_S(r->note), "call_id", OPT_S(r->call_id),
	    "requested_at", (json_int_t)r->requested_at,
	    "received_at", (json_int_t)r->received_at,
	    "due_at", (json_int_t)in->sla.due_at,
	    "not_before", OPT_T(r->not_before), "not_after", OPT_T(r->not_after),
	    "actor", in->actor, "warn", warn, "alert_at", (json_int_t)alert_at,
	    "scope", (json_int_t)in->scope, "fingerprint", OPT_S(r->fingerprint),
	    "language_given", r->language_given);
#undef OPT_S
#undef OPT_T
}

static void
intake_item_fail(struct group_item *it, enum store_status st)
{
	struct intake_job *in = ITEM_OF(it, struct intake_job);

	in->fn(in->arg, st, INTAKE_CREATED, NULL);
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
	in->fn(in->arg, STORE_OK, outcome, &row);
	free(in);
}

static struct group_kind intakes = GROUP_KIND(intakes, "intake batch",
    "SELECT b.i, b.outcome, " CB_COLS " FROM cbd_intake_batch($1::jsonb) b, "
    "LATERAL (SELECT (b.cb).*) c", CBD_INTAKE_LANE_AT, intake_item_json,
    intake_item_answer, intake_item_fail, NULL);

void
store_intake(const struct callback *req, const char *idem_key,
    int64_t scope, const char *actor, store_plan_fn *plan, store_intake_fn *fn,
    void *arg)
{
	struct intake_job *in;

	if (!(in = calloc(1, sizeof(*in)))) {
		fn(arg, STORE_UNAVAILABLE, INTAKE_CREATED, NULL);
		return;
	}
	in->req = *req;
	snprintf(in->idem_key, sizeof(in->idem_key), "%s", idem_key ? idem_key : "");
	in->scope = scope;
	snprintf(in->actor, sizeof(in->actor), "%s", actor);
	in->plan = plan;
	in->fn = fn;
	in->arg = arg;
	if (req->urgent) {
		job_run(&in->job, intake_start, intake_step, intake_fail);
		return;
	}
	/* a new callback's plan comes from the request alone */
	plan(req, &in->sla);
	in->gi.client = arg;
	if (group_add(&intakes, &in->gi) == -1) {
		free(in);
		fn(arg, STORE_UNAVAILABLE, INTAKE_CREATED, NULL);
	}
}

/* ---- reading callbacks ---------------------------------------------- */

struct read_job {
	struct store_job job;
	char id[37];
	store_callback_fn *one;
	void *arg;
};

static void
get_start(struct store_job *j, PGresult *unused)
{
	struct read_job *r = (struct read_job *)j;
	const char *p[1] = { r->id };

	(void)unused;
	job_send_prepared(j, "SELECT " CB_COLS ", (SELECT coalesce(json_agg(json_build_object("
	    "'at', to_char(a.at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), "
	    "'actor', a.actor, 'result', a.result, 'note', a.note, "
	    "'duration_s', a.duration_s) ORDER BY a.at, a.id), '[]') "
	    "FROM attempts a WHERE a.callback_id = c.id) "
	    "FROM callbacks c WHERE c.id = $1", 1, p);
}

static void
get_step(struct store_job *j, PGresult *res)
{
	struct read_job *r = (struct read_job *)j;
	struct callback cb;

	if (failed(res, PGRES_TUPLES_OK, "read callback"))
		r->one(r->arg, STORE_FAILED, NULL, NULL);
	else if (PQntuples(res) == 0)
		r->one(r->arg, STORE_NOT_FOUND, NULL, NULL);
	else {
		row_to_callback(res, 0, 0, &cb);
		r->one(r->arg, STORE_OK, &cb, PQgetvalue(res, 0, CB_NCOLS));
	}
	r->one = NULL;
	job_done(j);
}

static void
read_fail(struct store_job *j, enum store_status st)
{
	struct read_job *r = (struct read_job *)j;

	if (r->one)
		r->one(r->arg, st, NULL, NULL);
}

void
store_get_callback(const char *id, store_callback_fn *fn, void *arg)
{
	struct read_job *r;

	if (!validate_uuid(id)) {
		fn(arg, STORE_NOT_FOUND, NULL, NULL);
		return;
	}
	if (!(r = calloc(1, sizeof(*r)))) {
		fn(arg, STORE_UNAVAILABLE, NULL, NULL);
		return;
	}
	snprintf(r->id, sizeof(r->id), "%s", id);
	r->one = fn;
	r->arg = arg;
	job_run(&r->job, get_start, get_step, read_fail);
}

/* ---- changes to one callback ----------------------------------------- */

/*
 * A change is one statement that returns (verdict text, CB_COLS) or just
 * CB_COLS. Its parameters are copied, so callers may pass stack buffers.
 * Claims and attempts, the work cycle, are group-committed: a group is
 * one set-wise statement (cbd_claims, cbd_attempts) over its items, in
 * ascending id order; when a group fails, each of its changes runs again
 * on its own.
 */
#define CHANGE_PARAMS_MAX 12

struct change_job {
	struct store_job job;
	const char *sql;
	int nparams;
	char *params[CHANGE_PARAMS_MAX];
	int has_verdict;
	/* grouped: the names its parameters have in the group statement */
	const char *const *names;
	struct group_item gi;
	store_change_fn *fn;
	void *arg;
};

static void
change_free(struct store_job *j)
{
	struct change_job *c = (struct change_job *)j;
	int i;

	for (i = 0; i < c->nparams; i++)
		free(c->params[i]);
	free(c);
}

static void
change_start(struct store_job *j, PGresult *unused)
{
	struct change_job *c = (struct change_job *)j;

	(void)unused;
	job_send_prepared(j, c->sql, c->nparams, (const char *const *)c->params);
}

/* Answers a change from row k of res, whose verdict or CB_COLS start at
 * column first; no res: the change found nothing to change. */
static void
change_answer(struct change_job *c, const PGresult *res, int k, int first)
{
	struct callback cb;
	const char *verdict = "ok";

	if (!res || (c->has_verdict &&
	    !strcmp(PQgetvalue(res, k, first), "not_found"))) {
		c->fn(c->arg, STORE_NOT_FOUND, NULL, NULL);
	} else {
		if (c->has_verdict)
			verdict = PQgetvalue(res, k, first);
		row_to_callback(res, k, first + c->has_verdict, &cb);
		c->fn(c->arg, STORE_OK, verdict, &cb);
	}
	c->fn = NULL;
}

static void
change_step(struct store_job *j, PGresult *res)
{
	struct change_job *c = (struct change_job *)j;

	if (failed(res, PGRES_TUPLES_OK, "change callback")) {
		c->fn(c->arg, STORE_FAILED, NULL, NULL);
		c->fn = NULL;
	} else {
		change_answer(c, PQntuples(res) ? res : NULL, 0, 0);
	}
	job_done(j);
}

static void
change_fail(struct store_job *j, enum store_status st)
{
	struct change_job *c = (struct change_job *)j;

	if (c->fn)
		c->fn(c->arg, st, NULL, NULL);
}

static struct change_job *
change_new(const char *sql, int has_verdict, int n, const char *const *params,
    store_change_fn *fn, void *arg)
{
	struct change_job *c = calloc(1, sizeof(*c));
	int i;

	if (!c || n > CHANGE_PARAMS_MAX)
		goto fail;
	c->sql = sql;
	c->has_verdict = has_verdict;
	c->fn = fn;
	c->arg = arg;
	for (i = 0; i < n; i++, c->nparams++)
		if (params[i] && !(c->params[i] = strdup(params[i])))
			goto fail;
	c->job.start = change_start;
	c->job.step = change_step;
	c->job.fail = change_fail;
	c->job.destroy = change_free;
	return c;
fail:
	if (c)
		change_free(&c->job);
	fn(arg, STORE_UNAVAILABLE, NULL, NULL);
	return NULL;
}

static void
change_run(const char *sql, int has_verdict, int n, const char *const *params,
    store_change_fn *fn, void *arg)
{
	struct change_job *c = change_new(sql, has_verdict, n, params, fn, arg);

	if (c)
		job_submit(&c->job);
}

/* The parameters as a JSON object, each a string or null: the group
 * statement's column types read them as they would read $n. */
static json_t *
change_item_json(struct group_item *it)
{
	const struct change_job *c = ITEM_OF(it, struct change_job);
	json_t *o = json_object();
	int i;

	for (i = 0; o && i < c->nparams; i++)
		if (json_object_set_new(o, c->names[i], c->params[i] ?
		    json_string(c->params[i]) : json_null()) == -1) {
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
	change_free(&c->job);
}

static void
change_item_fail(struct group_item *it, enum store_status st)
{
	struct change_job *c = ITEM_OF(it, struct change_job);

	change_fail(&c->job, st);
	change_free(&c->job);
}

static void
change_item_alone(struct group_item *it)
{
	job_submit(&ITEM_OF(it, struct change_job)->job);
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
	c->gi.order = c->params[0];
	if (k == &claims)
		c->gi.client = arg;
	if (group_add(k, &c->gi) == -1) {
		change_fail(&c->job, STORE_UNAVAILABLE);
		change_free(&c->job);
	}
}

static void array_literal(char *, size_t, const char *, size_t, size_t);

#define VERDICT_ROW(call) \
	"SELECT r.verdict, " CB_COLS " FROM " call " r, " \
	"LATERAL (SELECT (r.cb).*) c"

/* A claim shows the caseworker the caller's data: its access log row is
 * written by the same statement, so no claim is answered without it. */
#define CLAIM_ROUTE "'POST /v1/queue/claim'"
#define CLAIM_SQL \
	"WITH r AS (SELECT " CB_COLS " FROM cbd_claim($1, $2, cbd_ts($3::bigint), " \
	"$4, $5, $6, $7, $8) c), l AS (INSERT INTO access_log (token_id, " \
	"caseworker_id, route, callback_ids) SELECT $9::bigint, $4, " CLAIM_ROUTE \
	", ARRAY[r.id] FROM r) SELECT * FROM r"
static const char *const claim_names[] = {
	"id", "token", "until_ms", "caseworker", "site", "topics", "languages",
	"actor", "token_id"
};

static struct group_kind claims = GROUP_KIND(claims, "claim group",
    "WITH r AS (SELECT x.i, " CB_COLS " FROM cbd_claims($1::jsonb) x, "
    "LATERAL (SELECT (x.cb).*) c), l AS (INSERT INTO access_log (token_id, "
    "caseworker_id, route, callback_ids) SELECT (e->>'token_id')::bigint, "
    "e->>'caseworker', " CLAIM_ROUTE ", ARRAY[r.id] FROM r "
    "JOIN jsonb_array_elements($1::jsonb) e ON (e->>'i')::integer = r.i "
    "ORDER BY r.i) SELECT * FROM r", CBD_GROUP_LANE_AT, change_item_json,
    change_item_answer, change_item_fail, change_item_alone);

#define ATTEMPT_SQL VERDICT_ROW("cbd_attempt($1, $2, $3, $4, $5, $6, " \
	"$7::integer, cbd_ts($8::bigint), $9::bigint, $10::integer)")
static const char *const attempt_names[] = {
	"id", "token", "caseworker", "actor", "result", "note", "duration_s",
	"not_before", "backoff_ms", "max_attempts"
};

static struct group_kind attempts = GROUP_KIND(attempts, "attempt group",
    "SELECT x.i, x.verdict, " CB_COLS " FROM cbd_attempts($1::jsonb) x, "
    "LATERAL (SELECT (x.cb).*) c", CBD_GROUP_LANE_AT, change_item_json,
    change_item_answer, change_item_fail, change_item_alone);

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
	array_literal(topics, sizeof(topics), cw->topics[0], sizeof(cw->topics[0]),
	    cw->ntopics);
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

	if (!validate_uuid(id) || !validate_uuid(token)) {
		fn(arg, STORE_NOT_FOUND, NULL, NULL);
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

	if (!validate_uuid(id) || !validate_uuid(token)) {
		fn(arg, STORE_NOT_FOUND, NULL, NULL);
		return;
	}
	change_run(VERDICT_ROW("cbd_release($1, $2, $3, $4)"), 1, 4, p, fn, arg);
}

void
store_lease_expire(const char *id, int flag_after, store_change_fn *fn, void *arg)
{
	char n[16];
	const char *p[2] = { id, n };

	snprintf(n, sizeof(n), "%d", flag_after);
	change_run("SELECT " CB_COLS " FROM cbd_lease_expire($1, $2::integer) c",
	    0, 2, p, fn, arg);
}

void
store_attempt(const struct attempt_req *a, store_change_fn *fn, void *arg)
{
	char dur[16], nb[24], backoff[24], max[16];
	const char *p[10] = {
		a->id, a->lease_token[0] ? a->lease_token : NULL,
		a->caseworker[0] ? a->caseworker : NULL, a->actor, a->result,
		a->note[0] ? a->note : NULL, NULL, NULL, backoff, max
	};

	if (!validate_uuid(a->id) || (a->lease_token[0] && !validate_uuid(a->lease_token))) {
		fn(arg, STORE_NOT_FOUND, NULL, NULL);
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
	snprintf(backoff, sizeof(backoff), "%lld", (long long)a->backoff_ms);
	snprintf(max, sizeof(max), "%d", a->max_attempts);
	change_group(&attempts, ATTEMPT_SQL, 1, attempt_names, 10, p, fn, arg);
}

void
store_cancel(const char *id, const char *actor, store_change_fn *fn, void *arg)
{
	const char *p[2] = { id, actor };

	if (!validate_uuid(id)) {
		fn(arg, STORE_NOT_FOUND, NULL, NULL);
		return;
	}
	change_run(VERDICT_ROW("cbd_cancel($1, $2)"), 1, 2, p, fn, arg);
}

void
store_unflag(const char *id, const char *actor, store_change_fn *fn, void *arg)
{
	const char *p[2] = { id, actor };

	if (!validate_uuid(id)) {
		fn(arg, STORE_NOT_FOUND, NULL, NULL);
		return;
	}
	change_run(VERDICT_ROW("cbd_unflag($1, $2)"), 1, 2, p, fn, arg);
}

/* ---- caseworkers ---------------------------------------------------- */

#define CW_COLS "w.id, w.site, array_to_string(w.topics, ','), " \
	"array_to_string(w.languages, ','), w.active"

/* Splits "a,b,c" (identifiers, no quoting needed) into fixed slots. */
static size_t
split_list(const char *s, char *slots, size_t slot_len, size_t max)
{
	size_t n = 0, len;

	while (*s && n < max) {
		len = strcspn(s, ",");
		if (len < slot_len) {
			memcpy(slots + n * slot_len, s, len);
			slots[n * slot_len + len] = '\0';
			n++;
		}
		s += len;
		if (*s == ',')
			s++;
	}
	return n;
}

static void
row_to_caseworker(const PGresult *res, int row, struct caseworker *w)
{
	memset(w, 0, sizeof(*w));
	col_str(res, row, 0, w->id, sizeof(w->id));
	col_str(res, row, 1, w->site, sizeof(w->site));
	w->ntopics = split_list(PQgetvalue(res, row, 2), w->topics[0],
	    sizeof(w->topics[0]), CBD_CASEWORKER_TOPICS_MAX);
	w->nlanguages = split_list(PQgetvalue(res, row, 3), w->languages[0],
	    sizeof(w->languages[0]), CBD_CASEWORKER_LANGUAGES_MAX);
	w->active = PQgetvalue(res, row, 4)[0] == 't';
}

/* '{a,b}': the items are identifiers checked by the caller. */
static void
array_literal(char *buf, size_t len, const char *items, size_t item_len,
    size_t n)
{
	size_t i, off = 0;

	off += (size_t)snprintf(buf + off, len - off, "{");
	for (i = 0; i < n && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? "," : "",
		    items + i * item_len);
	if (off < len)
		snprintf(buf + off, len - off, "}");
}

struct cw_job {
	struct store_job job;
	const char *sql;
	int nparams;
	char params[8][1200];
	int null_mask;
	store_caseworkers_fn *fn;
	store_cw_saved_fn *saved; /* a save: fn is NULL */
	void *arg;
};

static void
cw_start(struct store_job *j, PGresult *unused)
{
	struct cw_job *c = (struct cw_job *)j;
	const char *p[8];
	int i;

	(void)unused;
	for (i = 0; i < c->nparams; i++)
		p[i] = c->null_mask & (1 << i) ? NULL : c->params[i];
	job_send(j, c->sql, c->nparams, p);
}

static void
cw_step(struct store_job *j, PGresult *res)
{
	struct cw_job *c = (struct cw_job *)j;
	struct caseworker *list = NULL;
	int i, n;

	if (failed(res, PGRES_TUPLES_OK, "caseworkers")) {
		const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);

		/* a CHECK that the caller's validation should have caught */
		c->fn(c->arg, state && !strncmp(state, "23", 2) ? STORE_NOT_FOUND :
		    STORE_FAILED, NULL, 0);
	} else {
		n = PQntuples(res);
		if (n > 0 && !(list = calloc((size_t)n, sizeof(*list)))) {
			c->fn(c->arg, STORE_UNAVAILABLE, NULL, 0);
		} else {
			for (i = 0; i < n; i++)
				row_to_caseworker(res, i, &list[i]);
			c->fn(c->arg, STORE_OK, list, (size_t)n);
			free(list);
		}
	}
	c->fn = NULL;
	job_done(j);
}

static void
cw_fail(struct store_job *j, enum store_status st)
{
	struct cw_job *c = (struct cw_job *)j;

	if (c->fn)
		c->fn(c->arg, st, NULL, 0);
	if (c->saved)
		c->saved(c->arg, st, NULL, 0, NULL, 0);
}

/* Rows: the caseworker (CW_COLS), then CB_COLS of one released callback
 * per row, all NULL when none was. */
static void
cw_saved_step(struct store_job *j, PGresult *res)
{
	struct cw_job *c = (struct cw_job *)j;
	struct caseworker w;
	struct callback *rel = NULL;
	size_t nrel = 0;
	int i, n;

	if (failed(res, PGRES_TUPLES_OK, "save caseworker")) {
		const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);

		/* a CHECK that the caller's validation should have caught */
		c->saved(c->arg, state && !strncmp(state, "23", 2) ?
		    STORE_NOT_FOUND : STORE_FAILED, NULL, 0, NULL, 0);
	} else if ((n = PQntuples(res)) == 0) {
		c->saved(c->arg, STORE_OK, NULL, 0, NULL, 0);
	} else if (!(rel = calloc((size_t)n, sizeof(*rel)))) {
		c->saved(c->arg, STORE_UNAVAILABLE, NULL, 0, NULL, 0);
	} else {
		row_to_caseworker(res, 0, &w);
		for (i = 0; i < n; i++)
			if (!PQgetisnull(res, i, 5))
				row_to_callback(res, i, 5, &rel[nrel++]);
		c->saved(c->arg, STORE_OK, &w, 1, rel, nrel);
	}
	free(rel);
	c->saved = NULL;
	job_done(j);
}

static struct cw_job *
cw_new(const char *sql, store_caseworkers_fn *fn, void *arg)
{
	struct cw_job *c = calloc(1, sizeof(*c));

	if (!c) {
		fn(arg, STORE_UNAVAILABLE, NULL, 0);
		return NULL;
	}
	c->sql = sql;
	c->fn = fn;
	c->arg = arg;
	return c;
}

static void
cw_profile_params(struct cw_job *c, const struct caseworker *w)
{
	snprintf(c->params[0], sizeof(c->params[0]), "%s", w->id);
	snprintf(c->params[1], sizeof(c->params[1]), "%s", w->site);
	array_literal(c->params[2], sizeof(c->params[2]), w->topics[0],
	    sizeof(w->topics[0]), w->ntopics);
	array_literal(c->params[3], sizeof(c->params[3]), w->languages[0],
	    sizeof(w->languages[0]), w->nlanguages);
	snprintf(c->params[4], sizeof(c->params[4]), "%s", w->active ? "t" : "f");
	c->nparams = 5;
}

/*
 * A caseworker's profile for claims and their queue, remembered for
 * CBD_PROFILE_CACHE_MS: a claim need not read it from PostgreSQL each
 * time. A save through this daemon forgets them all at once (the
 * generation makes a read that began before the save not store what it
 * read); another daemon's save takes effect within that time.
 */
struct profile {
	struct caseworker w;
	size_t n; /* 0: no such caseworker */
};
static struct cache_slot profile_slots[CBD_PROFILE_CACHE_SLOTS];
static struct profile profile_values[CBD_PROFILE_CACHE_SLOTS];
static struct cache profiles = CACHE_INIT(profile_slots, profile_values,
    CBD_PROFILE_CACHE_MS);
static unsigned profiles_gen;

struct profile_call {
	char id[CBD_IDENT_MAX + 1];
	unsigned gen;
	store_caseworkers_fn *fn;
	void *arg;
};

static void
profile_read(void *arg, enum store_status st, const struct caseworker *w,
    size_t n)
{
	struct profile_call *pc = arg;
	struct profile p = { .n = n ? 1 : 0 };

	if (st == STORE_OK && pc->gen == profiles_gen) {
		if (n)
			p.w = *w;
		cache_put(&profiles, pc->id, now_ms(), &p);
	}
	pc->fn(pc->arg, st, w, n);
	free(pc);
}

void
store_caseworker_profile(const char *id, store_caseworkers_fn *fn, void *arg)
{
	struct profile_call *pc;
	struct profile p;

	if (cache_get(&profiles, id, now_ms(), &p) == 0) {
		fn(arg, STORE_OK, p.n ? &p.w : NULL, p.n);
		return;
	}
	if (!(pc = calloc(1, sizeof(*pc)))) {
		fn(arg, STORE_UNAVAILABLE, NULL, 0);
		return;
	}
	snprintf(pc->id, sizeof(pc->id), "%s", id);
	pc->gen = profiles_gen;
	pc->fn = fn;
	pc->arg = arg;
	store_caseworkers(id, profile_read, pc);
}

void
store_caseworker_save(const struct caseworker *w, int create,
    const char *actor, const char *event, store_cw_saved_fn *fn, void *arg)
{
	struct cw_job *c;

	cache_clear(&profiles);
	profiles_gen++;
	if (!(c = calloc(1, sizeof(*c)))) {
		fn(arg, STORE_UNAVAILABLE, NULL, 0, NULL, 0);
		return;
	}
	c->sql = "SELECT " CW_COLS ", " CB_COLS " FROM cbd_caseworker_save("
	    "$6::boolean, $1, $2, $3::text[], $4::text[], $5::boolean, $7, $8) s "
	    "CROSS JOIN LATERAL (SELECT (s.w).*) w "
	    "LEFT JOIN LATERAL unnest(s.released) c ON true ORDER BY c.id";
	c->saved = fn;
	c->arg = arg;
	cw_profile_params(c, w);
	snprintf(c->params[5], sizeof(c->params[5]), "%s", create ? "t" : "f");
	snprintf(c->params[6], sizeof(c->params[6]), "%s", actor);
	snprintf(c->params[7], sizeof(c->params[7]), "%s", event);
	c->nparams = 8;
	job_run(&c->job, cw_start, cw_saved_step, cw_fail);
}

void
store_caseworkers(const char *id, store_caseworkers_fn *fn, void *arg)
{
	struct cw_job *c = cw_new("SELECT " CW_COLS " FROM caseworkers w "
	    "WHERE $1::text IS NULL OR w.id = $1 ORDER BY w.id", fn, arg);

	if (!c)
		return;
	snprintf(c->params[0], sizeof(c->params[0]), "%s", id ? id : "");
	c->null_mask = id ? 0 : 1;
	c->nparams = 1;
	job_run(&c->job, cw_start, cw_step, cw_fail);
}

/* ---- listing callbacks ----------------------------------------------- */

struct list_job {
	struct store_job job;
	char params[11][160];
	char *array; /* '{id,...}' for store_callbacks_by_id */
	char *topics, *languages; /* '{a,b}': whose routing they must match */
	int null_mask;
	store_page_fn *fn;
	void *arg;
};

static void
list_start(struct store_job *j, PGresult *unused)
{
	struct list_job *l = (struct list_job *)j;
	const char *p[11];
	int i;

	(void)unused;
	for (i = 0; i < 11; i++)
		p[i] = l->null_mask & (1 << i) ? NULL : l->params[i];
	/* Keyset pagination on (created_at in ms, id), the cursor's precision:
	 * stable while rows come in. */
	job_send(j, "SELECT " CB_COLS " FROM callbacks c "
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
	    "ORDER BY cbd_ms(c.created_at), c.id LIMIT $7::integer", 11, p);
}

static void
list_step(struct store_job *j, PGresult *res)
{
	struct list_job *l = (struct list_job *)j;
	struct callback *rows = NULL;
	int i, n;

	if (failed(res, PGRES_TUPLES_OK, "read callbacks")) {
		l->fn(l->arg, STORE_FAILED, NULL, 0);
	} else {
		n = PQntuples(res);
		if (n > 0 && !(rows = calloc((size_t)n, sizeof(*rows)))) {
			l->fn(l->arg, STORE_UNAVAILABLE, NULL, 0);
		} else {
			for (i = 0; i < n; i++)
				row_to_callback(res, i, 0, &rows[i]);
			l->fn(l->arg, STORE_OK, rows, (size_t)n);
			free(rows);
		}
	}
	l->fn = NULL;
	job_done(j);
}

static void
list_fail(struct store_job *j, enum store_status st)
{
	struct list_job *l = (struct list_job *)j;

	if (l->fn)
		l->fn(l->arg, st, NULL, 0);
}

void
store_list_callbacks(const struct list_filter *f, store_page_fn *fn, void *arg)
{
	struct list_job *l;
	const char *v[4] = { f->state, f->site, f->topic, f->assignee };
	int i;

	if (f->after_id[0] && !validate_uuid(f->after_id)) {
		fn(arg, STORE_OK, NULL, 0);
		return;
	}
	if (!(l = calloc(1, sizeof(*l)))) {
		fn(arg, STORE_UNAVAILABLE, NULL, 0);
		return;
	}
	for (i = 0; i < 4; i++) {
		snprintf(l->params[i], sizeof(l->params[i]), "%s", v[i]);
		if (!v[i][0])
			l->null_mask |= 1 << i;
	}
	if (f->after_id[0]) {
		snprintf(l->params[4], sizeof(l->params[4]), "%lld",
		    (long long)f->after_created);
		snprintf(l->params[5], sizeof(l->params[5]), "%s", f->after_id);
	} else
		l->null_mask |= (1 << 4) | (1 << 5);
	snprintf(l->params[6], sizeof(l->params[6]), "%zu", f->limit);
	snprintf(l->params[7], sizeof(l->params[7]), "%s", f->phone);
	if (!f->phone[0])
		l->null_mask |= 1 << 7;
	snprintf(l->params[8], sizeof(l->params[8]), "%s", f->customer_ref);
	if (!f->customer_ref[0])
		l->null_mask |= 1 << 8;
	snprintf(l->params[9], sizeof(l->params[9]), "%s", f->flagged ? "t" : "f");
	if (f->flagged < 0)
		l->null_mask |= 1 << 9;
	snprintf(l->params[10], sizeof(l->params[10]), "t");
	if (!f->unclaimable)
		l->null_mask |= 1 << 10;
	l->fn = fn;
	l->arg = arg;
	job_run(&l->job, list_start, list_step, list_fail);
}

static void
open_start(struct store_job *j, PGresult *unused)
{
	struct list_job *l = (struct list_job *)j;
	const char *p[3] = { l->params[0][0] ? l->params[0] : NULL, l->params[1],
		l->params[2][0] ? l->params[2] : NULL };

	(void)unused;
	/* open: closed_at IS NULL, as the index of open callbacks has it */
	job_send(j, "SELECT " CB_COLS " FROM callbacks c "
	    "WHERE c.closed_at IS NULL "
	    "AND ($1::uuid IS NULL OR c.id > $1::uuid) "
	    "AND ($3::bigint IS NULL OR c.updated_at >= cbd_ts($3::bigint)) "
	    "ORDER BY c.id LIMIT $2::integer", 3, p);
}

void
store_open_callbacks(const char *after_id, int64_t since_ms, size_t limit,
    store_page_fn *fn, void *arg)
{
	struct list_job *l = calloc(1, sizeof(*l));

	if (!l) {
		fn(arg, STORE_UNAVAILABLE, NULL, 0);
		return;
	}
	snprintf(l->params[0], sizeof(l->params[0]), "%s", after_id ? after_id : "");
	snprintf(l->params[1], sizeof(l->params[1]), "%zu", limit);
	if (since_ms != CBD_NO_TIME)
		snprintf(l->params[2], sizeof(l->params[2]), "%lld",
		    (long long)since_ms);
	l->fn = fn;
	l->arg = arg;
	job_run(&l->job, open_start, list_step, list_fail);
}

static void
list_free(struct store_job *j)
{
	struct list_job *l = (struct list_job *)j;

	free(l->array);
	free(l->topics);
	free(l->languages);
	free(l);
}

static void
ids_start(struct store_job *j, PGresult *unused)
{
	struct list_job *l = (struct list_job *)j;
	const char *p[5] = { l->array, l->params[0], l->params[1], l->topics,
		l->languages };

	(void)unused;
	/* only what the caseworker may claim, whatever the index says: as
	 * cbd_claims has it */
	job_send(j, "SELECT " CB_COLS " FROM unnest($1::uuid[]) WITH ORDINALITY "
	    "AS k(id, n) JOIN callbacks c ON c.id = k.id "
	    "WHERE c.assignee = $2 OR (c.assignee IS NULL AND c.site = $3 "
	    "AND c.topic = ANY ($4::text[]) AND c.language = ANY ($5::text[])) "
	    "ORDER BY k.n", 5, p);
}

void
store_callbacks_by_id(const char *const *ids, size_t n,
    const struct caseworker *cw, store_page_fn *fn, void *arg)
{
	struct list_job *l;
	size_t i, off = 0, tlen, llen;
	char *buf;

	tlen = CBD_CASEWORKER_TOPICS_MAX * (CBD_IDENT_MAX + 1) + 3;
	llen = CBD_CASEWORKER_LANGUAGES_MAX * (CBD_LANGUAGE_MAX + 1) + 3;
	buf = calloc(n + 1, 40);
	if ((l = calloc(1, sizeof(*l)))) {
		l->topics = malloc(tlen);
		l->languages = malloc(llen);
	}
	if (!buf || !l || !l->topics || !l->languages) {
		free(buf);
		if (l) {
			free(l->topics);
			free(l->languages);
			free(l);
		}
		fn(arg, STORE_UNAVAILABLE, NULL, 0);
		return;
	}
	snprintf(l->params[0], sizeof(l->params[0]), "%s", cw->id);
	snprintf(l->params[1], sizeof(l->params[1]), "%s", cw->site);
	array_literal(l->topics, tlen, cw->topics[0], sizeof(cw->topics[0]),
	    cw->ntopics);
	array_literal(l->languages, llen, cw->languages[0],
	    sizeof(cw->languages[0]), cw->nlanguages);
	/* '{id,id}': ids come from our own index, checked for shape */
	buf[off++] = '{';
	for (i = 0; i < n; i++)
		if (validate_uuid(ids[i]))
			off += (size_t)sprintf(buf + off, "%s%s", off > 1 ? "," : "",
			    ids[i]);
	buf[off++] = '}';
	buf[off] = '\0';
	l->array = buf;
	l->fn = fn;
	l->arg = arg;
	l->job.start = ids_start;
	l->job.step = list_step;
	l->job.fail = list_fail;
	l->job.destroy = list_free;
	job_submit(&l->job);
}

/* ---- alerts ---------------------------------------------------------- */

struct alert_job {
	struct store_job job;
	int kind; /* 0 next, 1 take, 2 sent, 3 list, 4 webhook take, 5 webhook done */
	char params[5][CBD_ALERT_BATCH * 21 + 8];
	int nparams;
	int null_mask;
	store_alerts_fn *fn;
	store_next_fn *next_fn;
	void *arg;
};

#define ALERT_COLS "a.id, a.callback_id, a.level, a.threshold, c.site, c.topic, " \
	"cbd_ms(c.due_at), cbd_ms(a.fire_at), cbd_ms(a.fired_at), cbd_ms(a.sent_at), " \
	"a.reason"
/* The reason of an alert a take returned (unclaimable ones have one),
 * read after the take: see cbd_alert_reason. */
#define ALERT_REASON "cbd_alert_reason(t.id)"

static void
alert_start(struct store_job *j, PGresult *unused)
{
	struct alert_job *a = (struct alert_job *)j;
	const char *p[sizeof(a->params) / sizeof(a->params[0])];
	int i;

	(void)unused;
	for (i = 0; i < a->nparams; i++)
		p[i] = a->null_mask & (1 << i) ? NULL : a->params[i];
	switch (a->kind) {
	case 0:
		job_send(j, "SELECT cbd_ms(least("
		    "(SELECT min(alert_at) FROM callbacks WHERE alert_at IS NOT NULL), "
		    "(SELECT min(send_until) FROM alerts WHERE fired_at IS NOT NULL "
		    "AND sent_at IS NULL AND void_at IS NULL)))", 0, NULL);
		break;
	case 1:
		job_send(j, "SELECT t.id, t.callback_id, t.level, t.threshold, t.site, "
		    "t.topic, cbd_ms(t.due_at), cbd_ms(t.fire_at), NULL, NULL, "
		    ALERT_REASON " FROM cbd_alerts_take($1::integer, "
		    "$2::bigint * interval '1 millisecond') t", 2, p);
		break;
	case 2:
		job_send(j, "UPDATE alerts SET sent_at = now() "
		    "WHERE id = ANY($1::bigint[]) AND sent_at IS NULL", 1, p);
		break;
	case 4:
		job_send(j, "SELECT t.id, t.callback_id, t.level, t.threshold, t.site, "
		    "t.topic, cbd_ms(t.due_at), cbd_ms(t.fire_at), cbd_ms(t.fired_at), "
		    "NULL, " ALERT_REASON " FROM cbd_webhook_take($1::integer, $2::bigint * interval "
		    "'1 millisecond') t", 2, p);
		break;
	case 5:
		job_send(j, "SELECT cbd_webhook_done($1::bigint, $2::boolean)", 2, p);
		break;
	default:
		job_send(j, "SELECT " ALERT_COLS " FROM alerts a "
		    "JOIN callbacks c ON c.id = a.callback_id "
		    "WHERE a.fired_at IS NOT NULL "
		    "AND ($1::bigint IS NULL OR a.fired_at >= cbd_ts($1::bigint)) "
		    "AND ($2::text IS NULL OR a.level = $2) "
		    "AND ($3::text IS NULL OR c.site = $3) "
		    "AND (NOT $5::boolean OR (c.first_attempt_at IS NULL "
		    "AND c.state IN ('queued', 'claimed'))) "
		    "ORDER BY a.fired_at, a.id LIMIT $4::integer", 5, p);
	}
}

static void
alert_step(struct store_job *j, PGresult *res)
{
	struct alert_job *a = (struct alert_job *)j;
	struct alert *list = NULL;
	int i, n;

	if (a->kind == 0) {
		if (failed(res, PGRES_TUPLES_OK, "next alert"))
			a->next_fn(a->arg, STORE_FAILED, CBD_NO_TIME);
		else
			a->next_fn(a->arg, STORE_OK, col_time(res, 0, 0));
		a->next_fn = NULL;
	} else if (a->kind == 2 || a->kind == 5) {
		if (failed(res, a->kind == 2 ? PGRES_COMMAND_OK : PGRES_TUPLES_OK,
		    "alerts delivered"))
			a->fn(a->arg, STORE_FAILED, NULL, 0);
		else
			a->fn(a->arg, STORE_OK, NULL, 0);
		a->fn = NULL;
	} else if (failed(res, PGRES_TUPLES_OK, "alerts")) {
		a->fn(a->arg, STORE_FAILED, NULL, 0);
		a->fn = NULL;
	} else {
		n = PQntuples(res);
		if (n > 0 && !(list = calloc((size_t)n, sizeof(*list)))) {
			a->fn(a->arg, STORE_UNAVAILABLE, NULL, 0);
		} else {
			for (i = 0; i < n; i++) {
				struct alert *al = &list[i];

				al->id = strtoll(PQgetvalue(res, i, 0), NULL, 10);
				col_str(res, i, 1, al->callback_id, sizeof(al->callback_id));
				col_str(res, i, 2, al->level, sizeof(al->level));
				al->threshold = strtod(PQgetvalue(res, i, 3), NULL);
				col_str(res, i, 4, al->site, sizeof(al->site));
				col_str(res, i, 5, al->topic, sizeof(al->topic));
				al->due_at = col_time(res, i, 6);
				al->fire_at = col_time(res, i, 7);
				al->fired_at = col_time(res, i, 8);
				al->sent_at = col_time(res, i, 9);
				col_str(res, i, 10, al->reason, sizeof(al->reason));
			}
			a->fn(a->arg, STORE_OK, list, (size_t)n);
		}
		free(list);
		a->fn = NULL;
	}
	job_done(j);
}

static void
alert_fail(struct store_job *j, enum store_status st)
{
	struct alert_job *a = (struct alert_job *)j;

	if (a->next_fn)
		a->next_fn(a->arg, st, CBD_NO_TIME);
	if (a->fn)
		a->fn(a->arg, st, NULL, 0);
}

static struct alert_job *
alert_job_new(int kind, store_alerts_fn *fn, store_next_fn *next_fn, void *arg)
{
	struct alert_job *a = calloc(1, sizeof(*a));

	if (!a) {
		if (fn)
			fn(arg, STORE_UNAVAILABLE, NULL, 0);
		else
			next_fn(arg, STORE_UNAVAILABLE, CBD_NO_TIME);
		return NULL;
	}
	a->kind = kind;
	a->fn = fn;
	a->next_fn = next_fn;
	a->arg = arg;
	return a;
}

void
store_alerts_next(store_next_fn *fn, void *arg)
{
	struct alert_job *a = alert_job_new(0, NULL, fn, arg);

	if (a)
		job_run(&a->job, alert_start, alert_step, alert_fail);
}

/* Takes alerts for delivery (kind 1: syslog, 4: webhook). */
static void
alerts_take(int kind, size_t limit, int64_t claim_ms, store_alerts_fn *fn,
    void *arg)
{
	struct alert_job *a = alert_job_new(kind, fn, NULL, arg);

	if (!a)
		return;
	snprintf(a->params[0], sizeof(a->params[0]), "%zu", limit);
	snprintf(a->params[1], sizeof(a->params[1]), "%lld", (long long)claim_ms);
	a->nparams = 2;
	job_run(&a->job, alert_start, alert_step, alert_fail);
}

void
store_alerts_take(size_t limit, int64_t claim_ms, store_alerts_fn *fn, void *arg)
{
	alerts_take(1, limit, claim_ms, fn, arg);
}

void
store_alerts_sent(const int64_t *ids, size_t n, store_alerts_fn *fn, void *arg)
{
	struct alert_job *a = alert_job_new(2, fn, NULL, arg);
	size_t i, off = 0;

	if (!a)
		return;
	off += (size_t)snprintf(a->params[0], sizeof(a->params[0]), "{");
	for (i = 0; i < n && i < CBD_ALERT_BATCH; i++)
		off += (size_t)snprintf(a->params[0] + off, sizeof(a->params[0]) - off,
		    "%s%lld", i ? "," : "", (long long)ids[i]);
	snprintf(a->params[0] + off, sizeof(a->params[0]) - off, "}");
	a->nparams = 1;
	job_run(&a->job, alert_start, alert_step, alert_fail);
}

void
store_alerts_list(int64_t since_ms, const char *level, const char *site,
    int waiting_only, size_t limit, store_alerts_fn *fn, void *arg)
{
	struct alert_job *a = alert_job_new(3, fn, NULL, arg);

	if (!a)
		return;
	if (since_ms == CBD_NO_TIME)
		a->null_mask |= 1;
	else
		snprintf(a->params[0], sizeof(a->params[0]), "%lld", (long long)since_ms);
	if (!level || !*level)
		a->null_mask |= 2;
	else
		snprintf(a->params[1], sizeof(a->params[1]), "%s", level);
	if (!site || !*site)
		a->null_mask |= 4;
	else
		snprintf(a->params[2], sizeof(a->params[2]), "%s", site);
	snprintf(a->params[3], sizeof(a->params[3]), "%zu", limit);
	snprintf(a->params[4], sizeof(a->params[4]), "%s", waiting_only ? "t" : "f");
	a->nparams = 5;
	job_run(&a->job, alert_start, alert_step, alert_fail);
}

void
store_webhook_take(size_t limit, int64_t claim_ms, store_alerts_fn *fn, void *arg)
{
	alerts_take(4, limit, claim_ms, fn, arg);
}

void
store_webhook_done(int64_t id, int ok, store_alerts_fn *fn, void *arg)
{
	struct alert_job *a = alert_job_new(5, fn, NULL, arg);

	if (!a)
		return;
	snprintf(a->params[0], sizeof(a->params[0]), "%lld", (long long)id);
	snprintf(a->params[1], sizeof(a->params[1]), "%s", ok ? "t" : "f");
	a->nparams = 2;
	job_run(&a->job, alert_start, alert_step, alert_fail);
}

/* ---- reports ---------------------------------------------------------- */

struct report_job {
	struct store_job job;
	int breaches;
	char from[24], to[24], groups[128], tz[64];
	store_table_fn *fn;
	void *arg;
};

static void
report_start(struct store_job *j, PGresult *unused)
{
	struct report_job *r = (struct report_job *)j;
	const char *p[4] = { r->from, r->to, r->groups, r->tz };

	(void)unused;
	if (r->breaches)
		job_send(j, "SELECT id, site, topic, urgent, state, cbd_iso(requested_at) "
		    "AS requested_at, cbd_iso(due_at) AS due_at, cbd_iso(first_attempt_at) "
		    "AS first_attempt_at, cbd_iso(reached_at) AS reached_at, reason, "
		    "minutes_late FROM cbd_report_breaches(cbd_ts($1::bigint), "
		    "cbd_ts($2::bigint))", 2, p);
	else
		job_send(j, "SELECT * FROM cbd_report_sla(cbd_ts($1::bigint), "
		    "cbd_ts($2::bigint), $3::text[], $4)", 4, p);
}

static void
report_step(struct store_job *j, PGresult *res)
{
	struct report_job *r = (struct report_job *)j;
	struct table t;
	int i, k;

	memset(&t, 0, sizeof(t));
	if (failed(res, PGRES_TUPLES_OK, "report")) {
		const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);

		/* 22023: an unknown time zone name */
		r->fn(r->arg, state && !strcmp(state, "22023") ? STORE_NOT_FOUND :
		    STORE_FAILED, NULL);
		goto done;
	}
	t.ncols = PQnfields(res);
	t.nrows = PQntuples(res);
	t.names = calloc((size_t)t.ncols + 1, sizeof(*t.names));
	t.kinds = calloc((size_t)t.ncols + 1, sizeof(*t.kinds));
	t.cells = calloc((size_t)(t.ncols * t.nrows) + 1, sizeof(*t.cells));
	if (!t.names || !t.kinds || !t.cells) {
		r->fn(r->arg, STORE_UNAVAILABLE, NULL);
		goto done;
	}
	for (k = 0; k < t.ncols; k++) {
		Oid type = PQftype(res, k);

		t.names[k] = PQfname(res, k);
		/* int8, int2, int4, float4, float8, numeric; bool */
		t.kinds[k] = type == 20 || type == 21 || type == 23 || type == 700 ||
		    type == 701 || type == 1700 ? COL_NUMBER : type == 16 ? COL_BOOL :
		    COL_TEXT;
	}
	for (i = 0; i < t.nrows; i++)
		for (k = 0; k < t.ncols; k++)
			t.cells[i * t.ncols + k] = PQgetisnull(res, i, k) ? NULL :
			    PQgetvalue(res, i, k);
	r->fn(r->arg, STORE_OK, &t);
done:
	free(t.names);
	free(t.kinds);
	free(t.cells);
	r->fn = NULL;
	job_done(j);
}

static void
report_fail(struct store_job *j, enum store_status st)
{
	struct report_job *r = (struct report_job *)j;

	if (r->fn)
		r->fn(r->arg, st, NULL);
}

void
store_report(int breaches, int64_t from_ms, int64_t to_ms, const char *groups,
    const char *tz, store_table_fn *fn, void *arg)
{
	struct report_job *r = calloc(1, sizeof(*r));

	if (!r) {
		fn(arg, STORE_UNAVAILABLE, NULL);
		return;
	}
	r->breaches = breaches;
	snprintf(r->from, sizeof(r->from), "%lld", (long long)from_ms);
	snprintf(r->to, sizeof(r->to), "%lld", (long long)to_ms);
	snprintf(r->groups, sizeof(r->groups), "{%s}", groups);
	snprintf(r->tz, sizeof(r->tz), "%s", tz);
	r->fn = fn;
	r->arg = arg;
	job_run(&r->job, report_start, report_step, report_fail);
}

/* The queue gauges of GET /metrics: rows (metric, site, topic, state, value).
 * Alerts waiting: fired but not handed to syslog yet, and those a callback's
 * plan has due (its alert_at has come) that no watchdog has written yet, as
 * while the receiver is down; each with the time it was planned for. */
static void
gauges_start(struct store_job *j, PGresult *unused)
{
	(void)unused;
	job_send(j, "WITH waiting AS (SELECT a.fire_at AS at FROM alerts a "
	    "WHERE a.fired_at IS NOT NULL AND a.sent_at IS NULL AND a.void_at IS NULL "
	    "UNION ALL SELECT x.at FROM callbacks c, LATERAL (SELECT cbd_ts((e->>1)"
	    "::bigint) FROM jsonb_array_elements(coalesce(c.alert_warn, '[]')) e "
	    "UNION ALL SELECT c.due_at) x(at) WHERE c.alert_at <= now() "
	    "AND x.at >= c.alert_at AND x.at <= now()) "
	    "SELECT 'depth' AS metric, site, topic, state, count(*)::float8 "
	    "AS value FROM callbacks WHERE state IN ('queued', 'claimed') "
	    "GROUP BY site, topic, state "
	    "UNION ALL SELECT 'oldest_ready', NULL, NULL, NULL, coalesce(extract("
	    "epoch FROM now() - min(requested_at)), 0)::float8 FROM callbacks "
	    "WHERE state = 'queued' AND NOT flagged "
	    "AND (not_before IS NULL OR not_before <= now()) "
	    "UNION ALL SELECT 'at_risk', NULL, NULL, NULL, "
	    "count(DISTINCT a.callback_id)::float8 FROM alerts a "
	    "JOIN callbacks c ON c.id = a.callback_id WHERE a.level = 'at_risk' "
	    "AND a.fired_at IS NOT NULL AND c.first_attempt_at IS NULL "
	    "AND c.state IN ('queued', 'claimed') AND c.due_at >= now() "
	    "UNION ALL SELECT 'alerts_waiting', NULL, NULL, NULL, count(*)::float8 "
	    "FROM waiting UNION ALL SELECT 'alerts_waiting_oldest', NULL, NULL, NULL, "
	    "coalesce(extract(epoch FROM now() - min(at)), 0)::float8 FROM waiting",
	    0, NULL);
}

void
store_metrics_gauges(store_table_fn *fn, void *arg)
{
	struct report_job *r = calloc(1, sizeof(*r));

	if (!r) {
		fn(arg, STORE_UNAVAILABLE, NULL);
		return;
	}
	r->fn = fn;
	r->arg = arg;
	job_run(&r->job, gauges_start, report_step, report_fail);
}

/* ---- callbacks nobody may claim, topics and sites in use ---------------- */

static void
unclaimable_start(struct store_job *j, PGresult *unused)
{
	(void)unused;
	job_send(j, "SELECT site, topic, unclaimable, alerts "
	    "FROM cbd_unclaimable_check()", 0, NULL);
}

void
store_unclaimable_check(store_table_fn *fn, void *arg)
{
	struct report_job *r = calloc(1, sizeof(*r));

	if (!r) {
		fn(arg, STORE_UNAVAILABLE, NULL);
		return;
	}
	r->fn = fn;
	r->arg = arg;
	job_run(&r->job, unclaimable_start, report_step, report_fail);
}

struct outside_job {
	struct report_job r; /* first: report_step reads it */
	char *names[2];      /* '{topic,...}', '{site,...}' */
};

static void
outside_start(struct store_job *j, PGresult *unused)
{
	struct outside_job *o = (struct outside_job *)j;
	const char *p[2] = { o->names[0], o->names[1] };

	(void)unused;
	job_send(j, "SELECT kind, name, open FROM cbd_open_outside($1::text[], "
	    "$2::text[]) ORDER BY kind DESC, name", 2, p);
}

static void
outside_free(struct store_job *j)
{
	struct outside_job *o = (struct outside_job *)j;

	free(o->names[0]);
	free(o->names[1]);
	free(o);
}

/* '{a,b}' of n names of stride bytes: identifiers, no quoting needed. */
static char *
names_literal(const char *first, size_t stride, size_t n)
{
	char *buf = malloc(n * (CBD_IDENT_MAX + 1) + 3);
	size_t i, off = 0;

	if (!buf)
		return NULL;
	buf[off++] = '{';
	for (i = 0; i < n; i++)
		off += (size_t)sprintf(buf + off, "%s%s", i ? "," : "",
		    first + i * stride);
	buf[off++] = '}';
	buf[off] = '\0';
	return buf;
}

void
store_open_outside(const struct config *c, store_table_fn *fn, void *arg)
{
	struct outside_job *o = calloc(1, sizeof(*o));

	if (!o || !(o->names[0] = names_literal(c->ntopics ? c->topics[0].name :
	    "", sizeof(c->topics[0]), c->ntopics)) ||
	    !(o->names[1] = names_literal(c->nsites ? c->sites[0].name : "",
	    sizeof(c->sites[0]), c->nsites))) {
		if (o)
			free(o->names[0]);
		free(o);
		fn(arg, STORE_UNAVAILABLE, NULL);
		return;
	}
	o->r.fn = fn;
	o->r.arg = arg;
	o->r.job.start = outside_start;
	o->r.job.step = report_step;
	o->r.job.fail = report_fail;
	o->r.job.destroy = outside_free;
	job_submit(&o->r.job);
}

/* ---- retention --------------------------------------------------------- */

static void
expire_start(struct store_job *j, PGresult *unused)
{
	struct list_job *l = (struct list_job *)j;
	const char *p[2] = { l->params[0], l->params[1] };

	(void)unused;
	job_send(j, "SELECT " CB_COLS " FROM cbd_expire($1::bigint * "
	    "interval '1 millisecond', $2::integer) c", 2, p);
}

void
store_expire(int64_t max_open_age_ms, int limit, store_page_fn *fn, void *arg)
{
	struct list_job *l = calloc(1, sizeof(*l));

	if (!l) {
		fn(arg, STORE_UNAVAILABLE, NULL, 0);
		return;
	}
	snprintf(l->params[0], sizeof(l->params[0]), "%lld",
	    (long long)max_open_age_ms);
	snprintf(l->params[1], sizeof(l->params[1]), "%d", limit);
	l->fn = fn;
	l->arg = arg;
	job_run(&l->job, expire_start, list_step, list_fail);
}

struct erase_job {
	struct store_job job;
	char days[16], limit[16];
	store_count_fn *fn;
	void *arg;
};

static void
erase_start(struct store_job *j, PGresult *unused)
{
	struct erase_job *e = (struct erase_job *)j;
	const char *p[2] = { e->days, e->limit };

	(void)unused;
	job_send(j, "SELECT cbd_erase_personal(make_interval(days => $1::integer), "
	    "$2::integer)", 2, p);
}

static void
erase_step(struct store_job *j, PGresult *res)
{
	struct erase_job *e = (struct erase_job *)j;

	if (failed(res, PGRES_TUPLES_OK, "erase personal data"))
		e->fn(e->arg, STORE_FAILED, 0);
	else
		e->fn(e->arg, STORE_OK, atoi(PQgetvalue(res, 0, 0)));
	e->fn = NULL;
	job_done(j);
}

static void
erase_fail(struct store_job *j, enum store_status st)
{
	struct erase_job *e = (struct erase_job *)j;

	if (e->fn)
		e->fn(e->arg, st, 0);
}

void
store_erase_personal(int days, int limit, store_count_fn *fn, void *arg)
{
	struct erase_job *e = calloc(1, sizeof(*e));

	if (!e) {
		fn(arg, STORE_UNAVAILABLE, 0);
		return;
	}
	snprintf(e->days, sizeof(e->days), "%d", days);
	snprintf(e->limit, sizeof(e->limit), "%d", limit);
	e->fn = fn;
	e->arg = arg;
	job_run(&e->job, erase_start, erase_step, erase_fail);
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

	if (failed(res, PGRES_TUPLES_OK, "tokens")) {
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

/* ---- access log ---------------------------------------------------------- */

struct access_job {
	struct store_job job;
	int list;
	char params[5][64];
	int null_mask;
	char *ids; /* '{id,...}' for a record */
	store_count_fn *recorded;
	store_access_fn *fn;
	void *arg;
};

static void
access_free(struct store_job *j)
{
	struct access_job *a = (struct access_job *)j;

	free(a->ids);
	free(a);
}

static void
access_start(struct store_job *j, PGresult *unused)
{
	struct access_job *a = (struct access_job *)j;
	const char *p[5];
	int i;

	(void)unused;
	for (i = 0; i < 5; i++)
		p[i] = a->null_mask & (1 << i) ? NULL : a->params[i];
	if (!a->list) {
		p[3] = a->ids;
		job_send_prepared(j, "INSERT INTO access_log (token_id, caseworker_id, "
		    "route, callback_ids) VALUES ($1::bigint, $2, $3, $4::uuid[])", 4, p);
		return;
	}
	job_send(j, "SELECT id, cbd_iso(at), token_id, coalesce(caseworker_id, ''), "
	    "route, array_to_json(callback_ids)::text FROM access_log "
	    "WHERE ($1::uuid IS NULL OR callback_ids @> ARRAY[$1::uuid]) "
	    "AND ($2::bigint IS NULL OR token_id = $2::bigint) "
	    "AND ($3::bigint IS NULL OR at >= cbd_ts($3::bigint)) "
	    "AND id > $4::bigint ORDER BY id LIMIT $5::integer", 5, p);
}

static void
access_step(struct store_job *j, PGresult *res)
{
	struct access_job *a = (struct access_job *)j;
	struct access_row *rows = NULL;
	int i, n;

	if (!a->list) {
		if (failed(res, PGRES_COMMAND_OK, "access log"))
			a->recorded(a->arg, STORE_FAILED, 0);
		else
			a->recorded(a->arg, STORE_OK, 1);
		a->recorded = NULL;
	} else if (failed(res, PGRES_TUPLES_OK, "read access log")) {
		a->fn(a->arg, STORE_FAILED, NULL, 0);
		a->fn = NULL;
	} else {
		n = PQntuples(res);
		if (n > 0 && !(rows = calloc((size_t)n, sizeof(*rows)))) {
			a->fn(a->arg, STORE_UNAVAILABLE, NULL, 0);
		} else {
			for (i = 0; i < n; i++) {
				rows[i].id = strtoll(PQgetvalue(res, i, 0), NULL, 10);
				col_str(res, i, 1, rows[i].at, sizeof(rows[i].at));
				rows[i].token_id = strtoll(PQgetvalue(res, i, 2), NULL, 10);
				col_str(res, i, 3, rows[i].caseworker_id,
				    sizeof(rows[i].caseworker_id));
				col_str(res, i, 4, rows[i].route, sizeof(rows[i].route));
				rows[i].callback_ids = PQgetvalue(res, i, 5);
			}
			a->fn(a->arg, STORE_OK, rows, (size_t)n);
			free(rows);
		}
		a->fn = NULL;
	}
	job_done(j);
}

static void
access_fail(struct store_job *j, enum store_status st)
{
	struct access_job *a = (struct access_job *)j;

	if (a->recorded)
		a->recorded(a->arg, st, 0);
	if (a->fn)
		a->fn(a->arg, st, NULL, 0);
}

static void
access_run(struct access_job *a)
{
	a->job.start = access_start;
	a->job.step = access_step;
	a->job.fail = access_fail;
	a->job.destroy = access_free;
	job_submit(&a->job);
}

void
store_access_record(int64_t token_id, const char *caseworker,
    const char *route, const char *const *ids, size_t n, store_count_fn *fn,
    void *arg)
{
	struct access_job *a;
	size_t i, off = 0;

	if (!(a = calloc(1, sizeof(*a))) || !(a->ids = calloc(n + 1, 40))) {
		free(a);
		fn(arg, STORE_UNAVAILABLE, 0);
		return;
	}
	/* '{id,id}': the ids of rows just read from PostgreSQL */
	a->ids[off++] = '{';
	for (i = 0; i < n; i++)
		if (validate_uuid(ids[i]))
			off += (size_t)sprintf(a->ids + off, "%s%s", off > 1 ? "," : "",
			    ids[i]);
	a->ids[off++] = '}';
	snprintf(a->params[0], sizeof(a->params[0]), "%lld", (long long)token_id);
	snprintf(a->params[1], sizeof(a->params[1]), "%s", caseworker);
	if (!caseworker[0])
		a->null_mask |= 1 << 1;
	snprintf(a->params[2], sizeof(a->params[2]), "%s", route);
	a->recorded = fn;
	a->arg = arg;
	access_run(a);
}

void
store_access_list(const char *callback_id, int64_t token_id, int64_t since_ms,
    int64_t after_id, size_t limit, store_access_fn *fn, void *arg)
{
	struct access_job *a = calloc(1, sizeof(*a));

	if (!a) {
		fn(arg, STORE_UNAVAILABLE, NULL, 0);
		return;
	}
	a->list = 1;
	snprintf(a->params[0], sizeof(a->params[0]), "%s", callback_id);
	if (!callback_id[0])
		a->null_mask |= 1 << 0;
	snprintf(a->params[1], sizeof(a->params[1]), "%lld", (long long)token_id);
	if (!token_id)
		a->null_mask |= 1 << 1;
	snprintf(a->params[2], sizeof(a->params[2]), "%lld", (long long)since_ms);
	if (since_ms == CBD_NO_TIME)
		a->null_mask |= 1 << 2;
	snprintf(a->params[3], sizeof(a->params[3]), "%lld", (long long)after_id);
	snprintf(a->params[4], sizeof(a->params[4]), "%zu", limit);
	a->fn = fn;
	a->arg = arg;
	access_run(a);
}
