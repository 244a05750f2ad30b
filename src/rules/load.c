/* load.c: the .rules files of a directory read whole (or not at all), compiled into one set, refcounted for the reload swap. */
#include "config.h"
#include "rules-private.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

G_DEFINE_QUARK(pd-rules-error-quark, pd_rules_error)

void (*pd_rules_read_hook)(const char *path, int fd);

void
pd_rules_limits_resolve(const pd_rules_limits *in, pd_rules_limits *out)
{
	pd_rules_limits zero = { 0 };
	const pd_rules_limits *l = in != NULL ? in : &zero;

	out->max_file_size = l->max_file_size ? l->max_file_size : PD_RULES_DEF_MAX_FILE;
	out->max_pattern_length = l->max_pattern_length ? l->max_pattern_length : PD_RULES_DEF_MAX_PATTERN;
	out->match_limit = l->match_limit ? l->match_limit : PD_RULES_DEF_MATCH_LIMIT;
	out->regex_time_us = l->regex_time_us ? l->regex_time_us : PD_RULES_DEF_REGEX_US;
	out->message_time_us = l->message_time_us ? l->message_time_us : PD_RULES_DEF_MESSAGE_US;
	out->jit_stack_max = l->jit_stack_max ? l->jit_stack_max : PD_RULES_DEF_JIT_STACK;
}

/* ---- one file, whole ---- */

