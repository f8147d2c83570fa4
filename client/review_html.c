//  review_html.c: the review station's pages (review_html.h).
#include "review_html.h"
#include "fmt.h"
#include "date.h"
#include "decision.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

//  ---- the stylesheet and the script ------------------------------------

const char cq_rv_css[] =
    "body{font-family:sans-serif;margin:0;background:#f6f6f6;color:#222}\n"
    "header{background:#234;color:#fff;padding:.5em 1em;display:flex;"
    "align-items:center;gap:1.5em}\n"
    "header a{color:#fff;font-weight:bold;text-decoration:none}\n"
    "header form{margin:0}\n"
    "main{padding:.5em 1em 2em}\n"
    "h1{font-size:1.5em;margin:.4em 0}\n"
    "table{border-collapse:collapse;background:#fff}\n"
    "td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left;"
    "vertical-align:top}\n"
    "thead th{background:#e8ecf0}\n"
    ".err{color:#a00;font-weight:bold}\n"
    ".note{color:#555}\n"
    "kbd{border:1px solid #999;border-radius:3px;padding:0 .3em;"
    "background:#fff;font-size:.9em}\n"
    "#layout{display:flex;gap:1em;align-items:flex-start}\n"
    "#scanbox{flex:1 1 58%;min-width:0;background:#fff;border:1px solid "
    "#999;position:sticky;top:.5em}\n"
    "#scanbox svg{display:block;width:100%;height:auto}\n"
    "#fieldsbox{flex:1 1 42%;min-width:0;max-height:calc(100vh - 9em);"
    "overflow:auto}\n"
    "rect.box{fill:none;stroke:#06c;stroke-width:2}\n"
    "rect.box.unsure{stroke:#d00;stroke-width:4}\n"
    "rect.box.active{fill:rgba(255,220,0,.35);stroke:#f80;stroke-width:5}\n"
    "#fields th{font-weight:normal;white-space:nowrap}\n"
    "#fields small{color:#666}\n"
    "tr.unsure th{background:#fdd;font-weight:bold}\n"
    "tr.done th{background:#dfd}\n"
    "input.field{font-family:monospace;width:14em}\n"
    "#taken{background:#fec;padding:1em;border:1px solid #c90}\n"
    "table.compare td.same{background:#fde8c8}\n"
    "#scanbox img{display:block;width:100%;height:auto}\n"
    "button{margin:.5em .5em .5em 0;padding:.4em 1em}\n"
    "header button{margin:0;padding:.2em .8em}\n";

//  Enter confirms a field and goes to the next one in tab order (the
//  unsure fields come first); Ctrl+Enter releases; on a suspect
//  duplicate, D and N choose. A field's zone lights up on the image while
//  the field has the focus, and clicking a zone focuses its field.
const char cq_rv_js[] =
    "'use strict';\n"
    "document.addEventListener('DOMContentLoaded', function () {\n"
    "  var form = document.getElementById('release');\n"
    "  if (!form) return;\n"
    "  var inputs = Array.prototype.slice.call(\n"
    "      form.querySelectorAll('input.field'));\n"
    "  inputs.sort(function (a, b) { return a.tabIndex - b.tabIndex; });\n"
    "  function zone(i) {\n"
    "    return document.querySelector('rect[data-field=\"' +\n"
    "                                  i.dataset.field + '\"]');\n"
    "  }\n"
    "  function release() {\n"
    "    var b = document.getElementById('release-btn');\n"
    "    if (b) b.click();\n"
    "  }\n"
    "  inputs.forEach(function (i, k) {\n"
    "    i.addEventListener('focus', function () {\n"
    "      var r = zone(i);\n"
    "      if (r) r.classList.add('active');\n"
    "    });\n"
    "    i.addEventListener('blur', function () {\n"
    "      var r = zone(i);\n"
    "      if (r) r.classList.remove('active');\n"
    "    });\n"
    "    i.addEventListener('keydown', function (e) {\n"
    "      if (e.key !== 'Enter' || e.ctrlKey || e.metaKey) return;\n"
    "      e.preventDefault();\n"
    "      i.closest('tr').classList.add('done');\n"
    "      var n = inputs[k + 1];\n"
    "      if (n) { n.focus(); n.select(); }\n"
    "      else { var b = document.getElementById('release-btn');\n"
    "             if (b) b.focus(); }\n"
    "    });\n"
    "  });\n"
    "  document.querySelectorAll('rect.box').forEach(function (r) {\n"
    "    r.addEventListener('click', function () {\n"
    "      var i = document.getElementById('f-' + r.dataset.field);\n"
    "      if (i) { i.focus(); i.select(); }\n"
    "    });\n"
    "  });\n"
    "  document.addEventListener('keydown', function (e) {\n"
    "    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {\n"
    "      e.preventDefault();\n"
    "      release();\n"
    "      return;\n"
    "    }\n"
    "    if (e.ctrlKey || e.metaKey || e.altKey) return;\n"
    "    var pick = e.key === 'd' || e.key === 'D' ? 'dup-btn'\n"
    "             : e.key === 'n' || e.key === 'N' ? 'notdup-btn' : null;\n"
    "    var b = pick && document.getElementById(pick);\n"
    "    if (b) { e.preventDefault(); b.click(); }\n"
    "  });\n"
    "  var first = document.querySelector('input.field[autofocus]') ||\n"
    "              inputs[0];\n"
    "  if (first) {\n"
    "    first.focus();\n"
    "    first.select();\n"
    "    var r = zone(first);\n"
    "    if (r && document.activeElement === first) "
    "r.classList.add('active');\n"
    "  }\n"
    "});\n";

