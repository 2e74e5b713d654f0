/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The DSA physical function over vfio-user, end to end in one process: a
 * VMM-side client drives the daemon's pf glue through a real UNIX socket.
 * Config space as lspci reads it, regions as QEMU maps them, the idxd
 * WQ set-up, descriptors through trapped and mapped portals with their
 * MSI-X eventfds, interrupt handles (cmd_cap), and a VMM reconnecting to a
 * device that kept its state (design.md invariant 1).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "client.h"
#include "daemon/pf.h"
#include "harness.h"
#include "pfutil.h"
#include "vidxd/server.h"

#define SRC 0x10000
#define DST 0x20000
#define CR 0x30000

static void
fill_pattern(uint8_t *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++) {
        p[i] = (uint8_t)(i * 131 + seed);
    }
}

static void
test_config_space(void **state)
{
    struct pfu u;
    uint32_t v = 0;
    uint16_t ctrl = 0;
    uint8_t ptr = 0, id = 0;

    (void)state;
    assert_int_equal(pfu_start(&u, NULL), 0);
    assert_int_equal(client_read32(u.c, VIDXD_PCI_REGION_CONFIG, 0, &v), 0);
    assert_int_equal(v, 0x0b258086);
    assert_int_equal(client_read32(u.c, VIDXD_PCI_REGION_CONFIG, 8, &v), 0);
    assert_int_equal(v >> 8, 0x088000);
    /* Walk the capability list to MSI-X: table size = num_wqs + 1 = 9. */
    assert_int_equal(client_region_read(u.c, VIDXD_PCI_REGION_CONFIG, 0x34,
                                        &ptr, 1), 0);
    while (ptr != 0) {
        assert_int_equal(client_region_read(u.c, VIDXD_PCI_REGION_CONFIG, ptr,
                                            &id, 1), 0);
        if (id == 0x11) {
            break;
        }
        assert_int_equal(client_region_read(u.c, VIDXD_PCI_REGION_CONFIG,
                                            ptr + 1u, &ptr, 1), 0);
    }
    assert_int_equal(id, 0x11);
    assert_int_equal(client_region_read(u.c, VIDXD_PCI_REGION_CONFIG, ptr + 2u,
                                        &ctrl, 2), 0);
    assert_int_equal((ctrl & 0x7ff) + 1, 9);
    /* Table in BAR0 at 0x2000, PBA at 0x3000 (BIR 0). */
    assert_int_equal(client_read32(u.c, VIDXD_PCI_REGION_CONFIG, ptr + 4u, &v),
                     0);
    assert_int_equal(v, 0x2000);
    assert_int_equal(client_read32(u.c, VIDXD_PCI_REGION_CONFIG, ptr + 8u, &v),
                     0);
    assert_int_equal(v, 0x3000);
    /* No INTx. */
    assert_int_equal(client_region_read(u.c, VIDXD_PCI_REGION_CONFIG, 0x3d,
                                        &id, 1), 0);
    assert_int_equal(id, 0);
    pfu_stop(&u);
}

static void
test_regions(void **state)
{
    struct pfu u;
    struct client_region r;
    struct vidxd_vu_irq_info ii;

    (void)state;
    assert_int_equal(pfu_start(&u, NULL), 0);
    assert_int_equal(client_region_info(u.c, VIDXD_PCI_REGION_BAR0, &r), 0);
    assert_int_equal(r.info.size, 0x10000);
    assert_int_equal(r.fd, -1);
    assert_int_equal(client_region_info(u.c, VIDXD_PCI_REGION_BAR0 + 2, &r), 0);
    assert_int_equal(r.info.size, 8 * 0x4000);
    /* Mapped portals: the whole BAR2 is one sparse-mmap area with an fd. */
    assert_true(r.fd >= 0);
    assert_int_equal(r.nr_areas, 1);
    assert_int_equal(r.areas[0].offset, 0);
    assert_int_equal(r.areas[0].size, 8 * 0x4000);
    close(r.fd);
    assert_int_equal(client_irq_info(u.c, VIDXD_PCI_IRQ_MSIX, &ii), 0);
    assert_int_equal(ii.count, 9);
    assert_int_equal(client_irq_info(u.c, VIDXD_PCI_IRQ_INTX, &ii), 0);
    assert_int_equal(ii.count, 0);
    pfu_stop(&u);
}

