/* parse.c: the parser's entry points: options, memory and file input, the order of the checks, the result. */
#include "parse-private.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- cause names ------------------------------------------------------ */

/* Stored in quarantine records: never rename an entry. */
static const char *const cause_names[PD_CAUSE_COUNT] = {
	[PD_CAUSE_NONE] = "none",
	[PD_CAUSE_EMPTY] = "empty",
	[PD_CAUSE_TOO_LARGE] = "too-large",
	[PD_CAUSE_NO_HEADERS] = "no-headers",
	[PD_CAUSE_NO_SENDER] = "no-sender",
	[PD_CAUSE_UNPARSABLE] = "unparsable",
	[PD_CAUSE_RELEASED] = "released",
	[PD_CAUSE_RULE] = "rule",
	[PD_CAUSE_LIMIT] = "limit",
};

const char *
pd_cause_name(pd_cause cause)
{
	if ((unsigned)cause >= PD_CAUSE_COUNT)
		return "unknown";
	return cause_names[cause];
}

pd_cause
pd_cause_from_name(const char *name)
{
	if (name == NULL)
		return PD_CAUSE_NONE;
	for (int i = 0; i < PD_CAUSE_COUNT; i++) {
		if (strcmp(cause_names[i], name) == 0)
			return (pd_cause)i;
	}
	return PD_CAUSE_NONE;
}

/* ---- init and options ------------------------------------------------- */

void
pd_parse_init(void)
{
	g_mime_init();
	pd_charset_init();
}

void
pd_parse_shutdown(void)
{
	pd_charset_shutdown();
	g_mime_shutdown();
}

static const char *const default_fallback[] = { "UTF-8", "windows-1252", NULL };

void
pd_parse_options_init(pd_parse_options *opts)
{
	memset(opts, 0, sizeof *opts);
	opts->limits.max_message_size = PD_PARSE_DEFAULT_MAX_MESSAGE_SIZE;
	opts->limits.max_mime_depth = PD_PARSE_DEFAULT_MAX_MIME_DEPTH;
	opts->limits.max_mime_parts = PD_PARSE_DEFAULT_MAX_MIME_PARTS;
	opts->limits.max_header_size = PD_PARSE_DEFAULT_MAX_HEADER_SIZE;
	opts->limits.max_header_count = PD_PARSE_DEFAULT_MAX_HEADER_COUNT;
	opts->limits.max_mime_parameters = PD_PARSE_DEFAULT_MAX_MIME_PARAMETERS;
	opts->limits.max_tnef_size = PD_PARSE_DEFAULT_MAX_TNEF_SIZE;
	opts->fallback_charsets = default_fallback;
}

char **
pd_parse_split_list(const char *value)
{
	char **parts = g_strsplit_set(value != NULL ? value : "", ", \t", -1);
	GPtrArray *out = g_ptr_array_new();

	for (char **p = parts; *p != NULL; p++) {
		if (**p != '\0')
			g_ptr_array_add(out, g_strdup(*p));
	}
	g_strfreev(parts);
	g_ptr_array_add(out, NULL);
	return (char **)g_ptr_array_free(out, FALSE);
}

gboolean
pd_parse_limit(pd_parse_ctx *ctx, const char *what, guint64 limit, const char *key)
{
	if (ctx->cause == PD_CAUSE_NONE) {
		ctx->cause = PD_CAUSE_LIMIT;
		ctx->reason = g_strdup_printf("%s: more than %" G_GUINT64_FORMAT " (limits.%s)", what,
		                              limit, key);
	}
	pd_guard_stream_cut(ctx->guard);
	return FALSE;
}

/* ---- the message ------------------------------------------------------ */

static pd_message *
message_new(guint64 size)
{
	pd_message *msg = g_new0(pd_message, 1);

	msg->subject = g_strdup("");
	msg->body = g_strdup("");
	msg->to = g_ptr_array_new_with_free_func(pd_address_free);
	msg->cc = g_ptr_array_new_with_free_func(pd_address_free);
	msg->references = g_ptr_array_new_with_free_func(g_free);
	msg->attachments = g_ptr_array_new_with_free_func(pd_attachment_free);
	msg->size = size;
	return msg;
}

