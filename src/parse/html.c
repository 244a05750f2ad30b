/* html.c: HTML mail to readable text with libxml2's HTML parser, and the new text of an HTML reply. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include "parse/html.h"
#include "parse/reply.h"

#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdlib.h>
#include <string.h>

/*
 * The document is walked in document order without recursion: from a node
 * to its first child, else to its next sibling, else up through its parents.
 * Elements that change the layout push a frame when entered and pop it when
 * left. Elements deeper than PD_HTML_MAX_DEPTH push nothing and are read as
 * plain containers, so hostile nesting costs neither stack nor frames.
 *
 * The writer owes line breaks lazily: a block asks for one (or two for a
 * paragraph) and they are written only before the next visible text, so
 * empty blocks and runs of breaks collapse to at most one blank line.
 */

/* Elements nested deeper than this lose their layout but keep their text. */
#define PD_HTML_MAX_DEPTH 256
/* Quote marks written at most this deep (">>>>" ...). */
#define PD_HTML_MAX_QUOTE 16
/* List nesting indented at most this deep. */
#define PD_HTML_MAX_INDENT 8
/* Output cap: PD_HTML_OUT_FACTOR x input + PD_HTML_OUT_SLACK bytes. */
#define PD_HTML_OUT_FACTOR 4
#define PD_HTML_OUT_SLACK (1024 * 1024)
/* Link targets longer than this (tracking redirects, data: URLs) are not shown. */
#define PD_HTML_MAX_URL 2048
/* Enough of a marked block's text to see whether it is a forward or a header. */
#define PD_HTML_PEEK 4096

/* ---- elements --------------------------------------------------------------- */

typedef enum {
	EL_INLINE = 0,  /* no layout of its own */
	EL_SKIP,        /* never shown: script, style, head, ... */
	EL_LINE,        /* a block on lines of its own */
	EL_PARA,        /* a block set off by blank lines */
	EL_BR,
	EL_HR,
	EL_LIST,        /* ul, ol, menu, dir */
	EL_ITEM,        /* li */
	EL_PRE,
	EL_QUOTE,       /* blockquote */
	EL_ROW,         /* tr */
	EL_CELL,        /* td, th */
	EL_LINK,        /* a */
	EL_IMG,
} el_kind;

/* Sorted by name for bsearch; libxml2 gives HTML element names in lowercase. */
static const struct element {
	const char *name;
	el_kind kind;
} elements[] = {
	{ "a", EL_LINK }, { "address", EL_LINE }, { "applet", EL_SKIP }, { "article", EL_LINE },
	{ "aside", EL_LINE }, { "audio", EL_SKIP }, { "blockquote", EL_QUOTE }, { "br", EL_BR },
	{ "canvas", EL_SKIP }, { "caption", EL_LINE }, { "center", EL_LINE }, { "dd", EL_LINE },
	{ "details", EL_LINE }, { "dialog", EL_LINE }, { "dir", EL_LIST }, { "div", EL_LINE },
	{ "dl", EL_PARA }, { "dt", EL_LINE }, { "embed", EL_SKIP }, { "fieldset", EL_LINE },
	{ "figcaption", EL_LINE }, { "figure", EL_PARA }, { "footer", EL_LINE }, { "form", EL_LINE },
	{ "frame", EL_SKIP }, { "frameset", EL_SKIP }, { "h1", EL_PARA }, { "h2", EL_PARA },
	{ "h3", EL_PARA }, { "h4", EL_PARA }, { "h5", EL_PARA }, { "h6", EL_PARA },
	{ "head", EL_SKIP }, { "header", EL_LINE }, { "hr", EL_HR }, { "iframe", EL_SKIP },
	{ "img", EL_IMG }, { "legend", EL_LINE }, { "li", EL_ITEM }, { "listing", EL_PRE },
	{ "main", EL_LINE }, { "menu", EL_LIST }, { "meta", EL_SKIP }, { "nav", EL_LINE },
	{ "object", EL_SKIP }, { "ol", EL_LIST }, { "p", EL_PARA }, { "param", EL_SKIP },
	{ "plaintext", EL_PRE }, { "pre", EL_PRE }, { "script", EL_SKIP }, { "section", EL_LINE },
	{ "select", EL_SKIP }, { "source", EL_SKIP }, { "style", EL_SKIP }, { "summary", EL_LINE },
	{ "svg", EL_SKIP }, { "table", EL_LINE }, { "td", EL_CELL }, { "template", EL_SKIP },
	{ "th", EL_CELL }, { "title", EL_SKIP }, { "tr", EL_ROW }, { "track", EL_SKIP },
	{ "ul", EL_LIST }, { "video", EL_SKIP }, { "xml", EL_SKIP }, { "xmp", EL_PRE },
};

