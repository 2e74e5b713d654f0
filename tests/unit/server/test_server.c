/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the server layer over a socketpair session (adopted fd):
 * creation rules, VERSION reply, device/region/IRQ descriptions with the
 * sparse-mmap capability and argsz truncation, config and BAR access,
 * posted writes, DMA maps feeding the device's address space, eventfd
 * interrupts, reset, FLR, and disconnect clean-up with reconnection
 * (reference/vfio-user.md §1.3, §2.3-§2.8, §6).
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "client.h"
#include "fake_dev.h"
#include "harness.h"
#include "vidxd/server.h"

#define RAM_IOVA 0x100000ull
#define RAM_SIZE 0x40000ull

struct env {
    struct fake_dev *dev;
    struct vidxd_server *srv;
    struct harness *h;
    struct client *c;
    int ram_fd;
    uint8_t *ram;
};

static void
adopt_on_loop(void *arg)
{
    void **a = arg;

    *(int *)a[2] = vidxd_server_adopt_fd(a[0], *(int *)a[1]);
}

/* Connect a new client through a socketpair adopted on the loop thread. */
static struct client *
connect_client(struct env *e)
{
    struct client *c;
    int sv[2], rc = -1;
    void *args[3] = {e->srv, &sv[1], &rc};

    assert_int_equal(
        socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    harness_run_on_loop(e->h, adopt_on_loop, args);
    assert_int_equal(rc, 0);
    assert_int_equal(client_from_fd(sv[0], &c), 0);
    return c;
}

static int
setup(void **state)
{
    const struct fake_dev_config fcfg = {.allow_async = true};
    struct vidxd_server_config scfg = {0};
    struct env *e = calloc(1, sizeof(*e));

    assert_non_null(e);
    assert_int_equal(fake_dev_create(&fcfg, &e->dev), 0);
    scfg.ops = fake_dev_ops();
    scfg.opaque = e->dev;
    scfg.name = "unit";
    assert_int_equal(vidxd_server_create(&scfg, &e->srv), 0);
    fake_dev_set_server(e->dev, e->srv);
    assert_int_equal(harness_start(&e->srv, 1, &e->h), 0);
    e->c = connect_client(e);
    e->ram_fd = memfd_create("guest-ram", MFD_CLOEXEC);
    assert_true(e->ram_fd >= 0);
    assert_int_equal(ftruncate(e->ram_fd, RAM_SIZE), 0);
    e->ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
                  e->ram_fd, 0);
    assert_true(e->ram != MAP_FAILED);
    *state = e;
    return 0;
}

static int
teardown(void **state)
{
    struct env *e = *state;

    client_close(e->c);
    harness_stop(e->h);
    vidxd_server_destroy(e->srv);
    fake_dev_destroy(e->dev);
    munmap(e->ram, RAM_SIZE);
    close(e->ram_fd);
    free(e);
    return 0;
}

static void
enable_bus_master(struct client *c)
{
    assert_int_equal(client_write16(c, VIDXD_PCI_REGION_CONFIG, 0x04, 0x0006),
                     0);
}

static void
test_create_rejects_bad_configs(void **state)
{
    struct vidxd_pci_fn_ops ops = *fake_dev_ops();
    struct vidxd_server_config cfg = {0};
    struct vidxd_server *srv;
    struct fake_dev *dev;

    (void)state;
    assert_int_equal(fake_dev_create(NULL, &dev), 0);
    cfg.opaque = dev;
    assert_int_equal(vidxd_server_create(NULL, &srv), -EINVAL);
    assert_int_equal(vidxd_server_create(&cfg, &srv), -EINVAL);
    cfg.ops = &ops;
    cfg.max_data_xfer_size = 4095;
    assert_int_equal(vidxd_server_create(&cfg, &srv), -EINVAL);
    cfg.max_data_xfer_size = (64u << 20) + 1;
    assert_int_equal(vidxd_server_create(&cfg, &srv), -EINVAL);
    cfg.max_data_xfer_size = 0;
    cfg.max_dma_maps = 65536;
    assert_int_equal(vidxd_server_create(&cfg, &srv), -EINVAL);
    cfg.max_dma_maps = 0;
    ops.dma_as = NULL;
    assert_int_equal(vidxd_server_create(&cfg, &srv), -EINVAL);
    ops = *fake_dev_ops();
    ops.bar_read = NULL; /* BARs declared but no way to access them */
    assert_int_equal(vidxd_server_create(&cfg, &srv), -EINVAL);
    ops = *fake_dev_ops();
    assert_int_equal(vidxd_server_create(&cfg, &srv), 0);
    assert_false(vidxd_server_connected(srv));
    assert_true(vidxd_server_fd(srv) >= 0);
    vidxd_server_destroy(srv);
    vidxd_server_destroy(NULL);
    fake_dev_destroy(dev);
}

