//  gen.c: deterministic synthetic plan, roster and claims (see gen.h).
//
//  Every value is drawn from a counter-based generator keyed by (seed,
//  stream, index), so claim i needs no state from claims before it. Kinds
//  that copy or name an earlier claim (duplicate, void, replacement) use
//  claim i - CQ_GEN_REF_GAP, and only when that claim was drawn "normal":
//  each original is named at most once, and always earlier in the file.
#include "gen.h"
#include "claim_json.h"
#include "date.h"
#include "err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// ---------------------------------------------------------------------------
// Counter-based random numbers (splitmix64)

enum {
    S_STREAM_KIND = 1,
    S_STREAM_CLAIM = 2,
    S_STREAM_MEMBER = 3,
    S_STREAM_PROVIDER = 4,
};

typedef struct {
    uint64_t s; // state
} s_rng_t;

static uint64_t
s_mix(uint64_t z)
{
    z ^= z >> 30;
    z *= UINT64_C(0xbf58476d1ce4e5b9);
    z ^= z >> 27;
    z *= UINT64_C(0x94d049bb133111eb);
    z ^= z >> 31;
    return z;
}

static s_rng_t
s_rng(uint64_t seed, uint64_t stream, uint64_t i)
{
    s_rng_t r = {s_mix(seed * UINT64_C(0x9E3779B97F4A7C15) ^
                       s_mix(stream * UINT64_C(0xD1B54A32D192ED03) + i))};
    return r;
}

static uint64_t
s_next(s_rng_t *r)
{
    r->s += UINT64_C(0x9E3779B97F4A7C15);
    return s_mix(r->s);
}

//  Uniform in [0, n), n >= 1.
static uint32_t
s_below(s_rng_t *r, uint32_t n)
{
    return (uint32_t)(((s_next(r) >> 32) * (uint64_t)n) >> 32);
}

//  Index drawn from integer weights.
static size_t
s_weighted(s_rng_t *r, const uint16_t *w, size_t n)
{
    uint32_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += w[i];
    uint32_t x = s_below(r, total);
    for (size_t i = 0; i < n; i++) {
        if (x < w[i])
            return i;
        x -= w[i];
    }
    return n - 1;
}

// ---------------------------------------------------------------------------
// Reference data

//  Procedure codes and their fee schedule.
enum {
    C_99213,
    C_99214,
    C_99203,
    C_90834,
    C_D1110,
    C_81002,
    C_80053,
    C_85025,
    C_36415,
    C_97110,
    C_71046,
    C_73030,
    C_70553,
    C_S9999,
    C_99499,
    C_A9270,
    C_J3490,
    C_COUNT
};

typedef struct {
    const char *code; // CPT / HCPCS / CDT
    int64_t fee;      // fee schedule, cents; -1: not in the schedule
    int64_t list;     // price billed for a code not in the schedule
    uint8_t max_units;
} s_code_t;

static const s_code_t s_codes[C_COUNT] = {
    [C_99213] = {"99213", 9000, 0, 1},
    [C_99214] = {"99214", 13000, 0, 1},
    [C_99203] = {"99203", 11000, 0, 1},
    [C_90834] = {"90834", 10000, 0, 1},
    [C_D1110] = {"D1110", 8500, 0, 1},
    [C_81002] = {"81002", 800, 0, 1},
    [C_80053] = {"80053", 1400, 0, 1},
    [C_85025] = {"85025", 1000, 0, 1},
    [C_36415] = {"36415", 300, 0, 1},
    [C_97110] = {"97110", 3200, 0, 4},
    [C_71046] = {"71046", 3000, 0, 1},
    [C_73030] = {"73030", 2800, 0, 1},
    [C_70553] = {"70553", 42000, 0, 1},
    [C_S9999] = {"S9999", 5000, 0, 1}, // in the schedule, but excluded
    [C_99499] = {"99499", -1, 15000, 1},
    [C_A9270] = {"A9270", -1, 4500, 1},
    [C_J3490] = {"J3490", -1, 2500, 1},
};

//  The visit's main service (or none: labs / imaging only).
static const uint8_t s_primary[] = {C_99213, C_99214, C_99203,
                                    C_90834, C_D1110, C_COUNT};
static const uint16_t s_primary_w[] = {40, 22, 8, 6, 5, 19};
static const uint8_t s_ancillary[] = {C_81002, C_80053, C_85025, C_36415,
                                      C_97110, C_71046, C_73030, C_70553,
                                      C_S9999, C_99499, C_A9270, C_J3490};
static const uint16_t s_ancillary_w[] = {24, 20, 24, 28, 20, 16,
                                         14, 4,  4,  2,  2,  2};
static const uint16_t s_nlines_w[] = {35, 25, 18, 10, 7, 5}; // 1..6 lines

