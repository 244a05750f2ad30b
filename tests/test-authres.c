/* test-authres.c: Authentication-Results parsing (RFC 8601 examples, comments, quoting, garbage) and the From decision. */
#include "config.h"
#include "command/authres.h"

#include <string.h>

static const pd_authres_result *
result(const pd_authres *ar, guint i)
{
	g_assert_cmpuint(i, <, ar->results->len);
	return g_ptr_array_index(ar->results, i);
}

/* Result i is method=res with the given "name=value" properties, in order. */
static void
assert_result(const pd_authres *ar, guint i, const char *method, const char *res, const char *reason, ...)
{
	const pd_authres_result *r = result(ar, i);
	g_assert_cmpstr(r->method, ==, method);
	g_assert_cmpstr(r->result, ==, res);
	g_assert_cmpstr(r->reason, ==, reason);
	va_list ap;
	va_start(ap, reason);
	guint n = 0;
	for (const char *want; (want = va_arg(ap, const char *)) != NULL; n++) {
		g_assert_cmpuint(n, <, r->properties->len);
		const pd_authres_property *p = g_ptr_array_index(r->properties, n);
		char *got = g_strconcat(p->name, "=", p->value, NULL);
		g_assert_cmpstr(got, ==, want);
		g_free(got);
	}
	va_end(ap);
	g_assert_cmpuint(r->properties->len, ==, n);
}

static pd_authres *
parse_ok(const char *value, const char *id, guint n_results)
{
	pd_authres *ar = pd_authres_parse(value);
	g_assert_nonnull(ar);
	g_assert_cmpstr(ar->authserv_id, ==, id);
	g_assert_true(ar->complete);
	g_assert_cmpuint(ar->results->len, ==, n_results);
	return ar;
}

/* RFC 8601 Appendix B, B.2 to B.7, as the fields appear (folded). */
static void
test_rfc_examples(void)
{
	pd_authres *ar = parse_ok("example.org 1; none", "example.org", 0);
	g_assert_true(ar->none);
	g_assert_cmpuint(ar->version, ==, 1);
	pd_authres_free(&ar);
	g_assert_null(ar);

	ar = parse_ok("example.com;\r\n          spf=pass smtp.mailfrom=example.net", "example.com", 1);
	g_assert_false(ar->none);
	assert_result(ar, 0, "spf", "pass", NULL, "smtp.mailfrom=example.net", NULL);
	pd_authres_free(&ar);

	ar = parse_ok("example.com;\n          auth=pass (cram-md5) smtp.auth=sender@example.net;\n"
	              "          spf=pass smtp.mailfrom=example.net", "example.com", 2);
	assert_result(ar, 0, "auth", "pass", NULL, "smtp.auth=sender@example.net", NULL);
	assert_result(ar, 1, "spf", "pass", NULL, "smtp.mailfrom=example.net", NULL);
	pd_authres_free(&ar);
	ar = parse_ok("example.com; iprev=pass\n          policy.iprev=192.0.2.200", "example.com", 1);
	assert_result(ar, 0, "iprev", "pass", NULL, "policy.iprev=192.0.2.200", NULL);
	pd_authres_free(&ar);

	ar = parse_ok("example.com;\n          dkim=pass (good signature) header.d=example.com", "example.com", 1);
	assert_result(ar, 0, "dkim", "pass", NULL, "header.d=example.com", NULL);
	pd_authres_free(&ar);
	ar = parse_ok("example.com;\n          auth=pass (cram-md5) smtp.auth=sender@example.com;\n"
	              "          spf=fail smtp.mailfrom=example.com", "example.com", 2);
	assert_result(ar, 1, "spf", "fail", NULL, "smtp.mailfrom=example.com", NULL);
	pd_authres_free(&ar);

	ar = parse_ok("example.com;\n      dkim=pass reason=\"good signature\"\n        header.i=@mail-router.example.net;\n"
	              "      dkim=fail reason=\"bad signature\"\n        header.i=@newyork.example.com", "example.com", 2);
	assert_result(ar, 0, "dkim", "pass", "good signature", "header.i=@mail-router.example.net", NULL);
	assert_result(ar, 1, "dkim", "fail", "bad signature", "header.i=@newyork.example.com", NULL);
	pd_authres_free(&ar);
	ar = parse_ok("example.net;\n      dkim=pass (good signature) header.i=@newyork.example.com", "example.net", 1);
	pd_authres_free(&ar);

	/* B.7, the comment-heavy example: comments between every token. */
	ar = parse_ok("foo.example.net (foobar) 1 (baz);\n    dkim (Because I like it) / 1 (One yay) = (wait for it) fail\n"
	              "      policy (A dot can go here) . (like that) expired\n"
	              "      (this surprised me) = (as I wasn't expecting it) 1362471462", "foo.example.net", 1);
	g_assert_cmpuint(ar->version, ==, 1);
	g_assert_cmpuint(result(ar, 0)->method_version, ==, 1);
	assert_result(ar, 0, "dkim", "fail", NULL, "policy.expired=1362471462", NULL);
	pd_authres_free(&ar);
}

