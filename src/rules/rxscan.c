/* rxscan.c: reads a PCRE2 pattern before it runs: a literal every match contains, can it match, can it backtrack badly. */
#include "config.h"
#include "rules-private.h"

#include <string.h>

/* The pattern has already compiled, so its syntax is valid; this reader
 * models the common constructs and gives up ("bail") on the rest, which
 * is always safe: no literal means the pattern runs on every mail, and a
 * risky pattern runs with a time budget. */

#define MAX_ALTERNATIVES 16
#define UNBOUNDED G_MAXUINT

/* The characters an item can consume: one bit per ASCII character, and
 * three for the rest (word characters, spaces, anything else). Used to
 * tell whether two repetitions can compete for the same text. */
typedef struct {
	guint64 lo, hi;
	guint8 other;
} cmask;

enum { NA_WORD = 1, NA_SPACE = 2, NA_OTHER = 4, NA_ALL = 7 };

typedef struct {
	GPtrArray *req;       /* best required set: any one of these occurs in every match */
	guint minlen, maxlen; /* characters */
	cmask mask;
	gboolean impossible;
	gboolean loops;       /* contains a repetition of varying length or an alternation */
	char *lit;            /* exactly this literal text, or NULL */
	gboolean zero_width;
	int anchor;           /* ZW_* for zero-width items */
	gboolean possessive;  /* atomic group: never backtracked into */
} info;

enum { ZW_NONE, ZW_START, ZW_ABS_START, ZW_END, ZW_ABS_END, ZW_OPTION };

typedef struct {
	const char *p, *end;
	gboolean bail;
	gboolean risky;
	gboolean multiline;
	int depth;
} scanner;

static info parse_alt(scanner *s, guint before);

/* ---- masks ---- */

static void
set_bit(cmask *m, gunichar c)
{
	if (c < 64)
		m->lo |= G_GUINT64_CONSTANT(1) << c;
	else
		m->hi |= G_GUINT64_CONSTANT(1) << (c - 64);
}

static void
mask_char(cmask *m, gunichar c)
{
	if (c >= 128)
		m->other |= g_unichar_isspace(c) ? NA_SPACE : (g_unichar_isalnum(c) || g_unichar_ismark(c)) ? NA_WORD : NA_OTHER;
	else if (g_ascii_isalpha(c)) {
		/* Case may be ignored anywhere ((?i) inside): count both. */
		set_bit(m, g_ascii_tolower(c));
		set_bit(m, g_ascii_toupper(c));
	} else
		set_bit(m, c);
}

static void
mask_range(cmask *m, gunichar a, gunichar b)
{
	for (gunichar c = a; c <= b && c < 128; c++)
		mask_char(m, c);
	if (b >= 128)
		m->other = NA_ALL;
}

static cmask
mask_all(void)
{
	cmask m = { G_MAXUINT64, G_MAXUINT64, NA_ALL };
	return m;
}

static void
mask_or(cmask *m, const cmask *x)
{
	m->lo |= x->lo;
	m->hi |= x->hi;
	m->other |= x->other;
}

static gboolean
mask_overlap(const cmask *a, const cmask *b)
{
	return (a->lo & b->lo) || (a->hi & b->hi) || (a->other & b->other);
}

static gboolean
mask_has(const cmask *m, gunichar c)
{
	return c < 64 ? (m->lo >> c) & 1 : (m->hi >> (c - 64)) & 1;
}

static void
mask_complement(cmask *m)
{
	m->lo = ~m->lo;
	m->hi = ~m->hi;
	m->other = (guint8)(~m->other & NA_ALL);
}

/* \d \w \s \h \v and their negations; FALSE if c is not one of them.
 * With UCP each has members beyond ASCII, of one kind. */
static gboolean
mask_escape_class(cmask *m, char c)
{
	cmask x = { 0, 0, 0 };

	switch (g_ascii_tolower(c)) {
	case 'd':
		mask_range(&x, '0', '9');
		x.other = NA_WORD;
		break;
	case 'w':
		mask_range(&x, '0', '9');
		mask_range(&x, 'a', 'z');
		mask_char(&x, '_');
		x.other = NA_WORD;
		break;
	case 's':
		mask_range(&x, '\t', '\r');
		mask_char(&x, ' ');
		x.other = NA_SPACE;
		break;
	case 'h':
		mask_char(&x, '\t');
		mask_char(&x, ' ');
		x.other = NA_SPACE;
		break;
	case 'v':
		mask_range(&x, '\n', '\r');
		x.other = NA_SPACE;
		break;
	default:
		return FALSE;
	}
	if (g_ascii_isupper(c))
		mask_complement(&x);
	if (g_ascii_tolower(c) == 'd' && g_ascii_isupper(c))
		x.other = NA_ALL;  /* \D: non-ASCII letters too */
	mask_or(m, &x);
	return TRUE;
}

