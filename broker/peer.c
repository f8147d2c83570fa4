//  peer.c: the pair of brokers (docs/operations.md "Failover"): a primary
//  and a backup, the zguide's Binary Star made durable.
//
//  Each broker binds a ROUTER for the peer link (--peer-bind) and connects
//  a DEALER to the other's (--peer): it reads on the first and writes on the
//  second. Both send a BEACON every heartbeat (state, epoch, session,
//  position).
//
//  The active broker streams its journal to the passive one: a snapshot
//  first (cq_journal_snapshot: the database and the segment files, in
//  PEER_SNAP pieces, a window of them unacknowledged), then every group of
//  records as it is handed to the journal's writer (PEER_GROUP, from the
//  journal's tap), and every compaction. The passive applies them to its
//  own journal, which it fsyncs, and acknowledges (PEER_ACK) the position
//  it holds. Once the passive holds the snapshot, the active broker makes
//  nothing visible (receipts, decisions, results acknowledgments) before
//  both journals hold its records: cqb_peer_gate lowers the broker's
//  committed count to what the passive acknowledged. A passive silent for
//  --peer-timeout-ms is given up: the active goes on alone, says so (log,
//  metrics, `claimq status`), and syncs it again when it returns: the
//  groups it missed, from the tail of the groups tapped in this activation
//  (the stream) that it has not acknowledged (at most --peer-catchup-mb
//  MiB), when its beacon names this stream and a position the tail reaches
//  back to; else a snapshot.
//
//  Who is active (Binary Star's rules):
//    - a primary starting becomes passive if its peer is active, else
//      active (at once when the peer answers as passive or starting, after
//      the timeout when nothing answers);
//    - a backup starting waits for an active peer and follows it;
//    - a passive broker that holds the journal takes over when its peer
//      answers but is not active for the timeout (nobody serves: a
//      restarted backup waits for an active peer);
//    - a passive broker takes over only when (1) it holds the journal (a
//      snapshot applied), (2) its peer has been silent for the timeout, and
//      (3) a client sent it a request or a worker registered with it
//      (READY; a heartbeat on a connection being left does not count): a
//      cut link between the two
//      brokers alone never makes two actives, as long as clients and
//      workers still reach the active one;
//    - taking over opens the replicated journal as a restart does, with a
//      new epoch above the old active's (every lease token carries it);
//    - an active broker that hears another active one with a newer epoch
//      stops (exit 4): restarted, it finds that peer active and follows it.
//  Clients and workers that reach a passive (or starting) broker are told
//  so (DISCONNECT, code PASSIVE) and try their next endpoint.
//
//  Whatever a passive held before a snapshot (an old primary's journal) is
//  kept as DIR.superseded, not deleted.
#include "broker_int.h"
#include "log.h"
#include "mem.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define S_CHUNK CQ_PEER_MAX_CHUNK    // bytes per PEER_SNAP
#define S_WINDOW 16                  // PEER_SNAPs not yet acknowledged
#define S_HELD_MAX ((size_t)1 << 30) // groups held while a snapshot goes
#define S_MAX_FRAME ((size_t)CQ_PEER_MAX_FRAME)
#define S_FILES_MAX 100000

const char *const cqb_peer_states[] = {"starting", "active", "passive"};

typedef struct {
    uint8_t *p;
    size_t len;
    int kind;
    uint64_t first;
    uint32_t n;
} s_held_t;

struct cqb_peer {
    zsock_t *in_sock, *out_sock;
    void *in, *out;
    char bind_ep[256];
    char peer_ep[256];
    int role;  // CQ_BROKER_PRIMARY / CQ_BROKER_BACKUP
    int state; // CQB_PEER_*
    uint32_t hb_ms, timeout_ms;
    int64_t started, last_heard, last_beacon;
    int64_t last_turn;  // the loop's last turn (a pause in between)
    int64_t resumed_at; // the end of the last pause (0: none)
    bool heard;         // the peer was heard (this run)
    int peer_state;
    uint64_t peer_epoch, peer_session, peer_pos;
    bool stop;    // step down: another active with a newer epoch, or a
                  // handover given
    bool handing; // active: stopping to hand over (--promote)
    bool handed;  // passive: the active one handed over
    cq_mpw_t w;   // bodies being built
    cq_wire_msg_t in_msg;

    //  active: the passive being served
    uint64_t session; // its session (0: none)
    bool synced;      // it holds the snapshot: receipts wait for both
    bool alone;       // going on alone (said)
    uint64_t snap_pos, acked, released;
    char snap_dir[4200];
    char (*files)[CQ_PEER_NAME_LEN];
    uint32_t n_files, cur_file;
    uint64_t cur_off;
    int cur_fd;
    uint64_t chunk_sent, chunk_acked;
    bool snap_done; // every piece sent
    s_held_t *held; // groups made while the snapshot goes
    size_t n_held, cap_held, held_bytes;
    //  the catch-up tail: the groups tapped that the passive has not
    //  acknowledged (at most tail_max bytes, the oldest dropped first), for
    //  a passive that comes back holding this stream's records
    uint64_t stream; // this activation's (one per journal opening)
    s_held_t *tail;  // tail[tail_head .. n_tail)
    size_t n_tail, cap_tail, tail_head, tail_bytes, tail_max;
    uint64_t tail_min; // the first position the tail can serve from
    uint64_t tail_end; // the position after the last group tapped

    //  passive: the replica
    cq_journal_t *replica;
    uint64_t my_session;
    bool installed; // a snapshot applied: this broker holds the journal
    uint64_t base, expect, acked_sent;
    int64_t idle_since;     // the peer alive and not active since (0: no)
    uint64_t follow_stream; // the stream the installed journal follows
    uint64_t peer_stream;   // the active peer's, from its beacon
    uint64_t snap_stream;   // ... when the snapshot being received began
    uint32_t compacts;      // compactions applied at position expect
    char stage_dir[4200];
    uint64_t chunks_in;

