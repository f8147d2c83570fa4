//  it_k8s.c: the Kubernetes manifests of deploy/k8s (issue 14). The
//  kustomization renders (`kubectl kustomize`, offline), and
//  tests/integration/k8s/check.py checks what a cluster's validation would
//  and what it could not: names and selectors hold together, every mount
//  has its volume, probes hit a named port, workers run with
//  OMP_THREAD_LIMIT=1 and a preStop hook, no fsGroup loosens the secret
//  keys, and each daemon accepts its arguments and its configuration file
//  (run with --print-config). `kubectl apply --dry-run=client` is not run:
//  every kubectl asks a cluster's API server for its resource list first.
#include "cq_test.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *
s_kubectl(void)
{
    static const char *const paths[] = {"/usr/bin/kubectl",
                                        "/usr/local/bin/kubectl"};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
        if (access(paths[i], X_OK) == 0)
            return paths[i];
    return NULL;
}

Test(k8s, manifests_render_and_hold_together, .timeout = 120)
{
    char k8s[4096], bin[4096], script[4096], rendered[4096];
    snprintf(k8s, sizeof k8s, "%s", cq_test_src("deploy/k8s"));
    snprintf(script, sizeof script, "%s",
             cq_test_src("tests/integration/k8s/check.py"));
    const char *b = getenv("CQ_BINARY_DIR");
    snprintf(bin, sizeof bin, "%s", b ? b : ".");
    const char *tmp = cq_test_tmpdir();
    cr_assert_not_null(tmp);
    snprintf(rendered, sizeof rendered, "%s/k8s.yaml", tmp);
    const char *kubectl = s_kubectl();
    cq_run_t r;
    if (kubectl != NULL) {
        char *argv[] = {(char *)kubectl, "kustomize", k8s, NULL};
        cr_assert_eq(cq_test_run(argv, NULL, 60, &r), 0);
        cr_assert_eq(r.status, 0, "kubectl kustomize: %s", r.err);
        cr_assert_eq(cq_test_write(rendered, r.out, r.out_len), 0);
        cr_assert(strstr(r.out, "kind: StatefulSet"), "%s", r.out);
        cq_run_free(&r);
    } else {
        cr_log_warn("kubectl absent (Debian package kubernetes-client): the "
                    "kustomization is read as files, not rendered");
        snprintf(rendered, sizeof rendered, "--files");
    }
    char *argv[] = {"/usr/bin/python3", script, rendered, bin, k8s, NULL};
    cr_assert_eq(cq_test_run(argv, NULL, 90, &r), 0);
    cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
    cq_run_free(&r);

    //  the checker finds what it is for: a worker without the OCR limit
    if (kubectl != NULL) {
        size_t n;
        char *text = cq_test_read(rendered, &n);
        cr_assert_not_null(text);
        char *at = strstr(text, "value: \"1\"");
        cr_assert_not_null(at, "no OMP_THREAD_LIMIT value in %s", text);
        at[8] = '4';
        cr_assert_eq(cq_test_write(rendered, text, n), 0);
        free(text);
        cr_assert_eq(cq_test_run(argv, NULL, 90, &r), 0);
        cr_assert_eq(r.status, 1, "%s%s", r.out, r.err);
        cr_assert(strstr(r.out, "OMP_THREAD_LIMIT is not 1"), "%s", r.out);
        cq_run_free(&r);
    }
}
