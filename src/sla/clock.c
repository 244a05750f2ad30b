/* clock.c: a ticket's SLA clock as a fold over its event log, and the next instant it needs the scheduler. */
#include "config.h"
#include "sla.h"

#include <string.h>

#define KEY "sla_clock"

void
pd_sla_state_init(pd_sla_state *s)
{
	memset(s, 0, sizeof *s);
}

void
pd_sla_state_clear(pd_sla_state *s)
{
	g_free(s->policy);
	g_free(s->status);
	pd_sla_state_init(s);
}

/* The clocks are an array of fixed-size tuples (uxxxxxxxbb): 72 bytes
 * each in GVariant's serialization (u, 4 bytes of padding, seven int64 at
 * offset 8, two booleans at 64 and 65, padding to 72). The ticket is
 * written at every event, so they are packed and unpacked by hand. */
#define CLOCK_SIZE 72
#define CLOCKS_TYPE "a(uxxxxxxxbb)"

static void
unpack_clocks(pd_sla_state *s, GVariant *clocks)
{
	gsize n = g_variant_get_size(clocks);
	const guint8 *p = g_variant_get_data(clocks);
	for (gsize i = 0; p != NULL && i < n / CLOCK_SIZE && i < PD_SLA_NTARGETS; i++, p += CLOCK_SIZE) {
		pd_sla_clock *c = &s->clock[i];
		guint32 state;
		gint64 v[7];
		memcpy(&state, p, 4);
		memcpy(v, p + 8, sizeof v);
		c->state = state <= PD_CLOCK_STOPPED ? (pd_clock_state)state : PD_CLOCK_OFF;
		c->budget = v[0], c->used = v[1], c->since = v[2], c->started = v[3];
		c->done = v[4], c->due = v[5], c->warn = v[6];
		c->warned = p[64] != 0;
		c->breached = p[65] != 0;
	}
}

static GVariant *
pack_clocks(const pd_sla_state *s)
{
	guint8 *buf = g_malloc0(CLOCK_SIZE * PD_SLA_NTARGETS);
	for (int i = 0; i < PD_SLA_NTARGETS; i++) {
		const pd_sla_clock *c = &s->clock[i];
		guint8 *p = buf + i * CLOCK_SIZE;
		guint32 state = (guint32)c->state;
		gint64 v[7] = { c->budget, c->used, c->since, c->started, c->done, c->due, c->warn };
		memcpy(p, &state, 4);
		memcpy(p + 8, v, sizeof v);
		p[64] = c->warned != FALSE;
		p[65] = c->breached != FALSE;
	}
	return g_variant_new_from_data(G_VARIANT_TYPE(CLOCKS_TYPE), buf, CLOCK_SIZE * PD_SLA_NTARGETS, TRUE, g_free, buf);
}

static gint64
as_int64(GVariant *v)
{
	return g_variant_is_of_type(v, G_VARIANT_TYPE_INT64) ? g_variant_get_int64(v) : 0;
}

void
pd_sla_state_load(pd_sla_state *s, const pd_ticket *t)
{
	pd_sla_state_init(s);
	GVariant *d = t->extra != NULL ? g_variant_lookup_value(t->extra, KEY, G_VARIANT_TYPE_VARDICT) : NULL;
	if (d == NULL)
		return;
	/* One pass over the entries (a lookup per field costs a scan each). */
	gsize n = g_variant_n_children(d);
	for (gsize i = 0; i < n; i++) {
		GVariant *entry = g_variant_get_child_value(d, i);
		GVariant *k = g_variant_get_child_value(entry, 0), *boxed = g_variant_get_child_value(entry, 1);
		GVariant *v = g_variant_get_variant(boxed);
		const char *key = g_variant_get_string(k, NULL);
		gboolean is_str = g_variant_is_of_type(v, G_VARIANT_TYPE_STRING);
		if (strcmp(key, "policy") == 0 && is_str)
			s->policy = g_variant_dup_string(v, NULL);
		else if (strcmp(key, "status") == 0 && is_str)
			s->status = g_variant_dup_string(v, NULL);
		else if (strcmp(key, "status_since") == 0)
			s->status_since = as_int64(v);
		else if (strcmp(key, "reminders") == 0 && g_variant_is_of_type(v, G_VARIANT_TYPE_UINT32))
			s->reminders = g_variant_get_uint32(v);
		else if (strcmp(key, "first_response") == 0)
			s->first_response = as_int64(v);
		else if (strcmp(key, "resolved") == 0)
			s->resolved = as_int64(v);
		else if (strcmp(key, "next") == 0)
			s->next = as_int64(v);
		else if (strcmp(key, "clocks") == 0 && g_variant_is_of_type(v, G_VARIANT_TYPE(CLOCKS_TYPE)))
			unpack_clocks(s, v);
		g_variant_unref(v);
		g_variant_unref(boxed);
		g_variant_unref(k);
		g_variant_unref(entry);
	}
	g_variant_unref(d);
}

