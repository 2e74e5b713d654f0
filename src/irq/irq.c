/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The irq core: devices, storage domains and their sparse entry stores,
 * the two-phase entry lifecycle, the gate word that makes masking
 * synchronous and the raise path lock-free, targets (eventfds, sinks, the
 * message route table), the per-vector address table, notifiers and
 * statistics.  Design and invariants: reference/ims.md §1.4-§1.8 and §4;
 * the model is summarised at the top of include/vidxd/irq.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vidxd/log.h"

#include "irq_internal.h"

/* ---------------------------------------------------------------------- */
/* Gate protocol                                                          */
/* ---------------------------------------------------------------------- */

static inline void
cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

static int deliver(struct irq_entry *e);

/* Wait until no delivery of @e is in flight. */
static void
gate_wait_idle(struct irq_entry *e)
{
    unsigned spins = 0;

    while (atomic_load_explicit(&e->gate, memory_order_acquire) &
           GATE_INFLIGHT_MASK) {
        if (++spins < 128) {
            cpu_relax();
        } else {
            sched_yield();
        }
    }
}

/*
 * Add mask reasons @r.  Synchronous (ims.md §1.8, §4.6): every raise either
 * incremented the in-flight count before this read-modify-write, and we
 * wait for it, or sees the reason and only sets the pending bit.  Both are
 * read-modify-writes of the one gate word, so they are totally ordered.
 */
static void
gate_set(struct irq_entry *e, uint64_t r)
{
    atomic_fetch_or_explicit(&e->gate, r, memory_order_seq_cst);
    gate_wait_idle(e);
}

/*
 * Remove mask reasons @r.  If that leaves the entry unmasked with an
 * interrupt pending, take the pending bit and an in-flight reference in the
 * same compare-and-swap and deliver it: exactly once, and after whatever the
 * caller changed while the entry was masked (ims.md §4.7: re-check pending
 * after the switch).
 */
static void
gate_clear(struct irq_entry *e, uint64_t r)
{
    uint64_t old = atomic_load_explicit(&e->gate, memory_order_acquire);
    uint64_t nw;
    bool replay;

    do {
        nw = old & ~r;
        replay = false;
        if ((nw & GATE_REASONS) == 0 && (nw & GATE_PENDING) != 0) {
            nw = (nw & ~GATE_PENDING) + GATE_INFLIGHT_ONE;
            replay = true;
        }
    } while (!atomic_compare_exchange_weak_explicit(
        &e->gate, &old, nw, memory_order_acq_rel, memory_order_acquire));
    if (replay) {
        deliver(e);
        atomic_fetch_sub_explicit(&e->gate, GATE_INFLIGHT_ONE,
                                  memory_order_release);
    }
}

/* Set or clear reasons of an entry no delivery can be inside of. */
static void
gate_put_bits(struct irq_entry *e, uint64_t r, bool on)
{
    if (on) {
        atomic_fetch_or_explicit(&e->gate, r, memory_order_seq_cst);
    } else {
        atomic_fetch_and_explicit(&e->gate, ~r, memory_order_seq_cst);
    }
}

static uint64_t
gate_load(struct irq_entry *e)
{
    return atomic_load_explicit(&e->gate, memory_order_acquire);
}

/* ---------------------------------------------------------------------- */
/* Delivery (the fast path)                                               */
/* ---------------------------------------------------------------------- */

static int
signal_eventfd(struct irq_entry *e, const struct irq_target *t)
{
    static const uint64_t one = 1;
    struct pollfd pfd;
    ssize_t n;

    /*
     * A blocking eventfd whose counter the client left at its maximum would
     * block write() forever (design.md invariant 1).  The fd is shared with
     * the client, so we cannot make it non-blocking for ourselves: ask
     * first.  A counter that full already signals the client, so the
     * interrupt is coalesced, not lost.
     */
    if (t->fd_blocking) {
        pfd.fd = t->fd;
        pfd.events = POLLOUT;
        pfd.revents = 0;
        do {
            n = poll(&pfd, 1, 0);
        } while (n < 0 && errno == EINTR);
        if (n == 0) {
            atomic_fetch_add_explicit(&e->n_delivered, 1, memory_order_relaxed);
            return VIDXD_IRQ_DELIVERED;
        }
    }
    do {
        n = write(t->fd, &one, sizeof(one));
    } while (n < 0 && errno == EINTR);
    if (n == (ssize_t)sizeof(one) || (n < 0 && errno == EAGAIN)) {
        atomic_fetch_add_explicit(&e->n_delivered, 1, memory_order_relaxed);
        return VIDXD_IRQ_DELIVERED;
    }
    atomic_fetch_add_explicit(&e->n_errors, 1, memory_order_relaxed);
    VIDXD_LOG_RATELIMIT(LOG_WARNING, IRQ_LOG,
                        "%s: entry %u: eventfd write failed: %s", e->dom->name,
                        e->index, n < 0 ? strerror(errno) : "short write");
    return -EIO;
}

/* Called holding an in-flight reference: target, msg, denied are stable. */
static int
deliver(struct irq_entry *e)
{
    const struct irq_target *t = e->target;

    if (e->denied) {
        /* ims.md §4.4: no approved address, fail closed; never invent one. */
        atomic_fetch_add_explicit(&e->n_denied, 1, memory_order_relaxed);
        VIDXD_LOG_RATELIMIT(LOG_WARNING, IRQ_LOG,
                            "%s: vector %u has no approved MSI address "
                            "matching its message; interrupt dropped",
                            e->dom->name, e->index);
        return -EACCES;
    }
    if (t == NULL) {
        /* Unreachable: no target keeps the entry masked. */
        atomic_fetch_add_explicit(&e->n_errors, 1, memory_order_relaxed);
        return -EIO;
    }
    if (t->sink != NULL) {
        t->sink(t->opaque, e->dom->id, e->index, &e->msg);
        atomic_fetch_add_explicit(&e->n_delivered, 1, memory_order_relaxed);
        return VIDXD_IRQ_DELIVERED;
    }
    return signal_eventfd(e, t);
}

int
vidxd_irq_raise(struct vidxd_irq_dev *dev, unsigned domain, uint32_t index)
{
    _Atomic(struct irq_entry *) *slot;
    struct irq_domain *d;
    struct irq_chunk *c;
    struct irq_entry *e;
    uint64_t g;
    int rc;

    if (dev == NULL || domain >= VIDXD_IRQ_MAX_DOMAINS) {
        return -ENOENT;
    }
    d = atomic_load_explicit(&dev->dom[domain], memory_order_acquire);
    if (d == NULL || index >= d->size) {
        goto unknown;
    }
    c = atomic_load_explicit(&d->chunks[index >> IRQ_CHUNK_SHIFT],
                             memory_order_acquire);
    if (c == NULL) {
        goto unknown;
    }
    slot = &c->slot[index & (IRQ_CHUNK - 1)];
    e = atomic_load_explicit(slot, memory_order_acquire);
    if (e == NULL) {
        goto unknown;
    }
    g = gate_load(e);
    for (;;) {
        /*
         * Entries are type-stable (recycled, never freed while the device
         * lives).  If the slot still holds @e after the gate was read, the
         * gate value belongs to this (domain, index); a recycling since then
         * changes the generation and fails the compare-and-swap below.
         */
        if (atomic_load_explicit(slot, memory_order_acquire) != e) {
            goto unknown;
        }
        if (g & GATE_INACTIVE) {
            atomic_fetch_add_explicit(&e->n_dropped, 1, memory_order_relaxed);
            return -ENODEV;
        }
        if (g & GATE_LATCHING) {
            if ((g & GATE_PENDING) ||
                atomic_compare_exchange_weak_explicit(
                    &e->gate, &g, g | GATE_PENDING, memory_order_acq_rel,
                    memory_order_acquire)) {
                atomic_fetch_add_explicit(&e->n_latched, 1,
                                          memory_order_relaxed);
                return VIDXD_IRQ_PENDING;
            }
            continue;
        }
        if (atomic_compare_exchange_weak_explicit(
                &e->gate, &g, g + GATE_INFLIGHT_ONE, memory_order_acq_rel,
                memory_order_acquire)) {
            break;
        }
    }
    rc = deliver(e);
    atomic_fetch_sub_explicit(&e->gate, GATE_INFLIGHT_ONE,
                              memory_order_release);
    return rc;

unknown:
    atomic_fetch_add_explicit(&dev->n_unknown, 1, memory_order_relaxed);
    return -ENOENT;
}

