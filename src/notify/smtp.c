/* smtp.c: the SMTP transport over libcurl, with the server's replies read from its protocol trace. */
#include "smtp.h"

#include <curl/curl.h>
#include <string.h>

/* The option is misspelled in libcurl before 8.2; the right name came as an alias then. */
#if LIBCURL_VERSION_NUM >= 0x080200
#define PD_CURLOPT_RCPT_ALLOWFAILS CURLOPT_MAIL_RCPT_ALLOWFAILS
#else
#define PD_CURLOPT_RCPT_ALLOWFAILS CURLOPT_MAIL_RCPT_ALLLOWFAILS
#endif

/* Replies are stored with jobs and shown to admins: keep them one short line. */
#define PD_SMTP_REPLY_MAX 300

/* The command the next reply answers. */
typedef enum {
	STEP_GREETING, STEP_EHLO, STEP_STARTTLS, STEP_AUTH, STEP_MAIL, STEP_RCPT, STEP_DATA,
	STEP_BODY, STEP_QUIT,
} pd_step;

typedef struct {
	int code;    /* 0: no reply */
	char *text;  /* the whole reply, code included, one line */
} pd_reply;

/* What the server said during one send, read from libcurl's trace: libcurl
 * reports only the last reply code, and nothing per recipient. */
typedef struct {
	pd_step step;
	GString *partial;      /* an input line not complete yet */
	GString *lines;        /* a multi-line reply so far */
	char *esc;             /* its enhanced status code, not repeated when lines are joined */
	pd_reply session;      /* the last reply to the greeting, EHLO, STARTTLS or AUTH */
	pd_reply mail, data, body;
	GArray *rcpt;          /* pd_reply, one per RCPT TO, in the order sent */
	gboolean greeted;      /* a new connection was opened for this send */
	gboolean authed;       /* AUTH was sent on it */
	gboolean mail_sent;    /* MAIL FROM went out */
	gboolean auth_missing; /* credentials are set but the server offered no AUTH */
} pd_transcript;

typedef struct {
	const char *data;
	gsize len, off;
	const pd_transcript *tr;
} pd_upload;

struct pd_smtp {
	CURL *curl;
	char *where;       /* the URL for messages: no EHLO name, no password */
	char *user;
	char error[CURL_ERROR_SIZE];
	pd_transcript tr;
};

/* ---- small helpers ---- */

const char *
pd_smtp_status_name(pd_smtp_status status)
{
	switch (status) {
	case PD_SMTP_SENT: return "sent";
	case PD_SMTP_RETRY: return "retry";
	case PD_SMTP_FAILED: return "failed";
	}
	return "?";
}

