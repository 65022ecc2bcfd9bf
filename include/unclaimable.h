#ifndef CBD_UNCLAIMABLE_H
#define CBD_UNCLAIMABLE_H
#include <stdio.h>

/*
 * Callbacks nobody may claim: queued, and assigned to a caseworker who is
 * not active, or unassigned with no active caseworker of their site, topic
 * and language. Looked for every unclaimable_check, and within
 * CBD_UNCLAIMABLE_HINT_MS of a hint; PostgreSQL writes one unclaimable
 * alert per callback (the alert timer sends it) and the counts of the last
 * look are a gauge of GET /metrics. unclaimable_check 0: none of it.
 */

struct event_base;

void unclaimable_init(struct event_base *);
void unclaimable_shutdown(void);
/* Something changed who may claim what (an intake, a caseworker profile):
 * look soon. Cheap: no I/O, at most one timer change per interval. */
void unclaimable_hint(void);
/* callbackd_unclaimable{site,topic} for every configured site and topic,
 * as of the last look (nothing before the first). */
void unclaimable_metrics_write(FILE *);

#endif
