/* report.c: `postdesk report`: volume, backlog, response and resolution times, SLA compliance, requesters and rules, from one pass over the tickets. */
#include "config.h"
#include "cli.h"
#include "pd.h"
#include "sla/sla.h"

#include <stdio.h>
#include <string.h>

/*
 * Everything comes from the ticket records, never from their events: the
 * creation time, status, queue and requester; the rules that held (extra
 * "rules"); and the SLA clock, which keeps the first response, the
 * resolution and each target's business time. One read transaction, one
 * walk over the records read in place (pd_view: decoding them into
 * pd_tickets and GVariants took 6 s for 100,000 tickets), a few hash
 * tables.
 */

#define DAY_US (86400LL * G_USEC_PER_SEC)

typedef struct {
	guint met, breached, undecided;
} compliance;

typedef struct {
	/* what was asked */
	gint64 since, until;        /* µs, until exclusive; G_MININT64 / G_MAXINT64: open */
	const char *queue;          /* NULL: all */
	gint64 now;
	/* what was found */
	guint tickets;
	gint64 first_day, last_day; /* days since the epoch (UTC) with something in them */
	GHashTable *created_days, *resolved_days;  /* day -> count */
	GHashTable *status, *queue_total, *queue_backlog, *requesters, *rules;  /* name -> count */
	GArray *first_response, *resolution;       /* gint64 seconds */
	guint unanswered;           /* not done and no agent reply yet */
	compliance sla[PD_SLA_NTARGETS];
} report;

static void
report_reset(report *r)
{
	r->tickets = r->unanswered = 0;
	r->first_day = G_MAXINT64;
	r->last_day = G_MININT64;
	GHashTable **tables[] = { &r->created_days, &r->resolved_days };
	for (guint i = 0; i < G_N_ELEMENTS(tables); i++) {
		g_clear_pointer(tables[i], g_hash_table_unref);
		*tables[i] = g_hash_table_new(g_direct_hash, g_direct_equal);
	}
	GHashTable **named[] = { &r->status, &r->queue_total, &r->queue_backlog, &r->requesters, &r->rules };
	for (guint i = 0; i < G_N_ELEMENTS(named); i++) {
		g_clear_pointer(named[i], g_hash_table_unref);
		*named[i] = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	}
	g_clear_pointer(&r->first_response, g_array_unref);
	g_clear_pointer(&r->resolution, g_array_unref);
	r->first_response = g_array_new(FALSE, FALSE, sizeof(gint64));
	r->resolution = g_array_new(FALSE, FALSE, sizeof(gint64));
	memset(r->sla, 0, sizeof r->sla);
}

static void
report_clear(report *r)
{
	GHashTable *tables[] = { r->created_days, r->resolved_days, r->status, r->queue_total,
	                         r->queue_backlog, r->requesters, r->rules };
	for (guint i = 0; i < G_N_ELEMENTS(tables); i++)
		if (tables[i] != NULL)
			g_hash_table_unref(tables[i]);
	if (r->first_response != NULL)
		g_array_unref(r->first_response);
	if (r->resolution != NULL)
		g_array_unref(r->resolution);
}

/* ---- the pass ---- */

static gint64
day_of(gint64 usec)
{
	return usec >= 0 ? usec / DAY_US : -((-usec + DAY_US - 1) / DAY_US);
}

static void
count_day(report *r, GHashTable *h, gint64 usec)
{
	gint64 day = day_of(usec);
	gpointer key = GINT_TO_POINTER((gint)day);
	g_hash_table_insert(h, key, GUINT_TO_POINTER(GPOINTER_TO_UINT(g_hash_table_lookup(h, key)) + 1));
	r->first_day = MIN(r->first_day, day);
	r->last_day = MAX(r->last_day, day);
}

/* Name tables own their keys and hold a counter (guint*) per name. */
static void
count_name(GHashTable *h, const char *name)
{
	if (name == NULL)
		name = "";
	guint *n = g_hash_table_lookup(h, name);
	if (n == NULL) {
		n = g_new0(guint, 1);
		g_hash_table_insert(h, g_strdup(name), n);
	}
	(*n)++;
}

static guint
name_count(GHashTable *h, const char *name)
{
	const guint *n = g_hash_table_lookup(h, name);
	return n != NULL ? *n : 0;
}

static gboolean
is_done(const char *status)
{
	return g_strcmp0(status, "resolved") == 0 || g_strcmp0(status, "closed") == 0;
}

static void
count_rules(report *r, const pd_view *rules)
{
	gsize n = pd_view_n_children(rules);
	for (gsize i = 0; i < n; i++) {
		pd_view v;
		const char *name;
		if (pd_view_child(rules, i, 1, &v) && (name = pd_view_string(&v)) != NULL)
			count_name(r->rules, name);
	}
}

