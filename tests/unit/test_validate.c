/* Unit tests for validate.c: every rule of the create body, as a table. */
#include "check_run.h"
#include <stdlib.h>
#include <string.h>

#include "ident.h"
#include "validate.h"

/* 2026-11-24T12:00:00Z */
#define NOW 1795521600000LL

/* clang-format off */
static struct topic_policy topics[] = {
	{ .name = "housing_approval", .target_ms = 48 * 3600000LL,
	    .urgent_target_ms = 2 * 3600000LL },
	{ .name = "general", .target_ms = 48 * 3600000LL },
	{ .name = "eviction", .target_ms = 48 * 3600000LL, .urgent = 1 },
};
/* clang-format on */
static struct site sites[] = { { .name = "dortmund",
    .calendar_name = "24x7" } };
static struct config cfg;

static void
setup(void)
{
	memset(&cfg, 0, sizeof(cfg));
	strcpy(cfg.country_code, "49");
	cfg.topics = topics;
	cfg.ntopics = 3;
	cfg.sites = sites;
	cfg.nsites = 1;
	strcpy(cfg.languages[0], "de");
	strcpy(cfg.languages[1], "tr");
	strcpy(cfg.languages[2], "pt");
	cfg.nlanguages = 3;
}

struct bad_case {
	const char *json;
	int status;
	const char *code;
	const char *field; /* NULL: no field */
};

#define OK_BASE \
	"\"phone\":\"0231 1234567\",\"topic\":\"general\",\"site\":\"dortmund\""

/* clang-format off */
static const struct bad_case bad[] = {
	{ "[]", 400, "not_an_object", NULL },
	{ "{" OK_BASE ",\"colour\":\"red\"}", 400, "unknown_field", "colour" },
	{ "{\"topic\":\"general\",\"site\":\"dortmund\"}", 400, "missing_field", "phone" },
	{ "{\"phone\":\"\",\"topic\":\"general\",\"site\":\"dortmund\"}", 400, "missing_field", "phone" },
	{ "{\"phone\":231,\"topic\":\"general\",\"site\":\"dortmund\"}", 400, "invalid_type", "phone" },
	{ "{\"phone\":\"0231 1234567 0231 1234567 0231 1234567\",\"topic\":\"general\",\"site\":\"dortmund\"}", 400, "too_long", "phone" },
	{ "{\"phone\":\"call me\",\"topic\":\"general\",\"site\":\"dortmund\"}", 422, "invalid_phone", "phone" },
	{ "{\"phone\":\"0231 1234567\",\"site\":\"dortmund\"}", 400, "missing_field", "topic" },
	{ "{\"phone\":\"0231 1234567\",\"topic\":\"parking\",\"site\":\"dortmund\"}", 422, "unknown_topic", "topic" },
	{ "{\"phone\":\"0231 1234567\",\"topic\":\"general\"}", 400, "missing_field", "site" },
	{ "{\"phone\":\"0231 1234567\",\"topic\":\"general\",\"site\":\"paris\"}", 422, "unknown_site", "site" },
	{ "{" OK_BASE ",\"language\":\"German\"}", 422, "invalid_language", "language" },
	{ "{" OK_BASE ",\"language\":7}", 400, "invalid_type", "language" },
	{ "{" OK_BASE ",\"language\":\"xx\"}", 422, "invalid_language", "language" },
	{ "{" OK_BASE ",\"language\":\"en-GB\"}", 422, "invalid_language", "language" },
	{ "{" OK_BASE ",\"urgent\":\"yes\"}", 400, "invalid_type", "urgent" },
	{ "{" OK_BASE ",\"urgent\":1}", 400, "invalid_type", "urgent" },
	{ "{" OK_BASE ",\"requested_at\":\"yesterday\"}", 422, "invalid_time", "requested_at" },
	{ "{" OK_BASE ",\"requested_at\":12}", 400, "invalid_type", "requested_at" },
	{ "{" OK_BASE ",\"requested_at\":\"2026-11-24T13:00:00Z\"}", 422, "invalid_time", "requested_at" },
	{ "{" OK_BASE ",\"window\":\"later\"}", 400, "invalid_type", "window" },
	{ "{" OK_BASE ",\"window\":{\"from\":\"2026-11-24T13:00:00Z\"}}", 400, "unknown_field", "window" },
	{ "{" OK_BASE ",\"window\":{\"not_before\":\"soon\"}}", 422, "invalid_time", "window.not_before" },
	{ "{" OK_BASE ",\"window\":{\"not_after\":\"2026-11-24T13:00:00\"}}", 422, "invalid_time", "window.not_after" },
	{ "{" OK_BASE ",\"window\":{\"not_before\":\"2026-11-24T15:00:00Z\",\"not_after\":\"2026-11-24T14:00:00Z\"}}", 422, "invalid_window", "window" },
	{ "{" OK_BASE ",\"window\":{\"not_after\":\"2026-11-24T11:00:00Z\"}}", 422, "invalid_window", "window" },
	{ "{" OK_BASE ",\"assignee\":[]}", 400, "invalid_type", "assignee" },
	{ "{" OK_BASE ",\"call_id\":\"\\u0000x\"}", 400, "invalid_type", "call_id" },
};
/* clang-format on */