static int
element_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct element *) elem)->name);
}

static el_kind
element_kind(const xmlNode *n)
{
	const struct element *e;

	if (n->name == NULL)
		return EL_INLINE;
	e = bsearch(n->name, elements, G_N_ELEMENTS(elements), sizeof elements[0], element_cmp);
	return e != NULL ? e->kind : EL_INLINE;
}

/* An attribute as a g_malloc'd string, or NULL. */
static char *
attr(const xmlNode *n, const char *name)
{
	xmlChar *v = xmlGetProp(n, (const xmlChar *) name);
	char *s;

	if (v == NULL)
		return NULL;
	s = g_strdup((const char *) v);
	xmlFree(v);
	return s;
}

/* The style attribute lowercased without white space, "" when absent. */
static char *
style_of(const xmlNode *n)
{
	char *style = attr(n, "style");
	char *out, *o;

	if (style == NULL)
		return g_strdup("");
	out = o = g_ascii_strdown(style, -1);
	for (const char *p = out; *p != '\0'; p++)
		if (!g_ascii_isspace(*p))
			*o++ = *p;
	*o = '\0';
	g_free(style);
	return out;
}

/* Hidden from the reader: preheaders and tracking blocks. */
static gboolean
is_hidden(const xmlNode *n)
{
	char *style;
	gboolean hidden;

	if (xmlHasProp(n, (const xmlChar *) "hidden") != NULL)
		return TRUE;
	if (xmlHasProp(n, (const xmlChar *) "style") == NULL)
		return FALSE;
	style = style_of(n);
	hidden = strstr(style, "display:none") != NULL || strstr(style, "mso-hide:all") != NULL;
	g_free(style);
	return hidden;
}

/* Whether the space-separated list (a class attribute) holds word. */
static gboolean
has_word(const char *list, const char *word)
{
	gsize n = strlen(word);

	for (const char *p = list; p != NULL && *p != '\0';) {
		gsize len;

		p += strspn(p, " \t\r\n\f");
		len = strcspn(p, " \t\r\n\f");
		if (len == n && strncmp(p, word, n) == 0)
			return TRUE;
		p += len;
	}
	return FALSE;
}

/* ---- the writer ---------------------------------------------------------------- */

typedef struct {
	xmlNode *node;
	el_kind kind;
	gsize start;     /* links: output length when the link opened */
	long number;     /* ordered lists: the next item's number; 0 for bullets */
	gboolean cell;   /* rows: a cell has begun already */
} frame;

typedef struct {
	GString *out;
	gsize cap;
	gboolean full;      /* the cap was reached: nothing more is written */
	int nl;             /* line breaks owed before the next text: 0, 1 or 2 */
	int nl_quote;       /* the shallowest quote depth since they were owed: a blank
	                     * line next to a blockquote belongs to the outer text */
	gboolean bol;       /* at the beginning of a line, its quote marks not written */
	gboolean space;     /* a collapsed white space owed */
	gboolean tab;       /* a table cell separator owed */
	int quote;          /* blockquote depth */
	int pre;            /* <pre> depth: white space is kept */
	char marker[48];    /* a list item marker owed before the item's first text */
	GArray *frames;     /* of frame */
} writer;

static void
writer_init(writer *w, gsize cap)
{
	memset(w, 0, sizeof *w);
	w->out = g_string_sized_new(MIN(cap, 64 * 1024));
	w->cap = cap;
	w->bol = TRUE;
	w->frames = g_array_new(FALSE, TRUE, sizeof(frame));
}

