/*
 * forecast.c owns the forecast of one site's queue: an earliest-deadline-
 * first simulation over the horizon of the open backlog and the arrivals
 * expected per topic and hour, against the caseworker-hours expected, on
 * the site's calendar; and the search for the extra caseworker-hours a
 * day that would keep every due time. Pure: it never reads the
 * configuration, the store or the clock, and what it allocates is freed
 * before it returns.
 *
 * The model. Time is cut into segments: local hours of the site's
 * calendar, split further where the calendar opens or closes, so that
 * within one segment the calendar is open or closed throughout and the
 * rates are those of one hour of the week.
 * - Arrivals: per topic, the expected requests of each segment (the
 *   hour's rate times its share of the hour) accumulate in a carry that
 *   emits one request each time it reaches 0.5 (so that the requests
 *   emitted are the expected ones rounded), spread evenly over the
 *   segment, urgent ones from their own carry, interleaved evenly. The
 *   rates hold on closed days too (the hotline takes requests whenever
 *   people call; a holiday is taken like its weekday); their due times,
 *   sla_due_at() on the topic's calendar, count from the next opening.
 * - Capacity: staffing[weekday][hour] caseworkers at once while the
 *   calendar is open, none while it is closed (nights, weekends,
 *   holidays, closure days).
 * - Service: one fluid server working at the rate of the caseworkers
 *   present, non-preemptive, earliest due first (ties: the earlier
 *   arrival). A callback of topic T costs 1/per_caseworker_hour[T]
 *   caseworker-hours; it counts as worked when its work begins (the
 *   call-back attempt is the first thing of it).
 * - Retries: an open callback that had its first attempt has kept its
 *   promise; it is worked again from its not_before, ranked by its
 *   (past) due time as the queue ranks it, so ahead of the rest, and
 *   takes its cost again; it is never a breach.
 * - A breach: a callback due before the horizon's end whose work has
 *   not begun by its due time. The backlog's overdue ones count too
 *   (they are open and past their due time) and are worked first; they
 *   are also counted apart, as nothing can save them.
 * - unavoidable: the breaches that a run with the most extra hours
 *   (CBD_FORECAST_EXTRA_HOURS_MAX a day) still has: the overdue ones and
 *   those due before any open time after their request.
 * - extra_hours_per_day: the least extra caseworker-hours a day, spread
 *   over each open day's open time in proportion, that leaves no breach
 *   but the unavoidable ones: found by doubling from 1 hour, then bisection
 *   to 0.01 hours (or 0.1 % of the answer when that is more), each step a whole run of the simulation on the same
 *   arrivals (the arrivals and their due times are planned once).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "forecast.h"
#include "sla.h"

#define HOUR_MS 3600000.0
#define DAY_MS 86400000LL
#define NO_DUE INT64_MAX
/* The latest start: the calendar's clock arithmetic holds to year 9999. */
#define START_MAX_MS (253402300800000LL - 400 * DAY_MS)
/* The bisection's resolution in caseworker-hours a day: this, or the
 * share below of the answer when that is more. */
#define EXTRA_RESOLUTION 0.01
#define EXTRA_RESOLUTION_SHARE 0.001

/* A stretch of time with one hour's rates, open or closed throughout. */
struct segment {
	int64_t s_ms, e_ms;
	int weekday, hour;
	int open;
	double hours;       /* its length in hours */
	double staff_hours; /* caseworker-hours of the staffing in it */
	double day_share;   /* its share of its local day's open time */
};

struct request {
	int64_t at_ms;  /* when it is in the queue */
	int64_t due_ms; /* NO_DUE: a calendar never open */
	double cost_h;  /* caseworker-hours to work it */
	int topic;
	bool kept;  /* a retry: its promise is kept, never a breach */
	size_t seq; /* order of planning: the tie-break of arrivals */
};

struct slot {
	int64_t due_ms;
	size_t req;
};

struct sim {
	const struct forecast_site *site;
	int64_t end_ms;
	struct segment *seg;
	size_t nseg;
	struct request *req; /* the backlog by due_ms, then the rest by at_ms */
	size_t nreq;
	size_t nready;     /* of req, the backlog there at the start */
	struct slot *heap; /* the arrivals in, earliest due first */
	size_t nheap;
	size_t bl; /* the next of the backlog, which leads req by due */
};

