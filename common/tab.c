#include "tab.h"
#include "mem.h"

#include <stdlib.h>
#include <sys/mman.h>

#define S_HUGE (2u << 20)

void
cq_mem_huge(void *p, size_t n)
{
#ifdef MADV_HUGEPAGE
    if (n < 2 * S_HUGE)
        return;
    uintptr_t a = ((uintptr_t)p + S_HUGE - 1) & ~(uintptr_t)(S_HUGE - 1);
    uintptr_t b = ((uintptr_t)p + n) & ~(uintptr_t)(S_HUGE - 1);
    if (b > a)
        madvise((void *)a, b - a, MADV_HUGEPAGE);
#else
    (void)p;
    (void)n;
#endif
}

void *
cq_big_realloc(void *p, size_t n)
{
    p = cq_xrealloc(p, n);
    cq_mem_huge(p, n);
    return p;
}

void
cq_htab_init(cq_htab_t *t, size_t expected)
{
    size_t cap = 16;
    while (cap < expected * 2)
        cap *= 2;
    t->slots = cq_xcalloc(cap, sizeof *t->slots);
    cq_mem_huge(t->slots, cap * sizeof *t->slots);
    t->mask = cap - 1;
    t->count = 0;
}

void
cq_htab_free(cq_htab_t *t)
{
    free(t->slots);
    t->slots = NULL;
    t->mask = 0;
    t->count = 0;
}

static void
s_grow(cq_htab_t *t)
{
    size_t cap = (t->mask + 1) * 2;
    cq_hslot_t *slots = cq_xcalloc(cap, sizeof *slots);
    cq_mem_huge(slots, cap * sizeof *slots);
    for (size_t i = 0; i <= t->mask; i++) {
        if (t->slots[i].h == 0)
            continue;
        size_t j = (size_t)t->slots[i].h & (cap - 1);
        while (slots[j].h != 0)
            j = (j + 1) & (cap - 1);
        slots[j] = t->slots[i];
    }
    free(t->slots);
    t->slots = slots;
    t->mask = cap - 1;
}

size_t
cq_htab_add(cq_htab_t *t, uint64_t h, uint32_t v)
{
    uint32_t tag = cq_htab_tag(h);
    assert(tag != 0);
    if (t->slots == NULL)
        cq_htab_init(t, 8);
    if ((t->count + 1) * 2 > t->mask + 1)
        s_grow(t);
    size_t i = (size_t)tag & t->mask;
    while (t->slots[i].h != 0)
        i = (i + 1) & t->mask;
    t->slots[i].h = tag;
    t->slots[i].v = v;
    t->count++;
    return i;
}

struct cq_arena_chunk {
    cq_arena_chunk_t *next; // older chunk
    max_align_t data[];     // payload
};

#define S_CHUNK (256u << 10)   // first chunks
#define S_CHUNK_BIG (8u << 20) // once an arena holds more than this

void
cq_arena_init(cq_arena_t *a)
{
    memset(a, 0, sizeof *a);
}

void
cq_arena_free(cq_arena_t *a)
{
    cq_arena_chunk_t *c = a->head;
    while (c) {
        cq_arena_chunk_t *next = c->next;
        free(c);
        c = next;
    }
    memset(a, 0, sizeof *a);
}

void *
cq_arena_alloc(cq_arena_t *a, size_t n)
{
    n = (n + 7) & ~(size_t)7;
    if (a->head == NULL || a->size - a->used < n) {
        size_t chunk = a->total >= S_CHUNK_BIG ? S_CHUNK_BIG : S_CHUNK;
        size_t size = n > chunk ? n : chunk;
        cq_arena_chunk_t *c = cq_xmalloc(sizeof *c + size);
        cq_mem_huge(c, sizeof *c + size);
        c->next = a->head;
        a->head = c;
        a->size = size;
        a->used = 0;
    }
    void *p = (char *)a->head->data + a->used;
    a->used += n;
    a->total += n;
    return p;
}

char *
cq_arena_strndup(cq_arena_t *a, const char *s, size_t n)
{
    char *p = cq_arena_alloc(a, n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}
