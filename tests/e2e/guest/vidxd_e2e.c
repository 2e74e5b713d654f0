// SPDX-License-Identifier: GPL-2.0
/*
 * vidxd e2e guest test driver.  It binds to every DSA function (PCI
 * 8086:0b25) the guest has, whether a whole emulated device or a vidxd
 * virtual device, and drives each the way the Linux idxd driver would from
 * its capabilities: a configurable device (GENCAP.config_en = 1) is given
 * one dedicated WQ; a read-only one has its configuration loaded from
 * GRPCFG/WQCFG (dsa.md §2.2 step 8) and its first sized WQ used; with
 * GENCAP.cmd_cap and CMDCAP.REQUEST_INT_HANDLE the completion interrupt
 * handle is requested from the device (dsa.md §2.3 step 6, §4), otherwise
 * the MSI-X index is the handle.  Descriptors are written with eight plain
 * 8-byte stores instead of MOVDIR64B, which QEMU TCG does not implement
 * (dsa.md §0 item 1).  The plan (register probe, commands, memmove, fill,
 * CRC, batch, slot reuse, bursts, interrupt handles, interrupt accounting)
 * runs on all devices at once, one kernel thread each, and is reported on
 * the console as "vidxd-e2e: dev BDF PASS name" or "... FAIL name: why",
 * a "dev BDF DONE" line per device and "vidxd-e2e: DONE ..." with the
 * totals.  The module load fails (-ENODEV without a device, -EIO if any
 * check failed), so insmod's status tells the result too.  Register and
 * descriptor layouts are written here from the DSA specification digest
 * (dsa.md §1, §3) independently of the daemon's spec.h, so that this
 * driver is an independent oracle.
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
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/list.h>
#include <linux/mutex.h>

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
#define REG_CMDCAP 0xb0
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
#define CMD_REQUEST_INT_HANDLE 13
#define CMD_RELEASE_INT_HANDLE 14
#define CMD_INT_REQ BIT(31)
#define CMDSTS_ACTIVE BIT(31)
#define CMDSTS_ERR(v) ((v) & 0xff)
#define CMDSTS_RESULT(v) (((v) >> 8) & 0xffff)

/* Capability fields (dsa.md §1.3). */
#define GENCAP_CMD_CAP(v) (((v) >> 4) & 1)
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
#define CMDCAP_REQUEST_INT_HANDLE BIT(CMD_REQUEST_INT_HANDLE)
#define TABLE_MULT 0x100

/* Configuration tables (dsa.md §1.5). */
#define GRPCFG_SIZE 64
#define GRPCFG_WQS 0x00
#define GRPCFG_ENGINES 0x20
#define GRPCFG_FLAGS 0x28
#define WQCFG_SIZE(v) ((v) & 0xffff)
#define WQCFG_MODE_DEDICATED BIT(0)
#define WQCFG_PRIORITY_SHIFT 4
#define WQCFG_PRIORITY(v) (((v) >> 4) & 0xf)
#define WQCFG_PASID_EN BIT(28)
#define WQCFG_MAX_BATCH_SHIFT_SHIFT 5
#define WQCFG_MAX_XFER_SHIFT(v) ((v) & 0x1f)
#define WQCFG_MAX_BATCH_SHIFT(v) (((v) >> 5) & 0xf)
#define WQCFG_STATE(v) (((v) >> 30) & 3)
#define WQCFG_STATE_DWORD 6

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
#define STATUS_INT_HANDLE_INVAL 0x19
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
MODULE_PARM_DESC(wq_size, "size of WQ 0 on configurable devices (default 16)");
static unsigned int timeout_ms = 10000;
module_param(timeout_ms, uint, 0444);
MODULE_PARM_DESC(timeout_ms, "timeout of each command and descriptor (default 10000)");
static unsigned int reuse_count = 80;
module_param(reuse_count, uint, 0444);
MODULE_PARM_DESC(reuse_count, "descriptors in the slot-reuse test (default 80 > 64 slots)");
static bool serial;
module_param(serial, bool, 0444);
MODULE_PARM_DESC(serial, "run the devices one after the other instead of at once (debugging)");

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
 * Checks per device: bars version caps reset msix configure enable-device
 * enable-wq noop memmove fill crc-check-value crc crc-seed batch slot-reuse
 * burst irq-count no-swerr disable-wq disable-device; with interrupt
 * handles also int-handle release-handle stale-handle.  With more than one
 * device, one more check over all: concurrency.
 */
