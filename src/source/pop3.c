/* pop3.c: reading a POP3 mailbox with libetpan: verified TLS, UIDL ledger, RETR into commits, DELE after them, QUIT. */
#include "config.h"
#include "pop3.h"
#include "tls.h"

#include <libetpan/libetpan.h>
#include <string.h>

/* One session and what it learned from the server. */
typedef struct {
	const pd_remote_conf *conf;
	const pd_source_env *env;
	pd_source_ctl *ctl;
	mailpop3 *pop;
	gboolean broken;   /* the connection is gone: no QUIT */
} pd_pop3;

/* Deletions become final only at QUIT, and a session that drops before
 * it undoes them all; so a session takes at most this many messages. */
#define SESSION_MAX(env) MAX((env)->batch_size * 4u, 256u)

static gboolean
fail(pd_pop3 *c, int r, const char *what, GError **error)
{
	const char *said = c->pop != NULL && c->pop->pop3_response != NULL ? c->pop->pop3_response : "";
	gboolean lost = r == MAILPOP3_ERROR_STREAM || r == MAILPOP3_ERROR_SSL || r == MAILPOP3_ERROR_BAD_STATE;
	c->broken = c->broken || lost || r == MAILPOP3_ERROR_CONNECTION_REFUSED;
	if (r == MAILPOP3_ERROR_CONNECTION_REFUSED)
		g_set_error(error, PD_ERROR, PD_ERROR_TEMPORARY, "cannot connect to %s port %u", c->conf->host,
		            c->conf->port);
	else if (lost)
		g_set_error(error, PD_ERROR, PD_ERROR_TEMPORARY, "%s: connection to %s lost", what, c->conf->host);
	else if (r == MAILPOP3_ERROR_BAD_USER || r == MAILPOP3_ERROR_BAD_PASSWORD || r == MAILPOP3_ERROR_DENIED)
		g_set_error(error, PD_ERROR, PD_ERROR_PERMANENT, "login as %s at %s refused%s%s", c->conf->user,
		            c->conf->host, *said != '\0' ? ": " : "", said);
	else
		g_set_error(error, PD_ERROR, PD_ERROR_TEMPORARY, "%s refused by %s%s%s", what, c->conf->host,
		            *said != '\0' ? ": " : "", said);
	return FALSE;
}

/* ---- the session ---- */

static gboolean
connect_tls(pd_pop3 *c, GError **error)
{
	const pd_remote_conf *conf = c->conf;
	c->pop = mailpop3_new(0, NULL);
	mailpop3_set_timeout(c->pop, (time_t)MAX(1, conf->timeout_ms / 1000));
	int r = conf->implicit_tls ? mailpop3_ssl_connect_with_callback(c->pop, conf->host, conf->port, pd_tls_setup,
	                                                                conf->host)
	                           : mailpop3_socket_connect(c->pop, conf->host, conf->port);
	if (r != MAILPOP3_NO_ERROR)
		return fail(c, r == MAILPOP3_ERROR_STREAM ? MAILPOP3_ERROR_CONNECTION_REFUSED : r, "connect", error);
	if (!conf->implicit_tls && (r = mailpop3_socket_starttls_with_callback(c->pop, pd_tls_setup, conf->host)) != 0) {
		/* Never carry on in clear: the password would travel with it. */
		c->broken = TRUE;
		if (r == MAILPOP3_ERROR_STLS_NOT_SUPPORTED)
			g_set_error(error, PD_ERROR, PD_ERROR_PERMANENT, "%s does not do STLS; not logging in without TLS",
			            conf->host);
		else
			g_set_error(error, PD_ERROR, PD_ERROR_TEMPORARY, "STLS with %s failed (%s); not logging in without TLS",
			            conf->host, r == MAILPOP3_ERROR_SSL ? "TLS handshake" : "connection lost");
		return FALSE;
	}
	GError *e = NULL;
	if (pd_tls_verify_stream(c->pop->pop3_stream, conf->host, conf->ca_file, &e))
		return TRUE;
	g_set_error(error, PD_ERROR, e->code, "refusing to log in to %s: %s", conf->host, e->message);
	g_error_free(e);
	return FALSE;
}

