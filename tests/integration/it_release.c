//  it_release.c: the review queue's core through real processes (issue
//  12): a suspect duplicate pends, waits in the broker's journaled review
//  queue (surviving a broker restart), is locked by one reviewer (a second
//  sees it taken), is refused to another tenant, and its release is
//  decided again by the shard's owner: the final decision supersedes the
//  pend in the ledger (a row naming the pend's row, with the reviewer and
//  the changes), and `claimq submit --wait --until-final` gets it. The
//  browser side (claimq review) is it_review.c.
//
//  Also: a GET without the document (no_doc); a LIST with max 0 (the
//  counts alone) and `claimq status`, which shows them; an audit trail
//  longer than the former 4 KiB cap (a form's 80 fields, old -> new)
//  reaching the ledger whole.
#include "cq_proc.h"
#include "decision.h"
#include "ledger.h"
#include "review_rpc.h"

#include <criterion/criterion.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static cq_cluster_t s_cl;

static void
s_fini(void)
{
    cq_proc_cleanup();
}

TestSuite(release, .fini = s_fini);

//  The first claim `claimq adjudicate` accepts, as a JSON object.
static json_t *
s_accepted_claim(const char *dir)
{
    char claims[1100], out[1100];
    snprintf(claims, sizeof claims, "%s/claims.jsonl", dir);
    snprintf(out, sizeof out, "%s/oracle.jsonl", dir);
    cq_run_t r;
    char plan[1100], members[1100];
    snprintf(plan, sizeof plan, "%s/plan.json", dir);
    snprintf(members, sizeof members, "%s/members.jsonl", dir);
    int st = cq_proc_claimq(&r, 120, "adjudicate", "--plan", plan, "--members",
                            members, "--output", out, claims, NULL);
    cr_assert(st == 0 || st == 5, "adjudicate: %s", r.err);
    cq_run_free(&r);
    FILE *fc = fopen(claims, "r"), *fo = fopen(out, "r");
    cr_assert(fc && fo);
    char lc[65536], lo[65536];
    json_t *found = NULL;
    while (!found && fgets(lc, sizeof lc, fc) && fgets(lo, sizeof lo, fo)) {
        if (strstr(lo, "\"decision\": \"accept\"") != NULL)
            found = json_loads(lc, 0, NULL);
    }
    fclose(fc);
    fclose(fo);
    cr_assert_not_null(found, "no accepted claim in the generated set");
    return found;
}

//  A copy of a claim under another id whose charges differ by a dollar: a
//  suspect duplicate (same member, date and procedure, another charge).
static char *
s_suspect(json_t *orig, const char *id)
{
    json_t *c = json_deep_copy(orig);
    json_object_set_new(c, "claim_id", json_string(id));
    json_t *lines = json_object_get(c, "lines");
    size_t i;
    json_t *l;
    double total = 0;
    json_array_foreach(lines, i, l)
    {
        double ch = atof(json_string_value(json_object_get(l, "charge"))) + 1;
        char buf[32];
        snprintf(buf, sizeof buf, "%.2f", ch);
        json_object_set_new(l, "charge", json_string(buf));
        total += ch;
    }
    char buf[32];
    snprintf(buf, sizeof buf, "%.2f", total);
    json_object_set_new(c, "total_charge", json_string(buf));
    char *s = json_dumps(c, JSON_COMPACT);
    json_decref(c);
    return s;
}

static const char *const s_acme[] = {"ACME"};

//  `claimq status BATCH --json`'s "review" object (owned).
static json_t *
s_status_review(const char *batch)
{
    cq_run_t r;
    int st = cq_proc_claimq(&r, 60, "status", "--broker", s_cl.frontend,
                            "--json", batch, NULL);
    cr_assert_eq(st, 0, "status: %s", r.err);
    json_t *o = json_loads(r.out, 0, NULL);
    cr_assert_not_null(o, "status printed: %s", r.out);
    cq_run_free(&r);
    json_t *rv = json_incref(json_object_get(o, "review"));
    json_decref(o);
    cr_assert(json_is_object(rv), "status gave no review counts");
    return rv;
}

static json_int_t
s_int(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    cr_assert(json_is_integer(v), "%s is not an integer", key);
    return json_integer_value(v);
}