/* ---- literal sets ---- */

static GPtrArray *
set_of(const char *s)
{
	GPtrArray *set = g_ptr_array_new_with_free_func(g_free);
	g_ptr_array_add(set, g_strdup(s));
	return set;
}

static guint
set_score(const GPtrArray *set)
{
	guint best = G_MAXUINT;
	for (guint i = 0; i < set->len; i++)
		best = MIN(best, (guint)strlen(set->pdata[i]));
	return set->len == 0 ? 0 : best;
}

/* Keep the better of *best and cand (consumed either way). */
static void
consider(GPtrArray **best, GPtrArray *cand)
{
	if (cand == NULL)
		return;
	guint sc = set_score(cand), sb = *best != NULL ? set_score(*best) : 0;
	if (sc >= PD_RULES_MIN_LITERAL &&
	    (*best == NULL || sc > sb || (sc == sb && cand->len < (*best)->len))) {
		if (*best != NULL)
			g_ptr_array_unref(*best);
		*best = cand;
	} else
		g_ptr_array_unref(cand);
}

static GPtrArray *
set_copy(const GPtrArray *set)
{
	GPtrArray *copy = g_ptr_array_new_with_free_func(g_free);
	for (guint i = 0; set != NULL && i < set->len; i++)
		g_ptr_array_add(copy, g_strdup(set->pdata[i]));
	return copy;
}

static void
info_clear(info *n)
{
	if (n->req != NULL)
		g_ptr_array_unref(n->req);
	g_free(n->lit);
	n->req = NULL;
	n->lit = NULL;
}

static info
info_char(gunichar c)
{
	info n = { 0 };
	char buf[8] = { 0 };

	n.minlen = n.maxlen = 1;
	mask_char(&n.mask, c);
	if (!g_unichar_isspace(c) && c >= 0x20 && c != 0x7f) {
		g_unichar_to_utf8(c, buf);
		n.lit = g_strdup(buf);
	}
	return n;
}

static info
info_class(cmask m)
{
	info n = { 0 };
	n.minlen = n.maxlen = 1;
	n.mask = m;
	return n;
}

static info
info_anchor(int anchor)
{
	info n = { 0 };
	n.zero_width = TRUE;
	n.anchor = anchor;
	return n;
}

static info
info_bail(scanner *s)
{
	info n = { 0 };
	s->bail = TRUE;
	n.mask = mask_all();
	n.maxlen = UNBOUNDED;
	return n;
}

/* ---- escapes ---- */

static gboolean
take(scanner *s, const char *what)
{
	gsize n = strlen(what);
	if ((gsize)(s->end - s->p) >= n && memcmp(s->p, what, n) == 0) {
		s->p += n;
		return TRUE;
	}
	return FALSE;
}

/* Digits of a numeric escape in base, braced ({...}) or up to max digits. */
static gboolean
numeric(scanner *s, int base, int max, gboolean braced, gunichar *c_r)
{
	guint64 v = 0;
	int n = 0;

	if (braced && !take(s, "{"))
		return FALSE;
	while (s->p < s->end && (braced || n < max) && g_ascii_isxdigit(*s->p) &&
	       (base == 16 || (*s->p >= '0' && *s->p <= '7'))) {
		v = v * base + (guint64)g_ascii_xdigit_value(*s->p++);
		if (v > 0x10FFFF)
			return FALSE;
		n++;
	}
	if (braced && !take(s, "}"))
		return FALSE;
	*c_r = (gunichar)v;
	return TRUE;
}

