/* parse-private.h: what the files of the parser share; not for other modules (it brings GMime). */
#ifndef PD_PARSE_PRIVATE_H
#define PD_PARSE_PRIVATE_H

#include "parse.h"

#include <gmime/gmime.h>

#define PD_UTF8_REPLACEMENT "\xEF\xBF\xBD" /* U+FFFD */

/* One parse in progress: the options, the GMime options built from them,
 * the message being filled, and the first limit hit. */
typedef struct {
	const pd_parse_options *opts;
	GMimeParserOptions *po;
	pd_message *msg;
	pd_cause cause;
	char *reason;
	GMimeStream *guard;          /* the parser's input, cut when a limit is hit */
	const pd_attachment_sink *sink;
} pd_parse_ctx;

/* The header fields postdesk reads of a message (fields.c). */
typedef struct pd_fields pd_fields;

/* Record the first limit exceeded (later ones are ignored) and stop the
 * parser reading further. The reason reads "<what>: more than <limit>
 * (limits.<key>)". Returns FALSE, for `return pd_parse_limit(...)`. */
gboolean pd_parse_limit(pd_parse_ctx *ctx, const char *what, guint64 limit, const char *key);

/* ---- text.c: string hygiene ---- */
void pd_text_append_without_nul(GByteArray *out, const char *s, gsize len);
char *pd_text_clean_line(const char *s);         /* one line, trimmed; "" for NULL */
char *pd_text_clean_optional(const char *s);     /* same, NULL when empty */
char *pd_text_normalize_body(char *text);        /* LF only, no trailing space; takes text */
gboolean pd_text_is_blank(const char *s, gsize len);
gboolean pd_text_starts_with_header(const char *raw, gsize len);

/* ---- charset.c: charset names and conversion to UTF-8 ---- */
void pd_charset_init(void);
void pd_charset_shutdown(void);
/* The iconv name for a declared charset label, NULL when the label means
 * "unknown" (the fallback chain decides). Returns a static string or label. */
const char *pd_charset_resolve(const char *label);
/* Bytes in charset (NULL: undeclared) -> valid UTF-8 without NUL: the
 * declared charset if the bytes are valid in it, else the first fallback
 * that takes them, else the declared (or first fallback) with U+FFFD for
 * what does not convert. Caller frees. */
char *pd_charset_to_utf8(const char *charset, const char *data, gsize len,
                         const char *const *fallback);
/* A raw header value with the charset labels of its encoded words made
 * ones GMime decodes right (aliases resolved; unknown and mislabelled
 * UTF-8 words sent to the fallback chain). NULL when nothing changes. */
char *pd_charset_fix_encoded_words(const char *raw);

/* ---- stream.c: the parser's input streams, the buffers they keep, the attachment sink ---- */
/* Reads through to inner; once cut, reads return end of stream. With
 * one_byte, every read returns at most one byte (tests of the parser's
 * buffering). Substreams are taken from inner, unguarded. */
GMimeStream *pd_guard_stream_new(GMimeStream *inner, gboolean one_byte);
void pd_guard_stream_cut(GMimeStream *guard);
/* head, then src from offset from (read in place): the parser's input when
 * the header block had to be prepared. Positions are the joined ones. */
GMimeStream *pd_join_stream_new(GBytes *head, GMimeStream *src, gint64 from);
/* What the boundary stream counts in the header blocks it passes. */
typedef struct {
	guint types;    /* Content-Type fields */
	guint parts;    /* delimiter lines that open a part */
	guint params;   /* the most parameters in one Content-Type or -Disposition field */
} pd_mime_census;
typedef void (*pd_census_fn)(gpointer data, const pd_mime_census *census);
/* Reads through to inner with each multipart delimiter line rewritten,
 * length kept, to what GMime must read (see stream.c); substreams are
 * inner's, unchanged. notify (if not NULL) is called whenever a count of
 * the census grows. */
GMimeStream *pd_boundary_stream_new(GMimeStream *inner, pd_census_fn notify, gpointer data);
/* The bytes within a memory stream's bounds, in place, len of them; NULL
 * for any other stream. */
const guint8 *pd_stream_memory(GMimeStream *stream, gsize *len);
/* A byte array kept in spare by this thread (emptied), or a new one with
 * room for reserve bytes (storage, when reserve > 0). */
GByteArray *pd_spare_take(GPrivate *spare, gsize reserve);
/* buf back into spare if that is empty and buf holds at most keep bytes;
 * otherwise freed. */
void pd_spare_give(GPrivate *spare, GByteArray *buf, gsize keep);
/* Writes go to the sink handle (counted); reads fail. */
GMimeStream *pd_sink_stream_new(const pd_attachment_sink *sink, gpointer handle);
guint64 pd_sink_stream_written(GMimeStream *stream);
gboolean pd_sink_stream_failed(GMimeStream *stream);

/* ---- watch.c: limits checked while GMime parses ---- */
void pd_watch_warning(gint64 offset, GMimeParserWarning code, const gchar *item, gpointer ctx);
/* The boundary stream's census as the parser reads (a pd_census_fn). */
void pd_watch_census(gpointer ctx, const pd_mime_census *census);

/* ---- input.c: the header block, checked and prepared before GMime ---- */
typedef struct {
	const char *data;    /* the first bytes of the input: len of them */
	gsize len;
	const char *mem;     /* all of the input, in memory: data is a window on it */
	gsize mem_len;
	GString *own;        /* else data's copy, read from the input */
	gboolean eof;        /* data holds all of the input */
	gsize skip;          /* length of an mbox envelope line before the headers */
	gsize scanned;       /* lines before this offset have been looked at */
	gsize end;           /* where the header block ends (found_end) */
	gboolean found_end;  /* the block ended: blank line, non-header line, or end of input */
	gboolean blank;      /* ... with the blank line */
	gboolean gap;        /* ... at a line that is not a header (no blank line) */
	guint fields;        /* header fields seen */
	gboolean over_limit; /* the block broke max_header_size or max_header_count */
	GArray *drop;        /* of gsize start, end pairs: fields left out (NULL: none) */
	gboolean dropping;   /* the current field is left out, continuations too */
	GArray *read;        /* of pd_head_field: fields postdesk reads (NULL: none) */
	gboolean reading;    /* the current field is one, continuations too */
} pd_head;