static void
test_version_reply(void **state)
{
    static const char want[] =
        "{\"capabilities\":{\"max_msg_fds\":8,\"max_data_xfer_size\":1048576,"
        "\"pgsizes\":4096,\"max_dma_maps\":4096}}";
    struct env *e = *state;
    uint8_t req[256], rep[256];
    size_t rlen, jl = strlen(CLIENT_QEMU_CAPS) + 1;
    struct client *c2;

    memset(req, 0, 4);
    memcpy(req + 4, CLIENT_QEMU_CAPS, jl);
    assert_int_equal(client_call(e->c, VIDXD_VU_CMD_VERSION, req, 4 + jl, NULL,
                                 0, rep, sizeof(rep), &rlen, NULL, NULL),
                     0);
    assert_int_equal(rlen, 4 + sizeof(want));
    assert_int_equal(rep[0] | rep[1] | rep[2] | rep[3], 0); /* 0.0 */
    assert_memory_equal(rep + 4, want, sizeof(want));
    /* A second VERSION is refused. */
    assert_int_equal(client_negotiate(e->c, NULL, NULL), -EINVAL);
    /* A terse client gets a reply no larger than its request. */
    client_close(e->c);
    c2 = connect_client(e);
    e->c = c2;
    memcpy(req + 4, "{}", 3);
    assert_int_equal(client_call(c2, VIDXD_VU_CMD_VERSION, req, 7, NULL, 0,
                                 rep, sizeof(rep), &rlen, NULL, NULL),
                     0);
    assert_int_equal(rlen, 7);
    assert_memory_equal(rep + 4, "{}", 3);
}

static void
test_device_region_irq_info(void **state)
{
    struct env *e = *state;
    struct vidxd_vu_device_info di;
    struct vidxd_vu_irq_info ii;
    struct client_region r;
    static const uint32_t irq_count[] = {0, 0, FAKE_NVEC, 1, 1};
    uint32_t i;

    assert_int_equal(client_negotiate(e->c, NULL, NULL), 0);
    assert_int_equal(client_device_info(e->c, &di), 0);
    assert_int_equal(di.argsz, 16);
    assert_int_equal(di.flags, VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_RESET);
    assert_int_equal(di.num_regions, 9);
    assert_int_equal(di.num_irqs, 5);
    for (i = 0; i < 9; i++) {
        assert_int_equal(client_region_info(e->c, i, &r), 0);
        assert_int_equal(r.info.index, i);
        switch (i) {
        case 0:
            assert_int_equal(r.info.size, FAKE_BAR0_SIZE);
            assert_int_equal(r.info.flags, 3);
            assert_int_equal(r.fd, -1);
            break;
        case 2:
            assert_int_equal(r.info.size, FAKE_BAR2_SIZE);
            assert_int_equal(r.info.flags, 0xf); /* RW, MMAP, CAPS */
            assert_int_equal(r.info.argsz, 64);
            assert_int_equal(r.info.cap_offset, 32);
            assert_int_equal(r.nr_areas, 1);
            assert_int_equal(r.areas[0].offset, 0);
            assert_int_equal(r.areas[0].size, 0x1000);
            assert_true(r.fd >= 0);
            close(r.fd);
            break;
        case 7:
            assert_int_equal(r.info.size, 4096);
            assert_int_equal(r.info.flags, 3);
            break;
        default:
            assert_int_equal(r.info.size, 0);
            assert_int_equal(r.info.flags, 0);
            assert_int_equal(r.fd, -1);
        }
    }
    for (i = 0; i < 5; i++) {
        assert_int_equal(client_irq_info(e->c, i, &ii), 0);
        assert_int_equal(ii.index, i);
        assert_int_equal(ii.count, irq_count[i]);
        /* The fake device masks, so INTx/MSI/MSI-X say MASKABLE. */
        assert_int_equal(ii.flags, i <= 2 ? 3 : 1);
    }
    assert_int_equal(client_irq_info(e->c, 5, &ii), -EINVAL);
}

