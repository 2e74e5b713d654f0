/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The DSA physical function: glue between the vfio-user server's PCI
 * function interface and the device model.  Config space comes from the
 * pci layer, BAR0 and BAR2 from the dsa model, MSI-X vectors and the IMS
 * from the irq layer, guest memory from one address space that the server
 * fills with the VMM's DMA maps.
 *
 * QEMU emulates the MSI-X table itself and never forwards table writes
 * (vfio-user.md §2.7), so the MSI-X domain is created VMM-emulated: the
 * eventfds given by SET_IRQS are the targets, and masking is QEMU's.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vidxd/irq.h"
#include "vidxd/log.h"
#include "vidxd/mem.h"
#include "vidxd/pci.h"
#include "vidxd/server.h"
#include "vidxd/vdev.h"
#include "daemon/pf.h"

struct pf {
    char *name;
    char *socket_path;
    struct vidxd_dsa *dsa;
    struct vidxd_dsa_layout layout;
    struct vidxd_pci_cfg *cfg;
    struct vidxd_irq_dev *irq;
    struct vidxd_as *as;
    struct vidxd_server *srv;
    int portal_fd; /* mapped mode: the BAR2 memfd (owned by the model) */
    bool handles; /* cmd_cap: interrupt handles come from the irq layer */
    enum vidxd_dsa_portal_mode portal_mode;
    struct pf_host_hooks hooks; /* the device manager (manager.c) */
    void *hooks_opaque;
    /* A VMM completed VERSION and was accepted (a refused one may stay
     * connected without owning anything). */
    bool vm_attached;
};

/* ---- device model host ops ---- */

static void
pf_interrupt(void *opaque, unsigned index, bool ims)
{
    struct pf *pf = opaque;

    if (!ims && index == 0) {
        /* A parent error may concern a virtual device's WQ: reflect it
         * into that vdev's SWERR and vector 0 (dsa.md §5.3). */
        vidxd_vdev_poll_errors(pf->dsa);
    }
    if (ims) {
        vidxd_irq_raise(pf->irq, VIDXD_IRQ_DOMAIN_IMS, index);
    } else if (pf->handles) {
        /* Handle 0 is bound to vector 0 at creation, so INTCAUSE events
         * (index 0) and descriptor handles resolve the same way. */
        vidxd_irq_raise_handle(pf->irq, (uint16_t)index);
    } else {
        vidxd_irq_raise(pf->irq, VIDXD_IRQ_DOMAIN_MSIX, index);
    }
}

/*
 * With GENCAP.cmd_cap the guest asks for interrupt handles
 * (REQUEST_INT_HANDLE, dsa.md §1.4, §4); they are real handles of the irq
 * layer, so a released handle stops being valid and a descriptor carrying
 * it completes with INT_HANDLE_INVAL.  Vector 0 is not handed out: it
 * carries INTCAUSE.  IMS entries belong to the host's virtual devices.
 */
static int
pf_alloc_handle(void *opaque, unsigned vector, bool ims, uint16_t *handle)
{
    struct pf *pf = opaque;

    if (ims) {
        return -ENOSPC;
    }
    if (vector == 0 || vector >= pf->layout.num_msix) {
        return -EINVAL;
    }
    return vidxd_irq_handle_alloc(pf->irq, VIDXD_IRQ_DOMAIN_MSIX, vector,
                                  handle) == 0
               ? 0
               : -ENOSPC;
}

static int
pf_release_handle(void *opaque, uint16_t handle, bool ims)
{
    struct pf *pf = opaque;
    unsigned domain;
    uint32_t index;

    if (ims || handle == 0 ||
        vidxd_irq_handle_lookup(pf->irq, handle, &domain, &index) < 0 ||
        domain != VIDXD_IRQ_DOMAIN_MSIX) {
        return -EINVAL;
    }
    return vidxd_irq_handle_release(pf->irq, handle);
}

static int
pf_table_read(void *opaque, unsigned table, uint64_t off, unsigned size,
              uint64_t *val)
{
    struct pf *pf = opaque;

    switch (table) {
    case VIDXD_DSA_TABLE_MSIX:
        return vidxd_irq_msix_table_read(pf->irq, off, size, val);
    case VIDXD_DSA_TABLE_PBA:
        return vidxd_irq_msix_pba_read(pf->irq, off, size, val);
    case VIDXD_DSA_TABLE_IMS:
        return vidxd_irq_ims_array_read(pf->irq, VIDXD_IRQ_DOMAIN_IMS, off,
                                        size, val);
    }
    return -EINVAL;
}

