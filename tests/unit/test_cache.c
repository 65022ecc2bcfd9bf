/* Unit tests for cache.c: time-limited values by key, kept apart when
 * their keys hash alike. */
#include "check_run.h"
#include <stdio.h>
#include <string.h>

#include "cache.h"

#define TTL 5000

static struct cache_slot slots[16];
static int values[16];
static struct cache c = CACHE_INIT(slots, values, TTL);

static void
setup(void)
{
	cache_clear(&c);
}

START_TEST(kept_until_it_expires)
{
	int v = 0, got = -1;

	ck_assert_int_eq(cache_get(&c, "anna", 0, &got), -1);
	v = 7;
	cache_put(&c, "anna", 1000, &v);
	ck_assert_int_eq(cache_get(&c, "anna", 1000, &got), 0);
	ck_assert_int_eq(got, 7);
	ck_assert_int_eq(cache_get(&c, "anna", 1000 + TTL - 1, &got), 0);
	ck_assert_int_eq(cache_get(&c, "anna", 1000 + TTL, &got), -1);
	ck_assert_int_eq(cache_get(&c, "bernd", 1000, &got), -1);
}
END_TEST

/* A lookup that began before a clear (a token revoked meanwhile) must not
 * put the value it read back for a whole ttl. */
START_TEST(a_value_read_before_a_clear_is_not_kept)
{
	int v = 1, got = 0;
	unsigned gen = cache_generation(&c);

	cache_put_read(&c, gen, "anna", 0, &v);
	ck_assert_int_eq(cache_get(&c, "anna", 0, &got), 0);
	gen = cache_generation(&c);
	cache_clear(&c); /* the revocation commits while the lookup is out */
	cache_put_read(&c, gen, "bernd", 0, &v);
	ck_assert_int_eq(cache_get(&c, "bernd", 0, &got), -1);
	ck_assert_int_eq(cache_get(&c, "anna", 0, &got), -1);
	cache_put_read(&c, cache_generation(&c), "bernd", 0, &v);
	ck_assert_int_eq(cache_get(&c, "bernd", 0, &got), 0);
}
END_TEST

START_TEST(put_again_replaces_in_place)
{
	int v = 1, got = 0, i, used = 0;

	cache_put(&c, "anna", 0, &v);
	v = 2;
	cache_put(&c, "anna", 10, &v);
	ck_assert_int_eq(cache_get(&c, "anna", 10, &got), 0);
	ck_assert_int_eq(got, 2);
	for (i = 0; i < N(slots); i++)
		used += slots[i].until != 0;
	ck_assert_int_eq(used, 1);
}
END_TEST

/* The slot a key takes in an empty cache: its home. */
static size_t
home_of(const char *key)
{
	struct cache_slot s1[16];
	int v1[16], one = 1;
	struct cache probe = CACHE_INIT(s1, v1, TTL);
	size_t i;

	memset(s1, 0, sizeof(s1));
	cache_put(&probe, key, 0, &one);
	for (i = 0; i < N(s1) && !s1[i].until; i++)
		;
	return i;
}

/* Finds n other keys with the same home as key. */
static void
alike(const char *key, char out[][16], int n)
{
	int found = 0, i;

	for (i = 0; found < n && i < 100000; i++) {
		snprintf(out[found], 16, "w%d", i);
		if (home_of(out[found]) == home_of(key))
			found++;
	}
	ck_assert_int_eq(found, n);
}

START_TEST(keys_that_hash_alike_do_not_evict_each_other)
{
	char keys[CACHE_WAYS][16];
	int v, got, i;

	snprintf(keys[0], 16, "anna");
	alike("anna", keys + 1, CACHE_WAYS - 1);
	for (i = 0; i < CACHE_WAYS; i++) {
		v = 100 + i;
		cache_put(&c, keys[i], i, &v);
	}
	for (i = 0; i < CACHE_WAYS; i++) {
		ck_assert_int_eq(cache_get(&c, keys[i], CACHE_WAYS, &got), 0);
		ck_assert_int_eq(got, 100 + i);
	}
}
END_TEST

START_TEST(a_full_set_evicts_what_expires_first)
{
	char keys[CACHE_WAYS + 1][16];
	int v = 1, got, i;

	snprintf(keys[0], 16, "anna");
	alike("anna", keys + 1, CACHE_WAYS);
	/* anna is put last but one: the first put expires first */
	for (i = 1; i < CACHE_WAYS; i++)
		cache_put(&c, keys[i], 100 * i, &v);
	cache_put(&c, keys[0], 1000, &v);
	cache_put(&c, keys[CACHE_WAYS], 2000, &v);
	ck_assert_int_eq(cache_get(&c, keys[1], 2000, &got), -1);
	for (i = 2; i <= CACHE_WAYS; i++)
		ck_assert_int_eq(cache_get(&c, keys[i], 2000, &got), 0);
	ck_assert_int_eq(cache_get(&c, keys[0], 2000, &got), 0);
}
END_TEST

START_TEST(long_keys_are_not_kept_and_clear_forgets)
{
	char key[CACHE_KEY_MAX + 2];
	int v = 3, got;

	memset(key, 'a', sizeof(key) - 1);
	key[sizeof(key) - 1] = '\0';
	cache_put(&c, key, 0, &v);
	ck_assert_int_eq(cache_get(&c, key, 0, &got), -1);
	key[CACHE_KEY_MAX] = '\0'; /* the longest that is kept */
	cache_put(&c, key, 0, &v);
	ck_assert_int_eq(cache_get(&c, key, 0, &got), 0);
	cache_clear(&c);
	ck_assert_int_eq(cache_get(&c, key, 0, &got), -1);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("cache");
	TCase *tc = tcase_create("cache");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, kept_until_it_expires);
	tcase_add_test(tc, put_again_replaces_in_place);
	tcase_add_test(tc, a_value_read_before_a_clear_is_not_kept);
	tcase_add_test(tc, keys_that_hash_alike_do_not_evict_each_other);
	tcase_add_test(tc, a_full_set_evicts_what_expires_first);
	tcase_add_test(tc, long_keys_are_not_kept_and_clear_forgets);
	suite_add_tcase(s, tc);
	return check_run(s);
}
