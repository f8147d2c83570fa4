//  it_systemd.c: the daemons under systemd (docs/operations.md, "Running
//  under systemd"). The units in deploy/systemd/ pass `systemd-analyze
//  verify` without a word; the broker and the worker tell a service
//  manager they are ready (READY=1, MAINPID) and stopping (STOPPING=1)
//  over $NOTIFY_SOCKET, a path or an abstract socket, the sd_notify
//  protocol, and a socket nobody listens on changes nothing.
#include "cq_proc.h"
#include "notify.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

//  The children of the test, killed by s_fini when an assertion failed.
static cq_child_t s_broker, s_worker;

static void
s_fini(void)
{
    cq_child_t *c[] = {&s_worker, &s_broker};
    for (size_t i = 0; i < 2; i++)
        if (c[i]->pid > 0)
            cq_child_stop(c[i], SIGKILL, 5000);
}

TestSuite(systemd, .fini = s_fini, .timeout = 180);

static long long
s_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

//  ---- a service manager's end of $NOTIFY_SOCKET ---------------------------

typedef struct {
    int fd;
    char env[128];  // the value of NOTIFY_SOCKET for the child
    char got[8192]; // every datagram received so far, one after another
    size_t got_len;
    size_t datagrams;
} s_manager_t;

//  A datagram socket at dir/notify.sock, or (abstract) in Linux's abstract
//  namespace under a name of this process's.
static void
s_manager_open(s_manager_t *m, const char *dir, bool abstract)
{
    memset(m, 0, sizeof *m);
    m->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    cr_assert_geq(m->fd, 0, "socket: %s", strerror(errno));
    struct sockaddr_un sa;
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    socklen_t len;
    if (abstract) {
        static int seq;
        snprintf(m->env, sizeof m->env, "@claimq-it-systemd-%ld-%d-%lld",
                 (long)getpid(), ++seq, s_ms());
        size_t n = strlen(m->env);
        memcpy(sa.sun_path, m->env, n);
        sa.sun_path[0] = '\0';
        len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
    } else {
        snprintf(m->env, sizeof m->env, "%s/notify.sock", dir);
        cr_assert_lt(strlen(m->env), sizeof sa.sun_path, "%s", m->env);
        memcpy(sa.sun_path, m->env, strlen(m->env));
        len = (socklen_t)sizeof sa;
    }
    cr_assert_eq(bind(m->fd, (struct sockaddr *)&sa, len), 0, "bind %s: %s",
                 m->env, strerror(errno));
}

//  Receives datagrams until what was received holds want, or timeout_ms
//  passes (false). What arrives is the condition; the time is a bound.
static bool
s_manager_wait(s_manager_t *m, const char *want, int timeout_ms)
{
    long long deadline = s_ms() + timeout_ms;
    while (strstr(m->got, want) == NULL) {
        long long left = deadline - s_ms();
        if (left <= 0)
            return false;
        struct pollfd pfd = {m->fd, POLLIN, 0};
        int n = poll(&pfd, 1, (int)left);
        if (n < 0 && errno != EINTR)
            return false;
        if (n <= 0)
            continue;
        char buf[4096];
        ssize_t k = recv(m->fd, buf, sizeof buf, MSG_DONTWAIT);
        if (k <= 0)
            continue;
        m->datagrams++;
        if (m->got_len + (size_t)k + 1 > sizeof m->got)
            return false; // far more than a few notifications
        memcpy(m->got + m->got_len, buf, (size_t)k);
        m->got_len += (size_t)k;
        m->got[m->got_len] = '\0';
    }
    return true;
}

static void
s_manager_close(s_manager_t *m)
{
    if (m->fd >= 0)
        close(m->fd);
    m->fd = -1;
}

//  Starts argv with NOTIFY_SOCKET=notify_socket in its environment (none
//  when NULL), stderr into log.
static void
s_spawn(cq_child_t *c, char *const argv[], const char *notify_socket,
        const char *log)
{
    int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    cr_assert_geq(fd, 0, "%s: %s", log, strerror(errno));
    if (notify_socket)
        setenv("NOTIFY_SOCKET", notify_socket, 1);
    else
        unsetenv("NOTIFY_SOCKET");
    int rc = cq_child_spawn(c, argv, fd);
    unsetenv("NOTIFY_SOCKET");
    close(fd);
    cr_assert_eq(rc, 0, "cannot start %s", argv[0]);
}

