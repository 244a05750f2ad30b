/* imap-fetch.c: IMAP messages fetched in chunks and committed in a pipeline, each chunk acknowledged after its commit. */
#include "config.h"
#include "imap-private.h"

#include <string.h>

/* A fetch holds at most this many bytes of mail in memory at once (one
 * larger message is fetched alone); two chunks are in flight at a time. */
#define FETCH_BYTES (32u << 20)

/* One chunk of messages on its way: fetched, prepared (spooled and
 * parsed), committed, acknowledged. */
typedef struct {
	guint32 *uids;          /* asked for; after fetching, the first m are those fetched */
	const guint32 *sizes;   /* RFC822.SIZE of each asked for (borrowed) */
	guint n, m;
	pd_ingest_item *items;  /* the first m are ready for the pipeline */
	char **keys;            /* source keys "<uidvalidity>:<uid>", which items point to */
	pd_ingest_batch *batch;
	pd_result res;          /* of the commit */
	GError *error;
} chunk;

static chunk *
chunk_new(pd_imap *c, const guint32 *uids, const guint32 *sizes, guint n)
{
	chunk *k = g_new0(chunk, 1);
	*k = (chunk){ g_memdup2(uids, n * sizeof *uids), sizes, n, 0, g_new0(pd_ingest_item, n), g_new0(char *, n + 1) };
	for (guint i = 0; i < n; i++) {
		k->keys[i] = g_strdup_printf("%u:%u", c->uidvalidity, uids[i]);
		k->items[i] = (pd_ingest_item){ .fd = -1, .source = c->conf->name, .source_key = k->keys[i],
		                                .queue = c->conf->queue };
	}
	return k;
}

static void
chunk_free(chunk *k)
{
	if (k == NULL)
		return;
	pd_ingest_batch_free(&k->batch);
	for (guint i = 0; i < k->n; i++) {
		g_clear_pointer(&k->items[i].data, g_bytes_unref);
		pd_ingest_item_clear(&k->items[i]);
	}
	g_strfreev(k->keys);
	g_free(k->items);
	g_free(k->uids);
	g_clear_error(&k->error);
	g_free(k);
}

/* ---- UID FETCH ---- */

/* Called for each static attribute of each message in a FETCH response. */
typedef void (*att_fn)(struct mailimap_msg_att_static *att, guint32 uid, gpointer data);

static void
walk_fetch(clist *result, att_fn fn, gpointer data)
{
	for (clistiter *m = clist_begin(result); m != NULL; m = clist_next(m)) {
		struct mailimap_msg_att *att = clist_content(m);
		guint32 uid = 0;
		GPtrArray *statics = g_ptr_array_new();
		/* att_list is NULL, not empty, for some responses (FLAGS ()). */
		for (clistiter *i = att->att_list != NULL ? clist_begin(att->att_list) : NULL; i != NULL; i = clist_next(i)) {
			struct mailimap_msg_att_item *item = clist_content(i);
			if (item->att_type != MAILIMAP_MSG_ATT_ITEM_STATIC)
				continue;
			if (item->att_data.att_static->att_type == MAILIMAP_MSG_ATT_UID)
				uid = item->att_data.att_static->att_data.att_uid;
			else
				g_ptr_array_add(statics, item->att_data.att_static);
		}
		/* Unsolicited FETCH responses (flag changes) carry no UID. */
		for (guint i = 0; uid != 0 && i < statics->len; i++)
			fn(statics->pdata[i], uid, data);
		g_ptr_array_unref(statics);
	}
}

static gboolean
uid_fetch(pd_imap *c, const guint32 *uids, guint n, struct mailimap_fetch_att *what, att_fn fn, gpointer data,
          GError **error)
{
	struct mailimap_set *set = pd_imap_uid_set(uids, n);
	struct mailimap_fetch_type *ft = mailimap_fetch_type_new_fetch_att_list_empty();
	mailimap_fetch_type_new_fetch_att_list_add(ft, mailimap_fetch_att_new_uid());
	mailimap_fetch_type_new_fetch_att_list_add(ft, what);
	clist *result = NULL;
	int r = mailimap_uid_fetch(c->imap, set, ft, &result);
	mailimap_fetch_type_free(ft);
	mailimap_set_free(set);
	if (r != MAILIMAP_NO_ERROR)
		return pd_imap_fail(c, r, "UID FETCH", error);
	walk_fetch(result, fn, data);
	mailimap_fetch_list_free(result);
	return TRUE;
}

