/*
 * http.c owns the HTTP server: evhttp on the loop, routing by the table
 * routes.c gives it, the answer to auth.c's verdict on the bearer token
 * and reading JSON bodies; http_reply.c the one way to answer. It knows
 * no SQL, no Redis keys, no handler and no page: handlers decide, store
 * and queue do.
 *
 * A request's context outlives its client: when the connection closes
 * while PostgreSQL or Redis still works for it, the context is marked
 * (req = NULL) and freed by whoever answers.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "auth.h"
#include "config.h"
#include "http.h"
#include "http_conn.h"
#include "http_int.h"
#include "bounds.h"
#include "log.h"
#include "metrics.h"
#include "pace.h"
#include "store.h"
#include "timefmt.h"
#include "tls.h"


static const struct route *routes; /* routes.c's table */
static size_t nroutes;
static http_fallback_fn *fallback; /* the web pages */

void
http_routes(const struct route *table, size_t n, http_fallback_fn *fn)
{
	routes = table;
	nroutes = n;
	fallback = fn;
}

static struct evhttp *http;
static struct evhttp_bound_socket *bound;
/* metrics_listen: its own evhttp, so that scrapers never share the API's
 * port (and the API's port can be reachable where scrapers are not) */
static struct evhttp *metrics_http;
static struct evhttp_bound_socket *metrics_bound;
static unsigned in_flight; /* requests received, answer not yet sent out */

unsigned
http_in_flight(void)
{
	return in_flight;
}
static int shutting_down;
static void (*on_drained)(void);
static struct event_base *base;

static void
drained_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	if (on_drained)
		on_drained();
}

static void
request_finished(void)
{
	if (in_flight > 0)
		in_flight--;
	if (shutting_down && in_flight == 0)
		event_base_once(base, -1, EV_TIMEOUT, drained_cb, NULL, NULL);
}

static void
on_complete(struct evhttp_request *req, void *arg)
{
	(void)arg;
	http_conn_idle(req);
	request_finished();
}

/* Sends the answer whose headers and body are in place, then frees the
 * context: the one way out of every answer (http_reply.c). */
void
http_send(struct http_ctx *ctx, int status)
{
	struct evhttp_request *req = ctx->api.req;

	if (shutting_down)
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Connection", "close");
	http_answered(ctx, status);
	evhttp_request_set_on_complete_cb(req, on_complete, NULL);
	evhttp_send_reply(req, status, NULL, NULL);
	http_ctx_free(ctx);
}

static void
on_conn_close(struct evhttp_connection *evcon, void *arg)
{
	struct http_ctx *ctx = arg;

	(void)evcon;
	if (ctx->api.req) {
		log_debug("http: the client of %s went away before the answer",
		    ctx->route ? ctx->route->path : "other");
		ctx->api.req = NULL;
		request_finished();
	}
}

/* The store asks before it sends an intake or a claim whether its client
 * still waits: the completion's arg of both is a struct whose first
 * member is the struct api_req * it answers. evhttp does not read while
 * a request is being answered, so a client that closed is seen by a peek
 * at the socket: end of file, or an error other than "nothing yet". */
static int
request_gone(void *arg)
{
	struct api_req *const *a = arg;
	struct http_ctx *ctx = (struct http_ctx *)*a;
	struct bufferevent *bev;
	evutil_socket_t fd;
	char c;
	ssize_t n;

	if (!ctx->api.req)
		return 1;
	if (!(bev = evhttp_connection_get_bufferevent(ctx->evcon)) ||
	    (fd = bufferevent_getfd(bev)) < 0)
		return 0;
	n = recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
	if (n > 0 ||
	    (n < 0 &&
		(errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)))
		return 0;
	log_debug("http: the client of %s went away before its request was "
		  "sent to the database",
	    ctx->route ? ctx->route->path : "other");
	return 1;
}

/* Matches path against a route pattern; the {id} segment lands in id. */
static int
path_match(const char *pattern, const char *path, char *id, size_t idlen)
{
	const char *brace = strstr(pattern, "{id}");
	size_t pre, n;

	if (!brace)
		return !strcmp(pattern, path);
	pre = (size_t)(brace - pattern);
	if (strncmp(pattern, path, pre))
		return 0;
	path += pre;
	n = strcspn(path, "/");
	if (n == 0 || n >= idlen || strcmp(path + n, brace + 4))
		return 0;
	memcpy(id, path, n);
	id[n] = '\0';
	return 1;
}

static int
content_type_json(const char *ct)
{
	size_t n = strlen("application/json");

	if (!ct || strncasecmp(ct, "application/json", n))
		return 0;
	ct += n;
	while (*ct == ' ')
		ct++;
	return *ct == '\0' || *ct == ';';
}

