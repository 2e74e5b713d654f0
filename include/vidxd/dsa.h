/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The DSA device model: one emulated Intel Data Streaming Accelerator
 * function (reference/dsa.md §1).  It owns the BAR0 register file
 * (capabilities, GENCFG/GENCTRL/GENSTS, INTCAUSE, CMD/CMDSTS, SWERR, the
 * GRPCFG/WQCFG/MSIXPERM/PERFMON tables), the device and WQ state machines,
 * the commands, the work-queue rings and the BAR2 portals, and it executes
 * descriptors with the engine (vidxd/engine.h) against address spaces
 * (vidxd/mem.h).  It knows nothing of PCI config space or sockets: the
 * interrupt storage (MSI-X table, PBA, IMS) and the delivery of interrupt
 * messages belong to the host through struct vidxd_dsa_host_ops.
 *
 * Thread model.  Every function may be called from any thread unless noted.
 * Register accesses, commands, portal writes and submissions may run
 * concurrently; commands are serialised and complete synchronously (CMDSTS
 * is final when the CMD write returns, dsa.md §8.4).  One WQ is executed by
 * at most one thread at a time, in submission order.  Host ops are called
 * from the thread that executes a descriptor or runs a command; they must
 * not call vidxd_dsa_set_as(), vidxd_dsa_attach_pasid_as(),
 * vidxd_dsa_detach_pasid_as(), vidxd_dsa_reset(), vidxd_dsa_stop() or
 * vidxd_dsa_destroy() (those wait for executing descriptors to finish).
 * They may read any register and write INTCAUSE, SWERR, GENCTRL, MSIXPERM,
 * CMD (a CMD write while a command runs is the software error 0x52) and
 * the host tables; a GENCFG/GRPCFG/WQCFG write from a host op waits until
 * a running command completes, so a host op on a worker thread must not
 * make one.
 */
#ifndef VIDXD_DSA_H
#define VIDXD_DSA_H

#include <stdbool.h>
#include <stdint.h>

#include "vidxd/mem.h"
#include "vidxd/spec.h"
#include "vidxd/visibility.h"

/* Limits of this model (the register fields allow more). */
#define VIDXD_DSA_MAX_WQS 64
#define VIDXD_DSA_MAX_ENGINES 64
#define VIDXD_DSA_MAX_GROUPS 64
#define VIDXD_DSA_MAX_WORKERS 64
/* "Not in a group" in the read-only presets. */
#define VIDXD_DSA_NO_GROUP 0xffu
/* "No PASID" in host-op arguments. */
#define VIDXD_DSA_NO_PASID UINT32_MAX

/* How the BAR2 portal pages reach the device (design.md "Portals"). */
enum vidxd_dsa_portal_mode {
    /*
     * Every store to BAR2 is delivered with vidxd_dsa_portal_write().
     * Pieces of a descriptor are assembled per 64-byte slot in any order
     * and the descriptor is submitted when all 64 bytes have arrived.
     */
    VIDXD_DSA_PORTAL_TRAPPED = 0,
    /*
     * BAR2 is shared memory (vidxd_dsa_portal_fd()) that the device polls.
     * Protocol, for each 64-byte slot:
     *  - a slot holds a descriptor when its first qword (PASID/priv, flags,
     *    opcode) is non-zero.  A descriptor whose first qword is zero is a
     *    NOOP without flags, which has no observable effect, so ignoring it
     *    loses nothing;
     *  - a writer with MOVDIR64B stores the 64 bytes at once; a writer
     *    without it stores qwords 1..7 first and qword 0 last;
     *  - the poller copies the 64 bytes, then clears qwords 1..7 and finally
     *    qword 0 (release).  A writer must not reuse a slot until its
     *    qword 0 reads zero;
     *  - the slots of a page are scanned circularly starting after the
     *    slot consumed last, so a writer rotating through the slots (as
     *    Linux does, dsa.md §2.4) is executed in submission order;
     *  - when the WQ is full the descriptor stays in its slot (not
     *    released) until there is room: back-pressure instead of the drop
     *    a hardware DWQ would do;
     *  - a descriptor found in the portal of a WQ that is not enabled is
     *    dropped and reported as vidxd_dsa_wq_submit() says (ENABLE_WQ
     *    first drops what is left there, so nothing stale executes).
     * Every slot of a portal page is the same portal (dsa.md §1.7).
     * vidxd_dsa_portal_write() still works and assembles like TRAPPED.
     *
     * Pickup by the workers (dsa/wq.c "Idle polling").  While descriptors
     * keep coming, the workers look at every slot of the busy WQs on
     * every pass (sub-microsecond pickup).  Once the device is idle, one
     * worker looks, on a timer that backs off to 1/16 of the idle time
     * and at most 64 ms, only where the next descriptor of a known writer
     * lands: slot 0 of each page (DPDK) and the 4 slots from the one after
     * the slot consumed last (a writer rotating like Linux); every 128 ms
     * it looks at every slot of the enabled WQs, every 1 s at those of the
     * other WQs.  So after an idle gap of T, a descriptor is taken in
     * within min(T / 16, 64 ms) in an expected slot, within 192 ms in any
     * other slot (then every slot of that WQ is watched again for 1 s),
     * and a store to a WQ that is not enabled is reported within about
     * 1.1 s; add the host's wake-up latency.  Nothing is lost either way.
     */
    VIDXD_DSA_PORTAL_MAPPED = 1,
};

