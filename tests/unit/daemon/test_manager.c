/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the device manager (src/daemon/manager.c and friends):
 * configuration through the manager API lands in the parent's registers
 * as dsa.md §1.5 lays them out, every CMDSTS error comes back with its
 * meaning (§1.4), host/VM exclusion, vdev bookkeeping, and persistence
 * (round trip, corrupt and inapplicable state files).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "daemon/fsutil.h"
#include "daemon_test.h"

#define GENSTS 0x90

static int
setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));

    fx_init(f);
    *state = f;
    return fx_start(f) == 0 ? 0 : -1;
}

static int
teardown(void **state)
{
    struct fx *f = *state;

    fx_fini(f);
    free(f);
    return 0;
}

static void
expect_err(struct fx *f, int got, int want, const char *msg)
{
    assert_int_equal(got, want);
    assert_string_equal(f->err.msg, msg);
}

/* engine0.0 and wq0.0 (size 16, priority 10, kernel "dma0chan0") in
 * group 0. */
static void
basic_config(struct fx *f)
{
    assert_int_equal(fx_config(f, "engine", "dsa0/engine0.0",
                               "{\"group_id\":0}"),
                     0);
    assert_int_equal(fx_config(f, "wq", "dsa0/wq0.0",
                               "{\"group_id\":0,\"size\":16,\"priority\":10,"
                               "\"type\":\"kernel\",\"name\":\"dma0chan0\","
                               "\"driver_name\":\"dmaengine\"}"),
                     0);
}

static int
enable_dev(struct fx *f)
{
    memset(&f->err, 0, sizeof(f->err));
    return mgr_enable_device(f->m, "dsa0", &f->err);
}

static int
enable_wq(struct fx *f, const char *wq)
{
    memset(&f->err, 0, sizeof(f->err));
    return mgr_enable_wq(f->m, wq, &f->err);
}

static char *
save_config_str(struct fx *f)
{
    json_object *c = mgr_save_config(f->m);
    char *s = strdup(json_object_to_json_string(c));

    json_object_put(c);
    return s;
}

/* ---- CMDSTS meanings ---- */

static void
test_cmdsts_strings(void **state)
{
    (void)state;
    assert_string_equal(mgr_cmdsts_str(1, 0x01), "invalid command");
    assert_string_equal(mgr_cmdsts_str(7, 0x02), "invalid WQ index");
    assert_string_equal(mgr_cmdsts_str(1, 0x03),
                        "hardware error (device halted: reset it)");
    assert_string_equal(mgr_cmdsts_str(1, 0x10), "device already enabled");
    /* 0x11 depends on the command (dsa.md §1.4). */
    assert_string_equal(mgr_cmdsts_str(1, 0x11),
                        "read_buffer_limit exceeds the device's read buffers");
    assert_string_equal(mgr_cmdsts_str(6, 0x11), "WQ is not in a group");
    assert_string_equal(mgr_cmdsts_str(1, 0x12), "bus mastering is disabled");
    assert_string_equal(mgr_cmdsts_str(1, 0x13), "invalid PASID");
    assert_string_equal(mgr_cmdsts_str(1, 0x14),
                        "sum of WQ sizes exceeds total_wq_size");
    assert_string_equal(mgr_cmdsts_str(1, 0x15),
                        "a WQ is in more than one group");
    assert_string_equal(mgr_cmdsts_str(1, 0x16),
                        "an engine is in more than one group");
    assert_string_equal(mgr_cmdsts_str(1, 0x17),
                        "a group has WQs but no engine");
    assert_string_equal(mgr_cmdsts_str(1, 0x18),
                        "read buffers reserved by the groups exceed the "
                        "device's read buffers");
    assert_string_equal(mgr_cmdsts_str(6, 0x20), "device not enabled");
    assert_string_equal(mgr_cmdsts_str(6, 0x21), "WQ already enabled");
    assert_string_equal(mgr_cmdsts_str(6, 0x22),
                        "invalid WQ size (0, more than the WQ space left, or "
                        "threshold above size)");
    assert_string_equal(mgr_cmdsts_str(6, 0x23),
                        "WQ priority is 0 (must be 1..15)");
    assert_string_equal(mgr_cmdsts_str(6, 0x24),
                        "WQ mode not supported by the device");
    assert_string_equal(mgr_cmdsts_str(6, 0x25),
                        "block on fault not supported by the device");
    assert_string_equal(mgr_cmdsts_str(6, 0x26),
                        "PASID enable not supported, or a shared WQ without "
                        "PASID");
    assert_string_equal(mgr_cmdsts_str(6, 0x27),
                        "WQ max batch size above the device's maximum");
    assert_string_equal(mgr_cmdsts_str(6, 0x28),
                        "WQ max transfer size above the device's maximum");
    assert_string_equal(mgr_cmdsts_str(2, 0x31), "device not enabled");
    assert_string_equal(mgr_cmdsts_str(7, 0x32), "device not enabled");
    assert_string_equal(mgr_cmdsts_str(7, 0x33), "WQ not enabled");
    assert_string_equal(mgr_cmdsts_str(13, 0x41), "invalid interrupt index");
    assert_string_equal(mgr_cmdsts_str(13, 0x42),
                        "no interrupt handle available");
    assert_string_equal(mgr_cmdsts_str(14, 0x43), "invalid interrupt handle");
    assert_string_equal(mgr_cmdsts_str(1, 0x7f), "unknown error");
}

