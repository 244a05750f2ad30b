/* html.h: HTML mail to the text a person would read, and the new text of an HTML reply. */
#ifndef PD_HTML_H
#define PD_HTML_H

#include <glib.h>

/*
 * pd_html_to_text() parses html (UTF-8, len bytes; invalid bytes and NULs
 * are repaired, not trusted) with libxml2's HTML parser and renders it:
 *   - blocks (p, div, li, tr, h1-h6, pre, hr, ...) and <br> break lines, with
 *     at most one blank line in a row; Outlook's MsoNormal paragraphs break
 *     like divs, as Outlook shows them;
 *   - list items start with "- " (ordered lists "1. "), nested lists indent;
 *   - table cells are separated by a tab;
 *   - <blockquote> lines start with "> " (">> " nested);
 *   - <pre> keeps its white space; elsewhere white space collapses;
 *   - links read "text <url>": only the text when it already shows the url,
 *     or the href is empty, a fragment or javascript:; "mailto:" links show
 *     the address; images show their alt text;
 *   - script, style, head, title, template and hidden elements
 *     (display:none, mso-hide:all, the hidden attribute) are dropped.
 * The result is valid UTF-8 with LF line ends, no NUL, trimmed, and never
 * larger than 4 x len + 1 MB. The walk is iterative, so no nesting depth
 * can exhaust the stack. Never NULL; the caller frees it.
 */
char *pd_html_to_text(const char *html, gsize len);

/*
 * The new text of an HTML reply: the quoted history is removed where clients
 * mark it (Gmail div.gmail_quote and gmail_extra, Outlook div#divRplyFwdMsg,
 * #appendonsend, #OLK_SRC_BODY_SECTION and the border-top reply header,
 * Hotmail hr#stopSpelling, Yahoo div.yahoo_quoted, ProtonMail
 * .protonmail_quote, Zimbra hr#zwchr, and the signature divs of Gmail and
 * Thunderbird), the rest is rendered as pd_html_to_text() does and then
 * split with pd_reply_split(), which removes Thunderbird and Apple Mail
 * <blockquote type="cite"> history (rendered as "> " lines) after the last
 * new line, unmarked attributions and header blocks, and signatures. A
 * marked block that begins with a forwarded-message separator is kept.
 * *quoted_r (may be NULL) says whether quoted history was removed.
 * Never NULL; the caller frees it.
 */
char *pd_html_new_text(const char *html, gsize len, gboolean *quoted_r);

#endif
