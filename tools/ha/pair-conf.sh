# shellcheck shell=bash
# SPDX-License-Identifier: MIT
# tools/ha/pair-conf.sh -- keepalived.conf and conntrackd.conf for one node of an rgwd pair,
# rendered from the examples (docs/examples/ha/) with that node's addresses and paths. Sourced
# (defines two functions, runs nothing) by the HA system tests and the testbed's --ha mode, so
# that both run the configuration the package ships, changed only where a pair's addresses
# and paths must differ.
#
# ha_keepalived_conf EXAMPLE ROUTER_ID PRIORITY WAN_SRC WAN_PEER "WAN_VIPS" LAN_SRC LAN_PEER
#                    "LAN_VIPS" TOOLS NOTIFY_CONF [ADVERT_INT]
#   prints EXAMPLE with router_id, the instances' priority, unicast source and peer, and
#   virtual addresses (space-separated ADDR/LEN, each on the instance's interface) replaced;
#   rgw-ha-check and rgw-ha-notify taken from the directory TOOLS with the configuration
#   NOTIFY_CONF; advert_int replaced when ADVERT_INT is given.
# ha_conntrackd_conf EXAMPLE SYNC_SRC SYNC_DST STEM "IGNORE"
#   prints EXAMPLE sending from SYNC_SRC to SYNC_DST, its lock file, control socket and log
#   at STEM.lock, STEM.ctl and STEM.log, and the nodes' own addresses IGNORE (space-separated,
#   127.0.0.1 is added) left out of the replication.

ha_keepalived_conf() {
	awk -v rid="$2" -v prio="$3" -v wsrc="$4" -v wpeer="$5" -v wvips="$6" -v lsrc="$7" \
		-v lpeer="$8" -v lvips="$9" -v tools="${10}" -v nconf="${11}" -v adv="${12:-}" '
	function list(s, suffix,    a, n, i) {
		n = split(s, a, " ")
		for (i = 1; i <= n; i++)
			print "\t\t" a[i] suffix
	}
	/^\trouter_id / { print "\trouter_id " rid; next }
	/^vrrp_instance / { inst = $2 }
	/^\tinterface / { ifn = $2 }
	/^\tpriority / && inst != "" { print "\tpriority " prio; next }
	/^\tadvert_int / && adv != "" { print "\tadvert_int " adv; next }
	/^\tunicast_src_ip / { print "\tunicast_src_ip " (inst == "WAN" ? wsrc : lsrc); next }
	/^\tunicast_peer \{/ { print; list(inst == "WAN" ? wpeer : lpeer, ""); skip = 1; next }
	/^\tvirtual_ipaddress \{/ {
		print; list(inst == "WAN" ? wvips : lvips, " dev " ifn); skip = 1; next
	}
	skip && /^\t\}/ { skip = 0 }
	skip { next }
	{
		gsub("/usr/sbin/rgw-ha-", tools "/rgw-ha-")
		gsub("/etc/rgw/ha-notify.conf", nconf)
		print
	}' "$1"
}

ha_conntrackd_conf() {
	awk -v src="$2" -v dst="$3" -v stem="$4" -v ign="127.0.0.1 $5" '
	/^\tUDP \{/ { udp = 1 }
	udp && /^\t\}/ { udp = 0 }
	udp && /^\t\tIPv4_address / { print "\t\tIPv4_address " src; next }
	udp && /^\t\tIPv4_Destination_Address / { print "\t\tIPv4_Destination_Address " dst; next }
	/^\tLockFile / { print "\tLockFile " stem ".lock"; next }
	/^\t\tPath / { print "\t\tPath " stem ".ctl"; next }
	/^\tSyslog on/ { print "\tLogFile " stem ".log"; next }
	/^\t\tAddress Ignore \{/ {
		print
		n = split(ign, a, " ")
		for (i = 1; i <= n; i++)
			print "\t\t\tIPv4_address " a[i]
		skip = 1
		next
	}
	skip && /^\t\t\}/ { skip = 0 }
	skip { next }
	{ print }' "$1"
}
