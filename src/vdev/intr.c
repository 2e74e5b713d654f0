/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vdev layer, interrupts (reference/dsa.md §4, §5.3).  Vector 0 is the
 * vdev's own: an emulated MSI-X table in the vdev's irq device, whose
 * entries exist from the start so that a vector-0 request raised before the
 * VMM gave an eventfd stays pending instead of being lost.  Vectors 1..n
 * are parent IMS entries: REQUEST_INT_HANDLE allocates one, tagged with
 * the vdev's PASID (so the parent admits it only for the vdev's
 * descriptors), and binds it straight to the eventfd of the vector it was
 * requested for; SET_IRQS rebinds it, and without an eventfd it is left
 * unbound, which keeps raises pending until one is given (ims.md §4.7).
 */
#include <errno.h>
#include <string.h>

#include "vdev/vdev_int.h"
#include "vidxd/log.h"

int
vdev_intr_init(struct vidxd_vdev *v)
{
    int rc;

    rc = vidxd_irq_dev_create(v->name, 0, &v->irq);
    if (rc != 0) {
        return rc;
    }
    /* QEMU emulates the MSI-X table and masking (vfio-user.md §2.7). */
    rc = vidxd_irq_msix_create(v->irq, v->num_vectors,
                               VIDXD_IRQ_MSIX_VMM_EMULATED);
    if (rc == 0) {
        rc = vidxd_irq_alloc(v->irq, VIDXD_IRQ_DOMAIN_MSIX, 0, v->num_vectors,
                             0, NULL);
    }
    if (rc == 0) {
        rc = vidxd_irq_activate(v->irq, VIDXD_IRQ_DOMAIN_MSIX, 0,
                                v->num_vectors, NULL, 0);
    }
    return rc;
}

void
vdev_intr_fini(struct vidxd_vdev *v)
{
    vidxd_irq_dev_destroy(v->irq);
    v->irq = NULL;
}

void
vdev_raise_vector0(struct vidxd_vdev *v)
{
    vidxd_irq_raise(v->irq, VIDXD_IRQ_DOMAIN_MSIX, 0);
}

/* Point handle @h at the current eventfd of its vector (or at nothing:
 * pending) and apply the VMM mask.  Caller holds v->lock. */
static void
handle_sync(struct vidxd_vdev *v, const struct vdev_handle *h)
{
    struct vidxd_irq_target t = {.eventfd = v->vec_fd[h->vector]};
    int rc;

    rc = vidxd_irq_bind(v->parent_irq, VIDXD_IRQ_DOMAIN_IMS, h->ims,
                        t.eventfd >= 0 ? &t : NULL);
    if (rc != 0) {
        VIDXD_LOG_RATELIMIT(LOG_WARNING, VDEV_LOG,
                            "%s: IMS entry %u for vector %u: bind: %s", v->name,
                            h->ims, h->vector, strerror(-rc));
    }
    vidxd_irq_vmm_mask(v->parent_irq, VIDXD_IRQ_DOMAIN_IMS, h->ims, 1,
                       v->vec_masked[h->vector]);
}

/* REQUEST_INT_HANDLE (dsa.md §4, the 2020 vidxd_alloc_int_handle). */
uint32_t
vdev_handle_request(struct vidxd_vdev *v, uint32_t operand)
{
    unsigned vector = operand & VIDXD_CMD_INT_HANDLE_MASK;
    uint64_t icookie = VIDXD_IRQ_CTRL_PASID_EN |
                       ((uint64_t)v->cfg.pasid << VIDXD_IRQ_CTRL_PASID_SHIFT);
    struct vdev_handle *h = NULL;
    uint32_t ims;
    unsigned i;
    int rc;

    /* The guest has no IMS of its own: its vectors are MSI-X. */
    if ((operand & VIDXD_CMD_INT_HANDLE_IMS) != 0) {
        return dsa_cmdsts(VIDXD_CMDSTS_NO_HANDLE, 0);
    }
    if (vector == 0 || vector >= v->num_vectors) {
        return dsa_cmdsts(VIDXD_CMDSTS_INVAL_INT_IDX, 0);
    }
    for (i = 0; i < VIDXD_VDEV_MAX_HANDLES && h == NULL; i++) {
        if (!v->handles[i].used) {
            h = &v->handles[i];
        }
    }
    if (h == NULL) {
        return dsa_cmdsts(VIDXD_CMDSTS_NO_HANDLE, 0);
    }
    rc = vidxd_irq_alloc(v->parent_irq, VIDXD_IRQ_DOMAIN_IMS,
                         VIDXD_IRQ_ANY_INDEX, 1, icookie, &ims);
    if (rc != 0) {
        VIDXD_LOG_RATELIMIT(LOG_WARNING, VDEV_LOG,
                            "%s: no parent IMS entry: %s", v->name,
                            strerror(-rc));
        return dsa_cmdsts(VIDXD_CMDSTS_NO_HANDLE, 0);
    }
    if (ims > VIDXD_CMD_INT_HANDLE_MASK) {
        vidxd_irq_free(v->parent_irq, VIDXD_IRQ_DOMAIN_IMS, ims, 1);
        return dsa_cmdsts(VIDXD_CMDSTS_NO_HANDLE, 0);
    }
    rc = vidxd_irq_activate(v->parent_irq, VIDXD_IRQ_DOMAIN_IMS, ims, 1, NULL,
                            VIDXD_IRQ_ACT_UNMASK);
    if (rc != 0) {
        vidxd_irq_free(v->parent_irq, VIDXD_IRQ_DOMAIN_IMS, ims, 1);
        return dsa_cmdsts(VIDXD_CMDSTS_NO_HANDLE, 0);
    }
    h->used = true;
    h->vector = (uint16_t)vector;
    h->ims = ims;
    handle_sync(v, h);
    return dsa_cmdsts(VIDXD_CMDSTS_SUCCESS, ims);
}

