/* conf.c: loading and validating the configuration file against the declarations in keys.c. */
#include "config.h"
#include "config/conf.h"
#include "pd.h"

#include <errno.h>
#include <string.h>

struct pd_config {
	char *path;        /* NULL: defaults only */
	char *base_dir;    /* for relative paths */
	GKeyFile *kf;
	GHashTable *lines; /* "group\nkey" or "group" -> line number */
};

const char *
pd_config_default_path(void)
{
	const char *env = g_getenv("POSTDESK_CONFIG");
	if (env != NULL && *env != '\0')
		return env;
	if (g_file_test(SYSCONFDIR "/postdesk/postdesk.conf", G_FILE_TEST_EXISTS))
		return SYSCONFDIR "/postdesk/postdesk.conf";
	return NULL;
}

/* ---- declarations ---- */

static gboolean
group_matches(const char *pattern, const char *group)
{
	gsize n = strlen(pattern);
	if (n > 2 && pattern[n - 1] == '*' && pattern[n - 2] == ' ')
		return strncmp(pattern, group, n - 1) == 0 && group[n - 1] != '\0';
	return strcmp(pattern, group) == 0;
}

static const pd_cfg_decl *
find_decl(const char *group, const char *key)
{
	guint n;
	const pd_cfg_decl *d = pd_config_decls(&n);
	for (guint i = 0; i < n; i++)
		if (group_matches(d[i].group, group) && (key == NULL || strcmp(d[i].key, key) == 0))
			return &d[i];
	return NULL;
}

/* The edit distance, for "did you mean" hints; small strings only. */
static guint
distance(const char *a, const char *b)
{
	gsize la = strlen(a), lb = strlen(b);
	if (la > 64 || lb > 64)
		return 99;
	guint row[65];
	for (gsize j = 0; j <= lb; j++)
		row[j] = (guint)j;
	for (gsize i = 1; i <= la; i++) {
		guint prev = row[0];
		row[0] = (guint)i;
		for (gsize j = 1; j <= lb; j++) {
			guint cur = row[j];
			guint sub = prev + (a[i - 1] != b[j - 1]);
			row[j] = MIN(MIN(row[j] + 1, row[j - 1] + 1), sub);
			prev = cur;
		}
	}
	return row[lb];
}

static const char *
closest_key(const char *group, const char *key)
{
	guint n, best = 3;
	const char *found = NULL;
	const pd_cfg_decl *d = pd_config_decls(&n);
	for (guint i = 0; i < n; i++) {
		if (!group_matches(d[i].group, group))
			continue;
		guint dist = distance(key, d[i].key);
		if (dist < best) {
			best = dist;
			found = d[i].key;
		}
	}
	return found;
}

/* ---- value parsing ---- */

static gboolean
parse_scaled(const char *text, const char *const units[], const gint64 scale[], gint64 *out)
{
	char *end;
	errno = 0;
	gint64 v = g_ascii_strtoll(text, &end, 10);
	if (end == text || errno != 0 || v < 0)
		return FALSE;
	while (*end == ' ')
		end++;
	for (int i = 0; units[i] != NULL; i++) {
		if (g_ascii_strcasecmp(end, units[i]) == 0) {
			if (scale[i] != 0 && v > G_MAXINT64 / scale[i])
				return FALSE;
			*out = v * scale[i];
			return TRUE;
		}
	}
	return FALSE;
}

static gboolean
parse_size(const char *text, gint64 *out)
{
	static const char *const u[] = { "", "B", "K", "KB", "M", "MB", "G", "GB", NULL };
	static const gint64 s[] = { 1, 1, 1LL << 10, 1LL << 10, 1LL << 20, 1LL << 20, 1LL << 30, 1LL << 30 };
	return parse_scaled(text, u, s, out);
}

static gboolean
parse_duration(const char *text, gint64 *out)
{
	static const char *const u[] = { "ms", "s", "", "m", "min", "h", "d", NULL };
	static const gint64 s[] = { 1, 1000, 1000, 60000, 60000, 3600000, 86400000 };
	return parse_scaled(text, u, s, out);
}

