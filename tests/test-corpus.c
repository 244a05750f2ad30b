/* test-corpus.c: every mail of the shared corpus through postdesk's parser, and agreement with other parsers' expected results. */
#include "corpus-util.h"
#include "parse-util.h"
#include "parse/parse.h"

#include <gmime/gmime.h>
#include <json-glib/json-glib.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Two things are checked. First, every mail file of the corpus (about 1,500
 * from two dozen projects' test suites, many of them hostile) parses without
 * a crash, within PD_CORPUS_MAX_SECONDS, into fields that are valid UTF-8.
 * Second, where a source publishes what it expects of a mail, our fields are
 * compared with it, and the agreement per source and field is printed as
 * TAP comments. The test fails when a field's agreement over all sources,
 * counting the cases listed in tests/corpus-disagreements.txt as agreed by
 * decision, falls under its target.
 *
 * How fields compare:
 *  - decoded header strings (subject, display names, addresses, ids):
 *    equal after trimming and collapsing white space;
 *  - list fields (attachment names and types, recipients, references):
 *    the items, in MIME order, joined and compared the same way;
 *  - bodies: white space collapsed. Where the expected body is plain text,
 *    it must equal ours. Where it is HTML (zammad keeps the cleaned HTML,
 *    stalwart the HTML part of an HTML-only mail), its tags are stripped and
 *    entities decoded, and its first PD_HTML_PREFIX characters must occur in
 *    our body: we render links and lists in our own way and prefer
 *    text/plain where a mail has both, so whole-text equality would measure
 *    rendering taste, not whether we found the right part and decoded it.
 */

#define PD_CORPUS_MAX_SECONDS 2.0
#define PD_HTML_PREFIX 200

/* Targets in percent: the test fails under them. */
static const struct {
	const char *field;
	double target;
} targets[] = {
	{ "subject", 98.0 },
	{ "from", 98.0 },
	{ "from_name", 98.0 },
	{ "attachments", 98.0 },
	{ "body", 95.0 },
};

/* Files of the corpus that are not mail: expected results, licences,
 * structure dumps, and raw samples of encodings and charsets. */
static const char *const skip_names[] = { "README", "LICENSE", "COPYING", "expected", ".gitattributes", "gitattributes" };
static const char *const skip_suffixes[] = {
	".yml", ".json", ".xml", ".out", ".bin", ".list", ".ref", ".ref2", ".ref3", ".html", ".tnef",
	".b64", ".qp", ".uu", ".jpg", ".md",
};
static const char *const skip_dirs[] = {
	"trimmed", "elided", "embedded", "before",   /* discourse reply trimmer: expected texts */
	"stripped",                                  /* talon: expected signature splits */
	"output", "filters", "encodings",            /* gmime: expected mbox, charset and codec samples */
	"headers",                                   /* stalwart: header vectors (JSON) */
};

typedef struct {
	char *source;
	char *field;
	guint agreed, decided, total;
} tally;

typedef struct {
	char *key;       /* source, file, field */
	char *expected;
	char *got;
	char *reason;    /* the decision, NULL when undecided */
} disagreement;

static char *corpus;
static GHashTable *decisions;   /* "source\tfile\tfield" -> reason */
static GHashTable *used;        /* the decisions that matched a disagreement */
static GPtrArray *tallies;      /* of tally* */
static GPtrArray *disagreements;
static guint parsed, invalid;
static double slowest;
static char *slowest_file;

/* A TAP comment, line by line. Not g_test_message: that goes through
 * g_print, which turns the UTF-8 of subjects and bodies into '?' under a C
 * locale, and the point of these lines is to show that text. */
static void G_GNUC_PRINTF(1, 2)
note(const char *fmt, ...)
{
	va_list ap;
	char *text, **lines;

	va_start(ap, fmt);
	text = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	lines = g_strsplit(text, "\n", -1);
	for (guint i = 0; lines[i] != NULL; i++)
		printf("# %s\n", lines[i]);
	fflush(stdout);
	g_strfreev(lines);
	g_free(text);
}

/* ---- text helpers -------------------------------------------------------- */

/* Text of the expected bytes: UTF-8 as it is, else in the declared
 * charset, else windows-1252 (every byte maps). */
static char *
to_utf8(const char *data, gsize len, const char *charset)
{
	char *out;

	if (g_utf8_validate(data, (gssize) len, NULL))
		return g_strndup(data, len);
	if (charset != NULL && (out = g_convert(data, (gssize) len, "UTF-8", charset, NULL, NULL, NULL)) != NULL)
		return out;
	out = g_convert(data, (gssize) len, "UTF-8", "WINDOWS-1252", NULL, NULL, NULL);
	return out != NULL ? out : g_utf8_make_valid(data, (gssize) len);
}

static const struct {
	const char *name;
	const char *text;
} entities[] = {
	{ "nbsp", " " }, { "amp", "&" }, { "lt", "<" }, { "gt", ">" }, { "quot", "\"" }, { "apos", "'" },
};

/* One entity at p ("&amp;", "&#228;"); appends it and returns its length, 0 if none. */
static gsize
entity(const char *p, GString *out)
{
	const char *end = strchr(p, ';');
	gsize len = end != NULL ? (gsize) (end - p) + 1 : 0;

	if (len < 3 || len > 10)
		return 0;
	if (p[1] == '#') {
		gunichar c = p[2] == 'x' || p[2] == 'X' ? (gunichar) g_ascii_strtoull(p + 3, NULL, 16)
		                                        : (gunichar) g_ascii_strtoull(p + 2, NULL, 10);

		if (!g_unichar_validate(c) || c == 0)
			return 0;
		g_string_append_unichar(out, c == 0xA0 ? ' ' : c);
		return len;
	}
	for (gsize i = 0; i < G_N_ELEMENTS(entities); i++)
		if (strlen(entities[i].name) == len - 2 && strncmp(p + 1, entities[i].name, len - 2) == 0) {
			g_string_append(out, entities[i].text);
			return len;
		}
	return 0;
}

/* A tag that ends a line of text: it becomes a space, other tags vanish
 * (zammad splits words over <span>s). */