/* What one run of the simulation found. */
struct outcome {
	int breaches[CBD_FORECAST_TOPICS_MAX];
	int overdue[CBD_FORECAST_TOPICS_MAX];
	int64_t first_ms[CBD_FORECAST_TOPICS_MAX];
	int future; /* breaches but the overdue ones */
};

static int
rate_ok(double v)
{
	return isfinite(v) && v >= 0 && v <= CBD_FORECAST_RATE_MAX;
}

static int
input_ok(const struct forecast_site *f)
{
	size_t i;
	int d, h;

	if (!f || !f->calendar || f->horizon_ms <= 0 ||
	    f->horizon_ms > CBD_FORECAST_HORIZON_MAX_MS ||
	    f->ntopics > CBD_FORECAST_TOPICS_MAX ||
	    (f->ntopics && !f->topics) || (f->nbacklog && !f->backlog) ||
	    f->nbacklog > CBD_FORECAST_REQUESTS_MAX || f->start_ms < 0 ||
	    f->start_ms > START_MAX_MS)
		return 0;
	for (d = 0; d < 7; d++)
		for (h = 0; h < 24; h++)
			if (!rate_ok(f->staffing[d][h]))
				return 0;
	for (i = 0; i < f->ntopics; i++) {
		const struct forecast_topic *t = &f->topics[i];

		if (!t->policy || !isfinite(t->per_caseworker_hour) ||
		    t->per_caseworker_hour <= 0)
			return 0;
		for (d = 0; d < 7; d++)
			for (h = 0; h < 24; h++)
				if (!rate_ok(t->arrivals[d][h]) ||
				    !rate_ok(t->urgent[d][h]))
					return 0;
	}
	for (i = 0; i < f->nbacklog; i++)
		if (f->backlog[i].topic < 0 ||
		    (size_t)f->backlog[i].topic >= f->ntopics)
			return 0;
	return 1;
}

/* ---- segments -------------------------------------------------------- */

/* The moment the open interval of the local day that holds ms_of_day
 * closes, or -1 when the week table has none (then no split). */
static int64_t
closing_at(const struct calendar *c, const struct calendar_local *lt, int64_t t)
{
	int i;

	for (i = 0; i < c->nweek[lt->weekday]; i++) {
		const struct interval *iv = &c->week[lt->weekday][i];

		if (lt->ms_of_day >= iv->open_min * 60000LL &&
		    lt->ms_of_day < iv->close_min * 60000LL)
			return t + iv->close_min * 60000LL - lt->ms_of_day;
	}
	return -1;
}

/* The segments of one local day from first on hold their open time in
 * day_share: make it their share of the day's. */
static void
share_of_day(struct sim *m, size_t first, int64_t day_open)
{
	size_t i;

	for (i = first; i < m->nseg; i++)
		m->seg[i].day_share = day_open > 0 ?
		    m->seg[i].day_share / (double)day_open :
		    0;
}

/* Cuts [start, end) into segments; -1 when more than there is room for
 * (a calendar no week table allows). */
static int
segments_build(struct sim *m, size_t max)
{
	const struct calendar *c = m->site->calendar;
	struct calendar_local lt;
	int64_t t = m->site->start_ms, e, x, day_open = 0, nx = INT64_MIN;
	int32_t day = -1;
	size_t first_of_day = 0;

	while (t < m->end_ms) {
		struct segment *g;

		if (m->nseg == max)
			return -1;
		g = &m->seg[m->nseg];
		calendar_local_time(c, t, &lt);
		e = t + (int64_t)HOUR_MS - lt.ms_of_day % (int64_t)HOUR_MS;
		g->open = 1;
		if (!c->always) {
			/* closed until the opening found before (or for
			 * good): no need to walk the calendar again */
			if (!(nx == -1 || nx > t))
				nx = calendar_next_open(c, t);
			x = nx;
			g->open = x == t;
			if (g->open)
				x = closing_at(c, &lt, t);
			if (x > t && x < e)
				e = x;
		}
		if (e > m->end_ms)
			e = m->end_ms;
		if (lt.date != day) {
			/* the open time of the whole local day, for the
			 * extra hours; its midnight as the wall clock
			 * says (off by the clock change on its two days) */
			share_of_day(m, first_of_day, day_open);
			day = lt.date;
			first_of_day = m->nseg;
			day_open = c->always ?
			    DAY_MS :
			    calendar_open_ms(c, t - lt.ms_of_day,
				t - lt.ms_of_day + DAY_MS);
		}
		g->s_ms = t;
		g->e_ms = e;
		g->weekday = lt.weekday;
		g->hour = lt.hour;
		g->hours = (double)(e - t) / HOUR_MS;
		g->staff_hours = g->open ?
		    m->site->staffing[lt.weekday][lt.hour] * g->hours :
		    0;
		g->day_share = g->open ? (double)(e - t) : 0;
		m->nseg++;
		t = e;
	}
	share_of_day(m, first_of_day, day_open);
	return 0;
}

