#ifndef CBD_HTTP_STORE_H
#define CBD_HTTP_STORE_H

#include "store.h"

/*
 * Where a handler's store call meets its answer: apart from http.h, so
 * that the HTTP side does not depend on the store (http_reply.c has it).
 */
struct api_req;

/* The one place where a store or queue failure becomes an answer: 404
 * for STORE_NOT_FOUND, else 503 unavailable with Retry-After. */
void http_store_failed(struct api_req *, enum store_status);

#endif
