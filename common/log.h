/* SPDX-License-Identifier: MIT */
/* common/log.h -- logging to stderr or syslog, with levels and rate limiting */
#ifndef RGW_COMMON_LOG_H
#define RGW_COMMON_LOG_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Every message is prefixed by the caller with its module tag ("dns: ", "nat: "...).
 * log_debug messages start with "%s: ", __func__.
 * All functions are thread-safe (one write(2) per message).
 * Nothing is logged per packet at info level or above: per-packet messages go through
 * a struct log_rl rate limiter.
 */

enum log_level {
	LOG_LVL_ERR = 0,
	LOG_LVL_WARN,
	LOG_LVL_INFO,
	LOG_LVL_DEBUG,
};

/* True when stderr is the stream the service manager connected to the journal
 * ($JOURNAL_STREAM names its device and inode): lines then start with sd-daemon(3) "<N>"
 * priority prefixes instead of a timestamp. log_init checks it. */
bool log_stderr_is_journal(void);
/* The same test for any descriptor (stdout under systemd is the journal too). */
bool log_fd_is_journal(int fd);

/*
 * The access log (one line per ALG connection) has its own destination: with a file open
 * (log_access_open(path), appended, created 0640), log_access writes a timestamped line to
 * it; without one, it logs at info level like log_info. log_access_reopen reopens the same
 * path (SIGUSR1, after logrotate moved the file) without a moment where lines are lost or go
 * elsewhere. Open/reopen: main thread; log_access: any thread. 0 or -errno (the previous
 * file stays in use on failure).
 */
int log_access_open(const char *path);
int log_access_reopen(void);
void log_access(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Set the identity, the destination (syslog when use_syslog, else stderr) and the level.
 * May be called again at any time (e.g. after the config is read). */
void log_init(const char *ident, bool use_syslog, enum log_level level);
void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* Parse "err", "warn", "info", "debug"; returns 0 or -EINVAL. */
int log_level_parse(const char *s, enum log_level *out);

/* log_warn and fatal append ": strerror(errno)"; the x variants do not. */
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Errors that stop start-up: log at LOG_LVL_ERR and exit(1). Never used once the loop runs. */
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
/* Log at an explicit level (no strerror). */
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Rate limiter for per-packet messages: at most `burst` messages per `interval_ms`; the
 * first message after a suppressed period reports how many were dropped.
 * Embed one (zero-initialised or LOG_RL_INIT) per message site. Not thread-safe: one per thread.
 */
struct log_rl {
	uint32_t interval_ms;
	uint32_t burst;
	uint64_t window_start_ms;
	uint32_t count;
	uint32_t suppressed;
};
#define LOG_RL_INIT(interval_ms, burst)                                                            \
	{                                                                                          \
		(interval_ms), (burst), 0, 0, 0                                                    \
	}

/* Like log_msg, but subject to the limiter `rl` (zero-initialised rl: 10 messages per 5 s). */
void log_rl(struct log_rl *rl, enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The limiter's decision at time now_ms (monotonic ms), without logging: true if a message
 * may be emitted; *suppressed is set to the number dropped in the window that just closed
 * (non-zero only on the first message of a new window). Used by log_rl and by tests. */
bool log_rl_allow(struct log_rl *rl, uint64_t now_ms, uint32_t *suppressed);

#endif
