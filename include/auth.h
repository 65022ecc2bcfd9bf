#ifndef CBD_AUTH_H
#define CBD_AUTH_H

#include <stdint.h>

#include "bounds.h"

/* Roles as bits, so a route can admit several. */
enum role {
	ROLE_TELEPHONY = 1 << 0,
	ROLE_AGENT = 1 << 1,
	ROLE_CASEWORKER = 1 << 2,
	ROLE_MANAGER = 1 << 3,
	ROLE_ADMIN = 1 << 4
};

/* The role bit of a role name, or 0 when there is no such role. */
unsigned auth_role(const char *name);

/* Makes a new token from the system's random source and its SHA-256 in
 * hex. Returns 0, or -1 when no randomness could be had. */
int auth_new_token(char token[CBD_TOKEN_STR + 1], char hash_hex[65]);

/* A random (version 4) UUID, used as a lease token. */
int auth_new_uuid(char out[37]);

/* Checks the shape of a presented token and hashes it. Returns 0, or -1
 * for something that cannot be a token of ours. */
int auth_hash(const char *token, char hash_hex[65]);

/* The token in an "Authorization: Bearer ..." header value, or NULL. */
const char *auth_bearer(const char *header);

/*
 * What PostgreSQL said about a token hash, remembered for
 * CBD_TOKEN_CACHE_MS so that a request does not cost a round trip to be
 * authenticated. A token revoked through this daemon stops working at
 * once (the cache is cleared), through another within that time.
 */
struct token_info;
/* 0 and the token when known, 1 when remembered as no valid token (an
 * unknown hash is not looked up again within the cache time: random
 * bearer tokens do not each cost a PostgreSQL round trip), -1 when not
 * remembered. */
int auth_cache_get(const char *hash_hex, int64_t now, struct token_info *);
/* Before a lookup: what auth_cache_put needs to tell whether a clear came
 * while the lookup was out (the answer may then be stale). */
unsigned auth_cache_generation(void);
/* Keeps a lookup's answer (ti NULL: no valid token) unless a clear came
 * since generation gen. */
void auth_cache_put(unsigned gen, const char *hash_hex, int64_t now,
    const struct token_info *ti);
/* After a change to tokens or caseworkers has committed. */
void auth_cache_clear(void);

#endif
