//  limit.c: the limits' names and their refusal counters (limit.h).
#include "limit.h"

#include "prelude.h"

static const cq_limit_info_t s_info[CQ_LIMIT__COUNT] = {
    [CQ_LIMIT_FRAME] = {"frame", CQ_PROTO_MAX_FRAME,
                        "bytes in one wire frame (the default --max-frame)"},
    [CQ_LIMIT_MESSAGE_FIELD] = {"message_field", 0,
                                "a message's array, string, part count or "
                                "nesting (each its own cap)"},
    [CQ_LIMIT_X12_DOC] = {"x12_document", CQ_X12_MAX_DOC,
                          "bytes in one X12 document"},
    [CQ_LIMIT_X12_SEGMENTS] = {"x12_segments", CQ_X12_MAX_SEGMENTS,
                               "segments in one X12 document"},
    [CQ_LIMIT_X12_SEGMENT] = {"x12_segment", CQ_X12_MAX_SEGMENT_LEN,
                              "bytes in one X12 segment"},
    [CQ_LIMIT_X12_ELEMENTS] = {"x12_elements", CQ_X12_MAX_ELEMENTS,
                               "elements in one X12 segment"},
    [CQ_LIMIT_X12_ELEMENT] = {"x12_element", CQ_X12_MAX_ELEMENT_LEN,
                              "bytes in one X12 element"},
    [CQ_LIMIT_X12_ENVELOPES] = {"x12_envelopes", CQ_X12_MAX_SETS,
                                "ISA, GS or ST envelopes in one document"},
    [CQ_LIMIT_JSON_DOC] = {"json_document", CQ_JSON_MAX_DOC,
                           "bytes in one JSON document"},
    [CQ_LIMIT_JSON_LINE] = {"json_line", CQ_JSON_MAX_LINE,
                            "bytes in one JSON Lines record"},
    [CQ_LIMIT_JSON_DEPTH] = {"json_depth", CQ_JSON_MAX_DEPTH,
                             "levels of JSON nesting"},
    [CQ_LIMIT_CLAIM_LINES] = {"claim_lines", CQ_MAX_LINES,
                              "service lines in one claim"},
    [CQ_LIMIT_IMAGE_FILE] = {"image_file", CQ_OCR_MAX_FILE,
                             "bytes in one image or PDF file"},
    [CQ_LIMIT_IMAGE_PIXELS] = {"image_pixels", CQ_OCR_MAX_PIXELS,
                               "pixels in one page (12,000 a side)"},
    [CQ_LIMIT_IMAGE_PAGES] = {"image_pages", CQ_OCR_MAX_PAGES,
                              "pages in one image or PDF file"},
    [CQ_LIMIT_PDF_OBJECTS] = {"pdf_objects", 0,
                              "PDF object numbers (length / 8 + 10,000)"},
};

static uint64_t s_hits[CQ_LIMIT__COUNT];

const cq_limit_info_t *
cq_limit_info(cq_limit_t limit)
{
    if (CQ_NEVER((unsigned)limit >= CQ_LIMIT__COUNT))
        limit = CQ_LIMIT_FRAME;
    return &s_info[limit];
}

void
cq_limit_hit(cq_limit_t limit)
{
    if (CQ_NEVER((unsigned)limit >= CQ_LIMIT__COUNT))
        return;
    __atomic_fetch_add(&s_hits[limit], 1, __ATOMIC_RELAXED);
}

uint64_t
cq_limit_hits(cq_limit_t limit)
{
    if ((unsigned)limit >= CQ_LIMIT__COUNT)
        return 0;
    return __atomic_load_n(&s_hits[limit], __ATOMIC_RELAXED);
}
