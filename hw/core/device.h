/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Device lifecycle.  A device is a plain struct whose first member is a
 * Device; its DeviceClass (const) names it, resets it and describes its
 * state.  The board creates devices in the order its table lists them and
 * registers each with the machine (device_register); reset and save/load
 * walk that list.
 *
 * Reset runs in two phases over all devices: RESET_PHASE_HOLD (drop
 * outputs: lower IRQs, stop DMA and timers) then RESET_PHASE_EXIT (load
 * reset values).  A class with a single `reset` gets it called in the exit
 * phase.
 */
#ifndef HW_CORE_DEVICE_H
#define HW_CORE_DEVICE_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "hw/core/state.h"

typedef enum {
    RESET_POWER_ON,   /* cold boot */
    RESET_HARD,       /* system reset (port 0xcf9, keyboard controller pulse) */
    RESET_DRIVER,     /* a guest driver asked this device alone to reset */
} ResetKind;

typedef struct Device Device;
typedef struct DeviceList DeviceList;

typedef struct DeviceClass {
    const char *name;                          /* "uart16550", "i440fx", ... */
    void (*reset_hold)(Device *dev, ResetKind kind);   /* optional */
    void (*reset)(Device *dev, ResetKind kind);        /* exit phase; optional */
    void (*unrealize)(Device *dev);                    /* free host resources; optional */
    const StateDescription *state;             /* NULL: stateless */
} DeviceClass;

struct Device {
    const DeviceClass *cls;
    char *id;             /* unique instance name, e.g. "serial0"; used in save streams and qtest paths */
    uint32_t instance;    /* instance number among devices of the same class */
    Device *next;         /* owned by the DeviceList */
};

DeviceList *device_list_new(void);
/* Unrealizes (reverse order) and frees nothing else; devices own their memory. */
void device_list_free(DeviceList *list);

/* Register `dev` (already initialised by its create function) under id. */
void device_register(DeviceList *list, Device *dev, const DeviceClass *cls, const char *id);
Device *device_find(DeviceList *list, const char *id);
void device_foreach(DeviceList *list, void (*fn)(Device *dev, void *opaque), void *opaque);

void device_list_reset(DeviceList *list, ResetKind kind);
void device_reset(Device *dev, ResetKind kind);

/* Save every stateful device into one stream (format in state.h). */
void device_list_save(DeviceList *list, GByteArray *out);
/*
 * Load a stream: every section must name a registered device whose class
 * accepts the version; unknown sections, bad lengths and post_load
 * refusals fail with a message.
 */
bool device_list_load(DeviceList *list, const uint8_t *buf, size_t len, GError **err);

/* Save/load one device (tests). */
void device_save(Device *dev, GByteArray *out);
bool device_load(Device *dev, const uint8_t *buf, size_t len, GError **err);

#define IOEMU_ERROR ioemu_error_quark()
GQuark ioemu_error_quark(void);

#endif
