/*
 * validate.c owns the rules for what a request may say: types, lengths,
 * known topics and sites, phone numbers, times and windows. It turns a
 * parsed body into a normalised struct callback or says precisely what is
 * wrong. Pure: no I/O, and it never echoes personal data in a message.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "phone.h"
#include "timefmt.h"
#include "ident.h"
#include "validate.h"

static int
fail(struct verr *e, int status, const char *code, const char *field,
    const char *fmt, ...)
{
	va_list ap;

	e->status = status;
	e->code = code;
	e->field = field;
	va_start(ap, fmt);
	vsnprintf(e->message, sizeof(e->message), fmt, ap);
	va_end(ap);
	return -1;
}

/* Copies an optional string field; absent or null leaves dst empty. */
static int
opt_string(const json_t *body, const char *field, char *dst, size_t max,
    struct verr *e)
{
	const json_t *v = json_object_get(body, field);

	dst[0] = '\0';
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return fail(e, 400, "invalid_type", field,
		    "%s must be a string", field);
	if (json_string_length(v) > max)
		return fail(e, 400, "too_long", field,
		    "%s is longer than %zu bytes", field, max);
	if (strlen(json_string_value(v)) != json_string_length(v))
		return fail(e, 400, "invalid_type", field,
		    "%s must not contain NUL characters", field);
	memcpy(dst, json_string_value(v), json_string_length(v) + 1);
	return 0;
}

static int
req_string(const json_t *body, const char *field, char *dst, size_t max,
    struct verr *e)
{
	const json_t *v = json_object_get(body, field);

	if (!v || json_is_null(v))
		return fail(e, 400, "missing_field", field, "%s is required",
		    field);
	if (opt_string(body, field, dst, max, e) == -1)
		return -1;
	if (!dst[0])
		return fail(e, 400, "missing_field", field,
		    "%s must not be empty", field);
	return 0;
}

static int
opt_time(const json_t *obj, const char *key, const char *field, int64_t *ms,
    struct verr *e)
{
	const json_t *v = json_object_get(obj, key);

	*ms = CBD_NO_TIME;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return fail(e, 400, "invalid_type", field,
		    "%s must be an RFC 3339 time string", field);
	if (rfc3339_parse(json_string_value(v), ms) == -1)
		return fail(e, 422, "invalid_time", field,
		    "%s is not an RFC 3339 time such as 2026-11-24T09:30:00+01:00",
		    field);
	return 0;
}

/* "de, en, tr": the languages the config lists, for a message. */
static const char *
language_list(const struct config *c, char *buf, size_t len)
{
	size_t i, o = 0;

	buf[0] = '\0';
	for (i = 0; i < c->nlanguages && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? ", " : "",
		    c->languages[i]);
	return buf;
}

/* A language as a request or a profile gives it: a BCP 47 tag, kept as
 * its primary language (de-DE, de-AT: de), which the config must list. */
static int
check_language(const char *tag, const struct config *c, const char *field,
    char primary[CBD_PRIMARY_LANGUAGE_MAX + 1], struct verr *e)
{
	char list[CBD_LANGUAGES_MAX * (CBD_PRIMARY_LANGUAGE_MAX + 2) + 1];

	if (!ident_language(tag, primary))
		return fail(e, 422, "invalid_language", field,
		    "%s must be a BCP 47 tag such as de, en or de-DE", field);
	if (!config_language(c, primary))
		return fail(e, 422, "invalid_language", field,
		    "%s must be one of %s", field,
		    language_list(c, list, sizeof(list)));
	return 0;
}

int
validate_idempotency_key(const char *key, struct verr *e)
{
	const char *p;

	if (!key)
		return 0;
	if (!*key || strlen(key) > CBD_IDEMPOTENCY_KEY_MAX)
		return fail(e, 400, "invalid_header", "Idempotency-Key",
		    "Idempotency-Key must be 1 to %d characters",
		    CBD_IDEMPOTENCY_KEY_MAX);
	for (p = key; *p; p++)
		if (*p < 0x21 || *p > 0x7e)
			return fail(e, 400, "invalid_header", "Idempotency-Key",
			    "Idempotency-Key must be printable ASCII without spaces");
	return 0;
}

static const char *const create_fields[] = { "phone", "topic", "site", "name",
	"customer_ref", "language", "urgent", "assignee", "requested_at",
	"window", "note", "call_id", NULL };

