/* Unit tests for alert.c: the RFC 5424 message of an SLA alert, with its
 * structured data sla@32473, for at_risk, breached and unclaimable; the
 * escaping of '"', '\' and ']' in SD-PARAM values (RFC 5424 6.3.3); no
 * field beyond the alert's own; and what fits in how many bytes. */
#include "check_run.h"
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "alert.h"
#include "bounds.h"
#include "timefmt.h"

#define ID "0b6c8f9e-3c1a-4d7e-9f00-123456789abc"
#define T10 1795514400000LL /* 2026-11-24T10:00:00Z */
#define MIN 60000LL

static struct alert
make(const char *level, double threshold, const char *reason)
{
	struct alert a;

	memset(&a, 0, sizeof(a));
	a.id = 7;
	snprintf(a.callback_id, sizeof(a.callback_id), "%s", ID);
	snprintf(a.level, sizeof(a.level), "%s", level);
	a.threshold = threshold;
	snprintf(a.reason, sizeof(a.reason), "%s", reason);
	snprintf(a.site, sizeof(a.site), "dortmund");
	snprintf(a.topic, sizeof(a.topic), "housing_approval");
	a.due_at = T10 + 60 * MIN;
	a.fire_at = T10;
	a.fired_at = T10;
	a.sent_at = CBD_NO_TIME;
	return a;
}

/* The SD-PARAMs of the first SD-ELEMENT of msg, as RFC 5424 reads them:
 * names into names (comma separated), unescaped values into values (NUL
 * separated, in order). Returns the count, -1 when it is not well formed;
 * *end points past the closing ']'. */
static int
sd_params(const char *msg, char *names, size_t nlen, char *values, size_t vlen,
    const char **end)
{
	const char *p = strchr(msg, '[');
	size_t vo = 0;
	int n = 0;

	names[0] = '\0';
	if (!p || strncmp(p, "[sla@32473", 10))
		return -1;
	p += 10;
	while (*p == ' ') {
		const char *eq = strchr(++p, '=');

		if (!eq || eq[1] != '"')
			return -1;
		snprintf(names + strlen(names), nlen - strlen(names), "%s%.*s",
		    n ? "," : "", (int)(eq - p), p);
		for (p = eq + 2; *p && *p != '"'; p++) {
			if (*p == '\\' &&
			    (p[1] == '"' || p[1] == '\\' || p[1] == ']'))
				p++;
			else if (*p == ']')
				return -1; /* must be escaped inside a value */
			if (vo + 1 >= vlen)
				return -1;
			values[vo++] = *p;
		}
		if (*p != '"')
			return -1;
		values[vo++] = '\0';
		p++;
		n++;
	}
	if (*p != ']')
		return -1;
	*end = p + 1;
	return n;
}

START_TEST(at_risk_is_a_warning_with_its_share_of_the_target)
{
	struct alert a = make("at_risk", 0.5, "");
	char buf[1024];
	size_t n = alert_format(&a, "host", 4242, T10, buf, sizeof(buf));

	ck_assert_str_eq(buf,
	    "<132>1 2026-11-24T10:00:00.000Z host callbackd 4242 "
	    "sla [sla@32473 callback=\"" ID "\" site=\"dortmund\" "
	    "topic=\"housing_approval\" level=\"at_risk\" "
	    "due=\"2026-11-24T11:00:00.000Z\" planned=\"2026-11-24T10:00:00.000Z\" "
	    "elapsed=\"0.50\"] callback " ID " at risk: 50% of the SLA target "
	    "used, due 2026-11-24T11:00:00.000Z");
	ck_assert_uint_eq(n, strlen(buf));
}
END_TEST

START_TEST(breached_is_an_error_at_the_whole_target)
{
	struct alert a = make("breached", 1.0, "");
	char buf[1024];

	a.fire_at = a.due_at;
	ck_assert_uint_gt(alert_format(&a, "host", 1, a.due_at, buf,
			      sizeof(buf)),
	    0);
	ck_assert_str_eq(buf,
	    "<131>1 2026-11-24T11:00:00.000Z host callbackd 1 "
	    "sla [sla@32473 callback=\"" ID "\" site=\"dortmund\" "
	    "topic=\"housing_approval\" level=\"breached\" "
	    "due=\"2026-11-24T11:00:00.000Z\" planned=\"2026-11-24T11:00:00.000Z\" "
	    "elapsed=\"1.00\"] callback " ID
	    " breached: 100% of the SLA target "
	    "used, due 2026-11-24T11:00:00.000Z");
}
END_TEST

