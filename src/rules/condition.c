/* condition.c: the `when` part of a rule: fields, tests, and/or/not, into leaves and a tree. */
#include "config.h"
#include "parser.h"

#include <stdarg.h>
#include <string.h>

const char *const pd_rules_field_words[] = {
	"subject", "from", "from-name", "to", "cc", "recipients", "body", "full-body",
	"header", "attachment", "source", "size", "mail", NULL,
};
static const pd_rfield field_ids[] = {
	PD_RF_SUBJECT, PD_RF_FROM, PD_RF_FROM_NAME, PD_RF_TO, PD_RF_CC, PD_RF_RECIPIENTS, PD_RF_BODY,
	PD_RF_FULL_BODY, PD_RF_HEADER, PD_RF_ATTACH_NAME, PD_RF_SOURCE, PD_RF_SIZE, PD_RF_MAIL,
};
static const char *const test_words[] = { "contains", "matches", "is", "starts", "ends", "exists", NULL };
static const pd_rop test_ids[] = { PD_ROP_CONTAINS, PD_ROP_MATCHES, PD_ROP_IS, PD_ROP_STARTS, PD_ROP_ENDS, PD_ROP_EXISTS };
static const char *const attach_words[] = { "name", "type", "size", NULL };
static const char *const kind_words[] = {
	"auto-submitted", "auto-replied", "out-of-office", "bounce", "mailing-list", "list", "ours", NULL,
};
static const guint32 kind_bits[] = {
	PD_RULES_AUTO_SUBMITTED, PD_RULES_AUTO_REPLIED, PD_RULES_OUT_OF_OFFICE, PD_RULES_BOUNCE,
	PD_RULES_LIST, PD_RULES_LIST, PD_RULES_OURS,
};
static const char *const unit_words[] = { "b", "byte", "bytes", "k", "kb", "m", "mb", "g", "gb", NULL };
static const guint64 unit_sizes[] = { 1, 1, 1, 1024, 1024, 1 << 20, 1 << 20, 1 << 30, 1 << 30 };

static pd_rnode *
node_new(pd_rnode_kind kind)
{
	pd_rnode *n = g_new0(pd_rnode, 1);
	n->kind = kind;
	return n;
}

static void
node_add(pd_rnode *n, pd_rnode *kid)
{
	n->kids = g_renew(pd_rnode *, n->kids, n->nkids + 1);
	n->kids[n->nkids++] = kid;
}

static pd_rleaf *
leaf_new(pd_parser *p, pd_rfield field, guint header, pd_rop op, const char *field_text)
{
	pd_rleaf *leaf = g_new0(pd_rleaf, 1);
	leaf->field = field;
	leaf->header = header;
	leaf->op = op;
	leaf->rule = p->rule_index;
	leaf->pos = p->tok.pos;
	leaf->field_text = g_strdup(field_text);
	return leaf;
}

static pd_rnode *
leaf_node(pd_parser *p, pd_rleaf *leaf)
{
	pd_rnode *n = node_new(PD_RN_LEAF);
	n->leaf = p->rs->leaves->len;
	g_ptr_array_add(p->rs->leaves, leaf);
	return n;
}

/* One operand of contains/is/starts/ends. */
static pd_rleaf *
text_leaf(pd_parser *p, const pd_rleaf *proto, const char *verb)
{
	pd_rleaf *leaf = leaf_new(p, proto->field, proto->header, proto->op, proto->field_text);
	const char *text = p->tok.text;
	gsize n = strlen(text);

	leaf->operand = g_strdup(text);
	if (proto->op == PD_ROP_CONTAINS && n > 1 && text[n - 1] == '*') {
		char *stem = g_strndup(text, n - 1);
		leaf->folded = pd_fold(stem);
		leaf->prefix = TRUE;
		g_free(stem);
	} else
		leaf->folded = pd_fold(text);
	pd_word_edges(leaf->folded, &leaf->check_left, &leaf->check_right);
	if (leaf->prefix)
		leaf->check_right = FALSE;
	leaf->test_text = g_strdup_printf("%s \"%s\"", verb, text);
	return leaf;
}

