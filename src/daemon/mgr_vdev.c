/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Device manager, virtual devices (dsa.md §5): the 2020 flow with sockets
 * instead of mdev sysfs.  The operator configures parent WQs of type vdev
 * (dedicated, in a group with engines, left disabled), then creates a vdev
 * by UUID over one or more of them; the manager gives it a PASID of its
 * own, creates it with the vdev layer and serves it on
 * <vdev-dir>/vdev-<uuid>.sock in the daemon's event loop, and the VMM
 * attaches to that socket.  Each vdev has its own server and session, so
 * resetting or disconnecting one never disturbs another.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include <uuid/uuid.h>

#include "vidxd/log.h"
#include "daemon/loop.h"
#include "daemon/mgr_int.h"
#include "daemon/pf.h"

int
mgr_vdev_parse_uuid(const char *s, uint8_t uuid[16], struct mgr_err *err)
{
    /* uuid_parse() also takes some sloppier forms on older libuuid: insist
     * on the canonical 36 characters. */
    if (s == NULL || strlen(s) != 36 || uuid_parse(s, uuid) != 0) {
        return mgr_fail(err, -EINVAL,
                        "malformed UUID '%s' (expected "
                        "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)",
                        s != NULL ? s : "");
    }
    return 0;
}

static struct mgr_vdev *
find_vdev(const struct mgr *m, const uint8_t uuid[16])
{
    struct mgr_vdev *v;

    for (v = m->vdevs; v != NULL; v = v->next) {
        if (memcmp(v->uuid, uuid, 16) == 0) {
            return v;
        }
    }
    return NULL;
}

static bool
pasid_used(const struct mgr *m, uint32_t pasid)
{
    struct mgr_vdev *v;

    for (v = m->vdevs; v != NULL; v = v->next) {
        if (v->pasid == pasid) {
            return true;
        }
    }
    return false;
}

/* The VMM's -device option (design.md, environment facts). */
static char *
qemu_option(const char *socket_path)
{
    json_object *o = json_object_new_object(), *s = json_object_new_object();
    const char *js;
    char *out = NULL;

    json_object_object_add(s, "path", json_object_new_string(socket_path));
    json_object_object_add(s, "type", json_object_new_string("unix"));
    json_object_object_add(o, "driver",
                           json_object_new_string("vfio-user-pci"));
    json_object_object_add(o, "socket", s);
    js = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
                                               JSON_C_TO_STRING_NOSLASHESCAPE);
    if (asprintf(&out, "-device '%s'", js) < 0) {
        out = NULL;
    }
    json_object_put(o);
    return out;
}

json_object *
mgr_vdev_def_json(struct mgr *m, const struct mgr_vdev *v)
{
    json_object *o = json_object_new_object(), *wqs = json_object_new_array();
    unsigned i;

    json_object_object_add(o, "uuid", json_object_new_string(v->uuid_str));
    json_object_object_add(o, "dev", json_object_new_string(m->name));
    for (i = 0; i < v->nr_wqs; i++) {
        char name[32];

        snprintf(name, sizeof(name), "wq%u.%u", m->dev_id, v->wqs[i]);
        json_object_array_add(wqs, json_object_new_string(name));
    }
    json_object_object_add(o, "wqs", wqs);
    json_object_object_add(o, "pasid", json_object_new_int64(v->pasid));
    json_object_object_add(o, "socket", json_object_new_string(v->socket_path));
    return o;
}

json_object *
mgr_vdev_json(struct mgr *m, const struct mgr_vdev *v)
{
    json_object *o = mgr_vdev_def_json(m, v);
    char *q = qemu_option(v->socket_path);

    json_object_object_add(o, "qemu",
                           json_object_new_string(q != NULL ? q : ""));
    json_object_object_add(
        o, "connected",
        json_object_new_boolean(v->srv != NULL &&
                                vidxd_server_connected(v->srv)));
    free(q);
    return o;
}

static void
vdev_ready(void *opaque, unsigned events)
{
    struct mgr_vdev *v = opaque;
    int rc = vidxd_server_dispatch(v->srv);

    if (rc < 0) {
        VIDXD_ERR("mgr", "vdev %s: dispatch failed: %s", v->uuid_str,
                  strerror(-rc));
    }
}

/*
 * Is parent WQ @w ready for a vdev (vidxd/vdev.h: dedicated, in a group
 * with engines, disabled) and free?
 */
