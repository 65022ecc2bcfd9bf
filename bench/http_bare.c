/*
 * http_bare: the least an HTTP server on libevent can do, as the
 * benchmark's yardstick: evhttp answering every request with a small
 * JSON body, nothing stored. Same loop, same library as callbackd.
 *
 *   http_bare PORT
 */
#include <stdio.h>
#include <stdlib.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

static void
answer(struct evhttp_request *req, void *arg)
{
	static const char body[] = "{\"id\":\"00000000-0000-4000-8000-000000000000\"}\n";

	(void)arg;
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
	    "application/json");
	evbuffer_add(evhttp_request_get_output_buffer(req), body, sizeof(body) - 1);
	evhttp_send_reply(req, 201, "Created", NULL);
}

int
main(int argc, char **argv)
{
	struct event_base *base = event_base_new();
	struct evhttp *http = evhttp_new(base);

	if (argc != 2 || !http ||
	    evhttp_bind_socket(http, "127.0.0.1", (unsigned short)atoi(argv[1])) != 0) {
		fprintf(stderr, "usage: http_bare PORT (on 127.0.0.1)\n");
		return 2;
	}
	evhttp_set_gencb(http, answer, NULL);
	event_base_dispatch(base);
	return 0;
}
