/* ingest.c: the pipeline for a batch: stage and hash, parse, make durable, commit, report. */
#include "config.h"
#include "ingest.h"
#include "fsutil.h"
#include "command/rawhdr.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

struct pd_ingest {
	pd_store *store;
	pd_notify *notify;
	const pd_conversation *conv;
	GMutex rules_lock;          /* guards the pointer: a reload swaps it */
	pd_ruleset *rules;          /* a reference, or NULL: no routing rules */
	pd_ingest_options opts;
	char *default_queue;
	char **fallback_charsets;   /* owned copies of the parse options' lists */
	char **our_domains;
};

/* What the pipeline knows of one item between parsing and the commit. */
typedef struct {
	pd_ingest_item *item;
	int spool_idx;
	pd_message *msg;
	pd_cause cause;
	char *reason;
	char *keys[3];            /* dedupe keys, NULL-terminated */
	const char *drop_reason;  /* set when the mail is to be dropped */
	pd_decision *decision;    /* what the routing rules said, or NULL */
	const char *language;     /* the requester's language (borrowed from the templates), or NULL */
	char *rule_reason;        /* the drop reason a rule gave (owned) */
	char *what;               /* what became of it, for the summary */
	GVariant *event_data;     /* the mail's event data, built and serialized before the transaction */
	guint64 release_of;       /* quarantine entry being released, or 0 */
} work;

const char *
pd_ingest_outcome_name(pd_ingest_outcome o)
{
	static const char *const names[] = { "pending", "created", "duplicate", "quarantined", "skipped", "dropped",
	                                     "follow-up" };
	return o < G_N_ELEMENTS(names) ? names[o] : "?";
}

pd_ingest *
pd_ingest_new(pd_store *store, const pd_ingest_options *opts)
{
	pd_ingest *ing = g_new0(pd_ingest, 1);
	ing->store = store;
	ing->opts = *opts;
	ing->default_queue = g_strdup(opts->default_queue != NULL ? opts->default_queue : "general");
	ing->opts.default_queue = ing->default_queue;
	ing->fallback_charsets = g_strdupv((char **)opts->parse.fallback_charsets);
	ing->our_domains = g_strdupv((char **)opts->parse.our_domains);
	ing->opts.parse.fallback_charsets = (const char *const *)ing->fallback_charsets;
	ing->opts.parse.our_domains = (const char *const *)ing->our_domains;
	ing->opts.parse.sink = NULL;
	g_mutex_init(&ing->rules_lock);
	return ing;
}

void
pd_ingest_set_notify(pd_ingest *ing, pd_notify *notify)
{
	ing->notify = notify;
}

void
pd_ingest_set_conversation(pd_ingest *ing, const pd_conversation *conv)
{
	ing->conv = conv;
}

void
pd_ingest_set_rules(pd_ingest *ing, pd_ruleset *rules)
{
	pd_ruleset *old;
	g_mutex_lock(&ing->rules_lock);
	old = ing->rules;
	ing->rules = rules != NULL ? pd_ruleset_ref(rules) : NULL;
	g_mutex_unlock(&ing->rules_lock);
	if (old != NULL)
		pd_ruleset_unref(old);
}

static pd_ruleset *
current_rules(pd_ingest *ing)
{
	g_mutex_lock(&ing->rules_lock);
	pd_ruleset *rs = ing->rules != NULL ? pd_ruleset_ref(ing->rules) : NULL;
	g_mutex_unlock(&ing->rules_lock);
	return rs;
}

/* Route one parsed mail: a pure function of the mail and the rule set, so
 * it runs in the preparing thread, outside any transaction. */
static void
route(const pd_ruleset *rs, work *w, const char *raw, gsize len)
{
	pd_rules_input *in = pd_rules_input_from_message(w->msg, w->item->source);
	if (raw != NULL)
		pd_rules_input_add_raw_headers(in, raw, len);
	w->decision = pd_ruleset_apply(rs, in, FALSE);
	pd_rules_input_free(&in);
	for (guint i = 0; i < w->decision->warnings->len; i++)
		g_warning("rules: %s", (char *)w->decision->warnings->pdata[i]);
	const char *by = w->decision->stopped_by != NULL ? w->decision->stopped_by : "?";
	if (w->decision->fate == PD_RULES_FATE_QUARANTINE) {
		w->cause = PD_CAUSE_RULE;
		g_free(w->reason);
		w->reason = g_strdup_printf("rule \"%s\": %s", by, w->decision->quarantine_reason);
	} else if (w->decision->fate == PD_RULES_FATE_DROP)
		w->rule_reason = g_strdup_printf("rule \"%s\" said drop", by);
}

