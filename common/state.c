//  state.c: member state in memory (state_impl.h), used as is by
//  `claimq adjudicate` without --ledger and as the lookup side of the
//  ledger. Also the compact binary form of a decision.
#include "state_impl.h"
#include "err.h"

#include <stdlib.h>
#include <string.h>

//  ---- interning -----------------------------------------------------------

uint32_t
cq_intern_find(const cq_intern_t *t, const char *s, size_t n)
{
    if (t->index.slots == NULL)
        return CQ_STATE_NONE;
    uint64_t h = cq_htab_fix(cq_strhash(s, n));
    for (size_t i = cq_htab_first(&t->index, h); i != CQ_HTAB_END;
         i = cq_htab_next(&t->index, h, i)) {
        uint32_t id = t->index.slots[i].v;
        const char *x = t->str[id];
        if (strncmp(x, s, n) == 0 && x[n] == '\0')
            return id;
    }
    return CQ_STATE_NONE;
}

uint32_t
cq_intern_add(cq_intern_t *t, cq_arena_t *a, const char *s, size_t n)
{
    uint32_t id = cq_intern_find(t, s, n);
    if (id != CQ_STATE_NONE)
        return id;
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 256;
        t->str = cq_xrealloc(t->str, t->cap * sizeof *t->str);
    }
    id = (uint32_t)t->n++;
    t->str[id] = cq_arena_strndup(a, s, n);
    cq_htab_add(&t->index, cq_htab_fix(cq_strhash(s, n)), id);
    return id;
}

static void
s_intern_free(cq_intern_t *t)
{
    free(t->str);
    cq_htab_free(&t->index);
}

//  "payer\x1fmember_id" into buf (2 * CQ_ID_LEN); returns its length.
static size_t
s_member_key(char *buf, const char *payer, const char *member_id)
{
    size_t np = strnlen(payer, CQ_ID_LEN - 1);
    size_t nm = strnlen(member_id, CQ_ID_LEN - 1);
    memcpy(buf, payer, np);
    buf[np] = '\x1f';
    memcpy(buf + np + 1, member_id, nm);
    buf[np + 1 + nm] = '\0';
    return np + 1 + nm;
}

uint32_t
cq_state_member_find(const cq_state_t *st, const char *payer,
                     const char *member_id)
{
    char key[2 * CQ_ID_LEN + 2];
    size_t n = s_member_key(key, payer, member_id);
    return cq_intern_find(&st->members, key, n);
}

uint64_t
cq_state_pack_mods(const char mods[][3], size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n && i < 4; i++)
        v |= ((uint64_t)(unsigned char)mods[i][0] |
              (uint64_t)(unsigned char)mods[i][1] << 8)
             << (16 * i);
    return v;
}

//  ---- construction --------------------------------------------------------

cq_state_t *
cq_state_new_hooked(const cq_state_hooks_t *hooks, bool keep_bodies)
{
    cq_state_t *st = cq_xcalloc(1, sizeof *st);
    cq_arena_init(&st->arena);
    cq_htab_init(&st->codes.index, 1024);
    cq_htab_init(&st->members.index, 1024);
    cq_htab_init(&st->key_index, 1024);
    cq_htab_init(&st->dup_index, 1024);
    cq_htab_init(&st->freq_index, 1024);
    cq_htab_init(&st->acc_index, 1024);
    static _Atomic uint64_t serial;
    st->serial = ++serial;
    st->next_seq = 1;
    st->keep_bodies = keep_bodies;
    st->persist = true;
    cq_buf_init(&st->pack_buf, 1u << 20);
    if (hooks)
        st->hooks = *hooks;
    return st;
}

cq_state_t *
cq_state_new_memory(void)
{
    return cq_state_new_hooked(NULL, true);
}

void
cq_state_set_persist(cq_state_t *st, bool on)
{
    assert(st);
    st->persist = on;
}

