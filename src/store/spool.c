/* spool.c: the raw-message spool: stage to tmp/, sync the batch's files, rename into raw/ and att/, sync the names. */
#include "config.h"
#include "spool.h"
#include "fsutil.h"
#include "pd.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

struct pd_spool {
	char *dir;
	GMutex lock;        /* batches may be prepared in several threads */
	guint counter;      /* unique temp names within this process */
	GHashTable *dirs;   /* fan-out directories known to exist */
};

typedef struct {
	char *tmp_path;   /* staged bytes; NULL once renamed */
	char *relpath;    /* raw/ab/<sha>.eml */
	char *final_path;
	char *sha256;
	char *body_sha256;  /* of the bytes after the first empty line (messages only) */
	guint64 size;
	gboolean linked;  /* a hard link to the source's own file: we wrote no bytes */
} spool_item;

#define ITEM(b, i) (&g_array_index((b)->items, spool_item, (i)))

struct pd_spool_batch {
	pd_spool *spool;
	GArray *items;  /* of spool_item: messages and attachments */
	gboolean committed;
	GError *att_error;  /* the first failure staging an attachment */
};

pd_spool *
pd_spool_open(const char *dir, GError **error)
{
	char *tmp = g_build_filename(dir, "tmp", NULL);
	char *raw = g_build_filename(dir, "raw", NULL);
	gboolean ok = pd_mkdirs(tmp, 0700, error) && pd_mkdirs(raw, 0700, error);
	g_free(tmp);
	g_free(raw);
	if (!ok)
		return NULL;
	pd_spool *spool = g_new0(pd_spool, 1);
	spool->dir = g_strdup(dir);
	spool->dirs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	g_mutex_init(&spool->lock);
	return spool;
}

void
pd_spool_close(pd_spool **spool)
{
	if (*spool == NULL)
		return;
	g_free((*spool)->dir);
	g_hash_table_unref((*spool)->dirs);
	g_mutex_clear(&(*spool)->lock);
	g_clear_pointer(spool, g_free);
}

const char *
pd_spool_dir(const pd_spool *spool)
{
	return spool->dir;
}

char *
pd_spool_path(const pd_spool *spool, const char *relpath)
{
	return g_build_filename(spool->dir, relpath, NULL);
}

static void
spool_item_clear(gpointer p)
{
	spool_item *it = p;
	g_free(it->tmp_path);
	g_free(it->relpath);
	g_free(it->final_path);
	g_free(it->sha256);
	g_free(it->body_sha256);
}

pd_spool_batch *
pd_spool_batch_new(pd_spool *spool)
{
	pd_spool_batch *b = g_new0(pd_spool_batch, 1);
	b->spool = spool;
	b->items = g_array_new(FALSE, TRUE, sizeof(spool_item));
	g_array_set_clear_func(b->items, spool_item_clear);
	return b;
}

void
pd_spool_batch_free(pd_spool_batch **batch)
{
	pd_spool_batch *b = *batch;
	if (b == NULL)
		return;
	for (guint i = 0; i < b->items->len; i++) {
		spool_item *it = &g_array_index(b->items, spool_item, i);
		if (it->tmp_path != NULL)
			unlink(it->tmp_path);
	}
	g_array_unref(b->items);
	g_clear_error(&b->att_error);
	g_clear_pointer(batch, g_free);
}

static char *
temp_name(pd_spool *spool)
{
	g_mutex_lock(&spool->lock);
	guint n = spool->counter++;
	g_mutex_unlock(&spool->lock);
	return g_strdup_printf("%s/tmp/%d.%u.%" G_GINT64_FORMAT, spool->dir, (int)getpid(), n,
	                       g_get_monotonic_time());
}

static gboolean
dir_known(pd_spool *spool, const char *dir)
{
	g_mutex_lock(&spool->lock);
	gboolean known = g_hash_table_contains(spool->dirs, dir);
	g_mutex_unlock(&spool->lock);
	return known;
}

static void
dir_add(pd_spool *spool, char *dir)
{
	g_mutex_lock(&spool->lock);
	g_hash_table_add(spool->dirs, dir);
	g_mutex_unlock(&spool->lock);
}

/* Open a new temp file for staging; its name is unique per process and call. */
static int
open_temp(pd_spool *spool, char **path_r, GError **error)
{
	*path_r = temp_name(spool);
	int fd = open(*path_r, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		pd_set_errno_error(error, errno, "create", *path_r);
		g_clear_pointer(path_r, g_free);
	}
	return fd;
}

