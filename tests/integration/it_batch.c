//  Issue 9: batch integrity and honest answers from the broker. A batch
//  holds each claim key once (a resumed submission with other chunks, a
//  renamed copy); a batch is complete only once its submitter sealed it;
//  a submitter's received date is kept as such; a second worker with a
//  live node id, a worker with other rules, and peers on the wrong
//  endpoint are refused with a reason; ids of compacted batches are not
//  given again after a restart.
#include "bclient.h"
#include "cq_proc.h"
#include "date.h"

#include <criterion/criterion.h>
#include <czmq.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define N_CLAIMS 300

static void
s_dir(char *dir, size_t n)
{
    //  (cq_test_tmpdir's buffer is reused by later cq_test_* calls)
    const char *tmp = cq_test_tmpdir();
    cr_assert_not_null(tmp);
    snprintf(dir, n, "%s", tmp);
}

static void
s_submit(const cq_cluster_t *cl, const char *batch, const char *chunk,
         const char *path, const char *out)
{
    cq_run_t r;
    int st = cq_proc_claimq(&r, 120, "submit", "--broker", cl->frontend,
                            "--batch", batch, "--chunk", chunk, "--wait",
                            "--output", out, "--quiet", path, NULL);
    cr_assert_eq(st, 0, "submit %s: %s", path, r.err);
    cq_run_free(&r);
}

static cq_msg_status_reply_t
s_status(const char *fe, const char *batch)
{
    cq_bclient_t *c = cq_bclient_new(fe);
    cr_assert_not_null(c);
    cq_msg_status_reply_t r;
    int rc = cq_bclient_status(c, batch, &r, 10000);
    cr_assert_eq(rc, 0, "STATUS: %s", cq_strerror(rc));
    cq_bclient_destroy(&c);
    return r;
}

static size_t
s_count(const char *text, const char *what)
{
    size_t n = 0;
    for (const char *p = text; (p = strstr(p, what)) != NULL; p++)
        n++;
    return n;
}

static char *
s_835(const cq_cluster_t *cl, const char *batch)
{
    cq_run_t r;
    int st = cq_proc_claimq(&r, 60, "results", "--broker", cl->frontend,
                            "--format", "835", batch, NULL);
    cr_assert_eq(st, 0, "results %s: %s", batch, r.err);
    char *text = strdup(r.out);
    cq_run_free(&r);
    return text;
}

//  A resumed submission with another --chunk, and a renamed copy of the
//  file, add no claim to the batch: counts, results and the 835 are those
//  of one submission; so after a broker restart.
Test(batch, holds_each_claim_key_once, .timeout = 300, .fini = cq_proc_cleanup)
{
    char dir[1024];
    s_dir(dir, sizeof dir);
    cr_assert_eq(cq_proc_gen(dir, N_CLAIMS, N_CLAIMS / 10 + 10), 0);
    char claims[4096], copy[4096], out[4096], jdir[4096];
    snprintf(claims, sizeof claims, "%s/claims.jsonl", dir);
    snprintf(copy, sizeof copy, "%s/renamed.jsonl", dir);
    snprintf(out, sizeof out, "%s/out.jsonl", dir);
    snprintf(jdir, sizeof jdir, "%s/journal", dir);
    size_t n;
    char *text = cq_test_read(claims, &n);
    cr_assert_not_null(text);
    FILE *f = fopen(copy, "w");
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(text, 1, n, f), n);
    fclose(f);
    free(text);

    static cq_cluster_t cl; // static: .fini may reach it after a failure
    const char *extra[] = {"--journal", jdir, NULL};
    cr_assert_eq(cq_proc_cluster(&cl, dir, 2, 1000, extra), 0);
    s_submit(&cl, "once", "100", claims, out);
    s_submit(&cl, "once", "37", claims, out); // resumed, other chunks
    s_submit(&cl, "once", "100", copy, out);  // a renamed copy
    s_submit(&cl, "single", "100", claims, out);

    cq_msg_status_reply_t a = s_status(cl.frontend, "once");
    cq_msg_status_reply_t b = s_status(cl.frontend, "single");
    cr_assert_eq(a.claims, N_CLAIMS);
    cr_assert_eq(a.decided, N_CLAIMS);
    cr_assert_eq(a.accept + a.reject + a.pend, N_CLAIMS);
    cr_assert_eq(a.accept, b.accept);
    cr_assert_eq(a.reject, b.reject);
    cr_assert_eq(a.pend, b.pend);
    cr_assert(a.sealed && a.complete);
    cr_assert_eq(a.docs, 3 + 9 + 3, "documents: %llu",
                 (unsigned long long)a.docs);
    char *e1 = s_835(&cl, "once");
    char *e2 = s_835(&cl, "single");
    size_t clp = s_count(e2, "CLP*");
    cr_assert_gt(clp, 0);
    cr_assert_eq(s_count(e1, "CLP*"), clp, "835: %zu CLP, one submission %zu",
                 s_count(e1, "CLP*"), clp);
    free(e1);
    free(e2);

    //  the same after a restart (the batch's entries rebuilt from the
    //  journal)
    cq_child_stop(&cl.broker, SIGKILL, 1000);
    cr_assert_eq(cq_proc_restart_broker(&cl), 0);
    cq_msg_status_reply_t c = s_status(cl.frontend, "once");
    cr_assert_eq(c.claims, N_CLAIMS);
    cr_assert_eq(c.decided, N_CLAIMS);
    cr_assert(c.sealed && c.complete);
    cr_assert_eq(cq_cluster_stop(&cl), 0, "a process did not exit 0");
}