static GVariant *
entry(const char *key, GVariant *value)
{
	return g_variant_new_dict_entry(g_variant_new_string(key), g_variant_new_variant(value));
}

static GVariant *
state_record(const pd_sla_state *s)
{
	GVariant *e[8];
	gsize n = 0;
	if (s->policy != NULL)
		e[n++] = entry("policy", g_variant_new_string(s->policy));
	if (s->status != NULL)
		e[n++] = entry("status", g_variant_new_string(s->status));
	e[n++] = entry("status_since", g_variant_new_int64(s->status_since));
	e[n++] = entry("reminders", g_variant_new_uint32(s->reminders));
	e[n++] = entry("first_response", g_variant_new_int64(s->first_response));
	e[n++] = entry("resolved", g_variant_new_int64(s->resolved));
	e[n++] = entry("next", g_variant_new_int64(s->next));
	e[n++] = entry("clocks", pack_clocks(s));
	return g_variant_new_array(G_VARIANT_TYPE("{sv}"), e, n);
}

void
pd_sla_state_store(const pd_sla_state *s, pd_ticket *t)
{
	GVariantDict d;
	g_variant_dict_init(&d, t->extra);
	g_variant_dict_insert_value(&d, KEY, state_record(s));
	if (t->extra != NULL)
		g_variant_unref(t->extra);
	t->extra = g_variant_ref_sink(g_variant_dict_end(&d));
}

GVariant *
pd_sla_state_to_variant(const pd_sla_state *s)
{
	GVariantBuilder b;
	g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
	if (s->policy != NULL)
		g_variant_builder_add(&b, "{sv}", "policy", g_variant_new_string(s->policy));
	for (int i = 0; i < PD_SLA_NTARGETS; i++) {
		const pd_sla_clock *c = &s->clock[i];
		if (c->budget == 0)
			continue;
		GVariantBuilder cb;
		g_variant_builder_init(&cb, G_VARIANT_TYPE_VARDICT);
		g_variant_builder_add(&cb, "{sv}", "state", g_variant_new_string(pd_clock_state_name(c->state)));
		g_variant_builder_add(&cb, "{sv}", "target_seconds", g_variant_new_int64(c->budget));
		g_variant_builder_add(&cb, "{sv}", "used_seconds", g_variant_new_int64(c->used));
		if (c->due != 0)
			g_variant_builder_add(&cb, "{sv}", "due", g_variant_new_int64(c->due));
		if (c->done != 0)
			g_variant_builder_add(&cb, "{sv}", "done", g_variant_new_int64(c->done));
		g_variant_builder_add(&cb, "{sv}", "breached",
		                      g_variant_new_boolean(c->breached || c->used > c->budget));
		g_variant_builder_add(&b, "{sv}", pd_sla_target_name((pd_sla_target)i), g_variant_builder_end(&cb));
	}
	if (s->next != 0)
		g_variant_builder_add(&b, "{sv}", "next", g_variant_new_int64(s->next));
	return g_variant_builder_end(&b);
}

/* ---- the fold ---- */

static gboolean
is_done_status(const char *status)
{
	return g_strcmp0(status, "resolved") == 0 || g_strcmp0(status, "closed") == 0;
}

static gboolean
pauses(const pd_sla_policy *p, const char *status)
{
	return is_done_status(status) ||
	       (p != NULL && status != NULL && g_strv_contains((const char *const *)p->pause, status));
}

static void
consume(const pd_sla_policy *p, pd_sla_clock *c, gint64 now)
{
	if (c->state == PD_CLOCK_RUNNING && p != NULL)
		c->used += pd_calendar_between(p->calendar, c->since / G_USEC_PER_SEC, now / G_USEC_PER_SEC);
	c->since = now;
}

