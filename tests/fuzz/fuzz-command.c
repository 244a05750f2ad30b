/* fuzz-command.c: libFuzzer target for the agents' #command parser and the Authentication-Results parser and decision. */
#include "command/parse.h"
#include "command/authres.h"

#include <stdint.h>
#include <string.h>

/* What the receipts and logs rely on: valid UTF-8, one line. */
static void
check_line(const char *s)
{
	if (s == NULL || !g_utf8_validate(s, -1, NULL) || strchr(s, '\n') != NULL || strchr(s, '\r') != NULL)
		__builtin_trap();
}

static void
check_commands(const uint8_t *data, size_t size, const pd_command_limits *lim)
{
	pd_commands *r = pd_commands_parse_len((const char *)data, size, lim);
	guint max = lim != NULL ? lim->max_commands : 20;
	/* The reply is the input from reply_offset on; no block, no change. */
	if (r->reply_offset > size || memcmp(r->reply, data + r->reply_offset, size - r->reply_offset) != 0)
		__builtin_trap();
	if (!r->had_commands && (r->reply_offset != 0 || r->errors->len > 0 || r->commands->len > 0 || r->note))
		__builtin_trap();
	/* At most one entry per command line read, and one line saying where reading stopped. */
	if (r->commands->len + r->errors->len > max + 1)
		__builtin_trap();
	for (guint i = 0; i < r->commands->len; i++) {
		const pd_command *c = g_ptr_array_index(r->commands, i);
		char *d = pd_commands_describe(c);
		check_line(d);
		g_free(d);
	}
	for (guint i = 0; i < r->errors->len; i++) {
		const pd_command_error *e = g_ptr_array_index(r->errors, i);
		check_line(e->message);
		check_line(e->text);
		if (e->line == 0 || strlen(e->text) > 200 + 3)
			__builtin_trap();
	}
	pd_commands_free(&r);
}

static void
check_authres(const uint8_t *data, size_t size)
{
	char *text = g_strndup((const char *)data, size);
	pd_authres *ar = pd_authres_parse(text);
	if (ar != NULL) {
		if (*ar->authserv_id == '\0')
			__builtin_trap();
		for (guint i = 0; i < ar->results->len; i++) {
			const pd_authres_result *res = g_ptr_array_index(ar->results, i);
			if (*res->method == '\0' || *res->result == '\0')
				__builtin_trap();
			pd_authres_result_get(res, "header.d");
		}
	}
	pd_authres_free(&ar);
	/* Each line one header field; the first word of the input may be trusted. */
	char **values = g_strsplit(text, "\n", 8), *first = g_strndup(text, strcspn(text, " ;\n"));
	const char *trusted[] = { "mx.example.net", first, NULL }, *why = NULL;
	const char *from = size > 0 && data[0] % 2 ? "ann@Example.com" : "Ann <ann@mail.example.co.uk>";
	pd_authres_sender_verified((const char *const *)values, trusted, from, &why);
	check_line(why);
	g_strfreev(values);
	g_free(first);
	g_free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Small limits every other input, so they are reached, not only approached. */
	static const pd_command_limits small = { .max_commands = 3, .max_unknown = 2, .max_line = 40,
	                                         .max_subject = 10, .max_tag = 5 };
	check_commands(data, size, size % 2 == 0 ? NULL : &small);
	check_authres(data, size);
	return 0;
}
