/* test-calendar.c: table-driven GTest cases for postdesk's business-time calendars. */
#include "sla/calendar.h"

#include <string.h>

/* ---- calendars used by the tables ---- */

typedef struct {
	const char *name;
	const char *tz;
	const char *hours;
	const char *holidays;
} cal_def;

static const cal_def calendars[] = {
	{ "office", "Europe/Berlin", "mon-fri 09:00-12:00 13:00-17:00; sat 10:00-14:00",
	  "2026-12-24, 2026-12-25, 2026-12-26, 2027-01-01" },
	{ "berlin-24x7", "Europe/Berlin", "24x7", NULL },
	{ "ny", "America/New_York", "mon-fri 09:00-17:00", "2026-11-26" },
	{ "ny-24x7", "America/New_York", "24x7", NULL },
	{ "no-wed", "Europe/Berlin", "mon,tue,thu,fri 09:00-17:00", NULL },
	/* Sunday hours around the change hour: 02:00-03:00 is inside them. */
	{ "night", "Europe/Berlin", "sun 01:00-04:00", NULL },
	/* Sunday hours opening at 02:30, which is skipped in spring and repeated in autumn. */
	{ "gap", "Europe/Berlin", "sun 02:30-05:00", NULL },
};

static const cal_def *find_def(const char *name)
{
	for (gsize i = 0; i < G_N_ELEMENTS(calendars); i++)
		if (strcmp(calendars[i].name, name) == 0)
			return &calendars[i];
	g_error("no calendar named %s in the test table", name);
	return NULL;
}

/* The calendar, or NULL after marking the test skipped when tzdata lacks the zone. */
static pd_calendar *open_calendar(const char *name)
{
	const cal_def *def = find_def(name);
	GError *error = NULL;
	pd_calendar *cal = pd_calendar_new(def->tz, def->hours, def->holidays, &error);

	if (cal == NULL && g_error_matches(error, PD_CALENDAR_ERROR, PD_CALENDAR_ERROR_TIMEZONE)) {
		char *msg = g_strdup_printf("time zone %s not in the system tzdata (/usr/share/zoneinfo)", def->tz);
		g_test_skip(msg);
		g_free(msg);
		g_error_free(error);
		return NULL;
	}
	g_assert_no_error(error);
	return cal;
}

/* "2026-03-10T09:30:00+01:00" to unix seconds. */
static gint64 iso(const char *text)
{
	GDateTime *dt = g_date_time_new_from_iso8601(text, NULL);
	gint64 t;

	if (dt == NULL)
		g_error("bad ISO time in the test table: %s", text);
	t = g_date_time_to_unix(dt);
	g_date_time_unref(dt);
	return t;
}

/* Unix seconds as local ISO time in the calendar's zone; caller frees. */
static char *local_iso(const pd_calendar *cal, gint64 t)
{
	GDateTime *utc = g_date_time_new_from_unix_utc(t);
	GDateTime *local = g_date_time_to_timezone(utc, pd_calendar_get_timezone(cal));
	char *text = g_date_time_format(local, "%Y-%m-%dT%H:%M:%S%:z");

	g_date_time_unref(local);
	g_date_time_unref(utc);
	return text;
}

/* ---- add ---- */

typedef struct {
	const char *name;
	const char *cal;
	const char *start;
	gint64 minutes;
	const char *expect;
} add_row;

