// SPDX-License-Identifier: GPL-2.0
/*
 * vidxd e2e guest test driver.  It binds to a DSA device (PCI 8086:0b25)
 * served by vidxd, drives it the way the Linux idxd driver does (probe
 * sequence, one dedicated WQ, MSI-X vector 0 for commands and wq+1 for
 * completions) but submits descriptors with eight plain 8-byte stores
 * instead of MOVDIR64B, which QEMU TCG does not implement (dsa.md §0 item 1).
 * It runs a fixed plan of checks (register probe, commands, memmove, fill,
 * CRC, batch, slot reuse, bursts, interrupt accounting) and reports each on
 * the console as "vidxd-e2e: PASS name" or "vidxd-e2e: FAIL name: why",
 * closing with "vidxd-e2e: DONE pass=N fail=M".  The module load fails
 * (-ENODEV without a device, -EIO if any check failed), so insmod's status
 * tells the result too.  Register and descriptor layouts are written here
 * from the DSA specification digest (dsa.md §1, §3) independently of the
 * daemon's spec.h, so that this driver is an independent oracle.
 */

#include <linux/module.h>
#include <linux/pci.h>
#include <linux/interrupt.h>
#include <linux/delay.h>
#include <linux/dma-mapping.h>
#include <linux/io.h>
#include <linux/crc32.h>
#include <linux/completion.h>
#include <linux/wait.h>
#include <linux/atomic.h>
#include <linux/jiffies.h>
#include <linux/version.h>
#include <linux/slab.h>

#define DRV "vidxd_e2e"
#define TAG "vidxd-e2e: "

/* BAR0 registers (dsa.md §1.2). */
#define REG_VERSION 0x00
#define REG_GENCAP 0x10
#define REG_WQCAP 0x20
#define REG_GRPCAP 0x30
#define REG_ENGCAP 0x38
#define REG_OPCAP 0x40
#define REG_OFFSETS 0x60
#define REG_GENCTRL 0x88
#define REG_GENSTS 0x90
#define REG_INTCAUSE 0x98
#define REG_CMD 0xa0
#define REG_CMDSTS 0xa8
#define REG_SWERR 0xc0

#define GENCTRL_SOFTERR_EN BIT(0)
#define GENCTRL_HALT_EN BIT(1)
#define GENSTS_STATE(v) ((v) & 3)
#define GENSTS_DISABLED 0
#define GENSTS_ENABLED 1
#define GENSTS_HALT 3
#define INTCAUSE_ERR BIT(0)
#define INTCAUSE_CMD BIT(1)

/* Commands (dsa.md §1.4). */
#define CMD_ENABLE_DEVICE 1
#define CMD_DISABLE_DEVICE 2
#define CMD_RESET_DEVICE 5
#define CMD_ENABLE_WQ 6
#define CMD_DISABLE_WQ 7
#define CMD_INT_REQ BIT(31)
#define CMDSTS_ACTIVE BIT(31)
#define CMDSTS_ERR(v) ((v) & 0xff)

/* Capability fields (dsa.md §1.3). */
#define GENCAP_MAX_XFER_SHIFT(v) (((v) >> 16) & 0x1f)
#define GENCAP_MAX_BATCH_SHIFT(v) (((v) >> 21) & 0xf)
#define GENCAP_CONFIG_EN(v) (((v) >> 31) & 1)
#define WQCAP_TOTAL_SIZE(v) ((v) & 0xffff)
#define WQCAP_NUM_WQS(v) (((v) >> 16) & 0xff)
#define WQCAP_WQCFG_SIZE(v) (((v) >> 24) & 0xf)
#define WQCAP_DEDICATED(v) (((v) >> 49) & 1)
#define GRPCAP_NUM_GROUPS(v) ((v) & 0xff)
#define GRPCAP_TOTAL_RDBUFS(v) (((v) >> 8) & 0xff)
#define ENGCAP_NUM_ENGINES(v) ((v) & 0xff)
#define TABLE_MULT 0x100

/* Configuration tables (dsa.md §1.5). */
#define GRPCFG_SIZE 64
#define GRPCFG_WQS 0x00
#define GRPCFG_ENGINES 0x20
#define GRPCFG_FLAGS 0x28
#define WQCFG_MODE_DEDICATED BIT(0)
#define WQCFG_PRIORITY_SHIFT 4
#define WQCFG_MAX_BATCH_SHIFT_SHIFT 5
#define WQCFG_STATE(v) (((v) >> 30) & 3)

/* Portals (dsa.md §1.7): WQ stride 16 KiB, page 1 = limited MSI-X. */
#define PORTAL_WQ_STRIDE 0x4000
#define PORTAL_LIMITED_MSIX 0x1000
#define PORTAL_SIZE 0x1000

/* Descriptors and completion records (dsa.md §3). */
#define OP_NOOP 0x00
#define OP_BATCH 0x01
#define OP_MEMMOVE 0x03
#define OP_MEMFILL 0x04
#define OP_CRCGEN 0x10
#define FLAG_CRAV 0x0004
#define FLAG_RCR 0x0008
#define FLAG_RCI 0x0010
#define STATUS_SUCCESS 0x01
#define STATUS_MASK 0x7f
#define CRC32C_CHECK 0xe3069283u /* "123456789", seed 0 (dsa.md §0 item 10) */

struct hw_desc {
	u32 pasid_priv;
	u32 flags_opcode; /* [23:0] flags, [31:24] opcode */
	u64 completion_addr;
	u64 src; /* src / pattern / desc_list_addr */
	u64 dst;
	u32 size; /* xfer_size / desc_count */
	u16 int_handle;
	u16 rsvd;
	u32 op[6]; /* CRC: op[0] = seed, op[2..3] = seed_addr */
} __packed;