    //  counters (metrics, status)
    uint64_t k_groups, k_bytes, k_snapshots, k_takeovers, k_dropped, k_resyncs;
    uint64_t k_catchups;
};

//  ---- the link ----------------------------------------------------------

static uint64_t
s_nonce(void)
{
    uint64_t v = (uint64_t)zclock_usecs() ^ ((uint64_t)getpid() << 40);
    return v ? v : 1;
}

static int
s_send(cqb_peer_t *self, cq_cmd_t cmd)
{
    int rc = cq_wire_send(self->out, NULL, 0, cmd, self->w.data, self->w.len,
                          NULL, 0, ZMQ_DONTWAIT);
    if (rc != 0)
        self->k_dropped++;
    return rc;
}

static void
s_beacon(cqb_peer_t *self, cq_broker_t *b)
{
    cq_msg_peer_beacon_t m = {
        .state = (uint32_t)self->state,
        .role = (uint32_t)self->role,
        .epoch = self->state == CQB_PEER_ACTIVE ? b->epoch : 0,
        .session =
            self->state == CQB_PEER_ACTIVE ? self->session : self->my_session};
    if (self->state == CQB_PEER_ACTIVE && b->journal) {
        m.pos = cq_journal_recorded(b->journal);
        m.stream = self->stream;
        m.handover = self->handing ? 2 : 0;
    } else if (self->state == CQB_PEER_PASSIVE) {
        m.pos = self->acked_sent;
        if (self->installed) {
            m.stream = self->follow_stream;
            m.applied = self->expect;
            m.compacts = self->compacts;
            m.handover = b->cfg.promote ? 1 : 0;
        }
    }
    cq_proto_peer_beacon_encode(&self->w, &m);
    s_send(self, CQ_CMD_PEER_BEACON);
    self->last_beacon = b->now;
}

cqb_peer_t *
cqb_peer_new(cq_broker_t *b, cq_diag_t *diag)
{
    const cq_broker_config_t *cfg = &b->cfg;
    cqb_peer_t *self = cq_xcalloc(1, sizeof *self);
    self->role = cfg->role;
    self->state = CQB_PEER_STARTING;
    self->hb_ms = cfg->heartbeat_ms ? cfg->heartbeat_ms : 1000;
    if (self->hb_ms > 1000)
        self->hb_ms = 1000;
    self->timeout_ms = cfg->peer_timeout_ms ? cfg->peer_timeout_ms : 5000;
    self->tail_max = (size_t)cfg->peer_catchup_mb << 20;
    if (self->hb_ms * 2 > self->timeout_ms)
        self->hb_ms = self->timeout_ms / 3 ? self->timeout_ms / 3 : 1;
    self->cur_fd = -1;
    self->my_session = s_nonce();
    cq_mpw_init(&self->w);
    cq_wire_msg_init(&self->in_msg);
    self->in_sock = zsock_new(ZMQ_ROUTER);
    self->out_sock = zsock_new(ZMQ_DEALER);
    if (self->in_sock == NULL || self->out_sock == NULL) {
        cq_diag_set(diag, CQ_EIO, 0, "cannot create the peer sockets");
        goto out_fail;
    }
    zsock_set_linger(self->in_sock, 0);
    zsock_set_linger(self->out_sock, 0);
    zsock_set_rcvhwm(self->in_sock, 0);
    zsock_set_sndhwm(self->out_sock, 0);
    //  nothing queued for a peer that is not connected: what it missed,
    //  it gets from a snapshot
    zsock_set_immediate(self->out_sock, 1);
    //  ZMTP heartbeats: a connection through a cut link is dropped and
    //  made again, instead of waiting out TCP's retransmissions
    zsock_set_heartbeat_ivl(self->out_sock, (int)self->hb_ms);
    zsock_set_heartbeat_timeout(self->out_sock, (int)self->timeout_ms);
    zsock_set_heartbeat_ivl(self->in_sock, (int)self->hb_ms);
    zsock_set_heartbeat_timeout(self->in_sock, (int)self->timeout_ms);
    zsock_set_maxmsgsize(self->in_sock, (int64_t)S_MAX_FRAME);
    if (b->auth) // CURVE: both brokers hold the same key
        cqb_auth_peer(b, self->in_sock, self->out_sock);
    if (zmq_bind(zsock_resolve(self->in_sock), cfg->peer_bind) != 0) {
        cq_diag_set(diag, CQ_EIO, 0, "cannot bind --peer-bind %s: %s",
                    cfg->peer_bind, zmq_strerror(errno));
        goto out_fail;
    }
    char *last = zsock_last_endpoint(self->in_sock);
    cq_strlcpy(self->bind_ep, last ? last : cfg->peer_bind,
               sizeof self->bind_ep);
    freen(last);
    cq_strlcpy(self->peer_ep, cfg->peer, sizeof self->peer_ep);
    if (zsock_connect(self->out_sock, "%s", cfg->peer) != 0) {
        cq_diag_set(diag, CQ_EINVAL, 0, "cannot connect --peer %s", cfg->peer);
        goto out_fail;
    }
    self->in = zsock_resolve(self->in_sock);
    self->out = zsock_resolve(self->out_sock);
    self->started = b->now;
    snprintf(self->stage_dir, sizeof self->stage_dir, "%s.sync",
             cfg->journal_dir);
    return self;
out_fail:
    cqb_peer_destroy(&self);
    return NULL;
}

static void s_snap_end(cqb_peer_t *self);
static void s_check_synced(cqb_peer_t *self);

