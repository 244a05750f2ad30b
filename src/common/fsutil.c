/* fsutil.c: durable file operations shared by the spool and the source acknowledgements. */
#include "config.h"
#include "fsutil.h"
#include "pd.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void
pd_set_errno_error(GError **error, int errnum, const char *op, const char *path)
{
	/* Only trouble that can go away by itself is temporary; a missing file or
	 * a permission error needs an admin, so retrying in a loop helps nobody. */
	gboolean temporary = errnum == ENOSPC || errnum == EIO || errnum == EAGAIN ||
	                     errnum == EINTR || errnum == ENOMEM || errnum == EDQUOT ||
	                     errnum == EMFILE || errnum == ENFILE || errnum == EBUSY;
	g_set_error(error, PD_ERROR, temporary ? PD_ERROR_TEMPORARY : PD_ERROR_PERMANENT,
	            "%s %s: %s", op, path, g_strerror(errnum));
}

gboolean
pd_mkdirs(const char *path, int mode, GError **error)
{
	if (g_mkdir_with_parents(path, mode) != 0) {
		pd_set_errno_error(error, errno, "mkdir", path);
		return FALSE;
	}
	return TRUE;
}

gboolean
pd_fsync_dir(const char *path, GError **error)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		pd_set_errno_error(error, errno, "open", path);
		return FALSE;
	}
	if (fsync(fd) != 0) {
		int e = errno;
		close(fd);
		pd_set_errno_error(error, e, "fsync", path);
		return FALSE;
	}
	close(fd);
	return TRUE;
}

gboolean
pd_write_all(int fd, const void *buf, gsize len, const char *path, GError **error)
{
	const char *data = buf;
	while (len > 0) {
		ssize_t n = write(fd, data, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			pd_set_errno_error(error, errno, "write", path);
			return FALSE;
		}
		data += n;
		len -= (gsize)n;
	}
	return TRUE;
}

gboolean
pd_write_file_durable(const char *path, const void *data, gsize len, GError **error)
{
	char *tmp = g_strdup_printf("%s.tmp.%d", path, (int)getpid());
	char *dir = g_path_get_dirname(path);
	gboolean ok = FALSE;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		pd_set_errno_error(error, errno, "create", tmp);
		goto out;
	}
	if (!pd_write_all(fd, data, len, tmp, error) || fsync(fd) != 0) {
		if (error != NULL && *error == NULL)
			pd_set_errno_error(error, errno, "fsync", tmp);
		close(fd);
		unlink(tmp);
		goto out;
	}
	close(fd);
	if (rename(tmp, path) != 0) {
		pd_set_errno_error(error, errno, "rename", tmp);
		unlink(tmp);
		goto out;
	}
	ok = pd_fsync_dir(dir, error);
out:
	g_free(tmp);
	g_free(dir);
	return ok;
}

char *
pd_read_file(const char *path, gsize *len_r, GError **error)
{
	char *data = NULL;
	GError *e = NULL;
	if (!g_file_get_contents(path, &data, len_r, &e)) {
		int code = e->code == G_FILE_ERROR_NOENT ? PD_ERROR_NOT_FOUND : PD_ERROR_TEMPORARY;
		g_set_error(error, PD_ERROR, code, "%s", e->message);
		g_error_free(e);
		return NULL;
	}
	return data;
}

