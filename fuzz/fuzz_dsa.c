/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for the DSA device model: the input is a device
 * configuration byte followed by a sequence of operations a guest or a VMM
 * can perform (register reads and writes, trapped and mapped portal
 * stores, commands, descriptors built from guest-memory offsets, raw
 * descriptors, bus-master changes, resets, PASID space binding).  Guest
 * memory is two mappings, each fenced by PROT_NONE guard pages, so any
 * access outside a mapping crashes; the host table ops abort on any access
 * outside the tables.  workers = 0: everything runs in this thread.
 *
 * Input format (little-endian; a truncated field reads as zero):
 *   byte 0: config: bit0 read-only config, bit1 cmd_cap, bit2 mapped
 *           portals, bit3 shared mode, bit4 host handle ops, bit5 start with
 *           bus mastering off, bit6 64-byte WQCFG
 *   then repeated: op byte (mod OP_COUNT) and its arguments, see enum op.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vidxd/dsa.h"

#define PAGE 4096u
#define RW_IOVA 0x10000ull
#define RW_SIZE 0x10000u
#define RO_IOVA 0x40000ull
#define RO_SIZE 0x4000u
#define TABLE_BYTES 0x10000u

enum op {
    OP_REG_WRITE,    /* u16 off, u8 size sel, u64 val */
    OP_REG_READ,     /* u16 off, u8 size sel */
    OP_PORTAL_WRITE, /* u32 off, u8 size sel, data[size] */
    OP_MEM_WRITE,    /* u16 off, u8 len, data[len] (RW guest memory) */
    OP_COMMAND,      /* u32 CMD value */
    OP_BME,          /* u8 on */
    OP_SUBMIT,       /* u8 wq, u8 flags, desc[64] */
    OP_PROCESS,      /* - */
    OP_RESET,        /* - */
    OP_SETUP,        /* u8 wq, u8 size, u8 mode bits, u8 pasid */
    OP_MAPPED_WRITE, /* u32 off, u64 val (into the shared BAR2) */
    OP_DESC,         /* see op_desc() */
    OP_PASID_AS,     /* u8 pasid, u8 attach */
    OP_COUNT
};

struct reader {
    const uint8_t *p;
    size_t n;
};

static uint64_t
take(struct reader *r, unsigned bytes)
{
    uint64_t v = 0;
    unsigned i;

    for (i = 0; i < bytes; i++) {
        if (r->n > 0) {
            v |= (uint64_t)r->p[0] << (8 * i);
            r->p++;
            r->n--;
        }
    }
    return v;
}

static void
take_bytes(struct reader *r, void *dst, size_t len)
{
    size_t k = len < r->n ? len : r->n;

    memset(dst, 0, len);
    memcpy(dst, r->p, k);
    r->p += k;
    r->n -= k;
}

/* Guest memory: [guard][RW_SIZE][guard] and [guard][RO_SIZE][guard]. */
static uint8_t *rw_mem;
static uint8_t *ro_mem;

