/* variant.c: pd_message as a GVariant a{sv}, the form events store and the CLI prints. */
#include "parse-private.h"

static const char *const flag_names[] = {
	"auto-submitted", "auto-replied", "out-of-office", "bounce", "list", "ours",
};

const char *
pd_message_flag_name(pd_message_flags flag)
{
	for (guint i = 0; i < G_N_ELEMENTS(flag_names); i++) {
		if (flag == (pd_message_flags)(1u << i))
			return flag_names[i];
	}
	return "unknown";
}

/* NULL means "absent": the key is left out. */
static void
add_string(GVariantBuilder *b, const char *key, const char *value)
{
	if (value != NULL)
		g_variant_builder_add(b, "{sv}", key, g_variant_new_string(value));
}

static GVariant *
addresses_variant(const GPtrArray *list)
{
	GVariantBuilder b;

	g_variant_builder_init(&b, G_VARIANT_TYPE_STRING_ARRAY);
	for (guint i = 0; list != NULL && i < list->len; i++) {
		const pd_address *a = list->pdata[i];
		char *s = a->name ? g_strdup_printf("%s <%s>", a->name, a->addr) : g_strdup(a->addr);

		g_variant_builder_add(&b, "s", s);
		g_free(s);
	}
	return g_variant_builder_end(&b);
}

static GVariant *
strings_variant(const GPtrArray *list)
{
	GVariantBuilder b;

	g_variant_builder_init(&b, G_VARIANT_TYPE_STRING_ARRAY);
	for (guint i = 0; list != NULL && i < list->len; i++)
		g_variant_builder_add(&b, "s", (const char *)list->pdata[i]);
	return g_variant_builder_end(&b);
}

static GVariant *
flags_variant(guint32 flags)
{
	GVariantBuilder b;

	g_variant_builder_init(&b, G_VARIANT_TYPE_STRING_ARRAY);
	for (guint i = 0; i < G_N_ELEMENTS(flag_names); i++) {
		if (flags & (1u << i))
			g_variant_builder_add(&b, "s", flag_names[i]);
	}
	return g_variant_builder_end(&b);
}

static void
add_attachment(GVariantBuilder *b, const pd_attachment *a)
{
	g_variant_builder_open(b, G_VARIANT_TYPE_VARDICT);
	add_string(b, "filename", a->filename ? a->filename : "");
	add_string(b, "content_type", a->content_type);
	g_variant_builder_add(b, "{sv}", "size", g_variant_new_uint64(a->size));
	add_string(b, "sha256", a->sha256);
	add_string(b, "content_id", a->content_id);
	g_variant_builder_add(b, "{sv}", "inline", g_variant_new_boolean(a->is_inline));
	add_string(b, "message_subject", a->message_subject);
	add_string(b, "message_from", a->message_from);
	g_variant_builder_close(b);
}

static GVariant *
attachments_variant(const GPtrArray *list)
{
	GVariantBuilder b;

	g_variant_builder_init(&b, G_VARIANT_TYPE("aa{sv}"));
	for (guint i = 0; list != NULL && i < list->len; i++)
		add_attachment(&b, list->pdata[i]);
	return g_variant_builder_end(&b);
}

GVariant *
pd_message_to_variant(const pd_message *msg)
{
	GVariantBuilder b;

	g_return_val_if_fail(msg != NULL, NULL);
	g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
	add_string(&b, "subject", msg->subject ? msg->subject : "");
	add_string(&b, "from_name", msg->from ? msg->from->name : NULL);
	add_string(&b, "from", msg->from ? msg->from->addr : "");
	g_variant_builder_add(&b, "{sv}", "to", addresses_variant(msg->to));
	g_variant_builder_add(&b, "{sv}", "cc", addresses_variant(msg->cc));
	add_string(&b, "message_id", msg->message_id);
	add_string(&b, "in_reply_to", msg->in_reply_to);
	g_variant_builder_add(&b, "{sv}", "references", strings_variant(msg->references));
	g_variant_builder_add(&b, "{sv}", "date", g_variant_new_int64(msg->date));
	add_string(&b, "body", msg->body ? msg->body : "");
	add_string(&b, "body_html", msg->body_html);
	g_variant_builder_add(&b, "{sv}", "flags", flags_variant(msg->flags));
	add_string(&b, "bounce_recipient", msg->bounce_recipient);
	g_variant_builder_add(&b, "{sv}", "attachments", attachments_variant(msg->attachments));
	g_variant_builder_add(&b, "{sv}", "size", g_variant_new_uint64(msg->size));
	return g_variant_builder_end(&b);
}
