/* test-parse.c: unit tests for the message parser: entry points, hygiene, Dovecot's checklist, limits. */
#include "parse-util.h"
#include "parse/parse-private.h"

#include "store/spool.h"

#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Time bounds catch a parser that goes quadratic; under valgrind
 * (PD_TEST_SLOW=1) everything is some fifty times slower. */
static double
seconds(double s)
{
	return g_getenv("PD_TEST_SLOW") != NULL ? s * 100 : s;
}

/* ---- well-formed mail ------------------------------------------------- */

static const char simple_mail[] =
	"From: \"Alice Example\" <alice@example.com>\n"
	"To: Bob <bob@example.org>, carol@example.net\n"
	"Cc: Dave <dave@example.com>\n"
	"Subject: Printer on fire\n"
	"Date: Tue, 01 Aug 2023 10:00:00 +0200\n"
	"Message-ID: <abc123@example.com>\n"
	"In-Reply-To: <parent@example.com> <other@example.com>\n"
	"References: <root@example.com>\n"
	" <parent@example.com>\n"
	"\n"
	"Hello,\n"
	"the printer is on fire.  \n"
	"\n"
	"\n";

static void
test_simple(void)
{
	pd_message *msg = parse_ok(simple_mail);

	g_assert_true(msg->has_headers);
	g_assert_cmpuint(msg->size, ==, strlen(simple_mail));
	g_assert_cmpstr(msg->subject, ==, "Printer on fire");
	g_assert_cmpstr(msg->from->name, ==, "Alice Example");
	g_assert_cmpstr(msg->from->addr, ==, "alice@example.com");
	g_assert_cmpuint(msg->to->len, ==, 2);
	g_assert_cmpstr(address(msg->to, 0)->name, ==, "Bob");
	g_assert_cmpstr(address(msg->to, 0)->addr, ==, "bob@example.org");
	g_assert_null(address(msg->to, 1)->name);
	g_assert_cmpstr(address(msg->to, 1)->addr, ==, "carol@example.net");
	g_assert_cmpuint(msg->cc->len, ==, 1);
	g_assert_cmpstr(address(msg->cc, 0)->addr, ==, "dave@example.com");
	g_assert_cmpstr(msg->message_id, ==, "abc123@example.com");
	g_assert_cmpstr(msg->in_reply_to, ==, "parent@example.com");
	g_assert_cmpuint(msg->references->len, ==, 2);
	g_assert_cmpstr(msg->references->pdata[0], ==, "root@example.com");
	g_assert_cmpstr(msg->references->pdata[1], ==, "parent@example.com");
	g_assert_cmpint(msg->date, ==, 1690876800);
	g_assert_cmpstr(msg->body, ==, "Hello,\nthe printer is on fire.");
	g_assert_cmpuint(msg->attachments->len, ==, 0);
	pd_message_free(&msg);
	g_assert_null(msg);
}

static void
test_missing_optional_headers(void)
{
	pd_message *msg = parse_ok("From: a@example.com\nDate: not a date at all\n\nx\n");

	g_assert_cmpstr(msg->subject, ==, "");
	g_assert_null(msg->message_id);
	g_assert_null(msg->in_reply_to);
	g_assert_cmpuint(msg->references->len, ==, 0);
	g_assert_cmpuint(msg->to->len, ==, 0);
	g_assert_cmpint(msg->date, ==, 0);
	g_assert_null(msg->from->name);
	pd_message_free(&msg);
}

static void
test_message_ids(void)
{
	pd_message *msg = parse_ok("From: a@example.com\n"
	                           "Message-ID: < spaced@example.com >\n"
	                           "In-Reply-To: Your message of Monday <c@example.com>\n"
	                           "References: <r1@x> junk <r2@y>\n"
	                           "\nx\n");

	g_assert_cmpstr(msg->message_id, ==, "spaced@example.com");
	g_assert_cmpstr(msg->in_reply_to, ==, "c@example.com");
	g_assert_cmpuint(msg->references->len, ==, 2);
	g_assert_cmpstr(msg->references->pdata[0], ==, "r1@x");
	g_assert_cmpstr(msg->references->pdata[1], ==, "r2@y");
	pd_message_free(&msg);

	msg = parse_ok("From: a@example.com\nIn-Reply-To:  bare@example.com \n\nx\n");
	g_assert_cmpstr(msg->in_reply_to, ==, "bare@example.com");
	pd_message_free(&msg);

	msg = parse_ok("From: a@example.com\nIn-Reply-To: your mail of today\n\nx\n");
	g_assert_null(msg->in_reply_to);
	pd_message_free(&msg);
}

static void
test_encoded_words(void)
{
	static const struct { const char *header; const char *expect; } cases[] = {
		{ "=?KOI8-R?B?8NLJ18XUIM3J0g==?=", "Привет мир" },
		{ "=?ISO-8859-1?Q?R=E9sum=E9_caf=E9?=", "Résumé café" },
		{ "=?ISO-2022-JP?B?GyRCRnxLXDhsJE4lRiU5JUgbKEI=?=", "日本語のテスト" },
		{ "Re: =?ISO-8859-1?Q?caf=E9?=\n =?ISO-8859-1?Q?_cr=E8me?= ok", "Re: café crème ok" },
		{ "a very\n\tlong\n  folded subject ", "a very long folded subject" },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		char *raw = g_strdup_printf("From: =?ISO-8859-1?Q?Ren=E9?= <rene@example.com>\n"
		                            "Subject: %s\n\nbody\n", cases[i].header);
		pd_message *msg = parse_ok(raw);

		g_assert_cmpstr(msg->subject, ==, cases[i].expect);
		g_assert_cmpstr(msg->from->name, ==, "René");
		pd_message_free(&msg);
		g_free(raw);
	}
}

static void
test_raw_8bit_latin1(void)
{
	pd_message *msg = parse_ok("From: Ren\xe9 <rene@example.com>\n"
	                           "Subject: caf\xe9\n"
	                           "\n"
	                           "caf\xe9\n");

	g_assert_cmpstr(msg->subject, ==, "café");
	g_assert_cmpstr(msg->from->name, ==, "René");
	g_assert_cmpstr(msg->body, ==, "café");
	pd_message_free(&msg);
}

static void
test_charsets_in_parts(void)
{
	static const struct { const char *head; const char *body; const char *expect; } cases[] = {
		{ "Content-Type: text/plain; charset=x-unknown-charset\n", "caf\xe9", "café" },
		{ "Content-Type: text/plain; charset=utf-8\n", "caf\xe9", "café" },
		{ "Content-Type: text/plain; charset=koi8-r\n"
		  "Content-Transfer-Encoding: base64\n", "8NLJ18XUIM3J0g==", "Привет мир" },
		{ "Content-Type: text/plain; charset=utf-16le\n"
		  "Content-Transfer-Encoding: base64\n", "aADpAA==", "hé" },
		{ "Content-Type: text/plain; charset=windows-1252\n"
		  "Content-Transfer-Encoding: quoted-printable\n", "caf=E9 =80=\n5", "café €5" },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		char *raw = g_strdup_printf("From: a@example.com\nMIME-Version: 1.0\n%s\n%s\n",
		                            cases[i].head, cases[i].body);
		pd_message *msg = parse_ok(raw);

		g_assert_cmpstr(msg->body, ==, cases[i].expect);
		pd_message_free(&msg);
		g_free(raw);
	}
}

static const char alternative_mail[] =
	"From: a@example.com\n"
	"Subject: alt\n"
	"MIME-Version: 1.0\n"
	"Content-Type: multipart/alternative; boundary=\"XYZ\"\n"
	"\n"
	"preamble\n"
	"--XYZ\n"
	"Content-Type: text/html; charset=utf-8\n"
	"\n"
	"<p>the <b>html</b> version</p>\n"
	"--XYZ\n"
	"Content-Type: text/plain; charset=windows-1252\n"
	"Content-Transfer-Encoding: quoted-printable\n"
	"\n"
	"the plain caf=E9 version\n"
	"--XYZ--\n";

static void
test_alternative_prefers_plain(void)
{
	pd_message *msg = parse_ok(alternative_mail);

	g_assert_cmpstr(msg->body, ==, "the plain café version");
	g_assert_cmpuint(msg->attachments->len, ==, 0);
	pd_message_free(&msg);
}

/* An empty text/plain alternative loses to an HTML one with text. */
static void
test_alternative_empty_plain(void)
{
	pd_message *msg = parse_ok("From: a@example.com\nContent-Type: multipart/alternative; boundary=b\n\n"
	                           "--b\nContent-Type: text/plain\n\n \n\n"
	                           "--b\nContent-Type: text/html\n\n<p>some <b>html</b> text</p>\n--b--\n");

	g_assert_cmpstr(msg->body, ==, "some html text");
	g_assert_cmpstr(msg->body_new, ==, "some html text");
	pd_message_free(&msg);

	/* both empty: nothing to show */
	msg = parse_ok("From: a@example.com\nContent-Type: multipart/alternative; boundary=b\n\n"
	               "--b\nContent-Type: text/plain\n\n\n--b\nContent-Type: text/html\n\n \n--b--\n");
	g_assert_cmpstr(msg->body, ==, "");
	pd_message_free(&msg);
}

/* Inline text parts of a multipart/mixed after the first are more of the
 * text, as mail clients show them; named ones, those marked attachment and
 * the choices of an alternative are not. */
static void
test_mixed_inline_text_parts(void)
{
	pd_message *msg = parse_ok("From: a@example.com\nContent-Type: multipart/mixed; boundary=m\n\n"
	                           "--m\nContent-Type: multipart/alternative; boundary=a\n\n"
	                           "--a\nContent-Type: text/plain\n\nHello\n"
	                           "--a\nContent-Type: text/plain\n\nnot shown: an alternative\n"
	                           "--a\nContent-Type: text/html\n\n<p>Hello</p>\n--a--\n"
	                           "--m\nContent-Type: text/plain; charset=iso-8859-1\n"
	                           "Content-Transfer-Encoding: quoted-printable\n\ncaf=E9 footer\n"
	                           "--m\nContent-Type: text/plain; name=notes.txt\n\nattached notes\n"
	                           "--m\nContent-Disposition: attachment\n\nattached text\n"
	                           "--m\nContent-Type: text/plain\n\n \n"
	                           "--m\n\nimplicit text/plain\n--m--\n");

	g_assert_cmpstr(msg->body, ==, "Hello\n\ncafé footer\n\nimplicit text/plain");
	g_assert_cmpstr(msg->body_html, ==, "<p>Hello</p>");
	g_assert_cmpuint(msg->attachments->len, ==, 2);
	g_assert_cmpstr(attachment(msg, 0)->filename, ==, "notes.txt");
	g_assert_null(attachment(msg, 1)->filename);
	pd_message_free(&msg);

}

/* A multipart/mixed that begins with HTML: its text is the body (the HTML
 * kept as body_html), and later inline text parts, plain or HTML, follow. */