static gboolean
parse_bool(const char *text, gboolean *out)
{
	static const char *const yes[] = { "true", "yes", "on", "1", NULL };
	static const char *const no[] = { "false", "no", "off", "0", NULL };
	for (int i = 0; yes[i] != NULL; i++)
		if (g_ascii_strcasecmp(text, yes[i]) == 0)
			return (*out = TRUE), TRUE;
	for (int i = 0; no[i] != NULL; i++)
		if (g_ascii_strcasecmp(text, no[i]) == 0)
			return (*out = FALSE), TRUE;
	return FALSE;
}

static gboolean
enum_ok(const pd_cfg_decl *d, const char *text)
{
	char **choices = g_strsplit(d->choices, "|", -1);
	gboolean ok = g_strv_contains((const char *const *)choices, text);
	g_strfreev(choices);
	return ok;
}

/* Check one value; NULL if fine, else the problem (caller frees). */
static char *
check_value(const pd_cfg_decl *d, const char *text)
{
	gint64 v = 0;
	gboolean b;
	switch (d->type) {
	case PD_CFG_STRING:
		return NULL;
	case PD_CFG_PATH:
		return *text == '\0' ? g_strdup("empty path") : NULL;
	case PD_CFG_BOOL:
		return parse_bool(text, &b) ? NULL : g_strdup_printf("\"%s\" is not true or false", text);
	case PD_CFG_ENUM: {
		if (enum_ok(d, text))
			return NULL;
		char **c = g_strsplit(d->choices, "|", -1);
		char *joined = g_strjoinv(", ", c);
		char *msg = g_strdup_printf("\"%s\" is not one of: %s", text, joined);
		g_strfreev(c);
		g_free(joined);
		return msg;
	}
	case PD_CFG_INT: {
		char *end;
		errno = 0;
		v = g_ascii_strtoll(text, &end, 10);
		if (end == text || *end != '\0' || errno != 0)
			return g_strdup_printf("\"%s\" is not a whole number", text);
		break;
	}
	case PD_CFG_SIZE:
		if (!parse_size(text, &v))
			return g_strdup_printf("\"%s\" is not a size (e.g. 512K, 25M, 1G)", text);
		break;
	case PD_CFG_DURATION:
		if (!parse_duration(text, &v))
			return g_strdup_printf("\"%s\" is not a duration (e.g. 500ms, 30s, 5m, 2h, 1d)", text);
		break;
	}
	if (v < d->min)
		return g_strdup_printf("%s is below the minimum %" G_GINT64_FORMAT, text, d->min);
	if (v > d->max)
		return g_strdup_printf("%s is above the maximum %" G_GINT64_FORMAT, text, d->max);
	return NULL;
}

/* ---- loading ---- */

static void
problem(GPtrArray *problems, const pd_config *cfg, int line, const char *what, const char *msg)
{
	if (problems == NULL)
		return;
	g_ptr_array_add(problems, g_strdup_printf("%s:%d: %s: %s", cfg->path, line, what, msg));
}

static int
line_of(const pd_config *cfg, const char *group, const char *key)
{
	char *k = key != NULL ? g_strdup_printf("%s\n%s", group, key) : g_strdup(group);
	int line = GPOINTER_TO_INT(g_hash_table_lookup(cfg->lines, k));
	g_free(k);
	return line;
}

/* GKeyFile keeps no line numbers, so one pass over the text records them
 * and reports syntax errors with their line. Bad lines are blanked in the
 * returned copy, so GKeyFile reads the rest and every other problem is
 * reported in the same run. */
