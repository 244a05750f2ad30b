/* tls.h: verifying a mail server's certificate chain and host name with GnuTLS, since libetpan checks neither. */
#ifndef PD_SOURCE_TLS_H
#define PD_SOURCE_TLS_H

#include <glib.h>

/* The chain as the server sent it: DER certificates, the server's first. */
typedef struct {
	const unsigned char *data;
	gsize len;
} pd_tls_der;

/* Verify chain for host (a DNS name or a literal IP address) against the
 * CAs in ca_file, or the system's trust store when ca_file is NULL. FALSE
 * with a PERMANENT error naming every reason (self-signed, wrong host,
 * expired, unknown issuer...) when the chain must not be trusted. */
gboolean pd_tls_verify(const pd_tls_der *chain, guint n, const char *host, const char *ca_file,
                       GError **error);

/* The same for the chain a libetpan stream received in its handshake. */
#include <libetpan/libetpan.h>
gboolean pd_tls_verify_stream(mailstream *stream, const char *host, const char *ca_file, GError **error);

/* For libetpan's *_with_callback connects: name the host in the handshake
 * (SNI), so a server with several certificates presents the right one. */
void pd_tls_setup(struct mailstream_ssl_context *ctx, void *host);

#endif
