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

void
cq_htab_del(cq_htab_t *t, size_t i)
{
    //  Backward shift: a later slot of the run moves into the hole unless
    //  its home lies cyclically in (hole, j].
    size_t mask = t->mask, hole = i, j = i;
    for (;;) {
        j = (j + 1) & mask;
        uint32_t tag = t->slots[j].h;
        if (tag == 0)
            break;
        size_t home = (size_t)tag & mask;
        bool between =
            hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
        if (between)
            continue;
        t->slots[hole] = t->slots[j];
        hole = j;
    }
    t->slots[hole].h = 0;
    t->slots[hole].v = 0;
    t->count--;
}

//  ---- cq_u64map_t ----------------------------------------------------------

//  Keys are often small or sequential: mixed, so that the tag and the home
//  slot spread.
static inline uint64_t
s_mix(uint64_t key)
{
    return cq_htab_fix(cq_mix64(key, UINT64_C(0x5851F42D4C957F2D)));
}

//  The slot of key, or CQ_HTAB_END.
static size_t
s_find(const cq_u64map_t *m, uint64_t key, uint64_t h)
{
    if (m->idx.slots == NULL)
        return CQ_HTAB_END;
    for (size_t i = cq_htab_first(&m->idx, h); i != CQ_HTAB_END;
         i = cq_htab_next(&m->idx, h, i))
        if (m->ents[m->idx.slots[i].v].key == key)
            return i;
    return CQ_HTAB_END;
}

void
cq_u64map_init(cq_u64map_t *m)
{
    memset(m, 0, sizeof *m);
}

void
cq_u64map_free(cq_u64map_t *m)
{
    cq_htab_free(&m->idx);
    free(m->ents);
    memset(m, 0, sizeof *m);
}

void
cq_u64map_put(cq_u64map_t *m, uint64_t key, uint32_t val)
{
    uint64_t h = s_mix(key);
    size_t i = s_find(m, key, h);
    if (i != CQ_HTAB_END) {
        m->ents[m->idx.slots[i].v].val = val;
        return;
    }
    if (m->n == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 32;
        m->ents = cq_xrealloc(m->ents, m->cap * sizeof *m->ents);
    }
    assert(m->n < UINT32_MAX);
    m->ents[m->n] = (cq_u64ent_t){key, val};
    cq_htab_add(&m->idx, h, (uint32_t)m->n);
    m->n++;
}

bool
cq_u64map_get(const cq_u64map_t *m, uint64_t key, uint32_t *val)
{
    size_t i = s_find(m, key, s_mix(key));
    if (i == CQ_HTAB_END)
        return false;
    *val = m->ents[m->idx.slots[i].v].val;
    return true;
}

bool
cq_u64map_del(cq_u64map_t *m, uint64_t key)
{
    size_t i = s_find(m, key, s_mix(key));
    if (i == CQ_HTAB_END)
        return false;
    uint32_t e = m->idx.slots[i].v;
    cq_htab_del(&m->idx, i);
    m->n--;
    if (e != m->n) { // the last entry moves into the hole
        uint64_t last = m->ents[m->n].key;
        size_t j = s_find(m, last, s_mix(last));
        assert(j != CQ_HTAB_END);
        m->ents[e] = m->ents[m->n];
        m->idx.slots[j].v = e;
    }
    return true;
}

//  ---- cq_deque_t -----------------------------------------------------------

void
cq_deque_init(cq_deque_t *d)
{
    memset(d, 0, sizeof *d);
}

void
cq_deque_free(cq_deque_t *d)
{
    free(d->v);
    memset(d, 0, sizeof *d);
}

static void
s_deque_grow(cq_deque_t *d)
{
    size_t cap = d->cap ? d->cap * 2 : 16;
    uint32_t *v = cq_xmalloc(cap * sizeof *v);
    for (size_t i = 0; i < d->n; i++)
        v[i] = d->v[(d->head + i) & (d->cap - 1)];
    free(d->v);
    d->v = v;
    d->cap = cap;
    d->head = 0;
}

void
cq_deque_push_back(cq_deque_t *d, uint32_t x)
{
    if (d->n == d->cap)
        s_deque_grow(d);
    d->v[(d->head + d->n) & (d->cap - 1)] = x;
    d->n++;
}

void
cq_deque_push_front(cq_deque_t *d, uint32_t x)
{
    if (d->n == d->cap)
        s_deque_grow(d);
    d->head = (d->head + d->cap - 1) & (d->cap - 1);
    d->v[d->head] = x;
    d->n++;
}

uint32_t
cq_deque_pop_front(cq_deque_t *d)
{
    assert(d->n > 0);
    uint32_t x = d->v[d->head];
    d->head = (d->head + 1) & (d->cap - 1);
    d->n--;
    return x;
}

uint32_t
cq_deque_at(const cq_deque_t *d, size_t i)
{
    assert(i < d->n);
    return d->v[(d->head + i) & (d->cap - 1)];
}

//  ---- cq_arena_t -----------------------------------------------------------

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
    if (n > S_CHUNK / 4 && a->head != NULL) {
        //  a chunk of its own, behind the current one, which goes on
        //  filling
        cq_arena_chunk_t *c = cq_xmalloc(sizeof *c + n);
        c->next = a->head->next;
        a->head->next = c;
        a->total += n;
        return c->data;
    }
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

void *
cq_arena_dup(cq_arena_t *a, const void *p, size_t n)
{
    void *d = cq_arena_alloc(a, n ? n : 1);
    if (n)
        memcpy(d, p, n);
    return d;
}
