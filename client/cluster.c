#include "cluster.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int64_t
s_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
cq_child_spawn(cq_child_t *c, char *const argv[], int stderr_fd)
{
    memset(c, 0, sizeof *c);
    c->out_fd = -1;
    int p[2];
    if (pipe(p) != 0)
        return CQ_EIO;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        close(p[0]);
        close(p[1]);
        return CQ_EIO;
    }
    if (pid == 0) {
        dup2(p[1], 1);
        if (stderr_fd >= 0)
            dup2(stderr_fd, 2);
        close(p[0]);
        close(p[1]);
        int devnull = open("/dev/null", O_RDONLY);
        if (devnull >= 0)
            dup2(devnull, 0);
        //  The children handle SIGINT / SIGTERM themselves; a terminal's
        //  Ctrl-C reaches them through the parent only.
        setpgid(0, 0);
        execv(argv[0], argv);
        fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(p[1]);
    c->pid = pid;
    c->out_fd = p[0];
    return 0;
}

bool
cq_child_exited(cq_child_t *c)
{
    if (c->reaped)
        return true;
    if (c->pid <= 0)
        return true;
    int st;
    pid_t r = waitpid(c->pid, &st, WNOHANG);
    if (r != c->pid)
        return false;
    c->reaped = true;
    c->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    return true;
}

int
cq_child_wait_ready(cq_child_t *c, int timeout_ms)
{
    int64_t deadline = s_ms() + timeout_ms;
    size_t len = 0;
    c->ready[0] = '\0';
    for (;;) {
        int64_t left = deadline - s_ms();
        if (left <= 0)
            return CQ_ETIMEDOUT;
        struct pollfd pfd = {c->out_fd, POLLIN, 0};
        int n = poll(&pfd, 1, (int)(left > 200 ? 200 : left));
        if (n < 0 && errno != EINTR)
            return CQ_EIO;
        if (n > 0) {
            char ch;
            ssize_t k = read(c->out_fd, &ch, 1);
            if (k <= 0) {
                //  stdout closed: it is exiting
                while (!cq_child_exited(c) && s_ms() < deadline)
                    usleep(10000);
                return CQ_EIO;
            }
            if (ch == '\n')
                return 0;
            if (len + 1 < sizeof c->ready) {
                c->ready[len++] = ch;
                c->ready[len] = '\0';
            }
            continue;
        }
        if (cq_child_exited(c))
            return CQ_EIO;
    }
}

bool
cq_child_ready_get(const cq_child_t *c, const char *key, char *out, size_t n)
{
    size_t k = strlen(key);
    const char *p = c->ready;
    while ((p = strstr(p, key)) != NULL) {
        if ((p == c->ready || p[-1] == ' ') && p[k] == '=') {
            const char *v = p + k + 1;
            size_t len = strcspn(v, " ");
            if (len >= n)
                return false;
            memcpy(out, v, len);
            out[len] = '\0';
            return true;
        }
        p += k;
    }
    return false;
}

int
cq_child_stop(cq_child_t *c, int sig, int timeout_ms)
{
    if (c->pid <= 0)
        return c->status;
    if (!cq_child_exited(c)) {
        kill(c->pid, sig);
        int64_t deadline = s_ms() + timeout_ms;
        while (!cq_child_exited(c)) {
            if (s_ms() > deadline) {
                kill(c->pid, SIGKILL);
                int st;
                waitpid(c->pid, &st, 0);
                c->reaped = true;
                c->status = 128 + SIGKILL;
                break;
            }
            usleep(5000);
        }
    }
    if (c->out_fd >= 0)
        close(c->out_fd);
    c->out_fd = -1;
    c->pid = 0;
    return c->status;
}

int
cq_cluster_self_dir(char *out, size_t n)
{
    char buf[PATH_MAX];
    ssize_t k = readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (k <= 0)
        return CQ_EIO;
    buf[k] = '\0';
    char *slash = strrchr(buf, '/');
    if (slash == NULL)
        return CQ_EIO;
    *slash = '\0';
    if (strlen(buf) >= n)
        return CQ_ETOOBIG;
    strcpy(out, buf);
    return 0;
}

