/* notifier.c: the delivery loop: due jobs out through the transport, results and next tries back into the store. */
#include "config.h"
#include "notifier.h"
#include "fsutil.h"
#include "pd.h"

#include <errno.h>
#include <stdio.h>
#include <unistd.h>

struct pd_notifier {
	pd_store *store;
	pd_notify *notify;
	pd_transport transport;
	pd_retry_policy policy;
};

pd_notifier *
pd_notifier_new(pd_store *store, pd_notify *notify, pd_transport transport, const pd_retry_policy *policy)
{
	pd_notifier *n = g_new0(pd_notifier, 1);
	n->store = store;
	n->notify = notify;
	n->transport = transport;
	n->policy = *policy;
	return n;
}

void
pd_notifier_free(pd_notifier **np)
{
	pd_notifier *n = *np;
	if (n == NULL)
		return;
	if (n->transport.free != NULL)
		n->transport.free(n->transport.self);
	g_clear_pointer(np, g_free);
}

gint64
pd_retry_delay(const pd_retry_policy *p, guint attempts)
{
	gint64 d = p->retry_min_us;
	for (guint i = 1; i < attempts && d < p->retry_max_us; i++)
		d *= 2;
	d = MIN(d, p->retry_max_us);
	return d + (gint64)(g_random_double() * 0.1 * (double)d);
}

/* ---- the Maildir transport ---- */

typedef struct {
	char *dir;
	guint counter;
} maildir_transport;

static void
maildir_send(gpointer self, const pd_job *job, pd_delivery *out)
{
	maildir_transport *m = self;
	char *name = g_strdup_printf("%" G_GINT64_FORMAT ".J%" G_GUINT64_FORMAT "P%dQ%u.postdesk",
	                             pd_now_usec() / G_USEC_PER_SEC, job->id, (int)getpid(), m->counter++);
	char *tmp = g_build_filename(m->dir, "tmp", name, NULL);
	char *final = g_build_filename(m->dir, "new", name, NULL);
	gsize len;
	const void *data = g_bytes_get_data(job->data, &len);
	GError *e = NULL;
	char *tmpdir = g_build_filename(m->dir, "tmp", NULL), *newdir = g_build_filename(m->dir, "new", NULL);
	gboolean ok = pd_mkdirs(tmpdir, 0700, &e) && pd_mkdirs(newdir, 0700, &e) &&
	              g_file_set_contents(tmp, data, (gssize)len, &e);
	if (ok && rename(tmp, final) != 0)
		pd_set_errno_error(&e, errno, "rename", tmp), ok = FALSE;
	out->status = ok ? PD_DELIVERY_SENT : PD_DELIVERY_RETRY;
	out->reply = ok ? g_strdup_printf("written to %s", final) : g_strdup(e->message);
	g_clear_error(&e);
	g_free(tmpdir);
	g_free(newdir);
	g_free(name);
	g_free(tmp);
	g_free(final);
}

static void
maildir_free(gpointer self)
{
	maildir_transport *m = self;
	g_free(m->dir);
	g_free(m);
}

pd_transport
pd_transport_maildir(const char *maildir)
{
	maildir_transport *m = g_new0(maildir_transport, 1);
	m->dir = g_strdup(maildir);
	return (pd_transport){ maildir_send, maildir_free, m };
}

/* ---- the loop ---- */

typedef struct {
	gint64 now;
	GArray *ids;
} due_ctx;

static gboolean
collect_due(const pd_job *job, gpointer data)
{
	g_array_append_val(((due_ctx *)data)->ids, job->id);
	return TRUE;
}

static gboolean
read_due(pd_txn *txn, gpointer data, GError **error)
{
	due_ctx *c = data;
	g_array_set_size(c->ids, 0);
	return pd_jobs_foreach_due(txn, c->now, collect_due, c, error);
}

typedef struct {
	pd_notifier *n;
	guint64 id;
	gint64 now;
	pd_job *job;
	char *text;          /* the causing mail's new text, for rendering */
	pd_delivery *result;
} job_ctx;

/* The new text of the mail behind the job's event, if it has one. */
static char *
event_text(pd_txn *txn, const pd_job *j, GError **error)
{
	GError *e = NULL;
	pd_event *ev = pd_event_get(txn, j->ticket, j->seq, &e);
	if (ev == NULL) {
		gboolean missing = e->code == PD_ERROR_NOT_FOUND;
		if (!missing)
			g_propagate_error(error, e);
		else
			g_error_free(e);
		return missing ? g_strdup("") : NULL;
	}
	if (ev->data == NULL) {
		pd_event_free(&ev);
		return g_strdup("");
	}
	GVariant *msg = g_variant_lookup_value(ev->data, "message", G_VARIANT_TYPE_VARDICT);
	const char *text = NULL;
	/* An event may say which text it stands for (an agent's reply without
	 * its command lines); else the mail's new text. */
	if (!g_variant_lookup(ev->data, "text", "&s", &text) && msg != NULL &&
	    !g_variant_lookup(msg, "body_new", "&s", &text))
		g_variant_lookup(msg, "body", "&s", &text);
	char *out = g_strdup(text != NULL ? text : "");
	if (msg != NULL)
		g_variant_unref(msg);
	pd_event_free(&ev);
	return out;
}

