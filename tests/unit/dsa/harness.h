/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Test harness of the dsa unit tests: a device with a fake host (interrupt
 * log, optional table storage and handle ops), one guest address space
 * backed by an anonymous mapping, register helpers with the access widths
 * a driver uses, and descriptor builders.
 */
#ifndef VIDXD_TEST_DSA_HARNESS_H
#define VIDXD_TEST_DSA_HARNESS_H

#include <stdbool.h>
#include <stdint.h>

#include "vidxd/dsa.h"

#define H_IOVA 0x100000ull
#define H_MEM_SIZE (1u << 20)
#define H_MAX_VEC 4096

struct harness;
typedef void h_irq_hook_fn(struct harness *h, unsigned index, bool ims);

struct harness {
    struct vidxd_dsa *dsa;
    struct vidxd_as *as;
    uint8_t *mem;
    unsigned nirq;
    unsigned msix[H_MAX_VEC];
    unsigned ims[H_MAX_VEC];
    /* If set, a completion interrupt (index != 0) requires *cr_check to
     * be non-zero already: the record is written before the interrupt. */
    const volatile uint8_t *cr_check;
    unsigned cr_order_violations;
    h_irq_hook_fn *hook;
};

/* Create @h->dsa from @cfg (NULL = defaults) with the harness host ops,
 * the guest space bound as default AS. */
void h_init(struct harness *h, const struct vidxd_dsa_config *cfg);
/* Same with extra host ops merged over the harness ones (non-NULL win). */
void h_init_ops(struct harness *h, const struct vidxd_dsa_config *cfg,
                const struct vidxd_dsa_host_ops *extra);
void h_fini(struct harness *h);

uint32_t h_rd32(struct harness *h, uint64_t off);
uint64_t h_rd64(struct harness *h, uint64_t off);
void h_wr32(struct harness *h, uint64_t off, uint32_t v);
void h_wr64(struct harness *h, uint64_t off, uint64_t v);

/* Write CMD (32-bit), then behave like the driver: if int_req, handle the
 * vector-0 interrupt (read INTCAUSE, write it back); poll CMDSTS.active.
 * Returns CMDSTS. */
uint32_t h_cmd(struct harness *h, uint32_t cmd);

uint64_t h_iova(const struct harness *h, const void *p);
void *h_ptr(struct harness *h, uint64_t off); /* mem + off */

void h_memmove_desc(struct vidxd_desc *d, uint64_t src, uint64_t dst,
                    uint32_t size, uint64_t cr, uint32_t flags,
                    uint16_t handle);

/* Configure WQ @wq (size, priority 1, dedicated, device max shifts),
 * enable the device (first call: WQs 0-7 and engine 0 in group 0, BME on)
 * and the WQ.  Default layout, configurable device.  Asserts success. */
void h_quick_enable(struct harness *h, unsigned wq, unsigned size);

#endif /* VIDXD_TEST_DSA_HARNESS_H */