/* ---------------------------------------------------------------------- */
/* Lookups, notifiers, storage bracket                                    */
/* ---------------------------------------------------------------------- */

struct irq_domain *
irq_domain_get(struct vidxd_irq_dev *dev, unsigned domain)
{
    if (dev == NULL || domain >= VIDXD_IRQ_MAX_DOMAINS) {
        return NULL;
    }
    return atomic_load_explicit(&dev->dom[domain], memory_order_acquire);
}

int
irq_lock_domain(struct vidxd_irq_dev *dev, unsigned domain,
                struct irq_domain **dp)
{
    if (dev == NULL) {
        return -EINVAL;
    }
    pthread_mutex_lock(&dev->lock);
    *dp = irq_domain_get(dev, domain);
    if (*dp == NULL) {
        pthread_mutex_unlock(&dev->lock);
        return -ENOENT;
    }
    return 0;
}

struct irq_entry *
irq_entry_get(struct irq_domain *d, uint32_t index)
{
    struct irq_chunk *c;

    if (d == NULL || index >= d->size) {
        return NULL;
    }
    c = atomic_load_explicit(&d->chunks[index >> IRQ_CHUNK_SHIFT],
                             memory_order_acquire);
    if (c == NULL) {
        return NULL;
    }
    return atomic_load_explicit(&c->slot[index & (IRQ_CHUNK - 1)],
                                memory_order_acquire);
}

static void
store_set(struct irq_domain *d, uint32_t index, struct irq_entry *e)
{
    struct irq_chunk *c = atomic_load_explicit(
        &d->chunks[index >> IRQ_CHUNK_SHIFT], memory_order_acquire);

    atomic_store_explicit(&c->slot[index & (IRQ_CHUNK - 1)], e,
                          memory_order_release);
}

static int
store_reserve_chunk(struct irq_domain *d, uint32_t index)
{
    struct irq_chunk *c;

    if (atomic_load_explicit(&d->chunks[index >> IRQ_CHUNK_SHIFT],
                             memory_order_acquire) != NULL) {
        return 0;
    }
    c = calloc(1, sizeof(*c));
    if (c == NULL) {
        return -ENOMEM;
    }
    atomic_store_explicit(&d->chunks[index >> IRQ_CHUNK_SHIFT], c,
                          memory_order_release);
    return 0;
}

typedef void irq_entry_fn(struct irq_domain *d, struct irq_entry *e, void *arg);

static void
for_each_entry(struct irq_domain *d, irq_entry_fn *fn, void *arg)
{
    uint32_t ci, si;
    struct irq_chunk *c;
    struct irq_entry *e;

    for (ci = 0; ci < d->nchunks; ci++) {
        c = atomic_load_explicit(&d->chunks[ci], memory_order_acquire);
        if (c == NULL) {
            continue;
        }
        for (si = 0; si < IRQ_CHUNK; si++) {
            e = atomic_load_explicit(&c->slot[si], memory_order_acquire);
            if (e != NULL) {
                fn(d, e, arg);
            }
        }
    }
}

void
irq_notify(struct vidxd_irq_dev *dev, const struct vidxd_irq_event *ev)
{
    struct irq_notifier *n;

    for (n = dev->notifiers; n != NULL; n = n->next) {
        n->fn(n->opaque, ev);
    }
}

static void
notify_entry(struct irq_domain *d, struct irq_entry *e,
             enum vidxd_irq_event_type type)
{
    struct vidxd_irq_event ev;

    if (d->dev->notifiers == NULL) {
        return;
    }
    memset(&ev, 0, sizeof(ev));
    ev.type = type;
    ev.domain = d->id;
    ev.index = e->index;
    ev.msg = e->msg;
    ev.masked = (gate_load(e) & VIDXD_IRQ_MASKED_STORAGE) != 0;
    irq_notify(d->dev, &ev);
}

static void
bus_lock(struct irq_domain *d)
{
    if (d->ops.bus_lock != NULL) {
        d->ops.bus_lock(d->opaque);
    }
}

static void
bus_unlock(struct irq_domain *d)
{
    if (d->ops.bus_sync_unlock != NULL) {
        d->ops.bus_sync_unlock(d->opaque);
    }
}

static bool
msg_eq(const struct vidxd_irq_msg *a, const struct vidxd_irq_msg *b)
{
    return a->address_lo == b->address_lo && a->address_hi == b->address_hi &&
           a->data == b->data;
}

static bool
guest_programmed(const struct irq_domain *d)
{
    return (d->tmpl.flags & VIDXD_IRQ_DOM_GUEST_PROGRAMMED) != 0;
}

/* ---------------------------------------------------------------------- */
/* Targets                                                                */
/* ---------------------------------------------------------------------- */

static void
target_get(struct irq_target *t)
{
    if (t != NULL) {
        t->refs++;
    }
}

static void
target_put(struct irq_target *t)
{
    if (t == NULL || --t->refs > 0) {
        return;
    }
    if (t->fd >= 0) {
        close(t->fd);
    }
    free(t);
}

/* True if @fd is an eventfd, or if /proc cannot tell. */
static bool
fd_is_eventfd(int fd)
{
    char path[64], link[64];
    ssize_t n;

    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    n = readlink(path, link, sizeof(link) - 1);
    if (n < 0) {
        return errno != EBADF;
    }
    link[n] = '\0';
    return strcmp(link, "anon_inode:[eventfd]") == 0;
}

/* A new target with one reference; the eventfd is duplicated. */
static int
target_new(const struct vidxd_irq_target *spec, struct irq_target **out)
{
    struct irq_target *t;
    int fl;

    if (spec->eventfd < 0 && spec->sink == NULL) {
        return -EINVAL;
    }
    t = calloc(1, sizeof(*t));
    if (t == NULL) {
        return -ENOMEM;
    }
    t->refs = 1;
    t->fd = -1;
    if (spec->eventfd >= 0) {
        fl = fcntl(spec->eventfd, F_GETFL);
        if (fl < 0 || !fd_is_eventfd(spec->eventfd)) {
            free(t);
            return -EINVAL;
        }
        t->fd = fcntl(spec->eventfd, F_DUPFD_CLOEXEC, 3);
        if (t->fd < 0) {
            int rc = -errno;
            free(t);
            return rc;
        }
        t->fd_blocking = (fl & O_NONBLOCK) == 0;
    } else {
        t->sink = spec->sink;
        t->opaque = spec->opaque;
    }
    *out = t;
    return 0;
}