static void
start(pd_sla_clock *c, gint64 budget, gint64 now, gboolean paused)
{
	memset(c, 0, sizeof *c);
	if (budget <= 0)
		return;
	c->budget = budget;
	c->state = paused ? PD_CLOCK_PAUSED : PD_CLOCK_RUNNING;
	c->since = c->started = now;
}

static void
pause_clock(const pd_sla_policy *p, pd_sla_clock *c, gint64 now)
{
	if (c->state != PD_CLOCK_RUNNING)
		return;
	consume(p, c, now);
	c->state = PD_CLOCK_PAUSED;
}

static void
resume_clock(pd_sla_clock *c, gint64 now)
{
	if (c->state != PD_CLOCK_PAUSED)
		return;
	c->state = PD_CLOCK_RUNNING;
	c->since = now;
}

static void
finish(const pd_sla_policy *p, pd_sla_clock *c, gint64 now, gboolean met)
{
	if (c->state != PD_CLOCK_RUNNING && c->state != PD_CLOCK_PAUSED)
		return;
	consume(p, c, now);
	c->state = met ? PD_CLOCK_MET : PD_CLOCK_STOPPED;
	c->done = now;
}

static void
status_change(const pd_sla_policy *p, pd_sla_state *s, const char *new_status, gint64 now)
{
	gboolean was_done = is_done_status(s->status);
	g_free(s->status);
	s->status = g_strdup(new_status);
	s->status_since = now;
	s->reminders = 0;
	if (is_done_status(new_status)) {
		if (!was_done)
			s->resolved = now;
		finish(p, &s->clock[PD_SLA_RESOLUTION], now, TRUE);
		finish(p, &s->clock[PD_SLA_FIRST_RESPONSE], now, FALSE);
		finish(p, &s->clock[PD_SLA_NEXT_REPLY], now, FALSE);
		return;
	}
	if (was_done) {
		/* Reopened: the resolution clock goes on from where it stopped. */
		s->resolved = 0;
		pd_sla_clock *r = &s->clock[PD_SLA_RESOLUTION];
		if (r->state == PD_CLOCK_MET) {
			r->state = PD_CLOCK_PAUSED;
			r->done = 0;
		}
	}
	for (int i = 0; i < PD_SLA_NTARGETS; i++) {
		if (pauses(p, new_status))
			pause_clock(p, &s->clock[i], now);
		else
			resume_clock(&s->clock[i], now);
	}
}

static const char *
data_str(const pd_event *e, const char *key)
{
	const char *v = NULL;
	if (e->data != NULL)
		g_variant_lookup(e->data, key, "&s", &v);
	return v;
}

static pd_sla_target
data_target(const pd_event *e)
{
	const char *name = data_str(e, "target");
	for (int i = 0; i < PD_SLA_NTARGETS; i++)
		if (g_strcmp0(name, pd_sla_target_name((pd_sla_target)i)) == 0)
			return (pd_sla_target)i;
	return PD_SLA_NTARGETS;
}

static gboolean
from_requester_side(const pd_ticket *t, const char *actor)
{
	return actor != NULL && (g_ascii_strcasecmp(actor, t->requester) == 0 ||
	                         g_strv_contains((const char *const *)t->watchers, actor));
}

/* The events the fold acts on (observe() below), and the two that may
 * change the policy; every other event leaves the clock as it was. */
static gboolean
moves_clock(const char *type)
{
	static const char *const types[] = { "created", "status", "agent-reply", "reply", "sla-warning",
		                             "sla-breach", "reminder", "queue", "priority", NULL };
	return g_strv_contains(types, type);
}

/* The fold, with the status the ticket had when it was created (a replay
 * knows it from the first status change, the live hook from the ticket). */
