//  ledger_export.h: `claimq ledger export --redact`: a copy of a worker
//  ledger for auditors with patient data replaced by keyed hashes
//  (docs/operations.md, "Sharing a ledger with auditors").
//
//  What a ledger holds of patient data (schemas/ledger/*.sql,
//  common/ledger.c): the member id of each row (decisions.member), and in a
//  decision a reviewer's release superseded, the audit trail of that
//  release (decision JSON "review", in the packed body): the old and new
//  value of each field the reviewer changed, member name, id and birth
//  date among them. Nothing else in a ledger names a member (decisions
//  carry no member data; claim payloads are not kept in a ledger; reason
//  messages never carry patient data, docs/formats.md).
//
//  Each such value becomes a token: "h:" + the first 16 bytes, in hex, of
//  BLAKE2b (libsodium crypto_generichash, 32-byte output) of the value,
//  keyed with a 32-byte key: the same value and key give the same token
//  (an auditor can still link one member's claims), another key others.
#ifndef CQ_LEDGER_EXPORT_H
#define CQ_LEDGER_EXPORT_H

#include "err.h"
#include "ledger.h"

#include <stdbool.h>
#include <stdint.h>

#define CQ_REDACT_KEY_LEN 32   // bytes of a redaction key file
#define CQ_REDACT_TOKEN_LEN 35 // "h:" + 32 hex digits + NUL

//  Reads the key in path (exactly CQ_REDACT_KEY_LEN bytes, a regular
//  file), or, when path does not exist, makes one (randombytes_buf) and
//  writes it there, mode 0600 whatever the umask (*created set). *mode:
//  the file's permission bits. Returns 0, CQ_EINVAL (not a regular file,
//  or not 32 bytes long) or CQ_EIO; diag names the file, never the key.
int cq_redact_key(const char *path, uint8_t key[CQ_REDACT_KEY_LEN],
                  bool *created, unsigned *mode, cq_diag_t *diag);

//  The token of v[0..n) under key into out.
void cq_redact_token(const uint8_t key[CQ_REDACT_KEY_LEN], const void *v,
                     size_t n, char out[CQ_REDACT_TOKEN_LEN]);

//  Rewrites a release's audit trail (decision.review_audit, a JSON object
//  {"reviewer", "action", "changes": [{"field", "old", "new"}...]}) in
//  place, NUL-terminated within size bytes: every value in "changes" but
//  the field names becomes a token ("" stays ""), any other key's value
//  too; reviewer and action stay. Text that is not such an object, or
//  that would not fit, becomes {"reviewer", "action", "redacted": token of
//  the whole text} or {"redacted": token}. Returns 0.
int cq_redact_review(const uint8_t key[CQ_REDACT_KEY_LEN], char *audit,
                     size_t size);

//  Writes the redacted copy of the ledger src at dst (cq_ledger_copy:
//  never over an existing file, mode 0600; src read-only) with every
//  member id and review audit redacted under key; meta 'export' =
//  "redacted", and 'export_tokens' / 'export_key_id' (the token of a fixed
//  text under key: exports made with the same key share it). Returns
//  cq_ledger_copy's result.
int cq_ledger_export_redacted(const char *src, const char *dst,
                              const uint8_t key[CQ_REDACT_KEY_LEN],
                              cq_ledger_copy_info_t *info, cq_diag_t *diag);

#endif