static void
test_region_info_truncated_reply(void **state)
{
    struct env *e = *state;
    struct vidxd_vu_region_info req = {32, 0, 2, 0, 0, 0}, rep;
    int fds[16];
    size_t rlen, nfds;

    assert_int_equal(client_negotiate(e->c, NULL, NULL), 0);
    assert_int_equal(client_call(e->c, VIDXD_VU_CMD_DEVICE_GET_REGION_INFO,
                                 &req, sizeof(req), NULL, 0, &rep, sizeof(rep),
                                 &rlen, fds, &nfds),
                     0);
    /* 32 bytes sent, the full 64 announced, no CAPS until it fits. */
    assert_int_equal(rlen, 32);
    assert_int_equal(rep.argsz, 64);
    assert_int_equal(rep.flags, 7);
    assert_int_equal(rep.cap_offset, 0);
    assert_int_equal(nfds, 1);
    close(fds[0]);
    req.argsz = 31;
    assert_int_equal(client_call(e->c, VIDXD_VU_CMD_DEVICE_GET_REGION_INFO,
                                 &req, sizeof(req), NULL, 0, &rep, sizeof(rep),
                                 &rlen, NULL, NULL),
                     -EINVAL);
}

static void
test_region_info_no_fds_client(void **state)
{
    struct env *e = *state;
    struct client_region r;

    /* A client that takes no fds sees a trapped-only BAR2. */
    assert_int_equal(
        client_negotiate(e->c, "{\"capabilities\":{\"max_msg_fds\":0}}", NULL),
        0);
    assert_int_equal(client_region_info(e->c, 2, &r), 0);
    assert_int_equal(r.info.flags, 3);
    assert_int_equal(r.info.argsz, 32);
    assert_int_equal(r.fd, -1);
}

static void
test_config_and_bar_access(void **state)
{
    struct env *e = *state;
    uint8_t cfg[4096];
    uint32_t v32;
    uint64_t v64;

    assert_int_equal(client_negotiate(e->c, NULL, NULL), 0);
    /* QEMU reads the whole config space in one message (§2.3 step 6). */
    assert_int_equal(
        client_region_read(e->c, VIDXD_PCI_REGION_CONFIG, 0, cfg, 4096), 0);
    assert_int_equal(cfg[0] | cfg[1] << 8, 0x1234);
    assert_int_equal(cfg[2] | cfg[3] << 8, 0x5678);
    assert_int_equal(cfg[0x34], 0x40);
    assert_int_equal(cfg[0x3d], 0);
    assert_int_equal(client_read32(e->c, 0, FAKE_REG_ID, &v32), 0);
    assert_int_equal(v32, FAKE_ID);
    assert_int_equal(client_write64(e->c, 0, FAKE_REG_SCRATCH,
                                    0x1122334455667788ull),
                     0);
    assert_int_equal(client_read64(e->c, 0, FAKE_REG_SCRATCH, &v64), 0);
    assert_int_equal(v64, 0x1122334455667788ull);
    assert_int_equal(client_read32(e->c, 0, FAKE_REG_SCRATCH + 4, &v32), 0);
    assert_int_equal(v32, 0x11223344);
    /* The device's own rule (4/8-byte registers) comes back as an error. */
    assert_int_equal(client_region_read(e->c, 0, 0, cfg, 2), -EINVAL);
    /* The server's rules: 1/2/4/8 bytes, inside the region. */
    assert_int_equal(client_region_read(e->c, 0, 0, cfg, 3), -EINVAL);
    assert_int_equal(client_region_read(e->c, 0, 0, cfg, 16), -EINVAL);
    assert_int_equal(client_region_read(e->c, 0, FAKE_BAR0_SIZE - 4, cfg, 8),
                     -EINVAL);
    assert_int_equal(client_region_read(e->c, 1, 0, cfg, 4), -EINVAL);
    assert_int_equal(client_region_read(e->c, 6, 0, cfg, 4), -EINVAL);
    assert_int_equal(
        client_region_read(e->c, VIDXD_PCI_REGION_CONFIG, 4095, cfg, 2),
        -EINVAL);
}

