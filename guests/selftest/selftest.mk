# Self-test kernel (included from guests/Makefile; paths relative to guests/).
#
#   build/selftest/selftest.elf      PVH note + Multiboot header: tsvmi boots
#                                    it through PVH, QEMU -kernel through
#                                    Multiboot (QEMU tries Multiboot first)
#   build/selftest/selftest-mb.elf   Multiboot header only
#   build/selftest/selftest-pvh.elf  PVH note only: QEMU boots it through PVH
#   build/selftest/triplefault.elf   empty IDT + int3 (PVH note only)
#
# Target: selftest (part of the default target).  selftest/run-qemu.sh boots
# the images; see selftest/README.md.

ST_DIR  := selftest
ST_OBJ  := $(BUILD)/obj/selftest
ST_OUT  := $(BUILD)/selftest

ST_SRCS := isr.S compat.S user_prog.S trampoline.S debug_seq.S \
	main.c boot.c desc.c trap.c cpu.c exc.c user.c msr.c paging.c io.c \
	acpi.c apic.c smp.c debug.c
ST_LIB  := lib/console_serial.c lib/fmt.c lib/string.c lib/rt.c

ST_OBJS := $(patsubst %,$(ST_OBJ)/%.o,$(basename $(ST_SRCS)))
ST_LIBOBJS := $(call objs,free,O2,$(ST_LIB))
ST_ENTRY := $(ST_OBJ)/entry.o
ST_NOTE := $(ST_OBJ)/pvh_note.o
ST_MB := $(ST_OBJ)/mb_header.o

ST_CFLAGS := $(FREE_CFLAGS) -O2 -I$(ST_DIR)
ST_LDFLAGS := -nostdlib -static -no-pie -Wl,-T,$(ST_DIR)/linker.ld \
	-Wl,--build-id=none -Wl,-z,max-page-size=0x1000 -Wl,-z,noexecstack \
	-Wl,--fatal-warnings

ST_IMAGES := $(ST_OUT)/selftest.elf $(ST_OUT)/selftest-mb.elf \
	$(ST_OUT)/selftest-pvh.elf $(ST_OUT)/triplefault.elf

.PHONY: selftest
selftest: $(ST_IMAGES)

$(ST_OBJ)/%.o: $(ST_DIR)/%.c $(FLAGS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(ST_CFLAGS) -c $< -o $@

$(ST_OBJ)/%.o: $(ST_DIR)/%.S $(FLAGS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(ST_CFLAGS) -c $< -o $@

# Link, then check the layout the boot protocols rely on.
define st_link
	@mkdir -p $(@D)
	$(CC) $(ST_CFLAGS) $(ST_LDFLAGS) -Wl,-e,$(1) -o $@.tmp $(filter %.o,$^)
	$(ST_DIR)/check-image.sh $@.tmp $(2)
	mv $@.tmp $@
endef

ST_DEPS := $(ST_DIR)/linker.ld $(ST_DIR)/check-image.sh

# Link order: the Multiboot header (section .multiboot) goes first anyway.
$(ST_OUT)/selftest.elf: $(ST_ENTRY) $(ST_MB) $(ST_NOTE) $(ST_OBJS) $(ST_LIBOBJS) $(ST_DEPS)
	$(call st_link,pvh_entry32,both)

$(ST_OUT)/selftest-mb.elf: $(ST_ENTRY) $(ST_MB) $(ST_OBJS) $(ST_LIBOBJS) $(ST_DEPS)
	$(call st_link,mb_entry32,multiboot)

$(ST_OUT)/selftest-pvh.elf: $(ST_ENTRY) $(ST_NOTE) $(ST_OBJS) $(ST_LIBOBJS) $(ST_DEPS)
	$(call st_link,pvh_entry32,pvh)

$(ST_OUT)/triplefault.elf: $(ST_ENTRY) $(ST_OBJ)/triplefault.o $(ST_NOTE) \
		$(call objs,free,O2,lib/console_serial.c lib/fmt.c lib/string.c) \
		$(ST_DEPS)
	$(call st_link,pvh_entry32,pvh)

-include $(wildcard $(ST_OBJ)/*.d)
