/*
 * api_reports.c owns the managers' reports: SLA compliance by group and
 * the list of breaches, as JSON, CSV (RFC 4180) or CSV for German
 * spreadsheets (";" separator, decimal comma, UTF-8 BOM). The numbers come
 * from SQL in sql/ (cbd_report_sla, cbd_report_breaches), the same a BI
 * tool reads; this file only picks the period (plain dates are days of the
 * report's time zone, read by period.c) and the shape, where a CSV puts
 * each site's and topic's label beside its identifier (the JSON keeps
 * identifiers: the pages name them from the session's labels).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "bounds.h"
#include "calendar.h"
#include "config.h"
#include "period.h"
#include "query.h"
#include "store.h"
#include "timefmt.h"

#define REPORT_TZ_DEFAULT "Europe/Berlin"

enum format { F_JSON, F_CSV, F_CSV_EXCEL };

struct report {
	struct api_req *a;
	int breaches;
	enum format format;
	int64_t from, to;
	char groups[128];
	int en; /* lang=en: the CSV's label columns in English */
};

/* The SLA report's group columns, by the group_by word that asks for them. */
static const struct {
	const char *word, *column;
} group_cols[] = {
	{ "site", "site" },
	{ "topic", "topic" },
	{ "day", "day" },
	{ "week", "week" },
	{ "urgency", "urgent" },
};
#define NGROUPS (sizeof(group_cols) / sizeof(group_cols[0]))

/* 0 when column k of an SLA report is a group column nobody asked for. */
static int
wanted(const struct report *r, const char *column)
{
	size_t i;

	if (r->breaches)
		return 1;
	for (i = 0; i < NGROUPS; i++)
		if (!strcmp(group_cols[i].column, column)) {
			char padded[136];
			char word[16];

			snprintf(padded, sizeof(padded), ",%s,", r->groups);
			snprintf(word, sizeof(word), ",%s,",
			    group_cols[i].word);
			return strstr(padded, word) != NULL;
		}
	return 1;
}

static void
csv_cell(FILE *f, const char *v, enum col_kind kind, enum format fmt)
{
	const char *p;

	if (!v)
		return;
	if (kind == COL_BOOL) {
		fputs(v[0] == 't' ? "true" : "false", f);
		return;
	}
	if (kind == COL_NUMBER) {
		for (p = v; *p; p++)
			fputc(*p == '.' && fmt == F_CSV_EXCEL ? ',' : *p, f);
		return;
	}
	if (!strpbrk(v, fmt == F_CSV_EXCEL ? ";\"\r\n" : ",\"\r\n")) {
		fputs(v, f);
		return;
	}
	fputc('"', f);
	for (p = v; *p; p++) {
		if (*p == '"')
			fputc('"', f);
		fputc(*p, f);
	}
	fputc('"', f);
}

/* The display name a CSV puts beside a site or topic column's value (the
 * identifier, which stays in its own column); NULL for other columns. A
 * site or topic the config no longer has is named by its identifier. */
static const char *
label_of(const struct report *r, const char *column, const char *v)
{
	const struct topic_policy *t;
	const struct site *s;

	if (!strcmp(column, "site")) {
		if (v && (s = config_site(conf, v)))
			return config_label(s->name, s->label, s->label_en,
			    r->en);
		return v ? v : "";
	}
	if (!strcmp(column, "topic")) {
		if (v && (t = config_topic(conf, v)))
			return config_label(t->name, t->label, t->label_en,
			    r->en);
		return v ? v : "";
	}
	return NULL;
}

static void
send_csv(struct report *r, const struct table *t)
{
	char sep = r->format == F_CSV_EXCEL ? ';' : ',';
	char name[64], *buf = NULL;
	const char *label;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int i, k, first;

	if (!f) {
		http_store_failed(r->a, STORE_UNAVAILABLE);
		return;
	}
	if (r->format == F_CSV_EXCEL)
		fputs("\xEF\xBB\xBF",
		    f); /* the BOM tells spreadsheets: UTF-8 */
	for (k = 0, first = 1; k < t->ncols; k++) {
		if (!wanted(r, t->names[k]))
			continue;
		if (!first)
			fputc(sep, f);
		first = 0;
		fputs(t->names[k], f);
		if (label_of(r, t->names[k], NULL))
			fprintf(f, "%c%s_label", sep, t->names[k]);
	}
	fputs("\r\n", f);
	for (i = 0; i < t->nrows; i++) {
		for (k = 0, first = 1; k < t->ncols; k++) {
			if (!wanted(r, t->names[k]))
				continue;
			if (!first)
				fputc(sep, f);
			first = 0;
			csv_cell(f, t->cells[i * t->ncols + k], t->kinds[k],
			    r->format);
			if ((label = label_of(r, t->names[k],
				 t->cells[i * t->ncols + k]))) {
				fputc(sep, f);
				csv_cell(f, label, COL_TEXT, r->format);
			}
		}
		fputs("\r\n", f);
	}
	fclose(f);
	snprintf(name, sizeof(name), "callbackd-%s.csv",
	    r->breaches ? "breaches" : "sla");
	http_reply_text(r->a, 200, "text/csv; charset=utf-8", name, buf, len);
	free(buf);
}