struct hw_comp {
	u8 status;
	u8 result;
	u8 fault_info;
	u8 rsvd;
	u32 bytes_completed; /* descs_completed for BATCH */
	u64 fault_addr;
	u32 crc_val; /* at 0x10 (dsa.md §3.2) */
	u32 rsvd2[3];
} __packed;

static_assert(sizeof(struct hw_desc) == 64);
static_assert(sizeof(struct hw_comp) == 32);

static unsigned int wq_size = 16;
module_param(wq_size, uint, 0444);
MODULE_PARM_DESC(wq_size, "size of WQ 0 in descriptors (default 16)");
static unsigned int timeout_ms = 10000;
module_param(timeout_ms, uint, 0444);
MODULE_PARM_DESC(timeout_ms, "timeout of each command and descriptor (default 10000)");
static unsigned int reuse_count = 80;
module_param(reuse_count, uint, 0444);
MODULE_PARM_DESC(reuse_count, "descriptors in the slot-reuse test (default 80 > 64 slots)");

/* Buffers in one DMA-coherent area; every offset is 64-byte aligned. */
#define AREA_SIZE (64 * 1024)
#define OFF_SRC 0x0000 /* 8 KiB */
#define OFF_DST 0x2000 /* 8 KiB */
#define OFF_DST2 0x4000 /* 8 KiB */
#define OFF_LIST 0x6000 /* batch descriptor list, 1 KiB */
#define OFF_CR 0x7000 /* 128 completion records of 32 bytes */
#define NUM_CR 128
#define OFF_BULK 0x8000 /* 32 KiB for slot-reuse and bursts */
#define BULK_SIZE 0x8000

#define MAX_ARMED 64

/*
 * Checks in a full run: bars version caps reset msix configure enable-device
 * enable-wq noop memmove fill crc-check-value crc crc-seed batch slot-reuse
 * burst irq-count no-swerr disable-wq disable-device.
 */
#define PLAN 21

struct e2e {
	struct pci_dev *pdev;
	void __iomem *bar0;
	void __iomem *bar2;
	void __iomem *portal;
	unsigned int portal_slot;
	u64 gencap, wqcap, grpcap, engcap, opcap[4], offsets[2];
	unsigned int num_wqs, num_groups, num_engines, wqcfg_stride;
	u32 grpcfg_off, wqcfg_off;
	int nvec;
	bool irq0, irq1;
	bool dev_enabled, wq_enabled;
	u8 *area;
	dma_addr_t area_dma;

	/* Command interrupt (vector 0). */
	struct completion cmd_done;
	atomic_t cmd_irqs;
	atomic_t err_irqs;
	u32 last_cause;

	/* Completion interrupts (vector wq+1). */
	wait_queue_head_t wq_wait;
	atomic_t wq_irqs; /* since the last arm() */
	atomic_t wq_irqs_total;
	atomic_t early_irqs; /* interrupts before a matching CR was visible */
	struct hw_comp *armed[MAX_ARMED];
	atomic_t narmed;
	unsigned int expected_irqs_total;

	int pass, fail;
	bool fatal;
};

static struct e2e *the_dev;
static bool probed;

static void result(struct e2e *e, bool ok, const char *name, const char *fmt, ...)
	__printf(4, 5);

static void
passed(struct e2e *e, const char *name)
{
	e->pass++;
	pr_info(TAG "PASS %s\n", name);
}

static void
result(struct e2e *e, bool ok, const char *name, const char *fmt, ...)
{
	struct va_format vaf;
	va_list args;

	if (ok) {
		passed(e, name);
		return;
	}
	e->fail++;
	va_start(args, fmt);
	vaf.fmt = fmt;
	vaf.va = &args;
	pr_info(TAG "FAIL %s: %pV\n", name, &vaf);
	va_end(args);
}

/* ---- interrupts ---------------------------------------------------- */

static irqreturn_t
misc_irq(int irq, void *data)
{
	struct e2e *e = data;
	u32 cause = ioread32(e->bar0 + REG_INTCAUSE);

	if (!cause)
		return IRQ_NONE;
	/* INTCAUSE is RW1C: acknowledge what we saw (dsa.md §2.3). */
	iowrite32(cause, e->bar0 + REG_INTCAUSE);
	e->last_cause |= cause;
	if (cause & INTCAUSE_ERR) {
		u64 sw0 = readq(e->bar0 + REG_SWERR);

		atomic_inc(&e->err_irqs);
		pr_info(TAG "INFO SWERR %016llx %016llx %016llx\n", sw0,
			readq(e->bar0 + REG_SWERR + 8),
			readq(e->bar0 + REG_SWERR + 16));
		writeq(sw0 & 3, e->bar0 + REG_SWERR);
	}
	if (cause & INTCAUSE_CMD) {
		atomic_inc(&e->cmd_irqs);
		complete(&e->cmd_done);
	}
	return IRQ_HANDLED;
}

/*
 * The k-th completion interrupt since arm() must find at least k armed
 * completion records already written: the device writes the record before
 * it signals (dsa.md §3.2 write-order rule, design.md invariant 3).
 */
static irqreturn_t
wq_irq(int irq, void *data)
{
	struct e2e *e = data;
	int n = atomic_read(&e->narmed);
	int i, visible = 0, k;

	for (i = 0; i < n && i < MAX_ARMED; i++) {
		if (READ_ONCE(e->armed[i]->status))
			visible++;
	}
	k = atomic_inc_return(&e->wq_irqs);
	atomic_inc(&e->wq_irqs_total);
	if (visible < k)
		atomic_inc(&e->early_irqs);
	wake_up(&e->wq_wait);
	return IRQ_HANDLED;
}

/* ---- commands ------------------------------------------------------ */

static int
poll_cmdsts(struct e2e *e, u32 *sts)
{
	unsigned long end = jiffies + msecs_to_jiffies(timeout_ms);

	for (;;) {
		*sts = ioread32(e->bar0 + REG_CMDSTS);
		if (!(*sts & CMDSTS_ACTIVE))
			return 0;
		if (time_after(jiffies, end))
			return -ETIMEDOUT;
		usleep_range(100, 1000);
	}
}

