/* parser.h: what parser.c, condition.c and actions.c share: the parser's state and its helpers. */
#ifndef PD_RULES_PARSER_H
#define PD_RULES_PARSER_H

#include "lexer.h"

typedef struct {
	pd_lexer lx;
	pd_token tok;
	pd_ruleset *rs;
	GHashTable *names;     /* rule name -> pd_rrule* */
	GPtrArray *errors;
	pd_rrule *rule;        /* the rule being read */
	guint rule_index;
	GPtrArray *captures;   /* names captured by this rule's patterns */
	int depth;
} pd_parser;

/* Helpers (parser.c). */
void pd_parse_advance(pd_parser *p);
gboolean pd_parse_is(const pd_parser *p, const char *word);   /* the current token is this word */
int pd_parse_index(const char *word, const char *const *list);  /* -1 if not in the list */
gboolean pd_parse_too_many(const pd_parser *p);               /* enough errors reported */
void pd_parse_error(pd_parser *p, const pd_rpos *pos, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
char *pd_parse_describe(const pd_token *tok);              /* "\"word\"", "the end of the file" */
/* "expected WHAT (choices), found X; did you mean Y?" at the current token. */
void pd_parse_expected(pd_parser *p, const char *what, const char *const *choices);
char *pd_parse_name(pd_parser *p, const char *what);          /* a word or "text"; caller frees */

/* condition.c */
extern const char *const pd_rules_field_words[];
pd_rnode *pd_parse_condition(pd_parser *p);

/* actions.c */
gboolean pd_parse_actions(pd_parser *p);

#endif
