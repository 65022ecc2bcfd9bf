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

/* ---- caseworkers ---------------------------------------------------- */

#define CW_COLS "w.id, w.site, array_to_string(w.topics, ','), " \
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
struct cw_job {
	struct store_job job;
	const char *sql;
	int nparams;
	char params[8][1200];
	int null_mask;
	store_caseworkers_fn *fn;
	store_cw_saved_fn *saved; /* a save: fn is NULL */
	void *arg;
};

static void
cw_start(struct store_job *j, PGresult *unused)
{
	struct cw_job *c = (struct cw_job *)j;
	const char *p[8];
	int i;

	(void)unused;
	for (i = 0; i < c->nparams; i++)
		p[i] = c->null_mask & (1 << i) ? NULL : c->params[i];
	job_send(j, c->sql, c->nparams, p);
}

static void
cw_step(struct store_job *j, PGresult *res)
{
	struct cw_job *c = (struct cw_job *)j;
	struct caseworker *list = NULL;
	int i, n;

	if (res_failed(res, PGRES_TUPLES_OK, "caseworkers")) {
		const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);

		/* a CHECK that the caller's validation should have caught */
		c->fn(c->arg, state && !strncmp(state, "23", 2) ? STORE_NOT_FOUND :
		    STORE_FAILED, NULL, 0);
	} else {
		n = PQntuples(res);
		if (n > 0 && !(list = calloc((size_t)n, sizeof(*list)))) {
			c->fn(c->arg, STORE_UNAVAILABLE, NULL, 0);
		} else {
			for (i = 0; i < n; i++)
				row_to_caseworker(res, i, &list[i]);
			c->fn(c->arg, STORE_OK, list, (size_t)n);
			free(list);
		}
	}
	c->fn = NULL;
	job_done(j);
}

static void
cw_fail(struct store_job *j, enum store_status st)
{
	struct cw_job *c = (struct cw_job *)j;

	if (c->fn)
		c->fn(c->arg, st, NULL, 0);
	if (c->saved)
		c->saved(c->arg, st, NULL, 0, NULL, 0);
}

/* Rows: the caseworker (CW_COLS), then CB_COLS of one released callback
 * per row, all NULL when none was. */
static void
cw_saved_step(struct store_job *j, PGresult *res)
{
	struct cw_job *c = (struct cw_job *)j;
	struct caseworker w;
	struct callback *rel = NULL;
	size_t nrel = 0;
	int i, n;

	if (res_failed(res, PGRES_TUPLES_OK, "save caseworker")) {
		const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);

		/* a CHECK that the caller's validation should have caught */
		c->saved(c->arg, state && !strncmp(state, "23", 2) ?
		    STORE_NOT_FOUND : STORE_FAILED, NULL, 0, NULL, 0);
	} else if ((n = PQntuples(res)) == 0) {
		c->saved(c->arg, STORE_OK, NULL, 0, NULL, 0);
	} else if (!(rel = calloc((size_t)n, sizeof(*rel)))) {
		c->saved(c->arg, STORE_UNAVAILABLE, NULL, 0, NULL, 0);
	} else {
		row_to_caseworker(res, 0, &w);
		for (i = 0; i < n; i++)
			if (!PQgetisnull(res, i, 5))
				row_to_callback(res, i, 5, &rel[nrel++]);
		c->saved(c->arg, STORE_OK, &w, 1, rel, nrel);
	}
	free(rel);
	c->saved = NULL;
	job_done(j);
}

static struct cw_job *
cw_new(const char *sql, store_caseworkers_fn *fn, void *arg)
{
	struct cw_job *c = calloc(1, sizeof(*c));

	if (!c) {
		fn(arg, STORE_UNAVAILABLE, NULL, 0);
		return NULL;
	}
	c->sql = sql;
	c->fn = fn;
	c->arg = arg;
	return c;
}

static void
cw_profile_params(struct cw_job *c, const struct caseworker *w)
{
	snprintf(c->params[0], sizeof(c->params[0]), "%s", w->id);
	snprintf(c->params[1], sizeof(c->params[1]), "%s", w->site);
	array_literal(c->params[2], sizeof(c->params[2]), w->topics[0],
	    sizeof(w->topics[0]), w->ntopics);
	array_literal(c->params[3], sizeof(c->params[3]), w->languages[0],
	    sizeof(w->languages[0]), w->nlanguages);
	snprintf(c->params[4], sizeof(c->params[4]), "%s", w->active ? "t" : "f");
	c->nparams = 5;
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
store_caseworker_save(const struct caseworker *w, int create,
    const char *actor, const char *event, store_cw_saved_fn *fn, void *arg)
{
	struct cw_job *c;

	cache_clear(&profiles);
	profiles_gen++;
	if (!(c = calloc(1, sizeof(*c)))) {
		fn(arg, STORE_UNAVAILABLE, NULL, 0, NULL, 0);
		return;
	}
	c->sql = "SELECT " CW_COLS ", " CB_COLS " FROM cbd_caseworker_save("
	    "$6::boolean, $1, $2, $3::text[], $4::text[], $5::boolean, $7, $8) s "
	    "CROSS JOIN LATERAL (SELECT (s.w).*) w "
	    "LEFT JOIN LATERAL unnest(s.released) c ON true ORDER BY c.id";
	c->saved = fn;
	c->arg = arg;
	cw_profile_params(c, w);
	snprintf(c->params[5], sizeof(c->params[5]), "%s", create ? "t" : "f");
	snprintf(c->params[6], sizeof(c->params[6]), "%s", actor);
	snprintf(c->params[7], sizeof(c->params[7]), "%s", event);
	c->nparams = 8;
	job_run(&c->job, cw_start, cw_saved_step, cw_fail);
}

void
store_caseworkers(const char *id, store_caseworkers_fn *fn, void *arg)
{
	struct cw_job *c = cw_new("SELECT " CW_COLS " FROM caseworkers w "
	    "WHERE $1::text IS NULL OR w.id = $1 ORDER BY w.id", fn, arg);

	if (!c)
		return;
	snprintf(c->params[0], sizeof(c->params[0]), "%s", id ? id : "");
	c->null_mask = id ? 0 : 1;
	c->nparams = 1;
	job_run(&c->job, cw_start, cw_step, cw_fail);
}
