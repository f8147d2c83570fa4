//  it_curve.c: CurveZMQ on every socket (issue 13). A broker with a secret
//  key and allow-lists of client, worker and admin keys; a worker and
//  clients with theirs. Every refusal is checked against the real
//  processes: an unknown key, a worker with a client's key, a client with
//  a worker's key, a wrong broker key, a plain client, a client key on an
//  admin verb, payer B reading (or writing into) payer A's batch, and a key
//  revoked by SIGHUP. The refusals are counted by the broker.
#include "cq_proc.h"

#include <criterion/criterion.h>
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

TestSuite(curve, .fini = s_fini);

static char s_dir[1024];

//  dir/rel, valid until the test ends (a few dozen per test)
static const char *
s_path(const char *rel)
{
    static char buf[64][1200];
    static int k;
    cr_assert_lt(k, 64);
    snprintf(buf[k], sizeof buf[k], "%s/%s", s_dir, rel);
    return buf[k++];
}

static void
s_keygen(const char *name, const char *sub, const char *payers)
{
    cq_run_t r;
    int st = payers ? cq_proc_claimq(&r, 30, "keygen", name, "--dir",
                                     s_path(sub), "--payers", payers, NULL)
                    : cq_proc_claimq(&r, 30, "keygen", name, "--dir",
                                     s_path(sub), NULL);
    cr_assert_eq(st, 0, "keygen %s: %s", name, r.err);
    cq_run_free(&r);
}

//  `claimq ARGS...` with a key pair; returns the exit status, r filled.
#define S_AS(r, key, bkey, ...)                                                \
    cq_proc_claimq(r, 60, __VA_ARGS__, "--curve-key", key, "--broker-key",     \
                   bkey, NULL)

static void
s_expect(cq_run_t *r, int st, int want, const char *needle, const char *what)
{
    cr_assert_eq(st, want, "%s: exit %d, want %d; stderr: %s", what, st, want,
                 r->err);
    if (needle)
        cr_assert(r->err && strstr(r->err, needle), "%s: stderr lacks '%s': %s",
                  what, needle, r->err);
    cq_run_free(r);
}