/* ---- configuration reaches the registers ---- */

static void
test_configure_and_enable(void **state)
{
    struct fx *f = *state;

    basic_config(f);
    /* idxd rounds max_batch_size / max_transfer_size up to powers of two
     * (WQCFG holds shifts). */
    assert_int_equal(fx_config(f, "wq", "wq0.0",
                               "{\"max_batch_size\":20,"
                               "\"max_transfer_size\":65536}"),
                     0);
    /* Disabled device: the manager wrote GRPCFG and WQCFG already. */
    assert_int_equal(fx_grpcfg(f, 0, 0), 0x1);
    assert_int_equal(fx_grpcfg(f, 0, 4), 0x1);
    /* tc_a 1, tc_b 1 << 3, read buffers allowed 96 << 20 (dsa.md §1.5). */
    assert_int_equal(fx_grpcfg(f, 0, 5), 0x6000009);
    assert_int_equal(fx_grpcfg(f, 1, 0), 0);
    assert_int_equal(fx_wqcfg(f, 0, 0), 16);
    assert_int_equal(fx_wqcfg(f, 0, 1), 0);
    /* dedicated (bit 0), priority 10 in [7:4]. */
    assert_int_equal(fx_wqcfg(f, 0, 2), 0xa1);
    /* max_xfer_shift 16, max_batch_shift 5 << 5. */
    assert_int_equal(fx_wqcfg(f, 0, 3), 16 | (5 << 5));
    assert_int_equal(fx_rd(f, GENSTS, 4) & 3, 0);

    assert_int_equal(enable_dev(f), 0);
    assert_int_equal(fx_rd(f, GENSTS, 4) & 3, 1);
    /* GENCTRL softerr_int_en | halt_int_en, as idxd sets them. */
    assert_int_equal(fx_rd(f, 0x88, 4) & 3, 3);
    assert_int_equal(enable_wq(f, "dsa0/wq0.0"), 0);
    assert_int_equal(fx_wqcfg(f, 0, 6) >> 30, 1);

    memset(&f->err, 0, sizeof(f->err));
    assert_int_equal(mgr_disable_wq(f->m, "wq0.0", &f->err), 0);
    assert_int_equal(fx_wqcfg(f, 0, 6) >> 30, 0);
    assert_int_equal(mgr_disable_device(f->m, "dsa0", &f->err), 0);
    assert_int_equal(fx_rd(f, GENSTS, 4) & 3, 0);
    /* DISABLE_DEVICE keeps the configuration (dsa.md §1.4). */
    assert_int_equal(fx_wqcfg(f, 0, 0), 16);
}

static void
test_group_and_device_attrs(void **state)
{
    struct fx *f = *state;

    assert_int_equal(fx_config(f, "device", "dsa0",
                               "{\"read_buffer_limit\":40}"),
                     0);
    assert_int_equal(fx_config(f, "group", "dsa0/group0.2",
                               "{\"read_buffers_reserved\":8,"
                               "\"read_buffers_allowed\":32,"
                               "\"use_read_buffer_limit\":1,"
                               "\"traffic_class_a\":2,\"traffic_class_b\":5}"),
                     0);
    assert_int_equal(fx_rd(f, 0x80, 4) & 0xff, 40);
    /* tc_a 2 | tc_b 5 << 3 | use_rdbuf_limit << 7 | 8 << 8 | 32 << 20. */
    assert_int_equal(fx_grpcfg(f, 2, 5),
                     2 | (5 << 3) | (1 << 7) | (8 << 8) | (32u << 20));
    /* use_read_buffer_limit needs a device limit. */
    assert_int_equal(fx_config(f, "device", "dsa0", "{\"read_buffer_limit\":0}"),
                     -EINVAL);
    assert_string_equal(f->err.msg,
                        "dsa0/group0.2: use_read_buffer_limit needs a "
                        "non-zero read_buffer_limit on dsa0");
}

/* ---- CMDSTS errors through the manager ---- */

