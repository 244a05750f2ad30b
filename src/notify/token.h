/* token.h: HMAC-signed reply tokens and Message-IDs, so replies find their ticket and prove their origin. */
#ifndef PD_TOKEN_H
#define PD_TOKEN_H

#include <glib.h>

typedef struct pd_secret pd_secret;

/* Read the secret from path; if the file does not exist, create it with 32
 * random bytes (mode 0600) so a fresh install works without a step. */
pd_secret *pd_secret_load(const char *path, GError **error);
pd_secret *pd_secret_new_from_bytes(const guint8 *key, gsize len);
void pd_secret_free(pd_secret **secret);

/* The token given to one address for one ticket: 16 base32 characters of
 * HMAC-SHA256("token:" ticket ":" address). Caller frees. */
char *pd_token_make(const pd_secret *secret, guint64 ticket, const char *address);
/* TRUE if token is the one made for (ticket, address); address is compared
 * case-insensitively. Constant-time. */
gboolean pd_token_check(const pd_secret *secret, guint64 ticket, const char *address, const char *token);

/* The reply address "local+<ticket>-<token>@domain" for the address given
 * (e.g. "support@example.com"), and its inverse: the ticket and token from
 * a recipient address of that shape, FALSE if it is not one. */
char *pd_token_reply_address(const pd_secret *secret, const char *base, guint64 ticket, const char *to);
gboolean pd_token_parse_address(const char *address, const char *base, guint64 *ticket_r, char **token_r);

/* Our Message-IDs: "pd.<ticket>.<seq>.<n>.<mac>@domain" (without <>), and
 * their check: TRUE and the ticket and event when id is one of ours. */
char *pd_msgid_make(const pd_secret *secret, guint64 ticket, guint32 seq, guint n, const char *domain);
gboolean pd_msgid_check(const pd_secret *secret, const char *id, guint64 *ticket_r, guint32 *seq_r);

#endif
