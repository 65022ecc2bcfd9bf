#ifndef CBD_ALERT_H
#define CBD_ALERT_H
#include <stddef.h>
#include <stdint.h>

#include "store.h"

/*
 * SLA alerts on their way out: what they say (alert.c, pure), to syslog
 * as RFC 5424 messages with structured data (alert_syslog.c: the local
 * syslog socket, or a remote receiver such as syslog-ng over TCP with RFC
 * 6587 octet counting or UDP), and to the optional webhook as JSON
 * (alert_webhook.c). Never personal data: the callback id, site, topic,
 * level, reason, due time and threshold only.
 */

struct event_base;

/* Formats one alert as an RFC 5424 message (without framing), sent at
 * now_ms by pid on hostname. Pure. Returns the length, 0 if it does not
 * fit in len (with its NUL). */
size_t alert_format(const struct alert *, const char *hostname, int pid,
    int64_t now_ms, char *buf, size_t len);
/* The webhook's JSON body for one alert (fired and planned now_ms when not
 * set), to free(); NULL when out of memory. Pure. */
char *alert_json(const struct alert *, int64_t now_ms);

/* syslog: the transport of the config, resolved and connected at start. */
int alert_syslog_init(struct event_base *);
void alert_syslog_shutdown(void);
/* 1 when messages can go out now. */
int alert_ready(void);
/* 1 while alerts are held in PostgreSQL: the receiver cannot be reached
 * (not connected, or the last message could not be sent). */
int alert_held(void);

/* Sends alerts; fn(arg, n_sent) once they are handed to the transport
 * (TCP: written to the socket), n_sent 0 when the transport failed. */
typedef void alert_sent_fn(void *arg, size_t n_sent);
void alert_send(const struct alert *, size_t n, alert_sent_fn *, void *arg);

/* The optional webhook: one HTTP POST of JSON per alert; ok is 1 for a
 * 2xx answer within the configured timeout. */
int alert_webhook_init(struct event_base *);
void alert_webhook_shutdown(void);
int alert_webhook_enabled(void);
typedef void alert_posted_fn(void *arg, int ok);
void alert_webhook_post(const struct alert *, alert_posted_fn *, void *arg);

#endif
