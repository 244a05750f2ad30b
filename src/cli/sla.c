/* sla.c: postdesk sla explain (a ticket's clocks, stretch by stretch) and postdesk sla run (the due actions, now). */
#include "config.h"
#include "cli.h"
#include "pd.h"

#include <stdio.h>
#include <string.h>

/* "2h 05m", "45m", "12s": business time reads best in hours. */
static char *
span_text(gint64 secs)
{
	if (secs < 60)
		return g_strdup_printf("%" G_GINT64_FORMAT "s", MAX(secs, 0));
	gint64 h = secs / 3600, m = secs % 3600 / 60;
	return h > 0 ? g_strdup_printf("%" G_GINT64_FORMAT "h %02" G_GINT64_FORMAT "m", h, m)
	             : g_strdup_printf("%" G_GINT64_FORMAT "m", m);
}

static char *
local_time(GTimeZone *tz, gint64 usec)
{
	if (usec == 0)
		return g_strdup("now");
	GDateTime *utc = g_date_time_new_from_unix_utc(usec / G_USEC_PER_SEC);
	GDateTime *local = g_date_time_to_timezone(utc, tz);
	char *s = g_date_time_format(local, "%a %Y-%m-%d %H:%M %Z");
	g_date_time_unref(local);
	g_date_time_unref(utc);
	return s;
}

typedef struct {
	const pd_sla *sla;
	const pd_sla_policy *policy;  /* may be NULL */
	GTimeZone *tz;
	pd_sla_state state;
	GPtrArray *stretches;
	gint64 now;
} explain;

static gint64
business(const explain *x, gint64 a, gint64 b)
{
	if (x->policy == NULL)
		return 0;
	return pd_calendar_between(x->policy->calendar, a / G_USEC_PER_SEC, (b != 0 ? b : x->now) / G_USEC_PER_SEC);
}

/* Used business time of a clock as of now. */
static gint64
used_now(const explain *x, const pd_sla_clock *c)
{
	return c->used + (c->state == PD_CLOCK_RUNNING ? business(x, c->since, x->now) : 0);
}

static const char *
verdict(const explain *x, const pd_sla_clock *c)
{
	gint64 used = used_now(x, c);
	switch (c->state) {
	case PD_CLOCK_MET:
		return used <= c->budget ? "met in time" : "met late (breached)";
	case PD_CLOCK_STOPPED:
		return "stopped: resolved without it";
	case PD_CLOCK_RUNNING:
		return used > c->budget || c->breached ? "running, breached" : "running";
	case PD_CLOCK_PAUSED:
		return used > c->budget || c->breached ? "paused, breached" : "paused";
	default:
		return "not started";
	}
}

static void
print_segments(const explain *x, const pd_sla_stretch *st)
{
	GArray *segs = pd_calendar_segments(x->policy->calendar, st->start / G_USEC_PER_SEC,
	                                    (st->end != 0 ? st->end : x->now) / G_USEC_PER_SEC);
	const guint shown = 8;
	for (guint i = 0; i < segs->len && i < shown; i++) {
		const pd_calendar_segment *sg = &g_array_index(segs, pd_calendar_segment, i);
		char *a = local_time(x->tz, sg->start * G_USEC_PER_SEC), *b = local_time(x->tz, sg->end * G_USEC_PER_SEC);
		char *len = span_text(sg->end - sg->start);
		printf("      working  %s -> %s  %s\n", a, b, len);
		g_free(a);
		g_free(b);
		g_free(len);
	}
	if (segs->len > shown)
		printf("      ... and %u more working stretches\n", segs->len - shown);
	g_array_unref(segs);
}

