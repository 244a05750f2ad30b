/* stream.c: GMime streams of our own: the parser's input guard, the boundary fixer, and the attachment sink. */
#include "parse-private.h"

#include <string.h>

/* ---- guard: the parser reads through it, and a hit limit cuts it ------ */

typedef struct {
	GMimeStream parent;
	GMimeStream *inner;
	gboolean one_byte;
	gboolean cut;
} PdGuardStream;

typedef struct {
	GMimeStreamClass parent_class;
} PdGuardStreamClass;

GType pd_guard_stream_get_type(void);
G_DEFINE_TYPE(PdGuardStream, pd_guard_stream, GMIME_TYPE_STREAM)

#define GUARD(s) ((PdGuardStream *)(s))

static void
pd_guard_stream_init(PdGuardStream *self)
{
	(void)self;
}

static void
guard_finalize(GObject *obj)
{
	g_clear_object(&GUARD(obj)->inner);
	G_OBJECT_CLASS(pd_guard_stream_parent_class)->finalize(obj);
}

/* A cut stream ends here: the parser closes what it has and returns, so a
 * hostile message costs no more than the limit it broke. */
static ssize_t
guard_read(GMimeStream *stream, char *buf, size_t len)
{
	PdGuardStream *g = GUARD(stream);
	ssize_t n;

	if (g->cut)
		return 0;
	n = g_mime_stream_read(g->inner, buf, g->one_byte && len > 1 ? 1 : len);
	stream->position = g_mime_stream_tell(g->inner);
	return n;
}

static ssize_t
guard_write(GMimeStream *stream, const char *buf, size_t len)
{
	(void)stream;
	(void)buf;
	(void)len;
	return -1;
}

static int
guard_flush(GMimeStream *stream)
{
	(void)stream;
	return 0;
}

static int
guard_close(GMimeStream *stream)
{
	(void)stream;
	return 0;
}

static gboolean
guard_eos(GMimeStream *stream)
{
	return GUARD(stream)->cut || g_mime_stream_eos(GUARD(stream)->inner);
}

static int
guard_reset(GMimeStream *stream)
{
	int rc = g_mime_stream_reset(GUARD(stream)->inner);

	stream->position = g_mime_stream_tell(GUARD(stream)->inner);
	return rc;
}

static gint64
guard_seek(GMimeStream *stream, gint64 offset, GMimeSeekWhence whence)
{
	gint64 pos = g_mime_stream_seek(GUARD(stream)->inner, offset, whence);

	if (pos >= 0)
		stream->position = pos;
	return pos;
}

static gint64
guard_tell(GMimeStream *stream)
{
	return g_mime_stream_tell(GUARD(stream)->inner);
}

static gint64
guard_length(GMimeStream *stream)
{
	return g_mime_stream_length(GUARD(stream)->inner);
}

/* A substream made by inner's own class: g_mime_stream_substream() would
 * set its parent to inner and take a reference that the caller's
 * g_mime_stream_substream() then overwrites with its own, leaking inner
 * (and, for a file, its descriptor). The caller's reference to us keeps
 * inner alive for as long as the substream lives. */
static GMimeStream *
raw_substream(GMimeStream *inner, gint64 start, gint64 end)
{
	return GMIME_STREAM_GET_CLASS(inner)->substream(inner, start, end);
}

/* Part contents are read after the parse, for the body and attachments:
 * they come straight from the source, which is what keeps them out of
 * memory (GMime keeps offsets into a seekable stream, not copies). */
static GMimeStream *
guard_substream(GMimeStream *stream, gint64 start, gint64 end)
{
	return raw_substream(GUARD(stream)->inner, start, end);
}

static void
pd_guard_stream_class_init(PdGuardStreamClass *klass)
{
	GMimeStreamClass *sc = GMIME_STREAM_CLASS(klass);

	G_OBJECT_CLASS(klass)->finalize = guard_finalize;
	sc->read = guard_read;
	sc->write = guard_write;
	sc->flush = guard_flush;
	sc->close = guard_close;
	sc->eos = guard_eos;
	sc->reset = guard_reset;
	sc->seek = guard_seek;
	sc->tell = guard_tell;
	sc->length = guard_length;
	sc->substream = guard_substream;
}

