/* scheduler.c: the timed actions: SLA warnings and breaches, pending reminders, auto-resolve and auto-close. */
#include "config.h"
#include "sla.h"
#include "pd.h"

#include <json-glib/json-glib.h>

#include <string.h>

typedef struct {
	guint64 ticket;
	gint64 when;
} due_timer;

typedef struct {
	gint64 now;
	GArray *due;    /* due_timer */
	guint limit;
} collect_ctx;

static gboolean
collect_visit(guint64 ticket, gint64 when, gpointer data)
{
	collect_ctx *c = data;
	due_timer d = { ticket, when };
	g_array_append_val(c->due, d);
	return c->due->len < c->limit;
}

static gboolean
collect(pd_txn *txn, gpointer data, GError **error)
{
	collect_ctx *c = data;
	g_array_set_size(c->due, 0);
	return pd_timers_foreach_due(txn, c->now, collect_visit, c, error);
}

typedef struct {
	const pd_sla *sla;
	gint64 now;
	due_timer timer;
	pd_sla_notify_fn notify;
	gpointer notify_data;
	pd_sla_run_stats stats;   /* this ticket's, added to the run's after the commit */
} act_ctx;

/* A time for people, in the policy's zone. */
static char *
format_instant(const pd_sla *sla, const char *policy, gint64 usec)
{
	const pd_sla_policy *p = pd_sla_policy_named(sla, policy);
	GTimeZone *tz = p != NULL ? pd_calendar_get_timezone(p->calendar) : g_time_zone_new_utc();
	GDateTime *utc = g_date_time_new_from_unix_utc(usec / G_USEC_PER_SEC);
	GDateTime *local = g_date_time_to_timezone(utc, tz);
	char *s = g_date_time_format(local, "%Y-%m-%d %H:%M %Z");
	g_date_time_unref(local);
	g_date_time_unref(utc);
	if (p == NULL)
		g_time_zone_unref(tz);
	return s;
}

/* The template's "sla" context, as JSON. */
static char *
notice_json(const pd_sla *sla, const pd_sla_state *s, pd_sla_target target, gboolean breach)
{
	const pd_sla_clock *c = &s->clock[target];
	char *due = format_instant(sla, s->policy, c->due);
	const char *name = pd_sla_target_name(target);
	char *summary = breach ? g_strdup_printf("has breached its %s target (due %s)", name, due)
	                       : g_strdup_printf("will breach its %s target at %s", name, due);
	GVariant *v = g_variant_new_parsed("{'sla': <{'state': <%s>, 'summary': <%s>, 'target': <%s>, "
	                                   "'due': <%s>, 'policy': <%s>}>}",
	                                   breach ? "breached" : "warning", summary, name, due,
	                                   s->policy != NULL ? s->policy : "");
	char *json = json_gvariant_serialize_data(g_variant_ref_sink(v), NULL);
	g_variant_unref(v);
	g_free(summary);
	g_free(due);
	return json;
}

static gboolean
clock_actions(pd_txn *txn, act_ctx *a, pd_ticket *t, GError **error)
{
	for (int i = 0; i < PD_SLA_NTARGETS; i++) {
		pd_sla_state s;
		pd_sla_state_load(&s, t);
		pd_sla_clock c = s.clock[i];
		gboolean breach = c.state == PD_CLOCK_RUNNING && !c.breached && c.due > 0 && c.due <= a->now;
		gboolean warn = !breach && c.state == PD_CLOCK_RUNNING && !c.warned && !c.breached && c.warn > 0 &&
		                c.warn <= a->now && c.warn < c.due;
		gboolean ok = TRUE;
		if (breach || warn) {
			const char *type = breach ? "sla-breach" : "sla-warning";
			GVariant *d = g_variant_new_parsed("{'target': <%s>, 'policy': <%s>, 'due': <%x>, "
			                                   "'target_seconds': <%x>}",
			                                   pd_sla_target_name((pd_sla_target)i),
			                                   s.policy != NULL ? s.policy : "", c.due, c.budget);
			guint32 seq;
			char *json = notice_json(a->sla, &s, (pd_sla_target)i, breach);
			ok = pd_event_append(txn, t, type, "system", d, &seq, error) &&
			     (a->notify == NULL || a->notify(txn, t, seq, "sla-warning", FALSE, json, a->notify_data, error));
			g_free(json);
			if (breach)
				a->stats.breaches++;
			else
				a->stats.warnings++;
		}
		pd_sla_state_clear(&s);
		if (!ok)
			return FALSE;
	}
	return TRUE;
}

static gboolean
set_status(pd_txn *txn, pd_ticket *t, const char *status, const char *reason, guint32 *seq_r, GError **error)
{
	GVariant *d = g_variant_new_parsed("{'field': <'status'>, 'old': <%s>, 'new': <%s>, 'reason': <%s>}",
	                                   t->status, status, reason);
	g_free(t->status);
	t->status = g_strdup(status);
	return pd_event_append(txn, t, "status", "system", d, seq_r, error);
}

static char *
days(gint64 usec)
{
	gint64 h = usec / G_USEC_PER_SEC / 3600;
	return h % 24 == 0 ? g_strdup_printf("%" G_GINT64_FORMAT " days", h / 24)
	                   : g_strdup_printf("%" G_GINT64_FORMAT " hours", h);
}