static void
put(writer *w, const char *s, gsize len)
{
	if (w->full || len == 0)
		return;
	if (w->out->len + len > w->cap) {
		w->full = TRUE;
		return;
	}
	g_string_append_len(w->out, s, (gssize) len);
}

static void
put_quote_marks(writer *w, int depth)
{
	depth = MIN(depth, PD_HTML_MAX_QUOTE);

	if (depth == 0)
		return;
	for (int i = 0; i < depth; i++)
		put(w, ">", 1);
	put(w, " ", 1);
}

/* Before visible text: the owed line breaks, quote marks, list marker and separator. */
static void
begin_text(writer *w)
{
	if (w->nl > 0 && w->out->len > 0) {
		for (int i = 0; i < w->nl; i++) {
			put(w, "\n", 1);
			if (i + 1 < w->nl)
				put_quote_marks(w, MIN(w->nl_quote, w->quote));  /* the blank line */
		}
		w->bol = TRUE;
	}
	w->nl = 0;
	w->nl_quote = w->quote;
	if (w->bol) {
		put_quote_marks(w, w->quote);
		w->bol = FALSE;
	} else if ((w->tab || w->space) && w->out->len > 0 &&
	           w->out->str[w->out->len - 1] != ' ' && w->out->str[w->out->len - 1] != '\t') {
		put(w, w->tab ? "\t" : " ", 1);
	}
	if (w->marker[0] != '\0') {
		put(w, w->marker, strlen(w->marker));
		w->marker[0] = '\0';
	}
	w->space = w->tab = FALSE;
}

/* A block boundary: n line breaks (1, or 2 for a blank line) before the next text. */
static void
owe_break(writer *w, int n)
{
	/* A pending list marker already stands on a fresh line. */
	if (w->marker[0] != '\0')
		return;
	if (n > w->nl)
		w->nl = n;
	w->nl_quote = MIN(w->nl_quote, w->quote);
	w->space = w->tab = FALSE;
}

static void
line_break(writer *w)
{
	w->nl = MIN(w->nl + 1, 2);
	w->nl_quote = MIN(w->nl_quote, w->quote);
	w->space = w->tab = FALSE;
}

static gboolean
is_html_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

/* Text outside <pre>: runs of white space become one space. */
static void
put_flowing(writer *w, const char *s)
{
	while (*s != '\0' && !w->full) {
		const char *run = s;

		if (is_html_space(*s)) {
			while (is_html_space(*s))
				s++;
			w->space = TRUE;
			continue;
		}
		while (*s != '\0' && !is_html_space(*s))
			s++;
		begin_text(w);
		put(w, run, (gsize) (s - run));
	}
}

/* Text inside <pre>: every space and line break is kept; CR LF and a lone
 * CR are line breaks, as HTML reads them. */
static void
put_preformatted(writer *w, const char *s)
{
	while (*s != '\0' && !w->full) {
		gsize n = strcspn(s, "\r\n");

		if (n > 0) {
			begin_text(w);
			put(w, s, n);
			s += n;
			continue;
		}
		begin_text(w);
		put(w, "\n", 1);
		w->bol = TRUE;
		s += s[0] == '\r' && s[1] == '\n' ? 2 : 1;
	}
}

static void
put_text(writer *w, const char *s)
{
	if (s == NULL)
		return;
	if (w->pre > 0)
		put_preformatted(w, s);
	else
		put_flowing(w, s);
}

/* ---- links -------------------------------------------------------------------- */

/* What a link shows after its text: the address of a mailto:, the URL of
 * others, or NULL for links that lead nowhere a reader can follow. */
static char *
link_target(const xmlNode *n)
{
	char *href = attr(n, "href"), *target = NULL;
	const char *h;

	if (href == NULL)
		return NULL;
	h = g_strstrip(href);
	if (g_ascii_strncasecmp(h, "mailto:", 7) == 0) {
		char *addr = g_strndup(h + 7, strcspn(h + 7, "?"));

		target = g_uri_unescape_string(addr, NULL);
		if (target == NULL)
			target = g_strdup(addr);
		g_free(addr);
	} else if (*h != '\0' && *h != '#' && g_ascii_strncasecmp(h, "javascript:", 11) != 0 &&
	           g_ascii_strncasecmp(h, "data:", 5) != 0 && g_ascii_strncasecmp(h, "cid:", 4) != 0) {
		target = g_strdup(h);
	}
	g_free(href);
	if (target != NULL && (*target == '\0' || strlen(target) > PD_HTML_MAX_URL || strpbrk(target, "\r\n") != NULL))
		g_clear_pointer(&target, g_free);
	return target;
}