GMimeStream *
pd_guard_stream_new(GMimeStream *inner, gboolean one_byte)
{
	PdGuardStream *g = g_object_new(pd_guard_stream_get_type(), NULL);

	g->inner = g_object_ref(inner);
	g->one_byte = one_byte;
	g_mime_stream_construct(GMIME_STREAM(g), inner->bound_start, inner->bound_end);
	GMIME_STREAM(g)->position = g_mime_stream_tell(inner);
	return GMIME_STREAM(g);
}

void
pd_guard_stream_cut(GMimeStream *guard)
{
	if (guard != NULL)
		GUARD(guard)->cut = TRUE;
}

/* ---- join: a prepared header block in memory, then the rest in place -- */

/* What GMime's cat stream does, with substreams of the tail taken in
 * place: a part's content is a range of the source file. */
typedef struct {
	GMimeStream parent;
	GBytes *head;        /* bytes before the tail */
	GMimeStream *tail;   /* the source from the end of its header block, bounded */
} PdJoinStream;

typedef struct {
	GMimeStreamClass parent_class;
} PdJoinStreamClass;

GType pd_join_stream_get_type(void);
G_DEFINE_TYPE(PdJoinStream, pd_join_stream, GMIME_TYPE_STREAM)

#define JOIN(s) ((PdJoinStream *)(s))

static void
pd_join_stream_init(PdJoinStream *self)
{
	(void)self;
}

static void
join_finalize(GObject *obj)
{
	g_bytes_unref(JOIN(obj)->head);
	g_clear_object(&JOIN(obj)->tail);
	G_OBJECT_CLASS(pd_join_stream_parent_class)->finalize(obj);
}

static gint64
head_length(GMimeStream *stream)
{
	return (gint64)g_bytes_get_size(JOIN(stream)->head);
}

static ssize_t
join_read(GMimeStream *stream, char *buf, size_t len)
{
	gint64 hlen = head_length(stream);
	ssize_t n;

	if (stream->position < hlen) {
		gsize avail = (gsize)(hlen - stream->position);
		const char *h = g_bytes_get_data(JOIN(stream)->head, NULL);

		n = (ssize_t)MIN(len, avail);
		memcpy(buf, h + stream->position, (gsize)n);
	} else {
		g_mime_stream_seek(JOIN(stream)->tail, JOIN(stream)->tail->bound_start + stream->position - hlen,
		                   GMIME_STREAM_SEEK_SET);
		n = g_mime_stream_read(JOIN(stream)->tail, buf, len);
	}
	if (n > 0)
		stream->position += n;
	return n;
}

static gint64
join_length(GMimeStream *stream)
{
	gint64 tail = g_mime_stream_length(JOIN(stream)->tail);

	return tail < 0 ? -1 : head_length(stream) + tail;
}

static gboolean
join_eos(GMimeStream *stream)
{
	gint64 len = join_length(stream);

	return len >= 0 && stream->position >= len;
}

static int
join_reset(GMimeStream *stream)
{
	stream->position = 0;
	return 0;
}

static gint64
join_seek(GMimeStream *stream, gint64 offset, GMimeSeekWhence whence)
{
	gint64 len = join_length(stream);
	gint64 pos = whence == GMIME_STREAM_SEEK_SET ? offset
	             : whence == GMIME_STREAM_SEEK_CUR ? stream->position + offset : len + offset;

	if (pos < 0 || (len >= 0 && pos > len))
		return -1;
	stream->position = pos;
	return pos;
}

static gint64
join_tell(GMimeStream *stream)
{
	return stream->position;
}

static GMimeStream *join_new(GBytes *head, GMimeStream *tail);

/* A range in the tail is a substream of the source: part contents are
 * read in place. One that starts in the head is a smaller join. */