static void
test_comments_quoting(void)
{
	/* A quoted authserv-id and property value; a comment after a value. */
	pd_authres *ar = parse_ok("\"mx.google.com\";\n dkim=pass header.i=@email.example.com header.s=20111006 "
	                          "header.b=\"URn9MW+F\" (comment);\n spf=pass (google.com: domain of foo@b.email.example.com "
	                          "designates 1.2.3.4 as permitted sender) smtp.mailfrom=foo@b.email.example.com;\n"
	                          " dmarc=pass (p=REJECT sp=REJECT dis=NONE) header.from=email.example.com", "mx.google.com", 3);
	assert_result(ar, 0, "dkim", "pass", NULL, "header.i=@email.example.com", "header.s=20111006",
	              "header.b=URn9MW+F", NULL);
	assert_result(ar, 2, "dmarc", "pass", NULL, "header.from=email.example.com", NULL);
	pd_authres_free(&ar);
	/* Nested comments, quoted pairs in comments and strings, a comment after the id. */
	ar = parse_ok("mx.example.net (a (nested (deeper)) \\) still comment); DKIM=Pass (x; dmarc=pass) "
	              "reason=\"bad \\\"sig\\\" ; (not a comment)\" HEADER.D=Example.COM", "mx.example.net", 1);
	assert_result(ar, 0, "dkim", "pass", "bad \"sig\" ; (not a comment)", "header.d=Example.COM", NULL);
	pd_authres_free(&ar);
	/* A quoted local part before its domain; unquoted "/" and "=" in header.b. */
	ar = parse_ok("mx.example.net; spf=pass smtp.mailfrom=\"ann smith\"@example.com; dkim=pass header.b=ab/c+d== "
	              "header.d=example.com", "mx.example.net", 2);
	assert_result(ar, 0, "spf", "pass", NULL, "smtp.mailfrom=ann smith@example.com", NULL);
	assert_result(ar, 1, "dkim", "pass", NULL, "header.b=ab/c+d==", "header.d=example.com", NULL);
	pd_authres_free(&ar);
	/* A field without its authserv-id is not read as one with an id "spf=pass". */
	ar = pd_authres_parse("spf=pass (sender IP is 192.0.2.1) smtp.mailfrom=example.com");
	g_assert_cmpstr(ar->authserv_id, ==, "spf");
	g_assert_false(ar->complete);
	pd_authres_free(&ar);
	/* As one large provider writes it: bare name=value, ";" glued, a trailing ";". */
	ar = parse_ok("mx.example.net; dkim=none (message not signed) header.d=none;dmarc=none action=none "
	              "header.from=example.com;compauth=pass reason=100;", "mx.example.net", 3);
	assert_result(ar, 1, "dmarc", "none", NULL, "action=none", "header.from=example.com", NULL);
	assert_result(ar, 2, "compauth", "pass", "100", NULL);
	pd_authres_free(&ar);
	/* A comment right after the id, as amavisd-new writes it. */
	ar = parse_ok("amavis.example.com (amavisd-new); dkim=pass (1024-bit key) header.d=example.org", "amavis.example.com",
	              1);
	pd_authres_free(&ar);
}

