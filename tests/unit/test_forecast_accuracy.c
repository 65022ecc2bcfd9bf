/* The forecast's accuracy, measured: for many seeds, a synthetic site
 * with known arrival rates (per weekday and hour, a Monday morning peak,
 * an urgent share per topic) and known shifts of whole caseworkers lives
 * four weeks and two days: random Poisson arrivals, random service times,
 * the caseworkers on their shifts working earliest due first. At the end
 * of the four weeks the forecast is made the way the daemon makes it
 * (the rates counted per weekday and hour over those four weeks divided
 * by four, forecast_count_request; the open callbacks as the backlog; the
 * shift plan as the staffing), and the two days that follow are compared
 * with it: projected breaches against those that happened. Three
 * scenarios: enough caseworkers (no breaches), a tight plan (a few), too
 * few (many). Prints the figures of each (mean absolute error, bias, the
 * site-days with breaches projected and none happening and the other way
 * round) and asserts bounds the model keeps with margin. Deterministic:
 * its own PRNG (splitmix64) and fixed seeds. */
#include "check_run.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "forecast.h"
#include "sla.h"

#define H 3600000LL
#define DAY (24 * H)
#define SEEDS 200
#define HISTORY_DAYS 28
#define HORIZON (48 * H)
/* Monday 2026-01-05 00:00 in Berlin */
#define MON_2026 1767567600000LL
#define NTOPICS 2
#define MAXREQ 4000
#define MAXCW 8

static struct calendar office = { .name = "office",
	.timezone = "Europe/Berlin",
	.state = "NW" };
static const struct topic_policy policies[NTOPICS] = {
	{ .name = "general", .target_workdays = 2, .urgent_target_ms = 2 * H },
	{ .name = "housing", .target_ms = 8 * H, .urgent_target_ms = 1 * H },
};
/* callbacks a caseworker works off in an hour, on average */
static const double per_hour[NTOPICS] = { 4, 3 };
static const double urgent_share[NTOPICS] = { 0.1, 0.3 };

/* The true expected requests of a topic in an hour of the week: the
 * hotline is busiest on weekday mornings, most on Monday, and takes a
 * few at the edges of the day and online at night and at the weekend. */
static double
true_rate(int topic, int wd, int h)
{
	double base = topic == 0 ? 2.0 : 1.0;

	if (wd == 0 || wd == 6)
		return 0.05;
	if (h < 7 || h >= 18)
		return 0.05;
	if (h == 7 || h >= 16)
		return base * 0.5;
	if (wd == 1 && h < 11)
		return base * 2.5;
	return h < 12 ? base * 1.3 : base;
}

/* A scenario: whole caseworkers, each on a shift of weekday hours. */
struct shift {
	int from, to;
};
struct scenario {
	const char *name;
	int ncw;
	struct shift cw[MAXCW];
	/* what the model is to keep, with margin: a bound on the mean
	 * absolute error of the breaches over the horizon */
	double mae_max;
};
/* The load is about 9 caseworker-hours a weekday, more on Mondays. */
static const struct scenario scenarios[] = {
	{ "enough", 2, { { 8, 16 }, { 8, 16 } }, 0.5 },
	{ "tight", 2, { { 8, 16 }, { 8, 11 } }, 2.5 },
	{ "too few", 1, { { 8, 16 } }, 8 },
};
/* The sign of the bias: the forecast errs on the side of caution (real
 * caseworkers finish after closing what they began before it, the model
 * stops at closing), so it projects at least about as many breaches as
 * happen, never clearly fewer. */
#define BIAS_MIN (-0.2)

/* ---- randomness ------------------------------------------------------ */

static uint64_t
splitmix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static double
uniform(uint64_t *s) /* [0, 1) */
{
	return (double)(splitmix64(s) >> 11) * 0x1.0p-53;
}

static int
poisson(uint64_t *s, double lambda)
{
	double l = exp(-lambda), p = 1;
	int k = 0;

	do {
		k++;
		p *= uniform(s);
	} while (p > l && k < 1000);
	return k - 1;
}

/* ---- the site's life ------------------------------------------------- */

struct req {
	int64_t at, due, start; /* start: -1 never begun */
	double service_h;
	int topic;
	bool urgent;
};

static struct req reqs[MAXREQ];
static int nreq;

static int
by_at(const void *a, const void *b)
{
	const struct req *x = a, *y = b;

	return x->at < y->at ? -1 : x->at > y->at;
}