static GMimeStream *
join_substream(GMimeStream *stream, gint64 start, gint64 end)
{
	PdJoinStream *j = JOIN(stream);
	gint64 hlen = head_length(stream), tb = j->tail->bound_start;
	gint64 tend = end < 0 ? j->tail->bound_end : tb + end - hlen;
	GBytes *head;
	GMimeStream *tail, *sub;

	if (start >= hlen)
		return raw_substream(j->tail, tb + start - hlen, tend);
	head = g_bytes_new_from_bytes(j->head, (gsize)start, (gsize)(MIN(end < 0 ? hlen : end, hlen) - start));
	tail = g_mime_stream_substream(j->tail, tb, end >= 0 && end <= hlen ? tb : tend);
	sub = join_new(head, tail);
	g_bytes_unref(head);
	g_object_unref(tail);
	return sub;
}

static void
pd_join_stream_class_init(PdJoinStreamClass *klass)
{
	GMimeStreamClass *sc = GMIME_STREAM_CLASS(klass);

	G_OBJECT_CLASS(klass)->finalize = join_finalize;
	sc->read = join_read;
	sc->write = guard_write;
	sc->flush = guard_flush;
	sc->close = guard_close;
	sc->eos = join_eos;
	sc->reset = join_reset;
	sc->seek = join_seek;
	sc->tell = join_tell;
	sc->length = join_length;
	sc->substream = join_substream;
}

static GMimeStream *
join_new(GBytes *head, GMimeStream *tail)
{
	PdJoinStream *j = g_object_new(pd_join_stream_get_type(), NULL);

	j->head = g_bytes_ref(head);
	j->tail = g_object_ref(tail);
	g_mime_stream_construct(GMIME_STREAM(j), 0, -1);
	return GMIME_STREAM(j);
}

GMimeStream *
pd_join_stream_new(GBytes *head, GMimeStream *src, gint64 from)
{
	GMimeStream *tail = g_mime_stream_substream(src, src->bound_start + from, src->bound_end);
	GMimeStream *j = join_new(head, tail);

	g_object_unref(tail);
	return j;
}

/* ---- boundary fixer: delimiter lines made plain for GMime ------------- */

/*
 * GMime takes a line as a delimiter when it is "--boundary" followed only
 * by white space, of the innermost open multipart or of any one around it,
 * and only when the line fits its 4 KB read buffer. Real mail breaks each
 * of these: text after the boundary ("--b This is ignored", which RFC 2046
 * says to accept: the boundary is compared with the beginning of the
 * line), boundaries of thousands of characters, and nested boundaries that
 * are prefixes of each other. This stream sits under the parser and
 * rewrites each delimiter line, keeping its length (so every offset, and
 * every part's content, which is read from the source, stays the same),
 * to what GMime reads the way postdesk means it:
 *  - a line beginning with "--" and the innermost open boundary delimits
 *    that multipart, whatever follows: the rest becomes spaces;
 *  - an enclosing boundary followed by white space or "--" ends the
 *    multiparts inside it, unless it is a prefix of the innermost
 *    boundary: then it is text ("--bou" inside "boundary"), and its "--"
 *    is broken so GMime does not take it;
 *  - a boundary longer than LONG_BOUNDARY is renamed in its Content-Type
 *    and its delimiter lines, padded with spaces.
 * Boundaries are learnt from the Content-Type fields the stream passes
 * (a multipart's field always comes before its delimiters).
 */

#define MAX_FIXED_LINE (64 * 1024)   /* longer lines pass unexamined */
#define LONG_BOUNDARY 1000           /* well under GMime's read buffer */
#define MAX_OPEN_BOUNDARIES 256      /* deeper is over the limits anyway */
#define FIXER_CHUNK 16384

typedef struct {
	char *name;
	gsize len;
	char *alias;    /* what GMime is told instead of a long name, or NULL */
} open_boundary;

typedef enum { FIELD_OTHER, FIELD_TYPE, FIELD_DISPOSITION } field_kind;

