/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vidxd management verbs: parse and check the arguments (usage errors exit
 * 2 before anything is sent), build one control request, print the reply
 * (JSON on stdout for list/stats/save-config, short lines otherwise) or the
 * daemon's error on stderr with exit 1.  The daemon validates everything
 * again: the CLI checks only what it can know without the device.  Option
 * names and short letters follow accel-config.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <uuid/uuid.h>

#include "client.h"
#include "daemon/control.h"
#include "daemon/fsutil.h"
#include "verbs.h"

#define JSON_OUT (JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE)

static int usage_error(const char *verb, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
usage_error(const char *verb, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "vidxd %s: ", verb);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, " (try 'vidxd help')\n");
    return EXIT_USAGE;
}

/* A decimal integer in [min, max]. */
static int
parse_num(const char *verb, const char *opt, const char *s, long long min,
          long long max, long long *out)
{
    char *end;
    long long v;

    errno = 0;
    v = strtoll(s, &end, 10);
    if (s[0] == '\0' || *end != '\0' || errno != 0 || v < min || v > max) {
        fprintf(stderr,
                "vidxd %s: --%s must be an integer in %lld..%lld, not '%s'\n",
                verb, opt, min, max, s);
        return EXIT_USAGE;
    }
    *out = v;
    return 0;
}

static int
check_uuid(const char *verb, const char *s)
{
    uuid_t u;

    if (strlen(s) != 36 || uuid_parse(s, u) != 0) {
        fprintf(stderr,
                "vidxd %s: malformed UUID '%s' (expected "
                "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)\n",
                verb, s);
        return EXIT_USAGE;
    }
    return 0;
}

/* Send @req (consumed); on success *@reply holds the reply (caller puts). */
static int
call(const char *control, const char *verb, json_object *req,
     json_object **reply)
{
    json_object *ok, *e, *w;
    char msg[512];
    int rc = client_call(control, req, reply, msg, sizeof(msg));

    json_object_put(req);
    if (rc < 0) {
        fprintf(stderr, "vidxd %s: %s\n", verb, msg);
        return EXIT_REFUSED;
    }
    if (json_object_object_get_ex(*reply, "warning", &w)) {
        fprintf(stderr, "vidxd %s: warning: %s\n", verb,
                json_object_get_string(w));
    }
    if (!json_object_object_get_ex(*reply, "ok", &ok) ||
        !json_object_get_boolean(ok)) {
        fprintf(stderr, "vidxd %s: %s\n", verb,
                json_object_object_get_ex(*reply, "error", &e)
                    ? json_object_get_string(e)
                    : "the daemon refused the request");
        json_object_put(*reply);
        *reply = NULL;
        return EXIT_REFUSED;
    }
    return 0;
}

static json_object *
request(const char *cmd)
{
    json_object *r = json_object_new_object();

    json_object_object_add(r, "cmd", json_object_new_string(cmd));
    return r;
}

static void
print_json(json_object *o)
{
    printf("%s\n", json_object_to_json_string_ext(o, JSON_OUT));
}

/* getopt_long over argv with the verb at argv[0]; "-h" prints help. */
#define VERB_GETOPT_INIT() (optind = 1, opterr = 1)

/* ---- list, stats, save-config ---- */

