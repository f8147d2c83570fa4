//  test_gen.c: the synthetic data generator (common/gen.h).
#include "claim_json.h"
#include "date.h"
#include "gen.h"

#include <criterion/criterion.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define S_CLAIMS 3000
#define S_MEMBERS 300

static cq_gen_t *
s_gen(uint64_t seed, size_t claims, size_t members)
{
    cq_gen_opts_t o;
    cq_gen_opts_default(&o);
    o.seed = seed;
    o.n_claims = claims;
    o.n_members = members;
    cq_gen_t *g = cq_gen_new(&o);
    cr_assert_not_null(g);
    return g;
}

// ---------------------------------------------------------------------------
// The roster and plan, read back with jansson (an independent reader).

typedef struct {
    char id[16];
    char last[64];
    int32_t dob;
    int plan; // index in s_plan_ids
    int n;    // coverage periods
    int32_t start[2], end[2];
} s_mem_t;

static const char *s_plan_ids[] = {"GOLD-PPO", "SILVER-HMO", "BRONZE-POS"};

typedef struct {
    s_mem_t *m;
    size_t n;
    int tf[3];           // timely filing days per plan
    bool oon_null[3];    // out_of_network is null
    char npi[64][11];    // providers
    bool in_network[64]; //
    size_t n_prov;
} s_world_t;

static int32_t
s_day(const char *s)
{
    int32_t d = CQ_DATE_NONE;
    if (s)
        cr_assert_eq(cq_date_parse(s, strlen(s), &d), 0, "%s", s);
    return d;
}

static s_mem_t *
s_find(s_world_t *w, const char *id)
{
    for (size_t i = 0; i < w->n; i++)
        if (strcmp(w->m[i].id, id) == 0)
            return &w->m[i];
    return NULL;
}

static void
s_load_world(cq_gen_t *g, s_world_t *w)
{
    memset(w, 0, sizeof *w);
    cq_buf_t b;
    cq_buf_init(&b, 1 << 26);
    cr_assert_eq(cq_gen_members_jsonl(g, &b), 0);
    w->m = calloc(cq_gen_n_members(g), sizeof *w->m);
    char *line = b.data;
    while (*line) {
        char *eol = strchr(line, '\n');
        cr_assert_not_null(eol, "roster rows end with a newline");
        json_error_t e;
        json_t *r = json_loadb(line, (size_t)(eol - line), 0, &e);
        cr_assert_not_null(r, "%s", e.text);
        const char *id = json_string_value(json_object_get(r, "member_id"));
        cr_assert(strlen(id) == 10 && strncmp(id, "W1", 2) == 0, "%s", id);
        s_mem_t *m = s_find(w, id);
        if (m == NULL) {
            m = &w->m[w->n++];
            strcpy(m->id, id);
            strcpy(m->last, json_string_value(json_object_get(r, "last_name")));
            m->dob = s_day(json_string_value(json_object_get(r, "birth_date")));
            const char *plan = json_string_value(json_object_get(r, "plan_id"));
            m->plan = -1;
            for (int k = 0; k < 3; k++)
                if (strcmp(plan, s_plan_ids[k]) == 0)
                    m->plan = k;
            cr_assert_geq(m->plan, 0);
        }
        cr_assert_lt(m->n, 2);
        m->start[m->n] =
            s_day(json_string_value(json_object_get(r, "coverage_start")));
        m->end[m->n] =
            s_day(json_string_value(json_object_get(r, "coverage_end")));
        m->n++;
        cr_assert_str_eq(json_string_value(json_object_get(r, "payer_id")),
                         "ACME");
        json_decref(r);
        line = eol + 1;
    }
    cr_assert_eq(w->n, cq_gen_n_members(g));
    cq_buf_reset(&b);
    cr_assert_eq(cq_gen_plan_json(g, &b), 0);
    json_error_t e;
    json_t *plan = json_loadb(b.data, b.len, 0, &e);
    cr_assert_not_null(plan, "%s", e.text);
    json_t *provs = json_object_get(plan, "providers");
    for (size_t i = 0; i < json_array_size(provs); i++) {
        json_t *p = json_array_get(provs, i);
        strcpy(w->npi[w->n_prov], json_string_value(json_object_get(p, "npi")));
        w->in_network[w->n_prov++] =
            json_is_true(json_object_get(p, "in_network"));
    }
    json_t *plans = json_object_get(plan, "plans");
    cr_assert_eq(json_array_size(plans), 3);
    for (int k = 0; k < 3; k++) {
        json_t *p = json_array_get(plans, (size_t)k);
        cr_assert_str_eq(json_string_value(json_object_get(p, "plan_id")),
                         s_plan_ids[k]);
        w->tf[k] =
            (int)json_integer_value(json_object_get(p, "timely_filing_days"));
        w->oon_null[k] = json_is_null(json_object_get(p, "out_of_network"));
        json_t *fees = json_object_get(p, "fee_schedule");
        cr_assert_not_null(json_object_get(fees, "70553"));
        cr_assert_null(json_object_get(fees, "99499"));
        cr_assert_str_eq(json_string_value(
                             json_array_get(json_object_get(p, "excluded"), 0)),
                         "S9999");
    }
    json_decref(plan);
    cq_buf_free(&b);
}