static const add_row add_rows[] = {
	/* office: Berlin, mon-fri 09-12 13-17, sat 10-14; 2026-03-10 is a Tuesday */
	{ "within-day", "office", "2026-03-10T09:30:00+01:00", 60, "2026-03-10T10:30:00+01:00" },
	{ "across-lunch", "office", "2026-03-10T11:30:00+01:00", 60, "2026-03-10T13:30:00+01:00" },
	{ "ends-at-lunch", "office", "2026-03-10T11:00:00+01:00", 60, "2026-03-10T12:00:00+01:00" },
	{ "saturday-to-monday", "office", "2026-03-14T13:30:00+01:00", 60, "2026-03-16T09:30:00+01:00" },
	{ "over-weekend", "office", "2026-03-13T16:00:00+01:00", 360, "2026-03-16T10:00:00+01:00" },
	{ "over-holidays", "office", "2026-12-23T16:00:00+01:00", 120, "2026-12-28T10:00:00+01:00" },
	{ "several-days", "office", "2026-03-02T09:00:00+01:00", 3 * 420, "2026-03-04T17:00:00+01:00" },
	{ "several-days-plus-one", "office", "2026-03-02T09:00:00+01:00", 3 * 420 + 1, "2026-03-05T09:01:00+01:00" },
	{ "two-weeks", "office", "2026-03-02T09:00:00+01:00", 2 * 39 * 60, "2026-03-14T14:00:00+01:00" },
	{ "spring-dst", "office", "2026-03-28T13:00:00+01:00", 120, "2026-03-30T10:00:00+02:00" },
	{ "spring-dst-weeks", "office", "2026-03-16T09:00:00+01:00", 2 * 39 * 60 + 60, "2026-03-30T10:00:00+02:00" },
	{ "autumn-dst", "office", "2026-10-23T16:00:00+02:00", 360, "2026-10-26T10:00:00+01:00" },
	{ "start-on-holiday", "office", "2026-12-25T10:00:00+01:00", 60, "2026-12-28T10:00:00+01:00" },
	{ "start-on-new-year", "office", "2027-01-01T11:00:00+01:00", 30, "2027-01-02T10:30:00+01:00" },
	{ "before-opening", "office", "2026-03-10T07:00:00+01:00", 30, "2026-03-10T09:30:00+01:00" },
	{ "after-closing", "office", "2026-03-10T18:00:00+01:00", 30, "2026-03-11T09:30:00+01:00" },
	{ "at-closing", "office", "2026-03-10T17:00:00+01:00", 30, "2026-03-11T09:30:00+01:00" },
	{ "zero-inside", "office", "2026-03-10T10:15:00+01:00", 0, "2026-03-10T10:15:00+01:00" },
	{ "zero-before-opening", "office", "2026-03-10T07:00:00+01:00", 0, "2026-03-10T09:00:00+01:00" },
	{ "zero-at-lunch", "office", "2026-03-10T12:00:00+01:00", 0, "2026-03-10T13:00:00+01:00" },
	{ "zero-at-closing", "office", "2026-03-10T17:00:00+01:00", 0, "2026-03-11T09:00:00+01:00" },
	{ "zero-on-sunday", "office", "2026-03-15T12:00:00+01:00", 0, "2026-03-16T09:00:00+01:00" },
	{ "no-hours-on-wednesday", "no-wed", "2026-03-10T16:00:00+01:00", 120, "2026-03-12T10:00:00+01:00" },
	/* 24x7 across the change: business minutes are real minutes */
	{ "spring-gap", "berlin-24x7", "2026-03-28T12:00:00+01:00", 24 * 60, "2026-03-29T13:00:00+02:00" },
	{ "autumn-overlap", "berlin-24x7", "2026-10-24T12:00:00+02:00", 24 * 60, "2026-10-25T11:00:00+01:00" },
	{ "repeated-hour", "berlin-24x7", "2026-10-25T02:30:00+02:00", 60, "2026-10-25T02:30:00+01:00" },
	/* New York: mon-fri 09-17, Thanksgiving off */
	{ "spring-dst", "ny", "2026-03-06T16:00:00-05:00", 120, "2026-03-09T10:00:00-04:00" },
	{ "autumn-dst", "ny", "2026-10-30T16:00:00-04:00", 120, "2026-11-02T10:00:00-05:00" },
	{ "thanksgiving", "ny", "2026-11-25T16:00:00-05:00", 120, "2026-11-27T10:00:00-05:00" },
	{ "spring-gap", "ny-24x7", "2026-03-07T12:00:00-05:00", 24 * 60, "2026-03-08T13:00:00-04:00" },
	{ "autumn-overlap", "ny-24x7", "2026-10-31T12:00:00-04:00", 24 * 60, "2026-11-01T11:00:00-05:00" },
	/* sun 01:00-04:00: 2 real hours on 2026-03-29, 4 on 2026-10-25 */
	{ "spring-short-day", "night", "2026-03-29T01:00:00+01:00", 120, "2026-03-29T04:00:00+02:00" },
	{ "spring-next-week", "night", "2026-03-29T01:00:00+01:00", 121, "2026-04-05T01:01:00+02:00" },
	{ "autumn-second-pass", "night", "2026-10-25T01:00:00+02:00", 150, "2026-10-25T02:30:00+01:00" },
	{ "autumn-long-day", "night", "2026-10-25T01:00:00+02:00", 240, "2026-10-25T04:00:00+01:00" },
	/* sun 02:30-05:00: a missing 02:30 opens after the gap, a repeated one at its first occurrence */
	{ "missing-opening", "gap", "2026-03-29T00:00:00+01:00", 0, "2026-03-29T03:00:00+02:00" },
	{ "missing-opening-full", "gap", "2026-03-29T00:00:00+01:00", 120, "2026-03-29T05:00:00+02:00" },
	{ "repeated-opening", "gap", "2026-10-25T00:00:00+02:00", 0, "2026-10-25T02:30:00+02:00" },
	{ "repeated-opening-90", "gap", "2026-10-25T00:00:00+02:00", 90, "2026-10-25T03:00:00+01:00" },
	{ "inside-second-pass", "gap", "2026-10-25T02:15:00+01:00", 0, "2026-10-25T02:15:00+01:00" },
};

