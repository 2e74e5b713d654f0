/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The fake PCI function behind test and fuzz servers (see fake_dev.h).
 * State, register decode, ops table, DMA worker, create/destroy, in that
 * order.  Guest memory is reached only through the server-fed vidxd_as.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <linux/pci_regs.h>

#include "fake_dev.h"
#include "vidxd/mem.h"
#include "vidxd/pci.h"

struct fake_dev {
    struct vidxd_pci_cfg *cfg;
    struct vidxd_as *as;
    struct vidxd_server *srv;
    bool allow_async;
    bool no_mmap;

    /* BAR0 registers written by the loop thread. */
    uint64_t src, dst, len, scratch, hold_ms;
    _Atomic uint64_t status;
    _Atomic uint64_t irq_missed;
    _Atomic uint64_t done_count;
    atomic_bool bus_master;

    /* BAR2: a memfd, mapped here for trapped accesses. */
    int bar2_fd;
    uint8_t *bar2;

    /* Worker thread for asynchronous DMA. */
    pthread_t worker;
    bool worker_started;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool job; /* a job is queued or running */
    bool stop;
    uint64_t job_src, job_dst, job_len, job_hold_ms;

    _Atomic unsigned n_attach, n_detach, n_reset, n_flr, n_bm_on, n_msix,
        n_eventfds, n_mask;
};

/* ---- DMA engine ---------------------------------------------------------- */

static void
raise_completion(struct fake_dev *dev)
{
    if (dev->srv == NULL ||
        vidxd_server_irq_trigger(dev->srv, VIDXD_PCI_IRQ_MSIX, 0) < 0) {
        atomic_fetch_add(&dev->irq_missed, 1);
    }
}

/* Copy inside the address space; the caller is between enter and leave. */
static uint64_t
dma_copy(struct fake_dev *dev, uint64_t src, uint64_t dst, uint64_t len)
{
    uint8_t *tmp;
    uint64_t st = FAKE_ST_DONE;

    if (len > FAKE_MAX_LEN) {
        return FAKE_ST_FAULT;
    }
    tmp = malloc(len ? len : 1);
    if (tmp == NULL) {
        return FAKE_ST_FAULT;
    }
    if (vidxd_as_read(dev->as, src, tmp, len, NULL) < 0 ||
        vidxd_as_write(dev->as, dst, tmp, len, NULL) < 0) {
        st = FAKE_ST_FAULT;
    }
    free(tmp);
    return st;
}

static void
sleep_ms(uint64_t ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000};

    while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
    }
}

static void *
worker_main(void *arg)
{
    struct fake_dev *dev = arg;

    pthread_mutex_lock(&dev->lock);
    for (;;) {
        uint64_t st;

        while (!dev->job && !dev->stop) {
            pthread_cond_wait(&dev->cond, &dev->lock);
        }
        if (dev->stop) {
            break;
        }
        pthread_mutex_unlock(&dev->lock);
        vidxd_as_enter(dev->as);
        atomic_store(&dev->status, FAKE_ST_BUSY);
        /* Hold the address space so that an unmap has to wait for us. */
        sleep_ms(dev->job_hold_ms);
        st = dma_copy(dev, dev->job_src, dev->job_dst, dev->job_len);
        vidxd_as_leave(dev->as);
        atomic_store(&dev->status, st);
        atomic_fetch_add(&dev->done_count, 1);
        raise_completion(dev);
        pthread_mutex_lock(&dev->lock);
        dev->job = false;
        pthread_cond_broadcast(&dev->cond);
    }
    pthread_mutex_unlock(&dev->lock);
    return NULL;
}

static void
wait_idle(struct fake_dev *dev)
{
    pthread_mutex_lock(&dev->lock);
    while (dev->job) {
        pthread_cond_wait(&dev->cond, &dev->lock);
    }
    pthread_mutex_unlock(&dev->lock);
}

static void
doorbell(struct fake_dev *dev, uint64_t v)
{
    uint64_t st;

    if (!(v & FAKE_DOORBELL_GO)) {
        return;
    }
    if (!atomic_load(&dev->bus_master)) {
        atomic_store(&dev->status, FAKE_ST_NO_BME);
        return;
    }
    if ((v & FAKE_DOORBELL_ASYNC) && dev->worker_started) {
        pthread_mutex_lock(&dev->lock);
        if (!dev->job) {
            dev->job = true;
            dev->job_src = dev->src;
            dev->job_dst = dev->dst;
            dev->job_len = dev->len;
            dev->job_hold_ms = dev->hold_ms > 1000 ? 1000 : dev->hold_ms;
            atomic_store(&dev->status, FAKE_ST_QUEUED);
            pthread_cond_broadcast(&dev->cond);
        }
        pthread_mutex_unlock(&dev->lock);
        return;
    }
    vidxd_as_enter(dev->as);
    st = dma_copy(dev, dev->src, dev->dst, dev->len);
    vidxd_as_leave(dev->as);
    atomic_store(&dev->status, st);
    atomic_fetch_add(&dev->done_count, 1);
    raise_completion(dev);
}

