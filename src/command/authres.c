/* authres.c: reading Authentication-Results values (RFC 8601) and deciding whether they vouch for the From domain. */
#include "config.h"
#include "authres.h"

#include <string.h>

/* ---- the lexer: one pass, no recursion, so any input costs linear time ---- */

typedef struct {
	const char *p;
	gboolean bad;   /* the value went wrong here; nothing more is read */
} lexer;

/* A comment, nested to any depth, with quoted pairs; lx->p is at "(". */
static void
skip_comment(lexer *lx)
{
	gsize depth = 0;
	do {
		char c = *lx->p;
		if (c == '\0') {
			lx->bad = TRUE;
			return;
		}
		if (c == '\\' && lx->p[1] != '\0')
			lx->p++;
		else if (c == '(')
			depth++;
		else if (c == ')')
			depth--;
		lx->p++;
	} while (depth > 0);
}

/* White space (CR and LF too: a value may come folded) and comments. */
static void
skip_cfws(lexer *lx)
{
	while (!lx->bad) {
		char c = *lx->p;
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			lx->p++;
		else if (c == '(')
			skip_comment(lx);
		else
			return;
	}
}

/* Methods, results, ptypes and properties: RFC 5321 Keywords (letters,
 * digits, "-"), and "_", which some servers use. Lower case. */
static char *
read_keyword(lexer *lx)
{
	const char *start = lx->p;
	while (g_ascii_isalnum(*lx->p) || *lx->p == '-' || *lx->p == '_')
		lx->p++;
	if (lx->p == start) {
		lx->bad = TRUE;
		return NULL;
	}
	return g_ascii_strdown(start, lx->p - start);
}

static gboolean
read_number(lexer *lx, guint *n_r)
{
	guint n = 0, digits = 0;
	for (; g_ascii_isdigit(*lx->p); lx->p++)
		if (++digits > 9)
			lx->bad = TRUE;
		else
			n = n * 10 + (guint)(*lx->p - '0');
	lx->bad = lx->bad || digits == 0;
	*n_r = n;
	return !lx->bad;
}

static gboolean
is_ctl(guchar c)
{
	return (c < 0x20 && c != '\t') || c == 0x7f;
}

/* What may stand unquoted in a value: an RFC 2045 token, widened to "/",
 * "=", "@", ":" and the like, since header.b, smtp.mailfrom and
 * header.i hold them unquoted in the wild. Bytes of UTF-8 too (RFC 6532). */
static gboolean
is_value_char(guchar c)
{
	return c > 0x20 && c != 0x7f && strchr(";()\"\\", c) == NULL;
}

/* A quoted string into out; lx->p is at the opening quote. */
static void
read_quoted(lexer *lx, GString *out)
{
	for (lx->p++;;) {
		guchar c = (guchar)*lx->p;
		gboolean escaped = c == '\\';
		if (escaped)
			c = (guchar)*++lx->p;
		if (c == '\0' || is_ctl(c)) {
			lx->bad = TRUE;
			return;
		}
		lx->p++;
		if (c == '"' && !escaped)
			return;
		g_string_append_c(out, (char)c);
	}
}

/* An RFC 2045 token, as the authserv-id must be: no "=" or "/" there, so
 * a field that lacks its id ("spf=pass ...") is not taken for one. */
static gboolean
is_token_char(guchar c)
{
	return is_value_char(c) && strchr("<>@,:/[]?=", c) == NULL;
}

/* A token or a quoted string, or both glued ("a b"@example.com, a
 * quoted local part before its domain). */
static char *
read_value(lexer *lx, gboolean (*is_char)(guchar))
{
	GString *out = g_string_new(NULL);
	gboolean quoted = *lx->p == '"';
	if (quoted)
		read_quoted(lx, out);
	while (!lx->bad && is_char((guchar)*lx->p))
		g_string_append_c(out, *lx->p++);
	if (lx->bad || (out->len == 0 && !quoted)) {
		lx->bad = TRUE;
		g_string_free(out, TRUE);
		return NULL;
	}
	return g_string_free(out, FALSE);
}

