#ifndef CBD_SLA_H
#define CBD_SLA_H
#include <stdbool.h>
#include <stdint.h>

#include "calendar.h"
#include "callback.h"
#include "config.h"

/* The target that applies to a request of this topic and urgency. */
int64_t sla_target_ms(const struct topic_policy *, bool urgent);

/* When the first call-back attempt is due for a request made at
 * requested_ms: the target, counted in the calendar's open time. */
int64_t sla_due_at(const struct topic_policy *, const struct calendar *,
    bool urgent, int64_t requested_ms);

/* The moments each warn_at fraction of the target is used up, ascending;
 * returns how many (the topic's nwarn). */
int sla_warn_times(const struct topic_policy *, const struct calendar *,
    bool urgent, int64_t requested_ms, int64_t out[CBD_WARN_MAX]);

/* The due time and the warnings (fraction and moment) of a request made
 * at requested_ms. */
void sla_plan(const struct topic_policy *, const struct calendar *, bool urgent,
    int64_t requested_ms, struct sla_plan *);

/* The plan of a request or a stored row under configuration c: from its
 * requested_at and urgency, on the calendar of its topic at its site.
 * -1 when c has the topic or the site no longer: then the plan is the
 * row's due_at and no warnings. */
int sla_plan_callback(const struct config *c, const struct callback *,
    struct sla_plan *);

/* Unanswered retries double the back-off at most this often: 2^20 times
 * the longest retry_backoff is far past any calendar's horizon and keeps
 * the shift inside int64 milliseconds. */
#define CBD_RETRY_DOUBLINGS_MAX 20

/* When a callback may be called again after an unanswered attempt at
 * now_ms that had unanswered ones before it: the topic's retry_backoff,
 * doubled for each earlier unanswered attempt, counted in the calling
 * hours of cal (NULL: the site is no longer configured, plain time). */
int64_t sla_retry_at(const struct topic_policy *, const struct calendar *cal,
    int unanswered, int64_t now_ms);

/* The first alert of a plan: its earliest warning, or the breach. */
int64_t sla_first_alert(const struct sla_plan *);

#endif
