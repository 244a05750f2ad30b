/* parse.h: raw RFC 5322 bytes -> pd_message, the normalized mail every later stage reads. */
#ifndef PD_PARSE_H
#define PD_PARSE_H

#include <glib.h>
#include <glib-object.h>

/* Why a message could not become a ticket. Stable names: they are stored
 * with quarantine records and printed by the CLI (pd_cause_name). */
typedef enum {
	PD_CAUSE_NONE = 0,
	PD_CAUSE_EMPTY,        /* zero bytes, or only white space */
	PD_CAUSE_TOO_LARGE,    /* over limits.max_message_size */
	PD_CAUSE_NO_HEADERS,   /* no header block at all (garbage, a bare body) */
	PD_CAUSE_NO_SENDER,    /* no usable From/Sender/Reply-To address */
	PD_CAUSE_UNPARSABLE,   /* the MIME parser gave up, or the input could not be read */
	PD_CAUSE_RELEASED,     /* only as a history marker: released by an admin */
	PD_CAUSE_RULE,         /* a rule said `quarantine "reason"` (later) */
	PD_CAUSE_LIMIT,        /* a parser limit other than the size: the reason names its key */
	PD_CAUSE_COUNT
} pd_cause;

const char *pd_cause_name(pd_cause cause);           /* "too-large", ... */
pd_cause pd_cause_from_name(const char *name);        /* PD_CAUSE_NONE if unknown */

typedef struct {
	char *name;   /* display name, UTF-8, may be NULL */
	char *addr;   /* addr-spec as written ("Bob@Example.com"), never NULL */
} pd_address;

typedef struct {
	char *filename;        /* decoded UTF-8 file name (RFC 2231 or RFC 2047), may be NULL */
	char *content_type;    /* "application/pdf", lower case */
	guint64 size;          /* decoded bytes */
	char *sha256;          /* of the decoded bytes, 64 lower-case hex digits; NULL only
	                        * when the attachment sink failed */
	char *content_id;      /* Content-ID without <>, NULL if none */
	gboolean is_inline;    /* Content-Disposition: inline (an image in the HTML, say) */
	char *message_subject; /* message/rfc822 only: the forwarded mail's subject, else NULL */
	char *message_from;    /* message/rfc822 only: its sender's address, else NULL */
} pd_attachment;

/* Every limit is checked before and while parsing; a message over one is
 * quarantined with PD_CAUSE_LIMIT and a reason naming the limit and its
 * configuration key (limits.<field>), except the size: PD_CAUSE_TOO_LARGE.
 * 0 means no limit. pd_parse_options_init gives the documented defaults. */
typedef struct {
	guint64 max_message_size;     /* bytes of the raw message */
	guint max_mime_depth;         /* nesting of multiparts and attached messages */
	guint max_mime_parts;         /* MIME entities in the whole message */
	guint64 max_header_size;      /* bytes of one header block (the message's or a part's) */
	guint max_header_count;       /* fields in one header block */
	guint max_mime_parameters;    /* parameters (RFC 2231 sections each count) of one field */
	guint64 max_tnef_size;        /* a larger winmail.dat is kept as it is, not unpacked */
} pd_parse_limits;

#define PD_PARSE_DEFAULT_MAX_MESSAGE_SIZE (25u * 1024 * 1024)
#define PD_PARSE_DEFAULT_MAX_MIME_DEPTH 32
#define PD_PARSE_DEFAULT_MAX_MIME_PARTS 1000
#define PD_PARSE_DEFAULT_MAX_HEADER_SIZE (1024u * 1024)
#define PD_PARSE_DEFAULT_MAX_HEADER_COUNT 1000
#define PD_PARSE_DEFAULT_MAX_MIME_PARAMETERS 100
#define PD_PARSE_DEFAULT_MAX_TNEF_SIZE (16u * 1024 * 1024)
#define PD_PARSE_DEFAULT_FALLBACK_CHARSETS "UTF-8, windows-1252"

/* Where attachment bytes go, decoded, in chunks: an attachment is never
 * held whole in memory. open starts one attachment and returns the sink's
 * handle (NULL with error on failure); write appends bytes; close finishes
 * it, frees the handle and returns the SHA-256 of everything written as 64
 * lower-case hex digits (the caller frees; NULL with error on failure);
 * abort drops an unfinished one. A failing sink does not change the parse
 * result (the attachment is listed with sha256 NULL): the sink keeps its
 * own error for its owner, who decides whether to retry (the spool defers). */
typedef struct {
	gpointer (*open)(gpointer data, GError **error);
	gboolean (*write)(gpointer handle, const void *buf, gsize len, GError **error);
	char *(*close)(gpointer handle, GError **error);
	void (*abort)(gpointer handle);
	gpointer data;
} pd_attachment_sink;

typedef struct {
	pd_parse_limits limits;
	/* Tried in order after the declared charset, for undeclared, unknown
	 * (x-unknown, unknown-8bit) and mislabelled text. Borrowed; NULL-terminated. */
	const char *const *fallback_charsets;
	/* Domains whose Message-IDs and addresses are ours (the ticket system's
	 * own mail coming back sets PD_MSG_OURS). Borrowed; NULL-terminated; may be NULL. */
	const char *const *our_domains;
	/* Where attachments go; NULL: they are only measured and hashed. Borrowed. */
	const pd_attachment_sink *sink;
	/* Have GMime build the MIME tree of every message, also of those read
	 * without it (one text part, or an alternative of them): for the tests
	 * that hold the two readings equal. */
	gboolean always_gmime;
} pd_parse_options;

