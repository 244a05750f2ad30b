/* rules-util.h: what the rule test programs share: compiling a rule text that must compile, and a containment check. */
#ifndef PD_RULES_UTIL_H
#define PD_RULES_UTIL_H

#include "rules/rules.h"

/* Compile src as the file "t.rules"; an error fails the test (printed first). */
pd_ruleset *rules_compile(const char *src, const pd_rules_options *opts, GPtrArray *warnings);
/* Fail the test, showing both, when text does not contain fragment. */
void assert_contains(const char *text, const char *fragment);

#endif
