/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Decoders for the message header and the fixed-layout vfio-user requests
 * (DMA_MAP/UNMAP, GET_INFO, GET_IRQ_INFO, SET_IRQS, REGION_READ/WRITE).
 * Every payload is copied out with memcpy (the receive buffer has no
 * alignment guarantee) and checked before any field is trusted; sums are
 * written as "a <= limit - b" so that no client value can overflow them.
 */
#include <errno.h>
#include <string.h>

#include "proto/proto.h"

void
proto_hdr_init(struct vidxd_vu_hdr *hdr, uint16_t msg_id, uint16_t cmd,
               uint32_t size, uint32_t flags, uint32_t error)
{
    hdr->msg_id = msg_id;
    hdr->cmd = cmd;
    hdr->msg_size = size;
    hdr->flags = flags;
    hdr->error = error;
}

int
proto_hdr_decode(const void *buf, size_t len, struct vidxd_vu_hdr *hdr)
{
    if (buf == NULL || len < sizeof(*hdr)) {
        return -EINVAL;
    }
    memcpy(hdr, buf, sizeof(*hdr));
    return 0;
}

int
proto_hdr_check_frame(const struct vidxd_vu_hdr *hdr, uint32_t max_size)
{
    /* §1.1: the size covers the header, so anything smaller is corrupt. */
    if (hdr->msg_size < sizeof(*hdr) || hdr->msg_size > max_size) {
        return -EPROTO;
    }
    return 0;
}

int
proto_hdr_check_command(const struct vidxd_vu_hdr *hdr)
{
    /*
     * The server sends no requests, so a reply (or an undefined type) means
     * the peer lost track of the stream (§1.1, rust-vmm/vfio #141).
     */
    if ((hdr->flags & VIDXD_VU_F_TYPE_MASK) != VIDXD_VU_F_TYPE_COMMAND) {
        return -EPROTO;
    }
    if ((hdr->flags & VIDXD_VU_F_ERROR) != 0) {
        return -EINVAL;
    }
    return 0;
}

bool
proto_hdr_no_reply(const struct vidxd_vu_hdr *hdr)
{
    return (hdr->flags & VIDXD_VU_F_NO_REPLY) != 0;
}

bool
proto_range_ok(uint64_t off, uint64_t len, uint64_t size)
{
    return len <= size && off <= size - len;
}

_Static_assert(offsetof(struct vidxd_vu_dma_map, argsz) == 0 &&
                   offsetof(struct vidxd_vu_dma_unmap, argsz) == 0 &&
                   offsetof(struct vidxd_vu_device_info, argsz) == 0 &&
                   offsetof(struct vidxd_vu_irq_info, argsz) == 0 &&
                   offsetof(struct vidxd_vu_region_info, argsz) == 0,
               "proto_fixed_decode() reads argsz at offset 0");

int
proto_fixed_decode(const uint8_t *p, size_t n, void *out, size_t size)
{
    uint32_t argsz;

    if (n != size) {
        return -EINVAL;
    }
    memcpy(out, p, size);
    memcpy(&argsz, p, sizeof(argsz));
    return argsz < size ? -EINVAL : 0;
}

/* [start, start + len) with len != 0 does not pass 2^64. */
static bool
no_wrap(uint64_t start, uint64_t len)
{
    return len != 0 && start <= UINT64_MAX - (len - 1);
}

int
proto_dma_map_decode(const uint8_t *p, size_t n, struct vidxd_vu_dma_map *map)
{
    const uint32_t known = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;

    if (proto_fixed_decode(p, n, map, sizeof(*map)) != 0 ||
        (map->flags & ~known) != 0) {
        return -EINVAL;
    }
    if (!no_wrap(map->addr, map->size) || !no_wrap(map->offset, map->size)) {
        return -EINVAL;
    }
    /* The offset is handed to mmap() as an off_t. */
    if (map->offset > (uint64_t)INT64_MAX - (map->size - 1)) {
        return -EINVAL;
    }
    return 0;
}

