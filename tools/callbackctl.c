/*
 * callbackctl: a command-line client for the callbackd HTTP API, for every
 * role. It owns nothing but turning words into requests and answers into
 * text; every rule lives in the daemon. URL and token come from -u/-t or
 * CALLBACKD_URL/CALLBACKD_TOKEN.
 *
 * Each subcommand declares its options in a table (the option, the API
 * name it fills, the kind of value); getopt_long reads them from that
 * table, so an option the subcommand does not know, a value of the wrong
 * kind or an option given twice ends callbackctl with status 2 and a
 * message naming it: nothing the user typed is dropped.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#define URL_DEFAULT "http://127.0.0.1:8080"
#define FIELDS_MAX 20
#define PATH_MAX_LEN 4096

/* The kinds of option value, each checked before anything is sent. */
enum kind {
	K_STR,  /* text, as typed */
	K_BOOL, /* yes/no and its spellings: JSON true/false, query true/false */
	K_INT,  /* a whole number, 0 or more */
	K_LIST,   /* comma separated: a JSON array of strings */
	K_HEADER, /* the Idempotency-Key header */
};

struct field {
	const char *opt; /* the option, without "--" */
	const char *key; /* the API name; "window.not_before" is nested */
	enum kind kind;
};

struct command;
typedef void command_fn(const struct command *, char **args);

struct command {
	const char *word, *word2; /* "create"; "caseworker", "add" */
	int nargs;                /* positional arguments after the words */
	const char *args;         /* their names, for messages */
	const struct field *fields;
	command_fn *run;
};

static const char *base_url, *token, *idempotency_key;
/* PEM file of the CAs that vouch for a TLS daemon, else the system's */
static const char *cacert;
static const char *given[FIELDS_MAX]; /* by index into the command's fields */