/* Reads the JSON body; answers and returns -1 when it is not acceptable. */
static int
read_body(struct http_ctx *ctx)
{
	struct evhttp_request *req = ctx->api.req;
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(in);
	const char *ct;
	json_error_t jerr;
	unsigned char *data;

	if ((int64_t)len > conf->max_body) {
		http_error(&ctx->api, 413, "body_too_large", NULL,
		    "the body is larger than %lld bytes",
		    (long long)conf->max_body);
		return -1;
	}
	ct = evhttp_find_header(evhttp_request_get_input_headers(req),
	    "Content-Type");
	if (!content_type_json(ct)) {
		http_error(&ctx->api, 415, "unsupported_media_type", NULL,
		    "send the body as application/json");
		return -1;
	}
	if (len == 0) {
		http_error(&ctx->api, 400, "invalid_json", NULL,
		    "the body is empty; send a JSON object");
		return -1;
	}
	data = evbuffer_pullup(in, -1);
	ctx->api.body = json_loadb((const char *)data, len,
	    JSON_REJECT_DUPLICATES, &jerr);
	if (ctx->api.body)
		return 0;
	/* the answer frees ctx */
	if (jerr.line < 1) /* jansson knows no place */
		http_error(&ctx->api, 400, "invalid_json", NULL,
		    "the body is not valid JSON: %s", jerr.text);
	else
		http_error(&ctx->api, 400, "invalid_json", NULL,
		    "the body is not valid JSON: %s (line %d, column %d)",
		    jerr.text, jerr.line, jerr.column);
	return -1;
}

static void
dispatch(struct http_ctx *ctx)
{
	if (ctx->route->json_body && read_body(ctx) == -1)
		return;
	ctx->route->fn(&ctx->api);
}

/* What waited for its turn (pace.c) and whose client may have gone. */
static int
still_there(struct http_ctx *ctx)
{
	if (ctx->api.req)
		return 1;
	http_ctx_free(ctx);
	return 0;
}

static void
dispatch_paced(void *arg)
{
	struct http_ctx *ctx = arg;

	if (still_there(ctx))
		dispatch(ctx);
}

/* auth.c's verdict on the bearer token: the answer, or on to the route's
 * handler. */
static void
on_verdict(void *arg, enum auth_verdict v, const struct token_info *ti)
{
	struct http_ctx *ctx = arg;

	if (!ctx->api.req) {
		http_ctx_free(ctx);
		return;
	}
	switch (v) {
	case AUTH_VALID:
		break;
	case AUTH_NO_TOKEN:
		http_error(&ctx->api, 401, "unauthorized", NULL,
		    "send Authorization: Bearer with a valid token");
		return;
	case AUTH_INVALID:
		http_error(&ctx->api, 401, "unauthorized", NULL,
		    "the bearer token is not valid");
		return;
	case AUTH_UNREACHABLE:
	case AUTH_REFUSED:
		http_unavailable(&ctx->api, v == AUTH_REFUSED);
		return;
	}
	ctx->api.token = *ti;
	ctx->api.role = auth_role(ti->role);
	/* the event log names a caseworker; other tokens by their number,
	 * never by their label, which may name a person */
	if (ctx->api.role == ROLE_CASEWORKER && ti->caseworker_id[0])
		snprintf(ctx->api.actor, sizeof(ctx->api.actor), "%s",
		    ti->caseworker_id);
	else
		snprintf(ctx->api.actor, sizeof(ctx->api.actor), "token:%lld",
		    (long long)ti->id);
	if (!(ctx->api.role & ctx->route->roles)) {
		http_error(&ctx->api, 403, "forbidden", NULL,
		    "the %s role may not do this", ti->role);
		return;
	}
	dispatch(ctx);
}

/* Allow: the methods in mask (each enum evhttp_cmd_type is one bit). */
static void
allow_header(struct api_req *a, unsigned mask)
{
	static const struct {
		enum evhttp_cmd_type method;
		const char *name;
	} names[] = {
		{ EVHTTP_REQ_GET, "GET" },
		{ EVHTTP_REQ_HEAD, "HEAD" },
		{ EVHTTP_REQ_POST, "POST" },
		{ EVHTTP_REQ_PUT, "PUT" },
		{ EVHTTP_REQ_OPTIONS, "OPTIONS" },
	};
	char allow[64] = "";
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (mask & names[i].method)
			snprintf(allow + strlen(allow),
			    sizeof(allow) - strlen(allow), "%s%s",
			    allow[0] ? ", " : "", names[i].name);
	http_header(a, "Allow", allow);
}

