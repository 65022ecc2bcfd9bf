/*
 * http_reply.c owns the answers: JSON with its length and no-store (or,
 * for what a page polls, its ETag and a 304 when that is unchanged), text,
 * files, the JSON error, the store failure mapped to 503 with
 * Retry-After, and HEAD without a body. Every handler ends in exactly one
 * of them; a context whose client has gone is freed here. It routes
 * nothing and checks no token: http.c does.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/queue.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "bounds.h"
#include "etag.h"
#include "http_int.h"
#include "http_store.h"
#include "log.h"
#include "metrics.h"

int64_t
http_mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void
http_answered(struct http_ctx *ctx, int status)
{
	const char *route = ctx->route ? ctx->route->path : "other";
	int64_t us = http_mono_us() - ctx->started_us;

	metrics_request(route, status, us);
	/* the route's pattern, never the path: no query string reaches the log */
	log_debug("http: %s answered %d in %lld us", route, status,
	    (long long)us);
}

void
http_ctx_free(struct http_ctx *ctx)
{
	if (ctx->api.body)
		json_decref(ctx->api.body);
	if (ctx->query_parsed)
		evhttp_clear_headers(&ctx->query);
	free(ctx);
}

const char *
http_query(struct api_req *a, const char *name)
{
	struct http_ctx *ctx = (struct http_ctx *)a;
	const struct evhttp_uri *uri;
	const char *q;

	if (!ctx->query_parsed) {
		TAILQ_INIT(&ctx->query);
		ctx->query_parsed = 1;
		if (a->req && (uri = evhttp_request_get_evhttp_uri(a->req)) &&
		    (q = evhttp_uri_get_query(uri)))
			evhttp_parse_query_str(q, &ctx->query);
	}
	return evhttp_find_header(&ctx->query, name);
}

int
http_alive(const struct api_req *a)
{
	return a->req != NULL;
}

/* A HEAD answer carries the headers of the GET answer, Content-Length
 * included, and no body: evhttp leaves out neither on its own, and a body
 * sent after a HEAD answer would be read as the start of the next one.
 * Every answer with a body says its length itself: evhttp leaves it out
 * for some methods (CONNECT), and then the body has no end. */
static int
is_head(struct evhttp_request *req)
{
	return evhttp_request_get_command(req) == EVHTTP_REQ_HEAD;
}

static void
content_length(struct evhttp_request *req, size_t len)
{
	char n[24];

	snprintf(n, sizeof(n), "%zu", len);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Length", n);
}

/* A tagged answer (tagged 1) says its ETag, is stored by nobody but the
 * browser and revalidated every time, and when the client's If-None-Match
 * names the tag it is a 304 without a body: the work of the answer is
 * done all the same, only the body stays here. */
static void
reply(struct api_req *a, int status, json_t *body, const char *location,
    int tagged)
{
	struct http_ctx *ctx = (struct http_ctx *)a;
	struct evhttp_request *req = a->req;
	struct evkeyvalq *h;
	struct evbuffer *out;
	char *text, etag[CBD_ETAG_STR];

	if (!req) {
		/* The client went away; the work is done all the same. */
		json_decref(body);
		http_ctx_free(ctx);
		return;
	}
	evhttp_connection_set_closecb(ctx->evcon, NULL, NULL);
	h = evhttp_request_get_output_headers(req);
	out = evhttp_request_get_output_buffer(req);
	if (body) {
		/* 15 significant digits: a number that came as 16.7 goes out
		 * as 16.7, as in the CSV, not as the 17 digits of the double
		 * nearest to it */
		text = json_dumps(body, JSON_COMPACT | JSON_REAL_PRECISION(15));
		json_decref(body);
		if (tagged && text && etag_of(text, strlen(text), etag) == 0) {
			evhttp_add_header(h, "ETag", etag);
			if (etag_matches(http_request_header(a,
					     "If-None-Match"),
				etag)) {
				free(text);
				text = NULL;
				status = 304;
			}
		}
		if (status != 304)
			evhttp_add_header(h, "Content-Type",
			    "application/json");
		if (text)
			content_length(req, strlen(text) + 1);
		if (text && is_head(req)) {
			free(text);
		} else if (text) {
			evbuffer_add(out, text, strlen(text));
			evbuffer_add(out, "\n", 1);
			free(text);
		}
	}
	/* an answer may carry personal data or a new token: no cache, no
	 * proxy and no browser history keeps it. A tagged one carries none
	 * (README, "Pages that update themselves"): the browser may keep it
	 * to ask again, no proxy may, and never for another token. */
	if (tagged) {
		evhttp_add_header(h, "Cache-Control", "private, no-cache");
		evhttp_add_header(h, "Vary", "Authorization");
	} else {
		evhttp_add_header(h, "Cache-Control", "no-store");
	}
	if (location)
		evhttp_add_header(h, "Location", location);
	if (status == 503)
		evhttp_add_header(h, "Retry-After", HTTP_RETRY_AFTER_S);
	if (status == 401)
		evhttp_add_header(h, "WWW-Authenticate", "Bearer");
	http_send(ctx, status);
}

