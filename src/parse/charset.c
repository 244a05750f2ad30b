/* charset.c: declared charsets, their real-world aliases and the fallback chain, to UTF-8. */
#include "parse-private.h"
#include "text.h"

#include <errno.h>
#include <iconv.h>
#include <string.h>

/* What mail says and what it means. Labels are compared lower case. The
 * supersets are deliberate: mail labelled gb2312 or ks_c_5601-1987 uses
 * the characters of GB18030 and CP949, and Shift_JIS mail those of CP932. */
static const struct {
	const char *label;
	const char *iconv;
} aliases[] = {
	{ "ks_c_5601-1987", "CP949" }, { "ks_c_5601-1989", "CP949" }, { "ksc5601", "CP949" },
	{ "ksc_5601", "CP949" }, { "euc-kr", "CP949" }, { "windows-949", "CP949" },
	{ "x-windows-949", "CP949" }, { "uhc", "CP949" }, { "cp949", "CP949" },
	{ "gb2312", "GB18030" }, { "gb_2312-80", "GB18030" }, { "gbk", "GB18030" },
	{ "x-gbk", "GB18030" }, { "cp936", "GB18030" }, { "euc-cn", "GB18030" },
	{ "x-euc-cn", "GB18030" }, { "gb18030", "GB18030" }, { "chinese", "GB18030" },
	{ "shift_jis", "CP932" }, { "shift-jis", "CP932" }, { "x-sjis", "CP932" }, { "sjis", "CP932" },
	{ "ms_kanji", "CP932" }, { "csshiftjis", "CP932" }, { "windows-31j", "CP932" }, { "cp932", "CP932" },
	{ "euc-jp", "EUC-JP-MS" }, { "x-euc-jp", "EUC-JP-MS" },
	{ "big5", "BIG5-HKSCS" }, { "big5-hkscs", "BIG5-HKSCS" }, { "x-x-big5", "BIG5-HKSCS" },
	{ "iso-8859-1", "WINDOWS-1252" }, { "latin1", "WINDOWS-1252" }, { "iso8859-1", "WINDOWS-1252" },
	{ "iso-8859-8-i", "ISO-8859-8" }, { "iso-8859-6-i", "ISO-8859-6" },
	{ "utf8", "UTF-8" }, { "utf-8", "UTF-8" }, { "unicode-1-1-utf-8", "UTF-8" },
	{ "us-ascii", "US-ASCII" }, { "ascii", "US-ASCII" }, { "ansi_x3.4-1968", "US-ASCII" },
	{ "x-mac-roman", "MACINTOSH" }, { "macintosh", "MACINTOSH" }, { "mac", "MACINTOSH" },
	{ "windows-874", "CP874" }, { "tis-620", "CP874" }, { "iso-8859-11", "CP874" },
	/* Every ISO-2022-JP dialect goes through our own transcoder (iso2022jp_to_eucjp). */
	{ "iso-2022-jp", "ISO-2022-JP" }, { "csiso2022jp", "ISO-2022-JP" },
	{ "iso-2022-jp-1", "ISO-2022-JP" }, { "iso-2022-jp-2", "ISO-2022-JP" },
	{ "iso-2022-jp-3", "ISO-2022-JP" }, { "iso-2022-jp-ms", "ISO-2022-JP" },
	{ "x-iso-2022-jp-ms", "ISO-2022-JP" }, { "cp50220", "ISO-2022-JP" },
	{ "cp50221", "ISO-2022-JP" }, { "cp50222", "ISO-2022-JP" },
};

/* Labels that say "I do not know": the fallback chain decides. */
static const char *const unknown_labels[] = {
	"x-unknown", "unknown", "unknown-8bit", "x-user-defined", "default", "charset",
	"8bit", "x-unknown-charset", "none", NULL,
};

/* Modules of glibc's iconv are loaded on open and unloaded on the last
 * close; GMime opens and closes per conversion, which made loading them
 * (mmap, relocation, munmap) a fifth of the parse time. Descriptors held
 * open here keep the common ones loaded for the life of the process. */
