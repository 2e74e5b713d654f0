/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A test-only device type whose interrupt storage lives in DMA memory, to
 * show the irq layer is not shaped around DSA: each queue of this "queue
 * device" has a 32-byte context in guest memory holding its interrupt
 * message in its own format (data at +0, flags at +4 with VALID bit 0 and
 * MASK bit 31, 64-bit address at +8; the rest belongs to the queue).  The
 * storage operations reach it only through a vidxd_as (the queue-memory IMS
 * model of ims.md §1.5, §1.10), bracketed by the bus lock.
 */
#include <stdlib.h>

#include "vidxd/mem.h"

#include "irq_test.h"

#define QD_DOM 1
#define QD_CTX_SIZE 32
#define QD_DATA 0
#define QD_FLAGS 4
#define QD_ADDR 8
#define QD_VALID (1u << 0)
#define QD_MASK (1u << 31)
#define QD_BASE 0x100000ull
#define QD_BYTES 0x10000u

struct qdev {
    struct vidxd_as *as;
    uint8_t *mem;
    int in_bracket;
    int brackets;
    int outside;    /* ops called outside the bus-lock bracket */
    int violations; /* message written while the context was unmasked */
};

static uint64_t
ctx(uint64_t dcookie)
{
    return dcookie;
}

static int
qd_get32(struct qdev *q, uint64_t iova, uint32_t *v)
{
    uint8_t b[4];
    int rc;

    rc = vidxd_as_read(q->as, iova, b, sizeof(b), NULL);
    if (rc == 0) {
        *v = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
             (uint32_t)b[3] << 24;
    }
    return rc;
}

static int
qd_put(struct qdev *q, uint64_t iova, uint64_t v, size_t len)
{
    uint8_t b[8];
    size_t i;

    for (i = 0; i < len; i++) {
        b[i] = (uint8_t)(v >> (8 * i));
    }
    return vidxd_as_write(q->as, iova, b, len, NULL);
}

static void
qd_check(struct qdev *q)
{
    if (q->in_bracket == 0) {
        q->outside++;
    }
}

static int
qd_prepare(void *opaque, uint32_t index, uint64_t icookie, uint64_t *dcookie)
{
    struct qdev *q = opaque;
    int rc;

    qd_check(q);
    /* The instance cookie is the base of the context array. */
    *dcookie = icookie + (uint64_t)index * QD_CTX_SIZE;
    rc = qd_put(q, ctx(*dcookie) + QD_FLAGS, QD_VALID | QD_MASK, 4);
    return rc;
}

static void
qd_release(void *opaque, uint32_t index, uint64_t dcookie)
{
    struct qdev *q = opaque;

    (void)index;
    qd_check(q);
    qd_put(q, ctx(dcookie) + QD_FLAGS, 0, 4);
}

static int
qd_write(void *opaque, uint32_t index, uint64_t dcookie,
         const struct vidxd_irq_msg *msg)
{
    struct qdev *q = opaque;
    uint32_t flags = 0;
    int rc;

    (void)index;
    qd_check(q);
    rc = qd_get32(q, ctx(dcookie) + QD_FLAGS, &flags);
    if (rc != 0) {
        return rc;
    }
    if ((flags & QD_MASK) == 0) {
        q->violations++;
    }
    rc = qd_put(q, ctx(dcookie) + QD_DATA, msg->data, 4);
    if (rc == 0) {
        rc = qd_put(q, ctx(dcookie) + QD_ADDR,
                    (uint64_t)msg->address_hi << 32 | msg->address_lo, 8);
    }
    return rc;
}

static int
qd_set_mask(struct qdev *q, uint64_t dcookie, bool masked)
{
    uint32_t flags = 0;
    int rc;

    qd_check(q);
    rc = qd_get32(q, ctx(dcookie) + QD_FLAGS, &flags);
    if (rc == 0) {
        flags = masked ? flags | QD_MASK : flags & ~QD_MASK;
        rc = qd_put(q, ctx(dcookie) + QD_FLAGS, flags, 4);
    }
    return rc;
}

static int
qd_mask(void *opaque, uint32_t index, uint64_t dcookie)
{
    (void)index;
    return qd_set_mask(opaque, dcookie, true);
}

static int
qd_unmask(void *opaque, uint32_t index, uint64_t dcookie)
{
    (void)index;
    return qd_set_mask(opaque, dcookie, false);
}