static void test_add(gconstpointer data)
{
	const add_row *row = data;
	pd_calendar *cal = open_calendar(row->cal);
	GError *error = NULL;
	gint64 start = iso(row->start), result = 0;
	char *got;

	if (cal == NULL)
		return;
	g_assert_true(pd_calendar_add(cal, start, row->minutes, &result, &error));
	g_assert_no_error(error);
	got = local_iso(cal, result);
	g_assert_cmpstr(got, ==, row->expect);
	g_assert_cmpint(pd_calendar_between(cal, start, result), ==, row->minutes * 60);
	g_free(got);
	pd_calendar_free(&cal);
	g_assert_null(cal);
}

/* ---- between ---- */

typedef struct {
	const char *name;
	const char *cal;
	const char *a;
	const char *b;
	gint64 minutes;
} between_row;

static const between_row between_rows[] = {
	{ "weekend", "office", "2026-03-13T16:00:00+01:00", "2026-03-16T10:00:00+01:00", 360 },
	{ "reversed", "office", "2026-03-16T10:00:00+01:00", "2026-03-13T16:00:00+01:00", 0 },
	/* 2026: 261 weekdays at 7h and 52 Saturdays at 4h, less 24th-26th December (7+7+4h) */
	{ "year-2026", "office", "2026-01-01T00:00:00+01:00", "2027-01-01T00:00:00+01:00", 2017 * 60 },
	{ "spring-day", "berlin-24x7", "2026-03-29T00:00:00+01:00", "2026-03-30T00:00:00+02:00", 23 * 60 },
	{ "autumn-day", "berlin-24x7", "2026-10-25T00:00:00+02:00", "2026-10-26T00:00:00+01:00", 25 * 60 },
	{ "spring-day", "ny-24x7", "2026-03-08T00:00:00-05:00", "2026-03-09T00:00:00-04:00", 23 * 60 },
	{ "autumn-day", "ny-24x7", "2026-11-01T00:00:00-04:00", "2026-11-02T00:00:00-05:00", 25 * 60 },
	{ "autumn-long-day", "night", "2026-10-25T00:00:00+02:00", "2026-10-26T00:00:00+01:00", 4 * 60 },
	{ "spring-short-day", "night", "2026-03-29T00:00:00+01:00", "2026-03-30T00:00:00+02:00", 2 * 60 },
	{ "spring-gap-opening", "gap", "2026-03-29T00:00:00+01:00", "2026-03-30T00:00:00+02:00", 2 * 60 },
	{ "autumn-repeated-opening", "gap", "2026-10-25T00:00:00+02:00", "2026-10-26T00:00:00+01:00", 210 },
};

static void test_between(gconstpointer data)
{
	const between_row *row = data;
	pd_calendar *cal = open_calendar(row->cal);

	if (cal == NULL)
		return;
	g_assert_cmpint(pd_calendar_between(cal, iso(row->a), iso(row->b)), ==, row->minutes * 60);
	pd_calendar_free(&cal);
}

/* ---- segments ---- */

typedef struct {
	const char *name;
	const char *cal;
	const char *a;
	const char *b;
	const char *expect;  /* "start/end" pairs in local ISO time, joined by ", " */
} segments_row;

