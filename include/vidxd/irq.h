/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The interrupt layer: device-specific MSI storage (MSI-X tables, Interrupt
 * Message Stores) behind storage operations, remapping of interrupt handles
 * to storage entries and of entries to targets, masking with pending bits,
 * delivery to eventfds, and VMM-chosen per-vector MSI addresses.  It knows
 * no DSA register; the device model forwards register accesses and raises.
 *
 * Model (reference/ims.md §1.2-§1.8, §4).  A device (struct vidxd_irq_dev)
 * owns up to VIDXD_IRQ_MAX_DOMAINS storage domains; MSI-X is domain 0, IMS
 * domain 1, and nothing else treats them differently: the 1:1 device-to-
 * storage case is the 1:N case with N = 1 (§4.1).  A domain is created from
 * a template (name, size, flags) and a table of storage operations which the
 * core copies per device (§4.3).  Entries are sparse: a descriptor exists
 * only for an index somebody allocated (§4.4), through two phases, allocate
 * (prepare resources) then activate (program the message), each undone in
 * reverse order on failure (§4.5).  An entry resolves to a target, either
 * bound directly to its index (an eventfd given by the VMM through SET_IRQS,
 * or a sink callback for in-process users) or, for domains that route by
 * message, looked up by its address/data in the device's route table.
 * Targets are compiled into the entry on the control path, so raising
 * looks up nothing but the entry.  A 16-bit interrupt handle names an entry
 * (domain, index) for the device's REQUEST/RELEASE_INT_HANDLE commands.
 *
 * Masks and pending.  Each entry carries one atomic gate word: the reasons
 * it is masked (its storage mask bit, the domain-wide function mask, a VMM
 * mask, no target, an update in progress), a pending bit, and a count of
 * deliveries in flight.  Masking is synchronous (§1.8, §4.6): when a mask
 * function returns, no delivery of that entry is in flight or will start.
 * A raise while masked sets the pending bit; the unmask that clears the last
 * reason delivers it exactly once.  The core rewrites an entry's message
 * (and switches its target, and applies an address-table change) only while
 * the entry is masked, masking it itself around the change if needed, and
 * re-checks pending after the switch (§1.7, §4.7): an interrupt pending
 * across a retarget is delivered once, to the new target.  Mirrors register
 * a change notifier instead of caching messages (§1.7, §4.2).
 *
 * Thread model.  Raising (vidxd_irq_raise*, vidxd_irq_handle_valid/lookup)
 * is lock-free, may run on any number of threads at once and never calls a
 * storage operation; it costs one compare-and-swap plus the target (one
 * eventfd write(), or the sink).  Every other function is a control
 * function: thread-safe, serialised by a per-device mutex, and it may call
 * storage operations, which may block (a bus-lock bracket is available for
 * storage that commits its writes late, §1.5, §4.8).  Sinks and notifiers
 * must not call control functions of the same device.
 */
#ifndef VIDXD_IRQ_H
#define VIDXD_IRQ_H

#include <stdbool.h>
#include <stdint.h>

#include "vidxd/visibility.h"

struct vidxd_irq_dev;

#define VIDXD_IRQ_MAX_DOMAINS 4
#define VIDXD_IRQ_DOMAIN_MSIX 0
#define VIDXD_IRQ_DOMAIN_IMS 1
/* Largest domain; index space of 16 bits like MSI_MAX_INDEX (ims.md §1.2). */
#define VIDXD_IRQ_MAX_ENTRIES 65536u
/* Let the core choose the index (MSI_ANY_INDEX, ims.md §1.4). */
#define VIDXD_IRQ_ANY_INDEX UINT32_MAX
#define VIDXD_IRQ_MAX_HANDLES 65536u

/* An MSI message (struct msi_msg, ims.md §1.2). */
struct vidxd_irq_msg {
    uint32_t address_lo;
    uint32_t address_hi;
    uint32_t data;
};