typedef struct {
	GHashTable *index;   /* uid -> position + 1 */
	guint32 *sizes;
	chunk *k;
	guint64 limit;
} fetch_ctx;

static GHashTable *
index_uids(const guint32 *uids, guint n)
{
	GHashTable *h = g_hash_table_new(g_direct_hash, g_direct_equal);
	for (guint i = 0; i < n; i++)
		g_hash_table_insert(h, GUINT_TO_POINTER(uids[i]), GUINT_TO_POINTER(i + 1));
	return h;
}

static guint
position(const fetch_ctx *f, guint32 uid)
{
	return GPOINTER_TO_UINT(g_hash_table_lookup(f->index, GUINT_TO_POINTER(uid)));
}

static void
take_size(struct mailimap_msg_att_static *att, guint32 uid, gpointer data)
{
	fetch_ctx *f = data;
	guint at = position(f, uid);
	if (at > 0 && att->att_type == MAILIMAP_MSG_ATT_RFC822_SIZE)
		f->sizes[at - 1] = att->att_data.att_rfc822_size;
}

/* The bytes of a message, at most limit + 1 of them: whatever size the
 * server claimed, no more than that is kept, and limit + 1 bytes are
 * enough for the pipeline to quarantine it as too-large. */
static void
take_body(struct mailimap_msg_att_static *att, guint32 uid, gpointer data)
{
	fetch_ctx *f = data;
	guint at = position(f, uid);
	if (at == 0 || att->att_type != MAILIMAP_MSG_ATT_BODY_SECTION)
		return;
	struct mailimap_msg_att_body_section *b = att->att_data.att_body_section;
	pd_ingest_item *it = &f->k->items[at - 1];
	gsize len = b->sec_body_part != NULL ? b->sec_length : 0;
	if (f->limit != 0)
		len = MIN(len, f->limit + 1);
	g_clear_pointer(&it->data, g_bytes_unref);
	it->data = g_bytes_new(b->sec_body_part != NULL ? b->sec_body_part : "", len);
}

/* RFC822.SIZE of each message, before deciding how much of it to fetch. */
static gboolean
fetch_sizes(pd_imap *c, const guint32 *uids, guint32 *sizes, guint n, GError **error)
{
	fetch_ctx f = { index_uids(uids, n), sizes, NULL, 0 };
	gboolean ok = uid_fetch(c, uids, n, mailimap_fetch_att_new_rfc822_size(), take_size, &f, error);
	g_hash_table_unref(f.index);
	return ok;
}

/* The messages of the chunk under the limit in one command; each one over
 * it alone, and only its first limit + 1 bytes (BODY.PEEK[]<0.limit+1>),
 * so it is quarantined as too-large, with its headers, without being
 * fetched whole. */
static gboolean
fetch_bodies(pd_imap *c, chunk *k, GError **error)
{
	guint64 limit = c->env->max_message_size;
	fetch_ctx f = { index_uids(k->uids, k->n), NULL, k, limit };
	GArray *small = g_array_new(FALSE, FALSE, sizeof(guint32));
	gboolean ok = TRUE;
	for (guint i = 0; ok && i < k->n; i++) {
		if (limit == 0 || k->sizes[i] <= limit) {
			g_array_append_val(small, k->uids[i]);
			continue;
		}
		char *size = pd_format_size(k->sizes[i]);
		g_info("%s: UID %u is %s, over limits.max_message_size: fetching only its first %" G_GUINT64_FORMAT
		       " bytes, to quarantine it", c->conf->name, k->uids[i], size, limit + 1);
		g_free(size);
		struct mailimap_fetch_att *head = mailimap_fetch_att_new_body_peek_section_partial(
			mailimap_section_new(NULL), 0, (guint32)limit + 1);
		ok = uid_fetch(c, &k->uids[i], 1, head, take_body, &f, error);
	}
	if (ok && small->len > 0)
		ok = uid_fetch(c, (guint32 *)(void *)small->data, small->len,
		               mailimap_fetch_att_new_body_peek_section(mailimap_section_new(NULL)), take_body, &f, error);
	g_array_unref(small);
	g_hash_table_unref(f.index);
	return ok;
}

/* Move the messages that came to the front; one that vanished before it
 * was fetched (expunged by someone else) is simply left out. */
