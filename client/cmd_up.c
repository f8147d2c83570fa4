//  claimq up: the embedded default: a local broker and N workers as child
//  processes on loopback, until Ctrl-C / SIGTERM.
#include "broker_ep.h"
#include "cluster.h"
#include "cmds.h"
#include "log.h"
#include "opts.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t s_stop;

static void
s_on_signal(int sig)
{
    (void)sig;
    s_stop = 1;
}

static void
s_help(void)
{
    printf("usage: claimq up --plan FILE --members FILE [--workers N] "
           "[--dir DIR] [--no-journal]\n"
           "                 [--record FILE] [--log-format text|json]\n\n"
           "Starts a local broker and N worker nodes (w1..wN) as child\n"
           "processes on 127.0.0.1, the programs next to this one\n"
           "(claimq-broker, claimq-worker). Prints one line on stdout once\n"
           "every worker is registered:\n"
           "  READY frontend=tcp://127.0.0.1:PORT backend=tcp://... "
           "workers=N\n"
           "then runs until Ctrl-C or SIGTERM, and stops them all (workers\n"
           "first: they finish what they hold). Their logs go to stderr.\n\n"
           "Once ready it writes DIR/endpoints, a few key=value lines:\n"
           "  frontend=tcp://127.0.0.1:PORT   (clients)\n"
           "  backend=tcp://127.0.0.1:PORT    (workers)\n"
           "  pid=PID                         (this process)\n"
           "(a temporary file renamed into place; removed when it stops).\n"
           "`claimq submit|status|results|workers|batches|quarantine` run\n"
           "in the same directory find the broker through it when neither\n"
           "--broker nor $CLAIMQ_BROKER is given; with another --dir, set\n"
           "CLAIMQ_DIR=DIR for them (and for `claimq up`: its default\n"
           "--dir is $CLAIMQ_DIR, else claimq-data).\n\n"
           "options:\n"
           "  --plan FILE       plan rules (JSON)\n"
           "  --members FILE    member roster\n"
           "  --workers N       worker nodes (default 2)\n"
           "  --dir DIR         ledgers (DIR/w1.ledger, ...) and the broker's\n"
           "                    journal (DIR/journal), DIR/endpoints\n"
           "                    (default $CLAIMQ_DIR, else claimq-data);\n"
           "                    started again on the same DIR, the broker\n"
           "                    resumes every batch it had received\n"
           "                    (receipts follow the journal's fsync)\n"
           "  --no-journal      keep the broker's state in memory only: a\n"
           "                    restart of the broker loses every batch\n"
           "                    (documents, claims and decisions not yet\n"
           "                    fetched)\n"
           "  --record FILE     the broker records what it receives and\n"
           "                    decides to the capture FILE (`claimq\n"
           "                    replay`; it holds patient data, 0600)\n"
           "  --frontend EP     client endpoint (default tcp://127.0.0.1:*,\n"
           "                    a port the kernel picks)\n"
           "  --credit N        claims each worker holds (default 1024)\n"
           "  --log-format F    text (default) or json, for itself and its\n"
           "                    children: one JSON object per line (ts,\n"
           "                    level, proc, node, pid, msg)\n"
           "  -h, --help        this help\n\n"
           "exit codes: 0 stopped cleanly, 1 a process failed, 2 usage,\n"
           "            3 setup (bad plan or roster, cannot bind, journal\n"
           "            unusable)\n");
}

static int
s_usage(const char *msg)
{
    fprintf(stderr, "claimq up: %s\nTry 'claimq up --help'.\n", msg);
    return CQ_EXIT_USAGE;
}

