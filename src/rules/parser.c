/* parser.c: tokens -> rules: `rule "name" when CONDITION then ACTIONS`, with errors that say what was expected. */
#include "config.h"
#include "parser.h"

#include <stdarg.h>
#include <string.h>

/* The grammar, for reference (words are case-insensitive):
 *
 *   file      = { rule }
 *   rule      = "rule" STRING [ "when" condition ] "then" action { ["and"] action }
 *   condition = unary { "and" unary } | unary { "or" unary }   -- mixing needs ( )
 *   unary     = "not" unary | "(" condition ")" | test
 *   test      = field text-test | "size" compare | "attachment" "size" compare
 *             | "mail" "is" ["a"|"an"] kind
 *   field     = subject | from | from-name | to | cc | recipients | body | full-body
 *             | source | header NAME | attachment name | attachment type
 *   text-test = contains STRINGS | matches PATTERNS | is STRINGS
 *             | starts [with] STRINGS | ends [with] STRINGS | exists
 *   compare   = ("<" | "<=" | ">" | ">=") NUMBER [unit]
 *   action    = queue NAME | priority LEVEL | assign [to] [agent|group] NAME
 *             | tag NAMES | untag NAMES | set WORD "=" STRING | status STATUS
 *             | reply [with] NAME | noreply | sla NAME | quarantine STRING
 *             | drop | stop
 */

static const char *const rule_words[] = { "rule", NULL };

/* ---- helpers ---- */

void
pd_parse_advance(pd_parser *p)
{
	pd_lexer_next(&p->lx, &p->tok);
}

gboolean
pd_parse_is(const pd_parser *p, const char *word)
{
	return p->tok.type == PD_T_WORD && g_ascii_strcasecmp(p->tok.text, word) == 0;
}

int
pd_parse_index(const char *word, const char *const *list)
{
	for (int i = 0; list[i] != NULL; i++)
		if (g_ascii_strcasecmp(word, list[i]) == 0)
			return i;
	return -1;
}

gboolean
pd_parse_too_many(const pd_parser *p)
{
	return p->errors->len >= PD_RULES_MAX_ERRORS;
}

void
pd_parse_error(pd_parser *p, const pd_rpos *pos, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	if (pd_parse_too_many(p))
		return;
	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_ptr_array_add(p->errors, pd_rules_format(pos, p->lx.text, p->lx.len, "%s", msg));
	g_free(msg);
}

/* What the current token is, for "expected X, found Y". */
char *
pd_parse_describe(const pd_token *tok)
{
	switch (tok->type) {
	case PD_T_EOF: return g_strdup("the end of the file");
	case PD_T_WORD: return g_strdup_printf("\"%s\"", tok->text);
	case PD_T_STRING: return g_strdup_printf("the text \"%s\"", tok->text);
	case PD_T_REGEX: return g_strdup("a /pattern/");
	case PD_T_LPAREN: return g_strdup("\"(\"");
	case PD_T_RPAREN: return g_strdup("\")\"");
	case PD_T_COMMA: return g_strdup("\",\"");
	case PD_T_EQ: return g_strdup("\"=\"");
	case PD_T_ERROR: return g_strdup("a mistake");
	default: return g_strdup("a comparison");
	}
}

/* "expected one of: a, b, c, found "x"; did you mean "b"?" */
void
pd_parse_expected(pd_parser *p, const char *what, const char *const *choices)
{
	if (p->tok.type == PD_T_ERROR)
		return;  /* the lexer said what is wrong there */
	char *found = pd_parse_describe(&p->tok);
	const char *near = p->tok.type == PD_T_WORD && choices != NULL ? pd_rules_closest(p->tok.text, choices) : NULL;
	GString *msg = g_string_new(NULL);

	g_string_append_printf(msg, "expected %s", what);
	if (choices != NULL && near == NULL) {
		char *list = g_strjoinv(", ", (char **)choices);
		g_string_append_printf(msg, " (%s)", list);
		g_free(list);
	}
	g_string_append_printf(msg, ", found %s", found);
	if (near != NULL)
		g_string_append_printf(msg, "; did you mean \"%s\"?", near);
	pd_parse_error(p, &p->tok.pos, "%s", msg->str);
	g_string_free(msg, TRUE);
	g_free(found);
}

