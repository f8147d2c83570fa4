#include "claim.h"
#include "err.h"
#include "hash.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stddef.h>
#include <string.h>

void
cq_claim_init(cq_claim_t *c)
{
    memset(c, 0, offsetof(cq_claim_t, review_audit) + 1);
    c->frequency = '1';
    c->received_date = CQ_DATE_NONE;
    c->member.birth_date = CQ_DATE_NONE;
    c->ocr_confidence = -1;
}

bool
cq_claim_equal(const cq_claim_t *a, const cq_claim_t *b)
{
    assert(a);
    assert(b);
    size_t n = sizeof a->review_audit;
    return memcmp(a, b, offsetof(cq_claim_t, review_audit)) == 0 &&
           strncmp(a->review_audit, b->review_audit, n) == 0;
}

void
cq_claim_set_invalid(cq_claim_t *c, const char *rarc, const char *fmt, ...)
{
    if (c->invalid)
        return;
    c->invalid = true;
    cq_strlcpy(c->invalid_rarc, rarc ? rarc : "", sizeof c->invalid_rarc);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->invalid_msg, sizeof c->invalid_msg, fmt, ap);
    va_end(ap);
}

void
cq_claim_add_pend(cq_claim_t *c, const char *field)
{
    if (c->n_pend >= CQ_MAX_PEND)
        return;
    cq_strlcpy(c->pend_fields[c->n_pend++], field, sizeof c->pend_fields[0]);
}

char *
cq_claim_key(const cq_claim_t *c, char *out)
{
    snprintf(out, CQ_KEY_LEN, "%s|%s|%s|%c", c->payer_id, c->billing_npi,
             c->claim_id, c->frequency ? c->frequency : '1');
    return out;
}

bool
cq_claim_check_key(cq_claim_t *c, size_t recno)
{
    const char *field = NULL;
    if (strchr(c->claim_id, '|'))
        field = "claim_id";
    else if (strchr(c->payer_id, '|'))
        field = "payer_id";
    else if (strchr(c->billing_npi, '|'))
        field = "billing_provider.npi";
    else if (strchr(c->original_claim_id, '|'))
        field = "original_claim_id";
    else if (c->frequency == '|')
        field = "frequency";
    if (field == NULL)
        return false;
    cq_claim_set_invalid(c, "MA130", "%s: must not contain '|'", field);
    if (strchr(c->claim_id, '|'))
        snprintf(c->claim_id, sizeof c->claim_id, "#%zu", recno);
    if (c->frequency == '|')
        c->frequency = '1';
    //  (payer and NPI stay as read: the rejection names them; the key
    //  stays unique through the claim_id placeholder when that was it)
    if (strchr(c->payer_id, '|') || strchr(c->billing_npi, '|') ||
        strchr(c->original_claim_id, '|')) {
        for (char *p = c->payer_id; *p; p++)
            if (*p == '|')
                *p = '/';
        for (char *p = c->billing_npi; *p; p++)
            if (*p == '|')
                *p = '/';
        for (char *p = c->original_claim_id; *p; p++)
            if (*p == '|')
                *p = '/';
    }
    return true;
}

uint64_t
cq_claim_key_hash(const cq_claim_t *c)
{
    char key[CQ_KEY_LEN];
    cq_claim_key(c, key);
    return cq_hash64(key, strlen(key), 0);
}

uint64_t
cq_claim_member_hash(const cq_claim_t *c)
{
    char key[2 * CQ_ID_LEN + 2];
    int n = snprintf(key, sizeof key, "%s|%s", c->payer_id, c->member.id);
    return cq_hash64(key, (size_t)n, 0);
}

int
cq_strlcpy(char *dst, const char *src, size_t dstsize)
{
    return cq_strncpy_n(dst, dstsize, src, strlen(src));
}

int
cq_strncpy_n(char *dst, size_t dstsize, const char *src, size_t n)
{
    assert(dstsize > 0);
    int rc = 0;
    if (n >= dstsize) {
        n = dstsize - 1;
        rc = CQ_ETOOBIG;
    }
    memcpy(dst, src, n);
    dst[n] = '\0';
    return rc;
}
