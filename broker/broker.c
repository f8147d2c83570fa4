//  broker.c: see broker.h. The life cycle and the loop; broker_int.h says
//  which file keeps which guarantee.
//
//  One turn of the loop:
//    1. read what waits on both sockets (bounded, so neither side starves
//       the other); handlers change memory and add journal records;
//    2. hand the records to the journal's writer thread, which commits
//       them in one transaction, one fsync (group commit; while it writes,
//       the loop goes on and the next group gathers);
//    3. what the writer has committed becomes visible: orphan checks for
//       workers that registered, receipts for documents now written, and
//       the outbox of client messages (receipts, DOC_DONE, DECISIONS,
//       RESULTS) -- each held until the records it depends on are in;
//    4. work goes out (dispatch); timers: heartbeats, dead workers,
//       expired leases, idle clients.
//  When a commit fails (journal disk full, read-only), nothing that
//  depends on it leaves: receipts and pushes wait, no new work is given
//  out, new documents are refused with "journal full", and the commit is
//  tried again every second with every record it holds.
#include "broker_int.h"
#include "curve.h"
#include "metrics.h"
#include "hash.h"
#include "log.h"
#include "mem.h"
#include "shard.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

const char *const cqb_wstate[] = {"live", "draining", "mismatch",
                                  "dead", "left",     "paused"};

const char *const cqb_kname[K_COUNT] = {
    "msgs_in",          "msgs_out",
    "malformed",        "unknown_command",
    "bad_version",      "oversized",
    "unexpected",       "unknown_peer",
    "stale_results",    "undeliverable",
    "peer_busy",        "docs",
    "docs_resubmitted", "docs_failed",
    "claims",           "claims_resubmitted",
    "decided",          "claims_failed",
    "requeued_docs",    "requeued_claims",
    "workers_dead",     "shards_moved",
    "receipt_stalls",   "arena_bytes",
    "leases_expired",   "orphans",
    "quarantined",      "released",
    "history_sent",     "journal_commits",
    "journal_failures", "refused_full",
    "workers_paused",   "node_id_refused",
    "wrong_endpoint",   "recorded",
    "record_failures",  "review_released",
    "auth_refused",     "auth_revoked",
    "auth_denied",      "auth_reloads"};

uint64_t
cqb_str_hash(const char *s)
{
    return cq_hash64(s, strlen(s), 0x6371);
}

static int64_t
s_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

//  ---- life cycle ------------------------------------------------------------

void
cq_broker_config_default(cq_broker_config_t *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->frontend = "tcp://127.0.0.1:5555";
    cfg->backend = "tcp://127.0.0.1:5556";
    cfg->shards = CQ_SHARDS_DEFAULT;
    cfg->heartbeat_ms = 1000;
    cfg->max_frame = CQ_PROTO_MAX_FRAME;
    cfg->max_queued_bytes = (size_t)256 << 20;
    cfg->max_attempts = 3;
    cfg->client_idle_ms = 10 * 60 * 1000;
    cfg->lease_ms = 30000;
    cfg->intake_lease_ms = 30000;
    cfg->max_intake_ms = 10 * 60 * 1000;
    cfg->retain_days = 30;
    cfg->record_max_bytes = (uint64_t)1 << 30;
    cfg->record_files = 4;
    cfg->peer_catchup_mb = 256;
}

