/* agents.h: the agents file: who may answer and command tickets by mail, and for which queues. */
#ifndef PD_AGENTS_H
#define PD_AGENTS_H

#include <glib.h>

typedef struct {
	char *address;   /* lower case */
	char *name;      /* display name, may be NULL */
	char *role;      /* "agent" or "admin" */
	char **queues;   /* queues whose new tickets and replies this agent is told of ("*": all) */
} pd_agent;

typedef struct pd_agents pd_agents;

/* An INI file, one section per agent:
 *   [alice@example.com]
 *   name = Alice Example
 *   role = agent
 *   queues = billing, technical
 * Problems name file:line. path NULL gives an empty set. */
pd_agents *pd_agents_load(const char *path, GError **error);
void pd_agents_free(pd_agents **agents);

/* The agent with this address (case-insensitive), or NULL. */
const pd_agent *pd_agents_find(const pd_agents *agents, const char *address);
/* The addresses of the agents of a queue (NULL-terminated; free the vector only). */
const char **pd_agents_for_queue(const pd_agents *agents, const char *queue);
guint pd_agents_count(const pd_agents *agents);

#endif
