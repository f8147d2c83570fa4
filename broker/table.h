//  table.h: the broker's in-memory containers: a u64 -> u32 hash map, a
//  u32 deque, and an append-only arena for immutable blobs (encoded claims
//  and decisions, claim keys).
#ifndef CQ_TABLE_H
#define CQ_TABLE_H

#include "prelude.h"

//  Open addressing, linear probing, backward-shift deletion. Keys are
//  hashes: the caller resolves collisions (two keys with the same u64)
//  through its own chain.
typedef struct {
    uint64_t *keys; // slot keys
    uint32_t *vals; // slot values
    uint8_t *used;  // slot in use
    size_t cap;     // slots (a power of two)
    size_t n;       // entries
} cq_u64map_t;

void cq_u64map_init(cq_u64map_t *m);
void cq_u64map_free(cq_u64map_t *m);
//  Sets key -> val (replacing).
void cq_u64map_put(cq_u64map_t *m, uint64_t key, uint32_t val);
//  True and *val when present.
bool cq_u64map_get(const cq_u64map_t *m, uint64_t key, uint32_t *val);
bool cq_u64map_del(cq_u64map_t *m, uint64_t key);

//  A ring buffer of u32 that grows.
typedef struct {
    uint32_t *v; // slots
    size_t cap;  // slots (a power of two, or 0)
    size_t head; // index of the first element
    size_t n;    // elements
} cq_deque_t;

void cq_deque_init(cq_deque_t *d);
void cq_deque_free(cq_deque_t *d);
void cq_deque_push_back(cq_deque_t *d, uint32_t x);
void cq_deque_push_front(cq_deque_t *d, uint32_t x);
uint32_t cq_deque_pop_front(cq_deque_t *d);
uint32_t cq_deque_at(const cq_deque_t *d, size_t i);

//  Bump allocator: blobs live until cq_blobs_free.
typedef struct {
    uint8_t **chunks; // chunk list
    size_t n_chunks;
    size_t used;  // bytes used in the last chunk
    size_t total; // bytes handed out
} cq_blobs_t;

void cq_blobs_init(cq_blobs_t *a);
void cq_blobs_free(cq_blobs_t *a);
//  A copy of p[0..n) in the arena (8-byte aligned).
void *cq_blobs_dup(cq_blobs_t *a, const void *p, size_t n);

#endif
