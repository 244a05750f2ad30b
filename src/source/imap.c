/* imap.c: an IMAP folder read with libetpan: verified TLS, UID search, MOVE or \Seen after the commit, IDLE. */
#include "config.h"
#include "imap-private.h"
#include "tls.h"

#include <libetpan/libetpan.h>
#include <string.h>

/* ---- errors ---- */

static gboolean
connection_lost(int r)
{
	return r == MAILIMAP_ERROR_STREAM || r == MAILIMAP_ERROR_PARSE || r == MAILIMAP_ERROR_FATAL ||
	       r == MAILIMAP_ERROR_CONNECTION_REFUSED || r == MAILIMAP_ERROR_BAD_STATE ||
	       r == MAILIMAP_ERROR_SSL || r == MAILIMAP_ERROR_PROTOCOL;
}

/* libetpan says which command failed; the server's own words are in imap_response. */
gboolean
pd_imap_fail(pd_imap *c, int r, const char *what, GError **error)
{
	const char *said = c->imap != NULL && c->imap->imap_response != NULL ? c->imap->imap_response : "";
	c->broken = c->broken || connection_lost(r);
	if (r == MAILIMAP_ERROR_CONNECTION_REFUSED)
		g_set_error(error, PD_ERROR, PD_ERROR_TEMPORARY, "cannot connect to %s port %u", c->conf->host,
		            c->conf->port);
	else if (connection_lost(r))
		g_set_error(error, PD_ERROR, PD_ERROR_TEMPORARY, "%s: connection to %s lost", what, c->conf->host);
	else if (r == MAILIMAP_ERROR_LOGIN || r == MAILIMAP_ERROR_SASL)
		g_set_error(error, PD_ERROR, PD_ERROR_PERMANENT, "login as %s at %s refused%s%s", c->conf->user,
		            c->conf->host, *said != '\0' ? ": " : "", said);
	else
		g_set_error(error, PD_ERROR, PD_ERROR_TEMPORARY, "%s refused by %s%s%s", what, c->conf->host,
		            *said != '\0' ? ": " : "", said);
	return FALSE;
}

/* ---- UID sets ---- */

struct mailimap_set *
pd_imap_uid_set(const guint32 *uids, guint n)
{
	struct mailimap_set *set = mailimap_set_new_empty();
	for (guint i = 0; i < n;) {
		guint j = i;
		while (j + 1 < n && uids[j + 1] == uids[j] + 1)
			j++;
		mailimap_set_add_interval(set, uids[i], uids[j]);
		i = j + 1;
	}
	return set;
}

static int
compare_uids(gconstpointer a, gconstpointer b)
{
	guint32 x = *(const guint32 *)a, y = *(const guint32 *)b;
	return x < y ? -1 : x > y;
}

/* ---- connecting ---- */

static gboolean
connect_tls(pd_imap *c, GError **error)
{
	const pd_remote_conf *conf = c->conf;
	c->imap = mailimap_new(0, NULL);
	mailimap_set_timeout(c->imap, (time_t)MAX(1, conf->timeout_ms / 1000));
	int r = conf->implicit_tls ? mailimap_ssl_connect_with_callback(c->imap, conf->host, conf->port, pd_tls_setup,
	                                                                conf->host)
	                           : mailimap_socket_connect(c->imap, conf->host, conf->port);
	if (r != MAILIMAP_NO_ERROR && r != MAILIMAP_NO_ERROR_AUTHENTICATED && r != MAILIMAP_NO_ERROR_NON_AUTHENTICATED)
		return pd_imap_fail(c, r == MAILIMAP_ERROR_STREAM ? MAILIMAP_ERROR_CONNECTION_REFUSED : r, "connect", error);
	if (!conf->implicit_tls && (r = mailimap_socket_starttls_with_callback(c->imap, pd_tls_setup, conf->host)) != 0) {
		/* Never carry on in clear: the password would travel with it. */
		c->broken = TRUE;
		if (r == MAILIMAP_ERROR_STARTTLS)
			g_set_error(error, PD_ERROR, PD_ERROR_PERMANENT, "%s does not do STARTTLS; not logging in without TLS",
			            conf->host);
		else
			g_set_error(error, PD_ERROR, PD_ERROR_TEMPORARY, "STARTTLS with %s failed (%s); not logging in without TLS",
			            conf->host, r == MAILIMAP_ERROR_SSL ? "TLS handshake" : "connection lost");
		return FALSE;
	}
	GError *e = NULL;
	if (pd_tls_verify_stream(c->imap->imap_stream, conf->host, conf->ca_file, &e))
		return TRUE;
	g_set_error(error, PD_ERROR, e->code, "refusing to log in to %s: %s", conf->host, e->message);
	g_error_free(e);
	return FALSE;
}

