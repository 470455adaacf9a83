# SPDX-License-Identifier: GPL-2.0-or-later
# ioemu: one build.  Each folder lists its sources in its Makefile.inc:
#   LIB_SRCS        += sources linked into every program (core, devices, backends)
#   IOEMU_SRCS      += sources of the standalone `ioemu` binary only (its main)
# Tests are found by name: tests/unit/test-*.c are GTest programs linked with
# libioemu (no emulator); tests/hw/test-*.c drive build/ioemu over qtest;
# tests/scripts/*.sh are scripted tests (TAP on stdout).
#   EXTRA_PROGRAMS  += build/other           (with its own rule in the folder's Makefile.inc)
# `make V=1` prints commands; `make SAN=1 BUILD=build-asan` is the sanitizer build.

BUILD   ?= build
.DEFAULT_GOAL := all
CC      ?= cc
V       ?= 0
SAN     ?= 0
Q        = $(if $(filter 1,$(V)),,@)

PKGS     = glib-2.0 json-glib-1.0 pixman-1 slirp zlib
XEN_PKGS = xencontrol xendevicemodel xenforeignmemory xenevtchn xenstore xengnttab xentoolcore

OPT     ?= -O2
CFLAGS  ?=
WARN     = -Wall -Wextra -Werror -Wno-unused-parameter -Wno-missing-field-initializers
BASE_CFLAGS = -std=gnu11 $(OPT) -g $(WARN) -I. -D_GNU_SOURCE -fno-strict-aliasing \
              $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LIBS     = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread -lutil -lm
ifeq ($(SAN),1)
BASE_CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS     += -fsanitize=address,undefined
endif
ALL_CFLAGS = $(BASE_CFLAGS) $(CFLAGS)

LIB_SRCS       :=
IOEMU_SRCS     :=
UNIT_TESTS     := $(patsubst %.c,%,$(wildcard tests/unit/test-*.c))
QTESTS         := $(patsubst %.c,%,$(wildcard tests/hw/test-*.c))
EXTRA_PROGRAMS :=
TEST_SUPPORT_SRCS := tests/libqtest.c
# Defined before the fragments: their rules name it as a prerequisite (expanded when read).
LIBIOEMU          = $(BUILD)/libioemu.a
SUPPORT_OBJS      = $(TEST_SUPPORT_SRCS:%.c=$(BUILD)/%.o)

include $(sort $(wildcard */Makefile.inc */*/Makefile.inc */*/*/Makefile.inc))

LIB_OBJS   = $(LIB_SRCS:%.c=$(BUILD)/%.o)
IOEMU_OBJS = $(IOEMU_SRCS:%.c=$(BUILD)/%.o)
UNIT_BINS  = $(UNIT_TESTS:%=$(BUILD)/%)
QTEST_BINS = $(QTESTS:%=$(BUILD)/%)

.PHONY: all deps check check-build demo bench clean tests fuzz
all: $(BUILD)/ioemu $(EXTRA_PROGRAMS) tests

tests: $(UNIT_BINS) $(QTEST_BINS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(LIBIOEMU): $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(Q)rm -f $@
	$(Q)ar rcs $@ $^

$(BUILD)/ioemu: $(IOEMU_OBJS) $(LIBIOEMU)
	$(if $(Q),@echo "  LINK    $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $(IOEMU_OBJS) $(LIBIOEMU) $(LIBS)

$(UNIT_BINS): $(BUILD)/tests/unit/%: $(BUILD)/tests/unit/%.o $(LIBIOEMU)
	$(if $(Q),@echo "  LINK    $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $< $(LIBIOEMU) $(LIBS)

$(QTEST_BINS): $(BUILD)/tests/hw/%: $(BUILD)/tests/hw/%.o $(SUPPORT_OBJS)
	$(if $(Q),@echo "  LINK    $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $< $(SUPPORT_OBJS) $(LIBS)

# Dependencies: installs the Debian packages the build and tests need when missing.
deps:
	$(Q)tools/install-deps.sh

# The sanitizer build lives in its own directory.
check-build: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)$(MAKE) --no-print-directory BUILD=build-asan SAN=1 OPT=-O1 tests $(if $(QTESTS),build-asan/ioemu)

check: check-build
	$(Q)tests/run-tests.sh build build-asan

demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)tools/demo.sh

bench: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)tools/bench/run-all.sh

clean:
	rm -rf build build-asan

-include $(LIB_OBJS:.o=.d) $(IOEMU_OBJS:.o=.d) $(UNIT_BINS:=.d) $(QTEST_BINS:=.d) $(SUPPORT_OBJS:.o=.d)
