#ifndef CBD_REBUILD_H
#define CBD_REBUILD_H

/*
 * Rebuilds the Redis queue index from PostgreSQL, the system of record:
 * empty the index, read every open callback in pages, enqueue each, set
 * the marker. A request while one runs makes it run once more afterwards,
 * so a flush half-way through is healed too.
 */

struct event_base;

void rebuild_init(struct event_base *);
void rebuild_request(void);
void rebuild_shutdown(void);

#endif
