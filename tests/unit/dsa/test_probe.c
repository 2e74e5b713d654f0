/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Register-level replays of what real drivers do with a DSA: the Linux
 * idxd probe (reference/dsa.md §2.2 steps 1-12), WQ enable and disable for
 * dmaengine (§2.3) and memcpy submission through the rotating limited
 * portal (§2.4), in both configuration modes; and the DPDK PCI-mode init
 * and datapath (§2.6).  Access widths are the drivers' (§1.2).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"

/* GENCAP of a real SPR (accel-config list, dsa.md §1.1). */
#define SPR_GENCAP 0x40915f0107ull

/* What idxd_read_caps() and idxd_read_table_offsets() learn. */
struct idxd_caps {
    uint64_t gencap;
    bool request_int_handles;
    bool configurable;
    unsigned max_groups, max_engines, max_wqs, total_wq_size, wqcfg_size;
    uint32_t grpcfg, wqcfg, msix_perm, ims, perfmon;
};

/* Per-WQ software state of the driver. */
struct idxd_wq {
    unsigned id;
    int group;
    unsigned size, priority;
    uint16_t handle;
    unsigned portal_off; /* rotating slot offset inside the page */
};

static uint64_t
wqcfg_off(const struct idxd_caps *c, unsigned wq, unsigned dword)
{
    return c->wqcfg + (uint64_t)wq * c->wqcfg_size + dword * 4;
}

static uint64_t
grpcfg_off(const struct idxd_caps *c, unsigned g, unsigned byte)
{
    return c->grpcfg + (uint64_t)g * 64 + byte;
}