/* Read-only configuration: one WQ's preset (GENCAP.config_en = 0). */
struct vidxd_dsa_wq_preset {
    uint16_t size;           /* WQCFG.wq_size; 0 = WQ unused */
    uint8_t priority;        /* 1..15 */
    uint8_t group;           /* group index or VIDXD_DSA_NO_GROUP */
    bool bof;                /* WQCFG.bof (needs GENCAP.block_on_fault) */
    uint8_t max_xfer_shift;  /* <= the device's max_xfer_shift */
    uint8_t max_batch_shift; /* <= the device's max_batch_shift */
};

struct vidxd_dsa_config {
    uint32_t version;       /* VERSION register */
    unsigned num_wqs;       /* 1..VIDXD_DSA_MAX_WQS */
    unsigned num_engines;   /* 1..VIDXD_DSA_MAX_ENGINES */
    unsigned num_groups;    /* 1..VIDXD_DSA_MAX_GROUPS */
    unsigned total_wq_size; /* WQCAP.total_wq_size, 1..0xffff */
    unsigned wqcfg_stride;  /* 32 (DSA 1.0) or 64 bytes */
    bool shared_mode; /* WQCAP.shared_mode: shared WQs (ENQCMD semantics) */
    bool pasid;       /* PASID support: WQCFG.pasid_en may be 1 */
    unsigned max_xfer_shift;  /* GENCAP[20:16], <= 31 */
    unsigned max_batch_shift; /* GENCAP[24:21], <= 15 */
    unsigned max_ims_mult;    /* GENCAP[30:25]: IMS entries = mult x 256 */
    unsigned total_rdbufs;    /* GRPCAP.total_rdbufs, <= 255 */
    /* GENCAP feature bits: any of VIDXD_GENCAP_BLOCK_ON_FAULT,
     * _OVERLAP_COPY, _CACHE_CTRL_MEM, _CACHE_CTRL_CACHE, _DEST_READBACK,
     * _DRAIN_READBACK.  The other GENCAP fields come from the members. */
    uint64_t gencap_features;
    uint8_t gencap_hi; /* GENCAP[39:32] (SPR reads 0x40) */
    /*
     * GENCAP.cmd_cap.  Real SPR has 0.  When true, CMDCAP advertises every
     * implemented command (1..14), including REQUEST/RELEASE_INT_HANDLE,
     * and commands are checked against it.
     */
    bool cmd_cap;
    uint64_t opcap[4]; /* OPCAP bitmap */
    /*
     * GENCAP.config_en.  false = read-only configuration: the device
     * powers up (and comes back from every reset) with the WQCFG/GRPCFG
     * described by ro_wqs/ro_engine_group, dedicated WQs with pasid_en = 0
     * (what Linux requires, dsa.md §0.5); those tables are read-only and
     * the driver only issues ENABLE_DEVICE and ENABLE_WQ (dsa.md §2.5).
     */
    bool configurable;
    struct vidxd_dsa_wq_preset ro_wqs[VIDXD_DSA_MAX_WQS];
    uint8_t ro_engine_group[VIDXD_DSA_MAX_ENGINES]; /* or NO_GROUP */
    /* BAR0 layout, in bytes.  Table offsets are multiples of 0x100 (the
     * OFFSETS register unit); perfmon_offset 0 = no PERFMON block. */
    uint64_t bar0_size; /* power of two >= 0x1000 */
    uint32_t grpcfg_offset;
    uint32_t wqcfg_offset;
    uint32_t msix_perm_offset;
    uint32_t perfmon_offset;
    uint32_t ims_offset;
    uint32_t msix_table_offset; /* for the PCI MSI-X capability (BIR 0) */
    uint32_t msix_pba_offset;
    enum vidxd_dsa_portal_mode portal_mode;
    /*
     * 0 = no threads: a descriptor is executed in the thread that submits
     * it (portal write or vidxd_dsa_wq_submit()), and mapped portals are
     * polled by vidxd_dsa_process().  Deterministic; for tests and fuzzing.
     * N = N worker threads poll the portals and execute the WQs, spinning
     * while work arrives and backing off to sleeping when idle.
     */
    unsigned workers;
};

