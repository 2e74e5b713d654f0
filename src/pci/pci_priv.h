/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Internal state of an emulated config space, shared by the header/BAR
 * code (config.c) and the capability builders (caps.c).  Three byte maps
 * drive every write: the current value, the writable-bit mask and the
 * write-1-to-clear mask; a fourth holds the power-on image for reset.
 */
#ifndef VIDXD_PCI_PRIV_H
#define VIDXD_PCI_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include "vidxd/pci.h"

/* Standard capabilities live between the header and offset 0x100. */
#define PCI_CAP_AREA_START 0x40u
#define PCI_CAP_AREA_END 0x100u

struct vidxd_pci_cfg {
    uint32_t size;
    uint8_t data[VIDXD_PCIE_CFG_SIZE];
    uint8_t wmask[VIDXD_PCIE_CFG_SIZE];
    uint8_t w1c[VIDXD_PCIE_CFG_SIZE];
    uint8_t init[VIDXD_PCIE_CFG_SIZE];

    uint64_t bar_size[VIDXD_PCI_NUM_BARS];
    unsigned bar_flags[VIDXD_PCI_NUM_BARS];
    bool bar_upper[VIDXD_PCI_NUM_BARS]; /* upper half of a 64-bit BAR */

    uint32_t cap_next_free; /* where the next capability goes */
    uint32_t cap_last; /* offset of the last capability, 0 if none */
    uint32_t pcie_off; /* 0 if absent */
    uint32_t msix_off; /* 0 if absent */
    bool flr;

    struct vidxd_pci_cfg_hooks hooks;
    void *opaque;
};

/* Little-endian accessors on one of the maps. */
void pci_put8(uint8_t *map, uint32_t off, uint8_t v);
void pci_put16(uint8_t *map, uint32_t off, uint16_t v);
void pci_put32(uint8_t *map, uint32_t off, uint32_t v);
uint16_t pci_get16(const uint8_t *map, uint32_t off);
uint32_t pci_get32(const uint8_t *map, uint32_t off);

/* Set a power-on value: current value and reset image. */
void pci_init16(struct vidxd_pci_cfg *cfg, uint32_t off, uint16_t v);
void pci_init32(struct vidxd_pci_cfg *cfg, uint32_t off, uint32_t v);

/*
 * Reserve @len bytes for a capability with @id, link it at the end of the
 * chain and set the Capabilities List status bit.  Returns its offset, or
 * 0 if the capability area is full.
 */
uint32_t pci_cap_alloc(struct vidxd_pci_cfg *cfg, uint8_t id, uint32_t len);

#endif /* VIDXD_PCI_PRIV_H */
