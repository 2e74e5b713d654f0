/* SPDX-License-Identifier: BSD-3-Clause */
/* The vidxd daemon: devices, their servers, the device manager, the
 * control socket and the event loop. */
#ifndef VIDXD_DAEMON_DAEMON_H
#define VIDXD_DAEMON_DAEMON_H

#include <stdbool.h>
#include <stddef.h>

#include "vidxd/dsa.h"

struct daemon_opts {
    const char *socket_path; /* the default device's vfio-user socket */
    struct vidxd_dsa_config dsa; /* the default device */
    bool quiet; /* do not print the QEMU hint */
    const char *state_dir; /* NULL: daemon_default_state_dir() */
    const char *control_path; /* NULL: <state_dir>/control.sock */
    const char *vdev_dir; /* NULL: <state_dir> */
};

/* Serve until SIGTERM/SIGINT; returns a process exit code. */
int daemon_serve(const struct daemon_opts *opts);

/*
 * The default state directory: /var/lib/vidxd for root, else
 * $XDG_RUNTIME_DIR/vidxd, else /tmp/vidxd-<uid>.  Returns 0 or
 * -ENAMETOOLONG.
 */
int daemon_default_state_dir(char *buf, size_t len);

/* The default control socket (<default state dir>/control.sock), the
 * address the CLI uses without --control or VIDXD_CONTROL. */
int daemon_default_control(char *buf, size_t len);

#endif /* VIDXD_DAEMON_DAEMON_H */
