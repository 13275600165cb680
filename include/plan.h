/*
 * plan.h - the planning half of a send run (private to send.c and
 * dispatch.c, see send_int.h): enrolment, schedules and notices made due;
 * each fetched row's decision (suppress, postpone, drop, hold for a cap,
 * or go); each outcome recorded with the course moved on.  Pure given the
 * store's rows and the run's clock: no threads, no transport.
 */
#ifndef PLAN_H
#define PLAN_H

#include "send_int.h"

void	 plan_job_free(struct job *);
void	 plan_jobs_free(struct job *);

/* Transactions: a dry run keeps one outer transaction and rolls it back. */
int	 plan_txn_begin(struct ctx *);
int	 plan_txn_commit(struct ctx *);

/* Enrol, schedule and make due, in one transaction; 0 or ERR_*. */
int	 plan_due(struct ctx *);

/*
 * Fetch up to max pending deliveries as jobs: the ones left `sending` by
 * an interrupted run (crashed = 1), or those due now.  The count or ERR_*.
 */
int	 plan_fetch(struct ctx *, int crashed, long max, struct job **);

/*
 * On a shared database (send.h), inside the claiming transaction: under
 * STORE_LOCK_CLAIM, read what every run has taken of the caps, refresh
 * the run's daily and domain counts with it and cut *max to the room the
 * caps leave.  When a rate cap leaves none, *max is 0 and x->room_wait
 * says how long to wait.  Elsewhere nothing.  0 or ERR_*.
 */
int	 plan_claim_room(struct ctx *, long *max);

/* 1 when the job goes to a worker, 0 when it was settled here (*ret). */
int	 plan_prepare(struct ctx *, struct job *, int *ret);

/* Render j's message into j->msg; ERR_FAIL (logged by render). */
int	 plan_render(struct ctx *, struct job *);

/*
 * Record the outcomes in list inside the caller's transaction, unless ret
 * is already an error.  Returns ret or the first error.
 */
int	 plan_record_list(struct ctx *, struct job *, int ret);

/* Record the answers interrupted runs kept, before the run counts what
   was sent.  0 or ERR_*. */
int	 plan_recover(struct ctx *);

/* Keep j's answer in the answers table, inside the caller's transaction:
   the small commit of the crash guarantee.  0 or ERR_*. */
int	 plan_answer(struct ctx *, struct job *);

#endif
