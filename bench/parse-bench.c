/* parse-bench.c: parser figures: messages/s and MB/s over a Maildir, and peak RSS for one huge attachment. */
#include "config.h"
#include "parse/parse.h"
#include "store/spool.h"

#include <gmime/gmime.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

static double
peak_rss_mb(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss / 1024.0;
}

/* CPU seconds so far, in user space and in the kernel (system). */
static double
cpu_split(double *user, double *sys)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	*user = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6;
	*sys = ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
	return *user + *sys;
}

static double
cpu_seconds(void)
{
	double user, sys;

	return cpu_split(&user, &sys);
}

/* ---- throughput over a Maildir ---------------------------------------- */

static GPtrArray *
list_messages(const char *maildir)
{
	char *dir = g_build_filename(maildir, "new", NULL);
	GDir *d = g_dir_open(dir, 0, NULL);
	GPtrArray *paths = g_ptr_array_new_with_free_func(g_free);
	const char *name;

	while (d != NULL && (name = g_dir_read_name(d)) != NULL)
		g_ptr_array_add(paths, g_build_filename(dir, name, NULL));
	if (d != NULL)
		g_dir_close(d);
	g_free(dir);
	return paths;
}

static pd_cause
parse_one(const char *path, const pd_parse_options *opts, guint64 *bytes)
{
	pd_cause cause;
	pd_message *msg = pd_message_parse_file(path, opts, &cause, NULL);

	*bytes += msg->size;
	pd_message_free(&msg);
	return cause;
}

/* GMime alone: the file read whole and GMime's tree built and freed,
 * with nothing of postdesk's around it. */
static pd_cause
gmime_only(const char *path, guint64 *bytes)
{
	static GMimeParser *parser;
	char *data = NULL;
	gsize len = 0;
	GMimeStream *mem;
	GMimeMessage *mime;

	if (!g_file_get_contents(path, &data, &len, NULL))
		return PD_CAUSE_UNPARSABLE;
	if (parser == NULL)
		parser = g_mime_parser_new();
	mem = g_mime_stream_mem_new_with_buffer(data, len);
	g_mime_parser_init_with_stream(parser, mem);
	mime = g_mime_parser_construct_message(parser, NULL);
	*bytes += len;
	g_object_unref(mem);
	g_free(data);
	if (mime == NULL)
		return PD_CAUSE_UNPARSABLE;
	g_object_unref(mime);
	return PD_CAUSE_NONE;
}

/* Files are read once before timing, so the figures are the parser's, not
 * the disk's; each message is then parsed from its file, as the pipeline does. */
static int
run_corpus(const char *maildir, int rounds, gboolean floor, gboolean gmime_tree)
{
	GPtrArray *paths = list_messages(maildir);
	pd_parse_options opts;
	guint64 bytes = 0, n = 0, causes[PD_CAUSE_COUNT] = { 0 };
	double wall, cpu, user0, sys0, user, sys;
	gint64 t0;

	if (paths->len == 0) {
		fprintf(stderr, "parse-bench: no messages in %s/new\n", maildir);
		return 1;
	}
	for (guint i = 0; i < paths->len; i++) {
		char *data = NULL;

		g_file_get_contents(paths->pdata[i], &data, NULL, NULL);
		g_free(data);
	}
	pd_parse_options_init(&opts);
	opts.always_gmime = gmime_tree;
	t0 = g_get_monotonic_time();
	cpu = cpu_split(&user0, &sys0);
	for (int r = 0; r < rounds; r++) {
		for (guint i = 0; i < paths->len; i++) {
			pd_cause cause = floor ? gmime_only(paths->pdata[i], &bytes) :
			                 parse_one(paths->pdata[i], &opts, &bytes);

			causes[cause]++;
			n++;
		}
	}
	wall = (g_get_monotonic_time() - t0) / 1e6;
	cpu = cpu_split(&user, &sys) - cpu;
	printf("messages:       %" G_GUINT64_FORMAT " (%u files x %d rounds; %" G_GUINT64_FORMAT
	       " would be quarantined)\n", n, paths->len, rounds, n - causes[PD_CAUSE_NONE]);
	printf("bytes:          %.1f MB\n", bytes / 1048576.0);
	printf("elapsed:        %.2f s wall, %.2f s CPU (%.2f s user, %.2f s system)\n",
	       wall, cpu, user - user0, sys - sys0);
	printf("throughput:     %.0f messages/s, %.1f MB/s (wall)\n", n / wall, bytes / 1048576.0 / wall);
	printf("per CPU second: %.0f messages/s, %.1f MB/s\n", n / cpu, bytes / 1048576.0 / cpu);
	printf("peak RSS:       %.1f MB\n", peak_rss_mb());
	g_ptr_array_unref(paths);
	return 0;
}

/* ---- one message with a huge attachment ------------------------------- */

/* Written in 57-byte base64 lines from a small buffer: generating it must
 * not be what raises the peak. */
