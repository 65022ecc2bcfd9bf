/*
 * store_caseworkers.c owns the caseworkers table: list, read, save (which
 * gives back an inactive caseworker's leases in the same commit), and the
 * short-lived cache of profiles a claim reads.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "cache.h"
#include "timefmt.h"
#include "store.h"
#include "store_job.h"

#define CW_COLS \
	"w.id, w.site, array_to_string(w.topics, ','), " \
	"array_to_string(w.languages, ','), w.active"

/* Splits "a,b,c" (identifiers, no quoting needed) into fixed slots. */
static size_t
split_list(const char *s, char *slots, size_t slot_len, size_t max)
{
	size_t n = 0, len;

	while (*s && n < max) {
		len = strcspn(s, ",");
		if (len < slot_len) {
			memcpy(slots + n * slot_len, s, len);
			slots[n * slot_len + len] = '\0';
			n++;
		}
		s += len;
		if (*s == ',')
			s++;
	}
	return n;
}

static void
row_to_caseworker(const PGresult *res, int row, struct caseworker *w)
{
	memset(w, 0, sizeof(*w));
	col_str(res, row, 0, w->id, sizeof(w->id));
	col_str(res, row, 1, w->site, sizeof(w->site));
	w->ntopics = split_list(PQgetvalue(res, row, 2), w->topics[0],
	    sizeof(w->topics[0]), CBD_CASEWORKER_TOPICS_MAX);
	w->nlanguages = split_list(PQgetvalue(res, row, 3), w->languages[0],
	    sizeof(w->languages[0]), CBD_CASEWORKER_LANGUAGES_MAX);
	w->active = PQgetvalue(res, row, 4)[0] == 't';
}

static void
list_answer(struct query_job *q, enum store_status st, const PGresult *res)
{
	struct caseworker *list = NULL;
	int i, n;

	if (st != STORE_OK) {
		q->done.caseworkers(q->arg, st, NULL, 0);
		return;
	}
	n = PQntuples(res);
	if (n > 0 && !(list = calloc((size_t)n, sizeof(*list)))) {
		q->done.caseworkers(q->arg, STORE_UNAVAILABLE, NULL, 0);
		return;
	}
	for (i = 0; i < n; i++)
		row_to_caseworker(res, i, &list[i]);
	q->done.caseworkers(q->arg, STORE_OK, list, (size_t)n);
	free(list);
}

void
store_caseworkers(const char *id, store_caseworkers_fn *fn, void *arg)
{
	struct query_job *q = query_new(sizeof(*q),
	    "SELECT " CW_COLS " FROM "
	    "caseworkers w WHERE $1::text IS NULL OR w.id = $1 ORDER BY w.id",
	    "caseworkers", list_answer, (union store_done){ .caseworkers = fn },
	    arg);

	if (!q)
		return;
	query_param(q, id);
	query_submit(q);
}

/* Rows: the caseworker (CW_COLS), then CB_COLS of one released callback
 * per row, all NULL when none was. */
static void
saved_answer(struct query_job *q, enum store_status st, const PGresult *res)
{
	struct caseworker w;
	struct callback *rel = NULL;
	size_t nrel = 0;
	int i, n;

	if (st != STORE_OK) {
		q->done.cw_saved(q->arg, st, NULL, 0, NULL, 0);
	} else if ((n = PQntuples(res)) == 0) {
		q->done.cw_saved(q->arg, STORE_OK, NULL, 0, NULL, 0);
	} else if (!(rel = calloc((size_t)n, sizeof(*rel)))) {
		q->done.cw_saved(q->arg, STORE_UNAVAILABLE, NULL, 0, NULL, 0);
	} else {
		row_to_caseworker(res, 0, &w);
		for (i = 0; i < n; i++)
			if (!PQgetisnull(res, i, 5))
				row_to_callback(res, i, 5, &rel[nrel++]);
		q->done.cw_saved(q->arg, STORE_OK, &w, 1, rel, nrel);
	}
	free(rel);
}

/*
 * A caseworker's profile for claims and their queue, remembered for
 * CBD_PROFILE_CACHE_MS: a claim need not read it from PostgreSQL each
 * time. A save through this daemon forgets them all at once (the
 * generation makes a read that began before the save not store what it
 * read); another daemon's save takes effect within that time.
 */
struct profile {
	struct caseworker w;
	size_t n; /* 0: no such caseworker */
};
static struct cache_slot profile_slots[CBD_PROFILE_CACHE_SLOTS];
static struct profile profile_values[CBD_PROFILE_CACHE_SLOTS];
static struct cache profiles = CACHE_INIT(profile_slots, profile_values,
    CBD_PROFILE_CACHE_MS);
static unsigned profiles_gen;

struct profile_call {
	char id[CBD_IDENT_MAX + 1];
	unsigned gen;
	store_caseworkers_fn *fn;
	void *arg;
};

static void
profile_read(void *arg, enum store_status st, const struct caseworker *w,
    size_t n)
{
	struct profile_call *pc = arg;
	struct profile p = { .n = n ? 1 : 0 };

	if (st == STORE_OK && pc->gen == profiles_gen) {
		if (n)
			p.w = *w;
		cache_put(&profiles, pc->id, now_ms(), &p);
	}
	pc->fn(pc->arg, st, w, n);
	free(pc);
}

void
store_caseworker_profile(const char *id, store_caseworkers_fn *fn, void *arg)
{
	struct profile_call *pc;
	struct profile p;

	if (cache_get(&profiles, id, now_ms(), &p) == 0) {
		fn(arg, STORE_OK, p.n ? &p.w : NULL, p.n);
		return;
	}
	if (!(pc = calloc(1, sizeof(*pc)))) {
		fn(arg, STORE_UNAVAILABLE, NULL, 0);
		return;
	}
	snprintf(pc->id, sizeof(pc->id), "%s", id);
	pc->gen = profiles_gen;
	pc->fn = fn;
	pc->arg = arg;
	store_caseworkers(id, profile_read, pc);
}

void
store_caseworker_save(const struct caseworker *w, int create, const char *actor,
    const char *event, store_cw_saved_fn *fn, void *arg)
{
	struct query_job *q;
	/* as the profile has always been sent: a literal longer than this
	 * is cut short, and PostgreSQL refuses it */
	char topics[1200], langs[1200];

	cache_clear(&profiles);
	profiles_gen++;
	if (!(q = query_new(sizeof(*q),
		  "SELECT " CW_COLS ", " CB_COLS " FROM cbd_caseworker_save("
		  "$6::boolean, $1, $2, $3::text[], $4::text[], $5::boolean, $7, $8) s "
		  "CROSS JOIN LATERAL (SELECT (s.w).*) w "
		  "LEFT JOIN LATERAL unnest(s.released) c ON true ORDER BY c.id",
		  "save caseworker", saved_answer,
		  (union store_done){ .cw_saved = fn }, arg)))
		return;
	/* a CHECK that the caller's validation should have caught */
	q->invalid_state = "23";
	array_literal(topics, sizeof(topics), w->topics[0],
	    sizeof(w->topics[0]), w->ntopics);
	array_literal(langs, sizeof(langs), w->languages[0],
	    sizeof(w->languages[0]), w->nlanguages);
	query_param(q, w->id);
	query_param(q, w->site);
	query_param(q, topics);
	query_param(q, langs);
	query_param_bool(q, w->active);
	query_param_bool(q, create);
	query_param(q, actor);
	query_param(q, event);
	query_submit(q);
}
