/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The software engine: executes DSA work descriptors (reference/dsa.md §3)
 * against an address space and writes completion records.
 *
 * The engine knows nothing of registers or vfio-user.  Its owner (the device
 * model, or a test) describes the submitting work queue in a
 * struct vidxd_engine_ctx and receives interrupt requests and errors that
 * have no completion record through struct vidxd_engine_ops.
 *
 * Thread model: vidxd_engine_execute() is reentrant; the caller serialises
 * descriptors of one work queue (ordering, fences and drain are defined per
 * WQ) and must be inside ctx->as (vidxd_as_enter) while it runs.
 */
#ifndef VIDXD_ENGINE_H
#define VIDXD_ENGINE_H

#include <stdbool.h>
#include <stdint.h>

#include "vidxd/mem.h"
#include "vidxd/spec.h"
#include "vidxd/visibility.h"

/* An error the engine could not report through a completion record. */
struct vidxd_engine_error {
    uint8_t status; /* completion status code (enum vidxd_status) */
    uint8_t opcode;
    bool fault_write; /* the faulting access was a write */
    bool batch; /* the descriptor was inside a batch */
    uint16_t batch_idx;
    uint32_t invalid_flags;
    uint32_t pasid;
    bool priv;
    uint64_t fault_addr;
};

struct vidxd_engine_ops {
    /*
     * Return true if @handle names an interrupt this WQ may raise (an MSI-X
     * vector or an IMS entry, by @ims).  Called before execution of a
     * descriptor with RCI; false yields status INT_HANDLE_INVAL (0x19).
     */
    bool (*int_handle_valid)(void *opaque, uint16_t handle, bool ims);
    /* Raise the completion interrupt; called after the record is written. */
    void (*interrupt)(void *opaque, uint16_t handle, bool ims);
    /* Report an error without a usable completion record (SWERR path). */
    void (*error)(void *opaque, const struct vidxd_engine_error *err);
};

/* Per-operation statistics; updated by the thread executing the WQ. */
struct vidxd_engine_stats {
    uint64_t ops;
    uint64_t bytes;
    uint64_t errors;
};

/* What the engine needs to know about the submitting work queue. */
struct vidxd_engine_ctx {
    struct vidxd_as *as;
    const struct vidxd_engine_ops *ops;
    void *opaque;
    uint64_t gencap; /* GENCAP: overlap_copy, bof, cache control, ... */
    uint64_t opcap[4]; /* supported opcodes, OPCAP bitmap */
    uint64_t max_xfer_size; /* bytes: 1 << WQCFG.max_xfer_shift */
    uint32_t max_batch_size; /* descriptors: 1 << WQCFG.max_batch_shift */
    bool wq_bof; /* WQCFG.bof */
    bool ims; /* submitted through an IMS portal page */
    struct vidxd_engine_stats *stats; /* may be NULL */
};

/*
 * Execute one descriptor: validate it as hardware does, perform the
 * operation through ctx->as, write the completion record if required
 * (status byte last, with release ordering) and then request the interrupt.
 * Returns the completion status (enum vidxd_status, with
 * VIDXD_STATUS_WRITE_FAULT possibly set), whether or not a record was written.
 *
 * Supported: the DSA 1.0 operation set (NOOP, BATCH, DRAIN, MEMMOVE,
 * MEMFILL, COMPARE, COMPVAL, CR_DELTA, AP_DELTA, DUALCAST, CRCGEN, COPY_CRC,
 * DIF_CHECK/INS/STRP/UPDT, CFLUSH; reference/dsa.md §3.1) where the OPCAP
 * bit in ctx->opcap is set; anything else is BAD_OPCODE.
 *
 * Checks, in this order (reference/dsa.md §3.2, §8 item 7):
 *  1. CRAV with a completion address not 32-byte aligned: CRA_ALIGN, sent
 *     to ops->error; the descriptor is not executed, no record, no
 *     interrupt.
 *  2. opcode (BAD_OPCODE; also BATCH or DRAIN inside a batch);
 *  3. flags (INVALID_FLAGS, record field invalid_flags = the offending
 *     bits): BOF needs GENCAP.block_on_fault, CC GENCAP.cache_control_mem
 *     (cache_control_cache for CFLUSH), DRDBK GENCAP.dest_readback; Check
 *     Result only for COMPARE, COMPVAL, CR_DELTA; bit 16 only for the CRC
 *     operations; bits 5, 6, 15 and 17-23 (DSA 2.0) never;
 *  4. RCI with a handle ops->int_handle_valid rejects: INT_HANDLE_INVAL,
 *     no interrupt;
 *  5. reserved fields, including those an operation does not use and the
 *     reserved bits of DIF flag bytes: NOZERO_RESERVE;
 *  6. the operation's own rules: transfer size 0 or above
 *     ctx->max_xfer_size is XFER_ERANGE for every operation that has one;
 *     overlap, alignment, delta and DIF rules as §3.1 lists them.
 *
 * Completion: a record is written if CRAV and either the status is an
 * error or RCR is set (SUCCESS_PRED counts as success).  An error without
 * CRAV, or a record address that does not translate to writable memory
 * (CRA_XLAT), goes to ops->error instead.  With RCI the interrupt is
 * requested after the record, for errors too (except cases 1 and 4).
 *
 * Page faults (an address outside every mapping or without the needed
 * permission) end the operation where the access failed: fault_addr is
 * that address, bytes_completed the bytes processed before it, status
 * PAGE_FAULT_NOBOF with VIDXD_STATUS_WRITE_FAULT for writes.  If the
 * descriptor asked to block on faults (flag, ctx->wq_bof and GENCAP), the
 * status is PAGE_FAULT_IR: the emulator has no page request service that
 * could make the address valid, which hardware reports as an Invalid
 * Request response.  A descending (overlapping) MEMMOVE sets result bit 0.
 * CRCGEN/COPY_CRC report the CRC of the completed bytes, DIF operations
 * complete whole blocks only.
 *
 * Statistics (ctx->stats): one op per descriptor executed, batch members
 * included; errors count every status other than SUCCESS/SUCCESS_PRED.
 */
VIDXD_API unsigned vidxd_engine_execute(const struct vidxd_engine_ctx *ctx,
                                        const struct vidxd_desc *desc);

#endif /* VIDXD_ENGINE_H */
