/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * File-system helpers of the daemon and the CLI: durable atomic file
 * replacement (the state file, save-config), directory creation, bounded
 * whole-file reads, and complete writes to a file or socket descriptor.
 */
#ifndef VIDXD_DAEMON_FSUTIL_H
#define VIDXD_DAEMON_FSUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/*
 * Write all @len bytes of @data to @fd, retrying after EINTR and short
 * writes.  With @sock, @fd is a socket written with send(MSG_NOSIGNAL), so
 * that a peer that went away gives -EPIPE instead of SIGPIPE.  Returns 0
 * or -errno.
 */
int fsutil_write_all(int fd, const void *data, size_t len, bool sock);

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
