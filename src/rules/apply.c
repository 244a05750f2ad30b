/* apply.c: one mail through the rule set: one automaton pass, then only the rules that can hold, in order. */
#include "config.h"
#include "rules-private.h"

#include <string.h>

/* Per-thread scratch, reused from mail to mail. Entries carry the number
 * of the mail they belong to (gen), so nothing is cleared between mails:
 * the cost of a mail does not grow with the number of rules. */
typedef struct {
	guint32 gen;
	guint8 possible;      /* the automaton saw a literal this leaf needs */
	gint8 value;          /* -1 not known yet, else the leaf's value */
	guint32 slot;         /* where a keyword was found (folded text) */
	guint32 start, end;
} leaf_state;

typedef struct {
	guint32 gen;
	gboolean folded_ready;
	GPtrArray *values;    /* const char*: NFC text of each value */
	GArray *lens;         /* gsize */
	GPtrArray *owned;     /* NFC copies made for this mail */
	GString *folded;      /* folded values, each followed by '\n' */
	GArray *bounds;       /* gsize start, end per value in folded */
} slot_data;

typedef struct {
	guint32 gen;
	leaf_state *leaves;
	guint nleaves;
	guint32 *rule_gen;
	guint nrules;
	guint32 *pattern_gen;  /* a pattern whose uses in pattern_slot are all settled, */
	guint16 *pattern_slot; /* so its further hits there change nothing */
	guint npatterns;
	GArray *touched;      /* guint: rules a hit made candidates */
	GPtrArray *captures;  /* of the rule being evaluated: "name", "value", ... */
	GPtrArray *evidence;  /* of the rule being evaluated (explanations) */
	slot_data *slots;
	guint nslots;
} scratch;

typedef struct {
	const pd_ruleset *rs;
	const pd_rules_input *in;
	scratch *sc;
	pd_decision *d;
	gboolean explain;
	gint64 deadline;      /* for all patterns of this mail */
	guint cur_slot;       /* the slot being scanned */
	guint alias_slot;     /* a slot with the same text, scanned with it, or G_MAXUINT */
	int negated;          /* `not`s around the leaf being evaluated */
	GPtrArray *captures;  /* "name", "value" of the rule being evaluated */
	const pd_rrule *rule;
} apply_ctx;

/* ---- scratch ---- */

static void
slot_data_clear(slot_data *s)
{
	g_ptr_array_unref(s->values);
	g_array_unref(s->lens);
	g_ptr_array_unref(s->owned);
	g_string_free(s->folded, TRUE);
	g_array_unref(s->bounds);
}

static void
scratch_free(gpointer data)
{
	scratch *sc = data;
	if (sc == NULL)
		return;
	for (guint i = 0; i < sc->nslots; i++)
		slot_data_clear(&sc->slots[i]);
	g_free(sc->slots);
	g_free(sc->leaves);
	g_free(sc->rule_gen);
	g_free(sc->pattern_gen);
	g_free(sc->pattern_slot);
	g_array_unref(sc->touched);
	g_ptr_array_unref(sc->captures);
	g_ptr_array_unref(sc->evidence);
	g_free(sc);
}

static GPrivate scratch_key = G_PRIVATE_INIT(scratch_free);

void
pd_rules_apply_thread_cleanup(void)
{
	g_private_replace(&scratch_key, NULL);
}

void
pd_rules_thread_cleanup(void)
{
	pd_rules_apply_thread_cleanup();
	pd_rx_thread_cleanup();
}

static void
grow_slots(scratch *sc, guint n)
{
	sc->slots = g_renew(slot_data, sc->slots, n);
	for (guint i = sc->nslots; i < n; i++) {
		slot_data *s = &sc->slots[i];
		memset(s, 0, sizeof *s);
		s->values = g_ptr_array_new();
		s->lens = g_array_new(FALSE, FALSE, sizeof(gsize));
		s->owned = g_ptr_array_new_with_free_func(g_free);
		s->folded = g_string_new(NULL);
		s->bounds = g_array_new(FALSE, FALSE, sizeof(gsize));
	}
	sc->nslots = n;
}

