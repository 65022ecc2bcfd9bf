/*
 * config_keys.c owns the key table: each key of each section with its
 * type, default, bounds, where it lands and whether a reload applies it
 * (pgbouncer's table, in our words), how a value is parsed, and what a
 * reload takes from the new file. It reads no file; config.c does.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_int.h"
#include "phone.h"
#include "timefmt.h"
#include "ident.h"

#define CFG(f) offsetof(struct config, f), sizeof(((struct config *)0)->f)
#define TOP(f) \
	offsetof(struct topic_policy, f), sizeof(((struct topic_policy *)0)->f)
#define SIT(f) offsetof(struct site, f), sizeof(((struct site *)0)->f)
#define CAL(f) offsetof(struct calendar, f), sizeof(((struct calendar *)0)->f)

/* clang-format off */
const struct ckey daemon_keys[] = {
	{ "listen", CT_LISTEN, CFG(listen_host), "127.0.0.1:8080", 0, 0, RESTART },
	{ "metrics_listen", CT_LISTEN_OPT, CFG(metrics_host), "", 0, 0, RESTART },
	{ "country_code", CT_COUNTRY, CFG(country_code), "49", 0, 0, RELOAD },
	{ "max_body", CT_INT, CFG(max_body), CBD_MAX_BODY_DEFAULT, 256, CBD_MAX_BODY_HARD, RESTART },
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
	{ "tls_cert", CT_STR, CFG(tls_cert), "", 0, 0, RELOAD },
	{ "tls_key", CT_STR, CFG(tls_key), "", 0, 0, RELOAD },
	{ "language_names", CT_LANGNAMES, CFG(language_name), "", 0, 0, RELOAD },
	{ NULL, 0, 0, 0, NULL, 0, 0, RESTART }
};

const struct ckey postgres_keys[] = {
	{ "conninfo", CT_STR, CFG(pg_conninfo), "dbname=callbackd", 0, 0, RESTART },
	{ "pool_size", CT_INT, CFG(pg_pool_size), "4", 1, 64, RESTART },
	{ "statement_timeout", CT_DURATION, CFG(pg_statement_timeout_ms), "5s",
	  10, 3600000, RESTART },
	{ "lock_timeout", CT_DURATION, CFG(pg_lock_timeout_ms), "3s", 0, 3600000, RESTART },
	{ NULL, 0, 0, 0, NULL, 0, 0, RESTART }
};

const struct ckey redis_keys[] = {
	{ "host", CT_STR, CFG(redis_host), "127.0.0.1", 0, 0, RESTART },
	{ "port", CT_INT, CFG(redis_port), "6379", 1, 65535, RESTART },
	{ "password", CT_STR, CFG(redis_password), "", 0, 0, RESTART },
	{ "password_file", CT_STR, CFG(redis_password_file), "", 0, 0, RESTART },
	{ "db", CT_INT, CFG(redis_db), "0", 0, 15, RESTART },
	{ "key_prefix", CT_STR, CFG(key_prefix), "cbd:", 0, 0, RESTART },
	{ "index_check", CT_DURATION, CFG(index_check_ms), "1s", 10, 3600000, RESTART },
	{ "timeout", CT_DURATION, CFG(redis_timeout_ms), "2s", 10, 3600000, RESTART },
	{ "sentinels", CT_SENTINELS, CFG(redis_sentinels), "", 0, 0, RESTART },
	{ "master_name", CT_STR, CFG(redis_master_name), "", 0, 0, RESTART },
	{ "sentinel_password_file", CT_STR, CFG(sentinel_password_file), "", 0, 0,
	  RESTART },
	{ NULL, 0, 0, 0, NULL, 0, 0, RESTART }
};

const struct ckey alerts_keys[] = {
	{ "transport", CT_STR, CFG(alert_transport), "local", 0, 0, RESTART },
	{ "host", CT_STR, CFG(alert_host), "127.0.0.1", 0, 0, RESTART },
	{ "port", CT_INT, CFG(alert_port), "514", 1, 65535, RESTART },
	{ "socket", CT_STR, CFG(alert_socket), "/dev/log", 0, 0, RESTART },
	{ "hostname", CT_STR, CFG(alert_hostname), "", 0, 0, RESTART },
	{ "webhook", CT_STR, CFG(alert_webhook), "", 0, 0, RESTART },
	{ "webhook_timeout", CT_DURATION, CFG(alert_webhook_timeout_ms), "5s", 100, 60000, RESTART },
	{ NULL, 0, 0, 0, NULL, 0, 0, RESTART }
};