/* §2.2 steps 1-11. */
static void
linux_probe(struct harness *h, struct idxd_caps *c, bool expect_config_en,
            bool expect_cmd_cap)
{
    uint64_t off0, off1, wqcap, grpcap, opcap[4];
    uint32_t gensts, sts, genctrl;
    unsigned i;

    /* 1: pci_set_master. */
    vidxd_dsa_set_bus_master(h->dsa, true);
    /* 2: VERSION, only printed. */
    assert_int_equal(h_rd32(h, VIDXD_REG_VERSION), 0x100);
    /* 3: idxd_device_init_reset: RESET_DEVICE without int_req, poll. */
    gensts = h_rd32(h, VIDXD_REG_GENSTS);
    assert_int_not_equal(gensts & 3, VIDXD_GENSTS_HALT);
    sts = h_cmd(h, 0x00500000);
    assert_int_equal(sts, 0);
    /* 5: idxd_read_caps. */
    c->gencap = h_rd64(h, VIDXD_REG_GENCAP);
    assert_int_equal(c->gencap,
                     (SPR_GENCAP & ~(expect_config_en ? 0 : 1ull << 31)) |
                         (expect_cmd_cap ? VIDXD_GENCAP_CMD_CAP : 0));
    if ((c->gencap & VIDXD_GENCAP_CMD_CAP) != 0) {
        uint32_t cmdcap = h_rd32(h, VIDXD_REG_CMDCAP);
        assert_int_equal(cmdcap, 0x7ffe);
        c->request_int_handles = (cmdcap & (1u << 13)) != 0;
    }
    assert_int_equal(1ull << ((c->gencap >> 16) & 0x1f), 2147483648ull);
    assert_int_equal(1u << ((c->gencap >> 21) & 0xf), 1024);
    c->configurable = (c->gencap >> 31) & 1;
    grpcap = h_rd64(h, VIDXD_REG_GRPCAP);
    c->max_groups = grpcap & 0xff;
    assert_int_equal(c->max_groups, 4);
    assert_int_equal((grpcap >> 8) & 0xff, 96);
    c->max_engines = h_rd64(h, VIDXD_REG_ENGCAP) & 0xff;
    assert_int_equal(c->max_engines, 4);
    wqcap = h_rd64(h, VIDXD_REG_WQCAP);
    c->total_wq_size = wqcap & 0xffff;
    c->max_wqs = (wqcap >> 16) & 0xff;
    c->wqcfg_size = 1u << (((wqcap >> 24) & 0xf) + 5);
    assert_int_equal(c->total_wq_size, 128);
    assert_int_equal(c->max_wqs, 8);
    assert_int_equal(c->wqcfg_size, 32);
    assert_true((wqcap & VIDXD_WQCAP_DEDICATED_MODE) != 0);
    for (i = 0; i < 4; i++) {
        opcap[i] = h_rd64(h, VIDXD_REG_OPCAP + 8 * i);
    }
    assert_int_equal(opcap[0], 0x00000001003f03ffull);
    assert_int_equal(opcap[1] | opcap[2] | opcap[3], 0);
    assert_true((opcap[0] & 0x8) != 0); /* IDXD_OPCAP_MEMMOVE */
    /* 6: idxd_read_table_offsets. */
    off0 = h_rd64(h, VIDXD_REG_OFFSETS);
    off1 = h_rd64(h, VIDXD_REG_OFFSETS + 8);
    c->grpcfg = (off0 & 0xffff) * 0x100;
    c->wqcfg = ((off0 >> 16) & 0xffff) * 0x100;
    c->msix_perm = ((off0 >> 32) & 0xffff) * 0x100;
    c->ims = ((off0 >> 48) & 0xffff) * 0x100;
    c->perfmon = (off1 & 0xffff) * 0x100;
    assert_int_equal(c->grpcfg, 0x300);
    assert_int_equal(c->wqcfg, 0x400);
    assert_int_equal(c->msix_perm, 0x200);
    assert_int_equal(c->ims, 0x4000);
    assert_int_equal(c->perfmon, 0x1000);
    /* 9: idxd_setup_interrupts: GENCTRL read-modify-write. */
    genctrl = h_rd32(h, VIDXD_REG_GENCTRL);
    h_wr32(h, VIDXD_REG_GENCTRL,
           genctrl | VIDXD_GENCTRL_SOFTERR_INT_EN | VIDXD_GENCTRL_HALT_INT_EN);
    assert_int_equal(h_rd32(h, VIDXD_REG_GENCTRL), 3);
    /* 10: perfmon_pmu_init reads PERFCAP: no counters, so no PMU. */
    assert_int_equal(h_rd64(h, c->perfmon), 0);
}

/* §2.2 step 8: idxd_device_load_config (RO mode). */
static void
linux_load_config(struct harness *h, const struct idxd_caps *c,
                  struct idxd_wq *wqs)
{
    unsigned g, w, d;

    assert_int_equal(h_rd32(h, VIDXD_REG_GENCFG) & 0xff, 0);
    for (w = 0; w < c->max_wqs; w++) {
        wqs[w].group = -1;
    }
    for (g = 0; g < c->max_groups; g++) {
        /* GRPWQCFG[0..3], stopping once max_wqs is covered (8 < 64). */
        uint64_t wqbits = h_rd64(h, grpcfg_off(c, g, 0));
        uint64_t engbits = h_rd64(h, grpcfg_off(c, g, 0x20));
        uint64_t flags = h_rd64(h, grpcfg_off(c, g, 0x28));

        /* Preset: WQ i and engine i in group i % 4, SPR flags. */
        assert_int_equal(wqbits, (1ull << g) | (1ull << (g + 4)));
        assert_int_equal(engbits, 1ull << g);
        assert_int_equal(flags, 0x06000008);
        for (w = 0; w < c->max_wqs; w++) {
            if (wqbits & (1ull << w)) {
                wqs[w].group = (int)g;
            }
        }
    }
    for (w = 0; w < c->max_wqs; w++) {
        uint32_t cfg[8];

        /* memcpy_fromio of the whole WQCFG. */
        for (d = 0; d < 8; d++) {
            cfg[d] = h_rd32(h, wqcfg_off(c, w, d));
        }
        /* The probe fails on a shared or PASID-enabled WQ (dsa.md §0.5). */
        assert_int_equal(cfg[2] & VIDXD_WQCFG_MODE_DEDICATED, 1);
        assert_int_equal(cfg[2] & VIDXD_WQCFG_PASID_EN, 0);
        wqs[w].id = w;
        wqs[w].size = cfg[0] & 0xffff;
        wqs[w].priority = (cfg[2] >> 4) & 0xf;
        assert_int_equal(wqs[w].size, 16);
        assert_int_equal(cfg[1], 0);
        assert_int_equal(wqs[w].priority, 1);
        assert_int_equal(cfg[3], 31 | (10u << 5));
        /* RO: mode_support 0, disabled, empty. */
        assert_int_equal(cfg[6], 0);
        assert_int_equal(cfg[7], 0);
        assert_int_not_equal(wqs[w].group, -1);
    }
}

