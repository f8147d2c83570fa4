//  hash.h: SHA-256 (OpenSSL) and fast non-cryptographic hashes.
#ifndef CQ_HASH_H
#define CQ_HASH_H

#include "prelude.h"

#define CQ_SHA256_HEXLEN 65 // 64 hex digits and the NUL

//  Writes the lowercase hex SHA-256 of p[0..n) into out; returns out.
char *cq_sha256_hex(const void *p, size_t n, char *out);
//  Raw 32-byte digest.
void cq_sha256(const void *p, size_t n, uint8_t out[32]);
//  64-bit FNV-1a, for in-memory tables and shard hashing (not for security).
uint64_t cq_hash64(const void *p, size_t n, uint64_t seed);

#endif