/* ---- the grammar ---- */

static void
property_free(gpointer data)
{
	pd_authres_property *prop = data;
	g_free(prop->name);
	g_free(prop->value);
	g_free(prop);
}

static void
result_free(gpointer data)
{
	pd_authres_result *r = data;
	g_free(r->method);
	g_free(r->result);
	g_free(r->reason);
	g_ptr_array_unref(r->properties);
	g_free(r);
}

/* "ptype.property" (or a bare name) "=" value; lx->p is at the ptype. */
static pd_authres_property *
read_property(lexer *lx)
{
	char *name = read_keyword(lx), *property = NULL, *value = NULL;
	skip_cfws(lx);
	if (!lx->bad && *lx->p == '.') {
		lx->p++;
		skip_cfws(lx);
		property = read_keyword(lx);
		skip_cfws(lx);
	}
	if (!lx->bad && *lx->p == '=') {
		lx->p++;
		skip_cfws(lx);
		value = lx->bad ? NULL : read_value(lx, is_value_char);
	} else
		lx->bad = TRUE;
	if (lx->bad) {
		g_free(name);
		g_free(property);
		g_free(value);
		return NULL;
	}
	pd_authres_property *prop = g_new0(pd_authres_property, 1);
	prop->name = property != NULL ? g_strconcat(name, ".", property, NULL) : g_strdup(name);
	prop->value = value;
	g_free(name);
	g_free(property);
	return prop;
}

/* reason=... and the properties up to the next ";" or the end. */
static gboolean
read_properties(lexer *lx, pd_authres_result *r)
{
	for (skip_cfws(lx); !lx->bad && *lx->p != '\0' && *lx->p != ';'; skip_cfws(lx)) {
		pd_authres_property *prop = read_property(lx);
		if (prop == NULL)
			return FALSE;
		if (strcmp(prop->name, "reason") == 0 && r->reason == NULL && r->properties->len == 0) {
			r->reason = g_steal_pointer(&prop->value);
			property_free(prop);
		} else
			g_ptr_array_add(r->properties, prop);
	}
	return !lx->bad;
}

/* method [/ version] = result [reason] [properties]; the method is read. */
static pd_authres_result *
read_resinfo(lexer *lx, char *method)
{
	pd_authres_result *r = g_new0(pd_authres_result, 1);
	r->method = method;
	r->properties = g_ptr_array_new_with_free_func(property_free);
	if (*lx->p == '/') {
		lx->p++;
		skip_cfws(lx);
		if (read_number(lx, &r->method_version))
			skip_cfws(lx);
	}
	if (!lx->bad && *lx->p == '=') {
		lx->p++;
		skip_cfws(lx);
		r->result = lx->bad ? NULL : read_keyword(lx);
	} else
		lx->bad = TRUE;
	if (lx->bad || !read_properties(lx, r)) {
		result_free(r);
		return NULL;
	}
	return r;
}

/* The ";"-separated results after the authserv-id; whether they are
 * well-formed to the end. RFC 8601 wants one or more, or "none". */
static gboolean
read_results(lexer *lx, pd_authres *ar)
{
	for (;;) {
		skip_cfws(lx);
		if (lx->bad || *lx->p != ';')
			return !lx->bad && *lx->p == '\0' && (ar->results->len > 0 || ar->none);
		lx->p++;
		skip_cfws(lx);
		if (lx->bad || *lx->p == '\0' || *lx->p == ';')
			continue;  /* a trailing or doubled ";" */
		char *method = read_keyword(lx);
		skip_cfws(lx);
		if (lx->bad) {
			g_free(method);
			return FALSE;
		}
		if (strcmp(method, "none") == 0 && (*lx->p == '\0' || *lx->p == ';')) {
			ar->none = TRUE;
			g_free(method);
			continue;
		}
		pd_authres_result *r = read_resinfo(lx, method);
		if (r == NULL)
			return FALSE;
		g_ptr_array_add(ar->results, r);
	}
}

