/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DEVICE_GET_REGION_INFO: the request decoder, the reply encoder with the
 * sparse-mmap capability chain and the argsz truncation rule, and a reply
 * decoder for clients that walks a capability chain it does not trust
 * (reference/vfio-user.md §1.3).
 */
#include <errno.h>
#include <string.h>

#include "proto/proto.h"

int
proto_region_info_decode(const uint8_t *p, size_t n, uint32_t *index,
                         uint32_t *argsz)
{
    struct vidxd_vu_region_info ri;

    if (proto_fixed_decode(p, n, &ri, sizeof(ri)) != 0) {
        return -EINVAL;
    }
    *index = ri.index;
    *argsz = ri.argsz;
    return 0;
}

size_t
proto_region_info_full_size(const struct proto_region_desc *d)
{
    size_t n = sizeof(struct vidxd_vu_region_info);

    if (d->nr_areas != 0) {
        n += sizeof(struct vidxd_vu_sparse_mmap) +
             (size_t)d->nr_areas * sizeof(struct vidxd_vu_sparse_area);
    }
    return n;
}

int
proto_region_info_encode(const struct proto_region_desc *d,
                         uint32_t req_argsz, uint8_t *buf, size_t cap)
{
    struct vidxd_vu_region_info ri;
    size_t full = proto_region_info_full_size(d);
    size_t len;

    if (full > UINT32_MAX || req_argsz < sizeof(ri)) {
        return -EINVAL;
    }
    /* §1.3: send min(full, argsz) bytes and report the full size. */
    len = full < req_argsz ? full : req_argsz;
    if (len > cap) {
        return -ENOSPC;
    }
    memset(&ri, 0, sizeof(ri));
    ri.argsz = (uint32_t)full;
    ri.flags = d->flags & ~(uint32_t)VFIO_REGION_INFO_FLAG_CAPS;
    ri.index = d->index;
    ri.size = d->size;
    ri.offset = d->offset;
    if (d->nr_areas != 0 && len == full) {
        struct vidxd_vu_sparse_mmap sp;

        /* The capability is announced only when all of it is sent. */
        ri.flags |= VFIO_REGION_INFO_FLAG_CAPS;
        ri.cap_offset = sizeof(ri);
        memset(&sp, 0, sizeof(sp));
        sp.header.id = VFIO_REGION_INFO_CAP_SPARSE_MMAP;
        sp.header.version = 1;
        sp.header.next = 0;
        sp.nr_areas = d->nr_areas;
        memcpy(buf + sizeof(ri), &sp, sizeof(sp));
        memcpy(buf + sizeof(ri) + sizeof(sp), d->areas,
               (size_t)d->nr_areas * sizeof(*d->areas));
    }
    memcpy(buf, &ri, sizeof(ri));
    return (int)len;
}

int
proto_region_info_reply_decode(const uint8_t *p, size_t n,
                               struct vidxd_vu_region_info *ri,
                               struct vidxd_vu_sparse_area *areas,
                               uint32_t max_areas, uint32_t *nr_areas)
{
    size_t off;

    *nr_areas = 0;
    if (n < sizeof(*ri)) {
        return -EINVAL;
    }
    memcpy(ri, p, sizeof(*ri));
    if (ri->argsz < sizeof(*ri)) {
        return -EINVAL;
    }
    if (!(ri->flags & VFIO_REGION_INFO_FLAG_CAPS)) {
        return 0;
    }
    /* §2.4: QEMU wants cap_offset >= 32 and inside argsz. */
    off = ri->cap_offset;
    if (off < sizeof(*ri)) {
        return -EINVAL;
    }
    while (off != 0) {
        struct vidxd_vu_cap_hdr ch;

        if (off > n || n - off < sizeof(ch)) {
            return -EINVAL;
        }
        memcpy(&ch, p + off, sizeof(ch));
        if (ch.id == VFIO_REGION_INFO_CAP_SPARSE_MMAP) {
            struct vidxd_vu_sparse_mmap sp;
            size_t room;
            uint32_t i;

            if (n - off < sizeof(sp) || ch.version != 1) {
                return -EINVAL;
            }
            memcpy(&sp, p + off, sizeof(sp));
            room = (n - off - sizeof(sp)) / sizeof(*areas);
            if (sp.nr_areas > room) {
                return -EINVAL;
            }
            *nr_areas = sp.nr_areas;
            for (i = 0; i < sp.nr_areas && i < max_areas; i++) {
                memcpy(&areas[i],
                       p + off + sizeof(sp) + (size_t)i * sizeof(*areas),
                       sizeof(*areas));
            }
        }
        /* Strictly increasing offsets: a chain cannot loop. */
        if (ch.next != 0 && ch.next <= off) {
            return -EINVAL;
        }
        off = ch.next;
    }
    return 0;
}
