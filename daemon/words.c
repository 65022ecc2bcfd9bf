/*
 * words.c owns the one table of each domain word: the states, attempt
 * results and verdicts as the API and SQL spell them, and the way from a
 * word to its enum and back. Pure; it knows nothing of where a word came
 * from, and no other file spells these words to compare them.
 */
#include <stddef.h>
#include <string.h>

#include "words.h"

static const char *const states[CB_NSTATES] = {
	[CB_QUEUED] = "queued",
	[CB_CLAIMED] = "claimed",
	[CB_COMPLETED] = "completed",
	[CB_UNREACHABLE] = "unreachable",
	[CB_CANCELLED] = "cancelled",
	[CB_EXPIRED] = "expired",
};

static const char *const results[RESULT_N] = {
	[RESULT_REACHED] = "reached",
	[RESULT_NO_ANSWER] = "no_answer",
	[RESULT_BUSY] = "busy",
	[RESULT_VOICEMAIL] = "voicemail",
	[RESULT_WRONG_NUMBER] = "wrong_number",
	[RESULT_CALLBACK_LATER] = "callback_later",
};

static const char *const verdicts[VERDICT_N] = {
	[VERDICT_OK] = "ok",
	[VERDICT_WRONG_STATE] = "wrong_state",
	[VERDICT_FOREIGN] = "foreign",
	[VERDICT_LOST] = "lost",
	[VERDICT_WINDOW] = "window",
	[VERDICT_NOT_FLAGGED] = "not_flagged",
};

static const char *
word(const char *const *table, int n, int v)
{
	return v >= 0 && v < n ? table[v] : "?";
}

static int
parse(const char *const *table, int n, const char *s)
{
	int i;

	for (i = 0; s && i < n; i++)
		if (!strcmp(table[i], s))
			return i;
	return -1;
}

const char *
state_word(enum cb_state s)
{
	return word(states, CB_NSTATES, (int)s);
}

const char *
result_word(enum attempt_result r)
{
	return word(results, RESULT_N, (int)r);
}

const char *
verdict_word(enum verdict v)
{
	return word(verdicts, VERDICT_N, (int)v);
}

int
state_parse(const char *s, enum cb_state *out)
{
	int i = parse(states, CB_NSTATES, s);

	if (i == -1)
		return -1;
	*out = (enum cb_state)i;
	return 0;
}

int
result_parse(const char *s, enum attempt_result *out)
{
	int i = parse(results, RESULT_N, s);

	if (i == -1)
		return -1;
	*out = (enum attempt_result)i;
	return 0;
}

int
verdict_parse(const char *s, enum verdict *out)
{
	int i = parse(verdicts, VERDICT_N, s);

	if (i == -1)
		return -1;
	*out = (enum verdict)i;
	return 0;
}

int
state_open(enum cb_state s)
{
	return s == CB_QUEUED || s == CB_CLAIMED;
}

int
result_unanswered(enum attempt_result r)
{
	return r == RESULT_NO_ANSWER || r == RESULT_BUSY ||
	    r == RESULT_VOICEMAIL;
}
