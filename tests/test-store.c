/* test-store.c: the ticket store: records, indices, dedupe, aborts, sequences, recovery. */
#include "config.h"
#include "store/store.h"
#include "store/store-private.h"  /* to write records as older versions did */
#include "pd.h"

#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct {
	char *dir;
	pd_store *store;
} fixture;

static void
setup(fixture *f, gconstpointer data)
{
	GError *e = NULL;
	f->dir = g_dir_make_tmp("pd-store-XXXXXX", &e);
	g_assert_no_error(e);
	f->store = pd_store_open(f->dir, NULL, &e);
	g_assert_no_error(e);
	g_assert_nonnull(f->store);
}

static void
rm_rf(const char *dir)
{
	char *argv[] = { "rm", "-rf", (char *)dir, NULL };
	g_spawn_sync(NULL, argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, NULL, NULL);
}

static void
teardown(fixture *f, gconstpointer data)
{
	pd_store_close(&f->store);
	rm_rf(f->dir);
	g_free(f->dir);
}

static pd_ticket *
make_ticket(const char *requester, const char *status, const char *subject)
{
	pd_ticket *t = pd_ticket_new();
	t->status = g_strdup(status);
	t->subject = g_strdup(subject);
	t->requester = g_strdup(requester);
	t->queue = g_strdup("general");
	t->priority = g_strdup("normal");
	t->source = g_strdup("test");
	t->created = t->updated = 1700000000000000;
	return t;
}

typedef struct {
	const char *requester, *status, *subject;
	guint64 id;
	gboolean fail_after;  /* create, then return FALSE: the transaction aborts */
} create_args;

static gboolean
create_fn(pd_txn *txn, gpointer data, GError **error)
{
	create_args *a = data;
	pd_ticket *t = make_ticket(a->requester, a->status, a->subject);
	gboolean ok = pd_ticket_create(txn, t, error) &&
	              pd_event_append(txn, t, "created", a->requester,
	                              g_variant_new_parsed("{'note': <'hello'>}"), NULL, error) &&
	              pd_ticket_put(txn, t, error) &&
	              pd_dedupe_put(txn, a->subject, g_variant_new_parsed("{'ticket': <%t>}", t->id), error);
	a->id = t->id;
	pd_ticket_free(&t);
	if (ok && a->fail_after) {
		g_set_error(error, PD_ERROR, PD_ERROR_PERMANENT, "asked to fail");
		return FALSE;
	}
	return ok;
}

static guint64
create(fixture *f, const char *req, const char *status, const char *subject)
{
	create_args a = { req, status, subject, 0, FALSE };
	GError *e = NULL;
	g_assert_true(pd_store_run(f->store, create_fn, &a, &e));
	g_assert_no_error(e);
	return a.id;
}

typedef struct {
	guint64 id;
	pd_ticket *t;
	GPtrArray *events;
} get_args;

static gboolean
get_fn(pd_txn *txn, gpointer data, GError **error)
{
	get_args *a = data;
	pd_ticket_free(&a->t);
	a->t = pd_ticket_get(txn, a->id, FALSE, error);
	if (a->t == NULL)
		return FALSE;
	if (a->events != NULL)
		g_ptr_array_unref(a->events);
	a->events = pd_events_list(txn, a->id, error);
	return a->events != NULL;
}

static void
test_create_read(fixture *f, gconstpointer data)
{
	guint64 id = create(f, "anna@example.com", "new", "Printer on fire");
	g_assert_cmpuint(id, ==, 1000);
	g_assert_cmpuint(create(f, "bob@example.com", "open", "VPN"), ==, 1001);
	get_args a = { .id = id };
	GError *e = NULL;
	g_assert_true(pd_store_run(f->store, get_fn, &a, &e));
	g_assert_cmpstr(a.t->subject, ==, "Printer on fire");
	g_assert_cmpstr(a.t->requester, ==, "anna@example.com");
	g_assert_cmpstr(a.t->status, ==, "new");
	g_assert_cmpuint(a.t->nevents, ==, 1);
	g_assert_cmpuint(a.events->len, ==, 1);
	pd_event *ev = a.events->pdata[0];
	g_assert_cmpstr(ev->type, ==, "created");
	g_assert_cmpstr(ev->actor, ==, "anna@example.com");
	g_assert_cmpuint(ev->seq, ==, 1);
	const char *note = NULL;
	g_assert_true(g_variant_lookup(ev->data, "note", "&s", &note));
	g_assert_cmpstr(note, ==, "hello");
	pd_ticket_free(&a.t);
	g_ptr_array_unref(a.events);
}

