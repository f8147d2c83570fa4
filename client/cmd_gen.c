//  claimq gen: writes a synthetic data set (common/gen.h) into a folder:
//  plan.json, members.jsonl and claims.jsonl. Every file is a pure
//  function of the options, so the same command gives the same bytes.
#include "cmds.h"
#include "date.h"
#include "err.h"
#include "gen.h"
#include "mem.h"
#include "opts.h"
#include "x12.h"
#include "form.h"
#include "paper.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

//  Output kinds that need an option.
enum {
    S_WANT_DEFAULT = 0,
    S_WANT_X12 = 1 << 0,   // --x12: claims.837 (X12 837P)
    S_WANT_PAPER = 1 << 1, // --paper N: forms/ (rendered CMS-1500 forms)
};

//  --paper N and its rendering options (client/paper.h).
static size_t s_paper_n;
static cq_paper_opts_t s_paper;

//  The first --paper N claims that fit on one CMS-1500 form (professional,
//  at most 12 diagnoses; lines past 6 dropped, see cq_paper_write_set),
//  rendered as scanned pages with their truth beside them.
static int
s_write_paper(const cq_gen_t *g, const char *dir)
{
    cq_diag_t diag = {0};
    cq_form_t *form = NULL;
    if (cq_form_load_default(NULL, &form, &diag) != 0) {
        fprintf(stderr, "claimq gen: %s\n", diag.msg);
        return -1;
    }
    cq_claim_t *claims = cq_xcalloc(s_paper_n ? s_paper_n : 1, sizeof *claims);
    size_t n = 0;
    for (size_t i = 0; i < cq_gen_n_claims(g) && n < s_paper_n; i++) {
        cq_gen_claim(g, i, &claims[n]);
        cq_diag_t fit = {0};
        if (cq_form_fit_claim(form, &claims[n], &fit) == 0)
            n++;
    }
    size_t written = 0;
    int rc =
        cq_paper_write_set(dir, form, claims, n, &s_paper, &written, &diag);
    if (rc != 0)
        fprintf(stderr, "claimq gen: forms: %s\n", diag.msg);
    else if (written < s_paper_n)
        fprintf(stderr,
                "claimq gen: %zu forms written (only %zu of the claims fit "
                "a form)\n",
                written, n);
    free(claims);
    cq_form_destroy(&form);
    return rc;
}

//  The same claims as claims.jsonl, as one X12 837P file: many claims per
//  transaction set, many sets per file, valid envelope counts. The dates
//  in the envelope are the generator's "today", so the bytes are a pure
//  function of the options like every other output.
static int
s_write_x12(const cq_gen_t *g, FILE *f)
{
    cq_buf_t buf;
    cq_buf_init(&buf, (size_t)64 << 20);
    cq_x12_write_opts_t o;
    memset(&o, 0, sizeof o);
    o.env.date = cq_gen_today(g);
    o.env.hhmm = 1200;
    o.env.newline = true;
    o.claims_per_set = 1000;
    cq_x12_837w_t *w = cq_x12_837w_new(&o, &buf);
    int rc = w ? 0 : CQ_EINVAL;
    cq_claim_t *c = cq_xmalloc(sizeof *c);
    for (size_t i = 0; rc == 0 && i < cq_gen_n_claims(g); i++) {
        cq_gen_claim(g, i, c);
        rc = cq_x12_837w_add(w, c);
        if (rc == 0 && buf.len > (1u << 20)) {
            if (fwrite(buf.data, 1, buf.len, f) != buf.len)
                rc = CQ_EIO;
            cq_buf_reset(&buf);
        }
    }
    if (rc == 0)
        rc = cq_x12_837w_finish(w);
    if (rc == 0 && buf.len > 0 && fwrite(buf.data, 1, buf.len, f) != buf.len)
        rc = CQ_EIO;
    cq_x12_837w_destroy(&w);
    free(c);
    cq_buf_free(&buf);
    return rc;
}

//  One output. To add one: write a writer (a whole file to a stream, or a
//  set of files into a folder), add a row, and for an optional output an
//  S_WANT_* bit and the option that sets it.
typedef struct {
    const char *name;                         // file (or folder) under --out
    int (*write)(const cq_gen_t *g, FILE *f); // one file, or NULL
    int (*write_dir)(const cq_gen_t *g, const char *dir); // a folder
    unsigned want; // S_WANT_* bit that enables it; 0 = always written
} s_output_t;

static const s_output_t s_outputs[] = {
    {"plan.json", cq_gen_write_plan, NULL, 0},
    {"members.jsonl", cq_gen_write_members, NULL, 0},
    {"claims.jsonl", cq_gen_write_claims, NULL, 0},
    {"claims.837", s_write_x12, NULL, S_WANT_X12},
    {"forms", NULL, s_write_paper, S_WANT_PAPER},
};