static int
check_vdev_wq(struct mgr *m, unsigned w, struct mgr_err *err)
{
    const struct mgr_wq *q = &m->model.wqs[w];
    struct mgr_vdev *owner = mgr_wq_owner(m, w);
    char what[64];
    unsigned e;
    bool engines = false;

    snprintf(what, sizeof(what), "%s/wq%u.%u", m->name, m->dev_id, w);
    if (owner != NULL) {
        return mgr_fail(err, -EBUSY, "%s is already used by vdev %s", what,
                        owner->uuid_str);
    }
    if (q->type != MGR_WQ_VDEV) {
        return mgr_fail(err, -EINVAL,
                        "%s has type %s, not vdev: configure it with "
                        "'vidxd config-wq %s --type vdev'",
                        what, mgr_wq_type_str(q->type), what);
    }
    if (!q->dedicated) {
        return mgr_fail(err, -EINVAL, "%s is shared: a vdev WQ is dedicated",
                        what);
    }
    if (q->size == 0) {
        return mgr_fail(err, -EINVAL, "%s has size 0", what);
    }
    if (q->priority == 0) {
        return mgr_fail(err, -EINVAL, "%s has priority 0 (must be 1..15)",
                        what);
    }
    if (q->group == MGR_NO_GROUP) {
        return mgr_fail(err, -EINVAL, "%s is not in a group", what);
    }
    for (e = 0; e < m->caps.num_engines; e++) {
        engines = engines || m->model.engine_group[e] == q->group;
    }
    if (!engines) {
        return mgr_fail(err, -EINVAL, "%s: its group%u.%d has no engine", what,
                        m->dev_id, q->group);
    }
    if (mgr_hw_wq_enabled(m, w)) {
        return mgr_fail(err, -EBUSY, "%s is enabled: disable it first", what);
    }
    return 0;
}

int
mgr_vdev_add(struct mgr *m, const uint8_t uuid[16], const unsigned *wqs,
             unsigned nr_wqs, uint32_t pasid, const char *socket_path,
             struct mgr_vdev **out, struct mgr_err *err)
{
    struct vidxd_server_config scfg;
    struct vidxd_vdev_config vcfg;
    struct mgr_vdev *v, **tail;
    char name[48];
    unsigned i;
    int rc;