static void
test_mixed_html_first(void)
{
	pd_message *msg = parse_ok("From: a@example.com\nContent-Type: multipart/mixed; boundary=m\n\n"
	                           "--m\nContent-Type: text/html\n\n<p>Hello <b>there</b></p>\n"
	                           "--m\nContent-Type: text/plain\n\ntext footer\n"
	                           "--m\nContent-Type: text/plain; name=notes.txt\n\nattached notes\n"
	                           "--m\nContent-Type: image/png\nContent-Transfer-Encoding: base64\n\n"
	                           "iVBORw0KGgo=\n"
	                           "--m\nContent-Type: text/html\n\n<p>later <i>html</i></p>\n--m--\n");

	g_assert_cmpstr(msg->body, ==, "Hello there\n\ntext footer\n\nlater html");
	g_assert_cmpstr(msg->body_new, ==, msg->body);
	g_assert_cmpstr(msg->body_html, ==, "<p>Hello <b>there</b></p>");
	g_assert_cmpuint(msg->attachments->len, ==, 2);
	g_assert_cmpstr(attachment(msg, 0)->filename, ==, "notes.txt");
	g_assert_cmpstr(attachment(msg, 1)->content_type, ==, "image/png");
	pd_message_free(&msg);

	/* quoted history marked in the HTML: the new text is the HTML's own */
	msg = parse_ok("From: a@example.com\nContent-Type: multipart/mixed; boundary=m\n\n"
	               "--m\nContent-Type: text/html\n\n<div>Thanks!</div>"
	               "<div class=\"gmail_quote\">On Mon, Bob wrote:<blockquote>old</blockquote></div>\n"
	               "--m\nContent-Type: text/plain\n\nlist footer\n--m--\n");
	g_assert_true(g_str_has_prefix(msg->body, "Thanks!\n"));
	g_assert_true(g_str_has_suffix(msg->body, "\n\nlist footer"));
	g_assert_cmpstr(msg->body_new, ==, "Thanks!");
	pd_message_free(&msg);

	/* an empty HTML part first: the text part is the body */
	msg = parse_ok("From: a@example.com\nContent-Type: multipart/mixed; boundary=m\n\n"
	               "--m\nContent-Type: text/html\n\n<p> </p>\n"
	               "--m\nContent-Type: text/plain\n\nthe text\n--m--\n");
	g_assert_cmpstr(msg->body, ==, "the text");
	g_assert_cmpstr(msg->body_new, ==, "the text");
	g_assert_cmpstr(msg->body_html, ==, "<p> </p>");
	pd_message_free(&msg);

	/* an alternative whose HTML choice is a multipart/mixed (Apple Mail):
	 * the plain choice is the body; the HTML choice's parts add nothing */
	msg = parse_ok("From: a@example.com\nContent-Type: multipart/alternative; boundary=a\n\n"
	               "--a\nContent-Type: text/plain\n\nHello\n"
	               "--a\nContent-Type: multipart/mixed; boundary=m\n\n"
	               "--m\nContent-Type: text/html\n\n<p>Hello</p>\n"
	               "--m\nContent-Type: image/png\nContent-Transfer-Encoding: base64\n\niVBORw0KGgo=\n"
	               "--m\nContent-Type: text/html\n\n<p>the HTML choice</p>\n--m--\n--a--\n");
	g_assert_cmpstr(msg->body, ==, "Hello");
	g_assert_cmpstr(msg->body_html, ==, "<p>Hello</p>");
	g_assert_cmpuint(msg->attachments->len, ==, 1);
	g_assert_cmpstr(attachment(msg, 0)->content_type, ==, "image/png");
	pd_message_free(&msg);
}

/* A multipart/related shows its root (named by start, else the first
 * part); its other inline text parts follow it in the body; a text part
 * with a Content-ID (a resource of the root) or a file name is an
 * attachment. Nothing is lost. */
static void
test_related_text_parts(void)
{
	pd_message *msg = parse_ok("From: a@example.com\nContent-Type: multipart/related; boundary=r\n\n"
	                           "--r\nContent-Type: text/html\n\n<p>root <img src=\"cid:logo@x\"></p>\n"
	                           "--r\nContent-Type: image/png\nContent-ID: <logo@x>\n"
	                           "Content-Transfer-Encoding: base64\n\niVBORw0KGgo=\n"
	                           "--r\nContent-Type: text/plain\n\nsecond note\n"
	                           "--r\nContent-Type: text/plain\nContent-ID: <frag@x>\n\nreferenced text\n"
	                           "--r\nContent-Type: text/plain; name=a.txt\n\nnamed text\n"
	                           "--r\nContent-Type: text/html\n\n<p>more <b>html</b></p>\n--r--\n");

	g_assert_cmpstr(msg->body, ==, "root\n\nsecond note\n\nmore html");
	g_assert_cmpstr(msg->body_html, ==, "<p>root <img src=\"cid:logo@x\"></p>");
	g_assert_cmpuint(msg->attachments->len, ==, 3);
	g_assert_cmpstr(attachment(msg, 0)->content_id, ==, "logo@x");
	g_assert_cmpstr(attachment(msg, 1)->content_type, ==, "text/plain");
	g_assert_cmpstr(attachment(msg, 1)->content_id, ==, "frag@x");
	g_assert_cmpuint(attachment(msg, 1)->size, ==, strlen("referenced text"));
	g_assert_cmpstr(attachment(msg, 2)->filename, ==, "a.txt");
	pd_message_free(&msg);

	/* two plain parts: the second follows the root */
	msg = parse_ok("From: a@example.com\nContent-Type: multipart/related; boundary=r\n\n"
	               "--r\nContent-Type: text/plain\n\nroot\n"
	               "--r\nContent-Type: text/plain\n\nsecond\n--r--\n");
	g_assert_cmpstr(msg->body, ==, "root\n\nsecond");
	g_assert_cmpuint(msg->attachments->len, ==, 0);
	pd_message_free(&msg);

	/* start names the root: it comes first, whatever its place */
	msg = parse_ok("From: a@example.com\n"
	               "Content-Type: multipart/related; boundary=r; start=\"<main@x>\"; type=text/html\n\n"
	               "--r\nContent-Type: text/plain\n\nfirst in order\n"
	               "--r\nContent-Type: text/html\nContent-ID: <main@x>\n\n<p>the root</p>\n--r--\n");
	g_assert_cmpstr(msg->body, ==, "the root\n\nfirst in order");
	g_assert_cmpstr(msg->body_html, ==, "<p>the root</p>");
	g_assert_cmpuint(msg->attachments->len, ==, 0);
	pd_message_free(&msg);

	/* a start that names no part: the first part is the root */
	msg = parse_ok("From: a@example.com\nContent-Type: multipart/related; boundary=r; start=\"<nowhere@x>\"\n\n"
	               "--r\nContent-Type: text/plain\n\nfirst\n"
	               "--r\nContent-Type: text/plain\n\nsecond\n--r--\n");
	g_assert_cmpstr(msg->body, ==, "first\n\nsecond");
	pd_message_free(&msg);
}

static void assert_same_byte_by_byte(const char *raw, gsize len);

/* Delimiter lines as real mail writes them: text after the boundary,
 * boundaries longer than GMime's read buffer, nested boundaries that are
 * prefixes of each other. The parts' contents stay as written. */
static const char trailing_text_mail[] =
	"From: a@example.com\nContent-Type: multipart/mixed; boundary=\"b\"\n\n"
	"--b This should be ignored\r\nContent-Type: text/plain\n\nfirst part\n\n"
	"--b-- and so should this\nepilogue\n--b--\nmore epilogue\n";

static const char prefix_mail[] =
	"From: a@example.com\nContent-Type: multipart/mixed; boundary=\"bou\"\n\n"
	"--bou\nContent-Type: multipart/alternative; boundary=\"boundary\"\n\n"
	"--boundary\nContent-Type: application/octet-stream\n\nbinary\n--bou\n--boundar\n"
	"--boundary\nContent-Type: text/plain\n\nthe text\n--boundary--\n"
	"--bou\nContent-Type: text/html\n\n<p>x</p>\n--bou--\n";

static char *
long_boundary_mail(gsize n)
{
	char *b = g_strnfill(n, 'x');
	char *raw = g_strdup_printf("From: a@example.com\nContent-Type: multipart/mixed; boundary=\"%s\"\n\n"
	                            "--%s\nContent-Type: text/plain\n\nText body\n--%s \nnot a delimiter\n"
	                            "--%s\nContent-Type: image/png; name=a.png\n\npng\n--%s--\n",
	                            b, b, b + 1, b, b);

	g_free(b);
	return raw;
}

static void
test_delimiter_lines(void)
{
	pd_message *msg = parse_ok(trailing_text_mail);
	char *raw;

	g_assert_cmpstr(msg->body, ==, "first part");
	pd_message_free(&msg);
	assert_same_byte_by_byte(trailing_text_mail, strlen(trailing_text_mail));

	/* "--bou" and "--boundar" inside "boundary" are its part's text */
	msg = parse_ok(prefix_mail);
	g_assert_cmpstr(msg->body, ==, "the text");
	g_assert_cmpstr(msg->body_html, ==, "<p>x</p>");
	g_assert_cmpuint(msg->attachments->len, ==, 1);
	g_assert_cmpuint(attachment(msg, 0)->size, ==, strlen("binary\n--bou\n--boundar"));
	pd_message_free(&msg);
	assert_same_byte_by_byte(prefix_mail, strlen(prefix_mail));

	/* over GMime's 4 KB buffer, and a line one character short of it */
	raw = long_boundary_mail(9000);
	msg = parse_ok(raw);
	g_assert_true(g_str_has_prefix(msg->body, "Text body\n--x"));
	g_assert_true(g_str_has_suffix(msg->body, "x \nnot a delimiter"));
	g_assert_cmpuint(strlen(msg->body), ==, strlen("Text body\n-- \nnot a delimiter") + 8999);
	g_assert_cmpuint(msg->attachments->len, ==, 1);
	g_assert_cmpstr(attachment(msg, 0)->filename, ==, "a.png");
	g_assert_cmpuint(attachment(msg, 0)->size, ==, 3);
	pd_message_free(&msg);
	assert_same_byte_by_byte(raw, strlen(raw));
	g_free(raw);
}

static void
test_html_only(void)
{
	pd_message *msg = parse_ok(
		"From: a@example.com\n"
		"Content-Type: text/html; charset=iso-8859-1\n"
		"\n"
		"<html><head><title>t</title><style>p { color: red; }</style></head>\n"
		"<body><!-- a comment <p>hidden</p> -->\n"
		"<p>Hello &amp; welcome,\n   dear   user</p>\n"
		"<p>a &lt;b&gt; &quot;c&quot;&nbsp;d &#233; &#x263A; caf\xe9 &bogus; x < y &#0;</p>\n"
		"<br><br><br><br>\n"
		"<script>document.write('<p>no</p>');</script>\n"
		"<DIV>end</DIV></body></html>\n");

	g_assert_cmpstr(msg->body, ==,
	                "Hello & welcome, dear user\n"
	                "\n"
	                /* &#0; names no character: the HTML parser drops it */
	                "a <b> \"c\" d é ☺ café &bogus; x < y\n"
	                "\n"
	                "end");
	pd_message_free(&msg);
}

/* ---- attachments ------------------------------------------------------ */

static const char attachment_mail[] =
	"From: a@example.com\n"
	"Subject: files\n"
	"MIME-Version: 1.0\n"
	"Content-Type: multipart/mixed; boundary=\"outer\"\n"
	"\n"
	"--outer\n"
	"Content-Type: text/plain\n"
	"\n"
	"see attached\n"
	"--outer\n"
	"Content-Type: application/pdf\n"
	"Content-Disposition: attachment; filename*=iso-8859-1''r%E9sum%E9.pdf\n"
	"Content-Transfer-Encoding: base64\n"
	"\n"
	"JVBERi0xLjQgZmFrZSBwZGYK\n"
	"--outer\n"
	"Content-Type: IMAGE/PNG; name=\"=?UTF-8?Q?=C3=BCbersicht.png?=\"\n"
	"Content-Transfer-Encoding: base64\n"
	"\n"
	"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4\n"
	"OTo7PD0+P0BBQkNERUZHSElKS0xNTk9QUVJTVFVWV1hZWltcXV5fYGFiY2RlZmdoaWprbG1ub3Bx\n"
	"cnN0dXZ3eHl6e3x9fn+AgYKDhIWGh4iJiouMjY6PkJGSk5SVlpeYmZqbnJ2en6ChoqOkpaanqKmq\n"
	"q6ytrq+wsbKztLW2t7i5uru8vb6/wMHCw8TFxsfIycrLzM3Oz9DR0tPU1dbX2Nna29zd3t/g4eLj\n"
	"5OXm5+jp6uvs7e7v8PHy8/T19vf4+fr7/P3+/w==\n"
	"--outer\n"
	"Content-Type: text/plain\n"
	"Content-Disposition: inline; filename=\"notes.txt\"\n"
	"\n"
	"12345\n"
	"--outer\n"
	"Content-Type: application/octet-stream\n"
	"\n"
	"xyz\n"
	"--outer--\n";

static void
test_attachments(void)
{
	pd_message *msg = parse_ok(attachment_mail);

	g_assert_cmpstr(msg->body, ==, "see attached");
	g_assert_cmpuint(msg->attachments->len, ==, 4);
	g_assert_cmpstr(attachment(msg, 0)->filename, ==, "résumé.pdf");
	g_assert_cmpstr(attachment(msg, 0)->content_type, ==, "application/pdf");
	g_assert_cmpuint(attachment(msg, 0)->size, ==, 18);
	g_assert_cmpstr(attachment(msg, 1)->filename, ==, "übersicht.png");
	g_assert_cmpstr(attachment(msg, 1)->content_type, ==, "image/png");
	g_assert_cmpuint(attachment(msg, 1)->size, ==, 256);
	g_assert_cmpstr(attachment(msg, 2)->filename, ==, "notes.txt");
	g_assert_cmpstr(attachment(msg, 2)->content_type, ==, "text/plain");
	g_assert_cmpuint(attachment(msg, 2)->size, ==, 5);
	g_assert_null(attachment(msg, 3)->filename);
	g_assert_cmpstr(attachment(msg, 3)->content_type, ==, "application/octet-stream");
	g_assert_cmpuint(attachment(msg, 3)->size, ==, 3);
	pd_message_free(&msg);
}

