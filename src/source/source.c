/* source.c: sources of every kind behind one interface: settings, the run loop with reconnection delays, the ledger. */
#include "config.h"
#include "source-private.h"
#include "imap.h"
#include "pop3.h"
#include "fsutil.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

typedef enum { PD_SOURCE_MAILDIR, PD_SOURCE_IMAP, PD_SOURCE_POP3 } pd_source_type;

struct pd_source {
	pd_source_type type;
	pd_maildir_source maildir;   /* strings point into remote */
	char *path;
	pd_remote_conf remote;       /* name and queue for every kind */
	gint64 retry_min_ms, retry_max_ms;
	gint stop;
	pd_waker waker;
	pd_source_ctl ctl;
};

/* ---- waiting ---- */

gboolean
pd_waker_init(pd_waker *w, GError **error)
{
	w->fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (w->fd >= 0)
		return TRUE;
	pd_set_errno_error(error, errno, "eventfd", "for a source");
	return FALSE;
}

void
pd_waker_clear(pd_waker *w)
{
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
}

void
pd_waker_wake(pd_waker *w)
{
	guint64 one = 1;
	/* Fails only when the counter is full, and then a wake is pending anyway. */
	if (write(w->fd, &one, sizeof one) < 0 && errno != EAGAIN)
		g_warning("cannot wake a waiting thread: %s", g_strerror(errno));
}

pd_wait
pd_waker_wait(pd_waker *w, int fd, gint64 timeout_ms)
{
	struct pollfd p[2] = { { w->fd, POLLIN, 0 }, { fd, POLLIN, 0 } };
	gint64 deadline = timeout_ms >= 0 ? g_get_monotonic_time() + timeout_ms * 1000 : -1;
	for (;;) {
		gint64 left = deadline < 0 ? -1 : MAX(0, (deadline - g_get_monotonic_time() + 999) / 1000);
		int r = poll(p, fd >= 0 ? 2 : 1, (int)MIN(left, G_MAXINT));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return PD_WAIT_TIMEOUT;
		if (p[0].revents != 0) {
			guint64 n;
			if (read(w->fd, &n, sizeof n) < 0 && errno != EAGAIN)
				g_warning("cannot read a wake-up counter: %s", g_strerror(errno));
			return PD_WAIT_WOKEN;
		}
		return PD_WAIT_READY;
	}
}

gboolean
pd_source_ctl_stopped(const pd_source_ctl *ctl)
{
	return g_atomic_int_get(ctl->stop) != 0;
}

char *
pd_format_delay(gint64 ms)
{
	if (ms < 1000)
		return g_strdup_printf("%" G_GINT64_FORMAT " ms", ms);
	if (ms < 120 * 1000)
		return g_strdup_printf("%" G_GINT64_FORMAT " s", ms / 1000);
	return g_strdup_printf("%" G_GINT64_FORMAT " min", ms / 60000);
}

/* ---- the ledger ---- */

typedef struct {
	const char *source;
	char *const *keys;
	guint n;
	gboolean *known;
} ledger_ctx;

static gboolean
ledger_txn(pd_txn *txn, gpointer data, GError **error)
{
	ledger_ctx *c = data;
	for (guint i = 0; i < c->n; i++) {
		/* The same key the pipeline records for the item's source_key (ingest.c). */
		char *key = g_strdup_printf("src:%s:%s", c->source, c->keys[i]);
		GError *e = NULL;
		c->known[i] = pd_dedupe_lookup(txn, key, NULL, &e);
		g_free(key);
		if (e != NULL) {
			g_propagate_error(error, e);
			return FALSE;
		}
	}
	return TRUE;
}

gboolean
pd_ledger_lookup(pd_store *store, const char *source, char *const *keys, guint n, gboolean *known,
                 GError **error)
{
	/* In slices, so a large mailbox does not hold read locks on half the
	 * database while the other sources commit. */
	for (guint at = 0; at < n; at += 512) {
		ledger_ctx c = { source, keys + at, MIN(512, n - at), known + at };
		if (!pd_store_run(store, ledger_txn, &c, error))
			return FALSE;
	}
	return TRUE;
}

/* ---- committing fetched mail ---- */

