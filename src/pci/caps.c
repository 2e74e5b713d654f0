/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Capability builders: PCI Express (version 2, Endpoint / Legacy Endpoint /
 * RCiEP, optional FLR) and MSI-X.  Each writes the power-on value and the
 * writable/RW1C masks the specification gives its registers (PCIe 4.0
 * §7.5.3, PCI 3.0 §6.8.2; reference/vfio-user.md §2.4 and §6 on what QEMU
 * accepts; dsa.md §8 item 1 for the DSA instance).
 */
#include <errno.h>

#include <linux/pci_regs.h>

#include "pci/pci_priv.h"

/* Device Control fields software may change (PCIe 4.0 §7.5.3.4). */
#define DEVCTL_RW_BITS                                                         \
    (PCI_EXP_DEVCTL_CERE | PCI_EXP_DEVCTL_NFERE | PCI_EXP_DEVCTL_FERE |        \
     PCI_EXP_DEVCTL_URRE | PCI_EXP_DEVCTL_RELAX_EN | PCI_EXP_DEVCTL_PAYLOAD |  \
     PCI_EXP_DEVCTL_NOSNOOP_EN | PCI_EXP_DEVCTL_READRQ)
/* Power-on: relaxed ordering and no snoop enabled, 512-byte read requests. */
#define DEVCTL_DEFAULT                                                         \
    (PCI_EXP_DEVCTL_RELAX_EN | PCI_EXP_DEVCTL_NOSNOOP_EN |                     \
     PCI_EXP_DEVCTL_READRQ_512B)
/* Device Status error bits are RW1C (§7.5.3.5). */
#define DEVSTA_RW1C_BITS                                                       \
    (PCI_EXP_DEVSTA_CED | PCI_EXP_DEVSTA_NFED | PCI_EXP_DEVSTA_FED |           \
     PCI_EXP_DEVSTA_URD)
/* The whole version-2 structure, through Slot Status 2 (§7.5.3). */
#define PCIE_CAP_V2_SIZE 0x3c
/* Link Control bits an endpoint lets software set: ASPM, RCB, CCC, ES. */
#define LNKCTL_RW_BITS                                                         \
    (PCI_EXP_LNKCTL_ASPMC | PCI_EXP_LNKCTL_RCB | PCI_EXP_LNKCTL_CCC |          \
     PCI_EXP_LNKCTL_ES)

int
vidxd_pci_cfg_add_pcie(struct vidxd_pci_cfg *cfg, enum vidxd_pcie_type type,
                       unsigned flags, uint8_t *off_out)
{
    uint32_t off, devcap;

    if (cfg->size != VIDXD_PCIE_CFG_SIZE || (flags & ~VIDXD_PCIE_CAP_FLR) ||
        (type != VIDXD_PCIE_ENDPOINT && type != VIDXD_PCIE_LEGACY_ENDPOINT &&
         type != VIDXD_PCIE_RCIEP)) {
        return -EINVAL;
    }
    if (cfg->pcie_off != 0) {
        return -EEXIST;
    }
    off = pci_cap_alloc(cfg, PCI_CAP_ID_EXP, PCIE_CAP_V2_SIZE);
    if (off == 0) {
        return -ENOSPC;
    }
    pci_init16(cfg, off + PCI_EXP_FLAGS, 2 | (uint16_t)(type << 4));
    /* Role-based error reporting is mandatory since PCIe 1.1. */
    devcap = PCI_EXP_DEVCAP_RBER;
    if (flags & VIDXD_PCIE_CAP_FLR) {
        devcap |= PCI_EXP_DEVCAP_FLR;
        cfg->flr = true;
    }
    pci_init32(cfg, off + PCI_EXP_DEVCAP, devcap);
    pci_init16(cfg, off + PCI_EXP_DEVCTL, DEVCTL_DEFAULT);
    pci_put16(cfg->wmask, off + PCI_EXP_DEVCTL, DEVCTL_RW_BITS);
    pci_put16(cfg->w1c, off + PCI_EXP_DEVSTA, DEVSTA_RW1C_BITS);
    if (type != VIDXD_PCIE_RCIEP) {
        /* A link at 2.5 GT/s x1; an RCiEP has none (link registers 0). */
        pci_init32(cfg, off + PCI_EXP_LNKCAP,
                   PCI_EXP_LNKCAP_SLS_2_5GB | (1u << 4));
        pci_put16(cfg->wmask, off + PCI_EXP_LNKCTL, LNKCTL_RW_BITS);
        pci_init16(cfg, off + PCI_EXP_LNKSTA,
                   PCI_EXP_LNKSTA_CLS_2_5GB | (1u << PCI_EXP_LNKSTA_NLW_SHIFT));
        pci_init32(cfg, off + PCI_EXP_LNKCAP2, PCI_EXP_LNKCAP2_SLS_2_5GB);
        pci_init16(cfg, off + PCI_EXP_LNKCTL2, PCI_EXP_LNKCTL2_TLS_2_5GT);
    }
    cfg->pcie_off = off;
    if (off_out != NULL) {
        *off_out = (uint8_t)off;
    }
    return 0;
}

/* [off, off + len) lies inside memory BAR @bir. */
static bool
in_mem_bar(const struct vidxd_pci_cfg *cfg, uint8_t bir, uint64_t off,
           uint64_t len)
{
    uint64_t size;

    if (bir >= VIDXD_PCI_NUM_BARS || cfg->bar_upper[bir] ||
        (cfg->bar_flags[bir] & VIDXD_PCI_BAR_IO)) {
        return false;
    }
    size = cfg->bar_size[bir];
    return len <= size && off <= size - len;
}

int
vidxd_pci_cfg_add_msix(struct vidxd_pci_cfg *cfg,
                       const struct vidxd_pci_msix_desc *d, uint8_t *off_out)
{
    uint64_t table_len, pba_len;
    uint32_t off;

    if (d == NULL || d->nvec == 0 || d->nvec > PCI_MSIX_FLAGS_QSIZE + 1 ||
        (d->table_offset & PCI_MSIX_TABLE_BIR) != 0 ||
        (d->pba_offset & PCI_MSIX_PBA_BIR) != 0) {
        return -EINVAL;
    }
    table_len = (uint64_t)d->nvec * PCI_MSIX_ENTRY_SIZE;
    pba_len = (((uint64_t)d->nvec + 63) / 64) * 8;
    if (!in_mem_bar(cfg, d->table_bir, d->table_offset, table_len) ||
        !in_mem_bar(cfg, d->pba_bir, d->pba_offset, pba_len)) {
        return -EINVAL;
    }
    if (d->table_bir == d->pba_bir &&
        d->table_offset < d->pba_offset + pba_len &&
        d->pba_offset < d->table_offset + table_len) {
        return -EINVAL;
    }
    if (cfg->msix_off != 0) {
        return -EEXIST;
    }
    off = pci_cap_alloc(cfg, PCI_CAP_ID_MSIX, PCI_CAP_MSIX_SIZEOF);
    if (off == 0) {
        return -ENOSPC;
    }
    pci_init16(cfg, off + PCI_MSIX_FLAGS, (uint16_t)(d->nvec - 1));
    pci_put16(cfg->wmask, off + PCI_MSIX_FLAGS,
              PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
    pci_init32(cfg, off + PCI_MSIX_TABLE, d->table_offset | d->table_bir);
    pci_init32(cfg, off + PCI_MSIX_PBA, d->pba_offset | d->pba_bir);
    cfg->msix_off = off;
    if (off_out != NULL) {
        *off_out = (uint8_t)off;
    }
    return 0;
}
