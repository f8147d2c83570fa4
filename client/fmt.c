#include "fmt.h"
#include "claim_json.h"
#include "money.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
cq_fmt_parse(const char *s, cq_fmt_t *out)
{
    if (strcmp(s, "jsonl") == 0)
        *out = CQ_FMT_JSONL;
    else if (strcmp(s, "csv") == 0)
        *out = CQ_FMT_CSV;
    else
        return CQ_EINVAL;
    return 0;
}

void
cq_fmt_header(cq_fmt_t f, cq_buf_t *out)
{
    if (f == CQ_FMT_CSV)
        cq_buf_addstr(out, "claim_id,payer_id,batch_id,decision,billed,"
                           "allowed,paid,patient_responsibility,reasons,"
                           "adjustments,node,ledger_seq,source\n");
}

//  A CSV field: quoted when it holds a comma, quote or line break.
static void
s_csv(cq_buf_t *out, const char *s)
{
    if (strpbrk(s, ",\"\r\n") == NULL) {
        cq_buf_addstr(out, s);
        return;
    }
    cq_buf_add(out, "\"", 1);
    for (; *s; s++) {
        if (*s == '"')
            cq_buf_add(out, "\"", 1);
        cq_buf_add(out, s, 1);
    }
    cq_buf_add(out, "\"", 1);
}

static const char *
s_source(cq_source_t s)
{
    return s == CQ_SOURCE_X12 ? "x12" : s == CQ_SOURCE_OCR ? "ocr" : "json";
}

int
cq_fmt_decision(cq_fmt_t f, const cq_decision_t *d, cq_buf_t *out)
{
    if (f == CQ_FMT_JSONL) {
        int rc = cq_decision_to_json(d, out);
        return rc ? rc : cq_buf_add(out, "\n", 1);
    }
    char m[CQ_MONEY_STRLEN];
    cq_buf_t tmp;
    cq_buf_init(&tmp, 1 << 20);
    s_csv(out, d->claim_id);
    cq_buf_add(out, ",", 1);
    s_csv(out, d->payer_id);
    cq_buf_add(out, ",", 1);
    s_csv(out, d->batch_id);
    cq_buf_printf(out, ",%s,", cq_outcome_name(d->decision));
    cq_buf_printf(out, "%s,", cq_money_format(d->billed, m));
    cq_buf_printf(out, "%s,", cq_money_format(d->allowed, m));
    cq_buf_printf(out, "%s,", cq_money_format(d->paid, m));
    cq_buf_printf(out, "%s,", cq_money_format(d->patient_resp, m));
    for (uint16_t i = 0; i < d->n_reasons; i++) {
        const cq_reason_t *r = &d->reasons[i];
        cq_buf_printf(&tmp, "%s%u:%s-%s%s%s", i ? ";" : "", r->line, r->group,
                      r->carc, r->rarc[0] ? "/" : "", r->rarc);
    }
    s_csv(out, tmp.data ? tmp.data : "");
    cq_buf_reset(&tmp);
    cq_buf_add(out, ",", 1);
    for (uint16_t i = 0; i < d->n_adj; i++) {
        const cq_adjustment_t *a = &d->adj[i];
        cq_buf_printf(&tmp, "%s%u:%s-%s:%s", i ? ";" : "", a->line, a->group,
                      a->code, cq_money_format(a->amount, m));
    }
    s_csv(out, tmp.data ? tmp.data : "");
    cq_buf_free(&tmp);
    cq_buf_add(out, ",", 1);
    s_csv(out, d->node);
    cq_buf_printf(out, ",%lld,%s\n", (long long)d->ledger_seq,
                  s_source(d->source));
    return 0;
}

void
cq_summary_init(cq_summary_t *s)
{
    memset(s, 0, sizeof *s);
}

static void
s_carc(cq_summary_t *s, const char *group, const char *code, char seen[][10],
       int *n_seen)
{
    char key[10];
    snprintf(key, sizeof key, "%.2s-%.5s", group, code);
    for (int i = 0; i < *n_seen; i++)
        if (strcmp(seen[i], key) == 0)
            return;
    if (*n_seen < CQ_MAX_ADJ + CQ_MAX_REASONS)
        memcpy(seen[(*n_seen)++], key, sizeof key);
    for (uint32_t i = 0; i < s->n_carcs; i++)
        if (strcmp(s->carcs[i].code, key) == 0) {
            s->carcs[i].claims++;
            return;
        }
    if (s->n_carcs < CQ_SUMMARY_MAX_CARCS) {
        memcpy(s->carcs[s->n_carcs].code, key, sizeof key);
        s->carcs[s->n_carcs++].claims = 1;
    }
}

