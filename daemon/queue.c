/*
 * queue.c owns the connection to Redis and its health: connecting through
 * hiredis's libevent adapter, reconnection with back-off, the reply
 * deadline watchdog, the eviction-policy check, the marker check, and
 * calling for a rebuild when the index may have lost entries (a new
 * connection, a missing marker, syncs missed while Redis was not usable).
 * With [redis] sentinels the address comes from queue_sentinel.c, and a
 * connection is used only once ROLE says it reaches the master; a
 * replica, a READONLY answer or +switch-master sends it to the master
 * again. It starts and stops the other queue files. It never names a key, never
 * runs a script itself and never decides what goes into the queue; the
 * handlers and the rebuild tell the queue that. No queue file stores
 * personal data in Redis.
 */
#include <stdio.h>
#include <string.h>

#include <event2/event.h>
#include <hiredis/adapters/libevent.h>

#include "config.h"
#include "bounds.h"
#include "log.h"
#include "metrics.h"
#include "queue.h"
#include "queue_int.h"
#include "timefmt.h"

/* host:port, and room for an IPv6 host */
#define ADDR_MAX 160

static struct event_base *base;
static redisAsyncContext *ac;
static struct event *ev_retry, *ev_check;
/* The reply watchdog: ev_heard marks every byte Redis sends, ev_watch
 * looks a few times per redis_timeout whether a reply is awaited that
 * long without a word from Redis. */
static struct event *ev_heard, *ev_watch;
static int64_t heard_ms;   /* Redis last sent something, or owed nothing */
static int64_t connect_ms; /* when the connection being made was begun */
static int slow;           /* a reply was late; none came in time since */
static int64_t backoff_ms;
static int connected;          /* the TCP connection is up */
static int usable;             /* connected, set up and noeviction */
static int index_lost_pending; /* rebuild once Redis is usable */
static long syncs_missed;      /* syncs not applied since the index was built */
static int policy_warned;
static int index_built; /* we set the marker since the last loss */
static queue_lost_fn *on_lost;
static char state[160] = "not connected yet";
static char addr[ADDR_MAX]; /* where the connection goes */
/* With sentinels: the master ROLE confirmed last ("" none yet), and
 * whether it did on this connection. */
static char master[ADDR_MAX];
static int role_ok;
/* What /readyz says: a code; the text in state goes to the log. */
static const char *not_ready = "connecting";

static void queue_connect(void);

int
queue_ready(void)
{
	return usable;
}

const char *
queue_state(void)
{
	return usable ? "ok" : not_ready;
}

redisAsyncContext *
queue_conn(void)
{
	return connected ? ac : NULL;
}

const char *
queue_master(void)
{
	return conf->nsentinels && master[0] ? master : NULL;
}

/* ---- the reply watchdog ----------------------------------------------- */

static void schedule_retry(void);
static void cannot_connect_timed_out(const char *limit);

static void
heard_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	heard_ms = now_ms();
}

static void
heard_stop(void)
{
	if (ev_heard) {
		event_free(ev_heard);
		ev_heard = NULL;
	}
}

/* Ends the connection (also one being made) at once: every call waiting
 * on it fails; the caller says why and what comes next. */
static void
drop(void)
{
	redisAsyncContext *c = ac;

	if (connected)
		metrics_count(M_REDIS_RECONNECTS);
	connected = 0; /* on_disconnect, called from the free, does nothing */
	usable = 0;
	heard_stop();
	ac = NULL;
	if (c)
		redisAsyncFree(c);
}

/* "2 s", or "500 ms" */
static void
ms_words(int64_t ms, char *buf, size_t len)
{
	if (ms % 1000)
		snprintf(buf, len, "%lld ms", (long long)ms);
	else
		snprintf(buf, len, "%lld s", (long long)(ms / 1000));
}

/* A reply is overdue: Redis is stalled (a long script, DEBUG SLEEP, a
 * stopped process, a dead peer). Freeing the connection fails every
 * pending call at once (hiredis calls each with no reply); the usual
 * back-off connects again, and the new connection rebuilds the index. */
