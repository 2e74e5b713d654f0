/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * File-system helpers of the daemon and the CLI: durable atomic file
 * replacement (the state file, save-config), directory creation and
 * bounded whole-file reads.
 */
#ifndef VIDXD_DAEMON_FSUTIL_H
#define VIDXD_DAEMON_FSUTIL_H

#include <stddef.h>
#include <sys/types.h>

/*
 * Replace @path with @len bytes of @data so that a crash leaves either the
 * old or the new content, never a mix: write a temporary file in the same
 * directory, fsync it, rename it over @path, fsync the directory.  The new
 * file gets mode @mode.  Returns 0 or -errno (the temporary file is
 * removed on failure).
 */
int fsutil_write_atomic(const char *path, const void *data, size_t len,
                        mode_t mode);

/* mkdir -p with @mode for the directories it creates.  Returns 0 or
 * -errno (-ENOTDIR if a component exists and is not a directory). */
int fsutil_mkdir_p(const char *path, mode_t mode);

/*
 * Read all of @path into a NUL-terminated malloc'd buffer (*@out, length
 * in *@len if @len is not NULL).  Returns 0, -EFBIG if the file is larger
 * than @max bytes, or -errno.
 */
int fsutil_read_file(const char *path, size_t max, char **out, size_t *len);

#endif /* VIDXD_DAEMON_FSUTIL_H */
