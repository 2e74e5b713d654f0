/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Built-in storage: tables of 16-byte entries in emulated device memory.
 * Two kinds share the code: the PCI MSI-X table with its Pending Bit Array
 * and the capability's enable/function-mask bits, and IMS arrays (the "IMS
 * array" irqchip of ims.md §1.6; DSA's at BAR0 0x4000 with PASID-tagged
 * vector control, dsa.md §4).  Register writes of a guest-programmed table
 * are reported to the core (irq.c), which owns masks and pending bits; the
 * storage operations here only move bits in the table.
 */
#include <errno.h>
#include <stdlib.h>

#include "vidxd/log.h"
#include "vidxd/spec.h"

#include "irq_internal.h"

_Static_assert(VIDXD_IRQ_ENTRY_SIZE == VIDXD_IMS_ENTRY_SIZE,
               "IMS entries have the MSI-X entry shape (dsa.md §4)");

#define MSIX_MAX_VECTORS 2048u /* Table Size is 11 bits (PCI MSI-X cap) */
#define F_ADDR_LO 0
#define F_ADDR_HI 1
#define F_DATA 2
#define F_CTRL 3

struct irq_table {
    struct irq_domain *d;
    uint32_t n;
    unsigned kind;       /* IRQ_BUILTIN_MSIX or IRQ_BUILTIN_IMS */
    unsigned flags;      /* VIDXD_IRQ_MSIX_* or VIDXD_IRQ_IMS_* */
    uint32_t ctrl_wmask; /* writable vector-control bits */
    bool guest;          /* the guest programs it through registers */
    bool vmm;    /* masks are the VMM's business (MSI-X, VMM-emulated) */
    bool enable; /* MSI-X Enable */
    bool fmask;  /* MSI-X Function Mask */
    _Atomic uint32_t w[]; /* n entries x 4 words */
};

static uint32_t
word(struct irq_table *t, uint32_t index, unsigned field)
{
    return atomic_load_explicit(&t->w[index * 4 + field], memory_order_relaxed);
}

static void
set_word(struct irq_table *t, uint32_t index, unsigned field, uint32_t v)
{
    atomic_store_explicit(&t->w[index * 4 + field], v, memory_order_relaxed);
}

/* ---------------------------------------------------------------------- */
/* Storage operations                                                     */
/* ---------------------------------------------------------------------- */

/*
 * Host-programmed IMS: the instance cookie carries PASID enable and PASID
 * (idxd_prepare_desc, ims.md §1.6); the slot starts masked.
 */
static int
tbl_prepare(void *opaque, uint32_t index, uint64_t icookie, uint64_t *dcookie)
{
    struct irq_table *t = opaque;
    uint64_t allowed = 0;

    if (t->flags & VIDXD_IRQ_IMS_PASID) {
        allowed = VIDXD_IRQ_CTRL_PASID_EN | VIDXD_IRQ_CTRL_PASID_MASK;
    }
    if ((icookie & ~allowed) != 0) {
        return -EINVAL;
    }
    set_word(t, index, F_CTRL, (uint32_t)icookie | VIDXD_IRQ_CTRL_MASKBIT);
    *dcookie = 0;
    return 0;
}

static void
tbl_release(void *opaque, uint32_t index, uint64_t dcookie)
{
    struct irq_table *t = opaque;

    (void)dcookie;
    set_word(t, index, F_CTRL, VIDXD_IRQ_CTRL_MASKBIT);
}

static int
tbl_write_msg(void *opaque, uint32_t index, uint64_t dcookie,
              const struct vidxd_irq_msg *msg)
{
    struct irq_table *t = opaque;

    (void)dcookie;
    set_word(t, index, F_ADDR_LO, msg->address_lo & ~3u);
    set_word(t, index, F_ADDR_HI, msg->address_hi);
    set_word(t, index, F_DATA, msg->data);
    return 0;
}

