/* tls.c: certificate chain and host name checks for IMAP and POP3 servers, with GnuTLS. */
#include "config.h"
#include "tls.h"
#include "pd.h"

#include <arpa/inet.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <string.h>
#include <time.h>

static gboolean
load_trust(gnutls_x509_trust_list_t *tl, const char *ca_file, GError **error)
{
	if (gnutls_x509_trust_list_init(tl, 0) < 0) {
		g_set_error(error, PD_ERROR, PD_ERROR_TEMPORARY, "cannot set up certificate checks (out of memory)");
		return FALSE;
	}
	int r = ca_file != NULL ? gnutls_x509_trust_list_add_trust_file(*tl, ca_file, NULL, GNUTLS_X509_FMT_PEM, 0, 0)
	                        : gnutls_x509_trust_list_add_system_trust(*tl, 0, 0);
	if (r > 0)
		return TRUE;
	const char *where = ca_file != NULL ? ca_file : "the system trust store";
	g_set_error(error, PD_ERROR, PD_ERROR_PERMANENT, "no CA certificates could be read from %s%s%s", where,
	            r < 0 ? ": " : "", r < 0 ? gnutls_strerror(r) : "");
	gnutls_x509_trust_list_deinit(*tl, 1);
	*tl = NULL;
	return FALSE;
}

static void
free_chain(gnutls_x509_crt_t *crts, guint n)
{
	for (guint i = 0; i < n; i++)
		if (crts[i] != NULL)
			gnutls_x509_crt_deinit(crts[i]);
	g_free(crts);
}

static gnutls_x509_crt_t *
import_chain(const pd_tls_der *chain, guint n, GError **error)
{
	gnutls_x509_crt_t *crts = g_new0(gnutls_x509_crt_t, n);
	for (guint i = 0; i < n; i++) {
		gnutls_datum_t d = { (unsigned char *)chain[i].data, (unsigned int)chain[i].len };
		int r = gnutls_x509_crt_init(&crts[i]);
		if (r >= 0)
			r = gnutls_x509_crt_import(crts[i], &d, GNUTLS_X509_FMT_DER);
		if (r < 0) {
			g_set_error(error, PD_ERROR, PD_ERROR_PERMANENT, "certificate %u of the chain cannot be read: %s",
			            i + 1, gnutls_strerror(r));
			free_chain(crts, n);
			return NULL;
		}
	}
	return crts;
}

/* The names a certificate is for: its DNS and IP subject alternative names,
 * else its subject (for the "wrong host" reason). */
static char *
names_of(gnutls_x509_crt_t crt)
{
	GString *s = g_string_new(NULL);
	for (unsigned seq = 0; seq < 64; seq++) {
		char buf[256];
		size_t size = sizeof buf - 1;
		int type = gnutls_x509_crt_get_subject_alt_name(crt, seq, buf, &size, NULL);
		if (type == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			break;
		char ip[INET6_ADDRSTRLEN] = "";
		if (type == GNUTLS_SAN_DNSNAME)
			buf[size] = '\0';
		else if (type == GNUTLS_SAN_IPADDRESS && (size == 4 || size == 16))
			inet_ntop(size == 4 ? AF_INET : AF_INET6, buf, ip, sizeof ip);
		else
			continue;
		g_string_append_printf(s, "%s%s", s->len > 0 ? ", " : "", type == GNUTLS_SAN_DNSNAME ? buf : ip);
	}
	if (s->len == 0) {
		char dn[512];
		size_t size = sizeof dn;
		if (gnutls_x509_crt_get_dn(crt, dn, &size) >= 0)
			g_string_append(s, dn);
	}
	return g_string_free(s, FALSE);
}

static char *
format_day(time_t t)
{
	GDateTime *d = g_date_time_new_from_unix_utc((gint64)t);
	char *s = d != NULL ? g_date_time_format(d, "%Y-%m-%d %H:%M UTC") : g_strdup("?");
	if (d != NULL)
		g_date_time_unref(d);
	return s;
}

/* The first certificate of the chain outside its validity period, and when. */
static void
add_validity_reason(GString *s, gnutls_x509_crt_t *crts, guint n, gboolean expired)
{
	time_t now = time(NULL);
	for (guint i = 0; i < n; i++) {
		time_t t = expired ? gnutls_x509_crt_get_expiration_time(crts[i])
		                   : gnutls_x509_crt_get_activation_time(crts[i]);
		if (expired ? t >= now : t <= now)
			continue;
		char *day = format_day(t);
		g_string_append_printf(s, "; %s %s %s", i == 0 ? "the certificate" : "a certificate of its chain",
		                       expired ? "expired on" : "is not valid before", day);
		g_free(day);
		return;
	}
}

static gboolean
self_signed(gnutls_x509_crt_t *crts, guint n)
{
	return n == 1 && gnutls_x509_crt_check_issuer(crts[0], crts[0]) != 0;
}

/* Every reason the status gives, in words an admin can act on. */
static char *
describe(unsigned status, gnutls_x509_crt_t *crts, guint n, const char *host)
{
	GString *s = g_string_new(NULL);
	if (status & GNUTLS_CERT_SIGNER_NOT_FOUND)
		g_string_append(s, self_signed(crts, n) ? "; the certificate is self-signed (not from a trusted CA)"
		                                        : "; the certificate is not signed by a trusted CA");
	if (status & GNUTLS_CERT_UNEXPECTED_OWNER) {
		char *names = names_of(crts[0]);
		g_string_append_printf(s, "; wrong host: the certificate is for %s, not %s", names, host);
		g_free(names);
	}
	if (status & GNUTLS_CERT_EXPIRED)
		add_validity_reason(s, crts, n, TRUE);
	if (status & GNUTLS_CERT_NOT_ACTIVATED)
		add_validity_reason(s, crts, n, FALSE);
	if (status & GNUTLS_CERT_REVOKED)
		g_string_append(s, "; the certificate is revoked");
	if (status & GNUTLS_CERT_INSECURE_ALGORITHM)
		g_string_append(s, "; the certificate uses an insecure algorithm");
	if (status & GNUTLS_CERT_PURPOSE_MISMATCH)
		g_string_append(s, "; the certificate is not for TLS servers");
	gnutls_datum_t out = { NULL, 0 };
	if (s->len == 0 && gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &out, 0) >= 0) {
		g_string_append_printf(s, "; %s", out.data);
		gnutls_free(out.data);
	}
	if (s->len == 0)
		g_string_append_printf(s, "; rejected (status 0x%x)", status);
	return g_string_free(s, FALSE);
}

