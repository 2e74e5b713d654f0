/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Hostile-client suite: every case abuses device 0's server in one way and
 * expects an error reply (with the exact errno) or the end of that session
 * only.  After every case the teardown checks that a client of device 1,
 * served by the same process and loop, still works (registers, DMA,
 * interrupt), and that device 0 accepts and serves a new VMM.  At the end
 * no fd has leaked (design.md invariant 1; reference/vfio-user.md §1, §6).
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
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "itest.h"
#include "transport/transport.h"

#define CFG VIDXD_PCI_REGION_CONFIG
#define RW (VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)
#define EFD_TRIG (VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER)
#define NONE_TRIG (VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER)
#define MAX_MSG (16u + 16u + (1u << 20)) /* header + access + 1 MiB */
#define DEV0_MAX_MAPS 16u

/* Device 1's long-lived client (the bystander). */
struct bystander {
    struct client *c;
    uint8_t *ram;
    int ram_fd;
    int efd;
    uint64_t round;
};

static struct itest env;
static struct bystander by;
static int fds_at_start;

static int
group_setup(void **state)
{
    (void)state;
    assert_int_equal(itest_start(&env, DEV0_MAX_MAPS), 0);
    by.c = itest_connect(&env, 1, true);
    assert_non_null(by.c);
    by.ram_fd = itest_memfd(0x20000, &by.ram);
    assert_true(by.ram_fd >= 0);
    by.efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    assert_int_equal(client_dma_map(by.c, 0x10000, 0x20000, by.ram_fd, 0, RW),
                     0);
    assert_int_equal(client_set_irqs(by.c, 2, EFD_TRIG, 0, 1, &by.efd, 1), 0);
    assert_int_equal(client_write16(by.c, CFG, 0x04, 0x0006), 0);
    fds_at_start = itest_count_fds();
    return 0;
}

static int
group_teardown(void **state)
{
    (void)state;
    /* Nothing the hostile clients sent is still open in the process. */
    itest_wait_idle(&env, 0);
    assert_int_equal(itest_count_fds(), fds_at_start);
    client_close(by.c);
    itest_wait_idle(&env, 1);
    close(by.efd);
    munmap(by.ram, 0x20000);
    close(by.ram_fd);
    itest_stop(&env);
    return 0;
}

/* Device 1 keeps working: registers, a DMA copy, its interrupt. */
static void
check_bystander(void)
{
    uint64_t v = 0, cnt = 0;
    struct vidxd_vu_device_info di;

    by.round++;
    assert_int_equal(client_device_info(by.c, &di), 0);
    assert_int_equal(client_write64(by.c, 0, FAKE_REG_SCRATCH, by.round), 0);
    assert_int_equal(client_read64(by.c, 0, FAKE_REG_SCRATCH, &v), 0);
    assert_int_equal(v, by.round);
    memset(by.ram, (int)(by.round & 0xff), 0x100);
    assert_int_equal(client_write64(by.c, 0, FAKE_REG_SRC, 0x10000), 0);
    assert_int_equal(client_write64(by.c, 0, FAKE_REG_DST, 0x20000), 0);
    assert_int_equal(client_write64(by.c, 0, FAKE_REG_LEN, 0x100), 0);
    assert_int_equal(client_write64(by.c, 0, FAKE_REG_DOORBELL, 1), 0);
    assert_int_equal(client_read64(by.c, 0, FAKE_REG_STATUS, &v), 0);
    assert_int_equal(v, FAKE_ST_DONE);
    assert_int_equal(by.ram[0x10000 + 0xff], (uint8_t)by.round);
    assert_int_equal(eventfd_read(by.efd, &cnt), 0);
    assert_int_equal(cnt, 1);
}

/* After each case: the bystander works and device 0 serves a new VMM. */
static int
after_case(void **state)
{
    struct client *c;
    uint32_t id = 0;

    (void)state;
    check_bystander();
    c = itest_connect(&env, 0, true);
    assert_non_null(c);
    assert_int_equal(client_read32(c, 0, FAKE_REG_ID, &id), 0);
    assert_int_equal(id, FAKE_ID);
    client_close(c);
    return 0;
}

/* ---- helpers ------------------------------------------------------------- */

static struct client *
fresh(bool negotiate)
{
    struct client *c = itest_connect(&env, 0, negotiate);

    assert_non_null(c);
    return c;
}

static int
call(struct client *c, uint16_t cmd, const void *p, size_t n, const int *fds,
     size_t nfds)
{
    return client_call(c, cmd, p, n, fds, nfds, NULL, 0, NULL, NULL, NULL);
}

/* The server ends the session: the next read sees end of stream. */
static void
expect_disconnect(struct client *c)
{
    struct vidxd_vu_hdr h;
    int rc, i;

    /* Replies to earlier messages may still be in flight. */
    for (i = 0; i < 100000; i++) {
        rc = client_recv(c, &h, NULL, 0, NULL, NULL, NULL);
        if (rc != 0) {
            break;
        }
    }
    assert_int_equal(rc, -ECONNRESET);
}

static void
send_raw_hdr(struct client *c, uint16_t id, uint16_t cmd, uint32_t size,
             uint32_t flags)
{
    struct vidxd_vu_hdr h = {id, cmd, size, flags, 0};

    assert_int_equal(client_send_bytes(c, &h, sizeof(h), NULL, 0), 0);
}

/* A pipe whose write end goes to the server; true once it is closed. */
struct probe {
    int r, w;
};

static struct probe
probe_new(void)
{
    struct probe p;
    int fds[2];

    assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
    p.r = fds[0];
    p.w = fds[1];
    return p;
}

/* Our copy of the write end is closed; EOF means the server closed its. */
static bool
probe_closed(struct probe *p)
{
    char ch;

    if (p->w >= 0) {
        close(p->w);
        p->w = -1;
    }
    fcntl(p->r, F_SETFL, O_NONBLOCK);
    return read(p->r, &ch, 1) == 0;
}

static void
probe_free(struct probe *p)
{
    if (p->w >= 0) {
        close(p->w);
    }
    close(p->r);
}

static const struct vidxd_vu_device_info get_info = {16, 0, 0, 0};

/* ---- framing ------------------------------------------------------------- */

