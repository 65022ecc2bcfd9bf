#ifndef CBD_SWEEP_H
#define CBD_SWEEP_H

/*
 * Ends lapsed leases: every CBD_SWEEP_INTERVAL_MS it asks the index for
 * leases that ran out, has PostgreSQL (which decides) put each callback
 * back in the queue, and mirrors the row into Redis. Several daemons may
 * sweep at once: PostgreSQL's row lock and state check make each lapse
 * count once.
 */

struct event_base;

void sweep_init(struct event_base *);
void sweep_shutdown(void);

#endif