static void
qd_bus_lock(void *opaque)
{
    struct qdev *q = opaque;

    vidxd_as_enter(q->as);
    q->in_bracket++;
    q->brackets++;
}

static void
qd_bus_sync_unlock(void *opaque)
{
    struct qdev *q = opaque;

    q->in_bracket--;
    vidxd_as_leave(q->as);
}

static const struct vidxd_irq_storage_ops qd_ops = {
    .prepare = qd_prepare,
    .release = qd_release,
    .write_msg = qd_write,
    .mask = qd_mask,
    .unmask = qd_unmask,
    .bus_lock = qd_bus_lock,
    .bus_sync_unlock = qd_bus_sync_unlock,
};

struct tstate {
    struct vidxd_irq_dev *dev;
    struct qdev q;
};

static int
setup(void **state)
{
    struct vidxd_irq_domain_template tmpl = {"QDEV", 4096,
                                             VIDXD_IRQ_DOM_UNTRUSTED_STORAGE};
    struct tstate *s = calloc(1, sizeof(*s));

    assert_non_null(s);
    s->q.mem = malloc(QD_BYTES);
    assert_non_null(s->q.mem);
    memset(s->q.mem, 0xaa, QD_BYTES);
    assert_int_equal(vidxd_as_create(0, &s->q.as), 0);
    assert_int_equal(vidxd_as_map(s->q.as, QD_BASE, QD_BYTES, s->q.mem,
                                  VIDXD_MEM_READ | VIDXD_MEM_WRITE),
                     0);
    assert_int_equal(vidxd_irq_dev_create("qdev", 0, &s->dev), 0);
    assert_int_equal(
        vidxd_irq_domain_create(s->dev, QD_DOM, &tmpl, &qd_ops, &s->q), 0);
    *state = s;
    return 0;
}

static int
teardown(void **state)
{
    struct tstate *s = *state;

    /* The device goes first: its teardown still writes the contexts. */
    vidxd_irq_dev_destroy(s->dev);
    assert_int_equal(s->q.in_bracket, 0);
    assert_int_equal(s->q.outside, 0);
    vidxd_as_destroy(s->q.as);
    free(s->q.mem);
    free(s);
    return 0;
}

static uint32_t
le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static void
test_dmadev_program_mask_raise(void **state)
{
    struct tstate *s = *state;
    struct sink_rec rec = {0};
    struct vidxd_irq_target t = sink_target(&rec);
    struct vidxd_irq_msg msgs[1] = {mk_msg(0x00000001fee00000ull, 0xc0de)};
    const uint8_t *c3 = s->q.mem + 3 * QD_CTX_SIZE;
    const uint8_t *c1000 = s->q.mem + 1000 * QD_CTX_SIZE;
    size_t i;

    /* Sparse: queue 3 and queue 1000 only. */
    assert_int_equal(vidxd_irq_alloc(s->dev, QD_DOM, 3, 1, QD_BASE, NULL), 0);
    assert_int_equal(vidxd_irq_alloc(s->dev, QD_DOM, 1000, 1, QD_BASE, NULL),
                     0);
    assert_int_equal(le32(c3 + QD_FLAGS), QD_VALID | QD_MASK);
    assert_int_equal(le32(s->q.mem + 4 * QD_CTX_SIZE + QD_FLAGS), 0xaaaaaaaa);
    assert_int_equal(
        vidxd_irq_activate(s->dev, QD_DOM, 3, 1, msgs, VIDXD_IRQ_ACT_UNMASK),
        0);
    assert_int_equal(vidxd_irq_activate(s->dev, QD_DOM, 1000, 1, msgs, 0), 0);
    /* The context, byte for byte, in its own format. */
    assert_int_equal(le32(c3 + QD_DATA), 0xc0de);
    assert_int_equal(le32(c3 + QD_FLAGS), QD_VALID);
    assert_int_equal(le32(c3 + QD_ADDR), 0xfee00000);
    assert_int_equal(le32(c3 + QD_ADDR + 4), 1);
    assert_int_equal(le32(c1000 + QD_FLAGS), QD_VALID | QD_MASK);
    for (i = 16; i < QD_CTX_SIZE; i++) {
        assert_int_equal(c3[i], 0xaa); /* the queue's own bytes */
    }
    assert_int_equal(vidxd_irq_bind(s->dev, QD_DOM, 3, &t), 0);
    assert_int_equal(vidxd_irq_bind(s->dev, QD_DOM, 1000, &t), 0);
    assert_int_equal(vidxd_irq_raise(s->dev, QD_DOM, 3), VIDXD_IRQ_DELIVERED);
    assert_int_equal(rec.index, 3);
    assert_int_equal(rec.last.data, 0xc0de);
    assert_int_equal(rec.last.address_hi, 1);
    assert_int_equal(vidxd_irq_raise(s->dev, QD_DOM, 4), -ENOENT);
    assert_int_equal(vidxd_irq_raise(s->dev, QD_DOM, 1000), VIDXD_IRQ_PENDING);
    assert_int_equal(vidxd_irq_unmask(s->dev, QD_DOM, 1000), 0);
    assert_int_equal(rec.count, 2);
    assert_int_equal(rec.index, 1000);
    assert_int_equal(le32(c1000 + QD_FLAGS), QD_VALID);
    assert_int_equal(vidxd_irq_mask(s->dev, QD_DOM, 3), 0);
    assert_int_equal(le32(c3 + QD_FLAGS), QD_VALID | QD_MASK);
    /* Rewrite of an unmasked context happens under its mask bit. */
    msgs[0] = mk_msg(0xfee01000, 0xbeef);
    assert_int_equal(vidxd_irq_write_msg(s->dev, QD_DOM, 1000, msgs), 0);
    assert_int_equal(le32(c1000 + QD_DATA), 0xbeef);
    assert_int_equal(le32(c1000 + QD_FLAGS), QD_VALID);
    assert_int_equal(s->q.violations, 0);
    /* Free: zero message, masked, then released (flags cleared). */
    assert_int_equal(vidxd_irq_free(s->dev, QD_DOM, 1000, 1), 0);
    assert_int_equal(le32(c1000 + QD_DATA), 0);
    assert_int_equal(le32(c1000 + QD_FLAGS), 0);
    assert_true(s->q.brackets > 0);
}