const struct ckey topic_keys[] = {
	{ "target", CT_TARGET, TOP(target_ms), NULL, 1000, CBD_TARGET_MAX_MS, RELOAD },
	{ "urgent_target", CT_TARGET, TOP(urgent_target_ms), "0", 0, CBD_TARGET_MAX_MS, RELOAD },
	{ "urgent", CT_BOOL, TOP(urgent), "no", 0, 0, RELOAD },
	{ "max_attempts", CT_INT, TOP(max_attempts), "3", 1, 20, RELOAD },
	{ "retry_backoff", CT_DURATION, TOP(retry_backoff_ms), "2h", 1000, 604800000, RELOAD },
	{ "calendar", CT_STR, TOP(calendar_name), "", 0, 0, RELOAD },
	{ "warn_at", CT_WARN, TOP(warn_at), "0.5, 0.75, 0.9", 0, 0, RELOAD },
	{ "label", CT_LABEL, TOP(label), "", 0, 0, RELOAD },
	{ "label_en", CT_LABEL, TOP(label_en), "", 0, 0, RELOAD },
	{ NULL, 0, 0, 0, NULL, 0, 0, RESTART }
};

const struct ckey site_keys[] = {
	{ "calendar", CT_STR, SIT(calendar_name), NULL, 0, 0, RELOAD },
	{ "label", CT_LABEL, SIT(label), "", 0, 0, RELOAD },
	{ "label_en", CT_LABEL, SIT(label_en), "", 0, 0, RELOAD },
	{ NULL, 0, 0, 0, NULL, 0, 0, RESTART }
};

/* Weekday keys land in week[0..6] (0 = Sunday); the offset is the day. */
const struct ckey calendar_keys[] = {
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
/* clang-format on */

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
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30,
		31 };

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
	snprintf(why, whylen, "'%s' is not host:port (IPv6 as [::1]:8080)",
	    val);
	return -1;
}

