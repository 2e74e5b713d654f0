/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Integration tests: the test client drives two vfio-user servers over real
 * UNIX sockets in $TMPDIR, replaying what QEMU's vfio-user-pci does at
 * realize, reset and MSI-X enable (reference/vfio-user.md §2.3, §2.7), then
 * DMA with completion interrupts, isolation between devices, unmap during
 * in-flight DMA, reconnection, and the blocking run helper.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "itest.h"

#define CFG VIDXD_PCI_REGION_CONFIG
#define RW (VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)
#define EFD_TRIGGER (VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER)

static int
group_setup(void **state)
{
    struct itest *it = calloc(1, sizeof(*it));

    assert_non_null(it);
    assert_int_equal(itest_start(it, 0), 0);
    *state = it;
    return 0;
}

static int
group_teardown(void **state)
{
    itest_stop(*state);
    free(*state);
    return 0;
}

static uint64_t
rd64(struct client *c, uint64_t off)
{
    uint64_t v = 0;

    assert_int_equal(client_read64(c, 0, off, &v), 0);
    return v;
}

static void
copy(struct client *c, uint64_t src, uint64_t dst, uint64_t len,
     uint64_t bell)
{
    assert_int_equal(client_write64(c, 0, FAKE_REG_SRC, src), 0);
    assert_int_equal(client_write64(c, 0, FAKE_REG_DST, dst), 0);
    assert_int_equal(client_write64(c, 0, FAKE_REG_LEN, len), 0);
    assert_int_equal(client_write64(c, 0, FAKE_REG_DOORBELL, bell), 0);
}

/* Find capability @id the way a guest does, through config reads. */
static uint8_t
find_cap(struct client *c, uint8_t id)
{
    uint8_t ptr = 0, hdr[2];
    int hops;

    assert_int_equal(client_region_read(c, CFG, 0x34, &ptr, 1), 0);
    for (hops = 0; ptr != 0 && hops < 48; hops++) {
        assert_int_equal(client_region_read(c, CFG, ptr, hdr, 2), 0);
        if (hdr[0] == id) {
            return ptr;
        }
        ptr = hdr[1];
    }
    return 0;
}

