/*
 * config.c owns the configuration file: one table row per key with its
 * type, default and where it lands, in the manner of pgbouncer. Every
 * error names the file, the line and the key. It never opens a socket.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "config.h"
#include "phone.h"
#include "timefmt.h"
#include "validate.h"

const struct config *conf;

enum ctype {
	CT_STR, CT_INT, CT_DURATION, CT_LISTEN, CT_COUNTRY, CT_BOOL, CT_WARN,
	CT_TZ, CT_STATE, CT_HOURS, CT_DATES
};

struct ckey {
	const char *name;
	enum ctype type;
	size_t off;
	size_t size; /* for strings: buffer size */
	const char *def;
	int64_t min, max; /* for integers */
};

#define CFG(f) offsetof(struct config, f), sizeof(((struct config *)0)->f)
#define TOP(f) offsetof(struct topic_policy, f), sizeof(((struct topic_policy *)0)->f)
#define SIT(f) offsetof(struct site, f), sizeof(((struct site *)0)->f)
#define CAL(f) offsetof(struct calendar, f), sizeof(((struct calendar *)0)->f)

static const struct ckey daemon_keys[] = {
	{ "listen", CT_LISTEN, CFG(listen_host), "127.0.0.1:8080", 0, 0 },
	{ "country_code", CT_COUNTRY, CFG(country_code), "49", 0, 0 },
	{ "max_body", CT_INT, CFG(max_body), "16384", 256, CBD_MAX_BODY_HARD },
	{ "request_timeout", CT_DURATION, CFG(request_timeout_ms), "10s", 100, 600000 },
	{ "max_connections", CT_INT, CFG(max_connections), "1000", 1, 100000 },
	{ "www", CT_STR, CFG(www_dir), CBD_WWW_DIR, 0, 0 },
	{ "shutdown_grace", CT_DURATION, CFG(shutdown_grace_ms), "10s", 0, 3600000 },
	{ "retention_days", CT_INT, CFG(retention_days), "180", 0, 36500 },
	{ "retention_check", CT_DURATION, CFG(retention_check_ms), "1h", 1000, 86400000 },
	{ "unclaimable_check", CT_DURATION, CFG(unclaimable_check_ms), "1m", 0, 86400000 },
	{ "lease", CT_DURATION, CFG(lease_ms), CBD_LEASE_DEFAULT, 1000, 86400000 },
	{ "debug", CT_BOOL, CFG(debug), "no", 0, 0 },
	{ NULL, 0, 0, 0, NULL, 0, 0 }
};

static const struct ckey postgres_keys[] = {
	{ "conninfo", CT_STR, CFG(pg_conninfo), "dbname=callbackd", 0, 0 },
	{ "pool_size", CT_INT, CFG(pg_pool_size), "4", 1, 64 },
	{ NULL, 0, 0, 0, NULL, 0, 0 }
};

static const struct ckey redis_keys[] = {
	{ "host", CT_STR, CFG(redis_host), "127.0.0.1", 0, 0 },
	{ "port", CT_INT, CFG(redis_port), "6379", 1, 65535 },
	{ "password", CT_STR, CFG(redis_password), "", 0, 0 },
	{ "db", CT_INT, CFG(redis_db), "0", 0, 15 },
	{ "key_prefix", CT_STR, CFG(key_prefix), "cbd:", 0, 0 },
	{ "index_check", CT_DURATION, CFG(index_check_ms), "1s", 10, 3600000 },
	{ NULL, 0, 0, 0, NULL, 0, 0 }
};

static const struct ckey alerts_keys[] = {
	{ "transport", CT_STR, CFG(alert_transport), "local", 0, 0 },
	{ "host", CT_STR, CFG(alert_host), "127.0.0.1", 0, 0 },
	{ "port", CT_INT, CFG(alert_port), "514", 1, 65535 },
	{ "socket", CT_STR, CFG(alert_socket), "/dev/log", 0, 0 },
	{ "hostname", CT_STR, CFG(alert_hostname), "", 0, 0 },
	{ "webhook", CT_STR, CFG(alert_webhook), "", 0, 0 },
	{ "webhook_timeout", CT_DURATION, CFG(alert_webhook_timeout_ms), "5s", 100, 60000 },
	{ NULL, 0, 0, 0, NULL, 0, 0 }
};