static void
observe(const pd_sla *sla, pd_sla_state *s, const pd_ticket *t, const pd_event *e, const char *initial_status)
{
	const pd_sla_policy *p = pd_sla_policy_named(sla, s->policy);
	if (strcmp(e->type, "created") == 0) {
		pd_sla_state_clear(s);
		p = pd_sla_policy_for(sla, t);
		s->policy = p != NULL ? g_strdup(p->name) : NULL;
		s->status = g_strdup(initial_status);
		s->status_since = e->time;
		gboolean paused = pauses(p, s->status);
		if (p != NULL) {
			start(&s->clock[PD_SLA_FIRST_RESPONSE], p->budget[PD_SLA_FIRST_RESPONSE], e->time, paused);
			start(&s->clock[PD_SLA_RESOLUTION], p->budget[PD_SLA_RESOLUTION], e->time, paused);
		}
	} else if (strcmp(e->type, "status") == 0) {
		status_change(p, s, data_str(e, "new"), e->time);
	} else if (strcmp(e->type, "agent-reply") == 0) {
		const char *text = data_str(e, "text");
		if (text == NULL || *text == '\0')
			return;  /* not relayed: not an answer */
		if (s->first_response == 0)
			s->first_response = e->time;
		finish(p, &s->clock[PD_SLA_FIRST_RESPONSE], e->time, TRUE);
		finish(p, &s->clock[PD_SLA_NEXT_REPLY], e->time, TRUE);
	} else if (strcmp(e->type, "reply") == 0 && from_requester_side(t, e->actor)) {
		pd_sla_clock *c = &s->clock[PD_SLA_NEXT_REPLY];
		if (p != NULL && c->state != PD_CLOCK_RUNNING && c->state != PD_CLOCK_PAUSED)
			start(c, p->budget[PD_SLA_NEXT_REPLY], e->time, pauses(p, s->status));
	} else if (strcmp(e->type, "sla-warning") == 0) {
		pd_sla_target i = data_target(e);
		if (i < PD_SLA_NTARGETS)
			s->clock[i].warned = TRUE;
	} else if (strcmp(e->type, "sla-breach") == 0) {
		pd_sla_target i = data_target(e);
		if (i < PD_SLA_NTARGETS)
			s->clock[i].warned = s->clock[i].breached = TRUE;
	} else if (strcmp(e->type, "reminder") == 0) {
		guint32 n = s->reminders + 1;
		if (e->data != NULL)
			g_variant_lookup(e->data, "number", "u", &n);
		s->reminders = n;
	}
}

void
pd_sla_observe(const pd_sla *sla, pd_sla_state *s, const pd_ticket *t, const pd_event *e)
{
	observe(sla, s, t, e, t->status);
}

static void
stretch_free(gpointer p)
{
	pd_sla_stretch *st = p;
	g_free(st->why);
	g_free(st);
}

static void
stretch_close(GPtrArray *out, pd_sla_stretch **open, gint64 when)
{
	if (*open == NULL)
		return;
	(*open)->end = when;
	*open = NULL;
}

static void
stretch_open(GPtrArray *out, pd_sla_stretch **open, pd_sla_target target, gint64 when, gboolean counted,
             const char *why)
{
	pd_sla_stretch *st = g_new0(pd_sla_stretch, 1);
	st->target = target;
	st->start = when;
	st->counted = counted;
	st->why = g_strdup(why);
	g_ptr_array_add(out, st);
	*open = st;
}

static const char *initial_status(const pd_ticket *t, GPtrArray *events);

GPtrArray *
pd_sla_trace(const pd_sla *sla, pd_sla_state *s, const pd_ticket *t, GPtrArray *events)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(stretch_free);
	pd_sla_stretch *open[PD_SLA_NTARGETS] = { NULL };
	const char *initial = initial_status(t, events);
	pd_sla_state_clear(s);
	for (guint i = 0; i < events->len; i++) {
		const pd_event *e = events->pdata[i];
		pd_sla_clock before[PD_SLA_NTARGETS];
		memcpy(before, s->clock, sizeof before);
		observe(sla, s, t, e, initial);
		for (int k = 0; k < PD_SLA_NTARGETS; k++) {
			const pd_sla_clock *b = &before[k], *c = &s->clock[k];
			if (b->state == c->state && b->started == c->started)
				continue;
			stretch_close(out, &open[k], e->time);
			if (c->state == PD_CLOCK_RUNNING || c->state == PD_CLOCK_PAUSED)
				stretch_open(out, &open[k], (pd_sla_target)k, e->time, c->state == PD_CLOCK_RUNNING,
				             c->state == PD_CLOCK_PAUSED ? s->status : NULL);
		}
	}
	pd_sla_plan(sla, s);
	return out;
}

