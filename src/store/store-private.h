/* store-private.h: what the store's own files share: handles, DBT helpers, record codec. */
#ifndef PD_STORE_PRIVATE_H
#define PD_STORE_PRIVATE_H

#include <db.h>
#include "store.h"

/* Record format version, the first byte of every value; the rest is a
 * serialized GVariant a{sv}. Readers accept every version up to this one;
 * new fields are new keys, so most changes need no new version. */
#define PD_RECORD_VERSION 1

typedef enum {
	DB_TICKETS, DB_EVENTS, DB_MESSAGES, DB_BY_MSGID, DB_BY_STATUS, DB_BY_REQUESTER,
	DB_QUARANTINE, DB_SEQUENCES, DB_OUTBOX, DB_OUTBOX_DUE, DB_RATES, DB_TIMERS, DB_COUNT
} pd_db_id;

struct pd_store {
	DB_ENV *env;
	DB *db[DB_COUNT];
	DB_SEQUENCE *seq_ticket;
	DB_SEQUENCE *seq_quarantine;
	DB_SEQUENCE *seq_job;
	pd_spool *spool;
	char *dir;
	pd_store_options opts;
	guint deadlocks;
};

struct pd_txn {
	pd_store *store;
	DB_TXN *txn;
	gboolean deadlock;  /* a call hit DB_LOCK_DEADLOCK: abort and run again */
	pd_event_hook hook; /* told of every appended event, or NULL */
	gpointer hook_data;
};

/* Turn a BDB return code into a GError (and note deadlocks on the txn). */
gboolean pd_db_check(pd_txn *txn, int rc, const char *what, GError **error);

/* Get/put/delete a record in a database. get: *value_r is NULL when missing. */
gboolean pd_db_get(pd_txn *txn, pd_db_id db, const void *key, gsize klen, gboolean rmw,
                   GVariant **value_r, GError **error);
gboolean pd_db_put(pd_txn *txn, pd_db_id db, const void *key, gsize klen, GVariant *value,
                   guint32 flags, GError **error);
gboolean pd_db_del(pd_txn *txn, pd_db_id db, const void *key, gsize klen, GError **error);

/* Next value of a sequence, inside the transaction (an abort gives it back). */
gboolean pd_db_next_id(pd_txn *txn, DB_SEQUENCE *seq, guint64 *id_r, GError **error);

/* Record codec. */
void *pd_record_encode(GVariant *dict, gsize *len_r);
GVariant *pd_record_decode(const void *data, gsize len);

/* u64 big-endian keys keep btree order equal to numeric order. */
void pd_key_u64(guint8 out[8], guint64 v);
guint64 pd_key_u64_read(const guint8 *in);

#endif
