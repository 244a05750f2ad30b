/* reply.c: split a plain-text reply into new text, quoted history and signature by line patterns. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include "parse/reply.h"
#include "parse/text.h"

#include <string.h>

/*
 * The text is cut into lines once. Each line gets a kind (what it looks like
 * on its own and next to its neighbours), then an owner (new, quoted,
 * signature) in three passes:
 *   1. history: the first history marker that is not a "> " block (header
 *      block, "-----Original Message-----", an attribution with unmarked
 *      text below it) owns everything after it, once some new text came
 *      before it; a forward separator keeps everything after it as new;
 *   2. signature: the first signature start after some new text, up to the
 *      next quote;
 *   3. quotes: "> " blocks after the last new line, and an attributed quote
 *      above a single block of new text (bottom posting).
 * Every pass is linear in the number of lines; regular expressions only ever
 * see one line or a span of at most three, never the whole text.
 */

/* Lines longer than this are prose or data, never a marker. */
#define PD_REPLY_MARKER_MAX 400
/* Device footers are short lines. */
#define PD_REPLY_FOOTER_MAX 160
/* An attribution is wrapped over at most this many lines. */
#define PD_REPLY_ATTR_LINES 3
/* "--" without the space introduces at most this many signature lines;
 * "-- " with the space is the standard delimiter and has no limit. */
#define PD_REPLY_BARE_DASH_LINES 15
/* A weak footer ("Sent via X") is believed only with this few lines after it. */
#define PD_REPLY_WEAK_FOOTER_TAIL 3
/* A quoted line this long, re-wrapped by a client that did not add "> ",
 * leaves its tail on a line of its own. */
#define PD_REPLY_WRAP_WIDTH 60

/* ---- patterns ------------------------------------------------------------ */

/* Verbs that end an attribution, before an optional tail and the colon:
 * "On ... X wrote:", "Am ... schrieb X:", "X schrieb am ... um 12:52 Uhr:".
 * Plain text, joined into RX_VERB in this order. */
static const char *const verbs[] = {
	"wrote", "writes", "has written", "schrieb", "hat geschrieben", "a écrit", "a ecrit", "escribió",
	"escribio", "ha escrito", "ha escrit", "va escriure", "escreveu", "ha scritto", "scrisse", "schreef",
	"het volgende geschreven", "pisze", "napisała", "napisał", "napisal", "пишет", "написала", "написал",
	"пише", "написав", "skrev", "kirjoitti", "írta", "napsala", "napsal", "yazdı", "έγραψε", "a scris", NULL
};

/* Verbs of languages that do not separate words with spaces. */
static const char *const verbs_cjk[] = {
	"写道", "寫道", "のメッセージ", "さんは書きました", "書きました", "님이 작성", "작성", NULL
};

/* "Begin forwarded message:" and its translations, plain text. */
static const char *const forward_intros[] = {
	"begin forwarded message", "anfang der weitergeleiteten nachricht", "début du message réexpédié",
	"début du message transféré", "inicio del mensaje reenviado", "comienzo del mensaje reenviado",
	"inizio messaggio inoltrato", "begin doorgestuurd bericht", "начало переадресованного сообщения",
	"начало пересылаемого сообщения", "początek przekazywanej wiadomości",
	"início da mensagem reencaminhada", "início da mensagem encaminhada", "vidarebefordrat brev",
	"videresendt besked", "転送されたメッセージ", "转发的邮件", NULL
};

typedef enum {
	RX_VERB,          /* an attribution ending in a verb, the colon last */
	RX_VERB_CJK,
	RX_EVIDENCE,      /* a date, time or address: what makes an attribution certain */
	RX_OPENER,        /* how the first line of a wrapped attribution begins */
	RX_GMAIL_DATE,    /* "2016-03-03 17:21 GMT+01:00 Name <addr>:" */
	RX_ZOHO,          /* "---- On ... wrote ----" */
	RX_ORIGINAL,      /* "-----Original Message-----" and translations */
	RX_FORWARD,       /* "---------- Forwarded message ---------" and translations */
	RX_FORWARD_INTRO, /* "Begin forwarded message:" and translations */
	RX_URL,           /* links inside a footer line, removed before matching */
	RX_DASH_NAME,     /* "-Abhishek Kona" */
	RX_FOOTER_STRONG, /* device and app footers, built from footer_strong[] */
	RX_FOOTER_WEAK,   /* generic "Sent with X", built from footer_weak[] */
	RX_COUNT
} rx_id;

/* The patterns not built from a table above or below. */
static const char *const rx_source[RX_FOOTER_STRONG] = {
	[RX_EVIDENCE] = "@|\\d{1,2}[:.h]\\d{2}|(?<!\\d)(?:19|20)\\d{2}(?!\\d)|\\d{1,4}[./-]\\d{1,2}[./-]\\d{1,4}",
	[RX_OPENER] = "^[-–—\\s]*(?:on|am|le|el|il|op|em|w dniu|dnia|den|dne|på|в|у|在|at|quoting|citando)\\s"
	              "|^[-\\s]*\\d",
	[RX_GMAIL_DATE] = "^\\d{4}-\\d{1,2}-\\d{1,2}\\s+\\d{1,2}:\\d{2}(?::\\d{2})?\\s+GMT[+-]\\d{1,2}(?::?\\d{2})?\\s",
	[RX_ZOHO] = "^-{2,}\\s*on\\s.{1,200}\\swrote\\s*-{2,}$",
	[RX_ORIGINAL] = "^[\\s*]*-{2,}\\s*(?:original message|original-nachricht|ursprüngliche nachricht|"
	                "message d'origine|message d’origine|mensaje original|messaggio originale|"
	                "oorspronkelijk bericht|origineel bericht|исходное сообщение|оригинальное сообщение|"
	                "wiadomość oryginalna|oryginalna wiadomość|mensagem original|ursprungligt meddelande|"
	                "originalmeddelande|oprindelig meddelelse|opprinnelig melding|původní zpráva|"
	                "orijinal mesaj|alkuperäinen viesti|eredeti üzenet|оригінальне повідомлення|"
	                "вихідне повідомлення|原始邮件|原始郵件|원본 메시지|元のメッセージ|mesaj original)"
	                "\\s*-{2,}[\\s*]*$",
	[RX_FORWARD] = "^[\\s*]*-{2,}\\s*(?:forwarded message|forwarded e-?mail|weitergeleitete nachricht|"
	               "message transféré|message transfere|mensaje reenviado|messaggio inoltrato|"
	               "doorgestuurd bericht|пересылаемое сообщение|пересланное сообщение|"
	               "przekazana wiadomość|wiadomość przekazana|mensagem encaminhada|"
	               "vidarebefordrat meddelande|videresendt meddelelse|videresendt melding|"
	               "přeposlaná zpráva|iletilen mesaj|转发的邮件|轉寄的郵件|転送されたメッセージ|"
	               "전달된 메시지|переслане повідомлення|továbbított üzenet)\\s*-{2,}[\\s*]*$",
	[RX_URL] = "<[^<>]*(?:://|@|www\\.)[^<>]*>|\\(\\s*https?://[^()]*\\)|https?://\\S+",
	[RX_DASH_NAME] = "^-[A-Z][A-Za-z.'’-]*(?: [A-Z][A-Za-z.'’-]*){0,2}$",
};

/* One alternative of a footer pattern: the plain text it begins with, then
 * a regex; an alternative that may begin anywhere has no lead but names the
 * plain text it ends with (give or take a final full stop). */
typedef struct {
	const char *lead;
	const char *rest;
	const char *tail;
} footer_alt;

#define OUTLOOK_APP "(?:ios|android)\\b.*"
#define FROM_DEVICE ".{1,40}"

/* Footers that end what the sender wrote wherever they stand. Matched
 * against the whole line, lowercased by the regex, links removed. */
static const footer_alt footer_strong[] = {
	{ "sent from my ", "(?:[^\\s,.;:!?]+\\s*){1,5}\\.?" },
	/* "Sent from my cell, please excuse any typos": a device, then anything */
	{ "sent from my ", "(?:[^\\s,.;:!?]+ ){0,4}(?:phone|iphone|ipad|ipod|android|blackberry|mobile|cell|"
	  "cellphone|smartphone|tablet|device|galaxy|samsung|htc|nokia|huawei|pixel|xperia|motorola|"
	  "oneplus|xiaomi)\\S*\\s*[,.;!-].{0,80}" },
	{ "get ", "(?:the )?outlook (?:app )?for (?:ios|android|iphone)\\b.*" },
	{ "von meinem ", FROM_DEVICE },
	{ "gesendet ", "(?:von meinem|vom|von|mit) " FROM_DEVICE },
	{ "diese nachricht wurde von meinem ", ".{1,60} gesendet\\.?" },
	{ "outlook für ", "(?:ios|android) beziehen" },
	{ "envoy", "[ée] (?:de|depuis|à partir de|a partir de|avec) (?:mon|ma|l'application|outlook|yahoo) ?.{1,40}" },
	{ "obtenir outlook pour ", OUTLOOK_APP },
	{ "enviado ", "(?:desde|con|do|de|a partir do|a partir de) (?:mi|meu|o meu|minha|a minha|el|o) .{1,40}" },
	{ "obtener outlook para ", OUTLOOK_APP },
	{ "obtén outlook para ", OUTLOOK_APP },
	{ "obter o outlook para ", OUTLOOK_APP },
	{ "baixe o outlook para ", OUTLOOK_APP },
	{ "baixar o outlook para ", OUTLOOK_APP },
	{ "inviato ", "(?:da|dal|dal mio|dalla mia|con) .{1,40}" },
	{ "scarica outlook per ", OUTLOOK_APP },
	{ "verzonden ", "(?:vanaf|met|vanuit|van) (?:mijn )?.{1,40}" },
	{ "verstuurd ", "(?:vanaf|met|vanuit|van) (?:mijn )?.{1,40}" },
	{ "outlook voor ", "(?:ios|android) downloaden" },
	{ "отправлено ", "(?:с|со|из) .{1,40}" },
	{ "получите outlook для ", OUTLOOK_APP },
	{ "скачайте outlook для ", OUTLOOK_APP },
	{ "wysłane ", "(?:z|ze|przy użyciu|za pomocą) .{1,40}" },
	{ "wysłano ", "(?:z|ze|przy użyciu|za pomocą) .{1,40}" },
	{ "pobierz ", "(?:aplikację )?outlook dla .{1,30}" },
	{ "从我的", "\\s*.{1,30}(?:发送|傳送|發送)" },
	{ "從我的", "\\s*.{1,30}(?:发送|傳送|發送)" },
	{ "发自我的", "\\s*.{1,30}" },
	{ "發自我的", "\\s*.{1,30}" },
	{ NULL, ".{1,30}から送信", "から送信" },
	{ "skickat från ", "(?:min |mitt )?.{1,40}" },
	{ "skickades från ", "(?:min |mitt )?.{1,40}" },
	{ "sendt fra ", "(?:min |mitt )?.{1,40}" },
	{ "odesláno z ", FROM_DEVICE },
	{ NULL, ".{1,30}(?:'?[ıiuü]mdan|'?dan|'?den) gönderildi\\.?", " gönderildi" },
	{ NULL, ".{1,30}에서 보냄", "에서 보냄" },
	{ "надіслано з ", FROM_DEVICE },
	{ "lähetetty ", FROM_DEVICE },
};

