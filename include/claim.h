#ifndef CBD_CLAIM_H
#define CBD_CLAIM_H
#include <stddef.h>

#include "callback.h"
#include "http.h"
#include "store.h"

/*
 * The claim workflow between Redis and PostgreSQL, for one request: Redis
 * picks (and provisionally leases) what a caseworker may take next,
 * PostgreSQL records the lease, Redis is put back when it does not, and
 * a pick PostgreSQL refuses (a stale or misplaced index entry) is
 * re-synced and the next one tried. The peek reads the same queue
 * without claiming, and mends the same misplaced entries. The handler
 * checks access before and answers after; this module never answers.
 */

enum claim_outcome {
	CLAIM_OK,           /* claimed (the row with its lease), or peeked */
	CLAIM_NONE,         /* nothing this caseworker may claim */
	CLAIM_QUEUE_FAILED, /* Redis did not answer */
	CLAIM_STORE_FAILED  /* not recorded: PostgreSQL failed, too many stale
	                     * entries in a row, or the client went away */
};

/* cb: the claimed row (CLAIM_OK only), valid during the call. */
typedef void claim_fn(void *arg, enum claim_outcome, const struct callback *cb);
/* Claims the next callback cw may take, for request a (its actor and
 * token go on record with the claim; a client gone makes it give up).
 * fn is called once. */
void claim_take(struct api_req *a, const struct caseworker *cw, claim_fn *fn,
    void *arg);

/* rows: those of the ids the queue offered that cw may claim, in claim
 * order; offered: how many the queue offered. st: the store's status with
 * CLAIM_STORE_FAILED. */
typedef void claim_peek_fn(void *arg, enum claim_outcome, enum store_status st,
    const struct callback *rows, size_t n, size_t offered);
/* The callbacks cw would claim next, from offset on, at most limit (up
 * to CBD_PEEK_LIMIT_MAX). fn is called once. */
void claim_peek(const struct caseworker *cw, size_t offset, size_t limit,
    claim_peek_fn *fn, void *arg);

#endif
