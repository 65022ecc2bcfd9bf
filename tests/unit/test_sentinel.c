/*
 * Unit tests for sentinel.c: the +switch-master message, as Sentinel
 * publishes it, read into the master's name and new address; anything
 * else refused.
 */
#include "check_run.h"
#include <string.h>

#include "sentinel.h"

static const struct {
	const char *msg;
	const char *name, *host; /* NULL: refused */
	int port;
} cases[] = {
	{ "queue 127.0.0.1 6379 127.0.0.1 6380", "queue", "127.0.0.1", 6380 },
	{ "queue 10.0.0.1 6379 ::1 6381", "queue", "::1", 6381 },
	{ "other-master 10.0.0.1 6379 10.0.0.2 6379 ", "other-master",
	    "10.0.0.2", 6379 },
	{ "", NULL, NULL, 0 },
	{ "queue 127.0.0.1 6379 127.0.0.1", NULL, NULL, 0 },
	{ "queue 127.0.0.1 6379 127.0.0.1 0", NULL, NULL, 0 },
	{ "queue 127.0.0.1 6379 127.0.0.1 65536", NULL, NULL, 0 },
	{ "queue 127.0.0.1 6379 127.0.0.1 63x0", NULL, NULL, 0 },
	{ "queue 127.0.0.1 6379 127.0.0.1 6380 extra", NULL, NULL, 0 },
	{ "a-name-longer-than-sixteen 1 2 3 4", NULL, NULL, 0 },
};

START_TEST(switch_master_gives_name_and_new_address)
{
	char name[17], host[64];
	int port = 0, rc;

	rc = sentinel_parse_switch(cases[_i].msg, name, sizeof(name), host,
	    sizeof(host), &port);
	if (!cases[_i].name) {
		ck_assert_msg(rc == -1, "case %d read", _i);
		return;
	}
	ck_assert_msg(rc == 0, "case %d refused", _i);
	ck_assert_str_eq(name, cases[_i].name);
	ck_assert_str_eq(host, cases[_i].host);
	ck_assert_int_eq(port, cases[_i].port);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("sentinel");
	TCase *tc = tcase_create("sentinel");

	tcase_add_loop_test(tc, switch_master_gives_name_and_new_address, 0,
	    N(cases));
	suite_add_tcase(s, tc);
	return check_run(s);
}
