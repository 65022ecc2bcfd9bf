/*
 * queue_rebuild.c owns the rebuild protocol on the Redis side: a rebuild
 * begins by setting a key of its own, which Redis emptied meanwhile no
 * longer holds; it ends by walking the record hashes a step at a time,
 * removing what was not synced since it began, and setting the marker,
 * unless that key is gone (then the end fails, and the index is not
 * called complete). It never reads PostgreSQL and never decides when to
 * rebuild: rebuild.c does both, and syncs the rows through queue_sync().
 */
#include <stdio.h>
#include <stdlib.h>

#include "bounds.h"
#include "log.h"
#include "queue_int.h"
#include "timefmt.h"

/* The key a rebuild in progress holds; gone when Redis was emptied. */
static char k_building[160];

struct begin_call {
	queue_done_fn *fn;
	void *arg;
};

static void
begin_reply(redisAsyncContext *ctx, void *r, void *priv)
{
	redisReply *reply = r;
	struct begin_call *bc = priv;

	(void)ctx;
	bc->fn(bc->arg, reply && reply->type != REDIS_REPLY_ERROR);
	free(bc);
}

void
queue_begin_rebuild(queue_done_fn *fn, void *arg)
{
	struct begin_call *bc;

	queue_key_building(k_building, sizeof(k_building));
	if (!queue_ready() || !(bc = calloc(1, sizeof(*bc)))) {
		fn(arg, 0);
		return;
	}
	bc->fn = fn;
	bc->arg = arg;
	if (redisAsyncCommand(queue_conn(), begin_reply, bc,
		"SET %s 1 EX 86400", k_building) != REDIS_OK) {
		free(bc);
		fn(arg, 0);
	}
}

struct rebuilt_call {
	queue_done_fn *fn;
	void *arg;
	int64_t since;
	int next; /* the first record hash of the next step */
	long long removed;
};

static void cleanup_step(struct rebuilt_call *);

static void
rebuilt_reply(void *arg, const redisReply *reply)
{
	struct rebuilt_call *rc = arg;

	if (reply && reply->type == REDIS_REPLY_INTEGER && reply->integer < 0) {
		log_warnx(
		    "redis: the queue index was emptied while it was being "
		    "rebuilt; rebuilding again");
		reply = NULL;
	} else if (reply && reply->type == REDIS_REPLY_INTEGER)
		rc->removed += reply->integer;
	if (reply && rc->next < RECORD_HASHES) {
		cleanup_step(rc);
		return;
	}
	if (reply) {
		queue_conn_built();
		if (rc->removed > 0)
			log_info(
			    "redis: %lld index entries no longer open in PostgreSQL "
			    "removed",
			    rc->removed);
	}
	if (rc->fn)
		rc->fn(rc->arg, reply != NULL);
	free(rc);
}

static void
cleanup_step(struct rebuilt_call *rc)
{
	char k_wait[QUEUE_KEY_MAX], k_leases[QUEUE_KEY_MAX];
	char k_flag[QUEUE_KEY_MAX], k_index[QUEUE_KEY_MAX];
	char since[24], first[16], count[16], stamp[24];
	const char *args[11] = { "5", k_wait, k_leases, k_flag, k_index,
		k_building, since, queue_key_prefix(), first, count, stamp };

	queue_key(QK_WAITING, k_wait, sizeof(k_wait));
	queue_key(QK_LEASES, k_leases, sizeof(k_leases));
	queue_key(QK_FLAGGED, k_flag, sizeof(k_flag));
	queue_key(QK_INDEX, k_index, sizeof(k_index));
	snprintf(since, sizeof(since), "%lld", (long long)rc->since);
	snprintf(first, sizeof(first), "%d", rc->next);
	snprintf(count, sizeof(count), "%d", CBD_REBUILD_CLEANUP_STEP);
	rc->next += CBD_REBUILD_CLEANUP_STEP;
	if (rc->next >= RECORD_HASHES)
		snprintf(stamp, sizeof(stamp), "%lld", (long long)now_ms());
	else
		stamp[0] = '\0';
	queue_script_run(SCRIPT_CLEANUP, NULL, rebuilt_reply, rc, 11, args,
	    NULL);
}

void
queue_finish_rebuild(int64_t since_ms, queue_done_fn *fn, void *arg)
{
	struct rebuilt_call *rc = calloc(1, sizeof(*rc));

	if (!rc) {
		if (fn)
			fn(arg, 0);
		return;
	}
	rc->fn = fn;
	rc->arg = arg;
	rc->since = since_ms;
	cleanup_step(rc);
}
