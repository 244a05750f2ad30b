/* test-sla.c: the SLA clock as a fold over events, table-driven: pauses, reopening, next replies, DST, lifecycle timers. */
#include "config.h"
#include "sla/sla.h"
#include "pd.h"

#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

static const char *const conf_text =
	"[calendar office]\n"
	"timezone = Europe/Berlin\n"
	"hours = mon-fri 09:00-17:00\n"
	"holidays = 2026-03-06\n"
	"[calendar always]\n"
	"timezone = Europe/Berlin\n"
	"hours = 24x7\n"
	"[sla legal]\n"
	"applies = rules\n"
	"resolution = 30d\n"
	"[sla vip]\n"
	"calendar = always\n"
	"priorities = urgent\n"
	"first_response = 30m\n"
	"resolution = 4h\n"
	"[sla standard]\n"
	"calendar = office\n"
	"first_response = 2h\n"
	"next_reply = 4h\n"
	"resolution = 16h\n"
	"warn_at = 50\n"
	"pause = pending, on-hold\n"
	"[lifecycle]\n"
	"remind_pending_after = 3d\n"
	"resolve_pending_after = 10d\n"
	"close_resolved_after = 7d\n";

static pd_sla *
load_sla(const char *text, GPtrArray *problems)
{
	char *path = NULL;
	int fd = g_file_open_tmp("pd-sla-XXXXXX.conf", &path, NULL);
	g_assert_cmpint(fd, >=, 0);
	g_assert_true(g_file_set_contents(path, text, -1, NULL));
	close(fd);
	pd_config *cfg = pd_config_load(path, problems);
	pd_sla *sla = cfg != NULL ? pd_sla_new(cfg, problems) : NULL;
	pd_config_free(&cfg);
	g_unlink(path);
	g_free(path);
	return sla;
}

static gint64
at(const char *iso)
{
	GDateTime *dt = g_date_time_new_from_iso8601(iso, NULL);
	g_assert_nonnull(dt);
	gint64 us = g_date_time_to_unix(dt) * G_USEC_PER_SEC;
	g_date_time_unref(dt);
	return us;
}

/* One step: an event at an instant. For "status" the value is the new
 * status; for "agent-reply" the text; for "reply" the actor. */
typedef struct {
	const char *time;
	const char *type;
	const char *value;
} step;

typedef struct {
	const char *name;
	const char *priority;
	step steps[8];
	/* expected after the last step */
	pd_sla_target target;
	pd_clock_state state;
	gint64 used;           /* business seconds */
	const char *due;       /* RUNNING: the due instant; NULL: not checked */
	const char *next;      /* the scheduler's next instant; "" none; NULL: not checked */
} fold_case;

