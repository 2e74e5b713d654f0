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
 *      the same two threads (kick -> wake, the floor).
 * Output: "NAME: VALUE UNIT" per figure, "ratio NAME: VALUE" for ratios.
 */
#include <errno.h>
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
    e->fd = sv[1];
    e->use_epoll = use_epoll;
    e->rounds = ROUNDS + WARMUP;
    if (use_epoll) {
        int fl = SOCK_NONBLOCK;

        (void)fl;
        if (fcntl_nonblock(sv[1]) < 0) {
            die("fcntl", errno);
        }
    }
    *client_fd = sv[0];
    if (pthread_create(th, NULL, echo_main, e) != 0) {
        die("pthread_create", EAGAIN);
    }
}