static int
tbl_mask(void *opaque, uint32_t index, uint64_t dcookie)
{
    struct irq_table *t = opaque;

    (void)dcookie;
    set_word(t, index, F_CTRL, word(t, index, F_CTRL) | VIDXD_IRQ_CTRL_MASKBIT);
    return 0;
}

static int
tbl_unmask(void *opaque, uint32_t index, uint64_t dcookie)
{
    struct irq_table *t = opaque;

    (void)dcookie;
    set_word(t, index, F_CTRL,
             word(t, index, F_CTRL) & ~VIDXD_IRQ_CTRL_MASKBIT);
    return 0;
}

/* Zero the message and mask; the PASID stays until release. */
static void
tbl_shutdown(void *opaque, uint32_t index, uint64_t dcookie)
{
    struct irq_table *t = opaque;

    (void)dcookie;
    set_word(t, index, F_ADDR_LO, 0);
    set_word(t, index, F_ADDR_HI, 0);
    set_word(t, index, F_DATA, 0);
    tbl_mask(opaque, index, dcookie);
}

static int
tbl_read_msg(void *opaque, uint32_t index, uint64_t dcookie,
             struct vidxd_irq_msg *msg, bool *masked)
{
    struct irq_table *t = opaque;

    (void)dcookie;
    msg->address_lo = word(t, index, F_ADDR_LO);
    msg->address_hi = word(t, index, F_ADDR_HI);
    msg->data = word(t, index, F_DATA);
    *masked = !t->vmm && (word(t, index, F_CTRL) & VIDXD_IRQ_CTRL_MASKBIT) != 0;
    return 0;
}

static void
tbl_destroy(void *opaque)
{
    free(opaque);
}

static const struct vidxd_irq_storage_ops tbl_guest_ops = {
    .write_msg = tbl_write_msg,
    .mask = tbl_mask,
    .unmask = tbl_unmask,
    .read_msg = tbl_read_msg,
};

static const struct vidxd_irq_storage_ops tbl_host_ops = {
    .prepare = tbl_prepare,
    .release = tbl_release,
    .write_msg = tbl_write_msg,
    .mask = tbl_mask,
    .unmask = tbl_unmask,
    .shutdown = tbl_shutdown,
    .read_msg = tbl_read_msg,
};

/* ---------------------------------------------------------------------- */
/* Creation                                                               */
/* ---------------------------------------------------------------------- */

static int
table_create(struct vidxd_irq_dev *dev, unsigned domain, uint32_t n,
             unsigned kind, unsigned flags)
{
    struct vidxd_irq_domain_template tmpl;
    struct irq_table *t;
    uint32_t i;
    int rc;

    t = calloc(1, sizeof(*t) + (size_t)n * 4 * sizeof(t->w[0]));
    if (t == NULL) {
        return -ENOMEM;
    }
    t->n = n;
    t->kind = kind;
    t->flags = flags;
    t->ctrl_wmask = VIDXD_IRQ_CTRL_MASKBIT;
    if (kind == IRQ_BUILTIN_MSIX) {
        t->guest = true;
        t->vmm = (flags & VIDXD_IRQ_MSIX_VMM_EMULATED) != 0;
    } else {
        t->guest = (flags & VIDXD_IRQ_IMS_GUEST) != 0;
        if (flags & VIDXD_IRQ_IMS_PASID) {
            t->ctrl_wmask |=
                VIDXD_IRQ_CTRL_PASID_EN | VIDXD_IRQ_CTRL_PASID_MASK;
        }
    }
    /* PCI: every vector's mask bit is set at reset. */
    for (i = 0; i < n; i++) {
        set_word(t, i, F_CTRL, VIDXD_IRQ_CTRL_MASKBIT);
    }
    tmpl.name = kind == IRQ_BUILTIN_MSIX ? "MSIX" : "IMS";
    tmpl.size = n;
    tmpl.flags = t->guest ? VIDXD_IRQ_DOM_GUEST_PROGRAMMED : 0;
    /*
     * vfio-user carries no arbitrary MSI message (vfio-user.md §1.3): what
     * a guest writes into its IMS reaches a VMM vector only through a route
     * the manager sets, unless the entry is bound directly.
     */
    if (kind == IRQ_BUILTIN_IMS && t->guest) {
        tmpl.flags |= VIDXD_IRQ_DOM_ROUTE_BY_MSG;
    }
    pthread_mutex_lock(&dev->lock);
    rc = irq_domain_create_locked(dev, domain, &tmpl,
                                  t->guest ? &tbl_guest_ops : &tbl_host_ops, t,
                                  tbl_destroy, kind);
    if (rc == 0) {
        t->d = irq_domain_get(dev, domain);
        /* MSI-X is disabled at reset: hold interrupts pending. */
        if (kind == IRQ_BUILTIN_MSIX && !t->vmm) {
            irq_domain_set_masked(t->d, true);
        }
    }
    pthread_mutex_unlock(&dev->lock);
    if (rc != 0) {
        free(t);
    }
    return rc;
}

