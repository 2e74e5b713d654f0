/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Device manager, attributes and accel-config JSON.  One validator for the
 * control socket's config verbs, load-config and the state file: keys are
 * accel-config's attribute names (its contrib/configs profiles, with the
 * older token_* spellings accepted as aliases) and values are checked
 * against the capabilities the device reports (dsa.md §1.3) and idxd's
 * sysfs rules (§2.3).  A key this daemon does not know is an error, so a
 * typo never silently yields a different configuration; keys that
 * accel-config and `vidxd list` print but that cannot be set (max_groups,
 * state...) are ignored in files.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "daemon/mgr_int.h"
#include "daemon/pf.h"

/* ---- value helpers ---- */

static int
get_int(const char *what, const char *key, json_object *v, int64_t min,
        int64_t max, int64_t *out, struct mgr_err *err)
{
    int64_t x;

    if (!json_object_is_type(v, json_type_int)) {
        return mgr_fail(err, -EINVAL, "%s: %s must be an integer", what, key);
    }
    x = json_object_get_int64(v);
    /* json-c clamps values beyond int64; anything that large is out of
     * every range here. */
    if (x < min || x > max) {
        return mgr_fail(err, -ERANGE,
                        "%s: %s %" PRId64 " out of range (%" PRId64
                        "..%" PRId64 ")",
                        what, key, x, min, max);
    }
    *out = x;
    return 0;
}

static int
get_bool(const char *what, const char *key, json_object *v, bool *out,
         struct mgr_err *err)
{
    int64_t x;
    int rc;

    if (json_object_is_type(v, json_type_boolean)) {
        *out = json_object_get_boolean(v);
        return 0;
    }
    rc = get_int(what, key, v, 0, 1, &x, err);
    if (rc == 0) {
        *out = x != 0;
    }
    return rc;
}

/* Names are shown by list and given to guests' tools: printable ASCII
 * without spaces, at most MGR_NAME_MAX bytes (empty clears). */
static int
get_name(const char *what, const char *key, json_object *v, char *dst,
         struct mgr_err *err)
{
    const char *s;
    size_t i, n;

    if (!json_object_is_type(v, json_type_string)) {
        return mgr_fail(err, -EINVAL, "%s: %s must be a string", what, key);
    }
    s = json_object_get_string(v);
    n = (size_t)json_object_get_string_len(v);
    if (n > MGR_NAME_MAX) {
        return mgr_fail(err, -EINVAL, "%s: %s longer than %d characters",
                        what, key, MGR_NAME_MAX);
    }
    for (i = 0; i < n; i++) {
        if (s[i] <= 0x20 || s[i] >= 0x7f) {
            return mgr_fail(err, -EINVAL,
                            "%s: %s may only hold printable characters "
                            "without spaces",
                            what, key);
        }
    }
    memcpy(dst, s, n);
    dst[n] = '\0';
    return 0;
}

static bool
in_list(const char *key, const char *const *list)
{
    for (; *list != NULL; list++) {
        if (strcmp(key, *list) == 0) {
            return true;
        }
    }
    return false;
}

static int
unknown_key(const char *what, const char *key, struct mgr_err *err)
{
    return mgr_fail(err, -EINVAL, "%s: unknown attribute '%s'", what, key);
}

static int
need_object(const char *what, json_object *attrs, struct mgr_err *err)
{
    if (attrs != NULL && !json_object_is_type(attrs, json_type_object)) {
        return mgr_fail(err, -EINVAL, "%s: attributes must be a JSON object",
                        what);
    }
    return 0;
}

static uint64_t
roundup_pow2(uint64_t v)
{
    uint64_t p = 1;

    while (p < v) {
        p <<= 1;
    }
    return p;
}