void
pd_message_free(pd_message **msg)
{
	pd_message *m;

	if (msg == NULL || *msg == NULL)
		return;
	m = *msg;
	g_free(m->subject);
	if (m->from != NULL)
		pd_address_free(m->from);
	g_ptr_array_unref(m->to);
	g_ptr_array_unref(m->cc);
	g_free(m->message_id);
	g_free(m->in_reply_to);
	g_ptr_array_unref(m->references);
	g_free(m->body);
	g_free(m->body_new);
	g_free(m->body_html);
	g_free(m->bounce_recipient);
	g_ptr_array_unref(m->attachments);
	g_free(m);
	*msg = NULL;
}

/* ---- GMime ------------------------------------------------------------ */

/* Depth limits up to this are the walk's alone. */
#define PD_WATCHED_DEPTH 512

static GMimeParserOptions *
gmime_options_new(pd_parse_ctx *ctx)
{
	const char *const *fallback = ctx->opts->fallback_charsets;
	GMimeParserOptions *po = g_mime_parser_options_new();

	g_mime_parser_options_set_fallback_charsets(po, (const char **)(fallback != NULL ? fallback : default_fallback));
	g_mime_parser_options_set_rfc2047_compliance_mode(po, GMIME_RFC_COMPLIANCE_LOOSE);
	g_mime_parser_options_set_address_compliance_mode(po, GMIME_RFC_COMPLIANCE_LOOSE);
	/* With a warning callback, GMime decodes every header of every part
	 * to check it, which costs more than the rest of the header work.
	 * Only its nesting bound (1,024 levels) matters here, and the walk
	 * reports any depth limit well under it. */
	if (ctx->opts->limits.max_mime_depth == 0 || ctx->opts->limits.max_mime_depth > PD_WATCHED_DEPTH)
		g_mime_parser_options_set_warning_callback(po, pd_watch_warning, ctx);
	return po;
}

/* One GMime parser per thread, kept between messages: making one is a
 * good part of a small message's cost. An empty stream is the idle
 * parser's input, so no message's input is kept past its parse. */
typedef struct {
	GMimeParser *parser;
	GMimeStream *idle;
	gboolean busy;
} parser_slot;

static void
slot_free(gpointer data)
{
	parser_slot *slot = data;

	g_object_unref(slot->parser);
	g_object_unref(slot->idle);
	g_free(slot);
}

static GPrivate thread_parser = G_PRIVATE_INIT(slot_free);

/* The top-level MIME part: postdesk reads the message's own fields itself
 * (pd_fields), so GMime builds no message object around the part, with an
 * address list for each kind of recipient, to be freed unread. */
static GMimeObject *
construct(pd_parse_ctx *ctx, GMimeStream *stream)
{
	parser_slot *slot = g_private_get(&thread_parser);
	GMimeObject *body;

	if (slot == NULL) {
		slot = g_new0(parser_slot, 1);
		slot->parser = g_mime_parser_new();
		slot->idle = g_mime_stream_mem_new();
		/* Part contents stay offsets into the (seekable) input, not copies. */
		g_mime_parser_set_persist_stream(slot->parser, TRUE);
		g_private_set(&thread_parser, slot);
	}
	/* A parse never starts inside another on the same thread. */
	g_assert(!slot->busy);
	slot->busy = TRUE;
	g_mime_parser_init_with_stream(slot->parser, stream);
	body = g_mime_parser_construct_part(slot->parser, ctx->po);
	g_mime_parser_init_with_stream(slot->parser, slot->idle);
	slot->busy = FALSE;
	return body;
}

/* ---- the order of things ---------------------------------------------- */

/* Over a limit, or too large: what the header block says is still worth
 * having, so the quarantine can show who sent what. */
static void
parse_headers_only(pd_parse_ctx *ctx, const pd_head *head)
{
	GMimeStream *stream = pd_head_headers_only(head);
	GMimeObject *body;
	pd_fields *fields;

	ctx->guard = NULL;
	body = construct(ctx, stream);
	g_object_unref(stream);
	if (body == NULL)
		return;
	ctx->msg->has_headers = TRUE;
	fields = pd_head_fields(head, ctx->po);
	pd_headers_fill(ctx, fields);
	pd_flags_fill(ctx, fields, body);
	pd_fields_free(fields);
	g_object_unref(body);
}