static char *
scan_lines(pd_config *cfg, const char *text, GPtrArray *problems)
{
	char **lines = g_strsplit(text, "\n", -1);
	char *group = NULL;
	for (int i = 0; lines[i] != NULL; i++) {
		char *l = g_strstrip(lines[i]);
		if (*l == '\0' || *l == '#' || *l == ';')
			continue;
		if (*l == '[' && l[strlen(l) - 1] == ']') {
			g_free(group);
			group = g_strndup(l + 1, strlen(l) - 2);
			g_hash_table_insert(cfg->lines, g_strdup(group), GINT_TO_POINTER(i + 1));
		} else if (strchr(l, '=') != NULL && group != NULL) {
			char *key = g_strstrip(g_strndup(l, (gsize)(strchr(l, '=') - l)));
			g_hash_table_insert(cfg->lines, g_strdup_printf("%s\n%s", group, key), GINT_TO_POINTER(i + 1));
			g_free(key);
		} else {
			problem(problems, cfg, i + 1, "syntax",
			        group == NULL ? "a key outside any [section]"
			                      : "expected \"key = value\", \"[section]\" or a # comment");
			*l = '\0';
		}
	}
	g_free(group);
	char *clean = g_strjoinv("\n", lines);
	g_strfreev(lines);
	return clean;
}

static void
check_group(pd_config *cfg, const char *group, GPtrArray *problems)
{
	if (find_decl(group, NULL) == NULL) {
		problem(problems, cfg, line_of(cfg, group, NULL), group, "unknown section");
		return;
	}
	char **keys = g_key_file_get_keys(cfg->kf, group, NULL, NULL);
	for (int i = 0; keys != NULL && keys[i] != NULL; i++) {
		char *what = g_strdup_printf("%s.%s", group, keys[i]);
		const pd_cfg_decl *d = find_decl(group, keys[i]);
		char *value = g_key_file_get_string(cfg->kf, group, keys[i], NULL);
		char *msg = NULL;
		if (d == NULL) {
			const char *near = closest_key(group, keys[i]);
			msg = near != NULL ? g_strdup_printf("unknown key (did you mean \"%s\"?)", near)
			                   : g_strdup("unknown key");
		} else if (value == NULL)
			msg = g_strdup("the value cannot be read (bad escape or encoding)");
		else
			msg = check_value(d, value);
		if (msg != NULL)
			problem(problems, cfg, line_of(cfg, group, keys[i]), what, msg);
		g_free(msg);
		g_free(value);
		g_free(what);
	}
	g_strfreev(keys);
}

/* Keys that are required by meaning rather than by type. */
static void
check_required(pd_config *cfg, GPtrArray *problems)
{
	char **sources = pd_config_groups(cfg, "source");
	for (int i = 0; sources[i] != NULL; i++) {
		char *group = g_strdup_printf("source %s", sources[i]);
		char *type = g_key_file_get_string(cfg->kf, group, "type", NULL);
		gboolean remote = g_strcmp0(type, "imap") == 0 || g_strcmp0(type, "pop3") == 0;
		static const char *const remote_keys[] = { "host", "user", "password_file", NULL };
		if (!remote && !g_key_file_has_key(cfg->kf, group, "path", NULL))
			problem(problems, cfg, line_of(cfg, group, NULL), group,
			        "a maildir source needs \"path\"");
		for (int k = 0; remote && remote_keys[k] != NULL; k++) {
			if (g_key_file_has_key(cfg->kf, group, remote_keys[k], NULL))
				continue;
			char *msg = g_strdup_printf("an %s source needs \"%s\"", type, remote_keys[k]);
			problem(problems, cfg, line_of(cfg, group, NULL), group, msg);
			g_free(msg);
		}
		g_free(type);
		g_free(group);
	}
	g_strfreev(sources);
}

static pd_config *
config_new(const char *path)
{
	pd_config *cfg = g_new0(pd_config, 1);
	cfg->kf = g_key_file_new();
	cfg->lines = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	if (path != NULL) {
		cfg->path = g_strdup(path);
		char *abs = g_canonicalize_filename(path, NULL);
		cfg->base_dir = g_path_get_dirname(abs);
		g_free(abs);
	} else
		cfg->base_dir = g_get_current_dir();
	return cfg;
}