static void
usage(void)
{
	fputs(
	    "usage: callbackctl [-u URL] [-t TOKEN] [--cacert FILE] COMMAND [ARGS]\n"
	    "                   [--OPTION VALUE ...]\n"
	    "URL and TOKEN default to $CALLBACKD_URL (else " URL_DEFAULT
	    ") and\n"
	    "$CALLBACKD_TOKEN. An https URL is checked against the system's CAs,\n"
	    "or those in FILE ($CALLBACKD_CACERT). Yes/no options take yes, no, true, false, 1, 0, ja,\n"
	    "nein, on or off (in any case). An unknown option or a bad value ends\n"
	    "callbackctl with status 2; an error from the daemon with status 1.\n\n"
	    "telephony, agent:\n"
	    "  create --phone P --topic T --site S [--name N] [--customer-ref R]\n"
	    "         [--language L] [--urgent yes|no] [--assignee ID]\n"
	    "         [--requested-at TIME] [--not-before TIME] [--not-after TIME]\n"
	    "         [--note TEXT] [--call-id ID] [--idempotency-key KEY]\n"
	    "      callbackctl create --phone '0231 1234567' --topic housing_approval --site dortmund --urgent yes\n"
	    "agent, manager:\n"
	    "  show ID\n"
	    "      callbackctl show 0b6c...\n"
	    "  list [--state S] [--site S] [--topic T] [--assignee ID] [--phone P]\n"
	    "       [--customer-ref R] [--flagged yes|no] [--unclaimable yes|no]\n"
	    "       [--limit N] [--cursor C]\n"
	    "      callbackctl list --state queued --site dortmund\n"
	    "      callbackctl list --phone '0231 1234567'\n"
	    "      callbackctl list --unclaimable yes   # nobody may claim these\n"
	    "agent, manager; caseworker for one it holds or held:\n"
	    "  story ID                     what happened to a callback, in order\n"
	    "      callbackctl story 0b6c...\n"
	    "agent:\n"
	    "  cancel ID\n"
	    "      callbackctl cancel 0b6c...\n"
	    "manager:\n"
	    "  unflag ID                    offer a flagged callback again\n"
	    "      callbackctl unflag 0b6c...\n"
	    "caseworker:\n"
	    "  queue [--offset N] [--limit N]\n"
	    "      callbackctl queue --limit 10\n"
	    "  claim\n"
	    "      callbackctl claim\n"
	    "  heartbeat ID --lease L\n"
	    "      callbackctl heartbeat 0b6c... --lease 9f1e...\n"
	    "  release ID --lease L\n"
	    "      callbackctl release 0b6c... --lease 9f1e...\n"
	    "caseworker (with --lease), agent (without):\n"
	    "  attempt ID RESULT [--lease L] [--note TEXT] [--duration SECONDS]\n"
	    "          [--not-before TIME]\n"
	    "      RESULT: reached, no_answer, busy, voicemail, wrong_number,\n"
	    "      callback_later (with --not-before)\n"
	    "      callbackctl attempt 0b6c... no_answer --lease 9f1e... --duration 40\n"
	    "manager:\n"
	    "  report sla [--from DATE|TIME] [--to DATE|TIME] [--group-by site,topic,day,week,urgency]\n"
	    "             [--format table|json|csv|csv-excel] [--tz ZONE] [--lang de|en]\n"
	    "      callbackctl report sla --group-by site,week\n"
	    "  report breaches [--from DATE|TIME] [--to DATE|TIME] [--format table|json|csv|csv-excel]\n"
	    "                  [--tz ZONE] [--lang de|en]\n"
	    "      callbackctl report breaches --format csv-excel > breaches.csv\n"
	    "  report forecast [--site S] [--topic T] [--horizon 48h] [--weeks N]\n"
	    "                  [--format json|csv|csv-excel] [--lang de|en]\n"
	    "      callbackctl report forecast --site dortmund --horizon 2d\n"
	    "  report at-risk [--site S] [--limit N] [--format table|json|csv|csv-excel]\n"
	    "                 [--lang de|en]\n"
	    "      open callbacks warned at risk, soonest due first\n"
	    "      callbackctl report at-risk --site dortmund\n"
	    "  alerts [--since TIME] [--level at_risk|breached|unclaimable] [--site S]\n"
	    "         [--waiting yes|no] [--limit N] [--cursor C]\n"
	    "      callbackctl alerts --level breached --waiting yes\n"
	    "admin:\n"
	    "  caseworker add ID --site S --topics a,b [--languages de,en] [--active yes|no]\n"
	    "      (languages: de when not given)\n"
	    "      callbackctl caseworker add mueller --site dortmund --topics general --languages de\n"
	    "  caseworker edit ID [--site S] [--topics a,b] [--languages de,en] [--active yes|no]\n"
	    "      (what is not given stays as it is; also: caseworker update)\n"
	    "      callbackctl caseworker edit mueller --topics general,benefits\n"
	    "  caseworker deactivate ID\n"
	    "      callbackctl caseworker deactivate mueller\n"
	    "  caseworker list | caseworker show ID\n"
	    "      callbackctl caseworker list\n"
	    "      callbackctl caseworker show mueller\n"
	    "  token add ROLE [--caseworker ID] [--label TEXT] [--expires 90d|TIME]\n"
	    "      ROLE: telephony, agent, caseworker (with --caseworker), manager, admin\n"
	    "      --expires: a duration from now (90d, 12h) or an RFC 3339 time\n"
	    "      callbackctl token add telephony --label 'PBX Dortmund' --expires 365d\n"
	    "  token list\n"
	    "      callbackctl token list\n"
	    "  token revoke ID\n"
	    "      callbackctl token revoke 7\n"
	    "  access [--callback ID] [--token N] [--since TIME] [--limit N] [--cursor C]\n"
	    "      who read personal data: token, caseworker, route, callbacks, when\n"
	    "      callbackctl access --callback 6f1c...\n"
	    "  admin-events [--kind K] [--since TIME] [--limit N] [--cursor C]\n"
	    "      tokens made and revoked, caseworkers saved, by whom and when\n"
	    "      callbackctl admin-events --kind token_revoked\n"
	    "anyone:\n"
	    "  health                       readiness of the daemon\n"
	    "      callbackctl health\n"
	    "The first admin token comes from the server: callbackd -c FILE --create-token admin.\n",
	    stderr);
	exit(2);
}

/* A mistake in what the user typed: says so and exits 2. */
static void refuse(const struct command *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));

static void
refuse(const struct command *c, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "callbackctl: ");
	if (c)
		fprintf(stderr, "%s%s%s: ", c->word, c->word2 ? " " : "",
		    c->word2 ? c->word2 : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (callbackctl --help shows every command and option)\n", stderr);
	exit(2);
}

static int
parse_bool(const char *s, int *out)
{
	static const char *const yes[] = { "yes", "true", "1", "ja", "on",
		NULL };
	static const char *const no[] = { "no", "false", "0", "nein", "off",
		NULL };
	int i;

	for (i = 0; yes[i]; i++)
		if (!strcasecmp(s, yes[i])) {
			*out = 1;
			return 0;
		}
	for (i = 0; no[i]; i++)
		if (!strcasecmp(s, no[i])) {
			*out = 0;
			return 0;
		}
	return -1;
}

