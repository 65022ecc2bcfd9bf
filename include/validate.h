#ifndef CBD_VALIDATE_H
#define CBD_VALIDATE_H
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "bounds.h"
#include "callback.h"
#include "config.h"

/* What is wrong with a request: HTTP status, machine-readable code, the
 * field it concerns (NULL when none) and a sentence for a person. */
struct verr {
	int status;
	const char *code;
	const char *field;
	char message[CBD_ERROR_MESSAGE_MAX];
};

/*
 * Checks a create body (already parsed JSON) against the configuration and
 * fills cb with the normalised request: phone in E.164, language as its
 * primary tag (one the config lists; not given: the first it lists, and
 * language_given false), requested_at defaulted to received_ms, window
 * times, and the request's fingerprint (SHA-256 hex of the normalised
 * fields) that an idempotency key is stored with. Does not set id,
 * state, due_at or the bookkeeping times. Pure: no I/O.
 * Returns 0, or -1 with e filled.
 */
int validate_create(const json_t *body, const struct config *,
    int64_t received_ms, struct callback *cb, struct verr *e);

/* Checks an Idempotency-Key header value (NULL: absent is fine). */
int validate_idempotency_key(const char *key, struct verr *e);

/* {"lease": TOKEN} of a heartbeat or release. */
int validate_lease(const json_t *body, char token[37], struct verr *);

/* An attempt: result, note, duration_s, not_before (callback_later only),
 * lease (required for the claim holder, optional for an agent). Fills a's
 * lease_token, result, note, duration_s, not_before. */
int validate_attempt(const json_t *body, int lease_required, int64_t now,
    struct attempt_req *a, struct verr *);

/* A caseworker's profile; with_id: the id is in the body (create). */
int validate_caseworker(const json_t *body, const struct config *, int with_id,
    struct caseworker *, struct verr *);

/* A token's expiry from the API (expires_at, RFC 3339, ahead of now) or
 * the command line (expires_in, a duration from now: "90d"); either may
 * be NULL, not both given. *out CBD_NO_TIME when neither is. */
int validate_token_expiry(const char *expires_at, const char *expires_in,
    int64_t now, int64_t *out, struct verr *);

#endif
