/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Benchmark of Scalable-IOV virtual devices (the vdev layer, dsa.md §5)
 * served over vfio-user, with every server in one event-loop thread as in
 * the daemon and the test client playing each VMM:
 *  (a) aggregate MEMMOVE throughput of 1, 2, 4 and 8 vdevs sharing one
 *      parent (8 WQs, 4 engines, 4 workers; and mapped with 1 worker),
 *      each vdev owning one parent WQ and driven by its own client thread
 *      that keeps DEPTH descriptors in flight in its own memfd guest RAM
 *      and polls their completion records; mapped portals (the guest
 *      stores into the parent's IMS portal pages, dsa.md §5.4) and trapped
 *      ones (eight posted 8-byte REGION_WRITEs per descriptor), beside
 *      glibc memcpy of the same sizes on 1 and 2 threads (the machine's
 *      copy bandwidth);
 *  (b) memory and idle CPU of 256 idle vdevs: 4 parents x 64 WQs (the
 *      model's WQ limit) with one vdev per WQ, 256 servers on 256 sockets
 *      served by one epoll thread, and a VMM connected and negotiated on
 *      each (no DMA maps, no eventfds, guest driver not loaded).  Each
 *      configuration runs in a forked child so that its RSS/PSS and
 *      getrusage() start clean.  The idle CPU is split per thread
 *      (/proc/self/task/<tid>/schedstat) into the parents' workers, the
 *      loop thread and the rest, with the workers' wake-ups per second.
 * Output: "NAME: VALUE UNIT" per figure, "ratio NAME: VALUE" for ratios.
 */
#include <dirent.h>
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "vidxd/dsa.h"
#include "vidxd/irq.h"
#include "vidxd/server.h"
#include "vidxd/spec.h"
#include "vidxd/vdev.h"

/* (a) */
#define T_WQS 8
#define T_ENGINES 4
#define T_WORKERS 4 /* one per engine, the daemon's default */
#define T_VDEVS 8
#define WQ_SIZE 16
#define DEPTH 8 /* in flight per vdev, below WQ_SIZE: a DWQ never drops */
#define XFER_MAX (64u << 10)
#define G_IOVA 0x100000ull
#define G_CR (2u * DEPTH * XFER_MAX) /* records after the buffers */
#define G_SIZE (G_CR + 4096u)
#define WARM_NS 100000000ull
#define MAPPED_WINDOW_NS 700000000ull
#define TRAPPED_WINDOW_NS 300000000ull
#define MEMCPY_WINDOW_NS 500000000ull
#define WAIT_LIMIT_NS 5000000000ull
#define SPIN_NS 20000ull
#define NAP_NS 2000

/* (b) */
#define I_PARENTS 4
#define I_WQS VIDXD_DSA_MAX_WQS
#define I_VDEVS (I_PARENTS * I_WQS)
#define I_ENGINES 4
#define I_SETTLE_S 1
#define I_IDLE_S 5
#define MAX_TASKS 256
/* Targets of the issue. */
#define TARGET_CPU_PCT 1.0
#define TARGET_KIB_PER_VDEV 256.0

/* Parent BAR0 layout for 64 WQs: the default one (dsa.h) puts GRPCFG at
 * 0x300, which the 65 MSIXPERM entries from 0x200 overlap once
 * num_wqs >= 32, so the tables move up. */
#define L64_GRPCFG 0x500u
#define L64_WQCFG 0x600u

#define CMD(code, operand)                                                     \
    (((uint32_t)(code) << VIDXD_CMD_CODE_SHIFT) | (operand))

static uint64_t
now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void
sleep_ns(uint64_t ns)
{
    struct timespec ts = {(time_t)(ns / 1000000000ull),
                          (long)(ns % 1000000000ull)};

    while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
        ;
    }
}

static void
die(const char *what, int err)
{
    fprintf(stderr, "bench_vdev: %s: %s\n", what, strerror(err));
    exit(1);
}

static void
cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

/*
 * Poll-wait of a client: spin for SPIN_NS (a worker running on the other
 * core completes a descriptor within that), then nap.  The machine has
 * two cores and the parent runs up to four polling workers: a client that
 * spins on keeps the workers that would complete its descriptors off the
 * CPU.  A short sleep (1 us timer slack, set by each client thread)
 * rather than sched_yield(): a yield hands the CPU to whatever else is
 * runnable, possibly another process, for a whole time slice.
 */
struct backoff {
    uint64_t t0;
    unsigned k;
};

static void
backoff_init(struct backoff *b)
{
    b->t0 = now_ns();
    b->k = 0;
}

/* One step; -ETIMEDOUT once WAIT_LIMIT_NS have passed. */
static int
backoff_step(struct backoff *b)
{
    uint64_t dt;

    if ((++b->k & 63) != 0) {
        cpu_relax();
        return 0;
    }
    dt = now_ns() - b->t0;
    if (dt > WAIT_LIMIT_NS) {
        return -ETIMEDOUT;
    }
    if (dt > SPIN_NS) {
        struct timespec ts = {0, NAP_NS};

        nanosleep(&ts, NULL);
    }
    return 0;
}

/* For client threads only: the library's threads keep the default. */
static void
client_timer_slack(void)
{
    prctl(PR_SET_TIMERSLACK, 1000ul, 0, 0, 0);
}

/* ---- the event loop: every server in one epoll thread ---- */

#define LOOP_STOP UINT32_MAX

struct loop {
    int epfd;
    int stop_fd;
    struct vidxd_server **srvs;
    pthread_t th;
    pid_t tid;
};

static void *
loop_main(void *arg)
{
    struct loop *l = arg;

    __atomic_store_n(&l->tid, gettid(), __ATOMIC_RELEASE);
    for (;;) {
        struct epoll_event ev[64];
        int i, n = epoll_wait(l->epfd, ev, 64, -1);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            die("epoll_wait", errno);
        }
        for (i = 0; i < n; i++) {
            if (ev[i].data.u32 == LOOP_STOP) {
                return NULL;
            }
            vidxd_server_dispatch(l->srvs[ev[i].data.u32]);
        }
    }
}

