/* common.c: the error domain, clock, hashing and formatting helpers every module uses. */
#include "config.h"
#include "pd.h"

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

char *
pd_sha256_hex(const void *data, gsize len)
{
	return g_compute_checksum_for_data(G_CHECKSUM_SHA256, data, len);
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