/*
 * Issues a command with int_req and waits for the vector-0 interrupt with
 * INTCAUSE.CMD, as idxd_cmd_exec() does (dsa.md §0 item 3), but bounded.
 */
static int
run_cmd(struct e2e *e, const char *name, u32 cmd, u32 operand, u32 *err)
{
	u32 sts;
	int before = atomic_read(&e->cmd_irqs);

	reinit_completion(&e->cmd_done);
	iowrite32((cmd << 20) | operand | CMD_INT_REQ, e->bar0 + REG_CMD);
	if (!wait_for_completion_timeout(&e->cmd_done, msecs_to_jiffies(timeout_ms))) {
		poll_cmdsts(e, &sts);
		result(e, false, name,
		       "no command interrupt within %u ms (CMDSTS %#x INTCAUSE %#x)",
		       timeout_ms, sts, ioread32(e->bar0 + REG_INTCAUSE));
		return -ETIMEDOUT;
	}
	if (poll_cmdsts(e, &sts)) {
		result(e, false, name, "CMDSTS still active after the interrupt (%#x)", sts);
		return -ETIMEDOUT;
	}
	if (atomic_read(&e->cmd_irqs) != before + 1) {
		result(e, false, name, "%d command interrupts, expected 1",
		       atomic_read(&e->cmd_irqs) - before);
		return -EIO;
	}
	*err = CMDSTS_ERR(sts);
	return 0;
}

/* ---- descriptor submission ---------------------------------------- */

static inline struct hw_comp *
cr_at(struct e2e *e, unsigned int i)
{
	return (struct hw_comp *)(e->area + OFF_CR + i * sizeof(struct hw_comp));
}

static inline dma_addr_t
dma_of(struct e2e *e, const void *p)
{
	return e->area_dma + ((const u8 *)p - e->area);
}

static void
arm(struct e2e *e, struct hw_comp **crs, int n)
{
	int i;

	atomic_set(&e->narmed, 0);
	atomic_set(&e->wq_irqs, 0);
	for (i = 0; i < n && i < MAX_ARMED; i++) {
		memset(crs[i], 0, sizeof(*crs[i]));
		e->armed[i] = crs[i];
	}
	smp_wmb();
	atomic_set(&e->narmed, n);
}

static void
fill_desc(struct e2e *e, struct hw_desc *d, u8 op, u32 flags, struct hw_comp *cr)
{
	memset(d, 0, sizeof(*d));
	d->flags_opcode = ((u32)op << 24) | flags;
	d->completion_addr = dma_of(e, cr);
	/* Interrupt handle = MSI-X index of WQ 0's vector (dsa.md §2.3 step 6). */
	d->int_handle = 1;
}

/*
 * Writes one descriptor into the next 64-byte slot of the limited MSI-X
 * portal as eight 8-byte stores, qwords 1..7 first and qword 0 (PASID,
 * flags, opcode) last, after the slot's qword 0 reads back zero: vidxd's
 * protocol for drivers without MOVDIR64B on a mapped portal (design.md
 * "Portals"); on a trapped portal the device assembles the pieces anyway.
 */
static int
submit(struct e2e *e, const struct hw_desc *d)
{
	void __iomem *slot = e->portal + e->portal_slot * 64;
	const u64 *q = (const u64 *)d;
	unsigned long end = jiffies + msecs_to_jiffies(timeout_ms);
	int i;

	while (readq(slot) != 0) {
		if (time_after(jiffies, end))
			return -EBUSY;
		usleep_range(50, 200);
	}
	/* The descriptor and its buffers are visible before the doorbell. */
	wmb();
	for (i = 1; i < 8; i++)
		writeq(q[i], slot + i * 8);
	wmb();
	writeq(q[0], slot);
	e->portal_slot = (e->portal_slot + 1) % (PORTAL_SIZE / 64);
	return 0;
}

static int
wait_status(struct e2e *e, struct hw_comp *cr)
{
	unsigned long end = jiffies + msecs_to_jiffies(timeout_ms);

	while (!READ_ONCE(cr->status)) {
		if (time_after(jiffies, end))
			return -ETIMEDOUT;
		usleep_range(20, 200);
	}
	rmb();
	return 0;
}

static int
wait_irqs(struct e2e *e, int n)
{
	long left = wait_event_timeout(e->wq_wait, atomic_read(&e->wq_irqs) >= n,
				       msecs_to_jiffies(timeout_ms));

	return left ? 0 : -ETIMEDOUT;
}

/*
 * Submits a single descriptor and waits for its record and its interrupt;
 * returns 0 if both arrived with status SUCCESS, exactly one interrupt and
 * no interrupt before the record.
 */
static int
run_one(struct e2e *e, const char *name, struct hw_desc *d, struct hw_comp *cr)
{
	int rc, early;

	arm(e, &cr, 1);
	early = atomic_read(&e->early_irqs);
	rc = submit(e, d);
	if (rc) {
		result(e, false, name, "portal slot %u busy (qword 0 never read back 0)",
		       e->portal_slot);
		return rc;
	}
	e->expected_irqs_total++;
	if (wait_status(e, cr)) {
		result(e, false, name, "no completion record within %u ms", timeout_ms);
		return -ETIMEDOUT;
	}
	if ((cr->status & STATUS_MASK) != STATUS_SUCCESS) {
		result(e, false, name, "status %#x (expected 0x01), bytes_completed %u, fault_addr %#llx",
		       cr->status, cr->bytes_completed, cr->fault_addr);
		/* Still collect the interrupt so the count stays in step. */
		wait_irqs(e, 1);
		return -EIO;
	}
	if (wait_irqs(e, 1)) {
		result(e, false, name, "completion record written but no interrupt on vector 1 within %u ms",
		       timeout_ms);
		return -ETIMEDOUT;
	}
	if (atomic_read(&e->early_irqs) != early) {
		result(e, false, name, "interrupt arrived before the completion record was visible");
		return -EIO;
	}
	return 0;
}

