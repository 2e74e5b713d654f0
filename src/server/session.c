/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One vfio-user session: header checks, the VERSION gate, the command
 * table, fd accounting (fds only where a command takes them), replies and
 * error replies, and No_reply (reference/vfio-user.md §1.1, §1.3 VERSION,
 * §6 "Transport" and "VERSION").
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "server/server_priv.h"
#include "vidxd/log.h"

typedef int cmd_handler(struct vidxd_server *srv, const uint8_t *p, size_t n,
                        struct transport_msg *msg, struct reply *r);

struct cmd_desc {
    cmd_handler *handle;
    uint32_t max_fds;
};

static int
handle_version(struct vidxd_server *srv, const uint8_t *p, size_t n,
               struct transport_msg *msg, struct reply *r);

/* §1.2: the commands this server implements; everything else is EINVAL. */
static const struct cmd_desc commands[] = {
    [VIDXD_VU_CMD_VERSION] = {handle_version, 0},
    [VIDXD_VU_CMD_DMA_MAP] = {server_dma_map, 1},
    [VIDXD_VU_CMD_DMA_UNMAP] = {server_dma_unmap, 0},
    [VIDXD_VU_CMD_DEVICE_GET_INFO] = {server_device_info, 0},
    [VIDXD_VU_CMD_DEVICE_GET_REGION_INFO] = {server_region_info, 0},
    [VIDXD_VU_CMD_DEVICE_GET_IRQ_INFO] = {server_irq_info, 0},
    [VIDXD_VU_CMD_DEVICE_SET_IRQS] = {server_set_irqs, SERVER_MAX_MSG_FDS},
    [VIDXD_VU_CMD_REGION_READ] = {server_region_read, 0},
    [VIDXD_VU_CMD_REGION_WRITE] = {server_region_write, 0},
    [VIDXD_VU_CMD_DEVICE_RESET] = {server_device_reset, 0},
};

void *
server_reply_buf(struct vidxd_server *srv, size_t len)
{
    if (len > srv->max_msg_size) {
        return NULL;
    }
    if (len > srv->rbuf_cap) {
        uint8_t *nb = realloc(srv->rbuf, len);

        if (nb == NULL) {
            return NULL;
        }
        srv->rbuf = nb;
        srv->rbuf_cap = len;
    }
    return srv->rbuf;
}

int
server_reply_copy(struct vidxd_server *srv, struct reply *r, const void *data,
                  size_t len)
{
    void *buf = server_reply_buf(srv, len);

    if (buf == NULL) {
        return -ENOMEM;
    }
    memcpy(buf, data, len);
    r->payload = buf;
    r->len = len;
    return 0;
}

/*
 * Capability documents from richest to barest: the reply must not be
 * larger than the request, because QEMU receives it into the request's
 * buffer (§1.3, libvfio-user #368).
 */
static int
version_json(const struct vidxd_server *srv, size_t room, char *json,
             size_t cap)
{
    static const unsigned key_sets[] = {
        PROTO_CAP_MAX_MSG_FDS | PROTO_CAP_MAX_DATA_XFER | PROTO_CAP_PGSIZES |
            PROTO_CAP_MAX_DMA_MAPS,
        PROTO_CAP_MAX_MSG_FDS | PROTO_CAP_MAX_DATA_XFER,
        0,
    };
    struct proto_caps mine;
    size_t i;
    int len;

    proto_caps_default(&mine);
    mine.max_msg_fds = SERVER_MAX_MSG_FDS;
    mine.max_data_xfer_size = srv->max_xfer;
    mine.max_dma_maps = srv->max_dma_maps;
    mine.pgsizes = SERVER_DMA_PGSIZE;
    for (i = 0; i < sizeof(key_sets) / sizeof(key_sets[0]); i++) {
        len = proto_caps_format(&mine, key_sets[i], json, cap);
        if (len >= 0 && (size_t)len + 1 <= room) {
            return len;
        }
    }
    /* The smallest valid document; QEMU needs at least an object. */
    memcpy(json, "{}", 3);
    return 2;
}

static int
handle_version(struct vidxd_server *srv, const uint8_t *p, size_t n,
               struct transport_msg *msg, struct reply *r)
{
    struct proto_version v;
    struct proto_caps theirs;
    struct vidxd_vu_version out;
    char json[256];
    uint8_t *buf;
    size_t len;
    int rc;