static void
arrive(uint64_t *s, int64_t from, int64_t to)
{
	struct calendar_local lt;
	int64_t t;
	int k, n, i;

	nreq = 0;
	for (t = from; t < to; t += H) {
		calendar_local_time(&office, t, &lt);
		for (k = 0; k < NTOPICS; k++) {
			n = poisson(s, true_rate(k, lt.weekday, lt.hour));
			for (i = 0; i < n && nreq < MAXREQ; i++) {
				struct req *r = &reqs[nreq++];

				r->at = t + (int64_t)(uniform(s) * (double)H);
				r->topic = k;
				r->urgent = uniform(s) < urgent_share[k];
				r->due = sla_due_at(&policies[k], &office,
				    r->urgent, r->at);
				r->service_h = -log(1 - uniform(s)) /
				    per_hour[k];
				r->start = -1;
			}
		}
	}
	qsort(reqs, (size_t)nreq, sizeof(*reqs), by_at);
}

/* The first moment at or after t a caseworker on shift w may begin a
 * callback: the office open and the local hour in the shift. */
static int64_t
on_shift(const struct shift *w, int64_t t)
{
	struct calendar_local lt;
	int i;

	for (i = 0; i < 24 * 60; i++) {
		if ((t = calendar_next_open(&office, t)) == -1)
			return -1;
		calendar_local_time(&office, t, &lt);
		if (lt.hour >= w->from && lt.hour < w->to)
			return t;
		t += H - lt.ms_of_day % H;
	}
	return -1;
}

/* the EDF queue of the real site: indices into reqs */
static int heap[MAXREQ], nheap;

static int
earlier(int a, int b)
{
	if (reqs[a].due != reqs[b].due)
		return reqs[a].due < reqs[b].due;
	return a < b;
}

static void
hpush(int r)
{
	int i = nheap++, p, x;

	heap[i] = r;
	for (; i > 0 && earlier(heap[i], heap[p = (i - 1) / 2]); i = p) {
		x = heap[i];
		heap[i] = heap[p];
		heap[p] = x;
	}
}

static int
hpop(void)
{
	int top = heap[0], i = 0, c, x;

	heap[0] = heap[--nheap];
	for (; (c = 2 * i + 1) < nheap; i = c) {
		if (c + 1 < nheap && earlier(heap[c + 1], heap[c]))
			c++;
		if (!earlier(heap[c], heap[i]))
			break;
		x = heap[i];
		heap[i] = heap[c];
		heap[c] = x;
	}
	return top;
}

/* The real site from `from` to `to`: each caseworker, when free and on
 * shift, begins the callback due first among those in. */
static void
live(const struct scenario *sc, int64_t from, int64_t to)
{
	int64_t freed[MAXCW], avail[MAXCW];
	int next = 0, k, best, steps;

	nheap = 0;
	for (k = 0; k < sc->ncw; k++)
		avail[k] = on_shift(&sc->cw[k], freed[k] = from);
	for (steps = 0; steps < 4 * MAXREQ * MAXCW; steps++) {
		for (best = -1, k = 0; k < sc->ncw; k++)
			if (avail[k] != -1 && avail[k] < to &&
			    (best == -1 || avail[k] < avail[best]))
				best = k;
		if (best == -1)
			break;
		while (next < nreq && reqs[next].at <= avail[best])
			hpush(next++);
		if (!nheap) {
			if (next == nreq)
				break;
			freed[best] = reqs[next].at;
		} else {
			int r = hpop();

			reqs[r].start = avail[best];
			freed[best] = avail[best] +
			    (int64_t)(reqs[r].service_h * (double)H);
		}
		avail[best] = on_shift(&sc->cw[best], freed[best]);
	}
}

/* Breaches that happened: open at the cut-off or come since, due before
 * the end, not begun by their due time. */
static int
happened(int64_t cut, int64_t end)
{
	int i, n = 0;

	for (i = 0; i < nreq; i++) {
		const struct req *r = &reqs[i];

		if (r->at >= end || r->due >= end ||
		    (r->start != -1 && r->start < cut))
			continue;
		if (r->start == -1 || r->start > r->due)
			n++;
	}
	return n;
}

