//  x12_999.c: the 999 implementation acknowledgment (005010X231A1) of a
//  parsed document, from its report (docs/formats.md "X12 999").
#include "x12_int.h"

#include <stdio.h>
#include <string.h>

//  Values copied from the received document into ours: keep letters,
//  digits and a little punctuation, so that no byte can act as one of our
//  delimiters.
static void
s_safe(char *dst, size_t n, const char *src)
{
    size_t k = 0;
    for (; *src && k + 1 < n; src++) {
        char c = *src;
        bool ok = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
                  (c >= 'a' && c <= 'z') || c == ' ' || c == '-' || c == '.' ||
                  c == '_' || c == '/';
        dst[k++] = ok ? c : '?';
    }
    dst[k] = '\0';
}

static void
s_codes(char out[5][4], const char codes[5][4], uint8_t n)
{
    for (uint8_t i = 0; i < 5; i++)
        cq_strlcpy(out[i], i < n ? codes[i] : "", 4);
}

//  True when errors a and b are about the same segment (one IK3 loop).
static bool
s_same_segment(const cq_x12_error_t *a, const cq_x12_error_t *b)
{
    return a->position == b->position && strcmp(a->seg_id, b->seg_id) == 0 &&
           strcmp(a->seg_code, b->seg_code) == 0 &&
           strcmp(a->loop, b->loop) == 0 &&
           strcmp(a->claim_id, b->claim_id) == 0;
}

//  IK4*position[:component]*reference*code*copy of the bad value.
static void
s_ik4(cq_x12_out_t *w, const cq_x12_error_t *e)
{
    char el[16], ref[8] = "", bad[CQ_X12_MAX_BAD + 1];
    if (e->component)
        snprintf(el, sizeof el, "%u%c%u", (unsigned)e->element,
                 w->seps.component, (unsigned)e->component);
    else
        snprintf(el, sizeof el, "%u", (unsigned)e->element);
    if (e->elem_ref)
        snprintf(ref, sizeof ref, "%u", (unsigned)e->elem_ref);
    cq_x12_out_clean(w, bad, sizeof bad, e->bad, '?');
    cq_x12_out_seg(w, "IK4", 4, el, ref, e->elem_code, bad);
}

//  The AK2 loop of one transaction set: one IK3 loop per segment in error
//  (its element errors as IK4s under it, the claim as CTX*CLM01), then
//  IK5. Errors without an IK304 code (the SE count, control numbers) are
//  said by the IK5 codes.
static int
s_set(cq_x12_out_t *w, const cq_x12_report_t *rep, const cq_x12_set_t *s)
{
    char id[8], ctl[16], ver[20];
    s_safe(id, sizeof id, s->id);
    s_safe(ctl, sizeof ctl, s->control);
    s_safe(ver, sizeof ver, s->version);
    cq_x12_out_seg(w, "AK2", 3, id, ctl, strstr(ver, "X") ? ver : NULL);
    const cq_x12_error_t *prev = NULL;
    for (uint32_t i = 0; i < s->n_errors; i++) {
        const cq_x12_error_t *e = &rep->errors[s->first_error + i];
        if (e->seg_code[0] == '\0')
            continue; // envelope problems are said by IK5 codes
        if (prev == NULL || !s_same_segment(prev, e) || !e->element) {
            char pos[16], sid[8], loop[12];
            snprintf(pos, sizeof pos, "%u", (unsigned)e->position);
            s_safe(sid, sizeof sid, e->seg_id[0] ? e->seg_id : "?");
            s_safe(loop, sizeof loop, e->loop);
            cq_x12_out_seg(w, "IK3", 4, sid, pos, loop, e->seg_code);
            if (e->claim_id[0]) {
                char cid[CQ_ID_LEN], ctx[CQ_ID_LEN + 8];
                cq_x12_out_clean(w, cid, sizeof cid, e->claim_id, '?');
                snprintf(ctx, sizeof ctx, "CLM01%c%s", w->seps.component, cid);
                cq_x12_out_seg(w, "CTX", 1, ctx);
            }
        }
        if (e->element && e->elem_code[0])
            s_ik4(w, e);
        prev = e;
    }
    char st[2] = {s->status == 'A' || s->status == 'E' ? s->status : 'R', 0};
    char c[5][4];
    s_codes(c, s->codes, s->n_codes);
    return cq_x12_out_seg(w, "IK5", 6, st, c[0], c[1], c[2], c[3], c[4]);
}

