/* SPDX-License-Identifier: MIT */
/* ha_tls.c -- TLS 1.3 on the HA policy channel: GnuTLS sessions driven by ha.c's event loop */

#include <errno.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "common/log.h"
#include "common/util.h"
#include "ha.h"
#include "ha_tls.h"

#define HA_TLS_PRIORITY "NORMAL:-VERS-ALL:+VERS-TLS1.3"
#define HA_TLS_RECORD	16384 /* application bytes handed to one gnutls_record_send */
#define HA_TLS_LABEL	"EXPORTER-rgw-ha1-channel"
#define HA_TLS_WHY	256

struct ha_tls {
	gnutls_certificate_credentials_t cred;
	gnutls_priority_t prio;
	bool ca; /* peer_ca set: the peer's certificate must chain to it */
	size_t n_fp;
	uint8_t fp[CONF_MAX_LIST][32]; /* peer_fingerprint: the peer's certificate is one */
};

struct ha_tls_session {
	struct ha_tls *t;
	gnutls_session_t g;
	size_t pending;	      /* bytes of a gnutls_record_send that returned EAGAIN */
	char why[HA_TLS_WHY]; /* why the peer's certificate was refused */
};

static int verify_peer(gnutls_session_t g);
static int fingerprint_parse(const char *s, uint8_t out[32]);
static void fingerprint_text(const uint8_t fp[32], char out[96]);
static const char *hint(int rc);

/* ---- credentials ---- */

int
ha_tls_new(const struct conf *conf, struct ha_tls **out, char *why, size_t len)
{
	struct ha_tls *t = calloc(1, sizeof(*t));
	gnutls_datum_t der = { NULL, 0 };
	char fp[96];
	uint8_t own[32];
	int rc;

	*out = NULL;
	if (t == NULL) {
		snprintf(why, len, "out of memory");
		return -ENOMEM;
	}
	if (gnutls_certificate_allocate_credentials(&t->cred) < 0 ||
	    gnutls_priority_init(&t->prio, HA_TLS_PRIORITY, NULL) < 0) {
		snprintf(why, len, "GnuTLS cannot set up TLS 1.3");
		rc = -ENOMEM;
		goto fail;
	}
	rc = gnutls_certificate_set_x509_key_file(t->cred, conf->api_tls_cert, conf->api_tls_key,
						  GNUTLS_X509_FMT_PEM);
	if (rc < 0) {
		snprintf(why, len, "api.tls_cert/api.tls_key: %s and %s: %s", conf->api_tls_cert,
			 conf->api_tls_key, gnutls_strerror(rc));
		rc = -EINVAL;
		goto fail;
	}
	if (conf->ha_peer_ca[0] != '\0') {
		rc = gnutls_certificate_set_x509_trust_file(t->cred, conf->ha_peer_ca,
							    GNUTLS_X509_FMT_PEM);
		if (rc <= 0) {
			snprintf(why, len, "ha.peer_ca: %s holds no PEM certificate%s%s",
				 conf->ha_peer_ca, rc < 0 ? ": " : "",
				 rc < 0 ? gnutls_strerror(rc) : "");
			rc = -EINVAL;
			goto fail;
		}
		t->ca = true;
	}
	for (size_t i = 0; i < conf->ha_peer_fingerprint.n; i++) {
		if (fingerprint_parse(conf->ha_peer_fingerprint.v[i], t->fp[t->n_fp++]) < 0) {
			snprintf(why, len, "ha.peer_fingerprint: '%s' is no SHA-256 fingerprint",
				 conf->ha_peer_fingerprint.v[i]);
			rc = -EINVAL;
			goto fail;
		}
	}
	if (!t->ca && t->n_fp == 0) {
		snprintf(why, len, "ha: TLS needs ha.peer_ca or ha.peer_fingerprint");
		rc = -EINVAL;
		goto fail;
	}
	gnutls_certificate_set_verify_function(t->cred, verify_peer);
	/* the fingerprint the peer pins (its peer_fingerprint) */
	if (gnutls_certificate_get_crt_raw(t->cred, 0, 0, &der) == 0) {
		util_sha256(der.data, der.size, own);
		fingerprint_text(own, fp);
		log_info("ha: TLS 1.3 on the policy channel; this node's certificate is SHA-256 %s",
			 fp);
	}
	*out = t;
	return 0;
fail:
	ha_tls_free(t);
	return rc;
}

void
ha_tls_free(struct ha_tls *t)
{
	if (t == NULL)
		return;
	if (t->prio != NULL)
		gnutls_priority_deinit(t->prio);
	if (t->cred != NULL)
		gnutls_certificate_free_credentials(t->cred);
	free(t);
}

/* ---- verifying the peer, inside the handshake ---- */

