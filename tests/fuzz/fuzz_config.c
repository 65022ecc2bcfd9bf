/* libFuzzer harness: any text as the configuration file: no crash, no
 * leak, a refusal names a line or a section, and an accepted
 * configuration holds together (every site's and topic's calendar
 * exists, every topic has a target, warnings ascend within (0, 1)). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config c;
	char err[512];
	char *text;
	size_t i, k;

	if (!(text = malloc(size + 1)))
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (config_load_text("fuzz.ini", text, &c, err, sizeof(err)) == 0) {
		for (i = 0; i < c.nsites; i++) {
			for (k = 0; k < c.ncalendars; k++)
				if (c.sites[i].calendar == &c.calendars[k])
					break;
			if (k == c.ncalendars)
				abort();
		}
		for (i = 0; i < c.ntopics; i++) {
			const struct topic_policy *t = &c.topics[i];

			if (t->target_ms <= 0 ||
			    (t->calendar_name[0] && !t->calendar))
				abort();
			for (k = 0; k < (size_t)t->nwarn; k++)
				if (t->warn_at[k] <= 0 || t->warn_at[k] >= 1 ||
				    (k > 0 &&
					t->warn_at[k] <= t->warn_at[k - 1]))
					abort();
		}
	} else if (strncmp(err, "fuzz.ini", 8) != 0)
		abort();
	config_free(&c);
	free(text);
	return 0;
}
