/* test-parse-content.c: unit tests for what the parser reads out of mail: charsets, attachments, HTML, flags. */
#include "parse-util.h"
#include "parse/parse-private.h"
#include "parse/text.h"

#include <string.h>

/* ---- charsets --------------------------------------------------------- */

static char *
text_mail(const char *charset, const char *cte, const char *body)
{
	char *cte_line = cte != NULL ? g_strdup_printf("Content-Transfer-Encoding: %s\n", cte) : g_strdup("");
	char *raw = g_strdup_printf("From: a@example.com\nMIME-Version: 1.0\n"
	                            "Content-Type: text/plain%s%s\n%s\n%s\n",
	                            charset ? "; charset=" : "", charset ? charset : "", cte_line, body);

	g_free(cte_line);
	return raw;
}

static void
assert_body(const char *charset, const char *cte, const char *body, const char *expect)
{
	char *raw = text_mail(charset, cte, body);
	pd_message *msg = parse_ok(raw);

	g_assert_cmpstr(msg->body, ==, expect);
	pd_message_free(&msg);
	g_free(raw);
}

static void
test_charset_aliases(void)
{
	/* ks_c_5601-1987 is CP949: 똠 (0x8C63) is outside EUC-KR */
	assert_body("ks_c_5601-1987", NULL, "\xc7\xd1\xb1\xb9 \x8c\x63", "한국 똠");
	/* gb2312 is GB18030: 〾 (0xA989) is beyond GB2312 and GBK */
	assert_body("gb2312", NULL, "\xd6\xd0\xce\xc4 \xa9\x89", "中文 〾");
	/* Shift_JIS is CP932: ① (0x8740) is an NEC extension */
	assert_body("shift_jis", NULL, "\x93\xfa\x96\x7b \x87\x40", "日本 ①");
	assert_body("windows-1252", "quoted-printable", "caf=E9 =80", "café €");
	assert_body("latin1", NULL, "caf\xe9 \x80", "café €");   /* as browsers read it */
}

/* UTF-7 is 7-bit, so it looks like ASCII; the label must still decide. */
static void
test_utf7(void)
{
	assert_body("utf-7", NULL, "Fr+APY-sche", "Frösche");
	assert_body("\"UTF-7\"", "quoted-printable", "Die Hasen und die Fr+APY-sche=\n +AOQ-rger", "Die Hasen und die Frösche ärger");
}

/* Adjacent base64 words of one charset are one text; a padded word does
 * not end it, and a character may be split between two words. */
static void
test_base64_word_runs(void)
{
	static const struct { const char *subject, *expect; } words[] = {
		{ "=?utf-8?B?YQ==?= =?utf-8?B?5Lq6?=", "a人" },
		{ "=?utf-8?B?YQ==?=\n\t=?UTF-8?B?Yg==?=\n =?utf-8?B?Yw==?= d", "abc d" },
		{ "=?utf-8?B?YeQ=?= =?utf-8?B?uro=?=", "a人" },
		{ "=?utf-8?B?YQ==?= =?iso-8859-1?B?6Q==?=", "aé" },
		{ "=?utf-8?B?YQ==?= x =?utf-8?B?Yg==?=", "a x b" },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(words); i++) {
		char *raw = g_strdup_printf("From: a@example.com\nSubject: %s\n\nx\n", words[i].subject);
		pd_message *msg = parse_ok(raw);

		g_assert_cmpstr(msg->subject, ==, words[i].expect);
		pd_message_free(&msg);
		g_free(raw);
	}
}

static void
test_iso_2022_jp_variants(void)
{
	/* plain ISO-2022-JP */
	assert_body("iso-2022-jp", NULL, "\x1b$B$3$s$K$A$O\x1b(B", "こんにちは");
	/* halfwidth katakana (ESC ( I) and NEC row 13 (①), as CP50221 writes */
	assert_body("ISO-2022-JP", NULL, "\x1b(I1\x1b(B \x1b$B-!\x1b(B", "ｱ ①");
	assert_body("cp50220", NULL, "\x1b$B-!\x1b(B", "①");
	assert_body("iso-2022-jp-ms", NULL, "\x1b$B$\"\x1b(B", "あ");
	/* in a header encoded word */
	{
		pd_message *msg = parse_ok("From: a@example.com\n"
		                           "Subject: =?ISO-2022-JP?B?GyRCRnxLXDhsGyhC?=\n\nx");

		g_assert_cmpstr(msg->subject, ==, "日本語");
		pd_message_free(&msg);
	}
}

static void
test_unknown_and_mislabelled(void)
{
	static const struct { const char *subject, *expect; } words[] = {
		{ "=?x-unknown?Q?caf=E9?=", "café" },
		{ "=?unknown-8bit?Q?caf=E9?=", "café" },
		{ "=?utf-8?Q?caf=E9?=", "café" },                 /* labelled UTF-8, is Latin-1 */
		{ "=?utf-8?Q?caf=C3=A9?=", "café" },
		{ "=?ks_c_5601-1987?B?x9GxuQ==?=", "한국" },
		{ "=?gb2312?B?1tDOxA==?=", "中文" },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(words); i++) {
		char *raw = g_strdup_printf("From: a@example.com\nSubject: %s\n\nx\n", words[i].subject);
		pd_message *msg = parse_ok(raw);

		g_assert_cmpstr(msg->subject, ==, words[i].expect);
		pd_message_free(&msg);
		g_free(raw);
	}
	assert_body("x-unknown", NULL, "caf\xe9", "café");
	assert_body("unknown-8bit", NULL, "caf\xc3\xa9", "café");
	assert_body("us-ascii", NULL, "caf\xe9", "café");             /* 8-bit under an ASCII label */
	assert_body("iso-8859-1", NULL, "caf\xc3\xa9 na\xc3\xafve", "café naïve");   /* UTF-8 under Latin-1 */
	assert_body("utf-8", NULL, "caf\xe9", "café");
	assert_body(NULL, NULL, "caf\xe9", "café");
	assert_body("bogus-charset", NULL, "caf\xc3\xa9", "café");
	/* a display name in an unknown charset */
	{
		pd_message *msg = parse_ok("From: =?x-unknown?Q?Ren=E9?= <rene@example.com>\n\nx");

		g_assert_cmpstr(msg->from->name, ==, "René");
		pd_message_free(&msg);
	}
}

