/* tnef.c: winmail.dat (application/ms-tnef) unpacked into the files it carries, with libytnef. */
#include "parse-private.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
/* libytnef's headers define BYTE, WORD, DWORD as macros: keep them in this file. */
#include <ytnef.h>

gboolean
pd_tnef_is_tnef(GMimePart *part)
{
	GMimeContentType *ct = g_mime_object_get_content_type(GMIME_OBJECT(part));
	const char *name = g_mime_part_get_filename(part);

	if (ct != NULL && (g_mime_content_type_is_type(ct, "application", "ms-tnef") ||
	                   g_mime_content_type_is_type(ct, "application", "vnd.ms-tnef")))
		return TRUE;
	return name != NULL && g_ascii_strcasecmp(name, "winmail.dat") == 0;
}

/* TNEF strings carry their terminator: bytes up to it, in units of 1
 * (8-bit) or 2 (UTF-16). */
static gsize
string_length(const BYTE *data, gsize size, gsize unit)
{
	for (gsize i = 0; i + unit <= size; i += unit) {
		if (data[i] == 0 && (unit == 1 || data[i + 1] == 0))
			return i;
	}
	return size - size % unit;
}

static char *
tnef_string(const char *charset, const BYTE *data, gsize size, gsize unit)
{
	return pd_charset_to_utf8(charset, (const char *)data, string_length(data, size, unit), NULL);
}

/* A string property: UTF-16LE (PT_UNICODE) or 8-bit in the message's code
 * page (PT_STRING8), NUL-terminated or not. */
static char *
mapi_string(MAPIProps *props, unsigned int id, const char *codepage)
{
	variableLength *v = MAPIFindProperty(props, PROP_TAG(PT_UNICODE, id));

	if (v != MAPI_UNDEFINED && v->size > 0)
		return tnef_string("UTF-16LE", v->data, (gsize)v->size, 2);
	v = MAPIFindProperty(props, PROP_TAG(PT_STRING8, id));
	if (v != MAPI_UNDEFINED && v->size > 0)
		return tnef_string(codepage, v->data, (gsize)v->size, 1);
	return NULL;
}

/* The long name first (the title is 8.3 on old clients). */
static char *
file_name(Attachment *a, const char *codepage)
{
	char *name = mapi_string(&a->MAPI, PR_ATTACH_LONG_FILENAME, codepage);
	char *clean;

	if (name == NULL)
		name = mapi_string(&a->MAPI, PR_ATTACH_FILENAME, codepage);
	if (name == NULL && a->Title.size > 0)
		name = tnef_string(codepage, a->Title.data, (gsize)a->Title.size, 1);
	clean = pd_text_clean_optional(name);
	g_free(name);
	return clean;
}

/* TNEF records the sender's Windows code page (attOemCodepage); the
 * strings of a 1252 sender are windows-1252, of a 1251 one windows-1251. */
static char *
codepage_name(TNEFStruct *tnef)
{
	if (tnef->CodePage.size >= 4) {
		const BYTE *d = tnef->CodePage.data;
		guint cp = (guint)d[0] | (guint)d[1] << 8 | (guint)d[2] << 16 | (guint)d[3] << 24;

		if (cp > 0 && cp < 100000)
			return g_strdup_printf("CP%u", cp);
	}
	return g_strdup("WINDOWS-1252");
}

static guint
add_files(pd_parse_ctx *ctx, TNEFStruct *tnef)
{
	char *codepage = codepage_name(tnef);
	guint n = 0;

	for (Attachment *a = tnef->starting_attach.next; a != NULL; a = a->next) {
		char *name, *type, *cid;
		pd_attachment *att;

		if (a->FileData.data == NULL || a->FileData.size <= 0)
			continue;
		name = file_name(a, codepage);
		type = mapi_string(&a->MAPI, PR_ATTACH_MIME_TAG, codepage);
		att = pd_attach_bytes(ctx, name, type, a->FileData.data, (gsize)a->FileData.size);
		cid = mapi_string(&a->MAPI, PR_ATTACH_CONTENT_ID, codepage);
		att->content_id = pd_text_clean_optional(cid);
		g_ptr_array_add(ctx->msg->attachments, att);
		g_free(name);
		g_free(type);
		g_free(cid);
		n++;
	}
	g_free(codepage);
	return n;
}

/* libytnef prints its complaints about malformed input on standard
 * output, which is the CLI's output and no place for a daemon's noise:
 * while it parses, stdout points at /dev/null, one parse at a time. */
static GMutex quiet_lock;

static int
quiet_begin(void)
{
	int saved, null;

	g_mutex_lock(&quiet_lock);
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	null = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (null >= 0) {
		dup2(null, STDOUT_FILENO);
		close(null);
	}
	return saved;
}

static void
quiet_end(int saved)
{
	fflush(stdout);
	if (saved >= 0) {
		dup2(saved, STDOUT_FILENO);
		close(saved);
	}
	g_mutex_unlock(&quiet_lock);
}

static guint
unpack_bytes(pd_parse_ctx *ctx, GByteArray *bytes)
{
	TNEFStruct tnef;
	int saved = quiet_begin();
	int rc;
	guint n = 0;

	TNEFInitialize(&tnef);
	tnef.Debug = 0;
	rc = TNEFParseMemory(bytes->data, (long)bytes->len, &tnef);
	quiet_end(saved);
	if (rc == 0)
		n = add_files(ctx, &tnef);
	TNEFFree(&tnef);
	return n;
}

/* The files replace the winmail.dat: nobody outside Outlook can open it,
 * and the raw message in the spool still holds it. A TNEF that does not
 * parse, carries no file (only an RTF body) or is over max_tnef_size
 * (libytnef needs it in memory) is kept as it came. */
gboolean
pd_tnef_unpack(pd_parse_ctx *ctx, GMimePart *part)
{
	guint64 max = ctx->opts->limits.max_tnef_size;
	GByteArray *bytes = pd_mime_part_bytes(part, max > 0 ? (gsize)max + 1 : G_MAXSIZE);
	guint n = 0;

	if ((max == 0 || bytes->len <= max) && bytes->len > 0 && bytes->len < G_MAXINT)
		n = unpack_bytes(ctx, bytes);
	g_byte_array_unref(bytes);
	return n > 0;
}