//  ---- pieces ----------------------------------------------------------------

void
cq_rv_esc(cq_buf_t *b, const char *s)
{
    if (s == NULL)
        return;
    const char *run = s; // the characters that need nothing, added at once
    for (; *s; s++) {
        const char *rep = NULL;
        switch (*s) {
        case '&':
            rep = "&amp;";
            break;
        case '<':
            rep = "&lt;";
            break;
        case '>':
            rep = "&gt;";
            break;
        case '"':
            rep = "&quot;";
            break;
        case '\'':
            rep = "&#39;";
            break;
        default:
            if ((unsigned char)*s < 0x20 || *s == 0x7f)
                rep = "?";
        }
        if (rep != NULL) {
            cq_buf_add(b, run, (size_t)(s - run));
            cq_buf_addstr(b, rep);
            run = s + 1;
        }
    }
    cq_buf_add(b, run, (size_t)(s - run));
}

void
cq_rv_hhmm(int64_t ms, char *out, size_t size)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, size, "%H:%M UTC", &tm);
}

static void
s_head(cq_buf_t *b, const cq_rv_who_t *who, const char *title, bool refresh)
{
    cq_buf_addstr(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta "
                     "charset=\"utf-8\">");
    //  the queue changes while it is open; ?auto=1 tells the station that
    //  no person clicked (it does not keep the session alive)
    if (refresh)
        cq_buf_addstr(
            b, "<meta http-equiv=\"refresh\" content=\"30; url=/?auto=1\">");
    cq_buf_addstr(b, "<title>");
    cq_rv_esc(b, title);
    cq_buf_addstr(b, " - claimq review</title><link rel=\"stylesheet\" "
                     "href=\"/app.css\"><script src=\"/app.js\" "
                     "defer></script></head><body>\n<header><a "
                     "href=\"/\">claimq review</a>");
    if (who != NULL && who->user != NULL) {
        cq_buf_addstr(b, "<span id=\"who\">signed in as ");
        cq_rv_esc(b, who->user);
        cq_buf_addstr(b, "</span><form method=\"post\" action=\"/logout\">"
                         "<input type=\"hidden\" name=\"csrf\" value=\"");
        cq_rv_esc(b, who->csrf);
        cq_buf_addstr(b, "\"><button type=\"submit\" id=\"signout\">"
                         "Sign out</button></form>");
    }
    cq_buf_addstr(b, "</header>\n<main>\n");
}

static void
s_tail(cq_buf_t *b)
{
    cq_buf_addstr(b, "</main></body></html>\n");
}

static void
s_error(cq_buf_t *b, const char *error)
{
    if (error == NULL)
        return;
    cq_buf_addstr(b, "<p class=\"err\" id=\"message\" role=\"alert\">");
    cq_rv_esc(b, error);
    cq_buf_addstr(b, "</p>");
}