static void
test_not_found(fixture *f, gconstpointer data)
{
	get_args a = { .id = 4242 };
	GError *e = NULL;
	g_assert_false(pd_store_run(f->store, get_fn, &a, &e));
	g_assert_error(e, PD_ERROR, PD_ERROR_NOT_FOUND);
	g_clear_error(&e);
}

static void
test_abort_leaves_no_trace(fixture *f, gconstpointer data)
{
	create_args a = { "x@example.com", "new", "doomed", 0, TRUE };
	GError *e = NULL;
	g_assert_false(pd_store_run(f->store, create_fn, &a, &e));
	g_assert_error(e, PD_ERROR, PD_ERROR_PERMANENT);
	g_clear_error(&e);
	/* The sequence value went back with the abort: the next ticket reuses it. */
	g_assert_cmpuint(create(f, "y@example.com", "new", "kept"), ==, a.id);
	get_args g = { .id = a.id };
	g_assert_true(pd_store_run(f->store, get_fn, &g, &e));
	g_assert_cmpstr(g.t->subject, ==, "kept");
	g_assert_cmpuint(g.events->len, ==, 1);
	pd_ticket_free(&g.t);
	g_ptr_array_unref(g.events);
}

typedef struct {
	const char *key;
	gboolean found;
	guint64 ticket;
} dedupe_args;

static gboolean
dedupe_fn(pd_txn *txn, gpointer data, GError **error)
{
	dedupe_args *a = data;
	GVariant *v = NULL;
	GError *e = NULL;
	a->found = pd_dedupe_lookup(txn, a->key, &v, &e);
	if (e != NULL) {
		g_propagate_error(error, e);
		return FALSE;
	}
	if (v != NULL) {
		g_variant_lookup(v, "ticket", "t", &a->ticket);
		g_variant_unref(v);
	}
	return TRUE;
}

static void
test_dedupe(fixture *f, gconstpointer data)
{
	guint64 id = create(f, "anna@example.com", "new", "key-1");
	dedupe_args a = { "key-1" };
	g_assert_true(pd_store_run(f->store, dedupe_fn, &a, NULL));
	g_assert_true(a.found);
	g_assert_cmpuint(a.ticket, ==, id);
	dedupe_args b = { "key-2" };
	g_assert_true(pd_store_run(f->store, dedupe_fn, &b, NULL));
	g_assert_false(b.found);
	/* An aborted transaction leaves no key behind. */
	create_args c = { "z@example.com", "new", "key-3", 0, TRUE };
	g_assert_false(pd_store_run(f->store, create_fn, &c, NULL));
	dedupe_args d = { "key-3" };
	g_assert_true(pd_store_run(f->store, dedupe_fn, &d, NULL));
	g_assert_false(d.found);
}

typedef struct {
	const char *status, *requester;
	GString *ids;
} list_args;

static gboolean
visit(const pd_ticket *t, gpointer data)
{
	g_string_append_printf(data, "%" G_GUINT64_FORMAT " ", t->id);
	return TRUE;
}

static gboolean
list_fn(pd_txn *txn, gpointer data, GError **error)
{
	list_args *a = data;
	g_string_truncate(a->ids, 0);
	return pd_tickets_foreach(txn, a->status, a->requester, visit, a->ids, error);
}

static char *
list(fixture *f, const char *status, const char *requester)
{
	list_args a = { status, requester, g_string_new(NULL) };
	g_assert_true(pd_store_run(f->store, list_fn, &a, NULL));
	return g_string_free(a.ids, FALSE);
}

