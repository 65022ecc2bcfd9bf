/*
 * alert_webhook.c owns the optional webhook: one HTTP POST per alert of
 * the JSON alert.c makes of it, to the configured URL, with its timeout.
 * It decides nothing about which alerts are due or whether a failed post
 * is tried again; the alert timer and PostgreSQL do.
 */
#include <sys/queue.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "alert.h"
#include "config.h"
#include "log.h"
#include "timefmt.h"

static struct evhttp_connection *hook_conn;
static char hook_host[128], hook_path[256];
static int hook_port;

int
alert_webhook_enabled(void)
{
	return hook_conn != NULL;
}

struct post {
	alert_posted_fn *fn;
	void *arg;
	TAILQ_ENTRY(post) entry;
};

/* Posts not yet answered: freeing the connection at shutdown frees its
 * requests without calling them back, so their callers hear it here. */
static TAILQ_HEAD(, post) posts = TAILQ_HEAD_INITIALIZER(posts);

static void
posted(struct evhttp_request *req, void *arg)
{
	struct post *p = arg;
	int code = req ? evhttp_request_get_response_code(req) : 0;

	TAILQ_REMOVE(&posts, p, entry);
	p->fn(p->arg, code >= 200 && code < 300);
	free(p);
}

void
alert_webhook_post(const struct alert *a, alert_posted_fn *fn, void *arg)
{
	char len[24];
	struct evhttp_request *req;
	struct evkeyvalq *h;
	struct post *p;
	char *text;

	if (!hook_conn || !(p = calloc(1, sizeof(*p)))) {
		fn(arg, 0);
		return;
	}
	p->fn = fn;
	p->arg = arg;
	text = alert_json(a, now_ms());
	if (!text || !(req = evhttp_request_new(posted, p))) {
		free(text);
		free(p);
		fn(arg, 0);
		return;
	}
	h = evhttp_request_get_output_headers(req);
	evhttp_add_header(h, "Host", hook_host);
	evhttp_add_header(h, "Content-Type", "application/json");
	snprintf(len, sizeof(len), "%zu", strlen(text));
	evhttp_add_header(h, "Content-Length", len);
	evbuffer_add(evhttp_request_get_output_buffer(req), text, strlen(text));
	free(text);
	/* on failure libevent frees req and calls posted(NULL) */
	TAILQ_INSERT_TAIL(&posts, p, entry);
	evhttp_make_request(hook_conn, req, EVHTTP_REQ_POST, hook_path);
}

int
alert_webhook_init(struct event_base *base)
{
	struct evhttp_uri *uri;
	const char *host, *path, *query;

	if (!conf->alert_webhook[0])
		return 0;
	if (!(uri = evhttp_uri_parse(conf->alert_webhook)) ||
	    !(host = evhttp_uri_get_host(uri))) {
		log_warnx("alerts: webhook '%s' is not a URL",
		    conf->alert_webhook);
		if (uri)
			evhttp_uri_free(uri);
		return -1;
	}
	snprintf(hook_host, sizeof(hook_host), "%s", host);
	hook_port = evhttp_uri_get_port(uri) > 0 ? evhttp_uri_get_port(uri) :
						   80;
	path = evhttp_uri_get_path(uri);
	query = evhttp_uri_get_query(uri);
	snprintf(hook_path, sizeof(hook_path), "%s%s%s",
	    path && *path ? path : "/", query ? "?" : "", query ? query : "");
	evhttp_uri_free(uri);
	/* no DNS base: the host is resolved when connecting; use an address
	 * or a name /etc/hosts knows, as for the database */
	if (!(hook_conn = evhttp_connection_base_new(base, NULL, hook_host,
		  (ev_uint16_t)hook_port)))
		return -1;
	evhttp_connection_set_timeout(hook_conn,
	    (int)((conf->alert_webhook_timeout_ms + 999) / 1000));
	evhttp_connection_set_retries(hook_conn, 0);
	return 0;
}


void
alert_webhook_shutdown(void)
{
	struct post *p;

	if (hook_conn)
		evhttp_connection_free(hook_conn);
	hook_conn = NULL;
	while ((p = TAILQ_FIRST(&posts))) {
		TAILQ_REMOVE(&posts, p, entry);
		p->fn(p->arg, 0); /* unanswered: not accepted */
		free(p);
	}
}