static gboolean
block_tag(const char *tag)
{
	static const char *const blocks[] = {
		"br", "p", "div", "li", "tr", "td", "th", "table", "blockquote", "hr", "ul", "ol",
		"h1", "h2", "h3", "h4", "h5", "h6", "pre",
	};
	gsize n = 0;

	tag += tag[1] == '/' ? 2 : 1;
	while (g_ascii_isalnum(tag[n]))
		n++;
	for (gsize i = 0; i < G_N_ELEMENTS(blocks); i++)
		if (strlen(blocks[i]) == n && g_ascii_strncasecmp(tag, blocks[i], n) == 0)
			return TRUE;
	return FALSE;
}

/* Elements whose content no reader sees (a <title> is a window's name);
 * returns the length of the whole element at p, 0 if p starts none. */
static gsize
hidden_element(const char *p)
{
	static const char *const hidden[] = { "head", "style", "script", "title" };

	for (gsize i = 0; i < G_N_ELEMENTS(hidden); i++) {
		gsize n = strlen(hidden[i]);

		if (p[0] == '<' && g_ascii_strncasecmp(p + 1, hidden[i], n) == 0 && !g_ascii_isalnum(p[n + 1])) {
			char *close = g_strdup_printf("</%s>", hidden[i]);
			const char *e = p + n + 1;

			while (*e != '\0' && g_ascii_strncasecmp(e, close, n + 3) != 0)
				e++;
			g_free(close);
			return (gsize) (e - p) + (*e != '\0' ? n + 3 : 0);
		}
	}
	return 0;
}

/* The text of an expected HTML body: tags out, entities decoded, and what
 * no reader sees (head, style, script, comments) dropped. */
static char *
html_text(const char *html)
{
	GString *out = g_string_new(NULL);
	const char *p = html;

	while (*p != '\0') {
		gsize n;

		if ((n = hidden_element(p)) > 0) {
			p += n;
		} else if (strncmp(p, "<!--", 4) == 0) {
			const char *e = strstr(p, "-->");

			p = e != NULL ? e + 3 : p + strlen(p);
		} else if (*p == '<' && (g_ascii_isalpha(p[1]) || p[1] == '/' || p[1] == '!')) {
			const char *e = strchr(p, '>');

			if (block_tag(p))
				g_string_append_c(out, ' ');
			p = e != NULL ? e + 1 : p + strlen(p);
		} else if (*p == '&' && (n = entity(p, out)) > 0) {
			p += n;
		} else {
			g_string_append_c(out, *p++);
		}
	}
	return g_string_free(out, FALSE);
}

/* ---- counting ------------------------------------------------------------ */

static tally *
tally_for(const char *source, const char *field)
{
	tally *t;

	for (guint i = 0; i < tallies->len; i++) {
		t = tallies->pdata[i];
		if (strcmp(t->source, source) == 0 && strcmp(t->field, field) == 0)
			return t;
	}
	t = g_new0(tally, 1);
	t->source = g_strdup(source);
	t->field = g_strdup(field);
	g_ptr_array_add(tallies, t);
	return t;
}

static void
tally_free(gpointer data)
{
	tally *t = data;

	g_free(t->source);
	g_free(t->field);
	g_free(t);
}

static void
disagreement_free(gpointer data)
{
	disagreement *d = data;

	g_free(d->key);
	g_free(d->expected);
	g_free(d->got);
	g_free(d);
}

/* One comparison: counted as agreed, agreed by decision, or kept for the report. */
static void
record(const char *source, const char *file, const char *field, gboolean agree,
       const char *expected, const char *got)
{
	tally *t = tally_for(source, field);
	disagreement *d;

	t->total++;
	if (agree) {
		t->agreed++;
		return;
	}
	d = g_new0(disagreement, 1);
	d->key = g_strdup_printf("%s\t%s\t%s", source, file, field);
	d->expected = corpus_shorten(expected, 100);
	d->got = corpus_shorten(got, 100);
	d->reason = g_hash_table_lookup(decisions, d->key);
	if (d->reason != NULL) {
		t->decided++;
		g_hash_table_add(used, g_strdup(d->key));
	}
	g_ptr_array_add(disagreements, d);
}

/* Decoded strings: equal after trimming and collapsing white space. */
static void
compare_str(const char *source, const char *file, const char *field, const char *expected, const char *got)
{
	char *e = corpus_norm(expected), *g = corpus_norm(got);

	record(source, file, field, strcmp(e, g) == 0, e, g);
	g_free(e);
	g_free(g);
}

/* Bodies: see the top of the file. */
static void
compare_body(const char *source, const char *file, const char *expected, gboolean is_html, const char *got)
{
	char *text = is_html ? html_text(expected) : g_strdup(expected);
	char *e = corpus_norm(text), *g = corpus_norm(got);
	gboolean agree = strcmp(e, g) == 0;

	if (!agree && is_html) {
		/* g_utf8_substring reads past the end if asked for more than there is. */
		char *prefix = g_utf8_substring(e, 0, MIN(PD_HTML_PREFIX, g_utf8_strlen(e, -1)));

		agree = strstr(g, prefix) != NULL;
		g_free(prefix);
	}
	record(source, file, "body", agree, e, g);
	g_free(text);
	g_free(e);
	g_free(g);
}

/* "mail001.box" -> "mail001.yml": the expected file beside a mail. */
static char *
replace_suffix(const char *path, const char *old, const char *new)
{
	char *base = g_strndup(path, strlen(path) - strlen(old));
	char *out = g_strconcat(base, new, NULL);

	g_free(base);
	return out;
}

/* Our attachments' names (or types), in MIME order, one per line. */
static char *
our_attachments(const pd_message *msg, gboolean types)
{
	GString *out = g_string_new(NULL);

	for (guint i = 0; i < msg->attachments->len; i++) {
		const pd_attachment *a = msg->attachments->pdata[i];
		const char *s = types ? a->content_type : a->filename;

		g_string_append_printf(out, "%s%s", i > 0 ? "\n" : "", s != NULL ? s : "");
	}
	return g_string_free(out, FALSE);
}

static char *
our_addresses(GPtrArray *list)
{
	GString *out = g_string_new(NULL);

	for (guint i = 0; i < list->len; i++) {
		const pd_address *a = list->pdata[i];

		g_string_append_printf(out, "%s%s", i > 0 ? ", " : "", a->addr);
	}
	return g_string_free(out, FALSE);
}

/* ---- zammad: mailNNN.box + mailNNN.yml ------------------------------------ */

