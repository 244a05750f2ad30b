/* gen-tickets.c: write tickets and their event logs straight into a store (a random year, or a plan), with the SLA clock following. */
#include "config.h"
#include "daemon/app.h"
#include "pd.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Each ticket is a plan: who, which queue and priority, which rules held,
 * and steps at offsets from its creation (an agent's reply, a requester's
 * reply, a status change). Steps after --end are left out, so the newest
 * tickets stay open as they would on a live desk. The plans are drawn
 * before the transaction that writes them, so a retry after a deadlock
 * writes the same tickets.
 */

typedef enum { STEP_AGENT, STEP_REQUESTER, STEP_STATUS } step_kind;

typedef struct {
	gint64 at;         /* µs since the epoch */
	step_kind kind;
	const char *status;  /* STEP_STATUS: the new status (static string) */
	const char *actor;   /* NULL: the agent of the plan, or "system" for status */
} step;

typedef struct {
	gint64 created;
	char *requester, *name, *queue, *priority, *subject, *agent;
	char **rules;      /* NULL-terminated, may be empty */
	GArray *steps;     /* of step, in time order */
} plan;

static void
plan_free(gpointer p)
{
	plan *pl = p;
	g_free(pl->requester);
	g_free(pl->name);
	g_free(pl->queue);
	g_free(pl->priority);
	g_free(pl->subject);
	g_free(pl->agent);
	g_strfreev(pl->rules);
	g_array_unref(pl->steps);
	g_free(pl);
}

static plan *
plan_new(void)
{
	plan *pl = g_new0(plan, 1);
	pl->steps = g_array_new(FALSE, FALSE, sizeof(step));
	return pl;
}

static void
add_step(plan *pl, gint64 at, step_kind kind, const char *status, const char *actor)
{
	step s = { at, kind, status, actor };
	g_array_append_val(pl->steps, s);
}

/* ---- the random desk ---- */

static const char *const first_names[] = {
	"anna", "ben", "chloe", "david", "emma", "felix", "greta", "hugo", "ines", "jan", "karin", "lukas",
	"maria", "nils", "olga", "pavel", "quinn", "rosa", "sven", "tanja", "uwe", "vera", "walter", "xenia",
	"yusuf", "zoe", "akira", "bianca", "carlos", "dana", "erik", "fatima", "georg", "hana", "igor", "julia",
	"kenji", "lena", "mateo", "nora",
};
static const char *const last_names[] = {
	"adams", "becker", "costa", "dubois", "eriksen", "fischer", "garcia", "hansen", "ivanova", "jensen",
	"kowalski", "lindqvist", "moreau", "nakamura", "ortiz", "petrov", "quint", "rossi", "schmidt", "tanaka",
	"ulrich", "vogel", "weber", "xu", "yilmaz", "zimmer", "alvarez", "brandt", "chen", "dietrich", "engel",
	"fuchs", "gomez", "horvat", "ito", "jovanovic", "klein", "lopez", "meyer", "novak",
};
static const char *const domains[] = {
	"acme.example.com", "globex.example.com", "initech.example.org", "umbrella.example.net", "hooli.example.com",
	"vandelay.example.org", "stark.example.com", "wayne.example.net", "tyrell.example.com", "soylent.example.org",
	"cyberdyne.example.com", "wonka.example.net", "gringotts.example.org", "oscorp.example.com",
	"aperture.example.net", "blackmesa.example.org", "monarch.example.com", "nakatomi.example.net",
	"duff.example.com", "krusty.example.org", "mail.example.com", "post.example.net", "web.example.org",
	"mailbox.example.com", "inbox.example.net", "example.com", "example.org", "example.net",
	"shop.example.com", "school.example.org",
};
static const char *const agents[] = {
	"ada@support.example.com", "bert@support.example.com", "cora@support.example.com",
	"dirk@support.example.com", "elif@support.example.com", "finn@support.example.com",
	"gina@support.example.com", "hank@support.example.com", "iris@support.example.com",
	"jonas@support.example.com", "kim@support.example.com", "lars@support.example.com",
};