static const segments_row segments_rows[] = {
	{ "weekend-and-holidays", "office", "2026-12-23T10:00:00+01:00", "2026-12-29T00:00:00+01:00",
	  "2026-12-23T10:00:00+01:00/2026-12-23T12:00:00+01:00, "
	  "2026-12-23T13:00:00+01:00/2026-12-23T17:00:00+01:00, "
	  "2026-12-28T09:00:00+01:00/2026-12-28T12:00:00+01:00, "
	  "2026-12-28T13:00:00+01:00/2026-12-28T17:00:00+01:00" },
	{ "weekend-clipped", "office", "2026-03-13T16:30:00+01:00", "2026-03-16T10:00:00+01:00",
	  "2026-03-13T16:30:00+01:00/2026-03-13T17:00:00+01:00, "
	  "2026-03-14T10:00:00+01:00/2026-03-14T14:00:00+01:00, "
	  "2026-03-16T09:00:00+01:00/2026-03-16T10:00:00+01:00" },
	{ "merged-across-midnight", "berlin-24x7", "2026-03-28T12:00:00+01:00", "2026-03-30T12:00:00+02:00",
	  "2026-03-28T12:00:00+01:00/2026-03-30T12:00:00+02:00" },
	{ "repeated-opening", "gap", "2026-10-24T00:00:00+02:00", "2026-10-26T00:00:00+01:00",
	  "2026-10-25T02:30:00+02:00/2026-10-25T05:00:00+01:00" },
	{ "empty", "office", "2026-03-15T00:00:00+01:00", "2026-03-15T23:00:00+01:00", "" },
};

static void test_segments(gconstpointer data)
{
	const segments_row *row = data;
	pd_calendar *cal = open_calendar(row->cal);
	GString *got = g_string_new(NULL);
	GArray *segs;

	if (cal == NULL) {
		g_string_free(got, TRUE);
		return;
	}
	segs = pd_calendar_segments(cal, iso(row->a), iso(row->b));
	for (guint i = 0; i < segs->len; i++) {
		const pd_calendar_segment *seg = &g_array_index(segs, pd_calendar_segment, i);
		char *s = local_iso(cal, seg->start), *e = local_iso(cal, seg->end);
		g_string_append_printf(got, "%s%s/%s", i > 0 ? ", " : "", s, e);
		g_free(s);
		g_free(e);
	}
	g_assert_cmpstr(got->str, ==, row->expect);
	g_array_unref(segs);
	g_string_free(got, TRUE);
	pd_calendar_free(&cal);
}

/* ---- parsing ---- */

typedef struct {
	const char *name;
	const char *hours;
	const char *expect;  /* canonical form */
} hours_row;

static const hours_row hours_rows[] = {
	{ "two-days-two-ranges", "mon,wed 08:00-12:00 13:00-17:00",
	  "mon 08:00-12:00 13:00-17:00; wed 08:00-12:00 13:00-17:00" },
	{ "always", "24x7",
	  "mon 00:00-24:00; tue 00:00-24:00; wed 00:00-24:00; thu 00:00-24:00; "
	  "fri 00:00-24:00; sat 00:00-24:00; sun 00:00-24:00" },
	{ "wrapping-range", "SAT-Mon 10:00-14:00", "mon 10:00-14:00; sat 10:00-14:00; sun 10:00-14:00" },
	{ "touching-ranges-merge", "mon 09:00-12:00 12:00-17:00", "mon 09:00-17:00" },
	{ "commas-and-empty-clauses", ";mon 9:00-12:00, 13:00-17:00;; tue 22:00-24:00;",
	  "mon 09:00-12:00 13:00-17:00; tue 22:00-24:00" },
	{ "clauses-combine", "mon-fri 09:00-12:00; mon 18:00-20:00", 
	  "mon 09:00-12:00 18:00-20:00; tue 09:00-12:00; wed 09:00-12:00; thu 09:00-12:00; fri 09:00-12:00" },
	{ "empty", "  ", "" },
};

static void test_hours(gconstpointer data)
{
	const hours_row *row = data;
	GError *error = NULL;
	pd_calendar *cal = pd_calendar_new("UTC", row->hours, NULL, &error);
	char *got;

	g_assert_no_error(error);
	got = pd_calendar_format_hours(cal);
	g_assert_cmpstr(got, ==, row->expect);
	g_free(got);
	pd_calendar_free(&cal);
}

