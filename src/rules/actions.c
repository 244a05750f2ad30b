/* actions.c: the `then` part of a rule: queue, tag, set "${capture}", stop and the rest. */
#include "config.h"
#include "parser.h"

#include <stdarg.h>
#include <string.h>

static const char *const action_words[] = {
	"queue", "priority", "assign", "tag", "untag", "set", "status", "reply", "noreply", "sla",
	"quarantine", "drop", "stop", NULL,
};
static const char *const priority_words[] = { "low", "normal", "high", "urgent", NULL };
static const char *const status_words[] = { "new", "open", "pending", "resolved", "closed", NULL };
/* Names a `set` may not use: each has its own action. */
static const char *const reserved_fields[] = {
	"queue", "priority", "assign", "assignee", "tag", "tags", "status", "reply", "sla", NULL,
};

static pd_raction *
action_new(pd_raction_kind kind, const pd_rpos *pos, char *arg)
{
	pd_raction *a = g_new0(pd_raction, 1);
	a->kind = kind;
	a->pos = *pos;
	a->arg = arg;
	return a;
}

static void
unknown_capture(pd_parser *p, const pd_rpos *at, const char *name)
{
	GPtrArray *names = g_ptr_array_new();
	for (guint i = 0; i < p->captures->len; i++)
		g_ptr_array_add(names, p->captures->pdata[i]);
	g_ptr_array_add(names, NULL);  /* pd_rules_closest wants a NULL-terminated list */
	const char *near = pd_rules_closest(name, (const char *const *)names->pdata);
	if (near != NULL)
		pd_parse_error(p, at, "no pattern of this rule captures \"%s\"; did you mean \"%s\"?", name, near);
	else
		pd_parse_error(p, at, "no pattern of this rule captures \"%s\"; name a group in a pattern, "
		               "as in /order (?<%s>\\d+)/", name, *name != '\0' ? name : "number");
	g_ptr_array_unref(names);
}

/* Split "text with ${capture}" (the raw text between the quotes) into
 * parts; a capture name must be one this rule's patterns capture. */
static GPtrArray *
template_parts(pd_parser *p, const pd_token *tok)
{
	GPtrArray *parts = g_ptr_array_new_with_free_func(g_free);
	GString *lit = g_string_new(NULL);
	const char *raw = p->lx.text + tok->start + 1, *end = p->lx.text + tok->end - 1;

	for (const char *s = raw; s < end;) {
		if (*s == '\\' && s + 1 < end) {
			g_string_append_c(lit, s[1] == 'n' ? '\n' : s[1] == 't' ? '\t' : s[1]);
			s += 2;
			continue;
		}
		if (s[0] != '$' || s + 1 >= end || s[1] != '{') {
			g_string_append_c(lit, *s++);
			continue;
		}
		const char *close = memchr(s, '}', (gsize)(end - s));
		pd_rpos at = pd_lexer_pos_at(&p->lx, (gsize)(s - p->lx.text));
		if (close == NULL) {
			pd_parse_error(p, &at, "\"${\" without a closing \"}\"; write \\$ for a dollar sign");
			goto fail;
		}
		char *name = g_strndup(s + 2, (gsize)(close - s - 2));
		if (!g_ptr_array_find_with_equal_func(p->captures, name, g_str_equal, NULL)) {
			unknown_capture(p, &at, name);
			g_free(name);
			goto fail;
		}
		g_ptr_array_add(parts, g_strdup(lit->str));
		g_string_truncate(lit, 0);
		g_ptr_array_add(parts, g_strconcat("\1", name, NULL));
		p->rule->uses_captures = TRUE;
		g_free(name);
		s = close + 1;
	}
	g_ptr_array_add(parts, g_string_free(lit, FALSE));
	return parts;
fail:
	g_string_free(lit, TRUE);
	g_ptr_array_unref(parts);
	return NULL;
}

