/* SPDX-License-Identifier: MIT */
/* common/array.c -- one growable array for every module */
#include "common/array.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The smallest capacity a growth asks for: small arrays do not realloc at every append. */
#define ARRAY_MIN_CAP 8

int
array_reserve(void *ap, size_t *cap, size_t need, size_t size)
{
	size_t max, ncap;
	void *a, *p;

	if (need <= *cap)
		return 0;
	/* no object may be larger than PTRDIFF_MAX (realloc would refuse it anyway) */
	max = size ? PTRDIFF_MAX / size : PTRDIFF_MAX;
	if (need > max)
		return -ENOMEM;
	ncap = *cap ? *cap : ARRAY_MIN_CAP;
	while (ncap < need)
		ncap = ncap > max / 2 ? need : ncap * 2;
	if (ncap > max)
		ncap = max;
	/* the array's pointer is read and written as bytes: ap is a T ** for any T */
	memcpy(&a, ap, sizeof(a));
	p = realloc(a, ncap * size);
	if (p == NULL)
		return -ENOMEM;
	memcpy(ap, &p, sizeof(p));
	*cap = ncap;
	return 0;
}

void *
array_push(void *ap, size_t *n, size_t *cap, size_t size)
{
	char *a;

	if (*n == SIZE_MAX || array_reserve(ap, cap, *n + 1, size) != 0)
		return NULL;
	memcpy(&a, ap, sizeof(a));
	a += *n * size;
	memset(a, 0, size);
	(*n)++;
	return a;
}