static void
test_qemu_realize_reset_and_msix_enable(void **state)
{
    struct itest *it = *state;
    uint8_t *ram, cfg[4096], pin = 0xff;
    struct vidxd_vu_device_info di;
    struct vidxd_vu_irq_info ii;
    struct client_region r;
    struct client *c;
    uint32_t v32, i, rom;
    uint16_t ctrl;
    uint8_t msix;
    int ramfd, efd_err, efd_vec0;
    uint64_t cnt;

    c = itest_connect(it, 0, false);
    assert_non_null(c);
    ramfd = itest_memfd(0x200000, &ram);
    assert_true(ramfd >= 0);
    efd_err = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    efd_vec0 = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    /* 1. VERSION with QEMU's capabilities. */
    assert_int_equal(client_negotiate(c, NULL, NULL), 0);
    /* 2. DMA maps of a pc/q35 guest (§2.3): RAM with fd, ROM/BIOS without. */
    assert_int_equal(client_dma_map(c, 0, 0xa0000, ramfd, 0, RW), 0);
    assert_int_equal(client_dma_map(c, 0xc0000, 0x20000, -1, 0,
                                    VFIO_DMA_MAP_FLAG_READ),
                     0);
    assert_int_equal(client_dma_map(c, 0x100000, 0x100000, ramfd, 0x100000,
                                    RW),
                     0);
    assert_int_equal(client_dma_map(c, 0xfffc0000, 0x40000, -1, 0,
                                    VFIO_DMA_MAP_FLAG_READ),
                     0);
    /* 3. GET_INFO. */
    assert_int_equal(client_device_info(c, &di), 0);
    assert_true(di.flags & VFIO_DEVICE_FLAGS_PCI);
    assert_true(di.num_regions >= 8 && di.num_irqs >= 3);
    /* 4. REGION_INFO 0-5 and 7 (with QEMU's argsz retry). */
    for (i = 0; i < 8; i++) {
        if (i == 6) {
            continue;
        }
        assert_int_equal(client_region_info(c, i, &r), 0);
        if (r.fd >= 0) {
            close(r.fd);
        }
    }
    /* 5. ERR index: count 1 means AER gets an eventfd later. */
    assert_int_equal(client_irq_info(c, VIDXD_PCI_IRQ_ERR, &ii), 0);
    assert_int_equal(ii.count, 1);
    /* 6. The whole config space in one read. */
    assert_int_equal(client_region_read(c, CFG, 0, cfg, 4096), 0);
    /* 7. ROM sizing: 0 read back means no ROM. */
    assert_int_equal(client_read32(c, CFG, 0x30, &rom), 0);
    assert_int_equal(client_write32(c, CFG, 0x30, 0xfffff800), 0);
    assert_int_equal(client_read32(c, CFG, 0x30, &v32), 0);
    assert_int_equal(v32, 0);
    assert_int_equal(client_write32(c, CFG, 0x30, rom), 0);
    /* 8. BAR type bits: BAR0 32-bit memory, BAR2 64-bit prefetchable. */
    assert_int_equal(client_read32(c, CFG, 0x10, &v32), 0);
    assert_int_equal(v32, 0x0);
    assert_int_equal(client_read32(c, CFG, 0x18, &v32), 0);
    assert_int_equal(v32, 0xc);
    /* 9. MSI-X capability and GET_IRQ_INFO(MSIX). */
    msix = find_cap(c, 0x11);
    assert_int_not_equal(msix, 0);
    assert_int_equal(client_region_read(c, CFG, msix + 2u, &ctrl, 2), 0);
    assert_int_equal(ctrl & 0x7ff, FAKE_NVEC - 1);
    assert_int_equal(client_read32(c, CFG, msix + 4u, &v32), 0);
    assert_int_equal(v32, FAKE_MSIX_TABLE | 0);
    assert_int_equal(client_read32(c, CFG, msix + 8u, &v32), 0);
    assert_int_equal(v32, FAKE_MSIX_PBA | 0);
    assert_int_equal(client_irq_info(c, VIDXD_PCI_IRQ_MSIX, &ii), 0);
    assert_int_equal(ii.count, FAKE_NVEC);
    /* 12. No INTx. */
    assert_int_equal(client_region_read(c, CFG, 0x3d, &pin, 1), 0);
    assert_int_equal(pin, 0);
    /* 13. AER notifier. */
    assert_int_equal(client_set_irqs(c, VIDXD_PCI_IRQ_ERR, EFD_TRIGGER, 0, 1,
                                     &efd_err, 1),
                     0);
    /* 14. Machine reset: COMMAND cleared, DEVICE_RESET, BARs zeroed. */
    assert_int_equal(client_write16(c, CFG, 0x04, 0), 0);
    assert_int_equal(client_reset(c), 0);
    for (i = 0; i < 6; i++) {
        assert_int_equal(client_write32(c, CFG, 0x10 + 4 * i, 0), 0);
    }
    /* Guest: program BARs, enable memory + bus master, enable MSI-X. */
    assert_int_equal(client_write32(c, CFG, 0x10, 0xfebf0000), 0);
    assert_int_equal(client_read32(c, CFG, 0x10, &v32), 0);
    assert_int_equal(v32, 0xfebf0000);
    assert_int_equal(client_write16(c, CFG, 0x04, 0x0006), 0);
    assert_int_equal(client_write16(c, CFG, msix + 2u, 0x8000), 0);
    /* §2.7: "enable with no vectors", then vector 0 gets its eventfd. */
    assert_int_equal(client_set_irqs(c, VIDXD_PCI_IRQ_MSIX, EFD_TRIGGER, 0, 1,
                                     NULL, 0),
                     0);
    assert_int_equal(client_set_irqs(c, VIDXD_PCI_IRQ_MSIX, EFD_TRIGGER, 0, 1,
                                     &efd_vec0, 1),
                     0);
    /* A DMA in high RAM raises vector 0. */
    for (i = 0; i < 0x1000; i++) {
        ram[0x100000 + i] = (uint8_t)(i ^ 0xa5);
    }
    copy(c, 0x100000, 0x180000, 0x1000, FAKE_DOORBELL_GO);
    assert_int_equal(rd64(c, FAKE_REG_STATUS), FAKE_ST_DONE);
    assert_memory_equal(ram + 0x180000, ram + 0x100000, 0x1000);
    assert_int_equal(eventfd_read(efd_vec0, &cnt), 0);
    assert_int_equal(cnt, 1);
    /* The guest may swap the eventfd of a vector at any time (§2.7). */
    close(efd_vec0);
    efd_vec0 = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    assert_int_equal(client_set_irqs(c, VIDXD_PCI_IRQ_MSIX, EFD_TRIGGER, 0, 1,
                                     &efd_vec0, 1),
                     0);
    copy(c, 0x0, 0x1000, 0x100, FAKE_DOORBELL_GO);
    assert_int_equal(eventfd_read(efd_vec0, &cnt), 0);
    /* MSI-X disable: NONE|TRIGGER count 0. */
    assert_int_equal(client_set_irqs(c, VIDXD_PCI_IRQ_MSIX,
                                     VFIO_IRQ_SET_DATA_NONE |
                                         VFIO_IRQ_SET_ACTION_TRIGGER,
                                     0, 0, NULL, 0),
                     0);
    copy(c, 0x0, 0x1000, 0x100, FAKE_DOORBELL_GO);
    assert_int_equal(rd64(c, FAKE_REG_IRQ_MISSED), 1);
    /* QEMU's unmap-all at shutdown. */
    assert_int_equal(client_dma_unmap(c, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL), 0);
    client_close(c);
    close(efd_err);
    close(efd_vec0);
    munmap(ram, 0x200000);
    close(ramfd);
}

