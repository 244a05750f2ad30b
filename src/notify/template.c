/* template.c: loading a directory of templates per language and rendering one into subject, headers and bodies. */
#include "config.h"
#include "template.h"
#include "mustache.h"
#include "pd.h"

#include <stdio.h>
#include <string.h>

typedef struct {
	char *path;
	GPtrArray *header_names;     /* of char* */
	GPtrArray *header_values;    /* of pd_mustache* */
	pd_mustache *body;
	pd_mustache *html;           /* NULL if no .html twin */
} tpl;

struct pd_templates {
	char *dir;
	char *default_lang;
	GHashTable *by_key;    /* "lang/name" -> tpl* */
	GHashTable *partials;  /* "lang/name" -> source text */
	GHashTable *names;     /* name -> TRUE */
	GPtrArray *langs;
};

static void
tpl_free(gpointer p)
{
	tpl *t = p;
	g_free(t->path);
	g_ptr_array_unref(t->header_names);
	for (guint i = 0; i < t->header_values->len; i++) {
		pd_mustache *m = t->header_values->pdata[i];
		pd_mustache_free(&m);
	}
	g_ptr_array_unref(t->header_values);
	pd_mustache_free(&t->body);
	pd_mustache_free(&t->html);
	g_free(t);
}

void
pd_templates_free(pd_templates **tp)
{
	pd_templates *t = *tp;
	if (t == NULL)
		return;
	g_free(t->dir);
	g_free(t->default_lang);
	g_hash_table_unref(t->by_key);
	g_hash_table_unref(t->partials);
	g_hash_table_unref(t->names);
	g_ptr_array_unref(t->langs);
	g_clear_pointer(tp, g_free);
}

/* Compile src, prefixing errors with "path:" and shifting lines by offset. */
static pd_mustache *
compile(const char *path, const char *src, int line_offset, GError **error)
{
	GError *e = NULL;
	pd_mustache *m = pd_mustache_compile(src, &e);
	if (m != NULL)
		return m;
	int line = 0, col = 0;
	const char *rest = e->message;
	if (sscanf(e->message, "%d:%d:", &line, &col) == 2)
		rest = strchr(strchr(e->message, ':') + 1, ':') + 1;
	g_set_error(error, PD_ERROR, PD_ERROR_CONFIG, "%s:%d:%d:%s", path, line + line_offset, col, rest);
	g_error_free(e);
	return NULL;
}

static gboolean
allowed_header(const char *name)
{
	return g_ascii_strcasecmp(name, "Subject") == 0 || g_ascii_strncasecmp(name, "X-", 2) == 0;
}

/* The header block: "Name: value" lines up to the first blank line. */
static gboolean
parse_headers(tpl *t, const char *text, const char **body_r, int *body_line_r, GError **error)
{
	const char *p = text;
	int line = 1;
	while (*p != '\0' && *p != '\n') {
		const char *eol = strchr(p, '\n');
		gsize n = eol != NULL ? (gsize)(eol - p) : strlen(p);
		const char *colon = memchr(p, ':', n);
		char *name = colon != NULL ? g_strstrip(g_strndup(p, (gsize)(colon - p))) : NULL;
		if (name == NULL || *name == '\0' || !allowed_header(name)) {
			g_set_error(error, PD_ERROR, PD_ERROR_CONFIG, "%s:%d:1: expected a \"Subject:\" or "
			            "\"X-...:\" header line, or a blank line before the body", t->path, line);
			g_free(name);
			return FALSE;
		}
		char *value = g_strstrip(g_strndup(colon + 1, n - (gsize)(colon + 1 - p)));
		pd_mustache *m = compile(t->path, value, line - 1, error);
		g_free(value);
		if (m == NULL) {
			g_free(name);
			return FALSE;
		}
		g_ptr_array_add(t->header_names, name);
		g_ptr_array_add(t->header_values, m);
		p = eol != NULL ? eol + 1 : p + n;
		line++;
	}
	*body_r = *p == '\n' ? p + 1 : p;
	*body_line_r = line;
	return TRUE;
}