static const char *const pinned_charsets[] = {
	"WINDOWS-1252", "ISO-8859-1", "ISO-8859-2", "ISO-8859-15", "WINDOWS-1250", "WINDOWS-1251",
	"KOI8-R", "ISO-2022-JP", "EUC-JP-MS", "CP932", "GB18030", "GBK", "CP949", "EUC-KR",
	"BIG5-HKSCS", "UTF-16", "UTF-7", NULL,
};
static GPtrArray *pinned;

/* One cache of open descriptors per thread: iconv_t is not thread-safe.
 * Mail uses a dozen charsets; the bound is for mail that invents them. */
#define MAX_CACHED 64
static void cache_free(gpointer table);
static GPrivate cache_key = G_PRIVATE_INIT(cache_free);

static void
iconv_close_one(gpointer cd)
{
	if (cd != (gpointer)(gintptr)-1)
		iconv_close((iconv_t)cd);
}

static void
cache_free(gpointer table)
{
	g_hash_table_unref(table);
}

void
pd_charset_init(void)
{
	if (pinned != NULL)
		return;
	pinned = g_ptr_array_new_with_free_func(iconv_close_one);
	for (int i = 0; pinned_charsets[i] != NULL; i++) {
		iconv_t cd = iconv_open("UTF-8", pinned_charsets[i]);

		if (cd != (iconv_t)-1)
			g_ptr_array_add(pinned, cd);
	}
}

void
pd_charset_shutdown(void)
{
	g_clear_pointer(&pinned, g_ptr_array_unref);
}

/* What make() gives for charset, kept in this thread's cache under key. */
static gpointer
thread_cached(GPrivate *key, GDestroyNotify value_free, const char *charset, gpointer (*make)(const char *))
{
	GHashTable *cache = g_private_get(key);
	gpointer value;

	if (cache == NULL) {
		cache = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, value_free);
		g_private_set(key, cache);
	}
	if (!g_hash_table_lookup_extended(cache, charset, NULL, &value)) {
		/* Labels come from mail: hostile mail can name endless ones. */
		if (g_hash_table_size(cache) >= MAX_CACHED)
			g_hash_table_remove_all(cache);
		value = make(charset);
		g_hash_table_insert(cache, g_strdup(charset), value);
	}
	return value;
}

static gpointer
iconv_to_utf8(const char *charset)
{
	return (gpointer)iconv_open("UTF-8", charset);
}

/* A descriptor from charset to UTF-8, reset; (iconv_t)-1 if iconv has none. */
static iconv_t
cached_iconv(const char *charset)
{
	iconv_t cd = (iconv_t)thread_cached(&cache_key, iconv_close_one, charset, iconv_to_utf8);

	if (cd != (iconv_t)-1)
		iconv(cd, NULL, NULL, NULL, NULL);
	return cd;
}

/* A stateless single-byte charset as a table of what iconv makes of each
 * byte alone: iconv's converters cost more per byte than all the rest of
 * decoding a Latin-1 part. */
typedef struct {
	char utf8[256][4];   /* not terminated: len says how many */
	guint8 len[256];     /* 0: iconv rejects the byte */
	gboolean ascii;      /* 0x00..0x7F stand for themselves */
} byte_table;

/* Tables are built per thread, like the descriptors, so no lock is
 * needed; NULL in the cache says the charset has none. */
static GPrivate table_key = G_PRIVATE_INIT(cache_free);

/* The table of charset, or NULL when iconv cannot open it or it is not
 * stateless single-byte after all: a byte that iconv holds back for the
 * next one (CP1255 and CP1258 compose accents that way) or that starts a
 * longer sequence (EINVAL) would make the table answer differently. */
