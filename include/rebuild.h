#ifndef CBD_REBUILD_H
#define CBD_REBUILD_H

/*
 * Keeps the Redis queue index complete from PostgreSQL, the system of
 * record. A rebuild reads every open callback in pages, syncs each over
 * the live index, drops what PostgreSQL no longer has open and sets the
 * marker; a request while one runs makes it run once more afterwards, so
 * a flush half-way through is healed too. When a daemon sharing the index
 * falls silent, a survivor re-syncs the open callbacks changed shortly
 * before: what the dead one committed but did not mirror.
 */

struct event_base;

int rebuild_init(struct event_base *);
void rebuild_request(void);
/* Stopping cleanly, after the last request: the peers need not catch up
 * after this daemon. fn is called once Redis knows, or cannot be told. */
void rebuild_leave(void (*fn)(void));
void rebuild_shutdown(void);

#endif
