#include "cq_proc.h"
#include "decision.h"
#include "gen.h"
#include "mem.h"

#include <fcntl.h>
#include <signal.h>
#include <jansson.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int
s_write(const char *dir, const char *name, const cq_gen_t *g,
        int (*fn)(const cq_gen_t *, FILE *))
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return -1;
    int rc = fn(g, f);
    return fclose(f) == 0 ? rc : -1;
}

int
cq_proc_gen(const char *dir, size_t n_claims, size_t n_members)
{
    cq_gen_opts_t o;
    cq_gen_opts_default(&o);
    o.n_claims = n_claims;
    o.n_members = n_members;
    cq_gen_t *g = cq_gen_new(&o);
    if (g == NULL)
        return -1;
    int rc = s_write(dir, "plan.json", g, cq_gen_write_plan);
    rc |= s_write(dir, "members.jsonl", g, cq_gen_write_members);
    rc |= s_write(dir, "claims.jsonl", g, cq_gen_write_claims);
    cq_gen_destroy(&g);
    return rc;
}

#define S_MAX_CLUSTERS 8
static cq_cluster_t *s_clusters[S_MAX_CLUSTERS];

void
cq_proc_cleanup(void)
{
    for (int i = 0; i < S_MAX_CLUSTERS; i++) {
        cq_cluster_t *cl = s_clusters[i];
        if (cl == NULL)
            continue;
        for (int w = 0; w < cl->n_workers; w++)
            if (cl->workers[w].pid > 0)
                cq_child_stop(&cl->workers[w], SIGKILL, 5000);
        if (cl->broker.pid > 0)
            cq_child_stop(&cl->broker, SIGKILL, 5000);
        s_clusters[i] = NULL;
    }
}

int
cq_proc_cluster(cq_cluster_t *cl, const char *dir, int workers,
                int heartbeat_ms, const char *const *extra_broker)
{
    static char plan[4096], members[4096], log[4096];
    snprintf(plan, sizeof plan, "%s/plan.json", dir);
    snprintf(members, sizeof members, "%s/members.jsonl", dir);
    snprintf(log, sizeof log, "%s/cluster.log", dir);
    int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
    cq_cluster_opts_t o;
    memset(&o, 0, sizeof o);
    const char *bin = getenv("CQ_BINARY_DIR");
    o.bin_dir = bin ? bin : ".";
    o.dir = dir;
    o.plan = plan;
    o.members = members;
    o.workers = workers;
    o.heartbeat_ms = heartbeat_ms;
    o.stderr_fd = fd;
    o.broker_args = extra_broker;
    cq_diag_t diag = {0};
    int rc = cq_cluster_start(cl, &o, &diag);
    if (rc != 0)
        fprintf(stderr, "cluster: %s (log: %s)\n", diag.msg, log);
    if (fd >= 0)
        close(fd);
    for (int i = 0; i < S_MAX_CLUSTERS; i++)
        if (s_clusters[i] == NULL || s_clusters[i] == cl) {
            s_clusters[i] = cl;
            break;
        }
    return rc;
}

int
cq_proc_claimq(cq_run_t *r, int timeout_s, const char *arg, ...)
{
    const char *argv[64];
    int n = 0;
    argv[n++] = cq_test_bin("claimq");
    va_list ap;
    va_start(ap, arg);
    for (const char *a = arg; a && n < 63; a = va_arg(ap, const char *))
        argv[n++] = a;
    va_end(ap);
    argv[n] = NULL;
    if (cq_test_run((char *const *)argv, NULL, timeout_s, r) != 0)
        return -1;
    return r->status;
}