typedef struct {
	const char *name;
	double share;
} weighted;

/* The demo desk's queues (contrib/demo/postdesk.conf) and rules (rules/). */
static const weighted queues[] = {
	{ "general", 0.40 }, { "technical", 0.22 }, { "billing", 0.18 }, { "accounts", 0.10 }, { "sales", 0.07 },
	{ "privacy", 0.03 },
};
static const weighted priorities[] = {
	{ "normal", 0.72 }, { "high", 0.15 }, { "low", 0.08 }, { "urgent", 0.05 },
};
static const char *const subjects[] = {
	"Cannot log in", "Invoice does not match the order", "Refund for order", "Password reset mail never arrives",
	"Export to CSV fails", "Question about the enterprise plan", "Two-factor codes rejected",
	"Data deletion request", "Our API key stopped working", "Wrong VAT on the invoice", "App crashes on start",
	"Upgrade pricing", "Suspicious login notification", "Contract renewal", "Sync is very slow",
};

typedef struct {
	GRand *rand;
	double *zipf_cdf;   /* cumulative shares of the requesters by rank */
	guint nrequesters;
	gint64 start, end;  /* µs */
} desk;

static const char *
pick(desk *d, const weighted *w, guint n)
{
	double x = g_rand_double(d->rand), acc = 0;
	for (guint i = 0; i < n; i++) {
		acc += w[i].share;
		if (x < acc)
			return w[i].name;
	}
	return w[n - 1].name;
}

static gboolean
chance(desk *d, double p)
{
	return g_rand_double(d->rand) < p;
}

/* Lognormal seconds with the given median and spread, within [lo, hi], in µs. */
static gint64
lognormal(desk *d, double median_s, double sigma, double lo, double hi)
{
	double u1 = g_rand_double_range(d->rand, 1e-12, 1.0), u2 = g_rand_double(d->rand);
	double z = sqrt(-2.0 * log(u1)) * cos(2 * G_PI * u2);
	double s = CLAMP(median_s * exp(sigma * z), lo, hi);
	return (gint64)(s * G_USEC_PER_SEC);
}

static void
zipf_init(desk *d, guint n, double s)
{
	d->nrequesters = n;
	d->zipf_cdf = g_new(double, n);
	double sum = 0;
	for (guint i = 0; i < n; i++)
		d->zipf_cdf[i] = (sum += 1.0 / pow(i + 8, s));  /* Zipf-Mandelbrot: a softer head */
	for (guint i = 0; i < n; i++)
		d->zipf_cdf[i] /= sum;
}

