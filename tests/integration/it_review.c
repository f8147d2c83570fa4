//  it_review.c: the review station (claimq review, issue 12) against a real
//  cluster, in a real browser.
//
//  browser_reviews_and_releases: a scanned form whose member id did not
//  come out (blanked on the scan) pends; its submitter waits with `submit
//  --wait --until-final`; `claimq review` serves the queue and
//  tests/browser/review.py drives Debian's chromium (selenium +
//  chromedriver, headless): a wrong password refused, the security headers
//  and cookie flags, sign in, open the oldest claim, a second reviewer sees
//  it taken, POSTs without the CSRF token refused, another tenant's
//  reviewer gets "not found", sign-out ends a session, values that break
//  the field's rules refused by name (nothing released), the unsure field
//  corrected and released with Ctrl+Enter. Then the submitter gets the
//  final decision, and the worker's ledger holds the row that supersedes
//  the pend, naming the reviewer and the change (old -> new). Then a
//  suspect duplicate (a JSON claim repeating an accepted one with other
//  charges) is shown beside the earlier claim and released as "not a
//  duplicate". Screenshots of the pages are kept in the test's directory
//  (printed). The station's log holds no field value.
//
//  tls_and_addresses: a non-loopback --listen without TLS is refused (exit
//  2, saying why); with a certificate the station serves HTTPS (checked
//  against that certificate) and its cookies are Secure; SIGTERM stops it
//  with exit 0.
#include "claim_json.h"
#include "cq_proc.h"
#include "form.h"
#include "money.h"
#include "review_rpc.h"

#include <criterion/criterion.h>
#include <jansson.h>
#include <leptonica/allheaders.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static cq_cluster_t s_cl;
static cq_child_t s_station;
static cq_child_t s_sub[2];

static void
s_fini(void)
{
    if (s_station.pid > 0)
        cq_child_stop(&s_station, SIGKILL, 5000);
    for (int i = 0; i < 2; i++)
        if (s_sub[i].pid > 0)
            cq_child_stop(&s_sub[i], SIGKILL, 5000);
    cq_proc_cleanup();
}

TestSuite(review, .fini = s_fini);

static void
s_need_browser(void)
{
    if (access("/usr/bin/chromium", X_OK) != 0 ||
        access("/usr/bin/chromedriver", X_OK) != 0 ||
        system("/usr/bin/python3 -c 'import selenium' 2>/dev/null") != 0)
        cr_assert_fail("the review station's browser test needs Debian's "
                       "chromium, chromium-driver and python3-selenium "
                       "(deploy/setup.sh installs them)");
}

static int
s_keep(void *arg, cq_claim_t *c)
{
    *(cq_claim_t *)arg = *c;
    return 1;
}

//  Paints the member id's zone white: the scan lost it, so the form pends
//  ("member.id: blank") and a person keys it in.
static void
s_blank_member_id(const char *png, const cq_form_t *f)
{
    PIX *pix = pixRead(png);
    cr_assert_not_null(pix);
    const cq_form_field_t *fd = NULL;
    for (size_t i = 0; i < f->n_fields; i++)
        if (strcmp(f->fields[i].name, "member.id") == 0)
            fd = &f->fields[i];
    cr_assert_not_null(fd);
    double dpi = 300;
    int x0 = (int)((cq_form_x_in(f, fd->col) - 0.15) * dpi);
    int x1 = (int)((cq_form_x_in(f, fd->col + fd->width) + 0.15) * dpi);
    int y0 = (int)((cq_form_y_in(f, fd->row) - 0.1) * dpi);
    int y1 = (int)((cq_form_y_in(f, fd->row) + 1.0 / f->lpi + 0.1) * dpi);
    BOX *b = boxCreate(x0, y0, x1 - x0, y1 - y0);
    pixSetInRectArbitrary(pix, b, 0xffffff00);
    boxDestroy(&b);
    cr_assert_eq(pixWrite(png, pix, IFF_PNG), 0);
    pixDestroy(&pix);
}

