//  limit.h: every size claimq accepts from outside, in one place. Each is
//  checked before anything is allocated for what the input declares; over
//  one, the input gets a clear refusal naming the limit (a 999 for an X12
//  set, a rejected claim for a record or an image, an ERROR or a dropped
//  frame on the wire) and the limit's counter moves (cq_limit_hit; the
//  programs export the counters as claimq_*_limit_refusals_total{limit}).
//  schemas/proto.md sections 4 and 4.1 document the same numbers; a test
//  (test_limit) holds the two together.
//
//  The old names stay (CQ_PROTO_MAX_FRAME, CQ_X12_MAX_SEGMENT_LEN, ...):
//  they are defined here and nowhere else.
#ifndef CQ_LIMIT_H
#define CQ_LIMIT_H

#include <stddef.h>
#include <stdint.h>

//  the wire (schemas/proto.md section 4)
#define CQ_PROTO_MAX_FRAME (64u << 20) // bytes in any frame, documents too
#define CQ_PROTO_MAX_DOCS 256          // documents per SUBMIT
#define CQ_PROTO_MAX_ITEMS 4096        // claims / decisions per message

//  the peer link between the two brokers of a pair (broker/peer.c)
#define CQ_PEER_MAX_FRAME (256u << 20) // bytes in a peer frame (a PEER_GROUP)
#define CQ_PEER_MAX_CHUNK (1u << 20)   // bytes of a file in one PEER_SNAP
#define CQ_PEER_NAME_LEN 32            // a snapshot file's name, with NUL

//  X12 documents
#define CQ_X12_MAX_DOC (1024u << 20)    // bytes in one document (1 GiB)
#define CQ_X12_MAX_SEGMENTS (64u << 20) // segments in one document
#define CQ_X12_MAX_SEGMENT_LEN 4096     // bytes in one segment
#define CQ_X12_MAX_ELEMENTS 64          // elements in one segment
#define CQ_X12_MAX_ELEMENT_LEN 512      // bytes in one element
#define CQ_X12_MAX_INTERCHANGES 10000   // ISA per document
#define CQ_X12_MAX_GROUPS 100000        // GS per document
#define CQ_X12_MAX_SETS 1000000         // ST per document

//  JSON documents
#define CQ_JSON_MAX_DOC (256u << 20) // a JSON document is at most 256 MiB
#define CQ_JSON_MAX_LINE (1u << 20)  // one JSON Lines record is at most 1 MiB
#define CQ_JSON_MAX_DEPTH 2048       // nesting, as jansson's parser allows

//  a claim, whatever its source
#define CQ_MAX_LINES 50    // service lines (2400 loop repeat, X12 IG)
#define CQ_MAX_DX 12       // diagnoses (HI / box 21 A-L)
#define CQ_MAX_MODIFIERS 4 // SV101-3..6
#define CQ_ID_LEN 40       // claim ids (CLM01 is AN 1-38), payer, member ids
#define CQ_NAME_LEN 64     // person / organisation names
#define CQ_CODE_LEN 12     // procedure / revenue / ICD-10 codes
//  A release's audit trail (claimq review), JSON with its NUL: the
//  reviewer, the action and every changed field, old -> new. A CMS-1500
//  keyed in whole (schemas/forms/cms1500.json: 26 fields and 6 service
//  lines of 9, 80 fields) at the template's widths is 5,062 bytes of
//  changes (4,405 when every old value is blank) and a 100-byte header:
//  over the former 4 KiB, a third of this
#define CQ_REVIEW_AUDIT_LEN (16u << 10)

//  images and PDFs (a worker's defaults, ocr/ocr.h)
#define CQ_OCR_MAX_FILE (64u << 20) // bytes in one image or PDF file
#define CQ_OCR_MAX_PIXELS 40000000u // pixels per page (600 dpi letter)
#define CQ_OCR_MAX_DIM 12000        // width or height of a page
#define CQ_OCR_MAX_PAGES 50         // pages per file
#define CQ_PDF_MAX_OBJECTS(len) ((len) / 8 + 10000) // object numbers, /Size

//  configuration files (conf.h)
#define CQ_CONF_MAX_BYTES (1u << 20)
#define CQ_CONF_MAX_LINE 4096
#define CQ_CONF_MAX_ENTRIES 10000

//  The limits with a refusal counter, for cq_limit_hit.
typedef enum {
    CQ_LIMIT_FRAME,         // a wire frame over --max-frame
    CQ_LIMIT_MESSAGE_FIELD, // a message's array, string, part count or
                            // nesting over its cap (schemas/proto.md 4)
    CQ_LIMIT_X12_DOC,       // an X12 document over 1 GiB
    CQ_LIMIT_X12_SEGMENTS,  // more segments than the cap
    CQ_LIMIT_X12_SEGMENT,   // a segment over 4,096 bytes
    CQ_LIMIT_X12_ELEMENTS,  // more than 64 elements in a segment
    CQ_LIMIT_X12_ELEMENT,   // an element over 512 bytes
    CQ_LIMIT_X12_ENVELOPES, // ISA / GS / ST per document
    CQ_LIMIT_JSON_DOC,      // a JSON document over 256 MiB
    CQ_LIMIT_JSON_LINE,     // a JSON Lines record over 1 MiB
    CQ_LIMIT_JSON_DEPTH,    // nesting deeper than 2,048
    CQ_LIMIT_CLAIM_LINES,   // more than 50 service lines
    CQ_LIMIT_IMAGE_FILE,    // an image or PDF file over 64 MiB
    CQ_LIMIT_IMAGE_PIXELS,  // a page over 12,000 a side or 40 Mpixels
    CQ_LIMIT_IMAGE_PAGES,   // more than 50 pages
    CQ_LIMIT_PDF_OBJECTS,   // a PDF's object numbers past its size
    CQ_LIMIT__COUNT
} cq_limit_t;

typedef struct {
    const char *name; // the metric's label: "x12_segment"
    uint64_t value;   // the limit (0 where it depends on the input)
    const char *what; // "bytes in one X12 segment"
} cq_limit_info_t;

//  The table, indexed by cq_limit_t.
const cq_limit_info_t *cq_limit_info(cq_limit_t limit);

//  Counts one refusal for limit (thread-safe; a process-wide counter).
void cq_limit_hit(cq_limit_t limit);

//  Refusals counted for limit since the process started.
uint64_t cq_limit_hits(cq_limit_t limit);

#endif
