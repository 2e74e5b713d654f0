/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The test vfio-user client (see client.h): framing and fd passing through
 * the transport layer on a blocking socket with a receive timeout, request
 * encoding with the proto structs, and QEMU's checks on the replies
 * (reference/vfio-user.md §2.3, §2.4).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "client.h"
#include "transport/transport.h"

#define CLIENT_MAX_MSG ((64u << 20) + 64u)

struct client {
    struct transport *t;
    int fd;
    uint16_t next_id;
};

int
client_from_fd(int fd, struct client **out)
{
    struct client *c = calloc(1, sizeof(*c));
    int rc;

    if (c == NULL) {
        close(fd);
        return -ENOMEM;
    }
    rc = transport_sock_create(fd, CLIENT_MAX_MSG, TRANSPORT_MAX_FDS, &c->t);
    if (rc < 0) {
        free(c);
        return rc;
    }
    c->fd = fd;
    client_set_timeout(c, 5000);
    *out = c;
    return 0;
}

int
client_connect(const char *path, struct client **out)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int fd;

    if (strlen(path) >= sizeof(sa.sun_path)) {
        return -ENAMETOOLONG;
    }
    strcpy(sa.sun_path, path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -errno;
    }
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        int rc = -errno;

        close(fd);
        return rc;
    }
    return client_from_fd(fd, out);
}

void
client_close(struct client *c)
{
    if (c != NULL) {
        transport_close(c->t);
        free(c);
    }
}

int
client_fd(const struct client *c)
{
    return c->fd;
}

int
client_set_timeout(struct client *c, int ms)
{
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};

    return setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0
               ? -errno
               : 0;
}

int
client_send_bytes(struct client *c, const void *buf, size_t len,
                  const int *fds, size_t nfds)
{
    struct iovec iov = {(void *)buf, len};

    return transport_send(c->t, &iov, 1, fds, nfds);
}

int
client_send(struct client *c, uint16_t cmd, uint32_t flags,
            const void *payload, size_t len, const int *fds, size_t nfds,
            uint16_t *id)
{
    struct vidxd_vu_hdr hdr;
    struct iovec iov[2];

    proto_hdr_init(&hdr, c->next_id, cmd, (uint32_t)(sizeof(hdr) + len),
                   flags, 0);
    if (id != NULL) {
        *id = c->next_id;
    }
    c->next_id++;
    iov[0].iov_base = &hdr;
    iov[0].iov_len = sizeof(hdr);
    iov[1].iov_base = (void *)payload;
    iov[1].iov_len = len;
    return transport_send(c->t, iov, len ? 2 : 1, fds, nfds);
}

int
client_recv(struct client *c, struct vidxd_vu_hdr *hdr, void *payload,
            size_t cap, size_t *len, int *fds, size_t *nfds)
{
    struct transport_msg msg;
    size_t plen;
    int rc;

    rc = transport_recv(c->t, &msg);
    if (rc == -EAGAIN) {
        return -ETIMEDOUT;
    }
    if (rc < 0) {
        return rc;
    }
    proto_hdr_decode(msg.data, msg.len, hdr);
    plen = msg.len - sizeof(*hdr);
    if (payload != NULL) {
        memcpy(payload, msg.data + sizeof(*hdr), plen < cap ? plen : cap);
    }
    if (len != NULL) {
        *len = plen;
    }
    if (fds != NULL) {
        memcpy(fds, msg.fds, msg.nfds * sizeof(int));
        *nfds = msg.nfds;
    } else {
        transport_msg_close_fds(&msg);
        if (nfds != NULL) {
            *nfds = 0;
        }
    }
    return 0;
}

int
client_call(struct client *c, uint16_t cmd, const void *payload, size_t len,
            const int *fds, size_t nfds, void *reply, size_t cap,
            size_t *rlen, int *rfds, size_t *rnfds)
{
    struct vidxd_vu_hdr hdr;
    uint16_t id;
    int rc;

    rc = client_send(c, cmd, VIDXD_VU_F_TYPE_COMMAND, payload, len, fds, nfds,
                     &id);
    if (rc < 0) {
        return rc;
    }
    rc = client_recv(c, &hdr, reply, cap, rlen, rfds, rnfds);
    if (rc < 0) {
        return rc;
    }
    if ((hdr.flags & VIDXD_VU_F_TYPE_MASK) != VIDXD_VU_F_TYPE_REPLY ||
        hdr.msg_id != id || hdr.cmd != cmd) {
        return -EPROTO;
    }
    if (hdr.flags & VIDXD_VU_F_ERROR) {
        /* §1.1: an error reply is the header alone. */
        if (hdr.msg_size != sizeof(hdr) || hdr.error == 0) {
            return -EPROTO;
        }
        return -(int)hdr.error;
    }
    return 0;
}

