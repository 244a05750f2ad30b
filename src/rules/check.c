/* check.c: the parsed rule set made ready to run: warnings, unreachable rules, the keyword automaton. */
#include "config.h"
#include "rules-private.h"

#include <stdarg.h>
#include <string.h>

typedef struct {
	pd_ruleset *rs;
	GHashTable *texts;     /* file -> GBytes, for the source line under a warning */
	GPtrArray *warnings;
} checker;

static void G_GNUC_PRINTF(3, 4)
warn(checker *c, const pd_rpos *pos, const char *fmt, ...)
{
	va_list ap;
	GBytes *text = c->texts != NULL ? g_hash_table_lookup(c->texts, pos->file) : NULL;
	gsize len = 0;
	const char *data = text != NULL ? g_bytes_get_data(text, &len) : NULL;

	if (c->warnings == NULL)
		return;
	va_start(ap, fmt);
	char *msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_ptr_array_add(c->warnings, pd_rules_format(pos, data, len, "warning: %s", msg));
	g_free(msg);
}

/* ---- freeing ---- */

void
pd_rleaf_free(pd_rleaf *leaf)
{
	if (leaf == NULL)
		return;
	g_free(leaf->operand);
	g_free(leaf->folded);
	pd_rx_free(leaf->rx);
	g_free(leaf->field_text);
	g_free(leaf->test_text);
	g_free(leaf);
}

void
pd_rnode_free(pd_rnode *node)
{
	if (node == NULL)
		return;
	for (guint i = 0; i < node->nkids; i++)
		pd_rnode_free(node->kids[i]);
	g_free(node->kids);
	g_free(node);
}

void
pd_raction_free(pd_raction *a)
{
	if (a == NULL)
		return;
	g_free(a->arg);
	if (a->text != NULL)
		g_ptr_array_unref(a->text);
	g_free(a);
}

void
pd_rrule_free(pd_rrule *rule)
{
	if (rule == NULL)
		return;
	g_free(rule->name);
	pd_rnode_free(rule->cond);
	g_ptr_array_unref(rule->actions);
	g_free(rule->canon);
	g_free(rule);
}

/* ---- tests that cannot do what they say ---- */

static void
check_leaf(checker *c, pd_rleaf *leaf)
{
	gboolean text = leaf->op == PD_ROP_CONTAINS || leaf->op == PD_ROP_STARTS || leaf->op == PD_ROP_ENDS;

	if (text && leaf->folded != NULL && leaf->folded[0] == '\0') {
		if (leaf->op == PD_ROP_CONTAINS) {
			warn(c, &leaf->pos, "an empty keyword never matches");
			leaf->never = TRUE;
		} else
			warn(c, &leaf->pos, "%s \"\" is true of every %s", leaf->op == PD_ROP_STARTS ? "starts with" :
			     "ends with", leaf->field_text);
	}
	if (leaf->rx == NULL)
		return;
	if (pd_rx_scan(leaf->rx)->impossible) {
		warn(c, &leaf->pos, "this pattern can never match (an anchor such as ^ or $ is in the way)");
		leaf->never = TRUE;
	} else if (pd_rx_matches_empty(leaf->rx))
		warn(c, &leaf->pos, "this pattern matches empty text, so it matches almost every %s", leaf->field_text);
}

/* ---- names the actions use ---- */

static gboolean
in_list(const char *name, const char *const *list)
{
	for (guint i = 0; list[i] != NULL; i++)
		if (strcmp(list[i], name) == 0)
			return TRUE;
	return FALSE;
}

static void
check_name(checker *c, const pd_raction *a, const char *what, const char *const *known)
{
	if (known == NULL || in_list(a->arg, known))
		return;
	const char *near = pd_rules_closest(a->arg, known);
	if (near != NULL)
		warn(c, &a->arg_pos, "unknown %s \"%s\"; did you mean \"%s\"?", what, a->arg, near);
	else
		warn(c, &a->arg_pos, "unknown %s \"%s\"", what, a->arg);
}