pd_config *
pd_config_load(const char *path, GPtrArray *problems)
{
	pd_config *cfg = config_new(path);
	if (path == NULL)
		return cfg;
	char *text = NULL;
	GError *e = NULL;
	guint before = problems != NULL ? problems->len : 0;
	if (!g_file_get_contents(path, &text, NULL, &e)) {
		problem(problems, cfg, 0, "file", e->message);
		g_error_free(e);
	} else {
		char *clean = scan_lines(cfg, text, problems);
		if (!g_key_file_load_from_data(cfg->kf, clean, (gsize)-1, G_KEY_FILE_NONE, &e)) {
			problem(problems, cfg, 0, "syntax", e->message);
			g_error_free(e);
		} else {
			char **groups = g_key_file_get_groups(cfg->kf, NULL);
			for (int i = 0; groups[i] != NULL; i++)
				check_group(cfg, groups[i], problems);
			g_strfreev(groups);
			check_required(cfg, problems);
		}
		g_free(clean);
	}
	g_free(text);
	gboolean bad = problems != NULL ? problems->len > before : FALSE;
	if (bad || (problems == NULL && text == NULL))
		pd_config_free(&cfg);
	return cfg;
}

void
pd_config_free(pd_config **cfg)
{
	pd_config *c = *cfg;
	if (c == NULL)
		return;
	g_free(c->path);
	g_free(c->base_dir);
	g_key_file_unref(c->kf);
	g_hash_table_unref(c->lines);
	g_clear_pointer(cfg, g_free);
}

const char *
pd_config_path(const pd_config *cfg)
{
	return cfg->path;
}

/* ---- typed access ---- */

static const pd_cfg_decl *
must_decl(const char *group, const char *key, pd_cfg_type type)
{
	const pd_cfg_decl *d = find_decl(group, key);
	/* A wrong lookup is a programming error, caught by the tests. */
	g_assert(d != NULL && d->type == type);
	return d;
}

/* The raw text: set in the file, else the declared default (may be NULL). */
static char *
raw_value(const pd_config *cfg, const pd_cfg_decl *d, const char *group)
{
	char *v = g_key_file_get_string(cfg->kf, group, d->key, NULL);
	return v != NULL ? v : g_strdup(d->def);
}

const char *
pd_config_string(const pd_config *cfg, const char *group, const char *key)
{
	const pd_cfg_decl *d = find_decl(group, key);
	g_assert(d != NULL && (d->type == PD_CFG_STRING || d->type == PD_CFG_ENUM));
	/* Interned so the caller need not free and repeated lookups cost nothing. */
	char *v = raw_value(cfg, d, group);
	const char *s = v != NULL ? g_intern_string(v) : NULL;
	g_free(v);
	return s;
}

char *
pd_config_path_value(const pd_config *cfg, const char *group, const char *key)
{
	char *v = raw_value(cfg, must_decl(group, key, PD_CFG_PATH), group);
	if (v == NULL || g_path_is_absolute(v))
		return v;
	char *abs = g_build_filename(cfg->base_dir, v, NULL);
	g_free(v);
	return abs;
}

gint64
pd_config_int(const pd_config *cfg, const char *group, const char *key)
{
	const pd_cfg_decl *d = find_decl(group, key);
	g_assert(d != NULL && (d->type == PD_CFG_INT || d->type == PD_CFG_SIZE ||
	                       d->type == PD_CFG_DURATION));
	char *v = raw_value(cfg, d, group);
	gint64 n = 0;
	if (v != NULL) {
		if (d->type == PD_CFG_SIZE)
			parse_size(v, &n);
		else if (d->type == PD_CFG_DURATION)
			parse_duration(v, &n);
		else
			n = g_ascii_strtoll(v, NULL, 10);
	}
	g_free(v);
	return n;
}

gboolean
pd_config_bool(const pd_config *cfg, const char *group, const char *key)
{
	char *v = raw_value(cfg, must_decl(group, key, PD_CFG_BOOL), group);
	gboolean b = FALSE;
	if (v != NULL)
		parse_bool(v, &b);
	g_free(v);
	return b;
}