/* The chain is the admin's: KOI8-R first reads Russian that says nothing. */
static void
test_fallback_chain(void)
{
	static const char *const koi8[] = { "KOI8-R", NULL };
	pd_parse_options opts;
	char *raw = text_mail(NULL, NULL, "\xf0\xd2\xc9\xd7\xc5\xd4");
	pd_message *msg;

	pd_parse_options_init(&opts);
	msg = parse_opts(&opts, raw, strlen(raw), PD_CAUSE_NONE);
	g_assert_cmpstr(msg->body, ==, "ðÒÉ×ÅÔ");   /* windows-1252 by default */
	pd_message_free(&msg);
	opts.fallback_charsets = koi8;
	msg = parse_opts(&opts, raw, strlen(raw), PD_CAUSE_NONE);
	g_assert_cmpstr(msg->body, ==, "Привет");
	pd_message_free(&msg);
	g_free(raw);
}

static void
test_split_list(void)
{
	char **l = pd_parse_split_list(" UTF-8,windows-1252 ,, koi8-r ");

	g_assert_cmpuint(g_strv_length(l), ==, 3);
	g_assert_cmpstr(l[0], ==, "UTF-8");
	g_assert_cmpstr(l[1], ==, "windows-1252");
	g_assert_cmpstr(l[2], ==, "koi8-r");
	g_strfreev(l);
	l = pd_parse_split_list(NULL);
	g_assert_cmpuint(g_strv_length(l), ==, 0);
	g_strfreev(l);
}

/* pd_charset_to_utf8() with a fallback chain, compared with expect. */
static void
assert_decoded(const char *charset, const char *data, gsize len, const char *const *fallback,
               const char *expect)
{
	char *text = pd_charset_to_utf8(charset, data, len, fallback);

	g_assert_cmpstr(text, ==, expect);
	g_free(text);
}

/* What iconv makes of each byte alone, U+FFFD where it refuses one: the
 * byte-table decoder must give the same for any string. */
static char *
bytewise_iconv(const char *charset, const guchar *data, gsize len)
{
	GString *out = g_string_new(NULL);

	for (gsize i = 0; i < len; i++) {
		gsize n = 0;
		char *one = g_convert((const char *)data + i, 1, "UTF-8", charset, NULL, &n, NULL);

		if (data[i] == 0)
			g_string_append(out, PD_UTF8_REPLACEMENT);   /* NUL is never kept */
		else if (one == NULL)
			g_string_append(out, PD_UTF8_REPLACEMENT);
		else
			g_string_append_len(out, one, (gssize)n);
		g_free(one);
	}
	return g_string_free(out, FALSE);
}