int
cq_cmd_up(int argc, char **argv)
{
    cq_cluster_opts_t o;
    memset(&o, 0, sizeof o);
    o.workers = 2;
    o.dir = cq_up_dir_default();
    o.stderr_fd = -1;
    static const struct option opts[] = {
        {"plan", required_argument, NULL, 'p'},
        {"members", required_argument, NULL, 'm'},
        {"workers", required_argument, NULL, 'w'},
        {"dir", required_argument, NULL, 'd'},
        {"frontend", required_argument, NULL, 'f'},
        {"credit", required_argument, NULL, 'c'},
        {"no-journal", no_argument, NULL, 'J'},
        {"log-format", required_argument, NULL, 'F'},
        {"record", required_argument, NULL, 'r'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    bool journal = true;
    const char *bargs[3] = {NULL, NULL, NULL};
    int ch;
    while ((ch = cq_getopt(argc, argv, "h", opts, "claimq up")) != -1) {
        switch (ch) {
        case 'p':
            o.plan = optarg;
            break;
        case 'm':
            o.members = optarg;
            break;
        case 'w':
            o.workers = atoi(optarg);
            if (o.workers < 1 || o.workers > CQ_CLUSTER_MAX_WORKERS)
                return cq_opt_bad_value("claimq up", "--workers", optarg,
                                        "1..64");
            break;
        case 'd':
            o.dir = optarg;
            break;
        case 'f':
            o.frontend = optarg;
            break;
        case 'c':
            o.credit = atoi(optarg);
            if (o.credit < 1 || o.credit > 65536)
                return cq_opt_bad_value("claimq up", "--credit", optarg,
                                        "1..65536");
            break;
        case 'J':
            journal = false;
            break;
        case 'r':
            bargs[0] = "--record";
            bargs[1] = optarg;
            o.broker_args = bargs;
            break;
        case 'F': {
            int lf = cq_log_format_parse(optarg);
            if (lf < 0)
                return cq_opt_bad_value("claimq up", "--log-format", optarg,
                                        "text or json");
            cq_log_set_format((cq_log_format_t)lf);
            o.log_format = optarg;
            break;
        }
        case 'h':
            s_help();
            return CQ_EXIT_OK;
        default: // cq_getopt said why
            return CQ_EXIT_USAGE;
        }
    }
    if (optind != argc)
        return s_usage("unexpected argument");
    cq_log_set_node("up");
    if (!o.plan || !o.members)
        return s_usage("--plan and --members are needed");
    if (access(o.plan, R_OK) != 0 || access(o.members, R_OK) != 0) {
        fprintf(stderr, "claimq up: %s: %s\n",
                access(o.plan, R_OK) != 0 ? o.plan : o.members,
                strerror(errno));
        return CQ_EXIT_SETUP;
    }
    char journal_dir[4200];
    if (journal) {
        if ((size_t)snprintf(journal_dir, sizeof journal_dir, "%s/journal",
                             o.dir) >= sizeof journal_dir)
            return s_usage("--dir: too long");
        o.journal = journal_dir;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = s_on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    cq_cluster_t *cl = calloc(1, sizeof *cl);
    cq_diag_t diag = {0};
    if (cq_cluster_start(cl, &o, &diag) != 0) {
        fprintf(stderr, "claimq up: %s\n", diag.msg);
        free(cl);
        return diag.code == CQ_EINVAL ? CQ_EXIT_SETUP : CQ_EXIT_SETUP;
    }
    int failed = 0;
    if (cq_up_endpoints_write(o.dir, cl->frontend, cl->backend, &diag) != 0) {
        cq_log_error(NULL,
                     "%s: clients will not find this broker by "
                     "themselves (give them --broker)",
                     diag.msg);
    } else if (strcmp(o.dir, cq_up_dir_default()) != 0) {
        cq_log_notice(NULL,
                      "clients started with CLAIMQ_DIR=%s find this broker "
                      "(%s/%s)",
                      o.dir, o.dir, CQ_UP_ENDPOINTS);
    }
    printf("READY frontend=%s backend=%s workers=%d\n", cl->frontend,
           cl->backend, cl->n_workers);
    fflush(stdout);
    while (!s_stop) {
        usleep(100000);
        if (cq_child_exited(&cl->broker)) {
            cq_log_error(NULL, "the broker exited (%d): stopping",
                         cl->broker.status);
            failed = 1;
            break;
        }
        for (int i = 0; i < cl->n_workers; i++)
            if (cl->workers[i].pid > 0 && !cl->workers[i].reaped &&
                cq_child_exited(&cl->workers[i])) {
                cq_log_error(NULL, "worker w%d exited (%d)", i + 1,
                             cl->workers[i].status);
                failed = 1;
            }
    }
    cq_log_notice(NULL, "stopping the workers, then the broker");
    cq_up_endpoints_remove(o.dir);
    if (cq_cluster_stop(cl) != 0)
        failed = 1;
    free(cl);
    return failed ? CQ_EXIT_FAIL : CQ_EXIT_OK;
}