int
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
			snprintf(why, whylen,
			    "'%s' is not a number from %lld to %lld", val,
			    (long long)k->min, (long long)k->max);
			return -1;
		}
		memcpy(dst, &n, sizeof(n));
		return 0;
	case CT_DURATION:
		if (duration_parse(val, &n) == -1) {
			snprintf(why, whylen,
			    "'%s' is not a duration (e.g. 48h, 90m, 30s, 500ms)",
			    val);
			return -1;
		}
		if (n < k->min || n > k->max) {
			snprintf(why, whylen, "'%s' is out of range", val);
			return -1;
		}
		memcpy(dst, &n, sizeof(n));
		return 0;
	case CT_TARGET: {
		/* open time ("48h", in the range of the row) or working days
		 * ("2 workdays", "1 workday"); the other of the two is 0 */
		struct topic_policy *t = base;
		int *days = k->off == offsetof(struct topic_policy, target_ms) ?
		    &t->target_workdays :
		    &t->urgent_target_workdays;
		long wd;

		if (!strstr(val, "workday")) {
			if (duration_parse(val, &n) == -1) {
				snprintf(why, whylen,
				    "'%s' is neither open time (e.g. "
				    "48h, 90m) nor working days (e.g. 2 workdays)",
				    val);
				return -1;
			}
			if (n < k->min || n > k->max) {
				snprintf(why, whylen, "'%s' is out of range",
				    val);
				return -1;
			}
			memcpy(dst, &n, sizeof(n));
			*days = 0;
			return 0;
		}
		errno = 0;
		wd = strtol(val, &end, 10);
		if (!isdigit((unsigned char)val[0]) || errno || *end != ' ' ||
		    (strcmp(end + 1, "workdays") &&
			strcmp(end + 1, "workday"))) {
			snprintf(why, whylen,
			    "'%s' is not working days: a whole "
			    "number, a space and workdays (e.g. 2 workdays)",
			    val);
			return -1;
		}
		if (wd < 1 || wd > CBD_TARGET_WORKDAYS_MAX) {
			snprintf(why, whylen,
			    "'%s': working days go from 1 to %d", val,
			    CBD_TARGET_WORKDAYS_MAX);
			return -1;
		}
		n = 0;
		memcpy(dst, &n, sizeof(n));
		*days = (int)wd;
		return 0;
	}
	case CT_BOOL: {
		int b;

		if (!strcmp(val, "yes") || !strcmp(val, "true") ||
		    !strcmp(val, "1"))
			b = 1;
		else if (!strcmp(val, "no") || !strcmp(val, "false") ||
		    !strcmp(val, "0"))
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
			if (end == p || f <= last || f >= 1 ||
			    nw == CBD_WARN_MAX) {
				snprintf(why, whylen,
				    "'%s' is not a list of ascending "
				    "fractions between 0 and 1 (e.g. 0.5, 0.75, 0.9)",
				    val);
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
			snprintf(why, whylen,
			    "'%s' is not a time zone this system knows "
			    "(e.g. Europe/Berlin)",
			    val);
			return -1;
		}
		strcpy(dst, val);
		return 0;
	case CT_STATE:
		if (*val && !calendar_state_valid(val)) {
			snprintf(why, whylen,
			    "'%s' is not a German state code (BW, BY, "
			    "BE, BB, HB, HH, HE, MV, NI, NW, RP, SL, SN, ST, SH, TH)",
			    val);
			return -1;
		}
		strcpy(dst, val);
		return 0;
	case CT_HOURS: {
		struct calendar *c = base;
		int ni = calendar_parse_hours(val, c->week[k->off],
		    CBD_DAY_INTERVALS_MAX);

		if (ni < 0) {
			snprintf(why, whylen,
			    "'%s' is not opening hours such as "
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
			if (sscanf(p, "%4d-%2d-%2d%n", &y, &mo, &d, &used) !=
				3 ||
			    used != 10 || mo < 1 || mo > 12 || d < 1 ||
			    d > days_in_month(y, mo)) {
				snprintf(why, whylen,
				    "'%s' is not a list of dates "
				    "(YYYY-MM-DD, comma separated, each a day of "
				    "the calendar)",
				    val);
				return -1;
			}
			if (!(grown = realloc(c->closed,
				  (c->nclosed + 1) * sizeof(*c->closed)))) {
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
			if (len >= sizeof(tag) || !ident_language(tag, prim) ||
			    strlen(prim) != len) {
				snprintf(why, whylen,
				    "'%.*s' is not a language: "
				    "list primary tags of 2 or 3 letters (e.g. "
				    "de, en, tr)",
				    (int)(len > 16 ? 16 : len), p);
				return -1;
			}
			for (i = 0; i < nl && strcmp(c->languages[i], prim);
			     i++)
				;
			if (i == nl) {
				if (nl == CBD_LANGUAGES_MAX) {
					snprintf(why, whylen,
					    "more than %d languages",
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
			snprintf(why, whylen,
			    "list at least one language (e.g. de)");
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
				for (i = 0;
				     phone_not_dialable_default[i] && !full;
				     i++)
					full = append_item(dst, k->size,
					    phone_not_dialable_default[i],
					    strlen(
						phone_not_dialable_default[i]));
			} else {
				for (i = 1;
				     i < len && isdigit((unsigned char)p[i]);
				     i++)
					;
				if (p[0] != '+' || len < 2 ||
				    len > CBD_PHONE_MAX - 1 || i != len) {
					snprintf(why, whylen,
					    "'%.*s' is not an E.164 "
					    "prefix such as +49900 (or default, or none "
					    "alone)",
					    (int)(len > 20 ? 20 : len), p);
					return -1;
				}
				full = append_item(dst, k->size, p, len);
			}
			p += len;
			while (*p == ' ' || *p == ',')
				p++;
		}
		if (full) {
			snprintf(why, whylen, "longer than %zu characters",
			    k->size - 1);
			return -1;
		}
		return 0;
	}
	case CT_LABEL: {
		/* a display name; "" (the default) stands for the identifier */
		const char *fault = *val ? ident_label_fault(val) : NULL;

		if (fault) {
			snprintf(why, whylen, "%s", fault);
			return -1;
		}
		strcpy(dst, val);
		return 0;
	}
	case CT_LANGNAMES: {
		/* "ku: Kurdî, fa: فارسی": a tag, a colon and its name, comma
		 * separated; the tags are checked against languages once the
		 * whole file is read (config.c) */
		struct config *c = base;
		char item[CBD_LABEL_MAX + CBD_PRIMARY_LANGUAGE_MAX + 8];
		char prim[CBD_PRIMARY_LANGUAGE_MAX + 1];
		const char *p = val, *fault;
		char *colon, *name;
		size_t len, nn = 0, i;

		memset(c->language_name, 0, sizeof(c->language_name));
		c->nlanguage_names = 0;
		while (*p) {
			len = strcspn(p, ",");
			if (len >= sizeof(item)) {
				snprintf(why, whylen,
				    "'%.16s...' is longer than %d characters",
				    p, CBD_LABEL_CHARS);
				return -1;
			}
			memcpy(item, p, len);
			item[len] = '\0';
			while (len && item[len - 1] == ' ')
				item[--len] = '\0';
			if (!(colon = strchr(item, ':'))) {
				snprintf(why, whylen,
				    "'%.24s' is not a tag, a colon and a name "
				    "(e.g. ku: Kurdî)",
				    item);
				return -1;
			}
			*colon = '\0';
			for (name = colon + 1; *name == ' '; name++)
				;
			if (!ident_language(item, prim) ||
			    strlen(prim) != strlen(item)) {
				snprintf(why, whylen,
				    "'%.16s' is not a primary language tag "
				    "(e.g. ku)",
				    item);
				return -1;
			}
			if ((fault = ident_label_fault(name))) {
				snprintf(why, whylen, "the name of %s %s", prim,
				    fault);
				return -1;
			}
			for (i = 0; i < nn; i++)
				if (!strcmp(c->language_name[i].tag, prim)) {
					snprintf(why, whylen,
					    "%s is named twice", prim);
					return -1;
				}
			if (nn == CBD_LANGUAGES_MAX) {
				snprintf(why, whylen, "more than %d names",
				    CBD_LANGUAGES_MAX);
				return -1;
			}
			strcpy(c->language_name[nn].tag, prim);
			strcpy(c->language_name[nn++].name, name);
			p += strcspn(p, ",");
			while (*p == ' ' || *p == ',')
				p++;
		}
		c->nlanguage_names = nn;
		return 0;
	}
	case CT_COUNTRY:
		if (!phone_country_code_valid(val)) {
			snprintf(why, whylen,
			    "'%s' is not a country calling code (1 to 3 digits, e.g. 49)",
			    val);
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
	case CT_SENTINELS: {
		/* "10.0.0.1:26379, 10.0.0.2:26379": host:port each, in the
		 * order they are asked */
		struct config *c = base;
		char item[sizeof(c->sentinel[0].host) + 16];
		const char *p = val;
		size_t len, ns = 0;

		if (strlen(val) >= k->size) {
			snprintf(why, whylen, "longer than %zu characters",
			    k->size - 1);
			return -1;
		}
		memset(c->sentinel, 0, sizeof(c->sentinel));
		while (*p) {
			len = strcspn(p, ", ");
			if (ns == CBD_SENTINELS_MAX) {
				snprintf(why, whylen, "more than %d Sentinels",
				    CBD_SENTINELS_MAX);
				return -1;
			}
			if (len >= sizeof(item)) {
				snprintf(why, whylen,
				    "'%.32s...' is not host:port", p);
				return -1;
			}
			memcpy(item, p, len);
			item[len] = '\0';
			if (host_port(item, c->sentinel[ns].host,
				sizeof(c->sentinel[ns].host),
				&c->sentinel[ns].port, why, whylen) == -1)
				return -1;
			if (c->sentinel[ns].port == 0) {
				snprintf(why, whylen,
				    "'%s': port 0 is no Sentinel's", item);
				return -1;
			}
			ns++;
			p += len;
			while (*p == ' ' || *p == ',')
				p++;
		}
		strcpy(dst, val);
		c->nsentinels = ns;
		return 0;
	}
	}
	return -1;
}

const struct ckey *
find_key(const struct ckey *t, const char *name)
{
	for (; t->name; t++)
		if (!strcmp(t->name, name))
			return t;
	return NULL;
}

int
apply_defaults(const struct ckey *t, void *base)
{
	char why[128];

	for (; t->name; t++)
		if (t->def &&
		    set_value(t, base, t->def, why, sizeof(why)) == -1)
			return -1;
	return 0;
}

/* Appends name to the comma separated list in buf. */
static void
list_add(char *buf, size_t len, const char *name)
{
	size_t used = strlen(buf);

	snprintf(buf + used, len - used, "%s%s", used ? ", " : "", name);
}

int
config_reload_keys(const struct config *now, struct config *next, char *applied,
    size_t alen, char *waiting, size_t wlen)
{
	static const struct ckey *const tables[] = { daemon_keys, postgres_keys,
		redis_keys, alerts_keys };
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
			if (k->type == CT_LISTEN &&
			    now->listen_port != next->listen_port)
				differs = 1;
			if (k->type == CT_LISTEN_OPT &&
			    now->metrics_port != next->metrics_port)
				differs = 1;
			if (k->type == CT_LANGS &&
			    now->nlanguages != next->nlanguages)
				differs = 1;
			if (k->type == CT_LANGNAMES &&
			    now->nlanguage_names != next->nlanguage_names)
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
			if (k->type == CT_SENTINELS) {
				memcpy(next->sentinel, now->sentinel,
				    sizeof(next->sentinel));
				next->nsentinels = now->nsentinels;
			}
		}
	return n;
}

/* The form a value of type t takes, for --config-keys; NULL for a type
 * without one (test_config checks that none is). */
const char *
config_type_form(enum ctype t)
{
	static const char *const forms[CT_NTYPES] = {
		[CT_STR] = "text",
		[CT_INT] = "number",
		[CT_DURATION] = "duration (48h, 90m, 30s, 500ms)",
		[CT_LISTEN] = "host:port",
		[CT_COUNTRY] = "calling code (49)",
		[CT_BOOL] = "yes or no",
		[CT_WARN] = "fractions (0.5, 0.75, 0.9)",
		[CT_TZ] = "time zone (Europe/Berlin)",
		[CT_STATE] = "state code (NW)",
		[CT_HOURS] = "hours (08:00-12:00, 13:00-16:00) or closed",
		[CT_DATES] = "dates (2026-12-24, 2026-12-31)",
		[CT_LANGS] = "language tags (de, en)",
		[CT_PREFIXES] = "E.164 prefixes (default, +4932) or none",
		[CT_LISTEN_OPT] = "host:port or empty",
		[CT_TARGET] = "open time (2h) or working days (2 workdays)",
		[CT_SENTINELS] =
		    "Sentinel addresses (10.0.0.1:26379, [::1]:26379)",
		[CT_LABEL] =
		    "display name (UTF-8, at most 64 characters; none: the identifier)",
		[CT_LANGNAMES] = "tag: name pairs (ku: Kurdî, fa: فارسی)",
	};

	return (int)t >= 0 && t < CT_NTYPES ? forms[t] : NULL;
}

void
config_print_keys(FILE *f)
{
	static const struct {
		const char *section;
		const struct ckey *keys;
	} sections[] = {
		{ "daemon", daemon_keys },
		{ "postgres", postgres_keys },
		{ "redis", redis_keys },
		{ "alerts", alerts_keys },
		{ "topic NAME", topic_keys },
		{ "site NAME", site_keys },
		{ "calendar NAME", calendar_keys },
	};
	const struct ckey *k;
	size_t i;

	for (i = 0; i < sizeof(sections) / sizeof(sections[0]); i++)
		for (k = sections[i].keys; k->name; k++)
			fprintf(f, "[%s]\t%s\t%s\t%s\t%s\n",
			    sections[i].section, k->name,
			    k->def ? k->def : "(required)",
			    k->reload == RELOAD ? "reload" : "restart",
			    config_type_form(k->type) ?
				config_type_form(k->type) :
				"?");
}