static gboolean
file_error(GError **error, const char *path, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

static gboolean
file_error(GError **error, const char *path, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_set_error(error, PD_RULES_ERROR, PD_RULES_ERROR_FILE, "%s: %s", path, msg);
	g_free(msg);
	return FALSE;
}

/* Size and modification time; not the change time, which moves when a
 * rename replaces the file (the link count drops) though its bytes stay. */
static gboolean
same_file_state(const struct stat *a, const struct stat *b)
{
	return a->st_size == b->st_size && a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	       a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/* Read fd to the end, one byte past the expected size to notice growth. */
static gssize
read_all(int fd, char *buf, gsize want)
{
	gsize got = 0;
	while (got < want) {
		gssize n = read(fd, buf + got, want - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		got += (gsize)n;
	}
	return (gssize)got;
}

/* The same bytes again from the start: file times tick coarsely (a few
 * milliseconds), so a rewrite to the same size within one tick leaves
 * size and times alone; two reads that agree are one version. */
static gboolean
reads_again(int fd, const char *buf, gsize size)
{
	char *again = g_malloc(size + 1);
	gboolean same = lseek(fd, 0, SEEK_SET) == 0 && read_all(fd, again, size + 1) == (gssize)size &&
	                memcmp(buf, again, size) == 0;
	g_free(again);
	return same;
}

/* Open once, fstat, read everything, and check that the file did not
 * change meanwhile: an editor or deploy that rewrites the file in place
 * gives "changed while it was read", never half a file. A file replaced
 * by rename is read whole: this descriptor keeps the old one. */
static GBytes *
read_whole(const char *path, gsize max, GError **error)
{
	struct stat before, after;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	if (fd < 0)
		return file_error(error, path, "%s", g_strerror(errno)), NULL;
	if (fstat(fd, &before) != 0 || !S_ISREG(before.st_mode)) {
		close(fd);
		return file_error(error, path, "not a regular file"), NULL;
	}
	if ((guint64)before.st_size > max) {
		close(fd);
		return file_error(error, path, "the file is %" G_GUINT64_FORMAT " bytes; the limit is %" G_GSIZE_FORMAT,
		                  (guint64)before.st_size, max), NULL;
	}
	if (pd_rules_read_hook != NULL)
		pd_rules_read_hook(path, fd);
	gsize size = (gsize)before.st_size;
	char *buf = g_malloc(size + 1);
	gssize got = read_all(fd, buf, size + 1);
	int saved = errno;
	gboolean stable = got == (gssize)size && reads_again(fd, buf, size) && fstat(fd, &after) == 0 &&
	                  same_file_state(&before, &after);
	close(fd);
	if (got < 0 || !stable) {
		g_free(buf);
		return file_error(error, path, got < 0 ? "%s" : "the file changed while it was read; nothing was loaded%s",
		                  got < 0 ? g_strerror(saved) : ""), NULL;
	}
	return g_bytes_new_take(buf, size);
}

/* Rule files are text: UTF-8 without NUL or other control characters. */
static gboolean
check_text(const char *path, GBytes *bytes, GError **error)
{
	gsize len;
	const char *text = g_bytes_get_data(bytes, &len), *bad = NULL;
	const char *what = "not UTF-8 text";

	if (text == NULL)
		return TRUE;
	if (!g_utf8_validate_len(text, len, &bad)) {
		if (memchr(text, '\0', len) != NULL) {
			bad = memchr(text, '\0', len);
			what = "a binary file (a NUL byte)";
		}
	} else {
		bad = NULL;  /* validation pointed it at the end */
		for (gsize i = 0; i < len && bad == NULL; i++) {
			guchar c = (guchar)text[i];
			if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != '\v') || c == 0x7f)
				bad = text + i;
		}
		what = "a control character: not a text file";
	}
	if (bad == NULL)
		return TRUE;
	guint line = 1;
	for (const char *p = text; p < bad; p++)
		line += *p == '\n';
	return file_error(error, path, "line %u: %s; nothing was loaded", line, what);
}

/* ---- the set ---- */

pd_ruleset *
pd_ruleset_ref(pd_ruleset *rs)
{
	g_atomic_int_inc(&rs->refcount);
	return rs;
}

void
pd_ruleset_unref(pd_ruleset *rs)
{
	if (rs == NULL || !g_atomic_int_dec_and_test(&rs->refcount))
		return;
	g_ptr_array_unref(rs->rules);
	g_ptr_array_unref(rs->leaves);
	g_ptr_array_unref(rs->headers);
	g_ptr_array_unref(rs->files);
	pd_ac_free(&rs->ac);
	g_free(rs->use_start);
	g_free(rs->uses);
	g_free(rs->always);
	g_free(rs->scan_slots);
	g_free(rs);
}

void
pd_ruleset_free(pd_ruleset **rs)
{
	if (rs == NULL)
		return;
	pd_ruleset_unref(*rs);
	*rs = NULL;
}

guint pd_ruleset_count(const pd_ruleset *rs) { return rs->rules->len; }
guint pd_ruleset_file_count(const pd_ruleset *rs) { return rs->files->len; }

char *
pd_ruleset_limit_report(const pd_ruleset *rs)
{
	GString *out = g_string_new(NULL);

	for (guint i = 0; i < rs->rules->len; i++) {
		pd_rrule *r = rs->rules->pdata[i];
		int n = g_atomic_int_get(&r->limit_hits);
		if (n > 0)
			g_string_append_printf(out, "rule \"%s\" (%s:%u): %d time%s\n", r->name, r->pos.file, r->pos.line, n,
			                       n == 1 ? "" : "s");
	}
	return out->len > 0 ? g_string_free(out, FALSE) : (g_string_free(out, TRUE), NULL);
}

static pd_ruleset *
ruleset_new(const pd_rules_options *options)
{
	pd_ruleset *rs = g_new0(pd_ruleset, 1);
	rs->refcount = 1;
	pd_rules_limits_resolve(options != NULL ? &options->limits : NULL, &rs->limits);
	rs->files = g_ptr_array_new_with_free_func(g_free);
	rs->rules = g_ptr_array_new_with_free_func((GDestroyNotify)pd_rrule_free);
	rs->leaves = g_ptr_array_new_with_free_func((GDestroyNotify)pd_rleaf_free);
	rs->headers = g_ptr_array_new_with_free_func(g_free);
	return rs;
}

static void
refuse(GError **error, pd_rules_error_code code, GPtrArray *errors)
{
	GString *msg = g_string_new(NULL);
	for (guint i = 0; i < errors->len; i++)
		g_string_append_printf(msg, "%s%s", i > 0 ? "\n" : "", (char *)errors->pdata[i]);
	if (errors->len >= PD_RULES_MAX_ERRORS)
		g_string_append_printf(msg, "\n(stopped after %u errors)", errors->len);
	g_set_error_literal(error, PD_RULES_ERROR, code, msg->str);
	g_string_free(msg, TRUE);
}

/* Parse and check every file (names and texts in order) into one set. */
static pd_ruleset *
build(GPtrArray *names, GPtrArray *texts, const pd_rules_options *options, GPtrArray *warnings, GError **error)
{
	pd_ruleset *rs = ruleset_new(options);
	GHashTable *rule_names = g_hash_table_new(g_str_hash, g_str_equal);
	GHashTable *by_file = g_hash_table_new(g_str_hash, g_str_equal);
	GPtrArray *errors = g_ptr_array_new_with_free_func(g_free);

	for (guint i = 0; i < names->len && errors->len < PD_RULES_MAX_ERRORS; i++) {
		gsize len;
		const char *text = g_bytes_get_data(texts->pdata[i], &len);
		if (text == NULL)
			text = "";  /* an empty GBytes has no data pointer */
		g_ptr_array_add(rs->files, g_strdup(names->pdata[i]));
		g_hash_table_insert(by_file, rs->files->pdata[i], texts->pdata[i]);
		pd_rules_parse(rs, rs->files->pdata[i], text, len, rule_names, errors);
	}
	if (errors->len == 0)
		pd_rules_check(rs, options != NULL ? &options->known : NULL, by_file, warnings);
	if (errors->len > 0) {
		refuse(error, PD_RULES_ERROR_SYNTAX, errors);
		pd_ruleset_free(&rs);
	}
	g_ptr_array_unref(errors);
	g_hash_table_unref(by_file);
	g_hash_table_unref(rule_names);
	return rs;
}

pd_ruleset *
pd_ruleset_compile(const char *name, const char *text, gsize len, const pd_rules_options *options,
                   GPtrArray *warnings, GError **error)
{
	GPtrArray *names = g_ptr_array_new(), *texts = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
	GBytes *bytes = g_bytes_new(text, len);
	pd_ruleset *rs = NULL;

	g_ptr_array_add(names, (gpointer)name);
	g_ptr_array_add(texts, bytes);
	if (check_text(name, bytes, error))
		rs = build(names, texts, options, warnings, error);
	g_ptr_array_unref(names);
	g_ptr_array_unref(texts);
	return rs;
}

static int
compare_names(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The *.rules files of dir, sorted; dot files (editor droppings) skipped. */
static GPtrArray *
list_files(const char *dir, GError **error)
{
	GError *e = NULL;
	GDir *d = g_dir_open(dir, 0, &e);
	if (d == NULL) {
		g_set_error(error, PD_RULES_ERROR, PD_RULES_ERROR_FILE, "cannot read the rules directory: %s", e->message);
		g_error_free(e);
		return NULL;
	}
	GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
	for (const char *n; (n = g_dir_read_name(d)) != NULL;)
		if (n[0] != '.' && g_str_has_suffix(n, ".rules"))
			g_ptr_array_add(names, g_strdup(n));
	g_dir_close(d);
	g_ptr_array_sort(names, compare_names);
	return names;
}

pd_ruleset *
pd_ruleset_load(const char *dir, const pd_rules_options *options, GPtrArray *warnings, GError **error)
{
	pd_rules_limits limits;
	GPtrArray *names = list_files(dir, error), *paths, *texts;
	pd_ruleset *rs = NULL;

	if (names == NULL)
		return NULL;
	pd_rules_limits_resolve(options != NULL ? &options->limits : NULL, &limits);
	paths = g_ptr_array_new_with_free_func(g_free);
	texts = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
	gboolean ok = TRUE;
	for (guint i = 0; i < names->len && ok; i++) {
		char *path = g_build_filename(dir, names->pdata[i], NULL);
		GBytes *b = read_whole(path, limits.max_file_size, error);
		ok = b != NULL && check_text(path, b, error);
		g_ptr_array_add(paths, path);
		g_ptr_array_add(texts, b != NULL ? b : g_bytes_new(NULL, 0));
	}
	if (ok) {
		rs = build(paths, texts, options, warnings, error);
		if (rs != NULL && rs->rules->len == 0 && warnings != NULL)
			g_ptr_array_add(warnings, g_strdup_printf("%s: warning: no rules (no *.rules file has a rule); every "
			                                          "mail goes to its source's queue", dir));
	}
	g_ptr_array_unref(texts);
	g_ptr_array_unref(paths);
	g_ptr_array_unref(names);
	return rs;
}