/* idxd_device_config(): WQCFG of every grouped WQ, then every GRPCFG. */
static void
linux_device_config(struct harness *h, const struct idxd_caps *c,
                    const struct idxd_wq *wqs)
{
    unsigned g, w, d, e;

    for (w = 0; w < c->max_wqs; w++) {
        uint32_t shadow[8] = {0};

        if (wqs[w].group < 0) {
            continue;
        }
        /* 6.12: OR the hardware WQCFG into the shadow ("sticky" bits). */
        for (d = 0; d < 8; d++) {
            shadow[d] |= h_rd32(h, wqcfg_off(c, w, d));
        }
        shadow[0] = wqs[w].size;
        shadow[1] = 0;
        shadow[2] = (shadow[2] & ~0xffu) | VIDXD_WQCFG_MODE_DEDICATED |
                    (wqs[w].priority << 4);
        shadow[3] = 21 | (5u << 5); /* 2 MiB, 32 descriptors */
        for (d = 0; d < 8; d++) {
            h_wr32(h, wqcfg_off(c, w, d), shadow[d]);
        }
    }
    for (g = 0; g < c->max_groups; g++) {
        uint64_t wqbits = 0, engbits = 0, flags;

        for (w = 0; w < c->max_wqs; w++) {
            if (wqs[w].group == (int)g) {
                wqbits |= 1ull << w;
            }
        }
        for (e = 0; e < c->max_engines; e++) {
            if (e == g) { /* engine e in group e */
                engbits |= 1ull << e;
            }
        }
        /* tc_a = tc_b = 1 (VERSION <= 0x200), all read buffers. */
        flags = 1 | (1u << 3) | (96ull << 20);
        for (d = 0; d < 4; d++) {
            h_wr64(h, grpcfg_off(c, g, 8 * d), d == 0 ? wqbits : 0);
            assert_int_equal(h_rd64(h, grpcfg_off(c, g, 8 * d)),
                             d == 0 ? wqbits : 0);
        }
        h_wr64(h, grpcfg_off(c, g, 0x20), engbits);
        assert_int_equal(h_rd64(h, grpcfg_off(c, g, 0x20)), engbits);
        h_wr64(h, grpcfg_off(c, g, 0x28), flags);
        assert_int_equal(h_rd64(h, grpcfg_off(c, g, 0x28)), flags);
    }
}

/* §2.3 kernel side: enable @wq for dmaengine; returns its handle. */
static void
linux_enable_wq(struct harness *h, const struct idxd_caps *c,
                struct idxd_wq *wqs, unsigned wq)
{
    uint32_t sts;

