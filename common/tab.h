//  tab.h: two small building blocks for the engine's in-memory tables
//  (plan rules, roster, member state): an open-addressing hash index and a
//  string arena. Internal to common/ (plan.c, roster.c, state.c).
//
//  cq_htab_t maps a 64-bit hash to a 32-bit value (an index into the
//  owner's array). It keeps no keys, only a 32-bit tag of the hash (8
//  bytes a slot, so big indexes stay small): the owner compares its own
//  record for each candidate whose tag matches, so one index type serves
//  every table. Linear probing, load <= 1/2, no deletion (the tables only
//  grow; a value can be replaced in place).
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

//  A bump allocator for strings and small records whose addresses must stay
//  put (it never moves what it has handed out). Freed all at once.
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

#endif
