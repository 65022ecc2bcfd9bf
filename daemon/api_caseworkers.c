/*
 * api_caseworkers.c owns the admin resources for caseworkers: who works at
 * which site, on which topics, in which languages, and whether they may
 * claim at all. The profile decides which queues a claim looks at.
 */
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "auth.h"
#include "config.h"
#include "log.h"
#include "queue.h"
#include "store.h"
#include "unclaimable.h"
#include "validate.h"

static json_t *
caseworker_json(const struct caseworker *w)
{
	json_t *topics = json_array(), *langs = json_array();
	size_t i;

	for (i = 0; i < w->ntopics; i++)
		json_array_append_new(topics, json_string(w->topics[i]));
	for (i = 0; i < w->nlanguages; i++)
		json_array_append_new(langs, json_string(w->languages[i]));
	return json_pack("{s:s,s:s,s:o,s:o,s:b}", "id", w->id, "site", w->site,
	    "topics", topics, "languages", langs, "active", w->active);
}

struct cw_call {
	struct api_req *a;
	int status;       /* answer on success */
	const char *none; /* error code when no row came back */
	int none_status;
	int deactivate; /* read, then save with active = false */
	struct caseworker saved;
	struct callback *released; /* leases given back: to index */
	size_t nreleased, nsynced;
};

static void
cw_call_free(struct cw_call *c)
{
	free(c->released);
	free(c);
}

static void
cw_answer(struct cw_call *c)
{
	http_reply(c->a, c->status, caseworker_json(&c->saved), NULL);
	cw_call_free(c);
}

/* One released callback is in the index again, queued for others; the
 * answer waits for all of them. */
static void
cw_released_synced(void *arg, int ok)
{
	struct cw_call *c = arg;

	(void)ok; /* committed: the rebuild mends Redis if this failed */
	if (++c->nsynced == c->nreleased)
		cw_answer(c);
}

static void
cw_saved(void *arg, enum store_status st, const struct caseworker *w, size_t n,
    const struct callback *released, size_t nreleased)
{
	struct cw_call *c = arg;
	size_t i;

	if (st == STORE_INVALID) /* the database refused the values */
		http_error(c->a, 422, "invalid_value", NULL,
		    "the caseworker profile was refused");
	else if (st != STORE_OK)
		http_store_failed(c->a, st);
	else if (n == 0)
		http_error(c->a, c->none_status, c->none, NULL, "%s",
		    c->none_status == 409 ? "a caseworker with this id exists" :
					    "no such caseworker");
	else {
		/* committed: this daemon forgets every token at once, so a
		 * deactivated caseworker's token is refused from its next
		 * request on (the others within CBD_TOKEN_CACHE_MS); a new
		 * caseworker's token is no longer remembered as invalid */
		auth_cache_clear();
		log_info("caseworker %s saved (site %s, %zu topics, %s, %zu "
			 "lease%s given back)",
		    w->id, w->site, w->ntopics,
		    w->active ? "active" : "inactive", nreleased,
		    nreleased == 1 ? "" : "s");
		unclaimable_hint(); /* who may claim what has changed */
		c->saved = *w;
		if (nreleased == 0) {
			cw_answer(c);
			return;
		}
		if (!(c->released = calloc(nreleased, sizeof(*released)))) {
			cw_answer(c); /* the rebuild indexes them */
			return;
		}
		memcpy(c->released, released, nreleased * sizeof(*released));
		c->nreleased = nreleased;
		for (i = 0; i < nreleased; i++) {
			log_info(
			    "callback %s released: caseworker %s deactivated "
			    "(site %s, topic %s)",
			    released[i].id, w->id, released[i].site,
			    released[i].topic);
			queue_sync(&c->released[i], cw_released_synced, c);
		}
		return;
	}
	cw_call_free(c);
}

static struct cw_call *
cw_call(struct api_req *a, int status, const char *none, int none_status)
{
	struct cw_call *c = calloc(1, sizeof(*c));

	if (!c) {
		http_store_failed(a, STORE_UNAVAILABLE);
		return NULL;
	}
	c->a = a;
	c->status = status;
	c->none = none;
	c->none_status = none_status;
	return c;
}

static void
save(struct api_req *a, int create)
{
	struct caseworker w;
	struct cw_call *c;
	struct verr e;

	memset(&w, 0, sizeof(w));
	if (validate_caseworker(a->body, conf, create, &w, &e) == -1) {
		http_error(a, e.status, e.code, e.field, "%s", e.message);
		return;
	}
	if (!create)
		snprintf(w.id, sizeof(w.id), "%s", a->path_id);
	if ((c = create ? cw_call(a, 201, "exists", 409) :
			  cw_call(a, 200, "not_found", 404)))
		store_caseworker_save(&w, create, a->actor,
		    create ? "caseworker_created" : "caseworker_updated",
		    cw_saved, c);
}

void
api_caseworkers_create(struct api_req *a)
{
	save(a, 1);
}

void
api_caseworkers_update(struct api_req *a)
{
	save(a, 0);
}

static void
cw_read(void *arg, enum store_status st, const struct caseworker *w, size_t n)
{
	struct cw_call *c = arg;
	struct caseworker off;
	json_t *list;
	size_t i;

	if (st != STORE_OK) {
		http_store_failed(c->a, st);
	} else if (c->deactivate) {
		if (n == 0) {
			http_error(c->a, 404, "not_found", NULL,
			    "no such caseworker");
		} else {
			off = w[0];
			off.active = false;
			store_caseworker_save(&off, 0, c->a->actor,
			    "caseworker_deactivated", cw_saved, c);
			return;
		}
	} else if (c->a->path_id) {
		if (n == 0)
			http_error(c->a, 404, "not_found", NULL,
			    "no such caseworker");
		else
			http_reply(c->a, 200, caseworker_json(&w[0]), NULL);
	} else {
		list = json_array();
		for (i = 0; i < n; i++)
			json_array_append_new(list, caseworker_json(&w[i]));
		http_reply(c->a, 200, json_pack("{s:o}", "caseworkers", list),
		    NULL);
	}
	free(c);
}

void
api_caseworkers_deactivate(struct api_req *a)
{
	struct cw_call *c = cw_call(a, 200, "not_found", 404);

	if (!c)
		return;
	c->deactivate = 1;
	store_caseworkers(a->path_id, cw_read, c);
}

void
api_caseworkers_get(struct api_req *a)
{
	struct cw_call *c = cw_call(a, 200, "not_found", 404);

	if (c)
		store_caseworkers(a->path_id, cw_read, c);
}

void
api_caseworkers_list(struct api_req *a)
{
	api_caseworkers_get(a);
}
