//  claimq keygen NAME: a CURVE key pair (curve.h, docs/security.md).
#include "cmds.h"
#include "curve.h"
#include "opts.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static void
s_help(void)
{
    printf("usage: claimq keygen NAME [--dir DIR] [--payers P1,P2]\n\n"
           "Writes a new CURVE key pair for a broker, a worker node, a "
           "client or\n"
           "an admin:\n"
           "  DIR/NAME.key   the secret key (mode 0600): stays on the host "
           "that\n"
           "                 uses it (--curve-key FILE, $CLAIMQ_CURVE_KEY)\n"
           "  DIR/NAME.pub   the public key: the broker's goes to its "
           "clients and\n"
           "                 workers (--broker-key FILE, "
           "$CLAIMQ_BROKER_KEY); a\n"
           "                 client's, worker's or admin's into the broker's\n"
           "                 --clients, --workers or --admins directory\n"
           "Existing files are never overwritten.\n\n"
           "options:\n"
           "  --dir DIR        where to write them (default .)\n"
           "  --payers LIST    for a client key: the payer ids it may act "
           "for,\n"
           "                   comma-separated (written into NAME.pub as\n"
           "                   metadata `payers`; the broker reads it from "
           "its\n"
           "                   own copy, which its admin may edit). \"*\": "
           "every\n"
           "                   payer\n"
           "  -h, --help       this help\n\n"
           "NAME: letters, digits, '.', '_' and '-', 1..64 characters.\n"
           "exit codes: 0 written, 1 cannot write (or exists already), 2 "
           "usage\n");
}

static bool
s_name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 64 || s[0] == '.' || s[0] == '-')
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
            return false;
    }
    return true;
}

static bool
s_payers_ok(const char *s)
{
    if (strcmp(s, "*") == 0)
        return true;
    size_t n = strlen(s);
    if (n == 0 || n > 500 || s[0] == ',' || s[n - 1] == ',' || strstr(s, ",,"))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
              (s[i] >= '0' && s[i] <= '9') || s[i] == ',' || s[i] == '-' ||
              s[i] == '_' || s[i] == '.'))
            return false;
    return true;
}

int
cq_cmd_keygen(int argc, char **argv)
{
    const char *dir = ".";
    const char *payers = NULL;
    static const struct option opts[] = {
        {"dir", required_argument, NULL, 'd'},
        {"payers", required_argument, NULL, 'p'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    int ch;
    while ((ch = cq_getopt(argc, argv, "h", opts, "claimq keygen")) != -1) {
        switch (ch) {
        case 'd':
            dir = optarg;
            break;
        case 'p':
            if (!s_payers_ok(optarg))
                return cq_opt_bad_value("claimq keygen", "--payers", optarg,
                                        "payer ids separated by commas, "
                                        "or *");
            payers = optarg;
            break;
        case 'h':
            s_help();
            return CQ_EXIT_OK;
        default: // cq_getopt said why
            return CQ_EXIT_USAGE;
        }
    }
    if (optind + 1 != argc) {
        fprintf(stderr, "claimq keygen: %s\nTry 'claimq keygen --help'.\n",
                optind == argc ? "NAME missing" : "one NAME only");
        return CQ_EXIT_USAGE;
    }
    const char *name = argv[optind];
    if (!s_name_ok(name))
        return cq_opt_bad_value("claimq keygen", "NAME", name,
                                "letters, digits, '.', '_', '-'; 1..64");
    cq_diag_t diag = {0};
    char pub[4096];
    if (cq_curve_keygen(dir, name, payers, pub, &diag) != 0) {
        fprintf(stderr, "claimq keygen: %s\n", diag.msg);
        return CQ_EXIT_FAIL;
    }
    printf("%s/%s.key\n%s\n", dir, name, pub);
    return CQ_EXIT_OK;
}