static void
test_posted_write_ordering(void **state)
{
    struct env *e = *state;
    uint64_t v = 0;
    int i;

    assert_int_equal(client_negotiate(e->c, NULL, NULL), 0);
    /* No reply to a posted write, and it lands before the next read. */
    for (i = 1; i <= 20; i++) {
        uint64_t x = (uint64_t)i * 0x1010101;

        assert_int_equal(client_region_write(e->c, 0, FAKE_REG_SCRATCH, &x, 8,
                                             true),
                         0);
    }
    /* A failing posted write gets no error reply either. */
    assert_int_equal(client_region_write(e->c, 0, 3, &v, 3, true), 0);
    assert_int_equal(client_read64(e->c, 0, FAKE_REG_SCRATCH, &v), 0);
    assert_int_equal(v, 20ull * 0x1010101);
}

static void
test_bar2_shared_memory(void **state)
{
    struct env *e = *state;
    struct client_region r;
    uint8_t *page, got[8];

    assert_int_equal(client_negotiate(e->c, NULL, NULL), 0);
    assert_int_equal(client_region_info(e->c, 2, &r), 0);
    page = mmap(NULL, r.areas[0].size, PROT_READ | PROT_WRITE, MAP_SHARED,
                r.fd, (off_t)(r.info.offset + r.areas[0].offset));
    assert_true(page != MAP_FAILED);
    /* A store through the mapping is what the device sees... */
    memcpy(page + 0x40, "portal!!", 8);
    assert_int_equal(client_region_read(e->c, 2, 0x40, got, 8), 0);
    assert_memory_equal(got, "portal!!", 8);
    /* ...and a trapped write is visible through the mapping. */
    assert_int_equal(client_region_write(e->c, 2, 0x80, "trapped.", 8, false),
                     0);
    assert_memory_equal(page + 0x80, "trapped.", 8);
    munmap(page, r.areas[0].size);
    close(r.fd);
}

/* Program a copy of @len bytes and ring the doorbell. */
static void
start_copy(struct client *c, uint64_t src, uint64_t dst, uint64_t len,
           uint64_t bell)
{
    assert_int_equal(client_write64(c, 0, FAKE_REG_SRC, src), 0);
    assert_int_equal(client_write64(c, 0, FAKE_REG_DST, dst), 0);
    assert_int_equal(client_write64(c, 0, FAKE_REG_LEN, len), 0);
    assert_int_equal(client_write64(c, 0, FAKE_REG_DOORBELL, bell), 0);
}

static uint64_t
status(struct client *c)
{
    uint64_t st = 0;

    assert_int_equal(client_read64(c, 0, FAKE_REG_STATUS, &st), 0);
    return st;
}

