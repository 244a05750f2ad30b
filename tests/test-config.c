/* test-config.c: configuration loading: defaults, typed values, relative paths, overrides, problems. */
#include "config.h"
#include "config/conf.h"
#include "pd.h"

#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

static char *
write_conf(const char *text)
{
	GError *e = NULL;
	char *path = NULL;
	int fd = g_file_open_tmp("pd-conf-XXXXXX.conf", &path, &e);
	g_assert_no_error(e);
	close(fd);
	g_assert_true(g_file_set_contents(path, text, -1, NULL));
	return path;
}

static void
test_defaults(void)
{
	pd_config *cfg = pd_config_load(NULL, NULL);
	g_assert_nonnull(cfg);
	g_assert_cmpint(pd_config_int(cfg, "limits", "max_message_size"), ==, 25 * 1024 * 1024);
	g_assert_cmpint(pd_config_int(cfg, "store", "checkpoint_interval"), ==, 60000);
	g_assert_cmpint(pd_config_int(cfg, "ingest", "batch_size"), ==, 128);
	g_assert_true(pd_config_bool(cfg, "store", "log_auto_remove"));
	g_assert_cmpstr(pd_config_string(cfg, "ingest", "default_queue"), ==, "general");
	char *dir = pd_config_path_value(cfg, "store", "dir");
	g_assert_cmpstr(dir, ==, "/var/lib/postdesk");
	g_free(dir);
	char **sources = pd_config_groups(cfg, "source");
	g_assert_cmpuint(g_strv_length(sources), ==, 0);
	g_strfreev(sources);
	pd_config_free(&cfg);
	g_assert_null(cfg);
}

static void
test_values(void)
{
	char *path = write_conf("# comment\n[store]\ndir = state\ncache_size = 64M\ncheckpoint_interval = 2m\n"
	                        "log_auto_remove = no\n\n[limits]\nmax_message_size=512K\n"
	                        "[source one]\npath = /srv/mail/one\nqueue = billing\n"
	                        "[source two]\npath = two\n");
	GPtrArray *problems = g_ptr_array_new_with_free_func(g_free);
	pd_config *cfg = pd_config_load(path, problems);
	g_assert_cmpuint(problems->len, ==, 0);
	g_assert_nonnull(cfg);
	g_assert_cmpint(pd_config_int(cfg, "store", "cache_size"), ==, 64 * 1024 * 1024);
	g_assert_cmpint(pd_config_int(cfg, "store", "checkpoint_interval"), ==, 120000);
	g_assert_false(pd_config_bool(cfg, "store", "log_auto_remove"));
	g_assert_cmpint(pd_config_int(cfg, "limits", "max_message_size"), ==, 512 * 1024);
	/* Relative paths are taken from the config file's directory. */
	char *dir = pd_config_path_value(cfg, "store", "dir");
	char *confdir = g_path_get_dirname(path);
	char *expect = g_build_filename(confdir, "state", NULL);
	g_assert_cmpstr(dir, ==, expect);
	char **sources = pd_config_groups(cfg, "source");
	g_assert_cmpuint(g_strv_length(sources), ==, 2);
	g_assert_cmpstr(sources[0], ==, "one");
	g_assert_cmpstr(sources[1], ==, "two");
	g_assert_cmpstr(pd_config_string(cfg, "source one", "queue"), ==, "billing");
	g_assert_null(pd_config_string(cfg, "source two", "queue"));
	char *p1 = pd_config_path_value(cfg, "source one", "path");
	g_assert_cmpstr(p1, ==, "/srv/mail/one");
	g_strfreev(sources);
	g_free(p1);
	g_free(dir);
	g_free(confdir);
	g_free(expect);
	pd_config_free(&cfg);
	g_ptr_array_unref(problems);
	g_unlink(path);
	g_free(path);
}

