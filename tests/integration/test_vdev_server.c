/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Integration tests of virtual devices served over vfio-user: two vdevs on
 * one parent DSA (one engine worker), each behind its own server on its
 * own UNIX socket, both servers in one event-loop thread as in the daemon.
 * Two clients, each in its own thread, play QEMU plus a read-only-config
 * guest driver (dsa.md §2.2-§2.4) at the same time, with the same IOVAs
 * backed by different memfds holding different data: each sees only its
 * own results, completion interrupts arrive on its MSI-X eventfds, and a
 * DEVICE_RESET of one leaves the other running.  A second case serves a
 * vdev with mapped portals: the client stores descriptors into the shared
 * memory the region's sparse-mmap areas describe (dsa.md §5.4).
 */
#include <errno.h>
#include <poll.h>
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

#include "client.h"
#include "harness.h"
#include "vidxd/dsa.h"
#include "vidxd/irq.h"
#include "vidxd/server.h"
#include "vidxd/spec.h"
#include "vidxd/vdev.h"

#define NVDEV 2
#define CFG VIDXD_PCI_REGION_CONFIG
#define EFD_TRIGGER (VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER)
#define CMD(code, operand) (((uint32_t)(code) << 20) | (operand))
#define INT_REQ VIDXD_CMD_INT_REQ
#define WAIT_MS 10000

/* Guest memory of each client: the same IOVAs, its own memfd. */
#define G_IOVA 0x100000ull
#define G_SIZE 0x10000u
#define G_SRC 0x0000u
#define G_DST 0x4000u
#define G_CR 0x8000u
#define G_XFER 4096u
#define ROUNDS 16

struct env {
    char dir[128];
    char path[NVDEV][160];
    struct vidxd_dsa *dsa;
    struct vidxd_irq_dev *irq;
    struct vidxd_vdev *v[NVDEV];
    struct vidxd_server *srv[NVDEV];
    struct harness *h;
};

/* ---- the parent, glued as the daemon's PF (src/daemon/pf.c) ---- */

static void
p_interrupt(void *opaque, unsigned index, bool ims)
{
    struct env *e = opaque;

    vidxd_irq_raise(e->irq, ims ? VIDXD_IRQ_DOMAIN_IMS : VIDXD_IRQ_DOMAIN_MSIX,
                    index);
}

static bool
p_int_handle_valid(void *opaque, uint16_t handle, bool ims, uint32_t pasid)
{
    struct env *e = opaque;
    struct vidxd_irq_entry_info info;

    if (!ims) {
        return false;
    }
    if (vidxd_irq_entry_info(e->irq, VIDXD_IRQ_DOMAIN_IMS, handle, &info) < 0 ||
        !info.active) {
        return false;
    }
    return vidxd_irq_ims_array_pasid_ok(e->irq, VIDXD_IRQ_DOMAIN_IMS, handle,
                                        pasid != VIDXD_DSA_NO_PASID, pasid);
}

static const struct vidxd_dsa_host_ops p_ops = {
    .interrupt = p_interrupt,
    .int_handle_valid = p_int_handle_valid,
};

static void
p_wr(struct env *e, uint64_t off, unsigned size, uint64_t v)
{
    assert_int_equal(vidxd_dsa_bar0_write(e->dsa, off, size, v), 0);
}

/*
 * Parent as the control plane sets it up: WQs 0-3 dedicated, size 16,
 * priority 1, in group 0 with engines 0-1, device enabled; vdev i owns
 * parent WQ(s) starting at 2 * i.
 */
