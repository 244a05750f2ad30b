/* records.c: the store's records (tickets, events, dedupe keys, quarantine) and their encoding. */
#include "config.h"
#include "store-private.h"
#include "pd.h"

#include <string.h>

/* ---- codec and raw access ---- */

void
pd_key_u64(guint8 out[8], guint64 v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		out[i] = (guint8)(v & 0xff);
}

guint64
pd_key_u64_read(const guint8 *in)
{
	guint64 v = 0;
	for (int i = 0; i < 8; i++)
		v = (v << 8) | in[i];
	return v;
}

/* Serialize dict after a header of hlen bytes (filled in by the caller). */
static guint8 *
record_encode(GVariant *dict, gsize hlen, gsize *len_r)
{
	g_variant_ref_sink(dict);
	/* Serialized through GBytes: g_variant_store() wants aligned memory, and
	 * buf + hlen is not. */
	GBytes *bytes = g_variant_get_data_as_bytes(dict);
	gsize n;
	const guint8 *data = g_bytes_get_data(bytes, &n);
	guint8 *buf = g_malloc(hlen + n);
	if (n > 0)  /* an empty a{sv} serializes to no bytes (and may be NULL) */
		memcpy(buf + hlen, data, n);
	g_bytes_unref(bytes);
	g_variant_unref(dict);
	*len_r = hlen + n;
	return buf;
}

void *
pd_record_encode(GVariant *dict, gsize *len_r)
{
	guint8 *buf = record_encode(dict, 1, len_r);
	buf[0] = 1;
	return buf;
}

void *
pd_record_encode_indexed(GVariant *dict, const pd_record_field *fields, guint n, gsize *len_r)
{
	g_return_val_if_fail(n <= 8, NULL);
	gsize hlen = 2;
	for (guint i = 0; i < n; i++)
		hlen += 2 + MIN(fields[i].len, G_MAXUINT16);
	guint8 *buf = record_encode(dict, hlen, len_r);
	guint8 *p = buf;
	*p++ = 2;
	*p++ = (guint8)n;
	for (guint i = 0; i < n; i++) {
		gsize len = MIN(fields[i].len, G_MAXUINT16);
		*p++ = (guint8)(len >> 8);
		*p++ = (guint8)len;
		if (len > 0)
			memcpy(p, fields[i].data, len);
		p += len;
	}
	return buf;
}

gsize
pd_record_body(const void *data, gsize len)
{
	const guint8 *p = data;
	if (len < 1 || p[0] == 0 || p[0] > PD_RECORD_VERSION)
		return 0;
	if (p[0] == 1)
		return 1;
	if (len < 2)
		return 0;
	gsize off = 2;
	for (guint i = 0; i < p[1]; i++) {
		if (len - off < 2)
			return 0;
		gsize flen = ((gsize)p[off] << 8) | p[off + 1];
		if (len - off - 2 < flen)
			return 0;
		off += 2 + flen;
	}
	return off;
}

int
pd_record_field_get(const void *data, gsize len, guint i, pd_record_field *field_r)
{
	const guint8 *p = data;
	if (len >= 1 && p[0] == 1)
		return 0;
	if (len < 2 || p[0] != 2 || i >= p[1])
		return -1;
	gsize off = 2;
	for (guint j = 0;; j++) {
		if (len - off < 2)
			return -1;
		gsize flen = ((gsize)p[off] << 8) | p[off + 1];
		if (len - off - 2 < flen)
			return -1;
		if (j == i) {
			field_r->data = p + off + 2;
			field_r->len = flen;
			return 1;
		}
		off += 2 + flen;
	}
}

GVariant *
pd_record_decode(const void *data, gsize len)
{
	const guint8 *p = data;
	gsize off = pd_record_body(p, len);
	if (off == 0)
		return NULL;
	/* Not trusted: a damaged page must give an empty or partial dict, not a crash. */
	GBytes *bytes = g_bytes_new(p + off, len - off);
	GVariant *v = g_variant_new_from_bytes(G_VARIANT_TYPE_VARDICT, bytes, FALSE);
	g_bytes_unref(bytes);
	return g_variant_ref_sink(v);
}

