#ifndef CBD_TOKEN_H
#define CBD_TOKEN_H
#include <stdint.h>

#include "bounds.h"

/*
 * A valid token as PostgreSQL knows it: what the store looks up, auth
 * remembers and a request carries. Data only, so that the HTTP side can
 * hold one without knowing the store.
 */
struct token_info {
	int64_t id;
	char role[16];
	char caseworker_id[CBD_IDENT_MAX + 1];
	int64_t expires_ms; /* CBD_NO_TIME: never */
};

#endif
