/* log.h: log lines to stderr, "program: level: text", filtered by the configured level. */
#ifndef PD_LOG_H
#define PD_LOG_H

#include <glib.h>

/* Install the writer; level is debug, info, warning or error. */
void pd_log_init(const char *program, const char *level);
void pd_log_set_level(const char *level);

#endif
