/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Benchmark of the DSA physical function served over vfio-user (the
 * daemon's pf glue, a real UNIX socket, the test client as the VMM), each
 * figure beside its floor measured in the same run, round by round:
 *  (a) a trapped REGION_READ of BAR0 VERSION (4 bytes) against a UNIX
 *      stream socketpair ping-pong between two threads that moves the same
 *      bytes with the same syscalls as the client and server transports
 *      (sendmsg of header + payload, recvmsg of the header then of the
 *      rest), once with a blocking echo thread and once with an echo
 *      behind two nested level-triggered epolls as the server loop has;
 *  (b) submission of a 64-byte MEMMOVE to its completion record, the
 *      client spinning on the record's status byte, through a mapped
 *      portal (the VMM stores straight into the shared BAR2 page) and
 *      through a trapped one (eight posted 8-byte REGION_WRITEs), one
 *      engine worker;
 *  (c) completion to MSI-X eventfd wake: rounds that spin on the record
 *      (submit -> record visible) alternate with rounds in which a thread
 *      blocked in poll() on the vector's eventfd is woken by the interrupt
 *      (submit -> wake) and with plain eventfd ping-pong rounds between
 *      the same two threads (kick -> wake, the floor); completion -> wake
 *      is the difference of the first two medians.
 * The PF is the default SPR DSA with one engine worker; (a) and (c) use
 * mapped portals.  Last, the cost of one idle poll pass of a mapped-mode
 * worker over the 8 WQs' portal pages, which is about how long a spinning
 * worker takes to notice a mapped submission.
 * Output: "NAME: VALUE UNIT" per figure, "ratio NAME: VALUE" for ratios.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "pfutil.h"
#include "vidxd/dsa.h"
#include "vidxd/server.h"
#include "vidxd/spec.h"

#define ROUNDS 20000
#define WARMUP 1000
/* Request: header + struct vfio_user_region_access; reply: the same plus
 * the 4 bytes read (vfio-user.md §1.1, §2.6). */
#define HDR_BYTES 16
#define REQ_BYTES 16
#define REP_BYTES 20

/* Guest RAM offsets (pfu maps guest RAM at IOVA 0). */
#define G_SRC 0x10000u
#define G_DST 0x20000u
#define G_CR 0x30000u /* completion records are 32-byte aligned */
#define XFER 64u
#define SPIN_LIMIT_NS 2000000000ull
#define SPIN_PURE_NS 1000000ull

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
    fprintf(stderr, "bench_vfio: %s: %s\n", what, strerror(err));
    exit(1);
}

static void
cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

static int
cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return x < y ? -1 : x > y;
}

struct dist {
    uint64_t median;
    uint64_t p99;
};

static struct dist
summarize(uint64_t *s, size_t n)
{
    struct dist d;

    qsort(s, n, sizeof(*s), cmp_u64);
    d.median = s[n / 2];
    d.p99 = s[n * 99 / 100];
    return d;
}

static void
print_dist(const char *name, struct dist d)
{
    printf("%s_median: %llu ns\n", name, (unsigned long long)d.median);
    printf("%s_p99: %llu ns\n", name, (unsigned long long)d.p99);
}

static uint64_t *
samples(void)
{
    uint64_t *s = calloc(ROUNDS, sizeof(*s));

    if (s == NULL) {
        die("calloc", ENOMEM);
    }
    return s;
}

/* ---- (a) REGION_READ against a socketpair floor ---- */

/* One message as the transports move it: sendmsg(header, payload). */
static void
msg_send(int fd, size_t payload)
{
    uint8_t hdr[HDR_BYTES] = {0}, body[REP_BYTES] = {0};
    struct iovec iov[2] = {{hdr, HDR_BYTES}, {body, payload}};
    struct msghdr mh = {.msg_iov = iov, .msg_iovlen = 2};

    if (sendmsg(fd, &mh, MSG_NOSIGNAL) != (ssize_t)(HDR_BYTES + payload)) {
        die("sendmsg", errno);
    }
}

/* ... and received: recvmsg of the header, then of the rest (sock.c), with
 * room for ancillary fds.  Returns false on EAGAIN before any byte. */
