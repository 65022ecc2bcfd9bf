/*
 * store_conn.c owns PostgreSQL at run time: a small pool of non-blocking
 * libpq connections driven by the event loop, reconnection with back-off,
 * the schema check, statement deadlines, prepared statements, and the
 * queue of jobs waiting for a connection. It runs no statement of its own
 * beyond the schema check and ROLLBACK: the SQL of each resource is in its
 * store_*.c. It never blocks the loop and never logs the DETAIL of an
 * error, which may hold personal data.
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
#include <libpq-fe.h>

#include "config.h"
#include "embedded.h"
#include "bounds.h"
#include "log.h"
#include "metrics.h"
#include "store.h"
#include "store_job.h"
#include "timefmt.h"

enum conn_state {
	CONN_DOWN,       /* waiting for the retry timer */
	CONN_CONNECTING, /* PQconnectPoll in progress */
	CONN_CHECKING,   /* reading the schema version */
	CONN_IDLE,
	CONN_BUSY,       /* running a job */
	CONN_ROLLBACK    /* ending a transaction a job left open */
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

int
store_client_gone(void *arg)
{
	return client_gone && client_gone(arg);
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

void
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
void
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
void
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
void
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

void
job_free(struct store_job *j)
{
	free(j);
}

/* Fills in a job's steps and queues it for a connection. */
void
job_run(struct store_job *j, job_step_fn *start, job_step_fn *step,
    void (*fail)(struct store_job *, enum store_status))
{
	j->start = start;
	j->step = step;
	j->fail = fail;
	j->destroy = job_free;
	job_submit(j);
}

/* Logs a failed statement by SQLSTATE and its first line only. */
int
res_failed(PGresult *res, ExecStatusType want, const char *what)
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
