/*
 * api_tokens.c owns the admin resources for API tokens: make one (shown
 * once, stored as SHA-256), list them (never the token), revoke one. A
 * revoked token is refused from its next request on.
 */
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "config.h"
#include "auth.h"
#include "log.h"
#include "store.h"
#include "ident.h"
#include "validate.h"

struct token_call {
	struct api_req *a;
	char token[CBD_TOKEN_STR + 1];
};

static json_t *
token_json(const struct token_row *t)
{
	return json_pack("{s:I,s:s,s:o,s:o,s:s,s:o,s:o}", "id",
	    (json_int_t)t->id, "role", t->role, "caseworker",
	    t->caseworker_id[0] ? json_string(t->caseworker_id) : json_null(),
	    "label", t->label[0] ? json_string(t->label) : json_null(),
	    "created_at", t->created_at, "revoked_at",
	    t->revoked_at[0] ? json_string(t->revoked_at) : json_null(),
	    "expires_at",
	    t->expires_at[0] ? json_string(t->expires_at) : json_null());
}

static void
tokens_listed(void *arg, enum store_status st, const struct token_row *t,
    size_t n)
{
	struct token_call *c = arg;
	json_t *list, *one;
	size_t i;

	if (st != STORE_OK) {
		http_store_failed(c->a, st);
	} else if (c->token[0]) {
		/* just made: the one time the token itself is shown */
		one = token_json(&t[0]);
		json_object_set_new(one, "token", json_string(c->token));
		log_info("token %lld made for role %s", (long long)t[0].id,
		    t[0].role);
		http_reply(c->a, 201, one, NULL);
	} else if (c->a->path_id) {
		if (n == 0)
			http_error(c->a, 404, "not_found", NULL,
			    "no such token");
		else {
			/* committed: this daemon forgets every token at once
			 * (a lookup still out is not kept), the others within
			 * CBD_TOKEN_CACHE_MS */
			auth_cache_clear();
			log_info("token %lld revoked", (long long)t[0].id);
			http_reply(c->a, 200, token_json(&t[0]), NULL);
		}
	} else {
		list = json_array();
		for (i = 0; i < n; i++)
			json_array_append_new(list, token_json(&t[i]));
		http_reply(c->a, 200, json_pack("{s:o}", "tokens", list), NULL);
	}
	free(c);
}

static struct token_call *
token_call(struct api_req *a)
{
	struct token_call *c = calloc(1, sizeof(*c));

	if (!c)
		http_store_failed(a, STORE_UNAVAILABLE);
	else
		c->a = a;
	return c;
}

void
api_tokens_create(struct api_req *a)
{
	static const char *const fields[] = { "role", "caseworker", "label",
		"expires_at", "expires_in", NULL };
	const char *role, *cw = NULL, *label = NULL, *k;
	char hash[65];
	struct token_call *c;
	json_t *v;
	unsigned bit;
	int64_t expires_ms;
	struct verr e;

	if (!json_is_object(a->body)) {
		http_error(a, 400, "not_an_object", NULL,
		    "the body must be a JSON object");
		return;
	}
	json_object_foreach(a->body, k, v)
	{
		size_t i;

		for (i = 0; fields[i] && strcmp(fields[i], k); i++)
			;
		if (!fields[i]) {
			http_error(a, 400, "unknown_field", k, "unknown field");
			return;
		}
		if (!json_is_string(v) || json_string_length(v) > 200) {
			http_error(a, 400, "invalid_type", k,
			    "%s must be a short string", k);
			return;
		}
	}
	role = json_string_value(json_object_get(a->body, "role"));
	cw = json_string_value(json_object_get(a->body, "caseworker"));
	label = json_string_value(json_object_get(a->body, "label"));
	if (!role || !(bit = auth_role(role))) {
		http_error(a, 422, "invalid_value", "role",
		    "role is one of telephony, "
		    "agent, caseworker, manager, admin");
		return;
	}
	if ((bit == ROLE_CASEWORKER) != (cw != NULL) ||
	    (cw && !ident_name(cw))) {
		http_error(a, 422, "invalid_value", "caseworker",
		    "a caseworker token "
		    "names its caseworker, and only it does");
		return;
	}
	if (validate_token_expiry(json_string_value(
				      json_object_get(a->body, "expires_at")),
		json_string_value(json_object_get(a->body, "expires_in")),
		a->received_ms, &expires_ms, &e) == -1) {
		http_error(a, e.status, e.code, e.field, "%s", e.message);
		return;
	}
	if (!(c = token_call(a)))
		return;
	if (auth_new_token(c->token, hash) == -1) {
		free(c);
		http_store_failed(a, STORE_UNAVAILABLE);
		return;
	}
	store_token_create(hash, role, cw, label, expires_ms, a->actor,
	    tokens_listed, c);
}

