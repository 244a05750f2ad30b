/* conf.h: the configuration file: every key declared once, validated with file:line errors. */
#ifndef PD_CONFIG_H
#define PD_CONFIG_H

#include <glib.h>

typedef enum {
	PD_CFG_STRING,
	PD_CFG_PATH,      /* relative paths are taken from the config file's directory */
	PD_CFG_INT,
	PD_CFG_BOOL,
	PD_CFG_SIZE,      /* bytes, with K/M/G suffixes */
	PD_CFG_DURATION,  /* milliseconds, written 500ms, 30s, 5m, 2h, 1d */
	PD_CFG_ENUM,
} pd_cfg_type;

typedef struct {
	const char *group;    /* "store", or "source *": any group named "source NAME" */
	const char *key;
	pd_cfg_type type;
	const char *def;      /* default, as it would be written; NULL: none */
	gint64 min, max;      /* bounds for INT, SIZE, DURATION */
	const char *choices;  /* ENUM: "a|b|c" */
	const char *doc;      /* one line */
} pd_cfg_decl;

typedef struct pd_config pd_config;

/* The file that applies when none is named: $POSTDESK_CONFIG, else
 * /etc/postdesk/postdesk.conf if it exists, else NULL (all defaults). */
const char *pd_config_default_path(void);

/* Load and validate. Problems are appended to problems (if not NULL) as
 * "file:line: group.key: problem"; the config is returned only when there
 * are none. path NULL: defaults only. */
pd_config *pd_config_load(const char *path, GPtrArray *problems);
void pd_config_free(pd_config **cfg);
const char *pd_config_path(const pd_config *cfg);  /* NULL when defaults only */

/* Typed values (the default when the key is not set). group is a concrete
 * group name ("source demo"); the key must be declared with that type. */
const char *pd_config_string(const pd_config *cfg, const char *group, const char *key);
char *pd_config_path_value(const pd_config *cfg, const char *group, const char *key);  /* caller frees */
gint64 pd_config_int(const pd_config *cfg, const char *group, const char *key);
gboolean pd_config_bool(const pd_config *cfg, const char *group, const char *key);

/* The names of groups "PREFIX NAME" (e.g. the sources), in file order. */
char **pd_config_groups(const pd_config *cfg, const char *prefix);

/* A comma- or space-separated list value, empty items dropped
 * (NULL-terminated; g_strfreev). value NULL gives an empty list. */
char **pd_config_split_list(const char *value);

/* The line of a key (key NULL: of the group's header) in the file; 0 if not there. */
int pd_config_line(const pd_config *cfg, const char *group, const char *key);

/* Override a value (command line, tests); validated like the file. */
gboolean pd_config_set(pd_config *cfg, const char *group, const char *key, const char *value,
                       GError **error);

/* The declarations, for the generated reference. */
const pd_cfg_decl *pd_config_decls(guint *n_r);
/* The reference in Markdown (doc/config.md is this output). */
char *pd_config_reference(void);

#endif
