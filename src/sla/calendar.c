/* calendar.c: business-time calendars: parsing hours and holidays, walking working time in a zone. */
#include "sla/calendar.h"

#include <stdlib.h>
#include <string.h>

#define DAY_SECS G_GINT64_CONSTANT(86400)
#define WEEK_DAYS 7
/* Local day numbers (days since 1970-01-01) of 0001-01-01 and 9999-12-31. */
#define DAY_MIN G_GINT64_CONSTANT(-719162)
#define DAY_MAX G_GINT64_CONSTANT(2932896)
#define INSTANT_MIN (DAY_MIN * DAY_SECS)
#define INSTANT_MAX ((DAY_MAX + 1) * DAY_SECS)
/* GDate's Julian day number of 1970-01-01. */
#define UNIX_EPOCH_JULIAN 719163
/* Larger than any UTC offset: the instant showing a given wall-clock time
 * always lies within MARGIN of that time read as if it were UTC. */
#define MARGIN (2 * DAY_SECS)

/* A working interval in seconds after local midnight; end may be 86400. */
typedef struct {
	gint32 start;
	gint32 end;
} span;

struct pd_calendar {
	GTimeZone *tz;
	GArray *hours[WEEK_DAYS];  /* of span, Monday first; sorted, disjoint, not touching */
	GArray *holidays;          /* of gint64 local day numbers; sorted, unique */
	gint64 week_secs;          /* business seconds of a week with no holiday or clock change */
};

static const char *const day_names[WEEK_DAYS] = { "mon", "tue", "wed", "thu", "fri", "sat", "sun" };

G_DEFINE_QUARK(pd-calendar-error-quark, pd_calendar_error)

/* ---- calendar arithmetic ---- */

