/* smtp.h: the SMTP transport of the notifier: one reused connection, a precise outcome per recipient. */
#ifndef PD_SMTP_H
#define PD_SMTP_H

#include <glib.h>

typedef enum {
	PD_SMTP_TLS_NONE,      /* plaintext, even if the server offers STARTTLS */
	PD_SMTP_TLS_OPTIONAL,  /* STARTTLS when offered; a certificate that fails still stops the send */
	PD_SMTP_TLS_REQUIRED,  /* STARTTLS or no send at all */
} pd_smtp_tls;

/* Defaults used where an option is 0. */
#define PD_SMTP_CONNECT_TIMEOUT_MS  30000u
#define PD_SMTP_RESPONSE_TIMEOUT_MS 120000u
#define PD_SMTP_TOTAL_TIMEOUT_MS    600000u

typedef struct {
	char *url;          /* smtp://host:port or smtps://host:port (implicit TLS) */
	char *helo;         /* EHLO name; NULL: this host's name */
	pd_smtp_tls tls;    /* ignored for smtps://, which is always TLS */
	char *ca_file;      /* NULL: system trust */
	gboolean verify;    /* certificate and host name verification: set FALSE only on purpose */
	char *user, *password;  /* AUTH when user is set */
	guint connect_timeout_ms;   /* TCP connect (and implicit TLS handshake) */
	guint response_timeout_ms;  /* any one server reply; libcurl 7.88 counts whole seconds, rounded up */
	guint total_timeout_ms;     /* one whole message, connection included */
	guint low_speed_bytes, low_speed_seconds;  /* abort a transfer slower than this; 0: never */
} pd_smtp_options;

typedef struct pd_smtp pd_smtp;

/* Copies opts.  One pd_smtp belongs to one thread at a time. */
pd_smtp *pd_smtp_new(const pd_smtp_options *opts);
void pd_smtp_free(pd_smtp **s);

typedef enum {
	PD_SMTP_SENT,    /* the server took responsibility (2xx to the end of DATA) */
	PD_SMTP_RETRY,   /* try again later: 4xx, network, timeout, TLS or AUTH trouble */
	PD_SMTP_FAILED,  /* the server refused with 5xx: retrying the same thing will not help */
} pd_smtp_status;

const char *pd_smtp_status_name(pd_smtp_status status);

typedef struct {
	char *address;
	pd_smtp_status status;
	int code;       /* the server's reply code, or 0 when no reply decided it */
	char *reply;    /* the server's reply ("550 5.1.1 <x@y>: ...") or the failure reason; one line */
} pd_smtp_rcpt_result;

typedef struct {
	/* RETRY if any recipient is to be retried, else SENT if any was sent, else FAILED. */
	pd_smtp_status status;
	int code;       /* code and reply of the first recipient whose status is status: */
	char *reply;    /* for SENT the reply to the end of DATA ("250 2.0.0 Ok: queued as X") */
	GPtrArray *rcpts;   /* pd_smtp_rcpt_result *, in the order given */
	gboolean reused;    /* sent over a connection opened by an earlier send */
} pd_smtp_result;

/* Send one message from mail_from (NULL or "" for the null sender "<>") to the
 * NULL-terminated rcpts.  data should be CRLF text; bare LF or CR are turned
 * into CRLF so a lone "." line can never end DATA early.  Never NULL; the
 * caller frees the result. */
pd_smtp_result *pd_smtp_send(pd_smtp *s, const char *mail_from, const char *const *rcpts,
                             const char *data, gsize len);
void pd_smtp_result_free(pd_smtp_result **r);

/* data with every bare LF or CR turned into CRLF, its length in *len_r; NULL
 * when data is CRLF already (nothing to copy).  The caller frees the copy. */
char *pd_smtp_crlf(const char *data, gsize len, gsize *len_r);

#endif