void
cq_rv_html_signin(cq_buf_t *b, const char *csrf, const char *error)
{
    s_head(b, NULL, "Sign in", false);
    cq_buf_addstr(b, "<h1>Sign in</h1>");
    s_error(b, error);
    cq_buf_addstr(b, "<form method=\"post\" action=\"/login\" id=\"signin\">"
                     "<input type=\"hidden\" name=\"csrf\" value=\"");
    cq_rv_esc(b, csrf);
    cq_buf_addstr(b,
                  "\"><p><label>Name <input name=\"user\" id=\"user\" "
                  "autocomplete=\"username\" autofocus required></label></p>"
                  "<p><label>Password <input name=\"password\" id=\"password\" "
                  "type=\"password\" autocomplete=\"current-password\" "
                  "required></label></p><p><button type=\"submit\" "
                  "id=\"signin-btn\">Sign in</button></p></form>");
    s_tail(b);
}

void
cq_rv_html_message(cq_buf_t *b, const cq_rv_who_t *who, const char *title,
                   const char *text)
{
    s_head(b, who, title, false);
    cq_buf_addstr(b, "<h1>");
    cq_rv_esc(b, title);
    cq_buf_addstr(b, "</h1>");
    s_error(b, text);
    cq_buf_addstr(b, "<p><a href=\"/\" id=\"back\">Back to the queue</a>"
                     "</p>");
    s_tail(b);
}

static void
s_age(int64_t ms, char *out, size_t n)
{
    cq_fmt_age(ms > 0 ? ms / 1000 : 0, out, n);
}

void
cq_rv_html_queue(cq_buf_t *b, const cq_rv_who_t *who, const cq_review_list_t *l,
                 int64_t now_ms)
{
    s_head(b, who, "Review queue", true);
    cq_buf_printf(b,
                  "<h1>Review queue</h1><p id=\"counts\"><span "
                  "id=\"total\">%" PRIu64 "</span> waiting: <span "
                  "id=\"n-ocr\">%" PRIu64 "</span> OCR fields to check, "
                  "<span id=\"n-registration\">%" PRIu64 "</span> forms "
                  "that did not register, <span id=\"n-duplicate\">%" PRIu64
                  "</span> suspect duplicates, <span id=\"n-other\">%" PRIu64
                  "</span> other</p>",
                  l->total, l->by_kind[CQ_REVIEW_OCR],
                  l->by_kind[CQ_REVIEW_REGISTRATION],
                  l->by_kind[CQ_REVIEW_DUPLICATE], l->by_kind[CQ_REVIEW_OTHER]);
    if (l->n > 0)
        cq_buf_addstr(b, "<p><a id=\"open-oldest\" href=\"/next\" "
                         "accesskey=\"n\">Open the oldest free claim</a> "
                         "<kbd>Alt</kbd>+<kbd>N</kbd></p>");
    cq_buf_addstr(b, "<table id=\"queue\"><thead><tr><th>Waiting</th><th>"
                     "Reason</th><th>Kind</th><th>Payer</th><th>Claim</th>"
                     "<th>Batch</th><th>Taken by</th></tr></thead><tbody>");
    for (uint32_t i = 0; i < l->n; i++) {
        const cq_review_item_t *it = &l->items[i];
        char age[32];
        s_age(now_ms - it->pended_ms, age, sizeof age);
        cq_buf_printf(b, "<tr data-id=\"%" PRIu64 "\"><td>%s</td><td>", it->id,
                      age);
        cq_rv_esc(b, it->reason);
        cq_buf_printf(b, "</td><td>%s</td><td>", cq_review_kind_name(it->kind));
        cq_rv_esc(b, it->payer_id);
        cq_buf_printf(
            b, "</td><td><a class=\"claim\" href=\"/claim/%" PRIu64 "\">",
            it->id);
        cq_rv_esc(b, it->claim_id);
        cq_buf_addstr(b, "</a></td><td>");
        cq_rv_esc(b, it->batch_id);
        cq_buf_addstr(b, "</td><td class=\"taken\">");
        if (it->locked_by[0] != '\0' && it->lock_expires_ms > now_ms) {
            char until[32];
            cq_rv_hhmm(it->lock_expires_ms, until, sizeof until);
            cq_rv_esc(b, it->locked_by);
            cq_buf_printf(b, " until %s", until);
        }
        cq_buf_addstr(b, "</td></tr>");
    }
    cq_buf_addstr(b, "</tbody></table>");
    if (l->total > l->n)
        cq_buf_printf(
            b, "<p class=\"note\">The %u oldest of %" PRIu64 " are listed.</p>",
            l->n, l->total);
    if (l->total == 0)
        cq_buf_addstr(b, "<p class=\"note\" id=\"empty\">Nothing waits for "
                         "review.</p>");
    s_tail(b);
}

