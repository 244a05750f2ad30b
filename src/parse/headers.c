/* headers.c: the top-level header fields: subject, addresses, Message-IDs, date, charset fixes.
 * The fields it reads are those of pd_field_id (parse-private.h). */
#include "parse-private.h"

#include <string.h>

/* Addresses nest through groups; deeper than this is not mail. */
#define MAX_GROUP_DEPTH 8

/* ---- decoded header text ---------------------------------------------- */

/* The raw value with its encoded words relabelled where GMime would
 * decode them wrong, or NULL when GMime's own decoding is right. */
static char *
fixed_raw_value(const pd_fields *fields, pd_field_id id)
{
	const char *raw = pd_fields_raw(fields, id, 0);

	if (raw == NULL || strstr(raw, "=?") == NULL)
		return NULL;
	return pd_charset_fix_encoded_words(raw);
}

char *
pd_header_text(pd_parse_ctx *ctx, const pd_fields *fields, pd_field_id id)
{
	char *fixed = fixed_raw_value(fields, id);
	char *decoded, *clean;

	if (fixed == NULL)
		return pd_text_clean_optional(pd_fields_get(fields, id, 0));
	decoded = pd_header_decode(ctx->po, fixed);
	clean = pd_text_clean_optional(decoded);
	g_free(fixed);
	g_free(decoded);
	return clean;
}

/* ---- addresses -------------------------------------------------------- */

void
pd_address_free(gpointer data)
{
	pd_address *a = data;

	g_free(a->name);
	g_free(a->addr);
	g_free(a);
}

static pd_address *
address_new(InternetAddress *ia)
{
	const char *addr = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia));
	char *clean = pd_text_clean_optional(addr);
	pd_address *a;

	if (clean == NULL)
		return NULL;
	a = g_new0(pd_address, 1);
	a->addr = clean;
	a->name = pd_text_clean_optional(internet_address_get_name(ia));
	return a;
}

/* Groups ("Team: a@x, b@y;") are flattened into their members. */
static void
collect_mailboxes(InternetAddressList *list, GPtrArray *out, int depth)
{
	int n = list ? internet_address_list_length(list) : 0;

	for (int i = 0; i < n && depth < MAX_GROUP_DEPTH; i++) {
		InternetAddress *ia = internet_address_list_get_address(list, i);

		if (INTERNET_ADDRESS_IS_GROUP(ia)) {
			InternetAddressList *members = internet_address_group_get_members(INTERNET_ADDRESS_GROUP(ia));

			collect_mailboxes(members, out, depth + 1);
		} else if (INTERNET_ADDRESS_IS_MAILBOX(ia)) {
			pd_address *a = address_new(ia);

			if (a != NULL)
				g_ptr_array_add(out, a);
		}
	}
}

/* The mailboxes of an address list; FALSE if GMime finds none. */
static gboolean
collect_parsed(pd_parse_ctx *ctx, const char *value, GPtrArray *out)
{
	InternetAddressList *list = internet_address_list_parse(ctx->po, value);

	if (list == NULL)
		return FALSE;
	collect_mailboxes(list, out, 0);
	g_object_unref(list);
	return TRUE;
}

/* The addresses of a field, and of each repetition of it after the first,
 * as GMime's message object has them; display names in unknown or
 * mislabelled charsets are parsed again from the relabelled raw value of
 * the first. */
static void
collect_field(pd_parse_ctx *ctx, const pd_fields *fields, pd_field_id id, GPtrArray *out)
{
	char *fixed = fixed_raw_value(fields, id);
	const char *raw;

	if (fixed == NULL || !collect_parsed(ctx, fixed, out)) {
		for (int i = 0; (raw = pd_fields_raw(fields, id, i)) != NULL; i++)
			collect_parsed(ctx, raw, out);
	}
	g_free(fixed);
}

/* A ticket needs someone to answer: an addr-spec with a local part and a
 * domain. "<>" (bounces) and bare local names do not qualify. */
static gboolean
address_is_usable(const pd_address *a)
{
	const char *at = strrchr(a->addr, '@');

	return at != NULL && at != a->addr && at[1] != '\0';
}

/* An addr-spec written bare, as some scripts do: one '@' with something
 * on both sides, nothing that belongs to the phrase or route syntax. */
static gboolean
is_bare_addr_spec(const char *s)
{
	const char *at = strchr(s, '@');

	return at != NULL && at != s && at[1] != '\0' && strchr(at + 1, '@') == NULL &&
	       strpbrk(s, "\"<>()[],;:\\") == NULL;
}

/* "From: Test test@example.com": a display name without the angle
 * brackets around the address, which GMime rejects as a whole. The last
 * word that is an addr-spec is the address, the words before it the name. */
