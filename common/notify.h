//  notify.h: readiness for a service manager, the sd_notify protocol
//  (systemd's Type=notify) written out by hand, without libsystemd.
//  When $NOTIFY_SOCKET names an AF_UNIX datagram socket (a path, or
//  "@name" for an abstract one) each call sends it one datagram; when it
//  is unset, or anything fails, nothing happens: a process is never
//  stopped or slowed down by its supervisor's socket.
#ifndef CQ_NOTIFY_H
#define CQ_NOTIFY_H

#include "prelude.h"

//  "READY=1\nSTATUS=<status>\nMAINPID=<pid>\n": the process serves.
//  status: one line for `systemctl status` (NULL or "" for none; a
//  newline in it becomes a space). Sending it again (a worker that
//  registers again) only updates the status.
void cq_notify_ready(const char *status);
//  The same with the status formatted (printf).
void cq_notify_readyf(const char *fmt, ...) CQ_PRINTF(1, 2);
//  "STOPPING=1\n": the process is shutting down.
void cq_notify_stopping(void);

//  Sends msg as is; returns 0 when sent, -1 when $NOTIFY_SOCKET is unset,
//  unusable, or the send failed. errno is left as it was.
int cq_notify_send(const char *msg);

#endif