/*
 * Fill @cfg with a Sapphire Rapids DSA (dsa.md §1.1): VERSION 0x100, 8 WQs,
 * 4 engines, 4 groups, total WQ size 128, 32-byte WQCFG, dedicated mode
 * only, PASID supported, max_xfer_shift 31, max_batch_shift 10,
 * max_ims_mult 8 (2048 IMS entries), 96 read buffers, GENCAP features bof,
 * overlap_copy, cache_control_mem and dest_readback with GENCAP[39:32] =
 * 0x40 (GENCAP 0x40915f0107), cmd_cap false, OPCAP[0] 0x00000001003f03ff,
 * configurable.  Layout: BAR0 64 KiB, MSIXPERM 0x200, GRPCFG 0x300, WQCFG
 * 0x400, PERFMON 0x1000, MSI-X table 0x2000, PBA 0x3000, IMS 0x4000.
 * Trapped portals, no workers.  The read-only presets (used only if
 * configurable is set to false) give every WQ size 16, priority 1, the
 * device's maximum shifts, WQ i in group i % 4 and engine i in group i % 4.
 */
VIDXD_API void vidxd_dsa_config_default(struct vidxd_dsa_config *cfg);

/*
 * Give @cfg a BAR0 layout that fits its table sizes (num_wqs, num_groups,
 * wqcfg_stride, max_ims_mult, perfmon_offset != 0): the SPR layout of
 * vidxd_dsa_config_default() holds MSIXPERM for at most 31 WQs.  A layout
 * that already fits (tables where OFFSETS can point at them, disjoint,
 * inside a power-of-two bar0_size) is kept.  Otherwise the tables are
 * placed in the SPR order MSIXPERM, GRPCFG, WQCFG, PERFMON, MSI-X table,
 * PBA, IMS, each at its SPR offset if that is past the previous table,
 * else right after it (on a multiple of 0x100; PERFMON, the MSI-X table,
 * the PBA and IMS on a 4 KiB boundary), and bar0_size is doubled until
 * they fit.  64 WQs with the SPR defaults give MSIXPERM 0x200, GRPCFG
 * 0x500, WQCFG 0x600 and the SPR offsets for the rest, BAR0 64 KiB.
 * Call it after changing the sizing fields and before vidxd_dsa_create().
 * Returns 0, or -EINVAL (@cfg NULL, a sizing field out of range) with
 * @cfg unchanged.
 */
VIDXD_API int vidxd_dsa_config_layout(struct vidxd_dsa_config *cfg);

/*
 * Host side of the device.  Every member may be NULL.  @opaque is the value
 * given to vidxd_dsa_create().
 */