static uint8_t *
guarded(size_t size, int prot)
{
    uint8_t *p = mmap(NULL, size + 2 * PAGE, PROT_NONE,
                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

    if (p == MAP_FAILED || mprotect(p + PAGE, size, prot) != 0) {
        abort();
    }
    return p + PAGE;
}

/* Host-owned tables: the device must stay inside them. */
static uint8_t tables[3][TABLE_BYTES];
static uint64_t table_len[3];
static unsigned irqs;

static void
h_interrupt(void *opaque, unsigned index, bool ims)
{
    (void)opaque;
    (void)index;
    (void)ims;
    irqs++;
}

static int
h_table_read(void *opaque, unsigned table, uint64_t off, unsigned size,
             uint64_t *val)
{
    (void)opaque;
    if (table > 2 || off >= table_len[table] || size > table_len[table] - off ||
        off % size != 0) {
        abort();
    }
    *val = 0;
    memcpy(val, &tables[table][off], size);
    return 0;
}

static int
h_table_write(void *opaque, unsigned table, uint64_t off, unsigned size,
              uint64_t val)
{
    (void)opaque;
    if (table > 2 || off >= table_len[table] || size > table_len[table] - off ||
        off % size != 0) {
        abort();
    }
    memcpy(&tables[table][off], &val, size);
    return 0;
}

static int
h_alloc(void *opaque, unsigned vector, bool ims, uint16_t *handle)
{
    (void)opaque;
    if (vector > 50) {
        return -EINVAL;
    }
    *handle = (uint16_t)(vector + (ims ? 200 : 100));
    return 0;
}

static int
h_release(void *opaque, uint16_t handle, bool ims)
{
    (void)opaque;
    (void)ims;
    return handle >= 100 ? 0 : -ENOENT;
}

static unsigned
size_sel(uint64_t v, unsigned max_log2)
{
    return 1u << (unsigned)(v % (max_log2 + 1));
}

/* A descriptor whose addresses are offsets into the RW (or, with bit 15
 * of an offset, RO) guest memory, written to a portal slot. */
static void
op_desc(struct vidxd_dsa *dsa, struct reader *r, uint8_t *bar2)
{
    struct vidxd_desc d;
    unsigned wq = (unsigned)take(r, 1), sel = (unsigned)take(r, 1);
    uint64_t base[3];
    unsigned i;

    memset(&d, 0, sizeof(d));
    d.flags_opcode = (uint32_t)take(r, 1) << VIDXD_DESC_OPCODE_SHIFT;
    d.flags_opcode |= (uint32_t)take(r, 3) & VIDXD_DESC_FLAGS_MASK;
    for (i = 0; i < 3; i++) {
        uint64_t o = take(r, 2);
        base[i] = (o & 0x8000) ? RO_IOVA + (o & 0x7fff) : RW_IOVA + o;
    }
    d.src = base[0];
    d.dst = base[1];
    d.completion_addr = base[2];
    d.xfer_size = (uint32_t)take(r, 2);
    d.int_handle = (uint16_t)take(r, 2);
    d.pasid_priv = (uint32_t)take(r, 1);
    take_bytes(r, d.op_specific, sizeof(d.op_specific));
    {
        uint64_t wqs = vidxd_dsa_bar2_size(dsa) / VIDXD_PORTAL_WQ_STRIDE;
        uint64_t off = (wq % wqs) * VIDXD_PORTAL_WQ_STRIDE +
                       (sel & 3) * VIDXD_PORTAL_PAGE + (sel >> 2) * 64;

        if (bar2 != NULL && (sel & 0x40) != 0) {
            /* Mapped protocol: qwords 1..7, then qword 0. */
            uint64_t *s = (uint64_t *)(bar2 + off);
            const uint64_t *q = (const uint64_t *)&d;
            for (i = 1; i < 8; i++) {
                __atomic_store_n(&s[i], q[i], __ATOMIC_RELAXED);
            }
            __atomic_store_n(&s[0], q[0], __ATOMIC_RELEASE);
            vidxd_dsa_process(dsa);
        } else {
            vidxd_dsa_portal_write(dsa, off, &d, sizeof(d));
        }
    }
}

static void
op_setup(struct vidxd_dsa *dsa, struct reader *r)
{
    unsigned wq = (unsigned)take(r, 1) % 8, size = (unsigned)take(r, 1);
    unsigned mode = (unsigned)take(r, 1), pasid = (unsigned)take(r, 1);
    uint64_t wqcfg = 0x400 + 32ull * wq;
    uint32_t sts;
    uint32_t d2 = ((mode & 1) ? 0 : VIDXD_WQCFG_MODE_DEDICATED) |
                  ((mode & 2) ? VIDXD_WQCFG_BOF : 0) |
                  ((mode & 4) ? VIDXD_WQCFG_PASID_EN : 0) |
                  ((mode & 8) ? VIDXD_WQCFG_PRIV : 0) |
                  (((mode >> 4) | 1) << VIDXD_WQCFG_PRIORITY_SHIFT) |
                  (pasid << VIDXD_WQCFG_PASID_SHIFT);

    vidxd_dsa_bar0_write(dsa, 0x300, 8, 0xff);
    vidxd_dsa_bar0_write(dsa, 0x320, 8, 0x1);
    vidxd_dsa_bar0_write(dsa, wqcfg, 4, size % 33);
    vidxd_dsa_bar0_write(dsa, wqcfg + 4, 4, size % 5);
    vidxd_dsa_bar0_write(dsa, wqcfg + 8, 4, d2);
    vidxd_dsa_bar0_write(dsa, wqcfg + 12, 4, 31 | (10u << 5));
    vidxd_dsa_command(dsa, VIDXD_CMD_ENABLE_DEVICE << 20, &sts);
    vidxd_dsa_command(dsa, (VIDXD_CMD_ENABLE_WQ << 20) | wq, &sts);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct reader r = {data, size};
    struct vidxd_dsa_config cfg;
    struct vidxd_dsa_host_ops ops = {
        .interrupt = h_interrupt,
        .table_read = h_table_read,
        .table_write = h_table_write,
    };
    struct vidxd_dsa_layout lay;
    struct vidxd_dsa *dsa = NULL;
    struct vidxd_as *as = NULL, *as_pasid = NULL;
    uint8_t *bar2 = NULL;
    uint64_t bar2_size = 0;
    unsigned conf, steps = 0;

    if (rw_mem == NULL) {
        unsigned i;
        rw_mem = guarded(RW_SIZE, PROT_READ | PROT_WRITE);
        ro_mem = guarded(RO_SIZE, PROT_READ | PROT_WRITE);
        for (i = 0; i < RO_SIZE; i++) {
            ro_mem[i] = (uint8_t)(i * 7);
        }
        mprotect(ro_mem, RO_SIZE, PROT_READ);
    }
    memset(rw_mem, 0, RW_SIZE);
    irqs = 0;

    conf = (unsigned)take(&r, 1);
    vidxd_dsa_config_default(&cfg);
    cfg.configurable = (conf & 1) == 0;
    cfg.cmd_cap = (conf & 2) != 0;
    cfg.portal_mode =
        (conf & 4) ? VIDXD_DSA_PORTAL_MAPPED : VIDXD_DSA_PORTAL_TRAPPED;
    cfg.shared_mode = (conf & 8) != 0;
    if (conf & 16) {
        ops.alloc_handle = h_alloc;
        ops.release_handle = h_release;
    }
    if (conf & 64) {
        cfg.wqcfg_stride = VIDXD_WQCFG_STRIDE_DSA2;
        cfg.wqcfg_offset = 0x400;
        cfg.grpcfg_offset = 0x300;
    }
    if (vidxd_dsa_create(&cfg, &ops, NULL, &dsa) != 0) {
        abort();
    }
    vidxd_dsa_get_layout(dsa, &lay);
    table_len[0] = (uint64_t)lay.num_msix * 16;
    table_len[1] = ((lay.num_msix + 63) / 64) * 8ull;
    table_len[2] = (uint64_t)lay.num_ims * 16;
    if (vidxd_as_create(0, &as) != 0 || vidxd_as_create(1, &as_pasid) != 0 ||
        vidxd_as_map(as, RW_IOVA, RW_SIZE, rw_mem,
                     VIDXD_MEM_READ | VIDXD_MEM_WRITE) != 0 ||
        vidxd_as_map(as, RO_IOVA, RO_SIZE, ro_mem, VIDXD_MEM_READ) != 0 ||
        vidxd_as_map(as_pasid, RW_IOVA, RW_SIZE / 2, rw_mem,
                     VIDXD_MEM_READ | VIDXD_MEM_WRITE) != 0) {
        abort();
    }
    vidxd_dsa_set_as(dsa, as);
    if ((conf & 32) == 0) {
        vidxd_dsa_set_bus_master(dsa, true);
    }
    bar2_size = vidxd_dsa_bar2_size(dsa);
    if (cfg.portal_mode == VIDXD_DSA_PORTAL_MAPPED) {
        int fd;
        if (vidxd_dsa_portal_fd(dsa, &fd) != 0) {
            abort();
        }
        bar2 = mmap(NULL, bar2_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (bar2 == MAP_FAILED) {
            abort();
        }
    }

    while (r.n > 0 && steps++ < 4096) {
        unsigned op = (unsigned)take(&r, 1) % OP_COUNT;

        switch (op) {
        case OP_REG_WRITE: {
            uint64_t off = take(&r, 2);
            unsigned sz = size_sel(take(&r, 1), 3);
            vidxd_dsa_bar0_write(dsa, off, sz, take(&r, 8));
            break;
        }
        case OP_REG_READ: {
            uint64_t off = take(&r, 2), v;
            unsigned sz = size_sel(take(&r, 1), 3);
            vidxd_dsa_bar0_read(dsa, off, sz, &v);
            break;
        }
        case OP_PORTAL_WRITE: {
            uint8_t buf[64];
            uint64_t off = take(&r, 4) % (bar2_size + 128);
            unsigned sz = size_sel(take(&r, 1), 6);
            take_bytes(&r, buf, sz);
            vidxd_dsa_portal_write(dsa, off, buf, sz);
            break;
        }
        case OP_MEM_WRITE: {
            unsigned off = (unsigned)take(&r, 2) % RW_SIZE;
            unsigned len = (unsigned)take(&r, 1);
            if (len > RW_SIZE - off) {
                len = RW_SIZE - off;
            }
            take_bytes(&r, rw_mem + off, len);
            break;
        }
        case OP_COMMAND: {
            uint32_t sts;
            vidxd_dsa_command(dsa, (uint32_t)take(&r, 4), &sts);
            break;
        }
        case OP_BME:
            vidxd_dsa_set_bus_master(dsa, take(&r, 1) & 1);
            break;
        case OP_SUBMIT: {
            struct vidxd_desc d;
            unsigned wq = (unsigned)take(&r, 1), fl = (unsigned)take(&r, 1);
            take_bytes(&r, &d, sizeof(d));
            vidxd_dsa_wq_submit(dsa, wq % 9, &d, fl % 5);
            break;
        }
        case OP_PROCESS:
            vidxd_dsa_process(dsa);
            break;
        case OP_RESET:
            vidxd_dsa_reset(dsa);
            vidxd_dsa_set_bus_master(dsa, true);
            break;
        case OP_SETUP:
            op_setup(dsa, &r);
            break;
        case OP_MAPPED_WRITE: {
            uint64_t off = (take(&r, 4) % bar2_size) & ~7ull;
            uint64_t v = take(&r, 8);
            if (bar2 != NULL) {
                __atomic_store_n((uint64_t *)(bar2 + off), v, __ATOMIC_RELEASE);
            }
            break;
        }
        case OP_DESC:
            op_desc(dsa, &r, bar2);
            break;
        default: { /* OP_PASID_AS */
            unsigned pasid = (unsigned)take(&r, 1);
            if (take(&r, 1) & 1) {
                vidxd_dsa_attach_pasid_as(dsa, pasid, as_pasid);
            } else {
                vidxd_dsa_detach_pasid_as(dsa, pasid);
            }
            break;
        }
        }
    }
    vidxd_dsa_process(dsa);
    if (getenv("FUZZ_DSA_TRACE") != NULL) {
        /* Seed checking: what the sequence reached. */
        uint64_t gensts = 0, swerr = 0;
        unsigned w;
        vidxd_dsa_bar0_read(dsa, VIDXD_REG_GENSTS, 4, &gensts);
        vidxd_dsa_bar0_read(dsa, VIDXD_REG_SWERR, 8, &swerr);
        fprintf(stderr, "irqs %u gensts %llx swerr %llx\n", irqs,
                (unsigned long long)gensts, (unsigned long long)swerr);
        for (w = 0; w < 8; w++) {
            struct vidxd_dsa_wq_stats st;
            vidxd_dsa_wq_stats(dsa, w, &st);
            if (st.submitted || st.dropped || st.rejected) {
                fprintf(stderr,
                        "wq%u submitted %llu ops %llu errors %llu dropped "
                        "%llu rejected %llu aborted %llu\n",
                        w, (unsigned long long)st.submitted,
                        (unsigned long long)st.ops,
                        (unsigned long long)st.errors,
                        (unsigned long long)st.dropped,
                        (unsigned long long)st.rejected,
                        (unsigned long long)st.aborted);
            }
        }
        for (w = 0; w < 8; w++) {
            fprintf(stderr, "cr@0x%x status %02x\n", 0x3000 + 32 * w,
                    rw_mem[0x3000 + 32 * w]);
        }
    }
    if (bar2 != NULL) {
        munmap(bar2, bar2_size);
    }
    vidxd_dsa_destroy(dsa);
    vidxd_as_destroy(as_pasid);
    vidxd_as_destroy(as);
    return 0;
}
