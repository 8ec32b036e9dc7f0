/* SPDX-License-Identifier: MIT */
/* tests/unit/test_notify.c -- NOTIFY_SOCKET parsing and datagrams to a real socket */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/notify.h"

static void
test_parse_path(void **state)
{
	struct sockaddr_un sun;
	int len;

	(void)state;
	len = notify_parse_addr("/run/systemd/notify", &sun);
	assert_int_equal(len, offsetof(struct sockaddr_un, sun_path) + 20);
	assert_int_equal(sun.sun_family, AF_UNIX);
	assert_string_equal(sun.sun_path, "/run/systemd/notify");
}

static void
test_parse_abstract(void **state)
{
	struct sockaddr_un sun;
	int len;

	(void)state;
	len = notify_parse_addr("@rgw/x", &sun);
	/* Abstract names are not NUL-terminated: the length is exactly '\0' + "rgw/x". */
	assert_int_equal(len, offsetof(struct sockaddr_un, sun_path) + 6);
	assert_int_equal(sun.sun_path[0], '\0');
	assert_memory_equal(sun.sun_path + 1, "rgw/x", 5);
}

static void
test_parse_invalid(void **state)
{
	struct sockaddr_un sun;
	char longpath[200];

	(void)state;
	assert_int_equal(notify_parse_addr("", &sun), -EINVAL);
	assert_int_equal(notify_parse_addr(NULL, &sun), -EINVAL);
	assert_int_equal(notify_parse_addr("relative/sock", &sun), -EINVAL);
	assert_int_equal(notify_parse_addr("vsock:2:1234", &sun), -EAFNOSUPPORT);
	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	assert_int_equal(notify_parse_addr(longpath, &sun), -EINVAL);
	/* exactly sizeof(sun_path) characters: no room for the NUL of a path */
	longpath[sizeof(sun.sun_path)] = '\0';
	assert_int_equal(notify_parse_addr(longpath, &sun), -EINVAL);
	longpath[sizeof(sun.sun_path) - 1] = '\0';
	assert_true(notify_parse_addr(longpath, &sun) > 0);
}

static void
test_unset_is_noop(void **state)
{
	(void)state;
	unsetenv("NOTIFY_SOCKET");
	assert_int_equal(notify_send("READY=1"), 0);
	setenv("NOTIFY_SOCKET", "not-absolute", 1);
	assert_int_equal(notify_send("READY=1"), -EINVAL);
	unsetenv("NOTIFY_SOCKET");
}

/* Bind a datagram socket, point NOTIFY_SOCKET at it, and read what notify_send sends. */
static void
roundtrip(const char *addr_value)
{
	struct sockaddr_un sun;
	char got[2048];
	int fd, len;
	ssize_t n;

	len = notify_parse_addr(addr_value, &sun);
	assert_true(len > 0);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, (socklen_t)len), 0);
	setenv("NOTIFY_SOCKET", addr_value, 1);

	assert_int_equal(notify_send("READY=1\nSTATUS=serving"), 0);
	n = recv(fd, got, sizeof(got) - 1, 0);
	assert_int_equal(n, 22);
	got[n] = '\0';
	assert_string_equal(got, "READY=1\nSTATUS=serving");

	assert_int_equal(notify_sendf("MAINPID=%d", 4242), 0);
	n = recv(fd, got, sizeof(got) - 1, 0);
	assert_true(n > 0);
	got[n] = '\0';
	assert_string_equal(got, "MAINPID=4242");

	memset(got, 'x', 1500);
	got[1500] = '\0';
	assert_int_equal(notify_sendf("STATUS=%s", got), -EMSGSIZE);

	close(fd);
	unsetenv("NOTIFY_SOCKET");
}

static void
test_send_path(void **state)
{
	char dir[] = "/tmp/rgwnotifyXXXXXX", path[64];

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/notify", dir);
	roundtrip(path);
	/* Nobody listening any more: the error is reported, never a crash or a block. */
	setenv("NOTIFY_SOCKET", path, 1);
	unlink(path);
	assert_int_equal(notify_send("STOPPING=1"), -ENOENT);
	unsetenv("NOTIFY_SOCKET");
	rmdir(dir);
}

static void
test_send_abstract(void **state)
{
	char name[64];

	(void)state;
	snprintf(name, sizeof(name), "@rgw-notify-test-%d", (int)getpid());
	roundtrip(name);
}

/* WatchdogSec=: half the period in ms, only for our PID (or no PID given). */
static void
test_watchdog_interval(void **state)
{
	char pid[32];

	(void)state;
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	assert_int_equal(notify_watchdog_ms(), 0);
	setenv("WATCHDOG_USEC", "30000000", 1);
	assert_int_equal(notify_watchdog_ms(), 15000);
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	setenv("WATCHDOG_PID", pid, 1);
	assert_int_equal(notify_watchdog_ms(), 15000);
	snprintf(pid, sizeof(pid), "%d", (int)getpid() + 1);
	setenv("WATCHDOG_PID", pid, 1);
	assert_int_equal(notify_watchdog_ms(), 0);
	unsetenv("WATCHDOG_PID");
	setenv("WATCHDOG_USEC", "1", 1);
	assert_int_equal(notify_watchdog_ms(), 1);
	setenv("WATCHDOG_USEC", "junk", 1);
	assert_int_equal(notify_watchdog_ms(), 0);
	setenv("WATCHDOG_USEC", "0", 1);
	assert_int_equal(notify_watchdog_ms(), 0);
	unsetenv("WATCHDOG_USEC");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_path),	  cmocka_unit_test(test_parse_abstract),
		cmocka_unit_test(test_parse_invalid),	  cmocka_unit_test(test_unset_is_noop),
		cmocka_unit_test(test_send_path),	  cmocka_unit_test(test_send_abstract),
		cmocka_unit_test(test_watchdog_interval),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
