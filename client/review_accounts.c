//  review_accounts.c: the review station's accounts (review_accounts.h).
#include "review_accounts.h"
#include "cmds.h"
#include "err.h"
#include "mem.h"
#include "opts.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

const char *
cq_rv_accounts_path(const char *arg)
{
    if (arg != NULL)
        return arg;
    const char *e = getenv(CQ_RV_ACCOUNTS_ENV);
    return e != NULL && e[0] != '\0' ? e : CQ_RV_ACCOUNTS_DEFAULT;
}

void
cq_rv_accounts_free(cq_rv_accounts_t *a)
{
    if (a->v != NULL)
        sodium_memzero(a->v, a->n * sizeof *a->v);
    free(a->v);
    a->v = NULL;
    a->n = 0;
}

const cq_rv_account_t *
cq_rv_accounts_find(const cq_rv_accounts_t *a, const char *name)
{
    for (size_t i = 0; i < a->n; i++)
        if (strcmp(a->v[i].name, name) == 0)
            return &a->v[i];
    return NULL;
}

int
cq_rv_accounts_read(const char *path, cq_rv_accounts_t *out, char *why,
                    size_t why_size)
{
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        int e = errno;
        snprintf(why, why_size, "%s: %s", path, strerror(e));
        return e == ENOENT ? CQ_ENOTFOUND : CQ_EIO;
    }
    //  a line is at most 64 tenants of 39 bytes, a name and a hash
    char line[CQ_RV_MAX_TENANTS * CQ_ID_LEN + 512];
    int rc = 0, no = 0;
    while (fgets(line, sizeof line, f) != NULL) {
        no++;
        size_t len = strlen(line);
        if (len > 0 && line[len - 1] == '\n')
            line[--len] = '\0';
        else if (!feof(f)) {
            snprintf(why, why_size, "%s line %d: too long", path, no);
            rc = CQ_EPROTO;
            break;
        }
        if (len > 0 && line[len - 1] == '\r')
            line[--len] = '\0';
        if (len == 0 || line[0] == '#')
            continue;
        if (out->n == CQ_RV_MAX_ACCOUNTS) {
            snprintf(why, why_size, "%s: more than %d accounts", path,
                     CQ_RV_MAX_ACCOUNTS);
            rc = CQ_EPROTO;
            break;
        }
        out->v = cq_xrealloc(out->v, (out->n + 1) * sizeof *out->v);
        const char *w = NULL;
        if (cq_rv_account_parse(line, len, &out->v[out->n], &w) != 0) {
            snprintf(why, why_size, "%s line %d: %s", path, no, w);
            rc = CQ_EPROTO;
            break;
        }
        if (cq_rv_accounts_find(out, out->v[out->n].name) != NULL) {
            snprintf(why, why_size, "%s line %d: %s is there twice", path, no,
                     out->v[out->n].name);
            rc = CQ_EPROTO;
            break;
        }
        out->n++;
    }
    if (rc == 0 && ferror(f)) {
        snprintf(why, why_size, "%s: %s", path, strerror(errno));
        rc = CQ_EIO;
    }
    sodium_memzero(line, sizeof line);
    fclose(f);
    if (rc != 0)
        cq_rv_accounts_free(out);
    return rc;
}

int
cq_rv_accounts_write(const char *path, const cq_rv_accounts_t *a, char *why,
                     size_t why_size)
{
    //  the temporary file beside the real one (same file system: rename
    //  is atomic), created 0600 so that no hash is readable even briefly
    size_t pl = strlen(path);
    char *tmp = cq_xmalloc(pl + 32);
    snprintf(tmp, pl + 32, "%s.tmp-%ld", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0) {
        snprintf(why, why_size, "cannot write %s: %s", tmp, strerror(errno));
        free(tmp);
        return CQ_EIO;
    }
    FILE *f = fdopen(fd, "w");
    if (f == NULL) {
        snprintf(why, why_size, "cannot write %s: %s", tmp, strerror(errno));
        close(fd);
        unlink(tmp);
        free(tmp);
        return CQ_EIO;
    }
    int rc = 0;
    fprintf(f, "# claimq review accounts: NAME:TENANTS:HASH "
               "(claimq review adduser; docs/review.md)\n");
    char line[CQ_RV_MAX_TENANTS * CQ_ID_LEN + 512];
    for (size_t i = 0; i < a->n && rc == 0; i++) {
        if (!cq_rv_account_format(&a->v[i], line, sizeof line)) {
            snprintf(why, why_size, "%s: account %s does not fit a line", path,
                     a->v[i].name);
            rc = CQ_ETOOBIG;
        } else {
            fprintf(f, "%s\n", line);
        }
    }
    if (rc == 0 && (fflush(f) != 0 || fsync(fd) != 0)) {
        snprintf(why, why_size, "cannot write %s: %s", tmp, strerror(errno));
        rc = CQ_EIO;
    }
    if (fclose(f) != 0 && rc == 0) {
        snprintf(why, why_size, "cannot write %s: %s", tmp, strerror(errno));
        rc = CQ_EIO;
    }
    if (rc == 0 && rename(tmp, path) != 0) {
        snprintf(why, why_size, "cannot replace %s: %s", path, strerror(errno));
        rc = CQ_EIO;
    }
    if (rc != 0)
        unlink(tmp);
    sodium_memzero(line, sizeof line);
    free(tmp);
    return rc;
}