void
cqb_peer_destroy(cqb_peer_t **self_p)
{
    cqb_peer_t *self = *self_p;
    if (self == NULL)
        return;
    s_snap_end(self);
    free(self->files);
    for (size_t i = 0; i < self->n_held; i++)
        free(self->held[i].p);
    free(self->held);
    for (size_t i = self->tail_head; i < self->n_tail; i++)
        free(self->tail[i].p);
    free(self->tail);
    if (self->replica) {
        cq_diag_t diag = {0};
        cq_journal_commit(self->replica, &diag);
        cq_journal_close(&self->replica);
    }
    zsock_destroy(&self->in_sock);
    zsock_destroy(&self->out_sock);
    cq_mpw_free(&self->w);
    cq_wire_msg_close(&self->in_msg);
    free(self);
    *self_p = NULL;
}

void *
cqb_peer_sock(cqb_peer_t *self)
{
    return self->in;
}

const char *
cqb_peer_bind_ep(const cqb_peer_t *self)
{
    return self->bind_ep;
}

int
cqb_peer_state(const cqb_peer_t *self)
{
    return self->state;
}

//  ---- active: the snapshot and the stream ---------------------------------

static void
s_rmdir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char p[4600];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        unlink(p);
    }
    if (d)
        closedir(d);
    rmdir(dir);
}

static void
s_snap_end(cqb_peer_t *self)
{
    if (self->cur_fd >= 0)
        close(self->cur_fd);
    self->cur_fd = -1;
    if (self->snap_dir[0])
        s_rmdir(self->snap_dir);
    self->snap_dir[0] = '\0';
    self->n_files = self->cur_file = 0;
}

static void
s_held_clear(cqb_peer_t *self)
{
    for (size_t i = 0; i < self->n_held; i++)
        free(self->held[i].p);
    self->n_held = 0;
    self->held_bytes = 0;
}

static void
s_send_group(cqb_peer_t *self, int kind, uint64_t first, uint32_t n,
             const uint8_t *body, size_t len)
{
    cq_msg_peer_group_t m = {.session = self->session,
                             .kind = (uint32_t)kind,
                             .first = first,
                             .n = n,
                             .body = body,
                             .len = len};
    cq_proto_peer_group_encode(&self->w, &m);
    if (s_send(self, CQ_CMD_PEER_GROUP) == 0) {
        self->k_groups++;
        self->k_bytes += len;
        return;
    }
    //  not connected (the link is being made again): the passive would
    //  wait for a group that never comes. Its session ends; its next
    //  beacon starts one again from what it holds. Receipts still wait for
    //  its acknowledgment (synced stays): this broker may have been stopped
    //  and its peer taken over, and it goes on alone only once the peer is
    //  silent for the timeout while it runs.
    cq_log_warn(NULL, "peer: cannot send to the backup (not connected); "
                      "it is sent what it missed when it asks again");
    self->session = 0;
    s_snap_end(self);
    s_held_clear(self);
}

//  A copy of a group tapped.
static void
s_held_set(s_held_t *h, int kind, uint64_t first, uint32_t n,
           const uint8_t *body, size_t len)
{
    h->p = cq_xmalloc(len ? len : 1);
    memcpy(h->p, body, len);
    h->len = len;
    h->kind = kind;
    h->first = first;
    h->n = n;
}

//  The oldest group of the tail goes; the tail serves from after it (a
//  compaction's position no longer: which of those the passive applied is
//  not known past it).
static void
s_tail_drop(cqb_peer_t *self)
{
    s_held_t *h = &self->tail[self->tail_head++];
    uint64_t after = h->first + (h->n ? h->n : 1);
    if (after > self->tail_min)
        self->tail_min = after;
    self->tail_bytes -= h->len;
    free(h->p);
    if (self->tail_head == self->n_tail)
        self->n_tail = self->tail_head = 0;
}

//  Every group tapped is kept in the tail, the oldest dropped past
//  --peer-catchup-mb.
static void
s_tail_push(cqb_peer_t *self, int kind, uint64_t first, uint32_t n,
            const uint8_t *body, size_t len)
{
    self->tail_end = first + n;
    if (len > self->tail_max) { // (or no tail at all)
        while (self->n_tail > self->tail_head)
            s_tail_drop(self);
        self->tail_min = first + n + 1;
        return;
    }
    while (self->tail_bytes + len > self->tail_max)
        s_tail_drop(self);
    if (self->n_tail == self->cap_tail && self->tail_head > 0) {
        memmove(self->tail, self->tail + self->tail_head,
                (self->n_tail - self->tail_head) * sizeof *self->tail);
        self->n_tail -= self->tail_head;
        self->tail_head = 0;
    }
    S_GROW(self->tail, self->n_tail, self->cap_tail);
    s_held_set(&self->tail[self->n_tail++], kind, first, n, body, len);
    self->tail_bytes += len;
}

//  The journal's tap: records (or a compaction) to the passive.
static void
s_tap(void *arg, int kind, uint64_t first, uint32_t n, const uint8_t *body,
      size_t len)
{
    cqb_peer_t *self = arg;
    s_tail_push(self, kind, first, n, body, len);
    //  nobody to send to, or records the snapshot holds (a compaction
    //  tapped while a session is served came after its snapshot)
    if (self->session == 0 ||
        (kind == CQ_JOURNAL_TAP_RECORDS && first + n <= self->snap_pos))
        return;
    if (!self->snap_done) {
        if (self->held_bytes + len > S_HELD_MAX) {
            cq_log_warn(NULL,
                        "peer: the snapshot is too slow (over %zu MiB "
                        "of records waiting): starting again",
                        S_HELD_MAX >> 20);
            self->session = 0; // the passive's next beacon restarts it
            s_snap_end(self);
            s_held_clear(self);
            return;
        }
        S_GROW(self->held, self->n_held, self->cap_held);
        s_held_set(&self->held[self->n_held++], kind, first, n, body, len);
        self->held_bytes += len;
        return;
    }
    s_send_group(self, kind, first, n, body, len);
}

