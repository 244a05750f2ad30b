/* postdeskd.c: the daemon: each source, the notifier and the scheduler in a thread; SIGHUP reloads, SIGTERM stops. */
#include "config.h"
#include "app.h"
#include "fsutil.h"
#include "log.h"
#include "pd.h"
#include "source/source.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* Everything one configuration sets running; replaced whole by a reload. */
typedef struct {
	pd_app *app;
	GPtrArray *sources;     /* pd_source* */
	pd_source_env env;
} pd_set;

typedef struct {
	char *config_path;
	pd_store *store;        /* opened once; every set borrows it */
	pd_set *set;
	GPtrArray *threads;
	gint stop;              /* for the notifier and the scheduler */
	GMutex lock;
	GCond cond;
	gboolean notify_due;    /* a commit made notifications: deliver now */
	gint64 last_checkpoint;
	gint64 last_sla;        /* monotonic time of the last scheduler run; 0: never */
} pd_daemon;

/* ---- logging ---- */

static GLogLevelFlags journal_threshold = G_LOG_LEVEL_INFO;
static gboolean journal_target;

static GLogLevelFlags
level_flag(const char *name)
{
	return g_strcmp0(name, "debug") == 0     ? G_LOG_LEVEL_DEBUG
	       : g_strcmp0(name, "warning") == 0 ? G_LOG_LEVEL_WARNING
	       : g_strcmp0(name, "error") == 0   ? G_LOG_LEVEL_CRITICAL
	                                         : G_LOG_LEVEL_INFO;
}

/* The journal's own protocol keeps each line's priority as a field; when
 * there is no journal, the line goes to stderr after all. */
static GLogWriterOutput
journal_writer(GLogLevelFlags level, const GLogField *fields, gsize n, gpointer data)
{
	GLogLevelFlags l = level & G_LOG_LEVEL_MASK;
	if ((l & G_LOG_LEVEL_MESSAGE ? G_LOG_LEVEL_INFO : l) > journal_threshold)
		return G_LOG_WRITER_HANDLED;
	if (g_log_writer_journald(level, fields, n, data) == G_LOG_WRITER_HANDLED)
		return G_LOG_WRITER_HANDLED;
	return g_log_writer_standard_streams(level, fields, n, data);
}

static void
set_log_level(const char *level)
{
	pd_log_set_level(level);
	journal_threshold = level_flag(level);
}

static void
init_log(const pd_config *cfg)
{
	const char *level = pd_config_string(cfg, "log", "level");
	journal_target = g_strcmp0(pd_config_string(cfg, "log", "target"), "journal") == 0;
	if (journal_target)
		g_log_set_writer_func(journal_writer, NULL, NULL);
	else
		pd_log_init("postdeskd", level);
	set_log_level(level);
}

static void
report(const pd_ingest_item *item, gpointer data)
{
	if (item->summary != NULL)
		g_info("%s", item->summary);
}

/* ---- one instance per state directory ---- */

/* An flock on store.dir/postdeskd.lock, held for the life of the process
 * (the kernel lets go of it however the process ends). */
static int
take_lock(const pd_config *cfg, GError **error)
{
	char *dir = pd_config_path_value(cfg, "store", "dir");
	char *path = g_build_filename(dir, "postdeskd.lock", NULL);
	int fd = pd_mkdirs(dir, 0700, error) ? open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600) : -2;
	if (fd == -1)
		pd_set_errno_error(error, errno, "open", path);
	if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) != 0) {
		char pid[32] = "";
		ssize_t got = pread(fd, pid, sizeof pid - 1, 0);
		pid[got > 0 ? got : 0] = '\0';
		g_strchomp(pid);
		g_set_error(error, PD_ERROR, PD_ERROR_TEMPORARY,
		            "another postdeskd%s%s%s is running with the state directory %s; not starting a second one",
		            *pid != '\0' ? " (pid " : "", pid, *pid != '\0' ? ")" : "", dir);
		close(fd);
		fd = -1;
	} else if (fd >= 0) {
		char *pid = g_strdup_printf("%d\n", (int)getpid());
		if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, strlen(pid), 0) < 0)
			g_warning("cannot write the pid into %s: %s", path, g_strerror(errno));
		g_free(pid);
	}
	g_free(path);
	g_free(dir);
	return fd < 0 ? -1 : fd;
}