static gpointer
byte_table_new(const char *charset)
{
	iconv_t cd;
	byte_table *t;

	if (strchr(charset, '/') != NULL)
		return NULL;   /* "//IGNORE" and the like change what iconv does */
	cd = iconv_open("UTF-8", charset);
	if (cd == (iconv_t)-1)
		return NULL;
	t = g_new0(byte_table, 1);
	t->ascii = TRUE;
	for (guint b = 0; b < 256 && t != NULL; b++) {
		char c = (char)b, buf[16];
		char *in = &c, *o = buf;
		gsize inleft = 1, oleft = sizeof buf, n;

		iconv(cd, NULL, NULL, NULL, NULL);
		if (iconv(cd, &in, &inleft, &o, &oleft) == (gsize)-1) {
			if (errno != EILSEQ)
				g_clear_pointer(&t, g_free);
			continue;   /* len 0: invalid */
		}
		n = sizeof buf - oleft;
		if (n == 0 || n > sizeof t->utf8[b] || iconv(cd, NULL, NULL, &o, &oleft) == (gsize)-1 ||
		    sizeof buf - oleft != n) {
			g_clear_pointer(&t, g_free);
			continue;
		}
		memcpy(t->utf8[b], buf, n);
		t->len[b] = (guint8)n;
		if (b < 0x80 && (n != 1 || (guchar)buf[0] != b))
			t->ascii = FALSE;
	}
	iconv_close(cd);
	return t;
}

static const byte_table *
cached_table(const char *charset)
{
	return thread_cached(&table_key, g_free, charset, byte_table_new);
}

/* What convert() does, by table: FALSE at the first invalid byte, or
 * (lossy) U+FFFD for each and go on. */
static gboolean
convert_table(const byte_table *t, const char *data, gsize len, gboolean lossy, GString *out)
{
	const guchar *p = (const guchar *)data, *end = p + len;
	char buf[4096];

	while (p < end) {
		/* at most four bytes out for each one in */
		const guchar *stop = p + MIN((gsize)(end - p), sizeof buf / 4);
		char *o = buf;

		while (p < stop) {
			guchar c = *p;

			if (t->ascii && stop - p >= 8) {
				guint64 w;

				memcpy(&w, p, 8);
				if ((w & G_GUINT64_CONSTANT(0x8080808080808080)) == 0) {
					memcpy(o, &w, 8);
					o += 8;
					p += 8;
					continue;
				}
			}
			if (t->len[c] == 0) {
				if (!lossy) {
					g_string_append_len(out, buf, (gssize)(o - buf));
					return FALSE;
				}
				memcpy(o, PD_UTF8_REPLACEMENT, 3);
				o += 3;
			} else {
				memcpy(o, t->utf8[c], 4);
				o += t->len[c];
			}
			p++;
		}
		g_string_append_len(out, buf, (gssize)(o - buf));
	}
	return TRUE;
}

static gpointer
alias_table_new(gpointer unused)
{
	GHashTable *table = g_hash_table_new(g_str_hash, g_str_equal);

	(void)unused;
	for (gsize i = 0; i < G_N_ELEMENTS(aliases); i++)
		g_hash_table_insert(table, (gpointer)aliases[i].label, (gpointer)aliases[i].iconv);
	return table;
}

/* Charset labels are short: lowered into buf (of size bytes) when they fit,
 * else on the heap; the caller frees what is not buf. */
static char *
ascii_lower(const char *s, char *buf, gsize size)
{
	gsize len = strlen(s);
	char *lower = len < size ? buf : g_malloc(len + 1);

	pd_ascii_lower(lower, s, len + 1);
	return lower;
}

const char *
pd_charset_resolve(const char *label)
{
	static GOnce once = G_ONCE_INIT;
	GHashTable *table = g_once(&once, alias_table_new, NULL);
	char buf[64], *lower;
	const char *found;

	if (label == NULL || *label == '\0')
		return NULL;
	lower = ascii_lower(label, buf, sizeof buf);
	g_strstrip(lower);
	found = g_hash_table_lookup(table, lower);
	if (found == NULL && !g_strv_contains(unknown_labels, lower) &&
	    cached_iconv(label) != (iconv_t)-1)
		found = label;
	if (lower != buf)
		g_free(lower);
	return found;
}

static gboolean
is_utf8_name(const char *name)
{
	return g_ascii_strcasecmp(name, "UTF-8") == 0 || g_ascii_strcasecmp(name, "UTF8") == 0;
}

static gboolean
is_ascii_name(const char *name)
{
	return g_ascii_strcasecmp(name, "US-ASCII") == 0;
}

/* Charsets where ASCII bytes mean ASCII and every byte is one character:
 * the ones that mail mislabels when it is really UTF-8. */