typedef struct {
	const char *name;
	const char *tz;
	const char *hours;
	const char *holidays;
	int code;
	const char *message;
} error_row;

static const error_row error_rows[] = {
	{ "unknown-day", "UTC", "mon-fri 09:00-17:00; sat 10:00-14:00; sxn 10:00-12:00", NULL, PD_CALENDAR_ERROR_PARSE,
	  "hours, column 39: unknown day \"sxn\", want mon..sun" },
	{ "unknown-range-end", "UTC", "mon-frx 09:00-17:00", NULL, PD_CALENDAR_ERROR_PARSE,
	  "hours, column 5: unknown day \"frx\", want mon..sun" },
	{ "overlap", "UTC", "mon-fri 09:00-12:00 11:00-17:00", NULL, PD_CALENDAR_ERROR_PARSE,
	  "hours, column 21: range \"11:00-17:00\" overlaps another range on mon" },
	{ "overlap-across-clauses", "UTC", "24x7; sun 09:00-10:00", NULL, PD_CALENDAR_ERROR_PARSE,
	  "hours, column 11: range \"09:00-10:00\" overlaps another range on sun" },
	{ "reversed", "UTC", "mon 17:00-09:00", NULL, PD_CALENDAR_ERROR_PARSE,
	  "hours, column 5: empty or reversed range \"17:00-09:00\", split ranges past midnight at 24:00" },
	{ "empty-range", "UTC", "mon 09:00-09:00", NULL, PD_CALENDAR_ERROR_PARSE,
	  "hours, column 5: empty or reversed range \"09:00-09:00\", split ranges past midnight at 24:00" },
	{ "bad-time", "UTC", "mon 09:00-25:00", NULL, PD_CALENDAR_ERROR_PARSE,
	  "hours, column 11: bad time \"25:00\", want HH:MM" },
	{ "bad-minutes", "UTC", "mon 09:60-12:00", NULL, PD_CALENDAR_ERROR_PARSE,
	  "hours, column 5: bad time \"09:60\", want HH:MM" },
	{ "start-at-24", "UTC", "mon 24:00-24:00", NULL, PD_CALENDAR_ERROR_PARSE,
	  "hours, column 5: 24:00 can only end a range \"24:00\"" },
	{ "no-range", "UTC", "mon-fri", NULL, PD_CALENDAR_ERROR_PARSE,
	  "hours, column 8: expected a time range like 09:00-17:00, found the end of the text" },
	{ "missing-semicolon", "UTC", "mon-fri 09:00-17:00 sat 10:00-14:00", NULL, PD_CALENDAR_ERROR_PARSE,
	  "hours, column 21: bad time range \"sat\", want HH:MM-HH:MM; end clauses with ';'" },
	{ "hour-numbers", "UTC", "mon-fri 9-17", NULL, PD_CALENDAR_ERROR_PARSE,
	  "hours, column 9: bad time \"9\", want HH:MM" },
	{ "text-after-24x7", "UTC", "24x7 mon", NULL, PD_CALENDAR_ERROR_PARSE,
	  "hours, column 6: expected ';' after 24x7, found \"mon\"" },
	{ "leading-comma", "UTC", ", mon 09:00-10:00", NULL, PD_CALENDAR_ERROR_PARSE,
	  "hours, column 1: expected a day name, found \",\"" },
	{ "dangling-comma", "UTC", "mon 09:00-10:00,", NULL, PD_CALENDAR_ERROR_PARSE,
	  "hours, column 17: expected a time range after ',', found the end of the text" },
	{ "invalid-date", "UTC", "24x7", "2026-12-25, 2026-02-30", PD_CALENDAR_ERROR_PARSE,
	  "holidays, column 13: bad date \"2026-02-30\", want YYYY-MM-DD" },
	{ "not-a-date", "UTC", "24x7", "2026-12-25 xmas", PD_CALENDAR_ERROR_PARSE,
	  "holidays, column 12: bad date \"xmas\", want YYYY-MM-DD" },
	{ "unknown-zone", "Mars/Olympus_Mons", "24x7", NULL, PD_CALENDAR_ERROR_TIMEZONE,
	  "unknown time zone \"Mars/Olympus_Mons\"" },
};

