//  opts.h: one option parser for every verb and daemon: a thin wrapper over
//  getopt_long that words every error the same way and names the bad
//  option, with "did you mean" for long options and for verbs.
//
//  Wording (stderr, then exit 2, the usage exit code):
//    PROG: unknown option '--pape'; did you mean '--paper'?
//    PROG: unknown option '-q'
//    PROG: option '--s' is ambiguous (--seed, --shards)
//    PROG: option '--out' needs a value
//    PROG: option '--json' takes no value
//    PROG: --claims: 'abc' is not valid (expected 0..100000000)
//    PROG: unknown command 'sumbit'; did you mean 'submit'?
//    Try 'PROG --help'.
//  where PROG is how the user names the program: "claimq gen",
//  "claimq ledger query", "claimq-broker".
#ifndef CQ_OPTS_H
#define CQ_OPTS_H

#include <getopt.h>
#include <stddef.h>

//  The exit code of a usage error (cmds.h's CQ_EXIT_USAGE, the daemons').
#define CQ_OPT_USAGE 2

//  getopt_long with opterr = 0 and a ':' put at the front of shortopts
//  (after a leading '+' or '-'), so a missing value is told apart. Returns
//  what getopt_long returns, except that every error (unknown or ambiguous
//  option, missing value, value given to a flag) has been reported on
//  stderr as above, with the hint line, and comes back as '?': the caller
//  only exits with CQ_OPT_USAGE.
//
//  Test only: when the environment has CLAIMQ_LIST_OPTIONS=1, the first
//  call prints the long options of longopts ("--name", one a line) on
//  stdout and exits 0, so that a test can check that every option of a
//  verb is in its --help text without a second copy of the table.
//
//  Configuration (not for a dispatcher: shortopts starting with '+'). The
//  first call of a parse reads the program's configuration file (conf.h)
//  and environment and returns their values first, as the options they
//  name, with optarg pointing at the value; the command line follows.
//  Precedence is command line > environment > file: a value is skipped
//  when a stronger source gives the same option. PROG says whose:
//    "claimq-broker"  file /etc/claimq/claimq-broker.conf, $CLAIMQ_BROKER_*
//    "claimq-worker"  file /etc/claimq/claimq-worker.conf, $CLAIMQ_WORKER_*
//    "claimq VERB"    file /etc/claimq/claimq.conf ([VERB] and the shared
//                     top-level keys), $CLAIMQ_*
//  The file is --config FILE, else $PREFIX_CONFIG, else the default when it
//  exists. A key is an option's long name (help and version excepted); the
//  variable is PREFIX + the name in upper case with '_' for '-'. A flag's
//  value is true/false (yes/no, on/off, 1/0). --config and --print-config
//  are taken here, on every such parse: --print-config prints the
//  effective values, each with its source, when the parse ends, and exits
//  0. An unknown key, a bad boolean or an unreadable file is reported
//  ("PROG: FILE:LINE: unknown key 'x'; did you mean 'y'?") as '?'.
int cq_getopt(int argc, char *const argv[], const char *shortopts,
              const struct option *longopts, const char *prog);

//  Built-in defaults for --print-config: pairs of option name and value,
//  ending with NULL; kept (not copied). Options without one print as "not
//  set".
void cq_opt_defaults(const char *const pairs[]);

//  claimq's commands, so that a [section] naming none is an error.
void cq_opt_commands(const char *const names[], size_t n);

//  A bad option value: "PROG: OPT: 'VALUE' is not valid (expected
//  EXPECTED)" and the hint; a value from the file or the environment says
//  where ("PROG: FILE:LINE: OPT: ..."). Returns CQ_OPT_USAGE.
int cq_opt_bad_value(const char *prog, const char *opt, const char *value,
                     const char *expected);

//  An unknown command word (a verb, a sub-verb): "PROG: unknown command
//  'WORD'", "; did you mean 'X'?" when one of names[0..n) is close, and the
//  hint. Returns CQ_OPT_USAGE.
int cq_opt_bad_command(const char *prog, const char *word,
                       const char *const names[], size_t n);

//  The name in names[0..n) closest to word[0..len) (edit distance with
//  transpositions, at most 2 and at most a third of the longer; or word a
//  prefix of exactly one name), or NULL when none is close enough.
const char *cq_opt_nearest(const char *word, size_t len,
                           const char *const names[], size_t n);

#endif
