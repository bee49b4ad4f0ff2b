/*
 * The checks, in the order they run.  The names are part of the output
 * format: keep them stable.
 */
#ifndef SELFTEST_TESTS_H
#define SELFTEST_TESTS_H

#define SELFTEST_LIST(X)						\
	X("boot-protocol", t_boot_protocol)				\
	X("boot-memmap", t_boot_memmap)					\
	X("mode-entry32", t_mode_entry32)				\
	X("mode-long", t_mode_long)					\
	X("mode-compat", t_mode_compat)					\
	X("cpuid-vendor", t_cpuid_vendor)				\
	X("cpuid-features", t_cpuid_features)				\
	X("dt-gdt-idt", t_dt_gdt_idt)					\
	X("dt-tr", t_dt_tr)						\
	X("dt-ldt", t_dt_ldt)						\
	X("dt-lar-lsl", t_dt_lar_lsl)					\
	X("exc-de", t_exc_de)						\
	X("exc-ud", t_exc_ud)						\
	X("exc-bp", t_exc_bp)						\
	X("exc-db-step", t_exc_db_step)					\
	X("exc-db-hwbp", t_exc_db_hwbp)					\
	X("exc-gp-noncanonical", t_exc_gp_noncanonical)			\
	X("exc-gp-selector", t_exc_gp_selector)				\
	X("exc-np", t_exc_np)						\
	X("exc-ss", t_exc_ss)						\
	X("exc-ss-noncanonical", t_exc_ss_noncanonical)			\
	X("exc-pf-notpresent", t_exc_pf_notpresent)			\
	X("exc-pf-write-ro", t_exc_pf_write_ro)				\
	X("exc-pf-rsvd", t_exc_pf_rsvd)					\
	X("exc-pf-nx", t_exc_pf_nx)					\
	X("exc-ist", t_exc_ist)						\
	X("exc-df", t_exc_df)						\
	X("exc-df-stack", t_exc_df_stack)				\
	X("dbg-int3", t_dbg_int3)					\
	X("dbg-icebp", t_dbg_icebp)					\
	X("dbg-step-seq", t_dbg_step_seq)				\
	X("dbg-step-set-tf", t_dbg_step_set_tf)				\
	X("dbg-step-int", t_dbg_step_int)				\
	X("dbg-step-sti", t_dbg_step_sti)				\
	X("dbg-step-movss", t_dbg_step_movss)				\
	X("dbg-step-rep", t_dbg_step_rep)				\
	X("dbg-hwbp-two", t_dbg_hwbp_two)				\
	X("dbg-gd", t_dbg_gd)						\
	X("dbg-data-write", t_dbg_data_write)				\
	X("dbg-data-rw", t_dbg_data_rw)					\
	X("dbg-data-partial", t_dbg_data_partial)			\
	X("dbg-data-rep", t_dbg_data_rep)				\
	X("dbg-dr6-sticky", t_dbg_dr6_sticky)				\
	X("dbg-movss-databp", t_dbg_movss_databp)			\
	X("dbg-io", t_dbg_io)						\
	X("dbg-dr4-dr5", t_dbg_dr4_dr5)					\
	X("dbg-dr4-dr5-de", t_dbg_dr4_dr5_de)			\
	X("dbg-dr-reserved", t_dbg_dr_reserved)				\
	X("dbg-syscall-tf", t_dbg_syscall_tf)				\
	X("dbg-sysret-tf", t_dbg_sysret_tf)				\
	X("ring3-int80", t_ring3_int80)					\
	X("ring3-gp", t_ring3_gp)					\
	X("ring3-pf", t_ring3_pf)					\
	X("syscall-sysret", t_syscall_sysret)				\
	X("msr-efer", t_msr_efer)					\
	X("msr-syscall", t_msr_syscall)					\
	X("msr-segbase", t_msr_segbase)					\
	X("msr-tsc", t_msr_tsc)						\
	X("msr-rdtscp", t_msr_rdtscp)					\
	X("paging-ad", t_paging_ad)					\
	X("paging-invlpg", t_paging_invlpg)				\
	X("paging-wp", t_paging_wp)					\
	X("paging-2m", t_paging_2m)					\
	X("paging-1g", t_paging_1g)					\
	X("io-scratch", t_io_scratch)					\
	X("io-string-in", t_io_string_in)				\
	X("io-string-out", t_io_string_out)				\
	X("acpi-rsdp", t_acpi_rsdp)					\
	X("acpi-madt", t_acpi_madt)					\
	X("ioapic", t_ioapic)						\
	X("fwcfg-signature", t_fwcfg_signature)				\
	X("fwcfg-cpus", t_fwcfg_cpus)					\
	X("apic-base", t_apic_base)					\
	X("apic-timer-oneshot", t_apic_timer_oneshot)			\
	X("apic-timer-periodic", t_apic_timer_periodic)			\
	X("apic-hlt", t_apic_hlt)					\
	X("apic-sti-shadow", t_apic_sti_shadow)				\
	X("apic-cli", t_apic_cli)					\
	X("apic-eoi", t_apic_eoi)					\
	X("apic-tpr", t_apic_tpr)					\
	X("apic-self-ipi", t_apic_self_ipi)				\
	X("nmi-self", t_nmi_self)					\
	X("nmi-blocking", t_nmi_blocking)				\
	X("ap-startup", t_ap_startup)					\
	X("ipi-fixed", t_ipi_fixed)					\
	X("x2apic", t_x2apic)

#define DECLARE_TEST(name, fn) void fn(void);
SELFTEST_LIST(DECLARE_TEST)
#undef DECLARE_TEST

#endif