static void
print_clock(const explain *x, pd_sla_target k)
{
	const pd_sla_clock *c = &x->state.clock[k];
	char *target = span_text(c->budget), *used = span_text(used_now(x, c));
	printf("\n%s: %s; %s of %s used\n", pd_sla_target_name(k), verdict(x, c), used, target);
	g_free(target);
	g_free(used);
	if (c->state == PD_CLOCK_RUNNING) {
		char *due = local_time(x->tz, c->due), *warn = local_time(x->tz, c->warn);
		printf("  due       %s%s\n", due, c->breached ? " (breach recorded)" : "");
		if (c->warn < c->due)
			printf("  warning   %s%s\n", warn, c->warned ? " (sent)" : "");
		g_free(due);
		g_free(warn);
	} else if (c->done != 0) {
		char *done = local_time(x->tz, c->done);
		printf("  done      %s\n", done);
		g_free(done);
	}
	for (guint i = 0; i < x->stretches->len; i++) {
		const pd_sla_stretch *st = x->stretches->pdata[i];
		if (st->target != k)
			continue;
		char *a = local_time(x->tz, st->start), *b = local_time(x->tz, st->end);
		if (st->counted) {
			char *len = span_text(business(x, st->start, st->end));
			printf("  counted   %s -> %s  business time %s\n", a, b, len);
			g_free(len);
			print_segments(x, st);
		} else
			printf("  paused    %s -> %s  (%s)\n", a, b, st->why != NULL ? st->why : "");
		g_free(a);
		g_free(b);
	}
}

/* The first and last instants the clocks cover, for the holidays line. */
static void
clock_span(const explain *x, gint64 *a_r, gint64 *b_r)
{
	gint64 a = 0, b = 0;
	for (guint i = 0; i < x->stretches->len; i++) {
		const pd_sla_stretch *st = x->stretches->pdata[i];
		gint64 end = st->end != 0 ? st->end : x->now;
		if (a == 0 || st->start < a)
			a = st->start;
		b = MAX(b, end);
	}
	for (int k = 0; k < PD_SLA_NTARGETS; k++)
		if (x->state.clock[k].state == PD_CLOCK_RUNNING)
			b = MAX(b, x->state.clock[k].due);
	*a_r = a;
	*b_r = b;
}

static const char *
next_action(const explain *x)
{
	const pd_sla_state *s = &x->state;
	for (int k = 0; k < PD_SLA_NTARGETS; k++) {
		const pd_sla_clock *c = &s->clock[k];
		if (c->state != PD_CLOCK_RUNNING)
			continue;
		if (s->next == c->warn && !c->warned)
			return "SLA warning";
		if (s->next == c->due && !c->breached)
			return "SLA breach";
	}
	if (g_strcmp0(s->status, "pending") == 0)
		return pd_sla_resolve_pending_after(x->sla) > 0 &&
		               s->next == s->status_since + pd_sla_resolve_pending_after(x->sla)
		           ? "auto-resolve (no answer from the requester)"
		           : "reminder to the requester";
	if (g_strcmp0(s->status, "resolved") == 0)
		return "auto-close";
	return "none";
}

static void
print_text(const explain *x, const pd_ticket *t)
{
	printf("Ticket #%" G_GUINT64_FORMAT ": %s\n", t->id, t->subject);
	if (x->policy == NULL)
		printf("No service level applies (queue %s, priority %s).\n", t->queue, t->priority);
	else {
		char *hours = pd_calendar_format_hours(x->policy->calendar);
		printf("Policy %s, calendar %s (%s; %s), warning at %u%%\n", x->policy->name,
		       *x->policy->calendar_name != '\0' ? x->policy->calendar_name : "around the clock",
		       g_time_zone_get_identifier(x->tz), hours, x->policy->warn_percent);
		g_free(hours);
	}
	char *since = local_time(x->tz, x->state.status_since);
	printf("Status %s since %s\n", t->status, since);
	g_free(since);
	for (int k = 0; x->policy != NULL && k < PD_SLA_NTARGETS; k++)
		if (x->state.clock[k].budget > 0)
			print_clock(x, (pd_sla_target)k);
	if (x->policy != NULL) {
		gint64 a, b;
		clock_span(x, &a, &b);
		GPtrArray *hol = pd_calendar_holidays(x->policy->calendar, a / G_USEC_PER_SEC, b / G_USEC_PER_SEC + 1);
		if (hol->len > 0) {
			g_ptr_array_add(hol, NULL);
			char *list = g_strjoinv(", ", (char **)hol->pdata);
			printf("\nHolidays within the clocks: %s\n", list);
			g_free(list);
		}
		g_ptr_array_unref(hol);
	}
	if (x->state.next != 0) {
		char *next = local_time(x->tz, x->state.next);
		printf("\nNext scheduled action: %s at %s\n", next_action(x), next);
		g_free(next);
	} else
		printf("\nNext scheduled action: none\n");
}