void
cq_state_destroy(cq_state_t **self_p)
{
    assert(self_p);
    cq_state_t *st = *self_p;
    if (st == NULL)
        return;
    cq_arena_free(&st->arena);
    s_intern_free(&st->codes);
    s_intern_free(&st->members);
    free(st->recs);
    free(st->hist);
    free(st->accs);
    free(st->rules);
    cq_buf_free(&st->pack_buf);
    cq_htab_free(&st->key_index);
    cq_htab_free(&st->dup_index);
    cq_htab_free(&st->freq_index);
    cq_htab_free(&st->acc_index);
    free(st);
    *self_p = NULL;
}

//  ---- lookups -------------------------------------------------------------

uint16_t
cq_state_rules_id(cq_state_t *st, const char *rules_version)
{
    for (size_t i = 0; i < st->n_rules; i++)
        if (strcmp(st->rules[i], rules_version) == 0)
            return (uint16_t)i;
    if (st->n_rules == UINT16_MAX)
        return UINT16_MAX - 1; // cannot happen in practice: 65535 plans
    if (st->n_rules == st->cap_rules) {
        st->cap_rules = st->cap_rules ? st->cap_rules * 2 : 8;
        st->rules = cq_xrealloc(st->rules, st->cap_rules * sizeof *st->rules);
    }
    st->rules[st->n_rules] =
        cq_arena_strndup(&st->arena, rules_version, strlen(rules_version));
    return (uint16_t)st->n_rules++;
}

uint32_t
cq_state_find_key(const cq_state_t *st, const char *key, size_t n)
{
    uint64_t h = cq_htab_fix(cq_strhash(key, n));
    for (size_t i = cq_htab_first(&st->key_index, h); i != CQ_HTAB_END;
         i = cq_htab_next(&st->key_index, h, i)) {
        uint32_t r = st->key_index.slots[i].v;
        const char *k = st->recs[r].key;
        if (strncmp(k, key, n) == 0 && k[n] == '\0')
            return r;
    }
    return CQ_STATE_NONE;
}

uint32_t
cq_state_find_lineage(const cq_state_t *st, const char *lin, size_t n)
{
    //  the claim as sent first ("|1"), else a replacement sent under this
    //  claim_id ("|7"); then the replacements that replaced it
    char key[CQ_KEY_LEN + 4];
    if (n + 3 > sizeof key)
        return CQ_STATE_NONE;
    memcpy(key, lin, n);
    key[n] = '|';
    key[n + 1] = '1';
    key[n + 2] = '\0';
    uint32_t r = cq_state_find_key(st, key, n + 2);
    if (r == CQ_STATE_NONE) {
        key[n + 1] = '7';
        r = cq_state_find_key(st, key, n + 2);
    }
    if (r == CQ_STATE_NONE)
        return r;
    //  replaced_by always points to a later record: no cycles
    while (st->recs[r].replaced_by != CQ_STATE_NONE)
        r = st->recs[r].replaced_by;
    return r;
}

static uint64_t
s_dup_hash(uint32_t member, int32_t date, uint32_t proc)
{
    return cq_htab_fix(
        cq_mix64(((uint64_t)member << 32) | proc, (uint64_t)(uint32_t)date));
}

static uint64_t
s_freq_hash(uint32_t member, uint32_t proc)
{
    return cq_htab_fix(cq_mix64(((uint64_t)member << 32) | proc, 0x5eed));
}

//  Slot of the dup / freq index entry whose newest row matches, or END.
static size_t
s_dup_slot(const cq_state_t *st, uint32_t member, int32_t date, uint32_t proc,
           uint64_t h)
{
    for (size_t i = cq_htab_first(&st->dup_index, h); i != CQ_HTAB_END;
         i = cq_htab_next(&st->dup_index, h, i)) {
        const cq_hist_t *x = &st->hist[st->dup_index.slots[i].v];
        if (x->member == member && x->date == date && x->proc == proc)
            return i;
    }
    return CQ_HTAB_END;
}