/* The defaults: the limits above, the fallback chain "UTF-8, windows-1252",
 * no domains of our own, no sink. */
void pd_parse_options_init(pd_parse_options *opts);

/* "UTF-8, windows-1252" -> { "UTF-8", "windows-1252", NULL }: the form of
 * the fallback_charsets configuration value. Caller frees with g_strfreev. */
char **pd_parse_split_list(const char *value);

/* What kind of mail this is, for the loop guard and the rules. */
typedef enum {
	PD_MSG_AUTO_SUBMITTED = 1 << 0,  /* Auto-Submitted other than "no", or a vendor equivalent */
	PD_MSG_AUTO_REPLIED = 1 << 1,    /* an automatic answer to a mail (RFC 3834 auto-replied) */
	PD_MSG_OUT_OF_OFFICE = 1 << 2,   /* a vacation / out-of-office notice */
	PD_MSG_BOUNCE = 1 << 3,          /* a delivery status notification or bounce */
	PD_MSG_LIST = 1 << 4,            /* from a mailing list (List-Id and kin) */
	PD_MSG_OURS = 1 << 5,            /* our own mail coming back */
} pd_message_flags;

/* "auto-submitted", "auto-replied", "out-of-office", "bounce", "list", "ours". */
const char *pd_message_flag_name(pd_message_flags flag);

/* Everything here is valid UTF-8 with no NUL bytes and LF line ends.
 * subject and body are never NULL ("" when absent) and the four arrays are
 * never NULL (empty when absent), even for a quarantined message; a message
 * refused before parsing (empty) has only size set, a too-large one also
 * what its header block says. The body has no trailing white space.
 * Without a header block, body is the whole input as text. */
typedef struct {
	char *subject;           /* decoded, unfolded; "" if none */
	pd_address *from;        /* NULL if no usable sender */
	GPtrArray *to;           /* of pd_address* */
	GPtrArray *cc;           /* of pd_address* */
	char *message_id;        /* without <>, NULL if none */
	char *in_reply_to;       /* without <>, NULL if none */
	GPtrArray *references;   /* of char*, without <>, oldest first */
	gint64 date;             /* Date: as unix seconds, 0 if missing or invalid */
	char *body;              /* the text: the inline text parts a reader sees, one after
	                          * another with a blank line between (the chosen part of an
	                          * alternative, text/plain preferred; the root of a related
	                          * first), HTML read as text; uuencoded blocks are taken out
	                          * (they are attachments) */
	char *body_new;          /* the new text of a reply: body without quoted history and
	                          * signature; equal to body when nothing was quoted */
	char *body_html;         /* the HTML part as UTF-8 (LF line ends), NULL if none */
	guint32 flags;           /* pd_message_flags */
	char *bounce_recipient;  /* a bounce: the recipient whose delivery failed, NULL if unknown */
	GPtrArray *attachments;  /* of pd_attachment*, in MIME order */
	guint64 size;            /* raw size in bytes */
	gboolean has_headers;    /* a header block was found */
} pd_message;

/* Call once at program start, before threads; pd_parse_shutdown at exit. */
void pd_parse_init(void);
void pd_parse_shutdown(void);

/* Parse raw bytes in memory (tests, fuzzing, small input). Never fails for
 * odd input: a message that cannot become a ticket still returns a
 * pd_message (as much as was understood) and sets *cause_r to the reason it
 * must be quarantined, with a human-readable *reason_r (caller frees).
 * *cause_r is PD_CAUSE_NONE for a good message, and then *reason_r is NULL.
 * cause_r and reason_r may be NULL; opts may be NULL (the defaults).
 * The size limit is checked before any parsing: over it, only the header
 * block is read (for the quarantine list) and cause is PD_CAUSE_TOO_LARGE.
 * An mbox envelope line ("From sender date") before the headers is skipped,
 * and the first line that is neither a header field nor a continuation
 * starts the body even without the blank line.
 * The result is the caller's: free it with pd_message_free. Each call uses
 * its own GMime objects, so calls may run in parallel threads. */
pd_message *pd_message_parse(const char *raw, gsize len, const pd_parse_options *opts,
                             pd_cause *cause_r, char **reason_r);

/* The same for a file, streamed: part contents stay in the file and are
 * decoded in chunks, so memory does not grow with the attachments. A file
 * that cannot be read gives PD_CAUSE_UNPARSABLE with the system's reason. */
pd_message *pd_message_parse_file(const char *path, const pd_parse_options *opts,
                                  pd_cause *cause_r, char **reason_r);

void pd_message_free(pd_message **msg);   /* accepts NULL; sets *msg to NULL */

/* The message as JSON-friendly GVariant a{sv}: subject s, from_name s
 * (omitted if NULL), from s ("" if none), to as, cc as ("Name <addr>" or
 * "addr"), message_id s and in_reply_to s (omitted if NULL), references as,
 * date x, body s, body_html s (omitted if NULL), flags as (flag names),
 * bounce_recipient s (omitted if NULL), attachments aa{sv} (filename s, ""
 * if none; content_type s; size t; sha256 s, content_id s, message_subject s,
 * message_from s, each omitted if NULL; inline b), size t. Returns a
 * floating reference: g_variant_ref_sink() it to keep it (then
 * g_variant_unref), or hand it straight to a container or function that
 * sinks it. */
GVariant *pd_message_to_variant(const pd_message *msg);

#endif