static void
test_dma_copy_and_msix(void **state)
{
    struct env *e = *state;
    int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    uint64_t cnt = 0;
    size_t i;

    assert_true(efd >= 0);
    assert_int_equal(client_negotiate(e->c, NULL, NULL), 0);
    assert_int_equal(client_dma_map(e->c, RAM_IOVA, RAM_SIZE, e->ram_fd, 0,
                                     VFIO_DMA_MAP_FLAG_READ |
                                         VFIO_DMA_MAP_FLAG_WRITE),
                     0);
    assert_int_equal(vidxd_as_count(fake_dev_as(e->dev)), 1);
    assert_int_equal(client_set_irqs(e->c, VIDXD_PCI_IRQ_MSIX,
                                     VFIO_IRQ_SET_DATA_EVENTFD |
                                         VFIO_IRQ_SET_ACTION_TRIGGER,
                                     0, 1, &efd, 1),
                     0);
    for (i = 0; i < 0x3000; i++) {
        e->ram[i] = (uint8_t)(i * 13 + 1);
    }
    /* Without Bus Master the device refuses to DMA. */
    start_copy(e->c, RAM_IOVA, RAM_IOVA + 0x10000, 0x3000, FAKE_DOORBELL_GO);
    assert_int_equal(status(e->c), FAKE_ST_NO_BME);
    enable_bus_master(e->c);
    start_copy(e->c, RAM_IOVA, RAM_IOVA + 0x10000, 0x3000, FAKE_DOORBELL_GO);
    assert_int_equal(status(e->c), FAKE_ST_DONE);
    assert_memory_equal(e->ram + 0x10000, e->ram, 0x3000);
    /* One completion, one interrupt. */
    assert_int_equal(eventfd_read(efd, &cnt), 0);
    assert_int_equal(cnt, 1);
    /* Outside the map: a fault, and still an interrupt. */
    start_copy(e->c, RAM_IOVA + RAM_SIZE - 0x100, RAM_IOVA, 0x200,
               FAKE_DOORBELL_GO);
    assert_int_equal(status(e->c), FAKE_ST_FAULT);
    assert_int_equal(eventfd_read(efd, &cnt), 0);
    assert_int_equal(cnt, 1);
    close(efd);
}

static void
test_dma_map_rules(void **state)
{
    struct env *e = *state;
    const uint32_t rw = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
    int small = memfd_create("small", MFD_CLOEXEC);

    assert_int_equal(ftruncate(small, 0x1000), 0);
    assert_int_equal(client_negotiate(e->c, NULL, NULL), 0);
    assert_int_equal(client_dma_map(e->c, RAM_IOVA, RAM_SIZE, e->ram_fd, 0,
                                     rw),
                     0);
    assert_int_equal(client_dma_map(e->c, RAM_IOVA + 0x1000, 0x1000, e->ram_fd,
                                     0, rw),
                     -EEXIST);
    assert_int_equal(client_dma_map(e->c, 0x800, 0x1000, e->ram_fd, 0, rw),
                     -EINVAL);
    assert_int_equal(client_dma_map(e->c, 0, 0x1800, e->ram_fd, 0, rw),
                     -EINVAL);
    assert_int_equal(client_dma_map(e->c, 0, 0x1000, e->ram_fd, 0x10, rw),
                     -EINVAL);
    /* The file must cover the whole window (else SIGBUS in the server). */
    assert_int_equal(client_dma_map(e->c, 0, 0x2000, small, 0, rw), -EINVAL);
    assert_int_equal(client_dma_map(e->c, 0, 0x1000, small, 0x1000, rw),
                     -EINVAL);
    assert_int_equal(client_dma_map(e->c, 0, 0x1000, small, 0, rw), 0);
    /* Unmap needs the exact range; unmap-all clears the rest. */
    assert_int_equal(client_dma_unmap(e->c, RAM_IOVA, 0x1000, 0), -ENOENT);
    assert_int_equal(client_dma_unmap(e->c, 0x5000, 0x1000, 0), -ENOENT);
    assert_int_equal(client_dma_unmap(e->c, RAM_IOVA, RAM_SIZE, 0), 0);
    assert_int_equal(client_dma_unmap(e->c, RAM_IOVA, RAM_SIZE, 0), -ENOENT);
    assert_int_equal(vidxd_as_count(fake_dev_as(e->dev)), 1);
    assert_int_equal(client_dma_unmap(e->c, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL), 0);
    assert_int_equal(vidxd_as_count(fake_dev_as(e->dev)), 0);
    close(small);
}

