/* compose.h: one outgoing notification as RFC 5322 bytes (GMime), ready for SMTP. */
#ifndef PD_COMPOSE_H
#define PD_COMPOSE_H

#include <glib.h>

typedef struct {
	const char *from_name;     /* display name of the desk or queue, may be NULL */
	const char *from_addr;
	const char *to_name;       /* may be NULL */
	const char *to_addr;
	const char *reply_to;      /* the tokened reply address, may be NULL */
	const char *message_id;    /* without <> */
	const char *in_reply_to;   /* without <>, may be NULL */
	const char *const *references;  /* without <>, oldest first, may be NULL */
	const char *subject;       /* one line */
	const char *tag;           /* "[tag #id] " is put in front unless the subject has it */
	guint64 ticket;
	gboolean auto_replied;     /* an answer to a mail (else auto-generated) */
	const GPtrArray *headers;  /* extra "Name", "value" pairs, may be NULL */
	const char *text;          /* text/plain, UTF-8 */
	const char *html;          /* text/html alternative, may be NULL */
	gint64 date;               /* unix seconds */
} pd_compose;

/* Call pd_parse_init() (GMime) first. Returns the message with CRLF line
 * ends; every header value goes through GMime's encoder, so no CR or LF of
 * a value can start a header of its own. */
GBytes *pd_compose_message(const pd_compose *c);

/* The subject with the ticket tag: "[tag #id] subject"; caller frees. */
char *pd_compose_subject(const char *tag, guint64 ticket, const char *subject);

#endif
