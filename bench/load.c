/*
 * load: a small HTTP load generator for the benchmark (bench/run), on
 * libevent's evhttp client, so that callbackd and the bare server are
 * driven by the same code. C keep-alive connections, each with one
 * request in flight, until N requests are answered or T seconds pass.
 *
 *   load intake HOST PORT C N T TOKEN PREFIX  POST /v1/callbacks, distinct phones
 *   load bare   HOST PORT C N T               POST / with a 300-byte body
 *   load cycle  HOST PORT C N T TOKENFILE     per connection one caseworker:
 *                                             claim, attempt reached, again
 *   load metrics HOST PORT C N T              GET /metrics, no token (a flood)
 *   load badtoken HOST PORT C N T             GET /v1/session, each with another
 *                                             random well-formed bearer token
 *
 * Prints one line: mode, answered, seconds, rate, latency p50/p99/max in
 * ms, and the count of each status (cycle: a cycle is claim + attempt,
 * and the claims' own p50/p99 follow; 204 ends that caseworker).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>

enum mode { INTAKE, BARE, CYCLE, METRICS, BADTOKEN };

struct conn {
	struct evhttp_connection *ev;
	int idx;
	char token[128];
	char cb_id[64], lease[64]; /* cycle: the claim in hand */
	double started;            /* this request (cycle: this cycle) */
	int done;
};

static struct event_base *base;
static enum mode mode;
static const char *host, *prefix = "0";
static int port, nconns, live;
static long limit, sent, answered, seq;
static double t0, deadline, *lat, *claim_lat;
static long claims;
static long statuses[600];
static char token[128];
static char bare_body[301];

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void next(struct conn *);

static void
finish(struct conn *c)
{
	c->done = 1;
	if (--live == 0)
		event_base_loopexit(base, NULL);
}

static void
post(struct conn *c, const char *path, const char *tok, const char *body,
    void (*cb)(struct evhttp_request *, void *))
{
	struct evhttp_request *r = evhttp_request_new(cb, c);
	struct evkeyvalq *h = evhttp_request_get_output_headers(r);
	char auth[160];

	evhttp_add_header(h, "Host", host);
	evhttp_add_header(h, "Content-Type", "application/json");
	if (tok) {
		snprintf(auth, sizeof(auth), "Bearer %s", tok);
		evhttp_add_header(h, "Authorization", auth);
	}
	if (body)
		evbuffer_add(evhttp_request_get_output_buffer(r), body, strlen(body));
	if (evhttp_make_request(c->ev, r, EVHTTP_REQ_POST, path) != 0)
		finish(c);
}

static void
get(struct conn *c, const char *path, const char *tok,
    void (*cb)(struct evhttp_request *, void *))
{
	struct evhttp_request *r = evhttp_request_new(cb, c);
	struct evkeyvalq *h = evhttp_request_get_output_headers(r);
	char auth[160];

	evhttp_add_header(h, "Host", host);
	if (tok) {
		snprintf(auth, sizeof(auth), "Bearer %s", tok);
		evhttp_add_header(h, "Authorization", auth);
	}
	if (evhttp_make_request(c->ev, r, EVHTTP_REQ_GET, path) != 0)
		finish(c);
}

static void
record(int status, double started)
{
	if (status >= 0 && status < 600)
		statuses[status]++;
	if (answered < limit)
		lat[answered] = (now() - started) * 1000;
	answered++;
}

static void
simple_done(struct evhttp_request *r, void *arg)
{
	struct conn *c = arg;

	record(r ? evhttp_request_get_response_code(r) : 0, c->started);
	next(c);
}

static void attempt_done(struct evhttp_request *, void *);

static void
claim_done(struct evhttp_request *r, void *arg)
{
	struct conn *c = arg;
	int st = r ? evhttp_request_get_response_code(r) : 0;
	struct evbuffer *in;
	json_t *j;
	const char *id = NULL, *lease = NULL;
	char path[128], body[128];

	if (st != 200) {
		if (st >= 0 && st < 600)
			statuses[st]++;
		finish(c); /* 204: this caseworker's queue is empty */
		return;
	}
	if (claims < limit)
		claim_lat[claims] = (now() - c->started) * 1000;
	claims++;
	in = evhttp_request_get_input_buffer(r);
	j = json_loadb((const char *)evbuffer_pullup(in, -1), evbuffer_get_length(in),
	    0, NULL);
	if (j && json_unpack(j, "{s:{s:s},s:{s:s}}", "callback", "id", &id, "lease",
	    "token", &lease) == 0) {
		snprintf(c->cb_id, sizeof(c->cb_id), "%s", id);
		snprintf(c->lease, sizeof(c->lease), "%s", lease);
	}
	json_decref(j);
	if (!id) {
		finish(c);
		return;
	}
	snprintf(path, sizeof(path), "/v1/callbacks/%s/attempts", c->cb_id);
	snprintf(body, sizeof(body), "{\"lease\":\"%s\",\"result\":\"reached\"}",
	    c->lease);
	post(c, path, c->token, body, attempt_done);
}

