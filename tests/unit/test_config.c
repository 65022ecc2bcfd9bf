/*
 * Unit tests for config.c through config_load_text: what a file may say,
 * what is refused with which file:line and key, and what a reload would
 * apply or keep. A table of small files, each beside a base that loads.
 */
#include "check_run.h"
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "config_int.h"

static const char base[] = "[daemon]\n"                /* 1 */
			   "listen = 127.0.0.1:8080\n" /* 2 */
			   "country_code = 49\n"       /* 3 */
			   "\n"
			   "[topic general]\n" /* 5 */
			   "target = 48h\n"    /* 6 */
			   "\n"
			   "[site dortmund]\n"  /* 8 */
			   "calendar = 24x7\n"; /* 9 */

/* clang-format off */
static const struct {
	const char *extra; /* appended to base */
	const char *error; /* NULL: loads; else a part of the error */
} cases[] = {
	{ "", NULL },
	{ "\n[calendar office]\nmon = 08:00-16:00\nclosed = 2028-02-29\n", NULL },
	{ "\n[calendar office]\nmon = 08:00-16:00\nclosed = 2026-12-24,\n  2026-12-31\n",
	    NULL },
	/* line 10 is the blank line, 11 the header, 12 its first key */
	{ "\n[site bar]\n", "t:11: [site bar]: empty section: calendar is missing" },
	{ "\n[site bar]\n# calendar = 24x7\n", "t:11: [site bar]: empty section" },
	{ "\n[topic general]\ntarget = 24h\n",
	    "t:11: [topic general]: given twice (first on line 5)" },
	{ "\n[daemon]\n", "t:11: [daemon]: given twice (first on line 1)" },
	{ "\n[calendar office]\nmon = 08:00-16:00\nclosed = 2026-02-30\n", "t:13: closed:" },
	{ "\n[calendar office]\nmon = 08:00-16:00\nclosed = 2027-02-29\n", "t:13: closed:" },
	{ "\n[topic pension]\nurgent = yes\n", "t:11: [topic pension]: target is missing" },
	{ "\n[site soest]\ncalendar = office\n",
	    "t:11: [site soest]: calendar 'office' is not defined" },
	{ "\n[topic long]\ntarget = 2161h\n", "t:12: target:" },
	{ "\n[topic benefits]\ntarget = 2 workdays\nurgent_target = 2h\n", NULL },
	{ "\n[topic benefits]\ntarget = 1 workday\n", NULL },
	{ "\n[topic benefits]\ntarget = 3 workdays\nurgent_target = 1 workday\n", NULL },
	{ "\n[topic benefits]\ntarget = 0 workdays\n",
	    "t:12: target: '0 workdays': working days go from 1 to 20" },
	{ "\n[topic benefits]\ntarget = 21 workdays\n",
	    "t:12: target: '21 workdays': working days go from 1 to 20" },
	{ "\n[topic benefits]\ntarget = 1.5 workdays\n",
	    "t:12: target: '1.5 workdays' is not working days" },
	{ "\n[topic benefits]\ntarget = -2 workdays\n",
	    "t:12: target: '-2 workdays' is not working days" },
	{ "\n[topic benefits]\ntarget = 2 workweeks\n",
	    "t:12: target: '2 workweeks' is neither" },
	{ "\n[topic benefits]\ntarget = 1 workday\nurgent_target = 2 workdays\n",
	    "[topic benefits]: urgent_target is longer than target" },
	{ "\n[topic benefits]\ntarget = 48h\nurgent_target = 1 workday\n",
	    "[topic benefits]: urgent_target in working days needs target in working days" },
	{ "\n[daemon2]\nx = 1\n", "unknown section [daemon2]" },
	{ "\n[calendar sparse]\nmon = 08:00-09:00\n[site soest]\ncalendar = sparse\n",
	    "target: calendar 'sparse' is not open that long" },
	{ "\n[redis]\npassword = a\npassword = b\n",
	    "t:13: password: given twice in [redis] (first on line 12)" },
	/* an indented line after a key goes on its value, a header or not,
	 * as inih reads it: the key after it is then given twice */
	{ "\n\v[site bar]\ncalendar = 24x7\n",
	    "t:12: calendar: given twice in [site dortmund] (first on line 9)" },
	{ "\n[redis]\nnot_a_key = 1\n", "t:12: not_a_key: unknown key in [redis]" },
	/* the master found through Sentinel, by its name, or given directly */
	{ "\n[redis]\nsentinels = 127.0.0.1:26379, [::1]:26380,10.0.0.3:26381\n"
	    "master_name = queue\n", NULL },
	{ "\n[redis]\nsentinels = 127.0.0.1:26379, 127.0.0.2:26379\n",
	    "t:12: sentinels: master_name is missing" },
	{ "\n[redis]\nmaster_name = queue\nsentinels = 127.0.0.1:26379\n"
	    "host = 127.0.0.1\n", "t:14: host: give sentinels or host and port, not both" },
	{ "\n[redis]\nport = 6380\nmaster_name = queue\nsentinels = 127.0.0.1:26379\n",
	    "t:12: port: give sentinels or host and port, not both" },
	{ "\n[redis]\nsentinels = 127.0.0.1\nmaster_name = queue\n",
	    "t:12: sentinels: '127.0.0.1' is not host:port" },
	{ "\n[redis]\nsentinels = a:1,b:2,c:3,d:4,e:5,f:6,g:7,h:8,i:9\n"
	    "master_name = queue\n", "t:12: sentinels: more than 8 Sentinels" },
	/* display names: UTF-8, one line, bounded; each error names its line */
	{ "\n[topic housing]\ntarget = 2h\nlabel = Wohnungszustimmung\n"
	    "label_en = Housing approval\n", NULL },
	{ "\n[site bonn]\ncalendar = 24x7\nlabel = Bonn-Bad Godesberg\n", NULL },
	{ "\n[topic housing]\ntarget = 2h\nlabel =\n", NULL },
	{ "\n[topic housing]\ntarget = 2h\nlabel = Wohnung\xC3(\n",
	    "t:13: label: is not UTF-8" },
	{ "\n[topic housing]\ntarget = 2h\nlabel_en = over\xC0\xAFlong\n",
	    "t:13: label_en: is not UTF-8" },
	{ "\n[site bonn]\ncalendar = 24x7\nlabel = Bonn\x7F\n",
	    "t:13: label: has a control character" },
	{ "\n[site bonn]\ncalendar = 24x7\nlabel = Bonn\xC2\x85\n",
	    "t:13: label: has a control character" },
	{ "\n[site bonn]\ncalendar = 24x7\nlabel = "
	    "\xC3\xA4\xC3\xA4\xC3\xA4\xC3\xA4\xC3\xA4\xC3\xA4\xC3\xA4\xC3\xA4"
	    "\xC3\xA4\xC3\xA4\xC3\xA4\xC3\xA4\xC3\xA4\xC3\xA4\xC3\xA4\xC3\xA4"
	    "\xC3\xA4\xC3\xA4\xC3\xA4\xC3\xA4\xC3\xA4\xC3\xA4\xC3\xA4\xC3\xA4"
	    "\xC3\xA4\xC3\xA4\xC3\xA4\xC3\xA4\xC3\xA4\xC3\xA4\xC3\xA4\xC3\xA4"
	    "\xC3\xA4\xC3\xA4\xC3\xA4\xC3\xA4\xC3\xA4\xC3\xA4\xC3\xA4\xC3\xA4"
	    "\xC3\xA4\xC3\xA4\xC3\xA4\xC3\xA4\xC3\xA4\xC3\xA4\xC3\xA4\xC3\xA4"
	    "\xC3\xA4\xC3\xA4\xC3\xA4\xC3\xA4\xC3\xA4\xC3\xA4\xC3\xA4\xC3\xA4"
	    "\xC3\xA4\xC3\xA4\xC3\xA4\xC3\xA4\xC3\xA4\xC3\xA4\xC3\xA4\xC3\xA4"
	    "\n", NULL }, /* 64 characters in 128 bytes */
	{ "\n[site bonn]\ncalendar = 24x7\nlabel = "
	    "12345678901234567890123456789012345678901234567890123456789012345\n",
	    "t:13: label: is longer than 64 characters" },
	{ "\n[site bonn]\ncalendar = 24x7\nlabel = Bonn\nlabel = Beuel\n",
	    "t:14: label: given twice in [site bonn] (first on line 13)" },
};
/* clang-format on */