static void test_errors(gconstpointer data)
{
	const error_row *row = data;
	GError *error = NULL;
	pd_calendar *cal = pd_calendar_new(row->tz, row->hours, row->holidays, &error);

	g_assert_null(cal);
	g_assert_error(error, PD_CALENDAR_ERROR, row->code);
	g_assert_cmpstr(error->message, ==, row->message);
	g_error_free(error);
}

/* ---- single cases ---- */

static void test_all_closed(void)
{
	GError *error = NULL;
	pd_calendar *cal = pd_calendar_new("UTC", "", "2026-12-25", &error);
	gint64 result = -1;
	GArray *segs;

	g_assert_no_error(error);
	g_assert_cmpint(pd_calendar_week_seconds(cal), ==, 0);
	g_assert_false(pd_calendar_add(cal, 1767225600, 60, &result, &error));
	g_assert_error(error, PD_CALENDAR_ERROR, PD_CALENDAR_ERROR_CLOSED);
	g_clear_error(&error);
	g_assert_false(pd_calendar_add(cal, 1767225600, 0, &result, &error));
	g_assert_error(error, PD_CALENDAR_ERROR, PD_CALENDAR_ERROR_CLOSED);
	g_clear_error(&error);
	g_assert_cmpint(result, ==, -1);
	g_assert_cmpint(pd_calendar_between(cal, 0, 1767225600), ==, 0);
	segs = pd_calendar_segments(cal, 0, 1767225600);
	g_assert_cmpuint(segs->len, ==, 0);
	g_array_unref(segs);
	pd_calendar_free(&cal);
	pd_calendar_free(&cal);  /* NULL is fine */
	pd_calendar_free(NULL);
}

static void test_bad_amounts(void)
{
	GError *error = NULL;
	pd_calendar *cal = pd_calendar_new(NULL, "24x7", NULL, &error);
	gint64 result;

	g_assert_no_error(error);
	g_assert_false(pd_calendar_add(cal, 0, -1, &result, &error));
	g_assert_error(error, PD_CALENDAR_ERROR, PD_CALENDAR_ERROR_RANGE);
	g_clear_error(&error);
	g_assert_false(pd_calendar_add(cal, 0, G_MAXINT64, &result, &error));
	g_assert_error(error, PD_CALENDAR_ERROR, PD_CALENDAR_ERROR_RANGE);
	g_clear_error(&error);
	g_assert_false(pd_calendar_add_seconds(cal, 0, G_GINT64_CONSTANT(400000000000), &result, &error));
	g_assert_error(error, PD_CALENDAR_ERROR, PD_CALENDAR_ERROR_RANGE);
	g_clear_error(&error);
	g_assert_true(pd_calendar_add_seconds(cal, 0, 90, &result, &error));
	g_assert_cmpint(result, ==, 90);
	pd_calendar_free(&cal);
}

/* The length of the segments of [a, b): the day-by-day walk, which never
 * skips weeks, so it cross-checks add and between. */
static gint64 segments_total(const pd_calendar *cal, gint64 a, gint64 b)
{
	GArray *segs = pd_calendar_segments(cal, a, b);
	gint64 sum = 0;

	for (guint i = 0; i < segs->len; i++) {
		const pd_calendar_segment *seg = &g_array_index(segs, pd_calendar_segment, i);
		g_assert_cmpint(seg->start, <, seg->end);
		if (i > 0)  /* merged, so never touching */
			g_assert_cmpint(seg->start, >, g_array_index(segs, pd_calendar_segment, i - 1).end);
		sum += seg->end - seg->start;
	}
	g_array_unref(segs);
	return sum;
}

/* 10,000 business hours: exact and fast. */
static void test_large_target(void)
{
	pd_calendar *cal = open_calendar("office");
	gint64 start = iso("2026-01-05T09:00:00+01:00"), result = 0, t0, elapsed;
	const int rounds = 200;

	if (cal == NULL)
		return;
	t0 = g_get_monotonic_time();
	for (int i = 0; i < rounds; i++)
		g_assert_true(pd_calendar_add(cal, start + i, 10000 * 60, &result, NULL));
	elapsed = g_get_monotonic_time() - t0;
	g_test_message("10,000 business hours: %.1f us per add", (double)elapsed / rounds);
	g_assert_cmpint(elapsed / rounds, <, 5000);  /* generous: sanitizers slow things down */
	g_assert_true(pd_calendar_add(cal, start, 10000 * 60, &result, NULL));
	g_assert_cmpint(pd_calendar_between(cal, start, result), ==, G_GINT64_CONSTANT(36000000));
	g_assert_cmpint(segments_total(cal, start, result), ==, G_GINT64_CONSTANT(36000000));
	pd_calendar_free(&cal);
}