/*
 * The .yml files are Ruby's YAML dump of a hash: top-level scalars (plain,
 * quoted, or block), and an attachments list of hashes with a preferences
 * hash. This reader knows exactly that much: an entry is "key: value" at
 * some indent (a "- " item counts as two more), and a value continues over
 * the following lines indented deeper than its key.
 */
typedef struct {
	int indent;
	gboolean item;     /* the line began a list item */
	char *key;
	char *value;       /* NULL for a nested hash or list */
} yaml_entry;

static int
indent_of(const char *line)
{
	int n = 0;

	while (line[n] == ' ')
		n++;
	return n;
}

/* Escapes of a double-quoted scalar, after folding. */
static char *
yaml_unescape(const char *s)
{
	GString *out = g_string_new(NULL);

	for (const char *p = s; *p != '\0'; p++) {
		if (*p != '\\' || p[1] == '\0') {
			g_string_append_c(out, *p);
			continue;
		}
		switch (*++p) {
		case 'n': g_string_append_c(out, '\n'); break;
		case 't': g_string_append_c(out, '\t'); break;
		case 'r': g_string_append_c(out, '\r'); break;
		case '0': break;
		case 'x': case 'u': case 'U': {
			int digits = *p == 'x' ? 2 : *p == 'u' ? 4 : 8;
			char hex[9] = { 0 };

			strncpy(hex, p + 1, (gsize) digits);
			g_string_append_unichar(out, (gunichar) g_ascii_strtoull(hex, NULL, 16));
			p += strlen(hex);
			break;
		}
		default: g_string_append_c(out, *p); break;
		}
	}
	return g_string_free(out, FALSE);
}

/* The scalar that starts with first and continues over cont (lines already
 * known to belong to it), by its style. */
static char *
yaml_scalar(const char *first, char **cont, guint n)
{
	GString *joined = g_string_new(NULL);
	gboolean block = first[0] == '|' || first[0] == '>';
	int block_indent = -1;
	char *out;

	if (!block)
		g_string_append(joined, first);
	for (guint i = 0; i < n; i++) {
		if (block) {
			if (block_indent < 0 && cont[i][0] != '\0')
				block_indent = indent_of(cont[i]);
			g_string_append(joined, (int) strlen(cont[i]) > block_indent && block_indent > 0
			                        ? cont[i] + block_indent : "");
			g_string_append_c(joined, '\n');
		} else if (joined->len > 0 && joined->str[joined->len - 1] == '\\' && first[0] == '"') {
			g_string_truncate(joined, joined->len - 1);   /* an escaped line break joins */
			g_string_append(joined, g_strchug(cont[i]));
		} else {
			g_string_append_c(joined, cont[i][0] == '\0' ? '\n' : ' ');
			g_string_append(joined, g_strchug(cont[i]));
		}
	}
	if (first[0] == '\'' && joined->len >= 2) {
		char **parts;

		g_string_truncate(joined, joined->len - 1);
		parts = g_strsplit(joined->str + 1, "''", -1);
		out = g_strjoinv("'", parts);
		g_strfreev(parts);
	} else if (first[0] == '"' && joined->len >= 2) {
		g_string_truncate(joined, joined->len - 1);
		out = yaml_unescape(joined->str + 1);
	} else {
		out = g_strdup(joined->str);
	}
	g_string_free(joined, TRUE);
	return out;
}

/* The entry at lines[*i], advancing *i past it and its continuation lines. */
static gboolean
yaml_next(char **lines, guint *i, yaml_entry *e)
{
	char *line = lines[*i], *colon, *rest;
	guint start;

	memset(e, 0, sizeof *e);
	e->indent = indent_of(line);
	line += e->indent;
	if (line[0] == '-' && line[1] == ' ') {
		e->item = TRUE;
		line += 2;
		e->indent += 2;
	}
	(*i)++;
	colon = strstr(line, ": ");
	if (colon == NULL && g_str_has_suffix(line, ":"))
		colon = line + strlen(line) - 1;
	if (colon == NULL || line[0] == '\0' || line[0] == '!')
		return e->item;   /* "- !ruby/hash:..." begins an item with its keys below */
	e->key = g_strndup(line, (gsize) (colon - line));
	rest = g_strstrip(g_strdup(colon + 1));
	if (rest[0] == '\0' || rest[0] == '!') {
		g_free(rest);
		return TRUE;
	}
	start = *i;
	while (lines[*i] != NULL && (lines[*i][0] == '\0' || indent_of(lines[*i]) > e->indent))
		(*i)++;
	while (*i > start && lines[*i - 1][0] == '\0')   /* trailing blank lines belong to no one */
		(*i)--;
	e->value = yaml_scalar(rest, lines + start, *i - start);
	g_free(rest);
	return TRUE;
}

typedef struct {
	GHashTable *top;         /* key -> value */
	GPtrArray *attachments;  /* of GHashTable*: filename, Mime-Type, content-alternative, ... */
} zammad_expect;

static void
zammad_expect_clear(zammad_expect *z)
{
	g_hash_table_unref(z->top);
	g_ptr_array_free(z->attachments, TRUE);
}

static void
zammad_read(const char *yml, zammad_expect *z)
{
	char **lines = g_strsplit(yml, "\n", -1);
	GHashTable *item = NULL;
	guint i = 0;

	z->top = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	z->attachments = g_ptr_array_new_with_free_func((GDestroyNotify) g_hash_table_unref);
	for (guint k = 0; lines[k] != NULL; k++)
		g_strchomp(lines[k]);
	while (lines[i] != NULL) {
		yaml_entry e;

		if (g_str_has_prefix(lines[i], "---") || lines[i][0] == '\0') {
			i++;
			continue;
		}
		yaml_next(lines, &i, &e);
		if (e.item) {
			item = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
			g_ptr_array_add(z->attachments, item);
		}
		if (e.key != NULL && e.value != NULL)   /* preferences' keys land in the item too */
			g_hash_table_insert(e.indent == 0 || item == NULL ? z->top : item, e.key, e.value);
		else
			g_free(e.key);
		if (e.indent == 0 && !e.item)
			item = NULL;
	}
	g_strfreev(lines);
}

/* Zammad adds the HTML body as an attachment "message.html" (marked
 * original-format or content-alternative); postdesk keeps that as
 * body_html, so those are not attachments to compare. */
static gboolean
zammad_real_attachment(GHashTable *a)
{
	return g_hash_table_lookup(a, "content-alternative") == NULL &&
	       g_hash_table_lookup(a, "original-format") == NULL;
}