void
api_tokens_list(struct api_req *a)
{
	struct token_call *c = token_call(a);

	if (c)
		store_tokens(0, a->actor, tokens_listed, c);
}

void
api_tokens_revoke(struct api_req *a)
{
	struct token_call *c = token_call(a);
	char *end;
	long long id = strtoll(a->path_id, &end, 10);

	if (!c)
		return;
	if (*end || id <= 0) {
		free(c);
		http_error(a, 404, "not_found", NULL, "no such token");
		return;
	}
	store_tokens(id, a->actor, tokens_listed, c);
}

/* The display names of a topic or site, per language of the pages. */
static json_t *
labels_json(const char *name, const char *label, const char *label_en)
{
	return json_pack("{s:s,s:s}", "de",
	    config_label(name, label, label_en, 0), "en",
	    config_label(name, label, label_en, 1));
}

/* GET /v1/session: who the token in hand is, for the web pages to show
 * the right view. Any valid token may ask about itself. */
void
api_session(struct api_req *a)
{
	json_t *topics = json_array(), *sites = json_array();
	json_t *results = json_array();
	json_t *topic_labels = json_object(), *site_labels = json_object();
	json_t *languages = json_array(), *language_names = json_object();
	json_t *body;
	size_t i;

	/* what the pages offer in their forms, with the words they show */
	for (i = 0; i < conf->ntopics; i++) {
		const struct topic_policy *t = &conf->topics[i];

		json_array_append_new(topics, json_string(t->name));
		json_object_set_new(topic_labels, t->name,
		    labels_json(t->name, t->label, t->label_en));
	}
	for (i = 0; i < conf->nsites; i++) {
		const struct site *s = &conf->sites[i];

		json_array_append_new(sites, json_string(s->name));
		json_object_set_new(site_labels, s->name,
		    labels_json(s->name, s->label, s->label_en));
	}
	for (i = 0; i < conf->nlanguages; i++) {
		json_array_append_new(languages,
		    json_string(conf->languages[i]));
		json_object_set_new(language_names, conf->languages[i],
		    json_string(
			config_language_name(conf, conf->languages[i])));
	}
	for (i = 0; i < RESULT_N; i++)
		json_array_append_new(results,
		    json_string(result_word((enum attempt_result)i)));
	body = json_pack("{s:s,s:s?,s:o,s:o,s:o}", "role", a->token.role,
	    "caseworker",
	    a->token.caseworker_id[0] ? a->token.caseworker_id : NULL, "topics",
	    topics, "sites", sites, "attempt_results", results);
	if (body) {
		json_object_set_new(body, "topic_labels", topic_labels);
		json_object_set_new(body, "site_labels", site_labels);
		json_object_set_new(body, "languages", languages);
		json_object_set_new(body, "language_names", language_names);
	} else {
		json_decref(topic_labels);
		json_decref(site_labels);
		json_decref(languages);
		json_decref(language_names);
	}
	http_reply(a, 200, body, NULL);
}