void
pd_source_report(const pd_source_env *env, const pd_ingest_item *items, guint n)
{
	gboolean changed = FALSE;
	for (guint i = 0; i < n; i++) {
		changed = changed || items[i].outcome == PD_INGEST_CREATED || items[i].outcome == PD_INGEST_FOLLOWUP;
		if (env->report != NULL)
			env->report(&items[i], env->report_data);
	}
	if (changed && env->committed != NULL)
		env->committed(env->committed_data);
}

pd_result
pd_source_commit(const pd_source_env *env, pd_ingest_item *items, guint n, GError **error)
{
	pd_result res = pd_ingest_run(env->ingest, items, n, error);
	if (res == PD_OK)
		pd_source_report(env, items, n);
	return res;
}

/* ---- settings ---- */

static char *
read_password(const pd_config *cfg, const char *group, const char *name, GError **error)
{
	char *path = pd_config_path_value(cfg, group, "password_file");
	gsize len = 0;
	GError *e = NULL;
	char *pw = pd_read_file(path, &len, &e);
	if (pw == NULL) {
		g_set_error(error, PD_ERROR, PD_ERROR_CONFIG, "source %s: password_file: %s", name, e->message);
		g_error_free(e);
	} else
		pw[strcspn(pw, "\r\n")] = '\0';
	g_free(path);
	return pw;
}

static guint16
default_port(const pd_source *s, const pd_config *cfg, const char *group)
{
	gint64 port = pd_config_int(cfg, group, "port");
	if (port > 0)
		return (guint16)port;
	if (s->type == PD_SOURCE_IMAP)
		return s->remote.implicit_tls ? 993 : 143;
	return s->remote.implicit_tls ? 995 : 110;
}

static gboolean
remote_conf(pd_source *s, const pd_config *cfg, const char *group, GError **error)
{
	pd_remote_conf *r = &s->remote;
	const char *auth = pd_config_string(cfg, group, "auth");
	const char *move_to = pd_config_string(cfg, group, "move_to");
	r->host = g_strdup(pd_config_string(cfg, group, "host"));
	r->implicit_tls = g_strcmp0(pd_config_string(cfg, group, "tls"), "implicit") == 0;
	r->port = default_port(s, cfg, group);
	r->ca_file = pd_config_path_value(cfg, group, "ca_file");
	r->user = g_strdup(pd_config_string(cfg, group, "user"));
	r->auth = g_strcmp0(auth, "plain") == 0 ? PD_AUTH_PLAIN : g_strcmp0(auth, "login") == 0 ? PD_AUTH_LOGIN : PD_AUTH_AUTO;
	r->folder = g_strdup(pd_config_string(cfg, group, "folder"));
	r->move_to = move_to != NULL && *move_to != '\0' ? g_strdup(move_to) : NULL;
	r->mark_seen = pd_config_bool(cfg, group, "mark_seen");
	r->keep = pd_config_bool(cfg, group, "keep");
	r->idle = pd_config_bool(cfg, group, "idle");
	r->heartbeat_ms = pd_config_int(cfg, group, "heartbeat");
	r->timeout_ms = pd_config_int(cfg, group, "timeout");
	r->password = read_password(cfg, group, r->name, error);
	return r->password != NULL;
}

pd_source *
pd_source_new(const pd_config *cfg, const char *name, GError **error)
{
	pd_source *s = g_new0(pd_source, 1);
	char *group = g_strdup_printf("source %s", name);
	const char *type = pd_config_string(cfg, group, "type");
	s->type = g_strcmp0(type, "imap") == 0 ? PD_SOURCE_IMAP : g_strcmp0(type, "pop3") == 0 ? PD_SOURCE_POP3
	                                                                                        : PD_SOURCE_MAILDIR;
	s->remote.name = g_strdup(name);
	s->remote.queue = g_strdup(pd_config_string(cfg, group, "queue"));
	s->retry_min_ms = pd_config_int(cfg, group, "retry_min");
	s->retry_max_ms = MAX(s->retry_min_ms, pd_config_int(cfg, group, "retry_max"));
	s->waker.fd = -1;
	s->ctl = (pd_source_ctl){ &s->waker, &s->stop };
	gboolean ok = pd_waker_init(&s->waker, error);
	if (ok && s->type == PD_SOURCE_MAILDIR) {
		s->path = pd_config_path_value(cfg, group, "path");
		s->maildir = (pd_maildir_source){ s->remote.name, s->path, s->remote.queue };
	} else if (ok)
		ok = remote_conf(s, cfg, group, error);
	g_free(group);
	if (!ok)
		pd_source_free(&s);
	return s;
}

