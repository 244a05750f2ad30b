/* commands.h: agents' #commands applied to a ticket: authorized, validated, all or none, each change an event. */
#ifndef PD_INGEST_COMMANDS_H
#define PD_INGEST_COMMANDS_H

#include <glib.h>
#include "store/store.h"
#include "command/parse.h"
#include "conversation.h"

typedef struct {
	GPtrArray *changes;   /* JSON-ready "field", "old", "new" triples: char*, three per change */
	GPtrArray *errors;    /* char*: "line N: message" */
} pd_command_outcome;

void pd_command_outcome_init(pd_command_outcome *o);
void pd_command_outcome_clear(pd_command_outcome *o);

/* Check every command against the ticket and the desk (known agents, the
 * merge target), then apply them all, or none if any is wrong. actor is
 * the agent's address. Returns FALSE only on store trouble. */
gboolean pd_commands_apply(pd_txn *txn, const pd_conversation *conv, pd_ticket *t, const char *actor,
                           const pd_commands *cmds, pd_command_outcome *out, GError **error);

/* The outcome as a JSON object for the receipt templates:
 * {"changes": [{"field","old","new"}...], "errors": [{"line","text"}...]}. Caller frees. */
char *pd_command_outcome_json(const pd_command_outcome *o);

#endif
