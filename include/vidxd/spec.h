/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DSA specification mirror: BAR0 register offsets and fields, commands and
 * their CMDSTS codes, the 64-byte work descriptor, the 32-byte completion
 * record, opcodes, flags and completion status codes.
 *
 * Names keep the specification's names (reference/dsa.md §1-§3).  Every
 * layout struct carries static assertions on its size and key offsets.
 * This header holds no code and no state; every layer may include it.
 */
#ifndef VIDXD_SPEC_H
#define VIDXD_SPEC_H

#include <stddef.h>
#include <stdint.h>

/* §1.1 PCI identity. */
#define VIDXD_PCI_VENDOR_INTEL 0x8086
#define VIDXD_PCI_DEVICE_DSA_SPR 0x0b25
#define VIDXD_PCI_CLASS_DSA 0x088000
#define VIDXD_VERSION_1_0 0x100
#define VIDXD_VERSION_2_0 0x200

/* §1.2 BAR0 fixed registers. */
#define VIDXD_REG_VERSION 0x00
#define VIDXD_REG_GENCAP 0x10
#define VIDXD_REG_WQCAP 0x20
#define VIDXD_REG_GRPCAP 0x30
#define VIDXD_REG_ENGCAP 0x38
#define VIDXD_REG_OPCAP 0x40 /* 4 x 64 */
#define VIDXD_REG_OFFSETS 0x60 /* 2 x 64 */
#define VIDXD_REG_GENCFG 0x80
#define VIDXD_REG_GENCTRL 0x88
#define VIDXD_REG_GENSTS 0x90
#define VIDXD_REG_INTCAUSE 0x98
#define VIDXD_REG_CMD 0xa0
#define VIDXD_REG_CMDSTS 0xa8
#define VIDXD_REG_CMDCAP 0xb0
#define VIDXD_REG_SWERR 0xc0 /* 4 x 64 */
#define VIDXD_REG_EVLCFG 0xe0
#define VIDXD_REG_EVLSTATUS 0xf0

/* §1.3 GENCAP fields. */
#define VIDXD_GENCAP_BLOCK_ON_FAULT (1ull << 0)
#define VIDXD_GENCAP_OVERLAP_COPY (1ull << 1)
#define VIDXD_GENCAP_CACHE_CTRL_MEM (1ull << 2)
#define VIDXD_GENCAP_CACHE_CTRL_CACHE (1ull << 3)
#define VIDXD_GENCAP_CMD_CAP (1ull << 4)
#define VIDXD_GENCAP_DEST_READBACK (1ull << 8)
#define VIDXD_GENCAP_DRAIN_READBACK (1ull << 9)
#define VIDXD_GENCAP_MAX_XFER_SHIFT_SHIFT 16
#define VIDXD_GENCAP_MAX_XFER_SHIFT_MASK (0x1full << 16)
#define VIDXD_GENCAP_MAX_BATCH_SHIFT_SHIFT 21
#define VIDXD_GENCAP_MAX_BATCH_SHIFT_MASK (0xfull << 21)
#define VIDXD_GENCAP_MAX_IMS_MULT_SHIFT 25
#define VIDXD_GENCAP_MAX_IMS_MULT_MASK (0x3full << 25)
#define VIDXD_GENCAP_CONFIG_EN (1ull << 31)

/* WQCAP fields. */
#define VIDXD_WQCAP_TOTAL_WQ_SIZE_MASK 0xffffull
#define VIDXD_WQCAP_NUM_WQS_SHIFT 16
#define VIDXD_WQCAP_WQCFG_SIZE_SHIFT 24
#define VIDXD_WQCAP_SHARED_MODE (1ull << 48)
#define VIDXD_WQCAP_DEDICATED_MODE (1ull << 49)
#define VIDXD_WQCAP_WQ_ATS_SUPPORT (1ull << 50)
#define VIDXD_WQCAP_PRIORITY (1ull << 51)
#define VIDXD_WQCAP_OCCUPANCY (1ull << 52)
#define VIDXD_WQCAP_OCCUPANCY_INT (1ull << 53)