static void
s_adduser(const char *dir, const char *accounts, const char *name,
          const char *tenants, const char *password)
{
    char pw[1100];
    snprintf(pw, sizeof pw, "%s/pw", dir);
    char line[128];
    snprintf(line, sizeof line, "%s\n", password);
    cr_assert_eq(cq_test_write(pw, line, strlen(line)), 0);
    const char *argv[] = {
        cq_test_bin("claimq"), "review", "adduser",    name,
        "--tenants",           tenants,  "--accounts", accounts,
        "--password-stdin",    NULL};
    cq_run_t r;
    cr_assert_eq(cq_test_run((char *const *)argv, pw, 60, &r), 0);
    cr_assert_eq(r.status, 0, "adduser %s: %s", name, r.err);
    cq_run_free(&r);
    unlink(pw);
}

//  Starts `claimq review` on the cluster's broker (extra: more arguments,
//  NULL-ended), its log in dir/NAME.log; returns the URL of its READY line.
static const char *
s_start_station(const char *dir, const char *accounts, const char *name,
                const char *const *extra)
{
    const char *argv[24] = {cq_test_bin("claimq"), "review",     "--broker",
                            s_cl.frontend,         "--accounts", accounts};
    int n = 6;
    for (size_t i = 0; extra && extra[i] && n < 22; i++)
        argv[n++] = extra[i];
    argv[n] = NULL;
    char log[1100];
    snprintf(log, sizeof log, "%s/%s.log", dir, name);
    FILE *lf = fopen(log, "w");
    cr_assert_not_null(lf);
    cr_assert_eq(cq_child_spawn(&s_station, (char *const *)argv, fileno(lf)),
                 0);
    fclose(lf);
    cr_assert_eq(cq_child_wait_ready(&s_station, 60000), 0,
                 "claimq review printed no READY line (see %s)", log);
    cr_assert(strncmp(s_station.ready, "READY http", 10) == 0, "%s",
              s_station.ready);
    return s_station.ready + 6;
}

//  Runs tests/browser/review.py with args (NULL-ended); its JSON result.
static json_t *
s_browser(const char *const *args)
{
    const char *argv[32] = {"/usr/bin/python3",
                            cq_test_src("tests/browser/review.py")};
    int n = 2;
    for (size_t i = 0; args[i] && n < 31; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    cq_run_t r;
    cr_assert_eq(cq_test_run((char *const *)argv, NULL, 600, &r), 0);
    cr_assert_eq(r.status, 0, "review.py exited %d:\n%s\n%s", r.status, r.out,
                 r.err);
    json_t *res = json_loads(r.out, 0, NULL);
    cr_assert_not_null(res, "review.py printed: %s", r.out);
    cq_run_free(&r);
    return res;
}

//  Polls the review queue (tenants "*") until it holds n claims (the
//  broker may be busy journaling a batch: a slow answer is asked again).
static void
s_wait_queue(uint64_t n, cq_review_list_t *l)
{
    static const char *const all[] = {"*"};
    cq_bclient_t *bc = cq_bclient_new(s_cl.frontend);
    int rc = -1;
    memset(l, 0, sizeof *l);
    for (int i = 0; i < 1200; i++) { // 120 s
        rc = cq_review_list(bc, all, 1, 10, l, 5000);
        if (rc == 0 && l->total >= n)
            break;
        if (rc == 0)
            cq_review_list_free(l);
        usleep(100 * 1000);
    }
    cq_bclient_destroy(&bc);
    cr_assert_eq(rc, 0, "the broker's review queue: %s", cq_strerror(rc));
    cr_assert_eq(l->total, n, "the review queue holds %llu claims, not %llu",
                 (unsigned long long)l->total, (unsigned long long)n);
}

static void
s_submit(cq_child_t *c, const char *batch, const char *what, const char *out)
{
    char *const argv[] = {(char *)cq_test_bin("claimq"),
                          "submit",
                          "--broker",
                          s_cl.frontend,
                          "--wait",
                          "--until-final",
                          "--output",
                          (char *)out,
                          "--quiet",
                          "--batch",
                          (char *)batch,
                          (char *)what,
                          NULL};
    cr_assert_eq(cq_child_spawn(c, argv, -1), 0);
}

//  The decision of claim_id in a JSON Lines file (owned), or NULL.
static json_t *
s_decision_of(const char *path, const char *claim_id)
{
    char *text = cq_test_read(path, NULL);
    cr_assert_not_null(text, "%s", path);
    json_t *found = NULL;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        json_t *j = json_loads(line, 0, NULL);
        cr_assert_not_null(j, "%s: %s", path, line);
        const char *id = json_string_value(json_object_get(j, "claim_id"));
        if (id != NULL && strcmp(id, claim_id) == 0) {
            json_decref(found);
            found = j; // the last one
        } else {
            json_decref(j);
        }
    }
    free(text);
    return found;
}

