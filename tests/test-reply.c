/* test-reply.c: table-driven GTest cases for src/parse/reply.c, the plain-text reply splitter. */
#include "parse/reply.h"

#include <string.h>

/*
 * Each case is a mail body and what pd_reply_split must make of it:
 * the exact new text, how the quoted part begins (NULL: there must be none)
 * and the exact signature (NULL: none). QUOTED_ANY accepts any quoted part.
 */
#define QUOTED_ANY "\001"

typedef struct {
	const char *name;
	const char *text;
	const char *new_text;
	const char *quoted;     /* prefix of the quoted part, NULL for none */
	const char *signature;  /* exact, NULL for none */
} reply_case;

#define Q "> Can you send the logs?\n>\n> Thanks, Bob\n"

/* ---- attributions, by language ---------------------------------------------- */

static const reply_case attribution_cases[] = {
	{ "en", "Here they are.\n\nOn Tue, Mar 1, 2011 at 6:02 PM, Bob <bob@example.com> wrote:\n" Q,
	  "Here they are.", "On Tue, Mar 1, 2011", NULL },
	{ "en-wrapped-2",
	  "Here they are.\n\nOn Tue, Sep 25, 2012 at 8:59 AM, Chris Wanstrath\n<notifications@github.com>wrote:\n\n" Q,
	  "Here they are.", "On Tue, Sep 25", NULL },
	{ "en-wrapped-3",
	  "Here they are.\n\nOn Dec 16, 2011, at 12:47 PM, Corey Donohoe\n<reply@reply.github.com>\nwrote:\n\n" Q,
	  "Here they are.", "On Dec 16, 2011", NULL },
	{ "en-no-quote-marks", "This is my reply.\n\nOn Nov 26, 2013 you wrote:\n\nThis is my quote.",
	  "This is my reply.", "On Nov 26, 2013 you wrote:", NULL },
	{ "en-name-first", "Yes.\n\nSome One <info@example.org> wrote:\n\nSomething embedded.",
	  "Yes.", "Some One <info@example.org> wrote:", NULL },
	{ "en-eudora", "Fine.\n\nAt 6/16/2016 08:32 PM, you wrote:\n>Are you able to log in?", "Fine.",
	  "At 6/16/2016", NULL },
	{ "en-zoho", "Regards\n\n---- On Tue, 22 Dec 2015 14:17:36 +0530 Sam <sam@example.org> wrote ----\n\nold text",
	  "Regards", "---- On Tue", NULL },
	{ "en-gmail-date-first", "Before\n\n2016-03-03 17:21 GMT+01:00 Some One\n\nAfter", "Before", "2016-03-03",
	  NULL },
	{ "en-gmail-date-first-wrapped", "Thanks!\n\n2016-10-24 15:36 GMT+02:00 Foo bar <\ninfo@foo.bar>:\n\n" Q,
	  "Thanks!", "2016-10-24", NULL },
	{ "de", "Hallo.\n\nAm 25.06.2015 um 10:55 schrieb Test user:\n" Q, "Hallo.", "Am 25.06.2015", NULL },
	{ "de-name-first-wrapped",
	  "Okay.\n\nErlend <meta@example.com> schrieb am Di., 16. Aug. 2016\num 12:52 Uhr:\n\n" Q,
	  "Okay.", "Erlend <meta@example.com> schrieb", NULL },
	{ "de-colon-wrapped", "Gut.\n\nAm 21.04.2016 17:48 schrieb \"Einz Zwei\" <noreply@example.com\n>:\n\n" Q,
	  "Gut.", "Am 21.04.2016", NULL },
	{ "fr", "Merci.\n\nLe 19 mars 2014 à 10:37, Cédric <c@example.fr> a écrit :\n" Q, "Merci.", "Le 19 mars",
	  NULL },
	{ "fr-nbsp", "Merci.\n\nLe 19/03/2014 11:34, Georges du chemin a écrit\u00a0:\n\nmessage",
	  "Merci.", "Le 19/03/2014", NULL },
	{ "fr-zimbra", "Michael\n\n- Le 2021-04-09 23:25, Toby a écrit :\n> [1]", "Michael", "- Le 2021", NULL },
	{ "fr-wrapped-3", "C'est super !\nLe 4 janv. 2016 19:03, \"Neil Lalonde\"\n<info@example.org>\na écrit :\n\n" Q,
	  "C'est super !", "Le 4 janv.", NULL },
	{ "es", "Gracias.\n\nEl 19/03/2014 11:34, Juan Pérez <juan@example.es> escribió:\n" Q, "Gracias.",
	  "El 19/03/2014", NULL },
	{ "es-no-address", "Vale.\n\nEl jueves, 21 de noviembre de 2013, codinghorror escribió:\n\n" Q, "Vale.",
	  "El jueves", NULL },
	{ "ca", "Gràcies.\n\nEl 19/03/2014 11:34, Joan <joan@example.cat> ha escrit:\n\nabc", "Gràcies.", "El 19/03",
	  NULL },
	{ "it", "Grazie.\n\nIl giorno 3 gen 2017, alle ore 10:35, Mario <m@example.it> ha scritto:\n" Q,
	  "Grazie.", "Il giorno", NULL },
	{ "it-wrapped", "Ok.\n\nIl giovedì, 8 dicembre 2016, Company <q@example.it>\nha scritto:\n> Ciao", "Ok.",
	  "Il giovedì", NULL },
	{ "nl", "Dank.\n\nOp 16 aug. 2014 05:13 schreef Jan <jan@example.nl>:\n\n" Q, "Dank.", "Op 16 aug.", NULL },
	{ "nl-het-volgende",
	  "Dank.\nOp 16 aug. 2014 05:13 schreef \"jan\" <jan@example.nl> het\nvolgende geschreven:\n\n" Q,
	  "Dank.", "Op 16 aug.", NULL },
	{ "pl", "Dzięki.\n\nW dniu 7 stycznia 2015 15:24 użytkownik Paweł <p@example.pl> napisał:\n" Q,
	  "Dzięki.", "W dniu 7", NULL },
	{ "pl-pisze", "Ok.\n\nW dniu 2015-01-07 14:23, p@example.pl pisze: \n\nstary tekst", "Ok.", "W dniu 2015",
	  NULL },
	{ "pl-napisal-a", "Hi Neil,\n\n23 mar 2017 21:25 \"Neil\" <meta@example.com> napisał(a):\n\n" Q, "Hi Neil,",
	  "23 mar", NULL },
	{ "pl-dnia", "MIT\n\nDnia 14 lip 2015 o godz. 00:25 Michael <info@example.org> napisał(a):\n\n" Q, "MIT",
	  "Dnia 14", NULL },
	{ "pt", "Olá,\n\nEm 2 de fevereiro de 2015 10:58, discourse <\ninfo@example.org> escreveu:\n\n" Q, "Olá,",
	  "Em 2 de", NULL },
	{ "ru", "Да.\n\n6 октября 2014 г., 12:00 пользователь Иван <ivan@example.ru> написал:\n" Q, "Да.",
	  "6 октября", NULL },
	{ "ru-pishet", "Да.\n\n06.10.2014 12:00, Иван пишет:\n" Q, "Да.", "06.10.2014", NULL },
	{ "ru-napisal-a", "Да.\n\nИван <ivan@example.ru> написал(а):\n" Q, "Да.", "Иван", NULL },
	{ "uk", "Дякую.\n\n30 серп. 2016 р. 20:45 \"Arpit\" <no-reply@example.com> пише:\n\n" Q, "Дякую.", "30 серп.",
	  NULL },
	{ "uk-napysav-la", "Дякую.\n\n30.08.2016 20:45, Олена <o@example.ua> написав(ла):\n" Q, "Дякую.",
	  "30.08.2016", NULL },
	{ "zh", "谢谢。\n\n在 2016年11月8日，下午2:23，Test user <test@example.com> 写道：\n" Q, "谢谢。", "在 2016",
	  NULL },
	{ "zh-quoted-header",
	  "Thank you.\n\n> 在 2016年12月12日，下午8:45，Erlend <meta@example.com> 写道：\n> question",
	  "Thank you.", "> 在 2016", NULL },
	{ "ja", "了解です。\n\n2016/11/08 14:26、Test user <test@example.com> のメッセージ:\n" Q, "了解です。",
	  "2016/11/08", NULL },
	{ "ja-san", "了解です。\n\n田中さんは書きました:\n" Q, "了解です。", "田中さんは", NULL },
	{ "ja-wrote", "了解です。\n\n2016年11月8日(火) 14:26 Test user <test@example.com>:\n" Q, "了解です。",
	  "2016年11月8日", NULL },
	{ "sv", "Tack.\n\nDen 8 nov. 2016 kl. 14:26 skrev Test <t@example.se>:\n" Q, "Tack.", "Den 8 nov.", NULL },
	{ "da", "Tak.\n\nDen 08/06/2015 kl. 21.21 skrev Test <test@example.com>:\n\nold", "Tak.", "Den 08/06", NULL },
	{ "no", "Takk.\n\ntir. 18. apr. 2017 kl. 13:09 skrev Test <test@example.com>:\n" Q, "Takk.", "tir. 18.", NULL },
	{ "cs", "Díky.\n\nDne 8. 11. 2016 14:26 napsal(a) Jan Novák <jan@example.cz>:\n" Q, "Díky.", "Dne 8.", NULL },
	{ "tr", "Teşekkürler.\n\n8 Kas 2016 14:26 tarihinde Test <t@example.tr> şunu yazdı:\n" Q, "Teşekkürler.",
	  "8 Kas", NULL },
	{ "ko", "감사합니다.\n\n2016. 11. 8. 오후 12:39 Test user <test@example.com> 작성:\n" Q, "감사합니다.",
	  "2016. 11. 8.", NULL },
	{ "hu", "Thank you!\n\n2013.02.08. 7:31 keltezéssel, \"Győrvári Eszter\" írta:\n" Q, "Thank you!",
	  "2013.02.08.", NULL },
	{ "fi", "Kiitos.\n\n8.11.2016 klo 14.26 Test <t@example.fi> kirjoitti:\n" Q, "Kiitos.", "8.11.2016", NULL },
	{ "yandex-no-verb",
	  "Hi. I am fine.\n\n26.06.2014, 14:41, \"Alexander L\" <abc@example.com>:\n> Hello! How are you?",
	  "Hi. I am fine.", "26.06.2014", NULL },
};

