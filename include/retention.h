#ifndef CBD_RETENTION_H
#define CBD_RETENTION_H
#include <stdint.h>

/* Erases the personal fields of callbacks closed longer than
 * retention_days ago, every retention_check; 0 days: never. The check
 * runs whatever retention_days is, so a reload can turn erasure on or
 * off; each run that erases, and each reload that changes the horizon,
 * says in the log which callbacks it concerns. */

struct event_base;

void retention_init(struct event_base *);
/* After a reload: logs the new horizon when retention_days changed. */
void retention_reloaded(int64_t old_days);
void retention_shutdown(void);

#endif