gboolean
pd_db_get(pd_txn *txn, pd_db_id id, const void *key, gsize klen, gboolean rmw,
          GVariant **value_r, GError **error)
{
	DB *db = txn->store->db[id];
	DBT k = { .data = (void *)key, .size = (u_int32_t)klen };
	DBT d = { .flags = DB_DBT_MALLOC };
	*value_r = NULL;
	int rc = db->get(db, txn->txn, &k, &d, rmw ? DB_RMW : 0);
	if (rc == DB_NOTFOUND)
		return TRUE;
	if (!pd_db_check(txn, rc, "get", error))
		return FALSE;
	*value_r = pd_record_decode(d.data, d.size);
	free(d.data);
	if (*value_r == NULL)
		return pd_db_check(txn, DB_VERIFY_BAD, "decode record", error);
	return TRUE;
}

gboolean
pd_db_put(pd_txn *txn, pd_db_id id, const void *key, gsize klen, GVariant *value,
          guint32 flags, GError **error)
{
	return pd_db_put_indexed(txn, id, key, klen, value, NULL, 0, flags, error);
}

gboolean
pd_db_put_indexed(pd_txn *txn, pd_db_id id, const void *key, gsize klen, GVariant *value,
                  const pd_record_field *fields, guint nfields, guint32 flags, GError **error)
{
	DB *db = txn->store->db[id];
	gsize n;
	void *buf = nfields > 0 ? pd_record_encode_indexed(value, fields, nfields, &n) : pd_record_encode(value, &n);
	DBT k = { .data = (void *)key, .size = (u_int32_t)klen };
	DBT d = { .data = buf, .size = (u_int32_t)n };
	int rc = db->put(db, txn->txn, &k, &d, flags);
	g_free(buf);
	return pd_db_check(txn, rc, "put", error);
}

gboolean
pd_db_del(pd_txn *txn, pd_db_id id, const void *key, gsize klen, GError **error)
{
	DB *db = txn->store->db[id];
	DBT k = { .data = (void *)key, .size = (u_int32_t)klen };
	int rc = db->del(db, txn->txn, &k, 0);
	if (rc == DB_NOTFOUND)
		return TRUE;
	return pd_db_check(txn, rc, "delete", error);
}

gboolean
pd_db_walk(pd_txn *txn, pd_db_id id, const void *from, gsize flen, pd_db_visit visit, gpointer data,
           const char *what, GError **error)
{
	DB *db = txn->store->db[id];
	DBC *c;
	int rc = db->cursor(db, txn->txn, &c, DB_READ_COMMITTED);
	if (!pd_db_check(txn, rc, "cursor", error))
		return FALSE;
	DBT k = { .data = from != NULL ? g_memdup2(from, flen) : NULL, .size = (u_int32_t)flen, .flags = DB_DBT_REALLOC };
	DBT d = { .flags = DB_DBT_REALLOC };
	for (rc = c->get(c, &k, &d, from != NULL ? DB_SET_RANGE : DB_FIRST); rc == 0; rc = c->get(c, &k, &d, DB_NEXT))
		if (!visit(k.data, k.size, d.data, d.size, data))
			break;
	c->close(c);
	free(k.data);
	free(d.data);
	return rc == 0 || rc == DB_NOTFOUND ? TRUE : pd_db_check(txn, rc, what, error);
}

/* ---- small a{sv} helpers ---- */

static char *
dict_str(GVariant *d, const char *key)
{
	const char *s = NULL;
	return g_variant_lookup(d, key, "&s", &s) ? g_strdup(s) : NULL;
}

static gint64
dict_i64(GVariant *d, const char *key)
{
	gint64 v = 0;
	g_variant_lookup(d, key, "x", &v);
	return v;
}

static guint64
dict_u64(GVariant *d, const char *key)
{
	guint64 v = 0;
	g_variant_lookup(d, key, "t", &v);
	return v;
}

static void
add_str(GVariantBuilder *b, const char *key, const char *value)
{
	if (value != NULL)
		pd_dict_add(b, key, g_variant_new_string(value));
}

static gboolean
not_found(GError **error, const char *what, guint64 id)
{
	g_set_error(error, PD_ERROR, PD_ERROR_NOT_FOUND, "no %s %" G_GUINT64_FORMAT, what, id);
	return FALSE;
}

/* The next entry of an a{sv}, without parsing a format string: its key
 * (valid while *entry_r is) and its value; the caller unrefs both. */
static gboolean
dict_next(GVariantIter *it, GVariant **entry_r, const char **key_r, GVariant **value_r)
{
	GVariant *e = g_variant_iter_next_value(it);
	if (e == NULL)
		return FALSE;
	/* The key is held by the entry: its children, or its bytes. */
	GVariant *k = g_variant_get_child_value(e, 0), *box = g_variant_get_child_value(e, 1);
	*key_r = g_variant_get_string(k, NULL);
	g_variant_unref(k);
	*value_r = g_variant_get_variant(box);
	g_variant_unref(box);
	*entry_r = e;
	return TRUE;
}