/* ---- systemd ---- */

/* sd_notify(3) without libsystemd: one datagram to $NOTIFY_SOCKET. */
static void
notify_systemd(const char *state)
{
	const char *path = g_getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (path == NULL || (path[0] != '/' && path[0] != '@') || strlen(path) >= sizeof sa.sun_path)
		return;
	memcpy(sa.sun_path, path, strlen(path));
	if (path[0] == '@')
		sa.sun_path[0] = '\0';   /* an abstract socket */
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path));
	if (fd < 0 || sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&sa, len) < 0)
		g_warning("cannot tell systemd \"%s\": %s", state, g_strerror(errno));
	if (fd >= 0)
		close(fd);
}

/* ---- a configuration's set: pipeline and sources ---- */

static void
source_free(gpointer p)
{
	pd_source *s = p;
	pd_source_free(&s);
}

static GPtrArray *
open_sources(const pd_config *cfg, GError **error)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(source_free);
	char **names = pd_config_groups(cfg, "source");
	for (int i = 0; names[i] != NULL && out != NULL; i++) {
		pd_source *s = pd_source_new(cfg, names[i], error);
		if (s != NULL)
			g_ptr_array_add(out, s);
		else
			g_clear_pointer(&out, g_ptr_array_unref);
	}
	g_strfreev(names);
	return out;
}

static void
wake_notifier(gpointer data)
{
	pd_daemon *d = data;
	g_mutex_lock(&d->lock);
	d->notify_due = TRUE;
	g_cond_broadcast(&d->cond);
	g_mutex_unlock(&d->lock);
}

static void
set_free(pd_set *set)
{
	if (set == NULL)
		return;
	g_clear_pointer(&set->sources, g_ptr_array_unref);
	if (set->app != NULL)
		pd_app_close_keep_store(set->app);
	g_free(set->app);
	g_free(set);
}

/* The sources of an opened app (which the set takes over); NULL, and the
 * app closed, if any of them cannot be set up. */
static pd_set *
set_new(pd_daemon *d, pd_app *app, GError **error)
{
	pd_set *set = g_new0(pd_set, 1);
	const pd_config *cfg = app->cfg;
	set->app = app;
	if ((set->sources = open_sources(cfg, error)) == NULL) {
		set_free(set);
		return NULL;
	}
	set->env = (pd_source_env){
		.ingest = set->app->ingest, .store = d->store,
		.batch_size = (guint)pd_config_int(cfg, "ingest", "batch_size"),
		.max_message_size = (guint64)pd_config_int(cfg, "limits", "max_message_size"),
		.poll_ms = pd_config_int(cfg, "daemon", "poll_interval"),
		.report = report, .committed = wake_notifier, .committed_data = d,
	};
	return set;
}

/* ---- --once ---- */

static pd_daemon *once_daemon;

static void
on_signal_once(int sig)
{
	/* pd_source_stop only sets a flag and writes to an eventfd: safe here. */
	pd_set *set = once_daemon->set;
	for (guint i = 0; i < set->sources->len; i++)
		pd_source_stop(set->sources->pdata[i]);
}

static int
run_once(pd_daemon *d)
{
	struct sigaction sa = { .sa_handler = on_signal_once };
	sigemptyset(&sa.sa_mask);
	once_daemon = d;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	pd_result res = PD_OK;
	for (guint i = 0; i < d->set->sources->len; i++) {
		pd_source *s = d->set->sources->pdata[i];
		GError *e = NULL;
		if (pd_source_run_once(s, &d->set->env, &e) == PD_OK)
			continue;
		g_warning("%s: %s; the mail stays in the source and will be tried again", pd_source_name(s), e->message);
		g_error_free(e);
		res = PD_DEFER;
	}
	/* The scheduler's due actions, then every notification (theirs too). */
	gboolean sched = pd_app_run_scheduler(d->set->app, pd_now_usec(), NULL);
	return pd_app_run_notifier(d->set->app) && sched && res == PD_OK ? 0 : PD_EX_TEMPFAIL;
}

