/* app.c: from a validated configuration to an open store and ingest pipeline. */
#include "config.h"
#include "app.h"

#include <stdio.h>
#include <string.h>
#include "fsutil.h"

pd_config *
pd_app_load_config(const char *path)
{
	if (path == NULL)
		path = pd_config_default_path();
	GPtrArray *problems = g_ptr_array_new_with_free_func(g_free);
	pd_config *cfg = pd_config_load(path, problems);
	/* The service levels are part of the config: a bad calendar is a bad config. */
	pd_sla *sla = cfg != NULL ? pd_sla_new(cfg, problems) : NULL;
	if (cfg != NULL && sla == NULL)
		pd_config_free(&cfg);
	pd_sla_free(&sla);
	for (guint i = 0; i < problems->len; i++)
		fprintf(stderr, "%s\n", (char *)problems->pdata[i]);
	g_ptr_array_unref(problems);
	return cfg;
}

static void
queue_conf_free(gpointer p)
{
	pd_queue_conf *q = p;
	g_free(q->address);
	g_free(q->agents);
	g_free(q);
}

static GHashTable *
queue_confs(const pd_config *cfg)
{
	GHashTable *queues = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, queue_conf_free);
	char **names = pd_config_groups(cfg, "queue");
	for (int i = 0; names[i] != NULL; i++) {
		char *group = g_strdup_printf("queue %s", names[i]);
		pd_queue_conf *q = g_new0(pd_queue_conf, 1);
		q->address = g_strdup(pd_config_string(cfg, group, "address"));
		q->agents = g_strdup(pd_config_string(cfg, group, "agents"));
		g_hash_table_insert(queues, g_strdup(names[i]), q);
		g_free(group);
	}
	g_strfreev(names);
	return queues;
}

/* A path key whose default lives in the state directory. */
static char *
state_path(const pd_config *cfg, const char *group, const char *key, const char *name)
{
	char *v = pd_config_path_value(cfg, group, key);
	if (v != NULL)
		return v;
	char *dir = pd_config_path_value(cfg, "store", "dir");
	v = g_build_filename(dir, name, NULL);
	g_free(dir);
	return v;
}

static pd_notify *
open_notify(const pd_config *cfg, GError **error)
{
	char *tdir = pd_config_path_value(cfg, "notify", "templates");
	const char *lang = pd_config_string(cfg, "notify", "language");
	pd_templates *templates = pd_templates_load(tdir, lang, error);
	g_free(tdir);
	char *secret_path = state_path(cfg, "notify", "secret_file", "secret");
	pd_secret *secret = templates != NULL ? pd_secret_load(secret_path, error) : NULL;
	g_free(secret_path);
	if (secret == NULL) {
		pd_templates_free(&templates);
		return NULL;
	}
	const char *address = pd_config_string(cfg, "notify", "address");
	const char *domain = pd_config_string(cfg, "notify", "domain");
	const char *at = strrchr(address, '@');
	char **own = g_strsplit_set(pd_config_string(cfg, "notify", "own_addresses"), ", ", -1);
	pd_notify_options o = {
		.address = (char *)address, .name = (char *)pd_config_string(cfg, "notify", "name"),
		.domain = (char *)(domain != NULL ? domain : at != NULL ? at + 1 : "localhost"),
		.tag = (char *)pd_config_string(cfg, "notify", "subject_tag"), .default_lang = (char *)lang,
		.own_addresses = own,
		.ack_per_hour = (guint)pd_config_int(cfg, "notify", "ack_per_hour"),
		.ack_per_day = (guint)pd_config_int(cfg, "notify", "ack_per_day"),
		.ticket_per_hour = (guint)pd_config_int(cfg, "notify", "ticket_per_hour"),
		.max_output = (gsize)pd_config_int(cfg, "notify", "max_output"),
		.queues = queue_confs(cfg),
	};
	pd_notify *n = pd_notify_new(&o, templates, secret);
	g_strfreev(own);
	return n;
}

