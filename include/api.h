#ifndef CBD_API_H
#define CBD_API_H

#include "http.h"

/* Handlers, one file per group of resources. */
void api_callbacks_create(struct api_req *);
void api_callbacks_get(struct api_req *);
void api_healthz(struct api_req *);
void api_readyz(struct api_req *);

#endif