static void
test_multiple_results(void)
{
	pd_authres *ar = parse_ok("mx.example.net;\n\tdkim=pass header.d=example.com header.s=s1;\n"
	                          "\tdkim=fail header.d=lists.example.org;\n\tspf=softfail smtp.mailfrom=example.com;\n"
	                          "\tdmarc=pass header.from=example.com;\n\tarc=pass (i=1) smtp.remote-ip=192.0.2.1",
	                          "mx.example.net", 5);
	assert_result(ar, 1, "dkim", "fail", NULL, "header.d=lists.example.org", NULL);
	assert_result(ar, 2, "spf", "softfail", NULL, "smtp.mailfrom=example.com", NULL);
	assert_result(ar, 4, "arc", "pass", NULL, "smtp.remote-ip=192.0.2.1", NULL);
	g_assert_cmpstr(pd_authres_result_get(result(ar, 0), "HEADER.S"), ==, "s1");
	g_assert_null(pd_authres_result_get(result(ar, 0), "header.i"));
	pd_authres_free(&ar);
	pd_authres_free(&ar);  /* NULL is fine */
	pd_authres_free(NULL);
}

static void
test_none(void)
{
	pd_authres *ar = parse_ok("mx.example.net; none", "mx.example.net", 0);
	g_assert_true(ar->none);
	pd_authres_free(&ar);
	ar = parse_ok("  mx.example.net 1 ; NONE (no checks run) ", "mx.example.net", 0);
	g_assert_true(ar->none);
	pd_authres_free(&ar);
	/* A method whose name begins with "none" is a method. */
	ar = parse_ok("mx.example.net; nonexistent=pass", "mx.example.net", 1);
	g_assert_false(ar->none);
	pd_authres_free(&ar);
	/* "none" beside results: kept as both. */
	ar = parse_ok("mx.example.net; none; dmarc=fail", "mx.example.net", 1);
	g_assert_true(ar->none);
	pd_authres_free(&ar);
}

static void
test_garbage(void)
{
	static const char *const no_id[] = { "", "   ", "(comment only)", "; dkim=pass", "\"\"; dkim=pass", "(unterminated",
	                                     "\"unterminated", "(((((((((((((((((((((" };
	for (gsize i = 0; i < G_N_ELEMENTS(no_id); i++)
		g_assert_null(pd_authres_parse(no_id[i]));
	g_assert_null(pd_authres_parse(NULL));
	static const char *const broken[] = {
		"mx.example.net", "mx.example.net;", "mx.example.net; dkim", "mx.example.net; dkim=", "mx.example.net; =pass",
		"mx.example.net; dkim=pass header", "mx.example.net; dkim=pass header.d", "mx.example.net; dkim=pass header.d=",
		"mx.example.net; dkim/=pass", "mx.example.net; dkim/9999999999=pass", "mx.example.net 99999999999; none",
		"mx.example.net; dkim=pass (unterminated", "mx.example.net; dkim=pass header.d=\"unterminated",
		"mx.example.net; dkim=pass header.d=\"a\rb\"", "mx.example.net; dkim=pass header.d=a\"b\"",
		"mx.example.net junk; dkim=pass", "mx.example.net; dkim=pass header..d=x", "mx.example.net; dkim=pass .d=x",
		"mx.example.net; dkim==pass", "mx.example.net; dkim=pass; spf", "mx.example.net; dkim=pass reason=",
		"mx.example.net; dkim=pass header.d=x=y;;;(", "mx.example.net; \x01=pass",
	};
	for (gsize i = 0; i < G_N_ELEMENTS(broken); i++) {
		pd_authres *ar = pd_authres_parse(broken[i]);
		g_assert_nonnull(ar);
		if (ar->complete)
			g_error("\"%s\" read as complete", broken[i]);
		pd_authres_free(&ar);
	}
	/* The results before the fault are kept, marked incomplete. */
	pd_authres *ar = pd_authres_parse("mx.example.net; dkim=pass header.d=example.com; spf=");
	g_assert_false(ar->complete);
	g_assert_cmpuint(ar->results->len, ==, 1);
	pd_authres_free(&ar);
}