static pd_notifier *
open_smtp(const pd_config *cfg, pd_store *store, pd_notify *notify, const pd_retry_policy *policy,
          GError **error)
{
	const char *tls = pd_config_string(cfg, "notify", "smtp_tls");
	char *password = NULL, *pwfile = pd_config_path_value(cfg, "notify", "smtp_password_file");
	if (pwfile != NULL) {
		gsize n = 0;
		password = pd_read_file(pwfile, &n, error);
		g_free(pwfile);
		if (password == NULL)
			return NULL;
		g_strchomp(password);
	}
	guint timeout = (guint)pd_config_int(cfg, "notify", "smtp_timeout");
	const char *user = pd_config_string(cfg, "notify", "smtp_user");
	pd_smtp_options o = {
		.url = (char *)pd_config_string(cfg, "notify", "smtp_url"),
		.helo = (char *)pd_notify_domain(notify),
		.tls = g_strcmp0(tls, "none") == 0 ? PD_SMTP_TLS_NONE
		     : g_strcmp0(tls, "optional") == 0 ? PD_SMTP_TLS_OPTIONAL : PD_SMTP_TLS_REQUIRED,
		.ca_file = pd_config_path_value(cfg, "notify", "smtp_ca_file"),
		.verify = TRUE,
		.user = *user != '\0' ? (char *)user : NULL,
		.password = password,
		.connect_timeout_ms = MIN(timeout, 30000u),
		.response_timeout_ms = timeout,
		.total_timeout_ms = timeout,
		/* A server that stalls mid-message: under 1 KB in 30 s is given up on. */
		.low_speed_bytes = 1024,
		.low_speed_seconds = 30,
	};
	pd_notifier *n = pd_notifier_new(store, notify, pd_transport_smtp(&o), policy);
	g_free(o.ca_file);
	if (password != NULL)
		memset(password, 0, strlen(password));
	g_free(password);
	return n;
}

static pd_notifier *
open_notifier(const pd_config *cfg, pd_store *store, pd_notify *notify, GError **error)
{
	pd_retry_policy policy = {
		.retry_min_us = pd_config_int(cfg, "notify", "retry_min") * 1000,
		.retry_max_us = pd_config_int(cfg, "notify", "retry_max") * 1000,
		.retry_for_us = pd_config_int(cfg, "notify", "retry_for") * 1000,
	};
	const char *url = pd_config_string(cfg, "notify", "smtp_url");
	if (*url != '\0')
		return open_smtp(cfg, store, notify, &policy, error);
	char *maildir = state_path(cfg, "notify", "maildir", "sent");
	pd_notifier *n = pd_notifier_new(store, notify, pd_transport_maildir(maildir), &policy);
	g_free(maildir);
	return n;
}

static char **
desk_addresses(const pd_config *cfg)
{
	GPtrArray *out = g_ptr_array_new();
	g_ptr_array_add(out, g_strdup(pd_config_string(cfg, "notify", "address")));
	char **names = pd_config_groups(cfg, "queue");
	for (int i = 0; names[i] != NULL; i++) {
		char *group = g_strdup_printf("queue %s", names[i]);
		const char *a = pd_config_string(cfg, group, "address");
		if (a != NULL)
			g_ptr_array_add(out, g_strdup(a));
		g_free(group);
	}
	g_strfreev(names);
	g_ptr_array_add(out, NULL);
	return (char **)g_ptr_array_free(out, FALSE);
}

static GHashTable *
closed_policies(const pd_config *cfg)
{
	GHashTable *h = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	char **names = pd_config_groups(cfg, "queue");
	for (int i = 0; names[i] != NULL; i++) {
		char *group = g_strdup_printf("queue %s", names[i]);
		const char *p = pd_config_string(cfg, group, "closed_reply");
		if (p != NULL)
			g_hash_table_insert(h, g_strdup(names[i]), (gpointer)p);
		g_free(group);
	}
	g_strfreev(names);
	return h;
}

static void
add_template_names(GPtrArray *out, const char *dir)
{
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *lang;
	while (d != NULL && (lang = g_dir_read_name(d)) != NULL) {
		char *sub = g_build_filename(dir, lang, NULL);
		GDir *ld = g_dir_open(sub, 0, NULL);
		const char *f;
		while (ld != NULL && (f = g_dir_read_name(ld)) != NULL)
			if (f[0] != '_' && g_str_has_suffix(f, ".txt"))
				g_ptr_array_add(out, g_strndup(f, strlen(f) - 4));
		if (ld != NULL)
			g_dir_close(ld);
		g_free(sub);
	}
	if (d != NULL)
		g_dir_close(d);
}

