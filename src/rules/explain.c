/* explain.c: the decision: its lifetime, one line of text, the explanation, GVariant and JSON. */
#include "config.h"
#include "rules-private.h"

#include <json-glib/json-glib.h>
#include <stdarg.h>
#include <string.h>

void
pd_rules_evidence_free(pd_rules_evidence *e)
{
	if (e == NULL)
		return;
	g_free(e->found);
	g_free(e);
}

void
pd_rules_trace_free(pd_rules_trace *t)
{
	if (t == NULL)
		return;
	g_ptr_array_unref(t->evidence);
	g_ptr_array_unref(t->captures);
	g_ptr_array_unref(t->actions);
	g_free(t);
}

pd_decision *
pd_decision_new(const pd_ruleset *rs)
{
	pd_decision *d = g_new0(pd_decision, 1);
	d->tags = g_ptr_array_new_with_free_func(g_free);
	d->fields = g_ptr_array_new_with_free_func(g_free);
	d->matched = g_ptr_array_new_with_free_func((GDestroyNotify)pd_rules_trace_free);
	d->warnings = g_ptr_array_new_with_free_func(g_free);
	d->ruleset = pd_ruleset_ref((pd_ruleset *)rs);
	return d;
}

void
pd_decision_free(pd_decision **d)
{
	if (d == NULL || *d == NULL)
		return;
	pd_decision *x = *d;
	g_free(x->quarantine_reason);
	g_free(x->queue);
	g_free(x->priority);
	g_free(x->assignee);
	g_free(x->status);
	g_free(x->reply_template);
	g_free(x->sla);
	g_ptr_array_unref(x->tags);
	g_ptr_array_unref(x->fields);
	g_ptr_array_unref(x->matched);
	g_ptr_array_unref(x->warnings);
	pd_ruleset_unref(x->ruleset);
	g_free(x);
	*d = NULL;
}

/* ---- text ---- */

