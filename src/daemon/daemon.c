/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The daemon proper: takes its state directory (locked, so two daemons
 * never write one state file), creates the default device, the device
 * manager (which restores the saved configuration and vdevs) and the
 * control socket, puts them into the event loop, prints how to attach
 * QEMU, and tears everything down in order on SIGTERM.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vidxd/log.h"
#include "vidxd/server.h"
#include "daemon/control.h"
#include "daemon/daemon.h"
#include "daemon/fsutil.h"
#include "daemon/loop.h"
#include "daemon/manager.h"
#include "daemon/pf.h"

int
daemon_default_state_dir(char *buf, size_t len)
{
    const char *xdg = getenv("XDG_RUNTIME_DIR");
    int n;

    if (geteuid() == 0) {
        n = snprintf(buf, len, "/var/lib/vidxd");
    } else if (xdg != NULL && xdg[0] == '/') {
        n = snprintf(buf, len, "%s/vidxd", xdg);
    } else {
        n = snprintf(buf, len, "/tmp/vidxd-%u", (unsigned)geteuid());
    }
    return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int
daemon_default_control(char *buf, size_t len)
{
    char dir[PATH_MAX];
    int rc = daemon_default_state_dir(dir, sizeof(dir));
    int n;

    if (rc < 0) {
        return rc;
    }
    n = snprintf(buf, len, "%s/control.sock", dir);
    return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/*
 * Create @dir if needed and make sure it is a directory of ours that no
 * one else can write: the state file and the control socket live there
 * (and /tmp/vidxd-<uid> is a predictable name).
 */
static int
prepare_dir(const char *what, const char *dir)
{
    struct stat st;
    int rc = fsutil_mkdir_p(dir, 0700);

    if (rc < 0) {
        VIDXD_ERR("daemon", "cannot create %s %s: %s", what, dir,
                  strerror(-rc));
        return rc;
    }
    if (lstat(dir, &st) < 0) {
        rc = -errno;
        VIDXD_ERR("daemon", "%s %s: %s", what, dir, strerror(errno));
        return rc;
    }
    if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() ||
        (st.st_mode & 022) != 0) {
        VIDXD_ERR("daemon",
                  "%s %s must be a directory owned by uid %u and writable "
                  "by it alone",
                  what, dir, (unsigned)geteuid());
        return -EPERM;
    }
    return 0;
}

/* One daemon per state directory: an flock on <dir>/lock, released by the
 * kernel however the daemon ends (kill -9 included). */
static int
lock_state_dir(const char *dir, int *out)
{
    char path[PATH_MAX], pid[32];
    int fd, n;

    if (snprintf(path, sizeof(path), "%s/lock", dir) >= (int)sizeof(path)) {
        return -ENAMETOOLONG;
    }
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        VIDXD_ERR("daemon", "cannot open %s: %s", path, strerror(errno));
        return -errno;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        int rc = -errno;

        n = (int)pread(fd, pid, sizeof(pid) - 1, 0);
        pid[n > 0 ? n : 0] = '\0';
        pid[strcspn(pid, "\n")] = '\0';
        VIDXD_ERR("daemon",
                  "state directory %s is in use by another vidxd (pid %s); "
                  "use --state-dir for a second daemon",
                  dir, pid[0] != '\0' ? pid : "?");
        close(fd);
        return rc == -EWOULDBLOCK ? -EBUSY : rc;
    }
    n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, (size_t)n, 0) != n) {
        /* The pid is only a hint for the message above. */
    }
    *out = fd;
    return 0;
}

static void
pf_ready(void *opaque, unsigned events)
{
    struct pf *pf = opaque;
    int rc = pf_dispatch(pf);

    if (rc < 0) {
        VIDXD_ERR("daemon", "%s: dispatch failed: %s", pf_name(pf),
                  strerror(-rc));
    }
}

