/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A tiny PCI function for server tests, fuzzing and benchmarks: a config
 * space built with the pci layer (PCIe endpoint with FLR, MSI-X), BAR0 with
 * a few registers and a DMA engine that copies LEN bytes from guest address
 * SRC to DST when DOORBELL is written and raises MSI-X vector 0 on
 * completion, and BAR2 backed by a memfd whose first page is offered to the
 * VMM as a sparse mmap area.
 */
#ifndef VIDXD_TESTS_FAKE_DEV_H
#define VIDXD_TESTS_FAKE_DEV_H

#include <stdbool.h>
#include <stdint.h>

#include "vidxd/server.h"

/* BAR0 register map. */
#define FAKE_REG_ID 0x00 /* RO u32 */
#define FAKE_REG_SRC 0x08 /* RW u64 guest address */
#define FAKE_REG_DST 0x10 /* RW u64 guest address */
#define FAKE_REG_LEN 0x18 /* RW u64, at most FAKE_MAX_LEN */
#define FAKE_REG_DOORBELL 0x20 /* WO: bit 0 go, bit 1 on the worker thread */
#define FAKE_REG_STATUS 0x28 /* RO u64, FAKE_ST_* */
#define FAKE_REG_SCRATCH 0x30 /* RW u64 */
#define FAKE_REG_HOLD_MS 0x38 /* RW u64: worker stays in the AS this long */
#define FAKE_REG_IRQ_MISSED 0x40 /* RO u64: completions without an eventfd */
#define FAKE_REG_DONE_COUNT 0x48 /* RO u64 */
#define FAKE_MSIX_TABLE 0x800
#define FAKE_MSIX_PBA 0xc00

#define FAKE_DOORBELL_GO 0x1u
#define FAKE_DOORBELL_ASYNC 0x2u

#define FAKE_ID 0x1d5a0001u
#define FAKE_MAX_LEN (1u << 20)
#define FAKE_BAR0_SIZE 0x1000u
#define FAKE_BAR2_SIZE 0x2000u
#define FAKE_NVEC 16u

enum fake_status {
    FAKE_ST_IDLE = 0,
    FAKE_ST_DONE = 1,
    FAKE_ST_FAULT = 2,
    FAKE_ST_BUSY = 3, /* the worker is inside the address space */
    FAKE_ST_NO_BME = 4, /* bus master disabled in Command */
    FAKE_ST_QUEUED = 5, /* handed to the worker, not started */
};

struct fake_dev_config {
    bool allow_async; /* start the worker thread for DOORBELL_ASYNC */
    bool no_mmap; /* BAR2 without the sparse mmap area */
};

struct fake_dev_counters {
    unsigned attach;
    unsigned detach;
    unsigned reset;
    unsigned flr;
    unsigned bus_master_on;
    unsigned msix_changes;
    unsigned eventfd_calls;
    unsigned mask_calls;
};

struct fake_dev;

int fake_dev_create(const struct fake_dev_config *cfg, struct fake_dev **out);
void fake_dev_destroy(struct fake_dev *dev);

/* The PCI function ops; pass the device as the server's opaque. */
const struct vidxd_pci_fn_ops *fake_dev_ops(void);

/* The server that raises the device's interrupts. */
void fake_dev_set_server(struct fake_dev *dev, struct vidxd_server *srv);

/* The address space the server maps guest memory into. */
struct vidxd_as *fake_dev_as(struct fake_dev *dev);

/* Counters of hook calls (read when the server thread is quiet). */
void fake_dev_counters(struct fake_dev *dev, struct fake_dev_counters *out);

#endif /* VIDXD_TESTS_FAKE_DEV_H */