/* This thread's scratch, big enough for rs, with a new generation. */
static scratch *
thread_scratch(const pd_ruleset *rs)
{
	scratch *sc = g_private_get(&scratch_key);

	if (sc == NULL) {
		sc = g_new0(scratch, 1);
		sc->touched = g_array_new(FALSE, FALSE, sizeof(guint));
		sc->captures = g_ptr_array_new_with_free_func(g_free);
		sc->evidence = g_ptr_array_new_with_free_func((GDestroyNotify)pd_rules_evidence_free);
		g_private_set(&scratch_key, sc);
	}
	if (sc->nleaves < rs->leaves->len) {
		sc->leaves = g_renew(leaf_state, sc->leaves, rs->leaves->len);
		memset(sc->leaves + sc->nleaves, 0, (rs->leaves->len - sc->nleaves) * sizeof(leaf_state));
		sc->nleaves = rs->leaves->len;
	}
	if (sc->nrules < rs->rules->len) {
		sc->rule_gen = g_renew(guint32, sc->rule_gen, rs->rules->len);
		memset(sc->rule_gen + sc->nrules, 0, (rs->rules->len - sc->nrules) * sizeof(guint32));
		sc->nrules = rs->rules->len;
	}
	if (sc->nslots < PD_SLOT_HEADERS + rs->headers->len)
		grow_slots(sc, PD_SLOT_HEADERS + rs->headers->len);
	if (sc->npatterns < rs->npatterns) {
		sc->pattern_gen = g_renew(guint32, sc->pattern_gen, rs->npatterns);
		sc->pattern_slot = g_renew(guint16, sc->pattern_slot, rs->npatterns);
		memset(sc->pattern_gen + sc->npatterns, 0, (rs->npatterns - sc->npatterns) * sizeof(guint32));
		sc->npatterns = rs->npatterns;
	}
	if (++sc->gen == 0) {  /* wrapped: clear the stamps once every 4 billion mails */
		memset(sc->leaves, 0, sc->nleaves * sizeof(leaf_state));
		memset(sc->rule_gen, 0, sc->nrules * sizeof(guint32));
		memset(sc->pattern_gen, 0, sc->npatterns * sizeof(guint32));
		for (guint i = 0; i < sc->nslots; i++)
			sc->slots[i].gen = 0;
		sc->gen = 1;
	}
	g_array_set_size(sc->touched, 0);
	return sc;
}

static leaf_state *
state_of(apply_ctx *c, guint leaf)
{
	leaf_state *ls = &c->sc->leaves[leaf];
	if (ls->gen != c->sc->gen) {
		ls->gen = c->sc->gen;
		ls->possible = 0;
		ls->value = -1;
	}
	return ls;
}

static void
touch(apply_ctx *c, guint rule)
{
	if (c->sc->rule_gen[rule] != c->sc->gen) {
		c->sc->rule_gen[rule] = c->sc->gen;
		g_array_append_val(c->sc->touched, rule);
	}
}

/* ---- the texts of a mail ---- */

static void
add_value(slot_data *s, const char *v, gboolean keep_empty)
{
	gsize n;
	char *owned;
	const char *nfc;

	if (v == NULL || (!keep_empty && *v == '\0'))
		return;
	nfc = pd_nfc(v, strlen(v), &n, &owned);
	if (owned != NULL)
		g_ptr_array_add(s->owned, owned);
	g_ptr_array_add(s->values, (gpointer)nfc);
	g_array_append_val(s->lens, n);
}

static void
fill_slot(const pd_ruleset *rs, const pd_rules_input *in, guint slot, slot_data *s)
{
	const GPtrArray *list = slot == PD_SLOT_TO ? in->to : slot == PD_SLOT_CC ? in->cc :
	                        slot == PD_SLOT_ATTACH_NAME ? in->att_names :
	                        slot == PD_SLOT_ATTACH_TYPE ? in->att_types : NULL;

	if (slot >= PD_SLOT_HEADERS) {
		const char *name = rs->headers->pdata[slot - PD_SLOT_HEADERS];
		for (guint i = 0; i + 1 < in->headers->len; i += 2)
			if (g_ascii_strcasecmp(in->headers->pdata[i], name) == 0)
				add_value(s, in->headers->pdata[i + 1], TRUE);
	} else if (list != NULL) {
		for (guint i = 0; i < list->len; i++)
			add_value(s, list->pdata[i], FALSE);
	} else {
		const char *v = in->text[slot];
		if (v == NULL && slot == PD_SLOT_BODY)
			v = in->text[PD_SLOT_FULL_BODY];
		if (v == NULL && slot == PD_SLOT_FULL_BODY)
			v = in->text[PD_SLOT_BODY];
		add_value(s, v, FALSE);
	}
}

