/* SPDX-License-Identifier: BSD-3-Clause */
/* Symbol export marker: the library builds with hidden visibility. */
#ifndef VIDXD_VISIBILITY_H
#define VIDXD_VISIBILITY_H

#define VIDXD_API __attribute__((visibility("default")))

#endif /* VIDXD_VISIBILITY_H */
