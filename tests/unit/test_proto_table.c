//  The message tables (common/proto_table.h): they are well formed,
//  schemas/proto.md lists exactly their fields in their order and types,
//  and every limit a row states is one the decoder enforces.
#include "cq_test.h"
#include "mem.h"
#include "proto_table.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  Every command with a body table, and the nested structures proto.md
//  has tables for.
static const cq_pt_msg_t *
s_table(int cmd)
{
    const cq_pt_msg_t *t = cq_proto_table(cmd);
    return t != NULL && t->n > 0 ? t : NULL;
}

//  A field's name as proto.md spells it: its diagnostic name without the
//  structure's prefix ("claim.claim_id" -> "claim_id").
static const char *
s_name(const cq_pt_field_t *f)
{
    const char *dot = strrchr(f->what, '.');
    return dot ? dot + 1 : f->what;
}

//  The msgpack type proto.md's column starts with.
static const char *
s_mp_type(const cq_pt_field_t *f)
{
    switch ((cq_pt_type_t)f->type) {
    case CQ_PT_UINT:
        return "uint";
    case CQ_PT_INT:
    case CQ_PT_DATE:
        return "int";
    case CQ_PT_BOOL:
        return "bool";
    case CQ_PT_STR:
    case CQ_PT_CHAR:
        return "str";
    case CQ_PT_BIN:
        return "bin";
    case CQ_PT_NIL:
        return "nil";
    default:
        return "array";
    }
}

//  ---- the tables themselves ---------------------------------------------

static void
s_check_table(const cq_pt_msg_t *t, int depth)
{
    cr_assert(depth < 4, "%s: nested too deep", t->name);
    cr_assert(t->need <= t->n, "%s: needs %u of %u fields", t->name, t->need,
              t->n);
    unsigned items = 0, since = 0;
    for (unsigned i = 0; i < t->n; i++) {
        const cq_pt_field_t *f = &t->f[i];
        cr_assert(f->what != NULL && f->what[0], "%s: field %u unnamed",
                  t->name, i);
        //  required fields first, then appended ones, in the order they
        //  were appended
        if (i < t->need)
            cr_assert_eq(f->since, 0, "%s.%s: required but appended", t->name,
                         f->what);
        else
            cr_assert(f->since > i && f->since >= since,
                      "%s.%s: appended field without a since (or out of "
                      "order)",
                      t->name, f->what);
        since = f->since;
        switch ((cq_pt_type_t)f->type) {
        case CQ_PT_UINT:
        case CQ_PT_INT:
            cr_assert(f->size == 1 || f->size == 2 || f->size == 4 ||
                          f->size == 8,
                      "%s: width %u", f->what, f->size);
            if (f->type == CQ_PT_UINT && f->size < 8)
                cr_assert(f->max < (UINT64_C(1) << (8 * f->size)),
                          "%s: max %llu does not fit %u bytes", f->what,
                          (unsigned long long)f->max, f->size);
            break;
        case CQ_PT_STR:
            cr_assert(f->size > 1, "%s: a string field of %u bytes", f->what,
                      f->size);
            break;
        case CQ_PT_STRUCT:
        case CQ_PT_ARRAY:
            cr_assert_not_null(f->sub, "%s: no element table", f->what);
            if (f->type == CQ_PT_ARRAY)
                cr_assert(f->max > 0 && f->max <= CQ_PROTO_MAX_SHARDS &&
                              f->min >= 0 && (uint64_t)f->min <= f->max,
                          "%s: count %lld..%llu", f->what, (long long)f->min,
                          (unsigned long long)f->max);
            if (f->type == CQ_PT_ARRAY && !(f->flags & CQ_PTF_ALLOC))
                cr_assert_eq(f->size, f->sub->size, "%s: element size",
                             f->what);
            s_check_table(f->sub, depth + 1);
            break;
        case CQ_PT_ITEMS:
            items++;
            break;
        case CQ_PT_CUSTOM:
            cr_assert(f->enc != NULL && f->dec != NULL, "%s", f->what);
            break;
        default:
            break;
        }
    }
    cr_assert(items <= 1, "%s: %u item arrays", t->name, items);
}

