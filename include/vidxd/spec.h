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

#endif /* VIDXD_SPEC_H */
