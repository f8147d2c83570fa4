//  claimq review: the web review station (docs/review.md). Pended claims
//  wait in the broker's review queue (client/review_rpc.h); a person signs
//  in here, opens the oldest, checks the fields against the scanned image,
//  corrects what the machine misread and releases it; the broker has it
//  decided again and that decision supersedes the pend.
//
//  One process, one HTTP thread (libmicrohttpd's internal polling thread):
//  requests are answered one after another, so the broker client (not
//  thread-safe), the OCR context and the sessions are touched by that
//  thread only; the main thread waits for SIGINT / SIGTERM. A station
//  serves a team of reviewers, not a crowd: reading a page (OCR, about a
//  second) holds the others for that long.
//
//  Modules: review_parse (what comes from outside: bodies, cookies, account
//  lines; fuzzed), review_accounts (the accounts file, adduser...),
//  review_page (a claim's page as the OCR read it, the audit trail),
//  review_html (the pages). Here: sessions, the HTTP handler, the verb.
//
//  Security (docs/review.md "Security"): loopback unless TLS; accounts
//  hashed with crypto_pwhash; a session is a random 32-byte token in an
//  HttpOnly, SameSite=Strict cookie (Secure under TLS) that ends after
//  --session-minutes idle and on sign-out; every POST carries the
//  session's CSRF token, compared in constant time; a reviewer sees only
//  their tenants' claims (another tenant's claim is "not found", as a
//  missing one). Responses are no-store and may not be framed. Logs name
//  reviewers, claim ids, counts and timings, never a field value.
#include "cmds.h"

#include "bclient.h"
#include "broker_ep.h"
#include "log.h"
#include "mem.h"
#include "ocr.h"
#include "opts.h"
#include "review_accounts.h"
#include "review_html.h"
#include "review_page.h"
#include "review_parse.h"
#include "review_rpc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define S_PROG "claimq review"
#define S_MAX_SESSIONS 256    // signed-in browsers (the oldest goes first)
#define S_CACHE 8             // claims' pages kept (least recently used)
#define S_TIMEOUT_MS 10000    // one broker call
#define S_SIGNIN_DELAY_MS 500 // after a refused sign-in
#define S_QUEUE_MAX 200       // claims listed on the queue page
#define S_TOKEN_HEX 65        // 32 random bytes as hex, and the NUL
#define S_COOKIE "cqr_session"
#define S_PRE_COOKIE "cqr_signin" // the sign-in form's CSRF token
#define S_PAGE_HTML_MAX (32u << 20)

_Static_assert(CQ_RV_MAX_TENANTS <= CQ_REVIEW_MAX_TENANTS,
               "an account's tenants fit one REVIEW request");

typedef struct {
    char token[S_TOKEN_HEX]; // the cookie's value; "" when free
    char csrf[S_TOKEN_HEX];  // what its POSTs must carry
    char name[CQ_ID_LEN];    // the reviewer
    int64_t last_ms;         // last request (monotonic)
} s_session_t;

typedef struct {
    bool used;
    int64_t at;            // last use (monotonic ms)
    cq_rv_page_t page;     // the page read, its fields and image
    int32_t received_date; // the pended claim's (kept on release)
} s_cached_t;

typedef struct {
    const char *accounts_path;
    cq_rv_accounts_t accounts;
    struct stat accounts_st; // the file as last read (to see a change)
    //  verified when the name is unknown, so that a wrong name costs what
    //  a wrong password does (no enumeration by timing)
    char dummy_hash[crypto_pwhash_STRBYTES];
    s_session_t sessions[S_MAX_SESSIONS];
    int64_t session_ms; // idle time that ends a session
    uint32_t lock_ms;   // what opening a claim takes it for
    bool tls;
    char host[64]; // "127.0.0.1:PORT" on loopback (Host is checked), or ""
    int port;
    cq_bclient_t *bc;
    cq_ocr_t *ocr;
    s_cached_t cache[S_CACHE];
} s_station_t;

static int64_t
s_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t
s_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
s_random_hex(char out[S_TOKEN_HEX])
{
    unsigned char b[32];
    randombytes_buf(b, sizeof b);
    sodium_bin2hex(out, S_TOKEN_HEX, b, sizeof b);
    sodium_memzero(b, sizeof b);
}

//  A token as s_random_hex writes it: 64 lower-case hex digits.
static bool
s_hex_token(const char *t)
{
    size_t n = strspn(t, "0123456789abcdef");
    return n == S_TOKEN_HEX - 1 && t[n] == '\0';
}

//  Constant-time comparison of two tokens (s_hex_token already checked
//  the one that came from outside).
static bool
s_same_token(const char *a, const char *b)
{
    return sodium_memcmp(a, b, S_TOKEN_HEX - 1) == 0;
}

//  ---- accounts
//  ----------------------------------------------------------------

//  Reads the accounts file again when it changed (adduser, deluser and
//  passwd replace it whole). A file that no longer parses is logged and
//  the last good accounts stay.
static void
s_accounts_refresh(s_station_t *st)
{
    struct stat sb;
    if (stat(st->accounts_path, &sb) != 0)
        return;
    if (sb.st_ino == st->accounts_st.st_ino &&
        sb.st_size == st->accounts_st.st_size &&
        sb.st_mtim.tv_sec == st->accounts_st.st_mtim.tv_sec &&
        sb.st_mtim.tv_nsec == st->accounts_st.st_mtim.tv_nsec)
        return;
    cq_rv_accounts_t a;
    char why[512];
    if (cq_rv_accounts_read(st->accounts_path, &a, why, sizeof why) != 0) {
        cq_log_warn(NULL, "review: accounts not read again: %s", why);
        st->accounts_st = sb; // said once
        return;
    }
    cq_rv_accounts_free(&st->accounts);
    st->accounts = a;
    st->accounts_st = sb;
    cq_log_notice(NULL, "review: %zu accounts (the file changed)", a.n);
}

//  The reviewer's tenants, for the broker: 0 when the account is gone.
static size_t
s_tenants(const s_station_t *st, const s_session_t *ss,
          const char *out[CQ_RV_MAX_TENANTS])
{
    const cq_rv_account_t *a = cq_rv_accounts_find(&st->accounts, ss->name);
    if (a == NULL)
        return 0;
    for (size_t i = 0; i < a->n_tenants; i++)
        out[i] = a->tenants[i];
    return a->n_tenants;
}

static bool
s_may_see(const s_station_t *st, const s_session_t *ss, const char *payer)
{
    const cq_rv_account_t *a = cq_rv_accounts_find(&st->accounts, ss->name);
    for (size_t i = 0; a != NULL && i < a->n_tenants; i++)
        if (strcmp(a->tenants[i], "*") == 0 ||
            strcmp(a->tenants[i], payer) == 0)
            return true;
    return false;
}

