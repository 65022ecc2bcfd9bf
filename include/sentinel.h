#ifndef CBD_SENTINEL_H
#define CBD_SENTINEL_H
#include <stddef.h>

/*
 * The words of Redis Sentinel that callbackd reads, without I/O: the
 * connections are daemon/queue_sentinel.c's.
 */

/* A +switch-master message, "NAME OLDIP OLDPORT NEWIP NEWPORT": the
 * master's name and its new address; -1 when it is not one or a part does
 * not fit. */
int sentinel_parse_switch(const char *msg, char *name, size_t namelen,
    char *host, size_t hostlen, int *port);

#endif
