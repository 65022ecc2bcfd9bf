#ifndef CBD_CONFIG_INT_H
#define CBD_CONFIG_INT_H
/*
 * What config.c (reading the file) and config_keys.c (the key table and
 * its values) share; nothing outside those two includes this.
 */
#include <stddef.h>
#include <stdint.h>

#include "config.h"

enum ctype {
	CT_STR,
	CT_INT,
	CT_DURATION,
	CT_LISTEN,
	CT_COUNTRY,
	CT_BOOL,
	CT_WARN,
	CT_TZ,
	CT_STATE,
	CT_HOURS,
	CT_DATES,
	CT_LANGS,
	CT_PREFIXES,
	CT_LISTEN_OPT,
	CT_SENTINELS
};

/* Whether a SIGHUP applies a key, or it waits for a restart (pgbouncer's
 * config table says the same of each key): the sockets, the connections
 * and what is set up once at start (the alert transport, the timers)
 * keep their values until then. */
enum creload { RESTART, RELOAD };

struct ckey {
	const char *name;
	enum ctype type;
	size_t off;
	size_t size; /* for strings: buffer size */
	const char *def;
	int64_t min, max; /* for integers */
	enum creload reload;
};

/* One table per section, each ended by a row whose name is NULL. */
extern const struct ckey daemon_keys[], postgres_keys[], redis_keys[],
    alerts_keys[], topic_keys[], site_keys[], calendar_keys[];

/* Sets the value of key k in base (the config or a topic, site or
 * calendar) from its text; -1 with a sentence in why. */
int set_value(const struct ckey *k, void *base, const char *val, char *why,
    size_t whylen);
const struct ckey *find_key(const struct ckey *t, const char *name);
/* Sets every key of t that has a default. */
int apply_defaults(const struct ckey *t, void *base);

#endif