static gboolean
escaped_char(scanner *s, char e, gunichar *c_r)
{
	static const char simple[] = "a\007e\033f\014n\012r\015t\011";
	const char *hit = strchr(simple, e);

	if (hit != NULL && (hit - simple) % 2 == 0 && e != '\0') {
		*c_r = (guchar)hit[1];
		return TRUE;
	}
	switch (e) {
	case 'x':
		return s->p < s->end && *s->p == '{' ? numeric(s, 16, 0, TRUE, c_r) : numeric(s, 16, 2, FALSE, c_r);
	case 'o':
		return numeric(s, 8, 0, TRUE, c_r);
	case '0':
		return numeric(s, 8, 2, FALSE, c_r);
	case 'c':
		if (s->p >= s->end || (guchar)*s->p >= 128)
			return FALSE;
		*c_r = (gunichar)(g_ascii_toupper(*s->p++) ^ 0x40);
		return TRUE;
	default:
		return FALSE;
	}
}

/* \N{U+hhhh}: s->p is on the first digit. */
static info
named_char(scanner *s)
{
	gunichar c = 0;
	int n = 0;

	while (s->p < s->end && g_ascii_isxdigit(*s->p) && n++ < 6)
		c = c * 16 + (gunichar)g_ascii_xdigit_value(*s->p++);
	if (n == 0 || c > 0x10FFFF || !take(s, "}"))
		return info_bail(s);
	return info_char(c);
}

static info
parse_escape(scanner *s)
{
	if (s->p >= s->end)
		return info_bail(s);
	if ((guchar)*s->p >= 128 || !g_ascii_isalnum(*s->p)) {
		gunichar c = g_utf8_get_char(s->p);
		s->p = g_utf8_next_char(s->p);
		return info_char(c);
	}
	char e = *s->p++;
	gunichar c;
	cmask m = { 0 };
	switch (e) {
	case 'b': case 'B': case 'G': case 'K':
		return info_anchor(ZW_NONE);
	case 'A':
		return info_anchor(ZW_ABS_START);
	case 'z':
		return info_anchor(ZW_ABS_END);
	case 'Z':
		return info_anchor(ZW_END);
	case 'E':
		return info_anchor(ZW_OPTION);
	case 'N':
		if (take(s, "{U+"))
			return named_char(s);
		return info_class(mask_all());
	case 'R': case 'X': {
		info n = info_class(mask_all());
		n.maxlen = e == 'R' ? 2 : UNBOUNDED;
		n.loops = e == 'X';
		return n;
	}
	case 'p': case 'P':
		if (take(s, "{")) {
			while (s->p < s->end && *s->p != '}')
				s->p++;
			if (!take(s, "}"))
				return info_bail(s);
		} else if (s->p < s->end)
			s->p = g_utf8_next_char(s->p);
		return info_class(mask_all());
	default:
		break;
	}
	if (mask_escape_class(&m, e))
		return info_class(m);
	if (escaped_char(s, e, &c))
		return info_char(c);
	return info_bail(s);  /* back references, \g, \k and the rest */
}

/* ---- character classes ---- */

static gboolean
class_escape(scanner *s, cmask *m, gunichar *c_r)
{
	if (s->p >= s->end)
		return FALSE;
	if ((guchar)*s->p >= 128 || !g_ascii_isalnum(*s->p)) {
		*c_r = g_utf8_get_char(s->p);
		s->p = g_utf8_next_char(s->p);
		return TRUE;
	}
	char e = *s->p++;
	if (mask_escape_class(m, e)) {
		*c_r = 0;
		return TRUE;
	}
	if (e == 'p' || e == 'P') {
		*m = mask_all();  /* a Unicode property: anything, as far as this reader knows */
		if (take(s, "{"))
			while (s->p < s->end && *s->p++ != '}')
				;
		else if (s->p < s->end)
			s->p = g_utf8_next_char(s->p);
		*c_r = 0;
		return TRUE;
	}
	if (e == 'b') {
		*c_r = '\b';
		return TRUE;
	}
	return escaped_char(s, e, c_r);
}

static gboolean
class_member(scanner *s, cmask *m, gunichar *c_r)
{
	if (take(s, "[:")) {
		while (s->p < s->end && !take(s, ":]"))
			s->p++;
		*m = mask_all();
		*c_r = 0;
		return TRUE;
	}
	if (take(s, "\\"))
		return class_escape(s, m, c_r);
	*c_r = g_utf8_get_char(s->p);
	s->p = g_utf8_next_char(s->p);
	return TRUE;
}