//  ---- a raw client: SUBMIT and SEAL by hand
//  ----------------------------------

typedef struct {
    zsock_t *sock;
    void *raw;
    cq_mpw_t w;
    cq_wire_msg_t in;
} s_raw_t;

static void
s_raw_open(s_raw_t *c, const char *ep)
{
    c->sock = zsock_new_dealer(ep);
    cr_assert_not_null(c->sock);
    c->raw = zsock_resolve(c->sock);
    cq_mpw_init(&c->w);
    cq_wire_msg_init(&c->in);
}

static void
s_raw_close(s_raw_t *c)
{
    cq_mpw_free(&c->w);
    cq_wire_msg_close(&c->in);
    zsock_destroy(&c->sock);
}

//  The next message of type cmd within 20 s (others are skipped).
static void
s_raw_expect(s_raw_t *c, int cmd)
{
    zmq_pollitem_t it = {c->raw, 0, ZMQ_POLLIN, 0};
    for (int i = 0; i < 200; i++) {
        if (zmq_poll(&it, 1, 100) != 1)
            continue;
        cq_wire_msg_close(&c->in);
        cr_assert_eq(cq_wire_recv(c->raw, false, &c->in, 0), 0);
        cr_assert_eq(cq_wire_parse(&c->in, CQ_PROTO_MAX_FRAME, NULL), 0);
        if (c->in.cmd == cmd)
            return;
    }
    cr_assert_fail("no %s", cq_cmd_name(cmd));
}

//  SUBMITs one document; returns its broker id (the RECEIPT's).
static uint64_t
s_raw_submit(s_raw_t *c, const char *batch, const char *name, const char *data,
             int32_t received_date)
{
    cq_msg_submit_t *m = calloc(1, sizeof *m);
    m->req_id = 1;
    snprintf(m->batch_id, sizeof m->batch_id, "%s", batch);
    m->n_docs = 1;
    snprintf(m->docs[0].name, sizeof m->docs[0].name, "%s", name);
    m->docs[0].first_record = 1;
    m->docs[0].size = strlen(data);
    m->received_date = received_date;
    cq_proto_submit_encode(&c->w, m);
    free(m);
    zmq_msg_t part;
    zmq_msg_init_size(&part, strlen(data));
    memcpy(zmq_msg_data(&part), data, strlen(data));
    cr_assert_eq(cq_wire_send(c->raw, NULL, 0, CQ_CMD_SUBMIT, c->w.data,
                              c->w.len, &part, 1, 0),
                 0);
    s_raw_expect(c, CQ_CMD_RECEIPT);
    cq_msg_receipt_t *r = calloc(1, sizeof *r);
    cr_assert_eq(cq_proto_receipt_decode(c->in.body, c->in.body_len, r, NULL),
                 0);
    cr_assert_eq(r->status, 0, "%s", r->message);
    uint64_t id = r->doc_ids[0];
    free(r);
    return id;
}

