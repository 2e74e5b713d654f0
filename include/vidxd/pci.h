/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Generic PCI configuration space emulation (the pci layer).
 *
 * A struct vidxd_pci_cfg is the config space of one type-0 function: it is
 * built once (IDs, BARs, capabilities), then read and written by the VMM
 * through the vfio-user server with the semantics of the PCI/PCIe
 * specifications: read-only fields, RW Command bits, RW1C Status bits, BAR
 * sizing by all-ones writes, capability registers writable only where the
 * specification says (reference/vfio-user.md §2.5, §6 "Config space").
 * It knows nothing of any particular device; a device learns of guest
 * changes through hooks (bus master, MSI-X enable/function mask, FLR).
 *
 * Offsets and bit values are those of <linux/pci_regs.h>.
 *
 * Thread model: not thread-safe.  Build, access and reset from one thread
 * (the server's event loop); mirror what other threads need (bus master,
 * MSI-X state) from the hooks.
 */
#ifndef VIDXD_PCI_H
#define VIDXD_PCI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vidxd/visibility.h"

/* Config space sizes: conventional PCI and PCI Express. */
#define VIDXD_PCI_CFG_SIZE 256u
#define VIDXD_PCIE_CFG_SIZE 4096u

#define VIDXD_PCI_NUM_BARS 6

/* BAR flags (the low bits of the BAR register). */
#define VIDXD_PCI_BAR_IO 0x1u /* I/O space (else memory) */
#define VIDXD_PCI_BAR_MEM64 0x4u /* 64-bit memory BAR: takes BAR n+1 too */
#define VIDXD_PCI_BAR_PREFETCH 0x8u /* prefetchable memory */

/* PCI Express device/port types a server may present (§2.4). */
enum vidxd_pcie_type {
    VIDXD_PCIE_ENDPOINT = 0x0,
    VIDXD_PCIE_LEGACY_ENDPOINT = 0x1,
    VIDXD_PCIE_RCIEP = 0x9, /* Root Complex Integrated Endpoint */
};

/* vidxd_pci_cfg_add_pcie() flags. */
#define VIDXD_PCIE_CAP_FLR 0x1u /* advertise Function Level Reset */

struct vidxd_pci_ids {
    uint16_t vendor_id;
    uint16_t device_id;
    uint16_t subsys_vendor_id;
    uint16_t subsys_id;
    uint8_t revision;
    uint32_t class_code; /* base << 16 | sub-class << 8 | prog-if */
};

struct vidxd_pci_msix_desc {
    uint16_t nvec; /* 1..2048 vectors; the Table Size field is nvec - 1 */
    uint8_t table_bir; /* BAR holding the table */
    uint32_t table_offset; /* 8-byte aligned */
    uint8_t pba_bir;
    uint32_t pba_offset; /* 8-byte aligned */
};

/*
 * Hooks a device installs to follow guest-driven state.  Each may be NULL.
 * They run inside vidxd_pci_cfg_write(), after the new value is in place.
 */
struct vidxd_pci_cfg_hooks {
    /* The Command register changed (e.g. Bus Master or Memory Space). */
    void (*command)(void *opaque, uint16_t old_cmd, uint16_t new_cmd);
    /* The MSI-X Enable or Function Mask bit changed. */
    void (*msix)(void *opaque, bool enabled, bool function_masked);
    /*
     * The guest wrote Initiate Function Level Reset (only with FLR
     * advertised).  Config space has already been returned to its power-on
     * values, without command/msix hooks; the device resets its own state.
     */
    void (*flr)(void *opaque);
};

struct vidxd_pci_cfg;

/*
 * Create a type-0 header: IDs, Command 0, no BARs, no capabilities,
 * Interrupt Pin 0 (no INTx), header type 0 (single function).  @size is
 * VIDXD_PCI_CFG_SIZE or VIDXD_PCIE_CFG_SIZE; the extended area of a PCIe
 * config space reads 0 (no extended capabilities).
 * Returns 0, -EINVAL (bad size, class code wider than 24 bits) or -ENOMEM.
 */
VIDXD_API int vidxd_pci_cfg_create(const struct vidxd_pci_ids *ids,
                                   uint32_t size, struct vidxd_pci_cfg **out);

/* Destroy; accepts NULL. */
VIDXD_API void vidxd_pci_cfg_destroy(struct vidxd_pci_cfg *cfg);

