/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SIGBUS guard for guest memory (design.md invariant 1).  The server
 * mmaps MAP_SHARED the files a VMM passes with DMA_MAP (dma.c); a VMM that
 * then shrinks such a file makes every later device access to the lost
 * pages raise SIGBUS, whose default action would kill the daemon and every
 * other VM's device with it.  The server publishes each such mapping in a
 * lock-free process-wide registry; the opt-in handler installed by
 * vidxd_server_sigbus_guard_install() replaces a faulting registered range
 * with anonymous zero memory, so that the access is retried and succeeds,
 * marks the range lost and wakes the owning server, which ends that VMM's
 * session from its loop thread (dma.c server_dma_lost()).  A SIGBUS
 * anywhere else goes to the previous handler, or kills the process as
 * before: a real bug must still crash.
 *
 * Why the whole range and not the faulting page: a hostile VMM could make
 * the device touch one page in every other one of a large mapping, and
 * per-page replacement would split the mapping into tens of thousands of
 * VMAs until mmap fails (vm.max_map_count) and the daemon dies after all.
 * One replacement per range bounds the cost to one signal and one VMA, and
 * the session is ended anyway since its memory no longer backs its maps.
 *
 * Concurrency: a registration or removal writes a slot under a per-slot
 * sequence counter (a seqlock, all accesses sequentially consistent, whose
 * readers never wait: a slot being written is skipped, because a range is
 * registered before the device can reach it and removed only after
 * vidxd_as_unmap() has waited for every device access to it, so no fault
 * can be pending on it then).  The handler
 * takes no lock, calls only async-signal-safe functions and raw system
 * calls, and never logs.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "server/server_priv.h"

/* The handler needs these to be plain instructions, not library locks. */
_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "lock-free atomic int");
_Static_assert(ATOMIC_LONG_LOCK_FREE == 2, "lock-free atomic size_t");
_Static_assert(ATOMIC_LLONG_LOCK_FREE == 2, "lock-free atomic uint64_t");
_Static_assert(ATOMIC_POINTER_LOCK_FREE == 2, "lock-free atomic pointer");
_Static_assert(ATOMIC_BOOL_LOCK_FREE == 2, "lock-free atomic bool");

/* Range states: only LIVE ranges are backed by the VMM's file. */
enum {
    GUARD_LIVE = 0,
    GUARD_REPLACING, /* a thread is mapping zero memory over it */
    GUARD_REPLACED,  /* zero memory: the backing was lost */
    GUARD_FAILED,    /* the replacement mmap failed: crash as unguarded */
};

struct guard_slot {
    atomic_uint seq;     /* even: stable; odd: being written */
    atomic_bool claimed; /* owned by a registration (or being one) */
    atomic_uintptr_t start;
    atomic_size_t len;
    atomic_int prot;
    atomic_int wake_fd;
    atomic_uint state; /* GUARD_* */
};

static struct guard_slot guard_slots[SERVER_SIGBUS_SLOTS];
/* Slots [0, guard_used) have ever been claimed: the handler scans these. */
static atomic_uint guard_used;
static atomic_uint guard_ranges;
static atomic_ullong guard_faults;
static atomic_ullong guard_lost;
static atomic_bool guard_installed;
/* The disposition found at install; written once before the handler. */
static struct sigaction guard_prev;

/*
 * Map zero memory over the range of @s (found live by the caller).  True:
 * return from the handler and let the access be retried.
 */
static bool
guard_replace(struct guard_slot *s, uintptr_t start, size_t len, int prot,
              int wake_fd)
{
    unsigned expect = GUARD_LIVE;
    uint64_t one = 1;
    long r;

    if (!atomic_compare_exchange_strong(&s->state, &expect, GUARD_REPLACING)) {
        /* Another thread replaces (or replaced) it: retry the access. */
        return expect != GUARD_FAILED;
    }
    /* A raw system call: async-signal-safe and invisible to interposers. */
    r = syscall(SYS_mmap, (void *)start, len, prot,
                MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1,
                0L);
    if (r == -1) {
        atomic_store(&s->state, GUARD_FAILED);
        return false;
    }
    /* As the mapping it replaces (dma.c): no guest data in a core dump. */
    syscall(SYS_madvise, (void *)start, len, MADV_DONTDUMP);
    atomic_store(&s->state, GUARD_REPLACED);
    atomic_fetch_add(&guard_lost, 1);
    if (wake_fd >= 0) {
        /* Non-blocking eventfd; a saturated counter is awake already. */
        ssize_t w = write(wake_fd, &one, sizeof(one));

        (void)w;
    }
    return true;
}

/* Absorb a fault at @addr if it lies in a registered range. */
static bool
guard_absorb(uintptr_t addr)
{
    unsigned i, n = atomic_load(&guard_used);

    for (i = 0; i < n && i < SERVER_SIGBUS_SLOTS; i++) {
        struct guard_slot *s = &guard_slots[i];
        unsigned seq = atomic_load(&s->seq);
        uintptr_t start;
        size_t len;
        int prot, wake_fd;

        if ((seq & 1u) != 0) {
            continue; /* being written: not reachable by the device */
        }
        /* Sequentially consistent throughout (no fences, which TSan
         * cannot check): a registration is rare, a fault rarer. */
        start = atomic_load(&s->start);
        len = atomic_load(&s->len);
        prot = atomic_load(&s->prot);
        wake_fd = atomic_load(&s->wake_fd);
        if (atomic_load(&s->seq) != seq || start == 0 || addr - start >= len) {
            continue;
        }
        return guard_replace(s, start, len, prot, wake_fd);
    }
    return false;
}