pd_app_known *
pd_app_known_new(const pd_config *cfg)
{
	pd_app_known *k = g_new0(pd_app_known, 1);
	char **queues = pd_config_groups(cfg, "queue");
	if (queues[0] != NULL) {
		k->queues = g_ptr_array_new_with_free_func(g_free);
		for (int i = 0; queues[i] != NULL; i++)
			g_ptr_array_add(k->queues, g_strdup(queues[i]));
		g_ptr_array_add(k->queues, g_strdup(pd_config_string(cfg, "ingest", "default_queue")));
		g_ptr_array_add(k->queues, NULL);
	}
	g_strfreev(queues);
	char *path = pd_config_path_value(cfg, "tickets", "agents");
	pd_agents *agents = path != NULL ? pd_agents_load(path, NULL) : NULL;
	if (agents != NULL) {
		k->agents = g_ptr_array_new_with_free_func(g_free);
		const char **all = pd_agents_for_queue(agents, "*");
		for (int i = 0; all[i] != NULL; i++)
			g_ptr_array_add(k->agents, g_strdup(all[i]));
		g_free(all);
		g_ptr_array_add(k->agents, NULL);
		pd_agents_free(&agents);
	}
	g_free(path);
	char *tdir = pd_config_path_value(cfg, "notify", "templates");
	k->templates = g_ptr_array_new_with_free_func(g_free);
	add_template_names(k->templates, tdir);
	g_ptr_array_add(k->templates, NULL);
	g_free(tdir);
	k->known.queues = k->queues != NULL ? (const char *const *)k->queues->pdata : NULL;
	k->known.agents = k->agents != NULL ? (const char *const *)k->agents->pdata : NULL;
	k->known.templates = k->templates->len > 1 ? (const char *const *)k->templates->pdata : NULL;
	pd_sla *sla = pd_sla_new(cfg, NULL);
	/* Like queues: checked only once the config declares some. */
	k->slas = sla != NULL ? pd_sla_policy_names(sla) : g_new0(char *, 1);
	k->known.slas = k->slas[0] != NULL ? (const char *const *)k->slas : NULL;
	pd_sla_free(&sla);
	return k;
}

void
pd_app_known_free(pd_app_known **kp)
{
	pd_app_known *k = *kp;
	if (k == NULL)
		return;
	if (k->queues != NULL)
		g_ptr_array_unref(k->queues);
	if (k->agents != NULL)
		g_ptr_array_unref(k->agents);
	g_ptr_array_unref(k->templates);
	g_strfreev(k->slas);
	g_clear_pointer(kp, g_free);
}

/* The routing rules; a set with an error is refused as a whole. */
gboolean
pd_app_load_rules(pd_app *app, GError **error)
{
	if (app->without_rules)
		return TRUE;
	char *dir = pd_config_path_value(app->cfg, "rules", "dir");
	pd_ruleset *rs = NULL;
	gboolean ok = TRUE;
	if (g_file_test(dir, G_FILE_TEST_IS_DIR)) {
		GPtrArray *warnings = g_ptr_array_new_with_free_func(g_free);
		pd_app_known *known = pd_app_known_new(app->cfg);
		pd_rules_options ro = { .known = known->known };
		rs = pd_ruleset_load(dir, &ro, warnings, error);
		pd_app_known_free(&known);
		for (guint i = 0; i < warnings->len; i++)
			g_warning("%s", (char *)warnings->pdata[i]);
		g_ptr_array_unref(warnings);
		ok = rs != NULL;
	}
	if (ok)
		pd_ingest_set_rules(app->ingest, rs);
	if (rs != NULL)
		pd_ruleset_unref(rs);
	g_free(dir);
	return ok;
}

