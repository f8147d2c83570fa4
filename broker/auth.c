//  auth.c: CurveZMQ on both endpoints, the ZAP handler that admits keys by
//  allow-list and endpoint, and the roles and tenants the handlers ask
//  about (docs/security.md).
//
//  Why a ZAP handler of our own rather than czmq's zauth: zauth admits a
//  key found in one certificate store, whatever the endpoint; here a key's
//  directory is its role (client keys on the frontend only, worker keys on
//  the backend only, admin keys on the frontend), its metadata its payers,
//  and a refusal is counted. The keys are still czmq certificates (zcert),
//  read from the allow-list directories at start and on SIGHUP.
//
//  A pair of brokers shares one key (clients and workers see one broker):
//  on the peer link each is a CURVE server to the other with it, and
//  admits that key alone.
//
//  Revocation: a key removed from its directory is refused at its next
//  handshake and, on a connection made before, at its next message.
//  Nothing about a refused peer is logged but its address and the first
//  characters of its public key (no patient data passes here).
#include "broker_int.h"
#include "curve.h"
#include "log.h"
#include "mem.h"

#include <dirent.h>
#include <errno.h>
#include <string.h>

#define S_ZAP_EP "inproc://zeromq.zap.01"
#define S_MAX_KEYS 100000

struct cqb_auth {
    zcert_t *cert; // the broker's
    zsock_t *zap;  // ZAP handler (REP)
    zhash_t *keys; // Z85 public key -> cqb_principal_t
};

static const char *const s_role_name[] = {"client", "worker", "admin"};

static void
s_free_principal(void *p)
{
    free(p);
}

//  Reads every public certificate in dir into keys, as role. A file that
//  is not a certificate is skipped with a warning; a client key without
//  payers too (it could see nothing).
static int
s_load_dir(zhash_t *keys, const char *dir, int role, cq_diag_t *diag)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return cq_diag_set(diag, CQ_EINVAL, 0, "allow-list %s: %s", dir,
                           strerror(errno));
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        const char *n = e->d_name;
        size_t len = strlen(n);
        if (n[0] == '.' || (len > 4 && strcmp(n + len - 4, ".key") == 0) ||
            (len > 7 && strcmp(n + len - 7, "_secret") == 0))
            continue;
        char path[4096];
        if (snprintf(path, sizeof path, "%s/%s", dir, n) >= (int)sizeof path)
            continue;
        zcert_t *cert = zcert_load(path);
        if (cert == NULL) {
            cq_log_warn(NULL, "allow-list %s: %s is not a public key; skipped",
                        dir, n);
            continue;
        }
        if (zhash_size(keys) >= S_MAX_KEYS) {
            zcert_destroy(&cert);
            cq_log_warn(NULL, "allow-lists: over %d keys; the rest skipped",
                        S_MAX_KEYS);
            break;
        }
        cqb_principal_t *p = cq_xcalloc(1, sizeof *p);
        cq_strlcpy(p->key, zcert_public_txt(cert), sizeof p->key);
        const char *name = zcert_meta(cert, "name");
        cq_strlcpy(p->name, name && *name ? name : n, sizeof p->name);
        p->role = role;
        const char *payers = zcert_meta(cert, "payers");
        if (role == CQB_ROLE_ADMIN)
            cq_strlcpy(p->payers, "*", sizeof p->payers);
        else if (payers)
            cq_strlcpy(p->payers, payers, sizeof p->payers);
        zcert_destroy(&cert);
        if (role == CQB_ROLE_CLIENT && p->payers[0] == '\0') {
            cq_log_warn(NULL,
                        "allow-list %s: %s has no payers (metadata "
                        "`payers = \"P1,P2\"`, or `claimq keygen --payers`); "
                        "skipped",
                        dir, n);
            free(p);
            continue;
        }
        cqb_principal_t *old = zhash_lookup(keys, p->key);
        if (old) {
            cq_log_warn(NULL,
                        "allow-lists: key %.8s... of %s is also %s's (%s); "
                        "the first kept",
                        p->key, n, old->name, s_role_name[old->role]);
            free(p);
            continue;
        }
        zhash_insert(keys, p->key, p);
        zhash_freefn(keys, p->key, s_free_principal);
    }
    closedir(d);
    return 0;
}

