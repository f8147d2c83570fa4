//  conf.h: the configuration file of the three programs, parsed. One
//  format, systemd's and git's plainness:
//
//      # a comment: '#' or ';' first on the line (after blanks)
//      frontend = tcp://127.0.0.1:5555
//      insecure = true
//      [submit]                  (claimq only: a command's own options)
//      chunk = 500
//
//  A key is a long option's name without its dashes; the value is the rest
//  of the line with blanks trimmed at both ends (a '#' inside a value is
//  part of it: there are no trailing comments), or a double-quoted string
//  ("" keeps blanks; \" and \\ are the only escapes). A section is a
//  command's name ("submit", "ledger query"). Caps: 1 MiB a file, 4096
//  bytes a line, 10,000 entries; a key given twice in one section is an
//  error. This file knows nothing of options: opts.c decides which keys a
//  program knows (opts.h).
#ifndef CQ_CONF_H
#define CQ_CONF_H

#include "limit.h"
#include "err.h"

#include <stddef.h>

typedef struct {
    char *section; // "" before the first [section]
    char *key;
    char *value;
    unsigned line;         // 1-based
    unsigned section_line; // of its [section] (0 before the first)
} cq_conf_entry_t;

typedef struct {
    char *path; // as given, for messages
    cq_conf_entry_t *v;
    size_t n;
} cq_conf_t;

//  Parses text[0..len) (path names it in messages). NULL on a refusal, with
//  diag->offset the line and diag->msg "LINE: why" (no value is quoted
//  back: a value may be a secret's path, never a secret, but stay plain).
cq_conf_t *cq_conf_parse(const char *text, size_t len, const char *path,
                         cq_diag_t *diag);

//  Reads and parses the file at path. NULL with diag set when it cannot be
//  read (CQ_EIO, "cannot read: ...") or is refused.
cq_conf_t *cq_conf_load(const char *path, cq_diag_t *diag);

void cq_conf_destroy(cq_conf_t **self_p);

#endif
