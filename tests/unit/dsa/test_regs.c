/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Register and command semantics of the DSA device model (reference/dsa.md
 * §1.2-§1.7, §5.3): capability values, read-only/RW/W1C/reserved bits,
 * access sizes, table write rules per state, every command's CMDSTS codes,
 * SWERR, INTCAUSE and vector 0, HALT, interrupt handles, host tables, and
 * the trapped and mapped portals.  workers = 0 unless noted (deterministic).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

#define GRP 0x300ull
#define WQCFG(w, d) (0x400ull + 32ull * (w) + 4ull * (d))
#define PERM(i) (0x200ull + 8ull * (i))
#define CMD(c, op) (((uint32_t)(c) << 20) | (op))

/* ---- capabilities and plain register semantics ------------------------ */

static void
test_caps_default(void **state)
{
    struct harness h;
    struct vidxd_dsa_layout l;

    (void)state;
    h_init(&h, NULL);
    assert_int_equal(h_rd32(&h, VIDXD_REG_VERSION), 0x100);
    assert_int_equal(h_rd64(&h, VIDXD_REG_GENCAP), 0x40915f0107ull);
    /* total 128, 8 WQs, 32-byte WQCFG, dedicated, priority, occupancy. */
    assert_int_equal(h_rd64(&h, VIDXD_REG_WQCAP),
                     0x80 | (8ull << 16) | (1ull << 49) | (1ull << 51) |
                         (1ull << 52));
    assert_int_equal(h_rd64(&h, VIDXD_REG_GRPCAP),
                     4 | (96ull << 8) | (1ull << 16) | (1ull << 17));
    assert_int_equal(h_rd64(&h, VIDXD_REG_ENGCAP), 4);
    assert_int_equal(h_rd64(&h, VIDXD_REG_OPCAP), 0x00000001003f03ffull);
    assert_int_equal(h_rd64(&h, VIDXD_REG_OPCAP + 8), 0);
    /* GRPCFG 3, WQCFG 4, MSIXPERM 2, IMS 0x40 (units of 0x100). */
    assert_int_equal(h_rd64(&h, VIDXD_REG_OFFSETS),
                     0x3 | (0x4ull << 16) | (0x2ull << 32) | (0x40ull << 48));
    assert_int_equal(h_rd64(&h, VIDXD_REG_OFFSETS + 8), 0x10);
    assert_int_equal(h_rd32(&h, VIDXD_REG_CMDCAP), 0);
    assert_int_equal(h_rd32(&h, VIDXD_REG_GENSTS), 0);
    assert_int_equal(vidxd_dsa_bar0_size(h.dsa), 0x10000);
    assert_int_equal(vidxd_dsa_bar2_size(h.dsa), 8 * 0x4000);
    vidxd_dsa_get_layout(h.dsa, &l);
    assert_int_equal(l.num_msix, 9);
    assert_int_equal(l.num_ims, 2048);
    assert_int_equal(l.msix_table_offset, 0x2000);
    assert_int_equal(l.msix_pba_offset, 0x3000);
    assert_int_equal(l.ims_offset, 0x4000);
    h_fini(&h);
}

static void
test_create_rejects_bad_config(void **state)
{
    struct vidxd_dsa_config cfg;
    struct vidxd_dsa *dsa = NULL;

    (void)state;
    vidxd_dsa_config_default(&cfg);
    cfg.num_wqs = 0;
    assert_int_equal(vidxd_dsa_create(&cfg, NULL, NULL, &dsa), -EINVAL);
    vidxd_dsa_config_default(&cfg);
    cfg.num_groups = 5; /* GRPCFG 0x300 + 5 x 64 runs into WQCFG at 0x400 */
    assert_int_equal(vidxd_dsa_create(&cfg, NULL, NULL, &dsa), -EINVAL);
    vidxd_dsa_config_default(&cfg);
    cfg.max_ims_mult = 13; /* IMS 0x4000 + 3328 x 16 > 64 KiB */
    assert_int_equal(vidxd_dsa_create(&cfg, NULL, NULL, &dsa), -EINVAL);
    vidxd_dsa_config_default(&cfg);
    cfg.wqcfg_offset = 0x410; /* not a multiple of 0x100 */
    assert_int_equal(vidxd_dsa_create(&cfg, NULL, NULL, &dsa), -EINVAL);
    vidxd_dsa_config_default(&cfg);
    cfg.bar0_size = 0x18000;
    assert_int_equal(vidxd_dsa_create(&cfg, NULL, NULL, &dsa), -EINVAL);
    vidxd_dsa_config_default(&cfg);
    cfg.configurable = false;
    cfg.ro_wqs[2].size = 30; /* 7 x 16 + 30 > 128 */
    assert_int_equal(vidxd_dsa_create(&cfg, NULL, NULL, &dsa), -EINVAL);
    cfg.ro_wqs[2].size = 16;
    cfg.ro_wqs[2].bof = true;
    cfg.gencap_features &= ~VIDXD_GENCAP_BLOCK_ON_FAULT;
    assert_int_equal(vidxd_dsa_create(&cfg, NULL, NULL, &dsa), -EINVAL);
    assert_null(dsa);
    vidxd_dsa_config_default(&cfg);
    assert_int_equal(vidxd_dsa_create(&cfg, NULL, NULL, &dsa), 0);
    vidxd_dsa_destroy(dsa);
    vidxd_dsa_destroy(NULL);
}

static void
test_read_only_registers(void **state)
{
    static const uint64_t ro[] = {
        VIDXD_REG_VERSION,
        VIDXD_REG_GENCAP,
        VIDXD_REG_WQCAP,
        VIDXD_REG_GRPCAP,
        VIDXD_REG_ENGCAP,
        VIDXD_REG_OPCAP,
        0x48,
        0x50,
        0x58,
        VIDXD_REG_OFFSETS,
        VIDXD_REG_OFFSETS + 8,
        VIDXD_REG_GENSTS,
        VIDXD_REG_CMDSTS,
        VIDXD_REG_CMDCAP,
        0xc8,
        0xd0,
        0xd8,
    };
    uint64_t before[sizeof(ro) / sizeof(ro[0])];
    struct harness h;
    unsigned i;

    (void)state;
    h_init(&h, NULL);
    for (i = 0; i < sizeof(ro) / sizeof(ro[0]); i++) {
        before[i] = h_rd64(&h, ro[i]);
        h_wr64(&h, ro[i], ~0ull);
        h_wr32(&h, ro[i], 0);
        assert_int_equal(h_rd64(&h, ro[i]), before[i]);
    }
    h_fini(&h);
}

static void
test_access_sizes(void **state)
{
    struct harness h;
    uint64_t v, g;
    unsigned i;

    (void)state;
    h_init(&h, NULL);
    g = h_rd64(&h, VIDXD_REG_GENCAP);
    for (i = 0; i < 8; i++) {
        assert_int_equal(vidxd_dsa_bar0_read(h.dsa, 0x10 + i, 1, &v), 0);
        assert_int_equal(v, (g >> (8 * i)) & 0xff);
    }
    for (i = 0; i < 4; i++) {
        assert_int_equal(vidxd_dsa_bar0_read(h.dsa, 0x10 + 2 * i, 2, &v), 0);
        assert_int_equal(v, (g >> (16 * i)) & 0xffff);
    }
    assert_int_equal(vidxd_dsa_bar0_read(h.dsa, 0x14, 4, &v), 0);
    assert_int_equal(v, g >> 32);
    /* Bad sizes, misalignment, out of range, NULL: -EINVAL, no effect. */
    assert_int_equal(vidxd_dsa_bar0_read(h.dsa, 0x11, 2, &v), -EINVAL);
    assert_int_equal(vidxd_dsa_bar0_read(h.dsa, 0x14, 8, &v), -EINVAL);
    assert_int_equal(vidxd_dsa_bar0_read(h.dsa, 0x10, 3, &v), -EINVAL);
    assert_int_equal(vidxd_dsa_bar0_read(h.dsa, 0x10, 16, &v), -EINVAL);
    assert_int_equal(vidxd_dsa_bar0_read(h.dsa, 0x10, 0, &v), -EINVAL);
    assert_int_equal(vidxd_dsa_bar0_read(h.dsa, 0x10000, 4, &v), -EINVAL);
    assert_int_equal(vidxd_dsa_bar0_read(h.dsa, UINT64_MAX - 7, 8, &v),
                     -EINVAL);
    assert_int_equal(vidxd_dsa_bar0_read(h.dsa, 0x10, 8, NULL), -EINVAL);
    assert_int_equal(vidxd_dsa_bar0_write(h.dsa, VIDXD_REG_CMD + 1, 4,
                                          CMD(VIDXD_CMD_ENABLE_DEVICE, 0)),
                     -EINVAL);
    assert_int_equal(vidxd_dsa_bar0_write(h.dsa, 0xfffc, 8, 0), -EINVAL);
    assert_int_equal(vidxd_dsa_bar0_read(h.dsa, 0xfff8, 8, &v), 0);
    assert_int_equal(v, 0);
    assert_int_equal(h_rd32(&h, VIDXD_REG_GENSTS), 0);
    h_fini(&h);
}

static void
test_reserved_offsets(void **state)
{
    static const uint64_t rsvd[] = {
        0x08,  0x18,  0x28,  0x70,   0x78,   0xe0,   0xe8,   0xf0,  0xf8,
        0x100, 0x180, 0x248, 0x1000, 0x1100, 0x1ff8, 0xc000, 0xfff8};
    struct harness h;
    unsigned i;

    (void)state;
    h_init(&h, NULL);
    for (i = 0; i < sizeof(rsvd) / sizeof(rsvd[0]); i++) {
        h_wr64(&h, rsvd[i], ~0ull);
        assert_int_equal(h_rd64(&h, rsvd[i]), 0);
    }
    h_fini(&h);
}