static gboolean
is_single_byte(const char *name)
{
	return g_ascii_strncasecmp(name, "ISO-8859-", 9) == 0 ||
	       g_ascii_strncasecmp(name, "WINDOWS-125", 11) == 0 ||
	       g_ascii_strncasecmp(name, "KOI8", 4) == 0 || g_ascii_strcasecmp(name, "MACINTOSH") == 0 ||
	       g_ascii_strcasecmp(name, "CP874") == 0;
}

/* 7-bit input that means the same in every charset that keeps ASCII: no
 * conversion needed. ESC starts ISO-2022 shifts; '+' and '~' shift UTF-7
 * and HZ, and NUL says UTF-16 or UTF-32. */
static gboolean
is_shifting(const char *charset)
{
	char buf[64], *lower;
	gboolean shifting;

	if (charset == NULL)
		return FALSE;
	/* Labels iconv knows pass through as the mail wrote them ("utf-7"). */
	lower = ascii_lower(charset, buf, sizeof buf);
	shifting = strstr(lower, "utf-7") != NULL || strstr(lower, "utf7") != NULL ||
	           strstr(lower, "utf-16") != NULL || strstr(lower, "utf-32") != NULL ||
	           strstr(lower, "ucs") != NULL || strncmp(lower, "hz", 2) == 0;
	if (lower != buf)
		g_free(lower);
	return shifting;
}

static gboolean
is_plain_ascii(const char *data, gsize len, const char *charset)
{
	return !is_shifting(charset) && pd_text_is_ascii(data, len) && memchr(data, 0x1B, len) == NULL &&
	       memchr(data, 0, len) == NULL;
}

/* ISO-2022-JP as written by real clients (CP50220-2, -MS, halfwidth kana,
 * NEC and IBM extensions) is JIS X 0208/0212/0201 behind escapes: the same
 * code points as EUC-JP-MS, which glibc converts with the extensions that
 * its own ISO-2022-JP converters reject. Returns NULL for escapes outside
 * that (ISO-2022-JP-2's Chinese and Korean sets): then glibc decides. */
static GString *
iso2022jp_to_eucjp(const char *data, gsize len)
{
	GString *out = g_string_sized_new(len);
	enum { ASCII, JIS0208, JIS0212, KANA } mode = ASCII;

	for (gsize i = 0; i < len; i++) {
		guchar c = (guchar)data[i];

		if (c == 0x1B) {
			const char *e = data + i + 1;
			gsize left = len - i - 1;

			if (left >= 2 && (memcmp(e, "(B", 2) == 0 || memcmp(e, "(J", 2) == 0)) {
				mode = ASCII;
				i += 2;
			} else if (left >= 2 && (memcmp(e, "$B", 2) == 0 || memcmp(e, "$@", 2) == 0)) {
				mode = JIS0208;
				i += 2;
			} else if (left >= 2 && memcmp(e, "(I", 2) == 0) {
				mode = KANA;
				i += 2;
			} else if (left >= 3 && memcmp(e, "$(D", 3) == 0) {
				mode = JIS0212;
				i += 3;
			} else if (left >= 3 && (memcmp(e, "$(Q", 3) == 0 || memcmp(e, "$(O", 3) == 0)) {
				mode = JIS0208;   /* JIS X 0213 plane 1: mostly JIS X 0208 */
				i += 3;
			} else {
				g_string_free(out, TRUE);
				return NULL;
			}
		} else if (c == 0x0E || c == 0x0F) {
			mode = c == 0x0E ? KANA : ASCII;   /* SO/SI kana of CP50222 */
		} else if (c == '\n' || c == '\r' || c >= 0x80 || mode == ASCII) {
			if (c == '\n')
				mode = mode == KANA ? ASCII : mode;
			g_string_append_c(out, (char)c);
		} else if (mode == KANA) {
			g_string_append_c(out, (char)0x8E);
			g_string_append_c(out, (char)(c | 0x80));
		} else if (c > 0x20 && c < 0x7F && i + 1 < len && (guchar)data[i + 1] > 0x20 && (guchar)data[i + 1] < 0x7F) {
			if (mode == JIS0212)
				g_string_append_c(out, (char)0x8F);
			g_string_append_c(out, (char)(c | 0x80));
			g_string_append_c(out, (char)((guchar)data[++i] | 0x80));
		} else {
			g_string_append_c(out, (char)c);
		}
	}
	return out;
}