/* The forecast made at the cut-off, over horizon. */
static int
projected(const struct scenario *sc, int64_t cut, int64_t horizon)
{
	static struct forecast_open backlog[MAXREQ];
	struct forecast_topic topics[NTOPICS];
	struct forecast_site f;
	struct forecast_result r;
	int i, k, d, h;

	memset(topics, 0, sizeof(topics));
	memset(&f, 0, sizeof(f));
	for (k = 0; k < NTOPICS; k++) {
		topics[k].policy = &policies[k];
		topics[k].per_caseworker_hour = per_hour[k];
	}
	for (i = 0; i < nreq; i++) {
		const struct req *q = &reqs[i];

		if (q->at >= cut - HISTORY_DAYS * DAY && q->at < cut)
			forecast_count_request(&topics[q->topic], &office,
			    q->at, q->urgent, HISTORY_DAYS / 7);
		if (q->at < cut && (q->start == -1 || q->start >= cut))
			backlog[f.nbacklog++] = (struct forecast_open){
				.topic = q->topic,
				.urgent = q->urgent,
				.due_ms = q->due
			};
	}
	for (k = 0; k < sc->ncw; k++)
		for (d = 1; d <= 5; d++)
			for (h = sc->cw[k].from; h < sc->cw[k].to; h++)
				f.staffing[d][h] += 1;
	f.calendar = &office;
	f.start_ms = cut;
	f.horizon_ms = horizon;
	f.topics = topics;
	f.ntopics = NTOPICS;
	f.backlog = backlog;
	ck_assert_int_eq(forecast_run(&f, &r), 0);
	return r.breaches;
}

START_TEST(forecast_error_within_bounds)
{
	const struct scenario *sc = &scenarios[_i];
	double abs_err = 0, bias = 0, actual_sum = 0, proj_sum = 0;
	int seed, days = 0, false_alarm = 0, missed = 0, quiet = 0;

	for (seed = 0; seed < SEEDS; seed++) {
		uint64_t s = 0x5eed0000ULL + (uint64_t)seed * 7919 +
		    (uint64_t)_i * 1000003;
		/* a weekday of 2026 at 07:00 .. 15:00 */
		int64_t day = (int64_t)(uniform(&s) * 300);
		int64_t cut, from;
		int p[3], a[3], i;

		while ((day % 7) >= 5)
			day++;
		cut = MON_2026 + day * DAY +
		    (7 + (int64_t)(uniform(&s) * 9)) * H;
		from = cut - (HISTORY_DAYS + 7) * DAY;
		arrive(&s, from, cut + HORIZON);
		live(sc, from, cut + HORIZON);
		p[1] = projected(sc, cut, HORIZON / 2);
		p[2] = projected(sc, cut, HORIZON);
		a[1] = happened(cut, cut + HORIZON / 2);
		a[2] = happened(cut, cut + HORIZON);
		abs_err += fabs((double)(p[2] - a[2]));
		bias += p[2] - a[2];
		proj_sum += p[2];
		actual_sum += a[2];
		/* the two site-days: the first 24 hours and the next */
		p[0] = a[0] = 0;
		for (i = 1; i <= 2; i++) {
			int pd = p[i] - p[i - 1], ad = a[i] - a[i - 1];

			days++;
			quiet += ad == 0;
			false_alarm += pd > 0 && ad == 0;
			missed += pd == 0 && ad > 0;
		}
	}
	printf("forecast accuracy, %s (%d caseworkers), %d seeds, 48 h: "
	       "breaches projected %.2f, happened %.2f on average; "
	       "mean absolute error %.2f, bias %+.2f; site-days %d: "
	       "breaches projected and none happened %d (%.1f %%), "
	       "none projected and some happened %d (%.1f %%), "
	       "days without breaches %d\n",
	    sc->name, sc->ncw, SEEDS, proj_sum / SEEDS, actual_sum / SEEDS,
	    abs_err / SEEDS, bias / SEEDS, days, false_alarm,
	    100.0 * false_alarm / days, missed, 100.0 * missed / days, quiet);
	fflush(stdout);
	ck_assert_msg(abs_err / SEEDS < sc->mae_max, "%s: error %.2f", sc->name,
	    abs_err / SEEDS);
	ck_assert_msg(bias / SEEDS > BIAS_MIN, "%s: bias %.2f", sc->name,
	    bias / SEEDS);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("forecast accuracy");
	TCase *tc = tcase_create("accuracy");
	int d;

	for (d = 1; d <= 5; d++) {
		office.week[d][0] = (struct interval){ 8 * 60, 16 * 60 };
		office.nweek[d] = 1;
	}
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, forecast_error_within_bounds, 0, N(scenarios));
	suite_add_tcase(s, tc);
	return check_run(s);
}