/* Met in time, breached, or neither yet (running in time, paused, stopped). */
static void
count_clock(report *r, const pd_sla_clock *c, int target)
{
	if (c->budget <= 0)
		return;
	if (c->breached || c->used > c->budget || (c->state == PD_CLOCK_RUNNING && c->due != 0 && c->due <= r->now))
		r->sla[target].breached++;
	else if (c->state == PD_CLOCK_MET)
		r->sla[target].met++;
	else
		r->sla[target].undecided++;
}

static gint64
view_i64(const pd_view *dict, const char *key)
{
	pd_view v;
	gint64 x = 0;
	if (pd_view_lookup(dict, key, "x", &v))
		pd_view_int64(&v, &x);
	return x;
}

static const char *
view_str(const pd_view *dict, const char *key)
{
	pd_view v;
	return pd_view_lookup(dict, key, "s", &v) ? pd_view_string(&v) : NULL;
}

/* The SLA clock as pd_sla_state_load reads it (extra "sla_clock"), read in
 * place: a record's clocks are a(uxxxxxxxbb), fixed-size elements of 72
 * bytes (state; budget, used, since, started, done, due, warn; warned,
 * breached), GVariant's layout of the C struct below. */
typedef struct {
	guint32 state;
	gint64 budget, used, since, started, done, due, warn;
	guint8 warned, breached;
} clock_element;
G_STATIC_ASSERT(sizeof(clock_element) == 72);

static gboolean
clock_read(const pd_view *record, pd_sla_state *s)
{
	pd_view d, clocks;
	pd_sla_state_init(s);
	if (!pd_view_lookup(record, "sla_clock", "a{sv}", &d))
		return FALSE;
	s->policy = (char *)view_str(&d, "policy");  /* borrowed: never freed */
	s->first_response = view_i64(&d, "first_response");
	s->resolved = view_i64(&d, "resolved");
	if (pd_view_lookup(&d, "clocks", "a(uxxxxxxxbb)", &clocks) && clocks.size % sizeof(clock_element) == 0) {
		gsize n = MIN(clocks.size / sizeof(clock_element), (gsize)PD_SLA_NTARGETS);
		for (gsize i = 0; i < n; i++) {
			clock_element e;
			memcpy(&e, clocks.data + i * sizeof e, sizeof e);
			pd_sla_clock *c = &s->clock[i];
			c->state = GUINT32_FROM_LE(e.state) <= PD_CLOCK_STOPPED ? (pd_clock_state)GUINT32_FROM_LE(e.state)
			                                                         : PD_CLOCK_OFF;
			c->budget = GINT64_FROM_LE(e.budget);
			c->used = GINT64_FROM_LE(e.used);
			c->due = GINT64_FROM_LE(e.due);
			c->done = GINT64_FROM_LE(e.done);
			c->breached = e.breached != 0;
			c->warned = e.warned != 0;
		}
	}
	return TRUE;
}

static void
count_clocks(report *r, const pd_view *record, gint64 created, const char *status)
{
	pd_sla_state s;
	clock_read(record, &s);
	if (s.first_response != 0) {
		gint64 secs = (s.first_response - created) / G_USEC_PER_SEC;
		g_array_append_val(r->first_response, secs);
	} else if (!is_done(status))
		r->unanswered++;
	if (s.resolved != 0 && is_done(status)) {
		gint64 secs = (s.resolved - created) / G_USEC_PER_SEC;
		g_array_append_val(r->resolution, secs);
		count_day(r, r->resolved_days, s.resolved);
	}
	if (s.policy != NULL)
		for (int i = 0; i < PD_SLA_NTARGETS; i++)
			count_clock(r, &s.clock[i], i);
}

static gboolean
visit_record(const pd_view *record, gpointer data)
{
	report *r = data;
	gint64 created = view_i64(record, "created");
	const char *status = view_str(record, "status"), *queue = view_str(record, "queue");
	if (status == NULL)
		status = "new";
	if (queue == NULL)
		queue = "";
	if (created < r->since || created >= r->until || (r->queue != NULL && strcmp(queue, r->queue) != 0))
		return TRUE;
	r->tickets++;
	count_day(r, r->created_days, created);
	count_name(r->status, status);
	count_name(r->queue_total, queue);
	if (!is_done(status))
		count_name(r->queue_backlog, queue);
	const char *requester = view_str(record, "requester");
	count_name(r->requesters, requester != NULL ? requester : "");
	pd_view rules;
	if (pd_view_lookup(record, "rules", "as", &rules))
		count_rules(r, &rules);
	count_clocks(r, record, created, status);
	return TRUE;
}

static gboolean
read_report(pd_txn *txn, gpointer data, GError **error)
{
	report_reset(data);
	return pd_ticket_records_foreach(txn, visit_record, data, error);
}

/* ---- figures from the counts ---- */

typedef struct {
	const char *name;
	guint count, extra;  /* extra: a queue's backlog */
} named_count;

static int
cmp_count(gconstpointer a, gconstpointer b)
{
	const named_count *x = a, *y = b;
	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	return strcmp(x->name, y->name);
}

