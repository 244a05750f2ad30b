/* automaton.c: Aho-Corasick over bytes: every keyword and required literal of every rule found in one pass. */
#include "config.h"
#include "rules-private.h"

#include <string.h>

#define NONE G_MAXUINT32
/* Dense transition rows (no failure links to follow) for the states near
 * the root, where a scan spends most of its time, as long as they fit in
 * this many bytes; deeper states keep sorted edge lists. */
#define DENSE_BUDGET (2u * 1024 * 1024)

struct pd_ac_builder {
	GHashTable *ids;      /* GBytes -> id + 1 */
	GPtrArray *patterns;  /* GBytes, by id */
};

/* What the scan loop reads of a state; outputs are kept apart (out,
 * dict, has_out) so the hot part stays small in the cache. */
typedef struct {
	guint32 fail;
	guint32 edges;        /* first edge in edge_cls / edge_to */
	guint32 nedges;
} ac_state;

struct pd_ac {
	guint8 cls[256];      /* byte -> class; 0: the byte is in no pattern */
	guint nclasses;
	guint32 nstates;
	guint32 ndense;       /* states [0, ndense) have dense rows */
	guint32 *dense;       /* ndense * nclasses */
	ac_state *states;
	guint32 *out;         /* per state: the pattern ending here, or NONE */
	guint32 *dict;        /* per state: next state on the failure chain with an output, or NONE */
	guint8 *has_out;      /* per state: out or dict is set */
	guint8 *edge_cls;
	guint32 *edge_to;
	guint32 *pattern_len;
	guint npatterns;
};

pd_ac_builder *
pd_ac_builder_new(void)
{
	pd_ac_builder *b = g_new0(pd_ac_builder, 1);
	b->ids = g_hash_table_new(g_bytes_hash, g_bytes_equal);
	b->patterns = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
	return b;
}

guint
pd_ac_builder_add(pd_ac_builder *b, const char *s, gsize len)
{
	GBytes *key = g_bytes_new(s, len);
	gpointer v = g_hash_table_lookup(b->ids, key);

	if (v != NULL) {
		g_bytes_unref(key);
		return GPOINTER_TO_UINT(v) - 1;
	}
	g_ptr_array_add(b->patterns, key);
	g_hash_table_insert(b->ids, key, GUINT_TO_POINTER(b->patterns->len));
	return b->patterns->len - 1;
}

guint
pd_ac_builder_count(const pd_ac_builder *b)
{
	return b->patterns->len;
}

/* ---- the trie while it is built: first child, next sibling ---- */

typedef struct {
	guint32 child, sibling;
	guint32 out;
	guint8 cls;
	guint8 depth;   /* saturates at 255 */
} trie_node;

typedef struct {
	GArray *nodes;      /* trie_node */
	guint32 root_next[256];
} trie;

static guint32
trie_child(const trie *t, guint32 n, guint8 c)
{
	if (n == 0)
		return t->root_next[c];
	for (guint32 k = g_array_index(t->nodes, trie_node, n).child; k != NONE;
	     k = g_array_index(t->nodes, trie_node, k).sibling)
		if (g_array_index(t->nodes, trie_node, k).cls == c)
			return k;
	return NONE;
}

static guint32
trie_add_child(trie *t, guint32 n, guint8 c)
{
	trie_node *parent = &g_array_index(t->nodes, trie_node, n);
	trie_node node = { NONE, parent->child, NONE, c, (guint8)MIN(parent->depth + 1, 255) };
	guint32 id = t->nodes->len;

	parent->child = id;
	g_array_append_val(t->nodes, node);
	if (n == 0)
		t->root_next[c] = id;
	return id;
}

static void
trie_insert(trie *t, const guint8 *cls, GBytes *pattern, guint id)
{
	gsize len;
	const guint8 *s = g_bytes_get_data(pattern, &len);
	guint32 n = 0;

	for (gsize i = 0; i < len; i++) {
		guint32 next = trie_child(t, n, cls[s[i]]);
		n = next != NONE ? next : trie_add_child(t, n, cls[s[i]]);
	}
	g_array_index(t->nodes, trie_node, n).out = id;
}

static void
assign_classes(pd_ac *ac, GPtrArray *patterns)
{
	gboolean used[256] = { FALSE };

	for (guint i = 0; i < patterns->len; i++) {
		gsize len;
		const guint8 *s = g_bytes_get_data(patterns->pdata[i], &len);
		for (gsize k = 0; k < len; k++)
			used[s[k]] = TRUE;
	}
	ac->nclasses = 1;
	for (guint b = 0; b < 256; b++)
		ac->cls[b] = used[b] ? (guint8)ac->nclasses++ : 0;
}