/* Footers generic enough to be prose: believed only near the end. */
static const footer_alt footer_weak[] = {
	{ "sent ", "(?:from|with|via|using|by|on) (?:a |an |the )?(?:[^\\s,.;:!?]+\\s*){1,5}\\.?" },
	{ "from my ", "(?:iphone|ipad|ipod|android|mobile|phone|blackberry|samsung|galaxy|smartphone)\\b.{0,30}" },
};

/* Header labels of the From:/Sent:/To:/Subject: blocks clients put above
 * quoted mail, casefolded, by what they stand for. */
enum {
	HK_FROM = 1 << 0,
	HK_DATE = 1 << 1,
	HK_TO = 1 << 2,
	HK_CC = 1 << 3,
	HK_SUBJECT = 1 << 4,
	HK_REPLY_TO = 1 << 5,
};

static const struct {
	const char *label;
	guint kind;
} header_labels[] = {
	{ "from", HK_FROM }, { "de", HK_FROM }, { "von", HK_FROM }, { "da", HK_FROM },
	{ "van", HK_FROM }, { "od", HK_FROM }, { "от", HK_FROM }, { "від", HK_FROM },
	{ "发件人", HK_FROM }, { "寄件者", HK_FROM }, { "寄件人", HK_FROM }, { "差出人", HK_FROM },
	{ "från", HK_FROM }, { "fra", HK_FROM }, { "lähettäjä", HK_FROM }, { "feladó", HK_FROM },
	{ "kimden", HK_FROM }, { "보낸 사람", HK_FROM }, { "afzender", HK_FROM },
	{ "remitente", HK_FROM }, { "mittente", HK_FROM }, { "expéditeur", HK_FROM },
	{ "absender", HK_FROM }, { "nadawca", HK_FROM }, { "odesílatel", HK_FROM },
	{ "sent", HK_DATE }, { "date", HK_DATE }, { "datum", HK_DATE }, { "envoyé", HK_DATE },
	{ "envoyé le", HK_DATE }, { "enviado", HK_DATE }, { "enviada", HK_DATE },
	{ "enviado el", HK_DATE }, { "inviato", HK_DATE }, { "data", HK_DATE },
	{ "verzonden", HK_DATE }, { "verstuurd", HK_DATE }, { "gesendet", HK_DATE },
	{ "wysłano", HK_DATE }, { "wysłane", HK_DATE }, { "отправлено", HK_DATE },
	{ "дата", HK_DATE }, { "надіслано", HK_DATE }, { "发送时间", HK_DATE },
	{ "日期", HK_DATE }, { "時間", HK_DATE }, { "送信日時", HK_DATE }, { "skickat", HK_DATE },
	{ "sendt", HK_DATE }, { "odesláno", HK_DATE }, { "gönderildi", HK_DATE },
	{ "tarih", HK_DATE }, { "보낸 날짜", HK_DATE }, { "message du", HK_DATE },
	{ "fecha", HK_DATE }, { "lähetetty", HK_DATE }, { "elküldve", HK_DATE },
	{ "dátum", HK_DATE }, { "sent at", HK_DATE },
	{ "to", HK_TO }, { "à", HK_TO }, { "a", HK_TO }, { "an", HK_TO }, { "para", HK_TO },
	{ "aan", HK_TO }, { "do", HK_TO }, { "кому", HK_TO }, { "收件人", HK_TO },
	{ "宛先", HK_TO }, { "till", HK_TO }, { "til", HK_TO }, { "komu", HK_TO },
	{ "kime", HK_TO }, { "받는 사람", HK_TO }, { "destinataire", HK_TO },
	{ "címzett", HK_TO }, { "vastaanottaja", HK_TO }, { "per", HK_TO },
	{ "cc", HK_CC }, { "bcc", HK_CC }, { "copie", HK_CC }, { "copie à", HK_CC },
	{ "kopie", HK_CC }, { "copia", HK_CC }, { "kopia", HK_CC }, { "копия", HK_CC },
	{ "抄送", HK_CC }, { "副本", HK_CC }, { "kopio", HK_CC }, { "cco", HK_CC }, { "cci", HK_CC },
	{ "subject", HK_SUBJECT }, { "objet", HK_SUBJECT }, { "sujet", HK_SUBJECT },
	{ "betreff", HK_SUBJECT }, { "asunto", HK_SUBJECT }, { "oggetto", HK_SUBJECT },
	{ "onderwerp", HK_SUBJECT }, { "temat", HK_SUBJECT }, { "тема", HK_SUBJECT },
	{ "主题", HK_SUBJECT }, { "主旨", HK_SUBJECT }, { "件名", HK_SUBJECT },
	{ "ämne", HK_SUBJECT }, { "emne", HK_SUBJECT }, { "předmět", HK_SUBJECT },
	{ "konu", HK_SUBJECT }, { "제목", HK_SUBJECT }, { "assunto", HK_SUBJECT },
	{ "aihe", HK_SUBJECT }, { "tárgy", HK_SUBJECT },
	{ "reply-to", HK_REPLY_TO }, { "antwort an", HK_REPLY_TO }, { "répondre à", HK_REPLY_TO },
	{ "responder a", HK_REPLY_TO },
};

/* ---- prefilters ------------------------------------------------------------ */

/*
 * Most lines are prose and match no pattern, and a regex call costs far more
 * than looking at a few bytes, so each pattern has a cheap test that a text
 * can match it at all: plain text every match begins with or contains, taken
 * from the tables the pattern is built from where there are tables. Each
 * test is a necessary condition of its pattern; keep them in step when a
 * pattern changes.
 *
 * The patterns match caselessly and in Unicode. There the only characters
 * outside ASCII equal to ASCII ones are the Kelvin sign (k) and the long s
 * (ſ), and no plain text in the tables contains either; two characters
 * outside ASCII are equal only when fold() makes them the same (checked for
 * every such character of the tables against every Unicode character).
 */

/* A plain text, and the other cases of its first character. */
typedef struct {
	const char *text;
	gunichar first;   /* fold() of its first character, 0 if that is ASCII */
} litword;

/* Classes of the byte after an ASCII first byte in litset.pairs: the ASCII
 * byte lowered, or PAIR_OTHER for any byte outside ASCII. */
#define PAIR_OTHER 128
#define PAIR_WORDS ((PAIR_OTHER + 64) / 64)

/* A set of plain texts, by the byte a match of each may begin with. */
typedef struct {
	GArray *by_first[256];  /* of litword; NULL when none */
	/* For a text with an ASCII first character: bit c of pairs[f] is set
	 * when one of the set, lowered f first, may go on with a byte of class c.
	 * Most places where a text may begin are ruled out by their first two
	 * bytes, without trying each text of by_first. */
	guint64 pairs[128][PAIR_WORDS];
	/* For each text, a character any match of it has as it is, see
	 * must_of(); NULL when some text has none. */
	GArray *musts;          /* of litmust */
	gboolean ascii_none;    /* none can match ASCII text */
	gsize span;             /* the most bytes a match of one takes, with two more characters */
} litset;

/* A character a match must have: an ASCII letter in either case, or the
 * bytes of a character without case. */
typedef struct {
	char bytes[4];
	gsize len;
	gboolean letter;  /* bytes[0] is an ASCII letter, lowered */
} litmust;

static guchar
lower(guchar c)
{
	return c >= 'A' && c <= 'Z' ? (guchar) (c + 'a' - 'A') : c;
}

/* The same for a character and its other cases. */
static gunichar
fold(gunichar c)
{
	return g_unichar_tolower(g_unichar_toupper(c));
}

/* Kana, CJK ideographs and Hangul syllables: Unicode gives them no other
 * case, so only the character itself equals one of them. */
static gboolean
has_no_case(gunichar c)
{
	return (c >= 0x3040 && c <= 0x30FF) || (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0xAC00 && c <= 0xD7A3);
}

static void
litset_add(litset *ls, guchar b, litword l)
{
	if (ls->by_first[b] == NULL)
		ls->by_first[b] = g_array_new(FALSE, FALSE, sizeof(litword));
	g_array_append_val(ls->by_first[b], l);
}

