/* fold.c: the text the keyword automaton reads: NFC, Unicode case folding, white space collapsed, word edges. */
#include "config.h"
#include "rules-private.h"

#include <string.h>

/* Per BMP code point: the folded code point when folding gives one, or
 * FOLD_MULTI when it gives several (ß -> ss), and FOLD_SPACE for white
 * space. Built once; GLib folds one string at a time, which would cost
 * an allocation per word of every mail. */
#define FOLD_MULTI 0x40000000u
#define FOLD_SPACE 0x80000000u
#define FOLD_CP 0x001fffffu

static guint32 *fold_bmp;
/* Bit set: this BMP character may change under NFC (a combining mark, a
 * singleton or excluded decomposition, a jamo or Brahmic vowel sign). */
static guint8 *nfc_maybe;

static gboolean
nfc_unstable(gunichar c)
{
	gunichar a, b, x;

	if (c < 0x300)
		return FALSE;  /* Latin-1 and Latin Extended: all stable */
	if (g_unichar_combining_class(c) != 0)
		return TRUE;
	/* Vowel signs and jamo that compose with what precedes them (ccc 0). */
	if ((c >= 0x0900 && c <= 0x0DFF) || (c >= 0x1000 && c <= 0x109F) || (c >= 0x1100 && c <= 0x11FF) ||
	    (c >= 0x1B00 && c <= 0x1B7F) || (c >= 0x11000 && c <= 0x11FFF))
		return TRUE;
	if (!g_unichar_decompose(c, &a, &b))
		return FALSE;
	return b == 0 || !g_unichar_compose(a, b, &x) || x != c;
}

static guint32
fold_entry(gunichar c)
{
	char buf[8];
	int n = g_unichar_to_utf8(c, buf);
	char *f = g_utf8_casefold(buf, n);
	guint32 v;

	if (g_unichar_isspace(c))
		v = FOLD_SPACE | ' ';
	else if (g_utf8_strlen(f, -1) == 1)
		v = g_utf8_get_char(f);
	else
		v = FOLD_MULTI;
	g_free(f);
	return v;
}

static gpointer
build_tables(gpointer unused)
{
	fold_bmp = g_new(guint32, 0x10000);
	nfc_maybe = g_new0(guint8, 0x10000 / 8);
	for (gunichar c = 0; c < 0x10000; c++) {
		if (c >= 0xD800 && c <= 0xDFFF) {
			fold_bmp[c] = c;
			continue;
		}
		fold_bmp[c] = fold_entry(c);
		if (nfc_unstable(c))
			nfc_maybe[c >> 3] |= 1u << (c & 7);
	}
	return NULL;
}

static void
tables_init(void)
{
	static GOnce once = G_ONCE_INIT;
	g_once(&once, build_tables, NULL);
}

static gboolean
needs_nfc(gunichar c)
{
	if (c < 0x10000)
		return (nfc_maybe[c >> 3] >> (c & 7)) & 1;
	return nfc_unstable(c) || (c >= 0x1D15E && c <= 0x1D1C0) || (c >= 0x2F800 && c <= 0x2FA1F);
}

/* Bytes of ASCII text 8 at a time: none has its high bit set. */
static gboolean
ascii8(const char *p)
{
	guint64 w;
	memcpy(&w, p, 8);
	return (w & G_GUINT64_CONSTANT(0x8080808080808080)) == 0;
}

static const char *
skip_ascii(const char *p, const char *end)
{
	while (end - p >= 8 && ascii8(p))
		p += 8;
	while (p < end && (guchar)*p < 0x80)
		p++;
	return p;
}

/* Folding writes straight into the string's buffer; a mail is folded on
 * every delivery, so this loop is the hottest one in routing. */
typedef struct {
	GString *out;
	char *o;         /* write position */
	gboolean space;  /* the last byte written is a space */
} folder;

static void
reserve(folder *f, gsize more)
{
	gsize used = (gsize)(f->o - f->out->str);
	if (used + more + 1 > f->out->len) {
		g_string_set_size(f->out, (used + more) * 2 + 16);
		f->o = f->out->str + used;
	}
}

static void
fold_multi(folder *f, const char *p)
{
	char *m = g_utf8_casefold(p, g_utf8_next_char(p) - p);
	gsize n = strlen(m);
	reserve(f, n);
	memcpy(f->o, m, n);
	f->o += n;
	g_free(m);
}

