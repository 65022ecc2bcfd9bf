/*
 * api_reports.c owns the managers' reports: SLA compliance by group, the
 * list of breaches and the callbacks at risk now, as JSON, CSV (RFC 4180)
 * or CSV for German spreadsheets (";" separator, decimal comma, UTF-8
 * BOM). The numbers come from SQL in sql/ (cbd_report_sla,
 * cbd_report_breaches, cbd_report_at_risk), the same a BI
 * tool reads; this file only picks the period (plain dates are days of the
 * report's time zone, read by period.c) and the shape.
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


struct report {
	struct api_req *a;
	int breaches;
	enum report_format format;
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
csv_cell(FILE *f, const char *v, enum col_kind kind, enum report_format fmt)
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
			fputc(*p == '.' && fmt == REPORT_CSV_EXCEL ? ',' : *p,
			    f);
		return;
	}
	if (!strpbrk(v, fmt == REPORT_CSV_EXCEL ? ";\"\r\n" : ",\"\r\n")) {
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
label_of(int en, const char *column, const char *v)
{
	const struct topic_policy *t;
	const struct site *s;

	if (!strcmp(column, "site")) {
		if (v && (s = config_site(conf, v)))
			return config_label(s->name, s->label, s->label_en, en);
		return v ? v : "";
	}
	if (!strcmp(column, "topic")) {
		if (v && (t = config_topic(conf, v)))
			return config_label(t->name, t->label, t->label_en, en);
		return v ? v : "";
	}
	return NULL;
}

void
api_report_csv(struct api_req *a, const struct table *t,
    enum report_format format, const char *name, const unsigned char *shown,
    int en)
{
	char sep = format == REPORT_CSV_EXCEL ? ';' : ',';
	char *buf = NULL;
	const char *label;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int i, k, first;

	if (!f) {
		http_store_failed(a, STORE_UNAVAILABLE);
		return;
	}
	if (format == REPORT_CSV_EXCEL)
		fputs("\xEF\xBB\xBF",
		    f); /* the BOM tells spreadsheets: UTF-8 */
	for (k = 0, first = 1; k < t->ncols; k++) {
		if (shown && !shown[k])
			continue;
		if (!first)
			fputc(sep, f);
		first = 0;
		fputs(t->names[k], f);
		if (label_of(en, t->names[k], NULL))
			fprintf(f, "%c%s_label", sep, t->names[k]);
	}
	fputs("\r\n", f);
	for (i = 0; i < t->nrows; i++) {
		for (k = 0, first = 1; k < t->ncols; k++) {
			if (shown && !shown[k])
				continue;
			if (!first)
				fputc(sep, f);
			first = 0;
			csv_cell(f, t->cells[i * t->ncols + k], t->kinds[k],
			    format);
			if ((label = label_of(en, t->names[k],
				 t->cells[i * t->ncols + k]))) {
				fputc(sep, f);
				csv_cell(f, label, COL_TEXT, format);
			}
		}
		fputs("\r\n", f);
	}
	fclose(f);
	http_reply_text(a, 200, "text/csv; charset=utf-8", name, buf, len);
	free(buf);
}

