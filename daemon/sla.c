/*
 * sla.c owns the arithmetic of the promise: which target applies and when
 * a call-back falls due. Pure functions: no I/O, no clock.
 */
#include "sla.h"

int64_t
sla_target_ms(const struct topic_policy *t, bool urgent)
{
	if (urgent && t->urgent_target_ms > 0)
		return t->urgent_target_ms;
	return t->target_ms;
}

int64_t
sla_due_at(const struct topic_policy *t, const struct site *s, bool urgent,
    int64_t requested_ms)
{
	(void)s; /* every site runs on the 24x7 calendar for now */
	return requested_ms + sla_target_ms(t, urgent);
}
