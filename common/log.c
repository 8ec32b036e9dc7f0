/* SPDX-License-Identifier: MIT */
/* common/log.c -- logging to stderr or syslog, with levels and rate limiting */
#include "common/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "common/util.h"

#define LOG_LINE_MAX 2048

static void vlog_line(enum log_level level, const char *suffix, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

static const char *const level_names[] = { "err", "warn", "info", "debug" };

/* Plain ints read and written with relaxed atomics: log_* may run on any thread. */
static int cur_level = LOG_LVL_INFO;
static int use_syslog_flag;
static int journal_flag; /* stderr is journald's stream: "<N>" prefixes, no timestamp */
static char log_ident[64] = "rgwd";
/* The access log file ([alg] access_log_file): a fixed descriptor number that a reopen
 * replaces with dup2, so that threads writing to it never see a closed or reused number. */
static int access_fd = -1;
static char access_path[256];

static void access_line(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

void
log_init(const char *ident, bool use_syslog, enum log_level level)
{
	if (__atomic_load_n(&use_syslog_flag, __ATOMIC_RELAXED))
		closelog();
	if (ident != NULL)
		util_strlcpy(log_ident, ident, sizeof(log_ident));
	if (use_syslog)
		openlog(log_ident, LOG_PID, LOG_DAEMON);
	__atomic_store_n(&use_syslog_flag, use_syslog ? 1 : 0, __ATOMIC_RELAXED);
	__atomic_store_n(&journal_flag, log_stderr_is_journal() ? 1 : 0, __ATOMIC_RELAXED);
	log_set_level(level);
}

bool
log_stderr_is_journal(void)
{
	return log_fd_is_journal(STDERR_FILENO);
}

bool
log_fd_is_journal(int fd)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat sb;

	/* sd-daemon(3): JOURNAL_STREAM is "device:inode" of the stream the service manager
	 * connected; it is inherited, so it counts only while stderr is still that stream. */
	if (js == NULL || sscanf(js, "%llu:%llu", &dev, &ino) != 2)
		return false;
	if (fstat(fd, &sb) == -1)
		return false;
	return (unsigned long long)sb.st_dev == dev && (unsigned long long)sb.st_ino == ino;
}

void
log_set_level(enum log_level level)
{
	if ((int)level < LOG_LVL_ERR)
		level = LOG_LVL_ERR;
	if (level > LOG_LVL_DEBUG)
		level = LOG_LVL_DEBUG;
	__atomic_store_n(&cur_level, (int)level, __ATOMIC_RELAXED);
}

enum log_level
log_get_level(void)
{
	return (enum log_level)__atomic_load_n(&cur_level, __ATOMIC_RELAXED);
}

int
log_level_parse(const char *s, enum log_level *out)
{
	if (s == NULL)
		return -EINVAL;
	for (size_t i = 0; i < ARRAY_SIZE(level_names); i++) {
		if (strcmp(s, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return -EINVAL;
}

static void
vlog_line(enum log_level level, const char *suffix, const char *fmt, va_list ap)
{
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	char line[LOG_LINE_MAX];
	size_t off = 0, room;
	int n;

	if ((int)level > __atomic_load_n(&cur_level, __ATOMIC_RELAXED))
		return;
	if (__atomic_load_n(&use_syslog_flag, __ATOMIC_RELAXED)) {
		n = vsnprintf(line, sizeof(line), fmt, ap);
		if (n < 0)
			return;
		syslog(prio[level], "%s%s", line, suffix ? suffix : "");
		return;
	}

	struct timespec ts;
	struct tm tm;

	if (__atomic_load_n(&journal_flag, __ATOMIC_RELAXED)) {
		/* journald reads the priority from "<N>" and stamps the time itself */
		off = (size_t)snprintf(line, sizeof(line), "<%d>%s ", prio[level],
				       level_names[level]);
	} else {
		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		off = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
		off += (size_t)snprintf(line + off, sizeof(line) - off, ".%03ldZ %s ",
					ts.tv_nsec / 1000000, level_names[level]);
	}
	/* keep two bytes for "\n" and its NUL whatever the message length */
	room = sizeof(line) - off - 1;
	n = vsnprintf(line + off, room, fmt, ap);
	if (n < 0)
		n = 0;
	off += (size_t)n < room ? (size_t)n : room - 1;
	if (suffix != NULL) {
		room = sizeof(line) - off - 1;
		n = snprintf(line + off, room, "%s", suffix);
		off += (size_t)n < room ? (size_t)n : room - 1;
	}
	line[off++] = '\n';
	/* one write per line so that concurrent threads do not interleave */
	while (write(STDERR_FILENO, line, off) == -1 && errno == EINTR)
		;
}

static void log_errno_suffix(enum log_level level, int saved, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

static void
log_errno_suffix(enum log_level level, int saved, const char *fmt, va_list ap)
{
	char suffix[160];
	char eb[128];

	snprintf(suffix, sizeof(suffix), ": %s", strerror_r(saved, eb, sizeof(eb)));
	vlog_line(level, suffix, fmt, ap);
}

void
log_warn(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	log_errno_suffix(LOG_LVL_WARN, saved, fmt, ap);
	va_end(ap);
	errno = saved;
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog_line(LOG_LVL_WARN, NULL, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog_line(LOG_LVL_INFO, NULL, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog_line(LOG_LVL_DEBUG, NULL, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	log_errno_suffix(LOG_LVL_ERR, saved, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog_line(LOG_LVL_ERR, NULL, fmt, ap);
	va_end(ap);
	exit(1);
}

void
log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog_line(level, NULL, fmt, ap);
	va_end(ap);
}

bool
log_rl_allow(struct log_rl *rl, uint64_t now_ms, uint32_t *suppressed)
{
	uint32_t interval = rl->interval_ms ? rl->interval_ms : 5000;
	uint32_t burst = rl->burst ? rl->burst : 10;

	*suppressed = 0;
	/* window_start_ms == 0 with count == 0: never used */
	if ((rl->window_start_ms == 0 && rl->count == 0) || now_ms < rl->window_start_ms ||
	    now_ms - rl->window_start_ms >= interval) {
		*suppressed = rl->suppressed;
		rl->window_start_ms = now_ms;
		rl->count = 0;
		rl->suppressed = 0;
	}
	if (rl->count < burst) {
		rl->count++;
		return true;
	}
	if (rl->suppressed < UINT32_MAX)
		rl->suppressed++;
	return false;
}

void
log_rl(struct log_rl *rl, enum log_level level, const char *fmt, ...)
{
	uint32_t suppressed;
	char suffix[64];
	va_list ap;

	if ((int)level > __atomic_load_n(&cur_level, __ATOMIC_RELAXED))
		return;
	if (!log_rl_allow(rl, util_mono_ms(), &suppressed))
		return;
	if (suppressed > 0)
		snprintf(suffix, sizeof(suffix), " (%u similar messages suppressed)", suppressed);
	va_start(ap, fmt);
	vlog_line(level, suppressed > 0 ? suffix : NULL, fmt, ap);
	va_end(ap);
}

int
log_access_open(const char *path)
{
	int fd, saved;

	if (path == NULL || path[0] == '\0') {
		if (access_fd != -1)
			close(access_fd);
		__atomic_store_n(&access_fd, -1, __ATOMIC_RELAXED);
		access_path[0] = '\0';
		return 0;
	}
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (fd == -1)
		return -errno;
	if (access_fd == -1) {
		__atomic_store_n(&access_fd, fd, __ATOMIC_RELEASE);
	} else if (dup3(fd, access_fd, O_CLOEXEC) == -1) {
		saved = errno;
		close(fd);
		return -saved;
	} else {
		close(fd);
	}
	if (path != access_path)
		util_strlcpy(access_path, path, sizeof(access_path));
	return 0;
}

int
log_access_reopen(void)
{
	return access_path[0] ? log_access_open(access_path) : 0;
}

static void
access_line(const char *fmt, va_list ap)
{
	char line[LOG_LINE_MAX];
	struct timespec ts;
	struct tm tm;
	size_t off, room;
	int n, fd = __atomic_load_n(&access_fd, __ATOMIC_ACQUIRE);

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	off = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
	off += (size_t)snprintf(line + off, sizeof(line) - off, ".%03ldZ ", ts.tv_nsec / 1000000);
	room = sizeof(line) - off - 1;
	n = vsnprintf(line + off, room, fmt, ap);
	if (n < 0)
		n = 0;
	off += (size_t)n < room ? (size_t)n : room - 1;
	line[off++] = '\n';
	/* O_APPEND and one write per line: lines of concurrent workers never interleave */
	while (write(fd, line, off) == -1 && errno == EINTR)
		;
}

void
log_access(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (__atomic_load_n(&access_fd, __ATOMIC_ACQUIRE) == -1)
		vlog_line(LOG_LVL_INFO, NULL, fmt, ap);
	else
		access_line(fmt, ap);
	va_end(ap);
}
