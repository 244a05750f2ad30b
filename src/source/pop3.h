/* pop3.h: a POP3 mailbox as a mail source: verified TLS, a UIDL ledger, DELE only after the commit. */
#ifndef PD_SOURCE_POP3_H
#define PD_SOURCE_POP3_H

#include "source-private.h"

/* One session: connect, take what the mailbox holds, QUIT (which makes
 * the deletions final). */
pd_result pd_pop3_run_once(const pd_remote_conf *conf, const pd_source_env *env, pd_source_ctl *ctl,
                           GError **error);

/* Sessions every poll interval until ctl says stop (TRUE), or trouble
 * (FALSE with an error). *progressed is set once a session logged in. */
gboolean pd_pop3_serve(const pd_remote_conf *conf, const pd_source_env *env, pd_source_ctl *ctl,
                       gboolean *progressed, GError **error);

#endif
