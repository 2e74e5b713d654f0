/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Device description and region access: DEVICE_GET_INFO, GET_REGION_INFO
 * (with the sparse-mmap capability and the region fd), REGION_READ/WRITE
 * routed to the function's config or BAR handlers after bounds checks, and
 * DEVICE_RESET (reference/vfio-user.md §1.3, §2.3-§2.6, §6
 * "Device/regions").
 */
#include <errno.h>
#include <string.h>

#include "server/server_priv.h"
#include "vidxd/log.h"

/* Validate what the device declared for region @i (a programmer error). */
static int
region_check(uint32_t i, const struct vidxd_region_info *ri)
{
    const uint32_t known =
        VIDXD_REGION_READ | VIDXD_REGION_WRITE | VIDXD_REGION_MMAP;
    uint32_t a;

    if ((ri->flags & ~known) != 0 || ri->nr_areas > VIDXD_REGION_MAX_AREAS) {
        return -EINVAL;
    }
    if (ri->size == 0) {
        return (ri->flags == 0 && ri->nr_areas == 0) ? 0 : -EINVAL;
    }
    if (i == VIDXD_PCI_REGION_ROM || i == VIDXD_PCI_REGION_VGA) {
        return -EINVAL;
    }
    if (i == VIDXD_PCI_REGION_CONFIG &&
        (ri->size < 256 || ri->size > 4096 ||
         ri->flags != (VIDXD_REGION_READ | VIDXD_REGION_WRITE))) {
        return -EINVAL;
    }
    if (!(ri->flags & (VIDXD_REGION_READ | VIDXD_REGION_WRITE))) {
        return -EINVAL;
    }
    if ((ri->flags & VIDXD_REGION_MMAP) ? ri->fd < 0 : ri->nr_areas != 0) {
        return -EINVAL;
    }
    for (a = 0; a < ri->nr_areas; a++) {
        if (ri->areas[a].size == 0 ||
            !proto_range_ok(ri->areas[a].offset, ri->areas[a].size,
                            ri->size)) {
            return -EINVAL;
        }
    }
    return 0;
}

int
server_regions_load(struct vidxd_server *srv)
{
    uint32_t i;
    int rc;

    for (i = 0; i < VIDXD_PCI_NUM_REGIONS; i++) {
        struct vidxd_region_info *ri = &srv->regions[i];

        memset(ri, 0, sizeof(*ri));
        ri->fd = -1;
        rc = srv->ops->region_info(srv->opaque, i, ri);
        if (rc == 0) {
            rc = region_check(i, ri);
        }
        if (rc < 0) {
            VIDXD_ERR(SERVER_LOG, "%s: bad description of region %u",
                      srv->name, i);
            return -EINVAL;
        }
        if (i < VIDXD_PCI_REGION_ROM && ri->size != 0 &&
            (srv->ops->bar_read == NULL || srv->ops->bar_write == NULL)) {
            return -EINVAL;
        }
    }
    if (srv->regions[VIDXD_PCI_REGION_CONFIG].size == 0) {
        return -EINVAL;
    }
    return 0;
}

int
server_device_info(struct vidxd_server *srv, const uint8_t *p, size_t n,
                   struct transport_msg *msg, struct reply *r)
{
    struct vidxd_vu_device_info info;
    uint32_t argsz;
    int rc;

    (void)msg;
    rc = proto_device_info_decode(p, n, &argsz);
    if (rc < 0) {
        return rc;
    }
    /* §6: flags PCI|RESET, 9 regions, 5 IRQ indexes (libvfio-user's). */
    info.argsz = sizeof(info);
    info.flags = VFIO_DEVICE_FLAGS_PCI |
                 (srv->ops->reset != NULL ? VFIO_DEVICE_FLAGS_RESET : 0);
    info.num_regions = VIDXD_PCI_NUM_REGIONS;
    info.num_irqs = VIDXD_PCI_NUM_IRQS;
    return server_reply_copy(srv, r, &info, sizeof(info));
}

int
server_region_info(struct vidxd_server *srv, const uint8_t *p, size_t n,
                   struct transport_msg *msg, struct reply *r)
{
    struct vidxd_vu_sparse_area areas[VIDXD_REGION_MAX_AREAS];
    struct proto_region_desc d = {0};
    const struct vidxd_region_info *ri;
    uint32_t index, argsz, a;
    size_t full;
    uint8_t *buf;
    int rc;

