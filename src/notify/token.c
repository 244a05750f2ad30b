/* token.c: HMAC-SHA256 tokens for reply addresses and Message-IDs, with a secret kept in a file. */
#include "config.h"
#include "token.h"
#include "fsutil.h"
#include "pd.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

struct pd_secret {
	guint8 key[64];
	gsize len;
};

pd_secret *
pd_secret_new_from_bytes(const guint8 *key, gsize len)
{
	pd_secret *s = g_new0(pd_secret, 1);
	s->len = MIN(len, sizeof s->key);
	memcpy(s->key, key, s->len);
	return s;
}

static gboolean
create_secret(const char *path, GError **error)
{
	guint8 key[32];
	for (gsize i = 0; i < sizeof key; i += 4) {
		guint32 r = g_random_int();
		memcpy(key + i, &r, 4);
	}
	/* g_random is not a CSPRNG; mix in the kernel's randomness when present. */
	FILE *f = fopen("/dev/urandom", "rb");
	if (f != NULL) {
		guint8 extra[32];
		if (fread(extra, 1, sizeof extra, f) == sizeof extra)
			for (gsize i = 0; i < sizeof key; i++)
				key[i] ^= extra[i];
		fclose(f);
	}
	return pd_write_file_durable(path, key, sizeof key, error);
}

pd_secret *
pd_secret_load(const char *path, GError **error)
{
	if (!g_file_test(path, G_FILE_TEST_EXISTS) && !create_secret(path, error))
		return NULL;
	gsize len = 0;
	char *data = pd_read_file(path, &len, error);
	if (data == NULL)
		return NULL;
	if (len < 16) {
		g_set_error(error, PD_ERROR, PD_ERROR_CONFIG, "%s: a secret needs at least 16 bytes, it has %zu", path, len);
		g_free(data);
		return NULL;
	}
	pd_secret *s = pd_secret_new_from_bytes((guint8 *)data, len);
	memset(data, 0, len);
	g_free(data);
	return s;
}

void
pd_secret_free(pd_secret **secret)
{
	if (*secret != NULL)
		memset((*secret)->key, 0, sizeof (*secret)->key);
	g_clear_pointer(secret, g_free);
}

/* RFC 4648 base32 in lower case: safe in local parts and Message-IDs. */
static void
base32(const guint8 *in, gsize n, char *out, gsize chars)
{
	static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
	guint bits = 0, acc = 0;
	gsize o = 0;
	for (gsize i = 0; i < n && o < chars; i++) {
		acc = (acc << 8) | in[i];
		bits += 8;
		while (bits >= 5 && o < chars) {
			out[o++] = alphabet[(acc >> (bits - 5)) & 31];
			bits -= 5;
		}
	}
	out[o] = '\0';
}

static char *
mac(const pd_secret *s, const char *text, gsize chars)
{
	guint8 digest[32];
	gsize len = sizeof digest;
	GHmac *h = g_hmac_new(G_CHECKSUM_SHA256, s->key, s->len);
	g_hmac_update(h, (const guchar *)text, (gssize)strlen(text));
	g_hmac_get_digest(h, digest, &len);
	g_hmac_unref(h);
	char *out = g_malloc(chars + 1);
	base32(digest, len, out, chars);
	return out;
}

static gboolean
equal_ct(const char *a, const char *b)
{
	gsize la = strlen(a), lb = strlen(b);
	guint8 diff = la != lb;
	for (gsize i = 0; i < la && i < lb; i++)
		diff |= (guint8)(a[i] ^ b[i]);
	return diff == 0;
}

char *
pd_token_make(const pd_secret *s, guint64 ticket, const char *address)
{
	char *addr = g_ascii_strdown(address, -1);
	char *text = g_strdup_printf("token:%" G_GUINT64_FORMAT ":%s", ticket, addr);
	char *t = mac(s, text, 16);
	g_free(text);
	g_free(addr);
	return t;
}

gboolean
pd_token_check(const pd_secret *s, guint64 ticket, const char *address, const char *token)
{
	char *want = pd_token_make(s, ticket, address);
	char *got = g_ascii_strdown(token, -1);
	gboolean ok = equal_ct(want, got);
	g_free(want);
	g_free(got);
	return ok;
}

char *
pd_token_reply_address(const pd_secret *s, const char *base, guint64 ticket, const char *to)
{
	const char *at = strrchr(base, '@');
	if (at == NULL)
		return g_strdup(base);
	char *token = pd_token_make(s, ticket, to);
	char *addr = g_strdup_printf("%.*s+%" G_GUINT64_FORMAT "-%s%s", (int)(at - base), base, ticket, token, at);
	g_free(token);
	return addr;
}

gboolean
pd_token_parse_address(const char *address, const char *base, guint64 *ticket_r, char **token_r)
{
	const char *at = strrchr(address, '@'), *bat = strrchr(base, '@');
	if (at == NULL || bat == NULL || g_ascii_strcasecmp(at, bat) != 0)
		return FALSE;
	gsize local = (gsize)(bat - base);
	if ((gsize)(at - address) <= local + 1 || g_ascii_strncasecmp(address, base, local) != 0 ||
	    address[local] != '+')
		return FALSE;
	const char *p = address + local + 1;
	char *end;
	guint64 ticket = g_ascii_strtoull(p, &end, 10);
	if (end == p || *end != '-' || at - (end + 1) != 16)
		return FALSE;
	*ticket_r = ticket;
	*token_r = g_strndup(end + 1, 16);
	return TRUE;
}

char *
pd_msgid_make(const pd_secret *s, guint64 ticket, guint32 seq, guint n, const char *domain)
{
	char *body = g_strdup_printf("pd.%" G_GUINT64_FORMAT ".%u.%u", ticket, seq, n);
	char *m = mac(s, body, 12);
	char *id = g_strdup_printf("%s.%s@%s", body, m, domain);
	g_free(m);
	g_free(body);
	return id;
}

gboolean
pd_msgid_check(const pd_secret *s, const char *id, guint64 *ticket_r, guint32 *seq_r)
{
	guint64 ticket;
	guint seq, n;
	char m[13];
	int used = 0;
	if (sscanf(id, "pd.%" G_GUINT64_FORMAT ".%u.%u.%12[a-z2-7]@%n", &ticket, &seq, &n, m, &used) != 4 || used == 0)
		return FALSE;
	char *body = g_strdup_printf("pd.%" G_GUINT64_FORMAT ".%u.%u", ticket, seq, n);
	char *want = mac(s, body, 12);
	gboolean ok = equal_ct(want, m);
	g_free(want);
	g_free(body);
	if (ok) {
		*ticket_r = ticket;
		*seq_r = seq;
	}
	return ok;
}
