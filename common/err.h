//  err.h: one error enum for the project, and a diagnostic for decoders.
#ifndef CQ_ERR_H
#define CQ_ERR_H

#include "prelude.h"

//  0 is success. Retryable failures (-1..-19) are kept apart from content
//  failures (-20..) so a dispatcher can decide from the code alone.
typedef enum {
    CQ_OK = 0,
    //  retryable: the same input may succeed later
    CQ_EBUSY = -1,     // resource busy (SQLite busy, peer queue full)
    CQ_ETIMEDOUT = -2, // timed out
    CQ_EIO = -3,       // I/O error (disk, socket)
    CQ_EUNREACH = -4,  // peer unreachable
    CQ_ENOSPC = -5,    // no space (journal or ledger disk full, read-only)
    //  not retryable: the input itself is wrong
    CQ_EPROTO = -20,       // malformed input (frame, file, field)
    CQ_ETOOBIG = -21,      // a size over its cap
    CQ_EINVAL = -22,       // invalid argument or value
    CQ_ENOTFOUND = -23,    // no such thing
    CQ_EEXIST = -24,       // already exists
    CQ_ESTALE = -25,       // stale lease / version
    CQ_EUNSUPPORTED = -26, // recognised but not supported
} cq_err_t;

#define CQ_ERR_RETRYABLE(rc) ((rc) < 0 && (rc) > -20)

//  Returns a short static name for an error code ("malformed input").
const char *cq_strerror(int rc);

//  Where and why a decoder failed. msg names the field or segment; it never
//  carries patient data (it may be logged).
typedef struct {
    int code;      // cq_err_t
    size_t offset; // byte offset, segment number or line number of the error
    char msg[256]; // human-readable, names the field: "total_charge: ..."
} cq_diag_t;

//  Sets diag (if not NULL and not yet set) and returns code. Later calls do
//  not overwrite the first error.
int cq_diag_set(cq_diag_t *diag, int code, size_t offset, const char *fmt, ...)
    CQ_PRINTF(4, 5);

#endif