typedef struct {
    const char *id;    // plan_id
    int timely_filing; // days
    const char *deductible, *oop_max, *coinsurance;
    const char *oon;        // out_of_network JSON (or "null")
    int64_t copay[C_COUNT]; // cents; 0 = none
    uint16_t weight;        // share of members
} s_plan_t;

static const s_plan_t s_plans[] = {
    {"GOLD-PPO",
     180,
     "500.00",
     "3000.00",
     "0.20",
     "{\"allowed_factor\": \"0.70\", \"coinsurance\": \"0.40\"}",
     {[C_99213] = 2500, [C_99214] = 4000, [C_99203] = 2500, [C_90834] = 3000},
     50},
    {"SILVER-HMO",
     90,
     "1500.00",
     "6000.00",
     "0.30",
     "null",
     {[C_99213] = 3500, [C_99214] = 5000, [C_99203] = 3500, [C_90834] = 4000},
     30},
    {"BRONZE-POS",
     365,
     "3000.00",
     "8000.00",
     "0.40",
     "{\"allowed_factor\": \"0.60\", \"coinsurance\": \"0.50\"}",
     {[C_99213] = 4500},
     20},
};
#define S_N_PLANS (sizeof s_plans / sizeof s_plans[0])

//  ICD-10-CM codes (valid, common, dotted).
static const char *const s_icd[] = {
    "E11.9", "I10",     "J06.9", "M54.50",  "Z00.00",   "R05.9", "F41.1",
    "K21.9", "J45.909", "E78.5", "M25.561", "S93.401A", "N39.0", "Z23",
    "F32.A", "G43.909", "L30.9", "R51.9",   "H10.9",    "B34.9"};

//  Obviously synthetic names.
static const char *const s_last[] = {
    "TESTCASE",  "SAMPLE", "EXAMPLE", "PLACEHOLDER", "FICTION", "DEMO",
    "SYNTHETIC", "MOCK",   "DUMMY",   "FAKESON",     "NOBODY",  "SPECIMEN",
    "PROTOTYPE", "STUB",   "TRIAL",   "PSEUDO"};
static const char *const s_first[] = {
    "ALPHA", "BRAVO",  "CHARLIE", "DELTA", "ECHO", "FOXTROT",  "GOLF",  "HOTEL",
    "INDIA", "JULIET", "KILO",    "LIMA",  "MIKE", "NOVEMBER", "OSCAR", "PAPA"};
static const char *const s_org1[] = {"SYNTHETIC", "EXAMPLE", "SAMPLE", "TEST"};
static const char *const s_org2[] = {"FAMILY PRACTICE", "MEDICAL GROUP",
                                     "CLINIC",          "IMAGING",
                                     "DENTAL",          "THERAPY"};

#define S_N_PROV 40
#define S_WINDOW 85 // normal service dates: today-85 .. today-1

// ---------------------------------------------------------------------------
// Generator

typedef struct {
    char npi[11];
    char tax_id[10];
    char name[40];
    bool in_network;
    int markup; // billed = fee * markup / 100
} s_prov_t;

//  Coverage shapes, by member index mod 25.
enum { S_COV_FULL, S_COV_TERM, S_COV_LATE_START, S_COV_GAP };

struct cq_gen {
    cq_gen_opts_t o;         // options (payer_id points at payer)
    char payer[CQ_ID_LEN];   // payer id
    int32_t today;           // received date of every claim
    int32_t origin;          // coverage start of long-standing members
    s_prov_t prov[S_N_PROV]; // billing providers
};

typedef struct {
    char id[12];
    const char *last, *first;
    int32_t dob;
    char sex;
    uint8_t plan; // index into s_plans
    uint8_t cov;  // S_COV_*
    uint8_t home; // usual provider
} s_member_t;

static char
s_luhn_digit(const char *nine)
{
    char d[15];
    memcpy(d, "80840", 5);
    memcpy(d + 5, nine, 9);
    int sum = 0;
    for (int i = 13, k = 0; i >= 0; i--, k++) {
        int v = d[i] - '0';
        if (k % 2 == 0) {
            v *= 2;
            if (v > 9)
                v -= 9;
        }
        sum += v;
    }
    return (char)('0' + (10 - sum % 10) % 10);
}

bool
cq_gen_npi_valid(const char *npi)
{
    if (npi == NULL || strlen(npi) != 10)
        return false;
    for (int i = 0; i < 10; i++)
        if (npi[i] < '0' || npi[i] > '9')
            return false;
    return s_luhn_digit(npi) == npi[9];
}

void
cq_gen_opts_default(cq_gen_opts_t *o)
{
    memset(o, 0, sizeof *o);
    o->seed = 1;
    o->n_members = 1000;
    o->n_claims = 10000;
    o->payer_id = "ACME";
    o->plan_year = 2026;
    o->today = CQ_DATE_NONE;
}

