/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Shared fixture of the daemon unit tests: a real PF (device model, irq,
 * config space, vfio-user server on a socket in a temporary directory) and
 * a device manager over it, with fake vdevs so that the manager is tested
 * apart from the vdev layer.
 */
#ifndef VIDXD_TESTS_DAEMON_TEST_H
#define VIDXD_TESTS_DAEMON_TEST_H

#include <stdbool.h>
#include <stdint.h>

#include "daemon/manager.h"
#include "daemon/pf.h"

struct fx {
    char dir[64];
    char sock[128];
    char state[128];
    struct vidxd_dsa_config cfg;
    struct pf *pf;
    struct mgr *m;
    struct mgr_err err;
};

/* Fake vdevs: how many exist and the last configuration created. */
extern int fake_vdevs_live;
extern struct vidxd_vdev_config fake_last_cfg;
extern const struct mgr_vdev_ops fake_vdev_ops;

/* mkdtemp a directory; default SPR device, trapped portals, no workers. */
void fx_init(struct fx *f);
/* Create the PF and the manager (state file in the directory). */
int fx_start(struct fx *f);
/* Destroy the manager and the PF (the state file stays). */
void fx_stop(struct fx *f);
/* fx_stop, then remove the directory and everything in it. */
void fx_fini(struct fx *f);

uint64_t fx_rd(struct fx *f, uint64_t off, unsigned size);
/* WQCFG dword @d of WQ @wq and GRPCFG qword @q of group @g (SPR layout). */
uint32_t fx_wqcfg(struct fx *f, unsigned wq, unsigned d);
uint64_t fx_grpcfg(struct fx *f, unsigned g, unsigned q);

/* Apply @json (an object) with a config verb. */
int fx_config(struct fx *f, const char *verb, const char *name,
              const char *json);

#endif /* VIDXD_TESTS_DAEMON_TEST_H */