/* ---------------------------------------------------------------------- */
/* Devices                                                                */
/* ---------------------------------------------------------------------- */

/*
 * Create a device with room for @nr_handles interrupt handles (0 to
 * VIDXD_IRQ_MAX_HANDLES; 0 means the device hands out none).  @name is used
 * in log lines (copied).
 * Returns 0, -EINVAL (@nr_handles too large, NULL @out) or -ENOMEM.
 */
VIDXD_API int vidxd_irq_dev_create(const char *name, uint32_t nr_handles,
                                   struct vidxd_irq_dev **out);

/*
 * Destroy a device: deactivate and free every entry through its storage
 * operations, close the eventfds the layer holds, destroy built-in storage.
 * Accepts NULL.  No thread may be raising on @dev.
 */
VIDXD_API void vidxd_irq_dev_destroy(struct vidxd_irq_dev *dev);

/* ---------------------------------------------------------------------- */
/* Storage domains                                                        */
/* ---------------------------------------------------------------------- */

/*
 * Storage operations: how a domain reaches its message storage.  @opaque is
 * the pointer given at domain creation; @dcookie is the per-entry domain
 * cookie prepare() filled in (e.g. the slot address), 0 without prepare().
 * The core calls these only from control functions, with the device mutex
 * held, never while raising, so they may block.  Operations return 0 or a
 * negative errno.
 */
struct vidxd_irq_storage_ops {
    /*
     * Optional.  Allocation phase: set up resources for entry @index with
     * the allocator's instance cookie @icookie (e.g. a PASID) and leave the
     * slot masked.  Undone by release().
     */
    int (*prepare)(void *opaque, uint32_t index, uint64_t icookie,
                   uint64_t *dcookie);
    /* Optional.  Undo prepare(). */
    void (*release)(void *opaque, uint32_t index, uint64_t dcookie);
    /* Required.  Write the message; called only while the slot is masked. */
    int (*write_msg)(void *opaque, uint32_t index, uint64_t dcookie,
                     const struct vidxd_irq_msg *msg);
    /* Required.  Set / clear the slot's mask bit. */
    int (*mask)(void *opaque, uint32_t index, uint64_t dcookie);
    int (*unmask)(void *opaque, uint32_t index, uint64_t dcookie);
    /*
     * Optional.  Deactivation: leave the slot masked with a zero message.
     * Without it the core calls mask() then write_msg() with zeroes
     * (msi_domain_deactivate, ims.md §1.4).
     */
    void (*shutdown)(void *opaque, uint32_t index, uint64_t dcookie);
    /*
     * Required for VIDXD_IRQ_DOM_GUEST_PROGRAMMED domains: read the message
     * and mask bit the guest programmed.
     */
    int (*read_msg)(void *opaque, uint32_t index, uint64_t dcookie,
                    struct vidxd_irq_msg *msg, bool *masked);
    /*
     * Optional bus-lock bracket (irq_bus_lock / irq_bus_sync_unlock,
     * ims.md §1.5): every control operation that touches storage runs
     * between them; the operations above may only record intent and
     * bus_sync_unlock() must make it effective before it returns.
     */
    void (*bus_lock)(void *opaque);
    void (*bus_sync_unlock)(void *opaque);
};

/*
 * The guest programs messages and mask bits through the storage's
 * registers (MSI-X tables, a guest-visible IMS).  The core reads them with
 * read_msg() and never substitutes addresses; entries are created on
 * demand by vidxd_irq_bind/set_eventfds/handle_alloc.
 */
#define VIDXD_IRQ_DOM_GUEST_PROGRAMMED 0x1u
/*
 * Entries without a direct binding resolve their target by message in the
 * device's route table (vidxd_irq_route_set).
 */