int
vidxd_irq_msix_create(struct vidxd_irq_dev *dev, uint32_t nvec, unsigned flags)
{
    if (dev == NULL || nvec == 0 || nvec > MSIX_MAX_VECTORS ||
        (flags & ~VIDXD_IRQ_MSIX_VMM_EMULATED) != 0) {
        return -EINVAL;
    }
    return table_create(dev, VIDXD_IRQ_DOMAIN_MSIX, nvec, IRQ_BUILTIN_MSIX,
                        flags);
}

int
vidxd_irq_ims_array_create(struct vidxd_irq_dev *dev, unsigned domain,
                           uint32_t nslots, unsigned flags)
{
    if (dev == NULL || nslots == 0 || nslots > VIDXD_IRQ_MAX_ENTRIES ||
        (flags & ~(VIDXD_IRQ_IMS_PASID | VIDXD_IRQ_IMS_GUEST)) != 0) {
        return -EINVAL;
    }
    return table_create(dev, domain, nslots, IRQ_BUILTIN_IMS, flags);
}

/* ---------------------------------------------------------------------- */
/* Register access                                                        */
/* ---------------------------------------------------------------------- */

/* irq_lock_domain() for the built-in table of @kind in @domain: -ENOENT
 * (lock not held) if the domain has no such table. */
static int
lock_table(struct vidxd_irq_dev *dev, unsigned domain, unsigned kind,
           struct irq_table **tp)
{
    struct irq_domain *d;
    int rc = irq_lock_domain(dev, domain, &d);

    if (rc != 0) {
        return rc;
    }
    if (d->builtin != kind) {
        pthread_mutex_unlock(&dev->lock);
        return -ENOENT;
    }
    *tp = d->opaque;
    return 0;
}

/* PCI MSI-X: aligned DWORD or QWORD accesses inside the structure. */
static bool
access_ok(uint64_t bytes, uint64_t offset, unsigned size)
{
    return (size == 4 || size == 8) && offset % size == 0 && offset < bytes &&
           size <= bytes - offset;
}

static void
bad_access(struct irq_table *t, const char *what, uint64_t offset,
           unsigned size)
{
    VIDXD_LOG_RATELIMIT(LOG_NOTICE, IRQ_LOG, "%s: ignored %u-byte %s at 0x%llx",
                        t->d->name, size, what, (unsigned long long)offset);
}

static int
table_read(struct irq_table *t, uint64_t offset, unsigned size, uint64_t *val)
{
    uint32_t w = (uint32_t)(offset / 4);

    *val = 0;
    if (!access_ok((uint64_t)t->n * VIDXD_IRQ_ENTRY_SIZE, offset, size)) {
        bad_access(t, "table read", offset, size);
        return -EINVAL;
    }
    *val = atomic_load_explicit(&t->w[w], memory_order_relaxed);
    if (size == 8) {
        *val |=
            (uint64_t)atomic_load_explicit(&t->w[w + 1], memory_order_relaxed)
            << 32;
    }
    return 0;
}