/* ---- tests --------------------------------------------------------- */

static void
pattern(u8 *p, size_t n, u32 seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (u8)((i * 131 + seed) ^ (i >> 7) ^ (seed >> 8));
}

static int
first_diff(const u8 *a, const u8 *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (a[i] != b[i])
			return i;
	}
	return -1;
}

static u32
ref_crc32c(u32 seed, const u8 *p, size_t n)
{
	/* DSA: init = ~seed, output inverted (dsa.md §3.1 CRC algorithm). */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 14, 0)
	return ~crc32c(~seed, p, n);
#else
	return ~__crc32c_le(~seed, p, n);
#endif
}

static void
test_noop(struct e2e *e)
{
	struct hw_desc d;
	struct hw_comp *cr = cr_at(e, 0);

	fill_desc(e, &d, OP_NOOP, FLAG_CRAV | FLAG_RCR | FLAG_RCI, cr);
	if (!run_one(e, "noop", &d, cr))
		passed(e, "noop");
}

static void
test_memmove(struct e2e *e)
{
	/* Unaligned, crossing a page boundary inside each buffer. */
	const size_t len = 5000, soff = 3, doff = 61;
	u8 *src = e->area + OFF_SRC + soff, *dst = e->area + OFF_DST + doff;
	struct hw_comp *cr = cr_at(e, 1);
	struct hw_desc d;
	int diff;

	pattern(e->area + OFF_SRC, 0x2000, 1);
	memset(e->area + OFF_DST, 0xa5, 0x2000);
	fill_desc(e, &d, OP_MEMMOVE, FLAG_CRAV | FLAG_RCR | FLAG_RCI, cr);
	d.src = dma_of(e, src);
	d.dst = dma_of(e, dst);
	d.size = len;
	if (run_one(e, "memmove", &d, cr))
		return;
	diff = first_diff(src, dst, len);
	if (diff >= 0) {
		result(e, false, "memmove", "data differs at byte %d (%#x != %#x)", diff,
		       dst[diff], src[diff]);
		return;
	}
	if (dst[-1] != 0xa5 || dst[len] != 0xa5) {
		result(e, false, "memmove", "bytes outside the destination were written");
		return;
	}
	passed(e, "memmove");
}

static void
test_fill(struct e2e *e)
{
	const u64 pat = 0x0123456789abcdefull;
	const size_t len = 1003, doff = 8;
	u8 *dst = e->area + OFF_DST + doff;
	struct hw_comp *cr = cr_at(e, 2);
	struct hw_desc d;
	size_t i;

	memset(e->area + OFF_DST, 0x5a, 0x2000);
	fill_desc(e, &d, OP_MEMFILL, FLAG_CRAV | FLAG_RCR | FLAG_RCI, cr);
	d.src = pat;
	d.dst = dma_of(e, dst);
	d.size = len;
	if (run_one(e, "fill", &d, cr))
		return;
	for (i = 0; i < len; i++) {
		/* The pattern repeats byte for byte, little-endian. */
		if (dst[i] != (u8)(pat >> (8 * (i % 8)))) {
			result(e, false, "fill", "byte %zu is %#x, expected %#x", i, dst[i],
			       (u8)(pat >> (8 * (i % 8))));
			return;
		}
	}
	if (dst[-1] != 0x5a || dst[len] != 0x5a) {
		result(e, false, "fill", "bytes outside the destination were written");
		return;
	}
	passed(e, "fill");
}

static void
one_crc(struct e2e *e, const char *name, const u8 *buf, size_t len, u32 seed, u32 expect)
{
	struct hw_comp *cr = cr_at(e, 3);
	struct hw_desc d;

	fill_desc(e, &d, OP_CRCGEN, FLAG_CRAV | FLAG_RCR | FLAG_RCI, cr);
	d.src = dma_of(e, buf);
	d.size = len;
	d.op[0] = seed;
	if (run_one(e, name, &d, cr))
		return;
	if (cr->crc_val != expect) {
		result(e, false, name, "crc_val %#010x, expected %#010x", cr->crc_val, expect);
		return;
	}
	passed(e, name);
}

static void
test_crc(struct e2e *e)
{
	u8 *src = e->area + OFF_SRC;
	u32 ref;

	/* The standard check value, independent of the kernel's code. */
	memcpy(src, "123456789", 9);
	ref = ref_crc32c(0, src, 9);
	if (ref != CRC32C_CHECK)
		result(e, false, "crc-reference", "kernel crc32c gives %#x for the check string", ref);
	one_crc(e, "crc-check-value", src, 9, 0, CRC32C_CHECK);

	pattern(src, 4099, 7);
	one_crc(e, "crc", src + 1, 4097, 0, ref_crc32c(0, src + 1, 4097));
	one_crc(e, "crc-seed", src + 1, 4097, 0x12345678u,
		ref_crc32c(0x12345678u, src + 1, 4097));
}

/*
 * A batch of four descriptors (memmove, fill, CRC, memmove).  Only the
 * batch descriptor asks for an interrupt: interrupts raised in a burst can
 * merge in the eventfd between vidxd and QEMU, so exact counting needs one
 * interrupt per wait.
 */
