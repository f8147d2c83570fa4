//  ledger_export.c: the redacted copy of a worker ledger (ledger_export.h):
//  the key file, the tokens, the review audit's values; the copy itself is
//  cq_ledger_copy's (common/ledger.c).
//
//  Patient data: nothing here prints or logs a value or the key; messages
//  name files only.
#include "ledger_export.h"
#include "claim.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

//  ---- the key --------------------------------------------------------------

static int
s_key_read(int fd, const char *path, uint8_t key[CQ_REDACT_KEY_LEN],
           unsigned *mode, cq_diag_t *diag)
{
    struct stat sb;
    int rc = 0;
    if (fstat(fd, &sb) != 0)
        rc = cq_diag_set(diag, CQ_EIO, 0, "%s: cannot read the key: %s", path,
                         strerror(errno));
    else if (!S_ISREG(sb.st_mode))
        rc = cq_diag_set(diag, CQ_EINVAL, 0,
                         "%s: not a key: not a regular file", path);
    else if (sb.st_size != CQ_REDACT_KEY_LEN)
        rc = cq_diag_set(diag, CQ_EINVAL, 0,
                         "%s: not a key: a redaction key is exactly %d bytes, "
                         "this file has %lld",
                         path, CQ_REDACT_KEY_LEN, (long long)sb.st_size);
    size_t got = 0;
    while (rc == 0 && got < CQ_REDACT_KEY_LEN) {
        ssize_t n = read(fd, key + got, CQ_REDACT_KEY_LEN - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            rc = cq_diag_set(diag, CQ_EIO, 0, "%s: cannot read the key: %s",
                             path, n < 0 ? strerror(errno) : "it got shorter");
        else
            got += (size_t)n;
    }
    if (rc == 0)
        *mode = (unsigned)(sb.st_mode & 07777);
    else
        sodium_memzero(key, CQ_REDACT_KEY_LEN);
    close(fd);
    return rc;
}

//  CQ_EEXIST (diag not set) when path exists by now.
static int
s_key_make(const char *path, uint8_t key[CQ_REDACT_KEY_LEN], cq_diag_t *diag)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return errno == EEXIST ? CQ_EEXIST
                               : cq_diag_set(diag, CQ_EIO, 0,
                                             "%s: cannot create the key: %s",
                                             path, strerror(errno));
    randombytes_buf(key, CQ_REDACT_KEY_LEN);
    int rc = fchmod(fd, 0600) == 0 ? 0 : -1;
    size_t put = 0;
    while (rc == 0 && put < CQ_REDACT_KEY_LEN) {
        ssize_t n = write(fd, key + put, CQ_REDACT_KEY_LEN - put);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            rc = -1;
        else
            put += (size_t)n;
    }
    if (rc == 0 && fsync(fd) != 0)
        rc = -1;
    int err = errno;
    if (close(fd) != 0 && rc == 0) {
        rc = -1;
        err = errno;
    }
    if (rc != 0) {
        unlink(path); // ours: made above
        sodium_memzero(key, CQ_REDACT_KEY_LEN);
        return cq_diag_set(diag, CQ_EIO, 0, "%s: cannot write the key: %s",
                           path, strerror(err));
    }
    return 0;
}

int
cq_redact_key(const char *path, uint8_t key[CQ_REDACT_KEY_LEN], bool *created,
              unsigned *mode, cq_diag_t *diag)
{
    *created = false;
    *mode = 0;
    if (sodium_init() < 0)
        return cq_diag_set(diag, CQ_EIO, 0, "libsodium cannot start");
    for (int attempt = 0; attempt < 2; attempt++) {
        //  O_NONBLOCK: a FIFO does not hang the open (refused below)
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
        if (fd >= 0)
            return s_key_read(fd, path, key, mode, diag);
        if (errno != ENOENT)
            break;
        int rc = s_key_make(path, key, diag);
        if (rc == 0) {
            *created = true;
            *mode = 0600;
            return 0;
        }
        if (rc != CQ_EEXIST)
            return rc;
        //  made meanwhile (or a dangling symbolic link): read it
    }
    return cq_diag_set(diag, CQ_EIO, 0, "%s: cannot read the key: %s", path,
                       strerror(errno));
}

//  ---- tokens ---------------------------------------------------------------

void
cq_redact_token(const uint8_t key[CQ_REDACT_KEY_LEN], const void *v, size_t n,
                char out[CQ_REDACT_TOKEN_LEN])
{
    static const char digits[] = "0123456789abcdef";
    uint8_t h[crypto_generichash_BYTES]; // 32
    crypto_generichash(h, sizeof h, (const unsigned char *)v, n, key,
                       CQ_REDACT_KEY_LEN);
    out[0] = 'h';
    out[1] = ':';
    for (size_t i = 0; i < (CQ_REDACT_TOKEN_LEN - 3) / 2; i++) {
        out[2 + 2 * i] = digits[h[i] >> 4];
        out[3 + 2 * i] = digits[h[i] & 15];
    }
    out[CQ_REDACT_TOKEN_LEN - 1] = '\0';
}

