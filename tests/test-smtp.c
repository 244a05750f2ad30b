/* test-smtp.c: the SMTP transport (src/notify/smtp.c) against the loopback sink tests/smtp-sink.py. */
#include "notify/smtp.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define PYTHON "/usr/bin/python3"

static char *sink_script;    /* tests/smtp-sink.py */
static char *skip_reason;    /* set when the sink cannot run here */
static char *run_dir;        /* everything this run writes; left behind only when a test fails */
static char *certs;          /* ca.pem, server.pem, server.key, other-ca.pem; NULL without openssl */

typedef struct {
	char *tmp;       /* this test's directory: the sink's files and its log */
	char *dir;       /* the sink's directory */
	GPid pid;        /* 0 when the sink is not running */
	guint port;
	char *url;
	pd_smtp *smtp;
} fixture;

/* ---- the sink ---- */

/* In the sink's child: log to a file (stdout carries TAP), and die with the
 * test program so an aborted test leaves no server behind. */
static void
sink_child_setup(gpointer log_path)
{
	int fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND, 0600);

	if (fd >= 0) {
		dup2(fd, 1);
		dup2(fd, 2);
		close(fd);
	}
	prctl(PR_SET_PDEATHSIG, SIGTERM);
}

static guint
wait_port(fixture *f)
{
	char *path = g_build_filename(f->dir, "port", NULL), *text = NULL;
	guint port = 0;

	for (int i = 0; i < 400 && port == 0; i++) {  /* 20 s: python starts in under a second */
		if (g_file_get_contents(path, &text, NULL, NULL))
			port = (guint)g_ascii_strtoull(text, NULL, 10);
		g_clear_pointer(&text, g_free);
		if (port == 0 && waitpid(f->pid, NULL, WNOHANG) == f->pid)
			break;  /* the sink died: its log says why */
		if (port == 0)
			g_usleep(50 * 1000);
	}
	g_free(path);
	return port;
}

/* Start the sink with extra arguments (NULL-terminated) on port (0: any). */
static void
sink_start(fixture *f, guint port, const char *const *extra)
{
	GPtrArray *argv = g_ptr_array_new_with_free_func(g_free);
	char *log = g_build_filename(f->tmp, "sink.log", NULL);
	GError *error = NULL;

	g_ptr_array_add(argv, g_strdup(PYTHON));
	g_ptr_array_add(argv, g_strdup(sink_script));
	g_ptr_array_add(argv, g_strdup("--dir"));
	g_ptr_array_add(argv, g_strdup(f->dir));
	g_ptr_array_add(argv, g_strdup("--port"));
	g_ptr_array_add(argv, g_strdup_printf("%u", port));
	for (guint i = 0; extra != NULL && extra[i] != NULL; i++)
		g_ptr_array_add(argv, g_strdup(extra[i]));
	g_ptr_array_add(argv, NULL);
	g_spawn_async(NULL, (char **)argv->pdata, NULL, G_SPAWN_DO_NOT_REAP_CHILD,
	              sink_child_setup, log, &f->pid, &error);
	g_assert_no_error(error);
	f->port = wait_port(f);
	if (f->port == 0)
		g_error("the sink did not start; see %s", log);
	g_free(f->url);
	f->url = g_strdup_printf("smtp://127.0.0.1:%u", f->port);
	g_free(log);
	g_ptr_array_unref(argv);
}

static void
sink_stop(fixture *f)
{
	if (f->pid == 0)
		return;
	kill(f->pid, SIGTERM);
	while (waitpid(f->pid, NULL, 0) < 0 && errno == EINTR)
		;
	g_spawn_close_pid(f->pid);
	f->pid = 0;
}

static void
sink_control(fixture *f, const char *text)
{
	char *path = g_build_filename(f->dir, "control", NULL);

	g_assert_true(g_file_set_contents(path, text, -1, NULL));
	g_free(path);
}

static char *
sink_file(fixture *f, const char *name)
{
	char *path = g_build_filename(f->dir, name, NULL), *text = NULL;

	g_file_get_contents(path, &text, NULL, NULL);
	g_free(path);
	return text;
}

static guint
sink_count(fixture *f)
{
	guint n = 0;

	for (;;) {
		char *name = g_strdup_printf("%u.eml", n + 1);
		char *path = g_build_filename(f->dir, "new", name, NULL);
		gboolean there = g_file_test(path, G_FILE_TEST_EXISTS);

		g_free(path);
		g_free(name);
		if (!there)
			return n;
		n++;
	}
}

/* The envelope of message n, as the sink wrote it. */
static JsonObject *
sink_envelope(fixture *f, guint n)
{
	char *name = g_strdup_printf("new/%u.json", n), *text = sink_file(f, name);
	JsonNode *node;
	JsonObject *o;

	g_assert_nonnull(text);
	node = json_from_string(text, NULL);
	g_assert_nonnull(node);
	o = json_object_ref(json_node_get_object(node));
	json_node_unref(node);
	g_free(text);
	g_free(name);
	return o;
}

/* The envelope's recipients, comma-separated. */
static char *
envelope_rcpts(JsonObject *o)
{
	JsonArray *a = json_object_get_array_member(o, "rcpt_tos");
	GString *s = g_string_new(NULL);

	for (guint i = 0; i < json_array_get_length(a); i++)
		g_string_append_printf(s, "%s%s", i ? "," : "", json_array_get_string_element(a, i));
	return g_string_free(s, FALSE);
}

