/* lexer.c: rule file text -> tokens (words, "strings", /patterns/, punctuation), and error messages that point. */
#include "config.h"
#include "lexer.h"

#include <stdarg.h>
#include <string.h>

void
pd_lexer_init(pd_lexer *lx, const char *file, const char *text, gsize len, gsize max_text, GPtrArray *errors)
{
	memset(lx, 0, sizeof *lx);
	lx->file = file;
	lx->text = text;
	lx->len = len;
	lx->line = 1;
	lx->max_text = max_text;
	lx->errors = errors;
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		lx->pos = lx->line_off = 3;  /* a byte order mark */
}

void
pd_token_clear(pd_token *tok)
{
	g_clear_pointer(&tok->text, g_free);
	g_clear_pointer(&tok->flags, g_free);
}

/* ---- positions and messages ---- */

static gsize
line_start_of(const char *text, gsize off)
{
	while (off > 0 && text[off - 1] != '\n')
		off--;
	return off;
}

pd_rpos
pd_lexer_pos_at(pd_lexer *lx, gsize off)
{
	pd_rpos pos = { lx->file, 1, 1 };
	gsize start;

	off = MIN(off, lx->len);
	if (off >= lx->line_off) {
		/* The current line, as tokens are read: counted from the last
		 * position asked for, so a long line is not counted over and over. */
		if (lx->col_line != lx->line || lx->col_off > off || lx->col_off < lx->line_off) {
			lx->col_line = lx->line;
			lx->col_off = lx->line_off;
			lx->col = 1;
		}
		lx->col += (guint)g_utf8_strlen(lx->text + lx->col_off, (gssize)(off - lx->col_off));
		lx->col_off = off;
		pos.line = lx->line;
		pos.col = lx->col;
		return pos;
	}
	start = line_start_of(lx->text, off);
	for (gsize i = 0; i < start; i++)
		pos.line += lx->text[i] == '\n';
	pos.col = (guint)g_utf8_strlen(lx->text + start, (gssize)(off - start)) + 1;
	return pos;
}

/* The source line and a caret under the column; tabs kept so it lines up. */
static void
append_caret(GString *out, const char *text, gsize len, const pd_rpos *pos)
{
	gsize off = 0;
	for (guint line = 1; line < pos->line && off < len; off++)
		line += text[off] == '\n';
	const char *start = text + off, *end = memchr(start, '\n', len - off);
	if (end == NULL)
		end = text + len;
	if (end > start && end[-1] == '\r')
		end--;
	if (end - start > 300)
		return;  /* a huge line (a long pattern) says nothing under a caret */
	g_string_append_printf(out, "\n    %.*s\n    ", (int)(end - start), start);
	const char *p = start;
	for (guint col = 1; col < pos->col && p < end; col++, p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);
		g_string_append(out, c == '\t' ? "\t" : g_unichar_iswide(c) ? "  " : " ");
	}
	g_string_append_c(out, '^');
}

static char *
vformat(const pd_rpos *pos, const char *text, gsize len, const char *fmt, va_list ap)
{
	GString *out = g_string_new(NULL);
	char *msg = g_strdup_vprintf(fmt, ap);

	g_string_append_printf(out, "%s:%u:%u: %s", pos->file, pos->line, pos->col, msg);
	g_free(msg);
	if (text != NULL)
		append_caret(out, text, len, pos);
	return g_string_free(out, FALSE);
}

char *
pd_rules_format(const pd_rpos *pos, const char *text, gsize len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = vformat(pos, text, len, fmt, ap);
	va_end(ap);
	return s;
}

void
pd_lexer_error(pd_lexer *lx, gsize off, const char *fmt, ...)
{
	if (lx->quiet || lx->errors->len >= PD_RULES_MAX_ERRORS)
		return;
	pd_rpos pos = pd_lexer_pos_at(lx, off);
	va_list ap;
	va_start(ap, fmt);
	g_ptr_array_add(lx->errors, vformat(&pos, lx->text, lx->len, fmt, ap));
	va_end(ap);
}

/* ---- did you mean ---- */

