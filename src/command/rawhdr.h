/* rawhdr.h: the values of one header field, read straight from a message's raw header block. */
#ifndef PD_RAWHDR_H
#define PD_RAWHDR_H

#include <glib.h>

/* Every value of the header field name (case-insensitive), unfolded, in
 * order from the top; only the header block (up to the first empty line,
 * at most max_bytes) is read. NULL-terminated, never NULL; g_strfreev. */
char **pd_raw_header_values(const char *raw, gsize len, const char *name, gsize max_bytes);

/* The same from a file. */
char **pd_raw_header_values_file(const char *path, const char *name, gsize max_bytes);

#endif
