/*
 * queue.c owns Redis: the connection through hiredis's libevent adapter,
 * reconnection with back-off, the eviction-policy check, the Lua scripts
 * (embedded, loaded with SCRIPT LOAD, run with EVALSHA, sent again whole on
 * NOSCRIPT) and every key. It never decides what goes into the queue; the
 * handlers and the rebuild tell it. It never stores personal data in Redis.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <hiredis/adapters/libevent.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <openssl/sha.h>

#include "config.h"
#include "embedded.h"
#include "bounds.h"
#include "log.h"
#include "queue.h"
#include "timefmt.h"

enum script_id { SCRIPT_ENQUEUE, SCRIPT_RESET, SCRIPT_COUNT };
static const char *const script_names[SCRIPT_COUNT] = { "enqueue", "reset" };

struct script {
	const char *body;
	char sha[41];
};

static struct script scripts[SCRIPT_COUNT];
static struct event_base *base;
static redisAsyncContext *ac;
static struct event *ev_retry, *ev_check;
static int64_t backoff_ms;
static int connected;    /* the TCP connection is up */
static int usable;       /* connected, set up and noeviction */
static int index_lost_pending; /* rebuild once Redis is usable */
static int policy_warned;
static int index_built;        /* we set the marker since the last loss */
static queue_lost_fn *on_lost;
static char state[160] = "not connected yet";

static void queue_connect(void);

static void
key(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s%s", conf->key_prefix, name);
}

int
queue_ready(void)
{
	return usable;
}

const char *
queue_state(void)
{
	return usable ? "ok" : state;
}

/* ---- script calls ---------------------------------------------------- */

#define SCRIPT_ARGS_MAX 16

struct call {
	enum script_id script;
	int argc;
	char *argv[SCRIPT_ARGS_MAX];
	int resent;
	queue_done_fn *fn;
	void *arg;
};

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
	int ok = 0;

	(void)ctx;
	if (reply && reply->type == REDIS_REPLY_ERROR &&
	    !strncmp(reply->str, "NOSCRIPT", 8) && !c->resent && connected) {
		c->resent = 1;
		call_send(c, 1);
		return;
	}
	if (!reply)
		ok = 0;
	else if (reply->type == REDIS_REPLY_ERROR)
		log_warnx("redis: script %s failed: %s", script_names[c->script],
		    reply->str);
	else
		ok = 1;
	if (c->fn)
		c->fn(c->arg, ok);
	call_free(c);
}

static void
call_send(struct call *c, int whole)
{
	const char *argv[SCRIPT_ARGS_MAX + 1];
	int i;

	argv[0] = whole ? "EVAL" : "EVALSHA";
	argv[1] = whole ? scripts[c->script].body : scripts[c->script].sha;
	for (i = 2; i < c->argc; i++)
		argv[i] = c->argv[i];
	if (!connected || redisAsyncCommandArgv(ac, call_reply, c, c->argc,
	    argv, NULL) != REDIS_OK) {
		if (c->fn)
			c->fn(c->arg, 0);
		call_free(c);
	}
}

/* Runs a script: nkeys keys followed by arguments, all strings. */
static void
script_run(enum script_id id, queue_done_fn *fn, void *arg, int nargs,
    const char *const *args)
{
	struct call *c;
	int i;

	if (!usable || nargs + 3 > SCRIPT_ARGS_MAX || !(c = calloc(1, sizeof(*c)))) {
		if (fn)
			fn(arg, 0);
		return;
	}
	c->script = id;
	c->fn = fn;
	c->arg = arg;
	/* argv: [EVALSHA, sha] filled at send time, then numkeys and args */
	c->argv[0] = NULL;
	c->argv[1] = NULL;
	c->argc = 2;
	for (i = 0; i < nargs; i++)
		c->argv[c->argc++] = strdup(args[i]);
	for (i = 2; i < c->argc; i++) {
		if (!c->argv[i]) {
			if (fn)
				fn(arg, 0);
			call_free(c);
			return;
		}
	}
	call_send(c, 0);
}

