//  metrics.c: the broker's Prometheus metrics (common/metrics.h): what
//  `claimq workers` prints, as counters and gauges, and the process's CPU
//  and memory. Built on the broker's thread, once a second.
#include "broker_int.h"
#include "metrics.h"

#include <stdio.h>
#include <string.h>

#define S_GROUPS 16 // shard groups for queue depths

//  A counter of k[] as claimq_broker_NAME_total (arena_bytes: a gauge).
static void
s_counters(const cq_broker_t *self, cq_buf_t *b)
{
    for (int i = 0; i < K_COUNT; i++) {
        char name[128], help[160];
        bool gauge = i == K_ARENA_BYTES;
        snprintf(name, sizeof name, "claimq_broker_%s%s", cqb_kname[i],
                 gauge ? "" : "_total");
        snprintf(help, sizeof help, "Broker counter %s (claimq workers).",
                 cqb_kname[i]);
        cq_prom_one(b, name, gauge ? "gauge" : "counter", help,
                    (double)self->k[i]);
    }
}

void
cqb_metrics_tick(cq_broker_t *self)
{
    if (self->metrics == NULL || !cq_metrics_due(self->metrics))
        return;
    cq_buf_t b;
    cq_buf_init(&b, (size_t)64 << 20);
    self->k[K_ARENA_BYTES] = self->arena.total;
    s_counters(self, &b);

    static const char *const outcome[4] = {"accept", "reject", "pend",
                                           "failed"};
    cq_prom_head(&b, "claimq_broker_claims_answered_total", "counter",
                 "Batch entries answered, by decision (failed: quarantined).");
    for (int i = 0; i < 4; i++) {
        char l[64];
        snprintf(l, sizeof l, "decision=\"%s\"", outcome[i]);
        cq_prom_sample(&b, "claimq_broker_claims_answered_total", l,
                       (double)self->outcomes[i]);
    }

    cq_prom_head(&b, "claimq_broker_queue_depth", "gauge",
                 "Work waiting, by stage (intake: documents; adjudicate: "
                 "claims).");
    cq_prom_sample(&b, "claimq_broker_queue_depth", "stage=\"intake\"",
                   (double)self->intake_q.n);
    cq_prom_sample(&b, "claimq_broker_queue_depth", "stage=\"adjudicate\"",
                   (double)self->adj_queued);
    uint64_t group[S_GROUPS] = {0};
    for (uint32_t s = 0; s < self->n_shards; s++)
        group[(uint64_t)s * S_GROUPS / self->n_shards] += self->shards[s].q.n;
    cq_prom_head(&b, "claimq_broker_shard_group_queue_depth", "gauge",
                 "Claims waiting for their shard's owner, by group of "
                 "shards (shard * 16 / S).");
    for (int g = 0; g < S_GROUPS; g++) {
        char l[32];
        snprintf(l, sizeof l, "group=\"%d\"", g);
        cq_prom_sample(&b, "claimq_broker_shard_group_queue_depth", l,
                       (double)group[g]);
    }

    uint64_t inflight = 0, intake_inflight = 0, by_state[8] = {0};
    for (uint32_t i = 0; i < self->n_workers; i++) {
        const cqb_worker_t *w = &self->workers[i];
        if (w->state == W_LIVE || w->state == W_STOPPING ||
            w->state == W_PAUSED) {
            inflight += w->inflight;
            intake_inflight += w->intake_inflight;
        }
        if (w->state < 8)
            by_state[w->state]++;
    }
    cq_prom_head(&b, "claimq_broker_inflight", "gauge",
                 "Work given to workers and not answered yet.");
    cq_prom_sample(&b, "claimq_broker_inflight", "stage=\"intake\"",
                   (double)intake_inflight);
    cq_prom_sample(&b, "claimq_broker_inflight", "stage=\"adjudicate\"",
                   (double)inflight);
    cq_prom_head(&b, "claimq_broker_workers", "gauge",
                 "Worker nodes the broker knows, by state.");
    for (int st = W_LIVE; st <= W_PAUSED; st++) {
        char l[48];
        snprintf(l, sizeof l, "state=\"%s\"", cqb_wstate[st]);
        cq_prom_sample(&b, "claimq_broker_workers", l, (double)by_state[st]);
    }

    uint64_t pended = 0, quarantined = 0, open = 0;
    for (uint32_t i = 0; i < self->n_batches; i++) {
        const cqb_batch_t *bt = &self->batches[i];
        if (bt->gone)
            continue;
        pended += bt->pend;
        if (!(bt->sealed && cqb_batch_final(bt)))
            open++;
    }
    for (uint32_t d = 0; d < self->n_docs; d++)
        quarantined += self->docs[d]->quarantined;
    for (uint32_t c = 0; c < self->n_claims; c++)
        quarantined += self->claims[c].state == C_FAILED;
    cq_prom_one(&b, "claimq_broker_pended", "gauge",
                "Claims whose decision is a pend (waiting for a person), "
                "over the batches held.",
                (double)pended);
    cq_prom_one(&b, "claimq_broker_quarantined", "gauge",
                "Documents and claims quarantined now.", (double)quarantined);
    cq_prom_one(&b, "claimq_broker_batches_open", "gauge",
                "Batches not sealed and finished.", (double)open);
    cq_prom_one(&b, "claimq_broker_journal_full", "gauge",
                "1 while the journal cannot be written.",
                (double)self->journal_full);
    cq_prom_one(&b, "claimq_broker_durable", "gauge",
                "1 when the broker journals (receipts follow an fsync).",
                (double)(self->journal != NULL));
    cq_prom_one(&b, "claimq_broker_epoch", "gauge",
                "This start's epoch (fencing tokens).", (double)self->epoch);
    cq_prom_one(&b, "claimq_broker_curve", "gauge",
                "1 when the sockets use CURVE.", (double)(self->auth != NULL));
    if (self->journal)
        cq_prom_hist(&b, "claimq_broker_journal_commit_seconds",
                     "Journal group commits (fsynced before any receipt).",
                     cq_journal_commit_hist(self->journal));
    cqb_peer_metrics(self, &b);
    cq_prom_limits(&b, "claimq_broker");
    cq_prom_process(&b);
    cq_metrics_publish(self->metrics, b.data, b.len);
    cq_buf_free(&b);
}

