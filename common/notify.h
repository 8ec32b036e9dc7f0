/* SPDX-License-Identifier: MIT */
/* common/notify.h -- service manager readiness notification (systemd's sd_notify protocol) */
#ifndef RGW_COMMON_NOTIFY_H
#define RGW_COMMON_NOTIFY_H

#include <stddef.h>

/*
 * The protocol: when the service manager starts rgwd with Type=notify it sets NOTIFY_SOCKET
 * to the address of an AF_UNIX datagram socket (a path, or "@name" for the abstract
 * namespace); rgwd sends newline-separated "KEY=value" assignments to it, one datagram per
 * message: READY=1, RELOADING=1, STOPPING=1, STATUS=..., MAINPID=... No libsystemd needed.
 *
 * Without NOTIFY_SOCKET every call is a no-op that returns 0, so rgwd behaves the same
 * outside systemd. Calls are synchronous and non-blocking (the datagram is dropped, with
 * -EAGAIN, if the manager's queue is full). Loop thread only (not thread-safe).
 */

/* Parse a NOTIFY_SOCKET value into a sockaddr_un (path, or '@' -> abstract).
 * Returns the address length to pass to sendto, or -EINVAL (empty, relative, too long),
 * -EAFNOSUPPORT ("vsock:" addresses, not supported). Pure; for the unit tests. */
struct sockaddr_un;
int notify_parse_addr(const char *value, struct sockaddr_un *sun);

/* Send msg (e.g. "READY=1\nSTATUS=serving") to $NOTIFY_SOCKET.
 * 0 when sent or when NOTIFY_SOCKET is unset; -errno on failure (nothing is logged). */
int notify_send(const char *msg);

/* The keep-alive interval when the service manager runs a watchdog for this process
 * (WatchdogSec=: $WATCHDOG_USEC, and $WATCHDOG_PID unset or ours): half the watchdog period,
 * in ms; 0 when there is no watchdog. The caller sends "WATCHDOG=1" that often from its
 * main loop, so that a loop that stops turning is restarted. */
int notify_watchdog_ms(void);

/* When there is a watchdog: send WATCHDOG=1 every notify_watchdog_ms() from a timer of loop
 * (so a stuck loop stops the keep-alives). The interval in ms, 0 without a watchdog, or
 * -ENOMEM. Loop thread. */
struct ev_loop;
int notify_watchdog_start(struct ev_loop *loop);

/* printf-style notify_send; messages longer than 1024 bytes are refused (-EMSGSIZE). */
int notify_sendf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
