/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Device manager, the configuration as a whole: list, stats, save-config,
 * load-config, and the state file.
 *
 * State file (<state-dir>/state.json), rewritten atomically after every
 * successful change (fsutil_write_atomic) and restored at daemon start:
 *   {"version": 1,
 *    "devices": [<save-config device object, with "state" keys>],
 *    "vdevs": [{"uuid", "dev", "wqs": ["wq0.1"], "pasid", "socket"}]}
 * A file that cannot be restored is kept under another name, never lost.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vidxd/log.h"
#include "daemon/control.h"
#include "daemon/fsutil.h"
#include "daemon/mgr_int.h"

#define STATE_VERSION 1
#define STATE_MAX_BYTES (4u << 20)
#define STATE_MAX_DEPTH 16

json_object *
mgr_list(struct mgr *m)
{
    json_object *a = json_object_new_array();

    json_object_array_add(a, mgr_device_json(m, &m->model, MGR_JSON_LIST));
    return a;
}

json_object *
mgr_save_config(struct mgr *m)
{
    json_object *a = json_object_new_array();

    json_object_array_add(a, mgr_device_json(m, &m->model, MGR_JSON_STATE));
    return a;
}

json_object *
mgr_stats(struct mgr *m, const char *dev, struct mgr_err *err)
{
    json_object *a, *d, *wqs;
    unsigned i;

    if (dev != NULL && mgr_check_dev(m, dev, err) < 0) {
        return NULL;
    }
    a = json_object_new_array();
    d = json_object_new_object();
    wqs = json_object_new_array();
    json_object_object_add(d, "dev", json_object_new_string(m->name));
    for (i = 0; i < m->caps.num_wqs; i++) {
        struct vidxd_dsa_wq_stats st;
        json_object *w;
        char name[32];

        if (vidxd_dsa_wq_stats(m->dsa, i, &st) < 0) {
            continue;
        }
        w = json_object_new_object();
        snprintf(name, sizeof(name), "wq%u.%u", m->dev_id, i);
        json_object_object_add(w, "dev", json_object_new_string(name));
        json_object_object_add(w, "submitted",
                               json_object_new_uint64(st.submitted));
        json_object_object_add(w, "ops", json_object_new_uint64(st.ops));
        json_object_object_add(w, "bytes", json_object_new_uint64(st.bytes));
        json_object_object_add(w, "errors", json_object_new_uint64(st.errors));
        json_object_object_add(w, "dropped",
                               json_object_new_uint64(st.dropped));
        json_object_object_add(w, "rejected",
                               json_object_new_uint64(st.rejected));
        json_object_object_add(w, "aborted",
                               json_object_new_uint64(st.aborted));
        json_object_array_add(wqs, w);
    }
    json_object_object_add(d, "wqs", wqs);
    json_object_array_add(a, d);
    return a;
}

