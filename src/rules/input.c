/* input.c: pd_rules_input, the mail as the rules see it: from a pd_message, from setters, and raw header fields. */
#include "config.h"
#include "rules-private.h"

#include <string.h>

/* A header block longer than this is not read further for rules. */
#define MAX_HEADERS 1000
#define MAX_HEADER_VALUE (64 * 1024)

pd_rules_input *
pd_rules_input_new(void)
{
	pd_rules_input *in = g_new0(pd_rules_input, 1);
	in->to = g_ptr_array_new_with_free_func(g_free);
	in->cc = g_ptr_array_new_with_free_func(g_free);
	in->headers = g_ptr_array_new_with_free_func(g_free);
	in->att_names = g_ptr_array_new_with_free_func(g_free);
	in->att_types = g_ptr_array_new_with_free_func(g_free);
	in->att_sizes = g_array_new(FALSE, FALSE, sizeof(guint64));
	return in;
}

void
pd_rules_input_free(pd_rules_input **in)
{
	if (in == NULL || *in == NULL)
		return;
	for (guint i = 0; i < PD_SLOT_HEADERS; i++)
		g_free((*in)->text[i]);
	g_ptr_array_unref((*in)->to);
	g_ptr_array_unref((*in)->cc);
	g_ptr_array_unref((*in)->headers);
	g_ptr_array_unref((*in)->att_names);
	g_ptr_array_unref((*in)->att_types);
	g_array_unref((*in)->att_sizes);
	g_free(*in);
	*in = NULL;
}

static char *
valid(const char *s)
{
	return g_utf8_make_valid(s != NULL ? s : "", -1);
}

static guint
text_slot(pd_rules_text field)
{
	switch (field) {
	case PD_RULES_SUBJECT: return PD_SLOT_SUBJECT;
	case PD_RULES_FROM: return PD_SLOT_FROM;
	case PD_RULES_FROM_NAME: return PD_SLOT_FROM_NAME;
	case PD_RULES_BODY: return PD_SLOT_BODY;
	case PD_RULES_FULL_BODY: return PD_SLOT_FULL_BODY;
	case PD_RULES_SOURCE: return PD_SLOT_SOURCE;
	default: return G_MAXUINT;
	}
}

void
pd_rules_input_add(pd_rules_input *in, pd_rules_text field, const char *value)
{
	if (field == PD_RULES_TO || field == PD_RULES_CC)
		g_ptr_array_add(field == PD_RULES_TO ? in->to : in->cc, valid(value));
	else
		pd_rules_input_set(in, field, value);
}

void
pd_rules_input_set(pd_rules_input *in, pd_rules_text field, const char *value)
{
	guint slot = text_slot(field);

	if (slot == G_MAXUINT) {
		GPtrArray *list = field == PD_RULES_TO ? in->to : in->cc;
		g_ptr_array_set_size(list, 0);
		if (value != NULL)
			g_ptr_array_add(list, valid(value));
		return;
	}
	g_free(in->text[slot]);
	in->text[slot] = value != NULL ? valid(value) : NULL;
}

void
pd_rules_input_add_header(pd_rules_input *in, const char *name, const char *value)
{
	g_ptr_array_add(in->headers, valid(name));
	g_ptr_array_add(in->headers, valid(value));
}

void
pd_rules_input_add_attachment(pd_rules_input *in, const char *name, const char *type, guint64 size)
{
	g_ptr_array_add(in->att_names, valid(name));
	g_ptr_array_add(in->att_types, valid(type));
	g_array_append_val(in->att_sizes, size);
}

void pd_rules_input_set_size(pd_rules_input *in, guint64 size) { in->size = size; }
void pd_rules_input_set_flags(pd_rules_input *in, guint32 flags) { in->flags = flags; }

