/*
 * api_system.c owns the endpoints about the daemon itself: /healthz
 * (the process answers) and /readyz (PostgreSQL and Redis usable, schema
 * current). They need no token and reveal no data.
 */
#include "api.h"
#include "queue.h"
#include "store.h"

void
api_healthz(struct api_req *a)
{
	http_reply(a, 200, json_pack("{s:s}", "status", "ok"), NULL);
}

void
api_readyz(struct api_req *a)
{
	int pg = store_ready(), redis = queue_ready();

	/* The schema is checked on every new PostgreSQL connection; a
	 * connection is only counted once its schema matched. */
	http_reply(a, pg && redis ? 200 : 503, json_pack("{s:s,s:{s:s,s:s,s:s}}",
	    "status", pg && redis ? "ready" : "not_ready", "checks",
	    "postgres", store_state(), "redis", queue_state(),
	    "schema", pg ? "ok" : "unknown while PostgreSQL is unreachable"), NULL);
}
