/* test-html.c: GTest cases for src/parse/html.c: HTML to text, HTML reply new text, hostile input. */
#include "parse/html.h"

#include <string.h>

typedef struct {
	const char *name;
	const char *html;
	const char *text;
} html_case;

/* ---- rendering ---------------------------------------------------------------- */

static const html_case text_cases[] = {
	{ "paragraphs", "<p>One</p><p>Two</p>", "One\n\nTwo" },
	{ "divs", "<div>One</div><div>Two</div>", "One\nTwo" },
	{ "gmail-empty-line", "<div>Hi</div><div><br></div><div>Thanks,</div><div>Alex</div>", "Hi\n\nThanks,\nAlex" },
	{ "br", "a<br>b<br><br>c", "a\nb\n\nc" },
	{ "at-most-one-blank-line", "a<br><br><br><br>b<p></p><p></p><div><br><br></div>c", "a\n\nb\n\nc" },
	{ "trailing-br-in-block", "<div>a<br></div><div>b</div>", "a\nb" },
	{ "headings", "<h1>Title</h1>text<h2>Sub</h2>more", "Title\n\ntext\n\nSub\n\nmore" },
	{ "hr", "above<hr>below", "above\n\nbelow" },
	{ "whitespace-collapses", "<p>  lots   of\n\t white\r\n space  </p>", "lots of white space" },
	{ "pre-keeps-space", "<p>code:</p><pre>  a  b\r\n\n    c\n</pre><p>end</p>",
	  "code:\n\n  a  b\n\n    c\n\nend" },
	{ "entities", "<p>caf&eacute; &amp; &lt;tag&gt; &#8364; &nbsp;x</p>", "café & <tag> €  x" },
	{ "nbsp-line-is-blank", "<p class=MsoNormal>a</p><p class=MsoNormal>&nbsp;</p><p class=MsoNormal>b</p>",
	  "a\n\nb" },
	{ "outlook-paragraphs",
	  "<p class=MsoNormal><span>Thanks,<o:p></o:p></span></p>\n<p class=MsoNormal><span>Alex<o:p></o:p></span></p>",
	  "Thanks,\nAlex" },
	{ "ul", "<p>List:</p><ul><li>one</li><li>two</li></ul>", "List:\n\n- one\n- two" },
	{ "ol", "<ol><li>one</li><li>two</li><li>three</li></ol>", "1. one\n2. two\n3. three" },
	{ "ol-start", "<ol start=\"4\"><li>four</li><li>five</li></ol>", "4. four\n5. five" },
	{ "nested-lists", "<ul><li>a<ul><li>b</li></ul></li><li>c</li></ul>", "- a\n  - b\n- c" },
	{ "li-with-paragraph", "<ul><li><p>para item</p></li></ul>", "- para item" },
	{ "empty-item", "<ul><li></li><li>x</li></ul>after", "- x\nafter" },
	{ "table", "<table><tr><td>a</td><td>b</td></tr><tr><th>c</th><td>d</td></tr></table>", "a\tb\nc\td" },
	{ "blockquote", "<p>new</p><blockquote><p>old</p><p>older</p></blockquote>", "new\n\n> old\n>\n> older" },
	{ "nested-blockquote", "<blockquote>a<blockquote>b</blockquote></blockquote>", "> a\n>\n>> b" },
	{ "link", "<a href=\"https://example.com/x\">the page</a>", "the page <https://example.com/x>" },
	{ "link-text-is-url", "<a href=\"https://example.com/x\">https://example.com/x</a>", "https://example.com/x" },
	{ "link-text-is-url-without-scheme", "<a href=\"http://www.example.com/\">example.com</a>", "example.com" },
	{ "link-empty-href", "<a href=\"\">text</a> <a>name</a>", "text name" },
	{ "link-fragment", "<a href=\"#top\">top</a>", "top" },
	{ "link-javascript", "<a href=\"JavaScript:alert(1)\">click</a>", "click" },
	{ "mailto", "<a href=\"mailto:bob@example.com?subject=hi\">Bob</a>", "Bob <bob@example.com>" },
	{ "mailto-same", "<a href=\"mailto:bob@example.com\">bob@example.com</a>", "bob@example.com" },
	{ "link-image-only", "<a href=\"https://example.com/\"><img src=\"x.png\"></a>", "<https://example.com/>" },
	{ "link-in-block", "<a href=\"https://example.com/\"><div>Read more</div></a>next",
	  "Read more <https://example.com/>\nnext" },
	{ "image-alt", "<p>Logo: <img alt=\"ACME\" src=\"a.png\"> <img src=\"pixel.gif\" alt=\"\"></p>", "Logo: ACME" },
	{ "dropped", "<html><head><title>T</title><style>p{}</style><script>x()</script></head>"
	  "<body><template>tpl</template><p>shown</p><!-- comment --></body></html>", "shown" },
	{ "hidden", "<div style=\"display: none\">preheader</div><span hidden>h</span>"
	  "<div style=\"mso-hide:all\">m</div><div style=\"color:red\">shown</div>", "shown" },
	{ "crlf-to-lf", "<pre>a\r\nb\rc</pre>", "a\nb\nc" },
	{ "zero-width", "<p>\u200bTest\ufeff</p>", "Test" },
	{ "meta-charset-ignored", "<meta charset=\"iso-8859-1\"><p>café</p>", "café" },
	{ "inline-in-blocks", "<div><b>bold</b> and <i>italic</i></div>", "bold and italic" },
	{ "unclosed", "<div><p><b><i>text<div>more<table><tr><td>cell", "text\nmore\ncell" },
	{ "stray-close-tags", "</div></p></table>a</b>b", "ab" },
	{ "empty", "", "" },
	{ "only-whitespace", " \n\t ", "" },
	{ "only-markup", "<div><p></p><br></div>", "" },
};

