/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The PCI identity of a DSA function, shared by the physical function and
 * the virtual devices: Intel 8086:0b25, class 0x088000, two 64-bit
 * prefetchable BARs (registers, portals), a PCIe capability of a Root
 * Complex Integrated Endpoint with FLR, and MSI-X in BAR0 (dsa.md §1.1,
 * §5.1, §8.1).  The generic config-space rules live in the pci layer.
 */
#include <errno.h>

#include "vidxd/dsa.h"
#include "vidxd/pci.h"

int
vidxd_dsa_pci_cfg_create(uint64_t bar0_size, uint64_t bar2_size,
                         unsigned num_msix, uint32_t msix_table_offset,
                         uint32_t msix_pba_offset, struct vidxd_pci_cfg **out)
{
    const struct vidxd_pci_ids ids = {
        .vendor_id = VIDXD_PCI_VENDOR_INTEL,
        .device_id = VIDXD_PCI_DEVICE_DSA_SPR,
        .subsys_vendor_id = VIDXD_PCI_VENDOR_INTEL,
        .subsys_id = 0,
        .revision = 0,
        .class_code = VIDXD_PCI_CLASS_DSA,
    };
    const struct vidxd_pci_msix_desc msix = {
        .nvec = (uint16_t)num_msix,
        .table_bir = 0,
        .table_offset = msix_table_offset,
        .pba_bir = 0,
        .pba_offset = msix_pba_offset,
    };
    const unsigned bar_flags = VIDXD_PCI_BAR_MEM64 | VIDXD_PCI_BAR_PREFETCH;
    struct vidxd_pci_cfg *cfg;
    int rc;

    if (num_msix == 0 || num_msix > 2048) {
        return -EINVAL;
    }
    rc = vidxd_pci_cfg_create(&ids, VIDXD_PCIE_CFG_SIZE, &cfg);
    if (rc < 0) {
        return rc;
    }
    rc = vidxd_pci_cfg_set_bar(cfg, 0, bar0_size, bar_flags);
    if (rc == 0) {
        rc = vidxd_pci_cfg_set_bar(cfg, 2, bar2_size, bar_flags);
    }
    if (rc == 0) {
        rc = vidxd_pci_cfg_add_pcie(cfg, VIDXD_PCIE_RCIEP, VIDXD_PCIE_CAP_FLR,
                                    NULL);
    }
    if (rc == 0) {
        rc = vidxd_pci_cfg_add_msix(cfg, &msix, NULL);
    }
    if (rc < 0) {
        vidxd_pci_cfg_destroy(cfg);
        return rc;
    }
    *out = cfg;
    return 0;
}
