#!/usr/bin/env bash
# t17_firstboot -- the gateway image's first-boot script (tools/image/rgw-firstboot) run on a
# staging root (RGW_FIRSTBOOT_ROOT): the example file gives an IPv4-only gateway; a file with
# the IPv6 keys gives IPv6 addresses on the WAN and the LAN (link-local on for neighbour
# discovery), DNS listeners in both families, and a seed policy with an IPv6 service
# address, an IPv6 pool and IPv6 hosts that the real rgwd imports and exports back. No root
# or network needed (the boot itself: tests/pkg/image-test).
. "$(dirname "$0")/lib.sh"
FB="$TOP/tools/image/rgw-firstboot"

cat > "$T/import.conf" <<CONF
[daemon]
database = $T/rgw.db
[dns]
enable = no
[nat]
enable = no
[alg]
enable = no
[api]
enable = no
CONF
rgwd() { timeout 60 "$RGWD" -c "$T/import.conf" "$@"; }
# --check-config opens what the file names (the database's directory, the seed bundle), as
# the daemon would on the gateway: check a copy whose absolute paths point into the staging
# root ($1)
check_conf() {
	sed "s#^\(database\|bundle_seed\) = /#\1 = $1/#" "$1/etc/rgw/rgw.conf" > "$T/staged.conf" &&
		"$RGWD" -c "$T/staged.conf" --check-config
}

# the example file: IPv4 only
R4=$T/root4
check "the example first-boot file is applied" \
	env RGW_FIRSTBOOT_ROOT="$R4" sh "$FB" "$TOP/tools/image/firstboot.conf.example"
check "IPv4 only: no IPv6 address, no link-local addressing" bash -c \
	"! grep -q ':' '$R4/etc/systemd/network/10-rgw-wan.network' &&
	 grep -qx 'LinkLocalAddressing=no' '$R4/etc/systemd/network/20-rgw-lan.network'"
check "IPv4 only: no IPv6 LAN prefix" grep -qx 'lan_prefixes6 = ' "$R4/etc/rgw/rgw.conf"
check "the rgw.conf it writes passes --check-config" check_conf "$R4"
check "rgwd imports its seed bundle" rgwd --import "$R4/etc/rgw/firstboot-bundle.json"
check "the done mark is written" test -e "$R4/var/lib/rgw/firstboot.done"

# a dual-stack site
R6=$T/root6
sed -e '/^WAN_ADDRESS=/a WAN_ADDRESS6=2001:db8:100::2/64\nWAN_GATEWAY6=2001:db8:100::1' \
	-e '/^POOL=/a SERVICE_ADDRESS6=2001:db8:101::1\nPOOL6=2001:db8:101::10-2001:db8:101::1f' \
	-e '/^LAN_ADDRESS=/a LAN_ADDRESS6=fd00:50::1/64,2001:db8:150::1/64' \
	-e 's/^HOST=web .*/HOST=web 192.168.50.100 fd00:50::100\nHOST=v6only 2001:db8:102::100/' \
	"$TOP/tools/image/firstboot.conf.example" > "$T/fb6.conf"
check "a first-boot file with IPv6 is applied" \
	env RGW_FIRSTBOOT_ROOT="$R6" sh "$FB" "$T/fb6.conf"
W=$R6/etc/systemd/network/10-rgw-wan.network
L=$R6/etc/systemd/network/20-rgw-lan.network
check "WAN: the IPv6 address, gateway and service address" bash -c \
	"grep -qx 'Address=2001:db8:100::2/64' '$W' && grep -qx 'Gateway=2001:db8:100::1' '$W' &&
	 grep -qx 'Address=2001:db8:101::1/128' '$W'"
check "LAN: both IPv6 addresses (unique local and global)" bash -c \
	"grep -qx 'Address=fd00:50::1/64' '$L' && grep -qx 'Address=2001:db8:150::1/64' '$L'"
check "link-local addressing on both (neighbour discovery)" bash -c \
	"grep -qx 'LinkLocalAddressing=ipv6' '$W' && grep -qx 'LinkLocalAddressing=ipv6' '$L'"
check "DNS listens on the IPv6 service and LAN addresses" bash -c \
	"grep -qx 'wan = 198.51.100.2, \[2001:db8:101::1\]:53' '$R6/etc/rgw/rgw.conf' &&
	 grep -qx 'lan = 192.168.50.1, \[fd00:50::1\]:53, \[2001:db8:150::1\]:53' '$R6/etc/rgw/rgw.conf'"
check "the LAN's IPv6 networks (host bits cleared) guard the LAN's sources" \
	grep -qx 'lan_prefixes6 = fd00:50::/64, 2001:db8:150::/64' "$R6/etc/rgw/rgw.conf"
check "the rgw.conf passes --check-config" check_conf "$R6"
rm -f "$T/rgw.db"*
check "rgwd imports the dual-stack seed bundle" rgwd --import "$R6/etc/rgw/firstboot-bundle.json"
rgwd --export > "$T/export.json" 2>/dev/null
check "exported: both service addresses" test \
	"$(jq -c '.service_addresses' "$T/export.json")" = '["198.51.100.2","2001:db8:101::1"]'
check "exported: the IPv6 pool beside the IPv4 one" bash -c \
	"jq -r '.pool[]' '$T/export.json' | grep -qx '2001:db8:101::10-2001:db8:101::1f'"
check "exported: a dual-stack host and an IPv6-only host" bash -c \
	"[ \"\$(jq -r '.hosts[] | select(.fqdn == \"web.gw.example\") | .ipv6' '$T/export.json')\" = fd00:50::100 ] &&
	 [ \"\$(jq -r '.hosts[] | select(.fqdn == \"v6only.gw.example\") | .ipv4' '$T/export.json')\" = null ]"
check "the IPv6-only host's ALG route has an IPv6 backend" bash -c \
	"jq -r '.alg_routes[].backend' '$T/export.json' | grep -qx '\[2001:db8:102::100\]:443'"
check "glue for the name server in both families" test \
	"$(jq -r '.zones[0].nameservers[0].ipv6' "$T/export.json")" = 2001:db8:101::1

# POOL6 without an IPv6 WAN is refused, nothing written
printf 'WAN_ADDRESS=198.51.100.2/24\nPOOL=203.0.113.1\nZONE=gw.example\nLAN_ADDRESS=192.168.50.1/24\nPOOL6=2001:db8:101::10\n' \
	> "$T/bad.conf"
check "POOL6 without WAN_ADDRESS6 is refused" bash -c \
	"! RGW_FIRSTBOOT_ROOT='$T/rootbad' sh '$FB' '$T/bad.conf' >/dev/null 2>&1 && [ ! -e '$T/rootbad/etc/rgw/rgw.conf' ]"
summary