static cq_msg_seal_reply_t
s_raw_seal(s_raw_t *c, const char *batch, uint64_t docs)
{
    cq_msg_seal_t m;
    memset(&m, 0, sizeof m);
    m.req_id = 9;
    snprintf(m.batch_id, sizeof m.batch_id, "%s", batch);
    m.docs = docs;
    cq_proto_seal_encode(&c->w, &m);
    cr_assert_eq(cq_wire_send(c->raw, NULL, 0, CQ_CMD_SEAL, c->w.data, c->w.len,
                              NULL, 0, 0),
                 0);
    s_raw_expect(c, CQ_CMD_SEAL_REPLY);
    cq_msg_seal_reply_t r;
    cr_assert_eq(
        cq_proto_seal_reply_decode(c->in.body, c->in.body_len, &r, NULL), 0);
    return r;
}

//  The first claim of the generated claims file (one JSON line).
static char *
s_first_claim(const char *dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/claims.jsonl", dir);
    size_t n;
    char *text = cq_test_read(path, &n);
    cr_assert_not_null(text);
    char *nl = strchr(text, '\n');
    cr_assert_not_null(nl);
    nl[1] = '\0';
    return text;
}

//  Every claim decided is not enough: until its submitter seals it, a
//  batch is open (an interrupted submission must not look complete). A
//  seal naming more documents than the broker holds is refused, naming
//  both counts. A submitter's received date is kept and said to be its.
Test(batch, complete_only_once_sealed, .timeout = 120, .fini = cq_proc_cleanup)
{
    char dir[1024];
    s_dir(dir, sizeof dir);
    cr_assert_eq(cq_proc_gen(dir, 20, 10), 0);
    static cq_cluster_t cl;
    cr_assert_eq(cq_proc_cluster(&cl, dir, 1, 1000, NULL), 0);
    char *claim = s_first_claim(dir);
    static s_raw_t c;
    s_raw_open(&c, cl.frontend);
    int32_t back = cq_date_today() - 40;
    s_raw_submit(&c, "open", "one.jsonl", claim, back);
    cq_msg_status_reply_t st;
    for (int i = 0; i < 200; i++) {
        st = s_status(cl.frontend, "open");
        if (st.decided + st.failed == st.claims && st.docs_done == st.docs &&
            st.claims > 0)
            break;
        usleep(50000);
    }
    cr_assert_eq(st.claims, 1);
    cr_assert_eq(st.decided, 1);
    cr_assert(!st.sealed, "sealed without a SEAL");
    cr_assert(!st.complete, "complete without a SEAL");
    cr_assert_eq(st.received_date, back);
    cr_assert(st.received_set);
    cr_assert_eq(st.workers_live, 1);

    cq_msg_seal_reply_t r = s_raw_seal(&c, "open", 2);
    cr_assert_eq(r.status, CQ_EINVAL);
    cr_assert(strstr(r.message, "holds 1 documents") &&
                  strstr(r.message, "sent 2"),
              "%s", r.message);
    cr_assert(!s_status(cl.frontend, "open").complete);
    r = s_raw_seal(&c, "open", 1);
    cr_assert_eq(r.status, 0, "%s", r.message);
    st = s_status(cl.frontend, "open");
    cr_assert(st.sealed && st.complete);
    r = s_raw_seal(&c, "no-such-batch", 1);
    cr_assert_eq(r.status, CQ_ENOTFOUND);

    //  a date in the future is refused, nothing received
    cq_msg_submit_t *m = calloc(1, sizeof *m);
    m->req_id = 2;
    strcpy(m->batch_id, "future");
    m->n_docs = 1;
    strcpy(m->docs[0].name, "f.jsonl");
    m->docs[0].first_record = 1;
    m->docs[0].size = strlen(claim);
    m->received_date = cq_date_today() + 30;
    cq_proto_submit_encode(&c.w, m);
    free(m);
    zmq_msg_t part;
    zmq_msg_init_size(&part, strlen(claim));
    memcpy(zmq_msg_data(&part), claim, strlen(claim));
    cr_assert_eq(cq_wire_send(c.raw, NULL, 0, CQ_CMD_SUBMIT, c.w.data, c.w.len,
                              &part, 1, 0),
                 0);
    s_raw_expect(&c, CQ_CMD_RECEIPT);
    cq_msg_receipt_t *rc = calloc(1, sizeof *rc);
    cr_assert_eq(cq_proto_receipt_decode(c.in.body, c.in.body_len, rc, NULL),
                 0);
    cr_assert_eq(rc->status, CQ_EINVAL);
    cr_assert(strstr(rc->message, "in the future"), "%s", rc->message);
    free(rc);
    cr_assert(!s_status(cl.frontend, "future").found);
    s_raw_close(&c);
    free(claim);
    cr_assert_eq(cq_cluster_stop(&cl), 0, "a process did not exit 0");
}