static void
test_charset_byte_tables(void)
{
	static const char *const cp1252_then_koi8[] = { "windows-1252", "KOI8-R", NULL };
	static const char *const cp1252_only[] = { "windows-1252", NULL };
	static const char *const tables[] = {
		"ISO-8859-2", "ISO-8859-3", "ISO-8859-5", "ISO-8859-7", "ISO-8859-15", "KOI8-R", "KOI8-U",
		"WINDOWS-1250", "WINDOWS-1251", "WINDOWS-1252", "MACINTOSH", "CP874",
	};
	guchar all[255];
	GString *in, *expect;
	char *want;

	/* windows-1252: 0x80 is the euro sign, 0x81 is not a character */
	assert_decoded("windows-1252", "\x80", 1, NULL, "€");
	assert_decoded("windows-1252", LIT("price \x80 5, caf\xe9"), NULL, "price € 5, café");
	/* declared: a few bad bytes still mean the declared charset */
	assert_decoded("windows-1252", "a\x81" "b", 3, NULL, "a\xef\xbf\xbd" "b");
	assert_decoded("windows-1252", "\x81\x8d\x8f\x90\x9d", 5, NULL,
	               "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	/* the chain: a bad byte moves on to the next charset... */
	assert_decoded(NULL, "a\x81", 2, cp1252_then_koi8, "a│");
	/* ...and when none takes it, the first decodes it lossily */
	assert_decoded(NULL, "\x80\x81", 2, cp1252_only, "€\xef\xbf\xbd");

	/* iso-8859-1 is read as windows-1252, as browsers do; its
	 * printable bytes are the code points of the same value */
	in = g_string_new(NULL);
	expect = g_string_new(NULL);
	for (guint b = 0x20; b <= 0xFF; b++) {
		if (b >= 0x7F && b < 0xA0)
			continue;
		g_string_append_c(in, (char)b);
		g_string_append_unichar(expect, b);
	}
	assert_decoded("iso-8859-1", in->str, in->len, NULL, expect->str);
	assert_decoded("ISO-8859-1", "\x80\x9f", 2, NULL, "€Ÿ");
	g_string_free(in, TRUE);
	g_string_free(expect, TRUE);

	/* koi8-r, declared and from the chain */
	assert_decoded("koi8-r", LIT("\xf0\xd2\xc9\xd7\xc5\xd4, \xcd\xc9\xd2!"), NULL, "Привет, мир!");
	assert_decoded("iso-8859-15", "\xa4", 1, NULL, "€");
	assert_decoded("windows-874", "\xe1", 1, NULL, "แ");

	/* every byte of each charset, as iconv reads them one by one */
	for (guint b = 1; b <= 0xFF; b++)
		all[b - 1] = (guchar)b;
	for (gsize i = 0; i < G_N_ELEMENTS(tables); i++) {
		want = bytewise_iconv(tables[i], all, sizeof all);
		assert_decoded(tables[i], (const char *)all, sizeof all, NULL, want);
		g_free(want);
	}

	/* long text: the output buffer fills mid-character, and ASCII goes
	 * by words at every alignment */
	in = g_string_new(NULL);
	expect = g_string_new(NULL);
	for (guint i = 0; i < 700; i++) {
		g_string_append_len(in, "abcdefghij", i % 11);
		g_string_append_len(expect, "abcdefghij", i % 11);
		g_string_append_c(in, '\x80');
		g_string_append(expect, "€");
	}
	assert_decoded("windows-1252", in->str, in->len, NULL, expect->str);
	g_string_truncate(in, 0);
	g_string_truncate(expect, 0);
	for (guint i = 0; i < 1500; i++) {
		g_string_append_c(in, '\x81');
		g_string_append(expect, PD_UTF8_REPLACEMENT);
	}
	assert_decoded("windows-1252", in->str, in->len, NULL, expect->str);
	g_string_free(in, TRUE);
	g_string_free(expect, TRUE);

	/* iconv composes accents in windows-1255 and -1258: no table there,
	 * and the result is iconv's own */
	assert_decoded("windows-1255", "\xf9\xec\xe5\xed", 4, NULL, "שלום");
	assert_decoded("windows-1258", "a\xcc", 2, NULL, "à");
}

static void
test_utf8_valid(void)
{
	static const struct { const char *s; gsize len; gboolean valid; } cases[] = {
		{ "", 0, TRUE },
		{ "plain ascii", 11, TRUE },
		{ "caf\xc3\xa9", 5, TRUE },
		{ "\xe4\xb8\xad\xf0\x9f\x98\x80", 7, TRUE },
		{ "\xc0\x80", 2, FALSE },           /* overlong NUL */
		{ "\xc1\xbf", 2, FALSE },           /* overlong */
		{ "\xc2\x80", 2, TRUE },            /* U+0080 */
		{ "\xe0\x80\x80", 3, FALSE },       /* overlong */
		{ "\xe0\x9f\xbf", 3, FALSE },       /* overlong */
		{ "\xe0\xa0\x80", 3, TRUE },        /* U+0800 */
		{ "\xed\x9f\xbf", 3, TRUE },        /* U+D7FF */
		{ "\xed\xa0\x80", 3, FALSE },       /* surrogate U+D800 */
		{ "\xed\xbf\xbf", 3, FALSE },       /* surrogate U+DFFF */
		{ "\xee\x80\x80", 3, TRUE },        /* U+E000 */
		{ "\xef\xbf\xbd", 3, TRUE },        /* U+FFFD */
		{ "\xf0\x8f\xbf\xbf", 4, FALSE },   /* overlong */
		{ "\xf0\x90\x80\x80", 4, TRUE },    /* U+10000 */
		{ "\xf4\x8f\xbf\xbf", 4, TRUE },    /* U+10FFFF */
		{ "\xf4\x90\x80\x80", 4, FALSE },   /* U+110000 */
		{ "\xf5\x80\x80\x80", 4, FALSE },
		{ "\xf8\x88\x80\x80\x80", 5, FALSE },
		{ "\xff", 1, FALSE },
		{ "\x80", 1, FALSE },               /* a lone continuation byte */
		{ "a\xc3", 2, FALSE },              /* truncated */
		{ "\xe4\xb8", 2, FALSE },
		{ "\xf0\x9f\x98", 3, FALSE },
		{ "\xc3" "a", 2, FALSE },
		{ "\xe4\xb8" "a", 3, FALSE },
		{ "\xf0\x9f\x98" "a", 4, FALSE },
		{ "a\0b", 3, FALSE },               /* NUL, as g_utf8_validate_len() */
		{ "\0", 1, FALSE },
		{ "caf\xc3\xa9", 4, FALSE },        /* len cuts the character */
		{ "abc\xff", 3, TRUE },             /* the bad byte is past len */
	};
	static const char *const bad[] = { "\x80", "\xc3", "\xff", "\xed\xa0\x80", "\xe0\x80\xaf", "\xf4\x90\x80\x80" };
	char buf[64];

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_assert_cmpint(pd_utf8_valid(cases[i].s, cases[i].len), ==, cases[i].valid);
		g_assert_cmpint(g_utf8_validate_len(cases[i].s, cases[i].len, NULL), ==, cases[i].valid);
	}
	/* ASCII runs of every length with one bad byte (or NUL, or a good
	 * character) at every offset: the word-at-a-time paths must see it */
	for (gsize len = 1; len <= 40; len++) {
		for (gsize at = 0; at <= 20 && at < len; at++) {
			gsize n;

			memset(buf, 'x', sizeof buf);
			g_assert_true(pd_utf8_valid(buf, len));
			for (gsize b = 0; b < G_N_ELEMENTS(bad); b++) {
				n = strlen(bad[b]);
				memset(buf, 'x', sizeof buf);
				memcpy(buf + at, bad[b], n);
				g_assert_false(pd_utf8_valid(buf, MAX(len, at + n)));
				g_assert_false(g_utf8_validate_len(buf, MAX(len, at + n), NULL));
			}
			memset(buf, 'x', sizeof buf);
			buf[at] = '\0';
			g_assert_false(pd_utf8_valid(buf, len));
			g_assert_cmpint(pd_utf8_valid(buf, len), ==, g_utf8_validate_len(buf, len, NULL));
			memset(buf, 'x', sizeof buf);
			memcpy(buf + at, "\xf0\x9f\x98\x80", 4);
			g_assert_true(pd_utf8_valid(buf, MAX(len, at + 4)));
			g_assert_false(pd_utf8_valid(buf, at + 3));
			/* the ASCII test sees the same byte, and only inside its length */
			g_assert_true(pd_text_is_ascii(buf, at));
			g_assert_false(pd_text_is_ascii(buf, MAX(len, at + 1)));
		}
	}
}

/* ---- transfer decoding ------------------------------------------------ */

