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
address_new(const char *name, const char *addr)
{
	char *clean = pd_text_clean_optional(addr);
	pd_address *a;

	if (clean == NULL)
		return NULL;
	a = g_new0(pd_address, 1);
	a->addr = clean;
	a->name = pd_text_clean_optional(name);
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
			pd_address *a = address_new(internet_address_get_name(ia),
			                            internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia)));

			if (a != NULL)
				g_ptr_array_add(out, a);
		}
	}
}

/* ---- plain address lists, read without GMime ---------------------------- */

/* RFC 5322's atext: the characters GMime takes for an atom, less its
 * 8-bit ones. */
static gboolean
is_atext(char c)
{
	switch (c) {
	case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+': case '-':
	case '/': case '=': case '?': case '^': case '_': case '`': case '{': case '|': case '}': case '~':
		return TRUE;
	default:
		return g_ascii_isalnum(c);
	}
}

static const char *
skip_atext(const char *p)
{
	while (is_atext(*p))
		p++;
	return p;
}

/* Space and tab; with fold, line ends too (a list folded between its
 * addresses). */
static const char *
skip_blank(const char *p, gboolean fold)
{
	while (*p == ' ' || *p == '\t' || (fold && (*p == '\r' || *p == '\n')))
		p++;
	return p;
}

/* The end of the dot-atom at p, or NULL. */
static const char *
dot_atom_end(const char *p)
{
	const char *end = skip_atext(p);

	if (end == p)
		return NULL;
	while (*end == '.') {
		const char *next = skip_atext(end + 1);

		if (next == end + 1)
			return NULL;
		end = next;
	}
	return end;
}

/* The end of the addr-spec (dot-atom@dot-atom) at p, or NULL. A domain
 * with an IDNA label ("xn--") is not plain: GMime turns it into Unicode. */
static const char *
addr_spec_end(const char *p)
{
	const char *at = dot_atom_end(p), *end;

	if (at == NULL || *at != '@' || (end = dot_atom_end(at + 1)) == NULL)
		return NULL;
	for (const char *label = at + 1; label < end; label++) {
		if ((label == at + 1 || label[-1] == '.') && g_ascii_strncasecmp(label, "xn--", 4) == 0)
			return NULL;
	}
	return end;
}

/* The phrase at p, atoms and quoted strings of printable ASCII without
 * backslashes: where it stops, with the end of its last word in *last_r;
 * NULL if a quoted string does not end. */
static const char *
phrase_end(const char *p, const char **last_r)
{
	*last_r = p;
	for (;;) {
		if (*p == '"') {
			const char *q = p + 1;

			while ((*q >= 0x20 && *q < 0x7f && *q != '"' && *q != '\\') || *q == '\t')
				q++;
			if (*q != '"')
				return NULL;
			p = q + 1;
		} else if (is_atext(*p)) {
			p = skip_atext(p);
		} else {
			return p;
		}
		*last_r = p;
		p = skip_blank(p, FALSE);
	}
}

/* One address of a plain list, the display name being len bytes at name
 * as written. GMime's reading of a name is kept: the quotes go, encoded
 * words are decoded by its phrase decoder, the outer blanks go. */
static void
add_plain(GMimeParserOptions *po, GPtrArray *out, const char *name, gsize len, const char *addr,
          gsize addr_len)
{
	char *n = g_malloc(len + 1), *w = n;
	pd_address *found = g_new(pd_address, 1);

	for (gsize i = 0; i < len; i++) {
		if (name[i] != '"')
			*w++ = name[i];
	}
	*w = '\0';
	if (strstr(n, "=?") != NULL) {
		char *decoded = g_mime_utils_header_decode_phrase(po, n);

		g_free(n);
		n = decoded;
	}
	/* atext and dots: the address is clean as it is */
	found->addr = g_strndup(addr, addr_len);
	found->name = pd_text_clean_optional(g_strstrip(n));
	g_ptr_array_add(out, found);
	g_free(n);
}

/* The addresses of a list in the forms nearly all mail uses, read as
 * GMime reads them: "a@example.com", "<a@example.com>", "Jane Doe
 * <a@example.com>", "\"Doe, Jane\" <a@example.com>", the name maybe in
 * encoded words, separated by commas. Anything else is GMime's to read:
 * comments, groups, 8-bit bytes, backslashes, dots or commas in an
 * unquoted name, a name folded over lines, routes, domain literals, IDNA
 * domains. FALSE, with nothing added, when the list is not plain. Each
 * address GMime would build costs it a few objects and string buffers. */
gboolean
pd_addresses_plain(GMimeParserOptions *po, const char *value, GPtrArray *out)
{
	GPtrArray *found = g_ptr_array_new();
	const char *p;
	guint n = 0;

	for (p = skip_blank(value, TRUE); *p != '\0'; n++) {
		const char *end = addr_spec_end(p), *after = end != NULL ? skip_blank(end, TRUE) : NULL;
		const char *last;

		if (after != NULL && (*after == ',' || *after == '\0')) {
			add_plain(po, found, "", 0, p, (gsize)(end - p));
			p = after;
		} else {
			const char *angle = phrase_end(p, &last);

			if (angle == NULL || *angle != '<' || (end = addr_spec_end(angle + 1)) == NULL || *end != '>')
				break;
			add_plain(po, found, p, (gsize)(last - p), angle + 1, (gsize)(end - angle - 1));
			p = skip_blank(end + 1, TRUE);
			if (*p != ',' && *p != '\0')
				break;
		}
		while (*p == ',')
			p = skip_blank(p + 1, TRUE);
	}
	if (*p != '\0' || n == 0) {
		g_ptr_array_set_free_func(found, pd_address_free);
		g_ptr_array_unref(found);
		return FALSE;
	}
	for (guint i = 0; i < found->len; i++)
		g_ptr_array_add(out, found->pdata[i]);
	g_ptr_array_unref(found);
	return TRUE;
}

/* The mailboxes of an address list; FALSE if GMime finds none. */
static gboolean
collect_parsed(pd_parse_ctx *ctx, const char *value, GPtrArray *out)
{
	InternetAddressList *list;

	if (pd_addresses_plain(ctx->po, value, out))
		return TRUE;
	list = internet_address_list_parse(ctx->po, value);
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

/* Past the spaces and tabs at *p: whether there were any. */
static gboolean
blanks(const char **p)
{
	const char *start = *p;

	*p = skip_blank(start, FALSE);
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