static const char *
initial_status(const pd_ticket *t, GPtrArray *events)
{
	/* The status at creation: the old value of the first change, else today's. */
	for (guint i = 0; i < events->len; i++) {
		const pd_event *e = events->pdata[i];
		if (strcmp(e->type, "status") == 0) {
			const char *old = data_str(e, "old");
			return old != NULL && *old != '\0' ? old : "new";
		}
	}
	return t->status;
}

void
pd_sla_replay(const pd_sla *sla, pd_sla_state *s, const pd_ticket *t, GPtrArray *events)
{
	const char *initial = initial_status(t, events);
	pd_sla_state_clear(s);
	for (guint i = 0; i < events->len; i++)
		observe(sla, s, t, events->pdata[i], initial);
	pd_sla_plan(sla, s);
}

/* ---- when the scheduler is next needed ---- */

static gint64
add_business(const pd_sla_policy *p, gint64 since, gint64 seconds)
{
	gint64 r;
	if (seconds <= 0)
		return since;
	if (!pd_calendar_add_seconds(p->calendar, since / G_USEC_PER_SEC, seconds, &r, NULL))
		return 0;  /* never: a calendar without working hours */
	return MAX(r * G_USEC_PER_SEC, since);
}

static void
earliest(gint64 *next, gint64 when)
{
	if (when > 0 && (*next == 0 || when < *next))
		*next = when;
}

void
pd_sla_plan(const pd_sla *sla, pd_sla_state *s)
{
	const pd_sla_policy *p = pd_sla_policy_named(sla, s->policy);
	gint64 next = 0;
	for (int i = 0; i < PD_SLA_NTARGETS; i++) {
		pd_sla_clock *c = &s->clock[i];
		if (c->state != PD_CLOCK_RUNNING || p == NULL) {
			if (c->state != PD_CLOCK_RUNNING)
				c->due = c->warn = 0;
			continue;
		}
		c->due = add_business(p, c->since, c->budget - c->used);
		gint64 threshold = c->budget * p->warn_percent / 100;
		c->warn = add_business(p, c->since, threshold - c->used);
		if (!c->breached)
			earliest(&next, c->due);
		if (!c->warned && !c->breached && c->warn < c->due)
			earliest(&next, c->warn);
	}
	if (g_strcmp0(s->status, "pending") == 0) {
		gint64 resolve = pd_sla_resolve_pending_after(sla), remind = pd_sla_remind_pending_after(sla);
		gint64 resolve_at = resolve > 0 ? s->status_since + resolve : 0;
		gint64 remind_at = remind > 0 ? s->status_since + (gint64)(s->reminders + 1) * remind : 0;
		earliest(&next, resolve_at);
		if (resolve_at == 0 || remind_at < resolve_at)
			earliest(&next, remind_at);
	} else if (g_strcmp0(s->status, "resolved") == 0 && pd_sla_close_resolved_after(sla) > 0)
		earliest(&next, s->status_since + pd_sla_close_resolved_after(sla));
	s->next = next;
}

/* ---- the store's event hook ---- */

gboolean
pd_sla_event_hook(pd_txn *txn, pd_ticket *t, const pd_event *e, gpointer data, GError **error)
{
	const pd_sla *sla = data;
	if (!moves_clock(e->type))
		return TRUE;  /* notes, links, tags, suppressed notifications: nothing to fold or plan */
	pd_sla_state s;
	pd_sla_state_load(&s, t);
	gint64 old_next = s.next;
	pd_sla_observe(sla, &s, t, e);
	gboolean ok = TRUE;
	/* A new queue or priority may bring another policy: the clocks are
	 * then what they would have been under it from the start. */
	if (strcmp(e->type, "queue") == 0 || strcmp(e->type, "priority") == 0) {
		const pd_sla_policy *p = pd_sla_policy_for(sla, t);
		if (g_strcmp0(p != NULL ? p->name : NULL, s.policy) != 0) {
			GPtrArray *events = pd_events_list(txn, t->id, error);
			ok = events != NULL;
			if (ok) {
				pd_sla_replay(sla, &s, t, events);
				g_ptr_array_unref(events);
			}
		}
	}
	if (ok) {
		pd_sla_plan(sla, &s);
		pd_sla_state_store(&s, t);
		ok = pd_timer_move(txn, t->id, old_next, s.next, error);
	}
	pd_sla_state_clear(&s);
	return ok;
}