//  Starts worker i (node id "w<i+1>", ledger DIR/w<i+1>.ledger); wait: up
//  to its READY line.
static int
s_worker_start(cq_cluster_t *cl, int i, bool wait, cq_diag_t *diag)
{
    char bin[4352], node[32], ledger[4352], credit[32], hb[32];
    snprintf(bin, sizeof bin, "%s/claimq-worker", cl->bin_dir);
    snprintf(node, sizeof node, "w%d", i + 1);
    snprintf(ledger, sizeof ledger, "%s/%s.ledger", cl->opts.dir, node);
    snprintf(credit, sizeof credit, "%d",
             cl->opts.credit > 0 ? cl->opts.credit : 1024);
    snprintf(hb, sizeof hb, "%d",
             cl->opts.heartbeat_ms > 0 ? cl->opts.heartbeat_ms : 1000);
    char *argv[] = {bin,
                    "--broker",
                    cl->backend,
                    "--node-id",
                    node,
                    "--ledger",
                    ledger,
                    "--plan",
                    (char *)cl->opts.plan,
                    "--members",
                    (char *)cl->opts.members,
                    "--credit",
                    credit,
                    "--heartbeat-ms",
                    hb,
                    cl->opts.log_format ? "--log-format" : NULL,
                    (char *)cl->opts.log_format,
                    NULL};
    cq_child_t *c = &cl->workers[i];
    if (cq_child_spawn(c, argv, cl->opts.stderr_fd) != 0)
        return cq_diag_set(diag, CQ_EIO, 0, "cannot start %s", bin);
    if (!wait)
        return 0;
    int rc = cq_child_wait_ready(c, 60000);
    if (rc != 0) {
        int st = cq_child_stop(c, SIGTERM, 5000);
        return cq_diag_set(diag, st == 3 ? CQ_EINVAL : CQ_EIO, 0,
                           "worker %s did not start (exit %d): see its "
                           "messages above",
                           node, st);
    }
    return 0;
}

int
cq_cluster_add_worker(cq_cluster_t *cl, cq_diag_t *diag)
{
    if (cl->n_workers >= CQ_CLUSTER_MAX_WORKERS)
        return cq_diag_set(diag, CQ_ETOOBIG, 0, "too many workers");
    int rc = s_worker_start(cl, cl->n_workers, true, diag);
    if (rc == 0)
        cl->n_workers++;
    return rc;
}

int
cq_cluster_restart_worker(cq_cluster_t *cl, int i, bool wait, cq_diag_t *diag)
{
    if (i < 0 || i >= cl->n_workers)
        return cq_diag_set(diag, CQ_EINVAL, 0, "no worker %d", i);
    if (cl->workers[i].pid > 0 && !cq_child_exited(&cl->workers[i]))
        return cq_diag_set(diag, CQ_EEXIST, 0, "worker w%d is still running",
                           i + 1);
    cq_child_stop(&cl->workers[i], SIGKILL, 0); // reaped: closes its stdout
    return s_worker_start(cl, i, wait, diag);
}

//  Starts the broker on frontend / backend (kernel-picked ports the first
//  time, the bound ones on a restart) and reads its endpoints from READY.
static int
s_broker_start(cq_cluster_t *cl, const char *frontend, const char *backend,
               cq_diag_t *diag)
{
    const cq_cluster_opts_t *o = &cl->opts;
    char bin[4352], hb[32], fe[256], be[256];
    snprintf(bin, sizeof bin, "%s/claimq-broker", cl->bin_dir);
    snprintf(hb, sizeof hb, "%d", o->heartbeat_ms > 0 ? o->heartbeat_ms : 1000);
    //  (copies: frontend / backend may be cl's own, which READY rewrites)
    snprintf(fe, sizeof fe, "%s", frontend);
    snprintf(be, sizeof be, "%s", backend);
    char *argv[64];
    int n = 0;
    argv[n++] = bin;
    argv[n++] = "--frontend";
    argv[n++] = fe;
    argv[n++] = "--backend";
    argv[n++] = be;
    argv[n++] = "--heartbeat-ms";
    argv[n++] = hb;
    if (o->journal) {
        argv[n++] = "--journal";
        argv[n++] = (char *)o->journal;
    }
    if (o->log_format) {
        argv[n++] = "--log-format";
        argv[n++] = (char *)o->log_format;
    }
    for (int i = 0; o->broker_args && o->broker_args[i] && n < 62; i++)
        argv[n++] = (char *)o->broker_args[i];
    argv[n] = NULL;
    if (cq_child_spawn(&cl->broker, argv, o->stderr_fd) != 0)
        return cq_diag_set(diag, CQ_EIO, 0, "cannot start %s", bin);
    if (cq_child_wait_ready(&cl->broker, 60000) != 0 ||
        !cq_child_ready_get(&cl->broker, "frontend", cl->frontend,
                            sizeof cl->frontend) ||
        !cq_child_ready_get(&cl->broker, "backend", cl->backend,
                            sizeof cl->backend)) {
        int st = cq_child_stop(&cl->broker, SIGTERM, 5000);
        return cq_diag_set(diag, st == 3 ? CQ_EINVAL : CQ_EIO, 0,
                           "the broker did not start (exit %d)", st);
    }
    return 0;
}

