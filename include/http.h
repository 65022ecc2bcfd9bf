#ifndef CBD_HTTP_H
#define CBD_HTTP_H
#include <stddef.h>
#include <stdint.h>

#include <event2/http.h>
#include <jansson.h>

#include "token.h"

/*
 * The HTTP side: evhttp, routing by the table it is given, authentication
 * and the one way to answer. A handler receives a struct api_req and ends
 * it with exactly one http_reply or http_error, now or from a completion
 * later; after that the api_req is gone.
 */

struct event_base;
struct evhttp_request;

struct api_req {
	struct evhttp_request *req;  /* NULL once the client has gone away */
	const char *path_id;         /* the {id} segment of the path, or NULL */
	const char *idempotency_key; /* header value, or NULL */
	unsigned role;               /* one ROLE_* bit; 0 for public routes */
	struct token_info token;
	char actor[CBD_IDENT_MAX + 1]; /* who, for the event log: the
					 * caseworker's id, else "token:ID" */
	int64_t received_ms;
	json_t *body; /* parsed JSON body of POST, or NULL */
	char id_buf[64];
};

typedef void api_handler(struct api_req *);

/* A row of the route table (routes.c has it). */
struct route {
	enum evhttp_cmd_type method;
	const char *path; /* "{id}" stands for one path segment */
	unsigned roles;   /* who may call it; 0: anyone, no token */
	int json_body;
	api_handler *fn;
};

/* What answers GET and HEAD of a path outside /v1/ that no route has. */
typedef void http_fallback_fn(struct api_req *, const char *path);

/* The route table (kept, not copied) and the fallback: before http_init. */
void http_routes(const struct route *, size_t n, http_fallback_fn *);

int http_init(struct event_base *);
/* Stops accepting; done is called once every request has been answered. */
void http_shutdown_begin(void (*done)(void));
/* Requests received whose answer has not gone out yet. */
unsigned http_in_flight(void);
void http_free(void);

/* Sends body (taken over, may be NULL) as JSON and ends the request. */
void http_reply(struct api_req *, int status, json_t *body,
    const char *location);
/* Sends body (taken over) as a 200 with an ETag of its own, or a 304
 * without it when the request's If-None-Match names that tag: for an
 * answer without personal data that a page polls (private, no-cache,
 * Vary: Authorization). */
void http_reply_tagged(struct api_req *, json_t *body);
/* Sends a text body (CSV) and ends the request; filename: offered name
 * for saving it, or NULL. */
void http_reply_text(struct api_req *, int status, const char *content_type,
    const char *filename, const char *body, size_t len);
/* A header for the answer about to be sent; a header of the request. */
void http_header(struct api_req *, const char *name, const char *value);
const char *http_request_header(struct api_req *, const char *name);
/* Sends size bytes of the open file fd (taken over; -1: no body) and ends
 * the request; headers set with http_header before. */
void http_reply_file(struct api_req *, int status, int fd, size_t size);
void http_error(struct api_req *, int status, const char *code,
    const char *field, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* 503 unavailable with Retry-After: PostgreSQL could not be reached,
 * or (refused 1) refused the statement; nothing was changed. */
void http_unavailable(struct api_req *, int refused);
/* A query-string parameter, decoded, or NULL. */
const char *http_query(struct api_req *, const char *name);
/* 1 when the client is still there to answer. */
int http_alive(const struct api_req *);

#endif