//  ---- adduser, passwd, deluser -------------------------------------------

//  One line of at most size - 1 bytes from stdin, without its newline.
//  false at end of input or when the line is longer.
static bool
s_line(char *out, size_t size)
{
    if (fgets(out, (int)size, stdin) == NULL)
        return false;
    size_t n = strcspn(out, "\r\n");
    if (out[n] == '\0' && n == size - 1 && !feof(stdin))
        return false; // longer than the buffer
    out[n] = '\0';
    return true;
}

//  The password: one line of stdin (--password-stdin), or typed twice on
//  the terminal without echo. 0, or CQ_EINVAL after saying why.
static int
s_password(const char *prog, bool from_stdin, char *out, size_t size)
{
    if (from_stdin) {
        if (!s_line(out, size)) {
            fprintf(stderr,
                    "%s: no password on stdin (one line, at most %d "
                    "characters)\n",
                    prog, CQ_RV_PASSWORD_MAX);
            return CQ_EINVAL;
        }
    } else {
        if (!isatty(STDIN_FILENO)) {
            fprintf(stderr,
                    "%s: stdin is not a terminal: give --password-stdin\n",
                    prog);
            return CQ_EINVAL;
        }
        char again[CQ_RV_PASSWORD_MAX + 2];
        struct termios old, quiet;
        bool ok = tcgetattr(STDIN_FILENO, &old) == 0;
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        if (ok)
            tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
        fprintf(stderr, "Password: ");
        bool got = s_line(out, size);
        fprintf(stderr, "\nAgain: ");
        got = got && s_line(again, sizeof again);
        fprintf(stderr, "\n");
        if (ok)
            tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
        bool same = got && strcmp(out, again) == 0;
        sodium_memzero(again, sizeof again);
        if (!same) {
            fprintf(stderr, "%s: %s\n", prog,
                    got ? "the two passwords differ" : "no password given");
            return CQ_EINVAL;
        }
    }
    size_t n = strlen(out);
    if (n < CQ_RV_PASSWORD_MIN || n > CQ_RV_PASSWORD_MAX) {
        fprintf(stderr, "%s: a password has %d to %d characters\n", prog,
                CQ_RV_PASSWORD_MIN, CQ_RV_PASSWORD_MAX);
        sodium_memzero(out, size);
        return CQ_EINVAL;
    }
    return 0;
}

static void
s_user_help(void)
{
    printf(
        "usage: claimq review adduser NAME --tenants PAYER[,PAYER...]\n"
        "                             [--accounts FILE] [--password-stdin]\n"
        "       claimq review passwd NAME [--accounts FILE] "
        "[--password-stdin]\n"
        "       claimq review deluser NAME [--accounts FILE]\n\n"
        "Manages the accounts of the review station (claimq review; see\n"
        "docs/review.md). A reviewer sees and releases only the claims of "
        "the\n"
        "payers (tenants) of their account; * is every payer. The password "
        "(%d\n"
        "to %d characters) is typed twice without echo, or read as one line\n"
        "from stdin with --password-stdin, and stored as a libsodium\n"
        "crypto_pwhash (Argon2id) hash. The file is rewritten whole, mode "
        "0600\n"
        "(a temporary file renamed over it); a running station reads it "
        "again\n"
        "when it changes: a deleted account's sessions end at their next "
        "request.\n\n"
        "options:\n"
        "  --accounts FILE    the accounts file (default $%s, else\n"
        "                     ./%s); adduser creates it\n"
        "  --tenants LIST     adduser: payer ids, comma-separated, or *\n"
        "  --password-stdin   read the password from stdin\n"
        "  -h, --help         this help\n\n"
        "exit codes: 0 done, 1 the file cannot be read or written, 2 usage "
        "(a\n"
        "bad or unknown NAME, an account that exists already, a bad tenant\n"
        "list or password)\n",
        CQ_RV_PASSWORD_MIN, CQ_RV_PASSWORD_MAX, CQ_RV_ACCOUNTS_ENV,
        CQ_RV_ACCOUNTS_DEFAULT);
}