static int
cmp_backlog(gconstpointer a, gconstpointer b)
{
	const named_count *x = a, *y = b;
	if (x->extra != y->extra)
		return x->extra < y->extra ? 1 : -1;
	return cmp_count(a, b);
}

/* The table's entries, most first (then by name); names borrowed from the table. */
static GArray *
sorted_counts(GHashTable *h, GHashTable *extra, GCompareFunc cmp)
{
	GArray *out = g_array_new(FALSE, FALSE, sizeof(named_count));
	GHashTableIter it;
	gpointer k, v;
	g_hash_table_iter_init(&it, h);
	while (g_hash_table_iter_next(&it, &k, &v)) {
		named_count c = { k, *(const guint *)v, extra != NULL ? name_count(extra, k) : 0 };
		g_array_append_val(out, c);
	}
	g_array_sort(out, cmp);
	return out;
}

/* Statuses in lifecycle order, then any others by count. */
static GArray *
status_counts(GHashTable *h)
{
	static const char *const order[] = { "new", "open", "pending", "resolved", "closed", NULL };
	GArray *all = sorted_counts(h, NULL, cmp_count), *out = g_array_new(FALSE, FALSE, sizeof(named_count));
	for (int i = 0; order[i] != NULL; i++) {
		named_count c = { order[i], name_count(h, order[i]), 0 };
		g_array_append_val(out, c);
	}
	for (guint i = 0; i < all->len; i++)
		if (!g_strv_contains(order, g_array_index(all, named_count, i).name))
			g_array_append_val(out, g_array_index(all, named_count, i));
	g_array_unref(all);
	return out;
}

typedef struct {
	guint n;
	gint64 median, p90;  /* seconds; meaningful when n > 0 */
} spread;

static int
cmp_i64(gconstpointer a, gconstpointer b)
{
	gint64 x = *(const gint64 *)a, y = *(const gint64 *)b;
	return x < y ? -1 : x > y;
}

/* Nearest rank: the smallest value with at least p % of the values at or below it. */
static gint64
nearest_rank(GArray *sorted, guint p)
{
	guint64 rank = ((guint64)p * sorted->len + 99) / 100;
	return g_array_index(sorted, gint64, MAX(rank, 1) - 1);
}

static spread
spread_of(GArray *values)
{
	spread s = { values->len, 0, 0 };
	if (values->len == 0)
		return s;
	g_array_sort(values, cmp_i64);
	s.median = nearest_rank(values, 50);
	s.p90 = nearest_rank(values, 90);
	return s;
}

static double
percent(const compliance *c)
{
	guint64 den = (guint64)c->met + c->breached;
	return (double)(((guint64)c->met * 1000 + den / 2) / den) / 10.0;
}

/* ---- the volume chart: days, weeks or months ---- */

typedef enum { BY_DAY, BY_WEEK, BY_MONTH } grouping;
static const char *const grouping_names[] = { "day", "week", "month" };

typedef struct {
	char label[16];
	guint created, resolved;
} bucket;

static guint
day_count(GHashTable *h, gint64 day)
{
	return GPOINTER_TO_UINT(g_hash_table_lookup(h, GINT_TO_POINTER((gint)day)));
}

static void
day_label(gint64 day, const char *fmt, char *buf, gsize size)
{
	GDateTime *dt = g_date_time_new_from_unix_utc(day * 86400);
	char *s = dt != NULL ? g_date_time_format(dt, fmt) : g_strdup("?");
	g_strlcpy(buf, s, size);
	g_free(s);
	if (dt != NULL)
		g_date_time_unref(dt);
}

/* The days the report covers: the asked range, else the days with tickets. */
static gboolean
day_range(const report *r, gint64 *first_r, gint64 *last_r)
{
	*first_r = r->since != G_MININT64 ? day_of(r->since) : r->first_day;
	*last_r = r->until != G_MAXINT64 ? day_of(r->until - 1) : r->last_day;
	return r->tickets > 0 && *first_r <= *last_r;
}

static grouping
grouping_for(gint64 ndays)
{
	return ndays <= 31 ? BY_DAY : ndays <= 26 * 7 ? BY_WEEK : BY_MONTH;
}

/* Day 0 (1970-01-01) was a Thursday; weeks begin on Monday. */
static gint64
bucket_key(gint64 day, grouping g)
{
	if (g == BY_DAY)
		return day;
	if (g == BY_WEEK)
		return day - (((day + 3) % 7) + 7) % 7;
	GDateTime *dt = g_date_time_new_from_unix_utc(day * 86400);
	gint64 key = dt != NULL ? g_date_time_get_year(dt) * 12 + g_date_time_get_month(dt) : 0;
	if (dt != NULL)
		g_date_time_unref(dt);
	return key;
}