/* ---- fixture ---- */

static void
fx_setup(fixture *f, gconstpointer unused)
{
	f->tmp = g_build_filename(run_dir, "test-XXXXXX", NULL);
	g_assert_nonnull(g_mkdtemp(f->tmp));
	f->dir = g_build_filename(f->tmp, "sink", NULL);
}

static void
rm_rf(const char *path)
{
	GDir *d = g_dir_open(path, 0, NULL);
	const char *name;

	while (d != NULL && (name = g_dir_read_name(d)) != NULL) {
		char *child = g_build_filename(path, name, NULL);
		if (g_file_test(child, G_FILE_TEST_IS_DIR) && !g_file_test(child, G_FILE_TEST_IS_SYMLINK))
			rm_rf(child);
		else
			unlink(child);
		g_free(child);
	}
	if (d != NULL)
		g_dir_close(d);
	rmdir(path);
}

static void
fx_teardown(fixture *f, gconstpointer unused)
{
	pd_smtp_free(&f->smtp);
	sink_stop(f);
	rm_rf(f->tmp);
	g_free(f->tmp);
	g_free(f->dir);
	g_free(f->url);
}

static gboolean
can_run(void)
{
	if (skip_reason != NULL)
		g_test_skip(skip_reason);
	return skip_reason == NULL;
}

static gboolean
can_run_tls(void)
{
	if (!can_run())
		return FALSE;
	if (certs == NULL)
		g_test_skip("openssl could not make test certificates");
	return certs != NULL;
}

static char *
cert(const char *name)
{
	return g_build_filename(certs, name, NULL);
}

/* Options for the running sink with short limits; tests change what they test. */
static pd_smtp_options
options(fixture *f)
{
	pd_smtp_options o = {
		.url = f->url, .helo = "postdesk.test", .tls = PD_SMTP_TLS_NONE, .verify = TRUE,
		.connect_timeout_ms = 3000, .response_timeout_ms = 5000, .total_timeout_ms = 15000,
	};
	return o;
}

/* The usual start: a plain sink and a client with options(); FALSE when
 * the sink cannot run here (the test then skips). */
static gboolean
plain_client(fixture *f)
{
	if (!can_run())
		return FALSE;
	sink_start(f, 0, NULL);
	pd_smtp_options o = options(f);
	f->smtp = pd_smtp_new(&o);
	return TRUE;
}

static pd_smtp_result *
send_to(fixture *f, const char *const *rcpts, const char *data)
{
	return pd_smtp_send(f->smtp, "desk@example.com", rcpts, data, strlen(data));
}

static const pd_smtp_rcpt_result *
rcpt(const pd_smtp_result *r, guint i)
{
	g_assert_cmpuint(i, <, r->rcpts->len);
	return g_ptr_array_index(r->rcpts, i);
}

static const char SIMPLE[] = "From: desk@example.com\r\nTo: a@example.com\r\nSubject: hi\r\n\r\nHello.\r\n";
static const char *const ONE[] = { "ok@example.com", NULL };

/* Send SIMPLE to ok@example.com with opts; the sink must be running. */
static pd_smtp_result *
send_simple(fixture *f, const pd_smtp_options *o)
{
	pd_smtp_free(&f->smtp);
	f->smtp = pd_smtp_new(o);
	return send_to(f, ONE, SIMPLE);
}

/* ---- line endings (no server) ---- */

static void
test_crlf(void)
{
	static const struct { const char *in, *out; } cases[] = {
		{ "a\r\nb\r\n", NULL },
		{ "", NULL },
		{ "a\nb\n", "a\r\nb\r\n" },
		{ "a\n.\nb", "a\r\n.\r\nb" },
		{ "a\rb\r", "a\r\nb\r\n" },
		{ "\n\r\n\r", "\r\n\r\n\r\n" },
		{ "a\r\n\nb\r\r\n", "a\r\n\r\nb\r\n\r\n" },
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		gsize len;
		char *out = pd_smtp_crlf(cases[i].in, strlen(cases[i].in), &len);

		g_assert_cmpstr(out, ==, cases[i].out);
		g_assert_cmpuint(len, ==, strlen(cases[i].out != NULL ? cases[i].out : cases[i].in));
		g_free(out);
	}
}

/* ---- what arrives ---- */

static void
test_exact_bytes(fixture *f, gconstpointer unused)
{
	static const char msg[] = "From: desk@example.com\r\nTo: a@example.com\r\nSubject: dots\r\n\r\n"
	                          "line one\r\n.\r\n..starts with two dots\r\n.x\r\n.\r\nlast\r\n";
	static const char *const to[] = { "a@example.com", "b@example.org", NULL };
	pd_smtp_result *r;
	JsonObject *env;
	char *eml, *rcpts;

	if (!plain_client(f))
		return;
	r = send_to(f, to, msg);
	g_assert_cmpint(r->status, ==, PD_SMTP_SENT);
	g_assert_cmpint(r->code, ==, 250);
	g_assert_true(g_str_has_prefix(r->reply, "250 2.0.0 Ok: queued as 1"));
	g_assert_cmpint(rcpt(r, 0)->status, ==, PD_SMTP_SENT);
	g_assert_cmpint(rcpt(r, 1)->status, ==, PD_SMTP_SENT);
	eml = sink_file(f, "new/1.eml");
	g_assert_cmpstr(eml, ==, msg);
	env = sink_envelope(f, 1);
	rcpts = envelope_rcpts(env);
	g_assert_cmpstr(json_object_get_string_member(env, "mail_from"), ==, "desk@example.com");
	g_assert_cmpstr(rcpts, ==, "a@example.com,b@example.org");
	g_assert_cmpstr(json_object_get_string_member(env, "helo"), ==, "postdesk.test");
	g_assert_false(json_object_get_boolean_member(env, "tls"));
	g_assert_true(json_object_get_null_member(env, "auth"));
	g_free(rcpts);
	json_object_unref(env);
	g_free(eml);
	pd_smtp_result_free(&r);
	g_assert_null(r);
}

