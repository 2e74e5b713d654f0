/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The management verbs of the vidxd CLI (accel-config style; docs/cli.md).
 * Each takes argv with argv[0] = the verb and returns the process exit
 * code: 0 success, 1 refused or failed (message on stderr), 2 usage error.
 */
#ifndef VIDXD_TOOLS_VERBS_H
#define VIDXD_TOOLS_VERBS_H

#include <stdio.h>

#define EXIT_REFUSED 1
#define EXIT_USAGE 2

/* Run verb @argv[0]; @control is the socket (already resolved).  Returns
 * -1 if @argv[0] is not a management verb. */
int verbs_run(const char *control, int argc, char **argv);

/* The verbs' part of `vidxd help`. */
void verbs_usage(FILE *f);

#endif /* VIDXD_TOOLS_VERBS_H */