static tpl *
load_one(const char *path, GError **error)
{
	char *text = NULL;
	GError *e = NULL;
	if (!g_file_get_contents(path, &text, NULL, &e)) {
		g_set_error(error, PD_ERROR, PD_ERROR_CONFIG, "%s", e->message);
		g_error_free(e);
		return NULL;
	}
	tpl *t = g_new0(tpl, 1);
	t->path = g_strdup(path);
	t->header_names = g_ptr_array_new_with_free_func(g_free);
	t->header_values = g_ptr_array_new();
	const char *body;
	int body_line;
	gboolean ok = g_utf8_validate(text, -1, NULL);
	if (!ok)
		g_set_error(error, PD_ERROR, PD_ERROR_CONFIG, "%s: not UTF-8 text", path);
	ok = ok && parse_headers(t, text, &body, &body_line, error) &&
	     (t->body = compile(path, body, body_line, error)) != NULL;
	char *html_path = ok ? g_strdup_printf("%.*s.html", (int)(strlen(path) - 4), path) : NULL;
	char *html = NULL;
	if (ok && g_file_get_contents(html_path, &html, NULL, NULL))
		ok = (t->html = compile(html_path, html, 0, error)) != NULL;
	g_free(html);
	g_free(html_path);
	g_free(text);
	if (!ok)
		tpl_free(t);
	return ok ? t : NULL;
}

static gboolean
load_lang(pd_templates *t, const char *lang, GError **error)
{
	char *dir = g_build_filename(t->dir, lang, NULL);
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *f;
	gboolean ok = TRUE;
	while (ok && d != NULL && (f = g_dir_read_name(d)) != NULL) {
		if (!g_str_has_suffix(f, ".txt"))
			continue;
		char *path = g_build_filename(dir, f, NULL);
		char *name = g_strndup(f, strlen(f) - 4);
		if (f[0] == '_') {
			char *src = NULL;
			ok = g_file_get_contents(path, &src, NULL, error);
			if (ok)
				g_hash_table_insert(t->partials, g_strdup_printf("%s/%s", lang, name + 1), src);
		} else {
			tpl *one = load_one(path, error);
			ok = one != NULL;
			if (ok) {
				g_hash_table_insert(t->by_key, g_strdup_printf("%s/%s", lang, name), one);
				g_hash_table_add(t->names, g_strdup(name));
			}
		}
		g_free(path);
		g_free(name);
	}
	if (d != NULL)
		g_dir_close(d);
	g_free(dir);
	return ok;
}

pd_templates *
pd_templates_load(const char *dir, const char *default_lang, GError **error)
{
	GError *e = NULL;
	GDir *d = g_dir_open(dir, 0, &e);
	if (d == NULL) {
		g_set_error(error, PD_ERROR, PD_ERROR_CONFIG, "templates: %s", e->message);
		g_error_free(e);
		return NULL;
	}
	pd_templates *t = g_new0(pd_templates, 1);
	t->dir = g_strdup(dir);
	t->default_lang = g_strdup(default_lang);
	t->by_key = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, tpl_free);
	t->partials = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	t->names = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	t->langs = g_ptr_array_new_with_free_func(g_free);
	const char *f;
	gboolean ok = TRUE;
	while (ok && (f = g_dir_read_name(d)) != NULL) {
		char *sub = g_build_filename(dir, f, NULL);
		if (g_file_test(sub, G_FILE_TEST_IS_DIR) && f[0] != '.') {
			g_ptr_array_add(t->langs, g_strdup(f));
			ok = load_lang(t, f, error);
		}
		g_free(sub);
	}
	g_dir_close(d);
	g_ptr_array_sort(t->langs, (GCompareFunc)(void *)strcmp);
	if (!ok)
		pd_templates_free(&t);
	return t;
}

gboolean
pd_templates_has(const pd_templates *t, const char *name)
{
	return g_hash_table_contains(t->names, name);
}

const char **
pd_templates_languages(const pd_templates *t)
{
	const char **out = g_new0(const char *, t->langs->len + 1);
	for (guint i = 0; i < t->langs->len; i++)
		out[i] = t->langs->pdata[i];
	return out;
}

void
pd_rendered_free(pd_rendered **r)
{
	pd_rendered *p = *r;
	if (p == NULL)
		return;
	g_free(p->lang);
	g_free(p->subject);
	g_ptr_array_unref(p->headers);
	g_free(p->text);
	g_free(p->html);
	g_clear_pointer(r, g_free);
}

/* ---- rendering ---- */

