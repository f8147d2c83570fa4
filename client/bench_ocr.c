//  claimq bench ocr: zonal OCR of generated CMS-1500 forms against their
//  truth, and against the `tesseract` CLI on the same pages, in one run.
//
//  Three sets are rendered from the same generated claims (common/gen.h):
//  clean (300 dpi colour PNG), degraded (200 dpi colour PNG, 1.5 degree
//  skew, blur, Gaussian and impulse noise), upside-down and sideways
//  (pages fed turned), pdf (scans in a multi-page PDF) and g4 (200 dpi
//  bitonal, one
//  multi-page G4 TIFF). For each set it reports pages/s and per-core
//  ms/page of the pipeline (one process, one thread), the CLI's ms/page
//  (`tesseract FILE stdout --psm 3 --dpi D`, OMP_THREAD_LIMIT=1) on the
//  first --cli-pages pages, field exact-match accuracy (raw OCR text and
//  after validation), the auto-accept rate and the silent error rate
//  (fields accepted without a pend whose value is wrong).
//  nftw (the scratch directory's removal) is XSI
#define _XOPEN_SOURCE 700
#include "cmds.h"

#include "claim_json.h"
#include "gen.h"
#include "ocr.h"
#include "paper.h"
#include "opts.h"

#include <errno.h>
#include <ftw.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define S_PROG "claimq bench ocr"

//  clean, degraded, g4, upside-down, sideways, pdf, clipped, jpeg, fax,
//  no-grid, clipped-deep
#define S_SETS 11

typedef struct {
    const char *name;      // "clean", "degraded", "g4"
    const char *desc;      // how it was made
    cq_paper_opts_t paper; // rendering
    char dir[PATH_MAX + 32];
    //  accuracy (fields blank in the truth and in the OCR are not counted)
    size_t pages;
    size_t fields;             // fields compared
    size_t raw_ok;             // raw text equals the printed text
    size_t val_ok;             // validated value equals the truth
    size_t accepted;           // accepted without pend (or read as blank)
    size_t silent;             // accepted and wrong
    size_t claims_clean;       // claims with no pend at all
    size_t claims_clean_wrong; // ... with a wrong value in them
    size_t invalid;            // pages rejected as unreadable
    size_t pend_by[CQ_FORM_MAX_FIELDS]; // pends per template field
    //  speed
    double wall_ms, cpu_ms;     // all pages
    double wall_ms_k, cpu_ms_k; // the pages the CLI also read
    size_t pages_k;
    double cli_wall_ms, cli_cpu_ms; // the CLI on those pages
    size_t cli_pages;
    bool cli_ok;
    char cli_error[256];
} s_set_t;

typedef struct {
    s_set_t *set;
    const cq_claim_t *truth; // fitted claims, one per page
    size_t n_truth;
    cq_ocr_t *ocr;
    size_t page_base;  // index of the file's first page in truth
    size_t cli_pages;  // pages also read by the CLI
    size_t page_index; // pages seen in this file
    double t_wall, t_cpu;
    bool verbose; // list mismatches on stderr (synthetic data only)
} s_eval_t;

