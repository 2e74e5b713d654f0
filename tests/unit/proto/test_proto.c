/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the proto layer: wire layouts against <linux/vfio.h>,
 * header classification, VERSION JSON parsing and formatting, and the
 * decoders' acceptance and rejection of every length and field rule
 * (reference/vfio-user.md §1.1-§1.4).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "proto/proto.h"

static void
test_layout_matches_linux_vfio(void **state)
{
    (void)state;
    /* The protocol reuses the kernel's structs byte for byte (§1.3). */
    assert_int_equal(sizeof(struct vidxd_vu_region_info),
                     sizeof(struct vfio_region_info));
    assert_int_equal(offsetof(struct vidxd_vu_region_info, offset),
                     offsetof(struct vfio_region_info, offset));
    assert_int_equal(sizeof(struct vidxd_vu_irq_info),
                     sizeof(struct vfio_irq_info));
    assert_int_equal(sizeof(struct vidxd_vu_irq_set),
                     offsetof(struct vfio_irq_set, data));
    assert_int_equal(sizeof(struct vidxd_vu_device_info),
                     offsetof(struct vfio_device_info, cap_offset));
    assert_int_equal(sizeof(struct vidxd_vu_dma_unmap),
                     sizeof(struct vfio_iommu_type1_dma_unmap));
    assert_int_equal(sizeof(struct vidxd_vu_cap_hdr),
                     sizeof(struct vfio_info_cap_header));
}

static void
test_header_frame_and_type(void **state)
{
    struct vidxd_vu_hdr h;
    uint8_t raw[16] = {0x34, 0x12, 0x05, 0x00, 0x30, 0x00, 0x00, 0x00,
                       0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};

    (void)state;
    assert_int_equal(proto_hdr_decode(raw, 15, &h), -EINVAL);
    assert_int_equal(proto_hdr_decode(raw, 16, &h), 0);
    /* Little-endian host: id 0x1234, cmd 5, size 48, No_reply. */
    assert_int_equal(h.msg_id, 0x1234);
    assert_int_equal(h.cmd, 5);
    assert_int_equal(h.msg_size, 48);
    assert_true(proto_hdr_no_reply(&h));
    assert_int_equal(proto_hdr_check_command(&h), 0);
    assert_int_equal(proto_hdr_check_frame(&h, 48), 0);
    assert_int_equal(proto_hdr_check_frame(&h, 47), -EPROTO);
    h.msg_size = 15;
    assert_int_equal(proto_hdr_check_frame(&h, 4096), -EPROTO);
    h.msg_size = 16;
    assert_int_equal(proto_hdr_check_frame(&h, 4096), 0);
    h.flags = VIDXD_VU_F_TYPE_REPLY;
    assert_int_equal(proto_hdr_check_command(&h), -EPROTO);
    h.flags = 7;
    assert_int_equal(proto_hdr_check_command(&h), -EPROTO);
    h.flags = VIDXD_VU_F_ERROR;
    assert_int_equal(proto_hdr_check_command(&h), -EINVAL);
    h.flags = 0;
    assert_false(proto_hdr_no_reply(&h));
}

static void
test_version_decode(void **state)
{
    uint8_t buf[32] = {0, 0, 2, 0};
    struct proto_version v;

    (void)state;
    assert_int_equal(proto_version_decode(buf, 3, &v), -EINVAL);
    assert_int_equal(proto_version_decode(buf, 4, &v), 0);
    assert_int_equal(v.major, 0);
    assert_int_equal(v.minor, 2);
    assert_null(v.json);
    memcpy(buf + 4, "{}", 3);
    assert_int_equal(proto_version_decode(buf, 7, &v), 0);
    assert_int_equal(v.json_len, 2);
    assert_memory_equal(v.json, "{}", 3);
    /* Not NUL-terminated, and a NUL inside the JSON. */
    assert_int_equal(proto_version_decode(buf, 6, &v), -EINVAL);
    memcpy(buf + 4, "{\0}", 4);
    assert_int_equal(proto_version_decode(buf, 8, &v), -EINVAL);
}

