/* lexer.h: the tokens of a rule file, for parser.c. */
#ifndef PD_RULES_LEXER_H
#define PD_RULES_LEXER_H

#include "rules-private.h"

typedef enum {
	PD_T_EOF,
	PD_T_WORD,      /* rule, subject, billing, 5MB, out-of-office */
	PD_T_STRING,    /* "text", unescaped */
	PD_T_REGEX,     /* /pattern/flags */
	PD_T_LPAREN,
	PD_T_RPAREN,
	PD_T_COMMA,
	PD_T_EQ,
	PD_T_LT,
	PD_T_LE,
	PD_T_GT,
	PD_T_GE,
	PD_T_ERROR,     /* already reported */
} pd_tok_type;

typedef struct {
	pd_tok_type type;
	char *text;           /* WORD as written; STRING unescaped; REGEX the pattern */
	char *flags;          /* REGEX flags */
	gsize start, end;     /* byte span in the file, quotes and slashes included */
	pd_rpos pos;
	gboolean line_start;  /* first token on its line */
} pd_token;

typedef struct {
	const char *file;
	const char *text;
	gsize len;
	gsize pos;
	guint line;
	gsize line_off;       /* offset of the current line's first byte */
	gsize max_text;       /* longest string or pattern accepted */
	GPtrArray *errors;
	guint last_line;      /* the line of the previous token */
	gboolean quiet;       /* skipping to the next rule after an error: report nothing */
	guint col_line, col;  /* column cache: col is the column of col_off on col_line */
	gsize col_off;
} pd_lexer;

void pd_lexer_init(pd_lexer *lx, const char *file, const char *text, gsize len, gsize max_text,
                   GPtrArray *errors);
/* The next token into tok (whose old strings are freed). */
void pd_lexer_next(pd_lexer *lx, pd_token *tok);
void pd_token_clear(pd_token *tok);
/* The position of byte offset off (same line as the token containing it). */
pd_rpos pd_lexer_pos_at(pd_lexer *lx, gsize off);
void pd_lexer_error(pd_lexer *lx, gsize off, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

#endif
