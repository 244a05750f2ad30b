/* regex.c: the rules' patterns on PCRE2: compile with JIT, refuse what could lift the limits, match within limits. */
#include "config.h"
#include "rules-private.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <string.h>

/* PCRE2's match limit counts steps from each start position afresh, so a
 * pattern that backtracks polynomially (a*a*a*c) can stay under it at
 * every one of 256 K positions and still run for seconds. Patterns that
 * can do that (rxscan.c) are wrapped as (?C255)(?:...): the callout runs
 * at each start position and gives up once the time budget is spent.
 * Other patterns run without the callout, at full speed. */
#define TIMED_CALLOUT "(?C255)(?:"
/* The interpreter (only when JIT compilation fails) also has these. */
#define HEAP_LIMIT_KB 20000
#define DEPTH_LIMIT 10000
#define JIT_STACK_START (32 * 1024)

gboolean pd_rules_no_jit;

struct pd_rx {
	pcre2_code *code;
	gboolean jit;
	gboolean timed;
	pd_rxscan scan;
	char **names;        /* NULL-terminated */
	guint *groups;       /* group number of names[i] */
	guint ncaptures;
	gboolean matches_empty;
};

typedef struct {
	pcre2_match_context *mctx;
	pcre2_jit_stack *jit_stack;
	gsize jit_stack_max;
	pcre2_match_data *md;
	guint md_pairs;
} matcher;

static void
matcher_free(gpointer data)
{
	matcher *m = data;
	if (m == NULL)
		return;
	pcre2_match_data_free(m->md);
	pcre2_jit_stack_free(m->jit_stack);
	pcre2_match_context_free(m->mctx);
	g_free(m);
}

static GPrivate matcher_key = G_PRIVATE_INIT(matcher_free);

/* This thread's match context, JIT stack and match data (PCRE2 needs them
 * per thread; the compiled patterns are shared). */
static matcher *
thread_matcher(const pd_rules_limits *limits, guint pairs)
{
	matcher *m = g_private_get(&matcher_key);

	if (m != NULL && m->jit_stack_max != limits->jit_stack_max) {
		g_private_replace(&matcher_key, NULL);
		m = NULL;
	}
	if (m == NULL) {
		m = g_new0(matcher, 1);
		m->mctx = pcre2_match_context_create(NULL);
		m->jit_stack_max = limits->jit_stack_max;
		m->jit_stack = pcre2_jit_stack_create(MIN(JIT_STACK_START, limits->jit_stack_max),
		                                      limits->jit_stack_max, NULL);
		pcre2_jit_stack_assign(m->mctx, NULL, m->jit_stack);
		pcre2_set_heap_limit(m->mctx, HEAP_LIMIT_KB);
		pcre2_set_depth_limit(m->mctx, DEPTH_LIMIT);
		g_private_set(&matcher_key, m);
	}
	if (m->md_pairs < pairs) {
		pcre2_match_data_free(m->md);
		m->md_pairs = MAX(pairs, 16);
		m->md = pcre2_match_data_create(m->md_pairs, NULL);
	}
	return m;
}

void
pd_rx_thread_cleanup(void)
{
	g_private_replace(&matcher_key, NULL);
}

/* ---- compiling ---- */

static gboolean
parse_flags(const char *flags, guint32 *options_r, char **message_r, gsize *offset_r)
{
	*options_r = 0;
	for (const char *f = flags; f != NULL && *f != '\0'; f++) {
		switch (*f) {
		case 'i': *options_r |= PCRE2_CASELESS; break;
		case 'm': *options_r |= PCRE2_MULTILINE; break;
		case 's': *options_r |= PCRE2_DOTALL; break;
		case 'x': *options_r |= PCRE2_EXTENDED; break;
		case 'n': *options_r |= PCRE2_NO_AUTO_CAPTURE; break;
		default:
			*message_r = g_strdup_printf("unknown pattern flag \"%c\"; the flags are i (ignore case), "
			                             "m (^ and $ at every line), s (. matches a newline), "
			                             "x (spaces and # comments ignored) and n (no numbered groups)", *f);
			*offset_r = (gsize)(f - flags);
			return FALSE;
		}
	}
	return TRUE;
}

/* Options at the start of a pattern override what the program set:
 * (*LIMIT_MATCH=...) can only lower the limit, but (*NO_JIT) and friends
 * change how it runs; none of them belongs in a routing rule. */
