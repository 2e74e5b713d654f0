/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Device manager internals shared by manager.c (model, registers, device
 * and WQ verbs), mgr_json.c (attributes, accel-config JSON), mgr_vdev.c
 * (virtual devices) and mgr_state.c (persistence).
 */
#ifndef VIDXD_DAEMON_MGR_INT_H
#define VIDXD_DAEMON_MGR_INT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#include "daemon/manager.h"

#define MGR_NAME_MAX 127 /* WQ name / driver_name */
#define MGR_NO_GROUP (-1)
#define MGR_MAX_PASID 0xfffffu

/* WQ type, a software attribute (sysfs "type", dsa.md §2.3). */
enum mgr_wq_type {
    MGR_WQ_NONE = 0,
    MGR_WQ_KERNEL,
    MGR_WQ_USER,
    MGR_WQ_VDEV, /* for virtual devices: configured, enabled by the vdev */
};

struct mgr_wq {
    int group; /* MGR_NO_GROUP or a group index */
    bool dedicated;
    bool bof;
    unsigned size;
    unsigned priority;
    unsigned threshold; /* shared WQs: the limited-portal threshold */
    uint32_t max_batch_size; /* a power of two */
    uint64_t max_transfer_size; /* a power of two */
    enum mgr_wq_type type;
    char name[MGR_NAME_MAX + 1];
    char driver_name[MGR_NAME_MAX + 1];
    bool enabled; /* enabled by the host (types kernel and user) */
};

struct mgr_group {
    unsigned rdbufs_reserved;
    unsigned rdbufs_allowed;
    bool use_rdbuf_limit;
    unsigned tc_a, tc_b;
};

/* The host's configuration: plain data, copied for all-or-nothing
 * changes (load-config, restore). */
struct mgr_model {
    unsigned rdbuf_limit;
    bool enabled; /* the host enabled the device */
    struct mgr_group groups[VIDXD_DSA_MAX_GROUPS];
    int engine_group[VIDXD_DSA_MAX_ENGINES];
    struct mgr_wq wqs[VIDXD_DSA_MAX_WQS];
};

/* What the host driver reads from the capability registers (dsa.md §1.3,
 * §2.2 step 5). */
struct mgr_caps {
    uint32_t version;
    uint64_t gencap, wqcap, grpcap, engcap, opcap[4];
    unsigned num_wqs, num_engines, num_groups;
    unsigned total_wq_size, total_rdbufs;
    unsigned max_xfer_shift, max_batch_shift;
    bool configurable, shared_mode, bof;
    uint64_t grpcfg_off, wqcfg_off;
    unsigned wqcfg_stride;
};

struct mgr_vdev {
    struct mgr_vdev *next;
    uint8_t uuid[16];
    char uuid_str[37];
    unsigned nr_wqs;
    unsigned wqs[VIDXD_VDEV_MAX_WQS];
    uint32_t pasid;
    char *socket_path;
    void *vdev;
    struct vidxd_server *srv;
    bool in_loop;
};

struct mgr {
    struct pf *pf;
    struct vidxd_dsa *dsa;
    struct loop *loop;
    char *name; /* "dsa0" */
    unsigned dev_id; /* 0 */
    char *state_path;
    char *vdev_dir;
    struct mgr_vdev_ops vops;
    struct mgr_caps caps;
    struct mgr_model model;
    struct mgr_vdev *vdevs;
    unsigned nr_vdevs;
    /* A VM drove the device since the host last programmed it: the next
     * host change resets it first (as idxd does at probe, dsa.md §2.2). */
    bool vm_touched;
    /* Restoring the state file: its intermediate steps are not saved. */
    bool restoring;
};

/* Object kinds of accel-config names ("wq0.3", "dsa0/engine0.1"). */
enum mgr_obj {
    MGR_OBJ_GROUP,
    MGR_OBJ_ENGINE,
    MGR_OBJ_WQ,
};

