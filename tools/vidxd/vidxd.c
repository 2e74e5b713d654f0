/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vidxd: the command-line entry point.  `vidxd serve` runs the daemon;
 * the other verbs (verbs.c) manage a running daemon through its control
 * socket.  The only code of the project that exits the process or parses
 * arguments.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "vidxd/log.h"
#include "daemon/daemon.h"
#include "daemon/devcfg.h"
#include "verbs.h"

static void
syslog_sink(int level, const char *component, const char *msg, void *opaque)
{
    (void)opaque;
    syslog(level, "[%s] %s", component, msg);
}

static void
usage(FILE *f)
{
    fprintf(f,
            "usage: vidxd serve --socket PATH [options]\n"
            "       vidxd [--control PATH] VERB [ARGS]\n"
            "\n"
            "Serve an emulated Intel DSA (8086:0b25) over vfio-user, and "
            "manage it.\n"
            "\n"
            "serve options:\n"
            "  -s, --socket PATH        vfio-user socket for the device\n"
            "  -c, --config FILE        JSON device description (keys: "
            "num_wqs,\n"
            "                           num_engines, num_groups, "
            "total_wq_size,\n"
            "                           configurable, cmd_cap, portal_mode, "
            "...)\n"
            "  -p, --portal-mode MODE   mapped (default) or trapped\n"
            "  -w, --workers N          engine worker threads (default: one "
            "per engine)\n"
            "      --read-only          read-only configuration "
            "(GENCAP.config_en = 0)\n"
            "      --state-dir DIR      state file, lock and default sockets "
            "(default:\n"
            "                           /var/lib/vidxd as root, else "
            "$XDG_RUNTIME_DIR/vidxd\n"
            "                           or /tmp/vidxd-$UID)\n"
            "      --control PATH       control socket (default: "
            "<state-dir>/control.sock)\n"
            "      --vdev-dir DIR       vdev sockets (default: "
            "<state-dir>)\n"
            "      --syslog             log to syslog instead of stderr\n"
            "  -v, --verbose            debug logging\n"
            "  -q, --quiet              do not print the QEMU option\n"
            "\n");
    verbs_usage(f);
}

static int
cmd_serve(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"socket", required_argument, NULL, 's'},
        {"config", required_argument, NULL, 'c'},
        {"portal-mode", required_argument, NULL, 'p'},
        {"workers", required_argument, NULL, 'w'},
        {"read-only", no_argument, NULL, 'r'},
        {"state-dir", required_argument, NULL, 'D'},
        {"control", required_argument, NULL, 'C'},
        {"vdev-dir", required_argument, NULL, 'V'},
        {"syslog", no_argument, NULL, 'S'},
        {"verbose", no_argument, NULL, 'v'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct daemon_opts opts;
    const char *config = NULL, *mode = NULL;
    int workers = -1, level = LOG_INFO, c;
    bool use_syslog = false, read_only = false;
    char err[256];

    memset(&opts, 0, sizeof(opts));
    vidxd_dsa_config_default(&opts.dsa);
    opts.dsa.portal_mode = VIDXD_DSA_PORTAL_MAPPED;
    while ((c = getopt_long(argc, argv, "s:c:p:w:vqh", longopts, NULL)) != -1) {
        switch (c) {
        case 's':
            opts.socket_path = optarg;
            break;
        case 'c':
            config = optarg;
            break;
        case 'p':
            mode = optarg;
            break;
        case 'w': {
            char *end;
            long v = strtol(optarg, &end, 10);
            if (*end != '\0' || v < 1 || v > VIDXD_DSA_MAX_WORKERS) {
                fprintf(stderr, "vidxd: --workers must be 1..%d\n",
                        VIDXD_DSA_MAX_WORKERS);
                return 2;
            }
            workers = (int)v;
            break;
        }
        case 'r':
            read_only = true;
            break;
        case 'D':
            opts.state_dir = optarg;
            break;
        case 'C':
            opts.control_path = optarg;
            break;
        case 'V':
            opts.vdev_dir = optarg;
            break;
        case 'S':
            use_syslog = true;
            break;
        case 'v':
            level = LOG_DEBUG;
            break;
        case 'q':
            opts.quiet = true;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "vidxd: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }
    if (opts.socket_path == NULL) {
        fprintf(stderr, "vidxd: serve needs --socket PATH\n");
        return 2;
    }
    if (config != NULL && devcfg_load(config, &opts.dsa, err, sizeof(err)) < 0) {
        fprintf(stderr, "vidxd: %s: %s\n", config, err);
        return 2;
    }
    if (mode != NULL && devcfg_portal_mode(mode, &opts.dsa.portal_mode) < 0) {
        fprintf(stderr, "vidxd: --portal-mode must be mapped or trapped\n");
        return 2;
    }
    if (workers >= 0) {
        opts.dsa.workers = (unsigned)workers;
    } else if (opts.dsa.workers == 0) {
        /* One worker per engine (design.md "Threads"); the daemon never
         * runs descriptors inline: mapped portals need pollers. */
        opts.dsa.workers = opts.dsa.num_engines;
    }
    if (read_only) {
        opts.dsa.configurable = false;
    }
    if (use_syslog) {
        openlog("vidxd", LOG_PID, LOG_DAEMON);
        vidxd_log_set_sink(syslog_sink, NULL, level);
    } else {
        vidxd_log_set_sink(vidxd_log_stderr_sink, NULL, level);
    }
    return daemon_serve(&opts);
}

/*
 * Take the global --control PATH / --control=PATH out of @argv (anywhere
 * before or after the verb, as operators type it).  Returns the new argc,
 * or -1 if --control lacks its argument.
 */
static int
take_control(int argc, char **argv, const char **control)
{
    int i, j = 0;

    for (i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--control") == 0) {
            if (i + 1 >= argc) {
                return -1;
            }
            *control = argv[++i];
        } else if (strncmp(argv[i], "--control=", 10) == 0) {
            *control = argv[i] + 10;
        } else {
            argv[j++] = argv[i];
        }
    }
    argv[j] = NULL;
    return j;
}

int
main(int argc, char **argv)
{
    const char *control = NULL;
    char def[4096];
    int rc;

    if (argc >= 2 && strcmp(argv[1], "serve") == 0) {
        return cmd_serve(argc - 1, argv + 1);
    }
    argc = 1 + take_control(argc - 1, argv + 1, &control);
    if (argc < 1) {
        fprintf(stderr, "vidxd: --control needs a PATH\n");
        return 2;
    }
    if (argc < 2 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (control == NULL) {
        control = getenv("VIDXD_CONTROL");
    }
    if (control == NULL || control[0] == '\0') {
        if (daemon_default_control(def, sizeof(def)) < 0) {
            fprintf(stderr, "vidxd: default control path too long\n");
            return 2;
        }
        control = def;
    }
    rc = verbs_run(control, argc - 1, argv + 1);
    if (rc < 0) {
        fprintf(stderr, "vidxd: unknown command '%s' (try 'vidxd help')\n",
                argv[1]);
        return 2;
    }
    return rc;
}
