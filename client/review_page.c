//  review_page.c: a pended claim's page as the station shows it
//  (review_page.h).
#include "review_page.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
cq_rv_page_free(cq_rv_page_t *pg)
{
    cq_buf_free(&pg->png);
    free(pg->f);
    memset(pg, 0, sizeof *pg);
}

bool
cq_rv_png_size(const void *png, size_t len, int *w, int *h)
{
    //  signature, then the IHDR chunk: length, "IHDR", width, height
    static const unsigned char sig[8] = {0x89, 'P',  'N',  'G',
                                         '\r', '\n', 0x1a, '\n'};
    const unsigned char *p = png;
    if (p == NULL || len < 24 || memcmp(p, sig, 8) != 0 ||
        memcmp(p + 12, "IHDR", 4) != 0)
        return false;
    uint32_t pw = (uint32_t)p[16] << 24 | (uint32_t)p[17] << 16 |
                  (uint32_t)p[18] << 8 | p[19];
    uint32_t ph = (uint32_t)p[20] << 24 | (uint32_t)p[21] << 16 |
                  (uint32_t)p[22] << 8 | p[23];
    if (pw == 0 || ph == 0 || pw > 1000000 || ph > 1000000)
        return false;
    *w = (int)pw;
    *h = (int)ph;
    return true;
}

//  A pend reason "NAME: why" names the field NAME.
static bool
s_named(const cq_claim_t *c, const char *name)
{
    if (c == NULL)
        return false;
    size_t n = strlen(name);
    for (uint8_t i = 0; i < c->n_pend && i < CQ_MAX_PEND; i++)
        if (strncmp(c->pend_fields[i], name, n) == 0 &&
            c->pend_fields[i][n] == ':')
            return true;
    return false;
}

int
cq_rv_page_from_ocr(cq_rv_page_t *pg, cq_ocr_t *ocr, const cq_claim_t *pended)
{
    memset(pg, 0, sizeof *pg);
    const cq_ocr_page_t *p = cq_ocr_page(ocr);
    double scale = 1;
    //  a page is at most 12000 pixels a side: its PNG well under 64 MiB
    cq_buf_init(&pg->png, 64u << 20);
    if (cq_ocr_page_png(ocr, CQ_RV_PAGE_WIDTH, &pg->png, &scale) != 0 ||
        !cq_rv_png_size(pg->png.data, pg->png.len, &pg->png_w, &pg->png_h)) {
        cq_rv_page_free(pg);
        return CQ_EIO;
    }
    pg->registered = p->registered;
    pg->n = p->n_fields;
    pg->f = cq_xcalloc(p->n_fields ? p->n_fields : 1, sizeof *pg->f);
    for (size_t i = 0; i < p->n_fields; i++) {
        const cq_ocr_field_t *r = &p->fields[i];
        cq_rv_field_t *f = &pg->f[i];
        cq_strlcpy(f->name, r->def->name, sizeof f->name);
        cq_strlcpy(f->box, r->def->box, sizeof f->box);
        //  a value that did not validate is shown as read, to be mended
        const char *v = r->blank ? "" : r->valid ? r->value : r->raw;
        cq_strlcpy(f->value, p->registered ? v : "", sizeof f->value);
        f->conf = p->registered ? r->conf : -1;
        f->unsure = !p->registered || r->status == CQ_OCR_PEND ||
                    s_named(pended, f->name);
        f->reason = p->registered ? r->reason : NULL;
        if (p->registered && r->box_x >= 0 && r->box_w > 0 && r->box_h > 0) {
            f->x = (int)(r->box_x * scale);
            f->y = (int)(r->box_y * scale);
            f->w = (int)(r->box_w * scale + 0.5);
            f->h = (int)(r->box_h * scale + 0.5);
        } else {
            f->x = f->y = f->w = f->h = -1;
        }
    }
    return 0;
}

static char *
s_dump(json_t *a, size_t max)
{
    char *s = json_dumps(a, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (s != NULL && strlen(s) > max) {
        free(s);
        s = NULL;
    }
    return s;
}

static json_t *
s_change(const char *field, const char *old, const char *new_value)
{
    return json_pack("{s:s, s:s, s:s}", "field", field, "old", old, "new",
                     new_value);
}

char *
cq_rv_changes(const cq_rv_page_t *pg, const char *const *values, size_t max)
{
    json_t *all = json_array();
    json_t *fixed = json_array(); // changes of a value the OCR read
    cq_buf_t keyed, names;        // fields keyed into a blank; all changed
    cq_buf_init(&keyed, 1u << 20);
    cq_buf_init(&names, 1u << 20);
    size_t n_changed = 0;
    for (size_t i = 0; i < pg->n; i++) {
        const char *old = pg->f[i].value;
        const char *v = values[i] ? values[i] : "";
        if (strcmp(old, v) == 0)
            continue;
        json_t *c = s_change(pg->f[i].name, old, v);
        if (c == NULL)
            continue; // not UTF-8: the station sends only what it parsed
        json_array_append(all, c);
        if (old[0] != '\0')
            json_array_append(fixed, c);
        else
            cq_buf_printf(&keyed, "%s%s", keyed.len ? ", " : "", pg->f[i].name);
        json_decref(c);
        cq_buf_printf(&names, "%s%s", names.len ? ", " : "", pg->f[i].name);
        n_changed++;
    }
    char *out = s_dump(all, max);
    if (out == NULL && keyed.len > 0) {
        json_array_append_new(
            fixed, s_change("(keyed in)", "", keyed.data ? keyed.data : ""));
        out = s_dump(fixed, max);
    }
    if (out == NULL) {
        //  the names alone, cut to fit: the values are in the claim
        char head[48];
        snprintf(head, sizeof head, "%zu fields: ", n_changed);
        size_t room = max > 64 ? max - 64 - strlen(head) : 0;
        char *txt = cq_xmalloc(strlen(head) + room + 1);
        snprintf(txt, strlen(head) + room + 1, "%s%s", head,
                 names.data ? names.data : "");
        json_t *one = json_array();
        json_array_append_new(one, s_change("(changed)", "", txt));
        out = s_dump(one, max);
        json_decref(one);
        free(txt);
    }
    cq_buf_free(&keyed);
    cq_buf_free(&names);
    json_decref(fixed);
    json_decref(all);
    return out;
}