Test(proto_table, every_command_has_a_well_formed_table)
{
    unsigned n = 0;
    for (int cmd = 0; cmd < 256; cmd++) {
        const cq_pt_msg_t *t = cq_proto_table(cmd);
        if (cq_cmd_name(cmd) == NULL) {
            cr_assert_null(t, "0x%02x: a table but no command", cmd);
            continue;
        }
        cr_assert_not_null(t, "%s: no table", cq_cmd_name(cmd));
        if (t->n > 0)
            cr_assert_str_eq(t->name, cq_cmd_name(cmd));
        s_check_table(t, 0);
        n++;
    }
    cr_assert_geq(n, 45, "%u commands", n);
    cr_assert_not_null(cq_proto_struct_table("claim"));
    cr_assert_not_null(cq_proto_struct_table("decision"));
    cr_assert_null(cq_proto_struct_table("no such"));
}

//  ---- schemas/proto.md -----------------------------------------------------

typedef struct {
    char name[64];
    char type[64];
} s_row_t;

//  Splits a table row "| a | b | c |" into at most max cells (trimmed).
static int
s_cells(const char *line, char cells[][512], int max)
{
    int n = 0;
    const char *p = strchr(line, '|');
    while (p != NULL && n < max) {
        const char *q = strchr(p + 1, '|');
        while (q != NULL && q[-1] == '\\') // "\|" inside a cell
            q = strchr(q + 1, '|');
        if (q == NULL)
            break;
        const char *a = p + 1, *b = q;
        while (a < b && *a == ' ')
            a++;
        while (b > a && b[-1] == ' ')
            b--;
        size_t len = (size_t)(b - a) < 511 ? (size_t)(b - a) : 511;
        memcpy(cells[n], a, len);
        cells[n][len] = '\0';
        n++;
        p = q;
    }
    return n;
}

//  Reads the table whose header line is `at` (the line after it is the
//  |---| line): its rows as (name, type), a cell of names "a, b" or
//  "(reserved) ×2" giving one row a name. name_col: 0, or 1 in the
//  numbered tables ("| # | field | msgpack | limit |").
static int
s_rows(char **lines, int n_lines, int at, int name_col, s_row_t *rows, int max)
{
    int n = 0;
    for (int i = at + 2; i < n_lines && lines[i][0] == '|'; i++) {
        char cells[6][512];
        int k = s_cells(lines[i], cells, 6);
        cr_assert(k > name_col + 1, "proto.md line %d: %s", i + 1, lines[i]);
        char *names = cells[name_col];
        const char *type = cells[name_col + 1];
        int times = 1;
        char *x = strstr(names, " ×");
        if (x != NULL) {
            times = atoi(x + strlen(" ×"));
            *x = '\0';
        }
        for (char *tok = strtok(names, ","); tok; tok = strtok(NULL, ",")) {
            while (*tok == ' ')
                tok++;
            for (int t = 0; t < times; t++) {
                cr_assert(n < max, "proto.md: table at line %d too long",
                          at + 1);
                snprintf(rows[n].name, sizeof rows[n].name, "%.63s", tok);
                snprintf(rows[n].type, sizeof rows[n].type, "%.63s", type);
                n++;
            }
        }
    }
    return n;
}

static void
s_compare(const cq_pt_msg_t *t, const s_row_t *rows, int n, int line)
{
    cr_assert_eq((unsigned)n, t->n,
                 "%s: proto.md (line %d) lists %d fields, the table %u",
                 t->name, line, n, t->n);
    for (int i = 0; i < n; i++) {
        const cq_pt_field_t *f = &t->f[i];
        cr_assert_str_eq(rows[i].name, s_name(f),
                         "%s field %d: proto.md says %s, the table %s", t->name,
                         i, rows[i].name, s_name(f));
        const char *want = s_mp_type(f);
        cr_assert(strncmp(rows[i].type, want, strlen(want)) == 0,
                  "%s.%s: proto.md says %s, the table %s", t->name,
                  rows[i].name, rows[i].type, want);
    }
}