/* Breadth-first order: a state's failure target comes before it. */
static GArray *
bfs_order(const trie *t)
{
	GArray *order = g_array_sized_new(FALSE, FALSE, sizeof(guint32), t->nodes->len);
	guint32 root = 0;

	g_array_append_val(order, root);
	for (guint i = 0; i < order->len; i++) {
		guint32 n = g_array_index(order, guint32, i);
		for (guint32 k = g_array_index(t->nodes, trie_node, n).child; k != NONE;
		     k = g_array_index(t->nodes, trie_node, k).sibling)
			g_array_append_val(order, k);
	}
	return order;
}

/* Failure links on trie ids: the longest proper suffix that is in the trie. */
static guint32 *
failure_links(const trie *t, GArray *order)
{
	guint32 *fail = g_new0(guint32, t->nodes->len);

	for (guint i = 1; i < order->len; i++) {
		guint32 n = g_array_index(order, guint32, i);
		for (guint32 k = g_array_index(t->nodes, trie_node, n).child; k != NONE;
		     k = g_array_index(t->nodes, trie_node, k).sibling) {
			guint8 c = g_array_index(t->nodes, trie_node, k).cls;
			guint32 f = fail[n], next;
			while ((next = trie_child(t, f, c)) == NONE && f != 0)
				f = fail[f];
			fail[k] = next != NONE && next != k ? next : 0;
		}
	}
	for (guint32 c = 0; c < 256; c++)
		if (t->root_next[c] != NONE)
			fail[t->root_next[c]] = 0;
	return fail;
}

static guint32
dense_count(const trie *t, GArray *order, guint nclasses)
{
	guint32 limit = MAX(1u, DENSE_BUDGET / (nclasses * sizeof(guint32)));
	guint depth = 0;
	guint32 n = 0;

	/* The largest depth whose states all fit; at least the root. */
	for (guint i = 0; i < order->len; i++) {
		guint d = g_array_index(t->nodes, trie_node, g_array_index(order, guint32, i)).depth;
		if (d != depth) {
			if (i > limit)
				break;
			n = i;
			depth = d;
		}
	}
	if (order->len <= limit)
		n = order->len;
	return MAX(n, 1);
}

/* Edges sorted by class, so a lookup can stop early (insertion sort: the
 * lists are short, and a state has at most one edge per class). */
static void
sort_edges(guint8 *cls, guint32 *to, guint32 n)
{
	for (guint32 i = 1; i < n; i++) {
		guint8 c = cls[i];
		guint32 v = to[i], j = i;
		for (; j > 0 && cls[j - 1] > c; j--) {
			cls[j] = cls[j - 1];
			to[j] = to[j - 1];
		}
		cls[j] = c;
		to[j] = v;
	}
}

static void
fill_states(pd_ac *ac, const trie *t, GArray *order, const guint32 *fail, const guint32 *rank)
{
	guint32 nedges = 0;

	ac->states = g_new0(ac_state, ac->nstates);
	ac->out = g_new(guint32, ac->nstates);
	ac->dict = g_new(guint32, ac->nstates);
	ac->has_out = g_new(guint8, ac->nstates);
	ac->edge_cls = g_new(guint8, MAX(t->nodes->len, 1));
	ac->edge_to = g_new(guint32, MAX(t->nodes->len, 1));
	for (guint32 i = 0; i < ac->nstates; i++) {
		guint32 n = g_array_index(order, guint32, i);
		ac_state *s = &ac->states[i];
		s->fail = rank[fail[n]];
		ac->out[i] = g_array_index(t->nodes, trie_node, n).out;
		s->edges = nedges;
		for (guint32 k = g_array_index(t->nodes, trie_node, n).child; k != NONE;
		     k = g_array_index(t->nodes, trie_node, k).sibling) {
			ac->edge_cls[nedges] = g_array_index(t->nodes, trie_node, k).cls;
			ac->edge_to[nedges++] = rank[k];
		}
		s->nedges = nedges - s->edges;
		sort_edges(ac->edge_cls + s->edges, ac->edge_to + s->edges, s->nedges);
	}
	for (guint32 i = 0; i < ac->nstates; i++) {
		guint32 f = ac->states[i].fail;
		ac->dict[i] = i == 0 ? NONE : (ac->out[f] != NONE ? f : ac->dict[f]);
		ac->has_out[i] = ac->out[i] != NONE || ac->dict[i] != NONE;
	}
}