START_TEST(loads_or_refuses_with_file_line_and_key)
{
	char text[1024], err[512];
	struct config c;
	int rc;

	snprintf(text, sizeof(text), "%s%s", base, cases[_i].extra);
	err[0] = '\0';
	rc = config_load_text("t", text, &c, err, sizeof(err));
	if (!cases[_i].error) {
		ck_assert_msg(rc == 0, "case %d refused: %s", _i, err);
	} else {
		ck_assert_msg(rc == -1, "case %d loaded", _i);
		ck_assert_msg(strstr(err, cases[_i].error) != NULL,
		    "case %d: '%s' lacks '%s'", _i, err, cases[_i].error);
	}
	config_free(&c);
}
END_TEST

/* A target in working days lands beside its open-time twin, which is 0;
 * urgent_target in open time beside it. */
START_TEST(workdays_target_lands_beside_open_time)
{
	char text[1024], err[512];
	const struct topic_policy *t;
	struct config c;

	snprintf(text, sizeof(text), "%s%s", base,
	    "\n[topic benefits]\ntarget = 2 workdays\nurgent_target = 2h\n");
	ck_assert_msg(config_load_text("t", text, &c, err, sizeof(err)) == 0,
	    "%s", err);
	t = config_topic(&c, "benefits");
	ck_assert_int_eq(t->target_workdays, 2);
	ck_assert_int_eq(t->target_ms, 0);
	ck_assert_int_eq(t->urgent_target_ms, 2 * 3600 * 1000);
	ck_assert_int_eq(t->urgent_target_workdays, 0);
	t = config_topic(&c, "general");
	ck_assert_int_eq(t->target_workdays, 0);
	ck_assert_int_eq(t->target_ms, 48 * 3600 * 1000);
	config_free(&c);
}
END_TEST