/* GRPCAP fields. */
#define VIDXD_GRPCAP_TOTAL_RDBUFS_SHIFT 8
#define VIDXD_GRPCAP_RDBUF_CTRL (1ull << 16)
#define VIDXD_GRPCAP_RDBUF_LIMIT (1ull << 17)

/* GENCFG / GENCTRL. */
#define VIDXD_GENCFG_RDBUF_LIMIT_MASK 0xffu
#define VIDXD_GENCFG_USER_INT_EN (1u << 12)
#define VIDXD_GENCTRL_SOFTERR_INT_EN (1u << 0)
#define VIDXD_GENCTRL_HALT_INT_EN (1u << 1)

/* GENSTS. */
#define VIDXD_GENSTS_STATE_MASK 0x3u
#define VIDXD_GENSTS_DISABLED 0u
#define VIDXD_GENSTS_ENABLED 1u
#define VIDXD_GENSTS_DRAIN 2u
#define VIDXD_GENSTS_HALT 3u
#define VIDXD_GENSTS_RESET_TYPE_SHIFT 2

/* INTCAUSE (RW1C). */
#define VIDXD_INTCAUSE_ERR (1u << 0)
#define VIDXD_INTCAUSE_CMD (1u << 1)
#define VIDXD_INTCAUSE_OCCUPY (1u << 2)
#define VIDXD_INTCAUSE_PERFMON_OVFL (1u << 3)
#define VIDXD_INTCAUSE_HALT_STATE (1u << 4)
#define VIDXD_INTCAUSE_INT_HANDLE_REVOKED (1u << 31)

/* CMD / CMDSTS (§1.4). */
#define VIDXD_CMD_OPERAND_MASK 0xfffffu
#define VIDXD_CMD_CODE_SHIFT 20
#define VIDXD_CMD_CODE_MASK (0x1fu << 20)
#define VIDXD_CMD_INT_REQ (1u << 31)
#define VIDXD_CMDSTS_ERR_MASK 0xffu
#define VIDXD_CMDSTS_RESULT_SHIFT 8
#define VIDXD_CMDSTS_ACTIVE (1u << 31)
#define VIDXD_CMD_INT_HANDLE_IMS (1u << 16)

enum vidxd_cmd {
    VIDXD_CMD_ENABLE_DEVICE = 1,
    VIDXD_CMD_DISABLE_DEVICE = 2,
    VIDXD_CMD_DRAIN_ALL = 3,
    VIDXD_CMD_ABORT_ALL = 4,
    VIDXD_CMD_RESET_DEVICE = 5,
    VIDXD_CMD_ENABLE_WQ = 6,
    VIDXD_CMD_DISABLE_WQ = 7,
    VIDXD_CMD_DRAIN_WQ = 8,
    VIDXD_CMD_ABORT_WQ = 9,
    VIDXD_CMD_RESET_WQ = 10,
    VIDXD_CMD_DRAIN_PASID = 11,
    VIDXD_CMD_ABORT_PASID = 12,
    VIDXD_CMD_REQUEST_INT_HANDLE = 13,
    VIDXD_CMD_RELEASE_INT_HANDLE = 14,
};

