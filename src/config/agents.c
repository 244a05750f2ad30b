/* agents.c: loading the agents file (GKeyFile) with file:line problems, and looking agents up. */
#include "config.h"
#include "agents.h"
#include "conf.h"
#include "pd.h"

#include <string.h>

struct pd_agents {
	GPtrArray *list;      /* pd_agent* */
	GHashTable *by_addr;  /* address -> pd_agent* */
};

static void
agent_free(gpointer p)
{
	pd_agent *a = p;
	g_free(a->address);
	g_free(a->name);
	g_free(a->role);
	g_strfreev(a->queues);
	g_free(a);
}

static pd_agents *
agents_new(void)
{
	pd_agents *a = g_new0(pd_agents, 1);
	a->list = g_ptr_array_new_with_free_func(agent_free);
	a->by_addr = g_hash_table_new(g_str_hash, g_str_equal);
	return a;
}

void
pd_agents_free(pd_agents **agents)
{
	pd_agents *a = *agents;
	if (a == NULL)
		return;
	g_hash_table_unref(a->by_addr);
	g_ptr_array_unref(a->list);
	g_clear_pointer(agents, g_free);
}

/* The line of "[section]" in text, for messages. */
static int
section_line(const char *text, const char *section)
{
	char *needle = g_strdup_printf("[%s]", section);
	const char *at = strstr(text, needle);
	int line = 1;
	for (const char *p = text; at != NULL && p < at; p++)
		line += *p == '\n';
	g_free(needle);
	return at != NULL ? line : 0;
}

static gboolean
add_agent(pd_agents *a, GKeyFile *kf, const char *path, const char *text, const char *section, GError **error)
{
	const char *at = strchr(section, '@');
	char *role = g_key_file_get_string(kf, section, "role", NULL);
	if (at == NULL || at == section || at[1] == '\0' || strchr(section, ' ') != NULL) {
		g_set_error(error, PD_ERROR, PD_ERROR_CONFIG, "%s:%d: [%s]: a section is an agent's mail address",
		            path, section_line(text, section), section);
	} else if (role != NULL && strcmp(role, "agent") != 0 && strcmp(role, "admin") != 0) {
		g_set_error(error, PD_ERROR, PD_ERROR_CONFIG, "%s:%d: [%s] role: \"%s\" is not agent or admin",
		            path, section_line(text, section), section, role);
	} else {
		pd_agent *ag = g_new0(pd_agent, 1);
		ag->address = g_ascii_strdown(section, -1);
		ag->name = g_key_file_get_string(kf, section, "name", NULL);
		ag->role = role != NULL ? role : g_strdup("agent");
		char *queues = g_key_file_get_string(kf, section, "queues", NULL);
		ag->queues = pd_config_split_list(queues);
		g_free(queues);
		g_ptr_array_add(a->list, ag);
		g_hash_table_insert(a->by_addr, ag->address, ag);
		return TRUE;
	}
	g_free(role);
	return FALSE;
}

pd_agents *
pd_agents_load(const char *path, GError **error)
{
	pd_agents *a = agents_new();
	if (path == NULL)
		return a;
	char *text = NULL;
	GError *e = NULL;
	GKeyFile *kf = g_key_file_new();
	gboolean ok = g_file_get_contents(path, &text, NULL, &e) &&
	              g_key_file_load_from_data(kf, text, (gsize)-1, G_KEY_FILE_NONE, &e);
	if (!ok) {
		g_set_error(error, PD_ERROR, PD_ERROR_CONFIG, "%s: %s", path, e->message);
		g_error_free(e);
	}
	char **sections = ok ? g_key_file_get_groups(kf, NULL) : NULL;
	for (int i = 0; ok && sections[i] != NULL; i++)
		ok = add_agent(a, kf, path, text, sections[i], error);
	g_strfreev(sections);
	g_key_file_unref(kf);
	g_free(text);
	if (!ok)
		pd_agents_free(&a);
	return a;
}

const pd_agent *
pd_agents_find(const pd_agents *a, const char *address)
{
	if (a == NULL || address == NULL)
		return NULL;
	char *key = g_ascii_strdown(address, -1);
	const pd_agent *ag = g_hash_table_lookup(a->by_addr, key);
	g_free(key);
	return ag;
}

const char **
pd_agents_for_queue(const pd_agents *a, const char *queue)
{
	GPtrArray *out = g_ptr_array_new();
	for (guint i = 0; a != NULL && i < a->list->len; i++) {
		pd_agent *ag = a->list->pdata[i];
		if (g_strv_contains((const char *const *)ag->queues, queue) ||
		    g_strv_contains((const char *const *)ag->queues, "*"))
			g_ptr_array_add(out, ag->address);
	}
	g_ptr_array_add(out, NULL);
	return (const char **)g_ptr_array_free(out, FALSE);
}

guint
pd_agents_count(const pd_agents *a)
{
	return a != NULL ? a->list->len : 0;
}