static void
compact(chunk *k)
{
	k->m = 0;
	for (guint i = 0; i < k->n; i++) {
		if (k->items[i].data == NULL)
			continue;
		pd_ingest_item tmp = k->items[k->m];
		k->items[k->m] = k->items[i];
		k->items[i] = tmp;
		k->uids[k->m++] = k->uids[i];
	}
}

/* ---- the pipeline ---- */

/* Fetch a chunk and prepare it (spooled durably and parsed): NULL with an
 * error if either fails. */
static chunk *
fetch_chunk(pd_imap *c, const guint32 *uids, const guint32 *sizes, guint n, GError **error)
{
	chunk *k = chunk_new(c, uids, sizes, n);
	if (!fetch_bodies(c, k, error)) {
		chunk_free(k);
		return NULL;
	}
	compact(k);
	if (k->m > 0 && (k->batch = pd_ingest_prepare(c->env->ingest, k->items, k->m, error)) == NULL) {
		chunk_free(k);
		return NULL;
	}
	return k;
}

static gpointer
commit_chunk(gpointer data)
{
	chunk *k = data;
	k->res = k->batch != NULL ? pd_ingest_commit(k->batch, &k->error) : PD_OK;
	return NULL;
}

/* After its commit: report each message, then acknowledge them. */
static pd_result
finish_chunk(pd_imap *c, chunk *k, GError **error)
{
	if (k->res != PD_OK) {
		g_propagate_error(error, g_steal_pointer(&k->error));
		return PD_DEFER;
	}
	pd_source_report(c->env, k->items, k->m);
	return pd_imap_acknowledge(c, k->uids, k->m, error) ? PD_OK : PD_DEFER;
}

/* Chunks of at most batch_size messages and FETCH_BYTES bytes. */
static guint
chunk_length(const pd_imap *c, const guint32 *sizes, guint n)
{
	guint64 bytes = 0, limit = c->env->max_message_size;
	guint len = 0;
	while (len < n && len < c->env->batch_size) {
		guint64 size = limit != 0 ? MIN(sizes[len], limit + 1) : sizes[len];
		if (len > 0 && bytes + size > FETCH_BYTES)
			break;
		bytes += size;
		len++;
	}
	return MAX(len, 1);
}

/* The next chunk from at, or NULL (with *error set only on trouble). */
static chunk *
next_chunk(pd_imap *c, const guint32 *uids, const guint32 *sizes, guint n, guint *at, GError **error)
{
	if (*at >= n || pd_source_ctl_stopped(c->ctl))
		return NULL;
	guint len = chunk_length(c, sizes + *at, n - *at);
	chunk *k = fetch_chunk(c, uids + *at, sizes + *at, len, error);
	*at += len;
	return k;
}

/* While a worker commits one chunk (waiting for the disk), this thread
 * fetches and parses the next on the same connection; the acknowledgement
 * of a chunk uses the connection only after its commit is done. */
static pd_result
pipeline(pd_imap *c, const guint32 *uids, const guint32 *sizes, guint n, guint *taken_r, GError **error)
{
	guint at = 0;
	GError *ahead = NULL;
	chunk *cur = next_chunk(c, uids, sizes, n, &at, error);
	pd_result res = cur != NULL || at == 0 ? PD_OK : PD_DEFER;
	while (cur != NULL) {
		GThread *worker = g_thread_new("commit", commit_chunk, cur);
		chunk *next = next_chunk(c, uids, sizes, n, &at, &ahead);
		g_thread_join(worker);
		res = finish_chunk(c, cur, error);
		*taken_r += cur->m;
		chunk_free(cur);
		cur = next;
		if (res == PD_OK && ahead != NULL) {
			g_propagate_error(error, g_steal_pointer(&ahead));
			res = PD_DEFER;
		}
		if (res != PD_OK)
			g_clear_pointer(&cur, chunk_free);
	}
	g_clear_error(&ahead);
	return res;
}

pd_result
pd_imap_take_uids(pd_imap *c, const guint32 *uids, guint n, guint *taken_r, GError **error)
{
	guint32 *sizes = g_new0(guint32, MAX(n, 1));
	pd_result res = fetch_sizes(c, uids, sizes, n, error) ? pipeline(c, uids, sizes, n, taken_r, error) : PD_DEFER;
	g_free(sizes);
	return res;
}
