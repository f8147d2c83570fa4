//  Shards and their owners (broker/shard.h): rendezvous hashing.
#include "shard.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#define S 256

static void
s_owners(const char *const *ids, size_t n, int *out)
{
    for (uint32_t s = 0; s < S; s++)
        out[s] = cq_shard_owner(s, ids, n);
}

Test(shard, owner_independent_of_order_and_spread)
{
    const char *a[] = {"w1", "w2", "w3"};
    const char *b[] = {"w3", "w1", "w2"};
    int oa[S], ob[S], count[3] = {0};
    s_owners(a, 3, oa);
    s_owners(b, 3, ob);
    for (uint32_t s = 0; s < S; s++) {
        cr_assert_str_eq(a[oa[s]], b[ob[s]]);
        count[oa[s]]++;
    }
    for (int i = 0; i < 3; i++)
        cr_assert(count[i] > S / 3 / 2, "w%d owns %d shards", i + 1, count[i]);
    cr_assert_eq(cq_shard_owner(0, a, 0), -1);
}

Test(shard, adding_a_node_moves_shards_only_to_it)
{
    const char *before[] = {"w1", "w2", "w3"};
    const char *after[] = {"w1", "w2", "w3", "w4"};
    int ob[S], oa[S], moved = 0;
    s_owners(before, 3, ob);
    s_owners(after, 4, oa);
    for (uint32_t s = 0; s < S; s++) {
        if (oa[s] == ob[s])
            continue;
        cr_assert_str_eq(after[oa[s]], "w4", "shard %u moved between old nodes",
                         s);
        moved++;
    }
    cr_assert(moved > S / 8 && moved < S / 2, "%d shards moved", moved);
}

Test(shard, removing_a_node_moves_only_its_shards)
{
    const char *before[] = {"w1", "w2", "w3"};
    const char *after[] = {"w1", "w3"};
    int ob[S], oa[S];
    s_owners(before, 3, ob);
    s_owners(after, 2, oa);
    for (uint32_t s = 0; s < S; s++)
        if (strcmp(before[ob[s]], "w2") != 0)
            cr_assert_str_eq(after[oa[s]], before[ob[s]], "shard %u", s);
}

Test(shard, shard_of_is_member_hash_mod_s)
{
    cr_assert_eq(cq_shard_of(1000, 256), 1000 % 256);
    cr_assert_eq(cq_shard_of(UINT64_MAX, 7), UINT64_MAX % 7);
    cr_assert_neq(cq_shard_weight("w1", 1), cq_shard_weight("w1", 2));
    cr_assert_neq(cq_shard_weight("w1", 1), cq_shard_weight("w2", 1));
}
