/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the irq core with a fake storage backend (an in-memory slot
 * array with a mask bit, an operation log and fault injection) and sink /
 * eventfd targets: allocation, exhaustion and rollback, masking and pending,
 * rewrite under mask, retargeting, handles, storage that blocks, the
 * per-vector address table, routes and notifiers (reference/ims.md §5).
 */
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "vidxd/log.h"

#include "irq_test.h"

#define HOST_DOM 1
#define GUEST_DOM 2
#define FAKE_SLOTS 65536 /* covers the largest domain */
#define HOST_SIZE 4096

struct fake_slot {
    struct vidxd_irq_msg msg;
    bool masked;
    bool prepared;
};

struct fake {
    struct fake_slot slot[FAKE_SLOTS];
    int fail_prepare_at; /* 1-based call number that fails; 0: never */
    int fail_write_at;
    int n_prepare, n_release, n_write, n_mask, n_unmask, n_shutdown;
    int violations; /* message written while the slot was unmasked */
    char log[1024];
    size_t loglen;
    unsigned sleep_us;         /* every mask/unmask/write sleeps this long */
    pthread_t owner;           /* the control thread */
    _Atomic int foreign_calls; /* ops called on another thread */
    /* Raise (raise_dom, raise_idx) from inside write_msg. */
    struct vidxd_irq_dev *dev;
    uint32_t raise_idx;
    unsigned raise_dom;
    int raise_rc;
    /* write_msg posts *entered and waits for *release_sem. */
    sem_t *entered;
    sem_t *release_sem;
    bool sem_timed_out;
};

static void
fake_log(struct fake *f, char op, uint32_t index)
{
    int n = snprintf(f->log + f->loglen, sizeof(f->log) - f->loglen, "%c%u ",
                     op, index);
    if (n > 0 && (size_t)n < sizeof(f->log) - f->loglen) {
        f->loglen += (size_t)n;
    }
}

static void
fake_clear_log(struct fake *f)
{
    f->log[0] = '\0';
    f->loglen = 0;
}

static void
fake_enter(struct fake *f)
{
    if (!pthread_equal(pthread_self(), f->owner)) {
        atomic_fetch_add(&f->foreign_calls, 1);
    }
    if (f->sleep_us != 0) {
        usleep(f->sleep_us);
    }
}

static int
fake_prepare(void *opaque, uint32_t index, uint64_t icookie, uint64_t *dcookie)
{
    struct fake *f = opaque;

    fake_enter(f);
    fake_log(f, 'p', index);
    if (++f->n_prepare == f->fail_prepare_at) {
        return -EIO;
    }
    f->slot[index].prepared = true;
    f->slot[index].masked = true;
    *dcookie = icookie + 1;
    return 0;
}

static void
fake_release(void *opaque, uint32_t index, uint64_t dcookie)
{
    struct fake *f = opaque;

    (void)dcookie;
    fake_enter(f);
    fake_log(f, 'r', index);
    f->n_release++;
    f->slot[index].prepared = false;
}

static int
fake_write(void *opaque, uint32_t index, uint64_t dcookie,
           const struct vidxd_irq_msg *msg)
{
    struct fake *f = opaque;
    struct timespec ts;

    (void)dcookie;
    fake_enter(f);
    fake_log(f, 'w', index);
    if (++f->n_write == f->fail_write_at) {
        return -EIO;
    }
    if (!f->slot[index].masked) {
        f->violations++;
    }
    if (f->raise_idx != UINT32_MAX) {
        f->raise_rc = vidxd_irq_raise(f->dev, f->raise_dom, f->raise_idx);
    }
    if (f->entered != NULL) {
        sem_post(f->entered);
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += 10;
        if (sem_timedwait(f->release_sem, &ts) != 0) {
            f->sem_timed_out = true;
        }
    }
    f->slot[index].msg = *msg;
    return 0;
}

static int
fake_mask(void *opaque, uint32_t index, uint64_t dcookie)
{
    struct fake *f = opaque;

    (void)dcookie;
    fake_enter(f);
    fake_log(f, 'm', index);
    f->n_mask++;
    f->slot[index].masked = true;
    return 0;
}

static int
fake_unmask(void *opaque, uint32_t index, uint64_t dcookie)
{
    struct fake *f = opaque;

    (void)dcookie;
    fake_enter(f);
    fake_log(f, 'u', index);
    f->n_unmask++;
    f->slot[index].masked = false;
    return 0;
}

static void
fake_shutdown(void *opaque, uint32_t index, uint64_t dcookie)
{
    struct fake *f = opaque;

    (void)dcookie;
    fake_enter(f);
    fake_log(f, 's', index);
    f->n_shutdown++;
    f->slot[index].masked = true;
    memset(&f->slot[index].msg, 0, sizeof(f->slot[index].msg));
}

static int
fake_read(void *opaque, uint32_t index, uint64_t dcookie,
          struct vidxd_irq_msg *msg, bool *masked)
{
    struct fake *f = opaque;

    (void)dcookie;
    fake_enter(f);
    *msg = f->slot[index].msg;
    *masked = f->slot[index].masked;
    return 0;
}

static const struct vidxd_irq_storage_ops fake_ops = {
    .prepare = fake_prepare,
    .release = fake_release,
    .write_msg = fake_write,
    .mask = fake_mask,
    .unmask = fake_unmask,
    .shutdown = fake_shutdown,
    .read_msg = fake_read,
};

/* A guest-programmed slot is whatever the guest left there: no prepare. */
static const struct vidxd_irq_storage_ops fake_guest_ops = {
    .write_msg = fake_write,
    .mask = fake_mask,
    .unmask = fake_unmask,
    .read_msg = fake_read,
};

struct tstate {
    struct vidxd_irq_dev *dev;
    struct fake *host;  /* domain 1: host-programmed, 4096 entries */
    struct fake *guest; /* domain 2: guest-programmed, 64 entries */
    struct fake *extra; /* a test's own domain 3, freed after the device */
};

static struct fake *
fake_new(void)
{
    struct fake *f = calloc(1, sizeof(*f));

    assert_non_null(f);
    f->owner = pthread_self();
    f->raise_idx = UINT32_MAX;
    return f;
}

static int
setup(void **state)
{
    struct vidxd_irq_domain_template host = {"FAKE", HOST_SIZE, 0};
    struct vidxd_irq_domain_template guest = {"GFAKE", 64,
                                              VIDXD_IRQ_DOM_GUEST_PROGRAMMED};
    struct tstate *s = calloc(1, sizeof(*s));

    assert_non_null(s);
    s->host = fake_new();
    s->guest = fake_new();
    assert_int_equal(vidxd_irq_dev_create("t", 16, &s->dev), 0);
    assert_int_equal(
        vidxd_irq_domain_create(s->dev, HOST_DOM, &host, &fake_ops, s->host),
        0);
    assert_int_equal(vidxd_irq_domain_create(s->dev, GUEST_DOM, &guest,
                                             &fake_guest_ops, s->guest),
                     0);
    s->host->dev = s->dev;
    s->guest->dev = s->dev;
    *state = s;
    return 0;
}

static int
teardown(void **state)
{
    struct tstate *s = *state;

    vidxd_irq_dev_destroy(s->dev);
    free(s->host);
    free(s->guest);
    free(s->extra);
    free(s);
    return 0;
}

/* Allocate, activate with @msg and unmask host entry @idx; bind @t. */
static void
live_entry(struct tstate *s, uint32_t idx, struct vidxd_irq_msg msg,
           const struct vidxd_irq_target *t)
{
    assert_int_equal(vidxd_irq_alloc(s->dev, HOST_DOM, idx, 1, 0, NULL), 0);
    assert_int_equal(vidxd_irq_activate(s->dev, HOST_DOM, idx, 1, &msg,
                                        VIDXD_IRQ_ACT_UNMASK),
                     0);
    if (t != NULL) {
        assert_int_equal(vidxd_irq_bind(s->dev, HOST_DOM, idx, t), 0);
    }
}

