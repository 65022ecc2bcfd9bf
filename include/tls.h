#ifndef CBD_TLS_H
#define CBD_TLS_H

/*
 * TLS on the API port (tls_cert and tls_key). A context is read from the
 * files at start and on every SIGHUP (tls_prepare), and put in force for
 * the connections that come after (tls_commit); a connection keeps the
 * context it began with until it ends. Without tls_cert and tls_key the
 * port speaks plain HTTP.
 */
#include <stddef.h>

#include <openssl/ssl.h>

struct config;

/* Reads c's certificate and key into the context the next tls_commit puts
 * in force (none, for plain HTTP, when c has no tls_cert): 0, or -1 with
 * "FILE:LINE: key: why" in err, never a word of what the key file holds,
 * and the context in force unchanged. */
int tls_prepare(const struct config *c, char *err, size_t errlen);
/* What tls_prepare read serves the next connection; the context before
 * lives on in the connections that use it. Logs what changed. */
void tls_commit(void);
/* Drops what tls_prepare read (a reload refused after all). */
void tls_discard(void);
/* 1 when new connections speak TLS. */
int tls_on(void);
/* A server-side session for a new connection, NULL when out of memory. */
SSL *tls_session(void);
/* At exit, after the last connection: frees every context. */
void tls_free(void);

#endif