char **
cq_proc_decisions(const char *path, size_t *n)
{
    size_t len;
    char *text = cq_test_read(path, &len);
    *n = 0;
    if (text == NULL)
        return NULL;
    char **lines = NULL;
    size_t cap = 0;
    cq_decision_t *d = cq_xmalloc(sizeof *d);
    cq_buf_t b;
    cq_buf_init(&b, 1 << 20);
    char *p = text, *end = text + len;
    bool ok = true;
    while (p < end) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);
        if (l > 0) {
            cq_diag_t diag = {0};
            if (cq_decision_from_json(p, l, d, &diag) != 0) {
                fprintf(stderr, "%s: line %zu: %s\n", path, *n + 1, diag.msg);
                ok = false;
                break;
            }
            d->node[0] = '\0';
            d->ledger_seq = 0;
            d->batch_id[0] = '\0';
            cq_buf_reset(&b);
            cq_decision_to_json(d, &b);
            if (*n == cap) {
                cap = cap ? cap * 2 : 1024;
                lines = cq_xrealloc(lines, cap * sizeof *lines);
            }
            lines[(*n)++] = cq_xstrdup(b.data);
        }
        p = nl ? nl + 1 : end;
    }
    cq_buf_free(&b);
    free(d);
    free(text);
    if (!ok) {
        cq_proc_lines_free(lines, *n);
        *n = 0;
        return NULL;
    }
    if (lines == NULL)
        lines = cq_xmalloc(sizeof *lines);
    return lines;
}

void
cq_proc_lines_free(char **lines, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(lines[i]);
    free(lines);
}

