/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * File-system helpers.  Atomic replacement follows the usual durable
 * sequence (temporary file in the same directory, fsync, rename, fsync of
 * the directory): rename() is atomic within one file system, and the two
 * fsyncs order the data before the name and make the name durable.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/fsutil.h"

int
fsutil_write_all(int fd, const void *data, size_t len, bool sock)
{
    const char *p = data;

    while (len > 0) {
        ssize_t n = sock ? send(fd, p, len, MSG_NOSIGNAL) : write(fd, p, len);

        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -errno;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static int
fsync_dir_of(const char *path)
{
    char dir[PATH_MAX];
    const char *slash = strrchr(path, '/');
    int fd, rc = 0;

    if (slash == NULL) {
        snprintf(dir, sizeof(dir), ".");
    } else if (slash == path) {
        snprintf(dir, sizeof(dir), "/");
    } else {
        if ((size_t)(slash - path) >= sizeof(dir)) {
            return -ENAMETOOLONG;
        }
        memcpy(dir, path, (size_t)(slash - path));
        dir[slash - path] = '\0';
    }
    fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        return -errno;
    }
    if (fsync(fd) < 0) {
        rc = -errno;
    }
    close(fd);
    return rc;
}

int
fsutil_write_atomic(const char *path, const void *data, size_t len,
                    mode_t mode)
{
    char tmp[PATH_MAX];
    int fd, rc;

    if (snprintf(tmp, sizeof(tmp), "%s.tmp-XXXXXX", path) >=
        (int)sizeof(tmp)) {
        return -ENAMETOOLONG;
    }
    fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) {
        return -errno;
    }
    rc = fsutil_write_all(fd, data, len, false);
    if (rc == 0 && fchmod(fd, mode) < 0) {
        rc = -errno;
    }
    if (rc == 0 && fsync(fd) < 0) {
        rc = -errno;
    }
    if (close(fd) < 0 && rc == 0) {
        rc = -errno;
    }
    if (rc == 0 && rename(tmp, path) < 0) {
        rc = -errno;
    }
    if (rc < 0) {
        unlink(tmp);
        return rc;
    }
    return fsync_dir_of(path);
}

int
fsutil_mkdir_p(const char *path, mode_t mode)
{
    char buf[PATH_MAX];
    struct stat st;
    size_t i, n = strlen(path);

    if (n == 0) {
        return -EINVAL;
    }
    if (n >= sizeof(buf)) {
        return -ENAMETOOLONG;
    }
    memcpy(buf, path, n + 1);
    for (i = 1; i <= n; i++) {
        if (buf[i] != '/' && buf[i] != '\0') {
            continue;
        }
        buf[i] = '\0';
        if (mkdir(buf, mode) < 0 && errno != EEXIST) {
            return -errno;
        }
        if (stat(buf, &st) < 0) {
            return -errno;
        }
        if (!S_ISDIR(st.st_mode)) {
            return -ENOTDIR;
        }
        if (i < n) {
            buf[i] = '/';
        }
    }
    return 0;
}

int
fsutil_read_file(const char *path, size_t max, char **out, size_t *len)
{
    char *buf = NULL;
    size_t have = 0, cap = 0;
    int fd, rc = 0;

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return -errno;
    }
    for (;;) {
        ssize_t n;

        if (have + 1 >= cap) {
            size_t ncap = cap == 0 ? 4096 : cap * 2;
            char *nb;

            if (cap > max + 1) {
                rc = -EFBIG;
                break;
            }
            nb = realloc(buf, ncap);
            if (nb == NULL) {
                rc = -ENOMEM;
                break;
            }
            buf = nb;
            cap = ncap;
        }
        n = read(fd, buf + have, cap - have - 1);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            rc = -errno;
            break;
        }
        if (n == 0) {
            break;
        }
        have += (size_t)n;
        if (have > max) {
            rc = -EFBIG;
            break;
        }
    }
    close(fd);
    if (rc < 0) {
        free(buf);
        return rc;
    }
    buf[have] = '\0';
    *out = buf;
    if (len != NULL) {
        *len = have;
    }
    return 0;
}