/* One pass over a message's bytes gives both hashes the pipeline needs:
 * the whole message (its spool address) and its body, everything after the
 * first empty line (the dedupe key of a mail that arrives twice with other
 * trace headers on top). Finding the empty line costs one byte-step per
 * header byte; the body goes to the hash in bulk. */
typedef struct {
	pd_sha256 *all, *body;
	guint32 window;     /* the last bytes seen, to spot LF LF or LF CR LF */
	gboolean in_body;
} stage_hash;

static void
stage_hash_init(stage_hash *h)
{
	h->all = pd_sha256_new();
	h->body = pd_sha256_new();
	h->window = '\n';  /* as if after a line end: a leading empty line means no headers */
	h->in_body = FALSE;
}

static void
stage_hash_feed(stage_hash *h, const char *buf, gsize n)
{
	pd_sha256_update(h->all, buf, n);
	gsize i = 0;
	for (; !h->in_body && i < n; i++) {
		h->window = (h->window << 8) | (guint8)buf[i];
		if ((h->window & 0xffff) == 0x0a0a || (h->window & 0xffffff) == 0x0a0d0a)
			h->in_body = TRUE;
	}
	if (i < n)
		pd_sha256_update(h->body, buf + i, n - i);
}

static void
stage_hash_abort(stage_hash *h)
{
	g_free(pd_sha256_finish(h->all));
	g_free(pd_sha256_finish(h->body));
}

static int
add_item(pd_spool_batch *b, char *tmp_path, stage_hash *h, guint64 size)
{
	spool_item it = { 0 };
	it.tmp_path = tmp_path;
	it.sha256 = pd_sha256_finish(h->all);
	it.body_sha256 = pd_sha256_finish(h->body);
	it.size = size;
	it.relpath = g_strdup_printf("raw/%.2s/%s.eml", it.sha256, it.sha256);
	it.final_path = pd_spool_path(b->spool, it.relpath);
	g_array_append_val(b->items, it);
	return (int)b->items->len - 1;
}

int
pd_spool_stage_bytes(pd_spool_batch *b, const void *data, gsize len, GError **error)
{
	char *path;
	int fd = open_temp(b->spool, &path, error);
	if (fd < 0)
		return -1;
	if (!pd_write_all(fd, data, len, path, error)) {
		close(fd);
		unlink(path);
		g_free(path);
		return -1;
	}
	close(fd);
	stage_hash h;
	stage_hash_init(&h);
	stage_hash_feed(&h, data, len);
	return add_item(b, path, &h, len);
}

/* Copy fd into out, hashing on the way; FALSE with error on a read or write failure. */
static gboolean
copy_hashing(int fd, int out, const char *path, stage_hash *h, guint64 *size_r, GError **error)
{
	char buf[65536];
	for (;;) {
		ssize_t n = read(fd, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			pd_set_errno_error(error, errno, "read", "input");
			return FALSE;
		}
		if (n == 0)
			return TRUE;
		if (!pd_write_all(out, buf, (gsize)n, path, error))
			return FALSE;
		stage_hash_feed(h, buf, (gsize)n);
		*size_r += (guint64)n;
	}
}

int
pd_spool_stage_fd(pd_spool_batch *b, int fd, GError **error)
{
	char *path;
	int out = open_temp(b->spool, &path, error);
	if (out < 0)
		return -1;
	stage_hash h;
	stage_hash_init(&h);
	guint64 size = 0;
	int idx = -1;
	if (copy_hashing(fd, out, path, &h, &size, error))
		idx = add_item(b, path, &h, size);
	else {
		stage_hash_abort(&h);
		unlink(path);
		g_free(path);
	}
	close(out);
	return idx;
}

/* Hash a file where it is, without writing anything. */
static gboolean
hash_fd(int fd, stage_hash *h, guint64 *size_r, GError **error)
{
	char buf[65536];
	for (;;) {
		ssize_t n = read(fd, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			pd_set_errno_error(error, errno, "read", "message");
			return FALSE;
		}
		if (n == 0)
			return TRUE;
		stage_hash_feed(h, buf, (gsize)n);
		*size_r += (guint64)n;
	}
}

int
pd_spool_stage_file(pd_spool_batch *b, const char *path, GError **error)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		pd_set_errno_error(error, e, "open", path);
		if (e == ENOENT)
			(*error)->code = PD_ERROR_NOT_FOUND;
		return -1;
	}
	char *tmp = temp_name(b->spool);
	int idx = -1;
	if (link(path, tmp) == 0) {
		stage_hash h;
		stage_hash_init(&h);
		guint64 size = 0;
		if (hash_fd(fd, &h, &size, error)) {
			idx = add_item(b, tmp, &h, size), tmp = NULL;
			ITEM(b, idx)->linked = TRUE;
		} else {
			stage_hash_abort(&h);
			unlink(tmp);
		}
	} else
		idx = pd_spool_stage_fd(b, fd, error);  /* another file system, or not allowed: copy */
	g_free(tmp);
	close(fd);
	return idx;
}