/* Bare LF and CR become CRLF, so a lone "." line is stuffed and never ends DATA. */
static void
test_bare_lf(fixture *f, gconstpointer unused)
{
	static const char msg[] = "Subject: bare\n\nbefore\n.\nafter the dot\r.. two\nno final newline";
	static const char want[] = "Subject: bare\r\n\r\nbefore\r\n.\r\nafter the dot\r\n.. two\r\n"
	                           "no final newline\r\n";
	pd_smtp_result *r;
	char *eml;

	if (!plain_client(f))
		return;
	r = send_to(f, ONE, msg);
	g_assert_cmpint(r->status, ==, PD_SMTP_SENT);
	eml = sink_file(f, "new/1.eml");
	g_assert_cmpstr(eml, ==, want);  /* libcurl ends a message without a final CRLF with one */
	g_assert_cmpuint(sink_count(f), ==, 1);
	g_free(eml);
	pd_smtp_result_free(&r);
}

/* A message whose last line is a lone "." must not be taken for its end. */
static void
test_ends_with_dot(fixture *f, gconstpointer unused)
{
	static const char *const msgs[] = { "Subject: x\r\n\r\nbody\r\n.\r\n", "Subject: y\r\n\r\n.\r\n.\r\n",
	                                    "Subject: z\r\n\r\nbody\r\n." };
	static const char *const want[] = { msgs[0], msgs[1], "Subject: z\r\n\r\nbody\r\n.\r\n" };

	if (!plain_client(f))
		return;
	for (guint i = 0; i < G_N_ELEMENTS(msgs); i++) {
		pd_smtp_result *r = send_to(f, ONE, msgs[i]);
		char *name = g_strdup_printf("new/%u.eml", i + 1), *eml;

		g_assert_cmpint(r->status, ==, PD_SMTP_SENT);
		eml = sink_file(f, name);
		g_assert_cmpstr(eml, ==, want[i]);
		g_free(eml);
		g_free(name);
		pd_smtp_result_free(&r);
	}
}

static void
test_null_sender(fixture *f, gconstpointer unused)
{
	pd_smtp_result *r;
	JsonObject *env;

	if (!plain_client(f))
		return;
	r = pd_smtp_send(f->smtp, NULL, ONE, SIMPLE, strlen(SIMPLE));
	g_assert_cmpint(r->status, ==, PD_SMTP_SENT);
	env = sink_envelope(f, 1);
	g_assert_cmpstr(json_object_get_string_member(env, "mail_from"), ==, "<>");
	json_object_unref(env);
	pd_smtp_result_free(&r);
}

/* An address that would smuggle a second command is refused, the others go. */
static void
test_bad_address(fixture *f, gconstpointer unused)
{
	static const char *const to[] = { "evil@example.com>\r\nRCPT TO:<x@example.com", "", "ok@example.com",
	                                  NULL };
	static const char *const just_ok[] = { "ok@example.com", NULL };
	pd_smtp_result *r;
	JsonObject *env;
	char *rcpts;

	if (!plain_client(f))
		return;
	r = send_to(f, to, SIMPLE);
	g_assert_cmpint(r->status, ==, PD_SMTP_SENT);
	g_assert_cmpint(rcpt(r, 0)->status, ==, PD_SMTP_FAILED);
	g_assert_cmpstr(rcpt(r, 0)->reply, ==, "invalid recipient address");
	g_assert_cmpint(rcpt(r, 1)->status, ==, PD_SMTP_FAILED);
	g_assert_cmpint(rcpt(r, 2)->status, ==, PD_SMTP_SENT);
	env = sink_envelope(f, 1);
	rcpts = envelope_rcpts(env);
	g_assert_cmpstr(rcpts, ==, "ok@example.com");
	pd_smtp_result_free(&r);
	r = pd_smtp_send(f->smtp, "a@b>\r\nDATA", just_ok, SIMPLE, strlen(SIMPLE));
	g_assert_cmpint(r->status, ==, PD_SMTP_FAILED);
	g_assert_cmpstr(r->reply, ==, "invalid sender address");
	g_assert_cmpuint(sink_count(f), ==, 1);
	g_free(rcpts);
	json_object_unref(env);
	pd_smtp_result_free(&r);
}

/* ---- TLS ---- */

static void
test_starttls(fixture *f, gconstpointer unused)
{
	char *c = NULL, *k = NULL, *ca = NULL;
	pd_smtp_options o;
	pd_smtp_result *r;
	JsonObject *env;

	if (!can_run_tls())
		return;
	c = cert("server.pem"), k = cert("server.key"), ca = cert("ca.pem");
	sink_start(f, 0, (const char *const[]){ "--tls", c, k, NULL });
	o = options(f);
	o.tls = PD_SMTP_TLS_REQUIRED;
	o.ca_file = ca;
	r = send_simple(f, &o);
	g_assert_cmpint(r->status, ==, PD_SMTP_SENT);
	env = sink_envelope(f, 1);
	g_assert_true(json_object_get_boolean_member(env, "tls"));
	g_assert_cmpstr(json_object_get_string_member(env, "helo"), ==, "postdesk.test");
	json_object_unref(env);
	pd_smtp_result_free(&r);
	g_free(c), g_free(k), g_free(ca);
}