static void
env_start(struct env *e, enum vidxd_dsa_portal_mode mode, unsigned nwq)
{
    struct vidxd_dsa_config cfg;
    const char *tmp = getenv("TMPDIR");
    uint32_t sts = ~0u;
    unsigned i, w;

    memset(e, 0, sizeof(*e));
    vidxd_dsa_config_default(&cfg);
    cfg.workers = 1;
    cfg.portal_mode = mode;
    assert_int_equal(vidxd_dsa_create(&cfg, &p_ops, e, &e->dsa), 0);
    assert_int_equal(vidxd_irq_dev_create("parent", 0, &e->irq), 0);
    assert_int_equal(vidxd_irq_ims_array_create(e->irq, VIDXD_IRQ_DOMAIN_IMS,
                                                2048, VIDXD_IRQ_IMS_PASID),
                     0);
    vidxd_dsa_set_bus_master(e->dsa, true);
    p_wr(e, 0x300 + VIDXD_GRPCFG_WQS, 8, 0x0f);
    p_wr(e, 0x300 + VIDXD_GRPCFG_ENGINES, 8, 0x3);
    for (w = 0; w < 4; w++) {
        p_wr(e, 0x400 + 32 * w, 4, 16);
        p_wr(e, 0x400 + 32 * w + 8, 4,
             VIDXD_WQCFG_MODE_DEDICATED | (1u << VIDXD_WQCFG_PRIORITY_SHIFT));
        p_wr(e, 0x400 + 32 * w + 12, 4, 20 | (5u << 5));
    }
    assert_int_equal(
        vidxd_dsa_command(e->dsa, CMD(VIDXD_CMD_ENABLE_DEVICE, 0), &sts), 0);
    assert_int_equal(sts, 0);

    if (tmp == NULL || strlen(tmp) > 64) {
        tmp = "/tmp";
    }
    snprintf(e->dir, sizeof(e->dir), "%s/vidxd-vdev-XXXXXX", tmp);
    assert_non_null(mkdtemp(e->dir));
    for (i = 0; i < NVDEV; i++) {
        struct vidxd_vdev_config vc;
        struct vidxd_server_config sc;

        memset(&vc, 0, sizeof(vc));
        vc.nr_wqs = nwq;
        for (w = 0; w < nwq; w++) {
            vc.wqs[w] = 2 * i + w;
        }
        vc.pasid = 0x100 * (i + 1);
        vc.portal_mode = mode;
        assert_int_equal(vidxd_vdev_create(e->dsa, e->irq, &vc, &e->v[i]), 0);
        snprintf(e->path[i], sizeof(e->path[i]), "%s/vdev%u.sock", e->dir, i);
        memset(&sc, 0, sizeof(sc));
        sc.socket_path = e->path[i];
        sc.ops = vidxd_vdev_fn_ops();
        sc.opaque = e->v[i];
        assert_int_equal(vidxd_server_create(&sc, &e->srv[i]), 0);
    }
    assert_int_equal(harness_start(e->srv, NVDEV, &e->h), 0);
}

static void
env_stop(struct env *e)
{
    unsigned i;

    harness_stop(e->h);
    for (i = 0; i < NVDEV; i++) {
        vidxd_server_destroy(e->srv[i]);
        vidxd_vdev_destroy(e->v[i]);
    }
    vidxd_dsa_destroy(e->dsa);
    vidxd_irq_dev_destroy(e->irq);
    rmdir(e->dir);
}

/* ---- one VMM + guest driver, run on its own thread ---- */

struct vm {
    const char *path;
    uint8_t seed;
    unsigned nwq;  /* WQs of the vdev */
    bool resetter; /* DEVICE_RESET after phase 1 */
    pthread_barrier_t *bar;
    /* results, checked by the main thread (cmocka is not thread-safe) */
    int fail_line;
    int fail_rc;
    unsigned completions;
    uint64_t irqs;
    /* state */
    struct client *c;
    uint8_t *mem;
    int memfd;
    int efd[2];
    uint16_t handle;
    unsigned slot;
};

#define CHECK(vm, cond, rcval)                                                 \
    do {                                                                       \
        if (!(cond)) {                                                         \
            (vm)->fail_line = __LINE__;                                        \
            (vm)->fail_rc = (int)(rcval);                                      \
            return -1;                                                         \
        }                                                                      \
    } while (0)

static int
wait_irq(int fd, uint64_t *n)
{
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    int rc = poll(&pfd, 1, WAIT_MS);

    if (rc != 1) {
        return -ETIMEDOUT;
    }
    return read(fd, n, sizeof(*n)) == (ssize_t)sizeof(*n) ? 0 : -EIO;
}