typedef struct {
    char *text;
    char *lines[2048];
    int n;
} s_doc_t;

static void
s_doc_load(s_doc_t *d)
{
    size_t len;
    cr_assert_eq(
        cq_read_file(cq_test_src("schemas/proto.md"), 1 << 20, &d->text, &len),
        0);
    d->n = 0;
    for (char *p = d->text; p != NULL && d->n < 2048;) {
        d->lines[d->n++] = p; // (blank lines kept: they end tables)
        p = strchr(p, '\n');
        if (p != NULL)
            *p++ = '\0';
    }
    cr_assert_lt(d->n, 2048);
}

Test(proto_table, proto_md_lists_every_field_of_every_message)
{
    s_doc_t d;
    s_doc_load(&d);
    unsigned checked = 0;
    for (int cmd = 0; cmd < 256; cmd++) {
        const cq_pt_msg_t *t = s_table(cmd);
        if (t == NULL)
            continue;
        //  "| NAME (direction) | msgpack | limit |"
        char head[80];
        snprintf(head, sizeof head, "| %s ", cq_cmd_name(cmd));
        int at = -1;
        for (int i = 0; i + 1 < d.n; i++)
            if (strncmp(d.lines[i], head, strlen(head)) == 0 &&
                strncmp(d.lines[i + 1], "|---", 4) == 0)
                at = i;
        cr_assert_geq(at, 0, "proto.md has no table for %s", t->name);
        s_row_t rows[64];
        int n = s_rows(d.lines, d.n, at, 0, rows, 64);
        s_compare(t, rows, n, at + 1);
        checked++;
    }
    cr_assert_geq(checked, 40);
    free(d.text);
}

Test(proto_table, proto_md_lists_the_claim_and_the_decision)
{
    s_doc_t d;
    s_doc_load(&d);
    const char *structs[] = {"claim", "decision"};
    for (size_t k = 0; k < CQ_ARRAY_LEN(structs); k++) {
        const cq_pt_msg_t *t = cq_proto_struct_table(structs[k]);
        cr_assert_not_null(t);
        char head[64];
        snprintf(head, sizeof head, "### %s (%u fields;", structs[k], t->need);
        int at = -1;
        for (int i = 0; i < d.n; i++)
            if (strncmp(d.lines[i], head, strlen(head)) == 0)
                at = i;
        cr_assert_geq(at, 0, "proto.md has no \"%s\"", head);
        while (at < d.n && strncmp(d.lines[at], "| # |", 5) != 0)
            at++;
        s_row_t rows[64];
        int n = s_rows(d.lines, d.n, at, 1, rows, 64);
        s_compare(t, rows, n, at + 1);
    }
    //  the structures told in prose: "line (10 fields)", "worker (15 fields)"
    const char *prose[] = {"line", "worker"};
    for (size_t k = 0; k < CQ_ARRAY_LEN(prose); k++) {
        const cq_pt_msg_t *t = cq_proto_struct_table(prose[k]);
        cr_assert_not_null(t);
        char head[64];
        snprintf(head, sizeof head, "%s (%u fields)", prose[k], t->n);
        bool found = false;
        for (int i = 0; i < d.n && !found; i++)
            found = strncmp(d.lines[i], head, strlen(head)) == 0;
        cr_assert(found, "proto.md does not say \"%s\"", head);
    }
    free(d.text);
}

//  ---- the limits are enforced ----------------------------------------------

//  Writes a value of f that its row accepts (the least one that is not
//  zero where it can, since zero is often refused by a rule).
static void s_valid_struct(cq_mpw_t *w, const cq_pt_msg_t *t);

