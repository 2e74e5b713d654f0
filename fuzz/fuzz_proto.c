/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target over the vfio-user decoders (src/proto): the input is
 * one message, header then payload.  Every decoder runs on the payload,
 * whatever the command says, and two properties are checked: a region-info
 * reply built from fuzzed fields decodes back to the same fields, and
 * capabilities that parse survive a format/parse round trip.  The sanitizers
 * catch any out-of-bounds access or overflow in between.
 *
 * Seeds: run with --write-seeds=DIR (ignored by libFuzzer, which skips "--"
 * flags) to write a small corpus of valid messages and exit.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "proto/proto.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "property failed: %s (%s:%d)\n", #cond,          \
                    __FILE__, __LINE__);                                       \
            abort();                                                           \
        }                                                                      \
    } while (0)

static void
check_region_info_roundtrip(const uint8_t *p, size_t n)
{
    struct vidxd_vu_sparse_area areas[8], got[8];
    struct proto_region_desc d = {0};
    struct vidxd_vu_region_info ri;
    uint8_t buf[32 + 16 + 8 * 16];
    uint32_t argsz, nr = 0, i;
    int len;

    if (n < 24) {
        return;
    }
    memcpy(&d.size, p, 8);
    memcpy(&d.offset, p + 8, 8);
    memcpy(&argsz, p + 16, 4);
    d.index = p[20];
    d.flags = p[21] & 0x7;
    d.nr_areas = p[22] % 9;
    p += 24;
    n -= 24;
    for (i = 0; i < d.nr_areas; i++) {
        memset(&areas[i], 0, sizeof(areas[i]));
        if ((size_t)(i + 1) * sizeof(areas[i]) <= n) {
            memcpy(&areas[i], p + i * sizeof(areas[i]), sizeof(areas[i]));
        }
    }
    d.areas = areas;
    len = proto_region_info_encode(&d, argsz, buf, sizeof(buf));
    if (argsz < 32) {
        CHECK(len == -EINVAL);
        return;
    }
    CHECK(len >= 32 && (size_t)len <= sizeof(buf));
    CHECK(proto_region_info_reply_decode(buf, (size_t)len, &ri, got, 8, &nr) ==
          0);
    CHECK(ri.argsz == proto_region_info_full_size(&d));
    CHECK(ri.size == d.size && ri.offset == d.offset && ri.index == d.index);
    if (ri.flags & VFIO_REGION_INFO_FLAG_CAPS) {
        CHECK(nr == d.nr_areas);
        CHECK(memcmp(got, areas, nr * sizeof(got[0])) == 0);
    } else {
        CHECK(nr == 0);
        CHECK(d.nr_areas == 0 || (size_t)len < ri.argsz);
    }
}

static void
check_caps_roundtrip(const char *json, size_t len)
{
    struct proto_caps c, back;
    char buf[512];
    int n;

    if (proto_caps_parse(json, len, &c) != 0) {
        return;
    }
    CHECK(c.max_msg_fds <= 1024 && c.max_data_xfer_size != 0);
    n = proto_caps_format(&c,
                          PROTO_CAP_MAX_MSG_FDS | PROTO_CAP_MAX_DATA_XFER |
                              PROTO_CAP_PGSIZES | PROTO_CAP_MAX_DMA_MAPS,
                          buf, sizeof(buf));
    CHECK(n > 0);
    CHECK(proto_caps_parse(buf, (size_t)n, &back) == 0);
    CHECK(back.max_msg_fds == c.max_msg_fds);
    CHECK(back.max_data_xfer_size == c.max_data_xfer_size);
    CHECK(back.max_dma_maps == c.max_dma_maps);
    CHECK(back.pgsizes == c.pgsizes);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vidxd_vu_hdr hdr;
    struct proto_version v;
    struct proto_irq_set is;
    struct proto_region_access ra;
    struct vidxd_vu_dma_map map;
    struct vidxd_vu_dma_unmap unmap;
    struct vidxd_vu_region_info ri;
    struct vidxd_vu_sparse_area areas[4];
    const uint8_t *p;
    uint32_t a, b, nr;
    size_t n;

    if (proto_hdr_decode(data, size, &hdr) != 0) {
        return 0;
    }
    (void)proto_hdr_check_frame(&hdr, (uint32_t)size);
    (void)proto_hdr_check_command(&hdr);
    (void)proto_hdr_no_reply(&hdr);
    p = data + sizeof(hdr);
    n = size - sizeof(hdr);
    /* Copy the payload so that reads past its end hit ASan's redzone. */
    {
        uint8_t *copy = malloc(n ? n : 1);

        if (copy == NULL) {
            return 0;
        }
        memcpy(copy, p, n);
        p = copy;
    }
    if (proto_version_decode(p, n, &v) == 0 && v.json != NULL) {
        CHECK(v.json[v.json_len] == '\0');
        check_caps_roundtrip(v.json, v.json_len);
    }
    if (proto_dma_map_decode(p, n, &map) == 0) {
        CHECK(map.size != 0 && map.addr + (map.size - 1) >= map.addr);
    }
    if (proto_dma_unmap_decode(p, n, &unmap) == 0) {
        CHECK(unmap.flags == 0 || (unmap.addr == 0 && unmap.size == 0));
    }
    (void)proto_device_info_decode(p, n, &a);
    (void)proto_region_info_decode(p, n, &a, &b);
    (void)proto_irq_info_decode(p, n, &a, &b);
    if (proto_irq_set_decode(p, n, hdr.flags & 0xf, &is) == 0) {
        CHECK(is.count == 0 || is.start + (is.count - 1) >= is.start);
    }
    if (proto_region_access_decode(p, n, hdr.cmd & 1, hdr.error, &ra) == 0) {
        CHECK(ra.count != 0 && ra.count <= hdr.error);
        CHECK(ra.offset + (ra.count - 1) >= ra.offset);
        CHECK(!(hdr.cmd & 1) || ra.data + ra.count == p + n);
    }
    if (proto_region_info_reply_decode(p, n, &ri, areas, 4, &nr) == 0 &&
        (ri.flags & VFIO_REGION_INFO_FLAG_CAPS)) {
        CHECK(ri.cap_offset >= 32);
    }
    check_region_info_roundtrip(p, n);
    (void)proto_range_ok(hdr.msg_id, hdr.msg_size, hdr.error);
    free((void *)p);
    return 0;
}