static guint
pair_class(guchar c)
{
	return c < 0x80 ? lower(c) : PAIR_OTHER;
}

static void
pair_set(litset *ls, guchar first, guint c)
{
	ls->pairs[first][c / 64] |= G_GUINT64_CONSTANT(1) << (c % 64);
}

/* Whether a text of ls may begin with the ASCII byte first (lowered) and a
 * byte of class c. */
static gboolean
pair_may(const litset *ls, guchar first, guint c)
{
	return (ls->pairs[first][c / 64] >> (c % 64)) & 1;
}

/* The bytes that may follow the ASCII first character of word, whose
 * second character (or NUL) is at rest: that character in either case; any
 * byte outside ASCII when it is one there, or is k or s (the Kelvin sign
 * and the long s equal them); any byte at all after a one-character word. */
static void
pair_add(litset *ls, guchar first, const char *rest)
{
	guchar p = (guchar) *rest;

	if (p == '\0') {
		for (guint c = 0; c <= PAIR_OTHER; c++)
			pair_set(ls, first, c);
		return;
	}
	if (p >= 0x80 || lower(p) == 'k' || lower(p) == 's')
		pair_set(ls, first, PAIR_OTHER);
	if (p < 0x80)
		pair_set(ls, first, lower(p));
}

/* A character of word that a match of it has as it is: the first ASCII
 * letter other than k and s (only the letter in either case equals one),
 * else the first character without case; FALSE when there is none. */
static gboolean
must_of(const char *word, litmust *m)
{
	for (const char *p = word; *p != '\0'; p = g_utf8_next_char(p))
		if (g_ascii_isalpha(*p) && lower((guchar) *p) != 'k' && lower((guchar) *p) != 's') {
			*m = (litmust) { { (char) lower((guchar) *p) }, 1, TRUE };
			return TRUE;
		}
	for (const char *p = word; *p != '\0'; p = g_utf8_next_char(p))
		if ((guchar) *p >= 0x80 && has_no_case(g_utf8_get_char(p))) {
			*m = (litmust) { { 0 }, pd_utf8_width((guchar) *p), FALSE };
			memcpy(m->bytes, p, m->len);
			return TRUE;
		}
	return FALSE;
}

static void
litset_init(litset *ls, const char *const *words)
{
	gboolean musts = TRUE;

	ls->ascii_none = TRUE;
	ls->musts = g_array_new(FALSE, FALSE, sizeof(litmust));
	for (; *words != NULL; words++) {
		guchar c = (guchar) **words;
		litword l = { *words, 0 };
		litmust m;

		if (must_of(*words, &m))
			g_array_append_val(ls->musts, m);
		else
			musts = FALSE;

		ls->ascii_none = ls->ascii_none && !pd_text_is_ascii(*words, strlen(*words));
		/* another case of a character takes at most four bytes */
		ls->span = MAX(ls->span, 4 * ((gsize) g_utf8_strlen(*words, -1) + 2));
		if (c >= 0x80) {
			gunichar u = g_utf8_get_char(*words);

			l.first = fold(u);
			if (has_no_case(u)) {
				litset_add(ls, c, l);
				continue;
			}
			/* its other cases may begin with any byte a letter begins with */
			for (guint b = 0xC0; b <= 0xFF; b++)
				litset_add(ls, (guchar) b, l);
			continue;
		}
		litset_add(ls, lower(c), l);
		pair_add(ls, lower(c), *words + 1);
		if (g_ascii_isalpha(c))
			litset_add(ls, (guchar) g_ascii_toupper((char) c), l);
		if (lower(c) == 'k')
			litset_add(ls, 0xE2, l);  /* U+212A */
		if (lower(c) == 's')
			litset_add(ls, 0xC5, l);  /* U+017F */
	}
	if (!musts)
		g_clear_pointer(&ls->musts, g_array_unref);
}

/* The width of the Kelvin sign or long s at s when p is k or s, else 0. */
static gsize
exotic_width(const char *s, gsize len, guchar p)
{
	if (lower(p) == 'k' && len >= 3 && memcmp(s, "\xE2\x84\xAA", 3) == 0)  /* U+212A */
		return 3;
	if (lower(p) == 's' && len >= 2 && memcmp(s, "\xC5\xBF", 2) == 0)  /* U+017F */
		return 2;
	return 0;
}

/* The width of the character at s (len bytes) if it can equal the one at
 * lit, both outside ASCII; 0 if it cannot. */
static gsize
other_width(const char *s, gsize len, const char *lit)
{
	gsize n = pd_utf8_width((guchar) *s);
	gunichar c;

	if (n > len)
		return 0;
	if (n == pd_utf8_width((guchar) *lit) && memcmp(s, lit, n) == 0)
		return n;
	c = g_utf8_get_char_validated(s, (gssize) n);
	if (c == (gunichar) -1 || c == (gunichar) -2)
		return 0;  /* not UTF-8: no regex matches it */
	return fold(c) == fold(g_utf8_get_char(lit)) ? n : 0;
}

/* Whether the plain text lit can match at the start of a text known only
 * by its first characters: the len bytes at s, whole characters, followed
 * by more when more is set. */
static gboolean
may_start_with_head(const char *s, gsize len, gboolean more, const char *lit)
{
	gsize i = 0, j = 0, n;

	while (lit[j] != '\0') {
		guchar c, p = (guchar) lit[j];

		if (i >= len)
			return more;
		c = (guchar) s[i];
		if (c < 0x80) {
			if (p >= 0x80 || lower(c) != lower(p))
				return FALSE;
			i++;
			j++;
			continue;
		}
		n = p < 0x80 ? exotic_width(s + i, len - i, p) : other_width(s + i, len - i, lit + j);
		if (n == 0)
			return FALSE;
		i += n;
		j += p < 0x80 ? 1 : pd_utf8_width(p);
	}
	return TRUE;
}

/* Whether the plain text lit can match at the start of s (len bytes). */
static gboolean
may_start_with(const char *s, gsize len, const char *lit)
{
	return may_start_with_head(s, len, FALSE, lit);
}

/* fold() of the character at s, or 0 when it is not UTF-8 (which no
 * regex matches). */
static gunichar
fold_at(const char *s, gsize len)
{
	gunichar c = g_utf8_get_char_validated(s, (gssize) MIN(len, 4));

	if (c == (gunichar) -1 || c == (gunichar) -2)
		return 0;
	return has_no_case(c) ? c : fold(c);
}

/* Whether one of the texts of ls can begin a text known only by its first
 * characters (see may_start_with_head()). */
static gboolean
litset_may_lead(const litset *ls, const char *s, gsize len, gboolean more)
{
	const GArray *a = len > 0 ? ls->by_first[(guchar) *s] : NULL;
	gunichar c = 0;

	if (a == NULL)
		return FALSE;
	if ((guchar) *s >= 0x80 && (c = fold_at(s, len)) == 0)
		return FALSE;
	for (guint k = 0; k < a->len; k++) {
		const litword *l = &g_array_index(a, litword, k);

		if ((l->first == 0 || l->first == c) && may_start_with_head(s, len, more, l->text))
			return TRUE;
	}
	return FALSE;
}

/* Whether one of the texts of ls can match at the start of s. */
static gboolean
litset_may_start(const litset *ls, const char *s, gsize len)
{
	/* An ASCII first byte: only texts that begin with the same letter can
	 * match, and they fail on the second byte unless pairs allows it. */
	if (len >= 2 && (guchar) *s < 0x80 && !pair_may(ls, lower((guchar) *s), pair_class((guchar) s[1])))
		return FALSE;
	return litset_may_lead(ls, s, len, FALSE);
}

/* Whether the len bytes at s contain the n bytes at b (the last of which
 * is a byte inside a character: memchr finds few). */
static gboolean
has_bytes(const char *s, gsize len, const char *b, gsize n)
{
	const char *end = s + len;

	for (const char *p = s + n - 1; p < end && (p = memchr(p, b[n - 1], (gsize) (end - p))) != NULL; p++)
		if (memcmp(p - (n - 1), b, n - 1) == 0)
			return TRUE;
	return FALSE;
}

/* Whether the len bytes at s have, for some text of ls, the character each
 * match of it has (litset.musts). A text whose characters are all found in
 * s, whole, can only match one of ls where this holds. */
static gboolean
litset_may_hold(const litset *ls, const char *s, gsize len)
{
	if (ls->musts == NULL)
		return TRUE;
	for (guint k = 0; k < ls->musts->len; k++) {
		const litmust *m = &g_array_index(ls->musts, litmust, k);

		if (m->letter ? memchr(s, m->bytes[0], len) != NULL ||
		                memchr(s, g_ascii_toupper(m->bytes[0]), len) != NULL
		              : has_bytes(s, len, m->bytes, m->len))
			return TRUE;
	}
	return FALSE;
}

/* Whether one of the texts of ls can match in s, beginning before byte
 * to; with words_only, only where a word begins (not after an ASCII letter
 * or digit). */
static gboolean
litset_may_begin_before(const litset *ls, const char *s, gsize len, gsize to, gboolean words_only)
{
	if (ls->ascii_none && pd_text_is_ascii(s, len))
		return FALSE;
	/* Bytes inside a character (0x80 to 0xBF) begin no text. */
	for (gsize i = 0; i < to; i++) {
		if (ls->by_first[(guchar) s[i]] == NULL || (words_only && i > 0 && g_ascii_isalnum(s[i - 1])))
			continue;
		if (litset_may_start(ls, s + i, len - i))
			return TRUE;
	}
	return FALSE;
}

/* Whether one of the texts of ls can match anywhere in s. */
static gboolean
litset_may_contain(const litset *ls, const char *s, gsize len, gboolean words_only)
{
	return litset_may_begin_before(ls, s, len, len, words_only);
}

