/* SPDX-License-Identifier: MIT */
/* tests/system/nosplice.c -- run a command under a seccomp filter that refuses splice(2) */
/*
 * Usage: nosplice [--syscall splice|sched_setscheduler] ERRNO COMMAND [ARG...]
 * Installs a seccomp filter in which splice(2) (or the system call named) fails with ERRNO (a
 * number, or EINVAL / ENOSYS / EPERM) and every other system call runs, then executes
 * COMMAND. It is what a container runtime or a systemd SystemCallFilter= does to a daemon: the
 * ALG must fall back to userspace buffers for real, and keep serving when a worker may not
 * change its scheduling policy.
 */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__)
#define ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define ARCH AUDIT_ARCH_AARCH64
#else
#error "nosplice: unknown architecture"
#endif

static int
parse_errno(const char *s)
{
	if (strcmp(s, "EINVAL") == 0)
		return EINVAL;
	if (strcmp(s, "ENOSYS") == 0)
		return ENOSYS;
	if (strcmp(s, "EPERM") == 0)
		return EPERM;
	return atoi(s);
}

int
main(int argc, char **argv)
{
	unsigned nr = __NR_splice;
	int err;

	if (argc > 2 && strcmp(argv[1], "--syscall") == 0) {
		if (strcmp(argv[2], "sched_setscheduler") == 0) {
			nr = __NR_sched_setscheduler;
		} else if (strcmp(argv[2], "splice") != 0) {
			fprintf(stderr, "nosplice: unknown system call '%s'\n", argv[2]);
			return 2;
		}
		argc -= 2;
		argv += 2;
	}
	if (argc < 3) {
		fprintf(stderr,
			"usage: nosplice [--syscall splice|sched_setscheduler] ERRNO COMMAND [ARG...]\n");
		return 2;
	}
	err = parse_errno(argv[1]);
	if (err <= 0 || err > 4095) {
		fprintf(stderr, "nosplice: bad errno '%s'\n", argv[1]);
		return 2;
	}
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ARCH, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, nr, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ((unsigned)err & SECCOMP_RET_DATA)),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]), .filter = f };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1 ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) == -1) {
		perror("nosplice: seccomp");
		return 1;
	}
	execvp(argv[2], argv + 2);
	perror("nosplice: exec");
	return 127;
}
