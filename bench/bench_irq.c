/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Benchmark of the irq layer: completion-to-eventfd wake latency (a thread
 * blocked on an eventfd, woken by vidxd_irq_raise from another thread,
 * acknowledging through a second eventfd) against an eventfd ping-pong
 * floor interleaved round trip by round trip in the same loop (poll() on
 * non-blocking eventfds as QEMU's, and read() on blocking ones, for which
 * the layer checks writability first), and delivery throughput over 2048 IMS
 * entries bound to eventfds (and to a sink, and masked) raised round-robin
 * against plain eventfd writes.  Output: "NAME: VALUE UNIT" per figure,
 * "ratio NAME: VALUE" for ratios.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "vidxd/irq.h"

#define RTT_ROUNDS 20000
#define RTT_WARMUP 1000
#define NVEC 2048
#define TPUT_RAISES (NVEC * 1000)

static uint64_t
now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void
die(const char *what, int err)
{
    fprintf(stderr, "bench_irq: %s: %s\n", what, strerror(err));
    exit(1);
}

/* Wait for an eventfd: blocking read(), or poll() then read(). */
static void
efd_wait(int fd, bool use_poll)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    uint64_t v;

    for (;;) {
        if (use_poll && poll(&p, 1, -1) < 0 && errno != EINTR) {
            die("poll", errno);
        }
        if (read(fd, &v, sizeof(v)) == (ssize_t)sizeof(v)) {
            return;
        }
        if (errno != EAGAIN && errno != EINTR) {
            die("read", errno);
        }
    }
}

static void
efd_signal(int fd)
{
    uint64_t one = 1;

    if (write(fd, &one, sizeof(one)) != (ssize_t)sizeof(one)) {
        die("write", errno);
    }
}

struct echo {
    int in, out;
    bool use_poll;
    int rounds;
};

/* The woken side: wait on @in, acknowledge on @out. */
static void *
echo_thread(void *arg)
{
    struct echo *e = arg;
    int i;

    for (i = 0; i < e->rounds; i++) {
        efd_wait(e->in, e->use_poll);
        efd_signal(e->out);
    }
    return NULL;
}

static int
cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return x < y ? -1 : x > y;
}

struct rtt {
    uint64_t median;
    uint64_t p99;
};

static struct rtt
summarize(uint64_t *samples)
{
    struct rtt r;

    qsort(samples, RTT_ROUNDS, sizeof(*samples), cmp_u64);
    r.median = samples[RTT_ROUNDS / 2];
    r.p99 = samples[RTT_ROUNDS * 99 / 100];
    return r;
}

/*
 * Round trips kicked alternately by a plain eventfd write (the floor) and
 * by vidxd_irq_raise of IMS entry 0, bound to the same eventfd: both see
 * the same threads, fds and machine load.
 */
static void
measure_rtt(struct vidxd_irq_dev *dev, bool use_poll, struct rtt *floor,
            struct rtt *irq)
{
    int flags = EFD_CLOEXEC | (use_poll ? EFD_NONBLOCK : 0);
    int kick = eventfd(0, flags), ack = eventfd(0, flags);
    struct echo e = {kick, ack, use_poll, 2 * (RTT_ROUNDS + RTT_WARMUP)};
    struct vidxd_irq_target t = {.eventfd = kick};
    uint64_t *fs = calloc(RTT_ROUNDS, sizeof(*fs));
    uint64_t *is = calloc(RTT_ROUNDS, sizeof(*is));
    pthread_t th;
    uint64_t t0, dt;
    int i, rc;

    if (kick < 0 || ack < 0 || fs == NULL || is == NULL) {
        die("setup", errno);
    }
    rc = vidxd_irq_bind(dev, VIDXD_IRQ_DOMAIN_IMS, 0, &t);
    if (rc != 0) {
        die("bind", -rc);
    }
    pthread_create(&th, NULL, echo_thread, &e);
    for (i = 0; i < 2 * (RTT_ROUNDS + RTT_WARMUP); i++) {
        t0 = now_ns();
        if (i % 2 == 0) {
            efd_signal(kick);
        } else {
            rc = vidxd_irq_raise(dev, VIDXD_IRQ_DOMAIN_IMS, 0);
            if (rc != VIDXD_IRQ_DELIVERED) {
                die("raise", rc < 0 ? -rc : EINVAL);
            }
        }
        efd_wait(ack, use_poll);
        dt = now_ns() - t0;
        if (i >= 2 * RTT_WARMUP) {
            (i % 2 == 0 ? fs : is)[(i - 2 * RTT_WARMUP) / 2] = dt;
        }
    }
    pthread_join(th, NULL);
    *floor = summarize(fs);
    *irq = summarize(is);
    vidxd_irq_bind(dev, VIDXD_IRQ_DOMAIN_IMS, 0, NULL);
    free(fs);
    free(is);
    close(kick);
    close(ack);
}

static void
latency(struct vidxd_irq_dev *dev, bool use_poll)
{
    const char *mode = use_poll ? "poll" : "read";
    struct rtt floor, irq;

    measure_rtt(dev, use_poll, &floor, &irq);
    printf("eventfd_pingpong_rtt_%s_median: %llu ns\n", mode,
           (unsigned long long)floor.median);
    printf("eventfd_pingpong_rtt_%s_p99: %llu ns\n", mode,
           (unsigned long long)floor.p99);
    printf("irq_raise_wake_rtt_%s_median: %llu ns\n", mode,
           (unsigned long long)irq.median);
    printf("irq_raise_wake_rtt_%s_p99: %llu ns\n", mode,
           (unsigned long long)irq.p99);
    printf("ratio irq_raise_wake_rtt_%s_median/eventfd_pingpong: %.3f\n", mode,
           (double)irq.median / (double)floor.median);
    printf("ratio irq_raise_wake_rtt_%s_p99/eventfd_pingpong: %.3f\n", mode,
           (double)irq.p99 / (double)floor.p99);
}