enum vidxd_cmdsts_err {
    VIDXD_CMDSTS_SUCCESS = 0x00,
    VIDXD_CMDSTS_INVAL_CMD = 0x01,
    VIDXD_CMDSTS_INVAL_WQIDX = 0x02,
    VIDXD_CMDSTS_HW_ERR = 0x03,
    VIDXD_CMDSTS_DEV_ENABLED = 0x10,
    VIDXD_CMDSTS_DEV_CONFIG = 0x11,
    VIDXD_CMDSTS_BUSMASTER_EN = 0x12,
    VIDXD_CMDSTS_PASID_INVAL = 0x13,
    VIDXD_CMDSTS_WQ_SIZE_ERANGE = 0x14,
    VIDXD_CMDSTS_GRP_CONFIG = 0x15,
    VIDXD_CMDSTS_GRP_CONFIG2 = 0x16,
    VIDXD_CMDSTS_GRP_CONFIG3 = 0x17,
    VIDXD_CMDSTS_GRP_CONFIG4 = 0x18,
    VIDXD_CMDSTS_DEV_NOTEN = 0x20,
    VIDXD_CMDSTS_WQ_ENABLED = 0x21,
    VIDXD_CMDSTS_WQ_SIZE = 0x22,
    VIDXD_CMDSTS_WQ_PRIOR = 0x23,
    VIDXD_CMDSTS_WQ_MODE = 0x24,
    VIDXD_CMDSTS_BOF_EN = 0x25,
    VIDXD_CMDSTS_PASID_EN = 0x26,
    VIDXD_CMDSTS_MAX_BATCH_SIZE = 0x27,
    VIDXD_CMDSTS_MAX_XFER_SIZE = 0x28,
    VIDXD_CMDSTS_DIS_DEV_EN = 0x31,
    VIDXD_CMDSTS_DEV_NOT_EN = 0x32,
    VIDXD_CMDSTS_WQ_NOT_EN = 0x33,
    VIDXD_CMDSTS_INVAL_INT_IDX = 0x41,
    VIDXD_CMDSTS_NO_HANDLE = 0x42,
    VIDXD_CMDSTS_INVAL_INT_IDX_RELEASE = 0x43,
};

/* §1.5 configuration tables. */
#define VIDXD_TABLE_MULT 0x100
#define VIDXD_GRPCFG_SIZE 64
#define VIDXD_GRPCFG_WQS 0x00 /* 4 x 64 */
#define VIDXD_GRPCFG_ENGINES 0x20
#define VIDXD_GRPCFG_FLAGS 0x28
#define VIDXD_MSIX_PERM_STRIDE 8
#define VIDXD_IMS_ENTRY_SIZE 16

/* WQCFG dword 2. */
#define VIDXD_WQCFG_MODE_DEDICATED (1u << 0)
#define VIDXD_WQCFG_BOF (1u << 1)
#define VIDXD_WQCFG_ATS_DISABLE (1u << 2)
#define VIDXD_WQCFG_PRIORITY_SHIFT 4
#define VIDXD_WQCFG_PRIORITY_MASK (0xfu << 4)
#define VIDXD_WQCFG_PASID_SHIFT 8
#define VIDXD_WQCFG_PASID_MASK (0xfffffu << 8)
#define VIDXD_WQCFG_PASID_EN (1u << 28)
#define VIDXD_WQCFG_PRIV (1u << 29)
/* WQCFG dword 3. */
#define VIDXD_WQCFG_MAX_XFER_SHIFT_MASK 0x1fu
#define VIDXD_WQCFG_MAX_BATCH_SHIFT_SHIFT 5
#define VIDXD_WQCFG_MAX_BATCH_SHIFT_MASK (0xfu << 5)
/* WQCFG dword 6. */
#define VIDXD_WQCFG_OCCUPANCY_MASK 0xffffu
#define VIDXD_WQCFG_MODE_SUPPORT (1u << 29)
#define VIDXD_WQCFG_STATE_SHIFT 30
#define VIDXD_WQCFG_STATE_MASK (3u << 30)
#define VIDXD_WQ_STATE_DISABLED 0u
#define VIDXD_WQ_STATE_ENABLED 1u

/* MSIXPERM entry. */
#define VIDXD_MSIXPERM_IGNORE (1u << 2)
#define VIDXD_MSIXPERM_PASID_EN (1u << 3)
#define VIDXD_MSIXPERM_PASID_SHIFT 12