static void
test_dma_map_without_fd_faults(void **state)
{
    struct env *e = *state;

    assert_int_equal(client_negotiate(e->c, NULL, NULL), 0);
    enable_bus_master(e->c);
    /* §2.8: ROM/BIOS windows come without fd; the device cannot touch them. */
    assert_int_equal(client_dma_map(e->c, 0xc0000, 0x20000, -1, 0,
                                    VFIO_DMA_MAP_FLAG_READ),
                     0);
    assert_int_equal(client_dma_map(e->c, RAM_IOVA, RAM_SIZE, e->ram_fd, 0,
                                     VFIO_DMA_MAP_FLAG_READ |
                                         VFIO_DMA_MAP_FLAG_WRITE),
                     0);
    start_copy(e->c, 0xc0000, RAM_IOVA, 0x100, FAKE_DOORBELL_GO);
    assert_int_equal(status(e->c), FAKE_ST_FAULT);
    /* A read-only map cannot be written by the device. */
    assert_int_equal(client_dma_unmap(e->c, RAM_IOVA, RAM_SIZE, 0), 0);
    assert_int_equal(client_dma_map(e->c, RAM_IOVA, RAM_SIZE, e->ram_fd, 0,
                                     VFIO_DMA_MAP_FLAG_READ),
                     0);
    start_copy(e->c, RAM_IOVA, RAM_IOVA + 0x1000, 0x100, FAKE_DOORBELL_GO);
    assert_int_equal(status(e->c), FAKE_ST_FAULT);
}

static void
test_irq_assign_trigger_disable(void **state)
{
    struct env *e = *state;
    int efd[2] = {eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK),
                  eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)};
    const uint32_t EFD =
        VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
    const uint32_t NONE = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER;
    struct fake_dev_counters fc;
    uint8_t bools[2] = {0, 1};
    uint64_t cnt;

    assert_int_equal(client_negotiate(e->c, NULL, NULL), 0);
    assert_int_equal(client_set_irqs(e->c, 2, EFD, 0, 2, efd, 2), 0);
    assert_int_equal(vidxd_server_irq_trigger(e->srv, 2, 1), 0);
    assert_int_equal(eventfd_read(efd[1], &cnt), 0);
    assert_int_equal(cnt, 1);
    assert_int_equal(vidxd_server_irq_trigger(e->srv, 2, FAKE_NVEC), -EINVAL);
    assert_int_equal(vidxd_server_irq_trigger(e->srv, 5, 0), -EINVAL);
    /* DATA_NONE|TRIGGER fires the vectors (for testing, §1.3). */
    assert_int_equal(client_set_irqs(e->c, 2, NONE, 0, 2, NULL, 0), 0);
    assert_int_equal(eventfd_read(efd[0], &cnt), 0);
    assert_int_equal(eventfd_read(efd[1], &cnt), 0);
    /* DATA_BOOL|TRIGGER fires only the selected ones. */
    {
        uint8_t msg[22];
        struct vidxd_vu_irq_set s = {20,
                                     VFIO_IRQ_SET_DATA_BOOL |
                                         VFIO_IRQ_SET_ACTION_TRIGGER,
                                     2, 0, 2};

        memcpy(msg, &s, 20);
        memcpy(msg + 20, bools, 2);
        assert_int_equal(client_call(e->c, VIDXD_VU_CMD_DEVICE_SET_IRQS, msg,
                                     22, NULL, 0, NULL, 0, NULL, NULL, NULL),
                         0);
        assert_int_equal(eventfd_read(efd[0], &cnt), -1);
        assert_int_equal(eventfd_read(efd[1], &cnt), 0);
    }
    /* QEMU's "enable with no vectors": de-assign vector 0 only. */
    assert_int_equal(client_set_irqs(e->c, 2, EFD, 0, 1, NULL, 0), 0);
    assert_int_equal(vidxd_server_irq_trigger(e->srv, 2, 0), -ENOENT);
    assert_int_equal(vidxd_server_irq_trigger(e->srv, 2, 1), 0);
    /* Count 0: disable every vector of the index. */
    assert_int_equal(client_set_irqs(e->c, 2, NONE, 0, 0, NULL, 0), 0);
    assert_int_equal(vidxd_server_irq_trigger(e->srv, 2, 1), -ENOENT);
    /* Masking reaches the device hook; ERR takes only TRIGGER. */
    assert_int_equal(client_set_irqs(e->c, 2,
                                     VFIO_IRQ_SET_DATA_NONE |
                                         VFIO_IRQ_SET_ACTION_MASK,
                                     0, 2, NULL, 0),
                     0);
    assert_int_equal(client_set_irqs(e->c, 3,
                                     VFIO_IRQ_SET_DATA_NONE |
                                         VFIO_IRQ_SET_ACTION_MASK,
                                     0, 1, NULL, 0),
                     -EINVAL);
    assert_int_equal(client_set_irqs(e->c, 3, EFD, 0, 1, &efd[0], 1), 0);
    assert_int_equal(vidxd_server_irq_trigger(e->srv, 3, 0), 0);
    assert_int_equal(eventfd_read(efd[0], &cnt), 0);
    fake_dev_counters(e->dev, &fc);
    assert_int_equal(fc.mask_calls, 1);
    /* Assign, de-assign vector 0, disable all: ERR is the server's own. */
    assert_int_equal(fc.eventfd_calls, 3);
    close(efd[0]);
    close(efd[1]);
}

