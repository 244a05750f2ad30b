/* mustache.c: the Mustache compiler (tokens -> whitespace rules -> node tree) and renderer over JSON. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include "notify/mustache.h"

#include <stdarg.h>
#include <string.h>

G_DEFINE_QUARK(pd-mustache-error-quark, pd_mustache_error)

/*
 * Compiling runs in passes over a flat token list, so no pass recurses on
 * input nesting:
 *   1. tokenize: text and tags, following {{=| |=}} delimiter changes;
 *   2. match: pair every section/block/parent with its close tag;
 *   3. standalone: which tags own their line, and which blanks and line
 *      endings around them disappear ("cuts");
 *   4. intrinsic indentation: blocks whose opening tag ends a line drop the
 *      indentation of their first line from every line of their content;
 *   5. build: the node tree; each node knows whether it begins an output line,
 *      where the renderer inserts the indentation of standalone partials,
 *      parents and blocks.
 */

/* ---- tokens ------------------------------------------------------------ */

typedef enum {
	TOK_TEXT,
	TOK_VAR,       /* {{name}} */
	TOK_RAW,       /* {{{name}}} or {{&name}} */
	TOK_SECTION,   /* {{#name}} */
	TOK_INVERTED,  /* {{^name}} */
	TOK_CLOSE,     /* {{/name}} */
	TOK_COMMENT,   /* {{! ... }} */
	TOK_PARTIAL,   /* {{>name}} */
	TOK_DELIM,     /* {{=<% %>=}} */
	TOK_BLOCK,     /* {{$name}} */
	TOK_PARENT,    /* {{<name}} */
} tok_kind;

typedef struct {
	tok_kind kind;
	gsize start, end;     /* the text, or the whole tag with its delimiters */
	char *name;           /* trimmed tag content; NULL for text, comments, delimiters */
	int match;            /* open <-> close partner; -1 for other tokens */
	int up;               /* innermost enclosing open tag; -1 at top level */
	gboolean ignored;     /* inside a parent tag but not in one of its blocks */
	gboolean argument;    /* a block passed to a parent (directly inside it) */
	gboolean standalone;  /* owns its line: no indentation is emitted for the tag */
	gboolean element;     /* standalone partial, parent or block: re-indents its content */
	gboolean intrinsic;   /* block whose indentation comes from its first content line */
	gsize cut_l, cut_r;   /* the surrounding text is kept up to cut_l and from cut_r on */
	gsize ind_start, ind_len;  /* the indentation of an element, as a span of the source */
} tok;

typedef struct {
	const char *src;
	gsize len;
	GArray *toks;   /* tok */
	GArray *lines;  /* gsize: offset where each line starts */
	gsize *strip;   /* per line: leading bytes dropped as intrinsic block indentation */
	GError **error;
} compiler;

#define TOK(c, i) g_array_index((c)->toks, tok, (i))
#define LINE(c, i) g_array_index((c)->lines, gsize, (i))

static gboolean
is_blank(char ch)
{
	return ch == ' ' || ch == '\t';
}

static gboolean
is_space(char ch)
{
	return is_blank(ch) || ch == '\n' || ch == '\r' || ch == '\f' || ch == '\v';
}

/* 1-based line and column (in characters) of a byte offset. */
static void
locate(const char *src, gsize pos, guint *line, guint *col)
{
	gsize bol = 0;

	*line = 1;
	for (gsize i = 0; i < pos; i++) {
		if (src[i] == '\n') {
			(*line)++;
			bol = i + 1;
		}
	}
	*col = 1;
	for (gsize i = bol; i < pos; i++)
		if (((guchar) src[i] & 0xC0) != 0x80)
			(*col)++;
}

static gboolean G_GNUC_PRINTF(3, 4)
syntax_error(compiler *c, gsize pos, const char *fmt, ...)
{
	va_list ap;
	char *msg;
	guint line, col;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	locate(c->src, pos, &line, &col);
	g_set_error(c->error, PD_MUSTACHE_ERROR, PD_MUSTACHE_ERROR_SYNTAX, "%u:%u: %s", line, col, msg);
	g_free(msg);
	return FALSE;
}

static void
push_token(compiler *c, tok_kind kind, gsize start, gsize end, char *name)
{
	tok t = { .kind = kind, .start = start, .end = end, .name = name,
	          .match = -1, .up = -1, .cut_l = start, .cut_r = end };

	g_array_append_val(c->toks, t);
}

static tok_kind
sigil_kind(char sigil)
{
	switch (sigil) {
	case '{': case '&': return TOK_RAW;
	case '#': return TOK_SECTION;
	case '^': return TOK_INVERTED;
	case '/': return TOK_CLOSE;
	case '!': return TOK_COMMENT;
	case '>': return TOK_PARTIAL;
	case '=': return TOK_DELIM;
	case '$': return TOK_BLOCK;
	case '<': return TOK_PARENT;
	default: return TOK_VAR;
	}
}