static void
test_set_override(void)
{
	pd_config *cfg = pd_config_load(NULL, NULL);
	GError *e = NULL;
	g_assert_true(pd_config_set(cfg, "ingest", "batch_size", "8", &e));
	g_assert_cmpint(pd_config_int(cfg, "ingest", "batch_size"), ==, 8);
	g_assert_false(pd_config_set(cfg, "ingest", "batch_size", "0", &e));
	g_assert_error(e, PD_ERROR, PD_ERROR_CONFIG);
	g_assert_nonnull(strstr(e->message, "below the minimum 1"));
	g_clear_error(&e);
	g_assert_false(pd_config_set(cfg, "ingest", "nope", "1", &e));
	g_clear_error(&e);
	g_assert_cmpint(pd_config_int(cfg, "ingest", "batch_size"), ==, 8);
	pd_config_free(&cfg);
}

static void
test_problems(void)
{
	char *path = write_conf("[store]\ncache_size = 1K\n[ingest]\nbatch_size = many\nbogus = 1\n");
	GPtrArray *problems = g_ptr_array_new_with_free_func(g_free);
	pd_config *cfg = pd_config_load(path, problems);
	g_assert_null(cfg);
	g_assert_cmpuint(problems->len, ==, 3);
	char *want = g_strdup_printf("%s:2: store.cache_size: 1K is below the minimum 1048576", path);
	g_assert_cmpstr(problems->pdata[0], ==, want);
	g_free(want);
	g_assert_nonnull(g_strrstr(problems->pdata[1], ":4: ingest.batch_size: \"many\" is not a whole number"));
	g_assert_nonnull(g_strrstr(problems->pdata[2], ":5: ingest.bogus: unknown key"));
	g_ptr_array_unref(problems);
	g_unlink(path);
	g_free(path);
}

static void
test_durations_and_sizes(void)
{
	static const struct {
		const char *text;
		gint64 ms;
		gboolean ok;
	} cases[] = {
		{ "500ms", 500, TRUE }, { "30s", 30000, TRUE }, { "30", 30000, TRUE }, { "5m", 300000, TRUE },
		{ "2h", 7200000, TRUE }, { "1d", 86400000, TRUE }, { "99ms", 0, FALSE }, { "-5s", 0, FALSE },
		{ "5 fortnights", 0, FALSE }, { "", 0, FALSE },
	};
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		pd_config *cfg = pd_config_load(NULL, NULL);
		GError *e = NULL;
		gboolean ok = pd_config_set(cfg, "daemon", "poll_interval", cases[i].text, &e);
		g_assert_cmpint(ok, ==, cases[i].ok);
		if (ok)
			g_assert_cmpint(pd_config_int(cfg, "daemon", "poll_interval"), ==, cases[i].ms);
		g_clear_error(&e);
		pd_config_free(&cfg);
	}
}

static void
test_every_default_is_valid(void)
{
	/* A declaration whose default fails its own bounds would break every install. */
	guint n;
	const pd_cfg_decl *d = pd_config_decls(&n);
	pd_config *cfg = pd_config_load(NULL, NULL);
	for (guint i = 0; i < n; i++) {
		if (d[i].def == NULL)
			continue;
		const char *group = strcmp(d[i].group, "source *") == 0 ? "source x" : d[i].group;
		GError *e = NULL;
		gboolean ok = pd_config_set(cfg, group, d[i].key, d[i].def, &e);
		g_assert_no_error(e);
		g_assert_true(ok);
		g_assert_nonnull(d[i].doc);
	}
	pd_config_free(&cfg);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/config/defaults", test_defaults);
	g_test_add_func("/config/values", test_values);
	g_test_add_func("/config/set-override", test_set_override);
	g_test_add_func("/config/problems", test_problems);
	g_test_add_func("/config/durations-and-sizes", test_durations_and_sizes);
	g_test_add_func("/config/every-default-is-valid", test_every_default_is_valid);
	return g_test_run();
}
