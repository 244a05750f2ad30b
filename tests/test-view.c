/* test-view.c: pd_view reads what GVariant wrote, and damaged bytes read as missing fields, never out of bounds. */
#include "config.h"
#include "store/store.h"

#include <string.h>

static GVariant *
sample(guint nrules, gsize subject_len)
{
	GVariantBuilder b, clock;
	g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
	char *subject = g_strnfill(subject_len, 's');
	g_variant_builder_add(&b, "{sv}", "id", g_variant_new_uint64(1000));
	g_variant_builder_add(&b, "{sv}", "status", g_variant_new_string("open"));
	g_variant_builder_add(&b, "{sv}", "subject", g_variant_new_string(subject));
	g_variant_builder_add(&b, "{sv}", "created", g_variant_new_int64(1773100800000000));
	GPtrArray *rules = g_ptr_array_new_with_free_func(g_free);
	for (guint i = 0; i < nrules; i++)
		g_ptr_array_add(rules, g_strdup_printf("rule %u", i));
	g_ptr_array_add(rules, NULL);
	g_variant_builder_add(&b, "{sv}", "rules", g_variant_new_strv((const char *const *)rules->pdata, -1));
	g_variant_builder_init(&clock, G_VARIANT_TYPE_VARDICT);
	g_variant_builder_add(&clock, "{sv}", "policy", g_variant_new_string("standard"));
	g_variant_builder_add(&clock, "{sv}", "resolved", g_variant_new_int64(-5));
	g_variant_builder_add(&b, "{sv}", "sla_clock", g_variant_builder_end(&clock));
	g_ptr_array_unref(rules);
	g_free(subject);
	return g_variant_ref_sink(g_variant_builder_end(&b));
}

static void
check_sample(guint nrules, gsize subject_len)
{
	GVariant *v = sample(nrules, subject_len);
	pd_view rec = { g_variant_get_data(v), g_variant_get_size(v) }, x, clock;
	gint64 i64 = 0;
	g_assert_true(pd_view_lookup(&rec, "status", "s", &x));
	g_assert_cmpstr(pd_view_string(&x), ==, "open");
	g_assert_true(pd_view_lookup(&rec, "subject", "s", &x));
	g_assert_cmpuint(strlen(pd_view_string(&x)), ==, subject_len);
	g_assert_true(pd_view_lookup(&rec, "created", "x", &x) && pd_view_int64(&x, &i64));
	g_assert_cmpint(i64, ==, 1773100800000000);
	g_assert_false(pd_view_lookup(&rec, "id", "x", &x));  /* it is a "t" */
	g_assert_false(pd_view_lookup(&rec, "missing", "s", &x));
	g_assert_true(pd_view_lookup(&rec, "rules", "as", &x));
	g_assert_cmpuint(pd_view_n_children(&x), ==, nrules);
	for (guint i = 0; i < nrules; i++) {
		pd_view r;
		char *want = g_strdup_printf("rule %u", i);
		g_assert_true(pd_view_child(&x, i, 1, &r));
		g_assert_cmpstr(pd_view_string(&r), ==, want);
		g_free(want);
	}
	g_assert_true(pd_view_lookup(&rec, "sla_clock", "a{sv}", &clock));
	g_assert_true(pd_view_lookup(&clock, "policy", "s", &x));
	g_assert_cmpstr(pd_view_string(&x), ==, "standard");
	g_assert_true(pd_view_lookup(&clock, "resolved", "x", &x) && pd_view_int64(&x, &i64));
	g_assert_cmpint(i64, ==, -5);
	g_variant_unref(v);
}

/* Small, 2-byte and 4-byte offset tables. */
static void
test_reads(void)
{
	check_sample(0, 3);
	check_sample(3, 10);
	check_sample(40, 300);
	check_sample(5, 70000);
}

/* Read everything there is to read; the bytes live in an exact-size heap
 * block, so a read past the end shows under AddressSanitizer or valgrind. */
static void
read_all(const guint8 *bytes, gsize size)
{
	guint8 *copy = g_memdup2(bytes, size);
	pd_view rec = { copy, size }, x, clock;
	static const char *const keys[] = { "id", "status", "subject", "created", "rules", "sla_clock", NULL };
	static const char *const types[] = { "t", "s", "s", "x", "as", "a{sv}", NULL };
	for (int i = 0; keys[i] != NULL; i++)
		if (pd_view_lookup(&rec, keys[i], types[i], &x)) {
			g_assert_true(x.data >= copy && x.data + x.size <= copy + size);
			gint64 v;
			pd_view_string(&x);
			pd_view_int64(&x, &v);
			for (gsize j = 0; j < pd_view_n_children(&x); j++)
				if (pd_view_child(&x, j, 1, &clock))
					g_assert_true(clock.data >= x.data && clock.data + clock.size <= x.data + x.size);
		}
	if (pd_view_lookup(&rec, "sla_clock", "a{sv}", &clock))
		pd_view_lookup(&clock, "policy", "s", &x);
	g_free(copy);
}

static void
test_damage(void)
{
	GRand *rand = g_rand_new_with_seed(7);
	for (guint round = 0; round < 4; round++) {
		GVariant *v = sample(round * 7, round == 3 ? 400 : 20);
		gsize size = g_variant_get_size(v);
		const guint8 *data = g_variant_get_data(v);
		for (gsize cut = 0; cut <= size; cut++)
			read_all(data, cut);
		guint8 *bytes = g_memdup2(data, size);
		for (guint i = 0; i < 20000; i++) {
			gsize at = (gsize)g_rand_int_range(rand, 0, (gint32)size);
			guint8 old = bytes[at];
			bytes[at] = (guint8)g_rand_int_range(rand, 0, 256);
			read_all(bytes, size);
			if (g_rand_boolean(rand))
				bytes[at] = old;
		}
		g_free(bytes);
		g_variant_unref(v);
	}
	g_rand_free(rand);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/view/reads", test_reads);
	g_test_add_func("/view/damage", test_damage);
	return g_test_run();
}
