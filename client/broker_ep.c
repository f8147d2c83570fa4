//  broker_ep.c: see broker_ep.h.
#include "broker_ep.h"
#include "cmds.h"
#include "mem.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

//  (cmds.h; here, in the library, so that tests linking the verbs have it)
const char *cq_cmd_prog = "claimq";

const char *
cq_up_dir_default(void)
{
    const char *d = getenv("CLAIMQ_DIR");
    return d && *d ? d : CQ_UP_DIR_DEFAULT;
}

bool
cq_broker_url_ok(const char *s)
{
    if (s == NULL)
        return false;
    if (strncmp(s, "ipc://", 6) == 0)
        return s[6] != '\0';
    if (strncmp(s, "tcp://", 6) != 0)
        return false;
    const char *host = s + 6, *colon = strrchr(host, ':');
    if (colon == NULL || colon == host)
        return false;
    const char *port = colon + 1;
    if (strcmp(port, "*") == 0)
        return true;
    if (*port == '\0' || strlen(port) > 5)
        return false;
    for (const char *p = port; *p; p++)
        if (*p < '0' || *p > '9')
            return false;
    return atoi(port) <= 65535;
}

//  Reads frontend= (and pid=) from an endpoints file. Returns 0,
//  CQ_ENOTFOUND (no file) or CQ_EPROTO (no frontend= in it).
static int
s_read_file(const char *path, char *ep, size_t n, long *pid)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return CQ_ENOTFOUND;
    char line[512];
    bool found = false;
    *pid = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (strncmp(line, "frontend=", 9) == 0 && strlen(line + 9) < n) {
            strcpy(ep, line + 9);
            found = true;
        } else if (strncmp(line, "pid=", 4) == 0) {
            *pid = strtol(line + 4, NULL, 10);
        }
    }
    fclose(f);
    return found ? 0 : CQ_EPROTO;
}

int
cq_broker_ep_resolve(const char *arg, cq_broker_ep_t *out, cq_diag_t *diag)
{
    memset(out, 0, sizeof *out);
    snprintf(out->file, sizeof out->file, "%s/%s", cq_up_dir_default(),
             CQ_UP_ENDPOINTS);
    const char *env = getenv("CLAIMQ_BROKER");
    const char *what;
    if (arg) {
        out->source = CQ_EP_FLAG;
        what = "--broker";
        snprintf(out->ep, sizeof out->ep, "%s", arg);
        if (strlen(arg) >= sizeof out->ep)
            return cq_diag_set(diag, CQ_EINVAL, 0, "--broker: too long");
    } else if (env && *env) {
        out->source = CQ_EP_ENV;
        what = "CLAIMQ_BROKER";
        snprintf(out->ep, sizeof out->ep, "%s", env);
        if (strlen(env) >= sizeof out->ep)
            return cq_diag_set(diag, CQ_EINVAL, 0, "CLAIMQ_BROKER: too long");
    } else {
        int rc = s_read_file(out->file, out->ep, sizeof out->ep, &out->up_pid);
        if (rc == CQ_EPROTO)
            return cq_diag_set(diag, CQ_EINVAL, 0,
                               "%s: no frontend=URL line (is it claimq up's "
                               "endpoints file?)",
                               out->file);
        if (rc == 0) {
            out->source = CQ_EP_UP_FILE;
            what = out->file;
        } else {
            out->source = CQ_EP_DEFAULT;
            snprintf(out->ep, sizeof out->ep, "%s", CQ_BROKER_DEFAULT);
            return 0;
        }
    }
    //  a pair of brokers: A,B (each a URL)
    char list[sizeof out->ep];
    cq_strlcpy(list, out->ep, sizeof list);
    char *save = NULL;
    int n = 0;
    for (char *t = strtok_r(list, ",", &save); t;
         t = strtok_r(NULL, ",", &save), n++)
        if (!cq_broker_url_ok(t) || n == 8)
            return cq_diag_set(diag, CQ_EINVAL, 0,
                               "%s: expected tcp://HOST:PORT or ipc://PATH "
                               "(a pair: two, comma-separated, at most 8), "
                               "got '%.200s'",
                               what, out->ep);
    if (n == 0)
        return cq_diag_set(diag, CQ_EINVAL, 0, "%s: empty", what);
    return 0;
}

