/* outbox.c: the outbox of notifications and the rate-limit counters, both kept in the store. */
#include "config.h"
#include "store-private.h"
#include "pd.h"

#include <string.h>

const char *
pd_job_state_name(pd_job_state state)
{
	static const char *const names[] = { "queued", "sent", "failed", "dead" };
	return state < G_N_ELEMENTS(names) ? names[state] : "?";
}

pd_job *
pd_job_new(void)
{
	return g_new0(pd_job, 1);
}

/* A deep copy, kept beside the struct so a new field cannot be forgotten. */
pd_job *
pd_job_copy(const pd_job *j)
{
	pd_job *c = pd_job_new();
	*c = *j;
	c->kind = g_strdup(j->kind);
	c->mail_from = g_strdup(j->mail_from);
	c->rcpts = g_strdupv(j->rcpts);
	c->message_id = g_strdup(j->message_id);
	c->spec = j->spec != NULL ? g_variant_ref(j->spec) : NULL;
	c->data = j->data != NULL ? g_bytes_ref(j->data) : NULL;
	c->last_reply = g_strdup(j->last_reply);
	c->rcpt_state = j->rcpt_state != NULL ? g_variant_ref(j->rcpt_state) : NULL;
	return c;
}

void
pd_job_free(pd_job **job)
{
	pd_job *j = *job;
	if (j == NULL)
		return;
	g_free(j->kind);
	g_free(j->mail_from);
	g_strfreev(j->rcpts);
	g_free(j->message_id);
	if (j->data != NULL)
		g_bytes_unref(j->data);
	if (j->spec != NULL)
		g_variant_unref(j->spec);
	g_free(j->last_reply);
	if (j->rcpt_state != NULL)
		g_variant_unref(j->rcpt_state);
	g_clear_pointer(job, g_free);
}

static void
add_str(GVariantBuilder *b, const char *key, const char *value)
{
	if (value != NULL)
		pd_dict_add(b, key, g_variant_new_string(value));
}

GVariant *
pd_job_to_variant(const pd_job *j, gboolean with_data)
{
	GVariantBuilder b;
	g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
	pd_dict_add(&b, "id", g_variant_new_uint64(j->id));
	pd_dict_add(&b, "ticket", g_variant_new_uint64(j->ticket));
	pd_dict_add(&b, "seq", g_variant_new_uint32(j->seq));
	add_str(&b, "kind", j->kind);
	add_str(&b, "mail_from", j->mail_from);
	const char *const none[] = { NULL };
	pd_dict_add(&b, "rcpts",
	                      g_variant_new_strv(j->rcpts != NULL ? (const char *const *)j->rcpts : none, -1));
	add_str(&b, "message_id", j->message_id);
	pd_dict_add(&b, "state", g_variant_new_uint32(j->state));
	pd_dict_add(&b, "attempts", g_variant_new_uint32(j->attempts));
	pd_dict_add(&b, "created", g_variant_new_int64(j->created));
	pd_dict_add(&b, "next_try", g_variant_new_int64(j->next_try));
	add_str(&b, "last_reply", j->last_reply);
	if (j->rcpt_state != NULL)
		pd_dict_add(&b, "rcpt_state", j->rcpt_state);
	if (with_data && j->spec != NULL)
		pd_dict_add(&b, "spec", j->spec);
	if (with_data && j->data != NULL)
		pd_dict_add(&b, "data",
		                      g_variant_new_from_bytes(G_VARIANT_TYPE_BYTESTRING, j->data, TRUE));
	return g_variant_builder_end(&b);
}

static pd_job *
job_from_variant(GVariant *d)
{
	pd_job *j = pd_job_new();
	const char *s;
	g_variant_lookup(d, "id", "t", &j->id);
	g_variant_lookup(d, "ticket", "t", &j->ticket);
	g_variant_lookup(d, "seq", "u", &j->seq);
	if (g_variant_lookup(d, "kind", "&s", &s))
		j->kind = g_strdup(s);
	if (g_variant_lookup(d, "mail_from", "&s", &s))
		j->mail_from = g_strdup(s);
	GVariant *r = g_variant_lookup_value(d, "rcpts", G_VARIANT_TYPE_STRING_ARRAY);
	j->rcpts = r != NULL ? g_variant_dup_strv(r, NULL) : g_new0(char *, 1);
	if (r != NULL)
		g_variant_unref(r);
	if (g_variant_lookup(d, "message_id", "&s", &s))
		j->message_id = g_strdup(s);
	guint32 state = PD_JOB_QUEUED;
	g_variant_lookup(d, "state", "u", &state);
	j->state = (pd_job_state)state;
	g_variant_lookup(d, "attempts", "u", &j->attempts);
	g_variant_lookup(d, "created", "x", &j->created);
	g_variant_lookup(d, "next_try", "x", &j->next_try);
	if (g_variant_lookup(d, "last_reply", "&s", &s))
		j->last_reply = g_strdup(s);
	j->rcpt_state = g_variant_lookup_value(d, "rcpt_state", G_VARIANT_TYPE("a{ss}"));
	j->spec = g_variant_lookup_value(d, "spec", G_VARIANT_TYPE_VARDICT);
	GVariant *data = g_variant_lookup_value(d, "data", G_VARIANT_TYPE_BYTESTRING);
	if (data != NULL) {
		j->data = g_variant_get_data_as_bytes(data);
		g_variant_unref(data);
	}
	return j;
}