#define VIDXD_IRQ_DOM_ROUTE_BY_MSG 0x2u
/*
 * The storage lives in memory the guest can write (ims.md §2.4(3)).  The
 * core delivers from its cached copy of each message and refuses to let
 * such messages choose targets: combined with ROUTE_BY_MSG it is -EPERM
 * (capability negotiation, ims.md §4.9).
 */
#define VIDXD_IRQ_DOM_UNTRUSTED_STORAGE 0x4u

struct vidxd_irq_domain_template {
    const char *name; /* short chip name, e.g. "MSIX", "IMS" */
    uint32_t size;    /* number of entries, 1..VIDXD_IRQ_MAX_ENTRIES */
    uint32_t flags;   /* VIDXD_IRQ_DOM_* */
};

/*
 * Create domain @domain of @dev with storage @ops (copied) and @opaque.
 * Returns 0; -EINVAL (bad id, size, flags, or a required op missing);
 * -EEXIST (the id is taken); -EPERM (UNTRUSTED_STORAGE with ROUTE_BY_MSG);
 * -ENOMEM.  Domains live as long as the device.
 */
VIDXD_API int
vidxd_irq_domain_create(struct vidxd_irq_dev *dev, unsigned domain,
                        const struct vidxd_irq_domain_template *tmpl,
                        const struct vidxd_irq_storage_ops *ops, void *opaque);

/*
 * Domain-wide mask (the MSI-X function mask generalised): synchronous for
 * every entry of @domain; clearing it delivers what became pending.
 * Returns 0 or -ENOENT (no such domain).
 */
VIDXD_API int vidxd_irq_domain_mask(struct vidxd_irq_dev *dev, unsigned domain,
                                    bool masked);

/* ---------------------------------------------------------------------- */
/* Entries                                                                */
/* ---------------------------------------------------------------------- */

/*
 * Allocation phase: reserve @count entries at @index.. (or the first free
 * run of @count when @index is VIDXD_IRQ_ANY_INDEX) and prepare() each with
 * @icookie.  Entries start inactive and masked.  On failure every entry of
 * this call is released again.  *@first receives the first index (may be
 * NULL).
 * Returns 0; -ENOENT (no domain); -EINVAL (@count 0); -ERANGE (beyond the
 * domain); -EBUSY (an index is taken); -ENOSPC (no free run); -ENOMEM; or
 * the error of prepare().
 */
VIDXD_API int vidxd_irq_alloc(struct vidxd_irq_dev *dev, unsigned domain,
                              uint32_t index, uint32_t count, uint64_t icookie,
                              uint32_t *first);

/* Unmask each entry once activated (host-programmed domains). */
#define VIDXD_IRQ_ACT_UNMASK 0x1u

/*
 * Activation phase: program entries @first..@first+@count-1 with @msgs[i]
 * (with the approved address substituted, see vidxd_irq_addr_set) and make
 * them live.  @msgs may be NULL: guest-programmed domains then read the
 * storage, other domains get a zero message.  Guest-programmed entries take
 * their mask state from the storage; others stay masked unless @flags has
 * VIDXD_IRQ_ACT_UNMASK.  On failure, entries activated by this call are
 * deactivated again (they stay allocated).
 * Returns 0; -ENOENT (no domain, or an entry is not allocated); -EINVAL
 * (@count 0); -ERANGE; -EALREADY (already active); or a storage error.
 */
VIDXD_API int vidxd_irq_activate(struct vidxd_irq_dev *dev, unsigned domain,
                                 uint32_t first, uint32_t count,
                                 const struct vidxd_irq_msg *msgs,
                                 unsigned flags);

/*
 * Deactivate (zero message, masked; a pending interrupt is discarded),
 * revoke the handles naming them, unbind and release entries @first..
 * @first+@count-1.  Indices not allocated are skipped.
 * Returns 0, -ENOENT (no domain) or -ERANGE.
 */
VIDXD_API int vidxd_irq_free(struct vidxd_irq_dev *dev, unsigned domain,
                             uint32_t first, uint32_t count);