//  ---- the claim page ------------------------------------------------------

static void
s_money(cq_buf_t *b, int64_t cents)
{
    if (cents < 0) {
        cq_buf_addstr(b, "-");
        cents = -cents;
    }
    cq_buf_printf(b, "%" PRId64 ".%02" PRId64, cents / 100, cents % 100);
}

static void
s_date(cq_buf_t *b, int32_t d)
{
    char s[16];
    if (d != CQ_DATE_NONE)
        cq_buf_addstr(b, cq_date_format(d, s));
}

//  One cell of the comparison: a claim's value of row `row`.
typedef enum {
    S_ROW_CLAIM_ID,
    S_ROW_PAYER,
    S_ROW_FREQUENCY,
    S_ROW_MEMBER_ID,
    S_ROW_PATIENT,
    S_ROW_BIRTH,
    S_ROW_NPI,
    S_ROW_PROVIDER,
    S_ROW_RECEIVED,
    S_ROW_TOTAL,
    S_ROW_DX,
    S_ROW_SOURCE,
    S_N_ROWS
} s_row_t;

static const char *const s_row_names[S_N_ROWS] = {
    "Claim id", "Payer",        "Frequency",   "Member id",
    "Patient",  "Birth date",   "Billing NPI", "Billing provider",
    "Received", "Total charge", "Diagnoses",   "Source"};

static void
s_cell(cq_buf_t *b, const cq_claim_t *c, int row)
{
    char f[2] = {c->frequency, '\0'};
    switch ((s_row_t)row) {
    case S_ROW_CLAIM_ID:
        cq_rv_esc(b, c->claim_id);
        break;
    case S_ROW_PAYER:
        cq_rv_esc(b, c->payer_id);
        break;
    case S_ROW_FREQUENCY:
        cq_rv_esc(b, f);
        if (c->original_claim_id[0]) {
            cq_buf_addstr(b, " (of ");
            cq_rv_esc(b, c->original_claim_id);
            cq_buf_addstr(b, ")");
        }
        break;
    case S_ROW_MEMBER_ID:
        cq_rv_esc(b, c->member.id);
        break;
    case S_ROW_PATIENT:
        cq_rv_esc(b, c->member.last_name);
        if (c->member.first_name[0] != '\0') {
            cq_buf_addstr(b, ", ");
            cq_rv_esc(b, c->member.first_name);
        }
        break;
    case S_ROW_BIRTH:
        s_date(b, c->member.birth_date);
        break;
    case S_ROW_NPI:
        cq_rv_esc(b, c->billing_npi);
        break;
    case S_ROW_PROVIDER:
        cq_rv_esc(b, c->billing_name);
        break;
    case S_ROW_RECEIVED:
        s_date(b, c->received_date);
        break;
    case S_ROW_TOTAL:
        s_money(b, c->total_charge);
        break;
    case S_ROW_DX:
        for (uint8_t i = 0; i < c->n_diagnoses && i < CQ_MAX_DX; i++) {
            if (i > 0)
                cq_buf_addstr(b, " ");
            cq_rv_esc(b, c->diagnoses[i]);
        }
        break;
    case S_ROW_SOURCE:
        cq_buf_addstr(b, c->source == CQ_SOURCE_OCR   ? "scanned form"
                         : c->source == CQ_SOURCE_X12 ? "X12 837"
                                                      : "claim JSON");
        break;
    case S_N_ROWS:
        break;
    }
}

