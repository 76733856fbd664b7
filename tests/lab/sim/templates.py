"""Built-in config templates, the fallback when tests/fixtures/configs/<short>.cfg is missing.

Placeholders are the fixture ones: {{hostname}}, {{now}}, {{now_iso}}, {{clock_period}},
{{bytes}}. Nothing here may match the Ansible terminal_stderr_re of its platform (no
"error:", "not found", "invalid input"), because network_cli on libssh scans the whole
response with them; and no line may end in a prompt character (``#``, ``>``, ``%``).
"""

from __future__ import annotations

IOS_CONFIG = """\
Building configuration...

Current configuration : {{bytes}} bytes
!
! Last configuration change at {{now}} by admin
! NVRAM config last updated at {{now}} by admin
!
version 15.9
service timestamps debug datetime msec
service timestamps log datetime msec
service password-encryption
!
hostname {{hostname}}
!
boot-start-marker
boot-end-marker
!
logging buffered 64000 informational
enable secret 9 $9$nhEmQVczB7dqsO$X.HsgL6x1il0RxkOSSvyQYwucySCt7qFm4v7pqCxkKM
!
username admin privilege 15 secret 9 $9$4Ha9MzDNjNJkP.$Sd6g1VsE5d8aRTwCsIMBVRHYEVl2FZAFr8tUM
aaa new-model
aaa authentication login default local
aaa authorization exec default local
!
clock timezone UTC 0 0
ip domain name lab.example.net
ip name-server 192.0.2.53
!
spanning-tree mode rapid-pvst
!
interface Loopback0
 ip address 10.255.0.1 255.255.255.255
!
interface GigabitEthernet0/0
 description uplink to core-01
 ip address 192.0.2.10 255.255.255.0
 negotiation auto
!
interface GigabitEthernet0/1
 description users
 switchport access vlan 100
 switchport mode access
!
router ospf 1
 router-id 10.255.0.1
 network 10.255.0.1 0.0.0.0 area 0
!
ip route 0.0.0.0 0.0.0.0 192.0.2.1
ip ssh version 2
!
snmp-server community s3cr3tRO RO
snmp-server location lab rack 1
tacacs server tac1
 address ipv4 192.0.2.49
 key 7 0822455D0A16
!
line con 0
 logging synchronous
line vty 0 4
 transport input ssh
!
ntp clock-period {{clock_period}}
ntp server 192.0.2.123
!
end
"""

NXOS_CONFIG = """\
!Command: show running-config
!Running configuration last done at: {{now}}
!Time: {{now}}

version 9.3(8) Bios:version 05.45
hostname {{hostname}}
vdc {{hostname}} id 1
  limit-resource vlan minimum 16 maximum 4094
  limit-resource vrf minimum 2 maximum 4096

feature ssh
feature interface-vlan
feature lacp

username admin password 5 $5$KkPfMcMd$d2LZgA2.cGl0Jr8Ww6cDmhpaJ71OvXBsE0rwNo9d5A6  role network-admin
ip domain-lookup
snmp-server community s3cr3tRO group network-operator
ntp server 192.0.2.123 use-vrf management

vlan 1,100
vlan 100
  name users

vrf context management
  ip route 0.0.0.0/0 192.0.2.1

interface Ethernet1/1
  description uplink
  no switchport
  ip address 10.0.0.1/31
  no shutdown

interface mgmt0
  vrf member management
  ip address 192.0.2.11/24
line console
line vty
boot nxos bootflash:/nxos.9.3.8.bin
"""

EOS_CONFIG = """\
! Command: show running-config
! device: {{hostname}} (DCS-7050TX-64, EOS-4.28.3M)
!
! boot system flash:/EOS-4.28.3M.swi
!
no aaa root
!
username admin privilege 15 role network-admin secret sha512 $6$Vh3bOXD7lV5n$Jq8y7yYKpB1wL.9q3z
!
service routing protocols model multi-agent
!
hostname {{hostname}}
ip name-server vrf default 192.0.2.53
!
snmp-server community s3cr3tRO ro
!
spanning-tree mode mstp
!
vlan 100
   name users
!
interface Ethernet1
   description uplink
   no switchport
   ip address 10.0.0.1/31
!
interface Management1
   ip address 192.0.2.12/24
!
ip routing
!
ip route 0.0.0.0/0 192.0.2.1
!
ntp server 192.0.2.123
!
management api http-commands
   no shutdown
!
end
"""

JUNOS_CONFIG = """\
## Last commit: {{now_iso}} by admin
version 21.4R3.15;
system {
    host-name {{hostname}};
    root-authentication {
        encrypted-password "$6$Qz1lTfqL$0mB8X2dV7Rk4kq9Zy3NnFfUj";
    }
    login {
        user admin {
            uid 2000;
            class super-user;
            authentication {
                encrypted-password "$6$hLq2c7Pp$Wm3ZL6eC0uOq1yDkFh8Rs2";
            }
        }
    }
    services {
        ssh {
            root-login deny;
        }
        netconf {
            ssh;
        }
    }
    syslog {
        file messages {
            any notice;
        }
    }
    ntp {
        server 192.0.2.123;
    }
}
interfaces {
    ge-0/0/0 {
        description uplink;
        unit 0 {
            family inet {
                address 10.0.0.1/31;
            }
        }
    }
    lo0 {
        unit 0 {
            family inet {
                address 10.255.0.4/32;
            }
        }
    }
}
snmp {
    community s3cr3tRO {
        authorization read-only;
    }
}
routing-options {
    static {
        route 0.0.0.0/0 next-hop 192.0.2.1;
    }
}
protocols {
    lldp {
        interface all;
    }
}
"""