static void
test_cmdsts_errors(void **state)
{
    struct fx *f = *state;

    basic_config(f);
    /* 0x20: ENABLE_WQ on a disabled device. */
    expect_err(f, enable_wq(f, "dsa0/wq0.0"), -ENODEV,
               "dsa0/wq0.0: ENABLE_WQ failed: CMDSTS 0x20 (device not "
               "enabled)");
    /* 0x31 / 0x32: disabling what is not enabled. */
    memset(&f->err, 0, sizeof(f->err));
    expect_err(f, mgr_disable_device(f->m, "dsa0", &f->err), -ENODEV,
               "dsa0: DISABLE_DEVICE failed: CMDSTS 0x31 (device not "
               "enabled)");
    memset(&f->err, 0, sizeof(f->err));
    expect_err(f, mgr_disable_wq(f->m, "wq0.0", &f->err), -ENODEV,
               "dsa0/wq0.0: DISABLE_WQ failed: CMDSTS 0x32 (device not "
               "enabled)");

    /* 0x14: sizes 100 + 100 > total_wq_size 128. */
    assert_int_equal(fx_config(f, "wq", "wq0.0", "{\"size\":100}"), 0);
    assert_int_equal(fx_config(f, "wq", "wq0.1",
                               "{\"group_id\":0,\"size\":100,\"priority\":1}"),
                     0);
    expect_err(f, enable_dev(f), -EINVAL,
               "dsa0: ENABLE_DEVICE failed: CMDSTS 0x14 (sum of WQ sizes "
               "exceeds total_wq_size)");
    assert_int_equal(fx_rd(f, GENSTS, 4) & 3, 0);
    assert_int_equal(fx_config(f, "wq", "wq0.1", "{\"size\":0}"), 0);

    /* 0x17: a group with a WQ and no engine. */
    assert_int_equal(fx_config(f, "wq", "wq0.2",
                               "{\"group_id\":1,\"size\":4,\"priority\":1}"),
                     0);
    expect_err(f, enable_dev(f), -EINVAL,
               "dsa0: ENABLE_DEVICE failed: CMDSTS 0x17 (a group has WQs but "
               "no engine)");
    assert_int_equal(fx_config(f, "wq", "wq0.2", "{\"group_id\":-1}"), 0);

    /* 0x18: read buffers reserved 60 + 60 > 96. */
    assert_int_equal(fx_config(f, "group", "group0.0",
                               "{\"read_buffers_reserved\":60}"),
                     0);
    assert_int_equal(fx_config(f, "group", "group0.1",
                               "{\"read_buffers_reserved\":60}"),
                     0);
    expect_err(f, enable_dev(f), -EINVAL,
               "dsa0: ENABLE_DEVICE failed: CMDSTS 0x18 (read buffers "
               "reserved by the groups exceed the device's read buffers)");
    assert_int_equal(fx_config(f, "group", "group0.1",
                               "{\"read_buffers_reserved\":0}"),
                     0);

    /* Now it enables; 0x10 the second time. */
    assert_int_equal(enable_dev(f), 0);
    expect_err(f, enable_dev(f), -EALREADY,
               "dsa0: ENABLE_DEVICE failed: CMDSTS 0x10 (device already "
               "enabled)");
    /* 0x33: DISABLE_WQ of a WQ that is not enabled. */
    memset(&f->err, 0, sizeof(f->err));
    expect_err(f, mgr_disable_wq(f->m, "wq0.0", &f->err), -ENODEV,
               "dsa0/wq0.0: DISABLE_WQ failed: CMDSTS 0x33 (WQ not enabled)");
    /* 0x11 for ENABLE_WQ: the WQ is in no group. */
    assert_int_equal(fx_config(f, "wq", "wq0.2",
                               "{\"type\":\"user\",\"name\":\"u\"}"),
                     0);
    expect_err(f, enable_wq(f, "wq0.2"), -EINVAL,
               "dsa0/wq0.2: ENABLE_WQ failed: CMDSTS 0x11 (WQ is not in a "
               "group)");
    /* 0x23: priority 0. */
    assert_int_equal(fx_config(f, "wq", "wq0.0", "{\"priority\":0}"), 0);
    expect_err(f, enable_wq(f, "wq0.0"), -EINVAL,
               "dsa0/wq0.0: ENABLE_WQ failed: CMDSTS 0x23 (WQ priority is 0 "
               "(must be 1..15))");
    /* 0x22: size 0. */
    assert_int_equal(fx_config(f, "wq", "wq0.0",
                               "{\"priority\":3,\"size\":0}"),
                     0);
    expect_err(f, enable_wq(f, "wq0.0"), -EINVAL,
               "dsa0/wq0.0: ENABLE_WQ failed: CMDSTS 0x22 (invalid WQ size "
               "(0, more than the WQ space left, or threshold above size))");
    /* 0x21: already enabled. */
    assert_int_equal(fx_config(f, "wq", "wq0.0", "{\"size\":8}"), 0);
    assert_int_equal(enable_wq(f, "wq0.0"), 0);
    expect_err(f, enable_wq(f, "wq0.0"), -EALREADY,
               "dsa0/wq0.0: ENABLE_WQ failed: CMDSTS 0x21 (WQ already "
               "enabled)");
}

/* ---- validation in the manager ---- */