static zhash_t *
s_load(const cq_broker_config_t *cfg, cq_diag_t *diag)
{
    zhash_t *keys = zhash_new();
    const char *dirs[3] = {cfg->allow_clients, cfg->allow_workers,
                           cfg->allow_admins};
    const int roles[3] = {CQB_ROLE_CLIENT, CQB_ROLE_WORKER, CQB_ROLE_ADMIN};
    for (int i = 0; i < 3; i++)
        if (dirs[i] && s_load_dir(keys, dirs[i], roles[i], diag) != 0) {
            zhash_destroy(&keys);
            return NULL;
        }
    return keys;
}

static void
s_log_counts(zhash_t *keys, const char *what)
{
    size_t n[3] = {0};
    for (cqb_principal_t *p = zhash_first(keys); p; p = zhash_next(keys))
        n[p->role]++;
    cq_log_notice(NULL, "curve: %s %zu client, %zu worker, %zu admin keys",
                  what, n[0], n[1], n[2]);
}

int
cqb_auth_start(cq_broker_t *self, cq_diag_t *diag)
{
    const cq_broker_config_t *cfg = &self->cfg;
    if (cfg->curve_key == NULL)
        return 0;
    if (cfg->allow_clients == NULL || cfg->allow_workers == NULL)
        return cq_diag_set(diag, CQ_EINVAL, 0,
                           "CURVE needs the allow-lists of client and worker "
                           "keys (--clients DIR, --workers DIR)");
    struct cqb_auth *a = cq_xcalloc(1, sizeof *a);
    self->auth = a;
    a->cert = cq_curve_load_secret(cfg->curve_key, diag);
    if (a->cert == NULL)
        return CQ_EINVAL;
    a->keys = s_load(cfg, diag);
    if (a->keys == NULL)
        return CQ_EINVAL;
    s_log_counts(a->keys, "admitting");
    a->zap = zsock_new(ZMQ_REP);
    if (a->zap == NULL || zmq_bind(zsock_resolve(a->zap), S_ZAP_EP) != 0)
        return cq_diag_set(diag, CQ_EIO, 0, "cannot start the ZAP handler: %s",
                           zmq_strerror(errno));
    zsock_set_linger(a->zap, 0);
    return 0;
}

void
cqb_auth_stop(cq_broker_t *self)
{
    struct cqb_auth *a = self->auth;
    if (a == NULL)
        return;
    zsock_destroy(&a->zap);
    zcert_destroy(&a->cert);
    zhash_destroy(&a->keys);
    free(a);
    self->auth = NULL;
}

void
cqb_auth_server(cq_broker_t *self, zsock_t *sock, const char *domain)
{
    zcert_apply(self->auth->cert, sock);
    zsock_set_curve_server(sock, 1);
    zsock_set_zap_domain(sock, domain);
}

void
cqb_auth_peer(cq_broker_t *self, zsock_t *in, zsock_t *out)
{
    cqb_auth_server(self, in, CQ_CURVE_ZAP_PEER);
    zcert_apply(self->auth->cert, out);
    zsock_set_curve_serverkey(out, zcert_public_txt(self->auth->cert));
}

void *
cqb_auth_sock(cq_broker_t *self)
{
    return self->auth ? zsock_resolve(self->auth->zap) : NULL;
}

void
cqb_auth_reload(cq_broker_t *self)
{
    cq_diag_t diag = {0};
    zhash_t *keys = s_load(&self->cfg, &diag);
    self->k[K_AUTH_RELOADS]++;
    if (keys == NULL) {
        cq_log_error(NULL, "curve: %s; the allow-lists loaded before stay",
                     diag.msg);
        return;
    }
    zhash_destroy(&self->auth->keys);
    self->auth->keys = keys;
    s_log_counts(keys, "reloaded:");
}

