/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * In-process DSA function + VMM-side driver for integration tests and
 * benchmarks (see pfutil.h).
 */
#include <errno.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "daemon/pf.h"
#include "harness.h"
#include "pfutil.h"

/* Config space offsets (PCI 3.0 §6.1). */
#define CFG_COMMAND 0x04
#define CMD_MEM 0x2
#define CMD_BME 0x4

int
pfu_start(struct pfu *u, const struct vidxd_dsa_config *cfg)
{
    static atomic_uint seq;
    struct pf_config pcfg;
    struct vidxd_server *srv;
    struct client_region r;
    struct vidxd_vu_irq_info ii;
    struct proto_caps caps;
    int rc;
    unsigned i;

    memset(u, 0, sizeof(*u));
    u->ram_fd = -1;
    for (i = 0; i < PFU_MAX_VECTORS; i++) {
        u->efd[i] = -1;
    }
    memset(&pcfg, 0, sizeof(pcfg));
    if (cfg != NULL) {
        pcfg.dsa = *cfg;
    } else {
        vidxd_dsa_config_default(&pcfg.dsa);
        pcfg.dsa.portal_mode = VIDXD_DSA_PORTAL_MAPPED;
        pcfg.dsa.workers = 1;
    }
    u->mode = pcfg.dsa.portal_mode;
    snprintf(u->sock, sizeof(u->sock), "%s/vidxd-pfu-%d-%u.sock",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (int)getpid(),
             atomic_fetch_add(&seq, 1));
    pcfg.name = "dsa-test";
    pcfg.socket_path = u->sock;
    rc = pf_create(&pcfg, &u->pf);
    if (rc < 0) {
        return rc;
    }
    srv = pf_server(u->pf);
    rc = harness_start(&srv, 1, &u->loop);
    if (rc < 0) {
        return rc;
    }
    rc = client_connect(u->sock, &u->c);
    if (rc < 0) {
        return rc;
    }
    rc = client_negotiate(u->c, CLIENT_QEMU_CAPS, &caps);
    if (rc < 0) {
        return rc;
    }
    u->ram_fd = memfd_create("pfu-ram", MFD_CLOEXEC);
    if (u->ram_fd < 0 || ftruncate(u->ram_fd, PFU_RAM_SIZE) < 0) {
        return -errno;
    }
    u->ram = mmap(NULL, PFU_RAM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
                  u->ram_fd, 0);
    if (u->ram == MAP_FAILED) {
        return -errno;
    }
    rc = client_dma_map(u->c, 0, PFU_RAM_SIZE, u->ram_fd, 0, 3);
    if (rc < 0) {
        return rc;
    }
    rc = client_write16(u->c, VIDXD_PCI_REGION_CONFIG, CFG_COMMAND,
                        CMD_MEM | CMD_BME);
    if (rc < 0) {
        return rc;
    }
    rc = client_irq_info(u->c, VIDXD_PCI_IRQ_MSIX, &ii);
    if (rc < 0) {
        return rc;
    }
    u->nvec = ii.count < PFU_MAX_VECTORS ? ii.count : PFU_MAX_VECTORS;
    for (i = 0; i < u->nvec; i++) {
        u->efd[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    }
    /* As QEMU does, in messages of at most max_msg_fds fds (§2.7). */
    for (i = 0; i < u->nvec; i += caps.max_msg_fds) {
        unsigned n = u->nvec - i < caps.max_msg_fds ? u->nvec - i
                                                    : caps.max_msg_fds;

        rc = client_set_irqs(u->c, VIDXD_PCI_IRQ_MSIX,
                             0x4 /* DATA_EVENTFD */ | 0x20 /* TRIGGER */, i, n,
                             &u->efd[i], n);
        if (rc < 0) {
            return rc;
        }
    }
    rc = client_region_info(u->c, VIDXD_PCI_REGION_BAR0 + 2, &r);
    if (rc < 0) {
        return rc;
    }
    u->bar2_size = r.info.size;
    if (r.fd >= 0) {
        u->bar2 = mmap(NULL, r.info.size, PROT_READ | PROT_WRITE, MAP_SHARED,
                       r.fd, (off_t)r.info.offset);
        close(r.fd);
        if (u->bar2 == MAP_FAILED) {
            u->bar2 = NULL;
            return -errno;
        }
    }
    return 0;
}

void
pfu_stop(struct pfu *u)
{
    unsigned i;

    client_close(u->c);
    harness_stop(u->loop);
    pf_destroy(u->pf);
    if (u->bar2 != NULL) {
        munmap(u->bar2, u->bar2_size);
    }
    if (u->ram != NULL && u->ram != MAP_FAILED) {
        munmap(u->ram, PFU_RAM_SIZE);
    }
    if (u->ram_fd >= 0) {
        close(u->ram_fd);
    }
    for (i = 0; i < PFU_MAX_VECTORS; i++) {
        if (u->efd[i] >= 0) {
            close(u->efd[i]);
        }
    }
}

uint32_t
pfu_rd32(struct pfu *u, uint64_t off)
{
    uint32_t v = 0xdeadbeef;

    client_read32(u->c, VIDXD_PCI_REGION_BAR0, off, &v);
    return v;
}

uint64_t
pfu_rd64(struct pfu *u, uint64_t off)
{
    uint64_t v = 0xdeadbeefdeadbeefull;

    client_read64(u->c, VIDXD_PCI_REGION_BAR0, off, &v);
    return v;
}

void
pfu_wr32(struct pfu *u, uint64_t off, uint32_t v)
{
    client_write32(u->c, VIDXD_PCI_REGION_BAR0, off, v);
}

void
pfu_wr64(struct pfu *u, uint64_t off, uint64_t v)
{
    client_write64(u->c, VIDXD_PCI_REGION_BAR0, off, v);
}

uint32_t
pfu_cmd(struct pfu *u, unsigned code, uint32_t operand)
{
    pfu_wr32(u, VIDXD_REG_CMD,
             VIDXD_CMD_INT_REQ | (code << VIDXD_CMD_CODE_SHIFT) | operand);
    /* Commands complete synchronously (dsa.md §8.4); the vector-0
     * interrupt is consumed so that later waits see only their own. */
    pfu_wait_irq(u, 0, 1000);
    pfu_wr32(u, VIDXD_REG_INTCAUSE, VIDXD_INTCAUSE_CMD);
    return pfu_rd32(u, VIDXD_REG_CMDSTS);
}

uint32_t
pfu_setup_wq(struct pfu *u, unsigned wq, unsigned size)
{
    uint64_t offsets = pfu_rd64(u, VIDXD_REG_OFFSETS);
    uint64_t grpcfg = (offsets & 0xffff) * VIDXD_TABLE_MULT;
    uint64_t wqcfg = ((offsets >> 16) & 0xffff) * VIDXD_TABLE_MULT;
    uint64_t gencap = pfu_rd64(u, VIDXD_REG_GENCAP);
    uint32_t xfer = (gencap >> VIDXD_GENCAP_MAX_XFER_SHIFT_SHIFT) & 0x1f;
    uint32_t batch = (gencap >> VIDXD_GENCAP_MAX_BATCH_SHIFT_SHIFT) & 0xf;
    uint64_t w = wqcfg + (uint64_t)wq * 32;
    uint32_t sts;

    if ((pfu_rd32(u, VIDXD_REG_GENSTS) & VIDXD_GENSTS_STATE_MASK) ==
        VIDXD_GENSTS_DISABLED) {
        /* Group 0: the WQ and engine 0 (idxd_groups_config_write). */
        pfu_wr64(u, grpcfg + VIDXD_GRPCFG_WQS, 1ull << wq);
        pfu_wr64(u, grpcfg + VIDXD_GRPCFG_ENGINES, 1);
    }
    pfu_wr32(u, w + 0, size);
    pfu_wr32(u, w + 8, VIDXD_WQCFG_MODE_DEDICATED |
                           (1u << VIDXD_WQCFG_PRIORITY_SHIFT));
    pfu_wr32(u, w + 12, xfer | batch << VIDXD_WQCFG_MAX_BATCH_SHIFT_SHIFT);
    if ((pfu_rd32(u, VIDXD_REG_GENSTS) & VIDXD_GENSTS_STATE_MASK) ==
        VIDXD_GENSTS_DISABLED) {
        sts = pfu_cmd(u, VIDXD_CMD_ENABLE_DEVICE, 0);
        if ((sts & VIDXD_CMDSTS_ERR_MASK) != 0) {
            return sts;
        }
    }
    return pfu_cmd(u, VIDXD_CMD_ENABLE_WQ, wq);
}

void
pfu_submit(struct pfu *u, unsigned wq, const struct vidxd_desc *d)
{
    uint64_t off = (uint64_t)wq * VIDXD_PORTAL_WQ_STRIDE +
                   VIDXD_PORTAL_LIMITED + (uint64_t)u->slot * 64;
    const uint64_t *q = (const uint64_t *)d;
    int i;

    u->slot = (u->slot + 1) % 64;
    if (u->bar2 != NULL) {
        volatile uint64_t *p = (volatile uint64_t *)(u->bar2 + off);

        /* The mapped-portal protocol (dsa.h): the slot is free when its
         * qword 0 reads zero; qword 0 is written last. */
        while (__atomic_load_n(&p[0], __ATOMIC_ACQUIRE) != 0) {
            ;
        }
        for (i = 1; i < 8; i++) {
            p[i] = q[i];
        }
        __atomic_store_n(&p[0], q[0], __ATOMIC_RELEASE);
        return;
    }
    for (i = 1; i < 8; i++) {
        client_region_write(u->c, VIDXD_PCI_REGION_BAR0 + 2, off + 8u * i,
                            &q[i], 8, true);
    }
    client_region_write(u->c, VIDXD_PCI_REGION_BAR0 + 2, off, &q[0], 8, true);
}

static uint64_t
now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

unsigned
pfu_wait_cr(struct pfu *u, uint64_t cr, int ms)
{
    uint64_t end = now_ms() + (uint64_t)ms;
    unsigned st;

    if (u->bar2 == NULL) {
        /* Posted writes are ordered before this read (vfio-user.md
         * §1.1), so the submission has been handed to the device. */
        pfu_rd32(u, VIDXD_REG_VERSION);
    }
    do {
        st = __atomic_load_n(&u->ram[cr], __ATOMIC_ACQUIRE);
        if (st != 0) {
            return st;
        }
    } while (now_ms() < end);
    return 0;
}

uint64_t
pfu_wait_irq(struct pfu *u, unsigned v, int ms)
{
    struct pollfd pfd = {.fd = u->efd[v], .events = POLLIN};
    uint64_t n = 0;

    if (v >= u->nvec || poll(&pfd, 1, ms) <= 0) {
        return 0;
    }
    if (read(u->efd[v], &n, sizeof(n)) != (ssize_t)sizeof(n)) {
        return 0;
    }
    return n;
}

void
pfu_desc_memmove(struct vidxd_desc *d, uint64_t src, uint64_t dst,
                 uint32_t size, uint64_t cr, uint16_t ih)
{
    memset(d, 0, sizeof(*d));
    d->flags_opcode = (uint32_t)VIDXD_OP_MEMMOVE << VIDXD_DESC_OPCODE_SHIFT |
                      VIDXD_FLAG_CRAV | VIDXD_FLAG_RCR | VIDXD_FLAG_RCI;
    d->completion_addr = cr;
    d->src = src;
    d->dst = dst;
    d->xfer_size = size;
    d->int_handle = ih;
}