/* Keys printed by list / save-config / accel-config that cannot be set. */
static const char *const dev_ro_keys[] = {
    "dev", "state", "groups", "ungrouped_workqueues", "ungrouped_engines",
    "vdevs", "max_groups", "max_work_queues", "max_engines",
    "work_queue_size", "max_read_buffers", "max_tokens", "max_batch_size",
    "max_transfer_size", "configurable", "version", "gen_cap", "op_cap",
    "numa_node", "ims_size", "pasid_enabled", "cdev_major", "clients",
    "socket", "vm_attached", "shared_mode", NULL,
};
static const char *const group_ro_keys[] = {
    "dev", "grouped_workqueues", "grouped_engines", NULL,
};
static const char *const wq_ro_keys[] = {
    "dev", "state", "clients", "cdev", "occupancy", "vdev", NULL,
};
static const char *const engine_ro_keys[] = {"dev", NULL};

/* ---- attribute setters ---- */

int
mgr_apply_device_attrs(struct mgr *m, struct mgr_model *model,
                       json_object *attrs, bool strict, struct mgr_err *err)
{
    int rc = need_object(m->name, attrs, err);

    if (rc < 0 || attrs == NULL) {
        return rc;
    }
    json_object_object_foreach(attrs, key, val)
    {
        int64_t x;

        if (strcmp(key, "read_buffer_limit") == 0 ||
            strcmp(key, "token_limit") == 0) {
            rc = get_int(m->name, key, val, 0, m->caps.total_rdbufs, &x, err);
            if (rc < 0) {
                return rc;
            }
            model->rdbuf_limit = (unsigned)x;
        } else if (strict || !in_list(key, dev_ro_keys)) {
            return unknown_key(m->name, key, err);
        }
    }
    return 0;
}

int
mgr_apply_group_attrs(struct mgr *m, struct mgr_model *model, unsigned g,
                      json_object *attrs, bool strict, struct mgr_err *err)
{
    struct mgr_group *gr = &model->groups[g];
    char what[64];
    int rc;

    snprintf(what, sizeof(what), "%s/group%u.%u", m->name, m->dev_id, g);
    rc = need_object(what, attrs, err);
    if (rc < 0 || attrs == NULL) {
        return rc;
    }
    json_object_object_foreach(attrs, key, val)
    {
        int64_t x = 0;
        bool b;

        if (strcmp(key, "read_buffers_reserved") == 0 ||
            strcmp(key, "tokens_reserved") == 0) {
            rc = get_int(what, key, val, 0, m->caps.total_rdbufs, &x, err);
            gr->rdbufs_reserved = (unsigned)x;
        } else if (strcmp(key, "read_buffers_allowed") == 0 ||
                   strcmp(key, "tokens_allowed") == 0) {
            rc = get_int(what, key, val, 0, m->caps.total_rdbufs, &x, err);
            gr->rdbufs_allowed = (unsigned)x;
        } else if (strcmp(key, "use_read_buffer_limit") == 0 ||
                   strcmp(key, "use_token_limit") == 0) {
            rc = get_bool(what, key, val, &b, err);
            gr->use_rdbuf_limit = b;
        } else if (strcmp(key, "traffic_class_a") == 0) {
            /* GRPFLGCFG tc_a / tc_b are 3-bit fields (dsa.md §1.5). */
            rc = get_int(what, key, val, 0, 7, &x, err);
            gr->tc_a = (unsigned)x;
        } else if (strcmp(key, "traffic_class_b") == 0) {
            rc = get_int(what, key, val, 0, 7, &x, err);
            gr->tc_b = (unsigned)x;
        } else if (strict || !in_list(key, group_ro_keys)) {
            rc = unknown_key(what, key, err);
        }
        if (rc < 0) {
            return rc;
        }
    }
    return 0;
}

int
mgr_apply_engine_attrs(struct mgr *m, struct mgr_model *model, unsigned e,
                       json_object *attrs, bool strict, struct mgr_err *err)
{
    char what[64];
    int rc;

    snprintf(what, sizeof(what), "%s/engine%u.%u", m->name, m->dev_id, e);
    rc = need_object(what, attrs, err);
    if (rc < 0 || attrs == NULL) {
        return rc;
    }
    json_object_object_foreach(attrs, key, val)
    {
        int64_t x;

        if (strcmp(key, "group_id") == 0) {
            rc = get_int(what, key, val, -1, (int64_t)m->caps.num_groups - 1,
                         &x, err);
            if (rc < 0) {
                return rc;
            }
            model->engine_group[e] = (int)x;
        } else if (strict || !in_list(key, engine_ro_keys)) {
            return unknown_key(what, key, err);
        }
    }
    return 0;
}

