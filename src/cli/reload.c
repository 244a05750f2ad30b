/* reload.c: `postdesk reload`: check the configuration and rules, then ask the running daemon to reload them. */
#include "config.h"
#include "cli.h"
#include "rules/rules.h"
#include "pd.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/file.h>
#include <unistd.h>

/* The pid of the daemon that holds store.dir/postdeskd.lock, or 0. */
static pid_t
daemon_pid(const pd_config *cfg, char **why_r)
{
	char *dir = pd_config_path_value(cfg, "store", "dir");
	char *path = g_build_filename(dir, "postdeskd.lock", NULL);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	pid_t pid = 0;
	if (fd < 0)
		*why_r = g_strdup_printf("no postdeskd has run with the state directory %s", dir);
	else if (flock(fd, LOCK_SH | LOCK_NB) == 0)
		*why_r = g_strdup_printf("no postdeskd is running with the state directory %s", dir);
	else {
		char buf[32] = "";
		ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
		buf[n > 0 ? n : 0] = '\0';
		pid = (pid_t)g_ascii_strtoll(buf, NULL, 10);
		if (pid <= 0)
			*why_r = g_strdup_printf("%s holds no pid", path);
	}
	if (fd >= 0)
		close(fd);
	g_free(path);
	g_free(dir);
	return pid > 0 ? pid : 0;
}

/* The same checks the daemon makes, so problems are shown here and now. */
static gboolean
rules_ok(const pd_config *cfg)
{
	char *dir = pd_config_path_value(cfg, "rules", "dir");
	gboolean ok = TRUE;
	if (g_file_test(dir, G_FILE_TEST_IS_DIR)) {
		GError *e = NULL;
		GPtrArray *warnings = g_ptr_array_new_with_free_func(g_free);
		pd_ruleset *rs = pd_ruleset_load(dir, NULL, warnings, &e);
		for (guint i = 0; i < warnings->len; i++)
			fprintf(stderr, "%s\n", (char *)warnings->pdata[i]);
		if (rs == NULL) {
			fprintf(stderr, "%s\n", e->message);
			g_error_free(e);
			ok = FALSE;
		}
		pd_ruleset_free(&rs);
		g_ptr_array_unref(warnings);
	}
	g_free(dir);
	return ok;
}

int
pd_cli_reload(pd_cli *cli)
{
	GOptionEntry entries[] = { { NULL } };
	if (!pd_cli_parse(cli, "", "Check the configuration, rules and templates, then tell the running daemon to\n"
	                  "reload them (SIGHUP). A broken set is refused and the one in force stays.", entries))
		return PD_CLI_USAGE;
	pd_config *cfg = pd_app_load_config(cli->config_path);
	if (cfg == NULL || !rules_ok(cfg)) {
		fprintf(stderr, "postdesk reload: not reloading: fix the problems above first\n");
		pd_config_free(&cfg);
		return PD_CLI_FAIL;
	}
	char *why = NULL;
	pid_t pid = daemon_pid(cfg, &why);
	int rc = PD_CLI_OK;
	if (pid == 0) {
		fprintf(stderr, "postdesk reload: %s\n", why);
		rc = PD_CLI_FAIL;
	} else if (kill(pid, SIGHUP) != 0) {
		fprintf(stderr, "postdesk reload: cannot signal postdeskd (pid %d): %s\n", (int)pid, g_strerror(errno));
		rc = PD_CLI_FAIL;
	} else
		printf("asked postdeskd (pid %d) to reload; it logs whether the new set was taken\n", (int)pid);
	g_free(why);
	pd_config_free(&cfg);
	return rc;
}
