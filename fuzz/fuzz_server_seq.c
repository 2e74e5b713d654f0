/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target over whole vfio-user sessions: the input bytes choose a
 * sequence of messages from a table of valid-ish templates (VERSION, DMA
 * map/unmap with and without a memfd, infos, SET_IRQS with eventfds, region
 * reads and writes, device DMA through the fake device's doorbell, reset,
 * raw bytes) whose fields come from the input, sent to a server serving the
 * fake PCI function over a socketpair.  Checked after every step: replies
 * are well-formed and in order; at the end of every input: the server
 * tears down cleanly and no fd leaked.  Sanitizers catch the rest.
 *
 * Input format: a stream of ops, each one byte (op % N_OPS) followed by the
 * bytes its template consumes; missing bytes read as zero.
 * Seeds: --write-seeds=DIR writes a few sequences and exits.
 */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fake_dev.h"
#include "proto/proto.h"
#include "transport/transport.h"
#include "vidxd/server.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "property failed: %s (%s:%d)\n", #cond,          \
                    __FILE__, __LINE__);                                       \
            abort();                                                           \
        }                                                                      \
    } while (0)

#define RAM_SIZE 0x10000u
#define MAX_PAYLOAD 4096u
#define MAX_STEPS 64
#define ID_RING 1024

enum op {
    OP_VERSION,
    OP_VERSION_JSON,
    OP_DMA_MAP_FD,
    OP_DMA_MAP,
    OP_DMA_UNMAP,
    OP_GET_INFO,
    OP_REGION_INFO,
    OP_IRQ_INFO,
    OP_SET_IRQS,
    OP_REGION_READ,
    OP_REGION_WRITE,
    OP_RESET,
    OP_RAW,
    OP_MUTATED,
    OP_DOORBELL,
    OP_CFG_WRITE,
    OP_STALL,
    N_OPS
};

struct ctx {
    const uint8_t *in;
    size_t left;
    struct fake_dev *dev;
    struct vidxd_server *srv;
    struct transport *cli;
    int ram_fd;
    int efd[4];
    uint16_t next_id;
    bool ordered; /* every byte sent so far was a well-framed command */
    bool gone; /* the server ended the session */
    unsigned stall; /* pumps left during which replies are not read */
    uint16_t expect[ID_RING]; /* ids of commands awaiting a reply */
    size_t exp_head, exp_tail;
};

static uint64_t
take(struct ctx *c, size_t n)
{
    uint64_t v = 0;
    size_t i;

    for (i = 0; i < n && c->left > 0; i++, c->left--, c->in++) {
        v |= (uint64_t)c->in[0] << (8 * i);
    }
    return v;
}

/* Read replies; returns how many arrived. */
static int
drain(struct ctx *c)
{
    struct transport_msg m;
    struct vidxd_vu_hdr h;
    int n = 0, rc;

    for (;;) {
        rc = transport_recv(c->cli, &m);
        if (rc == -EAGAIN) {
            return n;
        }
        if (rc < 0) {
            c->gone = true;
            return n;
        }
        n++;
        proto_hdr_decode(m.data, m.len, &h);
        transport_msg_close_fds(&m);
        /* The server only ever replies (§1.1). */
        CHECK((h.flags & VIDXD_VU_F_TYPE_MASK) == VIDXD_VU_F_TYPE_REPLY);
        if (h.flags & VIDXD_VU_F_ERROR) {
            CHECK(h.msg_size == sizeof(h) && h.error != 0);
        }
        if (c->ordered) {
            /* In order, one per command that wants one. */
            CHECK(c->exp_head != c->exp_tail);
            CHECK(h.msg_id == c->expect[c->exp_head % ID_RING]);
            c->exp_head++;
        }
    }
}

static void
pump(struct ctx *c)
{
    int i;

    for (i = 0; i < MAX_STEPS && !c->gone; i++) {
        int got, rc = 0;

        if (transport_send_pending(c->cli)) {
            rc = transport_flush(c->cli);
            if (rc < 0 && rc != -EAGAIN) {
                c->gone = true;
                return;
            }
        }
        CHECK(vidxd_server_dispatch(c->srv) == 0);
        /* A client that stops reading: the server must queue and wait. */
        got = c->stall > 0 ? 0 : drain(c);
        if (!vidxd_server_connected(c->srv)) {
            c->gone = true;
        }
        if (got == 0 && !transport_send_pending(c->cli) && i > 0) {
            break;
        }
    }
    if (c->stall > 0) {
        c->stall--;
    }
}