static void
check_actions(checker *c, const pd_rrule *rule, const pd_rules_known *known)
{
	for (guint i = 0; i < rule->actions->len; i++) {
		const pd_raction *a = rule->actions->pdata[i];
		switch (a->kind) {
		case PD_RA_QUEUE: check_name(c, a, "queue", known->queues); break;
		case PD_RA_ASSIGN_AGENT: check_name(c, a, "agent", known->agents); break;
		case PD_RA_ASSIGN_GROUP: check_name(c, a, "group", known->groups); break;
		case PD_RA_REPLY: check_name(c, a, "template", known->templates); break;
		case PD_RA_SLA: check_name(c, a, "SLA", known->slas); break;
		default: break;
		}
	}
}

/* ---- rules that no mail reaches ---- */

static int
compare_strings(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The condition as text, with the operands of and/or sorted, so the same
 * condition written in another order is recognised. */
static char *
canonical(const pd_ruleset *rs, const pd_rnode *n)
{
	if (n->kind == PD_RN_LEAF) {
		const pd_rleaf *leaf = rs->leaves->pdata[n->leaf];
		if (leaf->folded != NULL && leaf->op != PD_ROP_MATCHES)
			return g_strdup_printf("%s %d \"%s\"%s", leaf->field_text, leaf->op, leaf->folded,
			                       leaf->prefix ? "*" : "");
		return g_strdup_printf("%s %s", leaf->field_text, leaf->test_text);
	}
	if (n->kind == PD_RN_NOT) {
		char *kid = canonical(rs, n->kids[0]);
		char *s = g_strdup_printf("not (%s)", kid);
		g_free(kid);
		return s;
	}
	GPtrArray *kids = g_ptr_array_new_with_free_func(g_free);
	for (guint i = 0; i < n->nkids; i++)
		g_ptr_array_add(kids, canonical(rs, n->kids[i]));
	g_ptr_array_sort(kids, compare_strings);
	g_ptr_array_add(kids, NULL);
	char *joined = g_strjoinv(n->kind == PD_RN_AND ? ") and (" : ") or (", (char **)kids->pdata);
	char *s = g_strdup_printf("(%s)", joined);
	g_free(joined);
	g_ptr_array_unref(kids);
	return s;
}

static void
check_reachable(checker *c)
{
	const pd_rrule *catch_all = NULL;
	GHashTable *stopping = g_hash_table_new(g_str_hash, g_str_equal);

	for (guint i = 0; i < c->rs->rules->len; i++) {
		pd_rrule *r = c->rs->rules->pdata[i];
		const pd_rrule *earlier = r->cond != NULL ? g_hash_table_lookup(stopping, r->canon) : NULL;
		if (catch_all != NULL)
			warn(c, &r->pos, "rule \"%s\" is never reached: rule \"%s\" (%s:%u) stops every mail before it",
			     r->name, catch_all->name, catch_all->pos.file, catch_all->pos.line);
		else if (earlier != NULL)
			warn(c, &r->pos, "rule \"%s\" is never reached: rule \"%s\" (%s:%u) has the same condition and stops",
			     r->name, earlier->name, earlier->pos.file, earlier->pos.line);
		if (r->stops && r->cond == NULL && catch_all == NULL)
			catch_all = r;
		if (r->stops && r->cond != NULL && !g_hash_table_contains(stopping, r->canon))
			g_hash_table_insert(stopping, r->canon, r);
	}
	g_hash_table_unref(stopping);
}

/* ---- the automaton and who listens to it ---- */

typedef struct {
	guint pattern;
	pd_ruse use;
} pending_use;

static guint16
leaf_slot(const pd_rleaf *leaf)
{
	if (leaf->field == PD_RF_RECIPIENTS)
		return PD_USE_RECIPIENTS;
	for (guint s = 0; s < PD_SLOT_HEADERS; s++)
		if (pd_rleaf_reads_slot(leaf, s))
			return (guint16)s;
	return (guint16)(PD_SLOT_HEADERS + leaf->header);
}

static void
add_use(GArray *uses, pd_ac_builder *b, const char *s, const pd_rleaf *leaf, guint id, gboolean word)
{
	pending_use u = { pd_ac_builder_add(b, s, strlen(s)), { id, leaf_slot(leaf), (guint16)word } };
	g_array_append_val(uses, u);
}

/* A pattern's required literals, folded; NULL when one of them is too
 * short to be worth looking for (then the pattern always runs). */
static GPtrArray *
folded_literals(const pd_rleaf *leaf)
{
	const GPtrArray *lits = pd_rx_scan(leaf->rx)->literals;
	GPtrArray *out;

	if (lits == NULL || lits->len == 0)
		return NULL;
	out = g_ptr_array_new_with_free_func(g_free);
	for (guint i = 0; i < lits->len; i++) {
		char *f = pd_fold(lits->pdata[i]);
		if (strlen(f) < PD_RULES_MIN_LITERAL || strchr(f, ' ') != NULL) {
			g_free(f);
			g_ptr_array_unref(out);
			return NULL;
		}
		g_ptr_array_add(out, f);
	}
	return out;
}

static void
leaf_atoms(pd_rleaf *leaf, guint id, pd_ac_builder *b, GArray *uses)
{
	if (leaf->never)
		return;
	switch (leaf->op) {
	case PD_ROP_CONTAINS:
		add_use(uses, b, leaf->folded, leaf, id, TRUE);
		leaf->atom = TRUE;
		break;
	case PD_ROP_IS:
	case PD_ROP_STARTS:
	case PD_ROP_ENDS:
		if (leaf->folded[0] != '\0') {
			add_use(uses, b, leaf->folded, leaf, id, FALSE);
			leaf->atom = TRUE;
		}
		break;
	case PD_ROP_MATCHES: {
		GPtrArray *lits = folded_literals(leaf);
		for (guint i = 0; lits != NULL && i < lits->len; i++)
			add_use(uses, b, lits->pdata[i], leaf, id, FALSE);
		leaf->atom = lits != NULL;
		if (lits != NULL)
			g_ptr_array_unref(lits);
		break;
	}
	default:
		break;
	}
}

static int
compare_uses(gconstpointer a, gconstpointer b)
{
	const pending_use *x = a, *y = b;
	if (x->pattern != y->pattern)
		return x->pattern < y->pattern ? -1 : 1;
	return x->use.leaf < y->use.leaf ? -1 : x->use.leaf > y->use.leaf;
}

static void
build_automaton(pd_ruleset *rs)
{
	pd_ac_builder *b = pd_ac_builder_new();
	GArray *uses = g_array_new(FALSE, FALSE, sizeof(pending_use));

	for (guint i = 0; i < rs->leaves->len; i++)
		leaf_atoms(rs->leaves->pdata[i], i, b, uses);
	guint npatterns = pd_ac_builder_count(b);
	rs->npatterns = npatterns;
	g_array_sort(uses, compare_uses);
	rs->use_start = g_new0(guint32, npatterns + 1);
	rs->uses = g_new(pd_ruse, MAX(uses->len, 1));
	for (guint i = 0; i < uses->len; i++) {
		pending_use *u = &g_array_index(uses, pending_use, i);
		rs->uses[i] = u->use;
		rs->use_start[u->pattern + 1] = i + 1;
	}
	for (guint p = 1; p <= npatterns; p++)
		rs->use_start[p] = MAX(rs->use_start[p], rs->use_start[p - 1]);
	rs->ac = pd_ac_build(b);
	g_array_unref(uses);
}

/* ---- which rules run without a hint, which slots are scanned ---- */

enum { NO = 0, YES = 1, MAYBE = 2 };

/* The condition's value when no keyword or literal was found at all. */
static int
without_hits(const pd_ruleset *rs, const pd_rnode *n)
{
	if (n->kind == PD_RN_LEAF) {
		const pd_rleaf *leaf = rs->leaves->pdata[n->leaf];
		return leaf->never || leaf->atom ? NO : MAYBE;
	}
	if (n->kind == PD_RN_NOT) {
		int v = without_hits(rs, n->kids[0]);
		return v == MAYBE ? MAYBE : !v;
	}
	gboolean and = n->kind == PD_RN_AND;
	int result = and ? YES : NO;
	for (guint i = 0; i < n->nkids; i++) {
		int v = without_hits(rs, n->kids[i]);
		if (v == (and ? NO : YES))
			return v;
		if (v == MAYBE)
			result = MAYBE;
	}
	return result;
}

gboolean
pd_rleaf_reads_slot(const pd_rleaf *leaf, guint slot)
{
	switch (leaf->field) {
	case PD_RF_SUBJECT: return slot == PD_SLOT_SUBJECT;
	case PD_RF_FROM: return slot == PD_SLOT_FROM;
	case PD_RF_FROM_NAME: return slot == PD_SLOT_FROM_NAME;
	case PD_RF_TO: return slot == PD_SLOT_TO;
	case PD_RF_CC: return slot == PD_SLOT_CC;
	case PD_RF_RECIPIENTS: return slot == PD_SLOT_TO || slot == PD_SLOT_CC;
	case PD_RF_BODY: return slot == PD_SLOT_BODY;
	case PD_RF_FULL_BODY: return slot == PD_SLOT_FULL_BODY;
	case PD_RF_HEADER: return slot == PD_SLOT_HEADERS + leaf->header;
	case PD_RF_ATTACH_NAME: return slot == PD_SLOT_ATTACH_NAME;
	case PD_RF_ATTACH_TYPE: return slot == PD_SLOT_ATTACH_TYPE;
	case PD_RF_SOURCE: return slot == PD_SLOT_SOURCE;
	default: return FALSE;
	}
}

static guint
captures_needed(const pd_rleaf *leaf)
{
	return leaf->rx != NULL ? pd_rx_capture_count(leaf->rx) + 1 : 0;
}

static void
plan(pd_ruleset *rs)
{
	GArray *always = g_array_new(FALSE, FALSE, sizeof(guint));
	guint nslots = PD_SLOT_HEADERS + rs->headers->len;
	gboolean *scan = g_new0(gboolean, nslots);
	GArray *slots = g_array_new(FALSE, FALSE, sizeof(guint));

	for (guint i = 0; i < rs->rules->len; i++) {
		const pd_rrule *r = rs->rules->pdata[i];
		if (r->cond == NULL || without_hits(rs, r->cond) != NO)
			g_array_append_val(always, i);
	}
	rs->nalways = always->len;
	rs->always = (guint *)g_array_free(always, FALSE);
	for (guint i = 0; i < rs->leaves->len; i++) {
		const pd_rleaf *leaf = rs->leaves->pdata[i];
		rs->max_captures = MAX(rs->max_captures, captures_needed(leaf));
		if (!leaf->atom)
			continue;
		for (guint s = 0; s < nslots; s++)
			scan[s] |= pd_rleaf_reads_slot(leaf, s);
	}
	for (guint s = 0; s < nslots; s++)
		if (scan[s])
			g_array_append_val(slots, s);
	g_free(scan);
	rs->nscan = slots->len;
	rs->scan_slots = (guint *)g_array_free(slots, FALSE);
}

void
pd_rules_check(pd_ruleset *rs, const pd_rules_known *known, GHashTable *texts, GPtrArray *warnings)
{
	checker c = { rs, texts, warnings };
	static const pd_rules_known none = { 0 };
	for (guint i = 0; i < rs->leaves->len; i++)
		check_leaf(&c, rs->leaves->pdata[i]);
	for (guint i = 0; i < rs->rules->len; i++) {
		pd_rrule *r = rs->rules->pdata[i];
		r->canon = r->cond != NULL ? canonical(rs, r->cond) : g_strdup("");
		check_actions(&c, r, known != NULL ? known : &none);
	}
	check_reachable(&c);
	build_automaton(rs);
	plan(rs);
}