/* GMime's own quoted-printable decoder, over the whole input at once. */
static GByteArray *
gmime_qp(const guint8 *in, gsize len)
{
	GByteArray *out = g_byte_array_sized_new((guint)len + 3);
	int state = 0;
	guint32 save = 0;

	g_byte_array_set_size(out, (guint)g_mime_encoding_quoted_decode_step(in, len, out->data, &state, &save));
	return out;
}

static void
assert_qp_as_gmime(const guint8 *in, gsize len)
{
	GByteArray *want = gmime_qp(in, len);
	guint8 *got = g_malloc(len + 1);
	gsize n = pd_qp_decode(in, len, got);

	g_assert_cmpmem(got, n, want->data, want->len);
	g_byte_array_unref(want);
	g_free(got);
}

static void
test_qp_decode(void)
{
	static const struct { const char *in, *out; } cases[] = {
		{ "caf=C3=A9", "caf\xc3\xa9" },
		{ "lower =c3=a9 case", "lower \xc3\xa9 case" },
		{ "soft=\nbreak", "softbreak" },
		{ "soft=\r\nbreak", "softbreak" },
		{ "==41", "==41" },           /* not an escape: kept, with the byte after it */
		{ "=4G=", "=4G" },            /* and one the input ends inside is dropped */
		{ "=\rX", "=\rX" },
		{ "tail=4", "tail" },
		{ "=", "" },
		{ "", "" },
	};
	GRand *rand = g_rand_new_with_seed(3);
	static const char alphabet[] = "==aF49g \r\n\x80";

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		guint8 out[64];
		gsize n = pd_qp_decode((const guint8 *)cases[i].in, strlen(cases[i].in), out);

		g_assert_cmpmem(out, n, cases[i].out, strlen(cases[i].out));
		assert_qp_as_gmime((const guint8 *)cases[i].in, strlen(cases[i].in));
	}
	for (int round = 0; round < 20000; round++) {
		guint8 in[24];
		gsize len = (gsize)g_rand_int_range(rand, 0, sizeof in + 1);

		for (gsize i = 0; i < len; i++)
			in[i] = (guint8)alphabet[g_rand_int_range(rand, 0, sizeof alphabet - 1)];
		assert_qp_as_gmime(in, len);
	}
	g_rand_free(rand);
}

/* A part of 200 KB in each transfer encoding, lines of every length, held
 * in memory and behind a stream that is not: pd_mime_part_bytes must give
 * what GMime's decoding filter writes, whole and cut at a limit. */
static void
test_part_bytes_as_gmime(void)
{
	static const GMimeContentEncoding encodings[] = {
		GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE, GMIME_CONTENT_ENCODING_BASE64,
		GMIME_CONTENT_ENCODING_UUENCODE, GMIME_CONTENT_ENCODING_8BIT,
	};
	GRand *rand = g_rand_new_with_seed(7);
	GByteArray *plain = g_byte_array_new();

	while (plain->len < 200 * 1024) {
		guint8 c = (guint8)g_rand_int_range(rand, 0, 256);

		g_byte_array_append(plain, &c, 1);
		if (g_rand_int_range(rand, 0, 90) == 0)
			g_byte_array_append(plain, (const guint8 *)"\n", 1);
	}
	for (gsize e = 0; e < G_N_ELEMENTS(encodings); e++) {
		GMimeStream *encoded = g_mime_stream_mem_new();
		GMimeStream *filter = g_mime_stream_filter_new(encoded);
		GMimeFilter *enc = g_mime_filter_basic_new(encodings[e], TRUE);

		g_mime_stream_filter_add(GMIME_STREAM_FILTER(filter), enc);
		if (encodings[e] == GMIME_CONTENT_ENCODING_UUENCODE)
			g_mime_stream_write_string(encoded, "preamble\nbegin 644 data.bin\n");
		g_mime_stream_write(filter, (const char *)plain->data, plain->len);
		g_mime_stream_flush(filter);
		g_object_unref(filter);
		g_object_unref(enc);
		for (int held = 0; held < 2; held++) {
			GMimeStream *source = g_mime_stream_substream(encoded, 0, g_mime_stream_length(encoded));
			GMimeStream *content = source;
			GMimePart *part = g_mime_part_new();
			GMimeDataWrapper *wrapper;
			GMimeStream *want = g_mime_stream_mem_new();
			GByteArray *want_bytes, *got;

			if (!held) {
				content = g_mime_stream_cat_new();
				g_mime_stream_cat_add_source(GMIME_STREAM_CAT(content), source);
				g_object_unref(source);
			}
			wrapper = g_mime_data_wrapper_new_with_stream(content, encodings[e]);
			g_object_unref(content);
			g_mime_part_set_content(part, wrapper);
			g_mime_data_wrapper_write_to_stream(wrapper, want);
			want_bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(want));
			/* GMime's QP round trip is not exact (bare CR) */
			if (encodings[e] != GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE)
				g_assert_cmpmem(want_bytes->data, want_bytes->len, plain->data, plain->len);
			got = pd_mime_part_bytes(part, G_MAXSIZE);
			g_assert_cmpmem(got->data, got->len, want_bytes->data, want_bytes->len);
			g_byte_array_unref(got);
			got = pd_mime_part_bytes(part, 70001);
			g_assert_cmpmem(got->data, got->len, want_bytes->data, MIN(want_bytes->len, 70001));
			g_byte_array_unref(got);
			g_object_unref(want);
			g_object_unref(wrapper);
			g_object_unref(part);
		}
		g_object_unref(encoded);
	}
	g_byte_array_unref(plain);
	g_rand_free(rand);
}

/* ---- attachments ------------------------------------------------------ */