//  A passive asked to be served (its session): a new snapshot for it.
static void
s_sync_start(cqb_peer_t *self, cq_broker_t *b, uint64_t session)
{
    s_snap_end(self);
    s_held_clear(self);
    self->session = 0;
    //  Receipts follow this disk alone while the snapshot goes, unless
    //  this broker was just resumed from a pause: the beacon may be one
    //  its peer sent before it took over, so they wait for the snapshot's
    //  acknowledgment (or the peer's newer epoch, or its silence).
    if (!(self->synced && self->resumed_at &&
          b->now - self->resumed_at < self->timeout_ms))
        self->synced = false;
    cq_diag_t diag = {0};
    snprintf(self->snap_dir, sizeof self->snap_dir, "%s.snap",
             b->cfg.journal_dir);
    s_rmdir(self->snap_dir);
    int64_t t0 = cq_wire_now_ms();
    if (cq_journal_snapshot(b->journal, self->snap_dir, &self->snap_pos,
                            &diag) != 0) {
        cq_log_error(NULL, "peer: cannot make a snapshot for the backup: %s",
                     diag.msg);
        s_snap_end(self);
        return;
    }
    //  the files, journal.db first (the passive opens it last)
    free(self->files);
    self->files = NULL;
    self->n_files = 0;
    uint32_t cap = 0;
    DIR *d = opendir(self->snap_dir);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL && self->n_files < S_FILES_MAX) {
        if (e->d_name[0] == '.' || strlen(e->d_name) >= CQ_PEER_NAME_LEN)
            continue;
        S_GROW(self->files, self->n_files, cap);
        snprintf(self->files[self->n_files++], CQ_PEER_NAME_LEN, "%s",
                 e->d_name);
    }
    if (d)
        closedir(d);
    self->session = session;
    self->cur_file = 0;
    self->cur_off = 0;
    self->chunk_sent = self->chunk_acked = 0;
    self->snap_done = false;
    self->acked = 0;
    self->k_snapshots++;
    cq_log_notice(NULL,
                  "peer: syncing the backup: a snapshot of %u files at "
                  "record %" PRIu64 " (made in %" PRId64 " ms)",
                  self->n_files, self->snap_pos, cq_wire_now_ms() - t0);
}

//  The passive came back holding this stream's records up to `applied`
//  (and `compacts` compactions at that position): if the tail still holds
//  everything since, it gets that instead of a snapshot. False: it does
//  not (a snapshot, then).
static bool
s_tail_start(cqb_peer_t *self, uint64_t session, const cq_msg_peer_beacon_t *m)
{
    uint64_t p = m->applied;
    if (self->tail_max == 0 || m->stream != self->stream ||
        p < self->tail_min || p > self->tail_end)
        return false;
    for (size_t i = self->tail_head; i < self->n_tail; i++) {
        const s_held_t *h = &self->tail[i];
        if (h->first < p && h->first + h->n > p)
            return false; // not at a group's edge: not this stream's
    }
    s_snap_end(self);
    s_held_clear(self);
    self->session = session;
    //  (synced stays: receipts go on waiting for the passive, which the
    //  records since its position bring up to date)
    self->snap_done = true;
    self->chunk_sent = self->chunk_acked = 0;
    self->acked = m->pos;
    self->snap_pos = self->tail_end;
    uint64_t records = 0;
    uint32_t seen = 0;
    for (size_t i = self->tail_head; i < self->n_tail && self->session; i++) {
        const s_held_t *h = &self->tail[i];
        if (h->first < p ||
            (h->first == p && h->n == 0 && seen++ < m->compacts))
            continue;
        s_send_group(self, h->kind, h->first, h->n, h->p, h->len);
        records += h->n;
    }
    if (self->session == 0)
        return true; // (not connected: said; its next beacon tries again)
    self->k_catchups++;
    cq_log_notice(NULL,
                  "peer: the backup is back at record %" PRIu64
                  ": sending the %" PRIu64 " records since (no snapshot)",
                  p, records);
    return true;
}

//  Sends snapshot pieces while the window allows.
static void
s_snap_pump(cqb_peer_t *self)
{
    static uint8_t buf[S_CHUNK];
    while (self->session && !self->snap_done &&
           self->chunk_sent < self->chunk_acked + S_WINDOW) {
        bool last = self->cur_file >= self->n_files;
        const char *name = last ? "" : self->files[self->cur_file];
        ssize_t k = 0;
        if (!last) {
            if (self->cur_fd < 0) {
                char p[4600];
                snprintf(p, sizeof p, "%s/%s", self->snap_dir, name);
                self->cur_fd = open(p, O_RDONLY | O_CLOEXEC);
                if (self->cur_fd < 0) {
                    cq_log_error(NULL, "peer: snapshot: %s: %s", p,
                                 strerror(errno));
                    self->session = 0;
                    s_snap_end(self);
                    return;
                }
            }
            k = pread(self->cur_fd, buf, S_CHUNK, (off_t)self->cur_off);
            if (k < 0) {
                cq_log_error(NULL, "peer: snapshot: %s: %s", name,
                             strerror(errno));
                self->session = 0;
                s_snap_end(self);
                return;
            }
        }
        cq_msg_peer_snap_t m = {.session = self->session,
                                .chunk = self->chunk_sent + 1,
                                .off = self->cur_off,
                                .data = buf,
                                .len = (size_t)k,
                                .last = last,
                                .pos = self->snap_pos};
        cq_strlcpy(m.name, name, sizeof m.name);
        cq_proto_peer_snap_encode(&self->w, &m);
        if (s_send(self, CQ_CMD_PEER_SNAP) != 0)
            return; // (the passive's silence ends this sync)
        self->chunk_sent++;
        if (last) {
            self->snap_done = true;
            s_snap_end(self);
            //  what was recorded meanwhile, in order
            for (size_t i = 0; i < self->n_held && self->session; i++) {
                s_held_t *h = &self->held[i];
                s_send_group(self, h->kind, h->first, h->n, h->p, h->len);
            }
            s_held_clear(self);
            return;
        }
        if (k < (ssize_t)S_CHUNK) { // this file is done
            close(self->cur_fd);
            self->cur_fd = -1;
            self->cur_file++;
            self->cur_off = 0;
        } else {
            self->cur_off += (uint64_t)k;
        }
    }
}

