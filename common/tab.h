//  tab.h: claimq's in-memory containers, for every part (the engine's
//  plan, roster and member state; the broker's catalog, leases and
//  queues; the client's submission):
//
//    cq_htab_t    the one hash table: open addressing over 64-bit hashes
//    cq_u64map_t  exact u64 keys -> u32 values, with deletion (over it)
//    cq_deque_t   a growing ring of u32
//    cq_arena_t   strings and blobs that stay put until freed all at once
//
//  cq_htab_t maps a 64-bit hash to a 32-bit value (an index into the
//  owner's array). It keeps no keys, only a 32-bit tag of the hash (8
//  bytes a slot, so big indexes stay small): the owner compares its own
//  record for each candidate whose tag matches, so one index type serves
//  every table. Linear probing, load <= 1/2; a slot can be removed
//  (backward shift), and a value replaced in place.
#ifndef CQ_TAB_H
#define CQ_TAB_H

#include "prelude.h"

#include <string.h>

typedef struct {
    uint32_t h; // tag: the hash's high 32 bits, never 0 (0: empty slot);
                // also where the entry goes (tag & mask)
    uint32_t v; // the owner's value
} cq_hslot_t;

typedef struct {
    cq_hslot_t *slots; // capacity = mask + 1 (a power of two)
    size_t mask;       // capacity - 1
    size_t count;      // slots used
} cq_htab_t;

//  Sizes the index for about `expected` entries (it grows as needed).
void cq_htab_init(cq_htab_t *t, size_t expected);
void cq_htab_free(cq_htab_t *t);
//  Adds (h, v) even if h is already present (a multimap); returns the slot.
size_t cq_htab_add(cq_htab_t *t, uint64_t h, uint32_t v);
//  Removes slot i (found by cq_htab_first/next): the run after it moves
//  back, so a scan never stops early.
void cq_htab_del(cq_htab_t *t, size_t i);

//  A 64-bit hash whose tag (high 32 bits) is never 0 (0 marks an empty
//  slot).
static inline uint64_t
cq_htab_fix(uint64_t h)
{
    return (h >> 32) ? h : h | (UINT64_C(1) << 32);
}

static inline uint32_t
cq_htab_tag(uint64_t h)
{
    return (uint32_t)(h >> 32);
}

//  Walks the candidates for hash h:
//      for (size_t i = cq_htab_first(t, h); i != CQ_HTAB_END;
//           i = cq_htab_next(t, h, i))
//          if (matches(t->slots[i].v)) ...
#define CQ_HTAB_END SIZE_MAX
static inline size_t
cq_htab_scan(const cq_htab_t *t, uint32_t tag, size_t i)
{
    for (;; i = (i + 1) & t->mask) {
        uint32_t s = t->slots[i].h;
        if (s == tag)
            return i;
        if (s == 0)
            return CQ_HTAB_END;
    }
}
static inline size_t
cq_htab_first(const cq_htab_t *t, uint64_t h)
{
    uint32_t tag = cq_htab_tag(h);
    return cq_htab_scan(t, tag, (size_t)tag & t->mask);
}
static inline size_t
cq_htab_next(const cq_htab_t *t, uint64_t h, size_t i)
{
    return cq_htab_scan(t, cq_htab_tag(h), (i + 1) & t->mask);
}
//  The slot where a lookup of h starts (for prefetching).
static inline const void *
cq_htab_home(const cq_htab_t *t, uint64_t h)
{
    return &t->slots[(size_t)cq_htab_tag(h) & t->mask];
}

//  Mixes two 64-bit words (for composite keys built from integers).
static inline uint64_t
cq_mix64(uint64_t a, uint64_t b)
{
    uint64_t h = a * UINT64_C(0x9E3779B97F4A7C15) ^ b;
    h ^= h >> 32;
    h *= UINT64_C(0xD6E8FEB86659FD93);
    h ^= h >> 32;
    h *= UINT64_C(0xD6E8FEB86659FD93);
    h ^= h >> 32;
    return h;
}

//  A fast hash of a short byte string (codes, ids, claim keys): 8 bytes at
//  a time, unlike cq_hash64's byte-wise FNV. Not for security.
static inline uint64_t
cq_strhash(const void *p, size_t n)
{
    const unsigned char *b = p;
    uint64_t h = UINT64_C(0x243F6A8885A308D3) ^ (uint64_t)n;
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, b, 8);
        h = cq_mix64(h, w);
        b += 8;
        n -= 8;
    }
    //  the tail byte by byte: a memcpy of a variable length is a call
    uint64_t w = 0;
    for (size_t i = 0; i < n; i++)
        w |= (uint64_t)b[i] << (8 * i);
    return cq_mix64(h, w);
}

//  ---- cq_u64map_t: exact keys, with deletion ---------------------------
//
//  Entries are packed in an array (a deletion moves the last one into the
//  hole); a cq_htab_t over the mixed key finds them. Keys may be anything
//  (hashes, ids, counters).
typedef struct {
    uint64_t key;
    uint32_t val;
} cq_u64ent_t;

typedef struct {
    cq_htab_t idx;     // mixed key -> index into ents
    cq_u64ent_t *ents; // entries, packed
    size_t n;          // entries
    size_t cap;        // entries allocated
} cq_u64map_t;

void cq_u64map_init(cq_u64map_t *m);
void cq_u64map_free(cq_u64map_t *m);
//  Sets key -> val (replacing).
void cq_u64map_put(cq_u64map_t *m, uint64_t key, uint32_t val);
//  True and *val when present.
bool cq_u64map_get(const cq_u64map_t *m, uint64_t key, uint32_t *val);
bool cq_u64map_del(cq_u64map_t *m, uint64_t key);

//  ---- cq_deque_t: a ring buffer of u32 that grows ------------------------
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

//  ---- cq_arena_t ------------------------------------------------------------
//
//  A bump allocator for strings, blobs and small records whose addresses
//  must stay put (it never moves what it has handed out). Freed all at
//  once. A large request gets a chunk of its own, and the current chunk
//  goes on filling.
typedef struct cq_arena_chunk cq_arena_chunk_t;
typedef struct {
    cq_arena_chunk_t *head; // newest chunk
    size_t used;            // bytes used in head
    size_t size;            // bytes in head
    size_t total;           // bytes handed out, over all chunks
} cq_arena_t;

void cq_arena_init(cq_arena_t *a);
void cq_arena_free(cq_arena_t *a);
//  Asks for transparent huge pages on [p, p + n) when it is large (fewer
//  page faults while big tables fill up). Harmless where unsupported.
void cq_mem_huge(void *p, size_t n);
//  cq_xrealloc for big growing arrays: also advises huge pages.
void *cq_big_realloc(void *p, size_t n);

//  n bytes, 8-aligned, uninitialised.
void *cq_arena_alloc(cq_arena_t *a, size_t n);
//  A NUL-terminated copy of s[0..n).
char *cq_arena_strndup(cq_arena_t *a, const char *s, size_t n);
//  A copy of p[0..n) (8-aligned).
void *cq_arena_dup(cq_arena_t *a, const void *p, size_t n);

#endif
