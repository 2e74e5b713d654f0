/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The emulation helpers that the DSA device model and the vdev layer share
 * (src/dsa/emul.h), tested on their own with vectors worked out by hand
 * from reference/dsa.md: access rules (§1.2, §1.7), qword pieces of
 * register accesses, the WQ bitmap operand and the order of command checks
 * (§1.4, §5.3), SWERR/INTCAUSE/CMDSTS of the shared register file (§1.6),
 * and the assembly of a trapped 64-byte portal store from pieces.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dsa/emul.h"

static void
test_access_rules(void **state)
{
    (void)state;
    /* BAR0: 1/2/4/8 bytes, naturally aligned, inside the BAR. */
    assert_true(dsa_reg_access_ok(0x98, 4, 0x10000));
    assert_true(dsa_reg_access_ok(0x9c, 4, 0x10000));
    assert_true(dsa_reg_access_ok(0xfff8, 8, 0x10000));
    assert_true(dsa_reg_access_ok(0xffff, 1, 0x10000));
    assert_false(dsa_reg_access_ok(0x9a, 4, 0x10000));
    assert_false(dsa_reg_access_ok(0xfffc, 8, 0x10000));
    assert_false(dsa_reg_access_ok(0x10000, 1, 0x10000));
    assert_false(dsa_reg_access_ok(0x90, 3, 0x10000));
    assert_false(dsa_reg_access_ok(0x90, 0, 0x10000));
    assert_false(dsa_reg_access_ok(0x80, 16, 0x10000));
    /* BAR2: up to a whole 64-byte slot. */
    assert_true(dsa_portal_access_ok(0x4040, 64, 0x8000));
    assert_true(dsa_portal_access_ok(0x4050, 16, 0x8000));
    assert_false(dsa_portal_access_ok(0x4020, 64, 0x8000));
    assert_false(dsa_portal_access_ok(0x4000, 128, 0x8000));
    assert_false(dsa_portal_access_ok(0x7fe0, 64, 0x8000));
    assert_false(dsa_portal_access_ok(0x8000, 8, 0x8000));
}

static void
test_register_pieces(void **state)
{
    (void)state;
    /* The upper half of the qword at 0x98 is the dword at 0x9c. */
    assert_int_equal(dsa_reg_extract(0x1122334455667788ull, 0x9c, 4),
                     0x11223344u);
    assert_int_equal(dsa_reg_extract(0x1122334455667788ull, 0x9a, 2), 0x5566u);
    assert_int_equal(dsa_reg_extract(0x1122334455667788ull, 0x98, 8),
                     0x1122334455667788ull);
    /* A 2-byte write at 0x9a lands in bits 31:16 of its qword. */
    assert_int_equal(dsa_reg_place(0x12345678aabbull, 0x9a, 2), 0xaabb0000ull);
    assert_int_equal(dsa_reg_wmask(0x9a, 2), 0xffff0000ull);
    assert_int_equal(dsa_reg_wmask(0xa3, 1), 0xff000000ull);
    /* Only bits both written and writable change. */
    assert_int_equal(dsa_reg_merge(0xf0f0, 0x0f0f, 0xff00, 0x3c3c), 0xccf0u);
}

static void
test_wq_mask_decode(void **state)
{
    uint64_t set = 1;

    (void)state;
    /* Bits 0, 1 and 3 of group 0: WQs 0, 1, 3. */
    assert_int_equal(dsa_wq_mask_decode(0xb, 8, &set), VIDXD_CMDSTS_SUCCESS);
    assert_int_equal(set, 0xbull);
    /* Group 1 ([19:16] = 1), bits 0 and 1: WQs 16 and 17. */
    assert_int_equal(dsa_wq_mask_decode((1u << 16) | 0x3, 64, &set),
                     VIDXD_CMDSTS_SUCCESS);
    assert_int_equal(set, 0x30000ull);
    /* Group 3, bit 15: WQ 63, the last of a 64-WQ device. */
    assert_int_equal(dsa_wq_mask_decode((3u << 16) | 0x8000, 64, &set),
                     VIDXD_CMDSTS_SUCCESS);
    assert_int_equal(set, 1ull << 63);
    /* An empty bitmap selects nothing, whatever its group, and is not an
     * error. */
    assert_int_equal(dsa_wq_mask_decode(0, 8, &set), VIDXD_CMDSTS_SUCCESS);
    assert_int_equal(set, 0);
    assert_int_equal(dsa_wq_mask_decode(1u << 16, 8, &set),
                     VIDXD_CMDSTS_SUCCESS);
    assert_int_equal(set, 0);
    /* A WQ beyond the device: 0x02. */
    assert_int_equal(dsa_wq_mask_decode(1u << 8, 8, &set), 0x02);
    assert_int_equal(dsa_wq_mask_decode((1u << 16) | 1, 16, &set), 0x02);
}