static int
pf_table_write(void *opaque, unsigned table, uint64_t off, unsigned size,
               uint64_t val)
{
    struct pf *pf = opaque;

    switch (table) {
    case VIDXD_DSA_TABLE_MSIX:
        return vidxd_irq_msix_table_write(pf->irq, off, size, val);
    case VIDXD_DSA_TABLE_PBA:
        return 0; /* PBA writes are ignored (PCI) */
    case VIDXD_DSA_TABLE_IMS:
        return vidxd_irq_ims_array_write(pf->irq, VIDXD_IRQ_DOMAIN_IMS, off,
                                         size, val);
    }
    return -EINVAL;
}

/*
 * An IMS entry fires only for descriptors of its PASID (dsa.md §4): this is
 * what keeps one virtual device from raising another's interrupts.  MSI-X
 * handles follow the model's default rules (index range and MSIXPERM).
 */
static bool
pf_int_handle_valid(void *opaque, uint16_t handle, bool ims, uint32_t pasid)
{
    struct pf *pf = opaque;
    struct vidxd_irq_entry_info info;

    if (!ims) {
        uint32_t vector = handle;
        unsigned domain;

        if (pf->handles &&
            (vidxd_irq_handle_lookup(pf->irq, handle, &domain, &vector) < 0 ||
             domain != VIDXD_IRQ_DOMAIN_MSIX)) {
            return false;
        }
        return vidxd_dsa_msixperm_allows(pf->dsa, vector, pasid);
    }
    if (vidxd_irq_entry_info(pf->irq, VIDXD_IRQ_DOMAIN_IMS, handle, &info) <
            0 ||
        !info.active) {
        return false;
    }
    return vidxd_irq_ims_array_pasid_ok(pf->irq, VIDXD_IRQ_DOMAIN_IMS, handle,
                                        pasid != VIDXD_DSA_NO_PASID, pasid);
}

static const struct vidxd_dsa_host_ops pf_dsa_ops = {
    .interrupt = pf_interrupt,
    .int_handle_valid = pf_int_handle_valid,
    .table_read = pf_table_read,
    .table_write = pf_table_write,
};

static const struct vidxd_dsa_host_ops pf_dsa_ops_handles = {
    .interrupt = pf_interrupt,
    .int_handle_valid = pf_int_handle_valid,
    .alloc_handle = pf_alloc_handle,
    .release_handle = pf_release_handle,
    .table_read = pf_table_read,
    .table_write = pf_table_write,
};

/* ---- config space hooks ---- */

static void
pf_cfg_command(void *opaque, uint16_t old_cmd, uint16_t new_cmd)
{
    struct pf *pf = opaque;

    /* Bus master enable gates all DMA of the function (PCI 3.0 §6.2.2). */
    if ((old_cmd ^ new_cmd) & 0x4) {
        vidxd_dsa_set_bus_master(pf->dsa, (new_cmd & 0x4) != 0);
    }
}

static void
pf_cfg_msix(void *opaque, bool enabled, bool function_masked)
{
    struct pf *pf = opaque;

    vidxd_irq_msix_set_ctrl(pf->irq, enabled, function_masked);
}

static void
pf_cfg_flr(void *opaque)
{
    struct pf *pf = opaque;

    vidxd_dsa_reset(pf->dsa);
    vidxd_dsa_set_bus_master(pf->dsa, false);
    vidxd_irq_table_reset(pf->irq, VIDXD_IRQ_DOMAIN_MSIX);
}

static const struct vidxd_pci_cfg_hooks pf_cfg_hooks = {
    .command = pf_cfg_command,
    .msix = pf_cfg_msix,
    .flr = pf_cfg_flr,
};

/* ---- vfio-user PCI function ---- */