typedef struct {
	guint64 id;
	const char *status;
} status_args;

static gboolean
set_status_fn(pd_txn *txn, gpointer data, GError **error)
{
	status_args *a = data;
	pd_ticket *t = pd_ticket_get(txn, a->id, TRUE, error);
	if (t == NULL)
		return FALSE;
	g_free(t->status);
	t->status = g_strdup(a->status);
	gboolean ok = pd_ticket_put(txn, t, error);
	pd_ticket_free(&t);
	return ok;
}

static void
test_indices(fixture *f, gconstpointer data)
{
	create(f, "anna@example.com", "new", "a");
	guint64 b = create(f, "bob@example.com", "open", "b");
	create(f, "anna@example.com", "open", "c");
	char *s;
	g_assert_cmpstr((s = list(f, NULL, NULL)), ==, "1000 1001 1002 ");
	g_free(s);
	g_assert_cmpstr((s = list(f, "open", NULL)), ==, "1001 1002 ");
	g_free(s);
	g_assert_cmpstr((s = list(f, NULL, "ANNA@example.com")), ==, "1000 1002 ");
	g_free(s);
	g_assert_cmpstr((s = list(f, "open", "anna@example.com")), ==, "1002 ");
	g_free(s);
	g_assert_cmpstr((s = list(f, "closed", NULL)), ==, "");
	g_free(s);
	/* Updating the primary moves the ticket in the secondary index. */
	status_args sa = { b, "closed" };
	g_assert_true(pd_store_run(f->store, set_status_fn, &sa, NULL));
	g_assert_cmpstr((s = list(f, "open", NULL)), ==, "1002 ");
	g_free(s);
	g_assert_cmpstr((s = list(f, "closed", NULL)), ==, "1001 ");
	g_free(s);
}

typedef struct {
	const char *msgid;
	guint64 ticket;
	gboolean found;
} msgid_args;

static gboolean
msgid_put_fn(pd_txn *txn, gpointer data, GError **error)
{
	msgid_args *a = data;
	return pd_msgid_put(txn, a->msgid, a->ticket, 1, error);
}

static gboolean
msgid_get_fn(pd_txn *txn, gpointer data, GError **error)
{
	msgid_args *a = data;
	GError *e = NULL;
	a->found = pd_msgid_lookup(txn, a->msgid, &a->ticket, NULL, &e);
	if (e != NULL)
		g_propagate_error(error, e);
	return e == NULL;
}

static void
test_msgid_first_wins(fixture *f, gconstpointer data)
{
	msgid_args a = { "abc@example.com", 1000 };
	g_assert_true(pd_store_run(f->store, msgid_put_fn, &a, NULL));
	msgid_args b = { "abc@example.com", 2000 };
	g_assert_true(pd_store_run(f->store, msgid_put_fn, &b, NULL));
	msgid_args c = { "abc@example.com" };
	g_assert_true(pd_store_run(f->store, msgid_get_fn, &c, NULL));
	g_assert_true(c.found);
	g_assert_cmpuint(c.ticket, ==, 1000);
	msgid_args d = { "nope@example.com" };
	g_assert_true(pd_store_run(f->store, msgid_get_fn, &d, NULL));
	g_assert_false(d.found);
}

typedef struct {
	pd_quarantine *q;
	guint count;
} quar_args;

static gboolean
quar_add_fn(pd_txn *txn, gpointer data, GError **error)
{
	return pd_quarantine_add(txn, ((quar_args *)data)->q, error);
}

static gboolean
count_q(const pd_quarantine *q, gpointer data)
{
	(*(guint *)data)++;
	return TRUE;
}

static gboolean
quar_count_fn(pd_txn *txn, gpointer data, GError **error)
{
	quar_args *a = data;
	a->count = 0;
	return pd_quarantine_foreach(txn, count_q, &a->count, error);
}

static gboolean
quar_del_fn(pd_txn *txn, gpointer data, GError **error)
{
	return pd_quarantine_delete(txn, ((quar_args *)data)->q->id, error);
}