static void
test_validation(void **state)
{
    struct fx *f = *state;

    expect_err(f, fx_config(f, "wq", "dsa0/wq0.8", "{\"size\":1}"), -ENOENT,
               "unknown work queue 'dsa0/wq0.8' (dsa0 has wq0.0..wq0.7)");
    expect_err(f, fx_config(f, "wq", "dsa1/wq0.0", "{\"size\":1}"), -ENODEV,
               "unknown device in 'dsa1/wq0.0' (this daemon manages dsa0)");
    expect_err(f, fx_config(f, "wq", "wq0.01", "{\"size\":1}"), -EINVAL,
               "malformed wq name 'wq0.01' (expected dsa0/wq0.N)");
    expect_err(f, fx_config(f, "wq", "wq1.0", "{\"size\":1}"), -ENOENT,
               "unknown work queue 'wq1.0' (dsa0 has wq0.0..wq0.7)");
    expect_err(f, fx_config(f, "engine", "engine0.4", "{\"group_id\":0}"),
               -ENOENT, "unknown engine 'engine0.4' (dsa0 has "
                        "engine0.0..engine0.3)");
    expect_err(f, fx_config(f, "group", "group0.x", "{\"tc_a\":1}"), -EINVAL,
               "malformed group name 'group0.x' (expected dsa0/group0.N)");
    expect_err(f, fx_config(f, "device", "dsa7", "{\"read_buffer_limit\":1}"),
               -ENODEV, "unknown device 'dsa7' (this daemon manages dsa0)");
    expect_err(f, fx_config(f, "wq", "wq0.0", "{\"size\":129}"), -ERANGE,
               "dsa0/wq0.0: size 129 out of range (0..128)");
    expect_err(f, fx_config(f, "wq", "wq0.0", "{\"size\":\"16\"}"), -EINVAL,
               "dsa0/wq0.0: size must be an integer");
    expect_err(f, fx_config(f, "wq", "wq0.0", "{\"priority\":16}"), -ERANGE,
               "dsa0/wq0.0: priority 16 out of range (0..15)");
    expect_err(f, fx_config(f, "wq", "wq0.0", "{\"group_id\":4}"), -ERANGE,
               "dsa0/wq0.0: group_id 4 out of range (-1..3)");
    expect_err(f, fx_config(f, "wq", "wq0.0", "{\"max_batch_size\":2048}"),
               -ERANGE,
               "dsa0/wq0.0: max_batch_size 2048 out of range (1..1024)");
    expect_err(f, fx_config(f, "wq", "wq0.0", "{\"sizee\":1}"), -EINVAL,
               "dsa0/wq0.0: unknown attribute 'sizee'");
    expect_err(f, fx_config(f, "wq", "wq0.0", "{\"state\":\"enabled\"}"),
               -EINVAL, "dsa0/wq0.0: unknown attribute 'state'");
    expect_err(f, fx_config(f, "wq", "wq0.0", "{\"type\":\"mediated\"}"),
               -EINVAL, "dsa0/wq0.0: type must be none, kernel, user or vdev");
    expect_err(f, fx_config(f, "wq", "wq0.0", "{\"mode\":\"shared\"}"),
               -EOPNOTSUPP,
               "dsa0/wq0.0: dsa0 does not support shared WQs "
               "(WQCAP.shared_mode = 0)");
    expect_err(f, fx_config(f, "wq", "wq0.0", "{\"threshold\":4}"), -EINVAL,
               "dsa0/wq0.0: threshold applies to shared WQs only");
    expect_err(f, fx_config(f, "wq", "wq0.0", "{\"name\":\"a b\"}"), -EINVAL,
               "dsa0/wq0.0: name may only hold printable characters without "
               "spaces");
    expect_err(f, fx_config(f, "engine", "engine0.0", "[1]"), -EINVAL,
               "dsa0/engine0.0: attributes must be a JSON object");
    /* Nothing of the refused requests stuck. */
    assert_int_equal(fx_wqcfg(f, 0, 0), 0);

    /* Changes refused while enabled. */
    basic_config(f);
    assert_int_equal(enable_dev(f), 0);
    expect_err(f, fx_config(f, "engine", "engine0.1", "{\"group_id\":0}"),
               -EBUSY,
               "dsa0 is enabled: disable it before changing the device, "
               "groups or engines");
    expect_err(f, fx_config(f, "wq", "wq0.1", "{\"group_id\":0}"), -EBUSY,
               "dsa0 is enabled: disable it before moving wq0.1 to another "
               "group");
    /* A disabled WQ of an enabled device may change (WQCFG is writable). */
    assert_int_equal(fx_config(f, "wq", "wq0.0", "{\"size\":32}"), 0);
    assert_int_equal(fx_wqcfg(f, 0, 0), 32);
    assert_int_equal(enable_wq(f, "wq0.0"), 0);
    expect_err(f, fx_config(f, "wq", "wq0.0", "{\"name\":\"x\"}"), -EBUSY,
               "dsa0/wq0.0 is enabled: disable it first");
    /* Host enable rules for WQ types. */
    assert_int_equal(fx_config(f, "wq", "wq0.3", "{\"group_id\":-1}"), 0);
    expect_err(f, enable_wq(f, "wq0.3"), -EINVAL,
               "dsa0/wq0.3 has type none: set --type kernel or user first");
    assert_int_equal(fx_config(f, "wq", "wq0.3", "{\"type\":\"vdev\"}"), 0);
    expect_err(f, enable_wq(f, "wq0.3"), -EPERM,
               "dsa0/wq0.3 has type vdev: it is enabled by the guest of the "
               "vdev that uses it");
    assert_int_equal(fx_config(f, "wq", "wq0.3", "{\"type\":\"user\"}"), 0);
    expect_err(f, enable_wq(f, "wq0.3"), -EINVAL,
               "dsa0/wq0.3 has no name: set --name first");
}

/* ---- read-only configuration ---- */