static double
s_clock_ms(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

//  Collapses runs of spaces and trims (the printed text of a field).
static void
s_squeeze(const char *in, char *out, size_t size)
{
    size_t k = 0;
    bool sp = false;
    for (const char *p = in; *p && k + 2 < size; p++) {
        if (*p == ' ') {
            sp = k > 0;
            continue;
        }
        if (sp)
            out[k++] = ' ';
        sp = false;
        out[k++] = *p;
    }
    out[k] = '\0';
}

static int
s_on_claim(void *arg, cq_claim_t *c)
{
    s_eval_t *ev = arg;
    double wall = s_clock_ms(CLOCK_MONOTONIC) - ev->t_wall;
    double cpu = s_clock_ms(CLOCK_PROCESS_CPUTIME_ID) - ev->t_cpu;
    s_set_t *set = ev->set;
    size_t idx = ev->page_base + ev->page_index;
    set->wall_ms += wall;
    set->cpu_ms += cpu;
    if (idx < ev->cli_pages) {
        set->wall_ms_k += wall;
        set->cpu_ms_k += cpu;
        set->pages_k++;
    }
    ev->page_index++;
    set->pages++;
    if (idx >= ev->n_truth || c->invalid) {
        set->invalid++;
        goto out;
    }
    const cq_claim_t *truth = &ev->truth[idx];
    const cq_ocr_page_t *pg = cq_ocr_page(ev->ocr);
    bool claim_wrong = false;
    for (size_t i = 0; i < pg->n_fields; i++) {
        const cq_ocr_field_t *r = &pg->fields[i];
        const cq_form_field_t *fd = r->def;
        char want[CQ_FORM_CELL_LEN], printed[CQ_FORM_CELL_LEN * 2];
        char cells[CQ_FORM_MAX_CELLS][CQ_FORM_CELL_LEN];
        cq_form_field_value(fd, truth, want, sizeof want);
        int n = cq_form_field_print(fd, truth, cells);
        size_t k = 0;
        printed[0] = '\0';
        for (int j = 0; j < n && k + 1 < sizeof printed; j++)
            k += (size_t)snprintf(printed + k, sizeof printed - k, "%s%s",
                                  j ? " " : "", cells[j]);
        char sq[CQ_FORM_CELL_LEN * 2];
        s_squeeze(printed, sq, sizeof sq);
        bool truth_blank = n == 0;
        if (truth_blank && r->blank)
            continue; // nothing printed, nothing read
        set->fields++;
        bool right = strcmp(r->value, want) == 0;
        if (fd->type == CQ_FT_CHECK)
            set->raw_ok += right;
        else
            set->raw_ok += strcmp(r->raw, sq) == 0;
        set->val_ok += right;
        if (ev->verbose && !right)
            fprintf(stderr,
                    "  %s page %zu %-26s %-8s conf %3d raw \"%s\" value "
                    "\"%s\" truth \"%s\"%s%s\n",
                    set->name, idx + 1, fd->name,
                    r->status == CQ_OCR_PEND    ? "pend"
                    : r->status == CQ_OCR_BLANK ? "blank"
                                                : "ACCEPTED",
                    r->conf, r->raw, r->value, want, r->reason ? " " : "",
                    r->reason ? r->reason : "");
        if (r->status == CQ_OCR_PEND)
            set->pend_by[i]++;
        if (r->status != CQ_OCR_PEND) {
            set->accepted++;
            if (!right) {
                set->silent++;
                claim_wrong = true;
            }
        }
    }
    if (c->n_pend == 0) {
        set->claims_clean++;
        set->claims_clean_wrong += claim_wrong;
    }
out:
    ev->t_wall = s_clock_ms(CLOCK_MONOTONIC);
    ev->t_cpu = s_clock_ms(CLOCK_PROCESS_CPUTIME_ID);
    return 0;
}

static int
s_read_file(const char *path, uint8_t **buf, size_t *len)
{
    char *b = NULL;
    int rc = cq_read_file(path, CQ_OCR_MAX_FILE, &b, len);
    *buf = (uint8_t *)b;
    return rc;
}

//  Multi-page sets (TIFF, PDF, fax) are written S_FILE_PAGES pages a file,
//  in DIR/part-01, part-02, ...: a PDF of 200 dpi lossless colour scans
//  passes the 64 MiB file limit (limit.h) at about 25 pages, and a worker
//  would refuse it as the bench must not read it.
#define S_FILE_PAGES 10

static bool
s_multipage(const s_set_t *set)
{
    return set->paper.tiff || set->paper.pdf || set->paper.fax;
}

static int
s_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

//  Removes dir and all it holds (the bench's own scratch directory).
static void
s_rm_tree(const char *dir)
{
    nftw(dir, s_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static int
s_run_ours(s_set_t *set, cq_ocr_t *ocr, const cq_claim_t *truth, size_t n,
           size_t cli_pages, bool verbose)
{
    s_eval_t ev = {.set = set,
                   .verbose = verbose,
                   .truth = truth,
                   .n_truth = n,
                   .ocr = ocr,
                   .cli_pages = cli_pages};
    char path[PATH_MAX + 64];
    bool one = s_multipage(set);
    size_t files = one ? (n + S_FILE_PAGES - 1) / S_FILE_PAGES : n;
    for (size_t i = 0; i < files; i++) {
        if (one)
            snprintf(path, sizeof path, "%s/part-%02zu/forms.%s", set->dir,
                     i + 1, set->paper.pdf ? "pdf" : "tif");
        else
            snprintf(path, sizeof path, "%s/form-%06zu.%s", set->dir, i + 1,
                     set->paper.jpeg_quality ? "jpg" : "png");
        uint8_t *buf;
        size_t len;
        if (s_read_file(path, &buf, &len) != 0) {
            fprintf(stderr, "claimq bench ocr: cannot read %s\n", path);
            return -1;
        }
        ev.page_base = one ? i * S_FILE_PAGES : i;
        ev.page_index = 0;
        cq_diag_t d = {0};
        ev.t_wall = s_clock_ms(CLOCK_MONOTONIC);
        ev.t_cpu = s_clock_ms(CLOCK_PROCESS_CPUTIME_ID);
        cq_ocr_read(ocr, buf, len, s_on_claim, &ev, &d);
        free(buf);
    }
    return 0;
}

//  Runs the tesseract CLI on one file: wall and CPU (user + sys) time.
static int
s_cli(const char *file, int dpi, double *wall, double *cpu, char *err,
      size_t errsize)
{
    char dpis[16];
    snprintf(dpis, sizeof dpis, "%d", dpi);
    double t0 = s_clock_ms(CLOCK_MONOTONIC);
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, errsize, "fork: %s", strerror(errno));
        return -1;
    }
    if (pid == 0) {
        int fd = open("/dev/null", O_RDWR);
        if (fd >= 0) {
            dup2(fd, 0);
            dup2(fd, 1);
            dup2(fd, 2);
        }
        setenv("OMP_THREAD_LIMIT", "1", 1);
        execlp("tesseract", "tesseract", file, "stdout", "--psm", "3", "--dpi",
               dpis, (char *)NULL);
        _exit(127);
    }
    int status = 0;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) < 0) {
        snprintf(err, errsize, "wait: %s", strerror(errno));
        return -1;
    }
    *wall = s_clock_ms(CLOCK_MONOTONIC) - t0;
    *cpu = (double)ru.ru_utime.tv_sec * 1e3 + ru.ru_utime.tv_usec / 1e3 +
           (double)ru.ru_stime.tv_sec * 1e3 + ru.ru_stime.tv_usec / 1e3;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        snprintf(err, errsize, "tesseract exited with status %d%s",
                 WIFEXITED(status) ? WEXITSTATUS(status) : -1,
                 WIFEXITED(status) && WEXITSTATUS(status) == 127
                     ? " (not installed?)"
                     : "");
        return -1;
    }
    return 0;
}