static int
parse_int(const char *s, long long *out)
{
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	*out = strtoll(s, &end, 10);
	return errno || *end ? -1 : 0;
}

/* Checks a value against its kind; exits 2 when it does not fit. */
static void
check_value(const struct command *c, const struct field *f, const char *v)
{
	long long n;
	int b;

	if (f->kind == K_BOOL && parse_bool(v, &b) == -1)
		refuse(c,
		    "--%s takes yes or no (also true/false, 1/0, ja/nein, "
		    "on/off), not '%s'",
		    f->opt, v);
	if (f->kind == K_INT && parse_int(v, &n) == -1)
		refuse(c, "--%s takes a whole number%s, not '%s'", f->opt,
		    strcmp(f->opt, "duration") ? "" : " of seconds", v);
}

/* Reads the command's options from argv (argv[0] is its name) into
 * given[]; the rest are its positional arguments, returned in args. */
static void
parse_options(const struct command *c, int argc, char **argv, char **args)
{
	struct option longopts[FIELDS_MAX + 2];
	int n = 0, i, ch, nargs = 0;

	for (i = 0; c->fields && c->fields[i].opt; i++) {
		longopts[n].name = c->fields[i].opt;
		longopts[n].has_arg = required_argument;
		longopts[n].flag = NULL;
		longopts[n++].val = 1000 + i;
	}
	longopts[n++] = (struct option){ "help", no_argument, NULL, 'h' };
	longopts[n] = (struct option){ NULL, 0, NULL, 0 };
	memset(given, 0, sizeof(given));
	opterr = 0;
	optind = 0; /* glibc: start afresh, permuting */
	while ((ch = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		if (ch == 'h')
			usage();
		if (ch == ':')
			refuse(c, "%s needs a value", argv[optind - 1]);
		if (ch == '?') {
			if (optopt && optopt != 'h' && optopt < 1000)
				refuse(c, "unknown option -%c", optopt);
			refuse(c, "unknown option %s", argv[optind - 1]);
		}
		i = ch - 1000;
		if (given[i])
			refuse(c, "--%s is given twice", c->fields[i].opt);
		check_value(c, &c->fields[i], optarg);
		given[i] = optarg;
	}
	for (i = optind; i < argc; i++) {
		if (nargs == c->nargs)
			refuse(c, "unexpected argument '%s'", argv[i]);
		args[nargs++] = argv[i];
	}
	if (nargs < c->nargs)
		refuse(c, "needs %s", c->args);
}

static const struct command *running;

/* The index of an option of the running command in given[]. */
static int
opt_index(const char *name)
{
	int i;

	for (i = 0; running->fields && running->fields[i].opt; i++)
		if (!strcmp(running->fields[i].opt, name))
			return i;
	fprintf(stderr, "callbackctl: no option --%s here\n", name);
	exit(2);
}

/* The value of an option of the running command, or NULL. */
static const char *
opt(const char *name)
{
	return given[opt_index(name)];
}

static size_t
collect(char *data, size_t size, size_t n, void *arg)
{
	FILE *f = arg;

	return fwrite(data, size, n, f);
}

/* Sends one request; returns the status and the body (caller frees). */
static long
request(const char *method, const char *path, json_t *body, char **out)
{
	char url[PATH_MAX_LEN + 512], auth[512], *text = NULL, *resp = NULL;
	struct curl_slist *h = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&resp, &len);
	long status = 0;
	CURLcode rc;
	CURL *c = curl_easy_init();

	if (!c || !f) {
		fprintf(stderr, "callbackctl: out of memory\n");
		exit(1);
	}
	snprintf(url, sizeof(url), "%s%s", base_url, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, f);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	if (cacert)
		curl_easy_setopt(c, CURLOPT_CAINFO, cacert);
	if (token) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
		h = curl_slist_append(h, auth);
	}
	if (idempotency_key) {
		snprintf(auth, sizeof(auth), "Idempotency-Key: %s",
		    idempotency_key);
		h = curl_slist_append(h, auth);
	}
	if (!strcmp(method, "POST") || !strcmp(method, "PUT")) {
		text = body ? json_dumps(body, JSON_COMPACT) : strdup("{}");
		h = curl_slist_append(h, "Content-Type: application/json");
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, text);
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	rc = curl_easy_perform(c);
	fclose(f);
	if (rc != CURLE_OK) {
		fprintf(stderr, "callbackctl: cannot reach %s: %s\n", base_url,
		    curl_easy_strerror(rc));
		exit(1);
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	free(text);
	*out = resp;
	return status;
}