struct vidxd_dsa_host_ops {
    /*
     * Send the interrupt message of MSI-X vector @index (ims false) or of
     * IMS entry @index (ims true); masking and the pending bits are the
     * host's business.  Vector 0 carries INTCAUSE events (command
     * completion with int_req, software errors, halt).  A completion with
     * RCI raises the descriptor's int_handle, as an IMS index when it was
     * submitted through an IMS portal page (dsa.md §1.7) — an MSI-X index
     * otherwise, or whatever alloc_handle returned.  Called after the
     * completion record is visible.  With identity handles (no
     * alloc_handle), a completion on an MSI-X vector whose MSIXPERM entry
     * has the ignore bit set is not sent (the record is still written).
     */
    void (*interrupt)(void *opaque, unsigned index, bool ims);
    /*
     * Accesses to the MSI-X table, the PBA and the IMS table (BAR0 ranges
     * of vidxd_dsa_layout) are forwarded here with @off relative to the
     * start of @table.  Sizes 1/2/4/8, naturally aligned, within the table.
     * NULL: reads return 0 and writes are ignored.  The return value is
     * passed back by vidxd_dsa_bar0_read/write.
     */
    int (*table_read)(void *opaque, unsigned table, uint64_t off, unsigned size,
                      uint64_t *val);
    int (*table_write)(void *opaque, unsigned table, uint64_t off,
                       unsigned size, uint64_t val);
    /*
     * REQUEST_INT_HANDLE (cmd_cap only): give a handle for MSI-X vector
     * (ims false) or IMS entry @vector.  Return 0 with *handle set, -EINVAL
     * for a bad index (CMDSTS 0x41) or another negative errno (0x42).
     * NULL: handle = MSI-X index, vectors 1..num_wqs accepted (else 0x41),
     * IMS requests fail with 0x42 (dsa.md §4).
     */
    int (*alloc_handle)(void *opaque, unsigned vector, bool ims,
                        uint16_t *handle);
    /* RELEASE_INT_HANDLE: 0, or negative errno (CMDSTS 0x43).  NULL: the
     * handle must be a valid MSI-X index 1..num_wqs, else 0x43. */
    int (*release_handle)(void *opaque, uint16_t handle, bool ims);
    /*
     * May a descriptor with PASID @pasid (VIDXD_DSA_NO_PASID if none)
     * raise @handle?  false fails it with status INT_HANDLE_INVAL (0x19).
     * NULL: an MSI-X handle must be < num_wqs + 1 and pass MSIXPERM (an
     * entry with pasid_en only admits descriptors of its PASID); an IMS
     * handle must be < the number of IMS entries.
     */
    bool (*int_handle_valid)(void *opaque, uint16_t handle, bool ims,
                             uint32_t pasid);
};

/* Values of the @table argument of table_read/table_write. */
#define VIDXD_DSA_TABLE_MSIX 0u
#define VIDXD_DSA_TABLE_PBA 1u
#define VIDXD_DSA_TABLE_IMS 2u

/* Where things are, for the PCI layer (MSI-X capability) and the server. */
struct vidxd_dsa_layout {
    uint64_t bar0_size;
    uint64_t bar2_size;         /* num_wqs x 16 KiB */
    unsigned num_msix;          /* num_wqs + 1 */
    unsigned num_ims;           /* max_ims_mult x 256 */
    uint32_t msix_table_offset; /* BAR0, num_msix x 16 bytes */
    uint32_t msix_pba_offset;   /* BAR0, ceil(num_msix / 64) x 8 bytes */
    uint32_t ims_offset;        /* BAR0, num_ims x 16 bytes; 0 if none */
};

struct vidxd_dsa;

/*
 * Create a device in its power-on state: GENSTS disabled, bus mastering
 * off, no address space (every DMA faults), workers started if
 * cfg->workers > 0.  @ops may be NULL; the device copies @cfg and @ops.
 * Returns 0; -EINVAL if a config value is out of range, tables overlap or
 * leave BAR0, or a read-only preset is inconsistent (group out of range,
 * shifts above the device's, bof without GENCAP support, sizes summing
 * above total_wq_size); -ENOMEM; or the errno of memfd_create/mmap or
 * pthread_create.
 */
VIDXD_API int vidxd_dsa_create(const struct vidxd_dsa_config *cfg,
                               const struct vidxd_dsa_host_ops *ops,
                               void *opaque, struct vidxd_dsa **out);

/* Stop the workers and free the device; accepts NULL.  Address spaces are
 * not destroyed (the caller owns them). */
VIDXD_API void vidxd_dsa_destroy(struct vidxd_dsa *dsa);

VIDXD_API uint64_t vidxd_dsa_bar0_size(const struct vidxd_dsa *dsa);
VIDXD_API uint64_t vidxd_dsa_bar2_size(const struct vidxd_dsa *dsa);
VIDXD_API void vidxd_dsa_get_layout(const struct vidxd_dsa *dsa,
                                    struct vidxd_dsa_layout *out);