/* Not ours: what would have happened without the guard. */
static void
guard_pass_on(int sig, siginfo_t *si, void *uc)
{
    struct sigaction dfl;

    if ((guard_prev.sa_flags & SA_SIGINFO) != 0 &&
        guard_prev.sa_sigaction != NULL) {
        guard_prev.sa_sigaction(sig, si, uc);
        return;
    }
    if ((guard_prev.sa_flags & SA_SIGINFO) == 0 &&
        guard_prev.sa_handler != SIG_DFL && guard_prev.sa_handler != SIG_IGN) {
        guard_prev.sa_handler(sig);
        return;
    }
    /* A sent SIGBUS that was ignored stays ignored. */
    if (guard_prev.sa_handler == SIG_IGN && si->si_code <= 0) {
        return;
    }
    /*
     * Default action: a fault re-executes on return and kills the process
     * (with a core dump); a sent signal is re-raised and delivered as soon
     * as the handler returns and unblocks it.
     */
    memset(&dfl, 0, sizeof(dfl));
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    sigaction(SIGBUS, &dfl, NULL);
    if (si->si_code <= 0) {
        raise(sig);
    }
}

static void
guard_handler(int sig, siginfo_t *si, void *uc)
{
    int saved = errno;

    /* Only a kernel-raised access error (si_code > 0): a shrunk file or a
     * hugetlb page that could not be allocated.  Hardware memory errors
     * (BUS_MCEERR_*) and sent signals are not ours. */
    if (si != NULL && si->si_code == BUS_ADRERR &&
        guard_absorb((uintptr_t)si->si_addr)) {
        atomic_fetch_add(&guard_faults, 1);
        errno = saved;
        return;
    }
    guard_pass_on(sig, si, uc);
    errno = saved;
}

int
vidxd_server_sigbus_guard_install(void)
{
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    struct sigaction sa, cur;
    int rc = 0;

    pthread_mutex_lock(&lock);
    if (atomic_load(&guard_installed)) {
        goto out;
    }
    /* The previous disposition is saved before the handler can run. */
    if (sigaction(SIGBUS, NULL, &guard_prev) < 0) {
        rc = -errno;
        goto out;
    }
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = guard_handler;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGBUS, &sa, NULL) < 0) {
        rc = -errno;
        goto out;
    }
    /* A runtime that owns SIGBUS (e.g. a sanitizer run with
     * handle_sigbus=2) may drop the request without an error. */
    if (sigaction(SIGBUS, NULL, &cur) < 0 || (cur.sa_flags & SA_SIGINFO) == 0 ||
        cur.sa_sigaction != guard_handler) {
        rc = -ENOTSUP;
        goto out;
    }
    atomic_store(&guard_installed, true);
out:
    pthread_mutex_unlock(&lock);
    return rc;
}

void
vidxd_server_sigbus_get_stats(struct vidxd_sigbus_stats *st)
{
    st->installed = atomic_load(&guard_installed);
    st->ranges = atomic_load(&guard_ranges);
    st->faults = atomic_load(&guard_faults);
    st->lost = atomic_load(&guard_lost);
}

int
server_sigbus_register(void *base, size_t len, int prot, int wake_fd, int *slot)
{
    struct guard_slot *s;
    unsigned i, seq, used;

    *slot = -1;
    if (!atomic_load(&guard_installed)) {
        return 0;
    }
    for (i = 0; i < SERVER_SIGBUS_SLOTS; i++) {
        bool expect = false;

        if (!atomic_load_explicit(&guard_slots[i].claimed,
                                  memory_order_relaxed) &&
            atomic_compare_exchange_strong(&guard_slots[i].claimed, &expect,
                                           true)) {
            break;
        }
    }
    if (i == SERVER_SIGBUS_SLOTS) {
        return -ENOSPC;
    }
    s = &guard_slots[i];
    seq = atomic_load(&s->seq);
    atomic_store(&s->seq, seq + 1);
    atomic_store(&s->start, (uintptr_t)base);
    atomic_store(&s->len, len);
    atomic_store(&s->prot, prot);
    atomic_store(&s->wake_fd, wake_fd);
    atomic_store(&s->state, GUARD_LIVE);
    atomic_store(&s->seq, seq + 2);
    used = atomic_load(&guard_used);
    while (used < i + 1 &&
           !atomic_compare_exchange_weak(&guard_used, &used, i + 1)) {
        ;
    }
    atomic_fetch_add(&guard_ranges, 1);
    *slot = (int)i;
    return 0;
}

void
server_sigbus_unregister(int slot)
{
    struct guard_slot *s;
    unsigned seq;

    if (slot < 0 || slot >= (int)SERVER_SIGBUS_SLOTS) {
        return;
    }
    s = &guard_slots[slot];
    seq = atomic_load(&s->seq);
    atomic_store(&s->seq, seq + 1);
    atomic_store(&s->start, 0);
    atomic_store(&s->len, 0);
    atomic_store(&s->wake_fd, -1);
    atomic_store(&s->seq, seq + 2);
    atomic_store(&s->claimed, false);
    atomic_fetch_sub(&guard_ranges, 1);
}

bool
server_sigbus_lost(int slot)
{
    if (slot < 0 || slot >= (int)SERVER_SIGBUS_SLOTS) {
        return false;
    }
    return atomic_load(&guard_slots[slot].state) != GUARD_LIVE;
}