/*
 * Rewrite an active entry's message.  The storage is written only while the
 * slot is masked: an unmasked entry is masked, written and unmasked again,
 * and an interrupt raised meanwhile is delivered once after the unmask with
 * the new message (ims.md §1.8).  Notifies VIDXD_IRQ_EV_MSG.
 * Returns 0; -ENOENT (no such active entry); or a storage error (the old
 * message stays in force).
 */
VIDXD_API int vidxd_irq_write_msg(struct vidxd_irq_dev *dev, unsigned domain,
                                  uint32_t index,
                                  const struct vidxd_irq_msg *msg);

/*
 * Mask / unmask an active entry through its storage (the entry's own mask
 * bit).  Masking is synchronous; unmasking delivers a pending interrupt
 * once if no other reason masks the entry.
 * Returns 0, -ENOENT, or the storage error (the state is unchanged).
 */
VIDXD_API int vidxd_irq_mask(struct vidxd_irq_dev *dev, unsigned domain,
                             uint32_t index);
VIDXD_API int vidxd_irq_unmask(struct vidxd_irq_dev *dev, unsigned domain,
                               uint32_t index);

/*
 * VMM-requested mask of @start..@start+@count-1 (vfio-user SET_IRQS
 * ACTION_MASK/UNMASK, vfio-user.md §1.3), separate from the guest's and the
 * storage's mask bits.  Entries not allocated are skipped.
 * Returns 0, -ENOENT (no domain) or -ERANGE.
 */
VIDXD_API int vidxd_irq_vmm_mask(struct vidxd_irq_dev *dev, unsigned domain,
                                 uint32_t start, uint32_t count, bool masked);

/* Reasons an entry is masked (vidxd_irq_entry_info.mask_reasons). */
#define VIDXD_IRQ_MASKED_STORAGE 0x01u /* its mask bit */
#define VIDXD_IRQ_MASKED_DOMAIN 0x02u  /* function mask / disabled */
#define VIDXD_IRQ_MASKED_VMM 0x04u
#define VIDXD_IRQ_MASKED_NO_TARGET 0x08u
#define VIDXD_IRQ_MASKED_UPDATE 0x10u   /* transient, during a rewrite */
#define VIDXD_IRQ_MASKED_INACTIVE 0x20u /* not activated: raises dropped */

struct vidxd_irq_entry_info {
    struct vidxd_irq_msg msg; /* the message in force */
    uint32_t mask_reasons;    /* VIDXD_IRQ_MASKED_* */
    bool active;
    bool pending;
    bool has_target;
    bool denied; /* the address policy refuses delivery */
    uint64_t icookie;
};

/*
 * Snapshot of one entry.  Returns 0 or -ENOENT (not allocated).
 */
VIDXD_API int vidxd_irq_entry_info(struct vidxd_irq_dev *dev, unsigned domain,
                                   uint32_t index,
                                   struct vidxd_irq_entry_info *out);

/* ---------------------------------------------------------------------- */
/* Targets                                                                */
/* ---------------------------------------------------------------------- */

/*
 * A sink receives an interrupt in-process, on the raising thread (or on
 * the control thread, for a pending interrupt replayed at unmask).  It may
 * run concurrently with itself, even for one entry; it must not block and
 * must not call control functions of the same device.
 */
typedef void vidxd_irq_sink_fn(void *opaque, unsigned domain, uint32_t index,
                               const struct vidxd_irq_msg *msg);

/*
 * A target: an eventfd (>= 0; the layer keeps its own dup() of it, the
 * caller keeps ownership of the one it passed) or, with eventfd -1, a sink.
 */
struct vidxd_irq_target {
    int eventfd;
    vidxd_irq_sink_fn *sink;
    void *opaque;
};