/* ---- tickets ---- */

static const char *const ticket_keys[] = {
	"id", "status", "subject", "requester", "requester_name", "queue", "priority",
	"source", "created", "updated", "nevents", "assignee", "tags", "watchers", "links",
	"language", "merged_into", NULL
};

pd_ticket *
pd_ticket_new(void)
{
	pd_ticket *t = g_new0(pd_ticket, 1);
	t->tags = g_new0(char *, 1);
	t->watchers = g_new0(char *, 1);
	t->links = g_array_new(FALSE, FALSE, sizeof(guint64));
	return t;
}

gboolean
pd_strv_add(char ***strv, const char *value)
{
	if (g_strv_contains((const char *const *)*strv, value))
		return FALSE;
	guint n = g_strv_length(*strv);
	*strv = g_renew(char *, *strv, n + 2);
	(*strv)[n] = g_strdup(value);
	(*strv)[n + 1] = NULL;
	return TRUE;
}

gboolean
pd_strv_remove(char ***strv, const char *value)
{
	char **v = *strv;
	gboolean found = FALSE;
	guint j = 0;
	for (guint i = 0; v[i] != NULL; i++) {
		if (!found && strcmp(v[i], value) == 0) {
			g_free(v[i]);
			found = TRUE;
			continue;
		}
		v[j++] = v[i];
	}
	v[j] = NULL;
	return found;
}

gboolean
pd_ticket_has_tag(const pd_ticket *t, const char *tag)
{
	return g_strv_contains((const char *const *)t->tags, tag);
}

void
pd_ticket_link(pd_ticket *t, guint64 other)
{
	for (guint i = 0; i < t->links->len; i++)
		if (g_array_index(t->links, guint64, i) == other)
			return;
	g_array_append_val(t->links, other);
}

void
pd_ticket_free(pd_ticket **ticket)
{
	pd_ticket *t = *ticket;
	if (t == NULL)
		return;
	g_free(t->status);
	g_free(t->subject);
	g_free(t->requester);
	g_free(t->requester_name);
	g_free(t->queue);
	g_free(t->priority);
	g_free(t->source);
	g_free(t->assignee);
	g_strfreev(t->tags);
	g_strfreev(t->watchers);
	g_array_unref(t->links);
	g_free(t->language);
	if (t->extra != NULL)
		g_variant_unref(t->extra);
	g_clear_pointer(ticket, g_free);
}

GVariant *
pd_ticket_to_variant(const pd_ticket *t)
{
	GVariantBuilder b;
	g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
	pd_dict_add(&b, "id", g_variant_new_uint64(t->id));
	add_str(&b, "status", t->status);
	add_str(&b, "subject", t->subject);
	add_str(&b, "requester", t->requester);
	add_str(&b, "requester_name", t->requester_name);
	add_str(&b, "queue", t->queue);
	add_str(&b, "priority", t->priority);
	add_str(&b, "source", t->source);
	pd_dict_add(&b, "created", g_variant_new_int64(t->created));
	pd_dict_add(&b, "updated", g_variant_new_int64(t->updated));
	pd_dict_add(&b, "nevents", g_variant_new_uint32(t->nevents));
	add_str(&b, "assignee", t->assignee);
	pd_dict_add(&b, "tags", g_variant_new_strv((const char *const *)t->tags, -1));
	pd_dict_add(&b, "watchers", g_variant_new_strv((const char *const *)t->watchers, -1));
	pd_dict_add(&b, "links",
	                      g_variant_new_fixed_array(G_VARIANT_TYPE_UINT64, t->links->data, t->links->len, sizeof(guint64)));
	add_str(&b, "language", t->language);
	if (t->merged_into != 0)
		pd_dict_add(&b, "merged_into", g_variant_new_uint64(t->merged_into));
	if (t->extra != NULL) {
		GVariantIter it;
		const char *k;
		GVariant *e, *v;
		g_variant_iter_init(&it, t->extra);
		while (dict_next(&it, &e, &k, &v)) {
			if (!g_strv_contains(ticket_keys, k))
				pd_dict_add(&b, k, v);
			g_variant_unref(v);
			g_variant_unref(e);
		}
	}
	return g_variant_builder_end(&b);
}