static size_t
s_freq_slot(const cq_state_t *st, uint32_t member, uint32_t proc, uint64_t h)
{
    for (size_t i = cq_htab_first(&st->freq_index, h); i != CQ_HTAB_END;
         i = cq_htab_next(&st->freq_index, h, i)) {
        const cq_hist_t *x = &st->hist[st->freq_index.slots[i].v];
        if (x->member == member && x->proc == proc)
            return i;
    }
    return CQ_HTAB_END;
}

uint32_t
cq_state_dup_head(const cq_state_t *st, uint32_t member, int32_t date,
                  uint32_t proc)
{
    size_t i =
        s_dup_slot(st, member, date, proc, s_dup_hash(member, date, proc));
    return i == CQ_HTAB_END ? CQ_STATE_NONE : st->dup_index.slots[i].v;
}

void
cq_state_dup_prefetch(const cq_state_t *st, uint32_t member, int32_t date,
                      uint32_t proc)
{
    __builtin_prefetch(
        cq_htab_home(&st->dup_index, s_dup_hash(member, date, proc)));
}

uint32_t
cq_state_freq_head(const cq_state_t *st, uint32_t member, uint32_t proc)
{
    size_t i = s_freq_slot(st, member, proc, s_freq_hash(member, proc));
    return i == CQ_HTAB_END ? CQ_STATE_NONE : st->freq_index.slots[i].v;
}

static uint64_t
s_acc_hash(uint32_t member, uint32_t plan, int32_t py)
{
    return cq_htab_fix(
        cq_mix64(((uint64_t)member << 32) | plan, (uint64_t)(uint32_t)py));
}

uint32_t
cq_state_acc_find(const cq_state_t *st, uint32_t member, uint32_t plan,
                  int32_t py_start)
{
    uint64_t h = s_acc_hash(member, plan, py_start);
    for (size_t i = cq_htab_first(&st->acc_index, h); i != CQ_HTAB_END;
         i = cq_htab_next(&st->acc_index, h, i)) {
        const cq_acc_t *a = &st->accs[st->acc_index.slots[i].v];
        if (a->member == member && a->plan == plan && a->py_start == py_start)
            return st->acc_index.slots[i].v;
    }
    return CQ_STATE_NONE;
}

static uint32_t
s_acc_add(cq_state_t *st, uint32_t member, uint32_t plan, int32_t py)
{
    uint32_t a = cq_state_acc_find(st, member, plan, py);
    if (a != CQ_STATE_NONE)
        return a;
    if (st->n_accs == st->cap_accs) {
        st->cap_accs = st->cap_accs ? st->cap_accs * 2 : 1024;
        st->accs = cq_big_realloc(st->accs, st->cap_accs * sizeof *st->accs);
    }
    a = (uint32_t)st->n_accs++;
    cq_acc_t *acc = &st->accs[a];
    acc->member = member;
    acc->plan = plan;
    acc->py_start = py;
    acc->ded = 0;
    acc->oop = 0;
    cq_htab_add(&st->acc_index, s_acc_hash(member, plan, py), a);
    return a;
}

uint32_t
cq_state_rec_by_seq(const cq_state_t *st, int64_t seq)
{
    size_t lo = 0, hi = st->n_recs;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (st->recs[mid].seq < seq)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < st->n_recs && st->recs[lo].seq == seq ? (uint32_t)lo
                                                      : CQ_STATE_NONE;
}

int
cq_state_get(cq_state_t *st, uint32_t rec, cq_decision_t *d)
{
    assert(rec < st->n_recs);
    const cq_rec_t *r = &st->recs[rec];
    int rc;
    if (r->body != NULL)
        rc = cq_decision_unpack(r->body, r->body_len, d);
    else if (st->hooks.load != NULL)
        rc = st->hooks.load(st->hooks.arg, r, d);
    else
        rc = CQ_ENOTFOUND;
    if (rc != 0)
        return rc;
    if (r->rules < st->n_rules)
        cq_strlcpy(d->rules_version, st->rules[r->rules],
                   sizeof d->rules_version);
    d->ledger_seq = r->seq;
    return 0;
}

//  ---- updates -------------------------------------------------------------