static void
test_quarantine(fixture *f, gconstpointer data)
{
	pd_quarantine *q = pd_quarantine_new();
	q->cause = g_strdup("too-large");
	q->reason = g_strdup("big");
	q->spool = g_strdup("raw/ab/abc.eml");
	q->keys = g_strsplit("raw:abc,src:x:1", ",", -1);
	quar_args a = { q };
	g_assert_true(pd_store_run(f->store, quar_add_fn, &a, NULL));
	g_assert_cmpuint(q->id, ==, 1);
	g_assert_true(pd_store_run(f->store, quar_count_fn, &a, NULL));
	g_assert_cmpuint(a.count, ==, 1);
	g_assert_true(pd_store_run(f->store, quar_del_fn, &a, NULL));
	g_assert_true(pd_store_run(f->store, quar_count_fn, &a, NULL));
	g_assert_cmpuint(a.count, ==, 0);
	pd_quarantine_free(&q);
}

/* A process that dies with the environment open (no close, no checkpoint)
 * must leave a store the next opener recovers, with every commit kept. */
static void
test_recovery_after_crash(fixture *f, gconstpointer data)
{
	pd_store_close(&f->store);
	pid_t pid = fork();
	g_assert_cmpint(pid, >=, 0);
	if (pid == 0) {
		pd_store *s = pd_store_open(f->dir, NULL, NULL);
		fixture child = { f->dir, s };
		for (int i = 0; i < 50; i++) {
			char subj[32];
			g_snprintf(subj, sizeof subj, "crash-%d", i);
			create(&child, "c@example.com", "new", subj);
		}
		_exit(0);  /* no close: the environment needs recovery */
	}
	int status;
	waitpid(pid, &status, 0);
	g_assert_true(WIFEXITED(status));
	GError *e = NULL;
	f->store = pd_store_open(f->dir, NULL, &e);
	g_assert_no_error(e);
	char *s = list(f, NULL, "c@example.com");
	gchar **ids = g_strsplit(g_strstrip(s), " ", -1);
	g_assert_cmpuint(g_strv_length(ids), ==, 50);
	g_strfreev(ids);
	g_free(s);
	g_assert_cmpuint(create(f, "d@example.com", "new", "after"), ==, 1050);
}