/* RELEASE_INT_HANDLE: only a handle this vdev holds (else 0x43). */
uint32_t
vdev_handle_release(struct vidxd_vdev *v, uint32_t operand)
{
    uint32_t handle = operand & VIDXD_CMD_INT_HANDLE_MASK;
    unsigned i;

    if ((operand & VIDXD_CMD_INT_HANDLE_IMS) == 0) {
        for (i = 0; i < VIDXD_VDEV_MAX_HANDLES; i++) {
            struct vdev_handle *h = &v->handles[i];

            if (h->used && h->ims == handle) {
                vidxd_irq_free(v->parent_irq, VIDXD_IRQ_DOMAIN_IMS, h->ims, 1);
                memset(h, 0, sizeof(*h));
                return dsa_cmdsts(VIDXD_CMDSTS_SUCCESS, 0);
            }
        }
    }
    return dsa_cmdsts(VIDXD_CMDSTS_INVAL_INT_IDX_RELEASE, 0);
}

void
vdev_handles_free_all(struct vidxd_vdev *v)
{
    unsigned i;

    for (i = 0; i < VIDXD_VDEV_MAX_HANDLES; i++) {
        struct vdev_handle *h = &v->handles[i];

        if (h->used) {
            vidxd_irq_free(v->parent_irq, VIDXD_IRQ_DOMAIN_IMS, h->ims, 1);
            memset(h, 0, sizeof(*h));
        }
    }
}

/*
 * SET_IRQS for MSI-X vectors [start, start + count): @fds[i] (or none when
 * @fds is NULL or fds[i] < 0).  The vdev's own table takes them all; the
 * IMS entries behind vectors in the range are rebound (the irq layer keeps
 * its own copy of each fd).  Caller holds v->lock.
 */
void
vdev_intr_set_eventfds(struct vidxd_vdev *v, uint32_t start, uint32_t count,
                       const int *fds)
{
    uint32_t i;
    int rc;

    if (start >= v->num_vectors || count > v->num_vectors - start) {
        return;
    }
    rc = vidxd_irq_set_eventfds(v->irq, VIDXD_IRQ_DOMAIN_MSIX, start, count,
                                fds);
    if (rc != 0) {
        VIDXD_LOG_RATELIMIT(LOG_WARNING, VDEV_LOG,
                            "%s: MSI-X eventfds %u+%u refused: %s", v->name,
                            start, count, strerror(-rc));
        return;
    }
    for (i = 0; i < count; i++) {
        v->vec_fd[start + i] = fds != NULL && fds[i] >= 0 ? fds[i] : -1;
    }
    for (i = 0; i < VIDXD_VDEV_MAX_HANDLES; i++) {
        const struct vdev_handle *h = &v->handles[i];

        if (h->used && h->vector >= start && h->vector - start < count) {
            handle_sync(v, h);
        }
    }
}

/* SET_IRQS ACTION_MASK/UNMASK.  Caller holds v->lock. */
int
vdev_intr_vmm_mask(struct vidxd_vdev *v, uint32_t start, uint32_t count,
                   bool masked)
{
    uint32_t i;
    int rc;

    if (start >= v->num_vectors || count > v->num_vectors - start) {
        return -EINVAL;
    }
    rc =
        vidxd_irq_vmm_mask(v->irq, VIDXD_IRQ_DOMAIN_MSIX, start, count, masked);
    if (rc != 0) {
        return rc;
    }
    for (i = 0; i < count; i++) {
        v->vec_masked[start + i] = masked;
    }
    for (i = 0; i < VIDXD_VDEV_MAX_HANDLES; i++) {
        const struct vdev_handle *h = &v->handles[i];

        if (h->used && h->vector >= start && h->vector - start < count) {
            vidxd_irq_vmm_mask(v->parent_irq, VIDXD_IRQ_DOMAIN_IMS, h->ims, 1,
                               masked);
        }
    }
    return 0;
}

/* Function reset: the MSI-X table and capability back to power-on, a
 * pending vector 0 discarded (bindings to the VMM's eventfds stay). */
void
vdev_intr_reset(struct vidxd_vdev *v)
{
    vidxd_irq_table_reset(v->irq, VIDXD_IRQ_DOMAIN_MSIX);
    vidxd_irq_msix_set_ctrl(v->irq, false, false);
}