static void
s_run_cli(s_set_t *set, const cq_form_t *form, const cq_claim_t *claims,
          size_t k)
{
    char path[PATH_MAX + 128];
    set->cli_ok = true;
    if (set->paper.pdf) {
        set->cli_ok = false;
        cq_strlcpy(set->cli_error, "the tesseract CLI does not read PDF",
                   sizeof set->cli_error);
        return;
    }
    if (set->paper.tiff || set->paper.fax) {
        //  the same first k pages, as their own multi-page file
        char sub[PATH_MAX + 64];
        snprintf(sub, sizeof sub, "%s/cli", set->dir);
        cq_diag_t d = {0};
        if (cq_paper_write_set(sub, form, claims, k, &set->paper, NULL, &d) !=
            0) {
            set->cli_ok = false;
            cq_strlcpy(set->cli_error, d.msg, sizeof set->cli_error);
            return;
        }
        snprintf(path, sizeof path, "%s/forms.tif", sub);
        double w, c;
        if (s_cli(path, set->paper.dpi, &w, &c, set->cli_error,
                  sizeof set->cli_error) != 0) {
            set->cli_ok = false;
            return;
        }
        set->cli_wall_ms = w;
        set->cli_cpu_ms = c;
        set->cli_pages = k;
        return;
    }
    for (size_t i = 0; i < k; i++) {
        snprintf(path, sizeof path, "%s/form-%06zu.%s", set->dir, i + 1,
                 set->paper.jpeg_quality ? "jpg" : "png");
        double w, c;
        if (s_cli(path, set->paper.dpi, &w, &c, set->cli_error,
                  sizeof set->cli_error) != 0) {
            set->cli_ok = false;
            return;
        }
        set->cli_wall_ms += w;
        set->cli_cpu_ms += c;
        set->cli_pages++;
    }
}