static int
nb_eventfd(void)
{
    int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);

    assert_true(fd >= 0);
    return fd;
}

/* ---------------------------------------------------------------------- */

static void
test_create_validation(void **state)
{
    struct vidxd_irq_domain_template ok = {"X", 8, 0};
    struct vidxd_irq_domain_template t;
    struct vidxd_irq_storage_ops ops = fake_ops;
    struct vidxd_irq_dev *dev = NULL;
    struct fake *f = fake_new();

    (void)state;
    assert_int_equal(vidxd_irq_dev_create("x", VIDXD_IRQ_MAX_HANDLES + 1, &dev),
                     -EINVAL);
    assert_int_equal(vidxd_irq_dev_create("x", 0, NULL), -EINVAL);
    assert_int_equal(vidxd_irq_dev_create("x", 0, &dev), 0);
    assert_int_equal(
        vidxd_irq_domain_create(dev, VIDXD_IRQ_MAX_DOMAINS, &ok, &fake_ops, f),
        -EINVAL);
    t = ok;
    t.size = 0;
    assert_int_equal(vidxd_irq_domain_create(dev, 0, &t, &fake_ops, f),
                     -EINVAL);
    t.size = VIDXD_IRQ_MAX_ENTRIES + 1;
    assert_int_equal(vidxd_irq_domain_create(dev, 0, &t, &fake_ops, f),
                     -EINVAL);
    t = ok;
    t.flags = 0x80;
    assert_int_equal(vidxd_irq_domain_create(dev, 0, &t, &fake_ops, f),
                     -EINVAL);
    ops.mask = NULL;
    assert_int_equal(vidxd_irq_domain_create(dev, 0, &ok, &ops, f), -EINVAL);
    ops = fake_ops;
    ops.read_msg = NULL;
    t = ok;
    t.flags = VIDXD_IRQ_DOM_GUEST_PROGRAMMED;
    assert_int_equal(vidxd_irq_domain_create(dev, 0, &t, &ops, f), -EINVAL);
    /* Guest-writable storage must not choose its target (ims.md §4.9). */
    t.flags = VIDXD_IRQ_DOM_UNTRUSTED_STORAGE | VIDXD_IRQ_DOM_ROUTE_BY_MSG;
    assert_int_equal(vidxd_irq_domain_create(dev, 0, &t, &fake_ops, f), -EPERM);
    t.size = VIDXD_IRQ_MAX_ENTRIES;
    t.flags = 0;
    assert_int_equal(vidxd_irq_domain_create(dev, 3, &t, &fake_ops, f), 0);
    assert_int_equal(vidxd_irq_domain_create(dev, 3, &ok, &fake_ops, f),
                     -EEXIST);
    /* The top index of a 65536-entry domain is usable. */
    assert_int_equal(vidxd_irq_alloc(dev, 3, 65535, 1, 0, NULL), 0);
    assert_int_equal(vidxd_irq_alloc(dev, 3, 65535, 2, 0, NULL), -ERANGE);
    vidxd_irq_dev_destroy(dev);
    vidxd_irq_dev_destroy(NULL);
    /* Destroy released what was live. */
    assert_int_equal(f->n_release, 1);
    free(f);
}

static void
test_alloc_sparse_fixed_any(void **state)
{
    struct tstate *s = *state;
    struct vidxd_irq_entry_info info;
    uint32_t first = 0;

    assert_int_equal(vidxd_irq_alloc(s->dev, HOST_DOM, 1000, 1, 0x55, &first),
                     0);
    assert_int_equal(first, 1000);
    /* Nothing exists for indices nobody asked for. */
    assert_int_equal(vidxd_irq_entry_info(s->dev, HOST_DOM, 999, &info),
                     -ENOENT);
    assert_int_equal(vidxd_irq_raise(s->dev, HOST_DOM, 999), -ENOENT);
    assert_int_equal(s->host->n_prepare, 1);
    assert_true(s->host->slot[1000].prepared);
    assert_false(s->host->slot[999].prepared);
    assert_int_equal(vidxd_irq_entry_info(s->dev, HOST_DOM, 1000, &info), 0);
    assert_false(info.active);
    assert_int_equal(info.icookie, 0x55);
    assert_int_equal(info.mask_reasons, VIDXD_IRQ_MASKED_INACTIVE |
                                            VIDXD_IRQ_MASKED_STORAGE |
                                            VIDXD_IRQ_MASKED_NO_TARGET);
    /* Allocated but not activated: raises are dropped. */
    assert_int_equal(vidxd_irq_raise(s->dev, HOST_DOM, 1000), -ENODEV);
    assert_int_equal(vidxd_irq_alloc(s->dev, HOST_DOM, 1000, 1, 0, NULL),
                     -EBUSY);
    assert_int_equal(vidxd_irq_alloc(s->dev, HOST_DOM, 998, 3, 0, NULL),
                     -EBUSY);
    assert_int_equal(vidxd_irq_alloc(s->dev, HOST_DOM, HOST_SIZE, 1, 0, NULL),
                     -ERANGE);
    assert_int_equal(vidxd_irq_alloc(s->dev, HOST_DOM, 0, 0, 0, NULL), -EINVAL);
    assert_int_equal(vidxd_irq_alloc(s->dev, 3, 0, 1, 0, NULL), -ENOENT);
    /* ANY finds the first free run. */
    assert_int_equal(vidxd_irq_alloc(s->dev, HOST_DOM, 2, 1, 0, NULL), 0);
    assert_int_equal(
        vidxd_irq_alloc(s->dev, HOST_DOM, VIDXD_IRQ_ANY_INDEX, 3, 0, &first),
        0);
    assert_int_equal(first, 3);
    assert_int_equal(
        vidxd_irq_alloc(s->dev, HOST_DOM, VIDXD_IRQ_ANY_INDEX, 2, 0, &first),
        0);
    assert_int_equal(first, 0);
    assert_int_equal(s->host->n_prepare, 7);
}

static void
test_alloc_exhaustion(void **state)
{
    struct vidxd_irq_domain_template small = {"S", 4, 0};
    struct tstate *s = *state;
    struct fake *f = s->extra = fake_new();
    uint32_t first = 0;

    assert_int_equal(vidxd_irq_domain_create(s->dev, 3, &small, &fake_ops, f),
                     0);
    assert_int_equal(
        vidxd_irq_alloc(s->dev, 3, VIDXD_IRQ_ANY_INDEX, 4, 0, &first), 0);
    assert_int_equal(
        vidxd_irq_alloc(s->dev, 3, VIDXD_IRQ_ANY_INDEX, 1, 0, &first), -ENOSPC);
    assert_int_equal(
        vidxd_irq_alloc(s->dev, 3, VIDXD_IRQ_ANY_INDEX, 5, 0, &first), -ENOSPC);
    assert_int_equal(vidxd_irq_free(s->dev, 3, 2, 1), 0);
    assert_int_equal(f->n_release, 1);
    assert_int_equal(
        vidxd_irq_alloc(s->dev, 3, VIDXD_IRQ_ANY_INDEX, 1, 0, &first), 0);
    assert_int_equal(first, 2);
    assert_int_equal(vidxd_irq_free(s->dev, 3, 0, 4), 0);
    assert_int_equal(f->n_release, 5);
    assert_int_equal(vidxd_irq_free(s->dev, 3, 3, 2), -ERANGE);
    /* The store is empty again: a full run is free. */
    assert_int_equal(
        vidxd_irq_alloc(s->dev, 3, VIDXD_IRQ_ANY_INDEX, 4, 0, &first), 0);
    assert_int_equal(first, 0);
}