static void
h_size_below_header(void **state)
{
    struct client *c = fresh(true);

    (void)state;
    send_raw_hdr(c, 1, VIDXD_VU_CMD_DEVICE_GET_INFO, 8, 0);
    expect_disconnect(c);
    client_close(c);
}

static void
h_size_zero(void **state)
{
    struct client *c = fresh(false);

    (void)state;
    send_raw_hdr(c, 1, VIDXD_VU_CMD_VERSION, 0, 0);
    expect_disconnect(c);
    client_close(c);
}

static void
h_size_huge(void **state)
{
    struct client *c = fresh(true);

    (void)state;
    send_raw_hdr(c, 1, VIDXD_VU_CMD_REGION_WRITE, 0x7fffffff, 0);
    expect_disconnect(c);
    client_close(c);
}

static void
h_size_max_plus_one(void **state)
{
    struct client *c = fresh(true);

    (void)state;
    /* The largest legal message is header + access header + 1 MiB. */
    send_raw_hdr(c, 1, VIDXD_VU_CMD_REGION_WRITE, MAX_MSG + 1, 0);
    expect_disconnect(c);
    client_close(c);
}

static void
h_size_exceeds_payload_then_close(void **state)
{
    struct client *c = fresh(true);
    uint8_t junk[24] = {0};

    (void)state;
    send_raw_hdr(c, 1, VIDXD_VU_CMD_DEVICE_GET_INFO, 100, 0);
    assert_int_equal(client_send_bytes(c, junk, sizeof(junk), NULL, 0), 0);
    client_close(c);
}

static void
h_size_below_payload(void **state)
{
    struct client *c = fresh(true);
    struct vidxd_vu_hdr h;
    uint8_t msg[32];

    (void)state;
    /* The header claims 16 bytes; the payload then reads as a bad header. */
    proto_hdr_init((struct vidxd_vu_hdr *)msg, 9,
                   VIDXD_VU_CMD_DEVICE_GET_INFO, 16, 0, 0);
    memcpy(msg + 16, &get_info, 16);
    assert_int_equal(client_send_bytes(c, msg, sizeof(msg), NULL, 0), 0);
    assert_int_equal(client_recv(c, &h, NULL, 0, NULL, NULL, NULL), 0);
    assert_int_equal(h.msg_id, 9);
    assert_true(h.flags & VIDXD_VU_F_ERROR);
    assert_int_equal(h.error, EINVAL);
    expect_disconnect(c);
    client_close(c);
}

static void
h_payload_longer_than_fixed(void **state)
{
    struct client *c = fresh(true);
    uint8_t p[20] = {16};

    (void)state;
    assert_int_equal(call(c, VIDXD_VU_CMD_DEVICE_GET_INFO, p, 20, NULL, 0),
                     -EINVAL);
    assert_int_equal(call(c, VIDXD_VU_CMD_DEVICE_GET_INFO, p, 12, NULL, 0),
                     -EINVAL);
    client_close(c);
}

static void
h_dma_map_short_payload(void **state)
{
    struct client *c = fresh(true);
    struct vidxd_vu_dma_map m = {32, RW, 0, 0, 0x1000};

    (void)state;
    assert_int_equal(call(c, VIDXD_VU_CMD_DMA_MAP, &m, 24, NULL, 0), -EINVAL);
    client_close(c);
}

/* ---- commands and types -------------------------------------------------- */

static void
h_unknown_commands(void **state)
{
    static const uint16_t cmds[] = {0, 6, 11, 12, 14, 15, 16, 17, 18, 19,
                                    100, 0xffff};
    struct client *c = fresh(true);
    uint8_t p[32] = {32};
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
        assert_int_equal(call(c, cmds[i], p, sizeof(p), NULL, 0), -EINVAL);
    }
    client_close(c);
}

static void
h_reply_sent_as_command(void **state)
{
    struct client *c = fresh(true);
    struct vidxd_vu_hdr h = {3, VIDXD_VU_CMD_DEVICE_GET_INFO, 32,
                             VIDXD_VU_F_TYPE_REPLY, 0};
    uint8_t msg[32];

    (void)state;
    memcpy(msg, &h, 16);
    memcpy(msg + 16, &get_info, 16);
    assert_int_equal(client_send_bytes(c, msg, sizeof(msg), NULL, 0), 0);
    expect_disconnect(c);
    client_close(c);
}

static void
h_undefined_type(void **state)
{
    struct client *c = fresh(true);

    (void)state;
    send_raw_hdr(c, 3, VIDXD_VU_CMD_DEVICE_RESET, 16, 5);
    expect_disconnect(c);
    client_close(c);
}

static void
h_error_flag_on_command(void **state)
{
    struct client *c = fresh(true);
    struct vidxd_vu_hdr h;

    (void)state;
    send_raw_hdr(c, 4, VIDXD_VU_CMD_DEVICE_RESET, 16, VIDXD_VU_F_ERROR);
    assert_int_equal(client_recv(c, &h, NULL, 0, NULL, NULL, NULL), 0);
    assert_int_equal(h.msg_id, 4);
    assert_int_equal(h.flags, VIDXD_VU_F_TYPE_REPLY | VIDXD_VU_F_ERROR);
    assert_int_equal(h.error, EINVAL);
    assert_int_equal(h.msg_size, 16);
    client_close(c);
}

static void
h_failed_no_reply_command_is_silent(void **state)
{
    struct client *c = fresh(true);
    struct vidxd_vu_hdr h;
    uint16_t id;
    uint8_t bad[20] = {0};

    (void)state;
    /* A bad posted write gets no reply; the next reply is the next one's. */
    assert_int_equal(client_send(c, VIDXD_VU_CMD_REGION_WRITE,
                                 VIDXD_VU_F_NO_REPLY, bad, 20, NULL, 0, NULL),
                     0);
    assert_int_equal(client_send(c, 77, VIDXD_VU_F_NO_REPLY, NULL, 0, NULL, 0,
                                 NULL),
                     0);
    assert_int_equal(client_send(c, VIDXD_VU_CMD_DEVICE_GET_INFO, 0,
                                 &get_info, 16, NULL, 0, &id),
                     0);
    assert_int_equal(client_recv(c, &h, NULL, 0, NULL, NULL, NULL), 0);
    assert_int_equal(h.msg_id, id);
    assert_int_equal(h.flags, VIDXD_VU_F_TYPE_REPLY);
    client_close(c);
}

