//  review_html.h: the review station's pages (claimq review), rendered on
//  the server as plain HTML with one stylesheet (/app.css) and one script
//  (/app.js) of the station's own: nothing inline, nothing from elsewhere,
//  so the Content-Security-Policy can allow 'self' only.
//
//  Every text that comes from outside — claim values, ids, names, reasons,
//  what a person typed — is HTML-escaped (cq_rv_esc): claim values are
//  whatever a submitter put on a form. Pure: no I/O (unit-tested).
#ifndef CQ_REVIEW_HTML_H
#define CQ_REVIEW_HTML_H

#include "review_page.h"
#include "review_parse.h"
#include "review_rpc.h"

extern const char cq_rv_css[]; // /app.css
extern const char cq_rv_js[];  // /app.js

//  Who is signed in (NULL fields: nobody, the sign-in page).
typedef struct {
    const char *user; // the reviewer's name
    const char *csrf; // their session's CSRF token (64 hex digits)
} cq_rv_who_t;

//  Appends s with & < > " ' escaped and control characters as '?'.
void cq_rv_esc(cq_buf_t *b, const char *s);

//  The sign-in page; csrf: the sign-in token (its cookie's value); error:
//  why the last attempt failed, or NULL.
void cq_rv_html_signin(cq_buf_t *b, const char *csrf, const char *error);
//  A page that only says something (not found, refused...).
void cq_rv_html_message(cq_buf_t *b, const cq_rv_who_t *who, const char *title,
                        const char *text);
//  The queue: counts by kind, then the claims oldest first.
void cq_rv_html_queue(cq_buf_t *b, const cq_rv_who_t *who,
                      const cq_review_list_t *l, int64_t now_ms);

//  What the claim page shows.
typedef struct {
    const cq_review_claim_t *rc; // the claim, its pend, the earlier claim
    const cq_rv_page_t *page;    // its scanned page, or NULL (none: not a
                                 // scanned form, or it cannot be read)
    bool taken;                  // another reviewer holds the lock
    const char *holder;          // ... who (taken)
    int64_t expires_ms;          // when the lock ends (wall clock, ms)
    uint64_t token;              // our lock's token (not taken)
    const cq_rv_form_t *typed;   // values sent with a refused release, or
                                 // NULL: the page's own
    const char *error;           // why a release was refused, or NULL
} cq_rv_claim_view_t;

//  The claim page: taken by someone else (no form); a suspect duplicate
//  beside the earlier claim, with "Duplicate (reject)" and "Not a
//  duplicate (adjudicate)"; a scanned form with each field's zone over
//  the image and an input per field (the unsure ones first in tab order,
//  the first of them focused); or, without an image, the claim as it is.
void cq_rv_html_claim(cq_buf_t *b, const cq_rv_who_t *who,
                      const cq_rv_claim_view_t *v);

//  "HH:MM UTC" of a wall-clock time in ms.
void cq_rv_hhmm(int64_t ms, char *out, size_t size);

#endif