static slot_data *
slot_values(apply_ctx *c, guint slot)
{
	slot_data *s = &c->sc->slots[slot];

	if (s->gen == c->sc->gen)
		return s;
	s->gen = c->sc->gen;
	s->folded_ready = FALSE;
	g_ptr_array_set_size(s->values, 0);
	g_array_set_size(s->lens, 0);
	g_ptr_array_set_size(s->owned, 0);
	fill_slot(c->rs, c->in, slot, s);
	return s;
}

static slot_data *
slot_folded(apply_ctx *c, guint slot)
{
	slot_data *s = slot_values(c, slot);

	if (s->folded_ready)
		return s;
	s->folded_ready = TRUE;
	g_string_truncate(s->folded, 0);
	g_array_set_size(s->bounds, 0);
	for (guint i = 0; i < s->values->len; i++) {
		gsize start = s->folded->len, end;
		pd_fold_append(s->folded, s->values->pdata[i], g_array_index(s->lens, gsize, i));
		end = s->folded->len;
		g_array_append_val(s->bounds, start);
		g_array_append_val(s->bounds, end);
		g_string_append_c(s->folded, '\n');
	}
	return s;
}

/* ---- the automaton pass ---- */

static inline gboolean
use_reads(const pd_ruse *u, guint slot)
{
	return u->slot == slot || (u->slot == PD_USE_RECIPIENTS && (slot == PD_SLOT_TO || slot == PD_SLOT_CC));
}

/* One use of a pattern found at [start, end); TRUE when that use is
 * settled for this mail (nothing a later hit could add). */
static gboolean
use_hit(apply_ctx *c, const pd_ruse *use, gsize start, gsize end)
{
	const pd_rleaf *leaf = c->rs->leaves->pdata[use->leaf];
	const GString *text = c->sc->slots[c->cur_slot].folded;
	leaf_state *ls = state_of(c, use->leaf);

	if (!use->word)
		ls->possible = 1;
	else if (ls->value == 1)
		return TRUE;
	else if ((leaf->check_left && !pd_word_edge_before(text->str, 0, start)) ||
	         (leaf->check_right && !pd_word_edge_after(text->str, end, text->len)))
		return FALSE;  /* not a whole word here; maybe further on */
	else {
		ls->value = 1;
		ls->slot = c->cur_slot;
		ls->start = (guint32)start;
		ls->end = (guint32)end;
	}
	touch(c, leaf->rule);
	return TRUE;
}

static void
on_hit(guint id, gsize end, gpointer data)
{
	apply_ctx *c = data;
	const pd_ruleset *rs = c->rs;
	scratch *sc = c->sc;
	gsize start = end - pd_ac_pattern_len(rs->ac, id);
	gboolean settled = TRUE;

	/* A common word occurs again and again in one text: once every use
	 * of it is settled, the next occurrences cost nothing. */
	if (sc->pattern_gen[id] == sc->gen && sc->pattern_slot[id] == c->cur_slot)
		return;
	for (guint32 u = rs->use_start[id]; u < rs->use_start[id + 1]; u++)
		if (use_reads(&rs->uses[u], c->cur_slot) ||
		    (c->alias_slot != G_MAXUINT && use_reads(&rs->uses[u], c->alias_slot)))
			settled &= use_hit(c, &rs->uses[u], start, end);
	if (settled) {
		sc->pattern_gen[id] = sc->gen;
		sc->pattern_slot[id] = (guint16)c->cur_slot;
	}
}

static gboolean
scanned(const pd_ruleset *rs, guint slot)
{
	for (guint i = 0; i < rs->nscan; i++)
		if (rs->scan_slots[i] == slot)
			return TRUE;
	return FALSE;
}

/* A mail that quotes nothing has the same new text and whole text: one
 * pass over it serves the rules of both. */
static gboolean
same_bodies(apply_ctx *c)
{
	if (!scanned(c->rs, PD_SLOT_BODY) || !scanned(c->rs, PD_SLOT_FULL_BODY))
		return FALSE;
	slot_data *a = slot_values(c, PD_SLOT_BODY), *b = slot_values(c, PD_SLOT_FULL_BODY);
	if (a->values->len != 1 || b->values->len != 1)
		return FALSE;
	gsize n = g_array_index(a->lens, gsize, 0);
	return n == g_array_index(b->lens, gsize, 0) && memcmp(a->values->pdata[0], b->values->pdata[0], n) == 0;
}