static char *
zammad_attachments(const zammad_expect *z, gboolean types)
{
	GString *out = g_string_new(NULL);
	gboolean first = TRUE;

	for (guint i = 0; i < z->attachments->len; i++) {
		GHashTable *a = z->attachments->pdata[i];
		const char *s = types ? g_hash_table_lookup(a, "Mime-Type") : g_hash_table_lookup(a, "filename");

		if (types && s == NULL)
			s = g_hash_table_lookup(a, "Content-Type");
		if (!zammad_real_attachment(a))
			continue;
		g_string_append_printf(out, "%s%s", first ? "" : "\n", s != NULL ? s : "");
		first = FALSE;
	}
	return g_string_free(out, FALSE);
}

static void
compare_zammad(const char *file, const char *path, const pd_message *msg)
{
	char *yml_path, *data = NULL;
	zammad_expect z;
	const char *v;

	if (!g_str_has_suffix(path, ".box"))
		return;
	yml_path = replace_suffix(path, ".box", ".yml");
	if (!g_file_get_contents(yml_path, &data, NULL, NULL)) {
		g_free(yml_path);
		return;
	}
	zammad_read(data, &z);
	if ((v = g_hash_table_lookup(z.top, "subject")) != NULL)
		compare_str("zammad", file, "subject", v, msg->subject);
	if ((v = g_hash_table_lookup(z.top, "from_email")) != NULL)
		compare_str("zammad", file, "from", v, msg->from != NULL ? msg->from->addr : "");
	if ((v = g_hash_table_lookup(z.top, "from_display_name")) != NULL)
		compare_str("zammad", file, "from_name", v, msg->from != NULL ? msg->from->name : "");
	if ((v = g_hash_table_lookup(z.top, "body")) != NULL) {
		const char *type = g_hash_table_lookup(z.top, "content_type");

		compare_body("zammad", file, v, type == NULL || strcmp(type, "text/html") == 0, msg->body);
	}
	if (g_hash_table_contains(z.top, "attachments") || z.attachments->len > 0) {
		char *e = zammad_attachments(&z, FALSE), *g = our_attachments(msg, FALSE);

		compare_str("zammad", file, "attachments", e, g);
		g_free(e);
		g_free(g);
		e = zammad_attachments(&z, TRUE);
		g = our_attachments(msg, TRUE);
		compare_str("zammad", file, "attachment_types", e, g);
		g_free(e);
		g_free(g);
	}
	zammad_expect_clear(&z);
	g_free(data);
	g_free(yml_path);
}

/* ---- stalwart-mail-parser: NNN.eml + NNN.json ------------------------------ */

/* A member that is an object, else NULL: stalwart writes "Empty" as a plain string. */
static JsonObject *
member_object(JsonObject *o, const char *name)
{
	JsonNode *n = o != NULL ? json_object_get_member(o, name) : NULL;

	return n != NULL && JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : NULL;
}

/* The value of a top-level header in the JSON ("from", "subject", ...), or NULL. */
static JsonObject *
stalwart_header(JsonObject *part, const char *name)
{
	JsonArray *headers = json_object_get_array_member(part, "headers");

	for (guint i = 0; i < json_array_get_length(headers); i++) {
		JsonObject *h = json_array_get_object_element(headers, i);
		JsonNode *n = json_object_get_member(h, "name");

		if (JSON_NODE_HOLDS_VALUE(n) && strcmp(json_node_get_string(n), name) == 0)
			return member_object(h, "value");
	}
	return NULL;
}

/* Addresses of an "Address" value: a List, or Groups of lists, flattened. */
static void
stalwart_addresses(JsonObject *value, GPtrArray *out)
{
	JsonObject *addr = member_object(value, "Address");
	JsonArray *list = addr != NULL && json_object_has_member(addr, "List") ? json_object_get_array_member(addr, "List") : NULL;
	JsonArray *groups = addr != NULL && json_object_has_member(addr, "Group") ? json_object_get_array_member(addr, "Group") : NULL;

	for (guint i = 0; list != NULL && i < json_array_get_length(list); i++)
		g_ptr_array_add(out, json_array_get_object_element(list, i));
	for (guint g = 0; groups != NULL && g < json_array_get_length(groups); g++) {
		JsonObject *group = json_array_get_object_element(groups, g);
		JsonArray *members = json_object_get_array_member(group, "addresses");

		for (guint i = 0; members != NULL && i < json_array_get_length(members); i++)
			g_ptr_array_add(out, json_array_get_object_element(members, i));
	}
}

static const char *
member_string(JsonObject *o, const char *name)
{
	JsonNode *n = o != NULL ? json_object_get_member(o, name) : NULL;

	return n != NULL && JSON_NODE_HOLDS_VALUE(n) ? json_node_get_string(n) : NULL;
}

/* Text or TextList value, items joined by a space. */
static char *
stalwart_text(JsonObject *value)
{
	JsonArray *list;
	GString *out;

	if (member_string(value, "Text") != NULL)
		return g_strdup(member_string(value, "Text"));
	if (!json_object_has_member(value, "TextList"))
		return NULL;
	list = json_object_get_array_member(value, "TextList");
	out = g_string_new(NULL);
	for (guint i = 0; i < json_array_get_length(list); i++)
		g_string_append_printf(out, "%s%s", i > 0 ? " " : "", json_array_get_string_element(list, i));
	return g_string_free(out, FALSE);
}

/* A part's file name: Content-Disposition filename, else Content-Type name. */
static const char *
stalwart_filename(JsonObject *part)
{
	static const char *const where[][2] = { { "content_disposition", "filename" }, { "content_type", "name" } };

	for (gsize w = 0; w < G_N_ELEMENTS(where); w++) {
		JsonObject *v = stalwart_header(part, where[w][0]);
		JsonObject *ct = member_object(v, "ContentType");
		JsonNode *attrs = ct != NULL ? json_object_get_member(ct, "attributes") : NULL;

		for (guint i = 0; attrs != NULL && JSON_NODE_HOLDS_ARRAY(attrs) &&
		                  i < json_array_get_length(json_node_get_array(attrs)); i++) {
			JsonObject *a = json_array_get_object_element(json_node_get_array(attrs), i);

			if (g_ascii_strcasecmp(member_string(a, "name"), where[w][1]) == 0)
				return member_string(a, "value");
		}
	}
	return NULL;
}