typedef struct {
	const pd_templates *t;
	const char *lang;
} partial_ctx;

static char *
find_partial(const char *name, gpointer data)
{
	partial_ctx *c = data;
	const char *langs[] = { c->lang, c->t->default_lang };
	for (guint i = 0; i < G_N_ELEMENTS(langs); i++) {
		char *key = g_strdup_printf("%s/%s", langs[i], name);
		const char *src = g_hash_table_lookup(c->t->partials, key);
		g_free(key);
		if (src != NULL)
			return g_strdup(src);
	}
	return NULL;
}

static const tpl *
find(const pd_templates *t, const char *name, const char *lang, const char **lang_r)
{
	const char *order[] = { lang, t->default_lang, "en" };
	for (guint i = 0; i < G_N_ELEMENTS(order); i++) {
		if (order[i] == NULL)
			continue;
		char *key = g_strdup_printf("%s/%s", order[i], name);
		const tpl *one = g_hash_table_lookup(t->by_key, key);
		g_free(key);
		if (one != NULL) {
			*lang_r = order[i];
			return one;
		}
	}
	for (guint i = 0; i < t->langs->len; i++) {
		char *key = g_strdup_printf("%s/%s", (char *)t->langs->pdata[i], name);
		const tpl *one = g_hash_table_lookup(t->by_key, key);
		g_free(key);
		if (one != NULL) {
			*lang_r = t->langs->pdata[i];
			return one;
		}
	}
	return NULL;
}

/* A header value is one line: every control character becomes a space,
 * so nothing a requester wrote can start a header of its own. */
static char *
one_line(char *s)
{
	for (char *p = s; *p != '\0'; p++)
		if ((guchar)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	return g_strstrip(s);
}

static char *
render(const pd_mustache *m, JsonNode *ctx, pd_mustache_escape esc, partial_ctx *pc, gsize max,
       const char *what, const char *path, GError **error)
{
	pd_mustache_options o = { .escape = esc, .strict = TRUE, .max_output = max,
	                          .partial = find_partial, .partial_data = pc };
	GError *e = NULL;
	char *out = pd_mustache_render(m, ctx, &o, &e);
	if (out == NULL) {
		g_set_error(error, PD_ERROR, PD_ERROR_PERMANENT, "%s (%s): %s", path, what, e->message);
		g_error_free(e);
	}
	return out;
}

static gboolean
render_headers(const tpl *one, JsonNode *ctx, partial_ctx *pc, gsize max, pd_rendered *r, GError **error)
{
	for (guint i = 0; i < one->header_values->len; i++) {
		char *v = render(one->header_values->pdata[i], ctx, PD_MUSTACHE_ESCAPE_NONE, pc, max,
		                 one->header_names->pdata[i], one->path, error);
		if (v == NULL)
			return FALSE;
		one_line(v);
		if (g_ascii_strcasecmp(one->header_names->pdata[i], "Subject") == 0) {
			g_free(r->subject);
			r->subject = v;
		} else {
			g_ptr_array_add(r->headers, g_strdup(one->header_names->pdata[i]));
			g_ptr_array_add(r->headers, v);
		}
	}
	return TRUE;
}

pd_rendered *
pd_templates_render(const pd_templates *t, const char *name, const char *lang, JsonNode *ctx,
                    gsize max_output, GError **error)
{
	const char *used = NULL;
	const tpl *one = find(t, name, lang, &used);
	if (one == NULL) {
		g_set_error(error, PD_ERROR, PD_ERROR_PERMANENT, "no template \"%s\" in %s", name, t->dir);
		return NULL;
	}
	partial_ctx pc = { t, used };
	pd_rendered *r = g_new0(pd_rendered, 1);
	r->lang = g_strdup(used);
	r->subject = g_strdup("");
	r->headers = g_ptr_array_new_with_free_func(g_free);
	gboolean ok = render_headers(one, ctx, &pc, max_output, r, error) &&
	              (r->text = render(one->body, ctx, PD_MUSTACHE_ESCAPE_NONE, &pc, max_output, "body", one->path, error)) != NULL &&
	              (one->html == NULL ||
	               (r->html = render(one->html, ctx, PD_MUSTACHE_ESCAPE_HTML, &pc, max_output, "html", one->path, error)) != NULL);
	if (!ok)
		pd_rendered_free(&r);
	return r;
}