//  ---- responses ------------------------------------------------------------

static enum MHD_Result
s_reply(const s_station_t *st, struct MHD_Connection *c, unsigned status,
        const char *type, const void *data, size_t len, const char *cookie,
        const char *location)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(
        len, (void *)data, MHD_RESPMEM_MUST_COPY);
    if (r == NULL)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type", type);
    //  pages hold patient data: never kept by a browser or a proxy
    MHD_add_response_header(r, "Cache-Control", "no-store");
    MHD_add_response_header(r, "Pragma", "no-cache");
    MHD_add_response_header(r, "X-Frame-Options", "DENY");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(
        r, "Content-Security-Policy",
        "default-src 'self'; img-src 'self'; style-src 'self'; script-src "
        "'self'; form-action 'self'; frame-ancestors 'none'; base-uri "
        "'none'; object-src 'none'");
    if (st->tls)
        MHD_add_response_header(r, "Strict-Transport-Security",
                                "max-age=31536000");
    if (cookie != NULL)
        MHD_add_response_header(r, "Set-Cookie", cookie);
    if (location != NULL)
        MHD_add_response_header(r, "Location", location);
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result
s_html(const s_station_t *st, struct MHD_Connection *c, unsigned status,
       cq_buf_t *b, const char *cookie)
{
    enum MHD_Result r;
    if (b->data == NULL) // over the cap: nothing sensible to show
        r = s_reply(st, c, 500, "text/plain", "page too large\n", 15, NULL,
                    NULL);
    else
        r = s_reply(st, c, status, "text/html; charset=utf-8", b->data, b->len,
                    cookie, NULL);
    cq_buf_free(b);
    return r;
}

static enum MHD_Result
s_redirect(const s_station_t *st, struct MHD_Connection *c, const char *to,
           const char *cookie)
{
    return s_reply(st, c, 303, "text/plain", "", 0, cookie, to);
}

static void
s_who(const s_session_t *ss, cq_rv_who_t *who)
{
    who->user = ss ? ss->name : NULL;
    who->csrf = ss ? ss->csrf : NULL;
}

static enum MHD_Result
s_message(const s_station_t *st, struct MHD_Connection *c, unsigned status,
          const s_session_t *ss, const char *title, const char *text)
{
    cq_rv_who_t who;
    s_who(ss, &who);
    cq_buf_t b;
    cq_buf_init(&b, 1u << 20);
    cq_rv_html_message(&b, &who, title, text);
    return s_html(st, c, status, &b, NULL);
}

static enum MHD_Result
s_unavailable(const s_station_t *st, struct MHD_Connection *c,
              const s_session_t *ss, int rc)
{
    cq_log_warn(NULL, "review: broker call failed: %s", cq_strerror(rc));
    return s_message(st, c, 503, ss, "Broker unavailable",
                     "The broker did not answer; try again in a moment.");
}

static void
s_cookie(const s_station_t *st, char *out, size_t size, const char *name,
         const char *value, bool clear)
{
    snprintf(out, size, "%s=%s; Path=/; HttpOnly; SameSite=Strict%s%s", name,
             value, st->tls ? "; Secure" : "", clear ? "; Max-Age=0" : "");
}

//  ---- sessions
//  ----------------------------------------------------------------

//  The session of this request's cookie, or NULL (none, expired, or its
//  account deleted: then it ends). The queue page's own reloads (?auto=1)
//  do not count as activity: a screen left open signs itself out.
static s_session_t *
s_session(s_station_t *st, struct MHD_Connection *c)
{
    bool touch =
        MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "auto") == NULL;
    const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Cookie");
    char tok[S_TOKEN_HEX];
    if (!cq_rv_cookie(h, S_COOKIE, tok, sizeof tok) || !s_hex_token(tok))
        return NULL;
    int64_t now = s_mono_ms();
    for (int i = 0; i < S_MAX_SESSIONS; i++) {
        s_session_t *s = &st->sessions[i];
        if (s->token[0] == '\0' || !s_same_token(s->token, tok))
            continue;
        if (now - s->last_ms > st->session_ms ||
            cq_rv_accounts_find(&st->accounts, s->name) == NULL) {
            cq_log_info(NULL, "review: %s's session ended (%s)", s->name,
                        now - s->last_ms > st->session_ms ? "idle"
                                                          : "account gone");
            sodium_memzero(s, sizeof *s);
            return NULL;
        }
        if (touch)
            s->last_ms = now;
        return s;
    }
    return NULL;
}

static bool
s_csrf_ok(const s_session_t *ss, const cq_rv_form_t *form)
{
    const char *t = cq_rv_form_get(form, "csrf");
    return t != NULL && s_hex_token(t) && s_same_token(t, ss->csrf);
}

//  ---- pages
//  --------------------------------------------------------------------

static enum MHD_Result
s_signin_page(s_station_t *st, struct MHD_Connection *c, const char *error)
{
    //  One sign-in token per browser: the page's own requests (a second
    //  tab, a favicon) must not replace the one its form carries.
    char pre[S_TOKEN_HEX], cookie[256];
    const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Cookie");
    if (!cq_rv_cookie(h, S_PRE_COOKIE, pre, sizeof pre) || !s_hex_token(pre))
        s_random_hex(pre);
    s_cookie(st, cookie, sizeof cookie, S_PRE_COOKIE, pre, false);
    cq_buf_t b;
    cq_buf_init(&b, 1u << 20);
    cq_rv_html_signin(&b, pre, error);
    return s_html(st, c, error ? 401 : 200, &b, cookie);
}