static const struct ckey topic_keys[] = {
	{ "target", CT_DURATION, TOP(target_ms), NULL, 1000, INT64_MAX },
	{ "urgent_target", CT_DURATION, TOP(urgent_target_ms), "0", 0, INT64_MAX },
	{ "urgent", CT_BOOL, TOP(urgent), "no", 0, 0 },
	{ "max_attempts", CT_INT, TOP(max_attempts), "3", 1, 20 },
	{ "retry_backoff", CT_DURATION, TOP(retry_backoff_ms), "2h", 1000, 604800000 },
	{ "calendar", CT_STR, TOP(calendar_name), "", 0, 0 },
	{ "warn_at", CT_WARN, TOP(warn_at), "0.5, 0.75, 0.9", 0, 0 },
	{ NULL, 0, 0, 0, NULL, 0, 0 }
};

static const struct ckey site_keys[] = {
	{ "calendar", CT_STR, SIT(calendar_name), NULL, 0, 0 },
	{ NULL, 0, 0, 0, NULL, 0, 0 }
};

/* Weekday keys land in week[0..6] (0 = Sunday); the offset is the day. */
static const struct ckey calendar_keys[] = {
	{ "timezone", CT_TZ, CAL(timezone), "Europe/Berlin", 0, 0 },
	{ "state", CT_STATE, CAL(state), "", 0, 0 },
	{ "sun", CT_HOURS, 0, 0, NULL, 0, 0 },
	{ "mon", CT_HOURS, 1, 0, NULL, 0, 0 },
	{ "tue", CT_HOURS, 2, 0, NULL, 0, 0 },
	{ "wed", CT_HOURS, 3, 0, NULL, 0, 0 },
	{ "thu", CT_HOURS, 4, 0, NULL, 0, 0 },
	{ "fri", CT_HOURS, 5, 0, NULL, 0, 0 },
	{ "sat", CT_HOURS, 6, 0, NULL, 0, 0 },
	{ "closed", CT_DATES, 0, 0, NULL, 0, 0 },
	{ NULL, 0, 0, 0, NULL, 0, 0 }
};

struct parse {
	struct config *cfg;
	char err[256]; /* first error, without file and line */
};