/* Prints an API error in words and exits 1. */
static void
fail(long status, const char *body)
{
	json_t *j = json_loads(body, 0, NULL), *e = json_object_get(j, "error");
	const char *field = json_string_value(json_object_get(e, "field"));

	if (e)
		fprintf(stderr, "callbackctl: %ld %s%s%s: %s\n", status,
		    json_string_value(json_object_get(e, "code")),
		    field ? " in " : "", field ? field : "",
		    json_string_value(json_object_get(e, "message")));
	else
		fprintf(stderr, "callbackctl: the daemon answered %ld\n",
		    status);
	json_decref(j);
	exit(1);
}

static void
print_json(const char *body)
{
	json_t *j = json_loads(body, 0, NULL);
	char *s = j ? json_dumps(j,
			  JSON_INDENT(2) | JSON_PRESERVE_ORDER |
			      JSON_REAL_PRECISION(15)) :
		      NULL;

	puts(s ? s : body);
	free(s);
	json_decref(j);
}

static void
call(const char *method, const char *path, json_t *body)
{
	char *resp = NULL;
	long st = request(method, path, body, &resp);

	json_decref(body);
	if (st >= 400)
		fail(st, resp);
	if (st == 204)
		puts("nothing to claim");
	else
		print_json(resp);
	free(resp);
}

/* path, then each of the segments URL-encoded, each after a "/". */
static void
path_of(char *path, size_t len, const char *base, const char *id,
    const char *tail)
{
	char *enc = curl_easy_escape(NULL, id, 0);

	if (!enc) {
		fprintf(stderr, "callbackctl: out of memory\n");
		exit(1);
	}
	snprintf(path, len, "%s/%s%s%s", base, enc, tail ? "/" : "",
	    tail ? tail : "");
	curl_free(enc);
}

/* Appends ?k=v&... from the options given; values are URL-encoded. */
static void
query(char *path, size_t len)
{
	const struct field *f;
	int first = !strchr(path, '?'), b, i;
	char *enc;

	for (i = 0; running->fields && running->fields[i].opt; i++) {
		const char *v = given[i];

		f = &running->fields[i];
		if (!v || f->kind == K_HEADER)
			continue;
		if (f->kind == K_BOOL) {
			parse_bool(v, &b);
			v = b ? "true" : "false";
		}
		enc = curl_easy_escape(NULL, v, 0);
		if (!enc ||
		    strlen(path) + strlen(f->key) + strlen(enc) + 3 > len) {
			fprintf(stderr, "callbackctl: --%s is too long\n",
			    f->opt);
			exit(2);
		}
		snprintf(path + strlen(path), len - strlen(path), "%c%s=%s",
		    first ? '?' : '&', f->key, enc);
		curl_free(enc);
		first = 0;
	}
}

static json_t *
list_of(const char *csv)
{
	json_t *a = json_array();
	char *copy = strdup(csv ? csv : ""), *p, *save = NULL;

	for (p = strtok_r(copy, ",", &save); p; p = strtok_r(NULL, ",", &save))
		json_array_append_new(a, json_string(p));
	free(copy);
	return a;
}

/* Sets the options given into the body o, each as its kind says. */
static json_t *
body_of(json_t *o)
{
	const struct field *f;
	const char *dot;
	char outer[32];
	json_t *v, *into;
	long long n;
	int b, i;

	for (i = 0; running->fields && running->fields[i].opt; i++) {
		f = &running->fields[i];
		if (!given[i] || f->kind == K_HEADER)
			continue;
		switch (f->kind) {
		case K_BOOL:
			parse_bool(given[i], &b);
			v = json_boolean(b);
			break;
		case K_INT:
			parse_int(given[i], &n);
			v = json_integer(n);
			break;
		case K_LIST:
			v = list_of(given[i]);
			break;
		default:
			v = json_string(given[i]);
		}
		into = o;
		if ((dot = strchr(f->key, '.'))) {
			snprintf(outer, sizeof(outer), "%.*s",
			    (int)(dot - f->key), f->key);
			if (!(into = json_object_get(o, outer))) {
				into = json_object();
				json_object_set_new(o, outer, into);
			}
		}
		json_object_set_new(into, dot ? dot + 1 : f->key, v);
	}
	return o;
}

