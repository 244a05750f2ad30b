/* fsutil.h: durable file operations: write temp -> fsync -> rename -> directory fsync. */
#ifndef PD_FSUTIL_H
#define PD_FSUTIL_H

#include <glib.h>

/* mkdir -p with mode; TRUE if the directory exists afterwards. */
gboolean pd_mkdirs(const char *path, int mode, GError **error);

/* fsync a directory so that renames and creations inside it are durable. */
gboolean pd_fsync_dir(const char *path, GError **error);

/* Write data to path durably: a temp file in the same directory, fsync,
 * rename over path, fsync the directory. */
gboolean pd_write_file_durable(const char *path, const void *data, gsize len, GError **error);

/* Read a whole file; *len_r gets its size. NULL with error on failure. */
char *pd_read_file(const char *path, gsize *len_r, GError **error);

/* Write all of len bytes to fd; path names it in the error. */
gboolean pd_write_all(int fd, const void *data, gsize len, const char *path, GError **error);

/* An error for errno in operation on path, in the PD_ERROR domain: ENOSPC,
 * EIO, EAGAIN and similar are temporary; the rest permanent. */
void pd_set_errno_error(GError **error, int errnum, const char *op, const char *path);

#endif
