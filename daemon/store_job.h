#ifndef CBD_STORE_JOB_H
#define CBD_STORE_JOB_H
/*
 * The private interface of the store_*.c files: the job API of the pool
 * (store_jobs.c), the one-statement job and its parameters
 * (store_query.c), row decoding (store_rows.c) and group commit
 * (store_group.c). With store_conn.h it is the only header that includes
 * libpq-fe.h; nothing outside the store includes either.
 */
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "store.h"

/* ---- jobs (store_jobs.c) ---------------------------------------------- */

struct store_job;
typedef void job_step_fn(struct store_job *, PGresult *);

/*
 * A job waits for a connection, then owns it until job_done. start sends
 * its first statement (no result); step gets each statement's result;
 * fail answers its caller when it cannot run (no connection, the
 * connection broke, the statement ran out of time) and destroy frees it.
 */
struct store_job {
	TAILQ_ENTRY(store_job) entry;
	struct pgconn *conn;
	job_step_fn *start; /* connection assigned: send the first statement */
	job_step_fn *step;  /* a result arrived; NULL result: connection lost */
	void (*fail)(struct store_job *, enum store_status);
	void (*destroy)(struct store_job *);
	int64_t queued_ms; /* when it began to wait for a connection */
};

/* Queues a job whose steps are filled in. */
void job_submit(struct store_job *);
/* Fills in a job's steps (destroy: free) and queues it. */
void job_run(struct store_job *, job_step_fn *start, job_step_fn *step,
    void (*fail)(struct store_job *, enum store_status));
void job_free(struct store_job *);
/* Sends the job's next statement; on failure the connection is closed,
 * which fails the job. */
void job_send(struct store_job *, const char *sql, int n,
    const char *const *params);
/* The same for a statement run often: prepared on the connection at its
 * first use there. sql must be a string literal (its address is the key). */
void job_send_prepared(struct store_job *, const char *sql, int n,
    const char *const *params);
/* The job is done with its connection: destroys it. */
void job_done(struct store_job *);
/* 1, and logs the SQLSTATE and first line, when res is not of status want. */
int res_failed(PGresult *res, ExecStatusType want, const char *what);
/* 1 when nobody waits for the answer the completion arg stands for. */
int store_client_gone(void *arg);

/* ---- rows and parameters (store_rows.c) --------------------------------- */

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

void col_str(const PGresult *, int row, int col, char *dst, size_t len);
/* CBD_NO_TIME for NULL */
int64_t col_time(const PGresult *, int row, int col);
/* Reads CB_COLS starting at column first. */
void row_to_callback(const PGresult *, int row, int first, struct callback *);
struct query_job;
/* A query_job answer for one callback row: CB_COLS and one column after
 * them, to done.callback (STORE_NOT_FOUND when no row). */
void callback_row_answer(struct query_job *, enum store_status,
    const PGresult *);
/* NULL for NULL or "" */
const char *str_or_null(const char *);
/* ms in buf, or NULL for CBD_NO_TIME */
const char *time_param(int64_t ms, char *buf, size_t len);
/* '{a,b}' of n items of item_len bytes: identifiers checked by the caller. */
/* '{id,id}' of the ids that are UUIDs (the rest left out), allocated; NULL
 * when out of memory. */
char *uuid_array(const char *const *ids, size_t n);
/* '{1,2}' of n ids, for a bigint[] parameter; NULL: out of memory. */
char *id_array(const int64_t *ids, size_t n);
void array_literal(char *buf, size_t len, const char *items, size_t item_len,
    size_t n);

/* ---- group commit (store_group.c) --------------------------------------- */

struct group_item {
	TAILQ_ENTRY(group_item) entry;
	const char *order; /* kinds that sort: the callback's id */
	void *client;      /* the completion's arg, asked whether anyone still
	               * waits before the item is sent (NULL: not asked) */
};

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
	{ \
		(what_), (sql_), (lane_at_), (json_), (answer_), (fail_), \
		    (alone_), TAILQ_HEAD_INITIALIZER((name).pending), 0, 0 \
	}

#define ITEM_OF(p, type) ((type *)((char *)(p)-offsetof(type, gi)))

/* Queues an item for the next group of its kind; 0, or -1 when the queue
 * is full (the caller answers). */
int group_add(struct group_kind *, struct group_item *);

/* ---- one statement, answered once (store_query.c) ---------------------- */

/*
 * The skeleton of every job that is one statement: its parameters are
 * copied as they are added (the caller may pass stack buffers), and its
 * answer function is called exactly once, with STORE_OK and the result,
 * or with a failure and no result (the statement failed, no connection,
 * out of time or of memory). The caller's completion is in done.
 */
union store_done {
	store_token_fn *token;
	store_callback_fn *callback;
	store_page_fn *page;
	store_change_fn *change;
	store_caseworkers_fn *caseworkers;
	store_cw_saved_fn *cw_saved;
	store_alerts_fn *alerts;
	store_next_fn *next;
	store_table_fn *table;
	store_count_fn *count;
	store_tokens_fn *tokens;
	store_access_fn *access;
};

#define QUERY_PARAMS_MAX 12

struct query_job;
typedef void query_answer_fn(struct query_job *, enum store_status,
    const PGresult *);

struct query_job {
	struct store_job job;
	const char *sql;
	const char *what;    /* for the log: "read callbacks" */
	int prepared;        /* sql is run often: prepared per connection */
	ExecStatusType want; /* PGRES_TUPLES_OK unless set */
	/* a SQLSTATE (prefix) that answers STORE_INVALID, not STORE_FAILED */
	const char *invalid_state;
	int nparams;
	char *params[QUERY_PARAMS_MAX];
	int oom; /* a parameter could not be copied */
	int answered;
	query_answer_fn *answer;
	union store_done done;
	void *arg;
};

/* A job of size bytes (a struct that begins with a query_job). When out
 * of memory, answer gets STORE_UNAVAILABLE before this returns NULL. */
struct query_job *query_new(size_t size, const char *sql, const char *what,
    query_answer_fn *, union store_done, void *arg);
/* Parameters in order: a string (NULL: SQL NULL), a string or NULL when
 * empty, a number, a time (NULL for CBD_NO_TIME), a boolean, and a string
 * the job frees (NULL: out of memory). */
void query_param(struct query_job *, const char *);
void query_param_opt(struct query_job *, const char *);
void query_param_int(struct query_job *, int64_t);
void query_param_time(struct query_job *, int64_t ms);
void query_param_bool(struct query_job *, int);
void query_param_take(struct query_job *, char *);
/* Queues the job, or answers STORE_UNAVAILABLE when a parameter failed. */
void query_submit(struct query_job *);
/* Answers the job now (once), as its statement would. */
void query_answer(struct query_job *, enum store_status, const PGresult *);
/* The job's steps, for a job that also runs otherwise (a group's item). */
void query_init(struct query_job *);
void query_free(struct store_job *);

/* Jobs whose answer is a page of callbacks (CB_COLS), or a table. */
struct query_job *page_new(const char *sql, const char *what, store_page_fn *,
    void *arg);
struct query_job *table_new(const char *sql, store_table_fn *, void *arg);
/* Jobs whose answer is a count: the first column of the first row, or 1
 * when the statement returns no rows. */
struct query_job *count_new(const char *sql, const char *what, store_count_fn *,
    void *arg);

#endif
