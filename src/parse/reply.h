/* reply.h: the new text of a plain-text reply, with quoted history and signature split off. */
#ifndef PD_REPLY_H
#define PD_REPLY_H

#include <glib.h>

/*
 * pd_reply_split() reads UTF-8 text with LF line ends (a CR before an LF is
 * ignored) and splits it three ways:
 *
 *   new        what the sender wrote for this mail;
 *   quoted     the history they replied to: from the first quote marker
 *              ("On ... wrote:" and its equivalents in about twenty
 *              languages, "> " blocks, "-----Original Message-----",
 *              Outlook's From:/Sent:/To:/Subject: blocks) to the end;
 *   signature  a "-- " block, a mobile footer ("Sent from my iPhone", "Von
 *              meinem iPhone gesendet", ...) or a mailing-list footer, with
 *              what follows it up to the quoted history.
 *
 * Decisions a caller should know:
 *   - Interleaved replies (new text between quoted blocks) keep their quoted
 *     blocks in the new text, since the answers make no sense without the
 *     questions; only the quoted history after the last new line is cut. A
 *     quote at the top followed by one block of new text (bottom posting) is
 *     cut when it carries an attribution line.
 *   - Forwarded mail is kept: from a "---------- Forwarded message ---------"
 *     or "Begin forwarded message:" separator on, everything is new text,
 *     because a forward brings content the ticket has not seen. A header block
 *     at the very top (Outlook forwards have no separator) counts as a forward.
 *   - A mail that is nothing but attributed quoted history has an empty new
 *     text; a mail that is only "> " lines without attribution is kept whole.
 *
 * new_r, quoted_r and signature_r may each be NULL when not wanted. *new_r is
 * never NULL (possibly ""); *quoted_r and *signature_r are NULL when there is
 * none. All three are the caller's to g_free, trimmed of blank lines at both
 * ends, with LF line ends.
 */
void pd_reply_split(const char *text, char **new_r, char **quoted_r, char **signature_r);
/* The same for text known to be valid UTF-8 (as every string the parser
 * stores is), which saves checking it again. */
void pd_reply_split_valid(const char *text, char **new_r, char **quoted_r, char **signature_r);

/* Whether the first non-blank line of text is a forwarded-message separator
 * ("---------- Forwarded message ---------", "Begin forwarded message:", ...,
 * also behind "> "). The HTML side uses it to keep forwards that clients mark
 * up like quotes. */
gboolean pd_reply_is_forward(const char *text);

/* Whether text begins with the header block clients put above quoted mail
 * (From:/Sent:/To:/Subject: or their translations, at least the From or
 * date line and one more). The HTML side uses it to confirm Outlook's
 * border-top reply header before cutting there. */
gboolean pd_reply_is_header_block(const char *text);

#endif