/* A URL or link text reduced to what matters for comparing them. */
static char *
url_key(const char *s, gsize len)
{
	static const char *const prefixes[] = { "mailto:", "https://", "http://", "www." };
	char *k = g_ascii_strdown(s, (gssize) len), *p = k;
	gsize n;

	g_strstrip(k);
	for (gsize i = 0; i < G_N_ELEMENTS(prefixes); i++)
		if (g_str_has_prefix(p, prefixes[i]))
			p += strlen(prefixes[i]);
	memmove(k, p, strlen(p) + 1);
	n = strlen(k);
	while (n > 0 && k[n - 1] == '/')
		k[--n] = '\0';
	return k;
}

/* The link text already shows the target (the URL itself, perhaps shortened). */
static gboolean
text_shows(const char *text, gsize len, const char *target)
{
	char *t = url_key(text, len), *u = url_key(target, strlen(target));
	gsize tl = strlen(t);
	gboolean shows;

	if (tl > 3 && g_str_has_suffix(t, "..."))
		t[tl -= 3] = '\0';
	else if (tl > 3 && g_str_has_suffix(t, "…"))
		t[tl -= strlen("…")] = '\0';
	shows = strcmp(t, u) == 0 || (tl >= 10 && g_str_has_prefix(u, t));
	g_free(t);
	g_free(u);
	return shows;
}

static void
put_target(writer *w, const char *target)
{
	put(w, "<", 1);
	put(w, target, strlen(target));
	put(w, ">", 1);
}

static void
link_end(writer *w, const frame *f)
{
	char *target = link_target(f->node);

	if (target != NULL && f->start <= w->out->len) {
		const char *text = w->out->str + f->start;
		gsize len = w->out->len - f->start;

		while (len > 0 && (is_html_space(*text) || *text == '>')) {
			text++;
			len--;
		}
		if (len == 0) {
			begin_text(w);  /* a link without text (an image without alt) */
			put_target(w, target);
		} else if (!text_shows(text, len, target)) {
			put(w, " ", 1);  /* on the link's own line, before any owed break */
			put_target(w, target);
		}
	}
	g_free(target);
}

/* ---- walking ------------------------------------------------------------------ */

static frame *
top_frame(writer *w)
{
	return w->frames->len > 0 ? &g_array_index(w->frames, frame, w->frames->len - 1) : NULL;
}

/* The innermost open frame of a kind, or NULL. */
static frame *
open_frame(writer *w, el_kind kind, int *count_r)
{
	frame *found = NULL;
	int count = 0;

	for (guint i = w->frames->len; i > 0; i--) {
		frame *f = &g_array_index(w->frames, frame, i - 1);

		if (f->kind == kind) {
			if (found == NULL)
				found = f;
			count++;
		}
	}
	if (count_r != NULL)
		*count_r = count;
	return found;
}

static void
item_begin(writer *w)
{
	int lists = 0;
	frame *list = open_frame(w, EL_LIST, &lists);
	int indent = MIN(MAX(lists - 1, 0), PD_HTML_MAX_INDENT);
	char number[24] = "- ";

	owe_break(w, 1);
	if (list != NULL && list->number != 0)
		g_snprintf(number, sizeof number, "%ld. ", list->number++);
	g_snprintf(w->marker, sizeof w->marker, "%*s%s", indent * 2, "", number);
}

static long
list_start(const xmlNode *n)
{
	char *start;
	long number = 1;

	if (n->name == NULL || strcmp((const char *) n->name, "ol") != 0)
		return 0;
	start = attr(n, "start");
	if (start != NULL) {
		number = CLAMP(strtol(start, NULL, 10), -1000000, 1000000);
		if (number == 0)
			number = 1;  /* 0 means "bullets" here */
	}
	g_free(start);
	return number;
}