static int
set_value(const struct ckey *k, void *base, const char *val, char *why,
    size_t whylen)
{
	char *dst = (char *)base + k->off;
	int64_t n;
	char *end;

	switch (k->type) {
	case CT_STR:
		if (strlen(val) >= k->size) {
			snprintf(why, whylen, "longer than %zu characters",
			    k->size - 1);
			return -1;
		}
		strcpy(dst, val);
		return 0;
	case CT_INT:
		errno = 0;
		n = strtoll(val, &end, 10);
		if (errno || end == val || *end || n < k->min || n > k->max) {
			snprintf(why, whylen, "'%s' is not a number from %lld to %lld",
			    val, (long long)k->min, (long long)k->max);
			return -1;
		}
		memcpy(dst, &n, sizeof(n));
		return 0;
	case CT_DURATION:
		if (duration_parse(val, &n) == -1) {
			snprintf(why, whylen, "'%s' is not a duration (e.g. 48h, 90m, 30s, 500ms)", val);
			return -1;
		}
		if (n < k->min || n > k->max) {
			snprintf(why, whylen, "'%s' is out of range", val);
			return -1;
		}
		memcpy(dst, &n, sizeof(n));
		return 0;
	case CT_BOOL: {
		int b;

		if (!strcmp(val, "yes") || !strcmp(val, "true") || !strcmp(val, "1"))
			b = 1;
		else if (!strcmp(val, "no") || !strcmp(val, "false") || !strcmp(val, "0"))
			b = 0;
		else {
			snprintf(why, whylen, "'%s' is not yes or no", val);
			return -1;
		}
		memcpy(dst, &b, sizeof(b));
		return 0;
	}
	case CT_WARN: {
		/* "0.5, 0.75, 0.9": ascending fractions of the target */
		struct topic_policy *t = base;
		const char *p = val;
		double f, last = 0;
		int nw = 0;

		while (*p) {
			f = strtod(p, &end);
			if (end == p || f <= last || f >= 1 || nw == CBD_WARN_MAX) {
				snprintf(why, whylen, "'%s' is not a list of ascending "
				    "fractions between 0 and 1 (e.g. 0.5, 0.75, 0.9)", val);
				return -1;
			}
			t->warn_at[nw++] = last = f;
			p = end;
			while (*p == ' ' || *p == ',')
				p++;
		}
		t->nwarn = nw;
		return 0;
	}
	case CT_TZ:
		if (strlen(val) >= k->size || !calendar_timezone_valid(val)) {
			snprintf(why, whylen, "'%s' is not a time zone this system knows "
			    "(e.g. Europe/Berlin)", val);
			return -1;
		}
		strcpy(dst, val);
		return 0;
	case CT_STATE:
		if (*val && !calendar_state_valid(val)) {
			snprintf(why, whylen, "'%s' is not a German state code (BW, BY, "
			    "BE, BB, HB, HH, HE, MV, NI, NW, RP, SL, SN, ST, SH, TH)", val);
			return -1;
		}
		strcpy(dst, val);
		return 0;
	case CT_HOURS: {
		struct calendar *c = base;
		int ni = calendar_parse_hours(val, c->week[k->off],
		    CBD_DAY_INTERVALS_MAX);

		if (ni < 0) {
			snprintf(why, whylen, "'%s' is not opening hours such as "
			    "08:00-12:00, 13:00-16:00 (at most %d, in order) or closed",
			    val, CBD_DAY_INTERVALS_MAX);
			return -1;
		}
		c->nweek[k->off] = ni;
		return 0;
	}
	case CT_DATES: {
		/* "2026-12-24, 2026-12-31" */
		struct calendar *c = base;
		const char *p = val;
		int y, mo, d, used;
		int32_t *grown;

		while (*p) {
			if (sscanf(p, "%4d-%2d-%2d%n", &y, &mo, &d, &used) != 3 ||
			    used != 10 || mo < 1 || mo > 12 || d < 1 || d > 31) {
				snprintf(why, whylen, "'%s' is not a list of dates "
				    "(YYYY-MM-DD, comma separated)", val);
				return -1;
			}
			if (!(grown = realloc(c->closed, (c->nclosed + 1) *
			    sizeof(*c->closed)))) {
				snprintf(why, whylen, "out of memory");
				return -1;
			}
			c->closed = grown;
			c->closed[c->nclosed++] = y * 10000 + mo * 100 + d;
			p += used;
			while (*p == ' ' || *p == ',')
				p++;
		}
		return 0;
	}
	case CT_COUNTRY:
		if (!phone_country_code_valid(val)) {
			snprintf(why, whylen, "'%s' is not a country calling code (1 to 3 digits, e.g. 49)", val);
			return -1;
		}
		strcpy(dst, val);
		return 0;
	case CT_LISTEN: {
		/* host:port or [v6]:port; host lands in listen_host, port next to it */
		struct config *c = base;
		const char *colon = strrchr(val, ':');
		const char *h = val;
		size_t hl;
		long p;

		if (!colon)
			goto bad_listen;
		hl = (size_t)(colon - val);
		if (*h == '[') {
			if (hl < 3 || val[hl - 1] != ']')
				goto bad_listen;
			h++;
			hl -= 2;
		}
		if (hl == 0 || hl >= sizeof(c->listen_host))
			goto bad_listen;
		errno = 0;
		p = strtol(colon + 1, &end, 10);
		if (errno || end == colon + 1 || *end || p < 0 || p > 65535)
			goto bad_listen;
		memcpy(c->listen_host, h, hl);
		c->listen_host[hl] = '\0';
		c->listen_port = (int)p;
		return 0;
bad_listen:
		snprintf(why, whylen, "'%s' is not host:port (IPv6 as [::1]:8080)", val);
		return -1;
	}
	}
	return -1;
}

static const struct ckey *
find_key(const struct ckey *t, const char *name)
{
	for (; t->name; t++)
		if (!strcmp(t->name, name))
			return t;
	return NULL;
}

static int
apply_defaults(const struct ckey *t, void *base)
{
	char why[128];

	for (; t->name; t++)
		if (t->def && set_value(t, base, t->def, why, sizeof(why)) == -1)
			return -1;
	return 0;
}

/* Finds the element called name in an array of structs that begin with
 * their name, or appends a zeroed one. */
static void *
find_or_add(void **arr, size_t *n, size_t size, const char *name, int *is_new)
{
	char *p = *arr, *grown;
	size_t i;

	*is_new = 0;
	for (i = 0; i < *n; i++)
		if (!strcmp(p + i * size, name))
			return p + i * size;
	if (!(grown = realloc(*arr, (*n + 1) * size)))
		return NULL;
	*arr = grown;
	p = grown + (*n)++ * size;
	memset(p, 0, size);
	strcpy(p, name);
	*is_new = 1;
	return p;
}

