/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Integration-test environment: two fake PCI functions, each served by
 * its own vfio-user server on its own UNIX socket in a private directory
 * under $TMPDIR, both driven by one event-loop thread (as the daemon will
 * drive several devices).
 */
#ifndef VIDXD_TESTS_ITEST_H
#define VIDXD_TESTS_ITEST_H

#include <stdint.h>

#include "client.h"
#include "fake_dev.h"
#include "harness.h"

#define ITEST_NDEV 2

struct itest {
    char dir[128];
    char path[ITEST_NDEV][160];
    struct fake_dev *dev[ITEST_NDEV];
    struct vidxd_server *srv[ITEST_NDEV];
    struct harness *h;
};

/* Build the environment; @max_dma_maps applies to device 0 (0: default). */
int itest_start(struct itest *it, uint32_t max_dma_maps);
void itest_stop(struct itest *it);

/* Wait until server @i has no session (polled on the loop thread). */
void itest_wait_idle(struct itest *it, int i);

/*
 * Connect to device @i once its previous session is gone (the server
 * refuses a second client), then negotiate if @negotiate.  NULL on error.
 */
struct client *itest_connect(struct itest *it, int i, bool negotiate);

/* A memfd of @size bytes mapped into *@mem. */
int itest_memfd(uint64_t size, uint8_t **mem);

/* Number of open fds of this process. */
int itest_count_fds(void);

#endif /* VIDXD_TESTS_ITEST_H */