//  "changes" of a review object hold field: old -> new.
static bool
s_has_change(json_t *review, const char *field, const char *old,
             const char *new_value)
{
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(review, "changes"), i, v)
    {
        if (strcmp(json_string_value(json_object_get(v, "field")), field) ==
                0 &&
            strcmp(json_string_value(json_object_get(v, "old")), old) == 0 &&
            strcmp(json_string_value(json_object_get(v, "new")), new_value) ==
                0)
            return true;
    }
    return false;
}

//  A JSON claim repeating claim_id's truth (a form of dir) under another
//  id, every charge a dollar more: the engine pends it as a possible
//  duplicate of the accepted original. Written to out.
static void
s_write_duplicate(const char *dir, const char *claim_id, const char *out)
{
    json_t *orig = NULL;
    for (int k = 1; k <= 2 && orig == NULL; k++) {
        char p[1100];
        snprintf(p, sizeof p, "%s/forms/.truth/form-%06d.json", dir, k);
        json_t *j = json_load_file(p, 0, NULL);
        cr_assert_not_null(j, "%s", p);
        if (strcmp(json_string_value(json_object_get(j, "claim_id")),
                   claim_id) == 0)
            orig = j;
        else
            json_decref(j);
    }
    cr_assert_not_null(orig);
    char id[64];
    snprintf(id, sizeof id, "%s-AGAIN", claim_id);
    json_object_set_new(orig, "claim_id", json_string(id));
    int64_t total = 0;
    size_t i;
    json_t *line;
    json_array_foreach(json_object_get(orig, "lines"), i, line)
    {
        const char *s = json_string_value(json_object_get(line, "charge"));
        int64_t cents;
        cr_assert_eq(cq_money_parse(s, strlen(s), &cents), 0);
        cents += 100;
        total += cents;
        char m[32];
        snprintf(m, sizeof m, "%lld.%02lld", (long long)(cents / 100),
                 (long long)(cents % 100));
        json_object_set_new(line, "charge", json_string(m));
    }
    char m[32];
    snprintf(m, sizeof m, "%lld.%02lld", (long long)(total / 100),
             (long long)(total % 100));
    json_object_set_new(orig, "total_charge", json_string(m));
    cr_assert_eq(json_dump_file(orig, out, JSON_COMPACT), 0);
    json_decref(orig);
}

