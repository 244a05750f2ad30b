/* mustache.h: postdesk's Mustache template engine: compile once, render JSON contexts into mail text. */
#ifndef PD_MUSTACHE_H
#define PD_MUSTACHE_H

#include <glib.h>
#include <json-glib/json-glib.h>

/*
 * The full Mustache specification (comments, delimiters, interpolation,
 * sections, inverted sections, partials and inheritance: parents {{<name}}
 * and blocks {{$name}}), without lambdas, since contexts are plain JSON.
 *
 * Data: the context is a JsonNode. Sections are skipped for a missing name,
 * null, false and the empty array; an array repeats the section once per
 * element; anything else (including "" and 0) renders the section once with
 * the value pushed on the context stack. Build contexts with null or false
 * for "absent", so a template never has to guess.
 *
 * Interpolation: strings as they are, integers in decimal, other numbers in
 * the shortest form that reads back the same (1.5, 1e-07; 3.0 prints "3"),
 * booleans as true/false, null as nothing, objects and arrays as compact JSON.
 */

#define PD_MUSTACHE_ERROR (pd_mustache_error_quark())
GQuark pd_mustache_error_quark(void);
typedef enum {
	PD_MUSTACHE_ERROR_SYNTAX,     /* the template or a partial does not parse */
	PD_MUSTACHE_ERROR_UNKNOWN,    /* strict mode: a variable, partial or parent is missing */
	PD_MUSTACHE_ERROR_TOO_LARGE,  /* the output would exceed max_output */
	PD_MUSTACHE_ERROR_TOO_DEEP,   /* partials, parents and blocks nest deeper than max_depth */
} pd_mustache_error_code;

/* Sections, blocks and parents nest at most this deep in one template; deeper
 * is a compile error, so rendering never recurses without a bound. */
#define PD_MUSTACHE_MAX_NESTING 100

/* max_depth when the options leave it 0. */
#define PD_MUSTACHE_DEFAULT_MAX_DEPTH 20

typedef struct pd_mustache pd_mustache;  /* a compiled template; immutable, shareable */

/* Returns the source of the partial (or parent) name, g_malloc'd, or NULL if
 * there is none. Called at most once per name and render. */
typedef char *(*pd_mustache_partial_fn)(const char *name, gpointer data);

typedef enum {
	PD_MUSTACHE_ESCAPE_HTML,  /* the spec: {{x}} escapes & " < >; {{{x}}} and {{&x}} do not */
	PD_MUSTACHE_ESCAPE_NONE,  /* text/plain mail: {{x}} is raw as well */
} pd_mustache_escape;

/* All-zero options are the defaults: HTML escaping, lenient, unlimited output,
 * PD_MUSTACHE_DEFAULT_MAX_DEPTH, no partials. */
typedef struct {
	pd_mustache_escape escape;
	gboolean strict;                 /* unknown variables and partials are errors */
	gsize max_output;                /* bytes; 0 means no limit */
	guint max_depth;                 /* nested partial, parent and block expansions; 0: default */
	pd_mustache_partial_fn partial;  /* NULL: every partial is unknown */
	gpointer partial_data;
} pd_mustache_options;

/* Compile source (UTF-8). NULL with a PD_MUSTACHE_ERROR_SYNTAX error whose
 * message starts with "line:col: " on failure. */
pd_mustache *pd_mustache_compile(const char *source, GError **error);

/* Render tpl against context (may be NULL: everything is missing). opts may
 * be NULL for the defaults. Returns the output, or NULL with error set; render
 * errors located in the template start with "line:col: ", prefixed with
 * "partial 'name': " when they come from a partial or parent. */
char *pd_mustache_render(const pd_mustache *tpl, JsonNode *context,
                         const pd_mustache_options *opts, GError **error);

/* Free *tpl (NULL is fine) and set it to NULL. */
void pd_mustache_free(pd_mustache **tpl);

#endif