/* GMime's tree of the message, or FALSE when it could not build one. */
static gboolean
construct_tree(pd_parse_ctx *ctx, const pd_head *head, GMimeStream *src, gboolean one_byte,
               GMimeObject **body_r)
{
	GMimeStream *input = pd_head_parser_input(head, src);
	GMimeStream *fixed = pd_boundary_stream_new(input, pd_watch_census, ctx);

	g_object_unref(input);
	ctx->guard = pd_guard_stream_new(fixed, one_byte);
	g_object_unref(fixed);
	*body_r = construct(ctx, ctx->guard);
	if (*body_r == NULL) {
		ctx->cause = PD_CAUSE_UNPARSABLE;
		ctx->reason = g_strdup("the MIME parser could not build a message");
	}
	return *body_r != NULL;
}

/* A message simple.c reads needs no tree from GMime: the body comes from
 * its text parts alone, and the report check (pd_flags_fill) finds no
 * multipart/report at the top. */
static void
parse_full(pd_parse_ctx *ctx, const pd_head *head, GMimeStream *src, gboolean one_byte)
{
	GMimeObject *body = NULL;
	pd_body_parts simple;
	gboolean is_simple = !one_byte && !ctx->opts->always_gmime && pd_simple_parts(ctx, head, &simple);
	pd_fields *fields;

	if (is_simple || construct_tree(ctx, head, src, one_byte, &body)) {
		fields = pd_head_fields(head, ctx->po);
		ctx->msg->has_headers = TRUE;
		pd_headers_fill(ctx, fields);
		if (ctx->cause == PD_CAUSE_NONE && is_simple)
			pd_mime_fill_body(ctx, &simple);
		else if (ctx->cause == PD_CAUSE_NONE)
			pd_mime_fill(ctx, body);
		pd_flags_fill(ctx, fields, body);
		pd_fields_free(fields);
	}
	if (is_simple)
		pd_body_parts_clear(&simple);
	g_clear_object(&body);
	g_clear_object(&ctx->guard);
}

static void
too_large(pd_parse_ctx *ctx, const pd_head *head, pd_cause head_cause)
{
	g_clear_pointer(&ctx->reason, g_free);
	ctx->cause = PD_CAUSE_TOO_LARGE;
	ctx->reason = g_strdup_printf("message is %" G_GUINT64_FORMAT " bytes, the limit is %" G_GUINT64_FORMAT
	                              " (limits.max_message_size)", ctx->msg->size,
	                              ctx->opts->limits.max_message_size);
	if (head_cause == PD_CAUSE_NONE || head_cause == PD_CAUSE_LIMIT)
		parse_headers_only(ctx, head);
}

static void
no_headers(pd_parse_ctx *ctx, pd_head *head, GMimeStream *src)
{
	if (pd_head_is_blank(head, src)) {
		g_free(ctx->reason);
		ctx->cause = PD_CAUSE_EMPTY;
		ctx->reason = g_strdup("empty message: only white space");
		return;
	}
	g_free(ctx->msg->body);
	ctx->msg->body = pd_head_bare_body(head, src, ctx->opts->fallback_charsets);
}

static void
parse_checked(pd_parse_ctx *ctx, GMimeStream *src, gboolean one_byte)
{
	const pd_parse_limits *lim = &ctx->opts->limits;
	/* Byte by byte (the tests' check), the head is read the way the parser
	 * reads; otherwise input in memory is looked at in place. */
	GMimeStream *reader = one_byte ? pd_guard_stream_new(src, TRUE) : g_object_ref(src);
	pd_head head;
	pd_cause head_cause;

	pd_head_read(&head, reader, !one_byte, lim);
	head_cause = ctx->cause = pd_head_check(&head, lim, &ctx->reason);
	if (lim->max_message_size > 0 && ctx->msg->size > lim->max_message_size)
		too_large(ctx, &head, head_cause);
	else if (head_cause == PD_CAUSE_NO_HEADERS)
		no_headers(ctx, &head, reader);
	else if (head_cause == PD_CAUSE_LIMIT)
		parse_headers_only(ctx, &head);
	else if (head_cause == PD_CAUSE_NONE)
		parse_full(ctx, &head, src, one_byte);
	pd_head_clear(&head);
	g_object_unref(reader);
}