static struct irq_target *
entry_resolve(struct irq_domain *d, struct irq_entry *e)
{
    struct irq_route *r;

    if (e->bind != NULL) {
        return e->bind;
    }
    if (!e->active || (d->tmpl.flags & VIDXD_IRQ_DOM_ROUTE_BY_MSG) == 0) {
        return NULL;
    }
    for (r = d->dev->routes; r != NULL; r = r->next) {
        if (msg_eq(&r->msg, &e->msg)) {
            return r->target;
        }
    }
    return NULL;
}

/* ---------------------------------------------------------------------- */
/* Address table (ims.md §3.3, §4.4)                                      */
/* ---------------------------------------------------------------------- */

static uint64_t
addr_get(const struct irq_domain *d, uint32_t index)
{
    const uint64_t *c;

    if (d->addr_chunks == NULL) {
        return IRQ_ADDR_UNSET;
    }
    c = d->addr_chunks[index >> IRQ_CHUNK_SHIFT];
    return c == NULL ? IRQ_ADDR_UNSET : c[index & (IRQ_CHUNK - 1)];
}

static uint64_t
msg_addr(const struct vidxd_irq_msg *m)
{
    return (uint64_t)m->address_hi << 32 | m->address_lo;
}

/*
 * The message storage gets for @req: host-programmed entries carry the
 * approved address when the mode is on (msi_msg_set_addr, ims.md §3.4);
 * guest-programmed ones are never rewritten behind the guest.
 */
static void
compose(const struct irq_domain *d, uint32_t index,
        const struct vidxd_irq_msg *req, struct vidxd_irq_msg *out)
{
    uint64_t a;

    *out = *req;
    if (!d->addr_mode || guest_programmed(d)) {
        return;
    }
    a = addr_get(d, index);
    if (a != IRQ_ADDR_UNSET) {
        out->address_lo = (uint32_t)a;
        out->address_hi = (uint32_t)(a >> 32);
    }
}

/* Fail closed: an unset address, or a message not carrying it. */
static bool
verdict_denied(const struct irq_domain *d, const struct irq_entry *e)
{
    uint64_t a;

    if (!d->addr_mode) {
        return false;
    }
    a = addr_get(d, e->index);
    return a == IRQ_ADDR_UNSET || msg_addr(&e->msg) != a;
}

/* ---------------------------------------------------------------------- */
/* Entry updates                                                          */
/* ---------------------------------------------------------------------- */

/*
 * Publish a new message in force (or none) and recompute the target and the
 * address verdict, under the entry's mask.  An interrupt pending across the
 * switch goes once to the new target when the mask drops.
 */
static void
entry_republish(struct irq_domain *d, struct irq_entry *e,
                const struct vidxd_irq_msg *msg)
{
    struct irq_target *old = e->target, *nt;
    bool msg_changed = false;

    gate_set(e, VIDXD_IRQ_MASKED_UPDATE);
    if (msg != NULL && !msg_eq(msg, &e->msg)) {
        e->msg = *msg;
        msg_changed = true;
    }
    nt = entry_resolve(d, e);
    e->denied = verdict_denied(d, e);
    if (nt != old) {
        target_get(nt);
        e->target = nt;
    }
    gate_put_bits(e, VIDXD_IRQ_MASKED_NO_TARGET, nt == NULL);
    gate_clear(e, VIDXD_IRQ_MASKED_UPDATE);
    if (nt != old) {
        /* No delivery can hold @old any more: the entry was drained. */
        target_put(old);
        notify_entry(d, e, VIDXD_IRQ_EV_TARGET);
    }
    if (msg_changed && e->active) {
        notify_entry(d, e, VIDXD_IRQ_EV_MSG);
    }
}

/* Guest-programmed: take the message in force from the storage. */
static int
entry_refresh(struct irq_domain *d, struct irq_entry *e)
{
    struct vidxd_irq_msg m;
    bool masked;
    int rc;

    bus_lock(d);
    rc = d->ops.read_msg(d->opaque, e->index, e->dcookie, &m, &masked);
    bus_unlock(d);
    if (rc != 0) {
        return rc;
    }
    e->req = m;
    entry_republish(d, e, &m);
    return 0;
}

/*
 * Write @req (composed) to the storage of an active entry while its slot is
 * masked: mask, write, unmask when it was unmasked (pci_write_msg_msix,
 * ims.md §1.8).  Caller holds the device lock.
 */
static int
entry_program(struct irq_domain *d, struct irq_entry *e,
              const struct vidxd_irq_msg *req)
{
    struct vidxd_irq_msg m;
    bool was_unmasked = (gate_load(e) & VIDXD_IRQ_MASKED_STORAGE) == 0;
    int rc = 0, urc = 0;

    compose(d, e->index, req, &m);
    bus_lock(d);
    if (was_unmasked) {
        gate_set(e, VIDXD_IRQ_MASKED_STORAGE);
        rc = d->ops.mask(d->opaque, e->index, e->dcookie);
        if (rc != 0) {
            bus_unlock(d);
            gate_clear(e, VIDXD_IRQ_MASKED_STORAGE);
            return rc;
        }
    }
    rc = d->ops.write_msg(d->opaque, e->index, e->dcookie, &m);
    if (rc == 0) {
        e->req = *req;
        entry_republish(d, e, &m);
    }
    if (was_unmasked) {
        urc = d->ops.unmask(d->opaque, e->index, e->dcookie);
    }
    bus_unlock(d);
    if (was_unmasked && urc == 0) {
        gate_clear(e, VIDXD_IRQ_MASKED_STORAGE);
    } else if (was_unmasked) {
        /* The slot stayed masked: so does the entry, truthfully. */
        VIDXD_WARN(IRQ_LOG, "%s: entry %u: unmask after rewrite failed: %d",
                   d->name, e->index, urc);
        notify_entry(d, e, VIDXD_IRQ_EV_MASK);
    }
    return rc != 0 ? rc : urc;
}

/* ---------------------------------------------------------------------- */
/* Entry lifecycle (ims.md §1.4, §4.5)                                    */
/* ---------------------------------------------------------------------- */

static struct irq_entry *
entry_mem_get(struct vidxd_irq_dev *dev)
{
    struct irq_entry *e = dev->free_entries;

    if (e != NULL) {
        dev->free_entries = e->next_free;
        return e;
    }
    e = calloc(1, sizeof(*e));
    if (e != NULL) {
        e->all_next = dev->all_entries;
        dev->all_entries = e;
    }
    return e;
}

static void
entry_mem_put(struct vidxd_irq_dev *dev, struct irq_entry *e)
{
    e->next_free = dev->free_entries;
    dev->free_entries = e;
}