static void
test_implicit_tls(fixture *f, gconstpointer unused)
{
	char *c = NULL, *k = NULL, *ca = NULL;
	pd_smtp_options o;
	pd_smtp_result *r;
	JsonObject *env;

	if (!can_run_tls())
		return;
	c = cert("server.pem"), k = cert("server.key"), ca = cert("ca.pem");
	sink_start(f, 0, (const char *const[]){ "--tls", c, k, "--implicit-tls", NULL });
	g_free(f->url);
	f->url = g_strdup_printf("smtps://127.0.0.1:%u", f->port);
	o = options(f);
	o.ca_file = ca;
	r = send_simple(f, &o);
	g_assert_cmpint(r->status, ==, PD_SMTP_SENT);
	env = sink_envelope(f, 1);
	g_assert_true(json_object_get_boolean_member(env, "tls"));
	json_object_unref(env);
	pd_smtp_result_free(&r);
	g_free(c), g_free(k), g_free(ca);
}

/* A certificate that does not verify is a setting to fix, not a reason to drop mail. */
static void
test_wrong_ca(fixture *f, gconstpointer unused)
{
	char *c = NULL, *k = NULL, *ca = NULL;
	pd_smtp_options o;
	pd_smtp_result *r;

	if (!can_run_tls())
		return;
	c = cert("server.pem"), k = cert("server.key"), ca = cert("other-ca.pem");
	sink_start(f, 0, (const char *const[]){ "--tls", c, k, NULL });
	o = options(f);
	o.tls = PD_SMTP_TLS_OPTIONAL;  /* opportunistic TLS still refuses a bad certificate */
	o.ca_file = ca;
	r = send_simple(f, &o);
	g_assert_cmpint(r->status, ==, PD_SMTP_RETRY);
	g_assert_cmpint(rcpt(r, 0)->status, ==, PD_SMTP_RETRY);
	g_test_message("reply: %s", r->reply);
	g_assert_nonnull(strstr(r->reply, "certificate verification"));
	g_assert_cmpuint(sink_count(f), ==, 0);
	pd_smtp_result_free(&r);
	g_free(c), g_free(k), g_free(ca);
}

static void
test_tls_required_absent(fixture *f, gconstpointer unused)
{
	pd_smtp_options o;
	pd_smtp_result *r;

	if (!can_run())
		return;
	sink_start(f, 0, NULL);
	o = options(f);
	o.tls = PD_SMTP_TLS_REQUIRED;
	r = send_simple(f, &o);
	g_assert_cmpint(r->status, ==, PD_SMTP_RETRY);
	g_test_message("reply: %s", r->reply);
	g_assert_nonnull(strstr(r->reply, "does not offer STARTTLS"));
	g_assert_cmpuint(sink_count(f), ==, 0);
	pd_smtp_result_free(&r);
}

static void
test_tls_optional_absent(fixture *f, gconstpointer unused)
{
	pd_smtp_options o;
	pd_smtp_result *r;
	JsonObject *env;

	if (!can_run())
		return;
	sink_start(f, 0, NULL);
	o = options(f);
	o.tls = PD_SMTP_TLS_OPTIONAL;
	r = send_simple(f, &o);
	g_assert_cmpint(r->status, ==, PD_SMTP_SENT);
	env = sink_envelope(f, 1);
	g_assert_false(json_object_get_boolean_member(env, "tls"));
	json_object_unref(env);
	pd_smtp_result_free(&r);
}

/* ---- AUTH ---- */

static void
test_auth(fixture *f, gconstpointer unused)
{
	pd_smtp_options o;
	pd_smtp_result *r;
	JsonObject *env;

	if (!can_run())
		return;
	sink_start(f, 0, (const char *const[]){ "--auth", NULL });
	o = options(f);
	o.user = "tester", o.password = "secret";
	r = send_simple(f, &o);
	g_assert_cmpint(r->status, ==, PD_SMTP_SENT);
	env = sink_envelope(f, 1);
	g_assert_cmpstr(json_object_get_string_member(env, "auth"), ==, "tester");
	json_object_unref(env);
	pd_smtp_result_free(&r);
}

static void
test_auth_over_starttls(fixture *f, gconstpointer unused)
{
	char *c = NULL, *k = NULL, *ca = NULL;
	pd_smtp_options o;
	pd_smtp_result *r;
	JsonObject *env;

	if (!can_run_tls())
		return;
	c = cert("server.pem"), k = cert("server.key"), ca = cert("ca.pem");
	sink_start(f, 0, (const char *const[]){ "--tls", c, k, "--require-auth", NULL });
	o = options(f);
	o.tls = PD_SMTP_TLS_REQUIRED, o.ca_file = ca;
	o.user = "tester", o.password = "secret";
	r = send_simple(f, &o);
	g_assert_cmpint(r->status, ==, PD_SMTP_SENT);
	env = sink_envelope(f, 1);
	g_assert_true(json_object_get_boolean_member(env, "tls"));
	g_assert_cmpstr(json_object_get_string_member(env, "auth"), ==, "tester");
	json_object_unref(env);
	pd_smtp_result_free(&r);
	g_free(c), g_free(k), g_free(ca);
}