/* Take a string value, the first one under its key. */
static void
take_str(char **field, GVariant *v)
{
	if (*field == NULL && g_variant_is_of_type(v, G_VARIANT_TYPE_STRING))
		*field = g_variant_dup_string(v, NULL);
}

static void
take_strv(char ***field, gboolean *seen, GVariant *v)
{
	if (*seen || !g_variant_is_of_type(v, G_VARIANT_TYPE_STRING_ARRAY))
		return;
	g_strfreev(*field);
	*field = g_variant_dup_strv(v, NULL);
	*seen = TRUE;
}

/* One pass over the record (a lookup per field walks the dict each time,
 * and a ticket is decoded several times in every commit). The keys this
 * version does not know are kept in extra, in order, for the next put. */
static pd_ticket *
ticket_from_variant(GVariant *d)
{
	pd_ticket *t = pd_ticket_new();
	gboolean seen_id = FALSE, seen_created = FALSE, seen_updated = FALSE, seen_nevents = FALSE;
	gboolean seen_tags = FALSE, seen_watchers = FALSE, seen_links = FALSE, seen_merged = FALSE;
	GVariantBuilder unknown;
	gboolean any_unknown = FALSE;
	GVariantIter it;
	const char *k;
	GVariant *e, *v;
	g_variant_iter_init(&it, d);
	while (dict_next(&it, &e, &k, &v)) {
		if (strcmp(k, "id") == 0) {
			if (!seen_id && g_variant_is_of_type(v, G_VARIANT_TYPE_UINT64))
				t->id = g_variant_get_uint64(v), seen_id = TRUE;
		} else if (strcmp(k, "status") == 0)
			take_str(&t->status, v);
		else if (strcmp(k, "subject") == 0)
			take_str(&t->subject, v);
		else if (strcmp(k, "requester") == 0)
			take_str(&t->requester, v);
		else if (strcmp(k, "requester_name") == 0)
			take_str(&t->requester_name, v);
		else if (strcmp(k, "queue") == 0)
			take_str(&t->queue, v);
		else if (strcmp(k, "priority") == 0)
			take_str(&t->priority, v);
		else if (strcmp(k, "source") == 0)
			take_str(&t->source, v);
		else if (strcmp(k, "created") == 0) {
			if (!seen_created && g_variant_is_of_type(v, G_VARIANT_TYPE_INT64))
				t->created = g_variant_get_int64(v), seen_created = TRUE;
		} else if (strcmp(k, "updated") == 0) {
			if (!seen_updated && g_variant_is_of_type(v, G_VARIANT_TYPE_INT64))
				t->updated = g_variant_get_int64(v), seen_updated = TRUE;
		} else if (strcmp(k, "nevents") == 0) {
			if (!seen_nevents && g_variant_is_of_type(v, G_VARIANT_TYPE_UINT32))
				t->nevents = g_variant_get_uint32(v), seen_nevents = TRUE;
		} else if (strcmp(k, "assignee") == 0)
			take_str(&t->assignee, v);
		else if (strcmp(k, "language") == 0)
			take_str(&t->language, v);
		else if (strcmp(k, "merged_into") == 0) {
			if (!seen_merged && g_variant_is_of_type(v, G_VARIANT_TYPE_UINT64))
				t->merged_into = g_variant_get_uint64(v), seen_merged = TRUE;
		} else if (strcmp(k, "tags") == 0)
			take_strv(&t->tags, &seen_tags, v);
		else if (strcmp(k, "watchers") == 0)
			take_strv(&t->watchers, &seen_watchers, v);
		else if (strcmp(k, "links") == 0) {
			if (!seen_links && g_variant_is_of_type(v, G_VARIANT_TYPE("at"))) {
				gsize n = 0;
				const guint64 *ids = g_variant_get_fixed_array(v, &n, sizeof(guint64));
				g_array_append_vals(t->links, ids, (guint)n);
				seen_links = TRUE;
			}
		} else {
			if (!any_unknown)
				g_variant_builder_init(&unknown, G_VARIANT_TYPE_VARDICT);
			pd_dict_add(&unknown, k, v);
			any_unknown = TRUE;
		}
		g_variant_unref(v);
		g_variant_unref(e);
	}
	if (any_unknown)
		t->extra = g_variant_ref_sink(g_variant_builder_end(&unknown));
	return t;
}