static zsock_t *
s_bind(cq_broker_t *self, const char *ep, const char *domain, char *resolved,
       size_t rsize, size_t max_frame, cq_diag_t *diag)
{
    zsock_t *s = zsock_new(ZMQ_ROUTER);
    if (s == NULL) {
        cq_diag_set(diag, CQ_EIO, 0, "cannot create a socket");
        return NULL;
    }
    if (self->auth)
        cqb_auth_server(self, s, domain);
    zsock_set_router_mandatory(s, 1);
    zsock_set_sndhwm(s, S_HWM);
    zsock_set_rcvhwm(s, S_HWM);
    zsock_set_linger(s, 0);
    //  The transport's own cap (libzmq drops the connection, unseen by
    //  us) sits well above ours, so that a frame over max_frame is read,
    //  counted and dropped (and a SUBMIT answered), while a frame of
    //  gigabytes is never allocated.
    int64_t hard = (int64_t)max_frame * 2 + ((int64_t)16 << 20);
    zsock_set_maxmsgsize(s, (int)(hard > INT32_MAX ? -1 : hard));
    //  libzmq's own bind: a port given as * is the kernel's pick (czmq's
    //  zsock_bind would take the lowest free port of a fixed range, which a
    //  restarting broker's neighbours may be given)
    if (zmq_bind(zsock_resolve(s), ep) != 0) {
        cq_diag_set(diag, CQ_EIO, 0, "cannot bind %s: %s", ep,
                    zmq_strerror(errno));
        zsock_destroy(&s);
        return NULL;
    }
    char *last = zsock_last_endpoint(s);
    cq_strlcpy(resolved, last ? last : ep, rsize);
    freen(last);
    return s;
}

//  Opens the journal and rebuilds the state it holds (at start, or when a
//  broker of a pair becomes active). 0, or -1 with diag.
static int
s_activate(cq_broker_t *self, cq_diag_t *diag)
{
    const cq_broker_config_t *cfg = &self->cfg;
    if (cfg->journal_dir) {
        self->journal =
            cq_journal_open(cfg->journal_dir, self->cfg.shards, diag);
        if (self->journal == NULL)
            return -1;
        self->epoch = cq_journal_epoch(self->journal);
        self->n_shards = cq_journal_shards(self->journal);
        if (self->n_shards != self->cfg.shards)
            cq_log_notice(NULL,
                          "journal: %u shards, fixed when it was created "
                          "(--shards %u ignored)",
                          self->n_shards, self->cfg.shards);
    } else {
        //  no journal: an epoch that a previous run is unlikely to have
        //  used (lease tokens of two runs must not match)
        self->epoch = 1 + ((uint64_t)self->wall / 1000 & 0x7fffff);
    }
    self->shards = cq_xcalloc(self->n_shards, sizeof *self->shards);
    for (uint32_t s = 0; s < self->n_shards; s++) {
        self->shards[s].owner = self->shards[s].target = S_NONE;
        cq_deque_init(&self->shards[s].q);
    }
    if (cqb_restore(self, diag) != 0)
        return -1;
    if (cfg->record_path && cqb_record_open(self, diag) != 0)
        return -1;
    if (self->journal && cq_journal_start(self->journal) != 0)
        return cq_diag_set(diag, CQ_EIO, 0,
                           "cannot start the journal's writer");
    self->committed = self->journal ? 0 : UINT64_MAX;
    if (self->peer && self->journal)
        cqb_peer_attach(self);
    return 0;
}