static double
s_pct(size_t a, size_t b)
{
    return b ? 100.0 * (double)a / (double)b : 0;
}

static double
s_div(double a, double b)
{
    return b > 0 ? a / b : 0;
}

static void
s_usage(FILE *out)
{
    fprintf(out,
            "usage: claimq bench ocr [--pages N] [--cli-pages K] [--seed S]\n"
            "                        [--threshold T] [--form FILE] "
            "[--keep DIR] [--json]\n"
            "                        [--verbose]\n\n"
            "Renders N generated claims (default 10) as eleven sets of "
            "CMS-1500 pages\n"
            "(clean 300 dpi PNG; degraded 200 dpi PNG with 1.5 degree skew, "
            "blur and\n"
            "noise; bitonal 200 dpi G4 TIFF; upside-down 300 dpi PNG; "
            "sideways 200 dpi\n"
            "PNG; 200 dpi scans in a multi-page PDF; clipped: skewed 1.5 "
            "degrees, its\n"
            "corners and border not scanned; jpeg: 200 dpi JPEG at quality "
            "25; fax:\n"
            "standard-mode G3 fax, 204 x 98 dpi; no-grid: the red form "
            "dropped out,\n"
            "only the data; clipped-deep: 0.25 in of the left and top not "
            "scanned, data\n"
            "cut, which must pend), reads\n"
            "them with the OCR pipeline (one\n"
            "thread) and compares every field with the truth; runs the "
            "tesseract CLI\n"
            "(--psm 3, OMP_THREAD_LIMIT=1) on the first K pages of each set "
            "(default 3;\n"
            "0 skips it) for the speed ratio.\n\n"
            "  --pages N       claims per set (default 10)\n"
            "  --cli-pages K   pages per set also read by the CLI (default "
            "3)\n"
            "  --seed S        generator and renderer seed (default 1)\n"
            "  --threshold T   pend threshold (default %d)\n"
            "  --form FILE     form template (default: $CQ_FORM, else the "
            "installed\n"
            "                  share/claimq/forms/cms1500.json, else the "
            "copy built\n"
            "                  into the program)\n"
            "  --keep DIR      write the sets into DIR and keep them\n"
            "  --json          one JSON object on stdout\n"
            "  --verbose       list every wrong field on stderr (the data "
            "is synthetic)\n"
            "  -h, --help      this help\n\n"
            "Targets: clean >= 99.5%% fields exact and >= 6x faster than "
            "the CLI;\n"
            "degraded >= 98%% exact after validation, auto-accept >= 90%%, "
            "silent\n"
            "errors <= 0.1%% of accepted fields.\n",
            CQ_OCR_THRESHOLD);
}

//  The fields that pend most, with their reasons summed up (--verbose):
//  where a per-field threshold or a better zone would pay.
static void
s_print_pends(const s_set_t *s, const cq_form_t *form)
{
    fprintf(stderr, "claimq bench ocr: %s: fields that pend most:", s->name);
    bool used[CQ_FORM_MAX_FIELDS] = {false};
    for (int k = 0; k < 8; k++) {
        size_t best = SIZE_MAX;
        for (size_t i = 0; i < form->n_fields; i++)
            if (!used[i] && s->pend_by[i] > 0 &&
                (best == SIZE_MAX || s->pend_by[i] > s->pend_by[best]))
                best = i;
        if (best == SIZE_MAX)
            break;
        used[best] = true;
        fprintf(stderr, " %s %zu", form->fields[best].name, s->pend_by[best]);
    }
    fprintf(stderr, "\n");
}

