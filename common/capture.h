//  capture.h: traffic capture files (docs/loadtest.md): what a broker
//  started with --record received (documents, with batch, tenant, format,
//  arrival time) and decided, for `claimq replay` and `claimq capture`.
//
//  A capture holds patient data: it is created 0600 whatever the umask.
//
//  Layout (little-endian): a 32-byte header, then records.
//    header: "CQCAPTUR", u16 version (1), u16 header length (32), u32 file
//            sequence (0 for the first file, +1 at each rotation), u64
//            creation time (Unix ms), u32 reserved (0), u32 CRC-32C of the
//            28 bytes before it.
//    record: u32 sync (CQ_CAP_SYNC), u32 body length, u32 CRC-32C of the
//            body, body:
//              u8 type, u64 time (Unix ms), str batch, str tenant, then
//              document (1): str name, u32 position in its batch
//                (0-based), u32 first record, i32 received date
//                (days, CQ_DATE_NONE when none), u8 flags (bit 0: the
//                received date was set by the submitter), u8 format
//                (cq_doc_kind_t), u32 length, bytes
//              decision (2): u32 document position in its batch, u32 claim
//                index, u32 length, bytes (cq_decision_pack; 0 bytes: the
//                claim failed)
//            where str is a u16 length and its bytes (no NUL).
//  Every length is checked against its cap before anything is read. A
//  record whose checksum or contents are wrong is reported with its offset
//  and skipped: reading goes on at the next sync word that starts a good
//  record. A file cut short (a broker killed mid-write) ends at the last
//  whole record.
#ifndef CQ_CAPTURE_H
#define CQ_CAPTURE_H

#include "err.h"

#define CQ_CAP_VERSION 1
#define CQ_CAP_HEADER_LEN 32
#define CQ_CAP_SYNC 0x52514351u // "QCQR"
#define CQ_CAP_MAX_BODY ((64u << 20) + 4096u)
#define CQ_CAP_BATCH_LEN 64  // with the NUL (CQ_BATCH_ID_LEN)
#define CQ_CAP_TENANT_LEN 64 // with the NUL
#define CQ_CAP_NAME_LEN 256  // with the NUL (CQ_DOC_NAME_LEN)

typedef enum { CQ_CAP_DOC = 1, CQ_CAP_DECISION = 2 } cq_cap_type_t;

//  One record as read; data points into the reader's buffer.
typedef struct {
    uint64_t offset; // of the record in its file
    int type;        // cq_cap_type_t
    int64_t t_ms;    // Unix ms: when the broker received / decided it
    char batch[CQ_CAP_BATCH_LEN];
    char tenant[CQ_CAP_TENANT_LEN];
    //  document
    char name[CQ_CAP_NAME_LEN];
    uint32_t first_record;
    int32_t received_date;
    bool received_set;
    uint8_t format;
    //  decision
    uint32_t pos;   // (both) the document's position in its batch
    uint32_t index; // the claim's index in its document
    //  document bytes, or the packed decision (len 0: failed)
    const uint8_t *data;
    size_t len;
} cq_cap_rec_t;

typedef struct {
    uint32_t version, seq;
    int64_t created_ms;
} cq_cap_header_t;

//  ---- reading ---------------------------------------------------------------

typedef struct {
    const uint8_t *buf;
    size_t len;
    size_t at;            // next byte to read
    cq_cap_header_t head; // valid after cq_cap_begin
    uint64_t corrupt;     // records skipped so far
    bool truncated;       // the buffer ends inside a record
} cq_cap_reader_t;

//  Starts reading buf (a whole file: borrowed). Returns 0, or CQ_EPROTO /
//  CQ_EUNSUPPORTED (a newer version) with diag saying why.
int cq_cap_begin(cq_cap_reader_t *r, const uint8_t *buf, size_t len,
                 cq_diag_t *diag);
//  The next record. Returns 1 (rec filled), 0 (the end: r->truncated says
//  whether the file was cut inside a record, diag names the offset), or
//  CQ_EPROTO: a record at diag->offset is corrupt (diag says how) and was
//  skipped; call again for the ones after it.
int cq_cap_next(cq_cap_reader_t *r, cq_cap_rec_t *rec, cq_diag_t *diag);

//  ---- writing ---------------------------------------------------------------

typedef struct cq_cap_writer cq_cap_writer_t;

//  Opens path for appending (created 0600; an existing capture is appended
//  to after its header is checked). When the file would grow past
//  max_bytes, it is renamed path.1 (path.1 to path.2 ..., keeping `keep`
//  files in all, the oldest deleted) and a new one is started. Returns NULL
//  with diag naming the file (CQ_EIO, CQ_EPROTO: not a capture).
cq_cap_writer_t *cq_cap_writer_open(const char *path, uint64_t max_bytes,
                                    uint32_t keep, cq_diag_t *diag);
//  Appends one record (buffered; rec->offset is ignored). Returns 0,
//  CQ_ETOOBIG (over a cap: nothing written) or CQ_EIO (the file is
//  closed: every later call fails the same way).
int cq_cap_write(cq_cap_writer_t *w, const cq_cap_rec_t *rec);
//  Writes what is buffered to the file (no fsync). Returns 0 or CQ_EIO.
int cq_cap_flush(cq_cap_writer_t *w);
//  Records and bytes written since open, rotations.
void cq_cap_writer_stats(const cq_cap_writer_t *w, uint64_t *records,
                         uint64_t *bytes, uint32_t *rotations);
void cq_cap_writer_close(cq_cap_writer_t **w_p);

//  CRC-32C (Castagnoli) of p[0..n), continuing from crc (0 to start).
uint32_t cq_crc32c(uint32_t crc, const void *p, size_t n);

#endif
