/*
 * api_events.c owns GET /v1/callbacks/{id}/events: a callback's story in
 * order (requests, merges, claims, lapsed leases, attempts, alerts,
 * closing, erasure). It asks the store for it, lets timeline.c decide
 * what the reader may see, and answers through the access log. It never
 * builds SQL and never shows the caller's phone, name, reference or
 * callback note; the attempts' notes only to whom GET /v1/callbacks/{id}
 * shows them.
 */
#include <string.h>

#include "api.h"
#include "auth.h"
#include "bounds.h"
#include "ident.h"
#include "store.h"
#include "timeline.h"

static const char *
reader(const struct api_req *a)
{
	return a->role == ROLE_CASEWORKER ? a->token.caseworker_id : NULL;
}

static void
got_events(void *arg, enum store_status st, const struct callback *cb,
    const char *story_json)
{
	struct api_req *a = arg;
	json_t *story, *events, *body;
	enum timeline_view view;
	const char *id;
	int cut;

	if (st != STORE_OK) {
		http_store_failed(a, st);
		return;
	}
	if (!(story = json_loads(story_json, 0, NULL))) {
		http_store_failed(a, STORE_FAILED);
		return;
	}
	view = timeline_view(reader(a), cb,
	    json_is_true(json_object_get(story, "held")));
	if (view == TIMELINE_DENIED) {
		json_decref(story);
		http_error(a, 403, "forbidden", NULL,
		    "this callback is not assigned to you and you never held it");
		return;
	}
	events = json_incref(json_object_get(story, "events"));
	json_decref(story);
	if (!json_is_array(events)) {
		json_decref(events);
		http_store_failed(a, STORE_FAILED);
		return;
	}
	cut = timeline_shape(events, view, CBD_EVENTS_MAX);
	/* what the story is of, and nothing of the caller */
	body = json_pack("{s:{s:s,s:s,s:s,s:s,s:b,s:i,s:o,s:o,s:o},s:o,s:b}",
	    "callback", "id", cb->id, "state", state_word(cb->state), "site",
	    cb->site, "topic", cb->topic, "urgent", cb->urgent, "request_count",
	    cb->request_count, "requested_at", api_time_json(cb->requested_at),
	    "due_at", api_time_json(cb->due_at), "closed_at",
	    api_time_json(cb->closed_at), "events", events, "truncated", cut);
	id = cb->id;
	api_access_reply(a, "GET /v1/callbacks/{id}/events", &id, 1, 200, body);
}

void
api_callbacks_events(struct api_req *a)
{
	/* an id that is no UUID names no callback: 404, as on every other
	 * route of a callback */
	if (!ident_uuid(a->path_id)) {
		http_store_failed(a, STORE_NOT_FOUND);
		return;
	}
	/* one more than shown: timeline_shape says whether there were more */
	store_callback_events(a->path_id, reader(a), CBD_EVENTS_MAX + 1,
	    got_events, a);
}