cq_gen_t *
cq_gen_new(const cq_gen_opts_t *opts)
{
    assert(opts);
    const char *payer = opts->payer_id ? opts->payer_id : "ACME";
    size_t plen = strlen(payer);
    if (opts->n_members < 1 || opts->n_members > CQ_GEN_MAX_MEMBERS ||
        opts->n_claims > CQ_GEN_MAX_CLAIMS || plen == 0 || plen >= CQ_ID_LEN ||
        opts->plan_year < 2000 || opts->plan_year > 2190)
        return NULL;
    for (size_t i = 0; i < plen; i++)
        if (payer[i] <= 0x20 || payer[i] > 0x7E || payer[i] == '|' ||
            payer[i] == '"' || payer[i] == '\\')
            return NULL;
    int32_t today = opts->today;
    if (today == CQ_DATE_NONE)
        today = cq_date_from_ymd(opts->plan_year, 7, 1);
    if (today < cq_date_from_ymd(2000, 1, 1) ||
        today > cq_date_from_ymd(2190, 12, 31))
        return NULL;

    cq_gen_t *g = cq_xcalloc(1, sizeof *g);
    g->o = *opts;
    memcpy(g->payer, payer, plen + 1);
    g->o.payer_id = g->payer;
    g->today = today;
    g->o.today = today;
    int y, m, d;
    cq_date_to_ymd(today, &y, &m, &d);
    if (opts->plan_year < y)
        y = opts->plan_year;
    //  Long-standing members are covered since two years before: late
    //  claims (up to 365 + 60 days old) fall inside their coverage.
    g->origin = cq_date_from_ymd(y - 2, 1, 1);

    s_rng_t r = s_rng(opts->seed, S_STREAM_PROVIDER, 0);
    uint32_t base = 10000000 + s_below(&r, 80000000);
    for (int p = 0; p < S_N_PROV; p++) {
        s_prov_t *pv = &g->prov[p];
        char nine[10];
        snprintf(nine, sizeof nine, "1%08u",
                 (unsigned)(base + (uint32_t)p * 104729u) % 100000000u);
        memcpy(pv->npi, nine, 9);
        pv->npi[9] = s_luhn_digit(nine);
        pv->npi[10] = '\0';
        snprintf(pv->tax_id, sizeof pv->tax_id, "99%07u",
                 (unsigned)(base / 7 + (uint32_t)p * 7919u) % 10000000u);
        snprintf(pv->name, sizeof pv->name, "%s %s %02d", s_org1[p % 4],
                 s_org2[(p / 4) % 6], p + 1);
        pv->in_network = p % 7 != 3; // about 86% in network
        pv->markup = 130 + (p * 37) % 120;
    }
    return g;
}

void
cq_gen_destroy(cq_gen_t **self_p)
{
    assert(self_p);
    free(*self_p);
    *self_p = NULL;
}

size_t
cq_gen_n_claims(const cq_gen_t *self)
{
    return self->o.n_claims;
}

size_t
cq_gen_n_members(const cq_gen_t *self)
{
    return self->o.n_members;
}

int32_t
cq_gen_today(const cq_gen_t *self)
{
    return self->today;
}

// ---------------------------------------------------------------------------
// Members

static uint8_t
s_cov_of(size_t m)
{
    switch (m % 25) {
    case 0:
    case 1:
        return S_COV_TERM;
    case 2:
    case 3:
        return S_COV_LATE_START;
    case 4:
        return S_COV_GAP;
    default:
        return S_COV_FULL;
    }
}

static void
s_member(const cq_gen_t *g, size_t m, s_member_t *out)
{
    s_rng_t r = s_rng(g->o.seed, S_STREAM_MEMBER, m);
    snprintf(out->id, sizeof out->id, "W1%08zu", (m + 1) % 100000000);
    out->last = s_last[s_below(&r, CQ_ARRAY_LEN(s_last))];
    out->first = s_first[s_below(&r, CQ_ARRAY_LEN(s_first))];
    out->dob = g->today - 2 * 365 - (int32_t)s_below(&r, 83 * 365);
    uint32_t sx = s_below(&r, 100);
    out->sex = sx < 48 ? 'F' : sx < 96 ? 'M' : 'U';
    uint16_t pw[S_N_PLANS];
    for (size_t k = 0; k < S_N_PLANS; k++)
        pw[k] = s_plans[k].weight;
    out->plan = (uint8_t)s_weighted(&r, pw, S_N_PLANS);
    out->cov = s_cov_of(m);
    out->home = (uint8_t)s_below(&r, S_N_PROV);
}