Test(review, browser_reviews_and_releases, .timeout = 900)
{
    s_need_browser();
    const char *tmp = cq_test_tmpdir();
    cr_assert_not_null(tmp);
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", tmp);
    cq_run_t r;
    int st = cq_proc_claimq(&r, 120, "gen", "--out", dir, "--claims", "10",
                            "--members", "20", "--paper", "2", NULL);
    cr_assert_eq(st, 0, "%s", r.err);
    cq_run_free(&r);

    //  the first form loses its member id on the scan
    cq_form_t *form = NULL;
    cq_diag_t d = {0};
    cr_assert_eq(
        cq_form_load(cq_test_src("schemas/forms/cms1500.json"), &form, &d), 0,
        "%s", d.msg);
    char png[1100], truthf[1100];
    snprintf(png, sizeof png, "%s/forms/form-000001.png", dir);
    snprintf(truthf, sizeof truthf, "%s/forms/.truth/form-000001.json", dir);
    s_blank_member_id(png, form);
    size_t tl = 0;
    char *tj = cq_test_read(truthf, &tl);
    cr_assert_not_null(tj);
    cq_claim_t truth;
    cq_claim_json_parse(tj, tl, s_keep, &truth, NULL);
    free(tj);
    //  every field's value as the reader reports it, for the "person"
    json_t *tv = json_object();
    for (size_t i = 0; i < form->n_fields; i++) {
        char v[256];
        cq_form_field_value(&form->fields[i], &truth, v, sizeof v);
        json_object_set_new(tv, form->fields[i].name, json_string(v));
    }
    char tvf[1100];
    snprintf(tvf, sizeof tvf, "%s/truth-values.json", dir);
    cr_assert_eq(json_dump_file(tv, tvf, 0), 0);
    json_decref(tv);
    cq_form_destroy(&form);

    char journal[1100];
    snprintf(journal, sizeof journal, "%s/journal", dir);
    const char *const extra[] = {"--journal", journal, NULL};
    cr_assert_eq(cq_proc_cluster(&s_cl, dir, 1, 200, extra), 0);

    char forms[1100], out[1100];
    snprintf(forms, sizeof forms, "%s/forms", dir);
    snprintf(out, sizeof out, "%s/final.jsonl", dir);
    s_submit(&s_sub[0], "b-paper-review", forms, out);

    //  the pend reaches the review queue; the submitter waits on
    cq_review_list_t l = {0};
    s_wait_queue(1, &l);
    cr_assert_str_eq(l.items[0].claim_id, truth.claim_id);
    cr_assert_eq(l.items[0].kind, CQ_REVIEW_OCR);
    cr_assert(strstr(l.items[0].reason, "member.id") != NULL, "%s",
              l.items[0].reason);
    cq_review_list_free(&l);
    cr_assert_not(cq_child_exited(&s_sub[0]),
                  "submit --until-final ended before the review");

    char accounts[1100];
    snprintf(accounts, sizeof accounts, "%s/reviewers", dir);
    s_adduser(dir, accounts, "alice", "ACME", "alice-secret-1");
    s_adduser(dir, accounts, "carol", "ACME,BETA", "carol-secret-2");
    s_adduser(dir, accounts, "bob", "OTHER", "bob-secret-3");
    struct stat sb;
    cr_assert_eq(stat(accounts, &sb), 0);
    cr_assert_eq(sb.st_mode & 0777, 0600, "accounts file mode %o",
                 sb.st_mode & 0777);
    const char *url = s_start_station(dir, accounts, "review", NULL);
    cr_assert(strncmp(url, "http://127.0.0.1:", 17) == 0, "%s", url);

    char shots[1100];
    snprintf(shots, sizeof shots, "%s/screenshots", dir);
    cr_assert_eq(mkdir(shots, 0700), 0);
    const char *const ocr_args[] = {"--url",      url,
                                    "--out",      shots,
                                    "--mode",     "ocr",
                                    "--truth",    tvf,
                                    "--user",     "alice",
                                    "--password", "alice-secret-1",
                                    "--second",   "carol:carol-secret-2",
                                    "--outsider", "bob:bob-secret-3",
                                    NULL};
    json_t *res = s_browser(ocr_args);
    cr_assert_str_eq(json_string_value(json_object_get(res, "claim_id")),
                     truth.claim_id);
    bool member = false;
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(res, "changed"), i, v)
    {
        member |= strcmp(json_string_value(v), "member.id") == 0;
    }
    cr_assert(member, "member.id was not corrected");
    json_decref(res);

    //  the submitter gets the final decision, which supersedes the pend
    cr_assert_eq(cq_proc_wait_exit(&s_sub[0], 180000), 0,
                 "submit --until-final did not end well");
    json_t *fin = s_decision_of(out, truth.claim_id);
    cr_assert_not_null(fin, "no final decision for %s", truth.claim_id);
    cr_assert_str_neq(json_string_value(json_object_get(fin, "decision")),
                      "pend");
    cr_assert_str_eq(json_string_value(json_object_get(fin, "source")), "ocr");
    json_t *rev = json_object_get(fin, "review");
    cr_assert_str_eq(json_string_value(json_object_get(rev, "reviewer")),
                     "alice");
    cr_assert_str_eq(json_string_value(json_object_get(rev, "action")),
                     "corrected");
    cr_assert(s_has_change(rev, "member.id", "", truth.member.id),
              "no member.id change (\"\" -> the member id) in the trail");
    json_decref(fin);

    //  the ledger: the pend's row, and the row that supersedes it naming
    //  the reviewer and the change
    char ledger[1100], lout[1100];
    snprintf(ledger, sizeof ledger, "%s/w1.ledger", dir);
    snprintf(lout, sizeof lout, "%s/ledger-query.jsonl", dir);
    st = cq_proc_claimq(&r, 60, "ledger", "query", ledger, "--claim",
                        truth.claim_id, NULL);
    cr_assert_eq(st, 0, "%s", r.err);
    cr_assert_eq(cq_test_write(lout, r.out, r.out_len), 0);
    cq_run_free(&r);
    json_t *pend = NULL, *final = NULL;
    char *lq = cq_test_read(lout, NULL);
    for (char *line = strtok(lq, "\n"); line; line = strtok(NULL, "\n")) {
        json_t *j = json_loads(line, 0, NULL);
        cr_assert_not_null(j, "%s", line);
        if (strcmp(json_string_value(json_object_get(j, "decision")), "pend") ==
                0 &&
            pend == NULL)
            pend = j;
        else if (json_object_get(j, "supersedes") != NULL && final == NULL)
            final = j;
        else
            json_decref(j);
    }
    free(lq);
    cr_assert_not_null(pend, "no pend row in the ledger");
    cr_assert_not_null(final, "no row superseding the pend in the ledger");
    json_t *sup = json_object_get(final, "supersedes");
    cr_assert_str_eq(json_string_value(json_object_get(sup, "node")),
                     json_string_value(json_object_get(pend, "node")));
    cr_assert_eq(json_integer_value(json_object_get(sup, "ledger_seq")),
                 json_integer_value(json_object_get(pend, "ledger_seq")));
    rev = json_object_get(final, "review");
    cr_assert_str_eq(json_string_value(json_object_get(rev, "reviewer")),
                     "alice");
    cr_assert(s_has_change(rev, "member.id", "", truth.member.id),
              "the ledger's trail lacks member.id \"\" -> the member id");
    json_decref(pend);
    json_decref(final);
    st = cq_proc_claimq(&r, 60, "ledger", "verify", ledger, NULL);
    cr_assert_eq(st, 0, "%s%s", r.out, r.err);
    cq_run_free(&r);

    //  a suspect duplicate: the other form's claim again, as JSON, each
    //  charge a dollar more; not a scanned form, so no image
    char other_id[CQ_ID_LEN];
    snprintf(other_id, sizeof other_id, "PCN-0000002");
    json_t *od = s_decision_of(out, other_id);
    cr_assert_not_null(od);
    cr_assert_str_eq(json_string_value(json_object_get(od, "decision")),
                     "accept", "the original of the duplicate is not accepted");
    json_decref(od);
    char dup[1100], out2[1100];
    snprintf(dup, sizeof dup, "%s/again.json", dir);
    snprintf(out2, sizeof out2, "%s/final-dup.jsonl", dir);
    s_write_duplicate(dir, other_id, dup);
    s_submit(&s_sub[1], "b-again", dup, out2);
    s_wait_queue(1, &l);
    cr_assert_eq(l.items[0].kind, CQ_REVIEW_DUPLICATE, "kind %d: %s",
                 l.items[0].kind, l.items[0].reason);
    cq_review_list_free(&l);
    const char *const dup_args[] = {
        "--url",     url,      "--out", shots,        "--mode",
        "duplicate", "--user", "carol", "--password", "carol-secret-2",
        NULL};
    res = s_browser(dup_args);
    char dup_id[CQ_ID_LEN + 8];
    snprintf(dup_id, sizeof dup_id, "%s-AGAIN", other_id);
    cr_assert_str_eq(json_string_value(json_object_get(res, "claim_id")),
                     dup_id);
    json_decref(res);
    cr_assert_eq(cq_proc_wait_exit(&s_sub[1], 180000), 0,
                 "submit --until-final of the duplicate did not end well");
    fin = s_decision_of(out2, dup_id);
    cr_assert_not_null(fin);
    cr_assert_str_neq(json_string_value(json_object_get(fin, "decision")),
                      "pend");
    rev = json_object_get(fin, "review");
    cr_assert_str_eq(json_string_value(json_object_get(rev, "reviewer")),
                     "carol");
    cr_assert_str_eq(json_string_value(json_object_get(rev, "action")),
                     "not-duplicate");
    cr_assert_not_null(json_object_get(fin, "supersedes"));
    json_decref(fin);

    fprintf(stderr,
            "it_review: screenshots: %s/queue.png, %s/claim.png, "
            "%s/claim-taken.png, %s/signin-refused.png, "
            "%s/after-release.png, %s/duplicate.png\n",
            shots, shots, shots, shots, shots, shots);
    static const char *const shot_names[] = {
        "queue.png",          "claim.png",         "claim-taken.png",
        "signin-refused.png", "after-release.png", "duplicate.png"};
    for (size_t k = 0; k < sizeof shot_names / sizeof shot_names[0]; k++) {
        char p[1200];
        snprintf(p, sizeof p, "%s/%s", shots, shot_names[k]);
        cr_assert_eq(stat(p, &sb), 0, "no screenshot %s", p);
        cr_assert_gt(sb.st_size, 1000);
    }

    //  stopped cleanly; its log names no field value
    cr_assert_eq(cq_child_stop(&s_station, SIGTERM, 10000), 0);
    char log[1100];
    snprintf(log, sizeof log, "%s/review.log", dir);
    char *lg = cq_test_read(log, NULL);
    cr_assert_not_null(lg);
    cr_assert(strstr(lg, "released by alice") != NULL, "%s", lg);
    cr_assert(strstr(lg, truth.member.id) == NULL,
              "the member id is in the station's log");
    cr_assert(strstr(lg, truth.member.last_name) == NULL,
              "a name is in the station's log");
    cr_assert(strstr(lg, "member.id") == NULL,
              "a field name is in the station's log");
    free(lg);
}