int
mgr_apply_wq_attrs(struct mgr *m, struct mgr_model *model, unsigned wq,
                   json_object *attrs, bool strict, struct mgr_err *err)
{
    const struct mgr_caps *c = &m->caps;
    struct mgr_wq *w = &model->wqs[wq];
    bool thresh_given = false;
    char what[64];
    int rc;

    snprintf(what, sizeof(what), "%s/wq%u.%u", m->name, m->dev_id, wq);
    rc = need_object(what, attrs, err);
    if (rc < 0 || attrs == NULL) {
        return rc;
    }
    json_object_object_foreach(attrs, key, val)
    {
        int64_t x = 0;

        if (strcmp(key, "group_id") == 0) {
            rc = get_int(what, key, val, -1, (int64_t)c->num_groups - 1, &x,
                         err);
            w->group = (int)x;
        } else if (strcmp(key, "mode") == 0) {
            const char *s = json_object_get_string(val);

            if (!json_object_is_type(val, json_type_string) ||
                (strcmp(s, "dedicated") != 0 && strcmp(s, "shared") != 0)) {
                rc = mgr_fail(err, -EINVAL,
                              "%s: mode must be dedicated or shared", what);
            } else {
                w->dedicated = strcmp(s, "dedicated") == 0;
            }
        } else if (strcmp(key, "size") == 0) {
            rc = get_int(what, key, val, 0, c->total_wq_size, &x, err);
            w->size = (unsigned)x;
        } else if (strcmp(key, "priority") == 0) {
            /* WQCFG.priority is 4 bits; 0 is refused by ENABLE_WQ (0x23),
             * as idxd's sysfs accepts it and the device refuses it. */
            rc = get_int(what, key, val, 0, 15, &x, err);
            w->priority = (unsigned)x;
        } else if (strcmp(key, "threshold") == 0) {
            rc = get_int(what, key, val, 0, c->total_wq_size, &x, err);
            w->threshold = (unsigned)x;
            thresh_given = x != 0;
        } else if (strcmp(key, "block_on_fault") == 0) {
            rc = get_bool(what, key, val, &w->bof, err);
        } else if (strcmp(key, "max_batch_size") == 0) {
            /* idxd rounds up to a power of two (WQCFG holds the shift) and
             * refuses more than the device's maximum (dsa.md §1.3). */
            rc = get_int(what, key, val, 1, 1ll << c->max_batch_shift, &x,
                         err);
            w->max_batch_size = (uint32_t)roundup_pow2((uint64_t)x);
        } else if (strcmp(key, "max_transfer_size") == 0) {
            rc = get_int(what, key, val, 1, 1ll << c->max_xfer_shift, &x, err);
            w->max_transfer_size = roundup_pow2((uint64_t)x);
        } else if (strcmp(key, "type") == 0) {
            const char *s = json_object_get_string(val);

            if (!json_object_is_type(val, json_type_string)) {
                s = "";
            }
            if (strcmp(s, "none") == 0) {
                w->type = MGR_WQ_NONE;
            } else if (strcmp(s, "kernel") == 0) {
                w->type = MGR_WQ_KERNEL;
            } else if (strcmp(s, "user") == 0) {
                w->type = MGR_WQ_USER;
            } else if (strcmp(s, "vdev") == 0 || strcmp(s, "mdev") == 0) {
                /* "mdev" is the 2020 name of the type (dsa.md §5). */
                w->type = MGR_WQ_VDEV;
            } else {
                rc = mgr_fail(err, -EINVAL,
                              "%s: type must be none, kernel, user or vdev",
                              what);
            }
        } else if (strcmp(key, "name") == 0) {
            rc = get_name(what, key, val, w->name, err);
        } else if (strcmp(key, "driver_name") == 0) {
            rc = get_name(what, key, val, w->driver_name, err);
        } else if (strict || !in_list(key, wq_ro_keys)) {
            rc = unknown_key(what, key, err);
        }
        if (rc < 0) {
            return rc;
        }
    }
    /* The threshold is a shared-WQ attribute (dsa.md §2.3 store rules): a
     * dedicated WQ keeps 0 unless one is asked for explicitly. */
    if (w->dedicated) {
        if (thresh_given) {
            return mgr_fail(err, -EINVAL,
                            "%s: threshold applies to shared WQs only", what);
        }
        w->threshold = 0;
    }
    return 0;
}

