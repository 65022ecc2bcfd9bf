#ifndef CBD_API_H
#define CBD_API_H

#include "callback.h"
#include "http.h"
#include "http_store.h"

/* A callback as the API shows it. */
json_t *api_callback_json(const struct callback *);
/* The callback as a change left it, for the answer to that change:
 * without the caller's data (phone, name, customer_ref, note, call_id),
 * which only a read on record shows. */
json_t *api_callback_change_json(const struct callback *);
/* An RFC 3339 string for a time, or JSON null for CBD_NO_TIME. */
json_t *api_time_json(int64_t ms);
/* Answers a store verdict other than "ok" (409 or 403) and returns 1;
 * returns 0 for "ok". */
int api_refused(struct api_req *, enum verdict, const struct callback *);

/* A filter given empty (a form field left blank) is a mistake, not "no
 * filter": -1 (and the answer sent) when one of names is. */
int api_filters_not_empty(struct api_req *, const char *const *names);
/* The parameter site, a configured site, into *site (NULL when there is
 * none): -1 (and the answer sent) when it is not one. */
int api_site_param(struct api_req *, const char **site);
/* The parameter limit, from 1 to max, into *limit (left as it is when
 * there is none): -1 (and the answer sent) when it is out of range. */
int api_limit_param(struct api_req *, unsigned long max, unsigned long *limit);
/* The parameter since, an RFC 3339 time, into *ms (left as it is when
 * there is none): -1 (and the answer sent) when it is not one. */
int api_since_param(struct api_req *, int64_t *ms);
/* Sets a page's next_cursor: cursor (its last row's) when the page is
 * full, n rows of limit; null on the last page. */
void api_next_cursor(json_t *body, size_t n, size_t limit, const char *cursor);

/* Handlers, one file per group of resources. */
void api_callbacks_create(struct api_req *);
void api_callbacks_get(struct api_req *);
void api_callbacks_attempt(struct api_req *);
void api_callbacks_cancel(struct api_req *);
void api_callbacks_unflag(struct api_req *);
void api_callbacks_events(struct api_req *);
void api_queue_claim(struct api_req *);
void api_queue_peek(struct api_req *);
void api_callbacks_list(struct api_req *);
void api_alerts_list(struct api_req *);
void api_reports_sla(struct api_req *);
void api_tokens_create(struct api_req *);
void api_tokens_list(struct api_req *);
void api_session(struct api_req *);
void api_tokens_revoke(struct api_req *);
void api_access_list(struct api_req *);
void api_admin_events_list(struct api_req *);

/* Answers a read of personal data (status, body taken over) once its
 * access log row is committed: the token, its caseworker, route (the
 * route's pattern) and the callbacks shown; 503 and no body when the row
 * could not be written. */
void api_access_reply(struct api_req *, const char *route,
    const char *const *callback_ids, size_t n, int status, json_t *body);
void api_reports_breaches(struct api_req *);
void api_reports_forecast(struct api_req *);
void api_reports_at_risk(struct api_req *);
/* The reports' formats: format= json (the default), csv (RFC 4180) or
 * csv-excel (";", decimal comma, UTF-8 BOM); 0, or -1 answered 400. */
struct table;
enum report_format { REPORT_JSON, REPORT_CSV, REPORT_CSV_EXCEL };
int api_report_format(struct api_req *, enum report_format *);
/* lang= de (the default) or en: the language of a CSV's label columns
 * (site_label, topic_label beside site and topic); 0, or -1 answered 400. */
int api_report_lang(struct api_req *, int *en);
/* Answers a table as CSV in that format, offered to save as filename;
 * shown: per column whether it is in, or NULL for every column; a site or
 * topic column has its label beside it (English when en). */
void api_report_csv(struct api_req *, const struct table *, enum report_format,
    const char *filename, const unsigned char *shown, int en);
void api_queue_heartbeat(struct api_req *);
void api_queue_release(struct api_req *);
void api_caseworkers_create(struct api_req *);
void api_caseworkers_update(struct api_req *);
void api_caseworkers_deactivate(struct api_req *);
void api_caseworkers_get(struct api_req *);
void api_caseworkers_list(struct api_req *);
void api_healthz(struct api_req *);
void api_readyz(struct api_req *);
void api_metrics(struct api_req *);

#endif