static void
test_auth_wrong_password(fixture *f, gconstpointer unused)
{
	pd_smtp_options o;
	pd_smtp_result *r;

	if (!can_run())
		return;
	sink_start(f, 0, (const char *const[]){ "--auth", NULL });
	o = options(f);
	o.user = "tester", o.password = "wrong";
	r = send_simple(f, &o);
	g_assert_cmpint(r->status, ==, PD_SMTP_RETRY);
	g_assert_cmpint(r->code, ==, 535);
	g_test_message("reply: %s", r->reply);
	g_assert_nonnull(strstr(r->reply, "535 5.7.8"));
	g_assert_nonnull(strstr(r->reply, "authentication as tester refused"));
	g_assert_cmpuint(sink_count(f), ==, 0);
	pd_smtp_result_free(&r);
}

/* A server that wants AUTH refuses MAIL with 530: a setting to fix, so retry. */
static void
test_auth_required_missing(fixture *f, gconstpointer unused)
{
	pd_smtp_options o;
	pd_smtp_result *r;

	if (!can_run())
		return;
	sink_start(f, 0, (const char *const[]){ "--require-auth", NULL });
	o = options(f);
	r = send_simple(f, &o);
	g_assert_cmpint(r->status, ==, PD_SMTP_RETRY);
	g_assert_cmpint(r->code, ==, 530);
	g_assert_true(g_str_has_prefix(r->reply, "530 5.7.0"));
	pd_smtp_result_free(&r);
}

/* Credentials set, but the server offers no AUTH: libcurl would go on
 * without it; the transport stops before any data goes out. */
static void
test_auth_not_offered(fixture *f, gconstpointer unused)
{
	pd_smtp_options o;
	pd_smtp_result *r;

	if (!can_run())
		return;
	sink_start(f, 0, NULL);
	o = options(f);
	o.user = "tester", o.password = "secret";
	r = send_simple(f, &o);
	g_assert_cmpint(r->status, ==, PD_SMTP_RETRY);
	g_test_message("reply: %s", r->reply);
	g_assert_nonnull(strstr(r->reply, "offers no AUTH"));
	g_assert_cmpuint(sink_count(f), ==, 0);
	pd_smtp_result_free(&r);
}

/* ---- the server away, slow or refusing ---- */

static void
test_down_then_up(fixture *f, gconstpointer unused)
{
	pd_smtp_options o;
	pd_smtp_result *r;
	guint port;

	if (!can_run())
		return;
	sink_start(f, 0, NULL);  /* to learn a free port */
	port = f->port;
	sink_stop(f);
	o = options(f);
	f->smtp = pd_smtp_new(&o);
	r = send_to(f, ONE, SIMPLE);
	g_assert_cmpint(r->status, ==, PD_SMTP_RETRY);
	g_assert_cmpint(rcpt(r, 0)->status, ==, PD_SMTP_RETRY);
	g_test_message("reply: %s", r->reply);
	g_assert_nonnull(strstr(r->reply, "cannot connect"));
	pd_smtp_result_free(&r);
	sink_start(f, port, NULL);
	r = send_to(f, ONE, SIMPLE);
	g_assert_cmpint(r->status, ==, PD_SMTP_SENT);
	g_assert_cmpuint(sink_count(f), ==, 1);
	pd_smtp_result_free(&r);
}

/* Reasons are stored and logged: a password in the URL stays out of them. */
static void
test_reason_hides_password(fixture *f, gconstpointer unused)
{
	pd_smtp_options o;
	pd_smtp_result *r;
	char *url;

	if (!can_run())
		return;
	sink_start(f, 0, NULL);
	sink_stop(f);
	url = g_strdup_printf("smtp://tester:hunter2@127.0.0.1:%u", f->port);
	o = options(f);
	o.url = url;
	r = send_simple(f, &o);
	g_test_message("reply: %s", r->reply);
	g_assert_cmpint(r->status, ==, PD_SMTP_RETRY);
	g_assert_null(strstr(r->reply, "hunter2"));
	g_assert_nonnull(strstr(r->reply, "smtp://127.0.0.1:"));
	pd_smtp_result_free(&r);
	g_free(url);
}

/* The server went away between two sends: the kept connection is dead, the next send opens another. */
static void
test_server_restart(fixture *f, gconstpointer unused)
{
	pd_smtp_options o;
	pd_smtp_result *r;
	guint port;

	if (!can_run())
		return;
	sink_start(f, 0, NULL);
	port = f->port;
	o = options(f);
	f->smtp = pd_smtp_new(&o);
	r = send_to(f, ONE, SIMPLE);
	g_assert_cmpint(r->status, ==, PD_SMTP_SENT);
	pd_smtp_result_free(&r);
	sink_stop(f);
	sink_start(f, port, NULL);
	r = send_to(f, ONE, SIMPLE);
	g_assert_cmpint(r->status, ==, PD_SMTP_SENT);
	g_assert_false(r->reused);
	g_assert_cmpuint(sink_count(f), ==, 2);
	pd_smtp_result_free(&r);
}

