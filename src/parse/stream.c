/* stream.c: two GMime streams of our own: the parser's input guard and the attachment sink. */
#include "parse-private.h"

#include <string.h>

/* ---- guard: the parser reads through it, and a hit limit cuts it ------ */

typedef struct {
	GMimeStream parent;
	GMimeStream *inner;
	gboolean one_byte;
	gboolean cut;
	pd_watch_fn watch;
	gpointer watch_data;
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
	if (n > 0 && g->watch != NULL)
		g->watch(g->watch_data, buf, (gsize)n);
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
pd_guard_stream_new(GMimeStream *inner, gboolean one_byte, pd_watch_fn watch, gpointer data)
{
	PdGuardStream *g = g_object_new(pd_guard_stream_get_type(), NULL);

	g->inner = g_object_ref(inner);
	g->one_byte = one_byte;
	g->watch = watch;
	g->watch_data = data;
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