START_TEST(refuses_bad_body)
{
	const struct bad_case *c = &bad[_i];
	struct callback cb;
	struct verr e;
	json_t *j = json_loads(c->json, JSON_ALLOW_NUL, NULL);

	ck_assert_msg(j != NULL, "case %d: test JSON does not parse", _i);
	ck_assert_int_eq(validate_create(j, &cfg, NOW, &cb, &e), -1);
	ck_assert_int_eq(e.status, c->status);
	ck_assert_str_eq(e.code, c->code);
	if (c->field)
		ck_assert_str_eq(e.field, c->field);
	else
		ck_assert_ptr_null(e.field);
	ck_assert(e.message[0] != '\0');
	json_decref(j);
}
END_TEST

static json_t *
with_string(const char *field, size_t len)
{
	json_t *j = json_loads("{" OK_BASE "}", 0, NULL);
	char *s = malloc(len + 1);

	memset(s, 'a', len);
	s[len] = '\0';
	json_object_set_new(j, field, json_string(s));
	free(s);
	return j;
}

/* clang-format off */
static const struct {
	const char *field;
	size_t max;
} lengths[] = {
	{ "name", CBD_NAME_MAX },
	{ "customer_ref", CBD_CUSTOMER_REF_MAX },
	{ "note", CBD_NOTE_MAX },
	{ "call_id", CBD_CALL_ID_MAX },
	{ "assignee", CBD_IDENT_MAX },
};
/* clang-format on */

START_TEST(string_limits_hold_at_the_boundary)
{
	struct callback cb;
	struct verr e;
	json_t *j = with_string(lengths[_i].field, lengths[_i].max);

	ck_assert_int_eq(validate_create(j, &cfg, NOW, &cb, &e), 0);
	json_decref(j);
	j = with_string(lengths[_i].field, lengths[_i].max + 1);
	ck_assert_int_eq(validate_create(j, &cfg, NOW, &cb, &e), -1);
	ck_assert_str_eq(e.code, "too_long");
	ck_assert_str_eq(e.field, lengths[_i].field);
	json_decref(j);
}
END_TEST

START_TEST(normalises_a_full_request)
{
	struct callback cb;
	struct verr e;
	json_t *j =
	    json_loads("{\"phone\":\"+49 (0)231 123-4567\","
		       "\"topic\":\"housing_approval\",\"site\":\"dortmund\","
		       "\"urgent\":true,\"language\":\"pt-BR\",\"name\":\"N\","
		       "\"requested_at\":\"2026-11-24T12:30:00+01:00\","
		       "\"window\":{\"not_before\":\"2026-11-24T14:00:00Z\"},"
		       "\"call_id\":\"pbx-1\"}",
		0, NULL);

	ck_assert_int_eq(validate_create(j, &cfg, NOW, &cb, &e), 0);
	ck_assert_str_eq(cb.phone, "+492311234567");
	ck_assert_str_eq(cb.language, "pt");
	ck_assert(cb.language_given);
	ck_assert(cb.urgent);
	ck_assert_int_eq(cb.requested_at, NOW - 30 * 60000LL);
	ck_assert_int_eq(cb.not_before, NOW + 2 * 3600000LL);
	ck_assert_int_eq(cb.not_after, CBD_NO_TIME);
	ck_assert_int_eq(cb.received_at, NOW);
	ck_assert_str_eq(cb.call_id, "pbx-1");
	json_decref(j);
}
END_TEST

