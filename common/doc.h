//  doc.h: a submitted document (a file's bytes) to claims, whatever its
//  format: X12 837, claim JSON / JSON Lines, or a scanned form image.
//  The format is sniffed from the content, not the file name.
#ifndef CQ_DOC_H
#define CQ_DOC_H

#include "claim_json.h"
#include "x12.h"

typedef enum {
    CQ_DOC_UNKNOWN = 0,
    CQ_DOC_JSON = 1,  // '{' or '[' first (after whitespace / BOM)
    CQ_DOC_X12 = 2,   // "ISA" first (after whitespace / BOM)
    CQ_DOC_IMAGE = 3, // PNG, JPEG, TIFF or PDF magic (scanned forms)
} cq_doc_kind_t;

cq_doc_kind_t cq_doc_sniff(const uint8_t *buf, size_t len);
const char *cq_doc_kind_name(cq_doc_kind_t k);

//  Decodes a document of any text kind (JSON, X12) into claims passed to
//  fn (see claim_json.h). received_default is stamped on claims that carry
//  no received date (X12 never does). Images need the OCR engine: use
//  ocr/ocr.h; here they return CQ_EUNSUPPORTED.
//  Returns the number of claims (>= 0), fn's nonzero value, or an error
//  with diag saying why the whole document is unusable.
int cq_doc_decode(const uint8_t *buf, size_t len, int32_t received_default,
                  cq_claim_fn *fn, void *arg, cq_diag_t *diag);

//  What a document says besides its claims: for X12, the transaction sets
//  refused as a whole (their claims never reach fn) and the 999 that
//  answers every interchange, accepted ones too.
typedef struct {
    //  in
    cq_buf_t *ack;             // where the 999 is appended (NULL: not
                               // wanted); its cap bounds the 999
    cq_x12_envelope_t ack_env; // the 999's envelope (control numbers,
                               // date...); {0}: the defaults
    //  out
    cq_doc_kind_t kind;      // what the document was sniffed as
    uint32_t sets;           // X12 transaction sets received
    uint32_t refused_sets;   // of which refused as a whole
    uint32_t refused_claims; // CLM segments in the refused sets
    int ack_status;          // 0, or why no 999 was appended (CQ_ETOOBIG:
                             // over ack's cap; ack is then left as it was)
} cq_doc_answer_t;

//  cq_doc_decode, and what the document says besides its claims into ans
//  (may be NULL: then it is cq_doc_decode). Non-X12 documents leave the
//  counts 0 and ack untouched. The 999 is written even when the whole
//  document is refused (every set failed, or it is an 835 in a claims
//  feed), as long as its interchanges could be read.
int cq_doc_decode_answer(const uint8_t *buf, size_t len,
                         int32_t received_default, cq_claim_fn *fn, void *arg,
                         cq_doc_answer_t *ans, cq_diag_t *diag);

//  Scopes an unreadable record's placeholder id "#<n>" by its document:
//  "#<8 hex of SHA-256(document)>:<n>", so that the same "#1" in two
//  documents is two claim keys while the same document sent again keeps
//  its ids. cq_doc_decode does this itself; decoders used directly (OCR)
//  call it. tag caches the document's hash between calls (char[9], "" at
//  first). Claims with a real id are left alone.
void cq_doc_scope_id(const uint8_t *doc, size_t len, char tag[9],
                     cq_claim_t *c);

#endif