gboolean
pd_ticket_put(pd_txn *txn, const pd_ticket *t, GError **error)
{
	guint8 key[8];
	pd_key_u64(key, t->id);
	/* The keys of by_status and by_requester (see index_status in store.c). */
	pd_record_field f[2] = {
		{ t->status, t->status != NULL ? strlen(t->status) : 0 },
		{ t->requester, t->requester != NULL ? strlen(t->requester) : 0 },
	};
	return pd_db_put_indexed(txn, DB_TICKETS, key, 8, pd_ticket_to_variant(t), f, 2, 0, error);
}

gboolean
pd_ticket_new_id(pd_txn *txn, pd_ticket *t, GError **error)
{
	return pd_db_next_id(txn, txn->store->seq_ticket, &t->id, error);
}

gboolean
pd_ticket_create(pd_txn *txn, pd_ticket *t, GError **error)
{
	return pd_ticket_new_id(txn, t, error) && pd_ticket_put(txn, t, error);
}

pd_ticket *
pd_ticket_get(pd_txn *txn, guint64 id, gboolean for_update, GError **error)
{
	guint8 key[8];
	GVariant *d;
	pd_key_u64(key, id);
	if (!pd_db_get(txn, DB_TICKETS, key, 8, for_update, &d, error))
		return NULL;
	if (d == NULL) {
		not_found(error, "ticket", id);
		return NULL;
	}
	pd_ticket *t = ticket_from_variant(d);
	g_variant_unref(d);
	return t;
}

/* Walk a cursor: over the whole primary, or the duplicates of one secondary key. */
static gboolean
walk_tickets(pd_txn *txn, pd_db_id index, const char *ikey, pd_ticket_visit visit,
             gpointer data, GError **error)
{
	DB *db = txn->store->db[index];
	DBC *c;
	int rc = db->cursor(db, txn->txn, &c, DB_READ_COMMITTED);
	if (!pd_db_check(txn, rc, "cursor", error))
		return FALSE;
	DBT k = { .flags = DB_DBT_REALLOC }, pk = { .flags = DB_DBT_REALLOC };
	DBT d = { .flags = DB_DBT_REALLOC };
	u_int32_t op = DB_FIRST;
	if (ikey != NULL) {
		k.data = g_strdup(ikey);
		k.size = (u_int32_t)strlen(ikey);
		op = DB_SET;
	}
	gboolean go_on = TRUE;
	while (go_on) {
		rc = ikey != NULL ? c->pget(c, &k, &pk, &d, op) : c->get(c, &k, &d, op);
		if (rc != 0)
			break;
		op = ikey != NULL ? DB_NEXT_DUP : DB_NEXT;
		GVariant *rec = pd_record_decode(d.data, d.size);
		if (rec == NULL)
			continue;
		pd_ticket *t = ticket_from_variant(rec);
		g_variant_unref(rec);
		go_on = visit(t, data);
		pd_ticket_free(&t);
	}
	c->close(c);
	free(k.data);
	free(pk.data);
	free(d.data);
	return rc == DB_NOTFOUND || rc == 0 ? TRUE : pd_db_check(txn, rc, "walk tickets", error);
}

typedef struct {
	const char *requester;
	pd_ticket_visit visit;
	gpointer data;
} filter_ctx;

static gboolean
filter_requester(const pd_ticket *t, gpointer p)
{
	filter_ctx *f = p;
	if (g_strcmp0(t->requester, f->requester) != 0)
		return TRUE;
	return f->visit(t, f->data);
}

gboolean
pd_tickets_foreach(pd_txn *txn, const char *status, const char *requester,
                   pd_ticket_visit visit, gpointer data, GError **error)
{
	char *req = requester != NULL ? g_utf8_strdown(requester, -1) : NULL;
	gboolean ok;
	if (status != NULL && req != NULL) {
		filter_ctx f = { req, visit, data };
		ok = walk_tickets(txn, DB_BY_STATUS, status, filter_requester, &f, error);
	} else if (status != NULL)
		ok = walk_tickets(txn, DB_BY_STATUS, status, visit, data, error);
	else if (req != NULL)
		ok = walk_tickets(txn, DB_BY_REQUESTER, req, visit, data, error);
	else
		ok = walk_tickets(txn, DB_TICKETS, NULL, visit, data, error);
	g_free(req);
	return ok;
}

/* ---- events ---- */

void
pd_event_free(pd_event **event)
{
	pd_event *e = *event;
	if (e == NULL)
		return;
	g_free(e->type);
	g_free(e->actor);
	if (e->data != NULL)
		g_variant_unref(e->data);
	g_clear_pointer(event, g_free);
}