START_TEST(defaults_language_and_requested_at)
{
	struct callback cb;
	struct verr e;
	json_t *j = json_loads("{" OK_BASE ",\"urgent\":null}", 0, NULL);

	ck_assert_int_eq(validate_create(j, &cfg, NOW, &cb, &e), 0);
	ck_assert_str_eq(cb.language, "de");
	ck_assert(!cb.language_given);
	ck_assert_int_eq(cb.requested_at, NOW);
	ck_assert(!cb.urgent);
	ck_assert_int_eq(cb.not_before, CBD_NO_TIME);
	ck_assert_int_eq(cb.request_count, 1);
	json_decref(j);
}
END_TEST

START_TEST(urgent_topic_makes_every_request_urgent)
{
	struct callback cb;
	struct verr e;
	json_t *
	    j = json_loads("{\"phone\":\"0231 1234567\",\"topic\":\"eviction\","
			   "\"site\":\"dortmund\",\"urgent\":false}",
		0, NULL);

	ck_assert_int_eq(validate_create(j, &cfg, NOW, &cb, &e), 0);
	ck_assert(cb.urgent);
	json_decref(j);
}
END_TEST

START_TEST(allows_small_clock_skew)
{
	struct callback cb;
	struct verr e;
	/* four minutes ahead of our clock: telephony clocks drift */
	json_t *j = json_loads("{" OK_BASE
			       ",\"requested_at\":\"2026-11-24T12:04:00Z\"}",
	    0, NULL);

	ck_assert_int_eq(validate_create(j, &cfg, NOW, &cb, &e), 0);
	json_decref(j);
}
END_TEST

START_TEST(requested_at_is_bounded_by_max_request_age)
{
	struct callback cb;
	struct verr e;
	json_t *old = json_loads("{" OK_BASE
				 ",\"requested_at\":\"2026-11-21T11:59:59Z\"}",
	    0, NULL);
	json_t
	    *recent = json_loads("{" OK_BASE
				 ",\"requested_at\":\"2026-11-22T12:00:00Z\"}",
		0, NULL);

	cfg.max_request_age_ms = 2 * 86400000LL;
	ck_assert_int_eq(validate_create(old, &cfg, NOW, &cb, &e), -1);
	ck_assert_int_eq(e.status, 422);
	ck_assert_str_eq(e.code, "invalid_time");
	ck_assert_str_eq(e.field, "requested_at");
	ck_assert_str_eq(e.message,
	    "requested_at lies more than 2d in the past "
	    "(max_request_age)");
	ck_assert_int_eq(validate_create(recent, &cfg, NOW, &cb, &e), 0);
	cfg.max_request_age_ms = 36 * 3600000LL;
	ck_assert_int_eq(validate_create(recent, &cfg, NOW, &cb, &e), -1);
	ck_assert_str_eq(e.message,
	    "requested_at lies more than 36h in the past "
	    "(max_request_age)");
	json_decref(old);
	json_decref(recent);
}
END_TEST

/* clang-format off */
static const struct {
	const char *key;
	int ok;
} idem[] = {
	{ "abc-123", 1 },
	{ "", 0 },
	{ "with space", 0 },
	{ "tab\there", 0 },
	{ "ünicode", 0 },
};
/* clang-format on */

START_TEST(checks_idempotency_keys)
{
	struct verr e;
	int rc = validate_idempotency_key(idem[_i].key, &e);

	ck_assert_int_eq(rc, idem[_i].ok ? 0 : -1);
	if (!idem[_i].ok) {
		ck_assert_str_eq(e.code, "invalid_header");
		ck_assert_str_eq(e.field, "Idempotency-Key");
	}
}
END_TEST

START_TEST(idempotency_key_length_limit)
{
	char key[CBD_IDEMPOTENCY_KEY_MAX + 2];
	struct verr e;

	memset(key, 'k', sizeof(key) - 1);
	key[sizeof(key) - 1] = '\0';
	ck_assert_int_eq(validate_idempotency_key(key, &e), -1);
	key[CBD_IDEMPOTENCY_KEY_MAX] = '\0';
	ck_assert_int_eq(validate_idempotency_key(key, &e), 0);
	ck_assert_int_eq(validate_idempotency_key(NULL, &e), 0);
}
END_TEST