/* litset_may_contain() on a text that grows at its front, a line at a time
 * (a span of lines joined by spaces, taking the line above): whether a text
 * of ls may begin at a place depends only on what follows it, and on the
 * byte before it, which is a space where lines were joined, as good as the
 * start. So the places seen before keep what they gave, and only the new
 * front is looked at. */
typedef struct {
	gsize seen;      /* bytes at the end already looked at */
	gboolean found;
} litscan;

static gboolean
litset_may_contain_grown(const litset *ls, const char *s, gsize len, gboolean words_only, litscan *scan)
{
	if (!scan->found && len > scan->seen)
		scan->found = litset_may_begin_before(ls, s, len, len - scan->seen, words_only);
	scan->seen = len;
	return scan->found;
}

/* Whether s can contain lit: lower-case ASCII without k or s, so only
 * ASCII letters can equal its own (what may_start_with() finds, compared
 * here in place); memchr finds where it may begin. */
static gboolean
may_contain_ascii(const char *s, gsize len, const char *lit)
{
	gsize n = strlen(lit);
	const char *last = len >= n ? s + len - n : NULL;  /* where a match begins at the latest */
	char first[2] = { lit[0], g_ascii_toupper(lit[0]) };

	if (last == NULL)
		return FALSE;
	for (int k = 0; k < 2; k++)
		for (const char *p = s; (p = memchr(p, first[k], (gsize) (last - p + 1))) != NULL; p++) {
			gsize j = 1;

			while (j < n && lower((guchar) p[j]) == (guchar) lit[j])
				j++;
			if (j == n)
				return TRUE;
			if (p == last)
				break;
		}
	return FALSE;
}

/* Whether one of the texts of ls can match at the end of s, or before at
 * most two more characters. */
static gboolean
litset_may_end(const litset *ls, const char *s, gsize len)
{
	gsize from = len > ls->span ? len - ls->span : 0;

	return litset_may_contain(ls, s + from, len - from, FALSE);
}

enum {
	LS_VERB,
	LS_VERB_CJK,
	LS_FORWARD_INTRO,
	LS_STRONG_LEAD,      /* what footer_strong alternatives begin with */
	LS_STRONG_TAIL,      /* what those without a lead end with */
	LS_WEAK_LEAD,
	LS_COUNT
};

typedef struct {
	GRegex *rx[RX_COUNT];
	litset lits[LS_COUNT];
	GHashTable *labels;   /* casefolded label -> GUINT_TO_POINTER(kind) */
	/* The ASCII labels: which bytes they begin with, and the longest. Lowered
	 * ASCII text can only be one of them. */
	guint64 label_firsts[2];
	gsize label_max;
} pd_reply_patterns;

static GRegex *
compile(const char *source)
{
	GError *error = NULL;
	GRegex *rx = g_regex_new(source, G_REGEX_CASELESS | G_REGEX_OPTIMIZE, 0, &error);

	/* The patterns are constants of this file: failing to compile is a bug. */
	if (rx == NULL)
		g_error("reply pattern does not compile: %s: %s", error->message, source);
	return rx;
}

/* head, then the plain-text words as alternatives, then tail. */
static GRegex *
compile_words(const char *head, const char *const *words, const char *tail)
{
	GString *s = g_string_new(head);
	GRegex *rx;

	for (const char *const *w = words; *w != NULL; w++) {
		char *e = g_regex_escape_string(*w, -1);

		g_string_append_printf(s, "%s%s", w > words ? "|" : "", e);
		g_free(e);
	}
	g_string_append(s, tail);
	rx = compile(s->str);
	g_string_free(s, TRUE);
	return rx;
}

/* One anchored alternation from a table, so a line is matched once. */
static GRegex *
compile_table(const footer_alt *table, gsize n)
{
	GString *s = g_string_new("^(?:");
	GRegex *rx;

	for (gsize i = 0; i < n; i++) {
		char *lead = g_regex_escape_string(table[i].lead != NULL ? table[i].lead : "", -1);

		g_string_append_printf(s, "%s(?:%s%s)", i > 0 ? "|" : "", lead, table[i].rest);
		g_free(lead);
	}
	g_string_append(s, ")$");
	rx = compile(s->str);
	g_string_free(s, TRUE);
	return rx;
}

/* The leads of a footer table, or the tails of its alternatives without one. */
static void
litset_init_footer(litset *ls, const footer_alt *table, gsize n, gboolean leads)
{
	GPtrArray *a = g_ptr_array_new();

	for (gsize i = 0; i < n; i++)
		if ((table[i].lead != NULL) == leads)
			g_ptr_array_add(a, (gpointer) (leads ? table[i].lead : table[i].tail));
	g_ptr_array_add(a, NULL);
	litset_init(ls, (const char *const *) a->pdata);
	g_ptr_array_unref(a);
}

static gpointer
patterns_new(gpointer unused)
{
	pd_reply_patterns *p = g_new0(pd_reply_patterns, 1);

	for (int i = 0; i < RX_FOOTER_STRONG; i++)
		if (rx_source[i] != NULL)
			p->rx[i] = compile(rx_source[i]);
	p->rx[RX_VERB] = compile_words("(?:^|[\\s,;\"'>)\\]])(", verbs, ")(?:[\\s(].{0,100})?[:：]$");
	p->rx[RX_VERB_CJK] = compile_words("(", verbs_cjk, ")\\s*[:：]$");
	p->rx[RX_FORWARD_INTRO] = compile_words("^(?:", forward_intros, ")\\s*[:：]?$");
	p->rx[RX_FOOTER_STRONG] = compile_table(footer_strong, G_N_ELEMENTS(footer_strong));
	p->rx[RX_FOOTER_WEAK] = compile_table(footer_weak, G_N_ELEMENTS(footer_weak));
	litset_init(&p->lits[LS_VERB], verbs);
	litset_init(&p->lits[LS_VERB_CJK], verbs_cjk);
	litset_init(&p->lits[LS_FORWARD_INTRO], forward_intros);
	litset_init_footer(&p->lits[LS_STRONG_LEAD], footer_strong, G_N_ELEMENTS(footer_strong), TRUE);
	litset_init_footer(&p->lits[LS_STRONG_TAIL], footer_strong, G_N_ELEMENTS(footer_strong), FALSE);
	litset_init_footer(&p->lits[LS_WEAK_LEAD], footer_weak, G_N_ELEMENTS(footer_weak), TRUE);
	p->labels = g_hash_table_new(g_str_hash, g_str_equal);
	for (gsize i = 0; i < G_N_ELEMENTS(header_labels); i++) {
		const char *label = header_labels[i].label;

		g_hash_table_insert(p->labels, (gpointer) label, GUINT_TO_POINTER(header_labels[i].kind));
		if (pd_text_is_ascii(label, strlen(label))) {
			p->label_firsts[(guchar) label[0] / 64] |= G_GUINT64_CONSTANT(1) << ((guchar) label[0] % 64);
			p->label_max = MAX(p->label_max, strlen(label));
		}
	}
	return p;
}

/* Compiled once per process and shared by all threads (GRegex is immutable). */
static const pd_reply_patterns *
patterns(void)
{
	static GOnce once = G_ONCE_INIT;

	return g_once(&once, patterns_new, NULL);
}

static gboolean
has_double_dash(const char *s, gsize len)
{
	const char *p = s, *end = s + len;

	while ((p = memchr(p, '-', (gsize) (end - p))) != NULL && p + 1 < end) {
		if (p[1] == '-')
			return TRUE;
		p += 2;
	}
	return FALSE;
}

/* RX_VERB's prefilter looks for verbs where words begin. */
#define VERB_WORDS_ONLY TRUE

/* Whether the text s (len bytes) can match pattern id at all. */
static gboolean
rx_may_match(rx_id id, const char *s, gsize len)
{
	const litset *ls = patterns()->lits;

	switch (id) {
	case RX_VERB:
		/* a verb follows the start, a space or punctuation */
		return litset_may_contain(&ls[LS_VERB], s, len, VERB_WORDS_ONLY);
	case RX_VERB_CJK:
		return litset_may_contain(&ls[LS_VERB_CJK], s, len, FALSE);
	case RX_GMAIL_DATE:
		/* "^\\d": an ASCII digit, or perhaps another script's */
		return len > 0 && (g_ascii_isdigit(s[0]) || (guchar) s[0] >= 0x80) &&
		       may_contain_ascii(s, len, "gmt");
	case RX_ZOHO:
		return len >= 2 && s[0] == '-' && s[1] == '-';
	case RX_ORIGINAL:
	case RX_FORWARD:
		return has_double_dash(s, len);
	case RX_FORWARD_INTRO:
		return litset_may_start(&ls[LS_FORWARD_INTRO], s, len);
	case RX_URL:
		return memchr(s, '<', len) != NULL || may_contain_ascii(s, len, "http");
	case RX_DASH_NAME:
		return len > 0 && s[0] == '-';
	case RX_FOOTER_STRONG:
		return litset_may_start(&ls[LS_STRONG_LEAD], s, len) ||
		       litset_may_end(&ls[LS_STRONG_TAIL], s, len);
	case RX_FOOTER_WEAK:
		return litset_may_start(&ls[LS_WEAK_LEAD], s, len);
	default:
		return TRUE;
	}
}

/* Whether the len bytes at s (no NUL needed) match pattern id, once its
 * prefilter passed. */
static gboolean
rx_run(rx_id id, const char *s, gsize len)
{
	return g_regex_match_full(patterns()->rx[id], s, (gssize) len, 0, 0, NULL, NULL);
}

static gboolean
rx_match(rx_id id, const char *s, gsize len)
{
	return rx_may_match(id, s, len) && rx_run(id, s, len);
}

/* ---- lines --------------------------------------------------------------- */