void
cq_state_apply(cq_state_t *st, const cq_state_entry_t *e, int64_t seq,
               cq_outcome_t outcome, char freq, uint16_t rules,
               const cq_decision_t *d)
{
    if (st->n_recs == st->cap_recs) {
        st->cap_recs = st->cap_recs ? st->cap_recs * 2 : 4096;
        st->recs = cq_big_realloc(st->recs, st->cap_recs * sizeof *st->recs);
    }
    uint32_t idx = (uint32_t)st->n_recs++;
    cq_rec_t *r = &st->recs[idx];
    size_t klen = strlen(e->key);
    memset(r, 0, sizeof *r);
    r->seq = seq;
    r->key = cq_arena_strndup(&st->arena, e->key, klen);
    r->outcome = (uint8_t)outcome;
    r->freq = freq;
    r->rules = rules;
    r->replaced_by = CQ_STATE_NONE;
    if (st->keep_bodies && d != NULL) {
        cq_buf_t *buf = &st->pack_buf;
        cq_buf_reset(buf);
        if (cq_decision_pack(d, buf) == 0) {
            void *p = cq_arena_alloc(&st->arena, buf->len);
            memcpy(p, buf->data, buf->len);
            r->body = p;
            r->body_len = (uint32_t)buf->len;
        }
    }
    if (e->index_key) {
        uint64_t h = cq_htab_fix(cq_strhash(e->key, klen));
        bool moved = false;
        if (e->supersedes1 != 0) {
            //  the pend's slot now names this decision
            for (size_t i = cq_htab_first(&st->key_index, h); i != CQ_HTAB_END;
                 i = cq_htab_next(&st->key_index, h, i))
                if (st->key_index.slots[i].v == e->supersedes1 - 1) {
                    st->key_index.slots[i].v = idx;
                    moved = true;
                    break;
                }
        }
        if (!moved)
            cq_htab_add(&st->key_index, h, idx);
    }

    if (e->reverses != CQ_STATE_NONE && e->reverses < idx) {
        cq_rec_t *o = &st->recs[e->reverses];
        o->reversed = true;
        for (uint32_t i = o->first_hist; i < o->first_hist + o->n_hist; i++) {
            cq_hist_t *h = &st->hist[i];
            if (!h->active)
                continue;
            h->active = false;
            st->accs[h->acc].ded -= h->ded;
            st->accs[h->acc].oop -= h->oop;
        }
    }

    r->first_hist = (uint32_t)st->n_hist;
    r->n_hist = (uint32_t)e->n_lines;
    for (size_t i = 0; i < e->n_lines; i++) {
        const cq_state_line_t *l = &e->lines[i];
        if (st->n_hist == st->cap_hist) {
            st->cap_hist = st->cap_hist ? st->cap_hist * 2 : 4096;
            st->hist =
                cq_big_realloc(st->hist, st->cap_hist * sizeof *st->hist);
        }
        uint32_t hi = (uint32_t)st->n_hist++;
        cq_hist_t *h = &st->hist[hi];
        h->member = l->member_id != CQ_STATE_NONE
                        ? l->member_id
                        : cq_intern_add(&st->members, &st->arena, l->member_key,
                                        strlen(l->member_key));
        h->npi =
            l->npi_id != CQ_STATE_NONE
                ? l->npi_id
                : cq_intern_add(&st->codes, &st->arena, l->npi, strlen(l->npi));
        h->proc = l->proc_id != CQ_STATE_NONE
                      ? l->proc_id
                      : cq_intern_add(&st->codes, &st->arena, l->proc,
                                      strlen(l->proc));
        uint32_t plan = l->plan_id != CQ_STATE_NONE
                            ? l->plan_id
                            : cq_intern_add(&st->codes, &st->arena, l->plan,
                                            strlen(l->plan));
        h->rec = idx;
        h->date = l->date;
        h->mods = l->mods;
        h->charge = l->charge;
        h->ded = l->ded;
        h->oop = l->copay + l->ded + l->coins;
        h->active = true;
        uint32_t hint = l->acc_hint;
        if (hint < st->n_accs && st->accs[hint].member == h->member &&
            st->accs[hint].plan == plan &&
            st->accs[hint].py_start == l->py_start)
            h->acc = hint;
        else
            h->acc = s_acc_add(st, h->member, plan, l->py_start);
        st->accs[h->acc].ded += h->ded;
        st->accs[h->acc].oop += h->oop;
        //  chain the row in front of its (member, date, proc) and
        //  (member, proc) lists
        uint64_t dh = s_dup_hash(h->member, h->date, h->proc);
        size_t ds = s_dup_slot(st, h->member, h->date, h->proc, dh);
        if (ds == CQ_HTAB_END) {
            h->next_dup = CQ_STATE_NONE;
            cq_htab_add(&st->dup_index, dh, hi);
        } else {
            h->next_dup = st->dup_index.slots[ds].v;
            st->dup_index.slots[ds].v = hi;
        }
        h->next_freq = CQ_STATE_NONE;
        if (l->track_freq) {
            uint64_t fh = s_freq_hash(h->member, h->proc);
            size_t fs = s_freq_slot(st, h->member, h->proc, fh);
            if (fs == CQ_HTAB_END) {
                cq_htab_add(&st->freq_index, fh, hi);
            } else {
                h->next_freq = st->freq_index.slots[fs].v;
                st->freq_index.slots[fs].v = hi;
            }
        }
    }
    if (e->replaces != CQ_STATE_NONE && e->replaces < idx)
        st->recs[e->replaces].replaced_by = idx;
    if (seq >= st->next_seq)
        st->next_seq = seq + 1;
}