static void
event_key(guint8 key[12], guint64 ticket, guint32 seq)
{
	pd_key_u64(key, ticket);
	key[8] = (guint8)(seq >> 24);
	key[9] = (guint8)(seq >> 16);
	key[10] = (guint8)(seq >> 8);
	key[11] = (guint8)seq;
}

gboolean
pd_event_append(pd_txn *txn, pd_ticket *t, const char *type, const char *actor,
                GVariant *data, guint32 *seq_r, GError **error)
{
	gint64 now = pd_now_usec();
	guint32 seq = t->nevents + 1;
	GVariantBuilder b;
	g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
	add_str(&b, "type", type);
	add_str(&b, "actor", actor);
	pd_dict_add(&b, "time", g_variant_new_int64(now));
	if (data != NULL) {
		data = g_variant_ref_sink(data);
		pd_dict_add(&b, "data", data);
	}
	guint8 key[12];
	event_key(key, t->id, seq);
	gboolean ok = pd_db_put(txn, DB_EVENTS, key, 12, g_variant_builder_end(&b), 0, error);
	if (ok) {
		t->nevents = seq;
		t->updated = now;
		if (seq_r != NULL)
			*seq_r = seq;
	}
	if (ok && txn->hook != NULL) {
		pd_event e = { t->id, seq, (char *)type, now, (char *)actor, data };
		ok = txn->hook(txn, t, &e, txn->hook_data, error);
	}
	if (data != NULL)
		g_variant_unref(data);
	return ok;
}

static pd_event *
event_from_record(const guint8 *key, GVariant *rec)
{
	pd_event *e = g_new0(pd_event, 1);
	e->ticket = pd_key_u64_read(key);
	e->seq = ((guint32)key[8] << 24) | ((guint32)key[9] << 16) | ((guint32)key[10] << 8) | key[11];
	e->type = dict_str(rec, "type");
	e->actor = dict_str(rec, "actor");
	e->time = dict_i64(rec, "time");
	e->data = g_variant_lookup_value(rec, "data", G_VARIANT_TYPE_VARDICT);
	return e;
}

pd_event *
pd_event_get(pd_txn *txn, guint64 ticket, guint32 seq, GError **error)
{
	guint8 key[12];
	GVariant *rec;
	event_key(key, ticket, seq);
	if (!pd_db_get(txn, DB_EVENTS, key, 12, FALSE, &rec, error))
		return NULL;
	if (rec == NULL) {
		g_set_error(error, PD_ERROR, PD_ERROR_NOT_FOUND, "no event %u of ticket %" G_GUINT64_FORMAT, seq, ticket);
		return NULL;
	}
	pd_event *e = event_from_record(key, rec);
	g_variant_unref(rec);
	return e;
}

static void
event_free_func(gpointer p)
{
	pd_event *e = p;
	pd_event_free(&e);
}

typedef struct {
	guint64 ticket;
	GPtrArray *out;
} events_ctx;

static gboolean
event_visit(const guint8 *key, gsize klen, const void *value, gsize vlen, gpointer data)
{
	events_ctx *c = data;
	if (klen != 12 || pd_key_u64_read(key) != c->ticket)
		return FALSE;
	GVariant *rec = pd_record_decode(value, vlen);
	if (rec != NULL) {
		g_ptr_array_add(c->out, event_from_record(key, rec));
		g_variant_unref(rec);
	}
	return TRUE;
}

GPtrArray *
pd_events_list(pd_txn *txn, guint64 ticket, GError **error)
{
	events_ctx c = { ticket, g_ptr_array_new_with_free_func(event_free_func) };
	guint8 start[12];
	event_key(start, ticket, 0);
	if (!pd_db_walk(txn, DB_EVENTS, start, 12, event_visit, &c, "list events", error))
		g_clear_pointer(&c.out, g_ptr_array_unref);
	return c.out;
}

GVariant *
pd_event_to_variant(const pd_event *e)
{
	GVariantBuilder b;
	g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
	pd_dict_add(&b, "ticket", g_variant_new_uint64(e->ticket));
	pd_dict_add(&b, "seq", g_variant_new_uint32(e->seq));
	add_str(&b, "type", e->type);
	add_str(&b, "actor", e->actor);
	pd_dict_add(&b, "time", g_variant_new_int64(e->time));
	if (e->data != NULL)
		pd_dict_add(&b, "data", e->data);
	return g_variant_builder_end(&b);
}

