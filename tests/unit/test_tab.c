//  The containers of common/tab.h: the hash table and the map over it,
//  the deque, the arena.
#include "tab.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

Test(tab, u64map_matches_a_reference_under_random_operations)
{
    //  keys 0..999 (dense, so runs and wrap-around happen), random ops
    enum { K = 1000 };
    int64_t ref[K];
    for (int i = 0; i < K; i++)
        ref[i] = -1;
    cq_u64map_t m;
    cq_u64map_init(&m);
    uint64_t x = 88172645463325252ull;
    for (int step = 0; step < 200000; step++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        uint64_t key = x % K;
        int op = (int)((x >> 20) % 3);
        if (op == 0) {
            cq_u64map_put(&m, key, (uint32_t)step);
            ref[key] = step;
        } else if (op == 1) {
            bool had = cq_u64map_del(&m, key);
            cr_assert_eq(had, ref[key] >= 0);
            ref[key] = -1;
        } else {
            uint32_t v;
            bool has = cq_u64map_get(&m, key, &v);
            cr_assert_eq(has, ref[key] >= 0, "step %d key %llu", step,
                         (unsigned long long)key);
            if (has)
                cr_assert_eq(v, (uint32_t)ref[key]);
        }
    }
    size_t n = 0;
    for (int i = 0; i < K; i++)
        n += ref[i] >= 0;
    cr_assert_eq(m.n, n);
    cq_u64map_free(&m);
}

Test(tab, deque_both_ends_and_growth)
{
    cq_deque_t d;
    cq_deque_init(&d);
    for (uint32_t i = 0; i < 100; i++)
        cq_deque_push_back(&d, i);
    for (uint32_t i = 0; i < 50; i++)
        cr_assert_eq(cq_deque_pop_front(&d), i);
    for (uint32_t i = 0; i < 100; i++)
        cq_deque_push_front(&d, 1000 + i); // wraps around
    cr_assert_eq(d.n, 150);
    cr_assert_eq(cq_deque_at(&d, 0), 1099);
    cr_assert_eq(cq_deque_at(&d, 99), 1000);
    cr_assert_eq(cq_deque_at(&d, 100), 50);
    for (uint32_t i = 0; i < 100; i++)
        cr_assert_eq(cq_deque_pop_front(&d), 1099 - i);
    for (uint32_t i = 50; i < 100; i++)
        cr_assert_eq(cq_deque_pop_front(&d), i);
    cr_assert_eq(d.n, 0);
    cq_deque_free(&d);
}

Test(tab, arena_keeps_its_bytes)
{
    cq_arena_t a;
    cq_arena_init(&a);
    char *ptrs[3000];
    char buf[600];
    for (int i = 0; i < 3000; i++) {
        size_t n = (size_t)(i % 600);
        memset(buf, 'a' + i % 26, n);
        ptrs[i] = cq_arena_dup(&a, buf, n);
        cr_assert_eq((uintptr_t)ptrs[i] % 8, 0);
    }
    //  a big one gets its own chunk; small ones keep filling the current
    char *big = malloc(600000);
    memset(big, 'z', 600000);
    char *pb = cq_arena_dup(&a, big, 600000);
    char *after = cq_arena_dup(&a, "tail", 4);
    for (int i = 0; i < 3000; i++)
        for (size_t k = 0; k < (size_t)(i % 600); k++)
            cr_assert_eq(ptrs[i][k], 'a' + i % 26);
    cr_assert(memcmp(pb, big, 600000) == 0);
    cr_assert(memcmp(after, "tail", 4) == 0);
    free(big);
    cq_arena_free(&a);
}

//  Many keys, then most of them deleted in another order: the map grows,
//  and every deletion moves the last entry (the index must follow it).
Test(tab, u64map_grows_and_deletes_many)
{
    enum { N = 200000 };
    cq_u64map_t m;
    cq_u64map_init(&m);
    for (uint32_t i = 0; i < N; i++)
        cq_u64map_put(&m, (uint64_t)i * 7919u, i);
    cr_assert_eq(m.n, N);
    for (uint32_t i = 0; i < N; i += 3)
        cr_assert(cq_u64map_del(&m, (uint64_t)i * 7919u));
    for (uint32_t i = 0; i < N; i++) {
        uint32_t v;
        bool has = cq_u64map_get(&m, (uint64_t)i * 7919u, &v);
        cr_assert_eq(has, i % 3 != 0, "key %u", i);
        if (has)
            cr_assert_eq(v, i);
    }
    cr_assert_eq(m.n, N - (N + 2) / 3);
    cr_assert_eq(m.idx.count, m.n);
    cq_u64map_free(&m);
}

//  cq_htab_t as the engine uses it (a multimap: the owner tells equal
//  hashes apart), with slots removed: every value still found, none
//  twice, whatever the runs look like.
Test(tab, htab_multimap_with_removals)
{
    enum { N = 5000 };
    cq_htab_t t;
    cq_htab_init(&t, 16);
    //  few distinct hashes: long runs of equal tags
    for (uint32_t v = 0; v < N; v++)
        cq_htab_add(&t, cq_htab_fix(cq_mix64(v % 7, 1)), v);
    static bool gone[N];
    for (uint32_t v = 0; v < N; v += 2) {
        uint64_t h = cq_htab_fix(cq_mix64(v % 7, 1));
        size_t i = cq_htab_first(&t, h);
        while (i != CQ_HTAB_END && t.slots[i].v != v)
            i = cq_htab_next(&t, h, i);
        cr_assert_neq(i, CQ_HTAB_END, "value %u", v);
        cq_htab_del(&t, i);
        gone[v] = true;
    }
    for (uint32_t k = 0; k < 7; k++) {
        uint64_t h = cq_htab_fix(cq_mix64(k, 1));
        unsigned found = 0;
        for (size_t i = cq_htab_first(&t, h); i != CQ_HTAB_END;
             i = cq_htab_next(&t, h, i)) {
            cr_assert_eq(t.slots[i].v % 7, k);
            cr_assert(!gone[t.slots[i].v]);
            found++;
        }
        unsigned want = 0;
        for (uint32_t v = k; v < N; v += 7)
            want += !gone[v];
        cr_assert_eq(found, want, "hash %u: %u of %u", k, found, want);
    }
    cr_assert_eq(t.count, N / 2);
    cq_htab_free(&t);
}
