//  claimq check [--format text|999] FILES...: checks X12 837 files locally
//  (envelopes, syntax, loops, claim content) and prints a report, or the
//  999 acknowledgment a payer would send back. Exit 0 only when every file
//  is a valid 837 whose claims are all valid; 1 otherwise; 2 usage.
#include "cmds.h"
#include "doc.h"
#include "money.h"
#include "x12.h"
#include "opts.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    cq_buf_t invalid; // "  claim ID: invalid: MSG\n" lines
    uint32_t n_invalid;
} s_claims_t;

static int
s_on_claim(void *arg, cq_claim_t *c)
{
    s_claims_t *s = arg;
    if (c->invalid && s->n_invalid++ < 1000)
        cq_buf_printf(&s->invalid, "  claim %s: invalid (CO-16%s%s): %s\n",
                      c->claim_id, c->invalid_rarc[0] ? " " : "",
                      c->invalid_rarc, c->invalid_msg);
    return 0;
}

static void
s_usage(FILE *out)
{
    fprintf(out,
            "usage: claimq check [--format text|999] FILE...\n\n"
            "Checks X12 837P / 837I files (005010X222A1 / X223A2) without a "
            "broker:\n"
            "interchange, group and transaction set envelopes (control "
            "numbers and\n"
            "counts), segment syntax, the HL tree and loop order, and each "
            "claim's\n"
            "content (CLM02 = sum of the line charges, NPI, dates, codes). "
            "A transaction\n"
            "set that fails is refused as a whole, as a payer would.\n\n"
            "  -f, --format text   a report for people (default)\n"
            "  -f, --format 999    the X12 999 acknowledgment of each file\n"
            "  -h, --help          this help\n\n"
            "exit codes: 0 every file is a valid 837 and every claim is "
            "valid,\n"
            "            1 something is not, 2 usage\n");
}

static void
s_report_835(const char *path, const char *buf, size_t len, const char *what)
{
    cq_x12_835_check_t chk;
    int rc = cq_x12_835_check(buf, len, NULL, NULL, &chk, NULL);
    if (rc < 0) {
        printf("%s: %s\n", path, what);
        return;
    }
    char paid[CQ_MONEY_STRLEN];
    printf("%s: %s (%u transaction set%s, %u claim%s, %u service line%s, "
           "paid %s; %s%s)\n",
           path, what, (unsigned)chk.sets, chk.sets == 1 ? "" : "s",
           (unsigned)chk.claims, chk.claims == 1 ? "" : "s",
           (unsigned)chk.services, chk.services == 1 ? "" : "s",
           cq_money_format(chk.bpr_total, paid),
           chk.unbalanced ? "does not balance: " : "balances",
           chk.unbalanced ? chk.problem : "");
}

static void
s_report_text(const char *path, const cq_x12_report_t *rep,
              const s_claims_t *cl)
{
    char money[CQ_MONEY_STRLEN];
    printf("%s: %s: %u interchange%s, %u group%s, %u transaction set%s "
           "(%u accepted, %u refused), %u claim%s (%u invalid), total "
           "charge %s\n",
           path, rep->kind, (unsigned)rep->n_interchanges,
           rep->n_interchanges == 1 ? "" : "s", (unsigned)rep->n_groups,
           rep->n_groups == 1 ? "" : "s", (unsigned)rep->n_sets,
           rep->n_sets == 1 ? "" : "s", (unsigned)rep->sets_accepted,
           (unsigned)rep->sets_refused, (unsigned)rep->claims,
           rep->claims == 1 ? "" : "s", (unsigned)rep->invalid_claims,
           cq_money_format(rep->total_charge, money));
    for (uint32_t i = 0; i < rep->n_interchanges; i++) {
        const cq_x12_interchange_t *ic = &rep->interchanges[i];
        printf("  interchange %s (%s to %s, %s): TA1 %s%s\n", ic->control,
               ic->sender, ic->receiver,
               ic->usage == 'T' ? "test" : "production", ic->ta1,
               strcmp(ic->ta1, "000") == 0 ? " no error" : "");
        for (uint32_t k = 0; k < ic->n_groups; k++) {
            const cq_x12_group_t *g = &rep->groups[ic->first_group + k];
            printf("    group %s %s %s: AK9 %c", g->control, g->id, g->version,
                   g->status ? g->status : '-');
            for (uint8_t c = 0; c < g->n_codes; c++)
                printf(" %s", g->codes[c]);
            printf(", %u of %u transaction sets accepted\n",
                   (unsigned)g->accepted, (unsigned)g->n_sets);
            for (uint32_t s = 0; s < g->n_sets; s++) {
                const cq_x12_set_t *t = &rep->sets[g->first_set + s];
                printf("      set %s %s %s: IK5 %c", t->control, t->id,
                       t->version, t->status);
                for (uint8_t c = 0; c < t->n_codes; c++)
                    printf(" %s", t->codes[c]);
                if (t->status != 'R' && strcmp(t->id, "837") == 0)
                    printf(", %u segments, %u claim%s (%u invalid), %s\n",
                           (unsigned)t->segments, (unsigned)t->claims,
                           t->claims == 1 ? "" : "s",
                           (unsigned)t->invalid_claims,
                           cq_money_format(t->total_charge, money));
                else
                    printf(", %u segments%s\n", (unsigned)t->segments,
                           t->status == 'R' ? ", refused: no claims taken"
                                            : "");
                for (uint32_t e = 0; e < t->n_errors; e++) {
                    const cq_x12_error_t *er = &rep->errors[t->first_error + e];
                    printf("        ");
                    if (er->seg_code[0])
                        printf("IK3 %s pos %u%s%s code %s", er->seg_id,
                               (unsigned)er->position,
                               er->loop[0] ? " loop " : "", er->loop,
                               er->seg_code);
                    if (er->seg_code[0] && er->elem_code[0])
                        printf(", IK4 element %u code %s", er->element,
                               er->elem_code);
                    printf("%s%s\n", er->seg_code[0] ? ": " : "", er->msg);
                }
            }
        }
    }
    for (uint32_t e = 0; e < rep->n_errors; e++)
        if (rep->errors[e].set == UINT32_MAX)
            printf("  envelope: segment %zu: %s\n", rep->errors[e].number,
                   rep->errors[e].msg);
    if (rep->errors_dropped)
        printf("  (%u more errors not listed)\n",
               (unsigned)rep->errors_dropped);
    if (cl->invalid.len)
        fputs(cl->invalid.data, stdout);
    if (cl->n_invalid > 1000)
        printf("  (%u more invalid claims not listed)\n",
               (unsigned)(cl->n_invalid - 1000));
}