static int
known_field(const char *const *list, const char *k)
{
	for (; *list; list++)
		if (!strcmp(*list, k))
			return 1;
	return 0;
}

/* A duration as the config would say it: "30d", "36h", "90m", "45s". */
static const char *
age_text(int64_t ms, char *buf, size_t len)
{
	if (ms % 86400000 == 0)
		snprintf(buf, len, "%lldd", (long long)(ms / 86400000));
	else if (ms % 3600000 == 0)
		snprintf(buf, len, "%lldh", (long long)(ms / 3600000));
	else if (ms % 60000 == 0)
		snprintf(buf, len, "%lldm", (long long)(ms / 60000));
	else
		snprintf(buf, len, "%llds", (long long)(ms / 1000));
	return buf;
}

static int
check_window(const json_t *body, int64_t received_ms, struct callback *cb,
    struct verr *e)
{
	const json_t *w = json_object_get(body, "window");
	const char *k;
	json_t *v;

	cb->not_before = cb->not_after = CBD_NO_TIME;
	if (!w || json_is_null(w))
		return 0;
	if (!json_is_object(w))
		return fail(e, 400, "invalid_type", "window",
		    "window must be an object with not_before and/or not_after");
	json_object_foreach((json_t *)w, k, v)
	{
		(void)v;
		if (strcmp(k, "not_before") && strcmp(k, "not_after"))
			return fail(e, 400, "unknown_field", "window",
			    "window may hold only not_before and not_after");
	}
	if (opt_time(w, "not_before", "window.not_before", &cb->not_before,
		e) == -1 ||
	    opt_time(w, "not_after", "window.not_after", &cb->not_after, e) ==
		-1)
		return -1;
	if (cb->not_after != CBD_NO_TIME) {
		if (cb->not_before != CBD_NO_TIME &&
		    cb->not_after <= cb->not_before)
			return fail(e, 422, "invalid_window", "window",
			    "window.not_after must be later than window.not_before");
		if (cb->not_after <= received_ms)
			return fail(e, 422, "invalid_window", "window",
			    "window.not_after lies in the past");
	}
	return 0;
}

/*
 * What makes two requests under one idempotency key the same request: the
 * normalised fields, as JSON with sorted keys, hashed with SHA-256. The
 * phone is in E.164 and the language its primary tag, so a retry that
 * writes them another way is still the same; requested_at counts as
 * given (absent: null), not as the receipt time a retry changes.
 */
static int
fingerprint(const struct callback *cb, int requested_given, char out[65])
{
#define FP_S(s) ((s)[0] ? json_string(s) : json_null())
#define FP_T(t) ((t) == CBD_NO_TIME ? json_null() : json_integer(t))
	json_t
	    *j = json_pack("{s:i,s:s,s:s,s:s,s:s,s:b,s:o,s:o,s:o,s:o,s:o,s:o,"
			   "s:o}",
		"v", 1, "phone", cb->phone, "topic", cb->topic, "site",
		cb->site, "language", cb->language, "urgent", cb->urgent,
		"assignee", FP_S(cb->assignee), "name", FP_S(cb->name),
		"customer_ref", FP_S(cb->customer_ref), "note", FP_S(cb->note),
		"requested_at",
		requested_given ? FP_T(cb->requested_at) : json_null(),
		"not_before", FP_T(cb->not_before), "not_after",
		FP_T(cb->not_after));
#undef FP_S
#undef FP_T
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len, i;
	char *text;
	int rc = -1;

	if (j && (text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS))) {
		if (EVP_Digest(text, strlen(text), md, &len, EVP_sha256(),
			NULL) &&
		    len == 32) {
			for (i = 0; i < len; i++)
				snprintf(out + 2 * i, 3, "%02x", md[i]);
			rc = 0;
		}
		free(text);
	}
	json_decref(j);
	return rc;
}

int
validate_create(const json_t *body, const struct config *c, int64_t received_ms,
    struct callback *cb, struct verr *e)
{
	char raw_phone[CBD_PHONE_INPUT_MAX + 1], raw_lang[CBD_LANGUAGE_MAX + 1];
	const char *why, *k;
	int requested_given;
	const json_t *v;
	json_t *jv;

	memset(cb, 0, sizeof(*cb));
	if (!json_is_object(body))
		return fail(e, 400, "not_an_object", NULL,
		    "the body must be a JSON object");
	json_object_foreach((json_t *)body, k, jv)
	{
		if (!known_field(create_fields, k))
			return fail(e, 400, "unknown_field", k,
			    "unknown field");
	}