/* ---- round trip and reference ---- */

static const char *const round_trip_cals[] = { "office", "berlin-24x7", "ny", "ny-24x7", "no-wed", "night", "gap" };

static gint64 random_amount(GRand *rand)
{
	switch (g_rand_int_range(rand, 0, 3)) {
	case 0:
		return g_rand_int_range(rand, 0, 600);
	case 1:
		return g_rand_int_range(rand, 0, 20000);
	default:
		return g_rand_int_range(rand, 0, 700000);
	}
}

/* between(start, add(start, m)) == m for random starts and amounts, and
 * the segments of that span add up to the same. */
static void test_round_trip(gconstpointer data)
{
	pd_calendar *cal = open_calendar(data);
	GRand *rand = g_rand_new_with_seed(20260329);
	gint64 base = iso("2025-12-01T00:00:00Z");

	if (cal == NULL) {
		g_rand_free(rand);
		return;
	}
	for (int i = 0; i < 300; i++) {
		gint64 start = base + g_rand_int_range(rand, 0, 2 * 366 * 86400), m = random_amount(rand), r0, r;
		g_assert_true(pd_calendar_add(cal, start, m, &r, NULL));
		g_assert_true(pd_calendar_add(cal, start, 0, &r0, NULL));
		g_assert_cmpint(r, >=, r0);
		g_assert_cmpint(pd_calendar_between(cal, start, r), ==, m * 60);
		if (m < 20000)
			g_assert_cmpint(segments_total(cal, start, r), ==, m * 60);
	}
	g_rand_free(rand);
	pd_calendar_free(&cal);
}

/* With 24x7 hours business time is real time, whatever the clock changes. */
static void test_real_time(gconstpointer data)
{
	pd_calendar *cal = open_calendar(data);
	GRand *rand = g_rand_new_with_seed(7);
	gint64 base = iso("2020-01-01T00:00:00Z"), got;

	if (cal == NULL) {
		g_rand_free(rand);
		return;
	}
	for (int i = 0; i < 2000; i++) {
		gint64 a = base + g_rand_int_range(rand, 0, G_MAXINT32), m = g_rand_int_range(rand, 0, 1000000);
		gint64 b = a + g_rand_int_range(rand, 0, 100000000);
		g_assert_cmpint(pd_calendar_between(cal, a, b), ==, b - a);
		g_assert_true(pd_calendar_add(cal, a, m, &got, NULL));
		g_assert_cmpint(got, ==, a + m * 60);
	}
	g_rand_free(rand);
	pd_calendar_free(&cal);
}

/* Independent oracles: is the minute starting at this local time working? */
typedef gboolean (*open_fn)(GDateTime *local);

static gboolean office_open(GDateTime *dt)
{
	int y, m, d, wd = g_date_time_get_day_of_week(dt), h = g_date_time_get_hour(dt);

	g_date_time_get_ymd(dt, &y, &m, &d);
	if ((y == 2026 && m == 12 && d >= 24 && d <= 26) || (y == 2027 && m == 1 && d == 1))
		return FALSE;
	if (wd <= 5)
		return (h >= 9 && h < 12) || (h >= 13 && h < 17);
	return wd == 6 && h >= 10 && h < 14;
}

static gboolean ny_open(GDateTime *dt)
{
	int y, m, d, h = g_date_time_get_hour(dt);

	g_date_time_get_ymd(dt, &y, &m, &d);
	if (y == 2026 && m == 11 && d == 26)
		return FALSE;
	return g_date_time_get_day_of_week(dt) <= 5 && h >= 9 && h < 17;
}

static gboolean always_open(GDateTime *dt)
{
	(void)dt;
	return TRUE;
}

