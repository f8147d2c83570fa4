#include "err.h"

#include <stdarg.h>
#include <stdio.h>

const char *
cq_strerror(int rc)
{
    switch (rc) {
    case CQ_OK:
        return "ok";
    case CQ_EBUSY:
        return "resource busy";
    case CQ_ETIMEDOUT:
        return "timed out";
    case CQ_EIO:
        return "I/O error";
    case CQ_EUNREACH:
        return "peer unreachable";
    case CQ_ENOSPC:
        return "no space left (disk full or read-only)";
    case CQ_EPROTO:
        return "malformed input";
    case CQ_ETOOBIG:
        return "too big";
    case CQ_EINVAL:
        return "invalid value";
    case CQ_ENOTFOUND:
        return "not found";
    case CQ_EEXIST:
        return "already exists";
    case CQ_ESTALE:
        return "stale";
    case CQ_EUNSUPPORTED:
        return "unsupported";
    default:
        return "unknown error";
    }
}

int
cq_diag_set(cq_diag_t *diag, int code, size_t offset, const char *fmt, ...)
{
    if (diag == NULL || diag->code != 0)
        return code;
    diag->code = code;
    diag->offset = offset;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(diag->msg, sizeof diag->msg, fmt, ap);
    va_end(ap);
    return code;
}
