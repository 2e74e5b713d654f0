/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the control socket (src/daemon/control.c): the request
 * validator's exact replies, and the connection handling that keeps the
 * daemon serving everyone when one client is malformed, oversized, greedy
 * or too many (design.md invariant 1).  The event loop is driven by hand
 * with loop_poll(), so everything is single-threaded and deterministic.
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

#include "daemon/control.h"
#include "daemon/loop.h"
#include "daemon_test.h"

struct cfx {
    struct fx f;
    struct loop *loop;
    struct ctl *ctl;
    char path[160];
};

static int
setup(void **state)
{
    struct cfx *c = calloc(1, sizeof(*c));
    struct ctl_config cc;

    fx_init(&c->f);
    *state = c;
    if (fx_start(&c->f) < 0 || loop_create(&c->loop) < 0) {
        return -1;
    }
    snprintf(c->path, sizeof(c->path), "%s/control.sock", c->f.dir);
    cc.path = c->path;
    cc.loop = c->loop;
    cc.mgr = c->f.m;
    return ctl_create(&cc, &c->ctl) == 0 ? 0 : -1;
}

static int
teardown(void **state)
{
    struct cfx *c = *state;

    ctl_destroy(c->ctl);
    loop_destroy(c->loop);
    fx_fini(&c->f);
    free(c);
    return 0;
}

static void
expect_reply(struct mgr *m, const char *req, size_t len, const char *want)
{
    char *r = ctl_handle(m, req, len);

    assert_non_null(r);
    assert_string_equal(r, want);
    free(r);
}

#define EXPECT(req, want) expect_reply(c->f.m, req, strlen(req), want)

static void
test_requests(void **state)
{
    struct cfx *c = *state;
    char deep[512], *r;
    size_t i;

    EXPECT("{\"cmd\":\"config-wq\",\"dev\":\"dsa0/wq0.0\",\"attrs\":"
           "{\"size\":8}}",
           "{\"ok\":true}");
    EXPECT("{\"cmd\":\"config-wq\",\"dev\":\"dsa0/wq0.0\",\"attrs\":"
           "{\"size\":999}}",
           "{\"ok\":false,\"error\":\"dsa0/wq0.0: size 999 out of range "
           "(0..128)\",\"code\":34}");
    EXPECT("[1]", "{\"ok\":false,\"error\":\"a request is a JSON object with "
                  "a \\\"cmd\\\" string\",\"code\":22}");
    EXPECT("{\"cmd\":7}", "{\"ok\":false,\"error\":\"a request is a JSON "
                          "object with a \\\"cmd\\\" string\",\"code\":22}");
    EXPECT("{\"cmd\":\"frobnicate\"}",
           "{\"ok\":false,\"error\":\"unknown command 'frobnicate'\","
           "\"code\":22}");
    EXPECT("{\"cmd\":\"list\",\"x\":1}",
           "{\"ok\":false,\"error\":\"list: unknown key 'x'\",\"code\":22}");
    EXPECT("{\"cmd\":\"config-wq\",\"dev\":5,\"attrs\":{\"size\":1}}",
           "{\"ok\":false,\"error\":\"config-wq: \\\"dev\\\" must be a "
           "string\",\"code\":22}");
    EXPECT("{\"cmd\":\"config-wq\",\"dev\":\"wq0.0\"}",
           "{\"ok\":false,\"error\":\"config-wq: missing \\\"attrs\\\"\","
           "\"code\":22}");
    EXPECT("{\"cmd\":\"config-wq\",\"dev\":\"wq0.0\",\"attrs\":[]}",
           "{\"ok\":false,\"error\":\"config-wq: \\\"attrs\\\" must be an "
           "object\",\"code\":22}");
    EXPECT("{\"cmd\":\"config-wq\",\"dev\":\"wq0.0\",\"attrs\":{}}",
           "{\"ok\":false,\"error\":\"config-wq: no attribute to set\","
           "\"code\":22}");
    EXPECT("{\"cmd\":\"remove-vdev\",\"uuid\":\"x\",\"force\":\"yes\"}",
           "{\"ok\":false,\"error\":\"remove-vdev: \\\"force\\\" must be true "
           "or false\",\"code\":22}");
    EXPECT("{\"cmd\":\"create-vdev\",\"dev\":\"dsa0\",\"wqs\":\"wq0.1\"}",
           "{\"ok\":false,\"error\":\"create-vdev: \\\"wqs\\\" must be an "
           "array\",\"code\":22}");
    EXPECT("{\"cmd\":\"enable-device\",\"dev\":\"dsa9\"}",
           "{\"ok\":false,\"error\":\"unknown device 'dsa9' (this daemon "
           "manages dsa0)\",\"code\":19}");
    EXPECT("{\"cmd\":\"stats\",\"dev\":\"dsa9\"}",
           "{\"ok\":false,\"error\":\"unknown device 'dsa9' (this daemon "
           "manages dsa0)\",\"code\":19}");
    EXPECT("{\"cmd\":\"list\"} x",
           "{\"ok\":false,\"error\":\"trailing data after the request "
           "object\",\"code\":22}");
    EXPECT("{\"cmd\":\"list-vdevs\"}  ", "{\"ok\":true,\"vdevs\":[]}");
    expect_reply(c->f.m, "{\"cmd\":\"list\"}\0", 15,
                 "{\"ok\":false,\"error\":\"request contains a NUL byte\","
                 "\"code\":22}");
    EXPECT("{\"cmd\":\"remove-vdev\",\"uuid\":\"a\\u0000b\"}",
           "{\"ok\":false,\"error\":\"remove-vdev: \\\"uuid\\\" contains a NUL "
           "byte\",\"code\":22}");
    /* Deeper than the parser's limit (16) is refused, not recursed. */
    for (i = 0; i < 100; i++) {
        deep[i] = '[';
    }
    for (i = 100; i < 200; i++) {
        deep[i] = ']';
    }
    r = ctl_handle(c->f.m, deep, 200);
    assert_non_null(r);
    assert_int_equal(strncmp(r, "{\"ok\":false,\"error\":\"request is not "
                                "valid JSON: ",
                             48),
                     0);
    free(r);
    r = ctl_handle(c->f.m, "not json", 8);
    assert_int_equal(strncmp(r, "{\"ok\":false,\"error\":\"request is not "
                                "valid JSON: ",
                             48),
                     0);
    assert_non_null(strstr(r, "\"code\":22}"));
    free(r);
    r = ctl_handle(c->f.m, "{\"cmd\":\"list\"}", 14);
    assert_int_equal(strncmp(r, "{\"ok\":true,\"devices\":[{\"dev\":\"dsa0\"",
                             35),
                     0);
    free(r);
    /* The device is untouched by all of the refused requests. */
    r = ctl_handle(c->f.m, "{\"cmd\":\"save-config\"}", 21);
    assert_non_null(strstr(r, "\"dev\":\"wq0.0\",\"mode\":\"dedicated\","
                              "\"size\":8,"));
    free(r);
}

