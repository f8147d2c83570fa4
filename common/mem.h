//  mem.h: allocation that aborts on OOM (czmq, Redis), and a capped buffer.
#ifndef CQ_MEM_H
#define CQ_MEM_H

#include "prelude.h"

void *cq_xmalloc(size_t n);
void *cq_xcalloc(size_t count, size_t n);
void *cq_xrealloc(void *p, size_t n);
char *cq_xstrdup(const char *s);
char *cq_xstrndup(const char *s, size_t n);

//  A growable byte buffer with a hard cap (curl's dynbuf "toobig").
typedef struct {
    char *data; // NUL-terminated contents (always, when not NULL)
    size_t len; // bytes used, without the NUL
    size_t cap; // bytes allocated
    size_t max; // the buffer never grows past this many bytes
} cq_buf_t;

void cq_buf_init(cq_buf_t *b, size_t max);
void cq_buf_free(cq_buf_t *b);
void cq_buf_reset(cq_buf_t *b);
//  Appends; returns 0 or CQ_ETOOBIG (buffer unchanged) past the cap.
int cq_buf_add(cq_buf_t *b, const void *p, size_t n);
int cq_buf_addstr(cq_buf_t *b, const char *s);
int cq_buf_printf(cq_buf_t *b, const char *fmt, ...) CQ_PRINTF(2, 3);

//  Reads a whole file into *out (caller frees) if it is at most max bytes.
//  Returns 0, CQ_ETOOBIG, or CQ_EIO (errno kept).
int cq_read_file(const char *path, size_t max, char **out, size_t *len);

#endif