static void
test_command_checks(void **state)
{
    const uint32_t all = 0x7ffe;        /* commands 1..14 */
    const uint32_t no_handles = 0x1ffe; /* 1..12 */
    const unsigned off = VIDXD_GENSTS_DISABLED, on = VIDXD_GENSTS_ENABLED;

    (void)state;
    /* Unsupported first (0x01), then HALT (0x03). */
    assert_int_equal(dsa_cmd_check(0, all, on), 0x01);
    assert_int_equal(dsa_cmd_check(15, all, on), 0x01);
    assert_int_equal(dsa_cmd_check(31, all, VIDXD_GENSTS_HALT), 0x01);
    assert_int_equal(
        dsa_cmd_check(VIDXD_CMD_REQUEST_INT_HANDLE, no_handles, on), 0x01);
    assert_int_equal(
        dsa_cmd_check(VIDXD_CMD_ENABLE_DEVICE, all, VIDXD_GENSTS_HALT), 0x03);
    assert_int_equal(
        dsa_cmd_check(VIDXD_CMD_RESET_DEVICE, all, VIDXD_GENSTS_HALT), 0x00);
    /* Commands that need an enabled device. */
    assert_int_equal(dsa_cmd_check(VIDXD_CMD_DISABLE_DEVICE, all, off), 0x31);
    assert_int_equal(dsa_cmd_check(VIDXD_CMD_DRAIN_ALL, all, off), 0x32);
    assert_int_equal(dsa_cmd_check(VIDXD_CMD_ABORT_PASID, all, off), 0x32);
    assert_int_equal(dsa_cmd_check(VIDXD_CMD_RESET_WQ, all, off), 0x32);
    assert_int_equal(dsa_cmd_check(VIDXD_CMD_DISABLE_WQ, all, on), 0x00);
    /* ENABLE_WQ checks its index before the device state (0x02, 0x20). */
    assert_int_equal(dsa_cmd_check(VIDXD_CMD_ENABLE_WQ, all, off), 0x00);
    assert_int_equal(dsa_cmd_check(VIDXD_CMD_ENABLE_DEVICE, all, off), 0x00);
    assert_int_equal(dsa_cmd_check(VIDXD_CMD_RESET_DEVICE, all, off), 0x00);
}

static void
test_regfile_errors(void **state)
{
    struct dsa_regfile rf;
    uint32_t old = 0;

    (void)state;
    memset(&rf, 0, sizeof(rf));
    dsa_regfile_init(&rf);
    rf.version = 0x100;
    rf.opcap[2] = 0x55;
    assert_int_equal(dsa_regfile_read(&rf, VIDXD_REG_VERSION), 0x100);
    assert_int_equal(dsa_regfile_read(&rf, VIDXD_REG_OPCAP + 16), 0x55);
    assert_int_equal(dsa_regfile_read(&rf, 0xe0), 0); /* no event log */

    /* No interrupt bits without GENCTRL.softerr_int_en. */
    assert_int_equal(dsa_regfile_swerr(&rf, 0x5300, 7, 9), 0);
    assert_int_equal(dsa_regfile_read(&rf, VIDXD_REG_SWERR), 0x5301);
    assert_int_equal(dsa_regfile_read(&rf, VIDXD_REG_SWERR + 8), 7);
    assert_int_equal(dsa_regfile_read(&rf, VIDXD_REG_SWERR + 16), 9);
    /* GENCTRL bits 0-1 only; then a second error only sets OVERFLOW. */
    dsa_regfile_write(&rf, VIDXD_REG_GENCTRL, 0xff, 0xffffffff);
    assert_int_equal(dsa_regfile_read(&rf, VIDXD_REG_GENCTRL), 0x3);
    assert_int_equal(dsa_regfile_swerr(&rf, 0x5100, 1, 2), 0x1);
    assert_int_equal(dsa_regfile_read(&rf, VIDXD_REG_SWERR), 0x5303);
    assert_int_equal(dsa_regfile_read(&rf, VIDXD_REG_SWERR + 8), 7);
    /* W1C of VALID|OVERFLOW leaves the error code. */
    dsa_regfile_write(&rf, VIDXD_REG_SWERR, 0x3, 0xff);
    assert_int_equal(dsa_regfile_read(&rf, VIDXD_REG_SWERR), 0x5300);
    /* HALT: SWERR error 0x51 plus INTCAUSE ERR and HALT_STATE. */
    assert_int_equal(dsa_regfile_halt_cause(&rf, 0x51), 0x11);
    assert_int_equal(dsa_regfile_read(&rf, VIDXD_REG_SWERR), 0x5101);

    /* INTCAUSE: raised bits read back, W1C under the byte mask. */
    dsa_regfile_raise(&rf, VIDXD_INTCAUSE_ERR | VIDXD_INTCAUSE_CMD);
    assert_int_equal(dsa_regfile_read(&rf, VIDXD_REG_INTCAUSE), 0x3);
    dsa_regfile_write(&rf, VIDXD_REG_INTCAUSE, 0x3, 0xff00);
    assert_int_equal(dsa_regfile_read(&rf, VIDXD_REG_INTCAUSE), 0x3);
    dsa_regfile_write(&rf, VIDXD_REG_INTCAUSE, 0x2, 0xff);
    assert_int_equal(dsa_regfile_read(&rf, VIDXD_REG_INTCAUSE), 0x1);
    /* GENSTS and CMDSTS are read-only through register writes. */
    dsa_regfile_write(&rf, VIDXD_REG_GENSTS, 0x1, 0xff);
    assert_int_equal(dsa_regfile_state(&rf), VIDXD_GENSTS_DISABLED);

    /* CMDSTS.active: a second command while one runs is refused. */
    assert_true(dsa_regfile_cmd_begin(&rf, &old));
    assert_int_equal(dsa_regfile_read(&rf, VIDXD_REG_CMDSTS), 0x80000000u);
    assert_false(dsa_regfile_cmd_begin(&rf, &old));
    assert_int_equal(old, 0x80000000u);
    assert_int_equal(
        dsa_regfile_cmd_end(&rf, VIDXD_CMD_INT_REQ | 0x00100000, 0x3100),
        VIDXD_INTCAUSE_CMD);
    assert_int_equal(dsa_regfile_read(&rf, VIDXD_REG_CMDSTS), 0x3100);
    assert_true(dsa_regfile_cmd_begin(&rf, &old));
    assert_int_equal(dsa_regfile_cmd_end(&rf, 0x00100000, 0), 0);
    assert_int_equal(DSA_SWERR_CMD_BUSY, 0x5200);

    dsa_regfile_reset(&rf);
    assert_int_equal(dsa_regfile_read(&rf, VIDXD_REG_GENCTRL), 0);
    assert_int_equal(dsa_regfile_read(&rf, VIDXD_REG_INTCAUSE), 0);
    assert_int_equal(dsa_regfile_read(&rf, VIDXD_REG_SWERR), 0);
    assert_int_equal(dsa_regfile_read(&rf, VIDXD_REG_VERSION), 0x100);
    dsa_regfile_fini(&rf);
}

