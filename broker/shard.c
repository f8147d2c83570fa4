#include "shard.h"
#include "hash.h"

#include <string.h>

uint32_t
cq_shard_of(uint64_t member_hash, uint32_t n_shards)
{
    assert(n_shards > 0);
    return (uint32_t)(member_hash % n_shards);
}

uint64_t
cq_shard_weight(const char *node_id, uint32_t shard)
{
    //  The shard number seeds the hash of the node id: each (node, shard)
    //  pair gets an independent weight.
    uint64_t seed = (uint64_t)shard * UINT64_C(0x9e3779b97f4a7c15) + 1;
    return cq_hash64(node_id, strlen(node_id), seed);
}

int
cq_shard_owner(uint32_t shard, const char *const *node_ids, size_t n)
{
    int best = -1;
    uint64_t best_w = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t w = cq_shard_weight(node_ids[i], shard);
        if (best < 0 || w > best_w ||
            (w == best_w && strcmp(node_ids[i], node_ids[best]) < 0)) {
            best = (int)i;
            best_w = w;
        }
    }
    return best;
}