static void *
named_section(struct parse *p, const char *section, const char *kind)
{
	struct config *c = p->cfg;
	const char *name = section + strlen(kind);
	struct topic_policy *t;
	int is_new;

	if (!validate_ident(name)) {
		snprintf(p->err, sizeof(p->err),
		    "[%s]: name must be 1 to %d characters of a-z, 0-9, _ and -",
		    section, CBD_IDENT_MAX);
		return NULL;
	}
	if (kind[0] == 's')
		return find_or_add((void **)&c->sites, &c->nsites, sizeof(*c->sites),
		    name, &is_new);
	if (kind[0] == 'c') {
		struct calendar *cal;

		if (!strcmp(name, "24x7")) {
			snprintf(p->err, sizeof(p->err), "[%s]: 24x7 is built in",
			    section);
			return NULL;
		}
		cal = find_or_add((void **)&c->calendars, &c->ncalendars,
		    sizeof(*c->calendars), name, &is_new);
		if (cal && is_new)
			apply_defaults(calendar_keys, cal);
		return cal;
	}
	t = find_or_add((void **)&c->topics, &c->ntopics, sizeof(*c->topics), name,
	    &is_new);
	if (t && is_new) {
		t->target_ms = -1; /* required: missing until the file sets it */
		apply_defaults(topic_keys, t);
	}
	return t;
}

static int
on_key(void *user, const char *section, const char *name, const char *value)
{
	struct parse *p = user;
	const struct ckey *table;
	void *base;
	char why[160];

	if (p->err[0])
		return 1; /* keep only the first error; inih reports its line */

	if (!strcmp(section, "daemon")) {
		table = daemon_keys;
		base = p->cfg;
	} else if (!strcmp(section, "postgres")) {
		table = postgres_keys;
		base = p->cfg;
	} else if (!strcmp(section, "redis")) {
		table = redis_keys;
		base = p->cfg;
	} else if (!strcmp(section, "alerts")) {
		table = alerts_keys;
		base = p->cfg;
	} else if (!strncmp(section, "topic ", 6)) {
		table = topic_keys;
		if (!(base = named_section(p, section, "topic ")))
			goto fail;
	} else if (!strncmp(section, "site ", 5)) {
		table = site_keys;
		if (!(base = named_section(p, section, "site ")))
			goto fail;
	} else if (!strncmp(section, "calendar ", 9)) {
		table = calendar_keys;
		if (!(base = named_section(p, section, "calendar ")))
			goto fail;
	} else {
		snprintf(p->err, sizeof(p->err), "%s: unknown section [%s]",
		    name, section);
		return 0;
	}
	const struct ckey *k = find_key(table, name);
	if (!k) {
		snprintf(p->err, sizeof(p->err), "%s: unknown key in [%s]",
		    name, section);
		return 0;
	}
	if (set_value(k, base, value, why, sizeof(why)) == -1) {
		snprintf(p->err, sizeof(p->err), "%s: %s", name, why);
		return 0;
	}
	return 1;
fail:
	if (!p->err[0])
		snprintf(p->err, sizeof(p->err), "%s: out of memory", name);
	return 0;
}

static const struct calendar *
find_calendar(const struct config *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->ncalendars; i++)
		if (!strcmp(c->calendars[i].name, name))
			return &c->calendars[i];
	return NULL;
}

static int
check_whole(struct config *c, char *why, size_t whylen)
{
	size_t i;

	if (c->ntopics == 0) {
		snprintf(why, whylen, "no [topic NAME] section: at least one topic is needed");
		return -1;
	}
	if (c->nsites == 0) {
		snprintf(why, whylen, "no [site NAME] section: at least one site is needed");
		return -1;
	}
	for (i = 0; i < c->ntopics; i++) {
		if (c->topics[i].target_ms < 0) {
			snprintf(why, whylen, "[topic %s]: target is missing", c->topics[i].name);
			return -1;
		}
		if (c->topics[i].urgent_target_ms > c->topics[i].target_ms) {
			snprintf(why, whylen, "[topic %s]: urgent_target is longer than target",
			    c->topics[i].name);
			return -1;
		}
	}
	for (i = 1; i < c->ncalendars; i++) {
		const struct calendar *cal = &c->calendars[i];
		int d, open = 0;

		for (d = 0; d < 7; d++)
			open += cal->nweek[d];
		if (!open) {
			snprintf(why, whylen, "[calendar %s]: no opening hours "
			    "(mon = 08:00-16:00, ...)", cal->name);
			return -1;
		}
	}
	for (i = 0; i < c->nsites; i++) {
		if (!c->sites[i].calendar_name[0]) {
			snprintf(why, whylen, "[site %s]: calendar is missing", c->sites[i].name);
			return -1;
		}
		if (!(c->sites[i].calendar = find_calendar(c, c->sites[i].calendar_name))) {
			snprintf(why, whylen, "[site %s]: calendar '%s' is not defined "
			    "(24x7 or a [calendar NAME] section)", c->sites[i].name,
			    c->sites[i].calendar_name);
			return -1;
		}
	}
	for (i = 0; i < c->ntopics; i++) {
		struct topic_policy *t = &c->topics[i];

		if (t->calendar_name[0] && !(t->calendar = find_calendar(c,
		    t->calendar_name))) {
			snprintf(why, whylen, "[topic %s]: calendar '%s' is not defined",
			    t->name, t->calendar_name);
			return -1;
		}
	}
	if (strcmp(c->alert_transport, "local") && strcmp(c->alert_transport, "tcp") &&
	    strcmp(c->alert_transport, "udp")) {
		snprintf(why, whylen, "[alerts]: transport '%s' is not local, tcp or udp",
		    c->alert_transport);
		return -1;
	}
	if (c->alert_webhook[0] && strncmp(c->alert_webhook, "http://", 7)) {
		snprintf(why, whylen, "[alerts]: webhook must be an http:// URL");
		return -1;
	}
	if (!c->key_prefix[0]) {
		snprintf(why, whylen, "[redis]: key_prefix must not be empty");
		return -1;
	}
	return 0;
}

