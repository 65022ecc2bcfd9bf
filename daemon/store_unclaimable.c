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

void
store_unclaimable_check(store_table_fn *fn, void *arg)
{
	struct query_job
	    *q = table_new("SELECT site, topic, unclaimable, alerts "
			   "FROM cbd_unclaimable_check()",
		fn, arg);

	if (q)
		query_submit(q);
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
	struct query_job *q = table_new(
	    "SELECT kind, name, open FROM "
	    "cbd_open_outside($1::text[], $2::text[]) ORDER BY kind DESC, name",
	    fn, arg);

	if (!q)
		return;
	query_param_take(q,
	    names_literal(c->ntopics ? c->topics[0].name : "",
		sizeof(c->topics[0]), c->ntopics));
	query_param_take(q,
	    names_literal(c->nsites ? c->sites[0].name : "",
		sizeof(c->sites[0]), c->nsites));
	query_submit(q);
}
