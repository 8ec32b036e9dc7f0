/* SPDX-License-Identifier: MIT */
/* api/mtls.c -- client certificates for the API: a CA and a CRL, a certificate to a token name */
#include <errno.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/log.h"
#include "../common/util.h"
#include "internal.h"
#include "mtls.h"

#define MTLS_CHAIN_MAX 8 /* certificates of one client's chain looked at */
#define MTLS_SAN_MAX   32

static int trust_add(gnutls_x509_trust_list_t tl, const char *ca, const char *crl,
		     const struct conf *conf, char *why, size_t len);

int
api_mtls_load(const struct conf *conf, char **ca_pem, struct api_mtls **out, char *why, size_t len)
{
	gnutls_x509_trust_list_t tl = NULL;
	char *crl = NULL;
	int rc;

	*ca_pem = NULL;
	*out = NULL;
	if (!conf->api_tls_client_ca[0])
		return 0;
	*ca_pem = api_read_file(conf->api_tls_client_ca);
	if (*ca_pem == NULL) {
		snprintf(why, len, "api.tls_client_ca: cannot read %s: %s", conf->api_tls_client_ca,
			 strerror(errno));
		return -EINVAL;
	}
	if (conf->api_tls_client_crl[0] &&
	    (crl = api_read_file(conf->api_tls_client_crl)) == NULL) {
		snprintf(why, len, "api.tls_client_crl: cannot read %s: %s",
			 conf->api_tls_client_crl, strerror(errno));
		rc = -EINVAL;
		goto fail;
	}
	if (gnutls_x509_trust_list_init(&tl, 0) < 0) {
		snprintf(why, len, "out of memory");
		rc = -ENOMEM;
		goto fail;
	}
	rc = trust_add(tl, *ca_pem, crl, conf, why, len);
	if (rc < 0)
		goto fail;
	free(crl);
	*out = (struct api_mtls *)tl;
	return 0;
fail:
	if (tl != NULL)
		gnutls_x509_trust_list_deinit(tl, 1);
	free(crl);
	FREE_AND_NULL(*ca_pem);
	return rc;
}

/* The CA certificates, then the CRL (its signature checked against them). */
static int
trust_add(gnutls_x509_trust_list_t tl, const char *ca, const char *crl, const struct conf *conf,
	  char *why, size_t len)
{
	gnutls_datum_t d = { (unsigned char *)(uintptr_t)ca, (unsigned)strlen(ca) };
	gnutls_datum_t c = { (unsigned char *)(uintptr_t)crl, crl ? (unsigned)strlen(crl) : 0 };
	int n = gnutls_x509_trust_list_add_trust_mem(tl, &d, NULL, GNUTLS_X509_FMT_PEM, 0, 0);

	if (n <= 0) {
		snprintf(why, len, "api.tls_client_ca: %s holds no PEM certificate%s%s",
			 conf->api_tls_client_ca, n < 0 ? ": " : "",
			 n < 0 ? gnutls_strerror(n) : "");
		return -EINVAL;
	}
	if (crl == NULL)
		return 0;
	n = gnutls_x509_trust_list_add_trust_mem(
		tl, NULL, &c, GNUTLS_X509_FMT_PEM,
		GNUTLS_TL_VERIFY_CRL | GNUTLS_TL_FAIL_ON_INVALID_CRL, 0);
	if (n <= 0) {
		snprintf(why, len, "api.tls_client_crl: %s is no PEM CRL signed by the CA%s%s",
			 conf->api_tls_client_crl, n < 0 ? ": " : "",
			 n < 0 ? gnutls_strerror(n) : "");
		return -EINVAL;
	}
	return 0;
}

void
api_mtls_free(struct api_mtls *m)
{
	if (m != NULL)
		gnutls_x509_trust_list_deinit((gnutls_x509_trust_list_t)m, 1);
}

/* The first of the certificate's subject CN and its SANs that names an API token. */
static int
token_of(struct api *api, gnutls_x509_crt_t crt, char *name, size_t len, enum pol_role *role)
{
	char buf[256];
	size_t sz = sizeof(buf);
	int last = -ENOENT;

	if (gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, 0, buf, &sz) == 0 &&
	    sz < len) {
		last = pol_token_named(api->st, buf, role);
		if (last == 0 || last == -EKEYEXPIRED) {
			util_strlcpy(name, buf, len);
			return last;
		}
	}
	for (unsigned i = 0; i < MTLS_SAN_MAX; i++) {
		int rc, type;

		sz = sizeof(buf) - 1;
		type = gnutls_x509_crt_get_subject_alt_name(crt, i, buf, &sz, NULL);
		if (type == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			break;
		if (type != GNUTLS_SAN_DNSNAME && type != GNUTLS_SAN_RFC822NAME &&
		    type != GNUTLS_SAN_URI)
			continue;
		buf[sz] = '\0';
		if (strlen(buf) != sz || sz >= len)
			continue;
		rc = pol_token_named(api->st, buf, role);
		if (rc == 0 || rc == -EKEYEXPIRED) {
			util_strlcpy(name, buf, len);
			return rc;
		}
	}
	return last == -EIO ? -EIO : -ENOENT;
}

int
api_mtls_identity(struct api *api, struct MHD_Connection *c, char *name, size_t len,
		  enum pol_role *role, char *why, size_t wlen)
{
	const union MHD_ConnectionInfo *ci;
	gnutls_x509_trust_list_t tl = (gnutls_x509_trust_list_t)api->mtls;
	gnutls_x509_crt_t chain[MTLS_CHAIN_MAX];
	const gnutls_datum_t *peers;
	unsigned n = 0, got = 0, status = 0;
	int rc = -EACCES;

	if (tl == NULL || c == NULL)
		return -ENOENT;
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	if (ci == NULL || ci->tls_session == NULL)
		return -ENOENT;
	peers = gnutls_certificate_get_peers((gnutls_session_t)ci->tls_session, &n);
	if (peers == NULL || n == 0)
		return -ENOENT;
	if (n > MTLS_CHAIN_MAX)
		n = MTLS_CHAIN_MAX;
	for (; got < n; got++) {
		if (gnutls_x509_crt_init(&chain[got]) < 0)
			break;
		if (gnutls_x509_crt_import(chain[got], &peers[got], GNUTLS_X509_FMT_DER) < 0) {
			gnutls_x509_crt_deinit(chain[got]);
			break;
		}
	}
	if (got < n) {
		snprintf(why, wlen, "the client certificate cannot be read");
		goto out;
	}
	if (gnutls_x509_trust_list_verify_crt(tl, chain, n, 0, &status, NULL) < 0 || status != 0) {
		gnutls_datum_t txt = { NULL, 0 };

		if (gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &txt,
								 0) == 0 &&
		    txt.data != NULL)
			snprintf(why, wlen, "client certificate refused: %s", (char *)txt.data);
		else
			snprintf(why, wlen, "client certificate refused");
		gnutls_free(txt.data);
		goto out;
	}
	rc = token_of(api, chain[0], name, len, role);
	if (rc == -ENOENT)
		snprintf(why, wlen,
			 "the client certificate names no API token (subject CN or SAN)");
	else if (rc == -EKEYEXPIRED)
		snprintf(why, wlen, "token '%s' of the client certificate has expired", name);
	else if (rc < 0)
		snprintf(why, wlen, "cannot read the API tokens");
	if (rc == -ENOENT)
		rc = -EACCES;
out:
	for (unsigned i = 0; i < got; i++)
		gnutls_x509_crt_deinit(chain[i]);
	return rc;
}