static enum MHD_Result
s_login(s_station_t *st, struct MHD_Connection *c, const cq_rv_form_t *form)
{
    const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Cookie");
    char pre[S_TOKEN_HEX];
    const char *sent = cq_rv_form_get(form, "csrf");
    if (!cq_rv_cookie(h, S_PRE_COOKIE, pre, sizeof pre) || !s_hex_token(pre) ||
        sent == NULL || !s_hex_token(sent) || !s_same_token(sent, pre)) {
        cq_log_notice(NULL, "review: a sign-in without its token refused");
        return s_message(st, c, 403, NULL, "Forbidden",
                         "The sign-in form has expired: open it again.");
    }
    const char *user = cq_rv_form_get(form, "user");
    const char *pw = cq_rv_form_get(form, "password");
    const cq_rv_account_t *a =
        user != NULL ? cq_rv_accounts_find(&st->accounts, user) : NULL;
    const char *hash = a != NULL ? a->hash : st->dummy_hash;
    bool ok = pw != NULL && strlen(pw) <= CQ_RV_PASSWORD_MAX &&
              crypto_pwhash_str_verify(hash, pw, strlen(pw)) == 0 && a != NULL;
    if (!ok) {
        //  the same words for an unknown name and a wrong password, and
        //  a pause (this thread answers nobody meanwhile: guessing is
        //  slow for everyone)
        usleep(S_SIGNIN_DELAY_MS * 1000);
        cq_log_notice(NULL, "review: a sign-in refused");
        return s_signin_page(st, c, "Wrong name or password.");
    }
    int slot = 0;
    int64_t now = s_mono_ms();
    for (int i = 0; i < S_MAX_SESSIONS; i++) {
        const s_session_t *s = &st->sessions[i];
        if (s->token[0] == '\0' || now - s->last_ms > st->session_ms) {
            slot = i;
            break;
        }
        if (s->last_ms < st->sessions[slot].last_ms)
            slot = i; // all taken: the least recently used goes
    }
    s_session_t *s = &st->sessions[slot];
    sodium_memzero(s, sizeof *s);
    s_random_hex(s->token);
    s_random_hex(s->csrf);
    cq_strlcpy(s->name, a->name, sizeof s->name);
    s->last_ms = now;
    cq_log_notice(NULL, "review: %s signed in", s->name);
    char cookie[256];
    s_cookie(st, cookie, sizeof cookie, S_COOKIE, s->token, false);
    return s_redirect(st, c, "/", cookie);
}

static enum MHD_Result
s_queue(s_station_t *st, struct MHD_Connection *c, s_session_t *ss)
{
    const char *tn[CQ_RV_MAX_TENANTS];
    size_t nt = s_tenants(st, ss, tn);
    cq_review_list_t l;
    int rc = cq_review_list(st->bc, tn, nt, S_QUEUE_MAX, &l, S_TIMEOUT_MS);
    if (rc != 0)
        return s_unavailable(st, c, ss, rc);
    cq_rv_who_t who;
    s_who(ss, &who);
    cq_buf_t b;
    cq_buf_init(&b, S_PAGE_HTML_MAX);
    cq_rv_html_queue(&b, &who, &l, s_wall_ms());
    cq_review_list_free(&l);
    return s_html(st, c, 200, &b, NULL);
}

//  The oldest claim this reviewer can take (free, or theirs already), or
//  the queue when there is none.
static enum MHD_Result
s_next(s_station_t *st, struct MHD_Connection *c, s_session_t *ss)
{
    const char *tn[CQ_RV_MAX_TENANTS];
    size_t nt = s_tenants(st, ss, tn);
    cq_review_list_t l;
    int rc =
        cq_review_list(st->bc, tn, nt, CQ_REVIEW_MAX_ITEMS, &l, S_TIMEOUT_MS);
    if (rc != 0)
        return s_unavailable(st, c, ss, rc);
    char to[64] = "/";
    int64_t now = s_wall_ms();
    for (uint32_t i = 0; i < l.n; i++) {
        const cq_review_item_t *it = &l.items[i];
        if (it->locked_by[0] == '\0' || it->lock_expires_ms <= now ||
            strcmp(it->locked_by, ss->name) == 0) {
            snprintf(to, sizeof to, "/claim/%" PRIu64, it->id);
            break;
        }
    }
    cq_review_list_free(&l);
    return s_redirect(st, c, to, NULL);
}

//  ---- a claim's page (OCR, cached) ------------------------------------------

static void
s_cache_drop(s_station_t *st, uint64_t id)
{
    for (int i = 0; i < S_CACHE; i++)
        if (st->cache[i].used && st->cache[i].page.id == id) {
            cq_rv_page_free(&st->cache[i].page);
            st->cache[i].used = false;
        }
}

static s_cached_t *
s_cache_find(s_station_t *st, uint64_t id)
{
    for (int i = 0; i < S_CACHE; i++)
        if (st->cache[i].used && st->cache[i].page.id == id) {
            st->cache[i].at = s_mono_ms();
            return &st->cache[i];
        }
    return NULL;
}

typedef struct {
    uint32_t want;            // the page wanted (1-based)
    const cq_claim_t *pended; // the claim as it pended
    cq_ocr_t *ocr;
    cq_rv_page_t *page; // filled when the page is read
    bool got;
} s_read_t;

static int
s_on_page(void *arg, cq_claim_t *claim)
{
    (void)claim;
    s_read_t *x = arg;
    if ((uint32_t)cq_ocr_page(x->ocr)->page != x->want)
        return 0; // not yet
    x->got = cq_rv_page_from_ocr(x->page, x->ocr, x->pended) == 0;
    return 1; // the page wanted: stop reading
}

//  The claim's scanned page, read once and kept (bounded: the least
//  recently used goes). NULL when the claim has no image (not an OCR
//  claim) or it cannot be read.
static s_cached_t *
s_page(s_station_t *st, const cq_review_claim_t *rc)
{
    s_cached_t *e = s_cache_find(st, rc->item.id);
    if (e != NULL)
        return e;
    if (rc->doc == NULL || rc->claim.source != CQ_SOURCE_OCR)
        return NULL;
    e = &st->cache[0];
    for (int i = 0; i < S_CACHE; i++) {
        if (!st->cache[i].used) {
            e = &st->cache[i];
            break;
        }
        if (st->cache[i].at < e->at)
            e = &st->cache[i];
    }
    if (e->used)
        cq_rv_page_free(&e->page);
    e->used = false;
    cq_rv_page_t pg;
    memset(&pg, 0, sizeof pg);
    s_read_t x = {rc->page ? rc->page : 1, &rc->claim, st->ocr, &pg, false};
    cq_diag_t d = {0};
    int64_t t0 = s_mono_ms();
    cq_ocr_read(st->ocr, rc->doc, rc->doc_len, s_on_page, &x, &d);
    if (!x.got) {
        cq_log_warn(NULL, "review: claim %" PRIu64 ": page %u not read",
                    rc->item.id, x.want);
        return NULL;
    }
    pg.id = rc->item.id;
    cq_strlcpy(pg.payer_id, rc->item.payer_id, sizeof pg.payer_id);
    e->page = pg;
    e->received_date = rc->claim.received_date;
    e->used = true;
    e->at = s_mono_ms();
    cq_log_info(NULL,
                "review: claim %" PRIu64 " page %u read in %" PRId64 " ms",
                rc->item.id, x.want, e->at - t0);
    return e;
}