static void
s_valid(cq_mpw_t *w, const cq_pt_field_t *f)
{
    switch ((cq_pt_type_t)f->type) {
    case CQ_PT_UINT:
        cq_mpw_uint(w, f->max >= 1 ? 1 : 0);
        break;
    case CQ_PT_INT:
        cq_mpw_int(w, f->min > 0 ? f->min : (f->max >= 1 ? 1 : 0));
        break;
    case CQ_PT_DATE:
        cq_mpw_int(w, 20000);
        break;
    case CQ_PT_BOOL:
        cq_mpw_bool(w, false);
        break;
    case CQ_PT_STR:
        cq_mpw_str(w, f->ok ? "a" : "");
        break;
    case CQ_PT_CHAR:
        cq_mpw_str(w, "");
        break;
    case CQ_PT_BIN:
        cq_mpw_bin(w, "", 0);
        break;
    case CQ_PT_NIL:
        cq_mpw_nil(w);
        break;
    case CQ_PT_STRUCT:
        s_valid_struct(w, f->sub);
        break;
    case CQ_PT_ARRAY:
    case CQ_PT_STRS:
    case CQ_PT_UINTS:
        cq_mpw_array(w, (uint32_t)f->min);
        for (int64_t i = 0; i < f->min; i++) {
            if (f->type == CQ_PT_ARRAY)
                s_valid_struct(w, f->sub);
            else if (f->type == CQ_PT_STRS)
                cq_mpw_str(w, "");
            else
                cq_mpw_uint(w, 1);
        }
        break;
    case CQ_PT_ITEMS:
    case CQ_PT_CUSTOM:
        cq_mpw_array(w, 0);
        break;
    }
}

static void
s_valid_struct(cq_mpw_t *w, const cq_pt_msg_t *t)
{
    cq_mpw_array(w, t->n);
    for (unsigned i = 0; i < t->n; i++)
        s_valid(w, &t->f[i]);
}

//  Writes a value one past f's limit, or returns false when its row has
//  none to pass (a uint up to UINT64_MAX, a bool).
static bool
s_over(cq_mpw_t *w, const cq_pt_field_t *f)
{
    static char big[CQ_REVIEW_AUDIT_LEN + 1];
    switch ((cq_pt_type_t)f->type) {
    case CQ_PT_UINT:
        if (f->max == UINT64_MAX)
            return false;
        cq_mpw_uint(w, f->max + 1);
        return true;
    case CQ_PT_INT:
        if (f->max >= (uint64_t)INT64_MAX)
            return false;
        cq_mpw_int(w, (int64_t)f->max + 1);
        return true;
    case CQ_PT_STR:
        if (f->size > sizeof big)
            return false;
        memset(big, 'a', f->size);
        cq_mpw_strn(w, big, f->size); // no room left for the NUL
        return true;
    case CQ_PT_CHAR:
        cq_mpw_str(w, "ab");
        return true;
    case CQ_PT_STRS:
    case CQ_PT_UINTS:
    case CQ_PT_ARRAY:
        if (f->max >= CQ_PROTO_MAX_SHARDS)
            return false;
        cq_mpw_array(w, (uint32_t)f->max + 1);
        for (uint64_t i = 0; i <= f->max; i++) {
            if (f->type == CQ_PT_ARRAY)
                s_valid_struct(w, f->sub);
            else if (f->type == CQ_PT_STRS)
                cq_mpw_str(w, "");
            else
                cq_mpw_uint(w, 1);
        }
        return true;
    default:
        return false;
    }
}

//  The largest message struct a decoder writes into.
static size_t
s_biggest(void)
{
    size_t big = 0;
    for (int cmd = 0; cmd < 256; cmd++)
        if (s_table(cmd) && s_table(cmd)->size > big)
            big = s_table(cmd)->size;
    return big;
}

Test(proto_table, every_limit_in_a_table_is_enforced)
{
    cq_mpw_t w;
    cq_mpw_init(&w);
    size_t big = s_biggest();
    void *m = cq_xcalloc(1, big);
    unsigned tried = 0;
    for (int cmd = 0; cmd < 256; cmd++) {
        const cq_pt_msg_t *t = s_table(cmd);
        if (t == NULL)
            continue;
        for (unsigned k = 0; k < t->n; k++) {
            const cq_pt_field_t *f = &t->f[k];
            cq_mpw_reset(&w);
            cq_mpw_array(&w, t->n);
            for (unsigned i = 0; i < k; i++)
                s_valid(&w, &t->f[i]);
            if (!s_over(&w, f))
                continue;
            for (unsigned i = k + 1; i < t->n; i++)
                s_valid(&w, &t->f[i]);
            memset(m, 0, big);
            cq_diag_t diag = {0};
            int rc = cq_pt_decode(w.data, w.len, t, m, &diag);
            cr_assert_neq(rc, 0, "%s.%s: over its limit, accepted", t->name,
                          f->what);
            //  refused for that field, not another
            char want[96];
            snprintf(want, sizeof want, "%s: ", f->what);
            cr_assert(strncmp(diag.msg, want, strlen(want)) == 0 ||
                          strstr(diag.msg, f->what) != NULL,
                      "%s.%s: refused as \"%s\"", t->name, f->what, diag.msg);
            tried++;
        }
    }
    cr_assert_geq(tried, 80, "%u limits tried", tried);
    free(m);
    cq_mpw_free(&w);
}