START_TEST(unclaimable_says_why_and_has_no_share)
{
	struct alert a = make("unclaimable", 0, "no_caseworker");
	char buf[1024];

	ck_assert_uint_gt(alert_format(&a, "host", 4242, T10, buf, sizeof(buf)),
	    0);
	ck_assert_str_eq(buf,
	    "<132>1 2026-11-24T10:00:00.000Z host callbackd 4242 "
	    "sla [sla@32473 callback=\"" ID "\" site=\"dortmund\" "
	    "topic=\"housing_approval\" level=\"unclaimable\" "
	    "reason=\"no_caseworker\" due=\"2026-11-24T11:00:00.000Z\" "
	    "planned=\"2026-11-24T10:00:00.000Z\"] callback " ID
	    " unclaimable: "
	    "no active caseworker may claim it (no_caseworker), due "
	    "2026-11-24T11:00:00.000Z");
}
END_TEST

/* Held while syslog was down: TIMESTAMP is when it went out, planned
 * when it was due to; one never planned is planned when it is sent. An
 * empty hostname is the NILVALUE. */
START_TEST(timestamp_is_sending_and_planned_is_the_plan)
{
	struct alert a = make("at_risk", 0.75, "");
	char buf[1024];

	ck_assert_uint_gt(alert_format(&a, "host", 9, T10 + 30 * MIN, buf,
			      sizeof(buf)),
	    0);
	ck_assert_ptr_nonnull(
	    strstr(buf, "<132>1 2026-11-24T10:30:00.000Z host "));
	ck_assert_ptr_nonnull(strstr(buf,
	    " planned=\"2026-11-24T10:00:00.000Z\" "
	    "elapsed=\"0.75\"]"));
	a.fire_at = CBD_NO_TIME;
	ck_assert_uint_gt(alert_format(&a, "", 9, T10 + 30 * MIN, buf,
			      sizeof(buf)),
	    0);
	ck_assert_ptr_nonnull(
	    strstr(buf, "2026-11-24T10:30:00.000Z - callbackd 9 "));
	ck_assert_ptr_nonnull(
	    strstr(buf, " planned=\"2026-11-24T10:30:00.000Z\" "));
}
END_TEST

/* What a receiver reads back is what the alert holds, whatever its site
 * or topic is spelt with. */
static const char *const awkward[] = {
	"a\"b",
	"back\\slash",
	"close]",
	"\"\\]",
	"]]]]",
	"\\",
	"plain",
	"",
};

START_TEST(sd_values_escape_quote_backslash_and_bracket)
{
	struct alert a = make(_i % 2 ? "breached" : "unclaimable", 1.0,
	    "no_caseworker");
	char buf[1024], names[256], values[1024];
	const char *end, *v;

	snprintf(a.site, sizeof(a.site), "%s", awkward[_i]);
	snprintf(a.topic, sizeof(a.topic), "t%s", awkward[_i]);
	ck_assert_uint_gt(alert_format(&a, "host", 1, T10, buf, sizeof(buf)),
	    0);
	ck_assert_int_gt(sd_params(buf, names, sizeof(names), values,
			     sizeof(values), &end),
	    0);
	ck_assert_int_eq(*end, ' '); /* the MSG follows the one SD-ELEMENT */
	v = values;
	ck_assert_str_eq(v, ID);
	v += strlen(v) + 1;
	ck_assert_str_eq(v, awkward[_i]);
	v += strlen(v) + 1;
	ck_assert_str_eq(v + 1, awkward[_i]);
}
END_TEST

START_TEST(sd_escapes_are_a_backslash_each)
{
	struct alert a = make("at_risk", 0.5, "");
	char buf[1024];

	snprintf(a.site, sizeof(a.site), "a\"b\\c]d");
	ck_assert_uint_gt(alert_format(&a, "host", 1, T10, buf, sizeof(buf)),
	    0);
	ck_assert_ptr_nonnull(strstr(buf, " site=\"a\\\"b\\\\c\\]d\" "));
}
END_TEST

/* An alert names its callback by id and where it is queued; nothing
 * else: no phone, name, customer reference or note has a field here. */
START_TEST(sd_params_are_the_alert_fields_only)
{
	static const struct {
		const char *level, *reason, *names;
	} cases[] = {
		{ "at_risk", "",
		    "callback,site,topic,level,due,planned,elapsed" },
		{ "breached", "",
		    "callback,site,topic,level,due,planned,elapsed" },
		{ "unclaimable", "assignee_inactive",
		    "callback,site,topic,level,reason,due,planned" },
	};
	struct alert a = make(cases[_i].level, 0.5, cases[_i].reason);
	char buf[1024], names[256], values[1024];
	const char *end;

	ck_assert_uint_gt(alert_format(&a, "host", 1, T10, buf, sizeof(buf)),
	    0);
	ck_assert_int_gt(sd_params(buf, names, sizeof(names), values,
			     sizeof(values), &end),
	    0);
	ck_assert_str_eq(names, cases[_i].names);
}
END_TEST