/* Optimal string alignment distance, ASCII case ignored; short words only. */
static guint
distance(const char *a, const char *b)
{
	gsize la = strlen(a), lb = strlen(b);
	guint d[33][33];

	if (la > 32 || lb > 32)
		return G_MAXUINT;
	for (gsize i = 0; i <= la; i++)
		d[i][0] = (guint)i;
	for (gsize j = 0; j <= lb; j++)
		d[0][j] = (guint)j;
	for (gsize i = 1; i <= la; i++)
		for (gsize j = 1; j <= lb; j++) {
			guint cost = g_ascii_tolower(a[i - 1]) != g_ascii_tolower(b[j - 1]);
			d[i][j] = MIN(MIN(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
			if (i > 1 && j > 1 && g_ascii_tolower(a[i - 1]) == g_ascii_tolower(b[j - 2]) &&
			    g_ascii_tolower(a[i - 2]) == g_ascii_tolower(b[j - 1]))
				d[i][j] = MIN(d[i][j], d[i - 2][j - 2] + 1);
		}
	return d[la][lb];
}

const char *
pd_rules_closest(const char *word, const char *const *candidates)
{
	const char *best = NULL;
	guint best_d = G_MAXUINT, limit = strlen(word) <= 4 ? 1 : 2;

	for (guint i = 0; candidates != NULL && candidates[i] != NULL; i++) {
		guint d = distance(word, candidates[i]);
		if (strlen(word) >= 3 && g_ascii_strncasecmp(candidates[i], word, strlen(word)) == 0)
			d = MIN(d, 1);  /* a prefix: "attach" for "attachment" */
		if (d < best_d) {
			best_d = d;
			best = candidates[i];
		}
	}
	return best_d <= limit ? best : NULL;
}

/* ---- tokens ---- */

static gboolean
is_word_start(gunichar c)
{
	return g_unichar_isalnum(c) || c == '_';
}

static gboolean
is_word_char(gunichar c)
{
	return g_unichar_isalnum(c) || c == '_' || c == '-' || c == '.' || g_unichar_ismark(c);
}

/* White space and comments; counts lines. */
static void
skip_blank(pd_lexer *lx)
{
	while (lx->pos < lx->len) {
		char c = lx->text[lx->pos];
		if (c == '\n') {
			lx->line++;
			lx->line_off = ++lx->pos;
		} else if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v')
			lx->pos++;
		else if (c == '#') {
			while (lx->pos < lx->len && lx->text[lx->pos] != '\n')
				lx->pos++;
		} else
			break;
	}
}

static gboolean
string_escape(pd_lexer *lx, GString *out)
{
	char e = lx->pos + 1 < lx->len ? lx->text[lx->pos + 1] : '\0';
	const char *to = e == '"' ? "\"" : e == '\\' ? "\\" : e == 'n' ? "\n" : e == 't' ? "\t" : e == '$' ? "$" : NULL;

	if (to == NULL) {
		pd_lexer_error(lx, lx->pos, "unknown escape \"\\%c\" in a string; the escapes are \\\" \\\\ \\n \\t and \\$",
		               g_ascii_isprint(e) ? e : '?');
		return FALSE;
	}
	g_string_append(out, to);
	lx->pos += 2;
	return TRUE;
}

static void
lex_string(pd_lexer *lx, pd_token *tok)
{
	GString *out = g_string_new(NULL);
	gboolean ok = TRUE;

	lx->pos++;
	while (ok && lx->pos < lx->len && lx->text[lx->pos] != '"' && lx->text[lx->pos] != '\n') {
		if (lx->text[lx->pos] == '\\')
			ok = string_escape(lx, out);
		else
			g_string_append_c(out, lx->text[lx->pos++]);
	}
	if (ok && (lx->pos >= lx->len || lx->text[lx->pos] != '"')) {
		pd_lexer_error(lx, tok->start, "this string has no closing \" on its line");
		ok = FALSE;
	} else if (ok && out->len > lx->max_text) {
		pd_lexer_error(lx, tok->start, "this text is %" G_GSIZE_FORMAT " bytes long; the limit is %" G_GSIZE_FORMAT,
		               out->len, lx->max_text);
		ok = FALSE;
	}
	while (!ok && lx->pos < lx->len && lx->text[lx->pos] != '\n' && lx->text[lx->pos] != '"')
		lx->pos++;
	if (lx->pos < lx->len && lx->text[lx->pos] == '"')
		lx->pos++;
	tok->type = ok ? PD_T_STRING : PD_T_ERROR;
	tok->text = g_string_free(out, FALSE);
}

/* /pattern/flags: ends at the first / that is neither escaped nor inside
 * [...]; \/ stands for /, every other escape is the pattern's. */
static void
lex_regex(pd_lexer *lx, pd_token *tok)
{
	GString *out = g_string_new(NULL);
	gboolean in_class = FALSE;
	gsize class_start = 0;

	lx->pos++;
	while (lx->pos < lx->len && lx->text[lx->pos] != '\n' && (in_class || lx->text[lx->pos] != '/')) {
		char c = lx->text[lx->pos];
		if (c == '\\' && lx->pos + 1 < lx->len && lx->text[lx->pos + 1] != '\n') {
			if (lx->text[lx->pos + 1] != '/')
				g_string_append_c(out, c);
			g_string_append_c(out, lx->text[lx->pos + 1]);
			lx->pos += 2;
			continue;
		}
		if (c == '[' && !in_class) {
			in_class = TRUE;
			class_start = out->len;
		} else if (c == ']' && in_class && out->len > class_start + 1 &&
		           !(out->len == class_start + 2 && out->str[class_start + 1] == '^'))
			in_class = FALSE;
		g_string_append_c(out, c);
		lx->pos++;
	}
	if (lx->pos >= lx->len || lx->text[lx->pos] != '/') {
		pd_lexer_error(lx, tok->start, "this pattern has no closing / on its line");
		tok->type = PD_T_ERROR;
		g_string_free(out, TRUE);
		return;
	}
	gsize flags = ++lx->pos;
	while (lx->pos < lx->len && g_ascii_isalpha(lx->text[lx->pos]))
		lx->pos++;
	tok->type = PD_T_REGEX;
	tok->text = g_string_free(out, FALSE);
	tok->flags = g_strndup(lx->text + flags, lx->pos - flags);
}

static void
lex_word(pd_lexer *lx, pd_token *tok)
{
	while (lx->pos < lx->len && is_word_char(g_utf8_get_char(lx->text + lx->pos)))
		lx->pos = (gsize)(g_utf8_next_char(lx->text + lx->pos) - lx->text);
	tok->type = PD_T_WORD;
	tok->text = g_strndup(lx->text + tok->start, lx->pos - tok->start);
}

static const char *
unexpected_hint(gunichar c)
{
	switch (c) {
	case '\'':
		return "; text goes in double quotes";
	case '!':
		return "; write not";
	case '&':
		return "; write and";
	case '|':
		return "; write or";
	case '{': case '}':
		return "; a rule is written: rule \"name\" when CONDITION then ACTIONS";
	default:
		return g_unichar_isprint(c) ? "; put text in double quotes" : "";
	}
}

static gboolean
lex_punct(pd_lexer *lx, pd_token *tok, char c)
{
	char next = lx->pos + 1 < lx->len ? lx->text[lx->pos + 1] : '\0';

	switch (c) {
	case '(': tok->type = PD_T_LPAREN; break;
	case ')': tok->type = PD_T_RPAREN; break;
	case ',': tok->type = PD_T_COMMA; break;
	case '=': tok->type = PD_T_EQ; break;
	case '<': tok->type = next == '=' ? PD_T_LE : PD_T_LT; break;
	case '>': tok->type = next == '=' ? PD_T_GE : PD_T_GT; break;
	default:
		return FALSE;
	}
	lx->pos += (tok->type == PD_T_LE || tok->type == PD_T_GE) ? 2 : 1;
	return TRUE;
}

void
pd_lexer_next(pd_lexer *lx, pd_token *tok)
{
	pd_token_clear(tok);
	skip_blank(lx);
	tok->start = lx->pos;
	tok->pos = pd_lexer_pos_at(lx, lx->pos);
	tok->line_start = tok->pos.line != lx->last_line;
	lx->last_line = tok->pos.line;
	if (lx->pos >= lx->len) {
		tok->type = PD_T_EOF;
		tok->end = lx->pos;
		return;
	}
	char c = lx->text[lx->pos];
	gunichar u = g_utf8_get_char(lx->text + lx->pos);
	if (c == '"')
		lex_string(lx, tok);
	else if (c == '/')
		lex_regex(lx, tok);
	else if (is_word_start(u))
		lex_word(lx, tok);
	else if (!lex_punct(lx, tok, c)) {
		char shown[8] = "?";
		if (g_unichar_isprint(u))
			shown[g_unichar_to_utf8(u, shown)] = '\0';
		pd_lexer_error(lx, lx->pos, "unexpected character \"%s\"%s", shown, unexpected_hint(u));
		lx->pos = (gsize)(g_utf8_next_char(lx->text + lx->pos) - lx->text);
		tok->type = PD_T_ERROR;
	}
	tok->end = lx->pos;
}