static void
test_gencfg_genctrl(void **state)
{
    struct harness h;

    (void)state;
    h_init(&h, NULL);
    /* Only rdbuf_limit [7:0] and user_int_en (12) exist. */
    h_wr32(&h, VIDXD_REG_GENCFG, 0xffffffff);
    assert_int_equal(h_rd32(&h, VIDXD_REG_GENCFG), 0x10ff);
    h_wr32(&h, VIDXD_REG_GENCFG, 0x1000 | 40);
    assert_int_equal(h_rd32(&h, VIDXD_REG_GENCFG), 0x1028);
    h_wr32(&h, VIDXD_REG_GENCTRL, 0xffffffff);
    assert_int_equal(h_rd32(&h, VIDXD_REG_GENCTRL), 3);
    h_wr32(&h, VIDXD_REG_GENCTRL, 0);
    /* GENCFG is frozen while the device is enabled. */
    h_quick_enable(&h, 0, 16);
    h_wr32(&h, VIDXD_REG_GENCFG, 0x5);
    assert_int_equal(h_rd32(&h, VIDXD_REG_GENCFG), 0x1028);
    assert_int_equal(h_cmd(&h, CMD(VIDXD_CMD_DISABLE_DEVICE, 0)), 0);
    h_wr32(&h, VIDXD_REG_GENCFG, 0x5);
    assert_int_equal(h_rd32(&h, VIDXD_REG_GENCFG), 0x5);
    h_fini(&h);
}

static void
test_intcause_w1c_and_int_req(void **state)
{
    struct harness h;

    (void)state;
    h_init(&h, NULL);
    vidxd_dsa_set_bus_master(h.dsa, true);
    /* Without int_req: no INTCAUSE, no interrupt. */
    h_wr32(&h, VIDXD_REG_CMD, CMD(VIDXD_CMD_RESET_DEVICE, 0));
    assert_int_equal(h_rd32(&h, VIDXD_REG_INTCAUSE), 0);
    assert_int_equal(h.nirq, 0);
    assert_int_equal(h_rd32(&h, VIDXD_REG_CMD), CMD(VIDXD_CMD_RESET_DEVICE, 0));
    /* With int_req: CMD bit and exactly one vector-0 message. */
    h_wr32(&h, VIDXD_REG_CMD,
           CMD(VIDXD_CMD_RESET_DEVICE, 0) | VIDXD_CMD_INT_REQ);
    assert_int_equal(h_rd32(&h, VIDXD_REG_INTCAUSE), VIDXD_INTCAUSE_CMD);
    assert_int_equal(h.msix[0], 1);
    assert_int_equal(h.nirq, 1);
    /* Writing 0 or writing reserved bits changes nothing; 1 clears. */
    h_wr32(&h, VIDXD_REG_INTCAUSE, 0);
    h_wr32(&h, VIDXD_REG_INTCAUSE, 0x7fffffc0);
    assert_int_equal(h_rd32(&h, VIDXD_REG_INTCAUSE), VIDXD_INTCAUSE_CMD);
    h_wr32(&h, VIDXD_REG_INTCAUSE, VIDXD_INTCAUSE_ERR);
    assert_int_equal(h_rd32(&h, VIDXD_REG_INTCAUSE), VIDXD_INTCAUSE_CMD);
    assert_int_equal(
        vidxd_dsa_bar0_write(h.dsa, VIDXD_REG_INTCAUSE, 1, VIDXD_INTCAUSE_CMD),
        0);
    assert_int_equal(h_rd32(&h, VIDXD_REG_INTCAUSE), 0);
    /* A failing command with int_req also interrupts (status in CMDSTS). */
    h_wr32(&h, VIDXD_REG_CMD,
           CMD(VIDXD_CMD_DISABLE_DEVICE, 0) | VIDXD_CMD_INT_REQ);
    assert_int_equal(h_rd32(&h, VIDXD_REG_CMDSTS), VIDXD_CMDSTS_DIS_DEV_EN);
    assert_int_equal(h.msix[0], 2);
    h_fini(&h);
}

static void
test_cmd_piecewise_write(void **state)
{
    struct harness h;
    uint32_t v = CMD(VIDXD_CMD_ENABLE_DEVICE, 0) | VIDXD_CMD_INT_REQ;

    (void)state;
    h_init(&h, NULL);
    vidxd_dsa_set_bus_master(h.dsa, true);
    h_wr64(&h, GRP, 1);
    h_wr64(&h, GRP + 0x20, 1);
    h_wr32(&h, WQCFG(0, 0), 8);
    /* Bytes 0-2 only latch; byte 3 (int_req) issues the command. */
    assert_int_equal(vidxd_dsa_bar0_write(h.dsa, VIDXD_REG_CMD, 2, v & 0xffff),
                     0);
    assert_int_equal(
        vidxd_dsa_bar0_write(h.dsa, VIDXD_REG_CMD + 2, 1, (v >> 16) & 0xff), 0);
    assert_int_equal(h_rd32(&h, VIDXD_REG_GENSTS), 0);
    assert_int_equal(h.nirq, 0);
    assert_int_equal(vidxd_dsa_bar0_write(h.dsa, VIDXD_REG_CMD + 3, 1, v >> 24),
                     0);
    assert_int_equal(h_rd32(&h, VIDXD_REG_GENSTS), VIDXD_GENSTS_ENABLED);
    assert_int_equal(h.msix[0], 1);
    /* A 64-bit write covering CMD issues it too; bits 30:25 reserved. */
    h_wr64(&h, VIDXD_REG_CMD, CMD(VIDXD_CMD_DISABLE_DEVICE, 0) | 0x7e000000u);
    assert_int_equal(h_rd32(&h, VIDXD_REG_CMD),
                     CMD(VIDXD_CMD_DISABLE_DEVICE, 0));
    assert_int_equal(h_rd32(&h, VIDXD_REG_GENSTS), 0);
    h_fini(&h);
}

/* ---- configuration tables --------------------------------------------- */

static void
test_grpcfg_rules(void **state)
{
    struct harness h;

    (void)state;
    h_init(&h, NULL);
    /* Reserved bits: WQs >= 8, engines >= 4, GRPFLGCFG bits 6, 19:16, 63:28. */
    h_wr64(&h, GRP, ~0ull);
    assert_int_equal(h_rd64(&h, GRP), 0xff);
    h_wr64(&h, GRP + 8, ~0ull);
    assert_int_equal(h_rd64(&h, GRP + 8), 0);
    h_wr64(&h, GRP + 0x20, ~0ull);
    assert_int_equal(h_rd64(&h, GRP + 0x20), 0xf);
    h_wr64(&h, GRP + 0x28, ~0ull);
    assert_int_equal(h_rd64(&h, GRP + 0x28), 0x0ff0ffbf);
    h_wr64(&h, GRP + 0x30, ~0ull);
    assert_int_equal(h_rd64(&h, GRP + 0x30), 0);
    /* Two 32-bit halves. */
    h_wr32(&h, GRP + 64 + 0x28, 0x06000008);
    h_wr32(&h, GRP + 64 + 0x2c, 0);
    assert_int_equal(h_rd64(&h, GRP + 64 + 0x28), 0x06000008);
    h_wr64(&h, GRP, 0x1);
    h_wr64(&h, GRP + 0x20, 0x1);
    h_wr64(&h, GRP + 0x28, 0);
    h_quick_enable(&h, 0, 16); /* keeps group 0 = WQs 0-7, engine 0 */
    /* Enabled: same value accepted silently, a different one ignored. */
    h_wr64(&h, GRP, 0xff);
    assert_int_equal(h_rd64(&h, GRP), 0xff);
    h_wr64(&h, GRP, 0x1);
    assert_int_equal(h_rd64(&h, GRP), 0xff);
    h_wr64(&h, GRP + 64 + 0x20, 0x2);
    assert_int_equal(h_rd64(&h, GRP + 64 + 0x20), 0);
    h_fini(&h);
}

static void
test_grpcfg_wqcfg_read_only_mode(void **state)
{
    struct vidxd_dsa_config cfg;
    struct harness h;

    (void)state;
    vidxd_dsa_config_default(&cfg);
    cfg.configurable = false;
    cfg.ro_wqs[1].priority = 7;
    h_init(&h, &cfg);
    assert_int_equal(h_rd64(&h, VIDXD_REG_GENCAP) >> 31 & 1, 0);
    assert_int_equal(h_rd64(&h, GRP + 64), 0x22);
    h_wr64(&h, GRP + 64, 0);
    assert_int_equal(h_rd64(&h, GRP + 64), 0x22);
    assert_int_equal(h_rd32(&h, WQCFG(1, 2)), 0x71);
    h_wr32(&h, WQCFG(1, 2), 0x10);
    h_wr32(&h, WQCFG(1, 0), 4);
    assert_int_equal(h_rd32(&h, WQCFG(1, 2)), 0x71);
    assert_int_equal(h_rd32(&h, WQCFG(1, 0)), 16);
    /* GENCFG stays writable while disabled (6.12 sets user_int_en). */
    h_wr32(&h, VIDXD_REG_GENCFG, VIDXD_GENCFG_USER_INT_EN);
    assert_int_equal(h_rd32(&h, VIDXD_REG_GENCFG), VIDXD_GENCFG_USER_INT_EN);
    h_fini(&h);
}