char **
cq_proc_ledger_keys(const char *ledger, size_t *n)
{
    *n = 0;
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(ledger, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        sqlite3_close(db);
        return NULL;
    }
    sqlite3_stmt *st = NULL;
    char **keys = cq_xmalloc(sizeof *keys);
    size_t cap = 1;
    if (sqlite3_prepare_v2(
            db, "SELECT claim_key FROM effective_decisions ORDER BY seq", -1,
            &st, NULL) == SQLITE_OK) {
        while (sqlite3_step(st) == SQLITE_ROW) {
            if (*n == cap) {
                cap *= 2;
                keys = cq_xrealloc(keys, cap * sizeof *keys);
            }
            keys[(*n)++] = cq_xstrdup((const char *)sqlite3_column_text(st, 0));
        }
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return keys;
}

static json_t *
s_workers(const char *frontend)
{
    cq_run_t r;
    if (cq_proc_claimq(&r, 10, "workers", "--broker", frontend, NULL) != 0) {
        cq_run_free(&r);
        return NULL;
    }
    json_t *j = json_loads(r.out, 0, NULL);
    cq_run_free(&r);
    return j;
}

long long
cq_proc_counter(const char *frontend, const char *name)
{
    json_t *j = s_workers(frontend);
    json_t *v = json_object_get(json_object_get(j, "counters"), name);
    long long x = json_is_integer(v) ? json_integer_value(v) : -1;
    json_decref(j);
    return x;
}

long long
cq_proc_worker_field(const char *frontend, const char *node, const char *field)
{
    json_t *j = s_workers(frontend);
    json_t *ws = json_object_get(j, "workers");
    long long x = -1;
    size_t i;
    json_t *w;
    json_array_foreach(ws, i, w)
    {
        const char *id = json_string_value(json_object_get(w, "node"));
        if (id && strcmp(id, node) == 0) {
            json_t *v = json_object_get(w, field);
            if (json_is_integer(v))
                x = json_integer_value(v);
        }
    }
    json_decref(j);
    return x;
}

long long
cq_proc_status_field(const char *frontend, const char *batch, const char *field)
{
    cq_run_t r;
    cq_proc_claimq(&r, 10, "status", "--broker", frontend, batch, NULL);
    json_t *j = json_loads(r.out, 0, NULL);
    cq_run_free(&r);
    json_t *v = json_object_get(j, field);
    long long x = json_is_integer(v)   ? json_integer_value(v)
                  : json_is_boolean(v) ? (json_is_true(v) ? 1 : 0)
                                       : -1;
    json_decref(j);
    return x;
}

int
cq_proc_up(cq_child_t *up, const char *dir, int workers, char *frontend,
           size_t frontend_size)
{
    char plan[4200], members[4200], run[4200], log[4200], n[16];
    snprintf(plan, sizeof plan, "%s/plan.json", dir);
    snprintf(members, sizeof members, "%s/members.jsonl", dir);
    snprintf(run, sizeof run, "%s/run", dir);
    snprintf(log, sizeof log, "%s/up.log", dir);
    snprintf(n, sizeof n, "%d", workers);
    char *argv[] = {(char *)cq_test_bin("claimq"),
                    "up",
                    "--workers",
                    n,
                    "--plan",
                    plan,
                    "--members",
                    members,
                    "--dir",
                    run,
                    NULL};
    int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return -1;
    int rc = cq_child_spawn(up, argv, fd);
    close(fd);
    if (rc != 0 || cq_child_wait_ready(up, 60000) != 0 ||
        !cq_child_ready_get(up, "frontend", frontend, frontend_size))
        return -1;
    return 0;
}

int
cq_proc_restart_worker(cq_cluster_t *cl, int i, bool wait)
{
    cq_diag_t diag = {0};
    int rc = cq_cluster_restart_worker(cl, i, wait, &diag);
    if (rc != 0)
        fprintf(stderr, "restart w%d: %s\n", i + 1, diag.msg);
    return rc;
}

int
cq_proc_restart_broker(cq_cluster_t *cl)
{
    cq_diag_t diag = {0};
    int rc = cq_cluster_restart_broker(cl, &diag);
    if (rc != 0)
        fprintf(stderr, "restart broker: %s\n", diag.msg);
    return rc;
}

//  ---- what `claimq submit` leaves behind --------------------------------

size_t
cq_proc_count_lines(const char *path)
{
    size_t n = 0, len;
    char *t = cq_test_read(path, &len);
    if (t == NULL)
        return 0;
    for (size_t i = 0; i < len; i++)
        n += t[i] == '\n';
    free(t);
    return n;
}

size_t
cq_proc_distinct_ids(const char *path, size_t *lines)
{
    *lines = 0;
    size_t len;
    char *t = cq_test_read(path, &len);
    if (t == NULL)
        return (size_t)-1;
    size_t n = (size_t)-1;
    json_t *ids = json_object();
    if (len == 0 || t[len - 1] == '\n') {
        bool ok = true;
        for (char *p = t, *nl; ok && *p; p = nl + 1) {
            nl = strchr(p, '\n');
            *nl = '\0';
            json_t *d = json_loads(p, 0, NULL);
            const char *id = json_string_value(json_object_get(d, "claim_id"));
            ok = id != NULL;
            if (ok)
                json_object_set_new(ids, id, json_true());
            json_decref(d);
            (*lines)++;
        }
        if (ok)
            n = json_object_size(ids);
    }
    json_decref(ids);
    free(t);
    return n;
}

bool
cq_proc_wait_lines(const char *path, size_t n, int timeout_ms)
{
    for (int i = 0; i < timeout_ms / 10; i++) {
        if (cq_proc_count_lines(path) >= n)
            return true;
        usleep(10000);
    }
    return cq_proc_count_lines(path) >= n;
}

int
cq_proc_wait_exit(cq_child_t *c, int timeout_ms)
{
    for (int i = 0; i < timeout_ms / 10 && !cq_child_exited(c); i++)
        usleep(10000);
    int st = cq_child_exited(c) ? c->status : -1;
    cq_child_stop(c, SIGKILL, 0);
    return st;
}

int
cq_proc_resume_argv(char *text, char **argv, int max)
{
    char *p = strstr(text, "to resume it, run");
    if (p == NULL || (p = strchr(p, '\n')) == NULL ||
        strncmp(p + 1, "  ", 2) != 0)
        return -1;
    p += 3;
    char *nl = strchr(p, '\n');
    if (nl)
        *nl = '\0';
    int n = 0;
    char *save = NULL;
    for (char *t = strtok_r(p, " ", &save); t && n < max - 1;
         t = strtok_r(NULL, " ", &save))
        argv[n++] = t;
    argv[n] = NULL;
    return n;
}