static void
test_alloc_rollback(void **state)
{
    struct tstate *s = *state;
    struct vidxd_irq_entry_info info;
    uint32_t i;

    s->host->fail_prepare_at = 3;
    assert_int_equal(vidxd_irq_alloc(s->dev, HOST_DOM, 10, 4, 0, NULL), -EIO);
    /* Two prepared, the third failed: both undone, in reverse order. */
    assert_string_equal(s->host->log, "p10 p11 p12 r11 r10 ");
    for (i = 10; i < 14; i++) {
        assert_false(s->host->slot[i].prepared);
        assert_int_equal(vidxd_irq_entry_info(s->dev, HOST_DOM, i, &info),
                         -ENOENT);
    }
    s->host->fail_prepare_at = 0;
    assert_int_equal(vidxd_irq_alloc(s->dev, HOST_DOM, 10, 4, 0, NULL), 0);
}

static void
test_activate_rollback(void **state)
{
    struct tstate *s = *state;
    struct vidxd_irq_msg msgs[4] = {
        mk_msg(0xfee00000, 1), mk_msg(0xfee00000, 2), mk_msg(0xfee00000, 3),
        mk_msg(0xfee00000, 4)};
    struct vidxd_irq_entry_info info;
    uint32_t i;

    assert_int_equal(vidxd_irq_alloc(s->dev, HOST_DOM, 0, 4, 0, NULL), 0);
    fake_clear_log(s->host);
    s->host->fail_write_at = 3;
    assert_int_equal(vidxd_irq_activate(s->dev, HOST_DOM, 0, 4, msgs, 0), -EIO);
    /* Each written under mask; the activated ones shut down in reverse. */
    assert_string_equal(s->host->log, "m0 w0 m1 w1 m2 w2 s1 s0 ");
    for (i = 0; i < 4; i++) {
        assert_int_equal(vidxd_irq_entry_info(s->dev, HOST_DOM, i, &info), 0);
        assert_false(info.active);
        assert_int_equal(vidxd_irq_raise(s->dev, HOST_DOM, i), -ENODEV);
    }
    assert_int_equal(s->host->slot[0].msg.data, 0);
    s->host->fail_write_at = 0;
    assert_int_equal(vidxd_irq_activate(s->dev, HOST_DOM, 0, 4, msgs, 0), 0);
    assert_int_equal(vidxd_irq_activate(s->dev, HOST_DOM, 0, 1, msgs, 0),
                     -EALREADY);
    assert_int_equal(vidxd_irq_activate(s->dev, HOST_DOM, 4, 1, msgs, 0),
                     -ENOENT);
    assert_int_equal(s->host->slot[2].msg.data, 3);
    assert_int_equal(s->host->violations, 0);
}

static void
test_mask_pending_unmask_once(void **state)
{
    struct tstate *s = *state;
    struct sink_rec rec = {0};
    struct vidxd_irq_target t = sink_target(&rec);
    struct vidxd_irq_entry_info info;
    struct vidxd_irq_stats st;

    live_entry(s, 5, mk_msg(0xfee00000, 0x31), &t);
    assert_int_equal(vidxd_irq_raise(s->dev, HOST_DOM, 5), VIDXD_IRQ_DELIVERED);
    assert_int_equal(rec.count, 1);
    assert_int_equal(rec.domain, HOST_DOM);
    assert_int_equal(rec.index, 5);
    assert_int_equal(rec.last.data, 0x31);
    assert_int_equal(vidxd_irq_mask(s->dev, HOST_DOM, 5), 0);
    assert_true(s->host->slot[5].masked);
    assert_int_equal(vidxd_irq_raise(s->dev, HOST_DOM, 5), VIDXD_IRQ_PENDING);
    assert_int_equal(vidxd_irq_raise(s->dev, HOST_DOM, 5), VIDXD_IRQ_PENDING);
    assert_int_equal(vidxd_irq_raise(s->dev, HOST_DOM, 5), VIDXD_IRQ_PENDING);
    assert_int_equal(rec.count, 1);
    assert_int_equal(vidxd_irq_entry_info(s->dev, HOST_DOM, 5, &info), 0);
    assert_true(info.pending);
    assert_int_equal(info.mask_reasons, VIDXD_IRQ_MASKED_STORAGE);
    /* Masking again changes nothing. */
    assert_int_equal(vidxd_irq_mask(s->dev, HOST_DOM, 5), 0);
    assert_int_equal(vidxd_irq_unmask(s->dev, HOST_DOM, 5), 0);
    assert_int_equal(rec.count, 2);
    assert_int_equal(vidxd_irq_entry_info(s->dev, HOST_DOM, 5, &info), 0);
    assert_false(info.pending);
    assert_int_equal(vidxd_irq_unmask(s->dev, HOST_DOM, 5), 0);
    assert_int_equal(rec.count, 2);
    assert_int_equal(vidxd_irq_raise(s->dev, HOST_DOM, 5), VIDXD_IRQ_DELIVERED);
    assert_int_equal(rec.count, 3);
    assert_int_equal(vidxd_irq_stats_get(s->dev, HOST_DOM, 5, &st), 0);
    assert_int_equal(st.delivered, 3);
    assert_int_equal(st.latched, 3);
    assert_int_equal(vidxd_irq_mask(s->dev, HOST_DOM, 6), -ENOENT);
}

static void
test_domain_and_vmm_mask(void **state)
{
    struct tstate *s = *state;
    struct sink_rec a = {0}, b = {0};
    struct vidxd_irq_target ta = sink_target(&a), tb = sink_target(&b);

    live_entry(s, 40, mk_msg(0xfee00000, 1), &ta);
    live_entry(s, 41, mk_msg(0xfee00000, 2), &tb);
    assert_int_equal(vidxd_irq_domain_mask(s->dev, HOST_DOM, true), 0);
    assert_int_equal(vidxd_irq_raise(s->dev, HOST_DOM, 40), VIDXD_IRQ_PENDING);
    assert_int_equal(vidxd_irq_raise(s->dev, HOST_DOM, 40), VIDXD_IRQ_PENDING);
    assert_int_equal(vidxd_irq_raise(s->dev, HOST_DOM, 41), VIDXD_IRQ_PENDING);
    assert_int_equal(a.count + b.count, 0);
    /* A second reason holds 41 back when the domain mask drops. */
    assert_int_equal(vidxd_irq_vmm_mask(s->dev, HOST_DOM, 41, 1, true), 0);
    assert_int_equal(vidxd_irq_domain_mask(s->dev, HOST_DOM, false), 0);
    assert_int_equal(a.count, 1);
    assert_int_equal(b.count, 0);
    assert_int_equal(vidxd_irq_vmm_mask(s->dev, HOST_DOM, 40, 2, false), 0);
    assert_int_equal(a.count, 1);
    assert_int_equal(b.count, 1);
    assert_int_equal(vidxd_irq_vmm_mask(s->dev, HOST_DOM, 4095, 2, false),
                     -ERANGE);
    assert_int_equal(vidxd_irq_domain_mask(s->dev, 3, true), -ENOENT);
}

static void
test_no_target_latches_until_bound(void **state)
{
    struct tstate *s = *state;
    struct sink_rec rec = {0};
    struct vidxd_irq_target t = sink_target(&rec);

    live_entry(s, 7, mk_msg(0xfee00000, 7), NULL);
    assert_int_equal(vidxd_irq_raise(s->dev, HOST_DOM, 7), VIDXD_IRQ_PENDING);
    assert_int_equal(vidxd_irq_bind(s->dev, HOST_DOM, 7, &t), 0);
    assert_int_equal(rec.count, 1);
    /* Unbinding keeps the entry; interrupts wait for the next target. */
    assert_int_equal(vidxd_irq_bind(s->dev, HOST_DOM, 7, NULL), 0);
    assert_int_equal(vidxd_irq_raise(s->dev, HOST_DOM, 7), VIDXD_IRQ_PENDING);
    assert_int_equal(rec.count, 1);
    assert_int_equal(vidxd_irq_bind(s->dev, HOST_DOM, 7, &t), 0);
    assert_int_equal(rec.count, 2);
    /* Binding needs an entry in a host-programmed domain. */
    assert_int_equal(vidxd_irq_bind(s->dev, HOST_DOM, 8, &t), -ENOENT);
    assert_int_equal(vidxd_irq_bind(s->dev, HOST_DOM, HOST_SIZE, &t), -ERANGE);
}