/* Content of [from, to) without surrounding white space; "" if none is left. */
static char *
trimmed(const compiler *c, gsize from, gsize to)
{
	while (from < to && is_space(c->src[from]))
		from++;
	while (to > from && is_space(c->src[to - 1]))
		to--;
	return g_strndup(c->src + from, to - from);
}

static gboolean
valid_delimiter(const char *d)
{
	if (*d == '\0')
		return FALSE;
	for (; *d != '\0'; d++)
		if (is_space(*d) || *d == '=')
			return FALSE;
	return TRUE;
}

/* "open close": exactly two words, each a valid delimiter; g_strdup'd. */
static gboolean
split_delimiters(const char *spec, char **open, char **close)
{
	char **words = g_strsplit_set(spec, " \t\r\n\f\v", -1);
	guint n = 0;

	for (guint i = 0; words[i] != NULL; i++) {
		if (words[i][0] == '\0')
			continue;
		if (n < 2 && valid_delimiter(words[i]))
			*(n == 0 ? open : close) = g_strdup(words[i]);
		n++;
	}
	g_strfreev(words);
	if (n == 2 && *open != NULL && *close != NULL)
		return TRUE;
	g_clear_pointer(open, g_free);
	g_clear_pointer(close, g_free);
	return FALSE;
}

/* {{=open close=}} between from and to: later tags use the new delimiters. */
static gboolean
change_delimiters(compiler *c, gsize at, gsize from, gsize to, char **otag, char **ctag)
{
	char *spec = trimmed(c, from, to), *open = NULL, *close = NULL;
	gboolean ok = split_delimiters(spec, &open, &close);

	if (ok) {
		g_free(*otag);
		g_free(*ctag);
		*otag = open;
		*ctag = close;
	} else {
		syntax_error(c, at, "bad delimiter change '%s'", spec);
	}
	g_free(spec);
	return ok;
}

/* A tag name: non-empty, no white space inside. */
static gboolean
check_name(compiler *c, gsize at, const char *name)
{
	if (*name == '\0')
		return syntax_error(c, at, "empty tag");
	for (const char *p = name; *p != '\0'; p++)
		if (is_space(*p))
			return syntax_error(c, at, "bad tag name '%s'", name);
	return TRUE;
}

/* What ends a tag: the closing delimiter, after '}' for {{{name}}} and
 * after '=' for {{=a b=}}. Finds the tag content [body, *content) and sets
 * *pos after the tag. */
static gboolean
find_closer(compiler *c, gsize at, gsize body, char sigil, const char *ctag,
            gsize *content, gsize *pos)
{
	const char *prefix = sigil == '{' ? "}" : sigil == '=' ? "=" : "";
	char *closer = g_strconcat(prefix, ctag, NULL);
	const char *found = strstr(c->src + body, closer);

	if (found != NULL) {
		*content = found - c->src;
		*pos = *content + strlen(closer);
	}
	g_free(closer);
	return found != NULL || syntax_error(c, at, "unclosed tag");
}

/* Read the tag whose opening delimiter is at `at`; *pos gets the offset after it. */
static gboolean
scan_tag(compiler *c, gsize at, char **otag, char **ctag, gsize *pos)
{
	gsize body = at + strlen(*otag), content = 0;
	char sigil = c->src[body];
	tok_kind kind = sigil_kind(sigil);
	char *name = NULL;

	if (kind == TOK_VAR)
		sigil = '\0';
	else
		body++;
	if (!find_closer(c, at, body, sigil, *ctag, &content, pos))
		return FALSE;
	if (kind == TOK_DELIM) {
		if (!change_delimiters(c, at, body, content, otag, ctag))
			return FALSE;
	} else if (kind != TOK_COMMENT) {
		name = trimmed(c, body, content);
		if (!check_name(c, at, name)) {
			g_free(name);
			return FALSE;
		}
	}
	push_token(c, kind, at, *pos, name);
	return TRUE;
}

static gboolean
tokenize(compiler *c)
{
	char *otag = g_strdup("{{"), *ctag = g_strdup("}}");
	gsize pos = 0;
	gboolean ok = TRUE;

	while (ok && pos < c->len) {
		const char *open = strstr(c->src + pos, otag);
		gsize at = open != NULL ? (gsize) (open - c->src) : c->len;

		if (at > pos)
			push_token(c, TOK_TEXT, pos, at, NULL);
		if (open == NULL)
			break;
		ok = scan_tag(c, at, &otag, &ctag, &pos);
	}
	g_free(otag);
	g_free(ctag);
	return ok;
}

/* ---- matching ------------------------------------------------------------ */

static gboolean
is_opener(tok_kind kind)
{
	return kind == TOK_SECTION || kind == TOK_INVERTED || kind == TOK_BLOCK || kind == TOK_PARENT;
}

/* What a parent does with a token directly inside it: keep its blocks, ignore the rest. */
static void
classify(compiler *c, tok *t, int up)
{
	const tok *u = up >= 0 ? &TOK(c, up) : NULL;

	t->up = up;
	if (u == NULL)
		return;
	if (u->ignored)
		t->ignored = TRUE;
	else if (u->kind == TOK_PARENT)
		t->ignored = t->kind != TOK_BLOCK;
	t->argument = !t->ignored && t->kind == TOK_BLOCK && u->kind == TOK_PARENT;
}