/*
 * Declare BAR @bar with @size bytes and VIDXD_PCI_BAR_* @flags.  Memory
 * BARs: a power of two >= 16 (<= 2 GiB unless 64-bit); a 64-bit BAR takes
 * @bar + 1 as its upper half, so @bar <= 4.  I/O BARs: a power of two in
 * 4..256, no other flag; they make the Command I/O Space bit writable.
 * Returns 0, -EINVAL or -EBUSY (the BAR or its upper half is in use).
 */
VIDXD_API int vidxd_pci_cfg_set_bar(struct vidxd_pci_cfg *cfg, unsigned bar,
                                    uint64_t size, unsigned flags);

/* Size of BAR @bar (0 if unused or the upper half of a 64-bit BAR). */
VIDXD_API uint64_t vidxd_pci_cfg_bar_size(const struct vidxd_pci_cfg *cfg,
                                          unsigned bar);

/* Address the guest programmed into BAR @bar (flag bits removed). */
VIDXD_API uint64_t vidxd_pci_cfg_bar_addr(const struct vidxd_pci_cfg *cfg,
                                          unsigned bar);

/*
 * Append a PCI Express capability (version 2) of @type; with
 * VIDXD_PCIE_CAP_FLR the Device Capabilities advertise FLR and a write of
 * Initiate FLR runs the flr hook.  Device Control keeps its RW fields
 * (error reporting, relaxed ordering, max payload, no snoop, max read
 * request), Device Status its RW1C error bits; an RCiEP has no link
 * registers.  *@off_out (may be NULL) receives the capability offset.
 * Returns 0, -EINVAL (not a 4 KiB config space, bad type or flags),
 * -EEXIST (already present) or -ENOSPC.
 */
VIDXD_API int vidxd_pci_cfg_add_pcie(struct vidxd_pci_cfg *cfg,
                                     enum vidxd_pcie_type type,
                                     unsigned flags, uint8_t *off_out);

/*
 * Append an MSI-X capability.  The table (nvec x 16 bytes) and the PBA
 * (ceil(nvec / 64) x 8 bytes) must lie inside their memory BARs, which
 * must already be set, and must not overlap.  Only the Enable and Function
 * Mask bits of Message Control are writable.
 * Returns 0, -EINVAL, -EEXIST or -ENOSPC.
 */
VIDXD_API int vidxd_pci_cfg_add_msix(struct vidxd_pci_cfg *cfg,
                                     const struct vidxd_pci_msix_desc *d,
                                     uint8_t *off_out);

/* Offset of the first capability with @id, or 0. */
VIDXD_API uint8_t vidxd_pci_cfg_find_cap(const struct vidxd_pci_cfg *cfg,
                                         uint8_t id);

/* Install @hooks (copied; NULL removes them) with @opaque. */
VIDXD_API void vidxd_pci_cfg_set_hooks(struct vidxd_pci_cfg *cfg,
                                       const struct vidxd_pci_cfg_hooks *hooks,
                                       void *opaque);

/* Size of the config space (256 or 4096). */
VIDXD_API uint32_t vidxd_pci_cfg_size(const struct vidxd_pci_cfg *cfg);

/*
 * Read @len bytes at @off (any alignment and length inside the space).
 * Returns 0 or -EINVAL (out of range, overflow-safe).
 */
VIDXD_API int vidxd_pci_cfg_read(const struct vidxd_pci_cfg *cfg,
                                 uint32_t off, void *buf, size_t len);

/*
 * Write @len bytes at @off: read-only bits keep their value, RW1C bits are
 * cleared where a 1 is written, then the hooks run for what changed.
 * Returns 0 or -EINVAL (out of range).
 */
VIDXD_API int vidxd_pci_cfg_write(struct vidxd_pci_cfg *cfg, uint32_t off,
                                  const void *buf, size_t len);

/* Return every register to its power-on value; no hook runs. */
VIDXD_API void vidxd_pci_cfg_reset(struct vidxd_pci_cfg *cfg);

/* Set RW1C Status bits on behalf of the device (e.g. master abort). */
VIDXD_API void vidxd_pci_cfg_status_set(struct vidxd_pci_cfg *cfg,
                                        uint16_t bits);

VIDXD_API uint16_t vidxd_pci_cfg_command(const struct vidxd_pci_cfg *cfg);
VIDXD_API bool vidxd_pci_cfg_bus_master(const struct vidxd_pci_cfg *cfg);
VIDXD_API bool vidxd_pci_cfg_msix_enabled(const struct vidxd_pci_cfg *cfg);
VIDXD_API bool vidxd_pci_cfg_msix_masked(const struct vidxd_pci_cfg *cfg);

#endif /* VIDXD_PCI_H */
