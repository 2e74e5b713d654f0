/* SPDX-License-Identifier: BSD-3-Clause */
/* Fixture of the daemon unit tests (daemon_test.h). */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "vidxd/log.h"
#include "vidxd/mem.h"
#include "daemon_test.h"

int fake_vdevs_live;
struct vidxd_vdev_config fake_last_cfg;

static uint8_t fake_cfgspace[256];
static struct vidxd_as *fake_as;

static int
fake_region_info(void *opaque, uint32_t index, struct vidxd_region_info *info)
{
    memset(info, 0, sizeof(*info));
    info->fd = -1;
    if (index == VIDXD_PCI_REGION_CONFIG) {
        info->size = sizeof(fake_cfgspace);
        info->flags = VIDXD_REGION_READ | VIDXD_REGION_WRITE;
    }
    return 0;
}

static int
fake_cfg_read(void *opaque, uint32_t off, void *buf, size_t len)
{
    memcpy(buf, fake_cfgspace + off, len);
    return 0;
}

static int
fake_cfg_write(void *opaque, uint32_t off, const void *buf, size_t len)
{
    memcpy(fake_cfgspace + off, buf, len);
    return 0;
}

static uint32_t
fake_irq_count(void *opaque, uint32_t index)
{
    return 0;
}

static struct vidxd_as *
fake_dma_as(void *opaque)
{
    if (fake_as == NULL) {
        vidxd_as_create(0, &fake_as);
    }
    return fake_as;
}

static const struct vidxd_pci_fn_ops fake_fn = {
    .region_info = fake_region_info,
    .cfg_read = fake_cfg_read,
    .cfg_write = fake_cfg_write,
    .irq_count = fake_irq_count,
    .dma_as = fake_dma_as,
};

static int
fake_create(struct vidxd_dsa *parent, struct vidxd_irq_dev *irq,
            const struct vidxd_vdev_config *cfg, void **out)
{
    *out = malloc(1);
    if (*out == NULL) {
        return -ENOMEM;
    }
    fake_last_cfg = *cfg;
    fake_vdevs_live++;
    return 0;
}

static void
fake_destroy(void *vdev)
{
    free(vdev);
    fake_vdevs_live--;
}

static const struct vidxd_pci_fn_ops *
fake_fn_ops(void)
{
    return &fake_fn;
}

const struct mgr_vdev_ops fake_vdev_ops = {
    .create = fake_create,
    .destroy = fake_destroy,
    .fn_ops = fake_fn_ops,
};

void
fx_init(struct fx *f)
{
    memset(f, 0, sizeof(*f));
    snprintf(f->dir, sizeof(f->dir), "/tmp/vidxd-test-daemon-XXXXXX");
    if (mkdtemp(f->dir) == NULL) {
        abort();
    }
    snprintf(f->sock, sizeof(f->sock), "%s/dsa0.sock", f->dir);
    snprintf(f->state, sizeof(f->state), "%s/state.json", f->dir);
    vidxd_dsa_config_default(&f->cfg);
    f->cfg.workers = 0;
    f->cfg.portal_mode = VIDXD_DSA_PORTAL_TRAPPED;
}

int
fx_start(struct fx *f)
{
    struct pf_config pc = {.name = "dsa0", .socket_path = f->sock};
    struct mgr_config mc;
    int rc;

    pc.dsa = f->cfg;
    rc = pf_create(&pc, &f->pf);
    if (rc < 0) {
        return rc;
    }
    memset(&mc, 0, sizeof(mc));
    mc.pf = f->pf;
    mc.state_path = f->state;
    mc.vdev_dir = f->dir;
    mc.vdev_ops = &fake_vdev_ops;
    return mgr_create(&mc, &f->m);
}

void
fx_stop(struct fx *f)
{
    mgr_destroy(f->m);
    pf_destroy(f->pf);
    f->m = NULL;
    f->pf = NULL;
}

void
fx_fini(struct fx *f)
{
    DIR *d;
    struct dirent *e;

    fx_stop(f);
    d = opendir(f->dir);
    while (d != NULL && (e = readdir(d)) != NULL) {
        char p[512];

        if (e->d_name[0] == '.') {
            continue;
        }
        snprintf(p, sizeof(p), "%s/%s", f->dir, e->d_name);
        unlink(p);
    }
    if (d != NULL) {
        closedir(d);
    }
    rmdir(f->dir);
}

uint64_t
fx_rd(struct fx *f, uint64_t off, unsigned size)
{
    uint64_t v = 0;

    vidxd_dsa_bar0_read(pf_dsa(f->pf), off, size, &v);
    return v;
}

uint32_t
fx_wqcfg(struct fx *f, unsigned wq, unsigned d)
{
    return (uint32_t)fx_rd(f, f->cfg.wqcfg_offset + wq * f->cfg.wqcfg_stride +
                                  d * 4,
                           4);
}

uint64_t
fx_grpcfg(struct fx *f, unsigned g, unsigned q)
{
    return fx_rd(f, f->cfg.grpcfg_offset + g * 64 + q * 8, 8);
}

int
fx_config(struct fx *f, const char *verb, const char *name, const char *json)
{
    json_object *o = json_tokener_parse(json);
    int rc;

    memset(&f->err, 0, sizeof(f->err));
    if (strcmp(verb, "device") == 0) {
        rc = mgr_config_device(f->m, name, o, &f->err);
    } else if (strcmp(verb, "group") == 0) {
        rc = mgr_config_group(f->m, name, o, &f->err);
    } else if (strcmp(verb, "engine") == 0) {
        rc = mgr_config_engine(f->m, name, o, &f->err);
    } else {
        rc = mgr_config_wq(f->m, name, o, &f->err);
    }
    json_object_put(o);
    return rc;
}
