/* SPDX-License-Identifier: MIT */
/* tests/unit/test_log.c -- log format, levels, errno suffix, rate limiter, fatal */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"

/* Redirect stderr into a pipe while the test logs. */
struct capture {
	int pipe[2];
	int saved;
	char text[8192];
};

static void
capture_start(struct capture *c)
{
	assert_int_equal(pipe2(c->pipe, O_NONBLOCK), 0);
	c->saved = dup(STDERR_FILENO);
	assert_true(c->saved >= 0);
	assert_int_equal(dup2(c->pipe[1], STDERR_FILENO), STDERR_FILENO);
}

static const char *
capture_end(struct capture *c)
{
	ssize_t n;

	dup2(c->saved, STDERR_FILENO);
	close(c->saved);
	close(c->pipe[1]);
	n = read(c->pipe[0], c->text, sizeof(c->text) - 1);
	close(c->pipe[0]);
	c->text[n > 0 ? n : 0] = '\0';
	return c->text;
}

static void
assert_matches(const char *text, const char *re)
{
	regex_t r;

	assert_int_equal(regcomp(&r, re, REG_EXTENDED | REG_NEWLINE), 0);
	if (regexec(&r, text, 0, NULL, 0) != 0)
		fail_msg("'%s' does not match /%s/", text, re);
	regfree(&r);
}