static void
scan(apply_ctx *c)
{
	gboolean same = same_bodies(c);

	for (guint i = 0; i < c->rs->nscan; i++) {
		c->cur_slot = c->rs->scan_slots[i];
		if (same && c->cur_slot == PD_SLOT_BODY)
			continue;
		c->alias_slot = same && c->cur_slot == PD_SLOT_FULL_BODY ? PD_SLOT_BODY : G_MAXUINT;
		slot_data *s = slot_folded(c, c->cur_slot);
		pd_ac_scan(c->rs->ac, s->folded->str, s->folded->len, on_hit, c);
	}
}

/* ---- leaves ---- */

static void
evidence(apply_ctx *c, const pd_rleaf *leaf, gboolean negated, const char *found, gsize len)
{
	pd_rules_evidence *e = g_new0(pd_rules_evidence, 1);

	e->field = leaf->field_text;
	e->test = leaf->test_text;
	e->negated = negated;
	if (found != NULL) {
		const char *cut = g_utf8_offset_to_pointer(found, MIN((glong)g_utf8_strlen(found, (gssize)len), 80));
		e->found = g_strndup(found, MIN(len, (gsize)(cut - found)));
	}
	g_ptr_array_add(c->sc->evidence, e);
}

static void
limit_hit(apply_ctx *c, const pd_rleaf *leaf, pd_rx_result why)
{
	const char *what = why == PD_RX_TIMEOUT ? "ran out of time" :
	                   why == PD_RX_LIMIT ? "hit the match limit" :
	                   "was not run: this mail's time for patterns was used up";

	g_atomic_int_inc(&((pd_rrule *)c->rule)->limit_hits);
	g_ptr_array_add(c->d->warnings, g_strdup_printf("rule \"%s\" (%s:%u): /%s/ on %s %s; counted as no match",
	                                                c->rule->name, leaf->pos.file, leaf->pos.line, leaf->operand,
	                                                leaf->field_text, what));
}

static gboolean
run_regex(apply_ctx *c, const pd_rleaf *leaf, guint slot)
{
	slot_data *s = slot_values(c, slot);

	for (guint i = 0; i < s->values->len; i++) {
		gint64 now = g_get_monotonic_time();
		gsize start = 0, end = 0;
		const char *v = s->values->pdata[i];
		pd_rx_result r = now > c->deadline ? PD_RX_SKIPPED :
		                 pd_rx_match(leaf->rx, &c->rs->limits, v, g_array_index(s->lens, gsize, i),
		                             MIN(now + c->rs->limits.regex_time_us, c->deadline), &start, &end,
		                             c->captures);
		if (r != PD_RX_MATCH && r != PD_RX_NOMATCH) {
			limit_hit(c, leaf, r);
			return FALSE;
		}
		if (r == PD_RX_MATCH) {
			if (c->explain && c->negated % 2 == 0)
				evidence(c, leaf, FALSE, v + start, end - start);
			return TRUE;
		}
	}
	return FALSE;
}

static gboolean
compare_text(apply_ctx *c, const pd_rleaf *leaf, guint slot)
{
	slot_data *s = slot_folded(c, slot);
	gsize want = strlen(leaf->folded);

	for (guint i = 0; i < s->values->len; i++) {
		gsize a = g_array_index(s->bounds, gsize, 2 * i), b = g_array_index(s->bounds, gsize, 2 * i + 1);
		while (a < b && s->folded->str[a] == ' ')
			a++;
		while (b > a && s->folded->str[b - 1] == ' ')
			b--;
		const char *v = s->folded->str + a;
		gsize n = b - a;
		gboolean ok = leaf->op == PD_ROP_IS ? n == want && memcmp(v, leaf->folded, n) == 0 :
		              leaf->op == PD_ROP_STARTS ? n >= want && memcmp(v, leaf->folded, want) == 0 :
		              n >= want && memcmp(v + n - want, leaf->folded, want) == 0;
		if (ok) {
			if (c->explain && c->negated % 2 == 0)
				evidence(c, leaf, FALSE, g_ptr_array_index(s->values, i), g_array_index(s->lens, gsize, i));
			return TRUE;
		}
	}
	return FALSE;
}