/* One line of at most PD_SMTP_REPLY_MAX characters of valid UTF-8. */
static char *
one_line(const char *text)
{
	char *valid = g_utf8_make_valid(text, -1);
	char *out;

	for (char *p = valid; *p != '\0'; p++)
		if ((guchar)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	out = g_utf8_substring(valid, 0, MIN(g_utf8_strlen(valid, -1), PD_SMTP_REPLY_MAX));
	g_free(valid);
	return g_strstrip(out);
}

static void
reply_clear(pd_reply *r)
{
	g_clear_pointer(&r->text, g_free);
	r->code = 0;
}

static void
reply_array_clear(gpointer p)
{
	reply_clear(p);
}

static pd_smtp_status
reply_status(int code)
{
	if (code >= 200 && code < 400)
		return PD_SMTP_SENT;
	return code >= 500 && code < 600 ? PD_SMTP_FAILED : PD_SMTP_RETRY;
}

/* An address goes into "MAIL FROM:<%s>" or "RCPT TO:<%s>": refuse anything
 * that could end the command or start another. */
static gboolean
address_ok(const char *a)
{
	for (const char *p = a; *p != '\0'; p++)
		if ((guchar)*p < 0x20 || *p == 0x7f || *p == '<' || *p == '>')
			return FALSE;
	return TRUE;
}

char *
pd_smtp_crlf(const char *data, gsize len, gsize *len_r)
{
	gsize bare = 0;
	GString *out;

	for (gsize i = 0; i < len; i++)
		if ((data[i] == '\n' && (i == 0 || data[i - 1] != '\r')) ||
		    (data[i] == '\r' && (i + 1 == len || data[i + 1] != '\n')))
			bare++;
	*len_r = len;
	if (bare == 0)
		return NULL;
	out = g_string_sized_new(len + bare + 1);
	for (gsize i = 0; i < len; i++) {
		if (data[i] == '\r' && i + 1 < len && data[i + 1] == '\n')
			continue;  /* the LF that follows writes the CRLF */
		if (data[i] == '\r' || data[i] == '\n')
			g_string_append_len(out, "\r\n", 2);
		else
			g_string_append_c(out, data[i]);
	}
	*len_r = out->len;
	return g_string_free(out, FALSE);
}

/* ---- the transcript ---- */

static void
transcript_init(pd_transcript *t)
{
	t->partial = g_string_new(NULL);
	t->lines = g_string_new(NULL);
	t->rcpt = g_array_new(FALSE, TRUE, sizeof(pd_reply));
	g_array_set_clear_func(t->rcpt, reply_array_clear);
}

static void
transcript_reset(pd_transcript *t)
{
	t->step = STEP_GREETING;  /* a reused connection starts with MAIL, which sets its own step */
	g_string_truncate(t->partial, 0);
	g_string_truncate(t->lines, 0);
	g_clear_pointer(&t->esc, g_free);
	reply_clear(&t->session);
	reply_clear(&t->mail);
	reply_clear(&t->data);
	reply_clear(&t->body);
	g_array_set_size(t->rcpt, 0);
	t->greeted = t->authed = t->mail_sent = t->auth_missing = FALSE;
}

static void
transcript_clear(pd_transcript *t)
{
	transcript_reset(t);
	g_string_free(t->partial, TRUE);
	g_string_free(t->lines, TRUE);
	g_array_unref(t->rcpt);
}

static gboolean
has_prefix(const char *line, gsize len, const char *prefix)
{
	gsize n = strlen(prefix);
	return len >= n && g_ascii_strncasecmp(line, prefix, n) == 0;
}

/* A command went out: the next reply answers it.  Lines that are no command
 * (AUTH exchanges, in base64, which never holds ':' or ' ') keep the step. */
static void
transcript_command(pd_transcript *t, const char *line, gsize len, gboolean want_auth)
{
	if (has_prefix(line, len, "EHLO ") || has_prefix(line, len, "HELO "))
		t->step = STEP_EHLO;
	else if (has_prefix(line, len, "STARTTLS\r"))
		t->step = STEP_STARTTLS;
	else if (has_prefix(line, len, "AUTH "))
		t->step = STEP_AUTH, t->authed = TRUE;
	else if (has_prefix(line, len, "MAIL FROM:")) {
		t->step = STEP_MAIL, t->mail_sent = TRUE;
		/* libcurl goes on without AUTH when the server offers none: the
		 * server would then refuse or relay as it likes, so stop instead. */
		if (want_auth && t->greeted && !t->authed)
			t->auth_missing = TRUE;
	} else if (has_prefix(line, len, "RCPT TO:"))
		t->step = STEP_RCPT;
	else if (has_prefix(line, len, "DATA\r"))
		t->step = STEP_DATA;
	else if (has_prefix(line, len, "QUIT\r"))
		t->step = STEP_QUIT;
}

/* A complete reply: file it under the command it answers. */
static void
transcript_reply(pd_transcript *t, int code, const char *text)
{
	pd_reply r = { code, one_line(text) };

	switch (t->step) {
	case STEP_GREETING:
		t->greeted = TRUE;
		/* fall through */
	case STEP_EHLO: case STEP_STARTTLS: case STEP_AUTH:
		reply_clear(&t->session), t->session = r;
		return;
	case STEP_MAIL: reply_clear(&t->mail), t->mail = r; return;
	case STEP_RCPT: g_array_append_val(t->rcpt, r); return;
	case STEP_DATA:
		reply_clear(&t->data), t->data = r;
		if (code == 354)
			t->step = STEP_BODY;  /* the next reply answers the message itself */
		return;
	case STEP_BODY: reply_clear(&t->body), t->body = r; return;
	case STEP_QUIT:
		t->step = STEP_GREETING;  /* libcurl closed an old connection: a new one may follow */
		break;
	}
	reply_clear(&r);
}

/* The enhanced status code at the start of text ("5.1.1"), or NULL. */
static char *
enhanced_code(const char *text)
{
	gsize n = strcspn(text, " ");
	const char *dot1 = memchr(text, '.', n);

	if (n < 5 || !g_ascii_isdigit(text[0]) || dot1 == NULL)
		return NULL;
	if (memchr(dot1 + 1, '.', n - (gsize)(dot1 + 1 - text)) == NULL)
		return NULL;
	return g_strndup(text, n);
}

/* One line of a reply, CRLF removed: "250-..." goes on, "250 ..." ends it. */
static void
transcript_line(pd_transcript *t, const char *line)
{
	gsize len = strlen(line);
	const char *text = len > 4 ? line + 4 : "";

	if (len < 3 || !g_ascii_isdigit(line[0]) || !g_ascii_isdigit(line[1]) || !g_ascii_isdigit(line[2]))
		return;
	if (t->lines->len == 0) {
		g_string_append_len(t->lines, line, 3);
		t->esc = enhanced_code(text);
	} else if (t->esc != NULL && g_str_has_prefix(text, t->esc) && text[strlen(t->esc)] == ' ')
		text += strlen(t->esc) + 1;
	if (t->lines->len < PD_SMTP_REPLY_MAX && *text != '\0')
		g_string_append_printf(t->lines, " %s", text);
	if (len > 3 && line[3] == '-')
		return;
	transcript_reply(t, (int)g_ascii_strtoll(line, NULL, 10), t->lines->str);
	g_string_truncate(t->lines, 0);
	g_clear_pointer(&t->esc, g_free);
}

static void
transcript_input(pd_transcript *t, const char *data, gsize size)
{
	char *nl;

	g_string_append_len(t->partial, data, (gssize)size);
	while ((nl = memchr(t->partial->str, '\n', t->partial->len)) != NULL) {
		gsize n = (gsize)(nl - t->partial->str);
		char *line = g_strndup(t->partial->str, n > 0 && nl[-1] == '\r' ? n - 1 : n);

		transcript_line(t, line);
		g_free(line);
		g_string_erase(t->partial, 0, (gssize)n + 1);
	}
}

static int
debug_cb(CURL *h, curl_infotype type, char *data, size_t size, void *p)
{
	pd_smtp *s = p;

	if (type == CURLINFO_HEADER_IN)
		transcript_input(&s->tr, data, size);
	else if (type == CURLINFO_HEADER_OUT)
		transcript_command(&s->tr, data, size, s->user != NULL);
	return 0;
}

static size_t
read_cb(char *buf, size_t size, size_t nmemb, void *p)
{
	pd_upload *u = p;
	size_t n = MIN(size * nmemb, u->len - u->off);

	if (u->tr->auth_missing)
		return CURL_READFUNC_ABORT;  /* nothing goes out unauthenticated */
	memcpy(buf, u->data + u->off, n);
	u->off += n;
	return n;
}

/* ---- the handle ---- */

static char *
url_with_helo(const char *url, const char *helo)
{
	char *base = g_strdup(url);
	char *name = g_uri_escape_string(helo != NULL ? helo : g_get_host_name(), NULL, FALSE);
	char *out;

	while (g_str_has_suffix(base, "/"))
		base[strlen(base) - 1] = '\0';
	out = g_strdup_printf("%s/%s", base, name);
	g_free(name);
	g_free(base);
	return out;
}

/* The URL as messages show it: without any user:password@ part. */
static char *
url_for_messages(const char *url)
{
	const char *host = strstr(url, "://");
	const char *at;

	if (host == NULL)
		return g_strdup(url);
	host += 3;
	at = strchr(host, '@');
	if (at == NULL || (strchr(host, '/') != NULL && strchr(host, '/') < at))
		return g_strdup(url);
	return g_strdup_printf("%.*s%s", (int)(host - url), url, at + 1);
}

static long
use_ssl(pd_smtp_tls tls)
{
	switch (tls) {
	case PD_SMTP_TLS_NONE: return CURLUSESSL_NONE;
	case PD_SMTP_TLS_OPTIONAL: return CURLUSESSL_TRY;
	case PD_SMTP_TLS_REQUIRED: return CURLUSESSL_ALL;
	}
	return CURLUSESSL_ALL;
}

static void
set_tls(CURL *c, const pd_smtp_options *o)
{
	curl_easy_setopt(c, CURLOPT_USE_SSL, use_ssl(o->tls));
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, o->verify ? 1L : 0L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, o->verify ? 2L : 0L);
	if (o->ca_file != NULL)
		curl_easy_setopt(c, CURLOPT_CAINFO, o->ca_file);
	if (o->user != NULL) {
		curl_easy_setopt(c, CURLOPT_USERNAME, o->user);
		curl_easy_setopt(c, CURLOPT_PASSWORD, o->password != NULL ? o->password : "");
	}
}

