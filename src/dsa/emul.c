/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DSA emulation helpers shared by the device model and the vdev layer
 * (see emul.h): the registers below 0x100 that every emulated DSA has with
 * the same semantics (reference/dsa.md §1.2, §1.6), the WQ bitmap operand
 * (§1.4) and the trapped assembly of portal slots (§1.7).
 */
#include <string.h>

#include "dsa/emul.h"

/* INTCAUSE bits software may clear (W1C); EVL is absent (no GENCAP bit). */
#define INTCAUSE_W1C                                                           \
    (VIDXD_INTCAUSE_ERR | VIDXD_INTCAUSE_CMD | VIDXD_INTCAUSE_OCCUPY |         \
     VIDXD_INTCAUSE_PERFMON_OVFL | VIDXD_INTCAUSE_HALT_STATE |                 \
     VIDXD_INTCAUSE_INT_HANDLE_REVOKED)
#define GENCTRL_RW (VIDXD_GENCTRL_SOFTERR_INT_EN | VIDXD_GENCTRL_HALT_INT_EN)

void
dsa_regfile_init(struct dsa_regfile *rf)
{
    pthread_mutex_init(&rf->err_lock, NULL);
}

void
dsa_regfile_fini(struct dsa_regfile *rf)
{
    pthread_mutex_destroy(&rf->err_lock);
}

unsigned
dsa_regfile_state(const struct dsa_regfile *rf)
{
    return __atomic_load_n(&rf->gensts, __ATOMIC_ACQUIRE) &
           VIDXD_GENSTS_STATE_MASK;
}

uint64_t
dsa_regfile_read(struct dsa_regfile *rf, uint64_t off)
{
    uint64_t v;

    switch (off) {
    case VIDXD_REG_VERSION:
        return rf->version;
    case VIDXD_REG_GENCAP:
        return rf->gencap;
    case VIDXD_REG_WQCAP:
        return rf->wqcap;
    case VIDXD_REG_GRPCAP:
        return rf->grpcap;
    case VIDXD_REG_ENGCAP:
        return rf->engcap;
    case VIDXD_REG_OPCAP:
    case VIDXD_REG_OPCAP + 8:
    case VIDXD_REG_OPCAP + 16:
    case VIDXD_REG_OPCAP + 24:
        return rf->opcap[(off - VIDXD_REG_OPCAP) / 8];
    case VIDXD_REG_OFFSETS:
    case VIDXD_REG_OFFSETS + 8:
        return rf->offsets[(off - VIDXD_REG_OFFSETS) / 8];
    case VIDXD_REG_GENCTRL:
        return __atomic_load_n(&rf->genctrl, __ATOMIC_ACQUIRE);
    case VIDXD_REG_GENSTS:
        return __atomic_load_n(&rf->gensts, __ATOMIC_ACQUIRE);
    case VIDXD_REG_INTCAUSE:
        pthread_mutex_lock(&rf->err_lock);
        v = rf->intcause;
        pthread_mutex_unlock(&rf->err_lock);
        return v;
    case VIDXD_REG_CMDSTS:
        return __atomic_load_n(&rf->cmdsts, __ATOMIC_ACQUIRE);
    case VIDXD_REG_CMDCAP:
        return rf->cmdcap;
    case VIDXD_REG_SWERR:
    case VIDXD_REG_SWERR + 8:
    case VIDXD_REG_SWERR + 16:
    case VIDXD_REG_SWERR + 24:
        pthread_mutex_lock(&rf->err_lock);
        v = rf->swerr[(off - VIDXD_REG_SWERR) / 8];
        pthread_mutex_unlock(&rf->err_lock);
        return v;
    default:
        return 0; /* reserved; no event log (GENCAP.evl_support 0) */
    }
}

void
dsa_regfile_write(struct dsa_regfile *rf, uint64_t off, uint64_t val,
                  uint64_t wmask)
{
    switch (off) {
    case VIDXD_REG_GENCTRL:
        __atomic_store_n(
            &rf->genctrl,
            (uint32_t)dsa_reg_merge(rf->genctrl, val, wmask, GENCTRL_RW),
            __ATOMIC_RELEASE);
        break;
    case VIDXD_REG_INTCAUSE:
        pthread_mutex_lock(&rf->err_lock);
        rf->intcause &= ~(uint32_t)(val & wmask & INTCAUSE_W1C);
        pthread_mutex_unlock(&rf->err_lock);
        break;
    case VIDXD_REG_SWERR:
        /* The driver acknowledges with VALID|OVERFLOW (W1C, §1.6). */
        pthread_mutex_lock(&rf->err_lock);
        rf->swerr[0] &=
            ~(val & wmask & (VIDXD_SWERR_VALID | VIDXD_SWERR_OVERFLOW));
        pthread_mutex_unlock(&rf->err_lock);
        break;
    default:
        break; /* read-only or reserved */
    }
}

void
dsa_regfile_raise(struct dsa_regfile *rf, uint32_t bits)
{
    pthread_mutex_lock(&rf->err_lock);
    rf->intcause |= bits;
    pthread_mutex_unlock(&rf->err_lock);
}