static void
test_forwarded_message(void)
{
	pd_message *msg = parse_ok(
		"From: a@example.com\n"
		"Subject: Fwd: original\n"
		"Content-Type: multipart/mixed; boundary=b\n"
		"\n"
		"--b\n"
		"Content-Type: text/plain\n"
		"\n"
		"forwarding this\n"
		"--b\n"
		"Content-Type: message/rfc822\n"
		"\n"
		"From: someone@example.org\n"
		"Subject: The =?utf-8?Q?=C3=BCber?= original\n"
		"\n"
		"inner body text\n"
		"--b\n"
		"Content-Type: message/rfc822\n"
		"Content-Disposition: attachment; filename=\"named.eml\"\n"
		"\n"
		"From: x@example.org\n"
		"\n"
		"y\n"
		"--b--\n");

	g_assert_cmpstr(msg->body, ==, "forwarding this");
	g_assert_cmpuint(msg->attachments->len, ==, 2);
	g_assert_cmpstr(attachment(msg, 0)->filename, ==, "The über original.eml");
	g_assert_cmpstr(attachment(msg, 0)->content_type, ==, "message/rfc822");
	g_assert_cmpuint(attachment(msg, 0)->size, >, strlen("inner body text"));
	g_assert_cmpstr(attachment(msg, 1)->filename, ==, "named.eml");
	pd_message_free(&msg);
}

/* ---- line ends -------------------------------------------------------- */

static void
test_crlf_body(void)
{
	pd_message *msg = parse_ok("From: a@example.com\r\nSubject: crlf\r\n\r\n"
	                           "line one\r\nline two\r\n\r\n");

	g_assert_cmpstr(msg->subject, ==, "crlf");
	g_assert_cmpstr(msg->body, ==, "line one\nline two");
	pd_message_free(&msg);
	msg = parse_ok("From: a@example.com\n\nold\rmac\r\rends\r");
	g_assert_cmpstr(msg->body, ==, "old\nmac\n\nends");
	pd_message_free(&msg);
}

static void
assert_same_parse(const char *lf)
{
	char *crlf = lf_to_crlf(lf);
	pd_message *a = parse_ok(lf);
	pd_message *b = parse_ok(crlf);

	g_assert_cmpuint(b->size, >, a->size);
	assert_same_message(a, b, TRUE);
	pd_message_free(&a);
	pd_message_free(&b);
	g_free(crlf);
}

static void
test_crlf_same_as_lf(void)
{
	assert_same_parse(simple_mail);
	assert_same_parse(alternative_mail);
	assert_same_parse(attachment_mail);
}

/* ---- refused and odd input -------------------------------------------- */

static void
test_empty(void)
{
	pd_cause cause = PD_CAUSE_NONE;
	char *reason = NULL;
	pd_message *msg = pd_message_parse("", 0, NULL, &cause, &reason);

	g_assert_cmpint(cause, ==, PD_CAUSE_EMPTY);
	g_assert_nonnull(reason);
	g_assert_cmpuint(msg->size, ==, 0);
	g_assert_false(msg->has_headers);
	assert_invariants(msg);
	g_free(reason);
	pd_message_free(&msg);

	msg = pd_message_parse(NULL, 0, NULL, &cause, NULL);
	g_assert_cmpint(cause, ==, PD_CAUSE_EMPTY);
	pd_message_free(&msg);
}

static void
test_whitespace_only(void)
{
	pd_message *msg = parse_len(LIT(" \r\n\t\n  \n\n"), PD_CAUSE_EMPTY);

	g_assert_cmpuint(msg->size, ==, 9);
	g_assert_false(msg->has_headers);
	g_assert_null(msg->from);
	pd_message_free(&msg);
}

static void
test_body_only(void)
{
	pd_cause cause;
	char *reason = NULL;
	const char raw[] = "Hello there,\nthis is just text, no headers.\n\n";
	pd_message *msg = pd_message_parse(raw, strlen(raw), NULL, &cause, &reason);

	g_assert_cmpint(cause, ==, PD_CAUSE_NO_HEADERS);
	g_assert_cmpstr(reason, ==, "no header block: the input does not start with a header field");
	g_assert_false(msg->has_headers);
	g_assert_null(msg->from);
	g_assert_cmpstr(msg->body, ==, "Hello there,\nthis is just text, no headers.");
	assert_invariants(msg);
	g_free(reason);
	pd_message_free(&msg);

	msg = parse_len(LIT("From sender@example.com Tue Apr 15 20:24:47 2003"), PD_CAUSE_NO_HEADERS);
	pd_message_free(&msg);
	msg = parse_len(LIT("\nFrom: a@example.com\n\nbody"), PD_CAUSE_NO_HEADERS);
	pd_message_free(&msg);
	msg = parse_len(LIT(": value\n\nbody"), PD_CAUSE_NO_HEADERS);
	pd_message_free(&msg);
}

static void
test_binary_garbage(void)
{
	GRand *rand = g_rand_new_with_seed(20240607);
	guint no_headers = 0;

	for (int round = 0; round < 400; round++) {
		gsize len = (gsize)g_rand_int_range(rand, 1, 4096);
		guchar *buf = g_malloc(len);
		pd_cause cause;
		char *reason = NULL;
		pd_message *msg;

		for (gsize i = 0; i < len; i++)
			buf[i] = (guchar)g_rand_int_range(rand, 0, 256);
		if (round % 2 == 1)
			memcpy(buf, "X:", MIN(len, 2));   /* force the MIME parser to run */
		msg = pd_message_parse((const char *)buf, len, NULL, &cause, &reason);
		g_assert_true(cause == PD_CAUSE_NO_HEADERS || cause == PD_CAUSE_NO_SENDER);
		g_assert_true(msg->has_headers == (cause == PD_CAUSE_NO_SENDER));
		if (round % 2 == 1 && len >= 2)
			g_assert_cmpint(cause, ==, PD_CAUSE_NO_SENDER);
		no_headers += cause == PD_CAUSE_NO_HEADERS;
		g_assert_nonnull(reason);
		assert_invariants(msg);
		g_free(reason);
		pd_message_free(&msg);
		g_free(buf);
	}
	g_assert_cmpuint(no_headers, >=, 180);   /* nearly all plain noise */
	g_rand_free(rand);
}

/* A valid start followed by noise must still yield clean strings. */
static void
test_garbage_after_headers(void)
{
	GRand *rand = g_rand_new_with_seed(7);

	for (int round = 0; round < 200; round++) {
		GString *raw = g_string_new("From: a@example.com\nSubject: ");
		gsize len = (gsize)g_rand_int_range(rand, 0, 2048);
		pd_message *msg;

		for (gsize i = 0; i < len; i++)
			g_string_append_c(raw, (char)g_rand_int_range(rand, 0, 256));
		msg = parse_len(raw->str, raw->len, PD_CAUSE_NONE);
		g_assert_cmpstr(msg->from->addr, ==, "a@example.com");
		pd_message_free(&msg);
		g_string_free(raw, TRUE);
	}
	g_rand_free(rand);
}

static void
test_nul_bytes(void)
{
	pd_message *msg = parse_len(LIT("X-Junk: a\0b\n"
	                                "Subject: before\0after\n"
	                                "From: a@example.com\n"
	                                "\n"
	                                "body\0rest\n"
	                                "last line\n"),
	                            PD_CAUSE_NONE);

	g_assert_cmpstr(msg->subject, ==, "before\xEF\xBF\xBD" "after");
	g_assert_cmpstr(msg->from->addr, ==, "a@example.com");
	g_assert_cmpstr(msg->body, ==, "body\xEF\xBF\xBDrest\nlast line");
	pd_message_free(&msg);

	/* NUL that appears only after transfer decoding */
	msg = parse_ok("From: a@example.com\n"
	               "Content-Type: text/plain; charset=us-ascii\n"
	               "Content-Transfer-Encoding: base64\n"
	               "\n"
	               "aGVsbG8Ad29ybGQK\n");
	g_assert_cmpstr(msg->body, ==, "hello\xEF\xBF\xBDworld");
	pd_message_free(&msg);
}

/* Over the size limit nothing is parsed but the header block, at once,
 * so the quarantine can say who sent what. */
/* ESC would reach an admin's terminal as a command, and some JSON writers
 * pass control characters through raw: TAB and LF are all that stay. */
static void
test_control_characters(void)
{
	pd_message *msg = parse_ok("From: a@example.com\nSubject: a\x1b[31mred\x7f\n\n"
	                           "one\ttab\x1f\x1b]0;title\x07\nform\ffeed\n");

	g_assert_cmpstr(msg->subject, ==, "a\xEF\xBF\xBD[31mred\xEF\xBF\xBD");
	g_assert_cmpstr(msg->body, ==, "one\ttab\xEF\xBF\xBD\xEF\xBF\xBD]0;title\xEF\xBF\xBD\n"
	                "form\xEF\xBF\xBD" "feed");
	pd_message_free(&msg);
}

static void
test_too_large(void)
{
	const gsize len = 31457280;
	pd_parse_options opts;
	char *raw = g_malloc(len);
	pd_cause cause;
	char *reason = NULL;
	GTimer *timer;
	pd_message *msg;

	pd_parse_options_init(&opts);
	g_assert_cmpuint(opts.limits.max_message_size, ==, 26214400);
	memset(raw, 'a', len);
	memcpy(raw, "From: a@example.com\nSubject: big\n\n", 34);
	timer = g_timer_new();
	msg = pd_message_parse(raw, len, &opts, &cause, &reason);
	g_assert_cmpfloat(g_timer_elapsed(timer, NULL), <, seconds(0.5));
	g_timer_destroy(timer);
	g_assert_cmpint(cause, ==, PD_CAUSE_TOO_LARGE);
	g_assert_cmpstr(reason, ==, "message is 31457280 bytes, the limit is 26214400 (limits.max_message_size)");
	g_assert_cmpuint(msg->size, ==, len);
	g_assert_true(msg->has_headers);
	g_assert_cmpstr(msg->from->addr, ==, "a@example.com");
	g_assert_cmpstr(msg->subject, ==, "big");
	g_assert_cmpstr(msg->body, ==, "");
	assert_invariants(msg);
	g_free(reason);
	pd_message_free(&msg);

	/* no header block: nothing but the size */
	msg = pd_message_parse(raw + 40, len - 40, &opts, &cause, NULL);
	g_assert_cmpint(cause, ==, PD_CAUSE_TOO_LARGE);
	g_assert_false(msg->has_headers);
	g_assert_null(msg->from);
	pd_message_free(&msg);

	/* exactly at the limit is allowed, one byte more is not */
	opts.limits.max_message_size = 23;
	msg = pd_message_parse("From: a@example.com\n\nab", 23, &opts, &cause, NULL);
	g_assert_cmpint(cause, ==, PD_CAUSE_NONE);
	g_assert_cmpstr(msg->body, ==, "ab");
	pd_message_free(&msg);
	msg = pd_message_parse("From: a@example.com\n\nabc", 24, &opts, &cause, NULL);
	g_assert_cmpint(cause, ==, PD_CAUSE_TOO_LARGE);
	pd_message_free(&msg);
	opts.limits.max_message_size = 0;   /* no limit */
	msg = parse_opts(&opts, raw, len, PD_CAUSE_NONE);
	g_assert_cmpuint(strlen(msg->body), ==, len - 34);
	pd_message_free(&msg);
	g_free(raw);
}

/* A name and an address without the angle brackets: GMime rejects the
 * field, the address is still there to answer. */