#define PLAN_BASE 21
#define PLAN_HANDLES 3

struct e2e {
	struct list_head node;
	struct pci_dev *pdev;
	const char *name; /* PCI address, prefix of every result line */
	struct task_struct *task;
	struct completion finished;
	bool pci_enabled, regions;
	void __iomem *bar0;
	void __iomem *bar2;
	void __iomem *portal;
	unsigned int portal_slot;
	u64 gencap, wqcap, grpcap, engcap, opcap[4], offsets[2];
	u32 cmdcap;
	unsigned int num_wqs, num_groups, num_engines, wqcfg_stride;
	u32 grpcfg_off, wqcfg_off;
	bool ro;	  /* read-only configuration (GENCAP.config_en = 0) */
	bool handles;	  /* interrupt handles from REQUEST_INT_HANDLE */
	unsigned int wq;  /* the WQ under test */
	unsigned int wqsz; /* its size */
	u16 int_handle;	  /* what RCI descriptors carry */
	bool handle_held;
	unsigned int plan;
	int nvec;
	bool irq0, irqwq;
	bool dev_enabled, wq_enabled;
	u8 *area;
	dma_addr_t area_dma;

	/* Command interrupt (vector 0). */
	struct completion cmd_done;
	atomic_t cmd_irqs;
	atomic_t err_irqs;
	u32 last_cause;
	unsigned int expected_cmd_irqs; /* commands issued with int_req */

	/* Completion interrupts (vector wq+1). */
	wait_queue_head_t wq_wait;
	atomic_t wq_irqs; /* since the last arm() */
	atomic_t wq_irqs_total;
	atomic_t early_irqs; /* interrupts before a matching CR was visible */
	struct hw_comp *armed[MAX_ARMED];
	atomic_t narmed;
	unsigned int expected_irqs_total;

	/* The data phase (noop .. burst), to show that devices overlapped. */
	ktime_t t_start, t_end;

	int pass, fail;
};

static LIST_HEAD(e2e_devs);
static DEFINE_MUTEX(e2e_lock);

static void result(struct e2e *e, bool ok, const char *name, const char *fmt, ...)
	__printf(4, 5);

#define e2e_info(e, fmt, ...) pr_info(TAG "dev %s INFO " fmt "\n", (e)->name, ##__VA_ARGS__)