typedef enum {
	LK_TEXT,   /* the sender's words, as far as we can tell */
	LK_BLANK,
	LK_QUOTE,  /* "> " quoting */
	LK_ATTR,   /* part of an attribution ("On ... wrote:") */
	LK_HARD,   /* history starts here and runs to the end: header block, separator */
	LK_FWD,    /* a forwarded-message separator */
} line_kind;

typedef enum {
	OWN_NEW,
	OWN_QUOTED,
	OWN_SIG,
} line_owner;

typedef struct {
	const char *s;
	gsize len;            /* without the LF and a CR before it */
	const char *ts;       /* the line without white space at either end (rline_set()) */
	gsize tlen;           /* 0 for a blank line */
	guint8 kind;          /* line_kind */
	guint8 owner;         /* line_owner */
	/* LK_TEXT in classify() and not longer than PD_REPLY_MARKER_MAX: whether
	 * the trimmed text has "--", the prefilter of RX_FORWARD and RX_ORIGINAL */
	gboolean dashes;
	gboolean attr_first;  /* LK_ATTR: the first line of its attribution */
	guint attr_last;      /* attr_first: index of the attribution's last line */
} rline;

typedef struct {
	rline *l;
	guint n;
} rtext;

/* Width of the white space at s (space, tab, no-break and zero-width spaces), 0 if none. */
static gsize
space_at(const char *s, const char *end)
{
	const guchar *u = (const guchar *) s;

	if (s >= end)
		return 0;
	if (*u == ' ' || *u == '\t' || *u == '\r' || *u == '\f' || *u == '\v')
		return 1;
	if (end - s >= 2 && u[0] == 0xC2 && u[1] == 0xA0)
		return 2;  /* U+00A0 */
	if (end - s >= 3 && u[0] == 0xE2 && u[1] == 0x80 && (u[2] == 0x8B || u[2] == 0xAF))
		return 3;  /* U+200B, U+202F */
	if (end - s >= 3 && u[0] == 0xEF && u[1] == 0xBB && u[2] == 0xBF)
		return 3;  /* U+FEFF */
	return 0;
}

/* The len bytes at s without white space at either end. */
static void
trimmed(const char *s, gsize len, const char **s_r, gsize *len_r)
{
	const char *end = s + len;
	gsize w;

	/* Most lines begin and end with a printable ASCII character, which is
	 * no white space and no byte inside a character. */
	if (len > 0 && (guchar) s[0] > ' ' && (guchar) s[0] < 0x80 && (guchar) end[-1] > ' ' &&
	    (guchar) end[-1] < 0x80) {
		*s_r = s;
		*len_r = len;
		return;
	}
	while ((w = space_at(s, end)) > 0)
		s += w;
	while (end > s) {
		const char *q = end - 1;

		while (q > s && ((guchar) *q & 0xC0) == 0x80)
			q--;
		if (space_at(q, end) != (gsize) (end - q))
			break;
		end = q;
	}
	*s_r = s;
	*len_r = (gsize) (end - s);
}

/* A line of len bytes at s, and its trimmed text, which every test below
 * looks at: found once per line. */
static void
rline_set(rline *l, const char *s, gsize len)
{
	*l = (rline) { .s = s, .len = len };
	trimmed(s, len, &l->ts, &l->tlen);
}

/* The lines of text (size bytes). */
static void
split_lines(rtext *t, const char *text, gsize size)
{
	const char *p = text, *end = text + size;
	guint room = 64;

	t->n = 0;
	t->l = g_new(rline, room);
	while (p < end) {
		const char *nl = memchr(p, '\n', (gsize) (end - p));
		gsize len = (gsize) ((nl != NULL ? nl : end) - p);

		if (len > 0 && p[len - 1] == '\r')
			len--;
		if (t->n == room) {
			room *= 2;
			t->l = g_renew(rline, t->l, room);
		}
		rline_set(&t->l[t->n++], p, len);
		p = nl != NULL ? nl + 1 : end;
	}
}

static gboolean
is_blank(const rline *l)
{
	return l->tlen == 0;
}

/* "> text" with at most three spaces before the '>'. ">=", ">:" and ">)"
 * are operators and faces, not quoting. */
static gboolean
is_quote(const rline *l)
{
	gsize i = 0;

	while (i < l->len && i < 3 && (l->s[i] == ' ' || l->s[i] == '\t'))
		i++;
	if (i >= l->len || l->s[i] != '>')
		return FALSE;
	return i + 1 >= l->len || strchr("=:)(", l->s[i + 1]) == NULL;
}

/* What a quoted line says without its "> > " prefix and without ASCII white
 * space at the end (what g_strchomp() leaves), in *s_r and *len_r; FALSE
 * when it is too long to be a marker. */
static gboolean
quote_text(const rline *l, const char **s_r, gsize *len_r)
{
	const char *s = l->s, *end = l->s + l->len;

	while (s < end && (*s == '>' || *s == ' ' || *s == '\t'))
		s++;
	if (end - s > PD_REPLY_MARKER_MAX)
		return FALSE;
	while (end > s && g_ascii_isspace(end[-1]))
		end--;
	*s_r = s;
	*len_r = (gsize) (end - s);
	return TRUE;
}

/* A line of dashes, underscores or equals signs that clients draw above quoted headers. */
static gboolean
is_rule(const rline *l)
{
	const char *s = l->ts;
	gsize len = l->tlen, marks = 0;

	for (gsize i = 0; i < len; i++) {
		if (strchr("-_=~*", s[i]) != NULL)
			marks++;
		else if (s[i] != ' ')
			return FALSE;
	}
	return marks >= 5;
}

/* ---- header blocks (From:/Sent:/To:/Subject:) ------------------------------ */

/* The kind of header label the line starts with ("*From:*", "Objet :", "发件人："), or 0. */
static guint
header_label(const rline *l)
{
	const char *s = l->s, *end = l->s + MIN(l->len, 64), *colon, *label_end, *p;
	char *folded, lowered[41];
	gpointer kind;
	gsize w;

	while ((w = space_at(s, end)) > 0 || (s < end && *s == '*'))
		s += w > 0 ? w : 1;
	colon = memchr(s, ':', (gsize) (end - s));
	for (p = s; (p = memchr(p, '\xEF', (gsize) ((colon != NULL ? colon : end) - p))) != NULL; p++)
		if (end - p >= 3 && memcmp(p, "：", 3) == 0) {
			colon = p;
			break;
		}
	if (colon == NULL)
		return 0;
	label_end = colon;
	while (label_end > s && (label_end[-1] == ' ' || label_end[-1] == '*' || label_end[-1] == '\t'))
		label_end--;
	if (label_end - s >= 2 && (guchar) label_end[-2] == 0xC2 && (guchar) label_end[-1] == 0xA0)
		label_end -= 2;
	if (label_end == s || label_end - s > 40)
		return 0;
	if (pd_text_is_ascii(s, (gsize) (label_end - s))) {
		const pd_reply_patterns *pat = patterns();
		guchar first = lower((guchar) *s);

		if ((gsize) (label_end - s) > pat->label_max || !((pat->label_firsts[first / 64] >> (first % 64)) & 1))
			return 0;
		/* casefolding ASCII is lowering it */
		for (p = s; p < label_end; p++)
			lowered[p - s] = (char) lower((guchar) *p);
		lowered[label_end - s] = '\0';
		return GPOINTER_TO_UINT(g_hash_table_lookup(pat->labels, lowered));
	}
	folded = g_utf8_casefold(s, label_end - s);
	kind = g_hash_table_lookup(patterns()->labels, folded);
	g_free(folded);
	return GPOINTER_TO_UINT(kind);
}

/* Whether the header block starting at line i is one: at least three labels
 * of two kinds including From or Date, or From plus one more right below a
 * rule line. Wrapped values may take one extra line, and blank lines may
 * separate labels (Outlook in some configurations double-spaces them). */
static gboolean
header_block_at(const rtext *t, guint i)
{
	guint count = 0, kinds = 0, gap = 0;

	for (guint j = i; j < t->n && gap <= 1; j++) {
		const rline *l = &t->l[j];
		guint k = l->kind == LK_TEXT ? header_label(l) : 0;

		if (k != 0) {
			count++;
			kinds |= k;
			gap = 0;
		} else if (l->kind == LK_TEXT || l->kind == LK_BLANK) {
			gap++;
		} else {
			break;
		}
	}
	if ((kinds & (HK_FROM | HK_DATE)) == 0)
		return FALSE;
	if (count >= 3 && (kinds & (kinds - 1)) != 0)
		return TRUE;
	return count == 2 && (kinds & HK_FROM) && (kinds & (HK_DATE | HK_SUBJECT | HK_TO)) &&
	       i > 0 && is_rule(&t->l[i - 1]);
}

/* Mark header blocks and "-----Original Message-----" lines as hard
 * history, taking the rules and blank lines just above them along. */
static void
mark_hard(rtext *t)
{
	for (guint i = 0; i < t->n; i++) {
		rline *l = &t->l[i];
		gboolean hard = FALSE;

		if (l->kind != LK_TEXT)
			continue;
		if (l->len <= PD_REPLY_MARKER_MAX)
			hard = l->dashes && rx_run(RX_ORIGINAL, l->ts, l->tlen);
		if (!hard && header_label(l) != 0)
			hard = header_block_at(t, i);
		if (!hard)
			continue;
		l->kind = LK_HARD;
		for (guint j = i; j > 0 && (t->l[j - 1].kind == LK_BLANK ||
		                            (t->l[j - 1].kind == LK_TEXT && is_rule(&t->l[j - 1]))); j--)
			t->l[j - 1].kind = LK_HARD;
		/* The rest is history; nothing below needs marking. */
		return;
	}
}