//  Coverage periods [start, end] (end CQ_DATE_NONE = open). Returns count.
static int
s_periods(const cq_gen_t *g, uint8_t cov, int32_t p[2][2])
{
    switch (cov) {
    case S_COV_TERM:
        p[0][0] = g->origin;
        p[0][1] = g->today - 40;
        return 1;
    case S_COV_LATE_START:
        p[0][0] = g->today - 30;
        p[0][1] = CQ_DATE_NONE;
        return 1;
    case S_COV_GAP:
        p[0][0] = g->origin;
        p[0][1] = g->today - 60;
        p[1][0] = g->today - 45;
        p[1][1] = CQ_DATE_NONE;
        return 2;
    default:
        p[0][0] = g->origin;
        p[0][1] = CQ_DATE_NONE;
        return 1;
    }
}

#define S_LIT(b, s) cq_buf_add((b), (s), sizeof(s) - 1)

static int
s_str(cq_buf_t *b, const char *s)
{
    return cq_json_put_string(b, s, strlen(s));
}

int
cq_gen_member_rows(const cq_gen_t *self, size_t m, cq_buf_t *out)
{
    assert(m < self->o.n_members);
    s_member_t mb;
    s_member(self, m, &mb);
    int32_t p[2][2];
    int n = s_periods(self, mb.cov, p);
    int rc = 0;
    for (int k = 0; k < n; k++) {
        rc |= S_LIT(out, "{\"member_id\": ");
        rc |= s_str(out, mb.id);
        rc |= S_LIT(out, ", \"payer_id\": ");
        rc |= s_str(out, self->payer);
        rc |= S_LIT(out, ", \"plan_id\": ");
        rc |= s_str(out, s_plans[mb.plan].id);
        rc |= S_LIT(out, ", \"last_name\": ");
        rc |= s_str(out, mb.last);
        rc |= S_LIT(out, ", \"first_name\": ");
        rc |= s_str(out, mb.first);
        rc |= S_LIT(out, ", \"birth_date\": ");
        rc |= cq_json_put_date(out, mb.dob);
        char sex[2] = {mb.sex, '\0'};
        rc |= S_LIT(out, ", \"sex\": ");
        rc |= s_str(out, sex);
        rc |= S_LIT(out, ", \"coverage_start\": ");
        rc |= cq_json_put_date(out, p[k][0]);
        rc |= S_LIT(out, ", \"coverage_end\": ");
        rc |= cq_json_put_date(out, p[k][1]);
        rc |= S_LIT(out, "}\n");
    }
    return rc ? CQ_ETOOBIG : 0;
}

int
cq_gen_members_jsonl(const cq_gen_t *self, cq_buf_t *out)
{
    for (size_t m = 0; m < self->o.n_members; m++)
        if (cq_gen_member_rows(self, m, out) != 0)
            return CQ_ETOOBIG;
    return 0;
}

// ---------------------------------------------------------------------------
// Plan

int
cq_gen_plan_json(const cq_gen_t *self, cq_buf_t *out)
{
    int rc = S_LIT(out, "{\n  \"payer_id\": ");
    rc |= s_str(out, self->payer);
    rc |= S_LIT(out, ",\n  \"providers\": [\n");
    for (int p = 0; p < S_N_PROV; p++) {
        rc |= S_LIT(out, "    {\"npi\": ");
        rc |= s_str(out, self->prov[p].npi);
        rc |= self->prov[p].in_network ? S_LIT(out, ", \"in_network\": true}")
                                       : S_LIT(out, ", \"in_network\": false}");
        rc |= p + 1 < S_N_PROV ? S_LIT(out, ",\n") : S_LIT(out, "\n");
    }
    rc |= S_LIT(out, "  ],\n  \"plans\": [");
    for (size_t k = 0; k < S_N_PLANS; k++) {
        const s_plan_t *pl = &s_plans[k];
        rc |= cq_buf_printf(out,
                            "%s\n    {\n      \"plan_id\": \"%s\",\n"
                            "      \"plan_year_start\": \"01-01\",\n"
                            "      \"timely_filing_days\": %d,\n"
                            "      \"deductible\": \"%s\",\n"
                            "      \"out_of_pocket_max\": \"%s\",\n"
                            "      \"coinsurance\": \"%s\",\n"
                            "      \"out_of_network\": %s,\n"
                            "      \"fee_schedule\": {",
                            k ? "," : "", pl->id, pl->timely_filing,
                            pl->deductible, pl->oop_max, pl->coinsurance,
                            pl->oon);
        bool first = true;
        for (int c = 0; c < C_COUNT; c++) {
            if (s_codes[c].fee < 0)
                continue;
            rc |= cq_buf_printf(out, "%s\"%s\": ", first ? "" : ", ",
                                s_codes[c].code);
            rc |= cq_json_put_money(out, s_codes[c].fee);
            first = false;
        }
        rc |= S_LIT(out, "},\n      \"copays\": {");
        first = true;
        for (int c = 0; c < C_COUNT; c++) {
            if (pl->copay[c] == 0)
                continue;
            rc |= cq_buf_printf(out, "%s\"%s\": ", first ? "" : ", ",
                                s_codes[c].code);
            rc |= cq_json_put_money(out, pl->copay[c]);
            first = false;
        }
        rc |= S_LIT(out,
                    "},\n      \"prior_auth_required\": [\"70553\"],\n"
                    "      \"frequency_limits\": [{\"procedure\": \"D1110\", "
                    "\"max\": 2, \"per\": \"plan_year\"}],\n"
                    "      \"excluded\": [\"S9999\"]\n    }");
    }
    rc |= S_LIT(out, "\n  ]\n}\n");
    return rc ? CQ_ETOOBIG : 0;
}

