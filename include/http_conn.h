#ifndef CBD_HTTP_CONN_H
#define CBD_HTTP_CONN_H

/*
 * The connections under the HTTP server. evhttp in libevent 2.1 knows an
 * inactivity timeout, which a client sending one byte a second never
 * trips, and no connection limit; this adds both:
 *   - a deadline: from when a connection starts waiting for a request
 *     until that request is in hand it has request_timeout, else it is
 *     shut down; idle keep-alive connections end the same way;
 *   - a cap: a connection beyond max_connections is answered 503 and
 *     closed, and those within go on being served.
 */

struct event_base;
struct evhttp;
struct evhttp_request;

int http_conn_init(struct event_base *, struct evhttp *);
/* After evhttp_free: lets go of what is left. */
void http_conn_free(void);
/* A whole request has been read: its connection's deadline is off. */
void http_conn_busy(struct evhttp_request *);
/* Its answer has gone out: the deadline runs for the next request. */
void http_conn_idle(struct evhttp_request *);

#endif
