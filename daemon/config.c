/*
 * config.c owns the configuration file: one table row per key with its
 * type, default and where it lands, in the manner of pgbouncer. Every
 * error names the file, the line and the key. It opens no socket; only
 * config_check_listen asks the resolver, at start-up.
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <ini.h>

#include "config.h"
#include "phone.h"
#include "timefmt.h"
#include "validate.h"

const struct config *conf;

enum ctype {
	CT_STR, CT_INT, CT_DURATION, CT_LISTEN, CT_COUNTRY, CT_BOOL, CT_WARN,
	CT_TZ, CT_STATE, CT_HOURS, CT_DATES, CT_LANGS, CT_PREFIXES, CT_LISTEN_OPT
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

#define CFG(f) offsetof(struct config, f), sizeof(((struct config *)0)->f)
#define TOP(f) offsetof(struct topic_policy, f), sizeof(((struct topic_policy *)0)->f)
#define SIT(f) offsetof(struct site, f), sizeof(((struct site *)0)->f)
#define CAL(f) offsetof(struct calendar, f), sizeof(((struct calendar *)0)->f)

static const struct ckey daemon_keys[] = {
	{ "listen", CT_LISTEN, CFG(listen_host), "127.0.0.1:8080", 0, 0, RESTART },
	{ "metrics_listen", CT_LISTEN_OPT, CFG(metrics_host), "", 0, 0, RESTART },
	{ "country_code", CT_COUNTRY, CFG(country_code), "49", 0, 0, RELOAD },
	{ "max_body", CT_INT, CFG(max_body), "16384", 256, CBD_MAX_BODY_HARD, RESTART },
	{ "request_timeout", CT_DURATION, CFG(request_timeout_ms), "10s", 100, 600000, RELOAD },
	{ "max_connections", CT_INT, CFG(max_connections), "1000", 1, 100000, RELOAD },
	{ "www", CT_STR, CFG(www_dir), CBD_WWW_DIR, 0, 0, RELOAD },
	{ "shutdown_grace", CT_DURATION, CFG(shutdown_grace_ms), "10s", 0, 3600000, RELOAD },
	{ "retention_days", CT_INT, CFG(retention_days), "180", 0, 36500, RELOAD },
	{ "retention_check", CT_DURATION, CFG(retention_check_ms), "1h", 1000, 86400000, RESTART },
	{ "unclaimable_check", CT_DURATION, CFG(unclaimable_check_ms), "1m", 0, 86400000, RESTART },
	{ "lease", CT_DURATION, CFG(lease_ms), CBD_LEASE_DEFAULT, 1000, 86400000, RESTART },
	{ "max_request_age", CT_DURATION, CFG(max_request_age_ms), "30d", 60000,
	  CBD_AGE_MAX_MS, RELOAD },
	{ "max_open_age", CT_DURATION, CFG(max_open_age_ms), "30d", 0,
	  CBD_AGE_MAX_MS, RELOAD },
	{ "debug", CT_BOOL, CFG(debug), "no", 0, 0, RELOAD },
	{ "not_dialable", CT_PREFIXES, CFG(not_dialable), "default", 0, 0, RELOAD },
	{ "languages", CT_LANGS, CFG(languages), "de, en, tr, ar, ru, uk, pl, fr",
	  0, 0, RELOAD },
	{ NULL, 0, 0, 0, NULL, 0, 0, RESTART }
};

static const struct ckey postgres_keys[] = {
	{ "conninfo", CT_STR, CFG(pg_conninfo), "dbname=callbackd", 0, 0, RESTART },
	{ "pool_size", CT_INT, CFG(pg_pool_size), "4", 1, 64, RESTART },
	{ "statement_timeout", CT_DURATION, CFG(pg_statement_timeout_ms), "5s",
	  10, 3600000, RESTART },
	{ "lock_timeout", CT_DURATION, CFG(pg_lock_timeout_ms), "3s", 0, 3600000, RESTART },
	{ NULL, 0, 0, 0, NULL, 0, 0, RESTART }
};

static const struct ckey redis_keys[] = {
	{ "host", CT_STR, CFG(redis_host), "127.0.0.1", 0, 0, RESTART },
	{ "port", CT_INT, CFG(redis_port), "6379", 1, 65535, RESTART },
	{ "password", CT_STR, CFG(redis_password), "", 0, 0, RESTART },
	{ "password_file", CT_STR, CFG(redis_password_file), "", 0, 0, RESTART },
	{ "db", CT_INT, CFG(redis_db), "0", 0, 15, RESTART },
	{ "key_prefix", CT_STR, CFG(key_prefix), "cbd:", 0, 0, RESTART },
	{ "index_check", CT_DURATION, CFG(index_check_ms), "1s", 10, 3600000, RESTART },
	{ "timeout", CT_DURATION, CFG(redis_timeout_ms), "2s", 10, 3600000, RESTART },
	{ NULL, 0, 0, 0, NULL, 0, 0, RESTART }
};

static const struct ckey alerts_keys[] = {
	{ "transport", CT_STR, CFG(alert_transport), "local", 0, 0, RESTART },
	{ "host", CT_STR, CFG(alert_host), "127.0.0.1", 0, 0, RESTART },
	{ "port", CT_INT, CFG(alert_port), "514", 1, 65535, RESTART },
	{ "socket", CT_STR, CFG(alert_socket), "/dev/log", 0, 0, RESTART },
	{ "hostname", CT_STR, CFG(alert_hostname), "", 0, 0, RESTART },
	{ "webhook", CT_STR, CFG(alert_webhook), "", 0, 0, RESTART },
	{ "webhook_timeout", CT_DURATION, CFG(alert_webhook_timeout_ms), "5s", 100, 60000, RESTART },
	{ NULL, 0, 0, 0, NULL, 0, 0, RESTART }
};

static const struct ckey topic_keys[] = {
	{ "target", CT_DURATION, TOP(target_ms), NULL, 1000, CBD_TARGET_MAX_MS, RELOAD },
	{ "urgent_target", CT_DURATION, TOP(urgent_target_ms), "0", 0, CBD_TARGET_MAX_MS, RELOAD },
	{ "urgent", CT_BOOL, TOP(urgent), "no", 0, 0, RELOAD },
	{ "max_attempts", CT_INT, TOP(max_attempts), "3", 1, 20, RELOAD },
	{ "retry_backoff", CT_DURATION, TOP(retry_backoff_ms), "2h", 1000, 604800000, RELOAD },
	{ "calendar", CT_STR, TOP(calendar_name), "", 0, 0, RELOAD },
	{ "warn_at", CT_WARN, TOP(warn_at), "0.5, 0.75, 0.9", 0, 0, RELOAD },
	{ NULL, 0, 0, 0, NULL, 0, 0, RESTART }
};

static const struct ckey site_keys[] = {
	{ "calendar", CT_STR, SIT(calendar_name), NULL, 0, 0, RELOAD },
	{ NULL, 0, 0, 0, NULL, 0, 0, RESTART }
};

/* Weekday keys land in week[0..6] (0 = Sunday); the offset is the day. */
static const struct ckey calendar_keys[] = {
	{ "timezone", CT_TZ, CAL(timezone), "Europe/Berlin", 0, 0, RELOAD },
	{ "state", CT_STATE, CAL(state), "", 0, 0, RELOAD },
	{ "sun", CT_HOURS, 0, 0, NULL, 0, 0, RELOAD },
	{ "mon", CT_HOURS, 1, 0, NULL, 0, 0, RELOAD },
	{ "tue", CT_HOURS, 2, 0, NULL, 0, 0, RELOAD },
	{ "wed", CT_HOURS, 3, 0, NULL, 0, 0, RELOAD },
	{ "thu", CT_HOURS, 4, 0, NULL, 0, 0, RELOAD },
	{ "fri", CT_HOURS, 5, 0, NULL, 0, 0, RELOAD },
	{ "sat", CT_HOURS, 6, 0, NULL, 0, 0, RELOAD },
	{ "closed", CT_DATES, 0, 0, NULL, 0, 0, RELOAD },
	{ NULL, 0, 0, 0, NULL, 0, 0, RESTART }
};