// ---------------------------------------------------------------------------
// Claims

//  Per 10,000 claims; the rest are normal.
static const struct {
    cq_gen_kind_t kind;
    uint16_t per10k;
} s_kind_mix[] = {
    {CQ_GEN_DUPLICATE, 200}, {CQ_GEN_UNKNOWN_MEMBER, 100},
    {CQ_GEN_MISMATCH, 100},  {CQ_GEN_OUTSIDE_COVERAGE, 150},
    {CQ_GEN_LATE, 150},      {CQ_GEN_NO_PRIOR_AUTH, 80},
    {CQ_GEN_VOID, 50},       {CQ_GEN_REPLACEMENT, 60},
};

//  The kind drawn for i, before any fallback.
static cq_gen_kind_t
s_draw_kind(const cq_gen_t *g, size_t i)
{
    s_rng_t r = s_rng(g->o.seed, S_STREAM_KIND, i);
    uint32_t x = s_below(&r, 10000);
    for (size_t k = 0; k < CQ_ARRAY_LEN(s_kind_mix); k++) {
        if (x < s_kind_mix[k].per10k)
            return s_kind_mix[k].kind;
        x -= s_kind_mix[k].per10k;
    }
    return CQ_GEN_NORMAL;
}

cq_gen_kind_t
cq_gen_kind(const cq_gen_t *self, size_t i)
{
    cq_gen_kind_t k = s_draw_kind(self, i);
    switch (k) {
    case CQ_GEN_DUPLICATE:
    case CQ_GEN_VOID:
    case CQ_GEN_REPLACEMENT:
        //  Names claim i - GAP, which must have been drawn normal (so each
        //  original is named at most once, by i = original + GAP).
        if (i < CQ_GEN_REF_GAP ||
            s_draw_kind(self, i - CQ_GEN_REF_GAP) != CQ_GEN_NORMAL)
            return CQ_GEN_NORMAL;
        return k;
    case CQ_GEN_LATE:
        //  Needs a long-standing member (index mod 25 >= 5).
        return self->o.n_members >= 6 ? k : CQ_GEN_NORMAL;
    default:
        return k;
    }
}

size_t
cq_gen_ref(const cq_gen_t *self, size_t i)
{
    switch (cq_gen_kind(self, i)) {
    case CQ_GEN_DUPLICATE:
    case CQ_GEN_VOID:
    case CQ_GEN_REPLACEMENT:
        return i - CQ_GEN_REF_GAP;
    default:
        return SIZE_MAX;
    }
}

const char *
cq_gen_kind_name(cq_gen_kind_t k)
{
    static const char *const names[CQ_GEN_KIND_COUNT] = {
        "normal",           "duplicate", "unknown_member", "mismatch",
        "outside_coverage", "late",      "no_prior_auth",  "void",
        "replacement"};
    return (unsigned)k < CQ_GEN_KIND_COUNT ? names[k] : "unknown";
}

//  A member index skewed towards a few heavy users: half the claims pick
//  rank n*u^2 (the top 1% of members get ~5% of all claims), half
//  uniformly; ranks are scattered over member indexes.
static size_t
s_pick_member(const cq_gen_t *g, s_rng_t *r)
{
    uint64_t n = g->o.n_members;
    uint64_t rank;
    if (s_below(r, 2) == 0) {
        double u = (double)(s_next(r) >> 11) * (1.0 / 9007199254740992.0);
        rank = (uint64_t)((double)n * u * u);
        if (rank >= n)
            rank = n - 1;
    } else {
        rank = s_next(r) % n;
    }
    //  2654435761 is prime and larger than n: a bijection on [0, n).
    return (size_t)((rank * UINT64_C(2654435761) + g->o.seed) % n);
}