static void
cell_begin(writer *w)
{
	frame *row = open_frame(w, EL_ROW, NULL);

	if (row == NULL || row->cell)
		w->tab = w->nl == 0;
	if (row != NULL)
		row->cell = TRUE;
}

static gboolean
is_outlook_paragraph(const xmlNode *n)
{
	char *cls = attr(n, "class");
	gboolean yes = cls != NULL && strstr(cls, "MsoNormal") != NULL;

	g_free(cls);
	return yes;
}

/* libxml2 reads Outlook's <o:p> as a <p> inside a paragraph or a span; it
 * only holds a paragraph's text (or its &nbsp;) and breaks nothing. */
static gboolean
is_office_paragraph(const xmlNode *n)
{
	static const char *const hosts[] = { "p", "span", "font", "b", "i", "u", "em", "strong", "a" };
	const xmlNode *up = n->parent;

	if (up == NULL || up->type != XML_ELEMENT_NODE || up->name == NULL)
		return FALSE;
	for (gsize i = 0; i < G_N_ELEMENTS(hosts); i++)
		if (strcmp((const char *) up->name, hosts[i]) == 0)
			return TRUE;
	return FALSE;
}

/* Layout when an element opens; returns the kind its frame keeps. */
static el_kind
element_begin(writer *w, xmlNode *n, el_kind kind, frame *f)
{
	switch (kind) {
	case EL_PARA:
		if (strcmp((const char *) n->name, "p") == 0 && is_office_paragraph(n))
			return EL_INLINE;
		if (strcmp((const char *) n->name, "p") == 0 && is_outlook_paragraph(n)) {
			owe_break(w, 1);  /* Outlook's paragraphs have no margins */
			return EL_LINE;
		}
		owe_break(w, 2);
		break;
	case EL_LINE:
	case EL_ROW:
		owe_break(w, 1);
		break;
	case EL_LIST:
		owe_break(w, 1);
		f->number = list_start(n);
		break;
	case EL_ITEM:
		item_begin(w);
		break;
	case EL_PRE:
		owe_break(w, 2);
		w->pre++;
		break;
	case EL_QUOTE:
		owe_break(w, 2);
		w->quote++;
		break;
	case EL_CELL:
		cell_begin(w);
		break;
	case EL_LINK:
		f->start = w->out->len;
		break;
	default:
		break;
	}
	return kind;
}

static void
element_end(writer *w, const frame *f)
{
	switch (f->kind) {
	case EL_PARA:
		owe_break(w, 2);
		break;
	case EL_ITEM:
		w->marker[0] = '\0';  /* an empty item leaves no marker behind */
		owe_break(w, 1);
		break;
	case EL_LINE:
	case EL_ROW:
	case EL_LIST:
		owe_break(w, 1);
		break;
	case EL_PRE:
		w->pre--;
		owe_break(w, 2);
		break;
	case EL_QUOTE:
		w->quote--;
		owe_break(w, 2);
		break;
	case EL_LINK:
		link_end(w, f);
		break;
	default:
		break;
	}
}

static void
image(writer *w, const xmlNode *n)
{
	char *alt = attr(n, "alt");

	if (alt != NULL) {
		int pre = w->pre;

		w->pre = 0;  /* alt text flows even inside <pre> */
		put_text(w, alt);
		w->pre = pre;
	}
	g_free(alt);
}

/* Entering a node: write what it shows; returns whether to walk its children. */
static gboolean
enter(writer *w, xmlNode *n, int depth)
{
	el_kind kind;
	frame f = { 0 };

	if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
		put_text(w, (const char *) n->content);
		return FALSE;
	}
	if (n->type != XML_ELEMENT_NODE)
		return FALSE;  /* comments, processing instructions, DTDs */
	kind = element_kind(n);
	if (kind == EL_SKIP || is_hidden(n))
		return FALSE;
	if (kind == EL_BR || kind == EL_HR || kind == EL_IMG) {
		if (kind == EL_BR)
			line_break(w);
		else if (kind == EL_HR)
			owe_break(w, 2);
		else
			image(w, n);
		return FALSE;
	}
	if (depth > PD_HTML_MAX_DEPTH || kind == EL_INLINE)
		return TRUE;
	f.node = n;
	f.kind = element_begin(w, n, kind, &f);
	g_array_append_val(w->frames, f);
	return TRUE;
}