int
mgr_validate_model(struct mgr *m, const struct mgr_model *model,
                   struct mgr_err *err)
{
    const struct mgr_caps *c = &m->caps;
    unsigned i;

    for (i = 0; i < c->num_groups; i++) {
        if (model->groups[i].use_rdbuf_limit && model->rdbuf_limit == 0) {
            return mgr_fail(err, -EINVAL,
                            "%s/group%u.%u: use_read_buffer_limit needs a "
                            "non-zero read_buffer_limit on %s",
                            m->name, m->dev_id, i, m->name);
        }
    }
    for (i = 0; i < c->num_wqs; i++) {
        const struct mgr_wq *w = &model->wqs[i];

        if (!w->dedicated && !c->shared_mode) {
            return mgr_fail(err, -EOPNOTSUPP,
                            "%s/wq%u.%u: %s does not support shared WQs "
                            "(WQCAP.shared_mode = 0)",
                            m->name, m->dev_id, i, m->name);
        }
        if (!w->dedicated && w->threshold > w->size) {
            return mgr_fail(err, -EINVAL,
                            "%s/wq%u.%u: threshold %u exceeds size %u",
                            m->name, m->dev_id, i, w->threshold, w->size);
        }
        if (w->bof && !c->bof) {
            return mgr_fail(err, -EOPNOTSUPP,
                            "%s/wq%u.%u: %s does not support block on fault",
                            m->name, m->dev_id, i, m->name);
        }
        if (w->type == MGR_WQ_VDEV && !w->dedicated) {
            return mgr_fail(err, -EINVAL,
                            "%s/wq%u.%u: a WQ of type vdev must be dedicated",
                            m->name, m->dev_id, i);
        }
    }
    return 0;
}

/* ---- output ---- */

static json_object *
hex_u64(uint64_t v)
{
    char buf[24];

    snprintf(buf, sizeof(buf), "0x%" PRIx64, v);
    return json_object_new_string(buf);
}

static const char *
wq_state_str(unsigned s)
{
    switch (s) {
    case VIDXD_WQ_STATE_ENABLED:
        return "enabled";
    case VIDXD_WQ_STATE_BUSY:
        return "busy";
    case VIDXD_WQ_STATE_DISABLED:
        return "disabled";
    default:
        return "unknown";
    }
}

static const char *
dev_state_str(uint64_t gensts)
{
    switch (gensts & VIDXD_GENSTS_STATE_MASK) {
    case VIDXD_GENSTS_ENABLED:
        return "enabled";
    case VIDXD_GENSTS_DRAIN:
        return "draining";
    case VIDXD_GENSTS_HALT:
        return "halted";
    default:
        return "disabled";
    }
}

