//  review_accounts.h: the review station's accounts file and the verbs
//  that manage it (`claimq review adduser|passwd|deluser`).
//
//  The file holds one account a line, NAME:TENANT[,TENANT...]:HASH
//  (review_parse.h), HASH being libsodium's crypto_pwhash_str (Argon2id,
//  OPSLIMIT/MEMLIMIT_INTERACTIVE); '#' lines are comments. It is written
//  whole, mode 0600, through a temporary file renamed over it, so that a
//  station reading it never sees half a file.
#ifndef CQ_REVIEW_ACCOUNTS_H
#define CQ_REVIEW_ACCOUNTS_H

#include "review_parse.h"

#define CQ_RV_ACCOUNTS_ENV "CLAIMQ_REVIEW_ACCOUNTS"
#define CQ_RV_ACCOUNTS_DEFAULT "reviewers" // in the current directory
#define CQ_RV_MAX_ACCOUNTS 1000
#define CQ_RV_PASSWORD_MIN 8 // characters of a password, at least
#define CQ_RV_PASSWORD_MAX 255

typedef struct {
    cq_rv_account_t *v; // in file order (owned)
    size_t n;
} cq_rv_accounts_t;

//  The accounts file to use: arg (--accounts), else $CLAIMQ_REVIEW_ACCOUNTS,
//  else ./reviewers.
const char *cq_rv_accounts_path(const char *arg);

//  Reads the file. Returns 0, CQ_ENOTFOUND (no such file), CQ_EIO or
//  CQ_EPROTO with why (no patient data: the file, a line number, what is
//  wrong) filled; *out is empty on failure.
int cq_rv_accounts_read(const char *path, cq_rv_accounts_t *out, char *why,
                        size_t why_size);
//  Writes the file atomically, mode 0600. 0, or CQ_EIO / CQ_ETOOBIG with
//  why filled.
int cq_rv_accounts_write(const char *path, const cq_rv_accounts_t *a, char *why,
                         size_t why_size);
void cq_rv_accounts_free(cq_rv_accounts_t *a);
//  The account named name, or NULL (borrowed: valid until the next
//  change of a).
const cq_rv_account_t *cq_rv_accounts_find(const cq_rv_accounts_t *a,
                                           const char *name);

//  `claimq review adduser|passwd|deluser NAME ...`: argv[0] is the
//  sub-verb. Returns the exit code (cmds.h).
int cq_rv_cmd_user(int argc, char **argv);

#endif
