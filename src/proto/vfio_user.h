/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vfio-user wire format: the 16-byte message header, command numbers, and
 * the payload layouts of every command the vidxd server handles
 * (reference/vfio-user.md §1.1-§1.4).  Spec-mirror style: field names follow
 * the specification, every struct carries static assertions on its size and
 * offsets, and the VFIO flag/index constants come from <linux/vfio.h> (the
 * protocol reuses them verbatim).  All data is in host byte order (§1.1).
 * This header holds no code and no state.
 */
#ifndef VIDXD_PROTO_VFIO_USER_H
#define VIDXD_PROTO_VFIO_USER_H

#include <stddef.h>
#include <stdint.h>

#include <linux/vfio.h>

/* §1.2 command numbers. */
enum vidxd_vu_cmd {
    VIDXD_VU_CMD_VERSION = 1,
    VIDXD_VU_CMD_DMA_MAP = 2,
    VIDXD_VU_CMD_DMA_UNMAP = 3,
    VIDXD_VU_CMD_DEVICE_GET_INFO = 4,
    VIDXD_VU_CMD_DEVICE_GET_REGION_INFO = 5,
    VIDXD_VU_CMD_DEVICE_GET_REGION_IO_FDS = 6,
    VIDXD_VU_CMD_DEVICE_GET_IRQ_INFO = 7,
    VIDXD_VU_CMD_DEVICE_SET_IRQS = 8,
    VIDXD_VU_CMD_REGION_READ = 9,
    VIDXD_VU_CMD_REGION_WRITE = 10,
    VIDXD_VU_CMD_DMA_READ = 11,
    VIDXD_VU_CMD_DMA_WRITE = 12,
    VIDXD_VU_CMD_DEVICE_RESET = 13,
    VIDXD_VU_CMD_DIRTY_PAGES = 14, /* obsolete */
    VIDXD_VU_CMD_REGION_WRITE_MULTI = 15,
    VIDXD_VU_CMD_DEVICE_FEATURE = 16,
    VIDXD_VU_CMD_MIG_DATA_READ = 17,
    VIDXD_VU_CMD_MIG_DATA_WRITE = 18,
};

/* §1.1 header flags. */
#define VIDXD_VU_F_TYPE_MASK 0xfu
#define VIDXD_VU_F_TYPE_COMMAND 0x0u
#define VIDXD_VU_F_TYPE_REPLY 0x1u
#define VIDXD_VU_F_NO_REPLY 0x10u
#define VIDXD_VU_F_ERROR 0x20u

/* §1.3 VERSION: the only protocol version there is (QEMU rejects others). */
#define VIDXD_VU_MAJOR 0
#define VIDXD_VU_MINOR 0

/* §1.3 VERSION capability defaults when a peer omits them. */
#define VIDXD_VU_DEFAULT_MAX_MSG_FDS 1u
#define VIDXD_VU_DEFAULT_MAX_DATA_XFER 1048576u
#define VIDXD_VU_DEFAULT_MAX_DMA_MAPS 65535u
#define VIDXD_VU_DEFAULT_PGSIZES 4096u

/* §1.1 message header. */
struct vidxd_vu_hdr {
    uint16_t msg_id;
    uint16_t cmd;
    uint32_t msg_size; /* whole message, header included */
    uint32_t flags;
    uint32_t error; /* errno in an error reply, 0 otherwise */
};
_Static_assert(sizeof(struct vidxd_vu_hdr) == 16, "header");
_Static_assert(offsetof(struct vidxd_vu_hdr, cmd) == 2, "hdr.cmd");
_Static_assert(offsetof(struct vidxd_vu_hdr, msg_size) == 4, "hdr.size");
_Static_assert(offsetof(struct vidxd_vu_hdr, flags) == 8, "hdr.flags");
_Static_assert(offsetof(struct vidxd_vu_hdr, error) == 12, "hdr.error");

/* §1.3 VERSION (request and reply); NUL-terminated JSON follows. */
struct vidxd_vu_version {
    uint16_t major;
    uint16_t minor;
};
_Static_assert(sizeof(struct vidxd_vu_version) == 4, "version");

/* §1.3 DMA_MAP request payload. */
struct vidxd_vu_dma_map {
    uint32_t argsz;
    uint32_t flags; /* VFIO_DMA_MAP_FLAG_READ | _WRITE */
    uint64_t offset; /* into the passed fd */
    uint64_t addr; /* IOVA */
    uint64_t size;
};
_Static_assert(sizeof(struct vidxd_vu_dma_map) == 32, "dma_map");
_Static_assert(offsetof(struct vidxd_vu_dma_map, offset) == 8, "map.offset");
_Static_assert(offsetof(struct vidxd_vu_dma_map, addr) == 16, "map.addr");
_Static_assert(offsetof(struct vidxd_vu_dma_map, size) == 24, "map.size");