static void
test_rewrite_only_while_masked(void **state)
{
    struct tstate *s = *state;
    struct sink_rec rec = {0};
    struct vidxd_irq_target t = sink_target(&rec);
    struct vidxd_irq_msg m2 = mk_msg(0xfee01000, 0x99);
    struct vidxd_irq_msg m3 = mk_msg(0xfee02000, 0x77);

    fake_clear_log(s->host);
    live_entry(s, 5, mk_msg(0xfee00000, 0x31), &t);
    assert_string_equal(s->host->log, "p5 m5 w5 u5 ");
    /* Unmasked: the core masks around the write. */
    fake_clear_log(s->host);
    assert_int_equal(vidxd_irq_write_msg(s->dev, HOST_DOM, 5, &m2), 0);
    assert_string_equal(s->host->log, "m5 w5 u5 ");
    assert_false(s->host->slot[5].masked);
    assert_int_equal(s->host->slot[5].msg.address_lo, 0xfee01000);
    /* Masked: a plain write, and it stays masked. */
    assert_int_equal(vidxd_irq_mask(s->dev, HOST_DOM, 5), 0);
    fake_clear_log(s->host);
    assert_int_equal(vidxd_irq_write_msg(s->dev, HOST_DOM, 5, &m3), 0);
    assert_string_equal(s->host->log, "w5 ");
    assert_true(s->host->slot[5].masked);
    assert_int_equal(s->host->violations, 0);
    assert_int_equal(vidxd_irq_unmask(s->dev, HOST_DOM, 5), 0);
    assert_int_equal(vidxd_irq_raise(s->dev, HOST_DOM, 5), VIDXD_IRQ_DELIVERED);
    assert_int_equal(rec.last.address_lo, 0xfee02000);
    assert_int_equal(rec.last.data, 0x77);
    /* An interrupt raised during the rewrite waits, then goes once with
     * the new message. */
    s->host->raise_dom = HOST_DOM;
    s->host->raise_idx = 5;
    assert_int_equal(vidxd_irq_write_msg(s->dev, HOST_DOM, 5, &m2), 0);
    s->host->raise_idx = UINT32_MAX;
    assert_int_equal(s->host->raise_rc, VIDXD_IRQ_PENDING);
    assert_int_equal(rec.count, 2);
    assert_int_equal(rec.last.address_lo, 0xfee01000);
    assert_int_equal(rec.last.data, 0x99);
    /* A failed write leaves the old message in force, and unmasked. */
    s->host->fail_write_at = s->host->n_write + 1;
    assert_int_equal(vidxd_irq_write_msg(s->dev, HOST_DOM, 5, &m3), -EIO);
    assert_false(s->host->slot[5].masked);
    assert_int_equal(vidxd_irq_raise(s->dev, HOST_DOM, 5), VIDXD_IRQ_DELIVERED);
    assert_int_equal(rec.last.data, 0x99);
    assert_int_equal(vidxd_irq_write_msg(s->dev, HOST_DOM, 6, &m3), -ENOENT);
}

static void
test_retarget_with_pending(void **state)
{
    struct tstate *s = *state;
    int a = nb_eventfd(), b = nb_eventfd();
    struct vidxd_irq_target ta = efd_target(a), tb = efd_target(b);

    live_entry(s, 9, mk_msg(0xfee00000, 9), &ta);
    assert_int_equal(vidxd_irq_raise(s->dev, HOST_DOM, 9), VIDXD_IRQ_DELIVERED);
    assert_int_equal(efd_take(a), 1);
    /* Pending across the switch: delivered once, to the new target. */
    assert_int_equal(vidxd_irq_vmm_mask(s->dev, HOST_DOM, 9, 1, true), 0);
    assert_int_equal(vidxd_irq_raise(s->dev, HOST_DOM, 9), VIDXD_IRQ_PENDING);
    assert_int_equal(vidxd_irq_raise(s->dev, HOST_DOM, 9), VIDXD_IRQ_PENDING);
    assert_int_equal(vidxd_irq_bind(s->dev, HOST_DOM, 9, &tb), 0);
    assert_int_equal(efd_take(a), 0);
    assert_int_equal(efd_take(b), 0);
    assert_int_equal(vidxd_irq_vmm_mask(s->dev, HOST_DOM, 9, 1, false), 0);
    assert_int_equal(efd_take(a), 0);
    assert_int_equal(efd_take(b), 1);
    /* QEMU's "no fd, then a new fd" sequence (vfio-user.md §2.7). */
    assert_int_equal(vidxd_irq_bind(s->dev, HOST_DOM, 9, NULL), 0);
    assert_int_equal(vidxd_irq_raise(s->dev, HOST_DOM, 9), VIDXD_IRQ_PENDING);
    assert_int_equal(vidxd_irq_bind(s->dev, HOST_DOM, 9, &ta), 0);
    assert_int_equal(efd_take(a), 1);
    assert_int_equal(efd_take(b), 0);
    /* Unmasked retarget with nothing pending delivers nothing. */
    assert_int_equal(vidxd_irq_bind(s->dev, HOST_DOM, 9, &tb), 0);
    assert_int_equal(efd_take(a) + efd_take(b), 0);
    close(a);
    close(b);
}

struct stress {
    struct vidxd_irq_dev *dev;
    uint32_t index;
    int n;
    _Atomic int raises;
    _Atomic bool stop;
    int delivered_rc, pending_rc, other_rc;
};

static void *
stress_raiser(void *arg)
{
    struct stress *st = arg;
    int i, rc;

    for (i = 0; (st->n == 0 || i < st->n) && !atomic_load(&st->stop); i++) {
        rc = vidxd_irq_raise(st->dev, HOST_DOM, st->index);
        if (rc == VIDXD_IRQ_DELIVERED) {
            st->delivered_rc++;
        } else if (rc == VIDXD_IRQ_PENDING) {
            st->pending_rc++;
        } else {
            st->other_rc++;
        }
        atomic_fetch_add(&st->raises, 1);
    }
    return NULL;
}

static void
test_retarget_stress_consistent(void **state)
{
    struct tstate *s = *state;
    struct sink_rec a = {0}, b = {0};
    struct vidxd_irq_target ta = sink_target(&a), tb = sink_target(&b);
    struct stress st = {.dev = s->dev, .index = 10, .n = 50000};
    struct vidxd_irq_entry_info info;
    struct vidxd_irq_stats stats;
    pthread_t th;
    int i, total;

    live_entry(s, 10, mk_msg(0xfee00000, 10), &ta);
    assert_int_equal(pthread_create(&th, NULL, stress_raiser, &st), 0);
    for (i = 0; i < 400 && atomic_load(&st.raises) < st.n; i++) {
        assert_int_equal(
            vidxd_irq_bind(s->dev, HOST_DOM, 10, i % 2 ? &ta : &tb), 0);
    }
    pthread_join(th, NULL);
    total = a.count + b.count;
    assert_int_equal(st.other_rc, 0);
    assert_int_equal(st.delivered_rc + st.pending_rc, st.n);
    /* Every delivery reached exactly one target and was counted once. */
    assert_int_equal(vidxd_irq_stats_get(s->dev, HOST_DOM, 10, &stats), 0);
    assert_int_equal(stats.delivered, (uint64_t)total);
    assert_true(total >= st.delivered_rc);
    assert_true(total - st.delivered_rc <= st.pending_rc);
    if (st.pending_rc > 0) {
        assert_true(total > st.delivered_rc);
    }
    /* Nothing is left behind once the entry is unmasked and bound. */
    assert_int_equal(vidxd_irq_entry_info(s->dev, HOST_DOM, 10, &info), 0);
    assert_false(info.pending);
}