/* ---- VERSION ------------------------------------------------------------- */

static int
version(struct client *c, uint16_t major, const void *json, size_t jl)
{
    uint8_t p[1024] = {0};

    memcpy(p, &major, 2);
    memcpy(p + 4, json, jl);
    return call(c, VIDXD_VU_CMD_VERSION, p, 4 + jl, NULL, 0);
}

static void
h_command_before_version(void **state)
{
    struct client *c = fresh(false);
    struct vidxd_vu_device_info di;

    (void)state;
    assert_int_equal(client_device_info(c, &di), -EINVAL);
    assert_int_equal(client_dma_map(c, 0, 0x1000, -1, 0, RW), -EINVAL);
    assert_int_equal(client_reset(c), -EINVAL);
    /* VERSION still works afterwards. */
    assert_int_equal(client_negotiate(c, NULL, NULL), 0);
    assert_int_equal(client_device_info(c, &di), 0);
    client_close(c);
}

static void
h_fd_before_version_is_closed(void **state)
{
    struct client *c = fresh(false);
    struct probe p = probe_new();
    struct vidxd_vu_dma_map m = {32, RW, 0, 0, 0x1000};

    (void)state;
    assert_int_equal(call(c, VIDXD_VU_CMD_DMA_MAP, &m, 32, &p.w, 1), -EINVAL);
    assert_true(probe_closed(&p));
    probe_free(&p);
    client_close(c);
}

static void
h_double_version(void **state)
{
    struct client *c = fresh(true);
    uint32_t id;

    (void)state;
    assert_int_equal(client_negotiate(c, NULL, NULL), -EINVAL);
    assert_int_equal(client_read32(c, 0, FAKE_REG_ID, &id), 0);
    client_close(c);
}

static void
h_version_malformed_json(void **state)
{
    static const char *const bad[] = {
        "{\"capabilities\":",
        "not json",
        "[]",
        "{} {}",
        "{\"capabilities\":[]}",
        "{\"capabilities\":{\"max_msg_fds\":\"16\"}}",
        "{\"capabilities\":{\"max_data_xfer_size\":-1}}",
        "{\"capabilities\":{\"pgsizes\":65536}}", /* no 4 KiB pages */
        ("[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
         "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"),
    };
    struct client *c = fresh(false);
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(version(c, 0, bad[i], strlen(bad[i]) + 1), -EINVAL);
    }
    assert_int_equal(client_negotiate(c, NULL, NULL), 0);
    client_close(c);
}

static void
h_version_json_not_terminated(void **state)
{
    struct client *c = fresh(false);

    (void)state;
    assert_int_equal(version(c, 0, "{}", 2), -EINVAL);
    assert_int_equal(version(c, 0, "{}\0{}", 6), -EINVAL);
    client_close(c);
}

static void
h_version_bad_numbers(void **state)
{
    struct client *c = fresh(false);
    uint8_t p[2] = {0};

    (void)state;
    assert_int_equal(version(c, 1, "{}", 3), -EINVAL);
    assert_int_equal(version(c, 0xffff, "{}", 3), -EINVAL);
    assert_int_equal(call(c, VIDXD_VU_CMD_VERSION, p, 2, NULL, 0), -EINVAL);
    assert_int_equal(call(c, VIDXD_VU_CMD_VERSION, NULL, 0, NULL, 0), -EINVAL);
    client_close(c);
}

static void
h_version_large_valid_json(void **state)
{
    struct client *c = fresh(false);
    size_t n = 600 * 1024;
    char *json = malloc(n + 64);
    uint8_t *p = malloc(n + 64);
    size_t len;

    (void)state;
    if (json == NULL || p == NULL) {
        fail_msg("out of memory");
        return;
    }
    /* Big but legal: an unknown key with a long string value. */
    len = (size_t)sprintf(json, "{\"capabilities\":{\"x\":\"");
    memset(json + len, 'a', n);
    len += n;
    len += (size_t)sprintf(json + len, "\"}}");
    memset(p, 0, 4);
    memcpy(p + 4, json, len + 1);
    assert_int_equal(call(c, VIDXD_VU_CMD_VERSION, p, 4 + len + 1, NULL, 0),
                     0);
    free(json);
    free(p);
    client_close(c);
}

/* ---- file descriptors ---------------------------------------------------- */