/*
 * Bind entry (@domain, @index) to @t directly, or unbind it (@t NULL).  The
 * switch happens under the entry's mask: an interrupt pending across it is
 * delivered once, to the new target; without a target, interrupts stay
 * pending.  In guest-programmed domains a missing entry is created.
 * Notifies VIDXD_IRQ_EV_TARGET.
 * Returns 0; -ENOENT (no domain, or no entry in a host-programmed domain);
 * -ERANGE; -EINVAL (@t names neither an eventfd nor a sink, or the fd is
 * not an eventfd); -EMFILE/-ENOMEM.
 */
VIDXD_API int vidxd_irq_bind(struct vidxd_irq_dev *dev, unsigned domain,
                             uint32_t index, const struct vidxd_irq_target *t);

/*
 * vfio-user DEVICE_SET_IRQS(DATA_EVENTFD|ACTION_TRIGGER) for one domain:
 * bind @fds[i] to entry @start+i, or unbind it when @fds is NULL or
 * @fds[i] is -1 (vfio-user.md §1.3, §2.7).  All or nothing: every fd is
 * checked and duplicated, and every missing entry created, before any
 * binding changes.
 * Returns 0 or an error as vidxd_irq_bind(); @count 0 is a no-op.
 */
VIDXD_API int vidxd_irq_set_eventfds(struct vidxd_irq_dev *dev, unsigned domain,
                                     uint32_t start, uint32_t count,
                                     const int *fds);

/*
 * Route table (remapping by message): entries of ROUTE_BY_MSG domains that
 * have no direct binding deliver to the target whose message equals theirs
 * exactly.  @t NULL removes the route.  Affected entries are retargeted as
 * by vidxd_irq_bind().
 * Returns 0; -ENOENT (removing a missing route); -EINVAL; -ENOMEM.
 */
VIDXD_API int vidxd_irq_route_set(struct vidxd_irq_dev *dev,
                                  const struct vidxd_irq_msg *msg,
                                  const struct vidxd_irq_target *t);

/* ---------------------------------------------------------------------- */
/* Raising (the fast path)                                                */
/* ---------------------------------------------------------------------- */

/* vidxd_irq_raise*() results besides negative errors. */
#define VIDXD_IRQ_DELIVERED 0
#define VIDXD_IRQ_PENDING 1 /* masked: the pending bit is (already) set */

/*
 * Raise entry (@domain, @index).  Lock-free; never blocks and never calls
 * storage operations.
 * Returns VIDXD_IRQ_DELIVERED; VIDXD_IRQ_PENDING; -ENOENT (no such entry;
 * counted as unknown); -ENODEV (entry not active: dropped); -EACCES (the
 * address policy refuses it: dropped, counted, logged rate-limited); -EIO
 * (the eventfd write failed).
 */
VIDXD_API int vidxd_irq_raise(struct vidxd_irq_dev *dev, unsigned domain,
                              uint32_t index);

/* Raise the entry @handle names; -ENOENT for an invalid handle. */
VIDXD_API int vidxd_irq_raise_handle(struct vidxd_irq_dev *dev,
                                     uint16_t handle);

/* ---------------------------------------------------------------------- */
/* Interrupt handles                                                      */
/* ---------------------------------------------------------------------- */

/*
 * Allocate a handle naming (@domain, @index), round-robin from the last one
 * handed out so a released value is reused as late as possible.  In
 * guest-programmed domains a missing entry is created.
 * Returns 0 with *@handle set; -ENOENT (no domain / no entry); -ERANGE;
 * -ENOSPC (all handles in use or the device has none).
 */
VIDXD_API int vidxd_irq_handle_alloc(struct vidxd_irq_dev *dev, unsigned domain,
                                     uint32_t index, uint16_t *handle);

/* As vidxd_irq_handle_alloc() at a chosen @handle; -EBUSY if taken. */
VIDXD_API int vidxd_irq_handle_alloc_at(struct vidxd_irq_dev *dev,
                                        uint16_t handle, unsigned domain,
                                        uint32_t index);

