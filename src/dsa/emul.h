/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The part of DSA emulation that the two emulated register files of vidxd
 * have in common: the device model of this layer (the physical function)
 * and the virtual devices of the vdev layer, which present a DSA of their
 * own on top of a parent.  Only rules that the specification gives alike
 * to both live here: the BAR0 and portal access rules, the qword decode of
 * partial register accesses, the registers with identical semantics
 * (capabilities, GENCTRL, GENSTS, INTCAUSE, CMDSTS, CMDCAP, SWERR), the WQ
 * bitmap operand of the WQ commands and the assembly of trapped portal
 * stores.  GENCFG, the CMD latch, the tables and every lock around them
 * stay with each emulation, because their rules differ.
 *
 * Internal to the library, not part of the public API: the vdev layer sits
 * above dsa and includes this header (as the server includes proto's);
 * nothing outside src/ does.  Thread-safety is stated per function.
 */
#ifndef VIDXD_DSA_EMUL_H
#define VIDXD_DSA_EMUL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "vidxd/dsa.h"
#include "vidxd/spec.h"

/* Writable bits of the registers both emulations merge themselves. */
#define DSA_GENCFG_RW (VIDXD_GENCFG_RDBUF_LIMIT_MASK | VIDXD_GENCFG_USER_INT_EN)
/* CMD: operand, command and int_req; bits 30:25 are reserved. */
#define DSA_CMD_RW                                                             \
    (VIDXD_CMD_OPERAND_MASK | VIDXD_CMD_CODE_MASK | VIDXD_CMD_INT_REQ)
/* A write containing CMD byte 3 (int_req) issues the command (§1.4). */
#define DSA_CMD_BYTE3 (0xffull << 24)
#define DSA_MSIXPERM_RW                                                        \
    (VIDXD_MSIXPERM_IGNORE | VIDXD_MSIXPERM_PASID_EN |                         \
     VIDXD_MSIXPERM_PASID_MASK)

/* Portal slots (dsa.md §1.7): 64 bytes each, four 4 KiB pages per WQ. */
#define DSA_PORTAL_SLOTS_PER_PAGE (VIDXD_PORTAL_PAGE / VIDXD_PORTAL_SLOT)
#define DSA_PORTAL_SLOTS_PER_WQ                                                \
    (VIDXD_PORTAL_PAGES_PER_WQ * DSA_PORTAL_SLOTS_PER_PAGE)

static inline bool
dsa_in_range(uint64_t off, uint64_t start, uint64_t len)
{
    return off >= start && off - start < len;
}

/* An access of @size bytes at @off within [0, @limit): @size a power of
 * two no larger than @max and @off a multiple of it. */
static inline bool
dsa_access_ok(uint64_t off, unsigned size, unsigned max, uint64_t limit)
{
    return size != 0 && size <= max && (size & (size - 1)) == 0 &&
           off % size == 0 && off < limit && size <= limit - off;
}

/* BAR0: 1, 2, 4 or 8 naturally aligned bytes (dsa.md §1.2). */
static inline bool
dsa_reg_access_ok(uint64_t off, unsigned size, uint64_t bar0_size)
{
    return dsa_access_ok(off, size, 8, bar0_size);
}

/* BAR2: 1 to 64 bytes, a power of two, naturally aligned (dsa.md §1.7). */
static inline bool
dsa_portal_access_ok(uint64_t off, unsigned size, uint64_t bar2_size)
{
    return dsa_access_ok(off, size, VIDXD_PORTAL_SLOT, bar2_size);
}

/*
 * Register decode works on qwords: every access that passed
 * dsa_reg_access_ok() falls inside one, so a read extracts its bytes from
 * the qword's value and a write carries a mask of the bytes written, under
 * which each register merges only its writable bits.  That gives the
 * "64-bit registers may be written as two 32-bit halves" rule and the
 * reserved-bits rule (dsa.md §1.2) to every register alike.
 */
static inline uint64_t
dsa_size_mask(unsigned size)
{
    return size == 8 ? ~0ull : (1ull << (8 * size)) - 1;
}

/* The @size bytes at @off of the qword @q (holding @off & ~7). */
static inline uint64_t
dsa_reg_extract(uint64_t q, uint64_t off, unsigned size)
{
    return (q >> ((off & 7) * 8)) & dsa_size_mask(size);
}

/* @val (low @size bytes) moved to its place in the qword holding @off. */
static inline uint64_t
dsa_reg_place(uint64_t val, uint64_t off, unsigned size)
{
    return (val & dsa_size_mask(size)) << ((off & 7) * 8);
}

/* The bits of the qword holding @off that a @size-byte write covers. */
static inline uint64_t
dsa_reg_wmask(uint64_t off, unsigned size)
{
    return dsa_size_mask(size) << ((off & 7) * 8);
}

/* @old with the bits in both @wmask and @writable taken from @val. */
static inline uint64_t
dsa_reg_merge(uint64_t old, uint64_t val, uint64_t wmask, uint64_t writable)
{
    uint64_t m = wmask & writable;

    return (old & ~m) | (val & m);
}

/* CMDSTS value: error code and the 16-bit result (dsa.md §1.4). */
static inline uint32_t
dsa_cmdsts(unsigned err, unsigned result)
{
    return (err & VIDXD_CMDSTS_ERR_MASK) |
           ((result & 0xffffu) << VIDXD_CMDSTS_RESULT_SHIFT);
}

/*
 * Registers below 0x100 that behave the same in every emulated DSA.  The
 * owner fills the capabilities before the device is visible and never
 * changes them; genctrl, gensts and cmdsts are read and written with
 * __atomic builtins; intcause and swerr are under err_lock, a leaf lock.
 */
struct dsa_regfile {
    uint32_t version;
    uint64_t gencap;
    uint64_t wqcap;
    uint64_t grpcap;
    uint64_t engcap;
    uint64_t opcap[4];
    uint64_t offsets[2];
    uint32_t cmdcap;

    uint32_t genctrl;
    uint32_t gensts;
    uint32_t cmdsts;

    pthread_mutex_t err_lock;
    uint32_t intcause;
    uint64_t swerr[4];
};

/* Set up err_lock of a zeroed register file; release it.  Not concurrent
 * with anything else on @rf. */
void dsa_regfile_init(struct dsa_regfile *rf);
void dsa_regfile_fini(struct dsa_regfile *rf);

/* GENSTS.state (VIDXD_GENSTS_*).  Lock-free. */
unsigned dsa_regfile_state(const struct dsa_regfile *rf);

/*
 * Value of the qword at @off (8-aligned, below 0x100) unless it is GENCFG
 * or CMD, which the caller decodes: capabilities, GENCTRL, GENSTS,
 * INTCAUSE, CMDSTS, CMDCAP, SWERR; reserved offsets read 0.  Takes only
 * err_lock.
 */
uint64_t dsa_regfile_read(struct dsa_regfile *rf, uint64_t off);

/*
 * Write to the qword at @off (8-aligned, below 0x100, not GENCFG or CMD)
 * the bits of @val under @wmask: GENCTRL merges its writable bits,
 * INTCAUSE is write-1-to-clear and SWERR acknowledges with VALID|OVERFLOW
 * (W1C, dsa.md §1.6); everything else is read-only or reserved.  Takes
 * only err_lock.
 */
void dsa_regfile_write(struct dsa_regfile *rf, uint64_t off, uint64_t val,
                       uint64_t wmask);

/* OR @bits into INTCAUSE; the caller then requests vector 0. */
void dsa_regfile_raise(struct dsa_regfile *rf, uint32_t bits);

/*
 * Record an error in SWERR (q0 gets VALID, q3 is cleared), or set
 * OVERFLOW if one is already pending (dsa.md §1.6, §5.3).  Returns the
 * INTCAUSE bits to raise: VIDXD_INTCAUSE_ERR if GENCTRL.softerr_int_en,
 * else 0.
 */
uint32_t dsa_regfile_swerr(struct dsa_regfile *rf, uint64_t q0, uint64_t q1,
                           uint64_t q2);

/*
 * The error report of entering HALT (dsa.md §1.2 GENSTS, §5.1): SWERR
 * error @code as by dsa_regfile_swerr().  Returns the INTCAUSE bits to
 * raise: that of dsa_regfile_swerr() plus VIDXD_INTCAUSE_HALT_STATE if
 * GENCTRL.halt_int_en.  The caller sets GENSTS and stops its WQs.
 */
uint32_t dsa_regfile_halt_cause(struct dsa_regfile *rf, uint8_t code);

/*
 * Start a command written to CMD: set CMDSTS.active and return true.  If
 * a command is active already, the write is the software error 0x52
 * (dsa.md §1.6, §5.2): return false, CMDSTS unchanged in *@old, and the
 * caller must not run the new command but report DSA_SWERR_CMD_BUSY.
 */
bool dsa_regfile_cmd_begin(struct dsa_regfile *rf, uint32_t *old);
#define DSA_SWERR_CMD_BUSY                                                     \
    ((uint64_t)VIDXD_SWERR_CMD_REG << VIDXD_SWERR_ERROR_SHIFT)

/*
 * Complete command @cmd with the final CMDSTS @sts.  Returns the INTCAUSE
 * bits the caller raises next: VIDXD_INTCAUSE_CMD if @cmd has int_req,
 * else 0 (CMDSTS is final before the completion interrupt, dsa.md §5.3).
 */
uint32_t dsa_regfile_cmd_end(struct dsa_regfile *rf, uint32_t cmd,
                             uint32_t sts);

/* Power-on GENCTRL, CMDSTS, INTCAUSE and SWERR (function-level reset);
 * GENSTS is the caller's, with the rest of its configuration. */
void dsa_regfile_reset(struct dsa_regfile *rf);

/*
 * The checks that come before command @code runs, in the order of the
 * 2021 vidxd (dsa.md §1.4, §5.3): a code above 14 or whose bit is clear in
 * @supported (bit n = command n) is INVAL_CMD; in HALT (@state is
 * GENSTS.state) every command but RESET_DEVICE is HW_ERR; DISABLE_DEVICE
 * on a device not enabled is DIS_DEV_EN; DRAIN/ABORT_ALL, DRAIN/ABORT_PASID
 * and DISABLE/DRAIN/ABORT/RESET_WQ on a device not enabled are DEV_NOT_EN.
 * Returns that CMDSTS error code, or VIDXD_CMDSTS_SUCCESS.  Pure.
 */
unsigned dsa_cmd_check(unsigned code, uint32_t supported, unsigned state);

/*
 * Decode the bitmap operand of DISABLE/DRAIN/ABORT/RESET_WQ (dsa.md §1.4:
 * bit n of [15:0] selects WQ 16 * [19:16] + n) for a device of @num_wqs
 * WQs (at most 64).  Returns VIDXD_CMDSTS_SUCCESS with the WQ set in *@out
 * (bit i = WQ i), or VIDXD_CMDSTS_INVAL_WQIDX if a selected WQ does not
 * exist.  Pure.
 */
unsigned dsa_wq_mask_decode(uint32_t operand, unsigned num_wqs, uint64_t *out);

/* Where a BAR2 offset falls (dsa.md §1.7). */
struct dsa_portal_pos {
    unsigned wq;   /* 16 KiB per WQ */
    unsigned page; /* portal page of the WQ: bit 0 limited, bit 1 IMS */
    unsigned slot; /* slot within the WQ, < DSA_PORTAL_SLOTS_PER_WQ */
    unsigned byte; /* byte within the 64-byte slot */
};

static inline struct dsa_portal_pos
dsa_portal_decode(uint64_t off)
{
    unsigned page =
        (unsigned)(off % VIDXD_PORTAL_WQ_STRIDE) / VIDXD_PORTAL_PAGE;

    return (struct dsa_portal_pos){
        .wq = (unsigned)(off / VIDXD_PORTAL_WQ_STRIDE),
        .page = page,
        .slot = page * DSA_PORTAL_SLOTS_PER_PAGE +
                (unsigned)(off % VIDXD_PORTAL_PAGE) / VIDXD_PORTAL_SLOT,
        .byte = (unsigned)(off % VIDXD_PORTAL_SLOT),
    };
}

/* Submission flags of portal page @page: bit 0 limited, bit 1 IMS
 * (dsa.md §0.8, §1.7). */
static inline unsigned
dsa_portal_page_flags(unsigned page)
{
    return ((page & 1) ? VIDXD_DSA_SUBMIT_LIMITED : 0) |
           ((page & 2) ? VIDXD_DSA_SUBMIT_IMS : 0);
}

/* Trapped-mode assembly of one 64-byte portal slot; all zero = empty. */
struct dsa_slot {
    uint64_t mask; /* bit n: byte n has arrived */
    uint8_t buf[VIDXD_PORTAL_SLOT];
};

/*
 * Store @size bytes of @data at byte @byte of @s (@byte + @size <= 64, as
 * for an access that passed dsa_portal_access_ok()).  The pieces of a
 * descriptor may come in any order and sizes (design.md "Portals").
 * Returns true when all 64 bytes have arrived: *@desc receives the
 * descriptor and @s is empty again.  The caller serialises the stores to
 * one slot.
 */
bool dsa_slot_write(struct dsa_slot *s, unsigned byte, const void *data,
                    unsigned size, struct vidxd_desc *desc);

#endif /* VIDXD_DSA_EMUL_H */
