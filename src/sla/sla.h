/* sla.h: service levels: policies from the config, the clock each ticket carries, and the scheduler's actions. */
#ifndef PD_SLA_H
#define PD_SLA_H

#include <glib.h>
#include "calendar.h"
#include "store/store.h"
#include "config/conf.h"

/*
 * The clock is a fold over the ticket's event log: pd_sla_observe() takes
 * one event at a time (the store's event hook calls it as each event is
 * written) and keeps the state in the ticket record (extra "sla_clock").
 * Replaying the log through the same function gives the same state, which
 * is what `postdesk sla explain` shows. Each state knows the next instant
 * at which the scheduler has something to do; that instant is the ticket's
 * entry in the timer index, moved in the same transaction as the state.
 *
 * Targets are business time in the policy's calendar; pauses (pending by
 * default) stop every clock. Lifecycle actions (reminders, auto-resolve,
 * auto-close) count wall-clock time from the last status change.
 */

typedef enum {
	PD_SLA_FIRST_RESPONSE,  /* created -> first public reply by an agent */
	PD_SLA_NEXT_REPLY,      /* a requester's reply -> the agent's next public reply */
	PD_SLA_RESOLUTION,      /* created -> resolved (reopening resumes it) */
	PD_SLA_NTARGETS
} pd_sla_target;

const char *pd_sla_target_name(pd_sla_target t);  /* first-response, next-reply, resolution */

typedef enum {
	PD_CLOCK_OFF,       /* no target, or not started */
	PD_CLOCK_RUNNING,
	PD_CLOCK_PAUSED,
	PD_CLOCK_MET,       /* done: the answer or resolution came (late if used > budget) */
	PD_CLOCK_STOPPED,   /* done without being met: resolved before any reply */
} pd_clock_state;

const char *pd_clock_state_name(pd_clock_state s);

typedef struct {
	pd_clock_state state;
	gint64 budget;     /* business seconds; 0: no target */
	gint64 used;       /* business seconds used before `since` (all of it once done) */
	gint64 since;      /* µs: running since (RUNNING) */
	gint64 started;    /* µs: when this run of the clock started */
	gint64 done;       /* µs: met or stopped at */
	gint64 due;        /* µs: when the budget runs out (RUNNING) */
	gint64 warn;       /* µs: when the warning is due (RUNNING) */
	gboolean warned;   /* the warning event was made for this run */
	gboolean breached; /* the breach event was made for this run */
} pd_sla_clock;

typedef struct {
	char *policy;                       /* NULL: no service level for this ticket */
	pd_sla_clock clock[PD_SLA_NTARGETS];
	char *status;                       /* the status as the clock saw it last */
	gint64 status_since;                /* µs: the last status change (or creation) */
	guint reminders;                    /* pending reminders sent since status_since */
	gint64 first_response;              /* µs of the first public agent reply; 0: none yet */
	gint64 resolved;                    /* µs of the last resolution while still resolved/closed; 0 */
	gint64 next;                        /* µs: the scheduler's next instant (the timer); 0: none */
} pd_sla_state;

/* ---- policies ---- */

typedef struct pd_sla pd_sla;

typedef struct {
	char *name;
	char **queues;           /* applies to these queues (empty: any) */
	char **priorities;       /* and these priorities (empty: any) */
	gboolean rules_only;     /* only when a rule names it */
	const pd_calendar *calendar;
	char *calendar_name;
	gint64 budget[PD_SLA_NTARGETS];  /* business seconds; 0: no target */
	guint warn_percent;      /* warning when this share of a target is used */
	char **pause;            /* statuses that pause the clocks */
} pd_sla_policy;

/* The [calendar NAME], [sla NAME] and [lifecycle] sections. Problems are
 * appended as "sla NAME: ..." and NULL is returned. */
pd_sla *pd_sla_new(const pd_config *cfg, GPtrArray *problems);
/* A desk without policies and without lifecycle actions. */
pd_sla *pd_sla_new_empty(void);
void pd_sla_free(pd_sla **sla);
/* The policy for a ticket: the one a rule chose (extra "sla"), else the
 * first whose queues and priorities match, in file order; NULL: none. */
const pd_sla_policy *pd_sla_policy_for(const pd_sla *sla, const pd_ticket *t);
const pd_sla_policy *pd_sla_policy_named(const pd_sla *sla, const char *name);
char **pd_sla_policy_names(const pd_sla *sla);  /* NULL-terminated; g_strfreev */

/* Lifecycle periods in µs (0: off). */
gint64 pd_sla_remind_pending_after(const pd_sla *sla);
gint64 pd_sla_resolve_pending_after(const pd_sla *sla);
gint64 pd_sla_close_resolved_after(const pd_sla *sla);

/* ---- the clock ---- */

void pd_sla_state_init(pd_sla_state *s);
void pd_sla_state_clear(pd_sla_state *s);
/* The ticket's clock (an empty state if it has none). */
void pd_sla_state_load(pd_sla_state *s, const pd_ticket *t);
void pd_sla_state_store(const pd_sla_state *s, pd_ticket *t);
GVariant *pd_sla_state_to_variant(const pd_sla_state *s);  /* floating a{sv}, for JSON */

/* One event into the clock. t is the ticket as it is after the event. */
void pd_sla_observe(const pd_sla *sla, pd_sla_state *s, const pd_ticket *t, const pd_event *e);
/* Recompute s->next. */
void pd_sla_plan(const pd_sla *sla, pd_sla_state *s);
/* Replay a whole log (pd_event*), e.g. when the policy changed. */
void pd_sla_replay(const pd_sla *sla, pd_sla_state *s, const pd_ticket *t, GPtrArray *events);

/* A stretch of one clock's life, for explain views: counted (running) or
 * paused (why: the status). end 0: still going. */
typedef struct {
	pd_sla_target target;
	gint64 start, end;  /* µs */
	gboolean counted;
	char *why;
} pd_sla_stretch;

/* pd_sla_replay that also records each clock's stretches (pd_sla_stretch*). */
GPtrArray *pd_sla_trace(const pd_sla *sla, pd_sla_state *s, const pd_ticket *t, GPtrArray *events);

/* The event hook (data: the pd_sla): folds the event into the ticket's
 * clock and moves its timer. */
gboolean pd_sla_event_hook(pd_txn *txn, pd_ticket *t, const pd_event *e, gpointer data, GError **error);

/* ---- the scheduler ---- */

typedef struct {
	guint warnings, breaches, reminders, resolved, closed;
	guint tickets;  /* tickets looked at */
} pd_sla_run_stats;

/* The notifications a scheduler action causes: an interface so that the
 * scheduler does not depend on how mail is planned. kind is a template
 * name; to NULL means the ticket's assignee, else the queue's agents
 * (when to_requester is FALSE). extra_json is merged into the context. */
typedef gboolean (*pd_sla_notify_fn)(pd_txn *txn, pd_ticket *t, guint32 seq, const char *kind,
                                     gboolean to_requester, const char *extra_json, gpointer data,
                                     GError **error);

/* Do what is due at now: every ticket whose timer is at or before now gets
 * its due actions, each in the same transaction as its events and mail. */
gboolean pd_sla_run(pd_store *store, const pd_sla *sla, gint64 now, pd_sla_notify_fn notify,
                    gpointer notify_data, pd_sla_run_stats *stats, GError **error);

#endif