static void
h_too_many_fds(void **state)
{
    struct client *c = fresh(true);
    struct probe p[TRANSPORT_MAX_FDS];
    int efd[TRANSPORT_MAX_FDS], fds[TRANSPORT_MAX_FDS];
    struct vidxd_vu_dma_map m = {32, RW, 0, 0, 0x1000};
    int i;

    (void)state;
    for (i = 0; i < TRANSPORT_MAX_FDS; i++) {
        efd[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        p[i] = probe_new();
        fds[i] = p[i].w;
    }
    /*
     * Nine vectors with nine eventfds would be valid but for the fd count:
     * one more than the advertised max_msg_fds of 8.
     */
    assert_int_equal(client_set_irqs(c, 2, EFD_TRIG, 0, 9, efd, 9), -EINVAL);
    assert_int_equal(vidxd_server_irq_trigger(env.srv[0], 2, 0), -ENOENT);
    assert_int_equal(client_set_irqs(c, 2, EFD_TRIG, 0, 8, efd, 8), 0);
    assert_int_equal(vidxd_server_irq_trigger(env.srv[0], 2, 7), 0);
    /* Sixteen on a message that takes one: all closed, none kept. */
    assert_int_equal(call(c, VIDXD_VU_CMD_DMA_MAP, &m, 32, fds, 16), -EINVAL);
    for (i = 0; i < TRANSPORT_MAX_FDS; i++) {
        assert_true(probe_closed(&p[i]));
        probe_free(&p[i]);
        close(efd[i]);
    }
    client_close(c);
}

static void
h_fds_on_commands_that_take_none(void **state)
{
    struct client *c = fresh(true);
    struct probe p = probe_new(), q = probe_new();
    struct vidxd_vu_region_access ra = {0, 0, 4};
    uint8_t wr[20] = {0};

    (void)state;
    assert_int_equal(call(c, VIDXD_VU_CMD_DEVICE_GET_INFO, &get_info, 16, &p.w,
                          1),
                     -EINVAL);
    assert_int_equal(call(c, VIDXD_VU_CMD_REGION_READ, &ra, 16, &p.w, 1),
                     -EINVAL);
    /* A posted write with an fd: refused silently, fd closed. */
    memcpy(wr, &ra, 16);
    assert_int_equal(client_send(c, VIDXD_VU_CMD_REGION_WRITE,
                                 VIDXD_VU_F_NO_REPLY, wr, 20, &q.w, 1, NULL),
                     0);
    assert_int_equal(client_device_info(c, &(struct vidxd_vu_device_info){0}),
                     0);
    assert_true(probe_closed(&p));
    assert_true(probe_closed(&q));
    probe_free(&p);
    probe_free(&q);
    client_close(c);
}

static void
h_fd_flood_does_not_leak(void **state)
{
    struct client *c = fresh(true);
    int i;

    (void)state;
    for (i = 0; i < 200; i++) {
        struct probe p = probe_new();

        assert_int_equal(call(c, VIDXD_VU_CMD_DEVICE_RESET, NULL, 0, &p.w, 1),
                         -EINVAL);
        assert_true(probe_closed(&p));
        probe_free(&p);
    }
    client_close(c);
}

/* ---- DMA ---------------------------------------------------------------- */

static void
h_dma_map_two_fds(void **state)
{
    struct client *c = fresh(true);
    uint8_t *mem;
    int fd = itest_memfd(0x2000, &mem);
    int fds[2] = {fd, fd};
    struct vidxd_vu_dma_map m = {32, RW, 0, 0, 0x1000};

    (void)state;
    assert_int_equal(call(c, VIDXD_VU_CMD_DMA_MAP, &m, 32, fds, 2), -EINVAL);
    munmap(mem, 0x2000);
    close(fd);
    client_close(c);
}

static void
h_dma_map_without_fd_device_faults(void **state)
{
    struct client *c = fresh(true);
    uint64_t st = 0;

    (void)state;
    assert_int_equal(client_dma_map(c, 0x100000, 0x10000, -1, 0, RW), 0);
    assert_int_equal(client_write16(c, CFG, 0x04, 0x0006), 0);
    assert_int_equal(client_write64(c, 0, FAKE_REG_SRC, 0x100000), 0);
    assert_int_equal(client_write64(c, 0, FAKE_REG_DST, 0x108000), 0);
    assert_int_equal(client_write64(c, 0, FAKE_REG_LEN, 0x100), 0);
    assert_int_equal(client_write64(c, 0, FAKE_REG_DOORBELL, 1), 0);
    assert_int_equal(client_read64(c, 0, FAKE_REG_STATUS, &st), 0);
    assert_int_equal(st, FAKE_ST_FAULT);
    client_close(c);
}

static void
h_dma_map_overlaps(void **state)
{
    struct client *c = fresh(true);
    uint8_t *mem;
    int fd = itest_memfd(0x10000, &mem);

    (void)state;
    assert_int_equal(client_dma_map(c, 0x10000, 0x4000, fd, 0, RW), 0);
    assert_int_equal(client_dma_map(c, 0x10000, 0x4000, fd, 0, RW), -EEXIST);
    assert_int_equal(client_dma_map(c, 0xf000, 0x2000, fd, 0, RW), -EEXIST);
    assert_int_equal(client_dma_map(c, 0x13000, 0x1000, -1, 0, RW), -EEXIST);
    assert_int_equal(client_dma_map(c, 0x0, 0x100000, -1, 0, RW), -EEXIST);
    assert_int_equal(client_dma_map(c, 0x14000, 0x1000, fd, 0, RW), 0);
    munmap(mem, 0x10000);
    close(fd);
    client_close(c);
}

static void
h_dma_map_unaligned(void **state)
{
    struct client *c = fresh(true);
    uint8_t *mem;
    int fd = itest_memfd(0x10000, &mem);

    (void)state;
    assert_int_equal(client_dma_map(c, 0x10800, 0x1000, fd, 0, RW), -EINVAL);
    assert_int_equal(client_dma_map(c, 0x10000, 0x1001, fd, 0, RW), -EINVAL);
    assert_int_equal(client_dma_map(c, 0x10000, 0x1000, fd, 0x200, RW),
                     -EINVAL);
    assert_int_equal(client_dma_map(c, 0x10000, 0x800, -1, 0, RW), -EINVAL);
    munmap(mem, 0x10000);
    close(fd);
    client_close(c);
}

static void
h_dma_map_zero_and_wrapping(void **state)
{
    struct client *c = fresh(true);

    (void)state;
    assert_int_equal(client_dma_map(c, 0x10000, 0, -1, 0, RW), -EINVAL);
    assert_int_equal(client_dma_map(c, 0xfffffffffffff000ull, 0x2000, -1, 0,
                                    RW),
                     -EINVAL);
    assert_int_equal(client_dma_map(c, 0, 0x1000, -1, 0xfffffffffffff000ull,
                                    RW),
                     -EINVAL);
    client_close(c);
}

static void
h_dma_map_bad_files(void **state)
{
    struct client *c = fresh(true);
    struct probe p = probe_new();
    uint8_t *mem;
    int fd = itest_memfd(0x2000, &mem), efd = eventfd(0, EFD_CLOEXEC);
    char path[64];
    int ro;

    (void)state;
    /* Beyond the end of the file: would SIGBUS the server on access. */
    assert_int_equal(client_dma_map(c, 0x0, 0x4000, fd, 0, RW), -EINVAL);
    assert_int_equal(client_dma_map(c, 0x0, 0x1000, fd, 0x2000, RW), -EINVAL);
    /* Not a regular file. */
    assert_int_equal(client_dma_map(c, 0x0, 0x1000, p.w, 0, RW), -EINVAL);
    assert_int_equal(client_dma_map(c, 0x0, 0x1000, efd, 0, RW), -EINVAL);
    /* Opened read-only but mapped for device writes. */
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    ro = open(path, O_RDONLY | O_CLOEXEC);
    assert_true(ro >= 0);
    assert_int_equal(client_dma_map(c, 0x0, 0x1000, ro, 0, RW), -EACCES);
    assert_int_equal(client_dma_map(c, 0x0, 0x1000, ro, 0,
                                    VFIO_DMA_MAP_FLAG_READ),
                     0);
    close(ro);
    close(efd);
    probe_free(&p);
    munmap(mem, 0x2000);
    close(fd);
    client_close(c);
}

static void
h_dma_map_bad_flags(void **state)
{
    struct client *c = fresh(true);
    struct vidxd_vu_dma_map m = {32, 0x4, 0, 0, 0x1000};

    (void)state;
    assert_int_equal(call(c, VIDXD_VU_CMD_DMA_MAP, &m, 32, NULL, 0), -EINVAL);
    m.flags = 0x80000003;
    assert_int_equal(call(c, VIDXD_VU_CMD_DMA_MAP, &m, 32, NULL, 0), -EINVAL);
    m.flags = RW;
    m.argsz = 8;
    assert_int_equal(call(c, VIDXD_VU_CMD_DMA_MAP, &m, 32, NULL, 0), -EINVAL);
    client_close(c);
}

static void
h_dma_map_limit(void **state)
{
    struct client *c = fresh(true);
    uint32_t i;

    (void)state;
    for (i = 0; i < DEV0_MAX_MAPS; i++) {
        assert_int_equal(client_dma_map(c, 0x100000 + i * 0x2000ull, 0x1000,
                                        -1, 0, RW),
                         0);
    }
    assert_int_equal(client_dma_map(c, 0x900000, 0x1000, -1, 0, RW),
                     -ENOSPC);
    assert_int_equal(client_dma_unmap(c, 0x100000, 0x1000, 0), 0);
    assert_int_equal(client_dma_map(c, 0x900000, 0x1000, -1, 0, RW), 0);
    client_close(c);
}

static void
h_dma_unmap_never_mapped(void **state)
{
    struct client *c = fresh(true);

    (void)state;
    assert_int_equal(client_dma_unmap(c, 0x10000, 0x1000, 0), -ENOENT);
    assert_int_equal(client_dma_unmap(c, 0xfffffffffffff000ull, 0x1000, 0),
                     -ENOENT);
    client_close(c);
}

static void
h_dma_unmap_partial(void **state)
{
    struct client *c = fresh(true);

    (void)state;
    assert_int_equal(client_dma_map(c, 0x10000, 0x4000, -1, 0, RW), 0);
    assert_int_equal(client_dma_unmap(c, 0x10000, 0x1000, 0), -ENOENT);
    assert_int_equal(client_dma_unmap(c, 0x11000, 0x3000, 0), -ENOENT);
    assert_int_equal(client_dma_unmap(c, 0x10000, 0x8000, 0), -ENOENT);
    assert_int_equal(client_dma_unmap(c, 0x10000, 0x4000, 0), 0);
    client_close(c);
}

static void
h_dma_unmap_bad_requests(void **state)
{
    struct client *c = fresh(true);
    struct vidxd_vu_dma_unmap u = {24, 0, 0x1000, 0x1000};

    (void)state;
    assert_int_equal(client_dma_unmap(c, 0x1000, 0x1000,
                                      VFIO_DMA_UNMAP_FLAG_ALL),
                     -EINVAL);
    assert_int_equal(client_dma_unmap(c, 0x1000, 0x1000,
                                      VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP),
                     -EINVAL);
    assert_int_equal(client_dma_unmap(c, 0x1000, 0, 0), -EINVAL);
    u.argsz = 16;
    assert_int_equal(call(c, VIDXD_VU_CMD_DMA_UNMAP, &u, 24, NULL, 0),
                     -EINVAL);
    assert_int_equal(call(c, VIDXD_VU_CMD_DMA_UNMAP, &u, 20, NULL, 0),
                     -EINVAL);
    client_close(c);
}

static void
h_unmap_while_device_dma(void **state)
{
    struct client *c = fresh(true);
    uint8_t *mem;
    int fd = itest_memfd(0x10000, &mem);
    uint64_t st;
    int n = 0;

    (void)state;
    memset(mem, 0x3c, 0x1000);
    assert_int_equal(client_dma_map(c, 0x400000, 0x10000, fd, 0, RW), 0);
    assert_int_equal(client_write16(c, CFG, 0x04, 0x0006), 0);
    assert_int_equal(client_write64(c, 0, FAKE_REG_HOLD_MS, 50), 0);
    assert_int_equal(client_write64(c, 0, FAKE_REG_SRC, 0x400000), 0);
    assert_int_equal(client_write64(c, 0, FAKE_REG_DST, 0x408000), 0);
    assert_int_equal(client_write64(c, 0, FAKE_REG_LEN, 0x1000), 0);
    assert_int_equal(client_write64(c, 0, FAKE_REG_DOORBELL, 3), 0);
    do {
        assert_int_equal(client_read64(c, 0, FAKE_REG_STATUS, &st), 0);
    } while (st == FAKE_ST_QUEUED && ++n < 100000);
    /* Unmap-all while the worker is inside: it waits, the copy completes. */
    assert_int_equal(client_dma_unmap(c, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL), 0);
    assert_int_equal(client_read64(c, 0, FAKE_REG_STATUS, &st), 0);
    assert_int_equal(st, FAKE_ST_DONE);
    assert_int_equal(mem[0x8fff], 0x3c);
    assert_int_equal(client_write64(c, 0, FAKE_REG_HOLD_MS, 0), 0);
    munmap(mem, 0x10000);
    close(fd);
    client_close(c);
}

/* ---- region access ------------------------------------------------------- */

static int
region_read(struct client *c, uint32_t region, uint64_t off, uint32_t count)
{
    struct vidxd_vu_region_access ra = {off, region, count};

    return call(c, VIDXD_VU_CMD_REGION_READ, &ra, sizeof(ra), NULL, 0);
}

static void
h_region_offset_overflow(void **state)
{
    struct client *c = fresh(true);

    (void)state;
    assert_int_equal(region_read(c, 0, UINT64_MAX - 1, 4), -EINVAL);
    assert_int_equal(region_read(c, 0, UINT64_MAX, 1), 0 - EINVAL);
    assert_int_equal(region_read(c, CFG, 0xfffffffffffff000ull, 8), -EINVAL);
    assert_int_equal(region_read(c, CFG, 0x100000000ull, 4), -EINVAL);
    client_close(c);
}

static void
h_region_size_zero(void **state)
{
    struct client *c = fresh(true);

    (void)state;
    assert_int_equal(region_read(c, 0, 0, 0), -EINVAL);
    assert_int_equal(region_read(c, CFG, 0, 0), -EINVAL);
    client_close(c);
}

static void
h_region_size_beyond_region(void **state)
{
    struct client *c = fresh(true);

    (void)state;
    assert_int_equal(region_read(c, CFG, 0, 4097), -EINVAL);
    assert_int_equal(region_read(c, CFG, 4092, 8), -EINVAL);
    assert_int_equal(region_read(c, 0, 0, 16), -EINVAL);
    assert_int_equal(region_read(c, 0, FAKE_BAR0_SIZE, 4), -EINVAL);
    assert_int_equal(region_read(c, 2, FAKE_BAR2_SIZE - 4, 8), -EINVAL);
    assert_int_equal(region_read(c, 0, 0, 3), -EINVAL);
    client_close(c);
}

static void
h_region_oversized_count(void **state)
{
    struct client *c = fresh(true);
    struct vidxd_vu_region_access ra = {0, CFG, (1u << 20) + 1};

    (void)state;
    /* Above max_data_xfer_size: E2BIG, whether data follows or not. */
    assert_int_equal(region_read(c, CFG, 0, UINT32_MAX), -E2BIG);
    assert_int_equal(region_read(c, CFG, 0, (1u << 20) + 1), -E2BIG);
    assert_int_equal(call(c, VIDXD_VU_CMD_REGION_WRITE, &ra, 16, NULL, 0),
                     -E2BIG);
    client_close(c);
}

static void
h_region_bad_index(void **state)
{
    struct client *c = fresh(true);

    (void)state;
    assert_int_equal(region_read(c, 9, 0, 4), -EINVAL);
    assert_int_equal(region_read(c, 0xffffffff, 0, 4), -EINVAL);
    assert_int_equal(region_read(c, 1, 0, 4), -EINVAL); /* unused BAR */
    assert_int_equal(region_read(c, VIDXD_PCI_REGION_ROM, 0, 4), -EINVAL);
    assert_int_equal(region_read(c, VIDXD_PCI_REGION_VGA, 0, 4), -EINVAL);
    client_close(c);
}

static void
h_region_write_count_mismatch(void **state)
{
    struct client *c = fresh(true);
    uint8_t p[16 + 8] = {0};
    struct vidxd_vu_region_access ra = {FAKE_REG_SCRATCH, 0, 8};

    (void)state;
    memcpy(p, &ra, 16);
    assert_int_equal(call(c, VIDXD_VU_CMD_REGION_WRITE, p, 20, NULL, 0),
                     -EINVAL);
    assert_int_equal(call(c, VIDXD_VU_CMD_REGION_WRITE, p, 16, NULL, 0),
                     -EINVAL);
    ra.count = 4;
    memcpy(p, &ra, 16);
    assert_int_equal(call(c, VIDXD_VU_CMD_REGION_WRITE, p, 24, NULL, 0),
                     -EINVAL);
    /* A read with data attached. */
    assert_int_equal(call(c, VIDXD_VU_CMD_REGION_READ, p, 20, NULL, 0),
                     -EINVAL);
    client_close(c);
}

static void
h_region_info_bad_requests(void **state)
{
    struct client *c = fresh(true);
    struct vidxd_vu_region_info ri = {32, 0, 9, 0, 0, 0};

    (void)state;
    assert_int_equal(call(c, VIDXD_VU_CMD_DEVICE_GET_REGION_INFO, &ri, 32,
                          NULL, 0),
                     -EINVAL);
    ri.index = 0xffffffff;
    assert_int_equal(call(c, VIDXD_VU_CMD_DEVICE_GET_REGION_INFO, &ri, 32,
                          NULL, 0),
                     -EINVAL);
    ri.index = 0;
    ri.argsz = 0;
    assert_int_equal(call(c, VIDXD_VU_CMD_DEVICE_GET_REGION_INFO, &ri, 32,
                          NULL, 0),
                     -EINVAL);
    ri.argsz = 32;
    assert_int_equal(call(c, VIDXD_VU_CMD_DEVICE_GET_REGION_INFO, &ri, 16,
                          NULL, 0),
                     -EINVAL);
    client_close(c);
}

static void
h_reset_with_payload(void **state)
{
    struct client *c = fresh(true);
    uint32_t x = 0;

    (void)state;
    assert_int_equal(call(c, VIDXD_VU_CMD_DEVICE_RESET, &x, 4, NULL, 0),
                     -EINVAL);
    client_close(c);
}

/* ---- interrupts ---------------------------------------------------------- */

static int
set_irqs(struct client *c, uint32_t index, uint32_t flags, uint32_t start,
         uint32_t count, const int *fds, size_t nfds)
{
    return client_set_irqs(c, index, flags, start, count, fds, nfds);
}

static void
h_irq_info_bad_index(void **state)
{
    struct client *c = fresh(true);
    struct vidxd_vu_irq_info ii;

    (void)state;
    assert_int_equal(client_irq_info(c, 5, &ii), -EINVAL);
    assert_int_equal(client_irq_info(c, 0xffffffff, &ii), -EINVAL);
    client_close(c);
}

static void
h_set_irqs_bad_ranges(void **state)
{
    struct client *c = fresh(true);
    int efd[2] = {eventfd(0, EFD_CLOEXEC), eventfd(0, EFD_CLOEXEC)};

    (void)state;
    assert_int_equal(set_irqs(c, 2, EFD_TRIG, FAKE_NVEC - 1, 2, efd, 2),
                     -EINVAL);
    assert_int_equal(set_irqs(c, 2, EFD_TRIG, FAKE_NVEC, 1, efd, 1), -EINVAL);
    assert_int_equal(set_irqs(c, 2, EFD_TRIG, 0xffffffff, 2, NULL, 0),
                     -EINVAL);
    assert_int_equal(set_irqs(c, 2, NONE_TRIG, 0, FAKE_NVEC + 1, NULL, 0),
                     -EINVAL);
    /* In range, but nothing was assigned by the refused requests. */
    assert_int_equal(vidxd_server_irq_trigger(env.srv[0], 2, FAKE_NVEC - 1),
                     -ENOENT);
    /* No INTx or MSI on this device. */
    assert_int_equal(set_irqs(c, 0, EFD_TRIG, 0, 1, efd, 1), -EINVAL);
    assert_int_equal(set_irqs(c, 1, EFD_TRIG, 0, 1, efd, 1), -EINVAL);
    assert_int_equal(set_irqs(c, 5, NONE_TRIG, 0, 0, NULL, 0), -EINVAL);
    /* ERR and REQ have one vector and only TRIGGER. */
    assert_int_equal(set_irqs(c, 3, EFD_TRIG, 0, 2, efd, 2), -EINVAL);
    assert_int_equal(set_irqs(c, 4,
                              VFIO_IRQ_SET_DATA_NONE |
                                  VFIO_IRQ_SET_ACTION_UNMASK,
                              0, 1, NULL, 0),
                     -EINVAL);
    close(efd[0]);
    close(efd[1]);
    client_close(c);
}

static void
h_set_irqs_bad_flags(void **state)
{
    static const uint32_t bad[] = {
        0,
        VFIO_IRQ_SET_DATA_NONE,
        VFIO_IRQ_SET_ACTION_TRIGGER,
        VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_DATA_BOOL |
            VFIO_IRQ_SET_ACTION_TRIGGER,
        VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_MASK |
            VFIO_IRQ_SET_ACTION_UNMASK,
        VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER | 0x100,
        0xffffffff,
    };
    struct client *c = fresh(true);
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(set_irqs(c, 2, bad[i], 0, 1, NULL, 0), -EINVAL);
    }
    /* An eventfd with UNMASK would be INTx resampling. */
    {
        int efd = eventfd(0, EFD_CLOEXEC);

        assert_int_equal(set_irqs(c, 2,
                                  VFIO_IRQ_SET_DATA_EVENTFD |
                                      VFIO_IRQ_SET_ACTION_UNMASK,
                                  0, 1, &efd, 1),
                         -EINVAL);
        close(efd);
    }
    client_close(c);
}

