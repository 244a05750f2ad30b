/* common.c: the error domain, clock, hashing and formatting helpers every module uses. */
#include "config.h"
#include "pd.h"

#include <gnutls/crypto.h>

G_DEFINE_QUARK(postdesk-error-quark, pd_error)

gint64
pd_now_usec(void)
{
	/* Tests pin the clock so output with ages and times is reproducible. */
	const char *fixed = g_getenv("PD_NOW_USEC");
	if (fixed != NULL && *fixed != '\0')
		return g_ascii_strtoll(fixed, NULL, 10);
	return g_get_real_time();
}

struct pd_sha256 {
	gnutls_hash_hd_t hd;
};

pd_sha256 *
pd_sha256_new(void)
{
	pd_sha256 *h = g_new0(pd_sha256, 1);
	if (gnutls_hash_init(&h->hd, GNUTLS_DIG_SHA256) != 0)
		g_error("SHA-256 is not available from GnuTLS");  /* a broken installation */
	return h;
}

void
pd_sha256_update(pd_sha256 *h, const void *data, gsize len)
{
	gnutls_hash(h->hd, data, len);
}

char *
pd_sha256_finish(pd_sha256 *h)
{
	unsigned char digest[32];
	gnutls_hash_deinit(h->hd, digest);
	g_free(h);
	char *hex = g_malloc(65);
	for (int i = 0; i < 32; i++)
		g_snprintf(hex + 2 * i, 3, "%02x", digest[i]);
	return hex;
}

char *
pd_sha256_hex(const void *data, gsize len)
{
	pd_sha256 *h = pd_sha256_new();
	pd_sha256_update(h, data, len);
	return pd_sha256_finish(h);
}

char *
pd_format_size(guint64 bytes)
{
	if (bytes < 1024)
		return g_strdup_printf("%" G_GUINT64_FORMAT " B", bytes);
	if (bytes < 1024 * 1024)
		return g_strdup_printf("%.1f KB", bytes / 1024.0);
	return g_strdup_printf("%.1f MB", bytes / (1024.0 * 1024.0));
}

char *
pd_format_age(gint64 seconds)
{
	if (seconds < 0)
		seconds = 0;
	if (seconds < 60)
		return g_strdup_printf("%" G_GINT64_FORMAT "s", seconds);
	if (seconds < 3600)
		return g_strdup_printf("%" G_GINT64_FORMAT "m", seconds / 60);
	if (seconds < 86400)
		return g_strdup_printf("%" G_GINT64_FORMAT "h", seconds / 3600);
	return g_strdup_printf("%" G_GINT64_FORMAT "d", seconds / 86400);
}