/* ---- Outlook and other header blocks --------------------------------------- */

static const reply_case outlook_cases[] = {
	{ "original-en", "Hello\n\n-----Original Message-----\nFrom: bob <bob@example.com>\nSubject: Test\n\nHi",
	  "Hello", "-----Original Message-----", NULL },
	{ "original-spaced", "Hello\n\n----- Original Message -----\nFrom: \"bob\" <bob@example.com>\n\nHi",
	  "Hello", "----- Original Message -----", NULL },
	{ "original-de", "Hallo\n\n-----Ursprüngliche Nachricht-----\nVon: x\n\nalt", "Hallo", "-----Urspr", NULL },
	{ "original-fr", "Salut\n\n-----Message d'origine-----\nDe : x\n\nvieux", "Salut", "-----Message d'origine",
	  NULL },
	{ "original-es", "Hola\n\n-----Mensaje original-----\nDe: x\n\nviejo", "Hola", "-----Mensaje original", NULL },
	{ "original-it", "Ciao\n\n-----Messaggio originale-----\nDa: x\n\nvecchio", "Ciao", "-----Messaggio", NULL },
	{ "original-nl", "Hoi\n\n-----Oorspronkelijk bericht-----\nVan: x\n\noud", "Hoi", "-----Oorspronkelijk", NULL },
	{ "original-ru", "Привет\n\n-----Исходное сообщение-----\nОт: x\n\nстарое", "Привет", "-----Исходное", NULL },
	{ "original-pl", "Cześć\n\n-----Wiadomość oryginalna-----\nOd: x\n\nstara", "Cześć", "-----Wiadomość", NULL },
	{ "original-pt", "Olá\n\n-----Mensagem original-----\nDe: x\n\nvelha", "Olá", "-----Mensagem original", NULL },
	{ "underscores-from",
	  "Outlook with a reply directly above line\n________________________________________\n"
	  "From: CRM <crm@example.com>\n"
	  "Sent: Friday, 23 March 2012 5:08 p.m.\nTo: John\nSubject: [contact:106] John\n\nA new comment.",
	  "Outlook with a reply directly above line", "________", NULL },
	{ "underscores-two-labels",
	  "Ok\n________________________________\nFrom: A <a@example.com>\nSent: Monday\n\nold",
	  "Ok", "________", NULL },
	{ "bold-labels", "Reply\n\n ------------------------------\n\n*From:* Google [mailto:x@google.com]\n"
	  "*Sent:* Thursday, February 09, 2012 1:36 PM\n*To:* jow@example.com\n*Subject:* Updated!\n\nDear user,",
	  "Reply", " ----", NULL },
	{ "en", "Thanks\n\nFrom: Dan [mailto:dan@example.com]\nSent: Monday, November 26, 2012 10:48 AM\n"
	  "To: Watson, Dan\n"
	  "Subject: Re: New Issue\n\nA reply", "Thanks", "From: Dan", NULL },
	{ "en-wrapped-to", "Thanks\n\nFrom: Dan <dan@example.com>\nSent: Monday\nTo: a@example.com; b@example.com;\n"
	  "c@example.com\nCc: d@example.com\nSubject: Re: x\n\nold", "Thanks", "From: Dan", NULL },
	{ "de", "Danke\n\nVon: Max <max@example.de>\nGesendet: Montag, 5. Dezember 2016 17:00\nAn: x@example.de\n"
	  "Betreff: Frage\n\nalt", "Danke", "Von: Max", NULL },
	{ "fr", "Merci\n\nDe : Company <q@example.com>\nEnvoyé le :jeudi 15 décembre 2016 09:35\nÀ : x@example.fr\n"
	  "Objet :Question\n\nvieux", "Merci", "De : Company", NULL },
	{ "fr-indented-nbsp", "Merci\n\n      De : Someone <s@example.fr>\n À : mycompany <q@example.com>\n"
	  " Envoyé le : Mercredi 30 novembre 2016 10h30\n Objet\u00a0: Re: question\n\nvieux", "Merci", "      De :",
	  NULL },
	{ "fr-message-du", "Texte\n\n========================================\n\nMessage du : 12/12/2016 13:20\n"
	  "De : \"Company\" <q@example.com>\nA : m@example.fr\nCopie à : \nSujet : vitae\n\nvieux", "Texte", "=====",
	  NULL },
	{ "es", "Gracias\n\nDe: Miguel <m@example.es>\nEnviado: 16/02/2016 14:53\nPara: discourse <d@example.org>\n"
	  "Asunto: Parser\n\nviejo", "Gracias", "De: Miguel", NULL },
	{ "it", "Grazie\n\nDa: Company <q@example.com>\nInviato: martedì 3 gennaio 2017 10:35\nA: s@example.it\n"
	  "Oggetto: Domanda\n\nvecchio", "Grazie", "Da: Company", NULL },
	{ "nl", "Dank\n\nVan: Company [mailto:q@example.com]\nVerzonden: maandag 5 december 2016 17:00\n"
	  "Aan: s@example.nl\n"
	  "Onderwerp: Vraag\n\noud", "Dank", "Van: Company", NULL },
	{ "pl", "Dzięki\n\nOd: Firma <q@example.com>\nWysłano: poniedziałek, 5 grudnia 2016 17:00\nDo: s@example.pl\n"
	  "Temat: Pytanie\n\nstare", "Dzięki", "Od: Firma", NULL },
	{ "ru", "Спасибо\n\nОт: Компания <q@example.com>\nОтправлено: 5 декабря 2016 г. 17:00\nКому: s@example.ru\n"
	  "Тема: Вопрос\n\nстарое", "Спасибо", "От: Компания", NULL },
	{ "zh", "谢谢\n\n发件人: Company <q@example.com>\n发送时间: 2017年8月2日 15:37\n收件人: Sylvie\n主题: 问题\n"
	  "\n旧",
	  "谢谢", "发件人", NULL },
	{ "zh-fullwidth-colon",
	  "谢谢\n\n发件人：Company <q@example.com>\n发送时间：2017年8月2日 15:37\n收件人：Sylvie\n主题：问题\n\n旧",
	  "谢谢", "发件人", NULL },
	{ "ja", "了解\n\n差出人: Company <q@example.com>\n送信日時: 2017年8月2日 15:37\n宛先: 山田\n件名: 質問\n\n古い",
	  "了解", "差出人", NULL },
	{ "sv", "Hej\n\nFrån: Foo <noreply@foo.bar>\nSkickat: den 5 juni 2017 12:22\nTill: s@example.se\n"
	  "Ämne: Foton\n\ngammal",
	  "Hej", "Från", NULL },
	{ "after-mobile-footer",
	  "Great thanks.\nBraxton\n\nSent from Mail for Windows 10\n\nFrom: Bort\nSent: April 9, 2020 2:02 PM\n"
	  "To: b@example.com\nSubject: Re: Stuff\n\nold", "Great thanks.\nBraxton", "From: Bort",
	  "Sent from Mail for Windows 10" },
	{ "at-top-is-a-forward",
	  "From: A <a@example.com>\nSent: Monday\nTo: b@example.com\nSubject: Invoice\n\nPlease pay.",
	  "From: A <a@example.com>\nSent: Monday\nTo: b@example.com\nSubject: Invoice\n\nPlease pay.", NULL, NULL },
};