static unsigned
count_lines(const char *s)
{
	unsigned n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static void
test_level_parse(void **state)
{
	enum log_level l = LOG_LVL_ERR;

	(void)state;
	assert_int_equal(log_level_parse("err", &l), 0);
	assert_int_equal(l, LOG_LVL_ERR);
	assert_int_equal(log_level_parse("warn", &l), 0);
	assert_int_equal(l, LOG_LVL_WARN);
	assert_int_equal(log_level_parse("info", &l), 0);
	assert_int_equal(l, LOG_LVL_INFO);
	assert_int_equal(log_level_parse("debug", &l), 0);
	assert_int_equal(l, LOG_LVL_DEBUG);
	assert_int_equal(log_level_parse("verbose", &l), -EINVAL);
	assert_int_equal(log_level_parse("", &l), -EINVAL);
	assert_int_equal(log_level_parse("INFO ", &l), -EINVAL);
	assert_int_equal(log_level_parse(NULL, &l), -EINVAL);
	log_set_level(LOG_LVL_WARN);
	assert_int_equal(log_get_level(), LOG_LVL_WARN);
	log_set_level(LOG_LVL_INFO);
}

static void
test_format_and_filter(void **state)
{
	struct capture c;
	const char *out;

	(void)state;
	log_init("test", false, LOG_LVL_INFO);
	capture_start(&c);
	log_info("dns: hello %d", 42);
	log_debug("%s: hidden", __func__);
	errno = ENOENT;
	log_warn("nat: open %s", "/x");
	log_warnx("api: plain");
	log_msg(LOG_LVL_ERR, "alg: explicit");
	log_msg(LOG_LVL_DEBUG, "alg: hidden too");
	out = capture_end(&c);
	assert_int_equal(count_lines(out), 4);
	assert_matches(out, "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z "
			    "info dns: hello 42$");
	assert_matches(out, "Z warn nat: open /x: No such file or directory$");
	assert_matches(out, "Z warn api: plain$");
	assert_matches(out, "Z err alg: explicit$");
	assert_null(strstr(out, "hidden"));

	log_set_level(LOG_LVL_DEBUG);
	capture_start(&c);
	log_debug("%s: shown", "fn");
	out = capture_end(&c);
	assert_matches(out, "Z debug fn: shown$");

	log_set_level(LOG_LVL_ERR);
	capture_start(&c);
	log_info("x");
	log_warnx("y");
	out = capture_end(&c);
	assert_string_equal(out, "");
	log_set_level(LOG_LVL_INFO);
}

static void
test_warn_keeps_errno_and_long_lines(void **state)
{
	struct capture c;
	const char *out;
	char big[4000];

	(void)state;
	log_init("test", false, LOG_LVL_INFO);
	memset(big, 'q', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	capture_start(&c);
	errno = EACCES;
	log_warn("x");
	assert_int_equal(errno, EACCES);
	log_info("%s", big);
	out = capture_end(&c);
	/* the long line is truncated but still one line ending in '\n' */
	assert_int_equal(count_lines(out), 2);
	assert_matches(out, ": Permission denied$");
	assert_matches(out, "info qqqq+$");
	assert_true(strlen(out) < 2 * 2048 + 100);
}

static void
test_rl_window(void **state)
{
	struct log_rl rl = LOG_RL_INIT(1000, 3);
	uint32_t sup = 99;

	(void)state;
	/* burst of 3 in the first window */
	assert_true(log_rl_allow(&rl, 5000, &sup));
	assert_int_equal(sup, 0);
	assert_true(log_rl_allow(&rl, 5001, &sup));
	assert_true(log_rl_allow(&rl, 5500, &sup));
	assert_false(log_rl_allow(&rl, 5600, &sup));
	assert_false(log_rl_allow(&rl, 5999, &sup));
	assert_int_equal(rl.suppressed, 2);
	/* window reopens at +1000: first message reports 2 suppressed */
	assert_true(log_rl_allow(&rl, 6000, &sup));
	assert_int_equal(sup, 2);
	assert_true(log_rl_allow(&rl, 6001, &sup));
	assert_int_equal(sup, 0);
	assert_true(log_rl_allow(&rl, 6002, &sup));
	assert_false(log_rl_allow(&rl, 6003, &sup));
	/* a quiet window in between: nothing suppressed is reported twice */
	assert_true(log_rl_allow(&rl, 9000, &sup));
	assert_int_equal(sup, 1);
	assert_true(log_rl_allow(&rl, 20000, &sup));
	assert_int_equal(sup, 0);
}

static void
test_rl_defaults(void **state)
{
	struct log_rl rl = { 0 };
	uint32_t sup;
	int allowed = 0;

	(void)state;
	/* zero-initialised: 10 messages per 5 s */
	for (int i = 0; i < 100; i++)
		allowed += log_rl_allow(&rl, 1000 + (uint64_t)i, &sup);
	assert_int_equal(allowed, 10);
	assert_false(log_rl_allow(&rl, 5999, &sup));
	assert_true(log_rl_allow(&rl, 6000, &sup));
	assert_int_equal(sup, 91);
}

static void
test_rl_output(void **state)
{
	/* a window far longer than the test: the burst cannot straddle two windows */
	struct log_rl rl = LOG_RL_INIT(600000, 2);
	struct capture c;
	const char *out;

	(void)state;
	log_init("test", false, LOG_LVL_INFO);
	capture_start(&c);
	for (int i = 0; i < 10; i++)
		log_rl(&rl, LOG_LVL_WARN, "dns: bad packet %d", i);
	/* the window is over: moved into the past rather than waited out (on a machine up for less
	 * than the interval this wraps, which log_rl_allow also takes as a new window) */
	rl.window_start_ms -= 600000;
	log_rl(&rl, LOG_LVL_WARN, "dns: bad packet %d", 10);
	/* filtered by level: does not count */
	log_rl(&rl, LOG_LVL_DEBUG, "dns: debug");
	out = capture_end(&c);
	assert_int_equal(count_lines(out), 3);
	assert_matches(out, "warn dns: bad packet 0$");
	assert_matches(out, "warn dns: bad packet 1$");
	assert_null(strstr(out, "packet 2"));
	assert_matches(out, "warn dns: bad packet 10 \\(8 similar messages suppressed\\)$");
	assert_int_equal(rl.count, 1);
}

static void
test_fatal_exits(void **state)
{
	int status;
	pid_t pid;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int devnull = open("/dev/null", O_WRONLY);

		dup2(devnull, STDERR_FILENO);
		fatalx("test: bye");
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 1);

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int devnull = open("/dev/null", O_WRONLY);

		dup2(devnull, STDERR_FILENO);
		errno = EIO;
		fatal("test: bye");
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_level_parse),
		cmocka_unit_test(test_format_and_filter),
		cmocka_unit_test(test_warn_keeps_errno_and_long_lines),
		cmocka_unit_test(test_rl_window),
		cmocka_unit_test(test_rl_defaults),
		cmocka_unit_test(test_rl_output),
		cmocka_unit_test(test_fatal_exits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