    (void)msg;
    rc = proto_region_info_decode(p, n, &index, &argsz);
    if (rc < 0) {
        return rc;
    }
    if (index >= VIDXD_PCI_NUM_REGIONS) {
        return -EINVAL;
    }
    ri = &srv->regions[index];
    d.index = index;
    d.flags = ri->flags;
    d.size = ri->size;
    /* A client that takes no fds (max_msg_fds 0) gets a trapped region. */
    if ((ri->flags & VIDXD_REGION_MMAP) && srv->client.max_msg_fds > 0) {
        d.offset = ri->fd_offset;
        d.nr_areas = ri->nr_areas;
        for (a = 0; a < ri->nr_areas; a++) {
            areas[a].offset = ri->areas[a].offset;
            areas[a].size = ri->areas[a].size;
        }
        d.areas = areas;
        r->fd = ri->fd;
    } else {
        d.flags &= ~(uint32_t)VIDXD_REGION_MMAP;
    }
    full = proto_region_info_full_size(&d);
    buf = server_reply_buf(srv, full);
    if (buf == NULL) {
        return -ENOMEM;
    }
    rc = proto_region_info_encode(&d, argsz, buf, full);
    if (rc < 0) {
        return rc;
    }
    r->payload = buf;
    r->len = (size_t)rc;
    return 0;
}

/*
 * Check an access to region @acc->region: it exists, allows the direction,
 * holds the range; BARs take 1, 2, 4 or 8 bytes (QEMU splits guest MMIO
 * into pieces of at most 8, §5).
 */
static int
access_check(const struct vidxd_server *srv,
             const struct proto_region_access *acc, bool write)
{
    const struct vidxd_region_info *ri;

    if (acc->region >= VIDXD_PCI_NUM_REGIONS) {
        return -EINVAL;
    }
    ri = &srv->regions[acc->region];
    if (!(ri->flags & (write ? VIDXD_REGION_WRITE : VIDXD_REGION_READ)) ||
        !proto_range_ok(acc->offset, acc->count, ri->size)) {
        return -EINVAL;
    }
    if (acc->region != VIDXD_PCI_REGION_CONFIG && acc->count != 1 &&
        acc->count != 2 && acc->count != 4 && acc->count != 8) {
        return -EINVAL;
    }
    return 0;
}

int
server_region_read(struct vidxd_server *srv, const uint8_t *p, size_t n,
                   struct transport_msg *msg, struct reply *r)
{
    struct proto_region_access acc;
    struct vidxd_vu_region_access out;
    uint8_t *buf;
    int rc;

    (void)msg;
    rc = proto_region_access_decode(p, n, false, srv->max_xfer, &acc);
    if (rc == 0) {
        rc = access_check(srv, &acc, false);
    }
    if (rc < 0) {
        return rc;
    }
    buf = server_reply_buf(srv, sizeof(out) + acc.count);
    if (buf == NULL) {
        return -ENOMEM;
    }
    /* Devices fill every byte; start from zeros so nothing stale leaks. */
    memset(buf + sizeof(out), 0, acc.count);
    if (acc.region == VIDXD_PCI_REGION_CONFIG) {
        rc = srv->ops->cfg_read(srv->opaque, (uint32_t)acc.offset,
                                buf + sizeof(out), acc.count);
    } else {
        rc = srv->ops->bar_read(srv->opaque, acc.region, acc.offset,
                                buf + sizeof(out), acc.count);
    }
    if (rc < 0) {
        return rc;
    }
    /* §1.3: QEMU requires the reply count to equal the request's. */
    out.offset = acc.offset;
    out.region = acc.region;
    out.count = acc.count;
    memcpy(buf, &out, sizeof(out));
    r->payload = buf;
    r->len = sizeof(out) + acc.count;
    return 0;
}

int
server_region_write(struct vidxd_server *srv, const uint8_t *p, size_t n,
                    struct transport_msg *msg, struct reply *r)
{
    struct proto_region_access acc;
    struct vidxd_vu_region_access out;
    int rc;

    (void)msg;
    rc = proto_region_access_decode(p, n, true, srv->max_xfer, &acc);
    if (rc == 0) {
        rc = access_check(srv, &acc, true);
    }
    if (rc < 0) {
        return rc;
    }
    if (acc.region == VIDXD_PCI_REGION_CONFIG) {
        rc = srv->ops->cfg_write(srv->opaque, (uint32_t)acc.offset, acc.data,
                                 acc.count);
    } else {
        rc = srv->ops->bar_write(srv->opaque, acc.region, acc.offset,
                                 acc.data, acc.count);
    }
    if (rc < 0) {
        return rc;
    }
    out.offset = acc.offset;
    out.region = acc.region;
    out.count = acc.count;
    return server_reply_copy(srv, r, &out, sizeof(out));
}

int
server_device_reset(struct vidxd_server *srv, const uint8_t *p, size_t n,
                    struct transport_msg *msg, struct reply *r)
{
    (void)p;
    (void)msg;
    (void)r;
    if (n != 0 || srv->ops->reset == NULL) {
        return -EINVAL;
    }
    return srv->ops->reset(srv->opaque);
}