static void
h_set_irqs_fds_vs_count(void **state)
{
    struct client *c = fresh(true);
    int efd[2] = {eventfd(0, EFD_CLOEXEC), eventfd(0, EFD_CLOEXEC)};

    (void)state;
    assert_int_equal(set_irqs(c, 2, EFD_TRIG, 0, 2, efd, 1), -EINVAL);
    assert_int_equal(set_irqs(c, 2, EFD_TRIG, 0, 1, efd, 2), -EINVAL);
    assert_int_equal(set_irqs(c, 2, NONE_TRIG, 0, 1, efd, 1), -EINVAL);
    assert_int_equal(set_irqs(c, 2, EFD_TRIG, 0, 0, NULL, 0), -EINVAL);
    assert_int_equal(set_irqs(c, 2, NONE_TRIG, 1, 0, NULL, 0), -EINVAL);
    /* argsz below the fixed part; BOOL data of the wrong length. */
    {
        struct vidxd_vu_irq_set s = {19, NONE_TRIG, 2, 0, 1};
        uint8_t b[24] = {0};

        assert_int_equal(call(c, VIDXD_VU_CMD_DEVICE_SET_IRQS, &s, 20, NULL,
                              0),
                         -EINVAL);
        s = (struct vidxd_vu_irq_set){20,
                                      VFIO_IRQ_SET_DATA_BOOL |
                                          VFIO_IRQ_SET_ACTION_TRIGGER,
                                      2, 0, 2};
        memcpy(b, &s, 20);
        assert_int_equal(call(c, VIDXD_VU_CMD_DEVICE_SET_IRQS, b, 21, NULL, 0),
                         -EINVAL);
        assert_int_equal(call(c, VIDXD_VU_CMD_DEVICE_SET_IRQS, b, 16, NULL, 0),
                         -EINVAL);
    }
    close(efd[0]);
    close(efd[1]);
    client_close(c);
}