/* Convert all of data, or FALSE at the first byte that is not valid in
 * charset (lossy: U+FFFD for it, and go on). */
static gboolean
convert(iconv_t cd, const char *data, gsize len, gboolean lossy, GString *out)
{
	char buf[4096];
	char *in = (char *)data, *o;
	gsize inleft = len, oleft, rc;

	while (inleft > 0) {
		int err;

		o = buf;
		oleft = sizeof buf;
		rc = iconv(cd, &in, &inleft, &o, &oleft);
		err = errno;
		g_string_append_len(out, buf, (gssize)(sizeof buf - oleft));
		if (rc != (gsize)-1 || err == E2BIG)
			continue;
		if (!lossy)
			return FALSE;
		g_string_append(out, PD_UTF8_REPLACEMENT);
		if (err == EINVAL)
			break;   /* an incomplete sequence at the very end */
		in++;
		inleft--;
	}
	/* Stateful charsets (ISO-2022-*) may owe a shift back. */
	do {
		o = buf;
		oleft = sizeof buf;
		rc = iconv(cd, NULL, NULL, &o, &oleft);
		g_string_append_len(out, buf, (gssize)(sizeof buf - oleft));
	} while (rc == (gsize)-1 && errno == E2BIG);
	return TRUE;
}

static gboolean
decode_as(const char *charset, const char *data, gsize len, gboolean lossy, GString *out)
{
	GString *jis = NULL;
	const byte_table *t;
	iconv_t cd;
	gboolean ok;

	if (is_utf8_name(charset) || is_ascii_name(charset)) {
		if (lossy) {
			char *valid = g_utf8_make_valid(data, (gssize)len);

			g_string_append(out, valid);
			g_free(valid);
			return TRUE;
		}
		if (is_ascii_name(charset) && !pd_text_is_ascii(data, len))
			return FALSE;
		if (!pd_utf8_valid(data, len))
			return FALSE;
		g_string_append_len(out, data, (gssize)len);
		return TRUE;
	}
	if (is_single_byte(charset) && (t = cached_table(charset)) != NULL)
		return convert_table(t, data, len, lossy, out);
	if (strcmp(charset, "ISO-2022-JP") == 0 && (jis = iso2022jp_to_eucjp(data, len)) != NULL)
		charset = "EUC-JP-MS";
	cd = cached_iconv(strcmp(charset, "ISO-2022-JP") == 0 ? "ISO-2022-JP-3" : charset);
	if (cd == (iconv_t)-1)
		ok = FALSE;
	else if (jis != NULL)
		ok = convert(cd, jis->str, jis->len, lossy, out);
	else
		ok = convert(cd, data, len, lossy, out);
	if (jis != NULL)
		g_string_free(jis, TRUE);
	return ok;
}

/* The declared charset when the bytes are valid in it; UTF-8 when they are
 * UTF-8 under a single-byte label (the commonest mislabel); the chain when
 * the label is unknown, absent, or a UTF-8/ASCII label the bytes break. */
static gboolean
decode_declared(const char *declared, const char *data, gsize len, GString *out)
{
	if (declared == NULL)
		return FALSE;
	if (is_single_byte(declared) && !pd_text_is_ascii(data, len) && pd_utf8_valid(data, len)) {
		g_string_append_len(out, data, (gssize)len);
		return TRUE;
	}
	if (decode_as(declared, data, len, FALSE, out))
		return TRUE;
	g_string_truncate(out, 0);
	if (is_utf8_name(declared) || is_ascii_name(declared))
		return FALSE;
	/* A known charset with a few bad bytes: it was still the right one. */
	return decode_as(declared, data, len, TRUE, out);
}

