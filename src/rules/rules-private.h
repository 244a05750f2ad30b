/* rules-private.h: what the files of src/rules/ share: the compiled rule set and its parts. */
#ifndef PD_RULES_PRIVATE_H
#define PD_RULES_PRIVATE_H

#include "rules/rules.h"

/* Defaults of pd_rules_limits (see rules.h). */
#define PD_RULES_DEF_MAX_FILE (4u * 1024 * 1024)
#define PD_RULES_DEF_MAX_PATTERN (8u * 1024)
#define PD_RULES_DEF_MATCH_LIMIT 100000u
#define PD_RULES_DEF_REGEX_US 20000u
#define PD_RULES_DEF_MESSAGE_US 200000u
#define PD_RULES_DEF_JIT_STACK (512u * 1024)

/* Errors reported before the set is refused; more are summarized. */
#define PD_RULES_MAX_ERRORS 20
/* Different header names the rules may test (slots are 16-bit). */
#define PD_RULES_MAX_HEADERS 1000
/* Parentheses and `not` nest at most this deep (the parser recurses). */
#define PD_RULES_MAX_DEPTH 64
/* A required literal shorter than this (bytes, folded) is not worth a
 * prefilter: it occurs in nearly every mail. */
#define PD_RULES_MIN_LITERAL 3

/* What a condition looks at. */
typedef enum {
	PD_RF_SUBJECT,
	PD_RF_FROM,
	PD_RF_FROM_NAME,
	PD_RF_TO,
	PD_RF_CC,
	PD_RF_RECIPIENTS,   /* to and cc */
	PD_RF_BODY,
	PD_RF_FULL_BODY,
	PD_RF_HEADER,
	PD_RF_ATTACH_NAME,
	PD_RF_ATTACH_TYPE,
	PD_RF_SOURCE,
	PD_RF_SIZE,
	PD_RF_ATTACH_SIZE,
	PD_RF_MAIL,         /* the parser's flags: mail is bounce */
} pd_rfield;

/* The texts a mail offers: one slot per text field, then one per header
 * name that some rule mentions. */
typedef enum {
	PD_SLOT_SUBJECT,
	PD_SLOT_FROM,
	PD_SLOT_FROM_NAME,
	PD_SLOT_TO,
	PD_SLOT_CC,
	PD_SLOT_BODY,
	PD_SLOT_FULL_BODY,
	PD_SLOT_ATTACH_NAME,
	PD_SLOT_ATTACH_TYPE,
	PD_SLOT_SOURCE,
	PD_SLOT_HEADERS,    /* header slot i is PD_SLOT_HEADERS + i */
} pd_slot;

typedef enum {
	PD_ROP_CONTAINS,
	PD_ROP_MATCHES,
	PD_ROP_IS,
	PD_ROP_STARTS,
	PD_ROP_ENDS,
	PD_ROP_EXISTS,
	PD_ROP_LT,
	PD_ROP_LE,
	PD_ROP_GT,
	PD_ROP_GE,
	PD_ROP_FLAG,
} pd_rop;

typedef struct {
	const char *file;   /* owned by the set */
	guint line, col;    /* 1-based; col counts characters */
} pd_rpos;

typedef struct pd_rx pd_rx;

/* One test: a field, an operator and one operand. Lists in the text
 * ("a", "b") become an `or` of leaves. */
typedef struct {
	pd_rfield field;
	guint header;          /* PD_RF_HEADER: index into the set's header names */
	pd_rop op;
	char *operand;         /* as written, unescaped (text tests, pattern) */
	char *folded;          /* contains/is/starts/ends: the folded operand */
	gboolean prefix;       /* contains "word*": the last word may go on */
	gboolean check_left;   /* whole-word checks needed at each edge */
	gboolean check_right;
	guint64 number;        /* size in bytes, or the flag bit */
	pd_rx *rx;             /* matches */
	gboolean never;        /* can never hold (empty keyword, impossible pattern) */
	gboolean atom;         /* the automaton tells when it may hold */
	char *field_text;      /* for explanations: "subject", "header \"List-Id\"" */
	char *test_text;       /* "contains \"refund\"" */
	guint rule;
	pd_rpos pos;
} pd_rleaf;

typedef enum { PD_RN_LEAF, PD_RN_AND, PD_RN_OR, PD_RN_NOT } pd_rnode_kind;

typedef struct pd_rnode {
	pd_rnode_kind kind;
	guint leaf;              /* PD_RN_LEAF */
	struct pd_rnode **kids;
	guint nkids;
} pd_rnode;