static const char qemu_caps[] =
    "{\"capabilities\":{\"max_msg_fds\":16,\"max_data_xfer_size\":1048576,"
    "\"pgsizes\":4096,\"max_dma_maps\":65535,\"write_multiple\":true,"
    "\"migration\":{\"pgsize\":4096,\"max_bitmap_size\":268435456}}}";

static void
test_caps_parse_qemu(void **state)
{
    struct proto_caps c;

    (void)state;
    assert_int_equal(proto_caps_parse(qemu_caps, strlen(qemu_caps), &c), 0);
    assert_int_equal(c.max_msg_fds, 16);
    assert_int_equal(c.max_data_xfer_size, 1048576);
    assert_int_equal(c.pgsizes, 4096);
    assert_int_equal(c.max_dma_maps, 65535);
    assert_true(c.write_multiple);
    assert_true(c.migration);
    assert_false(c.twin_socket);
}

static void
test_caps_parse_defaults(void **state)
{
    static const char empty[] = "{}";
    static const char unknown[] = " {\"capabilities\":{\"frobnicate\":[1,2],"
                                  "\"twin_socket\":{\"supported\":true}}}\n";
    struct proto_caps c;

    (void)state;
    assert_int_equal(proto_caps_parse(empty, 2, &c), 0);
    /* §1.3 defaults. */
    assert_int_equal(c.max_msg_fds, 1);
    assert_int_equal(c.max_data_xfer_size, 1048576);
    assert_int_equal(c.max_dma_maps, 65535);
    assert_int_equal(c.pgsizes, 4096);
    assert_int_equal(proto_caps_parse(unknown, strlen(unknown), &c), 0);
    assert_true(c.twin_socket);
    assert_int_equal(c.max_msg_fds, 1);
}

static void
test_caps_parse_rejects(void **state)
{
    static const char *const bad[] = {
        "",
        "nope",
        "{",
        "{} x",
        "[1,2]",
        "\"capabilities\"",
        "{\"capabilities\":3}",
        "{\"capabilities\":{\"max_msg_fds\":\"8\"}}",
        "{\"capabilities\":{\"max_msg_fds\":-1}}",
        "{\"capabilities\":{\"max_msg_fds\":1025}}",
        "{\"capabilities\":{\"max_msg_fds\":1.5}}",
        "{\"capabilities\":{\"max_data_xfer_size\":0}}",
        "{\"capabilities\":{\"max_data_xfer_size\":4294967296}}",
        "{\"capabilities\":{\"max_dma_maps\":true}}",
        "{\"capabilities\":{\"pgsizes\":-4096}}",
        "{\"capabilities\":{\"write_multiple\":1}}",
        "{\"capabilities\":{\"migration\":[]}}",
        "{\"capabilities\":{\"twin_socket\":{\"supported\":\"yes\"}}}",
        ("{\"a\":{\"b\":{\"c\":{\"d\":{\"e\":{\"f\":{\"g\":{\"h\":"
         "{\"i\":1}}}}}}}}}"),
    };
    struct proto_caps c;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(proto_caps_parse(bad[i], strlen(bad[i]), &c),
                         -EINVAL);
    }
    /* A NUL inside the given length. */
    assert_int_equal(proto_caps_parse("{}\0", 3, &c), -EINVAL);
    assert_int_equal(proto_caps_parse(NULL, 0, &c), -EINVAL);
}

static void
test_caps_format(void **state)
{
    static const char want[] =
        "{\"capabilities\":{\"max_msg_fds\":8,\"max_data_xfer_size\":1048576,"
        "\"pgsizes\":4096,\"max_dma_maps\":4096}}";
    struct proto_caps c, back;
    char buf[256];
    int n;

    (void)state;
    proto_caps_default(&c);
    c.max_msg_fds = 8;
    c.max_dma_maps = 4096;
    n = proto_caps_format(&c,
                          PROTO_CAP_MAX_MSG_FDS | PROTO_CAP_MAX_DATA_XFER |
                              PROTO_CAP_PGSIZES | PROTO_CAP_MAX_DMA_MAPS,
                          buf, sizeof(buf));
    assert_int_equal(n, strlen(want));
    assert_string_equal(buf, want);
    assert_int_equal(proto_caps_parse(buf, (size_t)n, &back), 0);
    assert_int_equal(back.max_msg_fds, 8);
    assert_int_equal(back.max_dma_maps, 4096);
    n = proto_caps_format(&c, 0, buf, sizeof(buf));
    assert_string_equal(buf, "{\"capabilities\":{}}");
    assert_int_equal(n, 19);
    /* Exactly one byte short of room for the NUL. */
    assert_int_equal(proto_caps_format(&c, 0, buf, 19), -ENOSPC);
    assert_int_equal(proto_caps_format(&c, 0, buf, 20), 19);
}