    if (!m->model.enabled || !mgr_hw_dev_enabled(m)) {
        return mgr_fail(err, -ENODEV,
                        "%s is not enabled: run 'vidxd enable-device %s' "
                        "first",
                        m->name, m->name);
    }
    /* The vdev writes its PASID into the parent WQCFGs and backs its
     * vectors with the parent IMS (vidxd/vdev.h). */
    if (!m->caps.configurable) {
        return mgr_fail(err, -EPERM,
                        "%s has a read-only configuration (GENCAP.config_en "
                        "= 0): vdevs need a configurable parent",
                        m->name);
    }
    if ((m->caps.gencap & VIDXD_GENCAP_MAX_IMS_MULT_MASK) == 0) {
        return mgr_fail(err, -EOPNOTSUPP,
                        "%s has no IMS (GENCAP.max_ims_mult = 0): vdevs "
                        "need one",
                        m->name);
    }
    if (nr_wqs == 0 || nr_wqs > VIDXD_VDEV_MAX_WQS) {
        return mgr_fail(err, -EINVAL, "a vdev has 1..%d WQs",
                        VIDXD_VDEV_MAX_WQS);
    }
    for (i = 0; i < nr_wqs; i++) {
        unsigned j;

        for (j = 0; j < i; j++) {
            if (wqs[j] == wqs[i]) {
                return mgr_fail(err, -EINVAL, "wq%u.%u is listed twice",
                                m->dev_id, wqs[i]);
            }
        }
        rc = check_vdev_wq(m, wqs[i], err);
        if (rc < 0) {
            return rc;
        }
    }
    /* Mapped portals: a vdev's BAR2 is one linear window of the parent's
     * portal memory, so its WQs must be consecutive (vidxd/vdev.h). */
    if (pf_portal_mode(m->pf) == VIDXD_DSA_PORTAL_MAPPED) {
        for (i = 1; i < nr_wqs; i++) {
            if (wqs[i] != wqs[0] + i) {
                return mgr_fail(err, -EINVAL,
                                "with mapped portals the WQs of a vdev must "
                                "be consecutive and in order (e.g. "
                                "wq%u.%u,wq%u.%u)",
                                m->dev_id, wqs[0], m->dev_id, wqs[0] + 1);
            }
        }
    }
    if (find_vdev(m, uuid) != NULL) {
        char s[37];

        uuid_unparse_lower(uuid, s);
        return mgr_fail(err, -EEXIST, "a vdev with UUID %s already exists", s);
    }
    if (pasid == 0 || pasid > MGR_MAX_PASID || pasid_used(m, pasid)) {
        return mgr_fail(err, -EINVAL, "PASID %u is invalid or in use", pasid);
    }
    if (strlen(socket_path) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
        return mgr_fail(err, -ENAMETOOLONG,
                        "vdev socket path '%s' is too long for a UNIX socket",
                        socket_path);
    }
    v = calloc(1, sizeof(*v));
    if (v == NULL) {
        return mgr_fail(err, -ENOMEM, "out of memory");
    }
    memcpy(v->uuid, uuid, 16);
    uuid_unparse_lower(uuid, v->uuid_str);
    v->nr_wqs = nr_wqs;
    memcpy(v->wqs, wqs, nr_wqs * sizeof(wqs[0]));
    v->pasid = pasid;
    v->socket_path = strdup(socket_path);
    if (v->socket_path == NULL) {
        free(v);
        return mgr_fail(err, -ENOMEM, "out of memory");
    }
    memset(&vcfg, 0, sizeof(vcfg));
    memcpy(vcfg.uuid, uuid, 16);
    vcfg.nr_wqs = nr_wqs;
    memcpy(vcfg.wqs, wqs, nr_wqs * sizeof(wqs[0]));
    vcfg.pasid = pasid;
    vcfg.portal_mode = pf_portal_mode(m->pf);
    rc = m->vops.create(m->dsa, pf_irq(m->pf), &vcfg, &v->vdev);
    if (rc < 0) {
        mgr_fail(err, rc, "cannot create vdev %s: %s", v->uuid_str,
                 strerror(-rc));
        goto fail;
    }
    snprintf(name, sizeof(name), "vdev-%s", v->uuid_str);
    memset(&scfg, 0, sizeof(scfg));
    scfg.socket_path = v->socket_path;
    scfg.ops = m->vops.fn_ops();
    scfg.opaque = v->vdev;
    scfg.name = name;
    rc = vidxd_server_create(&scfg, &v->srv);
    if (rc < 0) {
        mgr_fail(err, rc, "cannot serve vdev %s on %s: %s", v->uuid_str,
                 v->socket_path,
                 rc == -EADDRINUSE ? "another server is listening there"
                                   : strerror(-rc));
        goto fail;
    }
    if (m->loop != NULL) {
        rc = loop_add(m->loop, vidxd_server_fd(v->srv), vdev_ready, v);
        if (rc < 0) {
            mgr_fail(err, rc, "event loop: %s", strerror(-rc));
            goto fail;
        }
        v->in_loop = true;
    }
    for (tail = &m->vdevs; *tail != NULL; tail = &(*tail)->next) {
    }
    *tail = v;
    m->nr_vdevs++;
    VIDXD_INFO("mgr", "vdev %s created on %s (PASID %u), serving on %s",
               v->uuid_str, m->name, pasid, v->socket_path);
    if (out != NULL) {
        *out = v;
    }
    return 0;
fail:
    vidxd_server_destroy(v->srv);
    if (v->vdev != NULL) {
        m->vops.destroy(v->vdev);
    }
    free(v->socket_path);
    free(v);
    return rc;
}

void
mgr_vdev_del(struct mgr *m, struct mgr_vdev *v)
{
    struct mgr_vdev **pp;
    struct mgr_err err;
    unsigned i;

    for (pp = &m->vdevs; *pp != NULL; pp = &(*pp)->next) {
        if (*pp == v) {
            *pp = v->next;
            m->nr_vdevs--;
            break;
        }
    }
    if (v->in_loop) {
        loop_del(m->loop, vidxd_server_fd(v->srv));
    }
    /* The server first: its session ends (detach) before the vdev, which
     * aborts and disables its parent WQs, goes. */
    vidxd_server_destroy(v->srv);
    m->vops.destroy(v->vdev);
    /* The vdev programmed its PASID into the WQCFGs: give them back the
     * host's configuration. */
    for (i = 0; i < v->nr_wqs; i++) {
        if (!mgr_hw_wq_enabled(m, v->wqs[i]) &&
            mgr_program_wq(m, v->wqs[i], &err) < 0) {
            VIDXD_ERR("mgr", "%s", err.msg);
        }
    }
    VIDXD_INFO("mgr", "vdev %s removed", v->uuid_str);
    free(v->socket_path);
    free(v);
}