/* Phase 1: reserve the index and prepare the slot. */
static int
entry_create(struct irq_domain *d, uint32_t index, uint64_t icookie)
{
    struct irq_entry *e;
    uint64_t gen;
    int rc;

    rc = store_reserve_chunk(d, index);
    if (rc != 0) {
        return rc;
    }
    e = entry_mem_get(d->dev);
    if (e == NULL) {
        return -ENOMEM;
    }
    gen = (gate_load(e) >> GATE_GEN_SHIFT) + 1;
    atomic_store_explicit(&e->gate,
                          gen << GATE_GEN_SHIFT | GATE_INACTIVE |
                              VIDXD_IRQ_MASKED_STORAGE |
                              VIDXD_IRQ_MASKED_NO_TARGET |
                              (d->masked ? VIDXD_IRQ_MASKED_DOMAIN : 0),
                          memory_order_release);
    e->dom = d;
    e->index = index;
    e->target = NULL;
    e->bind = NULL;
    memset(&e->msg, 0, sizeof(e->msg));
    memset(&e->req, 0, sizeof(e->req));
    e->denied = false;
    e->icookie = icookie;
    e->dcookie = 0;
    e->active = false;
    e->prepared = false;
    e->nr_handles = 0;
    atomic_store_explicit(&e->n_delivered, 0, memory_order_relaxed);
    atomic_store_explicit(&e->n_latched, 0, memory_order_relaxed);
    atomic_store_explicit(&e->n_denied, 0, memory_order_relaxed);
    atomic_store_explicit(&e->n_dropped, 0, memory_order_relaxed);
    atomic_store_explicit(&e->n_errors, 0, memory_order_relaxed);
    if (d->ops.prepare != NULL) {
        rc = d->ops.prepare(d->opaque, index, icookie, &e->dcookie);
        if (rc != 0) {
            entry_mem_put(d->dev, e);
            return rc;
        }
        e->prepared = true;
    }
    store_set(d, index, e);
    d->nr_alloc++;
    return 0;
}

/* Phase 2: program the message and open the gate. */
static int
entry_activate(struct irq_domain *d, struct irq_entry *e,
               const struct vidxd_irq_msg *msg, unsigned flags)
{
    static const struct vidxd_irq_msg zero;
    struct irq_target *nt;
    struct vidxd_irq_msg m;
    bool masked = true;
    int rc;

    /* The entry is inactive: no delivery can run, fields are ours. */
    if (guest_programmed(d)) {
        if (msg == NULL) {
            rc = d->ops.read_msg(d->opaque, e->index, e->dcookie, &m, &masked);
            if (rc != 0) {
                return rc;
            }
            e->req = m;
        } else {
            e->req = *msg;
            rc = d->ops.mask(d->opaque, e->index, e->dcookie);
            if (rc == 0) {
                rc = d->ops.write_msg(d->opaque, e->index, e->dcookie, msg);
            }
            if (rc != 0) {
                return rc;
            }
            m = *msg;
        }
    } else {
        e->req = msg != NULL ? *msg : zero;
        compose(d, e->index, &e->req, &m);
        /* Written only while masked, whatever state the slot was in. */
        rc = d->ops.mask(d->opaque, e->index, e->dcookie);
        if (rc == 0) {
            rc = d->ops.write_msg(d->opaque, e->index, e->dcookie, &m);
        }
        if (rc == 0 && (flags & VIDXD_IRQ_ACT_UNMASK)) {
            rc = d->ops.unmask(d->opaque, e->index, e->dcookie);
            masked = rc != 0;
        }
        if (rc != 0) {
            return rc;
        }
    }
    e->active = true;
    e->msg = m;
    e->denied = verdict_denied(d, e);
    nt = entry_resolve(d, e);
    if (nt != e->target) {
        target_get(nt);
        target_put(e->target);
        e->target = nt;
    }
    gate_put_bits(e, VIDXD_IRQ_MASKED_NO_TARGET, e->target == NULL);
    gate_put_bits(e, VIDXD_IRQ_MASKED_STORAGE, masked);
    gate_put_bits(e, VIDXD_IRQ_MASKED_DOMAIN, d->masked);
    atomic_fetch_and_explicit(&e->gate, ~GATE_PENDING, memory_order_seq_cst);
    gate_clear(e, GATE_INACTIVE);
    notify_entry(d, e, VIDXD_IRQ_EV_MSG);
    return 0;
}

/* Undo phase 2: close the gate for good, zero and mask the slot. */
static void
entry_deactivate(struct irq_domain *d, struct irq_entry *e)
{
    static const struct vidxd_irq_msg zero;
    struct irq_target *t;

    if (!e->active) {
        return;
    }
    gate_set(e, GATE_INACTIVE);
    atomic_fetch_and_explicit(&e->gate, ~GATE_PENDING, memory_order_seq_cst);
    if (!guest_programmed(d)) {
        if (d->ops.shutdown != NULL) {
            d->ops.shutdown(d->opaque, e->index, e->dcookie);
        } else if (d->ops.mask(d->opaque, e->index, e->dcookie) == 0) {
            d->ops.write_msg(d->opaque, e->index, e->dcookie, &zero);
        }
    }
    gate_put_bits(e, VIDXD_IRQ_MASKED_STORAGE | VIDXD_IRQ_MASKED_NO_TARGET,
                  true);
    e->active = false;
    memset(&e->msg, 0, sizeof(e->msg));
    t = e->target;
    e->target = NULL;
    target_put(t);
}

/* Undo phase 1 (and phase 2 if needed). */
static void
entry_destroy(struct irq_domain *d, struct irq_entry *e)
{
    struct vidxd_irq_dev *dev = d->dev;

    entry_deactivate(d, e);
    if (e->nr_handles > 0) {
        irq_handles_revoke_locked(dev, d->id, e->index);
    }
    /* An entry bound but never activated still holds its target. */
    target_put(e->target);
    e->target = NULL;
    target_put(e->bind);
    e->bind = NULL;
    if (e->prepared && d->ops.release != NULL) {
        d->ops.release(d->opaque, e->index, e->dcookie);
    }
    e->prepared = false;
    store_set(d, e->index, NULL);
    d->nr_alloc--;
    dev->retired.delivered += atomic_load(&e->n_delivered);
    dev->retired.latched += atomic_load(&e->n_latched);
    dev->retired.denied += atomic_load(&e->n_denied);
    dev->retired.dropped += atomic_load(&e->n_dropped);
    dev->retired.errors += atomic_load(&e->n_errors);
    notify_entry(d, e, VIDXD_IRQ_EV_FREE);
    entry_mem_put(dev, e);
}

int
irq_entry_ensure(struct irq_domain *d, uint32_t index, struct irq_entry **out)
{
    struct irq_entry *e = irq_entry_get(d, index);
    int rc;

    if (e == NULL) {
        if (!guest_programmed(d)) {
            return -ENOENT;
        }
        bus_lock(d);
        rc = entry_create(d, index, 0);
        if (rc == 0) {
            e = irq_entry_get(d, index);
            rc = entry_activate(d, e, NULL, 0);
            if (rc != 0) {
                entry_destroy(d, e);
            }
        }
        bus_unlock(d);
        if (rc != 0) {
            return rc;
        }
    }
    *out = e;
    return 0;
}

static bool
range_ok(const struct irq_domain *d, uint32_t first, uint32_t count)
{
    return first < d->size && count <= d->size - first;
}

/* irq_lock_domain(), and -ERANGE (lock not held) if @count > 0 entries
 * from @first do not fit in the domain; @count 0 is left to the caller. */
static int
lock_range(struct vidxd_irq_dev *dev, unsigned domain, uint32_t first,
           uint32_t count, struct irq_domain **dp)
{
    int rc = irq_lock_domain(dev, domain, dp);

    if (rc == 0 && count > 0 && !range_ok(*dp, first, count)) {
        pthread_mutex_unlock(&dev->lock);
        rc = -ERANGE;
    }
    return rc;
}

