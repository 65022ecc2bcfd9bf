/*
 * alert_syslog.c owns the way SLA alerts go to syslog: over the local
 * syslog socket, UDP, or TCP with RFC 6587 octet counting (a persistent
 * connection, reconnected with back-off), each message as alert.c words
 * it. It decides nothing about which alerts are due; the alert timer
 * does.
 */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "alert.h"
#include "bounds.h"
#include "config.h"
#include "log.h"
#include "timefmt.h"

enum transport { T_LOCAL, T_TCP, T_UDP };

struct pending {
	alert_sent_fn *fn;
	void *arg;
	size_t n;
	struct pending *next;
};

static struct event_base *base;
static enum transport transport;
static char hostname[64];
static struct sockaddr_storage addr;
static socklen_t addrlen;
static struct bufferevent *bev;
static int tcp_up;
static int down_warned; /* said once that the receiver cannot be reached */
static int stalled;     /* connected, but it has taken nothing for a while */
static int64_t backoff_ms;
static struct event *ev_retry;
static struct pending *pending_head, **pending_tail = &pending_head;
static int dgram_fd = -1;

int
alert_ready(void)
{
	return transport != T_TCP || tcp_up;
}

int
alert_held(void)
{
	/* TCP: not connected or not reading; a datagram transport: the last
	 * send failed */
	return !alert_ready() || down_warned || stalled;
}

static size_t
pending_alerts(void)
{
	const struct pending *p;
	size_t n = 0;

	for (p = pending_head; p; p = p->next)
		n += p->n;
	return n;
}

/* ---- TCP ------------------------------------------------------------- */

static void tcp_connect(void);

static void
finish_pending(int ok)
{
	struct pending *p = NULL;

	while ((p = pending_head)) {
		pending_head = p->next;
		p->fn(p->arg, ok ? p->n : 0);
		free(p);
	}
	pending_tail = &pending_head;
}

static void
tcp_down(const char *why)
{
	struct timeval tv;

	if (bev) {
		bufferevent_free(bev);
		bev = NULL;
	}
	if (tcp_up || !down_warned)
		log_warnx(
		    "alerts: syslog receiver %s:%lld %s: %s; alerts wait in "
		    "PostgreSQL",
		    conf->alert_host, (long long)conf->alert_port,
		    tcp_up ? "lost" : "not reachable", why);
	down_warned = 1;
	tcp_up = 0;
	stalled = 0;
	finish_pending(0);
	backoff_ms = backoff_next(backoff_ms);
	ms_timeval(backoff_ms, &tv);
	evtimer_add(ev_retry, &tv);
}

static void
tcp_read(struct bufferevent *b, void *arg)
{
	(void)arg;
	/* a syslog receiver says nothing; drop whatever comes */
	evbuffer_drain(bufferevent_get_input(b),
	    evbuffer_get_length(bufferevent_get_input(b)));
}

static void
tcp_written(struct bufferevent *b, void *arg)
{
	(void)b;
	(void)arg;
	if (stalled)
		log_info("alerts: syslog receiver %s:%lld takes alerts again",
		    conf->alert_host, (long long)conf->alert_port);
	stalled = 0;
	finish_pending(1); /* the output buffer is empty: all went out */
}

static void
tcp_event(struct bufferevent *b, short what, void *arg)
{
	(void)b;
	(void)arg;
	if (what & BEV_EVENT_CONNECTED) {
		tcp_up = 1;
		down_warned = 0;
		backoff_ms = 0;
		log_info("alerts: connected to syslog receiver %s:%lld",
		    conf->alert_host, (long long)conf->alert_port);
		return;
	}
	if ((what & BEV_EVENT_TIMEOUT) && !tcp_up) {
		tcp_down("no answer to the connection");
		return;
	}
	if (what & BEV_EVENT_TIMEOUT) {
		/* a receiver held up by its own destination stops reading; the
		 * connection is kept, so nothing it has is sent twice, and the
		 * round waits (the next ones wait in PostgreSQL) */
		if (!stalled)
			log_warnx("alerts: syslog receiver %s:%lld has taken "
				  "nothing for %d s; %zu alerts wait for it",
			    conf->alert_host, (long long)conf->alert_port,
			    CBD_ALERT_STALL_MS / 1000, pending_alerts());
		stalled = 1;
		bufferevent_enable(b, EV_WRITE); /* the timeout disabled it */
		return;
	}
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		tcp_down(what & BEV_EVENT_EOF ?
			"closed by the receiver" :
			strerror(EVUTIL_SOCKET_ERROR()));
}