int
mgr_create_vdev(struct mgr *m, const char *dev, json_object *wqs,
                const char *uuid_str, json_object **info, struct mgr_err *err)
{
    unsigned idx[VIDXD_VDEV_MAX_WQS], n, i;
    char path[4096], ustr[37];
    struct mgr_vdev *v;
    uint8_t uuid[16];
    uint32_t pasid;
    int rc;

    rc = mgr_check_dev(m, dev, err);
    if (rc == 0) {
        rc = mgr_host_check(m, err);
    }
    if (rc < 0) {
        return rc;
    }
    if (wqs == NULL || !json_object_is_type(wqs, json_type_array) ||
        json_object_array_length(wqs) == 0) {
        return mgr_fail(err, -EINVAL, "create-vdev needs one or more WQs");
    }
    if (json_object_array_length(wqs) > VIDXD_VDEV_MAX_WQS) {
        return mgr_fail(err, -EINVAL, "a vdev has at most %d WQs",
                        VIDXD_VDEV_MAX_WQS);
    }
    n = (unsigned)json_object_array_length(wqs);
    for (i = 0; i < n; i++) {
        json_object *w = json_object_array_get_idx(wqs, i);

        if (!json_object_is_type(w, json_type_string)) {
            return mgr_fail(err, -EINVAL, "WQ names must be strings");
        }
        rc = mgr_parse_obj(m, MGR_OBJ_WQ, json_object_get_string(w), &idx[i],
                           err);
        if (rc < 0) {
            return rc;
        }
    }
    if (uuid_str != NULL) {
        rc = mgr_vdev_parse_uuid(uuid_str, uuid, err);
        if (rc < 0) {
            return rc;
        }
    } else {
        uuid_generate_random(uuid);
    }
    /* The lowest free PASID: unique per parent (vidxd/vdev.h). */
    for (pasid = 1; pasid <= MGR_MAX_PASID && pasid_used(m, pasid); pasid++) {
    }
    uuid_unparse_lower(uuid, ustr);
    if ((size_t)snprintf(path, sizeof(path), "%s/vdev-%s.sock", m->vdev_dir,
                         ustr) >= sizeof(path)) {
        return mgr_fail(err, -ENAMETOOLONG, "vdev directory path too long");
    }
    rc = mgr_vdev_add(m, uuid, idx, n, pasid, path, &v, err);
    if (rc < 0) {
        return rc;
    }
    mgr_saved(m, err);
    if (info != NULL) {
        *info = mgr_vdev_json(m, v);
    }
    return 0;
}

int
mgr_remove_vdev(struct mgr *m, const char *uuid_str, bool force,
                struct mgr_err *err)
{
    struct mgr_vdev *v;
    uint8_t uuid[16];
    int rc = mgr_vdev_parse_uuid(uuid_str, uuid, err);

    if (rc < 0) {
        return rc;
    }
    v = find_vdev(m, uuid);
    if (v == NULL) {
        return mgr_fail(err, -ENOENT, "no vdev with UUID %s", uuid_str);
    }
    if (vidxd_server_connected(v->srv)) {
        if (!force) {
            return mgr_fail(err, -EBUSY,
                            "vdev %s is in use by a VMM (connected to %s): "
                            "use --force to disconnect it",
                            v->uuid_str, v->socket_path);
        }
        VIDXD_WARN("mgr", "vdev %s: disconnecting its VMM (forced removal)",
                   v->uuid_str);
        vidxd_server_disconnect(v->srv);
    }
    mgr_vdev_del(m, v);
    mgr_saved(m, err);
    return 0;
}

json_object *
mgr_list_vdevs(struct mgr *m)
{
    json_object *a = json_object_new_array();
    struct mgr_vdev *v;

    for (v = m->vdevs; v != NULL; v = v->next) {
        json_object_array_add(a, mgr_vdev_json(m, v));
    }
    return a;
}