int
vidxd_irq_alloc(struct vidxd_irq_dev *dev, unsigned domain, uint32_t index,
                uint32_t count, uint64_t icookie, uint32_t *first)
{
    struct irq_domain *d;
    uint32_t i, run = 0;
    int rc;

    rc = irq_lock_domain(dev, domain, &d);
    if (rc != 0) {
        return rc;
    }
    if (count == 0) {
        rc = -EINVAL;
        goto out;
    }
    if (index == VIDXD_IRQ_ANY_INDEX) {
        for (i = 0; i < d->size && run < count; i++) {
            run = irq_entry_get(d, i) == NULL ? run + 1 : 0;
        }
        if (run < count) {
            rc = -ENOSPC;
            goto out;
        }
        index = i - count;
    } else if (!range_ok(d, index, count)) {
        rc = -ERANGE;
        goto out;
    } else {
        for (i = 0; i < count; i++) {
            if (irq_entry_get(d, index + i) != NULL) {
                rc = -EBUSY;
                goto out;
            }
        }
    }
    bus_lock(d);
    for (i = 0; i < count; i++) {
        rc = entry_create(d, index + i, icookie);
        if (rc != 0) {
            break;
        }
    }
    if (rc != 0) {
        while (i-- > 0) {
            entry_destroy(d, irq_entry_get(d, index + i));
        }
    }
    bus_unlock(d);
    if (rc == 0 && first != NULL) {
        *first = index;
    }
out:
    pthread_mutex_unlock(&dev->lock);
    return rc;
}

int
vidxd_irq_activate(struct vidxd_irq_dev *dev, unsigned domain, uint32_t first,
                   uint32_t count, const struct vidxd_irq_msg *msgs,
                   unsigned flags)
{
    struct irq_domain *d;
    struct irq_entry *e;
    uint32_t i;
    int rc;

    rc = lock_range(dev, domain, first, count, &d);
    if (rc != 0) {
        return rc;
    }
    if (count == 0) {
        rc = -EINVAL;
        goto out;
    }
    for (i = 0; i < count; i++) {
        e = irq_entry_get(d, first + i);
        if (e == NULL) {
            rc = -ENOENT;
            goto out;
        }
        if (e->active) {
            rc = -EALREADY;
            goto out;
        }
    }
    bus_lock(d);
    for (i = 0; i < count; i++) {
        rc = entry_activate(d, irq_entry_get(d, first + i),
                            msgs != NULL ? &msgs[i] : NULL, flags);
        if (rc != 0) {
            break;
        }
    }
    if (rc != 0) {
        while (i-- > 0) {
            entry_deactivate(d, irq_entry_get(d, first + i));
        }
    }
    bus_unlock(d);
out:
    pthread_mutex_unlock(&dev->lock);
    return rc;
}

int
vidxd_irq_free(struct vidxd_irq_dev *dev, unsigned domain, uint32_t first,
               uint32_t count)
{
    struct irq_domain *d;
    struct irq_entry *e;
    uint32_t i;
    int rc;

    rc = lock_range(dev, domain, first, count, &d);
    if (rc != 0) {
        return rc;
    }
    bus_lock(d);
    for (i = 0; i < count; i++) {
        e = irq_entry_get(d, first + i);
        if (e != NULL) {
            entry_destroy(d, e);
        }
    }
    bus_unlock(d);
    pthread_mutex_unlock(&dev->lock);
    return 0;
}

/* Lock @dev and find an active entry. */
static int
lock_active(struct vidxd_irq_dev *dev, unsigned domain, uint32_t index,
            struct irq_domain **dp, struct irq_entry **ep)
{
    if (dev == NULL) {
        return -EINVAL;
    }
    pthread_mutex_lock(&dev->lock);
    *dp = irq_domain_get(dev, domain);
    *ep = irq_entry_get(*dp, index);
    if (*ep == NULL || !(*ep)->active) {
        pthread_mutex_unlock(&dev->lock);
        return -ENOENT;
    }
    return 0;
}

int
vidxd_irq_write_msg(struct vidxd_irq_dev *dev, unsigned domain, uint32_t index,
                    const struct vidxd_irq_msg *msg)
{
    struct irq_domain *d;
    struct irq_entry *e;
    int rc;

    if (msg == NULL) {
        return -EINVAL;
    }
    rc = lock_active(dev, domain, index, &d, &e);
    if (rc != 0) {
        return rc;
    }
    rc = entry_program(d, e, msg);
    pthread_mutex_unlock(&dev->lock);
    return rc;
}

/*
 * Mask or unmask an active entry in its storage (reason STORAGE).  Masking
 * closes the gate before the storage op, so that it is synchronous
 * (ims.md §4.6), and reopens it if the op fails; unmasking runs the op
 * first, takes a message the guest wrote while masked, and only then opens
 * the gate, which replays a pending interrupt (ims.md §4.7).  No-op if the
 * entry already is in that state.
 */
static int
storage_mask(struct vidxd_irq_dev *dev, unsigned domain, uint32_t index,
             bool masked)
{
    struct irq_domain *d;
    struct irq_entry *e;
    int rc;

    rc = lock_active(dev, domain, index, &d, &e);
    if (rc != 0) {
        return rc;
    }
    if (((gate_load(e) & VIDXD_IRQ_MASKED_STORAGE) != 0) == masked) {
        goto out;
    }
    if (masked) {
        gate_set(e, VIDXD_IRQ_MASKED_STORAGE);
    }
    bus_lock(d);
    rc = masked ? d->ops.mask(d->opaque, e->index, e->dcookie)
                : d->ops.unmask(d->opaque, e->index, e->dcookie);
    bus_unlock(d);
    if (rc == 0 && !masked && guest_programmed(d)) {
        rc = entry_refresh(d, e);
    }
    if (rc != 0) {
        if (masked) {
            gate_clear(e, VIDXD_IRQ_MASKED_STORAGE);
        }
    } else {
        if (!masked) {
            gate_clear(e, VIDXD_IRQ_MASKED_STORAGE);
        }
        notify_entry(d, e, VIDXD_IRQ_EV_MASK);
    }
out:
    pthread_mutex_unlock(&dev->lock);
    return rc;
}

int
vidxd_irq_mask(struct vidxd_irq_dev *dev, unsigned domain, uint32_t index)
{
    return storage_mask(dev, domain, index, true);
}

int
vidxd_irq_unmask(struct vidxd_irq_dev *dev, unsigned domain, uint32_t index)
{
    return storage_mask(dev, domain, index, false);
}

int
vidxd_irq_vmm_mask(struct vidxd_irq_dev *dev, unsigned domain, uint32_t start,
                   uint32_t count, bool masked)
{
    struct irq_domain *d;
    struct irq_entry *e;
    uint32_t i;
    int rc;

    rc = lock_range(dev, domain, start, count, &d);
    if (rc != 0) {
        return rc;
    }
    for (i = 0; i < count; i++) {
        e = irq_entry_get(d, start + i);
        if (e == NULL) {
            continue;
        }
        if (masked) {
            gate_set(e, VIDXD_IRQ_MASKED_VMM);
        } else {
            gate_clear(e, VIDXD_IRQ_MASKED_VMM);
        }
    }
    pthread_mutex_unlock(&dev->lock);
    return 0;
}

int
vidxd_irq_entry_info(struct vidxd_irq_dev *dev, unsigned domain, uint32_t index,
                     struct vidxd_irq_entry_info *out)
{
    struct irq_entry *e;
    uint64_t g;
    int rc = 0;

    if (dev == NULL || out == NULL) {
        return -EINVAL;
    }
    pthread_mutex_lock(&dev->lock);
    e = irq_entry_get(irq_domain_get(dev, domain), index);
    if (e == NULL) {
        rc = -ENOENT;
    } else {
        g = gate_load(e);
        memset(out, 0, sizeof(*out));
        out->msg = e->msg;
        out->mask_reasons = (uint32_t)(g & GATE_REASONS);
        out->active = e->active;
        out->pending = (g & GATE_PENDING) != 0;
        out->has_target = e->target != NULL;
        out->denied = e->denied;
        out->icookie = e->icookie;
    }
    pthread_mutex_unlock(&dev->lock);
    return rc;
}