static const char attachment_mail[] =
	"From: a@example.com\n"
	"Content-Type: multipart/mixed; boundary=\"o\"\n"
	"\n"
	"--o\n"
	"Content-Type: multipart/related; boundary=\"r\"\n"
	"\n"
	"--r\n"
	"Content-Type: text/html; charset=utf-8\n"
	"\n"
	"<p>see <img src=\"cid:logo@x\"></p>\n"
	"--r\n"
	"Content-Type: image/png\n"
	"Content-ID: <logo@x>\n"
	"Content-Transfer-Encoding: base64\n"
	"\n"
	"iVBORw0KGgo=\n"
	"--r--\n"
	"--o\n"
	"Content-Type: application/pdf\n"
	"Content-Disposition: attachment;\n"
	" filename*0*=utf-8''%E2%82%AC%20report%20;\n"
	" filename*1=\"2024.pdf\"\n"
	"Content-Transfer-Encoding: base64\n"
	"\n"
	"JVBERi0xLjQK\n"
	"--o\n"
	"Content-Type: application/octet-stream; name=\"=?iso-8859-1?Q?r=E9sum=E9=2Etxt?=\"\n"
	"Content-Disposition: attachment; filename=\"C:\\\\Users\\\\bob\\\\notes.bin\"\n"
	"\n"
	"abc\n"
	"--o--\n";

static void
test_attachment_fields(void)
{
	pd_message *msg = parse_ok(attachment_mail);
	const pd_attachment *img = attachment(msg, 0), *pdf = attachment(msg, 1), *bin = attachment(msg, 2);
	char *sha;

	g_assert_cmpuint(msg->attachments->len, ==, 3);
	g_assert_cmpstr(msg->body, ==, "see");
	g_assert_cmpstr(msg->body_html, ==, "<p>see <img src=\"cid:logo@x\"></p>");
	g_assert_null(img->filename);
	g_assert_cmpstr(img->content_type, ==, "image/png");
	g_assert_cmpstr(img->content_id, ==, "logo@x");
	g_assert_true(img->is_inline);
	g_assert_cmpuint(img->size, ==, 8);
	sha = sha256_hex("\x89PNG\r\n\x1a\n", 8);
	g_assert_cmpstr(img->sha256, ==, sha);
	g_free(sha);
	g_assert_cmpstr(pdf->filename, ==, "€ report 2024.pdf");
	g_assert_false(pdf->is_inline);
	g_assert_null(pdf->content_id);
	sha = sha256_hex("%PDF-1.4\n", 9);
	g_assert_cmpstr(pdf->sha256, ==, sha);
	g_free(sha);
	g_assert_cmpstr(bin->filename, ==, "notes.bin");   /* the sender's path is not ours */
	g_assert_cmpuint(bin->size, ==, 3);
	pd_message_free(&msg);
}

/* A test sink that keeps what it is given, and can be told to fail. */
typedef struct {
	GString *data;
	int fail_after;   /* writes before failing; -1: never */
	int opened, closed, aborted;
} test_sink;

static gpointer
ts_open(gpointer data, GError **error)
{
	test_sink *t = data;

	(void)error;
	t->opened++;
	g_string_truncate(t->data, 0);
	return t;
}

static gboolean
ts_write(gpointer handle, const void *buf, gsize len, GError **error)
{
	test_sink *t = handle;

	if (t->fail_after == 0) {
		g_set_error_literal(error, G_FILE_ERROR, G_FILE_ERROR_NOSPC, "disk full");
		return FALSE;
	}
	t->fail_after -= t->fail_after > 0;
	g_string_append_len(t->data, buf, (gssize)len);
	return TRUE;
}

static char *
ts_close(gpointer handle, GError **error)
{
	test_sink *t = handle;

	(void)error;
	t->closed++;
	return sha256_hex(t->data->str, t->data->len);
}

static void
ts_abort(gpointer handle)
{
	((test_sink *)handle)->aborted++;
}

static void
test_sink_receives_bytes(void)
{
	test_sink t = { g_string_new(NULL), -1, 0, 0, 0 };
	pd_attachment_sink sink = { ts_open, ts_write, ts_close, ts_abort, &t };
	pd_parse_options opts;
	pd_message *msg;

	pd_parse_options_init(&opts);
	opts.sink = &sink;
	msg = parse_opts(&opts, LIT("From: a@example.com\nContent-Type: application/zip\n"
	                            "Content-Transfer-Encoding: base64\n\naGVsbG8gd29ybGQ=\n"), PD_CAUSE_NONE);
	g_assert_cmpint(t.opened, ==, 1);
	g_assert_cmpint(t.closed, ==, 1);
	g_assert_cmpstr(t.data->str, ==, "hello world");
	g_assert_cmpuint(attachment(msg, 0)->size, ==, 11);
	pd_message_free(&msg);

	/* a failing sink: the parse still answers, the attachment has no hash */
	t.fail_after = 0;
	msg = pd_message_parse(LIT("From: a@example.com\nContent-Type: application/zip\n\nxyz\n"), &opts, NULL, NULL);
	g_assert_cmpuint(msg->attachments->len, ==, 1);
	g_assert_null(attachment(msg, 0)->sha256);
	g_assert_cmpint(t.aborted, ==, 1);
	pd_message_free(&msg);
	g_string_free(t.data, TRUE);
}

static void
test_forwarded_message(void)
{
	pd_message *msg = parse_ok("From: a@example.com\n"
	                           "Content-Type: multipart/mixed; boundary=b\n"
	                           "\n"
	                           "--b\n"
	                           "Content-Type: text/plain\n"
	                           "\n"
	                           "fyi\n"
	                           "--b\n"
	                           "Content-Type: message/rfc822\n"
	                           "\n"
	                           "From: Original Sender <orig@example.org>\n"
	                           "Subject: =?x-unknown?Q?caf=E9?= order\n"
	                           "\n"
	                           "inner body\n"
	                           "--b--\n");
	const pd_attachment *a = attachment(msg, 0);

	g_assert_cmpstr(a->content_type, ==, "message/rfc822");
	g_assert_cmpstr(a->message_subject, ==, "café order");
	g_assert_cmpstr(a->message_from, ==, "orig@example.org");
	g_assert_cmpstr(a->filename, ==, "café order.eml");
	g_assert_cmpuint(a->size, >, strlen("inner body"));
	pd_message_free(&msg);
}