/* A [section] header as the file has it, and the line it is on: inih
 * tells neither, and errors about a whole section (empty, given twice,
 * missing a key) name its line. */
struct section_line {
	char name[CBD_IDENT_MAX + 16];
	int line;
	int nkeys;
};

/* A key as given in a section, to find it given twice. */
struct given_key {
	int section; /* index into sections */
	char name[32];
	int line;
};

struct parse {
	struct config *cfg;
	char err[256]; /* first error, without file and line */
	/* what the reader saw: the line being parsed and whether it goes on
	 * the value before it (an indented continuation) */
	int line;
	int in_line; /* the last piece read did not end the line */
	int continuation;
	int had_key; /* a key since the last header: inih's prev_name */
	struct section_line *sections;
	int nsections;
	struct given_key *keys;
	int nkeys;
	/* where the text comes from: a file or a string */
	FILE *file;
	const char *text;
};

/* Appends ",item" (or item, to an empty list) to the list in dst of size
 * bytes; -1 when it does not fit. */
static int
append_item(char *dst, size_t size, const char *item, size_t len)
{
	size_t used = strlen(dst), comma = used > 0;

	if (used + comma + len + 1 > size)
		return -1;
	if (comma)
		dst[used++] = ',';
	memcpy(dst + used, item, len);
	dst[used + len] = '\0';
	return 0;
}