static void
s_line_cell(cq_buf_t *b, const cq_claim_t *c, uint8_t k)
{
    if (k >= c->n_lines || k >= CQ_MAX_LINES)
        return;
    const cq_line_t *l = &c->lines[k];
    s_date(b, l->service_date);
    if (l->service_date_end != CQ_DATE_NONE &&
        l->service_date_end != l->service_date) {
        cq_buf_addstr(b, " to ");
        s_date(b, l->service_date_end);
    }
    cq_buf_addstr(b, " ");
    cq_rv_esc(b, l->procedure[0] ? l->procedure : l->revenue_code);
    for (uint8_t m = 0; m < l->n_modifiers && m < CQ_MAX_MODIFIERS; m++) {
        cq_buf_addstr(b, "-");
        cq_rv_esc(b, l->modifiers[m]);
    }
    cq_buf_printf(b, " &times; %" PRId64 "%s", l->units_milli / 1000,
                  l->units_milli % 1000 ? "+" : "");
    cq_buf_addstr(b, " ");
    s_money(b, l->charge);
}

//  This claim beside the earlier one (or alone), row by row; rows where
//  both say the same are marked (what makes it look like a duplicate).
static void
s_compare(cq_buf_t *b, const cq_claim_t *c, const cq_claim_t *o,
          const cq_decision_t *od)
{
    cq_buf_addstr(b, "<table class=\"compare\" id=\"compare\"><thead><tr><th>"
                     "</th><th>This claim</th>");
    if (o != NULL)
        cq_buf_addstr(b, "<th>The earlier claim</th>");
    cq_buf_addstr(b, "</tr></thead><tbody>");
    cq_buf_t x, y;
    cq_buf_init(&x, 1u << 16);
    cq_buf_init(&y, 1u << 16);
    uint8_t lines = c->n_lines;
    if (o != NULL && o->n_lines > lines)
        lines = o->n_lines;
    for (int row = 0; row < S_N_ROWS + lines; row++) {
        cq_buf_reset(&x);
        cq_buf_reset(&y);
        char name[32];
        if (row < S_N_ROWS) {
            snprintf(name, sizeof name, "%s", s_row_names[row]);
            s_cell(&x, c, row);
            if (o != NULL)
                s_cell(&y, o, row);
        } else {
            snprintf(name, sizeof name, "Line %d", row - S_N_ROWS + 1);
            s_line_cell(&x, c, (uint8_t)(row - S_N_ROWS));
            if (o != NULL)
                s_line_cell(&y, o, (uint8_t)(row - S_N_ROWS));
        }
        const char *xs = x.data ? x.data : "", *ys = y.data ? y.data : "";
        bool same = o != NULL && xs[0] != '\0' && strcmp(xs, ys) == 0;
        cq_buf_printf(b, "<tr><th>%s</th><td%s>%s</td>", name,
                      same ? " class=\"same\"" : "", xs);
        if (o != NULL)
            cq_buf_printf(b, "<td%s>%s</td>", same ? " class=\"same\"" : "",
                          ys);
        cq_buf_addstr(b, "</tr>");
    }
    if (od != NULL) {
        cq_buf_printf(b, "<tr><th>Decision</th><td>pended</td><td>%s, paid ",
                      cq_outcome_name(od->decision));
        s_money(b, od->paid);
        if (od->n_reasons > 0) {
            cq_buf_addstr(b, "; ");
            cq_rv_esc(b, od->reasons[0].message);
        }
        cq_buf_addstr(b, "</td></tr>");
    }
    cq_buf_addstr(b, "</tbody></table>");
    cq_buf_free(&x);
    cq_buf_free(&y);
}

static void
s_image(cq_buf_t *b, const cq_rv_page_t *pg, uint64_t id, bool zones)
{
    cq_buf_printf(b,
                  "<div id=\"scanbox\"><svg id=\"scan\" "
                  "xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d "
                  "%d\" role=\"img\" aria-label=\"the scanned page\"><image "
                  "href=\"/claim/%" PRIu64 "/page.png\" x=\"0\" y=\"0\" "
                  "width=\"%d\" height=\"%d\"/>",
                  pg->png_w, pg->png_h, id, pg->png_w, pg->png_h);
    for (size_t i = 0; zones && i < pg->n; i++) {
        const cq_rv_field_t *f = &pg->f[i];
        if (f->x < 0)
            continue;
        cq_buf_printf(b, "<rect class=\"box%s\" data-field=\"",
                      f->unsure ? " unsure" : "");
        cq_rv_esc(b, f->name);
        cq_buf_printf(b, "\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\">",
                      f->x, f->y, f->w, f->h);
        cq_buf_addstr(b, "<title>");
        cq_rv_esc(b, f->name);
        cq_buf_addstr(b, "</title></rect>");
    }
    cq_buf_addstr(b, "</svg></div>");
}