static void
test_portal_decode(void **state)
{
    struct dsa_portal_pos pos;

    (void)state;
    /* WQ 1, page 3 (limited IMS), slot 2 of the page, byte 8. */
    pos = dsa_portal_decode(0x4000 + 0x3000 + 0x80 + 8);
    assert_int_equal(pos.wq, 1);
    assert_int_equal(pos.page, 3);
    assert_int_equal(pos.slot, 3 * 64 + 2);
    assert_int_equal(pos.byte, 8);
    assert_int_equal(dsa_portal_page_flags(0), 0);
    assert_int_equal(dsa_portal_page_flags(1), VIDXD_DSA_SUBMIT_LIMITED);
    assert_int_equal(dsa_portal_page_flags(2), VIDXD_DSA_SUBMIT_IMS);
    assert_int_equal(dsa_portal_page_flags(3),
                     VIDXD_DSA_SUBMIT_IMS | VIDXD_DSA_SUBMIT_LIMITED);
}

static void
test_slot_assembly(void **state)
{
    static const unsigned sizes[] = {32, 16, 8, 4, 2, 1, 1};
    static const unsigned offs[] = {32, 0, 16, 24, 28, 30, 31};
    struct dsa_slot s;
    struct vidxd_desc desc;
    uint8_t src[64], got[64];
    unsigned i;

    (void)state;
    for (i = 0; i < 64; i++) {
        src[i] = (uint8_t)(0xa0 + i);
    }
    memset(&s, 0, sizeof(s));
    /* Eight qwords last to first (qword 0 last, as mapped-mode writers
     * without MOVDIR64B do); a repeated piece does not complete it. */
    for (i = 7; i > 0; i--) {
        assert_false(dsa_slot_write(&s, 8 * i, src + 8 * i, 8, &desc));
    }
    assert_false(dsa_slot_write(&s, 8, src + 8, 8, &desc));
    assert_true(dsa_slot_write(&s, 0, src, 8, &desc));
    memcpy(got, &desc, sizeof(got));
    assert_memory_equal(got, src, 64);
    assert_int_equal(s.mask, 0); /* empty again */

    /* Mixed sizes in any order. */
    for (i = 0; i < 6; i++) {
        assert_false(
            dsa_slot_write(&s, offs[i], src + offs[i], sizes[i], &desc));
    }
    assert_true(dsa_slot_write(&s, offs[6], src + offs[6], sizes[6], &desc));
    memcpy(got, &desc, sizeof(got));
    assert_memory_equal(got, src, 64);

    /* One 64-byte store (MOVDIR64B). */
    assert_true(dsa_slot_write(&s, 0, src, 64, &desc));
    assert_int_equal(s.mask, 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_access_rules),
        cmocka_unit_test(test_register_pieces),
        cmocka_unit_test(test_wq_mask_decode),
        cmocka_unit_test(test_command_checks),
        cmocka_unit_test(test_regfile_errors),
        cmocka_unit_test(test_portal_decode),
        cmocka_unit_test(test_slot_assembly),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
