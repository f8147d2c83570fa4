//  fuzz_x12.c: the X12 tokenizer, the 837 loop parser, the 999 writer, the
//  835 reader, and the round trip of what parses:
//    - every claim passed on is well formed (terminated strings, counts
//      within their caps);
//    - the report is consistent, and the 999 written from it is itself
//      valid X12 whose envelopes hold;
//    - valid claims written back as an 837 parse to the same claims;
//    - an 835 made from them balances.
//  Any violation aborts (a finding).
#include "claim_json.h"
#include "x12.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_KEEP 32

typedef struct {
    cq_claim_t *keep; // valid claims kept for the round trip
    size_t n_keep;
    size_t n;
} s_state_t;

static void
s_check(bool ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_x12: invariant broken: %s\n", what);
        abort();
    }
}

static void
s_terminated(const char *s, size_t n, const char *what)
{
    s_check(memchr(s, '\0', n) != NULL, what);
}

static int
s_on_claim(void *arg, cq_claim_t *c)
{
    s_state_t *st = arg;
    st->n++;
    s_terminated(c->claim_id, sizeof c->claim_id, "claim_id");
    s_terminated(c->payer_id, sizeof c->payer_id, "payer_id");
    s_terminated(c->member.id, sizeof c->member.id, "member.id");
    s_terminated(c->member.last_name, sizeof c->member.last_name, "name");
    s_terminated(c->billing_npi, sizeof c->billing_npi, "npi");
    s_terminated(c->invalid_msg, sizeof c->invalid_msg, "invalid_msg");
    s_check(c->n_lines <= CQ_MAX_LINES, "n_lines");
    s_check(c->n_diagnoses <= CQ_MAX_DX, "n_diagnoses");
    s_check(c->source == CQ_SOURCE_X12, "source");
    s_check(c->claim_id[0] != '\0', "claim id present");
    for (uint8_t i = 0; i < c->n_lines; i++) {
        s_check(c->lines[i].n_modifiers <= CQ_MAX_MODIFIERS, "modifiers");
        s_check(c->lines[i].n_pointers <= CQ_MAX_POINTERS, "pointers");
        s_terminated(c->lines[i].procedure, CQ_CODE_LEN, "procedure");
        if (!c->invalid)
            s_check(c->lines[i].service_date != CQ_DATE_NONE,
                    "valid claim has dates");
    }
    if (!c->invalid && st->n_keep < S_KEEP)
        st->keep[st->n_keep++] = *c;
    return 0;
}

static void
s_check_report(const cq_x12_report_t *rep)
{
    s_check(rep->sets_accepted + rep->sets_refused <= rep->n_sets, "sets");
    for (uint32_t i = 0; i < rep->n_sets; i++) {
        const cq_x12_set_t *s = &rep->sets[i];
        s_check(s->group < rep->n_groups, "set group");
        s_check(s->status == 'A' || s->status == 'E' || s->status == 'R',
                "set status");
        s_check(s->n_errors == 0 ||
                    s->first_error + s->n_errors <= rep->n_errors,
                "set errors");
        s_check(s->status != 'R' || s->claims == 0, "refused set: claims");
        s_check(s->status != 'E' || s->n_errors > 0 || rep->errors_dropped,
                "errors noted");
    }
    for (uint32_t i = 0; i < rep->n_groups; i++) {
        const cq_x12_group_t *g = &rep->groups[i];
        s_check(g->interchange < rep->n_interchanges, "group interchange");
        s_check(g->first_set + g->n_sets <= rep->n_sets, "group sets");
    }
    for (uint32_t i = 0; i < rep->n_interchanges; i++) {
        const cq_x12_interchange_t *ic = &rep->interchanges[i];
        s_check(ic->first_group + ic->n_groups <= rep->n_groups, "ic groups");
    }
}

//  Our own 999 must be valid X12 with envelopes that hold.
static void
s_check_999(const cq_x12_report_t *rep)
{
    cq_buf_t out;
    cq_buf_init(&out, 16u << 20);
    cq_x12_envelope_t env = {.date = cq_date_from_ymd(2026, 1, 2)};
    int rc = cq_x12_999_write(rep, &env, &out);
    if (rc == 0 && out.len > 0) {
        cq_x12_report_t r2;
        int k = cq_x12_parse(out.data, out.len, NULL, NULL, &r2, NULL);
        //  (a TA1 alone has no functional group)
        s_check(r2.n_interchanges > 0, "999 interchange");
        s_check(r2.n_groups == 0 ||
                    (k == CQ_EUNSUPPORTED && strcmp(r2.kind, "999") == 0),
                "999 parses as a 999");
        for (uint32_t i = 0; i < r2.n_sets; i++)
            s_check(r2.sets[i].status == 'A', "999 set envelope");
        for (uint32_t i = 0; i < r2.n_groups; i++)
            s_check(r2.groups[i].n_codes == 0, "999 group envelope");
        for (uint32_t i = 0; i < r2.n_interchanges; i++)
            s_check(strcmp(r2.interchanges[i].ta1, "000") == 0,
                    "999 interchange envelope");
        cq_x12_report_free(&r2);
    }
    cq_buf_free(&out);
}

