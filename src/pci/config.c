/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Type-0 config header emulation: IDs, Command/Status semantics, BAR
 * declaration and sizing, byte-wise reads and writes through the writable
 * and RW1C masks, hooks on Command / MSI-X / FLR changes, and reset to the
 * power-on image (PCI Local Bus 3.0 §6.2, reference/vfio-user.md §2.5 and
 * §6: the VMM forwards every guest config write, sizing writes included).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/pci_regs.h>

#include "pci/pci_priv.h"

/* Command bits a function without I/O BARs lets software change. */
#define CMD_RW_BITS                                                            \
    (PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_PARITY |            \
     PCI_COMMAND_SERR | PCI_COMMAND_INTX_DISABLE)
/* Status error bits are RW1C (PCI 3.0 §6.2.3). */
#define STATUS_RW1C_BITS                                                       \
    (PCI_STATUS_PARITY | PCI_STATUS_SIG_TARGET_ABORT |                         \
     PCI_STATUS_REC_TARGET_ABORT | PCI_STATUS_REC_MASTER_ABORT |               \
     PCI_STATUS_SIG_SYSTEM_ERROR | PCI_STATUS_DETECTED_PARITY)

void
pci_put8(uint8_t *map, uint32_t off, uint8_t v)
{
    map[off] = v;
}

void
pci_put16(uint8_t *map, uint32_t off, uint16_t v)
{
    map[off] = (uint8_t)v;
    map[off + 1] = (uint8_t)(v >> 8);
}

void
pci_put32(uint8_t *map, uint32_t off, uint32_t v)
{
    pci_put16(map, off, (uint16_t)v);
    pci_put16(map, off + 2, (uint16_t)(v >> 16));
}

uint16_t
pci_get16(const uint8_t *map, uint32_t off)
{
    return (uint16_t)(map[off] | (map[off + 1] << 8));
}

uint32_t
pci_get32(const uint8_t *map, uint32_t off)
{
    return pci_get16(map, off) | ((uint32_t)pci_get16(map, off + 2) << 16);
}

void
pci_init16(struct vidxd_pci_cfg *cfg, uint32_t off, uint16_t v)
{
    pci_put16(cfg->data, off, v);
    pci_put16(cfg->init, off, v);
}

void
pci_init32(struct vidxd_pci_cfg *cfg, uint32_t off, uint32_t v)
{
    pci_put32(cfg->data, off, v);
    pci_put32(cfg->init, off, v);
}

int
vidxd_pci_cfg_create(const struct vidxd_pci_ids *ids, uint32_t size,
                     struct vidxd_pci_cfg **out)
{
    struct vidxd_pci_cfg *cfg;

    if (ids == NULL || (size != VIDXD_PCI_CFG_SIZE &&
                        size != VIDXD_PCIE_CFG_SIZE) ||
        ids->class_code > 0xffffffu) {
        return -EINVAL;
    }
    cfg = calloc(1, sizeof(*cfg));
    if (cfg == NULL) {
        return -ENOMEM;
    }
    cfg->size = size;
    cfg->cap_next_free = PCI_CAP_AREA_START;
    pci_init16(cfg, PCI_VENDOR_ID, ids->vendor_id);
    pci_init16(cfg, PCI_DEVICE_ID, ids->device_id);
    pci_init32(cfg, PCI_CLASS_REVISION,
               ids->class_code << 8 | ids->revision);
    pci_init16(cfg, PCI_SUBSYSTEM_VENDOR_ID, ids->subsys_vendor_id);
    pci_init16(cfg, PCI_SUBSYSTEM_ID, ids->subsys_id);
    /* Header type 0, single function; Interrupt Pin 0: no INTx (§5). */
    pci_put16(cfg->wmask, PCI_COMMAND, CMD_RW_BITS);
    pci_put16(cfg->w1c, PCI_STATUS, STATUS_RW1C_BITS);
    cfg->wmask[PCI_CACHE_LINE_SIZE] = 0xff;
    cfg->wmask[PCI_INTERRUPT_LINE] = 0xff;
    *out = cfg;
    return 0;
}

void
vidxd_pci_cfg_destroy(struct vidxd_pci_cfg *cfg)
{
    free(cfg);
}

static bool
is_pow2(uint64_t x)
{
    return x != 0 && (x & (x - 1)) == 0;
}