cq_broker_t *
cq_broker_new(const cq_broker_config_t *cfg, cq_diag_t *diag)
{
    cq_broker_t *self = cq_xcalloc(1, sizeof *self);
    self->cfg = *cfg;
    if (self->cfg.shards == 0 || self->cfg.shards > CQ_SHARDS_MAX)
        self->cfg.shards = CQ_SHARDS_DEFAULT;
    if (self->cfg.max_attempts == 0)
        self->cfg.max_attempts = 3;
    if (self->cfg.client_idle_ms == 0)
        self->cfg.client_idle_ms = 10 * 60 * 1000;
    if (self->cfg.lease_ms == 0)
        self->cfg.lease_ms = 30000;
    if (self->cfg.intake_lease_ms == 0)
        self->cfg.intake_lease_ms = 30000;
    if (self->cfg.max_intake_ms < self->cfg.intake_lease_ms)
        self->cfg.max_intake_ms = self->cfg.intake_lease_ms;
    self->now = cq_wire_now_ms();
    self->wall = s_wall_ms();
    self->free_lease = S_NONE;
    cq_u64map_init(&self->lease_map);
    cq_u64map_init(&self->key_map);
    cq_u64map_init(&self->doc_map);
    cq_u64map_init(&self->batch_map);
    cq_u64map_init(&self->client_map);
    cq_deque_init(&self->intake_q);
    cq_arena_init(&self->arena);
    cq_mpw_init(&self->w);
    cq_buf_init(&self->outbox_bytes, SIZE_MAX / 2);
    self->in = cq_xmalloc(sizeof *self->in);
    cq_wire_msg_init(self->in);
    //  (the ZAP handler before the sockets it guards)
    if (cqb_auth_start(self, diag) != 0)
        goto out_destroy;
    self->front_sock =
        s_bind(self, cfg->frontend, CQ_CURVE_ZAP_FRONT, self->front_ep,
               sizeof self->front_ep, cfg->max_frame, diag);
    if (self->front_sock)
        self->back_sock =
            s_bind(self, cfg->backend, CQ_CURVE_ZAP_BACK, self->back_ep,
                   sizeof self->back_ep, cfg->max_frame, diag);
    if (self->back_sock == NULL)
        goto out_destroy;
    self->front = zsock_resolve(self->front_sock);
    self->back = zsock_resolve(self->back_sock);
    if (cfg->metrics) {
        self->metrics = cq_metrics_start(cfg->metrics, diag);
        if (self->metrics == NULL)
            goto out_destroy;
    }
    if (cfg->rules_version)
        cq_strlcpy(self->rules_version, cfg->rules_version,
                   sizeof self->rules_version);
    self->seed = (uint64_t)zclock_usecs() ^ ((uint64_t)getpid() << 32);
    self->n_shards = self->cfg.shards;
    if (cfg->peer) {
        //  a pair: the journal is opened once this broker is active
        self->peer = cqb_peer_new(self, diag);
        if (self->peer == NULL)
            goto out_destroy;
    } else if (s_activate(self, diag) != 0) {
        goto out_destroy;
    }
    return self;
out_destroy:
    cq_broker_destroy(&self);
    return NULL;
}

const char *
cq_broker_frontend(const cq_broker_t *self)
{
    return self->front_ep;
}

const char *
cq_broker_backend(const cq_broker_t *self)
{
    return self->back_ep;
}

const char *
cq_broker_metrics_url(const cq_broker_t *self)
{
    return self->metrics ? cq_metrics_url(self->metrics) : NULL;
}

bool
cq_broker_curve(const cq_broker_t *self)
{
    return self->auth != NULL;
}

void
cq_broker_set_reload(cq_broker_t *self, volatile sig_atomic_t *flag)
{
    self->reload = flag;
}

bool
cq_broker_durable(const cq_broker_t *self)
{
    return self->journal != NULL || self->cfg.journal_dir != NULL;
}

const char *
cq_broker_peer_endpoint(const cq_broker_t *self)
{
    return self->peer ? cqb_peer_bind_ep(self->peer) : NULL;
}

bool
cq_broker_stepped_down(const cq_broker_t *self)
{
    return self->peer && cqb_peer_stopping(self);
}

uint64_t
cqb_recorded(const cq_broker_t *self)
{
    return self->journal ? cq_journal_recorded(self->journal) : 0;
}