static void
compare_stalwart_addresses(const char *file, JsonObject *top, const pd_message *msg)
{
	JsonObject *v;

	if ((v = stalwart_header(top, "from")) != NULL && json_object_has_member(v, "Address")) {
		GPtrArray *list = g_ptr_array_new();

		stalwart_addresses(v, list);
		if (list->len > 0) {
			const char *addr = member_string(list->pdata[0], "address");
			const char *name = member_string(list->pdata[0], "name");

			compare_str("stalwart", file, "from", addr, msg->from != NULL ? msg->from->addr : "");
			compare_str("stalwart", file, "from_name", name, msg->from != NULL ? msg->from->name : "");
		}
		g_ptr_array_free(list, TRUE);
	}
	if ((v = stalwart_header(top, "to")) != NULL && json_object_has_member(v, "Address")) {
		GPtrArray *list = g_ptr_array_new();
		GString *e = g_string_new(NULL);
		char *g = our_addresses(msg->to);

		stalwart_addresses(v, list);
		for (guint i = 0; i < list->len; i++) {
			const char *addr = member_string(list->pdata[i], "address");

			g_string_append_printf(e, "%s%s", i > 0 ? ", " : "", addr != NULL ? addr : "");
		}
		compare_str("stalwart", file, "to", e->str, g);
		g_string_free(e, TRUE);
		g_free(g);
		g_ptr_array_free(list, TRUE);
	}
}

static void
compare_stalwart_ids(const char *file, JsonObject *top, const pd_message *msg)
{
	static const char *const fields[] = { "message_id", "in_reply_to", "references" };

	for (gsize f = 0; f < G_N_ELEMENTS(fields); f++) {
		JsonObject *v = stalwart_header(top, fields[f]);
		char *e = v != NULL ? stalwart_text(v) : NULL;
		char *g;

		if (e == NULL)
			continue;
		if (f == 0)
			g = g_strdup(msg->message_id != NULL ? msg->message_id : "");
		else if (f == 1)
			g = g_strdup(msg->in_reply_to != NULL ? msg->in_reply_to : "");
		else {
			g_ptr_array_add(msg->references, NULL);
			g = g_strjoinv(" ", (char **) msg->references->pdata);
			g_ptr_array_remove_index(msg->references, msg->references->len - 1);
		}
		compare_str("stalwart", file, fields[f], e, g);
		g_free(e);
		g_free(g);
	}
}

/* text_body: the parts a reader sees as the text, joined; HTML ones as HTML. */
static void
compare_stalwart_body(const char *file, JsonObject *root, JsonArray *parts, const pd_message *msg)
{
	JsonArray *text = json_object_get_array_member(root, "text_body");
	GString *e = g_string_new(NULL);
	gboolean html = FALSE;

	for (guint i = 0; i < json_array_get_length(text); i++) {
		guint idx = (guint) json_array_get_int_element(text, i);
		JsonObject *body = idx < json_array_get_length(parts)
		                   ? member_object(json_array_get_object_element(parts, idx), "body") : NULL;
		const char *s = member_string(body, "Text");

		if (s == NULL && (s = member_string(body, "Html")) != NULL)
			html = TRUE;
		g_string_append_printf(e, "%s%s", i > 0 ? "\n" : "", s != NULL ? s : "");
	}
	if (json_array_get_length(text) > 0)
		compare_body("stalwart", file, e->str, html, msg->body);
	g_string_free(e, TRUE);
}

static void
compare_stalwart_attachments(const char *file, JsonObject *root, JsonArray *parts, const pd_message *msg)
{
	JsonArray *att = json_object_get_array_member(root, "attachments");
	GString *e = g_string_new(NULL);
	char *g = our_attachments(msg, FALSE);

	for (guint i = 0; i < json_array_get_length(att); i++) {
		guint idx = (guint) json_array_get_int_element(att, i);
		const char *name = idx < json_array_get_length(parts)
		                   ? stalwart_filename(json_array_get_object_element(parts, idx)) : NULL;

		g_string_append_printf(e, "%s%s", i > 0 ? "\n" : "", name != NULL ? name : "");
	}
	compare_str("stalwart", file, "attachments", e->str, g);
	g_string_free(e, TRUE);
	g_free(g);
}

static void
compare_stalwart(const char *file, const char *path, const pd_message *msg)
{
	char *json_path;
	JsonParser *parser;
	JsonObject *root, *top, *v;
	JsonArray *parts;

	if (!g_str_has_suffix(path, ".eml"))
		return;
	json_path = replace_suffix(path, ".eml", ".json");
	parser = json_parser_new();
	if (!json_parser_load_from_file(parser, json_path, NULL)) {
		g_object_unref(parser);
		g_free(json_path);
		return;
	}
	root = json_node_get_object(json_parser_get_root(parser));
	parts = json_object_get_array_member(root, "parts");
	top = json_array_get_object_element(parts, 0);
	if ((v = stalwart_header(top, "subject")) != NULL) {
		char *e = stalwart_text(v);

		compare_str("stalwart", file, "subject", e, msg->subject);
		g_free(e);
	}
	compare_stalwart_addresses(file, top, msg);
	compare_stalwart_ids(file, top, msg);
	compare_stalwart_body(file, root, parts, msg);
	compare_stalwart_attachments(file, root, parts, msg);
	g_object_unref(parser);
	g_free(json_path);
}

/* ---- mime4j: NAME.msg + NAME_decoded.xml + NAME_decoded_N.txt -------------- */

/*
 * NAME_decoded.xml is the structure with each decoded body named
 * (<text-body name="NAME_decoded_1_1.txt"/>) after its part's header. The
 * expected text is the first text body whose part is text/plain (no
 * Content-Type counts as text/plain), converted from its charset: mime4j
 * stores the decoded bytes as they are.
 */
static char *
header_param(const char *header, const char *param)
{
	char *lower = g_ascii_strdown(header, -1);
	char *key = g_strconcat(param, "=", NULL);
	char *at = strstr(lower, key), *out = NULL;

	if (at != NULL) {
		const char *v = header + (at - lower) + strlen(key);
		gsize n;

		v += *v == '"';
		n = strcspn(v, "\";\r\n \t");
		out = g_strndup(v, n);
	}
	g_free(lower);
	g_free(key);
	return out;
}