//  The same body with each field's valid value decodes (so the refusals
//  above come from the limit, not from the rest of the body), except
//  where a rule across fields or an element's rule refuses the least
//  values (named here).
Test(proto_table, the_valid_bodies_decode)
{
    cq_mpw_t w;
    cq_mpw_init(&w);
    size_t big = s_biggest();
    void *m = cq_xcalloc(1, big);
    unsigned ok = 0;
    for (int cmd = 0; cmd < 256; cmd++) {
        const cq_pt_msg_t *t = s_table(cmd);
        if (t == NULL)
            continue;
        cq_mpw_reset(&w);
        s_valid_struct(&w, t);
        memset(m, 0, big);
        cq_diag_t diag = {0};
        int rc = cq_pt_decode(w.data, w.len, t, m, &diag);
        //  READY/WELCOME: heartbeat_ms >= 10; HAVE: one digest at least;
        //  PEER_SNAP: "" only on the last piece
        if (strcmp(t->name, "READY") == 0 || strcmp(t->name, "WELCOME") == 0 ||
            strcmp(t->name, "HAVE") == 0 || strcmp(t->name, "PEER_SNAP") == 0) {
            cr_assert_neq(rc, 0, "%s", t->name);
            continue;
        }
        cr_assert_eq(rc, 0, "%s: %s", t->name, diag.msg);
        cq_pt_undo(t, m); // frees what was allocated
        ok++;
    }
    cr_assert_geq(ok, 35);
    free(m);
    cq_mpw_free(&w);
}

//  ---- the straight-line codecs of claims and decisions ------------------

//  Claims and decisions are encoded and decoded by code expanded from
//  their rows, not by the walk (proto.c, "the hot structures"): both must
//  give the same bytes, and the same structs from the same bytes.
static void
s_same_both_ways(const char *name, const void *v, size_t size,
                 void (*enc)(cq_mpw_t *, const void *),
                 int (*dec)(cq_cur_t *, void *), void (*init)(void *))
{
    const cq_pt_msg_t *t = cq_proto_struct_table(name);
    cr_assert_not_null(t);
    cq_mpw_t a, b;
    cq_mpw_init(&a);
    cq_mpw_init(&b);
    enc(&a, v);
    cq_pt_encode_struct(&b, t, v);
    cr_assert_eq(a.len, b.len, "%s: %zu bytes straight, %zu walked", name,
                 a.len, b.len);
    cr_assert(memcmp(a.data, b.data, a.len) == 0, "%s: bytes differ", name);
    //  and with two fields a newer peer appended
    cq_mpw_t x;
    cq_mpw_init(&x);
    cq_cur_t c0;
    cq_cur_init(&c0, a.data, a.len);
    uint32_t have = cq_cur_array(&c0, 0, UINT32_MAX, "head");
    cq_mpw_array(&x, have + 2);
    cq_mpw_raw(&x, c0.pos, (size_t)(c0.end - c0.pos));
    cq_mpw_uint(&x, 1);
    cq_mpw_str(&x, "a field from a newer peer");
    const cq_mpw_t *bodies[] = {&a, &x};
    for (size_t k = 0; k < CQ_ARRAY_LEN(bodies); k++) {
        void *m1 = cq_xcalloc(1, size), *m2 = cq_xcalloc(1, size);
        init(m1);
        init(m2);
        cq_cur_t c1, c2;
        cq_cur_init(&c1, bodies[k]->data, bodies[k]->len);
        cq_cur_init(&c2, bodies[k]->data, bodies[k]->len);
        int r1 = dec(&c1, m1);
        cq_pt_decode_struct(&c2, t, m2, name);
        cr_assert_eq(r1, c2.err, "%s (body %zu): %d straight, %d walked", name,
                     k, r1, c2.err);
        cr_assert_eq(c1.pos, c2.pos, "%s (body %zu): read to %td and %td", name,
                     k, c1.pos - c1.start, c2.pos - c2.start);
        cr_assert(memcmp(m1, m2, size) == 0, "%s (body %zu): structs differ",
                  name, k);
        free(m1);
        free(m2);
    }
    cq_mpw_free(&a);
    cq_mpw_free(&b);
    cq_mpw_free(&x);
}

