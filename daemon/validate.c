/*
 * validate.c owns the rules for what a request may say: types, lengths,
 * known topics and sites, phone numbers, times and windows. It turns a
 * parsed body into a normalised struct callback or says precisely what is
 * wrong. Pure: no I/O, and it never echoes personal data in a message.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "phone.h"
#include "timefmt.h"
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
		return fail(e, 400, "invalid_type", field, "%s must be a string", field);
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
		return fail(e, 400, "missing_field", field, "%s is required", field);
	if (opt_string(body, field, dst, max, e) == -1)
		return -1;
	if (!dst[0])
		return fail(e, 400, "missing_field", field, "%s must not be empty", field);
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
		    "%s is not an RFC 3339 time such as 2026-11-24T09:30:00+01:00", field);
	return 0;
}

int
validate_language(const char *s)
{
	size_t n = 0;

	while (islower((unsigned char)s[n]))
		n++;
	if (n < 2 || n > 3)
		return 0;
	s += n;
	while (*s == '-') {
		s++;
		for (n = 0; isalnum((unsigned char)s[n]); n++)
			;
		if (n < 2 || n > 8)
			return 0;
		s += n;
	}
	return *s == '\0';
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

static const char *const create_fields[] = {
	"phone", "topic", "site", "name", "customer_ref", "language", "urgent",
	"assignee", "requested_at", "window", "note", "call_id", NULL
};

static int
known_field(const char *const *list, const char *k)
{
	for (; *list; list++)
		if (!strcmp(*list, k))
			return 1;
	return 0;
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
	json_object_foreach((json_t *)w, k, v) {
		(void)v;
		if (strcmp(k, "not_before") && strcmp(k, "not_after"))
			return fail(e, 400, "unknown_field", "window",
			    "window may hold only not_before and not_after");
	}
	if (opt_time(w, "not_before", "window.not_before", &cb->not_before, e) == -1 ||
	    opt_time(w, "not_after", "window.not_after", &cb->not_after, e) == -1)
		return -1;
	if (cb->not_after != CBD_NO_TIME) {
		if (cb->not_before != CBD_NO_TIME && cb->not_after <= cb->not_before)
			return fail(e, 422, "invalid_window", "window",
			    "window.not_after must be later than window.not_before");
		if (cb->not_after <= received_ms)
			return fail(e, 422, "invalid_window", "window",
			    "window.not_after lies in the past");
	}
	return 0;
}

int
validate_create(const json_t *body, const struct config *c, int64_t received_ms,
    struct callback *cb, struct verr *e)
{
	char raw_phone[CBD_PHONE_INPUT_MAX + 1];
	const char *why, *k;
	const json_t *v;
	json_t *jv;

	memset(cb, 0, sizeof(*cb));
	if (!json_is_object(body))
		return fail(e, 400, "not_an_object", NULL, "the body must be a JSON object");
	json_object_foreach((json_t *)body, k, jv) {
		if (!known_field(create_fields, k))
			return fail(e, 400, "unknown_field", k, "unknown field");
	}

	if (req_string(body, "phone", raw_phone, CBD_PHONE_INPUT_MAX, e) == -1)
		return -1;
	if (phone_normalise(raw_phone, c->country_code, cb->phone,
	    sizeof(cb->phone), &why) == -1)
		return fail(e, 422, "invalid_phone", "phone", "%s", why);

	if (req_string(body, "topic", cb->topic, CBD_IDENT_MAX, e) == -1)
		return -1;
	if (!config_topic(c, cb->topic))
		return fail(e, 422, "unknown_topic", "topic", "no such topic");
	if (req_string(body, "site", cb->site, CBD_IDENT_MAX, e) == -1)
		return -1;
	if (!config_site(c, cb->site))
		return fail(e, 422, "unknown_site", "site", "no such site");

	if (opt_string(body, "language", cb->language, CBD_LANGUAGE_MAX, e) == -1)
		return -1;
	if (!cb->language[0])
		strcpy(cb->language, "de");
	else if (!validate_language(cb->language))
		return fail(e, 422, "invalid_language", "language",
		    "language must be a tag such as de, en or pt-BR");

	v = json_object_get(body, "urgent");
	if (v && !json_is_null(v) && !json_is_boolean(v))
		return fail(e, 400, "invalid_type", "urgent", "urgent must be true or false");
	cb->urgent = v && json_is_true(v);

	if (opt_string(body, "assignee", cb->assignee, CBD_IDENT_MAX, e) == -1 ||
	    opt_string(body, "name", cb->name, CBD_NAME_MAX, e) == -1 ||
	    opt_string(body, "customer_ref", cb->customer_ref, CBD_CUSTOMER_REF_MAX, e) == -1 ||
	    opt_string(body, "note", cb->note, CBD_NOTE_MAX, e) == -1 ||
	    opt_string(body, "call_id", cb->call_id, CBD_CALL_ID_MAX, e) == -1)
		return -1;

	if (opt_time(body, "requested_at", "requested_at", &cb->requested_at, e) == -1)
		return -1;
	if (cb->requested_at == CBD_NO_TIME)
		cb->requested_at = received_ms;
	else if (cb->requested_at > received_ms + CBD_CLOCK_SKEW_MS)
		return fail(e, 422, "invalid_time", "requested_at",
		    "requested_at lies in the future");

	if (check_window(body, received_ms, cb, e) == -1)
		return -1;
	cb->received_at = received_ms;
	cb->request_count = 1;
	return 0;
}