static int
verb_list(const char *control, int argc, char **argv)
{
    static const struct option opts[] = {
        {"vdevs", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    json_object *reply, *v;
    bool vdevs;
    int c, rc;

    /* list-vdevs is a synonym of list --vdevs. */
    vdevs = strcmp(argv[0], "list-vdevs") == 0;
    VERB_GETOPT_INIT();
    while ((c = getopt_long(argc, argv, "V", opts, NULL)) != -1) {
        if (c != 'V') {
            return EXIT_USAGE;
        }
        vdevs = true;
    }
    if (optind != argc) {
        return usage_error(argv[0], "unexpected argument '%s'", argv[optind]);
    }
    rc = call(control, argv[0], request(vdevs ? "list-vdevs" : "list"),
              &reply);
    if (rc != 0) {
        return rc;
    }
    if (json_object_object_get_ex(reply, vdevs ? "vdevs" : "devices", &v)) {
        print_json(v);
    }
    json_object_put(reply);
    return 0;
}

static int
verb_stats(const char *control, int argc, char **argv)
{
    json_object *req, *reply, *v;
    int rc;

    if (argc > 2) {
        return usage_error(argv[0], "unexpected argument '%s'", argv[2]);
    }
    if (argc == 2 && argv[1][0] == '-') {
        return usage_error(argv[0], "unknown option '%s'", argv[1]);
    }
    req = request("stats");
    if (argc == 2) {
        json_object_object_add(req, "dev", json_object_new_string(argv[1]));
    }
    rc = call(control, argv[0], req, &reply);
    if (rc != 0) {
        return rc;
    }
    if (json_object_object_get_ex(reply, "devices", &v)) {
        print_json(v);
    }
    json_object_put(reply);
    return 0;
}

static int
verb_save_config(const char *control, int argc, char **argv)
{
    static const struct option opts[] = {
        {"saved-file", required_argument, NULL, 's'},
        {NULL, 0, NULL, 0},
    };
    const char *file = NULL, *s;
    json_object *reply, *cfg;
    int c, rc;

    VERB_GETOPT_INIT();
    while ((c = getopt_long(argc, argv, "s:", opts, NULL)) != -1) {
        if (c != 's') {
            return EXIT_USAGE;
        }
        file = optarg;
    }
    if (optind != argc) {
        return usage_error(argv[0], "unexpected argument '%s'", argv[optind]);
    }
    rc = call(control, argv[0], request("save-config"), &reply);
    if (rc != 0) {
        return rc;
    }
    if (!json_object_object_get_ex(reply, "config", &cfg)) {
        fprintf(stderr, "vidxd %s: malformed reply\n", argv[0]);
        json_object_put(reply);
        return EXIT_REFUSED;
    }
    if (file == NULL) {
        print_json(cfg);
        json_object_put(reply);
        return 0;
    }
    s = json_object_to_json_string_ext(cfg, JSON_OUT);
    {
        size_t n = strlen(s);
        char *text = malloc(n + 2);

        rc = text == NULL ? -ENOMEM : 0;
        if (rc == 0) {
            memcpy(text, s, n);
            text[n] = '\n';
            rc = fsutil_write_atomic(file, text, n + 1, 0644);
            free(text);
        }
    }
    json_object_put(reply);
    if (rc < 0) {
        fprintf(stderr, "vidxd %s: cannot write %s: %s\n", argv[0], file,
                strerror(-rc));
        return EXIT_REFUSED;
    }
    printf("saved configuration to %s\n", file);
    return 0;
}

static int
verb_load_config(const char *control, int argc, char **argv)
{
    static const struct option opts[] = {
        {"config-file", required_argument, NULL, 'c'},
        {"enable", no_argument, NULL, 'e'},
        {NULL, 0, NULL, 0},
    };
    json_object *req, *reply, *cfg, *en;
    struct json_tokener *tok;
    const char *file = NULL;
    bool enable = false;
    char *text = NULL;
    size_t len = 0, i;
    int c, rc;

    VERB_GETOPT_INIT();
    while ((c = getopt_long(argc, argv, "c:e", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            file = optarg;
            break;
        case 'e':
            enable = true;
            break;
        default:
            return EXIT_USAGE;
        }
    }
    if (optind != argc) {
        return usage_error(argv[0], "unexpected argument '%s'", argv[optind]);
    }
    if (file == NULL) {
        return usage_error(argv[0], "%s", "needs -c FILE");
    }
    rc = fsutil_read_file(file, CTL_MAX_REQUEST, &text, &len);
    if (rc < 0) {
        fprintf(stderr, "vidxd %s: cannot read %s: %s\n", argv[0], file,
                rc == -EFBIG ? "file too large" : strerror(-rc));
        return EXIT_REFUSED;
    }
    tok = json_tokener_new_ex(16);
    cfg = tok != NULL ? json_tokener_parse_ex(tok, text, (int)len) : NULL;
    if (cfg == NULL || json_tokener_get_error(tok) != json_tokener_success) {
        fprintf(stderr, "vidxd %s: %s is not valid JSON (%s)\n", argv[0], file,
                tok != NULL
                    ? ctl_json_error(json_tokener_get_error(tok))
                    : "out of memory");
        json_object_put(cfg);
        if (tok != NULL) {
            json_tokener_free(tok);
        }
        free(text);
        return EXIT_REFUSED;
    }
    json_tokener_free(tok);
    free(text);
    req = request("load-config");
    json_object_object_add(req, "config", cfg);
    if (enable) {
        json_object_object_add(req, "enable", json_object_new_boolean(true));
    }
    rc = call(control, argv[0], req, &reply);
    if (rc != 0) {
        return rc;
    }
    printf("loaded configuration from %s\n", file);
    if (json_object_object_get_ex(reply, "enabled", &en)) {
        for (i = 0; i < json_object_array_length(en); i++) {
            printf("enabled %s\n",
                   json_object_get_string(json_object_array_get_idx(en, i)));
        }
    }
    json_object_put(reply);
    return 0;
}

/* ---- config-* ---- */

/* An option of a config verb: its JSON key and how its value is checked. */
enum optkind { OPT_NUM, OPT_BOOL, OPT_ENUM, OPT_STR };

struct cfgopt {
    const char *name; /* long option */
    int letter; /* short option (accel-config's), or a code > 255 */
    const char *key; /* attribute */
    enum optkind kind;
    long long min, max;
    const char *values[5]; /* OPT_ENUM */
};

static const struct cfgopt device_opts[] = {
    {"read-buffer-limit", 'l', "read_buffer_limit", OPT_NUM, 0, 255, {NULL}},
    {NULL, 0, NULL, 0, 0, 0, {NULL}},
};

static const struct cfgopt engine_opts[] = {
    {"group-id", 'g', "group_id", OPT_NUM, -1, 255, {NULL}},
    {NULL, 0, NULL, 0, 0, 0, {NULL}},
};

static const struct cfgopt group_opts[] = {
    {"read-buffers-reserved", 'r', "read_buffers_reserved", OPT_NUM, 0, 255,
     {NULL}},
    {"read-buffers-allowed", 't', "read_buffers_allowed", OPT_NUM, 0, 255,
     {NULL}},
    {"use-read-buffer-limit", 'l', "use_read_buffer_limit", OPT_BOOL, 0, 1,
     {NULL}},
    {"traffic-class-a", 'a', "traffic_class_a", OPT_NUM, 0, 7, {NULL}},
    {"traffic-class-b", 'b', "traffic_class_b", OPT_NUM, 0, 7, {NULL}},
    {NULL, 0, NULL, 0, 0, 0, {NULL}},
};

static const struct cfgopt wq_opts[] = {
    {"group-id", 'g', "group_id", OPT_NUM, -1, 255, {NULL}},
    {"mode", 'm', "mode", OPT_ENUM, 0, 0, {"dedicated", "shared", NULL}},
    {"wq-size", 's', "size", OPT_NUM, 0, 65535, {NULL}},
    {"priority", 'p', "priority", OPT_NUM, 0, 15, {NULL}},
    {"threshold", 't', "threshold", OPT_NUM, 0, 65535, {NULL}},
    {"type", 'y', "type", OPT_ENUM, 0, 0,
     {"none", "kernel", "user", "vdev", NULL}},
    {"name", 'n', "name", OPT_STR, 0, 0, {NULL}},
    {"driver-name", 'd', "driver_name", OPT_STR, 0, 0, {NULL}},
    {"max-batch-size", 'c', "max_batch_size", OPT_NUM, 1, 1ll << 31, {NULL}},
    {"max-transfer-size", 'x', "max_transfer_size", OPT_NUM, 1, 1ll << 40,
     {NULL}},
    {"block-on-fault", 'b', "block_on_fault", OPT_BOOL, 0, 1, {NULL}},
    {NULL, 0, NULL, 0, 0, 0, {NULL}},
};

static int
verb_config(const char *control, int argc, char **argv,
            const struct cfgopt *table, const char *what)
{
    struct option lopts[16];
    char shorts[40];
    json_object *req, *attrs, *reply;
    size_t n = 0, s = 0;
    int c, rc;

    for (n = 0; table[n].name != NULL; n++) {
        lopts[n] = (struct option){table[n].name, required_argument, NULL,
                                   table[n].letter};
        shorts[s++] = (char)table[n].letter;
        shorts[s++] = ':';
    }
    lopts[n] = (struct option){NULL, 0, NULL, 0};
    shorts[s] = '\0';
    attrs = json_object_new_object();
    VERB_GETOPT_INIT();
    while ((c = getopt_long(argc, argv, shorts, lopts, NULL)) != -1) {
        const struct cfgopt *o = NULL;
        long long v;
        size_t i;

        for (i = 0; i < n; i++) {
            if (table[i].letter == c) {
                o = &table[i];
            }
        }
        if (o == NULL) {
            json_object_put(attrs);
            return EXIT_USAGE;
        }
        switch (o->kind) {
        case OPT_NUM:
        case OPT_BOOL:
            rc = parse_num(argv[0], o->name, optarg, o->min, o->max, &v);
            if (rc != 0) {
                json_object_put(attrs);
                return rc;
            }
            json_object_object_add(attrs, o->key, json_object_new_int64(v));
            break;
        case OPT_ENUM:
            for (i = 0; o->values[i] != NULL; i++) {
                if (strcmp(optarg, o->values[i]) == 0) {
                    break;
                }
            }
            if (o->values[i] == NULL) {
                fprintf(stderr, "vidxd %s: --%s must be one of", argv[0],
                        o->name);
                for (i = 0; o->values[i] != NULL; i++) {
                    fprintf(stderr, " %s", o->values[i]);
                }
                fprintf(stderr, ", not '%s'\n", optarg);
                json_object_put(attrs);
                return EXIT_USAGE;
            }
            json_object_object_add(attrs, o->key,
                                   json_object_new_string(optarg));
            break;
        case OPT_STR:
            json_object_object_add(attrs, o->key,
                                   json_object_new_string(optarg));
            break;
        }
    }
    if (optind >= argc) {
        json_object_put(attrs);
        return usage_error(argv[0], "needs the %s name", what);
    }
    if (optind + 1 < argc) {
        json_object_put(attrs);
        return usage_error(argv[0], "unexpected argument '%s'",
                           argv[optind + 1]);
    }
    if (json_object_object_length(attrs) == 0) {
        json_object_put(attrs);
        return usage_error(argv[0], "%s", "nothing to configure: give an option");
    }
    req = request(argv[0]);
    json_object_object_add(req, "dev", json_object_new_string(argv[optind]));
    json_object_object_add(req, "attrs", attrs);
    rc = call(control, argv[0], req, &reply);
    if (rc == 0) {
        json_object_put(reply);
    }
    return rc;
}

/* ---- enable / disable ---- */

static int
verb_toggle(const char *control, int argc, char **argv, const char *what)
{
    json_object *reply;
    int i, done = 0, rc = 0;

    for (i = 1; i < argc; i++) {
        if (argv[i][0] == '-') {
            return usage_error(argv[0], "unknown option '%s'", argv[i]);
        }
    }
    if (argc < 2) {
        return usage_error(argv[0], "needs the %s name", what);
    }
    for (i = 1; i < argc; i++) {
        json_object *req = request(argv[0]);

        json_object_object_add(req, "dev", json_object_new_string(argv[i]));
        if (call(control, argv[0], req, &reply) == 0) {
            json_object_put(reply);
            done++;
        } else {
            rc = EXIT_REFUSED;
        }
    }
    printf("%s %d %s(s) out of %d\n",
           strncmp(argv[0], "enable", 6) == 0 ? "enabled" : "disabled", done,
           what, argc - 1);
    return rc;
}

/* ---- vdevs ---- */

static int
verb_create_vdev(const char *control, int argc, char **argv)
{
    static const struct option opts[] = {
        {"wq", required_argument, NULL, 'w'},
        {"uuid", required_argument, NULL, 'u'},
        {NULL, 0, NULL, 0},
    };
    json_object *req, *reply, *v, *f, *wqs;
    const char *uuid = NULL;
    char *list = NULL, *tok, *save;
    int c, rc;
    size_t i;

    VERB_GETOPT_INIT();
    while ((c = getopt_long(argc, argv, "w:u:", opts, NULL)) != -1) {
        switch (c) {
        case 'w':
            list = optarg;
            break;
        case 'u':
            uuid = optarg;
            break;
        default:
            return EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        return usage_error(argv[0], "%s", "needs a device name (dsa0)");
    }
    if (optind + 1 < argc) {
        return usage_error(argv[0], "unexpected argument '%s'",
                           argv[optind + 1]);
    }
    if (list == NULL || list[0] == '\0') {
        return usage_error(argv[0], "%s", "needs --wq wq0.N[,wq0.M...]");
    }
    if (uuid != NULL && check_uuid(argv[0], uuid) != 0) {
        return EXIT_USAGE;
    }
    wqs = json_object_new_array();
    for (tok = strtok_r(list, ",", &save); tok != NULL;
         tok = strtok_r(NULL, ",", &save)) {
        json_object_array_add(wqs, json_object_new_string(tok));
    }
    if (json_object_array_length(wqs) == 0) {
        json_object_put(wqs);
        return usage_error(argv[0], "%s", "needs --wq wq0.N[,wq0.M...]");
    }
    req = request("create-vdev");
    json_object_object_add(req, "dev", json_object_new_string(argv[optind]));
    json_object_object_add(req, "wqs", wqs);
    if (uuid != NULL) {
        json_object_object_add(req, "uuid", json_object_new_string(uuid));
    }
    rc = call(control, argv[0], req, &reply);
    if (rc != 0) {
        return rc;
    }
    if (json_object_object_get_ex(reply, "vdev", &v)) {
        static const char *const keys[] = {"uuid", "dev", "wqs", "pasid",
                                           "socket", "qemu"};
        static const char *const labels[] = {"uuid", "device", "wqs", "pasid",
                                             "socket", "qemu"};

        for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
            if (!json_object_object_get_ex(v, keys[i], &f)) {
                continue;
            }
            printf("%s: ", labels[i]);
            if (json_object_is_type(f, json_type_array)) {
                size_t j;

                for (j = 0; j < json_object_array_length(f); j++) {
                    printf("%s%s", j > 0 ? "," : "",
                           json_object_get_string(
                               json_object_array_get_idx(f, j)));
                }
                printf("\n");
            } else {
                printf("%s\n", json_object_get_string(f));
            }
        }
    }
    json_object_put(reply);
    return 0;
}

static int
verb_remove_vdev(const char *control, int argc, char **argv)
{
    static const struct option opts[] = {
        {"force", no_argument, NULL, 'f'},
        {NULL, 0, NULL, 0},
    };
    json_object *req, *reply;
    bool force = false;
    int c, rc;

    VERB_GETOPT_INIT();
    while ((c = getopt_long(argc, argv, "f", opts, NULL)) != -1) {
        if (c != 'f') {
            return EXIT_USAGE;
        }
        force = true;
    }
    if (optind >= argc) {
        return usage_error(argv[0], "%s", "needs a vdev UUID");
    }
    if (optind + 1 < argc) {
        return usage_error(argv[0], "unexpected argument '%s'",
                           argv[optind + 1]);
    }
    if (check_uuid(argv[0], argv[optind]) != 0) {
        return EXIT_USAGE;
    }
    req = request("remove-vdev");
    json_object_object_add(req, "uuid", json_object_new_string(argv[optind]));
    if (force) {
        json_object_object_add(req, "force", json_object_new_boolean(true));
    }
    rc = call(control, argv[0], req, &reply);
    if (rc != 0) {
        return rc;
    }
    printf("removed vdev %s\n", argv[optind]);
    json_object_put(reply);
    return 0;
}

/* ---- dispatch ---- */

int
verbs_run(const char *control, int argc, char **argv)
{
    const char *v = argv[0];

    if (strcmp(v, "list") == 0 || strcmp(v, "list-vdevs") == 0) {
        return verb_list(control, argc, argv);
    }
    if (strcmp(v, "stats") == 0) {
        return verb_stats(control, argc, argv);
    }
    if (strcmp(v, "save-config") == 0) {
        return verb_save_config(control, argc, argv);
    }
    if (strcmp(v, "load-config") == 0) {
        return verb_load_config(control, argc, argv);
    }
    if (strcmp(v, "config-device") == 0) {
        return verb_config(control, argc, argv, device_opts, "device");
    }
    if (strcmp(v, "config-engine") == 0) {
        return verb_config(control, argc, argv, engine_opts, "engine");
    }
    if (strcmp(v, "config-group") == 0) {
        return verb_config(control, argc, argv, group_opts, "group");
    }
    if (strcmp(v, "config-wq") == 0) {
        return verb_config(control, argc, argv, wq_opts, "work queue");
    }
    if (strcmp(v, "enable-device") == 0 || strcmp(v, "disable-device") == 0) {
        return verb_toggle(control, argc, argv, "device");
    }
    if (strcmp(v, "enable-wq") == 0 || strcmp(v, "disable-wq") == 0) {
        return verb_toggle(control, argc, argv, "wq");
    }
    if (strcmp(v, "create-vdev") == 0) {
        return verb_create_vdev(control, argc, argv);
    }
    if (strcmp(v, "remove-vdev") == 0) {
        return verb_remove_vdev(control, argc, argv);
    }
    return -1;
}

void
verbs_usage(FILE *f)
{
    fprintf(f,
            "management (talks to a running daemon; global option "
            "--control PATH or\n"
            "$VIDXD_CONTROL, default <state-dir>/control.sock):\n"
            "  list [--vdevs]                       devices (or vdevs) as "
            "JSON\n"
            "  list-vdevs                           = list --vdevs\n"
            "  config-device dsa0 [--read-buffer-limit N]\n"
            "  config-engine dsa0/engine0.N --group-id N\n"
            "  config-group dsa0/group0.N [--read-buffers-reserved N] "
            "[--read-buffers-allowed N]\n"
            "        [--use-read-buffer-limit 0|1] [--traffic-class-a N] "
            "[--traffic-class-b N]\n"
            "  config-wq dsa0/wq0.N [--group-id N] [--mode dedicated|shared] "
            "[--wq-size N]\n"
            "        [--priority N] [--threshold N] [--type "
            "none|kernel|user|vdev] [--name S]\n"
            "        [--driver-name S] [--max-batch-size N] "
            "[--max-transfer-size N]\n"
            "        [--block-on-fault 0|1]\n"
            "  enable-device dsa0 | disable-device dsa0\n"
            "  enable-wq dsa0/wq0.N | disable-wq dsa0/wq0.N\n"
            "  create-vdev dsa0 --wq wq0.N[,wq0.M] [--uuid UUID]\n"
            "  remove-vdev UUID [--force]\n"
            "  stats [dsa0]                         per-WQ counters as JSON\n"
            "  load-config -c FILE [-e]             accel-config JSON; -e "
            "enables\n"
            "  save-config [-s FILE]                accel-config JSON\n"
            "exit status: 0 done, 1 refused or failed, 2 usage error\n");
}