	if (req_string(body, "phone", raw_phone, CBD_PHONE_INPUT_MAX, e) == -1)
		return -1;
	if (phone_normalise(raw_phone, c->country_code, cb->phone,
		sizeof(cb->phone), &why) == -1)
		return fail(e, 422, "invalid_phone", "phone", "%s", why);
	/* a call-back to a premium or shared-cost line would cost the agency,
	 * and could be made to on purpose */
	if (!phone_dialable(cb->phone, c->not_dialable))
		return fail(e, 422, "not_dialable", "phone",
		    "the number is in a "
		    "range callbackd does not call back (premium rate, shared cost "
		    "or similar; see not_dialable)");

	if (req_string(body, "topic", cb->topic, CBD_IDENT_MAX, e) == -1)
		return -1;
	if (!config_topic(c, cb->topic))
		return fail(e, 422, "unknown_topic", "topic", "no such topic");
	if (req_string(body, "site", cb->site, CBD_IDENT_MAX, e) == -1)
		return -1;
	if (!config_site(c, cb->site))
		return fail(e, 422, "unknown_site", "site", "no such site");

	if (opt_string(body, "language", raw_lang, CBD_LANGUAGE_MAX, e) == -1)
		return -1;
	/* a language not given is the first the config lists, and a later
	 * request that gives one may replace it (a merge) */
	cb->language_given = raw_lang[0] != '\0';
	if (!cb->language_given)
		snprintf(cb->language, sizeof(cb->language), "%s",
		    c->nlanguages ? c->languages[0] : "de");
	else if (check_language(raw_lang, c, "language", cb->language, e) == -1)
		return -1;

	v = json_object_get(body, "urgent");
	if (v && !json_is_null(v) && !json_is_boolean(v))
		return fail(e, 400, "invalid_type", "urgent",
		    "urgent must be true or false");
	/* a topic may be urgent by nature (a housing approval cannot wait) */
	cb->urgent = (v && json_is_true(v)) ||
	    config_topic(c, cb->topic)->urgent;

	if (opt_string(body, "assignee", cb->assignee, CBD_IDENT_MAX, e) ==
		-1 ||
	    opt_string(body, "name", cb->name, CBD_NAME_MAX, e) == -1 ||
	    opt_string(body, "customer_ref", cb->customer_ref,
		CBD_CUSTOMER_REF_MAX, e) == -1 ||
	    opt_string(body, "note", cb->note, CBD_NOTE_MAX, e) == -1 ||
	    opt_string(body, "call_id", cb->call_id, CBD_CALL_ID_MAX, e) == -1)
		return -1;

	if (opt_time(body, "requested_at", "requested_at", &cb->requested_at,
		e) == -1)
		return -1;
	requested_given = cb->requested_at != CBD_NO_TIME;
	if (!requested_given)
		cb->requested_at = received_ms;
	else if (cb->requested_at > received_ms + CBD_CLOCK_SKEW_MS)
		return fail(e, 422, "invalid_time", "requested_at",
		    "requested_at lies in the future");
	else if (c->max_request_age_ms > 0 &&
	    cb->requested_at < received_ms - c->max_request_age_ms) {
		char age[24];

		return fail(e, 422, "invalid_time", "requested_at",
		    "requested_at lies more than %s in the past (max_request_age)",
		    age_text(c->max_request_age_ms, age, sizeof(age)));
	}

	if (check_window(body, received_ms, cb, e) == -1)
		return -1;
	cb->received_at = received_ms;
	cb->request_count = 1;
	if (fingerprint(cb, requested_given, cb->fingerprint) == -1)
		return fail(e, 503, "unavailable", NULL,
		    "out of memory; try again");
	return 0;
}

/* ---- bodies of the claim, lease and attempt calls ------------------- */

static int
only_fields(const json_t *body, const char *const *allowed, struct verr *e)
{
	const char *k;
	json_t *v;

	if (!json_is_object(body))
		return fail(e, 400, "not_an_object", NULL,
		    "the body must be a JSON object");
	json_object_foreach((json_t *)body, k, v)
	{
		(void)v;
		if (!known_field(allowed, k))
			return fail(e, 400, "unknown_field", k,
			    "unknown field");
	}
	return 0;
}