static void
test_bare_address_with_name(void)
{
	pd_cause cause;
	pd_message *msg = parse_ok("From: Test test@example.com\n\nx");

	g_assert_cmpstr(msg->from->addr, ==, "test@example.com");
	g_assert_cmpstr(msg->from->name, ==, "Test");
	pd_message_free(&msg);

	msg = parse_ok("From: Ann  Lee\tann@example.com \n\nx");
	g_assert_cmpstr(msg->from->addr, ==, "ann@example.com");
	g_assert_cmpstr(msg->from->name, ==, "Ann Lee");
	pd_message_free(&msg);

	/* a bare word is no address, nor is a quoted or bracketed leftover */
	msg = pd_message_parse(LIT("From: Test test\n\nx"), NULL, &cause, NULL);
	g_assert_cmpint(cause, ==, PD_CAUSE_NO_SENDER);
	pd_message_free(&msg);
	msg = pd_message_parse(LIT("From: MAILER-DAEMON (Mail Delivery System)\n\nx"), NULL, &cause, NULL);
	g_assert_cmpint(cause, ==, PD_CAUSE_NO_SENDER);
	pd_message_free(&msg);
}

static void
test_sender_fallback(void)
{
	pd_cause cause;
	char *reason = NULL;
	pd_message *msg = parse_ok("Sender: Sam <sam@example.com>\nReply-To: r@example.com\n\nx");

	g_assert_cmpstr(msg->from->addr, ==, "sam@example.com");
	g_assert_cmpstr(msg->from->name, ==, "Sam");
	pd_message_free(&msg);

	msg = parse_ok("From: <>\nReply-To: Rita <rita@example.com>\n\nx");
	g_assert_cmpstr(msg->from->addr, ==, "rita@example.com");
	pd_message_free(&msg);

	msg = parse_ok("From: Team:;\nSender: root\nReply-To: g: <g1@example.com>;\n\nx");
	g_assert_cmpstr(msg->from->addr, ==, "g1@example.com");
	pd_message_free(&msg);

	msg = pd_message_parse(LIT("To: b@example.com\nSubject: who?\n\nx"), NULL, &cause, &reason);
	g_assert_cmpint(cause, ==, PD_CAUSE_NO_SENDER);
	g_assert_cmpstr(reason, ==, "no sender address in From, Sender or Reply-To");
	g_assert_true(msg->has_headers);
	g_assert_null(msg->from);
	g_assert_cmpstr(msg->subject, ==, "who?");
	g_assert_cmpstr(msg->body, ==, "x");
	g_free(reason);
	pd_message_free(&msg);
}

static void
test_group(void)
{
	pd_message *msg = parse_ok("From: a@example.com\n"
	                           "To: Team: one@example.com, Two <two@example.com>;, three@example.net\n"
	                           "Cc: undisclosed-recipients:;\n"
	                           "\n"
	                           "x\n");

	g_assert_cmpuint(msg->to->len, ==, 3);
	g_assert_cmpstr(address(msg->to, 0)->addr, ==, "one@example.com");
	g_assert_cmpstr(address(msg->to, 1)->addr, ==, "two@example.com");
	g_assert_cmpstr(address(msg->to, 1)->name, ==, "Two");
	g_assert_cmpstr(address(msg->to, 2)->addr, ==, "three@example.net");
	g_assert_cmpuint(msg->cc->len, ==, 0);
	pd_message_free(&msg);
}

static void
test_headers_only(void)
{
	pd_message *msg = parse_ok("From: a@example.com\nSubject: no body");

	g_assert_cmpstr(msg->subject, ==, "no body");
	g_assert_cmpstr(msg->from->addr, ==, "a@example.com");
	g_assert_cmpstr(msg->body, ==, "");
	pd_message_free(&msg);

	msg = parse_ok("From: a@example.com\r\nSubject: still no body\r\n");
	g_assert_cmpstr(msg->subject, ==, "still no body");
	g_assert_cmpstr(msg->body, ==, "");
	pd_message_free(&msg);
}

/* The first line that is not a header starts the body, blank line or not. */
static void
test_missing_separator(void)
{
	pd_message *msg = parse_ok("From: a@example.com\n"
	                           "Subject: s\n"
	                           "This line starts the body\n"
	                           "second: line\n");

	g_assert_cmpstr(msg->subject, ==, "s");
	g_assert_cmpstr(msg->body, ==, "This line starts the body\nsecond: line");
	pd_message_free(&msg);

	msg = parse_ok("From: a@example.com\r\n"
	               "Subject: folded\r\n"
	               "  subject\r\n"
	               "\xb2\xc9 binary\r\n"
	               "\r\n"
	               "more\r\n");
	g_assert_cmpstr(msg->subject, ==, "folded subject");
	g_assert_cmpstr(msg->body, ==, "\xc2\xb2\xc3\x89 binary\n\nmore");
	pd_message_free(&msg);
}

/* An mbox envelope line is not a header, and not part of the message. */
static void
test_envelope_line(void)
{
	const char raw[] = "From bounce@example.com Tue Apr 15 20:24:47 2003\n"
	                   "From: Real <real@example.com>\n"
	                   "Subject: mbox\n"
	                   "\n"
	                   "text\n";
	pd_message *msg = parse_ok(raw);

	g_assert_true(msg->has_headers);
	g_assert_cmpuint(msg->size, ==, strlen(raw));
	g_assert_cmpstr(msg->from->addr, ==, "real@example.com");
	g_assert_cmpstr(msg->subject, ==, "mbox");
	g_assert_cmpstr(msg->body, ==, "text");
	pd_message_free(&msg);

	/* obsolete syntax: white space before the colon is still a header */
	msg = parse_ok("From : old@example.com\n\ntext\n");
	g_assert_cmpstr(msg->from->addr, ==, "old@example.com");
	pd_message_free(&msg);
}

/* GMime is given only the header fields postdesk reads. The others,
 * folded, with a name too long for GMime, or before and after fields that
 * are read (in any case, with white space before the colon), change
 * nothing of what is understood. */
static void
test_unread_fields(void)
{
	const char plain[] = "From: Ann <ann@example.com>\nTo: support@example.com\nSubject: printer\n"
	                     "Message-ID: <m1@example.com>\nReferences: <r1@example.com>\n"
	                     "Auto-Submitted: auto-generated\n"
	                     "Content-Type: text/plain; charset=iso-8859-1\n\nIt is broken. Caf\xe9.\n";
	char *name = g_strnfill(1200, 'X');
	char *noisy = g_strdup_printf(
		"Received: from mx.example.com (mx.example.com [192.0.2.1])\n"
		"\tby mx.example.org with ESMTPS id 1\n"
		"\tfor <support@example.com>; Mon, 2 Nov 2026 10:33:25 +0000\n"
		"DKIM-Signature: v=1; a=rsa-sha256; d=example.com;\n b=abc\n"
		"FROM: Ann <ann@example.com>\n"
		"X-MS-Exchange-Organization-SCL: 1\n"
		"%s: value\n continued\n"
		"To: support@example.com\nSubject : printer\nX-Mailer: Outlook\n"
		"Message-ID: <m1@example.com>\nreferences: <r1@example.com>\nX-Spam-Score: 0.1\n"
		"auto-submitted: auto-generated\n"
		"Content-type: text/plain; charset=iso-8859-1\nX-Last: 1\n\nIt is broken. Caf\xe9.\n", name);
	pd_message *a = parse_ok(plain), *b = parse_ok(noisy);

	g_assert_cmpstr(b->from->addr, ==, "ann@example.com");
	g_assert_cmpstr(b->subject, ==, "printer");
	g_assert_cmpstr(b->body, ==, "It is broken. Café.");
	g_assert_cmpuint(b->references->len, ==, 1);
	g_assert_true(b->flags & PD_MSG_AUTO_SUBMITTED);
	g_assert_cmpuint(b->size, ==, strlen(noisy));
	assert_same_message(a, b, TRUE);
	pd_message_free(&a);
	pd_message_free(&b);
	assert_same_byte_by_byte(noisy, strlen(noisy));
	g_free(noisy);
	g_free(name);
}

/* A field given more than once counts as in GMime's message object: the
 * addresses of every repetition, the last Date and Message-ID, the first
 * of anything else. The fields postdesk reads are taken from the input,
 * not from GMime, so this holds them to it; the NUL in a display name is
 * replaced, as in the block GMime is given. */
static void
test_repeated_fields(void)
{
	static const char raw[] =
		"From: First <first@example.com>\r\n"
		"Subject: the first subject\r\n"
		"To: a@example.com,\r\n\tb@example.com\r\n"
		"Date: Mon, 2 Nov 2026 10:00:00 +0000\r\n"
		"Message-ID: <one@example.com>\r\n"
		"From: Second <second@example.com>\r\n"
		"To: =?utf-8?q?C=C3=A9line?= <c@example.com>\r\n"
		"Cc: Nul\0Name <n@example.com>\r\n"
		"Subject: the second subject\r\n"
		"Date: Tue, 3 Nov 2026 10:00:00 +0000\r\n"
		"Message-ID: <two@example.com>\r\n"
		"Precedence: bulk\r\n"
		"Precedence: list\r\n"
		"\r\nbody\r\n";
	pd_cause cause;
	pd_message *msg = pd_message_parse(raw, sizeof raw - 1, NULL, &cause, NULL);

	g_assert_cmpint(cause, ==, PD_CAUSE_NONE);
	g_assert_cmpstr(msg->from->addr, ==, "first@example.com");
	g_assert_cmpstr(msg->from->name, ==, "First");
	g_assert_cmpstr(msg->subject, ==, "the first subject");
	g_assert_cmpuint(msg->to->len, ==, 3);
	g_assert_cmpstr(((pd_address *)msg->to->pdata[0])->addr, ==, "a@example.com");
	g_assert_cmpstr(((pd_address *)msg->to->pdata[1])->addr, ==, "b@example.com");
	g_assert_cmpstr(((pd_address *)msg->to->pdata[2])->addr, ==, "c@example.com");
	g_assert_cmpstr(((pd_address *)msg->to->pdata[2])->name, ==, "Céline");
	g_assert_cmpuint(msg->cc->len, ==, 1);
	g_assert_cmpstr(((pd_address *)msg->cc->pdata[0])->name, ==, "Nul\xEF\xBF\xBD" "Name");
	g_assert_cmpint(msg->date, ==, 1793700000);
	g_assert_cmpstr(msg->message_id, ==, "two@example.com");
	g_assert_true(msg->flags & PD_MSG_AUTO_SUBMITTED);
	g_assert_false(msg->flags & PD_MSG_LIST);
	g_assert_cmpstr(msg->body, ==, "body");
	pd_message_free(&msg);
	assert_same_byte_by_byte(raw, sizeof raw - 1);
}

/* Dates in the form nearly every client writes are read without GMime's
 * parser; every other form, and every value GMime would not take, goes to
 * it. The expected values are GMime's, the same either way. */
static void
test_dates(void)
{
	static const struct {
		const char *date;
		gint64 unix_time;
	} cases[] = {
		{ "Mon, 02 Nov 2026 11:30:57 +0100", 1793615457 },
		{ "2 Nov 2026 11:30 -0800", 1793647800 },
		{ "Tue, 29 Feb 2028 00:00:00 +0000", 1835395200 },
		{ "Sun, 31 Dec 1972 23:59:59 -1400", 94744799 },
		{ "Wed, 15 Jul 2020 12:00:00 +0530 (IST)", 1594794600 },
		{ "Mon,  2 Nov 2026 10:00:00 +0000", 1793613600 },
		{ "Thu, 1 Jan 9999 01:00:00 +1400", 253370718000 },
		{ "Sat, 31 Jan 2026 10:00:00 +0059", 1769850060 },
		{ "tue,  1 mar 2000 00:00:00 -0000", 951868800 },
		/* GMime's */
		{ "2 Nov 26 10:00 GMT", 1793613600 },
		{ "Monday, 2 Nov 2026 10:00:00 +0100", 1793610000 },
		{ "2026-11-02 10:00:00", 1793613600 },
		{ "Mon, 2 Nov 2026 10:00:00 +2500", 1793613600 },
		{ "Mon, 02 Nov 2026 10:00:60 +0000", 0 },
		{ "Mon, 30 Feb 2026 10:00:00 +0000", 0 },
		{ "Sun, 29 Feb 2026 10:00:00 +0000", 0 },
		{ "yesterday", 0 },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		char *raw = g_strdup_printf("From: a@example.com\nDate: %s\nSubject: x\n\nbody\n", cases[i].date);
		pd_message *msg = parse_ok(raw);

		if (msg->date != cases[i].unix_time)
			g_error("%s: %" G_GINT64_FORMAT ", not %" G_GINT64_FORMAT, cases[i].date, msg->date,
			        cases[i].unix_time);
		pd_message_free(&msg);
		g_free(raw);
	}
}