static void
send_msg(struct ctx *c, uint16_t cmd, uint32_t flags, const void *p,
         size_t len, const int *fds, size_t nfds)
{
    struct vidxd_vu_hdr h;
    struct iovec iov[2];
    int rc;

    proto_hdr_init(&h, c->next_id, cmd, (uint32_t)(sizeof(h) + len), flags,
                   0);
    iov[0].iov_base = &h;
    iov[0].iov_len = sizeof(h);
    iov[1].iov_base = (void *)p;
    iov[1].iov_len = len;
    while ((rc = transport_send(c->cli, iov, len ? 2 : 1, fds, nfds)) ==
           -EBUSY) {
        c->stall = 0; /* both sides full: read, or nothing moves */
        pump(c);
        if (c->gone) {
            return;
        }
    }
    if (rc < 0) {
        c->gone = true;
        return;
    }
    if (!(flags & VIDXD_VU_F_NO_REPLY) && c->ordered) {
        CHECK(c->exp_tail - c->exp_head < ID_RING);
        c->expect[c->exp_tail++ % ID_RING] = c->next_id;
    }
    c->next_id++;
}

static void
send_raw(struct ctx *c, const void *p, size_t len)
{
    struct iovec iov = {(void *)p, len};

    /* Framing is now unknown: stop checking reply ids. */
    c->ordered = false;
    while (transport_send(c->cli, &iov, 1, NULL, 0) == -EBUSY) {
        c->stall = 0;
        pump(c);
        if (c->gone) {
            return;
        }
    }
}

static void
op_version(struct ctx *c, bool custom)
{
    static const char json[] =
        "{\"capabilities\":{\"max_msg_fds\":16,\"max_data_xfer_size\":1048576,"
        "\"pgsizes\":4096,\"max_dma_maps\":65535}}";
    uint8_t p[4 + 256];
    size_t len = 4;
    uint16_t v[2] = {0, 0};

    if (custom) {
        size_t jl = take(c, 1);

        v[0] = (uint16_t)(take(c, 1) & 1);
        while (len < 4 + jl && c->left > 0) {
            p[len++] = (uint8_t)take(c, 1);
        }
    } else {
        memcpy(p + 4, json, sizeof(json));
        len += sizeof(json);
    }
    memcpy(p, v, 4);
    send_msg(c, VIDXD_VU_CMD_VERSION, 0, p, len, NULL, 0);
}

/* Addresses mostly page-aligned and small, sometimes anything. */
static uint64_t
take_addr(struct ctx *c)
{
    uint8_t mode = (uint8_t)take(c, 1);

    if (mode & 0x80) {
        return take(c, 8);
    }
    return (take(c, 1) & 0x3f) * 0x1000ull;
}

static void
op_dma_map(struct ctx *c, bool with_fd)
{
    struct vidxd_vu_dma_map m = {32, 0, 0, 0, 0};

    m.flags = (uint32_t)take(c, 1) & 0x7;
    m.addr = take_addr(c);
    m.size = take_addr(c);
    m.offset = with_fd ? take_addr(c) : 0;
    send_msg(c, VIDXD_VU_CMD_DMA_MAP, 0, &m, sizeof(m),
             with_fd ? &c->ram_fd : NULL, with_fd ? 1 : 0);
}

static void
op_dma_unmap(struct ctx *c)
{
    struct vidxd_vu_dma_unmap u = {24, 0, 0, 0};

    u.flags = (uint32_t)take(c, 1) & 0x3;
    if (u.flags != VFIO_DMA_UNMAP_FLAG_ALL) {
        u.addr = take_addr(c);
        u.size = take_addr(c);
    }
    send_msg(c, VIDXD_VU_CMD_DMA_UNMAP, 0, &u, sizeof(u), NULL, 0);
}

