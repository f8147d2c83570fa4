//  claimq capture info FILE...: what a capture (claimq-broker --record)
//  holds: records, time span, formats, sizes, batches, damage.
#include "capset.h"
#include "cmds.h"
#include "doc.h"
#include "opts.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void
s_help(void)
{
    printf(
        "usage: claimq capture info [--json] [--strict] FILE...\n\n"
        "Reads a capture written by `claimq-broker --record FILE` (and its\n"
        "rotated parts FILE.1, FILE.2 ..., in any order) and prints what\n"
        "it holds: files, records, documents and decisions, the time\n"
        "span, documents and bytes per format, document sizes, batches.\n"
        "A damaged record is reported with its file and offset and\n"
        "skipped; a file cut short is read up to the cut.\n"
        "A capture holds patient data (docs/loadtest.md).\n\n"
        "options:\n"
        "  --json      one JSON object: {\"files\", \"records\",\n"
        "              \"documents\", \"decisions\", \"batches\", "
        "\"corrupt\",\n"
        "              \"truncated_files\", \"first\", \"last\", \"span_s\",\n"
        "              \"bytes\", \"size_min\", \"size_p50\", \"size_max\",\n"
        "              \"formats\": {NAME: {\"documents\", \"bytes\"}}}\n"
        "  --strict    exit 1 when a record is damaged or a file cut short\n"
        "  -h, --help  this help\n\n"
        "exit codes: 0 ok (damage is reported, not an error), 1 a damaged\n"
        "record or a cut was found and --strict given, 2 usage,\n"
        "3 a file unreadable or not a capture\n");
}

static int
s_cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return x < y ? -1 : x > y;
}

static void
s_iso(int64_t ms, char *out, size_t n)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    char d[32];
    strftime(d, sizeof d, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, n, "%s.%03dZ", d, (int)(ms % 1000));
}

