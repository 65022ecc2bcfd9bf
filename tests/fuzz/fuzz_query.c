/* libFuzzer harness: any query string, split and decoded by libevent as
 * the daemon does, then each parameter's value through query.c and the
 * RFC 3339 parser: no crash, no leak, and what is accepted is within its
 * bounds; a cursor it writes parses back to the same numbers. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/queue.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "query.h"
#include "timefmt.h"
#include "ident.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const words[] = { "site", "topic", "day", "week",
	"urgency" };

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct evkeyvalq q;
	struct evkeyval *kv;
	char *text, out[64], id[37], again[QUERY_CURSOR_MAX];
	unsigned long n;
	int64_t ms, num;

	if (!(text = malloc(size + 1)))
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	TAILQ_INIT(&q);
	if (evhttp_parse_query_str(text, &q) == 0) {
		TAILQ_FOREACH(kv, &q, next)
		{
			if (query_number(kv->value, 1, 200, &n) == 0 &&
			    (n < 1 || n > 200))
				abort();
			if (query_cursor(kv->value, &ms, id) == 0) {
				int64_t ms2;
				char id2[37];

				if (ms < 0 || !ident_uuid(id))
					abort();
				/* what we hand out parses back to the same row */
				query_cursor_format(ms, id, again,
				    sizeof(again));
				if (query_cursor(again, &ms2, id2) != 0 ||
				    ms2 != ms || strcmp(id2, id) != 0)
					abort();
			}
			if (query_cursor_num(kv->value, &ms, &num) == 0) {
				int64_t ms2, num2;

				if (ms < 0 || num < 1)
					abort();
				/* the alerts' next_cursor, as the daemon writes it */
				snprintf(again, sizeof(again), "%lld.%lld",
				    (long long)ms, (long long)num);
				if (query_cursor_num(again, &ms2, &num2) != 0 ||
				    ms2 != ms || num2 != num)
					abort();
			}
			if (query_words(kv->value, words, 5, out,
				sizeof(out)) == 0 &&
			    strcmp(out, kv->value) != 0)
				abort();
			(void)rfc3339_parse(kv->value, &ms);
		}
	}
	evhttp_clear_headers(&q);
	free(text);
	return 0;
}
