/* store.c: the Berkeley DB environment: open with recovery, transactions with retry, checkpoints. */
#include "config.h"
#include "store-private.h"
#include "fsutil.h"
#include "pd.h"

#include <errno.h>
#include <string.h>

static const struct {
	const char *file;
	gboolean dupsort;  /* non-unique secondary index */
	u_int32_t pagesize;  /* 0: the default; larger where records carry mail text */
} db_files[DB_COUNT] = {
	[DB_TICKETS] = { "tickets.db", FALSE, 16384 },  /* a ticket with its SLA clock is about 1 KB */
	[DB_EVENTS] = { "events.db", FALSE, 16384 },
	[DB_MESSAGES] = { "messages.db", FALSE },
	[DB_BY_MSGID] = { "by_msgid.db", FALSE },
	[DB_BY_STATUS] = { "by_status.db", TRUE },
	[DB_BY_REQUESTER] = { "by_requester.db", TRUE },
	[DB_QUARANTINE] = { "quarantine.db", FALSE },
	[DB_SEQUENCES] = { "sequences.db", FALSE },
	[DB_OUTBOX] = { "outbox.db", FALSE, 16384 },
	[DB_OUTBOX_DUE] = { "outbox_due.db", TRUE },
	[DB_RATES] = { "rates.db", FALSE },
	[DB_TIMERS] = { "timers.db", FALSE },
};

void
pd_store_options_init(pd_store_options *opts)
{
	memset(opts, 0, sizeof *opts);
	opts->cache_bytes = 32 * 1024 * 1024;
	opts->deadlock_retries = 20;
	opts->log_auto_remove = TRUE;
	opts->first_ticket_id = 1000;
}

gboolean
pd_db_check(pd_txn *txn, int rc, const char *what, GError **error)
{
	if (rc == 0)
		return TRUE;
	if ((rc == DB_LOCK_DEADLOCK || rc == DB_LOCK_NOTGRANTED) && txn != NULL)
		txn->deadlock = TRUE;
	/* Every database failure is temporary from the mail's point of view: the
	 * mail itself is fine, so it must stay in its source and be tried again. */
	g_set_error(error, PD_ERROR, PD_ERROR_TEMPORARY, "store: %s: %s", what, db_strerror(rc));
	return FALSE;
}

static void
env_errcall(const DB_ENV *env, const char *prefix, const char *msg)
{
	g_warning("%s: %s", prefix, msg);
}

/* Secondary index callbacks. A record of version 2 carries its index keys
 * in front (pd_record_encode_indexed), and the key points into the record
 * (BDB copies it); an older record is decoded. */

/* A string field of an old ticket record. */
static int
index_field_v1(const DBT *data, DBT *result, const char *field)
{
	GVariant *rec = pd_record_decode(data->data, data->size);
	const char *value = NULL;
	int rc = DB_DONOTINDEX;
	if (rec != NULL && g_variant_lookup(rec, field, "&s", &value) && *value != '\0') {
		memset(result, 0, sizeof *result);
		result->size = (u_int32_t)strlen(value);
		result->data = malloc(result->size);
		memcpy(result->data, value, result->size);
		result->flags = DB_DBT_APPMALLOC;
		rc = 0;
	}
	if (rec != NULL)
		g_variant_unref(rec);
	return rc;
}

/* Index field i of the record, or field of an old one; empty: not indexed. */
static int
index_field(const DBT *data, DBT *result, guint i, const char *field)
{
	pd_record_field f;
	int has = pd_record_field_get(data->data, data->size, i, &f);
	if (has == 0)
		return index_field_v1(data, result, field);
	if (has < 0 || f.len == 0)
		return DB_DONOTINDEX;
	memset(result, 0, sizeof *result);
	result->data = (void *)f.data;
	result->size = (u_int32_t)f.len;
	return 0;
}

static int
index_status(DB *db, const DBT *key, const DBT *data, DBT *result)
{
	return index_field(data, result, 0, "status");
}

static int
index_requester(DB *db, const DBT *key, const DBT *data, DBT *result)
{
	return index_field(data, result, 1, "requester");
}

/* Only queued jobs are in the due index, keyed by their next try (u64
 * big-endian, so a cursor walks them in time order). */
static int
index_due(DB *db, const DBT *key, const DBT *data, DBT *result)
{
	pd_record_field f;
	int has = pd_record_field_get(data->data, data->size, 0, &f);
	if (has != 0) {
		if (has < 0 || f.len != 8)
			return DB_DONOTINDEX;
		memset(result, 0, sizeof *result);
		result->data = (void *)f.data;
		result->size = 8;
		return 0;
	}
	GVariant *rec = pd_record_decode(data->data, data->size);
	guint32 state = PD_JOB_SENT;
	gint64 next = 0;
	int rc = DB_DONOTINDEX;
	if (rec != NULL && g_variant_lookup(rec, "state", "u", &state) && state == PD_JOB_QUEUED) {
		g_variant_lookup(rec, "next_try", "x", &next);
		memset(result, 0, sizeof *result);
		result->data = malloc(8);
		pd_key_u64(result->data, (guint64)next);
		result->size = 8;
		result->flags = DB_DBT_APPMALLOC;
		rc = 0;
	}
	if (rec != NULL)
		g_variant_unref(rec);
	return rc;
}