/* The lease of a claim holder. A string that is no lease token at all can
 * no more be the current lease than a stale one: 409 lease_lost, as the
 * store answers for a stale one. */
static int
lease_field(const json_t *body, char token[37], int required, struct verr *e)
{
	const json_t *v = json_object_get(body, "lease");

	if (required && json_is_string(v) &&
	    (json_string_length(v) != 36 || !ident_uuid(json_string_value(v))))
		return fail(e, 409, "lease_lost", "lease",
		    "this is not the callback's current lease; claim again");
	if (opt_string(body, "lease", token, 36, e) == -1)
		return -1;
	if (required && !token[0])
		return fail(e, 400, "missing_field", "lease",
		    "lease is required: the token the claim returned");
	return 0;
}

int
validate_lease(const json_t *body, char token[37], struct verr *e)
{
	static const char *const fields[] = { "lease", NULL };

	if (only_fields(body, fields, e) == -1)
		return -1;
	return lease_field(body, token, 1, e);
}

int
validate_attempt(const json_t *body, int lease_required, int64_t now,
    struct attempt_req *a, struct verr *e)
{
	static const char *const fields[] = { "lease", "result", "note",
		"duration_s", "not_before", NULL };
	const json_t *v;
	char result[16], list[128];
	size_t off = 0;
	int i;

	if (only_fields(body, fields, e) == -1 ||
	    lease_field(body, a->lease_token, lease_required, e) == -1)
		return -1;
	if (req_string(body, "result", result, sizeof(result) - 1, e) == -1) {
		if (!strcmp(e->code, "too_long"))
			return fail(e, 422, "invalid_result", "result",
			    "unknown result");
		return -1;
	}
	if (result_parse(result, &a->result) == -1) {
		for (i = 0; i < RESULT_N && off < sizeof(list); i++)
			off += (size_t)snprintf(list + off, sizeof(list) - off,
			    "%s%s", i ? ", " : "",
			    result_word((enum attempt_result)i));
		return fail(e, 422, "invalid_result", "result",
		    "result must be one of %s", list);
	}
	if (opt_string(body, "note", a->note, CBD_NOTE_MAX, e) == -1)
		return -1;
	a->duration_s = -1;
	v = json_object_get(body, "duration_s");
	if (v && !json_is_null(v)) {
		if (!json_is_integer(v))
			return fail(e, 400, "invalid_type", "duration_s",
			    "duration_s must be a whole number of seconds");
		if (json_integer_value(v) < 0 || json_integer_value(v) > 86400)
			return fail(e, 422, "invalid_duration", "duration_s",
			    "duration_s must be from 0 to 86400");
		a->duration_s = (int)json_integer_value(v);
	}
	if (opt_time(body, "not_before", "not_before", &a->not_before, e) == -1)
		return -1;
	if (a->result == RESULT_CALLBACK_LATER) {
		if (a->not_before == CBD_NO_TIME)
			return fail(e, 400, "missing_field", "not_before",
			    "callback_later needs not_before: when to call again");
		if (a->not_before <= now)
			return fail(e, 422, "invalid_time", "not_before",
			    "not_before lies in the past");
	} else if (a->not_before != CBD_NO_TIME)
		return fail(e, 400, "unknown_field", "not_before",
		    "not_before belongs to callback_later only");
	return 0;
}

static int
ident_list(const json_t *body, const char *field, char *slots, size_t slot_len,
    size_t max, size_t *n, int (*ok)(const char *), struct verr *e)
{
	const json_t *arr = json_object_get(body, field), *v;
	size_t i, j;

	if (!arr)
		return fail(e, 400, "missing_field", field, "%s is required",
		    field);
	if (!json_is_array(arr) || json_array_size(arr) == 0)
		return fail(e, 400, "invalid_type", field,
		    "%s must be a non-empty array of strings", field);
	if (json_array_size(arr) > max)
		return fail(e, 400, "too_long", field,
		    "%s has more than %zu entries", field, max);
	*n = 0;
	json_array_foreach(arr, i, v)
	{
		if (!json_is_string(v) || json_string_length(v) >= slot_len)
			return fail(e, 400, "invalid_type", field,
			    "%s must hold short strings", field);
		if (!ok(json_string_value(v)))
			return fail(e, 422, "invalid_value", field,
			    "%s holds an unknown or malformed entry", field);
		for (j = 0; j < *n; j++)
			if (!strcmp(slots + j * slot_len, json_string_value(v)))
				break;
		if (j == *n)
			strcpy(slots + (*n)++ * slot_len, json_string_value(v));
	}
	return 0;
}