static void
s_fields(cq_buf_t *b, const cq_rv_claim_view_t *v)
{
    const cq_rv_page_t *pg = v->page;
    cq_buf_addstr(b, "<div id=\"fieldsbox\">");
    if (!pg->registered)
        cq_buf_addstr(b, "<p class=\"err\" id=\"key-in\">The form did not "
                         "register: key every field in from the image.</p>");
    cq_buf_addstr(
        b, "<p class=\"note\" id=\"keys\"><kbd>Tab</kbd> goes through the "
           "fields, the unsure ones (red) first; <kbd>Enter</kbd> confirms "
           "a field and goes to the next; <kbd>Ctrl</kbd>+<kbd>Enter</kbd> "
           "releases the claim and opens the next one.</p>"
           "<table id=\"fields\"><thead><tr><th>Field</th><th>Value</th>"
           "<th>Conf.</th><th>Why unsure</th></tr></thead><tbody>");
    bool focused = false;
    for (size_t i = 0; i < pg->n; i++) {
        const cq_rv_field_t *f = &pg->f[i];
        char in[CQ_FORM_NAME_LEN + 4];
        snprintf(in, sizeof in, "f.%s", f->name);
        const char *val = v->typed ? cq_rv_form_get(v->typed, in) : NULL;
        if (val == NULL)
            val = f->value;
        cq_buf_printf(b, "<tr class=\"%s\"><th><label for=\"f-",
                      f->unsure ? "unsure" : "sure");
        cq_rv_esc(b, f->name);
        cq_buf_addstr(b, "\">");
        cq_rv_esc(b, f->name);
        cq_buf_addstr(b, "</label> <small>box ");
        cq_rv_esc(b, f->box);
        cq_buf_addstr(b, "</small></th><td><input class=\"field\" id=\"f-");
        cq_rv_esc(b, f->name);
        cq_buf_addstr(b, "\" name=\"");
        cq_rv_esc(b, in);
        cq_buf_addstr(b, "\" data-field=\"");
        cq_rv_esc(b, f->name);
        cq_buf_printf(b,
                      "\" tabindex=\"%d\" maxlength=\"%d\" "
                      "autocomplete=\"off\" spellcheck=\"false\"%s "
                      "value=\"",
                      f->unsure ? 1 : 2, CQ_OCR_TEXT_LEN - 1,
                      f->unsure && !focused ? " autofocus" : "");
        focused |= f->unsure;
        cq_rv_esc(b, val);
        cq_buf_addstr(b, "\"></td><td>");
        if (f->conf >= 0)
            cq_buf_printf(b, "%d", f->conf);
        cq_buf_addstr(b, "</td><td>");
        if (f->unsure)
            cq_rv_esc(b, f->reason);
        cq_buf_addstr(b, "</td></tr>");
    }
    cq_buf_addstr(b, "</tbody></table><p><button type=\"submit\" "
                     "name=\"action\" value=\"corrected\" id=\"release-btn\" "
                     "tabindex=\"3\">Release <kbd>Ctrl</kbd>+<kbd>Enter</kbd>"
                     "</button></p></div>");
}