static gboolean
load_job(pd_txn *txn, gpointer data, GError **error)
{
	job_ctx *c = data;
	pd_job_free(&c->job);
	g_clear_pointer(&c->text, g_free);
	c->job = pd_job_get(txn, c->id, FALSE, error);
	if (c->job == NULL)
		return FALSE;
	if (c->job->data == NULL && c->job->ticket != 0 && (c->text = event_text(txn, c->job, error)) == NULL)
		return FALSE;
	return TRUE;
}

/* Apply a delivery result: sent, failed for good, or the next try (dead
 * once the retry period is over). */
static gboolean
record_result(pd_txn *txn, gpointer data, GError **error)
{
	job_ctx *c = data;
	pd_job *j = pd_job_get(txn, c->id, TRUE, error);
	if (j == NULL)
		return FALSE;
	/* The bytes rendered for this attempt are kept: a retry sends them again. */
	if (j->data == NULL && c->job->data != NULL)
		j->data = g_bytes_ref(c->job->data);
	j->attempts++;
	g_free(j->last_reply);
	j->last_reply = g_strdup(c->result->reply);
	if (c->result->rcpt_state != NULL) {
		if (j->rcpt_state != NULL)
			g_variant_unref(j->rcpt_state);
		j->rcpt_state = g_variant_ref(c->result->rcpt_state);
	}
	if (c->result->status == PD_DELIVERY_SENT)
		j->state = PD_JOB_SENT;
	else if (c->result->status == PD_DELIVERY_FAILED)
		j->state = PD_JOB_FAILED;
	else if (c->now - j->created >= c->n->policy.retry_for_us)
		j->state = PD_JOB_DEAD;
	else
		j->next_try = c->now + pd_retry_delay(&c->n->policy, j->attempts);
	gboolean ok = pd_job_put(txn, j, error);
	pd_job_free(&j);
	return ok;
}

static gboolean
deliver_one(pd_notifier *n, guint64 id, gint64 now, GError **error)
{
	job_ctx c = { n, id, now, NULL, NULL, NULL };
	if (!pd_store_run(n->store, load_job, &c, error))
		return FALSE;
	pd_delivery d = { 0 };
	GError *e = NULL;
	if (c.job->state == PD_JOB_QUEUED && !pd_notify_render_job(n->notify, c.job, c.text, &e)) {
		d.status = PD_DELIVERY_FAILED;
		d.reply = g_strdup_printf("cannot render: %s", e->message);
		c.result = &d;
		g_warning("outbox %" G_GUINT64_FORMAT ": %s for ticket #%" G_GUINT64_FORMAT ": %s", id, c.job->kind,
		          c.job->ticket, d.reply);
		g_clear_error(&e);
	} else if (c.job->state == PD_JOB_QUEUED) {
		n->transport.send(n->transport.self, c.job, &d);
		c.result = &d;
		g_info("outbox %" G_GUINT64_FORMAT ": %s to %s for ticket #%" G_GUINT64_FORMAT ": %s: %s", id,
		       c.job->kind, c.job->rcpts[0] != NULL ? c.job->rcpts[0] : "?", c.job->ticket,
		       d.status == PD_DELIVERY_SENT ? "sent" : d.status == PD_DELIVERY_FAILED ? "failed" : "will retry",
		       d.reply != NULL ? d.reply : "");
	}
	gboolean ok = c.result == NULL || pd_store_run(n->store, record_result, &c, error);
	g_free(d.reply);
	if (d.rcpt_state != NULL)
		g_variant_unref(d.rcpt_state);
	pd_job_free(&c.job);
	g_free(c.text);
	return ok;
}

gboolean
pd_notifier_run(pd_notifier *n, gint64 now, guint *tried_r, GError **error)
{
	due_ctx dc = { now, g_array_new(FALSE, FALSE, sizeof(guint64)) };
	gboolean ok = pd_store_run(n->store, read_due, &dc, error);
	guint tried = 0;
	for (guint i = 0; ok && i < dc.ids->len; i++, tried++)
		ok = deliver_one(n, g_array_index(dc.ids, guint64, i), now, error);
	if (tried_r != NULL)
		*tried_r = tried;
	g_array_unref(dc.ids);
	return ok;
}

static gboolean
requeue(pd_txn *txn, gpointer data, GError **error)
{
	guint64 id = *(guint64 *)data;
	pd_job *j = pd_job_get(txn, id, TRUE, error);
	if (j == NULL)
		return FALSE;
	gboolean ok = TRUE;
	if (j->data == NULL && j->spec == NULL) {
		g_set_error(error, PD_ERROR, PD_ERROR_PERMANENT,
		            "outbox job %" G_GUINT64_FORMAT " has nothing to send or render", id);
		ok = FALSE;
	} else {
		j->state = PD_JOB_QUEUED;
		j->next_try = pd_now_usec();
		/* A manual retry starts a new retry period. */
		j->created = j->next_try;
		ok = pd_job_put(txn, j, error);
	}
	pd_job_free(&j);
	return ok;
}

gboolean
pd_notifier_retry(pd_store *store, guint64 job, GError **error)
{
	return pd_store_run(store, requeue, &job, error);
}