/* The requester's language: what the mail says it is written in (or what
 * they accept), when the desk has templates in it. */
static const char *
mail_language(const pd_notify *notify, const char *raw, gsize len)
{
	static const char *const fields[] = { "Content-Language", "Accept-Language" };
	const char *lang = NULL;
	for (guint i = 0; notify != NULL && lang == NULL && i < G_N_ELEMENTS(fields); i++) {
		char **v = pd_raw_header_values(raw, len, fields[i], len);
		if (v[0] != NULL)
			lang = pd_notify_pick_language(notify, v[0]);
		g_strfreev(v);
	}
	return lang;
}

/* The mail's event data (the message, where it is spooled, where it came
 * from): a function of the mail alone, so it is built in the preparing
 * thread, and serialized there, which the commit would otherwise do. */
static GVariant *
message_event_data(pd_spool_batch *batch, work *w)
{
	GVariantBuilder b;
	g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
	g_variant_builder_add(&b, "{sv}", "message", pd_message_to_variant(w->msg));
	g_variant_builder_add(&b, "{sv}", "spool",
	                      g_variant_new_string(pd_spool_item_relpath(batch, w->spool_idx)));
	g_variant_builder_add(&b, "{sv}", "source", g_variant_new_string(w->item->source));
	if (w->item->source_key != NULL)
		g_variant_builder_add(&b, "{sv}", "source_key", g_variant_new_string(w->item->source_key));
	GVariant *data = g_variant_ref_sink(g_variant_builder_end(&b));
	g_variant_get_data(data);
	return data;
}

/* What can be decided before the transaction, for each mail of a batch:
 * its route and its requester's language (the raw header block is mapped
 * once for both). Runs in the preparing thread. */
static void
route_works(pd_ingest *ing, pd_spool_batch *batch, work *works, guint n)
{
	pd_ruleset *rs = current_rules(ing);
	for (guint i = 0; i < n; i++) {
		work *w = &works[i];
		if (w->spool_idx < 0 || w->msg == NULL || w->cause != PD_CAUSE_NONE)
			continue;
		GMappedFile *map = g_mapped_file_new(pd_spool_item_path(batch, w->spool_idx), FALSE, NULL);
		const char *raw = map != NULL ? g_mapped_file_get_contents(map) : NULL;
		gsize len = map != NULL ? MIN(g_mapped_file_get_length(map), 256 * 1024) : 0;
		if (raw != NULL)
			w->language = mail_language(ing->notify, raw, len);
		if (rs != NULL)
			route(rs, w, raw, len);
		if (map != NULL)
			g_mapped_file_unref(map);
		if (w->cause == PD_CAUSE_NONE && w->rule_reason == NULL)
			w->event_data = message_event_data(batch, w);
	}
	if (rs != NULL)
		pd_ruleset_unref(rs);
}

void
pd_ingest_free(pd_ingest **ingest)
{
	if (*ingest == NULL)
		return;
	g_free((*ingest)->default_queue);
	if ((*ingest)->rules != NULL)
		pd_ruleset_unref((*ingest)->rules);
	g_mutex_clear(&(*ingest)->rules_lock);
	g_strfreev((*ingest)->fallback_charsets);
	g_strfreev((*ingest)->our_domains);
	g_clear_pointer(ingest, g_free);
}

void
pd_ingest_item_clear(pd_ingest_item *item)
{
	g_clear_pointer(&item->summary, g_free);
}

static void
work_clear(work *w)
{
	pd_message_free(&w->msg);
	g_free(w->reason);
	g_free(w->what);
	pd_decision_free(&w->decision);
	g_free(w->rule_reason);
	if (w->event_data != NULL)
		g_variant_unref(w->event_data);
	for (int i = 0; i < 2; i++)
		g_free(w->keys[i]);
}

/* ---- before the transaction ---- */

/* The content key: a mail delivered twice (two aliases, an MTA retry) differs
 * only in the trace headers on top, so the key is the Message-ID plus the
 * hash of everything after the header block, which the spool took while
 * staging; without a Message-ID, the raw bytes. */