/* ---------------------------------------------------------------------- */
/* Hooks for guest-programmed storage (table.c), device lock held         */
/* ---------------------------------------------------------------------- */

void
irq_guest_mask(struct irq_domain *d, uint32_t index, bool masked)
{
    struct irq_entry *e = irq_entry_get(d, index);
    bool now = e != NULL && (gate_load(e) & VIDXD_IRQ_MASKED_STORAGE) != 0;

    if (e == NULL || !e->active || now == masked) {
        return;
    }
    if (masked) {
        gate_set(e, VIDXD_IRQ_MASKED_STORAGE);
    } else {
        /* The message written while masked (or before) takes effect now. */
        entry_refresh(d, e);
        gate_clear(e, VIDXD_IRQ_MASKED_STORAGE);
    }
    notify_entry(d, e, VIDXD_IRQ_EV_MASK);
}

void
irq_guest_msg_written(struct irq_domain *d, uint32_t index, bool now)
{
    struct irq_entry *e = irq_entry_get(d, index);

    if (e == NULL || !e->active) {
        return;
    }
    /*
     * PCI leaves a write to an unmasked entry undefined; we apply it at the
     * next unmask (irq_guest_mask), so no delivery ever uses a message of
     * which only some words were written (ims.md §1.8).
     */
    if (now || (gate_load(e) &
                (VIDXD_IRQ_MASKED_STORAGE | VIDXD_IRQ_MASKED_DOMAIN)) != 0) {
        entry_refresh(d, e);
    }
}

static void
domain_mask_one(struct irq_domain *d, struct irq_entry *e, void *arg)
{
    (void)d;
    (void)arg;
    atomic_fetch_or_explicit(&e->gate, VIDXD_IRQ_MASKED_DOMAIN,
                             memory_order_seq_cst);
}

static void
domain_wait_one(struct irq_domain *d, struct irq_entry *e, void *arg)
{
    (void)d;
    (void)arg;
    gate_wait_idle(e);
}

static void
domain_unmask_one(struct irq_domain *d, struct irq_entry *e, void *arg)
{
    (void)arg;
    if (e->active && guest_programmed(d)) {
        entry_refresh(d, e);
    }
    gate_clear(e, VIDXD_IRQ_MASKED_DOMAIN);
}

void
irq_domain_set_masked(struct irq_domain *d, bool masked)
{
    if (d->masked == masked) {
        return;
    }
    d->masked = masked;
    if (masked) {
        /* Mask all first, then wait: one drain for the whole domain. */
        for_each_entry(d, domain_mask_one, NULL);
        for_each_entry(d, domain_wait_one, NULL);
    } else {
        for_each_entry(d, domain_unmask_one, NULL);
    }
}

static void
clear_pending_one(struct irq_domain *d, struct irq_entry *e, void *arg)
{
    (void)d;
    (void)arg;
    atomic_fetch_and_explicit(&e->gate, ~GATE_PENDING, memory_order_seq_cst);
}

void
irq_domain_clear_pending(struct irq_domain *d)
{
    for_each_entry(d, clear_pending_one, NULL);
}

bool
irq_entry_pending(struct irq_domain *d, uint32_t index)
{
    struct irq_entry *e = irq_entry_get(d, index);

    return e != NULL && (gate_load(e) & GATE_PENDING) != 0;
}

int
vidxd_irq_domain_mask(struct vidxd_irq_dev *dev, unsigned domain, bool masked)
{
    struct irq_domain *d;
    int rc;

    rc = irq_lock_domain(dev, domain, &d);
    if (rc != 0) {
        return rc;
    }
    irq_domain_set_masked(d, masked);
    pthread_mutex_unlock(&dev->lock);
    return 0;
}

/* ---------------------------------------------------------------------- */
/* Binding and routes                                                     */
/* ---------------------------------------------------------------------- */

/* Replace the direct binding of @e by @t (a reference the caller gives). */
static void
entry_set_bind(struct irq_domain *d, struct irq_entry *e, struct irq_target *t)
{
    struct irq_target *old = e->bind;

    e->bind = t;
    entry_republish(d, e, NULL);
    target_put(old);
}

/*
 * Bind @targets[i] (NULL: unbind) to @start+i.  Everything that can fail
 * (entry creation) happens before the first binding changes; on failure
 * the entries created here are destroyed again.  Takes the references in
 * @targets in every case.
 */
static int
bind_range(struct irq_domain *d, uint32_t start, uint32_t count,
           struct irq_target **targets)
{
    struct irq_entry *e;
    bool *created;
    uint32_t i;
    int rc = 0;

    created = calloc(count, sizeof(*created));
    if (created == NULL) {
        rc = -ENOMEM;
        goto out;
    }
    for (i = 0; i < count && rc == 0; i++) {
        if (targets[i] == NULL || irq_entry_get(d, start + i) != NULL) {
            continue;
        }
        rc = irq_entry_ensure(d, start + i, &e);
        created[i] = rc == 0;
    }
    if (rc != 0) {
        bus_lock(d);
        for (i = 0; i < count; i++) {
            if (created[i]) {
                entry_destroy(d, irq_entry_get(d, start + i));
            }
        }
        bus_unlock(d);
        goto out;
    }
    for (i = 0; i < count; i++) {
        e = irq_entry_get(d, start + i);
        if (e != NULL) {
            entry_set_bind(d, e, targets[i]);
            targets[i] = NULL;
        }
    }
out:
    for (i = 0; i < count; i++) {
        target_put(targets[i]);
    }
    free(created);
    return rc;
}

int
vidxd_irq_bind(struct vidxd_irq_dev *dev, unsigned domain, uint32_t index,
               const struct vidxd_irq_target *t)
{
    struct irq_target *nt = NULL;
    struct irq_domain *d;
    int rc;

    rc = lock_range(dev, domain, index, 1, &d);
    if (rc != 0) {
        return rc;
    }
    if (t != NULL) {
        rc = target_new(t, &nt);
        if (rc != 0) {
            goto out;
        }
    }
    if (nt != NULL && !guest_programmed(d) && irq_entry_get(d, index) == NULL) {
        target_put(nt);
        rc = -ENOENT;
        goto out;
    }
    rc = bind_range(d, index, 1, &nt);
out:
    pthread_mutex_unlock(&dev->lock);
    return rc;
}

int
vidxd_irq_set_eventfds(struct vidxd_irq_dev *dev, unsigned domain,
                       uint32_t start, uint32_t count, const int *fds)
{
    struct irq_target **targets = NULL;
    struct vidxd_irq_target spec = {.eventfd = -1};
    struct irq_domain *d;
    uint32_t i;
    int rc;

    rc = lock_range(dev, domain, start, count, &d);
    if (rc != 0) {
        return rc;
    }
    if (count == 0) {
        goto out;
    }
    targets = calloc(count, sizeof(*targets));
    if (targets == NULL) {
        rc = -ENOMEM;
        goto out;
    }
    for (i = 0; i < count; i++) {
        if (fds == NULL || fds[i] < 0) {
            continue;
        }
        if (!guest_programmed(d) && irq_entry_get(d, start + i) == NULL) {
            rc = -ENOENT;
            break;
        }
        spec.eventfd = fds[i];
        rc = target_new(&spec, &targets[i]);
        if (rc != 0) {
            break;
        }
    }
    if (rc != 0) {
        for (i = 0; i < count; i++) {
            target_put(targets[i]);
        }
        goto out;
    }
    rc = bind_range(d, start, count, targets);
out:
    free(targets);
    pthread_mutex_unlock(&dev->lock);
    return rc;
}