/* ---- "> " quotes and their placement ------------------------------------------ */

static const reply_case quote_cases[] = {
	{ "top-posting", "Sure.\n\n> Can we meet?\n> At 5?", "Sure.", "> Can we meet?", NULL },
	{ "bottom-posting", "On 04/02/2012 06:26 PM, Megan wrote:\n> Hi\nHello", "Hello", "On 04/02/2012", NULL },
	{ "bottom-posting-quoted-header", "> Subject: Test\n> From: bob@example.com\n>\n> Hi\n\nHello", "Hello",
	  "> Subject", NULL },
	{ "interleaved-keeps-context",
	  "On Tue, Apr 29, 2014 at 4:22 PM, Dev <dev@example.com> wrote:\n> Which version?\n\n2.3.1\n\n> Which OS?\n"
	  "\nLinux\n\n> --\n> Dev",
	  "On Tue, Apr 29, 2014 at 4:22 PM, Dev <dev@example.com> wrote:\n> Which version?\n\n2.3.1\n\n> Which OS?\n"
	  "\nLinux",
	  "> --", NULL },
	{ "interleaved-text-first",
	  "Hi,\nOn Tue, 2011-03-01 at 18:02 +0530, Bob wrote:\n> Question\n\nAnswer.\n\n> old\n> stuff",
	  "Hi,\nOn Tue, 2011-03-01 at 18:02 +0530, Bob wrote:\n> Question\n\nAnswer.", "> old", NULL },
	{ "citation-kept", "> This is a quote.\n\nAnd this is some text.",
	  "> This is a quote.\n\nAnd this is some text.", NULL, NULL },
	{ "quote-only-kept", "> Email with only quote.", "> Email with only quote.", NULL, NULL },
	{ "attributed-quote-only", "> On Thu, Apr 30, 2020 at 10:07 AM, \"x\" <x@example.com> wrote:\n>\n>> Hello",
	  "", "> On Thu", NULL },
	{ "attribution-alone-at-top",
	  "On 8 May 2017 17:34, \"Andy\" <andy@example.com> wrote:\n\n    nil && 2.0\n\nIt should be 2.0",
	  "    nil && 2.0\n\nIt should be 2.0", "On 8 May", NULL },
	{ "rewrapped-tail", "Top\n\nIl 8 dicembre 2016, X <x@example.it> ha scritto:\n"
	  "> Lorem ipsum dolor sit amet, consectetur adipiscing elit. Nullam pharetra d\nignissim odio?\n>\n> more",
	  "Top", "Il 8 dicembre", NULL },
	{ "nested",
	  "Ok\n\nOn Mon, Feb 1, 2016 at 6:32 PM, J <j@example.org> wrote:\n\n> Reply.\n>\n>> Older\n>>> Oldest",
	  "Ok", "On Mon, Feb 1", NULL },
	{ "crlf", "Email with\r\nwindows\r\nline\r\nendings\r\n\r\n> quoted\r\n",
	  "Email with\nwindows\nline\nendings", "> quoted", NULL },
};