static gboolean
login(pd_pop3 *c, GError **error)
{
	int r = mailpop3_user(c->pop, c->conf->user);
	if (r == MAILPOP3_NO_ERROR)
		r = mailpop3_pass(c->pop, c->conf->password);
	return r == MAILPOP3_NO_ERROR || fail(c, r, "USER/PASS", error);
}

/* QUIT is what makes the deletions final. */
static gboolean
quit(pd_pop3 *c, GError **error)
{
	if (c->pop == NULL)
		return TRUE;
	int r = c->broken ? MAILPOP3_NO_ERROR : mailpop3_quit(c->pop);
	gboolean ok = r == MAILPOP3_NO_ERROR || fail(c, r, "QUIT", error);
	mailpop3_free(c->pop);
	c->pop = NULL;
	return ok;
}

/* ---- the mailbox listing and the ledger ---- */

typedef struct {
	GArray *index;   /* unsigned int: message numbers */
	GArray *size;    /* guint32 */
	GPtrArray *uidl; /* borrowed from the session's listing */
} listing;

static void
listing_clear(listing *l)
{
	g_clear_pointer(&l->index, g_array_unref);
	g_clear_pointer(&l->size, g_array_unref);
	g_clear_pointer(&l->uidl, g_ptr_array_unref);
}

static gboolean
list_mailbox(pd_pop3 *c, listing *l, GError **error)
{
	carray *msgs = NULL;
	int r = mailpop3_list(c->pop, &msgs);
	if (r != MAILPOP3_NO_ERROR)
		return fail(c, r, "LIST/UIDL", error);
	*l = (listing){ g_array_new(FALSE, FALSE, sizeof(unsigned int)), g_array_new(FALSE, FALSE, sizeof(guint32)),
	                g_ptr_array_new() };
	for (guint i = 0; i < carray_count(msgs); i++) {
		struct mailpop3_msg_info *m = carray_get(msgs, i);
		if (m == NULL || m->msg_deleted)
			continue;
		if (m->msg_uidl == NULL) {
			/* Without UIDL nothing says which messages were taken. */
			listing_clear(l);
			g_set_error(error, PD_ERROR, PD_ERROR_PERMANENT, "%s does not support UIDL", c->conf->host);
			return FALSE;
		}
		g_array_append_val(l->index, m->msg_index);
		g_array_append_val(l->size, m->msg_size);
		g_ptr_array_add(l->uidl, m->msg_uidl);
	}
	return TRUE;
}

static gboolean
delete_messages(pd_pop3 *c, const unsigned int *index, guint n, GError **error)
{
	for (guint i = 0; i < n; i++) {
		int r = mailpop3_dele(c->pop, index[i]);
		if (r != MAILPOP3_NO_ERROR)
			return fail(c, r, "DELE", error);
	}
	return TRUE;
}

/* The messages to take (their positions in the listing); those the ledger
 * knows were committed in an earlier session whose DELE did not become
 * final are deleted again now. */
static GArray *
drop_known(pd_pop3 *c, listing *l, GError **error)
{
	guint n = l->index->len;
	gboolean *known = g_new0(gboolean, MAX(n, 1));
	GArray *todo = NULL;
	GArray *gone = g_array_new(FALSE, FALSE, sizeof(unsigned int));
	if (pd_ledger_lookup(c->env->store, c->conf->name, (char *const *)l->uidl->pdata, n, known, error)) {
		todo = g_array_new(FALSE, FALSE, sizeof(guint));
		for (guint i = 0; i < n; i++) {
			if (!known[i])
				g_array_append_val(todo, i);
			else
				g_array_append_val(gone, g_array_index(l->index, unsigned int, i));
		}
	}
	if (todo != NULL && gone->len > 0 && !c->conf->keep) {
		g_info("%s: %u message(s) were recorded before but not deleted; deleting them now", c->conf->name, gone->len);
		if (!delete_messages(c, (unsigned int *)(void *)gone->data, gone->len, error))
			g_clear_pointer(&todo, g_array_unref);
	}
	g_array_unref(gone);
	g_free(known);
	return todo;
}

/* ---- taking the mail ---- */

/* RETR each message of a batch. A message over the size limit is fetched
 * too (POP3 cannot fetch part of one by size), and the pipeline
 * quarantines it with its bytes as too-large. */