//  Opens claim id for the reviewer: takes (or renews) its lock and shows
//  it, or says who holds it. typed / error: a refused release shown again.
//  The document (up to 64 MiB) is asked for only to read a page that is
//  not in the cache yet, once the lock is ours: opening the claim again
//  (a refused release, a renewal), or one taken by someone else, moves
//  the claim and its pend alone.
static enum MHD_Result
s_claim(s_station_t *st, struct MHD_Connection *c, s_session_t *ss, uint64_t id,
        const cq_rv_form_t *typed, const char *error)
{
    const char *tn[CQ_RV_MAX_TENANTS];
    size_t nt = s_tenants(st, ss, tn);
    cq_review_claim_t *rc = cq_xcalloc(1, sizeof *rc);
    int r = cq_review_get(st->bc, tn, nt, id, false, rc, S_TIMEOUT_MS);
    if (r != 0) {
        free(rc);
        if (r == CQ_ENOTFOUND) // missing, released, or another tenant's
            return s_message(st, c, 404, ss, "Not found",
                             "No such claim waits for review.");
        return s_unavailable(st, c, ss, r);
    }
    cq_rv_claim_view_t v;
    memset(&v, 0, sizeof v);
    v.rc = rc;
    v.typed = typed;
    v.error = error;
    char holder[CQ_ID_LEN] = "";
    r = cq_review_lock(st->bc, tn, nt, id, ss->name, st->lock_ms, &v.token,
                       holder, &v.expires_ms, S_TIMEOUT_MS);
    enum MHD_Result ret;
    if (r == 0 && rc->claim.source == CQ_SOURCE_OCR &&
        s_cache_find(st, id) == NULL) {
        //  the page is to be read: now the document
        cq_review_claim_free(rc);
        r = cq_review_get(st->bc, tn, nt, id, true, rc, S_TIMEOUT_MS);
    }
    if (r == 0 || r == CQ_EBUSY) {
        v.taken = r == CQ_EBUSY;
        v.holder = holder;
        if (!v.taken) {
            s_cached_t *e = s_page(st, rc);
            v.page = e ? &e->page : NULL;
            cq_log_info(NULL, "review: claim %" PRIu64 " opened by %s", id,
                        ss->name);
        }
        cq_rv_who_t who;
        s_who(ss, &who);
        cq_buf_t b;
        cq_buf_init(&b, S_PAGE_HTML_MAX);
        cq_rv_html_claim(&b, &who, &v);
        ret = s_html(st, c, v.taken ? 409 : error ? 422 : 200, &b, NULL);
    } else if (r == CQ_ENOTFOUND) {
        ret = s_message(st, c, 404, ss, "Not found",
                        "No such claim waits for review.");
    } else {
        ret = s_unavailable(st, c, ss, r);
    }
    cq_review_claim_free(rc);
    free(rc);
    return ret;
}

static enum MHD_Result
s_png(s_station_t *st, struct MHD_Connection *c, s_session_t *ss, uint64_t id)
{
    //  only a page read for this reviewer's tenants (the cache is shared)
    s_cached_t *e = s_cache_find(st, id);
    if (e == NULL || !s_may_see(st, ss, e->page.payer_id))
        return s_message(st, c, 404, ss, "Not found", "No such page.");
    return s_reply(st, c, 200, "image/png", e->page.png.data, e->page.png.len,
                   NULL, NULL);
}

//  What a person may type into a field: the characters printed on a
//  form. The OCR's validators forgive what a scan does to text (they drop
//  stray marks, read a lower-case twin as noise); a person's typing
//  is taken as typed, so anything else is refused rather than dropped.
static bool
s_typed_ok(const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
              (c >= '0' && c <= '9') || strchr(" ,.-'&/$", c) != NULL))
            return false;
    }
    return true;
}

//  The claim a person corrected, from the typed values (form field
//  "f.NAME" for each field of the page): checked by the OCR's rules, the
//  pended claim's received date kept when the form has no stamp. Returns
//  0 with *claim and *changes (caller frees both), or CQ_EINVAL with msg
//  saying which field and why (no value in it).
static const cq_form_field_t *
s_field_def(const cq_form_t *f, const char *name)
{
    for (size_t i = 0; i < f->n_fields; i++)
        if (strcmp(f->fields[i].name, name) == 0)
            return &f->fields[i];
    return NULL;
}

static int
s_corrected(s_station_t *st, const s_cached_t *e, const cq_rv_form_t *form,
            cq_claim_t **claim, char **changes, char *msg, size_t msg_size)
{
    const cq_rv_page_t *pg = &e->page;
    const cq_form_t *form_def = cq_ocr_form(st->ocr);
    const char **names = cq_xcalloc(pg->n + 1, sizeof *names);
    const char **values = cq_xcalloc(pg->n + 1, sizeof *values);
    //  upper case, as the form is printed (and the OCR reads)
    char(*up)[CQ_OCR_TEXT_LEN] = cq_xcalloc(pg->n + 1, sizeof *up);
    int rc = 0;
    *claim = NULL;
    *changes = NULL;
    for (size_t i = 0; i < pg->n && rc == 0; i++) {
        char in[CQ_FORM_NAME_LEN + 4];
        snprintf(in, sizeof in, "f.%s", pg->f[i].name);
        const char *v = cq_rv_form_get(form, in);
        names[i] = pg->f[i].name;
        v = v != NULL ? v : "";
        if (strlen(v) >= CQ_OCR_TEXT_LEN || !s_typed_ok(v)) {
            snprintf(msg, msg_size, "Not released: %s: %s", names[i],
                     strlen(v) >= CQ_OCR_TEXT_LEN
                         ? "too long"
                         : "only letters, digits, spaces and , . - ' & / $");
            rc = CQ_EINVAL;
            break;
        }
        //  as on the form, the last two digits of an amount are its cents
        //  ("125" would be 1.25): a person types the point (or the gap)
        const cq_form_field_t *fd = s_field_def(form_def, names[i]);
        if (fd != NULL && fd->type == CQ_FT_MONEY && v[0] != '\0' &&
            strpbrk(v, ". ") == NULL) {
            snprintf(msg, msg_size,
                     "Not released: %s: dollars and cents, with the point "
                     "(125.00)",
                     names[i]);
            rc = CQ_EINVAL;
            break;
        }
        size_t k = 0;
        for (; v[k]; k++)
            up[i][k] = (char)(v[k] >= 'a' && v[k] <= 'z' ? v[k] - 32 : v[k]);
        up[i][k] = '\0';
        values[i] = up[i];
    }
    cq_claim_t *cl = rc == 0 ? cq_xmalloc(sizeof *cl) : NULL;
    const char *bad = NULL, *why = NULL;
    if (rc == 0 && cq_ocr_claim_from_values(form_def, names, values, pg->n, cl,
                                            &bad, &why) != 0) {
        snprintf(msg, msg_size, "Not released: %s: %s", bad, why);
        rc = CQ_EINVAL;
    }
    if (rc == 0) {
        //  what the document gave beside the form (cq_ocr_read's claim
        //  went through intake): the received date
        if (cl->received_date == CQ_DATE_NONE)
            cl->received_date = e->received_date;
        //  the broker keeps the audit trail with its own header
        *changes = cq_rv_changes(pg, values, CQ_REVIEW_AUDIT_LEN - 129);
        if (*changes == NULL) {
            snprintf(msg, msg_size,
                     "Not released: the changes do not fit the audit trail");
            rc = CQ_EINVAL;
        }
    }
    if (rc == 0)
        *claim = cl;
    else
        free(cl);
    free(up);
    free(names);
    free(values);
    return rc;
}