static int
fingerprint_parse(const char *s, uint8_t out[32])
{
	char hex[65];
	size_t n = 0;

	for (; *s != '\0'; s++) {
		if (*s == ':')
			continue;
		if (n == 64)
			return -EINVAL;
		hex[n++] = *s;
	}
	hex[n] = '\0';
	return n == 64 ? ha_unhex(hex, out, 32) : -EINVAL;
}

static void
fingerprint_text(const uint8_t fp[32], char out[96])
{
	static const char digits[] = "0123456789ABCDEF";

	for (size_t i = 0; i < 32; i++) {
		out[3 * i] = digits[fp[i] >> 4];
		out[3 * i + 1] = digits[fp[i] & 15];
		out[3 * i + 2] = i == 31 ? '\0' : ':';
	}
}

/* A pinned certificate: one of peer_fingerprint, and within its validity. */
static int
check_pinned(struct ha_tls_session *s, const gnutls_datum_t *der)
{
	gnutls_x509_crt_t crt;
	uint8_t fp[32];
	char text[96];
	time_t now = time(NULL);
	bool known = false;
	int rc = -1;

	util_sha256(der->data, der->size, fp);
	for (size_t i = 0; i < s->t->n_fp; i++)
		known = known || util_ct_equal(fp, s->t->fp[i], 32);
	if (!known) {
		fingerprint_text(fp, text);
		snprintf(s->why, sizeof(s->why),
			 "the peer's certificate (SHA-256 %s) is not in ha.peer_fingerprint", text);
		return -1;
	}
	if (gnutls_x509_crt_init(&crt) < 0)
		return -1;
	if (gnutls_x509_crt_import(crt, der, GNUTLS_X509_FMT_DER) < 0)
		snprintf(s->why, sizeof(s->why), "the peer's certificate cannot be read");
	else if (gnutls_x509_crt_get_activation_time(crt) > now)
		snprintf(s->why, sizeof(s->why), "the peer's certificate is not yet valid");
	else if (gnutls_x509_crt_get_expiration_time(crt) < now)
		snprintf(s->why, sizeof(s->why), "the peer's certificate has expired");
	else
		rc = 0;
	gnutls_x509_crt_deinit(crt);
	return rc;
}

/* GnuTLS calls this when the peer's certificate arrived: non-zero fails the handshake (and
 * GnuTLS answers the peer with an alert). */
static int
verify_peer(gnutls_session_t g)
{
	struct ha_tls_session *s = gnutls_session_get_ptr(g);
	const gnutls_datum_t *peers;
	unsigned n = 0, status = 0;

	peers = gnutls_certificate_get_peers(g, &n);
	if (peers == NULL || n == 0) {
		snprintf(s->why, sizeof(s->why), "the peer presented no certificate");
		return -1;
	}
	if (s->t->ca) {
		int rc = gnutls_certificate_verify_peers2(g, &status);

		if (rc < 0 || status != 0) {
			gnutls_datum_t txt = { NULL, 0 };

			if (rc == 0 && gnutls_certificate_verification_status_print(
					       status, GNUTLS_CRT_X509, &txt, 0) == 0)
				snprintf(s->why, sizeof(s->why),
					 "the peer's certificate is refused by ha.peer_ca: %s",
					 (const char *)txt.data);
			else
				snprintf(s->why, sizeof(s->why),
					 "the peer's certificate is refused by ha.peer_ca: %s",
					 gnutls_strerror(rc));
			gnutls_free(txt.data);
			for (size_t l = strlen(s->why); l > 0 && s->why[l - 1] == ' '; l--)
				s->why[l - 1] = '\0';
			return -1;
		}
	}
	if (s->t->n_fp > 0 && check_pinned(s, &peers[0]) < 0)
		return -1;
	return 0;
}

/* ---- sessions ---- */

struct ha_tls_session *
ha_tls_session_new(struct ha_tls *t, int fd, bool client)
{
	struct ha_tls_session *s = calloc(1, sizeof(*s));
	int rc;

	if (s == NULL)
		return NULL;
	s->t = t;
	/* no tickets: every connection is a full handshake with both certificates checked */
	rc = gnutls_init(&s->g, (client ? GNUTLS_CLIENT : GNUTLS_SERVER) | GNUTLS_NONBLOCK |
					GNUTLS_NO_SIGNAL | GNUTLS_NO_TICKETS);
	if (rc < 0) {
		log_warnx("ha: cannot start a TLS session: %s", gnutls_strerror(rc));
		free(s);
		return NULL;
	}
	if ((rc = gnutls_priority_set(s->g, t->prio)) < 0 ||
	    (rc = gnutls_credentials_set(s->g, GNUTLS_CRD_CERTIFICATE, t->cred)) < 0) {
		log_warnx("ha: cannot set up a TLS session: %s", gnutls_strerror(rc));
		gnutls_deinit(s->g);
		free(s);
		return NULL;
	}
	if (!client) {
		gnutls_certificate_server_set_request(s->g, GNUTLS_CERT_REQUIRE);
		/* no list of acceptable CAs: the standby sends its certificate whoever signed
		 * it, and a refusal names the reason here rather than "no certificate" */
		gnutls_certificate_send_x509_rdn_sequence(s->g, 1);
	}
	gnutls_session_set_ptr(s->g, s);
	gnutls_transport_set_int(s->g, fd);
	return s;
}