static json_t *
s_token(const uint8_t *key, const char *s, size_t n)
{
    char t[CQ_REDACT_TOKEN_LEN];
    cq_redact_token(key, s, n, t);
    return json_string(t);
}

//  A value of the audit as a token: a string's bytes ("" stays ""),
//  anything else its compact JSON.
static json_t *
s_redact_value(const uint8_t *key, json_t *v)
{
    if (json_is_string(v)) {
        size_t n = json_string_length(v);
        return n == 0 ? json_string("") : s_token(key, json_string_value(v), n);
    }
    char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_SORT_KEYS);
    json_t *t = s_token(key, s ? s : "", s ? strlen(s) : 0);
    free(s);
    return t;
}

static json_t *
s_redact_changes(const uint8_t *key, json_t *changes)
{
    json_t *out = json_array();
    size_t i;
    json_t *c;
    json_array_foreach(changes, i, c)
    {
        if (!json_is_object(c)) {
            json_array_append_new(out, s_redact_value(key, c));
            continue;
        }
        json_t *o = json_object();
        const char *k;
        json_t *v;
        json_object_foreach(c, k, v)
        {
            //  the field's name stays: it is the form's or schema's name
            if (strcmp(k, "field") == 0 && json_is_string(v))
                json_object_set(o, k, v);
            else
                json_object_set_new(o, k, s_redact_value(key, v));
        }
        json_array_append_new(out, o);
    }
    return out;
}

//  Dumps j into audit when it fits; true when it did. Takes j.
static bool
s_put(json_t *j, char *audit, size_t size)
{
    char *s = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(j);
    bool ok = s != NULL && strlen(s) < size;
    if (ok)
        memcpy(audit, s, strlen(s) + 1);
    free(s);
    return ok;
}

int
cq_redact_review(const uint8_t key[CQ_REDACT_KEY_LEN], char *audit, size_t size)
{
    size_t len = strnlen(audit, size);
    char whole[CQ_REDACT_TOKEN_LEN];
    cq_redact_token(key, audit, len, whole);
    json_error_t e;
    json_t *a =
        len < size ? json_loadb(audit, len, JSON_REJECT_DUPLICATES, &e) : NULL;
    json_t *reviewer = json_object_get(a, "reviewer");
    json_t *action = json_object_get(a, "action");
    if (!json_is_string(reviewer))
        reviewer = NULL;
    if (!json_is_string(action))
        action = NULL;
    bool done = false;
    if (json_is_object(a)) {
        json_t *out = json_object();
        const char *k;
        json_t *v;
        json_object_foreach(a, k, v)
        {
            if ((strcmp(k, "reviewer") == 0 && reviewer) ||
                (strcmp(k, "action") == 0 && action))
                json_object_set(out, k, v);
            else if (strcmp(k, "changes") == 0 && json_is_array(v))
                json_object_set_new(out, k, s_redact_changes(key, v));
            else
                json_object_set_new(out, k, s_redact_value(key, v));
        }
        done = s_put(out, audit, size);
    }
    if (!done) {
        //  too long once redacted, or not an audit trail: who and how, and
        //  one token for the rest
        json_t *out = json_object();
        if (reviewer)
            json_object_set(out, "reviewer", reviewer);
        if (action)
            json_object_set(out, "action", action);
        json_object_set_new(out, "redacted", json_string(whole));
        done = s_put(out, audit, size);
    }
    if (!done)
        snprintf(audit, size, "{\"redacted\":\"%s\"}", whole);
    json_decref(a);
    return 0;
}

//  ---- the export -----------------------------------------------------------

static int
s_member(void *arg, const char *v, char *out, size_t size)
{
    if (size < CQ_REDACT_TOKEN_LEN)
        return CQ_ETOOBIG;
    cq_redact_token(arg, v, strlen(v), out);
    return 0;
}

static int
s_decision(void *arg, cq_decision_t *d)
{
    if (d->review_audit[0] != '\0')
        return cq_redact_review(arg, d->review_audit, sizeof d->review_audit);
    return 0;
}

#define S_KEY_ID_TEXT "claimq ledger export: key id"

int
cq_ledger_export_redacted(const char *src, const char *dst,
                          const uint8_t key[CQ_REDACT_KEY_LEN],
                          cq_ledger_copy_info_t *info, cq_diag_t *diag)
{
    if (sodium_init() < 0)
        return cq_diag_set(diag, CQ_EIO, 0, "libsodium cannot start");
    char key_id[CQ_REDACT_TOKEN_LEN];
    cq_redact_token(key, S_KEY_ID_TEXT, strlen(S_KEY_ID_TEXT), key_id);
    const char *const meta[] = {
        "export_tokens",
        "member ids (decisions.member) and the values of review audits "
        "(decision \"review\") replaced by h: + the first 16 bytes, hex, of "
        "keyed BLAKE2b (crypto_generichash) of the value",
        "export_key_id", key_id, NULL};
    cq_ledger_rewrite_t rw = {.member = s_member,
                              .decision = s_decision,
                              .arg = (void *)key,
                              .kind = "redacted",
                              .meta = meta};
    return cq_ledger_copy(src, dst, &rw, info, diag);
}
