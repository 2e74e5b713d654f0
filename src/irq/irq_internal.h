/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Private structures of the irq layer shared by its files: the device, its
 * domains and their sparse entry store, the gate word protocol, targets,
 * and the hooks the built-in tables (table.c) use to report guest register
 * writes to the core (irq.c).  Handles live in handle.c.
 */
#ifndef VIDXD_IRQ_INTERNAL_H
#define VIDXD_IRQ_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "vidxd/irq.h"

#define IRQ_LOG "irq"

/*
 * Gate word of an entry (64 bits, one atomic):
 *   [7:0]   mask reasons (VIDXD_IRQ_MASKED_*); INACTIVE drops, the others
 *           latch the pending bit
 *   [8]     pending
 *   [31:16] deliveries in flight
 *   [63:32] generation, bumped at each allocation so a raiser holding a
 *           stale entry pointer can never succeed a compare-and-swap on a
 *           recycled entry
 */
#define GATE_REASONS 0xffull
#define GATE_LATCHING                                                          \
    ((uint64_t)(VIDXD_IRQ_MASKED_STORAGE | VIDXD_IRQ_MASKED_DOMAIN |           \
                VIDXD_IRQ_MASKED_VMM | VIDXD_IRQ_MASKED_NO_TARGET |            \
                VIDXD_IRQ_MASKED_UPDATE))
#define GATE_INACTIVE ((uint64_t)VIDXD_IRQ_MASKED_INACTIVE)
#define GATE_PENDING (1ull << 8)
#define GATE_INFLIGHT_ONE (1ull << 16)
#define GATE_INFLIGHT_MASK (0xffffull << 16)
#define GATE_GEN_SHIFT 32

#define IRQ_CHUNK_SHIFT 8
#define IRQ_CHUNK (1u << IRQ_CHUNK_SHIFT)
#define IRQ_ADDR_UNSET UINT64_MAX /* PHYS_ADDR_MAX analogue, ims.md §3.3 */

struct irq_target {
    int refs;         /* control-side references (bindings, routes, entries) */
    int fd;           /* our dup, or -1 for a sink */
    bool fd_blocking; /* the fd lacked O_NONBLOCK when bound */
    vidxd_irq_sink_fn *sink;
    void *opaque;
};

struct irq_domain;

struct irq_entry {
    _Atomic uint64_t gate;
    struct irq_domain *dom;
    uint32_t index;
    /*
     * Read by deliveries; written by the control thread only while the gate
     * holds a mask reason and no delivery is in flight.
     */
    struct irq_target *target;
    struct vidxd_irq_msg msg;
    bool denied;
    /* Control side only (device mutex). */
    struct irq_target *bind;
    struct vidxd_irq_msg req; /* message as requested / programmed */
    uint64_t icookie;
    uint64_t dcookie;
    bool active;
    bool prepared;
    uint32_t nr_handles; /* handles naming this entry */
    struct irq_entry *next_free;
    struct irq_entry *all_next;
    _Atomic uint64_t n_delivered;
    _Atomic uint64_t n_latched;
    _Atomic uint64_t n_denied;
    _Atomic uint64_t n_dropped;
    _Atomic uint64_t n_errors;
};

struct irq_chunk {
    _Atomic(struct irq_entry *) slot[IRQ_CHUNK];
};

#define IRQ_BUILTIN_NONE 0u
#define IRQ_BUILTIN_MSIX 1u
#define IRQ_BUILTIN_IMS 2u

/* Storage built into the layer; destroyed with the device. */
typedef void irq_storage_destroy_fn(void *opaque);

struct irq_domain {
    struct vidxd_irq_dev *dev;
    unsigned id;
    char name[48];
    struct vidxd_irq_domain_template tmpl; /* copied; tmpl.name -> name */
    struct vidxd_irq_storage_ops ops;      /* copied */
    void *opaque;
    irq_storage_destroy_fn *destroy;
    uint32_t size;
    uint32_t nchunks;
    _Atomic(struct irq_chunk *) *chunks;
    uint32_t nr_alloc;
    bool masked; /* domain-wide mask (MSI-X function mask / disabled) */
    bool addr_mode;
    uint64_t **addr_chunks; /* IRQ_CHUNK addresses each, lazily */
    unsigned builtin;       /* IRQ_BUILTIN_*: table.c owns opaque */
};

struct irq_route {
    struct irq_route *next;
    struct vidxd_irq_msg msg;
    struct irq_target *target;
};

struct irq_notifier {
    struct irq_notifier *next;
    int id;
    vidxd_irq_notify_fn *fn;
    void *opaque;
};

struct vidxd_irq_dev {
    pthread_mutex_t lock; /* serialises every control function */
    char name[32];
    _Atomic(struct irq_domain *) dom[VIDXD_IRQ_MAX_DOMAINS];
    struct irq_entry *free_entries; /* type-stable: freed at destroy only */
    struct irq_entry *all_entries;  /* allocation blocks, for destroy */
    struct irq_route *routes;
    struct irq_notifier *notifiers;
    int next_notifier_id;
    /* Handles (handle.c). */
    uint32_t nr_handles;
    _Atomic uint32_t *handles;
    uint32_t handle_cursor;
    /* Totals of freed entries, and raises that found nothing. */
    struct vidxd_irq_stats retired;
    _Atomic uint64_t n_unknown;
};

/*
 * irq.c: the prologue of the control functions.  Take dev->lock and find
 * domain @domain: 0 with the lock held and *@dp set; -EINVAL (@dev NULL)
 * or -ENOENT (no such domain) with the lock not held.
 */
int irq_lock_domain(struct vidxd_irq_dev *dev, unsigned domain,
                    struct irq_domain **dp);

/* irq.c: lookups and hooks, called with dev->lock held. */
struct irq_domain *irq_domain_get(struct vidxd_irq_dev *dev, unsigned domain);
struct irq_entry *irq_entry_get(struct irq_domain *d, uint32_t index);
int irq_entry_ensure(struct irq_domain *d, uint32_t index,
                     struct irq_entry **out);
void irq_notify(struct vidxd_irq_dev *dev, const struct vidxd_irq_event *ev);
int irq_domain_create_locked(struct vidxd_irq_dev *dev, unsigned domain,
                             const struct vidxd_irq_domain_template *tmpl,
                             const struct vidxd_irq_storage_ops *ops,
                             void *opaque, irq_storage_destroy_fn *destroy,
                             unsigned builtin);
/* The guest changed slot @index's mask bit (table.c). */
void irq_guest_mask(struct irq_domain *d, uint32_t index, bool masked);
/*
 * The guest wrote slot @index's address or data (table.c): takes effect at
 * once if the entry is masked or @now, else at its next unmask.
 */
void irq_guest_msg_written(struct irq_domain *d, uint32_t index, bool now);
/* Domain-wide mask (function mask). */
void irq_domain_set_masked(struct irq_domain *d, bool masked);
/* Clear the pending bit of every entry of @d (reset). */
void irq_domain_clear_pending(struct irq_domain *d);
bool irq_entry_pending(struct irq_domain *d, uint32_t index);

/* handle.c */
int irq_handles_init(struct vidxd_irq_dev *dev, uint32_t nr_handles);
void irq_handles_fini(struct vidxd_irq_dev *dev);
/* Revoke handles naming @d/@index (or all of @d with ANY); with lock. */
int irq_handles_revoke_locked(struct vidxd_irq_dev *dev, unsigned domain,
                              uint32_t index);

#endif /* VIDXD_IRQ_INTERNAL_H */
