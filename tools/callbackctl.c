/*
 * callbackctl: a command-line client for the callbackd HTTP API, for every
 * role. It owns nothing but turning words into requests and answers into
 * text; every rule lives in the daemon. URL and token come from -u/-t or
 * CALLBACKD_URL/CALLBACKD_TOKEN.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#define URL_DEFAULT "http://127.0.0.1:8080"
#define OPTS_MAX 16

static const char *base_url, *token;

struct opt {
	const char *name, *value;
};
static struct opt opts[OPTS_MAX];
static int nopts;
static const char *args[8];
static int nargs;

static void
usage(void)
{
	fputs(
	    "usage: callbackctl [-u URL] [-t TOKEN] COMMAND [ARGS] [--OPTION VALUE ...]\n"
	    "URL and TOKEN default to $CALLBACKD_URL (else " URL_DEFAULT ") and\n"
	    "$CALLBACKD_TOKEN.\n\n"
	    "telephony, agent:\n"
	    "  create --phone P --topic T --site S [--name N] [--urgent yes]\n"
	    "         [--language L] [--assignee ID] [--note TEXT] [--call-id ID]\n"
	    "         [--requested-at TIME] [--key IDEMPOTENCY-KEY]\n"
	    "      callbackctl create --phone '0231 1234567' --topic housing_approval --site dortmund --urgent yes\n"
	    "agent, manager:\n"
	    "  show ID                      callbackctl show 0b6c...\n"
	    "  list [--state S] [--site S] [--topic T] [--assignee A] [--limit N] [--cursor C]\n"
	    "      callbackctl list --state queued --site dortmund\n"
	    "agent:\n"
	    "  cancel ID                    callbackctl cancel 0b6c...\n"
	    "caseworker:\n"
	    "  queue [--offset N] [--limit N]   callbackctl queue\n"
	    "  claim                        callbackctl claim\n"
	    "  heartbeat ID --lease L       callbackctl heartbeat 0b6c... --lease 9f1e...\n"
	    "  release ID --lease L         callbackctl release 0b6c... --lease 9f1e...\n"
	    "caseworker (with --lease), agent (without):\n"
	    "  attempt ID RESULT [--lease L] [--note TEXT] [--duration SECONDS] [--not-before TIME]\n"
	    "      callbackctl attempt 0b6c... no_answer --lease 9f1e...\n"
	    "manager:\n"
	    "  report sla|breaches [--from TIME] [--to TIME] [--group-by site,topic,day,week,urgency]\n"
	    "         [--format table|csv|csv-excel]\n"
	    "      callbackctl report sla --group-by site,week\n"
	    "  alerts [--since TIME] [--level at_risk|breached] [--site S]\n"
	    "admin:\n"
	    "  caseworker add ID --site S --topics a,b --languages de,en\n"
	    "  caseworker update ID --site S --topics a,b --languages de,en\n"
	    "  caseworker list | show ID | deactivate ID\n"
	    "  token add ROLE [--caseworker ID] [--label TEXT] | token list | token revoke ID\n"
	    "      callbackctl token add telephony --label 'PBX Dortmund'\n"
	    "      callbackctl caseworker add mueller --site dortmund --topics general --languages de\n"
	    "anyone:\n"
	    "  health                       readiness of the daemon\n"
	    "The first admin token comes from the server: callbackd -c FILE --create-token admin.\n",
	    stderr);
	exit(2);
}

static const char *
opt(const char *name)
{
	int i;

	for (i = 0; i < nopts; i++)
		if (!strcmp(opts[i].name, name))
			return opts[i].value;
	return NULL;
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
	char url[2048], auth[512], *text = NULL, *resp = NULL;
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
	if (token) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
		h = curl_slist_append(h, auth);
	}
	if (opt("key")) {
		snprintf(auth, sizeof(auth), "Idempotency-Key: %s", opt("key"));
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
		    json_string_value(json_object_get(e, "code")), field ? " in " : "",
		    field ? field : "", json_string_value(json_object_get(e, "message")));
	else
		fprintf(stderr, "callbackctl: the daemon answered %ld\n", status);
	json_decref(j);
	exit(1);
}

static void
print_json(const char *body)
{
	json_t *j = json_loads(body, 0, NULL);
	char *s = j ? json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;

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

/* Appends ?k=v&... from options; values are URL-encoded. */
static void
query(char *path, size_t len, const char *const *names)
{
	CURL *c = curl_easy_init();
	char *enc;
	int first = !strchr(path, '?');

	for (; *names; names++) {
		const char *v = opt(*names);
		char key[32];
		size_t i;

		if (!v)
			continue;
		snprintf(key, sizeof(key), "%s", *names);
		for (i = 0; key[i]; i++)
			if (key[i] == '-')
				key[i] = '_';
		enc = curl_easy_escape(c, v, 0);
		snprintf(path + strlen(path), len - strlen(path), "%c%s=%s",
		    first ? '?' : '&', key, enc);
		curl_free(enc);
		first = 0;
	}
	curl_easy_cleanup(c);
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

static void
set_opt(json_t *o, const char *key, const char *name)
{
	if (opt(name))
		json_object_set_new(o, key, json_string(opt(name)));
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
	json_object_foreach(json_array_get(rows, 0), key, v) {
		names[k] = key;
		width[k++] = strlen(key);
	}
	for (i = 0; i < 2; i++) {
		size_t r;

		json_array_foreach(rows, r, row) {
			for (k = 0; k < ncols; k++) {
				v = json_object_get(row, names[k]);
				if (json_is_string(v))
					snprintf(cell, sizeof(cell), "%s", json_string_value(v));
				else if (json_is_integer(v))
					snprintf(cell, sizeof(cell), "%lld",
					    (long long)json_integer_value(v));
				else if (json_is_real(v))
					snprintf(cell, sizeof(cell), "%.1f", json_real_value(v));
				else if (json_is_boolean(v))
					snprintf(cell, sizeof(cell), "%s", json_is_true(v) ? "yes" : "no");
				else
					snprintf(cell, sizeof(cell), "-");
				if (i == 0 && strlen(cell) > width[k])
					width[k] = strlen(cell);
				if (i == 1)
					printf("%s%-*s", k ? "  " : "", (int)width[k], cell);
			}
			if (i == 1)
				putchar('\n');
		}
		if (i == 0) {
			for (k = 0; k < ncols; k++)
				printf("%s%-*s", k ? "  " : "", (int)width[k], names[k]);
			putchar('\n');
		}
	}
	free(names);
	free(width);
}

static void
report(const char *kind)
{
	static const char *const names[] = { "from", "to", "group-by", NULL };
	const char *fmt = opt("format") ? opt("format") : "table";
	char path[1024], *resp = NULL;
	long st;
	json_t *j;

	if (strcmp(kind, "sla") && strcmp(kind, "breaches"))
		usage();
	snprintf(path, sizeof(path), "/v1/reports/%s", kind);
	query(path, sizeof(path), names);
	if (strcmp(fmt, "table"))
		snprintf(path + strlen(path), sizeof(path) - strlen(path), "%cformat=%s",
		    strchr(path, '?') ? '&' : '?', fmt);
	st = request("GET", path, NULL, &resp);
	if (st >= 400)
		fail(st, resp);
	if (strcmp(fmt, "table")) {
		fputs(resp, stdout);
	} else {
		j = json_loads(resp, 0, NULL);
		print_table(json_object_get(j, strcmp(kind, "sla") ? "breaches" : "rows"));
		json_decref(j);
	}
	free(resp);
}

static void
caseworker(void)
{
	char path[256];
	json_t *b;

	if (nargs < 2)
		usage();
	if (!strcmp(args[1], "list")) {
		call("GET", "/v1/caseworkers", NULL);
		return;
	}
	if (nargs < 3)
		usage();
	snprintf(path, sizeof(path), "/v1/caseworkers/%s", args[2]);
	if (!strcmp(args[1], "show")) {
		call("GET", path, NULL);
	} else if (!strcmp(args[1], "deactivate")) {
		strcat(path, "/deactivate");
		call("POST", path, NULL);
	} else if (!strcmp(args[1], "add") || !strcmp(args[1], "update")) {
		b = json_pack("{s:o,s:o}", "topics", list_of(opt("topics")),
		    "languages", list_of(opt("languages") ? opt("languages") : "de"));
		set_opt(b, "site", "site");
		if (!strcmp(args[1], "add")) {
			json_object_set_new(b, "id", json_string(args[2]));
			call("POST", "/v1/caseworkers", b);
		} else
			call("PUT", path, b);
	} else
		usage();
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "url", required_argument, NULL, 'u' },
		{ "token", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	char path[1024];
	json_t *b;
	int ch, i;

	base_url = getenv("CALLBACKD_URL") ? getenv("CALLBACKD_URL") : URL_DEFAULT;
	token = getenv("CALLBACKD_TOKEN");
	/* "+": stop at the command; its --options are read below */
	while ((ch = getopt_long(argc, argv, "+u:t:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'u': base_url = optarg; break;
		case 't': token = optarg; break;
		default: usage();
		}
	}
	for (i = optind; i < argc; i++) {
		if (!strncmp(argv[i], "--", 2)) {
			if (i + 1 >= argc || nopts == OPTS_MAX)
				usage();
			opts[nopts].name = argv[i] + 2;
			opts[nopts++].value = argv[++i];
		} else if (nargs < 8)
			args[nargs++] = argv[i];
	}
	if (nargs == 0)
		usage();
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (!strcmp(args[0], "create")) {
		b = json_object();
		set_opt(b, "phone", "phone");
		set_opt(b, "topic", "topic");
		set_opt(b, "site", "site");
		set_opt(b, "name", "name");
		set_opt(b, "language", "language");
		set_opt(b, "assignee", "assignee");
		set_opt(b, "note", "note");
		set_opt(b, "call_id", "call-id");
		set_opt(b, "requested_at", "requested-at");
		if (opt("urgent"))
			json_object_set_new(b, "urgent", json_boolean(!strcmp(opt("urgent"), "yes")));
		call("POST", "/v1/callbacks", b);
	} else if (!strcmp(args[0], "show") && nargs == 2) {
		snprintf(path, sizeof(path), "/v1/callbacks/%s", args[1]);
		call("GET", path, NULL);
	} else if (!strcmp(args[0], "list")) {
		static const char *const names[] = { "state", "site", "topic",
			"assignee", "limit", "cursor", NULL };

		snprintf(path, sizeof(path), "/v1/callbacks");
		query(path, sizeof(path), names);
		call("GET", path, NULL);
	} else if (!strcmp(args[0], "queue")) {
		static const char *const names[] = { "offset", "limit", NULL };

		snprintf(path, sizeof(path), "/v1/queue");
		query(path, sizeof(path), names);
		call("GET", path, NULL);
	} else if (!strcmp(args[0], "alerts")) {
		static const char *const names[] = { "since", "level", "site", NULL };

		snprintf(path, sizeof(path), "/v1/alerts");
		query(path, sizeof(path), names);
		call("GET", path, NULL);
	} else if (!strcmp(args[0], "claim")) {
		call("POST", "/v1/queue/claim", NULL);
	} else if ((!strcmp(args[0], "cancel") || !strcmp(args[0], "heartbeat") ||
	    !strcmp(args[0], "release")) && nargs == 2) {
		snprintf(path, sizeof(path), "/v1/callbacks/%s/%s", args[1], args[0]);
		b = json_object();
		set_opt(b, "lease", "lease");
		call("POST", path, strcmp(args[0], "cancel") ? b : (json_decref(b), NULL));
	} else if (!strcmp(args[0], "attempt") && nargs == 3) {
		snprintf(path, sizeof(path), "/v1/callbacks/%s/attempts", args[1]);
		b = json_pack("{s:s}", "result", args[2]);
		set_opt(b, "lease", "lease");
		set_opt(b, "note", "note");
		set_opt(b, "not_before", "not-before");
		if (opt("duration"))
			json_object_set_new(b, "duration_s",
			    json_integer(strtol(opt("duration"), NULL, 10)));
		call("POST", path, b);
	} else if (!strcmp(args[0], "report") && nargs == 2) {
		report(args[1]);
	} else if (!strcmp(args[0], "caseworker")) {
		caseworker();
	} else if (!strcmp(args[0], "token") && nargs >= 2 && !strcmp(args[1], "list")) {
		call("GET", "/v1/tokens", NULL);
	} else if (!strcmp(args[0], "token") && nargs == 3 && !strcmp(args[1], "add")) {
		b = json_pack("{s:s}", "role", args[2]);
		set_opt(b, "caseworker", "caseworker");
		set_opt(b, "label", "label");
		call("POST", "/v1/tokens", b);
	} else if (!strcmp(args[0], "token") && nargs == 3 && !strcmp(args[1], "revoke")) {
		snprintf(path, sizeof(path), "/v1/tokens/%s/revoke", args[2]);
		call("POST", path, NULL);
	} else if (!strcmp(args[0], "health")) {
		call("GET", "/readyz", NULL);
	} else
		usage();
	curl_global_cleanup();
	return 0;
}
