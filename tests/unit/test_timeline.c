/* Unit tests for timeline.c: who reads a callback's story, with or
 * without the attempts' notes, as a table, and the bound of an answer. */
#include "check_run.h"
#include <string.h>

#include "timeline.h"

static const struct {
	const char *reader, *assignee, *claimed_by;
	int held;
	enum timeline_view want;
} views[] = {
	{ NULL, "", "", 0, TIMELINE_FULL },       /* an agent or a manager */
	{ "", "anna", "ben", 0, TIMELINE_FULL },  /* the same, whoever has it */
	{ "anna", "anna", "", 0, TIMELINE_FULL }, /* assigned to her */
	{ "anna", "", "anna", 1, TIMELINE_FULL }, /* she holds it now */
	{ "anna", "", "", 1, TIMELINE_NO_NOTES }, /* she held it once */
	{ "anna", "", "ben", 1, TIMELINE_NO_NOTES }, /* held, ben has it now */
	{ "anna", "", "", 0, TIMELINE_DENIED },      /* never hers */
	{ "anna", "ben", "ben", 0, TIMELINE_DENIED },
	{ "anna", "annabel", "annabel", 0, TIMELINE_DENIED },
};

START_TEST(a_caseworker_reads_the_story_of_her_own_callbacks_only)
{
	struct callback cb;

	memset(&cb, 0, sizeof(cb));
	strcpy(cb.assignee, views[_i].assignee);
	strcpy(cb.claimed_by, views[_i].claimed_by);
	ck_assert_int_eq(timeline_view(views[_i].reader, &cb, views[_i].held),
	    views[_i].want);
}
END_TEST

static json_t *
story(size_t n)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_array_append_new(a,
		    json_pack("{s:s,s:{s:s,s:s}}", "kind", "attempt", "data",
			"result", "busy", "note", "Mailbox voll"));
	return a;
}

START_TEST(notes_go_only_to_those_who_may_read_the_callback)
{
	json_t *full = story(2), *bare = story(2);

	ck_assert_int_eq(timeline_shape(full, TIMELINE_FULL, 10), 0);
	ck_assert_str_eq(json_string_value(json_object_get(
			     json_object_get(json_array_get(full, 1), "data"),
			     "note")),
	    "Mailbox voll");
	ck_assert_int_eq(timeline_shape(bare, TIMELINE_NO_NOTES, 10), 0);
	ck_assert_ptr_null(
	    json_object_get(json_object_get(json_array_get(bare, 0), "data"),
		"note"));
	ck_assert_ptr_null(
	    json_object_get(json_object_get(json_array_get(bare, 1), "data"),
		"note"));
	ck_assert_str_eq(json_string_value(json_object_get(
			     json_object_get(json_array_get(bare, 1), "data"),
			     "result")),
	    "busy");
	json_decref(full);
	json_decref(bare);
}
END_TEST

START_TEST(an_answer_keeps_the_oldest_entries_and_says_it_left_some_off)
{
	json_t *a = story(5);

	ck_assert_int_eq(timeline_shape(a, TIMELINE_FULL, 5), 0);
	ck_assert_int_eq(json_array_size(a), 5);
	json_object_set_new(json_array_get(a, 0), "kind",
	    json_string("created"));
	ck_assert_int_eq(timeline_shape(a, TIMELINE_FULL, 3), 1);
	ck_assert_int_eq(json_array_size(a), 3);
	ck_assert_str_eq(json_string_value(
			     json_object_get(json_array_get(a, 0), "kind")),
	    "created");
	json_decref(a);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("timeline");
	TCase *tc = tcase_create("view");

	tcase_add_loop_test(tc,
	    a_caseworker_reads_the_story_of_her_own_callbacks_only, 0,
	    N(views));
	tcase_add_test(tc, notes_go_only_to_those_who_may_read_the_callback);
	tcase_add_test(tc,
	    an_answer_keeps_the_oldest_entries_and_says_it_left_some_off);
	suite_add_tcase(s, tc);
	return check_run(s);
}