static void
test_dma_map_decode(void **state)
{
    struct vidxd_vu_dma_map m = {32, 3, 0x1000, 0x100000, 0x2000}, out;
    struct vidxd_vu_dma_map bad;
    uint8_t big[33] = {0};

    (void)state;
    assert_int_equal(proto_dma_map_decode((uint8_t *)&m, 32, &out), 0);
    assert_int_equal(out.addr, 0x100000);
    assert_int_equal(out.size, 0x2000);
    assert_int_equal(out.offset, 0x1000);
    assert_int_equal(proto_dma_map_decode((uint8_t *)&m, 31, &out), -EINVAL);
    memcpy(big, &m, 32);
    assert_int_equal(proto_dma_map_decode(big, 33, &out), -EINVAL);
    bad = m;
    bad.argsz = 31;
    assert_int_equal(proto_dma_map_decode((uint8_t *)&bad, 32, &out), -EINVAL);
    bad = m;
    bad.flags = 4;
    assert_int_equal(proto_dma_map_decode((uint8_t *)&bad, 32, &out), -EINVAL);
    bad = m;
    bad.size = 0;
    assert_int_equal(proto_dma_map_decode((uint8_t *)&bad, 32, &out), -EINVAL);
    bad = m;
    bad.addr = UINT64_MAX - 0xfff; /* ends at 2^64 - 1: fine */
    bad.size = 0x1000;
    assert_int_equal(proto_dma_map_decode((uint8_t *)&bad, 32, &out), 0);
    bad.size = 0x1001; /* wraps */
    assert_int_equal(proto_dma_map_decode((uint8_t *)&bad, 32, &out), -EINVAL);
    bad = m;
    bad.offset = (uint64_t)INT64_MAX; /* beyond any off_t with size */
    assert_int_equal(proto_dma_map_decode((uint8_t *)&bad, 32, &out), -EINVAL);
}

static void
test_dma_unmap_decode(void **state)
{
    struct vidxd_vu_dma_unmap u = {24, 0, 0x1000, 0x1000}, out;

    (void)state;
    assert_int_equal(proto_dma_unmap_decode((uint8_t *)&u, 24, &out), 0);
    assert_int_equal(proto_dma_unmap_decode((uint8_t *)&u, 16, &out),
                     -EINVAL);
    u.size = 0;
    assert_int_equal(proto_dma_unmap_decode((uint8_t *)&u, 24, &out),
                     -EINVAL);
    u = (struct vidxd_vu_dma_unmap){24, VFIO_DMA_UNMAP_FLAG_ALL, 0, 0};
    assert_int_equal(proto_dma_unmap_decode((uint8_t *)&u, 24, &out), 0);
    u.addr = 0x1000;
    assert_int_equal(proto_dma_unmap_decode((uint8_t *)&u, 24, &out),
                     -EINVAL);
    u = (struct vidxd_vu_dma_unmap){24, VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP,
                                    0x1000, 0x1000};
    assert_int_equal(proto_dma_unmap_decode((uint8_t *)&u, 24, &out),
                     -EINVAL);
    u = (struct vidxd_vu_dma_unmap){20, 0, 0x1000, 0x1000};
    assert_int_equal(proto_dma_unmap_decode((uint8_t *)&u, 24, &out),
                     -EINVAL);
}