static void
test_spool(fixture *f, gconstpointer data)
{
	pd_spool *spool = pd_store_spool(f->store);
	pd_spool_batch *b = pd_spool_batch_new(spool);
	GError *e = NULL;
	int i = pd_spool_stage_bytes(b, "hello", 5, &e);
	int j = pd_spool_stage_bytes(b, "hello", 5, &e);  /* same content, same file */
	g_assert_no_error(e);
	g_assert_cmpstr(pd_spool_item_sha256(b, i), ==,
	                "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
	g_assert_cmpstr(pd_spool_item_relpath(b, i), ==, pd_spool_item_relpath(b, j));
	g_assert_true(pd_spool_batch_commit(b, &e));
	char *path = pd_spool_path(spool, pd_spool_item_relpath(b, i));
	char *text = NULL;
	g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
	g_assert_cmpstr(text, ==, "hello");
	g_free(text);
	g_free(path);
	pd_spool_batch_free(&b);
	/* An uncommitted batch leaves nothing in tmp/. */
	b = pd_spool_batch_new(spool);
	pd_spool_stage_bytes(b, "gone", 4, &e);
	char *tmp = g_strdup(pd_spool_item_path(b, 0));
	g_assert_true(g_file_test(tmp, G_FILE_TEST_EXISTS));
	pd_spool_batch_free(&b);
	g_assert_false(g_file_test(tmp, G_FILE_TEST_EXISTS));
	g_free(tmp);
}

typedef struct {
	gint64 next_try;
	pd_job_state state;
	guint64 id;
} job_args;

static gboolean
add_job_fn(pd_txn *txn, gpointer data, GError **error)
{
	job_args *a = data;
	pd_job *j = pd_job_new();
	j->kind = g_strdup("ticket-created");
	j->rcpts = g_strsplit("a@example.com", ",", -1);
	j->data = g_bytes_new_static("hi\r\n", 4);
	j->state = a->state;
	j->next_try = a->next_try;
	gboolean ok = pd_job_add(txn, j, error);
	a->id = j->id;
	pd_job_free(&j);
	return ok;
}

static gboolean
collect_job(const pd_job *j, gpointer data)
{
	g_string_append_printf(data, "%" G_GUINT64_FORMAT " ", j->id);
	return TRUE;
}

typedef struct {
	gint64 now;
	GString *ids;
	guint64 update_id;
} due_args;

static gboolean
due_fn(pd_txn *txn, gpointer data, GError **error)
{
	due_args *a = data;
	g_string_truncate(a->ids, 0);
	return pd_jobs_foreach_due(txn, a->now, collect_job, a->ids, error);
}

static gboolean
mark_sent_fn(pd_txn *txn, gpointer data, GError **error)
{
	due_args *a = data;
	pd_job *j = pd_job_get(txn, a->update_id, TRUE, error);
	if (j == NULL)
		return FALSE;
	j->state = PD_JOB_SENT;
	j->attempts++;
	gboolean ok = pd_job_put(txn, j, error);
	pd_job_free(&j);
	return ok;
}

static void
test_outbox_due(fixture *f, gconstpointer data)
{
	job_args jobs[] = { { 300, PD_JOB_QUEUED }, { 100, PD_JOB_QUEUED }, { 50, PD_JOB_SENT },
	                    { 200, PD_JOB_QUEUED }, { 900, PD_JOB_QUEUED } };
	for (guint i = 0; i < G_N_ELEMENTS(jobs); i++)
		g_assert_true(pd_store_run(f->store, add_job_fn, &jobs[i], NULL));
	g_assert_cmpuint(jobs[0].id, ==, 1);
	due_args a = { 300, g_string_new(NULL) };
	g_assert_true(pd_store_run(f->store, due_fn, &a, NULL));
	/* Only queued jobs, due by now, earliest first. */
	g_assert_cmpstr(a.ids->str, ==, "2 4 1 ");
	a.update_id = 2;
	g_assert_true(pd_store_run(f->store, mark_sent_fn, &a, NULL));
	g_assert_true(pd_store_run(f->store, due_fn, &a, NULL));
	g_assert_cmpstr(a.ids->str, ==, "4 1 ");
	a.now = 1000;
	g_assert_true(pd_store_run(f->store, due_fn, &a, NULL));
	g_assert_cmpstr(a.ids->str, ==, "4 1 5 ");
	g_string_free(a.ids, TRUE);
}

/* Records of version 1 (no index fields in front), as stores written
 * before version 2 hold them: read, indexed, and rewritten as version 2. */
static gboolean
put_v1_fn(pd_txn *txn, gpointer data, GError **error)
{
	guint8 key[8];
	pd_ticket *t = make_ticket("old@example.com", "pending", "old");
	t->id = 77;
	pd_key_u64(key, t->id);
	gboolean ok = pd_db_put(txn, DB_TICKETS, key, 8, pd_ticket_to_variant(t), 0, error);
	pd_ticket_free(&t);
	pd_job *j = pd_job_new();
	j->id = 78;
	j->kind = g_strdup("ticket-created");
	j->rcpts = g_strsplit("a@example.com", ",", -1);
	j->state = PD_JOB_QUEUED;
	j->next_try = 10;
	pd_key_u64(key, j->id);
	ok = ok && pd_db_put(txn, DB_OUTBOX, key, 8, pd_job_to_variant(j, TRUE), 0, error);
	pd_job_free(&j);
	return ok;
}

static void
test_old_records(fixture *f, gconstpointer data)
{
	g_assert_true(pd_store_run(f->store, put_v1_fn, NULL, NULL));
	get_args g = { 77, NULL, NULL };
	g_assert_true(pd_store_run(f->store, get_fn, &g, NULL));
	g_assert_cmpstr(g.t->status, ==, "pending");
	g_assert_cmpstr(g.t->requester, ==, "old@example.com");
	g_assert_null(g.t->extra);
	pd_ticket_free(&g.t);
	g_ptr_array_unref(g.events);
	char *s;
	g_assert_cmpstr((s = list(f, "pending", "old@example.com")), ==, "77 ");
	g_free(s);
	/* Rewritten as version 2: the old index entries go, the new ones come. */
	status_args sa = { 77, "open" };
	g_assert_true(pd_store_run(f->store, set_status_fn, &sa, NULL));
	g_assert_cmpstr((s = list(f, "pending", NULL)), ==, "");
	g_free(s);
	g_assert_cmpstr((s = list(f, "open", "old@example.com")), ==, "77 ");
	g_free(s);
	due_args a = { 100, g_string_new(NULL), 78 };
	g_assert_true(pd_store_run(f->store, due_fn, &a, NULL));
	g_assert_cmpstr(a.ids->str, ==, "78 ");
	g_assert_true(pd_store_run(f->store, mark_sent_fn, &a, NULL));
	g_assert_true(pd_store_run(f->store, due_fn, &a, NULL));
	g_assert_cmpstr(a.ids->str, ==, "");
	g_string_free(a.ids, TRUE);
}

/* A record of a version this one does not know, or damaged, is refused
 * rather than misread; index fields are found in version 2 only. */
static void
test_record_codec(void)
{
	pd_record_field in[2] = { { "open", 4 }, { "", 0 } }, out;
	gsize n;
	guint8 *rec = pd_record_encode_indexed(g_variant_new_parsed("{'status': <'open'>}"), in, 2, &n);
	g_assert_cmpint(rec[0], ==, 2);
	g_assert_cmpint(pd_record_field_get(rec, n, 0, &out), ==, 1);
	g_assert_cmpmem(out.data, out.len, "open", 4);
	g_assert_cmpint(pd_record_field_get(rec, n, 1, &out), ==, 1);
	g_assert_cmpuint(out.len, ==, 0);
	g_assert_cmpint(pd_record_field_get(rec, n, 2, &out), ==, -1);
	GVariant *v = pd_record_decode(rec, n);
	const char *st = NULL;
	g_assert_true(g_variant_lookup(v, "status", "&s", &st));
	g_assert_cmpstr(st, ==, "open");
	g_variant_unref(v);
	/* Cut inside the index fields. */
	g_assert_null(pd_record_decode(rec, 5));
	g_assert_cmpint(pd_record_field_get(rec, 5, 0, &out), ==, -1);
	rec[0] = PD_RECORD_VERSION + 1;
	g_assert_null(pd_record_decode(rec, n));
	g_free(rec);
	rec = pd_record_encode(g_variant_new_parsed("{'status': <'open'>}"), &n);
	g_assert_cmpint(rec[0], ==, 1);
	g_assert_cmpint(pd_record_field_get(rec, n, 0, &out), ==, 0);
	g_free(rec);
}

typedef struct {
	gint64 now;
	gboolean count;
	guint hits;
} rate_args;

static gboolean
rate_fn(pd_txn *txn, gpointer data, GError **error)
{
	rate_args *a = data;
	return pd_rate_hit(txn, "ack:a@example.com", a->now, G_GINT64_CONSTANT(3600) * G_USEC_PER_SEC, a->count, &a->hits, error);
}

static void
test_rate_window(fixture *f, gconstpointer data)
{
	gint64 hour = G_GINT64_CONSTANT(3600) * G_USEC_PER_SEC;
	for (int i = 0; i < 5; i++) {
		rate_args a = { (gint64)i * 60 * G_USEC_PER_SEC, TRUE };
		g_assert_true(pd_store_run(f->store, rate_fn, &a, NULL));
		g_assert_cmpuint(a.hits, ==, (guint)i + 1);
	}
	rate_args peek = { G_GINT64_CONSTANT(1800) * G_USEC_PER_SEC, FALSE };
	g_assert_true(pd_store_run(f->store, rate_fn, &peek, NULL));
	g_assert_cmpuint(peek.hits, ==, 5);
	/* An hour and two minutes later, the first three hits left the window. */
	rate_args later = { hour + 150 * G_USEC_PER_SEC, FALSE };
	g_assert_true(pd_store_run(f->store, rate_fn, &later, NULL));
	g_assert_cmpuint(later.hits, ==, 2);
}

/* Two threads update the same two records in opposite orders across two
 * databases: BDB picks deadlock victims, pd_store_run aborts and retries
 * them, and every increment must land exactly once. */
typedef struct {
	pd_store *store;
	gboolean reverse;
	guint rounds;
} bump_args;

static gboolean
bump_counter(pd_txn *txn, const char *key, GError **error)
{
	GVariant *v = NULL;
	GError *e = NULL;
	guint64 n = 0;
	if (!pd_dedupe_lookup(txn, key, &v, &e) && e != NULL) {
		g_propagate_error(error, e);
		return FALSE;
	}
	if (v != NULL) {
		g_variant_lookup(v, "n", "t", &n);
		g_variant_unref(v);
	}
	return pd_dedupe_put(txn, key, g_variant_new_parsed("{'n': <%t>}", n + 1), error);
}

static gboolean
bump_ticket(pd_txn *txn, guint64 id, GError **error)
{
	pd_ticket *t = pd_ticket_get(txn, id, FALSE, error);
	if (t == NULL)
		return FALSE;
	t->nevents++;
	gboolean ok = pd_ticket_put(txn, t, error);
	pd_ticket_free(&t);
	return ok;
}

static gboolean
bump_fn(pd_txn *txn, gpointer data, GError **error)
{
	bump_args *a = data;
	if (a->reverse)
		return bump_counter(txn, "counter", error) && (g_usleep(50), TRUE) && bump_ticket(txn, 1000, error);
	return bump_ticket(txn, 1000, error) && (g_usleep(50), TRUE) && bump_counter(txn, "counter", error);
}

static gpointer
bump_thread(gpointer data)
{
	bump_args *a = data;
	for (guint i = 0; i < a->rounds; i++) {
		GError *e = NULL;
		if (!pd_store_run(a->store, bump_fn, a, &e)) {
			g_printerr("bump failed: %s\n", e->message);
			g_error_free(e);
			return GINT_TO_POINTER(1);
		}
	}
	return NULL;
}

static void
test_deadlock_retry(fixture *f, gconstpointer data)
{
	create(f, "a@example.com", "new", "deadlocks");
	bump_args a = { f->store, FALSE, 200 }, b = { f->store, TRUE, 200 };
	GThread *ta = g_thread_new("a", bump_thread, &a);
	GThread *tb = g_thread_new("b", bump_thread, &b);
	g_assert_null(g_thread_join(ta));
	g_assert_null(g_thread_join(tb));
	get_args g = { .id = 1000 };
	g_assert_true(pd_store_run(f->store, get_fn, &g, NULL));
	/* 1 event from create plus 400 increments: none lost, none doubled. */
	g_assert_cmpuint(g.t->nevents, ==, 401);
	dedupe_args d = { "counter" };
	g_assert_true(pd_store_run(f->store, dedupe_fn, &d, NULL));
	g_test_message("deadlocks retried: %u", pd_store_deadlock_count(f->store));
	pd_ticket_free(&g.t);
	g_ptr_array_unref(g.events);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
#define ADD(name, fn) g_test_add("/store/" name, fixture, NULL, setup, fn, teardown)
	ADD("create-read", test_create_read);
	ADD("not-found", test_not_found);
	ADD("abort-leaves-no-trace", test_abort_leaves_no_trace);
	ADD("dedupe", test_dedupe);
	ADD("indices", test_indices);
	ADD("msgid-first-wins", test_msgid_first_wins);
	ADD("quarantine", test_quarantine);
	ADD("recovery-after-crash", test_recovery_after_crash);
	ADD("spool", test_spool);
	ADD("deadlock-retry", test_deadlock_retry);
	ADD("outbox-due", test_outbox_due);
	ADD("rate-window", test_rate_window);
	ADD("old-records", test_old_records);
	g_test_add_func("/store/record-codec", test_record_codec);
	return g_test_run();
}
