/* spool.h: raw messages on disk, content-addressed, durable before any transaction names them. */
#ifndef PD_SPOOL_H
#define PD_SPOOL_H

#include <glib.h>

typedef struct pd_spool pd_spool;
typedef struct pd_spool_batch pd_spool_batch;

/* The spool lives in DIR (created if missing): DIR/tmp for staging,
 * DIR/raw/<2 hex>/<sha256>.eml for the messages, DIR/att/<2 hex>/<sha256>
 * for their attachments. */
pd_spool *pd_spool_open(const char *dir, GError **error);
void pd_spool_close(pd_spool **spool);
const char *pd_spool_dir(const pd_spool *spool);

/* Absolute path of a spool-relative path; caller frees. */
char *pd_spool_path(const pd_spool *spool, const char *relpath);

/* A batch stages several messages and makes them all durable together:
 * the files it wrote, then the names it renamed into place (never a
 * syncfs(), which would also write back the database's mapped regions). */
pd_spool_batch *pd_spool_batch_new(pd_spool *spool);
/* Free the batch; staged files that were never committed are removed. */
void pd_spool_batch_free(pd_spool_batch **batch);

/* Stage bytes or everything readable from fd (streamed, hashed on the way,
 * never held in memory). Returns the item's index in the batch. */
int pd_spool_stage_bytes(pd_spool_batch *batch, const void *data, gsize len, GError **error);
int pd_spool_stage_fd(pd_spool_batch *batch, int fd, GError **error);
/* Stage a file that already exists (a Maildir message): hashed where it is
 * and hard-linked into the spool when both are on one file system (no copy,
 * no new inode; Maildir messages are never changed in place), else copied.
 * A missing file is PD_ERROR_NOT_FOUND. */
int pd_spool_stage_file(pd_spool_batch *batch, const char *path, GError **error);

/* For an item: its content hash, size, spool-relative final path, and the
 * absolute path where its bytes are now (the temp file until committed). */
const char *pd_spool_item_sha256(const pd_spool_batch *batch, int idx);
/* SHA-256 of the bytes after the message's first empty line (the body),
 * taken in the same pass as the whole message's; "" of nothing if none. */
const char *pd_spool_item_body_sha256(const pd_spool_batch *batch, int idx);
guint64 pd_spool_item_size(const pd_spool_batch *batch, int idx);
const char *pd_spool_item_relpath(const pd_spool_batch *batch, int idx);
const char *pd_spool_item_path(const pd_spool_batch *batch, int idx);

/* Attachments, streamed: staged in tmp/ and, by the batch commit, made
 * durable at att/<2 hex>/<sha256> together with the messages (the same
 * bytes are stored once). open returns NULL with error; close returns the
 * SHA-256 (hex, caller frees) or NULL with error, and frees att either
 * way; abort drops an unfinished one. The first failure is also kept in
 * the batch (pd_spool_batch_att_failed). */
typedef struct pd_spool_att pd_spool_att;
pd_spool_att *pd_spool_att_open(pd_spool_batch *batch, GError **error);
gboolean pd_spool_att_write(pd_spool_att *att, const void *buf, gsize len, GError **error);
char *pd_spool_att_close(pd_spool_att *att, GError **error);
void pd_spool_att_abort(pd_spool_att *att);
/* Whether staging an attachment of this batch failed (a full disk): then
 * the batch must not be committed; error says why. */
gboolean pd_spool_batch_att_failed(pd_spool_batch *batch, GError **error);
/* Spool-relative path of an attachment: att/<2 hex>/<sha256>; caller frees. */
char *pd_spool_att_relpath(const char *sha256);

/* Make every staged item durable at its final path: sync the data, rename,
 * sync the directories. Only after this may a transaction name them. */
gboolean pd_spool_batch_commit(pd_spool_batch *batch, GError **error);

#endif