    if (c->configurable) {
        linux_device_config(h, c, wqs);
    }
    sts = h_cmd(h, (VIDXD_CMD_ENABLE_WQ << 20) | wq | VIDXD_CMD_INT_REQ);
    assert_int_equal(sts, 0); /* Linux also accepts 0x21 */
    assert_int_equal(h_rd32(h, wqcfg_off(c, wq, 6)) >> 30, 1);
    if (c->request_int_handles) {
        sts = h_cmd(h, (VIDXD_CMD_REQUEST_INT_HANDLE << 20) | (wq + 1) |
                           VIDXD_CMD_INT_REQ);
        assert_int_equal(sts & 0xff, 0);
        wqs[wq].handle = (uint16_t)(sts >> 8);
    } else {
        wqs[wq].handle = (uint16_t)(wq + 1);
    }
    assert_int_equal(wqs[wq].handle, wq + 1);
    wqs[wq].portal_off = 0;
}

/* §2.4: idxd_dma_submit_memcpy through the limited MSI-X portal. */
static void
linux_memcpy(struct harness *h, struct idxd_wq *w, unsigned n, bool whole)
{
    uint8_t *src = h_ptr(h, 0x10000), *dst = h_ptr(h, 0x40000);
    uint8_t *crs = h_ptr(h, 0x80000);
    unsigned i, k;

    for (i = 0; i < n; i++) {
        struct vidxd_desc d;
        uint8_t *cr = crs + 32 * i;
        uint32_t len = 1 + (i * 977) % 8192;
        uint64_t portal = (uint64_t)w->id * 0x4000 + 0x1000 + w->portal_off;
        unsigned before = h->msix[w->id + 1], total = h->nirq;

        for (k = 0; k < len; k++) {
            src[k] = (uint8_t)(i * 31 + k * 7);
        }
        memset(dst, 0, len + 1);
        memset(cr, 0, 32);
        h_memmove_desc(&d, h_iova(h, src), h_iova(h, dst), len, h_iova(h, cr),
                       VIDXD_FLAG_CRAV | VIDXD_FLAG_RCR | VIDXD_FLAG_RCI,
                       w->handle);
        d.pasid_priv = VIDXD_DESC_PRIV; /* 6.1 kernel descriptors */
        h->cr_check = cr;
        if (whole) {
            assert_int_equal(
                vidxd_dsa_portal_write(h->dsa, portal, &d, sizeof(d)), 0);
        } else {
            /* Eight 8-byte stores in program order (no MOVDIR64B). */
            for (k = 0; k < 8; k++) {
                assert_int_equal(vidxd_dsa_portal_write(h->dsa, portal + 8 * k,
                                                        (uint8_t *)&d + 8 * k,
                                                        8),
                                 0);
                if (k < 7) {
                    assert_int_equal(cr[0], 0); /* not before all 64 */
                }
            }
        }
        w->portal_off = (w->portal_off + 64) % 4096;
        assert_int_equal(cr[0], VIDXD_STATUS_SUCCESS);
        assert_memory_equal(dst, src, len);
        assert_int_equal(dst[len], 0);
        assert_int_equal(h->msix[w->id + 1], before + 1);
        assert_int_equal(h->nirq, total + 1);
    }
    h->cr_check = NULL;
    assert_int_equal(h->cr_order_violations, 0);
}

/* WQ unbind (§2.3 end) and device unbind. */
static void
linux_disable(struct harness *h, const struct idxd_caps *c, struct idxd_wq *wqs,
              unsigned wq)
{
    uint32_t mask = (1u << (wq % 16)) | ((wq / 16) << 16);
    unsigned d;

    assert_int_equal(
        h_cmd(h, (VIDXD_CMD_DRAIN_WQ << 20) | mask | VIDXD_CMD_INT_REQ), 0);
    if (c->request_int_handles) {
        assert_int_equal(
            h_cmd(h, (VIDXD_CMD_RELEASE_INT_HANDLE << 20) | wqs[wq].handle), 0);
    }
    h_wr32(h, c->msix_perm + 8ull * (wq + 1), 0);
    assert_int_equal(
        h_cmd(h, (VIDXD_CMD_RESET_WQ << 20) | mask | VIDXD_CMD_INT_REQ), 0);
    assert_int_equal(h_rd32(h, wqcfg_off(c, wq, 6)) >> 30, 0);
    for (d = 0; d < 8; d++) {
        uint32_t v = h_rd32(h, wqcfg_off(c, wq, d));
        if (c->configurable) {
            /* Reads back clean: only mode_support remains (§1.5). */
            assert_int_equal(v, d == 6 ? VIDXD_WQCFG_MODE_SUPPORT : 0);
        } else if (d == 0) {
            assert_int_equal(v, 16); /* the preset survives */
        }
    }
}