/* ---- the commands ------------------------------------------------------ */

static void
run_create(const struct command *c, char **args)
{
	(void)c;
	(void)args;
	idempotency_key = opt("idempotency-key");
	call("POST", "/v1/callbacks", body_of(json_object()));
}

static void
run_show(const struct command *c, char **args)
{
	char path[PATH_MAX_LEN];

	(void)c;
	path_of(path, sizeof(path), "/v1/callbacks", args[0], NULL);
	call("GET", path, NULL);
}

static void
run_get_query(const char *base)
{
	char path[PATH_MAX_LEN];

	snprintf(path, sizeof(path), "%s", base);
	query(path, sizeof(path));
	call("GET", path, NULL);
}

static void
run_list(const struct command *c, char **args)
{
	(void)c;
	(void)args;
	run_get_query("/v1/callbacks");
}

static void
run_queue(const struct command *c, char **args)
{
	(void)c;
	(void)args;
	run_get_query("/v1/queue");
}

static void
run_alerts(const struct command *c, char **args)
{
	(void)c;
	(void)args;
	run_get_query("/v1/alerts");
}

static void
run_claim(const struct command *c, char **args)
{
	(void)c;
	(void)args;
	call("POST", "/v1/queue/claim", NULL);
}

/* POST /v1/callbacks/ID/WORD with the options as its body. */
static void
run_callback_post(const struct command *c, char **args)
{
	char path[PATH_MAX_LEN];

	path_of(path, sizeof(path), "/v1/callbacks", args[0], c->word);
	call("POST", path, body_of(json_object()));
}

static void
run_attempt(const struct command *c, char **args)
{
	char path[PATH_MAX_LEN];

	(void)c;
	path_of(path, sizeof(path), "/v1/callbacks", args[0], "attempts");
	call("POST", path, body_of(json_pack("{s:s}", "result", args[1])));
}

/* A report as an aligned table: one column per field of the first row. */
static void
print_table(json_t *rows)
{
	size_t i, k, ncols, *width;
	const char **names, *key;
	json_t *row, *v;
	char cell[64];

	if (!json_array_size(rows)) {
		puts("(no rows)");
		return;
	}
	ncols = json_object_size(json_array_get(rows, 0));
	names = calloc(ncols, sizeof(*names));
	width = calloc(ncols, sizeof(*width));
	k = 0;
	json_object_foreach(json_array_get(rows, 0), key, v)
	{
		names[k] = key;
		width[k++] = strlen(key);
	}
	for (i = 0; i < 2; i++) {
		size_t r;

		json_array_foreach(rows, r, row)
		{
			for (k = 0; k < ncols; k++) {
				v = json_object_get(row, names[k]);
				if (json_is_string(v))
					snprintf(cell, sizeof(cell), "%s",
					    json_string_value(v));
				else if (json_is_integer(v))
					snprintf(cell, sizeof(cell), "%lld",
					    (long long)json_integer_value(v));
				else if (json_is_real(v))
					snprintf(cell, sizeof(cell), "%.1f",
					    json_real_value(v));
				else if (json_is_boolean(v))
					snprintf(cell, sizeof(cell), "%s",
					    json_is_true(v) ? "yes" : "no");
				else
					snprintf(cell, sizeof(cell), "-");
				if (i == 0 && strlen(cell) > width[k])
					width[k] = strlen(cell);
				if (i == 1)
					printf("%s%-*s", k ? "  " : "",
					    (int)width[k], cell);
			}
			if (i == 1)
				putchar('\n');
		}
		if (i == 0) {
			for (k = 0; k < ncols; k++)
				printf("%s%-*s", k ? "  " : "", (int)width[k],
				    names[k]);
			putchar('\n');
		}
	}
	free(names);
	free(width);
}