int
cq_rv_cmd_user(int argc, char **argv)
{
    const char *what = argv[0];
    char prog[64];
    snprintf(prog, sizeof prog, "claimq review %s", what);
    const char *accounts = NULL, *tenants = NULL;
    bool from_stdin = false;
    static const struct option opts[] = {
        {"accounts", required_argument, NULL, 'a'},
        {"tenants", required_argument, NULL, 't'},
        {"password-stdin", no_argument, NULL, 'p'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    int ch;
    while ((ch = cq_getopt(argc, argv, "h", opts, prog)) != -1) {
        switch (ch) {
        case 'a':
            accounts = optarg;
            break;
        case 't':
            tenants = optarg;
            break;
        case 'p':
            from_stdin = true;
            break;
        case 'h':
            s_user_help();
            return CQ_EXIT_OK;
        default:
            return CQ_EXIT_USAGE;
        }
    }
    bool add = strcmp(what, "adduser") == 0;
    bool del = strcmp(what, "deluser") == 0;
    const char *bad = NULL;
    if (optind + 1 != argc)
        bad = optind == argc ? "give the account's NAME" : "one NAME only";
    else if (!cq_rv_name_ok(argv[optind]))
        bad = "NAME: 1 to 39 characters of A-Z a-z 0-9 . _ -";
    else if (add && tenants == NULL)
        bad = "--tenants is required";
    else if (!add && tenants != NULL)
        bad = "--tenants is for adduser";
    else if (del && from_stdin)
        bad = "--password-stdin is for adduser and passwd";
    if (bad != NULL) {
        fprintf(stderr, "%s: %s\nTry '%s --help'.\n", prog, bad, prog);
        return CQ_EXIT_USAGE;
    }
    const char *name = argv[optind];
    cq_rv_account_t acc;
    memset(&acc, 0, sizeof acc);
    if (add) {
        const char *why = NULL;
        if (cq_rv_tenants_parse(tenants, &acc, &why) != 0) {
            fprintf(stderr, "%s: --tenants: %s\nTry '%s --help'.\n", prog, why,
                    prog);
            return CQ_EXIT_USAGE;
        }
    }
    if (sodium_init() < 0) {
        fprintf(stderr, "%s: libsodium cannot start\n", prog);
        return CQ_EXIT_FAIL;
    }
    const char *path = cq_rv_accounts_path(accounts);
    cq_rv_accounts_t a;
    char why[512];
    int rc = cq_rv_accounts_read(path, &a, why, sizeof why);
    if (rc == CQ_ENOTFOUND && add)
        rc = 0;
    if (rc != 0) {
        fprintf(stderr, "%s: %s\n", prog, why);
        return rc == CQ_ENOTFOUND ? CQ_EXIT_USAGE : CQ_EXIT_FAIL;
    }
    const cq_rv_account_t *found = cq_rv_accounts_find(&a, name);
    if (add == (found != NULL)) {
        fprintf(stderr, "%s: %s %s\n", prog, name,
                add ? "exists already (change its password with passwd)"
                    : "is not an account");
        cq_rv_accounts_free(&a);
        return CQ_EXIT_USAGE;
    }
    size_t at = found != NULL ? (size_t)(found - a.v) : a.n;
    if (del) {
        memmove(&a.v[at], &a.v[at + 1], (a.n - at - 1) * sizeof *a.v);
        a.n--;
    } else {
        char pw[CQ_RV_PASSWORD_MAX + 2];
        if (s_password(prog, from_stdin, pw, sizeof pw) != 0) {
            cq_rv_accounts_free(&a);
            return CQ_EXIT_USAGE;
        }
        char hash[crypto_pwhash_STRBYTES];
        int hrc = crypto_pwhash_str(hash, pw, strlen(pw),
                                    crypto_pwhash_OPSLIMIT_INTERACTIVE,
                                    crypto_pwhash_MEMLIMIT_INTERACTIVE);
        sodium_memzero(pw, sizeof pw);
        if (hrc != 0) {
            fprintf(stderr, "%s: cannot hash the password (out of memory)\n",
                    prog);
            cq_rv_accounts_free(&a);
            return CQ_EXIT_FAIL;
        }
        if (add) {
            a.v = cq_xrealloc(a.v, (a.n + 1) * sizeof *a.v);
            cq_strlcpy(acc.name, name, sizeof acc.name);
            a.v[a.n++] = acc;
        }
        cq_strlcpy(a.v[at].hash, hash, sizeof a.v[at].hash);
    }
    rc = cq_rv_accounts_write(path, &a, why, sizeof why);
    cq_rv_accounts_free(&a);
    if (rc != 0) {
        fprintf(stderr, "%s: %s\n", prog, why);
        return CQ_EXIT_FAIL;
    }
    fprintf(stderr, "%s: %s %s (%s)\n", prog, name,
            add   ? "added"
            : del ? "deleted"
                  : "has a new password",
            path);
    return CQ_EXIT_OK;
}