static void
refresh_capabilities(pd_imap *c)
{
	struct mailimap_capability_data *cap = NULL;
	if (mailimap_capability(c->imap, &cap) == MAILIMAP_NO_ERROR)
		mailimap_capability_data_free(cap);
}

static int
authenticate_plain(pd_imap *c)
{
	const pd_remote_conf *conf = c->conf;
	return mailimap_authenticate(c->imap, "PLAIN", conf->host, NULL, NULL, conf->user, conf->user, conf->password,
	                             NULL);
}

/* AUTHENTICATE PLAIN when asked for or offered, else LOGIN. With auth =
 * auto a failed PLAIN (the SASL library may lack the mechanism) is
 * followed by LOGIN, whose answer is the one reported. */
static gboolean
login(pd_imap *c, GError **error)
{
	const pd_remote_conf *conf = c->conf;
	/* What the server offered in clear may differ from what it offers now. */
	refresh_capabilities(c);
	gboolean plain = conf->auth == PD_AUTH_PLAIN ||
	                 (conf->auth == PD_AUTH_AUTO && mailimap_has_authentication(c->imap, "PLAIN"));
	int r = plain ? authenticate_plain(c) : mailimap_login(c->imap, conf->user, conf->password);
	if (plain && conf->auth == PD_AUTH_AUTO && (r == MAILIMAP_ERROR_LOGIN || r == MAILIMAP_ERROR_SASL)) {
		plain = FALSE;
		r = mailimap_login(c->imap, conf->user, conf->password);
	}
	if (r != MAILIMAP_NO_ERROR)
		return pd_imap_fail(c, r, plain ? "AUTHENTICATE PLAIN" : "LOGIN", error);
	refresh_capabilities(c);
	c->has_move = mailimap_has_extension(c->imap, "MOVE");
	c->has_uidplus = mailimap_has_uidplus(c->imap);
	c->has_idle = mailimap_has_idle(c->imap);
	return TRUE;
}

/* The folder messages are moved to must exist before the first MOVE. */
static gboolean
ensure_folder(pd_imap *c, const char *folder, GError **error)
{
	clist *list = NULL;
	int r = mailimap_list(c->imap, "", folder, &list);
	if (r != MAILIMAP_NO_ERROR)
		return pd_imap_fail(c, r, "LIST", error);
	gboolean exists = clist_count(list) > 0;
	mailimap_list_result_free(list);
	if (exists)
		return TRUE;
	r = mailimap_create(c->imap, folder);
	if (r != MAILIMAP_NO_ERROR)
		return pd_imap_fail(c, r, "CREATE of the move_to folder", error);
	g_info("%s: created folder %s for processed mail", c->conf->name, folder);
	return TRUE;
}

/* A new UIDVALIDITY means every UID we knew is meaningless: the ledger keys
 * carry the UIDVALIDITY, and the content key recognises mail seen before. */