static void
run_report(const struct command *c, char **args)
{
	const char *fmt = opt("format") ? opt("format") : "table";
	char path[PATH_MAX_LEN], *resp = NULL;
	int table = !strcmp(fmt, "table");
	/* the list's key in the daemon's JSON */
	const char *key = !strcmp(c->word2, "breaches") ? "breaches" :
	    !strcmp(c->word2, "at-risk")                ? "callbacks" :
							  "rows";
	long st;
	json_t *j;

	(void)args;
	snprintf(path, sizeof(path), "/v1/reports/%s", c->word2);
	if (table) /* callbackctl's own format: the daemon sends JSON */
		given[opt_index("format")] = NULL;
	query(path, sizeof(path));
	st = request("GET", path, NULL, &resp);
	if (st >= 400)
		fail(st, resp);
	if (!table && strcmp(fmt, "json")) {
		fputs(resp, stdout);
	} else if (!table) {
		print_json(resp);
	} else {
		j = json_loads(resp, 0, NULL);
		print_table(json_object_get(j, key));
		json_decref(j);
	}
	free(resp);
}

static void
run_story(const struct command *c, char **args)
{
	char path[PATH_MAX_LEN];

	(void)c;
	path_of(path, sizeof(path), "/v1/callbacks", args[0], "events");
	call("GET", path, NULL);
}

/* The forecast is nested (sites, their topics): JSON as it comes, or the
 * daemon's CSV, one row per site and topic. */
static void
run_forecast(const struct command *c, char **args)
{
	const char *fmt = opt("format");
	char path[PATH_MAX_LEN], *resp = NULL;
	long st;

	(void)c;
	(void)args;
	snprintf(path, sizeof(path), "/v1/reports/forecast");
	query(path, sizeof(path));
	st = request("GET", path, NULL, &resp);
	if (st >= 400)
		fail(st, resp);
	if (fmt && strcmp(fmt, "json"))
		fputs(resp, stdout);
	else
		print_json(resp);
	free(resp);
}

static void
run_caseworker_list(const struct command *c, char **args)
{
	(void)c;
	(void)args;
	call("GET", "/v1/caseworkers", NULL);
}

static void
run_caseworker_show(const struct command *c, char **args)
{
	char path[PATH_MAX_LEN];

	(void)c;
	path_of(path, sizeof(path), "/v1/caseworkers", args[0], NULL);
	call("GET", path, NULL);
}

static void
run_caseworker_deactivate(const struct command *c, char **args)
{
	char path[PATH_MAX_LEN];

	(void)c;
	path_of(path, sizeof(path), "/v1/caseworkers", args[0], "deactivate");
	call("POST", path, NULL);
}

static void
run_caseworker_add(const struct command *c, char **args)
{
	json_t *b = json_pack("{s:s}", "id", args[0]);

	(void)c;
	if (!opt("languages"))
		json_object_set_new(b, "languages", list_of("de"));
	call("POST", "/v1/caseworkers", body_of(b));
}

/* PUT takes the whole profile: what is not given is kept from the one
 * the daemon has. */
static void
run_caseworker_edit(const struct command *c, char **args)
{
	static const char *const keep[] = { "site", "topics", "languages",
		"active", NULL };
	char path[PATH_MAX_LEN], *resp = NULL;
	json_t *now, *b;
	long st;
	int i;

	(void)c;
	path_of(path, sizeof(path), "/v1/caseworkers", args[0], NULL);
	st = request("GET", path, NULL, &resp);
	if (st >= 400)
		fail(st, resp);
	now = json_loads(resp, 0, NULL);
	free(resp);
	b = json_object();
	for (i = 0; keep[i]; i++)
		if (json_object_get(now, keep[i]))
			json_object_set(b, keep[i],
			    json_object_get(now, keep[i]));
	json_decref(now);
	call("PUT", path, body_of(b));
}

static void
run_token_add(const struct command *c, char **args)
{
	json_t *b = body_of(json_pack("{s:s}", "role", args[0]));
	json_t *exp = json_object_get(b, "expires_in");

	(void)c;
	/* a time (2027-03-01T00:00:00Z) rather than a duration (90d) */
	if (exp && strchr(json_string_value(exp), '-')) {
		json_object_set(b, "expires_at", exp);
		json_object_del(b, "expires_in");
	}
	call("POST", "/v1/tokens", b);
}

static void
run_access(const struct command *c, char **args)
{
	(void)c;
	(void)args;
	run_get_query("/v1/access");
}

static void
run_admin_events(const struct command *c, char **args)
{
	(void)c;
	(void)args;
	run_get_query("/v1/admin-events");
}

static void
run_token_list(const struct command *c, char **args)
{
	(void)c;
	(void)args;
	call("GET", "/v1/tokens", NULL);
}

static void
run_token_revoke(const struct command *c, char **args)
{
	char path[PATH_MAX_LEN];

	(void)c;
	path_of(path, sizeof(path), "/v1/tokens", args[0], "revoke");
	call("POST", path, NULL);
}