/* ---- attributions ("On ... wrote:") -------------------------------------- */

typedef enum {
	ATTR_NONE,
	ATTR_WEAK,    /* an attribution only when a "> " block follows */
	ATTR_STRONG,  /* an attribution even above unmarked text */
} attr_strength;

/* Whether the word before position end is "I" or "we". */
static gboolean
first_person_before(const char *s, gint end)
{
	static const char *const words[] = { "i", "we" };

	while (end > 0 && s[end - 1] == ' ')
		end--;
	for (gsize i = 0; i < G_N_ELEMENTS(words); i++) {
		gint n = (gint) strlen(words[i]);

		if (end >= n && g_ascii_strncasecmp(s + end - n, words[i], (gsize) n) == 0 &&
		    (end == n || s[end - n - 1] == ' ' || s[end - n - 1] == ','))
			return TRUE;
	}
	return FALSE;
}

/* Once the prefilter of id passed: whether the verb match at group 1 has someone before it ("wrote:" alone
 * does not), and someone else than the writer ("On May 3, 2024 I wrote:"
 * introduces the writer's own words, not history). */
static gboolean
verb_has_subject(rx_id id, const char *s, gsize len)
{
	GMatchInfo *mi;
	gint start = 0;
	gboolean found = FALSE;

	if (g_regex_match_full(patterns()->rx[id], s, (gssize) len, 0, 0, &mi, NULL))
		g_match_info_fetch_pos(mi, 1, &start, NULL);
	g_match_info_free(mi);
	for (gint i = 0; i < start && !found; i++)
		found = g_ascii_isalnum(s[i]) || (guchar) s[i] >= 0x80 || s[i] == '@';
	return found && !first_person_before(s, start);
}

static gboolean
ends_with_colon_len(const char *s, gsize len)
{
	return (len > 0 && s[len - 1] == ':') || (len >= 3 && memcmp(s + len - 3, "：", 3) == 0);
}

/* The prefilters of RX_VERB and RX_VERB_CJK on a span that grows upward
 * (see litset_may_contain_grown()). */
typedef struct {
	litscan verb, verb_cjk;
} verb_scans;

/* How surely one candidate (its lines joined by spaces, len bytes at s) is
 * an attribution. scans: where the verb prefilters are kept for a span that
 * grows, or NULL. */
static attr_strength
attribution_strength(const char *s, gsize len, verb_scans *scans)
{
	const litset *ls = patterns()->lits;

	if (rx_match(RX_GMAIL_DATE, s, len) || rx_match(RX_ZOHO, s, len))
		return ATTR_STRONG;
	if (!ends_with_colon_len(s, len))
		return ATTR_NONE;
	if (((scans != NULL ? litset_may_contain_grown(&ls[LS_VERB], s, len, VERB_WORDS_ONLY, &scans->verb)
	                    : rx_may_match(RX_VERB, s, len)) &&
	     verb_has_subject(RX_VERB, s, len)) ||
	    ((scans != NULL ? litset_may_contain_grown(&ls[LS_VERB_CJK], s, len, FALSE, &scans->verb_cjk)
	                    : rx_may_match(RX_VERB_CJK, s, len)) &&
	     verb_has_subject(RX_VERB_CJK, s, len)))
		return rx_match(RX_EVIDENCE, s, len) ? ATTR_STRONG : ATTR_WEAK;
	/* "26.06.2014, 14:41, "Alexander L" <abc@example.com>:" (Yandex, Mail.ru) */
	return memchr(s, '@', len) != NULL ? ATTR_WEAK : ATTR_NONE;
}

/* Room for a span of candidate lines joined by spaces. */
typedef char span_buf[PD_REPLY_ATTR_LINES * (PD_REPLY_MARKER_MAX + 1)];

/* Lines first..last (at most PD_REPLY_ATTR_LINES) trimmed and joined by
 * single spaces into buf; the length, or -1 when one is too long. */
static gssize
join_span(const rtext *t, guint first, guint last, span_buf buf)
{
	gsize n = 0;

	for (guint i = first; i <= last; i++) {
		const rline *l = &t->l[i];

		if (l->tlen > PD_REPLY_MARKER_MAX)
			return -1;
		if (n > 0)
			buf[n++] = ' ';
		memcpy(buf + n, l->ts, l->tlen);
		n += l->tlen;
	}
	return (gssize) n;
}

static gboolean
is_candidate_line(const rline *l)
{
	return l->kind == LK_TEXT && !is_blank(l) && l->len <= PD_REPLY_MARKER_MAX;
}

/* The smallest attribution span ending at line last, its first line in *first_r. */
static attr_strength
attribution_ending_at(const rtext *t, guint last, guint *first_r)
{
	span_buf buf;
	verb_scans scans = { { 0 } };

	for (guint n = 1; n <= PD_REPLY_ATTR_LINES && n <= last + 1; n++) {
		guint first = last + 1 - n;
		gssize len;
		attr_strength a;

		if (!is_candidate_line(&t->l[first]))
			break;
		len = join_span(t, first, last, buf);
		if (len < 0)
			break;  /* a line too long, in every longer span too */
		a = attribution_strength(buf, (gsize) len, &scans);
		if (a != ATTR_NONE) {
			*first_r = first;
			return a;
		}
	}
	return ATTR_NONE;
}

/* A wrapped attribution whose verb line was found: take the lines above that
 * begin the way attributions begin ("On Dec 16, 2011, at 12:47 PM, Corey"). */
static guint
extend_up(const rtext *t, guint first, guint last)
{
	while (first > 0 && last - first + 1 < PD_REPLY_ATTR_LINES && is_candidate_line(&t->l[first - 1])) {
		const rline *l = &t->l[first - 1];

		/* a candidate line is not blank and not too long */
		if (strchr(".!?", l->ts[l->tlen - 1]) != NULL || !rx_match(RX_OPENER, l->ts, l->tlen))
			break;
		first--;
	}
	return first;
}

/* The next line after i that is not blank, or t->n. */
static guint
next_nonblank(const rtext *t, guint i)
{
	for (i++; i < t->n; i++)
		if (t->l[i].kind != LK_BLANK)
			return i;
	return t->n;
}

static gboolean
quote_follows(const rtext *t, guint last)
{
	guint j = next_nonblank(t, last);

	return j < t->n && t->l[j].kind == LK_QUOTE;
}

/* A Gmail "2016-10-24 15:36 GMT+02:00 Foo bar <" line may wrap: its span ends
 * at the first line ending in a colon, within PD_REPLY_ATTR_LINES. */
static guint
gmail_span_end(const rtext *t, guint first)
{
	for (guint j = first; j < t->n && j < first + PD_REPLY_ATTR_LINES; j++) {
		const char *s;
		gsize len;

		if (!is_candidate_line(&t->l[j]))
			break;
		s = t->l[j].ts;
		len = t->l[j].tlen;
		if (len > 0 && (s[len - 1] == ':' || (len >= 3 && memcmp(s + len - 3, "：", 3) == 0)))
			return j;
	}
	return first;
}

static void
set_attr(rtext *t, guint first, guint last)
{
	for (guint j = first; j <= last; j++)
		t->l[j].kind = LK_ATTR;
	t->l[first].attr_first = TRUE;
	t->l[first].attr_last = last;
}

/* The attribution that line i ends or begins, if any; returns the last line it covers. */
static guint
mark_attribution_at(rtext *t, guint i)
{
	const char *s;
	gsize len;
	gboolean gmail;
	guint first = i, last = i;
	attr_strength a = ATTR_NONE;

	/* A candidate line is never longer than PD_REPLY_MARKER_MAX. */
	s = t->l[i].ts;
	len = t->l[i].tlen;
	gmail = rx_match(RX_GMAIL_DATE, s, len);
	if (gmail) {
		last = gmail_span_end(t, i);
		a = ATTR_STRONG;
	} else if (ends_with_colon_len(s, len) || rx_match(RX_ZOHO, s, len)) {
		a = attribution_ending_at(t, i, &first);
	}
	/* A weak one is only believed above a "> " block. */
	if (a == ATTR_NONE || (a == ATTR_WEAK && !quote_follows(t, last)))
		return i;
	if (!gmail)
		first = extend_up(t, first, last);
	set_attr(t, first, last);
	return last;
}

static void
mark_attributions(rtext *t)
{
	for (guint i = 0; i < t->n; i++)
		if (is_candidate_line(&t->l[i]))
			i = mark_attribution_at(t, i);
}

/* Whether a quoted block begins with an attribution or a header of its own
 * ("> On ... wrote:", "> From: ...") so that it is history, not a citation. */
static gboolean
quote_is_attributed(const rtext *t, guint q)
{
	const char *first = NULL, *s;
	gsize first_len = 0, len;
	gboolean yes;
	guint j;

	for (j = q; j < t->n && t->l[j].kind == LK_QUOTE && first == NULL; j++)
		if (quote_text(&t->l[j], &s, &len) && len > 0) {
			first = s;
			first_len = len;
		}
	if (first == NULL)
		return FALSE;
	yes = attribution_strength(first, first_len, NULL) != ATTR_NONE ||
	      header_label(&(rline) { .s = first, .len = first_len }) != 0;
	if (!yes && j < t->n && t->l[j].kind == LK_QUOTE && quote_text(&t->l[j], &s, &len)) {
		span_buf both;

		/* both parts are at most PD_REPLY_MARKER_MAX bytes */
		memcpy(both, first, first_len);
		both[first_len] = ' ';
		memcpy(both + first_len + 1, s, len);
		yes = attribution_strength(both, first_len + 1 + len, NULL) != ATTR_NONE;
	}
	return yes;
}

/* ---- kinds ---------------------------------------------------------------- */

static gboolean
is_forward_text(const char *s, gsize len)
{
	return rx_match(RX_FORWARD, s, len) || rx_match(RX_FORWARD_INTRO, s, len);
}