static char *
content_key(const pd_message *msg, const char *sha256, const char *body_sha256)
{
	if (msg == NULL || msg->message_id == NULL)
		return g_strdup_printf("raw:%s", sha256);
	pd_sha256 *sum = pd_sha256_new();
	pd_sha256_update(sum, msg->message_id, strlen(msg->message_id) + 1);
	pd_sha256_update(sum, body_sha256, strlen(body_sha256));
	char *hex = pd_sha256_finish(sum);
	char *key = g_strdup_printf("mid:%s", hex);
	g_free(hex);
	return key;
}

/* Stage the item's bytes in the spool; -1 with error if they cannot be read. */
static int
stage(pd_spool_batch *batch, pd_ingest_item *item, GError **error)
{
	if (item->data != NULL)
		return pd_spool_stage_bytes(batch, g_bytes_get_data(item->data, NULL), g_bytes_get_size(item->data), error);
	if (item->path == NULL)
		return pd_spool_stage_fd(batch, item->fd, error);
	return pd_spool_stage_file(batch, item->path, error);
}

/* The pipeline's attachment sink: the spool batch, so attachments become
 * durable with the raw message, before the transaction names them. */
static gpointer sink_open(gpointer batch, GError **error) { return pd_spool_att_open(batch, error); }
static gboolean sink_write(gpointer att, const void *buf, gsize len, GError **error) { return pd_spool_att_write(att, buf, len, error); }
static char *sink_close(gpointer att, GError **error) { return pd_spool_att_close(att, error); }
static void sink_abort(gpointer att) { pd_spool_att_abort(att); }

/* Parse the staged file, streamed: part contents stay in the file and
 * attachments go to the spool in chunks. Over the size limit the parser
 * reads only the header block, so the quarantine can say who sent what. */
static gboolean
parse_staged(pd_spool_batch *batch, work *w, const pd_parse_options *popts, GError **error)
{
	guint64 size = pd_spool_item_size(batch, w->spool_idx);
	const char *sha = pd_spool_item_sha256(batch, w->spool_idx);
	const char *path = pd_spool_item_path(batch, w->spool_idx);
	pd_attachment_sink sink = { sink_open, sink_write, sink_close, sink_abort, batch };
	pd_parse_options opts = *popts;
	opts.sink = &sink;
	w->item->size = size;
	w->msg = pd_message_parse_file(path, &opts, &w->cause, &w->reason);
	/* A full disk while staging attachments is trouble that passes: defer. */
	if (pd_spool_batch_att_failed(batch, error))
		return FALSE;
	if (w->cause == PD_CAUSE_TOO_LARGE)
		w->keys[1] = g_strdup_printf("raw:%s", sha);
	else
		w->keys[1] = content_key(w->msg, sha, pd_spool_item_body_sha256(batch, w->spool_idx));
	return TRUE;
}

static gboolean
prepare(pd_spool_batch *batch, work *w, const pd_parse_options *popts, GError **error)
{
	w->item->started = w->item->started != 0 ? w->item->started : g_get_monotonic_time();
	w->spool_idx = stage(batch, w->item, error);
	if (w->spool_idx < 0)
		return FALSE;
	if (w->item->source_key != NULL)
		w->keys[0] = g_strdup_printf("src:%s:%s", w->item->source, w->item->source_key);
	if (!parse_staged(batch, w, popts, error))
		return FALSE;
	/* Keys in order of precedence, with no hole: the source identity first. */
	if (w->keys[0] == NULL) {
		w->keys[0] = w->keys[1];
		w->keys[1] = NULL;
	}
	return TRUE;
}

/* ---- inside the transaction ---- */

typedef struct {
	pd_ingest *ing;
	pd_spool_batch *batch;
	work *works;
	guint n;
} txn_ctx;

static gboolean
find_duplicate(pd_txn *txn, work *w, GError **error)
{
	for (int i = 0; w->keys[i] != NULL; i++) {
		GVariant *v = NULL;
		GError *e = NULL;
		if (!pd_dedupe_lookup(txn, w->keys[i], &v, &e)) {
			if (e != NULL) {
				g_propagate_error(error, e);
				return FALSE;
			}
			continue;
		}
		w->item->outcome = PD_INGEST_DUPLICATE;
		g_variant_lookup(v, "ticket", "t", &w->item->ticket);
		g_variant_lookup(v, "quarantine", "t", &w->item->quarantine);
		g_variant_unref(v);
		return TRUE;
	}
	return TRUE;
}

