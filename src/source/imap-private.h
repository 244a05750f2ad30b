/* imap-private.h: one IMAP connection's state, shared by the connection code (imap.c) and fetching (imap-fetch.c). */
#ifndef PD_SOURCE_IMAP_PRIVATE_H
#define PD_SOURCE_IMAP_PRIVATE_H

#include "imap.h"
#include <libetpan/libetpan.h>

/* One connection and what it learned from the server. */
typedef struct {
	const pd_remote_conf *conf;
	const pd_source_env *env;
	pd_source_ctl *ctl;
	mailimap *imap;
	guint32 uidvalidity;
	gboolean has_move, has_uidplus, has_idle;
	gboolean broken;   /* the connection is gone: no LOGOUT */
} pd_imap;

/* Set error for libetpan's result r of command what (always FALSE):
 * TEMPORARY for a lost connection, PERMANENT for a refused login. */
gboolean pd_imap_fail(pd_imap *c, int r, const char *what, GError **error);

/* A UID set with runs of consecutive UIDs as ranges (uids sorted). */
struct mailimap_set *pd_imap_uid_set(const guint32 *uids, guint n);

/* After the commit only: \Seen and/or move to move_to, as configured. */
gboolean pd_imap_acknowledge(pd_imap *c, const guint32 *uids, guint n, GError **error);

/* Fetch these messages (UIDs ascending) in chunks, commit each chunk and
 * acknowledge it after its commit; *taken_r counts the messages fetched.
 * While one chunk commits, the next is fetched and parsed. */
pd_result pd_imap_take_uids(pd_imap *c, const guint32 *uids, guint n, guint *taken_r, GError **error);

#endif