//  The first member at or after m (cyclically) with coverage shape cov, or
//  m itself when none has it.
static size_t
s_find_cov(const cq_gen_t *g, size_t m, uint8_t cov)
{
    size_t n = g->o.n_members, tries = n < 25 ? n : 25;
    for (size_t k = 0; k < tries; k++) {
        size_t x = (m + k) % n;
        if (s_cov_of(x) == cov)
            return x;
    }
    return m;
}

//  A normal service date for a member of coverage shape cov.
static int32_t
s_service_date(const cq_gen_t *g, s_rng_t *r, uint8_t cov)
{
    int32_t t = g->today;
    switch (cov) {
    case S_COV_TERM: // covered until today-40
        return t - 41 - (int32_t)s_below(r, S_WINDOW - 40);
    case S_COV_LATE_START: // covered from today-30
        return t - 1 - (int32_t)s_below(r, 30);
    case S_COV_GAP: // covered until today-60, again from today-45
        if (s_below(r, 2))
            return t - 61 - (int32_t)s_below(r, S_WINDOW - 60);
        return t - 1 - (int32_t)s_below(r, 45);
    default:
        return t - 1 - (int32_t)s_below(r, S_WINDOW);
    }
}

static void
s_title_case(const char *upper, char *out, size_t n)
{
    size_t i = 0;
    for (; upper[i] && i + 1 < n; i++) {
        char ch = upper[i];
        out[i] =
            (i > 0 && ch >= 'A' && ch <= 'Z') ? (char)(ch - 'A' + 'a') : ch;
    }
    out[i] = '\0';
}

static void
s_add_line(s_rng_t *r, cq_claim_t *c, int code, const s_prov_t *pv, int32_t dos)
{
    cq_line_t *l = &c->lines[c->n_lines++];
    const s_code_t *sc = &s_codes[code];
    cq_strlcpy(l->procedure, sc->code, sizeof l->procedure);
    l->service_date = dos;
    l->service_date_end = CQ_DATE_NONE;
    const char *pos = "11";
    if (code == C_90834 && s_below(r, 100) < 40)
        pos = "02"; // telehealth
    else if (code == C_70553 || (code == C_71046 && s_below(r, 4) == 0))
        pos = "22"; // outpatient hospital
    cq_strlcpy(l->place_of_service, pos, sizeof l->place_of_service);
    uint32_t units = 1;
    if (sc->max_units > 1)
        units = 1 + s_below(r, sc->max_units);
    l->units_milli = (int64_t)units * 1000;
    int64_t unit_price = sc->list;
    if (sc->fee >= 0) // the provider's price: whole dollars
        unit_price = (sc->fee * pv->markup / 100 + 50) / 100 * 100;
    l->charge = unit_price * units;
    const char *mod = NULL;
    if (code == C_97110 && s_below(r, 10) < 9)
        mod = "GP";
    else if (code == C_73030)
        mod = s_below(r, 2) ? "RT" : "LT";
    else if (code == C_71046 && s_below(r, 100) < 15)
        mod = "26";
    else if ((code == C_99213 || code == C_99214) && s_below(r, 100) < 10)
        mod = "25";
    if (mod)
        cq_strlcpy(l->modifiers[l->n_modifiers++], mod, 3);
    l->dx_pointers[l->n_pointers++] = 1;
    if (c->n_diagnoses > 1 && s_below(r, 2))
        l->dx_pointers[l->n_pointers++] =
            (uint8_t)(2 + s_below(r, c->n_diagnoses - 1u));
}

static bool
s_has_code(const cq_claim_t *c, int code)
{
    for (uint8_t k = 0; k < c->n_lines; k++)
        if (strcmp(c->lines[k].procedure, s_codes[code].code) == 0)
            return true;
    return false;
}

static void
s_total(cq_claim_t *c)
{
    c->total_charge = 0;
    for (uint8_t k = 0; k < c->n_lines; k++)
        c->total_charge += c->lines[k].charge;
}

