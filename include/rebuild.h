#ifndef CBD_REBUILD_H
#define CBD_REBUILD_H

/*
 * Rebuilds the Redis queue index from PostgreSQL, the system of record:
 * read every open callback in pages, sync each over the live index, drop
 * what PostgreSQL no longer has open, set the marker. A request while one runs makes it run once more afterwards,
 * so a flush half-way through is healed too.
 */

struct event_base;

void rebuild_init(struct event_base *);
void rebuild_request(void);
void rebuild_shutdown(void);

#endif