/* The header text before position at (the last <header>...</header>). */
static char *
mime4j_header_before(const char *xml, const char *at)
{
	const char *h = NULL;

	for (const char *p = xml; (p = strstr(p, "<header>")) != NULL && p < at; p++)
		h = p;
	if (h == NULL)
		return g_strdup("");
	return g_strndup(h, (gsize) (at - h));
}

static char *
mime4j_expected_text(const char *dir, const char *xml)
{
	for (const char *p = xml; (p = strstr(p, "<text-body name=\"")) != NULL; p++) {
		char *header = mime4j_header_before(xml, p);
		char *lower = g_ascii_strdown(header, -1);
		const char *ct = strstr(lower, "content-type:");
		gboolean plain = ct == NULL || g_str_has_prefix(g_strchug((char *) ct + 13), "text/plain");

		if (plain) {
			const char *name = p + strlen("<text-body name=\"");
			char *file = g_strndup(name, strcspn(name, "\""));
			char *path = g_build_filename(dir, file, NULL), *data = NULL, *out = NULL;
			char *charset = header_param(header, "charset");
			gsize len;

			if (g_file_get_contents(path, &data, &len, NULL))
				out = to_utf8(data, len, charset);
			g_free(charset);
			g_free(data);
			g_free(path);
			g_free(file);
			g_free(lower);
			g_free(header);
			return out;
		}
		g_free(lower);
		g_free(header);
	}
	return NULL;
}

static void
compare_mime4j(const char *file, const char *path, const pd_message *msg)
{
	char *base, *xml_path, *xml = NULL, *dir, *expected;

	if (!g_str_has_suffix(path, ".msg"))
		return;
	base = g_strndup(path, strlen(path) - 4);
	xml_path = g_strconcat(base, "_decoded.xml", NULL);
	dir = g_path_get_dirname(path);
	if (g_file_get_contents(xml_path, &xml, NULL, NULL) && (expected = mime4j_expected_text(dir, xml)) != NULL) {
		compare_body("mime4j", file, expected, FALSE, msg->body);
		g_free(expected);
	}
	g_free(xml);
	g_free(dir);
	g_free(xml_path);
	g_free(base);
}

/* ---- thunderbird: N + N.out ------------------------------------------------ */

static void
compare_thunderbird(const char *file, const char *path, const pd_message *msg)
{
	char *out_path = g_strconcat(path, ".out", NULL), *data = NULL;
	gsize len;

	if (g_file_get_contents(out_path, &data, &len, NULL)) {
		char *expected = to_utf8(data, len, NULL);

		compare_body("thunderbird", file, expected, FALSE, msg->body);
		g_free(expected);
	}
	g_free(data);
	g_free(out_path);
}

/* Sources with expected results: their folder and how they compare. */
static const struct {
	const char *folder;
	void (*compare)(const char *file, const char *path, const pd_message *msg);
} sources[] = {
	{ "zammad", compare_zammad },
	{ "stalwart-mail-parser", compare_stalwart },
	{ "mime4j", compare_mime4j },
	{ "thunderbird", compare_thunderbird },
};

/* ---- every mail: no crash, UTF-8, time ------------------------------------- */

static gboolean
is_mail(const char *name)
{
	for (gsize i = 0; i < G_N_ELEMENTS(skip_names); i++)
		if (g_str_has_prefix(name, skip_names[i]))
			return FALSE;
	for (gsize i = 0; i < G_N_ELEMENTS(skip_suffixes); i++)
		if (g_str_has_suffix(name, skip_suffixes[i]))
			return FALSE;
	return strstr(name, "_decoded") == NULL;   /* mime4j's decoded part bodies */
}

static gboolean
is_skipped_dir(const char *name)
{
	for (gsize i = 0; i < G_N_ELEMENTS(skip_dirs); i++)
		if (strcmp(name, skip_dirs[i]) == 0)
			return TRUE;
	return FALSE;
}

/* The mail files under dir, sorted, as paths relative to the corpus. */
static void
collect(const char *rel, GPtrArray *out)
{
	char *dir = g_build_filename(corpus, rel, NULL);
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *name;

	while (d != NULL && (name = g_dir_read_name(d)) != NULL) {
		char *child = *rel != '\0' ? g_build_filename(rel, name, NULL) : g_strdup(name);
		char *path = g_build_filename(corpus, child, NULL);

		if (g_file_test(path, G_FILE_TEST_IS_DIR) && !is_skipped_dir(name))
			collect(child, out);
		else if (g_file_test(path, G_FILE_TEST_IS_REGULAR) && *rel != '\0' && is_mail(name))
			g_ptr_array_add(out, g_steal_pointer(&child));
		g_free(child);
		g_free(path);
	}
	if (d != NULL)
		g_dir_close(d);
	g_free(dir);
}

static gboolean
valid_text(const char *s)
{
	return s == NULL || g_utf8_validate(s, -1, NULL);
}

static gboolean
valid_addresses(GPtrArray *list)
{
	for (guint i = 0; i < list->len; i++) {
		const pd_address *a = list->pdata[i];

		if (!valid_text(a->name) || !valid_text(a->addr))
			return FALSE;
	}
	return TRUE;
}

/* Every string of the message is UTF-8. (A C string cannot hold a NUL,
 * so what the parser would have let through shows as text cut short; the
 * parser's own tests check that case with known input.) */
static gboolean
valid_message(const pd_message *m)
{
	gboolean ok = valid_text(m->subject) && valid_text(m->message_id) && valid_text(m->in_reply_to) &&
	              valid_text(m->body) && valid_text(m->body_new) && valid_text(m->body_html) &&
	              valid_text(m->bounce_recipient) && valid_addresses(m->to) && valid_addresses(m->cc) &&
	              m->subject != NULL && m->body != NULL;

	if (m->from != NULL)
		ok = ok && valid_text(m->from->name) && valid_text(m->from->addr) && m->from->addr != NULL;
	for (guint i = 0; ok && i < m->references->len; i++)
		ok = valid_text(m->references->pdata[i]);
	for (guint i = 0; ok && i < m->attachments->len; i++) {
		const pd_attachment *a = m->attachments->pdata[i];

		ok = valid_text(a->filename) && valid_text(a->content_type) && valid_text(a->content_id) &&
		     valid_text(a->message_subject) && valid_text(a->message_from);
	}
	return ok;
}