static guint
zipf_rank(desk *d)
{
	double x = g_rand_double(d->rand);
	guint lo = 0, hi = d->nrequesters - 1;
	while (lo < hi) {
		guint mid = (lo + hi) / 2;
		if (d->zipf_cdf[mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void
requester_for(guint rank, char **addr_r, char **name_r)
{
	guint nf = G_N_ELEMENTS(first_names), nl = G_N_ELEMENTS(last_names), nd = G_N_ELEMENTS(domains);
	const char *f = first_names[rank % nf], *l = last_names[(rank / nf + 7 * (rank % nf)) % nl];
	const char *dom = domains[(rank * 7 + rank / (nf * nl)) % nd];
	guint gen = rank / (nf * nl);
	*addr_r = gen == 0 ? g_strdup_printf("%s.%s@%s", f, l, dom) : g_strdup_printf("%s.%s%u@%s", f, l, gen, dom);
	*name_r = g_strdup_printf("%c%s %c%s", g_ascii_toupper(f[0]), f + 1, g_ascii_toupper(l[0]), l + 1);
}

/* Weekdays are busier than weekends, and the desk grows over the year. */
static double
day_weight(desk *d, gint64 day_start)
{
	GDateTime *dt = g_date_time_new_from_unix_utc(day_start / G_USEC_PER_SEC);
	int dow = g_date_time_get_day_of_week(dt);
	g_date_time_unref(dt);
	double growth = 0.8 + 0.4 * (double)(day_start - d->start) / (double)MAX(d->end - d->start, 1);
	return growth * (dow == 6 ? 0.25 : dow == 7 ? 0.2 : 1.0);
}

static gint64
draw_created(desk *d)
{
	gint64 day = 86400LL * G_USEC_PER_SEC, ndays = MAX((d->end - d->start) / day, 1);
	for (;;) {
		gint64 start = d->start + g_rand_int_range(d->rand, 0, (gint32)ndays) * day;
		if (g_rand_double(d->rand) * 1.2 > day_weight(d, start))
			continue;
		double hour = chance(d, 0.8) ? CLAMP(11.5 + 2.8 * (g_rand_double(d->rand) + g_rand_double(d->rand) +
		                                                   g_rand_double(d->rand) - 1.5) * 2, 0, 23.99)
		                             : g_rand_double_range(d->rand, 0, 24);
		gint64 t = start + (gint64)(hour * 3600 * G_USEC_PER_SEC);
		if (t < d->end)
			return t;
	}
}

static int
cmp_i64(gconstpointer a, gconstpointer b)
{
	gint64 x = *(const gint64 *)a, y = *(const gint64 *)b;
	return x < y ? -1 : x > y;
}

static void
maybe_rule(desk *d, GPtrArray *r, gboolean when, double p, const char *name)
{
	if (when && chance(d, p))
		g_ptr_array_add(r, g_strdup(name));
}

static char **
draw_rules(desk *d, const plan *pl, guint rank)
{
	GPtrArray *r = g_ptr_array_new();
	const char *q = pl->queue;
	maybe_rule(d, r, rank < 12, 1.0, "Key accounts");
	maybe_rule(d, r, strcmp(pl->priority, "urgent") == 0 || strcmp(pl->priority, "high") == 0, 0.7, "Urgent words");
	maybe_rule(d, r, TRUE, 0.12, "Order numbers");
	maybe_rule(d, r, strcmp(q, "privacy") == 0, 0.95, "Data protection requests");
	maybe_rule(d, r, strcmp(q, "billing") == 0, 0.08, "Chargebacks and disputed charges");
	maybe_rule(d, r, strcmp(q, "billing") == 0, 0.9, "Billing");
	maybe_rule(d, r, strcmp(q, "technical") == 0, 0.9, "Technical problems");
	maybe_rule(d, r, strcmp(q, "accounts") == 0, 0.9, "Accounts and access");
	maybe_rule(d, r, strcmp(q, "sales") == 0, 0.9, "Sales questions");
	maybe_rule(d, r, strcmp(q, "general") == 0, 0.6, "Needs triage");
	maybe_rule(d, r, TRUE, 0.005, "Programs that run on a double click");
	g_ptr_array_add(r, NULL);
	return (char **)g_ptr_array_free(r, FALSE);
}

/* What happens to a ticket: a reply, maybe a question back (pending) and
 * an answer, follow-ups, resolution, the lifecycle's close, a reopening. */
static void
draw_steps(desk *d, plan *pl)
{
	gint64 t = pl->created, hour = 3600;
	if (!chance(d, 0.96))
		return;
	t += lognormal(d, 2 * hour, 1.3, 60, 10 * 86400);
	add_step(pl, t, STEP_AGENT, NULL, NULL);
	gboolean auto_resolved = FALSE;
	if (chance(d, 0.35)) {
		add_step(pl, t + G_USEC_PER_SEC, STEP_STATUS, "pending", NULL);
		if (chance(d, 0.65)) {
			t += lognormal(d, 20 * hour, 1.0, 300, 13 * 86400);
			add_step(pl, t, STEP_REQUESTER, NULL, NULL);
			t += lognormal(d, 3 * hour, 1.2, 60, 7 * 86400);
			add_step(pl, t, STEP_AGENT, NULL, NULL);
		} else {
			t += 14 * 86400LL * G_USEC_PER_SEC;
			add_step(pl, t, STEP_STATUS, "resolved", "system");
			auto_resolved = TRUE;
		}
	} else if (chance(d, 0.3)) {
		t += lognormal(d, 6 * hour, 1.0, 120, 5 * 86400);
		add_step(pl, t, STEP_REQUESTER, NULL, NULL);
		t += lognormal(d, 2 * hour, 1.2, 60, 5 * 86400);
		add_step(pl, t, STEP_AGENT, NULL, NULL);
	}
	if (!auto_resolved) {
		if (!chance(d, 0.93))
			return;
		t += lognormal(d, 18 * hour, 1.1, 60, 30 * 86400);
		add_step(pl, t, STEP_STATUS, "resolved", NULL);
	}
	if (chance(d, 0.04)) {
		t += lognormal(d, 2 * 86400, 0.8, 600, 6 * 86400);
		add_step(pl, t, STEP_REQUESTER, NULL, NULL);
		t += lognormal(d, 3 * hour, 1.0, 60, 3 * 86400);
		add_step(pl, t, STEP_AGENT, NULL, NULL);
		t += lognormal(d, 12 * hour, 1.0, 60, 10 * 86400);
		add_step(pl, t, STEP_STATUS, "resolved", NULL);
	}
	add_step(pl, t + 7 * 86400LL * G_USEC_PER_SEC, STEP_STATUS, "closed", "system");
}

static GPtrArray *
random_plans(desk *d, guint count)
{
	GArray *times = g_array_sized_new(FALSE, FALSE, sizeof(gint64), count);
	for (guint i = 0; i < count; i++) {
		gint64 t = draw_created(d);
		g_array_append_val(times, t);
	}
	g_array_sort(times, cmp_i64);
	GPtrArray *plans = g_ptr_array_new_with_free_func(plan_free);
	for (guint i = 0; i < count; i++) {
		plan *pl = plan_new();
		pl->created = g_array_index(times, gint64, i);
		guint rank = zipf_rank(d);
		requester_for(rank, &pl->requester, &pl->name);
		pl->queue = g_strdup(pick(d, queues, G_N_ELEMENTS(queues)));
		pl->priority = g_strdup(pick(d, priorities, G_N_ELEMENTS(priorities)));
		pl->subject = g_strdup(subjects[g_rand_int_range(d->rand, 0, G_N_ELEMENTS(subjects))]);
		pl->agent = g_strdup(agents[g_rand_int_range(d->rand, 0, G_N_ELEMENTS(agents))]);
		pl->rules = draw_rules(d, pl, rank);
		draw_steps(d, pl);
		g_ptr_array_add(plans, pl);
	}
	g_array_unref(times);
	return plans;
}

/* ---- a plan file: one ticket a line, for tests ----
 *
 *   CREATED REQUESTER QUEUE PRIORITY RULES [SECONDS:STEP ...]
 *
 * CREATED is ISO 8601 (2026-03-02T10:00:00Z); RULES comma-separated or -;
 * STEP is agent (a public reply by agent@example.com), requester (a reply
 * by the requester), or a status (new, open, pending, resolved, closed);
 * SECONDS count from CREATED. Blank lines and # comments are skipped.
 */

static const char *
static_status(const char *s)
{
	static const char *const statuses[] = { "new", "open", "pending", "resolved", "closed", NULL };
	for (int i = 0; statuses[i] != NULL; i++)
		if (strcmp(s, statuses[i]) == 0)
			return statuses[i];
	return NULL;
}

static gint64
parse_instant(const char *text)
{
	GTimeZone *utc = g_time_zone_new_utc();
	GDateTime *dt = g_date_time_new_from_iso8601(text, utc);
	g_time_zone_unref(utc);
	if (dt == NULL)
		return -1;
	gint64 us = g_date_time_to_unix(dt) * G_USEC_PER_SEC;
	g_date_time_unref(dt);
	return us;
}

static plan *
plan_from_line(char **w, GError **error)
{
	if (g_strv_length(w) < 5) {
		g_set_error(error, PD_ERROR, PD_ERROR_PERMANENT, "expected CREATED REQUESTER QUEUE PRIORITY RULES [STEPS]");
		return NULL;
	}
	plan *pl = plan_new();
	pl->created = parse_instant(w[0]);
	pl->requester = g_ascii_strdown(w[1], -1);
	pl->queue = g_strdup(w[2]);
	pl->priority = g_strdup(w[3]);
	pl->rules = strcmp(w[4], "-") == 0 ? g_new0(char *, 1) : g_strsplit(w[4], ",", -1);
	pl->subject = g_strdup_printf("Ticket of %s", pl->requester);
	pl->agent = g_strdup("agent@example.com");
	for (int i = 5; pl->created >= 0 && w[i] != NULL; i++) {
		char *colon = strchr(w[i], ':'), *end;
		gint64 secs = g_ascii_strtoll(w[i], &end, 10);
		const char *what = colon != NULL ? colon + 1 : "";
		if (colon == NULL || end != colon) {
			g_set_error(error, PD_ERROR, PD_ERROR_PERMANENT, "bad step \"%s\" (SECONDS:STEP)", w[i]);
			plan_free(pl);
			return NULL;
		}
		gint64 at = pl->created + secs * G_USEC_PER_SEC;
		if (strcmp(what, "agent") == 0)
			add_step(pl, at, STEP_AGENT, NULL, NULL);
		else if (strcmp(what, "requester") == 0)
			add_step(pl, at, STEP_REQUESTER, NULL, NULL);
		else if (static_status(what) != NULL)
			add_step(pl, at, STEP_STATUS, static_status(what), NULL);
		else {
			g_set_error(error, PD_ERROR, PD_ERROR_PERMANENT, "unknown step \"%s\"", what);
			plan_free(pl);
			return NULL;
		}
	}
	if (pl->created < 0) {
		g_set_error(error, PD_ERROR, PD_ERROR_PERMANENT, "bad instant \"%s\"", w[0]);
		plan_free(pl);
		return NULL;
	}
	return pl;
}

static GPtrArray *
read_plans(const char *path, GError **error)
{
	char *text;
	if (!g_file_get_contents(path, &text, NULL, error))
		return NULL;
	GPtrArray *plans = g_ptr_array_new_with_free_func(plan_free);
	char **lines = g_strsplit(text, "\n", -1);
	for (int i = 0; lines[i] != NULL && plans != NULL; i++) {
		g_strstrip(lines[i]);
		if (*lines[i] == '\0' || *lines[i] == '#')
			continue;
		char **w = g_strsplit_set(lines[i], " \t", -1);
		GPtrArray *words = g_ptr_array_new();
		for (int j = 0; w[j] != NULL; j++)
			if (*w[j] != '\0')
				g_ptr_array_add(words, w[j]);
		g_ptr_array_add(words, NULL);
		GError *e = NULL;
		plan *pl = plan_from_line((char **)words->pdata, &e);
		if (pl != NULL)
			g_ptr_array_add(plans, pl);
		else {
			g_set_error(error, PD_ERROR, PD_ERROR_PERMANENT, "%s:%d: %s", path, i + 1, e->message);
			g_error_free(e);
			g_clear_pointer(&plans, g_ptr_array_unref);
		}
		g_ptr_array_unref(words);
		g_strfreev(w);
	}
	g_strfreev(lines);
	g_free(text);
	return plans;
}

/* ---- writing ---- */

typedef struct {
	GPtrArray *plans;
	guint from, to;     /* this batch: plans[from, to) */
	gint64 end;         /* no step at or after this instant */
	pd_sla *sla;
	guint64 events;     /* written (counted by the last successful run) */
} batch;

static void
set_now(gint64 usec)
{
	char buf[32];
	g_snprintf(buf, sizeof buf, "%" G_GINT64_FORMAT, usec);
	g_setenv("PD_NOW_USEC", buf, TRUE);
}

static GVariant *
message_data(const char *from, const char *subject, const char *body)
{
	return g_variant_new_parsed("{'message': <{'from': <%s>, 'subject': <%s>, 'body': <%s>}>}", from, subject, body);
}

static gboolean
append_status(pd_txn *txn, pd_ticket *t, const char *actor, const char *status, GError **error)
{
	if (g_strcmp0(t->status, status) == 0)
		return TRUE;
	char *old = t->status;
	t->status = g_strdup(status);
	GVariant *d = g_variant_new_parsed("{'field': <'status'>, 'old': <%s>, 'new': <%s>}", old, status);
	g_free(old);
	return pd_event_append(txn, t, "status", actor, d, NULL, error);
}

static gboolean
apply_step(pd_txn *txn, pd_ticket *t, const plan *pl, const step *s, GError **error)
{
	set_now(s->at);
	switch (s->kind) {
	case STEP_AGENT:
		if (t->assignee == NULL)
			t->assignee = g_strdup(pl->agent);
		return pd_event_append(txn, t, "agent-reply", pl->agent,
		                       g_variant_new_parsed("{'text': <'Thank you, we are looking into it.'>}"), NULL, error) &&
		       (g_strcmp0(t->status, "new") != 0 || append_status(txn, t, pl->agent, "open", error));
	case STEP_REQUESTER:
		return pd_event_append(txn, t, "reply", t->requester,
		                       message_data(t->requester, pl->subject, "Any news on this?"), NULL, error) &&
		       ((g_strcmp0(t->status, "pending") != 0 && g_strcmp0(t->status, "resolved") != 0) ||
		        append_status(txn, t, t->requester, "open", error));
	case STEP_STATUS:
		return append_status(txn, t, s->actor != NULL ? s->actor : pl->agent, s->status, error);
	}
	return TRUE;
}

static pd_ticket *
ticket_for(const plan *pl)
{
	pd_ticket *t = pd_ticket_new();
	t->status = g_strdup("new");
	t->subject = g_strdup(pl->subject);
	t->requester = g_strdup(pl->requester);
	t->requester_name = g_strdup(pl->name);
	t->queue = g_strdup(pl->queue);
	t->priority = g_strdup(pl->priority);
	t->source = g_strdup("gen-tickets");
	t->language = g_strdup("en");
	t->created = t->updated = pl->created;
	if (pl->rules[0] != NULL) {
		GVariantDict d;
		g_variant_dict_init(&d, NULL);
		g_variant_dict_insert_value(&d, "rules", g_variant_new_strv((const char *const *)pl->rules, -1));
		t->extra = g_variant_ref_sink(g_variant_dict_end(&d));
	}
	return t;
}

static gboolean
write_plan(pd_txn *txn, batch *b, const plan *pl, GError **error)
{
	pd_ticket *t = ticket_for(pl);
	set_now(pl->created);
	GVariantDict d;
	g_variant_dict_init(&d, message_data(pl->requester, pl->subject, "Hello,\nplease help.\n"));
	if (pl->rules[0] != NULL)
		g_variant_dict_insert_value(&d, "rules", g_variant_new_strv((const char *const *)pl->rules, -1));
	gboolean ok = pd_ticket_new_id(txn, t, error) &&
	              pd_event_append(txn, t, "created", t->requester, g_variant_dict_end(&d), NULL, error);
	for (guint i = 0; ok && i < pl->steps->len; i++) {
		const step *s = &g_array_index(pl->steps, step, i);
		if (s->at >= b->end)
			break;
		ok = apply_step(txn, t, pl, s, error);
	}
	ok = ok && pd_ticket_put(txn, t, error);
	b->events += t->nevents;
	pd_ticket_free(&t);
	return ok;
}

static gboolean
write_batch(pd_txn *txn, gpointer data, GError **error)
{
	batch *b = data;
	pd_txn_set_event_hook(txn, pd_sla_event_hook, b->sla);
	b->events = 0;
	for (guint i = b->from; i < b->to; i++)
		if (!write_plan(txn, b, b->plans->pdata[i], error))
			return FALSE;
	return TRUE;
}

static gint64
parse_end(const char *text)
{
	if (text == NULL)
		return 1793491200LL * G_USEC_PER_SEC;  /* 2026-11-01T00:00:00Z */
	if (strlen(text) == 10) {
		char *iso = g_strconcat(text, "T00:00:00Z", NULL);
		gint64 us = parse_instant(iso);
		g_free(iso);
		return us;
	}
	return parse_instant(text);
}

int
main(int argc, char **argv)
{
	char *config = NULL, *plan_path = NULL, *end_text = NULL;
	gint count = 100000, seed = 42, days = 365, batch_size = 250, requesters = 8000;
	GOptionEntry entries[] = {
		{ "config", 'c', 0, G_OPTION_ARG_FILENAME, &config, "Configuration: the store, and [sla NAME] sections", "FILE" },
		{ "count", 'n', 0, G_OPTION_ARG_INT, &count, "Tickets to write (default 100000)", "N" },
		{ "seed", 's', 0, G_OPTION_ARG_INT, &seed, "Random seed (default 42)", "S" },
		{ "days", 'd', 0, G_OPTION_ARG_INT, &days, "Days the tickets are created over, up to --end (default 365)", "D" },
		{ "end", 'e', 0, G_OPTION_ARG_STRING, &end_text, "Now, as far as the tickets know: YYYY-MM-DD or ISO 8601 (default 2026-11-01)", "WHEN" },
		{ "requesters", 'r', 0, G_OPTION_ARG_INT, &requesters, "Distinct requesters, drawn Zipf-like (default 8000)", "N" },
		{ "batch", 'b', 0, G_OPTION_ARG_INT, &batch_size, "Tickets per transaction (default 250)", "N" },
		{ "plan", 'p', 0, G_OPTION_ARG_FILENAME, &plan_path, "Write the tickets of this plan file instead of random ones", "FILE" },
		{ NULL },
	};
	GOptionContext *ctx = g_option_context_new("- write tickets straight into a store");
	g_option_context_add_main_entries(ctx, entries, NULL);
	GError *e = NULL;
	if (!g_option_context_parse(ctx, &argc, &argv, &e) || config == NULL || count < 0 || days < 1 ||
	    batch_size < 1 || requesters < 1) {
		fprintf(stderr, "gen-tickets: %s\nusage: gen-tickets -c CONFIG [--count N] [--seed S] [--days D] "
		                "[--end DATE] [--plan FILE]\n", e != NULL ? e->message : "bad arguments");
		return 64;
	}
	g_option_context_free(ctx);
	gint64 end = parse_end(end_text);
	if (end < 0) {
		fprintf(stderr, "gen-tickets: --end: expected YYYY-MM-DD or an ISO 8601 instant\n");
		return 64;
	}
	GPtrArray *plans;
	desk d = { g_rand_new_with_seed((guint32)seed), NULL, 0, end - days * 86400LL * G_USEC_PER_SEC, end };
	if (plan_path != NULL) {
		plans = read_plans(plan_path, &e);
		if (plans == NULL) {
			fprintf(stderr, "gen-tickets: %s\n", e->message);
			return 1;
		}
		end = end_text != NULL ? end : G_MAXINT64;
	} else {
		zipf_init(&d, (guint)requesters, 1.1);
		plans = random_plans(&d, (guint)count);
	}
	pd_config *cfg = pd_app_load_config(config);
	pd_app app = { .without_rules = TRUE };
	if (cfg == NULL || !pd_app_open(&app, cfg, &e)) {
		fprintf(stderr, "gen-tickets: %s\n", e != NULL ? e->message : "bad config");
		return 1;
	}
	gint64 t0 = g_get_monotonic_time();
	guint64 events = 0;
	int rc = 0;
	for (guint from = 0; from < plans->len; from += (guint)batch_size) {
		batch b = { plans, from, MIN(from + (guint)batch_size, plans->len), end, app.sla, 0 };
		if (!pd_store_run(app.store, write_batch, &b, &e)) {
			fprintf(stderr, "gen-tickets: %s\n", e->message);
			rc = 1;
			break;
		}
		events += b.events;
	}
	g_unsetenv("PD_NOW_USEC");
	fprintf(stderr, "gen-tickets: %u tickets, %" G_GUINT64_FORMAT " events in %.1f s\n", plans->len, events,
	        (g_get_monotonic_time() - t0) / 1e6);
	g_ptr_array_unref(plans);
	g_free(d.zipf_cdf);
	g_rand_free(d.rand);
	pd_app_close(&app);
	g_free(config);
	g_free(plan_path);
	g_free(end_text);
	return rc;
}