void
queue_enqueue(const struct callback *cb, queue_done_fn *fn, void *arg)
{
	char k_ready[96], k_wait[96], k_cb[128], due[24], nb[24], now[24];
	const char *args[13];

	key(k_ready, sizeof(k_ready), "ready");
	key(k_wait, sizeof(k_wait), "waiting");
	snprintf(k_cb, sizeof(k_cb), "%scb:%s", conf->key_prefix, cb->id);
	snprintf(due, sizeof(due), "%lld", (long long)cb->due_at);
	if (cb->not_before == CBD_NO_TIME)
		nb[0] = '\0';
	else
		snprintf(nb, sizeof(nb), "%lld", (long long)cb->not_before);
	snprintf(now, sizeof(now), "%lld", (long long)now_ms());
	args[0] = "3";
	args[1] = k_ready;
	args[2] = k_wait;
	args[3] = k_cb;
	args[4] = cb->id;
	args[5] = due;
	args[6] = nb;
	args[7] = now;
	args[8] = cb->site;
	args[9] = cb->topic;
	args[10] = cb->language;
	args[11] = cb->urgent ? "1" : "0";
	args[12] = cb->assignee;
	script_run(SCRIPT_ENQUEUE, fn, arg, 13, args);
}

void
queue_reset(queue_done_fn *fn, void *arg)
{
	char k_ready[96], k_wait[96], k_index[96];
	const char *args[4] = { "3", k_ready, k_wait, k_index };

	key(k_ready, sizeof(k_ready), "ready");
	key(k_wait, sizeof(k_wait), "waiting");
	key(k_index, sizeof(k_index), "index");
	script_run(SCRIPT_RESET, fn, arg, 4, args);
}

static void
marker_set_reply(redisAsyncContext *ctx, void *r, void *priv)
{
	redisReply *reply = r;
	struct call *c = priv;

	(void)ctx;
	if (reply && reply->type != REDIS_REPLY_ERROR)
		index_built = 1;
	if (c->fn)
		c->fn(c->arg, reply && reply->type != REDIS_REPLY_ERROR);
	free(c);
}

void
queue_mark_built(queue_done_fn *fn, void *arg)
{
	char k_index[96], stamp[24];
	struct call *c;

	key(k_index, sizeof(k_index), "index");
	snprintf(stamp, sizeof(stamp), "%lld", (long long)now_ms());
	if (!usable || !(c = calloc(1, sizeof(*c)))) {
		if (fn)
			fn(arg, 0);
		return;
	}
	c->fn = fn;
	c->arg = arg;
	if (redisAsyncCommand(ac, marker_set_reply, c, "SET %s %s", k_index,
	    stamp) != REDIS_OK) {
		free(c);
		if (fn)
			fn(arg, 0);
	}
}

/* ---- connection ------------------------------------------------------ */

static void
schedule_retry(void)
{
	struct timeval tv;

	backoff_ms = backoff_ms ? backoff_ms * 2 : CBD_RECONNECT_MIN_MS;
	if (backoff_ms > CBD_RECONNECT_MAX_MS)
		backoff_ms = CBD_RECONNECT_MAX_MS;
	tv.tv_sec = backoff_ms / 1000;
	tv.tv_usec = (backoff_ms % 1000) * 1000;
	evtimer_add(ev_retry, &tv);
}

static void
lost(void)
{
	index_lost_pending = 0;
	index_built = 0;
	if (on_lost)
		on_lost();
}

/* Reply to CONFIG GET maxmemory-policy: rule 7, Redis must not evict. */
static void
policy_reply(redisAsyncContext *ctx, void *r, void *priv)
{
	redisReply *reply = r;
	int was = usable;

	(void)ctx;
	(void)priv;
	if (!reply)
		return;
	if (reply->type == REDIS_REPLY_ARRAY && reply->elements == 2 &&
	    reply->element[1]->type == REDIS_REPLY_STRING) {
		const char *policy = reply->element[1]->str;

		if (!strcmp(policy, "noeviction")) {
			usable = 1;
		} else {
			usable = 0;
			snprintf(state, sizeof(state), "redis: maxmemory-policy is %s, "
			    "must be noeviction", policy);
		}
	} else {
		usable = 0;
		snprintf(state, sizeof(state), "redis: cannot read maxmemory-policy: %s",
		    reply->type == REDIS_REPLY_ERROR ? reply->str : "odd reply");
	}
	if (usable && !was) {
		log_info("redis: connected to %s:%lld, queue index usable",
		    conf->redis_host, (long long)conf->redis_port);
		backoff_ms = 0;
		policy_warned = 0;
	} else if (!usable && !policy_warned) {
		log_warnx("%s; the queue index is not used until it is", state);
		policy_warned = 1;
	}
	if (usable && index_lost_pending)
		lost();
}