static void
attempt_done(struct evhttp_request *r, void *arg)
{
	struct conn *c = arg;

	record(r ? evhttp_request_get_response_code(r) : 0, c->started);
	next(c);
}

static void
next(struct conn *c)
{
	char body[256];

	if (sent >= limit || now() > deadline) {
		finish(c);
		return;
	}
	sent++;
	c->started = now();
	switch (mode) {
	case INTAKE:
		/* 9 digits after the area code: distinct per request and run */
		snprintf(body, sizeof(body), "{\"phone\":\"0231 %s%08ld\","
		    "\"topic\":\"general\",\"site\":\"dortmund\"}", prefix, seq++);
		post(c, "/v1/callbacks", token, body, simple_done);
		break;
	case BARE:
		post(c, "/", NULL, bare_body, simple_done);
		break;
	case CYCLE:
		post(c, "/v1/queue/claim", c->token, NULL, claim_done);
		break;
	case METRICS:
		get(c, "/metrics", NULL, simple_done);
		break;
	case BADTOKEN: {
		/* the shape of a token of ours, unknown to the daemon */
		char bad[4 + 64 + 1];
		int k;

		memcpy(bad, "cbd_", 4);
		for (k = 0; k < 64; k++)
			bad[4 + k] = "0123456789abcdef"[random() & 15];
		bad[68] = '\0';
		get(c, "/v1/session", bad, simple_done);
		break;
	}
	}
}

/* SIGTERM ends a flood early, with its figures printed all the same */
static void
on_term(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	event_base_loopexit(base, NULL);
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	struct conn *conns;
	double secs, took;
	long n, i;
	FILE *f = NULL;

	if (argc < 7) {
		fprintf(stderr, "usage: load intake|bare|cycle|metrics|badtoken HOST "
		    "PORT CONNS N SECONDS "
		    "[TOKEN PREFIX | TOKENFILE]\n");
		return 2;
	}
	mode = !strcmp(argv[1], "intake") ? INTAKE : !strcmp(argv[1], "bare") ? BARE :
	    !strcmp(argv[1], "metrics") ? METRICS : !strcmp(argv[1], "badtoken") ?
	    BADTOKEN : CYCLE;
	srandom((unsigned)time(NULL) ^ (unsigned)getpid());
	host = argv[2];
	port = atoi(argv[3]);
	nconns = atoi(argv[4]);
	limit = atol(argv[5]);
	secs = atof(argv[6]);
	if (mode == INTAKE && argc > 8) {
		snprintf(token, sizeof(token), "%s", argv[7]);
		prefix = argv[8];
	}
	if (mode == CYCLE && (argc < 8 || !(f = fopen(argv[7], "r")))) {
		fprintf(stderr, "load: cycle needs a file of caseworker tokens\n");
		return 2;
	}
	memset(bare_body, 'x', 300);
	if (!(lat = calloc((size_t)limit, sizeof(*lat))) ||
	    !(claim_lat = calloc((size_t)limit, sizeof(*claim_lat))) ||
	    !(conns = calloc((size_t)nconns, sizeof(*conns))))
		return 1;
	base = event_base_new();
	event_add(evsignal_new(base, SIGTERM, on_term, NULL), NULL);
	t0 = now();
	deadline = t0 + secs;
	for (i = 0; i < nconns; i++) {
		conns[i].idx = (int)i;
		conns[i].ev = evhttp_connection_base_new(base, NULL, host, (unsigned short)port);
		evhttp_connection_set_timeout(conns[i].ev, 30);
		if (f && fgets(conns[i].token, sizeof(conns[i].token), f))
			conns[i].token[strcspn(conns[i].token, "\n")] = '\0';
		live++;
	}
	for (i = 0; i < nconns; i++)
		next(&conns[i]);
	event_base_dispatch(base);
	took = now() - t0;
	n = answered < limit ? answered : limit;
	qsort(lat, (size_t)n, sizeof(*lat), cmp);
	printf("%s answered=%ld seconds=%.2f rate=%.0f p50=%.2f p99=%.2f max=%.2f",
	    argv[1], answered, took, answered / took, n ? lat[n / 2] : 0,
	    n ? lat[(long)(n * 0.99)] : 0, n ? lat[n - 1] : 0);
	for (i = 0; i < 600; i++)
		if (statuses[i])
			printf(" s%ld=%ld", i, statuses[i]);
	if (claims) {
		n = claims < limit ? claims : limit;
		qsort(claim_lat, (size_t)n, sizeof(*claim_lat), cmp);
		printf(" claim_p50=%.2f claim_p99=%.2f", claim_lat[n / 2],
		    claim_lat[(long)(n * 0.99)]);
	}
	printf("\n");
	for (i = 0; i < nconns; i++)
		evhttp_connection_free(conns[i].ev);
	event_base_free(base);
	free(conns);
	free(lat);
	free(claim_lat);
	if (f)
		fclose(f);
	return 0;
}
