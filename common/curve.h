//  curve.h: CurveZMQ keys and handshakes for every claimq socket
//  (docs/security.md).
//
//  Keys are czmq certificates (zcert). `claimq keygen NAME` writes
//  NAME.key (the secret certificate: public and secret key, mode 0600) and
//  NAME.pub (the public certificate, to copy into the broker's allow-list
//  directory). A public certificate may carry metadata; the broker reads
//  `payers` (comma-separated payer ids, or *) from its own allow-list copy.
//
//  A client or worker finds its keys in this order: the flags
//  (--curve-key FILE, --broker-key FILE), else $CLAIMQ_CURVE_KEY and
//  $CLAIMQ_BROKER_KEY. Neither: plain (loopback brokers only).
#ifndef CQ_CURVE_H
#define CQ_CURVE_H

#include "err.h"

#include <czmq.h>
#include <stdbool.h>

#define CQ_CURVE_KEY_TXT 41 // Z85 public key, 40 characters and NUL
#define CQ_CURVE_ENV_KEY "CLAIMQ_CURVE_KEY"
#define CQ_CURVE_ENV_BROKER "CLAIMQ_BROKER_KEY"
#define CQ_CURVE_ZAP_FRONT "claimq-front" // ZAP domains of the broker's
#define CQ_CURVE_ZAP_BACK "claimq-back"   // two endpoints
#define CQ_CURVE_ZAP_PEER "claimq-peer"   // and of a pair's peer link

//  Loads a secret certificate (NAME.key). Refuses one that other users can
//  read (mode beyond 0600), a missing or malformed file, or a public-only
//  certificate. Returns the certificate, or NULL with diag.
zcert_t *cq_curve_load_secret(const char *path, cq_diag_t *diag);

//  Loads the public key of a certificate file (NAME.pub or NAME.key) as
//  Z85 text. Returns 0, or CQ_EINVAL / CQ_EIO with diag.
int cq_curve_load_public(const char *path, char out[CQ_CURVE_KEY_TXT],
                         cq_diag_t *diag);

//  Writes DIR/NAME.key (0600, whatever the umask) and DIR/NAME.pub for a
//  new key pair; payers (may be NULL) goes into both as metadata. Refuses
//  to overwrite. Returns 0, or CQ_EEXIST / CQ_EIO / CQ_EINVAL with diag.
int cq_curve_keygen(const char *dir, const char *name, const char *payers,
                    char pub_path[4096], cq_diag_t *diag);

//  A client's or worker's side of a CURVE connection.
typedef struct {
    zcert_t *cert;                     // own secret certificate
    char server_key[CQ_CURVE_KEY_TXT]; // the broker's public key
    char key_path[4096];               // where they came from, for
    char broker_path[4096];            // messages
} cq_curve_client_t;

//  Resolves the client's keys from the flags (NULL: not given), else the
//  environment. Returns 1 (CURVE: *out filled), 0 (plain: neither given),
//  or CQ_EINVAL with diag (one without the other, or a file unusable).
int cq_curve_client_init(cq_curve_client_t *out, const char *key_flag,
                         const char *broker_flag, cq_diag_t *diag);
void cq_curve_client_fini(cq_curve_client_t *c);
//  Makes sock a CURVE client with these keys (before its connect).
void cq_curve_client_apply(const cq_curve_client_t *c, zsock_t *sock);

//  Watches a socket's handshakes (a libzmq monitor), to fail fast instead
//  of hanging when the broker refuses the key or the broker key is wrong.
typedef struct cq_curve_watch cq_curve_watch_t;
//  Before the socket's connect. Returns NULL if the monitor cannot start.
cq_curve_watch_t *cq_curve_watch_new(zsock_t *sock);
void cq_curve_watch_destroy(cq_curve_watch_t **self_p);
//  Reads the events so far, waiting up to timeout_ms for one that settles
//  the handshake. Returns 0 (a handshake succeeded), CQ_ETIMEDOUT (none
//  settled yet: broker unreachable or slow), CQ_EUNSUPPORTED with why (the
//  broker refused the key, or the handshake failed: wrong broker key, or
//  one side without CURVE).
int cq_curve_watch_wait(cq_curve_watch_t *self, int timeout_ms, char *why,
                        size_t n);
//  The monitor's socket, to poll beside the watched one (readable: call
//  cq_curve_watch_wait with timeout 0).
void *cq_curve_watch_sock(cq_curve_watch_t *self);

#endif