/* A request's context, or NULL when it has been answered already (out of
 * memory, shutting down). */
static struct http_ctx *
ctx_new(struct evhttp_request *req)
{
	struct http_ctx *ctx;

	if (!(ctx = calloc(1, sizeof(*ctx)))) {
		evhttp_send_error(req, 503, "out of memory");
		return NULL;
	}
	in_flight++;
	ctx->started_us = http_mono_us();
	ctx->api.req = req;
	ctx->api.received_ms = now_ms();
	ctx->evcon = evhttp_request_get_connection(req);
	evhttp_connection_set_closecb(ctx->evcon, on_conn_close, ctx);
	if (shutting_down) {
		http_error(&ctx->api, 503, "shutting_down", NULL,
		    "callbackd is shutting down; try again");
		return NULL;
	}
	return ctx;
}

/* metrics_listen: GET (and HEAD) /metrics and nothing else, no token. */
static void
on_metrics_request(struct evhttp_request *req, void *arg)
{
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
	enum evhttp_cmd_type method = evhttp_request_get_command(req);
	unsigned allowed = EVHTTP_REQ_GET | EVHTTP_REQ_HEAD |
	    EVHTTP_REQ_OPTIONS;
	struct http_ctx *ctx;
	size_t i;

	(void)arg;
	if (!(ctx = ctx_new(req)))
		return;
	if (!path || strcmp(path, "/metrics")) {
		http_error(&ctx->api, 404, "not_found", NULL,
		    "no such resource");
		return;
	}
	for (i = 0; i < nroutes; i++)
		if (routes[i].method == EVHTTP_REQ_GET &&
		    !strcmp(routes[i].path, "/metrics"))
			ctx->route = &routes[i];
	if (method == EVHTTP_REQ_GET || method == EVHTTP_REQ_HEAD) {
		pace_admit(dispatch_paced, ctx);
		return;
	}
	allow_header(&ctx->api, allowed);
	if (method == EVHTTP_REQ_OPTIONS)
		http_reply(&ctx->api, 204, NULL, NULL);
	else
		http_error(&ctx->api, 405, "method_not_allowed", NULL,
		    "this method is not allowed here");
}

static void
route_request(struct http_ctx *ctx)
{
	struct evhttp_request *req = ctx->api.req;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
	enum evhttp_cmd_type method = evhttp_request_get_command(req);
	struct evkeyvalq *in = evhttp_request_get_input_headers(req);
	const struct route *r;
	unsigned allowed = 0; /* the methods the path takes */
	size_t i;

	/* GET /metrics has an address of its own when metrics_listen is set */
	if (metrics_http && path && !strcmp(path, "/metrics")) {
		http_error(&ctx->api, 404, "not_found", NULL,
		    "no such resource here: /metrics is on metrics_listen");
		return;
	}
	/* HEAD is a GET without the body: it takes the GET route */
	for (i = 0; i < nroutes; i++) {
		if (!path ||
		    !path_match(routes[i].path, path, ctx->api.id_buf,
			sizeof(ctx->api.id_buf)))
			continue;
		allowed |= routes[i].method | EVHTTP_REQ_OPTIONS |
		    (routes[i].method == EVHTTP_REQ_GET ? EVHTTP_REQ_HEAD : 0);
		if (routes[i].method == method ||
		    (method == EVHTTP_REQ_HEAD &&
			routes[i].method == EVHTTP_REQ_GET))
			break;
	}
	if (i == nroutes) {
		/* the web pages: any path outside the API that no route has */
		int page = fallback && !allowed && path &&
		    strncmp(path, "/v1/", 4) != 0;

		if (page)
			allowed = EVHTTP_REQ_GET | EVHTTP_REQ_HEAD |
			    EVHTTP_REQ_OPTIONS;
		if (allowed && method == EVHTTP_REQ_OPTIONS) {
			allow_header(&ctx->api, allowed);
			http_reply(&ctx->api, 204, NULL, NULL);
		} else if (page &&
		    (method == EVHTTP_REQ_GET || method == EVHTTP_REQ_HEAD))
			fallback(&ctx->api, path);
		else if (!allowed)
			http_error(&ctx->api, 404, "not_found", NULL,
			    "no such resource");
		else {
			allow_header(&ctx->api, allowed);
			http_error(&ctx->api, 405, "method_not_allowed", NULL,
			    "this method is not allowed here");
		}
		return;
	}
	r = ctx->route = &routes[i];
	ctx->api.path_id = ctx->api.id_buf[0] ? ctx->api.id_buf : NULL;
	ctx->api.idempotency_key = evhttp_find_header(in, "Idempotency-Key");
	if (!r->roles) {
		dispatch(ctx);
		return;
	}
	auth_check(&ctx->auth, evhttp_find_header(in, "Authorization"),
	    on_verdict, ctx);
}

