/*
 * store_jobs.c owns the life of a job on the pool: the queue where jobs
 * wait for a connection (failed when they wait as long as a statement may
 * run), sending a job's statements (the hot ones prepared once per
 * connection), the deadlines that statements keep or miss, and handing
 * the connection back, rolled back if the job left a transaction open.
 * It holds no SQL of a resource and never touches a connection's socket
 * (store_conn.c does).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include <event2/event.h>
#include <libpq-fe.h>

#include "bounds.h"
#include "config.h"
#include "log.h"
#include "metrics.h"
#include "store.h"
#include "store_conn.h"
#include "store_job.h"
#include "timefmt.h"

static TAILQ_HEAD(, store_job) waiting = TAILQ_HEAD_INITIALIZER(waiting);
static size_t nwaiting;
/* A statement ran past its deadline, and none has answered in time since:
 * /readyz says "slow"; the log says so once, and once when it ends. */
static int slow;
static int64_t late_ms;         /* when the last one did */
static struct event *ev_waited; /* fails jobs that waited too long */

int
jobs_slow(void)
{
	return slow;
}

struct store_job *
jobs_next(void)
{
	struct store_job *job = TAILQ_FIRST(&waiting);

	if (job) {
		TAILQ_REMOVE(&waiting, job, entry);
		nwaiting--;
	}
	return job;
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
void
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
	log_warnx(
	    "postgres: a query ran past %s (statement_timeout; lock_timeout "
	    "%s); answering 503 until queries answer in time again",
	    st, lt);
}

/* A statement answered in time: the episode is over once none has run
 * late for a while, so that the quick queries of other tables that a
 * lock does not hold up do not end it while the lock lasts. */
void
deadline_kept(void)
{
	int64_t quiet = conf->pg_statement_timeout_ms > CBD_PG_SLOW_QUIET_MS ?
	    conf->pg_statement_timeout_ms :
	    CBD_PG_SLOW_QUIET_MS;

	if (!slow || now_ms() - late_ms < quiet)
		return;
	slow = 0;
	log_info("postgres: queries answer in time again");
}

void
job_finish_failed(struct store_job *job, enum store_status st)
{
	job->fail(job, st);
	job->destroy(job);
}

/* Fails every job that waits for a connection when none can come soon. */
void
fail_waiting(void)
{
	struct store_job *job;

	while ((job = TAILQ_FIRST(&waiting))) {
		TAILQ_REMOVE(&waiting, job, entry);
		nwaiting--;
		job_finish_failed(job, STORE_UNAVAILABLE);
	}
}

void
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

/* A connection whose job is done goes back to the pool: after a ROLLBACK
 * when the job left a transaction open (it failed inside one), else at
 * once, to the next job waiting. */
static void
conn_hand_back(struct pgconn *c)
{
	if (PQtransactionStatus(c->pg) != PQTRANS_IDLE) {
		c->state = CONN_ROLLBACK;
		if (conn_send(c, "ROLLBACK", 0, NULL) == -1)
			conn_close(c, "cannot roll back");
		return;
	}
	c->state = CONN_IDLE;
	conn_dispatch();
}

/* The job's statement ran out of time: the job fails as a whole, as on a
 * lost connection, and its callers are told to come back; the server has
 * rolled back what the statement did, and the transaction is ended. */
void
job_timed_out(struct pgconn *c)
{
	struct store_job *job = c->job;

	deadline_missed();
	exec_forget(c);
	c->job = NULL;
	job->conn = NULL;
	job_finish_failed(job, STORE_UNAVAILABLE);
	conn_hand_back(c);
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

int
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
	if (i == c->nprepared &&
	    (i == PREPARED_MAX || n > PREPARED_PARAMS_MAX)) {
		job_send(job, sql, n, params);
		return;
	}
	prepared_name(i, name);
	if (i < c->nprepared) {
		ok = PQsendQueryPrepared(c->pg, name, n, params, NULL, NULL,
			 0) &&
		    conn_flush(c) == 0;
	} else {
		/* the parameters wait with the connection for the PREPARE */
		for (c->exec_n = 0; c->exec_n < n; c->exec_n++)
			if (params[c->exec_n] &&
			    !(c->exec_params[c->exec_n] = strdup(
				  params[c->exec_n]))) {
				exec_forget(c);
				conn_close(c, "out of memory");
				return;
			}
		c->prepared[i] = sql;
		c->preparing = 1;
		ok = PQsendPrepare(c->pg, name, sql, n, NULL) &&
		    conn_flush(c) == 0;
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
	conn_hand_back(c);
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
jobs_init(struct event_base *base)
{
	struct timeval tv;

	if (!(ev_waited = event_new(base, -1, EV_PERSIST, waited_cb, NULL)))
		return -1;
	ms_timeval(CBD_PG_WAITED_CHECK_MS, &tv);
	evtimer_add(ev_waited, &tv);
	return 0;
}

void
jobs_shutdown(void)
{
	fail_waiting();
	if (ev_waited) {
		event_free(ev_waited);
		ev_waited = NULL;
	}
}
