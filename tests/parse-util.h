/* parse-util.h: what the parser's test programs share: invariants, parse-and-check helpers. */
#ifndef PD_PARSE_UTIL_H
#define PD_PARSE_UTIL_H

#include "parse/parse.h"

#define LIT(s) (s), (sizeof(s) - 1)

/* The promises of parse.h that hold for every result, good or bad. */
void assert_clean_line(const char *s);
void assert_invariants(const pd_message *msg);

/* Parse with opts (NULL: defaults) and check the cause; the reason must be
 * there exactly when there is a cause, and name a limit key for "limit". */
pd_message *parse_opts(const pd_parse_options *opts, const char *raw, gsize len, pd_cause expect);
pd_message *parse_len(const char *raw, gsize len, pd_cause expect);
pd_message *parse_ok(const char *raw);
/* The reason of the cause (caller frees), checking the cause. */
char *parse_reason(const pd_parse_options *opts, const char *raw, gsize len, pd_cause expect);

const pd_attachment *attachment(const pd_message *msg, guint i);
const pd_address *address(const GPtrArray *list, guint i);
char *lf_to_crlf(const char *s);
/* Equal as GVariants (size ignored when ignore_size); prints both if not. */
void assert_same_message(pd_message *a, pd_message *b, gboolean ignore_size);
/* Whether the parser reads the address list value without GMime
 * (pd_addresses_plain); when it does, its addresses must be those GMime
 * reads, or the test fails naming the value. */
gboolean plain_addresses_as_gmime(const char *value);
/* Whether the parser reads the MIME structure of raw without GMime
 * (simple.c); when it does, the result (cause and reason too) must be the
 * one GMime's tree gives (always_gmime), or the program aborts showing both. */
gboolean simple_as_gmime(const pd_parse_options *opts, const char *raw, gsize len);
/* SHA-256 of bytes as hex; caller frees. */
char *sha256_hex(const void *data, gsize len);

#endif