/* §1.6 SWERR qword 0. */
#define VIDXD_SWERR_VALID (1ull << 0)
#define VIDXD_SWERR_OVERFLOW (1ull << 1)
#define VIDXD_SWERR_DESC_VALID (1ull << 2)
#define VIDXD_SWERR_WQ_IDX_VALID (1ull << 3)
#define VIDXD_SWERR_BATCH (1ull << 4)
#define VIDXD_SWERR_FAULT_RW (1ull << 5)
#define VIDXD_SWERR_PRIV (1ull << 6)
#define VIDXD_SWERR_ERROR_SHIFT 8
#define VIDXD_SWERR_WQ_IDX_SHIFT 16
#define VIDXD_SWERR_OPERATION_SHIFT 32
#define VIDXD_SWERR_PASID_SHIFT 40
/* Device-defined SWERR codes (§1.6). */
#define VIDXD_SWERR_PCI_CFG 0x51
#define VIDXD_SWERR_CMD_REG 0x52

/* §1.7 BAR2 portals: 4 pages per WQ. */
#define VIDXD_PORTAL_PAGE 0x1000
#define VIDXD_PORTAL_WQ_STRIDE 0x4000
#define VIDXD_PORTAL_LIMITED 0x1000
#define VIDXD_PORTAL_IMS 0x2000

/* §3.1 opcodes. */
enum vidxd_opcode {
    VIDXD_OP_NOOP = 0x00,
    VIDXD_OP_BATCH = 0x01,
    VIDXD_OP_DRAIN = 0x02,
    VIDXD_OP_MEMMOVE = 0x03,
    VIDXD_OP_MEMFILL = 0x04,
    VIDXD_OP_COMPARE = 0x05,
    VIDXD_OP_COMPVAL = 0x06,
    VIDXD_OP_CR_DELTA = 0x07,
    VIDXD_OP_AP_DELTA = 0x08,
    VIDXD_OP_DUALCAST = 0x09,
    VIDXD_OP_TRANSL_FETCH = 0x0a,
    VIDXD_OP_CRCGEN = 0x10,
    VIDXD_OP_COPY_CRC = 0x11,
    VIDXD_OP_DIF_CHECK = 0x12,
    VIDXD_OP_DIF_INS = 0x13,
    VIDXD_OP_DIF_STRP = 0x14,
    VIDXD_OP_DIF_UPDT = 0x15,
    VIDXD_OP_DIX_GEN = 0x17,
    VIDXD_OP_CFLUSH = 0x20,
};

/* The DSA 1.0 operation set: opcodes 0x00-0x09, 0x10-0x15, 0x20. */
#define VIDXD_OPCAP0_DSA1 0x00000001003f03ffull

/* Descriptor flags. */
#define VIDXD_FLAG_FENCE 0x0001u
#define VIDXD_FLAG_BOF 0x0002u
#define VIDXD_FLAG_CRAV 0x0004u
#define VIDXD_FLAG_RCR 0x0008u
#define VIDXD_FLAG_RCI 0x0010u
#define VIDXD_FLAG_CRSTS 0x0020u
#define VIDXD_FLAG_CR 0x0080u /* check result */
#define VIDXD_FLAG_CC 0x0100u
#define VIDXD_FLAG_ADDR1_TCS 0x0200u
#define VIDXD_FLAG_ADDR2_TCS 0x0400u
#define VIDXD_FLAG_ADDR3_TCS 0x0800u
#define VIDXD_FLAG_CR_TCS 0x1000u
#define VIDXD_FLAG_STORD 0x2000u
#define VIDXD_FLAG_DRDBK 0x4000u
#define VIDXD_FLAG_DSTS 0x8000u
#define VIDXD_FLAG_CRC_READ_SEED 0x10000u
#define VIDXD_FLAG_CRC_BYPASS_INV_REF 0x20000u
#define VIDXD_FLAG_CRC_BYPASS_DATA_REF 0x40000u

