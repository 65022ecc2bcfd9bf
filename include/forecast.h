#ifndef CBD_FORECAST_H
#define CBD_FORECAST_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "calendar.h"
#include "config.h"

/*
 * The forecast of one site's queue: which of its callbacks will miss their
 * due time over the horizon, given the open backlog, the arrivals expected
 * per topic, weekday and hour, and the caseworker-hours expected per
 * weekday and hour. An earliest-deadline-first simulation, deterministic,
 * on the site's calendar: pure code (no I/O, no clock, no allocation that
 * outlives a call), so that unit tests and a fuzzer call it directly. The
 * daemon fills the inputs from PostgreSQL and the config (store_forecast.c,
 * api_forecast.c); nothing here knows where they came from.
 */

/* Hours of the week: [weekday][hour], weekday 0 = Sunday, local time of
 * the site's calendar. */
#define CBD_FORECAST_WEEK_HOURS (7 * 24)
/* The longest horizon a forecast runs over. */
#define CBD_FORECAST_HORIZON_MAX_MS (14LL * 86400000)
/* Topics of one site in one forecast. */
#define CBD_FORECAST_TOPICS_MAX 64
/* The most extra caseworker-hours a day the search for "what would keep
 * every due time" tries; beyond it the answer is "more than this". */
#define CBD_FORECAST_EXTRA_HOURS_MAX 1000.0
/* The most callbacks one forecast simulates, the backlog and the
 * arrivals expected over the horizon together: a large job centre's site
 * takes a few thousand a week; this bounds the memory and time of a run
 * (a few megabytes, well under a second) whatever the input says. */
#define CBD_FORECAST_REQUESTS_MAX 200000
/* The largest staffing (caseworkers at once) or expected arrivals of one
 * hour a forecast takes: far beyond any site, it keeps every sum finite. */
#define CBD_FORECAST_RATE_MAX 1e6

/* One open callback of the site at the forecast's start. */
struct forecast_open {
	int topic; /* index into forecast_site.topics */
	bool urgent;
	int64_t due_ms; /* its due time (first attempt), UTC ms */
	/* kept: it had its first attempt (the promise is kept) and waits for
	 * another; it takes a caseworker's time again from ready_ms (its
	 * not_before; at the start when earlier), ahead of the others by its
	 * due time as the queue ranks it, and is never a breach */
	bool kept;
	int64_t ready_ms;
};

/* What is expected of one topic at the site. */
struct forecast_topic {
	const struct topic_policy *policy; /* plans the due time of arrivals */
	/* expected requests per hour of the week, and of them urgent ones */
	double arrivals[7][24];
	double urgent[7][24];
	/* callbacks worked off per caseworker-hour (> 0) */
	double per_caseworker_hour;
};

struct forecast_site {
	const struct calendar *calendar; /* the site's: time zone, open days */
	int64_t start_ms;                /* the forecast's now */
	int64_t horizon_ms;              /* > 0, at most the max above */
	/* caseworker-hours per hour of the week (a staffing plan, or what
	 * history shows); hours the calendar is closed count as 0 */
	double staffing[7][24];
	const struct forecast_topic *topics;
	size_t ntopics;
	const struct forecast_open *backlog; /* any order */
	size_t nbacklog;
};

/* What the simulation projects for one topic over the horizon. */
struct forecast_topic_result {
	int backlog;             /* open at the start */
	double arrivals;         /* expected over the horizon */
	double urgent_arrivals;  /* of them, urgent */
	int breaches;            /* projected to miss their due time within the
	                          * horizon (due before its end, not worked by
	                          * then) */
	int64_t first_breach_ms; /* the due time of the first; -1 when none;
	                          * the start when one of the backlog is
	                          * overdue already */
	int overdue; /* of the breaches, the backlog's already overdue at the
	              * start (nothing can save them; they are worked first) */
	int retries; /* open at the start with an attempt made (kept): not
	              * in backlog, worked again over the horizon */
};

struct forecast_result {
	double capacity_hours;   /* caseworker-hours over the horizon */
	int breaches;            /* of all topics */
	int64_t first_breach_ms; /* -1 when none; as the topics' */
	/* caseworker-hours a day more, spread over the open hours of each open
	 * day, that would leave no projected breach but the unavoidable ones:
	 * 0 when there are no others; at most CBD_FORECAST_EXTRA_HOURS_MAX
	 * (the search goes no further: that much or more) */
	double extra_hours_per_day;
	int unavoidable; /* of the breaches, those no extra staffing up to the
	                  * max prevents: the overdue ones, and those due
	                  * before the calendar opens again (a callback due
	                  * at 18:00 of a request made after closing) */
	struct forecast_topic_result topics[CBD_FORECAST_TOPICS_MAX];
	int overdue; /* of all topics */
};

/* Runs the forecast. 0, or -1 when the input is out of bounds (no
 * calendar, horizon <= 0 or too long, ntopics over the max, a backlog
 * entry naming no topic, a rate that is negative or not finite, a
 * per_caseworker_hour not above 0); then out is untouched. Also -1 for
 * a topic without a policy, a rate above CBD_FORECAST_RATE_MAX, more
 * than CBD_FORECAST_REQUESTS_MAX callbacks to simulate, a start before
 * 1970 or near the year 10000, or no memory. The model is described at
 * the top of daemon/forecast.c and in the README. */
int forecast_run(const struct forecast_site *, struct forecast_result *out);

/* The rates of a topic from its history, the way the forecast expects
 * them: for each request made in the weeks weeks before the forecast
 * (the caller picks them), 1/weeks is added to arrivals, and to urgent
 * when it was urgent, at its local weekday and hour on cal (the site's
 * calendar). Start from zeroed rates. -1 for weeks < 1. */
int forecast_count_request(struct forecast_topic *, const struct calendar *cal,
    int64_t requested_ms, bool urgent, int weeks);

#endif