/* Release @handle.  Returns 0 or -ENOENT (not allocated, or out of range). */
VIDXD_API int vidxd_irq_handle_release(struct vidxd_irq_dev *dev,
                                       uint16_t handle);

/*
 * Whether @handle is allocated (lock-free).  Released and never-allocated
 * handles are invalid: the device completes with INT_HANDLE_INVAL.
 */
VIDXD_API bool vidxd_irq_handle_valid(struct vidxd_irq_dev *dev,
                                      uint16_t handle);

/* Resolve @handle (lock-free).  Returns 0 or -ENOENT. */
VIDXD_API int vidxd_irq_handle_lookup(struct vidxd_irq_dev *dev,
                                      uint16_t handle, unsigned *domain,
                                      uint32_t *index);

/*
 * Revoke every handle naming (@domain, @index), or every handle of @domain
 * with @index VIDXD_IRQ_ANY_INDEX, or every handle of the device with
 * @domain VIDXD_IRQ_MAX_DOMAINS (the INTCAUSE INT_HANDLE_REVOKED use case,
 * dsa.md §4).  Each revoked handle is notified (VIDXD_IRQ_EV_HANDLE_REVOKED).
 * Returns the number revoked.
 */
VIDXD_API int vidxd_irq_handle_revoke(struct vidxd_irq_dev *dev,
                                      unsigned domain, uint32_t index);

/* ---------------------------------------------------------------------- */
/* VMM-chosen per-vector MSI addresses (ims.md §3.3, §4.4)                 */
/* ---------------------------------------------------------------------- */

/*
 * Set or unset the address vector @index of @domain must carry.  While the
 * domain's address mode is on, a vector delivers only if its address is
 * set and equals the message's address (host-programmed entries get it
 * substituted when written, as msi_msg_set_addr(), and are rewritten under
 * mask when it changes).  A vector without one fails closed: not delivered,
 * counted as denied, logged rate-limited; no default is invented (stricter
 * than the upstream fallback, ims.md §3.3).
 * Returns 0, -ENOENT (no domain), -ERANGE, or -ENOMEM.
 */
VIDXD_API int vidxd_irq_addr_set(struct vidxd_irq_dev *dev, unsigned domain,
                                 uint32_t index, uint64_t addr);
VIDXD_API int vidxd_irq_addr_unset(struct vidxd_irq_dev *dev, unsigned domain,
                                   uint32_t index);

/* Turn the address mode of @domain on or off (off by default). */
VIDXD_API int vidxd_irq_addr_mode(struct vidxd_irq_dev *dev, unsigned domain,
                                  bool enabled);

/* ---------------------------------------------------------------------- */
/* Change notifiers and statistics                                        */
/* ---------------------------------------------------------------------- */

enum vidxd_irq_event_type {
    VIDXD_IRQ_EV_MSG,            /* the message in force changed (msg) */
    VIDXD_IRQ_EV_MASK,           /* the entry's own mask bit changed (masked) */
    VIDXD_IRQ_EV_TARGET,         /* bound, unbound or rerouted */
    VIDXD_IRQ_EV_FREE,           /* the entry was freed */
    VIDXD_IRQ_EV_HANDLE_REVOKED, /* handle was revoked (handle) */
};

struct vidxd_irq_event {
    enum vidxd_irq_event_type type;
    unsigned domain;
    uint32_t index;
    struct vidxd_irq_msg msg;
    bool masked;
    uint16_t handle;
};

/*
 * Called on the control thread with the device mutex held (the analogue of
 * msi_desc::write_msi_msg, ims.md §1.7): must not call control functions of
 * the same device.
 */
typedef void vidxd_irq_notify_fn(void *opaque,
                                 const struct vidxd_irq_event *ev);

/* Returns 0 with *@id set, or -ENOMEM. */
VIDXD_API int vidxd_irq_notifier_add(struct vidxd_irq_dev *dev,
                                     vidxd_irq_notify_fn *fn, void *opaque,
                                     int *id);
