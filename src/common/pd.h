/* pd.h: what every postdesk module shares: result codes, error domain, small helpers. */
#ifndef PD_H
#define PD_H

#include <glib.h>
#include <stdint.h>

/* The outcome of a pipeline stage, after Postfix: temporary versus permanent
 * failure is part of the data type, never guessed from a message. */
typedef enum {
	PD_OK = 0,      /* done; the caller may acknowledge */
	PD_DEFER = 1,   /* transient trouble: leave the input where it is, try later */
	PD_REJECT = 2,  /* permanent: this input will never succeed as it is */
} pd_result;

/* Exit codes for the mail-delivery path (sysexits.h values). */
#define PD_EX_OK 0
#define PD_EX_USAGE 64
#define PD_EX_TEMPFAIL 75

/* One error domain for the whole program; the codes say whether retrying can help. */
#define PD_ERROR (pd_error_quark())
GQuark pd_error_quark(void);
typedef enum {
	PD_ERROR_TEMPORARY,  /* retry later: disk full, database busy, server down */
	PD_ERROR_PERMANENT,  /* retrying will not help: bad input, refused */
	PD_ERROR_CONFIG,     /* the configuration is wrong */
	PD_ERROR_NOT_FOUND,  /* no such ticket, record or file */
} pd_error_code;

/* Microseconds since the epoch, wall clock. Tests may fix it with PD_NOW_USEC. */
gint64 pd_now_usec(void);

/* Lowercase hex SHA-256 of data; the caller frees it. */
char *pd_sha256_hex(const void *data, gsize len);

/* Streaming SHA-256 (GnuTLS: hardware-accelerated where the CPU can,
 * about four times GLib's portable code here). finish frees the state
 * and returns the lowercase hex digest (caller frees). */
typedef struct pd_sha256 pd_sha256;
pd_sha256 *pd_sha256_new(void);
void pd_sha256_update(pd_sha256 *h, const void *data, gsize len);
char *pd_sha256_finish(pd_sha256 *h);

/* Human-readable sizes and ages ("2.3 KB", "5m", "3d"); caller frees. */
char *pd_format_size(guint64 bytes);
char *pd_format_age(gint64 seconds);

#endif
