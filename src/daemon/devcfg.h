/* SPDX-License-Identifier: BSD-3-Clause */
/* Device description files: JSON overrides of the default SPR-like DSA. */
#ifndef VIDXD_DAEMON_DEVCFG_H
#define VIDXD_DAEMON_DEVCFG_H

#include <stddef.h>

#include "vidxd/dsa.h"

/*
 * Apply the JSON object in @path to @cfg.  On error returns -errno and
 * writes a one-line explanation (key and reason) into @err.
 */
int devcfg_load(const char *path, struct vidxd_dsa_config *cfg, char *err,
                size_t errlen);
/* The same from a string. */
int devcfg_parse(const char *json, struct vidxd_dsa_config *cfg, char *err,
                 size_t errlen);
/* Parse "mapped" / "trapped". */
int devcfg_portal_mode(const char *s, enum vidxd_dsa_portal_mode *mode);

#endif /* VIDXD_DAEMON_DEVCFG_H */