static bool
msg_recv(int fd, size_t payload)
{
    uint8_t buf[HDR_BYTES + REP_BYTES];
    union {
        struct cmsghdr align;
        uint8_t b[CMSG_SPACE(sizeof(int) * 16)];
    } cbuf;
    size_t want[2] = {HDR_BYTES, payload}, got;
    int k;

    for (k = 0; k < 2; k++) {
        got = 0;
        while (got < want[k]) {
            struct iovec iov = {buf + got, want[k] - got};
            struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
            ssize_t n;

            mh.msg_control = cbuf.b;
            mh.msg_controllen = sizeof(cbuf.b);
            n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
            if (n < 0 && errno == EAGAIN && k == 0 && got == 0) {
                return false;
            }
            if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
                continue;
            }
            if (n <= 0) {
                die("recvmsg", n == 0 ? ECONNRESET : errno);
            }
            got += (size_t)n;
        }
    }
    return true;
}

struct echo {
    int fd;
    bool use_epoll;
    int rounds;
};

/*
 * The floor's server side.  Blocking: recvmsg sleeps until data arrives.
 * Epoll: the server loop's shape, an outer epoll (the daemon's) over an
 * inner one (vidxd_server_fd) over a non-blocking socket, read until
 * EAGAIN as a dispatch does.
 */
static void *
echo_main(void *arg)
{
    struct echo *e = arg;
    struct epoll_event ev = {.events = EPOLLIN};
    int outer = -1, inner = -1, i = 0;

    if (e->use_epoll) {
        outer = epoll_create1(EPOLL_CLOEXEC);
        inner = epoll_create1(EPOLL_CLOEXEC);
        if (outer < 0 || inner < 0 ||
            epoll_ctl(inner, EPOLL_CTL_ADD, e->fd, &ev) < 0 ||
            epoll_ctl(outer, EPOLL_CTL_ADD, inner, &ev) < 0) {
            die("epoll", errno);
        }
    }
    while (i < e->rounds) {
        if (!e->use_epoll) {
            msg_recv(e->fd, REQ_BYTES);
            msg_send(e->fd, REP_BYTES);
            i++;
            continue;
        }
        if (epoll_wait(outer, &ev, 1, -1) < 0 ||
            epoll_wait(inner, &ev, 1, 0) < 0) {
            if (errno == EINTR) {
                continue;
            }
            die("epoll_wait", errno);
        }
        while (msg_recv(e->fd, REQ_BYTES)) {
            msg_send(e->fd, REP_BYTES);
            i++;
        }
    }
    if (outer >= 0) {
        close(outer);
        close(inner);
    }
    return NULL;
}

static void
start_echo(struct echo *e, int *client_fd, bool use_epoll, pthread_t *th)
{
    int sv[2];

    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
        die("socketpair", errno);
    }
    if (use_epoll && fcntl(sv[1], F_SETFL, O_NONBLOCK) < 0) {
        die("fcntl", errno);
    }
    e->fd = sv[1];
    e->use_epoll = use_epoll;
    e->rounds = ROUNDS + WARMUP;
    *client_fd = sv[0];
    if (pthread_create(th, NULL, echo_main, e) != 0) {
        die("pthread_create", EAGAIN);
    }
}

static void
bench_region_read(struct pfu *u)
{
    uint64_t *vs = samples(), *bs = samples(), *es = samples();
    struct echo eb, ee;
    pthread_t tb, te;
    int fb, fe, i;

    start_echo(&eb, &fb, false, &tb);
    start_echo(&ee, &fe, true, &te);
    /* Round-robin, so that the three see the same machine state. */
    for (i = 0; i < 3 * (ROUNDS + WARMUP); i++) {
        uint64_t t0 = now_ns(), dt;
        uint32_t v = 0;
        int rc;

        switch (i % 3) {
        case 0:
            rc = client_read32(u->c, VIDXD_PCI_REGION_BAR0, VIDXD_REG_VERSION,
                               &v);
            if (rc != 0 || v != VIDXD_VERSION_1_0) {
                die("REGION_READ VERSION", rc < 0 ? -rc : EIO);
            }
            break;
        case 1:
            msg_send(fb, REQ_BYTES);
            msg_recv(fb, REP_BYTES);
            break;
        default:
            msg_send(fe, REQ_BYTES);
            msg_recv(fe, REP_BYTES);
            break;
        }
        dt = now_ns() - t0;
        if (i >= 3 * WARMUP) {
            int k = (i - 3 * WARMUP) / 3;

            (i % 3 == 0 ? vs : i % 3 == 1 ? bs : es)[k] = dt;
        }
    }
    pthread_join(tb, NULL);
    pthread_join(te, NULL);
    close(fb);
    close(fe);
    close(eb.fd);
    close(ee.fd);
    {
        struct dist v = summarize(vs, ROUNDS), b = summarize(bs, ROUNDS),
                    e = summarize(es, ROUNDS);

        print_dist("vfio_region_read4_rtt", v);
        print_dist("socketpair_pingpong_rtt", b);
        print_dist("socketpair_pingpong_epoll_rtt", e);
        printf("ratio vfio_region_read4_rtt_median/socketpair_pingpong: "
               "%.3f\n",
               (double)v.median / (double)b.median);
        printf("ratio vfio_region_read4_rtt_p99/socketpair_pingpong: %.3f\n",
               (double)v.p99 / (double)b.p99);
        printf("ratio vfio_region_read4_rtt_median/socketpair_pingpong_epoll: "
               "%.3f\n",
               (double)v.median / (double)e.median);
    }
    free(vs);
    free(bs);
    free(es);
}