static pd_address *
recover_bare_address(pd_parse_ctx *ctx, const pd_fields *fields, pd_field_id id)
{
	char *value = pd_header_text(ctx, fields, id);
	char **words;
	pd_address *a = NULL;
	int last;

	if (value == NULL || strpbrk(value, "<>\"") != NULL) {
		g_free(value);
		return NULL;
	}
	words = g_strsplit_set(value, " \t", -1);
	last = (int)g_strv_length(words) - 1;
	while (last >= 0 && *words[last] == '\0')
		last--;
	if (last >= 0 && is_bare_addr_spec(words[last])) {
		char *phrase;

		a = g_new0(pd_address, 1);
		a->addr = words[last];
		words[last] = NULL;
		phrase = g_strjoinv(" ", words);
		a->name = pd_text_clean_optional(phrase);
		g_free(phrase);
	}
	g_strfreev(words);
	g_free(value);
	return a;
}

static pd_address *
first_usable(pd_parse_ctx *ctx, const pd_fields *fields, pd_field_id id)
{
	GPtrArray *all = g_ptr_array_new_with_free_func(pd_address_free);
	pd_address *found = NULL;

	collect_field(ctx, fields, id, all);
	for (guint i = 0; i < all->len && found == NULL; i++) {
		if (address_is_usable(all->pdata[i]))
			found = g_ptr_array_steal_index(all, i);
	}
	g_ptr_array_unref(all);
	return found != NULL ? found : recover_bare_address(ctx, fields, id);
}

static pd_address *
find_sender(pd_parse_ctx *ctx, const pd_fields *fields)
{
	pd_address *a = first_usable(ctx, fields, PD_FIELD_FROM);

	if (a == NULL)
		a = first_usable(ctx, fields, PD_FIELD_SENDER);
	if (a == NULL)
		a = first_usable(ctx, fields, PD_FIELD_REPLY_TO);
	return a;
}

char *
pd_header_first_addr(pd_parse_ctx *ctx, const pd_fields *fields, pd_field_id id)
{
	const char *value = pd_fields_get(fields, id, 0);
	GPtrArray *all = g_ptr_array_new_with_free_func(pd_address_free);
	char *addr = NULL;

	if (value != NULL)
		collect_parsed(ctx, value, all);
	if (all->len > 0)
		addr = g_strdup(((pd_address *)all->pdata[0])->addr);
	g_ptr_array_unref(all);
	return addr;
}

/* ---- Message-IDs ------------------------------------------------------ */

/* An id between < and >, on one line: folding can split an id, and white
 * space is never part of one. NULL if nothing is left. */
static char *
bracketed_id(const char *start, const char *end)
{
	char *raw = g_strndup(start, (gsize)(end - start));
	char *id = strchr(raw, '<') == NULL ? pd_text_clean_optional(raw) : NULL;
	char *w = id;

	for (const char *r = id; r != NULL && *r != '\0'; r++) {
		if (!g_ascii_isspace(*r))
			*w++ = *r;
	}
	if (w != NULL)
		*w = '\0';
	g_free(raw);
	if (id != NULL && *id == '\0')
		g_clear_pointer(&id, g_free);
	return id;
}

/* Message-IDs go into index keys: keep them on one line, without <>.
 * Every <...> token counts: GMime's own parser stops at the first token it
 * does not like (a "<yes>" from a broken list gateway), and the real
 * parent often stands right after it. */
static void
add_references(GPtrArray *out, const char *header, int max)
{
	if (header == NULL)
		return;
	for (const char *p = strchr(header, '<'); p != NULL && (max < 0 || (int)out->len < max);
	     p = strchr(p + 1, '<')) {
		const char *end = strchr(p + 1, '>');
		char *id;

		if (end == NULL)
			break;
		id = bracketed_id(p + 1, end);
		if (id != NULL)
			g_ptr_array_add(out, id);
		p = end;
	}
}

/* Some clients write In-Reply-To without the angle brackets, which
 * g_mime_references_parse skips; a lone id@domain token still threads. */
static char *
bare_message_id(const char *header)
{
	char *id = pd_text_clean_optional(header);

	if (id != NULL && (strpbrk(id, " <>()\"") != NULL || strchr(id, '@') == NULL)) {
		g_free(id);
		id = NULL;
	}
	return id;
}

static char *
first_reference(const char *header)
{
	GPtrArray *one = g_ptr_array_new_with_free_func(g_free);
	char *id = NULL;

	add_references(one, header, 1);
	if (one->len > 0)
		id = g_ptr_array_steal_index(one, 0);
	g_ptr_array_unref(one);
	return id ? id : bare_message_id(header);
}