/* ---- dedupe keys and Message-IDs ---- */

gboolean
pd_dedupe_lookup(pd_txn *txn, const char *key, GVariant **value_r, GError **error)
{
	GVariant *v = NULL;
	if (!pd_db_get(txn, DB_MESSAGES, key, strlen(key), FALSE, &v, error))
		return FALSE;
	if (value_r != NULL)
		*value_r = v;
	else if (v != NULL)
		g_variant_unref(v);
	return v != NULL;
}

gboolean
pd_dedupe_put(pd_txn *txn, const char *key, GVariant *value, GError **error)
{
	return pd_db_put(txn, DB_MESSAGES, key, strlen(key), value, 0, error);
}

gboolean
pd_dedupe_delete(pd_txn *txn, const char *key, GError **error)
{
	return pd_db_del(txn, DB_MESSAGES, key, strlen(key), error);
}

gboolean
pd_msgid_put(pd_txn *txn, const char *msgid, guint64 ticket, guint32 seq, GError **error)
{
	DB *db = txn->store->db[DB_BY_MSGID];
	gsize n;
	GVariantBuilder b;
	g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
	pd_dict_add(&b, "ticket", g_variant_new_uint64(ticket));
	pd_dict_add(&b, "seq", g_variant_new_uint32(seq));
	void *buf = pd_record_encode(g_variant_builder_end(&b), &n);
	DBT k = { .data = (void *)msgid, .size = (u_int32_t)strlen(msgid) };
	DBT d = { .data = buf, .size = (u_int32_t)n };
	int rc = db->put(db, txn->txn, &k, &d, DB_NOOVERWRITE);
	g_free(buf);
	/* A later mail reusing a Message-ID keeps the first mapping. */
	return rc == DB_KEYEXIST ? TRUE : pd_db_check(txn, rc, "put message-id", error);
}

gboolean
pd_msgid_lookup(pd_txn *txn, const char *msgid, guint64 *ticket_r, guint32 *seq_r, GError **error)
{
	GVariant *v = NULL;
	if (!pd_db_get(txn, DB_BY_MSGID, msgid, strlen(msgid), FALSE, &v, error) || v == NULL)
		return FALSE;
	if (ticket_r != NULL)
		*ticket_r = dict_u64(v, "ticket");
	if (seq_r != NULL)
		g_variant_lookup(v, "seq", "u", seq_r);
	g_variant_unref(v);
	return TRUE;
}

/* ---- quarantine ---- */

pd_quarantine *
pd_quarantine_new(void)
{
	return g_new0(pd_quarantine, 1);
}

/* A deep copy, kept beside the struct so a new field cannot be forgotten. */
pd_quarantine *
pd_quarantine_copy(const pd_quarantine *q)
{
	pd_quarantine *c = pd_quarantine_new();
	*c = *q;
	c->cause = g_strdup(q->cause);
	c->reason = g_strdup(q->reason);
	c->spool = g_strdup(q->spool);
	c->source = g_strdup(q->source);
	c->subject = g_strdup(q->subject);
	c->from = g_strdup(q->from);
	c->keys = g_strdupv(q->keys);
	return c;
}

void
pd_quarantine_free(pd_quarantine **q)
{
	pd_quarantine *p = *q;
	if (p == NULL)
		return;
	g_free(p->cause);
	g_free(p->reason);
	g_free(p->spool);
	g_free(p->source);
	g_free(p->subject);
	g_free(p->from);
	g_strfreev(p->keys);
	g_clear_pointer(q, g_free);
}

GVariant *
pd_quarantine_to_variant(const pd_quarantine *q)
{
	GVariantBuilder b;
	g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
	pd_dict_add(&b, "id", g_variant_new_uint64(q->id));
	add_str(&b, "cause", q->cause);
	add_str(&b, "reason", q->reason);
	add_str(&b, "spool", q->spool);
	pd_dict_add(&b, "time", g_variant_new_int64(q->time));
	add_str(&b, "source", q->source);
	pd_dict_add(&b, "size", g_variant_new_uint64(q->size));
	add_str(&b, "subject", q->subject);
	add_str(&b, "from", q->from);
	if (q->keys != NULL)
		pd_dict_add(&b, "keys", g_variant_new_strv((const char *const *)q->keys, -1));
	return g_variant_builder_end(&b);
}