static pd_raction *
action_set(pd_parser *p, const pd_rpos *pos)
{
	if (p->tok.type != PD_T_WORD) {
		pd_parse_expected(p, "a field name (set order = \"${order}\")", NULL);
		return NULL;
	}
	for (const char *c = p->tok.text; *c != '\0'; c++)
		if (!g_ascii_isalnum(*c) && *c != '-' && *c != '_') {
			pd_parse_error(p, &p->tok.pos, "a field name has letters, digits, - and _ only");
			return NULL;
		}
	if (pd_parse_index(p->tok.text, reserved_fields) >= 0) {
		pd_parse_error(p, &p->tok.pos, "\"%s\" has its own action: write %s NAME instead of set", p->tok.text,
		               g_str_has_prefix(p->tok.text, "tag") ? "tag" : g_str_has_prefix(p->tok.text, "assign") ?
		               "assign" : p->tok.text);
		return NULL;
	}
	char *field = g_ascii_strdown(p->tok.text, -1);
	pd_parse_advance(p);
	if (p->tok.type != PD_T_EQ) {
		pd_parse_expected(p, "\"=\" (set field = \"text\")", NULL);
		g_free(field);
		return NULL;
	}
	pd_parse_advance(p);
	if (p->tok.type != PD_T_STRING) {
		pd_parse_expected(p, "a \"text\" in double quotes", NULL);
		g_free(field);
		return NULL;
	}
	GPtrArray *parts = template_parts(p, &p->tok);
	if (parts == NULL) {
		g_free(field);
		return NULL;
	}
	pd_parse_advance(p);
	pd_raction *a = action_new(PD_RA_SET, pos, field);
	a->text = parts;
	return a;
}

static pd_raction *
action_choice(pd_parser *p, pd_raction_kind kind, const pd_rpos *pos, const char *what, const char *const *choices)
{
	int i = p->tok.type == PD_T_WORD ? pd_parse_index(p->tok.text, choices) : -1;
	if (i < 0) {
		pd_parse_expected(p, what, choices);
		return NULL;
	}
	pd_parse_advance(p);
	return action_new(kind, pos, g_strdup(choices[i]));
}

static pd_raction *
action_named(pd_parser *p, pd_raction_kind kind, const pd_rpos *pos, const char *what)
{
	pd_rpos at = p->tok.pos;
	char *name = pd_parse_name(p, what);
	pd_raction *a = name != NULL ? action_new(kind, pos, name) : NULL;
	if (a != NULL)
		a->arg_pos = at;
	return a;
}

static pd_raction *
action_assign(pd_parser *p, const pd_rpos *pos)
{
	pd_raction_kind kind = PD_RA_ASSIGN_AGENT;

	if (pd_parse_is(p, "to"))
		pd_parse_advance(p);
	if (pd_parse_is(p, "agent") || pd_parse_is(p, "group")) {
		kind = pd_parse_is(p, "group") ? PD_RA_ASSIGN_GROUP : PD_RA_ASSIGN_AGENT;
		pd_parse_advance(p);
	}
	return action_named(p, kind, pos, kind == PD_RA_ASSIGN_GROUP ? "a group name" : "an agent name");
}

static pd_raction *
action_quarantine(pd_parser *p, const pd_rpos *pos)
{
	if (p->tok.type != PD_T_STRING) {
		pd_parse_expected(p, "a reason in double quotes (quarantine \"looks like phishing\")", NULL);
		return NULL;
	}
	GPtrArray *parts = template_parts(p, &p->tok);
	if (parts == NULL)
		return NULL;
	pd_parse_advance(p);
	pd_raction *a = action_new(PD_RA_QUARANTINE, pos, NULL);
	a->text = parts;
	return a;
}

/* tag a, b, c: one action per name. */
static gboolean
action_tags(pd_parser *p, pd_raction_kind kind, const pd_rpos *pos)
{
	for (;;) {
		pd_raction *a = action_named(p, kind, pos, "a tag name");
		if (a == NULL)
			return FALSE;
		g_ptr_array_add(p->rule->actions, a);
		if (p->tok.type != PD_T_COMMA)
			return TRUE;
		pd_parse_advance(p);
	}
}