typedef struct {
	GMimeStream parent;
	GMimeStream *inner;
	GByteArray *buf;     /* read from inner; buf[0, head) is handed out */
	gsize head;
	gsize ready;         /* buf[head, ready) is examined, not yet handed out */
	gboolean midline;    /* ready ends inside a line too long to examine */
	gboolean inner_eof;
	GArray *open;        /* of open_boundary, innermost last */
	field_kind field;    /* the header field being read, by its first line */
	gboolean multipart;  /* ... a Content-Type that names a multipart */
	guint aliases;
	/* The census: where lines are, and what they counted. */
	gboolean in_headers; /* the lines are a header block */
	gboolean encloses;   /* ... of an entity whose body is a message */
	gboolean quoted;     /* the field has a quoted string open */
	guint params;        /* ... and this many parameters so far */
	pd_mime_census census;
	pd_census_fn notify;
	gpointer notify_data;
} PdBoundaryStream;

typedef struct {
	GMimeStreamClass parent_class;
} PdBoundaryStreamClass;

GType pd_boundary_stream_get_type(void);
G_DEFINE_TYPE(PdBoundaryStream, pd_boundary_stream, GMIME_TYPE_STREAM)

#define FIXER(s) ((PdBoundaryStream *)(s))

static void
open_boundary_clear(gpointer data)
{
	open_boundary *b = data;

	g_free(b->name);
	g_free(b->alias);
}

/* ---- memory in place, and buffers a thread keeps between messages ---- */

const guint8 *
pd_stream_memory(GMimeStream *stream, gsize *len)
{
	GByteArray *all;
	gint64 start, end;

	*len = 0;
	if (!GMIME_IS_STREAM_MEM(stream) ||
	    (all = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(stream))) == NULL || all->data == NULL)
		return NULL;
	end = stream->bound_end >= 0 ? MIN(stream->bound_end, (gint64)all->len) : (gint64)all->len;
	start = MIN(stream->bound_start, end);
	*len = (gsize)(end - start);
	return all->data + start;
}

GByteArray *
pd_spare_take(GPrivate *spare, gsize reserve)
{
	GByteArray *buf = g_private_get(spare);

	if (buf == NULL)
		return g_byte_array_sized_new((guint)reserve);
	g_private_set(spare, NULL);
	return buf;
}

void
pd_spare_give(GPrivate *spare, GByteArray *buf, gsize keep)
{
	if (buf->len <= keep && g_private_get(spare) == NULL) {
		g_byte_array_set_size(buf, 0);
		g_private_set(spare, buf);
	} else {
		g_byte_array_unref(buf);
	}
}

/* A thread's read buffer, kept between its messages: a new one each time
 * cost a large allocation and two reallocations per message. */
static GPrivate spare_buf = G_PRIVATE_INIT((GDestroyNotify)g_byte_array_unref);

static void
pd_boundary_stream_init(PdBoundaryStream *self)
{
	self->buf = pd_spare_take(&spare_buf, 2 * FIXER_CHUNK);
	self->open = g_array_new(FALSE, FALSE, sizeof(open_boundary));
	g_array_set_clear_func(self->open, open_boundary_clear);
}

static void
fixer_finalize(GObject *obj)
{
	g_clear_object(&FIXER(obj)->inner);
	/* It never grows past MAX_FIXED_LINE and a chunk: kept whatever it held. */
	pd_spare_give(&spare_buf, FIXER(obj)->buf, G_MAXSIZE);
	g_array_unref(FIXER(obj)->open);
	G_OBJECT_CLASS(pd_boundary_stream_parent_class)->finalize(obj);
}

