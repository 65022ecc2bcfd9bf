/*
 * store_retention.c owns what time takes away: expiring queued callbacks
 * past their window or age, and erasing the personal fields of closed
 * ones after the retention period.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "store.h"
#include "store_job.h"

void
store_expire(int64_t max_open_age_ms, int limit, store_page_fn *fn, void *arg)
{
	struct query_job *q =
	    page_new("SELECT " CB_COLS " FROM cbd_expire("
		     "$1::bigint * interval '1 millisecond', $2::integer) c",
		"read callbacks", fn, arg);

	if (!q)
		return;
	query_param_int(q, max_open_age_ms);
	query_param_int(q, limit);
	query_submit(q);
}

void
store_erase_personal(int days, int limit, store_count_fn *fn, void *arg)
{
	struct query_job
	    *q = count_new("SELECT cbd_erase_personal("
			   "make_interval(days => $1::integer), $2::integer)",
		"erase personal data", fn, arg);

	if (!q)
		return;
	query_param_int(q, days);
	query_param_int(q, limit);
	query_submit(q);
}
