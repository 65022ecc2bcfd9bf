#ifndef CBD_CONFIG_INT_H
#define CBD_CONFIG_INT_H
/*
 * What config.c (reading the file), config_keys.c (the key table and
 * its values) and config_check.c (the checks of the whole) share;
 * nothing else includes this.
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
	CT_TARGET,
	CT_SENTINELS,
	CT_LABEL,
	CT_LANGNAMES
};
/* The count of the types: one more than the last. */
#define CT_NTYPES (CT_LANGNAMES + 1)

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
/* The form a value of type t takes, as --config-keys prints it; NULL for
 * a type without one (a unit test checks that none is). */
const char *config_type_form(enum ctype t);
/* Sets every key of t that has a default. */
int apply_defaults(const struct ckey *t, void *base);

/* The checks of config_check.c, each -1 with a sentence in why: the
 * config as a whole (calendars resolved into place), tls_cert and tls_key
 * as a pair (*line: the one given), and the secrets read from files. */
int config_check_whole(struct config *c, char *why, size_t whylen);
int config_check_tls_pair(const struct config *c, char *why, size_t whylen,
    int *line);
int config_read_secrets(struct config *c, char *why, size_t whylen);

#endif
