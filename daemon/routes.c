/*
 * routes.c owns the route table: every method and path of the API, who
 * may call it, whether it takes a JSON body and its handler; and the web
 * pages (static.c) as the answer to any other path outside /v1/. It hands
 * the table to http.c, which routes by it without knowing a handler or
 * the pages. It decides nothing about a request itself.
 */
#include <stddef.h>

#include "api.h"
#include "auth.h"
#include "bounds.h"
#include "http.h"
#include "routes.h"
#include "static.h"

/* clang-format off */
static const struct route routes[] = {
	{ EVHTTP_REQ_POST, "/v1/callbacks", ROLE_TELEPHONY | ROLE_AGENT, 1,
	    api_callbacks_create },
	{ EVHTTP_REQ_GET, "/v1/callbacks/{id}",
	    ROLE_AGENT | ROLE_MANAGER | ROLE_CASEWORKER, 0, api_callbacks_get },
	{ EVHTTP_REQ_GET, "/v1/callbacks/{id}/events",
	    ROLE_AGENT | ROLE_MANAGER | ROLE_CASEWORKER, 0, api_callbacks_events },
	{ EVHTTP_REQ_POST, "/v1/callbacks/{id}/attempts",
	    ROLE_AGENT | ROLE_CASEWORKER, 1, api_callbacks_attempt },
	{ EVHTTP_REQ_POST, "/v1/callbacks/{id}/cancel", ROLE_AGENT, 0,
	    api_callbacks_cancel },
	{ EVHTTP_REQ_POST, "/v1/callbacks/{id}/unflag", ROLE_MANAGER, 0,
	    api_callbacks_unflag },
	{ EVHTTP_REQ_POST, "/v1/callbacks/{id}/heartbeat", ROLE_CASEWORKER, 1,
	    api_queue_heartbeat },
	{ EVHTTP_REQ_POST, "/v1/callbacks/{id}/release", ROLE_CASEWORKER, 1,
	    api_queue_release },
	{ EVHTTP_REQ_POST, "/v1/queue/claim", ROLE_CASEWORKER, 0, api_queue_claim },
	{ EVHTTP_REQ_GET, "/v1/queue", ROLE_CASEWORKER, 0, api_queue_peek },
	{ EVHTTP_REQ_GET, "/v1/callbacks", ROLE_AGENT | ROLE_MANAGER, 0,
	    api_callbacks_list },
	{ EVHTTP_REQ_POST, "/v1/caseworkers", ROLE_ADMIN, 1, api_caseworkers_create },
	{ EVHTTP_REQ_GET, "/v1/caseworkers", ROLE_ADMIN, 0, api_caseworkers_list },
	{ EVHTTP_REQ_GET, "/v1/caseworkers/{id}", ROLE_ADMIN, 0, api_caseworkers_get },
	{ EVHTTP_REQ_PUT, "/v1/caseworkers/{id}", ROLE_ADMIN, 1,
	    api_caseworkers_update },
	{ EVHTTP_REQ_POST, "/v1/caseworkers/{id}/deactivate", ROLE_ADMIN, 0,
	    api_caseworkers_deactivate },
	{ EVHTTP_REQ_GET, "/v1/alerts", ROLE_MANAGER, 0, api_alerts_list },
	{ EVHTTP_REQ_POST, "/v1/tokens", ROLE_ADMIN, 1, api_tokens_create },
	{ EVHTTP_REQ_GET, "/v1/tokens", ROLE_ADMIN, 0, api_tokens_list },
	{ EVHTTP_REQ_GET, "/v1/session", ROLE_TELEPHONY | ROLE_AGENT |
	    ROLE_CASEWORKER | ROLE_MANAGER | ROLE_ADMIN, 0, api_session },
	{ EVHTTP_REQ_POST, "/v1/tokens/{id}/revoke", ROLE_ADMIN, 0, api_tokens_revoke },
	{ EVHTTP_REQ_GET, "/v1/access", ROLE_ADMIN, 0, api_access_list },
	{ EVHTTP_REQ_GET, "/v1/admin-events", ROLE_ADMIN, 0,
	    api_admin_events_list },
	{ EVHTTP_REQ_GET, "/v1/reports/sla", ROLE_MANAGER, 0, api_reports_sla },
	{ EVHTTP_REQ_GET, "/v1/reports/breaches", ROLE_MANAGER, 0,
	    api_reports_breaches },
	{ EVHTTP_REQ_GET, "/v1/reports/forecast", ROLE_MANAGER, 0,
	    api_reports_forecast },
	{ EVHTTP_REQ_GET, "/v1/reports/at-risk", ROLE_MANAGER, 0,
	    api_reports_at_risk },
	{ EVHTTP_REQ_GET, "/metrics", 0, 0, api_metrics },
	{ EVHTTP_REQ_GET, "/healthz", 0, 0, api_healthz },
	{ EVHTTP_REQ_GET, "/readyz", 0, 0, api_readyz },
};
/* clang-format on */

/* Each route's requests are counted apart, and those of no route as
 * "other": GET /metrics has room for that many. */
_Static_assert(sizeof(routes) / sizeof(routes[0]) + 1 <= CBD_METRICS_ROUTES_MAX,
    "the route table outgrows CBD_METRICS_ROUTES_MAX");

void
routes_register(void)
{
	http_routes(routes, sizeof(routes) / sizeof(routes[0]), static_serve);
}
