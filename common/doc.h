//  doc.h: a submitted document (a file's bytes) to claims, whatever its
//  format: X12 837, claim JSON / JSON Lines, or a scanned form image.
//  The format is sniffed from the content, not the file name.
#ifndef CQ_DOC_H
#define CQ_DOC_H

#include "claim_json.h"

typedef enum {
    CQ_DOC_UNKNOWN = 0,
    CQ_DOC_JSON = 1,  // '{' or '[' first (after whitespace / BOM)
    CQ_DOC_X12 = 2,   // "ISA" first (after whitespace / BOM)
    CQ_DOC_IMAGE = 3, // PNG, JPEG or TIFF magic
} cq_doc_kind_t;

cq_doc_kind_t cq_doc_sniff(const uint8_t *buf, size_t len);
const char *cq_doc_kind_name(cq_doc_kind_t k);

//  Decodes a document of any text kind (JSON, X12) into claims passed to
//  fn (see claim_json.h). received_default is stamped on claims that carry
//  no received date (X12 never does). Images need the OCR engine: use
//  worker/ocr.h; here they return CQ_EUNSUPPORTED.
//  Returns the number of claims (>= 0), fn's nonzero value, or an error
//  with diag saying why the whole document is unusable.
int cq_doc_decode(const uint8_t *buf, size_t len, int32_t received_default,
                  cq_claim_fn *fn, void *arg, cq_diag_t *diag);

//  Scopes an unreadable record's placeholder id "#<n>" by its document:
//  "#<8 hex of SHA-256(document)>:<n>", so that the same "#1" in two
//  documents is two claim keys while the same document sent again keeps
//  its ids. cq_doc_decode does this itself; decoders used directly (OCR)
//  call it. tag caches the document's hash between calls (char[9], "" at
//  first). Claims with a real id are left alone.
void cq_doc_scope_id(const uint8_t *doc, size_t len, char tag[9],
                     cq_claim_t *c);

#endif