/* The byte offset in the file of byte off of a pattern's unescaped text. */
static gsize
pattern_file_offset(const pd_parser *p, gsize off)
{
	const char *raw = p->lx.text + p->tok.start + 1;
	gsize i = 0, unescaped = 0;

	while (unescaped < off && raw + i < p->lx.text + p->tok.end) {
		if (raw[i] == '\\' && raw[i + 1] == '/')
			i++;
		i++;
		unescaped++;
	}
	return p->tok.start + 1 + i;
}

static pd_rleaf *
regex_leaf(pd_parser *p, const pd_rleaf *proto)
{
	char *msg = NULL;
	gsize off = 0;
	pd_rx *rx = pd_rx_compile(p->tok.text, p->tok.flags, &p->rs->limits, FALSE, &msg, &off);

	if (rx == NULL) {
		gboolean flag = g_str_has_prefix(msg, "unknown pattern flag");
		gsize at = flag ? p->tok.end - strlen(p->tok.flags) + off : pattern_file_offset(p, off);
		pd_rpos pos = pd_lexer_pos_at(&p->lx, at);
		if (g_str_has_prefix(msg, "the pattern is") || g_str_has_prefix(msg, "("))
			pos = p->tok.pos;
		pd_parse_error(p, &pos, "%s", msg);
		g_free(msg);
		return NULL;
	}
	pd_rleaf *leaf = leaf_new(p, proto->field, proto->header, PD_ROP_MATCHES, proto->field_text);
	leaf->rx = rx;
	leaf->operand = g_strdup(p->tok.text);
	leaf->test_text = g_strdup_printf("matches /%s/%s", p->tok.text, p->tok.flags);
	for (const char *const *n = pd_rx_names(rx); *n != NULL; n++)
		if (!g_ptr_array_find_with_equal_func(p->captures, *n, g_str_equal, NULL))
			g_ptr_array_add(p->captures, g_strdup(*n));
	return leaf;
}

/* contains "a", "b" -> (contains "a" or contains "b") */
static pd_rnode *
operand_list(pd_parser *p, const pd_rleaf *proto, const char *verb)
{
	pd_rnode *any = node_new(PD_RN_OR);
	gboolean regex = proto->op == PD_ROP_MATCHES;

	do {
		if (any->nkids > 0)
			pd_parse_advance(p);  /* the comma */
		if (regex && p->tok.type == PD_T_STRING) {
			pd_parse_error(p, &p->tok.pos, "a pattern is written between slashes: /%s/", p->tok.text);
			goto fail;
		}
		if (!regex && p->tok.type == PD_T_WORD) {
			pd_parse_error(p, &p->tok.pos, "put the text in double quotes: \"%s\"", p->tok.text);
			goto fail;
		}
		if (p->tok.type != (regex ? PD_T_REGEX : PD_T_STRING)) {
			pd_parse_expected(p, regex ? "a /pattern/" : "a \"text\" in double quotes", NULL);
			goto fail;
		}
		pd_rleaf *leaf = regex ? regex_leaf(p, proto) : text_leaf(p, proto, verb);
		if (leaf == NULL)
			goto fail;
		node_add(any, leaf_node(p, leaf));
		pd_parse_advance(p);
	} while (p->tok.type == PD_T_COMMA);
	if (any->nkids == 1) {
		pd_rnode *one = any->kids[0];
		g_free(any->kids);
		g_free(any);
		return one;
	}
	return any;
fail:
	pd_rnode_free(any);
	return NULL;
}

