/* parse.c: the #command block at the top of an agent's reply: lines, the command table, values and their checks. */
#include "config.h"
#include "parse.h"

#include <string.h>

#define ERROR_LINE_MAX 200   /* bytes of a line quoted in an error */
#define NAME_SHOWN_MAX 40    /* bytes of an unknown command's name quoted in an error */
#define ADDRESS_MAX 254      /* RFC 5321: a path is 256 octets with its angle brackets */
#define LOCAL_PART_MAX 64
#define LABEL_MAX 63

static const char *const statuses[] = { "new", "open", "pending", "resolved", "closed", NULL };
static const char *const priorities[] = { "low", "normal", "high", "urgent", NULL };

/* ---- the command table ---- */

typedef struct cmd_spec cmd_spec;
/* Reads args (trimmed, valid UTF-8, no control characters) into c; on a
 * problem appends the message, without the "#name: " prefix, to err. */
typedef gboolean (*cmd_parse_fn)(const cmd_spec *spec, const pd_command_limits *lim, const char *args,
                                 pd_command *c, GString *err);

struct cmd_spec {
	const char *name;
	pd_command_type type;
	const char *fixed;   /* shorthands: the value they stand for; #untag: "-" */
	cmd_parse_fn parse;
};

static gboolean parse_no_value(const cmd_spec *, const pd_command_limits *, const char *, pd_command *, GString *);
static gboolean parse_status(const cmd_spec *, const pd_command_limits *, const char *, pd_command *, GString *);
static gboolean parse_assign(const cmd_spec *, const pd_command_limits *, const char *, pd_command *, GString *);
static gboolean parse_priority(const cmd_spec *, const pd_command_limits *, const char *, pd_command *, GString *);
static gboolean parse_queue(const cmd_spec *, const pd_command_limits *, const char *, pd_command *, GString *);
static gboolean parse_tag(const cmd_spec *, const pd_command_limits *, const char *, pd_command *, GString *);
static gboolean parse_cc(const cmd_spec *, const pd_command_limits *, const char *, pd_command *, GString *);
static gboolean parse_merge(const cmd_spec *, const pd_command_limits *, const char *, pd_command *, GString *);
static gboolean parse_subject(const cmd_spec *, const pd_command_limits *, const char *, pd_command *, GString *);

static const cmd_spec command_table[] = {
	{ "status", PD_COMMAND_STATUS, NULL, parse_status },
	{ "pending", PD_COMMAND_STATUS, "pending", parse_no_value },
	{ "resolve", PD_COMMAND_STATUS, "resolved", parse_no_value },
	{ "close", PD_COMMAND_STATUS, "closed", parse_no_value },
	{ "open", PD_COMMAND_STATUS, "open", parse_no_value },
	{ "assign", PD_COMMAND_ASSIGN, NULL, parse_assign },
	{ "priority", PD_COMMAND_PRIORITY, NULL, parse_priority },
	{ "queue", PD_COMMAND_QUEUE, NULL, parse_queue },
	{ "tag", PD_COMMAND_TAG, NULL, parse_tag },
	{ "untag", PD_COMMAND_TAG, "-", parse_tag },
	{ "cc", PD_COMMAND_CC_ADD, NULL, parse_cc },
	{ "note", PD_COMMAND_NOTE, NULL, parse_no_value },
	{ "merge", PD_COMMAND_MERGE, NULL, parse_merge },
	{ "subject", PD_COMMAND_SUBJECT, NULL, parse_subject },
};

static const char *const type_names[] = {
	[PD_COMMAND_STATUS] = "status",  [PD_COMMAND_ASSIGN] = "assign", [PD_COMMAND_PRIORITY] = "priority",
	[PD_COMMAND_QUEUE] = "queue",    [PD_COMMAND_TAG] = "tag",       [PD_COMMAND_CC_ADD] = "cc",
	[PD_COMMAND_CC_REMOVE] = "cc",   [PD_COMMAND_NOTE] = "note",     [PD_COMMAND_MERGE] = "merge",
	[PD_COMMAND_SUBJECT] = "subject",
};

