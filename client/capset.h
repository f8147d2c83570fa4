//  capset.h: a capture read whole (common/capture.h): its files in the
//  order they were written, their documents grouped by batch, and the
//  recorded decisions of each document, for `claimq capture` and
//  `claimq replay`.
#ifndef CQ_CAPSET_H
#define CQ_CAPSET_H

#include "capture.h"

#include <stdio.h>

typedef struct {
    cq_cap_rec_t rec;         // data points into the mapped file
    uint32_t batch;           // index in batches
    uint32_t n_dec;           // recorded decisions (claims) of this document
    const cq_cap_rec_t **dec; // by claim index (NULL: none recorded)
    uint32_t dec_cap;
} cq_capdoc_t;

typedef struct {
    char id[CQ_CAP_BATCH_LEN];
    uint32_t *docs; // indexes in the set's docs, in recorded order
    uint32_t n_docs, cap_docs;
} cq_capbatch_t;

typedef struct {
    //  mapped files
    void **maps;
    size_t *map_lens;
    uint32_t n_files;
    //  every record of every file
    cq_cap_rec_t *recs;
    size_t n_recs, cap_recs;
    cq_capdoc_t *docs; // documents, in arrival order
    size_t n_docs;
    cq_capbatch_t *batches; // in order of their first document
    uint32_t n_batches;
    uint64_t decisions;      // decision records
    uint64_t decisions_lost; // ... of documents not in the capture
    uint64_t corrupt;        // records skipped as damaged
    uint32_t truncated;      // files cut short
} cq_capset_t;

//  Reads the files (a capture and its rotated parts, any order: they are
//  put in the order they were written). Damage is told on `warn` (one line
//  each, with the file and offset) and skipped. Returns 0, or CQ_EIO /
//  CQ_EPROTO (a file unreadable or not a capture) with diag naming it.
int cq_capset_load(cq_capset_t *set, char **paths, int n_paths, FILE *warn,
                   cq_diag_t *diag);
void cq_capset_free(cq_capset_t *set);

#endif