//  The changes of a whole CMS-1500 keyed in: 80 fields, each old -> new
//  (a JSON array of about 7 KB). Caller frees.
static char *
s_whole_form_changes(void)
{
    json_t *a = json_array();
    for (int i = 0; i < 80; i++) {
        char field[40], old[32], new_value[32];
        snprintf(field, sizeof field, "line%d.field%02d", i / 9 + 1, i);
        snprintf(old, sizeof old, "READ-%015d", i);
        snprintf(new_value, sizeof new_value, "KEYED-%014d", i);
        json_array_append_new(a, json_pack("{s:s, s:s, s:s}", "field", field,
                                           "old", old, "new", new_value));
    }
    char *s = json_dumps(a, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(a);
    return s;
}
static const char *const s_other[] = {"OTHER-PAYER"};

//  Waits until the review queue for ACME holds n items.
static void
s_wait_queue(cq_bclient_t *bc, uint32_t n, cq_review_list_t *l)
{
    for (int t = 0; t < 600; t++) {
        int rc = cq_review_list(bc, s_acme, 1, 100, l, 2000);
        if (rc == 0 && l->total >= n)
            return;
        if (rc == 0)
            cq_review_list_free(l);
        usleep(100 * 1000);
    }
    cr_assert_fail("the review queue never held %u items", n);
}

static uint64_t
s_find(const cq_review_list_t *l, const char *claim_id)
{
    for (uint32_t i = 0; i < l->n; i++)
        if (strcmp(l->items[i].claim_id, claim_id) == 0)
            return l->items[i].id;
    cr_assert_fail("%s is not in the review queue", claim_id);
    return 0;
}

typedef struct {
    int pend, final, other;
    int64_t pend_seq;
    char pend_node[CQ_ID_LEN];
    cq_decision_t last;
} s_rows_t;

static int
s_row(void *arg, const cq_decision_t *d, const char *json, size_t len)
{
    (void)json;
    (void)len;
    s_rows_t *x = arg;
    if (strcmp(d->claim_id, "DUP-1") != 0)
        return 0;
    if (d->decision == CQ_DECISION_PEND) {
        x->pend++;
        x->pend_seq = d->ledger_seq;
        cq_strlcpy(x->pend_node, d->node, sizeof x->pend_node);
    } else {
        x->final++;
        x->last = *d;
    }
    return 0;
}

Test(release, suspect_duplicate_pends_waits_and_is_released, .timeout = 600)
{
    const char *tmp = cq_test_tmpdir();
    cr_assert_not_null(tmp);
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", tmp);
    cq_run_t r;
    int st = cq_proc_claimq(&r, 60, "gen", "--out", dir, "--claims", "40",
                            "--members", "20", NULL);
    cr_assert_eq(st, 0, "%s", r.err);
    cq_run_free(&r);
    json_t *a = s_accepted_claim(dir);
    char *ja = json_dumps(a, JSON_COMPACT);
    char *jb = s_suspect(a, "DUP-1");
    char *jc = s_suspect(a, "DUP-2");
    //  one document, in order: the original, then two suspects (same
    //  member: one shard, decided in this order)
    char docs[1100], doc[1100];
    snprintf(docs, sizeof docs, "%s/in", dir);
    cr_assert_eq(mkdir(docs, 0700), 0);
    snprintf(doc, sizeof doc, "%s/in/claims.jsonl", dir);
    FILE *f = fopen(doc, "w");
    cr_assert_not_null(f);
    fprintf(f, "%s\n%s\n%s\n", ja, jb, jc);
    fclose(f);
    free(ja);
    free(jb);
    free(jc);

    char journal[1100];
    snprintf(journal, sizeof journal, "%s/journal", dir);
    const char *const extra[] = {"--journal", journal, NULL};
    cr_assert_eq(cq_proc_cluster(&s_cl, dir, 2, 200, extra), 0);

    //  the submitter waits through review
    char out[1100];
    snprintf(out, sizeof out, "%s/final.jsonl", dir);
    char bin[1100];
    snprintf(bin, sizeof bin, "%s", cq_test_bin("claimq"));
    char *const argv[] = {bin,           "submit",     "--broker",
                          s_cl.frontend, "--wait",     "--until-final",
                          "--output",    out,          "--quiet",
                          "--batch",     "b-review-1", docs,
                          NULL};
    cq_child_t sub;
    cr_assert_eq(cq_child_spawn(&sub, argv, -1), 0);

    cq_bclient_t *bc = cq_bclient_new(s_cl.frontend);
    cq_review_list_t l;
    s_wait_queue(bc, 2, &l);
    cr_assert_eq(l.total, 2);
    cr_assert_eq(l.by_kind[CQ_REVIEW_DUPLICATE], 2);
    uint64_t id1 = s_find(&l, "DUP-1"), id2 = s_find(&l, "DUP-2");
    cr_assert_str_eq(l.items[0].payer_id, "ACME");
    cr_assert_str_eq(l.items[0].batch_id, "b-review-1");
    cr_assert(strstr(l.items[0].reason, "possible duplicate") != NULL, "%s",
              l.items[0].reason);
    int64_t oldest = l.items[0].pended_ms;
    cq_review_list_free(&l);
    //  the submitter is still waiting: pends are not final
    cr_assert_not(cq_child_exited(&sub), "submit --until-final ended early");

    //  max 0: the counts alone, and when the oldest pended
    cr_assert_eq(cq_review_list(bc, s_acme, 1, 0, &l, 5000), 0);
    cr_assert_eq(l.total, 2);
    cr_assert_eq(l.by_kind[CQ_REVIEW_DUPLICATE], 2);
    cr_assert_eq(l.n, 0);
    cr_assert_null(l.items);
    cr_assert_eq(l.oldest_ms, oldest);
    cq_review_list_free(&l);
    //  `claimq status` shows them, by reason
    json_t *sr = s_status_review("b-review-1");
    cr_assert_eq(s_int(sr, "waiting"), 2);
    cr_assert_eq(s_int(sr, "duplicate"), 2);
    cr_assert_eq(s_int(sr, "ocr"), 0);
    cr_assert_eq(s_int(sr, "registration"), 0);
    cr_assert_eq(s_int(sr, "other"), 0);
    cr_assert_geq(s_int(sr, "oldest_age_s"), 0);
    json_decref(sr);

    //  another tenant sees nothing, and gets "not found" for the id
    cr_assert_eq(cq_review_list(bc, s_other, 1, 100, &l, 5000), 0);
    cr_assert_eq(l.total, 0);
    cq_review_list_free(&l);
    cq_review_claim_t rc1;
    cr_assert_eq(cq_review_get(bc, s_other, 1, id1, true, &rc1, 5000),
                 CQ_ENOTFOUND);
    uint64_t tok = 0;
    char holder[CQ_ID_LEN];
    int64_t exp = 0;
    cr_assert_eq(cq_review_lock(bc, s_other, 1, id1, "mallory", 60000, &tok,
                                holder, &exp, 5000),
                 CQ_ENOTFOUND);

    //  the claim and its pend without the document (no_doc)
    cr_assert_eq(cq_review_get(bc, s_acme, 1, id1, false, &rc1, 5000), 0);
    cr_assert_str_eq(rc1.claim.claim_id, "DUP-1");
    cr_assert_eq(rc1.pend.decision, CQ_DECISION_PEND);
    cr_assert_eq(rc1.page, 2);
    cr_assert_null(rc1.doc);
    cr_assert_eq(rc1.doc_len, 0);
    cq_review_claim_free(&rc1);
    //  the claim, its pend, its document and the earlier claim it may
    //  duplicate
    cr_assert_eq(cq_review_get(bc, s_acme, 1, id1, true, &rc1, 5000), 0);
    cr_assert_str_eq(rc1.claim.claim_id, "DUP-1");
    cr_assert_eq(rc1.pend.decision, CQ_DECISION_PEND);
    cr_assert(rc1.has_other, "the earlier claim is not given");
    cr_assert_str_eq(rc1.other.claim_id,
                     json_string_value(json_object_get(a, "claim_id")));
    cr_assert_eq(rc1.other_decision.decision, CQ_DECISION_ACCEPT);
    cr_assert_eq(rc1.page, 2);
    cr_assert(rc1.doc_len > 0);
    cq_review_claim_free(&rc1);

    //  alice takes it; bob sees it taken, and cannot release it
    uint64_t ta = 0, tb = 0;
    cr_assert_eq(cq_review_lock(bc, s_acme, 1, id1, "alice", 60000, &ta, holder,
                                &exp, 5000),
                 0);
    cr_assert_neq(ta, 0);
    cr_assert_eq(cq_review_lock(bc, s_acme, 1, id1, "bob", 60000, &tb, holder,
                                &exp, 5000),
                 CQ_EBUSY);
    cr_assert_str_eq(holder, "alice");
    char msg[CQ_PROTO_MSG_LEN];
    cr_assert_eq(cq_review_release(bc, s_acme, 1, id1, ta, "bob",
                                   CQ_RELEASE_NOT_DUPLICATE, NULL, "[]", msg,
                                   5000),
                 CQ_EBUSY, "%s", msg);

    //  the broker restarts: the queue is rebuilt from its journal (locks
    //  are not kept: alice takes it again)
    cq_bclient_destroy(&bc);
    cr_assert_eq(cq_child_stop(&s_cl.broker, SIGKILL, 5000), 128 + SIGKILL);
    cr_assert_eq(cq_proc_restart_broker(&s_cl), 0);
    bc = cq_bclient_new(s_cl.frontend);
    s_wait_queue(bc, 2, &l);
    cr_assert_eq(l.total, 2);
    cr_assert_str_eq(l.items[0].locked_by, "");
    cq_review_list_free(&l);
    cr_assert_eq(cq_review_lock(bc, s_acme, 1, id1, "alice", 60000, &ta, holder,
                                &exp, 5000),
                 0);
    //  a malformed audit trail is refused, nothing released
    cr_assert_eq(cq_review_release(bc, s_acme, 1, id1, ta, "alice",
                                   CQ_RELEASE_NOT_DUPLICATE, NULL,
                                   "[{\"field\": 3}]", msg, 5000),
                 CQ_EINVAL);
    cr_assert(strstr(msg, "changes") != NULL, "%s", msg);
    //  released with a whole form's changes: more than 4 KiB of audit
    char *whole = s_whole_form_changes();
    cr_assert_gt(strlen(whole), 4096);
    cr_assert_eq(cq_review_release(bc, s_acme, 1, id1, ta, "alice",
                                   CQ_RELEASE_NOT_DUPLICATE, NULL, whole, msg,
                                   5000),
                 0, "%s", msg);
    //  released once: a second release finds nothing
    cr_assert_eq(cq_review_release(bc, s_acme, 1, id1, ta, "alice",
                                   CQ_RELEASE_NOT_DUPLICATE, NULL, "[]", msg,
                                   5000),
                 CQ_ENOTFOUND);

    //  DUP-2: corrected (a line's charge), then confirmed a duplicate by the
    //  way of the corrected claim's own checks
    cq_review_claim_t rc2;
    cr_assert_eq(cq_review_get(bc, s_acme, 1, id2, false, &rc2, 5000), 0);
    cr_assert_eq(cq_review_lock(bc, s_acme, 1, id2, "carol", 60000, &tb, holder,
                                &exp, 5000),
                 0);
    cr_assert_eq(cq_review_release(bc, s_acme, 1, id2, tb, "carol",
                                   CQ_RELEASE_DUPLICATE, NULL, "[]", msg, 5000),
                 0, "%s", msg);
    cq_review_claim_free(&rc2);

    //  the submitter gets the final decisions and ends
    cr_assert_eq(cq_proc_wait_exit(&sub, 120000), 0,
                 "submit --until-final did not end well");
    size_t n = 0;
    char *dec = cq_test_read(out, &n);
    cr_assert_not_null(dec);
    cr_assert_eq(cq_proc_count_lines(out), 3, "%s", dec);
    cr_assert(strstr(dec, "\"decision\": \"pend\"") == NULL, "%s", dec);
    json_t *d1 = NULL, *d2 = NULL;
    for (char *line = strtok(dec, "\n"); line; line = strtok(NULL, "\n")) {
        json_t *j = json_loads(line, 0, NULL);
        cr_assert_not_null(j);
        const char *cid = json_string_value(json_object_get(j, "claim_id"));
        if (strcmp(cid, "DUP-1") == 0)
            d1 = j;
        else if (strcmp(cid, "DUP-2") == 0)
            d2 = j;
        else
            json_decref(j);
    }
    free(dec);
    cr_assert(d1 && d2);
    //  not a duplicate: adjudicated without the suspect check
    cr_assert_str_neq(json_string_value(json_object_get(d1, "decision")),
                      "pend");
    json_t *rev = json_object_get(d1, "review");
    cr_assert_str_eq(json_string_value(json_object_get(rev, "reviewer")),
                     "alice");
    cr_assert_str_eq(json_string_value(json_object_get(rev, "action")),
                     "not-duplicate");
    json_t *chs = json_object_get(rev, "changes");
    cr_assert_eq(json_array_size(chs), 80);
    cr_assert_str_eq(
        json_string_value(json_object_get(json_array_get(chs, 79), "new")),
        "KEYED-00000000000079");
    json_t *sup = json_object_get(d1, "supersedes");
    cr_assert(json_is_object(sup));
    cr_assert(json_integer_value(json_object_get(sup, "ledger_seq")) > 0);
    //  a confirmed duplicate: rejected OA-18
    cr_assert_str_eq(json_string_value(json_object_get(d2, "decision")),
                     "reject");
    json_t *rs = json_array_get(json_object_get(d2, "reasons"), 0);
    cr_assert_str_eq(json_string_value(json_object_get(rs, "carc")), "18");

    //  the ledgers: one pend and one final row for DUP-1, the final one
    //  naming the pend's row and carrying the audit
    s_rows_t rows;
    memset(&rows, 0, sizeof rows);
    for (int i = 0; i < 2; i++) {
        char ledger[1100];
        snprintf(ledger, sizeof ledger, "%s/w%d.ledger", dir, i + 1);
        int64_t nrows = 0;
        cq_diag_t diag = {0};
        cr_assert_eq(cq_ledger_each(ledger, s_row, &rows, &nrows, &diag), 0,
                     "%s", diag.msg);
    }
    cr_assert_eq(rows.pend, 1);
    cr_assert_eq(rows.final, 1);
    cr_assert_eq(rows.last.supersedes_seq, rows.pend_seq);
    cr_assert_str_eq(rows.last.supersedes_node, rows.pend_node);
    cr_assert(strstr(rows.last.review_audit, "\"reviewer\":\"alice\"") != NULL,
              "%s", rows.last.review_audit);
    //  the whole trail, every change as sent
    cr_assert_gt(strlen(rows.last.review_audit), 4096);
    cr_assert(strstr(rows.last.review_audit, whole) != NULL, "%s",
              rows.last.review_audit);
    //  and `claimq ledger query` shows it
    char ledger1[1100];
    snprintf(ledger1, sizeof ledger1, "%s/%s.ledger", dir, rows.last.node);
    st = cq_proc_claimq(&r, 60, "ledger", "query", ledger1, "--claim", "DUP-1",
                        NULL);
    cr_assert_eq(st, 0, "%s", r.err);
    cr_assert(strstr(r.out, "\"supersedes\"") != NULL, "%s", r.out);
    cr_assert(strstr(r.out, "\"reviewer\":\"alice\"") != NULL, "%s", r.out);
    cr_assert(strstr(r.out, "KEYED-00000000000079") != NULL, "%s", r.out);
    cq_run_free(&r);
    //  the journal and the ledgers agree (a superseded pend is no second
    //  decision)
    char l1[1100], l2[1100];
    snprintf(l1, sizeof l1, "%s/w1.ledger", dir);
    snprintf(l2, sizeof l2, "%s/w2.ledger", dir);
    st = cq_proc_claimq(&r, 60, "ledger", "reconcile", "--journal", journal, l1,
                        l2, NULL);
    cr_assert_eq(st, 0, "%s%s", r.out, r.err);
    cq_run_free(&r);

    //  the queue is empty now
    cr_assert_eq(cq_review_list(bc, s_acme, 1, 100, &l, 5000), 0);
    cr_assert_eq(l.total, 0);
    cq_review_list_free(&l);
    sr = s_status_review("b-review-1");
    cr_assert_eq(s_int(sr, "waiting"), 0);
    cr_assert(json_is_null(json_object_get(sr, "oldest_age_s")));
    json_decref(sr);
    free(whole);
    json_decref(d1);
    json_decref(d2);
    json_decref(a);
    cq_bclient_destroy(&bc);
}
