/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Device folders, opened once for as long as the host's cache holds.
 * A read through bus/pci/devices/ADDR/attr walks the link to the device
 * and every folder on its way again, and sysfs looks each one up anew;
 * through the device's own folder it is the one lookup. An operation
 * reads each of its devices several times (every step is verified), from
 * several threads at once (rule 15), so the folders are shared under a
 * lock of their own.
 *
 * A folder stays what it was opened as: a device removed and found again
 * at the same address is a new folder, which vfioctl_host_invalidate()
 * lets the next read open. At most DEVDIRS_MAX are kept (each is a
 * descriptor); a device beyond them is read through bus/pci/devices.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

#define DEVDIRS_MAX 256

struct devdir_slot {
        char address[VFIOCTL_PCI_ADDR_MAX]; /* "": free */
        int fd;
};

void devdirs_init(struct devdirs *d)
{
        *d = (struct devdirs) {};
        pthread_mutex_init(&d->lock, NULL);
}

void devdirs_clear(struct devdirs *d)
{
        pthread_mutex_lock(&d->lock);
        for (size_t i = 0; i < d->size; i++)
                if (d->slot[i].address[0])
                        close(d->slot[i].fd);
        free(d->slot);
        d->slot = NULL;
        d->n = d->size = 0;
        pthread_mutex_unlock(&d->lock);
}

void devdirs_done(struct devdirs *d)
{
        devdirs_clear(d);
        pthread_mutex_destroy(&d->lock);
}

/* FNV-1a: addresses differ in their last characters. */
static size_t address_hash(const char *address)
{
        size_t h = 2166136261u;

        for (const char *c = address; *c; c++)
                h = (h ^ (unsigned char) *c) * 16777619u;
        return h;
}

/* The slot of address, or the free one where it would go (size > n). */
static struct devdir_slot *slot_of(const struct devdirs *d, const char *address)
{
        size_t i = address_hash(address) & (d->size - 1);

        while (d->slot[i].address[0] && !streq(d->slot[i].address, address))
                i = (i + 1) & (d->size - 1);
        return &d->slot[i];
}

static int grow(struct devdirs *d)
{
        size_t size = d->size ? d->size * 2 : 64;
        struct devdir_slot *old = d->slot, *slot = calloc(size, sizeof(*slot));
        size_t old_size = d->size;

        if (!slot)
                return -ENOMEM;
        d->slot = slot;
        d->size = size;
        for (size_t i = 0; i < old_size; i++)
                if (old[i].address[0])
                        *slot_of(d, old[i].address) = old[i];
        free(old);
        return 0;
}

/* Called locked: address's folder, or -ENOENT. */
static int find_locked(const struct devdirs *d, const char *address)
{
        const struct devdir_slot *s = d->size > 0 ? slot_of(d, address) : NULL;

        return s && s->address[0] ? s->fd : -ENOENT;
}

/* Called locked: fd becomes address's folder, or is closed if it has one already. */
static int put_locked(struct devdirs *d, const char *address, int fd)
{
        struct devdir_slot *s;
        int have = find_locked(d, address);

        if (have >= 0 || d->n >= DEVDIRS_MAX || strlen(address) >= sizeof(s->address)) {
                close(fd);
                return have >= 0 ? have : -EMFILE;
        }
        if ((d->n + 1) * 2 > d->size && grow(d) < 0) {
                close(fd);
                return -ENOMEM;
        }
        s = slot_of(d, address);
        snprintf(s->address, sizeof(s->address), "%s", address);
        s->fd = fd;
        d->n++;
        return fd;
}

int devdirs_adopt(struct devdirs *d, const char *address, int fd)
{
        int r;

        pthread_mutex_lock(&d->lock);
        r = put_locked(d, address, fd);
        pthread_mutex_unlock(&d->lock);
        return r;
}

int devdirs_get(struct devdirs *d, int devices_fd, const char *address)
{
        bool full;
        int fd;

        pthread_mutex_lock(&d->lock);
        fd = find_locked(d, address);
        full = d->n >= DEVDIRS_MAX;
        pthread_mutex_unlock(&d->lock);
        if (fd >= 0)
                return fd;
        if (full)
                return -EMFILE;
        /* Opened unlocked: the walk is what other threads should not wait for. */
        fd = openat(devices_fd, address, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        return devdirs_adopt(d, address, fd);
}