static void
s_help(void)
{
    printf(
        "usage: claimq gen --out DIR [--claims N] [--members N] [--seed S]\n"
        "                  [--received-date YYYY-MM-DD] [--payer ID] [--x12]\n"
        "                  [--paper N [--tiff | --pdf | --jpeg Q | --fax] "
        "[--dropout]\n"
        "                  [--dpi D] [--skew DEG] [--noise X] [--blur S]]\n"
        "\n"
        "Writes a synthetic, deterministic data set into DIR (created if "
        "needed):\n"
        "  plan.json      plan rules for the payer (3 plans, 40 "
        "providers)\n"
        "  members.jsonl  the member roster\n"
        "  claims.jsonl   claims, one JSON object per line\n"
        "  claims.837     with --x12: the same claims as an X12 837P file\n"
        "                 (1,000 claims per transaction set)\n"
        "  forms/         with --paper N: the first N claims that fit a "
        "CMS-1500,\n"
        "                 rendered as scanned forms (form-000001.png ..., "
        "or\n"
        "                 forms.tif with --tiff, forms.pdf with --pdf); what "
        "each form holds is in\n"
        "                 forms/.truth/ (hidden: `claimq submit forms` "
        "sends the\n"
        "                 images only)\n"
        "The same options always give the same bytes. Names and ids are "
        "obviously\n"
        "fake; the claims mix ordinary claims with duplicates, unknown "
        "members,\n"
        "name/birth date mismatches, services outside coverage, late "
        "filings,\n"
        "missing prior authorizations, voids and replacements.\n"
        "\n"
        "Every claim carries its received date: received_date in the JSON, "
        "DTP*050\n"
        "in the 837, the received stamp on a form. So the same claims are "
        "decided\n"
        "the same way from any of the three, whatever day they are "
        "submitted\n"
        "(docs/formats.md \"Received date\").\n"
        "\n"
        "options:\n"
        "  -o, --out DIR            folder to write (required)\n"
        "  -n, --claims N           number of claims (default 10000, at "
        "most %d)\n"
        "  -m, --members N          roster size (default 1000, 1 to %d)\n"
        "  -s, --seed S             random seed (default 1)\n"
        "  -r, --received-date D    the date every claim is received "
        "(default\n"
        "                           2026-07-01); services fall before it\n"
        "  -p, --payer ID           payer id (default ACME)\n"
        "  -x, --x12                also write claims.837\n"
        "      --paper N            also render N forms into forms/ "
        "(1 to 100000)\n"
        "      --tiff               one multi-page G4 TIFF (bitonal) "
        "instead of PNGs\n"
        "      --pdf                one multi-page PDF instead of PNGs, "
        "each page the\n"
        "                           scan as an image at --dpi (what "
        "scanners and fax\n"
        "                           servers send)\n"
        "      --jpeg Q             colour JPEG pages at quality Q (1 to "
        "100) instead\n"
        "                           of PNGs\n"
        "      --fax                a standard-mode fax: one multi-page G3 "
        "TIFF, 1 bpp,\n"
        "                           204 dpi across and 98 lines per inch "
        "down\n"
        "      --dropout            the form's red ink dropped out at the "
        "scanner: the\n"
        "                           pages hold only the data (no grid, no "
        "titles)\n"
        "      --dpi D              scan resolution (100 to 600, default "
        "300)\n"
        "      --skew DEG           page rotation (-10 to 10, default 0)\n"
        "      --noise X            scanner noise (0 to 1, default 0)\n"
        "      --blur S             blur sigma in pixels (0 to 5, default "
        "0)\n"
        "      --paper-seed S       seed of the rendering (default: "
        "--seed)\n"
        "  -h, --help               this help\n"
        "\n"
        "A one-line summary goes to stderr; nothing is written to stdout.\n"
        "exit codes: 0 ok, 1 cannot write, 2 usage\n",
        CQ_GEN_MAX_CLAIMS, CQ_GEN_MAX_MEMBERS);
}

static int s_usage(const char *fmt, ...) CQ_PRINTF(1, 2);

//  A usage error: one line, then where to look.
static int
s_usage(const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "claimq gen: %s\nTry 'claimq gen --help'.\n", msg);
    return CQ_EXIT_USAGE;
}