static gboolean
close_section(compiler *c, GArray *open, guint i)
{
	tok *t = &TOK(c, i), *o;
	guint line, col;

	if (open->len == 0)
		return syntax_error(c, t->start, "closing tag '%s' without an open section", t->name);
	o = &TOK(c, g_array_index(open, int, open->len - 1));
	if (strcmp(o->name, t->name) != 0) {
		locate(c->src, o->start, &line, &col);
		return syntax_error(c, t->start, "closing tag '%s' does not match '%s' opened at %u:%u",
		                    t->name, o->name, line, col);
	}
	t->match = g_array_index(open, int, open->len - 1);
	o->match = (int) i;
	g_array_set_size(open, open->len - 1);
	t->up = o->up;
	t->ignored = o->ignored;
	return TRUE;
}

static gboolean
match_sections(compiler *c)
{
	GArray *open = g_array_new(FALSE, FALSE, sizeof(int));
	gboolean ok = TRUE;

	for (guint i = 0; ok && i < c->toks->len; i++) {
		tok *t = &TOK(c, i);
		int top = open->len > 0 ? g_array_index(open, int, open->len - 1) : -1;

		if (t->kind == TOK_CLOSE) {
			ok = close_section(c, open, i);
			continue;
		}
		classify(c, t, top);
		if (!is_opener(t->kind))
			continue;
		if (open->len >= PD_MUSTACHE_MAX_NESTING)
			ok = syntax_error(c, t->start, "sections nested deeper than %d levels",
			                  PD_MUSTACHE_MAX_NESTING);
		g_array_append_val(open, i);
	}
	if (ok && open->len > 0) {
		const tok *o = &TOK(c, g_array_index(open, int, open->len - 1));

		ok = syntax_error(c, o->start, "section '%s' is never closed", o->name);
	}
	g_array_free(open, TRUE);
	return ok;
}

/* ---- lines and standalone tags ------------------------------------------- */

static void
index_lines(compiler *c)
{
	gsize zero = 0;

	c->lines = g_array_new(FALSE, FALSE, sizeof(gsize));
	g_array_append_val(c->lines, zero);
	for (gsize i = 0; i < c->len; i++) {
		if (c->src[i] == '\n') {
			gsize next = i + 1;

			g_array_append_val(c->lines, next);
		}
	}
	c->strip = g_new0(gsize, c->lines->len);
}