static info
parse_class(scanner *s)
{
	cmask m = { 0 };
	gboolean negated = take(s, "^"), first = TRUE;

	while (s->p < s->end && (first || *s->p != ']')) {
		gunichar a, b;
		first = FALSE;
		if (s->p + 1 < s->end && s->p[0] == '\\' && s->p[1] == 'Q')
			return info_bail(s);
		if (!class_member(s, &m, &a))
			return info_bail(s);
		if (a != 0 && s->p + 1 < s->end && *s->p == '-' && s->p[1] != ']') {
			s->p++;
			if (!class_member(s, &m, &b) || b == 0)
				return info_bail(s);
			mask_range(&m, a, b);
		} else if (a != 0)
			mask_char(&m, a);
	}
	if (!take(s, "]"))
		return info_bail(s);
	if (negated) {
		mask_complement(&m);
		m.other = NA_ALL;  /* [^é] still has every other letter */
	}
	return info_class(m);
}

/* ---- groups ---- */

static gboolean
option_letters(scanner *s, char *stop_r)
{
	while (s->p < s->end && (g_ascii_isalpha(*s->p) || *s->p == '-' || *s->p == '^')) {
		if (*s->p == 'x')
			s->bail = TRUE;  /* extended mode: white space and # mean other things */
		if (*s->p == 'm')
			s->multiline = TRUE;
		s->p++;
	}
	if (s->p >= s->end || (*s->p != ')' && *s->p != ':'))
		return FALSE;
	*stop_r = *s->p++;
	return TRUE;
}

static info
group_body(scanner *s, guint before, gboolean lookaround)
{
	info n;

	if (++s->depth > 200)
		return info_bail(s);
	n = parse_alt(s, lookaround ? 0 : before);
	s->depth--;
	if (!take(s, ")")) {
		info_clear(&n);
		return info_bail(s);
	}
	return n;
}

static info
lookaround(scanner *s, gboolean negative)
{
	gboolean empty = s->p < s->end && *s->p == ')';
	info inner = group_body(s, 0, TRUE);
	info n = info_anchor(ZW_NONE);

	n.impossible = negative && empty;  /* (?!) never matches */
	info_clear(&inner);
	return n;
}

static info
parse_group(scanner *s, guint before)
{
	char stop;

	if (!take(s, "?")) {
		if (s->p < s->end && *s->p == '*')
			return info_bail(s);  /* (*VERB) and (*pla:...) */
		return group_body(s, before, FALSE);
	}
	if (take(s, "#")) {
		while (s->p < s->end && *s->p != ')')
			s->p++;
		return take(s, ")") ? info_anchor(ZW_OPTION) : info_bail(s);
	}
	if (take(s, ":") || take(s, "|"))
		return group_body(s, before, FALSE);
	if (take(s, ">")) {
		info n = group_body(s, before, FALSE);
		n.possessive = TRUE;
		return n;
	}
	if (take(s, "=") || take(s, "!"))
		return lookaround(s, s->p[-1] == '!');
	if (take(s, "<=") || take(s, "<!"))
		return lookaround(s, s->p[-1] == '!');
	if (take(s, "<") || take(s, "P<") || take(s, "'")) {
		while (s->p < s->end && (g_ascii_isalnum(*s->p) || *s->p == '_'))
			s->p++;
		if (!take(s, ">") && !take(s, "'"))
			return info_bail(s);
		return group_body(s, before, FALSE);
	}
	if (s->p < s->end && (g_ascii_isalpha(*s->p) || *s->p == '-' || *s->p == '^')) {
		if (!option_letters(s, &stop) || s->bail)
			return info_bail(s);
		return stop == ')' ? info_anchor(ZW_OPTION) : group_body(s, before, FALSE);
	}
	return info_bail(s);  /* recursion, conditions, callouts, (?P=name) */
}

/* ---- items and quantifiers ---- */

static info
parse_atom(scanner *s, guint before)
{
	gunichar c = g_utf8_get_char(s->p);

	switch (c) {
	case '(':
		s->p++;
		return parse_group(s, before);
	case '[':
		s->p++;
		return parse_class(s);
	case '.':
		s->p++;
		return info_class(mask_all());
	case '^':
		s->p++;
		return info_anchor(s->multiline ? ZW_NONE : ZW_START);
	case '$':
		s->p++;
		return info_anchor(s->multiline ? ZW_NONE : ZW_END);
	case '\\':
		s->p++;
		return parse_escape(s);
	case '*': case '+': case '?':
		return info_bail(s);
	default:
		s->p = g_utf8_next_char(s->p);
		return info_char(c);
	}
}

typedef struct {
	guint min, max;
	gboolean present, possessive;
} quant;