static GArray *
volume_buckets(const report *r, gint64 first, gint64 last, grouping g)
{
	GArray *out = g_array_new(FALSE, TRUE, sizeof(bucket));
	gint64 key = G_MININT64;
	for (gint64 day = first; day <= last; day++) {
		gint64 k = bucket_key(day, g);
		if (k != key) {
			bucket b = { { 0 }, 0, 0 };
			day_label(g == BY_WEEK ? k : day, g == BY_MONTH ? "%Y-%m" : "%Y-%m-%d", b.label, sizeof b.label);
			g_array_append_val(out, b);
			key = k;
		}
		bucket *b = &g_array_index(out, bucket, out->len - 1);
		b->created += day_count(r->created_days, day);
		b->resolved += day_count(r->resolved_days, day);
	}
	return out;
}

/* ---- text ---- */

/* A bar of width columns for value out of max, in eighths of a block. */
static void
append_bar(GString *out, guint value, guint max, guint width)
{
	static const char *const parts[] = { "", "▏", "▎", "▍", "▌", "▋", "▊", "▉" };
	guint64 eighths = max == 0 ? 0 : ((guint64)value * width * 8 + max / 2) / max;
	if (value > 0 && eighths == 0)
		eighths = 1;
	guint cols = 0;
	for (; cols < eighths / 8; cols++)
		g_string_append(out, "█");
	if (eighths % 8 != 0) {
		g_string_append(out, parts[eighths % 8]);
		cols++;
	}
	for (; cols < width; cols++)
		g_string_append_c(out, ' ');
}

static char *
format_duration(gint64 secs)
{
	if (secs < 60)
		return g_strdup_printf("%" G_GINT64_FORMAT "s", MAX(secs, 0));
	if (secs < 3600)
		return g_strdup_printf("%" G_GINT64_FORMAT "m", secs / 60);
	if (secs < 86400)
		return g_strdup_printf("%" G_GINT64_FORMAT "h %" G_GINT64_FORMAT "m", secs / 3600, secs / 60 % 60);
	return g_strdup_printf("%" G_GINT64_FORMAT "d %" G_GINT64_FORMAT "h", secs / 86400, secs / 3600 % 24);
}

static void
print_bar_row(const char *label, guint label_width, guint value, guint max, guint bar_width, const char *tail)
{
	GString *line = g_string_new("  ");
	char *col = pd_cli_column(label, label_width);
	g_string_append(line, col);
	g_string_append_c(line, ' ');
	append_bar(line, value, max, bar_width);
	g_string_append_printf(line, " %7u%s", value, tail != NULL ? tail : "");
	printf("%s\n", line->str);
	g_string_free(line, TRUE);
	g_free(col);
}

static void
text_header(const report *r)
{
	char *now = pd_cli_human_time(r->now);
	GString *range = g_string_new(NULL);
	if (r->since != G_MININT64) {
		char *s = pd_cli_human_time(r->since);
		g_string_append_printf(range, " from %s", s);
		g_free(s);
	}
	if (r->until != G_MAXINT64) {
		char *s = pd_cli_human_time(r->until);
		g_string_append_printf(range, " before %s", s);
		g_free(s);
	}
	printf("Report: %u ticket%s created%s, %s%s; as of %s\n", r->tickets, r->tickets == 1 ? "" : "s",
	       range->len > 0 ? range->str : " at any time", r->queue != NULL ? "queue " : "all queues",
	       r->queue != NULL ? r->queue : "", now);
	g_string_free(range, TRUE);
	g_free(now);
}

static void
text_volume(const report *r, guint width)
{
	gint64 first, last;
	if (!day_range(r, &first, &last))
		return;
	grouping g = grouping_for(last - first + 1);
	GArray *b = volume_buckets(r, first, last, g);
	guint max = 0;
	for (guint i = 0; i < b->len; i++)
		max = MAX(max, g_array_index(b, bucket, i).created);
	printf("\nVolume per %s%s (bars: created; UTC)\n", grouping_names[g],
	       g == BY_WEEK ? " from Monday" : "");
	guint bar = width - 31;
	printf("  %-10s %-*s %7s  %8s\n", grouping_names[g], bar, "", "created", "resolved");
	for (guint i = 0; i < b->len; i++) {
		const bucket *x = &g_array_index(b, bucket, i);
		char tail[32];
		g_snprintf(tail, sizeof tail, "  %8u", x->resolved);
		print_bar_row(x->label, 10, x->created, max, bar, tail);
	}
	g_array_unref(b);
}