/* ---- the new text of replies ---------------------------------------------------- */

typedef struct {
	const char *name;
	const char *html;
	const char *text;
	gboolean quoted;
} reply_case;

static const reply_case reply_cases[] = {
	{ "gmail", "<div dir=\"ltr\">Hello</div><br><div class=\"gmail_quote\"><div class=\"gmail_attr\">On Mon, "
	  "Apr 2, 2012 "
	  "at 6:26 PM, Megan &lt;x@example.com&gt; wrote:<br></div><blockquote "
	  "class=\"gmail_quote\">Hi</blockquote></div>",
	  "Hello", TRUE },
	{ "gmail-extra",
	  "<div>Hi. I am fine.</div><div class=\"gmail_extra\"><br><div class=\"gmail_quote\">On Thu ... wrote:"
	  "<blockquote>Hello</blockquote></div></div>", "Hi. I am fine.", TRUE },
	{ "gmail-signature", "<div>Hi</div><div class=\"gmail_signature\">John Doe<br>CEO</div>", "Hi", FALSE },
	{ "gmail-forward-kept",
	  "<div>FYI</div><div class=\"gmail_quote\"><div class=\"gmail_attr\">---------- Forwarded message "
	  "---------<br>From: A &lt;a@example.com&gt;<br></div><div>The printer is broken.</div></div>",
	  "FYI\n---------- Forwarded message ---------\nFrom: A <a@example.com>\nThe printer is broken.", FALSE },
	{ "thunderbird", "<p>Thanks</p><div class=\"moz-cite-prefix\">On 04/02/2012 06:26 PM, Megan wrote:<br></div>"
	  "<blockquote type=\"cite\">Hi</blockquote>", "Thanks", TRUE },
	{ "thunderbird-bottom-post", "<div class=\"moz-cite-prefix\">On 04/02/2012 06:26 PM, Megan wrote:<br></div>"
	  "<blockquote type=\"cite\">Hi</blockquote><p>Hello</p>", "Hello", TRUE },
	{ "thunderbird-interleaved", "<div class=\"moz-cite-prefix\">On 04/02/2012 06:26 PM, Megan wrote:<br></div>"
	  "<blockquote type=\"cite\">Which version?</blockquote><p>2.3.1</p><blockquote type=\"cite\">Which "
	  "OS?</blockquote>"
	  "<p>Linux</p><blockquote type=\"cite\">Thanks</blockquote>",
	  "On 04/02/2012 06:26 PM, Megan wrote:\n\n> Which version?\n\n2.3.1\n\n> Which OS?\n\nLinux", TRUE },
	{ "thunderbird-signature", "<p>Thanks</p><div class=\"moz-signature\">-- <br>Joe</div>", "Thanks", FALSE },
	{ "apple", "<div>Sure</div><div><br><blockquote type=\"cite\"><div>On Apr 3, 2012, at 4:19 PM, bob "
	  "&lt;bob@example.com&gt; wrote:</div><div>Hi</div></blockquote></div>", "Sure", TRUE },
	{ "outlook-web", "<div>Reply text</div><hr style=\"display:inline-block\"><div id=\"divRplyFwdMsg\">"
	  "<b>From:</b> A<br><b>Sent:</b> Monday<br></div><div>old body</div>", "Reply text", TRUE },
	{ "outlook-appendonsend", "<div>Reply</div><div id=\"appendonsend\"></div><hr><div>From: A<br>old</div>",
	  "Reply", TRUE },
	{ "outlook-desktop",
	  "<p class=MsoNormal>Hi. I am fine.</p><div><div style=\"border:none;border-top:solid #E1E1E1 1.0pt;"
	  "padding:3.0pt 0in 0in 0in\"><p class=MsoNormal><b>From:</b> Alexander<br><b>Sent:</b> Thursday<br>"
	  "<b>To:</b> alex@example.com<br><b>Subject:</b> Test</p></div></div><p>Hello! How are you?</p>",
	  "Hi. I am fine.", TRUE },
	{ "border-without-header-kept",
	  "<p>Offer</p><div style=\"border:none;border-top:solid #ccc 1pt\">Terms apply</div>"
	  "<p>More</p>", "Offer\n\nTerms apply\n\nMore", FALSE },
	{ "olk-src-body-section", "<div>Reply</div><span id=\"OLK_SRC_BODY_SECTION\"><div><span>From: </span>Bob<br>"
	  "<span>Date: </span>Tue<br></div><div>Hi</div></span>", "Reply", TRUE },
	{ "hotmail", "<div>Hi. I am fine.<div><br></div><div>Alex<br><br><div><hr id=\"stopSpelling\">Date: Thu<br>"
	  "Subject: Test<br>From: abc@example.com<br><br>Hello</div></div></div>", "Hi. I am fine.\n\nAlex", TRUE },
	{ "yahoo", "<div>Sure thing</div><div id=\"yahoo_quoted_123\" class=\"yahoo_quoted\"><div>On Monday, Bob "
	  "wrote:</div>"
	  "<div>old</div></div>", "Sure thing", TRUE },
	{ "protonmail", "<div>Answer</div><blockquote class=\"protonmail_quote\" type=\"cite\">old</blockquote>",
	  "Answer", TRUE },
	{ "zimbra", "<div>Answer</div><hr id=\"zwchr\"><div><b>De: </b>A<br><b>À: </b>B</div><div>old</div>",
	  "Answer", TRUE },
	{ "plain-text-markers",
	  "<p>Hi. I am fine.<br><br>26.06.2014, 14:41, \"Alexander L\" &lt;<a href=\"mailto:abc@example.com\">"
	  "abc@example.com</a>&gt;:</p><blockquote> Hello! How are you?</blockquote>", "Hi. I am fine.", TRUE },
	{ "outlook-2003-header-text",
	  "<p>Hi</p><div><hr></div><p><b>From:</b> A [mailto:a@example.com]<br><b>Sent:</b> Friday<br>"
	  "<b>To:</b> B<br><b>Subject:</b> Test</p><p>old</p>", "Hi", TRUE },
	{ "no-quote", "<p>Just a mail.</p>", "Just a mail.", FALSE },
	{ "empty", "", "", FALSE },
};

