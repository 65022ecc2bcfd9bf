#ifndef CBD_QUEUE_INT_H
#define CBD_QUEUE_INT_H

/*
 * What the queue files (daemon/queue*.c) share, and nothing else sees:
 * the connection (queue.c), the script calls (queue_script.c), the key
 * names and packed ids (queue_keys.c), and how queue.c starts and stops
 * the others. Only queue*.c include this header, and with it hiredis;
 * everyone else goes through include/queue.h.
 */
#include <stddef.h>
#include <stdint.h>

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include "callback.h"
#include "queue.h"

struct event_base;

/* ---- queue.c: the connection ------------------------------------------ */

/* The connection while it is up (set up and noeviction or not), else
 * NULL. */
redisAsyncContext *queue_conn(void);
/* A rebuild completed: from now on a missing marker means the index was
 * lost. */
void queue_conn_built(void);
/* A sync was not applied: the index is rebuilt once Redis is usable. */
void queue_conn_missed(void);
/* Redis answered READONLY: with sentinels, the connection reaches a
 * master demoted to replica, and is made again to the master. */
void queue_conn_readonly(void);

/* ---- queue_sentinel.c: the master through Sentinel --------------------- */

/* The master's address as a Sentinel gave it, or host NULL and why none
 * did. */
typedef void sentinel_master_fn(const char *host, int port, const char *why);
/* A Sentinel says the master has a new address (+switch-master). */
typedef void sentinel_switch_fn(const char *host, int port);

/* With [redis] sentinels: starts following +switch-master. */
int queue_sentinel_init(struct event_base *, sentinel_switch_fn *);
void queue_sentinel_free(void);
/* Asks the Sentinels in turn, the one that answered last first, for the
 * master's address; fn is called once, maybe before this returns. While
 * an ask goes on, another is not started (nor called back). */
void queue_sentinel_ask(sentinel_master_fn *fn);

/* ---- queue_maint.c: promotion, tombstones, peers ----------------------- */

void queue_maint_init(struct event_base *);
void queue_maint_free(void);
/* Arms the promotion timer for at, unless it fires sooner already; never
 * sleeps longer than CBD_PROMOTE_MAX_SLEEP_MS. */
void queue_promote_at(int64_t at);

/* ---- queue_sync.c: syncs in batches ------------------------------------ */

void queue_sync_init(struct event_base *);
/* Sends the syncs gathered so far. */
void queue_sync_flush(void);
void queue_sync_free(void);

/* ---- queue_script.c: the Lua scripts ----------------------------------- */

enum script_id {
	SCRIPT_SYNC,
	SCRIPT_CLEANUP,
	SCRIPT_CLAIM,
	SCRIPT_UNCLAIM,
	SCRIPT_PROMOTE,
	SCRIPT_PEEK,
	SCRIPT_ALIVE,
	SCRIPT_REAP,
	SCRIPT_COUNT
};

typedef void script_reply_fn(void *arg, const redisReply *);

/* Finds each script in the build: -1 when one is missing. */
int queue_script_init(void);
/* Sends SCRIPT LOAD for every script on a new connection. */
void queue_script_load(redisAsyncContext *);
/* Runs a script while Redis is usable: args are numkeys, the keys, then
 * the arguments; each a string, or, where lens is given and lens[i] is not
 * 0, lens[i] bytes. fn is told whether it worked, or reply_fn given the
 * reply (NULL: it failed); maybe before this returns. */
void queue_script_run(enum script_id, queue_done_fn *fn,
    script_reply_fn *reply_fn, void *arg, int nargs, const char *const *args,
    const size_t *lens);
/* A time argument: the number, or "" for CBD_NO_TIME. */
const char *queue_ms_arg(int64_t ms, char *buf, size_t len);

/* ---- queue_keys.c: every key name -------------------------------------- */

/* Room for a fixed key name under the prefix, and for a routing set's. */
#define QUEUE_KEY_MAX 96
#define QUEUE_ROUTE_KEY_MAX 256
/* The index keeps its records in this many hashes (lua/lib/record.lua). */
#define RECORD_HASHES 65536

enum queue_key_id {
	QK_WAITING, /* P waiting */
	QK_LEASES,  /* P leases */
	QK_FLAGGED, /* P flagged */
	QK_INDEX,   /* P index, the marker */
	QK_DAEMONS  /* P daemons */
};

void queue_key(enum queue_key_id, char *buf, size_t len);
/* The prefix, for the scripts that name the record hashes and P routes
 * themselves (lua/lib/record.lua). */
const char *queue_key_prefix(void);
/* The routing set a queued callback waits in. */
void queue_key_route(const struct callback *, char *buf, size_t len);
/* The routing sets a caseworker may take from, personal first, followed
 * by room for extra keys; *out is the caller's to free. Returns how many
 * routing sets, or 0. */
size_t queue_key_caseworker_routes(const struct caseworker *, size_t extra,
    char (**out)[QUEUE_ROUTE_KEY_MAX]);
/* A new name for the key a rebuild holds while it runs. */
void queue_key_building(char *buf, size_t len);

/* Redis knows a callback, and a lease token, by the 16 bytes of its UUID:
 * half the memory of the text, in every set and record. */
typedef unsigned char packed_id[16];

int queue_id_pack(const char *text, packed_id out);
/* The text of a packed id from a reply; "" when it is not one. */
void queue_id_text(const redisReply *, char out[37]);

#endif
