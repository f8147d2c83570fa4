#include "table.h"
#include "mem.h"

#include <stdlib.h>
#include <string.h>

#define S_CHUNK (1u << 20)

static size_t
s_slot(uint64_t key, size_t cap)
{
    //  Keys are hashes already; mix once more in case they are not.
    key ^= key >> 33;
    key *= UINT64_C(0xff51afd7ed558ccd);
    key ^= key >> 33;
    return (size_t)key & (cap - 1);
}

void
cq_u64map_init(cq_u64map_t *m)
{
    memset(m, 0, sizeof *m);
}

void
cq_u64map_free(cq_u64map_t *m)
{
    free(m->keys);
    free(m->vals);
    free(m->used);
    memset(m, 0, sizeof *m);
}

static void
s_grow(cq_u64map_t *m)
{
    cq_u64map_t old = *m;
    m->cap = old.cap ? old.cap * 2 : 64;
    m->keys = cq_xmalloc(m->cap * sizeof *m->keys);
    m->vals = cq_xmalloc(m->cap * sizeof *m->vals);
    m->used = cq_xcalloc(m->cap, 1);
    m->n = 0;
    for (size_t i = 0; i < old.cap; i++)
        if (old.used[i])
            cq_u64map_put(m, old.keys[i], old.vals[i]);
    free(old.keys);
    free(old.vals);
    free(old.used);
}

void
cq_u64map_put(cq_u64map_t *m, uint64_t key, uint32_t val)
{
    if ((m->n + 1) * 4 > m->cap * 3)
        s_grow(m);
    size_t i = s_slot(key, m->cap);
    while (m->used[i]) {
        if (m->keys[i] == key) {
            m->vals[i] = val;
            return;
        }
        i = (i + 1) & (m->cap - 1);
    }
    m->used[i] = 1;
    m->keys[i] = key;
    m->vals[i] = val;
    m->n++;
}

bool
cq_u64map_get(const cq_u64map_t *m, uint64_t key, uint32_t *val)
{
    if (m->cap == 0)
        return false;
    size_t i = s_slot(key, m->cap);
    while (m->used[i]) {
        if (m->keys[i] == key) {
            *val = m->vals[i];
            return true;
        }
        i = (i + 1) & (m->cap - 1);
    }
    return false;
}

bool
cq_u64map_del(cq_u64map_t *m, uint64_t key)
{
    if (m->cap == 0)
        return false;
    size_t mask = m->cap - 1;
    size_t i = s_slot(key, m->cap);
    while (m->used[i] && m->keys[i] != key)
        i = (i + 1) & mask;
    if (!m->used[i])
        return false;
    //  Backward shift: move later entries of the run into the hole when
    //  their home slot does not lie cyclically in (hole, j].
    size_t hole = i;
    size_t j = i;
    for (;;) {
        j = (j + 1) & mask;
        if (!m->used[j])
            break;
        size_t home = s_slot(m->keys[j], m->cap);
        bool between =
            hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
        if (between)
            continue;
        m->keys[hole] = m->keys[j];
        m->vals[hole] = m->vals[j];
        hole = j;
    }
    m->used[hole] = 0;
    m->n--;
    return true;
}

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

void
cq_blobs_init(cq_blobs_t *a)
{
    memset(a, 0, sizeof *a);
}

void
cq_blobs_free(cq_blobs_t *a)
{
    for (size_t i = 0; i < a->n_chunks; i++)
        free(a->chunks[i]);
    free(a->chunks);
    memset(a, 0, sizeof *a);
}

void *
cq_blobs_dup(cq_blobs_t *a, const void *p, size_t n)
{
    size_t need = (n + 7) & ~(size_t)7;
    if (need > S_CHUNK / 4) {
        //  A big blob gets a chunk of its own, kept before the current
        //  one so that the current one goes on filling.
        uint8_t *c = cq_xmalloc(need ? need : 8);
        a->chunks =
            cq_xrealloc(a->chunks, (a->n_chunks + 1) * sizeof *a->chunks);
        if (a->n_chunks > 0) {
            a->chunks[a->n_chunks] = a->chunks[a->n_chunks - 1];
            a->chunks[a->n_chunks - 1] = c;
        } else {
            a->chunks[0] = c;
            a->used = S_CHUNK; // no current chunk yet: force a new one
        }
        a->n_chunks++;
        memcpy(c, p, n);
        a->total += n;
        return c;
    }
    if (a->n_chunks == 0 || a->used + need > S_CHUNK) {
        a->chunks =
            cq_xrealloc(a->chunks, (a->n_chunks + 1) * sizeof *a->chunks);
        a->chunks[a->n_chunks++] = cq_xmalloc(S_CHUNK);
        a->used = 0;
    }
    uint8_t *dst = a->chunks[a->n_chunks - 1] + a->used;
    a->used += need;
    a->total += n;
    if (n)
        memcpy(dst, p, n);
    return dst;
}