static void
test_read_only_device(void **state)
{
    struct fx *f = *state;
    json_object *l, *d, *g, *w, *v;

    fx_stop(f);
    f->cfg.configurable = false;
    assert_int_equal(fx_start(f), 0);
    expect_err(f, fx_config(f, "wq", "wq0.0", "{\"size\":8}"), -EPERM,
               "dsa0 has a read-only configuration (GENCAP.config_en = 0): "
               "only a WQ's type, name and driver_name can be set");
    expect_err(f, fx_config(f, "engine", "engine0.0", "{\"group_id\":1}"),
               -EPERM,
               "dsa0 has a read-only configuration (GENCAP.config_en = 0): "
               "only a WQ's type, name and driver_name can be set");
    /* type and name are software attributes (dsa.md §2.5). */
    assert_int_equal(fx_config(f, "wq", "wq0.0",
                               "{\"type\":\"kernel\",\"name\":\"ro\"}"),
                     0);
    /* The model was loaded from the presets: WQ i in group i % 4, size
     * 16, priority 1 (vidxd_dsa_config_default). */
    l = mgr_list(f->m);
    d = json_object_array_get_idx(l, 0);
    assert_true(json_object_object_get_ex(d, "groups", &g));
    g = json_object_array_get_idx(g, 1);
    assert_true(json_object_object_get_ex(g, "grouped_workqueues", &w));
    assert_int_equal(json_object_array_length(w), 2);
    w = json_object_array_get_idx(w, 0);
    json_object_object_get_ex(w, "dev", &v);
    assert_string_equal(json_object_get_string(v), "wq0.1");
    json_object_object_get_ex(w, "size", &v);
    assert_int_equal(json_object_get_int(v), 16);
    json_object_object_get_ex(w, "priority", &v);
    assert_int_equal(json_object_get_int(v), 1);
    json_object_put(l);
    assert_int_equal(enable_dev(f), 0);
    assert_int_equal(enable_wq(f, "wq0.0"), 0);
    /* vdevs write their PASID into the parent WQCFG: not here. */
    assert_int_equal(fx_config(f, "wq", "wq0.1", "{\"type\":\"vdev\"}"), 0);
    {
        json_object *wqs = json_tokener_parse("[\"wq0.1\"]");

        memset(&f->err, 0, sizeof(f->err));
        expect_err(f, mgr_create_vdev(f->m, "dsa0", wqs, NULL, NULL, &f->err),
                   -EPERM,
                   "dsa0 has a read-only configuration (GENCAP.config_en = "
                   "0): vdevs need a configurable parent");
        json_object_put(wqs);
    }
}

/* ---- host / VM exclusion ---- */

static void
test_pf_attach_exclusion(void **state)
{
    struct fx *f = *state;

    /* Idle host: a VMM may take the PF. */
    assert_int_equal(mgr_pf_attach(f->m), 0);
    mgr_pf_detach(f->m);
    basic_config(f);
    assert_int_equal(enable_dev(f), 0);
    assert_int_equal(mgr_pf_attach(f->m), -EBUSY);
    memset(&f->err, 0, sizeof(f->err));
    assert_int_equal(mgr_disable_device(f->m, "dsa0", &f->err), 0);
    assert_int_equal(mgr_pf_attach(f->m), 0);
    mgr_pf_detach(f->m);
    /* After VM use the next host change resets the device and writes the
     * host configuration back before applying the change. */
    assert_int_equal(fx_config(f, "wq", "wq0.0", "{\"size\":20}"), 0);
    assert_int_equal(fx_wqcfg(f, 0, 0), 20);
    assert_int_equal(fx_grpcfg(f, 0, 0), 1);
    assert_int_equal(fx_grpcfg(f, 0, 4), 1);
}

/* ---- vdevs ---- */

static void
vdev_wqs(struct fx *f)
{
    basic_config(f);
    assert_int_equal(fx_config(f, "wq", "wq0.1",
                               "{\"group_id\":0,\"size\":8,\"priority\":4,"
                               "\"type\":\"vdev\"}"),
                     0);
    assert_int_equal(fx_config(f, "wq", "wq0.2",
                               "{\"group_id\":0,\"size\":8,\"priority\":4,"
                               "\"type\":\"vdev\"}"),
                     0);
}

static int
create_vdev(struct fx *f, const char *wqs_json, const char *uuid,
            json_object **info)
{
    json_object *w = json_tokener_parse(wqs_json);
    int rc;

    memset(&f->err, 0, sizeof(f->err));
    rc = mgr_create_vdev(f->m, "dsa0", w, uuid, info, &f->err);
    json_object_put(w);
    return rc;
}

static const char *
jstr(json_object *o, const char *key)
{
    json_object *v;

    return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v)
                                                  : NULL;
}