static void
run_health(const struct command *c, char **args)
{
	(void)c;
	(void)args;
	call("GET", "/readyz", NULL);
}

static const struct field create_fields[] = { { "phone", "phone", K_STR },
	{ "topic", "topic", K_STR }, { "site", "site", K_STR },
	{ "name", "name", K_STR }, { "customer-ref", "customer_ref", K_STR },
	{ "language", "language", K_STR }, { "urgent", "urgent", K_BOOL },
	{ "assignee", "assignee", K_STR },
	{ "requested-at", "requested_at", K_STR },
	{ "not-before", "window.not_before", K_STR },
	{ "not-after", "window.not_after", K_STR }, { "note", "note", K_STR },
	{ "call-id", "call_id", K_STR }, { "idempotency-key", NULL, K_HEADER },
	{ NULL, NULL, 0 } };
static const struct field list_fields[] = { { "state", "state", K_STR },
	{ "site", "site", K_STR }, { "topic", "topic", K_STR },
	{ "assignee", "assignee", K_STR }, { "phone", "phone", K_STR },
	{ "customer-ref", "customer_ref", K_STR },
	{ "flagged", "flagged", K_BOOL },
	{ "unclaimable", "unclaimable", K_BOOL }, { "limit", "limit", K_INT },
	{ "cursor", "cursor", K_STR }, { NULL, NULL, 0 } };
static const struct field queue_fields[] = { { "offset", "offset", K_INT },
	{ "limit", "limit", K_INT }, { NULL, NULL, 0 } };
static const struct field lease_fields[] = { { "lease", "lease", K_STR },
	{ NULL, NULL, 0 } };
static const struct field attempt_fields[] = { { "lease", "lease", K_STR },
	{ "note", "note", K_STR }, { "duration", "duration_s", K_INT },
	{ "not-before", "not_before", K_STR }, { NULL, NULL, 0 } };
static const struct field alerts_fields[] = { { "since", "since", K_STR },
	{ "level", "level", K_STR }, { "site", "site", K_STR },
	{ "waiting", "waiting", K_BOOL }, { "limit", "limit", K_INT },
	{ "cursor", "cursor", K_STR }, { NULL, NULL, 0 } };
static const struct field sla_fields[] = { { "from", "from", K_STR },
	{ "to", "to", K_STR }, { "group-by", "group_by", K_STR },
	{ "format", "format", K_STR }, { "tz", "tz", K_STR },
	{ "lang", "lang", K_STR }, { NULL, NULL, 0 } };
static const struct field breaches_fields[] = { { "from", "from", K_STR },
	{ "to", "to", K_STR }, { "format", "format", K_STR },
	{ "tz", "tz", K_STR }, { "lang", "lang", K_STR }, { NULL, NULL, 0 } };
static const struct field at_risk_fields[] = { { "site", "site", K_STR },
	{ "limit", "limit", K_INT }, { "format", "format", K_STR },
	{ "lang", "lang", K_STR }, { NULL, NULL, 0 } };
static const struct field forecast_fields[] = { { "site", "site", K_STR },
	{ "topic", "topic", K_STR }, { "horizon", "horizon", K_STR },
	{ "weeks", "weeks", K_INT }, { "format", "format", K_STR },
	{ "lang", "lang", K_STR }, { NULL, NULL, 0 } };
static const struct field caseworker_fields[] = { { "site", "site", K_STR },
	{ "topics", "topics", K_LIST }, { "languages", "languages", K_LIST },
	{ "active", "active", K_BOOL }, { NULL, NULL, 0 } };
static const struct field token_fields[] = {
	{ "caseworker", "caseworker", K_STR }, { "label", "label", K_STR },
	{ "expires", "expires_in", K_STR }, { NULL, NULL, 0 }
};
static const struct field access_fields[] = { { "callback", "callback", K_STR },
	{ "token", "token", K_INT }, { "since", "since", K_STR },
	{ "limit", "limit", K_INT }, { "cursor", "cursor", K_STR },
	{ NULL, NULL, 0 } };
static const struct field admin_events_fields[] = { { "kind", "kind", K_STR },
	{ "since", "since", K_STR }, { "limit", "limit", K_INT },
	{ "cursor", "cursor", K_STR }, { NULL, NULL, 0 } };

