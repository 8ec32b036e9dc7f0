/* SPDX-License-Identifier: MIT */
/* api/router.h -- method + path -> route matching over a static route table (pure) */
#ifndef RGW_API_ROUTER_H
#define RGW_API_ROUTER_H

#include <stdbool.h>
#include <stddef.h>

struct api_req;
struct api_entity;

typedef void (*api_handler_fn)(struct api_req *r);

enum {
	API_R_PUBLIC = 1 << 0, /* no token needed */
	API_R_WRITE = 1 << 1,  /* needs the rw role; body is JSON */
	API_R_NOBODY = 1 << 2, /* write without a body (DELETE) */
	API_R_COMMIT = 1 << 3, /* a policy write: runs on the commit thread (views->offload) */
};

/*
 * One route. pattern segments are literals or "{name}" parameters; a last segment
 * "{name+}" takes the rest of the path, slashes included (reputation keys are prefixes).
 */
struct api_route {
	const char *method;
	const char *pattern;
	api_handler_fn fn;
	const struct api_entity *ent;	 /* entity served, or NULL */
	const struct api_entity *parent; /* entity of the first parameter, or NULL */
	unsigned flags;
	const char *summary; /* one line, for logs and rgwctl --help */
};

#define API_MAX_PARAMS 4
#define API_PARAM_MAX  256

enum api_route_result {
	API_ROUTE_OK = 0,
	API_ROUTE_NOT_FOUND,
	API_ROUTE_BAD_METHOD, /* the path exists; allow holds its methods */
	API_ROUTE_INVALID,    /* the path is not acceptable (too long, bad segment) */
};

struct api_match {
	const struct api_route *route;
	size_t n_params;
	char params[API_MAX_PARAMS][API_PARAM_MAX];
};

/*
 * Match method and path (already %-decoded, without the query string) against table[0..n).
 * HEAD matches GET routes. One trailing '/' is ignored. Segments "." and "..", empty
 * segments and parameters longer than API_PARAM_MAX - 1 never match (API_ROUTE_INVALID).
 * On API_ROUTE_BAD_METHOD, allow (if not NULL) receives "GET, PUT, ..." (allow_len bytes).
 */
enum api_route_result api_route_match(const struct api_route *table, size_t n, const char *method,
				      const char *path, struct api_match *m, char *allow,
				      size_t allow_len);

/* The daemon's route table (api/routes.c). */
extern const struct api_route api_routes[];
extern const size_t api_n_routes;

#endif
