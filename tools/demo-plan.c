/*
 * demo-plan: the daemon's own SLA arithmetic (config.c, calendar.c, sla.c
 * from libcore) on a line protocol, for tools/demo-data, which writes a
 * month of history through the daemon's SQL functions and needs the due
 * times, warnings and retry times the daemon would have computed for it.
 * It owns only reading commands and writing answers: every rule stays in
 * libcore, and it never touches PostgreSQL, Redis or the network.
 *
 * One command a line on stdin, one JSON answer a line on stdout (flushed):
 *   config                          the sites (with whether their calendar
 *                                   is 24x7), topics, languages, lease and
 *                                   conninfo of the file
 *   plan SITE TOPIC URGENT MS       {"due_at", "warn": [[fraction, ms]]}
 *                                   of a request made at MS (URGENT 0 or 1)
 *   retry SITE TOPIC UNANSWERED MS  {"not_before", "max_attempts"} after an
 *                                   unanswered attempt at MS
 *   open SITE TOPIC MS              {"next_open"}: the first open moment
 *                                   of the calendar at or after MS
 * A command it cannot answer gets {"error": "..."}.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "calendar.h"
#include "config.h"
#include "sla.h"

static void
answer(json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(6));

	printf("%s\n", s ? s : "{\"error\":\"out of memory\"}");
	fflush(stdout);
	free(s);
	json_decref(j);
}

static json_t *
error(const char *why)
{
	return json_pack("{ss}", "error", why);
}

static json_t *
config_json(const struct config *c)
{
	json_t *sites = json_array(), *topics = json_array(),
	       *langs = json_array();
	size_t i;

	for (i = 0; i < c->nsites; i++)
		json_array_append_new(sites,
		    json_pack("{sssb}", "name", c->sites[i].name, "always",
			c->sites[i].calendar && c->sites[i].calendar->always));
	for (i = 0; i < c->ntopics; i++)
		json_array_append_new(topics,
		    json_pack("{sssbsI}", "name", c->topics[i].name, "urgent",
			c->topics[i].urgent, "max_attempts",
			(json_int_t)c->topics[i].max_attempts));
	for (i = 0; i < c->nlanguages; i++)
		json_array_append_new(langs, json_string(c->languages[i]));
	return json_pack("{sosososIss}", "sites", sites, "topics", topics,
	    "languages", langs, "lease_ms", (json_int_t)c->lease_ms, "conninfo",
	    c->pg_conninfo);
}

static json_t *
command(const struct config *c, char *line)
{
	char verb[16], site[CBD_IDENT_MAX + 1], topic[CBD_IDENT_MAX + 1];
	const struct topic_policy *t;
	const struct site *s;
	const struct calendar *cal;
	long long n, ms;
	struct sla_plan p;
	json_t *warn;
	int i;

	if (sscanf(line, "%15s", verb) != 1)
		return error("empty command");
	if (!strcmp(verb, "config"))
		return config_json(c);
	if (strcmp(verb, "open") && strcmp(verb, "plan") &&
	    strcmp(verb, "retry"))
		return error("unknown command");
	if (!strcmp(verb, "open")) {
		n = 0;
		if (sscanf(line, "%*s %64s %64s %lld", site, topic, &ms) != 3)
			return error("usage: open SITE TOPIC MS");
	} else if (sscanf(line, "%*s %64s %64s %lld %lld", site, topic, &n,
		       &ms) != 4)
		return error("usage: plan|retry SITE TOPIC N MS");
	if (!(t = config_topic(c, topic)) || !(s = config_site(c, site)))
		return error("no such site or topic in the config");
	cal = config_calendar(t, s);
	if (!strcmp(verb, "open"))
		return json_pack("{sI}", "next_open",
		    (json_int_t)calendar_next_open(cal, ms));
	if (!strcmp(verb, "retry"))
		return json_pack("{sIsI}", "not_before",
		    (json_int_t)sla_retry_at(t, cal, (int)n, ms),
		    "max_attempts", (json_int_t)t->max_attempts);
	/* as the daemon plans a request: urgent by the request or the topic */
	sla_plan(t, cal, n != 0 || t->urgent, ms, &p);
	warn = json_array();
	for (i = 0; i < p.nwarn; i++)
		json_array_append_new(warn,
		    json_pack("[fI]", p.warn_frac[i],
			(json_int_t)p.warn_at[i]));
	return json_pack("{sIso}", "due_at", (json_int_t)p.due_at, "warn",
	    warn);
}

int
main(int argc, char **argv)
{
	static struct config c;
	char err[512], line[512];

	if (argc != 2) {
		fprintf(stderr, "usage: demo-plan CONFIG <commands\n");
		return 2;
	}
	if (config_load(argv[1], &c, err, sizeof(err)) == -1) {
		fprintf(stderr, "demo-plan: %s\n", err);
		return 1;
	}
	conf = &c;
	while (fgets(line, sizeof(line), stdin))
		answer(command(&c, line));
	config_free(&c);
	return 0;
}