/* The same for a line of text, with its "--" noted for mark_hard(). */
static gboolean
is_forward_line(rline *l)
{
	l->dashes = rx_may_match(RX_FORWARD, l->ts, l->tlen);
	return (l->dashes && rx_run(RX_FORWARD, l->ts, l->tlen)) || rx_match(RX_FORWARD_INTRO, l->ts, l->tlen);
}

/* Whether a line, behind "> " or not, is a forward separator. */
static gboolean
is_forward_quote(const rline *l)
{
	const char *s;
	gsize len;

	return quote_text(l, &s, &len) && is_forward_text(s, len);
}

/* A client that re-wraps quoted text without adding "> " leaves a lowercase
 * tail between two quoted lines: it is part of the quote, not an answer. */
static gboolean
is_wrapped_tail(const rtext *t, guint i)
{
	const rline *l = &t->l[i];
	gunichar c;

	if (i == 0 || i + 1 >= t->n || t->l[i - 1].kind != LK_QUOTE || t->l[i + 1].kind != LK_QUOTE)
		return FALSE;
	if (t->l[i - 1].len < PD_REPLY_WRAP_WIDTH || l->len == 0)
		return FALSE;
	c = g_utf8_get_char_validated(l->s, (gssize) l->len);
	return c != (gunichar) -1 && c != (gunichar) -2 && g_unichar_islower(c);
}

static void
classify(rtext *t)
{
	for (guint i = 0; i < t->n; i++) {
		rline *l = &t->l[i];

		l->owner = OWN_NEW;
		l->kind = is_blank(l) ? LK_BLANK : is_quote(l) ? LK_QUOTE : LK_TEXT;
		if (l->kind == LK_TEXT && l->len <= PD_REPLY_MARKER_MAX && is_forward_line(l))
			l->kind = LK_FWD;
	}
	for (guint i = 1; i + 1 < t->n; i++)
		if (t->l[i].kind == LK_TEXT && is_wrapped_tail(t, i))
			t->l[i].kind = LK_QUOTE;
	mark_attributions(t);
	mark_hard(t);
}

/* ---- pass 1: history that is not "> " quoted ------------------------------- */

/* A quoted block that is a forward (Apple Mail quotes "Begin forwarded message:"). */
static gboolean
quote_is_forward(const rtext *t, guint i)
{
	if (i > 0) {
		guint j = i;

		while (j > 0 && t->l[j - 1].kind == LK_BLANK)
			j--;
		if (j > 0 && (t->l[j - 1].kind == LK_QUOTE || t->l[j - 1].kind == LK_ATTR))
			return FALSE;  /* inside a block, or the quote of a reply to a forward */
	}
	return is_forward_quote(&t->l[i]);
}

static void
own_from(rtext *t, guint i, line_owner owner)
{
	for (; i < t->n; i++)
		t->l[i].owner = owner;
}

/* From line i on, everything is the sender's: a forward is content the
 * ticket has not seen, so its quotes and headers are kept as they are. */
static void
keep_from(rtext *t, guint i)
{
	for (; i < t->n; i++)
		if (t->l[i].kind != LK_BLANK)
			t->l[i].kind = LK_TEXT;
}

/* Returns where signatures may end (the history or forward start, or n). */
static guint
own_history(rtext *t)
{
	gboolean text_seen = FALSE;

	for (guint i = 0; i < t->n; i++) {
		rline *l = &t->l[i];

		if (l->owner != OWN_NEW)
			continue;
		if (l->kind == LK_TEXT) {
			text_seen = TRUE;
		} else if (l->kind == LK_FWD || (l->kind == LK_QUOTE && quote_is_forward(t, i)) ||
		           (l->kind == LK_HARD && !text_seen)) {
			keep_from(t, i);
			return i;
		} else if (l->kind == LK_HARD ||
		           (l->kind == LK_ATTR && l->attr_first && !quote_follows(t, l->attr_last))) {
			if (text_seen) {
				own_from(t, i, OWN_QUOTED);
				return i;
			}
			/* An attribution above unquoted text at the very top: only the
			 * attribution line itself is history. */
			for (guint j = i; j <= l->attr_last; j++)
				t->l[j].owner = OWN_QUOTED;
			i = l->attr_last;
		}
	}
	return t->n;
}

/* ---- pass 2: signature ---------------------------------------------------- */

typedef enum {
	SIG_NONE,
	SIG_DELIM,    /* "-- " */
	SIG_BARE,     /* "--" */
	SIG_FOOTER,   /* "Sent from my iPhone" and kin */
	SIG_WEAK,     /* "Sent via X" */
	SIG_LIST,     /* a mailing-list footer under a rule of underscores */
	SIG_NAME,     /* "-Abhishek Kona" as the last line */
} sig_kind;

/* A footer line as footer_text() gives it: at most PD_REPLY_FOOTER_MAX bytes. */
typedef char footer_buf[PD_REPLY_FOOTER_MAX + 1];

/* The len bytes at s without brackets and doubled spaces, and without "(< "
 * in front and "(<) >" behind, into out (at least len + 1 bytes). */
static gsize
footer_clean(const char *s, gsize len, char *out)
{
	gsize n = 0, start = 0;

	for (gsize i = 0; i < len; i++) {
		char c = s[i];

		if (c == '[' || c == ']' || (c == ' ' && (n == 0 || out[n - 1] == ' ')))
			continue;
		out[n++] = c;
	}
	while (n > 0 && strchr("(<) >", out[n - 1]) != NULL)
		n--;
	while (start < n && strchr("(< ", out[start]) != NULL)
		start++;
	memmove(out, out + start, n - start);
	out[n - start] = '\0';
	return n - start;
}

/* The footer line (not longer than PD_REPLY_FOOTER_MAX) with links and
 * brackets removed: "Get [Outlook for Android](https://aka.ms/x)" -> "Get
 * Outlook for Android". url: whether it may have a link (RX_URL's
 * prefilter). Its length, or -1 when the links cannot be removed. */
static gssize
footer_text(const rline *l, gboolean url, footer_buf out)
{
	char *clean;
	gsize len;

	if (!url)
		return (gssize) footer_clean(l->ts, l->tlen, out);
	clean = g_regex_replace_literal(patterns()->rx[RX_URL], l->ts, (gssize) l->tlen, 0, "", 0, NULL);
	if (clean == NULL)
		return -1;
	len = footer_clean(clean, strlen(clean), out);
	g_free(clean);
	return (gssize) len;
}

static gboolean
is_list_footer(const rtext *t, guint i)
{
	const char *s = t->l[i].ts;
	gsize len = t->l[i].tlen;

	/* the line ends before the bytes after it, which are no '_' */
	if (len < 10 || s[0] != '_' || strspn(s, "_") != len)
		return FALSE;
	for (guint j = i + 1, seen = 0; j < t->n && seen < 2; j++) {
		if (t->l[j].kind == LK_BLANK)
			continue;
		seen++;
		if (t->l[j].len < 200 && g_strstr_len(t->l[j].s, t->l[j].len, "mailing list") != NULL)
			return TRUE;
	}
	return FALSE;
}

/* Whether the line may have a link (RX_URL's prefilter), found once: *url
 * is -1 until then. */
static gboolean
line_may_link(const rline *l, gint *url)
{
	if (*url < 0)
		*url = rx_may_match(RX_URL, l->ts, l->tlen);
	return *url;
}

/* How many characters of a footer text footer_ruled_out() looks at. */
#define PD_REPLY_FOOTER_HEAD 4

/* The start of what footer_clean() makes of the len bytes at s, before it
 * strips the end: its first PD_REPLY_FOOTER_HEAD characters (n bytes) in
 * buf, whether more follow, and where in s the last of them ends. */
typedef struct {
	char buf[4 * PD_REPLY_FOOTER_HEAD];
	gsize n, end;
	gboolean more;
} footer_head;

static void
footer_head_of(const char *s, gsize len, footer_head *h)
{
	guint chars = 0;
	char last = '\0';  /* the last byte kept; NUL while none is */

	h->n = h->end = 0;
	h->more = FALSE;
	for (gsize i = 0; i < len; i++) {
		char c = s[i];
		gsize w;

		if (c == '[' || c == ']' || (c == ' ' && (last == '\0' || last == ' ')))
			continue;
		last = c;
		if (h->n == 0 && (c == '(' || c == '<' || c == ' '))
			continue;
		if (chars == PD_REPLY_FOOTER_HEAD) {
			h->more = TRUE;
			return;
		}
		/* the bytes inside a character are kept with it */
		w = MIN(pd_utf8_width((guchar) c), len - i);
		memcpy(h->buf + h->n, s + i, w);
		h->n += w;
		h->end = i + w;
		i += w - 1;
		chars++;
	}
}

/* A line whose footer text cannot pass the prefilter of a footer pattern,
 * found without making the footer text. The footer text begins the way
 * footer_head_of() says unless removing a link changes that, which takes a
 * link that begins inside the head: with '<', '(' or "http". It cannot
 * begin a footer_strong or footer_weak alternative, or "-Name", if that
 * head cannot. It is the line less some whole characters, so it ends a
 * footer_strong alternative that lacks a lead only if the line is not ASCII
 * and has what litset_may_hold() looks for. */