/* §3.2 completion status codes. */
enum vidxd_status {
    VIDXD_STATUS_NONE = 0x00,
    VIDXD_STATUS_SUCCESS = 0x01,
    VIDXD_STATUS_SUCCESS_PRED = 0x02,
    VIDXD_STATUS_PAGE_FAULT_NOBOF = 0x03,
    VIDXD_STATUS_PAGE_FAULT_IR = 0x04,
    VIDXD_STATUS_BATCH_FAIL = 0x05,
    VIDXD_STATUS_BATCH_PAGE_FAULT = 0x06,
    VIDXD_STATUS_DR_OFFSET_NOINC = 0x07,
    VIDXD_STATUS_DR_OFFSET_ERANGE = 0x08,
    VIDXD_STATUS_DIF_ERR = 0x09,
    VIDXD_STATUS_BAD_OPCODE = 0x10,
    VIDXD_STATUS_INVALID_FLAGS = 0x11,
    VIDXD_STATUS_NOZERO_RESERVE = 0x12,
    VIDXD_STATUS_XFER_ERANGE = 0x13,
    VIDXD_STATUS_DESC_CNT_ERANGE = 0x14,
    VIDXD_STATUS_DR_ERANGE = 0x15,
    VIDXD_STATUS_OVERLAP_BUFFERS = 0x16,
    VIDXD_STATUS_DCAST_ERR = 0x17,
    VIDXD_STATUS_DESCLIST_ALIGN = 0x18,
    VIDXD_STATUS_INT_HANDLE_INVAL = 0x19,
    VIDXD_STATUS_CRA_XLAT = 0x1a,
    VIDXD_STATUS_CRA_ALIGN = 0x1b,
    VIDXD_STATUS_ADDR_ALIGN = 0x1c,
    VIDXD_STATUS_PRIV_BAD = 0x1d,
    VIDXD_STATUS_TRAFFIC_CLASS_CONF = 0x1e,
    VIDXD_STATUS_PFAULT_RDBA = 0x1f,
    VIDXD_STATUS_HW_ERR1 = 0x20,
    VIDXD_STATUS_HW_ERR_DRB = 0x21,
    VIDXD_STATUS_TRANSLATION_FAIL = 0x22,
};
#define VIDXD_STATUS_MASK 0x7fu
#define VIDXD_STATUS_WRITE_FAULT 0x80u

/* §3.1 the 64-byte work descriptor. */
struct vidxd_desc {
    uint32_t pasid_priv; /* [19:0] PASID, [31] priv */
    uint32_t flags_opcode; /* [23:0] flags, [31:24] opcode */
    uint64_t completion_addr;
    uint64_t src; /* src / pattern / desc_list / rdback */
    uint64_t dst; /* dst / src2 / comp_pattern / rdback2 */
    uint32_t xfer_size; /* or desc_count */
    uint16_t int_handle;
    uint16_t rsvd;
    uint8_t op_specific[24];
};
_Static_assert(sizeof(struct vidxd_desc) == 64, "descriptor is 64 bytes");
_Static_assert(offsetof(struct vidxd_desc, completion_addr) == 0x08, "cra");
_Static_assert(offsetof(struct vidxd_desc, src) == 0x10, "src");
_Static_assert(offsetof(struct vidxd_desc, dst) == 0x18, "dst");
_Static_assert(offsetof(struct vidxd_desc, xfer_size) == 0x20, "size");
_Static_assert(offsetof(struct vidxd_desc, int_handle) == 0x24, "ih");
_Static_assert(offsetof(struct vidxd_desc, op_specific) == 0x28, "ops");

#define VIDXD_DESC_PASID_MASK 0xfffffu
#define VIDXD_DESC_PRIV (1u << 31)
#define VIDXD_DESC_FLAGS_MASK 0xffffffu
#define VIDXD_DESC_OPCODE_SHIFT 24

static inline unsigned
vidxd_desc_opcode(const struct vidxd_desc *d)
{
    return d->flags_opcode >> VIDXD_DESC_OPCODE_SHIFT;
}

static inline uint32_t
vidxd_desc_flags(const struct vidxd_desc *d)
{
    return d->flags_opcode & VIDXD_DESC_FLAGS_MASK;
}