static void
route_refresh_one(struct irq_domain *d, struct irq_entry *e, void *arg)
{
    (void)arg;
    if (e->bind == NULL && e->active) {
        entry_republish(d, e, NULL);
    }
}

int
vidxd_irq_route_set(struct vidxd_irq_dev *dev, const struct vidxd_irq_msg *msg,
                    const struct vidxd_irq_target *t)
{
    struct irq_route **pp, *r;
    struct irq_target *nt = NULL, *old;
    struct irq_domain *d;
    unsigned i;
    int rc = 0;

    if (dev == NULL || msg == NULL) {
        return -EINVAL;
    }
    if (t != NULL) {
        rc = target_new(t, &nt);
        if (rc != 0) {
            return rc;
        }
    }
    pthread_mutex_lock(&dev->lock);
    for (pp = &dev->routes; *pp != NULL; pp = &(*pp)->next) {
        if (msg_eq(&(*pp)->msg, msg)) {
            break;
        }
    }
    r = *pp;
    if (r == NULL && nt == NULL) {
        rc = -ENOENT;
        goto out;
    }
    if (r == NULL) {
        r = calloc(1, sizeof(*r));
        if (r == NULL) {
            target_put(nt);
            rc = -ENOMEM;
            goto out;
        }
        r->msg = *msg;
        *pp = r;
    }
    old = r->target;
    r->target = nt;
    if (nt == NULL) {
        *pp = r->next;
        free(r);
    }
    for (i = 0; i < VIDXD_IRQ_MAX_DOMAINS; i++) {
        d = irq_domain_get(dev, i);
        if (d != NULL && (d->tmpl.flags & VIDXD_IRQ_DOM_ROUTE_BY_MSG)) {
            for_each_entry(d, route_refresh_one, NULL);
        }
    }
    target_put(old);
out:
    pthread_mutex_unlock(&dev->lock);
    return rc;
}

/* ---------------------------------------------------------------------- */
/* Address table                                                          */
/* ---------------------------------------------------------------------- */

/* Re-apply the address policy to an entry (rewrite under mask if owned). */
static void
entry_readdress(struct irq_domain *d, struct irq_entry *e, void *arg)
{
    struct vidxd_irq_msg m;
    int rc;

    (void)arg;
    if (!e->active) {
        return;
    }
    compose(d, e->index, &e->req, &m);
    if (!guest_programmed(d) && !msg_eq(&m, &e->msg)) {
        rc = entry_program(d, e, &e->req);
        if (rc != 0) {
            VIDXD_WARN(IRQ_LOG, "%s: entry %u: address rewrite failed: %d",
                       d->name, e->index, rc);
            /* Whatever is in force, re-judge it: fail closed. */
            entry_republish(d, e, NULL);
        }
    } else {
        entry_republish(d, e, NULL);
    }
}

static int
addr_store(struct irq_domain *d, uint32_t index, uint64_t addr)
{
    uint64_t *c;
    uint32_t ci = index >> IRQ_CHUNK_SHIFT, i;

    if (d->addr_chunks == NULL) {
        if (addr == IRQ_ADDR_UNSET) {
            return 0;
        }
        d->addr_chunks = calloc(d->nchunks, sizeof(*d->addr_chunks));
        if (d->addr_chunks == NULL) {
            return -ENOMEM;
        }
    }
    c = d->addr_chunks[ci];
    if (c == NULL) {
        if (addr == IRQ_ADDR_UNSET) {
            return 0;
        }
        c = malloc(IRQ_CHUNK * sizeof(*c));
        if (c == NULL) {
            return -ENOMEM;
        }
        for (i = 0; i < IRQ_CHUNK; i++) {
            c[i] = IRQ_ADDR_UNSET;
        }
        d->addr_chunks[ci] = c;
    }
    c[index & (IRQ_CHUNK - 1)] = addr;
    return 0;
}

static int
addr_update(struct vidxd_irq_dev *dev, unsigned domain, uint32_t index,
            uint64_t addr)
{
    struct irq_domain *d;
    struct irq_entry *e;
    int rc;

    rc = lock_range(dev, domain, index, 1, &d);
    if (rc != 0) {
        return rc;
    }
    rc = addr_store(d, index, addr);
    e = irq_entry_get(d, index);
    if (rc == 0 && e != NULL) {
        entry_readdress(d, e, NULL);
    }
    pthread_mutex_unlock(&dev->lock);
    return rc;
}

int
vidxd_irq_addr_set(struct vidxd_irq_dev *dev, unsigned domain, uint32_t index,
                   uint64_t addr)
{
    /* UINT64_MAX is the "unset" sentinel and not a usable doorbell. */
    if (addr == IRQ_ADDR_UNSET) {
        return -EINVAL;
    }
    return addr_update(dev, domain, index, addr);
}

int
vidxd_irq_addr_unset(struct vidxd_irq_dev *dev, unsigned domain, uint32_t index)
{
    return addr_update(dev, domain, index, IRQ_ADDR_UNSET);
}

int
vidxd_irq_addr_mode(struct vidxd_irq_dev *dev, unsigned domain, bool enabled)
{
    struct irq_domain *d;
    int rc;

    rc = irq_lock_domain(dev, domain, &d);
    if (rc != 0) {
        return rc;
    }
    if (d->addr_mode != enabled) {
        d->addr_mode = enabled;
        for_each_entry(d, entry_readdress, NULL);
    }
    pthread_mutex_unlock(&dev->lock);
    return 0;
}

/* ---------------------------------------------------------------------- */
/* Notifiers and statistics                                               */
/* ---------------------------------------------------------------------- */

int
vidxd_irq_notifier_add(struct vidxd_irq_dev *dev, vidxd_irq_notify_fn *fn,
                       void *opaque, int *id)
{
    struct irq_notifier *n, **pp;

    if (dev == NULL || fn == NULL) {
        return -EINVAL;
    }
    n = calloc(1, sizeof(*n));
    if (n == NULL) {
        return -ENOMEM;
    }
    n->fn = fn;
    n->opaque = opaque;
    pthread_mutex_lock(&dev->lock);
    n->id = ++dev->next_notifier_id;
    /* Append: notifiers run in registration order. */
    for (pp = &dev->notifiers; *pp != NULL; pp = &(*pp)->next) {
    }
    *pp = n;
    if (id != NULL) {
        *id = n->id;
    }
    pthread_mutex_unlock(&dev->lock);
    return 0;
}

int
vidxd_irq_notifier_remove(struct vidxd_irq_dev *dev, int id)
{
    struct irq_notifier **pp, *n;
    int rc = -ENOENT;

    if (dev == NULL) {
        return -EINVAL;
    }
    pthread_mutex_lock(&dev->lock);
    for (pp = &dev->notifiers; *pp != NULL; pp = &(*pp)->next) {
        if ((*pp)->id == id) {
            n = *pp;
            *pp = n->next;
            free(n);
            rc = 0;
            break;
        }
    }
    pthread_mutex_unlock(&dev->lock);
    return rc;
}

