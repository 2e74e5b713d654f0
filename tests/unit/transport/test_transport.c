/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the transport layer: message framing, SCM_RIGHTS fd
 * passing with its limit, partial reads on a non-blocking socket, framing
 * errors and hang-ups, queued sends to a peer that does not read, and the
 * listening socket (reference/vfio-user.md §1.1, §6 "Transport").
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "proto/vfio_user.h"
#include "transport/transport.h"

#define MAX_MSG 4096u

static void
make_msg(uint8_t *buf, uint32_t size, uint16_t id)
{
    struct vidxd_vu_hdr h = {id, VIDXD_VU_CMD_REGION_READ, size, 0, 0};
    uint32_t i;

    memcpy(buf, &h, sizeof(h));
    for (i = sizeof(h); i < size; i++) {
        buf[i] = (uint8_t)(i * 7 + id);
    }
}

static int
send_msg(struct transport *t, const uint8_t *buf, size_t len, const int *fds,
         size_t nfds)
{
    struct iovec iov = {(void *)buf, len};

    return transport_send(t, &iov, 1, fds, nfds);
}

/* True if the read end of a pipe sees EOF, i.e. every write end is closed. */
static bool
pipe_closed(int rfd)
{
    char c;
    int fl = fcntl(rfd, F_GETFL);

    fcntl(rfd, F_SETFL, fl | O_NONBLOCK);
    return read(rfd, &c, 1) == 0;
}

static void
test_pair_roundtrip(void **state)
{
    struct transport *a, *b;
    struct transport_msg m;
    uint8_t buf[100], hdr_only[16];

    (void)state;
    assert_int_equal(transport_pair(MAX_MSG, 4, false, &a, &b), 0);
    make_msg(buf, sizeof(buf), 7);
    make_msg(hdr_only, sizeof(hdr_only), 8);
    assert_int_equal(send_msg(a, buf, sizeof(buf), NULL, 0), 0);
    assert_int_equal(send_msg(a, hdr_only, sizeof(hdr_only), NULL, 0), 0);
    assert_int_equal(transport_recv(b, &m), 0);
    assert_int_equal(m.len, sizeof(buf));
    assert_memory_equal(m.data, buf, sizeof(buf));
    assert_int_equal(m.nfds, 0);
    assert_false(m.fds_dropped);
    assert_int_equal(transport_recv(b, &m), 0);
    assert_int_equal(m.len, 16);
    assert_memory_equal(m.data, hdr_only, 16);
    assert_false(transport_send_pending(a));
    transport_close(a);
    transport_close(b);
    transport_close(NULL);
}

