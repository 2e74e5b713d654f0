/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The irq unit test binary: runs the core, table and DMA-memory device
 * tests as one cmocka group so TAP output has a single plan.
 */
#include <stdlib.h>

#include "irq_test.h"

int
main(void)
{
    size_t n = irq_core_ntests + irq_table_ntests + irq_dmadev_ntests, i = 0;
    struct CMUnitTest *all = calloc(n, sizeof(*all));
    int rc;

    if (all == NULL) {
        return 1;
    }
    memcpy(all + i, irq_core_tests, irq_core_ntests * sizeof(*all));
    i += irq_core_ntests;
    memcpy(all + i, irq_table_tests, irq_table_ntests * sizeof(*all));
    i += irq_table_ntests;
    memcpy(all + i, irq_dmadev_tests, irq_dmadev_ntests * sizeof(*all));
    rc = _cmocka_run_group_tests("irq", all, n, NULL, NULL);
    free(all);
    return rc;
}