/* ---- (b), (c) descriptors ---- */

static void
make_desc(struct vidxd_desc *d, bool rci)
{
    /* Vector 1 (WQ 0's): without cmd_cap a handle is the MSI-X index. */
    pfu_desc_memmove(d, G_SRC, G_DST, XFER, G_CR, 1);
    if (!rci) {
        d->flags_opcode &= ~(uint32_t)VIDXD_FLAG_RCI;
    }
}

static void
clear_cr(struct pfu *u)
{
    __atomic_store_n(&u->ram[G_CR], 0, __ATOMIC_RELEASE);
}

/*
 * Poll the status byte; returns the time it was seen.  Pure spinning for
 * the first SPIN_PURE_NS (1 ms: far above every median here, so a nap
 * never quantizes a typical sample), then a 1 us nap per look (timer
 * slack 1 us, see client_timer_slack()): on two cores the server loop
 * thread and the engine worker need a CPU too, and a client stuck behind
 * a descheduled one should let it run.  Not sched_yield(), which hands
 * the CPU to any runnable task, possibly another process, for a slice.
 */
static uint64_t
spin_cr(struct pfu *u)
{
    uint64_t start = now_ns(), t;
    unsigned k = 0;
    uint8_t st;

    for (;;) {
        st = __atomic_load_n(&u->ram[G_CR], __ATOMIC_ACQUIRE);
        if (st != 0) {
            t = now_ns();
            break;
        }
        if ((++k & 0x3f) != 0) {
            cpu_relax();
            continue;
        }
        t = now_ns() - start;
        if (t > SPIN_LIMIT_NS) {
            die("completion record", ETIMEDOUT);
        }
        if (t > SPIN_PURE_NS) {
            struct timespec ts = {0, 1000};

            nanosleep(&ts, NULL);
        }
    }
    if (st != VIDXD_STATUS_SUCCESS) {
        die("completion status", EIO);
    }
    return t;
}

static struct dist
submit_to_cr(struct pfu *u)
{
    uint64_t *s = samples();
    struct vidxd_desc d;
    struct dist r;
    int i;

    make_desc(&d, false);
    memset(u->ram + G_SRC, 0xa5, XFER);
    for (i = 0; i < ROUNDS + WARMUP; i++) {
        uint64_t t0, t1;

        clear_cr(u);
        t0 = now_ns();
        pfu_submit(u, 0, &d);
        t1 = spin_cr(u);
        if (i >= WARMUP) {
            s[i - WARMUP] = t1 - t0;
        }
    }
    if (memcmp(u->ram + G_SRC, u->ram + G_DST, XFER) != 0) {
        die("memmove result", EIO);
    }
    r = summarize(s, ROUNDS);
    free(s);
    return r;
}

/* ---- (c) completion to eventfd wake ---- */

#define KINDS 3

struct waiter {
    int irq_fd;  /* the vector's eventfd, as the VMM gave it */
    int kick_fd; /* the floor's kick */
    int ack_fd;  /* blocking */
    uint64_t wake_ns;
    atomic_bool stop;
};

/* The woken side: blocked in poll() on both eventfds; stamps the wake,
 * consumes the count and acknowledges. */
