/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libxentoollog.so.1 for xensim: the logger interface of hdr:xentoollog.h.
 * Nothing here talks to the simulator; it is a plain implementation of the
 * documented behaviour (a vtable logger plus a stdio-stream logger).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <xentoollog.h>

struct xentoollog_logger_stdiostream {
    xentoollog_logger vtable;
    FILE *f;
    xentoollog_level min_level;
    unsigned flags;
    int progress_erase_len;
    int progress_last_percent;
};

static const char *const level_names[XTL_NUM_LEVELS] = {
    [XTL_NONE] = "none",
    [XTL_DEBUG] = "debug",
    [XTL_VERBOSE] = "verbose",
    [XTL_DETAIL] = "detail",
    [XTL_PROGRESS] = "progress",
    [XTL_INFO] = "info",
    [XTL_NOTICE] = "notice",
    [XTL_WARN] = "warning",
    [XTL_ERROR] = "error",
    [XTL_CRITICAL] = "critical",
};

const char *xtl_level_to_string(xentoollog_level level)
{
    if ((unsigned)level >= XTL_NUM_LEVELS) {
        return "unknown";
    }
    return level_names[level];
}

void xtl_logv(struct xentoollog_logger *logger, xentoollog_level level, int errnoval,
              const char *context, const char *format, va_list al)
{
    int saved = errno;

    if (logger && logger->vmessage) {
        logger->vmessage(logger, level, errnoval, context, format, al);
    }
    errno = saved;
}

void xtl_log(struct xentoollog_logger *logger, xentoollog_level level, int errnoval,
             const char *context, const char *format, ...)
{
    va_list al;

    va_start(al, format);
    xtl_logv(logger, level, errnoval, context, format, al);
    va_end(al);
}

void xtl_progress(struct xentoollog_logger *logger, const char *context,
                  const char *doing_what, unsigned long done, unsigned long total)
{
    int percent = 0;

    if (!logger || !logger->progress) {
        return;
    }
    if (total) {
        percent = (total < ~0UL / 100) ? (int)(done * 100 / total)
                                       : (int)(done / ((total + 99) / 100));
    }
    logger->progress(logger, context, doing_what, percent, done, total);
}

void xtl_logger_destroy(struct xentoollog_logger *logger)
{
    if (logger && logger->destroy) {
        logger->destroy(logger);
    }
}

static void stdiostream_vmessage(struct xentoollog_logger *logger_in, xentoollog_level level,
                                 int errnoval, const char *context, const char *format,
                                 va_list al)
{
    xentoollog_logger_stdiostream *lg = (void *)logger_in;

    if (level < lg->min_level) {
        return;
    }
    if (lg->progress_erase_len) {
        fprintf(lg->f, "\r%*s\r", lg->progress_erase_len, "");
        lg->progress_erase_len = 0;
    }
    if (lg->flags & XTL_STDIOSTREAM_SHOW_DATE) {
        char buf[64];
        time_t now = time(NULL);
        struct tm tm;

        if (localtime_r(&now, &tm) && strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S %Z", &tm)) {
            fprintf(lg->f, "%s ", buf);
        }
    }
    if (lg->flags & XTL_STDIOSTREAM_SHOW_PID) {
        fprintf(lg->f, "[%lu] ", (unsigned long)getpid());
    }
    if (context) {
        fprintf(lg->f, "%s: ", context);
    }
    vfprintf(lg->f, format, al);
    if (errnoval >= 0) {
        fprintf(lg->f, ": %s", strerror(errnoval));
    }
    fputc('\n', lg->f);
    fflush(lg->f);
}

static void stdiostream_progress(struct xentoollog_logger *logger_in, const char *context,
                                 const char *doing_what, int percent,
                                 unsigned long done, unsigned long total)
{
    xentoollog_logger_stdiostream *lg = (void *)logger_in;
    int use_cr;

    if (lg->flags & XTL_STDIOSTREAM_HIDE_PROGRESS || XTL_PROGRESS < lg->min_level) {
        return;
    }
    if (percent == lg->progress_last_percent) {
        return;
    }
    lg->progress_last_percent = percent;
    if (lg->flags & XTL_STDIOSTREAM_PROGRESS_USE_CR) {
        use_cr = 1;
    } else if (lg->flags & XTL_STDIOSTREAM_PROGRESS_NO_CR) {
        use_cr = 0;
    } else {
        use_cr = isatty(fileno(lg->f));
    }
    if (use_cr) {
        int n = fprintf(lg->f, "\r%s%s%s: %d%%", context ? context : "", context ? ": " : "",
                        doing_what, percent);

        lg->progress_erase_len = n > 0 ? n : 0;
        if (percent >= 100) {
            fputc('\n', lg->f);
            lg->progress_erase_len = 0;
        }
    } else {
        fprintf(lg->f, "%s%s%s: %d%%\n", context ? context : "", context ? ": " : "",
                doing_what, percent);
    }
    fflush(lg->f);
}

static void stdiostream_destroy(struct xentoollog_logger *logger_in)
{
    xentoollog_logger_stdiostream *lg = (void *)logger_in;

    if (lg->progress_erase_len) {
        fputc('\n', lg->f);
    }
    free(lg);
}

xentoollog_logger_stdiostream *xtl_createlogger_stdiostream(FILE *f, xentoollog_level min_level,
                                                            unsigned flags)
{
    xentoollog_logger_stdiostream *lg = calloc(1, sizeof(*lg));

    if (!lg) {
        fprintf(stderr, "xtl: cannot allocate a logger: %s\n", strerror(errno));
        return NULL;
    }
    lg->vtable.vmessage = stdiostream_vmessage;
    lg->vtable.progress = stdiostream_progress;
    lg->vtable.destroy = stdiostream_destroy;
    lg->f = f;
    lg->min_level = min_level;
    lg->flags = flags;
    lg->progress_last_percent = -1;
    return lg;
}

void xtl_stdiostream_set_minlevel(xentoollog_logger_stdiostream *lg, xentoollog_level min_level)
{
    lg->min_level = min_level;
}

void xtl_stdiostream_adjust_flags(xentoollog_logger_stdiostream *lg, unsigned set_flags,
                                  unsigned clear_flags)
{
    /* Per the header: where set and clear overlap, set wins. */
    lg->flags = (lg->flags & ~clear_flags) | set_flags;
}