static void
leave(writer *w, const xmlNode *n)
{
	frame *f = top_frame(w);
	frame copy;

	if (f == NULL || f->node != n)
		return;  /* an element that pushed no frame */
	copy = *f;
	g_array_set_size(w->frames, w->frames->len - 1);
	element_end(w, &copy);
}

/* Every node below top, in document order, without recursion. */
static void
walk(writer *w, xmlNode *top)
{
	xmlNode *n = top->children;
	int depth = 1;

	while (n != NULL && !w->full) {
		if (enter(w, n, depth) && n->children != NULL) {
			n = n->children;
			depth++;
			continue;
		}
		for (;;) {
			leave(w, n);
			if (n->next != NULL) {
				n = n->next;
				break;
			}
			n = n->parent;
			depth--;
			if (n == NULL || n == top)
				return;
		}
	}
}

/* ---- output ------------------------------------------------------------------- */

/* Zero-width characters that only confuse searching and reading. */
static gsize
invisible_at(const char *p)
{
	const guchar *u = (const guchar *) p;

	if (u[0] == 0xE2 && u[1] == 0x80 && (u[2] == 0x8B || u[2] == 0x8C))
		return 3;  /* U+200B, U+200C */
	if (u[0] == 0xEF && u[1] == 0xBB && u[2] == 0xBF)
		return 3;  /* U+FEFF */
	return 0;
}

/* One output line: no-break spaces become spaces, trailing white space goes. */
static void
append_clean_line(GString *out, const char *s, gsize len)
{
	gsize start = out->len, w;

	for (gsize i = 0; i < len; i++) {
		if ((guchar) s[i] == 0xC2 && i + 1 < len && (guchar) s[i + 1] == 0xA0) {
			g_string_append_c(out, ' ');
			i++;
		} else if (i + 2 < len && (w = invisible_at(s + i)) > 0) {
			i += w - 1;
		} else {
			g_string_append_c(out, s[i]);
		}
	}
	while (out->len > start && (out->str[out->len - 1] == ' ' || out->str[out->len - 1] == '\t'))
		g_string_truncate(out, out->len - 1);
}

/* Trimmed, at most one blank line in a row, valid UTF-8. */
static char *
finish(GString *raw)
{
	GString *out = g_string_sized_new(raw->len), *line = g_string_new(NULL);
	const char *p = raw->str, *end = raw->str + raw->len;
	gboolean blank_owed = FALSE;
	char *text;

	while (p < end) {
		const char *nl = memchr(p, '\n', (gsize) (end - p));
		gsize len = nl != NULL ? (gsize) (nl - p) : (gsize) (end - p);

		g_string_truncate(line, 0);
		append_clean_line(line, p, len);
		p = nl != NULL ? nl + 1 : end;
		if (line->len == 0) {
			blank_owed = out->len > 0;  /* written only if text follows */
			continue;
		}
		if (out->len > 0)
			g_string_append(out, blank_owed ? "\n\n" : "\n");
		g_string_append_len(out, line->str, (gssize) line->len);
		blank_owed = FALSE;
	}
	g_string_free(line, TRUE);
	if (g_utf8_validate(out->str, (gssize) out->len, NULL))
		return g_string_free(out, FALSE);
	text = g_utf8_make_valid(out->str, (gssize) out->len);
	g_string_free(out, TRUE);
	return text;
}

static char *
render(xmlNode *top, gsize cap)
{
	writer w;
	char *text;

	writer_init(&w, cap);
	walk(&w, top);
	text = finish(w.out);
	g_string_free(w.out, TRUE);
	g_array_free(w.frames, TRUE);
	return text;
}

/* ---- parsing -------------------------------------------------------------------- */

static gpointer
init_libxml(gpointer unused)
{
	xmlInitParser();
	return NULL;
}

/* The input as libxml2 may read it: valid UTF-8, no NUL, at most INT_MAX bytes. */
static char *
sanitized(const char *html, gsize len)
{
	char *valid;

	if (len > G_MAXINT)
		len = G_MAXINT;
	if (memchr(html, '\0', len) == NULL && g_utf8_validate(html, (gssize) len, NULL))
		return NULL;
	valid = g_utf8_make_valid(html, (gssize) len);  /* NUL becomes U+FFFD too */
	return valid;
}