static json_t *
json_cell(const char *v, enum col_kind kind)
{
	if (!v)
		return json_null();
	if (kind == COL_BOOL)
		return json_boolean(v[0] == 't');
	if (kind == COL_NUMBER)
		return strchr(v, '.') ? json_real(strtod(v, NULL)) :
					json_integer(strtoll(v, NULL, 10));
	return json_string(v);
}

static void
reported(void *arg, enum store_status st, const struct table *t)
{
	struct report *r = arg;
	char from[CBD_TIME_STR], to[CBD_TIME_STR];
	json_t *rows, *row;
	int i, k;

	if (st == STORE_INVALID) {
		http_error(r->a, 400, "invalid_value", "tz",
		    "unknown time zone");
	} else if (st != STORE_OK) {
		http_store_failed(r->a, st);
	} else if (r->format != F_JSON) {
		send_csv(r, t);
	} else {
		rows = json_array();
		for (i = 0; i < t->nrows; i++) {
			row = json_object();
			for (k = 0; k < t->ncols; k++)
				if (wanted(r, t->names[k]))
					json_object_set_new(row, t->names[k],
					    json_cell(t->cells[i * t->ncols +
							  k],
						t->kinds[k]));
			json_array_append_new(rows, row);
		}
		rfc3339_format(r->from, from, sizeof(from));
		rfc3339_format(r->to, to, sizeof(to));
		http_reply(r->a, 200,
		    json_pack("{s:s,s:s,s:o}", "from", from, "to", to,
			r->breaches ? "breaches" : "rows", rows),
		    NULL);
	}
	free(r);
}

/* from or to: a plain date (a day in tz; to: the end of it) or an RFC 3339
 * time. Returns 1 for a date, 0 for a time or none, -1 when answered. */
static int
time_param(struct api_req *a, const char *name, const char *tz, int64_t *ms)
{
	const char *v = http_query(a, name);
	int kind;

	if (!v)
		return 0;
	if ((kind = period_bound(v, tz, !strcmp(name, "to"), ms)) == -1)
		http_error(a, 400, "invalid_time", name,
		    "%s must be a date "
		    "(YYYY-MM-DD) or an RFC 3339 time",
		    name);
	return kind;
}

/* group_by: comma-separated words (given several times, libevent keeps
 * the first; commas are the documented form). */
static int
groups_param(struct api_req *a, char *out, size_t len)
{
	const char *v = http_query(a, "group_by");
	const char *words[NGROUPS];
	size_t i;

	out[0] = '\0';
	if (!v)
		return 0;
	for (i = 0; i < NGROUPS; i++)
		words[i] = group_cols[i].word;
	if (query_words(v, words, NGROUPS, out, len) == -1) {
		http_error(a, 400, "invalid_value", "group_by",
		    "group_by takes site, topic, day, week and urgency, comma "
		    "separated");
		return -1;
	}
	return 0;
}

static void
report(struct api_req *a, int breaches)
{
	const char *fmt = http_query(a, "format"), *tz = http_query(a, "tz");
	const char *lang = http_query(a, "lang");
	struct report *r = calloc(1, sizeof(*r));
	int from_kind, to_kind = 0;

	if (!r) {
		http_store_failed(a, STORE_UNAVAILABLE);
		return;
	}
	r->a = a;
	r->breaches = breaches;
	r->to = a->received_ms;
	r->from = CBD_NO_TIME;
	if (tz && (strlen(tz) > 63 || !calendar_timezone_valid(tz))) {
		http_error(a, 400, "invalid_value", "tz", "unknown time zone");
		goto refused;
	}
	if (!tz)
		tz = REPORT_TZ_DEFAULT;
	if ((from_kind = time_param(a, "from", tz, &r->from)) == -1 ||
	    (to_kind = time_param(a, "to", tz, &r->to)) == -1 ||
	    (!breaches && groups_param(a, r->groups, sizeof(r->groups)) == -1))
		goto refused;
	if (r->from == CBD_NO_TIME)
		r->from = r->to - CBD_REPORT_DEFAULT_DAYS * 86400000LL;
	if (r->from >= r->to && to_kind == 1) {
		http_error(a, 400, "invalid_value", "to",
		    "to must not lie before "
		    "from (a date as to is the end of its day)");
		goto refused;
	}
	if (r->from >= r->to) {
		http_error(a, 400, "invalid_value", "from",
		    "from must lie before to");
		goto refused;
	}
	if (!fmt || !strcmp(fmt, "json"))
		r->format = F_JSON;
	else if (!strcmp(fmt, "csv"))
		r->format = F_CSV;
	else if (!strcmp(fmt, "csv-excel"))
		r->format = F_CSV_EXCEL;
	else {
		http_error(a, 400, "invalid_value", "format",
		    "format is json, csv or csv-excel");
		goto refused;
	}
	if (lang && strcmp(lang, "de") && strcmp(lang, "en")) {
		http_error(a, 400, "invalid_value", "lang",
		    "lang is de or en (the language of the CSV's labels)");
		goto refused;
	}
	r->en = lang && !strcmp(lang, "en");
	store_report(breaches, r->from, r->to, r->groups, tz, reported, r);
	return;
refused:
	free(r);
}

void
api_reports_sla(struct api_req *a)
{
	report(a, 0);
}

void
api_reports_breaches(struct api_req *a)
{
	report(a, 1);
}