static void
test_devices_are_isolated(void **state)
{
    struct itest *it = *state;
    struct client *c[2];
    uint8_t *ram[2];
    int fd[2], i;

    for (i = 0; i < 2; i++) {
        c[i] = itest_connect(it, i, true);
        assert_non_null(c[i]);
        fd[i] = itest_memfd(0x10000, &ram[i]);
        memset(ram[i], 0x10 + i, 0x1000);
        /* The same IOVA on both devices maps different memory. */
        assert_int_equal(client_dma_map(c[i], 0x40000, 0x10000, fd[i], 0, RW),
                         0);
        assert_int_equal(client_write16(c[i], CFG, 0x04, 0x0006), 0);
    }
    for (i = 0; i < 2; i++) {
        copy(c[i], 0x40000, 0x48000, 0x1000, FAKE_DOORBELL_GO);
        assert_int_equal(rd64(c[i], FAKE_REG_STATUS), FAKE_ST_DONE);
    }
    for (i = 0; i < 2; i++) {
        assert_int_equal(ram[i][0x8000], 0x10 + i);
        assert_int_equal(ram[i][0x8fff], 0x10 + i);
        client_close(c[i]);
        munmap(ram[i], 0x10000);
        close(fd[i]);
    }
}

static void
test_unmap_waits_for_inflight_dma(void **state)
{
    struct itest *it = *state;
    struct client *c = itest_connect(it, 0, true);
    uint8_t *ram;
    int fd = itest_memfd(0x10000, &ram);
    uint64_t st;
    int polls = 0;

    assert_non_null(c);
    memset(ram, 0x77, 0x800);
    assert_int_equal(client_dma_map(c, 0x200000, 0x10000, fd, 0, RW), 0);
    assert_int_equal(client_write16(c, CFG, 0x04, 0x0006), 0);
    /* The worker holds the address space for 100 ms, then copies. */
    assert_int_equal(client_write64(c, 0, FAKE_REG_HOLD_MS, 100), 0);
    copy(c, 0x200000, 0x208000, 0x800,
         FAKE_DOORBELL_GO | FAKE_DOORBELL_ASYNC);
    do {
        st = rd64(c, FAKE_REG_STATUS);
        polls++;
    } while (st == FAKE_ST_QUEUED && polls < 100000);
    assert_true(st == FAKE_ST_BUSY || st == FAKE_ST_DONE);
    /*
     * §1.3: the server drops every reference before replying, so the copy
     * has finished (not faulted) once the unmap is acknowledged.
     */
    assert_int_equal(client_dma_unmap(c, 0x200000, 0x10000, 0), 0);
    assert_int_equal(rd64(c, FAKE_REG_STATUS), FAKE_ST_DONE);
    assert_int_equal(ram[0x8000], 0x77);
    assert_int_equal(ram[0x87ff], 0x77);
    /* After the unmap the same copy faults instead of touching memory. */
    assert_int_equal(client_write64(c, 0, FAKE_REG_HOLD_MS, 0), 0);
    copy(c, 0x200000, 0x208000, 0x800, FAKE_DOORBELL_GO);
    assert_int_equal(rd64(c, FAKE_REG_STATUS), FAKE_ST_FAULT);
    client_close(c);
    munmap(ram, 0x10000);
    close(fd);
}