static const fold_case cases[] = {
	{ "answered within hours", "normal",
	  { { "2026-03-02T08:00:00Z", "created", NULL }, { "2026-03-02T09:15:00Z", "agent-reply", "hi" } },
	  PD_SLA_FIRST_RESPONSE, PD_CLOCK_MET, 4500, NULL, "2026-03-02T16:00:00Z" },
	{ "friday evening: due on monday", "normal",
	  { { "2026-03-13T15:00:00Z", "created", NULL } },
	  PD_SLA_FIRST_RESPONSE, PD_CLOCK_RUNNING, 0, "2026-03-16T09:00:00Z", "2026-03-13T16:00:00Z" },
	{ "holiday friday skipped", "normal",
	  { { "2026-03-05T15:00:00Z", "created", NULL } },
	  PD_SLA_FIRST_RESPONSE, PD_CLOCK_RUNNING, 0, "2026-03-09T09:00:00Z", NULL },
	{ "pending stops the clock", "normal",
	  { { "2026-03-02T08:00:00Z", "created", NULL }, { "2026-03-02T09:00:00Z", "status", "pending" },
	    { "2026-03-04T08:00:00Z", "status", "open" } },
	  PD_SLA_RESOLUTION, PD_CLOCK_RUNNING, 3600, "2026-03-05T15:00:00Z", NULL },
	{ "a configured pause status", "normal",
	  { { "2026-03-02T08:00:00Z", "created", NULL }, { "2026-03-02T10:00:00Z", "status", "on-hold" } },
	  PD_SLA_RESOLUTION, PD_CLOCK_PAUSED, 7200, NULL, "" },
	{ "pending plans the reminder", "normal",
	  { { "2026-03-02T08:00:00Z", "created", NULL }, { "2026-03-02T09:00:00Z", "status", "pending" } },
	  PD_SLA_RESOLUTION, PD_CLOCK_PAUSED, 3600, NULL, "2026-03-05T09:00:00Z" },
	{ "resolved before any reply stops the first response", "normal",
	  { { "2026-03-02T08:00:00Z", "created", NULL }, { "2026-03-02T08:30:00Z", "status", "resolved" } },
	  PD_SLA_FIRST_RESPONSE, PD_CLOCK_STOPPED, 1800, NULL, "2026-03-09T08:30:00Z" },
	{ "reopening resumes the resolution clock", "normal",
	  { { "2026-03-02T08:00:00Z", "created", NULL }, { "2026-03-02T10:00:00Z", "status", "resolved" },
	    { "2026-03-03T08:00:00Z", "status", "open" } },
	  PD_SLA_RESOLUTION, PD_CLOCK_RUNNING, 7200, "2026-03-04T14:00:00Z", NULL },
	{ "a requester's reply starts the next-reply clock", "normal",
	  { { "2026-03-02T08:00:00Z", "created", NULL }, { "2026-03-02T08:10:00Z", "agent-reply", "hello" },
	    { "2026-03-02T12:00:00Z", "reply", "anna@example.org" } },
	  PD_SLA_NEXT_REPLY, PD_CLOCK_RUNNING, 0, "2026-03-02T16:00:00Z", NULL },
	{ "the agent's answer meets the next reply", "normal",
	  { { "2026-03-02T08:00:00Z", "created", NULL }, { "2026-03-02T08:10:00Z", "agent-reply", "hello" },
	    { "2026-03-02T12:00:00Z", "reply", "anna@example.org" }, { "2026-03-02T13:00:00Z", "agent-reply", "again" } },
	  PD_SLA_NEXT_REPLY, PD_CLOCK_MET, 3600, NULL, NULL },
	{ "an empty agent reply is no answer", "normal",
	  { { "2026-03-02T08:00:00Z", "created", NULL }, { "2026-03-02T08:10:00Z", "agent-reply", "" } },
	  PD_SLA_FIRST_RESPONSE, PD_CLOCK_RUNNING, 0, "2026-03-02T10:00:00Z", "2026-03-02T09:00:00Z" },
	{ "a reply by someone else starts nothing", "normal",
	  { { "2026-03-02T08:00:00Z", "created", NULL }, { "2026-03-02T08:10:00Z", "agent-reply", "hello" },
	    { "2026-03-02T12:00:00Z", "reply", "mallory@example.net" } },
	  PD_SLA_NEXT_REPLY, PD_CLOCK_OFF, 0, NULL, NULL },
	{ "spring forward: working hours keep their wall clock", "normal",
	  { { "2026-03-27T15:00:00Z", "created", NULL } },
	  PD_SLA_FIRST_RESPONSE, PD_CLOCK_RUNNING, 0, "2026-03-30T08:00:00Z", NULL },
	{ "autumn back: working hours keep their wall clock", "normal",
	  { { "2026-10-23T14:00:00Z", "created", NULL } },
	  PD_SLA_FIRST_RESPONSE, PD_CLOCK_RUNNING, 0, "2026-10-26T09:00:00Z", NULL },
	{ "around the clock across spring forward", "urgent",
	  { { "2026-03-29T00:45:00Z", "created", NULL } },
	  PD_SLA_FIRST_RESPONSE, PD_CLOCK_RUNNING, 0, "2026-03-29T01:15:00Z", "2026-03-29T01:09:00Z" },
	{ "the priority picks the policy", "urgent",
	  { { "2026-03-02T08:00:00Z", "created", NULL }, { "2026-03-02T08:20:00Z", "agent-reply", "on it" } },
	  PD_SLA_FIRST_RESPONSE, PD_CLOCK_MET, 1200, NULL, NULL },
	{ "a warning made is not planned again", "normal",
	  { { "2026-03-02T08:00:00Z", "created", NULL }, { "2026-03-02T09:00:00Z", "sla-warning", "first-response" } },
	  PD_SLA_FIRST_RESPONSE, PD_CLOCK_RUNNING, 0, "2026-03-02T10:00:00Z", "2026-03-02T10:00:00Z" },
	{ "closed: nothing more to plan", "normal",
	  { { "2026-03-02T08:00:00Z", "created", NULL }, { "2026-03-02T10:00:00Z", "status", "closed" } },
	  PD_SLA_RESOLUTION, PD_CLOCK_MET, 7200, NULL, "" },
};