void
cq_broker_ep_describe(const cq_broker_ep_t *e, char *out, size_t n)
{
    switch (e->source) {
    case CQ_EP_FLAG:
        snprintf(out, n, "--broker");
        break;
    case CQ_EP_ENV:
        snprintf(out, n, "$CLAIMQ_BROKER");
        break;
    case CQ_EP_UP_FILE:
        if (e->up_pid > 0 && kill((pid_t)e->up_pid, 0) != 0 && errno == ESRCH)
            snprintf(out, n,
                     "claimq up's endpoints file %s, left by pid %ld, which "
                     "is not running",
                     e->file, e->up_pid);
        else
            snprintf(out, n, "claimq up's endpoints file %s", e->file);
        break;
    default:
        snprintf(out, n,
                 "the built-in default: no --broker, no $CLAIMQ_BROKER, "
                 "no %s",
                 e->file);
        break;
    }
}

int
cq_broker_ep_connect(const char *verb, const char *arg, cq_broker_ep_t *e,
                     cq_bclient_t **c)
{
    cq_diag_t diag = {0};
    *c = NULL;
    if (cq_broker_ep_resolve(arg, e, &diag) == 0) {
        *c = cq_bclient_new(e->ep);
        if (*c)
            return CQ_EXIT_OK;
        char from[4400];
        cq_broker_ep_describe(e, from, sizeof from);
        if (cq_bclient_new_why()[0])
            cq_diag_set(&diag, CQ_EINVAL, 0, "%s", cq_bclient_new_why());
        else
            cq_diag_set(&diag, CQ_EINVAL, 0,
                        "cannot connect to '%.200s' (%.200s)", e->ep, from);
    }
    fprintf(stderr, "claimq %s: %s\nTry 'claimq %s --help'.\n", verb, diag.msg,
            verb);
    return CQ_EXIT_USAGE;
}

int
cq_broker_ep_fail(const char *verb, const cq_broker_ep_t *e, const char *why,
                  int rc)
{
    if (rc == CQ_EUNSUPPORTED) {
        fprintf(stderr, "claimq %s: %s: %s\n", verb, e->ep,
                why && why[0] ? why : "not a broker's client endpoint");
        return CQ_EXIT_SETUP;
    }
    char from[4400];
    cq_broker_ep_describe(e, from, sizeof from);
    fprintf(stderr,
            "claimq %s: broker unreachable at %s (%s): %s\n"
            "  set the address with --broker URL or CLAIMQ_BROKER=URL; a "
            "local `claimq up`\n"
            "  is found through its endpoints file (%s; CLAIMQ_DIR=DIR "
            "for another --dir)\n",
            verb, e->ep, from, cq_strerror(rc), e->file);
    return CQ_EXIT_TIMEOUT;
}

static void
s_path(char *out, size_t n, const char *dir, const char *name)
{
    snprintf(out, n, "%s/%s", dir, name);
}

int
cq_up_endpoints_write(const char *dir, const char *frontend,
                      const char *backend, cq_diag_t *diag)
{
    char path[4200], tmp[4300];
    s_path(path, sizeof path, dir, CQ_UP_ENDPOINTS);
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "w");
    if (f == NULL)
        return cq_diag_set(diag, CQ_EIO, 0, "%s: %s", tmp, strerror(errno));
    fprintf(f,
            "# claimq up (pid %ld): removed when it stops\n"
            "frontend=%s\nbackend=%s\npid=%ld\n",
            (long)getpid(), frontend, backend, (long)getpid());
    bool ok = fflush(f) == 0 && fsync(fileno(f)) == 0;
    ok = fclose(f) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        return cq_diag_set(diag, CQ_EIO, 0, "%s: %s", path, strerror(e));
    }
    return 0;
}

void
cq_up_endpoints_remove(const char *dir)
{
    char path[4200], ep[256];
    s_path(path, sizeof path, dir, CQ_UP_ENDPOINTS);
    long pid = 0;
    //  (another `claimq up` may have taken the directory since: its file
    //  stays)
    if (s_read_file(path, ep, sizeof ep, &pid) != CQ_ENOTFOUND &&
        (pid == 0 || pid == (long)getpid()))
        unlink(path);
}