static void
test_wqcfg_rules(void **state)
{
    struct harness h;
    unsigned d;

    (void)state;
    h_init(&h, NULL);
    for (d = 0; d < 8; d++) {
        h_wr32(&h, WQCFG(2, d), 0xffffffff);
    }
    assert_int_equal(h_rd32(&h, WQCFG(2, 0)), 0xffff);
    assert_int_equal(h_rd32(&h, WQCFG(2, 1)), 0xffff);
    /* mode, bof, priority, pasid, pasid_en, priv; ats(2)/prs(3)/30-31 rsvd */
    assert_int_equal(h_rd32(&h, WQCFG(2, 2)), 0x3ffffff3);
    assert_int_equal(h_rd32(&h, WQCFG(2, 3)), 0x1ff);
    assert_int_equal(h_rd32(&h, WQCFG(2, 4)), 0);
    assert_int_equal(h_rd32(&h, WQCFG(2, 5)), 0);
    /* dword 6: occupancy 0, mode_support 1, state disabled; RO. */
    assert_int_equal(h_rd32(&h, WQCFG(2, 6)), VIDXD_WQCFG_MODE_SUPPORT);
    assert_int_equal(h_rd32(&h, WQCFG(2, 7)), 0);
    /* 64-bit access covers two dwords. */
    assert_int_equal(h_rd64(&h, WQCFG(2, 0)), 0x0000ffff0000ffffull);
    h_wr64(&h, WQCFG(2, 0), 0x0000000400000010ull);
    assert_int_equal(h_rd32(&h, WQCFG(2, 0)), 16);
    assert_int_equal(h_rd32(&h, WQCFG(2, 1)), 4);
    /* Enabled WQ: WQCFG frozen; another disabled WQ stays writable. */
    h_quick_enable(&h, 0, 16);
    assert_int_equal(h_rd32(&h, WQCFG(0, 6)),
                     VIDXD_WQCFG_MODE_SUPPORT | (1u << 30));
    h_wr32(&h, WQCFG(0, 0), 8);
    h_wr32(&h, WQCFG(0, 2), 0);
    assert_int_equal(h_rd32(&h, WQCFG(0, 0)), 16);
    assert_int_equal(h_rd32(&h, WQCFG(0, 2)), 0x11);
    h_wr32(&h, WQCFG(1, 0), 8);
    assert_int_equal(h_rd32(&h, WQCFG(1, 0)), 8);
    /* RESET_WQ clears it (reads back clean). */
    assert_int_equal(h_cmd(&h, CMD(VIDXD_CMD_RESET_WQ, 1)), 0);
    for (d = 0; d < 8; d++) {
        assert_int_equal(h_rd32(&h, WQCFG(0, d)),
                         d == 6 ? VIDXD_WQCFG_MODE_SUPPORT : 0);
    }
    /* And RESET_DEVICE clears every WQCFG and GRPCFG. */
    assert_int_equal(h_cmd(&h, CMD(VIDXD_CMD_RESET_DEVICE, 0)), 0);
    assert_int_equal(h_rd64(&h, WQCFG(2, 0)), 0);
    assert_int_equal(h_rd64(&h, GRP), 0);
    h_fini(&h);
}

static void
test_msixperm(void **state)
{
    struct harness h;

    (void)state;
    h_init(&h, NULL);
    h_wr64(&h, PERM(1), ~0ull);
    assert_int_equal(h_rd64(&h, PERM(1)), 0xfffff00c);
    h_quick_enable(&h, 0, 16);
    h_wr32(&h, PERM(8), (5u << 12) | VIDXD_MSIXPERM_PASID_EN);
    assert_int_equal(h_rd32(&h, PERM(8)), 0x5008);
    h_wr32(&h, PERM(8), 0);
    assert_int_equal(h_rd32(&h, PERM(8)), 0);
    /* Entry 9 does not exist (9 vectors): reserved. */
    h_wr32(&h, PERM(9), 0x4);
    assert_int_equal(h_rd32(&h, PERM(9)), 0);
    h_fini(&h);
}

/* ---- commands ---------------------------------------------------------- */

static void
test_enable_device_errors(void **state)
{
    struct harness h;

    (void)state;
    h_init(&h, NULL);
    assert_int_equal(h_cmd(&h, CMD(VIDXD_CMD_ENABLE_DEVICE, 0)),
                     VIDXD_CMDSTS_BUSMASTER_EN);
    vidxd_dsa_set_bus_master(h.dsa, true);
    /* Sum of WQ sizes 9 x ... > 128. */
    h_wr32(&h, WQCFG(0, 0), 100);
    h_wr32(&h, WQCFG(1, 0), 29);
    assert_int_equal(h_cmd(&h, CMD(VIDXD_CMD_ENABLE_DEVICE, 0)),
                     VIDXD_CMDSTS_WQ_SIZE_ERANGE);
    h_wr32(&h, WQCFG(1, 0), 28);
    /* WQ 1 in groups 0 and 2. */
    h_wr64(&h, GRP, 0x3);
    h_wr64(&h, GRP + 0x20, 0x1);
    h_wr64(&h, GRP + 128, 0x2);
    h_wr64(&h, GRP + 128 + 0x20, 0x2);
    assert_int_equal(h_cmd(&h, CMD(VIDXD_CMD_ENABLE_DEVICE, 0)),
                     VIDXD_CMDSTS_GRP_CONFIG);
    /* Engine 0 in groups 0 and 2. */
    h_wr64(&h, GRP + 128, 0x4);
    h_wr64(&h, GRP + 128 + 0x20, 0x1);
    assert_int_equal(h_cmd(&h, CMD(VIDXD_CMD_ENABLE_DEVICE, 0)),
                     VIDXD_CMDSTS_GRP_CONFIG2);
    /* Group 2 has a WQ and no engine. */
    h_wr64(&h, GRP + 128 + 0x20, 0);
    assert_int_equal(h_cmd(&h, CMD(VIDXD_CMD_ENABLE_DEVICE, 0)),
                     VIDXD_CMDSTS_GRP_CONFIG3);
    h_wr64(&h, GRP + 128, 0);
    /* Read buffers reserved 2 x 50 > 96. */
    h_wr64(&h, GRP + 0x28, 50u << 8);
    h_wr64(&h, GRP + 64 + 0x28, 50u << 8);
    assert_int_equal(h_cmd(&h, CMD(VIDXD_CMD_ENABLE_DEVICE, 0)),
                     VIDXD_CMDSTS_GRP_CONFIG4);
    h_wr64(&h, GRP + 64 + 0x28, 0);
    /* GENCFG.rdbuf_limit above the total. */
    h_wr32(&h, VIDXD_REG_GENCFG, 97);
    assert_int_equal(h_cmd(&h, CMD(VIDXD_CMD_ENABLE_DEVICE, 0)),
                     VIDXD_CMDSTS_DEV_CONFIG);
    h_wr32(&h, VIDXD_REG_GENCFG, 96);
    assert_int_equal(h_rd32(&h, VIDXD_REG_GENSTS), 0);
    assert_int_equal(h_cmd(&h, CMD(VIDXD_CMD_ENABLE_DEVICE, 0)), 0);
    assert_int_equal(h_rd32(&h, VIDXD_REG_GENSTS), VIDXD_GENSTS_ENABLED);
    assert_int_equal(h_cmd(&h, CMD(VIDXD_CMD_ENABLE_DEVICE, 0)),
                     VIDXD_CMDSTS_DEV_ENABLED);
    h_fini(&h);
}

static void
set_wq(struct harness *h, unsigned wq, uint32_t size, uint32_t mode,
       uint32_t shifts)
{
    h_wr32(h, WQCFG(wq, 0), size);
    h_wr32(h, WQCFG(wq, 2), mode);
    h_wr32(h, WQCFG(wq, 3), shifts);
}

static void
test_enable_wq_errors(void **state)
{
    struct vidxd_dsa_config cfg;
    struct harness h;
    const uint32_t ded = VIDXD_WQCFG_MODE_DEDICATED | (1u << 4);

    (void)state;
    vidxd_dsa_config_default(&cfg);
    cfg.max_xfer_shift = 20;
    cfg.pasid = false;
    cfg.gencap_features &= ~VIDXD_GENCAP_BLOCK_ON_FAULT;
    h_init(&h, &cfg);
    vidxd_dsa_set_bus_master(h.dsa, true);
    assert_int_equal(h_cmd(&h, CMD(VIDXD_CMD_ENABLE_WQ, 0)),
                     VIDXD_CMDSTS_DEV_NOTEN);
    h_wr64(&h, GRP, 0x7f); /* WQ 7 in no group */
    h_wr64(&h, GRP + 0x20, 0x1);
    assert_int_equal(h_cmd(&h, CMD(VIDXD_CMD_ENABLE_DEVICE, 0)), 0);
    assert_int_equal(h_cmd(&h, CMD(VIDXD_CMD_ENABLE_WQ, 8)),
                     VIDXD_CMDSTS_INVAL_WQIDX);
    set_wq(&h, 7, 16, ded, 20);
    assert_int_equal(h_cmd(&h, CMD(VIDXD_CMD_ENABLE_WQ, 7)),
                     VIDXD_CMDSTS_DEV_CONFIG);
    set_wq(&h, 0, 0, ded, 20);
    assert_int_equal(h_cmd(&h, CMD(VIDXD_CMD_ENABLE_WQ, 0)),
                     VIDXD_CMDSTS_WQ_SIZE);
    set_wq(&h, 0, 16, VIDXD_WQCFG_MODE_DEDICATED, 20);
    assert_int_equal(h_cmd(&h, CMD(VIDXD_CMD_ENABLE_WQ, 0)),
                     VIDXD_CMDSTS_WQ_PRIOR);
    set_wq(&h, 0, 16, 1u << 4, 20); /* shared: WQCAP.shared_mode = 0 */
    assert_int_equal(h_cmd(&h, CMD(VIDXD_CMD_ENABLE_WQ, 0)),
                     VIDXD_CMDSTS_WQ_MODE);
    set_wq(&h, 0, 16, ded | VIDXD_WQCFG_BOF, 20);
    assert_int_equal(h_cmd(&h, CMD(VIDXD_CMD_ENABLE_WQ, 0)),
                     VIDXD_CMDSTS_BOF_EN);
    set_wq(&h, 0, 16, ded | VIDXD_WQCFG_PASID_EN, 20);
    assert_int_equal(h_cmd(&h, CMD(VIDXD_CMD_ENABLE_WQ, 0)),
                     VIDXD_CMDSTS_PASID_EN);
    set_wq(&h, 0, 16, ded, 20 | (11u << 5));
    assert_int_equal(h_cmd(&h, CMD(VIDXD_CMD_ENABLE_WQ, 0)),
                     VIDXD_CMDSTS_MAX_BATCH_SIZE);
    set_wq(&h, 0, 16, ded, 21 | (10u << 5));
    assert_int_equal(h_cmd(&h, CMD(VIDXD_CMD_ENABLE_WQ, 0)),
                     VIDXD_CMDSTS_MAX_XFER_SIZE);
    set_wq(&h, 0, 100, ded, 20 | (10u << 5));
    assert_int_equal(h_cmd(&h, CMD(VIDXD_CMD_ENABLE_WQ, 0)), 0);
    assert_int_equal(h_cmd(&h, CMD(VIDXD_CMD_ENABLE_WQ, 0)),
                     VIDXD_CMDSTS_WQ_ENABLED);
    /* Sizes of enabled WQs may not exceed the total either. */
    set_wq(&h, 1, 29, ded, 20);
    assert_int_equal(h_cmd(&h, CMD(VIDXD_CMD_ENABLE_WQ, 1)),
                     VIDXD_CMDSTS_WQ_SIZE);
    set_wq(&h, 1, 28, ded, 20);
    assert_int_equal(h_cmd(&h, CMD(VIDXD_CMD_ENABLE_WQ, 1)), 0);
    h_fini(&h);
}

