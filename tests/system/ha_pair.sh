# tests/system/ha_pair.sh -- helpers for the HA tests (sourced; defines functions only).
# Certificates: the nodes of a pair present their API certificate on the policy channel too,
# each verifying the other's against a CA (openssl, EC P-256 keys: quick to make).
#
# ha_ca DIR NAME          a self-signed CA: DIR/NAME.pem, DIR/NAME.key
# ha_cert DIR NAME CA "IP..."  DIR/NAME.pem and DIR/NAME.key signed by DIR/CA, subject CN=NAME,
#                         the addresses as IP SANs (the API's clients check them)
# ha_fingerprint PEM      its SHA-256 fingerprint as [ha] peer_fingerprint takes it
#
# Two bare nodes (the tests and the benchmark of the policy channel alone, without keepalived):
# ha_topology A B C       namespaces A and B (the nodes) joined by a sync link, 10.77.0.1 and
#                         .2/30 on sync0, and C (the operator and the clients) with a
#                         management link to each: A 10.78.1.1, B 10.78.2.1 on m0; the caller
#                         deletes them (ns_del). Non-zero when they cannot be made.
# ha_start NODE           rgwd -c $T/NODE.conf in A (node a) or B (node b), appending to
#                         $T/NODE.out and $T/NODE.log; its pid in PA or PB
# ha_stop NODE            SIGTERM to it, and wait (10 s at most)

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

ha_topology() {
	local l
	ip netns add "$1" && ip netns add "$2" && ip netns add "$3" || return 1
	(
		set -e
		for l in "$1" "$2" "$3"; do ip -n "$l" link set lo up; done
		ip link add sync0 netns "$1" type veth peer name sync0 netns "$2"
		ip link add m0 netns "$1" type veth peer name ma netns "$3"
		ip link add m0 netns "$2" type veth peer name mb netns "$3"
		ip -n "$1" addr add 10.77.0.1/30 dev sync0
		ip -n "$2" addr add 10.77.0.2/30 dev sync0
		ip -n "$1" addr add 10.78.1.1/30 dev m0
		ip -n "$3" addr add 10.78.1.2/30 dev ma
		ip -n "$2" addr add 10.78.2.1/30 dev m0
		ip -n "$3" addr add 10.78.2.2/30 dev mb
		for l in "$1 sync0" "$2 sync0" "$1 m0" "$2 m0" "$3 ma" "$3 mb"; do
			set -- $l
			ip -n "$1" link set dev "$2" up
		done
	)
}

ha_start() {
	ip netns exec "$([ "$1" = a ] && echo "$A" || echo "$B")" "$RGWD" -c "$T/$1.conf" \
		>> "$T/$1.out" 2>> "$T/$1.log" &
	if [ "$1" = a ]; then PA=$!; else PB=$!; fi
}

ha_stop() {
	local p
	if [ "$1" = a ]; then p=$PA PA=""; else p=$PB PB=""; fi
	[ -n "$p" ] || return 0
	kill -TERM "$p" 2> /dev/null
	timeout 10 tail --pid="$p" -f /dev/null
}