static enum MHD_Result
s_release(s_station_t *st, struct MHD_Connection *c, s_session_t *ss,
          uint64_t id, const cq_rv_form_t *form)
{
    const char *tn[CQ_RV_MAX_TENANTS];
    size_t nt = s_tenants(st, ss, tn);
    const char *action = cq_rv_form_get(form, "action");
    const char *tok = cq_rv_form_get(form, "token");
    int act = 0;
    bool as_is = false;
    if (action == NULL)
        act = 0;
    else if (strcmp(action, "corrected") == 0)
        act = CQ_RELEASE_CORRECTED;
    else if (strcmp(action, "as-is") == 0)
        act = CQ_RELEASE_CORRECTED, as_is = true;
    else if (strcmp(action, "duplicate") == 0)
        act = CQ_RELEASE_DUPLICATE;
    else if (strcmp(action, "not-duplicate") == 0)
        act = CQ_RELEASE_NOT_DUPLICATE;
    char *end = NULL;
    uint64_t token = tok != NULL ? strtoull(tok, &end, 10) : 0;
    if (act == 0 || tok == NULL || end == tok || *end != '\0')
        return s_message(st, c, 400, ss, "Bad request",
                         "The release names no action or lock.");
    cq_claim_t *claim = NULL;
    char *changes = NULL;
    char msg[CQ_PROTO_MSG_LEN];
    if (act == CQ_RELEASE_CORRECTED && as_is) {
        //  a claim without a page: released as it pended
        cq_review_claim_t *rc = cq_xcalloc(1, sizeof *rc);
        int r = cq_review_get(st->bc, tn, nt, id, false, rc, S_TIMEOUT_MS);
        if (r == 0) {
            claim = cq_xmalloc(sizeof *claim);
            *claim = rc->claim;
            changes = cq_xstrdup("[]");
        }
        cq_review_claim_free(rc);
        free(rc);
        if (r == CQ_ENOTFOUND)
            return s_message(st, c, 404, ss, "Not found",
                             "No such claim waits for review.");
        if (r != 0)
            return s_unavailable(st, c, ss, r);
    } else if (act == CQ_RELEASE_CORRECTED) {
        const s_cached_t *e = s_cache_find(st, id);
        if (e == NULL) // the station restarted, or the page left the cache
            return s_claim(st, c, ss, id, form,
                           "Not released: the page was read again; check "
                           "the fields and release once more.");
        if (s_corrected(st, e, form, &claim, &changes, msg, sizeof msg) != 0)
            return s_claim(st, c, ss, id, form, msg);
    }
    int64_t t0 = s_mono_ms();
    int r = cq_review_release(st->bc, tn, nt, id, token, ss->name, act, claim,
                              changes ? changes : "[]", msg, S_TIMEOUT_MS);
    free(claim);
    free(changes);
    if (r == 0) {
        cq_log_notice(
            NULL,
            "review: claim %" PRIu64 " released by %s (%s) in %" PRId64 " ms",
            id, ss->name, cq_release_action_name(act), s_mono_ms() - t0);
        s_cache_drop(st, id);
        return s_next(st, c, ss);
    }
    if (r == CQ_EINVAL || r == CQ_EBUSY) {
        //  shown again with what was typed: the claim is locked again
        //  (when nobody else has taken it meanwhile)
        char shown[CQ_PROTO_MSG_LEN + 160];
        if (r == CQ_EBUSY)
            snprintf(shown, sizeof shown,
                     "Not released: your lock had run out (%s). It is "
                     "yours again unless someone else took it: check the "
                     "fields and release once more.",
                     msg);
        else
            snprintf(shown, sizeof shown, "Not released: %s", msg);
        cq_log_notice(NULL,
                      "review: claim %" PRIu64 ": %s's release refused (%s)",
                      id, ss->name, cq_strerror(r));
        return s_claim(st, c, ss, id, form, shown);
    }
    if (r == CQ_ENOTFOUND)
        return s_message(st, c, 404, ss, "Not found",
                         "No such claim waits for review (released "
                         "meanwhile?).");
    return s_unavailable(st, c, ss, r);
}

static enum MHD_Result
s_unlock(s_station_t *st, struct MHD_Connection *c, s_session_t *ss,
         uint64_t id, const cq_rv_form_t *form)
{
    const char *tn[CQ_RV_MAX_TENANTS];
    size_t nt = s_tenants(st, ss, tn);
    const char *tok = cq_rv_form_get(form, "token");
    char *end = NULL;
    uint64_t token = tok != NULL ? strtoull(tok, &end, 10) : 0;
    if (tok == NULL || end == tok || *end != '\0')
        return s_message(st, c, 400, ss, "Bad request", "No lock named.");
    int r = cq_review_unlock(st->bc, tn, nt, id, token, S_TIMEOUT_MS);
    if (r != 0 && r != CQ_ENOTFOUND)
        return s_unavailable(st, c, ss, r);
    cq_log_info(NULL, "review: claim %" PRIu64 " given back by %s", id,
                ss->name);
    return s_redirect(st, c, "/", NULL);
}

//  ---- the HTTP handler
//  ---------------------------------------------------------

typedef struct {
    cq_buf_t body; // a POST's body, at most CQ_RV_MAX_BODY bytes
    bool too_big;
} s_req_t;

static void
s_req_done(void *cls, struct MHD_Connection *c, void **con_cls,
           enum MHD_RequestTerminationCode toe)
{
    (void)cls, (void)c, (void)toe;
    s_req_t *r = *con_cls;
    if (r != NULL) {
        if (r->body.data != NULL) // passwords pass through here
            sodium_memzero(r->body.data, r->body.len);
        cq_buf_free(&r->body);
        free(r);
        *con_cls = NULL;
    }
}