static void
op_set_irqs(struct ctx *c)
{
    struct vidxd_vu_irq_set s = {20, 0, 0, 0, 0};
    uint8_t p[20 + 32];
    size_t len = 20, nfds;

    s.flags = (uint32_t)take(c, 1) & 0x3f;
    s.index = (uint32_t)take(c, 1) % 6;
    s.start = (uint32_t)take(c, 1) % 20;
    s.count = (uint32_t)take(c, 1) % 20;
    nfds = take(c, 1) % 5;
    memcpy(p, &s, 20);
    if ((s.flags & VFIO_IRQ_SET_DATA_BOOL) && s.count <= 32) {
        size_t i;

        for (i = 0; i < s.count; i++) {
            p[len++] = (uint8_t)take(c, 1);
        }
    }
    send_msg(c, VIDXD_VU_CMD_DEVICE_SET_IRQS, 0, p, len, c->efd, nfds);
}

static void
op_region_access(struct ctx *c, bool write, uint32_t region)
{
    struct vidxd_vu_region_access ra;
    uint8_t p[16 + 64];
    uint32_t flags = 0;
    size_t len = 16, i;

    ra.region = region;
    ra.offset = take(c, 1) & 0x80 ? take(c, 8) : take(c, 2) & 0x1fff;
    ra.count = (uint32_t)take(c, 1);
    if (ra.count > 64 && region != VIDXD_PCI_REGION_CONFIG) {
        ra.count = 8;
    }
    if (write) {
        for (i = 0; i < ra.count && i < 64; i++) {
            p[len++] = (uint8_t)take(c, 1);
        }
        flags = take(c, 1) & 1 ? VIDXD_VU_F_NO_REPLY : 0;
    } else if (ra.count > 64) {
        ra.count = 4096; /* QEMU's whole-config read */
    }
    memcpy(p, &ra, 16);
    send_msg(c, write ? VIDXD_VU_CMD_REGION_WRITE : VIDXD_VU_CMD_REGION_READ,
             flags, p, len, NULL, 0);
}

static void
write_reg(struct ctx *c, uint64_t off, uint64_t v)
{
    struct vidxd_vu_region_access ra = {off, 0, 8};
    uint8_t p[24];

    memcpy(p, &ra, 16);
    memcpy(p + 16, &v, 8);
    send_msg(c, VIDXD_VU_CMD_REGION_WRITE, VIDXD_VU_F_NO_REPLY, p, 24, NULL,
             0);
}

static void
op_doorbell(struct ctx *c)
{
    write_reg(c, FAKE_REG_SRC, take_addr(c) + (take(c, 1) & 0xff));
    write_reg(c, FAKE_REG_DST, take_addr(c));
    write_reg(c, FAKE_REG_LEN, take(c, 2) & 0x3fff);
    write_reg(c, FAKE_REG_DOORBELL, FAKE_DOORBELL_GO);
}

static void
op_cfg_write(struct ctx *c)
{
    struct vidxd_vu_region_access ra = {0, VIDXD_PCI_REGION_CONFIG, 0};
    uint8_t p[16 + 8];
    uint64_t v;

    /* Bias towards the header and capabilities, where the semantics are. */
    ra.offset = take(c, 1) & 0x80 ? take(c, 2) : take(c, 1) & 0x7f;
    ra.count = 1u << (take(c, 1) & 3);
    v = take(c, 8);
    memcpy(p, &ra, 16);
    memcpy(p + 16, &v, 8);
    send_msg(c, VIDXD_VU_CMD_REGION_WRITE, 0, p, 16 + ra.count, NULL, 0);
}

static void
op_raw(struct ctx *c)
{
    uint8_t p[256];
    size_t n = take(c, 1), i;

    for (i = 0; i < n && c->left > 0; i++) {
        p[i] = (uint8_t)take(c, 1);
    }
    send_raw(c, p, i);
}