/* A sink that takes a while before it counts: a long in-flight window. */
static void
slow_sink(void *opaque, unsigned domain, uint32_t index,
          const struct vidxd_irq_msg *msg)
{
    static _Atomic unsigned spin;
    int i;

    for (i = 0; i < 2000; i++) {
        atomic_fetch_add_explicit(&spin, 1, memory_order_relaxed);
    }
    sink_record(opaque, domain, index, msg);
}

static void
test_mask_is_synchronous(void **state)
{
    struct tstate *s = *state;
    struct sink_rec rec = {0};
    struct vidxd_irq_target t = {
        .eventfd = -1, .sink = slow_sink, .opaque = &rec};
    struct stress st = {.dev = s->dev, .index = 11, .n = 0};
    pthread_t th;
    int i, c0, r0;

    live_entry(s, 11, mk_msg(0xfee00000, 11), &t);
    assert_int_equal(pthread_create(&th, NULL, stress_raiser, &st), 0);
    for (i = 0; i < 50; i++) {
        assert_int_equal(vidxd_irq_mask(s->dev, HOST_DOM, 11), 0);
        c0 = atomic_load(&rec.count);
        r0 = atomic_load(&st.raises);
        while (atomic_load(&st.raises) < r0 + 200) {
            sched_yield();
        }
        /* After mask() returned, not one more delivery. */
        assert_int_equal(atomic_load(&rec.count), c0);
        assert_int_equal(vidxd_irq_unmask(s->dev, HOST_DOM, 11), 0);
        r0 = atomic_load(&st.raises);
        while (atomic_load(&st.raises) < r0 + 50) {
            sched_yield();
        }
    }
    atomic_store(&st.stop, true);
    pthread_join(th, NULL);
    assert_int_equal(st.other_rc, 0);
}

static void
test_eventfd_delivery(void **state)
{
    struct tstate *s = *state;
    int nb = nb_eventfd(), blk = eventfd(0, EFD_CLOEXEC), dup_fd, p[2];
    struct vidxd_irq_target t = efd_target(nb), tb = efd_target(blk);
    const uint64_t full = 0xfffffffffffffffeull;
    uint64_t v = 0;

    assert_true(blk >= 0);
    live_entry(s, 12, mk_msg(0xfee00000, 12), &t);
    assert_int_equal(vidxd_irq_raise(s->dev, HOST_DOM, 12),
                     VIDXD_IRQ_DELIVERED);
    assert_int_equal(vidxd_irq_raise(s->dev, HOST_DOM, 12),
                     VIDXD_IRQ_DELIVERED);
    assert_int_equal(vidxd_irq_raise(s->dev, HOST_DOM, 12),
                     VIDXD_IRQ_DELIVERED);
    assert_int_equal(efd_take(nb), 3);
    /* The layer holds its own reference: closing the caller's fd is fine. */
    dup_fd = dup(nb);
    t = efd_target(dup_fd);
    assert_int_equal(vidxd_irq_bind(s->dev, HOST_DOM, 12, &t), 0);
    close(dup_fd);
    assert_int_equal(vidxd_irq_raise(s->dev, HOST_DOM, 12),
                     VIDXD_IRQ_DELIVERED);
    assert_int_equal(efd_take(nb), 1);
    /* A blocking eventfd whose counter is full: coalesced, never blocks. */
    assert_int_equal(vidxd_irq_bind(s->dev, HOST_DOM, 12, &tb), 0);
    assert_int_equal(write(blk, &full, sizeof(full)), sizeof(full));
    assert_int_equal(vidxd_irq_raise(s->dev, HOST_DOM, 12),
                     VIDXD_IRQ_DELIVERED);
    assert_int_equal(read(blk, &v, sizeof(v)), sizeof(v));
    assert_int_equal(v, full);
    assert_int_equal(vidxd_irq_raise(s->dev, HOST_DOM, 12),
                     VIDXD_IRQ_DELIVERED);
    assert_int_equal(read(blk, &v, sizeof(v)), sizeof(v));
    assert_int_equal(v, 1);
    /* Not an eventfd, or not an fd at all. */
    assert_int_equal(pipe(p), 0);
    t = efd_target(p[1]);
    assert_int_equal(vidxd_irq_bind(s->dev, HOST_DOM, 12, &t), -EINVAL);
    t = efd_target(100000);
    assert_int_equal(vidxd_irq_bind(s->dev, HOST_DOM, 12, &t), -EINVAL);
    t.eventfd = -1;
    t.sink = NULL;
    assert_int_equal(vidxd_irq_bind(s->dev, HOST_DOM, 12, &t), -EINVAL);
    close(p[0]);
    close(p[1]);
    close(nb);
    close(blk);
}

static void
test_set_eventfds(void **state)
{
    struct tstate *s = *state;
    int a = nb_eventfd(), b = nb_eventfd(), p[2];
    int fds[3] = {a, -1, b};
    int bad[2];
    struct vidxd_irq_entry_info info;

    assert_int_equal(vidxd_irq_set_eventfds(s->dev, GUEST_DOM, 2, 3, fds), 0);
    /* Entries exist only where an fd was given. */
    assert_int_equal(vidxd_irq_entry_info(s->dev, GUEST_DOM, 2, &info), 0);
    assert_true(info.active);
    assert_true(info.has_target);
    assert_int_equal(vidxd_irq_entry_info(s->dev, GUEST_DOM, 3, &info),
                     -ENOENT);
    assert_int_equal(vidxd_irq_raise(s->dev, GUEST_DOM, 2),
                     VIDXD_IRQ_DELIVERED);
    assert_int_equal(vidxd_irq_raise(s->dev, GUEST_DOM, 4),
                     VIDXD_IRQ_DELIVERED);
    assert_int_equal(vidxd_irq_raise(s->dev, GUEST_DOM, 3), -ENOENT);
    assert_int_equal(efd_take(a), 1);
    assert_int_equal(efd_take(b), 1);
    /* All or nothing: a bad fd changes no binding. */
    assert_int_equal(pipe(p), 0);
    bad[0] = b;
    bad[1] = p[0];
    assert_int_equal(vidxd_irq_set_eventfds(s->dev, GUEST_DOM, 2, 2, bad),
                     -EINVAL);
    assert_int_equal(vidxd_irq_raise(s->dev, GUEST_DOM, 2),
                     VIDXD_IRQ_DELIVERED);
    assert_int_equal(efd_take(a), 1);
    assert_int_equal(efd_take(b), 0);
    assert_int_equal(vidxd_irq_entry_info(s->dev, GUEST_DOM, 3, &info),
                     -ENOENT);
    assert_int_equal(vidxd_irq_set_eventfds(s->dev, GUEST_DOM, 0, 0, NULL), 0);
    assert_int_equal(vidxd_irq_set_eventfds(s->dev, GUEST_DOM, 63, 2, fds),
                     -ERANGE);
    assert_int_equal(vidxd_irq_set_eventfds(s->dev, 3, 0, 1, fds), -ENOENT);
    /* Host-programmed entries must be allocated first. */
    assert_int_equal(vidxd_irq_set_eventfds(s->dev, HOST_DOM, 0, 1, fds),
                     -ENOENT);
    /* Unbind the whole index; interrupts then wait for a new fd. */
    assert_int_equal(vidxd_irq_set_eventfds(s->dev, GUEST_DOM, 0, 64, NULL), 0);
    assert_int_equal(vidxd_irq_raise(s->dev, GUEST_DOM, 2), VIDXD_IRQ_PENDING);
    assert_int_equal(vidxd_irq_set_eventfds(s->dev, GUEST_DOM, 2, 1, &b), 0);
    assert_int_equal(efd_take(b), 1);
    assert_int_equal(efd_take(a), 0);
    close(p[0]);
    close(p[1]);
    close(a);
    close(b);
}