static void
memmove_round_trip(enum vidxd_dsa_portal_mode mode)
{
    struct vidxd_dsa_config cfg;
    struct vidxd_desc d;
    struct pfu u;
    int i;

    vidxd_dsa_config_default(&cfg);
    cfg.portal_mode = mode;
    cfg.workers = 1;
    assert_int_equal(pfu_start(&u, &cfg), 0);
    assert_int_equal(u.bar2 != NULL, mode == VIDXD_DSA_PORTAL_MAPPED);
    assert_int_equal(pfu_rd32(&u, VIDXD_REG_VERSION), 0x100);
    assert_int_equal(pfu_rd64(&u, VIDXD_REG_GENCAP), 0x40915f0107ull);
    assert_int_equal(pfu_setup_wq(&u, 0, 16) & 0xff, 0);
    for (i = 0; i < 100; i++) {
        uint32_t n = 64u + 97u * (unsigned)i;

        fill_pattern(u.ram + SRC, n, (unsigned)i);
        memset(u.ram + DST, 0, n + 64);
        memset(u.ram + CR, 0, 32);
        pfu_desc_memmove(&d, SRC, DST, n, CR, 1);
        pfu_submit(&u, 0, &d);
        assert_int_equal(pfu_wait_cr(&u, CR, 5000), VIDXD_STATUS_SUCCESS);
        assert_memory_equal(u.ram + SRC, u.ram + DST, n);
        assert_int_equal(u.ram[DST + n], 0);
        /* Exactly one interrupt on vector wq + 1, none on the others. */
        assert_int_equal(pfu_wait_irq(&u, 1, 5000), 1);
        assert_int_equal(pfu_wait_irq(&u, 2, 0), 0);
    }
    pfu_stop(&u);
}

static void
test_memmove_trapped(void **state)
{
    (void)state;
    memmove_round_trip(VIDXD_DSA_PORTAL_TRAPPED);
}

static void
test_memmove_mapped(void **state)
{
    (void)state;
    memmove_round_trip(VIDXD_DSA_PORTAL_MAPPED);
}

/* Interrupt handles through the irq layer (GENCAP.cmd_cap, dsa.md §4). */
static void
test_int_handles(void **state)
{
    struct vidxd_dsa_config cfg;
    struct vidxd_desc d;
    struct pfu u;
    uint32_t sts;
    uint16_t h;

    (void)state;
    vidxd_dsa_config_default(&cfg);
    cfg.cmd_cap = true;
    cfg.portal_mode = VIDXD_DSA_PORTAL_TRAPPED;
    cfg.workers = 1;
    assert_int_equal(pfu_start(&u, &cfg), 0);
    assert_true((pfu_rd32(&u, VIDXD_REG_CMDCAP) &
                 (1u << VIDXD_CMD_REQUEST_INT_HANDLE)) != 0);
    assert_int_equal(pfu_setup_wq(&u, 0, 16) & 0xff, 0);
    /* Vector 0 and vectors past num_wqs are not handed out: 0x41. */
    sts = pfu_cmd(&u, VIDXD_CMD_REQUEST_INT_HANDLE, 0);
    assert_int_equal(sts & 0xff, VIDXD_CMDSTS_INVAL_INT_IDX);
    sts = pfu_cmd(&u, VIDXD_CMD_REQUEST_INT_HANDLE, 9);
    assert_int_equal(sts & 0xff, VIDXD_CMDSTS_INVAL_INT_IDX);
    /* IMS entries belong to the host's virtual devices: 0x42. */
    sts = pfu_cmd(&u, VIDXD_CMD_REQUEST_INT_HANDLE,
                  VIDXD_CMD_INT_HANDLE_IMS | 1);
    assert_int_equal(sts & 0xff, VIDXD_CMDSTS_NO_HANDLE);
    sts = pfu_cmd(&u, VIDXD_CMD_REQUEST_INT_HANDLE, 3);
    assert_int_equal(sts & 0xff, 0);
    h = (uint16_t)(sts >> VIDXD_CMDSTS_RESULT_SHIFT);
    assert_int_not_equal(h, 0);
    /* A descriptor carrying the handle raises vector 3. */
    fill_pattern(u.ram + SRC, 256, 7);
    pfu_desc_memmove(&d, SRC, DST, 256, CR, h);
    pfu_submit(&u, 0, &d);
    assert_int_equal(pfu_wait_cr(&u, CR, 5000), VIDXD_STATUS_SUCCESS);
    assert_int_equal(pfu_wait_irq(&u, 3, 5000), 1);
    assert_int_equal(pfu_wait_irq(&u, 1, 0), 0);
    /* Released, the handle is invalid: status 0x19, no interrupt. */
    sts = pfu_cmd(&u, VIDXD_CMD_RELEASE_INT_HANDLE, h);
    assert_int_equal(sts & 0xff, 0);
    sts = pfu_cmd(&u, VIDXD_CMD_RELEASE_INT_HANDLE, h);
    assert_int_equal(sts & 0xff, VIDXD_CMDSTS_INVAL_INT_IDX_RELEASE);
    memset(u.ram + CR, 0, 32);
    pfu_submit(&u, 0, &d);
    assert_int_equal(pfu_wait_cr(&u, CR, 5000), VIDXD_STATUS_INT_HANDLE_INVAL);
    assert_int_equal(pfu_wait_irq(&u, 3, 100), 0);
    pfu_stop(&u);
}