static const struct config *list_conf; /* for the topic check below */

static int
known_topic(const char *s)
{
	return config_topic(list_conf, s) != NULL;
}

/* A caseworker's languages, kept as the primary tags the config lists
 * (de-DE: de), each once, so that they meet the callbacks' languages. */
static int
profile_languages(const json_t *body, const struct config *c,
    struct caseworker *w, struct verr *e)
{
	const json_t *arr = json_object_get(body, "languages"), *v;
	char prim[CBD_PRIMARY_LANGUAGE_MAX + 1];
	size_t i, j;

	if (!arr)
		return fail(e, 400, "missing_field", "languages",
		    "languages is required");
	if (!json_is_array(arr) || json_array_size(arr) == 0)
		return fail(e, 400, "invalid_type", "languages",
		    "languages must be a non-empty array of strings");
	if (json_array_size(arr) > CBD_CASEWORKER_LANGUAGES_MAX)
		return fail(e, 400, "too_long", "languages",
		    "languages has more than %d entries",
		    CBD_CASEWORKER_LANGUAGES_MAX);
	w->nlanguages = 0;
	json_array_foreach(arr, i, v)
	{
		if (!json_is_string(v) ||
		    json_string_length(v) > CBD_LANGUAGE_MAX ||
		    strlen(json_string_value(v)) != json_string_length(v))
			return fail(e, 400, "invalid_type", "languages",
			    "languages must hold short strings");
		if (check_language(json_string_value(v), c, "languages", prim,
			e) == -1)
			return -1;
		for (j = 0; j < w->nlanguages && strcmp(w->languages[j], prim);
		     j++)
			;
		if (j == w->nlanguages)
			strcpy(w->languages[w->nlanguages++], prim);
	}
	return 0;
}

int
validate_caseworker(const json_t *body, const struct config *c, int with_id,
    struct caseworker *w, struct verr *e)
{
	static const char *const fields[] = { "id", "site", "topics",
		"languages", "active", NULL };
	const json_t *v;

	if (only_fields(body, fields, e) == -1)
		return -1;
	if (with_id) {
		if (req_string(body, "id", w->id, CBD_IDENT_MAX, e) == -1)
			return -1;
		if (!ident_name(w->id))
			return fail(e, 422, "invalid_value", "id",
			    "id must be 1 to %d characters of a-z, 0-9, _ and -",
			    CBD_IDENT_MAX);
	} else if (json_object_get(body, "id"))
		return fail(e, 400, "unknown_field", "id",
		    "the id is in the path");
	if (req_string(body, "site", w->site, CBD_IDENT_MAX, e) == -1)
		return -1;
	if (!config_site(c, w->site))
		return fail(e, 422, "unknown_site", "site", "no such site");
	list_conf = c;
	if (ident_list(body, "topics", w->topics[0], sizeof(w->topics[0]),
		CBD_CASEWORKER_TOPICS_MAX, &w->ntopics, known_topic, e) == -1 ||
	    profile_languages(body, c, w, e) == -1)
		return -1;
	v = json_object_get(body, "active");
	if (v && !json_is_boolean(v))
		return fail(e, 400, "invalid_type", "active",
		    "active must be true or false");
	w->active = !v || json_is_true(v);
	return 0;
}

int
validate_token_expiry(const char *expires_at, const char *expires_in,
    int64_t now, int64_t *out, struct verr *e)
{
	int64_t ms;

	*out = CBD_NO_TIME;
	if (expires_at && expires_in)
		return fail(e, 422, "invalid_value", "expires_at",
		    "give expires_at or expires_in, not both");
	if (expires_at) {
		if (rfc3339_parse(expires_at, &ms) == -1)
			return fail(e, 422, "invalid_time", "expires_at",
			    "expires_at must be an RFC 3339 time");
		if (ms <= now)
			return fail(e, 422, "invalid_time", "expires_at",
			    "expires_at must lie ahead");
		*out = ms;
	} else if (expires_in) {
		if (duration_parse(expires_in, &ms) == -1 || ms <= 0 ||
		    ms > INT64_MAX - now)
			return fail(e, 422, "invalid_duration", "expires_in",
			    "expires_in must be a duration such as 90d or 12h");
		*out = now + ms;
	}
	return 0;
}
