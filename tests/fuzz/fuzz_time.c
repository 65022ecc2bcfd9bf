/* libFuzzer harness: RFC 3339 and duration parsing never crash; a parsed
 * time formats and parses back to itself. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "timefmt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char in[64], buf[CBD_TIME_STR];
	int64_t ms, back;
	size_t n = size < sizeof(in) - 1 ? size : sizeof(in) - 1;

	memcpy(in, data, n);
	in[n] = '\0';
	if (rfc3339_parse(in, &ms) == 0 &&
	    rfc3339_format(ms, buf, sizeof(buf))) {
		if (rfc3339_parse(buf, &back) != 0 || back != ms)
			abort();
	}
	(void)duration_parse(in, &ms);
	return 0;
}
