/* simple.c: the MIME structure of the commonest mail read without GMime: one text part, or a multipart/alternative of text parts. */
#include "parse-private.h"

#include <string.h>

/*
 * Most mail is one text/plain part, or a multipart/alternative of a
 * text/plain and a text/html part. For such a message GMime's tree (a
 * dozen objects for each part, built and freed) costs more than all the
 * rest of the parse, and says nothing the header blocks do not. This
 * reader takes a message in memory whose structure it can read without
 * doubt, and hands the same text parts to the same body code
 * (pd_mime_fill_body) as the walk of GMime's tree would; anything else it
 * leaves to GMime, changing nothing:
 *  - header fields of the simplest syntax: Content-Type with type,
 *    subtype and the parameters charset, format, delsp, reply-type and
 *    boundary, as tokens or quoted strings without escapes, encoded words
 *    or 8-bit bytes; a Content-Transfer-Encoding GMime knows; only
 *    Content-Language and Content-Description besides (no disposition,
 *    file name or Content-ID, which could make a part an attachment);
 *  - delimiter lines that are exactly "--boundary" or "--boundary--" with
 *    white space after, and no other line beginning with "--boundary";
 *  - no line outside the header blocks read here that starts a
 *    Content-Type field (the boundary fixer would learn from it), no NUL
 *    in a header block, and nothing near a limit.
 * The tests hold its reading to GMime's: the same result for every
 * message of the corpora and the fuzz target's inputs, with and without it.
 */

#define SIMPLE_MAX_CHILDREN 8
#define SIMPLE_MAX_BOUNDARY 200

typedef enum { CT_PLAIN, CT_HTML, CT_ALTERNATIVE } simple_type;

/* Zeroed, a header says text/plain in the default encoding, the
 * message's when it has no Content-* fields. */
G_STATIC_ASSERT(CT_PLAIN == 0 && GMIME_CONTENT_ENCODING_DEFAULT == 0);

typedef struct {
	simple_type type;
	char *charset;
	char *boundary;
	GMimeContentEncoding encoding;
	gboolean have_type, have_encoding;
	guint fields;        /* in the header block */
	guint params;        /* the most of one field, as the census counts them */
} simple_head;

static void
simple_head_clear(simple_head *h)
{
	g_clear_pointer(&h->charset, g_free);
	g_clear_pointer(&h->boundary, g_free);
}

static gboolean
equal_ci(const char *s, gsize len, const char *word)
{
	return len == strlen(word) && g_ascii_strncasecmp(s, word, len) == 0;
}