/* ---- register decode ----------------------------------------------------- */

static uint64_t
bar0_reg(struct fake_dev *dev, uint64_t reg)
{
    switch (reg) {
    case FAKE_REG_ID:
        return FAKE_ID;
    case FAKE_REG_SRC:
        return dev->src;
    case FAKE_REG_DST:
        return dev->dst;
    case FAKE_REG_LEN:
        return dev->len;
    case FAKE_REG_STATUS:
        return atomic_load(&dev->status);
    case FAKE_REG_SCRATCH:
        return dev->scratch;
    case FAKE_REG_HOLD_MS:
        return dev->hold_ms;
    case FAKE_REG_IRQ_MISSED:
        return atomic_load(&dev->irq_missed);
    case FAKE_REG_DONE_COUNT:
        return atomic_load(&dev->done_count);
    default:
        return 0; /* MSI-X table/PBA and holes read as zero */
    }
}

static int
bar0_read(struct fake_dev *dev, uint64_t off, void *buf, size_t len)
{
    uint64_t v;

    /* Registers are 64-bit; 4-byte halves are allowed, nothing else. */
    if ((len != 4 && len != 8) || off % len != 0) {
        return -EINVAL;
    }
    v = bar0_reg(dev, off & ~7ull) >> ((off & 4) * 8);
    memcpy(buf, &v, len);
    return 0;
}

static int
bar0_write(struct fake_dev *dev, uint64_t off, const void *buf, size_t len)
{
    uint64_t v = 0, *reg;

    if (len != 8 || off % 8 != 0) {
        return -EINVAL;
    }
    memcpy(&v, buf, 8);
    switch (off) {
    case FAKE_REG_SRC:
        reg = &dev->src;
        break;
    case FAKE_REG_DST:
        reg = &dev->dst;
        break;
    case FAKE_REG_LEN:
        reg = &dev->len;
        break;
    case FAKE_REG_SCRATCH:
        reg = &dev->scratch;
        break;
    case FAKE_REG_HOLD_MS:
        reg = &dev->hold_ms;
        break;
    case FAKE_REG_DOORBELL:
        doorbell(dev, v);
        return 0;
    default:
        return 0; /* RO and MSI-X table writes are dropped */
    }
    *reg = v;
    return 0;
}

/* ---- PCI function ops ---------------------------------------------------- */

static int
op_region_info(void *opaque, uint32_t index, struct vidxd_region_info *ri)
{
    struct fake_dev *dev = opaque;

    switch (index) {
    case VIDXD_PCI_REGION_CONFIG:
        ri->size = vidxd_pci_cfg_size(dev->cfg);
        ri->flags = VIDXD_REGION_READ | VIDXD_REGION_WRITE;
        break;
    case 0:
        ri->size = FAKE_BAR0_SIZE;
        ri->flags = VIDXD_REGION_READ | VIDXD_REGION_WRITE;
        break;
    case 2:
        ri->size = FAKE_BAR2_SIZE;
        ri->flags = VIDXD_REGION_READ | VIDXD_REGION_WRITE;
        if (!dev->no_mmap) {
            ri->flags |= VIDXD_REGION_MMAP;
            ri->fd = dev->bar2_fd;
            ri->fd_offset = 0;
            ri->nr_areas = 1;
            ri->areas[0].offset = 0;
            ri->areas[0].size = 0x1000;
        }
        break;
    default:
        break;
    }
    return 0;
}

static int
op_cfg_read(void *opaque, uint32_t off, void *buf, size_t len)
{
    struct fake_dev *dev = opaque;

    return vidxd_pci_cfg_read(dev->cfg, off, buf, len);
}

static int
op_cfg_write(void *opaque, uint32_t off, const void *buf, size_t len)
{
    struct fake_dev *dev = opaque;

    return vidxd_pci_cfg_write(dev->cfg, off, buf, len);
}

static int
op_bar_read(void *opaque, unsigned bar, uint64_t off, void *buf, size_t len)
{
    struct fake_dev *dev = opaque;

    if (bar == 0) {
        return bar0_read(dev, off, buf, len);
    }
    if (bar == 2 && off + len <= FAKE_BAR2_SIZE) {
        memcpy(buf, dev->bar2 + off, len);
        return 0;
    }
    return -EINVAL;
}

