/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of the mem layer: mapping rules, translation bounds, scatter. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "vidxd/mem.h"

static void
test_create_rejects_wide_pasid(void **state)
{
    struct vidxd_as *as = NULL;

    (void)state;
    assert_int_equal(vidxd_as_create(0x100000, &as), -EINVAL);
    assert_int_equal(vidxd_as_create(0xfffff, &as), 0);
    assert_int_equal(vidxd_as_pasid(as), 0xfffff);
    vidxd_as_destroy(as);
    vidxd_as_destroy(NULL);
}

static void
test_map_rules(void **state)
{
    struct vidxd_as *as;
    uint8_t buf[0x3000];
    void *h = NULL;

    (void)state;
    assert_int_equal(vidxd_as_create(1, &as), 0);
    assert_int_equal(vidxd_as_map(as, 0x1000, 0, buf, VIDXD_MEM_READ), -EINVAL);
    assert_int_equal(vidxd_as_map(as, UINT64_MAX, 2, buf, VIDXD_MEM_READ),
                     -EINVAL);
    assert_int_equal(vidxd_as_map(as, 0x1000, 0x1000, buf, 0x4), -EINVAL);
    assert_int_equal(vidxd_as_map(as, 0x2000, 0x1000, buf, VIDXD_MEM_READ), 0);
    /* Overlaps on either side and containment are refused. */
    assert_int_equal(vidxd_as_map(as, 0x1800, 0x1000, buf, VIDXD_MEM_READ),
                     -EEXIST);
    assert_int_equal(vidxd_as_map(as, 0x2fff, 0x10, buf, VIDXD_MEM_READ),
                     -EEXIST);
    assert_int_equal(vidxd_as_map(as, 0x0, 0x10000, buf, VIDXD_MEM_READ),
                     -EEXIST);
    /* Adjacent ranges are fine, and the top of the space is mappable. */
    assert_int_equal(vidxd_as_map(as, 0x1000, 0x1000, buf, VIDXD_MEM_READ), 0);
    assert_int_equal(vidxd_as_map(as, 0x3000, 0x1000, buf, VIDXD_MEM_READ), 0);
    assert_int_equal(vidxd_as_map(as, UINT64_MAX - 0xfff, 0x1000, buf,
                                  VIDXD_MEM_READ), 0);
    assert_int_equal(vidxd_as_count(as), 4);
    /* Unmap needs the exact range. */
    assert_int_equal(vidxd_as_unmap(as, 0x2000, 0x800, NULL), -ENOENT);
    assert_int_equal(vidxd_as_unmap(as, 0x2000, 0x1000, &h), 0);
    assert_ptr_equal(h, buf);
    assert_int_equal(vidxd_as_unmap(as, 0x2000, 0x1000, NULL), -ENOENT);
    assert_int_equal(vidxd_as_count(as), 3);
    vidxd_as_unmap_all(as);
    assert_int_equal(vidxd_as_count(as), 0);
    vidxd_as_destroy(as);
}

static void
test_translate_bounds_and_permissions(void **state)
{
    struct vidxd_as *as;
    uint8_t ro[0x1000], rw[0x1000];
    uint64_t n = 0;

    (void)state;
    assert_int_equal(vidxd_as_create(0, &as), 0);
    assert_int_equal(vidxd_as_map(as, 0x10000, sizeof(ro), ro, VIDXD_MEM_READ), 0);
    assert_int_equal(vidxd_as_map(as, 0x11000, sizeof(rw), rw,
                                  VIDXD_MEM_READ | VIDXD_MEM_WRITE), 0);
    assert_int_equal(vidxd_as_map(as, 0x20000, 0x1000, NULL, VIDXD_MEM_READ), 0);
    vidxd_as_enter(as);
    assert_ptr_equal(vidxd_as_translate(as, 0x10010, 16, VIDXD_MEM_READ, &n),
                     ro + 0x10);
    assert_int_equal(n, 16);
    /* A range crossing into the next mapping is cut at the boundary. */
    assert_ptr_equal(vidxd_as_translate(as, 0x10ff0, 0x100, VIDXD_MEM_READ, &n),
                     ro + 0xff0);
    assert_int_equal(n, 0x10);
    assert_null(vidxd_as_translate(as, 0x10000, 1, VIDXD_MEM_WRITE, &n));
    assert_non_null(vidxd_as_translate(as, 0x11000, 1, VIDXD_MEM_WRITE, &n));
    assert_null(vidxd_as_translate(as, 0xffff, 1, VIDXD_MEM_READ, &n));
    assert_null(vidxd_as_translate(as, 0x12000, 1, VIDXD_MEM_READ, &n));
    /* Recorded without host memory: always faults. */
    assert_null(vidxd_as_translate(as, 0x20000, 1, VIDXD_MEM_READ, &n));
    /* Huge lengths cannot overflow the check. */
    assert_ptr_equal(vidxd_as_translate(as, 0x11fff, UINT64_MAX,
                                        VIDXD_MEM_READ, &n), rw + 0xfff);
    assert_int_equal(n, 1);
    vidxd_as_leave(as);
    vidxd_as_destroy(as);
}

static void
test_scatter_read_write(void **state)
{
    struct vidxd_as *as;
    uint8_t a[64], b[64], out[96], in[96];
    uint64_t fault = 0;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(in); i++) {
        in[i] = (uint8_t)(i * 7 + 1);
    }
    memset(a, 0, sizeof(a));
    memset(b, 0, sizeof(b));
    assert_int_equal(vidxd_as_create(0, &as), 0);
    /* Two adjacent IOVA ranges backed by unrelated host buffers. */
    assert_int_equal(vidxd_as_map(as, 0x1000, 64, a,
                                  VIDXD_MEM_READ | VIDXD_MEM_WRITE), 0);
    assert_int_equal(vidxd_as_map(as, 0x1040, 64, b,
                                  VIDXD_MEM_READ | VIDXD_MEM_WRITE), 0);
    vidxd_as_enter(as);
    assert_int_equal(vidxd_as_write(as, 0x1010, in, 96, &fault), 0);
    assert_memory_equal(a + 0x10, in, 48);
    assert_memory_equal(b, in + 48, 48);
    assert_int_equal(vidxd_as_read(as, 0x1010, out, 96, &fault), 0);
    assert_memory_equal(out, in, 96);
    /* Running off the end reports the first unmapped address. */
    assert_int_equal(vidxd_as_read(as, 0x1070, out, 32, &fault), -EFAULT);
    assert_int_equal(fault, 0x1080);
    assert_int_equal(vidxd_as_write(as, 0x0ff8, in, 16, &fault), -EFAULT);
    assert_int_equal(fault, 0x0ff8);
    vidxd_as_leave(as);
    vidxd_as_destroy(as);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_rejects_wide_pasid),
        cmocka_unit_test(test_map_rules),
        cmocka_unit_test(test_translate_bounds_and_permissions),
        cmocka_unit_test(test_scatter_read_write),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
