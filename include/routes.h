#ifndef CBD_ROUTES_H
#define CBD_ROUTES_H

/* Gives http.c the route table and the web pages as its fallback; before
 * http_init. */
void routes_register(void);

#endif