static void
passed(struct e2e *e, const char *name)
{
	e->pass++;
	pr_info(TAG "dev %s PASS %s\n", e->name, name);
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
	pr_info(TAG "dev %s FAIL %s: %pV\n", e->name, name, &vaf);
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
		e2e_info(e, "SWERR %016llx %016llx %016llx", sw0, readq(e->bar0 + REG_SWERR + 8),
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
 * *sts is the whole CMDSTS (error in [7:0], result in [23:8]).
 */
static int
run_cmd(struct e2e *e, const char *name, u32 cmd, u32 operand, u32 *sts)
{
	int before = atomic_read(&e->cmd_irqs);

	reinit_completion(&e->cmd_done);
	e->expected_cmd_irqs++;
	iowrite32((cmd << 20) | operand | CMD_INT_REQ, e->bar0 + REG_CMD);
	if (!wait_for_completion_timeout(&e->cmd_done, msecs_to_jiffies(timeout_ms))) {
		poll_cmdsts(e, sts);
		result(e, false, name,
		       "no command interrupt within %u ms (CMDSTS %#x INTCAUSE %#x)",
		       timeout_ms, *sts, ioread32(e->bar0 + REG_INTCAUSE));
		return -ETIMEDOUT;
	}
	if (poll_cmdsts(e, sts)) {
		result(e, false, name, "CMDSTS still active after the interrupt (%#x)", *sts);
		return -ETIMEDOUT;
	}
	if (atomic_read(&e->cmd_irqs) != before + 1) {
		result(e, false, name, "%d command interrupts, expected 1",
		       atomic_read(&e->cmd_irqs) - before);
		return -EIO;
	}
	return 0;
}

/* WQ state from WQCFG dword 6 (dsa.md §1.5). */
static unsigned int
wq_state(struct e2e *e)
{
	return WQCFG_STATE(ioread32(e->bar0 + e->wqcfg_off + e->wq * e->wqcfg_stride +
				    4 * WQCFG_STATE_DWORD));
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
	/*
	 * The handle the device gave for vector wq+1, or that vector's MSI-X
	 * index when the device hands out no handles (dsa.md §2.3 step 6).
	 */
	d->int_handle = e->int_handle;
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
		result(e, false, name,
		       "completion record written but no interrupt on vector %u within %u ms",
		       e->wq + 1, timeout_ms);
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
	unsigned int n = min(8u, e->wqsz), i, chunk = 1024;
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
	e2e_info(e, "burst: %u completions, %d interrupts", n, irqs);
	passed(e, "burst");
}

/*
 * After RELEASE_INT_HANDLE the handle is no longer valid: a descriptor
 * that asks for an interrupt with it completes with INT_HANDLE_INVAL and
 * raises nothing (dsa.md §2.4; vidxd/engine.h rule 4).  This also proves
 * the device really interprets the handle the guest put in the descriptor.
 */
static void
test_stale_handle(struct e2e *e)
{
	struct hw_comp *cr = cr_at(e, 10);
	struct hw_desc d;

	fill_desc(e, &d, OP_NOOP, FLAG_CRAV | FLAG_RCR | FLAG_RCI, cr);
	arm(e, &cr, 1);
	if (submit(e, &d)) {
		result(e, false, "stale-handle", "portal slot busy");
		return;
	}
	if (wait_status(e, cr)) {
		result(e, false, "stale-handle", "no completion record within %u ms", timeout_ms);
		return;
	}
	if ((cr->status & STATUS_MASK) != STATUS_INT_HANDLE_INVAL) {
		result(e, false, "stale-handle", "status %#x with released handle %u, expected 0x19",
		       cr->status, e->int_handle);
		return;
	}
	/* Give a wrong interrupt time to arrive. */
	msleep(200);
	result(e, atomic_read(&e->wq_irqs) == 0, "stale-handle",
	       "%d interrupts for a descriptor with a released handle", atomic_read(&e->wq_irqs));
}

/*
 * Which portal mode the device serves, seen from the guest: a store to a
 * slot's last qword without its first one submits nothing (qword 0 is
 * zero), and reading it back returns the value from a mapped portal
 * (memory shared with the device) and 0 from a trapped one (docs/e2e.md).
 * The slot, the last of the unlimited page, is cleared again; the plan
 * uses the limited page.  run-e2e.sh compares the result with its --mode.
 */
static void
probe_portal_mode(struct e2e *e)
{
	void __iomem *q = e->bar2 + e->wq * PORTAL_WQ_STRIDE + PORTAL_SIZE - 8;
	const u64 probe = 0x5ca1ab1e0ddba11ull;
	u64 back;

	writeq(probe, q);
	back = readq(q);
	writeq(0, q);
	if (back == probe)
		e2e_info(e, "portal=mapped");
	else if (back == 0)
		e2e_info(e, "portal=trapped");
	else
		e2e_info(e, "portal=unknown (read back %#llx)", back);
}

/* ---- probe --------------------------------------------------------- */

static int
setup_pci(struct e2e *e)
{
	struct pci_dev *pdev = e->pdev;
	int rc;

	rc = pci_enable_device(pdev);
	if (rc) {
		result(e, false, "bars", "pci_enable_device failed: %d", rc);
		return rc;
	}
	e->pci_enabled = true;
	rc = pci_request_regions(pdev, DRV);
	if (rc) {
		result(e, false, "bars", "pci_request_regions failed: %d", rc);
		return rc;
	}
	e->regions = true;
	e->bar0 = pci_iomap(pdev, 0, 0);
	e->bar2 = pci_iomap(pdev, 2, 0);
	if (!e->bar0 || !e->bar2 || pci_resource_len(pdev, 2) < PORTAL_WQ_STRIDE) {
		result(e, false, "bars", "BAR0 %pR BAR2 %pR", &pdev->resource[0],
		       &pdev->resource[2]);
		return -ENODEV;
	}
	if (dma_set_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(64))) {
		result(e, false, "bars", "no 64-bit DMA");
		return -EIO;
	}
	pci_set_master(pdev);
	e2e_info(e, "BAR0 %pR BAR2 %pR", &pdev->resource[0], &pdev->resource[2]);
	passed(e, "bars");
	return 0;
}

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
	/* CMDCAP is valid only with GENCAP.cmd_cap (dsa.md §2.2 step 5). */
	if (GENCAP_CMD_CAP(e->gencap))
		e->cmdcap = ioread32(e->bar0 + REG_CMDCAP);
	e->num_wqs = WQCAP_NUM_WQS(e->wqcap);
	e->num_groups = GRPCAP_NUM_GROUPS(e->grpcap);
	e->num_engines = ENGCAP_NUM_ENGINES(e->engcap);
	e->wqcfg_stride = 1u << (WQCAP_WQCFG_SIZE(e->wqcap) + 5);
	e->grpcfg_off = (e->offsets[0] & 0xffff) * TABLE_MULT;
	e->wqcfg_off = ((e->offsets[0] >> 16) & 0xffff) * TABLE_MULT;
	e->ro = !GENCAP_CONFIG_EN(e->gencap);
	e->handles = GENCAP_CMD_CAP(e->gencap) && (e->cmdcap & CMDCAP_REQUEST_INT_HANDLE);
	e->plan = PLAN_BASE + (e->handles ? PLAN_HANDLES : 0);

	e2e_info(e, "version=%#x gencap=%#llx wqcap=%#llx grpcap=%#llx engcap=%#llx cmdcap=%#x",
	     version, e->gencap, e->wqcap, e->grpcap, e->engcap, e->cmdcap);
	e2e_info(e, "opcap=%#llx offsets=%#llx,%#llx", e->opcap[0], e->offsets[0], e->offsets[1]);
	e2e_info(e, "num_wqs=%u num_groups=%u num_engines=%u total_wq_size=%llu", e->num_wqs,
	     e->num_groups, e->num_engines, WQCAP_TOTAL_SIZE(e->wqcap));
	/* Parsed by run-e2e.sh: which driver paths this device takes. */
	e2e_info(e, "config=%s handles=%s", e->ro ? "read-only" : "configurable",
	     e->handles ? "yes" : "no");

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
	if (!WQCAP_DEDICATED(e->wqcap)) {
		result(e, false, "caps", "no dedicated mode");
		return -ENODEV;
	}
	if (!e->ro && WQCAP_TOTAL_SIZE(e->wqcap) < wq_size) {
		result(e, false, "caps", "total WQ size < %u", wq_size);
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

/*
 * All num_wqs + 1 vectors, as idxd_setup_interrupts() (dsa.md §2.2 step
 * 9); handlers on vector 0 and on the vector of the WQ under test.
 */
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
	if (count == want)
		passed(e, "msix");
	/* Error and halt interrupts on, read-modify-write (dsa.md §2.2 step 9). */
	iowrite32(ioread32(e->bar0 + REG_GENCTRL) | GENCTRL_SOFTERR_EN | GENCTRL_HALT_EN,
		  e->bar0 + REG_GENCTRL);
	return 0;
}

/*
 * Read-only configuration (dsa.md §2.2 step 8, §2.5): load it as
 * idxd_device_load_config() does, never write it.  Every WQ must be
 * dedicated with pasid_en = 0 (Linux fails the probe otherwise, §0 item
 * 5); the first WQ with a size is the one under test, and its group must
 * have an engine.
 */
static int
load_config(struct e2e *e)
{
	void __iomem *wqcfg = e->bar0 + e->wqcfg_off;
	void __iomem *grp = e->bar0 + e->grpcfg_off;
	unsigned int i, j, g, w = UINT_MAX;
	u32 d[4], wd[4] = { 0 };
	u64 engines = 0;

	for (i = 0; i < e->num_wqs; i++) {
		for (j = 0; j < 4; j++)
			d[j] = ioread32(wqcfg + i * e->wqcfg_stride + 4 * j);
		if (!(d[2] & WQCFG_MODE_DEDICATED) || (d[2] & WQCFG_PASID_EN)) {
			result(e, false, "configure",
			       "read-only WQCFG %u is not dedicated with pasid_en 0 (dword 2 %#x)", i,
			       d[2]);
			return -EOPNOTSUPP;
		}
		if (w == UINT_MAX && WQCFG_SIZE(d[0])) {
			w = i;
			memcpy(wd, d, sizeof(wd));
		}
	}
	if (w == UINT_MAX) {
		result(e, false, "configure", "no WQ has a size in the read-only WQCFG");
		return -ENODEV;
	}
	/* GRPWQCFG is a 256-bit bitmap: WQ w is bit w % 64 of qword w / 64. */
	for (g = 0; g < e->num_groups; g++) {
		if (readq(grp + g * GRPCFG_SIZE + GRPCFG_WQS + (w / 64) * 8) & BIT_ULL(w % 64)) {
			engines = readq(grp + g * GRPCFG_SIZE + GRPCFG_ENGINES);
			break;
		}
	}
	e2e_info(e, "read-only config: WQ %u size %u priority %u max_xfer_shift %u max_batch_shift %u group %d engines %#llx",
	     w, WQCFG_SIZE(wd[0]), WQCFG_PRIORITY(wd[2]), WQCFG_MAX_XFER_SHIFT(wd[3]),
	     WQCFG_MAX_BATCH_SHIFT(wd[3]), g < e->num_groups ? (int)g : -1, engines);
	if (g == e->num_groups || !engines) {
		result(e, false, "configure", "WQ %u is in no group, or its group has no engine", w);
		return -ENODEV;
	}
	/* The plan needs batches of 4 and transfers of 5000 bytes. */
	if (WQCFG_MAX_BATCH_SHIFT(wd[3]) < 2 || WQCFG_MAX_XFER_SHIFT(wd[3]) < 13) {
		result(e, false, "configure", "WQ %u: max batch < 4 or max transfer < 8 KiB (%#x)", w,
		       wd[3]);
		return -ENODEV;
	}
	if (pci_resource_len(e->pdev, 2) < (resource_size_t)(w + 1) * PORTAL_WQ_STRIDE) {
		result(e, false, "configure", "BAR2 %pR has no portal for WQ %u",
		       &e->pdev->resource[2], w);
		return -ENODEV;
	}
	if (w + 1 >= (unsigned int)e->nvec) {
		result(e, false, "configure", "no MSI-X vector %u for WQ %u", w + 1, w);
		return -ENODEV;
	}
	e->wq = w;
	e->wqsz = WQCFG_SIZE(wd[0]);
	passed(e, "configure");
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

	if (e->ro)
		return load_config(e);
	e->wq = 0;
	e->wqsz = wq_size;
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
	u32 sts, gensts, state;
	int rc;

	e->last_cause = 0;
	rc = run_cmd(e, "enable-device", CMD_ENABLE_DEVICE, 0, &sts);
	if (rc)
		return rc;
	gensts = ioread32(e->bar0 + REG_GENSTS);
	if (CMDSTS_ERR(sts) || GENSTS_STATE(gensts) != GENSTS_ENABLED ||
	    !(e->last_cause & INTCAUSE_CMD)) {
		result(e, false, "enable-device", "CMDSTS %#x GENSTS %#x INTCAUSE seen %#x", sts,
		       gensts, e->last_cause);
		return -EIO;
	}
	e->dev_enabled = true;
	passed(e, "enable-device");

	/* ENABLE_WQ takes the WQ index (dsa.md §1.4). */
	rc = run_cmd(e, "enable-wq", CMD_ENABLE_WQ, e->wq, &sts);
	if (rc)
		return rc;
	state = wq_state(e);
	if (CMDSTS_ERR(sts) || state != 1) {
		result(e, false, "enable-wq", "WQ %u: CMDSTS %#x WQ state %u", e->wq, sts, state);
		return -EIO;
	}
	e->wq_enabled = true;
	passed(e, "enable-wq");
	return 0;
}

/*
 * The WQ's completion interrupt, as idxd_wq_request_irq() sets it up after
 * ENABLE_WQ (dsa.md §2.3 step 6): the handler on vector wq+1, then with
 * CMDCAP.REQUEST_INT_HANDLE the handle for that vector (operand = the
 * vector index, handle in CMDSTS[23:8]); otherwise the handle is the MSI-X
 * index itself.
 */
static int
setup_wq_irq(struct e2e *e)
{
	u32 sts;
	int rc;

	rc = request_irq(pci_irq_vector(e->pdev, e->wq + 1), wq_irq, 0, "vidxd-e2e-wq", e);
	if (rc) {
		result(e, false, e->handles ? "int-handle" : "enable-wq",
		       "request_irq(vector %u) failed: %d", e->wq + 1, rc);
		return rc;
	}
	e->irqwq = true;
	if (!e->handles) {
		e->int_handle = e->wq + 1;
		return 0;
	}
	rc = run_cmd(e, "int-handle", CMD_REQUEST_INT_HANDLE, e->wq + 1, &sts);
	if (rc)
		return rc;
	if (CMDSTS_ERR(sts)) {
		result(e, false, "int-handle", "REQUEST_INT_HANDLE(%u): CMDSTS %#x", e->wq + 1, sts);
		return -EIO;
	}
	e->int_handle = CMDSTS_RESULT(sts);
	e->handle_held = true;
	e2e_info(e, "interrupt handle %u for vector %u", e->int_handle, e->wq + 1);
	passed(e, "int-handle");
	return 0;
}

/*
 * RELEASE_INT_HANDLE without int_req, polling CMDSTS, as
 * idxd_device_release_int_handle() does (dsa.md §0 item 3, §1.4).
 */
static int
release_handle(struct e2e *e, bool check)
{
	u32 sts;
	int rc;

	if (!e->handle_held)
		return 0;
	e->handle_held = false;
	iowrite32((CMD_RELEASE_INT_HANDLE << 20) | e->int_handle, e->bar0 + REG_CMD);
	rc = poll_cmdsts(e, &sts);
	if (!check)
		return rc;
	if (rc) {
		result(e, false, "release-handle", "CMDSTS active for %u ms", timeout_ms);
		return rc;
	}
	result(e, CMDSTS_ERR(sts) == 0, "release-handle", "RELEASE_INT_HANDLE(%u): CMDSTS %#x",
	       e->int_handle, sts);
	return CMDSTS_ERR(sts) ? -EIO : 0;
}

static void
disable(struct e2e *e)
{
	u32 sts;

	release_handle(e, false);
	if (e->wq_enabled) {
		/* DISABLE_WQ takes a bitmask operand (dsa.md §1.4). */
		u32 mask = BIT(e->wq % 16) | ((e->wq / 16) << 16);

		if (!run_cmd(e, "disable-wq", CMD_DISABLE_WQ, mask, &sts)) {
			u32 state = wq_state(e);

			result(e, !CMDSTS_ERR(sts) && state == 0, "disable-wq",
			       "CMDSTS %#x WQ state %u", sts, state);
		}
		e->wq_enabled = false;
	}
	if (e->dev_enabled) {
		if (!run_cmd(e, "disable-device", CMD_DISABLE_DEVICE, 0, &sts)) {
			u32 gensts = ioread32(e->bar0 + REG_GENSTS);

			result(e, !CMDSTS_ERR(sts) && GENSTS_STATE(gensts) == GENSTS_DISABLED,
			       "disable-device", "CMDSTS %#x GENSTS %#x", sts, gensts);
		}
		e->dev_enabled = false;
	}
}

static void
release(struct e2e *e)
{
	struct pci_dev *pdev = e->pdev;

	if (e->irqwq)
		free_irq(pci_irq_vector(pdev, e->wq + 1), e);
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
	if (e->regions)
		pci_release_regions(pdev);
	if (e->pci_enabled) {
		pci_clear_master(pdev);
		pci_disable_device(pdev);
	}
	kfree(e);
}

static void
run_plan(struct e2e *e)
{
	int spurious, cmd_irqs;

	if (read_caps(e) || reset_device(e) || setup_irqs(e) || configure(e) || enable(e) ||
	    setup_wq_irq(e))
		return;
	e->area = dma_alloc_coherent(&e->pdev->dev, AREA_SIZE, &e->area_dma, GFP_KERNEL);
	if (!e->area) {
		result(e, false, "alloc", "dma_alloc_coherent(%u) failed", AREA_SIZE);
		return;
	}
	memset(e->area, 0, AREA_SIZE);
	e->portal = e->bar2 + e->wq * PORTAL_WQ_STRIDE + PORTAL_LIMITED_MSIX;
	probe_portal_mode(e);

	e->t_start = ktime_get();
	test_noop(e);
	test_memmove(e);
	test_fill(e);
	test_crc(e);
	test_batch(e);
	test_slot_reuse(e);
	test_burst(e);
	e->t_end = ktime_get();

	if (e->handles && !release_handle(e, true))
		test_stale_handle(e);

	/*
	 * No interrupt beyond one per completion that asked for one, and one
	 * vector-0 CMD interrupt per command issued with int_req (none for the
	 * polled RESET_DEVICE and RELEASE_INT_HANDLE).
	 */
	msleep(200);
	spurious = atomic_read(&e->wq_irqs_total) - (int)e->expected_irqs_total;
	cmd_irqs = atomic_read(&e->cmd_irqs);
	result(e, spurious == 0 && cmd_irqs == (int)e->expected_cmd_irqs, "irq-count",
	       "%d completion interrupts, expected %u; %d command interrupts, expected %u",
	       atomic_read(&e->wq_irqs_total), e->expected_irqs_total, cmd_irqs,
	       e->expected_cmd_irqs);
	result(e, atomic_read(&e->err_irqs) == 0, "no-swerr", "%d error interrupts",
	       atomic_read(&e->err_irqs));
}

/* One thread per device: the whole plan, then the per-device summary. */
static int
e2e_thread(void *data)
{
	struct e2e *e = data;

	if (!setup_pci(e))
		run_plan(e);
	disable(e);
	if (e->pass + e->fail != (int)e->plan)
		result(e, false, "plan", "%d of %u checks ran", e->pass + e->fail, e->plan);
	pr_info(TAG "dev %s DONE plan=%u pass=%d fail=%d\n", e->name, e->plan, e->pass, e->fail);
	kthread_complete_and_exit(&e->finished, 0);
}

/* Probing only records the device: the plan runs from e2e_init(). */
static int
e2e_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct e2e *e = kzalloc(sizeof(*e), GFP_KERNEL);

	if (!e)
		return -ENOMEM;
	e->pdev = pdev;
	e->name = pci_name(pdev);
	e->plan = PLAN_BASE;
	init_completion(&e->finished);
	init_completion(&e->cmd_done);
	init_waitqueue_head(&e->wq_wait);
	pci_set_drvdata(pdev, e);
	mutex_lock(&e2e_lock);
	list_add_tail(&e->node, &e2e_devs);
	mutex_unlock(&e2e_lock);
	e2e_info(e, "probed %04x:%04x", pdev->vendor, pdev->device);
	return 0;
}