/* ---- structures read without GMime ------------------------------------- */

#define ALT_HEAD "From: Jane <jane@example.com>\nSubject: s\nMIME-Version: 1.0\n"
#define ALT(parts) ALT_HEAD "Content-Type: multipart/alternative; boundary=\"b1\"\n\n" \
	"This is a multi-part message in MIME format.\n" parts
#define PLAIN_PART "--b1\nContent-Type: text/plain; charset=utf-8\n\nHello there.\n\n"
#define HTML_PART "--b1\nContent-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n" \
	"<p>Hello <b>there</b>.</p>=\n<p>Second</p>\n"

/* One text part, or an alternative of text parts, is read without GMime's
 * tree and gives what the tree gives; every other form is left to GMime
 * (simple_as_gmime compares the two readings of each). */
static void
test_simple_structure(void)
{
	static const struct {
		const char *raw;
		gboolean simple;
	} cases[] = {
		{ "From: a@example.com\nSubject: s\n\nHello\n", TRUE },
		{ "From: a@example.com\nContent-Type: text/plain; charset=\"utf-8\"\nContent-Transfer-Encoding: 8bit\n\n"
		  "Gr\xc3\xbc\xc3\x9f" "e\n", TRUE },
		{ "From: a@example.com\nContent-Type: text/plain; charset=iso-8859-1; format=flowed; delsp=yes\n"
		  "Content-Transfer-Encoding: Quoted-Printable \n\nCaf=E9 =\nau lait\n", TRUE },
		{ "From: a@example.com\nContent-Type: TEXT/PLAIN; CHARSET=UTF-8;\nContent-Transfer-Encoding: base64\n\n"
		  "SGVsbG8sIHdvcmxkIQo=\n", TRUE },
		{ "From: a@example.com\nContent-Type: text/html; charset=windows-1252\n\n<p>Only &amp; HTML</p>\n", TRUE },
		{ "From: a@example.com\nContent-Language: en-US\nContent-Type: text/plain;\n\tcharset=\"us-ascii\"\n\n"
		  "Hi\n\nOn Mon, 2 Nov 2026 at 10:00, Bob <b@example.com> wrote:\n> old\n", TRUE },
		{ "From: a@example.com\n\nbegin 644 a.txt\n#86)C\n`\nend\nText after\n", TRUE },
		{ ALT(PLAIN_PART HTML_PART "--b1--\nepilogue\n"), TRUE },
		{ ALT(HTML_PART PLAIN_PART "--b1--\n"), TRUE },
		{ ALT(HTML_PART "--b1--\n"), TRUE },
		{ ALT("--b1  \nContent-Type: text/plain\nContent-Description: body\n\nHi\n--b1\t\n"
		      "Content-Type: text/html\n\n<p>x</p>\n--b1--  \n"), TRUE },
		{ ALT("--b1\nContent-Type: text/plain\n\n\n--b1\nContent-Type: text/html\n\n<p>From the HTML</p>\n--b1--\n"), TRUE },
		{ ALT("--b1\nContent-Type: text/plain; charset=koi8-r\nContent-Transfer-Encoding: base64\n\n"
		      "8NLJ18XU\n--b1\nContent-Type: text/html\n\n<p>x</p>\n--b1--"), TRUE },
		{ ALT_HEAD "Content-Type: multipart/alternative;\n boundary=\"----=_NextPart_000_2E08.51A1F5DF\"\n\n"
		  "------=_NextPart_000_2E08.51A1F5DF\nContent-Type: text/plain\n\nHi\n"
		  "------=_NextPart_000_2E08.51A1F5DF--\n", TRUE },
		{ ALT_HEAD "Content-Type: multipart/alternative;\n boundary=----=_NextPart_000_2E08.51A1F5DF\n\n"
		  "------=_NextPart_000_2E08.51A1F5DF\nContent-Type: text/plain\n\nHi\n"
		  "------=_NextPart_000_2E08.51A1F5DF--\n", FALSE },
		/* a CR LF delimiter takes two bytes before it, even an LF and what precedes it */
		{ ALT("--b1\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: binary\r\n\r\nab=\n--b1\r\n"
		      "Content-Type: text/plain\r\n\r\nx\r\n--b1--\r\n"), TRUE },
		{ ALT("--b1\nContent-Type: text/plain\n\nab\r\n--b1\nContent-Type: text/html\n\nx\n--b1--\n"), TRUE },
		/* left to GMime */
		{ ALT_HEAD "Content-Type: multipart/mixed; boundary=\"b1\"\n\n" PLAIN_PART "--b1--\n", FALSE },
		{ "From: a@example.com\nContent-Type: text/plain; name=\"a.txt\"\n\nHello\n", FALSE },
		{ "From: a@example.com\nContent-Disposition: attachment\n\nHello\n", FALSE },
		{ "From: a@example.com\nContent-ID: <x@y>\n\nHello\n", FALSE },
		{ "From: a@example.com\nContent-Type: text/plain; charset*=utf-8''a\n\nHello\n", FALSE },
		{ "From: a@example.com\nContent-Type: text/plain; charset==?utf-8?q?x?=\n\nHello\n", FALSE },
		{ "From: a@example.com\nContent-Type: text/plain; charset=\"utf\\-8\"\n\nHello\n", FALSE },
		{ "From: a@example.com\nContent-Type: text/plain; charset=\"caf\xc3\xa9\"\n\nHello\n", FALSE },
		{ "From: a@example.com\nContent-Type: text/plain (comment)\n\nHello\n", FALSE },
		{ "From: a@example.com\nContent-Type: text/plain; format=multipart\n\nHello\n", FALSE },
		{ "From: a@example.com\nContent-Type: text/plain\nContent-Type: text/html\n\nHello\n", FALSE },
		{ "From: a@example.com\nContent-Transfer-Encoding: x-uuencode\n\nHello\n", FALSE },
		{ "From: a@example.com\nContent-Type : text/plain\n\nHello\n", FALSE },
		{ "From: a@example.com\nContent-Type: text/plain;\n \n charset=utf-8\n\nHello\n", FALSE },
		{ "From: a@example.com\n\nText\nContent-Type: multipart/mixed; boundary=x\n\n--x\nmore\n", FALSE },
		{ "From a@example.com Mon Nov  2 10:00:00 2026\nFrom: a@example.com\n\nHello\n", FALSE },
		{ "From: a@example.com\nSubject: no blank line", FALSE },
		{ ALT(PLAIN_PART "--b1 trailing words\nContent-Type: text/html\n\n<p>x</p>\n--b1--\n"), FALSE },
		{ ALT(PLAIN_PART "--b1x\nstill text\n--b1--\n"), FALSE },
		{ ALT(PLAIN_PART HTML_PART), FALSE },
		{ ALT("--b1\n\nNo header block\n--b1--\n"), FALSE },
		{ ALT("--b1\nContent-Type: text/plain\nX-Other: 1\n\nHi\n--b1--\n"), FALSE },
		{ ALT("--b1\nContent-Type: image/png\n\nxx\n--b1--\n"), FALSE },
		{ ALT("--b1\nContent-Type: multipart/alternative; boundary=b2\n\n--b2\nContent-Type: text/plain\n\n"
		      "Hi\n--b2--\n--b1--\n"), FALSE },
		{ ALT(PLAIN_PART "--b1--\n--b1\nContent-Type: text/html\n\n<p>x</p>\n"), FALSE },
		{ ALT(PLAIN_PART "--b1--\nContent-Type: text/html\n"), FALSE },
		{ ALT_HEAD "Content-Type: multipart/alternative; boundary=\"xboundary=y\"\n\n--xboundary=y\n"
		  "Content-Type: text/plain\n\nHi\n--xboundary=y--\n", FALSE },
		{ ALT_HEAD "Content-Type: multipart/alternative; charset=x; charset=y; boundary=b1\n\n" PLAIN_PART "--b1--\n", FALSE },
		{ "From: a@example.com\nSubject: s\0t\n\nHello\n", FALSE },
	};
	pd_parse_options tight;

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		const char *raw = cases[i].raw;
		char *crlf = lf_to_crlf(raw);

		g_test_message("case %" G_GSIZE_FORMAT ": %s", i, raw);
		g_assert_cmpint(simple_as_gmime(NULL, raw, strlen(raw)), ==, cases[i].simple);
		if (strchr(raw, '\r') == NULL)   /* else it has the line ends it means */
			g_assert_cmpint(simple_as_gmime(NULL, crlf, strlen(crlf)), ==, cases[i].simple);
		g_free(crlf);
	}
	/* a NUL in the header block: the length says where the message ends */
	g_assert_false(simple_as_gmime(NULL, LIT("From: a@example.com\nSubject: s\0t\n\nHello\n")));
	/* near a limit, GMime's tree and the walk say which */
	pd_parse_options_init(&tight);
	tight.limits.max_mime_parts = 2;
	g_assert_false(simple_as_gmime(&tight, LIT(ALT(PLAIN_PART HTML_PART "--b1--\n"))));
	g_assert_true(simple_as_gmime(&tight, LIT(ALT(PLAIN_PART "--b1--\n"))));
	pd_parse_options_init(&tight);
	tight.limits.max_mime_parameters = 1;
	g_assert_false(simple_as_gmime(&tight, LIT(ALT_HEAD "Content-Type: text/plain; charset=utf-8; format=flowed\n\nHi\n")));
	pd_parse_options_init(&tight);
	tight.limits.max_header_count = 1;
	g_assert_false(simple_as_gmime(&tight, LIT(ALT("--b1\nContent-Type: text/plain\nContent-Language: en\n\nHi\n--b1--\n"))));
	pd_parse_options_init(&tight);
	tight.limits.max_header_size = 80;
	g_assert_true(simple_as_gmime(&tight, LIT("From: a@x.example\nContent-Type: multipart/alternative; boundary=b\n\n"
	                                          "--b\nContent-Type: text/plain\n\nHi\n--b--\n")));
	g_assert_false(simple_as_gmime(&tight, LIT("From: a@x.example\nContent-Type: multipart/alternative; boundary=b\n\n"
	                                           "--b\nContent-Type: text/plain\n"
	                                           "Content-Description: a description of fifty characters\n\nHi\n--b--\n")));
}

/* The address lists the parser reads without GMime read as GMime reads
 * them; the forms it leaves to GMime are left. */