int
client_negotiate(struct client *c, const char *json, struct proto_caps *caps)
{
    struct vidxd_vu_version v = {VIDXD_VU_MAJOR, VIDXD_VU_MINOR};
    uint8_t req[1024], rep[1024];
    struct proto_version pv;
    struct proto_caps tmp;
    size_t jl, rlen;
    int rc;

    if (json == NULL) {
        json = CLIENT_QEMU_CAPS;
    }
    jl = strlen(json) + 1;
    if (sizeof(v) + jl > sizeof(req)) {
        return -E2BIG;
    }
    memcpy(req, &v, sizeof(v));
    memcpy(req + sizeof(v), json, jl);
    rc = client_call(c, VIDXD_VU_CMD_VERSION, req, sizeof(v) + jl, NULL, 0,
                     rep, sizeof(rep), &rlen, NULL, NULL);
    if (rc < 0) {
        return rc;
    }
    /* QEMU's vfio_user_validate_version() (§1.3). */
    if (rlen > sizeof(v) + jl || rlen > sizeof(rep) ||
        proto_version_decode(rep, rlen, &pv) < 0 || pv.json == NULL ||
        pv.major != 0 || pv.minor != 0 ||
        proto_caps_parse(pv.json, pv.json_len, &tmp) < 0) {
        return -EPROTO;
    }
    if (caps != NULL) {
        *caps = tmp;
    }
    return 0;
}

int
client_dma_map(struct client *c, uint64_t iova, uint64_t size, int fd,
               uint64_t offset, uint32_t flags)
{
    struct vidxd_vu_dma_map m = {sizeof(m), flags, offset, iova, size};

    return client_call(c, VIDXD_VU_CMD_DMA_MAP, &m, sizeof(m),
                       fd >= 0 ? &fd : NULL, fd >= 0 ? 1 : 0, NULL, 0, NULL,
                       NULL, NULL);
}

int
client_dma_unmap(struct client *c, uint64_t iova, uint64_t size,
                 uint32_t flags)
{
    struct vidxd_vu_dma_unmap u = {sizeof(u), flags, iova, size}, back;
    size_t rlen;
    int rc;

    rc = client_call(c, VIDXD_VU_CMD_DMA_UNMAP, &u, sizeof(u), NULL, 0, &back,
                     sizeof(back), &rlen, NULL, NULL);
    if (rc < 0) {
        return rc;
    }
    /* §1.3: the reply returns the entry of the request. */
    if (rlen != sizeof(back) || memcmp(&back, &u, sizeof(u)) != 0) {
        return -EPROTO;
    }
    return 0;
}

int
client_device_info(struct client *c, struct vidxd_vu_device_info *info)
{
    struct vidxd_vu_device_info req = {sizeof(req), 0, 0, 0};
    size_t rlen;
    int rc;

    rc = client_call(c, VIDXD_VU_CMD_DEVICE_GET_INFO, &req, sizeof(req), NULL,
                     0, info, sizeof(*info), &rlen, NULL, NULL);
    if (rc == 0 && rlen != sizeof(*info)) {
        rc = -EPROTO;
    }
    return rc;
}

static int
region_info_once(struct client *c, uint32_t index, uint32_t argsz,
                 uint8_t *buf, size_t cap, size_t *rlen, int *fd)
{
    struct vidxd_vu_region_info req = {0};
    int fds[TRANSPORT_MAX_FDS];
    size_t nfds = 0, i;
    int rc;

    req.argsz = argsz;
    req.index = index;
    *fd = -1;
    rc = client_call(c, VIDXD_VU_CMD_DEVICE_GET_REGION_INFO, &req,
                     sizeof(req), NULL, 0, buf, cap, rlen, fds, &nfds);
    if (rc < 0) {
        return rc;
    }
    /* QEMU 10.1 takes one fd per region (§2.10). */
    for (i = 0; i < nfds; i++) {
        if (i == 0) {
            *fd = fds[0];
        } else {
            close(fds[i]);
            rc = -EPROTO;
        }
    }
    return rc;
}

int
client_region_info(struct client *c, uint32_t index,
                   struct client_region *out)
{
    uint8_t buf[4096];
    size_t rlen;
    int rc, fd;

