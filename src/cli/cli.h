/* cli.h: what the postdesk subcommands share: opening the store, and text and JSON output. */
#ifndef PD_CLI_H
#define PD_CLI_H

#include <glib.h>
#include <json-glib/json-glib.h>
#include "daemon/app.h"

/* Exit codes of the admin commands. */
#define PD_CLI_OK 0
#define PD_CLI_FAIL 1       /* the command could not do what was asked */
#define PD_CLI_USAGE 64

typedef struct {
	const char *config_path;  /* -c, or NULL */
	int argc;                 /* the subcommand's own arguments, argv[0] its name */
	char **argv;
	gboolean routes_mail;     /* the command ingests mail, so it needs the rules */
} pd_cli;

/* Load the config and open the store; prints the problem and returns FALSE. */
gboolean pd_cli_open(const pd_cli *cli, pd_app *app);

/* Parse the subcommand's options; prints usage errors. */
gboolean pd_cli_parse(pd_cli *cli, const char *params, const char *summary, GOptionEntry *entries);

/* Print a JSON node, pretty, with a final newline. */
void pd_cli_print_json(JsonNode *node);

/* "2026-11-23T09:12:00Z" and "2026-11-23 09:12 UTC" from microseconds; caller frees. */
char *pd_cli_iso_time(gint64 usec);
char *pd_cli_human_time(gint64 usec);

/* str cut or padded to width display columns (wide characters count 2). */
char *pd_cli_column(const char *str, guint width);

/* A ticket id from text ("1042" or "#1042"); FALSE if it is not one. */
gboolean pd_cli_parse_id(const char *text, guint64 *id_r);

/* A ticket with its events, read in one transaction. */
typedef struct {
	guint64 id;
	pd_ticket *ticket;
	GPtrArray *events;   /* pd_event* */
} pd_cli_ticket;
gboolean pd_cli_read_ticket(pd_store *store, pd_cli_ticket *t, GError **error);
void pd_cli_ticket_clear(pd_cli_ticket *t);

int pd_cli_deliver(pd_cli *cli);
int pd_cli_list(pd_cli *cli);
int pd_cli_show(pd_cli *cli);
int pd_cli_quarantine(pd_cli *cli);
int pd_cli_outbox(pd_cli *cli);
int pd_cli_explain(pd_cli *cli);
int pd_cli_rules(pd_cli *cli);
int pd_cli_reload(pd_cli *cli);
int pd_cli_parse_cmd(pd_cli *cli);
int pd_cli_report(pd_cli *cli);
int pd_cli_sla(pd_cli *cli);

#endif