static gboolean
has_control(const char *s)
{
	for (; *s != '\0'; s = g_utf8_next_char(s))
		if (g_unichar_iscntrl(g_utf8_get_char(s)))
			return TRUE;
	return FALSE;
}

/* A name: a word or a quoted text, not empty, one line. Caller frees. */
char *
pd_parse_name(pd_parser *p, const char *what)
{
	if (p->tok.type != PD_T_WORD && p->tok.type != PD_T_STRING) {
		pd_parse_expected(p, what, NULL);
		return NULL;
	}
	if (p->tok.text[0] == '\0' || has_control(p->tok.text) || strlen(p->tok.text) > 200) {
		pd_parse_error(p, &p->tok.pos, "%s must be one line of 1 to 200 bytes", what);
		return NULL;
	}
	char *name = g_strdup(p->tok.text);
	pd_parse_advance(p);
	return name;
}

/* ---- rules ---- */

static gboolean
rule_name(pd_parser *p)
{
	if (p->tok.type == PD_T_WORD) {
		pd_parse_error(p, &p->tok.pos, "the rule's name goes in double quotes: rule \"%s\"", p->tok.text);
		return FALSE;
	}
	char *name = pd_parse_name(p, "the rule's name in double quotes");
	if (name == NULL)
		return FALSE;
	const pd_rrule *other = g_hash_table_lookup(p->names, name);
	if (other != NULL) {
		pd_parse_error(p, &p->rule->pos, "a rule named \"%s\" already exists (%s:%u)", name, other->pos.file,
		               other->pos.line);
		g_free(name);
		return FALSE;
	}
	p->rule->name = name;
	g_hash_table_insert(p->names, name, p->rule);
	return TRUE;
}

static gboolean
parse_rule(pd_parser *p)
{
	p->rule = g_new0(pd_rrule, 1);
	p->rule->pos = p->tok.pos;
	p->rule->actions = g_ptr_array_new_with_free_func((GDestroyNotify)pd_raction_free);
	p->rule_index = p->rs->rules->len;
	g_ptr_array_add(p->rs->rules, p->rule);
	g_ptr_array_set_size(p->captures, 0);
	pd_parse_advance(p);
	if (!rule_name(p))
		return FALSE;
	if (pd_parse_is(p, "when")) {
		pd_parse_advance(p);
		p->depth = 0;
		p->rule->cond = pd_parse_condition(p);
		if (p->rule->cond == NULL)
			return FALSE;
	}
	return pd_parse_actions(p);
}

/* After an error, go on at the next line that starts with `rule`. */
static void
recover(pd_parser *p)
{
	p->lx.quiet = TRUE;
	while (p->tok.type != PD_T_EOF && !(pd_parse_is(p, "rule") && p->tok.line_start))
		pd_parse_advance(p);
	p->lx.quiet = FALSE;
}

void
pd_rules_parse(pd_ruleset *rs, const char *file, const char *text, gsize len, GHashTable *names, GPtrArray *errors)
{
	pd_parser p = { 0 };

	p.rs = rs;
	p.names = names;
	p.errors = errors;
	p.captures = g_ptr_array_new_with_free_func(g_free);
	pd_lexer_init(&p.lx, file, text, len, rs->limits.max_pattern_length, errors);
	pd_parse_advance(&p);
	while (p.tok.type != PD_T_EOF && !pd_parse_too_many(&p)) {
		if (!pd_parse_is(&p, "rule")) {
			if (p.tok.type != PD_T_ERROR)
				pd_parse_expected(&p, "\"rule\" to start a rule", rule_words);
			pd_parse_advance(&p);
			recover(&p);
			continue;
		}
		if (!parse_rule(&p))
			recover(&p);
	}
	pd_token_clear(&p.tok);
	g_ptr_array_unref(p.captures);
}