static bool
s_covered(const s_mem_t *m, int32_t day)
{
    for (int k = 0; k < m->n; k++)
        if (day >= m->start[k] &&
            (m->end[k] == CQ_DATE_NONE || day <= m->end[k]))
            return true;
    return false;
}

static bool
s_has(const cq_claim_t *c, const char *code)
{
    for (int i = 0; i < c->n_lines; i++)
        if (strcmp(c->lines[i].procedure, code) == 0)
            return true;
    return false;
}

// ---------------------------------------------------------------------------

typedef struct {
    cq_claim_t *c;
    int n;
} s_one_t;

static int
s_keep(void *arg, cq_claim_t *c)
{
    s_one_t *o = arg;
    memcpy(o->c, c, sizeof *c);
    o->n++;
    return 0;
}

Test(gen, every_claim_is_valid_and_round_trips)
{
    cq_gen_t *g = s_gen(7, S_CLAIMS, S_MEMBERS);
    cq_claim_t *c = malloc(sizeof *c), *back = malloc(sizeof *back);
    cq_buf_t b;
    cq_buf_init(&b, 1 << 20);
    for (size_t i = 0; i < S_CLAIMS; i++) {
        cq_gen_claim(g, i, c);
        cq_buf_reset(&b);
        cr_assert_eq(cq_claim_to_json(c, &b), 0);
        s_one_t o = {back, 0};
        cr_assert_eq(cq_claim_json_parse(b.data, b.len, s_keep, &o, NULL), 1);
        cr_assert_not(back->invalid, "claim %zu: %s\n%s", i, back->invalid_msg,
                      b.data);
        cr_assert(cq_claim_equal(back, c),
                  "claim %zu differs after a round trip", i);
    }
    cq_buf_free(&b);
    free(c);
    free(back);
    cq_gen_destroy(&g);
    cr_assert_null(g);
}

Test(gen, deterministic_for_a_seed)
{
    cq_gen_t *a = s_gen(42, 500, 100), *b = s_gen(42, 500, 100),
             *other = s_gen(43, 500, 100);
    cq_buf_t ja, jb, jo;
    cq_buf_init(&ja, 1 << 24);
    cq_buf_init(&jb, 1 << 24);
    cq_buf_init(&jo, 1 << 24);
    cr_assert_eq(cq_gen_claims_jsonl(a, &ja), 0);
    cr_assert_eq(cq_gen_claims_jsonl(b, &jb), 0);
    cr_assert_eq(cq_gen_claims_jsonl(other, &jo), 0);
    cr_assert_eq(ja.len, jb.len);
    cr_assert_eq(memcmp(ja.data, jb.data, ja.len), 0);
    cr_assert(ja.len != jo.len || memcmp(ja.data, jo.data, ja.len) != 0);
    //  Claim i is the same whatever order claims are made in.
    cq_claim_t *x = malloc(sizeof *x), *y = malloc(sizeof *y);
    for (size_t i = 500; i-- > 0;) {
        cq_gen_claim(a, i, x);
        cq_gen_claim(b, i, y);
        cr_assert(cq_claim_equal(x, y));
    }
    //  Plan and roster too.
    cq_buf_reset(&ja);
    cq_buf_reset(&jb);
    cq_gen_plan_json(a, &ja);
    cq_gen_members_jsonl(a, &ja);
    cq_gen_plan_json(b, &jb);
    cq_gen_members_jsonl(b, &jb);
    cr_assert_str_eq(ja.data, jb.data);
    free(x);
    free(y);
    cq_buf_free(&ja);
    cq_buf_free(&jb);
    cq_buf_free(&jo);
    cq_gen_destroy(&a);
    cq_gen_destroy(&b);
    cq_gen_destroy(&other);
}