    (void)msg;
    if (srv->negotiated) {
        return -EINVAL;
    }
    rc = proto_version_decode(p, n, &v);
    if (rc < 0) {
        return rc;
    }
    if (v.major != VIDXD_VU_MAJOR) {
        return -EINVAL;
    }
    if (v.json != NULL) {
        rc = proto_caps_parse(v.json, v.json_len, &theirs);
        if (rc < 0) {
            return rc;
        }
    } else {
        proto_caps_default(&theirs);
    }
    /* DMA maps are in 4 KiB pages; a client without them cannot map. */
    if (!(theirs.pgsizes & SERVER_DMA_PGSIZE)) {
        return -EINVAL;
    }
    /* A client that sent no JSON gets none back (it is optional, §1.3). */
    len = v.json != NULL
              ? (size_t)version_json(srv, n - sizeof(out), json,
                                     sizeof(json)) + 1
              : 0;
    buf = server_reply_buf(srv, sizeof(out) + len);
    if (buf == NULL) {
        return -ENOMEM;
    }
    if (srv->ops->attach != NULL) {
        rc = srv->ops->attach(srv->opaque);
        if (rc < 0) {
            return rc;
        }
        srv->attached = true;
    }
    /* §2.4: QEMU accepts 0.0 only. */
    out.major = VIDXD_VU_MAJOR;
    out.minor = VIDXD_VU_MINOR;
    memcpy(buf, &out, sizeof(out));
    memcpy(buf + sizeof(out), json, len);
    r->payload = buf;
    r->len = sizeof(out) + len;
    srv->client = theirs;
    srv->negotiated = true;
    return 0;
}

static int
send_reply(struct vidxd_server *srv, const struct vidxd_vu_hdr *req,
           int err, const struct reply *r)
{
    struct vidxd_vu_hdr hdr;
    struct iovec iov[2];
    size_t len = err ? 0 : r->len;
    int fd = err ? -1 : r->fd;

    /* §1.1: same id and command; an error reply is the header alone. */
    proto_hdr_init(&hdr, req->msg_id, req->cmd,
                   (uint32_t)(sizeof(hdr) + len),
                   VIDXD_VU_F_TYPE_REPLY | (err ? VIDXD_VU_F_ERROR : 0),
                   (uint32_t)err);
    iov[0].iov_base = &hdr;
    iov[0].iov_len = sizeof(hdr);
    iov[1].iov_base = (void *)r->payload;
    iov[1].iov_len = len;
    return transport_send(srv->t, iov, len ? 2 : 1, fd >= 0 ? &fd : NULL,
                          fd >= 0 ? 1 : 0);
}

int
server_handle_msg(struct vidxd_server *srv, struct transport_msg *msg)
{
    struct vidxd_vu_hdr hdr;
    struct reply r = {NULL, 0, -1};
    const struct cmd_desc *cd = NULL;
    int rc;

    proto_hdr_decode(msg->data, msg->len, &hdr);
    rc = proto_hdr_check_command(&hdr);
    if (rc == -EPROTO) {
        VIDXD_LOG_RATELIMIT(LOG_WARNING, SERVER_LOG,
                            "%s: message type %#x from client: dropping "
                            "session", srv->name,
                            hdr.flags & VIDXD_VU_F_TYPE_MASK);
        transport_msg_close_fds(msg);
        return rc;
    }
    srv->stats.messages++;
    if (hdr.cmd < sizeof(commands) / sizeof(commands[0]) &&
        commands[hdr.cmd].handle != NULL) {
        cd = &commands[hdr.cmd];
    }
    if (rc < 0) {
        /* A command with the Error flag set: refuse it. */
    } else if (msg->fds_dropped) {
        rc = -EINVAL; /* more fds than advertised (max_msg_fds) */
    } else if (cd == NULL) {
        rc = -EINVAL; /* §6: unknown or unsupported command */
    } else if (msg->nfds > cd->max_fds) {
        rc = -EINVAL; /* fds on a command that takes none (or too many) */
    } else if (!srv->negotiated && hdr.cmd != VIDXD_VU_CMD_VERSION) {
        rc = -EINVAL; /* §1.3: VERSION comes first */
    } else {
        rc = cd->handle(srv, msg->data + sizeof(hdr), msg->len - sizeof(hdr),
                        msg, &r);
    }
    /* Fds a handler did not take are closed; the message is done. */
    transport_msg_close_fds(msg);
    if (rc < 0) {
        srv->stats.error_replies++;
        VIDXD_LOG_RATELIMIT(LOG_INFO, SERVER_LOG,
                            "%s: command %u (id %u) failed: %s", srv->name,
                            hdr.cmd, hdr.msg_id, strerror(-rc));
    }
    /* §1.1: never answer a No_reply command, not even with an error. */
    if (proto_hdr_no_reply(&hdr)) {
        return 0;
    }
    return send_reply(srv, &hdr, rc < 0 ? -rc : 0, &r);
}
