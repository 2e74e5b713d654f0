/* SPDX-License-Identifier: BSD-3-Clause */
/* The vidxd daemon: devices, their servers and the event loop. */
#ifndef VIDXD_DAEMON_DAEMON_H
#define VIDXD_DAEMON_DAEMON_H

#include <stdbool.h>

#include "vidxd/dsa.h"

struct daemon_opts {
    const char *socket_path; /* the default device's vfio-user socket */
    struct vidxd_dsa_config dsa; /* the default device */
    bool quiet; /* do not print the QEMU hint */
};

/* Serve until SIGTERM/SIGINT; returns a process exit code. */
int daemon_serve(const struct daemon_opts *opts);

#endif /* VIDXD_DAEMON_DAEMON_H */