static gboolean
for_each_slot(apply_ctx *c, const pd_rleaf *leaf, gboolean (*fn)(apply_ctx *, const pd_rleaf *, guint))
{
	if (leaf->field == PD_RF_RECIPIENTS)
		return fn(c, leaf, PD_SLOT_TO) || fn(c, leaf, PD_SLOT_CC);
	for (guint s = 0; s < PD_SLOT_HEADERS + c->rs->headers->len; s++)
		if (pd_rleaf_reads_slot(leaf, s))
			return fn(c, leaf, s);
	return FALSE;
}

static gboolean
exists_in(apply_ctx *c, const pd_rleaf *leaf, guint slot)
{
	(void)leaf;
	return slot_values(c, slot)->values->len > 0;
}

static gboolean
compare_size(const pd_rleaf *leaf, guint64 v)
{
	switch (leaf->op) {
	case PD_ROP_LT: return v < leaf->number;
	case PD_ROP_LE: return v <= leaf->number;
	case PD_ROP_GT: return v > leaf->number;
	default: return v >= leaf->number;
	}
}

static gboolean
size_holds(apply_ctx *c, const pd_rleaf *leaf)
{
	if (leaf->field == PD_RF_SIZE)
		return compare_size(leaf, c->in->size);
	for (guint i = 0; i < c->in->att_sizes->len; i++)
		if (compare_size(leaf, g_array_index(c->in->att_sizes, guint64, i)))
			return TRUE;
	return FALSE;
}

static gboolean
compute_leaf(apply_ctx *c, const pd_rleaf *leaf, leaf_state *ls)
{
	if (leaf->never)
		return FALSE;
	switch (leaf->op) {
	case PD_ROP_CONTAINS:
		return FALSE;  /* a keyword found was set by the scan */
	case PD_ROP_MATCHES:
		return (!leaf->atom || ls->possible) && for_each_slot(c, leaf, run_regex);
	case PD_ROP_IS:
	case PD_ROP_STARTS:
	case PD_ROP_ENDS:
		return (!leaf->atom || ls->possible) && for_each_slot(c, leaf, compare_text);
	case PD_ROP_EXISTS:
		return for_each_slot(c, leaf, exists_in);
	case PD_ROP_FLAG:
		return (c->in->flags & leaf->number) != 0;
	default:
		return size_holds(c, leaf);
	}
}

static void
keyword_evidence(apply_ctx *c, const pd_rleaf *leaf, const leaf_state *ls)
{
	const GString *f = c->sc->slots[ls->slot].folded;
	const char *a = f->str + ls->start, *b = f->str + ls->end, *end = f->str + f->len;

	/* The word in some context, from the folded text; whole characters. */
	for (int n = 0; n < 30 && a > f->str && a[-1] != '\n'; n++)
		a = g_utf8_find_prev_char(f->str, a);
	for (int n = 0; n < 40 && b < end && *b != '\n'; n++)
		b = g_utf8_next_char(b);
	evidence(c, leaf, FALSE, a, (gsize)(b - a));
}

static gboolean
eval_leaf(apply_ctx *c, guint id)
{
	const pd_rleaf *leaf = c->rs->leaves->pdata[id];
	leaf_state *ls = state_of(c, id);
	gboolean even = c->negated % 2 == 0, v;

	if (ls->value < 0)
		ls->value = (gint8)compute_leaf(c, leaf, ls);  /* records the text found, if any */
	v = ls->value;
	if (!c->explain)
		return v;
	if (v && even && leaf->op == PD_ROP_CONTAINS)
		keyword_evidence(c, leaf, ls);
	else if (v && even && leaf->rx == NULL && leaf->folded == NULL)
		evidence(c, leaf, FALSE, NULL, 0);  /* exists, mail is, size: nothing to quote */
	else if (!v && !even)
		evidence(c, leaf, TRUE, NULL, 0);
	return v;
}

static gboolean
eval(apply_ctx *c, const pd_rnode *n)
{
	switch (n->kind) {
	case PD_RN_LEAF:
		return eval_leaf(c, n->leaf);
	case PD_RN_NOT: {
		c->negated++;
		gboolean v = !eval(c, n->kids[0]);
		c->negated--;
		return v;
	}
	case PD_RN_AND:
		for (guint i = 0; i < n->nkids; i++)
			if (!eval(c, n->kids[i]))
				return FALSE;
		return TRUE;
	default:
		for (guint i = 0; i < n->nkids; i++)
			if (eval(c, n->kids[i]))
				return TRUE;
		return FALSE;
	}
}

