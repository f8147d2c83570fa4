//  prelude.h: what every claimq source file includes first.
#ifndef CQ_PRELUDE_H
#define CQ_PRELUDE_H

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifndef CQ_VERSION
#define CQ_VERSION "0.0.0"
#endif

//  How strongly an invariant holds (SQLite's ALWAYS/NEVER): assert in debug
//  builds, but still take the defensive branch in release builds.
#ifndef NDEBUG
#define CQ_ALWAYS(x) ((x) ? 1 : (assert(0), 0))
#define CQ_NEVER(x) ((x) ? (assert(0), 1) : 0)
#else
#define CQ_ALWAYS(x) (x)
#define CQ_NEVER(x) (x)
#endif

#define CQ_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#if defined(__GNUC__)
#define CQ_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define CQ_PRINTF(f, a)
#endif

#endif