int
mgr_load_config(struct mgr *m, json_object *config, bool enable,
                json_object **enabled, struct mgr_err *err)
{
    struct mgr_model cand = m->model;
    json_object *names = NULL;
    uint64_t listed = 0;
    bool dummy;
    unsigned i;
    int rc;

    if (enabled != NULL) {
        *enabled = NULL;
    }
    rc = mgr_vm_check(m, err);
    if (rc == 0) {
        rc = mgr_parse_config(m, config, &cand, false, &dummy, &listed, err);
    }
    if (rc == 0) {
        rc = mgr_host_check(m, err);
    }
    if (rc == 0 && mgr_hw_dev_enabled(m)) {
        rc = mgr_fail(err, -EBUSY,
                      "%s is enabled: disable it before load-config", m->name);
    }
    if (rc == 0) {
        rc = mgr_commit(m, &cand, err);
    }
    if (rc < 0) {
        return rc;
    }
    VIDXD_INFO("mgr", "%s: configuration loaded", m->name);
    if (!enable) {
        return 0;
    }
    /* accel-config load-config -e: the device, then each WQ listed, in
     * order (only types a host consumer binds; vdev WQs are enabled by
     * their guests). */
    names = json_object_new_array();
    rc = mgr_do_enable_device(m, err);
    if (rc == 0) {
        json_object_array_add(names, json_object_new_string(m->name));
    }
    for (i = 0; rc == 0 && i < m->caps.num_wqs; i++) {
        enum mgr_wq_type t = m->model.wqs[i].type;
        char name[32];

        if ((listed & (1ull << i)) == 0 ||
            (t != MGR_WQ_KERNEL && t != MGR_WQ_USER)) {
            continue;
        }
        rc = mgr_do_enable_wq(m, i, err);
        if (rc == 0) {
            snprintf(name, sizeof(name), "wq%u.%u", m->dev_id, i);
            json_object_array_add(names, json_object_new_string(name));
        }
    }
    if (rc < 0) {
        /* The configuration stands; say so with the error. */
        size_t n = strlen(err->msg);

        snprintf(err->msg + n, sizeof(err->msg) - n,
                 " (the configuration was loaded)");
    }
    mgr_saved(m, err);
    if (enabled != NULL && rc == 0) {
        *enabled = names;
    } else {
        json_object_put(names);
    }
    return rc;
}

/* ---- the state file ---- */

int
mgr_state_save(struct mgr *m)
{
    json_object *root = json_object_new_object(), *devs, *vdevs;
    struct mgr_vdev *v;
    const char *s;
    int rc;

    json_object_object_add(root, "version", json_object_new_int(STATE_VERSION));
    devs = json_object_new_array();
    json_object_array_add(devs, mgr_device_json(m, &m->model, MGR_JSON_STATE));
    json_object_object_add(root, "devices", devs);
    vdevs = json_object_new_array();
    for (v = m->vdevs; v != NULL; v = v->next) {
        json_object_array_add(vdevs, mgr_vdev_def_json(m, v));
    }
    json_object_object_add(root, "vdevs", vdevs);
    s = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
                                                 JSON_C_TO_STRING_NOSLASHESCAPE);
    rc = fsutil_write_atomic(m->state_path, s, strlen(s), 0600);
    json_object_put(root);
    return rc;
}

struct saved_vdev {
    uint8_t uuid[16];
    unsigned wqs[VIDXD_VDEV_MAX_WQS];
    unsigned nr_wqs;
    uint32_t pasid;
    const char *socket;
};

static int
parse_vdev(struct mgr *m, json_object *o, struct saved_vdev *sv,
           struct mgr_err *err)
{
    json_object *u, *d, *w, *p, *s;
    size_t i;
    int64_t pasid;
    int rc;

    if (!json_object_is_type(o, json_type_object) ||
        !json_object_object_get_ex(o, "uuid", &u) ||
        !json_object_object_get_ex(o, "dev", &d) ||
        !json_object_object_get_ex(o, "wqs", &w) ||
        !json_object_object_get_ex(o, "pasid", &p) ||
        !json_object_object_get_ex(o, "socket", &s) ||
        !json_object_is_type(u, json_type_string) ||
        !json_object_is_type(d, json_type_string) ||
        !json_object_is_type(w, json_type_array) ||
        !json_object_is_type(p, json_type_int) ||
        !json_object_is_type(s, json_type_string) ||
        json_object_get_string_len(s) == 0) {
        return mgr_fail(err, -EINVAL,
                        "a vdev entry needs uuid, dev, wqs, pasid and socket");
    }
    rc = mgr_vdev_parse_uuid(json_object_get_string(u), sv->uuid, err);
    if (rc == 0) {
        rc = mgr_check_dev(m, json_object_get_string(d), err);
    }
    if (rc < 0) {
        return rc;
    }
    if (json_object_array_length(w) == 0 ||
        json_object_array_length(w) > VIDXD_VDEV_MAX_WQS) {
        return mgr_fail(err, -EINVAL, "vdev %s: 1..%d WQs expected",
                        json_object_get_string(u), VIDXD_VDEV_MAX_WQS);
    }
    sv->nr_wqs = (unsigned)json_object_array_length(w);
    for (i = 0; i < sv->nr_wqs; i++) {
        json_object *n = json_object_array_get_idx(w, i);

        if (!json_object_is_type(n, json_type_string)) {
            return mgr_fail(err, -EINVAL, "vdev WQ names must be strings");
        }
        rc = mgr_parse_obj(m, MGR_OBJ_WQ, json_object_get_string(n),
                           &sv->wqs[i], err);
        if (rc < 0) {
            return rc;
        }
    }
    pasid = json_object_get_int64(p);
    if (pasid < 1 || pasid > MGR_MAX_PASID) {
        return mgr_fail(err, -EINVAL, "vdev %s: PASID out of range",
                        json_object_get_string(u));
    }
    sv->pasid = (uint32_t)pasid;
    sv->socket = json_object_get_string(s);
    return 0;
}

