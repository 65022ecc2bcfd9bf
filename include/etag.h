#ifndef CBD_ETAG_H
#define CBD_ETAG_H
#include <stddef.h>

/*
 * Entity tags of the answers a page polls (the queue peek, the alerts):
 * a strong validator made from the body itself, so that two daemons
 * behind one load balancer give the same answer the same tag without
 * sharing anything, and the If-None-Match that asks whether it changed.
 * Pure: no I/O.
 */

/* '"', 32 hex digits (the first 128 bits of the body's SHA-256), '"'. */
#define CBD_ETAG_STR 35

/* The tag of len bytes of body into out. Returns 0, or -1 when the
 * digest could not be made (out is then ""). */
int etag_of(const void *body, size_t len, char out[CBD_ETAG_STR]);

/* 1 when the value of an If-None-Match header names etag or is "*",
 * else 0. A list ("a", W/"b") is searched; W/ is ignored, as the weak
 * comparison RFC 9110 13.1.2 asks of If-None-Match. A value that is no
 * list of entity tags matches nothing. */
int etag_matches(const char *if_none_match, const char *etag);

#endif