gboolean
pd_job_put(pd_txn *txn, const pd_job *j, GError **error)
{
	guint8 key[8], due[8];
	pd_key_u64(key, j->id);
	/* The key of outbox_due (see index_due in store.c): queued jobs only. */
	pd_key_u64(due, (guint64)j->next_try);
	pd_record_field f = { due, j->state == PD_JOB_QUEUED ? 8 : 0 };
	return pd_db_put_indexed(txn, DB_OUTBOX, key, 8, pd_job_to_variant(j, TRUE), &f, 1, 0, error);
}

gboolean
pd_job_add(pd_txn *txn, pd_job *j, GError **error)
{
	return pd_db_next_id(txn, txn->store->seq_job, &j->id, error) && pd_job_put(txn, j, error);
}

pd_job *
pd_job_get(pd_txn *txn, guint64 id, gboolean for_update, GError **error)
{
	guint8 key[8];
	GVariant *d;
	pd_key_u64(key, id);
	if (!pd_db_get(txn, DB_OUTBOX, key, 8, for_update, &d, error))
		return NULL;
	if (d == NULL) {
		g_set_error(error, PD_ERROR, PD_ERROR_NOT_FOUND, "no outbox job %" G_GUINT64_FORMAT, id);
		return NULL;
	}
	pd_job *j = job_from_variant(d);
	g_variant_unref(d);
	return j;
}

/* Walk the outbox, or the due index up to now. */
static gboolean
walk_jobs(pd_txn *txn, gboolean due_only, gint64 now, pd_job_visit visit, gpointer data, GError **error)
{
	DB *db = txn->store->db[due_only ? DB_OUTBOX_DUE : DB_OUTBOX];
	DBC *c;
	int rc = db->cursor(db, txn->txn, &c, DB_READ_COMMITTED);
	if (!pd_db_check(txn, rc, "cursor", error))
		return FALSE;
	DBT k = { .flags = DB_DBT_REALLOC }, pk = { .flags = DB_DBT_REALLOC }, d = { .flags = DB_DBT_REALLOC };
	gboolean go_on = TRUE;
	while (go_on) {
		rc = due_only ? c->pget(c, &k, &pk, &d, DB_NEXT) : c->get(c, &k, &d, DB_NEXT);
		if (rc != 0)
			break;
		if (due_only && (k.size != 8 || (gint64)pd_key_u64_read(k.data) > now))
			break;
		GVariant *rec = pd_record_decode(d.data, d.size);
		if (rec == NULL)
			continue;
		pd_job *j = job_from_variant(rec);
		g_variant_unref(rec);
		go_on = visit(j, data);
		pd_job_free(&j);
	}
	c->close(c);
	free(k.data);
	free(pk.data);
	free(d.data);
	return rc == 0 || rc == DB_NOTFOUND ? TRUE : pd_db_check(txn, rc, "walk outbox", error);
}

gboolean
pd_jobs_foreach_due(pd_txn *txn, gint64 now, pd_job_visit visit, gpointer data, GError **error)
{
	return walk_jobs(txn, TRUE, now, visit, data, error);
}

gboolean
pd_jobs_foreach(pd_txn *txn, pd_job_visit visit, gpointer data, GError **error)
{
	return walk_jobs(txn, FALSE, 0, visit, data, error);
}

/* ---- rate-limit counters ---- */

/* A counter is the list of hit times inside the widest window used with
 * it; old hits are dropped on every write, so a record stays small. */
gboolean
pd_rate_hit2(pd_txn *txn, const char *key, gint64 now, gint64 window1_us, gint64 window2_us,
             gboolean count, guint *hits1_r, guint *hits2_r, GError **error)
{
	GVariant *v = NULL;
	if (!pd_db_get(txn, DB_RATES, key, strlen(key), count, &v, error))
		return FALSE;
	GArray *times = g_array_new(FALSE, FALSE, sizeof(gint64));
	GVariant *arr = v != NULL ? g_variant_lookup_value(v, "hits", G_VARIANT_TYPE("ax")) : NULL;
	gint64 widest = MAX(MAX(window1_us, window2_us), (gint64)86400 * G_USEC_PER_SEC);
	guint h1 = 0, h2 = 0;
	gsize n = 0;
	const gint64 *old = arr != NULL ? g_variant_get_fixed_array(arr, &n, sizeof(gint64)) : NULL;
	for (gsize i = 0; i < n; i++) {
		if (old[i] > now - widest)
			g_array_append_val(times, old[i]);
		h1 += old[i] > now - window1_us;
		h2 += old[i] > now - window2_us;
	}
	gboolean ok = TRUE;
	if (count) {
		g_array_append_val(times, now);
		h1++, h2++;
		GVariant *list = g_variant_new_fixed_array(G_VARIANT_TYPE_INT64, times->data, times->len, sizeof(gint64));
		GVariantBuilder b;
		g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
		pd_dict_add(&b, "hits", list);
		ok = pd_db_put(txn, DB_RATES, key, strlen(key), g_variant_builder_end(&b), 0, error);
	}
	if (hits1_r != NULL)
		*hits1_r = h1;
	if (hits2_r != NULL)
		*hits2_r = h2;
	if (arr != NULL)
		g_variant_unref(arr);
	if (v != NULL)
		g_variant_unref(v);
	g_array_unref(times);
	return ok;
}

gboolean
pd_rate_hit(pd_txn *txn, const char *key, gint64 now, gint64 window_us, gboolean count,
            guint *hits_r, GError **error)
{
	return pd_rate_hit2(txn, key, now, window_us, window_us, count, hits_r, NULL, error);
}