static void
linux_unbind_device(struct harness *h, const struct idxd_caps *c)
{
    uint32_t sts;

    sts = h_cmd(h, (VIDXD_CMD_DISABLE_DEVICE << 20) | VIDXD_CMD_INT_REQ);
    assert_int_equal(sts, 0);
    assert_int_equal(h_rd32(h, VIDXD_REG_GENSTS), VIDXD_GENSTS_DISABLED);
    if (c->configurable) {
        assert_int_equal(
            h_cmd(h, (VIDXD_CMD_RESET_DEVICE << 20) | VIDXD_CMD_INT_REQ), 0);
        assert_int_equal(h_rd64(h, grpcfg_off(c, 0, 0)), 0);
        assert_int_equal(h_rd64(h, grpcfg_off(c, 0, 0x20)), 0);
        assert_int_equal(h_rd64(h, grpcfg_off(c, 0, 0x28)), 0);
    }
}

static void
run_linux(bool configurable, bool cmd_cap)
{
    struct vidxd_dsa_config cfg;
    struct harness h;
    struct idxd_caps c;
    struct idxd_wq wqs[8];
    unsigned w;

    vidxd_dsa_config_default(&cfg);
    cfg.configurable = configurable;
    cfg.cmd_cap = cmd_cap;
    h_init(&h, &cfg);
    memset(&c, 0, sizeof(c));
    memset(wqs, 0, sizeof(wqs));
    linux_probe(&h, &c, configurable, cmd_cap);
    assert_int_equal(c.configurable, configurable);
    assert_int_equal(c.request_int_handles, cmd_cap);
    if (configurable) {
        /* The user's sysfs setup (§2.3 steps 1-8) for wq0.0 and wq0.3:
         * group 0 / 3, dedicated, priority 10, size 16; engine g in
         * group g.  Then bind dsa0 (§2.2 step 12). */
        for (w = 0; w < 8; w++) {
            wqs[w].id = w;
            wqs[w].group = -1;
        }
        wqs[0] =
            (struct idxd_wq){.id = 0, .group = 0, .size = 16, .priority = 10};
        wqs[3] =
            (struct idxd_wq){.id = 3, .group = 3, .size = 16, .priority = 10};
        linux_device_config(&h, &c, wqs);
    } else {
        linux_load_config(&h, &c, wqs);
    }
    /* Device bind: ENABLE_DEVICE with int_req (auto in RO mode). */
    assert_int_equal(
        h_cmd(&h, (VIDXD_CMD_ENABLE_DEVICE << 20) | VIDXD_CMD_INT_REQ), 0);
    assert_int_equal(h_rd32(&h, VIDXD_REG_GENSTS), VIDXD_GENSTS_ENABLED);

    linux_enable_wq(&h, &c, wqs, 0);
    linux_enable_wq(&h, &c, wqs, 3);
    /* 70 submissions wrap the 64 slots of the page. */
    linux_memcpy(&h, &wqs[0], 70, false);
    linux_memcpy(&h, &wqs[3], 70, true);
    linux_memcpy(&h, &wqs[0], 3, true);
    assert_int_equal(h.msix[1], 73);
    assert_int_equal(h.msix[4], 70);
    assert_int_equal(h_rd32(&h, VIDXD_REG_INTCAUSE), 0);
    assert_int_equal(h_rd64(&h, VIDXD_REG_SWERR), 0);
    {
        struct vidxd_dsa_wq_stats st;
        assert_int_equal(vidxd_dsa_wq_stats(h.dsa, 0, &st), 0);
        assert_int_equal(st.submitted, 73);
        assert_int_equal(st.ops, 73);
        assert_int_equal(st.errors, 0);
        assert_int_equal(st.dropped, 0);
    }
    linux_disable(&h, &c, wqs, 0);
    linux_disable(&h, &c, wqs, 3);
    linux_unbind_device(&h, &c);
    h_fini(&h);
}

