/*
 * queue_script.c owns the Lua scripts: their embedded bodies and SHA-1s,
 * SCRIPT LOAD on every new connection, and each call: EVALSHA, sent again
 * once whole with EVAL when Redis answers NOSCRIPT (a SCRIPT FLUSH, a
 * restart), a failed script logged by name. It never names a key and
 * never interprets what a script answers; the caller gets the reply.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "bounds.h"
#include "embedded.h"
#include "log.h"
#include "queue_int.h"

static const char *const script_names[SCRIPT_COUNT] = { "sync", "cleanup",
	"claim", "unclaim", "promote", "peek", "alive", "reap" };

struct script {
	const char *body;
	char sha[41];
};

static struct script scripts[SCRIPT_COUNT];

/* EVALSHA, sha, numkeys, keys and arguments: the claim script has the
 * most, one routing set per topic and language plus three. */
#define SCRIPT_ARGS_MAX \
	(CBD_CASEWORKER_TOPICS_MAX * CBD_CASEWORKER_LANGUAGES_MAX + 16)

struct call {
	enum script_id script;
	int argc;
	char *argv[SCRIPT_ARGS_MAX];
	size_t argvlen[SCRIPT_ARGS_MAX];
	int resent;
	queue_done_fn *fn;         /* told only whether it worked, or */
	script_reply_fn *reply_fn; /* given the reply (NULL: failed) */
	void *arg;
};

static void
call_done(struct call *c, const redisReply *reply)
{
	int ok = reply && reply->type != REDIS_REPLY_ERROR;

	if (c->reply_fn)
		c->reply_fn(c->arg, ok ? reply : NULL);
	else if (c->fn)
		c->fn(c->arg, ok);
}

static void call_send(struct call *, int whole);

static void
call_free(struct call *c)
{
	int i;

	for (i = 0; i < c->argc; i++)
		free(c->argv[i]);
	free(c);
}

static void
call_reply(redisAsyncContext *ctx, void *r, void *priv)
{
	redisReply *reply = r;
	struct call *c = priv;

	(void)ctx;
	if (reply && reply->type == REDIS_REPLY_ERROR &&
	    !strncmp(reply->str, "NOSCRIPT", 8) && !c->resent && queue_conn()) {
		c->resent = 1;
		call_send(c, 1);
		return;
	}
	if (reply && reply->type == REDIS_REPLY_ERROR)
		log_warnx("redis: script %s failed: %s",
		    script_names[c->script], reply->str);
	if (reply && reply->type == REDIS_REPLY_ERROR &&
	    !strncmp(reply->str, "READONLY", 8))
		queue_conn_readonly();
	call_done(c, reply);
	call_free(c);
}

static void
call_send(struct call *c, int whole)
{
	redisAsyncContext *ac = queue_conn();
	const char *argv[SCRIPT_ARGS_MAX + 1];
	size_t argvlen[SCRIPT_ARGS_MAX + 1];
	int i;

	argv[0] = whole ? "EVAL" : "EVALSHA";
	argv[1] = whole ? scripts[c->script].body : scripts[c->script].sha;
	argvlen[0] = strlen(argv[0]);
	argvlen[1] = strlen(argv[1]);
	for (i = 2; i < c->argc; i++) {
		argv[i] = c->argv[i];
		argvlen[i] = c->argvlen[i];
	}
	if (!ac ||
	    redisAsyncCommandArgv(ac, call_reply, c, c->argc, argv, argvlen) !=
		REDIS_OK) {
		call_done(c, NULL);
		call_free(c);
	}
}

void
queue_script_run(enum script_id id, queue_done_fn *fn,
    script_reply_fn *reply_fn, void *arg, int nargs, const char *const *args,
    const size_t *lens)
{
	struct call *c;
	int i;

	if (!(c = calloc(1, sizeof(*c))))
		goto fail;
	c->script = id;
	c->fn = fn;
	c->reply_fn = reply_fn;
	c->arg = arg;
	if (!queue_ready() || nargs + 2 > SCRIPT_ARGS_MAX)
		goto fail;
	/* argv[0] and argv[1] (EVALSHA and the sha) are filled at send time */
	c->argc = 2;
	for (i = 0; i < nargs; i++, c->argc++) {
		size_t n = lens && lens[i] ? lens[i] : strlen(args[i]);

		if (!(c->argv[c->argc] = malloc(n + 1)))
			goto fail;
		memcpy(c->argv[c->argc], args[i], n);
		c->argv[c->argc][n] = '\0';
		c->argvlen[c->argc] = n;
	}
	call_send(c, 0);
	return;
fail:
	if (c) {
		call_done(c, NULL);
		call_free(c);
	} else if (reply_fn)
		reply_fn(arg, NULL);
	else if (fn)
		fn(arg, 0);
}

const char *
queue_ms_arg(int64_t ms, char *buf, size_t len)
{
	if (ms == CBD_NO_TIME)
		buf[0] = '\0';
	else
		snprintf(buf, len, "%lld", (long long)ms);
	return buf;
}

static void
sha1_hex(const char *s, char out[41])
{
	unsigned char md[SHA_DIGEST_LENGTH];
	int i;

	SHA1((const unsigned char *)s, strlen(s), md);
	for (i = 0; i < SHA_DIGEST_LENGTH; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

int
queue_script_init(void)
{
	const struct embedded_script *s;
	int i;

	for (i = 0; i < SCRIPT_COUNT; i++) {
		for (s = embedded_scripts; s->name; s++)
			if (!strcmp(s->name, script_names[i]))
				break;
		if (!s->name) {
			log_warnx("redis: script %s.lua is not in this build",
			    script_names[i]);
			return -1;
		}
		scripts[i].body = s->body;
		sha1_hex(s->body, scripts[i].sha);
	}
	return 0;
}

static void
load_reply(redisAsyncContext *ctx, void *r, void *priv)
{
	redisReply *reply = r;

	(void)ctx;
	(void)priv;
	if (reply && reply->type == REDIS_REPLY_ERROR)
		log_warnx("redis: SCRIPT LOAD failed: %s", reply->str);
}

void
queue_script_load(redisAsyncContext *ac)
{
	int i;

	for (i = 0; i < SCRIPT_COUNT; i++)
		redisAsyncCommand(ac, load_reply, NULL, "SCRIPT LOAD %s",
		    scripts[i].body);
}