START_TEST(webhook_body_has_the_alert_fields_only)
{
	struct alert a = make("unclaimable", 0, "no_caseworker");
	char *text = alert_json(&a, T10 + MIN);
	json_t *j = json_loads(text, 0, NULL);
	const char *k;
	json_t *v;
	static const char *const keys =
	    ",id,callback_id,level,threshold,site,topic,due_at,planned_at,"
	    "fired_at,reason,";
	char key[40];

	ck_assert_ptr_nonnull(j);
	json_object_foreach(j, k, v)
	{
		snprintf(key, sizeof(key), ",%s,", k);
		ck_assert_msg(strstr(keys, key), "unexpected field %s", k);
	}
	ck_assert_int_eq(json_object_size(j), 10);
	ck_assert_str_eq(json_string_value(json_object_get(j, "reason")),
	    "no_caseworker");
	ck_assert_str_eq(json_string_value(json_object_get(j, "planned_at")),
	    "2026-11-24T10:00:00.000Z");
	json_decref(j);
	free(text);
	/* a plan's alert has no reason */
	a = make("at_risk", 0.5, "");
	j = json_loads(text = alert_json(&a, T10), 0, NULL);
	ck_assert_ptr_null(json_object_get(j, "reason"));
	json_decref(j);
	free(text);
}
END_TEST

/* The length returned is the message's; a buffer one byte short of it
 * and its NUL gets 0, never a message cut off. */
START_TEST(a_message_fits_or_is_not_made)
{
	struct alert a = make("breached", 1.0, "");
	char buf[1024], small[1024];
	size_t n = alert_format(&a, "host", 4242, T10, buf, sizeof(buf));

	ck_assert_uint_gt(n, 0);
	ck_assert_uint_eq(n, strlen(buf));
	ck_assert_uint_eq(alert_format(&a, "host", 4242, T10, small, n + 1), n);
	ck_assert_str_eq(small, buf);
	ck_assert_uint_eq(alert_format(&a, "host", 4242, T10, small, n), 0);
	ck_assert_uint_eq(alert_format(&a, "host", 4242, T10, small, 1), 0);
}
END_TEST

/* The longest alert there can be (every site and topic character needing
 * its escape, the longest reason, a 63-byte hostname) fits in the
 * message buffer syslog delivery uses. */
START_TEST(the_longest_alert_fits_in_a_message)
{
	struct alert a = make("unclaimable", 1.0, "");
	char buf[CBD_ALERT_MSG_MAX], host[64];

	memset(a.site, ']', CBD_IDENT_MAX);
	a.site[CBD_IDENT_MAX] = '\0';
	memset(a.topic, '"', CBD_IDENT_MAX);
	a.topic[CBD_IDENT_MAX] = '\0';
	memset(a.reason, 'r', sizeof(a.reason) - 1);
	memset(host, 'h', sizeof(host) - 1);
	host[sizeof(host) - 1] = '\0';
	ck_assert_uint_gt(alert_format(&a, host, 2147483647, T10, buf,
			      sizeof(buf)),
	    0);
	snprintf(a.level, sizeof(a.level), "breached");
	ck_assert_uint_gt(alert_format(&a, host, 2147483647, T10, buf,
			      sizeof(buf)),
	    0);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("alert");
	TCase *tc = tcase_create("format");

	tcase_add_test(tc, at_risk_is_a_warning_with_its_share_of_the_target);
	tcase_add_test(tc, breached_is_an_error_at_the_whole_target);
	tcase_add_test(tc, unclaimable_says_why_and_has_no_share);
	tcase_add_test(tc, timestamp_is_sending_and_planned_is_the_plan);
	tcase_add_loop_test(tc, sd_values_escape_quote_backslash_and_bracket, 0,
	    N(awkward));
	tcase_add_test(tc, sd_escapes_are_a_backslash_each);
	tcase_add_loop_test(tc, sd_params_are_the_alert_fields_only, 0, 3);
	tcase_add_test(tc, webhook_body_has_the_alert_fields_only);
	tcase_add_test(tc, a_message_fits_or_is_not_made);
	tcase_add_test(tc, the_longest_alert_fits_in_a_message);
	suite_add_tcase(s, tc);
	return check_run(s);
}