/* Keep an unusable state file as <path>.corrupt-<YYYYmmdd-HHMMSS>[.N]. */
static char *
move_aside(const char *path)
{
    char stamp[32], *dst = NULL;
    time_t now = time(NULL);
    struct tm tm;
    int i;

    localtime_r(&now, &tm);
    strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
    for (i = 0; i < 100; i++) {
        int n = i == 0 ? asprintf(&dst, "%s.corrupt-%s", path, stamp)
                       : asprintf(&dst, "%s.corrupt-%s.%d", path, stamp, i);

        if (n < 0) {
            return NULL;
        }
        if (access(dst, F_OK) != 0 && rename(path, dst) == 0) {
            return dst;
        }
        free(dst);
        dst = NULL;
    }
    return NULL;
}

static int
restore_json(struct mgr *m, json_object *root, struct mgr_err *err)
{
    struct saved_vdev sv[64];
    struct mgr_model cand;
    json_object *ver, *devs, *vdevs;
    uint64_t en_wqs = 0;
    bool en_dev = false;
    size_t nv = 0, i;
    unsigned w;
    int rc;

    if (!json_object_is_type(root, json_type_object) ||
        !json_object_object_get_ex(root, "version", &ver) ||
        !json_object_is_type(ver, json_type_int) ||
        json_object_get_int64(ver) != STATE_VERSION) {
        return mgr_fail(err, -EINVAL, "not a version %d vidxd state file",
                        STATE_VERSION);
    }
    if (!json_object_object_get_ex(root, "devices", &devs) ||
        !json_object_object_get_ex(root, "vdevs", &vdevs) ||
        !json_object_is_type(vdevs, json_type_array)) {
        return mgr_fail(err, -EINVAL, "\"devices\" and \"vdevs\" arrays expected");
    }
    json_object_object_foreach(root, key, val)
    {
        (void)val;
        if (strcmp(key, "version") != 0 && strcmp(key, "devices") != 0 &&
            strcmp(key, "vdevs") != 0) {
            return mgr_fail(err, -EINVAL, "unknown key '%s'", key);
        }
    }
    cand = m->model;
    rc = mgr_parse_config(m, devs, &cand, true, &en_dev, &en_wqs, err);
    if (rc < 0) {
        return rc;
    }
    if (json_object_array_length(vdevs) > sizeof(sv) / sizeof(sv[0])) {
        return mgr_fail(err, -EINVAL, "too many vdevs");
    }
    for (i = 0; i < json_object_array_length(vdevs); i++) {
        rc = parse_vdev(m, json_object_array_get_idx(vdevs, i), &sv[i], err);
        if (rc < 0) {
            return rc;
        }
        nv++;
    }
    if (nv > 0 && !en_dev) {
        return mgr_fail(err, -EINVAL, "vdevs on a disabled device");
    }
    /* Configure, then enable the device and the WQs that were enabled,
     * then recreate the vdevs, in the order the operator did it. */
    cand.enabled = false;
    for (w = 0; w < VIDXD_DSA_MAX_WQS; w++) {
        cand.wqs[w].enabled = false;
    }
    rc = mgr_commit(m, &cand, err);
    if (rc == 0 && en_dev) {
        rc = mgr_do_enable_device(m, err);
    }
    for (w = 0; rc == 0 && w < m->caps.num_wqs; w++) {
        if ((en_wqs & (1ull << w)) != 0) {
            rc = mgr_do_enable_wq(m, w, err);
        }
    }
    for (i = 0; rc == 0 && i < nv; i++) {
        char dir[4096];
        const char *slash = strrchr(sv[i].socket, '/');

        /* The socket's directory may live on a tmpfs that did not survive
         * a reboot: recreate it rather than lose the vdev. */
        if (slash != NULL && slash != sv[i].socket &&
            (size_t)(slash - sv[i].socket) < sizeof(dir)) {
            memcpy(dir, sv[i].socket, (size_t)(slash - sv[i].socket));
            dir[slash - sv[i].socket] = '\0';
            fsutil_mkdir_p(dir, 0700);
        }
        rc = mgr_vdev_add(m, sv[i].uuid, sv[i].wqs, sv[i].nr_wqs, sv[i].pasid,
                          sv[i].socket, NULL, err);
    }
    return rc;
}