//  "/claim/ID" + suffix: ID, or UINT64_MAX.
static uint64_t
s_claim_path(const char *url, const char *suffix)
{
    if (strncmp(url, "/claim/", 7) != 0)
        return UINT64_MAX;
    const char *p = url + 7;
    size_t n = strspn(p, "0123456789");
    if (n == 0 || n > 19 || strcmp(p + n, suffix) != 0)
        return UINT64_MAX;
    return strtoull(p, NULL, 10);
}

//  On loopback, the Host header must name the station itself: a page of
//  another site whose name was made to resolve to 127.0.0.1 (DNS
//  rebinding) gets nothing.
static bool
s_host_ok(const s_station_t *st, struct MHD_Connection *c)
{
    if (st->host[0] == '\0')
        return true;
    const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Host");
    if (h == NULL)
        return false;
    char local[64];
    snprintf(local, sizeof local, "localhost:%d", st->port);
    return strcmp(h, st->host) == 0 || strcmp(h, local) == 0;
}

static enum MHD_Result
s_handle(void *cls, struct MHD_Connection *c, const char *url,
         const char *method, const char *version, const char *upload,
         size_t *upload_size, void **con_cls)
{
    (void)version;
    s_station_t *st = cls;
    bool post = strcmp(method, "POST") == 0;
    if (!post && strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
        return s_reply(st, c, 405, "text/plain", "method not allowed\n", 19,
                       NULL, NULL);
    if (post) {
        //  the body arrives in pieces: keep it (capped), answer at the end
        s_req_t *r = *con_cls;
        if (r == NULL) {
            r = cq_xcalloc(1, sizeof *r);
            cq_buf_init(&r->body, CQ_RV_MAX_BODY);
            *con_cls = r;
            return MHD_YES;
        }
        if (*upload_size > 0) {
            if (!r->too_big && cq_buf_add(&r->body, upload, *upload_size) != 0)
                r->too_big = true;
            *upload_size = 0;
            return MHD_YES;
        }
        if (r->too_big)
            return s_reply(st, c, 413, "text/plain", "request too large\n", 18,
                           NULL, NULL);
    }
    if (strcmp(method, "HEAD") == 0 && strcmp(url, "/app.css") != 0 &&
        strcmp(url, "/app.js") != 0) // opening a claim takes its lock
        return s_reply(st, c, 405, "text/plain", "method not allowed\n", 19,
                       NULL, NULL);
    if (!s_host_ok(st, c))
        return s_reply(st, c, 421, "text/plain", "wrong host\n", 11, NULL,
                       NULL);
    if (!post && strcmp(url, "/app.css") == 0)
        return s_reply(st, c, 200, "text/css; charset=utf-8", cq_rv_css,
                       strlen(cq_rv_css), NULL, NULL);
    if (!post && strcmp(url, "/app.js") == 0)
        return s_reply(st, c, 200, "text/javascript; charset=utf-8", cq_rv_js,
                       strlen(cq_rv_js), NULL, NULL);
    if (!post && strcmp(url, "/favicon.ico") == 0)
        return s_reply(st, c, 404, "text/plain", "", 0, NULL, NULL);
    cq_rv_form_t form;
    memset(&form, 0, sizeof form);
    if (post) {
        s_req_t *r = *con_cls;
        if (cq_rv_form_parse(r->body.data ? r->body.data : "", r->body.len,
                             &form) != 0)
            return s_message(st, c, 400, NULL, "Bad request",
                             "The form could not be read.");
    }
    s_accounts_refresh(st);
    enum MHD_Result ret;
    uint64_t id;
    s_session_t *ss = NULL;
    if (strcmp(url, "/login") == 0) {
        ret = post ? s_login(st, c, &form) : s_signin_page(st, c, NULL);
    } else if ((ss = s_session(st, c)) == NULL) {
        //  not signed in: a page goes to the sign-in; a POST is refused
        ret = post ? s_message(st, c, 403, NULL, "Forbidden",
                               "Not signed in, or the session ended.")
                   : s_redirect(st, c, "/login", NULL);
    } else if (post && !s_csrf_ok(ss, &form)) {
        cq_log_notice(NULL,
                      "review: %s: a POST without its CSRF token "
                      "refused",
                      ss->name);
        ret = s_message(st, c, 403, ss, "Forbidden",
                        "The form lacks its token: open the page again.");
    } else if (post && strcmp(url, "/logout") == 0) {
        char cookie[256];
        s_cookie(st, cookie, sizeof cookie, S_COOKIE, "", true);
        cq_log_notice(NULL, "review: %s signed out", ss->name);
        sodium_memzero(ss, sizeof *ss);
        ret = s_redirect(st, c, "/login", cookie);
    } else if (!post && strcmp(url, "/") == 0) {
        ret = s_queue(st, c, ss);
    } else if (!post && strcmp(url, "/next") == 0) {
        ret = s_next(st, c, ss);
    } else if (!post && (id = s_claim_path(url, "")) != UINT64_MAX) {
        ret = s_claim(st, c, ss, id, NULL, NULL);
    } else if (!post && (id = s_claim_path(url, "/page.png")) != UINT64_MAX) {
        ret = s_png(st, c, ss, id);
    } else if (post && (id = s_claim_path(url, "/release")) != UINT64_MAX) {
        ret = s_release(st, c, ss, id, &form);
    } else if (post && (id = s_claim_path(url, "/unlock")) != UINT64_MAX) {
        ret = s_unlock(st, c, ss, id, &form);
    } else {
        ret = s_message(st, c, 404, ss, "Not found", "No such page.");
    }
    for (size_t i = 0; i < form.n; i++) // passwords, patient data
        sodium_memzero(form.v[i].value, strlen(form.v[i].value));
    cq_rv_form_free(&form);
    return ret;
}

//  ---- the verb -------------------------------------------------------------

static void
s_help(void)
{
    printf(
        "usage: claimq review [--broker URL] [--listen HOST:PORT]\n"
        "                     [--accounts FILE] [--tls-cert FILE --tls-key "
        "FILE]\n"
        "                     [--session-minutes N] [--lock-minutes N]\n"
        "       claimq review adduser|passwd|deluser NAME ...\n\n"
        "The web review station for pended claims (docs/review.md). Claims "
        "that\n"
        "pend for a person (OCR fields not sure, a form that did not "
        "register,\n"
        "a suspect duplicate) wait in the broker; a reviewer signs in here, "
        "sees\n"
        "the claims of their payers oldest first and opens one: the scanned\n"
        "form with each field's zone drawn over it, the value read and its\n"
        "confidence, the unsure fields first. The corrected values are "
        "checked\n"
        "by the rules the OCR uses and the claim is released: the broker "
        "has it\n"
        "decided again, and that decision supersedes the pend in the ledger\n"
        "(with the reviewer and every changed field, old and new). A "
        "suspect\n"
        "duplicate is shown beside the earlier claim: confirm it (rejected\n"
        "OA-18) or not (decided without the duplicate check).\n\n"
        "Prints one line, READY http://HOST:PORT/ (https with TLS), once it\n"
        "listens; logs go to stderr (claim ids and reviewers, never field\n"
        "values); SIGINT or SIGTERM stops it.\n\n"
        "options:\n"
        "  --broker URL         broker frontend (default $CLAIMQ_BROKER, "
        "else a\n"
        "                       local `claimq up`'s endpoints file, else\n"
        "                       %s)\n"
        "  --listen HOST:PORT   where to serve, HOST an IPv4 address "
        "(default\n"
        "                       127.0.0.1:0: loopback, a port the kernel "
        "picks);\n"
        "                       an address outside 127.0.0.0/8 needs "
        "--tls-cert\n"
        "                       and --tls-key\n"
        "  --accounts FILE      the accounts (default $%s, else\n"
        "                       ./%s); read again when it changes\n"
        "  --tls-cert FILE      serve HTTPS with this certificate (PEM)\n"
        "  --tls-key FILE       and this private key (PEM)\n"
        "  --session-minutes N  a sign-in ends after N idle minutes, 1..1440\n"
        "                       (default 30)\n"
        "  --lock-minutes N     opening a claim takes it for N minutes, "
        "1..120\n"
        "                       (default 5): others see it taken\n"
        "  -h, --help           this help\n\n"
        "accounts: claimq review adduser NAME --tenants PAYER[,PAYER...]\n"
        "(passwd, deluser; `claimq review adduser --help`).\n\n"
        "exit codes: 0 stopped by SIGINT or SIGTERM, 1 cannot listen, 2 "
        "usage\n"
        "(a non-loopback --listen without TLS), 3 setup (no accounts, a\n"
        "certificate or key that cannot be read, no OCR data, the address is "
        "the\n"
        "broker's worker endpoint)\n",
        CQ_BROKER_DEFAULT, CQ_RV_ACCOUNTS_ENV, CQ_RV_ACCOUNTS_DEFAULT);
}

static int
s_usage(const char *msg)
{
    fprintf(stderr, "%s: %s\nTry '%s --help'.\n", S_PROG, msg, S_PROG);
    return CQ_EXIT_USAGE;
}

//  A PEM file for libmicrohttpd (a NUL-terminated string), at most 1 MiB.
static char *
s_pem(const char *path)
{
    char *buf = NULL;
    size_t len = 0;
    int rc = cq_read_file(path, 1u << 20, &buf, &len);
    if (rc != 0) {
        fprintf(stderr, "%s: cannot read %s: %s\n", S_PROG, path,
                rc == CQ_ETOOBIG ? "over 1 MiB" : strerror(errno));
        return NULL;
    }
    return buf;
}

//  The station proper, once the options are checked. Returns the exit
//  code.
static int
s_serve(int argc, char **argv, const char *broker, const unsigned char ip[4],
        int port, const char *accounts, const char *cert, const char *key,
        long session_min, long lock_min)
{
    //  OpenMP must be limited before the process starts (docs/ocr.md): this
    //  re-executes the program when it is not.
    char **full = cq_xcalloc((size_t)argc + 2, sizeof *full);
    full[0] = "claimq";
    for (int i = 0; i < argc; i++)
        full[1 + i] = argv[i];
    cq_ocr_ensure_env(full);
    free(full);

    //  SIGINT / SIGTERM are taken by sigwait below; blocked before any
    //  thread starts (zmq's, libmicrohttpd's) so that none of them gets one
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    static s_station_t st; // large (sessions, cache): not on the stack
    memset(&st, 0, sizeof st);
    st.accounts_path = cq_rv_accounts_path(accounts);
    st.session_ms = session_min * 60000;
    st.lock_ms = (uint32_t)(lock_min * 60000);
    st.tls = cert != NULL;
    if (sodium_init() < 0) {
        fprintf(stderr, "%s: libsodium cannot start\n", S_PROG);
        return CQ_EXIT_SETUP;
    }
    char why[512];
    int rc =
        cq_rv_accounts_read(st.accounts_path, &st.accounts, why, sizeof why);
    if (rc != 0) {
        fprintf(stderr, "%s: %s%s\n", S_PROG, why,
                rc == CQ_ENOTFOUND ? " (make one with `claimq review adduser "
                                     "NAME --tenants PAYER`)"
                                   : "");
        return CQ_EXIT_SETUP;
    }
    stat(st.accounts_path, &st.accounts_st);
    {
        char pw[S_TOKEN_HEX];
        s_random_hex(pw);
        if (crypto_pwhash_str(st.dummy_hash, pw, strlen(pw),
                              crypto_pwhash_OPSLIMIT_INTERACTIVE,
                              crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
            fprintf(stderr, "%s: cannot hash (out of memory)\n", S_PROG);
            cq_rv_accounts_free(&st.accounts);
            return CQ_EXIT_SETUP;
        }
    }
    char *cert_pem = NULL, *key_pem = NULL;
    struct MHD_Daemon *httpd = NULL;
    cq_broker_ep_t ep;
    int ex = cq_broker_ep_connect("review", broker, &ep, &st.bc);
    if (ex != CQ_EXIT_OK) {
        cq_rv_accounts_free(&st.accounts);
        return ex;
    }
    //  one question to the broker: a wrong address is said now, not at
    //  the first reviewer's click (a broker not up yet is only noted)
    cq_review_list_t l;
    static const char *const all[] = {"*"};
    rc = cq_review_list(st.bc, all, 1, 0, &l, 5000); // counts only
    if (rc == CQ_EUNSUPPORTED) {
        ex = cq_broker_ep_fail("review", &ep, cq_bclient_why(st.bc), rc);
        goto out;
    }
    if (rc == 0)
        cq_review_list_free(&l);
    else
        cq_log_warn(NULL, "review: the broker at %s does not answer (yet)",
                    cq_bclient_ep(st.bc));
    cq_ocr_opts_t oo;
    cq_ocr_opts_init(&oo);
    oo.keep_page = true;
    cq_diag_t d = {0};
    st.ocr = cq_ocr_new(&oo, &d);
    if (st.ocr == NULL) {
        fprintf(stderr, "%s: %s\n", S_PROG, d.msg);
        ex = CQ_EXIT_SETUP;
        goto out;
    }
    if (cert != NULL && MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
        fprintf(stderr, "%s: this libmicrohttpd was built without TLS\n",
                S_PROG);
        ex = CQ_EXIT_SETUP;
        goto out;
    }
    if (cert != NULL) {
        cert_pem = s_pem(cert);
        key_pem = cert_pem ? s_pem(key) : NULL;
        if (key_pem == NULL) {
            ex = CQ_EXIT_SETUP;
            goto out;
        }
    }
    //  The socket is bound here (not by libmicrohttpd) so that the port
    //  the kernel picked is known before the first request is answered:
    //  the Host check needs it.
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    memcpy(&sa.sin_addr, ip, 4);
    socklen_t sl = sizeof sa;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    if (fd < 0 ||
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
        listen(fd, 64) != 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &sl) != 0) {
        fprintf(stderr, "%s: cannot listen on %u.%u.%u.%u:%d: %s\n", S_PROG,
                ip[0], ip[1], ip[2], ip[3], port, strerror(errno));
        if (fd >= 0)
            close(fd);
        ex = CQ_EXIT_FAIL;
        goto out;
    }
    st.port = ntohs(sa.sin_port);
    if (ip[0] == 127)
        snprintf(st.host, sizeof st.host, "%u.%u.%u.%u:%d", ip[0], ip[1], ip[2],
                 ip[3], st.port);
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
    if (cert != NULL)
        flags |= MHD_USE_TLS;
    //  libmicrohttpd reads options up to MHD_OPTION_END: without TLS the
    //  list ends before the certificate and key
    httpd = MHD_start_daemon(
        flags, 0, NULL, NULL, s_handle, &st, MHD_OPTION_LISTEN_SOCKET, fd,
        MHD_OPTION_NOTIFY_COMPLETED, s_req_done, NULL,
        MHD_OPTION_CONNECTION_LIMIT, 64u, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
        32u, MHD_OPTION_CONNECTION_TIMEOUT, 60u,
        cert != NULL ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, cert_pem,
        MHD_OPTION_HTTPS_MEM_KEY, key_pem, MHD_OPTION_END);
    if (httpd == NULL) {
        fprintf(stderr, "%s: cannot serve on %u.%u.%u.%u:%d%s\n", S_PROG, ip[0],
                ip[1], ip[2], ip[3], st.port,
                cert ? " (do the certificate and the key go together?)" : "");
        close(fd);
        ex = CQ_EXIT_FAIL;
        goto out;
    }
    printf("READY %s://%u.%u.%u.%u:%d/\n", cert ? "https" : "http", ip[0],
           ip[1], ip[2], ip[3], st.port);
    fflush(stdout);
    cq_log_notice(NULL,
                  "review: station on %s port %d, broker %s, %zu accounts, "
                  "sessions %ld min, locks %ld min",
                  cert ? "https" : "http", st.port, cq_bclient_ep(st.bc),
                  st.accounts.n, session_min, lock_min);
    int sig = 0;
    while (sigwait(&sigs, &sig) != 0)
        ;
    MHD_stop_daemon(httpd);
    cq_log_notice(NULL, "review: station stopped (%s)",
                  sig == SIGINT ? "SIGINT" : "SIGTERM");
    ex = CQ_EXIT_OK;
out:
    free(cert_pem);
    if (key_pem != NULL)
        sodium_memzero(key_pem, strlen(key_pem));
    free(key_pem);
    for (int i = 0; i < S_CACHE; i++)
        if (st.cache[i].used)
            cq_rv_page_free(&st.cache[i].page);
    sodium_memzero(st.sessions, sizeof st.sessions);
    cq_bclient_destroy(&st.bc);
    cq_ocr_destroy(&st.ocr);
    cq_rv_accounts_free(&st.accounts);
    return ex;
}

int
cq_cmd_review(int argc, char **argv)
{
    static const char *const subs[] = {"adduser", "passwd", "deluser"};
    if (argc > 1)
        for (size_t i = 0; i < 3; i++)
            if (strcmp(argv[1], subs[i]) == 0)
                return cq_rv_cmd_user(argc - 1, argv + 1);
    const char *broker = NULL, *listen = "127.0.0.1:0", *accounts = NULL;
    const char *cert = NULL, *key = NULL;
    long session_min = 30, lock_min = 5;
    static const struct option opts[] = {
        {"broker", required_argument, NULL, 'b'},
        {"listen", required_argument, NULL, 'l'},
        {"accounts", required_argument, NULL, 'a'},
        {"tls-cert", required_argument, NULL, 'c'},
        {"tls-key", required_argument, NULL, 'k'},
        {"session-minutes", required_argument, NULL, 's'},
        {"lock-minutes", required_argument, NULL, 'L'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    int ch;
    char *end;
    while ((ch = cq_getopt(argc, argv, "h", opts, S_PROG)) != -1) {
        switch (ch) {
        case 'b':
            broker = optarg;
            break;
        case 'l':
            listen = optarg;
            break;
        case 'a':
            accounts = optarg;
            break;
        case 'c':
            cert = optarg;
            break;
        case 'k':
            key = optarg;
            break;
        case 's':
            session_min = strtol(optarg, &end, 10);
            if (*end != '\0' || end == optarg || session_min < 1 ||
                session_min > 1440)
                return cq_opt_bad_value(S_PROG, "--session-minutes", optarg,
                                        "1..1440");
            break;
        case 'L':
            lock_min = strtol(optarg, &end, 10);
            if (*end != '\0' || end == optarg || lock_min < 1 || lock_min > 120)
                return cq_opt_bad_value(S_PROG, "--lock-minutes", optarg,
                                        "1..120");
            break;
        case 'h':
            s_help();
            return CQ_EXIT_OK;
        default:
            return CQ_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        if (argv[optind][0] != '-' && optind == 1)
            return cq_opt_bad_command(S_PROG, argv[optind], subs, 3);
        return s_usage("unexpected argument");
    }
    unsigned char ip[4];
    int port;
    bool loopback;
    if (cq_rv_listen_parse(listen, ip, &port, &loopback) != 0)
        return cq_opt_bad_value(S_PROG, "--listen", listen,
                                "HOST:PORT, HOST an IPv4 address");
    if ((cert == NULL) != (key == NULL))
        return s_usage("--tls-cert and --tls-key go together");
    if (!loopback && cert == NULL)
        return s_usage("--listen outside 127.0.0.0/8 would send patient "
                       "data and passwords unencrypted: give --tls-cert "
                       "and --tls-key");
    return s_serve(argc, argv, broker, ip, port, accounts, cert, key,
                   session_min, lock_min);
}