/* ---- forwards ------------------------------------------------------------------ */

static const reply_case forward_cases[] = {
	{ "gmail-whole", "---------- Forwarded message ---------\nFrom: A <a@example.com>\nDate: Mon, 1 Jan 2019\n"
	  "Subject: Broken\nTo: b@example.com\n\nThe printer is broken.",
	  "---------- Forwarded message ---------\nFrom: A <a@example.com>\nDate: Mon, 1 Jan 2019\n"
	  "Subject: Broken\nTo: b@example.com\n\nThe printer is broken.", NULL, NULL },
	{ "gmail-with-comment",
	  "Please look at this.\n\n---------- Forwarded message ---------\nFrom: A <a@example.com>\n"
	  "Date: Mon, 1 Jan 2019\nSubject: Broken\n\nThe printer is broken.",
	  "Please look at this.\n\n---------- Forwarded message ---------\nFrom: A <a@example.com>\n"
	  "Date: Mon, 1 Jan 2019\nSubject: Broken\n\nThe printer is broken.", NULL, NULL },
	{ "apple", "FYI\n\nBegin forwarded message:\n\nFrom: A <a@example.com>\nSubject: x\nDate: 1 January 2019\n\n"
	  "body",
	  "FYI\n\nBegin forwarded message:\n\nFrom: A <a@example.com>\nSubject: x\nDate: 1 January 2019\n\nbody",
	  NULL, NULL },
	{ "apple-quoted", "FYI\n\n> Begin forwarded message:\n>\n> From: A <a@example.com>\n> Subject: x\n>\n> body",
	  "FYI\n\n> Begin forwarded message:\n>\n> From: A <a@example.com>\n> Subject: x\n>\n> body", NULL, NULL },
	{ "thunderbird",
	  "-------- Forwarded Message --------\nSubject: x\nDate: Mon, 1 Jan 2019\nFrom: a@example.com\n\nbody",
	  "-------- Forwarded Message --------\nSubject: x\nDate: Mon, 1 Jan 2019\nFrom: a@example.com\n\nbody", NULL,
	  NULL },
	{ "de", "---------- Weitergeleitete Nachricht ----------\nVon: a@example.com\n\nText",
	  "---------- Weitergeleitete Nachricht ----------\nVon: a@example.com\n\nText", NULL, NULL },
	{ "reply-to-a-forward", "Thanks!\n\nOn Mon, Jan 1, 2019 at 10:00 AM, A <a@example.com> wrote:\n"
	  "> ---------- Forwarded message ---------\n> From: B <b@example.com>\n>\n> body",
	  "Thanks!", "On Mon, Jan 1", NULL },
	{ "history-before-forward", "Done.\n\nOn Mon, Jan 1, 2019 at 10:00 AM, A <a@example.com> wrote:\n\nold\n\n"
	  "---------- Forwarded message ---------\nbody", "Done.", "On Mon, Jan 1", NULL },
};

