/* parse.h: agents' #commands at the top of a reply: the command block, read into a list of commands and errors. */
#ifndef PD_COMMAND_PARSE_H
#define PD_COMMAND_PARSE_H

#include <glib.h>

/*
 * An agent changes a ticket from their own mail client with lines at the top
 * of the new text of a reply:
 *
 *   #status pending          #pending  #resolve  #close  #open
 *   #assign alice@example.com | me | none
 *   #priority low | normal | high | urgent
 *   #queue billing
 *   #tag vip refund -spam    #untag spam
 *   #cc add a@example.org    #cc a@example.org    #cc remove a@example.org    #cc -a@example.org
 *   #note                    (the reply is an internal note: not sent to the requester)
 *   #merge #1042             (or "#merge 1042")
 *   #subject Printer on the 3rd floor is jammed
 *
 * The block: blank lines at the top are skipped; then every line that is
 * "#" followed at once by an ASCII letter (spaces, tabs or no-break spaces
 * before the "#" allowed) is a command line, and the first line that is not
 * one ends the block, so "#1042", "# heading" or a "#tag" under the first
 * sentence are reply text. Command names are case-insensitive; values keep
 * their case, except keywords (statuses, priorities, "me", "none", and
 * "add"/"remove" in #cc), which are matched in any case and returned in
 * lower case.
 *
 * The parser reports, it decides nothing: the caller applies every command,
 * in order (a later #status or #assign wins over an earlier one), or, when
 * there is any error, none; it should then hold the reply as well and tell
 * the agent, who wrote it expecting the commands to apply.
 *
 * The block's extent does not depend on the limits: once parsing stops (too
 * many commands, too many unknown ones) the remaining command lines are
 * still part of the block and still removed from the reply, but not read,
 * except that a #note anywhere in the block still sets the note flag: a
 * reply meant to be internal must never reach the requester because a line
 * above it was wrong.
 */

typedef enum {
	PD_COMMAND_STATUS,     /* value: new|open|pending|resolved|closed (also from #pending, #resolve, #close, #open) */
	PD_COMMAND_ASSIGN,     /* value: "me", "none", or an agent (an address or a name, as written) */
	PD_COMMAND_PRIORITY,   /* value: low|normal|high|urgent */
	PD_COMMAND_QUEUE,      /* value: the queue name */
	PD_COMMAND_TAG,        /* add, remove: tags (also from #untag) */
	PD_COMMAND_CC_ADD,     /* value: the address as written, without angle brackets */
	PD_COMMAND_CC_REMOVE,  /* value: likewise */
	PD_COMMAND_NOTE,       /* no value */
	PD_COMMAND_MERGE,      /* ticket: the ticket to merge this one into */
	PD_COMMAND_SUBJECT,    /* value: the new subject */
} pd_command_type;

typedef struct {
	pd_command_type type;
	guint line;        /* 1-based line number within the text */
	char *value;       /* see the type; NULL for TAG, NOTE and MERGE */
	char **add;        /* TAG: tags to add, NULL-terminated (maybe empty); NULL for other types */
	char **remove;     /* TAG: tags to remove, likewise */
	guint64 ticket;    /* MERGE */
} pd_command;

typedef struct {
	guint line;        /* 1-based line number within the text */
	char *text;        /* the line, safe to print: invalid UTF-8 and control characters
	                    * replaced by U+FFFD, cut to 200 bytes */
	char *message;     /* one line naming the command, e.g. "#priority: \"hgih\" is not a priority
	                    * (low, normal, high, urgent); did you mean \"high\"?" */
} pd_command_error;

/* Zero in any field means the default given here. */
typedef struct {
	guint max_commands;  /* command lines read: 20; the next one is an error and parsing stops */
	guint max_unknown;   /* unknown commands: 5; parsing stops at the last one allowed */
	gsize max_line;      /* bytes in a command line, without its LF: 1000 */
	guint max_subject;   /* characters in #subject: 250 */
	guint max_tag;       /* bytes in a tag, a queue or an agent name: 64 */
} pd_command_limits;

typedef struct {
	GPtrArray *commands;   /* pd_command *, in the order written */
	GPtrArray *errors;     /* pd_command_error *, in line order; empty when all is well */
	gsize reply_offset;    /* byte offset in text where the reply starts: 0 when there is no
	                        * block, else the first non-blank line after it (len when none) */
	char *reply;           /* a copy of text from reply_offset: the reply without the block and
	                        * the blank lines around it; the whole text when there is no block */
	gboolean note;         /* a #note line is in the block (even one with an error) */
	gboolean had_commands; /* the text begins with a block of at least one command line */
} pd_commands;

/* The defaults above. */
void pd_command_limits_init(pd_command_limits *limits);

/* Read the command block at the top of text (UTF-8, LF line ends; a CR or a
 * NUL is a character like any other and refused in a value). text NULL reads
 * as "", limits NULL means the defaults. Never NULL; free with
 * pd_commands_free. */
pd_commands *pd_commands_parse(const char *text, const pd_command_limits *limits);
/* The same for len bytes, which may hold NULs. */
pd_commands *pd_commands_parse_len(const char *text, gsize len, const pd_command_limits *limits);

void pd_commands_free(pd_commands **cmds);  /* accepts NULL; sets *cmds to NULL */

/* One line for a receipt: "set status to pending", "add tags vip, refund;
 * remove tag spam", "merge into #1042", ... Caller frees. */
char *pd_commands_describe(const pd_command *c);

/* The command's name as written in mail ("status", "tag", "cc", ...). */
const char *pd_command_type_name(pd_command_type type);

#endif