static int
connect_to(const char *path)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);

    strcpy(sa.sun_path, path);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    return fd;
}

/* Run the loop until @fd has a full line (returned, malloc'd) or EOF
 * (NULL); at most ~2 s. */
static char *
read_line(struct cfx *c, int fd, char *acc, size_t *have, size_t cap)
{
    int i;

    for (i = 0; i < 400; i++) {
        char *nl = memchr(acc, '\n', *have);
        ssize_t n;

        if (nl != NULL) {
            size_t len = (size_t)(nl - acc);
            char *line = strndup(acc, len);

            memmove(acc, nl + 1, *have - len - 1);
            *have -= len + 1;
            return line;
        }
        loop_poll(c->loop, 5);
        n = recv(fd, acc + *have, cap - *have, 0);
        if (n == 0 || (n < 0 && errno != EAGAIN)) {
            return NULL;
        }
        if (n > 0) {
            *have += (size_t)n;
        }
    }
    fail_msg("no reply");
    return NULL;
}

static void
test_socket_robustness(void **state)
{
    struct cfx *c = *state;
    struct ctl_config cc = {.path = c->path, .loop = c->loop, .mgr = c->f.m};
    struct ctl *other = NULL;
    static char big[300000];
    char acc[65536], *line;
    size_t have = 0, sent = 0;
    struct stat st;
    int a, b, i, fds[CTL_MAX_CLIENTS + 1];

    /* Operator-only, and one daemon per socket. */
    assert_int_equal(stat(c->path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(ctl_create(&cc, &other), -EADDRINUSE);

    /* A sends a request that never ends; B is served meanwhile. */
    memset(big, 'x', sizeof(big));
    a = connect_to(c->path);
    b = connect_to(c->path);
    for (i = 0; i < 200 && sent < sizeof(big); i++) {
        ssize_t n = send(a, big + sent, sizeof(big) - sent, MSG_NOSIGNAL);

        if (n > 0) {
            sent += (size_t)n;
        }
        loop_poll(c->loop, 1);
    }
    assert_int_equal(send(b, "{\"cmd\":\"list-vdevs\"}\n", 21, 0), 21);
    line = read_line(c, b, acc, &have, sizeof(acc));
    assert_string_equal(line, "{\"ok\":true,\"vdevs\":[]}");
    free(line);
    have = 0;
    line = read_line(c, a, acc, &have, sizeof(acc));
    assert_string_equal(line, "{\"ok\":false,\"error\":\"request longer than "
                              "262144 bytes\",\"code\":90}");
    free(line);
    assert_null(read_line(c, a, acc, &have, sizeof(acc)));
    close(a);

    /* Pipelined requests: every one answered, in order. */
    have = 0;
    {
        char req[40 * 32];
        size_t n = 0;

        for (i = 0; i < 40; i++) {
            n += (size_t)snprintf(req + n, sizeof(req) - n,
                                  "{\"cmd\":\"list-vdevs\"}\n{\"cmd\":%d}\n",
                                  i);
        }
        assert_int_equal(send(b, req, n, 0), (ssize_t)n);
    }
    for (i = 0; i < 80; i++) {
        line = read_line(c, b, acc, &have, sizeof(acc));
        assert_non_null(line);
        assert_string_equal(line, i % 2 == 0
                                      ? "{\"ok\":true,\"vdevs\":[]}"
                                      : "{\"ok\":false,\"error\":\"a request "
                                        "is a JSON object with a \\\"cmd\\\" "
                                        "string\",\"code\":22}");
        free(line);
    }
    /* A client that half-closes still gets its answer, then EOF. */
    assert_int_equal(send(b, "{\"cmd\":\"list-vdevs\"}\n", 21, 0), 21);
    shutdown(b, SHUT_WR);
    line = read_line(c, b, acc, &have, sizeof(acc));
    assert_string_equal(line, "{\"ok\":true,\"vdevs\":[]}");
    free(line);
    assert_null(read_line(c, b, acc, &have, sizeof(acc)));
    close(b);
    for (i = 0; i < 10; i++) {
        loop_poll(c->loop, 1);
    }

    /* At most CTL_MAX_CLIENTS at once; the next is told so. */
    for (i = 0; i <= (int)CTL_MAX_CLIENTS; i++) {
        fds[i] = connect_to(c->path);
        loop_poll(c->loop, 5);
    }
    have = 0;
    line = read_line(c, fds[CTL_MAX_CLIENTS], acc, &have, sizeof(acc));
    assert_string_equal(line, "{\"ok\":false,\"error\":\"too many control "
                              "clients\",\"code\":16}");
    free(line);
    /* The others still work. */
    assert_int_equal(send(fds[0], "{\"cmd\":\"list-vdevs\"}\n", 21, 0), 21);
    have = 0;
    line = read_line(c, fds[0], acc, &have, sizeof(acc));
    assert_string_equal(line, "{\"ok\":true,\"vdevs\":[]}");
    free(line);
    for (i = 0; i <= (int)CTL_MAX_CLIENTS; i++) {
        close(fds[i]);
    }
}

static void
test_stale_socket_replaced(void **state)
{
    struct cfx *c = *state;
    struct ctl_config cc = {.loop = c->loop, .mgr = c->f.m};
    char stale[200];
    struct ctl *s = NULL;
    int fd;

    /* A socket file nobody listens on (a daemon killed with -9). */
    snprintf(stale, sizeof(stale), "%s/stale.sock", c->f.dir);
    {
        struct sockaddr_un sa = {.sun_family = AF_UNIX};

        fd = socket(AF_UNIX, SOCK_STREAM, 0);
        strcpy(sa.sun_path, stale);
        assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
        close(fd);
    }
    cc.path = stale;
    assert_int_equal(ctl_create(&cc, &s), 0);
    fd = connect_to(stale);
    close(fd);
    ctl_destroy(s);
    assert_int_equal(access(stale, F_OK), -1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_requests, setup, teardown),
        cmocka_unit_test_setup_teardown(test_socket_robustness, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_stale_socket_replaced, setup,
                                        teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