static void
test_info_requests_decode(void **state)
{
    struct vidxd_vu_device_info di = {16, 0, 0, 0};
    struct vidxd_vu_region_info ri = {32, 0, 7, 0, 0, 0};
    struct vidxd_vu_irq_info ii = {16, 0, 2, 0};
    uint32_t argsz = 0, index = 0;

    (void)state;
    assert_int_equal(proto_device_info_decode((uint8_t *)&di, 16, &argsz), 0);
    assert_int_equal(argsz, 16);
    assert_int_equal(proto_device_info_decode((uint8_t *)&di, 12, &argsz),
                     -EINVAL);
    di.argsz = 15;
    assert_int_equal(proto_device_info_decode((uint8_t *)&di, 16, &argsz),
                     -EINVAL);
    assert_int_equal(
        proto_region_info_decode((uint8_t *)&ri, 32, &index, &argsz), 0);
    assert_int_equal(index, 7);
    ri.argsz = 16;
    assert_int_equal(
        proto_region_info_decode((uint8_t *)&ri, 32, &index, &argsz),
        -EINVAL);
    assert_int_equal(proto_irq_info_decode((uint8_t *)&ii, 16, &index, &argsz),
                     0);
    assert_int_equal(index, 2);
    assert_int_equal(proto_irq_info_decode((uint8_t *)&ii, 20, &index, &argsz),
                     -EINVAL);
}

static void
test_region_info_encode_truncation(void **state)
{
    const struct vidxd_vu_sparse_area areas[2] = {{0, 0x1000},
                                                  {0x4000, 0x1000}};
    struct proto_region_desc d = {2, VFIO_REGION_INFO_FLAG_READ |
                                         VFIO_REGION_INFO_FLAG_WRITE |
                                         VFIO_REGION_INFO_FLAG_MMAP,
                                  0x8000, 0x10000, 2, areas};
    struct vidxd_vu_region_info ri;
    struct vidxd_vu_sparse_area got[4];
    uint8_t buf[128];
    uint32_t nr;
    int n;

    (void)state;
    /* 32 + 16 (cap header + nr_areas + reserved) + 2 x 16. */
    assert_int_equal(proto_region_info_full_size(&d), 80);
    n = proto_region_info_encode(&d, 32, buf, sizeof(buf));
    assert_int_equal(n, 32);
    memcpy(&ri, buf, sizeof(ri));
    assert_int_equal(ri.argsz, 80);
    assert_int_equal(ri.flags, 7); /* no CAPS in a truncated reply */
    assert_int_equal(ri.cap_offset, 0);
    assert_int_equal(ri.index, 2);
    assert_int_equal(ri.size, 0x8000);
    assert_int_equal(ri.offset, 0x10000);
    n = proto_region_info_encode(&d, 79, buf, sizeof(buf));
    assert_int_equal(n, 79);
    memcpy(&ri, buf, sizeof(ri));
    assert_int_equal(ri.flags & VFIO_REGION_INFO_FLAG_CAPS, 0);
    n = proto_region_info_encode(&d, 4096, buf, sizeof(buf));
    assert_int_equal(n, 80);
    memcpy(&ri, buf, sizeof(ri));
    assert_int_equal(ri.flags, 0xf);
    assert_int_equal(ri.cap_offset, 32);
    /* Cap header: id 1, version 1, next 0; then nr_areas 2. */
    assert_int_equal(buf[32], 1);
    assert_int_equal(buf[34], 1);
    assert_int_equal(buf[36] | buf[37] | buf[38] | buf[39], 0);
    assert_int_equal(buf[40], 2);
    assert_int_equal(proto_region_info_reply_decode(buf, 80, &ri, got, 4, &nr),
                     0);
    assert_int_equal(nr, 2);
    assert_int_equal(got[1].offset, 0x4000);
    assert_int_equal(got[1].size, 0x1000);
    assert_int_equal(proto_region_info_encode(&d, 4096, buf, 79), -ENOSPC);
    assert_int_equal(proto_region_info_encode(&d, 16, buf, sizeof(buf)),
                     -EINVAL);
}

