/* rawhdr.c: scanning a raw header block for one field, unfolding continuation lines. */
#include "config.h"
#include "rawhdr.h"

#include <stdio.h>
#include <string.h>

static gboolean
field_is(const char *line, gsize n, const char *name)
{
	gsize k = strlen(name);
	return n > k && line[k] == ':' && g_ascii_strncasecmp(line, name, k) == 0;
}

static void
finish(GPtrArray *out, GString *cur)
{
	g_ptr_array_add(out, g_strdup(g_strstrip(cur->str)));
}

char **
pd_raw_header_values(const char *raw, gsize len, const char *name, gsize max_bytes)
{
	GPtrArray *out = g_ptr_array_new();
	GString *cur = NULL;
	gsize limit = MIN(len, max_bytes);
	for (gsize i = 0; i < limit;) {
		const char *line = raw + i;
		const char *nl = memchr(line, '\n', limit - i);
		gsize n = nl != NULL ? (gsize)(nl - line) : limit - i;
		gsize eol = n > 0 && line[n - 1] == '\r' ? n - 1 : n;
		if (eol == 0)
			break;  /* the empty line: end of the header block */
		if (cur != NULL && (line[0] == ' ' || line[0] == '\t'))
			g_string_append_len(g_string_append_c(cur, ' '), line, (gssize)eol);
		else {
			if (cur != NULL) {
				finish(out, cur);
				g_string_free(cur, TRUE);
				cur = NULL;
			}
			if (field_is(line, eol, name))
				cur = g_string_new_len(line + strlen(name) + 1, (gssize)(eol - strlen(name) - 1));
		}
		i += n + 1;
	}
	if (cur != NULL) {
		finish(out, cur);
		g_string_free(cur, TRUE);
	}
	g_ptr_array_add(out, NULL);
	return (char **)g_ptr_array_free(out, FALSE);
}

char **
pd_raw_header_values_file(const char *path, const char *name, gsize max_bytes)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return g_new0(char *, 1);
	char *buf = g_malloc(max_bytes);
	gsize n = fread(buf, 1, max_bytes, f);
	fclose(f);
	char **v = pd_raw_header_values(buf, n, name, max_bytes);
	g_free(buf);
	return v;
}