static void
test_other_command_errors(void **state)
{
    struct harness h;
    uint32_t sts;

    (void)state;
    h_init(&h, NULL);
    vidxd_dsa_set_bus_master(h.dsa, true);
    assert_int_equal(h_cmd(&h, CMD(0, 0)), VIDXD_CMDSTS_INVAL_CMD);
    assert_int_equal(h_cmd(&h, CMD(15, 0)), VIDXD_CMDSTS_INVAL_CMD);
    assert_int_equal(h_cmd(&h, CMD(31, 0)), VIDXD_CMDSTS_INVAL_CMD);
    /* No cmd_cap (SPR): no interrupt-handle commands. */
    assert_int_equal(h_cmd(&h, CMD(VIDXD_CMD_REQUEST_INT_HANDLE, 1)),
                     VIDXD_CMDSTS_INVAL_CMD);
    assert_int_equal(h_cmd(&h, CMD(VIDXD_CMD_RELEASE_INT_HANDLE, 1)),
                     VIDXD_CMDSTS_INVAL_CMD);
    assert_int_equal(h_cmd(&h, CMD(VIDXD_CMD_DISABLE_DEVICE, 0)),
                     VIDXD_CMDSTS_DIS_DEV_EN);
    assert_int_equal(h_cmd(&h, CMD(VIDXD_CMD_DRAIN_ALL, 0)),
                     VIDXD_CMDSTS_DEV_NOT_EN);
    assert_int_equal(h_cmd(&h, CMD(VIDXD_CMD_ABORT_ALL, 0)),
                     VIDXD_CMDSTS_DEV_NOT_EN);
    assert_int_equal(h_cmd(&h, CMD(VIDXD_CMD_DRAIN_PASID, 5)),
                     VIDXD_CMDSTS_DEV_NOT_EN);
    assert_int_equal(h_cmd(&h, CMD(VIDXD_CMD_ABORT_PASID, 5)),
                     VIDXD_CMDSTS_DEV_NOT_EN);
    assert_int_equal(h_cmd(&h, CMD(VIDXD_CMD_DISABLE_WQ, 1)),
                     VIDXD_CMDSTS_DEV_NOT_EN);
    assert_int_equal(h_cmd(&h, CMD(VIDXD_CMD_RESET_WQ, 1)),
                     VIDXD_CMDSTS_DEV_NOT_EN);
    h_quick_enable(&h, 0, 16);
    /* Bitmap operand: bit 8 = WQ 8; [19:16] = 1 selects WQs 16..31. */
    assert_int_equal(h_cmd(&h, CMD(VIDXD_CMD_DISABLE_WQ, 1u << 8)),
                     VIDXD_CMDSTS_INVAL_WQIDX);
    assert_int_equal(h_cmd(&h, CMD(VIDXD_CMD_DRAIN_WQ, (1u << 16) | 1)),
                     VIDXD_CMDSTS_INVAL_WQIDX);
    assert_int_equal(h_cmd(&h, CMD(VIDXD_CMD_DISABLE_WQ, 0x3)),
                     VIDXD_CMDSTS_WQ_NOT_EN);
    assert_int_equal(h_rd32(&h, WQCFG(0, 6)) >> 30, 1); /* untouched */
    assert_int_equal(h_cmd(&h, CMD(VIDXD_CMD_DRAIN_WQ, 0x3)), 0);
    assert_int_equal(h_cmd(&h, CMD(VIDXD_CMD_ABORT_WQ, 0x3)), 0);
    assert_int_equal(h_cmd(&h, CMD(VIDXD_CMD_DRAIN_ALL, 0)), 0);
    assert_int_equal(h_cmd(&h, CMD(VIDXD_CMD_ABORT_ALL, 0)), 0);
    assert_int_equal(h_cmd(&h, CMD(VIDXD_CMD_DRAIN_PASID, 5)), 0);
    assert_int_equal(h_cmd(&h, CMD(VIDXD_CMD_ABORT_PASID, 5)), 0);
    assert_int_equal(h_cmd(&h, CMD(VIDXD_CMD_DISABLE_WQ, 0x1)), 0);
    assert_int_equal(h_rd32(&h, WQCFG(0, 6)) >> 30, 0);
    /* The programmatic entry behaves like the register. */
    assert_int_equal(
        vidxd_dsa_command(h.dsa, CMD(VIDXD_CMD_ENABLE_WQ, 0), &sts), 0);
    assert_int_equal(sts, 0);
    assert_int_equal(h_rd32(&h, VIDXD_REG_CMDSTS), 0);
    assert_int_equal(h_rd32(&h, VIDXD_REG_CMD), CMD(VIDXD_CMD_ENABLE_WQ, 0));
    assert_int_equal(
        vidxd_dsa_command(
            h.dsa, CMD(VIDXD_CMD_ENABLE_WQ, 0) | VIDXD_CMD_INT_REQ, &sts),
        0);
    assert_int_equal(sts, VIDXD_CMDSTS_WQ_ENABLED);
    assert_int_equal(h_rd32(&h, VIDXD_REG_INTCAUSE), VIDXD_INTCAUSE_CMD);
    h_fini(&h);
}

static uint16_t fake_alloc_base = 100;

static int
fake_alloc(void *opaque, unsigned vector, bool ims, uint16_t *handle)
{
    (void)opaque;
    if (vector == 77) {
        return -EINVAL;
    }
    if (vector == 78) {
        return -ENOSPC;
    }
    *handle = (uint16_t)(fake_alloc_base + vector + (ims ? 1000 : 0));
    return 0;
}

static int
fake_release(void *opaque, uint16_t handle, bool ims)
{
    (void)opaque;
    (void)ims;
    return handle >= fake_alloc_base ? 0 : -ENOENT;
}

static void
test_int_handles(void **state)
{
    struct vidxd_dsa_config cfg;
    struct vidxd_dsa_host_ops ops = {.alloc_handle = fake_alloc,
                                     .release_handle = fake_release};
    struct harness h;
    uint32_t sts;

    (void)state;
    vidxd_dsa_config_default(&cfg);
    cfg.cmd_cap = true;
    h_init(&h, &cfg);
    assert_int_equal(h_rd64(&h, VIDXD_REG_GENCAP) & VIDXD_GENCAP_CMD_CAP,
                     VIDXD_GENCAP_CMD_CAP);
    assert_int_equal(h_rd32(&h, VIDXD_REG_CMDCAP), 0x7ffe);
    /* Identity handles; result in CMDSTS[23:8]. */
    sts = h_cmd(&h, CMD(VIDXD_CMD_REQUEST_INT_HANDLE, 3) | VIDXD_CMD_INT_REQ);
    assert_int_equal(sts, 3u << 8);
    assert_int_equal(h_cmd(&h, CMD(VIDXD_CMD_REQUEST_INT_HANDLE, 8)), 8u << 8);
    assert_int_equal(h_cmd(&h, CMD(VIDXD_CMD_REQUEST_INT_HANDLE, 0)),
                     VIDXD_CMDSTS_INVAL_INT_IDX);
    assert_int_equal(h_cmd(&h, CMD(VIDXD_CMD_REQUEST_INT_HANDLE, 9)),
                     VIDXD_CMDSTS_INVAL_INT_IDX);
    assert_int_equal(h_cmd(&h, CMD(VIDXD_CMD_REQUEST_INT_HANDLE,
                                   VIDXD_CMD_INT_HANDLE_IMS | 1)),
                     VIDXD_CMDSTS_NO_HANDLE);
    assert_int_equal(h_cmd(&h, CMD(VIDXD_CMD_RELEASE_INT_HANDLE, 3)), 0);
    assert_int_equal(h_cmd(&h, CMD(VIDXD_CMD_RELEASE_INT_HANDLE, 0)),
                     VIDXD_CMDSTS_INVAL_INT_IDX_RELEASE);
    assert_int_equal(h_cmd(&h, CMD(VIDXD_CMD_RELEASE_INT_HANDLE,
                                   VIDXD_CMD_INT_HANDLE_IMS | 1)),
                     VIDXD_CMDSTS_INVAL_INT_IDX_RELEASE);
    h_fini(&h);

    /* Host-provided handles. */
    h_init_ops(&h, &cfg, &ops);
    assert_int_equal(h_cmd(&h, CMD(VIDXD_CMD_REQUEST_INT_HANDLE, 1)),
                     101u << 8);
    assert_int_equal(h_cmd(&h, CMD(VIDXD_CMD_REQUEST_INT_HANDLE,
                                   VIDXD_CMD_INT_HANDLE_IMS | 5)),
                     1105u << 8);
    assert_int_equal(h_cmd(&h, CMD(VIDXD_CMD_REQUEST_INT_HANDLE, 77)),
                     VIDXD_CMDSTS_INVAL_INT_IDX);
    assert_int_equal(h_cmd(&h, CMD(VIDXD_CMD_REQUEST_INT_HANDLE, 78)),
                     VIDXD_CMDSTS_NO_HANDLE);
    assert_int_equal(h_cmd(&h, CMD(VIDXD_CMD_RELEASE_INT_HANDLE, 101)), 0);
    assert_int_equal(h_cmd(&h, CMD(VIDXD_CMD_RELEASE_INT_HANDLE, 3)),
                     VIDXD_CMDSTS_INVAL_INT_IDX_RELEASE);
    h_fini(&h);
}

/* ---- errors, SWERR, HALT ---------------------------------------------- */