/* §3.2 the 32-byte completion record. */
struct vidxd_comp {
    uint8_t status;
    uint8_t result; /* or dif_status */
    uint8_t fault_info;
    uint8_t rsvd;
    uint32_t bytes_completed; /* or descs_completed */
    uint64_t fault_addr;
    uint8_t op_specific[16];
};
_Static_assert(sizeof(struct vidxd_comp) == 32, "completion record is 32 bytes");
_Static_assert(offsetof(struct vidxd_comp, bytes_completed) == 0x04, "bc");
_Static_assert(offsetof(struct vidxd_comp, fault_addr) == 0x08, "fa");
_Static_assert(offsetof(struct vidxd_comp, op_specific) == 0x10, "ops");

#define VIDXD_COMP_ALIGN 32

/*
 * §3.1 operation-specific descriptor fields: byte offsets inside
 * struct vidxd_desc (the op_specific area starts at 0x28).
 */
#define VIDXD_DESC_RSVD_PASID_MASK 0x7ff00000u /* bits 30:20 of dword 0 */
#define VIDXD_DESC_EXPECTED_RES 0x28 /* u8: COMPARE, COMPVAL */
#define VIDXD_DESC_DELTA_ADDR 0x28 /* u64: CR_DELTA */
#define VIDXD_DESC_MAX_DELTA_SIZE 0x30 /* u32: CR_DELTA */
#define VIDXD_DESC_EXPECTED_RES_MASK 0x38 /* u8: CR_DELTA */
#define VIDXD_DESC_DELTA_REC_SIZE 0x28 /* u32: AP_DELTA */
#define VIDXD_DESC_DEST2 0x28 /* u64: DUALCAST */
#define VIDXD_DESC_CRC_SEED 0x28 /* u32: CRCGEN, COPY_CRC */
#define VIDXD_DESC_CRC_SEED_ADDR 0x30 /* u64: CRCGEN, COPY_CRC */
#define VIDXD_DESC_DIF_SRC_FLAGS 0x28 /* u8 */
#define VIDXD_DESC_DIF_DST_FLAGS 0x29 /* u8 */
#define VIDXD_DESC_DIF_FLAGS 0x2a /* u8 */
#define VIDXD_DESC_DIF_SRC_REF_TAG 0x30 /* u32 */
#define VIDXD_DESC_DIF_SRC_APP_MASK 0x34 /* u16 */
#define VIDXD_DESC_DIF_SRC_APP_TAG 0x36 /* u16 */
#define VIDXD_DESC_DIF_DST_REF_TAG 0x38 /* u32 */
#define VIDXD_DESC_DIF_DST_APP_MASK 0x3c /* u16 */
#define VIDXD_DESC_DIF_DST_APP_TAG 0x3e /* u16 */

/* Alignment and size rules of individual operations (§3.1, §8 item 7). */
#define VIDXD_BATCH_LIST_ALIGN 64
#define VIDXD_DCAST_ADDR_MASK 0xfffull /* dst1[11:0] must equal dst2[11:0] */
#define VIDXD_DELTA_ENTRY_SIZE 10 /* {u16 word index, u64 data} */
#define VIDXD_DELTA_MAX_XFER (512u * 1024u) /* 2^16 words of 8 bytes */
#define VIDXD_DELTA_MIN_MAX_SIZE 80
#define VIDXD_DELTA_ALIGN 8
#define VIDXD_CRC_SEED_ALIGN 4

/* COMPARE / COMPVAL / CR_DELTA results (completion record byte 1). */
#define VIDXD_RESULT_EQUAL 0
#define VIDXD_RESULT_DIFFERENT 1
#define VIDXD_RESULT_DELTA_OVERFLOW 2
/* MEMMOVE partial completion: result bit 0 = copy direction. */
#define VIDXD_RESULT_MEMMOVE_DESCENDING 0x1