/*
 * BAR0 register access (little-endian value in the low @size bytes).
 * @size is 1, 2, 4 or 8 and @off a multiple of @size below the BAR0 size;
 * otherwise -EINVAL and nothing happens.  Register semantics follow
 * dsa.md §1.2-§1.6:
 *  - reserved bits and unassigned offsets read 0 and ignore writes; the
 *    PERFMON block reports no counters (PERFCAP 0) and is all zero;
 *  - read-only registers ignore writes (capabilities, GENSTS, CMDSTS,
 *    CMDCAP, WQCFG occupancy/mode_support/wq_state, SWERR except bits 0-1);
 *  - INTCAUSE and SWERR bits 0-1 are write-1-to-clear;
 *  - GENCFG is writable only while the device is disabled; GRPCFG only
 *    while it is disabled and configurable, except that a write which does
 *    not change the value is accepted at any time (Linux rewrites GRPCFG
 *    while enabled, dsa.md §2.2); a WQCFG only while that WQ is disabled
 *    and the device configurable; MSIXPERM at any time;
 *  - 64-bit registers may be written as two 32-bit halves (or any smaller
 *    pieces); each piece takes effect on its own;
 *  - a command is issued by the write that contains CMD byte 3 (bits
 *    31:24, holding int_req); smaller earlier writes only latch bytes.
 *    The command has completed when the write returns;
 *  - MSI-X table/PBA/IMS accesses go to host ops table_read/table_write.
 * Returns 0, -EINVAL, or the host op's error for forwarded tables.
 */
VIDXD_API int vidxd_dsa_bar0_read(struct vidxd_dsa *dsa, uint64_t off,
                                  unsigned size, uint64_t *val);
VIDXD_API int vidxd_dsa_bar0_write(struct vidxd_dsa *dsa, uint64_t off,
                                   unsigned size, uint64_t val);

/*
 * Run a command exactly as a CMD write of @cmd would (including the
 * CMDSTS update, INTCAUSE.CMD and the vector-0 interrupt when int_req is
 * set).  *@cmdsts (may be NULL) receives the final CMDSTS.  Commands and
 * their CMDSTS error codes (dsa.md §1.4):
 *  - in HALT every command except RESET_DEVICE fails with HW_ERR (0x03);
 *  - with cmd_cap, a command whose CMDCAP bit is clear, and always codes
 *    0 and 15..31: INVAL_CMD (0x01);
 *  - ENABLE_DEVICE: 0x10 already enabled, 0x12 bus mastering off, 0x14 the
 *    WQ sizes sum above total_wq_size, 0x11 GENCFG.rdbuf_limit above the
 *    total, 0x15 a WQ in two groups, 0x16 an engine in two groups, 0x17 a
 *    group with WQs but no engine, 0x18 read buffers reserved above the
 *    total;
 *  - DISABLE_DEVICE: 0x31 not enabled; otherwise every WQ is drained and
 *    disabled (configuration kept);
 *  - DRAIN_ALL, ABORT_ALL, DRAIN_PASID, ABORT_PASID: 0x32 device not
 *    enabled.  DRAIN_PASID drains every WQ (a superset of the PASID's
 *    descriptors); ABORT_PASID discards the queued descriptors of that
 *    PASID.  Aborted descriptors get no completion record;
 *  - RESET_DEVICE: aborts everything and returns GENSTS, GENCFG, WQCFG,
 *    GRPCFG and the WQ states to power-on values; GENCTRL, INTCAUSE,
 *    SWERR, MSIXPERM and interrupt handles are kept;
 *  - ENABLE_WQ (operand = WQ index): 0x02 index out of range, 0x20 device
 *    not enabled, 0x21 already enabled, 0x11 WQ in no group, 0x22 size 0
 *    (or shared threshold above size), 0x23 priority 0, 0x24 mode not
 *    supported, 0x25 bof without GENCAP support, 0x26 pasid_en without
 *    PASID support or a shared WQ without pasid_en, 0x27/0x28 max batch /
 *    transfer shift above the device's;
 *  - DISABLE/DRAIN/ABORT/RESET_WQ (operand = bitmap, WQ 16 * [19:16] + n
 *    for bit n of [15:0]): 0x32 device not enabled, 0x02 a WQ out of
 *    range, and for DISABLE_WQ 0x33 a selected WQ not enabled.  DISABLE
 *    drains first; RESET aborts, disables and clears the WQCFG (restores
 *    the preset in read-only mode);
 *  - REQUEST_INT_HANDLE / RELEASE_INT_HANDLE (cmd_cap only): see
 *    vidxd_dsa_host_ops; the handle is returned in CMDSTS[23:8].
 * Drains complete inside the command, so GENSTS never reads DRAIN (2).
 * Returns 0 (whatever CMDSTS says).
 */
