#ifndef CBD_ALERT_H
#define CBD_ALERT_H
#include <stddef.h>

#include "store.h"

/*
 * Delivery of SLA alerts to syslog as RFC 5424 messages with structured
 * data: to the local syslog socket, or to a remote receiver (syslog-ng)
 * over TCP (RFC 6587 octet counting) or UDP. Never personal data: the
 * callback id, site, topic, level, due time and threshold only.
 */

struct event_base;

int alert_init(struct event_base *);
void alert_shutdown(void);
/* 1 when messages can go out now. */
int alert_ready(void);
/* 1 while alerts are held in PostgreSQL: the receiver cannot be reached
 * (not connected, or the last message could not be sent). */
int alert_held(void);

/* Formats one alert as an RFC 5424 message (without framing). Pure but
 * for the clock and hostname given. Returns the length, 0 if too long. */
size_t alert_format(const struct alert *, const char *hostname, int pid,
    int64_t now_ms, char *buf, size_t len);

/* Sends alerts; fn(arg, n_sent) once they are handed to the transport
 * (TCP: written to the socket), n_sent 0 when the transport failed. */
typedef void alert_sent_fn(void *arg, size_t n_sent);
void alert_send(const struct alert *, size_t n, alert_sent_fn *, void *arg);

/* The optional webhook: one HTTP POST of JSON per alert; ok is 1 for a
 * 2xx answer within the configured timeout. */
int alert_webhook_enabled(void);
typedef void alert_posted_fn(void *arg, int ok);
void alert_webhook_post(const struct alert *, alert_posted_fn *, void *arg);

#endif