/* DIF flags (§3.1 "DIF details"): the common DIF flags byte (0x2a). */
#define VIDXD_DIF_BLOCK_SIZE_MASK 0x03u /* 0 512, 1 520, 2 4096, 3 4104 */
#define VIDXD_DIF_INVERT_CRC_SEED 0x04u
#define VIDXD_DIF_INVERT_CRC_RESULT 0x08u
#define VIDXD_DIF_FLAGS_RSVD 0xf0u
/* Source DIF flags (0x28). */
#define VIDXD_DIF_SRC_ALL_F_DETECT_ERR 0x01u
#define VIDXD_DIF_SRC_ALL_F_DETECT 0x02u
#define VIDXD_DIF_SRC_APP_F_DETECT 0x04u
#define VIDXD_DIF_SRC_APP_REF_F_DETECT 0x08u
#define VIDXD_DIF_SRC_APP_TAG_INC 0x10u
#define VIDXD_DIF_SRC_GUARD_CHECK_DISABLE 0x20u
#define VIDXD_DIF_SRC_REF_CHECK_DISABLE 0x40u
#define VIDXD_DIF_SRC_REF_TAG_FIXED 0x80u
/* Destination DIF flags (0x29); bits 2:0 are reserved. */
#define VIDXD_DIF_DST_RSVD 0x07u
#define VIDXD_DIF_DST_APP_PASS 0x08u
#define VIDXD_DIF_DST_APP_TAG_INC 0x10u
#define VIDXD_DIF_DST_GUARD_PASS 0x20u
#define VIDXD_DIF_DST_REF_PASS 0x40u
#define VIDXD_DIF_DST_REF_TAG_FIXED 0x80u
/* DIF result (completion record byte 1, "dif_status"). */
#define VIDXD_DIF_STATUS_GUARD 0x01u
#define VIDXD_DIF_STATUS_APP_TAG 0x02u
#define VIDXD_DIF_STATUS_REF_TAG 0x04u
#define VIDXD_DIF_STATUS_ALL_F 0x08u
#define VIDXD_DIF_TUPLE_SIZE 8 /* guard BE16, app tag BE16, ref tag BE32 */

/* §3.2 completion record operation-specific fields (byte offsets). */
#define VIDXD_COMP_INVALID_FLAGS 0x10 /* u32, [23:0] */
#define VIDXD_COMP_DELTA_REC_SIZE 0x10 /* u32 */
#define VIDXD_COMP_CRC_VAL 0x10 /* u32 */
#define VIDXD_COMP_DIF_SRC_REF_TAG 0x10 /* u32 */
#define VIDXD_COMP_DIF_SRC_APP_MASK 0x14 /* u16 */
#define VIDXD_COMP_DIF_SRC_APP_TAG 0x16 /* u16 */
#define VIDXD_COMP_DIF_DST_REF_TAG 0x18 /* u32 */
#define VIDXD_COMP_DIF_DST_APP_MASK 0x1c /* u16 */
#define VIDXD_COMP_DIF_DST_APP_TAG 0x1e /* u16 */

/* --- Added for the dsa device model (reference/dsa.md §1.2-§1.7). --- */

/* GENCAP bits [39:32]: reserved in current regs.h, max_descs_per_engine in
 * the 2020 layout; real SPR reads 0x40 there (§1.1). */
#define VIDXD_GENCAP_HI_SHIFT 32
#define VIDXD_GENCAP_HI_MASK (0xffull << 32)

/* WQCAP / GRPCAP / ENGCAP field masks. */
#define VIDXD_WQCAP_NUM_WQS_MASK (0xffull << 16)
#define VIDXD_WQCAP_WQCFG_SIZE_MASK (0xfull << 24)
#define VIDXD_GRPCAP_NUM_GROUPS_MASK 0xffull
#define VIDXD_GRPCAP_TOTAL_RDBUFS_MASK (0xffull << 8)
#define VIDXD_ENGCAP_NUM_ENGINES_MASK 0xffull

/* OFFSETS (TABLE_OFFSET): 16-bit fields in units of VIDXD_TABLE_MULT. */
#define VIDXD_OFFSETS_GRPCFG_SHIFT 0 /* qword 0 */
#define VIDXD_OFFSETS_WQCFG_SHIFT 16 /* qword 0 */
#define VIDXD_OFFSETS_MSIX_PERM_SHIFT 32 /* qword 0 */
#define VIDXD_OFFSETS_IMS_SHIFT 48 /* qword 0 */
#define VIDXD_OFFSETS_PERFMON_SHIFT 0 /* qword 1 */

