#ifndef CBD_RETENTION_H
#define CBD_RETENTION_H

/* Erases the personal fields of callbacks closed longer than
 * retention_days ago, every retention_check; 0 days: never. */

struct event_base;

void retention_init(struct event_base *);
void retention_shutdown(void);

#endif
