//  it_package.c: the Debian package (issue 14). `cpack -G DEB` builds it,
//  lintian finds no error in it, and unpacked with `dpkg-deb -x` into a
//  scratch root it runs on its own: with the source tree (and the build
//  directory in it) hidden under an empty tmpfs in a private mount
//  namespace, the unpacked `claimq` prints its version, generates a
//  scanned form and reads it back (the form template found in the
//  package), and `claimq up` + `claimq submit --wait` decide a batch.
#include "cq_proc.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *s_script __attribute__((unused)) =
    "set -eu\n"
    "mount -t tmpfs tmpfs \"$SRC\"\n"
    "test ! -e \"$SRC/CMakeLists.txt\"\n"
    "B=\"$ROOT/usr/bin\"\n"
    "\"$B/claimq\" --version\n"
    "\"$B/claimq\" gen --out \"$D\" --claims 30 --paper 1 >/dev/null\n"
    "\"$B/claimq\" ocr \"$D/forms/form-000001.png\" > \"$D/ocr.jsonl\"\n"
    "\"$B/claimq\" up --workers 1 --plan \"$D/plan.json\" --members "
    "\"$D/members.jsonl\" --dir \"$D/run\" > \"$D/up.out\" 2> \"$D/up.log\" &\n"
    "UP=$!\n"
    "i=0\n"
    "while ! grep -q READY \"$D/up.out\"; do\n"
    "  i=$((i+1)); [ $i -lt 1200 ] || { cat \"$D/up.log\"; exit 7; }\n"
    "  kill -0 $UP || { cat \"$D/up.log\"; exit 8; }\n"
    "  sleep 0.1\n"
    "done\n"
    "FE=$(sed -n 's/.*frontend=\\([^ ]*\\).*/\\1/p' \"$D/up.out\")\n"
    "\"$B/claimq\" submit --broker \"$FE\" --wait \"$D/claims.jsonl\" > "
    "\"$D/decisions.jsonl\"\n"
    "kill -TERM $UP\n"
    "wait $UP\n";

#if defined(__SANITIZE_ADDRESS__)
#define S_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define S_SANITIZED 1
#endif
#endif

Test(package, deb_lints_clean_and_runs_unpacked_without_the_tree,
     .timeout = 600)
{
#ifdef S_SANITIZED
    //  (a package of sanitizer builds is nothing anyone ships; the gcc
    //  pass of the test command builds and checks the real one)
    cr_skip_test("sanitizer build: the package is checked in the plain build");
#else
    const char *bin = getenv("CQ_BINARY_DIR");
    const char *src = getenv("CQ_SOURCE_DIR");
    cr_assert(bin && src, "CQ_BINARY_DIR / CQ_SOURCE_DIR unset");
    const char *cmake = getenv("CQ_CMAKE");
    char cpack[1100];
    snprintf(cpack, sizeof cpack, "%s", cmake ? cmake : "/usr/bin/cmake");
    char *slash = strrchr(cpack, '/');
    cr_assert_not_null(slash);
    snprintf(slash + 1, sizeof cpack - (size_t)(slash + 1 - cpack), "cpack");
    char tmp[1024], pkgdir[1100], cfg[1100], deb[1200], root[1100], d[1100];
    const char *t = cq_test_tmpdir();
    cr_assert_not_null(t);
    snprintf(tmp, sizeof tmp, "%s", t);
    snprintf(pkgdir, sizeof pkgdir, "%s/pkg", tmp);
    snprintf(cfg, sizeof cfg, "%s/CPackConfig.cmake", bin);
    snprintf(root, sizeof root, "%s/root", tmp);
    snprintf(d, sizeof d, "%s/data", tmp);

    cq_run_t r;
    char *pack[] = {cpack, "-G", "DEB", "--config", cfg, "-B", pkgdir, NULL};
    cr_assert_eq(cq_test_run(pack, NULL, 300, &r), 0);
    cr_assert_eq(r.status, 0, "cpack: %s %s", r.out, r.err);
    cq_run_free(&r);
    snprintf(deb, sizeof deb, "%s/claimq_0.1.0_amd64.deb", pkgdir);
    cr_assert_eq(access(deb, R_OK), 0, "no %s", deb);

    if (access("/usr/bin/lintian", X_OK) == 0) {
        char *lint[] = {"/usr/bin/lintian", "--tag-display-limit", "0", deb,
                        NULL};
        cr_assert_eq(cq_test_run(lint, NULL, 300, &r), 0);
        cr_assert_eq(r.status, 0, "lintian: %s %s", r.out, r.err);
        cr_assert(strncmp(r.out, "E: ", 3) != 0 && !strstr(r.out, "\nE: "),
                  "lintian errors: %s", r.out);
        cq_run_free(&r);
    } else {
        cr_log_warn("lintian absent (Debian package lintian): not linted");
    }

    char *x[] = {"/usr/bin/dpkg-deb", "-x", deb, root, NULL};
    cr_assert_eq(cq_test_run(x, NULL, 120, &r), 0);
    cr_assert_eq(r.status, 0, "dpkg-deb -x: %s", r.err);
    cq_run_free(&r);
    char tmpl[1300];
    snprintf(tmpl, sizeof tmpl, "%s/usr/share/claimq/forms/cms1500.json", root);
    cr_assert_eq(access(tmpl, R_OK), 0, "the package lacks the form template");

    //  the unpacked programs, the source tree out of reach
    setenv("SRC", src, 1);
    setenv("ROOT", root, 1);
    setenv("D", d, 1);
    unsetenv("CQ_FORM");
    char *run[] = {"/usr/bin/unshare", "--mount", "--propagation",  "private",
                   "/bin/sh",          "-c",      (char *)s_script, NULL};
    cr_assert_eq(cq_test_run(run, NULL, 300, &r), 0);
    if (r.status != 0 && r.err && strstr(r.err, "unshare: ")) {
        cr_log_warn("no private mount namespace here (%s): skipped", r.err);
        cq_run_free(&r);
        return;
    }
    cr_assert_eq(r.status, 0, "unpacked run: %s %s", r.out, r.err);
    cr_assert(strstr(r.out, "claimq 0.1.0 (git "), "%s", r.out);
    cq_run_free(&r);
    char path[1200];
    snprintf(path, sizeof path, "%s/ocr.jsonl", d);
    cr_assert_eq(cq_proc_count_lines(path), 1);
    snprintf(path, sizeof path, "%s/decisions.jsonl", d);
    cr_assert_eq(cq_proc_count_lines(path), 30);
#endif
}