Test(gen, each_kind_is_what_it_says)
{
    cq_gen_t *g = s_gen(1, S_CLAIMS, S_MEMBERS);
    s_world_t w;
    s_load_world(g, &w);
    cq_claim_t *c = malloc(sizeof *c), *ref = malloc(sizeof *ref);
    int kinds[CQ_GEN_KIND_COUNT] = {0};
    int per_member[S_MEMBERS] = {0};
    bool seen_oon = false, seen_oon_denied_plan = false;
    int codes_s9999 = 0, codes_70553 = 0, codes_d1110 = 0, codes_absent = 0;
    int32_t today = cq_gen_today(g);
    cr_assert_eq(today, s_day("2026-07-01"));
    for (size_t i = 0; i < S_CLAIMS; i++) {
        cq_gen_kind_t k = cq_gen_kind(g, i);
        kinds[k]++;
        cq_gen_claim(g, i, c);
        char want_id[16];
        snprintf(want_id, sizeof want_id, "PCN-%07zu", i + 1);
        cr_assert_str_eq(c->claim_id, want_id);
        cr_assert_eq(c->received_date, today);
        cr_assert_geq(c->n_lines, 1);
        cr_assert_leq(c->n_lines, 6);
        for (int l = 0; l < c->n_lines; l++)
            cr_assert_lt(c->lines[l].service_date, today);
        cr_assert(cq_gen_npi_valid(c->billing_npi), "%s", c->billing_npi);
        size_t p = 0;
        while (p < w.n_prov && strcmp(w.npi[p], c->billing_npi) != 0)
            p++;
        cr_assert_lt(p, w.n_prov, "provider not in the plan file");
        codes_s9999 += s_has(c, "S9999");
        codes_70553 += s_has(c, "70553");
        codes_d1110 += s_has(c, "D1110");
        codes_absent +=
            s_has(c, "99499") || s_has(c, "A9270") || s_has(c, "J3490");
        s_mem_t *m = s_find(&w, c->member.id);
        if (m) {
            per_member[m - w.m]++;
            if (!w.in_network[p]) {
                seen_oon = true;
                seen_oon_denied_plan |= w.oon_null[m->plan];
            }
        }
        bool matches = m && strcasecmp(m->last, c->member.last_name) == 0 &&
                       m->dob == c->member.birth_date;
        int32_t dos = c->lines[0].service_date;
        size_t r = cq_gen_ref(g, i);
        switch (k) {
        case CQ_GEN_NORMAL:
        case CQ_GEN_NO_PRIOR_AUTH:
            cr_assert(matches, "claim %zu: member does not match", i);
            cr_assert(s_covered(m, dos), "claim %zu: not covered", i);
            cr_assert_leq(today - dos, w.tf[m->plan]);
            cr_assert_eq(r, SIZE_MAX);
            cr_assert_eq(c->frequency, '1');
            if (k == CQ_GEN_NO_PRIOR_AUTH)
                cr_assert(s_has(c, "70553") && c->prior_auth[0] == '\0');
            else if (s_has(c, "70553"))
                cr_assert_neq(c->prior_auth[0], '\0');
            break;
        case CQ_GEN_UNKNOWN_MEMBER:
            cr_assert_null(m);
            cr_assert_eq(strncmp(c->member.id, "W9", 2), 0);
            break;
        case CQ_GEN_MISMATCH:
            cr_assert_not_null(m);
            cr_assert_not(matches, "claim %zu: should not match", i);
            break;
        case CQ_GEN_OUTSIDE_COVERAGE:
            cr_assert(matches);
            cr_assert_not(s_covered(m, dos), "claim %zu: covered", i);
            break;
        case CQ_GEN_LATE:
            cr_assert(matches);
            cr_assert(s_covered(m, dos));
            cr_assert_gt(today - dos, w.tf[m->plan], "claim %zu", i);
            break;
        case CQ_GEN_DUPLICATE:
        case CQ_GEN_VOID:
        case CQ_GEN_REPLACEMENT:
            cr_assert_eq(r, i - CQ_GEN_REF_GAP);
            cr_assert_eq(cq_gen_kind(g, r), CQ_GEN_NORMAL);
            cq_gen_claim(g, r, ref);
            cr_assert_str_eq(c->member.id, ref->member.id);
            cr_assert_str_eq(c->billing_npi, ref->billing_npi);
            if (k == CQ_GEN_DUPLICATE) {
                //  Identical but for the claim id.
                memcpy(ref->claim_id, c->claim_id, sizeof ref->claim_id);
                cr_assert(cq_claim_equal(ref, c));
            } else {
                cr_assert_eq(c->frequency, k == CQ_GEN_VOID ? '8' : '7');
                cr_assert_str_eq(c->original_claim_id, ref->claim_id);
                bool same = c->n_lines == ref->n_lines &&
                            memcmp(c->lines, ref->lines,
                                   sizeof c->lines[0] * c->n_lines) == 0;
                cr_assert_eq(same, k == CQ_GEN_VOID);
            }
            break;
        default:
            cr_assert_fail("unknown kind");
        }
    }
    for (int k = 0; k < CQ_GEN_KIND_COUNT; k++)
        cr_assert_gt(kinds[k], 3, "kind %s: only %d", cq_gen_kind_name(k),
                     kinds[k]);
    cr_assert_gt(kinds[CQ_GEN_NORMAL], S_CLAIMS * 8 / 10);
    cr_assert(seen_oon && seen_oon_denied_plan);
    cr_assert(codes_s9999 && codes_70553 > kinds[CQ_GEN_NO_PRIOR_AUTH] &&
              codes_d1110 && codes_absent);
    //  Skewed: the busiest member has many times the mean.
    int most = 0;
    for (int i = 0; i < S_MEMBERS; i++)
        most = per_member[i] > most ? per_member[i] : most;
    cr_assert_gt(most, 5 * S_CLAIMS / S_MEMBERS, "max %d", most);
    free(c);
    free(ref);
    free(w.m);
    cq_gen_destroy(&g);
}