static gboolean
footer_ruled_out(const rline *l, gint *url)
{
	const litset *ls = patterns()->lits;
	const char *s = l->ts;
	gsize len = l->tlen;
	footer_head h;

	footer_head_of(s, len, &h);
	for (gsize i = 0; i < (h.more ? h.end : len); i++)
		if (s[i] == '<' || s[i] == '(' || (lower((guchar) s[i]) == 'h' && may_start_with(s + i, len - i, "http"))) {
			if (line_may_link(l, url))
				return FALSE;
			break;
		}
	if (h.n > 0 && (h.buf[0] == '-' || litset_may_lead(&ls[LS_STRONG_LEAD], h.buf, h.n, h.more) ||
	                litset_may_lead(&ls[LS_WEAK_LEAD], h.buf, h.n, h.more)))
		return FALSE;
	return pd_text_is_ascii(s, len) || !litset_may_hold(&ls[LS_STRONG_TAIL], s, len);
}

static sig_kind
signature_kind(const rtext *t, guint i)
{
	const rline *l = &t->l[i];
	footer_buf s;
	gssize n;
	gint url = -1;
	sig_kind k = SIG_NONE;

	if (l->len == 3 && memcmp(l->s, "-- ", 3) == 0)
		return SIG_DELIM;
	if (l->len == 2 && memcmp(l->s, "--", 2) == 0)
		return SIG_BARE;
	if (is_list_footer(t, i))
		return SIG_LIST;
	if (l->tlen > PD_REPLY_FOOTER_MAX)
		return SIG_NONE;
	if (footer_ruled_out(l, &url))
		return SIG_NONE;
	n = footer_text(l, line_may_link(l, &url), s);
	if (n < 0)
		return SIG_NONE;
	if (rx_match(RX_FOOTER_STRONG, s, (gsize) n))
		k = SIG_FOOTER;
	else if (rx_match(RX_FOOTER_WEAK, s, (gsize) n))
		k = SIG_WEAK;
	else if (rx_match(RX_DASH_NAME, s, (gsize) n))
		k = SIG_NAME;
	return k;
}

/* Whether at most limit non-blank lines follow line i before a quote or end. */
static gboolean
short_tail(const rtext *t, guint i, guint end, guint limit)
{
	guint n = 0;

	for (guint j = i + 1; j < end && n <= limit; j++) {
		if (t->l[j].kind != LK_TEXT && t->l[j].kind != LK_BLANK)
			break;
		n += t->l[j].kind == LK_TEXT;
	}
	return n <= limit;
}

/* Whether the signature start at i really is one, given what follows it. */
static gboolean
signature_holds(const rtext *t, guint i, guint end, sig_kind k)
{
	guint next;

	switch (k) {
	case SIG_BARE:
		return short_tail(t, i, end, PD_REPLY_BARE_DASH_LINES);
	case SIG_WEAK:
		return short_tail(t, i, end, PD_REPLY_WEAK_FOOTER_TAIL);
	case SIG_NAME:
		next = next_nonblank(t, i);
		return next >= end || t->l[next].kind != LK_TEXT || signature_kind(t, next) != SIG_NONE;
	case SIG_NONE:
		return FALSE;
	default:
		return TRUE;
	}
}

/* The first signature after some new text, up to the next quote or attribution. */
static void
own_signature(rtext *t, guint end)
{
	gboolean text_seen = FALSE;

	for (guint i = 0; i < end; i++) {
		sig_kind k;

		if (t->l[i].owner != OWN_NEW || t->l[i].kind != LK_TEXT)
			continue;
		k = text_seen ? signature_kind(t, i) : SIG_NONE;
		if (k != SIG_NONE && signature_holds(t, i, end, k)) {
			for (guint j = i; j < end && (t->l[j].kind == LK_TEXT || t->l[j].kind == LK_BLANK); j++)
				t->l[j].owner = OWN_SIG;
			return;
		}
		text_seen = TRUE;
	}
}

/* ---- pass 3: "> " quotes ---------------------------------------------------- */

static gboolean
is_new_text(const rline *l)
{
	return l->owner == OWN_NEW && l->kind == LK_TEXT;
}

/* Whether the quotes before line stop carry an attribution. */
static gboolean
leading_quote_attributed(const rtext *t, guint stop)
{
	for (guint i = 0; i < stop; i++) {
		if (t->l[i].owner != OWN_NEW)
			continue;
		if (t->l[i].kind == LK_ATTR)
			return TRUE;
		if (t->l[i].kind == LK_QUOTE)
			return quote_is_attributed(t, i);
	}
	return FALSE;
}

static void
own_range(rtext *t, guint from, guint to, line_owner owner)
{
	for (guint i = from; i < to; i++)
		if (t->l[i].owner == OWN_NEW)
			t->l[i].owner = owner;
}

/* "The log says:" and an unattributed "> " block right under it: the
 * writer's own citation, not history. Returns the citation's last line, or
 * last when there is none. */
static guint
citation_end(const rtext *t, guint last, guint end)
{
	const rline *l = &t->l[last];
	gboolean intro = l->tlen <= PD_REPLY_MARKER_MAX && ends_with_colon_len(l->ts, l->tlen);
	guint j = next_nonblank(t, last);

	if (!intro || j >= end || t->l[j].kind != LK_QUOTE || t->l[j].owner != OWN_NEW || quote_is_attributed(t, j))
		return last;
	while (j < end && t->l[j].owner == OWN_NEW && (t->l[j].kind == LK_QUOTE || t->l[j].kind == LK_BLANK))
		j++;
	return j - 1;
}

/* "> " blocks after the last new line are history; so is an attributed
 * quote above the only block of new text (bottom posting). Quotes between
 * new blocks stay: an interleaved answer needs its question. */
static void
own_quotes(rtext *t, guint end)
{
	gint first = -1, last = -1;
	gboolean between = FALSE;

	for (guint i = 0; i < end; i++)
		if (is_new_text(&t->l[i])) {
			if (first < 0)
				first = (gint) i;
			last = (gint) i;
		}
	if (last < 0) {
		/* Nothing but quotes: history if attributed, else a citation kept whole. */
		if (leading_quote_attributed(t, end))
			own_range(t, 0, end, OWN_QUOTED);
		return;
	}
	own_range(t, citation_end(t, (guint) last, end) + 1, end, OWN_QUOTED);
	for (gint i = first + 1; i < last && !between; i++)
		between = t->l[i].owner == OWN_NEW && t->l[i].kind == LK_QUOTE;
	if (!between && leading_quote_attributed(t, (guint) first))
		own_range(t, 0, (guint) first, OWN_QUOTED);
}

/* ---- output ---------------------------------------------------------------- */

/* The lines of one owner, in order, without blank lines at either end; NULL if none. */
static char *
join_owned(const rtext *t, line_owner owner)
{
	gint first = -1, last = -1;
	gsize size = 0, n = 0;
	char *s;

	for (guint i = 0; i < t->n; i++)
		if (t->l[i].owner == owner && t->l[i].kind != LK_BLANK && !is_blank(&t->l[i])) {
			if (first < 0)
				first = (gint) i;
			last = (gint) i;
		}
	if (first < 0)
		return NULL;
	for (gint i = first; i <= last; i++)
		if (t->l[i].owner == owner)
			size += t->l[i].len + 1;
	/* The first line is not blank, so every line after it takes an LF. */
	s = g_malloc(size);
	for (gint i = first; i <= last; i++)
		if (t->l[i].owner == owner) {
			if (n > 0)
				s[n++] = '\n';
			memcpy(s + n, t->l[i].s, t->l[i].len);
			n += t->l[i].len;
		}
	while (n > 0 && g_ascii_isspace(s[n - 1]))
		n--;
	s[n] = '\0';
	return s;
}

void
pd_reply_split(const char *text, char **new_r, char **quoted_r, char **signature_r)
{
	char *valid;

	if (text == NULL)
		text = "";
	/* Garbage bytes would make casefolding read past a line: repair first. */
	if (pd_utf8_valid(text, strlen(text))) {
		pd_reply_split_valid(text, new_r, quoted_r, signature_r);
		return;
	}
	valid = g_utf8_make_valid(text, -1);
	pd_reply_split_valid(valid, new_r, quoted_r, signature_r);
	g_free(valid);
}

void
pd_reply_split_valid(const char *text, char **new_r, char **quoted_r, char **signature_r)
{
	rtext t = { 0 };
	gsize size = strlen(text);
	guint sig_end;

	split_lines(&t, text, size);
	classify(&t);
	sig_end = own_history(&t);
	own_signature(&t, sig_end);
	own_quotes(&t, t.n);
	if (new_r != NULL) {
		*new_r = join_owned(&t, OWN_NEW);
		if (*new_r == NULL)
			*new_r = g_strdup("");
	}
	if (quoted_r != NULL)
		*quoted_r = join_owned(&t, OWN_QUOTED);
	if (signature_r != NULL)
		*signature_r = join_owned(&t, OWN_SIG);
	g_free(t.l);
}

gboolean
pd_reply_is_forward(const char *text)
{
	const char *p = text;
	gboolean fwd = FALSE;

	while (p != NULL && *p != '\0') {
		const char *nl = strchr(p, '\n');
		rline l;

		rline_set(&l, p, nl != NULL ? (gsize) (nl - p) : strlen(p));
		if (!is_blank(&l)) {
			fwd = is_forward_quote(&l);
			break;
		}
		p = nl != NULL ? nl + 1 : NULL;
	}
	return fwd;
}

gboolean
pd_reply_is_header_block(const char *text)
{
	rtext t = { 0 };
	guint first;
	gboolean yes = FALSE;

	if (text == NULL || !g_utf8_validate(text, -1, NULL))
		return FALSE;
	split_lines(&t, text, strlen(text));
	for (guint i = 0; i < t.n; i++) {
		t.l[i].owner = OWN_NEW;
		t.l[i].kind = is_blank(&t.l[i]) ? LK_BLANK : LK_TEXT;
	}
	for (first = 0; first < t.n && t.l[first].kind == LK_BLANK; first++)
		;
	yes = first < t.n && header_label(&t.l[first]) != 0 && header_block_at(&t, first);
	g_free(t.l);
	return yes;
}