/* ---- signatures ------------------------------------------------------------------ */

static const reply_case signature_cases[] = {
	{ "dash-dash-space", "this is an email with a correct -- signature.\n\n-- \nrick",
	  "this is an email with a correct -- signature.", NULL, "-- \nrick" },
	{ "dash-dash-short", "Text\n\n--\nRick\nCTO", "Text", NULL, "--\nRick\nCTO" },
	{ "before-quote", "Answer\n\n-- \nJoe\n\nOn Mon, Jan 1, 2019 at 10:00 AM, A <a@example.com> wrote:\n> q",
	  "Answer", "On Mon", "-- \nJoe" },
	{ "after-quote", "Answer\n\nOn Mon, Jan 1, 2019 at 10:00 AM, A <a@example.com> wrote:\n> q\n\n--\nJoe",
	  "Answer", "On Mon", "--\nJoe" },
	{ "list-footer", "Question?\n\n-Abhishek Kona\n\n\n_______________________________________________\n"
	  "riak-users mailing list\nriak-users@lists.example.com", "Question?", NULL,
	  "-Abhishek Kona\n\n\n_______________________________________________\nriak-users mailing list\n"
	  "riak-users@lists.example.com" },
	{ "en-iphone", "Here is another email\n\nSent from my iPhone", "Here is another email", NULL,
	  "Sent from my iPhone" },
	{ "en-ipad", "Ok\n\nSent from my iPad", "Ok", NULL, "Sent from my iPad" },
	{ "en-android", "Ok\n\nSent from my Android phone", "Ok", NULL, "Sent from my Android phone" },
	{ "en-blackberry-multi-word", "Ok\n\nSent from my Verizon Wireless BlackBerry", "Ok", NULL,
	  "Sent from my Verizon Wireless BlackBerry" },
	{ "en-samsung", "Ok\n\nSent from my Samsung Galaxy smartphone.", "Ok", NULL,
	  "Sent from my Samsung Galaxy smartphone." },
	{ "en-apology", "Ok\n\nSent from my cell, please excuse any typos.", "Ok", NULL,
	  "Sent from my cell, please excuse any typos." },
	{ "en-windows-mail", "Ok\n\nSent from Mail for Windows", "Ok", NULL, "Sent from Mail for Windows" },
	{ "en-outlook-ios", "Ok\n\nGet Outlook for iOS<https://aka.ms/o0ukef>", "Ok", NULL,
	  "Get Outlook for iOS<https://aka.ms/o0ukef>" },
	{ "en-outlook-android-md", "Ok\n\nGet [Outlook for Android](https://aka.ms/ghei36)", "Ok", NULL,
	  "Get [Outlook for Android](https://aka.ms/ghei36)" },
	{ "en-footer-then-unmarked-quote", "Text\n\nSent from my Wiko RIDGE FAB 4G\n\nOld text without quote marks.",
	  "Text", NULL, "Sent from my Wiko RIDGE FAB 4G\n\nOld text without quote marks." },
	{ "de", "Ok\n\nVon meinem iPhone gesendet", "Ok", NULL, "Von meinem iPhone gesendet" },
	{ "de-k9", "Ok\n\nDiese Nachricht wurde von meinem Android-Mobiltelefon mit K-9 Mail gesendet.", "Ok", NULL,
	  "Diese Nachricht wurde von meinem Android-Mobiltelefon mit K-9 Mail gesendet." },
	{ "fr", "Ok\n\nEnvoyé de mon iPhone", "Ok", NULL, "Envoyé de mon iPhone" },
	{ "fr-depuis", "Ok\n\nEnvoyé depuis mon iPad", "Ok", NULL, "Envoyé depuis mon iPad" },
	{ "es", "Ok\n\nEnviado desde mi iPhone", "Ok", NULL, "Enviado desde mi iPhone" },
	{ "it", "Ok\n\nInviato da iPhone", "Ok", NULL, "Inviato da iPhone" },
	{ "nl", "Ok\n\nVerzonden vanaf mijn iPhone", "Ok", NULL, "Verzonden vanaf mijn iPhone" },
	{ "ru", "Ок\n\nОтправлено с iPhone", "Ок", NULL, "Отправлено с iPhone" },
	{ "pl", "Ok\n\nWysłane z iPhone'a", "Ok", NULL, "Wysłane z iPhone'a" },
	{ "pt", "Ok\n\nEnviado do meu iPhone", "Ok", NULL, "Enviado do meu iPhone" },
	{ "zh", "好\n\n从我的iPhone发送", "好", NULL, "从我的iPhone发送" },
	{ "zh-tw", "好\n\n從我的 iPhone 傳送", "好", NULL, "從我的 iPhone 傳送" },
	{ "ja", "はい\n\niPhoneから送信", "はい", NULL, "iPhoneから送信" },
	{ "sv", "Ok\n\nSkickat från min iPhone", "Ok", NULL, "Skickat från min iPhone" },
	{ "da-no", "Thanx :-)\n\nSendt fra min iPad", "Thanx :-)", NULL, "Sendt fra min iPad" },
	{ "cs", "Ok\n\nOdesláno z iPhonu", "Ok", NULL, "Odesláno z iPhonu" },
	{ "tr", "Tamam\n\niPhone'umdan gönderildi", "Tamam", NULL, "iPhone'umdan gönderildi" },
	{ "ko", "네\n\niPhone에서 보냄", "네", NULL, "iPhone에서 보냄" },
	{ "weak-near-end", "Ok\n\n(sent from a phone)", "Ok", NULL, "(sent from a phone)" },
	{ "iphone-then-quote",
	  "Hello\n\nSent from my iPhone\n\nOn Apr 3, 2012, at 4:19 PM, bob <bob@example.com> wrote:\n\n> Hi",
	  "Hello", "On Apr 3", "Sent from my iPhone" },
};