static void *
waiter_main(void *arg)
{
    struct waiter *w = arg;
    struct pollfd p[2] = {{.fd = w->irq_fd, .events = POLLIN},
                          {.fd = w->kick_fd, .events = POLLIN}};
    uint64_t v, one = 1;

    for (;;) {
        uint64_t t;
        int i;

        if (poll(p, 2, -1) < 0) {
            if (errno == EINTR) {
                continue;
            }
            die("poll", errno);
        }
        t = now_ns();
        for (i = 0; i < 2; i++) {
            if ((p[i].revents & POLLIN) != 0 &&
                read(p[i].fd, &v, sizeof(v)) != (ssize_t)sizeof(v)) {
                die("eventfd read", errno);
            }
        }
        if (atomic_load(&w->stop)) {
            return NULL;
        }
        __atomic_store_n(&w->wake_ns, t, __ATOMIC_RELEASE);
        if (write(w->ack_fd, &one, sizeof(one)) != (ssize_t)sizeof(one)) {
            die("eventfd write", errno);
        }
    }
}

static void
efd_read(int fd)
{
    uint64_t v;

    if (read(fd, &v, sizeof(v)) != (ssize_t)sizeof(v)) {
        die("eventfd read", errno);
    }
}

static void
efd_write(int fd)
{
    uint64_t one = 1;

    if (write(fd, &one, sizeof(one)) != (ssize_t)sizeof(one)) {
        die("eventfd write", errno);
    }
}

static void
bench_wake(struct pfu *u)
{
    uint64_t *s[KINDS + 1];
    struct waiter w = {.irq_fd = u->efd[1]};
    struct vidxd_desc d;
    pthread_t th;
    struct dist a, b, f, r;
    int i, j;

    for (j = 0; j <= KINDS; j++) {
        s[j] = samples();
    }
    w.kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    w.ack_fd = eventfd(0, EFD_CLOEXEC);
    if (w.kick_fd < 0 || w.ack_fd < 0) {
        die("eventfd", errno);
    }
    atomic_init(&w.stop, false);
    if (pthread_create(&th, NULL, waiter_main, &w) != 0) {
        die("pthread_create", EAGAIN);
    }
    make_desc(&d, true);
    /* Three kinds of rounds, interleaved so that they share the machine's
     * state: 0 submit -> record (spinning), 1 submit -> interrupt wake
     * (main blocked), 2 eventfd ping-pong (the floor). */
    for (i = 0; i < KINDS * (ROUNDS + WARMUP); i++) {
        int k = (i - KINDS * WARMUP) / KINDS;
        bool keep = i >= KINDS * WARMUP;
        uint64_t t0, t1;

        switch (i % KINDS) {
        case 0:
            /* The interrupt that follows the record wakes the waiter
             * after t1; it is acknowledged outside the timed part. */
            clear_cr(u);
            t0 = now_ns();
            pfu_submit(u, 0, &d);
            t1 = spin_cr(u);
            efd_read(w.ack_fd);
            if (keep) {
                s[0][k] = t1 - t0;
            }
            break;
        case 1:
            clear_cr(u);
            t0 = now_ns();
            pfu_submit(u, 0, &d);
            efd_read(w.ack_fd);
            if (__atomic_load_n(&u->ram[G_CR], __ATOMIC_ACQUIRE) !=
                VIDXD_STATUS_SUCCESS) {
                die("interrupt before completion record", EIO);
            }
            if (keep) {
                s[1][k] = __atomic_load_n(&w.wake_ns, __ATOMIC_ACQUIRE) - t0;
            }
            break;
        default:
            t0 = now_ns();
            efd_write(w.kick_fd);
            efd_read(w.ack_fd);
            t1 = now_ns();
            if (keep) {
                s[2][k] = __atomic_load_n(&w.wake_ns, __ATOMIC_ACQUIRE) - t0;
                s[3][k] = t1 - t0;
            }
            break;
        }
    }
    atomic_store(&w.stop, true);
    efd_write(w.kick_fd);
    pthread_join(th, NULL);
    close(w.kick_fd);
    close(w.ack_fd);
    a = summarize(s[0], ROUNDS);
    b = summarize(s[1], ROUNDS);
    f = summarize(s[2], ROUNDS);
    r = summarize(s[3], ROUNDS);
    print_dist("mapped_submit_to_cr_rci", a);
    print_dist("mapped_submit_to_eventfd_wake", b);
    printf("completion_to_eventfd_wake_median: %lld ns\n",
           (long long)b.median - (long long)a.median);
    print_dist("eventfd_pingpong_wake", f);
    print_dist("eventfd_pingpong_rtt", r);
    printf("ratio completion_to_eventfd_wake_median/eventfd_pingpong_wake: "
           "%.3f\n",
           ((double)b.median - (double)a.median) / (double)f.median);
    for (j = 0; j <= KINDS; j++) {
        free(s[j]);
    }
}

