/*
 * config.c owns reading the configuration file: the reader that counts
 * lines for inih, sections and keys given once, and the lookups the
 * daemon makes; the checks of the whole and the secrets read from files
 * are config_check.c's. Every error names the file, the line and the
 * key; the display names it gives (labels, the languages' own names).
 * The key table itself is config_keys.c's. It opens no socket; only
 * config_check_listen asks the resolver, at start-up.
 */
#include <sys/socket.h>

#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "config.h"
#include "config_int.h"
#include "ident.h"
#include "language.h"

const struct config *conf;

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

	if (!ident_name(name)) {
		snprintf(p->err, sizeof(p->err),
		    "[%s]: name must be 1 to %d characters of a-z, 0-9, _ and -",
		    section, CBD_IDENT_MAX);
		return NULL;
	}
	if (kind[0] == 's')
		return find_or_add((void **)&c->sites, &c->nsites,
		    sizeof(*c->sites), name, &is_new);
	if (kind[0] == 'c') {
		struct calendar *cal;

		if (!strcmp(name, "24x7")) {
			snprintf(p->err, sizeof(p->err),
			    "[%s]: 24x7 is built in", section);
			return NULL;
		}
		cal = find_or_add((void **)&c->calendars, &c->ncalendars,
		    sizeof(*c->calendars), name, &is_new);
		if (cal && is_new)
			apply_defaults(calendar_keys, cal);
		return cal;
	}
	t = find_or_add((void **)&c->topics, &c->ntopics, sizeof(*c->topics),
	    name, &is_new);
	if (t && is_new) {
		t->target_ms =
		    -1; /* required: missing until the file sets it */
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
		return snprintf(p->err, sizeof(p->err),
			   "%s: not inside a "
			   "[section] this parser can place",
			   name),
		       -1;

	for (i = 0; i < p->nkeys; i++)
		if (p->keys[i].section == sec &&
		    !strcmp(p->keys[i].name, name)) {
			snprintf(p->err, sizeof(p->err),
			    "%s: given twice in [%s] "
			    "(first on line %d)",
			    name, p->sections[sec].name, p->keys[i].line);
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
	if (!(grown = realloc(p->sections,
		  (p->nsections + 1) * sizeof(*grown))))
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
			snprintf(p->err, sizeof(p->err),
			    "[%s]: given twice (first on "
			    "line %d); keep one section per name",
			    sec->name, grown[i].line);
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
		    !strncmp(p->sections[i].name, why + 1,
			(size_t)(end - why - 1)))
			return p->sections[i].line;
	return 0;
}

/* Sites, topics and calendars are made by their keys: a section without
 * any would not exist at all. */
static int
check_empty_sections(const struct parse *p, char *why, size_t whylen, int *line)
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
			if (!p->sections[i].nkeys &&
			    !strncmp(p->sections[i].name, kinds[k].kind,
				strlen(kinds[k].kind))) {
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
	if (table == daemon_keys && !strcmp(k->name, "tls_cert"))
		p->cfg->tls_cert_line = p->line;
	if (table == daemon_keys && !strcmp(k->name, "tls_key"))
		p->cfg->tls_key_line = p->line;
	return 1;
fail:
	if (!p->err[0])
		snprintf(p->err, sizeof(p->err), "%s: out of memory", name);
	return 0;
}

/* Whether the file gives key in [section]. */
static int
key_in_file(const struct parse *p, const char *section, const char *key)
{
	int i;

	for (i = 0; i < p->nkeys; i++)
		if (!strcmp(p->sections[p->keys[i].section].name, section) &&
		    !strcmp(p->keys[i].name, key))
			return p->keys[i].line;
	return 0;
}

/* [redis] with sentinels: the master is found by its name, and not also
 * given by host and port (which of the two would be meant?). */
static int
check_sentinels(const struct parse *p, const struct config *c, char *why,
    size_t whylen, int *line)
{
	static const char *const direct[] = { "host", "port" };
	size_t i;

	if (!c->nsentinels)
		return 0;
	*line = key_in_file(p, "redis", "sentinels");
	if (!c->redis_master_name[0]) {
		snprintf(why, whylen,
		    "sentinels: master_name is missing (the "
		    "name the Sentinels monitor the master by)");
		return -1;
	}
	for (i = 0; i < sizeof(direct) / sizeof(direct[0]); i++)
		if ((*line = key_in_file(p, "redis", direct[i]))) {
			snprintf(why, whylen,
			    "%s: give sentinels or host and port, "
			    "not both",
			    direct[i]);
			return -1;
		}
	return 0;
}

/* [daemon] language_names names only languages the config lists: a name
 * for another is a typo, or a language left out of languages. */
static int
check_language_names(const struct parse *p, const struct config *c, char *why,
    size_t whylen, int *line)
{
	size_t i;

	for (i = 0; i < c->nlanguage_names; i++)
		if (!config_language(c, c->language_name[i].tag)) {
			*line = key_in_file(p, "daemon", "language_names");
			snprintf(why, whylen,
			    "language_names: %s is not in languages",
			    c->language_name[i].tag);
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
	int line, rc;

	memset(c, 0, sizeof(*c));
	memset(&p, 0, sizeof(p));
	p.cfg = c;
	snprintf(c->path, sizeof(c->path), "%s", path);
	if (apply_defaults(daemon_keys, c) == -1 ||
	    apply_defaults(postgres_keys, c) == -1 ||
	    apply_defaults(redis_keys, c) == -1 ||
	    apply_defaults(alerts_keys, c) == -1) {
		snprintf(err, errlen, "%s: built-in defaults are invalid",
		    path);
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
		snprintf(err, errlen, "%s: cannot open: %s", path,
		    strerror(errno));
		return -1;
	}
	line = ini_parse_stream(read_line, &p, on_key, &p);
	if (p.file)
		fclose(p.file);
	rc = -1;
	if (line == -2)
		snprintf(err, errlen, "%s: out of memory", path);
	else if (line > 0 || p.err[0])
		snprintf(err, errlen, "%s:%d: %s", path,
		    line > 0 ? line : p.line,
		    p.err[0] ?
			p.err :
			"syntax error (expected [section] or key = value)");
	else if (check_empty_sections(&p, why, sizeof(why), &line) == -1 ||
	    config_check_tls_pair(c, why, sizeof(why), &line) == -1 ||
	    check_sentinels(&p, c, why, sizeof(why), &line) == -1 ||
	    check_language_names(&p, c, why, sizeof(why), &line) == -1)
		snprintf(err, errlen, "%s:%d: %s", path, line, why);
	else if (config_check_whole(c, why, sizeof(why)) == -1 ||
	    config_read_secrets(c, why, sizeof(why)) == -1) {
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
		snprintf(err, errlen,
		    "%s:%d: metrics_listen: the same address as "
		    "listen; leave it out to serve /metrics there",
		    c->path, c->metrics_line);
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

const char *
config_label(const char *name, const char *label, const char *label_en, int en)
{
	if (en && label_en[0])
		return label_en;
	return label[0] ? label : name;
}

const char *
config_language_name(const struct config *c, const char *primary)
{
	const char *own;
	size_t i;

	for (i = 0; i < c->nlanguage_names; i++)
		if (!strcmp(c->language_name[i].tag, primary))
			return c->language_name[i].name;
	own = language_endonym(primary);
	return own ? own : primary;
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