static void
loop_start(struct loop *l, struct vidxd_server **srvs, unsigned n)
{
    struct epoll_event ev = {.events = EPOLLIN};
    unsigned i;

    l->srvs = srvs;
    l->tid = 0;
    l->epfd = epoll_create1(EPOLL_CLOEXEC);
    l->stop_fd = eventfd(0, EFD_CLOEXEC);
    if (l->epfd < 0 || l->stop_fd < 0) {
        die("epoll/eventfd", errno);
    }
    ev.data.u32 = LOOP_STOP;
    if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->stop_fd, &ev) < 0) {
        die("epoll_ctl", errno);
    }
    for (i = 0; i < n; i++) {
        ev.data.u32 = i;
        if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, vidxd_server_fd(srvs[i]), &ev) <
            0) {
            die("epoll_ctl", errno);
        }
    }
    if (pthread_create(&l->th, NULL, loop_main, l) != 0) {
        die("pthread_create", EAGAIN);
    }
    while (__atomic_load_n(&l->tid, __ATOMIC_ACQUIRE) == 0) {
        sched_yield();
    }
}

static void
loop_stop(struct loop *l)
{
    uint64_t one = 1;

    if (write(l->stop_fd, &one, sizeof(one)) != (ssize_t)sizeof(one)) {
        die("eventfd write", errno);
    }
    pthread_join(l->th, NULL);
    close(l->epfd);
    close(l->stop_fd);
}

/* ---- parents, glued as the daemon's PF (src/daemon/pf.c) ---- */

struct parent {
    struct vidxd_dsa *dsa;
    struct vidxd_irq_dev *irq;
};

static void
p_interrupt(void *opaque, unsigned index, bool ims)
{
    struct parent *p = opaque;

    if (!ims && index == 0) {
        vidxd_vdev_poll_errors(p->dsa);
    }
    if (ims) {
        vidxd_irq_raise(p->irq, VIDXD_IRQ_DOMAIN_IMS, index);
    }
}