pd_authres *
pd_authres_parse(const char *value)
{
	if (value == NULL)
		return NULL;
	lexer lx = { value, FALSE };
	skip_cfws(&lx);
	char *id = lx.bad ? NULL : read_value(&lx, is_token_char);
	if (id == NULL || *id == '\0') {
		g_free(id);
		return NULL;
	}
	pd_authres *ar = g_new0(pd_authres, 1);
	ar->authserv_id = id;
	ar->version = 1;
	ar->results = g_ptr_array_new_with_free_func(result_free);
	skip_cfws(&lx);
	if (!lx.bad && g_ascii_isdigit(*lx.p))
		read_number(&lx, &ar->version);
	ar->complete = !lx.bad && read_results(&lx, ar);
	return ar;
}

void
pd_authres_free(pd_authres **ar)
{
	if (ar == NULL || *ar == NULL)
		return;
	g_free((*ar)->authserv_id);
	g_ptr_array_unref((*ar)->results);
	g_clear_pointer(ar, g_free);
}

const char *
pd_authres_result_get(const pd_authres_result *r, const char *name)
{
	for (guint i = 0; i < r->properties->len; i++) {
		const pd_authres_property *prop = g_ptr_array_index(r->properties, i);
		if (g_ascii_strcasecmp(prop->name, name) == 0)
			return prop->value;
	}
	return NULL;
}

/* ---- domains ---- */

#define DOMAIN_MAX 253

/* Host names as DKIM and DMARC know them: LDH labels of 1 to 63, the
 * last not all digits (so no IPv4 literal). */
static gboolean
is_host_name(const char *d)
{
	gsize len = strlen(d), label = 0;
	gboolean digits_only = TRUE;
	if (len == 0 || len > DOMAIN_MAX)
		return FALSE;
	for (gsize i = 0; i <= len; i++) {
		char c = d[i];
		if (c == '.' || c == '\0') {
			if (label == 0 || label > 63 || d[i - 1] == '-' || d[i - label] == '-')
				return FALSE;
			digits_only = c == '.' ? TRUE : digits_only;
			label = 0;
		} else if (g_ascii_isalnum(c) || c == '-') {
			digits_only = digits_only && g_ascii_isdigit(c);
			label++;
		} else
			return FALSE;
	}
	return !digits_only;
}

/* A domain in lower-case ASCII (an IDN in its xn-- form) without a trailing
 * dot, or NULL when it is no host name. */
static char *
domain_normalize(const char *s, gsize len)
{
	if (len > 0 && s[len - 1] == '.')
		len--;
	if (len == 0 || len > DOMAIN_MAX * 4 || !g_utf8_validate_len(s, len, NULL))
		return NULL;
	char *copy = g_strndup(s, len), *ascii = g_hostname_to_ascii(copy), *lower = NULL;
	if (ascii != NULL && is_host_name(ascii))
		lower = g_ascii_strdown(ascii, -1);
	g_free(copy);
	g_free(ascii);
	return lower;
}

/* The domain of an address ("ann@example.com", "<ann@example.com>",
 * "Ann <ann@example.com>", or header.i's "@example.com"), normalized. */
static char *
address_domain(const char *address)
{
	const char *lt = strrchr(address, '<'), *start = lt != NULL ? lt + 1 : address;
	const char *gt = strchr(start, '>'), *end = gt != NULL ? gt : start + strlen(start), *at = NULL;
	for (const char *p = start; p < end; p++)
		if (*p == '@')
			at = p;
	while (end > start && g_ascii_isspace(end[-1]))
		end--;
	return at != NULL && at < end ? domain_normalize(at + 1, (gsize)(end - at - 1)) : NULL;
}

/* Second-level names under which country codes register domains
 * ("example.co.uk", "example.com.au"): a stand-in for the Public Suffix List. */