static void
s_print_text(s_set_t *sets, size_t n, double init_ms)
{
    printf("claimq bench ocr: Tesseract init %.0f ms (once per thread)\n\n",
           init_ms);
    printf("%-12s %5s %6s %8s %8s %8s %8s %9s %8s %8s %8s\n", "set", "pages",
           "fields", "raw%", "valid%", "accept%", "silent%", "claims-ok%",
           "ms/page", "pages/s", "cpu-ms");
    for (size_t i = 0; i < n; i++) {
        s_set_t *s = &sets[i];
        printf("%-12s %5zu %6zu %8.2f %8.2f %8.2f %8.3f %9.1f %8.0f %8.2f "
               "%8.0f\n",
               s->name, s->pages, s->fields, s_pct(s->raw_ok, s->fields),
               s_pct(s->val_ok, s->fields), s_pct(s->accepted, s->fields),
               s_pct(s->silent, s->accepted), s_pct(s->claims_clean, s->pages),
               s_div(s->wall_ms, (double)s->pages),
               s_div(1000.0 * (double)s->pages, s->wall_ms),
               s_div(s->cpu_ms, (double)s->pages));
    }
    printf("\nsilent errors: fields accepted without pend that are wrong "
           "(count / accepted)\n");
    for (size_t i = 0; i < n; i++)
        printf("  %-12s %zu / %zu; claims with no pend: %zu, of which with a "
               "wrong value: %zu; unreadable pages: %zu\n",
               sets[i].name, sets[i].silent, sets[i].accepted,
               sets[i].claims_clean, sets[i].claims_clean_wrong,
               sets[i].invalid);
    printf("\nspeed against `tesseract FILE stdout --psm 3 --dpi D` "
           "(OMP_THREAD_LIMIT=1), same pages:\n");
    for (size_t i = 0; i < n; i++) {
        s_set_t *s = &sets[i];
        if (!s->cli_ok) {
            printf("  %-12s CLI not run: %s\n", s->name,
                   s->cli_error[0] ? s->cli_error : "--cli-pages 0");
            continue;
        }
        double ours = s_div(s->wall_ms_k, (double)s->pages_k);
        double ours_cpu = s_div(s->cpu_ms_k, (double)s->pages_k);
        double cli = s_div(s->cli_wall_ms, (double)s->cli_pages);
        double cli_cpu = s_div(s->cli_cpu_ms, (double)s->cli_pages);
        printf("  %-12s %zu pages: pipeline %.0f ms/page (cpu %.0f), CLI %.0f "
               "ms/page (cpu %.0f): %.1fx faster (cpu %.1fx)\n",
               s->name, s->cli_pages, ours, ours_cpu, cli, cli_cpu,
               s_div(cli, ours), s_div(cli_cpu, ours_cpu));
    }
    for (size_t i = 0; i < n; i++)
        printf("\n%-12s %s", sets[i].name, sets[i].desc);
    printf("\n");
}

static void
s_print_json(s_set_t *sets, size_t n, double init_ms, int threshold)
{
    printf("{\"bench\": \"ocr\", \"threshold\": %d, \"init_ms\": %.1f, "
           "\"sets\": [",
           threshold, init_ms);
    for (size_t i = 0; i < n; i++) {
        s_set_t *s = &sets[i];
        double ours = s_div(s->wall_ms_k, (double)s->pages_k);
        double cli = s_div(s->cli_wall_ms, (double)s->cli_pages);
        printf("%s{\"name\": \"%s\", \"description\": \"%s\", \"pages\": %zu, "
               "\"fields\": %zu, \"raw_exact_pct\": %.3f, "
               "\"validated_exact_pct\": %.3f, \"auto_accept_pct\": %.3f, "
               "\"accepted\": %zu, \"silent_errors\": %zu, "
               "\"silent_error_pct\": %.4f, \"claims_no_pend\": %zu, "
               "\"claims_no_pend_wrong\": %zu, \"unreadable\": %zu, "
               "\"ms_per_page\": %.1f, \"cpu_ms_per_page\": %.1f, "
               "\"pages_per_s\": %.3f",
               i ? ", " : "", s->name, s->desc, s->pages, s->fields,
               s_pct(s->raw_ok, s->fields), s_pct(s->val_ok, s->fields),
               s_pct(s->accepted, s->fields), s->accepted, s->silent,
               s_pct(s->silent, s->accepted), s->claims_clean,
               s->claims_clean_wrong, s->invalid,
               s_div(s->wall_ms, (double)s->pages),
               s_div(s->cpu_ms, (double)s->pages),
               s_div(1000.0 * (double)s->pages, s->wall_ms));
        if (s->cli_ok)
            printf(", \"cli_pages\": %zu, \"cli_ms_per_page\": %.1f, "
                   "\"cli_cpu_ms_per_page\": %.1f, "
                   "\"ms_per_page_same_pages\": %.1f, "
                   "\"cpu_ms_per_page_same_pages\": %.1f, \"speedup\": %.2f, "
                   "\"speedup_cpu\": %.2f}",
                   s->cli_pages, cli,
                   s_div(s->cli_cpu_ms, (double)s->cli_pages), ours,
                   s_div(s->cpu_ms_k, (double)s->pages_k), s_div(cli, ours),
                   s_div(s_div(s->cli_cpu_ms, (double)s->cli_pages),
                         s_div(s->cpu_ms_k, (double)s->pages_k)));
        else
            printf(", \"cli_pages\": 0}");
    }
    printf("]}\n");
}

