/*
 * api_callbacks.c owns the call-back resources of the API: intake (POST
 * /v1/callbacks) and reading one (GET /v1/callbacks/{id}). It validates,
 * decides the due time, asks the store to commit and the queue to index,
 * and answers. It never builds SQL or Redis commands and never logs
 * personal data: only ids, sites and topics.
 */
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "auth.h"
#include "config.h"
#include "log.h"
#include "queue.h"
#include "sla.h"
#include "store.h"
#include "timefmt.h"
#include "validate.h"

static json_t *
time_json(int64_t ms)
{
	char buf[CBD_TIME_STR];

	if (ms == CBD_NO_TIME || rfc3339_format(ms, buf, sizeof(buf)) == 0)
		return json_null();
	return json_string(buf);
}

static json_t *
str_json(const char *s)
{
	return s[0] ? json_string(s) : json_null();
}

static json_t *
callback_json(const struct callback *cb)
{
	return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:b,s:o,s:o,s:o,s:o,s:o,"
	    "s:o,s:o,s:o,s:o,s:o,s:i,s:o,s:o}",
	    "id", cb->id, "state", cb->state, "phone", cb->phone,
	    "topic", cb->topic, "site", cb->site, "language", cb->language,
	    "urgent", cb->urgent,
	    "assignee", str_json(cb->assignee), "name", str_json(cb->name),
	    "customer_ref", str_json(cb->customer_ref),
	    "note", str_json(cb->note), "call_id", str_json(cb->call_id),
	    "requested_at", time_json(cb->requested_at),
	    "received_at", time_json(cb->received_at),
	    "due_at", time_json(cb->due_at),
	    "not_before", time_json(cb->not_before),
	    "not_after", time_json(cb->not_after),
	    "request_count", cb->request_count,
	    "created_at", time_json(cb->created_at),
	    "updated_at", time_json(cb->updated_at));
}

/* ---- POST /v1/callbacks --------------------------------------------- */

struct intake {
	struct api_req *a;
	enum intake_outcome outcome;
	struct callback row;
};

static void
intake_answer(struct intake *in)
{
	json_t *body = callback_json(&in->row);
	char location[64];

	json_object_set_new(body, "merged", json_boolean(in->outcome == INTAKE_MERGED));
	json_object_set_new(body, "replayed", json_boolean(in->outcome == INTAKE_REPLAYED));
	if (in->outcome == INTAKE_CREATED) {
		snprintf(location, sizeof(location), "/v1/callbacks/%s", in->row.id);
		http_reply(in->a, 201, body, location);
	} else
		http_reply(in->a, 200, body, NULL);
	free(in);
}

static void
intake_indexed(void *arg, int ok)
{
	struct intake *in = arg;

	/* The row is committed: the answer is a success either way. An index
	 * entry that did not make it is restored by the next rebuild. */
	if (!ok)
		log_warnx("callback %s (site %s, topic %s) committed but not "
		    "indexed in Redis; the next rebuild adds it", in->row.id,
		    in->row.site, in->row.topic);
	intake_answer(in);
}

/* A merge made an open callback urgent: its due time from the first
 * request under the urgent target. */
static int64_t
raised_due(const struct callback *cb)
{
	const struct topic_policy *t = config_topic(conf, cb->topic);
	const struct site *s = config_site(conf, cb->site);

	if (!t || !s) /* topic or site taken out of the config since */
		return cb->due_at;
	return sla_due_at(t, s, true, cb->requested_at);
}

static void
intake_stored(void *arg, enum store_status st, enum intake_outcome outcome,
    const struct callback *row)
{
	struct intake *in = arg;

	if (st != STORE_OK) {
		http_store_failed(in->a, st);
		free(in);
		return;
	}
	in->outcome = outcome;
	in->row = *row;
	if (outcome == INTAKE_CREATED)
		log_info("callback %s created (site %s, topic %s%s)", row->id,
		    row->site, row->topic, row->urgent ? ", urgent" : "");
	else if (outcome == INTAKE_MERGED)
		log_info("callback %s merged a repeated request (site %s, topic %s, "
		    "%d requests)", row->id, row->site, row->topic,
		    row->request_count);
	if (outcome == INTAKE_REPLAYED || (strcmp(row->state, "queued") &&
	    strcmp(row->state, "claimed"))) {
		intake_answer(in);
		return;
	}
	queue_sync(&in->row, intake_indexed, in);
}

void
api_callbacks_create(struct api_req *a)
{
	const struct topic_policy *topic;
	struct callback req;
	struct intake *in;
	struct verr e;

	if (validate_idempotency_key(a->idempotency_key, &e) == -1 ||
	    validate_create(a->body, conf, a->received_ms, &req, &e) == -1) {
		http_error(a, e.status, e.code, e.field, "%s", e.message);
		return;
	}
	topic = config_topic(conf, req.topic);
	req.due_at = sla_due_at(topic, config_site(conf, req.site), req.urgent,
	    req.requested_at);
	if (!(in = calloc(1, sizeof(*in)))) {
		http_store_failed(a, STORE_UNAVAILABLE);
		return;
	}
	in->a = a;
	store_intake(&req, a->idempotency_key, a->actor, raised_due,
	    intake_stored, in);
}

/* ---- GET /v1/callbacks/{id} ----------------------------------------- */

static void
got_callback(void *arg, enum store_status st, const struct callback *cb,
    const char *attempts_json)
{
	struct api_req *a = arg;
	json_t *body, *attempts;

	if (st != STORE_OK) {
		http_store_failed(a, st);
		return;
	}
	if (a->role == ROLE_CASEWORKER && strcmp(cb->assignee, a->token.caseworker_id)) {
		http_error(a, 403, "forbidden", NULL,
		    "this callback is not assigned to you");
		return;
	}
	attempts = json_loads(attempts_json, 0, NULL);
	body = callback_json(cb);
	json_object_set_new(body, "attempts", attempts ? attempts : json_array());
	http_reply(a, 200, body, NULL);
}

void
api_callbacks_get(struct api_req *a)
{
	store_get_callback(a->path_id, got_callback, a);
}