gboolean
pd_tls_verify(const pd_tls_der *chain, guint n, const char *host, const char *ca_file, GError **error)
{
	if (n == 0) {
		g_set_error(error, PD_ERROR, PD_ERROR_PERMANENT, "the server sent no certificate");
		return FALSE;
	}
	gnutls_x509_trust_list_t tl = NULL;
	if (!load_trust(&tl, ca_file, error))
		return FALSE;
	gnutls_x509_crt_t *crts = import_chain(chain, n, error);
	gboolean ok = crts != NULL;
	if (ok) {
		gnutls_typed_vdata_st data[] = {
			{ GNUTLS_DT_DNS_HOSTNAME, (unsigned char *)host, 0 },
			{ GNUTLS_DT_KEY_PURPOSE_OID, (unsigned char *)GNUTLS_KP_TLS_WWW_SERVER, 0 },
		};
		unsigned status = 0;
		int r = gnutls_x509_trust_list_verify_crt2(tl, crts, n, data, G_N_ELEMENTS(data), 0, &status, NULL);
		ok = r >= 0 && status == 0;
		if (r < 0)
			g_set_error(error, PD_ERROR, PD_ERROR_PERMANENT, "the certificate chain cannot be checked: %s",
			            gnutls_strerror(r));
		else if (!ok) {
			char *why = describe(status, crts, n, host);
			g_set_error(error, PD_ERROR, PD_ERROR_PERMANENT, "certificate not trusted: %s", why + 2);
			g_free(why);
		}
		free_chain(crts, n);
	}
	gnutls_x509_trust_list_deinit(tl, 1);
	return ok;
}

gboolean
pd_tls_verify_stream(mailstream *stream, const char *host, const char *ca_file, GError **error)
{
	carray *chain = mailstream_get_certificate_chain(stream);
	guint n = chain != NULL ? carray_count(chain) : 0;
	pd_tls_der *der = g_new0(pd_tls_der, MAX(n, 1));
	for (guint i = 0; i < n; i++) {
		MMAPString *m = carray_get(chain, i);
		der[i] = (pd_tls_der){ (const unsigned char *)m->str, m->len };
	}
	gboolean ok = pd_tls_verify(der, n, host, ca_file, error);
	g_free(der);
	if (chain != NULL)
		mailstream_certificate_chain_free(chain);
	return ok;
}

void
pd_tls_setup(struct mailstream_ssl_context *ctx, void *host)
{
	/* SNI carries names only, never address literals (RFC 6066). */
	if (!g_hostname_is_ip_address(host))
		mailstream_ssl_set_server_name(ctx, host);
}
