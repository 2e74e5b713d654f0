/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The daemon proper: creates the default device, puts its server into the
 * event loop, prints how to attach QEMU, and tears everything down in
 * order on SIGTERM.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vidxd/log.h"
#include "daemon/daemon.h"
#include "daemon/loop.h"
#include "daemon/pf.h"

static void
pf_ready(void *opaque, unsigned events)
{
    struct pf *pf = opaque;
    int rc = pf_dispatch(pf);

    if (rc < 0) {
        VIDXD_ERR("daemon", "%s: dispatch failed: %s", pf_name(pf),
                  strerror(-rc));
    }
}

int
daemon_serve(const struct daemon_opts *opts)
{
    struct pf_config pcfg;
    struct loop *loop = NULL;
    struct pf *pf = NULL;
    char abs[PATH_MAX];
    int rc;

    rc = loop_create(&loop);
    if (rc < 0) {
        VIDXD_ERR("daemon", "event loop: %s", strerror(-rc));
        return 1;
    }
    memset(&pcfg, 0, sizeof(pcfg));
    pcfg.name = "dsa0";
    pcfg.socket_path = opts->socket_path;
    pcfg.dsa = opts->dsa;
    rc = pf_create(&pcfg, &pf);
    if (rc < 0) {
        loop_destroy(loop);
        return 1;
    }
    rc = loop_add(loop, pf_fd(pf), pf_ready, pf);
    if (rc < 0) {
        VIDXD_ERR("daemon", "event loop: %s", strerror(-rc));
        goto out;
    }
    if (realpath(opts->socket_path, abs) == NULL) {
        snprintf(abs, sizeof(abs), "%s", opts->socket_path);
    }
    VIDXD_INFO("daemon",
               "dsa0: %u WQs, %u engines, %u groups, %s config, %s portals, "
               "serving on %s",
               opts->dsa.num_wqs, opts->dsa.num_engines, opts->dsa.num_groups,
               opts->dsa.configurable ? "configurable" : "read-only",
               opts->dsa.portal_mode == VIDXD_DSA_PORTAL_MAPPED ? "mapped"
                                                                : "trapped",
               abs);
    if (!opts->quiet) {
        /* Guest RAM must be shared and fd-backed so that the VMM can pass
         * it in DMA_MAP (vfio-user.md §2.8). */
        printf("Attach with QEMU (10.1 or later):\n"
               "  -object memory-backend-memfd,id=mem,size=1G,share=on "
               "-machine q35,memory-backend=mem \\\n"
               "  -device '{\"driver\":\"vfio-user-pci\",\"socket\":"
               "{\"path\":\"%s\",\"type\":\"unix\"}}'\n",
               abs);
        fflush(stdout);
    }
    rc = loop_run(loop);
    if (rc < 0) {
        VIDXD_ERR("daemon", "event loop: %s", strerror(-rc));
    }
out:
    loop_del(loop, pf_fd(pf));
    pf_destroy(pf);
    loop_destroy(loop);
    VIDXD_INFO("daemon", "stopped");
    return rc < 0 ? 1 : 0;
}