static void
test_greylist(fixture *f, gconstpointer unused)
{
	static const char *const to[] = { "greylist@example.com", NULL };
	pd_smtp_result *r;

	if (!plain_client(f))
		return;
	r = send_to(f, to, SIMPLE);
	g_assert_cmpint(r->status, ==, PD_SMTP_RETRY);
	g_assert_cmpint(r->code, ==, 451);
	g_assert_cmpstr(rcpt(r, 0)->reply, ==, "451 4.7.1 <greylist@example.com>: Greylisted, try again later");
	g_assert_cmpuint(sink_count(f), ==, 0);
	pd_smtp_result_free(&r);
	r = send_to(f, to, SIMPLE);
	g_assert_cmpint(r->status, ==, PD_SMTP_SENT);
	g_assert_cmpuint(sink_count(f), ==, 1);
	pd_smtp_result_free(&r);
}

static void
test_partial_reject(fixture *f, gconstpointer unused)
{
	static const char *const to[] = { "reject@example.com", "ok@example.com", NULL };
	pd_smtp_result *r;
	JsonObject *env;
	char *rcpts;

	if (!plain_client(f))
		return;
	r = send_to(f, to, SIMPLE);
	g_assert_cmpint(r->status, ==, PD_SMTP_SENT);
	g_assert_cmpstr(rcpt(r, 0)->address, ==, "reject@example.com");
	g_assert_cmpint(rcpt(r, 0)->status, ==, PD_SMTP_FAILED);
	g_assert_cmpint(rcpt(r, 0)->code, ==, 550);
	g_assert_cmpstr(rcpt(r, 0)->reply, ==, "550 5.1.1 <reject@example.com>: Recipient address rejected");
	g_assert_cmpint(rcpt(r, 1)->status, ==, PD_SMTP_SENT);
	g_assert_cmpint(rcpt(r, 1)->code, ==, 250);
	env = sink_envelope(f, 1);
	rcpts = envelope_rcpts(env);
	g_assert_cmpstr(rcpts, ==, "ok@example.com");
	g_free(rcpts);
	json_object_unref(env);
	pd_smtp_result_free(&r);
}

static void
test_mixed(fixture *f, gconstpointer unused)
{
	static const char *const to[] = { "ok1@example.com", "defer@example.com", "reject@example.com",
	                                  "ok2@example.com", NULL };
	pd_smtp_result *r;
	JsonObject *env;
	char *rcpts;

	if (!plain_client(f))
		return;
	r = send_to(f, to, SIMPLE);
	g_assert_cmpint(r->status, ==, PD_SMTP_RETRY);
	g_assert_cmpint(r->code, ==, 451);
	g_assert_cmpstr(r->reply, ==, "451 4.3.0 <defer@example.com>: Temporary lookup failure");
	g_assert_cmpint(rcpt(r, 0)->status, ==, PD_SMTP_SENT);
	g_assert_cmpint(rcpt(r, 1)->status, ==, PD_SMTP_RETRY);
	g_assert_cmpint(rcpt(r, 2)->status, ==, PD_SMTP_FAILED);
	g_assert_cmpint(rcpt(r, 3)->status, ==, PD_SMTP_SENT);
	env = sink_envelope(f, 1);
	rcpts = envelope_rcpts(env);
	g_assert_cmpstr(rcpts, ==, "ok1@example.com,ok2@example.com");
	g_free(rcpts);
	json_object_unref(env);
	pd_smtp_result_free(&r);
}

/* A multi-line reply becomes one line, its repeated enhanced code dropped. */
static void
test_multiline(fixture *f, gconstpointer unused)
{
	static const char *const to[] = { "long@example.com", "ok@example.com", NULL };
	pd_smtp_result *r;

	if (!plain_client(f))
		return;
	r = send_to(f, to, SIMPLE);
	g_assert_cmpint(r->status, ==, PD_SMTP_SENT);
	g_assert_cmpint(rcpt(r, 0)->status, ==, PD_SMTP_FAILED);
	g_assert_cmpint(rcpt(r, 0)->code, ==, 550);
	g_assert_cmpstr(rcpt(r, 0)->reply, ==, "550 5.1.1 The email account that you tried to reach does not exist. "
	                                       "Please check <long@example.com> for typos.");
	g_assert_cmpint(rcpt(r, 1)->status, ==, PD_SMTP_SENT);
	pd_smtp_result_free(&r);
}

/* MAIL FROM refused with 5xx: the whole message fails, for every recipient. */
static void
test_sender_refused(fixture *f, gconstpointer unused)
{
	static const char *const to[] = { "a@example.com", "b@example.com", NULL };
	pd_smtp_result *r;

	if (!plain_client(f))
		return;
	r = pd_smtp_send(f->smtp, "reject@example.com", to, SIMPLE, strlen(SIMPLE));
	g_assert_cmpint(r->status, ==, PD_SMTP_FAILED);
	g_assert_cmpint(r->code, ==, 553);
	g_assert_cmpstr(r->reply, ==, "553 5.7.1 <reject@example.com>: Sender address rejected");
	g_assert_cmpint(rcpt(r, 1)->status, ==, PD_SMTP_FAILED);
	g_assert_cmpstr(rcpt(r, 1)->reply, ==, r->reply);
	pd_smtp_result_free(&r);
	r = send_to(f, to, SIMPLE);
	g_assert_cmpint(r->status, ==, PD_SMTP_SENT);
	g_assert_cmpuint(sink_count(f), ==, 1);
	pd_smtp_result_free(&r);
}

