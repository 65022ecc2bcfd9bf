/*
 * queue_claim.c owns taking callbacks from the index: a caseworker's claim
 * (the first callback of its routing sets, leased atomically by the claim
 * script), the peek at what it would claim next, putting back a claim
 * PostgreSQL did not record, and the leases that ran out. It never
 * decides who may claim what (the handlers check roles and the caseworker
 * record before) and never writes PostgreSQL.
 */
#include <stdio.h>
#include <stdlib.h>

#include "bounds.h"
#include "queue_int.h"

struct claim_call {
	queue_claim_fn *fn;
	void *arg;
};

static void
claim_reply(void *arg, const redisReply *reply)
{
	struct claim_call *cc = arg;
	char id[37];

	if (!reply)
		cc->fn(cc->arg, 0, NULL);
	else if (reply->type == REDIS_REPLY_STRING) {
		queue_id_text(reply, id);
		if (id[0])
			cc->fn(cc->arg, 1, id);
		else
			cc->fn(cc->arg, 0, NULL);
	} else
		cc->fn(cc->arg, 1, NULL);
	free(cc);
}

void
queue_claim(const struct caseworker *cw, const char *token, int64_t until_ms,
    queue_claim_fn *fn, void *arg)
{
	char(*keys)[QUEUE_ROUTE_KEY_MAX] = NULL;
	size_t i = queue_key_caseworker_routes(cw, 1, &keys), t;
	const char **args = calloc(i + 5, sizeof(*args));
	size_t *lens = calloc(i + 5, sizeof(*lens));
	struct claim_call *cc = calloc(1, sizeof(*cc));
	char nkeys[24], until[24];
	packed_id tok;

	if (!i || !args || !lens || !cc || queue_id_pack(token, tok) == -1) {
		free(lens);
		free(keys);
		free(args);
		free(cc);
		fn(arg, 0, NULL);
		return;
	}
	cc->fn = fn;
	cc->arg = arg;
	queue_key(QK_LEASES, keys[i++], sizeof(keys[0]));
	snprintf(nkeys, sizeof(nkeys), "%zu", i);
	args[0] = nkeys;
	for (t = 0; t < i; t++)
		args[1 + t] = keys[t];
	args[1 + i] = queue_key_prefix();
	args[2 + i] = queue_ms_arg(until_ms, until, sizeof(until));
	args[3 + i] = (const char *)tok;
	lens[3 + i] = sizeof(tok);
	queue_script_run(SCRIPT_CLAIM, NULL, claim_reply, cc, (int)(4 + i),
	    args, lens);
	free(keys);
	free(args);
	free(lens);
}

struct peek_call {
	queue_peek_fn *fn;
	void *arg;
};

static void
peek_reply(void *arg, const redisReply *reply)
{
	struct peek_call *pc = arg;
	const char **ids = NULL;
	char(*text)[37] = NULL;
	size_t i, n = 0, max = reply ? reply->elements / 2 + 1 : 0;

	if (reply && reply->type == REDIS_REPLY_ARRAY &&
	    (ids = calloc(max, sizeof(*ids))) &&
	    (text = calloc(max, sizeof(*text)))) {
		for (i = 0; i + 1 < reply->elements; i += 2) {
			queue_id_text(reply->element[i], text[n]);
			if (text[n][0]) {
				ids[n] = text[n];
				n++;
			}
		}
		pc->fn(pc->arg, 1, ids, n);
	} else
		pc->fn(pc->arg, 0, NULL, 0);
	free(text);
	free(ids);
	free(pc);
}

void
queue_peek(const struct caseworker *cw, size_t offset, size_t limit,
    queue_peek_fn *fn, void *arg)
{
	char(*keys)[QUEUE_ROUTE_KEY_MAX] = NULL;
	size_t n = queue_key_caseworker_routes(cw, 0, &keys), t;
	const char **args = calloc(n + 3, sizeof(*args));
	struct peek_call *pc = calloc(1, sizeof(*pc));
	char nkeys[24], off[24], lim[24];

	if (!n || !args || !pc) {
		free(keys);
		free(args);
		free(pc);
		fn(arg, 0, NULL, 0);
		return;
	}
	pc->fn = fn;
	pc->arg = arg;
	snprintf(nkeys, sizeof(nkeys), "%zu", n);
	snprintf(off, sizeof(off), "%zu", offset);
	snprintf(lim, sizeof(lim), "%zu", limit);
	args[0] = nkeys;
	for (t = 0; t < n; t++)
		args[1 + t] = keys[t];
	args[1 + n] = off;
	args[2 + n] = lim;
	queue_script_run(SCRIPT_PEEK, NULL, peek_reply, pc, (int)(3 + n), args,
	    NULL);
	free(keys);
	free(args);
}

void
queue_unclaim(const char *id, const char *token, queue_done_fn *fn, void *arg)
{
	char k_leases[QUEUE_KEY_MAX];
	packed_id pid, ptok;
	const char *args[5] = { "1", k_leases, queue_key_prefix(),
		(const char *)pid, (const char *)ptok };
	const size_t lens[5] = { 0, 0, 0, sizeof(pid), sizeof(ptok) };

	if (queue_id_pack(id, pid) == -1 || queue_id_pack(token, ptok) == -1) {
		if (fn)
			fn(arg, 0);
		return;
	}
	queue_key(QK_LEASES, k_leases, sizeof(k_leases));
	queue_script_run(SCRIPT_UNCLAIM, fn, NULL, arg, 5, args, lens);
}

struct expired_call {
	queue_expired_fn *fn;
	void *arg;
};

static void
expired_reply(redisAsyncContext *ctx, void *r, void *priv)
{
	redisReply *reply = r;
	struct expired_call *ec = priv;
	const char *ids[CBD_SWEEP_BATCH];
	char text[CBD_SWEEP_BATCH][37];
	size_t i, n = 0;

	(void)ctx;
	if (reply && reply->type == REDIS_REPLY_ARRAY)
		for (i = 0; i < reply->elements && n < CBD_SWEEP_BATCH; i++) {
			queue_id_text(reply->element[i], text[n]);
			if (text[n][0]) {
				ids[n] = text[n];
				n++;
			}
		}
	ec->fn(ec->arg, ids, n);
	free(ec);
}

void
queue_expired_leases(int64_t now, queue_expired_fn *fn, void *arg)
{
	struct expired_call *ec;
	char k_leases[QUEUE_KEY_MAX];

	queue_key(QK_LEASES, k_leases, sizeof(k_leases));
	if (!queue_ready() || !(ec = calloc(1, sizeof(*ec)))) {
		fn(arg, NULL, 0);
		return;
	}
	ec->fn = fn;
	ec->arg = arg;
	if (redisAsyncCommand(queue_conn(), expired_reply, ec,
		"ZRANGEBYSCORE %s -inf %lld LIMIT 0 %d", k_leases,
		(long long)now, CBD_SWEEP_BATCH) != REDIS_OK) {
		free(ec);
		fn(arg, NULL, 0);
	}
}
