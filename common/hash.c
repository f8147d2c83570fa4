#include "hash.h"

#include <openssl/evp.h>
#include <stdio.h>

void
cq_sha256(const void *p, size_t n, uint8_t out[32])
{
    unsigned int len = 32;
    EVP_Digest(p, n, out, &len, EVP_sha256(), NULL);
}

char *
cq_sha256_hex(const void *p, size_t n, char *out)
{
    uint8_t d[32];
    cq_sha256(p, n, d);
    for (int i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", d[i]);
    return out;
}

uint64_t
cq_hash64(const void *p, size_t n, uint64_t seed)
{
    const uint8_t *b = p;
    uint64_t h = UINT64_C(14695981039346656037) ^ seed;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= UINT64_C(1099511628211);
    }
    //  final avalanche (splitmix64) so that low bits are usable mod S
    h ^= h >> 30;
    h *= UINT64_C(0xbf58476d1ce4e5b9);
    h ^= h >> 27;
    h *= UINT64_C(0x94d049bb133111eb);
    h ^= h >> 31;
    return h;
}