uint64_t
cqb_peer_gate(cq_broker_t *b, uint64_t local)
{
    cqb_peer_t *self = b->peer;
    uint64_t r = local;
    if (self->synced)
        r = local < self->acked ? local : self->acked;
    if (r > self->released)
        self->released = r;
    return self->released;
}

//  ---- passive: the replica --------------------------------------------------

static void
s_ack(cqb_peer_t *self)
{
    cq_msg_peer_ack_t m = {.session = self->my_session,
                           .chunks = self->chunks_in,
                           .pos = self->acked_sent};
    cq_proto_peer_ack_encode(&self->w, &m);
    s_send(self, CQ_CMD_PEER_ACK);
}

//  Starts over: a new session (the active's next snapshot is for it).
static void
s_resync(cqb_peer_t *self, const char *why)
{
    cq_log_warn(NULL, "peer: %s: asking for a new snapshot", why);
    self->my_session = s_nonce();
    self->chunks_in = 0;
    self->k_resyncs++;
}

//  The snapshot is whole in the stage directory: it becomes the journal.
static int
s_install(cqb_peer_t *self, cq_broker_t *b, uint64_t pos)
{
    const char *dir = b->cfg.journal_dir;
    if (self->replica) {
        cq_diag_t d = {0};
        cq_journal_commit(self->replica, &d);
        cq_journal_close(&self->replica);
    }
    //  each file fsynced, then the directory moves
    DIR *d = opendir(self->stage_dir);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char p[4600];
        snprintf(p, sizeof p, "%s/%s", self->stage_dir, e->d_name);
        int fd = open(p, O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
            fsync(fd);
            close(fd);
        }
    }
    if (d)
        closedir(d);
    struct stat st;
    if (stat(dir, &st) == 0) {
        char old[4200];
        snprintf(old, sizeof old, "%s.superseded", dir);
        s_rmdir(old);
        if (rename(dir, old) != 0) {
            cq_log_error(NULL, "peer: cannot move %s aside: %s", dir,
                         strerror(errno));
            return CQ_EIO;
        }
        cq_log_notice(NULL, "peer: the journal this broker held is kept as %s",
                      old);
    }
    if (rename(self->stage_dir, dir) != 0) {
        cq_log_error(NULL, "peer: cannot install the snapshot: %s",
                     strerror(errno));
        return CQ_EIO;
    }
    char parent[4200];
    cq_strlcpy(parent, dir, sizeof parent);
    char *slash = strrchr(parent, '/');
    if (slash)
        *slash = '\0';
    else
        cq_strlcpy(parent, ".", sizeof parent);
    int pfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (pfd >= 0) {
        fsync(pfd);
        close(pfd);
    }
    cq_diag_t diag = {0};
    self->replica = cq_journal_open(dir, b->cfg.shards, &diag);
    if (self->replica == NULL || cq_journal_start(self->replica) != 0) {
        cq_log_error(NULL, "peer: the snapshot does not open: %s", diag.msg);
        cq_journal_close(&self->replica);
        return CQ_EIO;
    }
    self->installed = true;
    self->base = self->expect = self->acked_sent = pos;
    self->compacts = 0;
    //  a stream named by the active broker's beacons both when the
    //  snapshot began and now: a later catch-up may go on from it
    self->follow_stream =
        self->snap_stream == self->peer_stream ? self->snap_stream : 0;
    cq_log_notice(NULL,
                  "peer: the journal is in sync (record %" PRIu64
                  "); following the active broker",
                  pos);
    return 0;
}

static void
s_on_snap(cqb_peer_t *self, cq_broker_t *b, const uint8_t *p, size_t n)
{
    cq_msg_peer_snap_t m;
    if (cq_proto_peer_snap_decode(p, n, &m, NULL) != 0 ||
        m.session != self->my_session)
        return;
    uint64_t chunk = m.chunk, off = m.off, pos = m.pos;
    const char *name = m.name;
    const uint8_t *data = m.data;
    size_t len = m.len;
    bool last = m.last;
    if (chunk == 1)
        self->chunks_in = 0; // a new snapshot (the last one was cut off)
    if (chunk != self->chunks_in + 1) {
        s_resync(self, "a snapshot piece is missing");
        return;
    }
    if (chunk == 1) {
        s_rmdir(self->stage_dir);
        if (mkdir(self->stage_dir, 0700) != 0) {
            cq_log_error(NULL, "peer: %s: %s", self->stage_dir,
                         strerror(errno));
            return;
        }
        self->installed = false; // the old replica is no longer followed
        self->snap_stream = self->peer_stream;
    }
    self->chunks_in = chunk;
    if (!last) {
        char path[4400];
        snprintf(path, sizeof path, "%s/%s", self->stage_dir, name);
        int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        bool ok = fd >= 0 && pwrite(fd, data, len, (off_t)off) == (ssize_t)len;
        if (fd >= 0)
            close(fd);
        if (!ok) {
            cq_log_error(NULL, "peer: cannot write %s: %s", path,
                         strerror(errno));
            s_resync(self, "the snapshot could not be written");
            return;
        }
    } else if (s_install(self, b, pos) != 0) {
        s_resync(self, "the snapshot could not be installed");
        return;
    }
    s_ack(self);
}

