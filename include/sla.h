#ifndef CBD_SLA_H
#define CBD_SLA_H
#include <stdbool.h>
#include <stdint.h>

#include "config.h"

/* The target that applies to a request of this topic and urgency. */
int64_t sla_target_ms(const struct topic_policy *, bool urgent);

/* When the first call-back attempt is due for a request made at
 * requested_ms, on the site's calendar. Only 24x7 exists so far, where the
 * target simply runs from requested_ms. Pure. */
int64_t sla_due_at(const struct topic_policy *, const struct site *,
    bool urgent, int64_t requested_ms);

#endif
