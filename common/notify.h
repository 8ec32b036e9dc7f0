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

/* printf-style notify_send; messages longer than 1024 bytes are refused (-EMSGSIZE). */
int notify_sendf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