const char *
pd_command_type_name(pd_command_type type)
{
	return (guint)type < G_N_ELEMENTS(type_names) ? type_names[type] : "?";
}

static const cmd_spec *
find_command(const char *name)
{
	for (gsize i = 0; i < G_N_ELEMENTS(command_table); i++)
		if (strcmp(command_table[i].name, name) == 0)
			return &command_table[i];
	return NULL;
}

/* ---- characters ---- */

static gboolean
is_blank_char(char c)
{
	return c == ' ' || c == '\t';
}

/* What a value may not hold: C0 controls but TAB, DEL, C1 controls, and the
 * Unicode line and paragraph separators, which would break a header or a
 * log line as surely as an LF. */
static gboolean
is_control(gunichar c)
{
	return (c < 0x20 && c != '\t') || (c >= 0x7f && c <= 0x9f) || c == 0x2028 || c == 0x2029;
}

/* s made safe to quote in a receipt: invalid UTF-8 and control characters
 * become U+FFFD, and it is cut to max bytes at a character boundary. */
static char *
printable(const char *s, gsize len, gsize max)
{
	GString *out = g_string_sized_new(MIN(len, max) + 8);
	const char *p = s, *end = s + len;
	while (p < end) {
		gunichar c = g_utf8_get_char_validated(p, end - p);
		gboolean bad = c == (gunichar)-1 || c == (gunichar)-2;
		gsize n = bad ? 1 : (gsize)g_utf8_skip[*(const guchar *)p];
		if (bad || is_control(c))
			c = 0xfffd;
		if (out->len + (gsize)g_unichar_to_utf8(c, NULL) > max)
			break;
		g_string_append_unichar(out, c);
		p += n;
	}
	if (p < end)
		g_string_append(out, "\u2026");
	return g_string_free(out, FALSE);
}

#define NOT_UTF8 ((gunichar)-1)

/* Whether len bytes are no fit for a value: *bad_r is the first control
 * character, or NOT_UTF8. ASCII is looked at first, since g_utf8_validate()
 * would call a NUL merely invalid. */
static gboolean
find_bad_char(const char *s, gsize len, gunichar *bad_r)
{
	for (gsize i = 0; i < len; i++)
		if ((guchar)s[i] < 0x80 && is_control((guchar)s[i])) {
			*bad_r = (guchar)s[i];
			return TRUE;
		}
	if (!g_utf8_validate_len(s, len, NULL)) {
		*bad_r = NOT_UTF8;
		return TRUE;
	}
	for (const char *p = s; p < s + len; p = g_utf8_next_char(p))
		if (is_control(*bad_r = g_utf8_get_char(p)))
			return TRUE;
	return FALSE;
}

/* ---- "did you mean" ---- */

/* Optimal string alignment distance (Levenshtein with transpositions) of two
 * short ASCII words; longer input is cut, which only makes hints rarer. */
#define SAME(x, y) (g_ascii_tolower(x) == g_ascii_tolower(y))

