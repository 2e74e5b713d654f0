/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The device manager: the host driver of the parent device dsa0 (the pf of
 * pf.h) for management (design.md "Management path").  It keeps the host's
 * configuration of groups, engines and WQs as a software model (what Linux
 * keeps in struct idxd_device), writes it to the parent's GENCFG, GRPCFG
 * and WQCFG registers and issues its commands (dsa.md §2.2-§2.3), holds the
 * WQ attributes that are not registers (type, name, driver_name), creates
 * and removes Scalable-IOV virtual devices by UUID (dsa.md §5), each served
 * on its own vfio-user socket, and persists all of it atomically.
 *
 * Attributes travel as JSON objects whose keys are accel-config's
 * attribute names ("size", "group_id", "read_buffers_reserved"...), so
 * the control socket, load-config and the state file share one validator.
 *
 * Every verb returns 0 or a negative errno and, on error, fills
 * mgr_err.msg with a one-line explanation for the operator (CMDSTS errors
 * come with their meaning).  A verb that fails changes nothing.  After a
 * successful change the state file is rewritten; if that fails the change
 * stands and mgr_err.warning says so.
 *
 * Thread model: the loop thread only.
 */
#ifndef VIDXD_DAEMON_MANAGER_H
#define VIDXD_DAEMON_MANAGER_H

#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>

#include "vidxd/dsa.h"
#include "vidxd/irq.h"
#include "vidxd/server.h"
#include "vidxd/vdev.h"

struct mgr;
struct pf;
struct loop;

struct mgr_err {
    char msg[512];
    char warning[256];
};

/*
 * How the manager makes virtual devices.  NULL in mgr_config selects the
 * vdev layer (vidxd/vdev.h); tests substitute fakes.
 */
struct mgr_vdev_ops {
    int (*create)(struct vidxd_dsa *parent, struct vidxd_irq_dev *parent_irq,
                  const struct vidxd_vdev_config *cfg, void **out);
    void (*destroy)(void *vdev);
    const struct vidxd_pci_fn_ops *(*fn_ops)(void);
};

struct mgr_config {
    struct pf *pf; /* the parent device (borrowed) */
    struct loop *loop; /* where vdev servers are polled; NULL: not polled */
    const char *state_path; /* NULL: nothing is persisted */
    const char *vdev_dir; /* vdev sockets: <vdev_dir>/vdev-<uuid>.sock */
    const struct mgr_vdev_ops *vdev_ops; /* NULL: the vdev layer */
};

/* Returns 0, -EINVAL (no pf or vdev_dir), -ENOMEM. */
int mgr_create(const struct mgr_config *cfg, struct mgr **out);
/* Remove every vdev (VMMs are disconnected), then free.  The device keeps
 * its configuration.  Accepts NULL. */
void mgr_destroy(struct mgr *m);

/*
 * Restore the state file at daemon start: configure the device, re-enable
 * it and the WQs that were enabled, recreate the vdevs with their UUIDs,
 * PASIDs and socket paths.  No file: nothing to do (0).  A file that
 * cannot be read, parsed or applied is reported in @err, renamed to
 * <state>.corrupt-<YYYYmmdd-HHMMSS> (never lost), the device returns to
 * defaults and -EINVAL (or the read error) is returned; the manager
 * stays usable.  The new name is in *@moved_to if not NULL (malloc'd).
 */
int mgr_restore(struct mgr *m, struct mgr_err *err, char **moved_to);

/* PF hooks (pf_set_host_hooks): refuse a VMM while the host uses dsa0. */
int mgr_pf_attach(void *opaque);
void mgr_pf_detach(void *opaque);

/* ---- verbs (the control protocol's commands, docs/cli.md) ---- */

/* @dev: "dsa0"; @attrs: {"read_buffer_limit": N}. */
int mgr_config_device(struct mgr *m, const char *dev, json_object *attrs,
                      struct mgr_err *err);
/* @group: "dsa0/group0.N" or "group0.N"; keys read_buffers_reserved,
 * read_buffers_allowed, use_read_buffer_limit, traffic_class_a/b. */
int mgr_config_group(struct mgr *m, const char *group, json_object *attrs,
                     struct mgr_err *err);
/* @engine: "dsa0/engine0.N"; key group_id (-1 = none). */
int mgr_config_engine(struct mgr *m, const char *engine, json_object *attrs,
                      struct mgr_err *err);
/* @wq: "dsa0/wq0.N"; keys group_id, mode, size, priority, threshold,
 * block_on_fault, max_batch_size, max_transfer_size, type, name,
 * driver_name. */
int mgr_config_wq(struct mgr *m, const char *wq, json_object *attrs,
                  struct mgr_err *err);
int mgr_enable_device(struct mgr *m, const char *dev, struct mgr_err *err);
int mgr_disable_device(struct mgr *m, const char *dev, struct mgr_err *err);
int mgr_enable_wq(struct mgr *m, const char *wq, struct mgr_err *err);
int mgr_disable_wq(struct mgr *m, const char *wq, struct mgr_err *err);

/*
 * Create a vdev on @dev over the WQs named in @wqs (a JSON array of
 * "wq0.N" strings), with @uuid (NULL: generated).  *@info receives
 * {"uuid", "dev", "wqs", "pasid", "socket", "qemu", "connected"}.
 */
int mgr_create_vdev(struct mgr *m, const char *dev, json_object *wqs,
                    const char *uuid, json_object **info,
                    struct mgr_err *err);
/* -EBUSY while a VMM is connected unless @force (which disconnects it). */
int mgr_remove_vdev(struct mgr *m, const char *uuid, bool force,
                    struct mgr_err *err);

/* accel-config list: an array of devices (with their vdevs). */
json_object *mgr_list(struct mgr *m);
/* An array of vdev objects (as create's info). */
json_object *mgr_list_vdevs(struct mgr *m);
/* [{"dev":"dsa0","wqs":[{"dev":"wq0.0","submitted":...}]}]; @dev may be
 * NULL (all devices).  Returns NULL with @err on an unknown device. */
json_object *mgr_stats(struct mgr *m, const char *dev, struct mgr_err *err);
/* accel-config save-config: the configuration as a device array. */
json_object *mgr_save_config(struct mgr *m);
/*
 * accel-config load-config: @config is a device array.  Validated whole
 * before anything changes; the device must be disabled.  With @enable,
 * the device and then each listed WQ of type kernel or user is enabled;
 * *@enabled (may be NULL) receives the names enabled.
 */
int mgr_load_config(struct mgr *m, json_object *config, bool enable,
                    json_object **enabled, struct mgr_err *err);

/* Name of a CMDSTS error code (dsa.md §1.4) for command @cmd. */
const char *mgr_cmdsts_str(unsigned cmd, unsigned code);

/* The name of the managed device ("dsa0"). */
const char *mgr_dev_name(const struct mgr *m);
unsigned mgr_nr_vdevs(const struct mgr *m);

#endif /* VIDXD_DAEMON_MANAGER_H */
