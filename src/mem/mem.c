/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Address spaces (the mem layer): a sorted table of non-overlapping IOVA
 * mappings per PASID-tagged space, looked up by binary search.  All bounds
 * arithmetic is written so that no guest-supplied value can overflow it:
 * a range is checked as "offset within mapping" and "length left in
 * mapping", never as iova + len.
 *
 * Translation is on every descriptor's path, so each thread keeps a small
 * cache of the mappings it last hit.  A cache belongs to one (space,
 * generation) pair: every change of a table (map, unmap) takes the write
 * lock and gives the space a new generation drawn from one process-wide
 * counter, so a reader inside vidxd_as_enter/leave that finds its
 * generation unchanged knows the table, hence every cached copy of one of
 * its mappings, is exactly as it was; and a space created at the address
 * of a destroyed one can never match a stale cache.
 */
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif
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
    /* Written by every enter and leave, from every executing thread. */
    pthread_rwlock_t lock;
    /* Whatever the alignment, no cache line holds both a byte of the lock
     * and one of the fields below, which every translation reads. */
    char pad[64];
    /* Written under the write lock only. */
    uint64_t gen; /* changes with the table */
    size_t n;
    struct as_map *maps;
    size_t cap;
    uint32_t pasid;
};

/*
 * Per-thread translation cache: copies of the last AS_TC_WAYS mappings
 * this thread translated through, valid while as/gen match.  Every way
 * always holds a real mapping of that generation (a reset fills all of
 * them with the mapping just found), so a hit needs no validity flag.
 */
#define AS_TC_WAYS 4

struct as_tway {
    uint64_t iova;
    uint64_t span; /* last - iova */
    uint8_t *host;
    unsigned prot;
};

struct as_tcache {
    const struct vidxd_as *as;
    uint64_t gen;
    unsigned next; /* way to replace on a miss */
    struct as_tway way[AS_TC_WAYS];
};

static __thread struct as_tcache as_tc;

/* Last generation handed out; 0 is never used, so a zeroed cache is
 * empty. */
static uint64_t as_gen_last;

/* Caller holds the write lock (or owns @as exclusively). */
static void
new_gen(struct vidxd_as *as)
{
    as->gen = __atomic_add_fetch(&as_gen_last, 1, __ATOMIC_RELAXED);
}

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
    new_gen(as);
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
    new_gen(as);
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
        new_gen(as);
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
    new_gen(as);
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

/*
 * The mapping holding @iova, looked up in the table, as a cache way of the
 * calling thread; NULL if none.
 */
__attribute__((noinline)) static const struct as_tway *
lookup_slow(struct vidxd_as *as, uint64_t iova, struct as_tcache *tc)
{
    const struct as_map *m;
    struct as_tway t;
    size_t i = lower_bound(as, iova);

    if (i == as->n || as->maps[i].iova > iova) {
        return NULL;
    }
    m = &as->maps[i];
    t = (struct as_tway){m->iova, m->last - m->iova, m->host, m->prot};
    if (tc->as != as || tc->gen != as->gen) {
        for (unsigned w = 0; w < AS_TC_WAYS; w++) {
            tc->way[w] = t;
        }
        tc->as = as;
        tc->gen = as->gen;
        tc->next = 1;
        return &tc->way[0];
    }
    i = tc->next;
    tc->way[i] = t;
    tc->next = (tc->next + 1) % AS_TC_WAYS;
    return &tc->way[i];
}

/*
 * The mapping holding @iova as a cache way of the calling thread, or NULL.
 * as->gen is stable here: changes need the write lock, and the caller is
 * inside (holds the read lock).
 */
static inline const struct as_tway *
lookup(struct vidxd_as *as, uint64_t iova)
{
    struct as_tcache *tc = &as_tc;

    if (tc->as == as && tc->gen == as->gen) {
        for (unsigned w = 0; w < AS_TC_WAYS; w++) {
            if (iova - tc->way[w].iova <= tc->way[w].span) {
                return &tc->way[w];
            }
        }
    }
    return lookup_slow(as, iova, tc);
}

void *
vidxd_as_translate(struct vidxd_as *as, uint64_t iova, uint64_t len,
                   unsigned prot, uint64_t *contig)
{
    const struct as_tway *m = lookup(as, iova);
    uint64_t off, left;

    if (m == NULL || m->host == NULL || (m->prot & prot) != prot) {
        return NULL;
    }
    if (len == 0) {
        len = 1;
    }
    /* Bytes left in this mapping from iova, minus one to avoid overflow. */
    off = iova - m->iova;
    left = m->span - off;
    *contig = (len - 1 <= left) ? len : left + 1;
    return m->host + off;
}

/*
 * Prefetch a line for writing (PREFETCHW): it arrives ready to be written,
 * without a later ownership request, which matters for a record the guest
 * keeps polling from another core.  GCC emits the instruction for
 * __builtin_prefetch only with -mprfchw, and CPUs without it may not take
 * the encoding, so CPUID (0x80000001 ECX.PRFCHW) decides once; without it
 * a read prefetch is the next best thing.
 */
#if defined(__x86_64__) || defined(__i386__)
static int prfchw = -1;

static int
prfchw_probe(void)
{
    unsigned a = 0, b = 0, c = 0, d = 0;
    int v = __get_cpuid(0x80000001u, &a, &b, &c, &d) && (c & bit_PRFCHW) != 0;

    __atomic_store_n(&prfchw, v, __ATOMIC_RELAXED);
    return v;
}
#endif

static inline void
prefetch_w(const void *p)
{
#if defined(__x86_64__) || defined(__i386__)
    int v = __atomic_load_n(&prfchw, __ATOMIC_RELAXED);

    if (v < 0) {
        v = prfchw_probe();
    }
    if (v != 0) {
        __asm__ volatile("prefetchw %0" : : "m"(*(const char *)p));
        return;
    }
#endif
    __builtin_prefetch(p, 1, 3);
}

void
vidxd_as_prefetch(struct vidxd_as *as, uint64_t iova, uint64_t len,
                  unsigned prot)
{
    const struct as_tway *m = lookup(as, iova);
    const uint8_t *h;
    uint64_t off;
    bool two;

    if (m == NULL || m->host == NULL || (m->prot & prot) != prot) {
        return;
    }
    off = iova - m->iova;
    h = m->host + off;
    /* The line after, if the range and the mapping reach it. */
    two = len > 64 - ((uintptr_t)h & 63) && m->span - off >= 64;
    if ((prot & VIDXD_MEM_WRITE) != 0) {
        prefetch_w(h);
        if (two) {
            prefetch_w(h + 64);
        }
    } else {
        __builtin_prefetch(h, 0, 3);
        if (two) {
            __builtin_prefetch(h + 64, 0, 3);
        }
    }
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
