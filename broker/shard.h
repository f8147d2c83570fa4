//  shard.h: claims to shards, shards to nodes (docs/architecture.md).
//  shard = member hash mod S; owner = rendezvous (highest random weight)
//  over node ids: adding a node moves about 1/N of the shards to it, and
//  removing one moves only the shards it owned.
#ifndef CQ_SHARD_H
#define CQ_SHARD_H

#include "prelude.h"

#define CQ_SHARDS_DEFAULT 256
#define CQ_SHARDS_MAX 65536

//  The shard of a claim with member hash h (cq_claim_member_hash).
uint32_t cq_shard_of(uint64_t member_hash, uint32_t n_shards);
//  Weight of node_id for shard: the owner is the node with the highest.
uint64_t cq_shard_weight(const char *node_id, uint32_t shard);
//  Index in node_ids[0..n) of shard's owner, or -1 when n is 0. Ties
//  (equal weights) go to the smaller node id, so the answer does not
//  depend on the order of node_ids.
int cq_shard_owner(uint32_t shard, const char *const *node_ids, size_t n);

#endif