static void
tcp_connect(void)
{
	struct timeval tv;

	bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (!bev) {
		tcp_down("out of memory");
		return;
	}
	bufferevent_setcb(bev, tcp_read, tcp_written, tcp_event, NULL);
	ms_timeval(CBD_ALERT_STALL_MS, &tv);
	bufferevent_set_timeouts(bev, NULL, &tv);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
	if (bufferevent_socket_connect(bev, (struct sockaddr *)&addr,
		(int)addrlen) == -1)
		tcp_down(strerror(errno));
}

static void
retry_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	tcp_connect();
}

/* ---- sending --------------------------------------------------------- */

static int
dgram_send(const char *msg, size_t len)
{
	if (dgram_fd == -1) {
		dgram_fd = socket(addr.ss_family,
		    SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (dgram_fd == -1 ||
		    connect(dgram_fd, (struct sockaddr *)&addr, addrlen) ==
			-1) {
			if (!down_warned)
				log_warn(
				    "alerts: cannot reach syslog; alerts wait in "
				    "PostgreSQL");
			down_warned = 1;
			if (dgram_fd != -1)
				close(dgram_fd);
			dgram_fd = -1;
			return -1;
		}
	}
	if (send(dgram_fd, msg, len, 0) == -1) {
		if (!down_warned)
			log_warn(
			    "alerts: cannot send to syslog; alerts wait in "
			    "PostgreSQL");
		down_warned = 1;
		close(dgram_fd);
		dgram_fd = -1;
		return -1;
	}
	down_warned = 0;
	return 0;
}

void
alert_send(const struct alert *a, size_t n, alert_sent_fn *fn, void *arg)
{
	char msg[CBD_ALERT_MSG_MAX];
	struct pending *p = NULL;
	size_t i, len, sent = 0;
	int64_t now = now_ms();
	int pid = (int)getpid();

	if (transport == T_TCP && (!tcp_up || !(p = calloc(1, sizeof(*p))))) {
		fn(arg, 0);
		return;
	}
	for (i = 0; i < n; i++) {
		if (!(len = alert_format(&a[i], hostname, pid, now, msg,
			  sizeof(msg))))
			continue;
		if (transport == T_TCP)
			evbuffer_add_printf(bufferevent_get_output(bev),
			    "%zu %s", len, msg);
		else if (dgram_send(msg, len) == 0)
			sent++;
		else
			break;
	}
	if (transport != T_TCP) {
		fn(arg, sent);
		return;
	}
	p->fn = fn;
	p->arg = arg;
	p->n = n;
	*pending_tail = p;
	pending_tail = &p->next;
}

int
alert_syslog_init(struct event_base *b)
{
	struct addrinfo hints, *res;
	char port[8];
	int rc;

	base = b;
	if (conf->alert_hostname[0])
		snprintf(hostname, sizeof(hostname), "%s",
		    conf->alert_hostname);
	else if (gethostname(hostname, sizeof(hostname)) == -1)
		snprintf(hostname, sizeof(hostname), "-");
	hostname[strcspn(hostname, " ")] = '\0';

	if (!strcmp(conf->alert_transport, "local")) {
		struct sockaddr_un *un = (struct sockaddr_un *)&addr;

		transport = T_LOCAL;
		un->sun_family = AF_UNIX;
		snprintf(un->sun_path, sizeof(un->sun_path), "%s",
		    conf->alert_socket);
		addrlen = sizeof(*un);
		return 0;
	}
	transport = !strcmp(conf->alert_transport, "tcp") ? T_TCP : T_UDP;
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = transport == T_TCP ? SOCK_STREAM : SOCK_DGRAM;
	snprintf(port, sizeof(port), "%lld", (long long)conf->alert_port);
	/* resolved once at start-up: no DNS inside the loop */
	if ((rc = getaddrinfo(conf->alert_host, port, &hints, &res)) != 0) {
		log_warnx("alerts: cannot resolve %s: %s", conf->alert_host,
		    gai_strerror(rc));
		return -1;
	}
	memcpy(&addr, res->ai_addr, res->ai_addrlen);
	addrlen = res->ai_addrlen;
	freeaddrinfo(res);
	if (transport == T_TCP) {
		ev_retry = evtimer_new(base, retry_cb, NULL);
		tcp_connect();
	}
	return 0;
}

void
alert_syslog_shutdown(void)
{
	size_t n = pending_alerts();

	if (n)
		log_warnx("alerts: stopping with %zu alerts not taken by the "
			  "syslog receiver; they are not marked sent and go "
			  "out when their claim runs out",
		    n);
	if (bev)
		bufferevent_free(bev);
	bev = NULL;
	tcp_up = 0;
	finish_pending(0);
	if (ev_retry)
		event_free(ev_retry);
	ev_retry = NULL;
	if (dgram_fd != -1)
		close(dgram_fd);
	dgram_fd = -1;
}
