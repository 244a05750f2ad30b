/* keys.c: the declaration of every configuration key: type, default, bounds, one line of doc. */
#include "config.h"
#include "config/conf.h"

#define KB 1024LL
#define MB (1024LL * KB)
#define GB (1024LL * MB)
#define SEC 1000LL
#define DAY (86400LL * SEC)

static const pd_cfg_decl decls[] = {
	{ "store", "dir", PD_CFG_PATH, "/var/lib/postdesk", 0, 0, NULL,
	  "State directory: the database environment and the spool of raw messages." },
	{ "store", "cache_size", PD_CFG_SIZE, "32M", 1 * MB, 4 * GB, NULL,
	  "Database cache; the working set of tickets and indices should fit." },
	{ "store", "checkpoint_interval", PD_CFG_DURATION, "60s", 1 * SEC, DAY, NULL,
	  "How often the daemon checkpoints the database, bounding recovery time." },
	{ "store", "deadlock_retries", PD_CFG_INT, "20", 1, 1000, NULL,
	  "Attempts of one transaction that keeps losing deadlocks before the mail is deferred." },
	{ "store", "log_auto_remove", PD_CFG_BOOL, "true", 0, 0, NULL,
	  "Remove database logs no longer needed for recovery (turn off to archive them for backups)." },
	{ "store", "first_ticket_id", PD_CFG_INT, "1000", 1, G_GINT64_CONSTANT(1) << 53, NULL,
	  "The number of the first ticket of a new store." },
	{ "limits", "max_message_size", PD_CFG_SIZE, "25M", 1 * KB, 2 * GB, NULL,
	  "A larger message is not parsed: it is quarantined (too-large) with its raw bytes." },
	{ "ingest", "batch_size", PD_CFG_INT, "64", 1, 10000, NULL,
	  "Messages waiting in a source that share one transaction (group commit)." },
	{ "ingest", "default_queue", PD_CFG_STRING, "general", 0, 0, NULL,
	  "Queue of a new ticket when neither its source nor a rule names one." },
	{ "daemon", "poll_interval", PD_CFG_DURATION, "5s", 100, DAY, NULL,
	  "How often the daemon looks at its sources for new mail." },
	{ "log", "level", PD_CFG_ENUM, "info", 0, 0, "debug|info|warning|error",
	  "Least severe log level written." },
	{ "source *", "type", PD_CFG_ENUM, "maildir", 0, 0, "maildir",
	  "Kind of mailbox this source reads." },
	{ "source *", "path", PD_CFG_PATH, NULL, 0, 0, NULL,
	  "Maildir directory (with new/, cur/ and tmp/); required for a maildir source." },
	{ "source *", "queue", PD_CFG_STRING, NULL, 0, 0, NULL,
	  "Queue of tickets opened from this source (default: ingest.default_queue)." },
};

const pd_cfg_decl *
pd_config_decls(guint *n_r)
{
	*n_r = G_N_ELEMENTS(decls);
	return decls;
}