static void
test_reset_keeps_maps_and_irqs(void **state)
{
    struct env *e = *state;
    int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    struct fake_dev_counters fc;
    uint64_t v, cnt;

    assert_int_equal(client_negotiate(e->c, NULL, NULL), 0);
    assert_int_equal(client_dma_map(e->c, RAM_IOVA, RAM_SIZE, e->ram_fd, 0,
                                     VFIO_DMA_MAP_FLAG_READ |
                                         VFIO_DMA_MAP_FLAG_WRITE),
                     0);
    assert_int_equal(client_set_irqs(e->c, 2,
                                     VFIO_IRQ_SET_DATA_EVENTFD |
                                         VFIO_IRQ_SET_ACTION_TRIGGER,
                                     0, 1, &efd, 1),
                     0);
    enable_bus_master(e->c);
    assert_int_equal(client_write64(e->c, 0, FAKE_REG_SCRATCH, 42), 0);
    assert_int_equal(client_reset(e->c), 0);
    fake_dev_counters(e->dev, &fc);
    assert_int_equal(fc.reset, 1);
    assert_int_equal(client_read64(e->c, 0, FAKE_REG_SCRATCH, &v), 0);
    assert_int_equal(v, 0);
    /* §6: DEVICE_RESET keeps DMA maps and eventfds. */
    memset(e->ram, 0x5a, 64);
    start_copy(e->c, RAM_IOVA, RAM_IOVA + 0x2000, 64, FAKE_DOORBELL_GO);
    assert_int_equal(status(e->c), FAKE_ST_DONE);
    assert_int_equal(e->ram[0x2000 + 63], 0x5a);
    assert_int_equal(eventfd_read(efd, &cnt), 0);
    /* A reset with a payload is malformed. */
    assert_int_equal(client_call(e->c, VIDXD_VU_CMD_DEVICE_RESET, &v, 8, NULL,
                                 0, NULL, 0, NULL, NULL, NULL),
                     -EINVAL);
    close(efd);
}