int
cq_state_record(cq_state_t *st, cq_decision_t *d, const cq_state_entry_t *e)
{
    d->ledger_seq = st->persist ? st->next_seq : 0;
    if (st->persist && st->hooks.record != NULL) {
        int rc = st->hooks.record(st->hooks.arg, st, d, e);
        if (rc != 0) {
            d->ledger_seq = 0;
            return rc;
        }
    }
    uint16_t rules = cq_state_rules_id(st, d->rules_version);
    cq_state_apply(st, e, d->ledger_seq, d->decision, d->frequency, rules, d);
    return 0;
}

//  ---- packed decisions ----------------------------------------------------
//  Layout (version 1): strings as u8 length + bytes; integers as zigzag
//  LEB128 varints. No rules_version (the record keeps its index).

//  Writers into a buffer known to be big enough (cq_decision_pack reserves
//  the largest possible size first).
static uint8_t *
s_put_u(uint8_t *w, uint64_t v)
{
    while (v >= 0x80) {
        *w++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *w++ = (uint8_t)v;
    return w;
}

static uint8_t *
s_put_i(uint8_t *w, int64_t v)
{
    return s_put_u(w, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

static uint8_t *
s_put_s(uint8_t *w, const char *s, size_t cap)
{
    //  short strings: a loop beats strnlen + memcpy calls
    size_t max = cap - 1 < 255 ? cap - 1 : 255, n = 0;
    uint8_t *len = w++;
    while (n < max && s[n] != '\0') {
        w[n] = (uint8_t)s[n];
        n++;
    }
    *len = (uint8_t)n;
    return w + n;
}

//  The most bytes a packed decision can take.
#define S_VARINT 10
#define S_PACK_MAX                                                             \
    (4 + 5 * 256 + 6 * S_VARINT + S_VARINT +                                   \
     CQ_MAX_ADJ * (S_VARINT + 3 + 6 + S_VARINT) + S_VARINT +                   \
     CQ_MAX_REASONS * (S_VARINT + 3 + 6 + 8 + 160) + S_VARINT +                \
     CQ_MAX_LINES * (4 * S_VARINT) + CQ_ID_LEN + 3 * S_VARINT +                \
     CQ_REVIEW_AUDIT_LEN)

int
cq_decision_pack(const cq_decision_t *d, cq_buf_t *b)
{
    //  reserve the worst case once, then write without checks
    size_t start = b->len;
    if (b->cap < start + S_PACK_MAX + 1) {
        if (cq_buf_add(b, "", 0) != 0 || start + S_PACK_MAX + 1 > b->max)
            return CQ_ETOOBIG;
        size_t cap = b->cap ? b->cap : 256;
        while (cap < start + S_PACK_MAX + 1)
            cap *= 2;
        b->data = cq_xrealloc(b->data, cap);
        b->cap = cap;
    }
    uint8_t *w = (uint8_t *)b->data + start;
    //  version 2: a decision that supersedes a pend (claimq review) has a
    //  trailer with the pend's node and row and the audit text
    bool sup = d->supersedes_seq > 0 || d->review_audit[0] != '\0';
    *w++ = sup ? 2 : 1;
    *w++ = (uint8_t)d->frequency;
    *w++ = (uint8_t)d->decision;
    *w++ = (uint8_t)d->source;
    w = s_put_s(w, d->claim_id, sizeof d->claim_id);
    w = s_put_s(w, d->payer_id, sizeof d->payer_id);
    w = s_put_s(w, d->billing_npi, sizeof d->billing_npi);
    w = s_put_s(w, d->batch_id, sizeof d->batch_id);
    w = s_put_s(w, d->node, sizeof d->node);
    w = s_put_i(w, d->ocr_confidence);
    w = s_put_i(w, d->billed);
    w = s_put_i(w, d->allowed);
    w = s_put_i(w, d->paid);
    w = s_put_i(w, d->patient_resp);
    size_t na = d->n_adj <= CQ_MAX_ADJ ? d->n_adj : CQ_MAX_ADJ;
    w = s_put_u(w, na);
    for (size_t i = 0; i < na; i++) {
        const cq_adjustment_t *a = &d->adj[i];
        w = s_put_u(w, a->line);
        w = s_put_s(w, a->group, sizeof a->group);
        w = s_put_s(w, a->code, sizeof a->code);
        w = s_put_i(w, a->amount);
    }
    size_t nr = d->n_reasons <= CQ_MAX_REASONS ? d->n_reasons : CQ_MAX_REASONS;
    w = s_put_u(w, nr);
    for (size_t i = 0; i < nr; i++) {
        const cq_reason_t *r = &d->reasons[i];
        w = s_put_u(w, r->line);
        w = s_put_s(w, r->group, sizeof r->group);
        w = s_put_s(w, r->carc, sizeof r->carc);
        w = s_put_s(w, r->rarc, sizeof r->rarc);
        w = s_put_s(w, r->message, sizeof r->message);
    }
    size_t nl = d->n_lines <= CQ_MAX_LINES ? d->n_lines : CQ_MAX_LINES;
    w = s_put_u(w, nl);
    for (size_t i = 0; i < nl; i++) {
        const cq_line_result_t *l = &d->lines[i];
        w = s_put_i(w, l->billed);
        w = s_put_i(w, l->allowed);
        w = s_put_i(w, l->paid);
        w = s_put_u(w, l->denied);
    }
    if (sup) {
        w = s_put_s(w, d->supersedes_node, sizeof d->supersedes_node);
        w = s_put_i(w, d->supersedes_seq);
        size_t na2 = strnlen(d->review_audit, sizeof d->review_audit - 1);
        w = s_put_u(w, na2);
        memcpy(w, d->review_audit, na2);
        w += na2;
    }
    b->len = (size_t)(w - (uint8_t *)b->data);
    assert(b->len - start <= S_PACK_MAX);
    b->data[b->len] = '\0';
    return 0;
}

typedef struct {
    const uint8_t *p, *end;
    int err;
} s_rd_t;

static uint64_t
s_get_u(s_rd_t *r)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (r->p >= r->end) {
            r->err = CQ_EPROTO;
            return 0;
        }
        uint8_t c = *r->p++;
        v |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80))
            return v;
    }
    r->err = CQ_EPROTO;
    return 0;
}