static pd_rnode *
text_test(pd_parser *p, pd_rleaf *proto)
{
	if (p->tok.type == PD_T_EQ) {
		pd_parse_error(p, &p->tok.pos, "to compare with a text, write: %s is \"...\"", proto->field_text);
		return NULL;
	}
	if (p->tok.type == PD_T_LT || p->tok.type == PD_T_GT || p->tok.type == PD_T_LE || p->tok.type == PD_T_GE) {
		pd_parse_error(p, &p->tok.pos, "only size and attachment size are compared with < and >");
		return NULL;
	}
	if (p->tok.type != PD_T_WORD || pd_parse_index(p->tok.text, test_words) < 0) {
		pd_parse_expected(p, "a test", test_words);
		return NULL;
	}
	const char *verb = test_words[pd_parse_index(p->tok.text, test_words)];
	proto->op = test_ids[pd_parse_index(p->tok.text, test_words)];
	pd_parse_advance(p);
	if (proto->op == PD_ROP_STARTS || proto->op == PD_ROP_ENDS) {
		verb = proto->op == PD_ROP_STARTS ? "starts with" : "ends with";
		if (pd_parse_is(p, "with"))
			pd_parse_advance(p);
	}
	if (proto->op == PD_ROP_EXISTS) {
		pd_rleaf *leaf = leaf_new(p, proto->field, proto->header, PD_ROP_EXISTS, proto->field_text);
		leaf->pos = proto->pos;
		leaf->test_text = g_strdup("exists");
		return leaf_node(p, leaf);
	}
	return operand_list(p, proto, verb);
}

static gboolean
parse_size(pd_parser *p, guint64 *size_r)
{
	char *end = NULL;
	const char *unit;
	double v;

	if (p->tok.type != PD_T_WORD || !g_ascii_isdigit(p->tok.text[0])) {
		pd_parse_expected(p, "a size such as 5 MB", NULL);
		return FALSE;
	}
	v = g_ascii_strtod(p->tok.text, &end);
	pd_rpos at = p->tok.pos;
	char *attached = g_strdup(end);
	pd_parse_advance(p);
	unit = *attached != '\0' ? attached : (p->tok.type == PD_T_WORD && pd_parse_index(p->tok.text, unit_words) >= 0 &&
	                                       p->tok.pos.line == at.line) ? p->tok.text : "";
	int u = *unit == '\0' ? 0 : pd_parse_index(unit, unit_words);
	double bytes = u >= 0 ? v * (double)unit_sizes[u] : 0;
	if (u < 0)
		pd_parse_error(p, &at, "unknown size unit \"%s\"; use B, KB, MB or GB", unit);
	else if (!(bytes >= 0 && bytes < 1e18))
		pd_parse_error(p, &at, "this size is out of range");
	else if (*attached == '\0' && *unit != '\0')
		pd_parse_advance(p);
	*size_r = u >= 0 && bytes >= 0 && bytes < 1e18 ? (guint64)bytes : 0;
	g_free(attached);
	return u >= 0 && bytes >= 0 && bytes < 1e18;
}

/* "5 MB" when it is a whole number of MB, else bytes; caller frees. */
static char *
size_text(guint64 n)
{
	static const char *const names[] = { "GB", "MB", "KB" };
	static const guint64 sizes[] = { 1 << 30, 1 << 20, 1024 };

	for (int i = 0; i < 3; i++)
		if (n >= sizes[i] && n % sizes[i] == 0)
			return g_strdup_printf("%" G_GUINT64_FORMAT " %s", n / sizes[i], names[i]);
	return g_strdup_printf("%" G_GUINT64_FORMAT " B", n);
}

static pd_rnode *
size_test(pd_parser *p, pd_rfield field, const char *field_text)
{
	static const pd_tok_type toks[] = { PD_T_LT, PD_T_LE, PD_T_GT, PD_T_GE };
	static const pd_rop ops[] = { PD_ROP_LT, PD_ROP_LE, PD_ROP_GT, PD_ROP_GE };
	static const char *const signs[] = { "<", "<=", ">", ">=" };
	int i = 0;

	while (i < 4 && p->tok.type != toks[i])
		i++;
	if (i == 4) {
		char *found = pd_parse_describe(&p->tok);
		pd_parse_error(p, &p->tok.pos, "%s is compared with <, <=, > or >= and a size (%s > 5 MB), found %s",
		               field_text, field_text, found);
		g_free(found);
		return NULL;
	}
	pd_rleaf *leaf = leaf_new(p, field, 0, ops[i], field_text);
	pd_parse_advance(p);
	if (!parse_size(p, &leaf->number)) {
		pd_rleaf_free(leaf);
		return NULL;
	}
	char *shown = size_text(leaf->number);
	leaf->test_text = g_strdup_printf("%s %s", signs[i], shown);
	g_free(shown);
	return leaf_node(p, leaf);
}

