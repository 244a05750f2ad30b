/* imap.h: an IMAP folder as a mail source: verified TLS, UID ledger, IDLE, acknowledgement after the commit. */
#ifndef PD_SOURCE_IMAP_H
#define PD_SOURCE_IMAP_H

#include "source-private.h"

/* Connect, take what the folder holds now, log out (postdeskd --once). */
pd_result pd_imap_run_once(const pd_remote_conf *conf, const pd_source_env *env, pd_source_ctl *ctl,
                           GError **error);

/* One connection for as long as it works: take the mail, wait for more
 * (IDLE, else polling), take again. TRUE once ctl says stop; FALSE with an
 * error on trouble. *progressed is set once logged in. */
gboolean pd_imap_serve(const pd_remote_conf *conf, const pd_source_env *env, pd_source_ctl *ctl,
                       gboolean *progressed, GError **error);

#endif
