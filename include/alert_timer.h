#ifndef CBD_ALERT_TIMER_H
#define CBD_ALERT_TIMER_H
#include <stdint.h>

/*
 * The SLA alert timer: one timer set to the next alert in time (each open
 * callback's alert_at in PostgreSQL), never a scan every second. When it fires it takes what
 * is due (row locks: each alert to one daemon), hands it to syslog and
 * marks it sent. While the receiver is down alerts wait in PostgreSQL; a
 * daemon that was down catches up at start.
 */

struct event_base;

void alert_timer_init(struct event_base *);
void alert_timer_shutdown(void);
/* Something is planned for at_ms: wake up then if that is sooner. */
void alert_timer_hint(int64_t at_ms);

#endif
