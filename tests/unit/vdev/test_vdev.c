/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the vdev layer.  A parent DSA (workers = 0, so every
 * descriptor runs inside the portal write that completes it) is set up
 * through register writes as a host driver would (dedicated WQs in groups
 * with engines, PASID support, an IMS array in its irq device, host ops
 * that mirror the daemon's PF glue), then vdevs on it are driven through
 * their PCI function interface the way the Linux idxd driver drives a
 * read-only-config device (dsa.md §2.2, §2.3, §2.5).  Expected values come
 * from the specification (dsa.md §1, §5) and from the parent's
 * configuration chosen here.
 */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "vidxd/dsa.h"
#include "vidxd/irq.h"
#include "vidxd/mem.h"
#include "vidxd/pci.h"
#include "vidxd/server.h"
#include "vidxd/spec.h"
#include "vidxd/vdev.h"

/* Parent layout: vidxd_dsa_config_default() (dsa.h). */
#define P_GRPCFG 0x300u
#define P_WQCFG 0x400u
#define P_NUM_IMS 2048u
/* Parent WQ settings written by the "host" below. */
#define P_WQ_SIZE 16u
#define P_WQ_PRIO 5u
#define P_XFER_SHIFT 20u
#define P_BATCH_SHIFT 5u
#define P_GRPFLG ((1ull << VIDXD_GRPFLG_TC_B_SHIFT) | (96ull << 20))

/* Guest memory of every vdev: the same IOVA range, different buffers. */
#define G_IOVA 0x10000ull
#define G_SIZE 0x10000u
#define G_SRC 0x0000u
#define G_DST 0x4000u
#define G_CR 0x8000u
#define G_XFER 4096u

#define CMD(code, operand) (((uint32_t)(code) << 20) | (operand))
#define INT_REQ VIDXD_CMD_INT_REQ

struct parent {
    struct vidxd_dsa *dsa;
    struct vidxd_irq_dev *irq;
};

struct guest {
    struct parent *p;
    struct vidxd_vdev *v;
    uint8_t *mem;
    unsigned nwq;
    int efd[VIDXD_VDEV_MAX_WQS + 1];
    uint16_t handle[VIDXD_VDEV_MAX_WQS];
    unsigned slot; /* rotating portal slot, as Linux (dsa.md §2.4) */
};

static const struct vidxd_pci_fn_ops *fn;

/* ---- parent: host ops as the daemon's PF glue (src/daemon/pf.c) ---- */

static void
p_interrupt(void *opaque, unsigned index, bool ims)
{
    struct parent *p = opaque;

    vidxd_irq_raise(p->irq, ims ? VIDXD_IRQ_DOMAIN_IMS : VIDXD_IRQ_DOMAIN_MSIX,
                    index);
}

static bool
p_int_handle_valid(void *opaque, uint16_t handle, bool ims, uint32_t pasid)
{
    struct parent *p = opaque;
    struct vidxd_irq_entry_info info;

    if (!ims) {
        return handle < 9;
    }
    if (vidxd_irq_entry_info(p->irq, VIDXD_IRQ_DOMAIN_IMS, handle, &info) < 0 ||
        !info.active) {
        return false;
    }
    return vidxd_irq_ims_array_pasid_ok(p->irq, VIDXD_IRQ_DOMAIN_IMS, handle,
                                        pasid != VIDXD_DSA_NO_PASID, pasid);
}

static const struct vidxd_dsa_host_ops p_ops = {
    .interrupt = p_interrupt,
    .int_handle_valid = p_int_handle_valid,
};

static uint32_t
p_rd32(struct parent *p, uint64_t off)
{
    uint64_t v = ~0ull;

    assert_int_equal(vidxd_dsa_bar0_read(p->dsa, off, 4, &v), 0);
    return (uint32_t)v;
}

static uint64_t
p_rd64(struct parent *p, uint64_t off)
{
    uint64_t v = ~0ull;

    assert_int_equal(vidxd_dsa_bar0_read(p->dsa, off, 8, &v), 0);
    return v;
}

static void
p_wr32(struct parent *p, uint64_t off, uint32_t v)
{
    assert_int_equal(vidxd_dsa_bar0_write(p->dsa, off, 4, v), 0);
}

static void
p_wr64(struct parent *p, uint64_t off, uint64_t v)
{
    assert_int_equal(vidxd_dsa_bar0_write(p->dsa, off, 8, v), 0);
}

static uint32_t
p_cmd(struct parent *p, uint32_t cmd)
{
    uint32_t sts = ~0u;

    assert_int_equal(vidxd_dsa_command(p->dsa, cmd, &sts), 0);
    return sts;
}

static bool
p_wq_enabled(struct parent *p, unsigned wq)
{
    return (p_rd32(p, P_WQCFG + 32ull * wq + 24) >> 30) ==
           VIDXD_WQ_STATE_ENABLED;
}

static void
p_config_wq(struct parent *p, unsigned wq)
{
    uint64_t base = P_WQCFG + 32ull * wq;

    p_wr32(p, base + 0, P_WQ_SIZE);
    p_wr32(p, base + 8,
           VIDXD_WQCFG_MODE_DEDICATED |
               (P_WQ_PRIO << VIDXD_WQCFG_PRIORITY_SHIFT));
    p_wr32(p, base + 12,
           P_XFER_SHIFT | (P_BATCH_SHIFT << VIDXD_WQCFG_MAX_BATCH_SHIFT_SHIFT));
}

/*
 * The host side: WQs 0-3 in group 0 with engines 0-1, WQs 4-6 in group 1
 * with engine 2, WQ 7 unconfigured; every configured WQ dedicated, size
 * 16, priority 5; device enabled.
 */
static void
parent_init_mode(struct parent *p, enum vidxd_dsa_portal_mode mode, bool pasid)
{
    struct vidxd_dsa_config cfg;
    unsigned w;

    memset(p, 0, sizeof(*p));
    vidxd_dsa_config_default(&cfg);
    cfg.workers = 0;
    cfg.pasid = pasid;
    cfg.portal_mode = mode;
    assert_int_equal(vidxd_dsa_create(&cfg, &p_ops, p, &p->dsa), 0);
    assert_int_equal(vidxd_irq_dev_create("parent", 0, &p->irq), 0);
    assert_int_equal(vidxd_irq_msix_create(p->irq, cfg.num_wqs + 1,
                                           VIDXD_IRQ_MSIX_VMM_EMULATED),
                     0);
    assert_int_equal(vidxd_irq_ims_array_create(p->irq, VIDXD_IRQ_DOMAIN_IMS,
                                                P_NUM_IMS, VIDXD_IRQ_IMS_PASID),
                     0);
    vidxd_dsa_set_bus_master(p->dsa, true);
    p_wr64(p, P_GRPCFG + VIDXD_GRPCFG_WQS, 0x0f);
    p_wr64(p, P_GRPCFG + VIDXD_GRPCFG_ENGINES, 0x3);
    p_wr64(p, P_GRPCFG + VIDXD_GRPCFG_FLAGS, P_GRPFLG);
    p_wr64(p, P_GRPCFG + 64 + VIDXD_GRPCFG_WQS, 0x70);
    p_wr64(p, P_GRPCFG + 64 + VIDXD_GRPCFG_ENGINES, 0x4);
    for (w = 0; w < 7; w++) {
        p_config_wq(p, w);
    }
    assert_int_equal(p_cmd(p, CMD(VIDXD_CMD_ENABLE_DEVICE, 0)), 0);
}

static void
parent_init(struct parent *p)
{
    parent_init_mode(p, VIDXD_DSA_PORTAL_TRAPPED, true);
}

static void
parent_fini(struct parent *p)
{
    vidxd_dsa_destroy(p->dsa);
    vidxd_irq_dev_destroy(p->irq);
}

/* ---- guest: a vdev with its memory and eventfds ---- */

static int
guest_try_create(struct parent *p, struct guest *g, uint32_t pasid,
                 const unsigned *wqs, unsigned n,
                 enum vidxd_dsa_portal_mode mode)
{
    struct vidxd_vdev_config cfg;
    unsigned i;
    int rc;

    memset(g, 0, sizeof(*g));
    memset(&cfg, 0, sizeof(cfg));
    cfg.nr_wqs = n;
    for (i = 0; i < n; i++) {
        cfg.wqs[i] = wqs[i];
    }
    cfg.pasid = pasid;
    cfg.portal_mode = mode;
    cfg.uuid[0] = (uint8_t)pasid;
    g->p = p;
    g->nwq = n;
    rc = vidxd_vdev_create(p->dsa, p->irq, &cfg, &g->v);
    if (rc != 0) {
        return rc;
    }
    g->mem = mmap(NULL, G_SIZE, PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(g->mem != MAP_FAILED);
    assert_int_equal(vidxd_as_map(fn->dma_as(g->v), G_IOVA, G_SIZE, g->mem,
                                  VIDXD_MEM_READ | VIDXD_MEM_WRITE),
                     0);
    for (i = 0; i <= n; i++) {
        g->efd[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        assert_true(g->efd[i] >= 0);
    }
    return 0;
}

static void
guest_create(struct parent *p, struct guest *g, uint32_t pasid,
             const unsigned *wqs, unsigned n)
{
    assert_int_equal(
        guest_try_create(p, g, pasid, wqs, n, VIDXD_DSA_PORTAL_TRAPPED), 0);
    /* The VMM assigns an eventfd to every MSI-X vector (SET_IRQS). */
    fn->irq_eventfds(g->v, VIDXD_PCI_IRQ_MSIX, 0, n + 1, g->efd);
}

static void
guest_destroy(struct guest *g)
{
    unsigned i;

    vidxd_vdev_destroy(g->v);
    for (i = 0; i <= g->nwq; i++) {
        close(g->efd[i]);
    }
    munmap(g->mem, G_SIZE);
}

/* Read and reset an eventfd counter: interrupts since the last call. */
static uint64_t
evcount(int fd)
{
    uint64_t v = 0;

    if (read(fd, &v, sizeof(v)) != (ssize_t)sizeof(v)) {
        return 0;
    }
    return v;
}

static uint32_t
g_rd32(struct guest *g, uint64_t off)
{
    uint32_t v = ~0u;

    assert_int_equal(fn->bar_read(g->v, 0, off, &v, 4), 0);
    return v;
}

static uint64_t
g_rd64(struct guest *g, uint64_t off)
{
    uint64_t v = ~0ull;

    assert_int_equal(fn->bar_read(g->v, 0, off, &v, 8), 0);
    return v;
}

static void
g_wr32(struct guest *g, uint64_t off, uint32_t v)
{
    assert_int_equal(fn->bar_write(g->v, 0, off, &v, 4), 0);
}

static void
g_wr64(struct guest *g, uint64_t off, uint64_t v)
{
    assert_int_equal(fn->bar_write(g->v, 0, off, &v, 8), 0);
}

static void
g_cfg_wr16(struct guest *g, uint32_t off, uint16_t v)
{
    assert_int_equal(fn->cfg_write(g->v, off, &v, 2), 0);
}

static uint32_t
g_cfg_rd32(struct guest *g, uint32_t off)
{
    uint32_t v = 0;

    assert_int_equal(fn->cfg_read(g->v, off, &v, 4), 0);
    return v;
}

/*
 * Issue a command as idxd_cmd_exec does: CMD write; with int_req, expect
 * exactly one vector-0 interrupt with INTCAUSE.CMD and acknowledge it;
 * CMDSTS is idle at the first poll (synchronous commands).
 */
static uint32_t
g_cmd(struct guest *g, uint32_t cmd)
{
    uint32_t sts, cause;

    g_wr32(g, VIDXD_REG_CMD, cmd);
    if ((cmd & INT_REQ) != 0) {
        assert_int_equal(evcount(g->efd[0]), 1);
        cause = g_rd32(g, VIDXD_REG_INTCAUSE);
        assert_true((cause & VIDXD_INTCAUSE_CMD) != 0);
        g_wr32(g, VIDXD_REG_INTCAUSE, cause);
    } else {
        assert_int_equal(evcount(g->efd[0]), 0);
    }
    sts = g_rd32(g, VIDXD_REG_CMDSTS);
    assert_int_equal(sts & VIDXD_CMDSTS_ACTIVE, 0);
    return sts;
}

static unsigned
cmd_err(uint32_t sts)
{
    return sts & VIDXD_CMDSTS_ERR_MASK;
}

/*
 * The probe of a read-only-config device (dsa.md §2.2): BME on, RESET
 * without int_req, capabilities, offsets, the RO-config load (every WQ
 * dedicated with pasid_en = 0, else the probe fails), GENCTRL error and
 * halt interrupts on, ENABLE_DEVICE with int_req.
 */
static void
guest_probe(struct guest *g)
{
    uint64_t gencap, off0;
    unsigned i, nwq;

    g_cfg_wr16(g, 0x04, 0x6); /* memory space + bus master */
    assert_int_equal(g_rd32(g, VIDXD_REG_GENSTS) & 3, VIDXD_GENSTS_DISABLED);
    assert_int_equal(g_cmd(g, CMD(VIDXD_CMD_RESET_DEVICE, 0)), 0);
    gencap = g_rd64(g, VIDXD_REG_GENCAP);
    assert_true((gencap & VIDXD_GENCAP_CMD_CAP) != 0);
    assert_true((gencap & VIDXD_GENCAP_CONFIG_EN) == 0);
    assert_true((g_rd32(g, VIDXD_REG_CMDCAP) &
                 (1u << VIDXD_CMD_REQUEST_INT_HANDLE)) != 0);
    nwq = (unsigned)(g_rd64(g, VIDXD_REG_WQCAP) >> 16) & 0xff;
    assert_int_equal(nwq, g->nwq);
    off0 = g_rd64(g, VIDXD_REG_OFFSETS);
    for (i = 0; i < nwq; i++) {
        uint64_t base = (((off0 >> 16) & 0xffff) * 0x100) + 32ull * i;
        uint32_t mode = g_rd32(g, base + 8);

        assert_true((mode & VIDXD_WQCFG_MODE_DEDICATED) != 0);
        assert_true((mode & VIDXD_WQCFG_PASID_EN) == 0);
    }
    g_wr32(g, VIDXD_REG_GENCTRL,
           VIDXD_GENCTRL_SOFTERR_INT_EN | VIDXD_GENCTRL_HALT_INT_EN);
    assert_int_equal(g_cmd(g, CMD(VIDXD_CMD_ENABLE_DEVICE, 0) | INT_REQ), 0);
    assert_int_equal(g_rd32(g, VIDXD_REG_GENSTS) & 3, VIDXD_GENSTS_ENABLED);
}

/* WQ enable (dsa.md §2.3): ENABLE_WQ, then REQUEST_INT_HANDLE(wq + 1). */
static void
guest_enable_wq(struct guest *g, unsigned wq)
{
    uint32_t sts;

    assert_int_equal(g_cmd(g, CMD(VIDXD_CMD_ENABLE_WQ, wq) | INT_REQ), 0);
    sts = g_cmd(g, CMD(VIDXD_CMD_REQUEST_INT_HANDLE, wq + 1) | INT_REQ);
    assert_int_equal(cmd_err(sts), 0);
    g->handle[wq] = (uint16_t)(sts >> 8);
}

static void
guest_up(struct guest *g)
{
    unsigned i;

    guest_probe(g);
    for (i = 0; i < g->nwq; i++) {
        guest_enable_wq(g, i);
    }
}

static void
memmove_desc(struct vidxd_desc *d, uint64_t src, uint64_t dst, uint32_t size,
             uint64_t cr, uint16_t handle)
{
    memset(d, 0, sizeof(*d));
    d->flags_opcode = ((uint32_t)VIDXD_OP_MEMMOVE << VIDXD_DESC_OPCODE_SHIFT) |
                      VIDXD_FLAG_CRAV | VIDXD_FLAG_RCR | VIDXD_FLAG_RCI;
    d->src = src;
    d->dst = dst;
    d->xfer_size = size;
    d->completion_addr = cr;
    d->int_handle = handle;
}

/* A store of the descriptor as eight 8-byte writes in program order to
 * the limited MSI-X portal of @wq (page 1, the kernel's, dsa.md §2.3). */
static void
g_submit(struct guest *g, unsigned wq, const struct vidxd_desc *d)
{
    uint64_t q[8], base;
    unsigned i;

    memcpy(q, d, sizeof(q));
    base = (uint64_t)wq * VIDXD_PORTAL_WQ_STRIDE + VIDXD_PORTAL_LIMITED +
           (uint64_t)(g->slot++ % 64) * VIDXD_PORTAL_SLOT;
    for (i = 0; i < 8; i++) {
        assert_int_equal(fn->bar_write(g->v, 2, base + 8 * i, &q[i], 8), 0);
    }
}

static uint8_t *
g_ptr(struct guest *g, uint32_t off)
{
    return g->mem + off;
}

/* Fill the source with @seed-derived bytes, clear destination and CR. */
static void
g_fill(struct guest *g, uint8_t seed)
{
    unsigned i;

    for (i = 0; i < G_XFER; i++) {
        g->mem[G_SRC + i] = (uint8_t)(seed + i * 7);
    }
    memset(g_ptr(g, G_DST), 0, G_XFER);
    memset(g_ptr(g, G_CR), 0, 64);
}

static void
g_memmove(struct guest *g, unsigned wq)
{
    struct vidxd_desc d;

    memmove_desc(&d, G_IOVA + G_SRC, G_IOVA + G_DST, G_XFER, G_IOVA + G_CR,
                 g->handle[wq]);
    g_submit(g, wq, &d);
}

static uint8_t
cr_status(struct guest *g)
{
    return __atomic_load_n(g_ptr(g, G_CR), __ATOMIC_ACQUIRE);
}

static uint64_t
cr_fault_addr(struct guest *g)
{
    uint64_t a;

    memcpy(&a, g_ptr(g, G_CR + 8), sizeof(a));
    return a;
}

/* ---- tests ---- */

static void
test_create_rejects(void **state)
{
    struct parent p, ro;
    struct vidxd_dsa_config cfg;
    struct guest a, b, t;
    struct vidxd_vdev *v = NULL;
    struct vidxd_as *other;
    struct vidxd_vdev_config c;
    unsigned w0 = 0, w1 = 1, w7 = 7, bad = 8, dup[2] = {2, 2};

    (void)state;
    parent_init(&p);
    memset(&c, 0, sizeof(c));
    c.nr_wqs = 1;
    c.pasid = 5;
    assert_int_equal(vidxd_vdev_create(NULL, p.irq, &c, &v), -EINVAL);
    assert_int_equal(vidxd_vdev_create(p.dsa, NULL, &c, &v), -EINVAL);
    c.nr_wqs = 0;
    assert_int_equal(vidxd_vdev_create(p.dsa, p.irq, &c, &v), -EINVAL);
    c.nr_wqs = VIDXD_VDEV_MAX_WQS + 1;
    assert_int_equal(vidxd_vdev_create(p.dsa, p.irq, &c, &v), -EINVAL);
    c.nr_wqs = 1;
    c.pasid = 0;
    assert_int_equal(vidxd_vdev_create(p.dsa, p.irq, &c, &v), -EINVAL);
    c.pasid = 0x100000;
    assert_int_equal(vidxd_vdev_create(p.dsa, p.irq, &c, &v), -EINVAL);
    assert_null(v);
    /* Out of range, repeated, and a parent WQ the host did not set up. */
    assert_int_equal(
        guest_try_create(&p, &a, 5, &bad, 1, VIDXD_DSA_PORTAL_TRAPPED),
        -EINVAL);
    assert_int_equal(
        guest_try_create(&p, &a, 5, dup, 2, VIDXD_DSA_PORTAL_TRAPPED), -EINVAL);
    assert_int_equal(
        guest_try_create(&p, &a, 5, &w7, 1, VIDXD_DSA_PORTAL_TRAPPED), -EINVAL);
    /* An enabled parent WQ is not available. */
    assert_int_equal(p_cmd(&p, CMD(VIDXD_CMD_ENABLE_WQ, 1)), 0);
    assert_int_equal(
        guest_try_create(&p, &a, 5, &w1, 1, VIDXD_DSA_PORTAL_TRAPPED), -EINVAL);
    assert_int_equal(p_cmd(&p, CMD(VIDXD_CMD_DISABLE_WQ, 1u << 1)), 0);
    /* A WQ or a PASID already taken by a vdev, or a PASID bound by
     * someone else. */
    assert_int_equal(
        guest_try_create(&p, &a, 5, &w0, 1, VIDXD_DSA_PORTAL_TRAPPED), 0);
    assert_int_equal(
        guest_try_create(&p, &b, 6, &w0, 1, VIDXD_DSA_PORTAL_TRAPPED), -EBUSY);
    /* Still busy (not "misconfigured") once that vdev enabled the WQ. */
    fn->irq_eventfds(a.v, VIDXD_PCI_IRQ_MSIX, 0, 2, a.efd);
    guest_up(&a);
    assert_true(p_wq_enabled(&p, 0));
    assert_int_equal(
        guest_try_create(&p, &b, 6, &w0, 1, VIDXD_DSA_PORTAL_TRAPPED), -EBUSY);
    assert_int_equal(
        guest_try_create(&p, &b, 5, &w1, 1, VIDXD_DSA_PORTAL_TRAPPED), -EBUSY);
    assert_int_equal(vidxd_as_create(9, &other), 0);
    assert_int_equal(vidxd_dsa_attach_pasid_as(p.dsa, 9, other), 0);
    assert_int_equal(
        guest_try_create(&p, &b, 9, &w1, 1, VIDXD_DSA_PORTAL_TRAPPED), -EBUSY);
    /* ... and the failed attempts left WQ 1 free. */
    assert_int_equal(
        guest_try_create(&p, &b, 6, &w1, 1, VIDXD_DSA_PORTAL_TRAPPED), 0);
    /* Mapped portals need a mapped parent. */
    assert_int_equal(
        guest_try_create(&p, &t, 7, dup, 1, VIDXD_DSA_PORTAL_MAPPED),
        -EOPNOTSUPP);
    guest_destroy(&b);
    guest_destroy(&a);
    assert_int_equal(vidxd_dsa_detach_pasid_as(p.dsa, 9), 0);
    vidxd_as_destroy(other);
    vidxd_vdev_destroy(NULL);
    parent_fini(&p);

    /* A read-only parent cannot take the vdev's PASID in its WQCFG. */
    vidxd_dsa_config_default(&cfg);
    cfg.configurable = false;
    memset(&ro, 0, sizeof(ro));
    assert_int_equal(vidxd_dsa_create(&cfg, &p_ops, &ro, &ro.dsa), 0);
    assert_int_equal(vidxd_irq_dev_create("ro", 0, &ro.irq), 0);
    assert_int_equal(
        guest_try_create(&ro, &a, 5, &w0, 1, VIDXD_DSA_PORTAL_TRAPPED),
        -EINVAL);
    parent_fini(&ro);
}

/* Every capability and configuration register of a one-WQ vdev, as the
 * RO-config load reads them (dsa.md §2.2 step 5-8, §5.2). */
static void
test_registers_ro_config(void **state)
{
    struct parent p;
    struct guest g;
    unsigned w = 2, i;

    (void)state;
    parent_init(&p);
    guest_create(&p, &g, 0x123, &w, 1);
    assert_int_equal(g_rd32(&g, VIDXD_REG_VERSION), 0x100);
    /* SPR GENCAP 0x40915f0107 with config_en, max_ims_mult cleared and
     * cmd_cap set. */
    assert_int_equal(g_rd64(&g, VIDXD_REG_GENCAP), 0x40015f0117ull);
    /* total 16, one WQ, 32-byte WQCFG, dedicated mode only. */
    assert_int_equal(g_rd64(&g, VIDXD_REG_WQCAP), 0x0002000000010010ull);
    assert_int_equal(g_rd64(&g, VIDXD_REG_GRPCAP), 1);
    assert_int_equal(g_rd64(&g, VIDXD_REG_ENGCAP), 2); /* group 0: 2 */
    assert_int_equal(g_rd64(&g, VIDXD_REG_OPCAP), VIDXD_OPCAP0_DSA1);
    for (i = 1; i < 4; i++) {
        assert_int_equal(g_rd64(&g, VIDXD_REG_OPCAP + 8 * i), 0);
    }
    assert_int_equal(g_rd64(&g, VIDXD_REG_OFFSETS), 0x0000000300050004ull);
    assert_int_equal(g_rd64(&g, VIDXD_REG_OFFSETS + 8), 0);
    assert_int_equal(g_rd32(&g, VIDXD_REG_CMDCAP), 0x7ffe);
    assert_int_equal(g_rd32(&g, VIDXD_REG_GENCFG), 0);
    assert_int_equal(g_rd32(&g, VIDXD_REG_GENSTS), 0);
    assert_int_equal(g_rd32(&g, VIDXD_REG_CMDSTS), 0);
    /* GRPCFG[0]: the WQ, both engines, tc_b of the parent group. */
    assert_int_equal(g_rd64(&g, 0x400), 0x1);
    assert_int_equal(g_rd64(&g, 0x408), 0);
    assert_int_equal(g_rd64(&g, 0x420), 0x3);
    assert_int_equal(g_rd64(&g, 0x428), 0x8);
    /* WQCFG[0]: size 16, dedicated, priority 5, pasid_en 0, shifts. */
    assert_int_equal(g_rd32(&g, 0x500), P_WQ_SIZE);
    assert_int_equal(g_rd32(&g, 0x504), 0);
    assert_int_equal(g_rd32(&g, 0x508), 0x51);
    assert_int_equal(g_rd32(&g, 0x50c), P_XFER_SHIFT | (P_BATCH_SHIFT << 5));
    assert_int_equal(g_rd32(&g, 0x518), 0);
    /* Beyond the tables: zero; the MSI-X table of 2 masked vectors. */
    assert_int_equal(g_rd64(&g, 0x520), 0);
    assert_int_equal(g_rd32(&g, 0x60c), VIDXD_IRQ_CTRL_MASKBIT);
    assert_int_equal(g_rd32(&g, 0x61c), VIDXD_IRQ_CTRL_MASKBIT);
    assert_int_equal(g_rd64(&g, 0x700), 0);
    /* Narrow accesses work on every register. */
    {
        uint8_t b = 0;
        uint16_t h = 0;

        assert_int_equal(fn->bar_read(g.v, 0, 0x509, &b, 1), 0);
        assert_int_equal(b, 0);
        assert_int_equal(fn->bar_read(g.v, 0, 0x508, &h, 2), 0);
        assert_int_equal(h, 0x51);
        assert_int_equal(fn->bar_read(g.v, 0, 0x60c, &b, 1), 0);
        assert_int_equal(b, 1);
    }
    /* Misaligned and out-of-range accesses are refused. */
    {
        uint32_t x;

        assert_int_equal(fn->bar_read(g.v, 0, 0x502, &x, 4), -EINVAL);
        assert_int_equal(fn->bar_read(g.v, 0, 0x2000, &x, 4), -EINVAL);
    }
    guest_up(&g);
    assert_int_equal(g_rd32(&g, 0x518), VIDXD_WQ_STATE_ENABLED << 30);
    /* The parent WQ runs in the vdev's PASID; the guest still sees 0. */
    assert_int_equal(p_rd32(&p, P_WQCFG + 32 * 2 + 8),
                     0x51 | (0x123u << 8) | VIDXD_WQCFG_PASID_EN);
    assert_int_equal(g_rd32(&g, 0x508), 0x51);
    guest_destroy(&g);
    /* Destroy disabled the parent WQ and gave its PASID fields back. */
    assert_false(p_wq_enabled(&p, 2));
    assert_int_equal(p_rd32(&p, P_WQCFG + 32 * 2 + 8), 0x51);
    parent_fini(&p);
}

/* Writable and read-only registers (dsa.md §1.2, §5.2). */
static void
test_register_writes(void **state)
{
    struct parent p;
    struct guest g;
    unsigned w = 0;

    (void)state;
    parent_init(&p);
    guest_create(&p, &g, 0x10, &w, 1);
    /* Read-only configuration ignores writes. */
    g_wr64(&g, 0x400, 0xff);
    g_wr64(&g, 0x420, 0xff);
    g_wr32(&g, 0x500, 3);
    g_wr32(&g, 0x508, 0x11 | VIDXD_WQCFG_PASID_EN);
    assert_int_equal(g_rd64(&g, 0x400), 1);
    assert_int_equal(g_rd64(&g, 0x420), 3);
    assert_int_equal(g_rd32(&g, 0x500), P_WQ_SIZE);
    assert_int_equal(g_rd32(&g, 0x508), 0x51);
    /* Capabilities are read-only. */
    g_wr64(&g, VIDXD_REG_GENCAP, 0);
    g_wr32(&g, VIDXD_REG_CMDCAP, 0);
    assert_int_equal(g_rd64(&g, VIDXD_REG_GENCAP), 0x40015f0117ull);
    assert_int_equal(g_rd32(&g, VIDXD_REG_CMDCAP), 0x7ffe);
    /* GENCTRL keeps its two bits; GENCFG writable while disabled only. */
    g_wr32(&g, VIDXD_REG_GENCTRL, 0xffffffff);
    assert_int_equal(g_rd32(&g, VIDXD_REG_GENCTRL), 0x3);
    g_wr32(&g, VIDXD_REG_GENCFG, 0xffffffff);
    assert_int_equal(g_rd32(&g, VIDXD_REG_GENCFG), 0x10ff);
    /* GRPCAP has no read buffers: a limit fails ENABLE_DEVICE (0x11). */
    g_cfg_wr16(&g, 0x04, 0x6);
    assert_int_equal(cmd_err(g_cmd(&g, CMD(VIDXD_CMD_ENABLE_DEVICE, 0))),
                     VIDXD_CMDSTS_DEV_CONFIG);
    g_wr32(&g, VIDXD_REG_GENCFG, 0);
    assert_int_equal(g_cmd(&g, CMD(VIDXD_CMD_ENABLE_DEVICE, 0)), 0);
    g_wr32(&g, VIDXD_REG_GENCFG, VIDXD_GENCFG_USER_INT_EN);
    assert_int_equal(g_rd32(&g, VIDXD_REG_GENCFG), 0);
    /* MSIXPERM is stored (writable bits only). */
    g_wr32(&g, 0x308, 0xfffffff7);
    assert_int_equal(g_rd32(&g, 0x308), 0xfffff004);
    assert_int_equal(g_rd32(&g, 0x30c), 0);
    /* INTCAUSE is RW1C. */
    assert_int_equal(g_cmd(&g, CMD(VIDXD_CMD_DRAIN_ALL, 0) | INT_REQ), 0);
    g_wr32(&g, VIDXD_REG_CMD, CMD(VIDXD_CMD_DRAIN_ALL, 0) | INT_REQ);
    assert_int_equal(evcount(g.efd[0]), 1);
    assert_int_equal(g_rd32(&g, VIDXD_REG_INTCAUSE), VIDXD_INTCAUSE_CMD);
    g_wr32(&g, VIDXD_REG_INTCAUSE, 0);
    assert_int_equal(g_rd32(&g, VIDXD_REG_INTCAUSE), VIDXD_INTCAUSE_CMD);
    g_wr32(&g, VIDXD_REG_INTCAUSE, VIDXD_INTCAUSE_CMD);
    assert_int_equal(g_rd32(&g, VIDXD_REG_INTCAUSE), 0);
    /* CMD latches bytes; the write of byte 3 issues the command. */
    {
        uint16_t lo = 0;
        uint8_t b2 = VIDXD_CMD_ENABLE_WQ << 4, b3 = 0;

        assert_int_equal(fn->bar_write(g.v, 0, VIDXD_REG_CMD, &lo, 2), 0);
        assert_int_equal(fn->bar_write(g.v, 0, VIDXD_REG_CMD + 2, &b2, 1), 0);
        assert_false(p_wq_enabled(&p, 0));
        assert_int_equal(fn->bar_write(g.v, 0, VIDXD_REG_CMD + 3, &b3, 1), 0);
        assert_int_equal(g_rd32(&g, VIDXD_REG_CMDSTS), 0);
        assert_true(p_wq_enabled(&p, 0));
        assert_int_equal(g_rd32(&g, VIDXD_REG_CMD),
                         CMD(VIDXD_CMD_ENABLE_WQ, 0));
    }
    guest_destroy(&g);
    parent_fini(&p);
}

/* The kernel dmaengine path end to end (dsa.md §2.4): a MEMMOVE through
 * the vdev portal completes in the vdev's memory and raises vector 1. */
static void
test_memmove_through_portal(void **state)
{
    struct parent p;
    struct guest g;
    struct vidxd_dsa_wq_stats st;
    struct vidxd_irq_entry_info info;
    unsigned w = 3;
    int k;

    (void)state;
    parent_init(&p);
    guest_create(&p, &g, 0x44, &w, 1);
    guest_up(&g);
    /* The handle is a parent IMS entry tagged with the vdev's PASID. */
    assert_int_equal(
        vidxd_irq_entry_info(p.irq, VIDXD_IRQ_DOMAIN_IMS, g.handle[0], &info),
        0);
    assert_true(info.active);
    assert_int_equal(info.icookie, VIDXD_IRQ_CTRL_PASID_EN | (0x44u << 12));
    for (k = 0; k < 3; k++) {
        g_fill(&g, (uint8_t)(0x30 + k));
        g_memmove(&g, 0);
        assert_int_equal(cr_status(&g), VIDXD_STATUS_SUCCESS);
        assert_memory_equal(g_ptr(&g, G_DST), g_ptr(&g, G_SRC), G_XFER);
        assert_int_equal(evcount(g.efd[1]), 1);
        assert_int_equal(evcount(g.efd[0]), 0);
    }
    assert_int_equal(vidxd_dsa_wq_stats(p.dsa, 3, &st), 0);
    assert_int_equal(st.submitted, 3);
    assert_int_equal(st.ops, 3);
    assert_int_equal(st.errors, 0);
    /* Pieces may arrive in any order and size; the descriptor runs once,
     * when its last byte has arrived. */
    {
        struct vidxd_desc d;
        uint8_t raw[64];
        uint64_t base = VIDXD_PORTAL_LIMITED + 5 * 64;
        int i;

        g_fill(&g, 0x99);
        memmove_desc(&d, G_IOVA + G_SRC, G_IOVA + G_DST, G_XFER, G_IOVA + G_CR,
                     g.handle[0]);
        memcpy(raw, &d, sizeof(raw));
        for (i = 60; i >= 4; i -= 4) {
            assert_int_equal(fn->bar_write(g.v, 2, base + i, raw + i, 4), 0);
        }
        assert_int_equal(cr_status(&g), 0);
        assert_int_equal(fn->bar_write(g.v, 2, base + 2, raw + 2, 2), 0);
        assert_int_equal(fn->bar_write(g.v, 2, base + 0, raw + 0, 1), 0);
        assert_int_equal(cr_status(&g), 0);
        assert_int_equal(fn->bar_write(g.v, 2, base + 1, raw + 1, 1), 0);
        assert_int_equal(cr_status(&g), VIDXD_STATUS_SUCCESS);
        assert_memory_equal(g_ptr(&g, G_DST), g_ptr(&g, G_SRC), G_XFER);
        assert_int_equal(evcount(g.efd[1]), 1);
        /* Portals read as zero. */
        memset(raw, 0xff, 8);
        assert_int_equal(fn->bar_read(g.v, 2, base, raw, 8), 0);
        assert_int_equal(raw[0] | raw[7], 0);
        /* Outside BAR2 is refused. */
        assert_int_equal(fn->bar_write(g.v, 2, VIDXD_PORTAL_WQ_STRIDE, raw, 8),
                         -EINVAL);
    }
    assert_int_equal(vidxd_dsa_wq_stats(p.dsa, 3, &st), 0);
    assert_int_equal(st.submitted, 4);
    guest_destroy(&g);
    parent_fini(&p);
}

/* Mediated commands change the vdev's own parent WQs and nothing else. */
static void
test_commands_touch_only_own_wqs(void **state)
{
    struct parent p;
    struct guest a, b;
    unsigned wa = 0, wb = 1;

    (void)state;
    parent_init(&p);
    guest_create(&p, &a, 0x11, &wa, 1);
    guest_create(&p, &b, 0x22, &wb, 1);
    guest_up(&a);
    guest_up(&b);
    assert_true(p_wq_enabled(&p, 0));
    assert_true(p_wq_enabled(&p, 1));

    assert_int_equal(g_cmd(&a, CMD(VIDXD_CMD_DISABLE_WQ, 1) | INT_REQ), 0);
    assert_false(p_wq_enabled(&p, 0));
    assert_true(p_wq_enabled(&p, 1));
    assert_int_equal(g_rd32(&a, 0x518), 0);
    assert_int_equal(g_cmd(&a, CMD(VIDXD_CMD_ENABLE_WQ, 0) | INT_REQ), 0);
    assert_true(p_wq_enabled(&p, 0));

    assert_int_equal(g_cmd(&a, CMD(VIDXD_CMD_DRAIN_WQ, 1) | INT_REQ), 0);
    assert_int_equal(g_cmd(&a, CMD(VIDXD_CMD_ABORT_WQ, 1) | INT_REQ), 0);
    assert_int_equal(g_cmd(&a, CMD(VIDXD_CMD_DRAIN_ALL, 0) | INT_REQ), 0);
    assert_int_equal(g_cmd(&a, CMD(VIDXD_CMD_ABORT_ALL, 0) | INT_REQ), 0);
    /* The PASID operand is ignored: the guest has no PASIDs. */
    assert_int_equal(g_cmd(&a, CMD(VIDXD_CMD_DRAIN_PASID, 0x22) | INT_REQ), 0);
    assert_int_equal(g_cmd(&a, CMD(VIDXD_CMD_ABORT_PASID, 0x22) | INT_REQ), 0);
    assert_true(p_wq_enabled(&p, 0));
    assert_true(p_wq_enabled(&p, 1));

    /* RESET_WQ aborts and disables; the host's WQCFG stays. */
    assert_int_equal(g_cmd(&a, CMD(VIDXD_CMD_RESET_WQ, 1) | INT_REQ), 0);
    assert_false(p_wq_enabled(&p, 0));
    assert_true(p_wq_enabled(&p, 1));
    assert_int_equal(p_rd32(&p, P_WQCFG + 0), P_WQ_SIZE);
    assert_int_equal(g_rd32(&a, 0x500), P_WQ_SIZE);
    assert_int_equal(g_cmd(&a, CMD(VIDXD_CMD_ENABLE_WQ, 0) | INT_REQ), 0);

    /* DISABLE_DEVICE stops the vdev's WQs only; the parent stays up. */
    assert_int_equal(g_cmd(&a, CMD(VIDXD_CMD_DISABLE_DEVICE, 0) | INT_REQ), 0);
    assert_int_equal(g_rd32(&a, VIDXD_REG_GENSTS), VIDXD_GENSTS_DISABLED);
    assert_false(p_wq_enabled(&p, 0));
    assert_true(p_wq_enabled(&p, 1));
    assert_int_equal(p_rd32(&p, VIDXD_REG_GENSTS) & 3, VIDXD_GENSTS_ENABLED);

    /* RESET_DEVICE likewise. */
    assert_int_equal(g_cmd(&a, CMD(VIDXD_CMD_ENABLE_DEVICE, 0) | INT_REQ), 0);
    assert_int_equal(g_cmd(&a, CMD(VIDXD_CMD_ENABLE_WQ, 0) | INT_REQ), 0);
    assert_true(p_wq_enabled(&p, 0));
    assert_int_equal(g_cmd(&a, CMD(VIDXD_CMD_RESET_DEVICE, 0)), 0);
    assert_int_equal(g_rd32(&a, VIDXD_REG_GENSTS), VIDXD_GENSTS_DISABLED);
    assert_false(p_wq_enabled(&p, 0));
    assert_true(p_wq_enabled(&p, 1));
    /* Interrupt handles survive RESET_DEVICE (as on the parent). */
    {
        struct vidxd_irq_entry_info info;

        assert_int_equal(vidxd_irq_entry_info(p.irq, VIDXD_IRQ_DOMAIN_IMS,
                                              a.handle[0], &info),
                         0);
    }
    /* B never noticed. */
    g_fill(&b, 0x5a);
    g_memmove(&b, 0);
    assert_int_equal(cr_status(&b), VIDXD_STATUS_SUCCESS);
    assert_int_equal(evcount(b.efd[1]), 1);
    guest_destroy(&a);
    guest_destroy(&b);
    parent_fini(&p);
}

/* CMDSTS error codes (dsa.md §1.4, §5.3). */
static void
test_command_errors(void **state)
{
    struct parent p;
    struct guest g, h;
    unsigned w = 0, wh = 1, i;
    uint32_t sts;

    (void)state;
    parent_init(&p);
    guest_create(&p, &g, 0x11, &w, 1);
    guest_create(&p, &h, 0x22, &wh, 1);
    /* Unknown commands. */
    assert_int_equal(cmd_err(g_cmd(&g, CMD(0, 0))), VIDXD_CMDSTS_INVAL_CMD);
    assert_int_equal(cmd_err(g_cmd(&g, CMD(15, 0))), VIDXD_CMDSTS_INVAL_CMD);
    assert_int_equal(cmd_err(g_cmd(&g, CMD(31, 0) | INT_REQ)),
                     VIDXD_CMDSTS_INVAL_CMD);
    /* Device disabled. */
    assert_int_equal(cmd_err(g_cmd(&g, CMD(VIDXD_CMD_ENABLE_WQ, 0))),
                     VIDXD_CMDSTS_DEV_NOTEN);
    assert_int_equal(cmd_err(g_cmd(&g, CMD(VIDXD_CMD_DISABLE_WQ, 1))),
                     VIDXD_CMDSTS_DEV_NOT_EN);
    assert_int_equal(cmd_err(g_cmd(&g, CMD(VIDXD_CMD_DRAIN_ALL, 0))),
                     VIDXD_CMDSTS_DEV_NOT_EN);
    assert_int_equal(cmd_err(g_cmd(&g, CMD(VIDXD_CMD_ABORT_PASID, 0))),
                     VIDXD_CMDSTS_DEV_NOT_EN);
    assert_int_equal(cmd_err(g_cmd(&g, CMD(VIDXD_CMD_DISABLE_DEVICE, 0))),
                     VIDXD_CMDSTS_DIS_DEV_EN);
    /* Bus mastering off, then a parent that is not enabled. */
    assert_int_equal(cmd_err(g_cmd(&g, CMD(VIDXD_CMD_ENABLE_DEVICE, 0))),
                     VIDXD_CMDSTS_BUSMASTER_EN);
    g_cfg_wr16(&g, 0x04, 0x6);
    assert_int_equal(p_cmd(&p, CMD(VIDXD_CMD_DISABLE_DEVICE, 0)), 0);
    assert_int_equal(cmd_err(g_cmd(&g, CMD(VIDXD_CMD_ENABLE_DEVICE, 0))),
                     VIDXD_CMDSTS_HW_ERR);
    assert_int_equal(g_rd32(&g, VIDXD_REG_GENSTS), VIDXD_GENSTS_DISABLED);
    assert_int_equal(p_cmd(&p, CMD(VIDXD_CMD_ENABLE_DEVICE, 0)), 0);
    assert_int_equal(g_cmd(&g, CMD(VIDXD_CMD_ENABLE_DEVICE, 0)), 0);
    assert_int_equal(cmd_err(g_cmd(&g, CMD(VIDXD_CMD_ENABLE_DEVICE, 0))),
                     VIDXD_CMDSTS_DEV_ENABLED);
    /* WQ indexes. */
    assert_int_equal(cmd_err(g_cmd(&g, CMD(VIDXD_CMD_ENABLE_WQ, 1))),
                     VIDXD_CMDSTS_INVAL_WQIDX);
    assert_int_equal(cmd_err(g_cmd(&g, CMD(VIDXD_CMD_DISABLE_WQ, 2))),
                     VIDXD_CMDSTS_INVAL_WQIDX);
    assert_int_equal(cmd_err(g_cmd(&g, CMD(VIDXD_CMD_DRAIN_WQ, 1u << 16 | 1))),
                     VIDXD_CMDSTS_INVAL_WQIDX);
    assert_int_equal(cmd_err(g_cmd(&g, CMD(VIDXD_CMD_DISABLE_WQ, 1))),
                     VIDXD_CMDSTS_WQ_NOT_EN);
    assert_int_equal(g_cmd(&g, CMD(VIDXD_CMD_ENABLE_WQ, 0)), 0);
    assert_int_equal(cmd_err(g_cmd(&g, CMD(VIDXD_CMD_ENABLE_WQ, 0))),
                     VIDXD_CMDSTS_WQ_ENABLED);
    /* A parent WQ the host disabled behind our back can be enabled again;
     * one the host enabled for itself makes ENABLE_WQ a hardware error. */
    assert_int_equal(p_cmd(&p, CMD(VIDXD_CMD_DISABLE_WQ, 1)), 0);
    assert_int_equal(g_cmd(&g, CMD(VIDXD_CMD_DISABLE_WQ, 1)), 0);
    assert_int_equal(p_cmd(&p, CMD(VIDXD_CMD_ENABLE_WQ, 0)), 0);
    assert_int_equal(cmd_err(g_cmd(&g, CMD(VIDXD_CMD_ENABLE_WQ, 0))),
                     VIDXD_CMDSTS_HW_ERR);
    assert_int_equal(g_rd32(&g, 0x518), 0);
    assert_int_equal(p_cmd(&p, CMD(VIDXD_CMD_DISABLE_WQ, 1)), 0);
    assert_int_equal(g_cmd(&g, CMD(VIDXD_CMD_ENABLE_WQ, 0)), 0);
    /* Interrupt handles. */
    assert_int_equal(cmd_err(g_cmd(&g, CMD(VIDXD_CMD_REQUEST_INT_HANDLE, 0))),
                     VIDXD_CMDSTS_INVAL_INT_IDX);
    assert_int_equal(cmd_err(g_cmd(&g, CMD(VIDXD_CMD_REQUEST_INT_HANDLE, 2))),
                     VIDXD_CMDSTS_INVAL_INT_IDX);
    assert_int_equal(cmd_err(g_cmd(&g, CMD(VIDXD_CMD_REQUEST_INT_HANDLE,
                                           VIDXD_CMD_INT_HANDLE_IMS | 1))),
                     VIDXD_CMDSTS_NO_HANDLE);
    assert_int_equal(cmd_err(g_cmd(&g, CMD(VIDXD_CMD_RELEASE_INT_HANDLE, 0))),
                     VIDXD_CMDSTS_INVAL_INT_IDX_RELEASE);
    /* Another vdev's handle is not ours to release. */
    g_cfg_wr16(&h, 0x04, 0x6);
    assert_int_equal(g_cmd(&h, CMD(VIDXD_CMD_ENABLE_DEVICE, 0)), 0);
    sts = g_cmd(&h, CMD(VIDXD_CMD_REQUEST_INT_HANDLE, 1));
    assert_int_equal(cmd_err(sts), 0);
    assert_int_equal(
        cmd_err(g_cmd(&g, CMD(VIDXD_CMD_RELEASE_INT_HANDLE, sts >> 8))),
        VIDXD_CMDSTS_INVAL_INT_IDX_RELEASE);
    /* At most VIDXD_VDEV_MAX_HANDLES at once; release frees one. */
    for (i = 0; i < VIDXD_VDEV_MAX_HANDLES; i++) {
        sts = g_cmd(&g, CMD(VIDXD_CMD_REQUEST_INT_HANDLE, 1));
        assert_int_equal(cmd_err(sts), 0);
    }
    assert_int_equal(cmd_err(g_cmd(&g, CMD(VIDXD_CMD_REQUEST_INT_HANDLE, 1))),
                     VIDXD_CMDSTS_NO_HANDLE);
    assert_int_equal(
        cmd_err(g_cmd(&g, CMD(VIDXD_CMD_RELEASE_INT_HANDLE,
                              VIDXD_CMD_INT_HANDLE_IMS | (sts >> 8)))),
        VIDXD_CMDSTS_INVAL_INT_IDX_RELEASE);
    assert_int_equal(g_cmd(&g, CMD(VIDXD_CMD_RELEASE_INT_HANDLE, sts >> 8)), 0);
    assert_int_equal(cmd_err(g_cmd(&g, CMD(VIDXD_CMD_REQUEST_INT_HANDLE, 1))),
                     0);
    guest_destroy(&h);
    guest_destroy(&g);
    parent_fini(&p);

    /* A parent without PASID support refuses the vdev's WQ (0x03). */
    parent_init_mode(&p, VIDXD_DSA_PORTAL_TRAPPED, false);
    guest_create(&p, &g, 0x11, &w, 1);
    guest_probe(&g);
    assert_int_equal(cmd_err(g_cmd(&g, CMD(VIDXD_CMD_ENABLE_WQ, 0) | INT_REQ)),
                     VIDXD_CMDSTS_HW_ERR);
    assert_false(p_wq_enabled(&p, 0));
    guest_destroy(&g);
    parent_fini(&p);
}

/* Clearing bus mastering while enabled halts (dsa.md §5.1). */
static void
test_bme_halt(void **state)
{
    struct parent p;
    struct guest g, o;
    unsigned w = 0, wo = 1;

    (void)state;
    parent_init(&p);
    guest_create(&p, &g, 0x11, &w, 1);
    guest_create(&p, &o, 0x22, &wo, 1);
    guest_up(&g);
    guest_up(&o);
    g_cfg_wr16(&g, 0x04, 0x2);
    assert_int_equal(g_rd32(&g, VIDXD_REG_GENSTS),
                     VIDXD_GENSTS_HALT | (VIDXD_GENSTS_RESET_FLR
                                          << VIDXD_GENSTS_RESET_TYPE_SHIFT));
    assert_int_equal(evcount(g.efd[0]), 1);
    assert_int_equal(g_rd32(&g, VIDXD_REG_INTCAUSE),
                     VIDXD_INTCAUSE_ERR | VIDXD_INTCAUSE_HALT_STATE);
    assert_int_equal(g_rd64(&g, VIDXD_REG_SWERR),
                     VIDXD_SWERR_VALID | ((uint64_t)VIDXD_SWERR_PCI_CFG << 8));
    assert_false(p_wq_enabled(&p, 0));
    assert_true(p_wq_enabled(&p, 1));
    /* Only RESET_DEVICE leaves HALT; descriptors are dropped silently. */
    g_wr32(&g, VIDXD_REG_INTCAUSE, 0xffffffff);
    g_wr64(&g, VIDXD_REG_SWERR, 3);
    g_fill(&g, 1);
    g_memmove(&g, 0);
    assert_int_equal(cr_status(&g), 0);
    /* The acknowledged record is all SWERR holds (W1C cleared VALID). */
    assert_int_equal(g_rd64(&g, VIDXD_REG_SWERR),
                     (uint64_t)VIDXD_SWERR_PCI_CFG << 8);
    assert_int_equal(cmd_err(g_cmd(&g, CMD(VIDXD_CMD_ENABLE_DEVICE, 0))),
                     VIDXD_CMDSTS_HW_ERR);
    assert_int_equal(cmd_err(g_cmd(&g, CMD(VIDXD_CMD_ENABLE_WQ, 0))),
                     VIDXD_CMDSTS_HW_ERR);
    assert_int_equal(g_cmd(&g, CMD(VIDXD_CMD_RESET_DEVICE, 0)), 0);
    assert_int_equal(g_rd32(&g, VIDXD_REG_GENSTS), VIDXD_GENSTS_DISABLED);
    /* Bus mastering is still off. */
    assert_int_equal(cmd_err(g_cmd(&g, CMD(VIDXD_CMD_ENABLE_DEVICE, 0))),
                     VIDXD_CMDSTS_BUSMASTER_EN);
    /* The other vdev kept working all along. */
    g_fill(&o, 3);
    g_memmove(&o, 0);
    assert_int_equal(cr_status(&o), VIDXD_STATUS_SUCCESS);
    guest_destroy(&o);
    guest_destroy(&g);
    parent_fini(&p);
}

/*
 * Two vdevs on one parent with the same IOVA range backed by different
 * buffers: each descriptor reads and writes its own vdev's memory only;
 * an IOVA mapped only in the other vdev faults; another vdev's interrupt
 * handle is invalid (design.md invariant 2; dsa.md §4).
 */
static void
test_isolation(void **state)
{
    struct parent p;
    struct guest a, b;
    struct vidxd_desc d;
    uint8_t *extra, b_src_copy[G_XFER];
    unsigned wa = 0, wb = 1;

    (void)state;
    parent_init(&p);
    guest_create(&p, &a, 0x11, &wa, 1);
    guest_create(&p, &b, 0x22, &wb, 1);
    guest_up(&a);
    guest_up(&b);
    g_fill(&a, 0xa0);
    g_fill(&b, 0xb0);
    memcpy(b_src_copy, g_ptr(&b, G_SRC), G_XFER);
    assert_memory_not_equal(g_ptr(&a, G_SRC), g_ptr(&b, G_SRC), G_XFER);

    /* Same IOVAs, each in its own memory. */
    g_memmove(&a, 0);
    assert_int_equal(cr_status(&a), VIDXD_STATUS_SUCCESS);
    assert_memory_equal(g_ptr(&a, G_DST), g_ptr(&a, G_SRC), G_XFER);
    assert_int_equal(cr_status(&b), 0);
    assert_int_equal(g_ptr(&b, G_DST)[0] | g_ptr(&b, G_DST)[G_XFER - 1], 0);
    g_memmove(&b, 0);
    assert_int_equal(cr_status(&b), VIDXD_STATUS_SUCCESS);
    assert_memory_equal(g_ptr(&b, G_DST), b_src_copy, G_XFER);
    assert_memory_not_equal(g_ptr(&a, G_DST), g_ptr(&b, G_DST), G_XFER);
    assert_int_equal(evcount(a.efd[1]), 1);
    assert_int_equal(evcount(b.efd[1]), 1);

    /* An IOVA only B has: A faults there, B's memory is untouched. */
    extra = mmap(NULL, 0x1000, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(extra != MAP_FAILED);
    memset(extra, 0x77, 0x1000);
    assert_int_equal(vidxd_as_map(vidxd_vdev_as(b.v), 0x200000, 0x1000, extra,
                                  VIDXD_MEM_READ | VIDXD_MEM_WRITE),
                     0);
    memset(g_ptr(&a, G_CR), 0, 32);
    memset(g_ptr(&a, G_DST), 0, G_XFER);
    memmove_desc(&d, 0x200000, G_IOVA + G_DST, 0x100, G_IOVA + G_CR,
                 a.handle[0]);
    g_submit(&a, 0, &d);
    assert_int_equal(cr_status(&a), VIDXD_STATUS_PAGE_FAULT_NOBOF);
    assert_int_equal(cr_fault_addr(&a), 0x200000);
    assert_int_equal(g_ptr(&a, G_DST)[0], 0);
    assert_int_equal(evcount(a.efd[1]), 1); /* RCI: errors interrupt too */
    /* ... and writing there faults as a write, leaving B's page as is. */
    memset(g_ptr(&a, G_CR), 0, 32);
    memmove_desc(&d, G_IOVA + G_SRC, 0x200000, 0x100, G_IOVA + G_CR,
                 a.handle[0]);
    g_submit(&a, 0, &d);
    assert_int_equal(cr_status(&a),
                     VIDXD_STATUS_PAGE_FAULT_NOBOF | VIDXD_STATUS_WRITE_FAULT);
    assert_int_equal(cr_fault_addr(&a), 0x200000);
    assert_int_equal(extra[0], 0x77);
    assert_int_equal(evcount(a.efd[1]), 1);
    /* B's own descriptor does reach that page. */
    memset(g_ptr(&b, G_CR), 0, 32);
    memmove_desc(&d, 0x200000, G_IOVA + G_DST, 0x100, G_IOVA + G_CR,
                 b.handle[0]);
    g_submit(&b, 0, &d);
    assert_int_equal(cr_status(&b), VIDXD_STATUS_SUCCESS);
    assert_int_equal(g_ptr(&b, G_DST)[0], 0x77);
    assert_int_equal(evcount(b.efd[1]), 1);

    /* B's interrupt handle in A's descriptor: INT_HANDLE_INVAL, nobody
     * is interrupted. */
    g_fill(&a, 0xa1);
    memmove_desc(&d, G_IOVA + G_SRC, G_IOVA + G_DST, G_XFER, G_IOVA + G_CR,
                 b.handle[0]);
    g_submit(&a, 0, &d);
    assert_int_equal(cr_status(&a), VIDXD_STATUS_INT_HANDLE_INVAL);
    assert_int_equal(evcount(a.efd[1]), 0);
    assert_int_equal(evcount(b.efd[1]), 0);
    assert_int_equal(evcount(a.efd[0]) + evcount(b.efd[0]), 0);

    /* Resetting A leaves B's WQ enabled and working. */
    fn->reset(a.v);
    assert_int_equal(g_rd32(&a, VIDXD_REG_GENSTS), VIDXD_GENSTS_DISABLED);
    assert_false(p_wq_enabled(&p, 0));
    assert_true(p_wq_enabled(&p, 1));
    assert_int_equal(g_rd32(&b, VIDXD_REG_GENSTS), VIDXD_GENSTS_ENABLED);
    assert_int_equal(g_rd32(&b, 0x518), VIDXD_WQ_STATE_ENABLED << 30);
    g_fill(&b, 0xb1);
    g_memmove(&b, 0);
    assert_int_equal(cr_status(&b), VIDXD_STATUS_SUCCESS);
    assert_memory_equal(g_ptr(&b, G_DST), g_ptr(&b, G_SRC), G_XFER);
    assert_int_equal(evcount(b.efd[1]), 1);
    /* A's handles went with the reset; brought up again, it works. */
    {
        struct vidxd_irq_entry_info info;

        assert_int_equal(vidxd_irq_entry_info(p.irq, VIDXD_IRQ_DOMAIN_IMS,
                                              a.handle[0], &info),
                         -ENOENT);
        guest_up(&a);
        g_fill(&a, 0xa2);
        g_memmove(&a, 0);
        assert_int_equal(cr_status(&a), VIDXD_STATUS_SUCCESS);
        assert_int_equal(evcount(a.efd[1]), 1);
    }
    assert_int_equal(vidxd_as_unmap(vidxd_vdev_as(b.v), 0x200000, 0x1000, NULL),
                     0);
    munmap(extra, 0x1000);
    guest_destroy(&a);
    guest_destroy(&b);
    parent_fini(&p);
}

/* Interrupt handles: lifetime, release, and eventfd (re)binding. */
static void
test_interrupt_binding(void **state)
{
    struct parent p;
    struct guest g;
    struct vidxd_irq_entry_info info;
    unsigned w = 0;
    uint32_t sts;
    uint16_t h;
    int nfd;

    (void)state;
    parent_init(&p);
    assert_int_equal(
        guest_try_create(&p, &g, 0x11, &w, 1, VIDXD_DSA_PORTAL_TRAPPED), 0);
    /* No eventfds yet: the vector-0 completion of ENABLE_DEVICE stays
     * pending and is delivered once when the VMM gives vector 0 its fd. */
    g_cfg_wr16(&g, 0x04, 0x6);
    g_wr32(&g, VIDXD_REG_CMD, CMD(VIDXD_CMD_ENABLE_DEVICE, 0) | INT_REQ);
    g_wr32(&g, VIDXD_REG_CMD, CMD(VIDXD_CMD_ENABLE_WQ, 0) | INT_REQ);
    g_wr32(&g, VIDXD_REG_CMD, CMD(VIDXD_CMD_REQUEST_INT_HANDLE, 1) | INT_REQ);
    h = (uint16_t)(g_rd32(&g, VIDXD_REG_CMDSTS) >> 8);
    g.handle[0] = h;
    fn->irq_eventfds(g.v, VIDXD_PCI_IRQ_MSIX, 0, 1, g.efd);
    assert_int_equal(evcount(g.efd[0]), 1);
    g_wr32(&g, VIDXD_REG_INTCAUSE, VIDXD_INTCAUSE_CMD);
    /* Vector 1 has no eventfd either: a completion stays pending. */
    g_fill(&g, 1);
    g_memmove(&g, 0);
    assert_int_equal(cr_status(&g), VIDXD_STATUS_SUCCESS);
    assert_int_equal(evcount(g.efd[1]), 0);
    assert_int_equal(
        vidxd_irq_entry_info(p.irq, VIDXD_IRQ_DOMAIN_IMS, h, &info), 0);
    assert_true(info.pending);
    fn->irq_eventfds(g.v, VIDXD_PCI_IRQ_MSIX, 1, 1, &g.efd[1]);
    assert_int_equal(evcount(g.efd[1]), 1);
    /* The VMM replaces vector 1's eventfd: the IMS entry follows. */
    nfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    assert_true(nfd >= 0);
    fn->irq_eventfds(g.v, VIDXD_PCI_IRQ_MSIX, 1, 1, &nfd);
    g_fill(&g, 2);
    g_memmove(&g, 0);
    assert_int_equal(evcount(nfd), 1);
    assert_int_equal(evcount(g.efd[1]), 0);
    /* VMM mask: pending, delivered once at unmask. */
    assert_int_equal(fn->irq_mask(g.v, VIDXD_PCI_IRQ_MSIX, 1, 1, true), 0);
    g_fill(&g, 3);
    g_memmove(&g, 0);
    g_fill(&g, 4);
    g_memmove(&g, 0);
    assert_int_equal(evcount(nfd), 0);
    assert_int_equal(fn->irq_mask(g.v, VIDXD_PCI_IRQ_MSIX, 1, 1, false), 0);
    assert_int_equal(evcount(nfd), 1);
    assert_int_equal(fn->irq_mask(g.v, VIDXD_PCI_IRQ_INTX, 0, 1, true),
                     -EINVAL);
    /* A released handle is invalid for descriptors (0x19). */
    assert_int_equal(g_cmd(&g, CMD(VIDXD_CMD_RELEASE_INT_HANDLE, h)), 0);
    assert_int_equal(
        vidxd_irq_entry_info(p.irq, VIDXD_IRQ_DOMAIN_IMS, h, &info), -ENOENT);
    g_fill(&g, 5);
    g_memmove(&g, 0);
    assert_int_equal(cr_status(&g), VIDXD_STATUS_INT_HANDLE_INVAL);
    assert_int_equal(evcount(nfd), 0);
    /* The VMM goes away: eventfds are dropped, work is aborted, the
     * device keeps its state for the next VMM. */
    sts = g_cmd(&g, CMD(VIDXD_CMD_REQUEST_INT_HANDLE, 1));
    assert_int_equal(cmd_err(sts), 0);
    g.handle[0] = (uint16_t)(sts >> 8);
    fn->detach(g.v);
    g_fill(&g, 6);
    g_memmove(&g, 0);
    assert_int_equal(cr_status(&g), VIDXD_STATUS_SUCCESS);
    assert_int_equal(evcount(nfd) + evcount(g.efd[1]), 0);
    assert_true(p_wq_enabled(&p, 0));
    fn->irq_eventfds(g.v, VIDXD_PCI_IRQ_MSIX, 0, 2, g.efd);
    assert_int_equal(evcount(g.efd[1]), 1);
    close(nfd);
    guest_destroy(&g);
    parent_fini(&p);
}

/*
 * Parent errors without a completion record that concern the vdev's WQs
 * are reflected into its SWERR with its own WQ index (dsa.md §5.3); a
 * descriptor for a disabled vdev WQ is reported by the vdev itself.
 */
static void
test_swerr_reflection(void **state)
{
    struct parent p;
    struct guest g, o;
    struct vidxd_desc d;
    unsigned ws[2] = {2, 4}, wo = 3;
    uint64_t q0;

    (void)state;
    parent_init(&p);
    guest_create(&p, &g, 0x11, ws, 2);
    guest_create(&p, &o, 0x22, &wo, 1);
    guest_up(&g);
    guest_up(&o);
    /* A completion record address that does not translate: no record,
     * an error in the parent's SWERR naming parent WQ 4. */
    memmove_desc(&d, G_IOVA + G_SRC, G_IOVA + G_DST, 64, 0x7000000,
                 g.handle[1]);
    g_submit(&g, 1, &d);
    assert_int_equal(evcount(g.efd[0]), 1);
    assert_int_equal(g_rd32(&g, VIDXD_REG_INTCAUSE), VIDXD_INTCAUSE_ERR);
    q0 = g_rd64(&g, VIDXD_REG_SWERR);
    assert_int_equal(q0 & 0xff0f, VIDXD_SWERR_VALID | VIDXD_SWERR_DESC_VALID |
                                      VIDXD_SWERR_WQ_IDX_VALID |
                                      ((uint64_t)VIDXD_STATUS_CRA_XLAT << 8));
    assert_int_equal((q0 >> 16) & 0xff, 1); /* vdev WQ 1, not parent 4 */
    assert_int_equal((q0 >> 32) & 0xff, VIDXD_OP_MEMMOVE);
    assert_int_equal(q0 >> 40, 0); /* no PASID in the guest's view */
    assert_int_equal(g_rd64(&g, VIDXD_REG_SWERR + 16), 0x7000000);
    /* The parent's record was consumed; the other vdev saw nothing. */
    assert_int_equal(p_rd64(&p, VIDXD_REG_SWERR) & VIDXD_SWERR_VALID, 0);
    assert_int_equal(g_rd64(&o, VIDXD_REG_SWERR), 0);
    assert_int_equal(evcount(o.efd[0]), 0);
    /* A second error before the acknowledge sets OVERFLOW. */
    g_submit(&g, 1, &d);
    assert_int_equal(g_rd64(&g, VIDXD_REG_SWERR) & 3,
                     VIDXD_SWERR_VALID | VIDXD_SWERR_OVERFLOW);
    assert_int_equal(evcount(g.efd[0]), 1);
    g_wr64(&g, VIDXD_REG_SWERR, 3);
    g_wr32(&g, VIDXD_REG_INTCAUSE, VIDXD_INTCAUSE_ERR);
    assert_int_equal(g_rd64(&g, VIDXD_REG_SWERR) & 3, 0);
    /* A descriptor for a disabled vdev WQ: dropped, SWERR 0x53 with the
     * vdev's WQ index and the opcode. */
    assert_int_equal(g_cmd(&g, CMD(VIDXD_CMD_DISABLE_WQ, 1) | INT_REQ), 0);
    assert_true(p_wq_enabled(&p, 4));
    assert_false(p_wq_enabled(&p, 2));
    g_fill(&g, 9);
    g_memmove(&g, 0);
    assert_int_equal(cr_status(&g), 0);
    assert_int_equal(g_rd64(&g, VIDXD_REG_SWERR),
                     VIDXD_SWERR_VALID | VIDXD_SWERR_DESC_VALID |
                         VIDXD_SWERR_WQ_IDX_VALID |
                         ((uint64_t)VIDXD_SWERR_WQ_NOT_ENABLED << 8) |
                         ((uint64_t)VIDXD_OP_MEMMOVE << 32));
    assert_int_equal(evcount(g.efd[0]), 1);
    /* Without softerr_int_en: recorded, no interrupt. */
    g_wr64(&g, VIDXD_REG_SWERR, 3);
    g_wr32(&g, VIDXD_REG_INTCAUSE, 0xffffffff);
    g_wr32(&g, VIDXD_REG_GENCTRL, 0);
    g_memmove(&g, 0);
    assert_int_equal(g_rd64(&g, VIDXD_REG_SWERR) & 1, 1);
    assert_int_equal(evcount(g.efd[0]), 0);
    assert_int_equal(g_rd32(&g, VIDXD_REG_INTCAUSE), 0);
    /* An error met outside the vdev's paths (e.g. by the parent's mapped
     * poller) is picked up by vidxd_vdev_poll_errors(). */
    g_wr64(&g, VIDXD_REG_SWERR, 3);
    g_wr32(&g, VIDXD_REG_GENCTRL, VIDXD_GENCTRL_SOFTERR_INT_EN);
    assert_int_equal(vidxd_dsa_wq_submit(p.dsa, 4, &d, VIDXD_DSA_SUBMIT_IMS),
                     0);
    assert_int_equal(p_rd64(&p, VIDXD_REG_SWERR) & 1, 1);
    assert_int_equal(evcount(g.efd[0]), 0);
    vidxd_vdev_poll_errors(p.dsa);
    assert_int_equal(p_rd64(&p, VIDXD_REG_SWERR) & 1, 0);
    assert_int_equal(evcount(g.efd[0]), 1);
    q0 = g_rd64(&g, VIDXD_REG_SWERR);
    assert_int_equal(q0 & 0xffff0f, VIDXD_SWERR_VALID | VIDXD_SWERR_DESC_VALID |
                                        VIDXD_SWERR_WQ_IDX_VALID |
                                        ((uint64_t)VIDXD_STATUS_CRA_XLAT << 8) |
                                        (1u << 16));
    g_wr64(&g, VIDXD_REG_SWERR, 3);
    g_wr32(&g, VIDXD_REG_INTCAUSE, 0xffffffff);
    /* A parent error about a WQ no vdev owns stays with the parent. */
    g_wr64(&g, VIDXD_REG_SWERR, 3);
    assert_int_equal(vidxd_dsa_wq_submit(p.dsa, 6, &d, 0), -ENXIO);
    assert_int_equal(p_rd64(&p, VIDXD_REG_SWERR) & 1, 1);
    vidxd_vdev_poll_errors(p.dsa);
    (void)g_rd64(&g, VIDXD_REG_SWERR);
    assert_int_equal(p_rd64(&p, VIDXD_REG_SWERR) & 1, 1);
    assert_int_equal(g_rd64(&g, VIDXD_REG_SWERR) & VIDXD_SWERR_VALID, 0);
    assert_int_equal(g_rd64(&o, VIDXD_REG_SWERR), 0);
    guest_destroy(&o);
    guest_destroy(&g);
    parent_fini(&p);
}

/* A vdev over two parent WQs in different groups (dsa.md §5.2 ENGCAP). */
static void
test_multi_wq(void **state)
{
    struct parent p;
    struct guest g;
    unsigned ws[2] = {6, 1};

    (void)state;
    parent_init(&p);
    guest_create(&p, &g, 0x77, ws, 2);
    assert_int_equal(g_rd64(&g, VIDXD_REG_WQCAP),
                     0x0002000000020020ull);           /* 2 WQs, 32 entries */
    assert_int_equal(g_rd64(&g, VIDXD_REG_ENGCAP), 3); /* engines 0, 1, 2 */
    assert_int_equal(g_rd64(&g, 0x400), 0x3);
    assert_int_equal(g_rd64(&g, 0x420), 0x7);
    assert_int_equal(g_rd32(&g, 0x520), P_WQ_SIZE);
    assert_int_equal(g_rd32(&g, 0x528), 0x51);
    guest_probe(&g);
    guest_enable_wq(&g, 1);
    assert_true(p_wq_enabled(&p, 1));
    assert_false(p_wq_enabled(&p, 6));
    assert_int_equal(g_rd32(&g, 0x518), 0);
    assert_int_equal(g_rd32(&g, 0x538), VIDXD_WQ_STATE_ENABLED << 30);
    g_fill(&g, 0x42);
    g_memmove(&g, 1);
    assert_int_equal(cr_status(&g), VIDXD_STATUS_SUCCESS);
    assert_memory_equal(g_ptr(&g, G_DST), g_ptr(&g, G_SRC), G_XFER);
    assert_int_equal(evcount(g.efd[2]), 1);
    assert_int_equal(evcount(g.efd[1]), 0);
    guest_enable_wq(&g, 0);
    assert_true(p_wq_enabled(&p, 6));
    g_fill(&g, 0x43);
    g_memmove(&g, 0);
    assert_int_equal(cr_status(&g), VIDXD_STATUS_SUCCESS);
    assert_int_equal(evcount(g.efd[1]), 1);
    /* A handle works in either WQ of the vdev. */
    {
        struct vidxd_desc d;

        g_fill(&g, 0x44);
        memmove_desc(&d, G_IOVA + G_SRC, G_IOVA + G_DST, G_XFER, G_IOVA + G_CR,
                     g.handle[1]);
        g_submit(&g, 0, &d);
        assert_int_equal(cr_status(&g), VIDXD_STATUS_SUCCESS);
        assert_int_equal(evcount(g.efd[2]), 1);
    }
    /* Bitmap commands select vdev WQs. */
    assert_int_equal(g_cmd(&g, CMD(VIDXD_CMD_DISABLE_WQ, 0x2) | INT_REQ), 0);
    assert_false(p_wq_enabled(&p, 1));
    assert_true(p_wq_enabled(&p, 6));
    assert_int_equal(g_cmd(&g, CMD(VIDXD_CMD_RESET_WQ, 0x3) | INT_REQ), 0);
    assert_false(p_wq_enabled(&p, 6));
    guest_destroy(&g);
    parent_fini(&p);
}

/* Config space (dsa.md §5.1) and FLR. */
static void
test_config_space(void **state)
{
    struct parent p;
    struct guest g, o;
    unsigned ws[2] = {0, 1}, wo = 2;
    uint32_t v, all = 0xffffffff;
    uint8_t cap;
    struct vidxd_region_info ri;

    (void)state;
    parent_init(&p);
    guest_create(&p, &g, 0x11, ws, 2);
    guest_create(&p, &o, 0x22, &wo, 1);
    assert_int_equal(g_cfg_rd32(&g, 0x00), 0x0b258086);
    assert_int_equal(g_cfg_rd32(&g, 0x08), 0x08800000);
    assert_int_equal(g_cfg_rd32(&g, 0x10), 0xc);
    assert_int_equal(g_cfg_rd32(&g, 0x18), 0xc);
    assert_int_equal(fn->cfg_write(g.v, 0x10, &all, 4), 0);
    assert_int_equal(g_cfg_rd32(&g, 0x10), 0xffffe00c); /* 8 KiB */
    assert_int_equal(fn->cfg_write(g.v, 0x18, &all, 4), 0);
    assert_int_equal(g_cfg_rd32(&g, 0x18), 0xffff800c);    /* 2 x 16 KiB */
    assert_int_equal(g_cfg_rd32(&g, 0x3c) >> 8 & 0xff, 0); /* no INTx */
    /* Walk the capability list: MSI-X with 3 vectors at 0x600/0x700 and
     * a PCIe RCiEP. */
    cap = (uint8_t)g_cfg_rd32(&g, 0x34);
    while (cap != 0) {
        v = g_cfg_rd32(&g, cap);
        if ((v & 0xff) == 0x11) {
            assert_int_equal(v >> 16 & 0x7ff, 2);
            assert_int_equal(g_cfg_rd32(&g, cap + 4), 0x600);
            assert_int_equal(g_cfg_rd32(&g, cap + 8), 0x700);
        } else if ((v & 0xff) == 0x10) {
            assert_int_equal(v >> 20 & 0xf, VIDXD_PCIE_RCIEP);
        }
        cap = (uint8_t)(v >> 8);
    }
    assert_int_equal(fn->irq_count(g.v, VIDXD_PCI_IRQ_MSIX), 3);
    assert_int_equal(fn->irq_count(g.v, VIDXD_PCI_IRQ_INTX), 0);
    assert_int_equal(fn->irq_count(g.v, VIDXD_PCI_IRQ_MSI), 0);
    assert_int_equal(fn->region_info(g.v, VIDXD_PCI_REGION_BAR0, &ri), 0);
    assert_int_equal(ri.size, 0x2000);
    assert_int_equal(fn->region_info(g.v, 2, &ri), 0);
    assert_int_equal(ri.size, 0x8000);
    assert_int_equal(ri.flags, VIDXD_REGION_READ | VIDXD_REGION_WRITE);
    assert_int_equal(fn->region_info(g.v, VIDXD_PCI_REGION_CONFIG, &ri), 0);
    assert_int_equal(ri.size, 4096);
    assert_int_equal(fn->region_info(g.v, 4, &ri), 0);
    assert_int_equal(ri.size, 0);
    /* FLR (PCIe Device Control bit 15) resets this vdev only. */
    guest_up(&g);
    guest_up(&o);
    cap = (uint8_t)g_cfg_rd32(&g, 0x34);
    while (cap != 0 && (g_cfg_rd32(&g, cap) & 0xff) != 0x10) {
        cap = (uint8_t)(g_cfg_rd32(&g, cap) >> 8);
    }
    assert_true(cap != 0);
    g_cfg_wr16(&g, cap + 8, 0x8000);
    assert_int_equal(g_rd32(&g, VIDXD_REG_GENSTS), VIDXD_GENSTS_DISABLED);
    assert_int_equal(g_rd32(&g, VIDXD_REG_GENCTRL), 0);
    assert_int_equal(g_cfg_rd32(&g, 0x04) & 0x4, 0);
    assert_false(p_wq_enabled(&p, 0));
    assert_false(p_wq_enabled(&p, 1));
    assert_true(p_wq_enabled(&p, 2));
    g_fill(&o, 8);
    g_memmove(&o, 0);
    assert_int_equal(cr_status(&o), VIDXD_STATUS_SUCCESS);
    guest_destroy(&o);
    guest_destroy(&g);
    parent_fini(&p);
}

/* Mapped portals: the guest stores into the parent's IMS portal pages of
 * its own WQs; the parent's poller executes them (dsa.md §5.4). */
static void
test_mapped_portal(void **state)
{
    struct parent p;
    struct guest g;
    struct vidxd_region_info ri;
    struct vidxd_desc d;
    unsigned ws[2] = {4, 5}, bad[2] = {4, 6}, i;
    uint8_t *win;
    uint64_t q[8];
    size_t len;

    (void)state;
    parent_init_mode(&p, VIDXD_DSA_PORTAL_MAPPED, true);
    assert_int_equal(
        guest_try_create(&p, &g, 0x11, bad, 2, VIDXD_DSA_PORTAL_MAPPED),
        -EOPNOTSUPP);
    assert_int_equal(
        guest_try_create(&p, &g, 0x11, ws, 2, VIDXD_DSA_PORTAL_MAPPED), 0);
    fn->irq_eventfds(g.v, VIDXD_PCI_IRQ_MSIX, 0, 3, g.efd);
    assert_int_equal(fn->region_info(g.v, 2, &ri), 0);
    assert_int_equal(ri.size, 0x8000);
    assert_int_equal(ri.flags, VIDXD_REGION_READ | VIDXD_REGION_WRITE |
                                   VIDXD_REGION_MMAP);
    assert_true(ri.fd >= 0);
    assert_int_equal(ri.fd_offset, 4 * 0x4000 + 0x2000);
    assert_int_equal(ri.nr_areas, 2);
    assert_int_equal(ri.areas[0].offset, 0);
    assert_int_equal(ri.areas[0].size, 0x2000);
    assert_int_equal(ri.areas[1].offset, 0x4000);
    assert_int_equal(ri.areas[1].size, 0x2000);
    /* What the VMM maps: the areas at fd_offset + area offset. */
    len = 0x4000 + 0x2000;
    win = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, ri.fd,
               (off_t)ri.fd_offset);
    assert_true(win != MAP_FAILED);
    guest_up(&g);
    /* vdev WQ 1, limited page (1), slot 3: qwords 1..7, then qword 0. */
    g_fill(&g, 0x61);
    memmove_desc(&d, G_IOVA + G_SRC, G_IOVA + G_DST, G_XFER, G_IOVA + G_CR,
                 g.handle[1]);
    memcpy(q, &d, sizeof(q));
    {
        uint64_t *slot = (uint64_t *)(win + 0x4000 + 0x1000 + 3 * 64);

        for (i = 1; i < 8; i++) {
            __atomic_store_n(&slot[i], q[i], __ATOMIC_RELAXED);
        }
        __atomic_store_n(&slot[0], q[0], __ATOMIC_RELEASE);
        assert_int_equal(cr_status(&g), 0);
        assert_int_equal(vidxd_dsa_process(p.dsa), 1);
        assert_int_equal(__atomic_load_n(&slot[0], __ATOMIC_ACQUIRE), 0);
    }
    assert_int_equal(cr_status(&g), VIDXD_STATUS_SUCCESS);
    assert_memory_equal(g_ptr(&g, G_DST), g_ptr(&g, G_SRC), G_XFER);
    assert_int_equal(evcount(g.efd[2]), 1);
    /* Trapped stores still work in mapped mode. */
    g_fill(&g, 0x62);
    g_memmove(&g, 0);
    assert_int_equal(cr_status(&g), VIDXD_STATUS_SUCCESS);
    assert_int_equal(evcount(g.efd[1]), 1);
    /* A reset wipes what the guest left in its slots. */
    memcpy(win + 64, q, 64);
    fn->reset(g.v);
    assert_int_equal(win[64], 0);
    assert_int_equal(vidxd_dsa_process(p.dsa), 0);
    munmap(win, len);
    guest_destroy(&g);
    parent_fini(&p);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_rejects),
        cmocka_unit_test(test_registers_ro_config),
        cmocka_unit_test(test_register_writes),
        cmocka_unit_test(test_memmove_through_portal),
        cmocka_unit_test(test_commands_touch_only_own_wqs),
        cmocka_unit_test(test_command_errors),
        cmocka_unit_test(test_bme_halt),
        cmocka_unit_test(test_isolation),
        cmocka_unit_test(test_interrupt_binding),
        cmocka_unit_test(test_swerr_reflection),
        cmocka_unit_test(test_multi_wq),
        cmocka_unit_test(test_config_space),
        cmocka_unit_test(test_mapped_portal),
    };

    fn = vidxd_vdev_fn_ops();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