static void
s_on_group(cqb_peer_t *self, const uint8_t *p, size_t n)
{
    cq_msg_peer_group_t m;
    if (cq_proto_peer_group_decode(p, n, &m, NULL) != 0 ||
        m.session != self->my_session || !self->installed)
        return;
    uint64_t first = m.first, count = m.n;
    uint32_t kind = m.kind;
    const uint8_t *body = m.body;
    size_t len = m.len;
    if (first + count <= self->expect && count > 0)
        return; // had it
    if (first != self->expect) {
        //  what it holds is whole up to expect: the new session goes on
        //  from there when the active broker still has the records since
        s_resync(self, "records are missing from the stream");
        return;
    }
    cq_diag_t diag = {0};
    int rc =
        kind == CQ_JOURNAL_TAP_RECORDS
            ? cq_journal_apply(self->replica, body, len, (uint32_t)count, &diag)
            : cq_journal_apply_compact(self->replica, body, len, &diag);
    if (rc != 0) {
        cq_log_error(NULL, "peer: cannot apply records at %" PRIu64 ": %s",
                     first, diag.msg);
        s_resync(self, "the stream could not be applied");
        self->installed = false;
        return;
    }
    self->expect += count;
    self->compacts = count ? 0 : self->compacts + 1;
    self->k_groups++;
    self->k_bytes += len;
    cq_journal_kick(self->replica, true, &diag);
}

//  ---- both ----------------------------------------------------------------

static void
s_on_beacon(cqb_peer_t *self, cq_broker_t *b, const uint8_t *p, size_t n)
{
    cq_msg_peer_beacon_t m;
    if (cq_proto_peer_beacon_decode(p, n, &m, NULL) != 0)
        return;
    int state = (int)m.state;
    uint64_t epoch = m.epoch, session = m.session, pos = m.pos;
    if (m.role == (uint32_t)self->role && !self->stop) {
        //  two primaries (or two backups) would both become active
        cq_log_error(NULL,
                     "peer: %s is also --role %s: one broker of a pair is "
                     "the primary, the other the backup; stopping",
                     self->peer_ep,
                     self->role == CQ_BROKER_PRIMARY ? "primary" : "backup");
        self->stop = true;
        return;
    }
    self->peer_state = state;
    self->peer_epoch = epoch;
    self->peer_session = session;
    self->peer_pos = pos;
    if (self->state == CQB_PEER_ACTIVE) {
        if (state == CQB_PEER_ACTIVE) {
            if (epoch > b->epoch ||
                (epoch == b->epoch && self->role == CQ_BROKER_BACKUP)) {
                cq_log_error(NULL,
                             "peer: another broker is active with epoch "
                             "%" PRIu64 " (this one: %" PRIu64
                             "): stopping; started again, this broker "
                             "follows it",
                             epoch, b->epoch);
                self->stop = true;
            }
        } else if (state == CQB_PEER_PASSIVE && session != 0 &&
                   session != self->session) {
            if (s_tail_start(self, session, &m))
                s_check_synced(self);
            else
                s_sync_start(self, b, session);
        } else if (state == CQB_PEER_PASSIVE && m.handover == 1 &&
                   session == self->session && self->synced && !self->handing) {
            //  --promote, with this broker's agreement: it stops taking
            //  work; what it recorded last goes to the passive, then a
            //  beacon that hands over (cqb_peer_farewell)
            cq_log_notice(NULL,
                          "peer: the backup asks to take over (--promote) "
                          "and holds the journal: handing over; this "
                          "broker stops (exit 4) and, started again, "
                          "follows it");
            self->handing = true;
            self->stop = true;
        }
    } else if (state == CQB_PEER_ACTIVE) {
        self->peer_stream = m.stream;
        if (m.handover == 2 && self->state == CQB_PEER_PASSIVE)
            self->handed = true;
    }
}

static void
s_on_ack(cqb_peer_t *self, const uint8_t *p, size_t n)
{
    cq_msg_peer_ack_t m;
    if (cq_proto_peer_ack_decode(p, n, &m, NULL) != 0 ||
        m.session != self->session || self->session == 0)
        return;
    uint64_t chunks = m.chunks, pos = m.pos;
    if (chunks > self->chunk_acked)
        self->chunk_acked = chunks;
    if (pos > self->acked)
        self->acked = pos;
    //  what the passive holds on its disk it never needs again: the tail
    //  keeps only what it may miss (it grows while no passive acknowledges)
    while (self->n_tail > self->tail_head) {
        const s_held_t *h = &self->tail[self->tail_head];
        if (h->n ? h->first + h->n > self->acked : h->first >= self->acked)
            break;
        s_tail_drop(self);
    }
    s_check_synced(self);
}

//  The passive holds the snapshot (or the tail) it was sent: receipts wait
//  for both disks from now on.
static void
s_check_synced(cqb_peer_t *self)
{
    //  (the last piece's acknowledgment comes after the install)
    if (self->session && !self->synced && self->snap_done &&
        self->chunk_acked >= self->chunk_sent &&
        self->acked >= self->snap_pos) {
        self->synced = true;
        self->alone = false;
        cq_log_notice(NULL, "peer: the backup holds the journal: receipts "
                            "now wait for both disks");
    }
}

//  Reads what the peer sent.
static void
s_read(cqb_peer_t *self, cq_broker_t *b)
{
    cq_wire_msg_t *m = &self->in_msg;
    for (int i = 0; i < 1024; i++) {
        if (cq_wire_recv(self->in, true, m, ZMQ_DONTWAIT) != 0)
            break;
        cq_diag_t diag = {0};
        if (cq_wire_parse(m, S_MAX_FRAME, &diag) != 0)
            continue;
        self->last_heard = b->now;
        self->heard = true;
        switch (m->cmd) {
        case CQ_CMD_PEER_BEACON:
            s_on_beacon(self, b, m->body, m->body_len);
            break;
        case CQ_CMD_PEER_SNAP:
            if (self->state == CQB_PEER_PASSIVE)
                s_on_snap(self, b, m->body, m->body_len);
            break;
        case CQ_CMD_PEER_GROUP:
            if (self->state == CQB_PEER_PASSIVE)
                s_on_group(self, m->body, m->body_len);
            break;
        case CQ_CMD_PEER_ACK:
            if (self->state == CQB_PEER_ACTIVE)
                s_on_ack(self, m->body, m->body_len);
            break;
        default:
            break;
        }
    }
    cq_wire_msg_close(m);
}