/* Returns 0 or -ENOENT. */
VIDXD_API int vidxd_irq_notifier_remove(struct vidxd_irq_dev *dev, int id);

struct vidxd_irq_stats {
    uint64_t delivered; /* reached a target (incl. unmask replays) */
    uint64_t latched;   /* raised while masked (pending set or already set) */
    uint64_t denied;    /* refused by the address policy */
    uint64_t dropped;   /* raised on an inactive entry */
    uint64_t errors;    /* eventfd write failures */
    uint64_t unknown;   /* raised on no entry / an invalid handle (device) */
};

/*
 * Totals of @dev (@domain VIDXD_IRQ_MAX_DOMAINS; freed entries included)
 * or of one entry.  Returns 0, -ENOENT (no such entry) or -EINVAL.
 */
VIDXD_API int vidxd_irq_stats_get(struct vidxd_irq_dev *dev, unsigned domain,
                                  uint32_t index, struct vidxd_irq_stats *out);

/* ---------------------------------------------------------------------- */
/* Built-in storage: 16-byte tables (PCI MSI-X and IMS arrays)             */
/* ---------------------------------------------------------------------- */

/*
 * Entry layout shared by the MSI-X table and the IMS arrays (PCI MSI-X
 * table; dsa.md §4): +0x0 address low, +0x4 address high, +0x8 data, +0xC
 * vector control.
 */
#define VIDXD_IRQ_ENTRY_SIZE 16u
#define VIDXD_IRQ_ENTRY_ADDR_LO 0x0u
#define VIDXD_IRQ_ENTRY_ADDR_HI 0x4u
#define VIDXD_IRQ_ENTRY_DATA 0x8u
#define VIDXD_IRQ_ENTRY_CTRL 0xcu
#define VIDXD_IRQ_CTRL_MASKBIT (1u << 0)
#define VIDXD_IRQ_CTRL_PASID_EN (1u << 3) /* PASID-tagged IMS (dsa.md §4) */
#define VIDXD_IRQ_CTRL_PASID_SHIFT 12
#define VIDXD_IRQ_CTRL_PASID_MASK 0xfffff000u

/* Bytes of the MSI-X table and PBA for @n vectors (PBA: QWORD granular). */
#define VIDXD_IRQ_MSIX_TABLE_BYTES(n) ((uint64_t)(n)*VIDXD_IRQ_ENTRY_SIZE)
#define VIDXD_IRQ_MSIX_PBA_BYTES(n) ((((uint64_t)(n) + 63) / 64) * 8)

/*
 * The VMM emulates the MSI-X table and masking itself and never forwards
 * table writes (QEMU, vfio-user.md §2.7): the table's mask bits and the
 * capability's enable/function-mask bits are kept and read back but do not
 * gate delivery.  Without this flag, PCI semantics apply.
 */
#define VIDXD_IRQ_MSIX_VMM_EMULATED 0x1u

/*
 * Create domain 0 as an emulated PCI MSI-X table of @nvec (1..2048) vectors
 * with its PBA.  At creation (as after reset) every vector is masked, and
 * MSI-X is disabled: an interrupt raised while disabled or function-masked
 * is kept pending, as while masked.
 * Returns 0, -EINVAL, -EEXIST or -ENOMEM.
 */
VIDXD_API int vidxd_irq_msix_create(struct vidxd_irq_dev *dev, uint32_t nvec,
                                    unsigned flags);

/*
 * Register accesses to the MSI-X table, @offset from the table start, as
 * the device model receives them for its BAR.  PCI allows aligned DWORD
 * and QWORD accesses; anything else (other sizes, misalignment, beyond the
 * table) returns -EINVAL, reads 0 and changes nothing.  Address bits [1:0]
 * and vector-control bits [31:1] are reserved (read 0).  A guest may write
 * an unmasked entry's address or data (PCI leaves the result undefined):
 * the new value reads back at once but takes effect at the entry's next
 * unmask, so a delivery never uses a half-written message.  Clearing a mask
 * bit delivers a pending interrupt once.
 */
