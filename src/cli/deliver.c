/* deliver.c: `postdesk deliver`: one message on stdin into the store, with MTA-friendly exit codes. */
#include "config.h"
#include "cli.h"
#include "pd.h"

#include <stdio.h>
#include <unistd.h>

/* Exit 0 only once the mail is safe (a ticket, a duplicate, or quarantined);
 * 75 (EX_TEMPFAIL) for anything else, so the MTA keeps it and tries again:
 * a broken configuration is an admin's to fix, not a reason to bounce mail. */
int
pd_cli_deliver(pd_cli *cli)
{
	char *source = NULL, *queue = NULL;
	GOptionEntry entries[] = {
		{ "source", 's', 0, G_OPTION_ARG_STRING, &source, "Source name for the dedupe key and logs (default: pipe)", "NAME" },
		{ "queue", 'q', 0, G_OPTION_ARG_STRING, &queue, "Queue for a new ticket", "QUEUE" },
		{ NULL },
	};
	if (!pd_cli_parse(cli, "", "Read one RFC 5322 message on standard input.", entries))
		return PD_EX_TEMPFAIL;
	pd_app app = { 0 };
	int rc = PD_EX_TEMPFAIL;
	cli->routes_mail = TRUE;
	pd_parse_init();
	if (pd_cli_open(cli, &app)) {
		pd_ingest_item item = { .fd = STDIN_FILENO, .source = source != NULL ? source : "pipe",
		                        .queue = queue };
		GError *e = NULL;
		if (pd_ingest_run(app.ingest, &item, 1, &e) == PD_OK) {
			g_info("%s", item.summary);
			rc = PD_EX_OK;
		} else {
			fprintf(stderr, "postdesk deliver: %s\n", e->message);
			g_error_free(e);
		}
		pd_ingest_item_clear(&item);
		pd_app_close(&app);
	}
	pd_parse_shutdown();
	if (rc != PD_EX_OK)
		fprintf(stderr, "postdesk deliver: the message was not accepted, try again later\n");
	g_free(source);
	g_free(queue);
	return rc;
}
