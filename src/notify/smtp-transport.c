/* smtp-transport.c: the notifier's SMTP transport: one connection reused, per-recipient outcomes kept. */
#include "config.h"
#include "notifier.h"
#include "smtp.h"

#include <string.h>

static gboolean
rcpt_done(const pd_job *job, const char *rcpt)
{
	const char *state = NULL;
	if (job->rcpt_state == NULL || !g_variant_lookup(job->rcpt_state, rcpt, "&s", &state))
		return FALSE;
	return g_str_has_prefix(state, "sent") || g_str_has_prefix(state, "failed");
}

/* The recipients still to try: an earlier attempt may have delivered to
 * some and been refused for good by others. */
static GPtrArray *
pending_rcpts(const pd_job *job)
{
	GPtrArray *out = g_ptr_array_new();
	for (int i = 0; job->rcpts[i] != NULL; i++)
		if (!rcpt_done(job, job->rcpts[i]))
			g_ptr_array_add(out, job->rcpts[i]);
	g_ptr_array_add(out, NULL);
	return out;
}

/* recipient -> "sent" | "failed: reply" | "retry: reply" (a{ss}): the old
 * state updated with this attempt's outcomes. */
static GVariant *
merge_state(const pd_job *job, const pd_smtp_result *r)
{
	GHashTable *state = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	GVariantIter it;
	const char *k, *v;
	if (job->rcpt_state != NULL) {
		g_variant_iter_init(&it, job->rcpt_state);
		while (g_variant_iter_next(&it, "{&s&s}", &k, &v))
			g_hash_table_insert(state, g_strdup(k), g_strdup(v));
	}
	for (guint i = 0; i < r->rcpts->len; i++) {
		const pd_smtp_rcpt_result *rr = r->rcpts->pdata[i];
		char *value = rr->status == PD_SMTP_SENT ? g_strdup("sent")
		            : g_strdup_printf("%s: %s", pd_smtp_status_name(rr->status), rr->reply);
		g_hash_table_insert(state, g_strdup(rr->address), value);
	}
	GVariantBuilder b;
	g_variant_builder_init(&b, G_VARIANT_TYPE("a{ss}"));
	GHashTableIter hi;
	gpointer hk, hv;
	g_hash_table_iter_init(&hi, state);
	while (g_hash_table_iter_next(&hi, &hk, &hv))
		g_variant_builder_add(&b, "{ss}", hk, hv);
	g_hash_table_unref(state);
	return g_variant_ref_sink(g_variant_builder_end(&b));
}

static void
smtp_send(gpointer self, const pd_job *job, pd_delivery *out)
{
	GPtrArray *rcpts = pending_rcpts(job);
	gsize len;
	const char *data = g_bytes_get_data(job->data, &len);
	pd_smtp_result *r = pd_smtp_send(self, job->mail_from != NULL ? job->mail_from : "",
	                                 (const char *const *)rcpts->pdata, data, len);
	out->status = r->status == PD_SMTP_SENT ? PD_DELIVERY_SENT
	            : r->status == PD_SMTP_FAILED ? PD_DELIVERY_FAILED : PD_DELIVERY_RETRY;
	out->reply = g_strdup(r->reply);
	out->rcpt_state = merge_state(job, r);
	pd_smtp_result_free(&r);
	g_ptr_array_unref(rcpts);
}

static void
smtp_free(gpointer self)
{
	pd_smtp *s = self;
	pd_smtp_free(&s);
}

pd_transport
pd_transport_smtp(const pd_smtp_options *opts)
{
	return (pd_transport){ smtp_send, smtp_free, pd_smtp_new(opts) };
}
