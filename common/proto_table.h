//  proto_table.h: the messages of schemas/proto.md as data.
//
//  Every message body, and every structure a body nests (a claim, a
//  decision, a service line, a queue item...), is one table: its fields in
//  wire order, each with its msgpack type, where it lives in the C struct,
//  and its limit. proto.c's encoders, decoders and limit checks are one
//  walk over these tables (proto_codec.c); test_proto checks
//  schemas/proto.md's tables against them, so the document, the encoder
//  and the decoder cannot drift apart.
//
//  Adding a field to a message is adding a row (appended, with `since`:
//  see section 3 of proto.md). A rule no row can say (one field bounded by
//  another) is the table's `check`.
//
//  This header is for proto.c, proto_codec.c and tests; programs use the
//  cq_proto_X_* functions of proto.h.
#ifndef CQ_PROTO_TABLE_H
#define CQ_PROTO_TABLE_H

#include "proto.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    CQ_PT_UINT,   // uint of `size` bytes in C, 0..max
    CQ_PT_INT,    // int of `size` bytes, min..max
    CQ_PT_BOOL,   // bool
    CQ_PT_STR,    // str into char[size] (shorter than size)
    CQ_PT_CHAR,   // str of 0 or 1 printable ASCII character, into a char
    CQ_PT_DATE,   // int: a date (int32_t), or none
    CQ_PT_BIN,    // bin: a view (const uint8_t *) at off, its length (size_t)
                  // at aux; at most max bytes (CQ_PTF_NIL: bin or nil)
    CQ_PT_NIL,    // (reserved): nil; whatever is there is skipped
    CQ_PT_STRUCT, // array: sub's fields, a struct at off
    CQ_PT_ARRAY,  // array of sub: elements of `size` bytes at off (or a
                  // pointer to them, CQ_PTF_ALLOC), the count at aux
    CQ_PT_STRS,   // array of str: char[max][size] at off, the count at aux
    CQ_PT_UINTS,  // array of uint: elements of `size` bytes at off, count at
                  // aux (no count field: exactly max of them)
    CQ_PT_ITEMS,  // array read item by item (cq_items_t at off); encoding
                  // stops there (X_begin / X_add / X_end)
    CQ_PT_CUSTOM, // encoded and decoded by its own functions
} cq_pt_type_t;

enum {
    CQ_PTF_NIL = 1,   // CQ_PT_BIN: nil stands for none
    CQ_PTF_ALLOC = 2, // CQ_PT_ARRAY: decoded into an allocation (freed by
                      // the message's free function)
    CQ_PTF_CLAMP = 4, // CQ_PT_INT: a value below min is sent as min
};

typedef struct cq_pt_msg cq_pt_msg_t;

//  The walker's opcode: the type, and for an integer its C width as well
//  (so that one switch does both). The row macros set it.
#define CQ_PT_W(sz) ((sz) == 1 ? 0 : (sz) == 2 ? 1 : (sz) == 4 ? 2 : 3)
#define CQ_PT_OP(ty, sz)                                                       \
    ((uint8_t)((ty)*4 +                                                        \
               ((ty) == CQ_PT_UINT || (ty) == CQ_PT_INT ? CQ_PT_W(sz) : 0)))

typedef struct {
    const char *what;       // its name in proto.md and in diagnostics
    uint8_t type;           // cq_pt_type_t
    uint8_t op;             // CQ_PT_OP(type, size): what the walker switches on
    uint8_t flags;          // CQ_PTF_*
    uint8_t cw;             // arrays: bytes of the count field (0: none)
    uint16_t since;         // 0: required; else read only from a body of at
                            // least `since` fields (appended in version 1)
    uint32_t size;          // bytes of the C field (arrays: of an element)
    uint32_t off;           // offsetof the field
    uint32_t aux;           // arrays: offsetof the count; bins: of the length
    int64_t min;            // INT: the least; arrays: the fewest elements
    uint64_t max;           // UINT, INT: the most; arrays: elements; BIN: bytes
    const cq_pt_msg_t *sub; // STRUCT, ARRAY: the element's table
    bool (*ok)(const char *s); // STR: the value's rule (NULL: any)
    void (*enc)(cq_mpw_t *w, const void *m); // CUSTOM (m: the message)
    void (*dec)(cq_cur_t *c, void *m);       // CUSTOM
} cq_pt_field_t;

struct cq_pt_msg {
    const char *name;       // "READY", or a structure's "claim", "line"
    const cq_pt_field_t *f; // its fields, in wire order
    uint16_t n;             // fields
    uint16_t need;          // the fewest fields a body may have
    uint32_t size;          // sizeof the C struct
    //  Rules across fields, after decoding: the name of a field that
    //  breaks one, or NULL.
    const char *(*check)(const void *m);
    //  Fields to encode, when a tail is sent only with some values (a
    //  released claim's review fields); NULL: all n.
    uint16_t (*count)(const void *m);
};

//  The body table of a command (NULL for none or an unknown one), and the
//  table of a nested structure by name ("claim", "decision", "line",
//  "qitem", ...; NULL when none).
const cq_pt_msg_t *cq_proto_table(int cmd);
const cq_pt_msg_t *cq_proto_struct_table(const char *name);

//  The walk (proto_codec.c). Encode a whole body (resetting w), or its
//  head up to its items (returns cq_mpw_array_open's mark) and, after the
//  items, its tail.
void cq_pt_encode(cq_mpw_t *w, const cq_pt_msg_t *t, const void *m);
size_t cq_pt_begin(cq_mpw_t *w, const cq_pt_msg_t *t, const void *m);
void cq_pt_end(cq_mpw_t *w, const cq_pt_msg_t *t, size_t at, uint32_t n_items,
               const void *m);
//  A nested structure: one array (no reset).
void cq_pt_encode_struct(cq_mpw_t *w, const cq_pt_msg_t *t, const void *m);

//  Decodes a whole body into m (every field described is written; the
//  caller clears what else it wants cleared). On an error the arrays'
//  counts, items and bins are emptied and allocations freed. Returns 0 or
//  the error (diag says where).
int cq_pt_decode(const uint8_t *p, size_t n, const cq_pt_msg_t *t, void *m,
                 cq_diag_t *diag);
//  A nested structure at the cursor (errors stay in c).
void cq_pt_decode_struct(cq_cur_t *c, const cq_pt_msg_t *t, void *m,
                         const char *what);
//  A one-character str ("" is 0), and a date (or none): read as the rows
//  CQ_PT_CHAR and CQ_PT_DATE are.
char cq_pt_cur_char(cq_cur_t *c, const char *what);
int32_t cq_pt_cur_date(cq_cur_t *c, const char *what);
//  Empties t's arrays, items and bins in m, and frees its allocations.
void cq_pt_undo(const cq_pt_msg_t *t, void *m);

#endif