void
pd_source_free(pd_source **source)
{
	pd_source *s = *source;
	if (s == NULL)
		return;
	pd_remote_conf *r = &s->remote;
	if (r->password != NULL)
		memset(r->password, 0, strlen(r->password));
	g_free(r->password);
	g_free(r->name);
	g_free(r->host);
	g_free(r->ca_file);
	g_free(r->user);
	g_free(r->folder);
	g_free(r->move_to);
	g_free(r->queue);
	g_free(s->path);
	pd_waker_clear(&s->waker);
	g_clear_pointer(source, g_free);
}

const char *
pd_source_name(const pd_source *s)
{
	return s->remote.name;
}

void
pd_source_stop(pd_source *s)
{
	g_atomic_int_set(&s->stop, 1);
	pd_waker_wake(&s->waker);
}

/* ---- running ---- */

/* A Maildir: take what is in new/, then wait for inotify (or the poll
 * interval, in case an event was missed) and take again. */
static gboolean
serve_maildir(pd_source *s, const pd_source_env *env, gboolean *progressed, GError **error)
{
	pd_maildir_watch *watch = pd_maildir_watch_new(s->path, error);
	if (watch == NULL)
		return FALSE;
	gboolean ok = TRUE;
	while (ok && !pd_source_ctl_stopped(&s->ctl)) {
		pd_ingest_stats stats = { 0 };
		ok = pd_maildir_process(env->ingest, &s->maildir, env->batch_size, env->report, env->report_data, &stats,
		                        &s->stop, error) == PD_OK;
		if (stats.created + stats.followups > 0 && env->committed != NULL)
			env->committed(env->committed_data);
		*progressed = *progressed || ok;
		if (ok && !pd_source_ctl_stopped(&s->ctl))
			pd_maildir_watch_wait(watch, s->waker.fd, env->poll_ms);
	}
	pd_maildir_watch_free(&watch);
	return ok;
}

static gboolean
serve(pd_source *s, const pd_source_env *env, gboolean *progressed, GError **error)
{
	switch (s->type) {
	case PD_SOURCE_IMAP:
		return pd_imap_serve(&s->remote, env, &s->ctl, progressed, error);
	case PD_SOURCE_POP3:
		return pd_pop3_serve(&s->remote, env, &s->ctl, progressed, error);
	default:
		return serve_maildir(s, env, progressed, error);
	}
}

void
pd_source_run(pd_source *s, const pd_source_env *env)
{
	gint64 delay = s->retry_min_ms;
	while (!pd_source_ctl_stopped(&s->ctl)) {
		GError *e = NULL;
		gboolean progressed = FALSE;
		if (serve(s, env, &progressed, &e) || e == NULL)
			continue;
		/* A refusal (password, certificate) needs an admin: no point in
		 * knocking every second; a server that is down gets a growing delay. */
		if (progressed)
			delay = s->retry_min_ms;
		if (e->code != PD_ERROR_TEMPORARY)
			delay = s->retry_max_ms;
		char *when = pd_format_delay(delay);
		g_warning("%s: %s; the mail stays in the source, will retry in %s", s->remote.name, e->message, when);
		g_free(when);
		g_error_free(e);
		pd_waker_wait(&s->waker, -1, delay);
		delay = MIN(delay * 2, s->retry_max_ms);
	}
}

pd_result
pd_source_run_once(pd_source *s, const pd_source_env *env, GError **error)
{
	switch (s->type) {
	case PD_SOURCE_IMAP:
		return pd_imap_run_once(&s->remote, env, &s->ctl, error);
	case PD_SOURCE_POP3:
		return pd_pop3_run_once(&s->remote, env, &s->ctl, error);
	default:
		return pd_maildir_process(env->ingest, &s->maildir, env->batch_size, env->report, env->report_data, NULL,
		                          &s->stop, error);
	}
}
