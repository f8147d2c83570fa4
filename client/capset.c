//  capset.c: reading a capture whole (capset.h).
#include "capset.h"

#include "mem.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
    const char *path;
    void *map;
    size_t len;
    cq_cap_header_t head;
} s_file_t;

static int
s_cmp_file(const void *a, const void *b)
{
    const s_file_t *x = a, *y = b;
    if (x->head.created_ms != y->head.created_ms)
        return x->head.created_ms < y->head.created_ms ? -1 : 1;
    return x->head.seq < y->head.seq ? -1 : x->head.seq > y->head.seq;
}

static uint32_t
s_batch(cq_capset_t *set, const char *id)
{
    //  (captures hold few batches: a linear look from the newest)
    for (uint32_t i = set->n_batches; i-- > 0;)
        if (strcmp(set->batches[i].id, id) == 0)
            return i;
    set->batches =
        cq_xrealloc(set->batches, (set->n_batches + 1) * sizeof *set->batches);
    cq_capbatch_t *b = &set->batches[set->n_batches];
    memset(b, 0, sizeof *b);
    snprintf(b->id, sizeof b->id, "%s", id);
    return set->n_batches++;
}

int
cq_capset_load(cq_capset_t *set, char **paths, int n_paths, FILE *warn,
               cq_diag_t *diag)
{
    memset(set, 0, sizeof *set);
    s_file_t *f = cq_xcalloc((size_t)n_paths + 1, sizeof *f);
    int rc = 0;
    for (int i = 0; i < n_paths && rc == 0; i++) {
        f[i].path = paths[i];
        int fd = open(paths[i], O_RDONLY | O_CLOEXEC);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) != 0) {
            rc = cq_diag_set(diag, CQ_EIO, 0, "%s: %s", paths[i],
                             strerror(errno));
            if (fd >= 0)
                close(fd);
            break;
        }
        if (!S_ISREG(st.st_mode)) {
            close(fd);
            rc = cq_diag_set(diag, CQ_EIO, 0, "%s: not a regular file",
                             paths[i]);
            break;
        }
        f[i].len = (size_t)st.st_size;
        f[i].map = f[i].len
                       ? mmap(NULL, f[i].len, PROT_READ, MAP_PRIVATE, fd, 0)
                       : MAP_FAILED;
        close(fd);
        if (f[i].map == MAP_FAILED) {
            f[i].map = NULL;
            rc = cq_diag_set(diag, CQ_EPROTO, 0,
                             "%s: not a claimq capture (empty)", paths[i]);
            break;
        }
        cq_cap_reader_t r;
        cq_diag_t d = {0};
        if (cq_cap_begin(&r, f[i].map, f[i].len, &d) != 0) {
            rc = cq_diag_set(diag, d.code, 0, "%s: %s", paths[i], d.msg);
            break;
        }
        f[i].head = r.head;
    }
    set->maps = cq_xcalloc((size_t)n_paths + 1, sizeof *set->maps);
    set->map_lens = cq_xcalloc((size_t)n_paths + 1, sizeof *set->map_lens);
    for (int i = 0; i < n_paths; i++)
        if (f[i].map) {
            set->maps[set->n_files] = f[i].map;
            set->map_lens[set->n_files++] = f[i].len;
        }
    if (rc != 0) {
        free(f);
        return rc;
    }
    qsort(f, (size_t)n_paths, sizeof *f, s_cmp_file);
    for (int i = 0; i < n_paths; i++) {
        cq_cap_reader_t r;
        cq_cap_begin(&r, f[i].map, f[i].len, NULL);
        for (;;) {
            if (set->n_recs == set->cap_recs) {
                set->cap_recs = set->cap_recs ? set->cap_recs * 2 : 1024;
                set->recs =
                    cq_xrealloc(set->recs, set->cap_recs * sizeof *set->recs);
            }
            cq_diag_t d = {0};
            int k = cq_cap_next(&r, &set->recs[set->n_recs], &d);
            if (k == 1) {
                set->n_recs++;
                continue;
            }
            if (k == 0) {
                if (r.truncated) {
                    set->truncated++;
                    if (warn)
                        fprintf(warn, "claimq: %s: %s; read up to there\n",
                                f[i].path, d.msg);
                }
                break;
            }
            set->corrupt++;
            if (warn)
                fprintf(warn, "claimq: %s: %s\n", f[i].path, d.msg);
        }
    }
    free(f);
    //  documents by batch, decisions onto their documents
    for (size_t i = 0; i < set->n_recs; i++)
        if (set->recs[i].type == CQ_CAP_DOC)
            set->n_docs++;
    set->docs = cq_xcalloc(set->n_docs + 1, sizeof *set->docs);
    size_t nd = 0;
    for (size_t i = 0; i < set->n_recs; i++) {
        const cq_cap_rec_t *x = &set->recs[i];
        if (x->type != CQ_CAP_DOC)
            continue;
        cq_capdoc_t *d = &set->docs[nd];
        d->rec = *x;
        d->batch = s_batch(set, x->batch);
        cq_capbatch_t *b = &set->batches[d->batch];
        if (b->n_docs == b->cap_docs) {
            b->cap_docs = b->cap_docs ? b->cap_docs * 2 : 16;
            b->docs = cq_xrealloc(b->docs, b->cap_docs * sizeof *b->docs);
        }
        b->docs[b->n_docs++] = (uint32_t)nd;
        nd++;
    }
    //  a decision names its document by batch and position in the batch:
    //  its place among the batch's recorded documents when the capture
    //  holds the batch from its start (the usual case), else looked for
    for (size_t i = 0; i < set->n_recs; i++) {
        const cq_cap_rec_t *x = &set->recs[i];
        if (x->type != CQ_CAP_DECISION)
            continue;
        set->decisions++;
        uint32_t bi = UINT32_MAX;
        for (uint32_t k = set->n_batches; k-- > 0;)
            if (strcmp(set->batches[k].id, x->batch) == 0) {
                bi = k;
                break;
            }
        cq_capdoc_t *d = NULL;
        if (bi != UINT32_MAX && x->index < (1u << 24)) {
            const cq_capbatch_t *b = &set->batches[bi];
            if (x->pos < b->n_docs &&
                set->docs[b->docs[x->pos]].rec.pos == x->pos)
                d = &set->docs[b->docs[x->pos]];
            for (uint32_t k = 0; d == NULL && k < b->n_docs; k++)
                if (set->docs[b->docs[k]].rec.pos == x->pos)
                    d = &set->docs[b->docs[k]];
        }
        if (d == NULL) {
            set->decisions_lost++;
            continue;
        }
        if (x->index >= d->dec_cap) {
            uint32_t cap = d->dec_cap ? d->dec_cap : 16;
            while (cap <= x->index)
                cap *= 2;
            d->dec = cq_xrealloc(d->dec, cap * sizeof *d->dec);
            memset(d->dec + d->dec_cap, 0, (cap - d->dec_cap) * sizeof *d->dec);
            d->dec_cap = cap;
        }
        if (d->dec[x->index] == NULL)
            d->n_dec++;
        d->dec[x->index] = x;
    }
    return 0;
}

void
cq_capset_free(cq_capset_t *set)
{
    for (size_t i = 0; i < set->n_docs; i++)
        free(set->docs[i].dec);
    free(set->docs);
    for (uint32_t i = 0; i < set->n_batches; i++)
        free(set->batches[i].docs);
    free(set->batches);
    free(set->recs);
    for (uint32_t i = 0; i < set->n_files; i++)
        munmap(set->maps[i], set->map_lens[i]);
    free(set->maps);
    free(set->map_lens);
    memset(set, 0, sizeof *set);
}