typedef enum {
	PD_RA_QUEUE,
	PD_RA_PRIORITY,
	PD_RA_ASSIGN_AGENT,
	PD_RA_ASSIGN_GROUP,
	PD_RA_TAG,
	PD_RA_UNTAG,
	PD_RA_SET,
	PD_RA_STATUS,
	PD_RA_REPLY,
	PD_RA_NOREPLY,
	PD_RA_SLA,
	PD_RA_QUARANTINE,
	PD_RA_DROP,
	PD_RA_STOP,
} pd_raction_kind;

/* A text with ${capture} references: parts alternate as written; a part
 * starting with '\1' names a capture, any other is literal text. */
typedef struct {
	pd_raction_kind kind;
	char *arg;             /* queue, tag, template ... ; set: the field name */
	GPtrArray *text;       /* set, quarantine: the parts of the text */
	pd_rpos pos;           /* the action's word */
	pd_rpos arg_pos;       /* its name */
} pd_raction;

typedef struct {
	char *name;
	pd_rpos pos;
	pd_rnode *cond;        /* NULL: every mail */
	GPtrArray *actions;    /* of pd_raction* */
	gboolean stops;        /* stop, drop or quarantine */
	gboolean uses_captures;  /* an action has ${name} */
	char *canon;           /* the condition in a canonical form, for duplicates */
	gint limit_hits;       /* atomic: patterns of this rule that hit a limit */
} pd_rrule;

/* One use of an automaton pattern by a leaf. */
typedef struct {
	guint32 leaf;
	guint16 slot;          /* the slot the leaf reads; PD_USE_RECIPIENTS: to and cc */
	guint16 word;          /* TRUE: a contains keyword, check whole words; else a hint */
} pd_ruse;

#define PD_USE_RECIPIENTS G_MAXUINT16

typedef struct pd_ac pd_ac;

struct pd_ruleset {
	gint refcount;
	pd_rules_limits limits;
	GPtrArray *files;      /* char*, in load order */
	GPtrArray *rules;      /* pd_rrule* */
	GPtrArray *leaves;     /* pd_rleaf* */
	GPtrArray *headers;    /* char*: header names, by slot */
	pd_ac *ac;
	guint npatterns;       /* in the automaton */
	guint32 *use_start;    /* uses of pattern p: uses[use_start[p] .. use_start[p+1]) */
	pd_ruse *uses;
	guint *always;         /* rules evaluated for every mail, ascending */
	guint nalways;
	guint *scan_slots;     /* slots the automaton reads */
	guint nscan;
	guint max_captures;    /* the largest capture count of any pattern */
};

/* ---- lexer.c / parser.c ---- */

/* Parse one file's text into rs; errors (formatted messages) go to errors.
 * names maps rule names to their pd_rrule, across files. */
void pd_rules_parse(pd_ruleset *rs, const char *file, const char *text, gsize len,
                    GHashTable *names, GPtrArray *errors);

/* "file:line:col: message", the source line and a caret under col. */
char *pd_rules_format(const pd_rpos *pos, const char *text, gsize len, const char *fmt, ...)
	G_GNUC_PRINTF(4, 5);
/* The closest of candidates to word (small edit distance), or NULL. */
const char *pd_rules_closest(const char *word, const char *const *candidates);

/* ---- check.c ---- */

/* After parsing (patterns are compiled by then): warnings about rules no
 * mail reaches, tests that cannot hold and unknown names; then the
 * automaton and the plan of which rules run on every mail. texts maps
 * file names to their GBytes, for the source line under a warning. */
void pd_rules_check(pd_ruleset *rs, const pd_rules_known *known, GHashTable *texts, GPtrArray *warnings);
void pd_rleaf_free(pd_rleaf *leaf);
void pd_raction_free(pd_raction *action);
/* Does this leaf look at this slot (recipients: to and cc)? */
gboolean pd_rleaf_reads_slot(const pd_rleaf *leaf, guint slot);
void pd_rrule_free(pd_rrule *rule);
void pd_rnode_free(pd_rnode *node);

/* ---- fold.c ---- */

/* Append s folded: NFC, full Unicode case folding, every run of white
 * space as one space. Substrings survive folding: if a occurs in b, the
 * folded a occurs in the folded b. */
void pd_fold_append(GString *out, const char *s, gsize len);
/* Folded and trimmed; caller frees. */
char *pd_fold(const char *s);
/* s in NFC: s itself when it already is (*owned_r NULL), else a copy in
 * *owned_r that the caller frees. */
const char *pd_nfc(const char *s, gsize len, gsize *len_r, char **owned_r);
gboolean pd_is_word_char(gunichar c);
/* Whole-word edges of a hit [start, end) in text[lo, hi). */
gboolean pd_word_edge_before(const char *text, gsize lo, gsize start);
gboolean pd_word_edge_after(const char *text, gsize end, gsize hi);
/* Does this keyword need a boundary check at its first/last character? */
void pd_word_edges(const char *folded, gboolean *left_r, gboolean *right_r);