/* A VMM that goes away leaves the device as it was for the next one. */
static void
test_reconnect_keeps_state(void **state)
{
    struct vidxd_desc d;
    struct pfu u;
    int i;

    (void)state;
    assert_int_equal(pfu_start(&u, NULL), 0);
    assert_int_equal(pfu_setup_wq(&u, 0, 16) & 0xff, 0);
    client_close(u.c);
    u.c = NULL;
    /* Reconnect as a new VMM: map RAM again, eventfds again. */
    assert_int_equal(client_connect(u.sock, &u.c), 0);
    assert_int_equal(client_negotiate(u.c, CLIENT_QEMU_CAPS, NULL), 0);
    assert_int_equal(client_dma_map(u.c, 0, PFU_RAM_SIZE, u.ram_fd, 0, 3), 0);
    assert_int_equal(client_set_irqs(u.c, VIDXD_PCI_IRQ_MSIX, 0x24, 0, 8,
                                     u.efd, 8), 0);
    assert_int_equal(client_set_irqs(u.c, VIDXD_PCI_IRQ_MSIX, 0x24, 8, 1,
                                     &u.efd[8], 1), 0);
    /* Still enabled: GENSTS and WQCFG.wq_state as the first VMM left them. */
    assert_int_equal(pfu_rd32(&u, VIDXD_REG_GENSTS) & 3, VIDXD_GENSTS_ENABLED);
    assert_int_equal(pfu_rd32(&u, 0x400 + 24) >> 30, VIDXD_WQ_STATE_ENABLED);
    for (i = 0; i < 3; i++) {
        memset(u.ram + CR, 0, 32);
        fill_pattern(u.ram + SRC, 4096, (unsigned)i + 11);
        pfu_desc_memmove(&d, SRC, DST, 4096, CR, 1);
        pfu_submit(&u, 0, &d);
        assert_int_equal(pfu_wait_cr(&u, CR, 5000), VIDXD_STATUS_SUCCESS);
        assert_memory_equal(u.ram + SRC, u.ram + DST, 4096);
        assert_int_equal(pfu_wait_irq(&u, 1, 5000), 1);
    }
    pfu_stop(&u);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_space),
        cmocka_unit_test(test_regions),
        cmocka_unit_test(test_memmove_trapped),
        cmocka_unit_test(test_memmove_mapped),
        cmocka_unit_test(test_int_handles),
        cmocka_unit_test(test_reconnect_keeps_state),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
