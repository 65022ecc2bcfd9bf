/*
 * auth.c owns what a token is: how it is made (getrandom), how it is kept
 * (SHA-256 through libcrypto; the token itself is never stored or logged)
 * and which roles exist, and the verdict on a request's token: its
 * shape, the cache of lookups, the store's lookup and what PostgreSQL's
 * silence means (no verdict but "ask again"). The SQL is the store's; what
 * a verdict answers is http.c's.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include <openssl/evp.h>

#include "auth.h"
#include "cache.h"
#include "store.h"
#include "timefmt.h"

static const struct {
	const char *name;
	unsigned bit;
} roles[] = {
	{ "telephony", ROLE_TELEPHONY },
	{ "agent", ROLE_AGENT },
	{ "caseworker", ROLE_CASEWORKER },
	{ "manager", ROLE_MANAGER },
	{ "admin", ROLE_ADMIN },
};

unsigned
auth_role(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
		if (!strcmp(roles[i].name, name))
			return roles[i].bit;
	return 0;
}

static void
hex(const unsigned char *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

static int
sha256_hex(const char *s, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;

	if (!EVP_Digest(s, strlen(s), md, &len, EVP_sha256(), NULL) ||
	    len != 32)
		return -1;
	hex(md, len, out);
	return 0;
}

int
auth_new_token(char token[CBD_TOKEN_STR + 1], char hash_hex[65])
{
	unsigned char raw[CBD_TOKEN_BYTES];
	size_t got = 0;
	ssize_t n;

	while (got < sizeof(raw)) {
		n = getrandom(raw + got, sizeof(raw) - got, 0);
		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	memcpy(token, CBD_TOKEN_PREFIX, sizeof(CBD_TOKEN_PREFIX) - 1);
	hex(raw, sizeof(raw), token + sizeof(CBD_TOKEN_PREFIX) - 1);
	return sha256_hex(token, hash_hex);
}

int
auth_hash(const char *token, char hash_hex[65])
{
	size_t i, plen = sizeof(CBD_TOKEN_PREFIX) - 1;

	if (strlen(token) != CBD_TOKEN_STR ||
	    strncmp(token, CBD_TOKEN_PREFIX, plen))
		return -1;
	for (i = plen; token[i]; i++)
		if (!strchr("0123456789abcdef", token[i]))
			return -1;
	return sha256_hex(token, hash_hex);
}

const char *
auth_bearer(const char *header)
{
	if (!header || strncasecmp(header, "Bearer ", 7))
		return NULL;
	header += 7;
	while (*header == ' ')
		header++;
	return *header ? header : NULL;
}

int
auth_new_uuid(char out[37])
{
	unsigned char b[16];
	char h[33];
	ssize_t n;

	if ((n = getrandom(b, sizeof(b), 0)) != (ssize_t)sizeof(b))
		return -1;
	b[6] = (b[6] & 0x0f) | 0x40; /* version 4 */
	b[8] = (b[8] & 0x3f) | 0x80; /* RFC 4122 variant */
	hex(b, sizeof(b), h);
	snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", h, h + 8, h + 12, h + 16,
	    h + 20);
	return 0;
}

/* ---- token cache ------------------------------------------------------ */

/* Valid tokens and unknown hashes in caches of their own: a flood of
 * random bearer tokens fills the second, never pushes the telephony
 * system's token out of the first (each intake would cost a lookup). */
static struct cache_slot token_slots[CBD_TOKEN_CACHE_SLOTS];
static struct token_info token_values[CBD_TOKEN_CACHE_SLOTS];
static struct cache tokens = CACHE_INIT(token_slots, token_values,
    CBD_TOKEN_CACHE_MS);
static struct cache_slot unknown_slots[CBD_TOKEN_CACHE_SLOTS];
static char unknown_values[CBD_TOKEN_CACHE_SLOTS];
static struct cache unknown = CACHE_INIT(unknown_slots, unknown_values,
    CBD_TOKEN_CACHE_MS);

/* 0 and the token when known, 1 when remembered as no valid token, -1
 * when not remembered. */
static int
cache_get_token(const char *hash_hex, int64_t now, struct token_info *ti)
{
	char none;

	if (cache_get(&tokens, hash_hex, now, ti) == 0)
		return 0;
	return cache_get(&unknown, hash_hex, now, &none) == 0 ? 1 : -1;
}

/* Keeps a lookup's answer (ti NULL: no valid token) unless a clear came
 * since generation gen: then the answer may be stale. */
static void
cache_put_token(unsigned gen, const char *hash_hex, int64_t now,
    const struct token_info *ti)
{
	char none = 0;

	if (ti)
		cache_put_read(&tokens, gen, hash_hex, now, ti);
	else if (gen == cache_generation(&tokens)) /* both cleared together */
		cache_put(&unknown, hash_hex, now, &none);
}

void
auth_cache_clear(void)
{
	cache_clear(&tokens);
	cache_clear(&unknown); /* a token just made is no longer unknown */
}

/* ---- the verdict ------------------------------------------------------ */

static void
decide(struct auth_check *c, const struct token_info *ti)
{
	/* the cache may hold a token a little past its expiry */
	if (ti->expires_ms != CBD_NO_TIME && ti->expires_ms <= now_ms())
		c->fn(c->arg, AUTH_INVALID, NULL);
	else
		c->fn(c->arg, AUTH_VALID, ti);
}

/* PostgreSQL's answer about a token, remembered for a few seconds. */
static void
on_looked_up(void *arg, enum store_status st, const struct token_info *ti)
{
	struct auth_check *c = arg;

	if (st == STORE_OK || st == STORE_NOT_FOUND)
		cache_put_token(c->gen, c->hash_hex, now_ms(),
		    st == STORE_OK ? ti : NULL);
	switch (st) {
	case STORE_OK:
		decide(c, ti);
		break;
	case STORE_NOT_FOUND:
		c->fn(c->arg, AUTH_INVALID, NULL);
		break;
	case STORE_UNAVAILABLE:
		c->fn(c->arg, AUTH_UNREACHABLE, NULL);
		break;
	default:
		c->fn(c->arg, AUTH_REFUSED, NULL);
		break;
	}
}

void
auth_check(struct auth_check *c, const char *authorization, auth_verdict_fn *fn,
    void *arg)
{
	const char *token = auth_bearer(authorization);
	struct token_info ti;

	c->fn = fn;
	c->arg = arg;
	if (!token || auth_hash(token, c->hash_hex) == -1) {
		fn(arg, AUTH_NO_TOKEN, NULL);
		return;
	}
	switch (cache_get_token(c->hash_hex, now_ms(), &ti)) {
	case 0:
		decide(c, &ti);
		return;
	case 1:
		fn(arg, AUTH_INVALID, NULL);
		return;
	}
	c->gen = cache_generation(&tokens);
	store_token_lookup(c->hash_hex, on_looked_up, c);
}

int
auth_vouched(const char *authorization)
{
	const char *token = auth_bearer(authorization);
	struct token_info ti;
	char hash[65];

	return token && auth_hash(token, hash) == 0 &&
	    cache_get_token(hash, now_ms(), &ti) == 0;
}