//  ---- workers refused
//  --------------------------------------------------------

//  Starts claimq-worker with node id `node`, plan `plan`, on endpoint ep;
//  its stderr in log.
static void
s_worker(cq_child_t *w, const cq_cluster_t *cl, const char *dir,
         const char *node, const char *plan, const char *ep, const char *log,
         bool wait_rules)
{
    char bin[4200], ledger[4200], members[4200];
    snprintf(bin, sizeof bin, "%s/claimq-worker", cl->bin_dir);
    snprintf(ledger, sizeof ledger, "%s/%s-extra.ledger", dir, node);
    snprintf(members, sizeof members, "%s/members.jsonl", dir);
    char *argv[] = {bin,          "--broker",
                    (char *)ep,   "--node-id",
                    (char *)node, "--ledger",
                    ledger,       "--plan",
                    (char *)plan, "--members",
                    members,      "--heartbeat-ms",
                    "200",        wait_rules ? "--wait-for-rules" : NULL,
                    NULL};
    int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    cr_assert_geq(fd, 0);
    cr_assert_eq(cq_child_spawn(w, argv, fd), 0);
    close(fd);
}

//  Waits up to 20 s for w to exit; its exit code.
static int
s_exit_code(cq_child_t *w)
{
    for (int i = 0; i < 400 && !cq_child_exited(w); i++)
        usleep(50000);
    cr_assert(cq_child_exited(w), "the worker did not exit");
    return w->status;
}

static char *
s_read(const char *path)
{
    size_t n;
    char *t = cq_test_read(path, &n);
    cr_assert_not_null(t);
    return t;
}

Test(batch, refused_workers_say_why_and_exit_3, .timeout = 180,
     .fini = cq_proc_cleanup)
{
    char dir[1024];
    s_dir(dir, sizeof dir);
    cr_assert_eq(cq_proc_gen(dir, 50, 20), 0);
    static cq_cluster_t cl;
    cr_assert_eq(cq_proc_cluster(&cl, dir, 1, 1000, NULL), 0);
    char plan[4096], plan2[4096], log[4096];
    snprintf(plan, sizeof plan, "%s/plan.json", dir);
    snprintf(plan2, sizeof plan2, "%s/plan-other.json", dir);
    snprintf(log, sizeof log, "%s/extra.log", dir);
    {
        char *t = s_read(plan);
        FILE *f = fopen(plan2, "w");
        cr_assert_not_null(f);
        fprintf(f, "%s\n", t); // other bytes: other rules version
        fclose(f);
        free(t);
    }
    static cq_child_t w;

    //  A second worker with the live node id w1: refused, exit 3, once
    //  (no storm of registrations), the first one untouched.
    s_worker(&w, &cl, dir, "w1", plan, cl.backend, log, false);
    cr_assert_eq(s_exit_code(&w), 3);
    char *t = s_read(log);
    cr_assert(strstr(t, "node id w1 is in use by another worker"), "%s", t);
    free(t);
    long long refused = cq_proc_counter(cl.frontend, "node_id_refused");
    cr_assert_geq(refused, 1);
    cr_assert_leq(refused, 40, "%lld registrations refused", refused);
    cr_assert_eq(cq_proc_counter(cl.frontend, "workers_dead"), 0);

    //  Other rules: exit 3, unless told to wait.
    s_worker(&w, &cl, dir, "w9", plan2, cl.backend, log, false);
    cr_assert_eq(s_exit_code(&w), 3);
    t = s_read(log);
    cr_assert(strstr(t, "rules version differs") &&
                  strstr(t, "--wait-for-rules"),
              "%s", t);
    free(t);
    s_worker(&w, &cl, dir, "w8", plan2, cl.backend, log, true);
    for (int i = 0; i < 100; i++) {
        cq_run_t r;
        cq_proc_claimq(&r, 10, "workers", "--broker", cl.frontend, NULL);
        bool seen = strstr(r.out, "\"w8\"") != NULL;
        cq_run_free(&r);
        if (seen)
            break;
        usleep(100000);
    }
    cr_assert(!cq_child_exited(&w), "a worker told to wait exited");
    cr_assert_eq(cq_child_stop(&w, SIGTERM, 10000), 0);

    //  A worker pointed at the client endpoint: told so, exit 3.
    s_worker(&w, &cl, dir, "w7", plan, cl.frontend, log, false);
    cr_assert_eq(s_exit_code(&w), 3);
    t = s_read(log);
    cr_assert(strstr(t, "client endpoint (frontend)"), "%s", t);
    free(t);

    //  A client pointed at the worker endpoint: told so.
    cq_bclient_t *c = cq_bclient_new(cl.backend);
    cq_msg_status_reply_t st;
    cr_assert_eq(cq_bclient_status(c, "x", &st, 10000), CQ_EUNSUPPORTED);
    cr_assert(strstr(cq_bclient_why(c), "worker endpoint (backend)"), "%s",
              cq_bclient_why(c));
    cq_bclient_destroy(&c);
    cr_assert_geq(cq_proc_counter(cl.frontend, "wrong_endpoint"), 2);

    //  The cluster still works.
    char claims[4096], out[4096];
    snprintf(claims, sizeof claims, "%s/claims.jsonl", dir);
    snprintf(out, sizeof out, "%s/out.jsonl", dir);
    s_submit(&cl, "after", "10", claims, out);
    cr_assert_eq(s_status(cl.frontend, "after").decided, 50);
    cr_assert_eq(cq_cluster_stop(&cl), 0, "a process did not exit 0");
}

