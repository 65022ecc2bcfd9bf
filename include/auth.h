#ifndef CBD_AUTH_H
#define CBD_AUTH_H

#include <stdint.h>

#include "bounds.h"
#include "token.h"

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
 * The verdict on the bearer token of a request: from what PostgreSQL
 * said about its hash, remembered for CBD_TOKEN_CACHE_MS so that a
 * request does not cost a round trip to be authenticated. A token revoked
 * through this daemon stops working at once (the cache is cleared),
 * through another within that time. An unknown hash is remembered too,
 * apart from the valid ones: random bearer tokens do not each cost a
 * PostgreSQL round trip, nor push a valid token out.
 */
enum auth_verdict {
	AUTH_VALID,       /* the token's row is in the struct token_info */
	AUTH_NO_TOKEN,    /* none, or nothing that can be a token of ours */
	AUTH_INVALID,     /* unknown, revoked, expired, or the token of a
			   * caseworker who is not active */
	AUTH_UNREACHABLE, /* PostgreSQL could not be asked */
	AUTH_REFUSED      /* PostgreSQL refused the lookup */
};

typedef void auth_verdict_fn(void *arg, enum auth_verdict,
    const struct token_info *);

/* A check under way: the caller's, kept until fn has been called. */
struct auth_check {
	char hash_hex[65];
	unsigned gen; /* the cache's, when the lookup began */
	auth_verdict_fn *fn;
	void *arg;
};

/* The verdict on the value of an Authorization header (NULL: none):
 * fn(arg, ...) exactly once, before the call returns when the cache or
 * the token's shape decides, else from the loop once PostgreSQL said. */
void auth_check(struct auth_check *, const char *authorization,
    auth_verdict_fn *fn, void *arg);
/* 1 when the Authorization header value carries a token this daemon
 * knows valid now, from the cache alone. */
int auth_vouched(const char *authorization);
/* After a change to tokens or caseworkers has committed. */
void auth_cache_clear(void);

#endif