static gboolean
refuse_start_options(const char *pattern, char **message_r)
{
	static const char *const names[] = {
		"LIMIT_", "NO_JIT", "NO_START_OPT", "NO_AUTO_POSSESS", "NO_DOTSTAR_ANCHOR", "NOTEMPTY",
		"UTF", "UCP", "CR)", "LF)", "CRLF)", "ANYCRLF)", "ANY)", "NUL)", "BSR_", NULL,
	};

	for (const char *p = pattern; g_str_has_prefix(p, "(*");) {
		const char *name = p + 2, *close = strchr(name, ')');
		gboolean option = FALSE;
		for (int i = 0; names[i] != NULL; i++)
			option |= g_str_has_prefix(name, names[i]);
		if (!option || close == NULL)
			return TRUE;
		*message_r = g_strdup_printf("(*%.*s) is not allowed in a rule: postdesk sets the match limits "
		                             "and how patterns run", (int)(close - name), name);
		return FALSE;
	}
	return TRUE;
}

static pcre2_code *
compile(const char *pattern, gsize len, guint32 options, const pd_rules_limits *limits, int *err_r,
        PCRE2_SIZE *off_r)
{
	pcre2_compile_context *cctx = pcre2_compile_context_create(NULL);
	pcre2_code *code;

	/* The wrapped form is a little longer than the pattern itself. */
	pcre2_set_max_pattern_length(cctx, limits->max_pattern_length + 32);
	code = pcre2_compile((PCRE2_SPTR)pattern, len,
	                     options | PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF | PCRE2_NEVER_BACKSLASH_C,
	                     err_r, off_r, cctx);
	pcre2_compile_context_free(cctx);
	return code;
}

static char *
error_text(int err)
{
	PCRE2_UCHAR buf[256];
	if (pcre2_get_error_message(err, buf, sizeof buf) < 0)
		return g_strdup("invalid pattern");
	return g_strdup((const char *)buf);
}

/* The pattern inside a group with a callout in front. The closing text
 * must still close the group when the pattern ends in an x-mode comment
 * or an unterminated \Q. */
static pcre2_code *
compile_timed(const char *pattern, guint32 options, const pd_rules_limits *limits)
{
	static const char *const closers[] = { ")", "\n)", "\\E)", "\\E\n)", NULL };
	const char *body = pattern;

	/* Start-of-pattern options (tests only) stay in front. */
	while (g_str_has_prefix(body, "(*") && g_ascii_isupper(body[2]) && strchr(body, ')') != NULL)
		body = strchr(body, ')') + 1;
	char *options_text = g_strndup(pattern, (gsize)(body - pattern));
	for (int i = 0; closers[i] != NULL; i++) {
		char *wrapped = g_strconcat(options_text, TIMED_CALLOUT, body, closers[i], NULL);
		int err;
		PCRE2_SIZE off;
		pcre2_code *code = compile(wrapped, strlen(wrapped), options, limits, &err, &off);
		g_free(wrapped);
		if (code != NULL) {
			g_free(options_text);
			return code;
		}
	}
	g_free(options_text);
	return NULL;
}

static void
read_names(pd_rx *rx)
{
	uint32_t count = 0, entry = 0;
	PCRE2_SPTR table = NULL;

	pcre2_pattern_info(rx->code, PCRE2_INFO_CAPTURECOUNT, &rx->ncaptures);
	pcre2_pattern_info(rx->code, PCRE2_INFO_NAMECOUNT, &count);
	pcre2_pattern_info(rx->code, PCRE2_INFO_NAMEENTRYSIZE, &entry);
	pcre2_pattern_info(rx->code, PCRE2_INFO_NAMETABLE, &table);
	rx->names = g_new0(char *, count + 1);
	rx->groups = g_new0(guint, count + 1);
	for (uint32_t i = 0; i < count; i++) {
		const guint8 *e = table + (gsize)i * entry;
		rx->groups[i] = (guint)(e[0] << 8 | e[1]);
		rx->names[i] = g_strdup((const char *)e + 2);
	}
}

static gboolean
empty_match(pd_rx *rx, const pd_rules_limits *limits, const char *subject)
{
	gsize s, e;
	gint64 deadline = g_get_monotonic_time() + limits->regex_time_us;
	return pd_rx_match(rx, limits, subject, strlen(subject), deadline, &s, &e, NULL) == PD_RX_MATCH && s == e;
}