Test(gen, names_and_ids_look_synthetic)
{
    cq_gen_t *g = s_gen(3, 200, 50);
    cq_claim_t c;
    for (size_t i = 0; i < 200; i++) {
        cq_gen_claim(g, i, &c);
        cr_assert_eq(c.member.id[0], 'W');
        cr_assert_eq(strlen(c.member.id), 10);
        cr_assert_eq(strspn(c.member.id + 1, "0123456789"), 9);
        cr_assert_eq(strncmp(c.billing_tax_id, "99", 2), 0);
    }
    cq_gen_destroy(&g);
}

Test(gen, options_are_checked)
{
    cq_gen_opts_t o;
    cq_gen_opts_default(&o);
    cr_assert_eq(o.seed, 1);
    cr_assert_eq(o.n_claims, 10000);
    cr_assert_eq(o.n_members, 1000);
    cr_assert_str_eq(o.payer_id, "ACME");
    cr_assert_eq(o.plan_year, 2026);
    o.n_members = 0;
    cr_assert_null(cq_gen_new(&o));
    o.n_members = CQ_GEN_MAX_MEMBERS + 1;
    cr_assert_null(cq_gen_new(&o));
    cq_gen_opts_default(&o);
    o.payer_id = "A|B";
    cr_assert_null(cq_gen_new(&o));
    o.payer_id = "";
    cr_assert_null(cq_gen_new(&o));
    cq_gen_opts_default(&o);
    o.today = cq_date_from_ymd(1999, 12, 31);
    cr_assert_null(cq_gen_new(&o));
    //  A given received date is every claim's, with services before it.
    cq_gen_opts_default(&o);
    o.today = cq_date_from_ymd(2026, 3, 2);
    o.n_claims = 300;
    o.n_members = 5; // tiny roster: kinds that need a shape fall back
    cq_gen_t *g = cq_gen_new(&o);
    cr_assert_not_null(g);
    cq_claim_t c;
    for (size_t i = 0; i < 300; i++) {
        cq_gen_claim(g, i, &c);
        cr_assert_eq(c.received_date, o.today);
        cr_assert_lt(c.lines[0].service_date, o.today);
        cr_assert_neq(cq_gen_kind(g, i), CQ_GEN_LATE);
    }
    cq_gen_destroy(&g);
    cq_gen_destroy(&g); // idempotent
}

Test(gen, npi_check_digit)
{
    cr_assert(cq_gen_npi_valid("1234567893"));
    cr_assert(cq_gen_npi_valid("1912301953"));
    cr_assert_not(cq_gen_npi_valid("1234567890"));
    cr_assert_not(cq_gen_npi_valid("9876543210"));
    cr_assert_not(cq_gen_npi_valid("123456789"));
    cr_assert_not(cq_gen_npi_valid("12345678933"));
    cr_assert_not(cq_gen_npi_valid("123456789X"));
    cr_assert_not(cq_gen_npi_valid(NULL));
}

Test(gen, files_are_written_whole)
{
    cq_gen_t *g = s_gen(5, 100, 20);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    cr_assert_eq(cq_gen_write_claims(g, f), 0);
    fclose(f);
    cq_buf_t b;
    cq_buf_init(&b, 1 << 22);
    cq_gen_claims_jsonl(g, &b);
    cr_assert_eq(len, b.len);
    cr_assert_eq(memcmp(buf, b.data, len), 0);
    free(buf);
    f = open_memstream(&buf, &len);
    cr_assert_eq(cq_gen_write_members(g, f), 0);
    cr_assert_eq(cq_gen_write_plan(g, f), 0);
    fclose(f);
    cq_buf_reset(&b);
    cq_gen_members_jsonl(g, &b);
    cq_gen_plan_json(g, &b);
    cr_assert_eq(len, b.len);
    cr_assert_eq(memcmp(buf, b.data, len), 0);
    free(buf);
    cq_buf_free(&b);
    cq_gen_destroy(&g);
    cr_assert_str_eq(cq_gen_kind_name(CQ_GEN_VOID), "void");
    cr_assert_str_eq(cq_gen_kind_name(CQ_GEN_KIND_COUNT), "unknown");
}