static char *
s_log_text(const char *log)
{
    char *t = cq_test_read(log, NULL);
    return t ? t : strdup("(no log)");
}

//  A broker on kernel-picked loopback ports, up to its READY line.
static void
s_broker_start(const char *dir, const char *notify_socket)
{
    char log[PATH_MAX];
    snprintf(log, sizeof log, "%s/broker.log", dir);
    char *argv[] = {(char *)cq_test_bin("claimq-broker"),
                    "--frontend",
                    "tcp://127.0.0.1:*",
                    "--backend",
                    "tcp://127.0.0.1:*",
                    NULL};
    s_spawn(&s_broker, argv, notify_socket, log);
    int rc = cq_child_wait_ready(&s_broker, 60000);
    cr_assert_eq(rc, 0, "broker: no READY line: %s", s_log_text(log));
}

//  ---- the units ------------------------------------------------------------

//  systemd-analyze on PATH, or NULL.
static const char *
s_systemd_analyze(void)
{
    static char found[PATH_MAX];
    const char *path = getenv("PATH");
    char dirs[4096];
    snprintf(dirs, sizeof dirs, "%s:/usr/bin:/bin",
             path ? path : "/usr/local/bin");
    char *save = NULL;
    for (char *d = strtok_r(dirs, ":", &save); d;
         d = strtok_r(NULL, ":", &save)) {
        snprintf(found, sizeof found, "%s/systemd-analyze", d);
        if (access(found, X_OK) == 0)
            return found;
    }
    return NULL;
}

//  src with every "/usr/bin/NAME" of the programs replaced by the built
//  program's absolute path (verify checks that ExecStart= exists).
static char *
s_rewrite(const char *src)
{
    static const char *const progs[] = {"claimq-broker", "claimq-worker"};
    size_t cap = strlen(src) * 4 + 4096, len = 0;
    char *out = malloc(cap);
    cr_assert_not_null(out);
    for (const char *p = src; *p;) {
        bool done = false;
        for (size_t i = 0; i < 2 && !done; i++) {
            char from[64];
            snprintf(from, sizeof from, "/usr/bin/%s", progs[i]);
            size_t n = strlen(from);
            if (strncmp(p, from, n) == 0) {
                char abs[PATH_MAX];
                cr_assert_not_null(realpath(cq_test_bin(progs[i]), abs),
                                   "%s is not built", progs[i]);
                size_t k = strlen(abs);
                cr_assert_lt(len + k, cap - 1);
                memcpy(out + len, abs, k);
                len += k;
                p += n;
                done = true;
            }
        }
        if (!done) {
            cr_assert_lt(len + 1, cap - 1);
            out[len++] = *p++;
        }
    }
    out[len] = '\0';
    return out;
}

//  `systemd-analyze verify` of text saved as dir/name: exit 0, silent.
static void
s_verify(const char *tool, const char *dir, const char *name, const char *text)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    cr_assert_eq(cq_test_write(path, text, strlen(text)), 0, "%s", path);
    char *argv[] = {(char *)tool, "verify", "--man=no", path, NULL};
    cq_run_t r;
    cr_assert_eq(cq_test_run(argv, NULL, 60, &r), 0, "cannot run %s", tool);
    cr_assert_eq(r.status, 0, "systemd-analyze verify %s: exit %d\n%s%s", name,
                 r.status, r.out, r.err);
    cr_assert_eq(r.err_len, 0, "systemd-analyze verify %s says:\n%s", name,
                 r.err);
    cq_run_free(&r);
}

