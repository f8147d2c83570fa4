//  The broker's containers (broker/table.h).
#include "table.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

Test(table, u64map_matches_a_reference_under_random_operations)
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

Test(table, deque_both_ends_and_growth)
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

Test(table, blobs_keep_their_bytes)
{
    cq_blobs_t a;
    cq_blobs_init(&a);
    char *ptrs[3000];
    char buf[600];
    for (int i = 0; i < 3000; i++) {
        size_t n = (size_t)(i % 600);
        memset(buf, 'a' + i % 26, n);
        ptrs[i] = cq_blobs_dup(&a, buf, n);
        cr_assert_eq((uintptr_t)ptrs[i] % 8, 0);
    }
    //  a big one gets its own chunk; small ones keep filling the current
    char *big = malloc(600000);
    memset(big, 'z', 600000);
    char *pb = cq_blobs_dup(&a, big, 600000);
    char *after = cq_blobs_dup(&a, "tail", 4);
    for (int i = 0; i < 3000; i++)
        for (size_t k = 0; k < (size_t)(i % 600); k++)
            cr_assert_eq(ptrs[i][k], 'a' + i % 26);
    cr_assert(memcmp(pb, big, 600000) == 0);
    cr_assert(memcmp(after, "tail", 4) == 0);
    free(big);
    cq_blobs_free(&a);
}