/* ---- the threads ---- */

static gboolean
stopping(pd_daemon *d)
{
	return g_atomic_int_get(&d->stop) != 0;
}

/* Sleep up to ms, or until stopped (or, for the notifier, woken by a commit). */
static void
nap(pd_daemon *d, gint64 ms, gboolean for_notifier)
{
	gint64 until = g_get_monotonic_time() + ms * 1000;
	g_mutex_lock(&d->lock);
	while (!stopping(d) && !(for_notifier && d->notify_due))
		if (!g_cond_wait_until(&d->cond, &d->lock, until))
			break;
	if (for_notifier)
		d->notify_due = FALSE;
	g_mutex_unlock(&d->lock);
}

static gpointer
source_thread(gpointer data)
{
	pd_daemon *d = ((gpointer *)data)[0];
	pd_source *s = ((gpointer *)data)[1];
	g_free(data);
	pd_source_run(s, &d->set->env);
	return NULL;
}

/* Notifications are made in the commits; this delivers them, at once when
 * a commit says so, else as retries come due. */
static gpointer
notifier_thread(gpointer data)
{
	pd_daemon *d = data;
	while (!stopping(d)) {
		pd_app_run_notifier(d->set->app);
		nap(d, 1000, TRUE);
	}
	return NULL;
}

/* Timed work: SLA warnings and breaches, reminders, auto-resolve and
 * auto-close every lifecycle.interval; checkpoints every store.checkpoint_interval. */
static void
run_sla(pd_daemon *d)
{
	gint64 interval = pd_config_int(d->set->app->cfg, "lifecycle", "interval") * 1000;
	if (d->last_sla != 0 && g_get_monotonic_time() - d->last_sla < interval)
		return;
	pd_sla_run_stats st;
	if (!pd_app_run_scheduler(d->set->app, pd_now_usec(), &st))
		return;
	d->last_sla = g_get_monotonic_time();
	if (st.tickets > 0)
		g_info("scheduler: %u ticket(s): %u warning(s), %u breach(es), %u reminder(s), %u resolved, %u closed",
		       st.tickets, st.warnings, st.breaches, st.reminders, st.resolved, st.closed);
}

static void
scheduler_tick(pd_daemon *d)
{
	run_sla(d);
	gint64 interval = pd_config_int(d->set->app->cfg, "store", "checkpoint_interval") * 1000;
	if (g_get_monotonic_time() - d->last_checkpoint < interval)
		return;
	GError *e = NULL;
	if (!pd_store_checkpoint(d->store, &e)) {
		g_warning("checkpoint: %s; will try again in a second", e->message);
		g_error_free(e);
		return;
	}
	d->last_checkpoint = g_get_monotonic_time();
}

static gpointer
scheduler_thread(gpointer data)
{
	pd_daemon *d = data;
	while (!stopping(d)) {
		scheduler_tick(d);
		nap(d, 1000, FALSE);
	}
	return NULL;
}

static void
start_threads(pd_daemon *d)
{
	g_atomic_int_set(&d->stop, 0);
	d->threads = g_ptr_array_new();
	for (guint i = 0; i < d->set->sources->len; i++) {
		gpointer *arg = g_new(gpointer, 2);
		arg[0] = d;
		arg[1] = d->set->sources->pdata[i];
		g_ptr_array_add(d->threads, g_thread_new(pd_source_name(arg[1]), source_thread, arg));
	}
	g_ptr_array_add(d->threads, g_thread_new("notifier", notifier_thread, d));
	g_ptr_array_add(d->threads, g_thread_new("scheduler", scheduler_thread, d));
}