static gboolean
lifecycle_actions(pd_txn *txn, act_ctx *a, pd_ticket *t, GError **error)
{
	const pd_sla *sla = a->sla;
	pd_sla_state s;
	pd_sla_state_load(&s, t);
	gint64 resolve = pd_sla_resolve_pending_after(sla), remind = pd_sla_remind_pending_after(sla);
	gint64 close = pd_sla_close_resolved_after(sla);
	gint64 in_status = a->now - s.status_since;
	gboolean ok = TRUE;
	guint32 seq;
	if (g_strcmp0(t->status, "pending") == 0 && g_strcmp0(s.status, "pending") == 0) {
		if (resolve > 0 && in_status >= resolve) {
			char *span = days(resolve);
			char *why = g_strdup_printf("pending for %s without an answer", span);
			ok = set_status(txn, t, "resolved", why, &seq, error) &&
			     (a->notify == NULL || a->notify(txn, t, seq, "ticket-resolved", TRUE, NULL, a->notify_data, error));
			a->stats.resolved++;
			g_free(why);
			g_free(span);
		} else if (remind > 0 && in_status >= (gint64)(s.reminders + 1) * remind) {
			/* After a long stop only the latest reminder goes out. */
			guint32 number = (guint32)(in_status / remind);
			char *json = g_strdup_printf("{\"reminder\": {\"number\": %u, \"pending_since\": %" G_GINT64_FORMAT "}}",
			                             number, s.status_since / G_USEC_PER_SEC);
			ok = pd_event_append(txn, t, "reminder", "system",
			                     g_variant_new_parsed("{'number': <%u>}", number), &seq, error) &&
			     (a->notify == NULL || a->notify(txn, t, seq, "pending-reminder", TRUE, json, a->notify_data, error));
			a->stats.reminders++;
			g_free(json);
		}
	} else if (g_strcmp0(t->status, "resolved") == 0 && g_strcmp0(s.status, "resolved") == 0 && close > 0 &&
	           in_status >= close) {
		char *span = days(close);
		char *why = g_strdup_printf("resolved %s ago", span);
		ok = set_status(txn, t, "closed", why, &seq, error);
		a->stats.closed++;
		g_free(why);
		g_free(span);
	}
	pd_sla_state_clear(&s);
	return ok;
}

static gboolean
act(pd_txn *txn, gpointer data, GError **error)
{
	act_ctx *a = data;
	memset(&a->stats, 0, sizeof a->stats);
	pd_txn_set_event_hook(txn, pd_sla_event_hook, (gpointer)a->sla);
	GError *local = NULL;
	pd_ticket *t = pd_ticket_get(txn, a->timer.ticket, TRUE, &local);
	if (t == NULL) {
		if (!g_error_matches(local, PD_ERROR, PD_ERROR_NOT_FOUND)) {
			g_propagate_error(error, local);
			return FALSE;
		}
		g_error_free(local);
		return pd_timer_move(txn, a->timer.ticket, a->timer.when, 0, error);
	}
	pd_sla_state s;
	pd_sla_state_load(&s, t);
	gint64 next = s.next;
	pd_sla_state_clear(&s);
	gboolean ok;
	if (next != a->timer.when) {
		/* A stale entry (the ticket moved on in a transaction that raced this one). */
		ok = pd_timer_move(txn, t->id, a->timer.when, 0, error);
	} else {
		a->stats.tickets = 1;
		guint32 before = t->nevents;
		ok = clock_actions(txn, a, t, error) && lifecycle_actions(txn, a, t, error);
		if (ok && t->nevents == before) {
			/* Nothing was due after all (the config changed): plan afresh. */
			pd_sla_state_load(&s, t);
			pd_sla_plan(a->sla, &s);
			if (s.next == a->timer.when)
				s.next = 0;
			pd_sla_state_store(&s, t);
			ok = pd_timer_move(txn, t->id, a->timer.when, s.next, error);
			pd_sla_state_clear(&s);
		}
		ok = ok && pd_ticket_put(txn, t, error);
	}
	pd_ticket_free(&t);
	return ok;
}

gboolean
pd_sla_run(pd_store *store, const pd_sla *sla, gint64 now, pd_sla_notify_fn notify, gpointer notify_data,
           pd_sla_run_stats *stats, GError **error)
{
	pd_sla_run_stats total = { 0 };
	collect_ctx c = { now, g_array_new(FALSE, FALSE, sizeof(due_timer)), 256 };
	gboolean ok = TRUE;
	/* Each ticket in its own transaction, so one that fails stays due and
	 * the others go on; a batch that comes back full is followed by another. */
	for (guint rounds = 0; ok && rounds < 1000; rounds++) {
		ok = pd_store_run(store, collect, &c, error);
		if (!ok || c.due->len == 0)
			break;
		for (guint i = 0; ok && i < c.due->len; i++) {
			act_ctx a = { sla, now, g_array_index(c.due, due_timer, i), notify, notify_data };
			ok = pd_store_run(store, act, &a, error);
			if (ok) {
				total.warnings += a.stats.warnings;
				total.breaches += a.stats.breaches;
				total.reminders += a.stats.reminders;
				total.resolved += a.stats.resolved;
				total.closed += a.stats.closed;
				total.tickets += a.stats.tickets;
			}
		}
		if (c.due->len < c.limit)
			break;
	}
	g_array_unref(c.due);
	if (stats != NULL)
		*stats = total;
	return ok;
}