void
cq_rv_html_claim(cq_buf_t *b, const cq_rv_who_t *who,
                 const cq_rv_claim_view_t *v)
{
    const cq_review_claim_t *rc = v->rc;
    const cq_review_item_t *it = &rc->item;
    char title[CQ_ID_LEN + 16];
    snprintf(title, sizeof title, "Claim %s", it->claim_id);
    s_head(b, who, title, false);
    cq_buf_addstr(b, "<h1>Claim <span id=\"claim-id\">");
    cq_rv_esc(b, it->claim_id);
    cq_buf_addstr(b, "</span></h1><p class=\"meta\">Payer <span "
                     "id=\"payer\">");
    cq_rv_esc(b, it->payer_id);
    cq_buf_addstr(b, "</span>, batch ");
    cq_rv_esc(b, it->batch_id);
    if (rc->doc_name[0] != '\0') {
        const char *base = strrchr(rc->doc_name, '/');
        cq_buf_addstr(b, ", document ");
        cq_rv_esc(b, base ? base + 1 : rc->doc_name);
        cq_buf_printf(b, " page %u", rc->page);
    }
    cq_buf_printf(b, ". <span id=\"kind\">%s</span>: <span id=\"reason\">",
                  cq_review_kind_name(it->kind));
    cq_rv_esc(b, it->reason);
    cq_buf_addstr(b, "</span></p>");
    s_error(b, v->error);
    char until[32];
    cq_rv_hhmm(v->expires_ms, until, sizeof until);
    if (v->taken) {
        //  no form at all: a second reviewer cannot release it from here
        cq_buf_addstr(b, "<p id=\"taken\">Taken by <b id=\"holder\">");
        cq_rv_esc(b, v->holder);
        cq_buf_printf(b,
                      "</b> until %s. It can be opened here once they "
                      "release it or their lock ends.</p><p><a "
                      "href=\"/\" id=\"back\">Back to the queue</a></p>",
                      until);
        s_tail(b);
        return;
    }
    //  the lock, and a way to give it back (a form of its own: forms do
    //  not nest)
    cq_buf_printf(b,
                  "<form method=\"post\" action=\"/claim/%" PRIu64
                  "/unlock\" id=\"unlock\"><p class=\"note\" id=\"lock\">"
                  "Yours until %s. <input type=\"hidden\" name=\"csrf\" "
                  "value=\"",
                  it->id, until);
    cq_rv_esc(b, who->csrf);
    cq_buf_printf(b,
                  "\"><input type=\"hidden\" name=\"token\" value=\"%" PRIu64
                  "\"><button type=\"submit\" id=\"unlock-btn\" "
                  "tabindex=\"4\">Give it back</button></p></form>",
                  v->token);
    cq_buf_printf(b,
                  "<form method=\"post\" action=\"/claim/%" PRIu64
                  "/release\" id=\"release\"><input type=\"hidden\" "
                  "name=\"csrf\" value=\"",
                  it->id);
    cq_rv_esc(b, who->csrf);
    cq_buf_printf(
        b, "\"><input type=\"hidden\" name=\"token\" value=\"%" PRIu64 "\">",
        v->token);
    if (it->kind == CQ_REVIEW_DUPLICATE) {
        s_compare(b, &rc->claim, rc->has_other ? &rc->other : NULL,
                  rc->has_other ? &rc->other_decision : NULL);
        if (!rc->has_other)
            cq_buf_addstr(b, "<p class=\"note\">The earlier claim is not "
                             "held by the broker any more.</p>");
        cq_buf_addstr(
            b, "<p><button type=\"submit\" name=\"action\" "
               "value=\"duplicate\" id=\"dup-btn\" tabindex=\"1\">Duplicate "
               "(reject) <kbd>D</kbd></button><button type=\"submit\" "
               "name=\"action\" value=\"not-duplicate\" id=\"notdup-btn\" "
               "tabindex=\"2\">Not a duplicate (adjudicate) <kbd>N</kbd>"
               "</button></p>");
        if (v->page != NULL) // a scanned form: the page as well
            s_image(b, v->page, it->id, false);
        cq_buf_addstr(b, "</form>");
        s_tail(b);
        return;
    }
    if (v->page == NULL) {
        //  nothing to key in from: the claim as it came, released as it is
        //  (decided again)
        cq_buf_addstr(b, "<p class=\"note\">This claim has no scanned page; "
                         "it can be released as it is, to be decided "
                         "again.</p>");
        s_compare(b, &rc->claim, NULL, NULL);
        cq_buf_addstr(
            b, "<p><button type=\"submit\" name=\"action\" value=\"as-is\" "
               "id=\"release-btn\" tabindex=\"1\">Release as it is "
               "<kbd>Ctrl</kbd>+<kbd>Enter</kbd></button></p></form>");
        s_tail(b);
        return;
    }
    cq_buf_addstr(b, "<div id=\"layout\">");
    s_image(b, v->page, it->id, true);
    s_fields(b, v);
    cq_buf_addstr(b, "</div></form>");
    s_tail(b);
}