/* ---- automaton.c: Aho-Corasick over bytes ---- */

typedef struct pd_ac_builder pd_ac_builder;
pd_ac_builder *pd_ac_builder_new(void);
/* The id of the pattern (the same bytes give the same id). len > 0. */
guint pd_ac_builder_add(pd_ac_builder *b, const char *s, gsize len);
guint pd_ac_builder_count(const pd_ac_builder *b);
pd_ac *pd_ac_build(pd_ac_builder *b);   /* consumes the builder */
void pd_ac_free(pd_ac **ac);
guint pd_ac_pattern_len(const pd_ac *ac, guint id);
/* Calls fn for every occurrence (end is one past the last byte). */
typedef void (*pd_ac_hit_fn)(guint id, gsize end, gpointer data);
void pd_ac_scan(const pd_ac *ac, const char *text, gsize len, pd_ac_hit_fn fn, gpointer data);
gsize pd_ac_memory(const pd_ac *ac);

/* ---- rxscan.c: what a pattern's text tells before it runs ---- */

typedef struct {
	GPtrArray *literals;   /* char*: every match contains one of them; NULL: unknown */
	gboolean impossible;   /* can never match (a^b, \z.) */
	gboolean risky;        /* might backtrack a lot at every start position */
} pd_rxscan;

void pd_rxscan_pattern(const char *pattern, gsize len, const char *flags, pd_rxscan *out);
void pd_rxscan_clear(pd_rxscan *scan);

/* ---- regex.c: PCRE2 ---- */

typedef enum {
	PD_RX_NOMATCH,
	PD_RX_MATCH,
	PD_RX_LIMIT,     /* the match limit or the JIT stack: counted as no match */
	PD_RX_TIMEOUT,   /* the time budget ran out (timed patterns only) */
	PD_RX_SKIPPED,   /* not run: the mail's time for patterns was used up */
} pd_rx_result;

/* Compile /pattern/flags. On error returns NULL with *message_r (caller
 * frees) and *offset_r, the byte offset in pattern the problem is at.
 * Start-of-pattern options such as (*LIMIT_MATCH=...) are refused unless
 * allow_options (tests only). */
pd_rx *pd_rx_compile(const char *pattern, const char *flags, const pd_rules_limits *limits,
                     gboolean allow_options, char **message_r, gsize *offset_r);
void pd_rx_free(pd_rx *rx);
const pd_rxscan *pd_rx_scan(const pd_rx *rx);
/* Named groups: a NULL-terminated array of names (owned by rx). */
const char *const *pd_rx_names(const pd_rx *rx);
guint pd_rx_capture_count(const pd_rx *rx);
gboolean pd_rx_matches_empty(const pd_rx *rx);
gboolean pd_rx_jit(const pd_rx *rx);

/* Run rx on subject. deadline_us is a monotonic time after which a
 * running match gives up (counts as a limit). On a match, the matched
 * span and each named capture ("name", "value" pairs appended to
 * captures when not NULL). */
pd_rx_result pd_rx_match(const pd_rx *rx, const pd_rules_limits *limits, const char *subject, gsize len,
                         gint64 deadline_us, gsize *start_r, gsize *end_r, GPtrArray *captures);

/* ---- apply.c / input.c ---- */

struct pd_rules_input {
	char *text[PD_SLOT_HEADERS];  /* subject, from, from-name, -, -, body, full body, -, -, source */
	GPtrArray *to, *cc;           /* char* */
	GPtrArray *headers;           /* "name", "value", ... */
	GPtrArray *att_names, *att_types;  /* char*, "" when absent */
	GArray *att_sizes;            /* guint64 */
	guint64 size;
	guint32 flags;
};

void pd_rules_apply_thread_cleanup(void);
pd_decision *pd_decision_new(const pd_ruleset *rs);
void pd_rules_evidence_free(pd_rules_evidence *e);
void pd_rules_trace_free(pd_rules_trace *t);
void pd_rx_thread_cleanup(void);

/* Tests only: called by the loader between fstat and read of each file,
 * to change the file under it. */
extern void (*pd_rules_read_hook)(const char *path, int fd);
/* Tests only: compile patterns without JIT, as when JIT compilation fails
 * (the interpreter has its own heap and depth limits). */
extern gboolean pd_rules_no_jit;

/* Limits with defaults filled in. */
void pd_rules_limits_resolve(const pd_rules_limits *in, pd_rules_limits *out);

#endif