/* One DWORD of a guest-programmed table; device lock held. */
static void
table_write32(struct irq_table *t, uint32_t w, uint32_t v)
{
    uint32_t index = w / 4, field = w % 4;
    uint32_t old = atomic_load_explicit(&t->w[w], memory_order_relaxed);

    if (field == F_ADDR_LO) {
        v &= ~3u; /* DWORD-aligned message address */
    } else if (field == F_CTRL) {
        v &= t->ctrl_wmask; /* other bits reserved, read as zero */
    }
    atomic_store_explicit(&t->w[w], v, memory_order_relaxed);
    if (field == F_CTRL) {
        if (((old ^ v) & VIDXD_IRQ_CTRL_MASKBIT) && !t->vmm) {
            irq_guest_mask(t->d, index, (v & VIDXD_IRQ_CTRL_MASKBIT) != 0);
        }
    } else if (old != v) {
        irq_guest_msg_written(t->d, index, t->vmm);
    }
}

static int
table_write(struct vidxd_irq_dev *dev, struct irq_table *t, uint64_t offset,
            unsigned size, uint64_t val)
{
    uint32_t w = (uint32_t)(offset / 4);

    if (!access_ok((uint64_t)t->n * VIDXD_IRQ_ENTRY_SIZE, offset, size)) {
        bad_access(t, "table write", offset, size);
        return -EINVAL;
    }
    (void)dev;
    /* A QWORD write lands low DWORD first (data before vector control). */
    table_write32(t, w, (uint32_t)val);
    if (size == 8) {
        table_write32(t, w + 1, (uint32_t)(val >> 32));
    }
    return 0;
}

/* A register read of the @kind table of @domain (MSI-X table or IMS
 * array): -ENOENT (and 0 read) if there is none. */
static int
table_reg_read(struct vidxd_irq_dev *dev, unsigned domain, unsigned kind,
               uint64_t offset, unsigned size, uint64_t *val)
{
    struct irq_table *t;
    int rc;

    if (dev == NULL || val == NULL) {
        return -EINVAL;
    }
    *val = 0;
    rc = lock_table(dev, domain, kind, &t);
    if (rc != 0) {
        return rc;
    }
    rc = table_read(t, offset, size, val);
    pthread_mutex_unlock(&dev->lock);
    return rc;
}

/* A register write of the @kind table of @domain: -ENOENT if there is
 * none, -EPERM if the host programs it (always the guest for MSI-X). */
static int
table_reg_write(struct vidxd_irq_dev *dev, unsigned domain, unsigned kind,
                uint64_t offset, unsigned size, uint64_t val)
{
    struct irq_table *t;
    int rc;

    rc = lock_table(dev, domain, kind, &t);
    if (rc != 0) {
        return rc;
    }
    if (!t->guest) {
        /* The host owns it; register writes would bypass the core. */
        rc = -EPERM;
    } else {
        rc = table_write(dev, t, offset, size, val);
    }
    pthread_mutex_unlock(&dev->lock);
    return rc;
}

int
vidxd_irq_msix_table_read(struct vidxd_irq_dev *dev, uint64_t offset,
                          unsigned size, uint64_t *val)
{
    return table_reg_read(dev, VIDXD_IRQ_DOMAIN_MSIX, IRQ_BUILTIN_MSIX, offset,
                          size, val);
}

int
vidxd_irq_msix_table_write(struct vidxd_irq_dev *dev, uint64_t offset,
                           unsigned size, uint64_t val)
{
    return table_reg_write(dev, VIDXD_IRQ_DOMAIN_MSIX, IRQ_BUILTIN_MSIX, offset,
                           size, val);
}

