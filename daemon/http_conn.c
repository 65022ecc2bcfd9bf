/*
 * http_conn.c owns the connections under evhttp: a deadline for reading
 * each request and a cap on how many are open (see http_conn.h).
 *
 * evhttp asks us for each connection's bufferevent (evhttp_set_bevcb). We
 * keep a reference to it, so that it outlives evhttp's use: libevent 2.1
 * tells nobody when evhttp frees a connection, but a freed bufferevent
 * has no callbacks left, which a sweep every CBD_CONN_SWEEP_MS sees; the sweep
 * then drops our reference (closing the socket) and cuts connections past
 * their deadline. Cutting is a shutdown(2) of the socket: evhttp reads
 * end-of-file and frees the connection itself, with nothing freed twice.
 *
 * With TLS (tls.c) the bufferevent is libevent's OpenSSL one: the same
 * deadline runs from the connect, through the handshake, so a client
 * that stalls in it is cut like one that stalls in its request; what
 * comes in is the plain text after the handshake.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>

#include "bounds.h"
#include "config.h"
#include "http_conn.h"
#include "log.h"
#include "metrics.h"
#include "timefmt.h"
#include "tls.h"

struct conn {
	struct bufferevent *bev;
	int64_t deadline_ms; /* INT64_MAX while a request is being answered */
	evutil_socket_t fd;  /* where by_fd has it; -1: not yet */
	int over_limit;      /* to be answered 503 and closed */
	int cut;             /* shut down by us; evhttp frees it next */
	int tls;             /* speaks TLS: the 503 goes through OpenSSL */
	int refusing;        /* that 503 is on its way */
	TAILQ_ENTRY(conn) link;
};

static TAILQ_HEAD(, conn) conns = TAILQ_HEAD_INITIALIZER(conns);
static unsigned live; /* connections evhttp still uses */
static struct event *ev_sweep;
static int limit_warned;
/* by socket, to find a request's conn from its evhttp connection */
static struct conn **by_fd;
static size_t by_fd_len;

#define REFUSAL_BODY \
	"{\"error\":{\"code\":\"too_many_connections\",\"message\":" \
	"\"too many connections are open; try again\"}}\n"
static char refusal[256];
static size_t refusal_len;

static void
remember(struct conn *c)
{
	evutil_socket_t fd = bufferevent_getfd(c->bev);
	struct conn **grown;
	size_t len;

	if (fd < 0 || c->fd == fd)
		return;
	if ((size_t)fd >= by_fd_len) {
		len = (size_t)fd + 64;
		if (!(grown = realloc(by_fd, len * sizeof(*by_fd))))
			return; /* this connection keeps its first deadline */
		memset(grown + by_fd_len, 0,
		    (len - by_fd_len) * sizeof(*by_fd));
		by_fd = grown;
		by_fd_len = len;
	}
	by_fd[fd] = c;
	c->fd = fd;
}

static void
cut(struct conn *c)
{
	evutil_socket_t fd = bufferevent_getfd(c->bev);

	if (fd >= 0)
		shutdown(fd, SHUT_RDWR);
	c->cut = 1;
}

/* A TLS connection's refusal has gone out (through OpenSSL, to the
 * socket): now it is cut. */
static void
refusal_sent(struct evbuffer *buf, const struct evbuffer_cb_info *info,
    void *arg)
{
	struct conn *c = arg;

	if (info->n_deleted > 0 && evbuffer_get_length(buf) == 0 && !c->cut)
		cut(c);
}

/* The first bytes of a connection: now its socket is known. One over the
 * limit gets a fixed 503 instead of being read. */
static void
input_added(struct evbuffer *buf, const struct evbuffer_cb_info *info,
    void *arg)
{
	struct conn *c = arg;
	evutil_socket_t fd;

	if (info->n_added == 0)
		return;
	remember(c);
	if (!c->over_limit || c->cut)
		return;
	evbuffer_drain(buf, evbuffer_get_length(buf));
	if (c->tls) {
		/* through OpenSSL, by the bufferevent: cut once it is out */
		if (c->refusing)
			return;
		c->refusing = 1;
		if (!evbuffer_add_cb(bufferevent_get_output(c->bev),
			refusal_sent, c) ||
		    bufferevent_enable(c->bev, EV_WRITE) == -1 ||
		    bufferevent_write(c->bev, refusal, refusal_len) == -1)
			cut(c);
		return;
	}
	if ((fd = bufferevent_getfd(c->bev)) >= 0)
		/* small and fixed: the socket buffer of a new connection takes it */
		(void)send(fd, refusal, refusal_len,
		    MSG_NOSIGNAL | MSG_DONTWAIT);
	cut(c);
}

