# tests/system/ha_pki.sh -- certificates for the HA tests (sourced): the nodes of a pair present
# their API certificate on the policy channel too, each verifying the other's against a CA.
# Defines functions only (openssl, EC P-256 keys: quick to make).
#
# ha_ca DIR NAME          a self-signed CA: DIR/NAME.pem, DIR/NAME.key
# ha_cert DIR NAME CA "IP..."  DIR/NAME.pem and DIR/NAME.key signed by DIR/CA, subject CN=NAME,
#                         the addresses as IP SANs (the API's clients check them)
# ha_fingerprint PEM      its SHA-256 fingerprint as [ha] peer_fingerprint takes it

ha_ca() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
		-subj "/CN=$2" -keyout "$1/$2.key" -out "$1/$2.pem" > /dev/null 2>&1
}

ha_cert() {
	local san
	san=$(printf 'IP:%s,' $4)
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=$2" \
		-keyout "$1/$2.key" -out "$1/$2.csr" > /dev/null 2>&1 &&
		openssl x509 -req -in "$1/$2.csr" -CA "$1/$3.pem" -CAkey "$1/$3.key" \
			-CAcreateserial -days 2 -out "$1/$2.pem" \
			-extfile <(printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\n' "${san%,}") \
			> /dev/null 2>&1 &&
		chmod 600 "$1/$2.key"
}

ha_fingerprint() {
	openssl x509 -in "$1" -noout -fingerprint -sha256 | sed 's/^.*=//'
}