static void
test_linux_configurable(void **state)
{
    (void)state;
    run_linux(true, false);
}

static void
test_linux_ro_config(void **state)
{
    (void)state;
    run_linux(false, false);
}

static void
test_linux_configurable_int_handles(void **state)
{
    (void)state;
    run_linux(true, true);
}

static void
test_linux_ro_int_handles(void **state)
{
    (void)state;
    run_linux(false, true);
}

/* §2.6 DPDK dmadev idxd, PCI mode (vfio-pci), then one copy on WQ @qid
 * of a device made from @cfg (NULL = defaults). */
static void
dpdk_pci(const struct vidxd_dsa_config *cfg, unsigned qid)
{
    struct harness h;
    uint64_t off, wqcap, gencap, grp, wqcfg;
    unsigned ngroups, nengines, nwqs, total, stride, xfer, batch, i;
    uint8_t *src, *dst, *cr;
    struct vidxd_desc d;

    h_init(&h, cfg);
    vidxd_dsa_set_bus_master(h.dsa, true);
    assert_int_equal(h_rd32(&h, VIDXD_REG_GENSTS) & 3, 0);
    assert_int_equal(h_rd32(&h, VIDXD_REG_CMDSTS) & VIDXD_CMDSTS_ACTIVE, 0);
    off = h_rd64(&h, VIDXD_REG_OFFSETS);
    grp = (off & 0xffff) * 0x100;
    wqcfg = ((off >> 16) & 0xffff) * 0x100;
    wqcap = h_rd64(&h, VIDXD_REG_WQCAP);
    stride = 1u << (((wqcap >> 24) & 0xf) + 5);
    ngroups = h_rd64(&h, VIDXD_REG_GRPCAP) & 0xff;
    nengines = h_rd64(&h, VIDXD_REG_ENGCAP) & 0xff;
    nwqs = (wqcap >> 16) & 0xff;
    total = wqcap & 0xffff;
    gencap = h_rd64(&h, VIDXD_REG_GENCAP);
    xfer = (gencap >> 16) & 0x1f;
    batch = (gencap >> 21) & 0xf;
    for (i = 0; i < ngroups; i++) {
        h_wr64(&h, grp + 64ull * i + 0x20, 0);
        h_wr64(&h, grp + 64ull * i, 0);
    }
    for (i = 0; i < nwqs; i++) {
        h_wr32(&h, wqcfg + (uint64_t)stride * i, 0);
    }
    for (i = 0; i < nengines; i++) {
        uint64_t r = grp + 64ull * (i % ngroups) + 0x20;
        h_wr64(&h, r, h_rd64(&h, r) | (1ull << i));
    }
    for (i = 0; i < nwqs; i++) {
        uint64_t r = grp + 64ull * (i % ngroups);
        h_wr64(&h, r, h_rd64(&h, r) | (1ull << i));
    }
    for (i = 0; i < nwqs; i++) {
        uint64_t b = wqcfg + (uint64_t)stride * i;
        h_wr32(&h, b + 0, total / nwqs);
        h_wr32(&h, b + 8, 0x11);
        h_wr32(&h, b + 12, xfer | (batch << 5));
    }
    assert_int_equal(h_cmd(&h, VIDXD_CMD_ENABLE_DEVICE << 20), 0);
    assert_int_equal(h_cmd(&h, (VIDXD_CMD_ENABLE_WQ << 20) | qid), 0);
    assert_int_equal(
        (h_rd32(&h, wqcfg + (uint64_t)stride * qid + 6 * 4) >> 30) & 3, 1);

    src = h_ptr(&h, 0x1000);
    dst = h_ptr(&h, 0x9000);
    cr = h_ptr(&h, 0x20000);
    for (i = 0; i < 4096; i++) {
        src[i] = (uint8_t)(i ^ 0x5a);
    }
    h_memmove_desc(&d, h_iova(&h, src), h_iova(&h, dst), 4096, h_iova(&h, cr),
                   VIDXD_FLAG_CRAV | VIDXD_FLAG_RCR | VIDXD_FLAG_CC, 0);
    assert_int_equal(
        vidxd_dsa_portal_write(h.dsa, (uint64_t)qid * 0x4000, &d, 64), 0);
    assert_int_equal(cr[0], VIDXD_STATUS_SUCCESS);
    assert_memory_equal(dst, src, 4096);
    assert_int_equal(h.nirq, 0); /* polling only, no RCI, no int_req */

    /* WQ 16 * operand[19:16] + n for bit n (dsa.md §1.4). */
    assert_int_equal(h_cmd(&h, (VIDXD_CMD_DISABLE_WQ << 20) | (qid / 16) << 16 |
                                   (1u << qid % 16)),
                     0);
    assert_int_equal(h_cmd(&h, VIDXD_CMD_DISABLE_DEVICE << 20), 0);
    assert_int_equal(h_rd32(&h, VIDXD_REG_GENSTS), 0);
    h_fini(&h);
}

