/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DMA_MAP / DMA_UNMAP: the table of guest memory windows the VMM gave, each
 * mmapped MAP_SHARED from its fd (or recorded without host memory) and
 * entered into the function's address space (reference/vfio-user.md §1.3
 * DMA_MAP/UNMAP, §2.8, §6 "DMA").  Unmap goes through the mem layer first,
 * which waits for in-flight device accesses, and munmaps after.  A file
 * that may shrink under the mapping is registered with the SIGBUS guard
 * (sigbus.c); a session whose file did shrink is ended (server_dma_lost).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <linux/magic.h>

#include "server/server_priv.h"
#include "vidxd/log.h"

/* Index of the first entry whose iova is >= @iova. */
static size_t
dma_lower_bound(const struct vidxd_server *srv, uint64_t iova)
{
    size_t lo = 0, hi = srv->dma_n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (srv->dma[mid].iova < iova) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

/* Page size of the file behind @fd: hugetlbfs pages or the base page. */
static uint64_t
fd_page_size(int fd)
{
    struct statfs sfs;

    if (fstatfs(fd, &sfs) == 0 && sfs.f_type == HUGETLBFS_MAGIC &&
        sfs.f_bsize > 0) {
        return (uint64_t)sfs.f_bsize;
    }
    return (uint64_t)sysconf(_SC_PAGESIZE);
}

/*
 * True if the file behind @fd can never shrink: a memfd sealed with
 * F_SEAL_SHRINK (QEMU's memory-backend-memfd seals it by default).  Not on
 * hugetlbfs, where a fault can also raise SIGBUS when no huge page is left.
 */
static bool
fd_cannot_shrink(int fd, uint64_t page)
{
    int seals = fcntl(fd, F_GET_SEALS);

    return seals >= 0 && (seals & F_SEAL_SHRINK) != 0 &&
           page == (uint64_t)sysconf(_SC_PAGESIZE);
}

/*
 * mmap [offset, offset + size) of @fd.  The file must be a regular file at
 * least that long: touching a mapping past end of file raises SIGBUS in
 * the server, which a client must not be able to cause.  A file that may
 * shrink later is accepted (memory-backend-file share=on is legitimate)
 * and registered with the SIGBUS guard, which wakes @wake_fd if it does.
 */
static int
dma_mmap(int fd, const struct vidxd_vu_dma_map *m, int wake_fd,
         struct dma_entry *e, void **host)
{
    struct stat st;
    uint64_t page, delta, len;
    int prot = PROT_NONE;
    void *base;
    int rc;

    if (fstat(fd, &st) < 0) {
        return -errno;
    }
    if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size < m->offset ||
        (uint64_t)st.st_size - m->offset < m->size) {
        return -EINVAL;
    }
    /* §2.8: round the offset down to the backing page size. */
    page = fd_page_size(fd);
    delta = m->offset % page;
    len = (m->size + delta + page - 1) / page * page;
    if (m->flags & VFIO_DMA_MAP_FLAG_READ) {
        prot |= PROT_READ;
    }
    if (m->flags & VFIO_DMA_MAP_FLAG_WRITE) {
        prot |= PROT_WRITE;
    }
    base = mmap(NULL, len, prot, MAP_SHARED, fd, (off_t)(m->offset - delta));
    if (base == MAP_FAILED) {
        return -errno;
    }
    if (!fd_cannot_shrink(fd, page)) {
        rc = server_sigbus_register(base, len, prot, wake_fd, &e->guard);
        if (rc < 0) {
            munmap(base, len);
            return rc;
        }
    }
    /* Guest RAM has no place in a core dump of the daemon. */
    madvise(base, len, MADV_DONTDUMP);
    e->map_base = base;
    e->map_len = len;
    *host = (uint8_t *)base + delta;
    return 0;
}

int
server_dma_map(struct vidxd_server *srv, const uint8_t *p, size_t n,
               struct transport_msg *msg, struct reply *r)
{
    struct vidxd_vu_dma_map m;
    struct dma_entry e = {0};
    struct vidxd_as *as;
    void *host = NULL;
    unsigned prot = 0;
    size_t i;
    int rc;

