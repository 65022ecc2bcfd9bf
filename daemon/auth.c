/*
 * auth.c owns what a token is: how it is made (getrandom), how it is kept
 * (SHA-256 through libcrypto; the token itself is never stored or logged)
 * and which roles exist. Looking tokens up is the store's business.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include <openssl/evp.h>

#include "auth.h"
#include "cache.h"
#include "store.h"

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

	if (!EVP_Digest(s, strlen(s), md, &len, EVP_sha256(), NULL) || len != 32)
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

	if (strlen(token) != CBD_TOKEN_STR || strncmp(token, CBD_TOKEN_PREFIX, plen))
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

int
auth_cache_get(const char *hash_hex, int64_t now, struct token_info *ti)
{
	char none;

	if (cache_get(&tokens, hash_hex, now, ti) == 0)
		return 0;
	return cache_get(&unknown, hash_hex, now, &none) == 0 ? 1 : -1;
}

unsigned
auth_cache_generation(void)
{
	return cache_generation(&tokens);
}

void
auth_cache_put(unsigned gen, const char *hash_hex, int64_t now,
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