static void
test_uuencode(void)
{
	/* "hello world\n" uuencoded */
	pd_message *msg = parse_ok("From: a@example.com\n\n"
	                           "Here is the file:\n"
	                           "\n"
	                           "begin 644 hello.txt\n"
	                           ",:&5L;&\\@=V]R;&0*\n"
	                           "`\n"
	                           "end\n"
	                           "Regards\n");
	const pd_attachment *a;
	char *sha = sha256_hex("hello world\n", 12);

	g_assert_cmpstr(msg->body, ==, "Here is the file:\n\nRegards");
	g_assert_cmpuint(msg->attachments->len, ==, 1);
	a = attachment(msg, 0);
	g_assert_cmpstr(a->filename, ==, "hello.txt");
	g_assert_cmpstr(a->content_type, ==, "text/plain");
	g_assert_cmpuint(a->size, ==, 12);
	g_assert_cmpstr(a->sha256, ==, sha);
	g_free(sha);
	pd_message_free(&msg);

	/* "begin" that is prose, or never ends, stays text */
	msg = parse_ok("From: a@example.com\n\nbegin 644 x.bin\nM86)C\nno end line\n");
	g_assert_cmpuint(msg->attachments->len, ==, 0);
	g_assert_cmpstr(msg->body, ==, "begin 644 x.bin\nM86)C\nno end line");
	pd_message_free(&msg);
	msg = parse_ok("From: a@example.com\n\nbegin now, end later\n");
	g_assert_cmpuint(msg->attachments->len, ==, 0);
	pd_message_free(&msg);
}

/* ---- TNEF ------------------------------------------------------------- */

static char *
tnef_mail(const char *tnef_path, gsize *len_r)
{
	char *data = NULL, *b64, *raw;
	gsize len = 0;

	if (!g_file_get_contents(tnef_path, &data, &len, NULL))
		return NULL;
	b64 = g_base64_encode((const guchar *)data, len);
	raw = g_strdup_printf("From: a@example.com\nContent-Type: multipart/mixed; boundary=b\n\n"
	                      "--b\nContent-Type: text/plain\n\nsee winmail\n"
	                      "--b\nContent-Type: application/ms-tnef; name=winmail.dat\n"
	                      "Content-Transfer-Encoding: base64\n\n%s\n--b--\n", b64);
	g_free(data);
	g_free(b64);
	*len_r = strlen(raw);
	return raw;
}

/* The TNEF samples live in the shared corpus, read where they are. */
static char *
corpus_path(const char *rel)
{
	const char *shared = g_getenv("PD_SHARED");
	char *path = g_build_filename(shared != NULL ? shared : "../shared", "corpus", rel, NULL);

	if (g_file_test(path, G_FILE_TEST_EXISTS))
		return path;
	g_free(path);
	return NULL;
}

static void
test_tnef(void)
{
	char *path = corpus_path("mimekit/tnef/two-files.tnef");
	pd_parse_options opts;
	gsize len = 0;
	char *raw;
	pd_message *msg;

	if (path == NULL) {
		g_test_skip("the shared corpus is not there");
		return;
	}
	raw = tnef_mail(path, &len);
	msg = parse_len(raw, len, PD_CAUSE_NONE);
	g_assert_cmpuint(msg->attachments->len, ==, 2);
	g_assert_cmpstr(attachment(msg, 0)->filename, ==, "AUTHORS");
	g_assert_cmpuint(attachment(msg, 0)->size, ==, 244);
	g_assert_cmpstr(attachment(msg, 1)->filename, ==, "README");
	g_assert_cmpuint(attachment(msg, 1)->size, ==, 893);
	g_assert_cmpstr(msg->body, ==, "see winmail");
	pd_message_free(&msg);

	/* over max_tnef_size: kept as it came */
	pd_parse_options_init(&opts);
	opts.limits.max_tnef_size = 100;
	msg = parse_opts(&opts, raw, len, PD_CAUSE_NONE);
	g_assert_cmpuint(msg->attachments->len, ==, 1);
	g_assert_cmpstr(attachment(msg, 0)->filename, ==, "winmail.dat");
	g_assert_cmpstr(attachment(msg, 0)->content_type, ==, "application/ms-tnef");
	pd_message_free(&msg);
	g_free(raw);
	g_free(path);

	/* a broken TNEF is kept too, and says nothing on stdout */
	msg = parse_ok("From: a@example.com\nContent-Type: application/ms-tnef\n\n\x78\x9f\x3e\x22garbage\n");
	g_assert_cmpuint(msg->attachments->len, ==, 1);
	g_assert_cmpuint(attachment(msg, 0)->size, >, 0);
	pd_message_free(&msg);
}

/* ---- HTML ------------------------------------------------------------- */

static void
test_body_html(void)
{
	pd_message *msg = parse_ok("From: a@example.com\nContent-Type: text/html; charset=iso-8859-1\n\n"
	                           "<html><body><p>caf\xe9 &amp; cr\xe8me</p>\r\n<p>two</p></body></html>\r\n");

	g_assert_cmpstr(msg->body_html, ==, "<html><body><p>café &amp; crème</p>\n<p>two</p></body></html>");
	g_assert_cmpstr(msg->body, ==, "café & crème\n\ntwo");
	pd_message_free(&msg);
	msg = parse_ok("From: a@example.com\n\nplain only\n");
	g_assert_null(msg->body_html);
	pd_message_free(&msg);
}

/* ---- flags ------------------------------------------------------------ */

static guint32
flags_of(const char *headers, const char *subject)
{
	char *raw = g_strdup_printf("From: someone@example.com\nSubject: %s\n%s\nbody\n", subject, headers);
	pd_message *msg = parse_ok(raw);
	guint32 f = msg->flags;

	pd_message_free(&msg);
	g_free(raw);
	return f;
}