/* A well-formed command with one header field changed. */
static void
op_mutated(struct ctx *c)
{
    struct vidxd_vu_hdr h;
    uint8_t p[16 + 32] = {0};
    uint8_t which = (uint8_t)take(c, 1);
    uint64_t v = take(c, 4);
    size_t plen = take(c, 1) % 33;

    proto_hdr_init(&h, c->next_id++, (uint16_t)(take(c, 1) % 20),
                   (uint32_t)(16 + plen), 0, 0);
    switch (which % 4) {
    case 0:
        h.msg_size = (uint32_t)v;
        break;
    case 1:
        h.flags = (uint32_t)v;
        break;
    case 2:
        h.error = (uint32_t)v;
        break;
    default:
        h.cmd = (uint16_t)v;
        break;
    }
    memcpy(p, &h, 16);
    memcpy(p + 16, c->in, plen < c->left ? plen : c->left);
    send_raw(c, p, 16 + plen);
}

static void
step(struct ctx *c)
{
    switch (take(c, 1) % N_OPS) {
    case OP_VERSION:
        op_version(c, false);
        break;
    case OP_VERSION_JSON:
        op_version(c, true);
        break;
    case OP_DMA_MAP_FD:
        op_dma_map(c, true);
        break;
    case OP_DMA_MAP:
        op_dma_map(c, false);
        break;
    case OP_DMA_UNMAP:
        op_dma_unmap(c);
        break;
    case OP_GET_INFO: {
        struct vidxd_vu_device_info di = {(uint32_t)take(c, 1), 0, 0, 0};

        send_msg(c, VIDXD_VU_CMD_DEVICE_GET_INFO, 0, &di, sizeof(di), NULL,
                 0);
        break;
    }
    case OP_REGION_INFO: {
        struct vidxd_vu_region_info ri = {0};

        ri.index = (uint32_t)take(c, 1) % 10;
        ri.argsz = (uint32_t)take(c, 1);
        send_msg(c, VIDXD_VU_CMD_DEVICE_GET_REGION_INFO, 0, &ri, sizeof(ri),
                 NULL, 0);
        break;
    }
    case OP_IRQ_INFO: {
        struct vidxd_vu_irq_info ii = {16, 0, (uint32_t)take(c, 1) % 6, 0};

        send_msg(c, VIDXD_VU_CMD_DEVICE_GET_IRQ_INFO, 0, &ii, sizeof(ii),
                 NULL, 0);
        break;
    }
    case OP_SET_IRQS:
        op_set_irqs(c);
        break;
    case OP_REGION_READ:
        op_region_access(c, false, (uint32_t)take(c, 1) % 10);
        break;
    case OP_REGION_WRITE:
        op_region_access(c, true, (uint32_t)take(c, 1) % 10);
        break;
    case OP_RESET:
        send_msg(c, VIDXD_VU_CMD_DEVICE_RESET, 0, NULL, 0, NULL, 0);
        break;
    case OP_RAW:
        op_raw(c);
        break;
    case OP_MUTATED:
        op_mutated(c);
        break;
    case OP_DOORBELL:
        op_doorbell(c);
        break;
    case OP_CFG_WRITE:
        op_cfg_write(c);
        break;
    default:
        c->stall = (unsigned)take(c, 1) % 16;
        break;
    }
    pump(c);
}