/* Gone from evhttp: bufferevent_free leaves no callback behind. */
static int
released(struct conn *c)
{
	bufferevent_data_cb r, w;
	bufferevent_event_cb e;

	bufferevent_getcb(c->bev, &r, &w, &e, NULL);
	return !r && !w && !e;
}

static void
drop(struct conn *c)
{
	TAILQ_REMOVE(&conns, c, link);
	if (c->fd >= 0 && by_fd[c->fd] == c)
		by_fd[c->fd] = NULL;
	bufferevent_decref(c->bev); /* the last reference: closes the socket */
	free(c);
}

static void
sweep_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c, *next;
	int64_t now = now_ms();

	(void)fd;
	(void)what;
	(void)arg;
	for (c = TAILQ_FIRST(&conns); c; c = next) {
		next = TAILQ_NEXT(c, link);
		if (released(c)) {
			drop(c);
			live--;
		} else if (!c->cut && now >= c->deadline_ms) {
			metrics_count(M_HTTP_CUT_TIMEOUT);
			cut(c);
		}
	}
	metrics_connections(live);
	if (live <= (unsigned)conf->max_connections / 2)
		limit_warned = 0;
}

static struct bufferevent *
new_conn(struct event_base *b, void *arg)
{
	struct bufferevent *bev = NULL;
	struct conn *c;
	SSL *ssl;

	(void)arg;
	/* evhttp gives the socket to the bufferevent after this returns (the
	 * handshake starts then); NULL, out of memory, makes evhttp take a
	 * plain one, which a TLS client cannot talk to */
	if (!tls_on())
		bev = bufferevent_socket_new(b, -1, BEV_OPT_CLOSE_ON_FREE);
	else if ((ssl = tls_session()))
		/* frees ssl with itself, also when it fails */
		bev = bufferevent_openssl_socket_new(b, -1, ssl,
		    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
	if (!bev)
		return NULL;
	if (!(c = calloc(1, sizeof(*c))) ||
	    !evbuffer_add_cb(bufferevent_get_input(bev), input_added, c)) {
		free(c);
		bufferevent_free(bev);
		return NULL;
	}
	bufferevent_incref(bev);
	c->bev = bev;
	c->fd = -1;
	c->tls = tls_on();
	c->deadline_ms = now_ms() + conf->request_timeout_ms;
	TAILQ_INSERT_TAIL(&conns, c, link);
	if (++live > (unsigned)conf->max_connections) {
		c->over_limit = 1;
		metrics_count(M_HTTP_CUT_LIMIT);
		if (!limit_warned)
			log_warnx(
			    "http: more than max_connections (%lld) open; "
			    "refusing new ones with 503",
			    (long long)conf->max_connections);
		limit_warned = 1;
	}
	metrics_connections(live);
	return bev;
}

static struct conn *
req_conn(struct evhttp_request *req)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	struct bufferevent *bev;
	evutil_socket_t fd;

	if (!evcon || !(bev = evhttp_connection_get_bufferevent(evcon)) ||
	    (fd = bufferevent_getfd(bev)) < 0 || (size_t)fd >= by_fd_len ||
	    !by_fd[fd] || by_fd[fd]->bev != bev)
		return NULL;
	return by_fd[fd];
}

void
http_conn_busy(struct evhttp_request *req)
{
	struct conn *c = req_conn(req);

	if (c)
		c->deadline_ms = INT64_MAX;
}

void
http_conn_idle(struct evhttp_request *req)
{
	struct conn *c = req_conn(req);

	if (c)
		c->deadline_ms = now_ms() + conf->request_timeout_ms;
}

int
http_conn_init(struct event_base *base, struct evhttp *http)
{
	struct timeval tv;
	int n;

	n = snprintf(refusal, sizeof(refusal),
	    "HTTP/1.1 503 Service Unavailable\r\n"
	    "Content-Type: application/json\r\nRetry-After: 1\r\n"
	    "Connection: close\r\nContent-Length: %zu\r\n\r\n%s",
	    sizeof(REFUSAL_BODY) - 1, REFUSAL_BODY);
	if (n < 0 || (size_t)n >= sizeof(refusal))
		return -1;
	refusal_len = (size_t)n;
	if (!(ev_sweep = event_new(base, -1, EV_PERSIST, sweep_cb, NULL)))
		return -1;
	ms_timeval(CBD_CONN_SWEEP_MS, &tv);
	evtimer_add(ev_sweep, &tv);
	evhttp_set_bevcb(http, new_conn, NULL);
	return 0;
}

void
http_conn_free(void)
{
	/* after evhttp_free: every connection is released */
	while (!TAILQ_EMPTY(&conns))
		drop(TAILQ_FIRST(&conns));
	live = 0;
	free(by_fd);
	by_fd = NULL;
	by_fd_len = 0;
	if (ev_sweep)
		event_free(ev_sweep);
	ev_sweep = NULL;
}