static void
part(GString *out, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static void
part(GString *out, const char *fmt, ...)
{
	va_list ap;
	if (out->len > 0)
		g_string_append(out, ", ");
	va_start(ap, fmt);
	g_string_append_vprintf(out, fmt, ap);
	va_end(ap);
}

static void
summary_fields(GString *out, const pd_decision *d)
{
	if (d->tags->len > 0) {
		g_ptr_array_add(d->tags, NULL);
		char *tags = g_strjoinv(" ", (char **)d->tags->pdata);
		g_ptr_array_remove_index(d->tags, d->tags->len - 1);
		part(out, "tags %s", tags);
		g_free(tags);
	}
	for (guint i = 0; i + 1 < d->fields->len; i += 2)
		part(out, "set %s = \"%s\"", (char *)d->fields->pdata[i], (char *)d->fields->pdata[i + 1]);
}

/* "queue billing, priority high, tags vip refund, reply billing-received" */
static char *
summary(const pd_decision *d)
{
	GString *out = g_string_new(NULL);

	if (d->fate == PD_RULES_FATE_DROP)
		part(out, "drop");
	else if (d->fate == PD_RULES_FATE_QUARANTINE)
		part(out, "quarantine \"%s\"", d->quarantine_reason);
	if (d->queue != NULL)
		part(out, "queue %s", d->queue);
	if (d->priority != NULL)
		part(out, "priority %s", d->priority);
	if (d->assignee != NULL)
		part(out, "assign %s %s", d->assignee_is_group ? "group" : "agent", d->assignee);
	if (d->status != NULL)
		part(out, "status %s", d->status);
	summary_fields(out, d);
	if (d->reply == PD_RULES_REPLY_TEMPLATE)
		part(out, "reply %s", d->reply_template);
	else if (d->reply == PD_RULES_REPLY_NONE)
		part(out, "noreply");
	if (d->sla != NULL)
		part(out, "sla %s", d->sla);
	if (out->len == 0)
		g_string_append(out, d->matched->len == 0 ? "no rule matched" : "no change");
	return g_string_free(out, FALSE);
}

/* Control characters (line breaks in a match) shown as spaces. */
static char *
one_line(const char *s)
{
	char *copy = g_strdup(s);
	for (char *p = copy; *p != '\0'; p++)
		if ((guchar)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	return copy;
}

static void
explain_trace(GString *out, const pd_rules_trace *t)
{
	g_string_append_printf(out, "rule \"%s\" (%s:%u)\n", t->rule, t->file, t->line);
	for (guint i = 0; i < t->evidence->len; i++) {
		const pd_rules_evidence *e = t->evidence->pdata[i];
		g_string_append_printf(out, "  %s%s %s", e->negated ? "not: " : "", e->field, e->test);
		if (e->found != NULL) {
			char *shown = one_line(e->found);
			g_string_append_printf(out, ": \"%s\"", shown);
			g_free(shown);
		}
		g_string_append_c(out, '\n');
	}
	for (guint i = 0; i + 1 < t->captures->len; i += 2)
		g_string_append_printf(out, "  captured %s = \"%s\"\n", (char *)t->captures->pdata[i],
		                       (char *)t->captures->pdata[i + 1]);
	if (t->actions->len > 0) {
		g_ptr_array_add(t->actions, NULL);
		char *acts = g_strjoinv("; ", (char **)t->actions->pdata);
		g_ptr_array_remove_index(t->actions, t->actions->len - 1);
		g_string_append_printf(out, "  -> %s\n", acts);
		g_free(acts);
	}
}

char *
pd_decision_to_text(const pd_decision *d, gboolean explain)
{
	GString *out = g_string_new(NULL);
	char *line = summary(d);

	if (explain) {
		for (guint i = 0; i < d->matched->len; i++)
			explain_trace(out, d->matched->pdata[i]);
		if (d->stopped_by != NULL)
			g_string_append_printf(out, "stopped by rule \"%s\"\n", d->stopped_by);
		for (guint i = 0; i < d->warnings->len; i++)
			g_string_append_printf(out, "warning: %s\n", (char *)d->warnings->pdata[i]);
		g_string_append_printf(out, "decision: %s", line);
	} else
		g_string_append(out, line);
	g_free(line);
	return g_string_free(out, FALSE);
}

/* ---- variant and JSON ---- */

static void
put_str(GVariantBuilder *b, const char *key, const char *value)
{
	if (value != NULL)
		g_variant_builder_add(b, "{sv}", key, g_variant_new_string(value));
}

static GVariant *
strv(const GPtrArray *list, guint step)
{
	GVariantBuilder b;
	g_variant_builder_init(&b, G_VARIANT_TYPE_STRING_ARRAY);
	for (guint i = 0; i < list->len; i += step)
		g_variant_builder_add(&b, "s", (const char *)list->pdata[i]);
	return g_variant_builder_end(&b);
}

static GVariant *
pairs(const GPtrArray *list)
{
	GVariantBuilder b;
	g_variant_builder_init(&b, G_VARIANT_TYPE("a{ss}"));
	for (guint i = 0; i + 1 < list->len; i += 2)
		g_variant_builder_add(&b, "{ss}", (const char *)list->pdata[i], (const char *)list->pdata[i + 1]);
	return g_variant_builder_end(&b);
}

static GVariant *
evidence_variant(const pd_rules_evidence *e)
{
	GVariantBuilder b;
	g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
	put_str(&b, "field", e->field);
	put_str(&b, "test", e->test);
	put_str(&b, "found", e->found);
	g_variant_builder_add(&b, "{sv}", "negated", g_variant_new_boolean(e->negated));
	return g_variant_builder_end(&b);
}

static GVariant *
trace_variant(const pd_rules_trace *t)
{
	GVariantBuilder b, ev;
	g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
	put_str(&b, "rule", t->rule);
	put_str(&b, "file", t->file);
	g_variant_builder_add(&b, "{sv}", "line", g_variant_new_uint32(t->line));
	g_variant_builder_init(&ev, G_VARIANT_TYPE("aa{sv}"));
	for (guint i = 0; i < t->evidence->len; i++)
		g_variant_builder_add_value(&ev, evidence_variant(t->evidence->pdata[i]));
	g_variant_builder_add(&b, "{sv}", "evidence", g_variant_builder_end(&ev));
	g_variant_builder_add(&b, "{sv}", "captures", pairs(t->captures));
	g_variant_builder_add(&b, "{sv}", "actions", strv(t->actions, 1));
	return g_variant_builder_end(&b);
}

static const char *const fate_names[] = { "ticket", "drop", "quarantine" };
static const char *const reply_names[] = { "default", "template", "none" };

GVariant *
pd_decision_to_variant(const pd_decision *d)
{
	GVariantBuilder b, m;

	g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
	put_str(&b, "fate", fate_names[d->fate]);
	put_str(&b, "quarantine_reason", d->quarantine_reason);
	put_str(&b, "queue", d->queue);
	put_str(&b, "priority", d->priority);
	put_str(&b, "assignee", d->assignee);
	if (d->assignee != NULL)
		put_str(&b, "assignee_kind", d->assignee_is_group ? "group" : "agent");
	put_str(&b, "status", d->status);
	put_str(&b, "reply", reply_names[d->reply]);
	put_str(&b, "reply_template", d->reply_template);
	put_str(&b, "sla", d->sla);
	g_variant_builder_add(&b, "{sv}", "tags", strv(d->tags, 1));
	g_variant_builder_add(&b, "{sv}", "fields", pairs(d->fields));
	put_str(&b, "stopped_by", d->stopped_by);
	g_variant_builder_init(&m, G_VARIANT_TYPE("aa{sv}"));
	for (guint i = 0; i < d->matched->len; i++)
		g_variant_builder_add_value(&m, trace_variant(d->matched->pdata[i]));
	g_variant_builder_add(&b, "{sv}", "matched", g_variant_builder_end(&m));
	g_variant_builder_add(&b, "{sv}", "warnings", strv(d->warnings, 1));
	return g_variant_builder_end(&b);
}

char *
pd_decision_to_json(const pd_decision *d)
{
	GVariant *v = g_variant_ref_sink(pd_decision_to_variant(d));
	JsonNode *node = json_gvariant_serialize(v);
	JsonGenerator *gen = json_generator_new();
	char *text;

	json_generator_set_pretty(gen, TRUE);
	json_generator_set_root(gen, node);
	text = json_generator_to_data(gen, NULL);
	g_object_unref(gen);
	json_node_unref(node);
	g_variant_unref(v);
	return text;
}