static gint64 floor_div(gint64 a, gint64 b)
{
	gint64 q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* Monday = 0; day 0 (1970-01-01) was a Thursday. */
static int weekday(gint64 day)
{
	return (int)((day % WEEK_DAYS + WEEK_DAYS + 3) % WEEK_DAYS);
}

/* The first holiday on or after `day`, G_MAXINT64 if none. */
static gint64 holiday_from(const pd_calendar *cal, gint64 day)
{
	const gint64 *h = (const gint64 *)(const void *)cal->holidays->data;
	guint lo = 0, hi = cal->holidays->len;

	while (lo < hi) {
		guint mid = lo + (hi - lo) / 2;
		if (h[mid] < day)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < cal->holidays->len ? h[lo] : G_MAXINT64;
}

/* ---- zone mapping ---- */

/*
 * GLib numbers the zone's offset periods in time order; an index identifies
 * one constant offset, so two instants with equal indices have no clock
 * change between them. GLib finds the period by a linear search, so each
 * computation remembers the periods it met with the earliest and latest
 * instant seen in each: periods are contiguous, anything between lies in
 * the same one. This state lives on the caller's stack, so a calendar stays
 * read-only and can be shared between threads.
 */
#define ZONE_SEEN 6

typedef struct {
	gint interval;
	gint64 lo, hi;
} zone_period;

typedef struct {
	const pd_calendar *cal;
	zone_period seen[ZONE_SEEN];
	guint used;
	guint victim;  /* the slot to reuse next when all are taken */
} zone;

static void zone_remember(zone *z, gint interval, gint64 t)
{
	zone_period *p;

	for (guint i = 0; i < z->used; i++) {
		p = &z->seen[i];
		if (p->interval == interval) {
			p->lo = MIN(p->lo, t);
			p->hi = MAX(p->hi, t);
			return;
		}
	}
	if (z->used < ZONE_SEEN) {
		p = &z->seen[z->used++];
	} else {
		p = &z->seen[z->victim];
		z->victim = (z->victim + 1) % ZONE_SEEN;
	}
	*p = (zone_period){ interval, t, t };
}

static gint zone_interval(zone *z, gint64 t)
{
	gint found;

	for (guint i = 0; i < z->used; i++)
		if (z->seen[i].lo <= t && t <= z->seen[i].hi)
			return z->seen[i].interval;
	found = g_time_zone_find_interval(z->cal->tz, G_TIME_TYPE_UNIVERSAL, t);
	zone_remember(z, found, t);
	return found;
}

static gint64 zone_offset(const zone *z, gint interval)
{
	return g_time_zone_get_offset(z->cal->tz, interval);
}

static gint64 local_day(zone *z, gint64 t)
{
	return floor_div(t + zone_offset(z, zone_interval(z, t)), DAY_SECS);
}

/* The first instant of `interval`, known to lie in (lo, hi]. */
static gint64 interval_start(zone *z, gint interval, gint64 lo, gint64 hi)
{
	while (hi - lo > 1) {
		gint64 mid = lo + (hi - lo) / 2;
		if (zone_interval(z, mid) >= interval)
			hi = mid;
		else
			lo = mid;
	}
	return hi;
}

/*
 * The first instant at which the wall clock reads `local` or later, where
 * `local` is the wall-clock reading as unix seconds as if it were UTC. This
 * one rule gives both documented cases: a time inside a spring gap maps to
 * the end of the gap, a repeated autumn time to its first occurrence. It is
 * also monotonic, so intervals keep their order and never turn negative.
 * Offset periods met within MARGIN are tried in time order: the first whose
 * wall-clock range reaches `local` holds the answer.
 */
static gint64 local_to_utc(zone *z, gint64 local)
{
	gint first = zone_interval(z, local - MARGIN);
	gint last = zone_interval(z, local + MARGIN);

	if (first == last)
		return local - zone_offset(z, first);
	for (gint i = first; i <= last; i++) {
		gint64 u = local - zone_offset(z, i);
		gint at = zone_interval(z, u);
		if (at == i)
			return u;
		if (at < i)  /* period i starts past `local`: a gap, answer is its start */
			return interval_start(z, i, u, local + MARGIN);
	}
	return local - zone_offset(z, last);  /* not reached: offsets are below MARGIN */
}

/* Where one local day lies in real time. */
typedef struct {
	gint64 day;
	gint64 midnight;   /* local seconds of 00:00 */
	gint interval;     /* offset period just before the day */
	gint64 offset;     /* its offset */
	gboolean uniform;  /* no clock change near the day: plain arithmetic suffices */
} day_frame;

static void frame_init(zone *z, gint64 day, day_frame *f)
{
	f->day = day;
	f->midnight = day * DAY_SECS;
	f->interval = zone_interval(z, f->midnight - MARGIN);
	f->offset = zone_offset(z, f->interval);
	f->uniform = f->interval == zone_interval(z, f->midnight + DAY_SECS + MARGIN);
}

static gint64 frame_instant(zone *z, const day_frame *f, gint32 secs)
{
	if (f->uniform)
		return f->midnight + secs - f->offset;
	return local_to_utc(z, f->midnight + secs);
}

/* ---- walking working time ---- */

/* Visits the working segments of one local day after another, in time order. */
typedef struct {
	const pd_calendar *cal;
	zone z;
	day_frame frame;
	const GArray *spans;  /* the day's hours; NULL on a holiday */
	guint next;           /* the next span to visit */
} walker;

static void walker_init(walker *w, const pd_calendar *cal)
{
	memset(w, 0, sizeof(*w));
	w->cal = cal;
	w->z.cal = cal;
}

static void walker_enter(walker *w, gint64 day)
{
	frame_init(&w->z, day, &w->frame);
	w->spans = holiday_from(w->cal, day) == day ? NULL : w->cal->hours[weekday(day)];
	w->next = 0;
}

/* The day's next segment; FALSE when the day is done. */
static gboolean walker_next(walker *w, gint64 *start_r, gint64 *end_r)
{
	while (w->spans != NULL && w->next < w->spans->len) {
		const span *sp = &g_array_index(w->spans, span, w->next);

		w->next++;
		*start_r = frame_instant(&w->z, &w->frame, sp->start);
		*end_r = frame_instant(&w->z, &w->frame, sp->end);
		if (*start_r < *end_r)  /* a span wholly inside a spring gap is empty */
			return TRUE;
	}
	return FALSE;
}

/* The instant the walker's day begins; TRUE if no span of it was visited
 * yet and no clock change is near it, the condition for skipping weeks. */
static gboolean walker_day_start(const walker *w, gint64 *start_r)
{
	*start_r = w->frame.midnight - w->frame.offset;
	return w->frame.uniform && w->next == 0;
}

/* No clock change from before the walker's day to after `weeks` weeks. */
static gboolean no_change_for(walker *w, gint64 weeks)
{
	gint64 end = (w->frame.day + weeks * WEEK_DAYS) * DAY_SECS + MARGIN;

	return zone_interval(&w->z, end) == w->frame.interval;
}

/*
 * How many whole weeks, at most `limit`, starting at the walker's day hold
 * no holiday and no clock change: each holds exactly week_secs of business
 * time, so it can be skipped without looking at its days. A binary search
 * over offset periods finds the next clock change in a few zone lookups, so
 * a long target costs per holiday and clock change, not per week.
 */
static gint64 plain_weeks(walker *w, gint64 limit)
{
	gint64 day = w->frame.day;
	gint64 holiday = holiday_from(w->cal, day);
	gint64 lo = 1, hi;

	if (holiday != G_MAXINT64)
		limit = MIN(limit, (holiday - day) / WEEK_DAYS);
	hi = MIN(limit, (DAY_MAX - day) / WEEK_DAYS + 1);
	if (hi < 1 || !no_change_for(w, 1))
		return 0;
	if (no_change_for(w, hi))
		return hi;
	while (lo < hi - 1) {  /* lo weeks are plain, hi weeks are not */
		gint64 mid = lo + (hi - lo) / 2;
		if (no_change_for(w, mid))
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

static gboolean range_error(GError **error, const char *what)
{
	g_set_error(error, PD_CALENDAR_ERROR, PD_CALENDAR_ERROR_RANGE, "%s", what);
	return FALSE;
}

static gboolean check_add(const pd_calendar *cal, gint64 start, gint64 seconds, GError **error)
{
	if (cal->week_secs == 0) {
		g_set_error(error, PD_CALENDAR_ERROR, PD_CALENDAR_ERROR_CLOSED,
		            "calendar has no working hours");
		return FALSE;
	}
	if (seconds < 0)
		return range_error(error, "negative business time");
	if (start < INSTANT_MIN || start > INSTANT_MAX)
		return range_error(error, "start outside years 1 to 9999");
	/* Business time never runs faster than real time. */
	if (seconds > INSTANT_MAX - start)
		return range_error(error, "result past year 9999");
	return TRUE;
}

/* Skips the plain weeks ahead that the remaining amount more than covers. */
static gboolean add_skip_weeks(walker *w, gint64 start, gint64 *remaining)
{
	gint64 week = w->cal->week_secs, day_start, n;

	if (*remaining <= week || !walker_day_start(w, &day_start) || day_start < start)
		return FALSE;
	n = plain_weeks(w, (*remaining - 1) / week);  /* leave some for the last day */
	if (n == 0)
		return FALSE;
	*remaining -= n * week;
	walker_enter(w, w->frame.day + n * WEEK_DAYS);
	return TRUE;
}

/* Spends the day's working time after `start`; TRUE once the amount is used up. */
static gboolean add_in_day(walker *w, gint64 start, gint64 *remaining, gint64 *result_r)
{
	gint64 s, e;

	while (walker_next(w, &s, &e)) {
		s = MAX(s, start);
		if (s >= e)
			continue;
		/* <= rather than <: an amount ending at closing time ends there,
		 * and zero lands on the first working instant. */
		if (*remaining <= e - s) {
			*result_r = s + *remaining;
			return TRUE;
		}
		*remaining -= e - s;
	}
	return FALSE;
}

gboolean pd_calendar_add_seconds(const pd_calendar *cal, gint64 start, gint64 seconds,
                                 gint64 *result_r, GError **error)
{
	walker w;
	gint64 remaining = seconds;

	g_return_val_if_fail(cal != NULL, FALSE);
	g_return_val_if_fail(result_r != NULL, FALSE);
	if (!check_add(cal, start, seconds, error))
		return FALSE;
	walker_init(&w, cal);
	walker_enter(&w, local_day(&w.z, start));
	for (;;) {
		if (w.frame.day > DAY_MAX)
			return range_error(error, "result past year 9999");
		if (add_skip_weeks(&w, start, &remaining))
			continue;
		if (add_in_day(&w, start, &remaining, result_r))
			return TRUE;
		walker_enter(&w, w.frame.day + 1);
	}
}

gboolean pd_calendar_add(const pd_calendar *cal, gint64 start, gint64 minutes,
                         gint64 *result_r, GError **error)
{
	if (minutes < 0)
		return range_error(error, "negative business time");
	if (minutes > G_MAXINT64 / 60)
		return range_error(error, "result past year 9999");
	return pd_calendar_add_seconds(cal, start, minutes * 60, result_r, error);
}

/* Business seconds of the plain weeks ahead that lie wholly in [a, b). */
static gint64 between_skip_weeks(walker *w, gint64 a, gint64 b)
{
	gint64 day_start, n;

	if (!walker_day_start(w, &day_start) || day_start < a)
		return 0;
	n = plain_weeks(w, (b - day_start) / (WEEK_DAYS * DAY_SECS));
	if (n > 0)
		walker_enter(w, w->frame.day + n * WEEK_DAYS);
	return n * w->cal->week_secs;
}

/* Adds the day's working time inside [a, b) to *total; TRUE once past b. */
static gboolean between_day(walker *w, gint64 a, gint64 b, gint64 *total)
{
	gint64 s, e;

	while (walker_next(w, &s, &e)) {
		if (s >= b)
			return TRUE;
		s = MAX(s, a);
		e = MIN(e, b);
		if (s < e)
			*total += e - s;
	}
	return frame_instant(&w->z, &w->frame, (gint32)DAY_SECS) >= b;
}

gint64 pd_calendar_between(const pd_calendar *cal, gint64 a, gint64 b)
{
	walker w;
	gint64 total = 0;

	g_return_val_if_fail(cal != NULL, 0);
	a = CLAMP(a, INSTANT_MIN, INSTANT_MAX);
	b = CLAMP(b, INSTANT_MIN, INSTANT_MAX);
	if (b <= a || cal->week_secs == 0)
		return 0;
	walker_init(&w, cal);
	walker_enter(&w, local_day(&w.z, a));
	for (;;) {
		total += between_skip_weeks(&w, a, b);
		if (between_day(&w, a, b, &total))
			return total;
		walker_enter(&w, w.frame.day + 1);
	}
}

static void append_segment(GArray *out, gint64 s, gint64 e)
{
	pd_calendar_segment seg = { s, e };

	if (out->len > 0) {
		pd_calendar_segment *last = &g_array_index(out, pd_calendar_segment, out->len - 1);
		if (last->end == s) {  /* 24:00 of one day meets 00:00 of the next */
			last->end = e;
			return;
		}
	}
	g_array_append_val(out, seg);
}

GArray *pd_calendar_segments(const pd_calendar *cal, gint64 a, gint64 b)
{
	GArray *out;
	walker w;
	gint64 s, e;

	g_return_val_if_fail(cal != NULL, NULL);
	out = g_array_new(FALSE, FALSE, sizeof(pd_calendar_segment));
	a = CLAMP(a, INSTANT_MIN, INSTANT_MAX);
	b = CLAMP(b, INSTANT_MIN, INSTANT_MAX);
	if (b <= a || cal->week_secs == 0)
		return out;
	walker_init(&w, cal);
	for (walker_enter(&w, local_day(&w.z, a));; walker_enter(&w, w.frame.day + 1)) {
		while (walker_next(&w, &s, &e)) {
			if (s >= b)
				return out;
			if (MAX(s, a) < MIN(e, b))
				append_segment(out, MAX(s, a), MIN(e, b));
		}
		if (frame_instant(&w.z, &w.frame, (gint32)DAY_SECS) >= b)
			return out;
	}
}

/* ---- parsing ---- */

/* A cursor over a config string that knows its start, so errors can give columns. */
typedef struct {
	const char *text;
	const char *p;
	const char *what;  /* "hours" or "holidays": the prefix of every message */
} lexer;

typedef struct {
	char kind;  /* 'w' for a word, ',' or ';', '\0' at the end */
	const char *s;
	gsize len;
} token;

static gboolean is_separator(char c)
{
	return c == ',' || c == ';' || g_ascii_isspace(c);
}

static void lex(lexer *lx, token *t)
{
	while (g_ascii_isspace(*lx->p))
		lx->p++;
	t->s = lx->p;
	t->kind = 'w';
	if (*lx->p == '\0' || *lx->p == ',' || *lx->p == ';') {
		t->kind = *lx->p;
		lx->p += t->kind != '\0';
	} else {
		while (*lx->p != '\0' && !is_separator(*lx->p))
			lx->p++;
	}
	t->len = (gsize)(lx->p - t->s);
}

static gboolean token_is(const token *t, const char *word)
{
	return t->kind == 'w' && t->len == strlen(word) && g_ascii_strncasecmp(t->s, word, t->len) == 0;
}

static long column(const lexer *lx, const char *s)
{
	return (long)(s - lx->text) + 1;
}

/* "hours, column 9: bad time "25:00"" plus an optional hint. */
static gboolean bad_text(const lexer *lx, const char *s, gsize len, const char *problem,
                         const char *hint, GError **error)
{
	g_set_error(error, PD_CALENDAR_ERROR, PD_CALENDAR_ERROR_PARSE, "%s, column %ld: %s \"%.*s\"%s%s",
	            lx->what, column(lx, s), problem, (int)len, s, hint ? ", " : "", hint ? hint : "");
	return FALSE;
}

/* "hours, column 8: expected a time range, found the end of the text" */
static gboolean expected(const lexer *lx, const token *t, const char *what, GError **error)
{
	if (t->kind == '\0') {
		g_set_error(error, PD_CALENDAR_ERROR, PD_CALENDAR_ERROR_PARSE,
		            "%s, column %ld: expected %s, found the end of the text",
		            lx->what, column(lx, t->s), what);
		return FALSE;
	}
	g_set_error(error, PD_CALENDAR_ERROR, PD_CALENDAR_ERROR_PARSE, "%s, column %ld: expected %s, found \"%.*s\"",
	            lx->what, column(lx, t->s), what, (int)t->len, t->s);
	return FALSE;
}

/* Keeps a day's spans sorted; FALSE if `sp` overlaps one of them. */
static gboolean insert_span(GArray *spans, span sp)
{
	guint i = 0;

	while (i < spans->len && g_array_index(spans, span, i).end <= sp.start)
		i++;
	if (i < spans->len && g_array_index(spans, span, i).start < sp.end)
		return FALSE;
	g_array_insert_val(spans, i, sp);
	return TRUE;
}

static gboolean add_span(pd_calendar *cal, const lexer *lx, const token *t, guint days, span sp,
                         GError **error)
{
	for (int d = 0; d < WEEK_DAYS; d++) {
		if ((days & (1u << d)) != 0 && !insert_span(cal->hours[d], sp)) {
			g_set_error(error, PD_CALENDAR_ERROR, PD_CALENDAR_ERROR_PARSE,
			            "%s, column %ld: range \"%.*s\" overlaps another range on %s",
			            lx->what, column(lx, t->s), (int)t->len, t->s, day_names[d]);
			return FALSE;
		}
	}
	return TRUE;
}

static int day_index(const char *s, gsize len)
{
	for (int d = 0; d < WEEK_DAYS; d++)
		if (len == 3 && g_ascii_strncasecmp(s, day_names[d], 3) == 0)
			return d;
	return -1;
}

/* "mon" or "mon-fri"; a range may wrap past Sunday ("sun-thu"). */
static gboolean parse_day_item(const lexer *lx, const token *t, guint *days, GError **error)
{
	const char *dash = memchr(t->s, '-', t->len);
	gsize first_len = dash ? (gsize)(dash - t->s) : t->len;
	int from = day_index(t->s, first_len), to = from;

	if (from < 0)
		return bad_text(lx, t->s, first_len, "unknown day", "want mon..sun", error);
	if (dash != NULL) {
		to = day_index(dash + 1, t->len - first_len - 1);
		if (to < 0)
			return bad_text(lx, dash + 1, t->len - first_len - 1, "unknown day", "want mon..sun", error);
	}
	for (int d = from;; d = (d + 1) % WEEK_DAYS) {
		*days |= 1u << d;
		if (d == to)
			return TRUE;
	}
}

static gboolean parse_day_list(lexer *lx, token *t, guint *days, GError **error)
{
	for (;;) {
		if (t->kind != 'w')
			return expected(lx, t, "a day name", error);
		if (!parse_day_item(lx, t, days, error))
			return FALSE;
		lex(lx, t);
		if (t->kind != ',')
			return TRUE;
		lex(lx, t);
	}
}

/* "HH:MM" or "H:MM" to seconds after midnight, 24:00 included; -1 if malformed. */
static gint32 parse_clock(const char *s, gsize len)
{
	int h = 0, m;

	if (len < 4 || len > 5 || s[len - 3] != ':' || !g_ascii_isdigit(s[len - 2]) || !g_ascii_isdigit(s[len - 1]))
		return -1;
	for (gsize i = 0; i < len - 3; i++) {
		if (!g_ascii_isdigit(s[i]))
			return -1;
		h = h * 10 + (s[i] - '0');
	}
	m = (s[len - 2] - '0') * 10 + (s[len - 1] - '0');
	if (m > 59 || h > 24 || (h == 24 && m != 0))
		return -1;
	return h * 3600 + m * 60;
}

/* "09:00-17:00": start before end; 24:00 only as an end. */
static gboolean parse_range(const lexer *lx, const token *t, span *sp, GError **error)
{
	const char *dash = memchr(t->s, '-', t->len);
	gsize first_len = dash ? (gsize)(dash - t->s) : 0;

	if (dash == NULL || memchr(dash + 1, '-', t->len - first_len - 1) != NULL)
		return bad_text(lx, t->s, t->len, "bad time range", "want HH:MM-HH:MM; end clauses with ';'", error);
	sp->start = parse_clock(t->s, first_len);
	sp->end = parse_clock(dash + 1, t->len - first_len - 1);
	if (sp->start < 0)
		return bad_text(lx, t->s, first_len, "bad time", "want HH:MM", error);
	if (sp->end < 0)
		return bad_text(lx, dash + 1, t->len - first_len - 1, "bad time", "want HH:MM", error);
	if (sp->start == DAY_SECS)
		return bad_text(lx, t->s, first_len, "24:00 can only end a range", NULL, error);
	if (sp->end <= sp->start)
		return bad_text(lx, t->s, t->len, "empty or reversed range",
		                "split ranges past midnight at 24:00", error);
	return TRUE;
}

/* One or more ranges, optionally comma-separated, for the days in `days`. */
static gboolean parse_ranges(pd_calendar *cal, lexer *lx, token *t, guint days, GError **error)
{
	if (t->kind != 'w')
		return expected(lx, t, "a time range like 09:00-17:00", error);
	while (t->kind == 'w') {
		span sp;
		if (!parse_range(lx, t, &sp, error) || !add_span(cal, lx, t, days, sp, error))
			return FALSE;
		lex(lx, t);
		if (t->kind == ',') {
			lex(lx, t);
			if (t->kind != 'w')
				return expected(lx, t, "a time range after ','", error);
		}
	}
	return TRUE;
}

static gboolean parse_always(pd_calendar *cal, lexer *lx, token *t, GError **error)
{
	span all = { 0, (gint32)DAY_SECS };

	if (!add_span(cal, lx, t, (1u << WEEK_DAYS) - 1, all, error))
		return FALSE;
	lex(lx, t);
	if (t->kind != ';' && t->kind != '\0')
		return expected(lx, t, "';' after 24x7", error);
	return TRUE;
}

/* A clause: "24x7" or a day list and its ranges; leaves `t` at ';' or the end. */
static gboolean parse_clause(pd_calendar *cal, lexer *lx, token *t, GError **error)
{
	guint days = 0;

	if (token_is(t, "24x7"))
		return parse_always(cal, lx, t, error);
	return parse_day_list(lx, t, &days, error) && parse_ranges(cal, lx, t, days, error);
}

static gboolean parse_hours(pd_calendar *cal, const char *text, GError **error)
{
	lexer lx = { text, text, "hours" };
	token t;

	lex(&lx, &t);
	while (t.kind != '\0') {
		if (t.kind == ';') {  /* empty clauses are harmless */
			lex(&lx, &t);
			continue;
		}
		if (!parse_clause(cal, &lx, &t, error))
			return FALSE;
	}
	return TRUE;
}

/* Strict YYYY-MM-DD to a local day number. */
static gboolean parse_date(const char *s, gsize len, gint64 *day_r)
{
	GDate date;
	int y, m, d;

	if (len != 10 || s[4] != '-' || s[7] != '-')
		return FALSE;
	for (gsize i = 0; i < len; i++)
		if (i != 4 && i != 7 && !g_ascii_isdigit(s[i]))
			return FALSE;
	y = atoi(s);
	m = atoi(s + 5);
	d = atoi(s + 8);
	if (!g_date_valid_dmy((GDateDay)d, (GDateMonth)m, (GDateYear)y))
		return FALSE;
	g_date_clear(&date, 1);
	g_date_set_dmy(&date, (GDateDay)d, (GDateMonth)m, (GDateYear)y);
	*day_r = (gint64)g_date_get_julian(&date) - UNIX_EPOCH_JULIAN;
	return TRUE;
}

static gint compare_days(gconstpointer a, gconstpointer b)
{
	gint64 x = *(const gint64 *)a, y = *(const gint64 *)b;

	return (x > y) - (x < y);
}

static gboolean parse_holidays(pd_calendar *cal, const char *text, GError **error)
{
	lexer lx = { text, text, "holidays" };
	token t;
	guint kept = 0;

	for (lex(&lx, &t); t.kind != '\0'; lex(&lx, &t)) {
		gint64 day;
		if (t.kind != 'w')
			continue;
		if (!parse_date(t.s, t.len, &day))
			return bad_text(&lx, t.s, t.len, "bad date", "want YYYY-MM-DD", error);
		g_array_append_val(cal->holidays, day);
	}
	g_array_sort(cal->holidays, compare_days);
	for (guint i = 0; i < cal->holidays->len; i++) {
		gint64 day = g_array_index(cal->holidays, gint64, i);
		if (kept == 0 || g_array_index(cal->holidays, gint64, kept - 1) != day)
			g_array_index(cal->holidays, gint64, kept++) = day;
	}
	g_array_set_size(cal->holidays, kept);
	return TRUE;
}

/* Merges touching spans ("09:00-12:00 12:00-17:00") and totals the week. */
static void finish_hours(pd_calendar *cal)
{
	for (int d = 0; d < WEEK_DAYS; d++) {
		GArray *spans = cal->hours[d];
		guint kept = 0;
		for (guint i = 0; i < spans->len; i++) {
			span sp = g_array_index(spans, span, i);
			if (kept > 0 && g_array_index(spans, span, kept - 1).end == sp.start)
				g_array_index(spans, span, kept - 1).end = sp.end;
			else
				g_array_index(spans, span, kept++) = sp;
		}
		g_array_set_size(spans, kept);
		for (guint i = 0; i < kept; i++)
			cal->week_secs += g_array_index(spans, span, i).end - g_array_index(spans, span, i).start;
	}
}

static GTimeZone *load_zone(const char *id, GError **error)
{
	GTimeZone *tz = NULL;

	if (id == NULL)
		return g_time_zone_new_utc();
	if (*id != '\0') {
#if GLIB_CHECK_VERSION(2, 68, 0)
		tz = g_time_zone_new_identifier(id);
#else
		/* Older GLib falls back to UTC silently; the identifier tells. */
		tz = g_time_zone_new(id);
		if (strcmp(g_time_zone_get_identifier(tz), id) != 0)
			g_clear_pointer(&tz, g_time_zone_unref);
#endif
	}
	if (tz == NULL)
		g_set_error(error, PD_CALENDAR_ERROR, PD_CALENDAR_ERROR_TIMEZONE, "unknown time zone \"%s\"", id);
	return tz;
}

pd_calendar *pd_calendar_new(const char *tz, const char *hours, const char *holidays, GError **error)
{
	pd_calendar *cal = g_new0(pd_calendar, 1);

	for (int d = 0; d < WEEK_DAYS; d++)
		cal->hours[d] = g_array_new(FALSE, FALSE, sizeof(span));
	cal->holidays = g_array_new(FALSE, FALSE, sizeof(gint64));
	cal->tz = load_zone(tz, error);
	if (cal->tz == NULL || !parse_hours(cal, hours ? hours : "", error) ||
	    !parse_holidays(cal, holidays ? holidays : "", error)) {
		pd_calendar_free(&cal);
		return NULL;
	}
	finish_hours(cal);
	return cal;
}

void pd_calendar_free(pd_calendar **cal)
{
	pd_calendar *c;

	if (cal == NULL || *cal == NULL)
		return;
	c = *cal;
	*cal = NULL;
	g_clear_pointer(&c->tz, g_time_zone_unref);
	for (int d = 0; d < WEEK_DAYS; d++)
		g_array_unref(c->hours[d]);
	g_array_unref(c->holidays);
	g_free(c);
}

GTimeZone *pd_calendar_get_timezone(const pd_calendar *cal)
{
	g_return_val_if_fail(cal != NULL, NULL);
	return cal->tz;
}

gint64 pd_calendar_week_seconds(const pd_calendar *cal)
{
	g_return_val_if_fail(cal != NULL, 0);
	return cal->week_secs;
}

char *pd_calendar_format_hours(const pd_calendar *cal)
{
	GString *out;

	g_return_val_if_fail(cal != NULL, NULL);
	out = g_string_new(NULL);
	for (int d = 0; d < WEEK_DAYS; d++) {
		const GArray *spans = cal->hours[d];
		if (spans->len == 0)
			continue;
		g_string_append_printf(out, "%s%s", out->len > 0 ? "; " : "", day_names[d]);
		for (guint i = 0; i < spans->len; i++) {
			span sp = g_array_index(spans, span, i);
			g_string_append_printf(out, " %02d:%02d-%02d:%02d", sp.start / 3600, sp.start / 60 % 60,
			                       sp.end / 3600, sp.end / 60 % 60);
		}
	}
	return g_string_free(out, FALSE);
}

GPtrArray *
pd_calendar_holidays(const pd_calendar *cal, gint64 a, gint64 b)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
	if (b <= a)
		return out;
	zone z = { .cal = cal };
	gint64 first = local_day(&z, a), last = local_day(&z, b - 1);
	for (gint64 day = holiday_from(cal, first); day <= last; day = holiday_from(cal, day + 1)) {
		GDate date;
		g_date_clear(&date, 1);
		g_date_set_julian(&date, (guint32)(day + UNIX_EPOCH_JULIAN));
		g_ptr_array_add(out, g_strdup_printf("%04d-%02d-%02d", g_date_get_year(&date), g_date_get_month(&date),
		                                     g_date_get_day(&date)));
	}
	return out;
}