static void
test_fd_passing(void **state)
{
    struct transport *a, *b;
    struct transport_msg m;
    uint8_t buf[48];
    int p1[2], p2[2], fds[2];
    char c = 0;

    (void)state;
    assert_int_equal(pipe(p1), 0);
    assert_int_equal(pipe(p2), 0);
    fds[0] = p1[1];
    fds[1] = p2[1];
    assert_int_equal(transport_pair(MAX_MSG, 4, false, &a, &b), 0);
    make_msg(buf, sizeof(buf), 1);
    assert_int_equal(send_msg(a, buf, sizeof(buf), fds, 2), 0);
    assert_int_equal(transport_recv(b, &m), 0);
    assert_int_equal(m.nfds, 2);
    assert_false(m.fds_dropped);
    /* The received fds are working copies of the write ends, in order. */
    assert_int_equal(write(m.fds[1], "y", 1), 1);
    assert_int_equal(read(p2[0], &c, 1), 1);
    assert_int_equal(c, 'y');
    assert_int_equal(write(m.fds[0], "x", 1), 1);
    assert_int_equal(read(p1[0], &c, 1), 1);
    assert_int_equal(c, 'x');
    assert_int_equal(fcntl(m.fds[0], F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
    close(p1[1]);
    close(p2[1]);
    transport_msg_close_fds(&m);
    assert_int_equal(m.nfds, 0);
    assert_true(pipe_closed(p1[0]));
    assert_true(pipe_closed(p2[0]));
    close(p1[0]);
    close(p2[0]);
    transport_close(a);
    transport_close(b);
}

static void
test_too_many_fds_dropped_and_closed(void **state)
{
    struct transport *a, *b;
    struct transport_msg m;
    uint8_t buf[32];
    int p[5][2], fds[5], i;

    (void)state;
    for (i = 0; i < 5; i++) {
        assert_int_equal(pipe(p[i]), 0);
        fds[i] = p[i][1];
    }
    /* The receiver takes 2; the sender attaches 5. */
    assert_int_equal(transport_pair(MAX_MSG, 2, false, &a, &b), 0);
    make_msg(buf, sizeof(buf), 3);
    assert_int_equal(send_msg(a, buf, sizeof(buf), fds, 5), 0);
    for (i = 0; i < 5; i++) {
        close(p[i][1]);
    }
    assert_int_equal(transport_recv(b, &m), 0);
    assert_true(m.fds_dropped);
    assert_true(m.nfds <= 2);
    transport_msg_close_fds(&m);
    /* Nothing leaked: every write end is gone. */
    for (i = 0; i < 5; i++) {
        assert_true(pipe_closed(p[i][0]));
        close(p[i][0]);
    }
    /* The stream stays in step: the next message is intact. */
    make_msg(buf, sizeof(buf), 4);
    assert_int_equal(send_msg(a, buf, sizeof(buf), NULL, 0), 0);
    assert_int_equal(transport_recv(b, &m), 0);
    assert_memory_equal(m.data, buf, sizeof(buf));
    assert_false(m.fds_dropped);
    transport_close(a);
    transport_close(b);
}

static void
test_partial_reads(void **state)
{
    struct transport *b;
    struct transport_msg m;
    uint8_t buf[200];
    int sv[2];

    (void)state;
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv),
                     0);
    assert_int_equal(transport_sock_create(sv[1], MAX_MSG, 4, &b), 0);
    make_msg(buf, sizeof(buf), 9);
    assert_int_equal(transport_recv(b, &m), -EAGAIN);
    assert_int_equal(write(sv[0], buf, 7), 7); /* half a header */
    assert_int_equal(transport_recv(b, &m), -EAGAIN);
    assert_int_equal(write(sv[0], buf + 7, 60), 60); /* into the payload */
    assert_int_equal(transport_recv(b, &m), -EAGAIN);
    assert_int_equal(write(sv[0], buf + 67, 133), 133);
    assert_int_equal(transport_recv(b, &m), 0);
    assert_int_equal(m.len, 200);
    assert_memory_equal(m.data, buf, 200);
    assert_int_equal(transport_recv(b, &m), -EAGAIN);
    close(sv[0]);
    transport_close(b);
}

static void
test_framing_errors(void **state)
{
    struct transport *b;
    struct transport_msg m;
    uint8_t buf[16];
    int sv[2];

    (void)state;
    /* Size smaller than a header. */
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    assert_int_equal(transport_sock_create(sv[1], MAX_MSG, 4, &b), 0);
    make_msg(buf, 16, 1);
    buf[4] = 15;
    assert_int_equal(write(sv[0], buf, 16), 16);
    assert_int_equal(transport_recv(b, &m), -EPROTO);
    close(sv[0]);
    transport_close(b);
    /* Size above the limit. */
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    assert_int_equal(transport_sock_create(sv[1], MAX_MSG, 4, &b), 0);
    make_msg(buf, 16, 1);
    buf[4] = 0x01;
    buf[5] = 0x10; /* 4097 */
    assert_int_equal(write(sv[0], buf, 16), 16);
    assert_int_equal(transport_recv(b, &m), -EPROTO);
    close(sv[0]);
    transport_close(b);
    /* Bad arguments. */
    assert_int_equal(transport_sock_create(-1, MAX_MSG, 4, &b), -EINVAL);
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    assert_int_equal(transport_sock_create(sv[0], 15, 4, &b), -EINVAL);
    assert_int_equal(transport_sock_create(sv[1], MAX_MSG, 17, &b), -EINVAL);
}

