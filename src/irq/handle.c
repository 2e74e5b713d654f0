/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Interrupt handles: 16-bit names for storage entries that a device hands
 * to its guest (DSA REQUEST_INT_HANDLE / RELEASE_INT_HANDLE and the
 * descriptor's int_handle, dsa.md §1.4, §3.1, §4).  A handle is valid from
 * allocation until release or revocation; anything else is invalid, which
 * the device reports as completion status INT_HANDLE_INVAL.  Lookups are
 * one atomic load, so the raise path stays lock-free.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "irq_internal.h"

/* Map word: valid bit, domain, index (16 bits: domains hold <= 65536). */
#define H_VALID (1u << 31)
#define H_DOM_SHIFT 16
#define H_DOM_MASK 0xffu
#define H_IDX_MASK 0xffffu

static uint32_t
h_pack(unsigned domain, uint32_t index)
{
    return H_VALID | (uint32_t)domain << H_DOM_SHIFT | (index & H_IDX_MASK);
}

int
irq_handles_init(struct vidxd_irq_dev *dev, uint32_t nr_handles)
{
    dev->nr_handles = nr_handles;
    if (nr_handles == 0) {
        return 0;
    }
    dev->handles = calloc(nr_handles, sizeof(*dev->handles));
    return dev->handles == NULL ? -ENOMEM : 0;
}

void
irq_handles_fini(struct vidxd_irq_dev *dev)
{
    free(dev->handles);
    dev->handles = NULL;
    dev->nr_handles = 0;
}

static uint32_t
h_load(struct vidxd_irq_dev *dev, uint16_t handle)
{
    if (dev == NULL || handle >= dev->nr_handles) {
        return 0;
    }
    return atomic_load_explicit(&dev->handles[handle], memory_order_acquire);
}

bool
vidxd_irq_handle_valid(struct vidxd_irq_dev *dev, uint16_t handle)
{
    return (h_load(dev, handle) & H_VALID) != 0;
}

int
vidxd_irq_handle_lookup(struct vidxd_irq_dev *dev, uint16_t handle,
                        unsigned *domain, uint32_t *index)
{
    uint32_t v = h_load(dev, handle);

    if ((v & H_VALID) == 0) {
        return -ENOENT;
    }
    if (domain != NULL) {
        *domain = (v >> H_DOM_SHIFT) & H_DOM_MASK;
    }
    if (index != NULL) {
        *index = v & H_IDX_MASK;
    }
    return 0;
}

int
vidxd_irq_raise_handle(struct vidxd_irq_dev *dev, uint16_t handle)
{
    uint32_t v = h_load(dev, handle);

    if ((v & H_VALID) == 0) {
        if (dev != NULL) {
            atomic_fetch_add_explicit(&dev->n_unknown, 1, memory_order_relaxed);
        }
        return -ENOENT;
    }
    return vidxd_irq_raise(dev, (v >> H_DOM_SHIFT) & H_DOM_MASK,
                           v & H_IDX_MASK);
}

/* Validate (domain, index) and make sure the entry exists; lock held. */
static int
handle_target(struct vidxd_irq_dev *dev, unsigned domain, uint32_t index,
              struct irq_entry **ep)
{
    struct irq_domain *d = irq_domain_get(dev, domain);

    if (d == NULL) {
        return -ENOENT;
    }
    if (index >= d->size) {
        return -ERANGE;
    }
    return irq_entry_ensure(d, index, ep);
}

int
vidxd_irq_handle_alloc(struct vidxd_irq_dev *dev, unsigned domain,
                       uint32_t index, uint16_t *handle)
{
    struct irq_entry *e;
    uint32_t i, h;
    int rc;

    if (dev == NULL || handle == NULL) {
        return -EINVAL;
    }
    pthread_mutex_lock(&dev->lock);
    rc = handle_target(dev, domain, index, &e);
    if (rc != 0) {
        goto out;
    }
    rc = -ENOSPC;
    for (i = 0; i < dev->nr_handles; i++) {
        h = (dev->handle_cursor + i) % dev->nr_handles;
        if (atomic_load_explicit(&dev->handles[h], memory_order_relaxed) == 0) {
            atomic_store_explicit(&dev->handles[h], h_pack(domain, index),
                                  memory_order_release);
            e->nr_handles++;
            dev->handle_cursor = (h + 1) % dev->nr_handles;
            *handle = (uint16_t)h;
            rc = 0;
            break;
        }
    }
out:
    pthread_mutex_unlock(&dev->lock);
    return rc;
}

int
vidxd_irq_handle_alloc_at(struct vidxd_irq_dev *dev, uint16_t handle,
                          unsigned domain, uint32_t index)
{
    struct irq_entry *e;
    int rc;

    if (dev == NULL) {
        return -EINVAL;
    }
    pthread_mutex_lock(&dev->lock);
    if (handle >= dev->nr_handles) {
        rc = -ERANGE;
        goto out;
    }
    if (atomic_load_explicit(&dev->handles[handle], memory_order_relaxed) !=
        0) {
        rc = -EBUSY;
        goto out;
    }
    rc = handle_target(dev, domain, index, &e);
    if (rc == 0) {
        atomic_store_explicit(&dev->handles[handle], h_pack(domain, index),
                              memory_order_release);
        e->nr_handles++;
    }
out:
    pthread_mutex_unlock(&dev->lock);
    return rc;
}

/* Clear handle @h (valid, word @v); lock held. */
static void
handle_drop(struct vidxd_irq_dev *dev, uint32_t h, uint32_t v)
{
    struct irq_entry *e;

    atomic_store_explicit(&dev->handles[h], 0, memory_order_release);
    e = irq_entry_get(irq_domain_get(dev, (v >> H_DOM_SHIFT) & H_DOM_MASK),
                      v & H_IDX_MASK);
    if (e != NULL && e->nr_handles > 0) {
        e->nr_handles--;
    }
}

int
vidxd_irq_handle_release(struct vidxd_irq_dev *dev, uint16_t handle)
{
    uint32_t v;
    int rc = -ENOENT;

    if (dev == NULL) {
        return -EINVAL;
    }
    pthread_mutex_lock(&dev->lock);
    v = h_load(dev, handle);
    if (v & H_VALID) {
        handle_drop(dev, handle, v);
        rc = 0;
    }
    pthread_mutex_unlock(&dev->lock);
    return rc;
}

int
irq_handles_revoke_locked(struct vidxd_irq_dev *dev, unsigned domain,
                          uint32_t index)
{
    struct vidxd_irq_event ev;
    uint32_t h, v;
    unsigned hd;
    int n = 0;

    for (h = 0; h < dev->nr_handles; h++) {
        v = atomic_load_explicit(&dev->handles[h], memory_order_relaxed);
        if ((v & H_VALID) == 0) {
            continue;
        }
        hd = (v >> H_DOM_SHIFT) & H_DOM_MASK;
        if (domain != VIDXD_IRQ_MAX_DOMAINS &&
            (hd != domain ||
             (index != VIDXD_IRQ_ANY_INDEX && (v & H_IDX_MASK) != index))) {
            continue;
        }
        handle_drop(dev, h, v);
        n++;
        memset(&ev, 0, sizeof(ev));
        ev.type = VIDXD_IRQ_EV_HANDLE_REVOKED;
        ev.domain = hd;
        ev.index = v & H_IDX_MASK;
        ev.handle = (uint16_t)h;
        irq_notify(dev, &ev);
    }
    return n;
}

int
vidxd_irq_handle_revoke(struct vidxd_irq_dev *dev, unsigned domain,
                        uint32_t index)
{
    int n;

    if (dev == NULL) {
        return 0;
    }
    pthread_mutex_lock(&dev->lock);
    n = irq_handles_revoke_locked(dev, domain, index);
    pthread_mutex_unlock(&dev->lock);
    return n;
}