//  ---- the pair (peer.c) ----------------------------------------------------

void
cqb_peer_metrics(const cq_broker_t *self, cq_buf_t *b)
{
    if (self->peer == NULL)
        return;
    cqb_peer_info_t p;
    cqb_peer_info(self, &p);
    cq_prom_head(b, "claimq_broker_peer_state", "gauge",
                 "1 for this broker's state in its pair (starting, active, "
                 "passive).");
    for (int i = 0; i < 3; i++) {
        char l[48];
        snprintf(l, sizeof l, "state=\"%s\"", cqb_peer_states[i]);
        cq_prom_sample(b, "claimq_broker_peer_state", l,
                       (double)(p.state == i));
    }
    cq_prom_one(b, "claimq_broker_peer_synced", "gauge",
                "1 while the backup holds the journal (receipts wait for "
                "both disks); on a passive broker, 1 while it holds it.",
                (double)(p.synced || p.installed));
    cq_prom_one(b, "claimq_broker_peer_alone", "gauge",
                "1 while an active broker goes on without its backup.",
                (double)p.alone);
    cq_prom_one(b, "claimq_broker_peer_lag_records", "gauge",
                "Journal records the backup has not acknowledged yet.",
                (double)p.lag);
    cq_prom_one(b, "claimq_broker_peer_groups_total", "counter",
                "Groups of journal records sent (active) or applied "
                "(passive).",
                (double)p.groups);
    cq_prom_one(b, "claimq_broker_peer_snapshots_total", "counter",
                "Snapshots of the journal sent to the backup.",
                (double)p.snapshots);
    cq_prom_one(b, "claimq_broker_peer_catchups_total", "counter",
                "Times a returning backup was sent the records it missed "
                "(from this broker's tail) instead of a snapshot.",
                (double)p.catchups);
    cq_prom_one(b, "claimq_broker_peer_takeovers_total", "counter",
                "Times this broker became active in place of its peer.",
                (double)p.takeovers);
}

void
cqb_peer_metrics_standby(cq_broker_t *self)
{
    if (self->metrics == NULL || !cq_metrics_due(self->metrics))
        return;
    cq_buf_t b;
    cq_buf_init(&b, (size_t)1 << 20);
    cqb_peer_metrics(self, &b);
    cq_prom_process(&b);
    cq_metrics_publish(self->metrics, b.data, b.len);
    cq_buf_free(&b);
}
