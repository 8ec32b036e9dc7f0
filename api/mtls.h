/* SPDX-License-Identifier: MIT */
/* api/mtls.h -- client certificates for the API: a CA and a CRL, a certificate to a token name */
#ifndef RGW_API_MTLS_H
#define RGW_API_MTLS_H

#include <stddef.h>

#include "../common/conf.h"
#include "../policy/policy.h"

/*
 * With [api] tls_client_ca set (HTTPS only), a client may present a certificate instead of a
 * bearer token. It is accepted when it chains to one of the CA file's certificates, is
 * within its validity and is not revoked by the CRL file ([api] tls_client_crl, if set);
 * its subject CN, or else the first of its SANs (DNS, e-mail, URI) that does, names an API
 * token: the request acts as that token (its role, its tenant, its expiry; revoking the
 * token revokes the certificate's access too). GnuTLS verifies (libmicrohttpd only asks for
 * the certificate). The files are read at start and on every reload (SIGHUP).
 */
struct api_mtls;
struct api;
struct MHD_Connection;

/* Read conf's CA (its PEM text into *ca_pem, for libmicrohttpd's certificate request) and
 * CRL into a new trust list *out. Not configured: 0 with both NULL. 0, or -errno with the
 * reason in why. */
int api_mtls_load(const struct conf *conf, char **ca_pem, struct api_mtls **out, char *why,
		  size_t len);
void api_mtls_free(struct api_mtls *m);

/*
 * The identity of the client certificate on c, verified against api->mtls: 0 with the token
 * name and its role; -ENOENT when no certificate was presented (or none is configured);
 * -EACCES (untrusted, revoked, expired, naming no token), -EKEYEXPIRED (its token expired)
 * or -EIO, with the reason in why.
 */
int api_mtls_identity(struct api *api, struct MHD_Connection *c, char *name, size_t len,
		      enum pol_role *role, char *why, size_t wlen);

#endif