struct ev_log {
    int n;
    struct vidxd_irq_event ev[64];
};

static void
ev_record(void *opaque, const struct vidxd_irq_event *ev)
{
    struct ev_log *l = opaque;

    if (l->n < 64) {
        l->ev[l->n++] = *ev;
    }
}

static void
test_handles(void **state)
{
    struct tstate *s = *state;
    struct sink_rec rec = {0};
    struct vidxd_irq_target t = sink_target(&rec);
    struct ev_log log = {0};
    struct vidxd_irq_stats st;
    uint16_t h = 0xffff;
    unsigned dom = 0;
    uint32_t idx = 0;
    int i, id;

    live_entry(s, 5, mk_msg(0xfee00000, 5), &t);
    /* Never allocated, and out of range. */
    assert_false(vidxd_irq_handle_valid(s->dev, 0));
    assert_false(vidxd_irq_handle_valid(s->dev, 16));
    assert_false(vidxd_irq_handle_valid(s->dev, 0xffff));
    assert_int_equal(vidxd_irq_raise_handle(s->dev, 0), -ENOENT);
    assert_int_equal(vidxd_irq_handle_alloc(s->dev, HOST_DOM, 5, &h), 0);
    assert_int_equal(h, 0);
    assert_true(vidxd_irq_handle_valid(s->dev, 0));
    assert_int_equal(vidxd_irq_handle_lookup(s->dev, 0, &dom, &idx), 0);
    assert_int_equal(dom, HOST_DOM);
    assert_int_equal(idx, 5);
    assert_int_equal(vidxd_irq_raise_handle(s->dev, 0), VIDXD_IRQ_DELIVERED);
    assert_int_equal(rec.count, 1);
    assert_int_equal(vidxd_irq_handle_alloc(s->dev, HOST_DOM, 5, &h), 0);
    assert_int_equal(h, 1);
    /* Released: invalid, and releasing again fails. */
    assert_int_equal(vidxd_irq_handle_release(s->dev, 0), 0);
    assert_false(vidxd_irq_handle_valid(s->dev, 0));
    assert_int_equal(vidxd_irq_handle_lookup(s->dev, 0, &dom, &idx), -ENOENT);
    assert_int_equal(vidxd_irq_raise_handle(s->dev, 0), -ENOENT);
    assert_int_equal(vidxd_irq_handle_release(s->dev, 0), -ENOENT);
    assert_int_equal(vidxd_irq_handle_release(s->dev, 16), -ENOENT);
    assert_int_equal(rec.count, 1);
    /* Round-robin: the released value is not handed out next. */
    assert_int_equal(vidxd_irq_handle_alloc(s->dev, HOST_DOM, 5, &h), 0);
    assert_int_equal(h, 2);
    assert_int_equal(vidxd_irq_handle_alloc_at(s->dev, 2, HOST_DOM, 5), -EBUSY);
    assert_int_equal(vidxd_irq_handle_alloc_at(s->dev, 16, HOST_DOM, 5),
                     -ERANGE);
    assert_int_equal(vidxd_irq_handle_alloc_at(s->dev, 9, HOST_DOM, 5), 0);
    assert_int_equal(vidxd_irq_handle_alloc(s->dev, HOST_DOM, 6, &h), -ENOENT);
    assert_int_equal(vidxd_irq_handle_alloc(s->dev, 3, 0, &h), -ENOENT);
    assert_int_equal(vidxd_irq_handle_alloc(s->dev, HOST_DOM, HOST_SIZE, &h),
                     -ERANGE);
    /* 1, 2 and 9 are taken: 13 more, then none. */
    for (i = 0; i < 13; i++) {
        assert_int_equal(vidxd_irq_handle_alloc(s->dev, HOST_DOM, 5, &h), 0);
    }
    assert_int_equal(vidxd_irq_handle_alloc(s->dev, HOST_DOM, 5, &h), -ENOSPC);
    /* Freeing the entry revokes every handle naming it, with notice. */
    assert_int_equal(vidxd_irq_notifier_add(s->dev, ev_record, &log, &id), 0);
    assert_int_equal(vidxd_irq_free(s->dev, HOST_DOM, 5, 1), 0);
    for (i = 0; i < 16; i++) {
        assert_false(vidxd_irq_handle_valid(s->dev, (uint16_t)i));
    }
    assert_int_equal(log.n, 17);
    for (i = 0; i < 16; i++) {
        assert_int_equal(log.ev[i].type, VIDXD_IRQ_EV_HANDLE_REVOKED);
        assert_int_equal(log.ev[i].handle, i);
        assert_int_equal(log.ev[i].index, 5);
    }
    assert_int_equal(log.ev[16].type, VIDXD_IRQ_EV_FREE);
    assert_int_equal(vidxd_irq_notifier_remove(s->dev, id), 0);
    assert_int_equal(vidxd_irq_notifier_remove(s->dev, id), -ENOENT);
    assert_int_equal(vidxd_irq_stats_get(s->dev, VIDXD_IRQ_MAX_DOMAINS, 0, &st),
                     0);
    assert_int_equal(st.unknown, 2);
    assert_int_equal(st.delivered, 1);
}

static void
test_handle_revoke(void **state)
{
    struct tstate *s = *state;
    struct vidxd_irq_dev *none = NULL;
    uint16_t h;

    live_entry(s, 1, mk_msg(0xfee00000, 1), NULL);
    live_entry(s, 2, mk_msg(0xfee00000, 2), NULL);
    assert_int_equal(vidxd_irq_handle_alloc(s->dev, HOST_DOM, 1, &h), 0);
    assert_int_equal(vidxd_irq_handle_alloc(s->dev, HOST_DOM, 2, &h), 0);
    assert_int_equal(vidxd_irq_handle_alloc(s->dev, HOST_DOM, 2, &h), 0);
    assert_int_equal(vidxd_irq_handle_alloc(s->dev, GUEST_DOM, 3, &h), 0);
    assert_int_equal(vidxd_irq_handle_revoke(s->dev, HOST_DOM, 2), 2);
    assert_true(vidxd_irq_handle_valid(s->dev, 0));
    assert_false(vidxd_irq_handle_valid(s->dev, 1));
    assert_int_equal(vidxd_irq_handle_revoke(s->dev, VIDXD_IRQ_MAX_DOMAINS,
                                             VIDXD_IRQ_ANY_INDEX),
                     2);
    assert_false(vidxd_irq_handle_valid(s->dev, 0));
    assert_false(vidxd_irq_handle_valid(s->dev, 3));
    /* A device without handles hands out none. */
    assert_int_equal(vidxd_irq_dev_create("n", 0, &none), 0);
    assert_false(vidxd_irq_handle_valid(none, 0));
    vidxd_irq_dev_destroy(none);
}

struct blocked_ctx {
    struct vidxd_irq_dev *dev;
    sem_t *entered;
    sem_t *release_sem;
    int n;
    int pending_rc;
    int other_rc;
    bool timed_out;
};

static void *
raise_while_blocked(void *arg)
{
    struct blocked_ctx *c = arg;
    struct timespec ts;
    int i, rc;

    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += 10;
    if (sem_timedwait(c->entered, &ts) != 0) {
        c->timed_out = true;
        return NULL;
    }
    for (i = 0; i < c->n; i++) {
        rc = vidxd_irq_raise(c->dev, HOST_DOM, 13);
        if (rc == VIDXD_IRQ_PENDING) {
            c->pending_rc++;
        } else {
            c->other_rc++;
        }
    }
    sem_post(c->release_sem);
    return NULL;
}