int
mgr_restore(struct mgr *m, struct mgr_err *err, char **moved_to)
{
    struct json_tokener *tok = NULL;
    json_object *root = NULL;
    char *buf = NULL, *moved;
    size_t len = 0;
    int rc;

    if (moved_to != NULL) {
        *moved_to = NULL;
    }
    if (m->state_path == NULL) {
        return 0;
    }
    if (m->nr_vdevs > 0) {
        return mgr_fail(err, -EBUSY, "restore runs before any vdev exists");
    }
    rc = fsutil_read_file(m->state_path, STATE_MAX_BYTES, &buf, &len);
    if (rc == -ENOENT) {
        return 0;
    }
    if (rc < 0) {
        mgr_fail(err, rc, "cannot read %s: %s", m->state_path, strerror(-rc));
    } else {
        tok = json_tokener_new_ex(STATE_MAX_DEPTH);
        if (tok != NULL) {
            root = json_tokener_parse_ex(tok, buf, (int)len);
        }
        if (tok == NULL || root == NULL ||
            json_tokener_get_error(tok) != json_tokener_success ||
            tok->char_offset < (int)len) {
            /* Trailing bytes after the object also make it unusable. */
            rc = mgr_fail(err, -EINVAL, "%s: not valid JSON (%s)",
                          m->state_path,
                          tok != NULL ? ctl_json_error(
                                            json_tokener_get_error(tok))
                                      : "out of memory");
        } else {
            struct mgr_err e2;

            memset(&e2, 0, sizeof(e2));
            m->restoring = true;
            rc = restore_json(m, root, &e2);
            m->restoring = false;
            if (rc < 0) {
                /* Whatever the step that failed, the file is unusable. */
                rc = mgr_fail(err, -EINVAL, "%s: %s", m->state_path, e2.msg);
            }
        }
    }
    json_object_put(root);
    if (tok != NULL) {
        json_tokener_free(tok);
    }
    free(buf);
    if (rc == 0) {
        VIDXD_INFO("mgr", "restored %s: %s %s, %u vdev(s)", m->state_path,
                   m->name, m->model.enabled ? "enabled" : "disabled",
                   m->nr_vdevs);
        return 0;
    }
    /* Start clean: no vdevs, the device at power-on, default model. */
    while (m->vdevs != NULL) {
        mgr_vdev_del(m, m->vdevs);
    }
    mgr_hw_reset(m, NULL);
    moved = move_aside(m->state_path);
    if (moved != NULL) {
        size_t n = strlen(err->msg);

        snprintf(err->msg + n, sizeof(err->msg) - n, "; kept as %s", moved);
    }
    VIDXD_ERR("mgr", "state not restored, starting with defaults: %s",
              err->msg);
    if (moved_to != NULL) {
        *moved_to = moved;
    } else {
        free(moved);
    }
    return rc;
}