static int
vm_rd32(struct vm *vm, uint64_t off, uint32_t *v)
{
    return client_read32(vm->c, VIDXD_PCI_REGION_BAR0, off, v);
}

/* idxd_cmd_exec with int_req: write CMD, sleep on vector 0, acknowledge
 * INTCAUSE, read CMDSTS. */
static int
vm_cmd(struct vm *vm, uint32_t cmd, uint32_t *sts)
{
    uint32_t cause = 0;
    uint64_t n = 0;
    int rc;

    rc = client_write32(vm->c, VIDXD_PCI_REGION_BAR0, VIDXD_REG_CMD,
                        cmd | INT_REQ);
    CHECK(vm, rc == 0, rc);
    rc = wait_irq(vm->efd[0], &n);
    CHECK(vm, rc == 0 && n == 1, rc != 0 ? rc : (int)n);
    rc = vm_rd32(vm, VIDXD_REG_INTCAUSE, &cause);
    CHECK(vm, rc == 0 && (cause & VIDXD_INTCAUSE_CMD) != 0, cause);
    rc =
        client_write32(vm->c, VIDXD_PCI_REGION_BAR0, VIDXD_REG_INTCAUSE, cause);
    CHECK(vm, rc == 0, rc);
    rc = vm_rd32(vm, VIDXD_REG_CMDSTS, sts);
    CHECK(vm, rc == 0 && (*sts & VIDXD_CMDSTS_ACTIVE) == 0, *sts);
    return 0;
}

/* QEMU realize (vfio-user.md §2.3): negotiate, describe, map guest RAM,
 * wire MSI-X eventfds. */
static int
vm_attach(struct vm *vm)
{
    struct vidxd_vu_device_info di;
    struct vidxd_vu_irq_info ii;
    struct client_region r;
    int rc;

    rc = client_connect(vm->path, &vm->c);
    CHECK(vm, rc == 0, rc);
    rc = client_negotiate(vm->c, NULL, NULL);
    CHECK(vm, rc == 0, rc);
    rc = client_device_info(vm->c, &di);
    CHECK(vm, rc == 0 && (di.flags & VFIO_DEVICE_FLAGS_RESET) != 0, di.flags);
    rc = client_region_info(vm->c, VIDXD_PCI_REGION_BAR0, &r);
    CHECK(vm, rc == 0 && r.info.size == VIDXD_VDEV_BAR0_SIZE, r.info.size);
    rc = client_irq_info(vm->c, VIDXD_PCI_IRQ_MSIX, &ii);
    CHECK(vm, rc == 0 && ii.count == vm->nwq + 1, ii.count);
    vm->memfd = memfd_create("vdev-guest", MFD_CLOEXEC);
    CHECK(vm, vm->memfd >= 0, errno);
    CHECK(vm, ftruncate(vm->memfd, G_SIZE) == 0, errno);
    vm->mem =
        mmap(NULL, G_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, vm->memfd, 0);
    CHECK(vm, vm->mem != MAP_FAILED, errno);
    rc = client_dma_map(vm->c, G_IOVA, G_SIZE, vm->memfd, 0,
                        VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE);
    CHECK(vm, rc == 0, rc);
    vm->efd[0] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    vm->efd[1] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    CHECK(vm, vm->efd[0] >= 0 && vm->efd[1] >= 0, errno);
    rc = client_set_irqs(vm->c, VIDXD_PCI_IRQ_MSIX, EFD_TRIGGER, 0, 2, vm->efd,
                         2);
    CHECK(vm, rc == 0, rc);
    return 0;
}