static json_object *
wq_json(struct mgr *m, const struct mgr_model *model, unsigned i,
        unsigned flags)
{
    const struct mgr_wq *w = &model->wqs[i];
    json_object *o = json_object_new_object();
    char name[32];

    snprintf(name, sizeof(name), "wq%u.%u", m->dev_id, i);
    json_object_object_add(o, "dev", json_object_new_string(name));
    json_object_object_add(
        o, "mode", json_object_new_string(w->dedicated ? "dedicated" : "shared"));
    json_object_object_add(o, "size", json_object_new_int((int)w->size));
    json_object_object_add(o, "group_id", json_object_new_int(w->group));
    json_object_object_add(o, "priority",
                           json_object_new_int((int)w->priority));
    json_object_object_add(o, "block_on_fault",
                           json_object_new_int(w->bof ? 1 : 0));
    json_object_object_add(o, "max_batch_size",
                           json_object_new_int64(w->max_batch_size));
    json_object_object_add(o, "max_transfer_size",
                           json_object_new_int64((int64_t)w->max_transfer_size));
    json_object_object_add(o, "type",
                           json_object_new_string(mgr_wq_type_str(w->type)));
    json_object_object_add(o, "name", json_object_new_string(w->name));
    json_object_object_add(o, "driver_name",
                           json_object_new_string(w->driver_name));
    json_object_object_add(o, "threshold",
                           json_object_new_int((int)w->threshold));
    if ((flags & MGR_JSON_LIST) != 0) {
        struct mgr_vdev *v = mgr_wq_owner(m, i);

        json_object_object_add(
            o, "state",
            json_object_new_string(wq_state_str(mgr_hw_wq_state(m, i))));
        json_object_object_add(
            o, "vdev", v != NULL ? json_object_new_string(v->uuid_str) : NULL);
    } else if ((flags & MGR_JSON_STATE) != 0) {
        json_object_object_add(
            o, "state",
            json_object_new_string(w->enabled ? "enabled" : "disabled"));
    }
    return o;
}

static json_object *
engine_json(struct mgr *m, const struct mgr_model *model, unsigned i)
{
    json_object *o = json_object_new_object();
    char name[32];

    snprintf(name, sizeof(name), "engine%u.%u", m->dev_id, i);
    json_object_object_add(o, "dev", json_object_new_string(name));
    json_object_object_add(o, "group_id",
                           json_object_new_int(model->engine_group[i]));
    return o;
}

