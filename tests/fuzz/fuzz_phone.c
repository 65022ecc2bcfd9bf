/* libFuzzer harness: phone normalisation never crashes, and what it
 * accepts is E.164. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "phone.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char in[64], out[CBD_PHONE_MAX + 1];
	const char *why;
	size_t i, n = size < sizeof(in) - 1 ? size : sizeof(in) - 1;

	memcpy(in, data, n);
	in[n] = '\0';
	if (phone_normalise(in, "49", out, sizeof(out), &why) == 0) {
		if (out[0] != '+' || strlen(out) < 8 || strlen(out) > 16)
			abort();
		for (i = 1; out[i]; i++)
			if (out[i] < '0' || out[i] > '9')
				abort();
	}
	return 0;
}