/* The read-only-config probe and WQ 0 enable (dsa.md §2.2, §2.3). */
static int
vm_driver_up(struct vm *vm)
{
    uint16_t command = 0x6;
    uint64_t gencap = 0;
    uint32_t v = 0, sts = 0;
    int rc;

    rc = client_region_write(vm->c, CFG, 0x04, &command, 2, false);
    CHECK(vm, rc == 0, rc);
    rc = client_write32(vm->c, VIDXD_PCI_REGION_BAR0, VIDXD_REG_CMD,
                        CMD(VIDXD_CMD_RESET_DEVICE, 0));
    CHECK(vm, rc == 0, rc);
    rc = vm_rd32(vm, VIDXD_REG_CMDSTS, &v);
    CHECK(vm, rc == 0 && v == 0, v);
    rc = client_read64(vm->c, VIDXD_PCI_REGION_BAR0, VIDXD_REG_GENCAP, &gencap);
    CHECK(vm,
          rc == 0 && (gencap & VIDXD_GENCAP_CONFIG_EN) == 0 &&
              (gencap & VIDXD_GENCAP_CMD_CAP) != 0,
          gencap);
    rc = vm_rd32(vm, 0x508, &v); /* WQCFG[0] dword 2 */
    CHECK(vm,
          rc == 0 && (v & VIDXD_WQCFG_MODE_DEDICATED) != 0 &&
              (v & VIDXD_WQCFG_PASID_EN) == 0,
          v);
    rc = client_write32(vm->c, VIDXD_PCI_REGION_BAR0, VIDXD_REG_GENCTRL,
                        VIDXD_GENCTRL_SOFTERR_INT_EN |
                            VIDXD_GENCTRL_HALT_INT_EN);
    CHECK(vm, rc == 0, rc);
    CHECK(vm, vm_cmd(vm, CMD(VIDXD_CMD_ENABLE_DEVICE, 0), &sts) == 0, 0);
    CHECK(vm, sts == 0, sts);
    CHECK(vm, vm_cmd(vm, CMD(VIDXD_CMD_ENABLE_WQ, 0), &sts) == 0, 0);
    CHECK(vm, sts == 0, sts);
    CHECK(vm, vm_cmd(vm, CMD(VIDXD_CMD_REQUEST_INT_HANDLE, 1), &sts) == 0, 0);
    CHECK(vm, (sts & 0xff) == 0, sts);
    vm->handle = (uint16_t)(sts >> 8);
    return 0;
}

static void
vm_fill(struct vm *vm, uint8_t seed)
{
    unsigned i;

    for (i = 0; i < G_XFER; i++) {
        vm->mem[G_SRC + i] = (uint8_t)(seed ^ (i * 13));
    }
    memset(vm->mem + G_DST, 0, G_XFER);
    memset(vm->mem + G_CR, 0, 32);
}

static void
vm_desc(struct vm *vm, struct vidxd_desc *d)
{
    memset(d, 0, sizeof(*d));
    d->flags_opcode = ((uint32_t)VIDXD_OP_MEMMOVE << VIDXD_DESC_OPCODE_SHIFT) |
                      VIDXD_FLAG_CRAV | VIDXD_FLAG_RCR | VIDXD_FLAG_RCI;
    d->src = G_IOVA + G_SRC;
    d->dst = G_IOVA + G_DST;
    d->xfer_size = G_XFER;
    d->completion_addr = G_IOVA + G_CR;
    d->int_handle = vm->handle;
}

/* One memmove through the trapped portal: eight posted 8-byte stores in
 * program order (QEMU TCG, design.md "Portals"), then the interrupt. */
static int
vm_memmove(struct vm *vm, uint8_t seed)
{
    struct vidxd_desc d;
    uint64_t q[8], base, n = 0;
    unsigned i;
    int rc;

    vm_fill(vm, seed);
    vm_desc(vm, &d);
    memcpy(q, &d, sizeof(q));
    base = VIDXD_PORTAL_LIMITED + (uint64_t)(vm->slot++ % 64) * 64;
    for (i = 0; i < 8; i++) {
        rc = client_region_write(vm->c, 2, base + 8 * i, &q[i], 8, true);
        CHECK(vm, rc == 0, rc);
    }
    rc = wait_irq(vm->efd[1], &n);
    CHECK(vm, rc == 0 && n == 1, rc != 0 ? rc : (int)n);
    vm->irqs += n;
    CHECK(vm,
          __atomic_load_n(vm->mem + G_CR, __ATOMIC_ACQUIRE) ==
              VIDXD_STATUS_SUCCESS,
          vm->mem[G_CR]);
    CHECK(vm, memcmp(vm->mem + G_DST, vm->mem + G_SRC, G_XFER) == 0, 0);
    CHECK(vm, vm->mem[G_SRC] == seed, vm->mem[G_SRC]);
    vm->completions++;
    return 0;
}