static gboolean
open_env(pd_store *s, GError **error)
{
	DB_ENV *env;
	int rc = db_env_create(&env, 0);
	if (!pd_db_check(NULL, rc, "db_env_create", error))
		return FALSE;
	s->env = env;
	env->set_errcall(env, env_errcall);
	env->set_errpfx(env, "postdesk store");
	env->set_cachesize(env, (u_int32_t)(s->opts.cache_bytes >> 30),
	                   (u_int32_t)(s->opts.cache_bytes & ((1u << 30) - 1)), 1);
	env->set_lk_detect(env, DB_LOCK_DEFAULT);
	/* A batch of mail in one transaction touches many pages. */
	env->set_lk_max_locks(env, 100000);
	env->set_lk_max_objects(env, 100000);
	env->set_lk_max_lockers(env, 10000);
	env->set_lg_bsize(env, 4 * 1024 * 1024);
	env->set_lg_max(env, 64 * 1024 * 1024);
	if (s->opts.log_auto_remove)
		env->log_set_config(env, DB_LOG_AUTO_REMOVE, 1);
	/* Touch the shared regions once at open rather than fault them in one
	 * page at a time inside commits (measured: 12 % of the commit thread). */
	env->set_flags(env, DB_REGION_INIT, 1);
	u_int32_t flags = DB_CREATE | DB_INIT_TXN | DB_INIT_LOCK | DB_INIT_LOG | DB_INIT_MPOOL |
	                  DB_THREAD | DB_REGISTER | DB_RECOVER;
	rc = env->open(env, s->dir, flags, 0600);
	return pd_db_check(NULL, rc, "open environment", error);
}

static gboolean
open_db(pd_store *s, pd_db_id id, GError **error)
{
	DB *db;
	int rc = db_create(&db, s->env, 0);
	if (!pd_db_check(NULL, rc, db_files[id].file, error))
		return FALSE;
	s->db[id] = db;
	if (db_files[id].dupsort)
		db->set_flags(db, DB_DUP | DB_DUPSORT);
	/* A record over a quarter page goes to overflow pages of its own; with
	 * 16 KB pages a typical mail's text stays on the leaf page. */
	if (db_files[id].pagesize != 0)
		db->set_pagesize(db, db_files[id].pagesize);
	rc = db->open(db, NULL, db_files[id].file, NULL, DB_BTREE,
	              DB_CREATE | DB_AUTO_COMMIT | DB_THREAD, 0600);
	return pd_db_check(NULL, rc, db_files[id].file, error);
}

static gboolean
open_sequence(pd_store *s, const char *name, guint64 initial, DB_SEQUENCE **seq_r, GError **error)
{
	DB_SEQUENCE *seq;
	int rc = db_sequence_create(&seq, s->db[DB_SEQUENCES], 0);
	if (!pd_db_check(NULL, rc, "sequence", error))
		return FALSE;
	*seq_r = seq;
	/* No cache, and every get inside the caller's transaction: an aborted
	 * transaction gives its id back, so ids have no gaps. */
	seq->initial_value(seq, (db_seq_t)initial);
	seq->set_cachesize(seq, 0);
	DBT key = { .data = (void *)name, .size = (u_int32_t)strlen(name) };
	rc = seq->open(seq, NULL, &key, DB_CREATE | DB_THREAD);
	return pd_db_check(NULL, rc, name, error);
}

static gboolean
open_all(pd_store *s, GError **error)
{
	for (int i = 0; i < DB_COUNT; i++)
		if (!open_db(s, (pd_db_id)i, error))
			return FALSE;
	int rc = s->db[DB_TICKETS]->associate(s->db[DB_TICKETS], NULL, s->db[DB_BY_STATUS],
	                                      index_status, DB_CREATE | DB_AUTO_COMMIT);
	if (!pd_db_check(NULL, rc, "associate by_status", error))
		return FALSE;
	rc = s->db[DB_TICKETS]->associate(s->db[DB_TICKETS], NULL, s->db[DB_BY_REQUESTER],
	                                  index_requester, DB_CREATE | DB_AUTO_COMMIT);
	if (!pd_db_check(NULL, rc, "associate by_requester", error))
		return FALSE;
	rc = s->db[DB_OUTBOX]->associate(s->db[DB_OUTBOX], NULL, s->db[DB_OUTBOX_DUE], index_due,
	                                 DB_CREATE | DB_AUTO_COMMIT);
	if (!pd_db_check(NULL, rc, "associate outbox_due", error))
		return FALSE;
	return open_sequence(s, "ticket", s->opts.first_ticket_id, &s->seq_ticket, error) &&
	       open_sequence(s, "quarantine", 1, &s->seq_quarantine, error) &&
	       open_sequence(s, "job", 1, &s->seq_job, error);
}

