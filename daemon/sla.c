/*
 * sla.c owns the arithmetic of the promise: which target applies, when a
 * call-back falls due and when each warning is due, counted in the open
 * time of a calendar, the whole plan of a callback from its row, and when
 * an unanswered callback may be tried again (the one place that computes
 * the retry back-off: PostgreSQL stores the time it is given). Pure
 * but for the calendar's time zone data: it never reads the configuration
 * in force itself (callers pass it) and never touches the store.
 */
#include <string.h>

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

void
sla_plan(const struct topic_policy *t, const struct calendar *cal, bool urgent,
    int64_t requested_ms, struct sla_plan *p)
{
	int i;

	memset(p, 0, sizeof(*p));
	p->due_at = sla_due_at(t, cal, urgent, requested_ms);
	p->nwarn = sla_warn_times(t, cal, urgent, requested_ms, p->warn_at);
	for (i = 0; i < p->nwarn; i++)
		p->warn_frac[i] = t->warn_at[i];
}

int
sla_plan_callback(const struct config *c, const struct callback *cb,
    struct sla_plan *p)
{
	const struct topic_policy *t = config_topic(c, cb->topic);
	const struct site *s = config_site(c, cb->site);

	if (!t || !s) { /* topic or site taken out of the config since */
		memset(p, 0, sizeof(*p));
		p->due_at = cb->due_at;
		return -1;
	}
	sla_plan(t, config_calendar(t, s), cb->urgent, cb->requested_at, p);
	return 0;
}

int64_t
sla_retry_at(const struct topic_policy *t, const struct calendar *cal,
    int unanswered, int64_t now_ms)
{
	int shift = unanswered < CBD_RETRY_DOUBLINGS_MAX ?
	    unanswered :
	    CBD_RETRY_DOUBLINGS_MAX;
	int64_t wait_ms = t->retry_backoff_ms << shift;

	return cal ? calendar_add(cal, now_ms, wait_ms) : now_ms + wait_ms;
}

int64_t
sla_first_alert(const struct sla_plan *p)
{
	return p->nwarn ? p->warn_at[0] : p->due_at;
}
