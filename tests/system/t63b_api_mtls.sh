#!/usr/bin/env bash
# t63b_api_mtls -- client certificates for the API instead of bearer tokens, on loopback with
# real curl, rgwctl and openssl-made CAs, certificates and CRLs: a certificate the configured
# CA signed acts as the API token its subject CN (or a SAN) names, with that token's tenant
# (its rows 200, the ISP's 404) and role; a certificate of another CA, one naming no token and
# one revoked by the CRL (read again on SIGHUP) are refused; a token without a certificate
# still works; rgwctl presents a certificate.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/api_lib.sh"

ossl() { openssl "$@" > /dev/null 2>&1; }
# everything below is made in $T
make_pki() {
# a CA that openssl ca can revoke with
mkdir -p ca/new && : > ca/index.txt && echo 1000 > ca/serial && echo 1000 > ca/crlnumber
cat > ca.cnf <<'CNF'
[ca]
default_ca = rgw
[rgw]
dir = ca
database = ca/index.txt
new_certs_dir = ca/new
serial = ca/serial
crlnumber = ca/crlnumber
certificate = ca.pem
private_key = ca.key
default_md = sha256
default_days = 1
default_crl_days = 1
policy = any
[any]
commonName = supplied
CNF
ossl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ca.key -out ca.pem -days 1 -subj "/CN=test client CA"
ossl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout evil.key -out evil.pem -days 1 -subj "/CN=evil CA"
ossl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout srv.key -out srv.pem -days 1 -subj "/CN=localhost" \
	-addext "subjectAltName=IP:127.0.0.1"
client() { # client NAME CN [SAN]: NAME.pem and NAME.key signed by the CA
	printf '%s\n' "${3:+subjectAltName=$3}" > "$1.ext"
	ossl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$1.key" -out "$1.csr" -subj "/CN=$2" &&
		ossl ca -batch -config ca.cnf -in "$1.csr" -out "$1.pem" -notext -extfile "$1.ext"
}
client bank bank-ops
client bank2 "bank machine 2" "DNS:bank-ops"
client ops ops
client nobody nobody-at-all
ossl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout forged.key -out forged.csr -subj "/CN=bank-ops"
ossl x509 -req -in forged.csr -CA evil.pem -CAkey evil.key -CAcreateserial -out forged.pem -days 1
ossl ca -gencrl -config ca.cnf -out crl.pem
}
(cd "$T" && make_pki)
cd_T() { (cd "$T" && "$@"); }
check "a CA, four client certificates, a forged one and an empty CRL" \
	cd_T test -s bank.pem -a -s bank2.pem -a -s ops.pem -a -s nobody.pem -a -s forged.pem -a -s crl.pem

api_start "tls_cert = $T/srv.pem
tls_key = $T/srv.key
tls_client_ca = $T/ca.pem
tls_client_crl = $T/crl.pem"
check "HTTPS with client certificates: daemon ready" kill -0 "$PID"
URL="https://127.0.0.1:$PORT"
BANK=$("$RGWD" -c "$T/rgw.conf" --new-token bank-ops --role rw 2> /dev/null)
api PUT /api/v1/bundle '{"version": 1,
 "zones": [{"name": "gwa.demo", "kind": "forward", "ttl": 60,
   "soa": {"mname": "ns1.gwa.demo", "rname": "hostmaster.gwa.demo", "serial": 1,
           "refresh": 3600, "retry": 600, "expire": 86400, "minimum": 60},
   "nameservers": [{"name": "ns1.gwa.demo", "ipv4": "127.0.0.1"}]}],
 "service_addresses": ["127.0.0.1"],
 "hosts": [{"fqdn": "isp.gwa.demo", "ipv4": "127.0.0.3"},
           {"fqdn": "web.bank.gwa.demo", "ipv4": "127.0.1.1"}]}' --cacert "$T/srv.pem"
expect 200 "the operator's token puts the policy in force"
api PUT /api/v1/tenants/bank '{"domains": ["bank.gwa.demo"], "tokens": ["bank-ops"],
 "realm": ["127.0.1.0/24"]}' --cacert "$T/srv.pem"
expect 201 "the bank is a tenant acting through token bank-ops"