static void
add_time(JsonBuilder *b, const char *name, gint64 usec)
{
	json_builder_set_member_name(b, name);
	if (usec == 0) {
		json_builder_add_null_value(b);
		return;
	}
	char *t = pd_cli_iso_time(usec);
	json_builder_add_string_value(b, t);
	g_free(t);
}

static void
print_json(const explain *x, const pd_ticket *t)
{
	JsonBuilder *b = json_builder_new();
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "ticket");
	json_builder_add_int_value(b, (gint64)t->id);
	json_builder_set_member_name(b, "status");
	json_builder_add_string_value(b, t->status);
	add_time(b, "status_since", x->state.status_since);
	json_builder_set_member_name(b, "policy");
	if (x->policy != NULL)
		json_builder_add_string_value(b, x->policy->name);
	else
		json_builder_add_null_value(b);
	json_builder_set_member_name(b, "timezone");
	json_builder_add_string_value(b, g_time_zone_get_identifier(x->tz));
	json_builder_set_member_name(b, "clocks");
	json_builder_begin_array(b);
	for (int k = 0; x->policy != NULL && k < PD_SLA_NTARGETS; k++) {
		const pd_sla_clock *c = &x->state.clock[k];
		if (c->budget == 0)
			continue;
		json_builder_begin_object(b);
		json_builder_set_member_name(b, "target");
		json_builder_add_string_value(b, pd_sla_target_name((pd_sla_target)k));
		json_builder_set_member_name(b, "state");
		json_builder_add_string_value(b, pd_clock_state_name(c->state));
		json_builder_set_member_name(b, "verdict");
		json_builder_add_string_value(b, verdict(x, c));
		json_builder_set_member_name(b, "target_seconds");
		json_builder_add_int_value(b, c->budget);
		json_builder_set_member_name(b, "used_seconds");
		json_builder_add_int_value(b, used_now(x, c));
		add_time(b, "due", c->state == PD_CLOCK_RUNNING ? c->due : 0);
		add_time(b, "warning", c->state == PD_CLOCK_RUNNING && c->warn < c->due ? c->warn : 0);
		add_time(b, "done", c->done);
		json_builder_set_member_name(b, "warned");
		json_builder_add_boolean_value(b, c->warned);
		json_builder_set_member_name(b, "breached");
		json_builder_add_boolean_value(b, c->breached || used_now(x, c) > c->budget);
		json_builder_set_member_name(b, "stretches");
		json_builder_begin_array(b);
		for (guint i = 0; i < x->stretches->len; i++) {
			const pd_sla_stretch *st = x->stretches->pdata[i];
			if (st->target != (pd_sla_target)k)
				continue;
			json_builder_begin_object(b);
			json_builder_set_member_name(b, "kind");
			json_builder_add_string_value(b, st->counted ? "counted" : "paused");
			add_time(b, "start", st->start);
			add_time(b, "end", st->end);
			if (st->counted) {
				json_builder_set_member_name(b, "business_seconds");
				json_builder_add_int_value(b, business(x, st->start, st->end));
			} else {
				json_builder_set_member_name(b, "status");
				json_builder_add_string_value(b, st->why != NULL ? st->why : "");
			}
			json_builder_end_object(b);
		}
		json_builder_end_array(b);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	json_builder_set_member_name(b, "holidays");
	json_builder_begin_array(b);
	if (x->policy != NULL) {
		gint64 a, z;
		clock_span(x, &a, &z);
		GPtrArray *hol = pd_calendar_holidays(x->policy->calendar, a / G_USEC_PER_SEC, z / G_USEC_PER_SEC + 1);
		for (guint i = 0; i < hol->len; i++)
			json_builder_add_string_value(b, hol->pdata[i]);
		g_ptr_array_unref(hol);
	}
	json_builder_end_array(b);
	json_builder_set_member_name(b, "next_action");
	json_builder_add_string_value(b, x->state.next != 0 ? next_action(x) : "none");
	add_time(b, "next_action_at", x->state.next);
	json_builder_end_object(b);
	JsonNode *root = json_builder_get_root(b);
	pd_cli_print_json(root);
	json_node_unref(root);
	g_object_unref(b);
}