typedef struct {
    const cq_claim_t *want; // claims written, in order
    size_t n, at;
} s_cmp_t;

static int
s_compare(void *arg, cq_claim_t *c)
{
    s_cmp_t *k = arg;
    s_check(k->at < k->n, "round trip: too many claims");
    cq_claim_t a = k->want[k->at++];
    cq_claim_t b = *c;
    a.received_date = b.received_date = CQ_DATE_NONE;
    cq_buf_t ja, jb;
    cq_buf_init(&ja, 1u << 20);
    cq_buf_init(&jb, 1u << 20);
    cq_claim_to_json(&a, &ja);
    cq_claim_to_json(&b, &jb);
    if (strcmp(ja.data, jb.data) != 0 || b.invalid) {
        fprintf(stderr, "in:  %s\nout: %s\n%s\n", ja.data, jb.data,
                b.invalid_msg);
        s_check(false, "round trip: same claim");
    }
    cq_buf_free(&ja);
    cq_buf_free(&jb);
    return 0;
}

static void
s_roundtrip(const cq_claim_t *keep, size_t n)
{
    cq_buf_t doc;
    cq_buf_init(&doc, 16u << 20);
    cq_x12_write_opts_t o;
    memset(&o, 0, sizeof o);
    o.env.date = cq_date_from_ymd(2026, 1, 2);
    o.claims_per_set = 3;
    cq_x12_837w_t *w = cq_x12_837w_new(&o, &doc);
    cq_claim_t *ok = calloc(n ? n : 1, sizeof *ok);
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (cq_x12_837w_add(w, &keep[i]) == 0)
            ok[m++] = keep[i];
    s_check(cq_x12_837w_finish(w) == 0, "837 written");
    cq_x12_837w_destroy(&w);
    if (m > 0) {
        s_cmp_t k = {ok, m, 0};
        cq_x12_report_t rep;
        int rc = cq_x12_parse(doc.data, doc.len, s_compare, &k, &rep, NULL);
        s_check(rc == (int)m && k.at == m, "round trip: claim count");
        s_check(cq_x12_report_ok(&rep), "round trip: envelopes");
        cq_x12_report_free(&rep);
    }
    //  and an 835 of them, paid half of each line
    cq_decision_t *d = calloc(m ? m : 1, sizeof *d);
    for (size_t i = 0; i < m; i++) {
        const cq_claim_t *c = &ok[i];
        memcpy(d[i].claim_id, c->claim_id, sizeof d[i].claim_id);
        memcpy(d[i].payer_id, c->payer_id, sizeof d[i].payer_id);
        memcpy(d[i].billing_npi, c->billing_npi, sizeof d[i].billing_npi);
        d[i].frequency = c->frequency;
        d[i].decision = (i % 3 == 2) ? CQ_DECISION_REJECT : CQ_DECISION_ACCEPT;
        d[i].n_lines = c->n_lines;
        for (uint8_t l = 0; l < c->n_lines; l++) {
            int64_t paid = d[i].decision == CQ_DECISION_ACCEPT
                               ? c->lines[l].charge / 2
                               : 0;
            d[i].lines[l].billed = c->lines[l].charge;
            d[i].lines[l].paid = paid;
            d[i].billed += c->lines[l].charge;
            d[i].paid += paid;
            if (i % 2 == 0 && d[i].n_adj < CQ_MAX_ADJ) {
                cq_adjustment_t *a = &d[i].adj[d[i].n_adj++];
                a->line = (uint8_t)(l + 1);
                memcpy(a->group, "CO", 3);
                memcpy(a->code, "45", 3);
                a->amount = c->lines[l].charge - paid;
            }
        }
    }
    cq_buf_t r835;
    cq_buf_init(&r835, 64u << 20);
    cq_x12_835_opts_t o835;
    memset(&o835, 0, sizeof o835);
    o835.env.date = cq_date_from_ymd(2026, 1, 2);
    if (cq_x12_835_write(ok, d, m, &o835, &r835) == 0 && m > 0) {
        cq_x12_835_check_t chk;
        int rc = cq_x12_835_check(r835.data, r835.len, NULL, NULL, &chk, NULL);
        s_check(rc == (int)m, "835 claim count");
        s_check(chk.unbalanced == 0, "835 balances");
    }
    cq_buf_free(&r835);
    free(d);
    free(ok);
    cq_buf_free(&doc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    s_state_t st;
    memset(&st, 0, sizeof st);
    st.keep = calloc(S_KEEP, sizeof *st.keep);
    cq_x12_report_t rep;
    cq_diag_t diag = {0};
    int rc = cq_x12_parse(data, size, s_on_claim, &st, &rep, &diag);
    s_check(rc < 0 || (size_t)rc == st.n, "count returned");
    s_check(rc < 0 || rep.claims == st.n, "count reported");
    s_check(rc >= 0 || diag.code == rc, "diag on error");
    s_check_report(&rep);
    s_check_999(&rep);
    cq_x12_report_free(&rep);
    s_roundtrip(st.keep, st.n_keep);
    free(st.keep);
    cq_x12_835_check_t chk;
    cq_x12_835_check(data, size, NULL, NULL, &chk, NULL);
    return 0;
}