//  A restarted worker (same node id, the old connection gone) is taken at
//  once, not refused.
Test(batch, restarted_worker_is_not_refused, .timeout = 120,
     .fini = cq_proc_cleanup)
{
    char dir[1024];
    s_dir(dir, sizeof dir);
    cr_assert_eq(cq_proc_gen(dir, 50, 20), 0);
    static cq_cluster_t cl;
    cr_assert_eq(cq_proc_cluster(&cl, dir, 1, 1000, NULL), 0);
    for (int i = 0; i < 3; i++) {
        cq_child_stop(&cl.workers[0], SIGKILL, 1000);
        cr_assert_eq(cq_proc_restart_worker(&cl, 0, true), 0);
    }
    cr_assert_eq(cq_proc_counter(cl.frontend, "node_id_refused"), 0);
    cr_assert_eq(cq_cluster_stop(&cl), 0, "a process did not exit 0");
}

//  Compaction removes the newest batch; after a restart its document ids
//  are not given to new documents (events about them would apply to the
//  new ones).
Test(batch, compacted_ids_are_not_reused, .timeout = 120,
     .fini = cq_proc_cleanup)
{
    char dir[1024], jdir[4096];
    s_dir(dir, sizeof dir);
    snprintf(jdir, sizeof jdir, "%s/journal", dir);
    cr_assert_eq(cq_proc_gen(dir, 20, 10), 0);
    static cq_cluster_t cl;
    const char *extra[] = {"--journal", jdir, "--retain-days", "0", NULL};
    cr_assert_eq(cq_proc_cluster(&cl, dir, 1, 1000, extra), 0);
    char *claim = s_first_claim(dir);
    static s_raw_t c;
    s_raw_open(&c, cl.frontend);
    uint64_t first = s_raw_submit(&c, "gone", "a.jsonl", claim, CQ_DATE_NONE);
    cr_assert_eq(s_raw_seal(&c, "gone", 1).status, 0);
    bool found = true;
    for (int i = 0; i < 400 && found; i++) {
        found = s_status(cl.frontend, "gone").found;
        usleep(50000);
    }
    cr_assert(!found, "the batch was not compacted");
    s_raw_close(&c);
    cq_child_stop(&cl.broker, SIGKILL, 1000);
    cr_assert_eq(cq_proc_restart_broker(&cl), 0);
    s_raw_open(&c, cl.frontend);
    uint64_t next = s_raw_submit(&c, "new", "b.jsonl", claim, CQ_DATE_NONE);
    cr_assert_gt(next, first);
    s_raw_close(&c);
    free(claim);
    cr_assert_eq(cq_cluster_stop(&cl), 0, "a process did not exit 0");
}

//  ---- a corrected claim after a pend
//  -----------------------------------------

#include <jansson.h>