static int
vm_rounds(struct vm *vm, unsigned base)
{
    unsigned k;

    for (k = 0; k < ROUNDS; k++) {
        if (vm_memmove(vm, (uint8_t)(vm->seed + base + k)) != 0) {
            return -1;
        }
    }
    return 0;
}

static int
vm_run(struct vm *vm)
{
    uint32_t v = ~0u;
    uint16_t command = 0;
    int rc;

    if (vm_attach(vm) != 0 || vm_driver_up(vm) != 0) {
        return -1;
    }
    /* Phase 1: both guests copy at the same time. */
    if (vm_rounds(vm, 0) != 0) {
        pthread_barrier_wait(vm->bar);
        pthread_barrier_wait(vm->bar);
        return -1;
    }
    pthread_barrier_wait(vm->bar);
    /* Phase 2: one guest's device is reset while the other copies on. */
    if (vm->resetter) {
        rc = client_reset(vm->c);
        CHECK(vm, rc == 0, rc);
        rc = vm_rd32(vm, VIDXD_REG_GENSTS, &v);
        CHECK(vm, rc == 0 && v == VIDXD_GENSTS_DISABLED, v);
        rc = vm_rd32(vm, 0x518, &v); /* WQCFG[0] wq_state */
        CHECK(vm, rc == 0 && v == 0, v);
        rc = client_region_read(vm->c, CFG, 0x04, &command, 2);
        CHECK(vm, rc == 0 && (command & 0x4) == 0, command);
    } else {
        rc = vm_rounds(vm, ROUNDS);
    }
    pthread_barrier_wait(vm->bar);
    if (rc != 0) {
        return -1;
    }
    /* Phase 3: the reset guest comes back; both copy again. */
    if (vm->resetter && vm_driver_up(vm) != 0) {
        return -1;
    }
    return vm_rounds(vm, 2 * ROUNDS);
}

static void *
vm_thread(void *arg)
{
    struct vm *vm = arg;

    vm->memfd = -1;
    vm->efd[0] = vm->efd[1] = -1;
    vm->mem = MAP_FAILED;
    if (vm_run(vm) != 0 && vm->fail_line == 0) {
        vm->fail_line = -1;
    }
    client_close(vm->c);
    if (vm->mem != MAP_FAILED) {
        munmap(vm->mem, G_SIZE);
    }
    if (vm->memfd >= 0) {
        close(vm->memfd);
    }
    if (vm->efd[0] >= 0) {
        close(vm->efd[0]);
    }
    if (vm->efd[1] >= 0) {
        close(vm->efd[1]);
    }
    return NULL;
}

static void
test_two_vdevs_concurrent(void **state)
{
    struct env e;
    struct vm vms[NVDEV];
    pthread_t th[NVDEV];
    pthread_barrier_t bar;
    struct vidxd_dsa_wq_stats st;
    unsigned i;

    (void)state;
    env_start(&e, VIDXD_DSA_PORTAL_TRAPPED, 1);
    assert_int_equal(pthread_barrier_init(&bar, NULL, NVDEV), 0);
    memset(vms, 0, sizeof(vms));
    for (i = 0; i < NVDEV; i++) {
        vms[i].path = e.path[i];
        vms[i].seed = (uint8_t)(0x40 * (i + 1));
        vms[i].nwq = 1;
        vms[i].resetter = i == 0;
        vms[i].bar = &bar;
        assert_int_equal(pthread_create(&th[i], NULL, vm_thread, &vms[i]), 0);
    }
    for (i = 0; i < NVDEV; i++) {
        pthread_join(th[i], NULL);
    }
    pthread_barrier_destroy(&bar);
    for (i = 0; i < NVDEV; i++) {
        if (vms[i].fail_line != 0) {
            fail_msg("vm %u failed at line %d (value %d)", i, vms[i].fail_line,
                     vms[i].fail_rc);
        }
    }
    /* The resetter copied in phases 1 and 3, the other in all three; one
     * interrupt per completion, each on its own vector 1. */
    assert_int_equal(vms[0].completions, 2 * ROUNDS);
    assert_int_equal(vms[1].completions, 3 * ROUNDS);
    assert_int_equal(vms[0].irqs, 2 * ROUNDS);
    assert_int_equal(vms[1].irqs, 3 * ROUNDS);
    /* Each vdev's descriptors went to its own parent WQ only. */
    assert_int_equal(vidxd_dsa_wq_stats(e.dsa, 0, &st), 0);
    assert_int_equal(st.submitted, 2 * ROUNDS);
    assert_int_equal(st.errors, 0);
    assert_int_equal(vidxd_dsa_wq_stats(e.dsa, 2, &st), 0);
    assert_int_equal(st.submitted, 3 * ROUNDS);
    assert_int_equal(st.errors, 0);
    assert_int_equal(vidxd_dsa_wq_stats(e.dsa, 1, &st), 0);
    assert_int_equal(st.submitted, 0);
    env_stop(&e);
}

