#ifndef CBD_WORDS_H
#define CBD_WORDS_H

/*
 * The domain's words as types: a callback's state, an attempt's result and
 * the verdict of a change. Each enum has one table of the words the API
 * and SQL use for it (daemon/words.c); a word is parsed once, where it
 * comes in from PostgreSQL or JSON, and named again only where it goes
 * out.
 */

/* The states of the callbacks table (its CHECK constraint). */
enum cb_state {
	CB_QUEUED,
	CB_CLAIMED,
	CB_COMPLETED,
	CB_UNREACHABLE,
	CB_CANCELLED,
	CB_EXPIRED
};
#define CB_NSTATES 6

/* The results of the attempts table (its CHECK constraint), in the order
 * the API lists them. */
enum attempt_result {
	RESULT_REACHED,
	RESULT_NO_ANSWER,
	RESULT_BUSY,
	RESULT_VOICEMAIL,
	RESULT_WRONG_NUMBER,
	RESULT_CALLBACK_LATER
};
#define RESULT_N 6

/* What a change to one callback (cbd_heartbeat, cbd_attempt, ...) says of
 * itself when the callback exists. */
enum verdict {
	VERDICT_OK,
	VERDICT_WRONG_STATE, /* not in a state that allows it */
	VERDICT_FOREIGN,     /* the current lease, from another caseworker */
	VERDICT_LOST,        /* not the current lease, or it has lapsed */
	VERDICT_WINDOW,      /* callback_later past the caller's window */
	VERDICT_NOT_FLAGGED  /* an unflag of a callback that is not flagged */
};
#define VERDICT_N 6

/* The word of a value (never NULL for a value of the enum). */
const char *state_word(enum cb_state);
const char *result_word(enum attempt_result);
const char *verdict_word(enum verdict);
/* The value of a word: 0, or -1 when it is none of them. */
int state_parse(const char *, enum cb_state *);
int result_parse(const char *, enum attempt_result *);
int verdict_parse(const char *, enum verdict *);

/* 1 while a callback in this state is open: queued or claimed. */
int state_open(enum cb_state);
/* 1 for the results the retry policy counts: no_answer, busy, voicemail. */
int result_unanswered(enum attempt_result);

#endif