/* A reload names the keys that take effect and keeps, and names, those
 * that wait for a restart. */
START_TEST(a_reload_applies_some_keys_and_keeps_the_rest)
{
	static const char next_text[] = "[daemon]\n"
					"listen = 127.0.0.1:9090\n"
					"country_code = 41\n"
					"\n"
					"[topic general]\n"
					"target = 24h\n"
					"\n"
					"[site dortmund]\n"
					"calendar = 24x7\n";
	char err[512], applied[256], waiting[256];
	struct config now, next;

	ck_assert_int_eq(config_load_text("t", base, &now, err, sizeof(err)),
	    0);
	ck_assert_int_eq(config_load_text("t", next_text, &next, err,
			     sizeof(err)),
	    0);
	ck_assert_int_eq(config_reload_keys(&now, &next, applied,
			     sizeof(applied), waiting, sizeof(waiting)),
	    1);
	ck_assert_str_eq(applied, "country_code");
	ck_assert_str_eq(waiting, "listen");
	ck_assert_int_eq(next.listen_port, 8080); /* kept until a restart */
	ck_assert_str_eq(next.country_code, "41");
	ck_assert_int_eq(config_topic(&next, "general")->target_ms,
	    24 * 3600 * 1000);
	config_free(&now);
	config_free(&next);
}
END_TEST

/* tls_cert and tls_key come as a pair; the files are tls.c's to read. */
static const struct {
	const char *daemon; /* the keys of [daemon] */
	const char *error;  /* NULL: loads; else a part of the error */
} tls_cases[] = {
	{ "", NULL },
	{ "tls_cert = /etc/callbackd/cert.pem\ntls_key = /etc/callbackd/key.pem\n",
	    NULL },
	{ "debug = no\ntls_cert = /etc/callbackd/cert.pem\n",
	    "t:3: tls_cert: given without tls_key" },
	{ "tls_key = /etc/callbackd/key.pem\n",
	    "t:2: tls_key: given without tls_cert" },
	{ "tls_cert = /c\ntls_key =\n",
	    "t:2: tls_cert: given without tls_key" },
};