pd_store *
pd_store_open(const char *dir, const pd_store_options *opts, GError **error)
{
	pd_store *s = g_new0(pd_store, 1);
	s->dir = g_strdup(dir);
	if (opts != NULL)
		s->opts = *opts;
	else
		pd_store_options_init(&s->opts);
	char *spooldir = g_build_filename(dir, "spool", NULL);
	gboolean ok = pd_mkdirs(dir, 0700, error) && open_env(s, error) && open_all(s, error) &&
	              (s->spool = pd_spool_open(spooldir, error)) != NULL;
	g_free(spooldir);
	if (!ok)
		pd_store_close(&s);
	return s;
}

void
pd_store_close(pd_store **store)
{
	pd_store *s = *store;
	if (s == NULL)
		return;
	if (s->seq_ticket != NULL)
		s->seq_ticket->close(s->seq_ticket, 0);
	if (s->seq_quarantine != NULL)
		s->seq_quarantine->close(s->seq_quarantine, 0);
	if (s->seq_job != NULL)
		s->seq_job->close(s->seq_job, 0);
	/* Secondaries before their primary. */
	static const pd_db_id order[] = { DB_BY_STATUS, DB_BY_REQUESTER, DB_TICKETS, DB_EVENTS,
	                                  DB_MESSAGES, DB_BY_MSGID, DB_QUARANTINE, DB_OUTBOX_DUE,
	                                  DB_OUTBOX, DB_RATES, DB_TIMERS, DB_SEQUENCES };
	G_STATIC_ASSERT(G_N_ELEMENTS(order) == DB_COUNT);
	for (guint i = 0; i < G_N_ELEMENTS(order); i++)
		if (s->db[order[i]] != NULL)
			s->db[order[i]]->close(s->db[order[i]], 0);
	if (s->env != NULL) {
		s->env->txn_checkpoint(s->env, 0, 0, 0);
		s->env->close(s->env, 0);
	}
	pd_spool_close(&s->spool);
	g_free(s->dir);
	g_clear_pointer(store, g_free);
}

pd_spool *pd_store_spool(pd_store *s) { return s->spool; }
const char *pd_store_dir(const pd_store *s) { return s->dir; }
pd_store *pd_txn_store(pd_txn *txn) { return txn->store; }

void
pd_txn_set_event_hook(pd_txn *txn, pd_event_hook hook, gpointer data)
{
	txn->hook = hook;
	txn->hook_data = data;
}
guint pd_store_deadlock_count(const pd_store *s) { return s->deadlocks; }

gboolean
pd_store_checkpoint(pd_store *s, GError **error)
{
	return pd_db_check(NULL, s->env->txn_checkpoint(s->env, 0, 0, 0), "checkpoint", error);
}

/* Back off a little longer after each deadlock, with jitter so two losers do
 * not collide again in step. */
static void
deadlock_backoff(guint attempt)
{
	g_usleep(g_random_int_range(100, 1000) * (attempt + 1));
}

gboolean
pd_store_run(pd_store *s, pd_txn_fn fn, gpointer data, GError **error)
{
	for (guint attempt = 0;; attempt++) {
		pd_txn txn = { .store = s };
		int rc = s->env->txn_begin(s->env, NULL, &txn.txn, 0);
		if (!pd_db_check(NULL, rc, "begin transaction", error))
			return FALSE;
		GError *e = NULL;
		if (fn(&txn, data, &e)) {
			rc = txn.txn->commit(txn.txn, 0);
			return pd_db_check(NULL, rc, "commit", error);
		}
		txn.txn->abort(txn.txn);
		if (!txn.deadlock || attempt + 1 >= s->opts.deadlock_retries) {
			g_propagate_error(error, e);
			return FALSE;
		}
		g_clear_error(&e);
		s->deadlocks++;
		deadlock_backoff(attempt);
	}
}

gboolean
pd_db_next_id(pd_txn *txn, DB_SEQUENCE *seq, guint64 *id_r, GError **error)
{
	db_seq_t v;
	int rc = seq->get(seq, txn->txn, 1, &v, 0);
	if (!pd_db_check(txn, rc, "next id", error))
		return FALSE;
	*id_r = (guint64)v;
	return TRUE;
}
