//  Issue 10: `claimq top`, a live view, tried in a real terminal (tmux):
//  it shows the workers and what the cluster decides, refreshes as a batch
//  runs, and quits on q; and plain snapshots when stdout is not a
//  terminal.
#include "cq_proc.h"

#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

//  Runs a shell command; its exit status.
static int CQ_PRINTF(1, 2) s_sh(const char *fmt, ...)
{
    char cmd[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

//  The pane's text (caller frees), or NULL.
static char *
s_capture(const char *session)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "tmux capture-pane -p -t %s 2>/dev/null",
             session);
    FILE *p = popen(cmd, "r");
    if (p == NULL)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    size_t k;
    while ((k = fread(buf + n, 1, cap - 1 - n, p)) > 0)
        n += k;
    buf[n] = '\0';
    pclose(p);
    return buf;
}

//  Waits (up to 30 s) until the pane shows every one of the strings.
static char *
s_wait_pane(const char *session, const char *const *want)
{
    char *text = NULL;
    for (int i = 0; i < 300; i++) {
        free(text);
        text = s_capture(session);
        bool all = text != NULL;
        for (int k = 0; all && want[k]; k++)
            all = strstr(text, want[k]) != NULL;
        if (all)
            return text;
        usleep(100000);
    }
    cr_assert_fail("the pane never showed what was expected:\n%s",
                   text ? text : "(nothing)");
    return NULL;
}

static char s_session[64];

static void
s_fini(void)
{
    if (s_session[0])
        s_sh("tmux kill-session -t %s 2>/dev/null", s_session);
    cq_proc_cleanup();
}

Test(top, live_view_in_a_terminal, .timeout = 180, .fini = s_fini)
{
    if (s_sh("command -v tmux >/dev/null") != 0)
        cr_skip_test("tmux is not installed (deploy/setup.sh installs it)");
    char dir[1024];
    const char *tmp = cq_test_tmpdir();
    cr_assert_not_null(tmp);
    snprintf(dir, sizeof dir, "%s", tmp);
    cr_assert_eq(cq_proc_gen(dir, 2000, 200), 0);
    static cq_cluster_t cl;
    cr_assert_eq(cq_proc_cluster(&cl, dir, 2, 1000, NULL), 0);

    snprintf(s_session, sizeof s_session, "cqtop%d", (int)getpid());
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "%s top --broker %s --interval 1",
             cq_test_bin("claimq"), cl.frontend);
    cr_assert_eq(
        s_sh("tmux new-session -d -s %s -x 120 -y 40 '%s'", s_session, cmd), 0);
    const char *first[] = {"claimq top", "throughput", "w1", "w2",
                           "live",       "q quits",    NULL};
    free(s_wait_pane(s_session, first));

    //  a batch goes through: the view follows it
    char claims[4096];
    snprintf(claims, sizeof claims, "%s/claims.jsonl", dir);
    cq_run_t r;
    int st =
        cq_proc_claimq(&r, 120, "submit", "--broker", cl.frontend, "--batch",
                       "top", "--wait", "--quiet", claims, NULL);
    cr_assert_eq(st, 0, "%s", r.err);
    cq_run_free(&r);
    const char *after[] = {"decided 2000", NULL};
    free(s_wait_pane(s_session, after));

    //  q quits: the session ends with its only program
    cr_assert_eq(s_sh("tmux send-keys -t %s q", s_session), 0);
    bool gone = false;
    for (int i = 0; i < 100 && !gone; i++) {
        gone = s_sh("tmux has-session -t %s 2>/dev/null", s_session) != 0;
        if (!gone)
            usleep(100000);
    }
    cr_assert(gone, "top did not quit on q");
    s_session[0] = '\0';

    //  not a terminal: plain snapshots, --count of them
    st = cq_proc_claimq(&r, 30, "top", "--broker", cl.frontend, "--count", "2",
                        "--interval", "1", NULL);
    cr_assert_eq(st, 0, "%s", r.err);
    cr_assert(strstr(r.out, "\033") == NULL, "escape codes in a snapshot");
    const char *p = strstr(r.out, "claimq top");
    cr_assert_not_null(p, "%s", r.out);
    cr_assert_not_null(strstr(p + 1, "claimq top"), "one snapshot: %s", r.out);
    cr_assert(strstr(r.out, "decided 2000"), "%s", r.out);
    cq_run_free(&r);
    cr_assert_eq(cq_cluster_stop(&cl), 0, "a process did not exit 0");
}