static guint32
sparse_next(const pd_ac *ac, guint32 s, guint c)
{
	const ac_state *st = &ac->states[s];
	const guint8 *cls = ac->edge_cls + st->edges;

	for (guint32 i = 0; i < st->nedges && cls[i] <= c; i++)
		if (cls[i] == c)
			return ac->edge_to[st->edges + i];
	return NONE;
}

static void
fill_dense(pd_ac *ac)
{
	ac->dense = g_new(guint32, (gsize)ac->ndense * ac->nclasses);
	for (guint32 s = 0; s < ac->ndense; s++)
		for (guint c = 0; c < ac->nclasses; c++) {
			guint32 next = c == 0 ? NONE : sparse_next(ac, s, c);
			if (next == NONE)
				next = s == 0 ? 0 : ac->dense[(gsize)ac->states[s].fail * ac->nclasses + c];
			ac->dense[(gsize)s * ac->nclasses + c] = next;
		}
}

pd_ac *
pd_ac_build(pd_ac_builder *b)
{
	pd_ac *ac = g_new0(pd_ac, 1);
	trie t = { g_array_new(FALSE, FALSE, sizeof(trie_node)), { 0 } };
	trie_node root = { NONE, NONE, NONE, 0, 0 };

	memset(t.root_next, 0xff, sizeof t.root_next);
	g_array_append_val(t.nodes, root);
	assign_classes(ac, b->patterns);
	ac->npatterns = b->patterns->len;
	ac->pattern_len = g_new(guint32, MAX(ac->npatterns, 1));
	for (guint i = 0; i < b->patterns->len; i++) {
		trie_insert(&t, ac->cls, b->patterns->pdata[i], i);
		ac->pattern_len[i] = (guint32)g_bytes_get_size(b->patterns->pdata[i]);
	}
	GArray *order = bfs_order(&t);
	guint32 *fail = failure_links(&t, order);
	guint32 *rank = g_new(guint32, t.nodes->len);
	for (guint i = 0; i < order->len; i++)
		rank[g_array_index(order, guint32, i)] = i;
	ac->nstates = order->len;
	ac->ndense = dense_count(&t, order, ac->nclasses);
	fill_states(ac, &t, order, fail, rank);
	fill_dense(ac);
	g_free(rank);
	g_free(fail);
	g_array_unref(order);
	g_array_unref(t.nodes);
	g_hash_table_unref(b->ids);
	g_ptr_array_unref(b->patterns);
	g_free(b);
	return ac;
}

void
pd_ac_free(pd_ac **ac)
{
	if (ac == NULL || *ac == NULL)
		return;
	g_free((*ac)->dense);
	g_free((*ac)->states);
	g_free((*ac)->out);
	g_free((*ac)->dict);
	g_free((*ac)->has_out);
	g_free((*ac)->edge_cls);
	g_free((*ac)->edge_to);
	g_free((*ac)->pattern_len);
	g_free(*ac);
	*ac = NULL;
}

guint
pd_ac_pattern_len(const pd_ac *ac, guint id)
{
	return ac->pattern_len[id];
}

gsize
pd_ac_memory(const pd_ac *ac)
{
	return sizeof *ac + (gsize)ac->ndense * ac->nclasses * 4 + (gsize)ac->nstates * (sizeof(ac_state) + 14) +
	       (gsize)ac->npatterns * 4;
}

static inline void
report(const pd_ac *ac, guint32 s, gsize end, pd_ac_hit_fn fn, gpointer data)
{
	for (guint32 u = ac->out[s] != NONE ? s : ac->dict[s]; u != NONE; u = ac->dict[u])
		fn(ac->out[u], end, data);
}

void
pd_ac_scan(const pd_ac *ac, const char *text, gsize len, pd_ac_hit_fn fn, gpointer data)
{
	const guint8 *p = (const guint8 *)text;
	guint32 s = 0;

	if (ac->npatterns == 0)
		return;
	for (gsize i = 0; i < len; i++) {
		guint c = ac->cls[p[i]];
		if (c == 0) {
			s = 0;  /* a byte no pattern contains: back to the root */
			continue;
		}
		for (;;) {
			if (s < ac->ndense) {
				s = ac->dense[(gsize)s * ac->nclasses + c];
				break;
			}
			guint32 next = sparse_next(ac, s, c);
			if (next != NONE) {
				s = next;
				break;
			}
			s = ac->states[s].fail;
		}
		if (ac->has_out[s])
			report(ac, s, i + 1, fn, data);
	}
}