static void
test_batch(struct e2e *e)
{
	struct hw_desc *list = (struct hw_desc *)(e->area + OFF_LIST);
	struct hw_comp *bcr = cr_at(e, 4), *scr[4];
	u8 *src = e->area + OFF_SRC, *dst = e->area + OFF_DST, *dst2 = e->area + OFF_DST2;
	const u64 pat = 0xfeedfacecafebeefull;
	struct hw_desc d;
	int i, diff;

	for (i = 0; i < 4; i++) {
		scr[i] = cr_at(e, 5 + i);
		memset(scr[i], 0, sizeof(*scr[i]));
	}
	pattern(src, 0x2000, 3);
	memset(dst, 0, 0x2000);
	memset(dst2, 0, 0x2000);

	fill_desc(e, &list[0], OP_MEMMOVE, FLAG_CRAV | FLAG_RCR, scr[0]);
	list[0].src = dma_of(e, src);
	list[0].dst = dma_of(e, dst);
	list[0].size = 2048;
	fill_desc(e, &list[1], OP_MEMFILL, FLAG_CRAV | FLAG_RCR, scr[1]);
	list[1].src = pat;
	list[1].dst = dma_of(e, dst2);
	list[1].size = 512;
	fill_desc(e, &list[2], OP_CRCGEN, FLAG_CRAV | FLAG_RCR, scr[2]);
	list[2].src = dma_of(e, src + 100);
	list[2].size = 1000;
	fill_desc(e, &list[3], OP_MEMMOVE, FLAG_CRAV | FLAG_RCR, scr[3]);
	list[3].src = dma_of(e, src + 4096);
	list[3].dst = dma_of(e, dst + 4096);
	list[3].size = 4096;
	for (i = 0; i < 4; i++)
		list[i].int_handle = 0;

	fill_desc(e, &d, OP_BATCH, FLAG_CRAV | FLAG_RCR | FLAG_RCI, bcr);
	d.src = dma_of(e, list);
	d.size = 4;
	if (run_one(e, "batch", &d, bcr))
		return;
	if (bcr->bytes_completed != 4) {
		result(e, false, "batch", "descs_completed %u, expected 4", bcr->bytes_completed);
		return;
	}
	for (i = 0; i < 4; i++) {
		if ((scr[i]->status & STATUS_MASK) != STATUS_SUCCESS) {
			result(e, false, "batch", "descriptor %d status %#x", i, scr[i]->status);
			return;
		}
	}
	diff = first_diff(src, dst, 2048);
	if (diff < 0)
		diff = first_diff(src + 4096, dst + 4096, 4096);
	if (diff >= 0 || dst[2048] != 0) {
		result(e, false, "batch", "memmove data wrong (first difference %d)", diff);
		return;
	}
	for (i = 0; i < 512; i++) {
		if (dst2[i] != (u8)(pat >> (8 * (i % 8)))) {
			result(e, false, "batch", "fill data wrong at byte %d", i);
			return;
		}
	}
	if (dst2[512] != 0) {
		result(e, false, "batch", "fill wrote past its end");
		return;
	}
	if (scr[2]->crc_val != ref_crc32c(0, src + 100, 1000)) {
		result(e, false, "batch", "crc_val %#x, expected %#x", scr[2]->crc_val,
		       ref_crc32c(0, src + 100, 1000));
		return;
	}
	passed(e, "batch");
}

/*
 * More descriptors than the portal page has slots, one at a time: every
 * slot is used and then reused, which exercises the qword-0 handshake.
 */
static void
test_slot_reuse(struct e2e *e)
{
	u8 *bulk = e->area + OFF_BULK;
	unsigned int i, chunk = 128, half = BULK_SIZE / 2;
	struct hw_comp *cr = cr_at(e, 9);
	struct hw_desc d;
	int diff;

	pattern(bulk, half, 11);
	memset(bulk + half, 0, half);
	for (i = 0; i < reuse_count; i++) {
		unsigned int off = (i * chunk) % half;

		fill_desc(e, &d, OP_MEMMOVE, FLAG_CRAV | FLAG_RCR | FLAG_RCI, cr);
		d.src = dma_of(e, bulk + off);
		d.dst = dma_of(e, bulk + half + off);
		d.size = chunk;
		if (run_one(e, "slot-reuse", &d, cr))
			return;
		diff = first_diff(bulk + off, bulk + half + off, chunk);
		if (diff >= 0) {
			result(e, false, "slot-reuse", "descriptor %u: data differs at byte %d", i,
			       diff);
			return;
		}
	}
	passed(e, "slot-reuse");
}

/*
 * Several descriptors in flight at once (at most the WQ size, so none is
 * dropped).  Interrupts may merge on the way (eventfd), so the count is
 * checked as 1..n here; exact counts are checked by the serial tests.
 */
static void
test_burst(struct e2e *e)
{
	unsigned int n = min(8u, wq_size), i, chunk = 1024;
	u8 *bulk = e->area + OFF_BULK, *out = bulk + BULK_SIZE / 2;
	struct hw_comp *crs[8];
	struct hw_desc d;
	int irqs, early = atomic_read(&e->early_irqs);

	pattern(bulk, n * chunk, 13);
	memset(out, 0, n * chunk);
	for (i = 0; i < n; i++)
		crs[i] = cr_at(e, 16 + i);
	arm(e, crs, n);
	for (i = 0; i < n; i++) {
		fill_desc(e, &d, OP_MEMMOVE, FLAG_CRAV | FLAG_RCR | FLAG_RCI, crs[i]);
		d.src = dma_of(e, bulk + i * chunk);
		d.dst = dma_of(e, out + i * chunk);
		d.size = chunk;
		if (submit(e, &d)) {
			result(e, false, "burst", "portal slot busy at descriptor %u", i);
			return;
		}
	}
	for (i = 0; i < n; i++) {
		if (wait_status(e, crs[i])) {
			result(e, false, "burst", "descriptor %u not completed within %u ms", i,
			       timeout_ms);
			return;
		}
		if ((crs[i]->status & STATUS_MASK) != STATUS_SUCCESS) {
			result(e, false, "burst", "descriptor %u status %#x", i, crs[i]->status);
			return;
		}
	}
	if (wait_irqs(e, 1)) {
		result(e, false, "burst", "no completion interrupt");
		return;
	}
	/* Let merged or late interrupts land before counting. */
	msleep(200);
	irqs = atomic_read(&e->wq_irqs);
	/* From here the total is only checked as a range. */
	e->expected_irqs_total += irqs;
	if (irqs < 1 || irqs > n) {
		result(e, false, "burst", "%d interrupts for %u completions", irqs, n);
		return;
	}
	if (atomic_read(&e->early_irqs) != early) {
		result(e, false, "burst", "an interrupt arrived before its completion record");
		return;
	}
	if (first_diff(bulk, out, n * chunk) >= 0) {
		result(e, false, "burst", "data differs");
		return;
	}
	pr_info(TAG "INFO burst: %u completions, %d interrupts\n", n, irqs);
	passed(e, "burst");
}