static pd_quarantine *
quarantine_from_variant(GVariant *d)
{
	pd_quarantine *q = pd_quarantine_new();
	q->id = dict_u64(d, "id");
	q->cause = dict_str(d, "cause");
	q->reason = dict_str(d, "reason");
	q->spool = dict_str(d, "spool");
	q->time = dict_i64(d, "time");
	q->source = dict_str(d, "source");
	q->size = dict_u64(d, "size");
	q->subject = dict_str(d, "subject");
	q->from = dict_str(d, "from");
	GVariant *keys = g_variant_lookup_value(d, "keys", G_VARIANT_TYPE_STRING_ARRAY);
	q->keys = keys != NULL ? g_variant_dup_strv(keys, NULL) : g_new0(char *, 1);
	if (keys != NULL)
		g_variant_unref(keys);
	return q;
}

gboolean
pd_quarantine_add(pd_txn *txn, pd_quarantine *q, GError **error)
{
	guint8 key[8];
	if (!pd_db_next_id(txn, txn->store->seq_quarantine, &q->id, error))
		return FALSE;
	pd_key_u64(key, q->id);
	return pd_db_put(txn, DB_QUARANTINE, key, 8, pd_quarantine_to_variant(q), 0, error);
}

pd_quarantine *
pd_quarantine_get(pd_txn *txn, guint64 id, GError **error)
{
	guint8 key[8];
	GVariant *d;
	pd_key_u64(key, id);
	if (!pd_db_get(txn, DB_QUARANTINE, key, 8, TRUE, &d, error))
		return NULL;
	if (d == NULL) {
		not_found(error, "quarantine entry", id);
		return NULL;
	}
	pd_quarantine *q = quarantine_from_variant(d);
	g_variant_unref(d);
	return q;
}

gboolean
pd_quarantine_delete(pd_txn *txn, guint64 id, GError **error)
{
	guint8 key[8];
	pd_key_u64(key, id);
	return pd_db_del(txn, DB_QUARANTINE, key, 8, error);
}

typedef struct {
	pd_quarantine_visit visit;
	gpointer data;
} quarantine_ctx;

static gboolean
quarantine_visit(const guint8 *key, gsize klen, const void *value, gsize vlen, gpointer data)
{
	quarantine_ctx *c = data;
	GVariant *rec = pd_record_decode(value, vlen);
	if (rec == NULL)
		return TRUE;
	pd_quarantine *q = quarantine_from_variant(rec);
	g_variant_unref(rec);
	gboolean go_on = c->visit(q, c->data);
	pd_quarantine_free(&q);
	return go_on;
}

gboolean
pd_quarantine_foreach(pd_txn *txn, pd_quarantine_visit visit, gpointer data, GError **error)
{
	quarantine_ctx c = { visit, data };
	return pd_db_walk(txn, DB_QUARANTINE, NULL, 0, quarantine_visit, &c, "walk quarantine", error);
}

/* ---- timers ---- */

static void
timer_key(guint8 key[16], gint64 when, guint64 ticket)
{
	pd_key_u64(key, (guint64)when);
	pd_key_u64(key + 8, ticket);
}

gboolean
pd_timer_move(pd_txn *txn, guint64 ticket, gint64 old_when, gint64 new_when, GError **error)
{
	if (old_when == new_when)
		return TRUE;
	guint8 key[16];
	if (old_when > 0) {
		timer_key(key, old_when, ticket);
		if (!pd_db_del(txn, DB_TIMERS, key, 16, error))
			return FALSE;
	}
	if (new_when <= 0)
		return TRUE;
	timer_key(key, new_when, ticket);
	return pd_db_put(txn, DB_TIMERS, key, 16, g_variant_new("a{sv}", NULL), 0, error);
}

typedef struct {
	gint64 now;
	pd_timer_visit visit;
	gpointer data;
} timers_ctx;

static gboolean
timer_visit(const guint8 *key, gsize klen, const void *value, gsize vlen, gpointer data)
{
	timers_ctx *c = data;
	if (klen != 16)
		return TRUE;
	gint64 when = (gint64)pd_key_u64_read(key);
	return when <= c->now && c->visit(pd_key_u64_read(key + 8), when, c->data);
}

gboolean
pd_timers_foreach_due(pd_txn *txn, gint64 now, pd_timer_visit visit, gpointer data, GError **error)
{
	timers_ctx c = { now, visit, data };
	return pd_db_walk(txn, DB_TIMERS, NULL, 0, timer_visit, &c, "walk timers", error);
}