//  ZAP (RFC 27): version, request id, domain, address, routing id,
//  mechanism, credentials; answered 200 with the key as User-Id, or 400.
void
cqb_auth_handle(cq_broker_t *self)
{
    struct cqb_auth *a = self->auth;
    for (int turn = 0; turn < 64; turn++) {
        zmsg_t *req = zmsg_recv_nowait(a->zap);
        if (req == NULL)
            return;
        char *version = zmsg_popstr(req);
        char *req_id = zmsg_popstr(req);
        char *domain = zmsg_popstr(req);
        char *address = zmsg_popstr(req);
        zframe_t *rid = zmsg_pop(req);
        char *mech = zmsg_popstr(req);
        zframe_t *cred = zmsg_pop(req);
        const char *status = "400", *text = "unknown key";
        char user[41] = "";
        if (version && strcmp(version, "1.0") == 0 && mech &&
            strcmp(mech, "CURVE") == 0 && cred && zframe_size(cred) == 32) {
            zmq_z85_encode(user, zframe_data(cred), 32);
            cqb_principal_t *p = zhash_lookup(a->keys, user);
            bool front = domain && strcmp(domain, CQ_CURVE_ZAP_FRONT) == 0;
            bool back = domain && strcmp(domain, CQ_CURVE_ZAP_BACK) == 0;
            bool peer = domain && strcmp(domain, CQ_CURVE_ZAP_PEER) == 0;
            if (peer) {
                //  the pair's own key, whatever the allow-lists say
                if (strcmp(user, zcert_public_txt(a->cert)) == 0) {
                    status = "200";
                    text = "OK";
                } else {
                    self->k[K_AUTH_REFUSED]++;
                    cq_log_warn(NULL,
                                "curve: refused key %.8s... from %s on the "
                                "peer link (not this pair's key)",
                                user, address ? address : "?");
                    user[0] = '\0';
                }
            } else if (p && ((front && p->role != CQB_ROLE_WORKER) ||
                             (back && p->role == CQB_ROLE_WORKER))) {
                status = "200";
                text = "OK";
            } else {
                self->k[K_AUTH_REFUSED]++;
                cq_log_warn(NULL,
                            "curve: refused key %.8s... from %s on the %s "
                            "(%s)",
                            user, address ? address : "?",
                            back ? "backend" : "frontend",
                            p ? (back ? "not a worker key"
                                      : "a worker key, not a client's")
                              : "not in the allow-lists");
                user[0] = '\0';
            }
        } else {
            self->k[K_AUTH_REFUSED]++;
        }
        zmsg_t *rep = zmsg_new();
        zmsg_addstr(rep, "1.0");
        zmsg_addstr(rep, req_id ? req_id : "");
        zmsg_addstr(rep, status);
        zmsg_addstr(rep, text);
        zmsg_addstr(rep, user);
        zmsg_addmem(rep, NULL, 0);
        zmsg_send(&rep, a->zap);
        freen(version);
        freen(req_id);
        freen(domain);
        freen(address);
        freen(mech);
        zframe_destroy(&rid);
        zframe_destroy(&cred);
        zmsg_destroy(&req);
    }
}

bool
cqb_auth_who(cq_broker_t *self, cq_wire_msg_t *in)
{
    self->who = NULL;
    if (self->auth == NULL)
        return true;
    const char *user = NULL;
    for (int i = in->has_rid ? 1 : 0; i < in->n && user == NULL; i++)
        user = zmq_msg_gets(&in->parts[i], "User-Id");
    cqb_principal_t *p = user ? zhash_lookup(self->auth->keys, user) : NULL;
    if (p == NULL) {
        self->k[K_AUTH_REVOKED]++;
        return false;
    }
    self->who = p;
    return true;
}

bool
cqb_auth_list_has(const char *list, const char *payer, size_t n)
{
    if (strcmp(list, "*") == 0)
        return true;
    for (const char *s = list; *s;) {
        const char *e = strchr(s, ',');
        size_t len = e ? (size_t)(e - s) : strlen(s);
        while (len > 0 && *s == ' ')
            s++, len--;
        while (len > 0 && s[len - 1] == ' ')
            len--;
        if (len == n && n > 0 && memcmp(s, payer, n) == 0)
            return true;
        if (e == NULL)
            break;
        s = e + 1;
    }
    return false;
}

bool
cqb_auth_payer(const cq_broker_t *self, const char *payer)
{
    if (self->who == NULL || self->who->role == CQB_ROLE_ADMIN)
        return true;
    return cqb_auth_list_has(self->who->payers, payer, strlen(payer));
}

bool
cqb_auth_tenants(const cq_broker_t *self, const char *tenants)
{
    if (self->who == NULL || self->who->role == CQB_ROLE_ADMIN)
        return true;
    if (tenants == NULL || tenants[0] == '\0')
        return false; // (a batch of a plain-mode run: admins only)
    //  every payer the batch may hold must be one of the key's
    if (strcmp(tenants, "*") == 0)
        return strcmp(self->who->payers, "*") == 0;
    for (const char *s = tenants; *s;) {
        const char *e = strchr(s, ',');
        size_t len = e ? (size_t)(e - s) : strlen(s);
        char one[128];
        if (len >= sizeof one)
            return false;
        memcpy(one, s, len);
        one[len] = '\0';
        if (len > 0 && !cqb_auth_list_has(self->who->payers, one, len))
            return false;
        if (e == NULL)
            break;
        s = e + 1;
    }
    return true;
}
