//  cq_test.h: helpers shared by the unit and integration tests.
#ifndef CQ_TEST_H
#define CQ_TEST_H

#include <stddef.h>
#include <sys/types.h>

//  A sanitizer build (ASan): every process runs several times slower, so
//  a big fault test may run a third of its claims (CQ_TEST_BIG), for the
//  same shape in about the same time, when what it asserts does not depend
//  on the count (it_shards' does: every shard must have members).
#if defined(__SANITIZE_ADDRESS__)
#define CQ_TEST_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CQ_TEST_SANITIZED 1
#endif
#endif
#ifdef CQ_TEST_SANITIZED
#define CQ_TEST_BIG(n) ((n) / 3)
#else
#define CQ_TEST_BIG(n) (n)
#endif

//  Path of a built program ("claimq", "claimq-broker", "claimq-worker"),
//  from CQ_BINARY_DIR (set by CTest), else the working directory.
const char *cq_test_bin(const char *name);
//  Path under the source tree (CQ_SOURCE_DIR), e.g. "tests/fixtures/x".
const char *cq_test_src(const char *rel);
//  The conformance folder (../shared/conformance) or NULL when absent.
const char *cq_test_conformance(void);
//  A new empty temporary directory (removed by nobody: tests run in /tmp).
const char *cq_test_tmpdir(void);

//  The result of running a program to completion.
typedef struct {
    int status; // exit code, or 128+signal when killed by a signal
    char *out;  // everything it wrote to stdout (NUL-terminated)
    size_t out_len;
    char *err; // everything it wrote to stderr (NUL-terminated)
    size_t err_len;
} cq_run_t;

//  Runs argv (argv[0] a path) with stdin from stdin_path (or /dev/null) and
//  waits at most timeout_s seconds (then SIGKILL, status 128+9). Returns 0
//  when it could be started.
int cq_test_run(char *const argv[], const char *stdin_path, int timeout_s,
                cq_run_t *r);
void cq_run_free(cq_run_t *r);

//  Writes a whole file; returns 0 on success.
int cq_test_write(const char *path, const char *data, size_t n);
//  Reads a whole file (caller frees); NULL on failure.
char *cq_test_read(const char *path, size_t *len);

//  GET path from url's host:port ("http://127.0.0.1:PORT/metrics", a
//  loopback address); the body into *body (malloc'd). Returns the HTTP
//  status, or -1.
int cq_test_http_get(const char *url, const char *path, char **body);
//  The value of the Prometheus sample line "name value" in text (name with
//  its labels), or -1 when absent.
double cq_test_prom_value(const char *text, const char *name);

#endif