static gboolean
braces(scanner *s, quant *q)
{
	const char *p = s->p + 1;
	guint64 a = 0, b;
	int n = 0;

	while (p < s->end && g_ascii_isdigit(*p) && n++ < 6)
		a = a * 10 + (guint64)(*p++ - '0');
	if (n == 0 || p >= s->end)
		return FALSE;
	b = a;
	if (*p == ',') {
		p++;
		b = UNBOUNDED;
		if (p < s->end && g_ascii_isdigit(*p))
			for (b = 0, n = 0; p < s->end && g_ascii_isdigit(*p) && n++ < 6;)
				b = b * 10 + (guint64)(*p++ - '0');
	}
	if (p >= s->end || *p != '}')
		return FALSE;
	q->min = (guint)a;
	q->max = (guint)b;
	s->p = p + 1;
	return TRUE;
}

static quant
parse_quant(scanner *s)
{
	quant q = { 1, 1, FALSE, FALSE };

	if (s->p >= s->end)
		return q;
	switch (*s->p) {
	case '*': q.min = 0; q.max = UNBOUNDED; s->p++; break;
	case '+': q.min = 1; q.max = UNBOUNDED; s->p++; break;
	case '?': q.min = 0; q.max = 1; s->p++; break;
	case '{':
		if (!braces(s, &q))
			return q;
		break;
	default:
		return q;
	}
	q.present = TRUE;
	if (take(s, "+"))
		q.possessive = TRUE;
	else
		take(s, "?");
	return q;
}

static guint
mul(guint a, guint b)
{
	if (a == UNBOUNDED || b == UNBOUNDED)
		return (a == 0 || b == 0) ? 0 : UNBOUNDED;
	guint64 r = (guint64)a * b;
	return r >= UNBOUNDED ? UNBOUNDED : (guint)r;
}

static guint
add(guint a, guint b)
{
	guint64 r = (guint64)a + b;
	return r >= UNBOUNDED ? UNBOUNDED : (guint)r;
}

/* ---- sequences ---- */

typedef struct {
	GString *run;       /* literal characters in a row */
	GPtrArray *best;
	gboolean exact;     /* everything so far was literal text */
	info n;             /* the sequence's summary */
	cmask pending;      /* characters a repetition before this point may still take */
	gboolean has_pending;
	int at_end;         /* after $ (1) or \z (2) */
} seq_state;

static void
flush_run(seq_state *st)
{
	if (st->run->len > 0)
		consider(&st->best, set_of(st->run->str));
	g_string_truncate(st->run, 0);
}

/* Two repetitions that can take the same characters, with nothing between
 * them that only one of them could take, make polynomial backtracking. */
static void
track_risk(scanner *s, seq_state *st, const info *it, const quant *q, gboolean variable)
{
	if (variable && q->present && q->max > 1 && it->loops && !q->possessive)
		s->risky = TRUE;  /* a repetition of something that itself varies: (a+)+, (a|aa)* */
	if (it->zero_width)
		return;
	if (variable) {
		if (st->has_pending && mask_overlap(&st->pending, &it->mask))
			s->risky = TRUE;
		if (!(it->minlen == 0 && st->has_pending))
			st->pending = it->mask;
		else
			mask_or(&st->pending, &it->mask);
		st->has_pending = TRUE;
	} else if (it->minlen > 0 && st->has_pending && !mask_overlap(&st->pending, &it->mask))
		st->has_pending = FALSE;
}

static void
track_anchors(seq_state *st, guint before, const info *it)
{
	st->n.impossible |= it->impossible;
	if (it->zero_width) {
		if (it->anchor == ZW_ABS_START || it->anchor == ZW_START)
			st->n.impossible |= add(before, st->n.minlen) > 0;
		else if (it->anchor == ZW_END)
			st->at_end = MAX(st->at_end, 1);
		else if (it->anchor == ZW_ABS_END)
			st->at_end = 2;
		return;
	}
	if (it->minlen > 0) {
		if (st->at_end == 2 || (st->at_end == 1 && !mask_has(&it->mask, '\n')))
			st->n.impossible = TRUE;
		st->at_end = 0;
	}
}

static void
add_literals(seq_state *st, info *it, const quant *q)
{
	if (it->zero_width) {
		if (it->anchor != ZW_OPTION)
			flush_run(st);
		return;
	}
	if (it->lit != NULL && !q->present && !it->possessive) {
		g_string_append(st->run, it->lit);
		return;
	}
	st->exact = FALSE;
	if (it->lit != NULL && q->min >= 1 && g_utf8_strlen(it->lit, -1) == 1) {
		g_string_append(st->run, it->lit);  /* a+ : one a is certain */
		flush_run(st);
		return;
	}
	flush_run(st);
	if (q->min >= 1 && it->req != NULL) {
		consider(&st->best, it->req);
		it->req = NULL;
	}
}