/* ---- running cases ------------------------------------------------------------------ */

static void
test_text_case(gconstpointer data)
{
	const html_case *c = data;
	char *text = pd_html_to_text(c->html, strlen(c->html));

	g_assert_cmpstr(text, ==, c->text);
	g_free(text);
}

static void
test_reply_case(gconstpointer data)
{
	const reply_case *c = data;
	gboolean quoted = !c->quoted;
	char *text = pd_html_new_text(c->html, strlen(c->html), &quoted);

	g_assert_cmpstr(text, ==, c->text);
	g_assert_cmpint(quoted, ==, c->quoted);
	g_free(text);
}

/* ---- hostile input --------------------------------------------------------------------- */

/* What every output must be, whatever the input. */
static void
assert_clean(const char *text, gsize input_len)
{
	gsize len = strlen(text);

	g_assert_true(g_utf8_validate(text, -1, NULL));
	g_assert_null(strchr(text, '\r'));
	g_assert_cmpuint(len, <=, 4 * input_len + 1024 * 1024);
	if (len > 0) {
		g_assert_false(g_ascii_isspace(text[0]));
		g_assert_false(g_ascii_isspace(text[len - 1]));
	}
}

static GString *
nested(const char *open, const char *inner, const char *close, guint depth)
{
	GString *s = g_string_new("<p>head</p>");

	for (guint i = 0; i < depth; i++)
		g_string_append(s, open);
	g_string_append(s, inner);
	for (guint i = 0; close != NULL && i < depth; i++)
		g_string_append(s, close);
	g_string_append(s, "<p>tail</p>");
	return s;
}