/* Reads the file at path or, with text, that text named path. */
static int
load(const char *path, const char *text, struct config *c, char *err,
    size_t errlen)
{
	struct parse p;
	char why[256];
	int line;

	memset(c, 0, sizeof(*c));
	memset(&p, 0, sizeof(p));
	p.cfg = c;
	snprintf(c->path, sizeof(c->path), "%s", path);
	if (apply_defaults(daemon_keys, c) == -1 ||
	    apply_defaults(postgres_keys, c) == -1 ||
	    apply_defaults(redis_keys, c) == -1 ||
	    apply_defaults(alerts_keys, c) == -1) {
		snprintf(err, errlen, "%s: built-in defaults are invalid", path);
		return -1;
	}
	/* the built-in 24x7 calendar is always there, first */
	if (!(c->calendars = calloc(1, sizeof(*c->calendars)))) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	strcpy(c->calendars[0].name, "24x7");
	c->calendars[0].always = 1;
	c->ncalendars = 1;
	line = text ? ini_parse_string(text, on_key, &p) : ini_parse(path, on_key, &p);
	if (line == -1) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	if (line == -2) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	if (line > 0) {
		snprintf(err, errlen, "%s:%d: %s", path, line,
		    p.err[0] ? p.err : "syntax error (expected [section] or key = value)");
		return -1;
	}
	if (check_whole(c, why, sizeof(why)) == -1) {
		snprintf(err, errlen, "%s: %s", path, why);
		return -1;
	}
	return 0;
}

int
config_load(const char *path, struct config *c, char *err, size_t errlen)
{
	return load(path, NULL, c, err, errlen);
}

int
config_load_text(const char *name, const char *text, struct config *c,
    char *err, size_t errlen)
{
	return load(name, text, c, err, errlen);
}

void
config_free(struct config *c)
{
	size_t i;

	for (i = 0; i < c->ncalendars; i++)
		free(c->calendars[i].closed);
	free(c->calendars);
	free(c->topics);
	free(c->sites);
	c->calendars = NULL;
	c->topics = NULL;
	c->sites = NULL;
}

int
config_keep_fixed(const struct config *now, struct config *next)
{
	int changed = 0;

#define KEEP(f) do { \
	if (memcmp(&now->f, &next->f, sizeof(now->f))) \
		changed = 1; \
	memcpy(&next->f, &now->f, sizeof(now->f)); \
} while (0)
	KEEP(listen_host);
	KEEP(listen_port);
	KEEP(max_body);
	KEEP(pg_conninfo);
	KEEP(pg_pool_size);
	KEEP(redis_host);
	KEEP(redis_port);
	KEEP(redis_password);
	KEEP(redis_db);
	KEEP(key_prefix);
	KEEP(alert_transport);
	KEEP(alert_host);
	KEEP(alert_port);
	KEEP(alert_socket);
	KEEP(alert_webhook);
	KEEP(lease_ms);
	KEEP(retention_check_ms);
	KEEP(unclaimable_check_ms);
	KEEP(index_check_ms);
#undef KEEP
	return changed;
}

const struct calendar *
config_calendar(const struct topic_policy *t, const struct site *s)
{
	return t->calendar ? t->calendar : s->calendar;
}

const struct topic_policy *
config_topic(const struct config *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->ntopics; i++)
		if (!strcmp(c->topics[i].name, name))
			return &c->topics[i];
	return NULL;
}

const struct site *
config_site(const struct config *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->nsites; i++)
		if (!strcmp(c->sites[i].name, name))
			return &c->sites[i];
	return NULL;
}
