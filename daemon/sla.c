/*
 * sla.c owns the arithmetic of the promise: which target applies, when a
 * call-back falls due and when each warning is due, counted in the open
 * time of a calendar. Pure but for the calendar's time zone data.
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
sla_due_at(const struct topic_policy *t, const struct calendar *cal,
    bool urgent, int64_t requested_ms)
{
	return calendar_add(cal, requested_ms, sla_target_ms(t, urgent));
}

int
sla_warn_times(const struct topic_policy *t, const struct calendar *cal,
    bool urgent, int64_t requested_ms, int64_t out[CBD_WARN_MAX])
{
	int64_t target = sla_target_ms(t, urgent);
	int i;

	for (i = 0; i < t->nwarn; i++)
		out[i] = calendar_add(cal, requested_ms,
		    (int64_t)((double)target * t->warn_at[i]));
	return t->nwarn;
}