static htmlDocPtr
parse(const char *html, gsize len)
{
	static GOnce once = G_ONCE_INIT;
	char *fixed;
	htmlDocPtr doc;

	if (html == NULL || len == 0)
		return NULL;
	g_once(&once, init_libxml, NULL);
	fixed = sanitized(html, len);
	if (fixed != NULL) {
		html = fixed;
		len = strlen(fixed);
	}
	/* HUGE lifts libxml2's nesting limit, which otherwise drops everything
	 * after the 256th level; our walk is iterative and the input size is
	 * bounded by the message size limit. The charset is ours: the caller
	 * already decoded to UTF-8, so <meta charset> must not be obeyed. */
	doc = htmlReadMemory(html, (int) MIN(len, (gsize) G_MAXINT), NULL, "UTF-8",
	                     HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
	                     HTML_PARSE_NONET | HTML_PARSE_IGNORE_ENC | XML_PARSE_HUGE);
	g_free(fixed);
	return doc;
}

static gsize
output_cap(gsize len)
{
	return len > (G_MAXSIZE - PD_HTML_OUT_SLACK) / PD_HTML_OUT_FACTOR
	               ? G_MAXSIZE
	               : len * PD_HTML_OUT_FACTOR + PD_HTML_OUT_SLACK;
}

char *
pd_html_to_text(const char *html, gsize len)
{
	htmlDocPtr doc = parse(html, len);
	char *text;

	if (doc == NULL)
		return g_strdup("");
	text = render((xmlNode *) doc, output_cap(len));
	xmlFreeDoc(doc);
	return text;
}

/* ---- quoted history in HTML replies ------------------------------------------ */

typedef enum {
	CUT_NODE,  /* the element holds the quote */
	CUT_REST,  /* the element starts the quote: it and everything after it go */
	CUT_SIG,   /* a signature: removed, but not quoted history */
} cut_kind;

typedef enum {
	BY_CLASS,
	BY_ID,
	BY_REPLY_HEADER,  /* Outlook's <div style="border:none;border-top:solid ...">From: ... */
} match_by;

static const struct marker {
	const char *tag;    /* NULL: any element */
	match_by by;
	const char *value;
	cut_kind cut;
} markers[] = {
	{ NULL, BY_CLASS, "gmail_quote", CUT_NODE },
	{ "div", BY_CLASS, "gmail_extra", CUT_NODE },
	{ NULL, BY_CLASS, "gmail_signature", CUT_SIG },
	{ "div", BY_CLASS, "moz-signature", CUT_SIG },
	{ "div", BY_CLASS, "yahoo_quoted", CUT_NODE },
	{ NULL, BY_CLASS, "protonmail_quote", CUT_NODE },
	{ "div", BY_CLASS, "zmail_extra", CUT_NODE },
	{ NULL, BY_ID, "OLK_SRC_BODY_SECTION", CUT_REST },
	{ "div", BY_ID, "divRplyFwdMsg", CUT_REST },
	{ NULL, BY_ID, "appendonsend", CUT_REST },
	{ NULL, BY_ID, "mail-editor-reference-message-container", CUT_REST },
	{ "hr", BY_ID, "stopSpelling", CUT_REST },
	{ "hr", BY_ID, "zwchr", CUT_REST },
	{ "div", BY_REPLY_HEADER, NULL, CUT_REST },
};

static gboolean
is_reply_header(xmlNode *n)
{
	char *style = style_of(n), *text;
	gboolean yes = strstr(style, "border:none") != NULL && strstr(style, "border-top:solid") != NULL;

	g_free(style);
	if (!yes)
		return FALSE;
	/* Only when it holds the From:/Sent: lines: newsletters draw borders too. */
	text = render(n, PD_HTML_PEEK);
	yes = pd_reply_is_header_block(text);
	g_free(text);
	return yes;
}

