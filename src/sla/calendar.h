/* calendar.h: business-time calendars (zone, weekly hours, holidays) for SLA clocks. */
#ifndef PD_SLA_CALENDAR_H
#define PD_SLA_CALENDAR_H

#include <glib.h>

/*
 * A calendar answers "when is N business minutes after this instant?" and
 * "how much business time lies between these two instants?". Everything is
 * pure computation: instants are passed in as gint64 unix seconds (UTC) and
 * the clock is never read.
 *
 * Working hours are local wall-clock times in the calendar's zone and
 * holidays are whole local dates. On a day with a clock change an interval
 * keeps its wall-clock ends, so it lasts longer or shorter in real time only
 * when the change falls inside it. A wall-clock end that maps to no instant
 * or to two of them is resolved as "the first instant at which the wall
 * clock reads that time or later":
 *   - a time in a spring-forward gap (02:30 when clocks jump 02:00 -> 03:00)
 *     maps to the instant after the gap (03:00 new time);
 *   - a time that occurs twice in autumn (02:30 when clocks fall back
 *     03:00 -> 02:00) maps to its first occurrence (02:30 summer time), so
 *     an interval opening then also covers the second pass of 02:00-02:30.
 * Hence 09:00-17:00 is 8 real hours on a change day when the change is at
 * night, and 24x7 gives 23 or 25 business hours on the change days.
 *
 * Supported local dates run from year 1 to year 9999. A calendar is
 * immutable once built and may be shared between threads.
 */

#define PD_CALENDAR_ERROR (pd_calendar_error_quark())
GQuark pd_calendar_error_quark(void);

typedef enum {
	PD_CALENDAR_ERROR_PARSE,     /* hours or holidays string is malformed */
	PD_CALENDAR_ERROR_TIMEZONE,  /* unknown time zone identifier */
	PD_CALENDAR_ERROR_CLOSED,    /* the calendar has no working hours at all */
	PD_CALENDAR_ERROR_RANGE,     /* input or result outside the supported range */
} pd_calendar_error_code;

typedef struct pd_calendar pd_calendar;

/* One stretch of working time, [start, end) in unix seconds. */
typedef struct {
	gint64 start;
	gint64 end;
} pd_calendar_segment;

/*
 * tz: an IANA zone name ("Europe/Berlin"), "UTC" or a fixed offset
 * ("+02:00"); NULL means UTC.
 * hours: clauses separated by ';', each a day list and one or more ranges:
 *   "mon-fri 09:00-12:00 13:00-17:00; sat 10:00-14:00", "mon,wed 08:00-12:00",
 *   "sun-thu 08:00-16:00" (day ranges wrap around the week), or "24x7".
 *   24:00 is allowed as an end. Overlapping or reversed ranges are errors;
 *   touching ranges are merged. NULL or "" gives a calendar with no working
 *   hours: valid, but every add fails with PD_CALENDAR_ERROR_CLOSED.
 * holidays: local dates "2026-12-25, 2026-12-26" separated by commas,
 *   semicolons or white space; NULL or "" for none.
 * Parse errors name the offending token and its 1-based column.
 */
pd_calendar *pd_calendar_new(const char *tz, const char *hours, const char *holidays, GError **error);
void pd_calendar_free(pd_calendar **cal);

GTimeZone *pd_calendar_get_timezone(const pd_calendar *cal);

/* Business seconds in a week without holidays or clock changes. */
gint64 pd_calendar_week_seconds(const pd_calendar *cal);

/* Canonical form of the working hours, one clause per open day:
 * "mon 09:00-17:00; tue 09:00-17:00"; "" if closed. Caller frees. */
char *pd_calendar_format_hours(const pd_calendar *cal);

/*
 * The instant that lies `seconds` business seconds after `start`.
 * A result that reaches the end of a working interval is that end (17:00),
 * not the start of the next interval. With seconds = 0 the result is the
 * next working instant at or after `start`: `start` itself when it lies in
 * working time, else the opening of the next interval (starting exactly at
 * closing time counts as outside). Thus for every m >= 0:
 *   pd_calendar_between(cal, start, result) == m.
 * Fails with PD_CALENDAR_ERROR_CLOSED when the calendar has no working hours
 * and PD_CALENDAR_ERROR_RANGE for negative amounts or results past year 9999.
 */
gboolean pd_calendar_add_seconds(const pd_calendar *cal, gint64 start, gint64 seconds,
                                 gint64 *result_r, GError **error);

/* The same in minutes, the unit SLA targets are configured in. */
gboolean pd_calendar_add(const pd_calendar *cal, gint64 start, gint64 minutes,
                         gint64 *result_r, GError **error);

/* Business seconds in [a, b); 0 if b <= a. */
gint64 pd_calendar_between(const pd_calendar *cal, gint64 a, gint64 b);

/* The working segments in [a, b), clipped to it, in order, touching ones
 * merged (24x7 gives one segment). A GArray of pd_calendar_segment; the
 * caller unrefs it. Empty if b <= a. Meant for "explain" views: the cost
 * grows with the number of days spanned, unlike add and between, which
 * skip plain weeks arithmetically. */
GArray *pd_calendar_segments(const pd_calendar *cal, gint64 a, gint64 b);

/* The holidays whose local date meets [a, b), as "YYYY-MM-DD" strings in
 * order (a GPtrArray that frees them). For explain views. */
GPtrArray *pd_calendar_holidays(const pd_calendar *cal, gint64 a, gint64 b);

#endif