static void
e2e_remove(struct pci_dev *pdev)
{
	struct e2e *e = pci_get_drvdata(pdev);

	if (!e)
		return;
	mutex_lock(&e2e_lock);
	list_del(&e->node);
	mutex_unlock(&e2e_lock);
	if (e->bar0)
		disable(e);
	release(e);
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

/*
 * With several devices their data phases (noop .. burst) must overlap:
 * the devices were really driven at the same time.
 */
static void
check_concurrency(int ndev, int *pass, int *fail)
{
	ktime_t latest_start = 0, earliest_end = KTIME_MAX;
	struct e2e *e;
	bool all = true;

	list_for_each_entry(e, &e2e_devs, node) {
		if (!e->t_start || !e->t_end)
			all = false;
		latest_start = max(latest_start, e->t_start);
		earliest_end = min(earliest_end, e->t_end);
	}
	if (all && ktime_before(latest_start, earliest_end)) {
		(*pass)++;
		pr_info(TAG "INFO the data phases of %d devices overlap for %lld ms\n", ndev,
			ktime_ms_delta(earliest_end, latest_start));
		pr_info(TAG "PASS concurrency\n");
	} else {
		(*fail)++;
		pr_info(TAG "FAIL concurrency: %s\n",
			all ? "the devices' data phases did not overlap" :
			      "a device did not complete its data phase");
	}
}

static int __init
e2e_init(void)
{
	int rc, ndev = 0, pass = 0, fail = 0;
	unsigned int plan = 0;
	struct e2e *e;

	pr_info(TAG "START\n");
	rc = pci_register_driver(&e2e_driver);
	if (rc) {
		pr_info(TAG "FAIL register: pci_register_driver failed: %d\n", rc);
		pr_info(TAG "DONE devices=0 plan=0 pass=0 fail=1\n");
		return rc;
	}
	/* PCI probing of present devices is synchronous in register. */
	mutex_lock(&e2e_lock);
	list_for_each_entry(e, &e2e_devs, node) {
		ndev++;
		e->task = kthread_create(e2e_thread, e, "vidxd_e2e/%d", ndev);
		if (IS_ERR(e->task)) {
			result(e, false, "thread", "kthread_create failed: %ld", PTR_ERR(e->task));
			e->task = NULL;
			complete(&e->finished);
		}
	}
	if (!ndev) {
		mutex_unlock(&e2e_lock);
		pci_unregister_driver(&e2e_driver);
		pr_info(TAG "FAIL probe: device 8086:0b25 not found\n");
		pr_info(TAG "DONE devices=0 plan=0 pass=0 fail=1\n");
		return -ENODEV;
	}
	pr_info(TAG "INFO %d device(s), %s\n", ndev, serial ? "one after the other" : "all at once");
	/* Start them together, so that the devices really run concurrently. */
	list_for_each_entry(e, &e2e_devs, node) {
		if (e->task)
			wake_up_process(e->task);
		if (serial)
			wait_for_completion(&e->finished);
	}
	list_for_each_entry(e, &e2e_devs, node) {
		if (!serial)
			wait_for_completion(&e->finished);
		pass += e->pass;
		fail += e->fail;
		plan += e->plan;
	}
	if (ndev > 1 && !serial) {
		plan++;
		check_concurrency(ndev, &pass, &fail);
	}
	mutex_unlock(&e2e_lock);
	pr_info(TAG "DONE devices=%d plan=%u pass=%d fail=%d\n", ndev, plan, pass, fail);
	if (fail) {
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
MODULE_DESCRIPTION("vidxd e2e test driver for emulated DSA functions (plain-store portal writes)");