VRP_CONFIG = """\
!Software Version V200R019C10SPC500
!Last configuration was updated at {{now_iso}} by SYSTEM automatically
#
sysname {{hostname}}
#
vlan batch 100 200
#
aaa
 authentication-scheme default
 authorization-scheme default
 accounting-scheme default
 domain default
 domain default_admin
 local-user admin password irreversible-cipher $1a$Ubp9.5YtT3$Yq7zN0aQ2wVh9Lr8Xc4Ke1$
 local-user admin privilege level 15
 local-user admin service-type ssh
#
interface Vlanif100
 ip address 10.100.0.1 255.255.255.0
#
interface GigabitEthernet0/0/1
 port link-type trunk
 port trunk allow-pass vlan 100 200
#
interface LoopBack0
 ip address 10.255.0.5 255.255.255.255
#
snmp-agent
snmp-agent community read cipher %^%#Wq8a2QbB4n3Kf0L9yZ7pX5vC1mJ6tR%^%#
snmp-agent sys-info version v2c v3
#
ip route-static 0.0.0.0 0.0.0.0 192.0.2.1
#
stelnet server enable
ssh user admin
ssh user admin authentication-type password
ssh user admin service-type stelnet
#
ntp-service unicast-server 192.0.2.123
#
user-interface con 0
 authentication-mode aaa
user-interface vty 0 4
 authentication-mode aaa
 protocol inbound ssh
#
return
"""

COMWARE_CONFIG = """\
#
 version 7.1.064, Release 0821P16
#
 sysname {{hostname}}
#
 clock timezone UTC add 00:00:00
#
 lldp global enable
#
vlan 1
#
vlan 100
 name users
#
 stp global enable
#
interface LoopBack0
 ip address 10.255.0.6 255.255.255.255
#
interface GigabitEthernet1/0/1
 port link-mode bridge
 description uplink
 port link-type trunk
 port trunk permit vlan 1 100
#
 ip route-static 0.0.0.0 0 192.0.2.1
#
 snmp-agent
 snmp-agent community read cipher $c$3$8Hq2M1pZ0cN4w7LkR5tYxVb9sE6dFg==
 snmp-agent sys-info version v2c v3
#
 ssh server enable
#
 ntp-service unicast-server 192.0.2.123
#
line vty 0 63
 authentication-mode scheme
 user-role network-operator
#
local-user admin class manage
 password hash $h$6$Jk3nP0qL8wZ2xV5c$Tb7mN1rY4sD9fG6hA0e
 service-type ssh
 authorization-attribute user-role network-admin
#
return
"""

RGOS_CONFIG = """\
Building configuration...
Current configuration : {{bytes}} bytes

version RGOS 10.4(3b19)p2, Release(06212420)
hostname {{hostname}}
!
vlan 1
!
vlan 100
 name users
!
enable secret 5 $1$Rg9x$2bTq8mLz0VwY4nC7kP1sH.
username admin privilege 15 password 7 0822455D0A16
!
interface GigabitEthernet 0/1
 description uplink
 switchport mode trunk
!
interface VLAN 100
 ip address 10.100.0.1 255.255.255.0
!
snmp-server community s3cr3tRO ro
ntp server 192.0.2.123
!
ip route 0.0.0.0 0.0.0.0 192.0.2.1
!
line con 0
line vty 0 4
 login local
!
end
"""

# Repeated blocks used to pad a config to lab.config_kb; {n} counts from 0, {a}/{b}
# make interface numbers unique and plausible.
PAD_BLOCKS = {
    "ios": "interface GigabitEthernet{a}/0/{b}\n description access port {n}\n"
    " switchport access vlan 100\n switchport mode access\n spanning-tree portfast\n!\n",
    "rgos": "interface GigabitEthernet {a}/{b}\n description access port {n}\n switchport access vlan 100\n!\n",
    "eos": "interface Ethernet{a}/{b}\n   description access port {n}\n   switchport access vlan 100\n!\n",
    "nxos": "\ninterface Ethernet{a}/{b}\n  description access port {n}\n  switchport access vlan 100\n  no shutdown\n",
    "junos": '    ge-{a}/0/{b} {{\n        description "access port {n}";\n'
    "        unit 0 {{\n            family ethernet-switching {{\n"
    "                vlan {{\n                    members users;\n"
    "                }}\n            }}\n        }}\n    }}\n",
    "vrp": "interface GigabitEthernet{a}/0/{b}\n description access port {n}\n"
    " port link-type access\n port default vlan 100\n#\n",
    "comware": "interface GigabitEthernet{a}/0/{b}\n port link-mode bridge\n"
    " description access port {n}\n port access vlan 100\n#\n",
}
