/* libFuzzer harness: any body, JSON or not, through the create, attempt
 * and caseworker validation: no crash, no leak, and an accepted request is
 * well-formed. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct topic_policy topics[] = {
	{ .name = "general", .target_ms = 172800000LL },
	{ .name = "housing_approval",
	    .target_ms = 172800000LL,
	    .urgent_target_ms = 7200000LL },
};
static struct site sites[] = { { .name = "dortmund",
    .calendar_name = "24x7" } };

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config c = { .country_code = "49",
		.topics = topics,
		.ntopics = 2,
		.sites = sites,
		.nsites = 1 };
	struct callback cb;
	struct attempt_req a;
	struct caseworker w;
	struct verr e;
	json_t *j = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES,
	    NULL);

	if (!j)
		return 0;
	if (validate_create(j, &c, 1795521600000LL, &cb, &e) == 0 &&
	    (cb.phone[0] != '+' || !cb.topic[0] || !cb.site[0]))
		abort();
	memset(&a, 0, sizeof(a));
	(void)validate_attempt(j, 1, 1795521600000LL, &a, &e);
	memset(&w, 0, sizeof(w));
	if (validate_caseworker(j, &c, 1, &w, &e) == 0 &&
	    (!w.ntopics || !w.nlanguages))
		abort();
	json_decref(j);
	return 0;
}
