#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# tests/bench/api_refload.py -- write the reference policy of the Sec-ALG paper (Table I):
# 16 hosts, 463 firewall rules, 81 circular-pool/admission entries (77 pool addresses and
# 4 load brackets), as an rgwd policy bundle on stdout.
import ipaddress
import json

hosts = []
rules_left = 463
for h in range(16):
    fqdn = "host%02d.gwa.demo" % h
    n_rules = rules_left // (16 - h)
    rules_left -= n_rules
    fw = []
    for r in range(n_rules):
        fw.append({"direction": "ingress" if r % 2 == 0 else "egress",
                   "protocol": ["tcp", "udp", "icmp"][r % 3],
                   "src": "100.64.%d.%d/32" % (r // 200, r % 200 + 1) if r % 3 != 2 else None,
                   "dport": 1000 + r if r % 3 != 2 else None,
                   "action": ["accept", "drop", "reject"][r % 3],
                   "priority": r, "comment": "rule %d of %s" % (r, fqdn)})
    hosts.append({"fqdn": fqdn, "ipv4": "192.168.0.%d" % (10 + h), "groups": ["postpaid"],
                  "services": [{"fqdn": fqdn},
                               {"fqdn": "www." + fqdn, "proxy_required": True},
                               {"fqdn": "ssh." + fqdn, "protocol": "tcp", "port": 22},
                               {"fqdn": "tcp8000." + fqdn},
                               {"fqdn": "udp5000." + fqdn}],
                  "firewall": fw})
pool = [str(ipaddress.ip_address("100.64.1.131") + i) for i in range(77)]
bundle = {
    "version": 1,
    "zones": [{"name": "gwa.demo", "kind": "forward",
               "nameservers": [{"name": "ns1.gwa.demo", "ipv4": "100.64.1.130"}]}],
    "service_addresses": ["100.64.1.130"],
    "pool": pool,
    "groups": [{"name": "postpaid", "comment": "", "firewall": []}],
    "hosts": hosts,
    "alg_routes": [{"hostname": "www.host%02d.gwa.demo" % h, "port": 443,
                    "backend": "192.168.0.%d:443" % (10 + h)} for h in range(16)],
    "admission": {"dns_tcp": True, "dns_cname": True, "dns_cookies": True,
                  "load_brackets": [
                      {"load_min": 0, "load_max": 33, "fqdn_new": 0.2, "sfqdn_new": 0.15,
                       "sfqdn_reuse": 0.05, "math": "max"},
                      {"load_min": 33, "load_max": 66, "fqdn_new": 0.4, "sfqdn_new": 0.3,
                       "sfqdn_reuse": 0.1, "math": "max"},
                      {"load_min": 66, "load_max": 90, "fqdn_new": 0.6, "sfqdn_new": 0.5,
                       "sfqdn_reuse": 0.3, "math": "max"},
                      {"load_min": 90, "load_max": 100, "fqdn_new": 0.9, "sfqdn_new": 0.8,
                       "sfqdn_reuse": 0.6, "math": "max"}]},
}
print(json.dumps(bundle, indent=1))
