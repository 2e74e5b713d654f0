/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A vfio-user client for tests and benchmarks: connects to a server socket
 * (or wraps a connected fd), negotiates like QEMU (reference/vfio-user.md
 * §1.3, §2.3), and issues every command the server implements, plus raw
 * send/receive for protocol-abuse tests.  Synchronous: each call sends one
 * request and waits (with a timeout) for its reply.  Not thread-safe.
 *
 * Functions return 0 or a negative errno; an error reply from the server is
 * returned as minus its errno, a timeout as -ETIMEDOUT, a closed connection
 * as -ECONNRESET.
 */
#ifndef VIDXD_TESTS_CLIENT_H
#define VIDXD_TESTS_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/proto.h"

#define CLIENT_MAX_AREAS 8
/* What QEMU 10.1 sends in VERSION (§1.3, caps_json()). */
#define CLIENT_QEMU_CAPS                                                       \
    "{\"capabilities\":{\"max_msg_fds\":16,\"max_data_xfer_size\":1048576,"    \
    "\"pgsizes\":4096,\"max_dma_maps\":65535,\"write_multiple\":true,"         \
    "\"migration\":{\"pgsize\":4096,\"max_bitmap_size\":268435456}}}"

struct client;

struct client_region {
    struct vidxd_vu_region_info info;
    uint32_t nr_areas;
    struct vidxd_vu_sparse_area areas[CLIENT_MAX_AREAS];
    int fd; /* region fd (MMAP), owned by the caller, or -1 */
};

/* Connect to the UNIX socket at @path. */
int client_connect(const char *path, struct client **out);
/* Wrap connected stream socket @fd (ownership passes). */
int client_from_fd(int fd, struct client **out);
/* Close; accepts NULL. */
void client_close(struct client *c);
int client_fd(const struct client *c);
/* Reply timeout in milliseconds (default 5000, QEMU's x-msg-timeout). */
int client_set_timeout(struct client *c, int ms);

/* ---- raw access ------------------------------------------------------- */

/* Write @len bytes as they are, with @nfds fds on the first byte. */
int client_send_bytes(struct client *c, const void *buf, size_t len,
                      const int *fds, size_t nfds);
/* Send a command with a fresh id (returned in *@id if not NULL). */
int client_send(struct client *c, uint16_t cmd, uint32_t flags,
                const void *payload, size_t len, const int *fds, size_t nfds,
                uint16_t *id);
/*
 * Receive one message: header in *@hdr, up to @cap payload bytes in
 * @payload (*@len = payload length, which may exceed @cap: the excess is
 * dropped), fds into @fds (up to 16; *@nfds), extra fds closed if @fds is
 * NULL.
 */
int client_recv(struct client *c, struct vidxd_vu_hdr *hdr, void *payload,
                size_t cap, size_t *len, int *fds, size_t *nfds);
/*
 * Send a command and wait for its reply; checks that the reply is a reply
 * with the same id and command.  Returns minus the error of an error reply.
 */
int client_call(struct client *c, uint16_t cmd, const void *payload,
                size_t len, const int *fds, size_t nfds, void *reply,
                size_t cap, size_t *rlen, int *rfds, size_t *rnfds);

/* ---- commands -------------------------------------------------------- */

/*
 * VERSION with @json (NULL: CLIENT_QEMU_CAPS).  The server's capabilities
 * land in *@caps if not NULL.  Checks what QEMU checks: 0.0, a
 * NUL-terminated JSON object, reply no larger than the request.
 */
int client_negotiate(struct client *c, const char *json,
                     struct proto_caps *caps);
int client_dma_map(struct client *c, uint64_t iova, uint64_t size, int fd,
                   uint64_t offset, uint32_t flags);
int client_dma_unmap(struct client *c, uint64_t iova, uint64_t size,
                     uint32_t flags);
int client_device_info(struct client *c, struct vidxd_vu_device_info *info);
/* GET_REGION_INFO with argsz 32, then again with the argsz the reply asks
   for (QEMU's retry, §1.3). */
int client_region_info(struct client *c, uint32_t index,
                       struct client_region *out);
int client_irq_info(struct client *c, uint32_t index,
                    struct vidxd_vu_irq_info *info);
int client_set_irqs(struct client *c, uint32_t index, uint32_t flags,
                    uint32_t start, uint32_t count, const int *fds,
                    size_t nfds);
int client_region_read(struct client *c, uint32_t region, uint64_t off,
                       void *buf, uint32_t count);
/* @posted: send with No_reply (QEMU's posted BAR writes, §2.6). */
int client_region_write(struct client *c, uint32_t region, uint64_t off,
                        const void *buf, uint32_t count, bool posted);
int client_reset(struct client *c);

/* Shorthands for 4- and 8-byte accesses. */
int client_read32(struct client *c, uint32_t region, uint64_t off,
                  uint32_t *v);
int client_read64(struct client *c, uint32_t region, uint64_t off,
                  uint64_t *v);
int client_write16(struct client *c, uint32_t region, uint64_t off,
                   uint16_t v);
int client_write32(struct client *c, uint32_t region, uint64_t off,
                   uint32_t v);
int client_write64(struct client *c, uint32_t region, uint64_t off,
                   uint64_t v);

#endif /* VIDXD_TESTS_CLIENT_H */
