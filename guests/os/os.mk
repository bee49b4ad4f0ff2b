# The demo operating system (guests/os), included by guests/Makefile.
#
#   make -C guests os         build/os/kernel.elf   PVH-bootable higher-half kernel
#                             build/os/kernel.map   its symbols (nm -n)
#                             build/os/offsets.json struct offsets + symbol addresses
#                             build/os/user/*.elf   the user programs (embedded in the kernel)
#                             build/os/bench.expected  the bench process's output lines,
#                                                   computed by a hosted build of its code
#   make -C guests check-os   boot it under QEMU (TCG) with 1, 2 and 4 CPUs and check the
#                             serial output (needs qemu-system-x86_64; not part of `check`)
#
# Variables: OS_BENCH_ITERS (iterations per bench round, default 40000).

OS_BUILD := $(BUILD)/os
OBJCOPY  ?= objcopy

OS_CFLAGS := -std=gnu11 -Wall -Wextra -g -O2 -march=x86-64 -mtune=generic \
	-ffreestanding -fno-pic -fno-pie -mgeneral-regs-only -mno-red-zone \
	-mno-mmx -mno-sse -mno-80387 -fno-stack-protector -fcf-protection=none \
	-fno-stack-clash-protection -fno-asynchronous-unwind-tables \
	-fno-omit-frame-pointer -MMD -MP -Ilib -Ios/include \
	$(if $(OS_BENCH_ITERS),-DBENCH_ITERS=$(OS_BENCH_ITERS))
# The kernel lives in the top 2 GiB; user programs link at 4 MiB.
OS_KCFLAGS := $(OS_CFLAGS) -mcmodel=kernel -Ios/kernel -I$(OS_BUILD)/gen
OS_UCFLAGS := $(OS_CFLAGS) -mcmodel=small -Ios/user
OS_LDFLAGS := -nostdlib -static -no-pie -Wl,--build-id=none \
	-Wl,-z,max-page-size=0x1000 -Wl,-z,noexecstack -Wl,--fatal-warnings

