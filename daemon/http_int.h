#ifndef CBD_HTTP_INT_H
#define CBD_HTTP_INT_H
/*
 * What http.c (the server, routes, the door) and http_reply.c (the
 * answers) share; nothing else includes this.
 */
#include <stdint.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "auth.h"
#include "http.h"

/* What 503 asks the telephony system to wait before it retries. */
#define HTTP_RETRY_AFTER_S "5"

struct http_ctx {
	struct api_req
	    api; /* first: a struct api_req * is a struct http_ctx * */
	struct evhttp_connection *evcon;
	const struct route *route;
	int64_t started_us; /* monotonic, for the latency histogram */
	struct evkeyvalq query;
	int query_parsed;
	struct auth_check auth; /* the bearer token's, while auth decides */
};

/* Monotonic microseconds, for the latency histogram. */
int64_t http_mono_us(void);
/* An answer went out: its metrics and the debug line. */
void http_answered(struct http_ctx *, int status);
void http_ctx_free(struct http_ctx *);
/* Sends the answer whose headers and body are in place (adding
 * "Connection: close" while shutting down) and frees the context. */
void http_send(struct http_ctx *, int status);

#endif