int
proto_dma_unmap_decode(const uint8_t *p, size_t n,
                       struct vidxd_vu_dma_unmap *unmap)
{
    if (proto_fixed_decode(p, n, unmap, sizeof(*unmap)) != 0) {
        return -EINVAL;
    }
    /* §1.3: QEMU's unmap_all is flags ALL with address = size = 0. */
    if (unmap->flags == VFIO_DMA_UNMAP_FLAG_ALL) {
        return (unmap->addr == 0 && unmap->size == 0) ? 0 : -EINVAL;
    }
    if (unmap->flags != 0 || !no_wrap(unmap->addr, unmap->size)) {
        return -EINVAL;
    }
    return 0;
}

int
proto_device_info_decode(const uint8_t *p, size_t n, uint32_t *argsz)
{
    struct vidxd_vu_device_info info;

    if (proto_fixed_decode(p, n, &info, sizeof(info)) != 0) {
        return -EINVAL;
    }
    *argsz = info.argsz;
    return 0;
}

int
proto_irq_info_decode(const uint8_t *p, size_t n, uint32_t *index,
                      uint32_t *argsz)
{
    struct vidxd_vu_irq_info info;

    if (proto_fixed_decode(p, n, &info, sizeof(info)) != 0) {
        return -EINVAL;
    }
    *index = info.index;
    *argsz = info.argsz;
    return 0;
}

/* Exactly one bit of @mask is set in @v. */
static bool
one_of(uint32_t v, uint32_t mask)
{
    v &= mask;
    return v != 0 && (v & (v - 1)) == 0;
}

int
proto_irq_set_decode(const uint8_t *p, size_t n, size_t nfds,
                     struct proto_irq_set *set)
{
    const uint32_t known =
        VFIO_IRQ_SET_DATA_TYPE_MASK | VFIO_IRQ_SET_ACTION_TYPE_MASK;
    struct vidxd_vu_irq_set raw;
    size_t want;

    if (n < sizeof(raw)) {
        return -EINVAL;
    }
    memcpy(&raw, p, sizeof(raw));
    if (raw.argsz < sizeof(raw) || (raw.flags & ~known) != 0 ||
        !one_of(raw.flags, VFIO_IRQ_SET_DATA_TYPE_MASK) ||
        !one_of(raw.flags, VFIO_IRQ_SET_ACTION_TYPE_MASK)) {
        return -EINVAL;
    }
    /* QEMU sends argsz 20 even with fds attached (§1.3): check n only. */
    want = sizeof(raw);
    if (raw.flags & VFIO_IRQ_SET_DATA_BOOL) {
        want += raw.count;
    }
    if (n != want) {
        return -EINVAL;
    }
    if (raw.count == 0) {
        /* Only "disable every vector of the index" takes count 0. */
        if (raw.flags != (VFIO_IRQ_SET_DATA_NONE |
                          VFIO_IRQ_SET_ACTION_TRIGGER) ||
            raw.start != 0 || nfds != 0) {
            return -EINVAL;
        }
    } else if (raw.start > UINT32_MAX - (raw.count - 1)) {
        return -EINVAL;
    }
    /* Eventfds travel as SCM_RIGHTS, one per vector, or none (de-assign). */
    if (nfds != 0 &&
        (!(raw.flags & VFIO_IRQ_SET_DATA_EVENTFD) || nfds != raw.count)) {
        return -EINVAL;
    }
    set->flags = raw.flags;
    set->index = raw.index;
    set->start = raw.start;
    set->count = raw.count;
    set->bools = (raw.flags & VFIO_IRQ_SET_DATA_BOOL) ? p + sizeof(raw) : NULL;
    return 0;
}

int
proto_region_access_decode(const uint8_t *p, size_t n, bool write,
                           uint32_t max_xfer, struct proto_region_access *acc)
{
    struct vidxd_vu_region_access raw;

    if (n < sizeof(raw)) {
        return -EINVAL;
    }
    memcpy(&raw, p, sizeof(raw));
    if (raw.count == 0) {
        return -EINVAL;
    }
    /* §1.3: count must not exceed the advertised max_data_xfer_size. */
    if (raw.count > max_xfer) {
        return -E2BIG;
    }
    if (n - sizeof(raw) != (write ? raw.count : 0)) {
        return -EINVAL;
    }
    if (!no_wrap(raw.offset, raw.count)) {
        return -EINVAL;
    }
    acc->offset = raw.offset;
    acc->region = raw.region;
    acc->count = raw.count;
    acc->data = write ? p + sizeof(raw) : NULL;
    return 0;
}