void
http_reply(struct api_req *a, int status, json_t *body, const char *location)
{
	reply(a, status, body, location, 0);
}

void
http_reply_tagged(struct api_req *a, json_t *body)
{
	reply(a, 200, body, NULL, 1);
}

void
http_reply_text(struct api_req *a, int status, const char *content_type,
    const char *filename, const char *body, size_t len)
{
	struct http_ctx *ctx = (struct http_ctx *)a;
	struct evhttp_request *req = a->req;
	struct evkeyvalq *h;
	char disposition[160];

	if (!req) {
		http_ctx_free(ctx);
		return;
	}
	evhttp_connection_set_closecb(ctx->evcon, NULL, NULL);
	h = evhttp_request_get_output_headers(req);
	evhttp_add_header(h, "Content-Type", content_type);
	evhttp_add_header(h, "Cache-Control", "no-store");
	if (filename) {
		snprintf(disposition, sizeof(disposition),
		    "attachment; filename=\"%s\"", filename);
		evhttp_add_header(h, "Content-Disposition", disposition);
	}
	content_length(req, len);
	if (!is_head(req))
		evbuffer_add(evhttp_request_get_output_buffer(req), body, len);
	http_send(ctx, status);
}

void
http_header(struct api_req *a, const char *name, const char *value)
{
	if (a->req)
		evhttp_add_header(evhttp_request_get_output_headers(a->req),
		    name, value);
}

const char *
http_request_header(struct api_req *a, const char *name)
{
	return a->req ?
	    evhttp_find_header(evhttp_request_get_input_headers(a->req), name) :
	    NULL;
}

void
http_reply_file(struct api_req *a, int status, int fd, size_t size)
{
	struct http_ctx *ctx = (struct http_ctx *)a;
	struct evhttp_request *req = a->req;

	if (!req) {
		if (fd >= 0)
			close(fd);
		http_ctx_free(ctx);
		return;
	}
	evhttp_connection_set_closecb(ctx->evcon, NULL, NULL);
	if (fd >= 0 && is_head(req)) {
		close(fd);
		fd = -1;
		content_length(req, size);
	}
	/* evbuffer_add_file takes the descriptor and closes it when sent */
	if (fd >= 0 &&
	    evbuffer_add_file(evhttp_request_get_output_buffer(req), fd, 0,
		(ev_off_t)size) == -1) {
		close(fd);
		status = 500;
	}
	http_send(ctx, status);
}

void
http_error(struct api_req *a, int status, const char *code, const char *field,
    const char *fmt, ...)
{
	char msg[CBD_ERROR_MESSAGE_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	http_reply(a, status,
	    json_pack("{s:{s:s,s:s?,s:s}}", "error", "code", code, "field",
		field, "message", msg),
	    NULL);
}

void
http_unavailable(struct api_req *a, int refused)
{
	http_error(a, 503, "unavailable", NULL, "%s",
	    refused ?
		"the database refused the request; try again" :
		"the database is not reachable; nothing was changed, try again");
}

void
http_store_failed(struct api_req *a, enum store_status st)
{
	/* STORE_REFUSED means something else to each change: its handler
	 * answers it, never this */
	if (st == STORE_NOT_FOUND)
		http_error(a, 404, "not_found", NULL, "no such resource");
	else if (st == STORE_INVALID)
		http_error(a, 422, "invalid_value", NULL,
		    "the database refused "
		    "these values; nothing was changed");
	else
		http_unavailable(a, st != STORE_UNAVAILABLE);
}