static void
test_flr_through_config(void **state)
{
    struct env *e = *state;
    struct fake_dev_counters fc;
    uint8_t cfg[0x80];
    uint16_t cmd;

    assert_int_equal(client_negotiate(e->c, NULL, NULL), 0);
    enable_bus_master(e->c);
    assert_int_equal(
        client_region_read(e->c, VIDXD_PCI_REGION_CONFIG, 0, cfg, 0x80), 0);
    /* The PCIe capability is first, at 0x40, and advertises FLR. */
    assert_int_equal(cfg[0x40], 0x10);
    assert_int_equal(cfg[0x47] & 0x10, 0x10);
    assert_int_equal(client_write16(e->c, VIDXD_PCI_REGION_CONFIG, 0x48,
                                    0x8000),
                     0);
    fake_dev_counters(e->dev, &fc);
    assert_int_equal(fc.flr, 1);
    assert_int_equal(fc.bus_master_on, 1);
    assert_int_equal(
        client_region_read(e->c, VIDXD_PCI_REGION_CONFIG, 4, &cmd, 2), 0);
    assert_int_equal(cmd, 0);
}

static void
get_connected(void *arg)
{
    void **a = arg;

    *(bool *)a[1] = vidxd_server_connected(a[0]);
}

static void
test_disconnect_cleans_up_and_reconnects(void **state)
{
    struct env *e = *state;
    int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    struct fake_dev_counters fc;
    bool connected = true;
    void *args[2] = {e->srv, &connected};
    uint32_t id;

    assert_int_equal(client_negotiate(e->c, NULL, NULL), 0);
    assert_int_equal(client_dma_map(e->c, RAM_IOVA, RAM_SIZE, e->ram_fd, 0,
                                     VFIO_DMA_MAP_FLAG_READ),
                     0);
    assert_int_equal(client_set_irqs(e->c, 2,
                                     VFIO_IRQ_SET_DATA_EVENTFD |
                                         VFIO_IRQ_SET_ACTION_TRIGGER,
                                     0, 1, &efd, 1),
                     0);
    assert_int_equal(client_write64(e->c, 0, FAKE_REG_SCRATCH, 7), 0);
    client_close(e->c);
    e->c = NULL;
    /* The loop thread sees the hang-up; poll it from there. */
    while (connected) {
        harness_run_on_loop(e->h, get_connected, args);
    }
    fake_dev_counters(e->dev, &fc);
    assert_int_equal(fc.attach, 1);
    assert_int_equal(fc.detach, 1);
    assert_int_equal(vidxd_as_count(fake_dev_as(e->dev)), 0);
    assert_int_equal(vidxd_server_irq_trigger(e->srv, 2, 0), -ENOENT);
    /* The device kept its state; a new VMM can start over. */
    e->c = connect_client(e);
    assert_int_equal(client_negotiate(e->c, NULL, NULL), 0);
    assert_int_equal(client_read32(e->c, 0, FAKE_REG_SCRATCH, &id), 0);
    assert_int_equal(id, 7);
    fake_dev_counters(e->dev, &fc);
    assert_int_equal(fc.attach, 2);
    close(efd);
}

static void
test_second_session_refused(void **state)
{
    struct env *e = *state;
    int sv[2];

    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    /* Not on the loop thread, but the loop is idle: the session exists. */
    assert_int_equal(client_negotiate(e->c, NULL, NULL), 0);
    {
        int rc = 0;
        void *args[3] = {e->srv, &sv[1], &rc};

        harness_run_on_loop(e->h, adopt_on_loop, args);
        assert_int_equal(rc, -EBUSY);
    }
    close(sv[0]);
    assert_int_equal(client_write64(e->c, 0, FAKE_REG_SCRATCH, 1), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_rejects_bad_configs),
        cmocka_unit_test_setup_teardown(test_version_reply, setup, teardown),
        cmocka_unit_test_setup_teardown(test_device_region_irq_info, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_region_info_truncated_reply,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_region_info_no_fds_client, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_config_and_bar_access, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_posted_write_ordering, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_bar2_shared_memory, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_dma_copy_and_msix, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_dma_map_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dma_map_without_fd_faults, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_irq_assign_trigger_disable, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_reset_keeps_maps_and_irqs, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_flr_through_config, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_disconnect_cleans_up_and_reconnects, setup, teardown),
        cmocka_unit_test_setup_teardown(test_second_session_refused, setup,
                                        teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