/* §1.3 DMA_UNMAP request and reply payload. */
struct vidxd_vu_dma_unmap {
    uint32_t argsz;
    uint32_t flags; /* 0 or VFIO_DMA_UNMAP_FLAG_ALL */
    uint64_t addr;
    uint64_t size;
};
_Static_assert(sizeof(struct vidxd_vu_dma_unmap) == 24, "dma_unmap");
_Static_assert(offsetof(struct vidxd_vu_dma_unmap, addr) == 8, "unmap.addr");
_Static_assert(offsetof(struct vidxd_vu_dma_unmap, size) == 16, "unmap.size");

/* §1.3 DEVICE_GET_INFO request and reply (= struct vfio_device_info). */
struct vidxd_vu_device_info {
    uint32_t argsz;
    uint32_t flags; /* VFIO_DEVICE_FLAGS_RESET | _PCI */
    uint32_t num_regions;
    uint32_t num_irqs;
};
_Static_assert(sizeof(struct vidxd_vu_device_info) == 16, "device_info");
_Static_assert(offsetof(struct vidxd_vu_device_info, num_irqs) == 12,
               "info.num_irqs");

/* §1.3 DEVICE_GET_REGION_INFO (= struct vfio_region_info). */
struct vidxd_vu_region_info {
    uint32_t argsz;
    uint32_t flags; /* VFIO_REGION_INFO_FLAG_* */
    uint32_t index;
    uint32_t cap_offset; /* from the start of this struct */
    uint64_t size;
    uint64_t offset; /* mmap offset in the region fd */
};
_Static_assert(sizeof(struct vidxd_vu_region_info) == 32, "region_info");
_Static_assert(offsetof(struct vidxd_vu_region_info, index) == 8, "ri.index");
_Static_assert(offsetof(struct vidxd_vu_region_info, cap_offset) == 12,
               "ri.cap_offset");
_Static_assert(offsetof(struct vidxd_vu_region_info, size) == 16, "ri.size");
_Static_assert(offsetof(struct vidxd_vu_region_info, offset) == 24,
               "ri.offset");

/* §1.3 capability chain header (= struct vfio_info_cap_header). */
struct vidxd_vu_cap_hdr {
    uint16_t id;
    uint16_t version;
    uint32_t next; /* from the start of the region-info struct; 0 ends */
};
_Static_assert(sizeof(struct vidxd_vu_cap_hdr) == 8, "cap_hdr");

/* §1.3 sparse-mmap capability (id VFIO_REGION_INFO_CAP_SPARSE_MMAP, v1). */
struct vidxd_vu_sparse_area {
    uint64_t offset;
    uint64_t size;
};
_Static_assert(sizeof(struct vidxd_vu_sparse_area) == 16, "sparse_area");

struct vidxd_vu_sparse_mmap {
    struct vidxd_vu_cap_hdr header;
    uint32_t nr_areas;
    uint32_t reserved;
    /* struct vidxd_vu_sparse_area areas[nr_areas] follows */
};
_Static_assert(sizeof(struct vidxd_vu_sparse_mmap) == 16, "sparse_mmap");
_Static_assert(offsetof(struct vidxd_vu_sparse_mmap, nr_areas) == 8,
               "sparse.nr_areas");
_Static_assert(sizeof(struct vidxd_vu_sparse_mmap) ==
                   sizeof(struct vfio_region_info_cap_sparse_mmap),
               "sparse mmap mirrors linux/vfio.h");

/* §1.3 DEVICE_GET_IRQ_INFO (= struct vfio_irq_info). */
struct vidxd_vu_irq_info {
    uint32_t argsz;
    uint32_t flags; /* VFIO_IRQ_INFO_* */
    uint32_t index;
    uint32_t count;
};
_Static_assert(sizeof(struct vidxd_vu_irq_info) == 16, "irq_info");
_Static_assert(offsetof(struct vidxd_vu_irq_info, count) == 12, "irq.count");

/* §1.3 DEVICE_SET_IRQS (= struct vfio_irq_set); DATA_BOOL bytes follow. */
struct vidxd_vu_irq_set {
    uint32_t argsz;
    uint32_t flags; /* one VFIO_IRQ_SET_DATA_* | one VFIO_IRQ_SET_ACTION_* */
    uint32_t index;
    uint32_t start;
    uint32_t count;
};
_Static_assert(sizeof(struct vidxd_vu_irq_set) == 20, "irq_set");
_Static_assert(offsetof(struct vidxd_vu_irq_set, start) == 12, "set.start");
_Static_assert(offsetof(struct vidxd_vu_irq_set, count) == 16, "set.count");

/* §1.3 REGION_READ / REGION_WRITE (request and reply); data follows. */
struct vidxd_vu_region_access {
    uint64_t offset;
    uint32_t region;
    uint32_t count;
};
_Static_assert(sizeof(struct vidxd_vu_region_access) == 16, "region_access");
_Static_assert(offsetof(struct vidxd_vu_region_access, region) == 8,
               "access.region");
_Static_assert(offsetof(struct vidxd_vu_region_access, count) == 12,
               "access.count");

/* The largest fixed part of any request the server takes. */
#define VIDXD_VU_MAX_FIXED_PAYLOAD 32u

#endif /* VIDXD_PROTO_VFIO_USER_H */