/* ---- caseless matching beyond ASCII ------------------------------------------------ */

/* The patterns match caselessly in Unicode, and the cheap tests that keep most
 * lines away from them must not lose a match: the long s and the Kelvin sign
 * equal ASCII letters, and U+1C82 is another small Cyrillic o. */
static const reply_case caseless_cases[] = {
	{ "long-s", "Hello there\n\n\u017Fent from my iPhone", "Hello there", NULL, "\u017Fent from my iPhone" },
	{ "kelvin", "Thanks\n\nOn Mon, Bob <b@x.org> \u212AIRJOITTI:\n> q", "Thanks", "On Mon", NULL },
	{ "cyrillic-upper", "Hello there\n\nОТПРАВЛЕНО С IPHONE", "Hello there", NULL, "ОТПРАВЛЕНО С IPHONE" },
	{ "narrow-o", "Hello there\n\n\u1C82тправлено с iPhone", "Hello there", NULL, "\u1C82тправлено с iPhone" },
	{ "tail-footer-dot", "Tamam\n\niPhone'umdan GÖNDERILDI.", "Tamam", NULL, "iPhone'umdan GÖNDERILDI." },
};

/* ---- what must not be cut ------------------------------------------------------- */

static const reply_case false_positive_cases[] = {
	{ "on-in-prose", "On Monday we shipped the fix.\nOn Tuesday it broke again.\n\nOn Thursday:\nall good.",
	  "On Monday we shipped the fix.\nOn Tuesday it broke again.\n\nOn Thursday:\nall good.", NULL, NULL },
	{ "on-your-remote-host",
	  "On your remote host you can run:\n\n     telnet 127.0.0.1 52698\n\nIt should connect.",
	  "On your remote host you can run:\n\n     telnet 127.0.0.1 52698\n\nIt should connect.", NULL, NULL },
	{ "wrote-without-date-or-quote", "Here is what he wrote:\nThe server is down.",
	  "Here is what he wrote:\nThe server is down.", NULL, NULL },
	{ "from-in-a-paragraph", "I got a letter\nFrom: the bank\nasking for money.",
	  "I got a letter\nFrom: the bank\nasking for money.", NULL, NULL },
	{ "faq", "Q: Does it work?\nA: Yes.\nQ: Really?\nA: Yes.", "Q: Does it work?\nA: Yes.\nQ: Really?\nA: Yes.",
	  NULL, NULL },
	{ "greater-equal", "Check the count:\n>= 3 items is fine\n>:( otherwise",
	  "Check the count:\n>= 3 items is fine\n>:( otherwise",
	  NULL, NULL },
	{ "math-in-the-middle", "If a\n> b\nthen stop.", "If a\n> b\nthen stop.", NULL, NULL },
	{ "dashes-in-a-line", "And here is a fix -- this is not a signature.\n\nkthxbai",
	  "And here is a fix -- this is not a signature.\n\nkthxbai", NULL, NULL },
	{ "dash-lists", "Prizes:\n\n-- FOUR gift certificates\n-- EIGHT gift certificates\n\nThanks",
	  "Prizes:\n\n-- FOUR gift certificates\n-- EIGHT gift certificates\n\nThanks", NULL, NULL },
	{ "sent-from-my-desk", "Here is another email\n\nSent from my desk, is much easier then my mobile phone.",
	  "Here is another email\n\nSent from my desk, is much easier then my mobile phone.", NULL, NULL },
	{ "sent-via-in-prose", "Status:\n\nSent via FedEx.\nIt arrives Monday.\nTracking follows.\nCall me.\nBye.",
	  "Status:\n\nSent via FedEx.\nIt arrives Monday.\nTracking follows.\nCall me.\nBye.", NULL, NULL },
	{ "long-bare-dashes", "Log:\n--\n1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\nend",
	  "Log:\n--\n1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\nend", NULL, NULL },
	{ "bullets", "Two:\n- Here is another bullet point\n- And another one",
	  "Two:\n- Here is another bullet point\n- And another one", NULL, NULL },
	{ "original-message-in-prose", "The subject said Original Message and nothing else.",
	  "The subject said Original Message and nothing else.", NULL, NULL },
	{ "forwarded-in-prose", "I forwarded message 12 to the team.", "I forwarded message 12 to the team.", NULL,
	  NULL },
	{ "mobile-footer-alone", "Sent from my iPhone", "Sent from my iPhone", NULL, NULL },
	{ "own-words-quoted", "Hi,\n\nOn March 3, 2024 I wrote:\nPlease fix the printer.\n\nNobody answered.",
	  "Hi,\n\nOn March 3, 2024 I wrote:\nPlease fix the printer.\n\nNobody answered.", NULL, NULL },
	{ "own-words-we", "Hi,\n\nOn 2024-03-03 we wrote:\n\nPlease fix it.",
	  "Hi,\n\nOn 2024-03-03 we wrote:\n\nPlease fix it.", NULL, NULL },
	{ "citation-at-the-end", "Thanks\n\nThe log says:\n\n> Error: disk full\n> at line 3",
	  "Thanks\n\nThe log says:\n\n> Error: disk full\n> at line 3", NULL, NULL },
	{ "citation-then-history",
	  "The log says:\n> Error: disk full\n\nOn Mon, Jan 1, 2019 at 10:00 AM, A <a@example.com> wrote:\n> old",
	  "The log says:\n> Error: disk full", "On Mon, Jan 1", NULL },
	{ "empty", "", "", NULL, NULL },
	{ "blank", " \n\t\n", "", NULL, NULL },
};