static pd_rnode *
kind_test(pd_parser *p)
{
	if (!pd_parse_is(p, "is")) {
		pd_parse_expected(p, "\"is\" (mail is bounce)", NULL);
		return NULL;
	}
	pd_parse_advance(p);
	if (pd_parse_is(p, "a") || pd_parse_is(p, "an"))
		pd_parse_advance(p);
	int k = p->tok.type == PD_T_WORD ? pd_parse_index(p->tok.text, kind_words) : -1;
	if (k < 0) {
		pd_parse_expected(p, "a kind of mail", kind_words);
		return NULL;
	}
	pd_rleaf *leaf = leaf_new(p, PD_RF_MAIL, 0, PD_ROP_FLAG, "mail");
	leaf->number = kind_bits[k];
	leaf->test_text = g_strdup_printf("is %s", k == 5 ? "mailing-list" : kind_words[k]);
	pd_parse_advance(p);
	return leaf_node(p, leaf);
}

static int
header_index(const pd_ruleset *rs, const char *name)
{
	for (guint i = 0; i < rs->headers->len; i++)
		if (g_ascii_strcasecmp(rs->headers->pdata[i], name) == 0)
			return (int)i;
	return -1;
}

static guint
header_slot(pd_ruleset *rs, const char *name)
{
	int i = header_index(rs, name);
	if (i >= 0)
		return (guint)i;
	g_ptr_array_add(rs->headers, g_strdup(name));
	return rs->headers->len - 1;
}

static gboolean
header_name_ok(const char *name)
{
	for (const char *c = name; *c != '\0'; c++)
		if (*c <= ' ' || *c >= 127 || *c == ':')
			return FALSE;
	return *name != '\0' && strlen(name) <= 200;
}

static pd_rnode *
header_test(pd_parser *p)
{
	if ((p->tok.type != PD_T_STRING && p->tok.type != PD_T_WORD) ||
	    (p->tok.type == PD_T_WORD && pd_parse_index(p->tok.text, test_words) >= 0)) {
		pd_parse_expected(p, "a header name (header \"List-Id\")", NULL);
		return NULL;
	}
	if (p->rs->headers->len >= PD_RULES_MAX_HEADERS && header_index(p->rs, p->tok.text) < 0) {
		pd_parse_error(p, &p->tok.pos, "rules test more than %d different header fields", PD_RULES_MAX_HEADERS);
		return NULL;
	}
	if (!header_name_ok(p->tok.text)) {
		pd_parse_error(p, &p->tok.pos, "\"%s\" is not a header name: printable ASCII without spaces or \":\"",
		               p->tok.text);
		return NULL;
	}
	pd_rleaf proto = { .field = PD_RF_HEADER, .header = header_slot(p->rs, p->tok.text), .pos = p->tok.pos };
	proto.field_text = g_strdup_printf("header \"%s\"", (char *)p->rs->headers->pdata[proto.header]);
	pd_parse_advance(p);
	pd_rnode *n = text_test(p, &proto);
	g_free(proto.field_text);
	return n;
}

static pd_rnode *
attachment_test(pd_parser *p)
{
	int a = p->tok.type == PD_T_WORD ? pd_parse_index(p->tok.text, attach_words) : -1;

	if (a < 0) {
		pd_parse_expected(p, "what of the attachment", attach_words);
		return NULL;
	}
	pd_parse_advance(p);
	if (a == 2)
		return size_test(p, PD_RF_ATTACH_SIZE, "attachment size");
	pd_rleaf proto = { .field = a == 0 ? PD_RF_ATTACH_NAME : PD_RF_ATTACH_TYPE,
	                   .field_text = a == 0 ? "attachment name" : "attachment type", .pos = p->tok.pos };
	return text_test(p, &proto);
}