/* A boundary parameter in line: remember it; rename it if it is long. */
static void
learn_boundary(PdBoundaryStream *f, char *line, gsize len)
{
	char *p = (char *)pd_text_find_ci(line, len, "boundary="), *v, *end = line + len;
	gsize n;
	open_boundary b = { 0 };

	if (p == NULL || f->open->len >= MAX_OPEN_BOUNDARIES)
		return;
	v = p + strlen("boundary=");
	if (v < end && *v == '"') {
		char *q = memchr(v + 1, '"', (gsize)(end - v - 1));

		if (q == NULL)
			return;
		b.name = g_strndup(v + 1, (gsize)(q - v - 1));
		n = (gsize)(q + 1 - v);
	} else {
		n = strcspn(v, "; \t\r\n");
		n = MIN(n, (gsize)(end - v));
		b.name = g_strndup(v, n);
	}
	b.len = strlen(b.name);
	if (b.len == 0) {
		g_free(b.name);
		return;
	}
	if (b.len > LONG_BOUNDARY) {
		char *quoted;

		b.alias = g_strdup_printf("=_pd-long-boundary-%u_=", ++f->aliases);
		quoted = g_strdup_printf("\"%s\"", b.alias);
		memset(v, ' ', n);
		memcpy(v, quoted, strlen(quoted));
		g_free(quoted);
	}
	g_array_append_val(f->open, b);
}

/* A line of a Content-Type field: one that names a multipart declares a
 * boundary, on its first line or a continuation. */
static void
watch_type(PdBoundaryStream *f, char *line, gsize len)
{
	f->multipart = f->multipart || pd_text_find_ci(line, len, "multipart") != NULL;
	if (f->multipart)
		learn_boundary(f, line, len);
}

static gboolean
blank_from(char *s, char *end)
{
	gboolean changed = FALSE;

	for (; s < end; s++) {
		if (*s != ' ' && *s != '\t') {
			*s = ' ';
			changed = TRUE;
		}
	}
	return changed;
}

typedef enum { LINE_TEXT, LINE_OPENS, LINE_CLOSES } line_kind;

/* line[0..len) (without its line end) delimits open boundary i: write it
 * as GMime must read it, and close what it closes. */
static line_kind
rewrite_delimiter(PdBoundaryStream *f, char *line, gsize len, guint i)
{
	open_boundary *b = &g_array_index(f->open, open_boundary, i);
	char *after = line + 2 + b->len, *end = line + len;
	gboolean close = end - after >= 2 && after[0] == '-' && after[1] == '-';

	if (close)
		after += 2;
	blank_from(after, end);
	if (b->alias != NULL) {
		gsize alen = strlen(b->alias);

		memset(line + 2, ' ', (gsize)(after - line - 2));
		memcpy(line + 2, b->alias, alen);
		if (close)
			memcpy(line + 2 + alen, "--", 2);
	}
	g_array_set_size(f->open, close ? i : i + 1);
	return close ? LINE_CLOSES : LINE_OPENS;
}

static line_kind
fix_delimiter(PdBoundaryStream *f, char *line, gsize len)
{
	open_boundary *top;

	if (len < 3 || line[0] != '-' || line[1] != '-' || f->open->len == 0)
		return LINE_TEXT;
	top = &g_array_index(f->open, open_boundary, f->open->len - 1);
	if (len - 2 >= top->len && memcmp(line + 2, top->name, top->len) == 0)
		return rewrite_delimiter(f, line, len, f->open->len - 1);
	for (guint i = f->open->len - 1; i-- > 0;) {
		open_boundary *b = &g_array_index(f->open, open_boundary, i);
		const char *after = line + 2 + b->len;

		if (len - 2 < b->len || memcmp(line + 2, b->name, b->len) != 0)
			continue;
		if (after < line + len && *after != ' ' && *after != '\t' && *after != '-')
			continue;
		if (after < line + len && *after == '-' && (after + 1 >= line + len || after[1] != '-'))
			continue;
		if (b->len < top->len && memcmp(top->name, b->name, b->len) == 0) {
			line[1] = ' ';   /* text, not a delimiter: see above */
			return LINE_TEXT;
		}
		return rewrite_delimiter(f, line, len, i);
	}
	return LINE_TEXT;
}

/* ---- the census: parts and parameters counted as the lines pass ------- */

/* The limits on parts and parameters are checked as the parser reads, so
 * a hostile message stops before GMime builds what it declares. Only
 * header blocks count: those of the message, of each part (after a
 * delimiter line), and of a message a part encloses; a body that merely
 * quotes header lines counts nothing. Each count stays at or under the
 * walk's after the parse, so no good mail is cut. */