//  Checks one file; returns true when it is a valid 837.
static bool
s_check_file(const char *path, bool as_999)
{
    char *buf = NULL;
    size_t len = 0;
    int rc = cq_read_file(path, CQ_X12_MAX_DOC, &buf, &len);
    if (rc != 0) {
        fprintf(stderr, "claimq check: %s: cannot read: %s\n", path,
                cq_strerror(rc));
        if (!as_999)
            printf("%s: unreadable (%s)\n", path, cq_strerror(rc));
        return false;
    }
    cq_doc_kind_t kind = cq_doc_sniff((const uint8_t *)buf, len);
    if (kind != CQ_DOC_X12) {
        if (as_999)
            fprintf(stderr, "claimq check: %s: not X12 (%s document)\n", path,
                    cq_doc_kind_name(kind));
        else
            printf("%s: not X12 (%s document), not an 837 claim file\n", path,
                   cq_doc_kind_name(kind));
        free(buf);
        return false;
    }
    s_claims_t cl = {.n_invalid = 0};
    cq_buf_init(&cl.invalid, 1u << 20);
    cq_x12_report_t rep;
    cq_diag_t diag = {0};
    rc = cq_x12_parse(buf, len, s_on_claim, &cl, &rep, &diag);
    bool ok = rc >= 0 && cq_x12_report_ok(&rep);
    if (rc < 0) {
        if (as_999) {
            fprintf(stderr, "claimq check: %s: %s\n", path, diag.msg);
        } else if (rc == CQ_EUNSUPPORTED && strcmp(rep.kind, "835") == 0) {
            s_report_835(path, buf, len, diag.msg);
        } else {
            printf("%s: %s\n", path, diag.msg);
        }
    } else if (as_999) {
        cq_buf_t out;
        cq_buf_init(&out, (size_t)64 << 20);
        cq_x12_envelope_t env = {.newline = true};
        if (cq_x12_999_write(&rep, &env, &out) != 0) {
            fprintf(stderr, "claimq check: %s: 999 too large\n", path);
            ok = false;
        } else {
            fwrite(out.data ? out.data : "", 1, out.len, stdout);
        }
        cq_buf_free(&out);
    } else {
        s_report_text(path, &rep, &cl);
        printf("%s: %s\n", path, ok ? "valid" : "INVALID");
    }
    cq_x12_report_free(&rep);
    cq_buf_free(&cl.invalid);
    free(buf);
    return ok;
}

int
cq_cmd_check(int argc, char **argv)
{
    static const struct option opts[] = {{"format", required_argument, 0, 'f'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    bool as_999 = false;
    int c;
    while ((c = cq_getopt(argc, argv, "f:h", opts, "claimq check")) != -1) {
        switch (c) {
        case 'f':
            if (strcmp(optarg, "999") == 0) {
                as_999 = true;
            } else if (strcmp(optarg, "text") == 0) {
                as_999 = false;
            } else {
                return cq_opt_bad_value("claimq check", "--format", optarg,
                                        "text or 999");
            }
            break;
        case 'h':
            s_usage(stdout);
            return CQ_EXIT_OK;
        default: // cq_getopt said why
            return CQ_EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "claimq check: no FILE given\n"
                        "Try 'claimq check --help'.\n");
        return CQ_EXIT_USAGE;
    }
    bool all = true;
    for (int i = optind; i < argc; i++)
        all &= s_check_file(argv[i], as_999);
    return all ? CQ_EXIT_OK : CQ_EXIT_FAIL;
}