int
cq_cluster_start(cq_cluster_t *cl, const cq_cluster_opts_t *o, cq_diag_t *diag)
{
    memset(cl, 0, sizeof *cl);
    cl->opts = *o;
    if (o->bin_dir)
        snprintf(cl->bin_dir, sizeof cl->bin_dir, "%s", o->bin_dir);
    else if (cq_cluster_self_dir(cl->bin_dir, sizeof cl->bin_dir) != 0)
        return cq_diag_set(diag, CQ_EIO, 0, "cannot find my own directory");
    if (mkdir(o->dir, 0700) != 0 && errno != EEXIST)
        return cq_diag_set(diag, CQ_EIO, 0, "%s: %s", o->dir, strerror(errno));
    //  Workers would re-execute themselves to get this (OCR): set it once.
    setenv("OMP_THREAD_LIMIT", "1", 0);
    //  A cluster of its own: the host's /etc/claimq/claimq-broker.conf and
    //  claimq-worker.conf (a production journal, say) are not for it.
    setenv("CLAIMQ_BROKER_CONFIG", "", 1);
    setenv("CLAIMQ_WORKER_CONFIG", "", 1);
    int rc = s_broker_start(cl, o->frontend ? o->frontend : "tcp://127.0.0.1:*",
                            "tcp://127.0.0.1:*", diag);
    if (rc != 0)
        return rc;
    int workers = o->workers > 0 ? o->workers : 2;
    for (int i = 0; i < workers; i++) {
        rc = cq_cluster_add_worker(cl, diag);
        if (rc != 0) {
            cq_cluster_stop(cl);
            return rc;
        }
    }
    return 0;
}

int
cq_cluster_restart_broker(cq_cluster_t *cl, cq_diag_t *diag)
{
    if (cl->broker.pid > 0 && !cq_child_exited(&cl->broker))
        return cq_diag_set(diag, CQ_EEXIST, 0, "the broker is still running");
    cq_child_stop(&cl->broker, SIGKILL, 0); // reaped: closes its stdout
    return s_broker_start(cl, cl->frontend, cl->backend, diag);
}

int
cq_cluster_stop(cq_cluster_t *cl)
{
    int bad = 0;
    for (int i = 0; i < cl->n_workers; i++)
        if (cl->workers[i].pid > 0 && !cl->workers[i].reaped)
            kill(cl->workers[i].pid, SIGTERM);
    for (int i = 0; i < cl->n_workers; i++) {
        int st = cq_child_stop(&cl->workers[i], SIGTERM, 30000);
        if (st != 0) {
            cq_log_warn(NULL, "worker w%d exited %d", i + 1, st);
            bad = 1;
        }
    }
    if (cl->broker.pid > 0 || cl->broker.reaped) {
        int st = cq_child_stop(&cl->broker, SIGTERM, 10000);
        if (st != 0) {
            cq_log_warn(NULL, "broker exited %d", st);
            bad = 1;
        }
    }
    cl->n_workers = 0;
    return bad ? CQ_EIO : 0;
}