/* Every prefix of a field, and random bytes: never a crash, never a leak. */
static void
test_truncation_and_noise(void)
{
	const char *field = "foo.example.net (c (d)) 1; dkim / 1 = pass reason=\"a \\\" b\" header.d=example.com "
	                    "header.i=\"x y\"@example.com; dmarc=pass header.from=example.com; none";
	for (gsize len = 0; len <= strlen(field); len++) {
		char *cut = g_strndup(field, len);
		pd_authres *ar = pd_authres_parse(cut);
		pd_authres_free(&ar);
		g_free(cut);
	}
	static const char alphabet[] = "ab1.;=()\"\\ /@\t\r\n\x01\xff-";
	char buf[64];
	for (int i = 0; i < 20000; i++) {
		gsize n = (gsize)g_test_rand_int_range(0, sizeof buf);
		for (gsize j = 0; j < n; j++)
			buf[j] = alphabet[g_test_rand_int_range(0, sizeof alphabet - 1)];
		buf[n] = '\0';
		pd_authres *ar = pd_authres_parse(buf);
		pd_authres_free(&ar);
		const char *values[] = { buf, NULL }, *ids[] = { "ab", "a", NULL };
		pd_authres_sender_verified(values, ids, "x@ab.ab", NULL);
	}
}

static const char *const trusted[] = { "mx.example.net", NULL };

/* The decision for one list of header values and From, and its why. */
static void
assert_verified(gboolean want, const char *why_want, const char *from, ...)
{
	GPtrArray *values = g_ptr_array_new();
	va_list ap;
	va_start(ap, from);
	for (const char *v; (v = va_arg(ap, const char *)) != NULL;)
		g_ptr_array_add(values, (gpointer)v);
	va_end(ap);
	g_ptr_array_add(values, NULL);
	const char *why = NULL;
	gboolean got = pd_authres_sender_verified((const char *const *)values->pdata, trusted, from, &why);
	g_assert_nonnull(why);
	g_assert_cmpstr(why, ==, why_want);
	g_assert_cmpint(got, ==, want);
	g_ptr_array_unref(values);
}

static void
test_trusted_ids(void)
{
	assert_verified(FALSE, "no Authentication-Results from a trusted authserv-id", "ann@example.com",
	                "evil.example; dkim=pass header.d=example.com", NULL);
	assert_verified(FALSE, "no Authentication-Results from a trusted authserv-id", "ann@example.com", NULL);
	assert_verified(TRUE, "dkim=pass for example.com aligned with From", "ann@example.com",
	                "MX.Example.NET; dkim=pass header.d=example.com", NULL);
	/* Another server's pass above ours counts for nothing. */
	assert_verified(FALSE, "dkim=fail for example.com", "ann@example.com",
	                "mx.example.net.evil.example; dkim=pass header.d=example.com",
	                "mx.example.net; dkim=fail header.d=example.com", NULL);
	/* Only the topmost field with our id counts: one below it came from outside. */
	assert_verified(FALSE, "dkim=fail for example.com", "ann@example.com",
	                "mx.example.net; dkim=fail header.d=example.com",
	                "mx.example.net; dkim=pass header.d=example.com", NULL);
	/* Our field, unreadable: refused rather than guessed at, whatever follows. */
	assert_verified(FALSE, "the Authentication-Results of mx.example.net could not be read", "ann@example.com",
	                "mx.example.net; dkim=pass header.d=example.com; spf=(",
	                "mx.example.net; dkim=pass header.d=example.com", NULL);
	/* Nothing configured to trust. */
	const char *values[] = { "mx.example.net; dkim=pass header.d=example.com", NULL }, *none[] = { NULL }, *why;
	g_assert_false(pd_authres_sender_verified(values, none, "ann@example.com", &why));
	g_assert_cmpstr(why, ==, "no trusted authserv-id is configured");
	g_assert_false(pd_authres_sender_verified(values, NULL, "ann@example.com", NULL));
	g_assert_false(pd_authres_sender_verified(NULL, trusted, "ann@example.com", &why));
	g_assert_true(pd_authres_sender_verified(values, trusted, "ann@example.com", NULL));
}

