#ifndef CBD_CACHE_H
#define CBD_CACHE_H
#include <stddef.h>
#include <stdint.h>

/*
 * A small cache of fixed-size values by string key, each kept for ttl_ms:
 * for what the daemon reads from PostgreSQL on nearly every request and
 * may see a few seconds late (tokens, caseworker profiles). A key lives
 * in one of CACHE_WAYS consecutive slots from its hash, so keys that
 * hash alike do not evict each other; when all are taken, the entry that
 * expires first makes room. The storage is the caller's, static.
 */
#define CACHE_KEY_MAX 64
#define CACHE_WAYS 4

struct cache_slot {
	char key[CACHE_KEY_MAX + 1];
	int64_t until; /* 0: empty */
};

struct cache {
	struct cache_slot *slots;
	unsigned char *values;
	size_t nslots;
	size_t value_size;
	int64_t ttl_ms;
	unsigned gen; /* counts cache_clear calls */
};

/* A cache over two static arrays of the same length: slots and values. */
#define CACHE_INIT(slot_array, value_array, ttl) \
	{ \
		(slot_array), (unsigned char *)(value_array), \
		    sizeof(slot_array) / sizeof((slot_array)[0]), \
		    sizeof((value_array)[0]), (ttl), 0 \
	}

/* Copies the value of key into value; 0 when there, -1 when missing or
 * expired. */
int cache_get(const struct cache *, const char *key, int64_t now, void *value);

/* Keeps value for key until now + ttl_ms. A key longer than CACHE_KEY_MAX
 * is not kept. */
void cache_put(struct cache *, const char *key, int64_t now, const void *value);

/* Forgets everything, and whatever was read before: see cache_put_read. */
void cache_clear(struct cache *);

/* A lookup's value arrives after a round trip, and a clear (a token
 * revoked, a profile saved) may have come in between: then the value read
 * may be the old one. Take cache_generation before the lookup and keep its
 * answer with cache_put_read, which keeps it only if no clear came since. */
unsigned cache_generation(const struct cache *);
void cache_put_read(struct cache *, unsigned gen, const char *key, int64_t now,
    const void *value);

#endif