#define AUTO PD_MSG_AUTO_SUBMITTED
#define REPLIED (PD_MSG_AUTO_SUBMITTED | PD_MSG_AUTO_REPLIED)
#define OOO (PD_MSG_OUT_OF_OFFICE | PD_MSG_AUTO_REPLIED | PD_MSG_AUTO_SUBMITTED)

static void
test_flags_automatic(void)
{
	static const struct { const char *headers; guint32 expect; } cases[] = {
		{ "", 0 },
		{ "Auto-Submitted: no\n", 0 },
		{ "Auto-Submitted: auto-generated\n", AUTO },
		{ "Auto-Submitted: auto-replied; owner-email=\"x@y\"\n", REPLIED },
		{ "Auto-Submitted: Auto-Notified\n", AUTO },
		{ "Precedence: bulk\n", AUTO },
		{ "Precedence: junk\n", AUTO },
		{ "Precedence: list\n", AUTO | PD_MSG_LIST },
		{ "Precedence: auto_reply\n", REPLIED },
		{ "X-Autoreply: yes\n", REPLIED },
		{ "X-Autorespond: on vacation\n", REPLIED },
		{ "X-AutoReply-From: a@example.com\n", REPLIED },
		{ "X-Mail-Autoreply: yes\n", REPLIED },
		{ "X-Autogenerated: Reply\n", REPLIED },
		{ "X-Autogenerated: Forward\n", AUTO },
		{ "X-FC-MachineGenerated: true\n", AUTO },
		{ "X-POST-MessageClass: 9; Autoresponder\n", REPLIED },
		{ "X-Auto-Response-Suppress: All\n", 0 },   /* alone: ordinary Outlook mail */
		{ "List-Id: Users <users.lists.example.com>\n", PD_MSG_LIST },
		{ "List-Unsubscribe: <mailto:u@example.com>\n", PD_MSG_LIST },
		{ "List-Post: <mailto:l@example.com>\n", PD_MSG_LIST },
		{ "Mailing-List: contact l-help@example.com\n", PD_MSG_LIST },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		guint32 f = flags_of(cases[i].headers, "question");

		if (f != cases[i].expect)
			g_test_message("headers: %s", cases[i].headers);
		g_assert_cmphex(f, ==, cases[i].expect);
	}
}

static void
test_flags_out_of_office(void)
{
	static const char *const subjects[] = {
		"Automatic reply: question", "Réponse automatique : question", "Respuesta automática: x",
		"Risposta automatica: x", "Automatisch antwoord: x", "Автоответ: x", "AUTOMATISCHE ANTWORT: x",
		"自動応答: x",
	};

	for (gsize i = 0; i < G_N_ELEMENTS(subjects); i++)
		g_assert_cmphex(flags_of("", subjects[i]), ==, OOO);
	/* words a person might write count only on automatic mail */
	g_assert_cmphex(flags_of("", "Out of Office: printer broken"), ==, 0);
	g_assert_cmphex(flags_of("", "Abwesenheitsnotiz: Frage"), ==, 0);
	g_assert_cmphex(flags_of("X-Auto-Response-Suppress: DR, OOF\n", "Out of Office: question"), ==, OOO);
	g_assert_cmphex(flags_of("X-Auto-Response-Suppress: All\n", "Abwesenheitsnotiz: Frage"), ==, OOO);
	g_assert_cmphex(flags_of("Auto-Submitted: auto-replied\n", "Out of Office: x"), ==, OOO);
	g_assert_cmphex(flags_of("X-Auto-Response-Suppress: DR\n", "Out of Office: x"), ==, 0);
	/* Exchange's inbox rules mark what they send */
	g_assert_cmphex(flags_of("X-MS-Exchange-Inbox-Rules-Loop: a@example.com\n", "Out of Office: x"), ==, OOO);
	g_assert_cmphex(flags_of("X-MS-Exchange-Organization-SCL: 1\n", "Out of Office: x"), ==, 0);
}

static void
test_flags_bounce(void)
{
	pd_message *msg = parse_len(LIT(
		"From: MAILER-DAEMON@mx.example.com (Mail Delivery System)\n"
		"Subject: Undelivered Mail Returned to Sender\n"
		"Content-Type: multipart/report; report-type=delivery-status; boundary=\"R\"\n"
		"\n"
		"--R\n"
		"Content-Type: text/plain\n"
		"\n"
		"I'm sorry to have to inform you that your message could not be delivered.\n"
		"--R\n"
		"Content-Type: message/delivery-status\n"
		"\n"
		"Reporting-MTA: dns; mx.example.com\n"
		"\n"
		"Final-Recipient: rfc822; ok@example.org\n"
		"Action: delivered\n"
		"Status: 2.0.0\n"
		"\n"
		"Final-Recipient: rfc822; <gone@example.org>\n"
		"Original-Recipient: rfc822;alias@example.org\n"
		"Action: failed\n"
		"Status: 5.1.1\n"
		"--R--\n"), PD_CAUSE_NONE);

	g_assert_true(msg->flags & PD_MSG_BOUNCE);
	g_assert_true(msg->flags & PD_MSG_AUTO_SUBMITTED);
	g_assert_cmpstr(msg->bounce_recipient, ==, "gone@example.org");
	pd_message_free(&msg);

	/* without a report: known by sender and subject */
	msg = parse_ok("From: postmaster@example.com\nSubject: Delivery Status Notification (Failure)\n\nx");
	g_assert_cmphex(msg->flags, ==, PD_MSG_BOUNCE | PD_MSG_AUTO_SUBMITTED);
	g_assert_null(msg->bounce_recipient);
	pd_message_free(&msg);
	g_assert_cmphex(flags_of("", "Undelivered Mail Returned to Sender"), ==, 0);   /* not from a daemon */

	/* a read receipt is automatic, not a bounce */
	msg = parse_ok("From: a@example.com\nContent-Type: multipart/report; "
	               "report-type=disposition-notification; boundary=M\n\n--M\n\nread\n--M--\n");
	g_assert_cmphex(msg->flags, ==, PD_MSG_AUTO_SUBMITTED);
	pd_message_free(&msg);
}

