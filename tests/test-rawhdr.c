/* test-rawhdr.c: reading one header field from a raw header block: folding, case, order, the end of headers. */
#include "config.h"
#include "command/rawhdr.h"

#include <string.h>

static void
test_values(void)
{
	const char *raw = "Received: from a\r\n"
	                  "Authentication-Results: mx.example.com;\r\n"
	                  "\tdkim=pass header.d=example.org\r\n"
	                  "Subject: x\r\n"
	                  "authentication-results: other.example; spf=fail\r\n"
	                  "\r\n"
	                  "Authentication-Results: body.example; dkim=pass\r\n";
	char **v = pd_raw_header_values(raw, strlen(raw), "Authentication-Results", 65536);
	g_assert_cmpuint(g_strv_length(v), ==, 2);
	g_assert_cmpstr(v[0], ==, "mx.example.com; \tdkim=pass header.d=example.org");
	g_assert_cmpstr(v[1], ==, "other.example; spf=fail");
	g_strfreev(v);
	/* A field whose name only starts the same is another field. */
	v = pd_raw_header_values("Authentication-Results-X: a\n\n", 29, "Authentication-Results", 65536);
	g_assert_cmpuint(g_strv_length(v), ==, 0);
	g_strfreev(v);
}

static void
test_limits(void)
{
	/* No end of headers, a cut in the middle, an empty value, a bare LF. */
	const char *raw = "A: 1\nB:\nA: 2\n folded\nA: 3";
	char **v = pd_raw_header_values(raw, strlen(raw), "A", 65536);
	g_assert_cmpuint(g_strv_length(v), ==, 3);
	g_assert_cmpstr(v[1], ==, "2  folded");
	g_assert_cmpstr(v[2], ==, "3");
	g_strfreev(v);
	v = pd_raw_header_values(raw, strlen(raw), "B", 65536);
	g_assert_cmpstr(v[0], ==, "");
	g_strfreev(v);
	v = pd_raw_header_values(raw, strlen(raw), "A", 6);  /* only "A: 1\nB" is read */
	g_assert_cmpuint(g_strv_length(v), ==, 1);
	g_strfreev(v);
	v = pd_raw_header_values_file("/nonexistent/file", "A", 100);
	g_assert_cmpuint(g_strv_length(v), ==, 0);
	g_strfreev(v);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/rawhdr/values", test_values);
	g_test_add_func("/rawhdr/limits", test_limits);
	return g_test_run();
}
