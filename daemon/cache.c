/* cache.c: the small time-limited caches of include/cache.h. */
#include <string.h>

#include "cache.h"

static size_t
home(const struct cache *c, const char *key)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	while (*key)
		h = (h ^ (unsigned char)*key++) * 16777619u;
	return h % c->nslots;
}

static unsigned char *
value_at(const struct cache *c, size_t i)
{
	return c->values + i * c->value_size;
}

int
cache_get(const struct cache *c, const char *key, int64_t now, void *value)
{
	size_t i = home(c, key), w;

	for (w = 0; w < CACHE_WAYS && w < c->nslots;
	     w++, i = (i + 1) % c->nslots) {
		const struct cache_slot *s = &c->slots[i];

		if (s->until > now && !strcmp(s->key, key)) {
			memcpy(value, value_at(c, i), c->value_size);
			return 0;
		}
	}
	return -1;
}

void
cache_put(struct cache *c, const char *key, int64_t now, const void *value)
{
	size_t i = home(c, key), w, pick = i;
	struct cache_slot *s;

	if (strlen(key) > CACHE_KEY_MAX)
		return;
	/* the key's own slot if it has one, else the one expiring first (an
	 * empty or expired one before any live one) */
	for (w = 0; w < CACHE_WAYS && w < c->nslots;
	     w++, i = (i + 1) % c->nslots) {
		s = &c->slots[i];
		if (s->until && !strcmp(s->key, key)) {
			pick = i;
			break;
		}
		if (s->until < c->slots[pick].until)
			pick = i;
	}
	s = &c->slots[pick];
	memcpy(s->key, key, strlen(key) + 1);
	s->until = now + c->ttl_ms;
	memcpy(value_at(c, pick), value, c->value_size);
}

void
cache_clear(struct cache *c)
{
	memset(c->slots, 0, c->nslots * sizeof(c->slots[0]));
	c->gen++;
}

unsigned
cache_generation(const struct cache *c)
{
	return c->gen;
}

void
cache_put_read(struct cache *c, unsigned gen, const char *key, int64_t now,
    const void *value)
{
	if (gen == c->gen)
		cache_put(c, key, now, value);
}