static void
test_region_info_reply_rejects_bad_chains(void **state)
{
    const struct vidxd_vu_sparse_area areas[1] = {{0, 0x1000}};
    struct proto_region_desc d = {2, 7, 0x2000, 0, 1, areas};
    struct vidxd_vu_region_info ri;
    struct vidxd_vu_sparse_area got[1];
    uint8_t buf[64], bad[64];
    uint32_t nr, v;

    (void)state;
    assert_int_equal(proto_region_info_encode(&d, 64, buf, sizeof(buf)), 64);
    assert_int_equal(proto_region_info_reply_decode(buf, 64, &ri, got, 1, &nr),
                     0);
    /* Truncated capability. */
    assert_int_equal(proto_region_info_reply_decode(buf, 40, &ri, got, 1, &nr),
                     -EINVAL);
    /* cap_offset inside the fixed struct. */
    memcpy(bad, buf, 64);
    v = 16;
    memcpy(bad + 12, &v, 4);
    assert_int_equal(proto_region_info_reply_decode(bad, 64, &ri, got, 1, &nr),
                     -EINVAL);
    /* A chain pointing at itself. */
    memcpy(bad, buf, 64);
    v = 32;
    memcpy(bad + 36, &v, 4);
    assert_int_equal(proto_region_info_reply_decode(bad, 64, &ri, got, 1, &nr),
                     -EINVAL);
    /* More areas announced than bytes present. */
    memcpy(bad, buf, 64);
    v = 2;
    memcpy(bad + 40, &v, 4);
    assert_int_equal(proto_region_info_reply_decode(bad, 64, &ri, got, 1, &nr),
                     -EINVAL);
    /* Unknown sparse version. */
    memcpy(bad, buf, 64);
    bad[34] = 2;
    assert_int_equal(proto_region_info_reply_decode(bad, 64, &ri, got, 1, &nr),
                     -EINVAL);
    assert_int_equal(proto_region_info_reply_decode(buf, 31, &ri, got, 1, &nr),
                     -EINVAL);
}

static int
irq_set(uint32_t flags, uint32_t index, uint32_t start, uint32_t count,
        size_t extra, size_t nfds, struct proto_irq_set *out)
{
    uint8_t buf[64] = {0};
    struct vidxd_vu_irq_set s = {20, flags, index, start, count};

    memcpy(buf, &s, sizeof(s));
    return proto_irq_set_decode(buf, sizeof(s) + extra, nfds, out);
}

static void
test_irq_set_decode(void **state)
{
    const uint32_t EFD = VFIO_IRQ_SET_DATA_EVENTFD;
    const uint32_t NONE = VFIO_IRQ_SET_DATA_NONE;
    const uint32_t BOOL = VFIO_IRQ_SET_DATA_BOOL;
    const uint32_t TRIG = VFIO_IRQ_SET_ACTION_TRIGGER;
    const uint32_t MASK = VFIO_IRQ_SET_ACTION_MASK;
    struct proto_irq_set s;

    (void)state;
    assert_int_equal(irq_set(EFD | TRIG, 2, 1, 3, 0, 3, &s), 0);
    assert_int_equal(s.start, 1);
    assert_int_equal(s.count, 3);
    assert_null(s.bools);
    /* QEMU's "enable with no vectors": eventfd data, no fds. */
    assert_int_equal(irq_set(EFD | TRIG, 2, 0, 1, 0, 0, &s), 0);
    assert_int_equal(irq_set(NONE | TRIG, 2, 0, 0, 0, 0, &s), 0);
    assert_int_equal(irq_set(BOOL | MASK, 2, 0, 4, 4, 0, &s), 0);
    assert_non_null(s.bools);
    /* Rejections. */
    assert_int_equal(irq_set(BOOL | MASK, 2, 0, 4, 3, 0, &s), -EINVAL);
    assert_int_equal(irq_set(NONE | TRIG, 2, 0, 1, 1, 0, &s), -EINVAL);
    assert_int_equal(irq_set(EFD | TRIG, 2, 0, 0, 0, 0, &s), -EINVAL);
    assert_int_equal(irq_set(NONE | TRIG, 2, 1, 0, 0, 0, &s), -EINVAL);
    assert_int_equal(irq_set(NONE | EFD | TRIG, 2, 0, 1, 0, 0, &s), -EINVAL);
    assert_int_equal(irq_set(NONE | TRIG | MASK, 2, 0, 1, 0, 0, &s), -EINVAL);
    assert_int_equal(irq_set(NONE, 2, 0, 1, 0, 0, &s), -EINVAL);
    assert_int_equal(irq_set(NONE | TRIG | 0x40, 2, 0, 1, 0, 0, &s), -EINVAL);
    assert_int_equal(irq_set(EFD | TRIG, 2, 0, 3, 0, 2, &s), -EINVAL);
    assert_int_equal(irq_set(NONE | TRIG, 2, 0, 1, 0, 1, &s), -EINVAL);
    assert_int_equal(irq_set(EFD | TRIG, 2, UINT32_MAX, 2, 0, 0, &s), -EINVAL);
    assert_int_equal(irq_set(EFD | TRIG, 2, UINT32_MAX, 1, 0, 0, &s), 0);
    /* argsz below the fixed part. */
    {
        uint8_t buf[20];
        struct vidxd_vu_irq_set raw = {19, NONE | TRIG, 2, 0, 0};

        memcpy(buf, &raw, sizeof(raw));
        assert_int_equal(proto_irq_set_decode(buf, 20, 0, &s), -EINVAL);
        assert_int_equal(proto_irq_set_decode(buf, 19, 0, &s), -EINVAL);
    }
}