pd_message *
pd_parse_stream(GMimeStream *src, guint64 size, const pd_parse_options *opts, gboolean one_byte,
                pd_cause *cause_r, char **reason_r)
{
	pd_parse_options defaults;
	pd_parse_ctx ctx = { 0 };

	if (opts == NULL) {
		pd_parse_options_init(&defaults);
		opts = &defaults;
	}
	ctx.opts = opts;
	ctx.msg = message_new(size);
	ctx.po = gmime_options_new(&ctx);
	parse_checked(&ctx, src, one_byte);
	if (ctx.cause == PD_CAUSE_NONE && ctx.msg->from == NULL) {
		ctx.cause = PD_CAUSE_NO_SENDER;
		ctx.reason = g_strdup("no sender address in From, Sender or Reply-To");
	}
	/* With nothing to split (no body part), the new text is the whole text. */
	if (ctx.msg->body_new == NULL)
		ctx.msg->body_new = g_strdup(ctx.msg->body);
	g_mime_parser_options_free(ctx.po);
	if (cause_r != NULL)
		*cause_r = ctx.cause;
	if (reason_r != NULL)
		*reason_r = ctx.reason;
	else
		g_free(ctx.reason);
	return ctx.msg;
}

pd_message *
pd_message_parse(const char *raw, gsize len, const pd_parse_options *opts, pd_cause *cause_r,
                 char **reason_r)
{
	GMimeStream *mem = g_mime_stream_mem_new_with_buffer(raw != NULL ? raw : "", raw != NULL ? len : 0);
	pd_message *msg = pd_parse_stream(mem, raw != NULL ? len : 0, opts, FALSE, cause_r, reason_r);

	g_object_unref(mem);
	return msg;
}

/* A file that cannot be read is quarantined rather than lost; the caller
 * (who wrote it a moment ago) knows better whether to retry. */
static pd_message *
unreadable(const char *path, const char *why, pd_cause *cause_r, char **reason_r)
{
	if (cause_r != NULL)
		*cause_r = PD_CAUSE_UNPARSABLE;
	if (reason_r != NULL)
		*reason_r = g_strdup_printf("cannot read %s: %s", path, why);
	return pd_message_parse("", 0, NULL, NULL, NULL);
}

/* A file this small is read whole, in one read of its known size: the
 * parser then seeks and reads in memory rather than making a dozen system
 * calls for each message. Larger files are streamed, so a huge attachment
 * never sits in memory. */
#define PD_PARSE_READ_WHOLE_MAX (1024 * 1024)

/* A thread's file buffer, kept between its messages while it is no larger
 * than this: a new one for each message was a large allocation, which also
 * makes malloc sort all its small free chunks. */
#define PD_PARSE_KEEP_BUFFER (256 * 1024)

static GPrivate spare_file = G_PRIVATE_INIT((GDestroyNotify)g_byte_array_unref);

/* The whole of fd (size bytes by fstat) in *bytes, or FALSE with errno
 * set. A file that grew since is read as far as size: the spool's files do
 * not change. */
static gboolean
read_whole(int fd, gsize size, GByteArray **bytes)
{
	GByteArray *buf = pd_spare_take(&spare_file, 0);
	gsize done = 0;

	g_byte_array_set_size(buf, (guint)size);
	while (done < size) {
		ssize_t n = read(fd, buf->data + done, size - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int saved = errno;

			g_byte_array_unref(buf);
			errno = saved;
			return FALSE;
		}
		if (n == 0)
			break;
		done += (gsize)n;
	}
	g_byte_array_set_size(buf, (guint)done);
	*bytes = buf;
	return TRUE;
}

pd_message *
pd_message_parse_file(const char *path, const pd_parse_options *opts, pd_cause *cause_r,
                      char **reason_r)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	GByteArray *whole = NULL;
	GMimeStream *stream;
	struct stat st;
	pd_message *msg;

	if (fd < 0)
		return unreadable(path, g_strerror(errno), cause_r, reason_r);
	if (fstat(fd, &st) < 0) {
		int saved = errno;

		close(fd);
		return unreadable(path, g_strerror(saved), cause_r, reason_r);
	}
	if (st.st_size <= PD_PARSE_READ_WHOLE_MAX) {
		if (!read_whole(fd, (gsize)st.st_size, &whole)) {
			int saved = errno;

			close(fd);
			return unreadable(path, g_strerror(saved), cause_r, reason_r);
		}
		close(fd);
		/* the stream borrows the buffer: nothing made from it outlives the parse */
		stream = g_mime_stream_mem_new();
		g_mime_stream_mem_set_byte_array(GMIME_STREAM_MEM(stream), whole);
	} else {
		stream = g_mime_stream_fs_new(fd);   /* owns fd now */
	}
	msg = pd_parse_stream(stream, (guint64)st.st_size, opts, FALSE, cause_r, reason_r);
	g_object_unref(stream);
	if (whole != NULL)
		pd_spare_give(&spare_file, whole, PD_PARSE_KEEP_BUFFER);
	return msg;
}