static void
test_swerr_overflow(void **state)
{
    struct harness h;
    struct vidxd_desc d;
    struct vidxd_dsa_wq_stats st;
    uint64_t q0;

    (void)state;
    h_init(&h, NULL);
    h_quick_enable(&h, 0, 16);
    memset(&d, 0, sizeof(d));
    d.flags_opcode = (uint32_t)VIDXD_OP_MEMFILL << 24;
    d.pasid_priv = 0x1234;
    /* A descriptor for disabled WQ 2: dropped and reported (vidxd 0x53),
     * without interrupt while softerr_int_en is clear. */
    assert_int_equal(vidxd_dsa_wq_submit(h.dsa, 2, &d, 0), -ENXIO);
    q0 = h_rd64(&h, VIDXD_REG_SWERR);
    assert_int_equal(q0, VIDXD_SWERR_VALID | VIDXD_SWERR_DESC_VALID |
                             VIDXD_SWERR_WQ_IDX_VALID | (0x53ull << 8) |
                             (2ull << 16) | (4ull << 32) | (0x1234ull << 40));
    assert_int_equal(h.nirq, 0);
    assert_int_equal(h_rd32(&h, VIDXD_REG_INTCAUSE), 0);
    /* A second error keeps the first and sets OVERFLOW; now interrupt. */
    h_wr32(&h, VIDXD_REG_GENCTRL, VIDXD_GENCTRL_SOFTERR_INT_EN);
    assert_int_equal(vidxd_dsa_portal_write(h.dsa, 3 * 0x4000, &d, 64), 0);
    assert_int_equal(h_rd64(&h, VIDXD_REG_SWERR), q0 | VIDXD_SWERR_OVERFLOW);
    assert_int_equal(h_rd32(&h, VIDXD_REG_INTCAUSE), VIDXD_INTCAUSE_ERR);
    assert_int_equal(h.msix[0], 1);
    assert_int_equal(vidxd_dsa_wq_stats(h.dsa, 3, &st), 0);
    assert_int_equal(st.dropped, 1);
    assert_int_equal(vidxd_dsa_wq_stats(h.dsa, 8, &st), -EINVAL);
    /* Only VALID and OVERFLOW are writable, and only to clear. */
    h_wr64(&h, VIDXD_REG_SWERR, ~0ull & ~3ull);
    h_wr64(&h, VIDXD_REG_SWERR + 16, 0x1234);
    assert_int_equal(h_rd64(&h, VIDXD_REG_SWERR), q0 | VIDXD_SWERR_OVERFLOW);
    h_wr32(&h, VIDXD_REG_SWERR, VIDXD_SWERR_OVERFLOW);
    assert_int_equal(h_rd64(&h, VIDXD_REG_SWERR), q0);
    h_wr32(&h, VIDXD_REG_SWERR, VIDXD_SWERR_VALID);
    assert_int_equal(h_rd64(&h, VIDXD_REG_SWERR), q0 & ~VIDXD_SWERR_VALID);
    /* With VALID clear the next error is recorded afresh. */
    assert_int_equal(vidxd_dsa_wq_submit(h.dsa, 5, &d, 0), -ENXIO);
    assert_int_equal((h_rd64(&h, VIDXD_REG_SWERR) >> 16) & 0xff, 5);
    assert_int_equal(h_rd64(&h, VIDXD_REG_SWERR) & VIDXD_SWERR_OVERFLOW, 0);
    h_fini(&h);
}

static void
test_halt_on_bme_clear(void **state)
{
    struct harness h;
    struct vidxd_desc d;
    uint64_t q0;

    (void)state;
    h_init(&h, NULL);
    h_quick_enable(&h, 0, 16);
    h_wr32(&h, VIDXD_REG_GENCTRL, 3);
    vidxd_dsa_set_bus_master(h.dsa, false);
    assert_int_equal(h_rd32(&h, VIDXD_REG_GENSTS),
                     VIDXD_GENSTS_HALT | (VIDXD_GENSTS_RESET_FLR << 2));
    q0 = h_rd64(&h, VIDXD_REG_SWERR);
    assert_int_equal(q0, VIDXD_SWERR_VALID | (0x51ull << 8));
    assert_int_equal(h_rd32(&h, VIDXD_REG_INTCAUSE),
                     VIDXD_INTCAUSE_ERR | VIDXD_INTCAUSE_HALT_STATE);
    assert_int_equal(h.msix[0], 1);
    assert_int_equal(h_rd32(&h, WQCFG(0, 6)) >> 30, 0);
    /* Everything but RESET_DEVICE fails with HW_ERR. */
    assert_int_equal(h_cmd(&h, CMD(VIDXD_CMD_ENABLE_DEVICE, 0)),
                     VIDXD_CMDSTS_HW_ERR);
    assert_int_equal(h_cmd(&h, CMD(VIDXD_CMD_DISABLE_DEVICE, 0)),
                     VIDXD_CMDSTS_HW_ERR);
    assert_int_equal(h_cmd(&h, CMD(VIDXD_CMD_ENABLE_WQ, 0)),
                     VIDXD_CMDSTS_HW_ERR);
    assert_int_equal(h_cmd(&h, CMD(VIDXD_CMD_ABORT_ALL, 0)),
                     VIDXD_CMDSTS_HW_ERR);
    /* Invalid commands are still invalid. */
    assert_int_equal(h_cmd(&h, CMD(0, 0)), VIDXD_CMDSTS_INVAL_CMD);
    /* Portal writes are dropped with no further SWERR. */
    memset(&d, 0, sizeof(d));
    d.flags_opcode = VIDXD_FLAG_RCI;
    assert_int_equal(vidxd_dsa_wq_submit(h.dsa, 0, &d, 0), -ENXIO);
    assert_int_equal(h_rd64(&h, VIDXD_REG_SWERR), q0);
    /* Setting BME again does not leave HALT; RESET_DEVICE does. */
    vidxd_dsa_set_bus_master(h.dsa, true);
    assert_int_equal(h_rd32(&h, VIDXD_REG_GENSTS) & 3, VIDXD_GENSTS_HALT);
    assert_int_equal(h_cmd(&h, CMD(VIDXD_CMD_RESET_DEVICE, 0)), 0);
    assert_int_equal(h_rd32(&h, VIDXD_REG_GENSTS), VIDXD_GENSTS_DISABLED);
    h_quick_enable(&h, 0, 16);
    /* Clearing BME while disabled does not halt. */
    assert_int_equal(h_cmd(&h, CMD(VIDXD_CMD_DISABLE_DEVICE, 0)), 0);
    vidxd_dsa_set_bus_master(h.dsa, false);
    assert_int_equal(h_rd32(&h, VIDXD_REG_GENSTS), VIDXD_GENSTS_DISABLED);
    h_fini(&h);
}

/* A CMD write while a command is running: SWERR 0x52, command not run.
 * Reached deterministically from a completion interrupt raised while
 * DRAIN_WQ executes the mapped portal's descriptors. */
static void
hook_write_cmd(struct harness *h, unsigned index, bool ims)
{
    (void)ims;
    if (index == 1) {
        h_wr32(h, VIDXD_REG_CMD, CMD(VIDXD_CMD_DISABLE_DEVICE, 0));
    }
}