VIDXD_API int vidxd_irq_msix_table_read(struct vidxd_irq_dev *dev,
                                        uint64_t offset, unsigned size,
                                        uint64_t *val);
VIDXD_API int vidxd_irq_msix_table_write(struct vidxd_irq_dev *dev,
                                         uint64_t offset, unsigned size,
                                         uint64_t val);
/* PBA read (bit n = vector n pending); PBA writes are ignored by PCI. */
VIDXD_API int vidxd_irq_msix_pba_read(struct vidxd_irq_dev *dev,
                                      uint64_t offset, unsigned size,
                                      uint64_t *val);

/*
 * MSI-X capability Message Control bits MSI-X Enable (15) and Function Mask
 * (14), as the config-space owner sees them written.  Unless the table is
 * VMM-emulated, disabled or function-masked masks every vector; the change
 * is synchronous and the transition to enabled and unmasked delivers
 * pending interrupts.  Returns 0 or -ENOENT (no MSI-X table).
 */
VIDXD_API int vidxd_irq_msix_set_ctrl(struct vidxd_irq_dev *dev, bool enable,
                                      bool function_mask);

/* The vector control word carries PASID enable and PASID (dsa.md §4). */
#define VIDXD_IRQ_IMS_PASID 0x1u
/*
 * The guest programs the array through the register functions.  Entries
 * (created on demand, e.g. by vidxd_irq_handle_alloc) without a direct
 * binding deliver through the route table by the message the guest wrote.
 */
#define VIDXD_IRQ_IMS_GUEST 0x2u

/*
 * Create @domain as an IMS array of @nslots 16-byte entries in device
 * memory (the "IMS array" of ims.md §1.6; DSA's at BAR0 0x4000, dsa.md §4).
 * Host-programmed arrays (no VIDXD_IRQ_IMS_GUEST) take the PASID from the
 * allocation's instance cookie: icookie = PASID_EN | pasid << 12, written
 * to the control word with the mask bit set.
 * Returns 0, -EINVAL, -EEXIST or -ENOMEM.
 */
VIDXD_API int vidxd_irq_ims_array_create(struct vidxd_irq_dev *dev,
                                         unsigned domain, uint32_t nslots,
                                         unsigned flags);

/*
 * Register accesses to an IMS array, rules as for the MSI-X table.  Vector
 * control keeps bit 0 and, with VIDXD_IRQ_IMS_PASID, bit 3 and [31:12].
 */
VIDXD_API int vidxd_irq_ims_array_read(struct vidxd_irq_dev *dev,
                                       unsigned domain, uint64_t offset,
                                       unsigned size, uint64_t *val);
VIDXD_API int vidxd_irq_ims_array_write(struct vidxd_irq_dev *dev,
                                        unsigned domain, uint64_t offset,
                                        unsigned size, uint64_t val);

/*
 * Whether slot @index accepts an interrupt for a request with @pasid
 * (@has_pasid false: a request without PASID): true when the slot's PASID
 * enable is clear (always, in an array without VIDXD_IRQ_IMS_PASID) or its
 * PASID equals @pasid (dsa.md §4).  False for a slot beyond the array or a
 * domain that is not an IMS array.  Lock-free.
 */
VIDXD_API bool vidxd_irq_ims_array_pasid_ok(struct vidxd_irq_dev *dev,
                                            unsigned domain, uint32_t index,
                                            bool has_pasid, uint32_t pasid);

/*
 * Reset a built-in table (MSI-X: also disable it): every slot masked with a
 * zero message, pending bits cleared.  Returns 0 or -ENOENT.
 */
VIDXD_API int vidxd_irq_table_reset(struct vidxd_irq_dev *dev, unsigned domain);

#endif /* VIDXD_IRQ_H */