    rc = region_info_once(c, index, sizeof(struct vidxd_vu_region_info), buf,
                          sizeof(buf), &rlen, &fd);
    if (rc < 0) {
        return rc;
    }
    if (rlen >= sizeof(out->info)) {
        memcpy(&out->info, buf, sizeof(out->info));
        if (out->info.argsz > sizeof(out->info)) {
            /* Too small: drop the fd and ask with the size given (§1.3). */
            if (fd >= 0) {
                close(fd);
            }
            if (out->info.argsz > sizeof(buf)) {
                return -E2BIG;
            }
            rc = region_info_once(c, index, out->info.argsz, buf, sizeof(buf),
                                  &rlen, &fd);
            if (rc < 0) {
                return rc;
            }
        }
    }
    rc = proto_region_info_reply_decode(buf, rlen < sizeof(buf) ? rlen : 0,
                                        &out->info, out->areas,
                                        CLIENT_MAX_AREAS, &out->nr_areas);
    if (rc < 0) {
        if (fd >= 0) {
            close(fd);
        }
        return -EPROTO;
    }
    out->fd = fd;
    return 0;
}

int
client_irq_info(struct client *c, uint32_t index,
                struct vidxd_vu_irq_info *info)
{
    struct vidxd_vu_irq_info req = {sizeof(req), 0, index, 0};
    size_t rlen;
    int rc;

    rc = client_call(c, VIDXD_VU_CMD_DEVICE_GET_IRQ_INFO, &req, sizeof(req),
                     NULL, 0, info, sizeof(*info), &rlen, NULL, NULL);
    if (rc == 0 && rlen != sizeof(*info)) {
        rc = -EPROTO;
    }
    return rc;
}

int
client_set_irqs(struct client *c, uint32_t index, uint32_t flags,
                uint32_t start, uint32_t count, const int *fds, size_t nfds)
{
    struct vidxd_vu_irq_set s = {sizeof(s), flags, index, start, count};

    return client_call(c, VIDXD_VU_CMD_DEVICE_SET_IRQS, &s, sizeof(s), fds,
                       nfds, NULL, 0, NULL, NULL, NULL);
}

int
client_region_read(struct client *c, uint32_t region, uint64_t off,
                   void *buf, uint32_t count)
{
    struct vidxd_vu_region_access req = {off, region, count}, back;
    uint8_t *rep;
    size_t rlen;
    int rc;

    rep = malloc(sizeof(back) + count);
    if (rep == NULL) {
        return -ENOMEM;
    }
    rc = client_call(c, VIDXD_VU_CMD_REGION_READ, &req, sizeof(req), NULL, 0,
                     rep, sizeof(back) + count, &rlen, NULL, NULL);
    if (rc == 0) {
        memcpy(&back, rep, rlen < sizeof(back) ? rlen : sizeof(back));
        /* §1.3: QEMU wants the count it asked for, exactly. */
        if (rlen != sizeof(back) + count || back.count != count ||
            back.offset != off || back.region != region) {
            rc = -EPROTO;
        } else {
            memcpy(buf, rep + sizeof(back), count);
        }
    }
    free(rep);
    return rc;
}

int
client_region_write(struct client *c, uint32_t region, uint64_t off,
                    const void *buf, uint32_t count, bool posted)
{
    struct vidxd_vu_region_access req = {off, region, count};
    uint8_t *msg;
    size_t rlen;
    int rc;

    msg = malloc(sizeof(req) + count);
    if (msg == NULL) {
        return -ENOMEM;
    }
    memcpy(msg, &req, sizeof(req));
    memcpy(msg + sizeof(req), buf, count);
    if (posted) {
        rc = client_send(c, VIDXD_VU_CMD_REGION_WRITE, VIDXD_VU_F_NO_REPLY,
                         msg, sizeof(req) + count, NULL, 0, NULL);
    } else {
        rc = client_call(c, VIDXD_VU_CMD_REGION_WRITE, msg,
                         sizeof(req) + count, NULL, 0, NULL, 0, &rlen, NULL,
                         NULL);
        if (rc == 0 && rlen != sizeof(req)) {
            rc = -EPROTO;
        }
    }
    free(msg);
    return rc;
}

int
client_reset(struct client *c)
{
    return client_call(c, VIDXD_VU_CMD_DEVICE_RESET, NULL, 0, NULL, 0, NULL, 0,
                       NULL, NULL, NULL);
}

int
client_read32(struct client *c, uint32_t region, uint64_t off, uint32_t *v)
{
    return client_region_read(c, region, off, v, sizeof(*v));
}

int
client_read64(struct client *c, uint32_t region, uint64_t off, uint64_t *v)
{
    return client_region_read(c, region, off, v, sizeof(*v));
}

int
client_write16(struct client *c, uint32_t region, uint64_t off, uint16_t v)
{
    return client_region_write(c, region, off, &v, sizeof(v), false);
}

int
client_write32(struct client *c, uint32_t region, uint64_t off, uint32_t v)
{
    return client_region_write(c, region, off, &v, sizeof(v), false);
}

int
client_write64(struct client *c, uint32_t region, uint64_t off, uint64_t v)
{
    return client_region_write(c, region, off, &v, sizeof(v), false);
}