/* ---- probe --------------------------------------------------------- */

static int
read_caps(struct e2e *e)
{
	u32 version = ioread32(e->bar0 + REG_VERSION);
	int i;

	e->gencap = readq(e->bar0 + REG_GENCAP);
	e->wqcap = readq(e->bar0 + REG_WQCAP);
	e->grpcap = readq(e->bar0 + REG_GRPCAP);
	e->engcap = readq(e->bar0 + REG_ENGCAP);
	for (i = 0; i < 4; i++)
		e->opcap[i] = readq(e->bar0 + REG_OPCAP + 8 * i);
	e->offsets[0] = readq(e->bar0 + REG_OFFSETS);
	e->offsets[1] = readq(e->bar0 + REG_OFFSETS + 8);
	e->num_wqs = WQCAP_NUM_WQS(e->wqcap);
	e->num_groups = GRPCAP_NUM_GROUPS(e->grpcap);
	e->num_engines = ENGCAP_NUM_ENGINES(e->engcap);
	e->wqcfg_stride = 1u << (WQCAP_WQCFG_SIZE(e->wqcap) + 5);
	e->grpcfg_off = (e->offsets[0] & 0xffff) * TABLE_MULT;
	e->wqcfg_off = ((e->offsets[0] >> 16) & 0xffff) * TABLE_MULT;

	pr_info(TAG "INFO version=%#x gencap=%#llx wqcap=%#llx grpcap=%#llx engcap=%#llx\n",
		version, e->gencap, e->wqcap, e->grpcap, e->engcap);
	pr_info(TAG "INFO opcap=%#llx offsets=%#llx,%#llx\n", e->opcap[0], e->offsets[0],
		e->offsets[1]);
	pr_info(TAG "INFO num_wqs=%u num_groups=%u num_engines=%u total_wq_size=%llu\n",
		e->num_wqs, e->num_groups, e->num_engines, WQCAP_TOTAL_SIZE(e->wqcap));

	result(e, version == 0x100, "version", "VERSION %#x, expected 0x100 (DSA 1.0)", version);
	if (!e->num_wqs || !e->num_groups || !e->num_engines || !e->grpcfg_off ||
	    !e->wqcfg_off) {
		result(e, false, "caps", "no WQ, group or engine, or a zero table offset");
		return -ENODEV;
	}
	/* Opcodes used by this plan: NOOP, BATCH, MEMMOVE, MEMFILL, CRCGEN. */
	if ((e->opcap[0] & 0x1001b) != 0x1001b) {
		result(e, false, "caps", "OPCAP[0] %#llx lacks an opcode of the plan", e->opcap[0]);
		return -ENODEV;
	}
	if (!WQCAP_DEDICATED(e->wqcap) || WQCAP_TOTAL_SIZE(e->wqcap) < wq_size) {
		result(e, false, "caps", "no dedicated mode or total WQ size < %u", wq_size);
		return -ENODEV;
	}
	if (GENCAP_MAX_BATCH_SHIFT(e->gencap) < 2) {
		result(e, false, "caps", "max batch size < 4");
		return -ENODEV;
	}
	passed(e, "caps");
	return 0;
}

static int
reset_device(struct e2e *e)
{
	u32 sts, gensts = ioread32(e->bar0 + REG_GENSTS);

	if (GENSTS_STATE(gensts) == GENSTS_HALT) {
		result(e, false, "reset", "device halted (GENSTS %#x)", gensts);
		return -EIO;
	}
	/* Probe-time reset: no int_req, poll CMDSTS.active (dsa.md §2.2 step 3). */
	iowrite32(CMD_RESET_DEVICE << 20, e->bar0 + REG_CMD);
	if (poll_cmdsts(e, &sts)) {
		result(e, false, "reset", "CMDSTS active for %u ms", timeout_ms);
		return -ETIMEDOUT;
	}
	gensts = ioread32(e->bar0 + REG_GENSTS);
	if (CMDSTS_ERR(sts) || GENSTS_STATE(gensts) != GENSTS_DISABLED) {
		result(e, false, "reset", "CMDSTS %#x GENSTS %#x", sts, gensts);
		return -EIO;
	}
	passed(e, "reset");
	return 0;
}

static int
setup_irqs(struct e2e *e)
{
	int count = pci_msix_vec_count(e->pdev), rc;
	int want = e->num_wqs + 1;

	if (count != want) {
		result(e, false, "msix", "MSI-X table size %d, expected num_wqs+1 = %d", count, want);
		if (count < 2)
			return -ENODEV;
	}
	rc = pci_alloc_irq_vectors(e->pdev, want, want, PCI_IRQ_MSIX);
	if (rc < 0) {
		result(e, false, "msix", "pci_alloc_irq_vectors(%d) failed: %d", want, rc);
		return rc;
	}
	e->nvec = rc;
	rc = request_irq(pci_irq_vector(e->pdev, 0), misc_irq, 0, "vidxd-e2e-misc", e);
	if (rc) {
		result(e, false, "msix", "request_irq(vector 0) failed: %d", rc);
		return rc;
	}
	e->irq0 = true;
	rc = request_irq(pci_irq_vector(e->pdev, 1), wq_irq, 0, "vidxd-e2e-wq0", e);
	if (rc) {
		result(e, false, "msix", "request_irq(vector 1) failed: %d", rc);
		return rc;
	}
	e->irq1 = true;
	if (count == want)
		passed(e, "msix");
	/* Error and halt interrupts on, read-modify-write (dsa.md §2.2 step 9). */
	iowrite32(ioread32(e->bar0 + REG_GENCTRL) | GENCTRL_SOFTERR_EN | GENCTRL_HALT_EN,
		  e->bar0 + REG_GENCTRL);
	return 0;
}

