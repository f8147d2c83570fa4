//  curve.c: CurveZMQ keys (czmq zcert) and handshake watching (curve.h).
#include "curve.h"
#include "claim.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

//  Consecutive failed handshakes (no detail) before a watcher gives up: a
//  broker restarting in the middle of one handshake is not a wrong key.
#define S_FAILS 3

static int
s_readable(const char *path, cq_diag_t *diag)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return cq_diag_set(diag, CQ_EINVAL, 0, "%s: %s", path, strerror(errno));
    if (!S_ISREG(st.st_mode))
        return cq_diag_set(diag, CQ_EINVAL, 0, "%s: not a file", path);
    return 0;
}

zcert_t *
cq_curve_load_secret(const char *path, cq_diag_t *diag)
{
    if (s_readable(path, diag) != 0)
        return NULL;
    struct stat st;
    if (stat(path, &st) == 0 && (st.st_mode & 077) != 0) {
        cq_diag_set(diag, CQ_EINVAL, 0,
                    "%s: a secret key readable by other users (mode %04o); "
                    "chmod 600 it",
                    path, (unsigned)(st.st_mode & 07777));
        return NULL;
    }
    zcert_t *cert = zcert_load(path);
    if (cert == NULL) {
        cq_diag_set(diag, CQ_EINVAL, 0,
                    "%s: not a key file (`claimq keygen NAME` writes "
                    "NAME.key)",
                    path);
        return NULL;
    }
    static const char zero[CQ_CURVE_KEY_TXT - 1] = "0000000000000000000000"
                                                   "000000000000000000";
    if (memcmp(zcert_secret_txt(cert), zero, sizeof zero) == 0) {
        cq_diag_set(diag, CQ_EINVAL, 0,
                    "%s: a public key only; give the secret NAME.key", path);
        zcert_destroy(&cert);
        return NULL;
    }
    return cert;
}

int
cq_curve_load_public(const char *path, char out[CQ_CURVE_KEY_TXT],
                     cq_diag_t *diag)
{
    if (s_readable(path, diag) != 0)
        return CQ_EINVAL;
    zcert_t *cert = zcert_load(path);
    if (cert == NULL)
        return cq_diag_set(diag, CQ_EINVAL, 0,
                           "%s: not a key file (`claimq keygen NAME` "
                           "writes NAME.pub)",
                           path);
    cq_strlcpy(out, zcert_public_txt(cert), CQ_CURVE_KEY_TXT);
    zcert_destroy(&cert);
    return 0;
}

int
cq_curve_keygen(const char *dir, const char *name, const char *payers,
                char pub_path[4096], cq_diag_t *diag)
{
    char key[4096];
    if (snprintf(key, sizeof key, "%s/%s.key", dir, name) >= (int)sizeof key ||
        snprintf(pub_path, 4096, "%s/%s.pub", dir, name) >= 4096)
        return cq_diag_set(diag, CQ_EINVAL, 0, "%s/%s: path too long", dir,
                           name);
    if (access(key, F_OK) == 0 || access(pub_path, F_OK) == 0)
        return cq_diag_set(diag, CQ_EEXIST, 0,
                           "%s or %s exists already; not overwritten", key,
                           pub_path);
    zcert_t *cert = zcert_new();
    if (cert == NULL)
        return cq_diag_set(diag, CQ_EIO, 0, "cannot make a key pair");
    zcert_set_meta(cert, "name", "%s", name);
    if (payers && *payers)
        zcert_set_meta(cert, "payers", "%s", payers);
    //  the secret file is born 0600: czmq writes it with the umask's mode
    mode_t old = umask(077);
    int rc = zcert_save_secret(cert, key);
    umask(old);
    if (rc == 0 && chmod(key, 0600) != 0)
        rc = -1;
    if (rc != 0) {
        unlink(key);
        zcert_destroy(&cert);
        return cq_diag_set(diag, CQ_EIO, 0, "cannot write %s: %s", key,
                           strerror(errno));
    }
    if (zcert_save_public(cert, pub_path) != 0) {
        unlink(key);
        zcert_destroy(&cert);
        return cq_diag_set(diag, CQ_EIO, 0, "cannot write %s: %s", pub_path,
                           strerror(errno));
    }
    zcert_destroy(&cert);
    return 0;
}

int
cq_curve_client_init(cq_curve_client_t *out, const char *key_flag,
                     const char *broker_flag, cq_diag_t *diag)
{
    memset(out, 0, sizeof *out);
    const char *key = key_flag ? key_flag : getenv(CQ_CURVE_ENV_KEY);
    const char *broker =
        broker_flag ? broker_flag : getenv(CQ_CURVE_ENV_BROKER);
    if (key && !*key)
        key = NULL;
    if (broker && !*broker)
        broker = NULL;
    if (key == NULL && broker == NULL)
        return 0;
    if (key == NULL || broker == NULL)
        return cq_diag_set(
            diag, CQ_EINVAL, 0,
            "CURVE needs both this side's secret key (--curve-key or $%s) "
            "and the broker's public key (--broker-key or $%s); %s given",
            CQ_CURVE_ENV_KEY, CQ_CURVE_ENV_BROKER,
            key ? "only the first" : "only the broker's");
    cq_strlcpy(out->key_path, key, sizeof out->key_path);
    cq_strlcpy(out->broker_path, broker, sizeof out->broker_path);
    if (cq_curve_load_public(broker, out->server_key, diag) != 0)
        return CQ_EINVAL;
    out->cert = cq_curve_load_secret(key, diag);
    return out->cert ? 1 : CQ_EINVAL;
}

