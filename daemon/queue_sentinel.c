/*
 * queue_sentinel.c owns the talk with Redis Sentinel ([redis] sentinels):
 * asking the Sentinels in turn which address the master of master_name
 * has (SENTINEL get-master-addr-by-name, each ask bounded by
 * [redis] timeout), and one subscription to +switch-master on one of
 * them, which says at once when a failover gave the master a new
 * address. Both go through hiredis's libevent adapter like the main
 * connection; nothing here blocks. It never talks to the master itself,
 * never decides whether an address is the master's (queue.c checks that
 * with ROLE) and never touches the index.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <hiredis/adapters/libevent.h>

#include "bounds.h"
#include "config.h"
#include "log.h"
#include "queue_int.h"
#include "sentinel.h"
#include "timefmt.h"

static struct event_base *base;
static sentinel_switch_fn *on_switch;

/* The ask going on: its connection, the Sentinel it went to, how many
 * are left to ask, and who wants the answer. One at a time: queue.c asks
 * only while it has no master. */
static redisAsyncContext *ask_ac;
static struct event *ev_ask; /* the ask's deadline */
static size_t ask_at;        /* the Sentinel asked now; the next starts here */
static size_t ask_left;
static sentinel_master_fn *ask_fn;
static char ask_why[160]; /* why the last Sentinel gave no master */

/* The subscription: its connection and when it was begun; ev_sub looks
 * after it every second. */
static redisAsyncContext *sub_ac;
static int sub_connected;
static int64_t sub_began;
static size_t sub_at;
static int sub_warned; /* a refusal was logged; none until one works */
static struct event *ev_sub;

static void ask_next(void);

static const struct redis_addr *
sentinel(size_t i)
{
	return &conf->sentinel[i % conf->nsentinels];
}

static void
auth(redisAsyncContext *c, redisCallbackFn *fn)
{
	if (conf->sentinel_password[0])
		redisAsyncCommand(c, fn, NULL, "AUTH %s",
		    conf->sentinel_password);
}

/* ---- asking for the master ------------------------------------------- */

/* Ends the ask with host:port, or NULL and the reason. */
static void
ask_done(const char *host, int port)
{
	sentinel_master_fn *fn = ask_fn;
	redisAsyncContext *c = ask_ac;

	ask_fn = NULL;
	ask_ac = NULL;
	evtimer_del(ev_ask);
	if (c)
		redisAsyncDisconnect(c); /* our callbacks ignore what follows */
	if (fn)
		fn(host, port, host ? NULL : ask_why);
}

/* This Sentinel gave no master: the next is asked, or the ask fails. */
static void
ask_failed(const char *why)
{
	const struct redis_addr *s = sentinel(ask_at);
	redisAsyncContext *c = ask_ac;

	snprintf(ask_why, sizeof(ask_why), "Sentinel %s:%d: %s", s->host,
	    s->port, why);
	ask_ac = NULL;
	if (c)
		redisAsyncFree(c);
	ask_at = (ask_at + 1) % conf->nsentinels;
	ask_next();
}

static void
ask_reply(redisAsyncContext *c, void *r, void *priv)
{
	redisReply *reply = r;
	char host[sizeof(conf->sentinel[0].host)];
	char *end;
	long port;

	(void)priv;
	if (c != ask_ac || !ask_fn)
		return; /* an ask given up */
	if (!reply) {
		ask_failed("connection lost");
		return;
	}
	if (reply->type == REDIS_REPLY_ERROR) {
		char why[128];

		snprintf(why, sizeof(why), "%.100s", reply->str);
		ask_failed(why);
		return;
	}
	if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 ||
	    reply->element[0]->type != REDIS_REPLY_STRING ||
	    reply->element[1]->type != REDIS_REPLY_STRING ||
	    reply->element[0]->len >= sizeof(host)) {
		ask_failed(reply->type == REDIS_REPLY_NIL ?
			"does not know this master name" :
			"odd reply");
		return;
	}
	port = strtol(reply->element[1]->str, &end, 10);
	if (*end || port < 1 || port > 65535) {
		ask_failed("odd port");
		return;
	}
	memcpy(host, reply->element[0]->str, reply->element[0]->len);
	host[reply->element[0]->len] = '\0';
	ask_done(host, (int)port);
}

static void
ask_auth_reply(redisAsyncContext *c, void *r, void *priv)
{
	redisReply *reply = r;

	(void)priv;
	if (c == ask_ac && ask_fn && reply &&
	    reply->type == REDIS_REPLY_ERROR) {
		char why[128];

		/* said with the ask's outcome, once per reason, by queue.c */
		snprintf(why, sizeof(why), "AUTH failed: %.100s", reply->str);
		ask_failed(why);
	}
}

static void
ask_connected(const redisAsyncContext *c, int status)
{
	if (c != ask_ac)
		return;
	if (status != REDIS_OK) {
		char why[128];

		snprintf(why, sizeof(why), "%.100s", c->errstr);
		ask_ac = NULL; /* hiredis frees it after this callback */
		ask_failed(why);
	}
}

static void
ask_disconnected(const redisAsyncContext *c, int status)
{
	(void)status;
	if (c == ask_ac) {
		ask_ac = NULL; /* hiredis frees it */
		ask_failed("connection lost");
	}
}

static void
ask_timeout(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	if (ask_fn)
		ask_failed("no answer in time");
}

