#ifndef CBD_STAFFING_H
#define CBD_STAFFING_H
#include <stddef.h>

/*
 * A site's staffing plan as the config gives it ([site NAME] staffing):
 * groups of weekdays, each with times and how many caseworkers work then,
 *   mon-fri 08:00-12:00 4, 13:00-16:00 3; sat 09:00-12:00 1
 * turned into caseworker-hours per hour of the week, local time of the
 * site's calendar ([weekday][hour], 0 = Sunday), as the forecast takes
 * them. Pure: no I/O, no clock.
 */

/* The most caseworkers one time range may name: more than any hotline
 * site has, small enough that a typo (4000 for 4) is refused. */
#define CBD_STAFFING_PEOPLE_MAX 1000

/* Parses a plan into hours (zeroed first): a half hour with 4 caseworkers
 * is 2 caseworker-hours of its hour; groups that overlap add up (two
 * teams). 0, or -1 with a sentence in why (hours then unspecified). */
int staffing_parse(const char *plan, double hours[7][24], char *why,
    size_t whylen);

#endif