/* 100,000 levels of nesting: nothing overflows and no text is lost. */
static void
test_deep_nesting(gconstpointer data)
{
	const char *const *tags = data;
	GString *s = nested(tags[0], "deep", tags[1], 100000);
	char *text = pd_html_to_text(s->str, s->len);
	gboolean quoted;
	char *reply = pd_html_new_text(s->str, s->len, &quoted);

	assert_clean(text, s->len);
	g_assert_true(g_str_has_prefix(text, "head"));
	g_assert_nonnull(strstr(text, "deep"));
	g_assert_true(g_str_has_suffix(text, "tail"));
	assert_clean(reply, s->len);
	g_free(text);
	g_free(reply);
	g_string_free(s, TRUE);
}

static void
test_quote_marks_capped(void)
{
	GString *s = nested("<blockquote>", "deep", "</blockquote>", 1000);
	char *text = pd_html_to_text(s->str, s->len);
	char *line = strstr(text, "deep");

	g_assert_nonnull(line);
	g_assert_true(line - text >= 17);
	g_assert_cmpint(memcmp(line - 17, ">>>>>>>>>>>>>>>> ", 17), ==, 0);
	g_free(text);
	g_string_free(s, TRUE);
}

static void
test_unclosed_everything(void)
{
	static const char *const tags[] = { "<div>", "<table><tr><td>", "<ul><li>", "<a href=\"http://x/\">", "<pre>",
	                                    "<blockquote>", "<b>", "<p>", "<select><option>", "<script>" };
	GString *s = g_string_new(NULL);
	char *text;

	for (guint i = 0; i < 20000; i++)
		g_string_append_printf(s, "%s%u ", tags[i % G_N_ELEMENTS(tags)], i);
	text = pd_html_to_text(s->str, s->len);
	assert_clean(text, s->len);
	g_assert_true(g_str_has_prefix(text, "0"));
	g_free(text);
	g_string_free(s, TRUE);
}

/* A 10 MB href and a 2 MB alt text. */
static void
test_huge_attribute(void)
{
	GString *s = g_string_new("<p>x</p><a href=\"http://example.com/");
	char *text;

	for (guint i = 0; i < 10 * 1024 * 1024; i++)
		g_string_append_c(s, 'a');
	g_string_append(s, "\">link</a><img alt=\"");
	for (guint i = 0; i < 2 * 1024 * 1024; i++)
		g_string_append_c(s, i % 10 == 9 ? ' ' : 'b');
	g_string_append(s, "\"><p>end</p>");
	text = pd_html_to_text(s->str, s->len);
	assert_clean(text, s->len);
	g_assert_true(g_str_has_prefix(text, "x\n\nlinkbbbbbbbbb"));  /* the URL is too long to show */
	g_assert_true(g_str_has_suffix(text, "end"));
	g_free(text);
	g_string_free(s, TRUE);
}

/* Invalid UTF-8 and NUL bytes are repaired, never passed on. */
static void
test_bad_bytes(void)
{
	static const char html[] = "<p>caf\xe9 \xff\xfe ok\0hidden?</p><p>\xc3</p><pre>\x80\x81</pre>";
	char *text = pd_html_to_text(html, sizeof html - 1);
	gboolean quoted;
	char *reply = pd_html_new_text(html, sizeof html - 1, &quoted);

	assert_clean(text, sizeof html - 1);
	g_assert_true(g_str_has_prefix(text, "caf"));
	g_assert_nonnull(strstr(text, "ok"));
	assert_clean(reply, sizeof html - 1);
	g_free(text);
	g_free(reply);
}

