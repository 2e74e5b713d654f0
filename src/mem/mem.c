/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Address spaces (the mem layer): a sorted table of non-overlapping IOVA
 * mappings per PASID-tagged space, looked up by binary search.  All bounds
 * arithmetic is written so that no guest-supplied value can overflow it:
 * a range is checked as "offset within mapping" and "length left in
 * mapping", never as iova + len.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "vidxd/mem.h"

struct as_map {
    uint64_t iova;
    uint64_t last; /* inclusive, so a map may end at 2^64 - 1 */
    uint8_t *host;
    unsigned prot;
};

struct vidxd_as {
    pthread_rwlock_t lock;
    uint32_t pasid;
    size_t n;
    size_t cap;
    struct as_map *maps;
};

int
vidxd_as_create(uint32_t pasid, struct vidxd_as **out)
{
    struct vidxd_as *as;
    pthread_rwlockattr_t attr;

    if (pasid > 0xfffffu) {
        return -EINVAL;
    }
    as = calloc(1, sizeof(*as));
    if (as == NULL) {
        return -ENOMEM;
    }
    /* Writers (unmap) must not starve behind a busy engine. */
    pthread_rwlockattr_init(&attr);
    pthread_rwlockattr_setkind_np(&attr,
                                  PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&as->lock, &attr);
    pthread_rwlockattr_destroy(&attr);
    as->pasid = pasid;
    *out = as;
    return 0;
}

void
vidxd_as_destroy(struct vidxd_as *as)
{
    if (as == NULL) {
        return;
    }
    pthread_rwlock_destroy(&as->lock);
    free(as->maps);
    free(as);
}

uint32_t
vidxd_as_pasid(const struct vidxd_as *as)
{
    return as->pasid;
}

/* Index of the first mapping whose last byte is >= iova. */
static size_t
lower_bound(const struct vidxd_as *as, uint64_t iova)
{
    size_t lo = 0, hi = as->n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (as->maps[mid].last < iova) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

int
vidxd_as_map(struct vidxd_as *as, uint64_t iova, uint64_t len, void *host,
             unsigned prot)
{
    uint64_t last;
    size_t i;
    int rc = 0;

    if (len == 0 || iova > UINT64_MAX - (len - 1) ||
        (prot & ~(VIDXD_MEM_READ | VIDXD_MEM_WRITE)) != 0) {
        return -EINVAL;
    }
    last = iova + (len - 1);
    pthread_rwlock_wrlock(&as->lock);
    i = lower_bound(as, iova);
    if (i < as->n && as->maps[i].iova <= last) {
        rc = -EEXIST;
        goto out;
    }
    if (as->n == as->cap) {
        size_t ncap = as->cap ? as->cap * 2 : 8;
        struct as_map *m = realloc(as->maps, ncap * sizeof(*m));
        if (m == NULL) {
            rc = -ENOMEM;
            goto out;
        }
        as->maps = m;
        as->cap = ncap;
    }
    memmove(&as->maps[i + 1], &as->maps[i], (as->n - i) * sizeof(*as->maps));
    as->maps[i] = (struct as_map){iova, last, host, prot};
    as->n++;
out:
    pthread_rwlock_unlock(&as->lock);
    return rc;
}

int
vidxd_as_unmap(struct vidxd_as *as, uint64_t iova, uint64_t len,
               void **host_out)
{
    size_t i;
    int rc = -ENOENT;

    if (len == 0 || iova > UINT64_MAX - (len - 1)) {
        return -EINVAL;
    }
    pthread_rwlock_wrlock(&as->lock);
    i = lower_bound(as, iova);
    if (i < as->n && as->maps[i].iova == iova &&
        as->maps[i].last == iova + (len - 1)) {
        if (host_out != NULL) {
            *host_out = as->maps[i].host;
        }
        memmove(&as->maps[i], &as->maps[i + 1],
                (as->n - i - 1) * sizeof(*as->maps));
        as->n--;
        rc = 0;
    }
    pthread_rwlock_unlock(&as->lock);
    return rc;
}

void
vidxd_as_unmap_all(struct vidxd_as *as)
{
    pthread_rwlock_wrlock(&as->lock);
    as->n = 0;
    pthread_rwlock_unlock(&as->lock);
}

size_t
vidxd_as_count(struct vidxd_as *as)
{
    size_t n;

    pthread_rwlock_rdlock(&as->lock);
    n = as->n;
    pthread_rwlock_unlock(&as->lock);
    return n;
}

void
vidxd_as_enter(struct vidxd_as *as)
{
    pthread_rwlock_rdlock(&as->lock);
}

void
vidxd_as_leave(struct vidxd_as *as)
{
    pthread_rwlock_unlock(&as->lock);
}

void *
vidxd_as_translate(struct vidxd_as *as, uint64_t iova, uint64_t len,
                   unsigned prot, uint64_t *contig)
{
    const struct as_map *m;
    uint64_t left;
    size_t i;

    i = lower_bound(as, iova);
    if (i == as->n) {
        return NULL;
    }
    m = &as->maps[i];
    if (m->iova > iova || m->host == NULL || (m->prot & prot) != prot) {
        return NULL;
    }
    if (len == 0) {
        len = 1;
    }
    /* Bytes left in this mapping from iova, minus one to avoid overflow. */
    left = m->last - iova;
    *contig = (len - 1 <= left) ? len : left + 1;
    return m->host + (iova - m->iova);
}

static int
as_copy(struct vidxd_as *as, uint64_t iova, uint8_t *buf, size_t len,
        unsigned prot, uint64_t *fault_iova)
{
    while (len > 0) {
        uint64_t n;
        uint8_t *h = vidxd_as_translate(as, iova, len, prot, &n);

        if (h == NULL) {
            if (fault_iova != NULL) {
                *fault_iova = iova;
            }
            return -EFAULT;
        }
        if (prot == VIDXD_MEM_WRITE) {
            memcpy(h, buf, n);
        } else {
            memcpy(buf, h, n);
        }
        buf += n;
        len -= n;
        /* A copy that reaches the top of the IOVA space cannot go on. */
        if (len > 0 && iova > UINT64_MAX - n) {
            if (fault_iova != NULL) {
                *fault_iova = 0;
            }
            return -EFAULT;
        }
        iova += n;
    }
    return 0;
}

int
vidxd_as_read(struct vidxd_as *as, uint64_t iova, void *dst, size_t len,
              uint64_t *fault_iova)
{
    return as_copy(as, iova, dst, len, VIDXD_MEM_READ, fault_iova);
}

int
vidxd_as_write(struct vidxd_as *as, uint64_t iova, const void *src,
               size_t len, uint64_t *fault_iova)
{
    return as_copy(as, iova, (uint8_t *)src, len, VIDXD_MEM_WRITE, fault_iova);
}