VIDXD_API int vidxd_dsa_command(struct vidxd_dsa *dsa, uint32_t cmd,
                                uint32_t *cmdsts);

/*
 * Trapped BAR2 store of @size bytes (1, 2, 4, 8, 16, 32 or 64, naturally
 * aligned, inside BAR2).  Portal page decode (dsa.md §1.7): WQ = off / 16 KiB,
 * limited = page bit 0, IMS = page bit 1.  Bytes are assembled per 64-byte
 * slot; when all 64 have arrived the descriptor is submitted as by
 * vidxd_dsa_wq_submit() (a rejection is counted, not returned: a posted
 * store cannot fail).  Returns 0 or -EINVAL.
 */
VIDXD_API int vidxd_dsa_portal_write(struct vidxd_dsa *dsa, uint64_t off,
                                     const void *data, unsigned size);

/* Trapped BAR2 load: portals read as zero.  Returns 0 or -EINVAL (same
 * rules as vidxd_dsa_portal_write). */
VIDXD_API int vidxd_dsa_portal_read(struct vidxd_dsa *dsa, uint64_t off,
                                    void *data, unsigned size);

/*
 * The shared memory behind BAR2 in MAPPED mode: *@fd receives a memfd of
 * the BAR2 size, owned by the device (dup it to keep it).  Returns 0 or
 * -EOPNOTSUPP in TRAPPED mode.
 */
VIDXD_API int vidxd_dsa_portal_fd(struct vidxd_dsa *dsa, int *fd);

/* Flags of vidxd_dsa_wq_submit(). */
#define VIDXD_DSA_SUBMIT_IMS 0x1u     /* through an IMS portal page */
#define VIDXD_DSA_SUBMIT_LIMITED 0x2u /* through a limited portal page */

/*
 * Submit one descriptor to WQ @wq, as a portal write would.  A dedicated
 * WQ executes the descriptor with the WQ's PASID (WQCFG.pasid if pasid_en,
 * else none) and WQCFG.priv; a shared WQ with the PASID and priv carried in
 * the descriptor (as ENQCMD does).  Returns:
 *  0        accepted (with workers = 0 it has already been executed);
 *  -EAGAIN  shared WQ full (threshold on a limited portal): retry, as
 *           ENQCMD with ZF = 1; counted in stats.rejected;
 *  -ENOSPC  dedicated WQ full: dropped as hardware drops a MOVDIR64B to a
 *           full DWQ (dsa.md §1.7); counted in stats.dropped;
 *  -ENXIO   WQ not enabled (or device halted): dropped and counted; a
 *           SWERR with the vidxd code 0x53 is reported unless halted;
 *  -EINVAL  @wq out of range, unknown @flags or NULL @desc.
 */
VIDXD_API int vidxd_dsa_wq_submit(struct vidxd_dsa *dsa, unsigned wq,
                                  const struct vidxd_desc *desc,
                                  unsigned flags);

/*
 * Poll the mapped portals and execute every queued descriptor in the
 * calling thread, until no work is left.  Meant for workers = 0; with
 * workers it competes with them harmlessly.  Returns the number of
 * descriptors executed.
 */
VIDXD_API int vidxd_dsa_process(struct vidxd_dsa *dsa);

/* Start the configured worker threads (no-op if running or workers = 0).
 * Returns 0 or the errno of pthread_create. */
VIDXD_API int vidxd_dsa_start(struct vidxd_dsa *dsa);
/* Stop and join the workers; queued descriptors stay queued. */
VIDXD_API void vidxd_dsa_stop(struct vidxd_dsa *dsa);

/*
 * Address spaces.  The default space is used by descriptors without a
 * PASID (a dedicated WQ with pasid_en = 0); vidxd_dsa_attach_pasid_as()
 * binds the space of one PASID (dedicated WQs with pasid_en, and every
 * descriptor of a shared WQ).  A descriptor whose space is absent faults
 * on its first access (completion status PAGE_FAULT_NOBOF, or SWERR when
 * the completion record itself cannot be written).  The caller keeps
 * ownership of the spaces; set/attach/detach wait until no descriptor is
 * executing, so a space may be destroyed once it has been replaced or
 * detached.
 * vidxd_dsa_set_as: @as may be NULL (remove).  Returns 0.
 * vidxd_dsa_attach_pasid_as: -EINVAL (pasid above 20 bits or @as NULL),
 *   -EEXIST (already bound), -ENOMEM.
 * vidxd_dsa_detach_pasid_as: -ENOENT if not bound.
 */
