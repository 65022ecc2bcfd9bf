/*
 * api_params.c owns the query parameters that several lists share: a
 * filter given empty, a site, the limit, the since time, and the
 * next_cursor of a page. It answers the error of a refused one; what a
 * value means is query.c's.
 */
#include <stdint.h>
#include <string.h>

#include <jansson.h>

#include "api.h"
#include "bounds.h"
#include "config.h"
#include "query.h"
#include "timefmt.h"

int
api_filters_not_empty(struct api_req *a, const char *const *names)
{
	const char *v;

	for (; *names; names++)
		if ((v = http_query(a, *names)) && !*v) {
			http_error(a, 400, "invalid_value", *names,
			    "%s is empty; leave it out not to filter by it",
			    *names);
			return -1;
		}
	return 0;
}

int
api_site_param(struct api_req *a, const char **site)
{
	*site = http_query(a, "site");
	if (*site && strlen(*site) > CBD_IDENT_MAX) {
		http_error(a, 400, "too_long", "site", "site is too long");
		return -1;
	}
	if (*site && !config_site(conf, *site)) {
		http_error(a, 422, "unknown_site", "site", "no such site");
		return -1;
	}
	return 0;
}

int
api_limit_param(struct api_req *a, unsigned long max, unsigned long *limit)
{
	const char *lim = http_query(a, "limit");

	if (lim && query_number(lim, 1, max, limit) == -1) {
		http_error(a, 400, "invalid_value", "limit",
		    "limit must be from 1 to %lu", max);
		return -1;
	}
	return 0;
}

int
api_since_param(struct api_req *a, int64_t *ms)
{
	const char *since = http_query(a, "since");

	if (since && rfc3339_parse(since, ms) == -1) {
		http_error(a, 400, "invalid_time", "since",
		    "since must be an RFC 3339 time");
		return -1;
	}
	return 0;
}

void
api_next_cursor(json_t *body, size_t n, size_t limit, const char *cursor)
{
	json_object_set_new(body, "next_cursor",
	    n == limit && n > 0 ? json_string(cursor) : json_null());
}