//  The journal: learns what the writer committed (self->committed), and
//  hands it what was recorded since. A failing journal (disk full, read-
//  only) is tried again every second, with everything it holds.
static void
s_journal(cq_broker_t *self)
{
    if (self->journal == NULL) {
        self->committed = UINT64_MAX;
        return;
    }
    cq_diag_t diag = {0};
    uint64_t before = self->committed;
    int rc = cq_journal_status(self->journal, &self->committed, &diag);
    if (self->peer) // both disks, while the backup is in sync
        self->committed = cqb_peer_gate(self, self->committed);
    if (self->committed > before)
        self->k[K_JOURNAL_COMMITS]++;
    if (rc != 0 && !self->journal_full) {
        self->k[K_JOURNAL_FAILURES]++;
        cq_log_error(NULL,
                     "%s; holding receipts and decisions, refusing new "
                     "documents, retrying every second",
                     diag.msg);
        self->journal_full = true;
        cq_strlcpy(self->journal_why, diag.msg, sizeof self->journal_why);
        self->journal_retry = self->now + 1000;
    } else if (rc == 0 && self->journal_full) {
        self->journal_full = false;
        cq_log_notice(NULL, "journal: writable again; receipts and "
                            "dispatch resume");
    }
    bool retry = !self->journal_full || self->now >= self->journal_retry;
    if (self->journal_full && retry) {
        self->journal_retry = self->now + 1000;
        self->k[K_JOURNAL_FAILURES]++; // (the last attempt failed)
    }
    memset(&diag, 0, sizeof diag);
    cq_journal_kick(self->journal, retry, &diag);
}

//  Reads what waits on both sockets, a bounded number of messages each.
static void
s_read(cq_broker_t *self)
{
    for (int i = 0; i < S_TURN_MSGS; i++) {
        bool any = false;
        if (cq_wire_recv(self->back, true, self->in, ZMQ_DONTWAIT) == 0) {
            cqb_on_backend(self, self->in);
            any = true;
        }
        if (cq_wire_recv(self->front, true, self->in, ZMQ_DONTWAIT) == 0) {
            cqb_on_frontend(self, self->in);
            any = true;
        }
        if (!any)
            break;
    }
    cq_wire_msg_close(self->in);
}

int
cq_broker_run(cq_broker_t *self, volatile sig_atomic_t *stop)
{
    if (self->peer && cqb_peer_state(self->peer) != CQB_PEER_ACTIVE) {
        int rc = cqb_peer_standby(self, stop);
        if (rc <= 0)
            return rc < 0 ? 3 : 0;
        cq_diag_t diag = {0};
        if (s_activate(self, &diag) != 0) {
            cq_log_error(NULL, "cannot become active: %s", diag.msg);
            return 3;
        }
        cq_log_notice(NULL, "active (epoch %llu)",
                      (unsigned long long)self->epoch);
    }
    zmq_pollitem_t items[5] = {{self->front, 0, ZMQ_POLLIN, 0},
                               {self->back, 0, ZMQ_POLLIN, 0},
                               {NULL, -1, ZMQ_POLLIN, 0},
                               {NULL, -1, ZMQ_POLLIN, 0},
                               {NULL, -1, ZMQ_POLLIN, 0}};
    int n_items = 2;
    if (self->peer) // the backup's acknowledgments
        items[n_items++].socket = cqb_peer_sock(self->peer);
    if (self->journal && cq_journal_fd(self->journal) >= 0) {
        items[n_items].fd = cq_journal_fd(self->journal); // a commit finished
        n_items++;
    }
    if (self->auth) // handshakes waiting for a verdict
        items[n_items++].socket = cqb_auth_sock(self);
    int64_t next_tick = cq_wire_now_ms();
    int tick_ms =
        (int)(self->cfg.heartbeat_ms / 4 ? self->cfg.heartbeat_ms / 4 : 1);
    if (tick_ms > 250)
        tick_ms = 250;
    while (!*stop) {
        self->now = cq_wire_now_ms();
        int64_t wait = next_tick - self->now;
        if (wait < 0)
            wait = 0;
        int n = zmq_poll(items, n_items, (long)wait);
        if (n < 0 && errno != EINTR) {
            cq_log_error(NULL, "poll: %s", zmq_strerror(errno));
            break;
        }
        self->now = cq_wire_now_ms();
        self->wall = s_wall_ms();
        if (self->auth) {
            if (self->reload && *self->reload) {
                *self->reload = 0;
                cqb_auth_reload(self);
            }
            cqb_auth_handle(self);
        }
        s_read(self);
        if (self->peer) {
            cqb_peer_tick(self);
            if (cqb_peer_stopping(self))
                break;
        }
        s_journal(self);
        cqb_orphan_checks(self);
        cqb_release_receipts(self);
        if (!self->journal_full) {
            //  (work goes out before its records are committed: a crash
            //  before the commit voids it, and its results come back
            //  under leases of a dead epoch, refused)
            cqb_dispatch_intake(self);
            cqb_shards_rebalance(self);
            cqb_dispatch_adj(self);
        }
        for (uint32_t i = 0; i < self->n_clients; i++)
            cqb_client_flush(self, i);
        cqb_outbox_send(self);
        cqb_record_flush(self);
        cqb_metrics_tick(self);
        if (self->now >= next_tick) {
            cqb_workers_tick(self);
            cqb_clients_tick(self);
            next_tick = self->now + tick_ms;
            //  finished batches past the retention: one per tick while
            //  there are some, then a look every minute. Records still
            //  waiting for their commit: the next tick looks again (a
            //  batch that just finished is not put off for a minute).
            if (!self->journal_full && self->now >= self->next_compact &&
                self->journal && cq_journal_pending(self->journal) == 0 &&
                !cqb_compact_one(self))
                self->next_compact = self->now + 60000;
        }
    }
    //  what the last turns recorded
    if (self->journal && cq_journal_pending(self->journal) > 0) {
        cq_diag_t diag = {0};
        if (cq_journal_commit(self->journal, &diag) != 0)
            cq_log_error(NULL, "%s: the last records are not in the journal",
                         diag.msg);
    }
    if (self->peer && self->journal)
        cqb_peer_farewell(self);
    return 0;
}

