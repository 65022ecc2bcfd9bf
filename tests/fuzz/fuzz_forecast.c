/* libFuzzer harness: the forecast of a site's queue, from bytes decoded
 * into a bounded input (a calendar, a start, a horizon, up to four
 * topics with their targets, rates and costs, a staffing plan and a
 * backlog with retries among it), never crashes, and its result holds
 * together: each open callback is counted once (backlog or retries), the
 * topics' breaches and overdue ones sum to the totals, a first breach lies
 * within the horizon (or is -1 exactly when there is none), no figure
 * is NaN or out of range, and the same input gives the same result. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "forecast.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define TOPICS 4
#define BACKLOG 64
#define MIN_MS 60000LL
/* 2020-01-01T00:00:00Z */
#define T2020 1577836800000LL

struct bytes {
	const uint8_t *p;
	size_t n;
};

static unsigned
take(struct bytes *b)
{
	if (!b->n)
		return 0;
	b->n--;
	return *b->p++;
}

static unsigned
take16(struct bytes *b)
{
	unsigned hi = take(b);

	return hi << 8 | take(b);
}

static void
check(const struct forecast_site *f, const struct forecast_result *r)
{
	int64_t end = f->start_ms + f->horizon_ms, first = -1;
	int sum = 0, overdue = 0, nopen, nkept;
	size_t k, i;

	if (!isfinite(r->capacity_hours) || r->capacity_hours < 0 ||
	    !isfinite(r->extra_hours_per_day) || r->extra_hours_per_day < 0 ||
	    r->extra_hours_per_day > CBD_FORECAST_EXTRA_HOURS_MAX)
		abort();
	/* extra hours exactly when there are breaches staffing can prevent */
	if (r->unavoidable < r->overdue || r->unavoidable > r->breaches ||
	    (r->breaches > r->unavoidable) != (r->extra_hours_per_day > 0))
		abort();
	for (k = 0; k < f->ntopics; k++) {
		const struct forecast_topic_result *t = &r->topics[k];

		if (!isfinite(t->arrivals) || t->arrivals < 0 ||
		    t->backlog < 0 || t->breaches < 0 || t->overdue < 0 ||
		    t->overdue > t->breaches || t->overdue > t->backlog ||
		    t->retries < 0)
			abort();
		if ((t->breaches == 0) != (t->first_breach_ms == -1))
			abort();
		/* each of the topic's open callbacks counted once: in the
		 * backlog, or a retry when it had an attempt */
		for (i = 0, nopen = 0, nkept = 0; i < f->nbacklog; i++)
			if (f->backlog[i].topic == (int)k) {
				nopen += !f->backlog[i].kept;
				nkept += f->backlog[i].kept;
			}
		if (t->backlog != nopen || t->retries != nkept)
			abort();
		if (t->first_breach_ms != -1 &&
		    (t->first_breach_ms < f->start_ms ||
			t->first_breach_ms >= end))
			abort();
		if (t->overdue && t->first_breach_ms != f->start_ms)
			abort();
		/* no more breaches than callbacks: the backlog and the
		 * expected arrivals, rounded by two carries */
		if (t->breaches > t->backlog + (int)t->arrivals + 2)
			abort();
		if (t->first_breach_ms != -1 &&
		    (first == -1 || t->first_breach_ms < first))
			first = t->first_breach_ms;
		sum += t->breaches;
		overdue += t->overdue;
	}
	if (sum != r->breaches || overdue != r->overdue ||
	    first != r->first_breach_ms)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct calendar always = { .name = "24x7", .always = 1 };
	static struct calendar office = { .name = "office",
		.timezone = "Europe/Berlin",
		.state = "NW" };
	struct topic_policy pol[TOPICS];
	struct forecast_topic topics[TOPICS];
	struct forecast_open backlog[BACKLOG];
	struct forecast_site f;
	struct forecast_result r, again;
	struct bytes b = { data, size };
	unsigned mode, shape, x;
	int d, h, k;

	memset(&f, 0, sizeof(f));
	memset(pol, 0, sizeof(pol));
	memset(topics, 0, sizeof(topics));
	mode = take(&b);
	/* office hours: each weekday open from (x % 12) for (x / 12 % 12)
	 * hours, or closed when that is 0 */
	for (d = 0; d < 7; d++) {
		x = take(&b);
		office.nweek[d] = 0;
		if (x / 12 % 12) {
			office.week[d][0].open_min = (int)(x % 12) * 60 +
			    30 * (int)(mode >> 7);
			office.week[d][0].close_min = office.week[d][0]
							  .open_min +
			    (int)(x / 12 % 12) * 60;
			office.nweek[d] = 1;
		}
	}
	f.calendar = mode & 1 ? &office : &always;
	/* 2020 .. 2040, to the minute; a horizon up to the max */
	f.start_ms = T2020 +
	    (int64_t)((take16(&b) << 8 | take(&b)) % (20u * 525600u)) * MIN_MS;
	f.horizon_ms = (int64_t)(take16(&b) % (14u * 1440u) + 1) * MIN_MS;
	if (mode & 2)
		f.horizon_ms = CBD_FORECAST_HORIZON_MAX_MS;
	f.ntopics = 1 + (mode >> 2) % TOPICS;
	for (k = 0; k < (int)f.ntopics; k++) {
		shape = take(&b);
		pol[k].target_ms = (int64_t)(1 + take(&b)) * 15 * MIN_MS;
		if (shape & 1) {
			pol[k].target_ms = 0;
			pol[k].target_workdays = 1 + (int)(shape >> 1) % 5;
		}
		pol[k].urgent_target_ms = shape & 2 ? 2 * 60 * MIN_MS : 0;
		pol[k].urgent = (shape & 0xc) == 0xc;
		topics[k].policy = &pol[k];
		topics[k].per_caseworker_hour = (1 + take(&b)) / 8.0;
		x = take(&b);
		for (d = 0; d < 7; d++)
			for (h = 0; h < 24; h++) {
				/* a day curve: more in the morning */
				topics[k].arrivals[d][h] = (h >= 7 && h < 18) ?
				    (x % 32) / 16.0 * (h < 11 ? 2 : 1) :
				    (x >> 5) / 8.0;
				topics[k].urgent[d][h] = topics[k]
							     .arrivals[d][h] *
				    (shape >> 4) / 12.0;
			}
	}
	x = take(&b);
	for (d = 0; d < 7; d++)
		for (h = 0; h < 24; h++)
			f.staffing[d][h] = (x >> ((d + h) % 8) & 1) * (x % 16) /
			    2.0;
	f.topics = topics;
	f.backlog = backlog;
	while (b.n >= 3 && f.nbacklog < BACKLOG) {
		struct forecast_open *o = &backlog[f.nbacklog++];

		o->topic = (int)(take(&b) % f.ntopics);
		x = take16(&b);
		o->urgent = x & 1;
		/* two days overdue .. two weeks ahead, in minutes */
		o->due_ms = f.start_ms +
		    ((int64_t)(x >> 1) - 2880) * 10 * MIN_MS / 8;
		/* one in four a retry, claimable again from an hour before
		 * the start to two days after it */
		if ((o->kept = (x & 6) == 6))
			o->ready_ms = f.start_ms +
			    ((int64_t)(x >> 3) % 49 - 1) * 60 * MIN_MS;
	}
	if (forecast_run(&f, &r) != 0)
		abort(); /* every input built here is in bounds */
	check(&f, &r);
	if (forecast_run(&f, &again) != 0 || memcmp(&r, &again, sizeof(r)))
		abort();
	return 0;
}
