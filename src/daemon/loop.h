/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The daemon's single event-loop thread (design.md "Threads"): an epoll set
 * of fds, each with a handler that runs when the fd is readable.
 */
#ifndef VIDXD_DAEMON_LOOP_H
#define VIDXD_DAEMON_LOOP_H

#include <stdbool.h>

struct loop;

typedef void loop_handler_fn(void *opaque, unsigned events);

int loop_create(struct loop **out);
void loop_destroy(struct loop *l);
/* Watch @fd for readability (EPOLLIN); returns 0 or -errno. */
int loop_add(struct loop *l, int fd, loop_handler_fn *fn, void *opaque);
int loop_del(struct loop *l, int fd);
/* Run until loop_stop() or a termination signal; returns 0 or -errno. */
int loop_run(struct loop *l);
void loop_stop(struct loop *l);

#endif /* VIDXD_DAEMON_LOOP_H */