static void
route_paced(void *arg)
{
	struct http_ctx *ctx = arg;

	if (still_there(ctx))
		route_request(ctx);
}

static void
on_request(struct evhttp_request *req, void *arg)
{
	struct http_ctx *ctx;

	(void)arg;
	http_conn_busy(req);
	if (!(ctx = ctx_new(req)))
		return;
	/* anyone who reaches the port can send what no valid token vouches
	 * for (/metrics, /healthz, a random token, none), as fast as the
	 * loop answers: that goes at its pace, the rest at once */
	if (auth_vouched(
		evhttp_find_header(evhttp_request_get_input_headers(req),
		    "Authorization")))
		route_request(ctx);
	else
		pace_admit(route_paced, ctx);
}

static int
metrics_init(void)
{
	if (!(metrics_http = evhttp_new(base)))
		return -1;
	/* nothing there takes a body; a small one gets the JSON 405 */
	evhttp_set_max_body_size(metrics_http, 4096);
	evhttp_set_max_headers_size(metrics_http, CBD_HTTP_HEADERS_MAX);
	evhttp_set_timeout(metrics_http, CBD_HTTP_TIMEOUT_S);
	evhttp_set_allowed_methods(metrics_http,
	    EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_PUT |
		EVHTTP_REQ_DELETE | EVHTTP_REQ_PATCH | EVHTTP_REQ_HEAD |
		EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE | EVHTTP_REQ_CONNECT);
	evhttp_set_gencb(metrics_http, on_metrics_request, NULL);
	metrics_bound = evhttp_bind_socket_with_handle(metrics_http,
	    conf->metrics_host, (ev_uint16_t)conf->metrics_port);
	if (!metrics_bound) {
		log_warn("http: cannot listen for /metrics on %s port %d",
		    conf->metrics_host, conf->metrics_port);
		return -1;
	}
	log_info("http: /metrics on %s port %d", conf->metrics_host,
	    conf->metrics_port);
	return 0;
}

int
http_init(struct event_base *b)
{
	base = b;
	if (!(http = evhttp_new(base)))
		return -1;
	/* evhttp refuses a longer body (413) from its headers on, before
	 * anyone has shown a token: nobody makes the daemon read more */
	evhttp_set_max_body_size(http,
	    conf->max_body < CBD_MAX_BODY_HARD ? (ev_ssize_t)conf->max_body :
						 CBD_MAX_BODY_HARD);
	evhttp_set_max_headers_size(http, CBD_HTTP_HEADERS_MAX);
	evhttp_set_timeout(http, CBD_HTTP_TIMEOUT_S);
	/* every method evhttp knows reaches on_request, which answers in
	 * JSON; evhttp itself would answer 501 with an HTML page */
	evhttp_set_allowed_methods(http,
	    EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_PUT |
		EVHTTP_REQ_DELETE | EVHTTP_REQ_PATCH | EVHTTP_REQ_HEAD |
		EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE | EVHTTP_REQ_CONNECT);
	evhttp_set_gencb(http, on_request, NULL);
	store_set_gone(request_gone);
	if (http_conn_init(base, http) == -1 || pace_init(base) == -1)
		return -1;
	bound = evhttp_bind_socket_with_handle(http, conf->listen_host,
	    (ev_uint16_t)conf->listen_port);
	if (!bound) {
		log_warn("http: cannot listen on %s port %d", conf->listen_host,
		    conf->listen_port);
		return -1;
	}
	log_info("http: listening on %s port %d (%s)", conf->listen_host,
	    conf->listen_port, tls_on() ? "TLS" : "plain HTTP");
	return conf->metrics_host[0] ? metrics_init() : 0;
}

void
http_shutdown_begin(void (*done)(void))
{
	shutting_down = 1;
	on_drained = done;
	if (bound) {
		evhttp_del_accept_socket(http, bound);
		bound = NULL;
	}
	if (metrics_bound) {
		evhttp_del_accept_socket(metrics_http, metrics_bound);
		metrics_bound = NULL;
	}
	log_info("http: not accepting; %u request%s in flight", in_flight,
	    in_flight == 1 ? "" : "s");
	if (in_flight == 0)
		event_base_once(base, -1, EV_TIMEOUT, drained_cb, NULL, NULL);
}

void
http_free(void)
{
	if (http)
		evhttp_free(http);
	http = NULL;
	if (metrics_http)
		evhttp_free(metrics_http);
	metrics_http = NULL;
	pace_free();
	http_conn_free();
}