void
cq_summary_add(cq_summary_t *s, const cq_decision_t *d)
{
    if (d == NULL) {
        s->failed++;
        return;
    }
    s->claims++;
    if (d->decision == CQ_DECISION_ACCEPT)
        s->accept++;
    else if (d->decision == CQ_DECISION_REJECT)
        s->reject++;
    else
        s->pend++;
    s->billed += d->billed;
    s->allowed += d->allowed;
    s->paid += d->paid;
    s->patient_resp += d->patient_resp;
    static _Thread_local char seen[CQ_MAX_ADJ + CQ_MAX_REASONS][10];
    int n_seen = 0;
    for (uint16_t i = 0; i < d->n_reasons; i++)
        s_carc(s, d->reasons[i].group, d->reasons[i].carc, seen, &n_seen);
    for (uint16_t i = 0; i < d->n_adj; i++)
        s_carc(s, d->adj[i].group, d->adj[i].code, seen, &n_seen);
}

static int
s_cmp_carc(const void *a, const void *b)
{
    const char *x = a, *y = b; // code is the first member
    return strcmp(x, y);
}

void
cq_summary_json(const cq_summary_t *s, const char *batch_id, cq_buf_t *out)
{
    char m[CQ_MONEY_STRLEN];
    cq_summary_t sorted = *s;
    qsort(sorted.carcs, sorted.n_carcs, sizeof sorted.carcs[0], s_cmp_carc);
    cq_buf_addstr(out, "{\"batch_id\": ");
    cq_json_put_string(out, batch_id, strlen(batch_id));
    cq_buf_printf(out,
                  ", \"claims\": %llu, \"accept\": %llu, \"reject\": %llu, "
                  "\"pend\": %llu, \"failed\": %llu",
                  (unsigned long long)s->claims, (unsigned long long)s->accept,
                  (unsigned long long)s->reject, (unsigned long long)s->pend,
                  (unsigned long long)s->failed);
    cq_buf_printf(out, ", \"billed\": \"%s\"", cq_money_format(s->billed, m));
    cq_buf_printf(out, ", \"allowed\": \"%s\"", cq_money_format(s->allowed, m));
    cq_buf_printf(out, ", \"paid\": \"%s\"", cq_money_format(s->paid, m));
    cq_buf_printf(out, ", \"patient_responsibility\": \"%s\"",
                  cq_money_format(s->patient_resp, m));
    cq_buf_addstr(out, ", \"carc\": {");
    for (uint32_t i = 0; i < sorted.n_carcs; i++)
        cq_buf_printf(out, "%s\"%s\": %llu", i ? ", " : "",
                      sorted.carcs[i].code,
                      (unsigned long long)sorted.carcs[i].claims);
    cq_buf_addstr(out, "}}");
}

void
cq_summary_text(const cq_summary_t *s, const char *batch_id, cq_buf_t *out)
{
    char m1[CQ_MONEY_STRLEN], m2[CQ_MONEY_STRLEN], m3[CQ_MONEY_STRLEN];
    cq_summary_t sorted = *s;
    qsort(sorted.carcs, sorted.n_carcs, sizeof sorted.carcs[0], s_cmp_carc);
    cq_buf_printf(out,
                  "batch %s: %llu claims decided: %llu accept, %llu reject, "
                  "%llu pend",
                  batch_id, (unsigned long long)s->claims,
                  (unsigned long long)s->accept, (unsigned long long)s->reject,
                  (unsigned long long)s->pend);
    if (s->failed)
        cq_buf_printf(out, "; %llu failed", (unsigned long long)s->failed);
    cq_buf_printf(out, "\n  billed %s, allowed %s, paid %s\n",
                  cq_money_format(s->billed, m1),
                  cq_money_format(s->allowed, m2),
                  cq_money_format(s->paid, m3));
    if (sorted.n_carcs) {
        cq_buf_addstr(out, "  claims per CARC:");
        for (uint32_t i = 0; i < sorted.n_carcs; i++)
            cq_buf_printf(out, "%s %s %llu", i ? "," : "", sorted.carcs[i].code,
                          (unsigned long long)sorted.carcs[i].claims);
        cq_buf_addstr(out, "\n");
    }
}

void
cq_fmt_age(int64_t s, char *out, size_t n)
{
    if (s < 0)
        s = 0;
    if (s < 120)
        snprintf(out, n, "%" PRId64 " s", s);
    else if (s < 7200)
        snprintf(out, n, "%" PRId64 " min", s / 60);
    else if (s < 172800)
        snprintf(out, n, "%" PRId64 " h", s / 3600);
    else
        snprintf(out, n, "%" PRId64 " days", s / 86400);
}