static gboolean
is_wsp(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* RFC 2045's token characters: printable ASCII but the tspecials. */
static gboolean
is_token(char c)
{
	switch (c) {
	case '(': case ')': case '<': case '>': case '@': case ',': case ';': case ':':
	case '\\': case '"': case '/': case '[': case ']': case '?': case '=':
		return FALSE;
	default:
		return c > ' ' && c < 0x7f;
	}
}

static const char *
skip_wsp(const char *p, const char *end)
{
	while (p < end && is_wsp(*p))
		p++;
	return p;
}

static const char *
token_end(const char *p, const char *end)
{
	while (p < end && is_token(*p))
		p++;
	return p;
}

/* Bytes a field may hold: printable ASCII, tabs, and line ends that fold. */
static gboolean
plain_bytes(const char *p, const char *end)
{
	for (; p < end; p++) {
		guchar c = (guchar)*p;

		if (c >= 0x7f || (c < ' ' && c != '\t' && c != '\n' && !(c == '\r' && p + 1 < end && p[1] == '\n')))
			return FALSE;
	}
	return TRUE;
}

/* Semicolons outside quoted strings: the census's count of parameters. */
static guint
count_params(const char *p, const char *end)
{
	gboolean quoted = FALSE;
	guint n = 0;

	for (; p < end; p++) {
		if (*p == '"')
			quoted = !quoted;
		else if (*p == ';' && !quoted)
			n++;
	}
	return n;
}

/* "type/subtype; a=b; c=\"d\"" of the simplest syntax into h. */
static gboolean
content_type(simple_head *h, const char *p, const char *end)
{
	static const char *const known[] = { "charset", "format", "delsp", "reply-type", "boundary" };
	const char *value = p, *t = skip_wsp(p, end), *te = token_end(t, end), *s, *se;
	guint seen = 0;

	if (te == t || te == end || *te != '/')
		return FALSE;
	s = te + 1;
	se = token_end(s, end);
	if (se == s)
		return FALSE;
	if (equal_ci(t, (gsize)(te - t), "text") && equal_ci(s, (gsize)(se - s), "plain"))
		h->type = CT_PLAIN;
	else if (equal_ci(t, (gsize)(te - t), "text") && equal_ci(s, (gsize)(se - s), "html"))
		h->type = CT_HTML;
	else if (equal_ci(t, (gsize)(te - t), "multipart") && equal_ci(s, (gsize)(se - s), "alternative"))
		h->type = CT_ALTERNATIVE;
	else
		return FALSE;
	for (p = skip_wsp(se, end); p < end; p = skip_wsp(p, end)) {
		const char *a, *ae, *v, *ve;
		guint k;

		if (*p != ';')
			return FALSE;
		a = skip_wsp(p + 1, end);
		if (a == end)
			break;   /* a trailing semicolon */
		ae = token_end(a, end);
		if (ae == end || *ae != '=')
			return FALSE;
		for (k = 0; k < G_N_ELEMENTS(known) && !equal_ci(a, (gsize)(ae - a), known[k]); k++)
			;
		if (k == G_N_ELEMENTS(known) || (seen & (1u << k)) != 0)
			return FALSE;
		seen |= 1u << k;
		v = ae + 1;
		if (v < end && *v == '"') {
			v++;
			for (ve = v; ve < end && *ve != '"' && *ve != '\\' && *ve >= ' '; ve++)
				;
			if (ve == end || *ve != '"')
				return FALSE;
			p = ve + 1;
		} else {
			ve = token_end(v, end);
			p = ve;
		}
		/* no encoded words; and the boundary fixer takes the first
		 * "boundary=" of a line for the boundary: only the parameter */
		if (ve == v || g_strstr_len(v, ve - v, "=?") != NULL || pd_text_find_ci(v, (gsize)(ve - v), "boundary="))
			return FALSE;
		if (k == 0)
			h->charset = g_strndup(v, (gsize)(ve - v));
		else if (k == 4)
			h->boundary = g_strndup(v, (gsize)(ve - v));
	}
	if (h->type == CT_ALTERNATIVE)
		return h->boundary != NULL && strlen(h->boundary) <= SIMPLE_MAX_BOUNDARY;
	/* the boundary fixer would learn it after any "multipart" */
	return h->boundary == NULL && pd_text_find_ci(value, (gsize)(end - value), "multipart") == NULL;
}

static gboolean
transfer_encoding(simple_head *h, const char *p, const char *end)
{
	static const struct {
		const char *name;
		GMimeContentEncoding encoding;
	} known[] = {
		{ "7bit", GMIME_CONTENT_ENCODING_7BIT },
		{ "8bit", GMIME_CONTENT_ENCODING_8BIT },
		{ "binary", GMIME_CONTENT_ENCODING_BINARY },
		{ "base64", GMIME_CONTENT_ENCODING_BASE64 },
		{ "quoted-printable", GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE },
	};

	p = skip_wsp(p, end);
	while (end > p && is_wsp(end[-1]))
		end--;
	for (guint i = 0; i < G_N_ELEMENTS(known); i++) {
		if (equal_ci(p, (gsize)(end - p), known[i].name)) {
			h->encoding = known[i].encoding;
			return TRUE;
		}
	}
	return FALSE;
}

/* The end of the line at p (after its LF), or end. */
static const char *
line_end(const char *p, const char *end)
{
	const char *nl = memchr(p, '\n', (gsize)(end - p));

	return nl != NULL ? nl + 1 : end;
}

/* The Content-* fields at *p_r, up to a blank line or end, into h; *p_r
 * is left there. FALSE: not simple. */
static gboolean
read_fields(simple_head *h, const char **p_r, const char *end)
{
	const char *p = *p_r;

	while (p < end && !pd_text_is_blank_line(p, (gsize)(end - p))) {
		const char *name = p, *colon, *fend = line_end(p, end);
		gboolean blank_continuation = FALSE;
		gsize nlen;

		if (*p == ' ' || *p == '\t')
			return FALSE;   /* a continuation with no field before it */
		while (fend < end && (*fend == ' ' || *fend == '\t')) {
			const char *next = line_end(fend, end);

			blank_continuation = blank_continuation || skip_wsp(fend, next) == next;
			fend = next;
		}
		p = fend;
		colon = memchr(name, ':', (gsize)(fend - name));
		if (colon == NULL || colon == name)
			return FALSE;
		nlen = (gsize)(colon - name);
		for (gsize i = 0; i < nlen; i++)
			if (name[i] <= ' ' || name[i] >= 0x7f)
				return FALSE;
		/* white space alone on a line: a fold, or the end of the block? */
		if (blank_continuation || !plain_bytes(colon + 1, fend))
			return FALSE;
		h->fields++;
		h->params = MAX(h->params, count_params(colon + 1, fend));
		if (equal_ci(name, nlen, "content-type")) {
			if (h->have_type || !content_type(h, colon + 1, fend))
				return FALSE;
			h->have_type = TRUE;
		} else if (equal_ci(name, nlen, "content-transfer-encoding")) {
			if (h->have_encoding || !transfer_encoding(h, colon + 1, fend))
				return FALSE;
			h->have_encoding = TRUE;
		} else if (!equal_ci(name, nlen, "content-language") && !equal_ci(name, nlen, "content-description")) {
			return FALSE;
		}
	}
	*p_r = p;
	return TRUE;
}

/* A part's header block at p into h; *body_r is where its body begins. A
 * part says what it is: only the message may leave its type to the default. */
static gboolean
part_header(simple_head *h, const char *p, const char *end, const char **body_r)
{
	if (!read_fields(h, &p, end) || p == end || !h->have_type)
		return FALSE;   /* not simple, no blank line, or no type */
	*body_r = line_end(p, end);
	return TRUE;
}

/* The message's own Content-* fields: those the head kept for GMime, the
 * ranges between the fields it dropped (input.c), the last of them ending
 * in the blank line. */
static gboolean
message_header(simple_head *h, const pd_head *head)
{
	const char *data = head->mem, *p = data;

	for (guint i = 0; head->drop != NULL && i < head->drop->len; i += 2) {
		const char *kept_end = data + g_array_index(head->drop, gsize, i);

		if (!read_fields(h, &p, kept_end) || p != kept_end)
			return FALSE;
		p = data + g_array_index(head->drop, gsize, i + 1);
	}
	return read_fields(h, &p, data + head->end);
}

/* A line that starts a Content-Type field: the boundary fixer reads one
 * wherever it stands, so it must not stand in a body read here. */
static gboolean
starts_content_type(const char *p, const char *lend)
{
	/* most lines differ in the first byte: no call for them */
	return (*p | 0x20) == 'c' && pd_text_has_prefix_ci(p, (gsize)(lend - p), "content-type");
}

/* Whether any line of [p, end) does. */
static gboolean
names_content_type(const char *p, const char *end)
{
	while (p < end) {
		const char *lend = line_end(p, end);

		if (starts_content_type(p, lend))
			return TRUE;
		p = lend;
	}
	return FALSE;
}

/* Whether the line [p, lend) ends in CR LF, or at the end of the input in CR. */
static gboolean
ends_in_crlf(const char *p, const char *lend)
{
	if (lend > p && lend[-1] == '\n')
		lend--;
	return lend > p && lend[-1] == '\r';
}

/* What a line is to the multipart with boundary b. */
typedef enum { LINE_TEXT, LINE_OPENS, LINE_CLOSES, LINE_DOUBT } line_kind;

static line_kind
line_kind_of(const char *p, const char *lend, const char *b, gsize blen)
{
	gboolean close;

	if (lend - p < 2 || p[0] != '-' || p[1] != '-')
		return starts_content_type(p, lend) ? LINE_DOUBT : LINE_TEXT;
	if ((gsize)(lend - p) < 2 + blen || memcmp(p + 2, b, blen) != 0)
		return LINE_TEXT;
	p += 2 + blen;
	close = lend - p >= 2 && p[0] == '-' && p[1] == '-';
	if (close)
		p += 2;
	while (p < lend && (*p == ' ' || *p == '\t'))
		p++;
	if (p < lend && *p == '\r')
		p++;
	if (p < lend && *p != '\n')
		return LINE_DOUBT;
	return close ? LINE_CLOSES : LINE_OPENS;
}

static pd_leaf *
leaf_new(simple_head *h, const char *data, gsize len)
{
	pd_leaf *leaf = g_new0(pd_leaf, 1);

	leaf->data = (const guint8 *)data;
	leaf->len = len;
	leaf->encoding = h->encoding;
	leaf->charset = g_steal_pointer(&h->charset);
	leaf->html = h->type == CT_HTML;
	return leaf;
}

/* Within the limits, with room: the walk and the census would stop nothing.
 * (The message's own header block passed them whole before.) */
static gboolean
within_limits(const pd_parse_limits *lim, const simple_head *h, gsize block_bytes)
{
	return (lim->max_mime_parameters == 0 || h->params <= lim->max_mime_parameters) &&
	       (lim->max_header_count == 0 || h->fields <= lim->max_header_count) &&
	       (lim->max_header_size == 0 || block_bytes + 2 * (gsize)h->fields <= lim->max_header_size);
}

/* The parts of a multipart/alternative whose body is [p, end): each a text
 * part, their contents in memory. */
static gboolean
alternative_parts(pd_parse_ctx *ctx, const char *boundary, const char *p, const char *end,
                  pd_body_parts *b)
{
	const pd_parse_limits *lim = &ctx->opts->limits;
	gsize blen = strlen(boundary);
	const char *part = NULL;   /* the body of the part being read */
	simple_head h = { 0 };
	guint n = 0;
	line_kind k = LINE_TEXT;

	while (p < end && k != LINE_CLOSES) {
		const char *lend = line_end(p, end);

		k = line_kind_of(p, lend, boundary, blen);
		if (k == LINE_DOUBT) {
			simple_head_clear(&h);
			return FALSE;
		}
		if (k == LINE_TEXT) {
			p = lend;
			continue;
		}
		if (part != NULL) {
			/* The line end before a delimiter belongs to it, as GMime
			 * counts it: two bytes when the delimiter line itself ends
			 * in CR LF, else one, whatever the line before ends in. */
			gsize len = (gsize)(p - part), strip = ends_in_crlf(p, lend) ? 2 : 1;

			if (len > 0 && len < strip) {
				simple_head_clear(&h);
				return FALSE;
			}
			len -= len > 0 ? strip : 0;
			pd_body_parts_add(b, leaf_new(&h, part, len), FALSE);
			simple_head_clear(&h);
			part = NULL;
		}
		if (k == LINE_OPENS) {
			const char *body;

			memset(&h, 0, sizeof h);
			if (++n > SIMPLE_MAX_CHILDREN || !part_header(&h, lend, end, &body) ||
			    h.type == CT_ALTERNATIVE || !within_limits(lim, &h, (gsize)(body - lend))) {
				simple_head_clear(&h);
				return FALSE;
			}
			part = body;
			lend = body;
		}
		p = lend;
	}
	simple_head_clear(&h);   /* a part left open */
	/* Closed, children only, nothing after it that the fixer would read. */
	return k == LINE_CLOSES && part == NULL && n > 0 && !names_content_type(p, end) &&
	       (lim->max_mime_parts == 0 || n + 1 <= lim->max_mime_parts);
}

/* The alternative a reader sees: its first plain text, else its first
 * HTML (mime.c's alternative_choice, for text parts only); the first HTML
 * is body_html, shown or not. */
static void
choose_alternative(pd_body_parts *b)
{
	guint choice = 0;

	while (choice < b->all->len && ((pd_leaf *)b->all->pdata[choice])->html)
		choice++;
	if (choice == b->all->len)
		choice = 0;
	g_ptr_array_add(b->shown, b->all->pdata[choice]);
}

gboolean
pd_simple_parts(pd_parse_ctx *ctx, const pd_head *head, pd_body_parts *b)
{
	const pd_parse_limits *lim = &ctx->opts->limits;
	const char *data = head->mem, *end = head->mem + head->mem_len, *body = data + head->end;
	simple_head h = { 0 };
	gboolean ok;

	if (data == NULL || head->skip != 0 || !head->found_end || !head->blank || head->gap ||
	    memchr(data, '\0', head->end) != NULL)
		return FALSE;
	if (!message_header(&h, head) || !within_limits(lim, &h, 0)) {
		simple_head_clear(&h);
		return FALSE;
	}
	pd_body_parts_init(b);
	if (h.type == CT_ALTERNATIVE) {
		ok = alternative_parts(ctx, h.boundary, body, end, b);
		if (ok)
			choose_alternative(b);
	} else {
		ok = !names_content_type(body, end);
		if (ok)
			pd_body_parts_add(b, leaf_new(&h, body, (gsize)(end - body)), TRUE);
	}
	simple_head_clear(&h);
	if (!ok)
		pd_body_parts_clear(b);
	return ok;
}
