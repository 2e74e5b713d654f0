/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A DSA physical function served over vfio-user: the device model (dsa),
 * its PCI config space (pci), its MSI-X table and IMS (irq), the DMA address
 * space (mem) and the vfio-user server bound to one socket.
 */
#ifndef VIDXD_DAEMON_PF_H
#define VIDXD_DAEMON_PF_H

#include <stdbool.h>
#include <stdint.h>

#include "vidxd/dsa.h"

struct pf;

struct pf_config {
    const char *name; /* e.g. "dsa0" */
    const char *socket_path;
    struct vidxd_dsa_config dsa;
};

/* Build and start serving; returns 0 or -errno (logged). */
int pf_create(const struct pf_config *cfg, struct pf **out);
void pf_destroy(struct pf *pf);

/* The fd to poll and the handler to run when it is readable. */
int pf_fd(const struct pf *pf);
int pf_dispatch(struct pf *pf);

struct vidxd_dsa *pf_dsa(struct pf *pf);
struct vidxd_irq_dev *pf_irq(struct pf *pf);
struct vidxd_server *pf_server(struct pf *pf);
const char *pf_name(const struct pf *pf);
const char *pf_socket(const struct pf *pf);

/*
 * The host side of the function (the device manager).  attach() runs when a
 * VMM completes VERSION negotiation on the PF socket; a negative errno
 * refuses that VMM (the manager returns -EBUSY while the host uses the
 * device).  detach() runs when an accepted VMM goes.  Loop thread.
 */
struct pf_host_hooks {
    int (*attach)(void *opaque);
    void (*detach)(void *opaque);
};

void pf_set_host_hooks(struct pf *pf, const struct pf_host_hooks *hooks,
                       void *opaque);
/* True while a VMM that the host accepted is attached to the PF socket. */
bool pf_vm_attached(const struct pf *pf);
enum vidxd_dsa_portal_mode pf_portal_mode(const struct pf *pf);
/* Set or clear PCI COMMAND.bus_master as the host driver; returns 0 or
 * -errno. */
int pf_host_set_bus_master(struct pf *pf, bool on);
/* Function-level reset of everything a VM could have changed (device
 * registers, config space, MSI-X control): the host takes the device back. */
void pf_host_reset(struct pf *pf);

/* Build the DSA config space for @layout (8086:0b25, dsa.md §1.1, §5.1). */
struct vidxd_pci_cfg;
int pf_build_pci_cfg(const struct vidxd_dsa_layout *layout,
                     struct vidxd_pci_cfg **out);

#endif /* VIDXD_DAEMON_PF_H */