static void
s_claim_enc(cq_mpw_t *w, const void *v)
{
    cq_proto_claim_encode(w, v);
}
static int
s_claim_dec(cq_cur_t *c, void *v)
{
    return cq_proto_claim_decode(c, v);
}
static void
s_claim_init(void *v)
{
    cq_claim_init(v);
}
static void
s_decision_enc(cq_mpw_t *w, const void *v)
{
    cq_proto_decision_encode(w, v);
}
static int
s_decision_dec(cq_cur_t *c, void *v)
{
    return cq_proto_decision_decode(c, v);
}
static void
s_decision_init(void *v)
{
    memset(v, 0, sizeof(cq_decision_t));
}

Test(proto_table, claims_and_decisions_straight_or_walked_alike)
{
    cq_claim_t *c = cq_xcalloc(1, sizeof *c);
    for (int review = 0; review <= 1; review++) {
        cq_claim_init(c);
        strcpy(c->claim_id, "PCN-1");
        strcpy(c->payer_id, "ACME");
        c->type = CQ_CLAIM_INSTITUTIONAL;
        c->frequency = '7';
        c->received_date = 20514;
        strcpy(c->member.id, "W1");
        c->member.birth_date = 3754;
        c->member.sex = 'F';
        c->n_diagnoses = 3;
        strcpy(c->diagnoses[2], "E11.9");
        c->total_charge = -25000;
        c->n_lines = 4;
        c->lines[3].n_modifiers = 2;
        strcpy(c->lines[3].modifiers[1], "25");
        c->lines[3].n_pointers = 4;
        c->lines[3].dx_pointers[3] = 255;
        c->lines[3].units_milli = 1500;
        c->lines[3].service_date_end = CQ_DATE_NONE;
        c->source = CQ_SOURCE_OCR;
        c->ocr_confidence = 87;
        c->invalid = true;
        c->n_pend = 2;
        strcpy(c->pend_fields[1], "member.id");
        if (review) {
            c->review = CQ_RELEASE_CORRECTED;
            strcpy(c->supersedes_node, "w-1");
            c->supersedes_seq = 42;
            strcpy(c->review_audit, "{}");
        }
        s_same_both_ways("claim", c, sizeof *c, s_claim_enc, s_claim_dec,
                         s_claim_init);
    }
    free(c);
    cq_decision_t *d = cq_xcalloc(1, sizeof *d);
    for (int sup = 0; sup <= 1; sup++) {
        memset(d, 0, sizeof *d);
        strcpy(d->claim_id, "PCN-1");
        d->frequency = '1';
        d->decision = CQ_DECISION_PEND;
        d->paid = -7;
        d->n_adj = 2;
        strcpy(d->adj[1].group, "CO");
        d->adj[1].amount = 100;
        d->n_reasons = 1;
        strcpy(d->reasons[0].carc, "16");
        d->n_lines = 3;
        d->lines[2].denied = true;
        d->ledger_seq = 9;
        d->ocr_confidence = -1;
        if (sup) {
            d->supersedes_seq = 5;
            strcpy(d->review_audit, "{}");
        }
        s_same_both_ways("decision", d, sizeof *d, s_decision_enc,
                         s_decision_dec, s_decision_init);
    }
    free(d);
}
