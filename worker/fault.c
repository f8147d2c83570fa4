//  fault.c: see fault.h.
#include "fault.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define S_MARKER_BYTES (CQ_MARKER_SLOTS * sizeof(cq_marker_slot_t))

static char s_crash_claim[64];
static char s_crash_doc[256];
static int s_stop_adj; // 1: armed, 2: done
static long s_delay_us;
static long s_doc_delay_ms;
static long s_sleep_adj_ms; // once; -1 done

int
cq_fault_init(cq_diag_t *diag)
{
    const char *spec = getenv("CLAIMQ_FAULT");
    if (spec == NULL || spec[0] == '\0')
        return 0;
    const char *on = getenv("CLAIMQ_TEST_FAULTS");
    if (on == NULL || strcmp(on, "1") != 0)
        return cq_diag_set(diag, CQ_EINVAL, 0,
                           "CLAIMQ_FAULT is a test switch: it is refused "
                           "unless CLAIMQ_TEST_FAULTS=1 is set too");
    char buf[512];
    if (strlen(spec) >= sizeof buf)
        return cq_diag_set(diag, CQ_EINVAL, 0, "CLAIMQ_FAULT: too long");
    strcpy(buf, spec);
    char *save = NULL;
    for (char *t = strtok_r(buf, ",", &save); t;
         t = strtok_r(NULL, ",", &save)) {
        if (strncmp(t, "crash-claim=", 12) == 0 &&
            strlen(t + 12) < sizeof s_crash_claim)
            strcpy(s_crash_claim, t + 12);
        else if (strncmp(t, "crash-doc=", 10) == 0 &&
                 strlen(t + 10) < sizeof s_crash_doc)
            strcpy(s_crash_doc, t + 10);
        else if (strcmp(t, "stop-on-adjudicate") == 0)
            s_stop_adj = 1;
        else if (strncmp(t, "sleep-on-adjudicate-ms=", 23) == 0 &&
                 (s_sleep_adj_ms = strtol(t + 23, NULL, 10)) > 0 &&
                 s_sleep_adj_ms <= 3600000)
            ;
        else if (strncmp(t, "delay-doc-ms=", 13) == 0 &&
                 (s_doc_delay_ms = strtol(t + 13, NULL, 10)) > 0 &&
                 s_doc_delay_ms <= 3600000)
            ;
        else if (strncmp(t, "delay-claim-us=", 15) == 0 &&
                 (s_delay_us = strtol(t + 15, NULL, 10)) > 0 &&
                 s_delay_us <= 10000000)
            ;
        else
            return cq_diag_set(diag, CQ_EINVAL, 0,
                               "CLAIMQ_FAULT: unknown switch \"%.64s\"", t);
    }
    cq_log_warn(NULL, "test fault switches on: %s", spec);
    return 0;
}

void
cq_fault_claim(const char *claim_id)
{
    if (s_crash_claim[0] && strcmp(claim_id, s_crash_claim) == 0) {
        cq_log_error(claim_id, "test fault: crashing on this claim");
        abort();
    }
}

void
cq_fault_doc(const char *name)
{
    if (!s_crash_doc[0])
        return;
    size_t n = strlen(name), k = strlen(s_crash_doc);
    if (n >= k && strcmp(name + n - k, s_crash_doc) == 0) {
        cq_log_error(NULL, "test fault: crashing on a document");
        abort();
    }
}

void
cq_fault_adjudicate(void)
{
    if (s_sleep_adj_ms > 0) {
        cq_log_warn(NULL, "test fault: sleeping %ld ms with work in hand",
                    s_sleep_adj_ms);
        usleep((useconds_t)s_sleep_adj_ms * 1000);
        s_sleep_adj_ms = -1;
    }
    if (s_stop_adj == 1) {
        s_stop_adj = 2;
        cq_log_warn(NULL, "test fault: stopping (SIGSTOP) with work in hand");
        raise(SIGSTOP);
    }
}

void
cq_fault_delay(void)
{
    if (s_delay_us > 0)
        usleep((useconds_t)s_delay_us);
}

void
cq_fault_doc_delay(void)
{
    for (long left = s_doc_delay_ms; left > 0; left -= 100)
        usleep((useconds_t)(left < 100 ? left : 100) * 1000);
}

cq_marker_slot_t *
cq_marker_open(const char *path, cq_marker_slot_t *found)
{
    memset(found, 0, sizeof *found);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        cq_log_warn(NULL, "crash marker %s: %s (poison detection is weaker)",
                    path, strerror(errno));
        return NULL;
    }
    //  allocated, not sparse: a store into the mapping must never need a
    //  block the disk may not have
    int rc = posix_fallocate(fd, 0, (off_t)S_MARKER_BYTES);
    void *m = rc == 0 ? mmap(NULL, S_MARKER_BYTES, PROT_READ | PROT_WRITE,
                             MAP_SHARED, fd, 0)
                      : MAP_FAILED;
    close(fd);
    if (m == MAP_FAILED) {
        cq_log_warn(NULL,
                    "crash marker %s: cannot map it (poison detection "
                    "is weaker)",
                    path);
        return NULL;
    }
    cq_marker_slot_t *slots = m;
    for (int i = 0; i < CQ_MARKER_SLOTS; i++)
        if (slots[i].kind == 1 || slots[i].kind == 2) {
            found->kind = slots[i].kind;
            found->id = slots[i].id;
            found->lease = slots[i].lease;
            break;
        }
    memset(m, 0, S_MARKER_BYTES);
    return slots;
}

void
cq_marker_close(cq_marker_slot_t *slots)
{
    if (slots) {
        memset(slots, 0, S_MARKER_BYTES);
        munmap(slots, S_MARKER_BYTES);
    }
}