//  A claim that names no other claim: normal, unknown member, mismatch,
//  outside coverage, late, missing prior auth.
static void
s_fresh(const cq_gen_t *g, size_t i, cq_gen_kind_t kind, cq_claim_t *c)
{
    s_rng_t r = s_rng(g->o.seed, S_STREAM_CLAIM, i);
    cq_claim_init(c);
    snprintf(c->claim_id, sizeof c->claim_id, "PCN-%07zu", i + 1);
    cq_strlcpy(c->payer_id, g->payer, sizeof c->payer_id);
    c->type = CQ_CLAIM_PROFESSIONAL;
    c->frequency = '1';
    c->received_date = g->today;

    //  Member and service date.
    size_t m = s_pick_member(g, &r);
    uint8_t want = S_COV_FULL;
    if (kind == CQ_GEN_OUTSIDE_COVERAGE)
        want = s_below(&r, 2) ? S_COV_TERM : S_COV_LATE_START;
    if (kind == CQ_GEN_OUTSIDE_COVERAGE || kind == CQ_GEN_LATE)
        m = s_find_cov(g, m, want);
    s_member_t mb;
    s_member(g, m, &mb);
    int32_t dos;
    if (kind == CQ_GEN_LATE) {
        dos = g->today - s_plans[mb.plan].timely_filing - 1 -
              (int32_t)s_below(&r, 60);
    } else if (kind == CQ_GEN_OUTSIDE_COVERAGE && mb.cov == S_COV_TERM) {
        dos = g->today - 1 - (int32_t)s_below(&r, 39); // after the end
    } else if (kind == CQ_GEN_OUTSIDE_COVERAGE && mb.cov == S_COV_LATE_START) {
        dos = g->today - 31 - (int32_t)s_below(&r, S_WINDOW - 30); // before
    } else if (kind == CQ_GEN_UNKNOWN_MEMBER) {
        dos = s_service_date(g, &r, S_COV_FULL);
    } else {
        dos = s_service_date(g, &r, mb.cov);
    }
    cq_member_ref_t *mr = &c->member;
    if (kind == CQ_GEN_UNKNOWN_MEMBER) {
        snprintf(mr->id, sizeof mr->id, "W9%08u",
                 (unsigned)s_below(&r, 100000000));
        cq_strlcpy(mr->last_name, s_last[s_below(&r, CQ_ARRAY_LEN(s_last))],
                   sizeof mr->last_name);
        cq_strlcpy(mr->first_name, s_first[s_below(&r, CQ_ARRAY_LEN(s_first))],
                   sizeof mr->first_name);
        mr->birth_date = g->today - 2 * 365 - (int32_t)s_below(&r, 83 * 365);
        mr->sex = s_below(&r, 2) ? 'F' : 'M';
    } else {
        cq_strlcpy(mr->id, mb.id, sizeof mr->id);
        cq_strlcpy(mr->last_name, mb.last, sizeof mr->last_name);
        cq_strlcpy(mr->first_name, mb.first, sizeof mr->first_name);
        mr->birth_date = mb.dob;
        mr->sex = mb.sex;
        if (kind == CQ_GEN_MISMATCH) {
            if (s_below(&r, 2)) {
                size_t li = 0;
                while (strcmp(s_last[li], mb.last) != 0)
                    li++;
                li = (li + 1 + s_below(&r, CQ_ARRAY_LEN(s_last) - 1)) %
                     CQ_ARRAY_LEN(s_last);
                //  Cleared first: claims compare byte for byte.
                memset(mr->last_name, 0, sizeof mr->last_name);
                cq_strlcpy(mr->last_name, s_last[li], sizeof mr->last_name);
            } else {
                mr->birth_date -= 365 + (int32_t)s_below(&r, 3 * 365);
            }
        } else if (kind == CQ_GEN_NORMAL && s_below(&r, 50) == 0) {
            //  Same name in another case: must still match.
            s_title_case(mb.last, mr->last_name, sizeof mr->last_name);
        }
    }

    //  Provider: usually the member's own.
    const s_prov_t *pv =
        &g->prov[s_below(&r, 10) < 6 ? mb.home : s_below(&r, S_N_PROV)];
    cq_strlcpy(c->billing_npi, pv->npi, sizeof c->billing_npi);
    cq_strlcpy(c->billing_tax_id, pv->tax_id, sizeof c->billing_tax_id);
    cq_strlcpy(c->billing_name, pv->name, sizeof c->billing_name);

    //  Diagnoses: 1-4 distinct codes.
    uint32_t ndx = 1 + s_below(&r, 4);
    while (c->n_diagnoses < ndx) {
        const char *code = s_icd[s_below(&r, CQ_ARRAY_LEN(s_icd))];
        bool dup = false;
        for (uint8_t k = 0; k < c->n_diagnoses; k++)
            dup |= strcmp(c->diagnoses[k], code) == 0;
        if (!dup)
            cq_strlcpy(c->diagnoses[c->n_diagnoses++], code,
                       sizeof c->diagnoses[0]);
    }

    //  Lines: a main service, then distinct ancillary services.
    size_t nl = 1 + s_weighted(&r, s_nlines_w, CQ_ARRAY_LEN(s_nlines_w));
    int primary =
        s_primary[s_weighted(&r, s_primary_w, CQ_ARRAY_LEN(s_primary_w))];
    if (primary == C_D1110) {
        nl = 1; // a dental cleaning
    }
    if (primary != C_COUNT)
        s_add_line(&r, c, primary, pv, dos);
    for (int tries = 0; c->n_lines < nl && tries < 16; tries++) {
        int code = s_ancillary[s_weighted(&r, s_ancillary_w,
                                          CQ_ARRAY_LEN(s_ancillary_w))];
        if (!s_has_code(c, code))
            s_add_line(&r, c, code, pv, dos);
    }
    if (kind == CQ_GEN_NO_PRIOR_AUTH && !s_has_code(c, C_70553)) {
        if (c->n_lines == 6)
            c->n_lines--;
        s_add_line(&r, c, C_70553, pv, dos);
    }
    if (kind != CQ_GEN_NO_PRIOR_AUTH && s_has_code(c, C_70553))
        snprintf(c->prior_auth, sizeof c->prior_auth, "PA%08u",
                 (unsigned)s_below(&r, 100000000));
    s_total(c);
}