static void
text_backlog(const report *r, guint width)
{
	GArray *st = status_counts(r->status);
	guint max = 0, backlog = 0;
	for (guint i = 0; i < st->len; i++) {
		const named_count *c = &g_array_index(st, named_count, i);
		max = MAX(max, c->count);
		if (!is_done(c->name))
			backlog += c->count;
	}
	printf("\nTickets by status, now\n");
	for (guint i = 0; i < st->len; i++)
		print_bar_row(g_array_index(st, named_count, i).name, 12, g_array_index(st, named_count, i).count, max,
		              width - 24, NULL);
	g_array_unref(st);
	GArray *q = sorted_counts(r->queue_total, r->queue_backlog, cmp_backlog);
	max = 0;
	for (guint i = 0; i < q->len; i++)
		max = MAX(max, g_array_index(q, named_count, i).extra);
	printf("\nBacklog by queue (not resolved or closed): %u\n", backlog);
	for (guint i = 0; i < q->len; i++) {
		const named_count *c = &g_array_index(q, named_count, i);
		char tail[32];
		g_snprintf(tail, sizeof tail, " of %u", c->count);
		print_bar_row(*c->name != '\0' ? c->name : "(none)", 12, c->extra, max, width - 36, tail);
	}
	g_array_unref(q);
}

static void
text_spread(const char *label, spread s, const char *tail)
{
	if (s.n == 0) {
		printf("  %-16s no tickets%s\n", label, tail);
		return;
	}
	char *m = format_duration(s.median), *p = format_duration(s.p90);
	printf("  %-16s median %-8s  p90 %-8s %u ticket%s%s\n", label, m, p, s.n, s.n == 1 ? "" : "s", tail);
	g_free(m);
	g_free(p);
}

static void
text_times(const report *r, spread fr, spread res)
{
	printf("\nFirst response and resolution (wall clock; median and p90 by nearest rank)\n");
	char tail[64];
	g_snprintf(tail, sizeof tail, "; %u unanswered", r->unanswered);
	text_spread("first response", fr, tail);
	text_spread("resolution", res, "");
}

static void
text_sla(const report *r)
{
	printf("\nSLA compliance (met in time / (met in time + breached), tickets with a target)\n");
	for (int i = 0; i < PD_SLA_NTARGETS; i++) {
		const compliance *c = &r->sla[i];
		const char *name = pd_sla_target_name((pd_sla_target)i);
		if (c->met + c->breached == 0)
			printf("  %-16s      -   met %6u  breached %6u  undecided %6u\n", name, c->met, c->breached,
			       c->undecided);
		else
			printf("  %-16s %5.1f %%   met %6u  breached %6u  undecided %6u\n", name, percent(c), c->met,
			       c->breached, c->undecided);
	}
}

static void
text_list(const char *title, GArray *counts, guint limit, guint width)
{
	printf("\n%s\n", title);
	if (counts->len == 0)
		printf("  (none)\n");
	guint max = counts->len > 0 ? g_array_index(counts, named_count, 0).count : 0;
	guint label = width >= 80 ? 40 : 24;
	for (guint i = 0; i < counts->len && (limit == 0 || i < limit); i++)
		print_bar_row(g_array_index(counts, named_count, i).name, label, g_array_index(counts, named_count, i).count,
		              max, width - label - 12, NULL);
}

static void
print_text(report *r, guint width)
{
	text_header(r);
	text_volume(r, width);
	text_backlog(r, width);
	spread fr = spread_of(r->first_response), res = spread_of(r->resolution);
	text_times(r, fr, res);
	text_sla(r);
	GArray *req = sorted_counts(r->requesters, NULL, cmp_count), *rules = sorted_counts(r->rules, NULL, cmp_count);
	text_list("Top requesters", req, 10, width);
	text_list("Rule hits (rules that held when a ticket was created)", rules, 0, width);
	g_array_unref(req);
	g_array_unref(rules);
}

/* ---- JSON ---- */

static void
json_time_or_null(JsonBuilder *b, const char *member, gint64 usec, gboolean set)
{
	json_builder_set_member_name(b, member);
	if (!set) {
		json_builder_add_null_value(b);
		return;
	}
	char *s = pd_cli_iso_time(usec);
	json_builder_add_string_value(b, s);
	g_free(s);
}

static void
json_range(JsonBuilder *b, const report *r)
{
	json_time_or_null(b, "since", r->since, r->since != G_MININT64);
	json_time_or_null(b, "until", r->until, r->until != G_MAXINT64);
	json_builder_set_member_name(b, "queue");
	if (r->queue != NULL)
		json_builder_add_string_value(b, r->queue);
	else
		json_builder_add_null_value(b);
	json_time_or_null(b, "now", r->now, TRUE);
	json_builder_set_member_name(b, "tickets");
	json_builder_add_int_value(b, r->tickets);
}