/* clang-format off */
static const struct {
	const char *tag;
	const char *primary; /* NULL: refused */
} langs[] = {
	{ "de", "de" }, { "en", "en" }, { "ara", "ara" }, { "pt-BR", "pt" },
	{ "sr-Latn-RS", "sr" }, { "DE", "de" }, { "de-DE", "de" },
	{ "TR-tr", "tr" }, { "de-x-phone", "de" }, { "d", NULL }, { "deut", NULL },
	{ "de-", NULL }, { "de-x", NULL }, { "de_DE", NULL }, { "", NULL },
	{ "de-verylongsub", NULL }, { "\xc3\xa4\xc3\xa4", NULL },
};
/* clang-format on */

START_TEST(checks_language_tags)
{
	char primary[CBD_PRIMARY_LANGUAGE_MAX + 1];
	int ok = ident_language(langs[_i].tag, primary);

	ck_assert_int_eq(ok, langs[_i].primary != NULL);
	if (ok)
		ck_assert_str_eq(primary, langs[_i].primary);
}
END_TEST

START_TEST(a_regional_tag_is_kept_as_its_listed_language)
{
	struct callback cb;
	struct verr e;
	json_t *j = json_loads("{" OK_BASE ",\"language\":\"TR-tr\"}", 0, NULL);

	ck_assert_int_eq(validate_create(j, &cfg, NOW, &cb, &e), 0);
	ck_assert_str_eq(cb.language, "tr");
	json_decref(j);
	j = json_loads("{" OK_BASE ",\"language\":\"xx-DE\"}", 0, NULL);
	ck_assert_int_eq(validate_create(j, &cfg, NOW, &cb, &e), -1);
	ck_assert_str_eq(e.code, "invalid_language");
	ck_assert_str_eq(e.message, "language must be one of de, tr, pt");
	json_decref(j);
}
END_TEST

static void
fingerprint_of(const char *json, int64_t now, char out[65])
{
	struct callback cb;
	struct verr e;
	json_t *j = json_loads(json, 0, NULL);

	ck_assert_int_eq(validate_create(j, &cfg, now, &cb, &e), 0);
	ck_assert_uint_eq(strlen(cb.fingerprint), 64);
	strcpy(out, cb.fingerprint);
	json_decref(j);
}

START_TEST(fingerprint_is_of_the_normalised_request)
{
	char a[65], b[65];

	/* the same request written another way, retried a moment later */
	fingerprint_of("{" OK_BASE ",\"language\":\"de\",\"note\":\"n\"}", NOW,
	    a);
	fingerprint_of(
	    "{\"phone\":\"+49 231 123-4567\",\"topic\":\"general\","
	    "\"site\":\"dortmund\",\"language\":\"DE-de\",\"note\":\"n\","
	    "\"call_id\":\"x\"}",
	    NOW + 5000, b);
	ck_assert_str_eq(a, b);
	/* a language not given is the default one */
	fingerprint_of("{" OK_BASE ",\"note\":\"n\"}", NOW, b);
	ck_assert_str_eq(a, b);
	/* anything the caller said differently is another request */
	fingerprint_of("{" OK_BASE ",\"note\":\"m\"}", NOW, b);
	ck_assert_str_ne(a, b);
	fingerprint_of("{" OK_BASE ",\"note\":\"n\",\"urgent\":true}", NOW, b);
	ck_assert_str_ne(a, b);
	fingerprint_of("{" OK_BASE ",\"note\":\"n\",\"assignee\":\"anna\"}",
	    NOW, b);
	ck_assert_str_ne(a, b);
	fingerprint_of(
	    "{" OK_BASE
	    ",\"note\":\"n\",\"requested_at\":\"2026-11-24T12:00:00Z\"}",
	    NOW, b);
	ck_assert_str_ne(a, b);
	fingerprint_of("{" OK_BASE ",\"note\":\"n\",\"window\":{\"not_after\":"
		       "\"2026-11-25T12:00:00Z\"}}",
	    NOW, b);
	ck_assert_str_ne(a, b);
}
END_TEST

/* ---- attempts, leases, caseworkers ------------------------------------ */