static void
test_hangups(void **state)
{
    struct transport *b;
    struct transport_msg m;
    uint8_t buf[64];
    int sv[2], p[2];

    (void)state;
    /* EOF between messages. */
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    assert_int_equal(transport_sock_create(sv[1], MAX_MSG, 4, &b), 0);
    close(sv[0]);
    assert_int_equal(transport_recv(b, &m), -ECONNRESET);
    transport_close(b);
    /* EOF mid-payload, with an fd already received: it is closed. */
    assert_int_equal(pipe(p), 0);
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv),
                     0);
    assert_int_equal(transport_sock_create(sv[1], MAX_MSG, 4, &b), 0);
    {
        struct transport *a;

        assert_int_equal(transport_sock_create(sv[0], MAX_MSG, 4, &a), 0);
        make_msg(buf, sizeof(buf), 2);
        /* Only 40 of the 64 bytes, with the fd. */
        assert_int_equal(send_msg(a, buf, 40, &p[1], 1), 0);
        close(p[1]);
        assert_int_equal(transport_recv(b, &m), -EAGAIN);
        transport_close(a);
    }
    assert_int_equal(transport_recv(b, &m), -ECONNRESET);
    transport_close(b);
    assert_true(pipe_closed(p[0]));
    close(p[0]);
}

static void
test_send_queue_and_backpressure(void **state)
{
    struct transport *a, *b;
    struct transport_msg m;
    static uint8_t big[MAX_MSG];
    int queued_at = -1, i, got = 0, rc;

    (void)state;
    assert_int_equal(transport_pair(MAX_MSG, 4, true, &a, &b), 0);
    /* Fill the socket until a message is only partly sent. */
    for (i = 0; i < 100000 && queued_at < 0; i++) {
        make_msg(big, MAX_MSG, (uint16_t)i);
        assert_int_equal(send_msg(a, big, MAX_MSG, NULL, 0), 0);
        if (transport_send_pending(a)) {
            queued_at = i;
        }
    }
    assert_true(queued_at >= 0);
    /* One message at a time: a second send must wait. */
    assert_int_equal(send_msg(a, big, 16, NULL, 0), -EBUSY);
    assert_int_equal(transport_flush(a), -EAGAIN);
    /* Drain every message and check the stream is intact. */
    for (;;) {
        rc = transport_recv(b, &m);
        if (rc == -EAGAIN) {
            if (!transport_send_pending(a)) {
                break;
            }
            rc = transport_flush(a);
            assert_true(rc == 0 || rc == -EAGAIN);
            continue;
        }
        assert_int_equal(rc, 0);
        make_msg(big, MAX_MSG, (uint16_t)got);
        assert_int_equal(m.len, MAX_MSG);
        assert_memory_equal(m.data, big, MAX_MSG);
        got++;
    }
    assert_int_equal(got, queued_at + 1);
    transport_close(a);
    transport_close(b);
}

static void
test_queued_message_keeps_its_fd(void **state)
{
    struct transport *a, *b;
    struct transport_msg m;
    uint8_t junk[4096], small[24];
    size_t filled = 0, drained = 0;
    ssize_t n;
    int p[2], rc;
    char c;

    (void)state;
    assert_int_equal(pipe(p), 0);
    assert_int_equal(transport_pair(MAX_MSG, 4, true, &a, &b), 0);
    /* Fill the socket with raw bytes so that not one byte more fits. */
    memset(junk, 0xab, sizeof(junk));
    while ((n = write(transport_fd(a), junk, sizeof(junk))) > 0) {
        filled += (size_t)n;
    }
    assert_int_equal(errno, EAGAIN);
    /* The whole message, fd included, waits in the queue. */
    make_msg(small, sizeof(small), 77);
    assert_int_equal(send_msg(a, small, sizeof(small), &p[1], 1), 0);
    assert_true(transport_send_pending(a));
    close(p[1]);
    while (drained < filled) {
        size_t want = filled - drained < sizeof(junk) ? filled - drained
                                                      : sizeof(junk);

        n = read(transport_fd(b), junk, want);
        assert_true(n > 0);
        drained += (size_t)n;
    }
    assert_int_equal(transport_flush(a), 0);
    assert_false(transport_send_pending(a));
    rc = transport_recv(b, &m);
    assert_int_equal(rc, 0);
    assert_memory_equal(m.data, small, sizeof(small));
    assert_int_equal(m.nfds, 1);
    assert_int_equal(write(m.fds[0], "z", 1), 1);
    assert_int_equal(read(p[0], &c, 1), 1);
    assert_int_equal(c, 'z');
    transport_msg_close_fds(&m);
    assert_true(pipe_closed(p[0]));
    close(p[0]);
    transport_close(a);
    transport_close(b);
}