static void
json_volume(JsonBuilder *b, const report *r)
{
	gint64 first, last;
	gboolean any = day_range(r, &first, &last);
	json_builder_set_member_name(b, "chart_grouping");
	json_builder_add_string_value(b, any ? grouping_names[grouping_for(last - first + 1)] : "day");
	json_builder_set_member_name(b, "volume");
	json_builder_begin_array(b);
	for (gint64 day = first; any && day <= last; day++) {
		char label[16];
		day_label(day, "%Y-%m-%d", label, sizeof label);
		json_builder_begin_object(b);
		json_builder_set_member_name(b, "date");
		json_builder_add_string_value(b, label);
		json_builder_set_member_name(b, "created");
		json_builder_add_int_value(b, day_count(r->created_days, day));
		json_builder_set_member_name(b, "resolved");
		json_builder_add_int_value(b, day_count(r->resolved_days, day));
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
}

static void
json_backlog(JsonBuilder *b, const report *r)
{
	GArray *st = status_counts(r->status);
	guint backlog = 0;
	json_builder_set_member_name(b, "status");
	json_builder_begin_object(b);
	for (guint i = 0; i < st->len; i++) {
		const named_count *c = &g_array_index(st, named_count, i);
		json_builder_set_member_name(b, c->name);
		json_builder_add_int_value(b, c->count);
		if (!is_done(c->name))
			backlog += c->count;
	}
	json_builder_end_object(b);
	g_array_unref(st);
	GArray *q = sorted_counts(r->queue_total, r->queue_backlog, cmp_backlog);
	json_builder_set_member_name(b, "backlog");
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "total");
	json_builder_add_int_value(b, backlog);
	json_builder_set_member_name(b, "queues");
	json_builder_begin_array(b);
	for (guint i = 0; i < q->len; i++) {
		const named_count *c = &g_array_index(q, named_count, i);
		json_builder_begin_object(b);
		json_builder_set_member_name(b, "queue");
		json_builder_add_string_value(b, c->name);
		json_builder_set_member_name(b, "backlog");
		json_builder_add_int_value(b, c->extra);
		json_builder_set_member_name(b, "tickets");
		json_builder_add_int_value(b, c->count);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	json_builder_end_object(b);
	g_array_unref(q);
}

static void
json_spread(JsonBuilder *b, const char *member, spread s, gint64 unanswered)
{
	json_builder_set_member_name(b, member);
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "tickets");
	json_builder_add_int_value(b, s.n);
	if (unanswered >= 0) {
		json_builder_set_member_name(b, "unanswered");
		json_builder_add_int_value(b, unanswered);
	}
	json_builder_set_member_name(b, "median_seconds");
	if (s.n > 0)
		json_builder_add_int_value(b, s.median);
	else
		json_builder_add_null_value(b);
	json_builder_set_member_name(b, "p90_seconds");
	if (s.n > 0)
		json_builder_add_int_value(b, s.p90);
	else
		json_builder_add_null_value(b);
	json_builder_end_object(b);
}

