#ifndef CBD_STORE_CONN_H
#define CBD_STORE_CONN_H
/*
 * Between the pool (store_conn.c) and the jobs it runs (store_jobs.c)
 * only: a connection, and what each side asks of the other. Nothing else
 * includes it.
 */
#include <stdint.h>

#include <libpq-fe.h>

struct event;
struct event_base;
struct store_job;

enum conn_state {
	CONN_DOWN,       /* waiting for the retry timer */
	CONN_CONNECTING, /* PQconnectPoll in progress */
	CONN_CHECKING,   /* reading the schema version */
	CONN_IDLE,
	CONN_BUSY,    /* running a job */
	CONN_ROLLBACK /* ending a transaction a job left open */
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

/* ---- the pool (store_conn.c) ---- */

/* Starts the deadline of what the connection waits for. */
void conn_arm(struct pgconn *);
/* Sends what libpq still holds: 0, or -1 when the connection broke. */
int conn_flush(struct pgconn *);
/* Sends a statement and arms its deadline: 0, or -1. */
int conn_send(struct pgconn *, const char *sql, int n,
    const char *const *params);
/* Closes a connection (its job fails) and connects again later. */
void conn_close(struct pgconn *, const char *why);
/* Gives idle connections to waiting jobs. */
void conn_dispatch(void);
/* The first line of libpq's message, without the DETAIL that may name
 * values from a row. */
void short_error(const char *msg, char *out, size_t len);

/* ---- the jobs (store_jobs.c) ---- */

int jobs_init(struct event_base *);
/* Fails the waiting jobs and stops their timer. */
void jobs_shutdown(void);
/* The job that waited longest, taken off the queue; NULL: none. */
struct store_job *jobs_next(void);
/* 1 while statements run past their deadline. */
int jobs_slow(void);
void job_finish_failed(struct store_job *, enum store_status);
/* Fails every job that waits for a connection. */
void fail_waiting(void);
/* Forgets the parameters a PREPARE's statement waits with. */
void exec_forget(struct pgconn *);
/* The connection's job ran out of time on the server. */
void job_timed_out(struct pgconn *);
/* The PREPARE of a statement's first use came back: 0 when the statement
 * was sent after it; -1 when it failed, and res is the job's to see. */
int prepared_done(struct pgconn *, PGresult *);
/* A statement ran past its deadline; one answered in time. */
void deadline_missed(void);
void deadline_kept(void);

#endif