static void
census_changed(PdBoundaryStream *f)
{
	if (f->notify != NULL)
		f->notify(f->notify_data, &f->census);
}

/* Parameters are the semicolons outside quoted strings, RFC 2231
 * sections each counted, on the field's first line and its continuations. */
static void
count_parameters(PdBoundaryStream *f, const char *p, const char *end)
{
	guint before = f->params;

	for (; p < end; p++) {
		if (*p == '\\' && f->quoted && p + 1 < end)
			p++;
		else if (*p == '"')
			f->quoted = !f->quoted;
		else if (*p == ';' && !f->quoted)
			f->params++;
	}
	if (f->params > before && f->params > f->census.params) {
		f->census.params = f->params;
		census_changed(f);
	}
}

/* A message/rfc822 (or rfc2822, global, news) body is parsed as a
 * message: its header block counts too. */
static gboolean
names_message(const char *line, gsize len)
{
	static const char *const subtypes[] = { "rfc822", "rfc2822", "global", "news" };
	const char *m = pd_text_find_ci(line, len, "message/");

	if (m == NULL)
		return FALSE;
	m += strlen("message/");
	for (guint i = 0; i < G_N_ELEMENTS(subtypes); i++) {
		gsize n = strlen(subtypes[i]);

		if ((gsize)(line + len - m) >= n && g_ascii_strncasecmp(m, subtypes[i], n) == 0 &&
		    ((gsize)(line + len - m) == n || !g_ascii_isalnum(m[n])))
			return TRUE;
	}
	return FALSE;
}

/* The first line of a header field: what it is. Content-Type fields
 * are watched for boundaries wherever they stand; in a header block, they
 * and Content-Disposition fields are counted. */
static void
field_begins(PdBoundaryStream *f, const char *line, gsize len)
{
	f->field = pd_text_has_prefix_ci(line, len, "content-type:")        ? FIELD_TYPE
	         : pd_text_has_prefix_ci(line, len, "content-disposition:") ? FIELD_DISPOSITION
	                                                            : FIELD_OTHER;
	f->multipart = FALSE;
	f->quoted = FALSE;
	f->params = 0;
	if (f->field == FIELD_TYPE && f->in_headers) {
		f->census.types++;
		census_changed(f);
		f->encloses = names_message(line, len);
	}
}

static void
fix_line(PdBoundaryStream *f, char *line, gsize len)
{
	gboolean first;
	line_kind kind;
	char c = len > 0 ? line[0] : '\n';

	/* Most lines are text outside a header block: with nothing a
	 * delimiter, a continuation or a Content-Type field starts with, they
	 * only end the field before them. */
	if (!f->in_headers && c != '-' && c != ' ' && c != '\t' && (c | 0x20) != 'c') {
		f->field = FIELD_OTHER;
		return;
	}
	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	if (len == 0) {
		f->field = FIELD_OTHER;
		/* The end of a header block: a body, or an enclosed message's
		 * own header block. */
		if (f->in_headers) {
			f->in_headers = f->encloses;
			f->encloses = FALSE;
		}
		return;
	}
	kind = line[0] == '-' ? fix_delimiter(f, line, len) : LINE_TEXT;
	if (kind != LINE_TEXT) {
		f->field = FIELD_OTHER;
		f->encloses = FALSE;
		f->in_headers = kind == LINE_OPENS;
		if (kind == LINE_OPENS) {
			f->census.parts++;
			census_changed(f);
		}
		return;
	}
	first = line[0] != ' ' && line[0] != '\t';
	if (first)
		field_begins(f, line, len);
	if (f->field == FIELD_TYPE)
		watch_type(f, line, len);
	if (f->field != FIELD_OTHER && f->in_headers) {
		const char *from = first ? (const char *)memchr(line, ':', len) + 1 : line;

		count_parameters(f, from, line + len);
	}
}

/* Examine one more line (or pass on a piece of one too long); FALSE at
 * the end of the input. */