static int64_t
s_get_i(s_rd_t *r)
{
    uint64_t u = s_get_u(r);
    return (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
}

static void
s_get_s(s_rd_t *r, char *out, size_t cap)
{
    out[0] = '\0';
    if (r->err || r->p >= r->end) {
        r->err = CQ_EPROTO;
        return;
    }
    size_t n = *r->p++;
    if (n >= cap || (size_t)(r->end - r->p) < n) {
        r->err = CQ_EPROTO;
        return;
    }
    memcpy(out, r->p, n);
    out[n] = '\0';
    r->p += n;
}

int
cq_decision_unpack(const void *p, size_t n, cq_decision_t *d)
{
    s_rd_t r = {p, (const uint8_t *)p + n, 0};
    if (n < 4 || (r.p[0] != 1 && r.p[0] != 2))
        return CQ_EPROTO;
    bool sup = r.p[0] == 2;
    d->frequency = (char)r.p[1];
    d->decision = (cq_outcome_t)r.p[2];
    d->source = (cq_source_t)r.p[3];
    if (d->decision > CQ_DECISION_PEND || d->source > CQ_SOURCE_OCR)
        return CQ_EPROTO;
    r.p += 4;
    s_get_s(&r, d->claim_id, sizeof d->claim_id);
    s_get_s(&r, d->payer_id, sizeof d->payer_id);
    s_get_s(&r, d->billing_npi, sizeof d->billing_npi);
    s_get_s(&r, d->batch_id, sizeof d->batch_id);
    s_get_s(&r, d->node, sizeof d->node);
    d->ocr_confidence = (int)s_get_i(&r);
    d->billed = s_get_i(&r);
    d->allowed = s_get_i(&r);
    d->paid = s_get_i(&r);
    d->patient_resp = s_get_i(&r);
    uint64_t na = s_get_u(&r);
    if (na > CQ_MAX_ADJ)
        return CQ_EPROTO;
    d->n_adj = (uint16_t)na;
    for (size_t i = 0; i < na && !r.err; i++) {
        cq_adjustment_t *a = &d->adj[i];
        a->line = (uint8_t)s_get_u(&r);
        s_get_s(&r, a->group, sizeof a->group);
        s_get_s(&r, a->code, sizeof a->code);
        a->amount = s_get_i(&r);
    }
    uint64_t nr = s_get_u(&r);
    if (nr > CQ_MAX_REASONS)
        return CQ_EPROTO;
    d->n_reasons = (uint16_t)nr;
    for (size_t i = 0; i < nr && !r.err; i++) {
        cq_reason_t *x = &d->reasons[i];
        x->line = (uint8_t)s_get_u(&r);
        s_get_s(&r, x->group, sizeof x->group);
        s_get_s(&r, x->carc, sizeof x->carc);
        s_get_s(&r, x->rarc, sizeof x->rarc);
        s_get_s(&r, x->message, sizeof x->message);
    }
    uint64_t nl = s_get_u(&r);
    if (nl > CQ_MAX_LINES)
        return CQ_EPROTO;
    d->n_lines = (uint8_t)nl;
    for (size_t i = 0; i < nl && !r.err; i++) {
        cq_line_result_t *l = &d->lines[i];
        l->billed = s_get_i(&r);
        l->allowed = s_get_i(&r);
        l->paid = s_get_i(&r);
        l->denied = s_get_u(&r) != 0;
    }
    d->supersedes_node[0] = '\0';
    d->supersedes_seq = 0;
    d->review_audit[0] = '\0';
    if (sup && !r.err) {
        s_get_s(&r, d->supersedes_node, sizeof d->supersedes_node);
        d->supersedes_seq = s_get_i(&r);
        uint64_t na2 = s_get_u(&r);
        if (r.err || na2 >= sizeof d->review_audit ||
            (uint64_t)(r.end - r.p) < na2)
            return CQ_EPROTO;
        memcpy(d->review_audit, r.p, (size_t)na2);
        d->review_audit[na2] = '\0';
        r.p += na2;
    }
    if (r.err || r.p != r.end)
        return CQ_EPROTO;
    d->rules_version[0] = '\0';
    d->ledger_seq = 0;
    return 0;
}