static const struct command commands[] = {
	{ "create", NULL, 0, "", create_fields, run_create },
	{ "show", NULL, 1, "ID", NULL, run_show },
	{ "list", NULL, 0, "", list_fields, run_list },
	{ "cancel", NULL, 1, "ID", NULL, run_callback_post },
	{ "unflag", NULL, 1, "ID", NULL, run_callback_post },
	{ "queue", NULL, 0, "", queue_fields, run_queue },
	{ "claim", NULL, 0, "", NULL, run_claim },
	{ "heartbeat", NULL, 1, "ID", lease_fields, run_callback_post },
	{ "release", NULL, 1, "ID", lease_fields, run_callback_post },
	{ "attempt", NULL, 2, "ID RESULT", attempt_fields, run_attempt },
	{ "report", "sla", 0, "", sla_fields, run_report },
	{ "report", "breaches", 0, "", breaches_fields, run_report },
	{ "report", "forecast", 0, "", forecast_fields, run_forecast },
	{ "report", "at-risk", 0, "", at_risk_fields, run_report },
	{ "story", NULL, 1, "ID", NULL, run_story },
	{ "alerts", NULL, 0, "", alerts_fields, run_alerts },
	{ "caseworker", "add", 1, "ID", caseworker_fields, run_caseworker_add },
	{ "caseworker", "edit", 1, "ID", caseworker_fields,
	    run_caseworker_edit },
	{ "caseworker", "update", 1, "ID", caseworker_fields,
	    run_caseworker_edit },
	{ "caseworker", "deactivate", 1, "ID", NULL,
	    run_caseworker_deactivate },
	{ "caseworker", "list", 0, "", NULL, run_caseworker_list },
	{ "caseworker", "show", 1, "ID", NULL, run_caseworker_show },
	{ "token", "add", 1, "ROLE", token_fields, run_token_add },
	{ "token", "list", 0, "", NULL, run_token_list },
	{ "token", "revoke", 1, "ID", NULL, run_token_revoke },
	{ "access", NULL, 0, "", access_fields, run_access },
	{ "admin-events", NULL, 0, "", admin_events_fields, run_admin_events },
	{ "health", NULL, 0, "", NULL, run_health },
};

int
main(int argc, char **argv)
{
	/* clang-format off */
	static const struct option longopts[] = {
		{ "url", required_argument, NULL, 'u' },
		{ "token", required_argument, NULL, 't' },
		{ "cacert", required_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	/* clang-format on */
	const struct command *c = NULL;
	char *args[2];
	size_t i;
	int ch, words, known = 0;

	base_url = getenv("CALLBACKD_URL") ? getenv("CALLBACKD_URL") :
					     URL_DEFAULT;
	token = getenv("CALLBACKD_TOKEN");
	cacert = getenv("CALLBACKD_CACERT");
	/* "+": stop at the command; its options are read by its own table */
	opterr = 0;
	while (
	    (ch = getopt_long(argc, argv, "+:u:t:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'u':
			base_url = optarg;
			break;
		case 't':
			token = optarg;
			break;
		case 'C':
			cacert = optarg;
			break;
		case 'h':
			usage();
			break;
		case ':':
			refuse(NULL, "%s needs a value", argv[optind - 1]);
		default:
			refuse(NULL, "unknown option %s", argv[optind - 1]);
		}
	}
	if (cacert && access(cacert, R_OK) == -1) {
		fprintf(stderr,
		    "callbackctl: cannot read the CA file '%s': %s\n", cacert,
		    strerror(errno));
		exit(1);
	}
	if (optind >= argc)
		usage();
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(commands[i].word, argv[optind]))
			continue;
		known = 1;
		if (!commands[i].word2 ||
		    (optind + 1 < argc &&
			!strcmp(commands[i].word2, argv[optind + 1]))) {
			c = &commands[i];
			break;
		}
	}
	if (!c && known)
		refuse(NULL, "%s needs one of its subcommands%s%s",
		    argv[optind], optind + 1 < argc ? ", not " : "",
		    optind + 1 < argc ? argv[optind + 1] : "");
	if (!c)
		refuse(NULL, "unknown command %s", argv[optind]);
	words = c->word2 ? 2 : 1;
	running = c;
	/* the command's own argv: its name, then what follows its words */
	argv[optind + words - 1] = argv[0];
	parse_options(c, argc - optind - words + 1, argv + optind + words - 1,
	    args);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	c->run(c, args);
	curl_global_cleanup();
	return 0;
}