static void
test_dkim(void)
{
	assert_verified(TRUE, "dkim=pass for example.com aligned with From", "Ann <ann@Example.COM>",
	                "mx.example.net; dkim=pass (2048-bit key) header.d=EXAMPLE.com. header.s=s1", NULL);
	assert_verified(FALSE, "dkim=pass for evil.example is not aligned with example.com", "ann@example.com",
	                "mx.example.net; dkim=pass header.d=evil.example header.i=@example.com", NULL);
	assert_verified(FALSE, "dkim=fail for example.com", "ann@example.com",
	                "mx.example.net; dkim=fail (bad signature) header.d=example.com", NULL);
	assert_verified(FALSE, "dkim=temperror", "ann@example.com", "mx.example.net; dkim=temperror", NULL);
	assert_verified(FALSE, "dkim=pass without a valid header.d or header.i", "ann@example.com",
	                "mx.example.net; dkim=pass header.s=s1", NULL);
	assert_verified(FALSE, "dkim=pass without a valid header.d or header.i", "ann@example.com",
	                "mx.example.net; dkim=pass header.d=[192.0.2.1]", NULL);
	/* header.i's domain when there is no header.d. */
	assert_verified(TRUE, "dkim=pass for example.com aligned with From", "ann@example.com",
	                "mx.example.net; dkim=pass header.i=@example.com", NULL);
	assert_verified(TRUE, "dkim=pass for mail.example.com aligned with From example.com", "ann@example.com",
	                "mx.example.net; dkim=pass header.i=bounces@mail.example.com", NULL);
	/* Several signatures: any aligned pass will do; the list's own signature does not. */
	assert_verified(TRUE, "dkim=pass for example.com aligned with From", "ann@example.com",
	                "mx.example.net; dkim=pass header.d=lists.example.org; dkim=pass header.d=example.com", NULL);
	assert_verified(FALSE, "dkim=pass for lists.example.org is not aligned with example.com", "ann@example.com",
	                "mx.example.net; dkim=fail header.d=example.com; dkim=pass header.d=lists.example.org", NULL);
	/* SPF alone binds nothing to From. */
	assert_verified(FALSE, "mx.example.net has no dkim or dmarc result", "ann@example.com",
	                "mx.example.net; spf=pass smtp.mailfrom=example.com", NULL);
	/* An internationalized From domain and its A-label signature. */
	assert_verified(TRUE, "dkim=pass for xn--e1afmkfd.xn--p1ai aligned with From", "иван@пример.рф",
	                "mx.example.net; dkim=pass header.d=xn--e1afmkfd.xn--p1ai", NULL);
}

static void
test_subdomains(void)
{
	assert_verified(TRUE, "dkim=pass for mail.example.com aligned with From example.com", "ann@example.com",
	                "mx.example.net; dkim=pass header.d=mail.example.com", NULL);
	assert_verified(TRUE, "dkim=pass for example.com aligned with From support.example.com", "ann@support.example.com",
	                "mx.example.net; dkim=pass header.d=example.com", NULL);
	assert_verified(TRUE, "dkim=pass for example.co.uk aligned with From eu.example.co.uk", "ann@eu.example.co.uk",
	                "mx.example.net; dkim=pass header.d=example.co.uk", NULL);
	/* Siblings are not aligned (stricter than DMARC). */
	assert_verified(FALSE, "dkim=pass for a.example.com is not aligned with b.example.com", "ann@b.example.com",
	                "mx.example.net; dkim=pass header.d=a.example.com", NULL);
	/* A registered suffix vouches for nobody beneath it. */
	assert_verified(FALSE, "dkim=pass for co.uk is not aligned with example.co.uk", "ann@example.co.uk",
	                "mx.example.net; dkim=pass header.d=co.uk", NULL);
	assert_verified(FALSE, "dkim=pass for com is not aligned with example.com", "ann@example.com",
	                "mx.example.net; dkim=pass header.d=com", NULL);
	assert_verified(FALSE, "dkim=pass for com.au is not aligned with shop.com.au", "ann@shop.com.au",
	                "mx.example.net; dkim=pass header.d=com.au", NULL);
	/* A shared ending is not a subdomain. */
	assert_verified(FALSE, "dkim=pass for notexample.com is not aligned with example.com", "ann@example.com",
	                "mx.example.net; dkim=pass header.d=notexample.com", NULL);
	assert_verified(FALSE, "dkim=pass for example.com is not aligned with example.com.evil.example",
	                "ann@example.com.evil.example", "mx.example.net; dkim=pass header.d=example.com", NULL);
}