/* ---- running a case ------------------------------------------------------------ */

static void
test_case(gconstpointer data)
{
	const reply_case *c = data;
	char *new_text = NULL, *quoted = NULL, *signature = NULL;

	pd_reply_split(c->text, &new_text, &quoted, &signature);
	g_assert_cmpstr(new_text, ==, c->new_text);
	if (c->quoted == NULL)
		g_assert_null(quoted);
	else if (strcmp(c->quoted, QUOTED_ANY) != 0) {
		g_assert_nonnull(quoted);
		if (!g_str_has_prefix(quoted, c->quoted))
			g_error("quoted part \"%s\" does not begin with \"%s\"", quoted, c->quoted);
	}
	g_assert_cmpstr(signature, ==, c->signature);
	g_free(new_text);
	g_free(quoted);
	g_free(signature);
}

static void
add_cases(const char *group, const reply_case *cases, gsize n)
{
	for (gsize i = 0; i < n; i++) {
		char *path = g_strdup_printf("/reply/%s/%s", group, cases[i].name);

		g_test_add_data_func(path, &cases[i], test_case);
		g_free(path);
	}
}

/* ---- robustness -------------------------------------------------------------------- */

static void
test_null_outputs(void)
{
	char *new_text = NULL;

	pd_reply_split("Hi\n\n> old", NULL, NULL, NULL);
	pd_reply_split(NULL, &new_text, NULL, NULL);
	g_assert_cmpstr(new_text, ==, "");
	g_free(new_text);
}