static void
set_limits(CURL *c, const pd_smtp_options *o)
{
	guint response_ms = o->response_timeout_ms ? o->response_timeout_ms : PD_SMTP_RESPONSE_TIMEOUT_MS;

	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
	                 (long)(o->connect_timeout_ms ? o->connect_timeout_ms : PD_SMTP_CONNECT_TIMEOUT_MS));
	/* Whole seconds only in libcurl 7.88: round up so a short limit is not 0 (no limit). */
	curl_easy_setopt(c, CURLOPT_SERVER_RESPONSE_TIMEOUT, (long)((response_ms + 999) / 1000));
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS,
	                 (long)(o->total_timeout_ms ? o->total_timeout_ms : PD_SMTP_TOTAL_TIMEOUT_MS));
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, (long)o->low_speed_bytes);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, (long)o->low_speed_seconds);
	curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
}

static gpointer
global_init(gpointer unused)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	return NULL;
}

pd_smtp *
pd_smtp_new(const pd_smtp_options *o)
{
	static GOnce once = G_ONCE_INIT;
	pd_smtp *s = g_new0(pd_smtp, 1);
	char *url = url_with_helo(o->url, o->helo);

	g_once(&once, global_init, NULL);
	s->curl = curl_easy_init();
	s->where = url_for_messages(o->url);
	s->user = g_strdup(o->user);
	transcript_init(&s->tr);
	curl_easy_setopt(s->curl, CURLOPT_URL, url);
	curl_easy_setopt(s->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(s->curl, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(s->curl, CURLOPT_ERRORBUFFER, s->error);
	curl_easy_setopt(s->curl, PD_CURLOPT_RCPT_ALLOWFAILS, 1L);
	curl_easy_setopt(s->curl, CURLOPT_READFUNCTION, read_cb);
	/* The trace is the only place libcurl shows each reply; it goes to debug_cb, not stderr. */
	curl_easy_setopt(s->curl, CURLOPT_VERBOSE, 1L);
	curl_easy_setopt(s->curl, CURLOPT_DEBUGFUNCTION, debug_cb);
	curl_easy_setopt(s->curl, CURLOPT_DEBUGDATA, s);
	set_tls(s->curl, o);
	set_limits(s->curl, o);
	g_free(url);
	return s;
}

void
pd_smtp_free(pd_smtp **sp)
{
	pd_smtp *s = *sp;

	if (s == NULL)
		return;
	curl_easy_cleanup(s->curl);  /* sends QUIT, traced through s->tr */
	transcript_clear(&s->tr);
	g_free(s->where);
	g_free(s->user);
	g_clear_pointer(sp, g_free);
}

/* ---- results ---- */

static void
rcpt_result_free(gpointer p)
{
	pd_smtp_rcpt_result *r = p;

	g_free(r->address);
	g_free(r->reply);
	g_free(r);
}

void
pd_smtp_result_free(pd_smtp_result **rp)
{
	pd_smtp_result *r = *rp;

	if (r == NULL)
		return;
	g_ptr_array_unref(r->rcpts);
	g_free(r->reply);
	g_clear_pointer(rp, g_free);
}

static void
rcpt_set(pd_smtp_rcpt_result *r, pd_smtp_status status, int code, const char *reply)
{
	r->status = status;
	r->code = code;
	g_free(r->reply);
	r->reply = g_strdup(reply);
}

static pd_smtp_result *
result_new(const char *const *rcpts)
{
	pd_smtp_result *r = g_new0(pd_smtp_result, 1);

	r->rcpts = g_ptr_array_new_with_free_func(rcpt_result_free);
	for (guint i = 0; rcpts != NULL && rcpts[i] != NULL; i++) {
		pd_smtp_rcpt_result *rr = g_new0(pd_smtp_rcpt_result, 1);
		rr->address = g_strdup(rcpts[i]);
		g_ptr_array_add(r->rcpts, rr);
	}
	return r;
}

/* The message's status is the most urgent of its recipients'; its reply is
 * the first recipient's with that status. */
static void
result_summarise(pd_smtp_result *r)
{
	gboolean retry = FALSE, sent = FALSE;

	for (guint i = 0; i < r->rcpts->len; i++) {
		pd_smtp_rcpt_result *rr = g_ptr_array_index(r->rcpts, i);
		retry |= rr->status == PD_SMTP_RETRY;
		sent |= rr->status == PD_SMTP_SENT;
	}
	r->status = retry ? PD_SMTP_RETRY : sent ? PD_SMTP_SENT : PD_SMTP_FAILED;
	for (guint i = 0; i < r->rcpts->len; i++) {
		pd_smtp_rcpt_result *rr = g_ptr_array_index(r->rcpts, i);
		if (rr->status == r->status) {
			r->code = rr->code;
			r->reply = g_strdup(rr->reply);
			return;
		}
	}
	r->reply = g_strdup("no recipients");
}

/* ---- classification ---- */

/* The outcome for every recipient the server did not answer one by one. */
typedef struct {
	pd_smtp_status status;
	int code;
	char *reply;
} pd_outcome;

static const char *
step_name(pd_step step)
{
	switch (step) {
	case STEP_GREETING: return "the connection or greeting";
	case STEP_EHLO: return "the reply to EHLO";
	case STEP_STARTTLS: return "the reply to STARTTLS";
	case STEP_AUTH: return "the reply to AUTH";
	case STEP_MAIL: return "the reply to MAIL FROM";
	case STEP_RCPT: return "the reply to RCPT TO";
	case STEP_DATA: return "the reply to DATA";
	case STEP_BODY: return "the reply to the end of the message";
	case STEP_QUIT: return "the reply to QUIT";
	}
	return "the server";
}

/* libcurl's own message: the error buffer, or the code's description. */
static const char *
curl_reason(const pd_smtp *s, CURLcode rc)
{
	return s->error[0] != '\0' ? s->error : curl_easy_strerror(rc);
}

/* No reply decided it: say why from libcurl's error.  Every such case is
 * worth retrying: the network comes back, and TLS or AUTH trouble is fixed by
 * an admin, after which the mail should still go (the outbox gives up on its
 * own schedule). */
static char *
transport_reason(const pd_smtp *s, CURLcode rc)
{
	const pd_transcript *t = &s->tr;
	const char *why = curl_reason(s, rc);

	switch (rc) {
	case CURLE_COULDNT_RESOLVE_HOST: case CURLE_COULDNT_CONNECT:
		return g_strdup_printf("cannot connect to %s: %s", s->where, why);
	case CURLE_OPERATION_TIMEDOUT:
		return g_strdup_printf("timeout waiting for %s from %s: %s", step_name(t->step), s->where, why);
	case CURLE_PEER_FAILED_VERIFICATION: case CURLE_SSL_CACERT_BADFILE: case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_ISSUER_ERROR: case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
		return g_strdup_printf("TLS certificate verification of %s failed: %s "
		                       "(fix the CA file or the server certificate)", s->where, why);
	case CURLE_USE_SSL_FAILED:
		return g_strdup_printf("TLS is required but %s does not offer STARTTLS", s->where);
	case CURLE_SSL_CONNECT_ERROR:
		return g_strdup_printf("TLS handshake with %s failed: %s", s->where, why);
	case CURLE_LOGIN_DENIED:
		return g_strdup_printf("authentication as %s refused by %s: %s", s->user, s->where,
		                       t->session.text != NULL ? t->session.text : why);
	default:
		if (t->session.code >= 400)
			return g_strdup_printf("%s refused the session: %s", s->where, t->session.text);
		return g_strdup_printf("%s: %s", s->where, why);
	}
}

static void
outcome_reply(pd_outcome *o, const pd_reply *r)
{
	o->status = reply_status(r->code);
	o->code = r->code;
	o->reply = g_strdup(r->text);
}

static void
message_outcome(const pd_smtp *s, CURLcode rc, pd_outcome *o)
{
	const pd_transcript *t = &s->tr;

	if (t->auth_missing) {
		o->status = PD_SMTP_RETRY;
		o->reply = g_strdup_printf("%s offers no AUTH; not sending without authentication", s->where);
	} else if (t->body.code != 0)
		outcome_reply(o, &t->body);
	else if (t->data.code != 0 && t->data.code != 354)
		outcome_reply(o, &t->data);
	else if (t->mail.code >= 400) {
		outcome_reply(o, &t->mail);
		if (t->mail.code == 530)  /* authentication required: a setting to fix, not a refusal */
			o->status = PD_SMTP_RETRY;
	} else if (rc == CURLE_OK) {
		o->status = PD_SMTP_SENT;
		o->reply = g_strdup("accepted");
	} else {
		o->status = PD_SMTP_RETRY;
		o->code = t->session.code >= 400 ? t->session.code : 0;
		o->reply = transport_reason(s, rc);
	}
}

/* sent[i] got the i-th RCPT reply; a recipient the server accepted, or never
 * answered, shares the message's outcome. */
static void
classify(const pd_smtp *s, CURLcode rc, GPtrArray *sent)
{
	pd_outcome o = { PD_SMTP_RETRY, 0, NULL };

	message_outcome(s, rc, &o);
	for (guint i = 0; i < sent->len; i++) {
		pd_smtp_rcpt_result *rr = g_ptr_array_index(sent, i);
		const pd_reply *r = i < s->tr.rcpt->len ? &g_array_index(s->tr.rcpt, pd_reply, i) : NULL;

		if (r != NULL && r->code >= 400 && !s->tr.auth_missing)
			rcpt_set(rr, reply_status(r->code), r->code, r->text);
		else
			rcpt_set(rr, o.status, o.code, o.reply);
	}
	g_free(o.reply);
}

/* ---- sending ---- */

/* The envelope's recipients for libcurl; invalid ones are failed here and
 * left out, the others are listed in sent in the same order. */
static struct curl_slist *
rcpt_list(pd_smtp_result *r, GPtrArray *sent)
{
	struct curl_slist *list = NULL;

	for (guint i = 0; i < r->rcpts->len; i++) {
		pd_smtp_rcpt_result *rr = g_ptr_array_index(r->rcpts, i);

		if (*rr->address == '\0' || !address_ok(rr->address)) {
			rcpt_set(rr, PD_SMTP_FAILED, 0, "invalid recipient address");
			continue;
		}
		list = curl_slist_append(list, rr->address);
		g_ptr_array_add(sent, rr);
	}
	return list;
}

static void
fail_all(pd_smtp_result *r, const char *reason)
{
	for (guint i = 0; i < r->rcpts->len; i++)
		rcpt_set(g_ptr_array_index(r->rcpts, i), PD_SMTP_FAILED, 0, reason);
}

static CURLcode
perform(pd_smtp *s, const char *mail_from, struct curl_slist *list, const char *data, gsize len)
{
	pd_upload u = { data, len, 0, &s->tr };
	CURLcode rc;

	transcript_reset(&s->tr);
	s->error[0] = '\0';
	/* NULL is the null reverse-path "<>" to libcurl. */
	curl_easy_setopt(s->curl, CURLOPT_MAIL_FROM, mail_from != NULL && *mail_from != '\0' ? mail_from : NULL);
	curl_easy_setopt(s->curl, CURLOPT_MAIL_RCPT, list);
	curl_easy_setopt(s->curl, CURLOPT_READDATA, &u);
	curl_easy_setopt(s->curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);  /* SIZE= when offered */
	rc = curl_easy_perform(s->curl);
	curl_easy_setopt(s->curl, CURLOPT_MAIL_RCPT, NULL);
	curl_easy_setopt(s->curl, CURLOPT_READDATA, NULL);
	return rc;
}

/* A kept connection the server closed as MAIL FROM went out (its idle
 * timeout, or a limit of messages per connection answered with 421): nothing
 * was accepted, so the send can go again at once on a new connection. */
static gboolean
stale_connection(const pd_smtp *s, CURLcode rc)
{
	const pd_transcript *t = &s->tr;

	return rc != CURLE_OK && !t->greeted && t->mail_sent && t->rcpt->len == 0 &&
	       (t->mail.code == 0 || t->mail.code == 421);
}

/* Send, and once more on a fresh connection if the kept one had gone stale. */
static CURLcode
perform_fresh(pd_smtp *s, const char *mail_from, struct curl_slist *list, const char *data, gsize len)
{
	gsize crlf_len;
	char *crlf = pd_smtp_crlf(data, len, &crlf_len);
	CURLcode rc = perform(s, mail_from, list, crlf != NULL ? crlf : data, crlf_len);

	if (stale_connection(s, rc)) {
		curl_easy_setopt(s->curl, CURLOPT_FRESH_CONNECT, 1L);
		rc = perform(s, mail_from, list, crlf != NULL ? crlf : data, crlf_len);
		curl_easy_setopt(s->curl, CURLOPT_FRESH_CONNECT, 0L);
	}
	g_free(crlf);
	return rc;
}

pd_smtp_result *
pd_smtp_send(pd_smtp *s, const char *mail_from, const char *const *rcpts, const char *data, gsize len)
{
	pd_smtp_result *r = result_new(rcpts);
	GPtrArray *sent = g_ptr_array_new();
	struct curl_slist *list;

	if (mail_from != NULL && !address_ok(mail_from))
		fail_all(r, "invalid sender address");
	else if ((list = rcpt_list(r, sent)) != NULL) {
		CURLcode rc = perform_fresh(s, mail_from, list, data, len);
		long connects = 0;

		curl_easy_getinfo(s->curl, CURLINFO_NUM_CONNECTS, &connects);
		r->reused = s->tr.mail.code != 0 && connects == 0;
		classify(s, rc, sent);
		curl_slist_free_all(list);
	}
	g_ptr_array_unref(sent);
	result_summarise(r);
	return r;
}