static gboolean open_at(const pd_calendar *cal, open_fn open, gint64 t)
{
	GDateTime *utc = g_date_time_new_from_unix_utc(t);
	GDateTime *local = g_date_time_to_timezone(utc, pd_calendar_get_timezone(cal));
	gboolean yes = open(local);

	g_date_time_unref(local);
	g_date_time_unref(utc);
	return yes;
}

/* Add by stepping minute by minute: slow, obvious, and independent. */
static gint64 reference_add(const pd_calendar *cal, open_fn open, gint64 t, gint64 minutes)
{
	for (;; t += 60) {
		if (!open_at(cal, open, t))
			continue;
		if (minutes == 0)
			return t;
		if (--minutes == 0)
			return t + 60;
	}
}

typedef struct {
	const char *cal;
	open_fn open;
} reference_row;

static const reference_row reference_rows[] = {
	{ "office", office_open }, { "ny", ny_open }, { "berlin-24x7", always_open }, { "ny-24x7", always_open },
};

/* Starts near the clock changes and holidays, where mistakes would hide. */
static const char *const reference_anchors[] = {
	"2026-03-06T00:00:00Z", "2026-03-27T00:00:00Z", "2026-10-23T00:00:00Z",
	"2026-10-30T00:00:00Z", "2026-11-24T00:00:00Z", "2026-12-22T00:00:00Z",
};

static void test_reference(gconstpointer data)
{
	const reference_row *row = data;
	pd_calendar *cal = open_calendar(row->cal);
	GRand *rand = g_rand_new_with_seed(42);

	if (cal == NULL) {
		g_rand_free(rand);
		return;
	}
	for (gsize a = 0; a < G_N_ELEMENTS(reference_anchors); a++) {
		for (int i = 0; i < 6; i++) {
			gint64 start = iso(reference_anchors[a]) + 60 * g_rand_int_range(rand, 0, 4 * 24 * 60);
			gint64 m = g_rand_int_range(rand, 0, 1500), got;
			g_assert_true(pd_calendar_add(cal, start, m, &got, NULL));
			g_assert_cmpint(got, ==, reference_add(cal, row->open, start, m));
		}
	}
	g_rand_free(rand);
	pd_calendar_free(&cal);
}

/* ---- registration ---- */

/* "/calendar/add/office/within-day": one TAP line per table row. */
static void add_case(const char *group, const char *cal, const char *name, gconstpointer row, GTestDataFunc func)
{
	char *path = cal != NULL ? g_strdup_printf("/calendar/%s/%s/%s", group, cal, name)
	                         : g_strdup_printf("/calendar/%s/%s", group, name);

	g_test_add_data_func(path, row, func);
	g_free(path);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	for (gsize i = 0; i < G_N_ELEMENTS(add_rows); i++)
		add_case("add", add_rows[i].cal, add_rows[i].name, &add_rows[i], test_add);
	for (gsize i = 0; i < G_N_ELEMENTS(between_rows); i++)
		add_case("between", between_rows[i].cal, between_rows[i].name, &between_rows[i], test_between);
	for (gsize i = 0; i < G_N_ELEMENTS(segments_rows); i++)
		add_case("segments", segments_rows[i].cal, segments_rows[i].name, &segments_rows[i], test_segments);
	for (gsize i = 0; i < G_N_ELEMENTS(hours_rows); i++)
		add_case("hours", NULL, hours_rows[i].name, &hours_rows[i], test_hours);
	for (gsize i = 0; i < G_N_ELEMENTS(error_rows); i++)
		add_case("errors", NULL, error_rows[i].name, &error_rows[i], test_errors);
	for (gsize i = 0; i < G_N_ELEMENTS(round_trip_cals); i++)
		add_case("round-trip", NULL, round_trip_cals[i], round_trip_cals[i], test_round_trip);
	add_case("real-time", NULL, "berlin-24x7", "berlin-24x7", test_real_time);
	add_case("real-time", NULL, "ny-24x7", "ny-24x7", test_real_time);
	for (gsize i = 0; i < G_N_ELEMENTS(reference_rows); i++)
		add_case("reference", NULL, reference_rows[i].cal, &reference_rows[i], test_reference);
	g_test_add_func("/calendar/all-closed", test_all_closed);
	g_test_add_func("/calendar/bad-amounts", test_bad_amounts);
	g_test_add_func("/calendar/large-target", test_large_target);
	return g_test_run();
}