pd_rx *
pd_rx_compile(const char *pattern, const char *flags, const pd_rules_limits *limits, gboolean allow_options,
              char **message_r, gsize *offset_r)
{
	gsize len = strlen(pattern);
	guint32 options;
	int err;
	PCRE2_SIZE off;

	*message_r = NULL;
	*offset_r = 0;
	if (len > limits->max_pattern_length) {
		*message_r = g_strdup_printf("the pattern is %" G_GSIZE_FORMAT " bytes long; the limit is %" G_GSIZE_FORMAT,
		                             len, limits->max_pattern_length);
		return NULL;
	}
	if (!parse_flags(flags, &options, message_r, offset_r))
		return NULL;
	*offset_r = 0;
	if (!allow_options && !refuse_start_options(pattern, message_r))
		return NULL;
	pd_rx *rx = g_new0(pd_rx, 1);
	rx->code = compile(pattern, len, options, limits, &err, &off);
	if (rx->code == NULL) {
		*message_r = error_text(err);
		*offset_r = off;
		g_free(rx);
		return NULL;
	}
	pd_rxscan_pattern(pattern, len, flags, &rx->scan);
	if (rx->scan.risky) {
		pcre2_code *timed = compile_timed(pattern, options, limits);
		if (timed == NULL) {
			*message_r = g_strdup("this pattern cannot be run with a time limit; simplify it");
			pd_rx_free(rx);
			return NULL;
		}
		pcre2_code_free(rx->code);
		rx->code = timed;
		rx->timed = TRUE;
	}
	rx->jit = !pd_rules_no_jit && pcre2_jit_compile(rx->code, PCRE2_JIT_COMPLETE) == 0;
	read_names(rx);
	rx->matches_empty = empty_match(rx, limits, "") && empty_match(rx, limits, "zq!\n\xe2\x98\x83");
	return rx;
}

void
pd_rx_free(pd_rx *rx)
{
	if (rx == NULL)
		return;
	pcre2_code_free(rx->code);
	pd_rxscan_clear(&rx->scan);
	g_strfreev(rx->names);
	g_free(rx->groups);
	g_free(rx);
}

const pd_rxscan *pd_rx_scan(const pd_rx *rx) { return &rx->scan; }
const char *const *pd_rx_names(const pd_rx *rx) { return (const char *const *)rx->names; }
guint pd_rx_capture_count(const pd_rx *rx) { return rx->ncaptures; }
gboolean pd_rx_matches_empty(const pd_rx *rx) { return rx->matches_empty; }
gboolean pd_rx_jit(const pd_rx *rx) { return rx->jit; }

/* ---- matching ---- */

typedef struct {
	gint64 deadline;
	guint calls;
} budget;

/* At each start position of a timed pattern. The clock is read every few
 * calls: one step of a start position is bounded by the match limit. */
static int
timed_callout(pcre2_callout_block *block, void *data)
{
	budget *b = data;
	(void)block;
	if ((b->calls++ & 7) == 0 && g_get_monotonic_time() > b->deadline)
		return PCRE2_ERROR_CALLOUT;
	return 0;
}

static void
add_captures(const pd_rx *rx, const char *subject, const PCRE2_SIZE *ov, guint pairs, GPtrArray *captures)
{
	for (guint i = 0; rx->names[i] != NULL; i++) {
		guint g = rx->groups[i];
		if (g >= pairs || ov[2 * g] == PCRE2_UNSET)
			continue;
		g_ptr_array_add(captures, g_strdup(rx->names[i]));
		g_ptr_array_add(captures, g_strndup(subject + ov[2 * g], ov[2 * g + 1] - ov[2 * g]));
	}
}

pd_rx_result
pd_rx_match(const pd_rx *rx, const pd_rules_limits *limits, const char *subject, gsize len, gint64 deadline_us,
            gsize *start_r, gsize *end_r, GPtrArray *captures)
{
	matcher *m = thread_matcher(limits, rx->ncaptures + 1);
	budget b = { deadline_us, 0 };
	int rc;

	pcre2_set_match_limit(m->mctx, limits->match_limit);
	pcre2_set_callout(m->mctx, rx->timed ? timed_callout : NULL, &b);
	rc = pcre2_match(rx->code, (PCRE2_SPTR)subject, len, 0, 0, m->md, m->mctx);
	if (rc == PCRE2_ERROR_NOMATCH)
		return PD_RX_NOMATCH;
	if (rc == PCRE2_ERROR_CALLOUT)
		return PD_RX_TIMEOUT;
	if (rc <= 0)
		return PD_RX_LIMIT;  /* match, JIT stack, heap or depth limit, time, memory */
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(m->md);
	*start_r = ov[0];
	*end_r = ov[1];
	if (captures != NULL)
		add_captures(rx, subject, ov, (guint)rc, captures);
	return PD_RX_MATCH;
}