void
cq_gen_claim(const cq_gen_t *self, size_t i, cq_claim_t *out)
{
    assert(self);
    assert(out);
    assert(i < self->o.n_claims);
    cq_gen_kind_t kind = cq_gen_kind(self, i);
    if (kind != CQ_GEN_DUPLICATE && kind != CQ_GEN_VOID &&
        kind != CQ_GEN_REPLACEMENT) {
        s_fresh(self, i, kind, out);
        return;
    }
    size_t j = i - CQ_GEN_REF_GAP;
    s_fresh(self, j, CQ_GEN_NORMAL, out);
    char original[CQ_ID_LEN];
    memcpy(original, out->claim_id, sizeof original);
    memset(out->claim_id, 0, sizeof out->claim_id);
    snprintf(out->claim_id, sizeof out->claim_id, "PCN-%07zu", i + 1);
    if (kind == CQ_GEN_DUPLICATE)
        return;
    memcpy(out->original_claim_id, original, sizeof original);
    out->frequency = kind == CQ_GEN_VOID ? '8' : '7';
    if (kind == CQ_GEN_REPLACEMENT) {
        //  The corrected claim: one line fewer, or one more unit.
        if (out->n_lines > 1) {
            out->n_lines--;
            memset(&out->lines[out->n_lines], 0, sizeof out->lines[0]);
        } else {
            cq_line_t *l = &out->lines[0];
            int64_t per_unit = l->charge * 1000 / l->units_milli;
            l->units_milli += 1000;
            l->charge = per_unit * l->units_milli / 1000;
        }
        s_total(out);
    }
}

int
cq_gen_claims_jsonl(const cq_gen_t *self, cq_buf_t *out)
{
    cq_claim_t *c = cq_xmalloc(sizeof *c);
    int rc = 0;
    for (size_t i = 0; i < self->o.n_claims && rc == 0; i++) {
        cq_gen_claim(self, i, c);
        rc = cq_claim_to_json(c, out);
        if (rc == 0)
            rc = S_LIT(out, "\n");
    }
    free(c);
    return rc;
}

// ---------------------------------------------------------------------------
// Files

#define S_FLUSH_AT (1u << 20)

static int
s_flush(cq_buf_t *b, FILE *f)
{
    if (b->len > 0 && fwrite(b->data, 1, b->len, f) != b->len)
        return CQ_EIO;
    cq_buf_reset(b);
    return 0;
}

int
cq_gen_write_plan(const cq_gen_t *self, FILE *f)
{
    cq_buf_t b;
    cq_buf_init(&b, 1u << 20);
    int rc = cq_gen_plan_json(self, &b);
    if (rc == 0)
        rc = s_flush(&b, f);
    cq_buf_free(&b);
    return rc == 0 ? 0 : CQ_EIO;
}

int
cq_gen_write_members(const cq_gen_t *self, FILE *f)
{
    cq_buf_t b;
    cq_buf_init(&b, 2 * S_FLUSH_AT);
    int rc = 0;
    for (size_t m = 0; m < self->o.n_members && rc == 0; m++) {
        rc = cq_gen_member_rows(self, m, &b);
        if (rc == 0 && b.len >= S_FLUSH_AT)
            rc = s_flush(&b, f);
    }
    if (rc == 0)
        rc = s_flush(&b, f);
    cq_buf_free(&b);
    return rc == 0 ? 0 : CQ_EIO;
}

int
cq_gen_write_claims(const cq_gen_t *self, FILE *f)
{
    cq_buf_t b;
    cq_buf_init(&b, 2 * S_FLUSH_AT);
    cq_claim_t *c = cq_xmalloc(sizeof *c);
    int rc = 0;
    for (size_t i = 0; i < self->o.n_claims && rc == 0; i++) {
        cq_gen_claim(self, i, c);
        rc = cq_claim_to_json(c, &b);
        if (rc == 0)
            rc = S_LIT(&b, "\n");
        if (rc == 0 && b.len >= S_FLUSH_AT)
            rc = s_flush(&b, f);
    }
    if (rc == 0)
        rc = s_flush(&b, f);
    free(c);
    cq_buf_free(&b);
    return rc == 0 ? 0 : CQ_EIO;
}
