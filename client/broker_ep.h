//  broker_ep.h: which broker a `claimq` verb talks to, and what it tells a
//  person when that fails.
//
//  The address is, in this order (explicit wins over found):
//    1. --broker URL
//    2. $CLAIMQ_BROKER
//    3. the frontend in the endpoints file of a local `claimq up`:
//       DIR/endpoints, DIR = $CLAIMQ_DIR, else ./claimq-data (the default
//       --dir of `claimq up`, which honours $CLAIMQ_DIR the same way)
//    4. CQ_BROKER_DEFAULT (tcp://127.0.0.1:5555)
//  A URL is tcp://HOST:PORT or ipc://PATH; anything else is a usage error
//  naming the value and where it came from.
//
//  The endpoints file is a few `key=value` lines (and `#` comments),
//  written by `claimq up` once its broker and workers are ready (a temporary
//  file renamed into place) and removed when it stops:
//      # claimq up (pid 4242): removed when it stops
//      frontend=tcp://127.0.0.1:41873
//      backend=tcp://127.0.0.1:36227
//      pid=4242
//  Readers take the keys they know and ignore the others.
#ifndef CQ_BROKER_EP_H
#define CQ_BROKER_EP_H

#include "bclient.h"

#define CQ_UP_DIR_DEFAULT "claimq-data"
#define CQ_UP_ENDPOINTS "endpoints"

typedef enum {
    CQ_EP_FLAG = 0,    // --broker
    CQ_EP_ENV = 1,     // $CLAIMQ_BROKER
    CQ_EP_UP_FILE = 2, // a local `claimq up`'s endpoints file
    CQ_EP_DEFAULT = 3  // CQ_BROKER_DEFAULT
} cq_ep_source_t;

typedef struct {
    char ep[256];          // the address
    cq_ep_source_t source; // where it came from
    char file[4200];       // the endpoints file read, or looked for
    long up_pid;           // CQ_EP_UP_FILE: its pid= (0: none)
} cq_broker_ep_t;

//  `claimq up`'s default --dir: $CLAIMQ_DIR, else CQ_UP_DIR_DEFAULT.
const char *cq_up_dir_default(void);

//  True when s is tcp://HOST:PORT (PORT digits or *) or ipc://PATH.
bool cq_broker_url_ok(const char *s);

//  Resolves the broker frontend (see above). Returns 0, or CQ_EINVAL with
//  diag saying which value is wrong and where it came from.
int cq_broker_ep_resolve(const char *arg, cq_broker_ep_t *out, cq_diag_t *diag);

//  Where the address came from, for a person: "--broker",
//  "$CLAIMQ_BROKER", "claimq up's endpoints file claimq-data/endpoints",
//  "the built-in default (...)".
void cq_broker_ep_describe(const cq_broker_ep_t *e, char *out, size_t n);

//  Resolves, then connects. Returns an exit code: 0 (*c set), or
//  CQ_EXIT_USAGE after saying why on stderr ("VERB: ...", "Try 'claimq
//  VERB --help'.").
int cq_broker_ep_connect(const char *verb, const char *arg, cq_broker_ep_t *e,
                         cq_bclient_t **c);

//  After a request to the broker failed with rc: says so on stderr and
//  returns the exit code. CQ_EUNSUPPORTED (the broker says the address is
//  not its client endpoint): its words (why, cq_bclient_why; may be NULL),
//  CQ_EXIT_SETUP (3). Anything else: "broker unreachable at EP (from
//  WHERE)" and how to set it, CQ_EXIT_TIMEOUT (4).
int cq_broker_ep_fail(const char *verb, const cq_broker_ep_t *e,
                      const char *why, int rc);

//  Writes DIR/endpoints (tmp + rename). Returns 0 or CQ_EIO with diag.
int cq_up_endpoints_write(const char *dir, const char *frontend,
                          const char *backend, cq_diag_t *diag);
//  Removes DIR/endpoints if it is this process's.
void cq_up_endpoints_remove(const char *dir);

#endif