static void
test_dmadev_guest_scribble_ignored(void **state)
{
    struct tstate *s = *state;
    struct sink_rec rec = {0};
    struct vidxd_irq_target t = sink_target(&rec);
    struct vidxd_irq_msg m = mk_msg(0xfee00000, 0x77);
    uint8_t *c = s->q.mem + 9 * QD_CTX_SIZE;

    assert_int_equal(vidxd_irq_alloc(s->dev, QD_DOM, 9, 1, QD_BASE, NULL), 0);
    assert_int_equal(
        vidxd_irq_activate(s->dev, QD_DOM, 9, 1, &m, VIDXD_IRQ_ACT_UNMASK), 0);
    assert_int_equal(vidxd_irq_bind(s->dev, QD_DOM, 9, &t), 0);
    /* The guest rewrites the context behind the device's back. */
    memset(c, 0x5a, QD_CTX_SIZE);
    assert_int_equal(vidxd_irq_raise(s->dev, QD_DOM, 9), VIDXD_IRQ_DELIVERED);
    assert_int_equal(rec.last.data, 0x77);
    assert_int_equal(rec.last.address_lo, 0xfee00000);
}

static void
test_dmadev_fault_rolls_back(void **state)
{
    struct tstate *s = *state;
    struct vidxd_irq_entry_info info;
    const uint64_t base = QD_BASE + QD_BYTES - 2 * QD_CTX_SIZE;
    const uint8_t *c = s->q.mem + QD_BYTES - 2 * QD_CTX_SIZE;
    uint32_t i;

    /* Contexts 0 and 1 fit in the mapping, context 2 faults. */
    assert_int_equal(vidxd_irq_alloc(s->dev, QD_DOM, 0, 3, base, NULL),
                     -EFAULT);
    for (i = 0; i < 3; i++) {
        assert_int_equal(vidxd_irq_entry_info(s->dev, QD_DOM, i, &info),
                         -ENOENT);
    }
    /* The two prepared contexts were released again. */
    assert_int_equal(le32(c + QD_FLAGS), 0);
    assert_int_equal(le32(c + QD_CTX_SIZE + QD_FLAGS), 0);
    assert_int_equal(vidxd_irq_alloc(s->dev, QD_DOM, 0, 2, base, NULL), 0);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

const struct CMUnitTest irq_dmadev_tests[] = {
    T(test_dmadev_program_mask_raise),
    T(test_dmadev_guest_scribble_ignored),
    T(test_dmadev_fault_rolls_back),
};
const size_t irq_dmadev_ntests =
    sizeof(irq_dmadev_tests) / sizeof(irq_dmadev_tests[0]);