static int
pf_region_info(void *opaque, uint32_t index, struct vidxd_region_info *info)
{
    struct pf *pf = opaque;

    memset(info, 0, sizeof(*info));
    info->fd = -1;
    switch (index) {
    case VIDXD_PCI_REGION_CONFIG:
        info->size = vidxd_pci_cfg_size(pf->cfg);
        info->flags = VIDXD_REGION_READ | VIDXD_REGION_WRITE;
        break;
    case VIDXD_PCI_REGION_BAR0:
        info->size = pf->layout.bar0_size;
        info->flags = VIDXD_REGION_READ | VIDXD_REGION_WRITE;
        break;
    case VIDXD_PCI_REGION_BAR0 + 2:
        info->size = pf->layout.bar2_size;
        info->flags = VIDXD_REGION_READ | VIDXD_REGION_WRITE;
        if (pf->portal_fd >= 0) {
            /* Mapped portals: the guest stores straight into shared
             * memory that the workers poll (design.md "Portals"). */
            info->flags |= VIDXD_REGION_MMAP;
            info->fd = pf->portal_fd;
            info->nr_areas = 1;
            info->areas[0].offset = 0;
            info->areas[0].size = pf->layout.bar2_size;
        }
        break;
    default:
        break;
    }
    return 0;
}

static int
pf_cfg_read(void *opaque, uint32_t off, void *buf, size_t len)
{
    struct pf *pf = opaque;

    return vidxd_pci_cfg_read(pf->cfg, off, buf, len);
}

static int
pf_cfg_write(void *opaque, uint32_t off, const void *buf, size_t len)
{
    struct pf *pf = opaque;

    return vidxd_pci_cfg_write(pf->cfg, off, buf, len);
}

static int
pf_bar_read(void *opaque, unsigned bar, uint64_t off, void *buf, size_t len)
{
    struct pf *pf = opaque;
    uint64_t v = 0;
    int rc;

    if (bar == 2) {
        return vidxd_dsa_portal_read(pf->dsa, off, buf, (unsigned)len);
    }
    if (bar != 0) {
        return -EINVAL;
    }
    rc = vidxd_dsa_bar0_read(pf->dsa, off, (unsigned)len, &v);
    if (rc == 0) {
        memcpy(buf, &v, len); /* little-endian host */
    }
    return rc;
}

static int
pf_bar_write(void *opaque, unsigned bar, uint64_t off, const void *buf,
             size_t len)
{
    struct pf *pf = opaque;
    uint64_t v = 0;

    if (bar == 2) {
        return vidxd_dsa_portal_write(pf->dsa, off, buf, (unsigned)len);
    }
    if (bar != 0 || len > sizeof(v)) {
        return -EINVAL;
    }
    memcpy(&v, buf, len);
    return vidxd_dsa_bar0_write(pf->dsa, off, (unsigned)len, v);
}

static uint32_t
pf_irq_count(void *opaque, uint32_t index)
{
    struct pf *pf = opaque;

    return index == VIDXD_PCI_IRQ_MSIX ? pf->layout.num_msix : 0;
}

static void
pf_irq_eventfds(void *opaque, uint32_t index, uint32_t start, uint32_t count,
                const int *fds)
{
    struct pf *pf = opaque;
    int rc;

    if (index != VIDXD_PCI_IRQ_MSIX) {
        return;
    }
    rc = vidxd_irq_set_eventfds(pf->irq, VIDXD_IRQ_DOMAIN_MSIX, start, count,
                                fds);
    if (rc < 0) {
        VIDXD_LOG_RATELIMIT(LOG_WARNING, "pf",
                            "%s: MSI-X eventfds %u+%u refused: %s", pf->name,
                            start, count, strerror(-rc));
    }
}

static int
pf_irq_mask(void *opaque, uint32_t index, uint32_t start, uint32_t count,
            bool masked)
{
    struct pf *pf = opaque;

    if (index != VIDXD_PCI_IRQ_MSIX) {
        return -EINVAL;
    }
    return vidxd_irq_vmm_mask(pf->irq, VIDXD_IRQ_DOMAIN_MSIX, start, count,
                              masked);
}

static int
pf_reset(void *opaque)
{
    struct pf *pf = opaque;

    vidxd_dsa_reset(pf->dsa);
    vidxd_pci_cfg_reset(pf->cfg);
    vidxd_dsa_set_bus_master(pf->dsa, false);
    vidxd_irq_table_reset(pf->irq, VIDXD_IRQ_DOMAIN_MSIX);
    return 0;
}

static struct vidxd_as *
pf_dma_as(void *opaque)
{
    struct pf *pf = opaque;

    return pf->as;
}

