/* rules.h: the admin's routing rules: load and check the .rules files, match a mail, explain the decision. */
#ifndef PD_RULES_H
#define PD_RULES_H

#include <glib.h>
#include "parse/parse.h"

/* Rule problems are GErrors in this domain; the message is one or more
 * "file:line:col: message" lines, each followed by the source line and a
 * caret, and a hint where one helps. */
#define PD_RULES_ERROR (pd_rules_error_quark())
GQuark pd_rules_error_quark(void);
typedef enum {
	PD_RULES_ERROR_SYNTAX,   /* the text is not a valid rule set (grammar, names, patterns) */
	PD_RULES_ERROR_FILE,     /* a file could not be read whole: missing, binary, too large, changing */
} pd_rules_error_code;

/* Names the rules may refer to. Each list is NULL-terminated; a NULL list
 * means "not known yet" and is not checked. A name not in a given list is
 * a warning, not an error, so a rule can be written before its queue. */
typedef struct {
	const char *const *queues;
	const char *const *agents;
	const char *const *groups;
	const char *const *templates;
	const char *const *slas;
} pd_rules_known;

/* Limits that keep a hostile or careless rule set from hurting the daemon.
 * Zero in any field means the default given here. */
typedef struct {
	gsize max_file_size;        /* one rule file: 4 MiB */
	gsize max_pattern_length;   /* one /regex/ or quoted text: 8 KiB */
	guint32 match_limit;        /* PCRE2 match limit, per start position: 100,000 */
	guint32 regex_time_us;      /* one regex on one field value: 20,000 us */
	guint32 message_time_us;    /* all regexes for one mail: 200,000 us */
	gsize jit_stack_max;        /* per thread: 512 KiB */
} pd_rules_limits;

typedef struct {
	pd_rules_known known;
	pd_rules_limits limits;
} pd_rules_options;

/* A compiled rule set: immutable once loaded, shared between threads, and
 * reference counted so a reload swaps one pointer for another while mail
 * in flight finishes with the set it started with. */
typedef struct pd_ruleset pd_ruleset;

/* Load every "*.rules" file in dir, in byte order of the file names, and
 * compile the whole set. Any error refuses the whole set (NULL, error set,
 * every error found listed in its message, up to a limit). Warnings
 * ("file:line:col: warning: ...", char*) are appended to warnings when it
 * is not NULL. options may be NULL. */
pd_ruleset *pd_ruleset_load(const char *dir, const pd_rules_options *options, GPtrArray *warnings,
                            GError **error);
/* The same from text in memory; name is used in messages as the file name. */
pd_ruleset *pd_ruleset_compile(const char *name, const char *text, gsize len,
                               const pd_rules_options *options, GPtrArray *warnings, GError **error);

pd_ruleset *pd_ruleset_ref(pd_ruleset *rs);
void pd_ruleset_unref(pd_ruleset *rs);
void pd_ruleset_free(pd_ruleset **rs);  /* unref; accepts NULL; sets *rs to NULL */

guint pd_ruleset_count(const pd_ruleset *rs);        /* rules */
guint pd_ruleset_file_count(const pd_ruleset *rs);   /* files loaded */

/* Rules whose patterns hit a limit (treated as no match), since the set was
 * loaded: one "rule \"NAME\" (file:line): N times" line each, or NULL when
 * none did. Caller frees. The counters are the only mutable part of a set. */
char *pd_ruleset_limit_report(const pd_ruleset *rs);

/* ---- what a rule looks at ---- */

/* The mail as the rules see it, independent of pd_message so tests, the
 * CLI and later the daemon can fill it. Strings are copied and made valid
 * UTF-8 by the setters. */
typedef struct pd_rules_input pd_rules_input;

typedef enum {
	PD_RULES_SUBJECT,
	PD_RULES_FROM,        /* the sender's address */
	PD_RULES_FROM_NAME,   /* the sender's display name */
	PD_RULES_TO,          /* addresses, one value each */
	PD_RULES_CC,
	PD_RULES_BODY,        /* the new text of a reply (no quoted history, no signature) */
	PD_RULES_FULL_BODY,   /* the whole text */
	PD_RULES_SOURCE,      /* the name of the mailbox it came from */
} pd_rules_text;

/* The parser's flags (pd_message_flags), by the same bits. */
enum {
	PD_RULES_AUTO_SUBMITTED = 1 << 0,
	PD_RULES_AUTO_REPLIED = 1 << 1,
	PD_RULES_OUT_OF_OFFICE = 1 << 2,
	PD_RULES_BOUNCE = 1 << 3,
	PD_RULES_LIST = 1 << 4,
	PD_RULES_OURS = 1 << 5,
};