static int
s_info(int argc, char **argv)
{
    static const struct option opts[] = {{"json", no_argument, NULL, 'j'},
                                         {"strict", no_argument, NULL, 's'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    bool json = false, strict = false;
    int ch;
    while ((ch = cq_getopt(argc, argv, "h", opts, "claimq capture info")) !=
           -1) {
        switch (ch) {
        case 'j':
            json = true;
            break;
        case 's':
            strict = true;
            break;
        case 'h':
            s_help();
            return CQ_EXIT_OK;
        default:
            return CQ_EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "claimq capture info: no capture file given\n"
                        "Try 'claimq capture info --help'.\n");
        return CQ_EXIT_USAGE;
    }
    cq_capset_t set;
    cq_diag_t diag = {0};
    if (cq_capset_load(&set, argv + optind, argc - optind, stderr, &diag) !=
        0) {
        fprintf(stderr, "claimq capture info: %s\n", diag.msg);
        cq_capset_free(&set);
        return CQ_EXIT_SETUP;
    }
    size_t *sizes = calloc(set.n_docs + 1, sizeof *sizes);
    uint64_t bytes = 0, fdocs[4] = {0}, fbytes[4] = {0};
    int64_t first = 0, last = 0;
    for (size_t i = 0; i < set.n_recs; i++) {
        int64_t t = set.recs[i].t_ms;
        if (i == 0 || t < first)
            first = t;
        if (i == 0 || t > last)
            last = t;
    }
    for (size_t i = 0; i < set.n_docs; i++) {
        const cq_cap_rec_t *r = &set.docs[i].rec;
        sizes[i] = r->len;
        bytes += r->len;
        unsigned f = r->format < 4 ? r->format : 0;
        fdocs[f]++;
        fbytes[f] += r->len;
    }
    qsort(sizes, set.n_docs, sizeof *sizes, s_cmp_size);
    size_t smin = set.n_docs ? sizes[0] : 0,
           smax = set.n_docs ? sizes[set.n_docs - 1] : 0,
           sp50 = set.n_docs ? sizes[set.n_docs / 2] : 0;
    free(sizes);
    double span = set.n_recs ? (double)(last - first) / 1000.0 : 0;
    char f1[40] = "", f2[40] = "";
    if (set.n_recs) {
        s_iso(first, f1, sizeof f1);
        s_iso(last, f2, sizeof f2);
    }
    if (json) {
        json_t *o = json_object();
        json_object_set_new(o, "files", json_integer(set.n_files));
        json_object_set_new(o, "records", json_integer((json_int_t)set.n_recs));
        json_object_set_new(o, "documents",
                            json_integer((json_int_t)set.n_docs));
        json_object_set_new(o, "decisions",
                            json_integer((json_int_t)set.decisions));
        json_object_set_new(o, "batches", json_integer(set.n_batches));
        json_object_set_new(o, "corrupt",
                            json_integer((json_int_t)set.corrupt));
        json_object_set_new(o, "truncated_files", json_integer(set.truncated));
        json_object_set_new(o, "first",
                            set.n_recs ? json_string(f1) : json_null());
        json_object_set_new(o, "last",
                            set.n_recs ? json_string(f2) : json_null());
        json_object_set_new(o, "span_s", json_real(span));
        json_object_set_new(o, "bytes", json_integer((json_int_t)bytes));
        json_object_set_new(o, "size_min", json_integer((json_int_t)smin));
        json_object_set_new(o, "size_p50", json_integer((json_int_t)sp50));
        json_object_set_new(o, "size_max", json_integer((json_int_t)smax));
        json_t *fm = json_object();
        for (unsigned f = 0; f < 4; f++) {
            if (fdocs[f] == 0)
                continue;
            json_t *x = json_object();
            json_object_set_new(x, "documents",
                                json_integer((json_int_t)fdocs[f]));
            json_object_set_new(x, "bytes",
                                json_integer((json_int_t)fbytes[f]));
            json_object_set_new(fm, cq_doc_kind_name((cq_doc_kind_t)f), x);
        }
        json_object_set_new(o, "formats", fm);
        json_dumpf(o, stdout, JSON_COMPACT);
        printf("\n");
        json_decref(o);
    } else {
        printf("files:      %u\n", set.n_files);
        printf("records:    %zu (%zu documents, %llu decisions) in %u "
               "batches\n",
               set.n_recs, set.n_docs, (unsigned long long)set.decisions,
               set.n_batches);
        if (set.n_recs)
            printf("span:       %s .. %s (%.1f s)\n", f1, f2, span);
        printf("bytes:      %llu in documents; sizes min %zu, median %zu, "
               "max %zu\n",
               (unsigned long long)bytes, smin, sp50, smax);
        for (unsigned f = 0; f < 4; f++)
            if (fdocs[f])
                printf("format:     %-8s %llu documents, %llu bytes\n",
                       cq_doc_kind_name((cq_doc_kind_t)f),
                       (unsigned long long)fdocs[f],
                       (unsigned long long)fbytes[f]);
        if (set.corrupt || set.truncated)
            printf("damage:     %llu damaged records skipped, %u files cut "
                   "short\n",
                   (unsigned long long)set.corrupt, set.truncated);
    }
    int rc =
        strict && (set.corrupt || set.truncated) ? CQ_EXIT_FAIL : CQ_EXIT_OK;
    cq_capset_free(&set);
    return rc;
}

int
cq_cmd_capture(int argc, char **argv)
{
    static const char *const subs[] = {"info"};
    static const struct option help_only[] = {{"help", no_argument, 0, 'h'},
                                              {0, 0, 0, 0}};
    if (argc >= 2 && strcmp(argv[1], "info") == 0) {
        optind = 1;
        return s_info(argc - 1, argv + 1);
    }
    if (argc >= 2 && argv[1][0] == '-') {
        //  an option before the sub-verb: only --help
        optind = 1;
        if (cq_getopt(2, argv, "+h", help_only, "claimq capture") != 'h')
            return CQ_EXIT_USAGE; // (cq_getopt said why)
        s_help();
        return CQ_EXIT_OK;
    }
    if (argc < 2) {
        fprintf(stderr, "claimq capture: info?\n"
                        "Try 'claimq capture info --help'.\n");
        return CQ_EXIT_USAGE;
    }
    return cq_opt_bad_command("claimq capture", argv[1], subs, 1);
}