static void
note_uidvalidity(pd_imap *c)
{
	pd_source_ctl *ctl = c->ctl;
	c->uidvalidity = c->imap->imap_selection_info->sel_uidvalidity;
	if (ctl->uidvalidity != 0 && ctl->uidvalidity != c->uidvalidity)
		g_warning("%s: UIDVALIDITY of %s changed from %u to %u; messages seen before are recognised by their "
		          "content and only new ones become tickets", c->conf->name, c->conf->folder, ctl->uidvalidity,
		          c->uidvalidity);
	if (ctl->uidvalidity != c->uidvalidity)
		ctl->high_uid = 0;
	ctl->uidvalidity = c->uidvalidity;
}

/* INBOX is INBOX in any case (RFC 3501); other names are compared as written. */
static gboolean
same_folder(const char *a, const char *b)
{
	return g_ascii_strcasecmp(a, "INBOX") == 0 ? g_ascii_strcasecmp(b, "INBOX") == 0 : strcmp(a, b) == 0;
}

static gboolean
open_folder(pd_imap *c, GError **error)
{
	if (!connect_tls(c, error) || !login(c, error))
		return FALSE;
	if (c->conf->move_to != NULL && same_folder(c->conf->move_to, c->conf->folder)) {
		g_set_error(error, PD_ERROR, PD_ERROR_CONFIG, "move_to names the folder that is read (%s)", c->conf->folder);
		return FALSE;
	}
	if (c->conf->move_to != NULL && !ensure_folder(c, c->conf->move_to, error))
		return FALSE;
	int r = mailimap_select(c->imap, c->conf->folder);
	if (r != MAILIMAP_NO_ERROR)
		return pd_imap_fail(c, r, "SELECT", error);
	note_uidvalidity(c);
	g_info("%s: logged in to %s as %s, %s UIDVALIDITY %u with %u message(s); %s", c->conf->name, c->conf->host,
	       c->conf->user, c->conf->folder, c->uidvalidity, c->imap->imap_selection_info->sel_exists,
	       c->has_idle && c->conf->idle ? "waiting with IDLE" : "polling");
	return TRUE;
}

static void
close_connection(pd_imap *c)
{
	if (c->imap == NULL)
		return;
	if (c->imap->imap_stream != NULL && !c->broken)
		mailimap_logout(c->imap);
	mailimap_free(c->imap);
	c->imap = NULL;
}

/* ---- finding the mail to take ---- */

static struct mailimap_search_key *
flag_key(int type)
{
	return mailimap_search_key_new(type, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
	                               NULL, NULL, 0, NULL, NULL, NULL, NULL, NULL, NULL, 0, NULL, NULL, NULL);
}

/* What is to be taken: with move_to, everything in the folder (taken mail
 * leaves it); with mark_seen, what is unseen; otherwise what is newer than
 * the last UID taken (the ledger covers the first pass). */
static struct mailimap_search_key *
search_key(pd_imap *c)
{
	struct mailimap_search_key *key = mailimap_search_key_new_multiple_empty();
	mailimap_search_key_multiple_add(key, flag_key(MAILIMAP_SEARCH_KEY_UNDELETED));
	if (c->conf->move_to == NULL && c->conf->mark_seen)
		mailimap_search_key_multiple_add(key, flag_key(MAILIMAP_SEARCH_KEY_UNSEEN));
	else if (c->conf->move_to == NULL)
		mailimap_search_key_multiple_add(
			key, mailimap_search_key_new_uid(mailimap_set_new_interval(c->ctl->high_uid + 1, 0)));
	return key;
}

static GArray *
search(pd_imap *c, GError **error)
{
	struct mailimap_search_key *key = search_key(c);
	clist *found = NULL;
	int r = mailimap_uid_search(c->imap, NULL, key, &found);
	mailimap_search_key_free(key);
	if (r != MAILIMAP_NO_ERROR) {
		pd_imap_fail(c, r, "UID SEARCH", error);
		return NULL;
	}
	GArray *uids = g_array_new(FALSE, FALSE, sizeof(guint32));
	for (clistiter *it = clist_begin(found); it != NULL; it = clist_next(it)) {
		guint32 uid = *(uint32_t *)clist_content(it);
		/* "UID n:*" always matches the last message, even below n. */
		if (uid > c->ctl->high_uid || c->conf->move_to != NULL || c->conf->mark_seen)
			g_array_append_val(uids, uid);
	}
	mailimap_search_result_free(found);
	g_array_sort(uids, compare_uids);
	return uids;
}