static void
test_invalid_utf8(void)
{
	char *new_text, *quoted, *signature;

	pd_reply_split("caf\xe9 \xff\xfe\n\nOn Mon, Jan 1, 2019 at 10:00, A <a@example.com> wrote:\n> \xc3",
	               &new_text, &quoted, &signature);
	g_assert_true(g_utf8_validate(new_text, -1, NULL));
	g_assert_true(g_str_has_prefix(new_text, "caf"));
	g_assert_nonnull(quoted);
	g_assert_true(g_utf8_validate(quoted, -1, NULL));
	g_free(new_text);
	g_free(quoted);
	g_free(signature);
}

/* Big inputs stay linear: many lines, many quotes, many colon lines, one huge line. */
static void
test_large(void)
{
	GString *s = g_string_new("Top line\n\n");
	char *new_text, *quoted;
	gint64 start = g_get_monotonic_time();

	for (int i = 0; i < 20000; i++)
		g_string_append_printf(s, "line %d: wrote about stuff on 2020-01-01:\n> quote %d\n", i, i);
	g_string_append(s, "end\n");
	g_string_append_len(s, "x", 0);
	for (int i = 0; i < 1000000; i++)
		g_string_append_c(s, i % 80 == 79 ? ' ' : 'y');
	pd_reply_split(s->str, &new_text, &quoted, NULL);
	g_assert_true(g_str_has_prefix(new_text, "Top line"));
	g_test_message("%zu bytes in %.2f s", s->len, (g_get_monotonic_time() - start) / 1e6);
	g_free(new_text);
	g_free(quoted);
	g_string_free(s, TRUE);
}

static void
test_is_forward(void)
{
	g_assert_true(pd_reply_is_forward("\n---------- Forwarded message ---------\nFrom: x"));
	g_assert_true(pd_reply_is_forward("> Begin forwarded message:\n> From: x"));
	g_assert_true(pd_reply_is_forward("-------- Message transféré --------"));
	g_assert_false(pd_reply_is_forward("Hi\n---------- Forwarded message ---------"));
	g_assert_false(pd_reply_is_forward(""));
}

static void
test_is_header_block(void)
{
	g_assert_true(pd_reply_is_header_block("From: A\nSent: Monday\nTo: B\nSubject: C"));
	g_assert_true(pd_reply_is_header_block("\nVon: A\nGesendet: Montag\nAn: B\nBetreff: C"));
	g_assert_false(pd_reply_is_header_block("From: the bank\nasking for money"));
	g_assert_false(pd_reply_is_header_block("Hello\nFrom: A\nSent: Monday\nTo: B"));
	g_assert_false(pd_reply_is_header_block("\xff"));
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	add_cases("attribution", attribution_cases, G_N_ELEMENTS(attribution_cases));
	add_cases("outlook", outlook_cases, G_N_ELEMENTS(outlook_cases));
	add_cases("quote", quote_cases, G_N_ELEMENTS(quote_cases));
	add_cases("forward", forward_cases, G_N_ELEMENTS(forward_cases));
	add_cases("signature", signature_cases, G_N_ELEMENTS(signature_cases));
	add_cases("not-cut", false_positive_cases, G_N_ELEMENTS(false_positive_cases));
	add_cases("caseless", caseless_cases, G_N_ELEMENTS(caseless_cases));
	g_test_add_func("/reply/robust/null-outputs", test_null_outputs);
	g_test_add_func("/reply/robust/invalid-utf8", test_invalid_utf8);
	g_test_add_func("/reply/robust/large", test_large);
	g_test_add_func("/reply/api/is-forward", test_is_forward);
	g_test_add_func("/reply/api/is-header-block", test_is_header_block);
	return g_test_run();
}
