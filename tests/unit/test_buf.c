/* SPDX-License-Identifier: MIT */
/* tests/unit/test_buf.c -- growable byte buffers */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"

static void
test_append_and_nul(void **state)
{
	struct buf b = { 0 };

	(void)state;
	assert_int_equal(buf_append(&b, "abc", 3), 0);
	assert_int_equal(b.len, 3);
	assert_string_equal((char *)b.data, "abc");
	assert_int_equal(buf_append_str(&b, "def"), 0);
	assert_string_equal((char *)b.data, "abcdef");
	assert_int_equal(buf_append(&b, NULL, 0), 0);
	assert_int_equal(b.len, 6);
	assert_true(b.cap > b.len);
	buf_free(&b);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.cap, 0);
	/* reusable after free */
	assert_int_equal(buf_append_str(&b, "x"), 0);
	assert_string_equal((char *)b.data, "x");
	buf_free(&b);
}

static void
test_printf_grows(void **state)
{
	struct buf b;
	char big[5000];

	(void)state;
	buf_init(&b);
	assert_int_equal(buf_printf(&b, "%d-%s", 42, "x"), 0);
	assert_string_equal((char *)b.data, "42-x");
	memset(big, 'z', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(buf_printf(&b, "[%s]", big), 0);
	assert_int_equal(b.len, 4 + 2 + sizeof(big) - 1);
	assert_int_equal(b.data[b.len], '\0');
	assert_int_equal(b.data[5], 'z');
	assert_int_equal(b.data[b.len - 1], ']');
	buf_free(&b);
}

static void
test_consume_reset_steal(void **state)
{
	struct buf b = { 0 };
	uint8_t *p;
	size_t len = 0;

	(void)state;
	buf_append_str(&b, "hello world");
	buf_consume(&b, 6);
	assert_string_equal((char *)b.data, "world");
	assert_int_equal(b.len, 5);
	buf_consume(&b, 100);
	assert_int_equal(b.len, 0);
	assert_string_equal((char *)b.data, "");
	buf_append_str(&b, "abc");
	buf_reset(&b);
	assert_int_equal(b.len, 0);
	assert_true(b.cap > 0);
	buf_append_str(&b, "xyz");
	p = buf_steal(&b, &len);
	assert_int_equal(len, 3);
	assert_memory_equal(p, "xyz", 3);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	free(p);
	/* reset and consume on an empty, never-allocated buffer */
	buf_reset(&b);
	buf_consume(&b, 1);
	assert_null(buf_steal(&b, &len));
	assert_int_equal(len, 0);
}

static void
test_reserve(void **state)
{
	struct buf b = { 0 };

	(void)state;
	assert_int_equal(buf_reserve(&b, 1000), 0);
	assert_true(b.cap >= 1001);
	assert_int_equal(b.len, 0);
	assert_int_equal(buf_reserve(&b, SIZE_MAX), -ENOMEM);
	assert_int_equal(buf_reserve(&b, SIZE_MAX - 1), -ENOMEM);
	assert_int_equal(buf_reserve(&b, SIZE_MAX / 2 + 1), -ENOMEM);
	assert_int_equal(b.len, 0);
	for (int i = 0; i < 10000; i++)
		assert_int_equal(buf_append(&b, "0123456789", 10), 0);
	assert_int_equal(b.len, 100000);
	assert_int_equal(b.data[99999], '9');
	buf_free(&b);
}

/* A whole file, larger than one read, empty, missing, or unreadable (a directory). */
static void
test_read_file(void **state)
{
	char path[] = "/tmp/rgw-test-buf-XXXXXX", dir[] = "/tmp/rgw-test-bufd-XXXXXX";
	size_t big = 200000, len = 1;
	char *data, *text;
	int fd;

	(void)state;
	data = malloc(big);
	assert_non_null(data);
	for (size_t i = 0; i < big; i++)
		data[i] = (char)('a' + i % 26);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, big), (ssize_t)big);
	text = buf_read_file(path, &len);
	assert_non_null(text);
	assert_int_equal(len, big);
	assert_memory_equal(text, data, big);
	assert_int_equal(text[big], '\0');
	free(text);
	/* empty: an empty string, not NULL */
	assert_int_equal(ftruncate(fd, 0), 0);
	text = buf_read_file(path, &len);
	assert_non_null(text);
	assert_int_equal(len, 0);
	assert_string_equal(text, "");
	free(text);
	close(fd);
	unlink(path);
	errno = 0;
	assert_null(buf_read_file(path, &len));
	assert_int_equal(errno, ENOENT);
	/* a directory opens but cannot be read */
	assert_non_null(mkdtemp(dir));
	errno = 0;
	assert_null(buf_read_file(dir, NULL));
	assert_int_equal(errno, EIO);
	rmdir(dir);
	free(data);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_append_and_nul),	    cmocka_unit_test(test_printf_grows),
		cmocka_unit_test(test_consume_reset_steal), cmocka_unit_test(test_reserve),
		cmocka_unit_test(test_read_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
