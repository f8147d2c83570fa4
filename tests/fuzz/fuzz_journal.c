//  fuzz_journal.c: what a passive broker applies from its peer
//  (broker/journal.h: cq_journal_apply, cq_journal_apply_compact) on
//  arbitrary bytes, then committed to a real journal in a scratch
//  directory.
//
//  The first byte picks: even, records (their count read from the body's
//  array header, as PEER_GROUP says it); odd, a compaction.
//
//  Invariants checked (abort on violation, so libFuzzer reports it):
//  1. neither call crashes, and a refusal adds nothing (the journal holds
//     as many records buffered as before);
//  2. whatever was accepted commits, or fails with an error and a reason
//     (a duplicate row id, say), never a crash in the writer's binding;
//  3. the journal stays usable: a failed commit is dropped by reopening.
#include "journal.h"
#include "proto.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char s_dir[256];
static cq_journal_t *s_j;

static void
s_check(bool ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_journal: invariant broken: %s\n", what);
        abort();
    }
}

static void
s_rm(void)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", s_dir);
    if (system(cmd) != 0) {
        //  (the next open says what is wrong)
    }
}

static void
s_open(void)
{
    if (s_dir[0] == '\0') {
        const char *t = getenv("TMPDIR");
        snprintf(s_dir, sizeof s_dir, "%s/fuzz_journal.%d", t ? t : "/tmp",
                 (int)getpid());
        atexit(s_rm);
    }
    cq_journal_close(&s_j);
    s_rm();
    cq_diag_t diag = {0};
    s_j = cq_journal_open(s_dir, 16, &diag);
    s_check(s_j != NULL, diag.msg);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (s_j == NULL)
        s_open();
    if (size < 1)
        return 0;
    const uint8_t *p = data + 1;
    size_t n = size - 1;
    size_t before = cq_journal_pending(s_j);
    cq_diag_t diag = {0};
    int rc;
    if (data[0] % 2 == 0) {
        cq_cur_t c;
        cq_cur_init(&c, p, n);
        uint32_t count = cq_cur_array(&c, 0, UINT32_MAX, "records");
        rc = c.err ? c.err : cq_journal_apply(s_j, p, n, count, &diag);
        s_check(rc == 0 || cq_journal_pending(s_j) == before,
                "a refused group left records");
        s_check(rc != 0 || cq_journal_pending(s_j) == before + count,
                "an accepted group is not all there");
        if (rc == 0 && count > 0) {
            memset(&diag, 0, sizeof diag);
            rc = cq_journal_commit(s_j, &diag);
            s_check(rc == 0 || diag.msg[0] != '\0', "a commit failed silently");
            if (rc != 0)
                s_open();
        }
    } else {
        rc = cq_journal_apply_compact(s_j, p, n, &diag);
        s_check(rc == 0 || diag.msg[0] != '\0', "a compaction failed silently");
        if (rc != 0 && cq_journal_pending(s_j) > 0)
            s_open();
    }
    return 0;
}
