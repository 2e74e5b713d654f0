/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The daemon's single event-loop thread (design.md "Threads"): an epoll set
 * of fds, each with a handler that runs when the fd is readable.
 */
#ifndef VIDXD_DAEMON_LOOP_H
#define VIDXD_DAEMON_LOOP_H

#include <stdbool.h>

struct loop;

/* @events: the epoll events that fired (EPOLLIN, EPOLLOUT, EPOLLHUP...). */
typedef void loop_handler_fn(void *opaque, unsigned events);

int loop_create(struct loop **out);
void loop_destroy(struct loop *l);
/* Watch @fd for readability (EPOLLIN); returns 0 or -errno. */
int loop_add(struct loop *l, int fd, loop_handler_fn *fn, void *opaque);
int loop_del(struct loop *l, int fd);
/* Change what @fd is watched for: readability (@in, EPOLLIN) and
 * writability (@out, EPOLLOUT).  Returns 0 or -errno. */
int loop_set_events(struct loop *l, int fd, bool in, bool out);
/* Wait up to @timeout_ms (-1: forever) and run the handlers of the fds
 * that are ready, once.  Returns the number of events or -errno. */
int loop_poll(struct loop *l, int timeout_ms);
/* Run until loop_stop() or a termination signal; returns 0 or -errno. */
int loop_run(struct loop *l);
void loop_stop(struct loop *l);

#endif /* VIDXD_DAEMON_LOOP_H */