pd_rules_input *
pd_rules_input_from_message(const pd_message *msg, const char *source)
{
	pd_rules_input *in = pd_rules_input_new();

	pd_rules_input_set(in, PD_RULES_SUBJECT, msg->subject);
	if (msg->from != NULL) {
		pd_rules_input_set(in, PD_RULES_FROM, msg->from->addr);
		pd_rules_input_set(in, PD_RULES_FROM_NAME, msg->from->name);
	}
	for (guint i = 0; msg->to != NULL && i < msg->to->len; i++)
		pd_rules_input_add(in, PD_RULES_TO, ((pd_address *)msg->to->pdata[i])->addr);
	for (guint i = 0; msg->cc != NULL && i < msg->cc->len; i++)
		pd_rules_input_add(in, PD_RULES_CC, ((pd_address *)msg->cc->pdata[i])->addr);
	pd_rules_input_set(in, PD_RULES_FULL_BODY, msg->body);
	pd_rules_input_set(in, PD_RULES_BODY, msg->body_new != NULL ? msg->body_new : msg->body);
	for (guint i = 0; msg->attachments != NULL && i < msg->attachments->len; i++) {
		const pd_attachment *a = msg->attachments->pdata[i];
		pd_rules_input_add_attachment(in, a->filename, a->content_type, a->size);
	}
	pd_rules_input_set_size(in, msg->size);
	pd_rules_input_set_flags(in, msg->flags);
	pd_rules_input_set(in, PD_RULES_SOURCE, source);
	return in;
}

/* ---- raw header fields ---- */

/* 8-bit text that is not UTF-8 is most often windows-1252. */
static char *
to_utf8(const char *s, gsize len, const char *charset)
{
	char *out = NULL;

	if (charset == NULL && g_utf8_validate_len(s, len, NULL))
		return g_strndup(s, len);
	out = g_convert(s, (gssize)len, "UTF-8", charset != NULL ? charset : "WINDOWS-1252", NULL, NULL, NULL);
	if (out == NULL && charset != NULL)
		return NULL;
	if (out == NULL)
		out = g_convert(s, (gssize)len, "UTF-8", "ISO-8859-1", NULL, NULL, NULL);
	char *v = g_utf8_make_valid(out != NULL ? out : "", -1);
	g_free(out);
	return v;
}

static guint8 *
decode_q(const char *s, gsize len, gsize *out_len)
{
	guint8 *out = g_malloc(len + 1);
	gsize n = 0;

	for (gsize i = 0; i < len; i++) {
		if (s[i] == '_')
			out[n++] = ' ';
		else if (s[i] == '=' && i + 2 < len && g_ascii_isxdigit(s[i + 1]) && g_ascii_isxdigit(s[i + 2])) {
			out[n++] = (guint8)(g_ascii_xdigit_value(s[i + 1]) * 16 + g_ascii_xdigit_value(s[i + 2]));
			i += 2;
		} else
			out[n++] = (guint8)s[i];
	}
	*out_len = n;
	return out;
}

/* One encoded word "=?charset?B|Q?text?=" at s, or NULL; *end_r after it. */
static char *
encoded_word(const char *s, const char **end_r)
{
	if (!g_str_has_prefix(s, "=?"))
		return NULL;
	const char *q1 = strchr(s + 2, '?');
	if (q1 == NULL || (q1[1] != 'B' && q1[1] != 'b' && q1[1] != 'Q' && q1[1] != 'q') || q1[2] != '?')
		return NULL;
	const char *text = q1 + 3, *close = strstr(text, "?=");
	if (close == NULL || memchr(text, ' ', (gsize)(close - text)) != NULL)
		return NULL;
	char *charset = g_strndup(s + 2, (gsize)(q1 - s - 2));
	char *star = strchr(charset, '*');  /* RFC 2231 language suffix */
	if (star != NULL)
		*star = '\0';
	gsize n = 0;
	guint8 *bytes;
	if (g_ascii_tolower(q1[1]) == 'b') {
		char *b64 = g_strndup(text, (gsize)(close - text));
		bytes = g_base64_decode(b64, &n);
		g_free(b64);
	} else
		bytes = decode_q(text, (gsize)(close - text), &n);
	char *utf8 = to_utf8((const char *)bytes, n, charset);
	g_free(bytes);
	g_free(charset);
	*end_r = close + 2;
	return utf8;
}