static void
json_sla(JsonBuilder *b, const report *r)
{
	json_builder_set_member_name(b, "sla");
	json_builder_begin_array(b);
	for (int i = 0; i < PD_SLA_NTARGETS; i++) {
		const compliance *c = &r->sla[i];
		json_builder_begin_object(b);
		json_builder_set_member_name(b, "target");
		json_builder_add_string_value(b, pd_sla_target_name((pd_sla_target)i));
		json_builder_set_member_name(b, "met");
		json_builder_add_int_value(b, c->met);
		json_builder_set_member_name(b, "breached");
		json_builder_add_int_value(b, c->breached);
		json_builder_set_member_name(b, "undecided");
		json_builder_add_int_value(b, c->undecided);
		json_builder_set_member_name(b, "compliance_percent");
		if (c->met + c->breached > 0)
			json_builder_add_double_value(b, percent(c));
		else
			json_builder_add_null_value(b);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
}

static void
json_list(JsonBuilder *b, const char *member, const char *key, const char *value, GArray *counts, guint limit)
{
	json_builder_set_member_name(b, member);
	json_builder_begin_array(b);
	for (guint i = 0; i < counts->len && (limit == 0 || i < limit); i++) {
		json_builder_begin_object(b);
		json_builder_set_member_name(b, key);
		json_builder_add_string_value(b, g_array_index(counts, named_count, i).name);
		json_builder_set_member_name(b, value);
		json_builder_add_int_value(b, g_array_index(counts, named_count, i).count);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
}

static void
print_json(report *r)
{
	JsonBuilder *b = json_builder_new();
	json_builder_begin_object(b);
	json_range(b, r);
	json_volume(b, r);
	json_backlog(b, r);
	json_spread(b, "first_response", spread_of(r->first_response), r->unanswered);
	json_spread(b, "resolution", spread_of(r->resolution), -1);
	json_sla(b, r);
	GArray *req = sorted_counts(r->requesters, NULL, cmp_count), *rules = sorted_counts(r->rules, NULL, cmp_count);
	json_list(b, "requesters", "requester", "tickets", req, 10);
	json_list(b, "rules", "rule", "hits", rules, 0);
	g_array_unref(req);
	g_array_unref(rules);
	json_builder_end_object(b);
	JsonNode *root = json_builder_get_root(b);
	pd_cli_print_json(root);
	json_node_unref(root);
	g_object_unref(b);
}

/* ---- CSV: one section after another, each with its header row ---- */

static void
csv_field(GString *line, const char *s)
{
	if (line->len > 0)
		g_string_append_c(line, ',');
	if (strpbrk(s, ",\"\r\n") == NULL) {
		g_string_append(line, s);
		return;
	}
	g_string_append_c(line, '"');
	for (const char *p = s; *p != '\0'; p++) {
		if (*p == '"')
			g_string_append_c(line, '"');
		g_string_append_c(line, *p);
	}
	g_string_append_c(line, '"');
}

/* One row of fields (NULL-terminated), quoted where needed. */
static void
csv_row(const char *const *fields)
{
	GString *line = g_string_new(NULL);
	for (int i = 0; fields[i] != NULL; i++)
		csv_field(line, fields[i]);
	printf("%s\n", line->str);
	g_string_free(line, TRUE);
}

static void
csv_counts(const char *section, const char *key, const char *value, GArray *counts, guint limit)
{
	const char *head[] = { "section", key, value, NULL };
	printf("\n");
	csv_row(head);
	for (guint i = 0; i < counts->len && (limit == 0 || i < limit); i++) {
		char n[16];
		g_snprintf(n, sizeof n, "%u", g_array_index(counts, named_count, i).count);
		const char *row[] = { section, g_array_index(counts, named_count, i).name, n, NULL };
		csv_row(row);
	}
}

static void
csv_volume(const report *r)
{
	const char *head[] = { "section", "date", "created", "resolved", NULL };
	csv_row(head);
	gint64 first, last;
	gboolean any = day_range(r, &first, &last);
	for (gint64 day = first; any && day <= last; day++) {
		char date[16], c[16], s[16];
		day_label(day, "%Y-%m-%d", date, sizeof date);
		g_snprintf(c, sizeof c, "%u", day_count(r->created_days, day));
		g_snprintf(s, sizeof s, "%u", day_count(r->resolved_days, day));
		const char *row[] = { "volume", date, c, s, NULL };
		csv_row(row);
	}
}

static void
csv_backlog(const report *r)
{
	GArray *st = status_counts(r->status);
	csv_counts("status", "status", "tickets", st, 0);
	g_array_unref(st);
	GArray *q = sorted_counts(r->queue_total, r->queue_backlog, cmp_backlog);
	const char *head[] = { "section", "queue", "backlog", "tickets", NULL };
	printf("\n");
	csv_row(head);
	for (guint i = 0; i < q->len; i++) {
		const named_count *c = &g_array_index(q, named_count, i);
		char bl[16], n[16];
		g_snprintf(bl, sizeof bl, "%u", c->extra);
		g_snprintf(n, sizeof n, "%u", c->count);
		const char *row[] = { "backlog", c->name, bl, n, NULL };
		csv_row(row);
	}
	g_array_unref(q);
}

static void
csv_times(report *r)
{
	const char *head[] = { "section", "measure", "tickets", "median_seconds", "p90_seconds", NULL };
	printf("\n");
	csv_row(head);
	spread all[] = { spread_of(r->first_response), spread_of(r->resolution) };
	const char *names[] = { "first-response", "resolution" };
	for (guint i = 0; i < G_N_ELEMENTS(all); i++) {
		char n[16], m[24], p[24];
		g_snprintf(n, sizeof n, "%u", all[i].n);
		g_snprintf(m, sizeof m, "%" G_GINT64_FORMAT, all[i].median);
		g_snprintf(p, sizeof p, "%" G_GINT64_FORMAT, all[i].p90);
		const char *row[] = { "times", names[i], n, all[i].n > 0 ? m : "", all[i].n > 0 ? p : "", NULL };
		csv_row(row);
	}
}

static void
csv_sla(const report *r)
{
	const char *head[] = { "section", "target", "met", "breached", "undecided", "compliance_percent", NULL };
	printf("\n");
	csv_row(head);
	for (int i = 0; i < PD_SLA_NTARGETS; i++) {
		const compliance *c = &r->sla[i];
		char met[16], br[16], un[16], pc[16] = "";
		g_snprintf(met, sizeof met, "%u", c->met);
		g_snprintf(br, sizeof br, "%u", c->breached);
		g_snprintf(un, sizeof un, "%u", c->undecided);
		if (c->met + c->breached > 0)
			g_ascii_formatd(pc, sizeof pc, "%.1f", percent(c));
		const char *row[] = { "sla", pd_sla_target_name((pd_sla_target)i), met, br, un, pc, NULL };
		csv_row(row);
	}
}

static void
print_csv(report *r)
{
	csv_volume(r);
	csv_backlog(r);
	csv_times(r);
	csv_sla(r);
	GArray *req = sorted_counts(r->requesters, NULL, cmp_count), *rules = sorted_counts(r->rules, NULL, cmp_count);
	csv_counts("requesters", "requester", "tickets", req, 10);
	csv_counts("rules", "rule", "hits", rules, 0);
	g_array_unref(req);
	g_array_unref(rules);
}

/* ---- the command ---- */

/* YYYY-MM-DD (midnight UTC; for --until the end of that day) or an ISO 8601
 * instant (UTC unless it names its zone). */
static gboolean
parse_bound(const char *text, gboolean until, gint64 *usec_r)
{
	int y, m, d;
	char rest;
	GTimeZone *utc = g_time_zone_new_utc();
	GDateTime *dt;
	gboolean date = sscanf(text, "%4d-%2d-%2d%c", &y, &m, &d, &rest) == 3 && strlen(text) == 10;
	if (date)
		dt = g_date_time_new(utc, y, m, d, 0, 0, 0);
	else
		dt = g_date_time_new_from_iso8601(text, utc);
	g_time_zone_unref(utc);
	if (dt == NULL)
		return FALSE;
	*usec_r = g_date_time_to_unix(dt) * G_USEC_PER_SEC + g_date_time_get_microsecond(dt);
	if (date && until)
		*usec_r += DAY_US;
	g_date_time_unref(dt);
	return TRUE;
}

static const char report_summary[] =
	"Tickets created in a range (default: all): volume per day (charted per day, week or month),\n"
	"tickets by status and backlog by queue (as they are now), first-response and resolution\n"
	"times (wall clock from creation; median and p90 by nearest rank), SLA compliance per target\n"
	"(met in time / (met in time + breached)), the top 10 requesters, and every rule's hits.\n"
	"Days are UTC. --until with a date includes that day; with an instant it is exclusive.\n"
	"\n"
	"--csv prints sections one after another, separated by a blank line, each with a header\n"
	"row whose first column is \"section\"; every row names its section:\n"
	"  section,date,created,resolved                      volume, one row a day\n"
	"  section,status,tickets                              status\n"
	"  section,queue,backlog,tickets                       backlog\n"
	"  section,measure,tickets,median_seconds,p90_seconds  times (first-response, resolution)\n"
	"  section,target,met,breached,undecided,compliance_percent   sla\n"
	"  section,requester,tickets                           requesters (top 10)\n"
	"  section,rule,hits                                   rules";

int
pd_cli_report(pd_cli *cli)
{
	char *since = NULL, *until = NULL, *queue = NULL;
	gboolean json = FALSE, csv = FALSE;
	gint width = 80;
	GOptionEntry entries[] = {
		{ "since", 0, 0, G_OPTION_ARG_STRING, &since, "Tickets created at or after (YYYY-MM-DD or ISO 8601)", "WHEN" },
		{ "until", 0, 0, G_OPTION_ARG_STRING, &until, "Tickets created before (a date: up to its end)", "WHEN" },
		{ "queue", 'q', 0, G_OPTION_ARG_STRING, &queue, "Only tickets of this queue", "QUEUE" },
		{ "json", 0, 0, G_OPTION_ARG_NONE, &json, "JSON output (durations in seconds)", NULL },
		{ "csv", 0, 0, G_OPTION_ARG_NONE, &csv, "CSV output (layout below)", NULL },
		{ "width", 'w', 0, G_OPTION_ARG_INT, &width, "Width of the text output (default 80)", "COLUMNS" },
		{ NULL },
	};
	if (!pd_cli_parse(cli, "", report_summary, entries))
		return PD_CLI_USAGE;
	report r = { .since = G_MININT64, .until = G_MAXINT64, .queue = queue, .now = pd_now_usec() };
	int rc = PD_CLI_OK;
	if (cli->argc != 1 || (json && csv) || width < 60 || width > 1000) {
		fprintf(stderr, "postdesk report: expected no arguments, at most one of --json and --csv, "
		                "and a --width from 60 to 1000\n");
		rc = PD_CLI_USAGE;
	} else if ((since != NULL && !parse_bound(since, FALSE, &r.since)) ||
	           (until != NULL && !parse_bound(until, TRUE, &r.until))) {
		fprintf(stderr, "postdesk report: %s: expected YYYY-MM-DD or an ISO 8601 instant such as "
		                "2026-11-23T09:00:00Z\n", since != NULL && r.since == G_MININT64 ? since : until);
		rc = PD_CLI_USAGE;
	}
	pd_app app = { 0 };
	if (rc == PD_CLI_OK && !pd_cli_open(cli, &app))
		rc = PD_CLI_FAIL;
	GError *e = NULL;
	if (rc == PD_CLI_OK) {
		if (!pd_store_run(app.store, read_report, &r, &e)) {
			fprintf(stderr, "postdesk report: %s\n", e->message);
			g_error_free(e);
			rc = PD_CLI_FAIL;
		} else if (json)
			print_json(&r);
		else if (csv)
			print_csv(&r);
		else
			print_text(&r, (guint)width);
		report_clear(&r);
		pd_app_close(&app);
	}
	g_free(since);
	g_free(until);
	g_free(queue);
	return rc;
}