START_TEST(tls_cert_and_tls_key_come_together)
{
	char text[1024], err[512];
	struct config c;
	int rc;

	snprintf(text, sizeof(text), "[daemon]\n%s%s", tls_cases[_i].daemon,
	    strchr(base, '\n') + 1);
	err[0] = '\0';
	rc = config_load_text("t", text, &c, err, sizeof(err));
	if (!tls_cases[_i].error) {
		ck_assert_msg(rc == 0, "case %d refused: %s", _i, err);
	} else {
		ck_assert_msg(rc == -1, "case %d loaded", _i);
		ck_assert_msg(strstr(err, tls_cases[_i].error) != NULL,
		    "case %d: '%s' lacks '%s'", _i, err, tls_cases[_i].error);
	}
	config_free(&c);
}
END_TEST

/* The Sentinels in the order given, an IPv6 one without its brackets; a
 * reload keeps them until a restart. */
START_TEST(sentinels_are_read_in_order_and_wait_for_a_restart)
{
	char text[1024], err[512], applied[256], waiting[256];
	struct config now, next;

	snprintf(text, sizeof(text),
	    "%s\n[redis]\nsentinels = 10.0.0.1:26379, "
	    "[::1]:26380\nmaster_name = queue\n",
	    base);
	ck_assert_msg(config_load_text("t", text, &now, err, sizeof(err)) == 0,
	    "%s", err);
	ck_assert_uint_eq(now.nsentinels, 2);
	ck_assert_str_eq(now.sentinel[0].host, "10.0.0.1");
	ck_assert_int_eq(now.sentinel[0].port, 26379);
	ck_assert_str_eq(now.sentinel[1].host, "::1");
	ck_assert_int_eq(now.sentinel[1].port, 26380);
	ck_assert_str_eq(now.redis_master_name, "queue");
	snprintf(text, sizeof(text),
	    "%s\n[redis]\nsentinels = 10.0.0.9:26379\n"
	    "master_name = queue\n",
	    base);
	ck_assert_int_eq(config_load_text("t", text, &next, err, sizeof(err)),
	    0);
	ck_assert_int_eq(config_reload_keys(&now, &next, applied,
			     sizeof(applied), waiting, sizeof(waiting)),
	    1);
	ck_assert_str_eq(waiting, "sentinels");
	ck_assert_uint_eq(next.nsentinels, 2);
	ck_assert_str_eq(next.sentinel[0].host, "10.0.0.1");
	config_free(&now);
	config_free(&next);
}
END_TEST

/* --config-keys prints the form of each key's value: every type has one
 * (a type added without its form read past the table). */
START_TEST(every_value_type_has_its_form)
{
	int t;

	for (t = 0; t < CT_NTYPES; t++)
		ck_assert_msg(config_type_form((enum ctype)t) != NULL,
		    "type %d has no form", t);
	ck_assert_ptr_null(config_type_form(CT_NTYPES));
}
END_TEST

/* The labels land where the pages and reports read them; a section
 * without them is named by its identifier, label_en falls back to label. */
START_TEST(labels_fall_back_to_label_then_identifier)
{
	char text[1024], err[512];
	const struct topic_policy *t;
	const struct site *s;
	struct config c;

	snprintf(text, sizeof(text), "%s%s", base,
	    "\n[topic housing]\ntarget = 2h\nlabel = Wohnungszustimmung\n"
	    "label_en = Housing approval\n"
	    "\n[site soest]\ncalendar = 24x7\nlabel = Kreis Soest\n");
	ck_assert_msg(config_load_text("t", text, &c, err, sizeof(err)) == 0,
	    "%s", err);
	t = config_topic(&c, "housing");
	ck_assert_str_eq(config_label(t->name, t->label, t->label_en, 0),
	    "Wohnungszustimmung");
	ck_assert_str_eq(config_label(t->name, t->label, t->label_en, 1),
	    "Housing approval");
	s = config_site(&c, "soest");
	ck_assert_str_eq(config_label(s->name, s->label, s->label_en, 1),
	    "Kreis Soest");
	t = config_topic(&c, "general");
	ck_assert_str_eq(config_label(t->name, t->label, t->label_en, 0),
	    "general");
	ck_assert_str_eq(config_label(t->name, t->label, t->label_en, 1),
	    "general");
	config_free(&c);
}
END_TEST