int
cq_bench_ocr(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"pages", required_argument, NULL, 'n'},
        {"cli-pages", required_argument, NULL, 'k'},
        {"seed", required_argument, NULL, 's'},
        {"threshold", required_argument, NULL, 't'},
        {"form", required_argument, NULL, 'f'},
        {"keep", required_argument, NULL, 'K'},
        {"json", no_argument, NULL, 'j'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    //  OpenMP must be limited before the process starts (docs/ocr.md):
    //  run again as `claimq bench ocr ...` with OMP_THREAD_LIMIT=1.
    char **full = cq_xcalloc((size_t)argc + 3, sizeof *full);
    full[0] = "claimq";
    full[1] = "bench";
    for (int i = 0; i < argc; i++)
        full[2 + i] = argv[i];
    cq_ocr_ensure_env(full);
    free(full);

    long pages = 10, cli_pages = 3, threshold = CQ_OCR_THRESHOLD;
    unsigned long long seed = 1;
    const char *form_path = NULL, *keep = NULL;
    bool json = false, verbose = false;
    int c;
    while ((c = cq_getopt(argc, argv, "h", longopts, S_PROG)) != -1) {
        char *end = NULL;
        switch (c) {
        case 'n':
            pages = strtol(optarg, &end, 10);
            if (*end || pages < 1 || pages > 10000)
                return cq_opt_bad_value(S_PROG, "--pages", optarg, "1..10000");
            break;
        case 'k':
            cli_pages = strtol(optarg, &end, 10);
            if (*end || cli_pages < 0 || cli_pages > 10000)
                return cq_opt_bad_value(S_PROG, "--cli-pages", optarg,
                                        "0..10000");
            break;
        case 's':
            seed = strtoull(optarg, &end, 10);
            if (*end)
                return cq_opt_bad_value(S_PROG, "--seed", optarg, "a number");
            break;
        case 't':
            threshold = strtol(optarg, &end, 10);
            if (*end || threshold < 0 || threshold > 100)
                return cq_opt_bad_value(S_PROG, "--threshold", optarg,
                                        "0..100");
            break;
        case 'f':
            form_path = optarg;
            break;
        case 'K':
            keep = optarg;
            break;
        case 'j':
            json = true;
            break;
        case 'v':
            verbose = true;
            break;
        case 'h':
            s_usage(stdout);
            return CQ_EXIT_OK;
        default: // cq_getopt said why
            return CQ_EXIT_USAGE;
        }
    }
    if (optind != argc)
        goto usage;
    if (cli_pages > pages)
        cli_pages = pages;

    cq_diag_t diag = {0};
    cq_ocr_opts_t oo;
    cq_ocr_opts_init(&oo);
    oo.threshold = (int)threshold;
    if (pages > oo.max_pages)
        oo.max_pages = (int)pages; // the g4 set is one multi-page TIFF
    oo.form_path = form_path;
    double t0 = s_clock_ms(CLOCK_MONOTONIC);
    cq_ocr_t *ocr = cq_ocr_new(&oo, &diag);
    double init_ms = s_clock_ms(CLOCK_MONOTONIC) - t0;
    if (ocr == NULL) {
        fprintf(stderr, "claimq bench ocr: %s\n", diag.msg);
        return CQ_EXIT_SETUP;
    }
    const cq_form_t *form = cq_ocr_form(ocr);

    //  The claims, fitted to one form each (they are the truth).
    cq_gen_opts_t go;
    cq_gen_opts_default(&go);
    go.seed = seed;
    go.n_claims = (size_t)pages;
    cq_gen_t *gen = cq_gen_new(&go);
    if (gen == NULL) {
        fprintf(stderr, "claimq bench ocr: generator options out of range\n");
        cq_ocr_destroy(&ocr);
        return CQ_EXIT_FAIL;
    }
    cq_claim_t *claims = cq_xcalloc((size_t)pages, sizeof *claims);
    size_t n = 0;
    for (size_t i = 0; n < (size_t)pages && i < (size_t)pages * 4; i++) {
        cq_claim_t *cl = &claims[n];
        //  beyond the generated set: reuse with another seed's claims
        if (i >= cq_gen_n_claims(gen))
            break;
        cq_gen_claim(gen, i, cl);
        if (cq_form_fit_claim(form, cl, NULL) == 0)
            n++;
    }
    cq_gen_destroy(&gen);

    char base[PATH_MAX];
    if (keep != NULL) {
        snprintf(base, sizeof base, "%s", keep);
        if (mkdir(base, 0777) != 0 && errno != EEXIST) {
            fprintf(stderr, "claimq bench ocr: cannot create %s: %s\n", base,
                    strerror(errno));
            free(claims);
            cq_ocr_destroy(&ocr);
            return CQ_EXIT_FAIL;
        }
    } else {
        const char *tmp = getenv("TMPDIR");
        snprintf(base, sizeof base, "%s/claimq-bench-ocr-XXXXXX",
                 tmp && tmp[0] ? tmp : "/tmp");
        if (mkdtemp(base) == NULL) {
            fprintf(stderr,
                    "claimq bench ocr: cannot create a temporary "
                    "directory: %s\n",
                    strerror(errno));
            free(claims);
            cq_ocr_destroy(&ocr);
            return CQ_EXIT_FAIL;
        }
    }

    s_set_t sets[S_SETS] = {
        {.name = "clean",
         .desc = "300 dpi colour PNG, no skew, no noise; printer "
                 "misregistration up to 0.025 in, placement shift up to "
                 "0.06 in"},
        {.name = "degraded",
         .desc = "200 dpi colour PNG, skew 1.5 deg, blur sigma 0.9 px, "
                 "noise 0.5 (impulse 1.5% per channel, Gaussian sigma 6)"},
        {.name = "g4",
         .desc = "200 dpi bitonal G4 multi-page TIFF (threshold 160, grid "
                 "kept), skew 1.0 deg, blur 0.7 px, noise 0.3"},
        {.name = "upside-down",
         .desc = "300 dpi colour PNG fed upside down (180 deg), noise 0.2"},
        {.name = "sideways",
         .desc = "200 dpi colour PNG fed sideways (90 deg clockwise), "
                 "skew 0.5 deg, noise 0.3"},
        {.name = "pdf",
         .desc = "200 dpi colour scans in one multi-page PDF (lossless "
                 "images), skew 0.5 deg, noise 0.3"},
        {.name = "clipped",
         .desc = "200 dpi colour PNG skewed 1.5 deg on a scanner bed the "
                 "sheet's size, off by 0.12 in: its corners and left and top "
                 "edges (the printed border) not scanned, noise 0.3"},
        {.name = "jpeg",
         .desc = "200 dpi colour JPEG at quality 25 (blocky, ringing), "
                 "skew 0.5 deg, noise 0.2"},
        {.name = "fax",
         .desc = "standard-mode fax: 1 bpp G3 TIFF, 204 x 98 dpi, skew 0.8 "
                 "deg, noise 0.2, blur 0.5 px"},
        {.name = "no-grid",
         .desc = "300 dpi colour PNG of a form whose red ink dropped out at "
                 "the scanner (only the data), skew 0.5 deg, noise 0.2"},
        {.name = "clipped-deep",
         .desc = "as clipped, but 0.25 in of the left and top not scanned: "
                 "the first characters of the leftmost fields are gone (no "
                 "target for exact fields; each cut field must pend)"},
    };
    for (int i = 0; i < S_SETS; i++) {
        cq_paper_opts_init(&sets[i].paper);
        sets[i].paper.seed = seed * 3 + (uint64_t)i;
    }
    sets[1].paper.dpi = 200;
    sets[1].paper.skew_deg = 1.5;
    sets[1].paper.blur = 0.9;
    sets[1].paper.noise = 0.5;
    sets[2].paper.dpi = 200;
    sets[2].paper.skew_deg = 1.0;
    sets[2].paper.blur = 0.7;
    sets[2].paper.noise = 0.3;
    sets[2].paper.tiff = true;
    sets[3].paper.turn = 2;
    sets[3].paper.noise = 0.2;
    sets[4].paper.dpi = 200;
    sets[4].paper.turn = 1;
    sets[4].paper.skew_deg = 0.5;
    sets[4].paper.noise = 0.3;
    sets[5].paper.dpi = 200;
    sets[5].paper.skew_deg = 0.5;
    sets[5].paper.noise = 0.3;
    sets[5].paper.pdf = true;
    sets[6].paper.dpi = 200;
    sets[6].paper.skew_deg = 1.5;
    sets[6].paper.noise = 0.3;
    sets[6].paper.clip_in = 0.12;
    sets[7].paper.dpi = 200;
    sets[7].paper.jpeg_quality = 25;
    sets[7].paper.skew_deg = 0.5;
    sets[7].paper.noise = 0.2;
    sets[8].paper.dpi = 204;
    sets[8].paper.fax = true;
    sets[8].paper.skew_deg = 0.8;
    sets[8].paper.noise = 0.2;
    sets[8].paper.blur = 0.5;
    sets[9].paper.no_form = true;
    sets[9].paper.skew_deg = 0.5;
    sets[9].paper.noise = 0.2;
    sets[10].paper.dpi = 200;
    sets[10].paper.skew_deg = 1.5;
    sets[10].paper.noise = 0.3;
    sets[10].paper.clip_in = 0.25;

    int rc = CQ_EXIT_OK;
    for (int i = 0; i < S_SETS && rc == CQ_EXIT_OK; i++) {
        s_set_t *s = &sets[i];
        snprintf(s->dir, sizeof s->dir, "%s/%s", base, s->name);
        fprintf(stderr, "claimq bench ocr: rendering %zu %s pages into %s\n", n,
                s->name, s->dir);
        cq_diag_t d = {0};
        int wrc = 0;
        if (s_multipage(s)) {
            if (mkdir(s->dir, 0700) != 0 && errno != EEXIST) {
                cq_diag_set(&d, CQ_EIO, 0, "cannot create %s: %s", s->dir,
                            strerror(errno));
                wrc = -1;
            }
            for (size_t at = 0; wrc == 0 && at < n; at += S_FILE_PAGES) {
                char part[PATH_MAX + 32];
                snprintf(part, sizeof part, "%s/part-%02zu", s->dir,
                         at / S_FILE_PAGES + 1);
                size_t k = n - at < S_FILE_PAGES ? n - at : S_FILE_PAGES;
                wrc = cq_paper_write_set(part, form, claims + at, k, &s->paper,
                                         NULL, &d);
            }
        } else {
            wrc = cq_paper_write_set(s->dir, form, claims, n, &s->paper, NULL,
                                     &d);
        }
        if (wrc != 0) {
            fprintf(stderr, "claimq bench ocr: %s\n", d.msg);
            rc = CQ_EXIT_FAIL;
            break;
        }
        fprintf(stderr, "claimq bench ocr: reading %s\n", s->name);
        if (s_run_ours(s, ocr, claims, n, (size_t)cli_pages, verbose) != 0) {
            rc = CQ_EXIT_FAIL;
            break;
        }
        if (verbose)
            s_print_pends(s, form);
        if (cli_pages > 0) {
            fprintf(stderr,
                    "claimq bench ocr: tesseract CLI on %ld %s "
                    "pages\n",
                    cli_pages, s->name);
            s_run_cli(s, form, claims, (size_t)cli_pages);
        }
    }
    if (rc == CQ_EXIT_OK) {
        if (json)
            s_print_json(sets, S_SETS, init_ms, (int)threshold);
        else
            s_print_text(sets, S_SETS, init_ms);
    }
    if (keep == NULL)
        s_rm_tree(base); // the generated files
    free(claims);
    cq_ocr_destroy(&ocr);
    return rc;
usage:
    fprintf(stderr, "claimq bench ocr: unexpected argument\nTry 'claimq bench "
                    "ocr --help'.\n");
    return CQ_EXIT_USAGE;
}