static gboolean
put_keys(pd_txn *txn, work *w, GVariant *value, GError **error)
{
	g_variant_ref_sink(value);
	gboolean ok = TRUE;
	for (int i = 0; ok && w->keys[i] != NULL; i++)
		ok = pd_dedupe_put(txn, w->keys[i], value, error);
	g_variant_unref(value);
	return ok;
}

/* {'ticket': <%t>, 'seq': <%u>}, without the text parser. */
static GVariant *
ticket_seq(guint64 ticket, guint32 seq)
{
	GVariantBuilder b;
	g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
	g_variant_builder_add_value(&b, g_variant_new_dict_entry(g_variant_new_string("ticket"),
	                                                         g_variant_new_variant(g_variant_new_uint64(ticket))));
	g_variant_builder_add_value(&b, g_variant_new_dict_entry(g_variant_new_string("seq"),
	                                                         g_variant_new_variant(g_variant_new_uint32(seq))));
	return g_variant_builder_end(&b);
}

static gboolean
take_mail(pd_txn *txn, txn_ctx *c, work *w, GError **error)
{
	pd_conversation plain = { .notify = c->ing->notify };
	const pd_conversation *conv = c->ing->conv != NULL ? c->ing->conv : &plain;
	pd_conv_mail m = { .decision = w->decision, .language = w->language, .msg = w->msg, .data = w->event_data != NULL ? g_variant_ref(w->event_data) : message_event_data(c->batch, w),
	                   .queue = w->item->queue != NULL ? w->item->queue : c->ing->default_queue,
	                   .source = w->item->source,
	                   .raw_path = pd_spool_item_path(c->batch, w->spool_idx) };
	gboolean ok = pd_conversation_take(txn, conv, &m, error) &&
	              put_keys(txn, w, ticket_seq(m.ticket, m.seq), error);
	if (ok) {
		w->item->outcome = m.created ? PD_INGEST_CREATED : PD_INGEST_FOLLOWUP;
		w->item->ticket = m.ticket;
	}
	g_free(w->what);
	w->what = m.what;
	g_variant_unref(m.data);
	return ok;
}

static gboolean
quarantine(pd_txn *txn, txn_ctx *c, work *w, GError **error)
{
	pd_quarantine *q = pd_quarantine_new();
	q->cause = g_strdup(pd_cause_name(w->cause));
	q->reason = g_strdup(w->reason != NULL ? w->reason : pd_cause_name(w->cause));
	q->spool = g_strdup(pd_spool_item_relpath(c->batch, w->spool_idx));
	q->time = pd_now_usec();
	q->source = g_strdup(w->item->source);
	q->size = w->item->size;
	if (w->msg != NULL) {
		q->subject = *w->msg->subject != '\0' ? g_strdup(w->msg->subject) : NULL;
		q->from = w->msg->from != NULL ? g_strdup(w->msg->from->addr) : NULL;
	}
	q->keys = g_strdupv(w->keys);
	gboolean ok = pd_quarantine_add(txn, q, error) &&
	              put_keys(txn, w, g_variant_new_parsed("{'quarantine': <%t>}", q->id), error);
	if (ok) {
		w->item->outcome = PD_INGEST_QUARANTINED;
		w->item->quarantine = q->id;
	}
	pd_quarantine_free(&q);
	return ok;
}

/* A released message: its quarantine entry and keys go in the same
 * transaction that gives it its new outcome, so a crash loses neither. */
static gboolean
forget_quarantined(pd_txn *txn, guint64 id, GError **error)
{
	pd_quarantine *q = pd_quarantine_get(txn, id, error);
	gboolean ok = q != NULL;
	for (int i = 0; ok && q->keys[i] != NULL; i++)
		ok = pd_dedupe_delete(txn, q->keys[i], error);
	ok = ok && pd_quarantine_delete(txn, id, error);
	pd_quarantine_free(&q);
	return ok;
}

/* Our own notification coming back (a forwarding loop, a misconfigured
 * alias): its Message-ID carries our HMAC, which nobody else can make. */
static const char *
drop_reason(const pd_ingest *ing, const work *w)
{
	guint64 ticket;
	guint32 seq;
	if (ing->notify != NULL && w->msg != NULL && w->msg->message_id != NULL &&
	    pd_msgid_check(pd_notify_secret(ing->notify), w->msg->message_id, &ticket, &seq))
		return "our own notification came back";
	return NULL;
}

static gboolean
drop(pd_txn *txn, work *w, GError **error)
{
	if (!put_keys(txn, w, g_variant_new_parsed("{'dropped': <%s>}", w->drop_reason), error))
		return FALSE;
	w->item->outcome = PD_INGEST_DROPPED;
	return TRUE;
}