static void
test_plain_addresses(void)
{
	static const struct {
		const char *value;
		gboolean plain;
	} cases[] = {
		{ " a@example.com", TRUE },
		{ " Jane Doe <jane@example.com>", TRUE },
		{ " \"Doe, Jane\" <jane@example.com>", TRUE },
		{ " \"Print & Office News\" <news@news.officeworld.example.net>", TRUE },
		{ "<jane@example.com>", TRUE },
		{ " a@example.com, b@example.org,\n\tJane <c@example.net>\n", TRUE },
		{ " a@example.com,", TRUE },
		{ " a@example.com ,, b@example.org", TRUE },
		{ " \" Jane \" <j@x.example>", TRUE },
		{ " \"\" <j@x.example>", TRUE },
		{ " \"Jane\"Doe <j@x.example>", TRUE },
		{ " O'Brien <o.brien+desk@x.example>", TRUE },
		{ " Jane  Doe\t<j@x.example>", TRUE },
		{ " \"a\tb\" <j@x.example>", TRUE },
		{ " support@XN.example", TRUE },
		{ " Jane Doe <jane@xn--bcher-kva.example>", FALSE },
		{ " jane@sub.XN--bcher-kva.example", FALSE },
		{ " =?utf-8?q?J=C3=A9r=C3=B4me?= <j@x.example>", TRUE },
		{ " \"=?utf-8?q?J=C3=A9r=C3=B4me?=\" <j@x.example>", TRUE },
		{ " =?ISO-2022-JP?B?GyRCOzNLXBsoQiAbJEJCZ0plGyhC?= <d@x.example>", TRUE },
		{ " =?utf-8?q?Jane?= =?utf-8?q?_Doe?= <j@x.example>, =?koi8-r?b?6cfP0tgg98/My8/XwQ==?= <i@x.example>", TRUE },
		{ " Jane=?utf-8?q?_Doe?= <j@x.example>", TRUE },
		{ " =?utf-8?q?J=C3=A9r=C3=B4me?= j@x.example", FALSE },
		{ " =?utf-8?q?Doe,_Jane?= <j@x.example>", FALSE },
		{ " =?utf-8?q?Doe.Jane?= <j@x.example>", FALSE },
		{ " j=?x?=@x.example", TRUE },
		{ " J. Doe <j@x.example>", FALSE },
		{ " Doe, Jane <j@x.example>", FALSE },
		{ " jane@example.com (Jane Doe)", FALSE },
		{ " (Jane) jane@example.com", FALSE },
		{ " undisclosed-recipients:;", FALSE },
		{ " Team: a@x.example, b@x.example;", FALSE },
		{ " \"Jane \\\"Q\\\" Doe\" <j@x.example>", FALSE },
		{ " J\xc3\xa9r\xc3\xb4me <j@x.example>", FALSE },
		{ " j\xc3\xa9@x.example", FALSE },
		{ " jane", FALSE },
		{ " jane@example.com <jane@example.com>", FALSE },
		{ " <<j@x.example>>", FALSE },
		{ " <j@x.example>>", FALSE },
		{ " Jane\n Doe <j@x.example>", FALSE },
		{ " a@x.example.", FALSE },
		{ " a@[192.0.2.1]", FALSE },
		{ " <@route.example:a@x.example>", FALSE },
		{ " \"unended <j@x.example>", FALSE },
		{ " a@x.example b@x.example", FALSE },
		{ " a..b@x.example", FALSE },
		{ " <j@x.example", FALSE },
		{ " Jane <j@x.example> Doe", FALSE },
		{ "", FALSE },
		{ " , ", FALSE },
		{ " ,a@x.example", FALSE },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		if (plain_addresses_as_gmime(cases[i].value) != cases[i].plain)
			g_error("[%s] %s read without GMime", cases[i].value, cases[i].plain ? "not" : "wrongly");
	}
}

/* A thread's first message meets the buffers the thread keeps with no
 * storage yet. The fuzzer found "B:)" there: its only field is not given
 * to GMime, so the boundary stream's first look was at an empty buffer. */
static gpointer
parse_in_thread(gpointer raw)
{
	pd_cause cause;
	pd_message *msg = pd_message_parse(raw, strlen(raw), NULL, &cause, NULL);

	g_assert_cmpint(cause, ==, strcmp(raw, "B:)") == 0 ? PD_CAUSE_NO_SENDER : PD_CAUSE_NONE);
	return msg;
}

static void
test_first_on_thread(void)
{
	const char *const inputs[] = { "B:)", simple_mail };

	for (gsize i = 0; i < G_N_ELEMENTS(inputs); i++) {
		pd_message *msg = g_thread_join(g_thread_new("parse", parse_in_thread, (gpointer)inputs[i]));

		g_assert_cmpuint(msg->size, ==, strlen(inputs[i]));
		g_assert_cmpstr(msg->body, ==, i == 0 ? "" : "Hello,\nthe printer is on fire.");
		pd_message_free(&msg);
	}
}

static char *
nested_mail(int depth)
{
	GString *raw = g_string_new("From: a@example.com\n");

	for (int i = 0; i < depth; i++)
		g_string_append_printf(raw, "Content-Type: multipart/mixed; boundary=\"b%d\"\n\n--b%d\n", i, i);
	g_string_append(raw, "Content-Type: text/plain\n\ndeep\n");
	for (int i = depth - 1; i >= 0; i--)
		g_string_append_printf(raw, "--b%d--\n", i);
	return g_string_free(raw, FALSE);
}

/* Plausible nesting is walked; hostile nesting is quarantined (limit),
 * quickly, with the headers still read. */
static void
test_deep_nesting(void)
{
	char *raw = nested_mail(30);
	pd_message *msg = parse_ok(raw);
	GTimer *timer;

	g_assert_cmpstr(msg->body, ==, "deep");
	pd_message_free(&msg);
	g_free(raw);

	raw = nested_mail(5000);
	timer = g_timer_new();
	msg = parse_len(raw, strlen(raw), PD_CAUSE_LIMIT);
	g_assert_cmpfloat(g_timer_elapsed(timer, NULL), <, seconds(2.0));
	g_timer_destroy(timer);
	g_assert_cmpstr(msg->from->addr, ==, "a@example.com");
	g_assert_cmpstr(msg->body, ==, "");
	pd_message_free(&msg);
	g_free(raw);
}

/* Callers hand in mapped files: nothing may be read past len. Run under
 * AddressSanitizer or valgrind, an over-read fails this test. */
static void
test_not_nul_terminated(void)
{
	static const char *const inputs[] = {
		simple_mail, attachment_mail, "From: a@example.com", "From: a@example.com\r",
		"From x", "X:", "From: a@example.com\n\n<p>&amp", " ",
	};

	for (gsize i = 0; i < G_N_ELEMENTS(inputs); i++) {
		gsize len = strlen(inputs[i]);
		char *exact = g_memdup2(inputs[i], len);
		pd_message *msg = pd_message_parse(exact, len, NULL, NULL, NULL);

		assert_invariants(msg);
		g_assert_cmpuint(msg->size, ==, len);
		pd_message_free(&msg);
		g_free(exact);
	}
}

/* ---- the file API and streaming ---------------------------------------- */

static char *
write_temp(const char *data, gsize len)
{
	GError *e = NULL;
	char *path = NULL;
	int fd = g_file_open_tmp("pd-parse-XXXXXX.eml", &path, &e);

	g_assert_no_error(e);
	close(fd);
	g_file_set_contents(path, data, (gssize)len, &e);
	g_assert_no_error(e);
	return path;
}

static const char *const sample_mails[] = {
	simple_mail, alternative_mail, attachment_mail,
	"From bounce@example.com Tue Apr 15 20:24:47 2003\nFrom: Real <real@example.com>\n\ntext\n",
	"From: a@example.com\nSubject: s\nThis line starts the body\nsecond: line\n",
	"From: a@example.com\nSubject: no body",
	"From: a@example.com\r\nSubject: crlf\r\n\r\nline one\r\nline two\r\n",
	"From: a@example.com\rSubject: bare CR\r\rbody\r",
	"From: a@example.com\nContent-Type: text/html\n\n<p>only <b>html</b></p>\n",
};

/* Memory and file input go through the same code: same result. */
static void
test_file_same_as_memory(void)
{
	for (gsize i = 0; i < G_N_ELEMENTS(sample_mails); i++) {
		gsize len = strlen(sample_mails[i]);
		char *path = write_temp(sample_mails[i], len);
		pd_cause c1, c2;
		pd_message *a = pd_message_parse(sample_mails[i], len, NULL, &c1, NULL);
		pd_message *b = pd_message_parse_file(path, NULL, &c2, NULL);

		g_assert_cmpint(c1, ==, c2);
		assert_invariants(b);
		assert_same_message(a, b, FALSE);
		pd_message_free(&a);
		pd_message_free(&b);
		g_unlink(path);
		g_free(path);
	}
}

static void
test_file_unreadable(void)
{
	pd_cause cause;
	char *reason = NULL;
	pd_message *msg = pd_message_parse_file("/nonexistent/mail.eml", NULL, &cause, &reason);

	g_assert_cmpint(cause, ==, PD_CAUSE_UNPARSABLE);
	g_assert_nonnull(strstr(reason, "/nonexistent/mail.eml"));
	assert_invariants(msg);
	g_free(reason);
	pd_message_free(&msg);
}

static guint
open_descriptors(void)
{
	GDir *d = g_dir_open("/proc/self/fd", 0, NULL);
	guint n = 0;

	while (d != NULL && g_dir_read_name(d) != NULL)
		n++;
	if (d != NULL)
		g_dir_close(d);
	return n;
}

/* Part contents are substreams of the file: each must let go of it, or a
 * daemon runs out of descriptors (and memory) one message at a time. */
static void
test_file_released(void)
{
	char *path = write_temp(attachment_mail, strlen(attachment_mail));
	char *prepared = g_strconcat("From x@example.com Mon Jan  1 00:00:00 2024\n", attachment_mail, NULL);
	char *path2 = write_temp(prepared, strlen(prepared));
	guint before = open_descriptors();

	for (int i = 0; i < 50; i++) {
		pd_message *a = pd_message_parse_file(path, NULL, NULL, NULL);
		pd_message *b = pd_message_parse_file(path2, NULL, NULL, NULL);

		g_assert_cmpuint(a->attachments->len, ==, 4);
		g_assert_cmpuint(b->attachments->len, ==, 4);
		pd_message_free(&a);
		pd_message_free(&b);
	}
	g_assert_cmpuint(open_descriptors(), ==, before);
	g_unlink(path);
	g_unlink(path2);
	g_free(path);
	g_free(path2);
	g_free(prepared);
}

/* Dovecot's first check: input that arrives a byte at a time parses the
 * same as input that arrives at once. */
static void
assert_same_byte_by_byte(const char *raw, gsize len)
{
	GMimeStream *m1 = g_mime_stream_mem_new_with_buffer(raw, len);
	GMimeStream *m2 = g_mime_stream_mem_new_with_buffer(raw, len);
	pd_cause c1, c2;
	pd_message *a = pd_parse_stream(m1, len, NULL, FALSE, &c1, NULL);
	pd_message *b = pd_parse_stream(m2, len, NULL, TRUE, &c2, NULL);

	g_assert_cmpint(c1, ==, c2);
	assert_invariants(b);
	assert_same_message(a, b, FALSE);
	pd_message_free(&a);
	pd_message_free(&b);
	g_object_unref(m1);
	g_object_unref(m2);
}

static void
test_byte_by_byte(void)
{
	char *nested = nested_mail(10);

	for (gsize i = 0; i < G_N_ELEMENTS(sample_mails); i++)
		assert_same_byte_by_byte(sample_mails[i], strlen(sample_mails[i]));
	assert_same_byte_by_byte(LIT("X-Junk: a\0b\nFrom: a@example.com\n\nbody\0rest\n"));
	assert_same_byte_by_byte(nested, strlen(nested));
	assert_same_byte_by_byte(LIT(" \n\t\n"));
	assert_same_byte_by_byte(LIT("no headers here\n"));
	g_free(nested);
}

/* ---- Dovecot's checklist ---------------------------------------------- */

static void
test_bare_cr_and_lf(void)
{
	/* bare CR line ends are one long header line to RFC 5322: no crash,
	 * clean strings, and the sender still found */
	pd_message *msg = parse_len(LIT("From: cr@example.com\rSubject: bare CR\r\rbody\r"), PD_CAUSE_NONE);

	g_assert_cmpstr(msg->from->addr, ==, "cr@example.com");
	pd_message_free(&msg);
	/* mixed CRLF and bare LF */
	msg = parse_ok("From: a@example.com\r\nSubject: mixed\n\r\nline one\nline two\r\nthree\r");
	g_assert_cmpstr(msg->subject, ==, "mixed");
	g_assert_cmpstr(msg->body, ==, "line one\nline two\nthree");
	pd_message_free(&msg);
	/* a bare CR inside a header value: GMime's unfolding drops it */
	msg = parse_ok("From: a@example.com\nSubject: one\rtwo\n\nx");
	g_assert_cmpstr(msg->subject, ==, "onetwo");
	pd_message_free(&msg);
}

static void
test_overlong_lines(void)
{
	GString *raw = g_string_new("From: a@example.com\nSubject: ");
	pd_message *msg;

	for (int i = 0; i < 200000; i++)
		g_string_append_c(raw, 'S');
	g_string_append(raw, "\nX-");
	for (int i = 0; i < 20000; i++)
		g_string_append_c(raw, 'N');   /* a 20 KB header name */
	g_string_append(raw, ": v\n\n");
	for (int i = 0; i < 1000000; i++)
		g_string_append_c(raw, 'B');   /* a 1 MB body line */
	msg = parse_len(raw->str, raw->len, PD_CAUSE_NONE);
	g_assert_cmpuint(strlen(msg->subject), ==, 200000);
	g_assert_cmpuint(strlen(msg->body), ==, 1000000);
	pd_message_free(&msg);
	g_string_free(raw, TRUE);
}

/* No end of headers: the input stops inside the header block, even inside
 * a line; whatever was read is kept. */
