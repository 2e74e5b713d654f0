/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Test harness: runs any number of vfio-user servers in one event-loop
 * thread (epoll over each server's fd, as the daemon does) so that a test
 * thread can act as the VMM with the synchronous client.
 */
#ifndef VIDXD_TESTS_HARNESS_H
#define VIDXD_TESTS_HARNESS_H

#include <stddef.h>

#include "vidxd/server.h"

#define HARNESS_MAX_SERVERS 8

struct harness;

/* Start the loop thread over @n servers (they stay the caller's). */
int harness_start(struct vidxd_server *const *srvs, size_t n,
                  struct harness **out);
/* Stop and join the loop thread; accepts NULL. */
void harness_stop(struct harness *h);
/* Run @fn(@arg) on the loop thread and wait for it (e.g. read stats). */
void harness_run_on_loop(struct harness *h, void (*fn)(void *), void *arg);

#endif /* VIDXD_TESTS_HARNESS_H */
