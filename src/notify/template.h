/* template.h: the notification templates: templates/<lang>/<name>.txt (+ .html), a header block and a Mustache body. */
#ifndef PD_TEMPLATE_H
#define PD_TEMPLATE_H

#include <glib.h>
#include <json-glib/json-glib.h>

typedef struct pd_templates pd_templates;

/* Load and compile every template under dir (one directory per language).
 * A template that does not compile is an error: "file:line:col: message".
 * Files starting with "_" are partials ({{> name}} finds _name.txt in the
 * same language, then in the default language). */
pd_templates *pd_templates_load(const char *dir, const char *default_lang, GError **error);
void pd_templates_free(pd_templates **t);

/* Is there a template of that name (in any language)? */
gboolean pd_templates_has(const pd_templates *t, const char *name);
/* The languages present, sorted; caller frees the vector (not the strings). */
const char **pd_templates_languages(const pd_templates *t);

typedef struct {
	char *lang;        /* the language actually used */
	char *subject;     /* one line: CR, LF and other controls became spaces */
	GPtrArray *headers;/* extra headers, "Name" then "value" pairs (X-* only) */
	char *text;        /* text/plain body */
	char *html;        /* text/html body, or NULL */
} pd_rendered;

void pd_rendered_free(pd_rendered **r);

/* Render name in lang (falling back to the default language, then any).
 * Variables are taken from context; a render error (unknown template,
 * unknown variable in strict mode, output over max_output) is an error
 * for this notification only. */
pd_rendered *pd_templates_render(const pd_templates *t, const char *name, const char *lang,
                                 JsonNode *context, gsize max_output, GError **error);

#endif