static void
test_vdev_lifecycle(void **state)
{
    struct fx *f = *state;
    const char *u1 = "6f0b4a52-1c1e-4c2a-9d0e-5d7b1c2a3b4c";
    json_object *info = NULL, *l;
    char path[256];
    struct stat st;

    vdev_wqs(f);
    expect_err(f, create_vdev(f, "[\"wq0.1\"]", u1, NULL), -ENODEV,
               "dsa0 is not enabled: run 'vidxd enable-device dsa0' first");
    assert_int_equal(enable_dev(f), 0);
    expect_err(f, create_vdev(f, "[\"wq0.0\"]", u1, NULL), -EINVAL,
               "dsa0/wq0.0 has type kernel, not vdev: configure it with "
               "'vidxd config-wq dsa0/wq0.0 --type vdev'");
    expect_err(f, create_vdev(f, "[\"wq0.1\"]", "6f0b4a52", NULL), -EINVAL,
               "malformed UUID '6f0b4a52' (expected "
               "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)");
    expect_err(f, create_vdev(f, "[]", u1, NULL), -EINVAL,
               "create-vdev needs one or more WQs");
    expect_err(f, create_vdev(f, "[\"wq0.1\",\"wq0.1\"]", u1, NULL), -EINVAL,
               "wq0.1 is listed twice");
    assert_int_equal(create_vdev(f, "[\"wq0.1\"]", u1, &info), 0);
    assert_string_equal(jstr(info, "uuid"), u1);
    snprintf(path, sizeof(path), "%s/vdev-%s.sock", f->dir, u1);
    assert_string_equal(jstr(info, "socket"), path);
    assert_int_equal(stat(path, &st), 0);
    assert_true(S_ISSOCK(st.st_mode));
    json_object_put(info);
    assert_int_equal(fake_vdevs_live, 1);
    assert_int_equal(fake_last_cfg.pasid, 1);
    assert_int_equal(fake_last_cfg.nr_wqs, 1);
    assert_int_equal(fake_last_cfg.wqs[0], 1);
    assert_int_equal(fake_last_cfg.portal_mode, VIDXD_DSA_PORTAL_TRAPPED);
    expect_err(f, create_vdev(f, "[\"wq0.1\"]", NULL, NULL), -EBUSY,
               "dsa0/wq0.1 is already used by vdev "
               "6f0b4a52-1c1e-4c2a-9d0e-5d7b1c2a3b4c");
    expect_err(f, create_vdev(f, "[\"wq0.2\"]", u1, NULL), -EEXIST,
               "a vdev with UUID 6f0b4a52-1c1e-4c2a-9d0e-5d7b1c2a3b4c "
               "already exists");
    /* A generated UUID and the next PASID. */
    assert_int_equal(create_vdev(f, "[\"wq0.2\"]", NULL, &info), 0);
    assert_int_equal(strlen(jstr(info, "uuid")), 36);
    assert_int_equal(fake_last_cfg.pasid, 2);
    json_object_put(info);
    assert_int_equal(mgr_nr_vdevs(f->m), 2);
    /* The parent is in use. */
    expect_err(f, fx_config(f, "wq", "wq0.1", "{\"size\":4}"), -EBUSY,
               "dsa0/wq0.1 is used by vdev 6f0b4a52-1c1e-4c2a-9d0e-5d7b1c2a3b4c:"
               " remove the vdev first");
    memset(&f->err, 0, sizeof(f->err));
    expect_err(f, mgr_disable_device(f->m, "dsa0", &f->err), -EBUSY,
               "dsa0 has 2 vdev(s): remove them before disabling it");
    assert_int_equal(mgr_pf_attach(f->m), -EBUSY);
    /* Removal. */
    memset(&f->err, 0, sizeof(f->err));
    expect_err(f,
               mgr_remove_vdev(f->m, "00000000-0000-0000-0000-000000000001",
                               false, &f->err),
               -ENOENT, "no vdev with UUID 00000000-0000-0000-0000-000000000001");
    memset(&f->err, 0, sizeof(f->err));
    expect_err(f, mgr_remove_vdev(f->m, "zz", false, &f->err), -EINVAL,
               "malformed UUID 'zz' (expected "
               "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)");
    memset(&f->err, 0, sizeof(f->err));
    assert_int_equal(mgr_remove_vdev(f->m, u1, false, &f->err), 0);
    assert_int_equal(fake_vdevs_live, 1);
    assert_int_not_equal(stat(path, &st), 0);
    l = mgr_list_vdevs(f->m);
    assert_int_equal(json_object_array_length(l), 1);
    json_object_put(l);
    /* The freed PASID is handed out again. */
    assert_int_equal(create_vdev(f, "[\"wq0.1\"]", NULL, NULL), 0);
    assert_int_equal(fake_last_cfg.pasid, 1);
}

/* ---- persistence ---- */