static void
write_big(const char *path, guint64 size)
{
	FILE *f = fopen(path, "w");
	guchar chunk[57 * 64];
	guint32 x = 1;

	fputs("From: big@example.com\nSubject: big attachment\nMIME-Version: 1.0\n"
	      "Content-Type: multipart/mixed; boundary=B\n\n--B\nContent-Type: text/plain\n\nsee attached\n"
	      "--B\nContent-Type: application/octet-stream\nContent-Disposition: attachment; filename=big.bin\n"
	      "Content-Transfer-Encoding: base64\n\n", f);
	for (guint64 done = 0; done < size; done += sizeof chunk) {
		gsize n = (gsize)MIN(sizeof chunk, size - done);

		for (gsize i = 0; i < n; i++) {
			x = x * 1103515245u + 12345u;
			chunk[i] = (guchar)(x >> 16);
		}
		for (gsize off = 0; off < n; off += 57) {
			char *line = g_base64_encode(chunk + off, MIN(57, n - off));

			fprintf(f, "%s\n", line);
			g_free(line);
		}
	}
	fputs("--B--\n", f);
	fclose(f);
}

static gpointer s_open(gpointer b, GError **e) { return pd_spool_att_open(b, e); }
static gboolean s_write(gpointer a, const void *buf, gsize n, GError **e) { return pd_spool_att_write(a, buf, n, e); }
static char *s_close(gpointer a, GError **e) { return pd_spool_att_close(a, e); }
static void s_abort(gpointer a) { pd_spool_att_abort(a); }

/* Parsed as the pipeline does: from the file, the attachment staged in a
 * spool batch. */
static int
run_big(guint64 mb)
{
	char *dir = g_dir_make_tmp("pd-parse-bench-XXXXXX", NULL);
	char *path = g_build_filename(dir, "big.eml", NULL), *spooldir = g_build_filename(dir, "spool", NULL);
	pd_spool *spool = pd_spool_open(spooldir, NULL);
	pd_spool_batch *batch = pd_spool_batch_new(spool);
	pd_attachment_sink sink = { s_open, s_write, s_close, s_abort, batch };
	pd_parse_options opts;
	pd_message *msg;
	double before, t;
	GStatBuf st;

	write_big(path, mb * 1024 * 1024);
	g_stat(path, &st);
	before = peak_rss_mb();
	pd_parse_options_init(&opts);
	opts.limits.max_message_size = 0;
	opts.sink = &sink;
	t = cpu_seconds();
	msg = pd_message_parse_file(path, &opts, NULL, NULL);
	t = cpu_seconds() - t;
	printf("message:        %.1f MB on disk, one attachment of %" G_GUINT64_FORMAT " bytes\n",
	       st.st_size / 1048576.0, msg->attachments->len > 0 ?
	       ((pd_attachment *)msg->attachments->pdata[0])->size : 0);
	printf("parse time:     %.2f s CPU (decode, hash and stage the attachment)\n", t);
	printf("peak RSS:       %.1f MB (%.1f MB before parsing)\n", peak_rss_mb(), before);
	pd_message_free(&msg);
	pd_spool_batch_free(&batch);
	pd_spool_close(&spool);
	g_unlink(path);
	g_free(path);
	g_free(spooldir);
	g_free(dir);
	return 0;
}

int
main(int argc, char **argv)
{
	char *maildir = NULL;
	int rounds = 1, big = 0, rc;
	gboolean floor = FALSE, gmime_tree = FALSE;
	GOptionEntry entries[] = {
		{ "maildir", 'm', 0, G_OPTION_ARG_FILENAME, &maildir, "Parse every message of MAILDIR/new", "DIR" },
		{ "rounds", 'r', 0, G_OPTION_ARG_INT, &rounds, "Parse the corpus this many times", "N" },
		{ "floor", 'f', 0, G_OPTION_ARG_NONE, &floor,
		  "Only build and free GMime's tree of each message, nothing of postdesk's", NULL },
		{ "gmime-tree", 't', 0, G_OPTION_ARG_NONE, &gmime_tree,
		  "Parse with GMime's tree for every message, also those read without it", NULL },
		{ "big", 'b', 0, G_OPTION_ARG_INT, &big, "Parse one message with an N MB attachment", "N" },
		{ NULL },
	};
	GOptionContext *ctx = g_option_context_new("- parser benchmark");
	GError *e = NULL;

	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!g_option_context_parse(ctx, &argc, &argv, &e) || (maildir == NULL) == (big == 0)) {
		fprintf(stderr, "usage: parse-bench --maildir DIR [--rounds N] [--floor | --gmime-tree] | --big MB\n");
		return 64;
	}
	g_option_context_free(ctx);
	pd_parse_init();
	rc = big > 0 ? run_big((guint64)big) : run_corpus(maildir, rounds, floor, gmime_tree);
	pd_parse_shutdown();
	g_free(maildir);
	return rc;
}