/* ---- attachments ---- */

#define ATT_BUFFER 65536

struct pd_spool_att {
	pd_spool_batch *batch;
	char *tmp_path;
	int fd;
	pd_sha256 *sum;
	guint64 size;
	gsize used;
	char buf[ATT_BUFFER];  /* GMime hands out small chunks: one write per 64 KB */
};

char *
pd_spool_att_relpath(const char *sha256)
{
	return g_strdup_printf("att/%.2s/%s", sha256, sha256);
}

static gboolean
att_failed(pd_spool_att *att, GError *e, GError **error)
{
	if (att->batch->att_error == NULL)
		att->batch->att_error = g_error_copy(e);
	g_propagate_error(error, e);
	return FALSE;
}

pd_spool_att *
pd_spool_att_open(pd_spool_batch *b, GError **error)
{
	pd_spool_att *att = g_new0(pd_spool_att, 1);
	GError *e = NULL;

	att->batch = b;
	att->fd = open_temp(b->spool, &att->tmp_path, &e);
	if (att->fd < 0) {
		att_failed(att, e, error);
		g_free(att);
		return NULL;
	}
	att->sum = pd_sha256_new();
	return att;
}

static gboolean
att_flush(pd_spool_att *att, GError **error)
{
	GError *e = NULL;

	if (att->used > 0 && !pd_write_all(att->fd, att->buf, att->used, att->tmp_path, &e))
		return att_failed(att, e, error);
	att->used = 0;
	return TRUE;
}

gboolean
pd_spool_att_write(pd_spool_att *att, const void *buf, gsize len, GError **error)
{
	pd_sha256_update(att->sum, buf, len);
	att->size += len;
	if (att->used + len > ATT_BUFFER && !att_flush(att, error))
		return FALSE;
	if (len >= ATT_BUFFER) {
		GError *e = NULL;

		return pd_write_all(att->fd, buf, len, att->tmp_path, &e) || att_failed(att, e, error);
	}
	memcpy(att->buf + att->used, buf, len);
	att->used += len;
	return TRUE;
}

void
pd_spool_att_abort(pd_spool_att *att)
{
	if (att == NULL)
		return;
	close(att->fd);
	unlink(att->tmp_path);
	g_free(att->tmp_path);
	g_free(pd_sha256_finish(att->sum));
	g_free(att);
}

/* The staged file joins the batch as an item: the commit syncs and
 * renames it with the messages. */
char *
pd_spool_att_close(pd_spool_att *att, GError **error)
{
	spool_item it = { 0 };
	char *sha;

	if (!att_flush(att, error)) {
		pd_spool_att_abort(att);
		return NULL;
	}
	close(att->fd);
	sha = pd_sha256_finish(att->sum);
	att->sum = NULL;
	it.tmp_path = att->tmp_path;
	it.sha256 = g_strdup(sha);
	it.size = att->size;
	it.relpath = pd_spool_att_relpath(sha);
	it.final_path = pd_spool_path(att->batch->spool, it.relpath);
	g_array_append_val(att->batch->items, it);
	g_free(att);
	return sha;
}

gboolean
pd_spool_batch_att_failed(pd_spool_batch *b, GError **error)
{
	if (b->att_error == NULL)
		return FALSE;
	if (error != NULL)
		*error = g_error_copy(b->att_error);
	return TRUE;
}

const char *pd_spool_item_sha256(const pd_spool_batch *b, int i) { return ITEM(b, i)->sha256; }
const char *pd_spool_item_body_sha256(const pd_spool_batch *b, int i) { return ITEM(b, i)->body_sha256; }
guint64 pd_spool_item_size(const pd_spool_batch *b, int i) { return ITEM(b, i)->size; }
const char *pd_spool_item_relpath(const pd_spool_batch *b, int i) { return ITEM(b, i)->relpath; }

const char *
pd_spool_item_path(const pd_spool_batch *b, int i)
{
	spool_item *it = ITEM(b, i);
	return it->tmp_path != NULL ? it->tmp_path : it->final_path;
}

/* fsync (data_only: fdatasync) each path. All are opened, and for data
 * their writeback started, before the first sync, so the file system can
 * commit them together: the first sync does the work, the others find it
 * done. */