#define LEASE "\"lease\":\"0b6c8f9e-3c1a-4d7e-9f00-123456789abc\""

/* clang-format off */
static const struct bad_case bad_attempts[] = {
	{ "{" LEASE "}", 400, "missing_field", "result" },
	{ "{" LEASE ",\"result\":\"shouted\"}", 422, "invalid_result", "result" },
	{ "{" LEASE ",\"result\":\"a-very-long-result-name\"}", 422, "invalid_result", "result" },
	{ "{\"result\":\"reached\"}", 400, "missing_field", "lease" },
	{ "{\"lease\":\"bogus\",\"result\":\"reached\"}", 409, "lease_lost", "lease" },
	{ "{\"lease\":\"0b6c8f9e-3c1a-4d7e-9f00-123456789abcd\",\"result\":\"reached\"}", 409, "lease_lost", "lease" },
	{ "{\"lease\":\"0b6c8f9e3c1a4d7e9f00123456789abc\",\"result\":\"reached\"}", 409, "lease_lost", "lease" },
	{ "{\"lease\":5,\"result\":\"reached\"}", 400, "invalid_type", "lease" },
	{ "{" LEASE ",\"result\":\"reached\",\"mood\":1}", 400, "unknown_field", "mood" },
	{ "{" LEASE ",\"result\":\"reached\",\"duration_s\":-1}", 422, "invalid_duration", "duration_s" },
	{ "{" LEASE ",\"result\":\"reached\",\"duration_s\":\"5\"}", 400, "invalid_type", "duration_s" },
	{ "{" LEASE ",\"result\":\"callback_later\"}", 400, "missing_field", "not_before" },
	{ "{" LEASE ",\"result\":\"callback_later\",\"not_before\":\"2026-11-24T11:00:00Z\"}", 422, "invalid_time", "not_before" },
	{ "{" LEASE ",\"result\":\"busy\",\"not_before\":\"2026-11-25T11:00:00Z\"}", 400, "unknown_field", "not_before" },
	{ "[]", 400, "not_an_object", NULL },
};
/* clang-format on */

START_TEST(refuses_bad_attempt)
{
	const struct bad_case *c = &bad_attempts[_i];
	struct attempt_req a;
	struct verr e;
	json_t *j = json_loads(c->json, 0, NULL);

	memset(&a, 0, sizeof(a));
	ck_assert_msg(j != NULL, "case %d: test JSON does not parse", _i);
	ck_assert_int_eq(validate_attempt(j, 1, NOW, &a, &e), -1);
	ck_assert_int_eq(e.status, c->status);
	ck_assert_str_eq(e.code, c->code);
	if (c->field)
		ck_assert_str_eq(e.field, c->field);
	json_decref(j);
}
END_TEST

START_TEST(accepts_attempts)
{
	struct attempt_req a;
	struct verr e;
	json_t *j = json_loads(
	    "{" LEASE ",\"result\":\"callback_later\","
	    "\"not_before\":\"2026-11-24T15:00:00Z\",\"duration_s\":30}",
	    0, NULL);

	memset(&a, 0, sizeof(a));
	ck_assert_int_eq(validate_attempt(j, 1, NOW, &a, &e), 0);
	ck_assert_int_eq(a.result, RESULT_CALLBACK_LATER);
	ck_assert_str_eq(a.lease_token, "0b6c8f9e-3c1a-4d7e-9f00-123456789abc");
	ck_assert_int_eq(a.not_before, NOW + 3 * 3600000LL);
	ck_assert_int_eq(a.duration_s, 30);
	json_decref(j);
	/* an agent needs no lease */
	j = json_loads("{\"result\":\"no_answer\"}", 0, NULL);
	memset(&a, 0, sizeof(a));
	ck_assert_int_eq(validate_attempt(j, 0, NOW, &a, &e), 0);
	ck_assert_int_eq(a.duration_s, -1);
	ck_assert_int_eq(a.not_before, CBD_NO_TIME);
	json_decref(j);
}
END_TEST

