/*
 * store_unclaimable.c owns the checks of what the configuration and the
 * caseworkers cover: queued callbacks no active caseworker may claim (with
 * their alerts), and open callbacks of topics or sites the configuration
 * no longer has.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "config.h"

#include "store.h"
#include "store_job.h"

/* ---- callbacks nobody may claim, topics and sites in use ---------------- */

static void
unclaimable_start(struct store_job *j, PGresult *unused)
{
	(void)unused;
	job_send(j, "SELECT site, topic, unclaimable, alerts "
	    "FROM cbd_unclaimable_check()", 0, NULL);
}

void
store_unclaimable_check(store_table_fn *fn, void *arg)
{
	struct report_job *r = calloc(1, sizeof(*r));

	if (!r) {
		fn(arg, STORE_UNAVAILABLE, NULL);
		return;
	}
	r->fn = fn;
	r->arg = arg;
	job_run(&r->job, unclaimable_start, report_step, report_fail);
}

struct outside_job {
	struct report_job r; /* first: report_step reads it */
	char *names[2];      /* '{topic,...}', '{site,...}' */
};

static void
outside_start(struct store_job *j, PGresult *unused)
{
	struct outside_job *o = (struct outside_job *)j;
	const char *p[2] = { o->names[0], o->names[1] };

	(void)unused;
	job_send(j, "SELECT kind, name, open FROM cbd_open_outside($1::text[], "
	    "$2::text[]) ORDER BY kind DESC, name", 2, p);
}

static void
outside_free(struct store_job *j)
{
	struct outside_job *o = (struct outside_job *)j;

	free(o->names[0]);
	free(o->names[1]);
	free(o);
}

/* '{a,b}' of n names of stride bytes: identifiers, no quoting needed. */
static char *
names_literal(const char *first, size_t stride, size_t n)
{
	char *buf = malloc(n * (CBD_IDENT_MAX + 1) + 3);
	size_t i, off = 0;

	if (!buf)
		return NULL;
	buf[off++] = '{';
	for (i = 0; i < n; i++)
		off += (size_t)sprintf(buf + off, "%s%s", i ? "," : "",
		    first + i * stride);
	buf[off++] = '}';
	buf[off] = '\0';
	return buf;
}

void
store_open_outside(const struct config *c, store_table_fn *fn, void *arg)
{
	struct outside_job *o = calloc(1, sizeof(*o));

	if (!o || !(o->names[0] = names_literal(c->ntopics ? c->topics[0].name :
	    "", sizeof(c->topics[0]), c->ntopics)) ||
	    !(o->names[1] = names_literal(c->nsites ? c->sites[0].name : "",
	    sizeof(c->sites[0]), c->nsites))) {
		if (o)
			free(o->names[0]);
		free(o);
		fn(arg, STORE_UNAVAILABLE, NULL);
		return;
	}
	o->r.fn = fn;
	o->r.arg = arg;
	o->r.job.start = outside_start;
	o->r.job.step = report_step;
	o->r.job.fail = report_fail;
	o->r.job.destroy = outside_free;
	job_submit(&o->r.job);
}