static void
test_persistence_roundtrip(void **state)
{
    struct fx *f = *state;
    const char *u1 = "6f0b4a52-1c1e-4c2a-9d0e-5d7b1c2a3b4c";
    const char *u2 = "0a4c1e9d-77b3-4f0e-8a51-2b6c3d4e5f60";
    json_object *before_v, *after_v;
    char *before, *after, *moved = (char *)1;
    struct stat st;

    vdev_wqs(f);
    assert_int_equal(fx_config(f, "group", "group0.0",
                               "{\"traffic_class_b\":3}"),
                     0);
    assert_int_equal(enable_dev(f), 0);
    assert_int_equal(enable_wq(f, "wq0.0"), 0);
    assert_int_equal(create_vdev(f, "[\"wq0.1\"]", u1, NULL), 0);
    assert_int_equal(create_vdev(f, "[\"wq0.2\"]", u2, NULL), 0);
    assert_int_equal(stat(f->state, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    before = save_config_str(f);
    before_v = mgr_list_vdevs(f->m);

    /* A new daemon over the same state file. */
    fx_stop(f);
    assert_int_equal(fake_vdevs_live, 0);
    assert_int_equal(fx_start(f), 0);
    memset(&f->err, 0, sizeof(f->err));
    assert_int_equal(mgr_restore(f->m, &f->err, &moved), 0);
    assert_null(moved);
    after = save_config_str(f);
    after_v = mgr_list_vdevs(f->m);
    assert_string_equal(after, before);
    assert_string_equal(json_object_to_json_string(after_v),
                        json_object_to_json_string(before_v));
    assert_int_equal(fake_vdevs_live, 2);
    /* The registers too: enabled device, wq0.0 enabled, vdev WQs not. */
    assert_int_equal(fx_rd(f, GENSTS, 4) & 3, 1);
    assert_int_equal(fx_wqcfg(f, 0, 6) >> 30, 1);
    assert_int_equal(fx_wqcfg(f, 1, 6) >> 30, 0);
    assert_int_equal(fx_grpcfg(f, 0, 5) & 0x38, 3 << 3);
    free(before);
    free(after);
    json_object_put(before_v);
    json_object_put(after_v);
}

static void
test_no_state_file(void **state)
{
    struct fx *f = *state;
    char *moved = (char *)1;

    memset(&f->err, 0, sizeof(f->err));
    assert_int_equal(mgr_restore(f->m, &f->err, &moved), 0);
    assert_null(moved);
    assert_string_equal(f->err.msg, "");
}

static void
check_moved_aside(struct fx *f, const char *content, const char *msg_prefix)
{
    char *moved = NULL, *text = NULL, *def;
    size_t len;

    def = save_config_str(f);
    assert_int_equal(fsutil_write_atomic(f->state, content, strlen(content),
                                         0600),
                     0);
    fx_stop(f);
    assert_int_equal(fx_start(f), 0);
    memset(&f->err, 0, sizeof(f->err));
    assert_int_equal(mgr_restore(f->m, &f->err, &moved), -EINVAL);
    assert_non_null(moved);
    assert_int_equal(strncmp(f->err.msg, msg_prefix, strlen(msg_prefix)), 0);
    assert_non_null(strstr(f->err.msg, moved));
    /* Never lost: the bytes are under the new name, the old name is free. */
    assert_int_equal(access(f->state, F_OK), -1);
    assert_int_equal(fsutil_read_file(moved, 1 << 20, &text, &len), 0);
    assert_string_equal(text, content);
    assert_int_equal(strncmp(moved, f->state, strlen(f->state)), 0);
    assert_int_equal(strncmp(moved + strlen(f->state), ".corrupt-", 9), 0);
    /* Defaults, and the device usable. */
    free(text);
    text = save_config_str(f);
    assert_string_equal(text, def);
    assert_int_equal(fake_vdevs_live, 0);
    assert_int_equal(fx_rd(f, GENSTS, 4) & 3, 0);
    basic_config(f);
    assert_int_equal(enable_dev(f), 0);
    free(text);
    free(def);
    free(moved);
}

static void
test_corrupt_state(void **state)
{
    struct fx *f = *state;
    char prefix[256];

    snprintf(prefix, sizeof(prefix), "%s: not valid JSON", f->state);
    check_moved_aside(f, "{\"version\":1,\"devices\":[{\"dev\":\"dsa0\",",
                      prefix);
}

static void
test_inapplicable_state(void **state)
{
    struct fx *f = *state;
    char prefix[256];

    /* Valid JSON that this device cannot take (a ninth WQ) is unusable
     * too, and kept aside the same way. */
    snprintf(prefix, sizeof(prefix),
             "%s: unknown work queue 'wq0.9' (dsa0 has wq0.0..wq0.7)",
             f->state);
    check_moved_aside(f,
                      "{\"version\":1,\"devices\":[{\"dev\":\"dsa0\","
                      "\"ungrouped_workqueues\":[{\"dev\":\"wq0.9\"}]}],"
                      "\"vdevs\":[]}",
                      prefix);
}

static void
test_state_partial_failure(void **state)
{
    struct fx *f = *state;
    char prefix[256];

    /* Well-formed, but enabling fails (sizes above total_wq_size): the
     * half-restored device is reset and the file kept aside. */
    snprintf(prefix, sizeof(prefix),
             "%s: dsa0: ENABLE_DEVICE failed: CMDSTS 0x14", f->state);
    check_moved_aside(
        f,
        "{\"version\":1,\"devices\":[{\"dev\":\"dsa0\",\"state\":\"enabled\","
        "\"groups\":[{\"dev\":\"group0.0\",\"grouped_workqueues\":["
        "{\"dev\":\"wq0.0\",\"size\":100,\"priority\":1},"
        "{\"dev\":\"wq0.1\",\"size\":100,\"priority\":1}],"
        "\"grouped_engines\":[{\"dev\":\"engine0.0\"}]}]}],\"vdevs\":[]}",
        prefix);
}

/* ---- accel-config files ---- */

/* contrib/configs/os_profile.conf of accel-config (the format's example). */
static const char os_profile[] =
    "[{\"dev\":\"dsa0\",\"read_buffer_limit\":0,\"groups\":[{"
    "\"dev\":\"group0.0\",\"read_buffers_reserved\":0,"
    "\"use_read_buffer_limit\":0,\"read_buffers_allowed\":0,"
    "\"grouped_workqueues\":[{\"dev\":\"wq0.0\",\"mode\":\"shared\","
    "\"size\":16,\"group_id\":0,\"priority\":10,\"block_on_fault\":0,"
    "\"max_batch_size\":32,\"max_transfer_size\":2097152,\"type\":\"kernel\","
    "\"driver_name\":\"dmaengine\",\"name\":\"dmaengine\",\"threshold\":15}],"
    "\"grouped_engines\":[{\"dev\":\"engine0.0\",\"group_id\":0}]}]}]";

static void
test_load_config_os_profile(void **state)
{
    struct fx *f = *state;
    json_object *cfg, *enabled = NULL;

    /* Shared WQs need WQCAP.shared_mode. */
    fx_stop(f);
    f->cfg.shared_mode = true;
    assert_int_equal(fx_start(f), 0);
    cfg = json_tokener_parse(os_profile);
    memset(&f->err, 0, sizeof(f->err));
    assert_int_equal(mgr_load_config(f->m, cfg, true, &enabled, &f->err), 0);
    assert_string_equal(json_object_to_json_string_ext(enabled,
                                                       JSON_C_TO_STRING_PLAIN),
                        "[\"dsa0\",\"wq0.0\"]");
    json_object_put(enabled);
    /* WQCFG: size 16, threshold 15, shared (mode bit 0 clear) with
     * pasid_en (bit 28), priority 10; shifts 21 and 5. */
    assert_int_equal(fx_wqcfg(f, 0, 0), 16);
    assert_int_equal(fx_wqcfg(f, 0, 1), 15);
    assert_int_equal(fx_wqcfg(f, 0, 2), (1u << 28) | (10 << 4));
    assert_int_equal(fx_wqcfg(f, 0, 3), 21 | (5 << 5));
    assert_int_equal(fx_grpcfg(f, 0, 5) >> 20 & 0xff, 0);
    assert_int_equal(fx_rd(f, GENSTS, 4) & 3, 1);
    assert_int_equal(fx_wqcfg(f, 0, 6) >> 30, 1);
    /* A second load needs the device disabled. */
    memset(&f->err, 0, sizeof(f->err));
    expect_err(f, mgr_load_config(f->m, cfg, false, NULL, &f->err), -EBUSY,
               "dsa0 is enabled: disable it before load-config");
    json_object_put(cfg);
}

static void
test_load_config_roundtrip_and_errors(void **state)
{
    struct fx *f = *state;
    json_object *saved, *bad;
    char *before, *after;

    vdev_wqs(f);
    assert_int_equal(fx_config(f, "engine", "engine0.3", "{\"group_id\":2}"),
                     0);
    saved = mgr_save_config(f->m);
    before = save_config_str(f);
    /* Back to defaults, then load what save-config gave. */
    fx_stop(f);
    unlink(f->state);
    assert_int_equal(fx_start(f), 0);
    memset(&f->err, 0, sizeof(f->err));
    assert_int_equal(mgr_load_config(f->m, saved, false, NULL, &f->err), 0);
    after = save_config_str(f);
    assert_string_equal(after, before);
    free(after);
    /* Errors change nothing. */
    bad = json_tokener_parse("[{\"dev\":\"dsa0\",\"groups\":[{\"dev\":"
                             "\"group0.1\",\"grouped_workqueues\":[{\"dev\":"
                             "\"wq0.5\",\"size\":8,\"colour\":1}]}]}]");
    memset(&f->err, 0, sizeof(f->err));
    expect_err(f, mgr_load_config(f->m, bad, false, NULL, &f->err), -EINVAL,
               "dsa0/wq0.5: unknown attribute 'colour'");
    json_object_put(bad);
    bad = json_tokener_parse("[{\"dev\":\"dsa0\",\"groups\":[{\"dev\":"
                             "\"group0.1\",\"grouped_workqueues\":[{\"dev\":"
                             "\"wq0.5\",\"group_id\":2}]}]}]");
    memset(&f->err, 0, sizeof(f->err));
    expect_err(f, mgr_load_config(f->m, bad, false, NULL, &f->err), -EINVAL,
               "dsa0/wq0.5: group_id 2 but listed under group 1");
    json_object_put(bad);
    bad = json_tokener_parse("[{\"dev\":\"dsa1\"}]");
    memset(&f->err, 0, sizeof(f->err));
    expect_err(f, mgr_load_config(f->m, bad, false, NULL, &f->err), -ENODEV,
               "unknown device 'dsa1' (this daemon manages dsa0)");
    json_object_put(bad);
    bad = json_tokener_parse("{\"dev\":\"dsa0\"}");
    memset(&f->err, 0, sizeof(f->err));
    expect_err(f, mgr_load_config(f->m, bad, false, NULL, &f->err), -EINVAL,
               "a configuration is a JSON array of devices (accel-config "
               "format)");
    json_object_put(bad);
    /* accel-config's older spellings (token_limit, tokens_*) are taken. */
    bad = json_tokener_parse("[{\"dev\":\"dsa0\",\"token_limit\":10,"
                             "\"groups\":[{\"dev\":\"group0.3\","
                             "\"tokens_reserved\":2,\"tokens_allowed\":8,"
                             "\"use_token_limit\":1}]}]");
    memset(&f->err, 0, sizeof(f->err));
    assert_int_equal(mgr_load_config(f->m, bad, false, NULL, &f->err), 0);
    json_object_put(bad);
    assert_int_equal(fx_grpcfg(f, 3, 5),
                     1 | (1 << 3) | (1 << 7) | (2 << 8) | (8u << 20));
    after = save_config_str(f);
    assert_string_not_equal(after, before);
    free(after);
    free(before);
    json_object_put(saved);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cmdsts_strings),
        cmocka_unit_test_setup_teardown(test_configure_and_enable, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_group_and_device_attrs, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_cmdsts_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_validation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_only_device, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_pf_attach_exclusion, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_vdev_lifecycle, setup, teardown),
        cmocka_unit_test_setup_teardown(test_persistence_roundtrip, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_no_state_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_corrupt_state, setup, teardown),
        cmocka_unit_test_setup_teardown(test_inapplicable_state, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_state_partial_failure, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_load_config_os_profile, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_load_config_roundtrip_and_errors,
                                        setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