static void
test_cmd_while_active(void **state)
{
    struct vidxd_dsa_config cfg;
    struct harness h;
    struct vidxd_desc d;
    uint8_t *cr, *bar2;
    int fd;

    (void)state;
    vidxd_dsa_config_default(&cfg);
    cfg.portal_mode = VIDXD_DSA_PORTAL_MAPPED;
    h_init(&h, &cfg);
    h_quick_enable(&h, 0, 16);
    assert_int_equal(vidxd_dsa_portal_fd(h.dsa, &fd), 0);
    bar2 = mmap(NULL, 0x20000, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    assert_true(bar2 != MAP_FAILED);
    cr = h_ptr(&h, 0x100);
    memset(&d, 0, sizeof(d));
    d.flags_opcode = VIDXD_FLAG_CRAV | VIDXD_FLAG_RCR | VIDXD_FLAG_RCI;
    d.completion_addr = h_iova(&h, cr);
    d.int_handle = 1;
    memcpy(bar2, &d, 64);
    h.hook = hook_write_cmd;
    assert_int_equal(h_cmd(&h, CMD(VIDXD_CMD_DRAIN_WQ, 1)), 0);
    h.hook = NULL;
    assert_int_equal(cr[0], VIDXD_STATUS_SUCCESS);
    assert_int_equal(h.msix[1], 1);
    assert_int_equal(h_rd64(&h, VIDXD_REG_SWERR),
                     VIDXD_SWERR_VALID | (0x52ull << 8));
    assert_int_equal(h_rd32(&h, VIDXD_REG_GENSTS), VIDXD_GENSTS_ENABLED);
    munmap(bar2, 0x20000);
    h_fini(&h);
}

static void
test_reset_to_power_on(void **state)
{
    struct harness h;
    struct vidxd_dsa *fresh;
    struct vidxd_dsa_config cfg;
    uint64_t off, a, b;

    (void)state;
    h_init(&h, NULL);
    h_quick_enable(&h, 1, 16);
    h_wr32(&h, VIDXD_REG_GENCTRL, 3);
    h_wr32(&h, PERM(2), VIDXD_MSIXPERM_IGNORE);
    h_wr32(&h, VIDXD_REG_CMD,
           CMD(VIDXD_CMD_ENABLE_DEVICE, 0) | VIDXD_CMD_INT_REQ);
    assert_int_not_equal(h_rd32(&h, VIDXD_REG_INTCAUSE), 0);
    vidxd_dsa_reset(h.dsa);
    vidxd_dsa_config_default(&cfg);
    assert_int_equal(vidxd_dsa_create(&cfg, NULL, NULL, &fresh), 0);
    for (off = 0; off < 0x2000; off += 8) {
        assert_int_equal(vidxd_dsa_bar0_read(h.dsa, off, 8, &a), 0);
        assert_int_equal(vidxd_dsa_bar0_read(fresh, off, 8, &b), 0);
        assert_int_equal(a, b);
    }
    vidxd_dsa_destroy(fresh);
    /* FLR clears bus mastering. */
    assert_int_equal(h_cmd(&h, CMD(VIDXD_CMD_ENABLE_DEVICE, 0)),
                     VIDXD_CMDSTS_BUSMASTER_EN);
    h_fini(&h);
}

/* ---- host tables ------------------------------------------------------- */

static struct {
    unsigned table;
    uint64_t off;
    unsigned size;
    uint64_t val;
    unsigned reads, writes;
} tab;

static int
tab_read(void *opaque, unsigned table, uint64_t off, unsigned size,
         uint64_t *val)
{
    (void)opaque;
    tab.table = table;
    tab.off = off;
    tab.size = size;
    tab.reads++;
    *val = 0xabcd;
    return table == VIDXD_DSA_TABLE_PBA && off == 0 && size == 1 ? -EIO : 0;
}

static int
tab_write(void *opaque, unsigned table, uint64_t off, unsigned size,
          uint64_t val)
{
    (void)opaque;
    tab.table = table;
    tab.off = off;
    tab.size = size;
    tab.val = val;
    tab.writes++;
    return 0;
}

static void
test_table_forwarding(void **state)
{
    struct vidxd_dsa_host_ops ops = {.table_read = tab_read,
                                     .table_write = tab_write};
    struct harness h;
    uint64_t v;

    (void)state;
    memset(&tab, 0, sizeof(tab));
    h_init_ops(&h, NULL, &ops);
    assert_int_equal(h_rd32(&h, 0x2000 + 16 * 3 + 12), 0xabcd);
    assert_int_equal(tab.table, VIDXD_DSA_TABLE_MSIX);
    assert_int_equal(tab.off, 60);
    assert_int_equal(tab.size, 4);
    h_wr64(&h, 0x2000 + 16 * 8, 0xfee00000ull);
    assert_int_equal(tab.table, VIDXD_DSA_TABLE_MSIX);
    assert_int_equal(tab.off, 128);
    assert_int_equal(tab.val, 0xfee00000ull);
    assert_int_equal(tab.writes, 1);
    /* Past the 9 MSI-X entries: reserved, not forwarded. */
    assert_int_equal(h_rd32(&h, 0x2000 + 16 * 9), 0);
    h_wr32(&h, 0x2000 + 16 * 9, 1);
    assert_int_equal(tab.writes, 1);
    assert_int_equal(h_rd64(&h, 0x3000), 0xabcd);
    assert_int_equal(tab.table, VIDXD_DSA_TABLE_PBA);
    assert_int_equal(h_rd64(&h, 0x3008), 0);
    assert_int_equal(vidxd_dsa_bar0_read(h.dsa, 0x3000, 1, &v), -EIO);
    h_wr32(&h, 0x4000 + 2047 * 16 + 12, 1);
    assert_int_equal(tab.table, VIDXD_DSA_TABLE_IMS);
    assert_int_equal(tab.off, 2047 * 16 + 12);
    assert_int_equal(tab.val, 1);
    assert_int_equal(vidxd_dsa_bar0_read(h.dsa, 0x4000 + 16, 2, &v), 0);
    assert_int_equal(tab.size, 2);
    h_fini(&h);
    /* Without table ops: reads 0, writes ignored. */
    h_init(&h, NULL);
    h_wr32(&h, 0x2000, 0xffffffff);
    assert_int_equal(h_rd32(&h, 0x2000), 0);
    assert_int_equal(h_rd64(&h, 0x4000), 0);
    h_fini(&h);
}

/* ---- data path --------------------------------------------------------- */

static void
test_msixperm_and_handles(void **state)
{
    struct harness h;
    struct vidxd_desc d;
    uint8_t *cr;

    (void)state;
    h_init(&h, NULL);
    h_quick_enable(&h, 0, 16);
    cr = h_ptr(&h, 0x200);
    memset(&d, 0, sizeof(d));
    d.flags_opcode = VIDXD_FLAG_CRAV | VIDXD_FLAG_RCR | VIDXD_FLAG_RCI;
    d.completion_addr = h_iova(&h, cr);
    d.int_handle = 1;
    h_wr32(&h, PERM(1), VIDXD_MSIXPERM_IGNORE);
    assert_int_equal(vidxd_dsa_wq_submit(h.dsa, 0, &d, 0), 0);
    assert_int_equal(cr[0], VIDXD_STATUS_SUCCESS);
    assert_int_equal(h.nirq, 0);
    h_wr32(&h, PERM(1), 0);
    cr[0] = 0;
    assert_int_equal(vidxd_dsa_wq_submit(h.dsa, 0, &d, 0), 0);
    assert_int_equal(cr[0], VIDXD_STATUS_SUCCESS);
    assert_int_equal(h.msix[1], 1);
    /* Through an IMS portal page the handle names an IMS entry. */
    cr[0] = 0;
    assert_int_equal(vidxd_dsa_portal_write(h.dsa, 0x2000 + 64 * 5, &d, 64), 0);
    assert_int_equal(cr[0], VIDXD_STATUS_SUCCESS);
    assert_int_equal(h.ims[1], 1);
    assert_int_equal(h.msix[1], 1);
    /* MSIXPERM.pasid_en admits only its PASID: this WQ has none. */
    h_wr32(&h, PERM(1), (5u << 12) | VIDXD_MSIXPERM_PASID_EN);
    cr[0] = 0;
    assert_int_equal(vidxd_dsa_wq_submit(h.dsa, 0, &d, 0), 0);
    assert_int_equal(cr[0], VIDXD_STATUS_INT_HANDLE_INVAL);
    h_wr32(&h, PERM(1), 0);
    /* Handles past the 9 MSI-X vectors / 2048 IMS entries are invalid. */
    d.int_handle = 9;
    cr[0] = 0;
    assert_int_equal(vidxd_dsa_wq_submit(h.dsa, 0, &d, 0), 0);
    assert_int_equal(cr[0], VIDXD_STATUS_INT_HANDLE_INVAL);
    d.int_handle = 2047;
    cr[0] = 0;
    assert_int_equal(vidxd_dsa_wq_submit(h.dsa, 0, &d, VIDXD_DSA_SUBMIT_IMS),
                     0);
    assert_int_equal(cr[0], VIDXD_STATUS_SUCCESS);
    d.int_handle = 2048;
    cr[0] = 0;
    assert_int_equal(vidxd_dsa_wq_submit(h.dsa, 0, &d, VIDXD_DSA_SUBMIT_IMS),
                     0);
    assert_int_equal(cr[0], VIDXD_STATUS_INT_HANDLE_INVAL);
    assert_int_equal(h.ims[2047], 1);
    assert_int_equal(h.nirq, 3);
    h_fini(&h);
}

static void
test_trapped_pieces_any_order(void **state)
{
    static const unsigned order8[8] = {7, 2, 5, 0, 6, 1, 4, 3};
    struct harness h;
    struct vidxd_desc d;
    uint8_t *src, *dst, *cr, junk[64];
    uint64_t slot = 0x1000 + 64 * 9, slot2 = 0x1000 + 64 * 10;
    unsigned i;

    (void)state;
    h_init(&h, NULL);
    h_quick_enable(&h, 0, 16);
    src = h_ptr(&h, 0x1000);
    dst = h_ptr(&h, 0x2000);
    cr = h_ptr(&h, 0x3000);
    memset(src, 0xa5, 256);
    h_memmove_desc(&d, h_iova(&h, src), h_iova(&h, dst), 256, h_iova(&h, cr),
                   VIDXD_FLAG_CRAV | VIDXD_FLAG_RCR | VIDXD_FLAG_RCI, 1);
    /* Junk first: overwritten bytes count once and the last value wins. */
    memset(junk, 0xee, sizeof(junk));
    assert_int_equal(vidxd_dsa_portal_write(h.dsa, slot + 32, junk, 32), 0);
    /* 8-byte pieces out of order, interleaved with another slot's pieces. */
    for (i = 0; i < 8; i++) {
        assert_int_equal(vidxd_dsa_portal_write(h.dsa, slot + 8 * order8[i],
                                                (uint8_t *)&d + 8 * order8[i],
                                                8),
                         0);
        if (i < 4) {
            assert_int_equal(
                vidxd_dsa_portal_write(h.dsa, slot2 + 16 * i, junk, 16), 0);
        }
        if (i < 7) {
            assert_int_equal(cr[0], 0);
        }
    }
    assert_int_equal(cr[0], VIDXD_STATUS_SUCCESS);
    assert_memory_equal(dst, src, 256);
    assert_int_equal(h.msix[1], 1);
    /* Slot 10 got 64 bytes of 0xee (a bad descriptor whose record address
     * is unmapped, so its error lands in SWERR): assembled and executed
     * exactly once, like the good one. */
    {
        struct vidxd_dsa_wq_stats st;
        assert_int_equal(vidxd_dsa_wq_stats(h.dsa, 0, &st), 0);
        assert_int_equal(st.submitted, 2);
        assert_int_equal(st.ops, 2);
    }
    /* Mixed 32/16/8/4/2/1-byte pieces, highest first. */
    cr[0] = 0;
    memset(dst, 0, 256);
    assert_int_equal(
        vidxd_dsa_portal_write(h.dsa, slot + 32, (uint8_t *)&d + 32, 32), 0);
    assert_int_equal(
        vidxd_dsa_portal_write(h.dsa, slot + 16, (uint8_t *)&d + 16, 16), 0);
    assert_int_equal(
        vidxd_dsa_portal_write(h.dsa, slot + 8, (uint8_t *)&d + 8, 8), 0);
    assert_int_equal(
        vidxd_dsa_portal_write(h.dsa, slot + 4, (uint8_t *)&d + 4, 4), 0);
    assert_int_equal(
        vidxd_dsa_portal_write(h.dsa, slot + 2, (uint8_t *)&d + 2, 2), 0);
    assert_int_equal(
        vidxd_dsa_portal_write(h.dsa, slot + 1, (uint8_t *)&d + 1, 1), 0);
    assert_int_equal(cr[0], 0);
    assert_int_equal(vidxd_dsa_portal_write(h.dsa, slot, &d, 1), 0);
    assert_int_equal(cr[0], VIDXD_STATUS_SUCCESS);
    assert_memory_equal(dst, src, 256);
    /* Bad portal accesses. */
    assert_int_equal(vidxd_dsa_portal_write(h.dsa, slot + 8, &d, 3), -EINVAL);
    assert_int_equal(vidxd_dsa_portal_write(h.dsa, slot + 8, &d, 16), -EINVAL);
    assert_int_equal(vidxd_dsa_portal_write(h.dsa, slot, &d, 128), -EINVAL);
    assert_int_equal(vidxd_dsa_portal_write(h.dsa, 0x20000, &d, 8), -EINVAL);
    assert_int_equal(vidxd_dsa_portal_write(h.dsa, 0x1fff8, &d, 64), -EINVAL);
    assert_int_equal(vidxd_dsa_portal_write(h.dsa, slot, NULL, 8), -EINVAL);
    assert_int_equal(vidxd_dsa_portal_read(h.dsa, slot, junk, 64), 0);
    assert_int_equal(junk[0] | junk[63], 0);
    assert_int_equal(vidxd_dsa_portal_read(h.dsa, slot + 4, junk, 8), -EINVAL);
    {
        int fd;
        assert_int_equal(vidxd_dsa_portal_fd(h.dsa, &fd), -EOPNOTSUPP);
    }
    h_fini(&h);
}

/* Mapped protocol: qwords 1..7, then qword 0; the poller releases the slot
 * by zeroing it; slots are scanned from the one after the last consumed. */
static void
mapped_put(uint8_t *slot, const struct vidxd_desc *d)
{
    const uint64_t *q = (const uint64_t *)d;
    uint64_t *s = (uint64_t *)slot;
    unsigned j;

    assert_int_equal(__atomic_load_n(&s[0], __ATOMIC_ACQUIRE), 0);
    for (j = 1; j < 8; j++) {
        __atomic_store_n(&s[j], q[j], __ATOMIC_RELAXED);
    }
    __atomic_store_n(&s[0], q[0], __ATOMIC_RELEASE);
}

static void
test_mapped_portal(void **state)
{
    struct vidxd_dsa_config cfg;
    struct harness h;
    struct vidxd_desc d;
    uint8_t *bar2, *page, *dst, *cr;
    static const unsigned slots[4] = {62, 63, 0, 1};
    unsigned i, j;
    int fd;

    (void)state;
    vidxd_dsa_config_default(&cfg);
    cfg.portal_mode = VIDXD_DSA_PORTAL_MAPPED;
    h_init(&h, &cfg);
    h_quick_enable(&h, 1, 16);
    assert_int_equal(vidxd_dsa_portal_fd(h.dsa, &fd), 0);
    bar2 = mmap(NULL, 0x20000, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    assert_true(bar2 != MAP_FAILED);
    page = bar2 + 0x4000 + 0x1000; /* WQ 1, limited MSI-X page */
    dst = h_ptr(&h, 0x8000);
    cr = h_ptr(&h, 0x9000);
    for (i = 0; i < 4; i++) {
        memset(h_ptr(&h, 0x1000 * (i + 1)), 'a' + (int)i, 64);
    }
    /* Consume slots 0..61 so that the next scan starts at 62. */
    for (i = 0; i < 62; i++) {
        memset(&d, 0, sizeof(d));
        d.flags_opcode = VIDXD_FLAG_CRAV; /* NOOP, no record on success */
        d.completion_addr = h_iova(&h, cr);
        mapped_put(page + 64 * i, &d);
    }
    assert_int_equal(vidxd_dsa_process(h.dsa), 62);
    for (i = 0; i < 4; i++) {
        h_memmove_desc(&d, H_IOVA + 0x1000 * (i + 1), h_iova(&h, dst), 64,
                       h_iova(&h, cr + 32 * (i + 1)),
                       VIDXD_FLAG_CRAV | VIDXD_FLAG_RCR | VIDXD_FLAG_RCI, 2);
        mapped_put(page + 64 * slots[i], &d);
    }
    /* A slot whose first qword is zero is not a descriptor. */
    memset(page + 64 * 30 + 8, 0xff, 56);
    assert_int_equal(vidxd_dsa_process(h.dsa), 4);
    for (i = 0; i < 4; i++) {
        assert_int_equal(cr[32 * (i + 1)], VIDXD_STATUS_SUCCESS);
        for (j = 0; j < 8; j++) {
            assert_int_equal(((uint64_t *)(page + 64 * slots[i]))[j], 0);
        }
    }
    /* In submission order, the last copy (from 'd') wins. */
    for (j = 0; j < 64; j++) {
        assert_int_equal(dst[j], 'd');
    }
    assert_int_equal(h.msix[2], 4);
    assert_int_equal(page[64 * 30 + 8], 0xff);
    assert_int_equal(vidxd_dsa_process(h.dsa), 0);
    /* Trapped-style writes still work in mapped mode. */
    h_memmove_desc(&d, H_IOVA + 0x1000, h_iova(&h, dst), 64, h_iova(&h, cr),
                   VIDXD_FLAG_CRAV | VIDXD_FLAG_RCR, 0);
    cr[0] = 0;
    assert_int_equal(vidxd_dsa_portal_write(h.dsa, 0x4000, &d, 64), 0);
    assert_int_equal(cr[0], VIDXD_STATUS_SUCCESS);
    /* DISABLE_WQ executes what still sits in the slots (drain). */
    h_memmove_desc(&d, H_IOVA + 0x1000, h_iova(&h, dst), 64,
                   h_iova(&h, cr + 32 * 6), VIDXD_FLAG_CRAV | VIDXD_FLAG_RCR,
                   0);
    mapped_put(page + 64 * 2, &d);
    assert_int_equal(h_cmd(&h, CMD(VIDXD_CMD_DISABLE_WQ, 1u << 1)), 0);
    assert_int_equal(cr[32 * 6], VIDXD_STATUS_SUCCESS);
    assert_int_equal(h_rd64(&h, VIDXD_REG_SWERR), 0);
    /* A descriptor left in a disabled WQ's portal is dropped at enable. */
    mapped_put(bar2 + 3 * 0x4000, &d);
    cr[0] = 0;
    h_quick_enable(&h, 3, 16);
    assert_int_equal(vidxd_dsa_process(h.dsa), 0);
    assert_int_equal(cr[0], 0);
    assert_int_equal((h_rd64(&h, VIDXD_REG_SWERR) >> 8) & 0xff, 0x53);
    assert_int_equal(((uint64_t *)(bar2 + 3 * 0x4000))[0], 0);
    munmap(bar2, 0x20000);
    h_fini(&h);
}

static void
test_dwq_full_drop(void **state)
{
    struct vidxd_dsa_config cfg;
    struct harness h;
    struct vidxd_desc d;
    struct vidxd_dsa_wq_stats st;
    uint8_t *cr;
    unsigned i;

    (void)state;
    vidxd_dsa_config_default(&cfg);
    cfg.workers = 1;
    h_init(&h, &cfg);
    vidxd_dsa_stop(h.dsa); /* queue without executing */
    h_quick_enable(&h, 0, 4);
    cr = h_ptr(&h, 0x400);
    memset(cr, 0, 32 * 6);
    for (i = 0; i < 6; i++) {
        memset(&d, 0, sizeof(d));
        d.flags_opcode = VIDXD_FLAG_CRAV | VIDXD_FLAG_RCR;
        d.completion_addr = h_iova(&h, cr + 32 * i);
        assert_int_equal(vidxd_dsa_wq_submit(h.dsa, 0, &d, 0),
                         i < 4 ? 0 : -ENOSPC);
    }
    assert_int_equal(h_rd32(&h, WQCFG(0, 6)) & 0xffff, 4); /* occupancy */
    /* The portal drops silently (a posted write cannot fail). */
    assert_int_equal(vidxd_dsa_portal_write(h.dsa, 0x40, &d, 64), 0);
    assert_int_equal(vidxd_dsa_wq_stats(h.dsa, 0, &st), 0);
    assert_int_equal(st.submitted, 4);
    assert_int_equal(st.dropped, 3);
    assert_int_equal(st.ops, 0);
    assert_int_equal(h_rd64(&h, VIDXD_REG_SWERR), 0);
    assert_int_equal(vidxd_dsa_process(h.dsa), 4);
    for (i = 0; i < 6; i++) {
        assert_int_equal(cr[32 * i], i < 4 ? VIDXD_STATUS_SUCCESS : 0);
    }
    assert_int_equal(h_rd32(&h, WQCFG(0, 6)) & 0xffff, 0);
    /* ABORT_WQ discards queued descriptors without records. */
    for (i = 0; i < 3; i++) {
        d.completion_addr = h_iova(&h, cr + 32 * i);
        cr[32 * i] = 0;
        assert_int_equal(vidxd_dsa_wq_submit(h.dsa, 0, &d, 0), 0);
    }
    assert_int_equal(h_cmd(&h, CMD(VIDXD_CMD_ABORT_WQ, 1)), 0);
    assert_int_equal(vidxd_dsa_process(h.dsa), 0);
    assert_int_equal(cr[0] | cr[32] | cr[64], 0);
    assert_int_equal(vidxd_dsa_wq_stats(h.dsa, 0, &st), 0);
    assert_int_equal(st.aborted, 3);
    /* DRAIN_WQ executes what is queued before it completes. */
    for (i = 0; i < 2; i++) {
        assert_int_equal(vidxd_dsa_wq_submit(h.dsa, 0, &d, 0), 0);
    }
    assert_int_equal(h_cmd(&h, CMD(VIDXD_CMD_DRAIN_WQ, 1)), 0);
    assert_int_equal(vidxd_dsa_wq_stats(h.dsa, 0, &st), 0);
    assert_int_equal(st.ops, 6);
    /* DISABLE_DEVICE drains too. */
    assert_int_equal(vidxd_dsa_wq_submit(h.dsa, 0, &d, 0), 0);
    assert_int_equal(h_cmd(&h, CMD(VIDXD_CMD_DISABLE_DEVICE, 0)), 0);
    assert_int_equal(vidxd_dsa_wq_stats(h.dsa, 0, &st), 0);
    assert_int_equal(st.ops, 7);
    h_fini(&h);
}

static void
test_shared_wq(void **state)
{
    struct vidxd_dsa_config cfg;
    struct harness h;
    struct vidxd_desc d;
    struct vidxd_dsa_wq_stats st;
    struct vidxd_as *as7;
    uint8_t *mem7;
    unsigned i;

    (void)state;
    vidxd_dsa_config_default(&cfg);
    cfg.shared_mode = true;
    cfg.workers = 1;
    h_init(&h, &cfg);
    vidxd_dsa_stop(h.dsa);
    assert_true((h_rd64(&h, VIDXD_REG_WQCAP) & VIDXD_WQCAP_SHARED_MODE) != 0);
    vidxd_dsa_set_bus_master(h.dsa, true);
    h_wr64(&h, GRP, 1);
    h_wr64(&h, GRP + 0x20, 1);
    h_wr32(&h, WQCFG(0, 0), 8);
    h_wr32(&h, WQCFG(0, 1), 4);
    h_wr32(&h, WQCFG(0, 3), 31 | (10u << 5));
    /* Shared without pasid_en is refused; threshold above size too. */
    h_wr32(&h, WQCFG(0, 2), 1u << 4);
    assert_int_equal(h_cmd(&h, CMD(VIDXD_CMD_ENABLE_DEVICE, 0)), 0);
    assert_int_equal(h_cmd(&h, CMD(VIDXD_CMD_ENABLE_WQ, 0)),
                     VIDXD_CMDSTS_PASID_EN);
    h_wr32(&h, WQCFG(0, 2), (1u << 4) | VIDXD_WQCFG_PASID_EN | (5u << 8));
    h_wr32(&h, WQCFG(0, 1), 9);
    assert_int_equal(h_cmd(&h, CMD(VIDXD_CMD_ENABLE_WQ, 0)),
                     VIDXD_CMDSTS_WQ_SIZE);
    h_wr32(&h, WQCFG(0, 1), 4);
    assert_int_equal(h_cmd(&h, CMD(VIDXD_CMD_ENABLE_WQ, 0)), 0);

    /* Descriptors carry PASID 7, whose space holds other memory. */
    mem7 = mmap(NULL, 0x10000, PROT_READ | PROT_WRITE,
                MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(mem7 != MAP_FAILED);
    assert_int_equal(vidxd_as_create(7, &as7), 0);
    assert_int_equal(vidxd_as_map(as7, H_IOVA, 0x10000, mem7,
                                  VIDXD_MEM_READ | VIDXD_MEM_WRITE),
                     0);
    assert_int_equal(vidxd_dsa_attach_pasid_as(h.dsa, 7, as7), 0);
    assert_int_equal(vidxd_dsa_attach_pasid_as(h.dsa, 7, as7), -EEXIST);
    assert_int_equal(vidxd_dsa_attach_pasid_as(h.dsa, 1u << 20, as7), -EINVAL);
    assert_int_equal(vidxd_dsa_attach_pasid_as(h.dsa, 8, NULL), -EINVAL);
    memset(mem7, 0x77, 64);
    h_memmove_desc(&d, H_IOVA, H_IOVA + 0x1000, 64, H_IOVA + 0x2000,
                   VIDXD_FLAG_CRAV | VIDXD_FLAG_RCR, 0);
    d.pasid_priv = 7;
    /* Limited portal: threshold 4; unlimited: size 8; then retry. */
    for (i = 0; i < 5; i++) {
        assert_int_equal(
            vidxd_dsa_wq_submit(h.dsa, 0, &d, VIDXD_DSA_SUBMIT_LIMITED),
            i < 4 ? 0 : -EAGAIN);
    }
    for (i = 0; i < 5; i++) {
        assert_int_equal(vidxd_dsa_wq_submit(h.dsa, 0, &d, 0),
                         i < 4 ? 0 : -EAGAIN);
    }
    assert_int_equal(vidxd_dsa_wq_stats(h.dsa, 0, &st), 0);
    assert_int_equal(st.submitted, 8);
    assert_int_equal(st.rejected, 2);
    assert_int_equal(st.dropped, 0);
    assert_int_equal(vidxd_dsa_process(h.dsa), 8);
    assert_int_equal(mem7[0x2000], VIDXD_STATUS_SUCCESS);
    assert_int_equal(mem7[0x1000], 0x77);
    assert_int_equal(h.mem[0x1000], 0); /* the default space is untouched */
    /* ABORT_PASID drops only that PASID's descriptors. */
    d.pasid_priv = 9;
    assert_int_equal(vidxd_dsa_wq_submit(h.dsa, 0, &d, 0), 0);
    d.pasid_priv = 7;
    mem7[0x2000] = 0;
    assert_int_equal(vidxd_dsa_wq_submit(h.dsa, 0, &d, 0), 0);
    assert_int_equal(h_cmd(&h, CMD(VIDXD_CMD_ABORT_PASID, 9)), 0);
    assert_int_equal(vidxd_dsa_process(h.dsa), 1);
    assert_int_equal(mem7[0x2000], VIDXD_STATUS_SUCCESS);
    /* PASID 9 has no space: its record cannot be written -> SWERR with
     * the WQ and PASID. */
    d.pasid_priv = 9;
    assert_int_equal(vidxd_dsa_wq_submit(h.dsa, 0, &d, 0), 0);
    assert_int_equal(vidxd_dsa_process(h.dsa), 1);
    {
        uint64_t q0 = h_rd64(&h, VIDXD_REG_SWERR);
        assert_true((q0 & VIDXD_SWERR_VALID) != 0);
        assert_true((q0 & VIDXD_SWERR_WQ_IDX_VALID) != 0);
        assert_int_equal((q0 >> 16) & 0xff, 0);
        assert_int_equal((q0 >> 32) & 0xff, VIDXD_OP_MEMMOVE);
        assert_int_equal((q0 >> 40) & 0xfffff, 9);
    }
    assert_int_equal(vidxd_dsa_detach_pasid_as(h.dsa, 7), 0);
    assert_int_equal(vidxd_dsa_detach_pasid_as(h.dsa, 7), -ENOENT);
    h_fini(&h);
    vidxd_as_destroy(as7);
    munmap(mem7, 0x10000);
}

static void
test_address_spaces(void **state)
{
    struct harness h;
    struct vidxd_desc d;
    struct vidxd_as *as5;
    uint8_t *mem5;

    (void)state;
    h_init(&h, NULL);
    h_quick_enable(&h, 0, 16);
    memset(h.mem, 0x11, 64);
    h_memmove_desc(&d, H_IOVA, H_IOVA + 0x1000, 64, H_IOVA + 0x2000,
                   VIDXD_FLAG_CRAV | VIDXD_FLAG_RCR, 0);
    d.pasid_priv = 5; /* ignored by a dedicated WQ without pasid_en */
    assert_int_equal(vidxd_dsa_wq_submit(h.dsa, 0, &d, 0), 0);
    assert_int_equal(h.mem[0x2000], VIDXD_STATUS_SUCCESS);
    assert_int_equal(h.mem[0x1000], 0x11);
    /* No space at all: even the record faults -> SWERR. */
    assert_int_equal(vidxd_dsa_set_as(h.dsa, NULL), 0);
    assert_int_equal(vidxd_dsa_wq_submit(h.dsa, 0, &d, 0), 0);
    assert_true((h_rd64(&h, VIDXD_REG_SWERR) & VIDXD_SWERR_VALID) != 0);
    h_wr32(&h, VIDXD_REG_SWERR, 3);
    assert_int_equal(vidxd_dsa_set_as(h.dsa, h.as), 0);
    /* A DWQ with pasid_en uses the space of WQCFG.pasid. */
    mem5 = mmap(NULL, 0x10000, PROT_READ | PROT_WRITE,
                MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(mem5 != MAP_FAILED);
    assert_int_equal(vidxd_as_create(5, &as5), 0);
    assert_int_equal(vidxd_as_map(as5, H_IOVA, 0x10000, mem5,
                                  VIDXD_MEM_READ | VIDXD_MEM_WRITE),
                     0);
    assert_int_equal(vidxd_dsa_attach_pasid_as(h.dsa, 5, as5), 0);
    h_wr32(&h, WQCFG(1, 0), 16);
    h_wr32(&h, WQCFG(1, 2), 0x11 | VIDXD_WQCFG_PASID_EN | (5u << 8));
    h_wr32(&h, WQCFG(1, 3), 31 | (10u << 5));
    assert_int_equal(h_cmd(&h, CMD(VIDXD_CMD_ENABLE_WQ, 1)), 0);
    memset(mem5, 0x55, 64);
    d.pasid_priv = 0;
    assert_int_equal(vidxd_dsa_wq_submit(h.dsa, 1, &d, 0), 0);
    assert_int_equal(mem5[0x2000], VIDXD_STATUS_SUCCESS);
    assert_int_equal(mem5[0x1000], 0x55);
    h_fini(&h);
    vidxd_as_destroy(as5);
    munmap(mem5, 0x10000);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_caps_default),
        cmocka_unit_test(test_create_rejects_bad_config),
        cmocka_unit_test(test_read_only_registers),
        cmocka_unit_test(test_access_sizes),
        cmocka_unit_test(test_reserved_offsets),
        cmocka_unit_test(test_gencfg_genctrl),
        cmocka_unit_test(test_intcause_w1c_and_int_req),
        cmocka_unit_test(test_cmd_piecewise_write),
        cmocka_unit_test(test_grpcfg_rules),
        cmocka_unit_test(test_grpcfg_wqcfg_read_only_mode),
        cmocka_unit_test(test_wqcfg_rules),
        cmocka_unit_test(test_msixperm),
        cmocka_unit_test(test_enable_device_errors),
        cmocka_unit_test(test_enable_wq_errors),
        cmocka_unit_test(test_other_command_errors),
        cmocka_unit_test(test_int_handles),
        cmocka_unit_test(test_swerr_overflow),
        cmocka_unit_test(test_halt_on_bme_clear),
        cmocka_unit_test(test_cmd_while_active),
        cmocka_unit_test(test_reset_to_power_on),
        cmocka_unit_test(test_table_forwarding),
        cmocka_unit_test(test_msixperm_and_handles),
        cmocka_unit_test(test_trapped_pieces_any_order),
        cmocka_unit_test(test_mapped_portal),
        cmocka_unit_test(test_dwq_full_drop),
        cmocka_unit_test(test_shared_wq),
        cmocka_unit_test(test_address_spaces),
    };

    return cmocka_run_group_tests_name("dsa_regs", tests, NULL, NULL);
}