static void
stats_add_entry(struct irq_domain *d, struct irq_entry *e, void *arg)
{
    struct vidxd_irq_stats *s = arg;

    (void)d;
    s->delivered += atomic_load(&e->n_delivered);
    s->latched += atomic_load(&e->n_latched);
    s->denied += atomic_load(&e->n_denied);
    s->dropped += atomic_load(&e->n_dropped);
    s->errors += atomic_load(&e->n_errors);
}

int
vidxd_irq_stats_get(struct vidxd_irq_dev *dev, unsigned domain, uint32_t index,
                    struct vidxd_irq_stats *out)
{
    struct irq_domain *d;
    struct irq_entry *e;
    unsigned i;
    int rc = 0;

    if (dev == NULL || out == NULL) {
        return -EINVAL;
    }
    memset(out, 0, sizeof(*out));
    pthread_mutex_lock(&dev->lock);
    if (domain == VIDXD_IRQ_MAX_DOMAINS) {
        *out = dev->retired;
        for (i = 0; i < VIDXD_IRQ_MAX_DOMAINS; i++) {
            d = irq_domain_get(dev, i);
            if (d != NULL) {
                for_each_entry(d, stats_add_entry, out);
            }
        }
        out->unknown = atomic_load(&dev->n_unknown);
    } else {
        d = irq_domain_get(dev, domain);
        e = irq_entry_get(d, index);
        if (e == NULL) {
            rc = -ENOENT;
        } else {
            stats_add_entry(d, e, out);
        }
    }
    pthread_mutex_unlock(&dev->lock);
    return rc;
}

/* ---------------------------------------------------------------------- */
/* Devices and domains                                                    */
/* ---------------------------------------------------------------------- */

int
vidxd_irq_dev_create(const char *name, uint32_t nr_handles,
                     struct vidxd_irq_dev **out)
{
    struct vidxd_irq_dev *dev;
    int rc;

    if (out == NULL || nr_handles > VIDXD_IRQ_MAX_HANDLES) {
        return -EINVAL;
    }
    dev = calloc(1, sizeof(*dev));
    if (dev == NULL) {
        return -ENOMEM;
    }
    snprintf(dev->name, sizeof(dev->name), "%s", name != NULL ? name : "irq");
    rc = irq_handles_init(dev, nr_handles);
    if (rc != 0) {
        free(dev);
        return rc;
    }
    pthread_mutex_init(&dev->lock, NULL);
    *out = dev;
    return 0;
}

int
irq_domain_create_locked(struct vidxd_irq_dev *dev, unsigned domain,
                         const struct vidxd_irq_domain_template *tmpl,
                         const struct vidxd_irq_storage_ops *ops, void *opaque,
                         irq_storage_destroy_fn *destroy, unsigned builtin)
{
    const uint32_t known = VIDXD_IRQ_DOM_GUEST_PROGRAMMED |
                           VIDXD_IRQ_DOM_ROUTE_BY_MSG |
                           VIDXD_IRQ_DOM_UNTRUSTED_STORAGE;
    struct irq_domain *d;

    if (domain >= VIDXD_IRQ_MAX_DOMAINS || tmpl == NULL || ops == NULL ||
        tmpl->size == 0 || tmpl->size > VIDXD_IRQ_MAX_ENTRIES ||
        (tmpl->flags & ~known) != 0 || ops->write_msg == NULL ||
        ops->mask == NULL || ops->unmask == NULL ||
        ((tmpl->flags & VIDXD_IRQ_DOM_GUEST_PROGRAMMED) &&
         ops->read_msg == NULL) ||
        (ops->bus_lock == NULL) != (ops->bus_sync_unlock == NULL)) {
        return -EINVAL;
    }
    /*
     * Capability negotiation (ims.md §4.9): a message the guest can rewrite
     * behind our back must never pick its own target.
     */
    if ((tmpl->flags & VIDXD_IRQ_DOM_UNTRUSTED_STORAGE) &&
        (tmpl->flags & VIDXD_IRQ_DOM_ROUTE_BY_MSG)) {
        return -EPERM;
    }
    if (irq_domain_get(dev, domain) != NULL) {
        return -EEXIST;
    }
    d = calloc(1, sizeof(*d));
    if (d == NULL) {
        return -ENOMEM;
    }
    d->nchunks = (tmpl->size + IRQ_CHUNK - 1) / IRQ_CHUNK;
    d->chunks = calloc(d->nchunks, sizeof(*d->chunks));
    if (d->chunks == NULL) {
        free(d);
        return -ENOMEM;
    }
    d->dev = dev;
    d->id = domain;
    /* The per-device copy: "<device>-<chip>" (ims.md §1.2, §4). */
    snprintf(d->name, sizeof(d->name), "%s-%s", dev->name,
             tmpl->name != NULL ? tmpl->name : "irq");
    d->tmpl = *tmpl;
    d->tmpl.name = d->name;
    d->ops = *ops;
    d->opaque = opaque;
    d->destroy = destroy;
    d->builtin = builtin;
    d->size = tmpl->size;
    atomic_store_explicit(&dev->dom[domain], d, memory_order_release);
    return 0;
}

int
vidxd_irq_domain_create(struct vidxd_irq_dev *dev, unsigned domain,
                        const struct vidxd_irq_domain_template *tmpl,
                        const struct vidxd_irq_storage_ops *ops, void *opaque)
{
    int rc;

    if (dev == NULL) {
        return -EINVAL;
    }
    pthread_mutex_lock(&dev->lock);
    rc = irq_domain_create_locked(dev, domain, tmpl, ops, opaque, NULL,
                                  IRQ_BUILTIN_NONE);
    pthread_mutex_unlock(&dev->lock);
    return rc;
}

static void
destroy_one(struct irq_domain *d, struct irq_entry *e, void *arg)
{
    (void)arg;
    entry_destroy(d, e);
}

void
vidxd_irq_dev_destroy(struct vidxd_irq_dev *dev)
{
    struct irq_notifier *n;
    struct irq_route *r;
    struct irq_domain *d;
    struct irq_entry *e;
    uint32_t i;
    unsigned id;

    if (dev == NULL) {
        return;
    }
    pthread_mutex_lock(&dev->lock);
    while ((n = dev->notifiers) != NULL) {
        dev->notifiers = n->next;
        free(n);
    }
    for (id = 0; id < VIDXD_IRQ_MAX_DOMAINS; id++) {
        d = irq_domain_get(dev, id);
        if (d == NULL) {
            continue;
        }
        if (d->nr_alloc > 0) {
            VIDXD_DBG(IRQ_LOG, "%s: freeing %u live entries", d->name,
                      d->nr_alloc);
        }
        bus_lock(d);
        for_each_entry(d, destroy_one, NULL);
        bus_unlock(d);
        for (i = 0; i < d->nchunks; i++) {
            free(atomic_load(&d->chunks[i]));
            if (d->addr_chunks != NULL) {
                free(d->addr_chunks[i]);
            }
        }
        free(d->chunks);
        free(d->addr_chunks);
        if (d->destroy != NULL) {
            d->destroy(d->opaque);
        }
        atomic_store(&dev->dom[id], NULL);
        free(d);
    }
    while ((r = dev->routes) != NULL) {
        dev->routes = r->next;
        target_put(r->target);
        free(r);
    }
    while ((e = dev->all_entries) != NULL) {
        dev->all_entries = e->all_next;
        free(e);
    }
    irq_handles_fini(dev);
    pthread_mutex_unlock(&dev->lock);
    pthread_mutex_destroy(&dev->lock);
    free(dev);
}