/* manager.c */
int mgr_fail(struct mgr_err *err, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int mgr_check_dev(struct mgr *m, const char *dev, struct mgr_err *err);
int mgr_parse_obj(struct mgr *m, enum mgr_obj kind, const char *name,
                  unsigned *index, struct mgr_err *err);
void mgr_model_defaults(const struct mgr *m, struct mgr_model *model);
bool mgr_hw_dev_enabled(struct mgr *m);
bool mgr_hw_wq_enabled(struct mgr *m, unsigned wq);
unsigned mgr_hw_wq_state(struct mgr *m, unsigned wq);
int mgr_program(struct mgr *m, struct mgr_err *err);
int mgr_program_wq(struct mgr *m, unsigned wq, struct mgr_err *err);
int mgr_command(struct mgr *m, unsigned cmd, uint32_t operand,
                const char *what, struct mgr_err *err);
int mgr_host_check(struct mgr *m, struct mgr_err *err);
int mgr_vm_check(struct mgr *m, struct mgr_err *err);
int mgr_commit(struct mgr *m, const struct mgr_model *cand,
               struct mgr_err *err);
int mgr_do_enable_device(struct mgr *m, struct mgr_err *err);
int mgr_do_enable_wq(struct mgr *m, unsigned wq, struct mgr_err *err);
int mgr_hw_reset(struct mgr *m, struct mgr_err *err);
void mgr_saved(struct mgr *m, struct mgr_err *err);
struct mgr_vdev *mgr_wq_owner(const struct mgr *m, unsigned wq);
const char *mgr_wq_type_str(enum mgr_wq_type t);

/* mgr_json.c */
int mgr_apply_device_attrs(struct mgr *m, struct mgr_model *model,
                           json_object *attrs, bool strict,
                           struct mgr_err *err);
int mgr_apply_group_attrs(struct mgr *m, struct mgr_model *model,
                          unsigned g, json_object *attrs, bool strict,
                          struct mgr_err *err);
int mgr_apply_engine_attrs(struct mgr *m, struct mgr_model *model,
                           unsigned e, json_object *attrs, bool strict,
                           struct mgr_err *err);
int mgr_apply_wq_attrs(struct mgr *m, struct mgr_model *model, unsigned wq,
                       json_object *attrs, bool strict,
                       struct mgr_err *err);
int mgr_validate_model(struct mgr *m, const struct mgr_model *model,
                       struct mgr_err *err);
/* Flags of mgr_device_json(). */
#define MGR_JSON_LIST 0x1u /* capabilities, live state, vdevs */
#define MGR_JSON_STATE 0x2u /* host enable state (state file, save) */
json_object *mgr_device_json(struct mgr *m, const struct mgr_model *model,
                             unsigned flags);
/* Parse a device array into @model (a copy of the current one); fills
 * @enable_dev / @enable_wqs from "state" keys when @with_state, else from
 * the WQs listed (types kernel and user). */
int mgr_parse_config(struct mgr *m, json_object *config,
                     struct mgr_model *model, bool with_state,
                     bool *enable_dev, uint64_t *enable_wqs,
                     struct mgr_err *err);

/* mgr_vdev.c */
/* The definition of @v as the state file keeps it: uuid, dev, wqs (by
 * accel-config name), pasid, socket. */
json_object *mgr_vdev_def_json(struct mgr *m, const struct mgr_vdev *v);
/* mgr_vdev_def_json() plus the run-time keys qemu and connected. */
json_object *mgr_vdev_json(struct mgr *m, const struct mgr_vdev *v);
int mgr_vdev_add(struct mgr *m, const uint8_t uuid[16], const unsigned *wqs,
                 unsigned nr_wqs, uint32_t pasid, const char *socket_path,
                 struct mgr_vdev **out, struct mgr_err *err);
void mgr_vdev_del(struct mgr *m, struct mgr_vdev *v);
int mgr_vdev_parse_uuid(const char *s, uint8_t uuid[16],
                        struct mgr_err *err);

/* mgr_state.c */
int mgr_state_save(struct mgr *m);

#endif /* VIDXD_DAEMON_MGR_INT_H */