static void
test_disconnect_during_async_dma(void **state)
{
    struct itest *it = *state;
    struct client *c = itest_connect(it, 1, true);
    uint8_t *ram;
    int fd = itest_memfd(0x10000, &ram);
    struct fake_dev_counters fc;

    assert_non_null(c);
    assert_int_equal(client_dma_map(c, 0x0, 0x10000, fd, 0, RW), 0);
    assert_int_equal(client_write16(c, CFG, 0x04, 0x0006), 0);
    assert_int_equal(client_write64(c, 0, FAKE_REG_HOLD_MS, 50), 0);
    copy(c, 0x0, 0x8000, 0x1000, FAKE_DOORBELL_GO | FAKE_DOORBELL_ASYNC);
    /* Hang up at once: detach waits for the worker, then maps go. */
    client_close(c);
    itest_wait_idle(it, 1);
    fake_dev_counters(it->dev[1], &fc);
    assert_int_equal(fc.detach, fc.attach);
    assert_int_equal(vidxd_as_count(fake_dev_as(it->dev[1])), 0);
    c = itest_connect(it, 1, true);
    assert_non_null(c);
    assert_int_equal(rd64(c, FAKE_REG_STATUS), FAKE_ST_DONE);
    assert_int_equal(rd64(c, FAKE_REG_HOLD_MS), 50); /* device state kept */
    assert_int_equal(client_write64(c, 0, FAKE_REG_HOLD_MS, 0), 0);
    client_close(c);
    munmap(ram, 0x10000);
    close(fd);
}

static void
test_socket_path_in_use(void **state)
{
    struct itest *it = *state;
    struct vidxd_server_config cfg = {0};
    struct vidxd_server *srv;

    cfg.socket_path = it->path[0];
    cfg.ops = fake_dev_ops();
    cfg.opaque = it->dev[0];
    assert_int_equal(vidxd_server_create(&cfg, &srv), -EADDRINUSE);
    /* The refused probe must not disturb the real server. */
    {
        struct client *c = itest_connect(it, 0, true);

        assert_non_null(c);
        client_close(c);
    }
}

struct run_arg {
    struct vidxd_server *srv;
    int stop;
    int rc;
};

static void *
run_main(void *opaque)
{
    struct run_arg *a = opaque;

    a->rc = vidxd_server_run(a->srv, a->stop);
    return NULL;
}

static void
test_blocking_run_helper(void **state)
{
    struct fake_dev *dev;
    struct vidxd_server_config cfg = {0};
    struct run_arg a = {0};
    struct client *c;
    pthread_t th;
    char path[200];
    uint32_t id = 0;

    (void)state;
    snprintf(path, sizeof(path), "%s/run.sock", ((struct itest *)*state)->dir);
    assert_int_equal(fake_dev_create(NULL, &dev), 0);
    cfg.socket_path = path;
    cfg.ops = fake_dev_ops();
    cfg.opaque = dev;
    assert_int_equal(vidxd_server_create(&cfg, &a.srv), 0);
    a.stop = eventfd(0, EFD_CLOEXEC);
    assert_int_equal(pthread_create(&th, NULL, run_main, &a), 0);
    assert_int_equal(client_connect(path, &c), 0);
    assert_int_equal(client_negotiate(c, NULL, NULL), 0);
    assert_int_equal(client_read32(c, 0, FAKE_REG_ID, &id), 0);
    assert_int_equal(id, FAKE_ID);
    client_close(c);
    assert_int_equal(eventfd_write(a.stop, 1), 0);
    pthread_join(th, NULL);
    assert_int_equal(a.rc, 0);
    close(a.stop);
    vidxd_server_destroy(a.srv);
    /* destroy removes the socket file. */
    assert_int_equal(access(path, F_OK), -1);
    fake_dev_destroy(dev);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_qemu_realize_reset_and_msix_enable),
        cmocka_unit_test(test_devices_are_isolated),
        cmocka_unit_test(test_unmap_waits_for_inflight_dma),
        cmocka_unit_test(test_disconnect_during_async_dma),
        cmocka_unit_test(test_socket_path_in_use),
        cmocka_unit_test(test_blocking_run_helper),
    };

    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