static void
test_blocking_storage(void **state)
{
    struct tstate *s = *state;
    struct sink_rec rec = {0};
    struct vidxd_irq_target t = sink_target(&rec);
    sem_t entered, release_sem;
    struct blocked_ctx c = {.dev = s->dev,
                            .entered = &entered,
                            .release_sem = &release_sem,
                            .n = 10000};
    struct stress st = {.dev = s->dev, .index = 13, .n = 0};
    struct vidxd_irq_msg m = mk_msg(0xfee00000, 0x1313);
    struct vidxd_irq_stats stats;
    pthread_t th;
    int i;

    live_entry(s, 13, mk_msg(0xfee00000, 13), &t);
    s->host->sleep_us = 10000;
    /*
     * The control thread sits inside a storage write (after a 10 ms mask)
     * until the other thread has raised 10000 times: raising needs neither
     * the device lock nor the storage.
     */
    assert_int_equal(sem_init(&entered, 0, 0), 0);
    assert_int_equal(sem_init(&release_sem, 0, 0), 0);
    s->host->entered = &entered;
    s->host->release_sem = &release_sem;
    assert_int_equal(pthread_create(&th, NULL, raise_while_blocked, &c), 0);
    assert_int_equal(vidxd_irq_write_msg(s->dev, HOST_DOM, 13, &m), 0);
    pthread_join(th, NULL);
    s->host->entered = NULL;
    assert_false(c.timed_out);
    assert_false(s->host->sem_timed_out);
    assert_int_equal(c.pending_rc, 10000);
    assert_int_equal(c.other_rc, 0);
    /* The 10000 coalesced into one delivery, with the new message. */
    assert_int_equal(rec.count, 1);
    assert_int_equal(rec.last.data, 0x1313);
    /* Mask/unmask cycles of sleeping storage under a raising thread. */
    assert_int_equal(pthread_create(&th, NULL, stress_raiser, &st), 0);
    for (i = 0; i < 5; i++) {
        assert_int_equal(vidxd_irq_mask(s->dev, HOST_DOM, 13), 0);
        assert_int_equal(vidxd_irq_unmask(s->dev, HOST_DOM, 13), 0);
    }
    atomic_store(&st.stop, true);
    pthread_join(th, NULL);
    s->host->sleep_us = 0;
    assert_int_equal(st.other_rc, 0);
    assert_int_equal(vidxd_irq_stats_get(s->dev, HOST_DOM, 13, &stats), 0);
    assert_int_equal(stats.delivered, (uint64_t)rec.count);
    /* No storage operation ever ran on a raising thread. */
    assert_int_equal(atomic_load(&s->host->foreign_calls), 0);
    sem_destroy(&entered);
    sem_destroy(&release_sem);
}

static _Atomic int denied_lines;

static void
count_log(int level, const char *component, const char *msg, void *opaque)
{
    (void)level;
    (void)component;
    (void)opaque;
    if (strstr(msg, "no approved MSI address") != NULL) {
        atomic_fetch_add(&denied_lines, 1);
    }
}

static void
test_addr_table_fails_closed(void **state)
{
    struct tstate *s = *state;
    struct sink_rec r20 = {0}, r21 = {0};
    struct vidxd_irq_target t20 = sink_target(&r20), t21 = sink_target(&r21);
    struct vidxd_irq_entry_info info;
    struct vidxd_irq_stats st;
    int i;

    live_entry(s, 20, mk_msg(0xfee00000, 0x41), &t20);
    live_entry(s, 21, mk_msg(0xfee00000, 0x42), &t21);
    /* Mode off (default): delivery per binding. */
    assert_int_equal(vidxd_irq_addr_set(s->dev, HOST_DOM, 20, 0x8000000), 0);
    assert_int_equal(s->host->slot[20].msg.address_lo, 0xfee00000);
    assert_int_equal(vidxd_irq_raise(s->dev, HOST_DOM, 21),
                     VIDXD_IRQ_DELIVERED);
    /* Mode on: 20 is rewritten under mask with its approved address. */
    fake_clear_log(s->host);
    assert_int_equal(vidxd_irq_addr_mode(s->dev, HOST_DOM, true), 0);
    assert_string_equal(s->host->log, "m20 w20 u20 ");
    assert_int_equal(s->host->slot[20].msg.address_lo, 0x8000000);
    assert_int_equal(s->host->slot[20].msg.data, 0x41);
    assert_int_equal(s->host->slot[21].msg.address_lo, 0xfee00000);
    assert_int_equal(vidxd_irq_raise(s->dev, HOST_DOM, 20),
                     VIDXD_IRQ_DELIVERED);
    assert_int_equal(r20.last.address_lo, 0x8000000);
    assert_int_equal(r20.last.address_hi, 0);
    /* 21 has no address: fails closed, counted, never reaches the sink. */
    assert_int_equal(vidxd_irq_raise(s->dev, HOST_DOM, 21), -EACCES);
    assert_int_equal(r21.count, 1);
    assert_int_equal(vidxd_irq_entry_info(s->dev, HOST_DOM, 21, &info), 0);
    assert_true(info.denied);
    /* Also when it was pending behind a mask. */
    assert_int_equal(vidxd_irq_mask(s->dev, HOST_DOM, 21), 0);
    assert_int_equal(vidxd_irq_raise(s->dev, HOST_DOM, 21), VIDXD_IRQ_PENDING);
    assert_int_equal(vidxd_irq_unmask(s->dev, HOST_DOM, 21), 0);
    assert_int_equal(r21.count, 1);
    /* Logged, rate-limited. */
    vidxd_log_set_sink(count_log, NULL, LOG_DEBUG);
    for (i = 0; i < 50; i++) {
        assert_int_equal(vidxd_irq_raise(s->dev, HOST_DOM, 21), -EACCES);
    }
    vidxd_log_set_sink(NULL, NULL, LOG_INFO);
    assert_true(atomic_load(&denied_lines) >= 1);
    assert_true(atomic_load(&denied_lines) <= 10);
    assert_int_equal(vidxd_irq_stats_get(s->dev, HOST_DOM, 21, &st), 0);
    assert_int_equal(st.denied, 52);
    assert_int_equal(st.delivered, 1);
    /* Provide one: rewritten and delivered with it. */
    assert_int_equal(vidxd_irq_addr_set(s->dev, HOST_DOM, 21, 0x1200001000ull),
                     0);
    assert_int_equal(s->host->slot[21].msg.address_lo, 0x1000);
    assert_int_equal(s->host->slot[21].msg.address_hi, 0x12);
    assert_int_equal(vidxd_irq_raise(s->dev, HOST_DOM, 21),
                     VIDXD_IRQ_DELIVERED);
    assert_int_equal(r21.last.address_hi, 0x12);
    /* Unset again: back to the requested message, and denied. */
    assert_int_equal(vidxd_irq_addr_unset(s->dev, HOST_DOM, 21), 0);
    assert_int_equal(s->host->slot[21].msg.address_lo, 0xfee00000);
    assert_int_equal(vidxd_irq_raise(s->dev, HOST_DOM, 21), -EACCES);
    /* Mode off: requested messages in force, everything delivers. */
    assert_int_equal(vidxd_irq_addr_mode(s->dev, HOST_DOM, false), 0);
    assert_int_equal(s->host->slot[20].msg.address_lo, 0xfee00000);
    assert_int_equal(vidxd_irq_raise(s->dev, HOST_DOM, 20),
                     VIDXD_IRQ_DELIVERED);
    assert_int_equal(r20.last.address_lo, 0xfee00000);
    assert_int_equal(vidxd_irq_raise(s->dev, HOST_DOM, 21),
                     VIDXD_IRQ_DELIVERED);
    assert_int_equal(s->host->violations, 0);
    assert_int_equal(vidxd_irq_addr_set(s->dev, HOST_DOM, HOST_SIZE, 1),
                     -ERANGE);
    assert_int_equal(vidxd_irq_addr_set(s->dev, HOST_DOM, 1, UINT64_MAX),
                     -EINVAL);
    assert_int_equal(vidxd_irq_addr_mode(s->dev, 3, true), -ENOENT);
}