void
ha_tls_session_free(struct ha_tls_session *s)
{
	if (s == NULL)
		return;
	char scratch[4096];
	int fd = gnutls_transport_get_int(s->g);

	/* best effort: a socket that cannot take it at once does not get it */
	(void)gnutls_bye(s->g, GNUTLS_SHUT_WR);
	/* what the peer sent and we did not read (its handshake flight after a refusal)
	 * would turn our close into a reset, which may reach the peer before our alert */
	for (int i = 0; i < 16 && recv(fd, scratch, sizeof(scratch), MSG_DONTWAIT) > 0; i++)
		;
	gnutls_deinit(s->g);
	free(s);
}

/* What to look at when a handshake fails this way. */
static const char *
hint(int rc)
{
	switch (rc) {
	case GNUTLS_E_UNEXPECTED_PACKET_LENGTH:
	case GNUTLS_E_UNEXPECTED_PACKET:
	case GNUTLS_E_UNSUPPORTED_VERSION_PACKET:
	case GNUTLS_E_PREMATURE_TERMINATION:
		return " (is the peer's channel plain? ha.tls and api.tls_cert must agree on both "
		       "nodes)";
	default:
		return "";
	}
}

/* A fatal error into why: our refusal of the peer's certificate, the peer's alert, or
 * GnuTLS's reason. */
static void
failure(struct ha_tls_session *s, int rc, char *why, size_t len)
{
	if (s->why[0] != '\0')
		snprintf(why, len, "%s", s->why);
	else if (rc == GNUTLS_E_FATAL_ALERT_RECEIVED)
		snprintf(why, len, "the peer refused the TLS session (alert: %s)",
			 gnutls_alert_get_name(gnutls_alert_get(s->g)));
	else
		snprintf(why, len, "TLS: %s%s", gnutls_strerror(rc), hint(rc));
}

int
ha_tls_handshake(struct ha_tls_session *s, char *why, size_t len)
{
	for (;;) {
		int rc = gnutls_handshake(s->g);

		if (rc == 0)
			return 0;
		if (rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED)
			return -EAGAIN;
		if (!gnutls_error_is_fatal(rc))
			continue;
		failure(s, rc, why, len);
		/* tell the peer why, when the socket takes it at once */
		if (rc != GNUTLS_E_FATAL_ALERT_RECEIVED)
			(void)gnutls_alert_send_appropriate(s->g, rc);
		return -EPROTO;
	}
}

bool
ha_tls_wants_write(const struct ha_tls_session *s)
{
	return gnutls_record_get_direction(s->g) == 1;
}

ssize_t
ha_tls_recv(struct ha_tls_session *s, void *buf, size_t len, char *why, size_t wlen)
{
	for (;;) {
		ssize_t r = gnutls_record_recv(s->g, buf, len);

		if (r >= 0)
			return r;
		if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED)
			return -EAGAIN;
		if (!gnutls_error_is_fatal((int)r))
			continue;
		failure(s, (int)r, why, wlen);
		return -EPROTO;
	}
}

ssize_t
ha_tls_send(struct ha_tls_session *s, const void *buf, size_t len, char *why, size_t wlen)
{
	ssize_t w;

	/* after EAGAIN GnuTLS holds the record: NULL, 0 sends it and returns its size */
	if (s->pending > 0)
		w = gnutls_record_send(s->g, NULL, 0);
	else
		w = gnutls_record_send(s->g, buf, len < HA_TLS_RECORD ? len : HA_TLS_RECORD);
	if (w >= 0) {
		s->pending = 0;
		return w;
	}
	if (w == GNUTLS_E_AGAIN || w == GNUTLS_E_INTERRUPTED) {
		if (s->pending == 0)
			s->pending = len < HA_TLS_RECORD ? len : HA_TLS_RECORD;
		return -EAGAIN;
	}
	failure(s, (int)w, why, wlen);
	return -EPROTO;
}

int
ha_tls_binding(struct ha_tls_session *s, uint8_t out[HA_TLS_BINDING_LEN])
{
	int rc = gnutls_prf_rfc5705(s->g, sizeof(HA_TLS_LABEL) - 1, HA_TLS_LABEL, 0, NULL,
				    HA_TLS_BINDING_LEN, (char *)out);

	return rc < 0 ? -EIO : 0;
}