static void
h_set_irqs_not_an_eventfd(void **state)
{
    struct client *c = fresh(true);
    struct probe p = probe_new();
    uint8_t *mem;
    int memfd = itest_memfd(0x1000, &mem);

    (void)state;
    /* A full pipe would block eventfd_write(): refuse anything else. */
    assert_int_equal(set_irqs(c, 2, EFD_TRIG, 0, 1, &p.w, 1), -EINVAL);
    assert_int_equal(set_irqs(c, 2, EFD_TRIG, 0, 1, &memfd, 1), -EINVAL);
    assert_true(probe_closed(&p));
    probe_free(&p);
    munmap(mem, 0x1000);
    close(memfd);
    client_close(c);
}

static void
h_saturated_eventfd_does_not_block(void **state)
{
    struct client *c = fresh(true);
    int efd = eventfd(0, EFD_CLOEXEC);
    uint64_t st = 0;

    (void)state;
    /* Counter at its maximum: a blocking write would hang the server. */
    assert_int_equal(eventfd_write(efd, 0xfffffffffffffffeull), 0);
    assert_int_equal(set_irqs(c, 2, EFD_TRIG, 0, 1, &efd, 1), 0);
    assert_int_equal(set_irqs(c, 2, NONE_TRIG, 0, 1, NULL, 0), 0);
    assert_int_equal(client_write16(c, CFG, 0x04, 0x0006), 0);
    assert_int_equal(client_write64(c, 0, FAKE_REG_LEN, 0), 0);
    assert_int_equal(client_write64(c, 0, FAKE_REG_DOORBELL, 1), 0);
    assert_int_equal(client_read64(c, 0, FAKE_REG_STATUS, &st), 0);
    close(efd);
    client_close(c);
}