static void
send_csv(struct report *r, const struct table *t)
{
	unsigned char *shown = malloc((size_t)t->ncols + 1);
	int k;

	if (!shown) {
		http_store_failed(r->a, STORE_UNAVAILABLE);
		return;
	}
	for (k = 0; k < t->ncols; k++)
		shown[k] = (unsigned char)wanted(r, t->names[k]);
	api_report_csv(r->a, t, r->format,
	    r->breaches ? "callbackd-breaches.csv" : "callbackd-sla.csv", shown,
	    r->en);
	free(shown);
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

/* The first nrows rows of t as JSON objects, of the columns r wants
 * (NULL: all). */
static json_t *
rows_json(const struct table *t, int nrows, const struct report *r)
{
	json_t *rows = json_array(), *row;
	int i, k;

	for (i = 0; i < nrows; i++) {
		row = json_object();
		for (k = 0; k < t->ncols; k++)
			if (!r || wanted(r, t->names[k]))
				json_object_set_new(row, t->names[k],
				    json_cell(t->cells[i * t->ncols + k],
					t->kinds[k]));
		json_array_append_new(rows, row);
	}
	return rows;
}

static void
reported(void *arg, enum store_status st, const struct table *t)
{
	struct report *r = arg;
	char from[CBD_TIME_STR], to[CBD_TIME_STR];
	json_t *rows;

	if (st == STORE_INVALID) {
		http_error(r->a, 400, "invalid_value", "tz",
		    "unknown time zone");
	} else if (st != STORE_OK) {
		http_store_failed(r->a, st);
	} else if (r->format != REPORT_JSON) {
		send_csv(r, t);
	} else {
		rows = rows_json(t, t->nrows, r);
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
	const char *tz = http_query(a, "tz");
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
	if (api_report_format(a, &r->format) == -1)
		goto refused;
	if (api_report_lang(a, &r->en) == -1)
		goto refused;
	store_report(breaches, r->from, r->to, r->groups, tz, reported, r);
	return;
refused:
	free(r);
}

int
api_report_format(struct api_req *a, enum report_format *out)
{
	const char *fmt = http_query(a, "format");

	if (!fmt || !strcmp(fmt, "json"))
		*out = REPORT_JSON;
	else if (!strcmp(fmt, "csv"))
		*out = REPORT_CSV;
	else if (!strcmp(fmt, "csv-excel"))
		*out = REPORT_CSV_EXCEL;
	else {
		http_error(a, 400, "invalid_value", "format",
		    "format is json, csv or csv-excel");
		return -1;
	}
	return 0;
}

int
api_report_lang(struct api_req *a, int *en)
{
	const char *lang = http_query(a, "lang");

	if (lang && strcmp(lang, "de") && strcmp(lang, "en")) {
		http_error(a, 400, "invalid_value", "lang",
		    "lang is de or en (the language of the CSV's labels)");
		return -1;
	}
	*en = lang && !strcmp(lang, "en");
	return 0;
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

/* ---- the at-risk list ------------------------------------------------- */

struct at_risk {
	struct api_req *a;
	enum report_format format;
	int en;
	size_t limit;
};

static void
at_risk_listed(void *arg, enum store_status st, const struct table *t)
{
	struct at_risk *r = arg;
	struct table shown;

	if (st != STORE_OK) {
		http_store_failed(r->a, st);
		free(r);
		return;
	}
	/* one row more than the limit was asked: there are more */
	shown = *t;
	if ((size_t)shown.nrows > r->limit)
		shown.nrows = (int)r->limit;
	if (r->format != REPORT_JSON)
		api_report_csv(r->a, &shown, r->format, "callbackd-at-risk.csv",
		    NULL, r->en);
	else /* the manager's page polls it: unchanged, a 304 */
		http_reply_tagged(r->a,
		    json_pack("{s:o,s:b}", "callbacks",
			rows_json(&shown, shown.nrows, NULL), "truncated",
			shown.nrows < t->nrows));
	free(r);
}

void
api_reports_at_risk(struct api_req *a)
{
	static const char *const filters[] = { "site", "limit", NULL };
	unsigned long limit = CBD_AT_RISK_LIMIT;
	enum report_format format;
	const char *site;
	struct at_risk *r;
	int en;

	if (api_filters_not_empty(a, filters) == -1 ||
	    api_site_param(a, &site) == -1 ||
	    api_limit_param(a, CBD_AT_RISK_LIMIT, &limit) == -1 ||
	    api_report_format(a, &format) == -1 ||
	    api_report_lang(a, &en) == -1)
		return;
	if (!(r = calloc(1, sizeof(*r)))) {
		http_store_failed(a, STORE_UNAVAILABLE);
		return;
	}
	r->a = a;
	r->limit = limit;
	r->format = format;
	r->en = en;
	store_report_at_risk(site, limit + 1, at_risk_listed, r);
}