static pd_event *
make_event(const step *s, guint32 seq)
{
	pd_event *e = g_new0(pd_event, 1);
	e->ticket = 1000;
	e->seq = seq;
	e->type = g_strdup(s->type);
	e->time = at(s->time);
	e->actor = g_strdup(strcmp(s->type, "reply") == 0 ? s->value : "alice@example.com");
	GVariantDict d;
	g_variant_dict_init(&d, NULL);
	if (strcmp(s->type, "status") == 0) {
		g_variant_dict_insert(&d, "old", "s", "");
		g_variant_dict_insert(&d, "new", "s", s->value);
	} else if (strcmp(s->type, "agent-reply") == 0)
		g_variant_dict_insert(&d, "text", "s", s->value);
	else if (strncmp(s->type, "sla-", 4) == 0)
		g_variant_dict_insert(&d, "target", "s", s->value);
	e->data = g_variant_ref_sink(g_variant_dict_end(&d));
	return e;
}

static void
event_free(gpointer p)
{
	pd_event *e = p;
	pd_event_free(&e);
}

static char *
iso(gint64 usec)
{
	if (usec == 0)
		return g_strdup("");
	GDateTime *dt = g_date_time_new_from_unix_utc(usec / G_USEC_PER_SEC);
	char *s = g_date_time_format(dt, "%Y-%m-%dT%H:%M:%SZ");
	g_date_time_unref(dt);
	return s;
}

static void
test_fold(gconstpointer data)
{
	const fold_case *c = data;
	pd_sla *sla = load_sla(conf_text, NULL);
	g_assert_nonnull(sla);
	pd_ticket *t = pd_ticket_new();
	t->id = 1000;
	t->status = g_strdup("new");
	t->requester = g_strdup("anna@example.org");
	t->queue = g_strdup("general");
	t->priority = g_strdup(c->priority);
	pd_sla_state live;
	pd_sla_state_init(&live);
	GPtrArray *events = g_ptr_array_new_with_free_func(event_free);
	for (guint i = 0; i < G_N_ELEMENTS(c->steps) && c->steps[i].time != NULL; i++) {
		pd_event *e = make_event(&c->steps[i], i + 1);
		if (strcmp(e->type, "status") == 0) {
			g_variant_unref(e->data);
			e->data = g_variant_ref_sink(g_variant_new_parsed("{'old': <%s>, 'new': <%s>}", t->status, c->steps[i].value));
			g_free(t->status);
			t->status = g_strdup(c->steps[i].value);
		}
		/* The live path: observe each event and plan, through the stored record. */
		pd_sla_observe(sla, &live, t, e);
		pd_sla_plan(sla, &live);
		pd_sla_state_store(&live, t);
		pd_sla_state_clear(&live);
		pd_sla_state_load(&live, t);
		g_ptr_array_add(events, e);
	}
	const pd_sla_clock *k = &live.clock[c->target];
	g_assert_cmpstr(pd_clock_state_name(k->state), ==, pd_clock_state_name(c->state));
	g_assert_cmpint(k->used, ==, c->used);
	if (c->due != NULL) {
		char *due = iso(k->due);
		g_assert_cmpstr(due, ==, c->due);
		g_free(due);
	}
	if (c->next != NULL) {
		char *next = iso(live.next);
		g_assert_cmpstr(next, ==, c->next);
		g_free(next);
	}
	/* The replay of the whole log gives the same state. */
	pd_sla_state replayed;
	pd_sla_state_init(&replayed);
	pd_sla_replay(sla, &replayed, t, events);
	for (int i = 0; i < PD_SLA_NTARGETS; i++) {
		g_assert_cmpint(replayed.clock[i].state, ==, live.clock[i].state);
		g_assert_cmpint(replayed.clock[i].used, ==, live.clock[i].used);
		g_assert_cmpint(replayed.clock[i].due, ==, live.clock[i].due);
	}
	g_assert_cmpint(replayed.next, ==, live.next);
	pd_sla_state_clear(&replayed);
	pd_sla_state_clear(&live);
	g_ptr_array_unref(events);
	pd_ticket_free(&t);
	pd_sla_free(&sla);
}