static void
stalled(void)
{
	redisAsyncContext *c = ac;
	char limit[32];

	metrics_count(M_REDIS_TIMEOUTS);
	ms_words(conf->redis_timeout_ms, limit, sizeof(limit));
	snprintf(state, sizeof(state), "redis: no reply within %s", limit);
	if (!slow)
		log_warnx("%s; dropping the connection, failing what waits for "
			  "it and reconnecting",
		    state);
	slow = 1;
	connected = 0; /* on_disconnect, called from the free, does nothing */
	usable = 0;
	not_ready = "slow";
	heard_stop();
	ac = NULL;
	redisAsyncFree(c);
	schedule_retry();
}

static void
watch_cb(evutil_socket_t fd, short what, void *arg)
{
	int64_t now = now_ms();

	(void)fd;
	(void)what;
	(void)arg;
	if (ac && !connected && now - connect_ms >= conf->redis_timeout_ms) {
		/* a connect nobody answers (hiredis has no timeout for it):
		 * given up like any other, and tried again */
		redisAsyncContext *c = ac;
		char limit[32];

		metrics_count(M_REDIS_TIMEOUTS);
		ms_words(conf->redis_timeout_ms, limit, sizeof(limit));
		ac = NULL;
		redisAsyncFree(c); /* not connected: no callback of ours runs */
		cannot_connect_timed_out(limit);
		schedule_retry();
		return;
	}
	if (!connected || !ac || !ac->replies.head) {
		heard_ms = now; /* nothing owed: the clock starts again */
		return;
	}
	if (now - heard_ms >= conf->redis_timeout_ms)
		stalled();
}

/* ---- connection ------------------------------------------------------- */

static void
schedule_retry(void)
{
	struct timeval tv;

	backoff_ms = backoff_next(backoff_ms);
	ms_timeval(backoff_ms, &tv);
	evtimer_add(ev_retry, &tv);
}

void
queue_conn_built(void)
{
	index_built = 1;
}

void
queue_conn_missed(void)
{
	syncs_missed++;
}

static void
lost(void)
{
	index_lost_pending = 0;
	syncs_missed = 0; /* the rebuild brings them all */
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
			not_ready = "eviction_policy";
			snprintf(state, sizeof(state),
			    "redis: maxmemory-policy is %s, "
			    "must be noeviction",
			    policy);
		}
	} else {
		usable = 0;
		not_ready = "eviction_policy";
		snprintf(state, sizeof(state),
		    "redis: cannot read maxmemory-policy: %s",
		    reply->type == REDIS_REPLY_ERROR ? reply->str :
						       "odd reply");
	}
	if (usable && !was) {
		log_info("redis: connected to %s%s%s, queue index usable", addr,
		    conf->nsentinels ? ", master of " : "",
		    conf->nsentinels ? conf->redis_master_name : "");
		if (slow)
			log_info("redis: answers in time again");
		slow = 0;
		backoff_ms = 0;
		policy_warned = 0;
		queue_promote_at(now_ms());
	} else if (!usable && !policy_warned) {
		log_warnx("%s; the queue index is not used until it is", state);
		policy_warned = 1;
	}
	/* Syncs refused while Redis could not be used (it may evict, it
	 * stalled) left their callbacks out of step: the index is rebuilt as
	 * soon as it is usable again, not at the next SIGUSR1. */
	if (usable && syncs_missed && !index_lost_pending) {
		log_warnx("redis: %ld index update%s could not be applied; "
			  "rebuilding the index from PostgreSQL",
		    syncs_missed, syncs_missed == 1 ? "" : "s");
		index_lost_pending = 1;
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
	redisAsyncCommand(ac, policy_reply, NULL,
	    "CONFIG GET maxmemory-policy");
}

/* Reply to ROLE, with sentinels: on a new connection and at each check.
 * Anything but the master (a replica the Sentinels have not told about
 * yet, a master demoted since) is dropped and the Sentinels asked again. */