/* Each source finishes the batch in hand (commit and acknowledgement). */
static void
stop_threads(pd_daemon *d)
{
	g_atomic_int_set(&d->stop, 1);
	for (guint i = 0; i < d->set->sources->len; i++)
		pd_source_stop(d->set->sources->pdata[i]);
	g_mutex_lock(&d->lock);
	g_cond_broadcast(&d->cond);
	g_mutex_unlock(&d->lock);
	for (guint i = 0; i < d->threads->len; i++)
		g_thread_join(d->threads->pdata[i]);
	g_clear_pointer(&d->threads, g_ptr_array_unref);
}

/* ---- reload ---- */

/* What the running process cannot change: it keeps the old values. */
static void
warn_restart_only(const pd_config *old, const pd_config *cfg)
{
	char *a = pd_config_path_value(old, "store", "dir"), *b = pd_config_path_value(cfg, "store", "dir");
	static const char *const ints[] = { "cache_size", "deadlock_retries", "first_ticket_id", NULL };
	gboolean changed = g_strcmp0(a, b) != 0 ||
	                   pd_config_bool(old, "store", "log_auto_remove") != pd_config_bool(cfg, "store", "log_auto_remove");
	for (int i = 0; ints[i] != NULL; i++)
		changed = changed || pd_config_int(old, "store", ints[i]) != pd_config_int(cfg, "store", ints[i]);
	if (changed)
		g_warning("reload: [store] changes take effect at the next start; the store stays %s", a);
	if (g_strcmp0(pd_config_string(old, "log", "target"), pd_config_string(cfg, "log", "target")) != 0)
		g_warning("reload: log.target changes take effect at the next start");
	g_free(a);
	g_free(b);
}

/* The new set is built whole beside the running one; only then are the
 * threads stopped (each finishing its batch) and started on the new set.
 * A configuration with problems changes nothing. */
static void
reload(pd_daemon *d)
{
	notify_systemd("RELOADING=1");
	const char *path = d->config_path != NULL ? d->config_path : pd_config_default_path();
	g_info("reload: reading %s", path != NULL ? path : "(defaults)");
	pd_config *cfg = pd_app_load_config(d->config_path);
	GError *e = NULL;
	pd_app *app = cfg != NULL ? g_new0(pd_app, 1) : NULL;
	pd_set *next = NULL;
	if (app != NULL && pd_app_open_with_store(app, cfg, d->store, &e))
		next = set_new(d, app, &e);
	else if (app != NULL) {
		pd_app_close_keep_store(app);
		g_free(app);
	}
	if (next == NULL) {
		g_warning("reload: %s; the running configuration stays in force",
		          e != NULL ? e->message : "the configuration has problems (listed above)");
		g_clear_error(&e);
		notify_systemd("READY=1");
		return;
	}
	warn_restart_only(d->set->app->cfg, cfg);
	stop_threads(d);
	set_free(d->set);
	d->set = next;
	set_log_level(pd_config_string(cfg, "log", "level"));
	start_threads(d);
	g_info("reload: done, %u source(s)", d->set->sources->len);
	notify_systemd("READY=1");
}

/* ---- the daemon ---- */

static void
daemon_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGHUP);
}

static int
run_daemon(pd_daemon *d)
{
	sigset_t set;
	daemon_signals(&set);
	d->last_checkpoint = g_get_monotonic_time();
	start_threads(d);
	g_info("started (pid %d) with %u source(s)", (int)getpid(), d->set->sources->len);
	notify_systemd("READY=1\nSTATUS=reading mail");
	for (;;) {
		int sig = 0;
		if (sigwait(&set, &sig) != 0 || sig == SIGHUP) {
			if (sig == SIGHUP)
				reload(d);
			continue;
		}
		break;
	}
	g_info("stopping: finishing the messages in hand");
	notify_systemd("STOPPING=1");
	stop_threads(d);
	g_info("stopped");
	return 0;
}

