/* authres.h: Authentication-Results header fields (RFC 8601): parsed, and whether they vouch for a mail's From. */
#ifndef PD_AUTHRES_H
#define PD_AUTHRES_H

#include <glib.h>

typedef struct {
	char *name;    /* ptype "." property in lower case: "header.d", "header.i", "header.from", "smtp.mailfrom";
	                * a bare name for the non-standard "action=none" some servers write */
	char *value;   /* as written, quotes and comments removed */
} pd_authres_property;

typedef struct {
	char *method;          /* lower case: "dkim", "spf", "dmarc", "arc", ... */
	guint method_version;  /* "dkim/1": 1; 0 when not given */
	char *result;          /* lower case: "pass", "fail", "none", "neutral", "softfail", "temperror", ... */
	char *reason;          /* reason="..." when given, else NULL */
	GPtrArray *properties; /* pd_authres_property *, in order */
} pd_authres_result;

typedef struct {
	char *authserv_id;     /* as written (compare case-insensitively) */
	guint version;         /* 1 when not given */
	gboolean none;         /* "; none": the server did not authenticate the mail */
	gboolean complete;     /* FALSE when the value goes wrong after the authserv-id: results
	                        * are then those read before the fault */
	GPtrArray *results;    /* pd_authres_result *, in order */
} pd_authres;

/* One header field's value (unfolded or not): "authserv-id [version];
 * method=result [reason=...] ptype.property=value ...; ...", with comments
 * and white space anywhere RFC 8601 allows them and quoted strings for
 * values. Lenient where real servers deviate without ambiguity: a trailing
 * or doubled ";", "/" and "=" inside property values (header.b), a bare
 * name=value property. NULL when there is no authserv-id at all; otherwise
 * see complete. */
pd_authres *pd_authres_parse(const char *value);
void pd_authres_free(pd_authres **ar);  /* accepts NULL; sets *ar to NULL */

/* The value of the first property called name ("header.d"; case-insensitive), or NULL. */
const char *pd_authres_result_get(const pd_authres_result *r, const char *name);

/*
 * Whether the mail's From is vouched for by our own mail server, so that an
 * agent's #commands may be obeyed. TRUE only when the first (topmost)
 * header_values entry whose authserv-id is one of trusted_ids
 * (case-insensitive) is complete and holds
 *   - dkim=pass with header.d (or, without it, the domain of header.i)
 *     aligned with the From address's domain, or
 *   - dmarc=pass with header.from equal to the From domain,
 * and no dmarc=fail for the From domain (the domain owner's own verdict,
 * e.g. under strict alignment, wins over our relaxed reading).
 *
 * header_values: every Authentication-Results value of the mail, in header
 * order, topmost first (as pd_raw_header_values() returns them); headers
 * with other authserv-ids are ignored, since anyone on the way can add them.
 * Only the topmost trusted one counts: receiving servers add theirs on top,
 * so ours is the first, and anything below claiming our id came from
 * outside. That holds only if our MTA removes inbound Authentication-Results
 * fields that claim its authserv-id (RFC 8601 section 5; OpenDKIM,
 * OpenDMARC and rspamd can do it, Postfix header_checks too): otherwise a
 * forged field would be the topmost trusted one whenever our MTA adds none.
 *
 * Alignment is relaxed: the domains are equal, or one is a subdomain of
 * the other. Organizational domains are simplified: instead of the Public
 * Suffix List, the parent domain must be longer than its registered
 * suffix, taken as the last label, or the last two when they look like
 * "co.uk" (a two-letter country code under a common second-level name).
 * Sibling subdomains (a.example.com, b.example.com) are therefore not
 * aligned, stricter than DMARC, which only costs a false refusal. Domains
 * are compared in their ASCII (IDNA) form.
 *
 * from_address is an addr-spec ("ann@example.com"; "<...>" and a display
 * name before it are tolerated). *why_r (may be NULL) is one line saying
 * why, such as "dkim=pass for example.com aligned with From" or "no
 * Authentication-Results from a trusted authserv-id"; it belongs to the
 * calling thread and lasts until its next call.
 */
gboolean pd_authres_sender_verified(const char *const *header_values, const char *const *trusted_ids,
                                    const char *from_address, const char **why_r);

#endif