/* ---- acknowledging (only ever after the commit) ---- */

static gboolean
store_flag(pd_imap *c, struct mailimap_set *set, struct mailimap_flag *flag, GError **error)
{
	struct mailimap_flag_list *flags = mailimap_flag_list_new_empty();
	mailimap_flag_list_add(flags, flag);
	struct mailimap_store_att_flags *att = mailimap_store_att_flags_new_add_flags_silent(flags);
	int r = mailimap_uid_store(c->imap, set, att);
	mailimap_store_att_flags_free(att);
	return r == MAILIMAP_NO_ERROR || pd_imap_fail(c, r, "UID STORE", error);
}

/* Without MOVE: copy, flag \Deleted, expunge (only these UIDs with UIDPLUS). */
static gboolean
copy_delete(pd_imap *c, struct mailimap_set *set, GError **error)
{
	int r = mailimap_uid_copy(c->imap, set, c->conf->move_to);
	if (r != MAILIMAP_NO_ERROR)
		return pd_imap_fail(c, r, "UID COPY", error);
	if (!store_flag(c, set, mailimap_flag_new_deleted(), error))
		return FALSE;
	r = c->has_uidplus ? mailimap_uid_expunge(c->imap, set) : mailimap_expunge(c->imap);
	return r == MAILIMAP_NO_ERROR || pd_imap_fail(c, r, "EXPUNGE", error);
}

gboolean
pd_imap_acknowledge(pd_imap *c, const guint32 *uids, guint n, GError **error)
{
	if (n == 0)
		return TRUE;
	struct mailimap_set *set = pd_imap_uid_set(uids, n);
	gboolean ok = !c->conf->mark_seen || store_flag(c, set, mailimap_flag_new_seen(), error);
	if (ok && c->conf->move_to != NULL) {
		int r = c->has_move ? mailimap_uid_move(c->imap, set, c->conf->move_to) : MAILIMAP_NO_ERROR;
		ok = c->has_move ? r == MAILIMAP_NO_ERROR || pd_imap_fail(c, r, "UID MOVE", error) : copy_delete(c, set, error);
	}
	mailimap_set_free(set);
	for (guint i = 0; ok && i < n; i++)
		c->ctl->high_uid = MAX(c->ctl->high_uid, uids[i]);
	return ok;
}

/* Messages the ledger knows were committed before (the daemon stopped
 * between the commit and the acknowledgement): acknowledge without fetching. */
static GArray *
drop_known(pd_imap *c, GArray *uids, GError **error)
{
	char **keys = g_new0(char *, uids->len + 1);
	gboolean *known = g_new0(gboolean, uids->len);
	for (guint i = 0; i < uids->len; i++)
		keys[i] = g_strdup_printf("%u:%u", c->uidvalidity, g_array_index(uids, guint32, i));
	GArray *todo = NULL, *done = g_array_new(FALSE, FALSE, sizeof(guint32));
	if (pd_ledger_lookup(c->env->store, c->conf->name, keys, uids->len, known, error)) {
		todo = g_array_new(FALSE, FALSE, sizeof(guint32));
		for (guint i = 0; i < uids->len; i++)
			g_array_append_val(known[i] ? done : todo, g_array_index(uids, guint32, i));
	}
	gboolean keep = c->conf->move_to == NULL && !c->conf->mark_seen;
	if (todo != NULL && done->len > 0) {
		if (!keep)
			g_info("%s: %u message(s) were recorded before but not acknowledged; acknowledging them now",
			       c->conf->name, done->len);
		if (!pd_imap_acknowledge(c, (guint32 *)(void *)done->data, done->len, error))
			g_clear_pointer(&todo, g_array_unref);
	}
	g_array_unref(done);
	g_strfreev(keys);
	g_free(known);
	return todo;
}