static void
count_sink(void *opaque, unsigned domain, uint32_t index,
           const struct vidxd_irq_msg *msg)
{
    (void)domain;
    (void)index;
    (void)msg;
    (*(uint64_t *)opaque)++;
}

/* Raise TPUT_RAISES round-robin over the NVEC entries; Mraises/s. */
static double
raise_rate(struct vidxd_irq_dev *dev, int expect)
{
    uint64_t t0, t1;
    uint32_t i;
    int rc;

    t0 = now_ns();
    for (i = 0; i < TPUT_RAISES; i++) {
        rc = vidxd_irq_raise(dev, VIDXD_IRQ_DOMAIN_IMS, i % NVEC);
        if (rc != expect) {
            die("raise", rc < 0 ? -rc : EINVAL);
        }
    }
    t1 = now_ns();
    return (double)TPUT_RAISES * 1e3 / (double)(t1 - t0);
}

static void
throughput(struct vidxd_irq_dev *dev)
{
    static int fds[NVEC];
    struct vidxd_irq_target sink;
    uint64_t sunk = 0, v, t0, t1;
    double irq_efd, raw, irq_sink, irq_masked;
    uint32_t i;
    int rc;

    for (i = 0; i < NVEC; i++) {
        fds[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (fds[i] < 0) {
            die("eventfd", errno);
        }
    }
    rc = vidxd_irq_set_eventfds(dev, VIDXD_IRQ_DOMAIN_IMS, 0, NVEC, fds);
    if (rc != 0) {
        die("set_eventfds", -rc);
    }
    irq_efd = raise_rate(dev, VIDXD_IRQ_DELIVERED);
    /* The same writes without the layer: the syscall floor. */
    t0 = now_ns();
    for (i = 0; i < TPUT_RAISES; i++) {
        efd_signal(fds[i % NVEC]);
    }
    t1 = now_ns();
    raw = (double)TPUT_RAISES * 1e3 / (double)(t1 - t0);
    for (i = 0; i < NVEC; i++) {
        if (read(fds[i], &v, sizeof(v)) != (ssize_t)sizeof(v) ||
            v != 2 * (TPUT_RAISES / NVEC)) {
            die("eventfd count", EIO);
        }
    }
    /* Core cost alone: a sink target, then every entry masked. */
    sink.eventfd = -1;
    sink.sink = count_sink;
    sink.opaque = &sunk;
    for (i = 0; i < NVEC; i++) {
        vidxd_irq_bind(dev, VIDXD_IRQ_DOMAIN_IMS, i, &sink);
    }
    irq_sink = raise_rate(dev, VIDXD_IRQ_DELIVERED);
    if (sunk != TPUT_RAISES) {
        die("sink count", EIO);
    }
    vidxd_irq_domain_mask(dev, VIDXD_IRQ_DOMAIN_IMS, true);
    irq_masked = raise_rate(dev, VIDXD_IRQ_PENDING);
    vidxd_irq_domain_mask(dev, VIDXD_IRQ_DOMAIN_IMS, false);
    printf("irq_throughput_eventfd_%d_vectors: %.3f Mraises/s\n", NVEC,
           irq_efd);
    printf("eventfd_write_throughput_%d_fds: %.3f Mwrites/s\n", NVEC, raw);
    printf("ratio irq_throughput_eventfd/eventfd_write: %.3f\n", irq_efd / raw);
    printf("irq_throughput_sink_%d_vectors: %.3f Mraises/s\n", NVEC, irq_sink);
    printf("irq_throughput_masked_%d_vectors: %.3f Mraises/s\n", NVEC,
           irq_masked);
    for (i = 0; i < NVEC; i++) {
        close(fds[i]);
    }
}

int
main(void)
{
    struct vidxd_irq_msg msgs[NVEC];
    struct vidxd_irq_dev *dev;
    struct rlimit rl;
    uint32_t i;
    int rc;

    /* 2048 eventfds plus the layer's duplicates. */
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 3 * NVEC) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    rc = vidxd_irq_dev_create("bench", 0, &dev);
    if (rc == 0) {
        rc = vidxd_irq_ims_array_create(dev, VIDXD_IRQ_DOMAIN_IMS, NVEC, 0);
    }
    if (rc == 0) {
        rc = vidxd_irq_alloc(dev, VIDXD_IRQ_DOMAIN_IMS, 0, NVEC, 0, NULL);
    }
    for (i = 0; i < NVEC; i++) {
        msgs[i].address_lo = 0xfee00000;
        msgs[i].address_hi = 0;
        msgs[i].data = 0x40 + (i & 0xff);
    }
    if (rc == 0) {
        rc = vidxd_irq_activate(dev, VIDXD_IRQ_DOMAIN_IMS, 0, NVEC, msgs,
                                VIDXD_IRQ_ACT_UNMASK);
    }
    if (rc != 0) {
        die("device setup", -rc);
    }
    printf("rtt_rounds: %d rounds\n", RTT_ROUNDS);
    latency(dev, true);
    latency(dev, false);
    throughput(dev);
    vidxd_irq_dev_destroy(dev);
    return 0;
}