static void
parse_one(const char *rel, const pd_parse_options *opts)
{
	char *path = g_build_filename(corpus, rel, NULL);
	gint64 start = g_get_monotonic_time();
	pd_message *msg = pd_message_parse_file(path, opts, NULL, NULL);
	double seconds = (double) (g_get_monotonic_time() - start) / G_USEC_PER_SEC;
	const char *slash = strchr(rel, '/');

	parsed++;
	if (seconds > slowest) {
		slowest = seconds;
		g_free(slowest_file);
		slowest_file = g_strdup(rel);
	}
	if (seconds > PD_CORPUS_MAX_SECONDS)
		note("too slow: %s took %.2f s", rel, seconds);
	g_assert_cmpfloat(seconds, <=, PD_CORPUS_MAX_SECONDS);
	if (!valid_message(msg)) {
		note("not valid UTF-8: %s", rel);
		invalid++;
	}
	for (gsize i = 0; i < G_N_ELEMENTS(sources); i++)
		if (strncmp(rel, sources[i].folder, (gsize) (slash - rel)) == 0 &&
		    strlen(sources[i].folder) == (gsize) (slash - rel))
			sources[i].compare(slash + 1, path, msg);
	pd_message_free(&msg);
	g_free(path);
}

static void
test_parse_all(void)
{
	GPtrArray *files = g_ptr_array_new_with_free_func(g_free);
	pd_parse_options opts;

	pd_parse_options_init(&opts);
	collect("", files);
	g_ptr_array_sort(files, (GCompareFunc) g_strcmp0);
	for (guint i = 0; i < files->len; i++)
		parse_one(files->pdata[i], &opts);
	note("%u mail files parsed; slowest %s in %.3f s", parsed, slowest_file, slowest);
	g_assert_cmpuint(parsed, >, 0);
	g_assert_cmpuint(invalid, ==, 0);
	g_ptr_array_free(files, TRUE);
}

/* ---- address lists read without GMime -------------------------------------- */

static const char *const address_fields[] = { "From", "Sender", "Reply-To", "To", "Cc", "Bcc" };

/* Every address field of every corpus mail's top-level header, as GMime's
 * header list has its raw value: where the parser reads the list without
 * GMime, it must read what GMime reads (plain_addresses_as_gmime fails
 * the test otherwise). */
static void
test_plain_addresses(void)
{
	GPtrArray *files = g_ptr_array_new_with_free_func(g_free);
	GMimeParser *parser = g_mime_parser_new();
	guint values = 0, plain = 0;

	collect("", files);
	for (guint i = 0; i < files->len; i++) {
		char *path = g_build_filename(corpus, files->pdata[i], NULL);
		GMimeStream *file = g_mime_stream_file_open(path, "rb", NULL);
		GMimeMessage *mime = NULL;
		GMimeHeaderList *headers;

		if (file != NULL) {
			g_mime_parser_init_with_stream(parser, file);
			mime = g_mime_parser_construct_message(parser, NULL);
			g_object_unref(file);
		}
		headers = mime != NULL ? g_mime_object_get_header_list(GMIME_OBJECT(mime)) : NULL;
		for (int h = 0; headers != NULL && h < g_mime_header_list_get_count(headers); h++) {
			GMimeHeader *header = g_mime_header_list_get_header_at(headers, h);
			const char *raw = g_mime_header_get_raw_value(header);

			for (gsize f = 0; raw != NULL && f < G_N_ELEMENTS(address_fields); f++) {
				if (g_ascii_strcasecmp(g_mime_header_get_name(header), address_fields[f]) == 0) {
					values++;
					plain += plain_addresses_as_gmime(raw);
				}
			}
		}
		if (mime != NULL)
			g_object_unref(mime);
		g_free(path);
	}
	note("%u of %u address lists read without GMime, each as GMime reads it", plain, values);
	g_assert_cmpuint(plain, >, 0);
	g_object_unref(parser);
	g_ptr_array_free(files, TRUE);
}

/* ---- structures read without GMime ----------------------------------------- */

/* Each file of files (under root) read both ways, with and without GMime's
 * tree where the parser can do without it: simple_as_gmime aborts on any
 * difference. Returns how many were read without the tree. */
static guint
simple_files(const char *root, GPtrArray *files)
{
	guint simple = 0;

	for (guint i = 0; i < files->len; i++) {
		char *path = g_build_filename(root, files->pdata[i], NULL), *data = NULL;
		gsize len = 0;

		if (g_file_get_contents(path, &data, &len, NULL))
			simple += simple_as_gmime(NULL, data, len);
		g_free(data);
		g_free(path);
	}
	return simple;
}

static void
test_simple_structure(void)
{
	GPtrArray *files = g_ptr_array_new_with_free_func(g_free);
	guint simple;

	collect("", files);
	simple = simple_files(corpus, files);
	note("%u of %u corpus mails read without GMime's tree, each as with it", simple, files->len);
	g_assert_cmpuint(simple, >, 0);
	g_ptr_array_free(files, TRUE);
}

/* bench/gen-mail's support mail (the small profile: most of it one text
 * part or an alternative; the mixed: attachments too), written to a
 * temporary Maildir and read both ways. */
static void
test_simple_generated(void)
{
	static const struct {
		const char *profile, *count;
		guint at_least;   /* of the count, read without the tree */
	} runs[] = { { "small", "2000", 1900 }, { "mixed", "150", 1 } };
	const char *top = g_getenv("top_srcdir");
	char *gen = g_build_filename(top != NULL && *top != '\0' ? top : ".", "bench", "gen-mail", NULL);

	if (!g_file_test(gen, G_FILE_TEST_IS_REGULAR) || !g_file_test("/usr/bin/python3", G_FILE_TEST_IS_EXECUTABLE)) {
		g_test_skip("bench/gen-mail or /usr/bin/python3 not found");
		g_free(gen);
		return;
	}
	for (gsize r = 0; r < G_N_ELEMENTS(runs); r++) {
		char *tmp = g_dir_make_tmp("pd-simple-XXXXXX", NULL), *out, *newdir;
		const char *gen_argv[] = { "/usr/bin/python3", gen, "--count", runs[r].count, "--seed", "7",
		                           "--size-profile", runs[r].profile, "--out", NULL, NULL };
		const char *rm_argv[] = { "rm", "-rf", tmp, NULL };
		GPtrArray *files = g_ptr_array_new_with_free_func(g_free);
		GError *error = NULL;
		gint status = 0;
		GDir *d;
		const char *name;
		guint simple;

		g_assert_nonnull(tmp);
		out = g_build_filename(tmp, "mail", NULL);
		gen_argv[9] = out;
		g_assert_true(g_spawn_sync(NULL, (char **)gen_argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL,
		                           NULL, NULL, &status, &error));
		g_assert_no_error(error);
		g_assert_true(g_spawn_check_wait_status(status, NULL));
		newdir = g_build_filename(out, "new", NULL);
		d = g_dir_open(newdir, 0, NULL);
		g_assert_nonnull(d);
		while ((name = g_dir_read_name(d)) != NULL)
			g_ptr_array_add(files, g_strdup(name));
		g_dir_close(d);
		g_assert_cmpuint(files->len, ==, (guint)atoi(runs[r].count));
		simple = simple_files(newdir, files);
		note("generated (%s): %u of %u read without GMime's tree, each as with it", runs[r].profile, simple,
		     files->len);
		g_assert_cmpuint(simple, >=, runs[r].at_least);
		g_assert_true(g_spawn_sync(NULL, (char **)rm_argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL,
		                           &status, NULL));
		g_ptr_array_free(files, TRUE);
		g_free(newdir);
		g_free(out);
		g_free(tmp);
	}
	g_free(gen);
}

