/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Control socket client: one connection per command, one JSON request
 * line, one JSON reply line.  Replies are bounded (a list of the largest
 * device is a few tens of KiB) and the wait is bounded, so a wedged
 * daemon cannot hang the CLI forever.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "client.h"
#include "daemon/fsutil.h"

#define CLIENT_MAX_REPLY (64u << 20)
#define CLIENT_TIMEOUT_MS 60000

int
client_call(const char *path, json_object *req, json_object **reply,
            char *msg, size_t msglen)
{
    struct sockaddr_un sa;
    const char *line;
    char *buf = NULL, *nl = NULL;
    size_t have = 0, cap = 0;
    int fd, rc;

    *reply = NULL;
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    if (strlen(path) >= sizeof(sa.sun_path)) {
        snprintf(msg, msglen, "control socket path '%s' is too long", path);
        return -ENAMETOOLONG;
    }
    strcpy(sa.sun_path, path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        rc = -errno;
        snprintf(msg, msglen, "socket: %s", strerror(errno));
        return rc;
    }
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        rc = -errno;
        snprintf(msg, msglen,
                 "cannot connect to %s: %s (is the daemon running? start it "
                 "with 'vidxd serve', or give --control PATH)",
                 path, strerror(errno));
        close(fd);
        return rc;
    }
    line = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN |
                                                   JSON_C_TO_STRING_NOSLASHESCAPE);
    rc = fsutil_write_all(fd, line, strlen(line), true);
    if (rc == 0) {
        rc = fsutil_write_all(fd, "\n", 1, true);
    }
    if (rc < 0) {
        snprintf(msg, msglen, "cannot send to %s: %s", path, strerror(-rc));
        close(fd);
        return rc;
    }
    while (nl == NULL) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        ssize_t n;

        if (have + 4096 > cap) {
            char *p;

            if (cap >= CLIENT_MAX_REPLY) {
                snprintf(msg, msglen, "reply from %s too large", path);
                rc = -EMSGSIZE;
                goto out;
            }
            cap = cap == 0 ? 65536 : cap * 2;
            p = realloc(buf, cap);
            if (p == NULL) {
                snprintf(msg, msglen, "out of memory");
                rc = -ENOMEM;
                goto out;
            }
            buf = p;
        }
        rc = poll(&pfd, 1, CLIENT_TIMEOUT_MS);
        if (rc < 0 && errno == EINTR) {
            continue;
        }
        if (rc <= 0) {
            snprintf(msg, msglen, "no reply from %s within %d s", path,
                     CLIENT_TIMEOUT_MS / 1000);
            rc = -ETIMEDOUT;
            goto out;
        }
        n = recv(fd, buf + have, cap - have - 1, 0);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            rc = n < 0 ? -errno : -ECONNRESET;
            snprintf(msg, msglen, "the daemon at %s closed the connection",
                     path);
            goto out;
        }
        nl = memchr(buf + have, '\n', (size_t)n);
        have += (size_t)n;
    }
    *nl = '\0';
    *reply = json_tokener_parse(buf);
    if (*reply == NULL || !json_object_is_type(*reply, json_type_object)) {
        json_object_put(*reply);
        *reply = NULL;
        snprintf(msg, msglen, "malformed reply from %s", path);
        rc = -EPROTO;
        goto out;
    }
    rc = 0;
out:
    free(buf);
    close(fd);
    return rc;
}