static void
setup_reply(redisAsyncContext *ctx, void *r, void *priv)
{
	redisReply *reply = r;
	const char *what = priv;

	(void)ctx;
	if (reply && reply->type == REDIS_REPLY_ERROR)
		log_warnx("redis: %s failed: %s", what, reply->str);
}

static void
check_policy(void)
{
	redisAsyncCommand(ac, policy_reply, NULL, "CONFIG GET maxmemory-policy");
}

static void
on_connect(const redisAsyncContext *ctx, int status)
{
	int i;

	if (status != REDIS_OK) {
		snprintf(state, sizeof(state), "redis: cannot connect: %s", ctx->errstr);
		if (backoff_ms >= CBD_RECONNECT_MAX_MS / 2 || backoff_ms == 0)
			log_warnx("%s", state);
		ac = NULL; /* hiredis frees the context after this callback */
		schedule_retry();
		return;
	}
	connected = 1;
	policy_warned = 0;
	index_lost_pending = 1; /* a new connection may be a new, empty Redis */
	if (conf->redis_password[0])
		redisAsyncCommand(ac, setup_reply, "AUTH", "AUTH %s", conf->redis_password);
	if (conf->redis_db)
		redisAsyncCommand(ac, setup_reply, "SELECT", "SELECT %lld",
		    (long long)conf->redis_db);
	for (i = 0; i < SCRIPT_COUNT; i++)
		redisAsyncCommand(ac, setup_reply, "SCRIPT LOAD", "SCRIPT LOAD %s",
		    scripts[i].body);
	check_policy();
}

static void
on_disconnect(const redisAsyncContext *ctx, int status)
{
	(void)ctx;
	ac = NULL;
	if (!connected)
		return; /* queue_shutdown */
	connected = 0;
	usable = 0;
	snprintf(state, sizeof(state), "redis: connection lost%s",
	    status == REDIS_OK ? "" : ": error");
	log_warnx("%s; reconnecting", state);
	schedule_retry();
}

static void
queue_connect(void)
{
	ac = redisAsyncConnect(conf->redis_host, (int)conf->redis_port);
	if (!ac) {
		snprintf(state, sizeof(state), "redis: out of memory");
		schedule_retry();
		return;
	}
	if (ac->err) {
		snprintf(state, sizeof(state), "redis: cannot connect: %s", ac->errstr);
		redisAsyncFree(ac);
		ac = NULL;
		schedule_retry();
		return;
	}
	redisLibeventAttach(ac, base);
	redisAsyncSetConnectCallback(ac, on_connect);
	redisAsyncSetDisconnectCallback(ac, on_disconnect);
}

static void
retry_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	queue_connect();
}

/* The marker is gone: someone flushed Redis, or it restarted empty. */
static void
marker_reply(redisAsyncContext *ctx, void *r, void *priv)
{
	redisReply *reply = r;

	(void)ctx;
	(void)priv;
	/* Only an index we completed can be found lost; until then a
	 * rebuild is pending anyway. */
	if (reply && reply->type == REDIS_REPLY_INTEGER && reply->integer == 0 &&
	    usable && index_built) {
		log_warnx("redis: queue index marker is missing; rebuilding from "
		    "PostgreSQL");
		lost();
	}
}

static void
check_cb(evutil_socket_t fd, short what, void *arg)
{
	char k_index[96];

	(void)fd;
	(void)what;
	(void)arg;
	if (!connected)
		return;
	check_policy();
	if (usable) {
		key(k_index, sizeof(k_index), "index");
		redisAsyncCommand(ac, marker_reply, NULL, "EXISTS %s", k_index);
	}
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
queue_init(struct event_base *b, queue_lost_fn *fn)
{
	const struct embedded_script *s;
	struct timeval tv;
	int i;

	base = b;
	on_lost = fn;
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
	ev_retry = evtimer_new(base, retry_cb, NULL);
	ev_check = event_new(base, -1, EV_PERSIST, check_cb, NULL);
	tv.tv_sec = conf->index_check_ms / 1000;
	tv.tv_usec = (conf->index_check_ms % 1000) * 1000;
	evtimer_add(ev_check, &tv);
	queue_connect();
	return 0;
}

void
queue_shutdown(void)
{
	connected = 0;
	usable = 0;
	if (ac) {
		redisAsyncContext *c = ac;

		ac = NULL;
		redisAsyncFree(c);
	}
	if (ev_retry)
		event_free(ev_retry);
	if (ev_check)
		event_free(ev_check);
	ev_retry = ev_check = NULL;
}
