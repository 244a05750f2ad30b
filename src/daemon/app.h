/* app.h: what both programs set up from the configuration: the store and the ingest pipeline. */
#ifndef PD_APP_H
#define PD_APP_H

#include "config/conf.h"
#include "store/store.h"
#include "ingest/ingest.h"
#include "source/maildir.h"
#include "notify/notify.h"
#include "notify/notifier.h"
#include "rules/rules.h"
#include "sla/sla.h"

typedef struct {
	pd_config *cfg;
	pd_store *store;
	pd_ingest *ingest;
	pd_notify *notify;
	pd_notifier *notifier;
	pd_agents *agents;
	pd_sla *sla;                /* service levels and lifecycle timers */
	char **desk_addresses;      /* the desk's and the queues' addresses */
	char **trusted_ids;         /* authserv-ids whose Authentication-Results we believe */
	pd_thread_ctx thread;
	pd_conversation conv;
	gboolean without_rules;     /* set before opening: for tools that never route mail */
} pd_app;

/* Load the config (path NULL: the default one) and report each problem on
 * stderr; NULL if it is not valid. */
pd_config *pd_app_load_config(const char *path);

/* The parser's options from the [limits] and [parse] sections. The two
 * lists are the caller's (g_strfreev); the options borrow them. */
void pd_app_parse_options(const pd_config *cfg, pd_parse_options *po, char ***fallback_r,
                          char ***domains_r);

/* Open the store and the pipeline that the config describes. The app owns
 * cfg from here on, whether or not this succeeds; pd_app_close frees it. */
gboolean pd_app_open(pd_app *app, pd_config *cfg, GError **error);
void pd_app_close(pd_app *app);

/* The same around a store that is open already (borrowed): what a reload
 * of the daemon builds beside the running set before swapping them. The
 * app points into itself: keep it where it is until it is closed. */
gboolean pd_app_open_with_store(pd_app *app, pd_config *cfg, pd_store *store, GError **error);
/* Close all but the store (which the app only borrowed). */
void pd_app_close_keep_store(pd_app *app);

/* What the desk knows, for the rule compiler's warnings about unknown
 * names: declared queues (only when there are [queue NAME] sections), the
 * agents file's addresses and names, and the template names on disk. */
typedef struct {
	pd_rules_known known;
	GPtrArray *queues, *agents, *templates;   /* owned strings, NULL-terminated */
	char **slas;
} pd_app_known;
pd_app_known *pd_app_known_new(const pd_config *cfg);
void pd_app_known_free(pd_app_known **k);

/* Load the rules directory (rules.dir) into the pipeline; with an error the
 * whole set is refused and the set in force stays. A missing directory
 * means no rules. */
gboolean pd_app_load_rules(pd_app *app, GError **error);

/* Do the SLA and lifecycle actions due at now; logs and returns FALSE on store trouble. */
gboolean pd_app_run_scheduler(pd_app *app, gint64 now, pd_sla_run_stats *stats);

/* Deliver the notifications that are due; logs and returns FALSE on store trouble. */
gboolean pd_app_run_notifier(pd_app *app);

/* The sources declared in the config, as Maildir descriptions (names and
 * paths owned by the returned array). */
GPtrArray *pd_app_maildir_sources(const pd_config *cfg);

#endif