static int
s_group(cq_x12_out_t *w, const cq_x12_report_t *rep, const cq_x12_group_t *g,
        uint32_t st_control)
{
    char ctl[16], gid[8], gctl[16], gver[20];
    snprintf(ctl, sizeof ctl, "%04u", (unsigned)st_control);
    size_t first = w->segments;
    cq_x12_out_seg(w, "ST", 3, "999", ctl, "005010X231A1");
    s_safe(gid, sizeof gid, g->id);
    s_safe(gctl, sizeof gctl, g->control);
    s_safe(gver, sizeof gver, g->version);
    cq_x12_out_seg(w, "AK1", 3, gid, gctl, gver);
    for (uint32_t i = 0; i < g->n_sets; i++)
        s_set(w, rep, &rep->sets[g->first_set + i]);
    char st[2] = {g->status ? g->status : 'R', 0}, inc[12], rcv[12], acc[12];
    char c[5][4];
    snprintf(inc, sizeof inc, "%u",
             (unsigned)(g->declared_sets ? g->declared_sets : g->n_sets));
    snprintf(rcv, sizeof rcv, "%u", (unsigned)g->n_sets);
    snprintf(acc, sizeof acc, "%u", (unsigned)g->accepted);
    s_codes(c, g->codes, g->n_codes);
    cq_x12_out_seg(w, "AK9", 9, st, inc, rcv, acc, c[0], c[1], c[2], c[3],
                   c[4]);
    char n[16];
    snprintf(n, sizeof n, "%zu", w->segments - first + 1);
    return cq_x12_out_seg(w, "SE", 2, n, ctl);
}

int
cq_x12_999_write(const cq_x12_report_t *rep, const cq_x12_envelope_t *o,
                 cq_buf_t *out)
{
    cq_x12_envelope_t none = {0};
    if (o == NULL)
        o = &none;
    uint32_t control = o->control ? o->control : 1;
    int rc = 0;
    for (uint32_t k = 0; k < rep->n_interchanges && rc == 0; k++) {
        const cq_x12_interchange_t *ic = &rep->interchanges[k];
        uint32_t n_ack = 0;
        for (uint32_t i = 0; i < ic->n_groups; i++)
            n_ack += rep->groups[ic->first_group + i].acknowledge;
        bool ta1 = strcmp(ic->ta1, "000") != 0 || ic->ack_requested == '1';
        if (n_ack == 0 && !ta1)
            continue;
        //  Back to the sender: we are the receiver of what we acknowledge.
        char sq[4], sid[16], rq[4], rid[16];
        s_safe(sq, sizeof sq, ic->receiver_qual);
        s_safe(sid, sizeof sid, ic->receiver);
        s_safe(rq, sizeof rq, ic->sender_qual);
        s_safe(rid, sizeof rid, ic->sender);
        cq_x12_envelope_t env = *o;
        if (env.sender_id == NULL || !*env.sender_id) {
            env.sender_qual = sq[0] ? sq : NULL;
            env.sender_id = sid[0] ? sid : NULL;
        }
        if (env.receiver_id == NULL || !*env.receiver_id) {
            env.receiver_qual = rq[0] ? rq : NULL;
            env.receiver_id = rid[0] ? rid : NULL;
        }
        if (env.usage == 0)
            env.usage = ic->usage;
        cq_x12_out_t w;
        cq_x12_out_init(&w, &env, rid, out);
        cq_x12_out_isa(&w, control);
        if (ta1) {
            char ctl[16], d[8], t[8];
            s_safe(ctl, sizeof ctl, ic->control);
            s_safe(d, sizeof d, ic->date);
            s_safe(t, sizeof t, ic->time);
            const char *code = ic->ta1;
            const char *ack = strcmp(code, "000") == 0   ? "A"
                              : strcmp(code, "024") == 0 ? "R"
                                                         : "E";
            cq_x12_out_seg(&w, "TA1", 5, ctl, d, t, ack, code);
        }
        if (n_ack > 0) {
            cq_x12_out_gs(&w, "FA", control, "005010X231A1");
            uint32_t st = 0;
            for (uint32_t i = 0; i < ic->n_groups; i++) {
                const cq_x12_group_t *g = &rep->groups[ic->first_group + i];
                if (g->acknowledge)
                    s_group(&w, rep, g, ++st);
            }
            cq_x12_out_ge(&w, st, control);
        }
        rc = cq_x12_out_iea(&w, n_ack > 0 ? 1 : 0, control);
        control++;
    }
    return rc;
}