/* ---- stream abuse -------------------------------------------------------- */

static void
h_disconnect_half_header(void **state)
{
    struct client *c = fresh(true);
    uint8_t half[7] = {1, 0, 4, 0, 32, 0, 0};

    (void)state;
    assert_int_equal(client_send_bytes(c, half, sizeof(half), NULL, 0), 0);
    client_close(c);
}

static void
h_disconnect_half_payload_with_fd(void **state)
{
    struct client *c = fresh(true);
    struct probe p = probe_new();
    uint8_t msg[30];

    (void)state;
    proto_hdr_init((struct vidxd_vu_hdr *)msg, 1, VIDXD_VU_CMD_DMA_MAP, 48, 0,
                   0);
    memset(msg + 16, 0, sizeof(msg) - 16);
    assert_int_equal(client_send_bytes(c, msg, sizeof(msg), &p.w, 1), 0);
    client_close(c);
    /* The server drops the half message and the fd that came with it. */
    itest_wait_idle(&env, 0);
    assert_true(probe_closed(&p));
    probe_free(&p);
}

static void
h_stall_mid_message(void **state)
{
    struct client *c = fresh(true);
    uint8_t half[10] = {1, 0, 4, 0, 32, 0, 0, 0, 0, 0};

    (void)state;
    assert_int_equal(client_send_bytes(c, half, sizeof(half), NULL, 0), 0);
    /* While device 0's client stalls, device 1 is served. */
    check_bystander();
    check_bystander();
    /* Completing the message later still works. */
    {
        uint8_t rest[22] = {0};
        struct vidxd_vu_hdr h;

        memcpy(rest + 6, &get_info, 16);
        assert_int_equal(client_send_bytes(c, rest, sizeof(rest), NULL, 0), 0);
        assert_int_equal(client_recv(c, &h, NULL, 0, NULL, NULL, NULL), 0);
        assert_int_equal(h.msg_id, 1);
        assert_int_equal(h.flags, VIDXD_VU_F_TYPE_REPLY);
    }
    client_close(c);
}