typedef struct {
	const char *name;    /* the entry of the table of fields.c */
	gsize value;         /* where the value begins (after the colon) */
	gsize end;           /* where the field ends (after its last line) */
} pd_head_field;

/* Reads src, or with in_place looks at it where it is when it is in memory. */
void pd_head_read(pd_head *head, GMimeStream *src, gboolean in_place, const pd_parse_limits *lim);
pd_cause pd_head_check(const pd_head *head, const pd_parse_limits *lim, char **reason_r);
GMimeStream *pd_head_headers_only(const pd_head *head);
/* The fields postdesk reads, as the header block has them. */
pd_fields *pd_head_fields(const pd_head *head, GMimeParserOptions *po);
GMimeStream *pd_head_parser_input(const pd_head *head, GMimeStream *src);
char *pd_head_bare_body(pd_head *head, GMimeStream *src, const char *const *fallback);
gboolean pd_head_is_blank(pd_head *head, GMimeStream *src);
void pd_head_clear(pd_head *head);

/* Parse from a seekable stream positioned at 0 of size bytes. The core of
 * both public entry points (and of the byte-by-byte tests). */
pd_message *pd_parse_stream(GMimeStream *stream, guint64 size, const pd_parse_options *opts,
                            gboolean one_byte, pd_cause *cause_r, char **reason_r);

/* ---- fields.c: the header fields postdesk reads, by name ---- */
/* The entry of the table of fields postdesk reads for a field name (as
 * written, maybe with white space before the colon); NULL if not read. */
const char *pd_field_read_name(const char *name, gsize len);
/* Values are decoded with po (not owned). */
pd_fields *pd_fields_new(GMimeParserOptions *po);
/* A field named by an entry of the table; raw is what follows the colon
 * (NULs are replaced). */
void pd_fields_add(pd_fields *fields, const char *read_name, const char *raw, gsize len);
/* The fields of a GMime object's header list (an enclosed message). */
pd_fields *pd_fields_of_object(GMimeParserOptions *po, GMimeObject *obj);
void pd_fields_free(pd_fields *fields);
/* The raw value of the nth field of a name (from 0; the last one when
 * nth < 0), NULL if there is none. */
const char *pd_fields_raw(const pd_fields *fields, const char *name, int nth);
/* The same, unfolded and with its encoded words decoded, as GMime's
 * g_mime_header_get_value() gives it. */
const char *pd_fields_get(const pd_fields *fields, const char *name, int nth);

/* ---- headers.c: addresses, Message-IDs, subject, date ---- */
void pd_headers_fill(pd_parse_ctx *ctx, const pd_fields *fields);
void pd_address_free(gpointer address);
/* A field decoded to clean UTF-8 through the charset fixes; NULL if absent. */
char *pd_header_text(pd_parse_ctx *ctx, const pd_fields *fields, const char *name);
/* First usable mailbox address of a field ("a@b"), NULL if none. */
char *pd_header_first_addr(pd_parse_ctx *ctx, const pd_fields *fields, const char *name);

/* ---- mime.c: the MIME tree: limits, body, attachments ---- */
/* body: the top-level MIME part, as GMime built it. */
void pd_mime_fill(pd_parse_ctx *ctx, GMimeObject *body);
/* The content of a part, transfer-decoded, in memory (at most max bytes). */
GByteArray *pd_mime_part_bytes(GMimePart *part, gsize max);
gsize pd_qp_decode(const guint8 *in, gsize len, guint8 *out);
/* Decoded text of a part as clean UTF-8 with LF line ends. */
char *pd_mime_part_text(pd_parse_ctx *ctx, GMimePart *part);

/* ---- attach.c: attachments through the sink ---- */
void pd_attachment_free(gpointer attachment);
/* An attachment with the part's name, type, Content-ID and disposition,
 * its decoded bytes streamed through the sink. */
pd_attachment *pd_attach_part(pd_parse_ctx *ctx, GMimePart *part);
pd_attachment *pd_attach_message(pd_parse_ctx *ctx, GMimeMessagePart *mp);
/* An attachment from bytes in memory (unpacked TNEF files, uudecoded blocks). */
pd_attachment *pd_attach_bytes(pd_parse_ctx *ctx, const char *filename, const char *content_type,
                               const void *data, gsize len);
/* Take uuencoded blocks out of text (in place), adding them as attachments;
 * TRUE if any was. */
gboolean pd_attach_uuencoded(pd_parse_ctx *ctx, char *text);

/* ---- tnef.c: winmail.dat ---- */
gboolean pd_tnef_is_tnef(GMimePart *part);
/* Unpack the files of a TNEF part as attachments; FALSE when nothing came
 * out (the caller keeps the winmail.dat itself). */
gboolean pd_tnef_unpack(pd_parse_ctx *ctx, GMimePart *part);

/* ---- flags.c: what kind of mail ---- */
/* body (the top-level MIME part; NULL if GMime built none) says whether
 * the message is a report. */
void pd_flags_fill(pd_parse_ctx *ctx, const pd_fields *fields, GMimeObject *body);
/* A message/delivery-status part: note the failed recipient and the bounce. */
void pd_flags_delivery_status(pd_parse_ctx *ctx, GMimePart *part);

#endif