static int
days_in_month(int y, int m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return days[m - 1];
}

/* host:port or [v6]:port, into host and port. */
static int
host_port(const char *val, char *host, size_t hostsize, int *port, char *why,
    size_t whylen)
{
	const char *colon = strrchr(val, ':');
	const char *h = val;
	char *end;
	size_t hl;
	long p;

	if (!colon)
		goto bad;
	hl = (size_t)(colon - val);
	if (*h == '[') {
		if (hl < 3 || val[hl - 1] != ']')
			goto bad;
		h++;
		hl -= 2;
	}
	if (hl == 0 || hl >= hostsize)
		goto bad;
	errno = 0;
	p = strtol(colon + 1, &end, 10);
	if (errno || end == colon + 1 || *end || p < 0 || p > 65535)
		goto bad;
	memcpy(host, h, hl);
	host[hl] = '\0';
	*port = (int)p;
	return 0;
bad:
	snprintf(why, whylen, "'%s' is not host:port (IPv6 as [::1]:8080)", val);
	return -1;
}

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
			    used != 10 || mo < 1 || mo > 12 || d < 1 ||
			    d > days_in_month(y, mo)) {
				snprintf(why, whylen, "'%s' is not a list of dates "
				    "(YYYY-MM-DD, comma separated, each a day of "
				    "the calendar)", val);
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
	case CT_LANGS: {
		/* "de, en, tr": primary tags, any case; repeats count once */
		struct config *c = base;
		const char *p = val;
		char tag[CBD_LANGUAGE_MAX + 1];
		char prim[CBD_PRIMARY_LANGUAGE_MAX + 1];
		size_t nl = 0, len, i;

		c->nlanguages = 0;
		while (*p) {
			len = strcspn(p, ", ");
			if (len < sizeof(tag)) {
				memcpy(tag, p, len);
				tag[len] = '\0';
			}
			/* a tag that is its own primary subtag: no regions */
			if (len >= sizeof(tag) ||
			    !validate_language(tag, prim) || strlen(prim) != len) {
				snprintf(why, whylen, "'%.*s' is not a language: "
				    "list primary tags of 2 or 3 letters (e.g. "
				    "de, en, tr)", (int)(len > 16 ? 16 : len), p);
				return -1;
			}
			for (i = 0; i < nl && strcmp(c->languages[i], prim); i++)
				;
			if (i == nl) {
				if (nl == CBD_LANGUAGES_MAX) {
					snprintf(why, whylen, "more than %d languages",
					    CBD_LANGUAGES_MAX);
					return -1;
				}
				strcpy(c->languages[nl++], prim);
			}
			p += len;
			while (*p == ' ' || *p == ',')
				p++;
		}
		if (nl == 0) {
			snprintf(why, whylen, "list at least one language (e.g. de)");
			return -1;
		}
		c->nlanguages = nl;
		return 0;
	}
	case CT_PREFIXES: {
		/* "default, +4932": the built-in list and the agency's own;
		 * "none" alone: nothing is refused */
		const char *p = val;
		size_t len, i;
		int full = 0;

		dst[0] = '\0';
		if (!strcmp(val, "none"))
			return 0;
		while (*p && !full) {
			len = strcspn(p, ", ");
			if (len == 7 && !strncmp(p, "default", 7)) {
				for (i = 0; phone_not_dialable_default[i] && !full; i++)
					full = append_item(dst, k->size,
					    phone_not_dialable_default[i],
					    strlen(phone_not_dialable_default[i]));
			} else {
				for (i = 1; i < len && isdigit((unsigned char)p[i]); i++)
					;
				if (p[0] != '+' || len < 2 || len > CBD_PHONE_MAX - 1 ||
				    i != len) {
					snprintf(why, whylen, "'%.*s' is not an E.164 "
					    "prefix such as +49900 (or default, or none "
					    "alone)", (int)(len > 20 ? 20 : len), p);
					return -1;
				}
				full = append_item(dst, k->size, p, len);
			}
			p += len;
			while (*p == ' ' || *p == ',')
				p++;
		}
		if (full) {
			snprintf(why, whylen, "longer than %zu characters", k->size - 1);
			return -1;
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
		struct config *c = base;

		return host_port(val, c->listen_host, sizeof(c->listen_host),
		    &c->listen_port, why, whylen);
	}
	case CT_LISTEN_OPT: {
		/* metrics_listen: empty, or host:port as listen */
		struct config *c = base;

		if (!*val) {
			c->metrics_host[0] = '\0';
			c->metrics_port = 0;
			return 0;
		}
		return host_port(val, c->metrics_host, sizeof(c->metrics_host),
		    &c->metrics_port, why, whylen);
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

/* Notes a key of the current section; -1 (and the error) when the
 * section has it already: the last would win unseen ("country_code = 49"
 * then "41" stored +41 numbers). */
static int
key_given(struct parse *p, const char *name)
{
	struct given_key *grown;
	int i, sec = p->nsections - 1;

	if (sec < 0) /* inih saw a header this reader did not: say so */
		return snprintf(p->err, sizeof(p->err), "%s: not inside a "
		    "[section] this parser can place", name), -1;

	for (i = 0; i < p->nkeys; i++)
		if (p->keys[i].section == sec && !strcmp(p->keys[i].name, name)) {
			snprintf(p->err, sizeof(p->err), "%s: given twice in [%s] "
			    "(first on line %d)", name, p->sections[sec].name,
			    p->keys[i].line);
			return -1;
		}
	if (!(grown = realloc(p->keys, (p->nkeys + 1) * sizeof(*grown)))) {
		snprintf(p->err, sizeof(p->err), "%s: out of memory", name);
		return -1;
	}
	p->keys = grown;
	grown[p->nkeys].section = sec;
	snprintf(grown[p->nkeys].name, sizeof(grown[0].name), "%s", name);
	grown[p->nkeys++].line = p->line;
	p->had_key = 1;
	if (sec >= 0)
		p->sections[sec].nkeys++;
	return 0;
}

/* Notes a "[name]" header line; -1 (and the error) for a section given
 * twice, which would merge into the first unseen. */
static int
section_seen(struct parse *p, const char *line)
{
	struct section_line *grown, *sec;
	const char *end;
	size_t n;
	int i;

	/* as inih reads a header: after a UTF-8 BOM on the first line, and
	 * after any white space isspace() knows (a \v too) */
	if (p->line == 1 && !strncmp(line, "\xEF\xBB\xBF", 3))
		line += 3;
	while (isspace((unsigned char)*line))
		line++;
	if (*line != '[' || !(end = strchr(line, ']')))
		return 0; /* not a header: inih says what is wrong with it */
	if (!(grown = realloc(p->sections, (p->nsections + 1) * sizeof(*grown))))
		return -1;
	p->sections = grown;
	sec = &grown[p->nsections];
	n = (size_t)(end - line - 1);
	if (n >= sizeof(sec->name))
		n = sizeof(sec->name) - 1;
	memcpy(sec->name, line + 1, n);
	sec->name[n] = '\0';
	sec->line = p->line;
	sec->nkeys = 0;
	p->had_key = 0;
	for (i = 0; i < p->nsections; i++)
		if (!strcmp(grown[i].name, sec->name)) {
			snprintf(p->err, sizeof(p->err), "[%s]: given twice (first on "
			    "line %d); keep one section per name", sec->name,
			    grown[i].line);
			return -1;
		}
	p->nsections++;
	return 0;
}

/* inih's reader: one line at a time, from the file or the string, with
 * the line count and the section headers that inih does not pass on. */
static char *
read_line(char *buf, int size, void *stream)
{
	struct parse *p = stream;
	int n = 0, start;

	if (p->err[0])
		return NULL; /* stop at the first error: inih has its line */
	if (p->file) {
		if (!fgets(buf, size, p->file))
			return NULL;
	} else {
		if (!*p->text)
			return NULL;
		while (n < size - 1 && p->text[n] && p->text[n] != '\n')
			n++;
		if (p->text[n] == '\n' && n < size - 1)
			n++;
		memcpy(buf, p->text, (size_t)n);
		buf[n] = '\0';
		p->text += n;
	}
	/* a line longer than inih's buffer comes in pieces: count it once */
	start = !p->in_line;
	if (start) {
		p->line++;
		/* inih takes an indented line after a key as more of its
		 * value, a header or not */
		p->continuation = isspace((unsigned char)buf[0]) && p->had_key;
	}
	n = (int)strlen(buf);
	p->in_line = n > 0 && buf[n - 1] != '\n';
	if (start && !p->continuation && section_seen(p, buf) == -1) {
		/* inih stops at the next line it cannot parse: hand it one */
		if (!p->err[0])
			snprintf(p->err, sizeof(p->err), "out of memory");
		snprintf(buf, (size_t)size, "%s", "=\n");
	}
	return buf;
}

/* The line of the section a check_whole reason names ("[site bar]: ..."),
 * or 0. */
static int
section_line_of(const struct parse *p, const char *why)
{
	const char *end = strchr(why, ']');
	int i;

	if (why[0] != '[' || !end)
		return 0;
	for (i = 0; i < p->nsections; i++)
		if (strlen(p->sections[i].name) == (size_t)(end - why - 1) &&
		    !strncmp(p->sections[i].name, why + 1, (size_t)(end - why - 1)))
			return p->sections[i].line;
	return 0;
}

/* Sites, topics and calendars are made by their keys: a section without
 * any would not exist at all. */
static int
check_empty_sections(const struct parse *p, char *why, size_t whylen,
    int *line)
{
	static const struct {
		const char *kind, *missing;
	} kinds[] = {
		{ "site ", "calendar is missing" },
		{ "topic ", "target is missing" },
		{ "calendar ", "no opening hours (mon = 08:00-16:00, ...)" },
	};
	size_t k;
	int i;

	for (i = 0; i < p->nsections; i++)
		for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
			if (!p->sections[i].nkeys && !strncmp(p->sections[i].name,
			    kinds[k].kind, strlen(kinds[k].kind))) {
				snprintf(why, whylen, "[%s]: empty section: %s",
				    p->sections[i].name, kinds[k].missing);
				*line = p->sections[i].line;
				return -1;
			}
	return 0;
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
	if (!p->continuation && key_given(p, name) == -1)
		return 0;
	if (set_value(k, base, value, why, sizeof(why)) == -1) {
		snprintf(p->err, sizeof(p->err), "%s: %s", name, why);
		return 0;
	}
	if (k->type == CT_LISTEN)
		p->cfg->listen_line = p->line;
	if (k->type == CT_LISTEN_OPT)
		p->cfg->metrics_line = p->line;
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

/* A due time is searched CBD_CALENDAR_HORIZON_DAYS ahead: a target a
 * calendar does not open long enough for in that time would have no due
 * time at all. Checked from now against half the horizon, so that the
 * requests of the coming months, and their retries, stay inside it. */
static int
check_targets_fit(const struct config *c, char *why, size_t whylen)
{
	const int64_t now = (int64_t)time(NULL) * 1000;
	const int64_t half = CBD_CALENDAR_HORIZON_DAYS / 2 * 86400000LL;
	size_t i, j;

	for (i = 0; i < c->ntopics; i++)
		for (j = 0; j < c->nsites; j++) {
			const struct topic_policy *t = &c->topics[i];
			const struct calendar *cal = config_calendar(t, &c->sites[j]);
			int64_t due = calendar_add(cal, now, t->target_ms);

			if (due == -1 || due - now > half) {
				snprintf(why, whylen, "[topic %s]: target: calendar "
				    "'%s' is not open that long within %d days", t->name,
				    cal->name, CBD_CALENDAR_HORIZON_DAYS / 2);
				return -1;
			}
		}
	return 0;
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
	if (check_targets_fit(c, why, whylen) == -1)
		return -1;
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

/*
 * [redis] password_file: the password, read when the config is, its
 * trailing newline dropped. A file everyone may read is refused: the
 * password would not be a secret. Its content never goes into why.
 */
static int
read_password_file(struct config *c, char *why, size_t whylen)
{
	char buf[sizeof(c->redis_password) + 1];
	struct stat st;
	ssize_t n;
	size_t len;
	int fd;

	if (!c->redis_password_file[0])
		return 0;
	if (c->redis_password[0]) {
		snprintf(why, whylen, "[redis]: password_file: give password or "
		    "password_file, not both");
		return -1;
	}
	if ((fd = open(c->redis_password_file, O_RDONLY | O_CLOEXEC |
	    O_NOCTTY)) == -1 || fstat(fd, &st) == -1) {
		snprintf(why, whylen, "[redis]: password_file: cannot read '%.160s': %s",
		    c->redis_password_file, strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode) || (st.st_mode & S_IROTH)) {
		snprintf(why, whylen, "[redis]: password_file: '%.120s' is %s; "
		    "chmod 0640 it",
		    c->redis_password_file, S_ISREG(st.st_mode) ?
		    "readable by everyone" : "not a regular file");
		close(fd);
		return -1;
	}
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n < 0) {
		snprintf(why, whylen, "[redis]: password_file: cannot read '%.160s': %s",
		    c->redis_password_file, strerror(errno));
		return -1;
	}
	len = (size_t)n;
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		len--;
	if (len == 0 || len >= sizeof(c->redis_password) ||
	    memchr(buf, '\n', len) || memchr(buf, '\0', len)) {
		snprintf(why, whylen, "[redis]: password_file: '%.160s' must hold one "
		    "line of 1 to %zu characters", c->redis_password_file,
		    sizeof(c->redis_password) - 1);
		explicit_bzero(buf, sizeof(buf));
		return -1;
	}
	memcpy(c->redis_password, buf, len);
	c->redis_password[len] = '\0';
	explicit_bzero(buf, sizeof(buf));
	return 0;
}

/* Reads the file at path or, with text, that text named path. */
static int
load(const char *path, const char *text, struct config *c, char *err,
    size_t errlen)
{
	struct parse p;
	char why[256];
	int line, rc;

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
	if (text)
		p.text = text;
	else if (!(p.file = fopen(path, "r"))) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	line = ini_parse_stream(read_line, &p, on_key, &p);
	if (p.file)
		fclose(p.file);
	rc = -1;
	if (line == -2)
		snprintf(err, errlen, "%s: out of memory", path);
	else if (line > 0 || p.err[0])
		snprintf(err, errlen, "%s:%d: %s", path, line > 0 ? line : p.line,
		    p.err[0] ? p.err : "syntax error (expected [section] or key = value)");
	else if (check_empty_sections(&p, why, sizeof(why), &line) == -1)
		snprintf(err, errlen, "%s:%d: %s", path, line, why);
	else if (check_whole(c, why, sizeof(why)) == -1 ||
	    read_password_file(c, why, sizeof(why)) == -1) {
		if ((line = section_line_of(&p, why)) > 0)
			snprintf(err, errlen, "%s:%d: %s", path, line, why);
		else
			snprintf(err, errlen, "%s: %s", path, why);
	} else
		rc = 0;
	free(p.sections);
	free(p.keys);
	return rc;
}

static int
check_address(const struct config *c, const char *key, const char *host,
    int port_n, int line, char *err, size_t errlen)
{
	struct addrinfo hints, *res = NULL;
	char port[8], where[16] = "";
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	snprintf(port, sizeof(port), "%d", port_n);
	if ((rc = getaddrinfo(host, port, &hints, &res)) == 0) {
		freeaddrinfo(res);
		return 0;
	}
	if (line)
		snprintf(where, sizeof(where), ":%d", line);
	snprintf(err, errlen, "%s%s: %s: cannot resolve '%s': %s", c->path,
	    where, key, host, gai_strerror(rc));
	return -1;
}

int
config_check_listen(const struct config *c, char *err, size_t errlen)
{
	if (check_address(c, "listen", c->listen_host, c->listen_port,
	    c->listen_line, err, errlen) == -1)
		return -1;
	if (!c->metrics_host[0])
		return 0;
	if (!strcmp(c->metrics_host, c->listen_host) &&
	    c->metrics_port == c->listen_port) {
		snprintf(err, errlen, "%s:%d: metrics_listen: the same address as "
		    "listen; leave it out to serve /metrics there", c->path,
		    c->metrics_line);
		return -1;
	}
	return check_address(c, "metrics_listen", c->metrics_host,
	    c->metrics_port, c->metrics_line, err, errlen);
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

/* Appends name to the comma separated list in buf. */
static void
list_add(char *buf, size_t len, const char *name)
{
	size_t used = strlen(buf);

	snprintf(buf + used, len - used, "%s%s", used ? ", " : "", name);
}

int
config_reload_keys(const struct config *now, struct config *next,
    char *applied, size_t alen, char *waiting, size_t wlen)
{
	static const struct ckey *const tables[] = {
		daemon_keys, postgres_keys, redis_keys, alerts_keys
	};
	const struct ckey *k;
	size_t i;
	int n = 0;

	applied[0] = waiting[0] = '\0';
	for (i = 0; i < sizeof(tables) / sizeof(tables[0]); i++)
		for (k = tables[i]; k->name; k++) {
			const char *a = (const char *)now + k->off;
			char *b = (char *)next + k->off;
			int differs = memcmp(a, b, k->size) != 0;

			/* listen's port and the count of languages sit beside
			 * the field the row names */
			if (k->type == CT_LISTEN && now->listen_port != next->listen_port)
				differs = 1;
			if (k->type == CT_LISTEN_OPT &&
			    now->metrics_port != next->metrics_port)
				differs = 1;
			if (k->type == CT_LANGS && now->nlanguages != next->nlanguages)
				differs = 1;
			if (!differs)
				continue;
			if (k->reload == RELOAD) {
				list_add(applied, alen, k->name);
				continue;
			}
			list_add(waiting, wlen, k->name);
			n++;
			memcpy(b, a, k->size);
			if (k->type == CT_LISTEN)
				next->listen_port = now->listen_port;
			if (k->type == CT_LISTEN_OPT)
				next->metrics_port = now->metrics_port;
		}
	return n;
}

void
config_print_keys(FILE *f)
{
	static const struct {
		const char *section;
		const struct ckey *keys;
	} sections[] = {
		{ "daemon", daemon_keys }, { "postgres", postgres_keys },
		{ "redis", redis_keys }, { "alerts", alerts_keys },
		{ "topic NAME", topic_keys }, { "site NAME", site_keys },
		{ "calendar NAME", calendar_keys },
	};
	const struct ckey *k;
	size_t i;

	for (i = 0; i < sizeof(sections) / sizeof(sections[0]); i++)
		for (k = sections[i].keys; k->name; k++)
			fprintf(f, "[%s]\t%s\t%s\t%s\n", sections[i].section, k->name,
			    k->def ? k->def : "(required)",
			    k->reload == RELOAD ? "reload" : "restart");
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

int
config_language(const struct config *c, const char *primary)
{
	size_t i;

	if (c->nlanguages == 0)
		return 1;
	for (i = 0; i < c->nlanguages; i++)
		if (!strcmp(c->languages[i], primary))
			return 1;
	return 0;
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