json_object *
mgr_device_json(struct mgr *m, const struct mgr_model *model, unsigned flags)
{
    const struct mgr_caps *c = &m->caps;
    json_object *o = json_object_new_object(), *groups, *uwq, *ueng;
    unsigned g, i;

    json_object_object_add(o, "dev", json_object_new_string(m->name));
    if ((flags & MGR_JSON_LIST) != 0) {
        uint64_t gensts = 0;
        char opcap[80];
        struct mgr_vdev *v;
        json_object *vdevs;

        vidxd_dsa_bar0_read(m->dsa, VIDXD_REG_GENSTS, 4, &gensts);
        json_object_object_add(o, "max_groups",
                               json_object_new_int((int)c->num_groups));
        json_object_object_add(o, "max_work_queues",
                               json_object_new_int((int)c->num_wqs));
        json_object_object_add(o, "max_engines",
                               json_object_new_int((int)c->num_engines));
        json_object_object_add(o, "work_queue_size",
                               json_object_new_int((int)c->total_wq_size));
        json_object_object_add(o, "max_read_buffers",
                               json_object_new_int((int)c->total_rdbufs));
        json_object_object_add(o, "max_batch_size",
                               json_object_new_int64(1ll << c->max_batch_shift));
        json_object_object_add(o, "max_transfer_size",
                               json_object_new_int64(1ll << c->max_xfer_shift));
        json_object_object_add(o, "configurable",
                               json_object_new_int(c->configurable ? 1 : 0));
        json_object_object_add(o, "shared_mode",
                               json_object_new_int(c->shared_mode ? 1 : 0));
        json_object_object_add(o, "version", hex_u64(c->version));
        json_object_object_add(o, "gen_cap", hex_u64(c->gencap));
        snprintf(opcap, sizeof(opcap), "0x%016" PRIx64 "%016" PRIx64
                                       "%016" PRIx64 "%016" PRIx64,
                 c->opcap[3], c->opcap[2], c->opcap[1], c->opcap[0]);
        json_object_object_add(o, "op_cap", json_object_new_string(opcap));
        json_object_object_add(o, "state",
                               json_object_new_string(dev_state_str(gensts)));
        json_object_object_add(o, "socket",
                               json_object_new_string(pf_socket(m->pf)));
        json_object_object_add(
            o, "vm_attached", json_object_new_boolean(pf_vm_attached(m->pf)));
        vdevs = json_object_new_array();
        for (v = m->vdevs; v != NULL; v = v->next) {
            json_object_array_add(vdevs, mgr_vdev_json(m, v));
        }
        json_object_object_add(o, "read_buffer_limit",
                               json_object_new_int((int)model->rdbuf_limit));
        json_object_object_add(o, "vdevs", vdevs);
    } else {
        if ((flags & MGR_JSON_STATE) != 0) {
            json_object_object_add(
                o, "state",
                json_object_new_string(model->enabled ? "enabled"
                                                      : "disabled"));
        }
        json_object_object_add(o, "read_buffer_limit",
                               json_object_new_int((int)model->rdbuf_limit));
    }
    groups = json_object_new_array();
    for (g = 0; g < c->num_groups; g++) {
        const struct mgr_group *gr = &model->groups[g];
        json_object *go = json_object_new_object(), *gw, *ge;
        char name[32];

        snprintf(name, sizeof(name), "group%u.%u", m->dev_id, g);
        json_object_object_add(go, "dev", json_object_new_string(name));
        json_object_object_add(go, "read_buffers_reserved",
                               json_object_new_int((int)gr->rdbufs_reserved));
        json_object_object_add(go, "use_read_buffer_limit",
                               json_object_new_int(gr->use_rdbuf_limit ? 1
                                                                       : 0));
        json_object_object_add(go, "read_buffers_allowed",
                               json_object_new_int((int)gr->rdbufs_allowed));
        json_object_object_add(go, "traffic_class_a",
                               json_object_new_int((int)gr->tc_a));
        json_object_object_add(go, "traffic_class_b",
                               json_object_new_int((int)gr->tc_b));
        gw = json_object_new_array();
        for (i = 0; i < c->num_wqs; i++) {
            if (model->wqs[i].group == (int)g) {
                json_object_array_add(gw, wq_json(m, model, i, flags));
            }
        }
        ge = json_object_new_array();
        for (i = 0; i < c->num_engines; i++) {
            if (model->engine_group[i] == (int)g) {
                json_object_array_add(ge, engine_json(m, model, i));
            }
        }
        json_object_object_add(go, "grouped_workqueues", gw);
        json_object_object_add(go, "grouped_engines", ge);
        json_object_array_add(groups, go);
    }
    json_object_object_add(o, "groups", groups);
    uwq = json_object_new_array();
    for (i = 0; i < c->num_wqs; i++) {
        if (model->wqs[i].group == MGR_NO_GROUP) {
            json_object_array_add(uwq, wq_json(m, model, i, flags));
        }
    }
    ueng = json_object_new_array();
    for (i = 0; i < c->num_engines; i++) {
        if (model->engine_group[i] == MGR_NO_GROUP) {
            json_object_array_add(ueng, engine_json(m, model, i));
        }
    }
    json_object_object_add(o, "ungrouped_workqueues", uwq);
    json_object_object_add(o, "ungrouped_engines", ueng);
    return o;
}

/* ---- input: accel-config device arrays ---- */

static const char *
get_dev(json_object *o)
{
    json_object *d;

    if (!json_object_is_type(o, json_type_object) ||
        !json_object_object_get_ex(o, "dev", &d) ||
        !json_object_is_type(d, json_type_string)) {
        return NULL;
    }
    return json_object_get_string(d);
}

static int
get_state(const char *what, json_object *o, bool *enabled,
          struct mgr_err *err)
{
    json_object *s;
    const char *v;

    *enabled = false;
    if (!json_object_object_get_ex(o, "state", &s)) {
        return 0;
    }
    v = json_object_get_string(s);
    if (!json_object_is_type(s, json_type_string) ||
        (strcmp(v, "enabled") != 0 && strcmp(v, "disabled") != 0)) {
        return mgr_fail(err, -EINVAL,
                        "%s: state must be \"enabled\" or \"disabled\"", what);
    }
    *enabled = strcmp(v, "enabled") == 0;
    return 0;
}