static void
test_dpdk_pci(void **state)
{
    (void)state;
    dpdk_pci(NULL, 0);
}

/*
 * 64 WQs need 65 MSIXPERM entries (0x208 bytes), which from the SPR
 * offset 0x200 would run into GRPCFG at 0x300: vidxd_dsa_config_layout()
 * moves GRPCFG and WQCFG up (hand-computed: 0x200 + 0x208 rounded up to
 * 0x100 is 0x500; 4 groups x 64 bytes end at 0x600) and keeps the rest.
 */
static void
test_layout_64_wqs(void **state)
{
    struct vidxd_dsa_config cfg;
    struct vidxd_dsa *dsa;
    struct vidxd_dsa_layout l;
    struct harness h;
    uint64_t v;

    (void)state;
    vidxd_dsa_config_default(&cfg);
    assert_int_equal(vidxd_dsa_config_layout(&cfg), 0); /* SPR kept */
    assert_int_equal(cfg.msix_perm_offset, 0x200);
    assert_int_equal(cfg.grpcfg_offset, 0x300);
    assert_int_equal(cfg.wqcfg_offset, 0x400);
    assert_int_equal(cfg.bar0_size, 0x10000);

    cfg.num_wqs = 64;
    assert_int_equal(vidxd_dsa_create(&cfg, NULL, NULL, &dsa), -EINVAL);
    assert_int_equal(vidxd_dsa_config_layout(&cfg), 0);
    assert_int_equal(cfg.msix_perm_offset, 0x200);
    assert_int_equal(cfg.grpcfg_offset, 0x500);
    assert_int_equal(cfg.wqcfg_offset, 0x600);
    assert_int_equal(cfg.perfmon_offset, 0x1000);
    assert_int_equal(cfg.msix_table_offset, 0x2000);
    assert_int_equal(cfg.msix_pba_offset, 0x3000);
    assert_int_equal(cfg.ims_offset, 0x4000);
    assert_int_equal(cfg.bar0_size, 0x10000);

    h_init(&h, &cfg);
    /* OFFSETS in units of 0x100: GRPCFG 5, WQCFG 6, MSIXPERM 2, IMS 0x40;
     * PERFMON 0x10 (dsa.md §1.2). */
    assert_int_equal(h_rd64(&h, VIDXD_REG_OFFSETS), 0x0040000200060005ull);
    assert_int_equal(h_rd64(&h, VIDXD_REG_OFFSETS + 8), 0x10);
    vidxd_dsa_get_layout(h.dsa, &l);
    assert_int_equal(l.num_msix, 65);
    assert_int_equal(l.msix_table_offset, 0x2000);
    assert_int_equal(l.bar2_size, 64 * 0x4000);
    /* The last MSIXPERM entry is its own register, not GRPCFG's. */
    h_wr32(&h, 0x200 + 64 * 8,
           VIDXD_MSIXPERM_PASID_EN | (7u << VIDXD_MSIXPERM_PASID_SHIFT));
    assert_int_equal(h_rd32(&h, 0x200 + 64 * 8),
                     VIDXD_MSIXPERM_PASID_EN |
                         (7u << VIDXD_MSIXPERM_PASID_SHIFT));
    v = h_rd64(&h, 0x500);
    assert_int_equal(v, 0);
    h_fini(&h);

    /* A driver that learns the layout from OFFSETS runs WQ 63. */
    dpdk_pci(&cfg, 63);
}