VIDXD_API int vidxd_dsa_set_as(struct vidxd_dsa *dsa, struct vidxd_as *as);
VIDXD_API int vidxd_dsa_attach_pasid_as(struct vidxd_dsa *dsa, uint32_t pasid,
                                        struct vidxd_as *as);
VIDXD_API int vidxd_dsa_detach_pasid_as(struct vidxd_dsa *dsa, uint32_t pasid);

/*
 * PCI COMMAND.bus_master as set by the PCI layer.  ENABLE_DEVICE fails
 * with 0x12 while it is off.  Clearing it while the device is enabled
 * halts the device, as the 2020 vidxd did (dsa.md §5.1): queued
 * descriptors are aborted, SWERR records error 0x51, GENSTS becomes HALT
 * with reset_type FLR, and INTCAUSE.HALT (if GENCTRL.halt_int_en) and
 * INTCAUSE.ERR (if GENCTRL.softerr_int_en) are raised with one vector-0
 * interrupt request (the host decides whether a message can be sent with
 * bus mastering off).  Only RESET_DEVICE or vidxd_dsa_reset() leaves HALT.
 */
VIDXD_API void vidxd_dsa_set_bus_master(struct vidxd_dsa *dsa, bool on);

/*
 * Function-level reset: abort all work and return every register to its
 * power-on value (including GENCTRL, INTCAUSE, CMD, CMDSTS, SWERR and
 * MSIXPERM; RO presets reloaded; mapped portal memory cleared); bus
 * mastering is cleared as by an FLR.  Address spaces stay bound; workers
 * keep running.
 */
VIDXD_API void vidxd_dsa_reset(struct vidxd_dsa *dsa);

/* Per-WQ counters since creation (never reset). */
struct vidxd_dsa_wq_stats {
    uint64_t submitted; /* accepted into the WQ */
    uint64_t ops;       /* descriptors executed (batch members included) */
    uint64_t bytes;     /* bytes processed, as counted by the engine */
    uint64_t errors;    /* completions with a status other than success */
    uint64_t dropped;   /* DWQ full, WQ not enabled or device halted */
    uint64_t rejected;  /* SWQ retries (-EAGAIN) */
    uint64_t aborted;   /* discarded by abort, reset, disable or halt */
};

/* Snapshot of WQ @wq's counters.  Returns 0 or -EINVAL. */
VIDXD_API int vidxd_dsa_wq_stats(struct vidxd_dsa *dsa, unsigned wq,
                                 struct vidxd_dsa_wq_stats *out);

/*
 * Build the PCI config space of a DSA function (the physical function or a
 * virtual device): Intel 8086:0b25, class 0x088000, BAR0 of @bar0_size and
 * BAR2 of @bar2_size (64-bit prefetchable memory), a PCIe capability of a
 * Root Complex Integrated Endpoint with FLR, and MSI-X with @num_msix
 * vectors whose table and PBA are in BAR0 (dsa.md §1.1, §5.1).  The caller
 * owns *@out (vidxd_pci_cfg_destroy).
 * Returns 0; -EINVAL (a size the pci layer refuses, num_msix 0 or > 2048);
 * -ENOMEM.
 */
struct vidxd_pci_cfg;
VIDXD_API int vidxd_dsa_pci_cfg_create(uint64_t bar0_size, uint64_t bar2_size,
                                       unsigned num_msix,
                                       uint32_t msix_table_offset,
                                       uint32_t msix_pba_offset,
                                       struct vidxd_pci_cfg **out);

/*
 * Whether MSIXPERM lets a descriptor with PASID @pasid (VIDXD_DSA_NO_PASID
 * if none) raise MSI-X vector @vector: false for a vector beyond the table,
 * and for an entry with pasid_en whose PASID differs (dsa.md §1.5).  This is
 * the rule the model applies without an int_handle_valid host op; hosts that
 * install one call it for MSI-X vectors.  Lock-free; any thread.
 */
VIDXD_API bool vidxd_dsa_msixperm_allows(struct vidxd_dsa *dsa,
                                         unsigned vector, uint32_t pasid);

#endif /* VIDXD_DSA_H */