int
vidxd_pci_cfg_set_bar(struct vidxd_pci_cfg *cfg, unsigned bar, uint64_t size,
                      unsigned flags)
{
    const unsigned known =
        VIDXD_PCI_BAR_IO | VIDXD_PCI_BAR_MEM64 | VIDXD_PCI_BAR_PREFETCH;
    uint32_t reg = PCI_BASE_ADDRESS_0 + 4 * bar;
    uint64_t mask;

    if (bar >= VIDXD_PCI_NUM_BARS || (flags & ~known) != 0 ||
        !is_pow2(size)) {
        return -EINVAL;
    }
    if (flags & VIDXD_PCI_BAR_IO) {
        if (flags != VIDXD_PCI_BAR_IO || size < 4 || size > 256) {
            return -EINVAL;
        }
    } else if (size < 16 ||
               (!(flags & VIDXD_PCI_BAR_MEM64) && size > (1ull << 31)) ||
               ((flags & VIDXD_PCI_BAR_MEM64) &&
                bar + 1 >= VIDXD_PCI_NUM_BARS)) {
        return -EINVAL;
    }
    if (cfg->bar_size[bar] != 0 || cfg->bar_upper[bar] ||
        ((flags & VIDXD_PCI_BAR_MEM64) &&
         (cfg->bar_size[bar + 1] != 0 || cfg->bar_upper[bar + 1]))) {
        return -EBUSY;
    }
    cfg->bar_size[bar] = size;
    cfg->bar_flags[bar] = flags;
    /* Sizing (PCI 3.0 §6.2.5.1): address bits below the size read as 0. */
    mask = ~(size - 1);
    if (flags & VIDXD_PCI_BAR_IO) {
        pci_init32(cfg, reg, PCI_BASE_ADDRESS_SPACE_IO);
        pci_put32(cfg->wmask, reg, (uint32_t)mask & ~3u);
        pci_put16(cfg->wmask, PCI_COMMAND,
                  pci_get16(cfg->wmask, PCI_COMMAND) | PCI_COMMAND_IO);
        return 0;
    }
    pci_init32(cfg, reg,
               ((flags & VIDXD_PCI_BAR_MEM64) ? PCI_BASE_ADDRESS_MEM_TYPE_64
                                              : 0) |
                   ((flags & VIDXD_PCI_BAR_PREFETCH)
                        ? PCI_BASE_ADDRESS_MEM_PREFETCH
                        : 0));
    pci_put32(cfg->wmask, reg, (uint32_t)mask & ~0xfu);
    if (flags & VIDXD_PCI_BAR_MEM64) {
        cfg->bar_upper[bar + 1] = true;
        pci_put32(cfg->wmask, reg + 4, (uint32_t)(mask >> 32));
    }
    return 0;
}

uint64_t
vidxd_pci_cfg_bar_size(const struct vidxd_pci_cfg *cfg, unsigned bar)
{
    return bar < VIDXD_PCI_NUM_BARS ? cfg->bar_size[bar] : 0;
}

uint64_t
vidxd_pci_cfg_bar_addr(const struct vidxd_pci_cfg *cfg, unsigned bar)
{
    uint32_t reg = PCI_BASE_ADDRESS_0 + 4 * bar;
    uint64_t addr;

    if (bar >= VIDXD_PCI_NUM_BARS || cfg->bar_size[bar] == 0) {
        return 0;
    }
    if (cfg->bar_flags[bar] & VIDXD_PCI_BAR_IO) {
        return pci_get32(cfg->data, reg) & ~3u;
    }
    addr = pci_get32(cfg->data, reg) & ~0xfu;
    if (cfg->bar_flags[bar] & VIDXD_PCI_BAR_MEM64) {
        addr |= (uint64_t)pci_get32(cfg->data, reg + 4) << 32;
    }
    return addr;
}

uint32_t
pci_cap_alloc(struct vidxd_pci_cfg *cfg, uint8_t id, uint32_t len)
{
    uint32_t off = (cfg->cap_next_free + 3u) & ~3u;

    if (off + len > PCI_CAP_AREA_END) {
        return 0;
    }
    cfg->data[off] = id;
    cfg->init[off] = id;
    /* Link from the previous capability or from the header's pointer. */
    if (cfg->cap_last == 0) {
        cfg->data[PCI_CAPABILITY_LIST] = (uint8_t)off;
        cfg->init[PCI_CAPABILITY_LIST] = (uint8_t)off;
    } else {
        cfg->data[cfg->cap_last + PCI_CAP_LIST_NEXT] = (uint8_t)off;
        cfg->init[cfg->cap_last + PCI_CAP_LIST_NEXT] = (uint8_t)off;
    }
    pci_init16(cfg, PCI_STATUS,
               pci_get16(cfg->init, PCI_STATUS) | PCI_STATUS_CAP_LIST);
    cfg->cap_last = off;
    cfg->cap_next_free = off + len;
    return off;
}

uint8_t
vidxd_pci_cfg_find_cap(const struct vidxd_pci_cfg *cfg, uint8_t id)
{
    uint32_t off = cfg->data[PCI_CAPABILITY_LIST];
    unsigned hops;

    /* The chain is ours, but bound the walk like any reader would. */
    for (hops = 0; off >= PCI_CAP_AREA_START && hops < 48; hops++) {
        if (cfg->data[off] == id) {
            return (uint8_t)off;
        }
        off = cfg->data[off + PCI_CAP_LIST_NEXT];
    }
    return 0;
}

