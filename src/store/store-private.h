/* store-private.h: what the store's own files share: handles, DBT helpers, record codec. */
#ifndef PD_STORE_PRIVATE_H
#define PD_STORE_PRIVATE_H

#include <db.h>
#include "store.h"

/* Record format version, the first byte of every value. Readers accept
 * every version up to this one; new fields are new keys, so most changes
 * need no new version.
 *   1: a serialized GVariant a{sv}.
 *   2: a count n, n index fields (u16 big-endian length, bytes), then the
 *      a{sv} of version 1. Records with secondary indices (tickets, outbox
 *      jobs) carry their index keys here, so BDB's index callbacks read
 *      them without decoding the record; other records stay version 1. */
#define PD_RECORD_VERSION 2

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

/* Walk a database in key order from the first key at or after from (NULL:
 * from the start), handing each raw key and value to visit until it
 * returns FALSE. what names the walk in errors. */
typedef gboolean (*pd_db_visit)(const guint8 *key, gsize klen, const void *value, gsize vlen, gpointer data);
gboolean pd_db_walk(pd_txn *txn, pd_db_id db, const void *from, gsize flen, pd_db_visit visit, gpointer data,
                    const char *what, GError **error);

/* Next value of a sequence, inside the transaction (an abort gives it back). */
gboolean pd_db_next_id(pd_txn *txn, DB_SEQUENCE *seq, guint64 *id_r, GError **error);

/* Record codec. */
typedef struct {
	const void *data;
	gsize len;  /* 0: not indexed */
} pd_record_field;
void *pd_record_encode(GVariant *dict, gsize *len_r);
/* Version 2, with index fields in front (n at most 8, each under 64 KB). */
void *pd_record_encode_indexed(GVariant *dict, const pd_record_field *fields, guint n, gsize *len_r);
GVariant *pd_record_decode(const void *data, gsize len);
/* Where the serialized a{sv} begins in a record: after the version byte,
 * and in version 2 after the index fields; 0 if the record is damaged or of
 * a version this one does not know. */
gsize pd_record_body(const void *data, gsize len);
/* Index field i of a version 2 record: 1 with the field (borrowed from
 * data), 0 for a version 1 record (decode it instead), -1 if damaged or
 * missing. */
int pd_record_field_get(const void *data, gsize len, guint i, pd_record_field *field_r);

/* The same with index fields in front of the record (version 2). */
gboolean pd_db_put_indexed(pd_txn *txn, pd_db_id db, const void *key, gsize klen, GVariant *value,
                           const pd_record_field *fields, guint n, guint32 flags, GError **error);

/* g_variant_builder_add(b, "{sv}", key, value) without parsing a format string. */
static inline void
pd_dict_add(GVariantBuilder *b, const char *key, GVariant *value)
{
	g_variant_builder_add_value(b, g_variant_new_dict_entry(g_variant_new_string(key), g_variant_new_variant(value)));
}

/* u64 big-endian keys keep btree order equal to numeric order. */
void pd_key_u64(guint8 out[8], guint64 v);
guint64 pd_key_u64_read(const guint8 *in);

#endif