static void
fold_char(folder *f, const char *p, gunichar c)
{
	guint32 v = c < 0x10000 ? fold_bmp[c] : FOLD_MULTI;

	if (v & FOLD_SPACE) {
		if (!f->space)
			*f->o++ = ' ';
		f->space = TRUE;
		return;
	}
	f->space = FALSE;
	if (v & FOLD_MULTI)
		fold_multi(f, p);
	else
		f->o += g_unichar_to_utf8(v & FOLD_CP, f->o);
}

void
pd_fold_append(GString *out, const char *s, gsize len)
{
	static const guint8 space[128] = { ['\t'] = 1, ['\n'] = 1, ['\v'] = 1, ['\f'] = 1, ['\r'] = 1, [' '] = 1 };
	gsize start = out->len;
	folder f = { out, NULL, start > 0 && out->str[start - 1] == ' ' };
	const char *p = s, *end = s + len;

	tables_init();
	/* A folded character takes at most three times its bytes, except the
	 * few that fold to several characters: fold_multi makes room. */
	g_string_set_size(out, start + 3 * len + 16);
	f.o = out->str + start;
	while (p < end) {
		guchar b = (guchar)*p;
		if (b < 0x80) {
			if (space[b]) {
				if (!f.space)
					*f.o++ = ' ';
				f.space = TRUE;
			} else {
				*f.o++ = (char)(b >= 'A' && b <= 'Z' ? b + 32 : b);
				f.space = FALSE;
			}
			p++;
			continue;
		}
		reserve(&f, 8);
		fold_char(&f, p, g_utf8_get_char(p));
		p = g_utf8_next_char(p);
	}
	g_string_set_size(out, (gsize)(f.o - out->str));
}

const char *
pd_nfc(const char *s, gsize len, gsize *len_r, char **owned_r)
{
	const char *p = s, *end = s + len;

	tables_init();
	*owned_r = NULL;
	*len_r = len;
	while ((p = skip_ascii(p, end)) < end) {
		if (needs_nfc(g_utf8_get_char(p))) {
			*owned_r = g_utf8_normalize(s, len, G_NORMALIZE_NFC);
			if (*owned_r == NULL)  /* not UTF-8: the setters prevent it */
				return s;
			*len_r = strlen(*owned_r);
			return *owned_r;
		}
		p = g_utf8_next_char(p);
	}
	return s;
}

char *
pd_fold(const char *s)
{
	gsize n;
	char *owned;
	const char *nfc = pd_nfc(s, strlen(s), &n, &owned);
	GString *out = g_string_sized_new(n);

	pd_fold_append(out, nfc, n);
	g_free(owned);
	return g_strstrip(g_string_free(out, FALSE));
}

/* Scripts written without spaces between words: a keyword in them matches
 * inside a run of text, since there is no word edge to look for. */
static gboolean
continuous_script(gunichar c)
{
	switch (g_unichar_get_script(c)) {
	case G_UNICODE_SCRIPT_HAN:
	case G_UNICODE_SCRIPT_HIRAGANA:
	case G_UNICODE_SCRIPT_KATAKANA:
	case G_UNICODE_SCRIPT_THAI:
	case G_UNICODE_SCRIPT_LAO:
	case G_UNICODE_SCRIPT_KHMER:
	case G_UNICODE_SCRIPT_MYANMAR:
	case G_UNICODE_SCRIPT_TIBETAN:
		return TRUE;
	default:
		return FALSE;
	}
}

gboolean
pd_is_word_char(gunichar c)
{
	if (c < 0x80)
		return g_ascii_isalnum(c) || c == '_';
	return g_unichar_isalnum(c) || g_unichar_ismark(c);
}

/* A neighbour that continues the word: a word character of a spaced script. */
static gboolean
joins_word(gunichar c)
{
	return pd_is_word_char(c) && (c < 0x80 || !continuous_script(c));
}

gboolean
pd_word_edge_before(const char *text, gsize lo, gsize start)
{
	if (start <= lo)
		return TRUE;
	const char *prev = g_utf8_find_prev_char(text + lo, text + start);
	return prev == NULL || !joins_word(g_utf8_get_char(prev));
}

gboolean
pd_word_edge_after(const char *text, gsize end, gsize hi)
{
	if (end >= hi)
		return TRUE;
	return !joins_word(g_utf8_get_char(text + end));
}

void
pd_word_edges(const char *folded, gboolean *left_r, gboolean *right_r)
{
	*left_r = *right_r = FALSE;
	if (*folded == '\0')
		return;
	gunichar first = g_utf8_get_char(folded);
	const char *last = g_utf8_find_prev_char(folded, folded + strlen(folded));
	gunichar lastc = g_utf8_get_char(last);
	*left_r = joins_word(first);
	*right_r = joins_word(lastc);
}