uint32_t
dsa_regfile_swerr(struct dsa_regfile *rf, uint64_t q0, uint64_t q1, uint64_t q2)
{
    uint32_t genctrl = __atomic_load_n(&rf->genctrl, __ATOMIC_ACQUIRE);

    pthread_mutex_lock(&rf->err_lock);
    if ((rf->swerr[0] & VIDXD_SWERR_VALID) != 0) {
        rf->swerr[0] |= VIDXD_SWERR_OVERFLOW;
    } else {
        rf->swerr[0] = q0 | VIDXD_SWERR_VALID;
        rf->swerr[1] = q1;
        rf->swerr[2] = q2;
        rf->swerr[3] = 0;
    }
    pthread_mutex_unlock(&rf->err_lock);
    return (genctrl & VIDXD_GENCTRL_SOFTERR_INT_EN) ? VIDXD_INTCAUSE_ERR : 0;
}

uint32_t
dsa_regfile_halt_cause(struct dsa_regfile *rf, uint8_t code)
{
    uint32_t bits, genctrl;

    bits =
        dsa_regfile_swerr(rf, (uint64_t)code << VIDXD_SWERR_ERROR_SHIFT, 0, 0);
    genctrl = __atomic_load_n(&rf->genctrl, __ATOMIC_ACQUIRE);
    if ((genctrl & VIDXD_GENCTRL_HALT_INT_EN) != 0) {
        bits |= VIDXD_INTCAUSE_HALT_STATE;
    }
    return bits;
}

bool
dsa_regfile_cmd_begin(struct dsa_regfile *rf, uint32_t *old)
{
    *old =
        __atomic_fetch_or(&rf->cmdsts, VIDXD_CMDSTS_ACTIVE, __ATOMIC_ACQ_REL);
    return (*old & VIDXD_CMDSTS_ACTIVE) == 0;
}

uint32_t
dsa_regfile_cmd_end(struct dsa_regfile *rf, uint32_t cmd, uint32_t sts)
{
    __atomic_store_n(&rf->cmdsts, sts, __ATOMIC_RELEASE);
    return (cmd & VIDXD_CMD_INT_REQ) != 0 ? VIDXD_INTCAUSE_CMD : 0;
}

void
dsa_regfile_reset(struct dsa_regfile *rf)
{
    __atomic_store_n(&rf->genctrl, 0, __ATOMIC_RELEASE);
    __atomic_store_n(&rf->cmdsts, 0, __ATOMIC_RELEASE);
    pthread_mutex_lock(&rf->err_lock);
    rf->intcause = 0;
    memset(rf->swerr, 0, sizeof(rf->swerr));
    pthread_mutex_unlock(&rf->err_lock);
}

unsigned
dsa_cmd_check(unsigned code, uint32_t supported, unsigned state)
{
    if (code > VIDXD_CMD_RELEASE_INT_HANDLE ||
        (supported & (1u << code)) == 0) {
        return VIDXD_CMDSTS_INVAL_CMD;
    }
    if (state == VIDXD_GENSTS_HALT && code != VIDXD_CMD_RESET_DEVICE) {
        return VIDXD_CMDSTS_HW_ERR;
    }
    if (state == VIDXD_GENSTS_ENABLED) {
        return VIDXD_CMDSTS_SUCCESS;
    }
    switch (code) {
    case VIDXD_CMD_DISABLE_DEVICE:
        return VIDXD_CMDSTS_DIS_DEV_EN;
    case VIDXD_CMD_DRAIN_ALL:
    case VIDXD_CMD_ABORT_ALL:
    case VIDXD_CMD_DRAIN_PASID:
    case VIDXD_CMD_ABORT_PASID:
    case VIDXD_CMD_DISABLE_WQ:
    case VIDXD_CMD_DRAIN_WQ:
    case VIDXD_CMD_ABORT_WQ:
    case VIDXD_CMD_RESET_WQ:
        return VIDXD_CMDSTS_DEV_NOT_EN;
    default:
        return VIDXD_CMDSTS_SUCCESS;
    }
}

unsigned
dsa_wq_mask_decode(uint32_t operand, unsigned num_wqs, uint64_t *out)
{
    unsigned base =
        ((operand & VIDXD_CMD_OPERAND_MASK) >> VIDXD_CMD_WQ_MASK_GROUP_SHIFT) *
        16;
    unsigned n;

    *out = 0;
    for (n = 0; n < 16; n++) {
        if ((operand & (1u << n)) == 0) {
            continue;
        }
        if (base + n >= num_wqs) {
            return VIDXD_CMDSTS_INVAL_WQIDX;
        }
        *out |= 1ull << (base + n);
    }
    return VIDXD_CMDSTS_SUCCESS;
}

bool
dsa_slot_write(struct dsa_slot *s, unsigned byte, const void *data,
               unsigned size, struct vidxd_desc *desc)
{
    memcpy(s->buf + byte, data, size);
    s->mask |= (size == 64 ? ~0ull : ((1ull << size) - 1)) << byte;
    if (s->mask != ~0ull) {
        return false;
    }
    memcpy(desc, s->buf, sizeof(*desc));
    s->mask = 0;
    return true;
}