Test(review, tls_and_addresses, .timeout = 300)
{
    const char *tmp = cq_test_tmpdir();
    cr_assert_not_null(tmp);
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", tmp);
    char accounts[1100];
    snprintf(accounts, sizeof accounts, "%s/reviewers", dir);
    s_adduser(dir, accounts, "alice", "*", "alice-secret-1");

    //  patient data does not leave the machine unencrypted
    cq_run_t r;
    int st = cq_proc_claimq(&r, 30, "review", "--listen", "0.0.0.0:0",
                            "--accounts", accounts, NULL);
    cr_assert_eq(st, 2, "exit %d: %s", st, r.err);
    cr_assert(strstr(r.err, "--tls-cert") != NULL, "%s", r.err);
    cr_assert_eq(r.out_len, 0);
    cq_run_free(&r);

    cr_assert_eq(access("/usr/bin/openssl", X_OK), 0,
                 "the TLS test makes its certificate with /usr/bin/openssl "
                 "(Debian's openssl)");
    char cert[1100], key[1100], cmd[4000];
    snprintf(cert, sizeof cert, "%s/cert.pem", dir);
    snprintf(key, sizeof key, "%s/key.pem", dir);
    snprintf(cmd, sizeof cmd,
             "/usr/bin/openssl req -x509 -newkey ec -pkeyopt "
             "ec_paramgen_curve:prime256v1 -nodes -days 2 -subj "
             "/CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -keyout "
             "'%s' -out '%s' 2>/dev/null",
             key, cert);
    cr_assert_eq(system(cmd), 0, "openssl could not make a certificate");

    cr_assert_eq(cq_proc_gen(dir, 1, 1), 0);
    cr_assert_eq(cq_proc_cluster(&s_cl, dir, 1, 200, NULL), 0);
    const char *const tls[] = {"--tls-cert", cert, "--tls-key", key, NULL};
    const char *url = s_start_station(dir, accounts, "review-tls", tls);
    cr_assert(strncmp(url, "https://127.0.0.1:", 18) == 0, "%s", url);
    //  the sign-in page over TLS, the certificate checked; Secure cookies
    char py[1100];
    snprintf(py, sizeof py, "%s/tls.py", dir);
    const char *script =
        "import ssl, sys, urllib.request\n"
        "ctx = ssl.create_default_context(cafile=sys.argv[2])\n"
        "r = urllib.request.urlopen(sys.argv[1] + 'login', context=ctx, "
        "timeout=30)\n"
        "c = r.headers.get('Set-Cookie') or ''\n"
        "assert r.status == 200, r.status\n"
        "assert 'Secure' in c and 'HttpOnly' in c, c\n"
        "assert r.headers.get('Cache-Control') == 'no-store'\n"
        "assert 'max-age' in (r.headers.get('Strict-Transport-Security') or "
        "'')\n"
        "print('ok')\n";
    cr_assert_eq(cq_test_write(py, script, strlen(script)), 0);
    const char *argv[] = {"/usr/bin/python3", py, url, cert, NULL};
    cr_assert_eq(cq_test_run((char *const *)argv, NULL, 60, &r), 0);
    cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
    cr_assert_str_eq(r.out, "ok\n");
    cq_run_free(&r);
    cr_assert_eq(cq_child_stop(&s_station, SIGTERM, 10000), 0,
                 "SIGTERM: the station did not stop with exit 0");
}