static void
test_config_errors(void)
{
	GPtrArray *problems = g_ptr_array_new_with_free_func(g_free);
	pd_sla *sla = load_sla("[calendar office]\nhours = mon-fri 09:00-17:00\ntimezone = Mars/Olympus\n"
	                       "[calendar bad]\nhours = mon-fri 9-17\n"
	                       "[sla gold]\ncalendar = nowhere\nfirst_response = 1h\n"
	                       "[sla empty]\n", problems);
	g_assert_null(sla);
	g_assert_cmpuint(problems->len, ==, 4);
	g_assert_nonnull(strstr(problems->pdata[0], ":3: calendar office.timezone: unknown time zone"));
	g_assert_nonnull(strstr(problems->pdata[1], ":5: calendar bad.hours: "));
	g_assert_nonnull(strstr(problems->pdata[2], ":7: sla gold.calendar: no [calendar nowhere] section"));
	g_assert_nonnull(strstr(problems->pdata[3], ":9: sla empty: no target"));
	g_ptr_array_unref(problems);
}

static void
test_policy_choice(void)
{
	pd_sla *sla = load_sla(conf_text, NULL);
	pd_ticket *t = pd_ticket_new();
	t->queue = g_strdup("general");
	t->priority = g_strdup("urgent");
	g_assert_cmpstr(pd_sla_policy_for(sla, t)->name, ==, "vip");
	g_free(t->priority);
	t->priority = g_strdup("low");
	g_assert_cmpstr(pd_sla_policy_for(sla, t)->name, ==, "standard");
	/* A rule's choice wins over the order. */
	t->extra = g_variant_ref_sink(g_variant_new_parsed("{'sla': <'vip'>}"));
	g_assert_cmpstr(pd_sla_policy_for(sla, t)->name, ==, "vip");
	/* A policy for rules only is never picked by the order. */
	g_variant_unref(t->extra);
	t->extra = g_variant_ref_sink(g_variant_new_parsed("{'sla': <'legal'>}"));
	g_assert_cmpstr(pd_sla_policy_for(sla, t)->name, ==, "legal");
	char **names = pd_sla_policy_names(sla);
	g_assert_cmpuint(g_strv_length(names), ==, 3);
	g_strfreev(names);
	pd_ticket_free(&t);
	pd_sla_free(&sla);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_setenv("TZ", "UTC", TRUE);
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		char *path = g_strdup_printf("/sla/fold/%s", cases[i].name);
		g_test_add_data_func(path, &cases[i], test_fold);
		g_free(path);
	}
	g_test_add_func("/sla/config-errors", test_config_errors);
	g_test_add_func("/sla/policy-choice", test_policy_choice);
	return g_test_run();
}
