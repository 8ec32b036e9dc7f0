/* SPDX-License-Identifier: MIT */
/* common/notify.c -- service manager readiness notification (systemd's sd_notify protocol) */

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/notify.h"
#include "common/ev.h"
#include "common/util.h"

int
notify_parse_addr(const char *value, struct sockaddr_un *sun)
{
	size_t len;

	if (value == NULL || value[0] == '\0')
		return -EINVAL;
	/* systemd also accepts vsock:CID:PORT (for VMs); rgwd does not need it. */
	if (strncmp(value, "vsock:", 6) == 0)
		return -EAFNOSUPPORT;
	if (value[0] != '/' && value[0] != '@')
		return -EINVAL;
	len = strlen(value);
	if (len > sizeof(sun->sun_path) || (len == sizeof(sun->sun_path) && value[0] == '/'))
		return -EINVAL;
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	memcpy(sun->sun_path, value, len);
	if (value[0] == '@') {
		/* Abstract namespace: a leading NUL, and the length counts exactly the name. */
		sun->sun_path[0] = '\0';
		return (int)(offsetof(struct sockaddr_un, sun_path) + len);
	}
	return (int)(offsetof(struct sockaddr_un, sun_path) + len + 1);
}

int
notify_send(const char *msg)
{
	const char *value = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sun;
	int fd, alen, rc = 0;
	ssize_t n;

	if (value == NULL)
		return 0;
	alen = notify_parse_addr(value, &sun);
	if (alen < 0)
		return alen;
	/* One socket per message: messages are rare (start, reload, stop), and a fresh
	 * socket carries the sender's current credentials (the manager checks the PID). */
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd == -1)
		return -errno;
	n = sendto(fd, msg, strlen(msg), MSG_NOSIGNAL, (const struct sockaddr *)&sun,
		   (socklen_t)alen);
	if (n == -1)
		rc = -errno;
	else if ((size_t)n != strlen(msg))
		rc = -EMSGSIZE;
	close(fd);
	return rc;
}

int
notify_watchdog_ms(void)
{
	const char *usec = getenv("WATCHDOG_USEC"), *pid = getenv("WATCHDOG_PID");
	long long u, p;

	if (usec == NULL || sscanf(usec, "%lld", &u) != 1 || u <= 0)
		return 0;
	/* WATCHDOG_PID, when set, names the process the watchdog is for (sd_watchdog_enabled) */
	if (pid != NULL && (sscanf(pid, "%lld", &p) != 1 || p != (long long)getpid()))
		return 0;
	/* half the period, as sd_watchdog_enabled(3) recommends; at least 1 ms */
	return u / 2000 > 0 ? (int)MIN(u / 2000, (long long)INT_MAX) : 1;
}

int
notify_sendf(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(msg))
		return -EMSGSIZE;
	return notify_send(msg);
}

static void
on_watchdog(struct ev_loop *loop, uint64_t id, void *arg)
{
	int ms = (int)(intptr_t)arg;

	(void)id;
	notify_send("WATCHDOG=1");
	ev_timer_add(loop, (uint64_t)ms, on_watchdog, arg);
}

int
notify_watchdog_start(struct ev_loop *loop)
{
	int ms = notify_watchdog_ms();

	if (ms == 0)
		return 0;
	if (ev_timer_add(loop, (uint64_t)ms, on_watchdog, (void *)(intptr_t)ms) == 0)
		return -ENOMEM;
	return ms;
}
