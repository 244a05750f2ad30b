/* policy.c: service-level policies, their calendars and the lifecycle periods, read from the config. */
#include "config.h"
#include "sla.h"

#include <string.h>

struct pd_sla {
	GPtrArray *policies;    /* pd_sla_policy*, in file order */
	GHashTable *calendars;  /* name -> pd_calendar* (owned); "" is around the clock in UTC */
	gint64 remind_after, resolve_after, close_after;  /* µs; 0: off */
};

static const char *const target_names[PD_SLA_NTARGETS] = { "first-response", "next-reply", "resolution" };
static const char *const target_keys[PD_SLA_NTARGETS] = { "first_response", "next_reply", "resolution" };

const char *
pd_sla_target_name(pd_sla_target t)
{
	return t < PD_SLA_NTARGETS ? target_names[t] : "?";
}

const char *
pd_clock_state_name(pd_clock_state s)
{
	static const char *const names[] = { "off", "running", "paused", "met", "stopped" };
	return s <= PD_CLOCK_STOPPED ? names[s] : "?";
}

static void
policy_free(gpointer p)
{
	pd_sla_policy *pol = p;
	g_free(pol->name);
	g_strfreev(pol->queues);
	g_strfreev(pol->priorities);
	g_free(pol->calendar_name);
	g_strfreev(pol->pause);
	g_free(pol);
}

static void
calendar_free(gpointer p)
{
	pd_calendar *cal = p;
	pd_calendar_free(&cal);
}

static pd_sla *
sla_alloc(void)
{
	pd_sla *sla = g_new0(pd_sla, 1);
	sla->policies = g_ptr_array_new_with_free_func(policy_free);
	sla->calendars = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, calendar_free);
	pd_calendar *always = pd_calendar_new("UTC", "24x7", NULL, NULL);
	g_hash_table_insert(sla->calendars, g_strdup(""), always);
	return sla;
}

pd_sla *
pd_sla_new_empty(void)
{
	return sla_alloc();
}

static void
problem(GPtrArray *problems, const pd_config *cfg, const char *group, const char *key, const char *msg)
{
	if (problems == NULL)
		return;
	const char *path = pd_config_path(cfg);
	g_ptr_array_add(problems, g_strdup_printf("%s:%d: %s%s%s: %s", path != NULL ? path : "(defaults)",
	                                          pd_config_line(cfg, group, key), group, key != NULL ? "." : "",
	                                          key != NULL ? key : "", msg));
}

static gboolean
load_calendars(pd_sla *sla, const pd_config *cfg, GPtrArray *problems)
{
	gboolean ok = TRUE;
	char **names = pd_config_groups(cfg, "calendar");
	for (int i = 0; names[i] != NULL; i++) {
		char *group = g_strdup_printf("calendar %s", names[i]);
		GError *error = NULL;
		pd_calendar *cal = pd_calendar_new(pd_config_string(cfg, group, "timezone"),
		                                   pd_config_string(cfg, group, "hours"),
		                                   pd_config_string(cfg, group, "holidays"), &error);
		if (cal == NULL) {
			static const char *const keys[] = { "hours", "timezone", "hours", "hours" };
			const char *key = error->code < (int)G_N_ELEMENTS(keys) ? keys[error->code] : NULL;
			if (error->code == PD_CALENDAR_ERROR_PARSE && strstr(error->message, "holiday") != NULL)
				key = "holidays";
			problem(problems, cfg, group, key, error->message);
			g_error_free(error);
			ok = FALSE;
		} else
			g_hash_table_insert(sla->calendars, g_strdup(names[i]), cal);
		g_free(group);
	}
	g_strfreev(names);
	return ok;
}