static void
test_send_to_closed_peer(void **state)
{
    struct transport *a, *b;
    uint8_t buf[32];

    (void)state;
    assert_int_equal(transport_pair(MAX_MSG, 4, false, &a, &b), 0);
    transport_close(b);
    make_msg(buf, sizeof(buf), 1);
    /* MSG_NOSIGNAL: an error, not a SIGPIPE that kills the daemon. */
    assert_int_equal(send_msg(a, buf, sizeof(buf), NULL, 0), -EPIPE);
    transport_close(a);
}

static void
test_listen_accept(void **state)
{
    char dir[] = "/tmp/vidxd-transport-XXXXXX";
    char path[128], longp[200];
    struct transport *t;
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    struct transport_msg m;
    uint8_t buf[20];
    int lfd, lfd2, cfd, sfd;

    (void)state;
    if (getenv("TMPDIR") != NULL && strlen(getenv("TMPDIR")) < 60) {
        snprintf(dir, sizeof(dir), "%s/vdxt-XXXXXX", getenv("TMPDIR"));
    }
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/s", dir);
    assert_int_equal(transport_sock_listen(path, &lfd), 0);
    assert_int_equal(transport_sock_accept(lfd, &sfd), -EAGAIN);
    cfd = socket(AF_UNIX, SOCK_STREAM, 0);
    strcpy(sa.sun_path, path);
    assert_int_equal(connect(cfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(transport_sock_accept(lfd, &sfd), 0);
    assert_true(fcntl(sfd, F_GETFL) & O_NONBLOCK);
    assert_int_equal(transport_sock_create(sfd, MAX_MSG, 4, &t), 0);
    make_msg(buf, sizeof(buf), 5);
    assert_int_equal(write(cfd, buf, sizeof(buf)), (ssize_t)sizeof(buf));
    assert_int_equal(transport_recv(t, &m), 0);
    assert_memory_equal(m.data, buf, sizeof(buf));
    transport_close(t);
    close(cfd);
    /* A live socket is not stolen (the probe connects and leaves). */
    assert_int_equal(transport_sock_listen(path, &lfd2), -EADDRINUSE);
    /* Once the listener is gone the file is stale and gets replaced. */
    close(lfd);
    assert_int_equal(transport_sock_listen(path, &lfd), 0);
    close(lfd);
    unlink(path);
    memset(longp, 'a', sizeof(longp) - 1);
    longp[sizeof(longp) - 1] = '\0';
    assert_int_equal(transport_sock_listen(longp, &lfd), -ENAMETOOLONG);
    rmdir(dir);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pair_roundtrip),
        cmocka_unit_test(test_fd_passing),
        cmocka_unit_test(test_too_many_fds_dropped_and_closed),
        cmocka_unit_test(test_partial_reads),
        cmocka_unit_test(test_framing_errors),
        cmocka_unit_test(test_hangups),
        cmocka_unit_test(test_send_queue_and_backpressure),
        cmocka_unit_test(test_queued_message_keeps_its_fd),
        cmocka_unit_test(test_send_to_closed_peer),
        cmocka_unit_test(test_listen_accept),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