static void
test_no_end_of_headers(void)
{
	static const char full[] = "From: a@example.com\nTo: b@example.com\nSubject: cut here\n\nbody\n";

	for (gsize len = 1; len < strlen(full); len++) {
		pd_cause cause;
		pd_message *msg = pd_message_parse(full, len, NULL, &cause, NULL);

		assert_invariants(msg);
		g_assert_true(cause == PD_CAUSE_NONE || cause == PD_CAUSE_NO_SENDER ||
		              cause == PD_CAUSE_NO_HEADERS);
		if (len >= strlen("From: a@example.com"))
			g_assert_cmpstr(msg->from->addr, ==, "a@example.com");
		pd_message_free(&msg);
	}
}

/* ---- limits: just under passes, just over is quarantined --------------- */

static char *
headers_mail(guint fields, guint value_len)
{
	GString *raw = g_string_new("From: a@example.com\n");

	for (guint i = 1; i < fields; i++) {
		g_string_append_printf(raw, "X-F%u: ", i);
		for (guint k = 0; k < value_len; k++)
			g_string_append_c(raw, 'v');
		g_string_append_c(raw, '\n');
	}
	g_string_append(raw, "\nbody\n");
	return g_string_free(raw, FALSE);
}

static void
test_limit_header_count(void)
{
	pd_parse_options opts;
	char *raw = headers_mail(50, 3), *reason;
	pd_message *msg;

	pd_parse_options_init(&opts);
	opts.limits.max_header_count = 50;
	msg = parse_opts(&opts, raw, strlen(raw), PD_CAUSE_NONE);
	pd_message_free(&msg);
	opts.limits.max_header_count = 49;
	reason = parse_reason(&opts, raw, strlen(raw), PD_CAUSE_LIMIT);
	g_assert_cmpstr(reason, ==, "header fields in one block: more than 49 (limits.max_header_count)");
	g_free(reason);
	/* the sender is still known, for the quarantine list */
	msg = parse_opts(&opts, raw, strlen(raw), PD_CAUSE_LIMIT);
	g_assert_cmpstr(msg->from->addr, ==, "a@example.com");
	pd_message_free(&msg);
	g_free(raw);

	/* in a MIME part */
	raw = g_strdup("From: a@example.com\nContent-Type: multipart/mixed; boundary=b\n\n--b\n"
	               "A: 1\nB: 2\nC: 3\nD: 4\nContent-Type: text/plain\n\nx\n--b--\n");
	opts.limits.max_header_count = 5;
	msg = parse_opts(&opts, raw, strlen(raw), PD_CAUSE_NONE);
	pd_message_free(&msg);
	opts.limits.max_header_count = 4;
	reason = parse_reason(&opts, raw, strlen(raw), PD_CAUSE_LIMIT);
	g_assert_cmpstr(reason, ==, "header fields in one block: more than 4 (limits.max_header_count)");
	g_free(reason);
	g_free(raw);
}

static void
test_limit_header_size(void)
{
	pd_parse_options opts;
	char *raw = headers_mail(10, 100), *reason, *expect;
	gsize block = (gsize)(strstr(raw, "\n\n") - raw) + 2;
	pd_message *msg;

	pd_parse_options_init(&opts);
	opts.limits.max_header_size = block;
	msg = parse_opts(&opts, raw, strlen(raw), PD_CAUSE_NONE);
	pd_message_free(&msg);
	opts.limits.max_header_size = block - 1;
	reason = parse_reason(&opts, raw, strlen(raw), PD_CAUSE_LIMIT);
	expect = g_strdup_printf("bytes in one header block: more than %zu (limits.max_header_size)", block - 1);
	g_assert_cmpstr(reason, ==, expect);
	g_free(expect);
	g_free(reason);
	g_free(raw);

	/* a header block that never ends is cut at the limit, not read to the end */
	pd_parse_options_init(&opts);
	opts.limits.max_header_size = 4096;
	raw = headers_mail(100000, 10);
	reason = parse_reason(&opts, raw, strlen(raw), PD_CAUSE_LIMIT);
	g_assert_nonnull(strstr(reason, "limits.max_header_size"));
	g_free(reason);
	g_free(raw);
}

static char *
parts_mail(guint parts, gboolean with_headers)
{
	GString *raw = g_string_new("From: a@example.com\nContent-Type: multipart/mixed; boundary=b\n\n");

	for (guint i = 0; i < parts; i++)
		g_string_append_printf(raw, "--b\n%s\npart %u\n", with_headers ? "Content-Type: text/plain\n" : "", i);
	g_string_append(raw, "--b--\n");
	return g_string_free(raw, FALSE);
}

static void
test_limit_parts(void)
{
	pd_parse_options opts;
	char *raw = parts_mail(9, TRUE), *reason;
	pd_message *msg;
	GTimer *timer;

	pd_parse_options_init(&opts);
	opts.limits.max_mime_parts = 10;   /* the multipart and its nine parts */
	msg = parse_opts(&opts, raw, strlen(raw), PD_CAUSE_NONE);
	/* nine inline text parts of a multipart/mixed: all of them are the text */
	g_assert_true(g_str_has_prefix(msg->body, "part 0\n\npart 1\n\n"));
	g_assert_true(g_str_has_suffix(msg->body, "\n\npart 8"));
	pd_message_free(&msg);
	opts.limits.max_mime_parts = 9;
	reason = parse_reason(&opts, raw, strlen(raw), PD_CAUSE_LIMIT);
	g_assert_cmpstr(reason, ==, "MIME parts: more than 9 (limits.max_mime_parts)");
	g_free(reason);
	g_free(raw);

	/* hostile: 200,000 parts, with and without headers, stopped early */
	pd_parse_options_init(&opts);
	for (int h = 0; h < 2; h++) {
		raw = parts_mail(200000, h);
		timer = g_timer_new();
		msg = parse_opts(&opts, raw, strlen(raw), PD_CAUSE_LIMIT);
		g_assert_cmpfloat(g_timer_elapsed(timer, NULL), <, seconds(3.0));
		g_timer_destroy(timer);
		pd_message_free(&msg);
		g_free(raw);
	}
}

static void
test_limit_depth(void)
{
	pd_parse_options opts;
	char *raw = nested_mail(6), *reason;
	pd_message *msg;

	pd_parse_options_init(&opts);
	opts.limits.max_mime_depth = 6;   /* the text part sits at depth 6 */
	msg = parse_opts(&opts, raw, strlen(raw), PD_CAUSE_NONE);
	g_assert_cmpstr(msg->body, ==, "deep");
	pd_message_free(&msg);
	opts.limits.max_mime_depth = 5;
	reason = parse_reason(&opts, raw, strlen(raw), PD_CAUSE_LIMIT);
	g_assert_cmpstr(reason, ==, "MIME nesting depth: more than 5 (limits.max_mime_depth)");
	g_free(reason);
	g_free(raw);

	/* attached messages nest too */
	raw = g_strdup("From: a@example.com\nContent-Type: message/rfc822\n\n"
	               "From: b@example.com\nContent-Type: message/rfc822\n\n"
	               "From: c@example.com\n\ninner\n");
	opts.limits.max_mime_depth = 2;
	msg = parse_opts(&opts, raw, strlen(raw), PD_CAUSE_NONE);
	pd_message_free(&msg);
	opts.limits.max_mime_depth = 1;
	msg = parse_opts(&opts, raw, strlen(raw), PD_CAUSE_LIMIT);
	pd_message_free(&msg);
	g_free(raw);
}

static char *
params_mail(guint params, gboolean rfc2231)
{
	GString *raw = g_string_new("From: a@example.com\nContent-Type: multipart/mixed; boundary=b\n\n"
	                            "--b\nContent-Type: application/octet-stream");

	for (guint i = 0; i < params; i++) {
		if (rfc2231)
			g_string_append_printf(raw, ";\n name*%u=\"part%u\"", i, i);
		else
			g_string_append_printf(raw, "; p%u=v", i);
	}
	g_string_append(raw, "\n\nxyz\n--b--\n");
	return g_string_free(raw, FALSE);
}

static void
test_limit_parameters(void)
{
	pd_parse_options opts;
	pd_message *msg;
	char *raw, *reason;

	pd_parse_options_init(&opts);
	for (int rfc2231 = 0; rfc2231 < 2; rfc2231++) {
		raw = params_mail(20, rfc2231);
		opts.limits.max_mime_parameters = 20;
		msg = parse_opts(&opts, raw, strlen(raw), PD_CAUSE_NONE);
		if (rfc2231)
			g_assert_true(g_str_has_prefix(attachment(msg, 0)->filename, "part0part1part2"));
		pd_message_free(&msg);
		opts.limits.max_mime_parameters = 19;
		reason = parse_reason(&opts, raw, strlen(raw), PD_CAUSE_LIMIT);
		g_assert_cmpstr(reason, ==, "parameters in one header field: more than 19 (limits.max_mime_parameters)");
		g_free(reason);
		g_free(raw);
	}
	/* in the message's own Content-Type too */
	opts.limits.max_mime_parameters = 2;
	msg = parse_opts(&opts, LIT("From: a@example.com\nContent-Type: text/plain; a=1; b=2; c=3\n\nx"),
	                 PD_CAUSE_LIMIT);
	pd_message_free(&msg);
}

/* Only header blocks count towards the limits as the parser reads: a
 * body quoting header lines counts nothing, an attached message's own
 * header block counts. */
static void
test_limit_census(void)
{
	GString *raw = g_string_new("From: a@example.com\nContent-Type: multipart/mixed; boundary=b\n\n"
	                            "--b\nContent-Type: text/plain\n\n");
	pd_parse_options opts;
	pd_message *msg;
	char *reason;

	for (int i = 0; i < 30; i++)
		g_string_append(raw, "Content-Type: text/plain; a=1; b=2; c=3; d=4\n");
	g_string_append(raw, "--b--\n");
	pd_parse_options_init(&opts);
	opts.limits.max_mime_parts = 2;   /* the multipart and its text */
	opts.limits.max_mime_parameters = 2;
	msg = parse_opts(&opts, raw->str, raw->len, PD_CAUSE_NONE);
	g_assert_nonnull(strstr(msg->body, "Content-Type: text/plain; a=1; b=2; c=3; d=4\n"));
	pd_message_free(&msg);
	g_string_free(raw, TRUE);

	raw = g_string_new("From: a@example.com\nContent-Type: multipart/mixed; boundary=b\n\n"
	                   "--b\nContent-Type: text/plain\n\nsee attached\n"
	                   "--b\nContent-Type: message/rfc822\n\n"
	                   "From: c@example.com\nContent-Type: text/plain; a=1;\n b=2; c=3\n\ninner\n--b--\n");
	opts.limits.max_mime_parts = 0;
	reason = parse_reason(&opts, raw->str, raw->len, PD_CAUSE_LIMIT);
	g_assert_cmpstr(reason, ==, "parameters in one header field: more than 2 (limits.max_mime_parameters)");
	g_free(reason);
	opts.limits.max_mime_parameters = 3;
	msg = parse_opts(&opts, raw->str, raw->len, PD_CAUSE_NONE);
	pd_message_free(&msg);
	g_string_free(raw, TRUE);
}

/* ---- the 50 MB attachment through the spool --------------------------- */

static gpointer t_open(gpointer batch, GError **e) { return pd_spool_att_open(batch, e); }
static gboolean t_write(gpointer a, const void *b, gsize n, GError **e) { return pd_spool_att_write(a, b, n, e); }
static char *t_close(gpointer a, GError **e) { return pd_spool_att_close(a, e); }
static void t_abort(gpointer a) { pd_spool_att_abort(a); }

#define BIG (50u * 1024 * 1024)

/* The message goes to a file in base64 lines, the attachment's hash is
 * computed on the way, never holding 50 MB at once. */