char **
pd_config_groups(const pd_config *cfg, const char *prefix)
{
	char **groups = g_key_file_get_groups(cfg->kf, NULL);
	GPtrArray *out = g_ptr_array_new();
	gsize n = strlen(prefix);
	for (int i = 0; groups[i] != NULL; i++)
		if (strncmp(groups[i], prefix, n) == 0 && groups[i][n] == ' ' && groups[i][n + 1] != '\0')
			g_ptr_array_add(out, g_strdup(groups[i] + n + 1));
	g_ptr_array_add(out, NULL);
	g_strfreev(groups);
	return (char **)g_ptr_array_free(out, FALSE);
}

char **
pd_config_split_list(const char *value)
{
	char **parts = g_strsplit_set(value != NULL ? value : "", ", ", -1);
	GPtrArray *out = g_ptr_array_new();
	for (int i = 0; parts[i] != NULL; i++)
		if (*parts[i] != '\0')
			g_ptr_array_add(out, g_strdup(parts[i]));
	g_ptr_array_add(out, NULL);
	g_strfreev(parts);
	return (char **)g_ptr_array_free(out, FALSE);
}

int
pd_config_line(const pd_config *cfg, const char *group, const char *key)
{
	return cfg->lines != NULL ? line_of(cfg, group, key) : 0;
}

gboolean
pd_config_set(pd_config *cfg, const char *group, const char *key, const char *value, GError **error)
{
	const pd_cfg_decl *d = find_decl(group, key);
	char *msg = d == NULL ? g_strdup("unknown key") : check_value(d, value);
	if (msg != NULL) {
		g_set_error(error, PD_ERROR, PD_ERROR_CONFIG, "%s.%s: %s", group, key, msg);
		g_free(msg);
		return FALSE;
	}
	g_key_file_set_string(cfg->kf, group, key, value);
	return TRUE;
}

/* ---- the reference ---- */

static const char *
type_name(pd_cfg_type t)
{
	static const char *const names[] = { "string", "path", "integer", "boolean", "size",
	                                     "duration", "one of" };
	return names[t];
}

char *
pd_config_reference(void)
{
	GString *s = g_string_new("# Configuration reference\n\n"
	                          "<!-- Generated by `postdeskd --config-reference`; a test checks it. -->\n\n"
	                          "One INI file (`-c FILE`, else `$POSTDESK_CONFIG`, else "
	                          "`/etc/postdesk/postdesk.conf`; without one, every default applies). "
	                          "Relative paths are taken from the file's directory. "
	                          "Sizes take K, M, G; durations take ms, s, m, h, d. "
	                          "`postdeskd -n` checks a file and prints each problem as `file:line: key: problem`.\n");
	guint n;
	const pd_cfg_decl *d = pd_config_decls(&n);
	const char *group = NULL;
	for (guint i = 0; i < n; i++) {
		if (g_strcmp0(group, d[i].group) != 0) {
			group = d[i].group;
			g_string_append_printf(s, "\n## [%s]\n\n| key | type | default | bounds | meaning |\n"
			                       "|---|---|---|---|---|\n", strcmp(group, "source *") == 0 ? "source NAME" : group);
		}
		char *bounds;
		if (d[i].type == PD_CFG_ENUM) {
			char **c = g_strsplit(d[i].choices, "|", -1);
			bounds = g_strjoinv(", ", c);
			g_strfreev(c);
		} else if (d[i].type == PD_CFG_INT || d[i].type == PD_CFG_SIZE || d[i].type == PD_CFG_DURATION)
			bounds = g_strdup_printf("%" G_GINT64_FORMAT " – %" G_GINT64_FORMAT "%s", d[i].min, d[i].max,
			                         d[i].type == PD_CFG_SIZE ? " bytes" : d[i].type == PD_CFG_DURATION ? " ms" : "");
		else
			bounds = g_strdup("");
		g_string_append_printf(s, "| `%s` | %s | %s | %s | %s |\n", d[i].key, type_name(d[i].type),
		                       d[i].def != NULL ? d[i].def : "(none)", bounds, d[i].doc);
		g_free(bounds);
	}
	return g_string_free(s, FALSE);
}