static void
pf_detach(void *opaque)
{
    struct pf *pf = opaque;

    /* The VMM is gone: its eventfds go with it (design.md invariant 1:
     * the device keeps its state for the next VMM). */
    vidxd_irq_set_eventfds(pf->irq, VIDXD_IRQ_DOMAIN_MSIX, 0,
                           pf->layout.num_msix, NULL);
    pf->vm_attached = false;
    if (pf->hooks.detach != NULL) {
        pf->hooks.detach(pf->hooks_opaque);
    }
    VIDXD_INFO("pf", "%s: VMM disconnected", pf->name);
}

static int
pf_attach(void *opaque)
{
    struct pf *pf = opaque;

    /* The host and a VM never drive the function at the same time: the
     * manager refuses a VMM while the host uses the device. */
    if (pf->hooks.attach != NULL) {
        int rc = pf->hooks.attach(pf->hooks_opaque);

        if (rc < 0) {
            return rc;
        }
    }
    pf->vm_attached = true;
    VIDXD_INFO("pf", "%s: VMM connected", pf->name);
    return 0;
}

static const struct vidxd_pci_fn_ops pf_fn_ops = {
    .region_info = pf_region_info,
    .cfg_read = pf_cfg_read,
    .cfg_write = pf_cfg_write,
    .bar_read = pf_bar_read,
    .bar_write = pf_bar_write,
    .irq_count = pf_irq_count,
    .irq_eventfds = pf_irq_eventfds,
    .irq_mask = pf_irq_mask,
    .reset = pf_reset,
    .dma_as = pf_dma_as,
    .attach = pf_attach,
    .detach = pf_detach,
};

int
pf_build_pci_cfg(const struct vidxd_dsa_layout *layout,
                 struct vidxd_pci_cfg **out)
{
    return vidxd_dsa_pci_cfg_create(layout->bar0_size, layout->bar2_size,
                                    layout->num_msix,
                                    layout->msix_table_offset,
                                    layout->msix_pba_offset, out);
}

int
pf_create(const struct pf_config *cfg, struct pf **out)
{
    struct vidxd_server_config scfg;
    struct pf *pf;
    int rc;

    pf = calloc(1, sizeof(*pf));
    if (pf == NULL) {
        return -ENOMEM;
    }
    pf->portal_fd = -1;
    pf->portal_mode = cfg->dsa.portal_mode;
    pf->handles = cfg->dsa.cmd_cap;
    pf->name = strdup(cfg->name);
    pf->socket_path = strdup(cfg->socket_path);
    if (pf->name == NULL || pf->socket_path == NULL) {
        rc = -ENOMEM;
        goto err;
    }
    rc = vidxd_as_create(0, &pf->as);
    if (rc < 0) {
        goto err;
    }
    rc = vidxd_dsa_create(&cfg->dsa,
                          pf->handles ? &pf_dsa_ops_handles : &pf_dsa_ops, pf,
                          &pf->dsa);
    if (rc < 0) {
        VIDXD_ERR("pf", "%s: device model: %s", pf->name, strerror(-rc));
        goto err;
    }
    vidxd_dsa_get_layout(pf->dsa, &pf->layout);
    rc = vidxd_dsa_set_as(pf->dsa, pf->as);
    if (rc < 0) {
        goto err;
    }
    rc = vidxd_irq_dev_create(pf->name, pf->handles ? 4096 : 0, &pf->irq);
    if (rc == 0) {
        rc = vidxd_irq_msix_create(pf->irq, pf->layout.num_msix,
                                   VIDXD_IRQ_MSIX_VMM_EMULATED);
    }
    /* Every vector exists from the start, so an interrupt raised before
     * the VMM hands over its eventfds stays pending instead of being lost
     * (design.md invariant 3). */
    if (rc == 0) {
        rc = vidxd_irq_alloc(pf->irq, VIDXD_IRQ_DOMAIN_MSIX, 0,
                             pf->layout.num_msix, 0, NULL);
    }
    if (rc == 0) {
        rc = vidxd_irq_activate(pf->irq, VIDXD_IRQ_DOMAIN_MSIX, 0,
                                pf->layout.num_msix, NULL, 0);
    }
    if (rc == 0 && pf->handles) {
        rc = vidxd_irq_handle_alloc_at(pf->irq, 0, VIDXD_IRQ_DOMAIN_MSIX, 0);
    }
    if (rc == 0 && pf->layout.num_ims > 0) {
        /* The IMS belongs to the host (vidxd), which programs an entry for
         * every vector of a virtual device (dsa.md §4).  vfio-user carries
         * no arbitrary MSI messages, so a PF guest cannot use the IMS. */
        rc = vidxd_irq_ims_array_create(pf->irq, VIDXD_IRQ_DOMAIN_IMS,
                                        pf->layout.num_ims,
                                        VIDXD_IRQ_IMS_PASID);
    }
    if (rc < 0) {
        VIDXD_ERR("pf", "%s: interrupts: %s", pf->name, strerror(-rc));
        goto err;
    }
    rc = pf_build_pci_cfg(&pf->layout, &pf->cfg);
    if (rc < 0) {
        VIDXD_ERR("pf", "%s: config space: %s", pf->name, strerror(-rc));
        goto err;
    }
    vidxd_pci_cfg_set_hooks(pf->cfg, &pf_cfg_hooks, pf);
    if (cfg->dsa.portal_mode == VIDXD_DSA_PORTAL_MAPPED) {
        rc = vidxd_dsa_portal_fd(pf->dsa, &pf->portal_fd);
        if (rc < 0) {
            goto err;
        }
    }
    memset(&scfg, 0, sizeof(scfg));
    scfg.socket_path = pf->socket_path;
    scfg.ops = &pf_fn_ops;
    scfg.opaque = pf;
    scfg.name = pf->name;
    rc = vidxd_server_create(&scfg, &pf->srv);
    if (rc < 0) {
        VIDXD_ERR("pf", "%s: cannot serve on %s: %s", pf->name,
                  pf->socket_path, strerror(-rc));
        goto err;
    }
    rc = vidxd_dsa_start(pf->dsa);
    if (rc != 0) {
        rc = rc > 0 ? -rc : rc;
        goto err;
    }
    *out = pf;
    return 0;
err:
    pf_destroy(pf);
    return rc;
}