static void
role_reply(redisAsyncContext *ctx, void *r, void *priv)
{
	redisReply *reply = r;
	const char *role = "an odd reply";

	(void)priv;
	if (!reply || ctx != ac)
		return;
	if (reply->type == REDIS_REPLY_ARRAY && reply->elements >= 1 &&
	    reply->element[0]->type == REDIS_REPLY_STRING)
		role = reply->element[0]->str;
	else if (reply->type == REDIS_REPLY_ERROR)
		role = reply->str;
	if (strcmp(role, "master")) {
		snprintf(state, sizeof(state),
		    "redis: %.80s answers ROLE with %.40s, "
		    "not master",
		    addr, role);
		log_warnx("%s; asking the Sentinels for master %s again", state,
		    conf->redis_master_name);
		not_ready = "replica";
		drop();
		schedule_retry();
		return;
	}
	if (role_ok)
		return;
	role_ok = 1;
	if (master[0] && strcmp(master, addr)) {
		metrics_count(M_REDIS_FAILOVERS);
		log_warnx("redis: master %s moved from %s to %s (a failover); "
			  "the index is checked against PostgreSQL",
		    conf->redis_master_name, master, addr);
	}
	memcpy(master, addr, sizeof(master));
	queue_script_load(ac);
	check_policy();
}

void
queue_conn_readonly(void)
{
	if (!conf->nsentinels || !ac)
		return;
	snprintf(state, sizeof(state),
	    "redis: %.80s answers READONLY: no longer "
	    "the master",
	    addr);
	log_warnx("%s; asking the Sentinels for master %s again", state,
	    conf->redis_master_name);
	not_ready = "replica";
	drop();
	schedule_retry();
}

/* Says why Redis cannot be reached: once for each new reason, not at
 * every retry of an outage. */
static void
cannot_connect(const char *why)
{
	char next[sizeof(state)];

	not_ready = "unreachable";
	snprintf(next, sizeof(next), "redis: cannot connect: %s", why);
	if (strcmp(next, state))
		log_warnx("%s; retrying", next);
	memcpy(state, next, sizeof(state));
}

static void
cannot_connect_timed_out(const char *limit)
{
	char why[64];

	snprintf(why, sizeof(why), "no answer within %s", limit);
	cannot_connect(why);
}

static void
on_connect(const redisAsyncContext *ctx, int status)
{
	if (status != REDIS_OK) {
		cannot_connect(ctx->errstr);
		ac = NULL; /* hiredis frees the context after this callback */
		schedule_retry();
		return;
	}
	connected = 1;
	policy_warned = 0;
	heard_ms = now_ms();
	heard_stop();
	if ((ev_heard = event_new(base, ctx->c.fd, EV_READ | EV_PERSIST,
		 heard_cb, NULL)))
		event_add(ev_heard, NULL);
	index_lost_pending = 1; /* a new connection may be a new, empty Redis */
	if (conf->redis_password[0])
		redisAsyncCommand(ac, setup_reply, "AUTH", "AUTH %s",
		    conf->redis_password);
	if (conf->redis_db)
		redisAsyncCommand(ac, setup_reply, "SELECT", "SELECT %lld",
		    (long long)conf->redis_db);
	if (conf->nsentinels) {
		/* scripts and policy once ROLE says it is the master */
		role_ok = 0;
		redisAsyncCommand(ac, role_reply, NULL, "ROLE");
		return;
	}
	queue_script_load(ac);
	check_policy();
}

static void
on_disconnect(const redisAsyncContext *ctx, int status)
{
	if (ctx == ac)
		ac = NULL;
	heard_stop();
	if (!connected)
		return; /* queue_shutdown, or stalled */
	connected = 0;
	usable = 0;
	not_ready = "unreachable";
	snprintf(state, sizeof(state), "redis: connection lost%s%s",
	    status == REDIS_OK ? "" : ": ",
	    status == REDIS_OK ? "" :
		ctx->errstr[0] ? ctx->errstr :
				 "error");
	log_warnx("%s; reconnecting", state);
	metrics_count(M_REDIS_RECONNECTS);
	schedule_retry();
}

static void
connect_to(const char *host, int port)
{
	snprintf(addr, sizeof(addr), strchr(host, ':') ? "[%s]:%d" : "%s:%d",
	    host, port);
	ac = redisAsyncConnect(host, port);
	if (!ac) {
		cannot_connect("out of memory");
		schedule_retry();
		return;
	}
	if (ac->err) {
		cannot_connect(ac->errstr);
		redisAsyncFree(ac);
		ac = NULL;
		schedule_retry();
		return;
	}
	connect_ms = now_ms();
	redisLibeventAttach(ac, base);
	redisAsyncSetConnectCallback(ac, on_connect);
	redisAsyncSetDisconnectCallback(ac, on_disconnect);
}