/* ---- actions ---- */

static gboolean
captured(const GPtrArray *captures, const char *name)
{
	for (guint i = 0; i + 1 < captures->len; i += 2)
		if (strcmp(captures->pdata[i], name) == 0)
			return TRUE;
	return FALSE;
}

static const char *
capture(apply_ctx *c, const char *name)
{
	for (guint i = 0; i + 1 < c->captures->len; i += 2)
		if (strcmp(c->captures->pdata[i], name) == 0)
			return c->captures->pdata[i + 1];
	return "";
}

static char *
interpolate(apply_ctx *c, const GPtrArray *parts)
{
	GString *out = g_string_new(NULL);
	for (guint i = 0; i < parts->len; i++) {
		const char *p = parts->pdata[i];
		g_string_append(out, p[0] == '\1' ? capture(c, p + 1) : p);
	}
	return g_string_free(out, FALSE);
}

/* The first ${name} of parts that no pattern captured, or NULL. */
static const char *
missing_capture(apply_ctx *c, const GPtrArray *parts)
{
	for (guint i = 0; i < parts->len; i++) {
		const char *p = parts->pdata[i];
		if (p[0] == '\1' && !captured(c->captures, p + 1))
			return p + 1;
	}
	return NULL;
}

static void
set_string(char **slot, const char *value)
{
	g_free(*slot);
	*slot = g_strdup(value);
}

static void
add_tag(pd_decision *d, const char *tag, gboolean add)
{
	for (guint i = 0; i < d->tags->len; i++)
		if (strcmp(d->tags->pdata[i], tag) == 0) {
			if (!add)
				g_ptr_array_remove_index(d->tags, i);
			return;
		}
	if (add)
		g_ptr_array_add(d->tags, g_strdup(tag));
}

static void
set_field(pd_decision *d, const char *name, char *value)
{
	for (guint i = 0; i + 1 < d->fields->len; i += 2)
		if (strcmp(d->fields->pdata[i], name) == 0) {
			g_free(d->fields->pdata[i + 1]);
			d->fields->pdata[i + 1] = value;
			return;
		}
	g_ptr_array_add(d->fields, g_strdup(name));
	g_ptr_array_add(d->fields, value);
}

/* Apply one action; returns what it did, as text, for the explanation. */
static char *
run_action(apply_ctx *c, const pd_raction *a)
{
	pd_decision *d = c->d;
	char *text;

	switch (a->kind) {
	case PD_RA_QUEUE: set_string(&d->queue, a->arg); return g_strdup_printf("queue %s", a->arg);
	case PD_RA_PRIORITY: set_string(&d->priority, a->arg); return g_strdup_printf("priority %s", a->arg);
	case PD_RA_STATUS: set_string(&d->status, a->arg); return g_strdup_printf("status %s", a->arg);
	case PD_RA_SLA: set_string(&d->sla, a->arg); return g_strdup_printf("sla %s", a->arg);
	case PD_RA_ASSIGN_AGENT:
	case PD_RA_ASSIGN_GROUP:
		set_string(&d->assignee, a->arg);
		d->assignee_is_group = a->kind == PD_RA_ASSIGN_GROUP;
		return g_strdup_printf("assign %s %s", d->assignee_is_group ? "group" : "agent", a->arg);
	case PD_RA_TAG: add_tag(d, a->arg, TRUE); return g_strdup_printf("tag %s", a->arg);
	case PD_RA_UNTAG: add_tag(d, a->arg, FALSE); return g_strdup_printf("untag %s", a->arg);
	case PD_RA_SET:
		if (missing_capture(c, a->text) != NULL)
			return g_strdup_printf("set %s skipped: no pattern captured ${%s}", a->arg,
			                       missing_capture(c, a->text));
		text = interpolate(c, a->text);
		set_field(d, a->arg, text);
		return g_strdup_printf("set %s = \"%s\"", a->arg, text);
	case PD_RA_REPLY:
		d->reply = PD_RULES_REPLY_TEMPLATE;
		set_string(&d->reply_template, a->arg);
		return g_strdup_printf("reply %s", a->arg);
	case PD_RA_NOREPLY:
		d->reply = PD_RULES_REPLY_NONE;
		g_clear_pointer(&d->reply_template, g_free);
		return g_strdup("noreply");
	case PD_RA_QUARANTINE:
		d->fate = PD_RULES_FATE_QUARANTINE;
		g_free(d->quarantine_reason);
		d->quarantine_reason = interpolate(c, a->text);
		return g_strdup_printf("quarantine \"%s\"", d->quarantine_reason);
	case PD_RA_DROP: d->fate = PD_RULES_FATE_DROP; return g_strdup("drop");
	default: return g_strdup("stop");
	}
}