void
cq_curve_client_fini(cq_curve_client_t *c)
{
    zcert_destroy(&c->cert);
}

void
cq_curve_client_apply(const cq_curve_client_t *c, zsock_t *sock)
{
    zcert_apply(c->cert, sock);
    zsock_set_curve_serverkey(sock, c->server_key);
}

//  ---- watching handshakes ---------------------------------------------------

struct cq_curve_watch {
    zsock_t *pair;
    bool curve; // the watched socket is a CURVE client
    int fails;  // consecutive handshakes that failed without detail
};

cq_curve_watch_t *
cq_curve_watch_new(zsock_t *sock)
{
    static int n;
    char ep[96];
    snprintf(ep, sizeof ep, "inproc://cq-curve-watch-%d-%d", (int)getpid(),
             __atomic_add_fetch(&n, 1, __ATOMIC_RELAXED));
    if (zmq_socket_monitor(zsock_resolve(sock), ep,
                           ZMQ_EVENT_HANDSHAKE_SUCCEEDED |
                               ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
                               ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                               ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL) != 0)
        return NULL;
    cq_curve_watch_t *self = calloc(1, sizeof *self);
    if (self == NULL)
        return NULL;
    self->curve = zsock_mechanism(sock) == ZMQ_CURVE;
    self->pair = zsock_new(ZMQ_PAIR);
    if (self->pair == NULL || zmq_connect(zsock_resolve(self->pair), ep) != 0) {
        zsock_destroy(&self->pair);
        free(self);
        return NULL;
    }
    return self;
}

void
cq_curve_watch_destroy(cq_curve_watch_t **self_p)
{
    cq_curve_watch_t *self = *self_p;
    if (self == NULL)
        return;
    zsock_destroy(&self->pair);
    free(self);
    *self_p = NULL;
}

void *
cq_curve_watch_sock(cq_curve_watch_t *self)
{
    return zsock_resolve(self->pair);
}

int
cq_curve_watch_wait(cq_curve_watch_t *self, int timeout_ms, char *why, size_t n)
{
    void *raw = zsock_resolve(self->pair);
    int64_t deadline = zclock_mono() + timeout_ms;
    for (;;) {
        zmq_msg_t ev;
        zmq_msg_init(&ev);
        if (zmq_msg_recv(&ev, raw, ZMQ_DONTWAIT) >= 0) {
            uint16_t event = 0;
            uint32_t value = 0;
            if (zmq_msg_size(&ev) >= 6) {
                memcpy(&event, zmq_msg_data(&ev), 2);
                memcpy(&value, (uint8_t *)zmq_msg_data(&ev) + 2, 4);
            }
            while (zmq_msg_more(&ev)) { // (the endpoint)
                zmq_msg_close(&ev);
                zmq_msg_init(&ev);
                if (zmq_msg_recv(&ev, raw, 0) < 0)
                    break;
            }
            zmq_msg_close(&ev);
            if (event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) {
                self->fails = 0;
                return 0;
            }
            if (event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) {
                snprintf(why, n,
                         "the broker refused this key (status %u): its "
                         "public key is not in the broker's allow-list for "
                         "this endpoint, or was revoked",
                         (unsigned)value);
                return CQ_EUNSUPPORTED;
            }
            if (event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL &&
                value == ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH) {
                if (self->curve)
                    snprintf(why, n,
                             "the broker does not use CURVE on this "
                             "endpoint (plain TCP)");
                else
                    snprintf(why, n,
                             "the broker requires CURVE on this endpoint "
                             "(give --curve-key and --broker-key, or $%s "
                             "and $%s)",
                             CQ_CURVE_ENV_KEY, CQ_CURVE_ENV_BROKER);
                return CQ_EUNSUPPORTED;
            }
            if (++self->fails >= S_FAILS && !self->curve) {
                snprintf(why, n,
                         "the broker closed the connection during the "
                         "handshake %d times: it requires CURVE (give "
                         "--curve-key and --broker-key, or $%s and $%s)",
                         self->fails, CQ_CURVE_ENV_KEY, CQ_CURVE_ENV_BROKER);
                return CQ_EUNSUPPORTED;
            }
            if (self->fails >= S_FAILS) {
                snprintf(why, n,
                         "the CURVE handshake with the broker failed %d "
                         "times: the broker's public key (--broker-key) is "
                         "not this broker's, or the broker does not use "
                         "CURVE",
                         self->fails);
                return CQ_EUNSUPPORTED;
            }
            continue;
        }
        zmq_msg_close(&ev);
        int64_t left = deadline - zclock_mono();
        if (left <= 0)
            return CQ_ETIMEDOUT;
        zmq_pollitem_t it = {raw, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&it, 1, (long)left) < 0 && zmq_errno() != EINTR)
            return CQ_EIO;
    }
}