static gboolean
commit_one(pd_txn *txn, txn_ctx *c, work *w, GError **error)
{
	if (w->spool_idx < 0)
		return TRUE;
	if (w->release_of != 0 ? !forget_quarantined(txn, w->release_of, error)
	                       : !find_duplicate(txn, w, error))
		return FALSE;
	if (w->item->outcome == PD_INGEST_DUPLICATE)
		return TRUE;
	if (w->cause != PD_CAUSE_NONE)
		return quarantine(txn, c, w, error);
	if ((w->drop_reason = w->rule_reason != NULL ? w->rule_reason : drop_reason(c->ing, w)) != NULL)
		return drop(txn, w, error);
	return take_mail(txn, c, w, error);
}

static gboolean
commit_all(pd_txn *txn, gpointer data, GError **error)
{
	txn_ctx *c = data;
	/* A retry after a deadlock starts from a clean slate. */
	for (guint i = 0; i < c->n; i++) {
		pd_ingest_item *it = c->works[i].item;
		if (c->works[i].spool_idx >= 0) {
			it->outcome = PD_INGEST_PENDING;
			it->ticket = it->quarantine = 0;
		}
	}
	for (guint i = 0; i < c->n; i++)
		if (!commit_one(txn, c, &c->works[i], error))
			return FALSE;
	return TRUE;
}

/* ---- reporting ---- */

static char *
summarize(const work *w)
{
	const pd_ingest_item *it = w->item;
	const char *mid = w->msg != NULL && w->msg->message_id != NULL ? w->msg->message_id : "(no message-id)";
	char *size = pd_format_size(it->size);
	char *what;
	switch (it->outcome) {
	case PD_INGEST_CREATED:
	case PD_INGEST_FOLLOWUP:
		what = g_strdup(w->what);
		break;
	case PD_INGEST_DUPLICATE:
		if (it->ticket != 0)
			what = g_strdup_printf("duplicate of ticket #%" G_GUINT64_FORMAT ", nothing to do", it->ticket);
		else if (it->quarantine != 0)
			what = g_strdup_printf("duplicate of quarantine entry %" G_GUINT64_FORMAT ", nothing to do", it->quarantine);
		else
			what = g_strdup("seen before and dropped, nothing to do");
		break;
	case PD_INGEST_DROPPED:
		what = g_strdup_printf("dropped: %s", w->drop_reason);
		break;
	case PD_INGEST_QUARANTINED:
		what = g_strdup_printf("quarantined as %" G_GUINT64_FORMAT ": %s: %s", it->quarantine,
		                       pd_cause_name(w->cause), w->reason);
		break;
	default:
		what = g_strdup(pd_ingest_outcome_name(it->outcome));
	}
	char *line = g_strdup_printf("<%s>: %s (%s %s, %s, %.1f ms)", mid, what, it->source,
	                             it->source_key != NULL ? it->source_key : "-", size,
	                             (it->finished - it->started) / 1000.0);
	g_free(what);
	g_free(size);
	return line;
}

/* ---- the batch: prepared (staged, parsed, durable on disk), then committed ---- */

struct pd_ingest_batch {
	pd_ingest *ing;
	work *works;
	guint n;
	pd_spool_batch *spool;
};

static gboolean
prepare_works(pd_spool_batch *batch, work *works, guint n, const pd_parse_options *popts, GError **error)
{
	for (guint i = 0; i < n; i++) {
		GError *e = NULL;
		if (prepare(batch, &works[i], popts, &e))
			continue;
		/* A message another reader took away is no loss; anything else
		 * (disk full, unreadable file) defers the whole batch. */
		if (e->code != PD_ERROR_NOT_FOUND) {
			g_propagate_error(error, e);
			return FALSE;
		}
		works[i].item->outcome = PD_INGEST_SKIPPED;
		g_error_free(e);
	}
	return pd_spool_batch_commit(batch, error);
}

static pd_result
commit_works(pd_ingest *ing, pd_spool_batch *batch, work *works, guint n, GError **error)
{
	txn_ctx c = { ing, batch, works, n };
	if (!pd_store_run(ing->store, commit_all, &c, error))
		return PD_DEFER;
	gint64 now = g_get_monotonic_time();
	for (guint i = 0; i < n; i++) {
		works[i].item->finished = now;
		g_free(works[i].item->summary);
		works[i].item->summary = summarize(&works[i]);
	}
	return PD_OK;
}