/* ---- requests -------------------------------------------------------- */

static int
by_arrival(const void *a, const void *b)
{
	const struct request *x = a, *y = b;

	if (x->at_ms != y->at_ms)
		return x->at_ms < y->at_ms ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Ties by topic: the same backlog in any order gives the same result. */
static int
by_due(const void *a, const void *b)
{
	const struct request *x = a, *y = b;

	if (x->due_ms != y->due_ms)
		return x->due_ms < y->due_ms ? -1 : 1;
	return x->topic < y->topic ? -1 : x->topic > y->topic;
}

static const struct calendar *
topic_calendar(const struct forecast_site *f, const struct forecast_topic *t)
{
	return t->policy->calendar ? t->policy->calendar : f->calendar;
}

/* The expected arrivals of each topic over the horizon, and of them the
 * urgent ones, into out; the sum of all. */
static double
expected(const struct sim *m, struct forecast_result *out)
{
	const struct forecast_site *f = m->site;
	double sum = 0;
	size_t i, k;

	for (k = 0; k < f->ntopics; k++) {
		const struct forecast_topic *t = &f->topics[k];
		double e = 0, u = 0;

		for (i = 0; i < m->nseg; i++) {
			const struct segment *g = &m->seg[i];

			e += t->arrivals[g->weekday][g->hour] * g->hours;
			u += t->urgent[g->weekday][g->hour] * g->hours;
		}
		out->topics[k].arrivals = e;
		out->topics[k].urgent_arrivals = u;
		sum += e;
	}
	return sum;
}

static void
plan(struct sim *m, size_t cap)
{
	const struct forecast_site *f = m->site;
	double carry_n[CBD_FORECAST_TOPICS_MAX] = { 0 };
	double carry_u[CBD_FORECAST_TOPICS_MAX] = { 0 };
	size_t i, k;
	int n, nu, j;

	int later;

	/* the backlog there at the start, then retries that wait past it
	 * among the arrivals (none past the horizon: they change nothing) */
	for (later = 0; later < 2; later++) {
		for (i = 0; i < f->nbacklog; i++) {
			const struct forecast_open *o = &f->backlog[i];
			int waits = o->kept && o->ready_ms > f->start_ms;
			struct request *r = &m->req[m->nreq];

			if (waits != later ||
			    (waits && o->ready_ms >= m->end_ms))
				continue;
			r->at_ms = waits ? o->ready_ms : f->start_ms;
			r->due_ms = o->due_ms;
			r->topic = o->topic;
			r->kept = o->kept;
			r->cost_h = 1.0 /
			    f->topics[r->topic].per_caseworker_hour;
			r->seq = m->nreq++;
		}
		if (!later)
			m->nready = m->nreq;
	}
	for (i = 0; i < m->nseg; i++) {
		const struct segment *g = &m->seg[i];

		for (k = 0; k < f->ntopics; k++) {
			const struct forecast_topic *t = &f->topics[k];
			double all = t->arrivals[g->weekday][g->hour];
			double u = t->urgent[g->weekday][g->hour];

			if (t->policy->urgent || u > all)
				u = all;

			carry_n[k] += (all - u) * g->hours;
			carry_u[k] += u * g->hours;
			/* a carry is at least -0.5 here: truncation is
			 * the floor */
			n = (int)(carry_n[k] + 0.5);
			nu = (int)(carry_u[k] + 0.5);
			carry_n[k] -= n;
			carry_u[k] -= nu;
			n += nu;
			for (j = 0; j < n && m->nreq < cap; j++) {
				struct request *r = &m->req[m->nreq];
				/* the j-th of n, urgent ones spread
				 * evenly among them */
				bool urgent = (int64_t)(j + 1) * nu / n >
				    (int64_t)j * nu / n;

				r->at_ms = g->s_ms +
				    (int64_t)(((double)j + 0.5) *
					(double)(g->e_ms - g->s_ms) / n);
				r->due_ms = sla_due_at(t->policy,
				    topic_calendar(f, t), urgent, r->at_ms);
				if (r->due_ms < 0)
					r->due_ms = NO_DUE;
				r->topic = (int)k;
				r->cost_h = 1.0 / t->per_caseworker_hour;
				r->seq = m->nreq++;
			}
		}
	}
	/* the backlog by due time, the arrivals by arrival */
	qsort(m->req, m->nready, sizeof(*m->req), by_due);
	qsort(m->req + m->nready, m->nreq - m->nready, sizeof(*m->req),
	    by_arrival);
}

/* ---- the queue ------------------------------------------------------ */

/* The heap holds the due time beside the index: comparing in place, not
 * through the requests, is most of the speed of a run. */
static int
before(const struct slot *x, const struct slot *y)
{
	if (x->due_ms != y->due_ms)
		return x->due_ms < y->due_ms;
	return x->req < y->req;
}

static void
push(struct sim *m, size_t r)
{
	size_t i = m->nheap++, p;
	struct slot x = { m->req[r].due_ms, r };

	for (; i > 0 && before(&x, &m->heap[p = (i - 1) / 2]); i = p)
		m->heap[i] = m->heap[p];
	m->heap[i] = x;
}

static size_t
heap_pop(struct sim *m)
{
	size_t top = m->heap[0].req, i = 0, c;
	struct slot x = m->heap[--m->nheap];

	for (; (c = 2 * i + 1) < m->nheap; i = c) {
		if (c + 1 < m->nheap && before(&m->heap[c + 1], &m->heap[c]))
			c++;
		if (!before(&m->heap[c], &x))
			break;
		m->heap[i] = m->heap[c];
	}
	m->heap[i] = x;
	return top;
}

/* The backlog waits in due order beside the heap of the arrivals: the
 * next to work is the earlier of the two heads. */
static int
waiting(const struct sim *m)
{
	return m->nheap || m->bl < m->nready;
}

static size_t
pop(struct sim *m)
{
	struct slot b;

	if (m->bl == m->nready)
		return heap_pop(m);
	b = (struct slot){ m->req[m->bl].due_ms, m->bl };
	if (m->nheap && before(&m->heap[0], &b))
		return heap_pop(m);
	return m->bl++;
}

/* A request whose work begins at begin_ms (or not before the end). */
static void
judge(const struct sim *m, size_t r, double begin_ms, struct outcome *o)
{
	const struct request *q = &m->req[r];
	int64_t first;

	if (q->kept || q->due_ms >= m->end_ms || begin_ms <= (double)q->due_ms)
		return;
	o->breaches[q->topic]++;
	if (q->due_ms < m->site->start_ms)
		o->overdue[q->topic]++;
	else
		o->future++;
	first = q->due_ms < m->site->start_ms ? m->site->start_ms : q->due_ms;
	if (o->first_ms[q->topic] == -1 || first < o->first_ms[q->topic])
		o->first_ms[q->topic] = first;
}

/* One run with extra caseworker-hours a day. */
static void
simulate(struct sim *m, double extra, struct outcome *o)
{
	size_t next = m->nready, i, cur = 0;
	int busy = 0;
	double rem = 0;

	memset(o, 0, sizeof(*o));
	for (i = 0; i < CBD_FORECAST_TOPICS_MAX; i++)
		o->first_ms[i] = -1;
	m->nheap = 0;
	m->bl = 0;
	for (i = 0; i < m->nseg; i++) {
		const struct segment *g = &m->seg[i];
		/* caseworkers at once */
		double rate = (g->staff_hours + extra * g->day_share) /
		    g->hours;
		double now = (double)g->s_ms, until;

		for (;;) {
			while (
			    next < m->nreq && (double)m->req[next].at_ms <= now)
				push(m, next++);
			until = next < m->nreq && m->req[next].at_ms < g->e_ms ?
			    (double)m->req[next].at_ms :
			    (double)g->e_ms;
			while (now < until && rate > 0) {
				double fin;

				if (!busy) {
					if (!waiting(m))
						break;
					cur = pop(m);
					judge(m, cur, now, o);
					rem = m->req[cur].cost_h;
					busy = 1;
				}
				fin = now + rem / rate * HOUR_MS;
				if (fin <= until) {
					now = fin;
					busy = 0;
				} else {
					rem -= (until - now) / HOUR_MS * rate;
					now = until;
				}
			}
			now = until;
			if (until >= (double)g->e_ms)
				break;
		}
	}
	while (next < m->nreq)
		push(m, next++);
	while (waiting(m))
		judge(m, pop(m), (double)m->end_ms, o);
}

/* The least extra caseworker-hours a day that leave no breach to come
 * but the floor, those the most extra hours leave. */
static double
extra_needed(struct sim *m, int floor)
{
	struct outcome o;
	double lo = 0, hi = 1;

	for (;;) {
		if (hi > CBD_FORECAST_EXTRA_HOURS_MAX)
			hi = CBD_FORECAST_EXTRA_HOURS_MAX;
		simulate(m, hi, &o);
		if (o.future <= floor || hi >= CBD_FORECAST_EXTRA_HOURS_MAX)
			break;
		lo = hi;
		hi *= 2;
	}
	while (hi - lo > EXTRA_RESOLUTION &&
	    hi - lo > hi * EXTRA_RESOLUTION_SHARE) {
		double mid = (lo + hi) / 2;

		simulate(m, mid, &o);
		if (o.future > floor)
			lo = mid;
		else
			hi = mid;
	}
	return hi;
}

int
forecast_run(const struct forecast_site *f, struct forecast_result *out)
{
	struct forecast_result r;
	struct outcome o;
	struct sim m;
	size_t maxseg, cap, k;
	double sum;
	int rc = -1;

	if (!input_ok(f))
		return -1;
	memset(&m, 0, sizeof(m));
	memset(&r, 0, sizeof(r));
	m.site = f;
	m.end_ms = f->start_ms + f->horizon_ms;
	/* each hour splits at most at every opening and closing */
	maxseg = ((size_t)(f->horizon_ms / (int64_t)HOUR_MS) + 3) *
	    (2 * CBD_DAY_INTERVALS_MAX + 2);
	if (!(m.seg = calloc(maxseg, sizeof(*m.seg))) ||
	    segments_build(&m, maxseg) == -1)
		goto done;
	sum = expected(&m, &r);
	/* the carries round each topic's two counts by at most one */
	if (sum + (double)f->nbacklog + 2.0 * (double)f->ntopics + 1 >
	    CBD_FORECAST_REQUESTS_MAX)
		goto done;
	cap = f->nbacklog + (size_t)sum + 2 * f->ntopics + 1;
	if (!(m.req = calloc(cap, sizeof(*m.req))) ||
	    !(m.heap = calloc(cap, sizeof(*m.heap))))
		goto done;
	plan(&m, cap);

	simulate(&m, 0, &o);
	r.first_breach_ms = -1;
	for (k = 0; k < m.nseg; k++)
		r.capacity_hours += m.seg[k].staff_hours;
	for (k = 0; k < f->ntopics; k++) {
		struct forecast_topic_result *t = &r.topics[k];

		t->breaches = o.breaches[k];
		t->overdue = o.overdue[k];
		t->first_breach_ms = o.first_ms[k];
		r.breaches += t->breaches;
		r.overdue += t->overdue;
		if (t->first_breach_ms != -1 &&
		    (r.first_breach_ms == -1 ||
			t->first_breach_ms < r.first_breach_ms))
			r.first_breach_ms = t->first_breach_ms;
	}
	for (k = 0; k < f->nbacklog; k++) {
		if (f->backlog[k].kept)
			r.topics[f->backlog[k].topic].retries++;
		else
			r.topics[f->backlog[k].topic].backlog++;
	}
	r.unavoidable = r.overdue;
	if (o.future) {
		struct outcome most;

		simulate(&m, CBD_FORECAST_EXTRA_HOURS_MAX, &most);
		r.unavoidable += most.future;
		if (o.future > most.future)
			r.extra_hours_per_day = extra_needed(&m, most.future);
	}
	memcpy(out, &r, sizeof(r));
	rc = 0;
done:
	free(m.seg);
	free(m.req);
	free(m.heap);
	return rc;
}

int
forecast_count_request(struct forecast_topic *t, const struct calendar *cal,
    int64_t requested_ms, bool urgent, int weeks)
{
	struct calendar_local lt;

	if (weeks < 1)
		return -1;
	calendar_local_time(cal, requested_ms, &lt);
	t->arrivals[lt.weekday][lt.hour] += 1.0 / weeks;
	if (urgent)
		t->urgent[lt.weekday][lt.hour] += 1.0 / weeks;
	return 0;
}
