/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A DSA physical function served in-process (the daemon's pf glue over a
 * real UNIX socket) and a VMM-side helper that drives it through the test
 * client: guest RAM from a memfd, bus mastering, MSI-X eventfds, WQ set-up
 * through BAR0 writes as the idxd driver does (dsa.md §2.2, §2.3), and
 * descriptor submission through trapped or mapped portals.
 */
#ifndef VIDXD_TESTS_PFUTIL_H
#define VIDXD_TESTS_PFUTIL_H

#include <stdbool.h>
#include <stdint.h>

#include "vidxd/dsa.h"
#include "vidxd/spec.h"

#define PFU_RAM_SIZE (16u << 20)
#define PFU_MAX_VECTORS 65

struct pfu {
    struct pf *pf;
    struct harness *loop;
    struct client *c;
    char sock[108];
    int ram_fd;
    uint8_t *ram; /* guest RAM, IOVA 0 */
    int efd[PFU_MAX_VECTORS]; /* MSI-X eventfds (non-blocking) */
    unsigned nvec;
    uint8_t *bar2; /* mapped portals, or NULL */
    uint64_t bar2_size;
    unsigned slot; /* rotating 64-byte slot */
    enum vidxd_dsa_portal_mode mode;
};

/* Serve a device with @cfg (NULL: default, mapped portals) and connect to
 * it: negotiation, guest RAM map, BME + memory space, MSI-X eventfds. */
int pfu_start(struct pfu *u, const struct vidxd_dsa_config *cfg);
void pfu_stop(struct pfu *u);

/* BAR0 accesses through REGION_READ/WRITE. */
uint32_t pfu_rd32(struct pfu *u, uint64_t off);
uint64_t pfu_rd64(struct pfu *u, uint64_t off);
void pfu_wr32(struct pfu *u, uint64_t off, uint32_t v);
void pfu_wr64(struct pfu *u, uint64_t off, uint64_t v);
/* Issue a command (with int_req) and return CMDSTS. */
uint32_t pfu_cmd(struct pfu *u, unsigned code, uint32_t operand);

/* Configure WQ @wq (dedicated, @size entries, group 0 with engine 0) as
 * idxd_device_config() does, then ENABLE_DEVICE (if needed) and ENABLE_WQ.
 * Returns the last CMDSTS (0 on success). */
uint32_t pfu_setup_wq(struct pfu *u, unsigned wq, unsigned size);

/* Submit @d to WQ @wq through its limited MSI-X portal page: eight 8-byte
 * stores, qword 0 last (mapped mode waits until the slot is free). */
void pfu_submit(struct pfu *u, unsigned wq, const struct vidxd_desc *d);

/* Wait up to @ms for the completion record at guest offset @cr to get a
 * status; returns the status or 0 on timeout. */
unsigned pfu_wait_cr(struct pfu *u, uint64_t cr, int ms);

/* Wait up to @ms for vector @v; returns the eventfd count (0: none). */
uint64_t pfu_wait_irq(struct pfu *u, unsigned v, int ms);

/* A memmove descriptor (CRAV|RCR|RCI with handle @ih). */
void pfu_desc_memmove(struct vidxd_desc *d, uint64_t src, uint64_t dst,
                      uint32_t size, uint64_t cr, uint16_t ih);

#endif /* VIDXD_TESTS_PFUTIL_H */
