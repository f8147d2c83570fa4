//  notify.c: the sd_notify protocol by hand (notify.h).
#include "notify.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int
cq_notify_send(const char *msg)
{
    const char *path = getenv("NOTIFY_SOCKET");
    if (path == NULL || msg == NULL)
        return -1;
    size_t len = strlen(path);
    struct sockaddr_un sa;
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    //  a filesystem path, or '@' for Linux's abstract namespace (a leading
    //  NUL byte); anything else (vsock:, an empty value) is not ours
    if ((path[0] != '/' && path[0] != '@') || len < 2 ||
        len >= sizeof sa.sun_path)
        return -1;
    memcpy(sa.sun_path, path, len);
    socklen_t sa_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
                                   len + (path[0] == '/' ? 1 : 0));
    if (path[0] == '@')
        sa.sun_path[0] = '\0';
    int saved = errno;
    int rc = -1;
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd >= 0) {
        size_t n = strlen(msg);
        ssize_t sent;
        do
            sent = sendto(fd, msg, n, MSG_NOSIGNAL, (struct sockaddr *)&sa,
                          sa_len);
        while (sent < 0 && errno == EINTR);
        if (sent == (ssize_t)n)
            rc = 0;
        close(fd);
    }
    errno = saved;
    return rc;
}

void
cq_notify_ready(const char *status)
{
    if (getenv("NOTIFY_SOCKET") == NULL)
        return;
    char line[512] = "";
    if (status) {
        snprintf(line, sizeof line, "%s", status);
        for (char *p = line; *p; p++)
            if (*p == '\n' || *p == '\r')
                *p = ' ';
    }
    char msg[640];
    if (line[0])
        snprintf(msg, sizeof msg, "READY=1\nSTATUS=%s\nMAINPID=%ld\n", line,
                 (long)getpid());
    else
        snprintf(msg, sizeof msg, "READY=1\nMAINPID=%ld\n", (long)getpid());
    (void)cq_notify_send(msg);
}

void
cq_notify_readyf(const char *fmt, ...)
{
    if (getenv("NOTIFY_SOCKET") == NULL)
        return;
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    cq_notify_ready(line);
}

void
cq_notify_stopping(void)
{
    (void)cq_notify_send("STOPPING=1\n");
}