static bool
s_silent(const cqb_peer_t *self, int64_t now)
{
    return !self->heard || now - self->last_heard > self->timeout_ms;
}

//  A turn of the loop long after the last one: this process did not run
//  (stopped, starved). The peer's silence meanwhile says nothing (it may
//  have taken over): it counts again from now, so that this broker hears
//  the peer, or waits a whole timeout while it runs, before it goes on
//  alone or takes over.
static void
s_turn(cqb_peer_t *self, int64_t now)
{
    if (self->last_turn && now - self->last_turn > self->timeout_ms / 2 &&
        self->heard && now - self->last_heard > self->timeout_ms / 2) {
        cq_log_warn(NULL,
                    "peer: this broker did not run for %" PRId64
                    " ms: the peer's silence counts from now",
                    now - self->last_turn);
        self->last_heard = now;
        self->resumed_at = now;
    }
    self->last_turn = now;
}

//  The active broker's turn: the peer's messages, the snapshot, beacons,
//  and giving up a silent backup.
void
cqb_peer_tick(cq_broker_t *b)
{
    cqb_peer_t *self = b->peer;
    s_turn(self, b->now);
    s_read(self, b);
    s_snap_pump(self);
    if (b->now - self->last_beacon >= self->hb_ms)
        s_beacon(self, b);
    if ((self->session || self->synced) && s_silent(self, b->now)) {
        cq_log_warn(NULL,
                    "peer: the backup at %s is silent (%u ms): going on "
                    "alone; receipts follow this broker's disk only until it "
                    "is back in sync",
                    self->peer_ep, self->timeout_ms);
        self->session = 0;
        self->synced = false;
        self->alone = true;
        s_snap_end(self);
        s_held_clear(self);
    }
}

bool
cqb_peer_stopping(const cq_broker_t *b)
{
    return b->peer->stop;
}

void
cqb_peer_farewell(cq_broker_t *b)
{
    cqb_peer_t *self = b->peer;
    if (!self->handing)
        return;
    //  (after the journal's last commit: its records went out first)
    s_beacon(self, b);
    zsock_set_linger(self->out_sock, (int)self->timeout_ms);
    cq_log_notice(NULL, "peer: handed over at record %" PRIu64,
                  b->journal ? cq_journal_recorded(b->journal) : 0);
}

void
cqb_peer_attach(cq_broker_t *b)
{
    cqb_peer_t *self = b->peer;
    self->stream = s_nonce();
    self->tail_min = self->tail_end = cq_journal_recorded(b->journal);
    cq_journal_set_tap(b->journal, s_tap, self);
}

//  A client or a worker reached a broker that is not active: it is told
//  to try its next endpoint. A worker's READY may instead make this broker
//  take over (*ready, when not NULL, says it was one): it is then told to
//  send READY again, here.
static void
s_refuse(cqb_peer_t *self, cq_broker_t *b, void *sock, bool *ready)
{
    cq_wire_msg_t *m = b->in;
    if (cq_wire_recv(sock, true, m, ZMQ_DONTWAIT) != 0)
        return;
    if (ready && cq_wire_parse(m, CQ_PROTO_MAX_FRAME, NULL) == 0 &&
        m->cmd == CQ_CMD_READY && m->has_rid) {
        *ready = true;
        cq_mpw_t w;
        cq_mpw_init(&w);
        cq_proto_disconnect_encode(&w, "not registered: send READY",
                                   CQ_DISCONNECT_AGAIN);
        cq_wire_send(sock, zmq_msg_data(&m->parts[0]),
                     zmq_msg_size(&m->parts[0]), CQ_CMD_DISCONNECT, w.data,
                     w.len, NULL, 0, ZMQ_DONTWAIT);
        cq_mpw_free(&w);
        cq_wire_msg_close(m);
        return;
    }
    if (m->n > 0 && m->has_rid) {
        char why[CQ_PROTO_MSG_LEN];
        snprintf(why, sizeof why,
                 "this broker is the pair's %s (%s); the active one is its "
                 "peer",
                 self->role == CQ_BROKER_PRIMARY ? "primary" : "backup",
                 cqb_peer_states[self->state]);
        cq_mpw_t w;
        cq_mpw_init(&w);
        cq_proto_disconnect_encode(&w, why, CQ_DISCONNECT_PASSIVE);
        cq_wire_send(sock, zmq_msg_data(&m->parts[0]),
                     zmq_msg_size(&m->parts[0]), CQ_CMD_DISCONNECT, w.data,
                     w.len, NULL, 0, ZMQ_DONTWAIT);
        cq_mpw_free(&w);
    }
    cq_wire_msg_close(m);
}

//  The replica's last records to its disk; it is closed, to be opened as
//  the broker's journal (s_activate). Returns 1 (standby's "be active").
static int
s_take_over(cqb_peer_t *self)
{
    cq_diag_t diag = {0};
    cq_journal_commit(self->replica, &diag);
    cq_journal_close(&self->replica);
    self->state = CQB_PEER_ACTIVE;
    self->installed = false;
    self->follow_stream = 0;
    self->k_takeovers++;
    return 1;
}

