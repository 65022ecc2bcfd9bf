#ifndef CBD_PACE_H
#define CBD_PACE_H

/*
 * The pace of requests no token vouches for: every request but one with
 * a bearer token this daemon knows valid (GET /metrics, /healthz, the
 * pages, a token to be looked up in PostgreSQL or remembered as unknown,
 * none at all). Anyone who reaches the port can send them, and a flood
 * of them took the event loop from the intake. They go at most
 * CBD_PACE_PER_S a second (bursts of CBD_PACE_BURST); the rest wait their
 * turn, in order, so that a flooding client waits and the loop serves
 * the others.
 */

struct event_base;

int pace_init(struct event_base *);
void pace_free(void);
/* Calls go(arg) now when the pace allows, else later, in order. */
void pace_admit(void (*go)(void *), void *arg);

#endif