/* Every recipient refused: libcurl gives up before DATA; the handle still works after. */
static void
test_all_rejected(fixture *f, gconstpointer unused)
{
	static const char *const to[] = { "reject1@example.com", "reject2@example.com", NULL };
	pd_smtp_result *r;

	if (!plain_client(f))
		return;
	r = send_to(f, to, SIMPLE);
	g_assert_cmpint(r->status, ==, PD_SMTP_FAILED);
	g_assert_cmpint(r->code, ==, 550);
	g_assert_cmpstr(rcpt(r, 1)->reply, ==, "550 5.1.1 <reject2@example.com>: Recipient address rejected");
	pd_smtp_result_free(&r);
	r = send_to(f, ONE, SIMPLE);
	g_assert_cmpint(r->status, ==, PD_SMTP_SENT);
	g_assert_cmpuint(sink_count(f), ==, 1);
	pd_smtp_result_free(&r);
}

static void
test_data_refused(fixture *f, gconstpointer unused)
{
	static const char *const to[] = { "a@example.com", "b@example.com", NULL };
	pd_smtp_options o;
	pd_smtp_result *r;

	if (!can_run())
		return;
	sink_start(f, 0, NULL);
	sink_control(f, "data 554\n");
	o = options(f);
	f->smtp = pd_smtp_new(&o);
	r = send_to(f, to, SIMPLE);
	g_assert_cmpint(r->status, ==, PD_SMTP_FAILED);
	g_assert_cmpint(r->code, ==, 554);
	g_assert_cmpstr(r->reply, ==, "554 5.6.0 Message rejected by policy");
	g_assert_cmpint(rcpt(r, 0)->status, ==, PD_SMTP_FAILED);
	g_assert_cmpstr(rcpt(r, 1)->reply, ==, "554 5.6.0 Message rejected by policy");
	pd_smtp_result_free(&r);
	sink_control(f, "data 451\n");
	r = send_to(f, to, SIMPLE);
	g_assert_cmpint(r->status, ==, PD_SMTP_RETRY);
	g_assert_cmpint(rcpt(r, 0)->code, ==, 451);
	g_assert_cmpint(rcpt(r, 1)->status, ==, PD_SMTP_RETRY);
	pd_smtp_result_free(&r);
	sink_control(f, "");
	r = send_to(f, to, SIMPLE);
	g_assert_cmpint(r->status, ==, PD_SMTP_SENT);
	g_assert_cmpuint(sink_count(f), ==, 1);
	pd_smtp_result_free(&r);
}

/* One connection carries several messages. */
static void
test_reuse(fixture *f, gconstpointer unused)
{
	char *connections;

	if (!plain_client(f))
		return;
	for (guint i = 1; i <= 3; i++) {
		pd_smtp_result *r = send_to(f, ONE, SIMPLE);
		JsonObject *env = sink_envelope(f, i);

		g_assert_cmpint(r->status, ==, PD_SMTP_SENT);
		g_assert_true(r->reused == (i > 1));
		g_assert_cmpint(json_object_get_int_member(env, "connection_id"), ==, 1);
		json_object_unref(env);
		pd_smtp_result_free(&r);
	}
	connections = sink_file(f, "connections");
	g_assert_cmpstr(connections, ==, "1\n");
	g_free(connections);
}

/* The server closes a kept connection as MAIL arrives (message limit, idle
 * timeout): nothing was accepted, so the same send goes again at once on a
 * fresh connection. */
static void
check_closed_at_mail(fixture *f, const char *control, guint per_connection, guint sends)
{
	pd_smtp_options o;
	char *connections, *want;

	if (!can_run())
		return;
	sink_start(f, 0, NULL);
	sink_control(f, control);
	o = options(f);
	f->smtp = pd_smtp_new(&o);
	for (guint i = 1; i <= sends; i++) {
		pd_smtp_result *r = send_to(f, ONE, SIMPLE);

		g_test_message("send %u: %s %s", i, pd_smtp_status_name(r->status), r->reply);
		g_assert_cmpint(r->status, ==, PD_SMTP_SENT);
		g_assert_true(r->reused == ((i - 1) % per_connection != 0));
		pd_smtp_result_free(&r);
	}
	g_assert_cmpuint(sink_count(f), ==, sends);
	connections = sink_file(f, "connections");
	want = g_strdup_printf("%u\n", (sends + per_connection - 1) / per_connection);
	g_assert_cmpstr(connections, ==, want);
	g_free(want);
	g_free(connections);
}

static void
test_closed_421(fixture *f, gconstpointer unused)
{
	check_closed_at_mail(f, "max-messages 1\n", 1, 3);
}

static void
test_closed_silently(fixture *f, gconstpointer unused)
{
	check_closed_at_mail(f, "drop-after 2\n", 2, 5);
}

/* A server that never answers costs at most the configured time. */
static void
check_hang(fixture *f, const char *control, const char *waiting_for)
{
	pd_smtp_options o;
	pd_smtp_result *r;
	gint64 start;
	double took;

	if (!can_run())
		return;
	sink_start(f, 0, NULL);
	sink_control(f, control);
	o = options(f);
	o.response_timeout_ms = 1000, o.total_timeout_ms = 4000;
	f->smtp = pd_smtp_new(&o);
	start = g_get_monotonic_time();
	r = send_to(f, ONE, SIMPLE);
	took = (double)(g_get_monotonic_time() - start) / G_USEC_PER_SEC;
	g_test_message("took %.2f s; reply: %s", took, r->reply);
	g_assert_cmpint(r->status, ==, PD_SMTP_RETRY);
	g_assert_nonnull(strstr(r->reply, "timeout waiting for"));
	g_assert_nonnull(strstr(r->reply, waiting_for));
	g_assert_cmpfloat(took, >=, 0.9);
	g_assert_cmpfloat(took, <, 4.5);
	pd_smtp_result_free(&r);
}