/* A Sentinel's answer to queue_connect. */
static void
master_told(const char *host, int port, const char *why)
{
	char reason[sizeof(state)];

	if (ac)
		return; /* +switch-master connected meanwhile */
	if (!host) {
		snprintf(reason, sizeof(reason),
		    "no Sentinel names master %.40s "
		    "(%.80s)",
		    conf->redis_master_name, why ? why : "none asked");
		cannot_connect(reason);
		schedule_retry();
		return;
	}
	connect_to(host, port);
}

/* +switch-master: a failover gave the master a new address. Whatever
 * the connection is doing, it goes there now. */
static void
master_switched(const char *host, int port)
{
	char to[ADDR_MAX];

	snprintf(to, sizeof(to), strchr(host, ':') ? "[%s]:%d" : "%s:%d", host,
	    port);
	if (ac && !strcmp(to, addr))
		return;
	log_info("redis: Sentinel says master %s is now at %s; following",
	    conf->redis_master_name, to);
	drop();
	not_ready = "connecting";
	evtimer_del(ev_retry);
	backoff_ms = 0;
	connect_to(host, port);
}

static void
queue_connect(void)
{
	if (conf->nsentinels)
		queue_sentinel_ask(master_told);
	else
		connect_to(conf->redis_host, (int)conf->redis_port);
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
	if (reply && reply->type == REDIS_REPLY_INTEGER &&
	    reply->integer == 0 && usable && index_built) {
		log_warnx(
		    "redis: queue index marker is missing; rebuilding from "
		    "PostgreSQL");
		lost();
	}
}

static void
check_cb(evutil_socket_t fd, short what, void *arg)
{
	char k_index[QUEUE_KEY_MAX];

	(void)fd;
	(void)what;
	(void)arg;
	if (!connected)
		return;
	if (conf->nsentinels) {
		if (!role_ok)
			return; /* the first ROLE is still out */
		redisAsyncCommand(ac, role_reply, NULL, "ROLE");
	}
	check_policy();
	if (usable) {
		queue_key(QK_INDEX, k_index, sizeof(k_index));
		redisAsyncCommand(ac, marker_reply, NULL, "EXISTS %s", k_index);
	}
}

int
queue_init(struct event_base *b, queue_lost_fn *fn)
{
	struct timeval tv;

	base = b;
	on_lost = fn;
	if (queue_script_init() == -1)
		return -1;
	ev_retry = evtimer_new(base, retry_cb, NULL);
	queue_sync_init(base);
	ev_check = event_new(base, -1, EV_PERSIST, check_cb, NULL);
	ms_timeval(conf->index_check_ms, &tv);
	evtimer_add(ev_check, &tv);
	queue_maint_init(base);
	ev_watch = event_new(base, -1, EV_PERSIST, watch_cb, NULL);
	ms_timeval(conf->redis_timeout_ms / CBD_REDIS_WATCH_PER_TIMEOUT > 0 ?
		conf->redis_timeout_ms / CBD_REDIS_WATCH_PER_TIMEOUT :
		1,
	    &tv);
	evtimer_add(ev_watch, &tv);
	if (conf->nsentinels &&
	    queue_sentinel_init(base, master_switched) == -1)
		return -1;
	queue_connect();
	return 0;
}

void
queue_shutdown(void)
{
	connected = 0;
	usable = 0;
	queue_sync_flush(); /* Redis is not usable now: fails what waits */
	heard_stop();
	if (ev_watch) {
		event_free(ev_watch);
		ev_watch = NULL;
	}
	if (ac) {
		redisAsyncContext *c = ac;

		ac = NULL;
		redisAsyncFree(c);
	}
	if (ev_retry)
		event_free(ev_retry);
	if (ev_check)
		event_free(ev_check);
	queue_maint_free();
	queue_sync_free();
	if (conf->nsentinels)
		queue_sentinel_free();
	ev_retry = ev_check = NULL;
}
