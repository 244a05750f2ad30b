/* scan.c: every ticket record as stored, and a reader of records that builds no GVariant: for reports over every ticket. */
#include "config.h"
#include "store-private.h"

#include <stdlib.h>
#include <string.h>

/*
 * GVariant makes an object for every child it hands out, and checks the
 * untrusted bytes each time: reading a dozen fields of 100,000 records that
 * way took seconds. pd_view reads the serialized form in place (GVariant
 * specification, "Serialisation"), checking every offset against the
 * bounds: a damaged record reads as missing fields, never past its end.
 */

typedef struct {
	pd_record_visit visit;
	gpointer data;
} scan_ctx;

static gboolean
scan_visit(const guint8 *key, gsize klen, const void *value, gsize vlen, gpointer data)
{
	scan_ctx *c = data;
	/* The codec finds the a{sv} in any record version; GVariant only wraps
	 * the bytes here, nothing is parsed. */
	GVariant *v = pd_record_decode(value, vlen);
	if (v == NULL)
		return TRUE;
	pd_view rec = { g_variant_get_data(v), g_variant_get_size(v) };
	gboolean go_on = rec.data == NULL || c->visit(&rec, c->data);
	g_variant_unref(v);
	return go_on;
}

gboolean
pd_ticket_records_foreach(pd_txn *txn, pd_record_visit visit, gpointer data, GError **error)
{
	scan_ctx c = { visit, data };
	return pd_db_walk(txn, DB_TICKETS, NULL, 0, scan_visit, &c, "scan tickets", error);
}

/* The size of the framing offsets in a container of this size. */
static gsize
offset_size(gsize size)
{
	return size <= G_MAXUINT8 ? 1 : size <= G_MAXUINT16 ? 2 : size <= G_MAXUINT32 ? 4 : 8;
}

static gsize
read_offset(const guint8 *p, gsize w)
{
	guint64 v = 0;
	for (gsize i = 0; i < w; i++)
		v |= (guint64)p[i] << (8 * i);  /* little-endian, as GVariant writes it */
	return (gsize)MIN(v, (guint64)G_MAXSIZE);
}

static gsize
align_up(gsize x, gsize a)
{
	return (x + a - 1) & ~(a - 1);
}

/* An array of variable-size elements: its element count, offset size and
 * where its offset table begins; FALSE if the table is damaged. */
typedef struct {
	gsize n, w, table;
} array_frame;

static gboolean
frame_of(const pd_view *array, array_frame *f)
{
	f->n = f->w = f->table = 0;
	if (array->size == 0)
		return TRUE;
	f->w = offset_size(array->size);
	if (array->size < f->w)
		return FALSE;
	gsize last = read_offset(array->data + array->size - f->w, f->w);
	if (last > array->size - f->w || (array->size - last) % f->w != 0)
		return FALSE;
	f->n = (array->size - last) / f->w;
	f->table = last;
	return TRUE;
}

/* Element i, given where element i - 1 ended (0 for the first). */
static gboolean
frame_child(const pd_view *array, const array_frame *f, gsize i, gsize prev_end, gsize align, pd_view *child_r)
{
	gsize start = i == 0 ? 0 : align_up(prev_end, align);
	gsize end = read_offset(array->data + f->table + i * f->w, f->w);
	if (start > end || end > f->table)
		return FALSE;
	child_r->data = array->data + start;
	child_r->size = end - start;
	return TRUE;
}

gsize
pd_view_n_children(const pd_view *array)
{
	array_frame f;
	return frame_of(array, &f) ? f.n : 0;
}

gboolean
pd_view_child(const pd_view *array, gsize i, gsize align, pd_view *child_r)
{
	array_frame f;
	if (!frame_of(array, &f) || i >= f.n)
		return FALSE;
	gsize prev_end = i == 0 ? 0 : read_offset(array->data + f.table + (i - 1) * f.w, f.w);
	return frame_child(array, &f, i, prev_end, align, child_r);
}

/* A dict entry {sv}: the key, and the variant's value and type. */
static gboolean
read_entry(const pd_view *entry, const char **key_r, pd_view *value_r, const char **type_r)
{
	gsize w = offset_size(entry->size);
	if (entry->size < w + 1)
		return FALSE;
	gsize key_end = read_offset(entry->data + entry->size - w, w);
	if (key_end == 0 || key_end > entry->size - w || entry->data[key_end - 1] != '\0')
		return FALSE;
	*key_r = (const char *)entry->data;
	gsize vstart = align_up(key_end, 8), vend = entry->size - w;
	if (vstart >= vend)
		return FALSE;
	/* A variant is its value, a zero byte, and its type string. */
	const guint8 *v = entry->data + vstart, *nul = NULL;
	for (const guint8 *p = entry->data + vend - 1; p >= v; p--)
		if (*p == '\0') {
			nul = p;
			break;
		}
	if (nul == NULL)
		return FALSE;
	value_r->data = v;
	value_r->size = (gsize)(nul - v);
	*type_r = (const char *)nul + 1;
	/* The type string runs to the end: it must not contain a NUL (checked
	 * above) and is compared by length by the caller. */
	return TRUE;
}

gboolean
pd_view_lookup(const pd_view *dict, const char *key, const char *type, pd_view *value_r)
{
	array_frame f;
	if (!frame_of(dict, &f))
		return FALSE;
	gsize tlen = strlen(type), prev_end = 0;
	for (gsize i = 0; i < f.n; i++) {
		pd_view entry, value;
		const char *k, *t;
		gboolean ok = frame_child(dict, &f, i, prev_end, 8, &entry);
		prev_end = read_offset(dict->data + f.table + i * f.w, f.w);
		if (!ok || !read_entry(&entry, &k, &value, &t) || strcmp(k, key) != 0)
			continue;
		gsize have = (gsize)(entry.data + entry.size - offset_size(entry.size) - (const guint8 *)t);
		if (have != tlen || memcmp(t, type, tlen) != 0)
			return FALSE;
		*value_r = value;
		return TRUE;
	}
	return FALSE;
}

const char *
pd_view_string(const pd_view *v)
{
	if (v->size == 0 || v->data[v->size - 1] != '\0' || memchr(v->data, '\0', v->size - 1) != NULL)
		return NULL;
	return (const char *)v->data;
}

gboolean
pd_view_int64(const pd_view *v, gint64 *x_r)
{
	if (v->size != sizeof(gint64))
		return FALSE;
	memcpy(x_r, v->data, sizeof(gint64));
	*x_r = GINT64_FROM_LE(*x_r);
	return TRUE;
}