/* One WQ entry; @group is the enclosing group or MGR_NO_GROUP. */
static int
parse_wq(struct mgr *m, json_object *o, int group, struct mgr_model *model,
         uint64_t *seen, bool with_state, uint64_t *enable_wqs,
         struct mgr_err *err)
{
    const char *name = get_dev(o);
    json_object *gid;
    unsigned w;
    bool on;
    int rc;

    if (name == NULL) {
        return mgr_fail(err, -EINVAL,
                        "%s: a work queue entry needs a \"dev\" name",
                        m->name);
    }
    rc = mgr_parse_obj(m, MGR_OBJ_WQ, name, &w, err);
    if (rc < 0) {
        return rc;
    }
    if ((*seen & (1ull << w)) != 0) {
        return mgr_fail(err, -EINVAL, "%s/%s is listed twice", m->name, name);
    }
    *seen |= 1ull << w;
    rc = mgr_apply_wq_attrs(m, model, w, o, false, err);
    if (rc < 0) {
        return rc;
    }
    /* Membership comes from where the WQ is listed; a group_id that
     * disagrees is a contradiction, not a choice. */
    if (json_object_object_get_ex(o, "group_id", &gid) &&
        model->wqs[w].group != group) {
        return mgr_fail(err, -EINVAL,
                        "%s/%s: group_id %d but listed under %s%d", m->name,
                        name, model->wqs[w].group,
                        group < 0 ? "no group" : "group ", group < 0 ? 0 : group);
    }
    model->wqs[w].group = group;
    if (with_state) {
        rc = get_state(name, o, &on, err);
        if (rc < 0) {
            return rc;
        }
        model->wqs[w].enabled = on;
        if (on) {
            *enable_wqs |= 1ull << w;
        }
    } else {
        *enable_wqs |= 1ull << w; /* load-config -e enables what it lists */
    }
    return 0;
}

static int
parse_engine(struct mgr *m, json_object *o, int group,
             struct mgr_model *model, uint64_t *seen, struct mgr_err *err)
{
    const char *name = get_dev(o);
    json_object *gid;
    unsigned e;
    int rc;

    if (name == NULL) {
        return mgr_fail(err, -EINVAL,
                        "%s: an engine entry needs a \"dev\" name", m->name);
    }
    rc = mgr_parse_obj(m, MGR_OBJ_ENGINE, name, &e, err);
    if (rc < 0) {
        return rc;
    }
    if ((*seen & (1ull << e)) != 0) {
        return mgr_fail(err, -EINVAL, "%s/%s is listed twice", m->name, name);
    }
    *seen |= 1ull << e;
    rc = mgr_apply_engine_attrs(m, model, e, o, false, err);
    if (rc < 0) {
        return rc;
    }
    if (json_object_object_get_ex(o, "group_id", &gid) &&
        model->engine_group[e] != group) {
        return mgr_fail(err, -EINVAL,
                        "%s/%s: group_id %d but listed under %s%d", m->name,
                        name, model->engine_group[e],
                        group < 0 ? "no group" : "group ", group < 0 ? 0 : group);
    }
    model->engine_group[e] = group;
    return 0;
}

static int
get_array(const char *what, json_object *o, const char *key,
          json_object **out, struct mgr_err *err)
{
    *out = NULL;
    if (!json_object_object_get_ex(o, key, out)) {
        return 0;
    }
    if (!json_object_is_type(*out, json_type_array)) {
        return mgr_fail(err, -EINVAL, "%s: %s must be an array", what, key);
    }
    return 0;
}

static int
parse_device(struct mgr *m, json_object *d, struct mgr_model *model,
             bool with_state, bool *enable_dev, uint64_t *enable_wqs,
             struct mgr_err *err)
{
    uint64_t wq_seen = 0, eng_seen = 0, grp_seen = 0;
    json_object *arr;
    size_t i, j;
    int rc;