/* GENCTRL bit 2 and INTCAUSE bit 5 exist only with an event log (2.0). */
#define VIDXD_GENCTRL_EVL_INT_EN (1u << 2)
#define VIDXD_INTCAUSE_EVL (1u << 5)

/* GENSTS reset_type values (valid in HALT). */
#define VIDXD_GENSTS_RESET_SOFTWARE 0u
#define VIDXD_GENSTS_RESET_FLR 1u
#define VIDXD_GENSTS_RESET_WARM 2u
#define VIDXD_GENSTS_RESET_COLD 3u
#define VIDXD_GENSTS_RESET_TYPE_MASK (3u << 2)

/* CMD operand forms (§1.4). */
#define VIDXD_CMD_INT_HANDLE_MASK 0xffffu
#define VIDXD_CMD_WQ_MASK_BITS 0xffffu /* DISABLE..RESET_WQ: bitmap */
#define VIDXD_CMD_WQ_MASK_GROUP_SHIFT 16 /* ... of WQs 16 * [19:16] + n */
#define VIDXD_CMD_PASID_MASK 0xfffffu

/* GRPCFG GRPFLGCFG fields (DSA 1.0). */
#define VIDXD_GRPFLG_TC_A_MASK 0x7ull
#define VIDXD_GRPFLG_TC_B_SHIFT 3
#define VIDXD_GRPFLG_TC_B_MASK (0x7ull << 3)
#define VIDXD_GRPFLG_USE_RDBUF_LIMIT (1ull << 7)
#define VIDXD_GRPFLG_RDBUFS_RESERVED_SHIFT 8
#define VIDXD_GRPFLG_RDBUFS_RESERVED_MASK (0xffull << 8)
#define VIDXD_GRPFLG_RDBUFS_ALLOWED_SHIFT 20
#define VIDXD_GRPFLG_RDBUFS_ALLOWED_MASK (0xffull << 20)

/* WQCFG layout: dword indices, strides and the remaining fields. */
#define VIDXD_WQCFG_SIZE_IDX 0
#define VIDXD_WQCFG_THRESH_IDX 1
#define VIDXD_WQCFG_MODE_IDX 2
#define VIDXD_WQCFG_SHIFTS_IDX 3
#define VIDXD_WQCFG_OCCUP_INTH_IDX 4
#define VIDXD_WQCFG_OCCUP_LIMIT_IDX 5
#define VIDXD_WQCFG_OCCUP_IDX 6
#define VIDXD_WQCFG_STRIDE_DSA1 32
#define VIDXD_WQCFG_STRIDE_DSA2 64
#define VIDXD_WQCFG_SIZE_MASK 0xffffu
#define VIDXD_WQCFG_THRESH_MASK 0xffffu
#define VIDXD_WQCFG_PRS_DISABLE (1u << 3)
#define VIDXD_WQ_STATE_BUSY 2u

/* MSIXPERM writable bits (u32 entry; the upper dword is reserved). */
#define VIDXD_MSIXPERM_PASID_MASK (0xfffffu << 12)

/* Device-defined SWERR code (vidxd): a descriptor was written to the portal
 * of a WQ that is not enabled and was dropped. */
#define VIDXD_SWERR_WQ_NOT_ENABLED 0x53

/* PERFMON block: PERFCAP at +0 (num_perf_counter in [5:0]). */
#define VIDXD_PERFMON_PERFCAP 0x000
#define VIDXD_PERFMON_BLOCK_SIZE 0x1000

/* MSI-X table entry (same shape as an IMS entry, §4). */
#define VIDXD_MSIX_ENTRY_SIZE 16

/* §1.7: a portal page holds 64 slots of one descriptor each. */
#define VIDXD_PORTAL_SLOT 64
#define VIDXD_PORTAL_PAGES_PER_WQ 4

#endif /* VIDXD_SPEC_H */
