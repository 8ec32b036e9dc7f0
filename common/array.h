/* SPDX-License-Identifier: MIT */
/* common/array.h -- one growable array for every module */
#ifndef RGW_COMMON_ARRAY_H
#define RGW_COMMON_ARRAY_H

#include <stddef.h>

/*
 * A growable array is a plain pointer to its first element, with a count and a capacity
 * (both size_t) that its owner keeps beside it (the shape of git's ALLOC_GROW and Knot's
 * dynarray): the elements stay typed and indexed (a[i]), free(a) frees the array, a NULL
 * pointer with capacity 0 is an empty one. The capacity doubles, so n appends cost O(n)
 * copies; the array moves when it grows, so a pointer into it does not survive a growth.
 * On failure the array, its count and its capacity are unchanged. Not thread-safe: the
 * owner serialises.
 */

/* Make room for at least need elements of size bytes in the array whose pointer is at ap
 * (a T **, passed as void *) and whose capacity is *cap. 0, or -ENOMEM when the
 * allocation fails or when need elements would not fit in one object (more than
 * PTRDIFF_MAX bytes: no allocation is attempted then). */
int array_reserve(void *ap, size_t *cap, size_t need, size_t size);

/* Append one zeroed element to the array at ap holding *n elements: the new element
 * (*n is then one more), or NULL on ENOMEM. */
void *array_push(void *ap, size_t *n, size_t *cap, size_t size);

/* The same with the element size taken from the array's type: ARRAY_PUSH(v, n, cap). */
#define ARRAY_RESERVE(a, cap, need) array_reserve(&(a), &(cap), (need), sizeof(*(a)))
#define ARRAY_PUSH(a, n, cap)	    array_push(&(a), &(n), &(cap), sizeof(*(a)))

#endif