    rc = mgr_apply_device_attrs(m, model, d, false, err);
    if (rc == 0 && with_state) {
        rc = get_state(m->name, d, enable_dev, err);
        model->enabled = *enable_dev;
    }
    if (rc == 0) {
        rc = get_array(m->name, d, "groups", &arr, err);
    }
    for (i = 0; rc == 0 && arr != NULL && i < json_object_array_length(arr);
         i++) {
        json_object *go = json_object_array_get_idx(arr, i), *ga;
        const char *gname = get_dev(go);
        unsigned g;

        if (gname == NULL) {
            return mgr_fail(err, -EINVAL,
                            "%s: a group entry needs a \"dev\" name", m->name);
        }
        rc = mgr_parse_obj(m, MGR_OBJ_GROUP, gname, &g, err);
        if (rc < 0) {
            return rc;
        }
        if ((grp_seen & (1ull << g)) != 0) {
            return mgr_fail(err, -EINVAL, "%s/%s is listed twice", m->name,
                            gname);
        }
        grp_seen |= 1ull << g;
        rc = mgr_apply_group_attrs(m, model, g, go, false, err);
        if (rc == 0) {
            rc = get_array(gname, go, "grouped_workqueues", &ga, err);
        }
        for (j = 0; rc == 0 && ga != NULL && j < json_object_array_length(ga);
             j++) {
            rc = parse_wq(m, json_object_array_get_idx(ga, j), (int)g, model,
                          &wq_seen, with_state, enable_wqs, err);
        }
        if (rc == 0) {
            rc = get_array(gname, go, "grouped_engines", &ga, err);
        }
        for (j = 0; rc == 0 && ga != NULL && j < json_object_array_length(ga);
             j++) {
            rc = parse_engine(m, json_object_array_get_idx(ga, j), (int)g,
                              model, &eng_seen, err);
        }
    }
    if (rc == 0) {
        rc = get_array(m->name, d, "ungrouped_workqueues", &arr, err);
    }
    for (i = 0; rc == 0 && arr != NULL && i < json_object_array_length(arr);
         i++) {
        rc = parse_wq(m, json_object_array_get_idx(arr, i), MGR_NO_GROUP,
                      model, &wq_seen, with_state, enable_wqs, err);
    }
    if (rc == 0) {
        rc = get_array(m->name, d, "ungrouped_engines", &arr, err);
    }
    for (i = 0; rc == 0 && arr != NULL && i < json_object_array_length(arr);
         i++) {
        rc = parse_engine(m, json_object_array_get_idx(arr, i), MGR_NO_GROUP,
                          model, &eng_seen, err);
    }
    return rc;
}

int
mgr_parse_config(struct mgr *m, json_object *config, struct mgr_model *model,
                 bool with_state, bool *enable_dev, uint64_t *enable_wqs,
                 struct mgr_err *err)
{
    bool seen = false;
    size_t i;
    int rc;

    *enable_dev = false;
    *enable_wqs = 0;
    if (config == NULL || !json_object_is_type(config, json_type_array)) {
        return mgr_fail(err, -EINVAL,
                        "a configuration is a JSON array of devices "
                        "(accel-config format)");
    }
    for (i = 0; i < json_object_array_length(config); i++) {
        json_object *d = json_object_array_get_idx(config, i);
        const char *name = get_dev(d);

        if (name == NULL) {
            return mgr_fail(err, -EINVAL,
                            "device entry %zu needs a \"dev\" name", i);
        }
        if (strcmp(name, m->name) != 0) {
            return mgr_fail(err, -ENODEV,
                            "unknown device '%s' (this daemon manages %s)",
                            name, m->name);
        }
        if (seen) {
            return mgr_fail(err, -EINVAL, "%s is listed twice", name);
        }
        seen = true;
        rc = parse_device(m, d, model, with_state, enable_dev, enable_wqs,
                          err);
        if (rc < 0) {
            return rc;
        }
    }
    return mgr_validate_model(m, model, err);
}