static const char *const second_levels[] = {
	"ac", "co", "com", "edu", "go", "gob", "gov", "ltd", "mil", "ne", "net", "nom", "or", "org", "plc", "sch",
};

/* How many labels of d are its registered suffix: one, or two for "co.uk". */
static guint
suffix_labels(const char *d)
{
	const char *tld = strrchr(d, '.');
	if (tld == NULL || strlen(tld + 1) != 2)
		return 1;
	const char *sld = tld;
	while (sld > d && sld[-1] != '.')
		sld--;
	for (gsize i = 0; i < G_N_ELEMENTS(second_levels); i++)
		if (strlen(second_levels[i]) == (gsize)(tld - sld) && strncmp(sld, second_levels[i], tld - sld) == 0)
			return 2;
	return 1;
}

static guint
label_count(const char *d)
{
	guint n = 1;
	for (; *d != '\0'; d++)
		n += *d == '.';
	return n;
}

static gboolean
is_subdomain(const char *child, const char *parent)
{
	gsize c = strlen(child), p = strlen(parent);
	return c > p && child[c - p - 1] == '.' && strcmp(child + c - p, parent) == 0;
}

/* Relaxed alignment, simplified: equal, or one below the other where the
 * upper one is more than a registered suffix (d=co.uk vouches for nobody). */
static gboolean
aligned(const char *a, const char *b)
{
	if (strcmp(a, b) == 0)
		return TRUE;
	const char *parent = is_subdomain(a, b) ? b : is_subdomain(b, a) ? a : NULL;
	return parent != NULL && label_count(parent) > suffix_labels(parent);
}

/* ---- the decision ---- */

/* How telling an explanation is; the verdict is the highest one seen. */
typedef enum {
	RANK_NONE,         /* no dkim or dmarc result */
	RANK_RESULT,       /* dkim or dmarc other than pass */
	RANK_NO_DOMAIN,    /* a pass without a usable domain */
	RANK_OTHER_FROM,   /* dmarc=pass for another From domain */
	RANK_UNALIGNED,    /* dkim=pass for a domain not aligned with From */
	RANK_PASS,         /* verified */
	RANK_VETO,         /* dmarc=fail for the From domain: refused whatever else passed */
} rank;

typedef struct {
	const char *from;  /* the From domain, normalized */
	rank rank;
	char *why;
} verdict;

static void
consider(verdict *v, rank r, char *why)
{
	if (v->why == NULL || r > v->rank) {
		g_free(v->why);
		v->why = why;
		v->rank = r;
	} else
		g_free(why);
}

static char *
dkim_domain(const pd_authres_result *r)
{
	const char *d = pd_authres_result_get(r, "header.d"), *i = pd_authres_result_get(r, "header.i");
	if (d != NULL)
		return domain_normalize(d, strlen(d));
	return i != NULL ? address_domain(i) : NULL;
}

static void
judge_dkim(verdict *v, const pd_authres_result *r)
{
	char *d = dkim_domain(r);
	gboolean pass = strcmp(r->result, "pass") == 0;
	if (pass && d != NULL && aligned(d, v->from))
		consider(v, RANK_PASS, strcmp(d, v->from) == 0 ? g_strdup_printf("dkim=pass for %s aligned with From", d)
		                       : g_strdup_printf("dkim=pass for %s aligned with From %s", d, v->from));
	else if (pass && d != NULL)
		consider(v, RANK_UNALIGNED, g_strdup_printf("dkim=pass for %s is not aligned with %s", d, v->from));
	else if (pass)
		consider(v, RANK_NO_DOMAIN, g_strdup("dkim=pass without a valid header.d or header.i"));
	else
		consider(v, RANK_RESULT, g_strdup_printf("dkim=%s%s%s", r->result, d != NULL ? " for " : "", d != NULL ? d : ""));
	g_free(d);
}