Test(systemd, units_pass_systemd_analyze_verify)
{
    const char *units[] = {"claimq-broker.service", "claimq-worker@.service"};
    //  what the units promise, checked on the text itself
    const char *need[][8] = {
        {"ExecStart=/usr/bin/claimq-broker ", "Type=notify",
         "NotifyAccess=main", "DynamicUser=yes",
         "ExecReload=/bin/kill -HUP $MAINPID",
         "--journal /var/lib/claimq/journal", "$CLAIMQ_BROKER_OPTS",
         "EnvironmentFile=-/etc/claimq/broker.env"},
        {"ExecStart=/usr/bin/claimq-worker ", "Type=notify",
         "NotifyAccess=main", "DynamicUser=yes", "OMP_THREAD_LIMIT=1",
         "--node-id %l-%i", "StateDirectory=claimq/worker-%i",
         "EnvironmentFile=-/etc/claimq/worker.env"}};
    char *text[2];
    for (size_t i = 0; i < 2; i++) {
        char rel[256];
        snprintf(rel, sizeof rel, "deploy/systemd/%s", units[i]);
        text[i] = cq_test_read(cq_test_src(rel), NULL);
        cr_assert_not_null(text[i], "%s missing", rel);
        for (size_t k = 0; k < 8; k++)
            cr_assert_not_null(strstr(text[i], need[i][k]), "%s lacks %s", rel,
                               need[i][k]);
    }
    const char *tool = s_systemd_analyze();
    if (tool == NULL) {
        free(text[0]);
        free(text[1]);
        cr_skip_test("systemd-analyze is not installed (package systemd)");
    }
    const char *dir = cq_test_tmpdir();
    cr_assert_not_null(dir);
    char *broker = s_rewrite(text[0]);
    char *worker = s_rewrite(text[1]);
    s_verify(tool, dir, "claimq-broker.service", broker);
    //  the template itself, and an instance of it (as `systemctl start
    //  claimq-worker@1` loads it)
    s_verify(tool, dir, "claimq-worker@.service", worker);
    s_verify(tool, dir, "claimq-worker@1.service", worker);
    free(broker);
    free(worker);
    free(text[0]);
    free(text[1]);
}

//  ---- sd_notify -------------------------------------------------------------

//  The protocol itself, in this process: a path socket and an abstract
//  one, the status on one line, and nothing at all without NOTIFY_SOCKET.
Test(systemd, notify_speaks_the_sd_notify_protocol)
{
    const char *dir = cq_test_tmpdir();
    cr_assert_not_null(dir);
    for (int abstract = 0; abstract < 2; abstract++) {
        s_manager_t m;
        s_manager_open(&m, dir, abstract);
        setenv("NOTIFY_SOCKET", m.env, 1);
        cq_notify_ready("two\nlines");
        cq_notify_stopping();
        unsetenv("NOTIFY_SOCKET");
        char want[128];
        snprintf(want, sizeof want, "READY=1\nSTATUS=two lines\nMAINPID=%ld\n",
                 (long)getpid());
        cr_assert(s_manager_wait(&m, "STOPPING=1\n", 30000), "%s: got '%s'",
                  m.env, m.got);
        cr_assert_eq(m.datagrams, 2, "%s: %zu datagrams", m.env, m.datagrams);
        cr_assert(strncmp(m.got, want, strlen(want)) == 0, "%s: got '%s'",
                  m.env, m.got);
        cq_notify_ready(NULL); // NOTIFY_SOCKET unset: sends nothing
        cr_assert_not(s_manager_wait(&m, "READY=1\nMAINPID", 200),
                      "sent without NOTIFY_SOCKET: '%s'", m.got);
        s_manager_close(&m);
    }
    //  a socket that is not there, or not a socket: nothing, and errno kept
    const char *bad[] = {"/nonexistent/notify.sock", "relative.sock", "", "@",
                         "vsock:2:1234"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        setenv("NOTIFY_SOCKET", bad[i], 1);
        errno = EAGAIN;
        cr_assert_eq(cq_notify_send("READY=1\n"), -1, "'%s'", bad[i]);
        cq_notify_ready("x");
        cq_notify_stopping();
        cr_assert_eq(errno, EAGAIN, "'%s' changed errno", bad[i]);
    }
    unsetenv("NOTIFY_SOCKET");
}

