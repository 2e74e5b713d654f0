/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Address spaces: the only way the engine reaches guest memory.
 *
 * An address space maps IOVA ranges onto host memory with read and/or write
 * permission and carries a PASID tag.  Every access is bounds- and
 * permission-checked; an access that leaves a mapping, or that needs a
 * permission the mapping lacks, faults (design.md invariant 2).
 *
 * Thread model: map/unmap may be called from any thread.  Accessors
 * (translate, read, write) must be called between vidxd_as_enter() and
 * vidxd_as_leave(); an unmap waits until every thread inside has left, so a
 * pointer returned by translate stays valid until leave.  Enter may nest
 * only with itself on one thread if no unmap is pending (it is a shared
 * lock); do not call map/unmap while inside.
 */
#ifndef VIDXD_MEM_H
#define VIDXD_MEM_H

#include <stddef.h>
#include <stdint.h>

#include "vidxd/visibility.h"

#define VIDXD_MEM_READ 0x1u
#define VIDXD_MEM_WRITE 0x2u

struct vidxd_as;

/*
 * Create an empty address space tagged with @pasid (20 bits).
 * Returns 0, -EINVAL (pasid wider than 20 bits) or -ENOMEM.
 */
VIDXD_API int vidxd_as_create(uint32_t pasid, struct vidxd_as **out);

/* Destroy an address space; accepts NULL.  No thread may be inside. */
VIDXD_API void vidxd_as_destroy(struct vidxd_as *as);

VIDXD_API uint32_t vidxd_as_pasid(const struct vidxd_as *as);

/*
 * Map [iova, iova + len) onto @host with @prot (VIDXD_MEM_READ/WRITE).
 * @host may be NULL: the range is recorded (a vfio-user map without fd) but
 * every access to it faults.  The caller keeps ownership of the memory and
 * must keep it valid until the range is unmapped.
 * Returns 0; -EINVAL if len is 0, the range wraps 2^64 or prot has unknown
 * bits; -EEXIST if it overlaps an existing mapping; -ENOMEM.
 */
VIDXD_API int vidxd_as_map(struct vidxd_as *as, uint64_t iova, uint64_t len,
                           void *host, unsigned prot);

/*
 * Unmap the mapping that starts at @iova and has length @len exactly; waits
 * for threads inside the address space to leave.  If @host_out is not NULL
 * it receives the host pointer given at map time.
 * Returns 0, -EINVAL (len 0 or wraps) or -ENOENT (no such mapping).
 */
VIDXD_API int vidxd_as_unmap(struct vidxd_as *as, uint64_t iova, uint64_t len,
                             void **host_out);

/* Remove every mapping; waits like vidxd_as_unmap(). */
VIDXD_API void vidxd_as_unmap_all(struct vidxd_as *as);

/* Number of mappings (for stats and tests). */
VIDXD_API size_t vidxd_as_count(struct vidxd_as *as);

/* Enter/leave the access section (a shared lock; see the thread model). */
VIDXD_API void vidxd_as_enter(struct vidxd_as *as);
VIDXD_API void vidxd_as_leave(struct vidxd_as *as);

/*
 * Translate @iova for an access of up to @len bytes needing @prot.
 * Returns the host address of @iova and sets *@contig to the number of bytes,
 * at most @len, that are contiguous in host memory from there (the rest of
 * the range lies in the next mapping: call again at iova + *contig).
 * Returns NULL if @iova is not mapped, is mapped without host memory, or
 * lacks @prot.  @len 0 is treated as 1.  Never reads guest memory.
 */
VIDXD_API void *vidxd_as_translate(struct vidxd_as *as, uint64_t iova,
                                   uint64_t len, unsigned prot,
                                   uint64_t *contig);

/*
 * Hint that [@iova, @iova + @len) will soon be accessed with @prot: if
 * @iova translates with @prot, start bringing the cache line holding it,
 * and the next one if the range and the mapping reach it, into the calling
 * thread's caches (for writing if @prot has VIDXD_MEM_WRITE); the hardware
 * prefetchers follow a longer buffer.  Never faults, never waits for
 * memory, has no other effect; an address that does not translate is
 * ignored.  Call between vidxd_as_enter() and vidxd_as_leave().  Executors
 * use it on the next queued descriptor while they run the current one, so
 * that its cache and TLB misses overlap that work.
 */
VIDXD_API void vidxd_as_prefetch(struct vidxd_as *as, uint64_t iova,
                                 uint64_t len, unsigned prot);

/*
 * Copy @len bytes from guest @iova to @dst (read) or from @src to guest
 * @iova (write), crossing mappings as needed.
 * Returns 0, or -EFAULT with *@fault_iova set to the first address that
 * could not be accessed (bytes before it have been copied).  @fault_iova
 * may be NULL.
 */
VIDXD_API int vidxd_as_read(struct vidxd_as *as, uint64_t iova, void *dst,
                            size_t len, uint64_t *fault_iova);
VIDXD_API int vidxd_as_write(struct vidxd_as *as, uint64_t iova,
                             const void *src, size_t len,
                             uint64_t *fault_iova);

#endif /* VIDXD_MEM_H */