static guint
edit_distance(const char *a, const char *b)
{
	enum { N = 24 };
	gsize n = MIN(strlen(a), (gsize)N - 1), m = MIN(strlen(b), (gsize)N - 1);
	guint d[N][N];
	for (gsize i = 0; i <= n; i++)
		d[i][0] = (guint)i;
	for (gsize j = 0; j <= m; j++)
		d[0][j] = (guint)j;
	for (gsize i = 1; i <= n; i++)
		for (gsize j = 1; j <= m; j++) {
			d[i][j] = MIN(MIN(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + !SAME(a[i - 1], b[j - 1]));
			if (i > 1 && j > 1 && SAME(a[i - 1], b[j - 2]) && SAME(a[i - 2], b[j - 1]))
				d[i][j] = MIN(d[i][j], d[i - 2][j - 2] + 1);
		}
	return d[n][m];
}

/* Whether word begins with known and then punctuation ("status:open"). */
static gboolean
glued_to(const char *word, const char *known)
{
	gsize n = strlen(known);
	return g_ascii_strncasecmp(word, known, n) == 0 && word[n] != '\0' && !g_ascii_isalnum(word[n]);
}

/* The known word closest to word: within one edit for short words, two for
 * longer ones; else the one it has punctuation glued to, or the only one it
 * begins ("#prio" for #priority). */
static const char *
closest(const char *word, const char *const *known, gsize n_known)
{
	gsize len = strlen(word);
	guint best = len <= 4 ? 1 : 2;
	const char *found = NULL, *glued = NULL, *prefix_of = NULL;
	guint prefixes = 0;
	for (gsize i = 0; i < n_known; i++) {
		guint d = edit_distance(word, known[i]);
		if (d < best || (d == best && found == NULL)) {
			best = d;
			found = known[i];
		}
		if (glued_to(word, known[i]))
			glued = known[i];
		if (len >= 3 && g_ascii_strncasecmp(known[i], word, len) == 0 && prefixes++ == 0)
			prefix_of = known[i];
	}
	if (found == NULL)
		found = glued != NULL ? glued : prefixes == 1 ? prefix_of : NULL;
	return found;
}

static void
hint_command(GString *err, const char *name)
{
	const char *names[G_N_ELEMENTS(command_table)];
	for (gsize i = 0; i < G_N_ELEMENTS(command_table); i++)
		names[i] = command_table[i].name;
	const char *best = closest(name, names, G_N_ELEMENTS(names));
	if (best != NULL) {
		g_string_append_printf(err, "; did you mean #%s?", best);
		return;
	}
	g_string_append(err, "; known commands:");
	for (gsize i = 0; i < G_N_ELEMENTS(names); i++)
		g_string_append_printf(err, "%s #%s", i > 0 ? "," : "", names[i]);
}

/* ---- values ---- */

/* args split at runs of spaces and tabs; never empty strings. g_strfreev. */
static char **
split_words(const char *args)
{
	GPtrArray *words = g_ptr_array_new();
	for (const char *p = args; *p != '\0';) {
		while (is_blank_char(*p))
			p++;
		const char *start = p;
		while (*p != '\0' && !is_blank_char(*p))
			p++;
		if (p > start)
			g_ptr_array_add(words, g_strndup(start, (gsize)(p - start)));
	}
	g_ptr_array_add(words, NULL);
	return (char **)g_ptr_array_free(words, FALSE);
}

/* Tags, queues and agent names: 1..max of [A-Za-z0-9._-], starting with a
 * letter or a digit, so "-x" can mean "remove x" without ambiguity. */
static gboolean
valid_name(const char *s, gsize max)
{
	gsize n = strlen(s);
	if (n == 0 || n > max || !g_ascii_isalnum(s[0]))
		return FALSE;
	for (gsize i = 0; i < n; i++)
		if (!g_ascii_isalnum(s[i]) && strchr("._-", s[i]) == NULL)
			return FALSE;
	return TRUE;
}

/* One of a fixed list of keywords, case-insensitive, returned in lower case. */
static gboolean
parse_keyword(const char *what, const char *const *list, const char *args, pd_command *c, GString *err)
{
	char **words = split_words(args);
	gboolean ok = FALSE;
	if (words[0] == NULL || words[1] != NULL) {
		char *all = g_strjoinv("|", (char **)list);
		g_string_append_printf(err, "needs one %s (%s)", what, all);
		g_free(all);
	} else {
		for (gsize i = 0; list[i] != NULL && !ok; i++)
			if (g_ascii_strcasecmp(words[0], list[i]) == 0) {
				c->value = g_strdup(list[i]);
				ok = TRUE;
			}
		if (!ok) {
			char *all = g_strjoinv(", ", (char **)list);
			const char *best = closest(words[0], list, g_strv_length((char **)list));
			g_string_append_printf(err, "\"%s\" is not a %s (%s)", words[0], what, all);
			if (best != NULL)
				g_string_append_printf(err, "; did you mean \"%s\"?", best);
			g_free(all);
		}
	}
	g_strfreev(words);
	return ok;
}

static gboolean
parse_no_value(const cmd_spec *spec, const pd_command_limits *lim, const char *args, pd_command *c, GString *err)
{
	if (*args != '\0') {
		g_string_append(err, "takes no value");
		return FALSE;
	}
	c->value = g_strdup(spec->fixed);
	return TRUE;
}

static gboolean
parse_status(const cmd_spec *spec, const pd_command_limits *lim, const char *args, pd_command *c, GString *err)
{
	return parse_keyword("status", statuses, args, c, err);
}

static gboolean
parse_priority(const cmd_spec *spec, const pd_command_limits *lim, const char *args, pd_command *c, GString *err)
{
	return parse_keyword("priority", priorities, args, c, err);
}

static gboolean
parse_queue(const cmd_spec *spec, const pd_command_limits *lim, const char *args, pd_command *c, GString *err)
{
	if (!valid_name(args, lim->max_tag)) {
		if (*args == '\0')
			g_string_append(err, "needs a queue name");
		else
			g_string_append_printf(err, "\"%s\" is not a queue name", args);
		g_string_append_printf(err, " (letters, digits, \".\", \"_\", \"-\"; at most %u)", lim->max_tag);
		return FALSE;
	}
	c->value = g_strdup(args);
	return TRUE;
}

/* RFC 5322 atext, and any byte of a UTF-8 sequence (RFC 6532). */
static gboolean
is_atext(guchar c)
{
	return g_ascii_isalnum(c) || c >= 0x80 || (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

/* A quoted local part: "..." with quoted pairs; s points at the opening quote. */
static gboolean
valid_quoted_local(const char *s, gsize n)
{
	if (n < 2 || s[n - 1] != '"')
		return FALSE;
	for (gsize i = 1; i < n - 1; i++) {
		if (s[i] == '\\' && i + 2 < n)
			i++;
		else if (s[i] == '"' || s[i] == '\\')
			return FALSE;
	}
	return TRUE;
}

static gboolean
valid_dot_atom(const char *s, gsize n)
{
	if (n == 0 || s[0] == '.' || s[n - 1] == '.')
		return FALSE;
	for (gsize i = 0; i < n; i++)
		if (s[i] == '.' ? s[i + 1] == '.' : !is_atext((guchar)s[i]))
			return FALSE;
	return TRUE;
}

/* A host name of LDH labels (or UTF-8 ones, an IDN written as text), at
 * least two of them, the last not all digits. A dotless domain is legal in
 * RFC 5322 but never deliverable from a help desk: a typo, refused. Address
 * literals ([192.0.2.1]) are refused for the same reason. */
static gboolean
valid_domain(const char *s, gsize n)
{
	guint labels = 0;
	gboolean alpha = FALSE;
	for (gsize i = 0; i <= n; labels++) {
		gsize start = i;
		alpha = FALSE;
		while (i < n && s[i] != '.') {
			guchar c = (guchar)s[i++];
			if (!g_ascii_isalnum(c) && c != '-' && c < 0x80)
				return FALSE;
			alpha = alpha || !g_ascii_isdigit(c);
		}
		gsize len = i - start;
		if (len == 0 || len > LABEL_MAX || s[start] == '-' || s[i - 1] == '-')
			return FALSE;
		i++;  /* past the dot, or past the end to stop */
	}
	return labels >= 2 && alpha && n <= 253;
}

/* local-part "@" domain, as an agent would type it in a #cc line. */
static gboolean
valid_address(const char *s)
{
	gsize n = strlen(s);
	const char *at = strrchr(s, '@');
	if (n > ADDRESS_MAX || at == NULL)
		return FALSE;
	gsize local = (gsize)(at - s);
	if (local == 0 || local > LOCAL_PART_MAX)
		return FALSE;
	if (!(s[0] == '"' ? valid_quoted_local(s, local) : valid_dot_atom(s, local)))
		return FALSE;
	return valid_domain(at + 1, n - local - 1);
}

static gboolean
parse_assign(const cmd_spec *spec, const pd_command_limits *lim, const char *args, pd_command *c, GString *err)
{
	char **words = split_words(args);
	gboolean ok = words[0] != NULL && words[1] == NULL;
	if (ok && (g_ascii_strcasecmp(words[0], "me") == 0 || g_ascii_strcasecmp(words[0], "none") == 0))
		c->value = g_ascii_strdown(words[0], -1);
	else if (ok && (strchr(words[0], '@') != NULL ? valid_address(words[0]) : valid_name(words[0], lim->max_tag)))
		c->value = g_strdup(words[0]);
	else {
		ok = FALSE;
		g_string_append(err, "needs one agent: an address, a name, \"me\" or \"none\"");
	}
	g_strfreev(words);
	return ok;
}

/* One word of #tag or #untag into add or remove; FALSE with a message when
 * it is no tag or the same tag is both added and removed. */
static gboolean
tag_word(const char *word, gboolean untag, const pd_command_limits *lim, GPtrArray *add, GPtrArray *remove,
         GString *err)
{
	gboolean minus = word[0] == '-';
	const char *tag = minus ? word + 1 : word;
	GPtrArray *into = minus || untag ? remove : add, *other = into == add ? remove : add;
	if (!valid_name(tag, lim->max_tag)) {
		g_string_append_printf(err, "\"%s\" is not a tag (letters, digits, \".\", \"_\", \"-\"; at most %u)",
		                       tag, lim->max_tag);
		return FALSE;
	}
	if (g_ptr_array_find_with_equal_func(other, tag, g_str_equal, NULL)) {
		g_string_append_printf(err, "tag \"%s\" is both added and removed", tag);
		return FALSE;
	}
	if (!g_ptr_array_find_with_equal_func(into, tag, g_str_equal, NULL))
		g_ptr_array_add(into, g_strdup(tag));
	return TRUE;
}

static char **
to_strv(GPtrArray *a)
{
	g_ptr_array_add(a, NULL);
	return (char **)g_ptr_array_free(a, FALSE);
}

static gboolean
parse_tag(const cmd_spec *spec, const pd_command_limits *lim, const char *args, pd_command *c, GString *err)
{
	char **words = split_words(args);
	GPtrArray *add = g_ptr_array_new_with_free_func(g_free), *remove = g_ptr_array_new_with_free_func(g_free);
	gboolean ok = words[0] != NULL;
	if (!ok)
		g_string_append(err, "needs at least one tag");
	for (gsize i = 0; ok && words[i] != NULL; i++)
		ok = tag_word(words[i], spec->fixed != NULL, lim, add, remove, err);
	g_strfreev(words);
	if (!ok) {
		g_ptr_array_unref(add);
		g_ptr_array_unref(remove);
		return FALSE;
	}
	g_ptr_array_set_free_func(add, NULL);
	g_ptr_array_set_free_func(remove, NULL);
	c->add = to_strv(add);
	c->remove = to_strv(remove);
	return TRUE;
}

/* "add ADDR", "remove ADDR", "ADDR" (add) or "-ADDR" (remove); the address
 * is the rest of the line, so a quoted local part may hold spaces, and may
 * come in angle brackets as it is pasted from a header. */
static gboolean
parse_cc(const cmd_spec *spec, const pd_command_limits *lim, const char *args, pd_command *c, GString *err)
{
	static const struct { const char *verb; pd_command_type type; } verbs[] = {
		{ "add", PD_COMMAND_CC_ADD }, { "remove", PD_COMMAND_CC_REMOVE },
	};
	const char *addr = args;
	c->type = PD_COMMAND_CC_ADD;
	for (gsize i = 0; i < G_N_ELEMENTS(verbs); i++) {
		gsize n = strlen(verbs[i].verb);
		if (g_ascii_strncasecmp(args, verbs[i].verb, n) == 0 && (args[n] == '\0' || is_blank_char(args[n]))) {
			c->type = verbs[i].type;
			for (addr = args + n; is_blank_char(*addr); addr++)
				;
		}
	}
	if (addr == args && *addr == '-') {
		c->type = PD_COMMAND_CC_REMOVE;
		addr++;
	}
	gsize n = strlen(addr);
	if (n >= 2 && addr[0] == '<' && addr[n - 1] == '>')
		c->value = g_strndup(addr + 1, n - 2);
	else
		c->value = g_strdup(addr);
	if (valid_address(c->value))
		return TRUE;
	if (*c->value == '\0')
		g_string_append(err, "needs an address (#cc add ADDRESS or #cc remove ADDRESS)");
	else
		g_string_append_printf(err, "\"%s\" is not an address (one address per #cc line)", c->value);
	return FALSE;
}

/* "#1042" or "1042": a ticket number, 1 or more. */
static gboolean
parse_merge(const cmd_spec *spec, const pd_command_limits *lim, const char *args, pd_command *c, GString *err)
{
	const char *num = args[0] == '#' ? args + 1 : args;
	guint64 n = 0;
	gboolean digits = num[0] != '\0' && strspn(num, "0123456789") == strlen(num);
	if (digits && g_ascii_string_to_unsigned(num, 10, 1, G_MAXUINT64, &n, NULL)) {
		c->ticket = n;
		return TRUE;
	}
	if (*args == '\0')
		g_string_append(err, "needs a ticket number (#merge 1042)");
	else
		g_string_append_printf(err, "\"%s\" is not a ticket number", args);
	return FALSE;
}

static gboolean
parse_subject(const cmd_spec *spec, const pd_command_limits *lim, const char *args, pd_command *c, GString *err)
{
	glong chars = g_utf8_strlen(args, -1);
	if (chars == 0 || (gulong)chars > lim->max_subject) {
		g_string_append_printf(err, "needs a subject of 1 to %u characters (this one has %ld)", lim->max_subject,
		                       chars);
		return FALSE;
	}
	c->value = g_strdup(args);
	return TRUE;
}

/* ---- lines and the block ---- */

typedef struct {
	const char *s;   /* the line, without its LF */
	gsize len;
	gsize next;      /* offset of the next line */
	guint no;        /* 1-based */
} text_line;

typedef struct {
	pd_command_limits lim;
	pd_commands *out;
	guint read;        /* command lines read, known or not */
	guint unknown;
	gboolean stopped;  /* the limits were reached: the rest of the block is not read */
	gboolean stop_reported;
} parser;

static text_line
line_at(const char *text, gsize len, gsize pos, guint no)
{
	const char *nl = memchr(text + pos, '\n', len - pos);
	gsize end = nl != NULL ? (gsize)(nl - text) : len;
	return (text_line){ text + pos, end - pos, nl != NULL ? end + 1 : len, no };
}

/* Spaces, tabs and no-break spaces (what HTML mail turns &nbsp; into). */
static gsize
indent(const char *s, gsize len)
{
	gsize i = 0;
	for (;;) {
		if (i < len && is_blank_char(s[i]))
			i++;
		else if (i + 1 < len && (guchar)s[i] == 0xc2 && (guchar)s[i + 1] == 0xa0)
			i += 2;
		else
			return i;
	}
}

static gboolean
is_blank_line(const text_line *l)
{
	return indent(l->s, l->len) == l->len;
}

static gboolean
is_command_line(const text_line *l)
{
	gsize i = indent(l->s, l->len);
	return i + 1 < l->len && l->s[i] == '#' && g_ascii_isalpha(l->s[i + 1]);
}

/* The command's name (after the "#", lower case) and where its value
 * starts. The name is letters, digits, "-" and "_"; printable characters
 * glued to it ("#close.", "#status:open") make it an unknown name, while a
 * control character right after it belongs to the value, to be refused
 * there under the command's own name. */
static char *
command_name(const text_line *l, gsize *value_r)
{
	gsize start = indent(l->s, l->len) + 1, i = start;
	while (i < l->len && (g_ascii_isalnum(l->s[i]) || l->s[i] == '-' || l->s[i] == '_'))
		i++;
	if (i < l->len && !is_blank_char(l->s[i]) && ((guchar)l->s[i] > 0x20 && (guchar)l->s[i] != 0x7f))
		while (i < l->len && !is_blank_char(l->s[i]))
			i++;
	*value_r = i;
	return g_ascii_strdown(l->s + start, (gssize)(i - start));
}

static void
add_error(parser *p, const text_line *l, char *message)
{
	pd_command_error *e = g_new0(pd_command_error, 1);
	e->line = l->no;
	e->text = printable(l->s, l->len, ERROR_LINE_MAX);
	e->message = message;
	g_ptr_array_add(p->out->errors, e);
}

static void
command_free(gpointer data)
{
	pd_command *c = data;
	g_free(c->value);
	g_strfreev(c->add);
	g_strfreev(c->remove);
	g_free(c);
}

static void
error_free(gpointer data)
{
	pd_command_error *e = data;
	g_free(e->text);
	g_free(e->message);
	g_free(e);
}

/* A value that passed the character checks: trimmed, run through the
 * command's own parser. */
static void
run_command(parser *p, const text_line *l, const cmd_spec *spec, const char *value, gsize n)
{
	while (n > 0 && is_blank_char(value[n - 1]))
		n--;
	while (n > 0 && is_blank_char(*value)) {
		value++;
		n--;
	}
	char *args = g_strndup(value, n);
	pd_command *c = g_new0(pd_command, 1);
	GString *err = g_string_new(NULL);
	c->type = spec->type;
	c->line = l->no;
	if (spec->parse(spec, &p->lim, args, c, err))
		g_ptr_array_add(p->out->commands, c);
	else {
		command_free(c);
		g_string_prepend(g_string_prepend(err, ": "), spec->name);
		add_error(p, l, g_strconcat("#", err->str, NULL));
	}
	g_string_free(err, TRUE);
	g_free(args);
}

static void
unknown_command(parser *p, const text_line *l, const char *name)
{
	char *shown = printable(name, strlen(name), NAME_SHOWN_MAX);
	GString *err = g_string_new(NULL);
	g_string_printf(err, "unknown command #%s", shown);
	hint_command(err, name);
	add_error(p, l, g_string_free(err, FALSE));
	g_free(shown);
	if (++p->unknown >= p->lim.max_unknown)
		p->stopped = TRUE;
}

/* Checks that hold for every command, in the order an agent would fix them. */
static void
read_command(parser *p, const text_line *l, const char *name, gsize value_at)
{
	const cmd_spec *spec = find_command(name);
	gunichar bad;
	if (l->len > p->lim.max_line)
		add_error(p, l, g_strdup_printf("%s%s%sthe line is longer than %" G_GSIZE_FORMAT " bytes",
		                                spec != NULL ? "#" : "", spec != NULL ? spec->name : "",
		                                spec != NULL ? ": " : "", p->lim.max_line));
	else if (spec == NULL)
		unknown_command(p, l, name);
	else if (find_bad_char(l->s + value_at, l->len - value_at, &bad))
		add_error(p, l, bad == NOT_UTF8 ? g_strdup_printf("#%s: the value is not valid UTF-8", spec->name)
		                : g_strdup_printf("#%s: the value contains a control character (U+%04X)", spec->name, bad));
	else
		run_command(p, l, spec, l->s + value_at, l->len - value_at);
}

static void
command_line(parser *p, const text_line *l)
{
	gsize value_at;
	char *name = command_name(l, &value_at);
	p->out->had_commands = TRUE;
	if (strcmp(name, "note") == 0)
		p->out->note = TRUE;
	if (!p->stopped && ++p->read > p->lim.max_commands) {
		add_error(p, l, g_strdup_printf("more than %u commands: this line and the rest of the block are not read",
		                                p->lim.max_commands));
		p->stopped = p->stop_reported = TRUE;
	} else if (!p->stopped)
		read_command(p, l, name, value_at);
	else if (!p->stop_reported) {
		add_error(p, l, g_strdup_printf("too many unknown commands (%u): this line and the rest of the block are "
		                                "not read", p->unknown));
		p->stop_reported = TRUE;
	}
	g_free(name);
}

void
pd_command_limits_init(pd_command_limits *limits)
{
	*limits = (pd_command_limits){
		.max_commands = 20, .max_unknown = 5, .max_line = 1000, .max_subject = 250, .max_tag = 64,
	};
}

static void
resolve_limits(pd_command_limits *lim, const pd_command_limits *given)
{
	pd_command_limits_init(lim);
	if (given == NULL)
		return;
	lim->max_commands = given->max_commands != 0 ? given->max_commands : lim->max_commands;
	lim->max_unknown = given->max_unknown != 0 ? given->max_unknown : lim->max_unknown;
	lim->max_line = given->max_line != 0 ? given->max_line : lim->max_line;
	lim->max_subject = given->max_subject != 0 ? given->max_subject : lim->max_subject;
	lim->max_tag = given->max_tag != 0 ? given->max_tag : lim->max_tag;
}

/* Blank lines, then the command lines; returns the offset of the first
 * line after the block. */
static gsize
read_block(parser *p, const char *text, gsize len)
{
	gsize pos = 0;
	guint no = 0;
	while (pos < len) {
		text_line l = line_at(text, len, pos, ++no);
		if (is_blank_line(&l) && !p->out->had_commands)
			;
		else if (is_command_line(&l))
			command_line(p, &l);
		else
			break;
		pos = l.next;
	}
	return pos;
}

pd_commands *
pd_commands_parse_len(const char *text, gsize len, const pd_command_limits *limits)
{
	parser p = { .out = g_new0(pd_commands, 1) };
	resolve_limits(&p.lim, limits);
	p.out->commands = g_ptr_array_new_with_free_func(command_free);
	p.out->errors = g_ptr_array_new_with_free_func(error_free);
	if (text == NULL) {
		text = "";
		len = 0;
	}
	gsize pos = read_block(&p, text, len);
	if (p.out->had_commands) {
		/* The blank lines after the block separate it from the reply. */
		while (pos < len) {
			text_line l = line_at(text, len, pos, 0);
			if (!is_blank_line(&l))
				break;
			pos = l.next;
		}
		p.out->reply_offset = pos;
	}
	gsize off = p.out->reply_offset;
	p.out->reply = g_malloc(len - off + 1);
	memcpy(p.out->reply, text + off, len - off);
	p.out->reply[len - off] = '\0';
	return p.out;
}

pd_commands *
pd_commands_parse(const char *text, const pd_command_limits *limits)
{
	return pd_commands_parse_len(text, text != NULL ? strlen(text) : 0, limits);
}

void
pd_commands_free(pd_commands **cmds)
{
	if (cmds == NULL || *cmds == NULL)
		return;
	g_ptr_array_unref((*cmds)->commands);
	g_ptr_array_unref((*cmds)->errors);
	g_free((*cmds)->reply);
	g_clear_pointer(cmds, g_free);
}

/* ---- receipts ---- */

static void
describe_tags(GString *out, const char *verb, char **tags)
{
	if (tags == NULL || tags[0] == NULL)
		return;
	char *list = g_strjoinv(", ", tags);
	g_string_append_printf(out, "%s%s tag%s %s", out->len > 0 ? "; " : "", verb, tags[1] != NULL ? "s" : "", list);
	g_free(list);
}

char *
pd_commands_describe(const pd_command *c)
{
	const char *v = c->value != NULL ? c->value : "";
	switch (c->type) {
	case PD_COMMAND_STATUS:
		return g_strdup_printf("set status to %s", v);
	case PD_COMMAND_ASSIGN:
		return strcmp(v, "none") == 0 ? g_strdup("unassign") : g_strdup_printf("assign to %s", v);
	case PD_COMMAND_PRIORITY:
		return g_strdup_printf("set priority to %s", v);
	case PD_COMMAND_QUEUE:
		return g_strdup_printf("move to queue %s", v);
	case PD_COMMAND_TAG: {
		GString *out = g_string_new(NULL);
		describe_tags(out, "add", c->add);
		describe_tags(out, "remove", c->remove);
		return g_string_free(out, FALSE);
	}
	case PD_COMMAND_CC_ADD:
		return g_strdup_printf("add %s to Cc", v);
	case PD_COMMAND_CC_REMOVE:
		return g_strdup_printf("remove %s from Cc", v);
	case PD_COMMAND_NOTE:
		return g_strdup("internal note: not sent to the requester");
	case PD_COMMAND_MERGE:
		return g_strdup_printf("merge into #%" G_GUINT64_FORMAT, c->ticket);
	case PD_COMMAND_SUBJECT:
		return g_strdup_printf("set subject to \"%s\"", v);
	}
	return g_strdup("?");
}