static int
count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *de;
    int n = 0;

    if (d == NULL) {
        return -1;
    }
    while ((de = readdir(d)) != NULL) {
        n += de->d_name[0] != '.';
    }
    closedir(d);
    return n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vidxd_server_config cfg = {0};
    struct ctx c = {0};
    int sv[2], fds_before = count_fds(), i;

    c.in = data;
    c.left = size;
    c.ordered = true;
    CHECK(fake_dev_create(NULL, &c.dev) == 0);
    cfg.ops = fake_dev_ops();
    cfg.opaque = c.dev;
    cfg.name = "fuzz";
    cfg.max_data_xfer_size = 64 * 1024;
    cfg.max_dma_maps = 32;
    CHECK(vidxd_server_create(&cfg, &c.srv) == 0);
    fake_dev_set_server(c.dev, c.srv);
    CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0,
                     sv) == 0);
    /* Small buffers, so that replies often go out in pieces. */
    {
        int small = 4096;

        setsockopt(sv[0], SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
        setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
    }
    CHECK(vidxd_server_adopt_fd(c.srv, sv[1]) == 0);
    CHECK(transport_sock_create(sv[0], (1u << 20), TRANSPORT_MAX_FDS,
                                &c.cli) == 0);
    c.ram_fd = memfd_create("fuzz-ram", MFD_CLOEXEC);
    CHECK(c.ram_fd >= 0 && ftruncate(c.ram_fd, RAM_SIZE) == 0);
    for (i = 0; i < 4; i++) {
        c.efd[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        CHECK(c.efd[i] >= 0);
    }
    while (c.left > 0 && !c.gone) {
        step(&c);
    }
    /* Every command got its reply unless the stream went bad. */
    if (!c.gone && c.ordered) {
        c.stall = 0;
        pump(&c);
        CHECK(c.exp_head == c.exp_tail);
    }
    transport_close(c.cli);
    vidxd_server_destroy(c.srv);
    fake_dev_destroy(c.dev);
    close(c.ram_fd);
    for (i = 0; i < 4; i++) {
        close(c.efd[i]);
    }
    CHECK(count_fds() == fds_before);
    return 0;
}

/* ---- seed corpus --------------------------------------------------------- */

static void
put_seed(const char *dir, const char *name, const uint8_t *b, size_t n)
{
    char path[4096];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "wb");
    if (f == NULL) {
        perror(path);
        exit(1);
    }
    fwrite(b, n, 1, f);
    fclose(f);
}

static void
write_seeds(const char *dir)
{
    /* VERSION, infos, config read, BME on, map RAM, MSI-X eventfd, DMA. */
    static const uint8_t startup[] = {
        OP_VERSION,
        OP_GET_INFO, 16,
        OP_REGION_INFO, 2, 32,
        OP_REGION_INFO, 7, 64,
        OP_IRQ_INFO, 2,
        OP_REGION_READ, 7, 0, 0, 0, 0xff,
        OP_CFG_WRITE, 0x04, 1, 0x06, 0, 0, 0, 0, 0, 0, 0,
        OP_DMA_MAP_FD, 3, 0, 0, 0, 0x10, 0, 0,
        OP_SET_IRQS, 0x24, 2, 0, 1, 1,
        OP_DOORBELL, 0, 0, 0, 0, 0, 8, 0x00, 0x10,
        OP_REGION_READ, 0, 0, 0x28, 0, 8,
        OP_DMA_UNMAP, 2,
        OP_RESET,
    };
    static const uint8_t abuse[] = {
        OP_GET_INFO, 16,
        OP_VERSION,
        OP_VERSION,
        OP_DMA_MAP, 3, 0, 1, 0, 1,
        OP_DMA_MAP, 3, 0, 1, 0, 1,
        OP_DMA_UNMAP, 0, 0, 2, 0, 1,
        OP_SET_IRQS, 0x24, 2, 1, 3, 2,
        OP_REGION_WRITE, 0, 0, 0x30, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8, 1,
        OP_MUTATED, 1, 1, 0, 0, 0, 16, 4,
    };
    /* FLR through Device Control, then a stalled reader of 4 KiB reads. */
    static const uint8_t flr_stall[] = {
        OP_VERSION,
        OP_CFG_WRITE, 0x00, 0x48, 1, 0x00, 0x80, 0, 0, 0, 0, 0, 0,
        OP_STALL, 15,
        OP_REGION_READ, 7, 0, 0, 0, 0xff,
        OP_REGION_READ, 7, 0, 0, 0, 0xff,
        OP_REGION_READ, 7, 0, 0, 0, 0xff,
        OP_REGION_READ, 7, 0, 0, 0, 0xff,
        OP_GET_INFO, 16,
    };
    static const uint8_t garbage[] = {
        OP_VERSION, OP_RAW, 20, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff,
    };

    mkdir(dir, 0755);
    put_seed(dir, "startup", startup, sizeof(startup));
    put_seed(dir, "abuse", abuse, sizeof(abuse));
    put_seed(dir, "garbage", garbage, sizeof(garbage));
    put_seed(dir, "flr_stall", flr_stall, sizeof(flr_stall));
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    int i;

    for (i = 1; i < *argc; i++) {
        if (strncmp((*argv)[i], "--write-seeds=", 14) == 0) {
            write_seeds((*argv)[i] + 14);
            exit(0);
        }
    }
    return 0;
}