/* Output that would grow past 4 x input + 1 MB stops there. */
static void
test_output_cap(void)
{
	GString *s = g_string_new(NULL);
	char *text;

	for (guint i = 0; i < 16; i++)
		g_string_append(s, "<blockquote>");
	for (guint i = 0; i < 300000; i++)
		g_string_append(s, "<p>x</p>");
	text = pd_html_to_text(s->str, s->len);
	assert_clean(text, s->len);
	g_assert_cmpuint(strlen(text), >, 3 * s->len);
	g_free(text);
	g_string_free(s, TRUE);
}

static void
test_null_input(void)
{
	char *text = pd_html_to_text(NULL, 0);
	char *reply = pd_html_new_text(NULL, 0, NULL);

	g_assert_cmpstr(text, ==, "");
	g_assert_cmpstr(reply, ==, "");
	g_free(text);
	g_free(reply);
}

/* Every prefix of a realistic mail: truncation anywhere must not hurt. */
static void
test_truncated_everywhere(void)
{
	static const char html[] =
		"<html><head><style>p{}</style></head><body><div dir=\"ltr\">Hi <b>there</b>,<br><a "
		"href=\"mailto:a@b.c\">"
		"mail</a><ul><li>one</li></ul><table><tr><td>a</td><td>b</td></tr></table></div><div "
		"class=\"gmail_quote\">"
		"On Mon, A &lt;a@b.c&gt; wrote:<blockquote>old</blockquote></div></body></html>";

	for (gsize n = 0; n <= sizeof html - 1; n++) {
		gboolean quoted;
		char *text = pd_html_to_text(html, n);
		char *reply = pd_html_new_text(html, n, &quoted);

		assert_clean(text, n);
		assert_clean(reply, n);
		g_free(text);
		g_free(reply);
	}
}

static const char *const deep_div[] = { "<div>", "</div>" };
static const char *const deep_div_unclosed[] = { "<div>", NULL };
static const char *const deep_span[] = { "<span>", "</span>" };
static const char *const deep_table[] = { "<table><tr><td>", "</td></tr></table>" };
static const char *const deep_list[] = { "<ul><li>", "</li></ul>" };
static const char *const deep_quote[] = { "<blockquote>", "</blockquote>" };
static const char *const deep_link[] = { "<a href=\"http://example.com/\">", "</a>" };

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	for (gsize i = 0; i < G_N_ELEMENTS(text_cases); i++) {
		char *path = g_strdup_printf("/html/text/%s", text_cases[i].name);

		g_test_add_data_func(path, &text_cases[i], test_text_case);
		g_free(path);
	}
	for (gsize i = 0; i < G_N_ELEMENTS(reply_cases); i++) {
		char *path = g_strdup_printf("/html/reply/%s", reply_cases[i].name);

		g_test_add_data_func(path, &reply_cases[i], test_reply_case);
		g_free(path);
	}
	g_test_add_data_func("/html/hostile/deep-div", deep_div, test_deep_nesting);
	g_test_add_data_func("/html/hostile/deep-div-unclosed", deep_div_unclosed, test_deep_nesting);
	g_test_add_data_func("/html/hostile/deep-span", deep_span, test_deep_nesting);
	g_test_add_data_func("/html/hostile/deep-table", deep_table, test_deep_nesting);
	g_test_add_data_func("/html/hostile/deep-list", deep_list, test_deep_nesting);
	g_test_add_data_func("/html/hostile/deep-blockquote", deep_quote, test_deep_nesting);
	g_test_add_data_func("/html/hostile/deep-link", deep_link, test_deep_nesting);
	g_test_add_func("/html/hostile/quote-marks-capped", test_quote_marks_capped);
	g_test_add_func("/html/hostile/unclosed-everything", test_unclosed_everything);
	g_test_add_func("/html/hostile/huge-attribute", test_huge_attribute);
	g_test_add_func("/html/hostile/bad-bytes", test_bad_bytes);
	g_test_add_func("/html/hostile/output-cap", test_output_cap);
	g_test_add_func("/html/hostile/null-input", test_null_input);
	g_test_add_func("/html/hostile/truncated-everywhere", test_truncated_everywhere);
	return g_test_run();
}