static void
ask_next(void)
{
	const struct redis_addr *s;
	struct timeval tv;

	if (!ask_left) {
		ask_done(NULL, 0);
		return;
	}
	ask_left--;
	s = sentinel(ask_at);
	if (!(ask_ac = redisAsyncConnect(s->host, s->port)) || ask_ac->err) {
		char why[128];

		snprintf(why, sizeof(why), "%.100s",
		    ask_ac ? ask_ac->errstr : "out of memory");
		if (ask_ac)
			redisAsyncFree(ask_ac);
		ask_ac = NULL;
		ask_failed(why);
		return;
	}
	redisLibeventAttach(ask_ac, base);
	redisAsyncSetConnectCallback(ask_ac, ask_connected);
	redisAsyncSetDisconnectCallback(ask_ac, ask_disconnected);
	auth(ask_ac, ask_auth_reply);
	redisAsyncCommand(ask_ac, ask_reply, NULL,
	    "SENTINEL get-master-addr-by-name %s", conf->redis_master_name);
	ms_timeval(conf->redis_timeout_ms, &tv);
	evtimer_add(ev_ask, &tv);
}

void
queue_sentinel_ask(sentinel_master_fn *fn)
{
	if (ask_fn) /* one ask at a time: the one going on answers */
		return;
	ask_fn = fn;
	ask_left = conf->nsentinels;
	ask_why[0] = '\0';
	ask_next();
}

/* ---- following +switch-master ----------------------------------------- */

static void
sub_drop(void)
{
	redisAsyncContext *c = sub_ac;

	sub_ac = NULL;
	sub_connected = 0;
	if (c)
		redisAsyncFree(c);
	sub_at = (sub_at + 1) % conf->nsentinels;
}

/* "+switch-master NAME OLDIP OLDPORT NEWIP NEWPORT" */
static void
sub_message(redisAsyncContext *c, void *r, void *priv)
{
	redisReply *reply = r, *kind, *text;
	char name[sizeof(conf->redis_master_name)],
	    host[sizeof(conf->sentinel[0].host)];
	int port;

	(void)priv;
	if (c != sub_ac || !reply)
		return;
	if (reply->type == REDIS_REPLY_ERROR) {
		if (!sub_warned)
			log_warnx(
			    "redis: Sentinel %s:%d refused the subscription "
			    "to +switch-master: %s; failovers are found on the "
			    "next error instead",
			    sentinel(sub_at)->host, sentinel(sub_at)->port,
			    reply->str);
		sub_warned = 1;
		sub_drop();
		return;
	}
	if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 3)
		return;
	kind = reply->element[0];
	text = reply->element[2];
	if (kind->type == REDIS_REPLY_STRING && !strcmp(kind->str, "subscribe"))
		sub_warned = 0;
	if (kind->type != REDIS_REPLY_STRING || strcmp(kind->str, "message") ||
	    text->type != REDIS_REPLY_STRING)
		return;
	if (sentinel_parse_switch(text->str, name, sizeof(name), host,
		sizeof(host), &port) == -1 ||
	    strcmp(name, conf->redis_master_name))
		return;
	on_switch(host, port);
}

static void
sub_connect_done(const redisAsyncContext *c, int status)
{
	if (c != sub_ac)
		return;
	if (status != REDIS_OK) {
		sub_ac = NULL; /* hiredis frees it */
		sub_connected = 0;
		sub_at = (sub_at + 1) % conf->nsentinels;
		return;
	}
	sub_connected = 1;
}

static void
sub_disconnected(const redisAsyncContext *c, int status)
{
	(void)status;
	if (c != sub_ac)
		return;
	sub_ac = NULL; /* hiredis frees it */
	sub_connected = 0;
	sub_at = (sub_at + 1) % conf->nsentinels;
}

static void
sub_start(void)
{
	const struct redis_addr *s = sentinel(sub_at);

	if (!(sub_ac = redisAsyncConnect(s->host, s->port)) || sub_ac->err) {
		if (sub_ac)
			redisAsyncFree(sub_ac);
		sub_ac = NULL;
		sub_at = (sub_at + 1) % conf->nsentinels;
		return;
	}
	sub_began = now_ms();
	redisLibeventAttach(sub_ac, base);
	redisAsyncSetConnectCallback(sub_ac, sub_connect_done);
	redisAsyncSetDisconnectCallback(sub_ac, sub_disconnected);
	auth(sub_ac, NULL);
	redisAsyncCommand(sub_ac, sub_message, NULL,
	    "SUBSCRIBE +switch-master");
}

/* Every second: a subscription lost is made again with the next
 * Sentinel, one whose connect nobody answers is given up. */
static void
sub_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	if (!sub_ac)
		sub_start();
	else if (!sub_connected &&
	    now_ms() - sub_began >= conf->redis_timeout_ms)
		sub_drop();
}

/* ---- start and stop --------------------------------------------------- */

int
queue_sentinel_init(struct event_base *b, sentinel_switch_fn *fn)
{
	struct timeval tv = { 1, 0 };

	base = b;
	on_switch = fn;
	if (!(ev_ask = evtimer_new(base, ask_timeout, NULL)) ||
	    !(ev_sub = event_new(base, -1, EV_PERSIST, sub_cb, NULL)))
		return -1;
	evtimer_add(ev_sub, &tv);
	sub_start();
	return 0;
}

void
queue_sentinel_free(void)
{
	redisAsyncContext *c;

	ask_fn = NULL;
	if ((c = ask_ac)) {
		ask_ac = NULL;
		redisAsyncFree(c);
	}
	if ((c = sub_ac)) {
		sub_ac = NULL;
		redisAsyncFree(c);
	}
	if (ev_ask)
		event_free(ev_ask);
	if (ev_sub)
		event_free(ev_sub);
	ev_ask = ev_sub = NULL;
}