//  A whole decimal number in [lo, hi].
static bool
s_number(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
    if (s[0] < '0' || s[0] > '9')
        return false;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

//  A decimal number in [lo, hi].
static bool
s_real(const char *s, double lo, double hi, double *out)
{
    errno = 0;
    char *end;
    double v = strtod(s, &end);
    if (errno != 0 || end == s || *end != '\0' || !(v >= lo && v <= hi))
        return false;
    *out = v;
    return true;
}

//  mkdir -p.
static int
s_mkdirs(const char *path)
{
    char p[4096];
    if (snprintf(p, sizeof p, "%s", path) >= (int)sizeof p)
        return -1;
    for (char *q = p + 1; *q; q++) {
        if (*q != '/')
            continue;
        *q = '\0';
        if (mkdir(p, 0777) != 0 && errno != EEXIST)
            return -1;
        *q = '/';
    }
    if (mkdir(p, 0777) != 0 && errno != EEXIST)
        return -1;
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode) ? 0 : -1;
}

//  Writes one file through a temporary name, so that a reader never sees
//  half a file.
static int
s_write_file(const cq_gen_t *g, const char *dir, const s_output_t *o)
{
    char path[4200], tmp[4300];
    snprintf(path, sizeof path, "%s/%s", dir, o->name);
    snprintf(tmp, sizeof tmp, "%s/.%s.tmp", dir, o->name);
    FILE *f = fopen(tmp, "wb");
    if (f == NULL) {
        fprintf(stderr, "claimq gen: cannot create %s: %s\n", tmp,
                strerror(errno));
        return -1;
    }
    int rc = o->write(g, f);
    int saved = errno;
    if (fclose(f) != 0 && rc == 0) {
        rc = CQ_EIO;
        saved = errno;
    }
    if (rc == 0 && rename(tmp, path) != 0) {
        rc = CQ_EIO;
        saved = errno;
    }
    if (rc != 0) {
        fprintf(stderr, "claimq gen: cannot write %s: %s\n", path,
                strerror(saved));
        unlink(tmp);
        return -1;
    }
    return 0;
}

