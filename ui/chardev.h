/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Character device backends, QEMU spelling:
 *   stdio | null | file:PATH | pty | unix:PATH[,server[=on]][,wait=off|nowait]
 *   -chardev socket,id=X,path=PATH[,server=on][,wait=off]  (also fd=N, pre-opened listening socket)
 *   -chardev stdio|null|pty|file,id=X[,path=...]
 *   -chardev socket,id=X,host=H,port=P[,server=on][,wait=off]  (tcp)
 *   -chardev ringbuf,id=X[,size=N]     tcp:[HOST]:PORT[,server=on][,wait=off]
 * A frontend (UART, monitor, qtest) attaches read/event callbacks; bytes
 * from the backend are delivered on the main loop thread with the device
 * lock held.
 */
#ifndef UI_CHARDEV_H
#define UI_CHARDEV_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct Chardev Chardev;

typedef enum {
    CHR_EVENT_OPENED,   /* a client connected / backend ready */
    CHR_EVENT_CLOSED,   /* peer went away */
} ChrEvent;

typedef struct ChardevHandlers {
    /* How many bytes the frontend can take now (UART: free FIFO space).  NULL = unlimited. */
    size_t (*can_read)(void *opaque);
    void (*read)(void *opaque, const uint8_t *buf, size_t len);
    void (*event)(void *opaque, ChrEvent ev);
} ChardevHandlers;

/* The short form used by -serial/-qtest/-monitor ("stdio", "unix:/p,server,nowait"). */
Chardev *chardev_new_from_spec(const char *id, const char *spec, GError **err);
/* The -chardev option string ("socket,id=x,path=/p,server=on,wait=off"). */
Chardev *chardev_new_from_opts(const char *opts, GError **err);
void chardev_free(Chardev *chr);

const char *chardev_id(const Chardev *chr);
/* "pty:/dev/pts/3", "unix:/path,server", "stdio", ... as query-chardev reports it */
const char *chardev_filename(const Chardev *chr);

void chardev_set_handlers(Chardev *chr, const ChardevHandlers *h, void *opaque);
/* Re-check can_read (frontend made room).  Called by frontends. */
void chardev_accept_input(Chardev *chr);
/* Write all bytes (blocks briefly on a slow peer; drops if disconnected). Returns bytes written or -1. */
ssize_t chardev_write(Chardev *chr, const uint8_t *buf, size_t len);
bool chardev_connected(const Chardev *chr);
/* For fd passing on unix sockets (QMP add-fd): the last fd received with SCM_RIGHTS, or -1; caller owns it. */
int chardev_take_received_fd(Chardev *chr);

/*
 * Additions (chardev owner):
 * - ids follow QEMU's rule (a letter, then [A-Za-z0-9._-]) and are unique;
 *   chardev_new_from_spec with id NULL picks "compat_chardevN".
 * - chardev_set_handlers on a connected backend calls event(OPENED) before
 *   it returns, as QEMU does; frontends must be ready for that.
 * - chardev_write returns len when bytes are deliberately discarded (null
 *   backend, disconnected socket) and a short count when the bounded queue
 *   for a slow peer (1 MiB) overflowed.
 * - Do not chardev_free a chardev from inside one of its own callbacks.
 */
/* The chardev registered under id, or NULL. */
Chardev *chardev_find(const char *id);
/* Every chardev, in id order (query-chardev). */
void chardev_foreach(void (*fn)(Chardev *chr, void *opaque), void *opaque);
/* Feed bytes to the frontend as if the backend had received them (QMP ringbuf-write, tests); honours can_read.  Returns bytes taken. */
size_t chardev_inject_input(Chardev *chr, const uint8_t *buf, size_t len);
/* "-chardev ringbuf,id=X[,size=N]": take up to len bytes of the guest's output (QMP ringbuf-read). */
size_t chardev_ringbuf_read(Chardev *chr, uint8_t *buf, size_t len);
/* Put stdin's file status flags back (also registered with atexit once stdio is used). */
void chardev_restore_stdio(void);

#endif
