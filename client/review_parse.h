//  review_parse.h: what the review station (claimq review) reads from
//  outside — form bodies, cookies, account lines, listen addresses —
//  parsed with every size capped before anything is allocated. Pure: no
//  I/O, so each is unit-tested and fuzzed (tests/fuzz/fuzz_review.c).
#ifndef CQ_REVIEW_PARSE_H
#define CQ_REVIEW_PARSE_H

#include "claim.h"

#include <stdbool.h>
#include <stddef.h>

#define CQ_RV_MAX_BODY (256u << 10) // bytes of a POST body
#define CQ_RV_MAX_PAIRS 512         // name=value pairs in a form body
#define CQ_RV_MAX_NAME 64           // bytes of a decoded name
#define CQ_RV_MAX_VALUE 4096        // bytes of a decoded value
#define CQ_RV_MAX_TENANTS 64        // tenants of an account
#define CQ_RV_HASH_LEN 128          // crypto_pwhash_STRBYTES

//  ---- application/x-www-form-urlencoded --------------------------------
typedef struct {
    char *name;
    char *value;
} cq_rv_pair_t;

typedef struct {
    cq_rv_pair_t *v; // in body order (owned)
    size_t n;
} cq_rv_form_t;

//  Decodes body ('+' is a space, %XX a byte). Returns 0, CQ_ETOOBIG (over
//  a cap above) or CQ_EPROTO (a bad %-escape, a NUL byte); *out is empty
//  on failure.
int cq_rv_form_parse(const char *body, size_t len, cq_rv_form_t *out);
//  The first value named name, or NULL.
const char *cq_rv_form_get(const cq_rv_form_t *f, const char *name);
void cq_rv_form_free(cq_rv_form_t *f);

//  ---- cookies -------------------------------------------------------------
//  The value of cookie `name` in a Cookie header ("a=1; b=2") copied into
//  out; false when absent or longer than size - 1.
bool cq_rv_cookie(const char *header, const char *name, char *out, size_t size);

//  ---- accounts ------------------------------------------------------------
//  One line of the accounts file: NAME:TENANT[,TENANT...]:HASH, where NAME
//  is [A-Za-z0-9._-]{1,39}, a tenant a payer id (printable, no ',' ':'
//  or space, < 40 bytes) or "*", and HASH libsodium's crypto_pwhash_str
//  output ("$argon2id$...").
typedef struct {
    char name[CQ_ID_LEN];
    char tenants[CQ_RV_MAX_TENANTS][CQ_ID_LEN];
    size_t n_tenants;
    char hash[CQ_RV_HASH_LEN];
} cq_rv_account_t;

//  0, or CQ_EPROTO with *why (static text) saying what is wrong.
int cq_rv_account_parse(const char *line, size_t len, cq_rv_account_t *a,
                        const char **why);
//  Writes the line (no newline) into out; false if it does not fit.
bool cq_rv_account_format(const cq_rv_account_t *a, char *out, size_t size);
bool cq_rv_name_ok(const char *s);
//  "ACME,BETA" into a's tenants. 0 or CQ_EPROTO with *why.
int cq_rv_tenants_parse(const char *s, cq_rv_account_t *a, const char **why);

//  ---- --listen ------------------------------------------------------------
//  "HOST:PORT" with HOST a dotted IPv4 address or "localhost", PORT 0..65535.
//  *loopback: 127.0.0.0/8. 0 or CQ_EINVAL.
int cq_rv_listen_parse(const char *s, unsigned char ip[4], int *port,
                       bool *loopback);

#endif