OS_KSRC := $(filter-out os/kernel/asm-offsets.c,$(wildcard os/kernel/*.c os/kernel/*.S)) \
	lib/fmt.c lib/string.c
OS_KOBJ := $(patsubst %,$(OS_BUILD)/kobj/%.o,$(basename $(OS_KSRC)))
OS_PROGS := init bench ticker debugee faulter
OS_ULIB := os/user/crt0.S os/user/ulib.c lib/fmt.c lib/string.c
OS_ULIB_OBJ := $(patsubst %,$(OS_BUILD)/uobj/%.o,$(basename $(OS_ULIB)))
OS_UELF := $(OS_PROGS:%=$(OS_BUILD)/user/%.elf)
OS_OUTPUTS := $(OS_BUILD)/kernel.elf $(OS_BUILD)/kernel.map $(OS_BUILD)/offsets.json \
	$(OS_BUILD)/bench.expected $(OS_UELF)

# Rebuild when the flags change (same scheme as the corpus).
OS_STAMP := $(OS_BUILD)/flags.stamp
OS_FLAGS_TEXT := $(CC) $(OS_KCFLAGS) $(OS_UCFLAGS) $(OS_LDFLAGS)
$(shell mkdir -p $(OS_BUILD) && \
	(echo '$(OS_FLAGS_TEXT)' | cmp -s - $(OS_STAMP) || \
	 echo '$(OS_FLAGS_TEXT)' > $(OS_STAMP)))
$(OS_STAMP):
	@mkdir -p $(@D)
	@echo '$(OS_FLAGS_TEXT)' > $@

.PHONY: os check-os
os: $(OS_OUTPUTS)

# gcc would turn memset's loop into a call to memset.
$(OS_BUILD)/kobj/lib/string.o $(OS_BUILD)/uobj/lib/string.o: \
	OS_EXTRA := -fno-tree-loop-distribute-patterns

# ---- generated offsets -----------------------------------------------------
$(OS_BUILD)/gen/asm-offsets.s: os/kernel/asm-offsets.c $(OS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(OS_KCFLAGS) -S $< -o $@

$(OS_BUILD)/gen/asm-offsets.h: $(OS_BUILD)/gen/asm-offsets.s os/tools/mkoffsets.sh
	os/tools/mkoffsets.sh header $< > $@.tmp
	mv $@.tmp $@

# ---- kernel ----------------------------------------------------------------
$(OS_BUILD)/kobj/%.o: %.c $(OS_STAMP) | $(OS_BUILD)/gen/asm-offsets.h
	@mkdir -p $(@D)
	$(CC) $(OS_KCFLAGS) $(OS_EXTRA) -c $< -o $@

$(OS_BUILD)/kobj/%.o: %.S $(OS_STAMP) $(OS_BUILD)/gen/asm-offsets.h
	@mkdir -p $(@D)
	$(CC) $(OS_KCFLAGS) -c $< -o $@

# programs.S embeds the user ELFs with .incbin.
$(OS_BUILD)/kobj/os/kernel/programs.o: $(OS_UELF)
$(OS_BUILD)/kobj/os/kernel/programs.o: OS_KCFLAGS += -Wa,-I$(OS_BUILD)/user

$(OS_BUILD)/kernel.elf: $(OS_KOBJ) os/kernel/linker.ld
	$(CC) $(OS_KCFLAGS) $(OS_LDFLAGS) -Wl,-T,os/kernel/linker.ld -o $@ $(filter %.o,$^)

$(OS_BUILD)/kernel.map: $(OS_BUILD)/kernel.elf
	$(NM) -n $< > $@.tmp
	mv $@.tmp $@

$(OS_BUILD)/offsets.json: $(OS_BUILD)/gen/asm-offsets.s $(OS_BUILD)/kernel.elf os/tools/mkoffsets.sh
	NM=$(NM) os/tools/mkoffsets.sh json $< $(OS_BUILD)/kernel.elf > $@.tmp
	mv $@.tmp $@

# ---- user programs ---------------------------------------------------------
$(OS_BUILD)/uobj/%.o: %.c $(OS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(OS_UCFLAGS) $(OS_EXTRA) -c $< -o $@

$(OS_BUILD)/uobj/%.o: %.S $(OS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(OS_UCFLAGS) -c $< -o $@

# With symbols and debug info (for debuggers), and without debug info (embedded).
$(OS_BUILD)/user/%.debug.elf: $(OS_BUILD)/uobj/os/user/%.o $(OS_ULIB_OBJ) os/user/user.ld
	@mkdir -p $(@D)
	$(CC) $(OS_UCFLAGS) $(OS_LDFLAGS) -Wl,-T,os/user/user.ld -o $@ $(filter %.o,$^)

$(OS_BUILD)/user/%.elf: $(OS_BUILD)/user/%.debug.elf
	$(OBJCOPY) --strip-debug $< $@

# ---- the bench reference ---------------------------------------------------
$(OS_BUILD)/tools/bench_host: os/tools/bench_host.c os/user/bench_core.h $(OS_STAMP)
	@mkdir -p $(@D)
	$(CC) -std=gnu11 -Wall -Wextra -O2 $(if $(OS_BENCH_ITERS),-DBENCH_ITERS=$(OS_BENCH_ITERS)) -o $@ $<

$(OS_BUILD)/bench.expected: $(OS_BUILD)/tools/bench_host
	$(abspath $<) > $@.tmp
	mv $@.tmp $@

# ---- QEMU boot test ---------------------------------------------------------
check-os: $(OS_OUTPUTS)
	@set -e; for n in 1 2 4; do \
		os/run-qemu.sh --smp $$n --quiet --log $(OS_BUILD)/serial-smp$$n.log; \
		os/tools/check-serial.sh --smp $$n --bench $(OS_BUILD)/bench.expected \
			$(OS_BUILD)/serial-smp$$n.log; \
	done

-include $(wildcard $(OS_BUILD)/gen/*.d $(OS_BUILD)/kobj/*/*.d $(OS_BUILD)/kobj/*/*/*.d \
	$(OS_BUILD)/uobj/*/*.d $(OS_BUILD)/uobj/*/*/*.d)
