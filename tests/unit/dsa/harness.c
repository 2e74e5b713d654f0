/* SPDX-License-Identifier: BSD-3-Clause */
/* The dsa test harness (see harness.h). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>

#include <cmocka.h>

#include "harness.h"

static void
h_interrupt(void *opaque, unsigned index, bool ims)
{
    struct harness *h = opaque;
    h_irq_hook_fn *hook;

    /* Atomic: worker threads deliver interrupts in the dsa_wq tests. */
    __atomic_add_fetch(&h->nirq, 1, __ATOMIC_RELAXED);
    if (index < H_MAX_VEC) {
        __atomic_add_fetch(ims ? &h->ims[index] : &h->msix[index], 1,
                           __ATOMIC_RELAXED);
    }
    if (index != 0 && h->cr_check != NULL && *h->cr_check == 0) {
        __atomic_add_fetch(&h->cr_order_violations, 1, __ATOMIC_RELAXED);
    }
    /* Atomic: a test may set the hook while workers run. */
    hook = __atomic_load_n(&h->hook, __ATOMIC_ACQUIRE);
    if (hook != NULL) {
        hook(h, index, ims);
    }
}

void
h_init_ops(struct harness *h, const struct vidxd_dsa_config *cfg,
           const struct vidxd_dsa_host_ops *extra)
{
    struct vidxd_dsa_config def;
    struct vidxd_dsa_host_ops ops = {.interrupt = h_interrupt};

    memset(h, 0, sizeof(*h));
    if (cfg == NULL) {
        vidxd_dsa_config_default(&def);
        cfg = &def;
    }
    if (extra != NULL) {
        if (extra->interrupt != NULL) {
            ops.interrupt = extra->interrupt;
        }
        ops.table_read = extra->table_read;
        ops.table_write = extra->table_write;
        ops.alloc_handle = extra->alloc_handle;
        ops.release_handle = extra->release_handle;
        ops.int_handle_valid = extra->int_handle_valid;
    }
    h->mem = mmap(NULL, H_MEM_SIZE, PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(h->mem != MAP_FAILED);
    assert_int_equal(vidxd_as_create(0, &h->as), 0);
    assert_int_equal(vidxd_as_map(h->as, H_IOVA, H_MEM_SIZE, h->mem,
                                  VIDXD_MEM_READ | VIDXD_MEM_WRITE),
                     0);
    assert_int_equal(vidxd_dsa_create(cfg, &ops, h, &h->dsa), 0);
    assert_int_equal(vidxd_dsa_set_as(h->dsa, h->as), 0);
}

void
h_init(struct harness *h, const struct vidxd_dsa_config *cfg)
{
    h_init_ops(h, cfg, NULL);
}

void
h_fini(struct harness *h)
{
    vidxd_dsa_destroy(h->dsa);
    vidxd_as_destroy(h->as);
    munmap(h->mem, H_MEM_SIZE);
    h->dsa = NULL;
}

uint32_t
h_rd32(struct harness *h, uint64_t off)
{
    uint64_t v = ~0ull;

    assert_int_equal(vidxd_dsa_bar0_read(h->dsa, off, 4, &v), 0);
    return (uint32_t)v;
}

uint64_t
h_rd64(struct harness *h, uint64_t off)
{
    uint64_t v = ~0ull;

    assert_int_equal(vidxd_dsa_bar0_read(h->dsa, off, 8, &v), 0);
    return v;
}

void
h_wr32(struct harness *h, uint64_t off, uint32_t v)
{
    assert_int_equal(vidxd_dsa_bar0_write(h->dsa, off, 4, v), 0);
}

void
h_wr64(struct harness *h, uint64_t off, uint64_t v)
{
    assert_int_equal(vidxd_dsa_bar0_write(h->dsa, off, 8, v), 0);
}

uint32_t
h_cmd(struct harness *h, uint32_t cmd)
{
    unsigned before = h->msix[0], i;
    uint32_t sts = 0;

    h_wr32(h, VIDXD_REG_CMD, cmd);
    if ((cmd & VIDXD_CMD_INT_REQ) != 0) {
        uint32_t cause;

        /* idxd_misc_thread: exactly one vector-0 message, INTCAUSE.CMD. */
        assert_int_equal(h->msix[0], before + 1);
        cause = h_rd32(h, VIDXD_REG_INTCAUSE);
        assert_true((cause & VIDXD_INTCAUSE_CMD) != 0);
        h_wr32(h, VIDXD_REG_INTCAUSE, cause);
    } else {
        assert_int_equal(h->msix[0], before);
    }
    /* Commands are synchronous: the first poll already sees idle. */
    for (i = 0; i < 1000; i++) {
        sts = h_rd32(h, VIDXD_REG_CMDSTS);
        if ((sts & VIDXD_CMDSTS_ACTIVE) == 0) {
            break;
        }
    }
    assert_int_equal(i, 0);
    return sts;
}

uint64_t
h_iova(const struct harness *h, const void *p)
{
    return H_IOVA + (uint64_t)((const uint8_t *)p - h->mem);
}

void *
h_ptr(struct harness *h, uint64_t off)
{
    return h->mem + off;
}

void
h_memmove_desc(struct vidxd_desc *d, uint64_t src, uint64_t dst, uint32_t size,
               uint64_t cr, uint32_t flags, uint16_t handle)
{
    memset(d, 0, sizeof(*d));
    d->flags_opcode =
        ((uint32_t)VIDXD_OP_MEMMOVE << VIDXD_DESC_OPCODE_SHIFT) | flags;
    d->src = src;
    d->dst = dst;
    d->xfer_size = size;
    d->completion_addr = cr;
    d->int_handle = handle;
}

void
h_quick_enable(struct harness *h, unsigned wq, unsigned size)
{
    uint64_t grp = 0x300, wqcfg = 0x400 + 32ull * wq;

    vidxd_dsa_set_bus_master(h->dsa, true);
    if ((h_rd32(h, VIDXD_REG_GENSTS) & 3) == VIDXD_GENSTS_DISABLED) {
        /* Every WQ in group 0, so later WQs can be enabled too. */
        h_wr64(h, grp, 0xff);
        h_wr64(h, grp + 0x20, 1);
    }
    h_wr32(h, wqcfg + 0, size);
    h_wr32(h, wqcfg + 8,
           VIDXD_WQCFG_MODE_DEDICATED | (1u << VIDXD_WQCFG_PRIORITY_SHIFT));
    h_wr32(h, wqcfg + 12, 31 | (10u << VIDXD_WQCFG_MAX_BATCH_SHIFT_SHIFT));
    if ((h_rd32(h, VIDXD_REG_GENSTS) & 3) == VIDXD_GENSTS_DISABLED) {
        assert_int_equal(h_cmd(h, VIDXD_CMD_ENABLE_DEVICE << 20), 0);
    }
    assert_int_equal(h_cmd(h, (VIDXD_CMD_ENABLE_WQ << 20) | wq), 0);
}