static void
h_client_never_reads(void **state)
{
    struct client *c = fresh(true);
    struct vidxd_vu_region_access ra = {0, CFG, 4096};
    int i, fl;

    (void)state;
    /* Ask for 4 KiB replies without reading any of them. */
    fl = fcntl(client_fd(c), F_GETFL);
    fcntl(client_fd(c), F_SETFL, fl | O_NONBLOCK);
    for (i = 0; i < 4000; i++) {
        struct vidxd_vu_hdr h = {(uint16_t)i, VIDXD_VU_CMD_REGION_READ, 32, 0,
                                 0};
        uint8_t msg[32];

        memcpy(msg, &h, 16);
        memcpy(msg + 16, &ra, 16);
        if (write(client_fd(c), msg, sizeof(msg)) != (ssize_t)sizeof(msg)) {
            break; /* our own send buffer is full: the server stopped */
        }
    }
    /* The server no longer reads from us, yet serves device 1. */
    check_bystander();
    client_close(c);
}

static void
h_garbage_bytes(void **state)
{
    struct client *c = fresh(true);
    uint8_t junk[4096];
    uint32_t x = 0x12345678;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(junk); i++) {
        x = x * 1103515245u + 12345u;
        junk[i] = (uint8_t)(x >> 16);
    }
    assert_int_equal(client_send_bytes(c, junk, sizeof(junk), NULL, 0), 0);
    /* Half-close: the server sees end of stream after the garbage. */
    shutdown(client_fd(c), SHUT_WR);
    expect_disconnect(c);
    client_close(c);
}

static void
h_second_client_refused(void **state)
{
    struct client *c = fresh(true), *c2;
    uint32_t id;

    (void)state;
    assert_int_equal(client_connect(env.path[0], &c2), 0);
    expect_disconnect(c2);
    client_close(c2);
    assert_int_equal(client_read32(c, 0, FAKE_REG_ID, &id), 0);
    client_close(c);
}

#define CASE(f) cmocka_unit_test_setup_teardown(f, NULL, after_case)

int
main(void)
{
    const struct CMUnitTest tests[] = {
        CASE(h_size_below_header),
        CASE(h_size_zero),
        CASE(h_size_huge),
        CASE(h_size_max_plus_one),
        CASE(h_size_exceeds_payload_then_close),
        CASE(h_size_below_payload),
        CASE(h_payload_longer_than_fixed),
        CASE(h_dma_map_short_payload),
        CASE(h_unknown_commands),
        CASE(h_reply_sent_as_command),
        CASE(h_undefined_type),
        CASE(h_error_flag_on_command),
        CASE(h_failed_no_reply_command_is_silent),
        CASE(h_command_before_version),
        CASE(h_fd_before_version_is_closed),
        CASE(h_double_version),
        CASE(h_version_malformed_json),
        CASE(h_version_json_not_terminated),
        CASE(h_version_bad_numbers),
        CASE(h_version_large_valid_json),
        CASE(h_too_many_fds),
        CASE(h_fds_on_commands_that_take_none),
        CASE(h_fd_flood_does_not_leak),
        CASE(h_dma_map_two_fds),
        CASE(h_dma_map_without_fd_device_faults),
        CASE(h_dma_map_overlaps),
        CASE(h_dma_map_unaligned),
        CASE(h_dma_map_zero_and_wrapping),
        CASE(h_dma_map_bad_files),
        CASE(h_dma_map_bad_flags),
        CASE(h_dma_map_limit),
        CASE(h_dma_unmap_never_mapped),
        CASE(h_dma_unmap_partial),
        CASE(h_dma_unmap_bad_requests),
        CASE(h_unmap_while_device_dma),
        CASE(h_region_offset_overflow),
        CASE(h_region_size_zero),
        CASE(h_region_size_beyond_region),
        CASE(h_region_oversized_count),
        CASE(h_region_bad_index),
        CASE(h_region_write_count_mismatch),
        CASE(h_region_info_bad_requests),
        CASE(h_reset_with_payload),
        CASE(h_irq_info_bad_index),
        CASE(h_set_irqs_bad_ranges),
        CASE(h_set_irqs_bad_flags),
        CASE(h_set_irqs_fds_vs_count),
        CASE(h_set_irqs_not_an_eventfd),
        CASE(h_saturated_eventfd_does_not_block),
        CASE(h_disconnect_half_header),
        CASE(h_disconnect_half_payload_with_fd),
        CASE(h_stall_mid_message),
        CASE(h_client_never_reads),
        CASE(h_garbage_bytes),
        CASE(h_second_client_refused),
    };

    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
