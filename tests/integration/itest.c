/* SPDX-License-Identifier: BSD-3-Clause */
/* Integration-test environment (see itest.h). */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <stdbool.h>
#include <time.h>
#include <unistd.h>

#include "itest.h"

int
itest_start(struct itest *it, uint32_t max_dma_maps)
{
    const struct fake_dev_config fcfg = {.allow_async = true};
    const char *tmp = getenv("TMPDIR");
    int i, rc;

    memset(it, 0, sizeof(*it));
    if (tmp == NULL || strlen(tmp) > 64) {
        tmp = "/tmp";
    }
    snprintf(it->dir, sizeof(it->dir), "%s/vidxd-it-XXXXXX", tmp);
    if (mkdtemp(it->dir) == NULL) {
        return -errno;
    }
    for (i = 0; i < ITEST_NDEV; i++) {
        struct vidxd_server_config cfg = {0};

        snprintf(it->path[i], sizeof(it->path[i]), "%s/dev%d.sock", it->dir,
                 i);
        rc = fake_dev_create(&fcfg, &it->dev[i]);
        if (rc < 0) {
            return rc;
        }
        cfg.socket_path = it->path[i];
        cfg.ops = fake_dev_ops();
        cfg.opaque = it->dev[i];
        cfg.max_dma_maps = i == 0 ? max_dma_maps : 0;
        rc = vidxd_server_create(&cfg, &it->srv[i]);
        if (rc < 0) {
            return rc;
        }
        fake_dev_set_server(it->dev[i], it->srv[i]);
    }
    return harness_start(it->srv, ITEST_NDEV, &it->h);
}

void
itest_stop(struct itest *it)
{
    int i;

    harness_stop(it->h);
    for (i = 0; i < ITEST_NDEV; i++) {
        vidxd_server_destroy(it->srv[i]);
        fake_dev_destroy(it->dev[i]);
    }
    rmdir(it->dir);
}

static void
probe_connected(void *arg)
{
    void **a = arg;

    *(bool *)a[1] = vidxd_server_connected(a[0]);
}

void
itest_wait_idle(struct itest *it, int i)
{
    const struct timespec pause = {0, 1000 * 1000};
    bool connected = true;
    void *args[2] = {it->srv[i], &connected};
    int n;

    /* Bounded (about 10 s) so that a stuck session fails the test. */
    for (n = 0; n < 10000; n++) {
        harness_run_on_loop(it->h, probe_connected, args);
        if (!connected) {
            return;
        }
        nanosleep(&pause, NULL);
    }
}

struct client *
itest_connect(struct itest *it, int i, bool negotiate)
{
    struct client *c;

    /* The server refuses a second client: let it finish the last one. */
    itest_wait_idle(it, i);
    if (client_connect(it->path[i], &c) < 0) {
        return NULL;
    }
    if (negotiate && client_negotiate(c, NULL, NULL) < 0) {
        client_close(c);
        return NULL;
    }
    return c;
}

int
itest_memfd(uint64_t size, uint8_t **mem)
{
    int fd = memfd_create("itest-ram", MFD_CLOEXEC);

    if (fd < 0) {
        return -errno;
    }
    if (ftruncate(fd, (off_t)size) < 0) {
        close(fd);
        return -errno;
    }
    *mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (*mem == MAP_FAILED) {
        close(fd);
        return -errno;
    }
    return fd;
}

int
itest_count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *de;
    int n = 0;

    if (d == NULL) {
        return -1;
    }
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] != '.') {
            n++;
        }
    }
    closedir(d);
    return n - 1; /* the directory's own fd */
}