/* Everything at its largest: 64 WQs with 64-byte WQCFG, 64 groups, 16128
 * IMS entries.  Hand-computed: MSIXPERM 0x200-0x408; GRPCFG 0x500 +
 * 0x1000; WQCFG 0x1500 + 0x1000; PERFMON on the next 4 KiB, 0x3000;
 * MSI-X table 0x4000 + 0x410; PBA 0x5000; IMS 0x6000 + 0x3f000 = 0x45000,
 * so BAR0 grows to 512 KiB. */
static void
test_layout_largest(void **state)
{
    struct vidxd_dsa_config cfg;
    struct vidxd_dsa *dsa;

    (void)state;
    vidxd_dsa_config_default(&cfg);
    cfg.num_wqs = 64;
    cfg.num_groups = 64;
    cfg.wqcfg_stride = VIDXD_WQCFG_STRIDE_DSA2;
    cfg.max_ims_mult = 63;
    assert_int_equal(vidxd_dsa_config_layout(&cfg), 0);
    assert_int_equal(cfg.msix_perm_offset, 0x200);
    assert_int_equal(cfg.grpcfg_offset, 0x500);
    assert_int_equal(cfg.wqcfg_offset, 0x1500);
    assert_int_equal(cfg.perfmon_offset, 0x3000);
    assert_int_equal(cfg.msix_table_offset, 0x4000);
    assert_int_equal(cfg.msix_pba_offset, 0x5000);
    assert_int_equal(cfg.ims_offset, 0x6000);
    assert_int_equal(cfg.bar0_size, 0x80000);
    assert_int_equal(vidxd_dsa_create(&cfg, NULL, NULL, &dsa), 0);
    assert_int_equal(vidxd_dsa_bar0_size(dsa), 0x80000);
    vidxd_dsa_destroy(dsa);

    /* Out of range sizes leave @cfg alone. */
    cfg.num_wqs = 65;
    assert_int_equal(vidxd_dsa_config_layout(&cfg), -EINVAL);
    assert_int_equal(cfg.ims_offset, 0x6000);
    assert_int_equal(vidxd_dsa_config_layout(NULL), -EINVAL);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_linux_configurable),
        cmocka_unit_test(test_linux_ro_config),
        cmocka_unit_test(test_linux_configurable_int_handles),
        cmocka_unit_test(test_linux_ro_int_handles),
        cmocka_unit_test(test_dpdk_pci),
        cmocka_unit_test(test_layout_64_wqs),
        cmocka_unit_test(test_layout_largest),
    };

    return cmocka_run_group_tests_name("dsa_probe", tests, NULL, NULL);
}
