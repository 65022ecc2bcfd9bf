/* libFuzzer harness: opening-hour parsing and business-time sums never
 * crash, and a due time is never before its start. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct calendar cal = { .name = "f",
		.timezone = "Europe/Berlin",
		.state = "NW" };
	char text[64];
	int64_t start, dur, due;
	int d, n;

	if (size < 16)
		return 0;
	memcpy(&start, data, 8);
	memcpy(&dur, data + 8, 8);
	/* 1970 .. 2100, up to 90 days of open time */
	start = (int64_t)((uint64_t)start % 4102444800000ULL);
	dur = (int64_t)((uint64_t)dur % (90ULL * 86400000ULL));
	n = (int)(size - 16 < sizeof(text) - 1 ? size - 16 : sizeof(text) - 1);
	memcpy(text, data + 16, (size_t)n);
	text[n] = '\0';
	for (d = 0; d < 7; d++) {
		cal.nweek[d] = calendar_parse_hours(text, cal.week[d],
		    CBD_DAY_INTERVALS_MAX);
		if (cal.nweek[d] < 0)
			cal.nweek[d] = 0;
	}
	due = calendar_add(&cal, start, dur);
	if (due != -1 && due < start)
		abort();
	return 0;
}