static gboolean
marker_matches(const struct marker *m, xmlNode *n, const char *cls, const char *id)
{
	if (m->tag != NULL && strcmp((const char *) n->name, m->tag) != 0)
		return FALSE;
	switch (m->by) {
	case BY_CLASS:
		return has_word(cls, m->value);
	case BY_ID:
		return has_word(id, m->value);
	case BY_REPLY_HEADER:
		return is_reply_header(n);
	}
	return FALSE;
}

static const struct marker *
find_marker(xmlNode *n)
{
	const struct marker *found = NULL;
	char *cls, *id;

	if (n->type != XML_ELEMENT_NODE || n->name == NULL ||
	    (xmlHasProp(n, (const xmlChar *) "class") == NULL && xmlHasProp(n, (const xmlChar *) "id") == NULL &&
	     xmlHasProp(n, (const xmlChar *) "style") == NULL))
		return NULL;
	cls = attr(n, "class");
	id = attr(n, "id");
	for (gsize i = 0; i < G_N_ELEMENTS(markers) && found == NULL; i++)
		if (marker_matches(&markers[i], n, cls, id))
			found = &markers[i];
	g_free(cls);
	g_free(id);
	return found;
}

/* Gmail marks forwards up like quotes; a forward is content, not history. */
static gboolean
is_forward(xmlNode *n)
{
	char *text = render(n, PD_HTML_PEEK);
	gboolean fwd = pd_reply_is_forward(text);

	g_free(text);
	return fwd;
}

typedef struct {
	GPtrArray *nodes;  /* CUT_NODE and CUT_SIG elements, none inside another */
	xmlNode *rest;     /* the first CUT_REST element, or NULL */
	gboolean quoted;   /* a quote (not only a signature) will be removed */
} cuts;

/* The next node in document order after n's subtree, or NULL. */
static xmlNode *
after_subtree(xmlNode *n, xmlNode *top)
{
	while (n != NULL && n != top && n->next == NULL)
		n = n->parent;
	return n == NULL || n == top ? NULL : n->next;
}

static void
find_cuts(xmlNode *top, cuts *c)
{
	xmlNode *n = top->children;

	while (n != NULL) {
		const struct marker *m = find_marker(n);

		if (m == NULL || (m->cut != CUT_SIG && is_forward(n))) {
			/* not a marker, or a forward kept whole */
			n = m == NULL && n->children != NULL ? n->children : after_subtree(n, top);
			continue;
		}
		if (m->cut != CUT_SIG)
			c->quoted = TRUE;
		if (m->cut == CUT_REST) {
			c->rest = n;
			return;
		}
		g_ptr_array_add(c->nodes, n);
		n = after_subtree(n, top);
	}
}

static void
free_node(xmlNode *n)
{
	xmlUnlinkNode(n);
	xmlFreeNode(n);
}

/* Remove n, its following siblings and those of every ancestor. */
static void
cut_rest(xmlNode *n)
{
	for (xmlNode *up = n; up != NULL && up->type != XML_DOCUMENT_NODE &&
	                      up->type != XML_HTML_DOCUMENT_NODE; up = up->parent)
		while (up->next != NULL)
			free_node(up->next);
	free_node(n);
}

/* Removes the marked history; returns whether a quote was removed. */
static gboolean
cut_marked(htmlDocPtr doc)
{
	cuts c = { .nodes = g_ptr_array_new() };
	gboolean quoted;

	find_cuts((xmlNode *) doc, &c);
	if (c.rest != NULL)
		cut_rest(c.rest);
	for (guint i = 0; i < c.nodes->len; i++)
		free_node(c.nodes->pdata[i]);
	quoted = c.quoted;
	g_ptr_array_free(c.nodes, TRUE);
	return quoted;
}

char *
pd_html_new_text(const char *html, gsize len, gboolean *quoted_r)
{
	htmlDocPtr doc = parse(html, len);
	gboolean removed = FALSE;
	char *text, *new_text, *quoted = NULL;

	if (doc != NULL) {
		removed = cut_marked(doc);
		text = render((xmlNode *) doc, output_cap(len));
		xmlFreeDoc(doc);
	} else {
		text = g_strdup("");
	}
	pd_reply_split(text, &new_text, &quoted, NULL);
	if (quoted_r != NULL)
		*quoted_r = removed || quoted != NULL;
	g_free(quoted);
	g_free(text);
	return new_text;
}