/* clang-format off */
static const struct bad_case bad_caseworkers[] = {
	{ "{\"id\":\"Anna\",\"site\":\"dortmund\",\"topics\":[\"general\"],\"languages\":[\"de\"]}", 422, "invalid_value", "id" },
	{ "{\"id\":\"anna\",\"site\":\"paris\",\"topics\":[\"general\"],\"languages\":[\"de\"]}", 422, "unknown_site", "site" },
	{ "{\"id\":\"anna\",\"site\":\"dortmund\",\"topics\":[],\"languages\":[\"de\"]}", 400, "invalid_type", "topics" },
	{ "{\"id\":\"anna\",\"site\":\"dortmund\",\"topics\":[\"parking\"],\"languages\":[\"de\"]}", 422, "invalid_value", "topics" },
	{ "{\"id\":\"anna\",\"site\":\"dortmund\",\"topics\":[\"general\"],\"languages\":[\"German\"]}", 422, "invalid_language", "languages" },
	{ "{\"id\":\"anna\",\"site\":\"dortmund\",\"topics\":[\"general\"],\"languages\":[\"de\",\"ar\"]}", 422, "invalid_language", "languages" },
	{ "{\"id\":\"anna\",\"site\":\"dortmund\",\"topics\":[\"general\"]}", 400, "missing_field", "languages" },
	{ "{\"id\":\"anna\",\"site\":\"dortmund\",\"topics\":[\"general\"],\"languages\":[\"de\"],\"active\":\"no\"}", 400, "invalid_type", "active" },
};
/* clang-format on */

START_TEST(refuses_bad_caseworker)
{
	const struct bad_case *c = &bad_caseworkers[_i];
	struct caseworker w;
	struct verr e;
	json_t *j = json_loads(c->json, 0, NULL);

	memset(&w, 0, sizeof(w));
	ck_assert_int_eq(validate_caseworker(j, &cfg, 1, &w, &e), -1);
	ck_assert_int_eq(e.status, c->status);
	ck_assert_str_eq(e.code, c->code);
	ck_assert_str_eq(e.field, c->field);
	json_decref(j);
}
END_TEST

START_TEST(accepts_caseworker_and_drops_repeats)
{
	struct caseworker w;
	struct verr e;
	json_t *j = json_loads(
	    "{\"site\":\"dortmund\",\"topics\":[\"general\","
	    "\"housing_approval\",\"general\"],\"languages\":[\"de-DE\",\"tr\",\"DE\"],"
	    "\"active\":false}",
	    0, NULL);

	memset(&w, 0, sizeof(w));
	ck_assert_int_eq(validate_caseworker(j, &cfg, 0, &w, &e), 0);
	ck_assert_uint_eq(w.ntopics, 2);
	ck_assert_str_eq(w.topics[1], "housing_approval");
	ck_assert_uint_eq(w.nlanguages, 2);
	ck_assert_str_eq(w.languages[0], "de");
	ck_assert(!w.active);
	json_decref(j);
}
END_TEST

START_TEST(lease_body)
{
	char token[37];
	struct verr e;
	json_t *j = json_loads("{" LEASE "}", 0, NULL);

	ck_assert_int_eq(validate_lease(j, token, &e), 0);
	ck_assert_str_eq(token, "0b6c8f9e-3c1a-4d7e-9f00-123456789abc");
	json_decref(j);
	/* no lease token at all: as lost as a stale one */
	j = json_loads("{\"lease\":\"abc\"}", 0, NULL);
	ck_assert_int_eq(validate_lease(j, token, &e), -1);
	ck_assert_int_eq(e.status, 409);
	ck_assert_str_eq(e.code, "lease_lost");
	ck_assert_str_eq(e.field, "lease");
	json_decref(j);
	j = json_loads("{}", 0, NULL);
	ck_assert_int_eq(validate_lease(j, token, &e), -1);
	ck_assert_str_eq(e.field, "lease");
	json_decref(j);
}
END_TEST