    (void)r;
    rc = proto_dma_map_decode(p, n, &m);
    if (rc < 0) {
        return rc;
    }
    /* Maps are in units of the advertised page size (pgsizes). */
    if ((m.addr | m.size | m.offset) % SERVER_DMA_PGSIZE != 0) {
        return -EINVAL;
    }
    if (srv->dma_n >= srv->max_dma_maps) {
        return -ENOSPC;
    }
    as = srv->ops->dma_as(srv->opaque);
    if (as == NULL) {
        return -ENODEV;
    }
    if (srv->dma_n == srv->dma_cap) {
        size_t ncap = srv->dma_cap ? srv->dma_cap * 2 : 16;
        struct dma_entry *nd = realloc(srv->dma, ncap * sizeof(*nd));

        if (nd == NULL) {
            return -ENOMEM;
        }
        srv->dma = nd;
        srv->dma_cap = ncap;
    }
    e.iova = m.addr;
    e.size = m.size;
    e.guard = -1;
    if (msg->nfds == 1) {
        rc = dma_mmap(msg->fds[0], &m, srv->guard_efd, &e, &host);
        if (rc < 0) {
            return rc;
        }
    }
    if (m.flags & VFIO_DMA_MAP_FLAG_READ) {
        prot |= VIDXD_MEM_READ;
    }
    if (m.flags & VFIO_DMA_MAP_FLAG_WRITE) {
        prot |= VIDXD_MEM_WRITE;
    }
    /* The mem layer refuses overlaps with EEXIST (§1.3). */
    rc = vidxd_as_map(as, m.addr, m.size, host, prot);
    if (rc < 0) {
        server_sigbus_unregister(e.guard);
        if (e.map_base != NULL) {
            munmap(e.map_base, e.map_len);
        }
        return rc;
    }
    i = dma_lower_bound(srv, m.addr);
    memmove(&srv->dma[i + 1], &srv->dma[i],
            (srv->dma_n - i) * sizeof(*srv->dma));
    srv->dma[i] = e;
    srv->dma_n++;
    VIDXD_LOG_RATELIMIT(LOG_DEBUG, SERVER_LOG,
                        "%s: dma map [%#llx, +%#llx) flags %#x %s", srv->name,
                        (unsigned long long)m.addr, (unsigned long long)m.size,
                        m.flags, host != NULL ? "mapped" : "no fd");
    return 0;
}

/* Remove entry @i: out of the address space first, then munmap. */
static void
dma_remove(struct vidxd_server *srv, size_t i)
{
    struct dma_entry e = srv->dma[i];
    struct vidxd_as *as = srv->ops->dma_as(srv->opaque);

    /* Waits until no device thread is inside the address space. */
    if (as != NULL) {
        vidxd_as_unmap(as, e.iova, e.size, NULL);
    }
    /* No device access to it is left: no fault can still be pending. */
    server_sigbus_unregister(e.guard);
    if (e.map_base != NULL) {
        munmap(e.map_base, e.map_len);
    }
    memmove(&srv->dma[i], &srv->dma[i + 1],
            (srv->dma_n - i - 1) * sizeof(*srv->dma));
    srv->dma_n--;
}

void
server_dma_unmap_all(struct vidxd_server *srv)
{
    while (srv->dma_n > 0) {
        dma_remove(srv, srv->dma_n - 1);
    }
}

/*
 * On the loop thread, after the SIGBUS guard woke us: true if a mapping of
 * this session lost its backing file (the VMM shrank it).  The guard has
 * put zero memory there, so the device read zeros and its writes went
 * nowhere the guest can see; the caller ends the session, as the VMM's
 * memory no longer backs its maps.
 */
bool
server_dma_lost(struct vidxd_server *srv)
{
    eventfd_t cnt;
    size_t i;

    eventfd_read(srv->guard_efd, &cnt);
    for (i = 0; i < srv->dma_n; i++) {
        const struct dma_entry *e = &srv->dma[i];

        if (server_sigbus_lost(e->guard)) {
            VIDXD_LOG_RATELIMIT(LOG_WARNING, SERVER_LOG,
                                "%s: guest memory [%#llx, +%#llx) lost its "
                                "backing (the VMM shrank the file it passed "
                                "with DMA_MAP); the device saw zeros there; "
                                "ending the session",
                                srv->name, (unsigned long long)e->iova,
                                (unsigned long long)e->size);
            return true;
        }
    }
    return false;
}

int
server_dma_unmap(struct vidxd_server *srv, const uint8_t *p, size_t n,
                 struct transport_msg *msg, struct reply *r)
{
    struct vidxd_vu_dma_unmap u;
    size_t i;
    int rc;

    (void)msg;
    rc = proto_dma_unmap_decode(p, n, &u);
    if (rc < 0) {
        return rc;
    }
    if (u.flags & VFIO_DMA_UNMAP_FLAG_ALL) {
        server_dma_unmap_all(srv);
    } else {
        /* §1.3: address and size must match a map exactly. */
        i = dma_lower_bound(srv, u.addr);
        if (i == srv->dma_n || srv->dma[i].iova != u.addr ||
            srv->dma[i].size != u.size) {
            return -ENOENT;
        }
        dma_remove(srv, i);
    }
    /* The reply carries the request's entry back (§1.3); argsz >= 24. */
    r->payload = server_reply_buf(srv, sizeof(u));
    if (r->payload == NULL) {
        return -ENOMEM;
    }
    memcpy((void *)r->payload, &u, sizeof(u));
    r->len = sizeof(u);
    return 0;
}
