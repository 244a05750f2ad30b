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
	{ "notify", "address", PD_CFG_STRING, "support@localhost", 0, 0, NULL,
	  "The desk's address: From of every notification, and the base of reply addresses (support+N-token@...)." },
	{ "notify", "name", PD_CFG_STRING, "Support", 0, 0, NULL,
	  "Display name in From." },
	{ "notify", "domain", PD_CFG_STRING, NULL, 0, 0, NULL,
	  "Domain of our Message-IDs (default: the domain of notify.address)." },
	{ "notify", "subject_tag", PD_CFG_STRING, "Support", 0, 0, NULL,
	  "The tag in subjects: \"[Support #1042] ...\"." },
	{ "notify", "language", PD_CFG_STRING, "en", 0, 0, NULL,
	  "Language of notifications when the requester's is not known (a directory under templates)." },
	{ "notify", "templates", PD_CFG_PATH, PD_TEMPLATES_DIR, 0, 0, NULL,
	  "Directory of templates: <lang>/<name>.txt with an optional .html twin." },
	{ "notify", "secret_file", PD_CFG_PATH, NULL, 0, 0, NULL,
	  "Key for reply tokens and Message-IDs (default: <store.dir>/secret, created on first start)." },
	{ "notify", "own_addresses", PD_CFG_STRING, "", 0, 0, NULL,
	  "More addresses of ours (comma-separated): never sent to, so the desk cannot mail itself." },
	{ "notify", "ack_per_hour", PD_CFG_INT, "10", 1, 100000, NULL,
	  "Notifications of one kind to one address per hour, beyond which they are suppressed (loop guard)." },
	{ "notify", "ack_per_day", PD_CFG_INT, "40", 1, 100000, NULL,
	  "The same per day." },
	{ "notify", "ticket_per_hour", PD_CFG_INT, "20", 1, 100000, NULL,
	  "Notifications about one ticket per hour, beyond which they are suppressed." },
	{ "notify", "max_output", PD_CFG_SIZE, "256K", 1024, 64 * MB, NULL,
	  "A rendered notification larger than this fails with a reason." },
	{ "notify", "maildir", PD_CFG_PATH, NULL, 0, 0, NULL,
	  "With no smtp_url, notifications are written into this Maildir (default: <store.dir>/sent)." },
	{ "notify", "smtp_url", PD_CFG_STRING, "", 0, 0, NULL,
	  "smtp://host:port or smtps://host:port; empty: write into notify.maildir instead." },
	{ "notify", "smtp_tls", PD_CFG_ENUM, "required", 0, 0, "none|optional|required",
	  "STARTTLS on smtp://: required refuses to send in clear, optional uses it when offered." },
	{ "notify", "smtp_ca_file", PD_CFG_PATH, NULL, 0, 0, NULL,
	  "CA certificates to verify the SMTP server with (default: the system's)." },
	{ "notify", "smtp_user", PD_CFG_STRING, "", 0, 0, NULL,
	  "SMTP AUTH user; empty: no AUTH." },
	{ "notify", "smtp_password_file", PD_CFG_PATH, NULL, 0, 0, NULL,
	  "File holding the SMTP AUTH password (kept out of the config file)." },
	{ "notify", "smtp_timeout", PD_CFG_DURATION, "60s", 1 * SEC, 3600 * SEC, NULL,
	  "Longest time for one message, connection included." },
	{ "notify", "retry_min", PD_CFG_DURATION, "1m", 1 * SEC, DAY, NULL,
	  "First retry after a temporary failure; the delay doubles up to retry_max." },
	{ "notify", "retry_max", PD_CFG_DURATION, "70m", 1 * SEC, DAY, NULL,
	  "Longest delay between two tries." },
	{ "notify", "retry_for", PD_CFG_DURATION, "5d", 1 * SEC, 30 * DAY, NULL,
	  "A notification not delivered after this long is dead (kept, with its last reply)." },
	{ "queue *", "address", PD_CFG_STRING, NULL, 0, 0, NULL,
	  "This queue's own address (ours: never sent to)." },
	{ "queue *", "agents", PD_CFG_STRING, "", 0, 0, NULL,
	  "Addresses (comma-separated) told of each new ticket in this queue." },
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
