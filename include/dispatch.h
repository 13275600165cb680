/*
 * dispatch.h - the threads of a send run (private to send.c, see
 * send_int.h): the queues between the main thread and the workers, each
 * worker's connection, the commit gate (smtp_set_gate()) and the group
 * commit of outcomes, the rate windows, and what a failed write leaves to
 * settle.  The decisions are plan.h's.
 */
#ifndef DISPATCH_H
#define DISPATCH_H

#include <pthread.h>

#include "send_int.h"

void	 dispatch_q_init(struct queue *);
void	 dispatch_q_close(struct queue *);

/* A worker thread: its own connection, jobs from x->todo to x->done. */
void	*dispatch_worker(void *);
/* Start [send] connections workers (at most one per message due). */
pthread_t *dispatch_start(struct ctx *, int *nthreads);
/* No more work: wait for each worker to commit its last outcome and end. */
void	 dispatch_join(struct ctx *, pthread_t *, int nthreads);

/* The live progress line (send_opts progress), at most 5 times a second. */
void	 dispatch_progress(struct ctx *, int last);

/*
 * Main thread: wait up to `wait` s until fewer than `below` outcomes are
 * in flight; when the time is up first, commit the outcomes still waiting.
 */
int	 dispatch_wait_below(struct ctx *, long below, double wait);
/* Main thread: wait `wait` s, then commit the outcomes still waiting. */
int	 dispatch_drain(struct ctx *, double wait);
/* With every worker ended: fold the answers still waiting into their
   deliveries.  0 or ERR_*. */
int	 dispatch_fold(struct ctx *);
long	 dispatch_in_flight(struct ctx *);

/* Disk set aside beside the database to record a stop (see dispatch_settle()). */
void	 dispatch_reserve_take(struct ctx *);
void	 dispatch_reserve_free(struct ctx *);
/* After a failed write, every worker stopped: record what is left. */
void	 dispatch_settle(struct ctx *);

/* A sliding-window rate cap of cap sends per span seconds. */
void	 dispatch_window_init(struct ctx *, struct window *, long cap, double span);

/*
 * Fetch up to *max pending rows (plan_fetch(): the crashed ones, or those
 * due; on a shared database claimed within the room the caps leave, see
 * plan_claim_room()) and their count into *max; mark them `sending`, a
 * transaction at a time, and queue them.  0 or ERR_*.
 */
int	 dispatch_batch(struct ctx *, int crashed, long *max);

/* The one line that says why the run stopped early. */
void	 dispatch_early_say(const struct early *);

#endif
