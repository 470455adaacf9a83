/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libxentoolcore.so.1 for xensim.  Keeps the list of open Xen library
 * handles (ours and the real libxenstore's) so that
 * xentoolcore_restrict_all() can restrict every one of them to one domain,
 * as `-xen-domid-restrict` needs.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>
#include <xentoolcore.h>

#include "tools/xensim/lib/toolcore.h"

static pthread_mutex_t handles_lock = PTHREAD_MUTEX_INITIALIZER;
static XEN_TAILQ_HEAD(, Xentoolcore__Active_Handle) handles =
    XEN_TAILQ_HEAD_INITIALIZER(handles);

void xentoolcore__register_active_handle(Xentoolcore__Active_Handle *ah)
{
    pthread_mutex_lock(&handles_lock);
    XEN_TAILQ_INSERT_TAIL(&handles, ah, entry);
    pthread_mutex_unlock(&handles_lock);
}

void xentoolcore__deregister_active_handle(Xentoolcore__Active_Handle *ah)
{
    pthread_mutex_lock(&handles_lock);
    XEN_TAILQ_REMOVE(&handles, ah, entry);
    pthread_mutex_unlock(&handles_lock);
}

int xentoolcore_restrict_all(domid_t domid)
{
    Xentoolcore__Active_Handle *ah;
    int rc = 0;

    pthread_mutex_lock(&handles_lock);
    XEN_TAILQ_FOREACH(ah, &handles, entry) {
        if (ah->restrict_callback(ah, domid) < 0) {
            rc = -1;
            break;
        }
    }
    pthread_mutex_unlock(&handles_lock);
    return rc;
}

/*
 * Replace fd by /dev/null: the handle keeps a valid descriptor number but
 * can no longer reach anything (how libxenstore handles are restricted).
 */
int xentoolcore__restrict_by_dup2_null(int fd)
{
    int nullfd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    int saved;

    if (nullfd < 0) {
        return -1;
    }
    if (dup3(nullfd, fd, O_CLOEXEC) < 0) {
        saved = errno;
        close(nullfd);
        errno = saved;
        return -1;
    }
    close(nullfd);
    return 0;
}