static void
decode_fallback(const char *const *fallback, const char *data, gsize len, GString *out)
{
	const char *first = NULL;

	for (int i = 0; fallback != NULL && fallback[i] != NULL; i++) {
		const char *name = pd_charset_resolve(fallback[i]);

		if (name == NULL)
			continue;
		if (first == NULL)
			first = name;
		if (decode_as(name, data, len, FALSE, out))
			return;
		g_string_truncate(out, 0);
	}
	decode_as(first != NULL ? first : "UTF-8", data, len, TRUE, out);
}

char *
pd_charset_to_utf8(const char *charset, const char *data, gsize len, const char *const *fallback)
{
	const char *declared;
	GString *out;

	if (len == 0)
		return g_strdup("");
	declared = pd_charset_resolve(charset);
	if (is_plain_ascii(data, len, declared))
		return g_strndup(data, len);
	out = g_string_sized_new(len + 16);
	if (!decode_declared(declared, data, len, out))
		decode_fallback(fallback, data, len, out);
	if (memchr(out->str, '\0', out->len) != NULL) {
		/* Every path above yields valid UTF-8 (validated, or iconv's
		 * output), but a NUL in the input passes through any of them. */
		GByteArray *clean = g_byte_array_sized_new((guint)out->len + 16);
		char *valid;

		pd_text_append_without_nul(clean, out->str, out->len);
		valid = g_utf8_make_valid((const char *)clean->data, (gssize)clean->len);
		g_byte_array_unref(clean);
		g_string_free(out, TRUE);
		return valid;
	}
	return g_string_free(out, FALSE);
}

/* ---- encoded words ---------------------------------------------------- */

/* A label GMime cannot open: it then decodes the word with the fallback
 * charsets of the parser options, which are ours. */
#define FALLBACK_LABEL "x-postdesk-fallback"

static char *
decode_q(const char *s, gsize len, gsize *out_len)
{
	char *out = g_malloc(len + 1);
	gsize n = 0;

	for (gsize i = 0; i < len; i++) {
		if (s[i] == '=' && i + 2 < len && g_ascii_isxdigit(s[i + 1]) && g_ascii_isxdigit(s[i + 2])) {
			out[n++] = (char)(g_ascii_xdigit_value(s[i + 1]) * 16 + g_ascii_xdigit_value(s[i + 2]));
			i += 2;
		} else {
			out[n++] = s[i] == '_' ? ' ' : s[i];
		}
	}
	out[n] = '\0';
	*out_len = n;
	return out;
}

/* Whether the payload of a word labelled UTF-8 really is UTF-8. */
static gboolean
payload_is_utf8(char encoding, const char *payload, gsize len)
{
	char *copy, *bytes;
	gsize n = 0;
	gboolean ok;

	if (encoding == 'q' || encoding == 'Q') {
		bytes = decode_q(payload, len, &n);
	} else {
		copy = g_strndup(payload, len);
		bytes = (char *)g_base64_decode(copy, &n);
		g_free(copy);
	}
	ok = pd_utf8_valid(bytes, n);
	g_free(bytes);
	return ok;
}

/* The label an encoded word should carry, or NULL to keep its own. */
static const char *
better_label(const char *label, char encoding, const char *payload, gsize len)
{
	char *base = g_strdup(label);
	char *star = strchr(base, '*');   /* RFC 2231 language suffix */
	const char *resolved, *better = NULL;

	if (star != NULL)
		*star = '\0';
	resolved = pd_charset_resolve(base);
	if (resolved == NULL)
		better = FALLBACK_LABEL;
	else if (is_utf8_name(resolved) && !payload_is_utf8(encoding, payload, len))
		better = FALLBACK_LABEL;
	else if (strcmp(resolved, "ISO-2022-JP") == 0)
		better = NULL;   /* GMime's own converter handles the common subset */
	else if (g_ascii_strcasecmp(resolved, base) != 0)
		better = resolved;
	g_free(base);
	return better;
}

/* One encoded word at p ("=?label?E?payload?="): its parts, or FALSE. */
typedef struct {
	const char *label, *payload, *end;   /* end: after "?=" */
	gsize label_len, payload_len;
	char encoding;
} encoded_word;