static pd_raction *
action_simple(pd_parser *p, int which, const pd_rpos *pos)
{
	switch (which) {
	case 0: return action_named(p, PD_RA_QUEUE, pos, "a queue name");
	case 1: return action_choice(p, PD_RA_PRIORITY, pos, "a priority", priority_words);
	case 2: return action_assign(p, pos);
	case 5: return action_set(p, pos);
	case 6: return action_choice(p, PD_RA_STATUS, pos, "a status", status_words);
	case 7:
		if (pd_parse_is(p, "with"))
			pd_parse_advance(p);
		return action_named(p, PD_RA_REPLY, pos, "a template name");
	case 8: return action_new(PD_RA_NOREPLY, pos, NULL);
	case 9: return action_named(p, PD_RA_SLA, pos, "an SLA name");
	case 10: return action_quarantine(p, pos);
	case 11: return action_new(PD_RA_DROP, pos, NULL);
	default: return action_new(PD_RA_STOP, pos, NULL);
	}
}

static void
not_an_action(pd_parser *p)
{
	if (pd_parse_is(p, "when"))
		pd_parse_error(p, &p->tok.pos, "\"when\" after \"then\": the condition comes first, the actions after then");
	else if (p->tok.type == PD_T_STRING)
		pd_parse_error(p, &p->tok.pos, "expected an action or the next rule, found the text \"%s\"; "
		               "a rule starts with: rule \"%s\"", p->tok.text, p->tok.text);
	else if (p->tok.type == PD_T_WORD && pd_parse_index(p->tok.text, pd_rules_field_words) >= 0 &&
	         pd_parse_index(p->tok.text, action_words) < 0)
		pd_parse_error(p, &p->tok.pos, "\"%s\" is a field, not an action; conditions go between when and then",
		               p->tok.text);
	else
		pd_parse_expected(p, "an action", action_words);
}

static gboolean
parse_action(pd_parser *p)
{
	int which = p->tok.type == PD_T_WORD ? pd_parse_index(p->tok.text, action_words) : -1;
	pd_rpos pos = p->tok.pos;

	if (which < 0) {
		not_an_action(p);
		return FALSE;
	}
	pd_parse_advance(p);
	if (which == 3 || which == 4)
		return action_tags(p, which == 3 ? PD_RA_TAG : PD_RA_UNTAG, &pos);
	pd_raction *a = action_simple(p, which, &pos);
	if (a == NULL)
		return FALSE;
	g_ptr_array_add(p->rule->actions, a);
	return TRUE;
}

static gboolean
check_fates(pd_parser *p)
{
	const pd_raction *fate = NULL;

	for (guint i = 0; i < p->rule->actions->len; i++) {
		const pd_raction *a = p->rule->actions->pdata[i];
		if (a->kind != PD_RA_DROP && a->kind != PD_RA_QUARANTINE)
			continue;
		if (fate != NULL && fate->kind != a->kind) {
			pd_parse_error(p, &a->pos, "a rule can drop a mail or quarantine it, not both");
			return FALSE;
		}
		fate = a;
	}
	for (guint i = 0; i < p->rule->actions->len; i++) {
		pd_raction_kind k = ((pd_raction *)p->rule->actions->pdata[i])->kind;
		p->rule->stops |= k == PD_RA_STOP || k == PD_RA_DROP || k == PD_RA_QUARANTINE;
	}
	return TRUE;
}

gboolean
pd_parse_actions(pd_parser *p)
{
	if (!pd_parse_is(p, "then")) {
		if (p->rule->cond == NULL && p->tok.type == PD_T_WORD && pd_parse_index(p->tok.text, pd_rules_field_words) >= 0)
			pd_parse_error(p, &p->tok.pos, "a condition starts with \"when\": when %s ...", p->tok.text);
		else
			pd_parse_expected(p, p->rule->cond == NULL ? "\"when\" or \"then\"" : "\"and\", \"or\" or \"then\"", NULL);
		return FALSE;
	}
	pd_parse_advance(p);
	do {
		if (pd_parse_is(p, "and") && p->rule->actions->len > 0)
			pd_parse_advance(p);
		if (!parse_action(p))
			return FALSE;
	} while (p->tok.type != PD_T_EOF && !pd_parse_is(p, "rule"));
	return check_fates(p);
}