pd_rules_input *pd_rules_input_new(void);
void pd_rules_input_free(pd_rules_input **in);
/* Set a single-valued text, or add one more value to TO and CC. */
void pd_rules_input_set(pd_rules_input *in, pd_rules_text field, const char *value);
void pd_rules_input_add(pd_rules_input *in, pd_rules_text field, const char *value);
void pd_rules_input_add_header(pd_rules_input *in, const char *name, const char *value);
void pd_rules_input_add_attachment(pd_rules_input *in, const char *name, const char *type, guint64 size);
void pd_rules_input_set_size(pd_rules_input *in, guint64 size);
void pd_rules_input_set_flags(pd_rules_input *in, guint32 flags);
/* Every header field of the raw mail's header block: unfolded, RFC 2047
 * encoded words decoded. Stops at the first blank line. */
void pd_rules_input_add_raw_headers(pd_rules_input *in, const char *raw, gsize len);

/* A parsed mail (src/parse/parse.h) as input; source may be NULL. The
 * message carries no header list, so add the raw headers too for rules
 * that test header "Name". */
pd_rules_input *pd_rules_input_from_message(const pd_message *msg, const char *source);

/* ---- the decision ---- */

typedef enum {
	PD_RULES_FATE_TICKET = 0,   /* the usual: open or update a ticket */
	PD_RULES_FATE_DROP,         /* a rule said drop: no ticket, mail acknowledged */
	PD_RULES_FATE_QUARANTINE,   /* a rule said quarantine "reason" */
} pd_rules_fate;

typedef enum {
	PD_RULES_REPLY_DEFAULT = 0, /* no rule spoke: the daemon's usual acknowledgement */
	PD_RULES_REPLY_TEMPLATE,    /* reply TEMPLATE */
	PD_RULES_REPLY_NONE,        /* noreply */
} pd_rules_reply;

/* One condition that held, for explanations. */
typedef struct {
	const char *field;   /* "subject", "header \"List-Id\"", ... (borrowed from the set) */
	const char *test;    /* "contains \"refund\"", "matches /.../i", ... (borrowed) */
	char *found;         /* the text that matched, cut to 80 characters; may be NULL */
	gboolean negated;    /* under a `not`: this test was false, which made the rule hold */
} pd_rules_evidence;

typedef struct {
	const char *rule;        /* name (borrowed from the set the decision holds) */
	const char *file;
	guint line;
	GPtrArray *evidence;     /* of pd_rules_evidence*; empty unless explained */
	GPtrArray *captures;     /* "name", "value", ... pairs (char*); empty unless explained or used */
	GPtrArray *actions;      /* of char*, each action as applied ("queue billing"); explained only */
} pd_rules_trace;

typedef struct {
	pd_rules_fate fate;
	char *quarantine_reason;    /* with PD_RULES_FATE_QUARANTINE */
	char *queue;                /* NULL: no rule set one (the source's queue applies) */
	char *priority;             /* low, normal, high, urgent; NULL: unchanged */
	char *assignee;             /* agent or group name; NULL: nobody */
	gboolean assignee_is_group;
	char *status;               /* new, open, pending, resolved, closed; NULL: unchanged */
	pd_rules_reply reply;
	char *reply_template;       /* with PD_RULES_REPLY_TEMPLATE */
	char *sla;                  /* NULL: the default SLA */
	GPtrArray *tags;            /* char*, in the order first added, untagged ones removed */
	GPtrArray *fields;          /* "name", "value", ... pairs (char*), each name once */
	GPtrArray *matched;         /* pd_rules_trace*, rules that held, in order */
	const char *stopped_by;     /* the rule that said stop, drop or quarantine; NULL if none */
	GPtrArray *warnings;        /* char*: limits hit while matching this mail */
	pd_ruleset *ruleset;        /* a reference, so borrowed names stay valid */
} pd_decision;

/* Run the rules on one mail. Never fails: a pattern that hits a limit
 * counts as no match and adds a warning naming the rule. With explain,
 * each matched rule records the conditions that held and the actions it
 * applied. Safe to call from many threads on one set. */
pd_decision *pd_ruleset_apply(const pd_ruleset *rs, const pd_rules_input *in, gboolean explain);
void pd_decision_free(pd_decision **d);

/* Human-readable: one line ("queue billing, priority high, tags: vip"), or
 * with explain the matched rules, their evidence and actions first.
 * Caller frees. */
char *pd_decision_to_text(const pd_decision *d, gboolean explain);
/* a{sv} (floating): fate, queue, priority, assignee, assignee_kind, status,
 * reply, reply_template, sla, tags, fields, quarantine_reason, stopped_by,
 * matched (aa{sv}), warnings. Absent values are omitted. */
GVariant *pd_decision_to_variant(const pd_decision *d);
char *pd_decision_to_json(const pd_decision *d);  /* pretty JSON of the variant; caller frees */

/* Free this thread's matcher (PCRE2 match data, JIT stack). Threads do it
 * themselves when they end; call it from the main thread before exit to
 * leave nothing behind for leak checkers. */
void pd_rules_thread_cleanup(void);

#endif