/* Everything the folder holds now, and what arrives meanwhile. */
static pd_result
take(pd_imap *c, GError **error)
{
	while (!pd_source_ctl_stopped(c->ctl)) {
		GArray *found = search(c, error);
		GArray *todo = found != NULL ? drop_known(c, found, error) : NULL;
		if (found != NULL)
			g_array_unref(found);
		if (todo == NULL)
			return PD_DEFER;
		/* Again until nothing new is found; a message the server lists but
		 * will not give us does not keep us busy. */
		guint taken = 0;
		pd_result res = todo->len > 0 ? pd_imap_take_uids(c, (guint32 *)(void *)todo->data, todo->len, &taken, error) : PD_OK;
		g_array_unref(todo);
		if (res != PD_OK || taken == 0)
			return res;
	}
	return PD_OK;
}

/* ---- waiting for mail ---- */

static int
stream_fd(pd_imap *c)
{
	return mailstream_low_get_fd(mailstream_get_low(c->imap->imap_stream));
}

/* IDLE until the server says something, the heartbeat comes due, or we
 * are woken; then DONE. At the heartbeat a NOOP proves the connection is
 * alive, so a dead one is noticed within a heartbeat and a timeout. */
static gboolean
wait_idle(pd_imap *c, GError **error)
{
	int r = mailimap_idle(c->imap);
	if (r != MAILIMAP_NO_ERROR)
		return pd_imap_fail(c, r, "IDLE", error);
	/* A response that came with the continuation is already buffered. */
	pd_wait w = c->imap->imap_stream->read_buffer_len > 0
	                ? PD_WAIT_READY
	                : pd_waker_wait(c->ctl->waker, stream_fd(c), c->conf->heartbeat_ms);
	r = mailimap_idle_done(c->imap);
	if (r != MAILIMAP_NO_ERROR)
		return pd_imap_fail(c, r, "IDLE", error);
	if (w != PD_WAIT_TIMEOUT)
		return TRUE;
	g_debug("%s: heartbeat: NOOP after %" G_GINT64_FORMAT " ms of IDLE", c->conf->name, c->conf->heartbeat_ms);
	if ((r = mailimap_noop(c->imap)) != MAILIMAP_NO_ERROR)
		return pd_imap_fail(c, r, "NOOP", error);
	return TRUE;
}

static gboolean
wait_mail(pd_imap *c, GError **error)
{
	if (c->has_idle && c->conf->idle)
		return wait_idle(c, error);
	pd_waker_wait(c->ctl->waker, -1, c->env->poll_ms);
	return TRUE;
}

/* ---- the two ways to run ---- */

pd_result
pd_imap_run_once(const pd_remote_conf *conf, const pd_source_env *env, pd_source_ctl *ctl, GError **error)
{
	pd_imap c = { .conf = conf, .env = env, .ctl = ctl };
	pd_result res = open_folder(&c, error) ? take(&c, error) : PD_DEFER;
	close_connection(&c);
	return res;
}

gboolean
pd_imap_serve(const pd_remote_conf *conf, const pd_source_env *env, pd_source_ctl *ctl, gboolean *progressed,
              GError **error)
{
	pd_imap c = { .conf = conf, .env = env, .ctl = ctl };
	gboolean ok = open_folder(&c, error);
	*progressed = ok;
	while (ok && !pd_source_ctl_stopped(ctl)) {
		ok = take(&c, error) == PD_OK;
		if (ok && !pd_source_ctl_stopped(ctl))
			ok = wait_mail(&c, error);
	}
	close_connection(&c);
	return ok;
}