/* language_names: each a listed tag, a colon and its name, over the
 * built-in endonyms; the line of the key in every error. */
static const struct {
	const char *line;  /* line 3 of the file */
	const char *error; /* NULL: loads */
} name_cases[] = {
	{ "language_names = ku: Kurdi, ar: \xD8\xB9\xD8\xB1\xD8\xA8\xD9\x8A",
	    NULL },
	{ "language_names =", NULL },
	{ "language_names = xx: Klingon",
	    "t:3: language_names: xx is not in languages" },
	{ "language_names = ku Kurdi",
	    "t:3: language_names: 'ku Kurdi' is not a tag, a colon" },
	{ "language_names = ku:",
	    "t:3: language_names: the name of ku is empty" },
	{ "language_names = ku-IQ: Kurdi",
	    "t:3: language_names: 'ku-IQ' is not a primary" },
	{ "language_names = ku: A, ku: B",
	    "t:3: language_names: ku is named twice" },
	{ "language_names = ku: Kurd\xFF",
	    "t:3: language_names: the name of ku is not UTF-8" },
};

START_TEST(language_names_override_the_built_in_ones)
{
	char text[1024], err[512];
	struct config c;
	int rc;

	snprintf(text, sizeof(text),
	    "[daemon]\nlanguages = de, ar, ku, tr, sw, xx\n%s\n"
	    "[topic general]\ntarget = 48h\n[site dortmund]\ncalendar = 24x7\n",
	    name_cases[_i].line);
	/* xx is a tag of the right shape without a built-in name */
	if (name_cases[_i].error && strstr(name_cases[_i].error, "xx"))
		snprintf(text, sizeof(text),
		    "[daemon]\nlanguages = de, ar, ku\n%s\n"
		    "[topic general]\ntarget = 48h\n[site dortmund]\n"
		    "calendar = 24x7\n",
		    name_cases[_i].line);
	rc = config_load_text("t", text, &c, err, sizeof(err));
	if (name_cases[_i].error) {
		ck_assert_msg(rc == -1, "case %d loaded", _i);
		ck_assert_msg(strstr(err, name_cases[_i].error) != NULL,
		    "case %d: '%s' lacks '%s'", _i, err, name_cases[_i].error);
		config_free(&c);
		return;
	}
	ck_assert_msg(rc == 0, "case %d refused: %s", _i, err);
	ck_assert_str_eq(config_language_name(&c, "de"), "Deutsch");
	ck_assert_str_eq(config_language_name(&c, "tr"),
	    "T\xC3\xBCrk\xC3\xA7"
	    "e");
	ck_assert_str_eq(config_language_name(&c, "xx"), "xx");
	if (_i == 0) {
		ck_assert_str_eq(config_language_name(&c, "ku"), "Kurdi");
		ck_assert_str_eq(config_language_name(&c, "ar"),
		    "\xD8\xB9\xD8\xB1\xD8\xA8\xD9\x8A");
	} else {
		ck_assert_str_eq(config_language_name(&c, "ku"),
		    "Kurd\xC3\xAE");
		ck_assert_str_eq(config_language_name(&c, "ar"),
		    "\xD8\xA7\xD9\x84\xD8\xB9\xD8\xB1\xD8\xA8\xD9\x8A\xD8\xA9");
	}
	config_free(&c);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("config");

	tcase_add_loop_test(tc, loads_or_refuses_with_file_line_and_key, 0,
	    N(cases));
	tcase_add_test(tc, a_reload_applies_some_keys_and_keeps_the_rest);
	tcase_add_test(tc, workdays_target_lands_beside_open_time);
	tcase_add_loop_test(tc, tls_cert_and_tls_key_come_together, 0,
	    N(tls_cases));
	tcase_add_test(tc, sentinels_are_read_in_order_and_wait_for_a_restart);
	tcase_add_test(tc, every_value_type_has_its_form);
	tcase_add_test(tc, labels_fall_back_to_label_then_identifier);
	tcase_add_loop_test(tc, language_names_override_the_built_in_ones, 0,
	    N(name_cases));
	suite_add_tcase(s, tc);
	return check_run(s);
}