static gboolean
sync_paths(GPtrArray *paths, gboolean data_only, GError **error)
{
	int *fds = g_new(int, MAX(paths->len, 1));
	gboolean ok = TRUE;
	guint n = 0;
	for (; n < paths->len; n++) {
		fds[n] = open(paths->pdata[n], O_RDONLY | O_CLOEXEC);
		if (fds[n] < 0) {
			pd_set_errno_error(error, errno, "open", paths->pdata[n]);
			ok = FALSE;
			break;
		}
#ifdef SYNC_FILE_RANGE_WRITE
		if (data_only)
			sync_file_range(fds[n], 0, 0, SYNC_FILE_RANGE_WRITE);  /* only starts writeback */
#endif
	}
	for (guint i = 0; i < n; i++) {
		if (ok && (data_only ? fdatasync(fds[i]) : fsync(fds[i])) != 0) {
			pd_set_errno_error(error, errno, "fsync", paths->pdata[i]);
			ok = FALSE;
		}
		close(fds[i]);
	}
	g_free(fds);
	return ok;
}

static void
add_once(GPtrArray *paths, GHashTable *seen, char *path)
{
	if (g_hash_table_contains(seen, path)) {
		g_free(path);
		return;
	}
	g_hash_table_add(seen, path);
	g_ptr_array_add(paths, path);
}

/* Before the renames: the bytes we wrote (copies, attachments). A hard link
 * wrote none: its data is the source's own file, synced after the renames. */
static gboolean
sync_data(pd_spool_batch *b, GError **error)
{
	GPtrArray *paths = g_ptr_array_new_with_free_func(g_free);
	for (guint i = 0; i < b->items->len; i++) {
		spool_item *it = ITEM(b, i);
		if (it->tmp_path != NULL && !it->linked)
			g_ptr_array_add(paths, g_strdup(it->tmp_path));
	}
	gboolean ok = sync_paths(paths, TRUE, error);
	g_ptr_array_unref(paths);
	return ok;
}

/* After the renames: the linked files (their data, and their link count),
 * then every directory that gained a name (a fan-out directory, and its
 * parents, which gain one when it is new). */
static gboolean
sync_names(pd_spool_batch *b, GError **error)
{
	GPtrArray *paths = g_ptr_array_new_with_free_func(g_free);
	for (guint i = 0; i < b->items->len; i++)
		if (ITEM(b, i)->linked)
			g_ptr_array_add(paths, g_strdup(ITEM(b, i)->final_path));
	gboolean ok = sync_paths(paths, FALSE, error);
	g_ptr_array_set_size(paths, 0);
	GHashTable *seen = g_hash_table_new(g_str_hash, g_str_equal);
	for (guint i = 0; i < b->items->len; i++) {
		char *dir = g_path_get_dirname(ITEM(b, i)->final_path);      /* raw/ab */
		char *parent = g_path_get_dirname(dir);                       /* raw */
		add_once(paths, seen, g_path_get_dirname(parent));             /* the spool */
		add_once(paths, seen, parent);
		add_once(paths, seen, dir);
	}
	ok = ok && sync_paths(paths, FALSE, error);
	g_hash_table_unref(seen);
	g_ptr_array_unref(paths);
	return ok;
}

static gboolean
move_into_place(pd_spool_batch *b, spool_item *it, GError **error)
{
	/* Content-addressed: an existing file holds the same bytes already. */
	if (g_file_test(it->final_path, G_FILE_TEST_EXISTS)) {
		unlink(it->tmp_path);
		g_clear_pointer(&it->tmp_path, g_free);
		return TRUE;
	}
	char *dir = g_path_get_dirname(it->final_path);
	gboolean ok = dir_known(b->spool, dir) || pd_mkdirs(dir, 0700, error);
	if (ok)
		dir_add(b->spool, dir);
	else
		g_free(dir);
	if (!ok)
		return FALSE;
	if (rename(it->tmp_path, it->final_path) != 0) {
		pd_set_errno_error(error, errno, "rename", it->tmp_path);
		return FALSE;
	}
	g_clear_pointer(&it->tmp_path, g_free);
	return TRUE;
}

gboolean
pd_spool_batch_commit(pd_spool_batch *b, GError **error)
{
	if (b->items->len == 0 || b->committed)
		return TRUE;
	if (!sync_data(b, error))
		return FALSE;
	for (guint i = 0; i < b->items->len; i++) {
		spool_item *it = ITEM(b, i);
		if (it->tmp_path != NULL && !move_into_place(b, it, error))
			return FALSE;
	}
	/* The renames themselves must reach the disk before a commit names them. */
	if (!sync_names(b, error))
		return FALSE;
	b->committed = TRUE;
	return TRUE;
}