/* ---- the date ----------------------------------------------------------- */

static gboolean
digits(const char **p, int min, int max, int *val)
{
	int n = 0;

	*val = 0;
	while (n < max && g_ascii_isdigit(**p)) {
		*val = *val * 10 + (**p - '0');
		(*p)++;
		n++;
	}
	return n >= min && !g_ascii_isdigit(**p);
}

static gboolean
blanks(const char **p)
{
	const char *start = *p;

	while (**p == ' ' || **p == '\t')
		(*p)++;
	return *p > start;
}

/* Index (from 0) of a three-letter English name among names, or -1. */
static int
name_index(const char **p, const char *const *names, int n)
{
	for (int i = 0; i < n; i++) {
		if (g_ascii_strncasecmp(*p, names[i], 3) == 0) {
			*p += 3;
			return i;
		}
	}
	return -1;
}

/* The date as nearly every client writes it, "[Mon, ]2 Nov 2026 10:00[:00]
 * +0100", read without GMime's parser, which builds a time zone object
 * for each date. Anything else, and any value GMime might take otherwise
 * (a leap second, an impossible day, an odd offset), is left to GMime. */
static gboolean
plain_date(const char *s, gint64 *t)
{
	static const char *const days[] = { "sun", "mon", "tue", "wed", "thu", "fri", "sat" };
	static const char *const months[] = { "jan", "feb", "mar", "apr", "may", "jun",
	                                      "jul", "aug", "sep", "oct", "nov", "dec" };
	const char *p = s;
	int day, month, year, hour, min, sec = 0, zone, sign;
	GDateTime *utc;

	blanks(&p);
	if (g_ascii_isalpha(*p)) {
		if (name_index(&p, days, 7) < 0 || *p++ != ',')
			return FALSE;
		blanks(&p);
	}
	if (!digits(&p, 1, 2, &day) || !blanks(&p) || (month = name_index(&p, months, 12)) < 0 ||
	    !blanks(&p) || !digits(&p, 4, 4, &year) || !blanks(&p) || !digits(&p, 2, 2, &hour) ||
	    *p++ != ':' || !digits(&p, 2, 2, &min))
		return FALSE;
	if (*p == ':' && (p++, !digits(&p, 2, 2, &sec)))
		return FALSE;
	if (!blanks(&p) || (*p != '+' && *p != '-'))
		return FALSE;
	sign = *p++ == '-' ? -1 : 1;
	if (!digits(&p, 4, 4, &zone) || (*p != '\0' && !blanks(&p)) || year < 1970 ||
	    zone / 100 > 14 || zone % 100 > 59)
		return FALSE;
	/* NULL for what is not a time: 30 February, a leap second, 24:00 */
	utc = g_date_time_new_utc(year, month + 1, day, hour, min, sec);
	if (utc == NULL)
		return FALSE;
	*t = g_date_time_to_unix(utc) - sign * (zone / 100 * 3600 + zone % 100 * 60);
	g_date_time_unref(utc);
	return TRUE;
}

/* Where a field may be given more than once, the last one counts for the
 * date and the Message-ID, as in GMime's message object. */
static gint64
date_of(const pd_fields *fields)
{
	const char *value = pd_fields_get(fields, PD_FIELD_DATE, -1);
	GDateTime *date;
	gint64 t = 0;

	if (value == NULL || plain_date(value, &t))
		return t;
	date = g_mime_utils_header_decode_date(value);
	if (date != NULL) {
		t = g_date_time_to_unix(date);
		g_date_time_unref(date);
	}
	return t;
}

static char *
message_id_of(const pd_fields *fields)
{
	const char *value = pd_fields_get(fields, PD_FIELD_MESSAGE_ID, -1);
	char *id = value != NULL ? g_mime_utils_decode_message_id(value) : NULL;
	char *clean = pd_text_clean_optional(id);

	g_free(id);
	return clean;
}

void
pd_headers_fill(pd_parse_ctx *ctx, const pd_fields *fields)
{
	pd_message *msg = ctx->msg;
	char *subject = pd_header_text(ctx, fields, PD_FIELD_SUBJECT);

	g_free(msg->subject);
	msg->subject = subject != NULL ? subject : g_strdup("");
	msg->from = find_sender(ctx, fields);
	collect_field(ctx, fields, PD_FIELD_TO, msg->to);
	collect_field(ctx, fields, PD_FIELD_CC, msg->cc);
	msg->message_id = message_id_of(fields);
	msg->in_reply_to = first_reference(pd_fields_get(fields, PD_FIELD_IN_REPLY_TO, 0));
	add_references(msg->references, pd_fields_get(fields, PD_FIELD_REFERENCES, 0), -1);
	msg->date = date_of(fields);
}