static gboolean
encoded_word_at(const char *p, encoded_word *w)
{
	const char *q1, *end;

	if (p[0] != '=' || p[1] != '?')
		return FALSE;
	w->label = p + 2;
	q1 = strchr(w->label, '?');
	if (q1 == NULL || q1 - w->label > 64 || q1[1] == '\0' || q1[2] != '?')
		return FALSE;
	w->payload = q1 + 3;
	end = strstr(w->payload, "?=");
	if (end == NULL)
		return FALSE;
	w->label_len = (gsize)(q1 - w->label);
	w->encoding = q1[1];
	w->payload_len = (gsize)(end - w->payload);
	w->end = end + 2;
	return TRUE;
}

static gboolean
is_base64_word(const encoded_word *w)
{
	return w->encoding == 'B' || w->encoding == 'b';
}

static void
append_base64_payload(GByteArray *bytes, const encoded_word *w)
{
	char *copy = g_strndup(w->payload, w->payload_len);
	gsize n = 0;
	guchar *data = g_base64_decode(copy, &n);

	g_byte_array_append(bytes, data, (guint)n);
	g_free(data);
	g_free(copy);
}

/* GMime decodes adjacent base64 words of one charset as one stream (a
 * character may be split between them), and that stream ends at the
 * first word's '=' padding: the rest of a long folded Subject is lost.
 * Such runs become one word here, decoded and encoded again. NULL when
 * there is no run to join. */
static char *
join_base64_runs(const char *raw)
{
	GString *out = NULL;
	const char *p = raw, *copied = raw;
	encoded_word first, next;

	while ((p = strstr(p, "=?")) != NULL) {
		const char *gap;
		GByteArray *bytes;
		guint joined = 0;
		char *b64;

		if (!encoded_word_at(p, &first)) {
			p += 2;
			continue;
		}
		if (!is_base64_word(&first)) {
			p = first.end;
			continue;
		}
		bytes = g_byte_array_new();
		append_base64_payload(bytes, &first);
		gap = first.end;
		for (;;) {
			const char *q = gap + strspn(gap, " \t\r\n");

			if (q == gap || !encoded_word_at(q, &next) || !is_base64_word(&next) ||
			    next.label_len != first.label_len ||
			    g_ascii_strncasecmp(next.label, first.label, first.label_len) != 0)
				break;
			append_base64_payload(bytes, &next);
			gap = next.end;
			joined++;
		}
		if (joined > 0) {
			if (out == NULL)
				out = g_string_new(NULL);
			g_string_append_len(out, copied, p - copied);
			b64 = g_base64_encode(bytes->data, bytes->len);
			g_string_append_printf(out, "=?%.*s?B?%s?=", (int)first.label_len, first.label, b64);
			g_free(b64);
			copied = gap;
		}
		g_byte_array_unref(bytes);
		p = gap;
	}
	if (out == NULL)
		return NULL;
	g_string_append(out, copied);
	return g_string_free(out, FALSE);
}

static char *
relabel_words(const char *raw)
{
	GString *out = NULL;
	const char *p = raw, *copied = raw;

	while ((p = strstr(p, "=?")) != NULL) {
		const char *label = p + 2, *q1 = strchr(label, '?');
		const char *payload, *end;
		const char *better;
		char *name;

		if (q1 == NULL || q1 - label > 64 || q1[1] == '\0' || q1[2] != '?')
			break;
		payload = q1 + 3;
		end = strstr(payload, "?=");
		if (end == NULL)
			break;
		name = g_strndup(label, (gsize)(q1 - label));
		better = better_label(name, q1[1], payload, (gsize)(end - payload));
		g_free(name);
		if (better != NULL) {
			if (out == NULL)
				out = g_string_new(NULL);
			g_string_append_len(out, copied, label - copied);
			g_string_append(out, better);
			copied = q1;
		}
		p = end + 2;
	}
	if (out == NULL)
		return NULL;
	g_string_append(out, copied);
	return g_string_free(out, FALSE);
}

char *
pd_charset_fix_encoded_words(const char *raw)
{
	char *joined = join_base64_runs(raw);
	char *relabelled = relabel_words(joined != NULL ? joined : raw);

	if (relabelled == NULL)
		return joined;
	g_free(joined);
	return relabelled;
}