/* ---- seed corpus --------------------------------------------------------- */

static void
put_seed(const char *dir, const char *name, uint16_t cmd, uint32_t flags,
         const void *payload, size_t len)
{
    struct vidxd_vu_hdr h;
    char path[4096];
    FILE *f;

    proto_hdr_init(&h, 1, cmd, (uint32_t)(sizeof(h) + len), flags, 0);
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "wb");
    if (f == NULL) {
        perror(path);
        exit(1);
    }
    fwrite(&h, sizeof(h), 1, f);
    fwrite(payload, len, 1, f);
    fclose(f);
}

static void
write_seeds(const char *dir)
{
    static const char json[] =
        "{\"capabilities\":{\"max_msg_fds\":16,\"max_data_xfer_size\":1048576,"
        "\"pgsizes\":4096,\"max_dma_maps\":65535,\"write_multiple\":true,"
        "\"migration\":{\"pgsize\":4096,\"max_bitmap_size\":268435456}}}";
    const struct vidxd_vu_sparse_area area = {0, 0x1000};
    const struct proto_region_desc d = {2, 7, 0x2000, 0, 1, &area};
    struct vidxd_vu_dma_map map = {32, 3, 0, 0x100000, 0x10000};
    struct vidxd_vu_dma_unmap unmap = {24, 2, 0, 0};
    struct vidxd_vu_irq_set set = {20, 0x24, 2, 0, 1};
    uint8_t buf[512];
    int n;

    mkdir(dir, 0755);
    memset(buf, 0, 4);
    memcpy(buf + 4, json, sizeof(json));
    put_seed(dir, "version", VIDXD_VU_CMD_VERSION, 0, buf, 4 + sizeof(json));
    put_seed(dir, "dma_map", VIDXD_VU_CMD_DMA_MAP, 0, &map, sizeof(map));
    put_seed(dir, "dma_unmap_all", VIDXD_VU_CMD_DMA_UNMAP, 0, &unmap,
             sizeof(unmap));
    put_seed(dir, "set_irqs", VIDXD_VU_CMD_DEVICE_SET_IRQS, 1, &set,
             sizeof(set));
    {
        struct vidxd_vu_region_access ra = {0x10, 0, 8};

        memcpy(buf, &ra, sizeof(ra));
        memcpy(buf + sizeof(ra), "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
        put_seed(dir, "region_write", VIDXD_VU_CMD_REGION_WRITE,
                 VIDXD_VU_F_NO_REPLY, buf, 24);
    }
    n = proto_region_info_encode(&d, 64, buf, sizeof(buf));
    if (n > 0) {
        put_seed(dir, "region_info_reply", VIDXD_VU_CMD_DEVICE_GET_REGION_INFO,
                 VIDXD_VU_F_TYPE_REPLY, buf, (size_t)n);
    }
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    int i;

    for (i = 1; i < *argc; i++) {
        if (strncmp((*argv)[i], "--write-seeds=", 14) == 0) {
            write_seeds((*argv)[i] + 14);
            exit(0);
        }
    }
    return 0;
}