# cget NAME METHOD PATH [BODY]: the request with NAME's certificate and no token
cget() {
	local b=${4:-}
	CODE=$(curl -s -o "$T/body" -w '%{http_code}' --cacert "$T/srv.pem" --cert "$T/$1.pem" \
		--key "$T/$1.key" -X "$2" ${b:+-H 'Content-Type: application/json' --data-binary "$b"} \
		"$URL$3")
	BODY=$(cat "$T/body")
}
cget bank GET /api/v1/hosts/web.bank.gwa.demo
expect 200 "the bank's certificate (CN bank-ops) reads the bank's host"
cget bank GET /api/v1/hosts/isp.gwa.demo
expect 404 "... and not the ISP's (404)"
cget bank GET /api/v1/hosts
jqtest '[.items[].fqdn] == ["web.bank.gwa.demo"]' "... and lists only its own"
cget bank POST /api/v1/hosts '{"fqdn": "api.bank.gwa.demo", "ipv4": "127.0.1.2"}'
expect 201 "... writes with its token's role"
cget bank POST /api/v1/hosts '{"fqdn": "api.isp.gwa.demo", "ipv4": "127.0.1.3"}'
expect 403 "... and is held to the tenant's domains (403)"
cget bank2 GET /api/v1/hosts/web.bank.gwa.demo
expect 200 "a certificate naming the token in a DNS SAN works too"
cget ops GET /api/v1/hosts/isp.gwa.demo
expect 200 "the operator's certificate (CN ops) reads the ISP's host"
api GET '/api/v1/audit?limit=1' "" --cacert "$T/srv.pem"
jqtest '.items[0].actor == "bank-ops" and .items[0].tenant == "bank"' \
	"the certificate's write is audited as its token, for its tenant"

cget forged GET /api/v1/hosts/web.bank.gwa.demo
expect 401 "a certificate of another CA is refused (401)"
jqtest '.message | test("refused")' "... with the reason"
cget nobody GET /api/v1/hosts
expect 401 "a certificate naming no token is refused (401)"
CODE=$(curl -s -o "$T/body" -w '%{http_code}' --cacert "$T/srv.pem" "$URL/api/v1/hosts")
check "no certificate and no token: 401 ($CODE)" test "$CODE" = 401
api GET /api/v1/hosts/isp.gwa.demo "" --cacert "$T/srv.pem"
expect 200 "a token without a certificate still works"
AUTH=$BANK api GET /api/v1/hosts/isp.gwa.demo "" --cacert "$T/srv.pem"
expect 404 "... the bank's token too, as its tenant"

out=$("$RGWCTL" --url "$URL" --cacert "$T/srv.pem" --cert "$T/bank.pem" --key "$T/bank.key" host list 2>&1)
check "rgwctl with the bank's certificate and no token lists the bank's hosts" \
	bash -c 'grep -q web.bank.gwa.demo <<<"$1" && ! grep -q isp.gwa.demo <<<"$1"' _ "$out"

# revoked: the new CRL is read on SIGHUP
cd_T ossl ca -config ca.cnf -revoke bank.pem
cd_T ossl ca -gencrl -config ca.cnf -out crl.pem.new && mv "$T/crl.pem.new" "$T/crl.pem"
kill -HUP "$PID"
refused() { cget bank GET /api/v1/hosts/web.bank.gwa.demo; [ "$CODE" = 401 ]; }
check "after SIGHUP with the new CRL the revoked certificate is refused (401)" poll 10 refused
jqtest '.message | test("revoked")' "... as revoked"
cget bank2 GET /api/v1/hosts/web.bank.gwa.demo
expect 200 "the bank's other certificate still works"
"$RGWCTL" --url "$URL" --cacert "$T/srv.pem" --cert "$T/bank.pem" --key "$T/bank.key" host list > /dev/null 2>&1
check "rgwctl with the revoked certificate fails" test $? != 0

# a CRL the CA did not sign refuses the reload, the one in force stays
cd_T ossl ca -gencrl -config ca.cnf -keyfile evil.key -cert evil.pem -out crl.pem
kill -HUP "$PID"
check "a CRL another CA signed fails the reload, saying why" \
	wait_for 'tls_client_crl.*no PEM CRL signed by the CA' "$T/rgwd.log" 10
cget bank GET /api/v1/hosts/web.bank.gwa.demo
expect 401 "... and the revoked certificate stays refused"
check "daemon alive" kill -0 "$PID"
api_stop
check "stops cleanly" test "$RC" = 0
"$RGWD" -c "$T/rgw.conf" --check-config > /dev/null 2> "$T/check.err"
check "--check-config refuses the CRL another CA signed" test $? != 0
check "... saying why" grep -q 'tls_client_crl.*no PEM CRL signed by the CA' "$T/check.err"
summary