static int
op_bar_write(void *opaque, unsigned bar, uint64_t off, const void *buf,
             size_t len)
{
    struct fake_dev *dev = opaque;

    if (bar == 0) {
        return bar0_write(dev, off, buf, len);
    }
    if (bar == 2 && off + len <= FAKE_BAR2_SIZE) {
        memcpy(dev->bar2 + off, buf, len);
        return 0;
    }
    return -EINVAL;
}

static uint32_t
op_irq_count(void *opaque, uint32_t index)
{
    (void)opaque;
    return index == VIDXD_PCI_IRQ_MSIX ? FAKE_NVEC : 0;
}

static void
op_irq_eventfds(void *opaque, uint32_t index, uint32_t start, uint32_t count,
                const int *fds)
{
    struct fake_dev *dev = opaque;

    (void)index;
    (void)start;
    (void)count;
    (void)fds;
    atomic_fetch_add(&dev->n_eventfds, 1);
}

static int
op_irq_mask(void *opaque, uint32_t index, uint32_t start, uint32_t count,
            bool masked)
{
    struct fake_dev *dev = opaque;

    (void)index;
    (void)start;
    (void)count;
    (void)masked;
    atomic_fetch_add(&dev->n_mask, 1);
    return 0;
}

static void
regs_reset(struct fake_dev *dev)
{
    wait_idle(dev);
    dev->src = dev->dst = dev->len = dev->scratch = dev->hold_ms = 0;
    atomic_store(&dev->status, FAKE_ST_IDLE);
}

static int
op_reset(void *opaque)
{
    struct fake_dev *dev = opaque;

    regs_reset(dev);
    atomic_fetch_add(&dev->n_reset, 1);
    return 0;
}

static struct vidxd_as *
op_dma_as(void *opaque)
{
    return ((struct fake_dev *)opaque)->as;
}

static int
op_attach(void *opaque)
{
    atomic_fetch_add(&((struct fake_dev *)opaque)->n_attach, 1);
    return 0;
}

static void
op_detach(void *opaque)
{
    struct fake_dev *dev = opaque;

    /* Stop touching guest memory before the server unmaps it. */
    wait_idle(dev);
    atomic_fetch_add(&dev->n_detach, 1);
}

static const struct vidxd_pci_fn_ops fake_ops = {
    .region_info = op_region_info,
    .cfg_read = op_cfg_read,
    .cfg_write = op_cfg_write,
    .bar_read = op_bar_read,
    .bar_write = op_bar_write,
    .irq_count = op_irq_count,
    .irq_eventfds = op_irq_eventfds,
    .irq_mask = op_irq_mask,
    .reset = op_reset,
    .dma_as = op_dma_as,
    .attach = op_attach,
    .detach = op_detach,
};

const struct vidxd_pci_fn_ops *
fake_dev_ops(void)
{
    return &fake_ops;
}

/* ---- config-space hooks -------------------------------------------------- */

static void
hook_command(void *opaque, uint16_t old_cmd, uint16_t new_cmd)
{
    struct fake_dev *dev = opaque;
    bool on = (new_cmd & PCI_COMMAND_MASTER) != 0;

    atomic_store(&dev->bus_master, on);
    if (on && !(old_cmd & PCI_COMMAND_MASTER)) {
        atomic_fetch_add(&dev->n_bm_on, 1);
    }
}

static void
hook_msix(void *opaque, bool enabled, bool masked)
{
    (void)enabled;
    (void)masked;
    atomic_fetch_add(&((struct fake_dev *)opaque)->n_msix, 1);
}

static void
hook_flr(void *opaque)
{
    struct fake_dev *dev = opaque;

    atomic_store(&dev->bus_master, false);
    regs_reset(dev);
    atomic_fetch_add(&dev->n_flr, 1);
}

/* ---- create / destroy ---------------------------------------------------- */