static gboolean
fixer_advance(PdBoundaryStream *f)
{
	for (;;) {
		guint8 *start = f->buf->data + f->ready;
		gsize avail = f->buf->len - f->ready;
		guint8 *nl = avail > 0 ? memchr(start, '\n', avail) : NULL;
		guint old;
		ssize_t n;

		if (nl != NULL) {
			if (!f->midline)
				fix_line(f, (char *)start, (gsize)(nl + 1 - start));
			f->midline = FALSE;
			f->ready += (gsize)(nl + 1 - start);
			return TRUE;
		}
		if (f->inner_eof || avail >= MAX_FIXED_LINE) {
			if (avail == 0)
				return FALSE;
			if (f->inner_eof && !f->midline)
				fix_line(f, (char *)start, avail);
			f->midline = !f->inner_eof;
			f->ready = f->buf->len;
			return TRUE;
		}
		if (f->head > 0) {
			g_byte_array_remove_range(f->buf, 0, (guint)f->head);
			f->ready -= f->head;
			f->head = 0;
		}
		old = f->buf->len;
		g_byte_array_set_size(f->buf, old + FIXER_CHUNK);
		n = g_mime_stream_read(f->inner, (char *)f->buf->data + old, FIXER_CHUNK);
		g_byte_array_set_size(f->buf, old + (n > 0 ? (guint)n : 0));
		f->inner_eof = n <= 0;
	}
}

static ssize_t
fixer_read(GMimeStream *stream, char *buf, size_t len)
{
	PdBoundaryStream *f = FIXER(stream);
	gsize n;

	while (f->ready - f->head < len && fixer_advance(f))
		;
	n = MIN(len, f->ready - f->head);
	memcpy(buf, f->buf->data + f->head, n);
	f->head += n;
	if (f->head == f->buf->len) {
		g_byte_array_set_size(f->buf, 0);
		f->head = f->ready = 0;
	}
	stream->position += (gint64)n;
	return (ssize_t)n;
}

static gboolean
fixer_eos(GMimeStream *stream)
{
	PdBoundaryStream *f = FIXER(stream);

	return f->head == f->buf->len && (f->inner_eof || g_mime_stream_eos(f->inner));
}

static void
fixer_drop(PdBoundaryStream *f)
{
	g_byte_array_set_size(f->buf, 0);
	f->head = f->ready = 0;
	f->midline = FALSE;
	f->inner_eof = FALSE;
}

static int
fixer_reset(GMimeStream *stream)
{
	int rc = g_mime_stream_reset(FIXER(stream)->inner);

	fixer_drop(FIXER(stream));
	stream->position = g_mime_stream_tell(FIXER(stream)->inner);
	return rc;
}

static gint64
fixer_seek(GMimeStream *stream, gint64 offset, GMimeSeekWhence whence)
{
	PdBoundaryStream *f = FIXER(stream);
	gint64 pos;

	if (whence == GMIME_STREAM_SEEK_CUR) {
		offset += stream->position;
		whence = GMIME_STREAM_SEEK_SET;
	}
	pos = g_mime_stream_seek(f->inner, offset, whence);
	if (pos >= 0) {
		fixer_drop(f);
		stream->position = pos;
	}
	return pos;
}

static gint64
fixer_tell(GMimeStream *stream)
{
	return stream->position;
}

static gint64
fixer_length(GMimeStream *stream)
{
	return g_mime_stream_length(FIXER(stream)->inner);
}

/* Contents come from the source as it is. */
static GMimeStream *
fixer_substream(GMimeStream *stream, gint64 start, gint64 end)
{
	return raw_substream(FIXER(stream)->inner, start, end);
}

static void
pd_boundary_stream_class_init(PdBoundaryStreamClass *klass)
{
	GMimeStreamClass *sc = GMIME_STREAM_CLASS(klass);

	G_OBJECT_CLASS(klass)->finalize = fixer_finalize;
	sc->read = fixer_read;
	sc->write = guard_write;
	sc->flush = guard_flush;
	sc->close = guard_close;
	sc->eos = fixer_eos;
	sc->reset = fixer_reset;
	sc->seek = fixer_seek;
	sc->tell = fixer_tell;
	sc->length = fixer_length;
	sc->substream = fixer_substream;
}