//  Claim `base` (a JSON line) with claim_id id, frequency freq (and the
//  original it names), line 1's charge raised by add (the total too), and
//  every service date moved by days.
static char *
s_variant(const char *base, const char *id, const char *freq,
          const char *original, double add, int days)
{
    json_t *c = json_loads(base, 0, NULL);
    cr_assert_not_null(c);
    json_object_set_new(c, "claim_id", json_string(id));
    json_object_set_new(c, "frequency", json_string(freq));
    json_object_set_new(c, "original_claim_id",
                        original ? json_string(original) : json_null());
    json_t *lines = json_object_get(c, "lines");
    char buf[32];
    json_t *l0 = json_array_get(lines, 0);
    snprintf(buf, sizeof buf, "%.2f",
             atof(json_string_value(json_object_get(l0, "charge"))) + add);
    json_object_set_new(l0, "charge", json_string(buf));
    snprintf(buf, sizeof buf, "%.2f",
             atof(json_string_value(json_object_get(c, "total_charge"))) + add);
    json_object_set_new(c, "total_charge", json_string(buf));
    size_t i;
    json_t *l;
    json_array_foreach(lines, i, l)
    {
        const char *sd = json_string_value(json_object_get(l, "service_date"));
        int32_t day;
        cr_assert_eq(cq_date_parse(sd, strlen(sd), &day), 0);
        char out[16];
        cq_date_format(day + days, out);
        json_object_set_new(l, "service_date", json_string(out));
    }
    char *s = json_dumps(c, JSON_COMPACT);
    json_decref(c);
    size_t n = strlen(s);
    s = realloc(s, n + 2);
    s[n] = '\n';
    s[n + 1] = '\0';
    return s;
}

//  Submits one claim (a JSON line) as batch and returns its decision's
//  "decision" field ("accept", "reject", "pend").
static char *
s_decide(const cq_cluster_t *cl, const char *dir, const char *batch,
         const char *claim)
{
    char in[4096], out[4096];
    snprintf(in, sizeof in, "%s/%s.jsonl", dir, batch);
    snprintf(out, sizeof out, "%s/%s.out", dir, batch);
    FILE *f = fopen(in, "w");
    cr_assert_not_null(f);
    fputs(claim, f);
    fclose(f);
    s_submit(cl, batch, "10", in, out);
    size_t n;
    char *text = cq_test_read(out, &n);
    cr_assert_not_null(text);
    json_t *d = json_loads(text, JSON_DISABLE_EOF_CHECK, NULL);
    cr_assert_not_null(d, "%s", text);
    char *r = strdup(json_string_value(json_object_get(d, "decision")));
    json_decref(d);
    free(text);
    return r;
}

Test(batch, corrected_claim_after_a_pend, .timeout = 180,
     .fini = cq_proc_cleanup)
{
    char dir[1024];
    s_dir(dir, sizeof dir);
    cr_assert_eq(cq_proc_gen(dir, 20, 10), 0);
    static cq_cluster_t cl;
    cr_assert_eq(cq_proc_cluster(&cl, dir, 1, 1000, NULL), 0);
    char *a = s_first_claim(dir);
    char *r = s_decide(&cl, dir, "a", a);
    cr_assert_str_eq(r, "accept");
    free(r);
    //  the same service at another charge under another claim id: a
    //  suspect duplicate, pended
    char *b = s_variant(a, "PCN-B", "1", NULL, 5.0, 0);
    r = s_decide(&cl, dir, "b", b);
    cr_assert_str_eq(r, "pend");
    free(r);
    //  the corrected claim as a replacement (frequency 7) of the pended
    //  one: decided on its own contents
    char *fix = s_variant(a, "PCN-B2", "7", "PCN-B", 5.0, 1);
    r = s_decide(&cl, dir, "fix", fix);
    cr_assert_str_eq(r, "accept");
    free(r);
    //  the correction under the pended claim's own key: that key's
    //  decision (pend) comes back, and the submitter is told its claim
    //  differs from what was decided
    char *same = s_variant(a, "PCN-B", "1", NULL, 5.0, 1);
    static s_raw_t c;
    s_raw_open(&c, cl.frontend);
    s_raw_submit(&c, "same-key", "same.jsonl", same, CQ_DATE_NONE);
    s_raw_expect(&c, CQ_CMD_DOC_DONE);
    cq_msg_doc_done_t dd;
    cr_assert_eq(cq_proto_doc_done_decode(c.in.body, c.in.body_len, &dd, NULL),
                 0);
    cr_assert_eq(dd.n_claims, 1);
    cr_assert_eq(dd.conflicts, 1);
    s_raw_close(&c);
    cq_msg_status_reply_t st = s_status(cl.frontend, "same-key");
    cr_assert_eq(st.pend, 1);
    free(a);
    free(b);
    free(fix);
    free(same);
    cr_assert_eq(cq_cluster_stop(&cl), 0, "a process did not exit 0");
}

