/* Unit tests for words.c: every word of each table parses back to its
 * value, and the tables hold exactly the words of the schema's CHECK
 * constraints (sql/001_baseline.sql). */
#include "check_run.h"

#include "words.h"

static const char *const schema_states[] = { "queued", "claimed", "completed",
	"unreachable", "cancelled", "expired" };
static const char *const schema_results[] = { "reached", "no_answer", "busy",
	"voicemail", "wrong_number", "callback_later" };
static const char *const sql_verdicts[] = { "ok", "wrong_state", "foreign",
	"lost", "window", "not_flagged" };

START_TEST(every_state_word_parses_back)
{
	enum cb_state s;

	ck_assert_int_eq(N(schema_states), CB_NSTATES);
	ck_assert_int_eq(state_parse(schema_states[_i], &s), 0);
	ck_assert_str_eq(state_word(s), schema_states[_i]);
}
END_TEST

START_TEST(every_result_word_parses_back)
{
	enum attempt_result r;

	ck_assert_int_eq(N(schema_results), RESULT_N);
	ck_assert_int_eq(result_parse(schema_results[_i], &r), 0);
	ck_assert_int_eq(r, _i); /* the API lists them in this order */
	ck_assert_str_eq(result_word(r), schema_results[_i]);
}
END_TEST

START_TEST(every_verdict_word_parses_back)
{
	enum verdict v;

	ck_assert_int_eq(N(sql_verdicts), VERDICT_N);
	ck_assert_int_eq(verdict_parse(sql_verdicts[_i], &v), 0);
	ck_assert_str_eq(verdict_word(v), sql_verdicts[_i]);
}
END_TEST

START_TEST(other_words_are_refused)
{
	enum cb_state s = CB_EXPIRED;
	enum attempt_result r = RESULT_BUSY;
	enum verdict v = VERDICT_LOST;

	ck_assert_int_eq(state_parse("Queued", &s), -1);
	ck_assert_int_eq(state_parse("", &s), -1);
	ck_assert_int_eq(state_parse(NULL, &s), -1);
	ck_assert_int_eq(s, CB_EXPIRED);
	ck_assert_int_eq(result_parse("shouted", &r), -1);
	ck_assert_int_eq(result_parse("reached ", &r), -1);
	ck_assert_int_eq(r, RESULT_BUSY);
	ck_assert_int_eq(verdict_parse("not_found", &v), -1);
	ck_assert_int_eq(v, VERDICT_LOST);
}
END_TEST

START_TEST(open_states_and_unanswered_results)
{
	ck_assert(state_open(CB_QUEUED));
	ck_assert(state_open(CB_CLAIMED));
	ck_assert(!state_open(CB_COMPLETED));
	ck_assert(!state_open(CB_UNREACHABLE));
	ck_assert(!state_open(CB_CANCELLED));
	ck_assert(!state_open(CB_EXPIRED));
	ck_assert(!result_unanswered(RESULT_REACHED));
	ck_assert(result_unanswered(RESULT_NO_ANSWER));
	ck_assert(result_unanswered(RESULT_BUSY));
	ck_assert(result_unanswered(RESULT_VOICEMAIL));
	ck_assert(!result_unanswered(RESULT_WRONG_NUMBER));
	ck_assert(!result_unanswered(RESULT_CALLBACK_LATER));
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("words");
	TCase *tc = tcase_create("words");

	tcase_add_loop_test(tc, every_state_word_parses_back, 0,
	    N(schema_states));
	tcase_add_loop_test(tc, every_result_word_parses_back, 0,
	    N(schema_results));
	tcase_add_loop_test(tc, every_verdict_word_parses_back, 0,
	    N(sql_verdicts));
	tcase_add_test(tc, other_words_are_refused);
	tcase_add_test(tc, open_states_and_unanswered_results);
	suite_add_tcase(s, tc);
	return check_run(s);
}