Test(curve, keys_roles_tenants_and_revocation, .timeout = 300)
{
    const char *tmp = cq_test_tmpdir();
    cr_assert_not_null(tmp);
    snprintf(s_dir, sizeof s_dir, "%s", tmp);
    cr_assert_eq(cq_proc_gen(s_dir, 60, 30), 0);
    const char *subs[] = {"keys", "clients", "workers", "admins"};
    for (int i = 0; i < 4; i++)
        cr_assert_eq(mkdir(s_path(subs[i]), 0700), 0);
    s_keygen("broker", "keys", NULL);
    s_keygen("stranger", "keys", "ACME");
    s_keygen("w", "workers", NULL);
    s_keygen("acme", "clients", "ACME");
    s_keygen("beta", "clients", "BETA");
    s_keygen("root", "admins", NULL);

    //  the secret key is 0600, and never overwritten
    struct stat st_key;
    cr_assert_eq(stat(s_path("keys/broker.key"), &st_key), 0);
    cr_assert_eq(st_key.st_mode & 0777, 0600, "mode %o", st_key.st_mode & 0777);
    cq_run_t r;
    int st = cq_proc_claimq(&r, 30, "keygen", "broker", "--dir", s_path("keys"),
                            NULL);
    s_expect(&r, st, 1, "not overwritten", "keygen over an existing key");

    //  the cluster: workers take their keys from the environment
    const char *bkey = s_path("keys/broker.pub");
    setenv("CLAIMQ_CURVE_KEY", s_path("workers/w.key"), 1);
    setenv("CLAIMQ_BROKER_KEY", bkey, 1);
    const char *const extra[] = {"--curve-key", s_path("keys/broker.key"),
                                 "--clients",   s_path("clients"),
                                 "--workers",   s_path("workers"),
                                 "--admins",    s_path("admins"),
                                 NULL};
    cr_assert_eq(cq_proc_cluster(&s_cl, s_dir, 1, 200, extra), 0);
    const char *fe = s_cl.frontend;
    //  from here on, this process's `claimq` runs are the admin's
    setenv("CLAIMQ_CURVE_KEY", s_path("admins/root.key"), 1);

    //  payer ACME's client submits its claims and gets every decision
    const char *acme = s_path("clients/acme.key");
    const char *beta = s_path("clients/beta.key");
    char out[1200];
    snprintf(out, sizeof out, "%s/acme.jsonl", s_dir);
    st = S_AS(&r, acme, bkey, "submit", "--broker", fe, "--batch", "b-acme",
              "--wait", "--out", out, s_path("claims.jsonl"));
    s_expect(&r, st, 0, NULL, "submit with a client key");
    cr_assert_eq(cq_proc_count_lines(out), 60);

    //  payer BETA's client: ACME's batch is not found, as if absent
    st = S_AS(&r, beta, bkey, "status", "--broker", fe, "b-acme");
    s_expect(&r, st, 1, NULL, "status of another payer's batch");
    st = S_AS(&r, beta, bkey, "status", "--broker", fe, "b-none");
    s_expect(&r, st, 1, NULL, "status of an absent batch");
    st = S_AS(&r, beta, bkey, "results", "--broker", fe, "b-acme");
    s_expect(&r, st, 1, NULL, "results of another payer's batch");
    st = S_AS(&r, beta, bkey, "batches", "--broker", fe, "--json");
    cr_assert_eq(st, 0, "%s", r.err);
    cr_assert_null(strstr(r.out ? r.out : "", "b-acme"), "%s", r.out);
    cq_run_free(&r);
    st = S_AS(&r, acme, bkey, "batches", "--broker", fe, "--json");
    cr_assert_eq(st, 0, "%s", r.err);
    cr_assert_not_null(strstr(r.out ? r.out : "", "b-acme"), "%s", r.out);
    cq_run_free(&r);
    //  ... may not add to it, nor submit ACME's claims in a batch of its own
    st = S_AS(&r, beta, bkey, "submit", "--broker", fe, "--batch", "b-acme",
              s_path("claims.jsonl"));
    cr_assert_neq(st, 0, "beta added to acme's batch: %s", r.out);
    cq_run_free(&r);
    snprintf(out, sizeof out, "%s/beta.jsonl", s_dir);
    st =
        S_AS(&r, beta, bkey, "submit", "--broker", fe, "--batch", "b-beta",
             "--wait", "--timeout", "60", "--out", out, s_path("claims.jsonl"));
    cq_run_free(&r);
    cr_assert_eq(cq_proc_status_field(fe, "b-beta", "claims"), 0,
                 "another payer's claims were admitted");
    cr_assert_eq(cq_proc_count_lines(out), 0);

    //  keys the broker does not know, or knows in another role
    const char *stranger = s_path("keys/stranger.key");
    st = S_AS(&r, stranger, bkey, "status", "--broker", fe, "b-acme");
    s_expect(&r, st, 3, "refused this key", "an unknown key");
    st = S_AS(&r, s_path("workers/w.key"), bkey, "status", "--broker", fe,
              "b-acme");
    s_expect(&r, st, 3, "refused this key", "a worker's key as a client");
    st = S_AS(&r, acme, s_path("keys/stranger.pub"), "status", "--broker", fe,
              "b-acme");
    s_expect(&r, st, 3, "broker's public key", "a wrong broker key");
    st = S_AS(&r, acme, bkey, "workers", "--broker", fe);
    s_expect(&r, st, 3, "needs an admin key", "a client key on an admin verb");
    {
        char *argv[] = {(char *)cq_test_bin("claimq"),
                        "status",
                        "--broker",
                        (char *)fe,
                        "b-acme",
                        NULL};
        unsetenv("CLAIMQ_CURVE_KEY");
        unsetenv("CLAIMQ_BROKER_KEY");
        cr_assert_eq(cq_test_run(argv, NULL, 60, &r), 0);
        st = r.status;
        s_expect(&r, st, 3, "requires CURVE", "a plain client");
        setenv("CLAIMQ_CURVE_KEY", s_path("admins/root.key"), 1);
        setenv("CLAIMQ_BROKER_KEY", bkey, 1);
    }
    {
        //  a worker with a client's key never registers: it exits 3
        char *argv[] = {(char *)cq_test_bin("claimq-worker"),
                        "--broker",
                        s_cl.backend,
                        "--node-id",
                        "intruder",
                        "--ledger",
                        (char *)s_path("intruder.db"),
                        "--plan",
                        (char *)s_path("plan.json"),
                        "--members",
                        (char *)s_path("members.jsonl"),
                        "--curve-key",
                        (char *)acme,
                        "--broker-key",
                        (char *)bkey,
                        NULL};
        cr_assert_eq(cq_test_run(argv, NULL, 60, &r), 0);
        st = r.status;
        s_expect(&r, st, 3, "refused this key", "a worker with a client key");
    }
    //  the admin sees every batch, and the counts of what was refused
    st = S_AS(&r, s_path("admins/root.key"), bkey, "status", "--broker", fe,
              "b-acme");
    s_expect(&r, st, 0, NULL, "status as the admin");
    cr_assert_geq(cq_proc_counter(fe, "auth_refused"), 3);
    cr_assert_geq(cq_proc_counter(fe, "auth_denied"), 4);
    cr_assert_eq(cq_proc_worker_field(fe, "intruder", "credit"), -1);

    //  revocation: beta's key leaves the allow-list; SIGHUP; refused
    st = S_AS(&r, beta, bkey, "status", "--broker", fe, "b-beta");
    s_expect(&r, st, 0, NULL, "beta before revocation");
    cr_assert_eq(unlink(s_path("clients/beta.pub")), 0);
    long long reloads = cq_proc_counter(fe, "auth_reloads");
    cr_assert_eq(kill(s_cl.broker.pid, SIGHUP), 0);
    for (int i = 0; i < 600 && cq_proc_counter(fe, "auth_reloads") <= reloads;
         i++)
        usleep(100 * 1000);
    cr_assert_gt(cq_proc_counter(fe, "auth_reloads"), reloads);
    st = S_AS(&r, beta, bkey, "status", "--broker", fe, "b-beta");
    s_expect(&r, st, 3, "refused this key", "a revoked key");
    //  acme is untouched
    st = S_AS(&r, acme, bkey, "status", "--broker", fe, "b-acme");
    s_expect(&r, st, 0, NULL, "acme after beta's revocation");
    cr_assert_eq(cq_cluster_stop(&s_cl), 0);
}