/* Threading and the lifecycle: the agents file, reply-token addresses, policies. */
static gboolean
open_conversation(pd_app *app, GError **error)
{
	char *path = pd_config_path_value(app->cfg, "tickets", "agents");
	app->agents = pd_agents_load(path, error);
	g_free(path);
	if (app->agents == NULL)
		return FALSE;
	pd_notify_set_agents(app->notify, app->agents);
	GPtrArray *problems = g_ptr_array_new_with_free_func(g_free);
	app->sla = pd_sla_new(app->cfg, problems);
	if (app->sla == NULL)
		g_set_error(error, PD_ERROR, PD_ERROR_CONFIG, "%s", (char *)problems->pdata[0]);
	g_ptr_array_unref(problems);
	if (app->sla == NULL)
		return FALSE;
	app->desk_addresses = desk_addresses(app->cfg);
	app->trusted_ids = g_strsplit_set(pd_config_string(app->cfg, "tickets", "trusted_authserv_ids"), ", ", -1);
	app->thread = (pd_thread_ctx){ pd_notify_secret(app->notify), (const char *const *)app->desk_addresses,
	                               pd_config_string(app->cfg, "notify", "subject_tag"), app->agents };
	app->conv = (pd_conversation){
		.notify = app->notify, .thread = &app->thread, .agents = app->agents,
		.max_watchers = (guint)pd_config_int(app->cfg, "tickets", "max_watchers"),
		.closed_reply = pd_config_string(app->cfg, "tickets", "closed_reply"),
		.closed_reply_by_queue = closed_policies(app->cfg),
		.trusted_authserv_ids = (const char *const *)app->trusted_ids,
		.sla = app->sla,
	};
	pd_ingest_set_conversation(app->ingest, &app->conv);
	return TRUE;
}

/* Mail a scheduler action causes: to the requester, else to the assignee
 * or, with none, to the queue's agents. */
static gboolean
scheduler_notify(pd_txn *txn, pd_ticket *t, guint32 seq, const char *kind, gboolean to_requester,
                 const char *extra_json, gpointer data, GError **error)
{
	pd_app *app = data;
	guint idx = 0;
	if (to_requester)
		return pd_notify_one(app->notify, txn, t, seq, kind, t->requester, t->requester_name, FALSE, NULL,
		                     extra_json, &idx, error);
	if (t->assignee != NULL)
		return pd_notify_one(app->notify, txn, t, seq, kind, t->assignee, NULL, FALSE, NULL, extra_json, &idx, error);
	const char **agents = pd_notify_queue_agents(app->notify, t->queue);
	gboolean ok = TRUE;
	for (int i = 0; ok && agents[i] != NULL; i++)
		ok = pd_notify_one(app->notify, txn, t, seq, kind, agents[i], NULL, FALSE, NULL, extra_json, &idx, error);
	g_free(agents);
	return ok;
}

gboolean
pd_app_run_scheduler(pd_app *app, gint64 now, pd_sla_run_stats *stats)
{
	GError *e = NULL;
	if (pd_sla_run(app->store, app->sla, now, scheduler_notify, app, stats, &e))
		return TRUE;
	g_warning("scheduler: %s; the due actions stay due", e->message);
	g_error_free(e);
	return FALSE;
}

gboolean
pd_app_run_notifier(pd_app *app)
{
	GError *e = NULL;
	guint tried = 0;
	if (pd_notifier_run(app->notifier, pd_now_usec(), &tried, &e))
		return TRUE;
	g_warning("outbox: %s; the notifications stay queued", e->message);
	g_error_free(e);
	return FALSE;
}

/* Without parse.our_domains, ours is the domain our Message-IDs carry. */
static const char *
our_domains(const pd_config *cfg)
{
	const char *ours = pd_config_string(cfg, "parse", "our_domains");
	const char *address = pd_config_string(cfg, "notify", "address");
	const char *at = address != NULL ? strrchr(address, '@') : NULL;
	if (ours != NULL)
		return ours;
	ours = pd_config_string(cfg, "notify", "domain");
	return ours != NULL ? ours : at != NULL ? at + 1 : NULL;
}

