/* parse.h: raw RFC 5322 bytes -> pd_message, the normalized mail every later stage reads. */
#ifndef PD_PARSE_H
#define PD_PARSE_H

#include <glib.h>

/* Why a message could not become a ticket. Stable names: they are stored
 * with quarantine records and printed by the CLI (pd_cause_name). */
typedef enum {
	PD_CAUSE_NONE = 0,
	PD_CAUSE_EMPTY,        /* zero bytes, or only white space */
	PD_CAUSE_TOO_LARGE,    /* over limits.max_message_size */
	PD_CAUSE_NO_HEADERS,   /* no header block at all (garbage, a bare body) */
	PD_CAUSE_NO_SENDER,    /* no usable From/Sender/Reply-To address */
	PD_CAUSE_UNPARSABLE,   /* the MIME parser gave up */
	PD_CAUSE_RELEASED,     /* only as a history marker: released by an admin */
	PD_CAUSE_RULE,         /* a rule said `quarantine "reason"` (later) */
	PD_CAUSE_LIMIT,        /* a parser limit other than size was exceeded (later) */
	PD_CAUSE_COUNT
} pd_cause;

const char *pd_cause_name(pd_cause cause);           /* "too-large", ... */
pd_cause pd_cause_from_name(const char *name);        /* PD_CAUSE_NONE if unknown */

typedef struct {
	char *name;   /* display name, UTF-8, may be NULL */
	char *addr;   /* addr-spec as written ("Bob@Example.com"), never NULL */
} pd_address;

typedef struct {
	char *filename;      /* decoded UTF-8 file name, may be NULL */
	char *content_type;  /* "application/pdf" */
	guint64 size;        /* decoded bytes */
} pd_attachment;

typedef struct {
	guint64 max_message_size;   /* bytes; 0 = no limit */
} pd_parse_limits;

/* Everything here is valid UTF-8 with no NUL bytes and LF line ends.
 * subject and body are never NULL ("" when absent) and the four arrays are
 * never NULL (empty when absent), even for a quarantined message; a message
 * refused before parsing (empty, too large) has only size set. The body has
 * no trailing white space. Without a header block, body is the whole input
 * as text. */
/* What kind of mail this is, for the loop guard and the rules. */
typedef enum {
	PD_MSG_AUTO_SUBMITTED = 1 << 0,  /* Auto-Submitted other than "no", or a vendor equivalent */
	PD_MSG_AUTO_REPLIED = 1 << 1,    /* an automatic answer to a mail (RFC 3834 auto-replied) */
	PD_MSG_OUT_OF_OFFICE = 1 << 2,   /* a vacation / out-of-office notice */
	PD_MSG_BOUNCE = 1 << 3,          /* a delivery status notification or bounce */
	PD_MSG_LIST = 1 << 4,            /* from a mailing list (List-Id and kin) */
	PD_MSG_OURS = 1 << 5,            /* our own mail coming back */
} pd_message_flags;

typedef struct {
	char *subject;           /* decoded, unfolded; "" if none */
	pd_address *from;        /* NULL if no usable sender */
	GPtrArray *to;           /* of pd_address* */
	GPtrArray *cc;           /* of pd_address* */
	char *message_id;        /* without <>, NULL if none */
	char *in_reply_to;       /* without <>, NULL if none */
	GPtrArray *references;   /* of char*, without <>, oldest first */
	gint64 date;             /* Date: as unix seconds, 0 if missing or invalid */
	char *body;              /* the text: text/plain preferred, else HTML stripped */
	char *body_new;          /* the new text of a reply: body without quoted history and
	                          * signature; equal to body when nothing was quoted */
	guint32 flags;           /* pd_message_flags */
	GPtrArray *attachments;  /* of pd_attachment* */
	guint64 size;            /* raw size in bytes */
	gboolean has_headers;    /* a header block was found */
} pd_message;

/* Call once at program start, before threads; pd_parse_shutdown at exit. */
void pd_parse_init(void);
void pd_parse_shutdown(void);

/* Parse raw bytes. Never fails for odd input: a message that cannot become a
 * ticket still returns a pd_message (as much as was understood) and sets
 * *cause_r to the reason it must be quarantined, with a human-readable
 * *reason_r (caller frees). *cause_r is PD_CAUSE_NONE for a good message,
 * and then *reason_r is NULL. cause_r and reason_r may be NULL; limits may be
 * NULL (no limit). The size limit is checked before any parsing.
 * An mbox envelope line ("From sender date") before the headers is skipped,
 * and the first line that is neither a header field nor a continuation
 * starts the body even without the blank line.
 * The result is the caller's: free it with pd_message_free. Each call uses
 * its own GMime objects, so calls may run in parallel threads. */
pd_message *pd_message_parse(const char *raw, gsize len, const pd_parse_limits *limits,
                             pd_cause *cause_r, char **reason_r);
void pd_message_free(pd_message **msg);   /* accepts NULL; sets *msg to NULL */

/* The message as JSON-friendly GVariant a{sv}: subject s, from_name s
 * (omitted if NULL), from s ("" if none), to as, cc as ("Name <addr>" or
 * "addr"), message_id s and in_reply_to s (omitted if NULL), references as,
 * date x, body s, attachments aa{sv} (filename s, "" if none; content_type s;
 * size t), size t. Returns a floating reference: g_variant_ref_sink() it to
 * keep it (then g_variant_unref), or hand it straight to a container or
 * function that sinks it. */
#include <glib-object.h>
GVariant *pd_message_to_variant(const pd_message *msg);

#endif