GMimeStream *
pd_boundary_stream_new(GMimeStream *inner, pd_census_fn notify, gpointer data)
{
	PdBoundaryStream *f = g_object_new(pd_boundary_stream_get_type(), NULL);

	f->inner = g_object_ref(inner);
	f->in_headers = TRUE;
	f->notify = notify;
	f->notify_data = data;
	g_mime_stream_construct(GMIME_STREAM(f), inner->bound_start, inner->bound_end);
	GMIME_STREAM(f)->position = g_mime_stream_tell(inner);
	return GMIME_STREAM(f);
}

/* ---- sink: decoded attachment bytes to the attachment sink ------------ */

typedef struct {
	GMimeStream parent;
	const pd_attachment_sink *sink;
	gpointer handle;
	guint64 written;
	gboolean failed;
} PdSinkStream;

typedef struct {
	GMimeStreamClass parent_class;
} PdSinkStreamClass;

GType pd_sink_stream_get_type(void);
G_DEFINE_TYPE(PdSinkStream, pd_sink_stream, GMIME_TYPE_STREAM)

#define SINK(s) ((PdSinkStream *)(s))

static void
pd_sink_stream_init(PdSinkStream *self)
{
	(void)self;
}

static ssize_t
sink_read(GMimeStream *stream, char *buf, size_t len)
{
	(void)stream;
	(void)buf;
	(void)len;
	return -1;
}

/* A failing sink (disk full) makes the write fail, which stops GMime
 * decoding the rest of a part nobody can store. */
static ssize_t
sink_write(GMimeStream *stream, const char *buf, size_t len)
{
	PdSinkStream *s = SINK(stream);

	if (s->failed)
		return -1;
	if (s->sink != NULL && !s->sink->write(s->handle, buf, len, NULL)) {
		s->failed = TRUE;
		return -1;
	}
	s->written += len;
	stream->position += (gint64)len;
	return (ssize_t)len;
}

static int
sink_flush(GMimeStream *stream)
{
	(void)stream;
	return 0;
}

static gboolean
sink_eos(GMimeStream *stream)
{
	(void)stream;
	return TRUE;
}

static int
sink_reset(GMimeStream *stream)
{
	(void)stream;
	return -1;
}

static gint64
sink_seek(GMimeStream *stream, gint64 offset, GMimeSeekWhence whence)
{
	(void)stream;
	(void)offset;
	(void)whence;
	return -1;
}

static gint64
sink_tell(GMimeStream *stream)
{
	return stream->position;
}

static gint64
sink_length(GMimeStream *stream)
{
	return (gint64)SINK(stream)->written;
}

static GMimeStream *
sink_substream(GMimeStream *stream, gint64 start, gint64 end)
{
	(void)stream;
	(void)start;
	(void)end;
	return NULL;
}

static void
pd_sink_stream_class_init(PdSinkStreamClass *klass)
{
	GMimeStreamClass *sc = GMIME_STREAM_CLASS(klass);

	sc->read = sink_read;
	sc->write = sink_write;
	sc->flush = sink_flush;
	sc->close = sink_flush;
	sc->eos = sink_eos;
	sc->reset = sink_reset;
	sc->seek = sink_seek;
	sc->tell = sink_tell;
	sc->length = sink_length;
	sc->substream = sink_substream;
}

GMimeStream *
pd_sink_stream_new(const pd_attachment_sink *sink, gpointer handle)
{
	PdSinkStream *s = g_object_new(pd_sink_stream_get_type(), NULL);

	s->sink = sink;
	s->handle = handle;
	g_mime_stream_construct(GMIME_STREAM(s), 0, -1);
	return GMIME_STREAM(s);
}

guint64
pd_sink_stream_written(GMimeStream *stream)
{
	return SINK(stream)->written;
}

gboolean
pd_sink_stream_failed(GMimeStream *stream)
{
	return SINK(stream)->failed;
}