/*
 * What one idle pass of a worker costs in mapped mode: vidxd_dsa_process()
 * on a device without work polls every slot of every portal page of every
 * WQ once (dsa/portal.c) and finds nothing.  A worker that is already
 * spinning picks a new descriptor up within about one such pass.
 */
static void
bench_scan_pass(void)
{
    struct vidxd_dsa_config cfg;
    struct vidxd_dsa *dsa;
    uint64_t *s = samples();
    struct dist d;
    int i, rc;

    vidxd_dsa_config_default(&cfg);
    cfg.portal_mode = VIDXD_DSA_PORTAL_MAPPED;
    cfg.workers = 0;
    rc = vidxd_dsa_create(&cfg, NULL, NULL, &dsa);
    if (rc < 0) {
        die("vidxd_dsa_create", -rc);
    }
    for (i = 0; i < ROUNDS + WARMUP; i++) {
        uint64_t t0 = now_ns();

        if (vidxd_dsa_process(dsa) != 0) {
            die("idle process", EIO);
        }
        if (i >= WARMUP) {
            s[i - WARMUP] = now_ns() - t0;
        }
    }
    vidxd_dsa_destroy(dsa);
    d = summarize(s, ROUNDS);
    printf("mapped_idle_poll_pass_%uwqs_median: %llu ns\n", cfg.num_wqs,
           (unsigned long long)d.median);
    free(s);
}

/*
 * The client (this thread) naps with a 1 us timer slack; the threads that
 * pfu_start() creates inherit the value current at their creation, so it
 * is set after them and reset to the default (0) before the next start.
 */
static void
client_timer_slack(bool on)
{
    prctl(PR_SET_TIMERSLACK, on ? 1000ul : 0ul, 0, 0, 0);
}

static void
pf_config(struct vidxd_dsa_config *cfg, enum vidxd_dsa_portal_mode mode)
{
    vidxd_dsa_config_default(cfg);
    cfg->portal_mode = mode;
    cfg->workers = 1;
}

static void
setup(struct pfu *u, enum vidxd_dsa_portal_mode mode)
{
    struct vidxd_dsa_config cfg;
    uint32_t sts;
    int rc;

    pf_config(&cfg, mode);
    client_timer_slack(false);
    rc = pfu_start(u, &cfg);
    if (rc < 0) {
        die("pfu_start", -rc);
    }
    if ((mode == VIDXD_DSA_PORTAL_MAPPED) != (u->bar2 != NULL)) {
        die("portal mapping", EINVAL);
    }
    client_timer_slack(true);
    sts = pfu_setup_wq(u, 0, 16);
    if (sts != 0) {
        fprintf(stderr, "bench_vfio: WQ set-up: CMDSTS 0x%x\n", sts);
        exit(1);
    }
}

int
main(void)
{
    struct pfu u;
    struct dist m, t;

    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("rounds: %d samples\n", ROUNDS);
    /* Mapped portals, one worker: (a), (b) mapped, (c). */
    setup(&u, VIDXD_DSA_PORTAL_MAPPED);
    bench_region_read(&u);
    m = submit_to_cr(&u);
    print_dist("mapped_submit_to_cr_memmove64", m);
    bench_wake(&u);
    pfu_stop(&u);
    /* Trapped portals, one worker: (b) trapped. */
    setup(&u, VIDXD_DSA_PORTAL_TRAPPED);
    t = submit_to_cr(&u);
    pfu_stop(&u);
    print_dist("trapped_submit_to_cr_memmove64", t);
    bench_scan_pass();
    printf("ratio trapped_submit_to_cr_median/mapped: %.3f\n",
           (double)t.median / (double)m.median);
    return 0;
}
