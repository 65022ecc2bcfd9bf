/*
 * The cost of one forecast (forecast_run, the extra hours' search
 * included), run by hand, never in CI: sites of growing size on office
 * hours in Berlin, each forecast repeated for a second of CPU time;
 * prints the mean CPU time per forecast (the machine may be shared) and
 * the callbacks it simulated.
 *
 *     cc -O2 -D_GNU_SOURCE -Iinclude -o build/forecast-bench bench/forecast.c \
 *         build/plain/libcore.a $(pkg-config --libs jansson inih libcrypto) -lm
 *     build/forecast-bench
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "forecast.h"

#define H 3600000LL
/* Monday 2026-11-30 08:00 in Berlin */
#define MON_0800 1796022000000LL

static struct calendar office = { .name = "office",
	.timezone = "Europe/Berlin",
	.state = "NW" };
static const struct topic_policy policies[2] = {
	{ .name = "general", .target_workdays = 2, .urgent_target_ms = 2 * H },
	{ .name = "housing", .target_ms = 8 * H, .urgent_target_ms = 1 * H },
};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
one(const char *what, size_t ntopics, double per_hour, size_t nbacklog,
    double caseworkers, int64_t horizon)
{
	static struct forecast_topic topics[CBD_FORECAST_TOPICS_MAX];
	static struct forecast_open backlog[CBD_FORECAST_REQUESTS_MAX];
	struct forecast_site f;
	struct forecast_result r;
	double t0, t;
	size_t i, k;
	int d, h, n = 0;

	memset(&f, 0, sizeof(f));
	memset(topics, 0, sizeof(topics));
	for (k = 0; k < ntopics; k++) {
		topics[k].policy = &policies[k % 2];
		topics[k].per_caseworker_hour = 4;
		for (d = 1; d <= 5; d++)
			for (h = 7; h < 18; h++) {
				topics[k].arrivals[d][h] = per_hour;
				topics[k].urgent[d][h] = per_hour / 10;
			}
	}
	for (d = 1; d <= 5; d++)
		for (h = 8; h < 16; h++)
			f.staffing[d][h] = caseworkers;
	for (i = 0; i < nbacklog; i++)
		backlog[i] = (struct forecast_open){ .topic = (int)(i %
							 ntopics),
			.due_ms = MON_0800 + H + (int64_t)(i % 97) * H / 2 };
	f.calendar = &office;
	f.start_ms = MON_0800;
	f.horizon_ms = horizon;
	f.topics = topics;
	f.ntopics = ntopics;
	f.backlog = backlog;
	f.nbacklog = nbacklog;
	t0 = now_s();
	do {
		if (forecast_run(&f, &r) != 0) {
			printf("%s: refused\n", what);
			return;
		}
		n++;
	} while ((t = now_s() - t0) < 1);
	for (i = 0, k = 0; k < ntopics; k++)
		i += (size_t)r.topics[k].arrivals;
	printf("%-44s %8.3f ms  (%zu backlog + %zu arrivals, %d breaches, "
	       "extra %.2f h/day)\n",
	    what, t / n * 1000, nbacklog, i, r.breaches, r.extra_hours_per_day);
}

int
main(void)
{
	int d;

	for (d = 1; d <= 5; d++) {
		office.week[d][0] = (struct interval){ 8 * 60, 16 * 60 };
		office.nweek[d] = 1;
	}
	one("small site, 2 topics, 48 h, enough staff", 2, 2, 50, 3, 48 * H);
	one("small site, 2 topics, 48 h, understaffed", 2, 2, 300, 1, 48 * H);
	one("large site, 20 topics, 48 h, understaffed", 20, 3, 3000, 10,
	    48 * H);
	one("large site, 20 topics, 14 days, understaffed", 20, 3, 3000, 10,
	    14 * 24 * H);
	one("64 topics, 14 days, 20 000 backlog, understaffed", 64, 5, 20000,
	    20, 14 * 24 * H);
	return 0;
}