static pd_rnode *
parse_test(pd_parser *p)
{
	int f = p->tok.type == PD_T_WORD ? pd_parse_index(p->tok.text, pd_rules_field_words) : -1;

	if (f < 0) {
		if (p->tok.type == PD_T_WORD && pd_parse_index(p->tok.text, test_words) >= 0)
			pd_parse_error(p, &p->tok.pos, "expected a field before \"%s\", such as subject, from or body", p->tok.text);
		else
			pd_parse_expected(p, "a field", pd_rules_field_words);
		return NULL;
	}
	pd_rpos at = p->tok.pos;
	pd_parse_advance(p);
	switch (field_ids[f]) {
	case PD_RF_SIZE:
		return size_test(p, PD_RF_SIZE, "size");
	case PD_RF_MAIL:
		return kind_test(p);
	case PD_RF_HEADER:
		return header_test(p);
	case PD_RF_ATTACH_NAME:
		return attachment_test(p);
	default: {
		pd_rleaf proto = { .field = field_ids[f], .field_text = (char *)pd_rules_field_words[f], .pos = at };
		return text_test(p, &proto);
	}
	}
}

static pd_rnode *
parse_unary(pd_parser *p)
{
	if (p->depth >= PD_RULES_MAX_DEPTH) {
		pd_parse_error(p, &p->tok.pos, "conditions nest deeper than %d levels", PD_RULES_MAX_DEPTH);
		return NULL;
	}
	if (pd_parse_is(p, "not")) {
		pd_parse_advance(p);
		p->depth++;
		pd_rnode *kid = parse_unary(p);
		p->depth--;
		if (kid == NULL)
			return NULL;
		pd_rnode *n = node_new(PD_RN_NOT);
		node_add(n, kid);
		return n;
	}
	if (p->tok.type != PD_T_LPAREN)
		return parse_test(p);
	pd_rpos open = p->tok.pos;
	pd_parse_advance(p);
	p->depth++;
	pd_rnode *n = pd_parse_condition(p);
	p->depth--;
	if (n != NULL && p->tok.type != PD_T_RPAREN) {
		char *found = pd_parse_describe(&p->tok);
		pd_parse_error(p, &p->tok.pos, "expected \")\" to close the \"(\" at line %u, column %u, found %s", open.line,
		               open.col, found);
		g_free(found);
		pd_rnode_free(n);
		return NULL;
	}
	if (n != NULL)
		pd_parse_advance(p);
	return n;
}

/* A chain joined by one connective; `a and b or c` is refused rather than
 * read by a precedence rule that the admin may not have in mind. */
pd_rnode *
pd_parse_condition(pd_parser *p)
{
	pd_rnode *first = parse_unary(p), *chain = NULL;
	const char *conn = NULL;

	while (first != NULL && (pd_parse_is(p, "and") || pd_parse_is(p, "or"))) {
		const char *here = pd_parse_is(p, "and") ? "and" : "or";
		if (conn != NULL && strcmp(conn, here) != 0) {
			pd_parse_error(p, &p->tok.pos, "\"and\" and \"or\" are mixed here; add parentheses to say which goes first, "
			               "as in (A and B) or C");
			break;
		}
		if (chain == NULL) {
			conn = here;
			chain = node_new(strcmp(here, "and") == 0 ? PD_RN_AND : PD_RN_OR);
			node_add(chain, first);
		}
		pd_parse_advance(p);
		pd_rnode *next = parse_unary(p);
		if (next == NULL)
			break;
		node_add(chain, next);
	}
	if (chain == NULL)
		return first;
	if (pd_parse_too_many(p) || chain->nkids < 2 || (pd_parse_is(p, "and") || pd_parse_is(p, "or"))) {
		pd_rnode_free(chain);
		return NULL;
	}
	return chain;
}

