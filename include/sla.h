#ifndef CBD_SLA_H
#define CBD_SLA_H
#include <stdbool.h>
#include <stdint.h>

#include "calendar.h"
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

#endif