/* ---- the verdict ----------------------------------------------------------- */

static double
pct(guint n, guint total)
{
	return total > 0 ? 100.0 * n / total : 100.0;
}

static void
print_disagreements(gboolean decided)
{
	note("%s", decided ? "agreed by decision (tests/corpus-disagreements.txt):"
	                              : "disagreements not decided:");
	for (guint i = 0; i < disagreements->len; i++) {
		disagreement *d = disagreements->pdata[i];
		char *key = g_strdelimit(g_strdup(d->key), "\t", ' ');

		if (decided && d->reason != NULL)
			note("  %s: %s", key, d->reason);
		else if (!decided && d->reason == NULL)
			note("  %s\n    expected: %s\n    got:      %s", key, d->expected, d->got);
		g_free(key);
	}
}

/* Per source and field, then per field over all sources, with the targets. */
static void
test_verdict(void)
{
	GPtrArray *fields = g_ptr_array_new();
	gboolean ok = TRUE;
	GHashTableIter it;
	gpointer key;

	for (guint i = 0; i < tallies->len; i++) {
		tally *t = tallies->pdata[i];

		note("%s %s: %u/%u (%.1f%%), +%u by decision", t->source, t->field, t->agreed, t->total,
		               pct(t->agreed, t->total), t->decided);
		if (!g_ptr_array_find_with_equal_func(fields, t->field, g_str_equal, NULL))
			g_ptr_array_add(fields, t->field);
	}
	for (guint f = 0; f < fields->len; f++) {
		guint agreed = 0, decided = 0, total = 0;
		double target = 0;

		for (guint i = 0; i < tallies->len; i++) {
			tally *t = tallies->pdata[i];

			if (strcmp(t->field, fields->pdata[f]) == 0) {
				agreed += t->agreed;
				decided += t->decided;
				total += t->total;
			}
		}
		for (gsize k = 0; k < G_N_ELEMENTS(targets); k++)
			if (strcmp(targets[k].field, fields->pdata[f]) == 0)
				target = targets[k].target;
		note("all %s: %u/%u (%.1f%%), with decisions %u/%u (%.1f%%)%s", (char *) fields->pdata[f],
		               agreed, total, pct(agreed, total), agreed + decided, total, pct(agreed + decided, total),
		               target > 0 ? (pct(agreed + decided, total) >= target ? ", target met" : ", UNDER TARGET") : "");
		ok = ok && pct(agreed + decided, total) >= target;
	}
	print_disagreements(TRUE);
	print_disagreements(FALSE);
	g_hash_table_iter_init(&it, decisions);
	while (g_hash_table_iter_next(&it, &key, NULL))
		if (!g_hash_table_contains(used, key))
			note("stale decision (the parser now agrees, or the case is gone): %s", (char *) key);
	g_ptr_array_free(fields, TRUE);
	g_assert_true(ok);
}

/* ---- setup ----------------------------------------------------------------- */

/* "source<TAB>file<TAB>field<TAB>reason" per line; '#' starts a comment line. */
static void
load_decisions(void)
{
	char *path = corpus_test_file("corpus-disagreements.txt"), *data = NULL;
	char **lines;

	if (path == NULL || !g_file_get_contents(path, &data, NULL, NULL)) {
		note("tests/corpus-disagreements.txt not found: no disagreement counts as decided");
		g_free(path);
		return;
	}
	lines = g_strsplit(data, "\n", -1);
	for (guint i = 0; lines[i] != NULL; i++) {
		char **f = g_strsplit(lines[i], "\t", 4);

		if (f[0] != NULL && f[0][0] != '#' && f[0][0] != '\0' && g_strv_length(f) == 4)
			g_hash_table_insert(decisions, g_strdup_printf("%s\t%s\t%s", f[0], f[1], f[2]),
			                    g_strdup(g_strstrip(f[3])));
		g_strfreev(f);
	}
	g_strfreev(lines);
	g_free(data);
	g_free(path);
}

int
main(int argc, char **argv)
{
	int rc;

	g_test_init(&argc, &argv, NULL);
	pd_parse_init();
	corpus = corpus_dir();
	decisions = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	used = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	tallies = g_ptr_array_new_with_free_func(tally_free);
	disagreements = g_ptr_array_new_with_free_func(disagreement_free);
	if (!g_file_test(corpus, G_FILE_TEST_IS_DIR)) {
		g_test_add_data_func("/corpus/missing", corpus, corpus_missing);
	} else {
		load_decisions();
		g_test_add_func("/corpus/1-parse-all", test_parse_all);
		g_test_add_func("/corpus/2-agreement", test_verdict);
		g_test_add_func("/corpus/3-plain-addresses", test_plain_addresses);
		g_test_add_func("/corpus/4-simple-structure", test_simple_structure);
	}
	g_test_add_func("/corpus/5-simple-generated", test_simple_generated);
	rc = g_test_run();
	g_ptr_array_free(disagreements, TRUE);
	g_ptr_array_free(tallies, TRUE);
	g_hash_table_unref(used);
	g_hash_table_unref(decisions);
	g_free(slowest_file);
	g_free(corpus);
	pd_parse_shutdown();
	return rc;
}