static void
test_region_access_decode(void **state)
{
    uint8_t buf[16 + 8] = {0};
    struct vidxd_vu_region_access a = {0x10, 0, 4};
    struct proto_region_access acc;

    (void)state;
    memcpy(buf, &a, sizeof(a));
    assert_int_equal(proto_region_access_decode(buf, 16, false, 8, &acc), 0);
    assert_int_equal(acc.offset, 0x10);
    assert_int_equal(acc.count, 4);
    assert_null(acc.data);
    assert_int_equal(proto_region_access_decode(buf, 20, false, 8, &acc),
                     -EINVAL);
    assert_int_equal(proto_region_access_decode(buf, 20, true, 8, &acc), 0);
    assert_ptr_equal(acc.data, buf + 16);
    assert_int_equal(proto_region_access_decode(buf, 24, true, 8, &acc),
                     -EINVAL);
    assert_int_equal(proto_region_access_decode(buf, 15, false, 8, &acc),
                     -EINVAL);
    a.count = 0;
    memcpy(buf, &a, sizeof(a));
    assert_int_equal(proto_region_access_decode(buf, 16, false, 8, &acc),
                     -EINVAL);
    a.count = 9;
    memcpy(buf, &a, sizeof(a));
    assert_int_equal(proto_region_access_decode(buf, 16, false, 8, &acc),
                     -E2BIG);
    a.count = 2;
    a.offset = UINT64_MAX;
    memcpy(buf, &a, sizeof(a));
    assert_int_equal(proto_region_access_decode(buf, 16, false, 8, &acc),
                     -EINVAL);
}

static void
test_range_ok(void **state)
{
    (void)state;
    assert_true(proto_range_ok(0, 4096, 4096));
    assert_true(proto_range_ok(4095, 1, 4096));
    assert_false(proto_range_ok(4095, 2, 4096));
    assert_false(proto_range_ok(0, 4097, 4096));
    assert_false(proto_range_ok(UINT64_MAX, 2, 4096));
    assert_false(proto_range_ok(1, UINT64_MAX, UINT64_MAX));
    assert_true(proto_range_ok(4096, 0, 4096));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layout_matches_linux_vfio),
        cmocka_unit_test(test_header_frame_and_type),
        cmocka_unit_test(test_version_decode),
        cmocka_unit_test(test_caps_parse_qemu),
        cmocka_unit_test(test_caps_parse_defaults),
        cmocka_unit_test(test_caps_parse_rejects),
        cmocka_unit_test(test_caps_format),
        cmocka_unit_test(test_dma_map_decode),
        cmocka_unit_test(test_dma_unmap_decode),
        cmocka_unit_test(test_info_requests_decode),
        cmocka_unit_test(test_region_info_encode_truncation),
        cmocka_unit_test(test_region_info_reply_rejects_bad_chains),
        cmocka_unit_test(test_irq_set_decode),
        cmocka_unit_test(test_region_access_decode),
        cmocka_unit_test(test_range_ok),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