//  The same claims sent again as an 837 (in another batch) are the same
//  claims: they carry their decisions without being called conflicts,
//  which would tell the submitter to send corrections it does not have.
Test(batch, the_same_claims_as_x12_are_no_conflict, .timeout = 180,
     .fini = cq_proc_cleanup)
{
    char dir[1024];
    s_dir(dir, sizeof dir);
    cq_run_t r;
    char n[16];
    snprintf(n, sizeof n, "%d", N_CLAIMS);
    int st = cq_proc_claimq(&r, 60, "gen", "--out", dir, "--claims", n,
                            "--members", "40", "--x12", NULL);
    cr_assert_eq(st, 0, "gen: %s", r.err);
    cq_run_free(&r);
    static cq_cluster_t cl;
    cr_assert_eq(cq_proc_cluster(&cl, dir, 2, 1000, NULL), 0);
    char jsonl[1100], x12[1100], a[1100], b[1100];
    snprintf(jsonl, sizeof jsonl, "%s/claims.jsonl", dir);
    snprintf(x12, sizeof x12, "%s/claims.837", dir);
    snprintf(a, sizeof a, "%s/a.jsonl", dir);
    snprintf(b, sizeof b, "%s/b.jsonl", dir);
    s_submit(&cl, "as-json", "100", jsonl, a);
    st = cq_proc_claimq(&r, 120, "submit", "--broker", cl.frontend, "--batch",
                        "as-x12", "--wait", "--output", b, x12, NULL);
    cr_assert_eq(st, 0, "submit 837: %s", r.err);
    cr_assert_null(strstr(r.err, "other contents"), "%s", r.err);
    cq_run_free(&r);
    size_t na, nb;
    char **da = cq_proc_decisions(a, &na);
    char **db = cq_proc_decisions(b, &nb);
    cr_assert_eq(na, N_CLAIMS);
    cr_assert_eq(nb, N_CLAIMS);
    for (size_t i = 0; i < na; i++)
        cr_assert_str_eq(da[i], db[i], "claim %zu", i + 1);
    cq_proc_lines_free(da, na);
    cq_proc_lines_free(db, nb);
    cr_assert_eq(cq_cluster_stop(&cl), 0);
}

//  Claims that take long to decide (20 ms each here, by a test switch) do
//  not silence a worker: it reports what it decided and heartbeats every
//  quarter interval, even in the middle of one ADJUDICATE of hundreds of
//  claims, so the broker never takes it for dead.
Test(batch, slow_claims_do_not_silence_the_worker, .timeout = 180,
     .fini = cq_proc_cleanup)
{
    char dir[1024];
    s_dir(dir, sizeof dir);
    cr_assert_eq(cq_proc_gen(dir, N_CLAIMS, 60), 0);
    setenv("CLAIMQ_TEST_FAULTS", "1", 1);
    setenv("CLAIMQ_FAULT", "delay-claim-us=20000", 1);
    static cq_cluster_t cl;
    //  heartbeats every 200 ms: 3 missed (600 ms, 30 claims) is death
    cr_assert_eq(cq_proc_cluster(&cl, dir, 1, 200, NULL), 0);
    unsetenv("CLAIMQ_FAULT");
    unsetenv("CLAIMQ_TEST_FAULTS");
    char claims[1100], out[1100];
    snprintf(claims, sizeof claims, "%s/claims.jsonl", dir);
    snprintf(out, sizeof out, "%s/out.jsonl", dir);
    s_submit(&cl, "slow", "1000", claims, out);
    cr_assert_eq(cq_proc_status_field(cl.frontend, "slow", "decided"),
                 N_CLAIMS);
    cr_assert_eq(cq_proc_counter(cl.frontend, "workers_dead"), 0);
    cr_assert_eq(cq_proc_counter(cl.frontend, "stale_results"), 0);
    cr_assert_eq(cq_proc_counter(cl.frontend, "requeued_claims"), 0);
    cr_assert_eq(cq_cluster_stop(&cl), 0);
}