int
daemon_serve(const struct daemon_opts *opts)
{
    char state_dir[PATH_MAX], state_path[PATH_MAX], control[PATH_MAX];
    char abs[PATH_MAX];
    struct mgr_config mcfg;
    struct ctl_config ccfg;
    struct pf_config pcfg;
    struct loop *loop = NULL;
    struct pf *pf = NULL;
    struct mgr *mgr = NULL;
    struct ctl *ctl = NULL;
    struct mgr_err merr;
    const char *vdev_dir;
    bool pf_in_loop = false;
    int rc, lock_fd = -1;

    if (opts->state_dir != NULL) {
        rc = snprintf(state_dir, sizeof(state_dir), "%s", opts->state_dir) >=
                     (int)sizeof(state_dir)
                 ? -ENAMETOOLONG
                 : 0;
    } else {
        rc = daemon_default_state_dir(state_dir, sizeof(state_dir));
    }
    if (rc == 0 && (snprintf(state_path, sizeof(state_path), "%s/state.json",
                             state_dir) >= (int)sizeof(state_path) ||
                    (opts->control_path == NULL &&
                     snprintf(control, sizeof(control), "%s/control.sock",
                              state_dir) >= (int)sizeof(control)))) {
        rc = -ENAMETOOLONG;
    }
    if (rc < 0) {
        VIDXD_ERR("daemon", "state directory path too long");
        return 1;
    }
    if (opts->control_path != NULL) {
        snprintf(control, sizeof(control), "%s", opts->control_path);
    }
    vdev_dir = opts->vdev_dir != NULL ? opts->vdev_dir : state_dir;
    if (prepare_dir("state directory", state_dir) < 0 ||
        (opts->vdev_dir != NULL && prepare_dir("vdev directory", vdev_dir) < 0) ||
        lock_state_dir(state_dir, &lock_fd) < 0) {
        return 1;
    }
    rc = loop_create(&loop);
    if (rc < 0) {
        VIDXD_ERR("daemon", "event loop: %s", strerror(-rc));
        goto out;
    }
    /* Before any DMA map: a VMM that shrinks its guest RAM file must not
     * kill the daemon (design.md invariant 1; vidxd/server.h). */
    rc = vidxd_server_sigbus_guard_install();
    if (rc < 0) {
        VIDXD_WARN("daemon", "no SIGBUS guard (%s): a VMM that shrinks its "
                   "guest memory file can crash the daemon", strerror(-rc));
    }
    memset(&pcfg, 0, sizeof(pcfg));
    pcfg.name = "dsa0";
    pcfg.socket_path = opts->socket_path;
    pcfg.dsa = opts->dsa;
    rc = pf_create(&pcfg, &pf);
    if (rc < 0) {
        goto out;
    }
    memset(&mcfg, 0, sizeof(mcfg));
    mcfg.pf = pf;
    mcfg.loop = loop;
    mcfg.state_path = state_path;
    mcfg.vdev_dir = vdev_dir;
    rc = mgr_create(&mcfg, &mgr);
    if (rc < 0) {
        VIDXD_ERR("daemon", "device manager: %s", strerror(-rc));
        goto out;
    }
    /* A state file that cannot be restored is reported and kept aside by
     * the manager; the daemon starts with defaults. */
    memset(&merr, 0, sizeof(merr));
    mgr_restore(mgr, &merr, NULL);
    memset(&ccfg, 0, sizeof(ccfg));
    ccfg.path = control;
    ccfg.loop = loop;
    ccfg.mgr = mgr;
    rc = ctl_create(&ccfg, &ctl);
    if (rc < 0) {
        VIDXD_ERR("daemon", "cannot serve the control socket %s: %s", control,
                  rc == -EADDRINUSE ? "another vidxd is listening there"
                                    : strerror(-rc));
        goto out;
    }
    rc = loop_add(loop, pf_fd(pf), pf_ready, pf);
    if (rc < 0) {
        VIDXD_ERR("daemon", "event loop: %s", strerror(-rc));
        goto out;
    }
    pf_in_loop = true;
    if (realpath(opts->socket_path, abs) == NULL) {
        snprintf(abs, sizeof(abs), "%s", opts->socket_path);
    }
    VIDXD_INFO("daemon",
               "dsa0: %u WQs, %u engines, %u groups, %s config, %s portals, "
               "serving on %s; control socket %s",
               opts->dsa.num_wqs, opts->dsa.num_engines, opts->dsa.num_groups,
               opts->dsa.configurable ? "configurable" : "read-only",
               opts->dsa.portal_mode == VIDXD_DSA_PORTAL_MAPPED ? "mapped"
                                                                : "trapped",
               abs, control);
    if (!opts->quiet) {
        /* Guest RAM must be shared and fd-backed so that the VMM can pass
         * it in DMA_MAP (vfio-user.md §2.8). */
        printf("Attach with QEMU (10.1 or later):\n"
               "  -object memory-backend-memfd,id=mem,size=1G,share=on "
               "-machine q35,memory-backend=mem \\\n"
               "  -device '{\"driver\":\"vfio-user-pci\",\"socket\":"
               "{\"path\":\"%s\",\"type\":\"unix\"}}'\n"
               "Manage with: vidxd --control %s list\n",
               abs, control);
        fflush(stdout);
    }
    rc = loop_run(loop);
    if (rc < 0) {
        VIDXD_ERR("daemon", "event loop: %s", strerror(-rc));
    }
out:
    /* Clients first, then the vdevs (their VMMs are disconnected; the
     * state file keeps them for the next start), then the device. */
    ctl_destroy(ctl);
    mgr_destroy(mgr);
    if (pf_in_loop) {
        loop_del(loop, pf_fd(pf));
    }
    pf_destroy(pf);
    loop_destroy(loop);
    if (lock_fd >= 0) {
        close(lock_fd);
    }
    VIDXD_INFO("daemon", "stopped");
    return rc < 0 ? 1 : 0;
}