static void
seq_item(scanner *s, seq_state *st, guint before, info *it, const quant *q)
{
	gboolean variable;

	it->minlen = mul(it->minlen, q->min);
	it->maxlen = mul(it->maxlen, q->max);
	variable = it->minlen != it->maxlen && !it->possessive && !q->possessive;
	track_risk(s, st, it, q, variable);
	if (!(it->impossible && q->min == 0))
		track_anchors(st, before, it);
	if (it->lit == NULL && !(it->zero_width && it->anchor == ZW_OPTION))
		st->exact = FALSE;
	add_literals(st, it, q);
	st->n.minlen = add(st->n.minlen, it->minlen);
	st->n.maxlen = add(st->n.maxlen, it->maxlen);
	mask_or(&st->n.mask, &it->mask);
	st->n.loops |= it->loops || variable;
}

static gboolean
quote_literals(scanner *s, seq_state *st, guint before)
{
	quant none = { 1, 1, FALSE, FALSE };

	while (s->p < s->end && !take(s, "\\E")) {
		info it = info_char(g_utf8_get_char(s->p));
		s->p = g_utf8_next_char(s->p);
		seq_item(s, st, before, &it, &none);
		info_clear(&it);
	}
	/* A quantifier after \E applies to the last character alone. */
	return !(s->p < s->end && strchr("*+?{", *s->p) != NULL);
}

static info
parse_seq(scanner *s, guint before)
{
	seq_state st = { g_string_new(NULL), NULL, TRUE, { 0 }, { 0 }, FALSE, 0 };

	while (s->p < s->end && *s->p != '|' && *s->p != ')' && !s->bail) {
		if (take(s, "\\Q")) {
			if (!quote_literals(s, &st, before))
				s->bail = TRUE;
			continue;
		}
		info it = parse_atom(s, add(before, st.n.minlen));
		quant q = parse_quant(s);
		seq_item(s, &st, before, &it, &q);
		info_clear(&it);
	}
	if (st.exact && st.run->len > 0)
		st.n.lit = g_strdup(st.run->str);
	flush_run(&st);
	st.n.req = st.best;
	g_string_free(st.run, TRUE);
	return st.n;
}

/* Every match goes through one branch, so the union of the branches'
 * literals is required, if each branch has one. */
static info
parse_alt(scanner *s, guint before)
{
	info n = parse_seq(s, before);

	if (s->p >= s->end || *s->p != '|')
		return n;
	g_clear_pointer(&n.lit, g_free);
	n.loops = TRUE;
	while (take(s, "|")) {
		info b = parse_seq(s, before);
		n.minlen = MIN(n.minlen, b.minlen);
		n.maxlen = MAX(n.maxlen, b.maxlen);
		mask_or(&n.mask, &b.mask);
		n.impossible = n.impossible && b.impossible;
		if (n.req != NULL && b.req != NULL && n.req->len + b.req->len <= MAX_ALTERNATIVES)
			g_ptr_array_extend_and_steal(n.req, g_steal_pointer(&b.req));
		else
			g_clear_pointer(&n.req, g_ptr_array_unref);
		info_clear(&b);
	}
	return n;
}

void
pd_rxscan_pattern(const char *pattern, gsize len, const char *flags, pd_rxscan *out)
{
	scanner s = { pattern, pattern + len, FALSE, FALSE, FALSE, 0 };
	info n;

	memset(out, 0, sizeof *out);
	s.multiline = flags != NULL && strchr(flags, 'm') != NULL;
	if (flags != NULL && strchr(flags, 'x') != NULL) {
		out->risky = TRUE;
		return;
	}
	n = parse_alt(&s, 0);
	if (s.p != s.end || s.bail) {
		info_clear(&n);
		out->risky = TRUE;
		return;
	}
	out->literals = n.req != NULL ? set_copy(n.req) : NULL;
	out->impossible = n.impossible;
	out->risky = s.risky;
	info_clear(&n);
}

void
pd_rxscan_clear(pd_rxscan *scan)
{
	g_clear_pointer(&scan->literals, g_ptr_array_unref);
}