int
cqb_peer_standby(cq_broker_t *b, volatile sig_atomic_t *stop)
{
    cqb_peer_t *self = b->peer;
    bool said_stale = false;
    cq_log_notice(NULL, "peer: %s, starting; peer %s",
                  self->role == CQ_BROKER_PRIMARY ? "primary" : "backup",
                  self->peer_ep);
    while (!*stop) {
        zmq_pollitem_t it[4] = {{self->in, 0, ZMQ_POLLIN, 0},
                                {b->front, 0, ZMQ_POLLIN, 0},
                                {b->back, 0, ZMQ_POLLIN, 0},
                                {NULL, -1, ZMQ_POLLIN, 0}};
        int n = 3;
        if (self->replica && cq_journal_fd(self->replica) >= 0)
            it[n++].fd = cq_journal_fd(self->replica);
        if (zmq_poll(it, n, (long)(self->hb_ms / 2 ? self->hb_ms / 2 : 1)) <
                0 &&
            errno != EINTR)
            return CQ_EIO;
        b->now = cq_wire_now_ms();
        s_turn(self, b->now);
        if (b->auth)
            cqb_auth_handle(b);
        s_read(self, b);
        if (self->stop)
            return 0;
        if (self->replica) {
            cq_diag_t diag = {0};
            uint64_t committed = 0;
            cq_journal_status(self->replica, &committed, &diag);
            cq_journal_kick(self->replica, true, &diag);
            if (self->installed && self->base + committed > self->acked_sent) {
                self->acked_sent = self->base + committed;
                s_ack(self);
            }
        }
        //  the active broker stopped and handed over (--promote)
        if (self->state == CQB_PEER_PASSIVE && self->handed &&
            self->installed) {
            cq_log_warn(NULL,
                        "peer: %s handed over (--promote): taking over at "
                        "record %" PRIu64,
                        self->peer_ep, self->expect);
            return s_take_over(self);
        }
        //  who is active
        if (self->state == CQB_PEER_STARTING) {
            if (self->heard && self->peer_state == CQB_PEER_ACTIVE) {
                self->state = CQB_PEER_PASSIVE;
                cq_log_notice(NULL,
                              "peer: %s is active (epoch %" PRIu64
                              "): this broker follows it",
                              self->peer_ep, self->peer_epoch);
            } else if (self->role == CQ_BROKER_PRIMARY &&
                       (self->heard ||
                        b->now - self->started > self->timeout_ms)) {
                cq_log_notice(NULL, "peer: %s; this broker is active",
                              self->heard ? "the backup is not active"
                                          : "no answer from the backup");
                self->state = CQB_PEER_ACTIVE;
                self->alone = !self->heard;
                return 1;
            } else if (self->role == CQ_BROKER_BACKUP && b->cfg.promote &&
                       b->now - self->started > self->timeout_ms &&
                       s_silent(self, b->now)) {
                cq_log_warn(NULL, "peer: --promote: the primary is silent; "
                                  "this broker is active on its own journal");
                self->state = CQB_PEER_ACTIVE;
                self->alone = true;
                self->k_takeovers++;
                return 1;
            }
        }
        //  Alive but not active (a restarted backup waits for an active
        //  peer): nobody serves, so the one holding the journal does
        if (self->state == CQB_PEER_PASSIVE && self->installed &&
            !s_silent(self, b->now) && self->peer_state != CQB_PEER_ACTIVE) {
            if (self->idle_since == 0)
                self->idle_since = b->now;
            else if (b->now - self->idle_since > self->timeout_ms) {
                cq_log_warn(NULL,
                            "peer: %s is %s, not active, for over %u ms: "
                            "this broker holds the journal and takes over",
                            self->peer_ep, cqb_peer_states[self->peer_state],
                            self->timeout_ms);
                return s_take_over(self);
            }
        } else {
            self->idle_since = 0;
        }
        bool front = it[1].revents & ZMQ_POLLIN;
        bool back = it[2].revents & ZMQ_POLLIN;
        //  A worker counts when it registers (READY: it left its broker for
        //  this one), not for a heartbeat on a connection it is leaving;
        //  a client, for any request
        bool can_take = self->state == CQB_PEER_PASSIVE &&
                        s_silent(self, b->now) && self->installed;
        bool ready = false;
        if (back) {
            s_refuse(self, b, b->back, can_take ? &ready : NULL);
            back = ready;
        }
        if (self->state == CQB_PEER_PASSIVE && (front || back) &&
            s_silent(self, b->now)) {
            if (self->installed) {
                cq_log_warn(NULL,
                            "peer: the active broker at %s has been silent "
                            "for over %u ms and a %s came here: taking over",
                            self->peer_ep, self->timeout_ms,
                            front ? "client" : "worker");
                return s_take_over(self); // (a client's request waits)
            }
            if (!said_stale) {
                cq_log_error(NULL,
                             "peer: the active broker is silent, but this "
                             "backup does not hold the journal (no snapshot "
                             "applied): not taking over");
                said_stale = true;
            }
        }
        if (front)
            s_refuse(self, b, b->front, NULL);
        if (b->now - self->last_beacon >= self->hb_ms)
            s_beacon(self, b);
        cqb_peer_metrics_standby(b);
    }
    return 0;
}

//  ---- what it tells -------------------------------------------------------

void
cqb_peer_info(const cq_broker_t *b, cqb_peer_info_t *out)
{
    const cqb_peer_t *self = b->peer;
    memset(out, 0, sizeof *out);
    out->state = self->state;
    out->role = self->role;
    out->peer_state = self->heard ? self->peer_state : -1;
    out->peer_silent_ms =
        self->heard ? (uint64_t)(b->now - self->last_heard) : UINT64_MAX;
    out->synced = self->synced;
    out->alone = self->state == CQB_PEER_ACTIVE && !self->synced;
    uint64_t rec = b->journal ? cq_journal_recorded(b->journal) : 0;
    out->lag = self->synced && rec > self->acked ? rec - self->acked : 0;
    out->groups = self->k_groups;
    out->bytes = self->k_bytes;
    out->snapshots = self->k_snapshots;
    out->catchups = self->k_catchups;
    out->takeovers = self->k_takeovers;
    out->installed = self->installed;
    out->peer_epoch = self->peer_epoch;
    cq_strlcpy(out->peer_ep, self->peer_ep, sizeof out->peer_ep);
}