static void
test_flags_ours(void)
{
	static const char *const domains[] = { "desk.example.com", NULL };
	pd_parse_options opts;
	pd_message *msg;

	pd_parse_options_init(&opts);
	opts.our_domains = domains;
	/* Our notifications' Message-ID form, in our domain or a subdomain. */
	msg = parse_opts(&opts, LIT("From: a@example.org\nMessage-ID: <pd.1042.5.0.abcdefghijkl@desk.example.com>\n\nx"), PD_CAUSE_NONE);
	g_assert_cmphex(msg->flags, ==, PD_MSG_OURS);
	pd_message_free(&msg);
	msg = parse_opts(&opts, LIT("From: a@example.org\nMessage-ID: <pd.1.1.0.x@mx.DESK.example.com>\n\nx"), PD_CAUSE_NONE);
	g_assert_cmphex(msg->flags, ==, PD_MSG_OURS);
	pd_message_free(&msg);
	msg = parse_opts(&opts, LIT("From: a@example.org\nMessage-ID: <pd.1.1.0.x@notdesk.example.com>\n\nx"), PD_CAUSE_NONE);
	g_assert_cmphex(msg->flags, ==, 0);
	pd_message_free(&msg);
	/* A colleague writing from our own domain is a person, not a loop. */
	msg = parse_opts(&opts, LIT("From: bob@desk.example.com\nMessage-ID: <CAH123@desk.example.com>\n\nx"), PD_CAUSE_NONE);
	g_assert_cmphex(msg->flags, ==, 0);
	pd_message_free(&msg);
	/* Inbound X-Postdesk-* fields prove nothing: anyone can write them. */
	msg = parse_ok("From: a@example.org\nX-Postdesk-Ticket: 1042\n\nx");
	g_assert_cmphex(msg->flags, ==, 0);
	pd_message_free(&msg);
}

static void
test_flag_names(void)
{
	g_assert_cmpstr(pd_message_flag_name(PD_MSG_AUTO_SUBMITTED), ==, "auto-submitted");
	g_assert_cmpstr(pd_message_flag_name(PD_MSG_OUT_OF_OFFICE), ==, "out-of-office");
	g_assert_cmpstr(pd_message_flag_name(PD_MSG_OURS), ==, "ours");
	g_assert_cmpstr(pd_message_flag_name(0), ==, "unknown");
}

static void
test_variant_new_fields(void)
{
	pd_message *msg = parse_ok(attachment_mail);
	GVariant *v = g_variant_ref_sink(pd_message_to_variant(msg));
	GVariant *atts = g_variant_lookup_value(v, "attachments", G_VARIANT_TYPE("aa{sv}"));
	GVariant *img = g_variant_get_child_value(atts, 0);
	const char *s;
	const char **flags = NULL;
	gboolean inl = FALSE;

	g_assert_true(g_variant_lookup(v, "body_html", "&s", &s));
	g_assert_true(g_variant_lookup(v, "flags", "^a&s", &flags));
	g_assert_cmpuint(g_strv_length((char **)flags), ==, 0);
	g_assert_false(g_variant_lookup(v, "bounce_recipient", "&s", &s));
	g_assert_true(g_variant_lookup(img, "content_id", "&s", &s));
	g_assert_cmpstr(s, ==, "logo@x");
	g_assert_true(g_variant_lookup(img, "inline", "b", &inl));
	g_assert_true(inl);
	g_assert_true(g_variant_lookup(img, "sha256", "&s", &s));
	g_assert_cmpuint(strlen(s), ==, 64);
	g_free(flags);
	g_variant_unref(img);
	g_variant_unref(atts);
	g_variant_unref(v);
	pd_message_free(&msg);
}

int
main(int argc, char **argv)
{
	int rc;

	g_test_init(&argc, &argv, NULL);
	pd_parse_init();
	g_test_add_func("/parse/charset/aliases", test_charset_aliases);
	g_test_add_func("/parse/charset/iso-2022-jp", test_iso_2022_jp_variants);
	g_test_add_func("/parse/charset/utf-7", test_utf7);
	g_test_add_func("/parse/charset/base64-word-runs", test_base64_word_runs);
	g_test_add_func("/parse/charset/unknown-and-mislabelled", test_unknown_and_mislabelled);
	g_test_add_func("/parse/charset/fallback-chain", test_fallback_chain);
	g_test_add_func("/parse/charset/split-list", test_split_list);
	g_test_add_func("/parse/charset/byte-tables", test_charset_byte_tables);
	g_test_add_func("/parse/text/utf8-valid", test_utf8_valid);
	g_test_add_func("/parse/content/qp-decode", test_qp_decode);
	g_test_add_func("/parse/content/part-bytes", test_part_bytes_as_gmime);
	g_test_add_func("/parse/attachment/fields", test_attachment_fields);
	g_test_add_func("/parse/attachment/sink", test_sink_receives_bytes);
	g_test_add_func("/parse/attachment/forwarded", test_forwarded_message);
	g_test_add_func("/parse/attachment/uuencode", test_uuencode);
	g_test_add_func("/parse/attachment/tnef", test_tnef);
	g_test_add_func("/parse/html", test_body_html);
	g_test_add_func("/parse/flags/automatic", test_flags_automatic);
	g_test_add_func("/parse/flags/out-of-office", test_flags_out_of_office);
	g_test_add_func("/parse/flags/bounce", test_flags_bounce);
	g_test_add_func("/parse/flags/ours", test_flags_ours);
	g_test_add_func("/parse/flags/names", test_flag_names);
	g_test_add_func("/parse/variant-new-fields", test_variant_new_fields);
	rc = g_test_run();
	pd_parse_shutdown();
	return rc;
}