Test(curve, broker_refuses_half_a_configuration)
{
    cq_run_t r;
    char *argv[] = {(char *)cq_test_bin("claimq-broker"),
                    "--frontend",
                    "tcp://127.0.0.1:*",
                    "--backend",
                    "tcp://127.0.0.1:*",
                    "--clients",
                    "/nonexistent",
                    NULL};
    cr_assert_eq(cq_test_run(argv, NULL, 30, &r), 0);
    int st = r.status;
    s_expect(&r, st, 2, "need --curve-key", "allow-lists without a key");
    char *argv2[] = {(char *)cq_test_bin("claimq-broker"),
                     "--frontend",
                     "tcp://127.0.0.1:*",
                     "--backend",
                     "tcp://127.0.0.1:*",
                     "--curve-key",
                     "/nonexistent.key",
                     NULL};
    cr_assert_eq(cq_test_run(argv2, NULL, 30, &r), 0);
    st = r.status;
    s_expect(&r, st, 2, "--clients DIR and --workers DIR",
             "a key without allow-lists");
}

Test(curve, client_keys_must_be_whole_and_private)
{
    const char *tmp = cq_test_tmpdir();
    cr_assert_not_null(tmp);
    char key[1100], pub[1100];
    snprintf(key, sizeof key, "%s/c.key", tmp);
    snprintf(pub, sizeof pub, "%s/c.pub", tmp);
    cq_run_t r;
    mode_t old = umask(0); // the secret key is 0600 whatever the umask
    int st = cq_proc_claimq(&r, 30, "keygen", "c", "--dir", tmp, NULL);
    umask(old);
    s_expect(&r, st, 0, NULL, "keygen");
    struct stat sk;
    cr_assert_eq(stat(key, &sk), 0);
    cr_assert_eq(sk.st_mode & 0777, 0600, "umask 0: key mode %o",
                 sk.st_mode & 0777);
    //  only one of the pair
    st = cq_proc_claimq(&r, 30, "status", "--broker", "tcp://127.0.0.1:*",
                        "--curve-key", key, "b", NULL);
    s_expect(&r, st, 2, "needs both", "a key without the broker's");
    //  a secret key others can read
    cr_assert_eq(chmod(key, 0644), 0);
    st = cq_proc_claimq(&r, 30, "status", "--broker", "tcp://127.0.0.1:*",
                        "--curve-key", key, "--broker-key", pub, "b", NULL);
    s_expect(&r, st, 2, "chmod 600", "a world-readable secret key");
    //  a public key where the secret one belongs, garbage as a key
    cr_assert_eq(chmod(key, 0600), 0);
    st = cq_proc_claimq(&r, 30, "status", "--broker", "tcp://127.0.0.1:*",
                        "--curve-key", pub, "--broker-key", pub, "b", NULL);
    cr_assert_eq(st, 2, "%s", r.err);
    cq_run_free(&r);
    char junk[1100];
    snprintf(junk, sizeof junk, "%s/junk.pub", tmp);
    cr_assert_eq(cq_test_write(junk, "curve\n  public-key = \"x\"\n", 26), 0);
    st = cq_proc_claimq(&r, 30, "status", "--broker", "tcp://127.0.0.1:*",
                        "--curve-key", key, "--broker-key", junk, "b", NULL);
    cr_assert_eq(st, 2, "%s", r.err);
    cq_run_free(&r);
}