/* ---- rules ---- */

static pd_rules_trace *
trace_new(const pd_rrule *r)
{
	pd_rules_trace *t = g_new0(pd_rules_trace, 1);
	t->rule = r->name;
	t->file = r->pos.file;
	t->line = r->pos.line;
	t->evidence = g_ptr_array_new_with_free_func((GDestroyNotify)pd_rules_evidence_free);
	t->captures = g_ptr_array_new_with_free_func(g_free);
	t->actions = g_ptr_array_new_with_free_func(g_free);
	return t;
}

/* A pattern not run because `or` stopped early may still hold a capture
 * an action uses: once the rule holds, run the patterns (outside `not`)
 * that name a capture still missing. */
static void
fill_captures(apply_ctx *c, const pd_rnode *n, int negated)
{
	if (n->kind != PD_RN_LEAF) {
		for (guint i = 0; i < n->nkids; i++)
			fill_captures(c, n->kids[i], negated + (n->kind == PD_RN_NOT));
		return;
	}
	const pd_rleaf *leaf = c->rs->leaves->pdata[n->leaf];
	if (leaf->rx == NULL || negated % 2 != 0 || state_of(c, n->leaf)->value >= 0)
		return;
	for (const char *const *name = pd_rx_names(leaf->rx); *name != NULL; name++)
		if (!captured(c->captures, *name)) {
			eval_leaf(c, n->leaf);
			return;
		}
}

/* Evaluate rule i; apply it if it holds. FALSE when the mail is done. */
static gboolean
run_rule(apply_ctx *c, guint i)
{
	const pd_rrule *r = c->rs->rules->pdata[i];

	c->rule = r;
	c->captures = c->sc->captures;
	g_ptr_array_set_size(c->sc->captures, 0);
	g_ptr_array_set_size(c->sc->evidence, 0);
	c->negated = 0;
	if (r->cond != NULL && !eval(c, r->cond))
		return TRUE;
	if (r->cond != NULL && r->uses_captures)
		fill_captures(c, r->cond, 0);
	pd_rules_trace *t = trace_new(r);
	for (guint k = 0; k < r->actions->len; k++) {
		char *done = run_action(c, r->actions->pdata[k]);
		if (c->explain)
			g_ptr_array_add(t->actions, done);
		else
			g_free(done);
	}
	if (c->explain) {
		/* The scratch arrays go to the trace; its empty ones come back. */
		GPtrArray *ev = t->evidence, *cap = t->captures;
		t->evidence = c->sc->evidence;
		t->captures = c->sc->captures;
		c->sc->evidence = ev;
		c->sc->captures = cap;
	}
	g_ptr_array_add(c->d->matched, t);
	if (r->stops)
		c->d->stopped_by = r->name;
	return !r->stops;
}

static int
compare_uint(gconstpointer a, gconstpointer b)
{
	guint x = *(const guint *)a, y = *(const guint *)b;
	return x < y ? -1 : x > y;
}

/* The candidates (rules a hit touched) merged with the rules that run on
 * every mail, in rule order. */
static void
run_rules(apply_ctx *c)
{
	GArray *touched = c->sc->touched;
	guint i = 0, k = 0;

	g_array_sort(touched, compare_uint);
	while (i < touched->len || k < c->rs->nalways) {
		guint a = i < touched->len ? g_array_index(touched, guint, i) : G_MAXUINT;
		guint b = k < c->rs->nalways ? c->rs->always[k] : G_MAXUINT;
		guint next = MIN(a, b);
		i += a == next;
		k += b == next;
		if (!run_rule(c, next))
			return;
	}
}

pd_decision *
pd_ruleset_apply(const pd_ruleset *rs, const pd_rules_input *in, gboolean explain)
{
	apply_ctx c = { 0 };

	c.rs = rs;
	c.in = in;
	c.explain = explain;
	c.sc = thread_scratch(rs);
	c.d = pd_decision_new(rs);
	c.deadline = g_get_monotonic_time() + rs->limits.message_time_us;
	scan(&c);
	run_rules(&c);
	return c.d;
}