static gboolean
retrieve(pd_pop3 *c, listing *l, const guint *pos, guint n, pd_ingest_item *items, GError **error)
{
	for (guint i = 0; i < n; i++) {
		char *buf = NULL;
		size_t len = 0;
		int r = mailpop3_retr(c->pop, g_array_index(l->index, unsigned int, pos[i]), &buf, &len);
		if (r != MAILPOP3_NO_ERROR)
			return fail(c, r, "RETR", error);
		items[i] = (pd_ingest_item){ .fd = -1, .source = c->conf->name,
		                             .source_key = g_ptr_array_index(l->uidl, pos[i]), .queue = c->conf->queue,
		                             .data = g_bytes_new_with_free_func(buf, len, (GDestroyNotify)mailpop3_retr_free,
		                                                                buf) };
	}
	return TRUE;
}

static pd_result
take_batch(pd_pop3 *c, listing *l, const guint *pos, guint n, GError **error)
{
	pd_ingest_item *items = g_new0(pd_ingest_item, n);
	pd_result res = retrieve(c, l, pos, n, items, error) ? pd_source_commit(c->env, items, n, error) : PD_DEFER;
	unsigned int *index = g_new0(unsigned int, n);
	for (guint i = 0; i < n; i++)
		index[i] = g_array_index(l->index, unsigned int, pos[i]);
	if (res == PD_OK && !c->conf->keep && !delete_messages(c, index, n, error))
		res = PD_DEFER;
	for (guint i = 0; i < n; i++) {
		g_clear_pointer(&items[i].data, g_bytes_unref);
		pd_ingest_item_clear(&items[i]);
	}
	g_free(index);
	g_free(items);
	return res;
}

/* One session's worth: *more_r says the session stopped at SESSION_MAX. */
static pd_result
take(pd_pop3 *c, gboolean *more_r, GError **error)
{
	listing l = { NULL, NULL, NULL };
	if (!list_mailbox(c, &l, error))
		return PD_DEFER;
	GArray *todo = drop_known(c, &l, error);
	pd_result res = todo != NULL ? PD_OK : PD_DEFER;
	guint n = todo != NULL ? MIN(todo->len, SESSION_MAX(c->env)) : 0;
	*more_r = todo != NULL && todo->len > n;
	for (guint at = 0; res == PD_OK && at < n && !pd_source_ctl_stopped(c->ctl);) {
		guint len = MIN(c->env->batch_size, n - at);
		res = take_batch(c, &l, (guint *)(void *)todo->data + at, len, error);
		at += len;
	}
	if (todo != NULL)
		g_array_unref(todo);
	listing_clear(&l);
	return res;
}

static pd_result
session(pd_pop3 *c, gboolean *logged_in, gboolean *more_r, GError **error)
{
	*more_r = FALSE;
	gboolean ok = connect_tls(c, error) && login(c, error);
	*logged_in = ok;
	pd_result res = ok ? take(c, more_r, error) : PD_DEFER;
	/* Only a clean QUIT makes the deletions final; without one, the ledger
	 * deletes them again next time. */
	GError *e = NULL;
	if (!quit(c, res == PD_OK ? error : &e))
		res = PD_DEFER;
	g_clear_error(&e);
	return res;
}

pd_result
pd_pop3_run_once(const pd_remote_conf *conf, const pd_source_env *env, pd_source_ctl *ctl, GError **error)
{
	gboolean logged_in, more = TRUE;
	pd_result res = PD_OK;
	while (res == PD_OK && more && !pd_source_ctl_stopped(ctl)) {
		pd_pop3 c = { .conf = conf, .env = env, .ctl = ctl };
		res = session(&c, &logged_in, &more, error);
	}
	return res;
}

gboolean
pd_pop3_serve(const pd_remote_conf *conf, const pd_source_env *env, pd_source_ctl *ctl, gboolean *progressed,
              GError **error)
{
	while (!pd_source_ctl_stopped(ctl)) {
		pd_pop3 c = { .conf = conf, .env = env, .ctl = ctl };
		gboolean logged_in, more;
		pd_result res = session(&c, &logged_in, &more, error);
		*progressed = *progressed || logged_in;
		if (res != PD_OK)
			return FALSE;
		if (!more)
			pd_waker_wait(ctl->waker, -1, env->poll_ms);
	}
	return TRUE;
}