void
cq_broker_destroy(cq_broker_t **self_p)
{
    assert(self_p);
    cq_broker_t *self = *self_p;
    if (self == NULL)
        return;
    cqb_peer_destroy(&self->peer);
    zsock_destroy(&self->front_sock);
    zsock_destroy(&self->back_sock);
    cqb_auth_stop(self);
    cq_metrics_stop(&self->metrics);
    cq_journal_close(&self->journal);
    cqb_record_close(self);
    for (uint32_t i = 0; i < self->n_workers; i++)
        cq_mpw_free(&self->workers[i].out);
    free(self->workers);
    for (uint32_t i = 0; i < self->n_ledgers; i++)
        free(self->ledgers[i].bits);
    free(self->ledgers);
    for (uint32_t i = 0; i < self->n_leases; i++)
        free(self->leases[i].cids);
    free(self->leases);
    cq_u64map_free(&self->lease_map);
    free(self->claims);
    cq_u64map_free(&self->key_map);
    free(self->refs);
    cq_arena_free(&self->arena);
    for (uint32_t i = 0; i < self->n_docs; i++) {
        cqb_doc_t *d = self->docs[i];
        if (d->has_data)
            zmq_msg_close(&d->data);
        cqb_doc_parts_free(d);
        free(d->name);
        free(d->message);
        free(d->cids);
        free(d->dup);
        free(d->ack);
        free(d);
    }
    free(self->docs);
    cq_u64map_free(&self->doc_map);
    cq_deque_free(&self->intake_q);
    for (uint32_t i = 0; i < self->n_batches; i++) {
        free(self->batches[i].docs);
        free(self->batches[i].entries);
        cq_u64map_free(&self->batches[i].in_batch);
    }
    free(self->batches);
    cq_u64map_free(&self->batch_map);
    free(self->fails);
    free(self->reviews);
    for (uint32_t i = 0; i < self->n_clients; i++)
        cq_mpw_free(&self->clients[i].out);
    free(self->clients);
    cq_u64map_free(&self->client_map);
    free(self->receipts);
    free(self->outbox);
    cq_buf_free(&self->outbox_bytes);
    if (self->shards)
        for (uint32_t s = 0; s < self->n_shards; s++) {
            cq_deque_free(&self->shards[s].q);
            free(self->shards[s].hist);
        }
    free(self->shards);
    cq_mpw_free(&self->w);
    if (self->in)
        cq_wire_msg_close(self->in);
    free(self->in);
    free(self);
    *self_p = NULL;
}