Test(systemd, broker_notifies_ready_and_stopping)
{
    const char *dir = cq_test_tmpdir();
    cr_assert_not_null(dir);
    s_manager_t m;
    s_manager_open(&m, dir, false);
    s_broker_start(dir, m.env);
    pid_t pid = s_broker.pid;
    char log[PATH_MAX];
    snprintf(log, sizeof log, "%s/broker.log", dir);
    cr_assert(s_manager_wait(&m, "READY=1\n", 30000),
              "no READY=1 from the broker: '%s'; its log:\n%s", m.got,
              s_log_text(log));
    char mainpid[64];
    snprintf(mainpid, sizeof mainpid, "MAINPID=%ld\n", (long)pid);
    cr_assert_not_null(strstr(m.got, mainpid), "want %s in '%s'", mainpid,
                       m.got);
    //  the status names the endpoints bound, as the READY line does
    char backend[256];
    cr_assert(
        cq_child_ready_get(&s_broker, "backend", backend, sizeof backend));
    char status[300];
    snprintf(status, sizeof status, "backend=%s\n", backend);
    cr_assert_not_null(strstr(m.got, "STATUS=frontend=tcp://127.0.0.1:"),
                       "'%s'", m.got);
    cr_assert_not_null(strstr(m.got, status), "want %s in '%s'", status, m.got);
    cr_assert_null(strstr(m.got, "STOPPING=1"), "'%s'", m.got);
    int st = cq_child_stop(&s_broker, SIGTERM, 30000);
    cr_assert_eq(st, 0, "broker: exit %d after SIGTERM; its log:\n%s", st,
                 s_log_text(log));
    cr_assert(s_manager_wait(&m, "STOPPING=1\n", 30000),
              "no STOPPING=1 from the broker: '%s'", m.got);
    s_manager_close(&m);
}

//  The worker is ready when the broker has accepted it: an abstract socket
//  this time.
Test(systemd, worker_notifies_ready_and_stopping)
{
    const char *dir = cq_test_tmpdir();
    cr_assert_not_null(dir);
    char d[1024];
    snprintf(d, sizeof d, "%s", dir);
    cr_assert_eq(cq_proc_gen(d, 5, 5), 0);
    s_broker_start(d, NULL);
    char backend[256];
    cr_assert(cq_child_ready_get(&s_broker, "backend", backend, sizeof backend),
              "%s", s_broker.ready);
    s_manager_t m;
    s_manager_open(&m, d, true);
    char ledger[PATH_MAX], plan[PATH_MAX], members[PATH_MAX], log[PATH_MAX];
    snprintf(ledger, sizeof ledger, "%s/n1.ledger", d);
    snprintf(plan, sizeof plan, "%s/plan.json", d);
    snprintf(members, sizeof members, "%s/members.jsonl", d);
    snprintf(log, sizeof log, "%s/worker.log", d);
    char *argv[] = {(char *)cq_test_bin("claimq-worker"),
                    "--broker",
                    backend,
                    "--node-id",
                    "host-1",
                    "--ledger",
                    ledger,
                    "--plan",
                    plan,
                    "--members",
                    members,
                    NULL};
    s_spawn(&s_worker, argv, m.env, log);
    pid_t pid = s_worker.pid;
    cr_assert(s_manager_wait(&m, "READY=1\n", 30000),
              "no READY=1 from the worker: '%s'; its log:\n%s", m.got,
              s_log_text(log));
    char want[128];
    snprintf(want, sizeof want, "MAINPID=%ld\n", (long)pid);
    cr_assert_not_null(strstr(m.got, want), "want %s in '%s'", want, m.got);
    cr_assert_not_null(strstr(m.got, "STATUS=node=host-1 broker="), "'%s'",
                       m.got);
    //  and its READY line on stdout, as before
    cr_assert_eq(cq_child_wait_ready(&s_worker, 30000), 0, "%s",
                 s_log_text(log));
    cr_assert_not_null(strstr(s_worker.ready, "node=host-1"), "%s",
                       s_worker.ready);
    int st = cq_child_stop(&s_worker, SIGTERM, 60000);
    cr_assert_eq(st, 0, "worker: exit %d after SIGTERM; its log:\n%s", st,
                 s_log_text(log));
    cr_assert(s_manager_wait(&m, "STOPPING=1\n", 30000),
              "no STOPPING=1 from the worker: '%s'", m.got);
    s_manager_close(&m);
    st = cq_child_stop(&s_broker, SIGTERM, 30000);
    cr_assert_eq(st, 0, "broker: exit %d", st);
}

//  A NOTIFY_SOCKET nobody listens on (systemd gone, a stale variable)
//  changes nothing: READY line, exit 0 on SIGTERM.
Test(systemd, a_dead_notify_socket_changes_nothing)
{
    const char *dir = cq_test_tmpdir();
    cr_assert_not_null(dir);
    char sock[PATH_MAX];
    snprintf(sock, sizeof sock, "%s/nobody.sock", dir);
    s_broker_start(dir, sock);
    int st = cq_child_stop(&s_broker, SIGTERM, 30000);
    cr_assert_eq(st, 0, "broker: exit %d", st);
}
