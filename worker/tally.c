//  tally.c: decisions by payer, outcome and CARC (tally.h).
#include "tally.h"

#include "metrics.h"

#include <stdio.h>
#include <string.h>

static void
s_count(cq_tally_entry_t *v, size_t *n, const char *payer, const char *label,
        uint64_t k)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp(v[i].label, label) == 0 && strcmp(v[i].payer, payer) == 0) {
            v[i].n += k;
            return;
        }
    //  the last few places are kept for "other", so that every label
    //  still has one
    if (*n >= CQ_TALLY_MAX - 32 && strcmp(payer, "other") != 0) {
        s_count(v, n, "other", label, k);
        return;
    }
    if (*n == CQ_TALLY_MAX)
        return; // "other" with more than 32 labels: not counted
    cq_tally_entry_t *e = &v[(*n)++];
    snprintf(e->payer, sizeof e->payer, "%s", payer);
    snprintf(e->label, sizeof e->label, "%s", label);
    e->n = k;
}

void
cq_tally_add(cq_tally_t *self, const cq_decision_t *d)
{
    const char *payer = d->payer_id[0] ? d->payer_id : "unknown";
    s_count(self->decisions, &self->n_decisions, payer,
            cq_outcome_name(d->decision), 1);
    //  each distinct group-code once per claim
    char seen[16][12];
    size_t n_seen = 0;
    for (size_t i = 0; i < (size_t)d->n_adj + d->n_reasons; i++) {
        const char *group, *code;
        if (i < d->n_adj) {
            group = d->adj[i].group;
            code = d->adj[i].code;
        } else {
            group = d->reasons[i - d->n_adj].group;
            code = d->reasons[i - d->n_adj].carc;
        }
        if (code[0] == '\0')
            continue;
        char label[12];
        snprintf(label, sizeof label, "%.2s-%.5s", group[0] ? group : "NA",
                 code);
        bool dup = false;
        for (size_t k = 0; k < n_seen && !dup; k++)
            dup = strcmp(seen[k], label) == 0;
        if (dup)
            continue;
        if (n_seen < 16)
            memcpy(seen[n_seen++], label, sizeof label);
        s_count(self->carcs, &self->n_carcs, payer, label, 1);
    }
}

void
cq_tally_merge(cq_tally_t *self, cq_tally_t *src)
{
    for (size_t i = 0; i < src->n_decisions; i++)
        s_count(self->decisions, &self->n_decisions, src->decisions[i].payer,
                src->decisions[i].label, src->decisions[i].n);
    for (size_t i = 0; i < src->n_carcs; i++)
        s_count(self->carcs, &self->n_carcs, src->carcs[i].payer,
                src->carcs[i].label, src->carcs[i].n);
    src->n_decisions = src->n_carcs = 0;
}

//  A payer id as a label value: printable ASCII, '"' and '\' escaped.
static void
s_label(char *out, size_t size, const char *key, const char *v, const char *k2,
        const char *v2)
{
    size_t o = (size_t)snprintf(out, size, "%s=\"", key);
    for (const char *p = v; *p && o + 3 < size; p++) {
        if (*p == '"' || *p == '\\')
            out[o++] = '\\';
        out[o++] = (*p >= 0x20 && *p < 0x7f) ? *p : '?';
    }
    snprintf(out + o, size - o, "\",%s=\"%s\"", k2, v2);
}

void
cq_tally_prom(const cq_tally_t *self, cq_buf_t *b, const char *prefix)
{
    char name[96], labels[192];
    snprintf(name, sizeof name, "%s_decisions_total", prefix);
    cq_prom_head(b, name, "counter",
                 "Claims decided and committed, by payer and decision.");
    for (size_t i = 0; i < self->n_decisions; i++) {
        s_label(labels, sizeof labels, "payer", self->decisions[i].payer,
                "decision", self->decisions[i].label);
        cq_prom_sample(b, name, labels, (double)self->decisions[i].n);
    }
    snprintf(name, sizeof name, "%s_carc_total", prefix);
    cq_prom_head(b, name, "counter",
                 "Decided claims carrying an adjustment or denial reason "
                 "code (group-CARC), by payer; a claim counts once per code.");
    for (size_t i = 0; i < self->n_carcs; i++) {
        s_label(labels, sizeof labels, "payer", self->carcs[i].payer, "carc",
                self->carcs[i].label);
        cq_prom_sample(b, name, labels, (double)self->carcs[i].n);
    }
}