int
cq_cmd_gen(int argc, char **argv)
{
    static const struct option opts[] = {
        {"out", required_argument, NULL, 'o'},
        {"claims", required_argument, NULL, 'n'},
        {"members", required_argument, NULL, 'm'},
        {"seed", required_argument, NULL, 's'},
        {"received-date", required_argument, NULL, 'r'},
        {"payer", required_argument, NULL, 'p'},
        {"x12", no_argument, NULL, 'x'},
        {"paper", required_argument, NULL, 'P'},
        {"tiff", no_argument, NULL, 'T'},
        {"pdf", no_argument, NULL, 'F'},
        {"jpeg", required_argument, NULL, 'J'},
        {"fax", no_argument, NULL, 'X'},
        {"dropout", no_argument, NULL, 'U'},
        {"dpi", required_argument, NULL, 'D'},
        {"skew", required_argument, NULL, 'K'},
        {"noise", required_argument, NULL, 'N'},
        {"blur", required_argument, NULL, 'B'},
        {"paper-seed", required_argument, NULL, 'S'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    cq_gen_opts_t o;
    cq_gen_opts_default(&o);
    cq_paper_opts_init(&s_paper);
    bool paper_seed = false;
    const char *out = NULL;
    unsigned want = S_WANT_DEFAULT;
    uint64_t v;
    int ch;
    while ((ch = cq_getopt(argc, argv, "o:n:m:s:r:p:xh", opts, "claimq gen")) !=
           -1) {
        switch (ch) {
        case 'o':
            out = optarg;
            break;
        case 'n':
            if (!s_number(optarg, 0, CQ_GEN_MAX_CLAIMS, &v))
                return s_usage("--claims: '%s' is not a number of claims",
                               optarg);
            o.n_claims = (size_t)v;
            break;
        case 'm':
            if (!s_number(optarg, 1, CQ_GEN_MAX_MEMBERS, &v))
                return s_usage("--members: '%s' is not a number of members",
                               optarg);
            o.n_members = (size_t)v;
            break;
        case 's':
            if (!s_number(optarg, 0, UINT64_MAX, &v))
                return s_usage("--seed: '%s' is not a number", optarg);
            o.seed = v;
            break;
        case 'r':
            if (cq_date_parse(optarg, strlen(optarg), &o.today) != 0 ||
                o.today < cq_date_from_ymd(2000, 1, 1) ||
                o.today > cq_date_from_ymd(2190, 12, 31))
                return s_usage("--received-date: '%s' is not a date "
                               "(YYYY-MM-DD, 2000 to 2190)",
                               optarg);
            break;
        case 'p':
            o.payer_id = optarg;
            break;
        case 'x':
            want |= S_WANT_X12;
            break;
        case 'P':
            if (!s_number(optarg, 1, 100000, &v))
                return s_usage("--paper: '%s' is not a number of forms "
                               "(1 to 100000)",
                               optarg);
            s_paper_n = (size_t)v;
            want |= S_WANT_PAPER;
            break;
        case 'T':
            s_paper.tiff = true;
            s_paper.bitonal = true;
            break;
        case 'F':
            s_paper.pdf = true;
            break;
        case 'J':
            if (!s_number(optarg, 1, 100, &v))
                return s_usage("--jpeg: '%s' is not a quality, 1 to 100",
                               optarg);
            s_paper.jpeg_quality = (int)v;
            break;
        case 'X':
            s_paper.fax = true;
            break;
        case 'U':
            s_paper.no_form = true;
            break;
        case 'D':
            if (!s_number(optarg, 100, 600, &v))
                return s_usage("--dpi: '%s' is not 100 to 600", optarg);
            s_paper.dpi = (int)v;
            break;
        case 'K':
            if (!s_real(optarg, -10, 10, &s_paper.skew_deg))
                return s_usage("--skew: '%s' is not -10 to 10", optarg);
            break;
        case 'N':
            if (!s_real(optarg, 0, 1, &s_paper.noise))
                return s_usage("--noise: '%s' is not 0 to 1", optarg);
            break;
        case 'B':
            if (!s_real(optarg, 0, 5, &s_paper.blur))
                return s_usage("--blur: '%s' is not 0 to 5", optarg);
            break;
        case 'S':
            if (!s_number(optarg, 0, UINT64_MAX, &v))
                return s_usage("--paper-seed: '%s' is not a number", optarg);
            s_paper.seed = v;
            paper_seed = true;
            break;
        case 'h':
            s_help();
            return CQ_EXIT_OK;
        default: // cq_getopt said why
            return CQ_EXIT_USAGE;
        }
    }
    if ((s_paper.tiff ? 1 : 0) + (s_paper.pdf ? 1 : 0) +
            (s_paper.jpeg_quality ? 1 : 0) + (s_paper.fax ? 1 : 0) >
        1)
        return s_usage("--tiff, --pdf, --jpeg and --fax: one of them");
    if (s_paper.fax && s_paper.dpi == 300)
        s_paper.dpi = 204; // a fax's horizontal resolution
    if (optind < argc)
        return s_usage("unexpected argument '%s'", argv[optind]);
    if (!paper_seed)
        s_paper.seed = o.seed;
    if (out == NULL)
        return s_usage("--out DIR is required");
    cq_gen_t *g = cq_gen_new(&o);
    if (g == NULL)
        return s_usage("--payer: '%s' is not a usable payer id "
                       "(printable, no spaces, '|', quotes)",
                       o.payer_id);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (s_mkdirs(out) != 0) {
        fprintf(stderr, "claimq gen: cannot create %s: %s\n", out,
                strerror(errno));
        cq_gen_destroy(&g);
        return CQ_EXIT_FAIL;
    }
    for (size_t i = 0; i < CQ_ARRAY_LEN(s_outputs); i++) {
        const s_output_t *w = &s_outputs[i];
        if (w->want && !(want & w->want))
            continue;
        int rc = 0;
        if (w->write) {
            rc = s_write_file(g, out, w);
        } else {
            char dir[4200];
            snprintf(dir, sizeof dir, "%s/%s", out, w->name);
            rc = s_mkdirs(dir) == 0 ? w->write_dir(g, dir) : -1;
            if (rc != 0)
                fprintf(stderr, "claimq gen: cannot write %s\n", dir);
        }
        if (rc != 0) {
            cq_gen_destroy(&g);
            return CQ_EXIT_FAIL;
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);

    //  One line: what was made, by kind.
    size_t kinds[CQ_GEN_KIND_COUNT] = {0};
    for (size_t i = 0; i < o.n_claims; i++)
        kinds[cq_gen_kind(g, i)]++;
    char mix[512] = "";
    size_t used = 0;
    for (int k = 0; k < CQ_GEN_KIND_COUNT && used < sizeof mix; k++)
        used += (size_t)snprintf(mix + used, sizeof mix - used, "%s%s %zu",
                                 k ? ", " : "", cq_gen_kind_name(k), kinds[k]);
    char day[CQ_DATE_STRLEN];
    double secs = (double)(t1.tv_sec - t0.tv_sec) +
                  (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    fprintf(stderr,
            "claimq gen: %zu claims (%s), %zu members, payer %s, received "
            "%s, seed %llu -> %s in %.2f s\n",
            o.n_claims, mix, o.n_members, o.payer_id,
            cq_date_format(cq_gen_today(g), day), (unsigned long long)o.seed,
            out, secs);
    cq_gen_destroy(&g);
    return CQ_EXIT_OK;
}