static void
test_dmarc(void)
{
	assert_verified(TRUE, "dmarc=pass for example.com matches From", "ann@example.com",
	                "mx.example.net; spf=pass smtp.mailfrom=example.com; dmarc=pass (p=reject) header.from=Example.com",
	                NULL);
	assert_verified(FALSE, "dmarc=pass for example.org does not match From example.com", "ann@example.com",
	                "mx.example.net; dmarc=pass header.from=example.org", NULL);
	/* DMARC matches exactly: its own alignment is already in the pass. */
	assert_verified(FALSE, "dmarc=pass for mail.example.com does not match From example.com", "ann@example.com",
	                "mx.example.net; dmarc=pass header.from=mail.example.com", NULL);
	assert_verified(FALSE, "dmarc=pass without a valid header.from", "ann@example.com",
	                "mx.example.net; dmarc=pass", NULL);
	assert_verified(FALSE, "dmarc=quarantine for example.com", "ann@example.com",
	                "mx.example.net; dmarc=quarantine header.from=example.com", NULL);
	/* The domain's own failing verdict wins over our relaxed reading of DKIM. */
	assert_verified(FALSE, "dmarc=fail for example.com", "ann@example.com",
	                "mx.example.net; dkim=pass header.d=mail.example.com; dmarc=fail (p=reject adkim=s) "
	                "header.from=example.com", NULL);
	/* ... but not one about another domain. */
	assert_verified(TRUE, "dkim=pass for example.com aligned with From", "ann@example.com",
	                "mx.example.net; dkim=pass header.d=example.com; dmarc=fail header.from=example.org", NULL);
}

static void
test_none_verdict(void)
{
	assert_verified(FALSE, "mx.example.net authenticated nothing (none)", "ann@example.com", "mx.example.net 1; none",
	                NULL);
	assert_verified(FALSE, "the From address has no valid domain", "ann", "mx.example.net; dkim=pass header.d=x.y", NULL);
	assert_verified(FALSE, "the From address has no valid domain", "ann@", NULL);
	assert_verified(FALSE, "the From address has no valid domain", "ann@[192.0.2.1]", NULL);
	assert_verified(FALSE, "the From address has no valid domain", "ann@exa mple.com", NULL);
	const char *why;
	g_assert_false(pd_authres_sender_verified(NULL, trusted, NULL, &why));
	g_assert_cmpstr(why, ==, "the From address has no valid domain");
}

static gpointer
verify_in_thread(gpointer data)
{
	const char *values[] = { data, NULL }, *why = NULL;
	for (int i = 0; i < 2000; i++)
		pd_authres_sender_verified(values, trusted, "ann@example.com", &why);
	return g_strdup(why);
}

/* The explanation belongs to the calling thread. */
static void
test_threads(void)
{
	GThread *a = g_thread_new("a", verify_in_thread, "mx.example.net; dkim=pass header.d=example.com");
	GThread *b = g_thread_new("b", verify_in_thread, "mx.example.net; dkim=fail header.d=example.com");
	char *why_a = g_thread_join(a), *why_b = g_thread_join(b);
	g_assert_cmpstr(why_a, ==, "dkim=pass for example.com aligned with From");
	g_assert_cmpstr(why_b, ==, "dkim=fail for example.com");
	g_free(why_a);
	g_free(why_b);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/authres/rfc8601-examples", test_rfc_examples);
	g_test_add_func("/authres/comments-quoting", test_comments_quoting);
	g_test_add_func("/authres/multiple-results", test_multiple_results);
	g_test_add_func("/authres/none", test_none);
	g_test_add_func("/authres/garbage", test_garbage);
	g_test_add_func("/authres/truncation-and-noise", test_truncation_and_noise);
	g_test_add_func("/authres/trusted-ids", test_trusted_ids);
	g_test_add_func("/authres/dkim", test_dkim);
	g_test_add_func("/authres/subdomains", test_subdomains);
	g_test_add_func("/authres/dmarc", test_dmarc);
	g_test_add_func("/authres/none-verdict", test_none_verdict);
	g_test_add_func("/authres/threads", test_threads);
	return g_test_run();
}
