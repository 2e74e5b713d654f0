/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the mem layer: mapping rules, translation bounds, scatter,
 * the per-thread translation cache (stale entries after unmap, remap,
 * unmap_all, destroy, with more mappings than cache ways, and against
 * another thread's changes) and prefetch hints.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

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

/* A translation this thread has cached never survives a change. */
static void
test_translate_cache_invalidation(void **state)
{
    struct vidxd_as *as;
    uint8_t a[0x1000], b[0x800];
    uint64_t n = 0;

    (void)state;
    assert_int_equal(vidxd_as_create(3, &as), 0);
    assert_int_equal(vidxd_as_map(as, 0x10000, sizeof(a), a,
                                  VIDXD_MEM_READ | VIDXD_MEM_WRITE),
                     0);
    vidxd_as_enter(as);
    assert_ptr_equal(
        vidxd_as_translate(as, 0x10010, 0x1000, VIDXD_MEM_WRITE, &n), a + 0x10);
    assert_int_equal(n, 0xff0);
    vidxd_as_leave(as);

    /* Same IOVA, other memory, shorter and read-only. */
    assert_int_equal(vidxd_as_unmap(as, 0x10000, sizeof(a), NULL), 0);
    assert_int_equal(vidxd_as_map(as, 0x10000, sizeof(b), b, VIDXD_MEM_READ),
                     0);
    vidxd_as_enter(as);
    assert_null(vidxd_as_translate(as, 0x10010, 16, VIDXD_MEM_WRITE, &n));
    assert_ptr_equal(
        vidxd_as_translate(as, 0x10010, 0x1000, VIDXD_MEM_READ, &n), b + 0x10);
    assert_int_equal(n, 0x7f0);
    assert_null(vidxd_as_translate(as, 0x10800, 1, VIDXD_MEM_READ, &n));
    vidxd_as_leave(as);

    /* A new mapping next to a cached one is found. */
    assert_int_equal(vidxd_as_map(as, 0x10800, 0x800, a, VIDXD_MEM_READ), 0);
    vidxd_as_enter(as);
    assert_ptr_equal(vidxd_as_translate(as, 0x10800, 1, VIDXD_MEM_READ, &n), a);
    vidxd_as_leave(as);

    vidxd_as_unmap_all(as);
    vidxd_as_enter(as);
    assert_null(vidxd_as_translate(as, 0x10010, 1, VIDXD_MEM_READ, &n));
    assert_null(vidxd_as_translate(as, 0x10800, 1, VIDXD_MEM_READ, &n));
    vidxd_as_leave(as);

    /* A mapping without host memory faults every time, cached or not. */
    assert_int_equal(vidxd_as_map(as, 0x20000, 0x1000, NULL, VIDXD_MEM_READ),
                     0);
    vidxd_as_enter(as);
    assert_null(vidxd_as_translate(as, 0x20000, 1, VIDXD_MEM_READ, &n));
    assert_null(vidxd_as_translate(as, 0x20fff, 1, VIDXD_MEM_READ, &n));
    vidxd_as_leave(as);
    vidxd_as_destroy(as);
}

/*
 * A space created where a destroyed one was (the allocator soon hands the
 * same memory back) never sees that one's mappings: each round maps the
 * same IOVA onto the other of two buffers.
 */
static void
test_translate_cache_new_space(void **state)
{
    struct vidxd_as *as;
    uint8_t buf[2][64];
    uint64_t n = 0;

    (void)state;
    for (int k = 0; k < 32; k++) {
        uint8_t *h = buf[k % 2];

        assert_int_equal(vidxd_as_create(1, &as), 0);
        vidxd_as_enter(as);
        assert_null(vidxd_as_translate(as, 0x1000, 1, VIDXD_MEM_READ, &n));
        vidxd_as_leave(as);
        assert_int_equal(vidxd_as_map(as, 0x1000, 64, h, VIDXD_MEM_READ), 0);
        vidxd_as_enter(as);
        assert_ptr_equal(vidxd_as_translate(as, 0x1020, 64, VIDXD_MEM_READ, &n),
                         h + 0x20);
        assert_int_equal(n, 32);
        vidxd_as_leave(as);
        vidxd_as_destroy(as);
    }
}

/* More mappings than the cache holds, visited in changing orders. */
static void
test_translate_many_mappings(void **state)
{
    enum { NM = 11 };
    struct vidxd_as *as;
    static uint8_t buf[NM][256];
    uint64_t n = 0;
    unsigned i, r;

    (void)state;
    assert_int_equal(vidxd_as_create(2, &as), 0);
    for (i = 0; i < NM; i++) {
        /* Even ones read-write, odd ones read-only, with gaps between. */
        assert_int_equal(vidxd_as_map(as, 0x100000ull * (i + 1), 256, buf[i],
                                      (i % 2)
                                          ? VIDXD_MEM_READ
                                          : VIDXD_MEM_READ | VIDXD_MEM_WRITE),
                         0);
    }
    vidxd_as_enter(as);
    for (r = 0; r < 200; r++) {
        i = (r * 7 + r / NM) % NM;
        assert_ptr_equal(vidxd_as_translate(as, 0x100000ull * (i + 1) + r % 256,
                                            512, VIDXD_MEM_READ, &n),
                         buf[i] + r % 256);
        assert_int_equal(n, 256 - r % 256);
        if (i % 2) {
            assert_null(vidxd_as_translate(as, 0x100000ull * (i + 1), 1,
                                           VIDXD_MEM_WRITE, &n));
        } else {
            assert_ptr_equal(vidxd_as_translate(as, 0x100000ull * (i + 1), 1,
                                                VIDXD_MEM_WRITE, &n),
                             buf[i]);
        }
        /* The gap after each mapping stays unmapped. */
        assert_null(vidxd_as_translate(as, 0x100000ull * (i + 1) + 256, 1,
                                       VIDXD_MEM_READ, &n));
    }
    vidxd_as_leave(as);
    vidxd_as_destroy(as);
}

/*
 * Another thread changes the table between and during this thread's
 * sections.  The writer makes `seq` odd before a change and even after it;
 * a section that reads the same even value at its start and end ran
 * against exactly that table (the change needs the write lock, which waits
 * for the section), so its translations must match it: stable state k maps
 * 0x10000 onto a (read-write, 0x1000 bytes) for even k, onto b (read-only,
 * 0x800 bytes) for odd k.
 */
struct flip {
    struct vidxd_as *as;
    uint8_t a[0x1000], b[0x800];
    uint64_t seq;
    int done;
    unsigned checked;
    unsigned bad;
};

static void *
flip_reader(void *arg)
{
    struct flip *f = arg;

    while (!__atomic_load_n(&f->done, __ATOMIC_ACQUIRE)) {
        uint64_t s1, s2, nr = 0, nw = 0;
        uint8_t *r, *w;

        vidxd_as_enter(f->as);
        s1 = __atomic_load_n(&f->seq, __ATOMIC_SEQ_CST);
        r = vidxd_as_translate(f->as, 0x10010, 0x1000, VIDXD_MEM_READ, &nr);
        w = vidxd_as_translate(f->as, 0x10010, 0x1000, VIDXD_MEM_WRITE, &nw);
        s2 = __atomic_load_n(&f->seq, __ATOMIC_SEQ_CST);
        vidxd_as_leave(f->as);
        if (s1 != s2 || s1 % 2 != 0) {
            continue;
        }
        __atomic_add_fetch(&f->checked, 1, __ATOMIC_RELAXED);
        if ((s1 / 2) % 2 == 0) {
            f->bad += r != f->a + 0x10 || nr != 0xff0 || w != f->a + 0x10 ||
                      nw != 0xff0;
        } else {
            f->bad += r != f->b + 0x10 || nr != 0x7f0 || w != NULL;
        }
    }
    return NULL;
}

static void
test_translate_cache_other_thread(void **state)
{
    static struct flip f;
    pthread_t t;
    unsigned i;

    (void)state;
    memset(&f, 0, sizeof(f));
    assert_int_equal(vidxd_as_create(4, &f.as), 0);
    assert_int_equal(vidxd_as_map(f.as, 0x10000, sizeof(f.a), f.a,
                                  VIDXD_MEM_READ | VIDXD_MEM_WRITE),
                     0);
    assert_int_equal(pthread_create(&t, NULL, flip_reader, &f), 0);
    /* At least 4000 flips, and on until the reader has checked a few
     * hundred stable windows (it may start late on a loaded machine);
     * bounded so that a reader that never runs still ends the test. */
    for (i = 0; i < 4000 ||
                (__atomic_load_n(&f.checked, __ATOMIC_RELAXED) < 200 &&
                 i < 4000000);
         i++) {
        __atomic_add_fetch(&f.seq, 1, __ATOMIC_SEQ_CST);
        if (i % 2 == 0) {
            assert_int_equal(vidxd_as_unmap(f.as, 0x10000, sizeof(f.a), NULL),
                             0);
            assert_int_equal(
                vidxd_as_map(f.as, 0x10000, sizeof(f.b), f.b, VIDXD_MEM_READ),
                0);
        } else {
            assert_int_equal(vidxd_as_unmap(f.as, 0x10000, sizeof(f.b), NULL),
                             0);
            assert_int_equal(vidxd_as_map(f.as, 0x10000, sizeof(f.a), f.a,
                                          VIDXD_MEM_READ | VIDXD_MEM_WRITE),
                             0);
        }
        __atomic_add_fetch(&f.seq, 1, __ATOMIC_SEQ_CST);
        if (i % 64 == 0) {
            sched_yield();
        }
    }
    __atomic_store_n(&f.done, 1, __ATOMIC_RELEASE);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(f.bad, 0);
    assert_true(f.checked > 0);
    vidxd_as_destroy(f.as);
}

/*
 * Prefetch is a hint: it never touches the memory (here inaccessible to
 * the process, so a real access would crash), ignores addresses that do
 * not translate with the permission asked, and leaves translations exact.
 */
static void
test_prefetch_is_only_a_hint(void **state)
{
    struct vidxd_as *as;
    uint8_t *none, ro[64], rw[256];
    uint64_t n = 0;

    (void)state;
    none = mmap(NULL, 0x2000, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(none != MAP_FAILED);
    assert_int_equal(vidxd_as_create(5, &as), 0);
    assert_int_equal(vidxd_as_map(as, 0x10000, 0x2000, none,
                                  VIDXD_MEM_READ | VIDXD_MEM_WRITE),
                     0);
    assert_int_equal(vidxd_as_map(as, 0x20000, sizeof(ro), ro, VIDXD_MEM_READ),
                     0);
    assert_int_equal(vidxd_as_map(as, 0x30000, sizeof(rw), rw,
                                  VIDXD_MEM_READ | VIDXD_MEM_WRITE),
                     0);
    assert_int_equal(vidxd_as_map(as, 0x40000, 0x1000, NULL, VIDXD_MEM_READ),
                     0);
    vidxd_as_enter(as);
    vidxd_as_prefetch(as, 0x10000, 0x2000, VIDXD_MEM_READ);
    vidxd_as_prefetch(as, 0x10fc0, 0x2000, VIDXD_MEM_WRITE);
    vidxd_as_prefetch(as, 0x11fff, 0x2000, VIDXD_MEM_WRITE);
    vidxd_as_prefetch(as, 0x20000, 64, VIDXD_MEM_WRITE);
    vidxd_as_prefetch(as, 0x2ffff, 64, VIDXD_MEM_READ);
    vidxd_as_prefetch(as, 0x40000, 64, VIDXD_MEM_READ);
    vidxd_as_prefetch(as, 0x30000, 0, VIDXD_MEM_READ);
    vidxd_as_prefetch(as, UINT64_MAX, UINT64_MAX, VIDXD_MEM_READ);
    assert_ptr_equal(
        vidxd_as_translate(as, 0x10010, 0x2000, VIDXD_MEM_WRITE, &n),
        none + 0x10);
    assert_int_equal(n, 0x1ff0);
    assert_ptr_equal(vidxd_as_translate(as, 0x20008, 64, VIDXD_MEM_READ, &n),
                     ro + 8);
    assert_int_equal(n, 56);
    assert_null(vidxd_as_translate(as, 0x20008, 1, VIDXD_MEM_WRITE, &n));
    assert_ptr_equal(vidxd_as_translate(as, 0x300ff, 2, VIDXD_MEM_WRITE, &n),
                     rw + 0xff);
    assert_int_equal(n, 1);
    assert_null(vidxd_as_translate(as, 0x40000, 1, VIDXD_MEM_READ, &n));
    vidxd_as_leave(as);
    vidxd_as_destroy(as);
    munmap(none, 0x2000);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_rejects_wide_pasid),
        cmocka_unit_test(test_map_rules),
        cmocka_unit_test(test_translate_bounds_and_permissions),
        cmocka_unit_test(test_scatter_read_write),
        cmocka_unit_test(test_translate_cache_invalidation),
        cmocka_unit_test(test_translate_cache_new_space),
        cmocka_unit_test(test_translate_many_mappings),
        cmocka_unit_test(test_translate_cache_other_thread),
        cmocka_unit_test(test_prefetch_is_only_a_hint),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
