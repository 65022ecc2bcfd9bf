#ifndef CBD_STORE_JOB_H
#define CBD_STORE_JOB_H
/*
 * The private interface of the store_*.c files, and the only header
 * besides them that includes libpq-fe.h: the job API of the pool
 * (store_conn.c), row decoding and parameters (store_rows.c), and group
 * commit (store_group.c). Nothing outside the store includes it.
 */
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "store.h"

/* ---- jobs (store_conn.c) ---------------------------------------------- */

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
	job_step_fn *start;  /* connection assigned: send the first statement */
	job_step_fn *step;   /* a result arrived; NULL result: connection lost */
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
/* NULL for NULL or "" */
const char *str_or_null(const char *);
/* ms in buf, or NULL for CBD_NO_TIME */
const char *time_param(int64_t ms, char *buf, size_t len);
/* '{a,b}' of n items of item_len bytes: identifiers checked by the caller. */
void array_literal(char *buf, size_t len, const char *items, size_t item_len,
    size_t n);

/* ---- group commit (store_group.c) --------------------------------------- */

struct group_item {
	TAILQ_ENTRY(group_item) entry;
	const char *order; /* kinds that sort: the callback's id */
	void *client; /* the completion's arg, asked whether anyone still
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
	{ (what_), (sql_), (lane_at_), (json_), (answer_), (fail_), (alone_), \
	  TAILQ_HEAD_INITIALIZER((name).pending), 0, 0 }

#define ITEM_OF(p, type) ((type *)((char *)(p) - offsetof(type, gi)))

/* Queues an item for the next group of its kind; 0, or -1 when the queue
 * is full (the caller answers). */
int group_add(struct group_kind *, struct group_item *);

/* ---- jobs shared by two families ------------------------------------- */

/* A page of callbacks (store_callbacks.c), also for store_expire. */
struct list_job {
	struct store_job job;
	char params[11][160];
	char *array; /* '{id,...}' for store_callbacks_by_id */
	char *topics, *languages; /* '{a,b}': whose routing they must match */
	int null_mask;
	store_page_fn *fn;
	void *arg;
};
void list_step(struct store_job *, PGresult *);
void list_fail(struct store_job *, enum store_status);

/* A table (store_reports.c), also for the checks of store_unclaimable.c. */
struct report_job {
	struct store_job job;
	int breaches;
	char from[24], to[24], groups[128], tz[64];
	store_table_fn *fn;
	void *arg;
};
void report_step(struct store_job *, PGresult *);
void report_fail(struct store_job *, enum store_status);

#endif