static void
test_addr_table_guest_programmed(void **state)
{
    struct tstate *s = *state;
    struct sink_rec rec = {0};
    struct vidxd_irq_target t = sink_target(&rec);

    s->guest->slot[6].msg = mk_msg(0xfee00000, 0x66);
    assert_int_equal(vidxd_irq_bind(s->dev, GUEST_DOM, 6, &t), 0);
    assert_int_equal(vidxd_irq_addr_mode(s->dev, GUEST_DOM, true), 0);
    assert_int_equal(vidxd_irq_raise(s->dev, GUEST_DOM, 6), -EACCES);
    assert_int_equal(vidxd_irq_addr_set(s->dev, GUEST_DOM, 6, 0xfee00000), 0);
    assert_int_equal(vidxd_irq_raise(s->dev, GUEST_DOM, 6),
                     VIDXD_IRQ_DELIVERED);
    /* The guest's message is never rewritten: a mismatch is refused. */
    assert_int_equal(vidxd_irq_addr_set(s->dev, GUEST_DOM, 6, 0xfee01000), 0);
    assert_int_equal(s->guest->slot[6].msg.address_lo, 0xfee00000);
    assert_int_equal(vidxd_irq_raise(s->dev, GUEST_DOM, 6), -EACCES);
    assert_int_equal(rec.count, 1);
    assert_int_equal(s->guest->n_write, 0);
}

static void
test_route_by_message(void **state)
{
    struct vidxd_irq_domain_template rt = {"ROUTED", 16,
                                           VIDXD_IRQ_DOM_ROUTE_BY_MSG};
    struct tstate *s = *state;
    struct fake *f = s->extra = fake_new();
    struct sink_rec a = {0}, b = {0};
    struct vidxd_irq_target ta = sink_target(&a), tb = sink_target(&b);
    struct vidxd_irq_msg m1 = mk_msg(0xfee00000, 0x21);
    struct vidxd_irq_msg m2 = mk_msg(0xfee00000, 0x22);

    assert_int_equal(vidxd_irq_domain_create(s->dev, 3, &rt, &fake_ops, f), 0);
    assert_int_equal(vidxd_irq_alloc(s->dev, 3, 4, 1, 0, NULL), 0);
    assert_int_equal(
        vidxd_irq_activate(s->dev, 3, 4, 1, &m1, VIDXD_IRQ_ACT_UNMASK), 0);
    /* No route for its message: pending, then delivered when one appears. */
    assert_int_equal(vidxd_irq_raise(s->dev, 3, 4), VIDXD_IRQ_PENDING);
    assert_int_equal(vidxd_irq_route_set(s->dev, &m1, &ta), 0);
    assert_int_equal(a.count, 1);
    assert_int_equal(vidxd_irq_raise(s->dev, 3, 4), VIDXD_IRQ_DELIVERED);
    assert_int_equal(a.count, 2);
    /* A new message resolves through the table again. */
    assert_int_equal(vidxd_irq_write_msg(s->dev, 3, 4, &m2), 0);
    assert_int_equal(vidxd_irq_raise(s->dev, 3, 4), VIDXD_IRQ_PENDING);
    assert_int_equal(vidxd_irq_route_set(s->dev, &m2, &tb), 0);
    assert_int_equal(b.count, 1);
    assert_int_equal(b.last.data, 0x22);
    /* A direct binding wins over the route. */
    assert_int_equal(vidxd_irq_bind(s->dev, 3, 4, &ta), 0);
    assert_int_equal(vidxd_irq_raise(s->dev, 3, 4), VIDXD_IRQ_DELIVERED);
    assert_int_equal(a.count, 3);
    assert_int_equal(vidxd_irq_bind(s->dev, 3, 4, NULL), 0);
    assert_int_equal(vidxd_irq_route_set(s->dev, &m2, NULL), 0);
    assert_int_equal(vidxd_irq_route_set(s->dev, &m2, NULL), -ENOENT);
    assert_int_equal(vidxd_irq_raise(s->dev, 3, 4), VIDXD_IRQ_PENDING);
    assert_int_equal(b.count, 1);
    /* Routes do not apply to domains that did not ask for them. */
    live_entry(s, 30, m1, NULL);
    assert_int_equal(vidxd_irq_raise(s->dev, HOST_DOM, 30), VIDXD_IRQ_PENDING);
    assert_int_equal(a.count, 3);
}

static void
test_notifier_events(void **state)
{
    struct tstate *s = *state;
    struct sink_rec rec = {0};
    struct vidxd_irq_target t = sink_target(&rec);
    struct vidxd_irq_msg m = mk_msg(0xfee00000, 0x50);
    struct vidxd_irq_msg m2 = mk_msg(0xfee00000, 0x51);
    struct ev_log log = {0};
    int id;

    assert_int_equal(vidxd_irq_notifier_add(s->dev, ev_record, &log, &id), 0);
    assert_int_equal(vidxd_irq_alloc(s->dev, HOST_DOM, 50, 1, 0, NULL), 0);
    assert_int_equal(vidxd_irq_activate(s->dev, HOST_DOM, 50, 1, &m, 0), 0);
    assert_int_equal(vidxd_irq_bind(s->dev, HOST_DOM, 50, &t), 0);
    assert_int_equal(vidxd_irq_unmask(s->dev, HOST_DOM, 50), 0);
    assert_int_equal(vidxd_irq_write_msg(s->dev, HOST_DOM, 50, &m2), 0);
    assert_int_equal(vidxd_irq_free(s->dev, HOST_DOM, 50, 1), 0);
    assert_int_equal(log.n, 5);
    assert_int_equal(log.ev[0].type, VIDXD_IRQ_EV_MSG);
    assert_int_equal(log.ev[0].msg.data, 0x50);
    assert_int_equal(log.ev[1].type, VIDXD_IRQ_EV_TARGET);
    assert_int_equal(log.ev[2].type, VIDXD_IRQ_EV_MASK);
    assert_false(log.ev[2].masked);
    assert_int_equal(log.ev[3].type, VIDXD_IRQ_EV_MSG);
    assert_int_equal(log.ev[3].msg.data, 0x51);
    assert_int_equal(log.ev[4].type, VIDXD_IRQ_EV_FREE);
    assert_int_equal(log.ev[4].domain, HOST_DOM);
    assert_int_equal(log.ev[4].index, 50);
    assert_int_equal(vidxd_irq_notifier_remove(s->dev, id), 0);
    live_entry(s, 51, m, &t);
    assert_int_equal(log.n, 5);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

const struct CMUnitTest irq_core_tests[] = {
    cmocka_unit_test(test_create_validation),
    T(test_alloc_sparse_fixed_any),
    T(test_alloc_exhaustion),
    T(test_alloc_rollback),
    T(test_activate_rollback),
    T(test_mask_pending_unmask_once),
    T(test_domain_and_vmm_mask),
    T(test_no_target_latches_until_bound),
    T(test_rewrite_only_while_masked),
    T(test_retarget_with_pending),
    T(test_retarget_stress_consistent),
    T(test_mask_is_synchronous),
    T(test_eventfd_delivery),
    T(test_set_eventfds),
    T(test_handles),
    T(test_handle_revoke),
    T(test_blocking_storage),
    T(test_addr_table_fails_closed),
    T(test_addr_table_guest_programmed),
    T(test_route_by_message),
    T(test_notifier_events),
};
const size_t irq_core_ntests =
    sizeof(irq_core_tests) / sizeof(irq_core_tests[0]);
