/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Shared helpers of the irq unit tests: a recording sink target, eventfd
 * helpers, and the test tables each file contributes to the one binary.
 */
#ifndef VIDXD_TEST_IRQ_H
#define VIDXD_TEST_IRQ_H

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cmocka.h>

#include "vidxd/irq.h"

/* A sink that counts deliveries and keeps the last message. */
struct sink_rec {
    _Atomic int count;
    atomic_flag busy; /* sinks may run concurrently with themselves */
    unsigned domain;
    uint32_t index;
    struct vidxd_irq_msg last;
};

static inline void
sink_record(void *opaque, unsigned domain, uint32_t index,
            const struct vidxd_irq_msg *msg)
{
    struct sink_rec *s = opaque;

    while (atomic_flag_test_and_set_explicit(&s->busy, memory_order_acquire)) {
    }
    s->domain = domain;
    s->index = index;
    s->last = *msg;
    atomic_flag_clear_explicit(&s->busy, memory_order_release);
    atomic_fetch_add(&s->count, 1);
}

static inline struct vidxd_irq_target
sink_target(struct sink_rec *s)
{
    struct vidxd_irq_target t = {
        .eventfd = -1, .sink = sink_record, .opaque = s};
    return t;
}

static inline struct vidxd_irq_target
efd_target(int fd)
{
    struct vidxd_irq_target t = {.eventfd = fd};
    return t;
}

/* Read and reset a non-blocking eventfd's counter (0 when it is zero). */
static inline uint64_t
efd_take(int fd)
{
    uint64_t v = 0;

    if (read(fd, &v, sizeof(v)) != (ssize_t)sizeof(v)) {
        return 0;
    }
    return v;
}

static inline struct vidxd_irq_msg
mk_msg(uint64_t addr, uint32_t data)
{
    struct vidxd_irq_msg m = {(uint32_t)addr, (uint32_t)(addr >> 32), data};
    return m;
}

extern const struct CMUnitTest irq_core_tests[];
extern const size_t irq_core_ntests;
extern const struct CMUnitTest irq_table_tests[];
extern const size_t irq_table_ntests;
extern const struct CMUnitTest irq_dmadev_tests[];
extern const size_t irq_dmadev_ntests;

#endif /* VIDXD_TEST_IRQ_H */
