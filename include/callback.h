#ifndef CBD_CALLBACK_H
#define CBD_CALLBACK_H
#include <stdbool.h>
#include <stdint.h>

#include "bounds.h"
#include "words.h"

/* A time that is not set (not_before of a callback without a window). */
#define CBD_NO_TIME INT64_MIN

/* A call-back request as it is stored: the row of the callbacks table.
 * Empty strings stand for NULL. */
struct callback {
	char id[37];
	enum cb_state state;
	char phone[CBD_PHONE_MAX + 1];
	char topic[CBD_IDENT_MAX + 1];
	char site[CBD_IDENT_MAX + 1];
	char language[CBD_LANGUAGE_MAX + 1];
	bool urgent;
	char assignee[CBD_IDENT_MAX + 1];
	char name[CBD_NAME_MAX + 1];
	char customer_ref[CBD_CUSTOMER_REF_MAX + 1];
	char note[CBD_NOTE_MAX + 1];
	char call_id[CBD_CALL_ID_MAX + 1];
	int64_t requested_at;
	int64_t received_at;
	int64_t due_at;
	int64_t not_before;
	int64_t not_after;
	int request_count;
	int64_t created_at;
	int64_t updated_at;
	/* claims and attempts */
	char lease_token[37];
	int64_t lease_until;
	char claimed_by[CBD_IDENT_MAX + 1];
	int attempt_count;
	int unanswered_count; /* no_answer, busy, voicemail: what the policy counts */
	int lapsed_leases;
	bool flagged;
	int64_t first_attempt_at;
	int64_t reached_at;
	int64_t closed_at;
	/* of a request only (validate_create), never read back from a row:
	 * whether it named its language, and its fingerprint */
	bool language_given;
	char fingerprint[65];
};

/* A caseworker: who may claim what. */
struct caseworker {
	char id[CBD_IDENT_MAX + 1];
	char site[CBD_IDENT_MAX + 1];
	char topics[CBD_CASEWORKER_TOPICS_MAX][CBD_IDENT_MAX + 1];
	size_t ntopics;
	char languages[CBD_CASEWORKER_LANGUAGES_MAX][CBD_LANGUAGE_MAX + 1];
	size_t nlanguages;
	bool active;
};

/* An attempt to log: what the caller said and the policy it falls under. */
struct attempt_req {
	char id[37];
	char lease_token[37];               /* empty: an agent, no lease */
	char caseworker[CBD_IDENT_MAX + 1]; /* the lease holder, or empty */
	char actor[CBD_IDENT_MAX + 1];      /* as struct api_req has it */
	enum attempt_result result;
	char note[CBD_NOTE_MAX + 1];
	int duration_s;     /* -1: not given */
	int64_t not_before; /* callback_later, or the retry
	                                       * of an unanswered one */
	int max_attempts;
};

/* When a callback falls due and when each warning comes before that. */
struct sla_plan {
	int64_t due_at;
	int nwarn;
	double warn_frac[CBD_WARN_MAX];
	int64_t warn_at[CBD_WARN_MAX];
};

/* 1 while a callback is open: queued or claimed. */
int callback_open(const struct callback *);
/* Its place in a claim queue: lower goes first. */
int64_t callback_rank(const struct callback *);
/* 1 when cw may claim cb: assigned to cw, or unassigned and of cw's site,
 * one of cw's topics and one of cw's languages (as cbd_claims has it). */
int caseworker_may_claim(const struct caseworker *, const struct callback *);

#endif
