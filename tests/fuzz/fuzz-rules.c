/* fuzz-rules.c: libFuzzer target for the rule-file parser and compiler of src/rules/, and the matcher on what compiles. */
#include "rules/rules.h"

#include <stdint.h>
#include <string.h>

/* Small limits so the fuzzer explores the grammar, not the size of things. */
static const pd_rules_options options = {
	.limits = { .max_file_size = 64 * 1024, .max_pattern_length = 512, .regex_time_us = 2000,
	            .message_time_us = 10000 },
};

static const char *const queues[] = { "billing", "technical", NULL };

static pd_rules_input *
sample_mail(const uint8_t *data, size_t size)
{
	pd_rules_input *in = pd_rules_input_new();
	/* The input itself as the body, so patterns meet text they were made with. */
	char *text = g_strndup((const char *)data, size);
	pd_rules_input_set(in, PD_RULES_SUBJECT, "Refund for order #4471388 – Rückerstattung ПРИНТЕР 报价");
	pd_rules_input_set(in, PD_RULES_FROM, "Ann.Smith@Example.org");
	pd_rules_input_set(in, PD_RULES_FROM_NAME, "Ann Smith");
	pd_rules_input_add(in, PD_RULES_TO, "billing@example.com");
	pd_rules_input_add(in, PD_RULES_CC, "boss@example.org");
	pd_rules_input_set(in, PD_RULES_BODY, text);
	pd_rules_input_set(in, PD_RULES_FULL_BODY, "hello\n> quoted invoice 12345\n-- \nsig");
	pd_rules_input_set(in, PD_RULES_SOURCE, "inbox");
	pd_rules_input_add_raw_headers(in, text, strlen(text));
	pd_rules_input_add_header(in, "List-Id", "<list.example.org>");
	pd_rules_input_add_attachment(in, "scan.pdf", "application/pdf", 12345);
	pd_rules_input_set_size(in, size);
	pd_rules_input_set_flags(in, (guint32)(size & 63));
	g_free(text);
	return in;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	GPtrArray *warnings = g_ptr_array_new_with_free_func(g_free);
	GError *error = NULL;
	pd_rules_options opts = options;
	if (size > 0 && data[0] == '!')
		opts.known.queues = queues;  /* the unknown-name warnings too */
	pd_ruleset *rs = pd_ruleset_compile("fuzz.rules", (const char *)data, size, &opts, warnings, &error);

	if (rs == NULL) {
		/* Every refusal says where: "file:line:col: message". */
		if (error == NULL || !g_str_has_prefix(error->message, "fuzz.rules"))
			__builtin_trap();
		g_error_free(error);
	} else {
		pd_rules_input *in = sample_mail(data, size);
		pd_decision *d = pd_ruleset_apply(rs, in, size % 2 == 0);
		g_free(pd_decision_to_text(d, TRUE));
		g_free(pd_decision_to_json(d));
		g_free(pd_ruleset_limit_report(rs));
		pd_decision_free(&d);
		pd_rules_input_free(&in);
		pd_ruleset_free(&rs);
	}
	g_ptr_array_unref(warnings);
	return 0;
}