/* WQ 0 dedicated in group 0 with engine 0 (dsa.md §1.5, §2.6 DPDK). */
static int
configure(struct e2e *e)
{
	void __iomem *wqcfg = e->bar0 + e->wqcfg_off;
	void __iomem *grp = e->bar0 + e->grpcfg_off;
	u32 d0, d2, d3;
	unsigned int i;

	if (!GENCAP_CONFIG_EN(e->gencap)) {
		/* Read-only configuration: use WQ 0 as the device set it up. */
		d0 = ioread32(wqcfg);
		d2 = ioread32(wqcfg + 8);
		pr_info(TAG "INFO read-only config: WQ 0 size %u mode %u\n", d0 & 0xffff, d2 & 1);
		result(e, (d0 & 0xffff) && (d2 & WQCFG_MODE_DEDICATED), "configure",
		       "read-only WQCFG 0 is not a sized dedicated WQ (%#x, %#x)", d0, d2);
		return (d0 & 0xffff) ? 0 : -ENODEV;
	}
	for (i = 0; i < e->num_groups; i++) {
		writeq(0, grp + i * GRPCFG_SIZE + GRPCFG_WQS);
		writeq(0, grp + i * GRPCFG_SIZE + GRPCFG_ENGINES);
	}
	for (i = 0; i < e->num_wqs; i++)
		iowrite32(0, wqcfg + i * e->wqcfg_stride);

	d0 = wq_size;
	d2 = WQCFG_MODE_DEDICATED | (10u << WQCFG_PRIORITY_SHIFT);
	d3 = GENCAP_MAX_XFER_SHIFT(e->gencap) |
	     (GENCAP_MAX_BATCH_SHIFT(e->gencap) << WQCFG_MAX_BATCH_SHIFT_SHIFT);
	iowrite32(d0, wqcfg + 0);
	iowrite32(0, wqcfg + 4);
	iowrite32(d2, wqcfg + 8);
	iowrite32(d3, wqcfg + 12);

	writeq(1, grp + GRPCFG_WQS);
	writeq(1, grp + GRPCFG_ENGINES);
	/* tc_a = tc_b = 1, rdbufs_allowed = total (the Linux defaults, §1.5). */
	writeq(1 | (1 << 3) | (GRPCAP_TOTAL_RDBUFS(e->grpcap) << 20), grp + GRPCFG_FLAGS);

	if ((ioread32(wqcfg) & 0xffff) != d0 || (ioread32(wqcfg + 8) & 0x3ff) != d2 ||
	    (ioread32(wqcfg + 12) & 0x1ff) != d3 || readq(grp + GRPCFG_WQS) != 1 ||
	    readq(grp + GRPCFG_ENGINES) != 1) {
		result(e, false, "configure", "WQCFG/GRPCFG read back %#x %#x %#x / %#llx %#llx",
		       ioread32(wqcfg), ioread32(wqcfg + 8), ioread32(wqcfg + 12),
		       readq(grp + GRPCFG_WQS), readq(grp + GRPCFG_ENGINES));
		return -EIO;
	}
	passed(e, "configure");
	return 0;
}

static int
enable(struct e2e *e)
{
	u32 err, gensts, state;
	int rc;

	e->last_cause = 0;
	rc = run_cmd(e, "enable-device", CMD_ENABLE_DEVICE, 0, &err);
	if (rc)
		return rc;
	gensts = ioread32(e->bar0 + REG_GENSTS);
	if (err || GENSTS_STATE(gensts) != GENSTS_ENABLED || !(e->last_cause & INTCAUSE_CMD)) {
		result(e, false, "enable-device", "CMDSTS.err %#x GENSTS %#x INTCAUSE seen %#x", err,
		       gensts, e->last_cause);
		return -EIO;
	}
	e->dev_enabled = true;
	passed(e, "enable-device");

	rc = run_cmd(e, "enable-wq", CMD_ENABLE_WQ, 0, &err);
	if (rc)
		return rc;
	state = WQCFG_STATE(ioread32(e->bar0 + e->wqcfg_off + 24));
	if (err || state != 1) {
		result(e, false, "enable-wq", "CMDSTS.err %#x WQ state %u", err, state);
		return -EIO;
	}
	e->wq_enabled = true;
	passed(e, "enable-wq");
	return 0;
}

static void
disable(struct e2e *e)
{
	u32 err;

	if (e->wq_enabled) {
		/* DISABLE_WQ takes a bitmask operand (dsa.md §1.4). */
		if (!run_cmd(e, "disable-wq", CMD_DISABLE_WQ, BIT(0), &err)) {
			u32 state = WQCFG_STATE(ioread32(e->bar0 + e->wqcfg_off + 24));

			result(e, !err && state == 0, "disable-wq", "CMDSTS.err %#x WQ state %u", err,
			       state);
		}
		e->wq_enabled = false;
	}
	if (e->dev_enabled) {
		if (!run_cmd(e, "disable-device", CMD_DISABLE_DEVICE, 0, &err)) {
			u32 gensts = ioread32(e->bar0 + REG_GENSTS);

			result(e, !err && GENSTS_STATE(gensts) == GENSTS_DISABLED,
			       "disable-device", "CMDSTS.err %#x GENSTS %#x", err, gensts);
		}
		e->dev_enabled = false;
	}
}