/* Index of the line holding offset pos. */
static guint
line_of(const compiler *c, gsize pos)
{
	guint lo = 0, hi = c->lines->len;

	while (hi - lo > 1) {
		guint mid = lo + (hi - lo) / 2;

		if (LINE(c, mid) <= pos)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

static gsize
line_start(const compiler *c, gsize pos)
{
	return LINE(c, line_of(c, pos));
}

/* Only blanks in [from, pos). Scanning backwards keeps a long line full of
 * tags linear: each tag only looks at the blanks right before it. */
static gboolean
clear_left(const compiler *c, gsize from, gsize pos)
{
	for (gsize i = pos; i > from; i--)
		if (!is_blank(c->src[i - 1]))
			return FALSE;
	return TRUE;
}

/* Only blanks from pos to the end of its line. *blank_end gets the end of
 * those blanks, *eol the offset after the line ending (or the end of input). */
static gboolean
clear_right(const compiler *c, gsize pos, gsize *blank_end, gsize *eol)
{
	gsize i = pos;

	while (i < c->len && is_blank(c->src[i]))
		i++;
	*blank_end = i;
	if (i == c->len || c->src[i] == '\n')
		*eol = i < c->len ? i + 1 : i;
	else if (c->src[i] == '\r' && c->src[i + 1] == '\n')
		*eol = i + 2;
	else
		return FALSE;
	return TRUE;
}

/* The classic rule: a non-interpolation tag alone on its line takes the
 * whole line (indentation, trailing blanks, line ending) with it. */
static void
standalone_line(compiler *c, tok *t)
{
	gsize from = line_start(c, t->start), blank_end, eol;

	if (!clear_left(c, from, t->start) || !clear_right(c, t->end, &blank_end, &eol))
		return;
	t->standalone = TRUE;
	t->element = t->kind == TOK_PARTIAL;
	t->cut_l = from;
	t->cut_r = eol;
}

/* A block passed to a parent: what precedes it is the parent's ignored text,
 * so only its own line ending matters, which then is not block content. */
static void
argument_open(compiler *c, tok *t)
{
	gsize blank_end, eol;

	if (clear_right(c, t->end, &blank_end, &eol)) {
		t->standalone = TRUE;
		t->cut_r = eol;
	}
}

/* Its close tag: blanks before it on its line are not content either. What
 * follows is the parent's ignored text again. */
static void
argument_close(compiler *c, tok *t)
{
	gsize from = MAX(line_start(c, t->start), TOK(c, t->match).end);

	if (clear_left(c, from, t->start)) {
		t->standalone = TRUE;
		t->cut_l = from;
	}
}

static void
mark_standalone(compiler *c)
{
	for (guint i = 0; i < c->toks->len; i++) {
		tok *t = &TOK(c, i);

		if (t->ignored || t->kind == TOK_TEXT || t->kind == TOK_VAR || t->kind == TOK_RAW)
			continue;
		if (t->kind == TOK_PARENT || (t->kind == TOK_CLOSE && TOK(c, t->match).kind == TOK_PARENT))
			continue;  /* only as a whole: mark_element */
		if (t->argument)
			argument_open(c, t);
		else if (t->kind == TOK_CLOSE && TOK(c, t->match).argument)
			argument_close(c, t);
		else
			standalone_line(c, t);
	}
}

/* A parent, or a block that is not an argument, is a standalone element when
 * nothing but blanks precede its opening tag and follow its close tag on
 * their lines, even when both are on one line. Its leading blanks then become
 * the indentation of everything it expands to. A parent takes its line ending
 * along like a standalone partial; a block keeps it unless its close tag is
 * standalone on its own, so {{$b}}{{/b}} on a line still ends that line. */
static void
mark_element(compiler *c, tok *o)
{
	tok *cl = &TOK(c, o->match);
	gsize from = line_start(c, o->start), blank_end, eol;

	if (!clear_left(c, from, o->start) || !clear_right(c, cl->end, &blank_end, &eol))
		return;
	o->element = o->standalone = TRUE;
	o->cut_l = from;
	if (o->kind == TOK_PARENT)
		cl->cut_r = eol;
	else if (!cl->standalone)
		cl->cut_r = blank_end;
}

static void
mark_elements(compiler *c)
{
	for (guint i = 0; i < c->toks->len; i++) {
		tok *t = &TOK(c, i);

		if (!t->ignored && !t->argument && (t->kind == TOK_PARENT || t->kind == TOK_BLOCK))
			mark_element(c, t);
	}
}

/* ---- intrinsic indentation ------------------------------------------------ */

/* A block whose opening tag ends its line (an argument, or a standalone
 * element) takes the indentation of the next line as its own: that much is
 * dropped from each of its content lines, which is what lets a block be
 * re-indented wherever it is expanded. Outer blocks come first in token
 * order, so a nested block measures its indentation after the outer strip. */
static void
strip_block(compiler *c, tok *t)
{
	gsize blank_end, eol, from, to;
	guint next;

	if (!(t->argument || t->element) || !clear_right(c, t->end, &blank_end, &eol))
		return;
	t->intrinsic = TRUE;
	t->ind_start = t->ind_len = 0;
	if (eol >= c->len)
		return;
	next = line_of(c, eol);
	from = to = LINE(c, next) + c->strip[next];
	while (to < c->len && is_blank(c->src[to]))
		to++;
	t->ind_start = from;
	t->ind_len = to - from;
	for (guint l = next; l < c->lines->len && LINE(c, l) < TOK(c, t->match).start; l++) {
		gsize at = LINE(c, l) + c->strip[l];

		if (at + t->ind_len <= c->len && memcmp(c->src + at, c->src + from, t->ind_len) == 0)
			c->strip[l] += t->ind_len;
	}
}

/* Elements without intrinsic indentation use the blanks before their tag. */
static void
set_indent(compiler *c, tok *t)
{
	guint l = line_of(c, t->start);
	gsize from = MIN(LINE(c, l) + c->strip[l], t->start);

	t->ind_start = from;
	t->ind_len = t->start - from;
}

static void
mark_indentation(compiler *c)
{
	for (guint i = 0; i < c->toks->len; i++) {
		tok *t = &TOK(c, i);

		if (!t->ignored && t->kind == TOK_BLOCK)
			strip_block(c, t);
	}
	for (guint i = 0; i < c->toks->len; i++) {
		tok *t = &TOK(c, i);

		if (t->element && !t->intrinsic)
			set_indent(c, t);
	}
}

/* ---- the node tree ---------------------------------------------------------- */

typedef enum {
	N_TEXT, N_VAR, N_SECTION, N_INVERTED, N_PARTIAL, N_PARENT, N_BLOCK,
} node_kind;

typedef struct {
	node_kind kind;
	gboolean bol;          /* begins an output line: the current indentation goes first */
	gboolean escape;       /* N_VAR: {{name}}, not {{{name}}} or {{&name}} */
	gboolean element;      /* N_PARTIAL/N_PARENT/N_BLOCK: standalone, indented by `indent` */
	const char *text;      /* N_TEXT: a span of the template's source */
	gsize len;
	const char *indent;    /* a span of the source */
	gsize indent_len;
	char *name;            /* tags */
	char **path;           /* N_VAR/N_SECTION/N_INVERTED: the dotted name split; NULL for "." */
	GPtrArray *children;   /* section or block content; a parent's argument blocks */
	const char *src;       /* the template source and the tag's offset in it, */
	gsize pos;             /* located only when a render error needs line:col */
} node;

struct pd_mustache {
	char *source;          /* text nodes and indentation point into it */
	GPtrArray *nodes;
};

static void
node_free(gpointer data)
{
	node *n = data;

	if (n == NULL)
		return;
	g_free(n->name);
	g_strfreev(n->path);
	if (n->children != NULL)
		g_ptr_array_unref(n->children);
	g_free(n);
}

static gboolean
is_line_end(const char *p, const char *end)
{
	return p < end && (*p == '\n' || (*p == '\r' && p + 1 < end && p[1] == '\n'));
}

/* Text token i, minus what standalone tags around it cut and what intrinsic
 * indentation strips, one node per line. Blank lines are not indented. */
static void
add_text(compiler *c, guint i, GPtrArray *into)
{
	const tok *t = &TOK(c, i);
	gsize s = i > 0 ? MAX(t->start, TOK(c, i - 1).cut_r) : t->start;
	gsize e = i + 1 < c->toks->len ? MIN(t->end, TOK(c, i + 1).cut_l) : t->end;

	while (s < e) {
		gboolean bol = s == 0 || c->src[s - 1] == '\n';
		const char *nl;
		node *n;

		if (bol)
			s += MIN(c->strip[line_of(c, s)], e - s);
		if (s >= e)
			break;
		nl = memchr(c->src + s, '\n', e - s);
		n = g_new0(node, 1);
		n->kind = N_TEXT;
		n->text = c->src + s;
		n->len = (nl != NULL ? (gsize) (nl - c->src) + 1 : e) - s;
		n->bol = bol && !is_line_end(n->text, c->src + e);
		g_ptr_array_add(into, n);
		s += n->len;
	}
}

static node_kind
node_kind_of(tok_kind kind)
{
	switch (kind) {
	case TOK_SECTION: return N_SECTION;
	case TOK_INVERTED: return N_INVERTED;
	case TOK_PARTIAL: return N_PARTIAL;
	case TOK_PARENT: return N_PARENT;
	case TOK_BLOCK: return N_BLOCK;
	default: return N_VAR;
	}
}

/* The node for a tag; NULL for comments and delimiter changes. */
static node *
tag_node(compiler *c, tok *t)
{
	guint l = line_of(c, t->start);
	node *n;

	if (t->kind == TOK_COMMENT || t->kind == TOK_DELIM)
		return NULL;
	n = g_new0(node, 1);
	n->kind = node_kind_of(t->kind);
	n->escape = t->kind == TOK_VAR;
	n->element = t->element;
	n->indent = c->src + t->ind_start;
	n->indent_len = t->ind_len;
	n->bol = !t->standalone && t->start == LINE(c, l) + c->strip[l];
	n->name = g_steal_pointer(&t->name);
	if (n->kind == N_VAR || n->kind == N_SECTION || n->kind == N_INVERTED)
		n->path = strcmp(n->name, ".") == 0 ? NULL : g_strsplit(n->name, ".", -1);
	if (is_opener(t->kind))
		n->children = g_ptr_array_new_with_free_func(node_free);
	n->src = c->src;
	n->pos = t->start;
	return n;
}

static GPtrArray *
build_tree(compiler *c)
{
	GPtrArray *root = g_ptr_array_new_with_free_func(node_free);
	GPtrArray *stack = g_ptr_array_new();  /* the child lists being filled */

	g_ptr_array_add(stack, root);
	for (guint i = 0; i < c->toks->len; i++) {
		tok *t = &TOK(c, i);
		GPtrArray *into = stack->pdata[stack->len - 1];
		node *n;

		if (t->ignored)
			continue;
		if (t->kind == TOK_TEXT) {
			add_text(c, i, into);
		} else if (t->kind == TOK_CLOSE) {
			g_ptr_array_set_size(stack, stack->len - 1);
		} else if ((n = tag_node(c, t)) != NULL) {
			g_ptr_array_add(into, n);
			if (n->children != NULL)
				g_ptr_array_add(stack, n->children);
		}
	}
	g_ptr_array_free(stack, TRUE);
	return root;
}

static void
compiler_clear(compiler *c)
{
	if (c->toks != NULL) {
		for (guint i = 0; i < c->toks->len; i++)
			g_free(TOK(c, i).name);
		g_array_free(c->toks, TRUE);
	}
	if (c->lines != NULL)
		g_array_free(c->lines, TRUE);
	g_free(c->strip);
}

static gboolean
check_utf8(compiler *c)
{
	const char *bad;

	if (g_utf8_validate(c->src, c->len, &bad))
		return TRUE;
	return syntax_error(c, bad - c->src, "template is not valid UTF-8");
}

pd_mustache *
pd_mustache_compile(const char *source, GError **error)
{
	char *copy;
	compiler c = { 0 };
	pd_mustache *tpl = NULL;

	g_return_val_if_fail(source != NULL, NULL);
	copy = g_strdup(source);
	c.src = copy;
	c.len = strlen(copy);
	c.toks = g_array_new(FALSE, TRUE, sizeof(tok));
	c.error = error;
	if (check_utf8(&c) && tokenize(&c) && match_sections(&c)) {
		index_lines(&c);
		mark_standalone(&c);
		mark_elements(&c);
		mark_indentation(&c);
		tpl = g_new0(pd_mustache, 1);
		tpl->nodes = build_tree(&c);
		tpl->source = g_steal_pointer(&copy);
	}
	compiler_clear(&c);
	g_free(copy);
	return tpl;
}

void
pd_mustache_free(pd_mustache **tpl)
{
	if (tpl == NULL || *tpl == NULL)
		return;
	g_ptr_array_unref((*tpl)->nodes);
	g_free((*tpl)->source);
	g_free(*tpl);
	*tpl = NULL;
}

/* ---- rendering ---------------------------------------------------------------- */

/* The blocks one parent tag passes down, and where they were written. */
typedef struct {
	const node *parent;
	const char *owner;     /* partial name, NULL for the top template */
} arg_frame;

typedef struct {
	const pd_mustache_options *opts;
	guint max_depth;
	GString *out;
	GPtrArray *ctx;        /* JsonNode, innermost last */
	GString *indent;       /* the indentation of the lines being written */
	GArray *args;          /* arg_frame, outermost first: outer arguments win */
	GHashTable *partials;  /* name -> pd_mustache, NULL when there is none */
	const char *where;     /* partial being rendered, NULL for the top template */
	guint depth;
	GError **error;
} renderer;

/* How render_nodes treats the first node's line start. */
typedef enum {
	FIRST_ASIS,    /* as the source says */
	FIRST_INDENT,  /* the node starts a re-indented element */
	FIRST_INLINE,  /* the node continues a line begun elsewhere */
} first_mode;

static gboolean render_nodes(renderer *r, const GPtrArray *nodes, first_mode first);

static gboolean G_GNUC_PRINTF(4, 5)
render_error(renderer *r, const node *n, int code, const char *fmt, ...)
{
	va_list ap;
	char *msg, *where;
	guint line, col;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	where = r->where != NULL ? g_strdup_printf("partial '%s': ", r->where) : g_strdup("");
	if (n != NULL) {
		locate(n->src, n->pos, &line, &col);
		g_set_error(r->error, PD_MUSTACHE_ERROR, code, "%s%u:%u: %s", where, line, col, msg);
	} else {
		g_set_error(r->error, PD_MUSTACHE_ERROR, code, "%s%s", where, msg);
	}
	g_free(where);
	g_free(msg);
	return FALSE;
}

static gboolean
emit(renderer *r, const char *s, gsize len)
{
	gsize max = r->opts->max_output;

	if (max > 0 && (r->out->len > max || len > max - r->out->len))
		return render_error(r, NULL, PD_MUSTACHE_ERROR_TOO_LARGE,
		                    "output exceeds %" G_GSIZE_FORMAT " bytes", max);
	g_string_append_len(r->out, s, len);
	return TRUE;
}

static const char *
html_entity(char ch)
{
	switch (ch) {
	case '&': return "&amp;";
	case '"': return "&quot;";
	case '<': return "&lt;";
	case '>': return "&gt;";
	default: return NULL;
	}
}

static gboolean
emit_escaped(renderer *r, const char *s)
{
	const char *run = s;

	for (const char *p = s; *p != '\0'; p++) {
		const char *entity = html_entity(*p);

		if (entity == NULL)
			continue;
		if (!emit(r, run, p - run) || !emit(r, entity, strlen(entity)))
			return FALSE;
		run = p + 1;
	}
	return emit(r, run, strlen(run));
}

/* ---- values ---- */

static JsonNode *
member(JsonNode *v, const char *key)
{
	if (v == NULL || !JSON_NODE_HOLDS_OBJECT(v))
		return NULL;
	return json_object_get_member(json_node_get_object(v), key);
}

/* The value a name denotes: the first part is searched from the innermost
 * context outwards; the rest must follow from there (no second search). */
static JsonNode *
lookup(const renderer *r, char **path)
{
	JsonNode *v = NULL;

	if (path == NULL)
		return r->ctx->len > 0 ? r->ctx->pdata[r->ctx->len - 1] : NULL;
	for (guint i = r->ctx->len; v == NULL && i-- > 0;)
		v = member(r->ctx->pdata[i], path[0]);
	for (guint i = 1; v != NULL && path[i] != NULL; i++)
		v = member(v, path[i]);
	return v;
}

static gboolean
truthy(JsonNode *v)
{
	if (v == NULL || JSON_NODE_HOLDS_NULL(v))
		return FALSE;
	if (JSON_NODE_HOLDS_ARRAY(v))
		return json_array_get_length(json_node_get_array(v)) > 0;
	if (JSON_NODE_HOLDS_VALUE(v) && json_node_get_value_type(v) == G_TYPE_BOOLEAN)
		return json_node_get_boolean(v);
	return TRUE;
}

/* Integral values as integers, others in the fewest digits that read back
 * exactly; always with '.', whatever the locale. */
static char *
format_double(double d)
{
	char buf[G_ASCII_DTOSTR_BUF_SIZE];

	if (d > -1e15 && d < 1e15 && d == (double) (gint64) d)
		return g_strdup_printf("%" G_GINT64_FORMAT, (gint64) d);
	for (int digits = 1; digits <= 17; digits++) {
		static const char *const formats[] = {
			"%.1g", "%.2g", "%.3g", "%.4g", "%.5g", "%.6g", "%.7g", "%.8g", "%.9g",
			"%.10g", "%.11g", "%.12g", "%.13g", "%.14g", "%.15g", "%.16g", "%.17g",
		};

		g_ascii_formatd(buf, sizeof buf, formats[digits - 1], d);
		if (g_ascii_strtod(buf, NULL) == d)
			break;
	}
	return g_strdup(buf);
}

static char *
value_string(JsonNode *v)
{
	if (JSON_NODE_HOLDS_NULL(v))
		return g_strdup("");
	if (!JSON_NODE_HOLDS_VALUE(v))
		return json_to_string(v, FALSE);
	switch (json_node_get_value_type(v)) {
	case G_TYPE_INT64:
		return g_strdup_printf("%" G_GINT64_FORMAT, json_node_get_int(v));
	case G_TYPE_DOUBLE:
		return format_double(json_node_get_double(v));
	case G_TYPE_BOOLEAN:
		return g_strdup(json_node_get_boolean(v) ? "true" : "false");
	default:
		return g_strdup(json_node_get_string(v));
	}
}

/* ---- nodes ---- */

static gboolean
render_var(renderer *r, const node *n)
{
	JsonNode *v = lookup(r, n->path);
	char *s;
	gboolean ok;

	if (v == NULL) {
		if (r->opts->strict)
			return render_error(r, n, PD_MUSTACHE_ERROR_UNKNOWN, "unknown variable '%s'", n->name);
		return TRUE;
	}
	s = value_string(v);
	if (s == NULL)
		return TRUE;
	if (n->escape && r->opts->escape == PD_MUSTACHE_ESCAPE_HTML)
		ok = emit_escaped(r, s);
	else
		ok = emit(r, s, strlen(s));
	g_free(s);
	return ok;
}

static gboolean
render_in(renderer *r, const node *n, JsonNode *v)
{
	gboolean ok;

	g_ptr_array_add(r->ctx, v);
	ok = render_nodes(r, n->children, FIRST_ASIS);
	g_ptr_array_set_size(r->ctx, r->ctx->len - 1);
	return ok;
}

static gboolean
render_section(renderer *r, const node *n)
{
	JsonNode *v = lookup(r, n->path);
	JsonArray *a;

	if (!truthy(v))
		return TRUE;
	if (!JSON_NODE_HOLDS_ARRAY(v))
		return render_in(r, n, v);
	a = json_node_get_array(v);
	for (guint i = 0; i < json_array_get_length(a); i++)
		if (!render_in(r, n, json_array_get_element(a, i)))
			return FALSE;
	return TRUE;
}

static gboolean
render_inverted(renderer *r, const node *n)
{
	if (truthy(lookup(r, n->path)))
		return TRUE;
	return render_nodes(r, n->children, FIRST_ASIS);
}

static void
free_partial(gpointer data)
{
	pd_mustache *tpl = data;

	pd_mustache_free(&tpl);
}

/* Compile the partial named by n, once per render. *tpl is NULL when there is
 * no such partial, which is fine unless strict. */
static gboolean
find_partial(renderer *r, const node *n, const pd_mustache **tpl)
{
	gpointer found;
	char *source;
	GError *local = NULL;
	pd_mustache *compiled = NULL;

	if (g_hash_table_lookup_extended(r->partials, n->name, NULL, &found)) {
		*tpl = found;
	} else {
		source = r->opts->partial != NULL ? r->opts->partial(n->name, r->opts->partial_data) : NULL;
		if (source != NULL && (compiled = pd_mustache_compile(source, &local)) == NULL) {
			g_free(source);
			render_error(r, NULL, PD_MUSTACHE_ERROR_SYNTAX, "partial '%s': %s", n->name, local->message);
			g_error_free(local);
			return FALSE;
		}
		g_free(source);
		g_hash_table_insert(r->partials, g_strdup(n->name), compiled);
		*tpl = compiled;
	}
	if (*tpl == NULL && r->opts->strict)
		return render_error(r, n, PD_MUSTACHE_ERROR_UNKNOWN, "unknown partial '%s'", n->name);
	return TRUE;
}

/* One more level of partial, parent or block expansion, or an error. */
static gboolean
descend(renderer *r, const node *n)
{
	if (r->depth >= r->max_depth)
		return render_error(r, n, PD_MUSTACHE_ERROR_TOO_DEEP,
		                    "'%s' nests templates deeper than %u levels", n->name, r->max_depth);
	r->depth++;
	return TRUE;
}

/* Render tpl in place of the partial or parent tag n; a parent's blocks
 * become arguments for the blocks inside. */
static gboolean
expand(renderer *r, const node *n, const pd_mustache *tpl)
{
	const char *where = r->where;
	gsize indent = r->indent->len;
	arg_frame frame = { n, r->where };
	gboolean ok;

	if (!descend(r, n))
		return FALSE;
	if (n->element)
		g_string_append_len(r->indent, n->indent, n->indent_len);
	if (n->kind == N_PARENT)
		g_array_append_val(r->args, frame);
	r->where = n->name;
	ok = render_nodes(r, tpl->nodes, FIRST_ASIS);
	r->where = where;
	if (n->kind == N_PARENT)
		g_array_set_size(r->args, r->args->len - 1);
	g_string_truncate(r->indent, indent);
	r->depth--;
	return ok;
}

static gboolean
render_partial(renderer *r, const node *n)
{
	const pd_mustache *tpl;

	if (!find_partial(r, n, &tpl))
		return FALSE;
	return tpl == NULL || expand(r, n, tpl);
}

/* The argument for block `name` from the outermost parent that passes one. */
static const node *
find_argument(const renderer *r, const char *name, const arg_frame **frame)
{
	for (guint i = 0; i < r->args->len; i++) {
		const arg_frame *f = &g_array_index(r->args, arg_frame, i);

		for (guint j = 0; j < f->parent->children->len; j++) {
			const node *b = f->parent->children->pdata[j];

			if (strcmp(b->name, name) == 0) {
				*frame = f;
				return b;
			}
		}
	}
	return NULL;
}

/* An argument's content in place of block n. It counts as an expansion:
 * an argument may contain the very block it fills. */
static gboolean
render_argument(renderer *r, const node *n, const node *arg, const arg_frame *frame)
{
	const char *where = r->where;
	gboolean ok;

	if (!descend(r, n))
		return FALSE;
	r->where = frame->owner;
	ok = render_nodes(r, arg->children, n->element ? FIRST_INDENT : FIRST_INLINE);
	r->where = where;
	r->depth--;
	return ok;
}

static gboolean
render_block(renderer *r, const node *n)
{
	const arg_frame *frame = NULL;
	const node *arg = find_argument(r, n->name, &frame);
	gsize indent = r->indent->len;
	gboolean ok;

	if (n->element)
		g_string_append_len(r->indent, n->indent, n->indent_len);
	if (arg != NULL)
		ok = render_argument(r, n, arg, frame);
	else
		ok = render_nodes(r, n->children, n->element ? FIRST_INDENT : FIRST_ASIS);
	g_string_truncate(r->indent, indent);
	return ok;
}

static gboolean
render_node(renderer *r, const node *n)
{
	const pd_mustache *tpl;

	switch (n->kind) {
	case N_TEXT:
		return emit(r, n->text, n->len);
	case N_VAR:
		return render_var(r, n);
	case N_SECTION:
		return render_section(r, n);
	case N_INVERTED:
		return render_inverted(r, n);
	case N_PARTIAL:
		return render_partial(r, n);
	case N_PARENT:
		if (!find_partial(r, n, &tpl))
			return FALSE;
		return tpl == NULL || expand(r, n, tpl);
	case N_BLOCK:
		return render_block(r, n);
	}
	return TRUE;
}

/* Does the first node begin an output line? */
static gboolean
first_bol(const node *n, first_mode first)
{
	if (first == FIRST_ASIS)
		return n->bol;
	if (first == FIRST_INLINE)
		return FALSE;
	return n->kind != N_TEXT || !is_line_end(n->text, n->text + n->len);
}

static gboolean
render_nodes(renderer *r, const GPtrArray *nodes, first_mode first)
{
	for (guint i = 0; i < nodes->len; i++) {
		const node *n = nodes->pdata[i];
		gboolean bol = i == 0 ? first_bol(n, first) : n->bol;

		if (bol && !emit(r, r->indent->str, r->indent->len))
			return FALSE;
		if (!render_node(r, n))
			return FALSE;
	}
	return TRUE;
}

char *
pd_mustache_render(const pd_mustache *tpl, JsonNode *context,
                   const pd_mustache_options *opts, GError **error)
{
	static const pd_mustache_options defaults = { 0 };
	renderer r = { 0 };
	gboolean ok;

	g_return_val_if_fail(tpl != NULL, NULL);
	r.opts = opts != NULL ? opts : &defaults;
	r.max_depth = r.opts->max_depth > 0 ? r.opts->max_depth : PD_MUSTACHE_DEFAULT_MAX_DEPTH;
	r.out = g_string_new(NULL);
	r.ctx = g_ptr_array_new();
	r.indent = g_string_new(NULL);
	r.args = g_array_new(FALSE, FALSE, sizeof(arg_frame));
	r.partials = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, free_partial);
	r.error = error;
	if (context != NULL)
		g_ptr_array_add(r.ctx, context);
	ok = render_nodes(&r, tpl->nodes, FIRST_ASIS);
	g_hash_table_destroy(r.partials);
	g_array_free(r.args, TRUE);
	g_string_free(r.indent, TRUE);
	g_ptr_array_free(r.ctx, TRUE);
	return g_string_free(r.out, !ok);
}