void
pf_destroy(struct pf *pf)
{
    if (pf == NULL) {
        return;
    }
    /* The server goes first: no more VMM requests, maps or eventfds. */
    vidxd_server_destroy(pf->srv);
    vidxd_dsa_destroy(pf->dsa);
    vidxd_irq_dev_destroy(pf->irq);
    vidxd_pci_cfg_destroy(pf->cfg);
    vidxd_as_destroy(pf->as);
    free(pf->socket_path);
    free(pf->name);
    free(pf);
}

int
pf_fd(const struct pf *pf)
{
    return vidxd_server_fd(pf->srv);
}

int
pf_dispatch(struct pf *pf)
{
    return vidxd_server_dispatch(pf->srv);
}

struct vidxd_dsa *
pf_dsa(struct pf *pf)
{
    return pf->dsa;
}

struct vidxd_irq_dev *
pf_irq(struct pf *pf)
{
    return pf->irq;
}

struct vidxd_server *
pf_server(struct pf *pf)
{
    return pf->srv;
}

const char *
pf_name(const struct pf *pf)
{
    return pf->name;
}

const char *
pf_socket(const struct pf *pf)
{
    return pf->socket_path;
}

enum vidxd_dsa_portal_mode
pf_portal_mode(const struct pf *pf)
{
    return pf->portal_mode;
}

void
pf_set_host_hooks(struct pf *pf, const struct pf_host_hooks *hooks,
                  void *opaque)
{
    memset(&pf->hooks, 0, sizeof(pf->hooks));
    if (hooks != NULL) {
        pf->hooks = *hooks;
    }
    pf->hooks_opaque = opaque;
}

bool
pf_vm_attached(const struct pf *pf)
{
    return pf->vm_attached;
}

/*
 * The host driver's pci_set_master() / pci_clear_master() (dsa.md §2.2
 * step 1): a write of PCI COMMAND, so config space and the device model
 * agree, through the same hook a VMM's write takes.
 */
int
pf_host_set_bus_master(struct pf *pf, bool on)
{
    uint16_t cmd = vidxd_pci_cfg_command(pf->cfg);

    cmd = on ? (uint16_t)(cmd | 0x4) : (uint16_t)(cmd & ~0x4);
    return vidxd_pci_cfg_write(pf->cfg, 0x04, &cmd, sizeof(cmd));
}

void
pf_host_reset(struct pf *pf)
{
    pf_reset(pf);
}