static bool
p_int_handle_valid(void *opaque, uint16_t handle, bool ims, uint32_t pasid)
{
    struct parent *p = opaque;
    struct vidxd_irq_entry_info info;

    if (!ims ||
        vidxd_irq_entry_info(p->irq, VIDXD_IRQ_DOMAIN_IMS, handle, &info) < 0 ||
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

static void
p_wr(struct parent *p, uint64_t off, unsigned size, uint64_t v)
{
    int rc = vidxd_dsa_bar0_write(p->dsa, off, size, v);

    if (rc != 0) {
        die("parent register write", -rc);
    }
}

/*
 * The host's set-up of a parent for virtual devices: every WQ dedicated,
 * size WQ_SIZE, priority 1, in group 0 with all engines; device enabled
 * (what vidxd_vdev_create() requires, vdev.h).
 */
static void
parent_create(struct parent *p, unsigned nwq, unsigned workers,
              enum vidxd_dsa_portal_mode mode)
{
    struct vidxd_dsa_config cfg;
    uint32_t sts = ~0u;
    unsigned w;
    int rc;

    memset(p, 0, sizeof(*p));
    vidxd_dsa_config_default(&cfg);
    cfg.num_wqs = nwq;
    cfg.num_engines = T_ENGINES;
    cfg.total_wq_size = nwq * WQ_SIZE;
    cfg.workers = workers;
    cfg.portal_mode = mode;
    if (nwq > 8) {
        cfg.grpcfg_offset = L64_GRPCFG;
        cfg.wqcfg_offset = L64_WQCFG;
    }
    rc = vidxd_dsa_create(&cfg, &p_ops, p, &p->dsa);
    if (rc == 0) {
        rc = vidxd_irq_dev_create("parent", 0, &p->irq);
    }
    if (rc == 0) {
        rc = vidxd_irq_ims_array_create(p->irq, VIDXD_IRQ_DOMAIN_IMS,
                                        cfg.max_ims_mult * 256,
                                        VIDXD_IRQ_IMS_PASID);
    }
    if (rc != 0) {
        die("parent", -rc);
    }
    vidxd_dsa_set_bus_master(p->dsa, true);
    p_wr(p, cfg.grpcfg_offset + VIDXD_GRPCFG_WQS, 8,
         nwq == 64 ? ~0ull : (1ull << nwq) - 1);
    p_wr(p, cfg.grpcfg_offset + VIDXD_GRPCFG_ENGINES, 8,
         (1ull << cfg.num_engines) - 1);
    for (w = 0; w < nwq; w++) {
        uint64_t base = cfg.wqcfg_offset + (uint64_t)cfg.wqcfg_stride * w;

        p_wr(p, base + 0, 4, WQ_SIZE);
        p_wr(p, base + 8, 4,
             VIDXD_WQCFG_MODE_DEDICATED | (1u << VIDXD_WQCFG_PRIORITY_SHIFT));
        /* max transfer 1 MiB, max batch 32 */
        p_wr(p, base + 12, 4, 20 | (5u << VIDXD_WQCFG_MAX_BATCH_SHIFT_SHIFT));
    }
    vidxd_dsa_command(p->dsa, CMD(VIDXD_CMD_ENABLE_DEVICE, 0), &sts);
    if (sts != 0) {
        fprintf(stderr, "bench_vdev: parent ENABLE_DEVICE: CMDSTS 0x%x\n", sts);
        exit(1);
    }
}

static void
parent_destroy(struct parent *p)
{
    vidxd_dsa_destroy(p->dsa);
    vidxd_irq_dev_destroy(p->irq);
}

/* A vdev on parent WQ @wq, served on @path. */
static void
vdev_serve(struct parent *p, unsigned wq, uint32_t pasid,
           enum vidxd_dsa_portal_mode mode, const char *path,
           struct vidxd_vdev **v, struct vidxd_server **srv)
{
    struct vidxd_vdev_config vc;
    struct vidxd_server_config sc;
    int rc;

    memset(&vc, 0, sizeof(vc));
    vc.nr_wqs = 1;
    vc.wqs[0] = wq;
    vc.pasid = pasid;
    vc.portal_mode = mode;
    rc = vidxd_vdev_create(p->dsa, p->irq, &vc, v);
    if (rc != 0) {
        die("vidxd_vdev_create", -rc);
    }
    memset(&sc, 0, sizeof(sc));
    sc.socket_path = path;
    sc.ops = vidxd_vdev_fn_ops();
    sc.opaque = *v;
    rc = vidxd_server_create(&sc, srv);
    if (rc != 0) {
        die("vidxd_server_create", -rc);
    }
}

static void
make_dir(char *dir, size_t len)
{
    const char *tmp = getenv("TMPDIR");

    if (tmp == NULL || strlen(tmp) > 60) {
        tmp = "/tmp";
    }
    snprintf(dir, len, "%s/vidxd-bench-XXXXXX", tmp);
    if (mkdtemp(dir) == NULL) {
        die("mkdtemp", errno);
    }
}

static void
raise_nofile(void)
{
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

/* ---- (a) one VMM + guest driver per vdev ---- */

struct vm {
    char path[160];
    struct client *c;
    int memfd;
    uint8_t *mem;
    bool mapped;
    uint8_t *bar2; /* vdev WQ 0's two mapped pages */
    size_t bar2_len;
    unsigned slot; /* rotating portal slot, as Linux (dsa.md §2.4) */
    /* one run */
    uint32_t xfer;
    const atomic_bool *stop;
    atomic_ullong done;
    int err;
};

static uint32_t
vm_cmd(struct vm *vm, uint32_t cmd)
{
    uint32_t sts = ~0u;

    /* Commands complete before the write's reply (dsa.md §8.4), so no
     * interrupt is needed to know CMDSTS is final. */
    if (client_write32(vm->c, VIDXD_PCI_REGION_BAR0, VIDXD_REG_CMD, cmd) != 0 ||
        client_read32(vm->c, VIDXD_PCI_REGION_BAR0, VIDXD_REG_CMDSTS, &sts) !=
            0) {
        die("vdev command", EIO);
    }
    return sts;
}

/* QEMU's realize and the idxd probe of a read-only-config device (dsa.md
 * §2.2, §2.3), up to an enabled WQ 0. */
static void
vm_attach(struct vm *vm, bool mapped)
{
    struct client_region r;
    uint32_t sts;
    unsigned i;
    int rc;

    rc = client_connect(vm->path, &vm->c);
    if (rc == 0) {
        rc = client_negotiate(vm->c, NULL, NULL);
    }
    if (rc != 0) {
        die("connect/negotiate", -rc);
    }
    vm->memfd = memfd_create("bench-guest", MFD_CLOEXEC);
    if (vm->memfd < 0 || ftruncate(vm->memfd, G_SIZE) != 0) {
        die("memfd", errno);
    }
    vm->mem =
        mmap(NULL, G_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, vm->memfd, 0);
    if (vm->mem == MAP_FAILED) {
        die("mmap", errno);
    }
    for (i = 0; i < G_SIZE; i++) {
        vm->mem[i] = (uint8_t)(i * 7 + 1);
    }
    rc = client_dma_map(vm->c, G_IOVA, G_SIZE, vm->memfd, 0,
                        VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE);
    if (rc == 0) {
        rc = client_write16(vm->c, VIDXD_PCI_REGION_CONFIG, 0x04,
                            0x6 /* memory space, bus master */);
    }
    if (rc != 0) {
        die("DMA map / COMMAND", -rc);
    }
    if ((sts = vm_cmd(vm, CMD(VIDXD_CMD_RESET_DEVICE, 0))) != 0 ||
        (sts = vm_cmd(vm, CMD(VIDXD_CMD_ENABLE_DEVICE, 0))) != 0 ||
        (sts = vm_cmd(vm, CMD(VIDXD_CMD_ENABLE_WQ, 0))) != 0) {
        fprintf(stderr, "bench_vdev: vdev enable: CMDSTS 0x%x\n", sts);
        exit(1);
    }
    vm->mapped = mapped;
    vm->bar2 = NULL;
    if (!mapped) {
        return;
    }
    rc = client_region_info(vm->c, VIDXD_PCI_REGION_BAR0 + 2, &r);
    if (rc != 0 || r.fd < 0 || r.nr_areas < 1 ||
        (r.info.flags & VFIO_REGION_INFO_FLAG_MMAP) == 0) {
        die("BAR2 is not mappable", rc < 0 ? -rc : EINVAL);
    }
    /* What QEMU maps: the first sparse area (vdev WQ 0, pages 0-1). */
    vm->bar2_len = r.areas[0].offset + r.areas[0].size;
    vm->bar2 = mmap(NULL, vm->bar2_len, PROT_READ | PROT_WRITE, MAP_SHARED,
                    r.fd, (off_t)r.info.offset);
    close(r.fd);
    if (vm->bar2 == MAP_FAILED) {
        die("mmap BAR2", errno);
    }
}

static void
vm_detach(struct vm *vm)
{
    client_close(vm->c);
    if (vm->bar2 != NULL) {
        munmap(vm->bar2, vm->bar2_len);
    }
    munmap(vm->mem, G_SIZE);
    close(vm->memfd);
}

/* One descriptor into vdev WQ 0's limited portal page. */
static int
vm_submit(struct vm *vm, const struct vidxd_desc *d)
{
    uint64_t off = VIDXD_PORTAL_LIMITED + (uint64_t)(vm->slot++ % 64) * 64;
    const uint64_t *q = (const uint64_t *)d;
    unsigned i;

    if (vm->mapped) {
        /* The mapped-portal protocol (dsa.h): wait until the slot is
         * free, qwords 1..7, then qword 0. */
        volatile uint64_t *p = (volatile uint64_t *)(vm->bar2 + off);
        struct backoff b;

        backoff_init(&b);
        while (__atomic_load_n(&p[0], __ATOMIC_ACQUIRE) != 0) {
            if (backoff_step(&b) != 0) {
                return -ETIMEDOUT;
            }
        }
        for (i = 1; i < 8; i++) {
            p[i] = q[i];
        }
        __atomic_store_n(&p[0], q[0], __ATOMIC_RELEASE);
        return 0;
    }
    /* QEMU TCG without MOVDIR64B: eight posted 8-byte stores in program
     * order (design.md "Portals"). */
    for (i = 0; i < 8; i++) {
        int rc = client_region_write(vm->c, VIDXD_PCI_REGION_BAR0 + 2,
                                     off + 8u * i, &q[i], 8, true);

        if (rc != 0) {
            return rc;
        }
    }
    return 0;
}

static int
vm_wait_cr(struct vm *vm, unsigned j)
{
    uint8_t *st = vm->mem + G_CR + 32u * j;
    struct backoff b;
    uint8_t v;

    backoff_init(&b);
    while ((v = __atomic_load_n(st, __ATOMIC_ACQUIRE)) == 0) {
        if (backoff_step(&b) != 0) {
            return -ETIMEDOUT;
        }
    }
    return v == VIDXD_STATUS_SUCCESS ? 0 : -EIO;
}

static void *
vm_run(void *arg)
{
    struct vm *vm = arg;
    struct vidxd_desc d[DEPTH];
    unsigned j, head = 0;
    int rc = 0;

    client_timer_slack();
    for (j = 0; j < DEPTH; j++) {
        uint64_t src = G_IOVA + 2ull * j * XFER_MAX;

        memset(&d[j], 0, sizeof(d[j]));
        d[j].flags_opcode =
            ((uint32_t)VIDXD_OP_MEMMOVE << VIDXD_DESC_OPCODE_SHIFT) |
            VIDXD_FLAG_CRAV | VIDXD_FLAG_RCR;
        d[j].src = src;
        d[j].dst = src + XFER_MAX;
        d[j].xfer_size = vm->xfer;
        d[j].completion_addr = G_IOVA + G_CR + 32ull * j;
        __atomic_store_n(vm->mem + G_CR + 32u * j, 0, __ATOMIC_RELEASE);
        if (rc == 0) {
            rc = vm_submit(vm, &d[j]);
        }
    }
    while (rc == 0 && !atomic_load_explicit(vm->stop, memory_order_relaxed)) {
        rc = vm_wait_cr(vm, head);
        if (rc != 0) {
            break;
        }
        atomic_fetch_add_explicit(&vm->done, 1, memory_order_relaxed);
        __atomic_store_n(vm->mem + G_CR + 32u * head, 0, __ATOMIC_RELEASE);
        rc = vm_submit(vm, &d[head]);
        head = (head + 1) % DEPTH;
    }
    /* Drain: every slot has one descriptor outstanding. */
    for (j = 0; rc == 0 && j < DEPTH; j++) {
        rc = vm_wait_cr(vm, j);
    }
    for (j = 0; rc == 0 && j < DEPTH; j++) {
        uint8_t *s = vm->mem + 2u * j * XFER_MAX;

        if (memcmp(s, s + XFER_MAX, vm->xfer) != 0) {
            rc = -EIO;
        }
    }
    vm->err = rc;
    return NULL;
}

static unsigned long long
total_done(struct vm *vms, unsigned n)
{
    unsigned long long s = 0;
    unsigned i;

    for (i = 0; i < n; i++) {
        s += atomic_load_explicit(&vms[i].done, memory_order_relaxed);
    }
    return s;
}

/* Run @n VMs at once; returns descriptors per second over the window. */
static double
tput_run(struct vm *vms, unsigned n, uint32_t xfer, uint64_t window)
{
    pthread_t th[T_VDEVS];
    atomic_bool stop;
    unsigned long long c0, c1;
    uint64_t t0, t1;
    unsigned i;

    atomic_init(&stop, false);
    for (i = 0; i < n; i++) {
        vms[i].xfer = xfer;
        vms[i].stop = &stop;
        vms[i].err = 0;
        atomic_init(&vms[i].done, 0);
        if (pthread_create(&th[i], NULL, vm_run, &vms[i]) != 0) {
            die("pthread_create", EAGAIN);
        }
    }
    sleep_ns(WARM_NS);
    c0 = total_done(vms, n);
    t0 = now_ns();
    sleep_ns(window);
    c1 = total_done(vms, n);
    t1 = now_ns();
    atomic_store(&stop, true);
    for (i = 0; i < n; i++) {
        pthread_join(th[i], NULL);
        if (vms[i].err != 0) {
            die("vdev run", -vms[i].err);
        }
    }
    return (double)(c1 - c0) * 1e9 / (double)(t1 - t0);
}

struct cpy {
    uint32_t xfer;
    const atomic_bool *stop;
    unsigned long long bytes;
};

/* The floor: glibc memcpy over the same buffer layout as one vdev. */
static void *
cpy_main(void *arg)
{
    struct cpy *c = arg;
    uint8_t *buf = malloc(2u * DEPTH * XFER_MAX);
    static void *(*volatile cpyfn)(void *, const void *, size_t) = memcpy;
    unsigned j = 0;

    if (buf == NULL) {
        die("malloc", ENOMEM);
    }
    memset(buf, 0x5a, 2u * DEPTH * XFER_MAX);
    while (!atomic_load_explicit(c->stop, memory_order_relaxed)) {
        uint8_t *s = buf + 2u * j * XFER_MAX;

        cpyfn(s + XFER_MAX, s, c->xfer);
        c->bytes += c->xfer;
        j = (j + 1) % DEPTH;
    }
    free(buf);
    return NULL;
}

static double
memcpy_gbps(uint32_t xfer, unsigned nthreads)
{
    struct cpy c[2];
    pthread_t th[2];
    atomic_bool stop;
    unsigned long long bytes = 0;
    uint64_t t0;
    unsigned i;

    atomic_init(&stop, false);
    t0 = now_ns();
    for (i = 0; i < nthreads; i++) {
        c[i] = (struct cpy){xfer, &stop, 0};
        if (pthread_create(&th[i], NULL, cpy_main, &c[i]) != 0) {
            die("pthread_create", EAGAIN);
        }
    }
    sleep_ns(MEMCPY_WINDOW_NS);
    atomic_store(&stop, true);
    for (i = 0; i < nthreads; i++) {
        pthread_join(th[i], NULL);
        bytes += c[i].bytes;
    }
    return (double)bytes / (double)(now_ns() - t0);
}

struct tput_cfg {
    enum vidxd_dsa_portal_mode mode;
    unsigned workers;
    uint64_t window;
    const char *tag;
};

/*
 * The parent of the issue (4 workers) in both portal modes, and mapped
 * with one worker: on a 2-core machine four polling workers and the client
 * threads compete for the same two CPUs.
 */
static const struct tput_cfg tput_cfgs[] = {
    {VIDXD_DSA_PORTAL_MAPPED, T_WORKERS, MAPPED_WINDOW_NS, "mapped_4w"},
    {VIDXD_DSA_PORTAL_MAPPED, 1, MAPPED_WINDOW_NS, "mapped_1w"},
    {VIDXD_DSA_PORTAL_TRAPPED, T_WORKERS, TRAPPED_WINDOW_NS, "trapped_4w"},
};
#define NCFG (sizeof(tput_cfgs) / sizeof(tput_cfgs[0]))

static void
bench_throughput(void)
{
    static const uint32_t sizes[2] = {4096, 64u << 10};
    static const unsigned counts[4] = {1, 2, 4, 8};
    double floor2[2] = {0, 0}, best[NCFG][2];
    unsigned s, k, i, ci;

    memset(best, 0, sizeof(best));
    printf("vdev_tput_parent: %u WQs, %u engines, WQ size %u, %u in flight "
           "per vdev, 1 parent WQ per vdev\n",
           T_WQS, T_ENGINES, WQ_SIZE, DEPTH);
    for (s = 0; s < 2; s++) {
        double g1 = memcpy_gbps(sizes[s], 1);

        floor2[s] = memcpy_gbps(sizes[s], 2);
        printf("memcpy_%ukib_1thread: %.3f GB/s\n", sizes[s] >> 10, g1);
        printf("memcpy_%ukib_2threads: %.3f GB/s\n", sizes[s] >> 10, floor2[s]);
    }
    for (ci = 0; ci < NCFG; ci++) {
        const struct tput_cfg *tc = &tput_cfgs[ci];
        struct vidxd_vdev *v[T_VDEVS];
        struct vidxd_server *srv[T_VDEVS];
        struct vm vms[T_VDEVS];
        struct parent p;
        struct loop l;
        char dir[128];

        parent_create(&p, T_WQS, tc->workers, tc->mode);
        make_dir(dir, sizeof(dir));
        memset(vms, 0, sizeof(vms));
        for (i = 0; i < T_VDEVS; i++) {
            snprintf(vms[i].path, sizeof(vms[i].path), "%s/v%u.sock", dir, i);
            vdev_serve(&p, i, 0x100 + i, tc->mode, vms[i].path, &v[i], &srv[i]);
        }
        loop_start(&l, srv, T_VDEVS);
        for (i = 0; i < T_VDEVS; i++) {
            vm_attach(&vms[i], tc->mode == VIDXD_DSA_PORTAL_MAPPED);
        }
        for (s = 0; s < 2; s++) {
            for (k = 0; k < 4; k++) {
                double r = tput_run(vms, counts[k], sizes[s], tc->window);
                double gbps = r * sizes[s] / 1e9;

                printf("vdev_%s_memmove_%ukib_%uvdevs: %.3f GB/s\n", tc->tag,
                       sizes[s] >> 10, counts[k], gbps);
                printf("vdev_%s_memmove_%ukib_%uvdevs_rate: %.3f Mdesc/s\n",
                       tc->tag, sizes[s] >> 10, counts[k], r / 1e6);
                if (gbps > best[ci][s]) {
                    best[ci][s] = gbps;
                }
            }
        }
        for (i = 0; i < T_VDEVS; i++) {
            vm_detach(&vms[i]);
        }
        loop_stop(&l);
        for (i = 0; i < T_VDEVS; i++) {
            vidxd_server_destroy(srv[i]);
            vidxd_vdev_destroy(v[i]);
            unlink(vms[i].path);
        }
        parent_destroy(&p);
        rmdir(dir);
    }
    for (s = 0; s < 2; s++) {
        for (ci = 0; ci < NCFG; ci++) {
            printf("ratio vdev_%s_memmove_%ukib_best/memcpy_2threads: %.3f\n",
                   tput_cfgs[ci].tag, sizes[s] >> 10, best[ci][s] / floor2[s]);
        }
        printf("ratio vdev_mapped_4w_memmove_%ukib_best/trapped_4w_best: "
               "%.3f\n",
               sizes[s] >> 10, best[0][s] / best[2][s]);
    }
}

/* ---- (b) 256 idle vdevs ---- */

struct mem_kib {
    long rss;
    long pss;
};

static struct mem_kib
mem_now(void)
{
    struct mem_kib m = {-1, -1};
    char line[256];
    FILE *f = fopen("/proc/self/smaps_rollup", "r");

    if (f == NULL) {
        die("smaps_rollup", errno);
    }
    while (fgets(line, sizeof(line), f) != NULL) {
        sscanf(line, "Rss: %ld kB", &m.rss);
        sscanf(line, "Pss: %ld kB", &m.pss);
    }
    fclose(f);
    return m;
}

struct task {
    pid_t tid;
    unsigned long long cpu_ns;   /* schedstat: time on CPU */
    unsigned long long switches; /* voluntary + involuntary */
};

static unsigned
tasks_now(struct task *t)
{
    DIR *d = opendir("/proc/self/task");
    struct dirent *e;
    unsigned n = 0;

    if (d == NULL) {
        die("/proc/self/task", errno);
    }
    while ((e = readdir(d)) != NULL && n < MAX_TASKS) {
        char path[96], line[128];
        unsigned long long v;
        FILE *f;

        if (e->d_name[0] == '.') {
            continue;
        }
        t[n].tid = (pid_t)atoi(e->d_name);
        if (t[n].tid <= 0) {
            continue;
        }
        t[n].cpu_ns = 0;
        t[n].switches = 0;
        snprintf(path, sizeof(path), "/proc/self/task/%d/schedstat",
                 (int)t[n].tid);
        if ((f = fopen(path, "r")) != NULL) {
            if (fscanf(f, "%llu", &t[n].cpu_ns) != 1) {
                t[n].cpu_ns = 0;
            }
            fclose(f);
        }
        snprintf(path, sizeof(path), "/proc/self/task/%d/status",
                 (int)t[n].tid);
        if ((f = fopen(path, "r")) != NULL) {
            while (fgets(line, sizeof(line), f) != NULL) {
                if (sscanf(line, "voluntary_ctxt_switches: %llu", &v) == 1 ||
                    sscanf(line, "nonvoluntary_ctxt_switches: %llu", &v) == 1) {
                    t[n].switches += v;
                }
            }
            fclose(f);
        }
        n++;
    }
    closedir(d);
    return n;
}

static const struct task *
task_find(const struct task *t, unsigned n, pid_t tid)
{
    unsigned i;

    for (i = 0; i < n; i++) {
        if (t[i].tid == tid) {
            return &t[i];
        }
    }
    return NULL;
}

static double
cpu_s(void)
{
    struct rusage ru;

    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6;
}

/*
 * One configuration, run in a child process: build, measure memory at
 * each step, connect the VMMs, let everything settle, measure CPU over
 * I_IDLE_S seconds, tear down.
 */
static void
idle_child(enum vidxd_dsa_portal_mode pm, unsigned workers, const char *tag)
{
    static struct vidxd_vdev *v[I_VDEVS];
    static struct vidxd_server *srv[I_VDEVS];
    static struct client *c[I_VDEVS];
    static struct task t0[MAX_TASKS], t1[MAX_TASKS], base[MAX_TASKS];
    static pid_t wtid[MAX_TASKS];
    struct parent p[I_PARENTS];
    struct mem_kib m0, m1, m2, m3;
    struct loop l;
    char dir[128], path[160];
    unsigned i, j, nbase, n0, n1, nw = 0;
    double c0, c1, wall, total, wk = 0, lp = 0, other;
    unsigned long long sw = 0;
    uint64_t w0, w1;
    int rc;

    raise_nofile();
    m0 = mem_now();
    nbase = tasks_now(base);
    for (i = 0; i < I_PARENTS; i++) {
        parent_create(&p[i], I_WQS, workers, pm);
    }
    /* Let the workers reach their idle state (mapped: their first poll
     * touches the whole portal memfd). */
    sleep_ns(200000000ull);
    m1 = mem_now();
    n0 = tasks_now(t0);
    for (i = 0; i < n0; i++) {
        if (task_find(base, nbase, t0[i].tid) == NULL) {
            wtid[nw++] = t0[i].tid;
        }
    }
    make_dir(dir, sizeof(dir));
    for (i = 0; i < I_VDEVS; i++) {
        snprintf(path, sizeof(path), "%s/v%u.sock", dir, i);
        vdev_serve(&p[i / I_WQS], i % I_WQS, 0x100 + i, pm, path, &v[i],
                   &srv[i]);
    }
    loop_start(&l, srv, I_VDEVS);
    sleep_ns(100000000ull);
    m2 = mem_now();
    for (i = 0; i < I_VDEVS; i++) {
        snprintf(path, sizeof(path), "%s/v%u.sock", dir, i);
        rc = client_connect(path, &c[i]);
        if (rc == 0) {
            rc = client_negotiate(c[i], NULL, NULL);
        }
        if (rc != 0) {
            die("connect/negotiate", -rc);
        }
    }
    sleep_ns(100000000ull);
    m3 = mem_now();

    sleep_ns(I_SETTLE_S * 1000000000ull);
    n0 = tasks_now(t0);
    c0 = cpu_s();
    w0 = now_ns();
    sleep_ns(I_IDLE_S * 1000000000ull);
    n1 = tasks_now(t1);
    c1 = cpu_s();
    w1 = now_ns();
    wall = (double)(w1 - w0) * 1e-9;
    total = (c1 - c0) / wall * 100.0;
    for (i = 0; i < n1; i++) {
        const struct task *a = task_find(t0, n0, t1[i].tid);
        double d;

        if (a == NULL) {
            continue;
        }
        d = (double)(t1[i].cpu_ns - a->cpu_ns) * 1e-9 / wall * 100.0;
        for (j = 0; j < nw; j++) {
            if (wtid[j] == t1[i].tid) {
                wk += d;
                sw += t1[i].switches - a->switches;
                break;
            }
        }
        if (t1[i].tid == l.tid) {
            lp = d;
        }
    }
    other = total - wk - lp;

    printf("idle_%s_setup: %u parents x %u WQs, %u workers each (%u worker "
           "threads found), %u vdevs "
           "(1 WQ each), %u servers in 1 loop thread, %u VMMs connected and "
           "negotiated\n",
           tag, I_PARENTS, I_WQS, workers, nw, I_VDEVS, I_VDEVS, I_VDEVS);
    printf("idle_%s_rss_parents: %ld KiB\n", tag, m1.rss - m0.rss);
    printf("idle_%s_rss_per_vdev: %.1f KiB\n", tag,
           (double)(m2.rss - m1.rss) / I_VDEVS);
    printf("idle_%s_pss_per_vdev: %.1f KiB\n", tag,
           (double)(m2.pss - m1.pss) / I_VDEVS);
    printf("idle_%s_pss_per_vdev_with_parents: %.1f KiB\n", tag,
           (double)(m2.pss - m0.pss) / I_VDEVS);
    printf("idle_%s_pss_per_vdev_with_parents_and_vmm: %.1f KiB\n", tag,
           (double)(m3.pss - m0.pss) / I_VDEVS);
    printf("idle_%s_cpu_total: %.3f %%\n", tag, total);
    printf("idle_%s_cpu_workers: %.3f %%\n", tag, wk);
    printf("idle_%s_cpu_per_worker: %.3f %%\n", tag, nw ? wk / nw : 0.0);
    printf("idle_%s_cpu_loop_thread: %.3f %%\n", tag, lp);
    printf("idle_%s_cpu_other: %.3f %%\n", tag, other);
    printf("idle_%s_worker_wakeups: %.0f /s per worker\n", tag,
           nw ? (double)sw / wall / nw : 0.0);
    printf("idle_%s_worker_cpu_per_wakeup: %.1f us\n", tag,
           sw ? wk / 100.0 * wall / (double)sw * 1e6 : 0.0);
    printf("ratio idle_%s_cpu_total/target_1pct: %.3f\n", tag,
           total / TARGET_CPU_PCT);
    printf("ratio idle_%s_pss_per_vdev_with_parents/target_256kib: %.3f\n", tag,
           (double)(m3.pss - m0.pss) / I_VDEVS / TARGET_KIB_PER_VDEV);
    fflush(stdout);

    for (i = 0; i < I_VDEVS; i++) {
        client_close(c[i]);
    }
    loop_stop(&l);
    for (i = 0; i < I_VDEVS; i++) {
        vidxd_server_destroy(srv[i]);
        vidxd_vdev_destroy(v[i]);
        snprintf(path, sizeof(path), "%s/v%u.sock", dir, i);
        unlink(path);
    }
    for (i = 0; i < I_PARENTS; i++) {
        parent_destroy(&p[i]);
    }
    rmdir(dir);
}

static void
idle_run(enum vidxd_dsa_portal_mode pm, unsigned workers, const char *tag)
{
    pid_t pid;
    int st;

    fflush(stdout);
    pid = fork();
    if (pid < 0) {
        die("fork", errno);
    }
    if (pid == 0) {
        idle_child(pm, workers, tag);
        fflush(stdout);
        _exit(0);
    }
    if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        fprintf(stderr, "bench_vdev: idle run %s failed\n", tag);
        exit(1);
    }
}

/* The work behind one idle wake-up of a mapped-mode worker: a pass over
 * every slot of every portal page of a 64-WQ parent (dsa/portal.c). */
static void
bench_scan_pass(void)
{
    struct vidxd_dsa_config cfg;
    struct vidxd_dsa *dsa;
    uint64_t t0, best = UINT64_MAX, sum = 0;
    int i, rc;

    vidxd_dsa_config_default(&cfg);
    cfg.num_wqs = I_WQS;
    cfg.total_wq_size = I_WQS * WQ_SIZE;
    cfg.grpcfg_offset = L64_GRPCFG;
    cfg.wqcfg_offset = L64_WQCFG;
    cfg.portal_mode = VIDXD_DSA_PORTAL_MAPPED;
    cfg.workers = 0;
    rc = vidxd_dsa_create(&cfg, NULL, NULL, &dsa);
    if (rc != 0) {
        die("vidxd_dsa_create", -rc);
    }
    for (i = 0; i < 2000; i++) {
        uint64_t dt;

        t0 = now_ns();
        vidxd_dsa_process(dsa);
        dt = now_ns() - t0;
        sum += dt;
        best = dt < best ? dt : best;
    }
    vidxd_dsa_destroy(dsa);
    printf("mapped_idle_poll_pass_64wqs_mean: %.0f ns\n", (double)sum / 2000);
    printf("mapped_idle_poll_pass_64wqs_min: %llu ns\n",
           (unsigned long long)best);
}

int
main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    bench_throughput();
    bench_scan_pass();
    /* The daemon's defaults (tools/vidxd: mapped, workers = engines). */
    idle_run(VIDXD_DSA_PORTAL_MAPPED, I_ENGINES, "mapped_4w");
    idle_run(VIDXD_DSA_PORTAL_MAPPED, 1, "mapped_1w");
    idle_run(VIDXD_DSA_PORTAL_TRAPPED, I_ENGINES, "trapped_4w");
    malloc_trim(0);
    return 0;
}
