/* rules-util.c: what the rule test programs share. */
#include "config.h"
#include "rules-util.h"

#include <string.h>

pd_ruleset *
rules_compile(const char *src, const pd_rules_options *opts, GPtrArray *warnings)
{
	GError *e = NULL;
	pd_ruleset *rs = pd_ruleset_compile("t.rules", src, strlen(src), opts, warnings, &e);
	if (rs == NULL)
		g_printerr("unexpected error:\n%s\n", e->message);
	g_assert_no_error(e);
	return rs;
}

void
assert_contains(const char *text, const char *fragment)
{
	if (strstr(text, fragment) == NULL)
		g_error("expected to find\n  %s\nin\n%s", fragment, text);
}