int
vidxd_irq_msix_pba_read(struct vidxd_irq_dev *dev, uint64_t offset,
                        unsigned size, uint64_t *val)
{
    struct irq_table *t;
    uint64_t v = 0, bit;
    int rc;

    if (dev == NULL || val == NULL) {
        return -EINVAL;
    }
    *val = 0;
    rc = lock_table(dev, VIDXD_IRQ_DOMAIN_MSIX, IRQ_BUILTIN_MSIX, &t);
    if (rc != 0) {
        return rc;
    }
    if (!access_ok(VIDXD_IRQ_MSIX_PBA_BYTES(t->n), offset, size)) {
        bad_access(t, "PBA read", offset, size);
        rc = -EINVAL;
    } else {
        for (bit = 0; bit < (uint64_t)size * 8; bit++) {
            uint64_t vec = offset * 8 + bit;

            if (vec < t->n && irq_entry_pending(t->d, (uint32_t)vec)) {
                v |= 1ull << bit;
            }
        }
    }
    *val = v;
    pthread_mutex_unlock(&dev->lock);
    return rc;
}

int
vidxd_irq_msix_set_ctrl(struct vidxd_irq_dev *dev, bool enable,
                        bool function_mask)
{
    struct irq_table *t;
    int rc;

    rc = lock_table(dev, VIDXD_IRQ_DOMAIN_MSIX, IRQ_BUILTIN_MSIX, &t);
    if (rc != 0) {
        return rc;
    }
    t->enable = enable;
    t->fmask = function_mask;
    if (!t->vmm) {
        irq_domain_set_masked(t->d, !enable || function_mask);
    }
    pthread_mutex_unlock(&dev->lock);
    return 0;
}

int
vidxd_irq_ims_array_read(struct vidxd_irq_dev *dev, unsigned domain,
                         uint64_t offset, unsigned size, uint64_t *val)
{
    return table_reg_read(dev, domain, IRQ_BUILTIN_IMS, offset, size, val);
}

int
vidxd_irq_ims_array_write(struct vidxd_irq_dev *dev, unsigned domain,
                          uint64_t offset, unsigned size, uint64_t val)
{
    return table_reg_write(dev, domain, IRQ_BUILTIN_IMS, offset, size, val);
}

bool
vidxd_irq_ims_array_pasid_ok(struct vidxd_irq_dev *dev, unsigned domain,
                             uint32_t index, bool has_pasid, uint32_t pasid)
{
    struct irq_domain *d = irq_domain_get(dev, domain);
    struct irq_table *t;
    uint32_t ctrl;

    if (d == NULL || d->builtin != IRQ_BUILTIN_IMS) {
        return false;
    }
    t = d->opaque;
    if (index >= t->n) {
        return false;
    }
    ctrl = word(t, index, F_CTRL);
    if ((ctrl & VIDXD_IRQ_CTRL_PASID_EN) == 0) {
        return true;
    }
    return has_pasid && (ctrl >> VIDXD_IRQ_CTRL_PASID_SHIFT) == pasid;
}

int
vidxd_irq_table_reset(struct vidxd_irq_dev *dev, unsigned domain)
{
    struct irq_domain *d;
    struct irq_table *t;
    uint32_t i;
    int rc;

    rc = irq_lock_domain(dev, domain, &d);
    if (rc != 0) {
        return rc;
    }
    if (d->builtin == IRQ_BUILTIN_NONE) {
        rc = -ENOENT;
        goto out;
    }
    t = d->opaque;
    if (!t->guest) {
        rc = -EPERM;
        goto out;
    }
    irq_domain_clear_pending(d);
    for (i = 0; i < t->n; i++) {
        set_word(t, i, F_ADDR_LO, 0);
        set_word(t, i, F_ADDR_HI, 0);
        set_word(t, i, F_DATA, 0);
        set_word(t, i, F_CTRL, VIDXD_IRQ_CTRL_MASKBIT);
        if (irq_entry_get(d, i) == NULL) {
            continue;
        }
        if (!t->vmm) {
            irq_guest_mask(d, i, true);
        }
        irq_guest_msg_written(d, i, true);
    }
    if (t->kind == IRQ_BUILTIN_MSIX) {
        t->enable = false;
        t->fmask = false;
        if (!t->vmm) {
            irq_domain_set_masked(d, true);
        }
    }
    irq_domain_clear_pending(d);
out:
    pthread_mutex_unlock(&dev->lock);
    return rc;
}