static char *
write_big_mail(const char *path, char **sha_r)
{
	FILE *f = fopen(path, "w");
	GChecksum *sum = g_checksum_new(G_CHECKSUM_SHA256);
	guchar chunk[57 * 1024];
	guint32 x = 12345;

	g_assert_nonnull(f);
	fputs("From: big@example.com\nSubject: fifty\nMIME-Version: 1.0\n"
	      "Content-Type: multipart/mixed; boundary=BIG\n\n--BIG\nContent-Type: text/plain\n\n"
	      "see attached\n--BIG\nContent-Type: application/octet-stream\n"
	      "Content-Disposition: attachment; filename=big.bin\nContent-Transfer-Encoding: base64\n\n", f);
	for (gsize done = 0; done < BIG; done += sizeof chunk) {
		gsize n = MIN(sizeof chunk, BIG - done);

		for (gsize i = 0; i < n; i++) {
			x = x * 1103515245u + 12345u;
			chunk[i] = (guchar)(x >> 16);
		}
		g_checksum_update(sum, chunk, (gssize)n);
		for (gsize off = 0; off < n; off += 57) {
			char *line = g_base64_encode(chunk + off, MIN(57, n - off));

			fprintf(f, "%s\n", line);
			g_free(line);
		}
	}
	fputs("--BIG--\n", f);
	fclose(f);
	*sha_r = g_strdup(g_checksum_get_string(sum));
	g_checksum_free(sum);
	return g_strdup(path);
}

static void
test_fifty_megabytes(void)
{
	char *dir = g_dir_make_tmp("pd-parse-XXXXXX", NULL);
	char *path = g_build_filename(dir, "big.eml", NULL);
	char *spooldir = g_build_filename(dir, "spool", NULL);
	char *expect = NULL, *rel, *stored;
	pd_spool *spool = pd_spool_open(spooldir, NULL);
	pd_spool_batch *batch = pd_spool_batch_new(spool);
	pd_attachment_sink sink = { t_open, t_write, t_close, t_abort, batch };
	pd_parse_options opts;
	pd_message *msg;
	GStatBuf st;

	g_free(write_big_mail(path, &expect));
	pd_parse_options_init(&opts);
	opts.limits.max_message_size = 0;
	opts.sink = &sink;
	msg = pd_message_parse_file(path, &opts, NULL, NULL);
	g_assert_false(pd_spool_batch_att_failed(batch, NULL));
	g_assert_cmpstr(msg->body, ==, "see attached");
	g_assert_cmpuint(msg->attachments->len, ==, 1);
	g_assert_cmpstr(attachment(msg, 0)->filename, ==, "big.bin");
	g_assert_cmpuint(attachment(msg, 0)->size, ==, BIG);
	g_assert_cmpstr(attachment(msg, 0)->sha256, ==, expect);
	g_assert_true(pd_spool_batch_commit(batch, NULL));
	rel = pd_spool_att_relpath(expect);
	stored = pd_spool_path(spool, rel);
	g_assert_cmpint(g_stat(stored, &st), ==, 0);
	g_assert_cmpuint((guint64)st.st_size, ==, BIG);
	pd_message_free(&msg);
	pd_spool_batch_free(&batch);
	pd_spool_close(&spool);
	g_unlink(stored);
	g_unlink(path);
	g_free(rel);
	g_free(stored);
	g_free(expect);
	g_free(path);
	g_free(spooldir);
	g_free(dir);
}

/* ---- API -------------------------------------------------------------- */

static void
test_variant(void)
{
	pd_message *msg = parse_ok(attachment_mail);
	GVariant *v = pd_message_to_variant(msg);
	GVariantDict dict;
	GVariant *atts, *first;
	const char *s;
	gint64 date = -1;
	guint64 size = 0;
	const char **to = NULL;

	g_assert_true(g_variant_is_floating(v));
	g_variant_ref_sink(v);
	g_assert_cmpstr(g_variant_get_type_string(v), ==, "a{sv}");
	g_variant_dict_init(&dict, v);
	g_assert_true(g_variant_dict_lookup(&dict, "subject", "&s", &s));
	g_assert_cmpstr(s, ==, "files");
	g_assert_true(g_variant_dict_lookup(&dict, "from", "&s", &s));
	g_assert_cmpstr(s, ==, "a@example.com");
	g_assert_false(g_variant_dict_contains(&dict, "from_name"));
	g_assert_false(g_variant_dict_contains(&dict, "message_id"));
	g_assert_false(g_variant_dict_contains(&dict, "in_reply_to"));
	g_assert_true(g_variant_dict_lookup(&dict, "to", "^a&s", &to));
	g_assert_cmpuint(g_strv_length((char **)to), ==, 0);
	g_free(to);
	g_assert_true(g_variant_dict_lookup(&dict, "date", "x", &date));
	g_assert_cmpint(date, ==, 0);
	g_assert_true(g_variant_dict_lookup(&dict, "size", "t", &size));
	g_assert_cmpuint(size, ==, strlen(attachment_mail));
	g_assert_true(g_variant_dict_lookup(&dict, "body", "&s", &s));
	g_assert_cmpstr(s, ==, "see attached");
	atts = g_variant_dict_lookup_value(&dict, "attachments", G_VARIANT_TYPE("aa{sv}"));
	g_assert_nonnull(atts);
	g_assert_cmpuint(g_variant_n_children(atts), ==, 4);
	first = g_variant_get_child_value(atts, 0);
	g_assert_true(g_variant_lookup(first, "filename", "&s", &s));
	g_assert_cmpstr(s, ==, "résumé.pdf");
	g_assert_true(g_variant_lookup(first, "content_type", "&s", &s));
	g_assert_cmpstr(s, ==, "application/pdf");
	g_assert_true(g_variant_lookup(first, "size", "t", &size));
	g_assert_cmpuint(size, ==, 18);
	g_variant_unref(first);
	g_variant_unref(atts);
	g_variant_dict_clear(&dict);
	g_variant_unref(v);
	pd_message_free(&msg);
}

static void
test_variant_full(void)
{
	pd_message *msg = parse_ok(simple_mail);
	GVariant *v = g_variant_ref_sink(pd_message_to_variant(msg));
	const char *s;
	const char **list = NULL;

	g_assert_true(g_variant_lookup(v, "from_name", "&s", &s));
	g_assert_cmpstr(s, ==, "Alice Example");
	g_assert_true(g_variant_lookup(v, "message_id", "&s", &s));
	g_assert_cmpstr(s, ==, "abc123@example.com");
	g_assert_true(g_variant_lookup(v, "in_reply_to", "&s", &s));
	g_assert_cmpstr(s, ==, "parent@example.com");
	g_assert_true(g_variant_lookup(v, "to", "^a&s", &list));
	g_assert_cmpuint(g_strv_length((char **)list), ==, 2);
	g_assert_cmpstr(list[0], ==, "Bob <bob@example.org>");
	g_assert_cmpstr(list[1], ==, "carol@example.net");
	g_free(list);
	g_assert_true(g_variant_lookup(v, "cc", "^a&s", &list));
	g_assert_cmpstr(list[0], ==, "Dave <dave@example.com>");
	g_free(list);
	g_assert_true(g_variant_lookup(v, "references", "^a&s", &list));
	g_assert_cmpuint(g_strv_length((char **)list), ==, 2);
	g_free(list);
	g_variant_unref(v);
	pd_message_free(&msg);

	/* a refused message still converts */
	msg = pd_message_parse("", 0, NULL, NULL, NULL);
	v = g_variant_ref_sink(pd_message_to_variant(msg));
	g_assert_true(g_variant_lookup(v, "from", "&s", &s));
	g_assert_cmpstr(s, ==, "");
	g_variant_unref(v);
	pd_message_free(&msg);
}

static void
test_cause_names(void)
{
	static const char *const names[] = {
		"none", "empty", "too-large", "no-headers", "no-sender",
		"unparsable", "released", "rule", "limit",
	};

	g_assert_cmpuint(G_N_ELEMENTS(names), ==, PD_CAUSE_COUNT);
	for (int i = 0; i < PD_CAUSE_COUNT; i++) {
		g_assert_cmpstr(pd_cause_name((pd_cause)i), ==, names[i]);
		g_assert_cmpint(pd_cause_from_name(names[i]), ==, i);
	}
	g_assert_cmpint(pd_cause_from_name("bogus"), ==, PD_CAUSE_NONE);
	g_assert_cmpint(pd_cause_from_name(NULL), ==, PD_CAUSE_NONE);
	g_assert_cmpstr(pd_cause_name(PD_CAUSE_COUNT), ==, "unknown");
}

static void
test_free_null(void)
{
	pd_message *msg = NULL;

	pd_message_free(NULL);
	pd_message_free(&msg);
	g_assert_null(msg);
}

int
main(int argc, char **argv)
{
	int rc;

	g_test_init(&argc, &argv, NULL);
	pd_parse_init();
	g_test_add_func("/parse/simple", test_simple);
	g_test_add_func("/parse/missing-optional-headers", test_missing_optional_headers);
	g_test_add_func("/parse/message-ids", test_message_ids);
	g_test_add_func("/parse/encoded-words", test_encoded_words);
	g_test_add_func("/parse/raw-8bit-latin1", test_raw_8bit_latin1);
	g_test_add_func("/parse/charsets-in-parts", test_charsets_in_parts);
	g_test_add_func("/parse/alternative-prefers-plain", test_alternative_prefers_plain);
	g_test_add_func("/parse/alternative-empty-plain", test_alternative_empty_plain);
	g_test_add_func("/parse/mixed-inline-text-parts", test_mixed_inline_text_parts);
	g_test_add_func("/parse/mixed-html-first", test_mixed_html_first);
	g_test_add_func("/parse/related-text-parts", test_related_text_parts);
	g_test_add_func("/parse/delimiter-lines", test_delimiter_lines);
	g_test_add_func("/parse/html-only", test_html_only);
	g_test_add_func("/parse/attachments", test_attachments);
	g_test_add_func("/parse/forwarded-message", test_forwarded_message);
	g_test_add_func("/parse/crlf-body", test_crlf_body);
	g_test_add_func("/parse/crlf-same-as-lf", test_crlf_same_as_lf);
	g_test_add_func("/parse/empty", test_empty);
	g_test_add_func("/parse/whitespace-only", test_whitespace_only);
	g_test_add_func("/parse/body-only", test_body_only);
	g_test_add_func("/parse/binary-garbage", test_binary_garbage);
	g_test_add_func("/parse/garbage-after-headers", test_garbage_after_headers);
	g_test_add_func("/parse/nul-bytes", test_nul_bytes);
	g_test_add_func("/parse/control-characters", test_control_characters);
	g_test_add_func("/parse/too-large", test_too_large);
	g_test_add_func("/parse/sender-fallback", test_sender_fallback);
	g_test_add_func("/parse/bare-address-with-name", test_bare_address_with_name);
	g_test_add_func("/parse/group", test_group);
	g_test_add_func("/parse/headers-only", test_headers_only);
	g_test_add_func("/parse/missing-separator", test_missing_separator);
	g_test_add_func("/parse/envelope-line", test_envelope_line);
	g_test_add_func("/parse/deep-nesting", test_deep_nesting);
	g_test_add_func("/parse/not-nul-terminated", test_not_nul_terminated);
	g_test_add_func("/parse/file-same-as-memory", test_file_same_as_memory);
	g_test_add_func("/parse/file-unreadable", test_file_unreadable);
	g_test_add_func("/parse/file-released", test_file_released);
	g_test_add_func("/parse/byte-by-byte", test_byte_by_byte);
	g_test_add_func("/parse/bare-cr-and-lf", test_bare_cr_and_lf);
	g_test_add_func("/parse/overlong-lines", test_overlong_lines);
	g_test_add_func("/parse/unread-fields", test_unread_fields);
	g_test_add_func("/parse/first-on-thread", test_first_on_thread);
	g_test_add_func("/parse/repeated-fields", test_repeated_fields);
	g_test_add_func("/parse/dates", test_dates);
	g_test_add_func("/parse/plain-addresses", test_plain_addresses);
	g_test_add_func("/parse/simple-structure", test_simple_structure);
	g_test_add_func("/parse/no-end-of-headers", test_no_end_of_headers);
	g_test_add_func("/parse/limit/header-count", test_limit_header_count);
	g_test_add_func("/parse/limit/header-size", test_limit_header_size);
	g_test_add_func("/parse/limit/parts", test_limit_parts);
	g_test_add_func("/parse/limit/depth", test_limit_depth);
	g_test_add_func("/parse/limit/parameters", test_limit_parameters);
	g_test_add_func("/parse/limit/census", test_limit_census);
	g_test_add_func("/parse/fifty-megabytes", test_fifty_megabytes);
	g_test_add_func("/parse/variant", test_variant);
	g_test_add_func("/parse/variant-full", test_variant_full);
	g_test_add_func("/parse/cause-names", test_cause_names);
	g_test_add_func("/parse/free-null", test_free_null);
	rc = g_test_run();
	pd_parse_shutdown();
	return rc;
}