static void
test_timeout_greeting(fixture *f, gconstpointer unused)
{
	check_hang(f, "hang greeting\n", "greeting");
}

static void
test_timeout_data(fixture *f, gconstpointer unused)
{
	check_hang(f, "hang data\n", "end of the message");
}

/* ---- setup ---- */

/* A CA, a server certificate for 127.0.0.1 and localhost signed by it, and an unrelated CA. */
static char *
make_certs(void)
{
	static const char script[] =
		"set -e; cd \"$1\"; k='-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes'\n"
		"openssl req -x509 $k -keyout ca.key -out ca.pem -days 2 -subj /CN=postdesk-test-ca\n"
		"openssl req -x509 $k -keyout other-ca.key -out other-ca.pem -days 2 -subj /CN=postdesk-other-ca\n"
		"openssl req $k -keyout server.key -out server.csr -subj /CN=localhost\n"
		"printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\nbasicConstraints=CA:FALSE\\n' > ext\n"
		"openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 "
		"-extfile ext -out server.pem\n";
	char *dir = g_build_filename(run_dir, "certs", NULL);
	const char *argv[] = { "/bin/sh", "-c", script, "sh", dir, NULL };
	GSpawnFlags quiet = G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL;
	int status = -1;

	if (g_mkdir(dir, 0700) == 0 &&
	    g_spawn_sync(NULL, (char **)argv, NULL, quiet, NULL, NULL, NULL, NULL, &status, NULL) &&
	    g_spawn_check_wait_status(status, NULL))
		return dir;
	rm_rf(dir);
	g_free(dir);
	return NULL;
}

static char *
find_sink(void)
{
	const char *top = g_getenv("top_srcdir");

	if (top != NULL)
		return g_build_filename(top, "tests", "smtp-sink.py", NULL);
	return g_test_build_filename(G_TEST_DIST, "smtp-sink.py", NULL);
}

static char *
check_sink(void)
{
	const char *argv[] = { PYTHON, "-c", "import aiosmtpd", NULL };
	int status = -1;

	if (!g_file_test(sink_script, G_FILE_TEST_EXISTS))
		return g_strdup_printf("%s not found", sink_script);
	if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
	                  NULL, NULL, NULL, NULL, &status, NULL) || !g_spawn_check_wait_status(status, NULL))
		return g_strdup(PYTHON " has no aiosmtpd (apt-get install python3-aiosmtpd)");
	return NULL;
}

#define ADD(path, fn) g_test_add(path, fixture, NULL, fx_setup, fn, fx_teardown)

int
main(int argc, char **argv)
{
	int rc;

	g_test_init(&argc, &argv, NULL);
	run_dir = g_dir_make_tmp("pd-test-smtp-XXXXXX", NULL);
	g_assert_nonnull(run_dir);
	g_test_message("files in %s", run_dir);
	sink_script = find_sink();
	skip_reason = check_sink();
	certs = skip_reason == NULL ? make_certs() : NULL;
	g_test_add_func("/smtp/crlf", test_crlf);
	ADD("/smtp/exact-bytes", test_exact_bytes);
	ADD("/smtp/bare-lf", test_bare_lf);
	ADD("/smtp/ends-with-dot", test_ends_with_dot);
	ADD("/smtp/null-sender", test_null_sender);
	ADD("/smtp/bad-address", test_bad_address);
	ADD("/smtp/tls/starttls", test_starttls);
	ADD("/smtp/tls/implicit", test_implicit_tls);
	ADD("/smtp/tls/wrong-ca", test_wrong_ca);
	ADD("/smtp/tls/required-absent", test_tls_required_absent);
	ADD("/smtp/tls/optional-absent", test_tls_optional_absent);
	ADD("/smtp/auth/plain", test_auth);
	ADD("/smtp/auth/over-starttls", test_auth_over_starttls);
	ADD("/smtp/auth/wrong-password", test_auth_wrong_password);
	ADD("/smtp/auth/required-missing", test_auth_required_missing);
	ADD("/smtp/auth/not-offered", test_auth_not_offered);
	ADD("/smtp/down-then-up", test_down_then_up);
	ADD("/smtp/server-restart", test_server_restart);
	ADD("/smtp/reason-hides-password", test_reason_hides_password);
	ADD("/smtp/rcpt/greylist", test_greylist);
	ADD("/smtp/rcpt/partial-reject", test_partial_reject);
	ADD("/smtp/rcpt/mixed", test_mixed);
	ADD("/smtp/rcpt/all-rejected", test_all_rejected);
	ADD("/smtp/rcpt/multiline-reply", test_multiline);
	ADD("/smtp/sender-refused", test_sender_refused);
	ADD("/smtp/data-refused", test_data_refused);
	ADD("/smtp/reuse", test_reuse);
	ADD("/smtp/reuse/closed-with-421", test_closed_421);
	ADD("/smtp/reuse/closed-silently", test_closed_silently);
	ADD("/smtp/timeout/greeting", test_timeout_greeting);
	ADD("/smtp/timeout/data", test_timeout_data);
	rc = g_test_run();
	rm_rf(run_dir);  /* not reached when a test fails: its sink.log is kept there */
	g_free(run_dir);
	g_free(certs);
	g_free(skip_reason);
	g_free(sink_script);
	return rc;
}