static pd_result
run_works(pd_ingest *ing, work *works, guint n, const pd_parse_options *popts, GError **error)
{
	pd_spool_batch *batch = pd_spool_batch_new(pd_store_spool(ing->store));
	gboolean prepared = prepare_works(batch, works, n, popts, error);
	if (prepared)
		route_works(ing, batch, works, n);
	pd_result res = prepared ? commit_works(ing, batch, works, n, error)
	                                                             : PD_DEFER;
	pd_spool_batch_free(&batch);
	return res;
}

static work *
works_for(pd_ingest_item *items, guint n)
{
	work *works = g_new0(work, n);
	for (guint i = 0; i < n; i++) {
		works[i].item = &items[i];
		works[i].spool_idx = -1;
		items[i].outcome = PD_INGEST_PENDING;
	}
	return works;
}

static void
works_free(work *works, guint n)
{
	for (guint i = 0; i < n; i++)
		work_clear(&works[i]);
	g_free(works);
}

pd_result
pd_ingest_run(pd_ingest *ing, pd_ingest_item *items, guint n, GError **error)
{
	work *works = works_for(items, n);
	pd_result res = run_works(ing, works, n, &ing->opts.parse, error);
	works_free(works, n);
	return res;
}

pd_ingest_batch *
pd_ingest_prepare(pd_ingest *ing, pd_ingest_item *items, guint n, GError **error)
{
	pd_ingest_batch *b = g_new0(pd_ingest_batch, 1);
	b->ing = ing;
	b->n = n;
	b->works = works_for(items, n);
	b->spool = pd_spool_batch_new(pd_store_spool(ing->store));
	if (prepare_works(b->spool, b->works, n, &ing->opts.parse, error))
		route_works(ing, b->spool, b->works, n);
	else
		pd_ingest_batch_free(&b);
	return b;
}

pd_result
pd_ingest_commit(pd_ingest_batch *b, GError **error)
{
	return commit_works(b->ing, b->spool, b->works, b->n, error);
}

void
pd_ingest_batch_free(pd_ingest_batch **batch)
{
	pd_ingest_batch *b = *batch;
	if (b == NULL)
		return;
	works_free(b->works, b->n);
	pd_spool_batch_free(&b->spool);
	g_clear_pointer(batch, g_free);
}

typedef struct {
	guint64 id;
	pd_quarantine *q;
} get_ctx;

static gboolean
get_quarantine(pd_txn *txn, gpointer data, GError **error)
{
	get_ctx *c = data;
	pd_quarantine_free(&c->q);
	c->q = pd_quarantine_get(txn, c->id, error);
	return c->q != NULL;
}

/* The source identity the quarantined mail had, so its keys come back the same. */
static char *
source_key_of(const pd_quarantine *q)
{
	char *prefix = g_strdup_printf("src:%s:", q->source != NULL ? q->source : "");
	char *found = NULL;
	for (int i = 0; found == NULL && q->keys[i] != NULL; i++)
		if (g_str_has_prefix(q->keys[i], prefix))
			found = g_strdup(q->keys[i] + strlen(prefix));
	g_free(prefix);
	return found;
}

pd_result
pd_ingest_release(pd_ingest *ing, guint64 id, pd_ingest_item *result, GError **error)
{
	get_ctx c = { id, NULL };
	if (!pd_store_run(ing->store, get_quarantine, &c, error))
		return (*error)->code == PD_ERROR_NOT_FOUND ? PD_REJECT : PD_DEFER;
	char *path = pd_spool_path(pd_store_spool(ing->store), c.q->spool);
	char *source_key = source_key_of(c.q);
	pd_parse_options popts = ing->opts.parse;
	/* Releasing a message held for its size is the admin saying it is fine. */
	if (g_strcmp0(c.q->cause, pd_cause_name(PD_CAUSE_TOO_LARGE)) == 0)
		popts.limits.max_message_size = 0;
	memset(result, 0, sizeof *result);
	result->path = path;
	result->fd = -1;
	result->source = c.q->source != NULL ? c.q->source : "release";
	result->source_key = source_key;
	work w = { .item = result, .spool_idx = -1, .release_of = id };
	pd_result res = run_works(ing, &w, 1, &popts, error);
	result->path = result->source = result->source_key = NULL;
	work_clear(&w);
	g_free(path);
	g_free(source_key);
	pd_quarantine_free(&c.q);
	return res;
}