static int
check_config(const char *path)
{
	pd_config *cfg = pd_app_load_config(path);
	if (cfg == NULL)
		return 1;
	printf("%s: configuration is valid\n", pd_config_path(cfg) != NULL ? pd_config_path(cfg) : "(defaults)");
	pd_config_free(&cfg);
	return 0;
}

/* Open the store, the pipeline and the sources. The store is the
 * daemon's from here: every set, the first one too, only borrows it. */
static gboolean
daemon_open(pd_daemon *d, pd_config *cfg, GError **error)
{
	pd_app *app = g_new0(pd_app, 1);
	gboolean ok = pd_app_open(app, cfg, error);
	d->store = app->store;
	if (ok)
		return (d->set = set_new(d, app, error)) != NULL;
	pd_app_close_keep_store(app);
	g_free(app);
	return FALSE;
}

static int
run(pd_daemon *d, pd_config *cfg, gboolean once)
{
	GError *e = NULL;
	sigset_t set;
	daemon_signals(&set);
	/* Blocked before any thread can start, so that only the main thread's
	 * sigwait sees them; --once handles them as they come. */
	if (!once)
		pthread_sigmask(SIG_BLOCK, &set, NULL);
	int lock = take_lock(cfg, &e);
	int rc = PD_EX_TEMPFAIL;
	if (lock < 0)
		pd_config_free(&cfg);
	else if (daemon_open(d, cfg, &e))
		rc = once ? run_once(d) : run_daemon(d);
	if (e != NULL) {
		g_warning("%s; nothing was read, try again once this is fixed", e->message);
		g_error_free(e);
	}
	set_free(d->set);
	pd_store_close(&d->store);
	if (lock >= 0)
		close(lock);
	return rc;
}

int
main(int argc, char **argv)
{
	pd_daemon d = { 0 };
	gboolean check = FALSE, once = FALSE, reference = FALSE, version = FALSE;
	GOptionEntry entries[] = {
		{ "config", 'c', 0, G_OPTION_ARG_FILENAME, &d.config_path, "Configuration file", "FILE" },
		{ "check", 'n', 0, G_OPTION_ARG_NONE, &check, "Check the configuration and exit", NULL },
		{ "once", 0, 0, G_OPTION_ARG_NONE, &once, "Process what the sources hold now, do the due scheduled actions, send, then exit", NULL },
		{ "config-reference", 0, 0, G_OPTION_ARG_NONE, &reference, "Print the configuration reference (Markdown)", NULL },
		{ "version", 'V', 0, G_OPTION_ARG_NONE, &version, "Print the version", NULL },
		{ NULL },
	};
	GOptionContext *ctx = g_option_context_new("- the postdesk daemon");
	g_option_context_add_main_entries(ctx, entries, NULL);
	GError *e = NULL;
	if (!g_option_context_parse(ctx, &argc, &argv, &e)) {
		fprintf(stderr, "postdeskd: %s\n", e->message);
		return PD_EX_USAGE;
	}
	g_option_context_free(ctx);
	if (version)
		return printf("postdeskd %s\n", PACKAGE_VERSION) < 0;
	if (reference) {
		char *doc = pd_config_reference();
		fputs(doc, stdout);
		g_free(doc);
		return 0;
	}
	if (check) {
		int rc = check_config(d.config_path);
		g_free(d.config_path);
		return rc;
	}
	pd_config *cfg = pd_app_load_config(d.config_path);
	if (cfg == NULL) {
		g_free(d.config_path);
		return PD_EX_TEMPFAIL;
	}
	init_log(cfg);
	/* A server that closes the connection must not kill the process on the next write. */
	signal(SIGPIPE, SIG_IGN);
	g_mutex_init(&d.lock);
	g_cond_init(&d.cond);
	pd_parse_init();
	int rc = run(&d, cfg, once);
	pd_parse_shutdown();
	g_mutex_clear(&d.lock);
	g_cond_clear(&d.cond);
	g_free(d.config_path);
	return rc;
}