static gboolean
load_policies(pd_sla *sla, const pd_config *cfg, GPtrArray *problems)
{
	gboolean ok = TRUE;
	char **names = pd_config_groups(cfg, "sla");
	for (int i = 0; names[i] != NULL; i++) {
		char *group = g_strdup_printf("sla %s", names[i]);
		pd_sla_policy *p = g_new0(pd_sla_policy, 1);
		p->name = g_strdup(names[i]);
		p->queues = pd_config_split_list(pd_config_string(cfg, group, "queues"));
		p->priorities = pd_config_split_list(pd_config_string(cfg, group, "priorities"));
		p->pause = pd_config_split_list(pd_config_string(cfg, group, "pause"));
		p->rules_only = g_strcmp0(pd_config_string(cfg, group, "applies"), "rules") == 0;
		p->warn_percent = (guint)pd_config_int(cfg, group, "warn_at");
		const char *cal = pd_config_string(cfg, group, "calendar");
		p->calendar_name = g_strdup(cal != NULL ? cal : "");
		p->calendar = g_hash_table_lookup(sla->calendars, p->calendar_name);
		if (p->calendar == NULL) {
			char *msg = g_strdup_printf("no [calendar %s] section", cal);
			problem(problems, cfg, group, "calendar", msg);
			g_free(msg);
			ok = FALSE;
		}
		gboolean any = FALSE;
		for (int t = 0; t < PD_SLA_NTARGETS; t++) {
			p->budget[t] = pd_config_int(cfg, group, target_keys[t]) / 1000;
			any = any || p->budget[t] > 0;
		}
		if (!any) {
			problem(problems, cfg, group, NULL, "no target: set first_response, next_reply or resolution");
			ok = FALSE;
		}
		g_ptr_array_add(sla->policies, p);
		g_free(group);
	}
	g_strfreev(names);
	return ok;
}

pd_sla *
pd_sla_new(const pd_config *cfg, GPtrArray *problems)
{
	pd_sla *sla = sla_alloc();
	gboolean ok = load_calendars(sla, cfg, problems);
	ok = load_policies(sla, cfg, problems) && ok;
	sla->remind_after = pd_config_int(cfg, "lifecycle", "remind_pending_after") * 1000;
	sla->resolve_after = pd_config_int(cfg, "lifecycle", "resolve_pending_after") * 1000;
	sla->close_after = pd_config_int(cfg, "lifecycle", "close_resolved_after") * 1000;
	if (!ok)
		pd_sla_free(&sla);
	return sla;
}

void
pd_sla_free(pd_sla **sla)
{
	if (*sla == NULL)
		return;
	g_ptr_array_unref((*sla)->policies);
	g_hash_table_unref((*sla)->calendars);
	g_clear_pointer(sla, g_free);
}

const pd_sla_policy *
pd_sla_policy_named(const pd_sla *sla, const char *name)
{
	for (guint i = 0; name != NULL && i < sla->policies->len; i++) {
		const pd_sla_policy *p = sla->policies->pdata[i];
		if (strcmp(p->name, name) == 0)
			return p;
	}
	return NULL;
}

static gboolean
listed(char **list, const char *value)
{
	return list[0] == NULL || (value != NULL && g_strv_contains((const char *const *)list, value));
}

const pd_sla_policy *
pd_sla_policy_for(const pd_sla *sla, const pd_ticket *t)
{
	const char *chosen = NULL;
	if (t->extra != NULL)
		g_variant_lookup(t->extra, "sla", "&s", &chosen);
	const pd_sla_policy *p = pd_sla_policy_named(sla, chosen);
	if (p != NULL)
		return p;
	for (guint i = 0; i < sla->policies->len; i++) {
		p = sla->policies->pdata[i];
		if (!p->rules_only && listed(p->queues, t->queue) && listed(p->priorities, t->priority))
			return p;
	}
	return NULL;
}

char **
pd_sla_policy_names(const pd_sla *sla)
{
	char **names = g_new0(char *, sla->policies->len + 1);
	for (guint i = 0; i < sla->policies->len; i++)
		names[i] = g_strdup(((pd_sla_policy *)sla->policies->pdata[i])->name);
	return names;
}

gint64 pd_sla_remind_pending_after(const pd_sla *sla) { return sla->remind_after; }
gint64 pd_sla_resolve_pending_after(const pd_sla *sla) { return sla->resolve_after; }
gint64 pd_sla_close_resolved_after(const pd_sla *sla) { return sla->close_after; }