static void
release(struct e2e *e)
{
	struct pci_dev *pdev = e->pdev;

	if (e->irq1)
		free_irq(pci_irq_vector(pdev, 1), e);
	if (e->irq0)
		free_irq(pci_irq_vector(pdev, 0), e);
	if (e->nvec > 0)
		pci_free_irq_vectors(pdev);
	if (e->area)
		dma_free_coherent(&pdev->dev, AREA_SIZE, e->area, e->area_dma);
	if (e->bar2)
		pci_iounmap(pdev, e->bar2);
	if (e->bar0)
		pci_iounmap(pdev, e->bar0);
	pci_release_regions(pdev);
	pci_clear_master(pdev);
	pci_disable_device(pdev);
	kfree(e);
}

static void
run_plan(struct e2e *e)
{
	int spurious;

	if (read_caps(e) || reset_device(e) || setup_irqs(e) || configure(e) || enable(e))
		return;
	e->area = dma_alloc_coherent(&e->pdev->dev, AREA_SIZE, &e->area_dma, GFP_KERNEL);
	if (!e->area) {
		result(e, false, "alloc", "dma_alloc_coherent(%u) failed", AREA_SIZE);
		return;
	}
	memset(e->area, 0, AREA_SIZE);
	e->portal = e->bar2 + 0 * PORTAL_WQ_STRIDE + PORTAL_LIMITED_MSIX;

	test_noop(e);
	test_memmove(e);
	test_fill(e);
	test_crc(e);
	test_batch(e);
	test_slot_reuse(e);
	test_burst(e);

	/* No interrupt beyond one per completion that asked for one. */
	msleep(200);
	spurious = atomic_read(&e->wq_irqs_total) - (int)e->expected_irqs_total;
	result(e, spurious == 0, "irq-count", "%d completion interrupts, expected %u",
	       atomic_read(&e->wq_irqs_total), e->expected_irqs_total);
	result(e, atomic_read(&e->err_irqs) == 0, "no-swerr", "%d error interrupts",
	       atomic_read(&e->err_irqs));
}

static int
e2e_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct e2e *e;
	int rc;

	if (the_dev)
		return -EBUSY; /* one device per run */
	e = kzalloc(sizeof(*e), GFP_KERNEL);
	if (!e)
		return -ENOMEM;
	e->pdev = pdev;
	init_completion(&e->cmd_done);
	init_waitqueue_head(&e->wq_wait);
	probed = true;
	pr_info(TAG "INFO probing %s\n", pci_name(pdev));

	rc = pci_enable_device(pdev);
	if (rc) {
		kfree(e);
		pr_info(TAG "FAIL pci: pci_enable_device failed: %d\n", rc);
		return rc;
	}
	rc = pci_request_regions(pdev, DRV);
	if (rc) {
		pci_disable_device(pdev);
		kfree(e);
		pr_info(TAG "FAIL pci: pci_request_regions failed: %d\n", rc);
		return rc;
	}
	the_dev = e;
	pci_set_drvdata(pdev, e);

	e->bar0 = pci_iomap(pdev, 0, 0);
	e->bar2 = pci_iomap(pdev, 2, 0);
	if (!e->bar0 || !e->bar2 || pci_resource_len(pdev, 2) < PORTAL_WQ_STRIDE) {
		result(e, false, "bars", "BAR0 %pR BAR2 %pR", &pdev->resource[0],
		       &pdev->resource[2]);
		e->fatal = true;
		return 0;
	}
	if (dma_set_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(64))) {
		result(e, false, "bars", "no 64-bit DMA");
		e->fatal = true;
		return 0;
	}
	pci_set_master(pdev);
	passed(e, "bars");

	run_plan(e);
	disable(e);
	return 0;
}

static void
e2e_remove(struct pci_dev *pdev)
{
	struct e2e *e = pci_get_drvdata(pdev);

	if (!e)
		return;
	disable(e);
	release(e);
	the_dev = NULL;
}

static const struct pci_device_id e2e_ids[] = {
	{ PCI_DEVICE(0x8086, 0x0b25) },
	{ 0 }
};
MODULE_DEVICE_TABLE(pci, e2e_ids);

static struct pci_driver e2e_driver = {
	.name = DRV,
	.id_table = e2e_ids,
	.probe = e2e_probe,
	.remove = e2e_remove,
};

static int __init
e2e_init(void)
{
	int rc, pass, fail;

	pr_info(TAG "START plan=%d\n", PLAN);
	rc = pci_register_driver(&e2e_driver);
	if (rc) {
		pr_info(TAG "FAIL register: pci_register_driver failed: %d\n", rc);
		pr_info(TAG "DONE pass=0 fail=1\n");
		return rc;
	}
	/* PCI probing of present devices is synchronous in register. */
	if (!probed || !the_dev) {
		pci_unregister_driver(&e2e_driver);
		pr_info(TAG "FAIL probe: device 8086:0b25 not found\n");
		pr_info(TAG "DONE pass=0 fail=1\n");
		return -ENODEV;
	}
	pass = the_dev->pass;
	fail = the_dev->fail;
	if (pass + fail != PLAN) {
		pr_info(TAG "FAIL plan: %d of %d checks ran\n", pass + fail, PLAN);
		fail++;
	}
	pr_info(TAG "DONE pass=%d fail=%d\n", pass, fail);
	if (fail || the_dev->fatal) {
		pci_unregister_driver(&e2e_driver);
		return -EIO;
	}
	return 0;
}

static void __exit
e2e_exit(void)
{
	pci_unregister_driver(&e2e_driver);
	pr_info(TAG "unloaded\n");
}

module_init(e2e_init);
module_exit(e2e_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("vidxd e2e test driver for an emulated DSA (plain-store portal writes)");
