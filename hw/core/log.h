/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Logging.  Guest errors (a guest doing something the hardware would not
 * accept) are logged under the "guest-error" category, rate limited per
 * call site; they never stop the process.  Trace categories are enabled at
 * run time (-d guest_errors,unimp,ioport,... / IOEMU_LOG env var).
 */
#ifndef HW_CORE_LOG_H
#define HW_CORE_LOG_H

#include <stdbool.h>
#include <stdio.h>

enum {
    LOG_GUEST_ERROR = 1u << 0,   /* guest misbehaviour */
    LOG_UNIMP       = 1u << 1,   /* unimplemented device feature used */
    LOG_IOPORT      = 1u << 2,   /* every port access (noisy) */
    LOG_MMIO        = 1u << 3,
    LOG_IRQ         = 1u << 4,
    LOG_XEN         = 1u << 5,
    LOG_KVM         = 1u << 6,
    LOG_TCG_IN_ASM  = 1u << 7,
    LOG_TCG_OP      = 1u << 8,
    LOG_TCG_OUT_ASM = 1u << 9,
};

extern unsigned log_mask;

/* Parse a comma separated list of category names; false + message on an unknown name. */
bool log_set_mask_str(const char *spec, char **error);
void log_set_file(const char *path);
/*
 * OR the categories named in $IOEMU_LOG into log_mask.  Front ends call it
 * after parsing -d so both apply; false + message on an unknown name.
 */
bool log_apply_env(char **error);
/* List the category names (for "-d help"). */
void log_print_help(FILE *out);
/* Tests: capture formatted messages instead of writing them (NULL restores). */
typedef void (*LogSink)(void *opaque, const char *msg);
void log_set_sink(LogSink sink, void *opaque);

void log_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define log_enabled(cat) ((log_mask & (cat)) != 0)
#define log_cat(cat, ...) do { if (log_enabled(cat)) log_printf(__VA_ARGS__); } while (0)

/*
 * Guest errors: always counted, printed when LOG_GUEST_ERROR is enabled,
 * at most 10 times per call site.
 */
#define guest_error(...) do {                                   \
        static unsigned guest_error_count_;                     \
        if (log_enabled(LOG_GUEST_ERROR) && guest_error_count_ < 10) { \
            guest_error_count_++;                               \
            log_printf("guest-error: " __VA_ARGS__);             \
        }                                                       \
    } while (0)

#define log_unimp(...) log_cat(LOG_UNIMP, "unimplemented: " __VA_ARGS__)

#endif