static int
build_config(struct fake_dev *dev)
{
    static const struct vidxd_pci_ids ids = {
        .vendor_id = 0x1234,
        .device_id = 0x5678,
        .subsys_vendor_id = 0x1234,
        .subsys_id = 0x0001,
        .revision = 1,
        .class_code = 0xff0000,
    };
    static const struct vidxd_pci_cfg_hooks hooks = {
        .command = hook_command,
        .msix = hook_msix,
        .flr = hook_flr,
    };
    const struct vidxd_pci_msix_desc msix = {
        .nvec = FAKE_NVEC,
        .table_bir = 0,
        .table_offset = FAKE_MSIX_TABLE,
        .pba_bir = 0,
        .pba_offset = FAKE_MSIX_PBA,
    };
    int rc;

    rc = vidxd_pci_cfg_create(&ids, VIDXD_PCIE_CFG_SIZE, &dev->cfg);
    if (rc == 0) {
        rc = vidxd_pci_cfg_set_bar(dev->cfg, 0, FAKE_BAR0_SIZE, 0);
    }
    if (rc == 0) {
        rc = vidxd_pci_cfg_set_bar(dev->cfg, 2, FAKE_BAR2_SIZE,
                                   VIDXD_PCI_BAR_MEM64 |
                                       VIDXD_PCI_BAR_PREFETCH);
    }
    if (rc == 0) {
        rc = vidxd_pci_cfg_add_pcie(dev->cfg, VIDXD_PCIE_ENDPOINT,
                                    VIDXD_PCIE_CAP_FLR, NULL);
    }
    if (rc == 0) {
        rc = vidxd_pci_cfg_add_msix(dev->cfg, &msix, NULL);
    }
    if (rc == 0) {
        vidxd_pci_cfg_set_hooks(dev->cfg, &hooks, dev);
    }
    return rc;
}

int
fake_dev_create(const struct fake_dev_config *cfg, struct fake_dev **out)
{
    struct fake_dev *dev;
    int rc;

    dev = calloc(1, sizeof(*dev));
    if (dev == NULL) {
        return -ENOMEM;
    }
    dev->bar2_fd = -1;
    dev->allow_async = cfg != NULL && cfg->allow_async;
    dev->no_mmap = cfg != NULL && cfg->no_mmap;
    pthread_mutex_init(&dev->lock, NULL);
    pthread_cond_init(&dev->cond, NULL);
    rc = build_config(dev);
    if (rc < 0) {
        goto fail;
    }
    rc = vidxd_as_create(0, &dev->as);
    if (rc < 0) {
        goto fail;
    }
    dev->bar2_fd = memfd_create("fake-bar2", MFD_CLOEXEC);
    if (dev->bar2_fd < 0 || ftruncate(dev->bar2_fd, FAKE_BAR2_SIZE) < 0) {
        rc = -errno;
        goto fail;
    }
    dev->bar2 = mmap(NULL, FAKE_BAR2_SIZE, PROT_READ | PROT_WRITE,
                     MAP_SHARED, dev->bar2_fd, 0);
    if (dev->bar2 == MAP_FAILED) {
        dev->bar2 = NULL;
        rc = -errno;
        goto fail;
    }
    if (dev->allow_async) {
        rc = -pthread_create(&dev->worker, NULL, worker_main, dev);
        if (rc < 0) {
            goto fail;
        }
        dev->worker_started = true;
    }
    *out = dev;
    return 0;
fail:
    fake_dev_destroy(dev);
    return rc;
}

void
fake_dev_destroy(struct fake_dev *dev)
{
    if (dev == NULL) {
        return;
    }
    if (dev->worker_started) {
        pthread_mutex_lock(&dev->lock);
        dev->stop = true;
        pthread_cond_broadcast(&dev->cond);
        pthread_mutex_unlock(&dev->lock);
        pthread_join(dev->worker, NULL);
    }
    if (dev->bar2 != NULL) {
        munmap(dev->bar2, FAKE_BAR2_SIZE);
    }
    if (dev->bar2_fd >= 0) {
        close(dev->bar2_fd);
    }
    vidxd_as_destroy(dev->as);
    vidxd_pci_cfg_destroy(dev->cfg);
    pthread_cond_destroy(&dev->cond);
    pthread_mutex_destroy(&dev->lock);
    free(dev);
}

void
fake_dev_set_server(struct fake_dev *dev, struct vidxd_server *srv)
{
    dev->srv = srv;
}

struct vidxd_as *
fake_dev_as(struct fake_dev *dev)
{
    return dev->as;
}

void
fake_dev_counters(struct fake_dev *dev, struct fake_dev_counters *out)
{
    out->attach = atomic_load(&dev->n_attach);
    out->detach = atomic_load(&dev->n_detach);
    out->reset = atomic_load(&dev->n_reset);
    out->flr = atomic_load(&dev->n_flr);
    out->bus_master_on = atomic_load(&dev->n_bm_on);
    out->msix_changes = atomic_load(&dev->n_msix);
    out->eventfd_calls = atomic_load(&dev->n_eventfds);
    out->mask_calls = atomic_load(&dev->n_mask);
}