void
vidxd_pci_cfg_set_hooks(struct vidxd_pci_cfg *cfg,
                        const struct vidxd_pci_cfg_hooks *hooks, void *opaque)
{
    if (hooks == NULL) {
        memset(&cfg->hooks, 0, sizeof(cfg->hooks));
    } else {
        cfg->hooks = *hooks;
    }
    cfg->opaque = opaque;
}

uint32_t
vidxd_pci_cfg_size(const struct vidxd_pci_cfg *cfg)
{
    return cfg->size;
}

int
vidxd_pci_cfg_read(const struct vidxd_pci_cfg *cfg, uint32_t off, void *buf,
                   size_t len)
{
    if (len > cfg->size || off > cfg->size - len) {
        return -EINVAL;
    }
    memcpy(buf, cfg->data + off, len);
    return 0;
}

static uint16_t
msix_ctrl(const struct vidxd_pci_cfg *cfg)
{
    return cfg->msix_off ? pci_get16(cfg->data, cfg->msix_off + PCI_MSIX_FLAGS)
                         : 0;
}

/* True if the write [off, off + len) set Initiate FLR (PCIe 4.0 §7.5.3.4). */
static bool
flr_requested(const struct vidxd_pci_cfg *cfg, uint32_t off, const uint8_t *v,
              size_t len)
{
    uint32_t at;

    if (!cfg->flr || cfg->pcie_off == 0) {
        return false;
    }
    at = cfg->pcie_off + PCI_EXP_DEVCTL + 1; /* bit 15 is bit 7 of byte 1 */
    return at >= off && at - off < len &&
           (v[at - off] & (PCI_EXP_DEVCTL_BCR_FLR >> 8)) != 0;
}

int
vidxd_pci_cfg_write(struct vidxd_pci_cfg *cfg, uint32_t off, const void *buf,
                    size_t len)
{
    const uint8_t *v = buf;
    uint16_t old_cmd, new_cmd, old_msix, new_msix;
    size_t i;

    if (len > cfg->size || off > cfg->size - len) {
        return -EINVAL;
    }
    old_cmd = pci_get16(cfg->data, PCI_COMMAND);
    old_msix = msix_ctrl(cfg);
    for (i = 0; i < len; i++) {
        uint32_t o = off + (uint32_t)i;
        uint8_t d = cfg->data[o];

        d = (uint8_t)((d & ~cfg->wmask[o]) | (v[i] & cfg->wmask[o]));
        d = (uint8_t)(d & ~(v[i] & cfg->w1c[o]));
        cfg->data[o] = d;
    }
    if (flr_requested(cfg, off, v, len)) {
        vidxd_pci_cfg_reset(cfg);
        if (cfg->hooks.flr != NULL) {
            cfg->hooks.flr(cfg->opaque);
        }
        return 0;
    }
    new_cmd = pci_get16(cfg->data, PCI_COMMAND);
    new_msix = msix_ctrl(cfg);
    if (new_cmd != old_cmd && cfg->hooks.command != NULL) {
        cfg->hooks.command(cfg->opaque, old_cmd, new_cmd);
    }
    if (((new_msix ^ old_msix) &
         (PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL)) != 0 &&
        cfg->hooks.msix != NULL) {
        cfg->hooks.msix(cfg->opaque, (new_msix & PCI_MSIX_FLAGS_ENABLE) != 0,
                        (new_msix & PCI_MSIX_FLAGS_MASKALL) != 0);
    }
    return 0;
}

void
vidxd_pci_cfg_reset(struct vidxd_pci_cfg *cfg)
{
    memcpy(cfg->data, cfg->init, cfg->size);
}

void
vidxd_pci_cfg_status_set(struct vidxd_pci_cfg *cfg, uint16_t bits)
{
    pci_put16(cfg->data, PCI_STATUS,
              pci_get16(cfg->data, PCI_STATUS) | (bits & STATUS_RW1C_BITS));
}

uint16_t
vidxd_pci_cfg_command(const struct vidxd_pci_cfg *cfg)
{
    return pci_get16(cfg->data, PCI_COMMAND);
}

bool
vidxd_pci_cfg_bus_master(const struct vidxd_pci_cfg *cfg)
{
    return (vidxd_pci_cfg_command(cfg) & PCI_COMMAND_MASTER) != 0;
}

bool
vidxd_pci_cfg_msix_enabled(const struct vidxd_pci_cfg *cfg)
{
    return (msix_ctrl(cfg) & PCI_MSIX_FLAGS_ENABLE) != 0;
}

bool
vidxd_pci_cfg_msix_masked(const struct vidxd_pci_cfg *cfg)
{
    return (msix_ctrl(cfg) & PCI_MSIX_FLAGS_MASKALL) != 0;
}