/* Each [limits] key is the field of the same name. */
void
pd_app_parse_options(const pd_config *cfg, pd_parse_options *po, char ***fallback_r, char ***domains_r)
{
	pd_parse_limits *l = &po->limits;

	pd_parse_options_init(po);
	*fallback_r = pd_parse_split_list(pd_config_string(cfg, "parse", "fallback_charsets"));
	*domains_r = pd_parse_split_list(our_domains(cfg));
	po->fallback_charsets = (const char *const *)*fallback_r;
	po->our_domains = (const char *const *)*domains_r;
	l->max_message_size = (guint64)pd_config_int(cfg, "limits", "max_message_size");
	l->max_mime_depth = (guint)pd_config_int(cfg, "limits", "max_mime_depth");
	l->max_mime_parts = (guint)pd_config_int(cfg, "limits", "max_mime_parts");
	l->max_header_size = (guint64)pd_config_int(cfg, "limits", "max_header_size");
	l->max_header_count = (guint)pd_config_int(cfg, "limits", "max_header_count");
	l->max_mime_parameters = (guint)pd_config_int(cfg, "limits", "max_mime_parameters");
	l->max_tnef_size = (guint64)pd_config_int(cfg, "limits", "max_tnef_size");
}

gboolean
pd_app_open(pd_app *app, pd_config *cfg, GError **error)
{
	app->cfg = cfg;
	pd_store_options so;
	pd_store_options_init(&so);
	so.cache_bytes = (guint64)pd_config_int(cfg, "store", "cache_size");
	so.deadlock_retries = (guint)pd_config_int(cfg, "store", "deadlock_retries");
	so.log_auto_remove = pd_config_bool(cfg, "store", "log_auto_remove");
	so.first_ticket_id = (guint64)pd_config_int(cfg, "store", "first_ticket_id");
	char *dir = pd_config_path_value(cfg, "store", "dir");
	app->store = pd_store_open(dir, &so, error);
	g_free(dir);
	if (app->store == NULL)
		return FALSE;
	return pd_app_open_with_store(app, cfg, app->store, error);
}

gboolean
pd_app_open_with_store(pd_app *app, pd_config *cfg, pd_store *store, GError **error)
{
	app->cfg = cfg;
	app->store = store;
	pd_ingest_options io = { .default_queue = pd_config_string(cfg, "ingest", "default_queue") };
	char **fallback, **domains;
	pd_app_parse_options(cfg, &io.parse, &fallback, &domains);
	app->ingest = pd_ingest_new(app->store, &io);
	g_strfreev(fallback);
	g_strfreev(domains);
	app->notify = open_notify(cfg, error);
	app->notifier = app->notify != NULL ? open_notifier(cfg, app->store, app->notify, error) : NULL;
	pd_ingest_set_notify(app->ingest, app->notify);
	return app->notifier != NULL && open_conversation(app, error) && pd_app_load_rules(app, error);
}

void
pd_app_close(pd_app *app)
{
	pd_notifier_free(&app->notifier);
	pd_ingest_free(&app->ingest);
	pd_notify_free(&app->notify);
	pd_agents_free(&app->agents);
	pd_sla_free(&app->sla);
	g_strfreev(app->desk_addresses);
	g_strfreev(app->trusted_ids);
	g_clear_pointer(&app->conv.closed_reply_by_queue, g_hash_table_unref);
	pd_store_close(&app->store);
	pd_config_free(&app->cfg);
}

typedef struct {
	pd_maildir_source src;
	char *name, *path;
} owned_source;

static void
owned_source_free(gpointer p)
{
	owned_source *o = p;
	g_free(o->name);
	g_free(o->path);
	g_free(o);
}

GPtrArray *
pd_app_maildir_sources(const pd_config *cfg)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(owned_source_free);
	char **names = pd_config_groups(cfg, "source");
	for (int i = 0; names[i] != NULL; i++) {
		char *group = g_strdup_printf("source %s", names[i]);
		owned_source *o = g_new0(owned_source, 1);
		o->name = g_strdup(names[i]);
		o->path = pd_config_path_value(cfg, group, "path");
		o->src = (pd_maildir_source){ o->name, o->path, pd_config_string(cfg, group, "queue") };
		g_ptr_array_add(out, o);
		g_free(group);
	}
	g_strfreev(names);
	return out;
}

void
pd_app_close_keep_store(pd_app *app)
{
	app->store = NULL;
	pd_app_close(app);
}