/* A token's expiry: a time ahead, or a duration from now; not both. */
/* clang-format off */
static const struct {
	const char *at, *in;
	int ok;
	int64_t want; /* ms after NOW_MS, when ok */
	const char *code, *field;
} expiries[] = {
	{ NULL, NULL, 1, 0, NULL, NULL },
	{ NULL, "90d", 1, 90LL * 86400000, NULL, NULL },
	{ NULL, "12h30m", 1, 45000000, NULL, NULL },
	{ "2026-12-02T00:00:00Z", NULL, 1, 86400000, NULL, NULL },
	{ "2026-12-01T00:00:00Z", NULL, 0, 0, "invalid_time", "expires_at" },
	{ "2026-11-30T00:00:00Z", NULL, 0, 0, "invalid_time", "expires_at" },
	{ "soon", NULL, 0, 0, "invalid_time", "expires_at" },
	{ NULL, "ninety", 0, 0, "invalid_duration", "expires_in" },
	{ NULL, "0", 0, 0, "invalid_duration", "expires_in" },
	{ NULL, "", 0, 0, "invalid_duration", "expires_in" },
	{ "2026-12-02T00:00:00Z", "90d", 0, 0, "invalid_value", "expires_at" },
};
/* clang-format on */
#define NOW_MS 1796083200000LL /* 2026-12-01T00:00:00Z */

START_TEST(token_expiry)
{
	int64_t out;
	struct verr e;
	int rc = validate_token_expiry(expiries[_i].at, expiries[_i].in, NOW_MS,
	    &out, &e);

	if (expiries[_i].ok) {
		ck_assert_int_eq(rc, 0);
		if (!expiries[_i].at && !expiries[_i].in)
			ck_assert(out == CBD_NO_TIME);
		else
			ck_assert_int_eq(out - NOW_MS, expiries[_i].want);
	} else {
		ck_assert_int_eq(rc, -1);
		ck_assert_int_eq(e.status, 422);
		ck_assert_str_eq(e.code, expiries[_i].code);
		ck_assert_str_eq(e.field, expiries[_i].field);
	}
}
END_TEST

/* CBD_LANGUAGES_MAX says the list fits in one error message: a language
 * the config does not list is refused naming every one it does. */
START_TEST(names_every_language_when_the_config_lists_the_most)
{
	struct callback cb;
	struct verr e;
	json_t *body = json_loads("{" OK_BASE ",\"language\":\"zz\"}", 0, NULL);
	int i;

	for (i = 0; i < CBD_LANGUAGES_MAX; i++)
		snprintf(cfg.languages[i], sizeof(cfg.languages[i]), "%c%c%c",
		    'a' + i / 26 / 26, 'a' + i / 26 % 26, 'a' + i % 26);
	cfg.nlanguages = CBD_LANGUAGES_MAX;
	ck_assert_int_eq(validate_create(body, &cfg, NOW, &cb, &e), -1);
	ck_assert_str_eq(e.code, "invalid_language");
	ck_assert_msg(strstr(e.message, cfg.languages[0]) &&
		strstr(e.message, cfg.languages[CBD_LANGUAGES_MAX - 1]),
	    "the message lacks languages: %s", e.message);
	json_decref(body);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("validate");
	TCase *tc = tcase_create("create");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_loop_test(tc, refuses_bad_body, 0, N(bad));
	tcase_add_loop_test(tc, string_limits_hold_at_the_boundary, 0,
	    N(lengths));
	tcase_add_test(tc, normalises_a_full_request);
	tcase_add_test(tc, defaults_language_and_requested_at);
	tcase_add_test(tc, allows_small_clock_skew);
	tcase_add_test(tc, requested_at_is_bounded_by_max_request_age);
	tcase_add_test(tc, urgent_topic_makes_every_request_urgent);
	tcase_add_loop_test(tc, checks_idempotency_keys, 0, N(idem));
	tcase_add_test(tc, idempotency_key_length_limit);
	tcase_add_loop_test(tc, checks_language_tags, 0, N(langs));
	tcase_add_test(tc, a_regional_tag_is_kept_as_its_listed_language);
	tcase_add_test(tc, names_every_language_when_the_config_lists_the_most);
	tcase_add_test(tc, fingerprint_is_of_the_normalised_request);
	tcase_add_loop_test(tc, refuses_bad_attempt, 0, N(bad_attempts));
	tcase_add_test(tc, accepts_attempts);
	tcase_add_loop_test(tc, refuses_bad_caseworker, 0, N(bad_caseworkers));
	tcase_add_test(tc, accepts_caseworker_and_drops_repeats);
	tcase_add_test(tc, lease_body);
	tcase_add_loop_test(tc, token_expiry, 0, N(expiries));
	suite_add_tcase(s, tc);
	return check_run(s);
}