/* Mapped portals over vfio-user: the BAR2 region offers sparse-mmap areas
 * of the parent's portal memory, which the parent's worker polls. */
static void
test_mapped_vdev(void **state)
{
    struct env e;
    struct vm vm;
    struct client_region r;
    struct vidxd_desc d;
    uint64_t q[8], *slot, n = 0;
    uint8_t *bar2;
    size_t len;
    unsigned i, k;

    (void)state;
    env_start(&e, VIDXD_DSA_PORTAL_MAPPED, 2);
    memset(&vm, 0, sizeof(vm));
    vm.path = e.path[1];
    vm.seed = 0x11;
    vm.nwq = 2;
    if (vm_attach(&vm) != 0) {
        fail_msg("attach failed at line %d (value %d)", vm.fail_line,
                 vm.fail_rc);
    }
    assert_int_equal(client_region_info(vm.c, 2, &r), 0);
    assert_int_equal(r.info.size, 2 * VIDXD_PORTAL_WQ_STRIDE);
    assert_true((r.info.flags & VFIO_REGION_INFO_FLAG_MMAP) != 0);
    assert_true(r.fd >= 0);
    assert_int_equal(r.nr_areas, 2);
    assert_int_equal(r.areas[1].offset, VIDXD_PORTAL_WQ_STRIDE);
    assert_int_equal(r.areas[1].size, 2 * VIDXD_PORTAL_PAGE);
    /* Map what QEMU maps: the region at its offset in the fd. */
    len = r.areas[1].offset + r.areas[1].size;
    bar2 = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, r.fd,
                (off_t)r.info.offset);
    assert_true(bar2 != MAP_FAILED);
    if (vm_driver_up(&vm) != 0) {
        fail_msg("driver up failed at line %d (value %d)", vm.fail_line,
                 vm.fail_rc);
    }
    for (k = 0; k < ROUNDS; k++) {
        vm_fill(&vm, (uint8_t)(0x11 + k));
        vm_desc(&vm, &d);
        memcpy(q, &d, sizeof(q));
        /* vdev WQ 0, limited page, rotating slot: qwords 1..7, then 0. */
        slot = (uint64_t *)(bar2 + VIDXD_PORTAL_LIMITED + (k % 64) * 64);
        for (i = 1; i < 8; i++) {
            __atomic_store_n(&slot[i], q[i], __ATOMIC_RELAXED);
        }
        __atomic_store_n(&slot[0], q[0], __ATOMIC_RELEASE);
        assert_int_equal(wait_irq(vm.efd[1], &n), 0);
        assert_int_equal(n, 1);
        assert_int_equal(__atomic_load_n(vm.mem + G_CR, __ATOMIC_ACQUIRE),
                         VIDXD_STATUS_SUCCESS);
        assert_memory_equal(vm.mem + G_DST, vm.mem + G_SRC, G_XFER);
    }
    munmap(bar2, len);
    close(r.fd);
    client_close(vm.c);
    munmap(vm.mem, G_SIZE);
    close(vm.memfd);
    close(vm.efd[0]);
    close(vm.efd[1]);
    env_stop(&e);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_two_vdevs_concurrent),
        cmocka_unit_test(test_mapped_vdev),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
