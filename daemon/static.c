/*
 * static.c serves the web pages. Only names of letters, digits, '-', '_'
 * and one '.' before a known extension are looked up, directly in the
 * www directory: nothing outside it can be named, symbolic links are not
 * followed, and an unknown type is not served. The file goes out with
 * evbuffer_add_file (sendfile), so the loop never reads it itself.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bounds.h"
#include "config.h"
#include "http.h"
#include "static.h"

static const struct {
	const char *ext;
	const char *type;
} types[] = {
	{ "html", "text/html; charset=utf-8" },
	{ "js", "text/javascript; charset=utf-8" },
	{ "css", "text/css; charset=utf-8" },
	{ "svg", "image/svg+xml" },
	{ "json", "application/json" },
	{ "png", "image/png" },
	{ "ico", "image/x-icon" },
	{ "woff2", "font/woff2" },
};

/* The pages talk only to this daemon and load only its own files. */
static const char
    csp[] = "default-src 'none'; script-src 'self'; style-src 'self'; "
	    "img-src 'self' data:; font-src 'self'; connect-src 'self'; "
	    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/* The content type of a name we serve, or NULL. */
static const char *
name_type(const char *name)
{
	const char *dot = NULL, *p;
	size_t i;

	if (!*name || strlen(name) > CBD_STATIC_NAME_MAX || *name == '.')
		return NULL;
	for (p = name; *p; p++) {
		if (*p == '.') {
			if (dot)
				return NULL;
			dot = p;
		} else if (!((*p >= 'a' && *p <= 'z') ||
			       (*p >= 'A' && *p <= 'Z') ||
			       (*p >= '0' && *p <= '9') || *p == '-' ||
			       *p == '_'))
			return NULL;
	}
	if (!dot)
		return NULL;
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (!strcmp(dot + 1, types[i].ext))
			return types[i].type;
	return NULL;
}

void
static_serve(struct api_req *a, const char *path)
{
	const char *name = strcmp(path, "/") ? path + 1 : "index.html";
	const char *type = *path == '/' ? name_type(name) : NULL;
	const char *match;
	char file[sizeof(conf->www_dir) + CBD_STATIC_NAME_MAX + 2], etag[64];
	struct stat st;
	int fd;

	if (!type || !conf->www_dir[0]) {
		http_error(a, 404, "not_found", NULL, "no such resource");
		return;
	}
	snprintf(file, sizeof(file), "%s/%s", conf->www_dir, name);
	if ((fd = open(file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		http_error(a, 404, "not_found", NULL, "no such resource");
		return;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size > CBD_STATIC_SIZE_MAX) {
		close(fd);
		http_error(a, 404, "not_found", NULL, "no such resource");
		return;
	}
	snprintf(etag, sizeof(etag), "\"%llx-%llx.%lx\"",
	    (unsigned long long)st.st_size,
	    (unsigned long long)st.st_mtim.tv_sec,
	    (unsigned long)st.st_mtim.tv_nsec);
	http_header(a, "Content-Type", type);
	http_header(a, "ETag", etag);
	/* no build step gives the files versioned names: always revalidate */
	http_header(a, "Cache-Control", "no-cache");
	http_header(a, "Content-Security-Policy", csp);
	http_header(a, "X-Content-Type-Options", "nosniff");
	http_header(a, "Referrer-Policy", "no-referrer");
	http_header(a, "X-Frame-Options", "DENY");
	match = http_request_header(a, "If-None-Match");
	if (match && !strcmp(match, etag)) {
		close(fd);
		http_reply_file(a, 304, -1, 0);
		return;
	}
	http_reply_file(a, 200, fd, (size_t)st.st_size);
}