/* RFC 2047: encoded words decoded; white space between two of them dropped. */
static char *
decode_words(const char *value)
{
	GString *out = g_string_new(NULL);
	gboolean after_word = FALSE;

	for (const char *p = value; *p != '\0';) {
		const char *end;
		char *word = encoded_word(p, &end);
		if (word != NULL) {
			g_string_append(out, word);
			g_free(word);
			p = end;
			after_word = TRUE;
			continue;
		}
		gsize ws = strspn(p, " \t");
		char *next = after_word && ws > 0 ? encoded_word(p + ws, &end) : NULL;
		if (next != NULL) {
			g_free(next);
			p += ws;  /* the space between two encoded words is not text */
			continue;
		}
		g_string_append_c(out, *p++);
		after_word = FALSE;
	}
	return g_string_free(out, FALSE);
}

static void
add_raw_field(pd_rules_input *in, const char *line, gsize len)
{
	const char *colon = memchr(line, ':', len);
	/* Fields in postdesk's own namespace are removed before anything looks
	 * at the mail: a sender could write them, so no rule may trust them. */
	if (g_ascii_strncasecmp(line, "X-Postdesk-", 11) == 0)
		return;
	char *raw = g_strndup(colon + 1, MIN(len - (gsize)(colon + 1 - line), MAX_HEADER_VALUE));
	char *name = g_strndup(line, (gsize)(colon - line));
	char *text = to_utf8(raw, strlen(raw), NULL);
	char *decoded = decode_words(g_strstrip(text));

	g_ptr_array_add(in->headers, to_utf8(g_strstrip(name), strlen(name), NULL));
	g_ptr_array_add(in->headers, decoded);
	g_free(text);
	g_free(name);
	g_free(raw);
}

/* A field name: printable ASCII up to the colon, no spaces. */
static gboolean
field_start(const char *line, gsize len)
{
	for (gsize i = 0; i < len; i++) {
		if (line[i] == ':')
			return i > 0;
		if (line[i] <= ' ' || line[i] >= 127)
			return FALSE;
	}
	return FALSE;
}

void
pd_rules_input_add_raw_headers(pd_rules_input *in, const char *raw, gsize len)
{
	GString *field = g_string_new(NULL);
	gsize pos = 0;
	guint count = 0;

	if (len >= 5 && memcmp(raw, "From ", 5) == 0) {  /* an mbox envelope line */
		const char *nl = memchr(raw, '\n', len);
		pos = nl != NULL ? (gsize)(nl - raw) + 1 : len;
	}
	while (pos < len && count < MAX_HEADERS) {
		const char *line = raw + pos, *nl = memchr(line, '\n', len - pos);
		gsize n = nl != NULL ? (gsize)(nl - line) : len - pos;
		pos += n + (nl != NULL);
		if (n > 0 && line[n - 1] == '\r')
			n--;
		if (n > 0 && (line[0] == ' ' || line[0] == '\t') && field->len > 0) {
			if (field->len < MAX_HEADER_VALUE)
				g_string_append_len(field, line, (gssize)n);  /* unfold: the line break goes */
			continue;
		}
		if (field->len > 0) {
			add_raw_field(in, field->str, field->len);
			count++;
		}
		g_string_truncate(field, 0);
		if (n == 0 || !field_start(line, n))
			break;  /* the blank line, or the body without one */
		g_string_append_len(field, line, (gssize)n);
	}
	if (field->len > 0 && count < MAX_HEADERS)
		add_raw_field(in, field->str, field->len);
	g_string_free(field, TRUE);
}