static int
sla_explain(pd_cli *cli, pd_app *app, gboolean json)
{
	pd_cli_ticket c = { 0 };
	if (cli->argc != 3 || !pd_cli_parse_id(cli->argv[2], &c.id)) {
		fprintf(stderr, "postdesk sla explain: expected one ticket number, e.g. postdesk sla explain 1042\n");
		return PD_CLI_USAGE;
	}
	GError *e = NULL;
	if (!pd_cli_read_ticket(app->store, &c, &e)) {
		fprintf(stderr, "postdesk sla explain: %s\n", e->message);
		g_error_free(e);
		pd_cli_ticket_clear(&c);
		return PD_CLI_FAIL;
	}
	/* The clock replayed from the log with the policy in force now. */
	explain x = { .sla = app->sla, .now = pd_now_usec() };
	pd_sla_state_init(&x.state);
	x.stretches = pd_sla_trace(app->sla, &x.state, c.ticket, c.events);
	x.policy = pd_sla_policy_named(app->sla, x.state.policy);
	x.tz = x.policy != NULL ? g_time_zone_ref(pd_calendar_get_timezone(x.policy->calendar)) : g_time_zone_new_utc();
	if (json)
		print_json(&x, c.ticket);
	else
		print_text(&x, c.ticket);
	g_time_zone_unref(x.tz);
	g_ptr_array_unref(x.stretches);
	pd_sla_state_clear(&x.state);
	pd_cli_ticket_clear(&c);
	return PD_CLI_OK;
}

static int
sla_run(pd_app *app, gboolean json)
{
	pd_sla_run_stats st;
	if (!pd_app_run_scheduler(app, pd_now_usec(), &st))
		return PD_CLI_FAIL;
	if (json) {
		JsonBuilder *b = json_builder_new();
		json_builder_begin_object(b);
		const struct { const char *name; guint value; } f[] = {
			{ "tickets", st.tickets }, { "warnings", st.warnings }, { "breaches", st.breaches },
			{ "reminders", st.reminders }, { "resolved", st.resolved }, { "closed", st.closed },
		};
		for (guint i = 0; i < G_N_ELEMENTS(f); i++) {
			json_builder_set_member_name(b, f[i].name);
			json_builder_add_int_value(b, f[i].value);
		}
		json_builder_end_object(b);
		JsonNode *root = json_builder_get_root(b);
		pd_cli_print_json(root);
		json_node_unref(root);
		g_object_unref(b);
	} else
		printf("%u ticket(s): %u warning(s), %u breach(es), %u reminder(s), %u resolved, %u closed\n",
		       st.tickets, st.warnings, st.breaches, st.reminders, st.resolved, st.closed);
	return PD_CLI_OK;
}

int
pd_cli_sla(pd_cli *cli)
{
	gboolean json = FALSE;
	GOptionEntry entries[] = {
		{ "json", 0, 0, G_OPTION_ARG_NONE, &json, "JSON output", NULL },
		{ NULL },
	};
	if (!pd_cli_parse(cli, "explain ID | run",
	                  "explain ID: a ticket's SLA clocks from its event log: policy, calendar, counted and paused\n"
	                  "  stretches with their working hours, holidays, due and warning times, the next action.\n"
	                  "run: do the SLA warnings and breaches, reminders, auto-resolves and auto-closes that are\n"
	                  "  due now, as the daemon's scheduler does (once; for cron or a test).",
	                  entries))
		return PD_CLI_USAGE;
	gboolean is_explain = cli->argc >= 2 && strcmp(cli->argv[1], "explain") == 0;
	gboolean is_run = cli->argc == 2 && strcmp(cli->argv[1], "run") == 0;
	if (!is_explain && !is_run) {
		fprintf(stderr, "postdesk sla: expected 'explain ID' or 'run'\n");
		return PD_CLI_USAGE;
	}
	pd_app app = { 0 };
	if (!pd_cli_open(cli, &app))
		return PD_CLI_FAIL;
	int rc = is_explain ? sla_explain(cli, &app, json) : sla_run(&app, json);
	pd_app_close(&app);
	return rc;
}
