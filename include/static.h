#ifndef CBD_STATIC_H
#define CBD_STATIC_H

#include "http.h"

/*
 * The web pages for agents, caseworkers and managers: files from the
 * configured www directory (flat: no subdirectories), answered to GET and
 * HEAD of any path outside the API, with their content type, an ETag for
 * revalidation and a strict Content-Security-Policy. "/" is index.html.
 */
void static_serve(struct api_req *, const char *path);

#endif