static void
judge_dmarc(verdict *v, const pd_authres_result *r)
{
	const char *from = pd_authres_result_get(r, "header.from");
	char *d = from != NULL ? domain_normalize(from, strlen(from)) : NULL;
	gboolean pass = strcmp(r->result, "pass") == 0, ours = d != NULL && strcmp(d, v->from) == 0;
	if (pass && ours)
		consider(v, RANK_PASS, g_strdup_printf("dmarc=pass for %s matches From", d));
	else if (ours && strcmp(r->result, "fail") == 0)
		consider(v, RANK_VETO, g_strdup_printf("dmarc=fail for %s", d));
	else if (pass && d != NULL)
		consider(v, RANK_OTHER_FROM, g_strdup_printf("dmarc=pass for %s does not match From %s", d, v->from));
	else if (pass)
		consider(v, RANK_NO_DOMAIN, g_strdup("dmarc=pass without a valid header.from"));
	else
		consider(v, RANK_RESULT, g_strdup_printf("dmarc=%s%s%s", r->result, d != NULL ? " for " : "", d != NULL ? d : ""));
	g_free(d);
}

/* Every result of our own server's field, the most telling one winning.
 * Messages name the id as configured: the field's bytes may be anything. */
static verdict
judge(const pd_authres *ar, const char *id, const char *from)
{
	verdict v = { from, RANK_NONE, NULL };
	if (!ar->complete) {
		v.why = g_strdup_printf("the Authentication-Results of %s could not be read", id);
		return v;
	}
	for (guint i = 0; i < ar->results->len; i++) {
		const pd_authres_result *r = g_ptr_array_index(ar->results, i);
		if (strcmp(r->method, "dkim") == 0)
			judge_dkim(&v, r);
		else if (strcmp(r->method, "dmarc") == 0)
			judge_dmarc(&v, r);
	}
	if (v.why == NULL)
		v.why = g_strdup_printf(ar->none ? "%s authenticated nothing (none)" : "%s has no dkim or dmarc result", id);
	return v;
}

/* The explanation lives until the thread's next call, then is freed. */
static GPrivate why_key = G_PRIVATE_INIT(g_free);

/* The verdict and its explanation, made valid UTF-8, since a configured id is quoted in it as it is. */
static gboolean
answer(gboolean verified, char *why, const char **why_r)
{
	if (!g_utf8_validate(why, -1, NULL)) {
		char *valid = g_utf8_make_valid(why, -1);
		g_free(why);
		why = valid;
	}
	g_private_replace(&why_key, why);
	if (why_r != NULL)
		*why_r = why;
	return verified;
}

/* The entry of trusted_ids that id is, or NULL. */
static const char *
trusted_as(const char *id, const char *const *trusted_ids)
{
	for (gsize i = 0; trusted_ids[i] != NULL; i++)
		if (g_ascii_strcasecmp(id, trusted_ids[i]) == 0)
			return trusted_ids[i];
	return NULL;
}

gboolean
pd_authres_sender_verified(const char *const *header_values, const char *const *trusted_ids,
                           const char *from_address, const char **why_r)
{
	if (trusted_ids == NULL || trusted_ids[0] == NULL)
		return answer(FALSE, g_strdup("no trusted authserv-id is configured"), why_r);
	char *from = from_address != NULL ? address_domain(from_address) : NULL;
	if (from == NULL)
		return answer(FALSE, g_strdup("the From address has no valid domain"), why_r);
	for (gsize i = 0; header_values != NULL && header_values[i] != NULL; i++) {
		pd_authres *ar = pd_authres_parse(header_values[i]);
		const char *id = ar != NULL ? trusted_as(ar->authserv_id, trusted_ids) : NULL;
		if (id != NULL) {
			verdict v = judge(ar, id, from);
			pd_authres_free(&ar);
			g_free(from);
			return answer(v.rank == RANK_PASS, v.why, why_r);
		}
		pd_authres_free(&ar);
	}
	g_free(from);
	return answer(FALSE, g_strdup("no Authentication-Results from a trusted authserv-id"), why_r);
}
