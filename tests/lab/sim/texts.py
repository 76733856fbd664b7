"""Canned device output other than configs: version texts, login and expiry messages.

Placeholders: {{hostname}}, {{user}}, {{now_iso}}, {{now_clock}}, {{boot_iso}},
{{uptime}}, {{uptime_s}}, {{arg}}, {{level}}.
"""

from __future__ import annotations

IOS_VERSION = """\
Cisco IOS Software, IOSv Software (VIOS-ADVENTERPRISEK9-M), Version 15.9(3)M6, RELEASE SOFTWARE (fc1)
Technical Support: http://www.cisco.com/techsupport
Copyright (c) 1986-2022 by Cisco Systems, Inc.
Compiled Wed 29-Jun-22 21:38 by prod_rel_team

ROM: Bootstrap program is IOSv

{{hostname}} uptime is {{uptime}}
System returned to ROM by reload
System image file is "flash0:/vios-adventerprisek9-m"
Last reload reason: Unknown reason

Cisco IOSv (revision 1.0) with 460017K/62464K bytes of memory.
Processor board ID 9YJ0M7NOSL8X2D3PUFGKQ
4 Gigabit Ethernet interfaces
256K bytes of non-volatile configuration memory.
2097152K bytes of ATA System CompactFlash 0 (Read/Write)

Configuration register is 0x0
"""

NXOS_VERSION = """\
Cisco Nexus Operating System (NX-OS) Software
TAC support: http://www.cisco.com/tac
Copyright (C) 2002-2021, Cisco and/or its affiliates.
All rights reserved.

Software
  BIOS: version 05.45
  NXOS: version 9.3(8)
  BIOS compile time:  11/20/2020
  NXOS image file is: bootflash:///nxos.9.3.8.bin
  NXOS compile time:  8/18/2021 16:00:00 [08/19/2021 02:24:15]

Hardware
  cisco Nexus9000 C9300v Chassis
  Intel(R) Xeon(R) CPU E5-2690 v4 @ 2.60GHz with 16409064 kB of memory.
  Processor Board ID 9N3KD63KWT0

  Device name: {{hostname}}
  bootflash:    4287040 kB
Kernel uptime is {{uptime}}
"""

NXOS_INVENTORY = """\
NAME: "Chassis",  DESCR: "Nexus9000 C9300v Chassis"
PID: N9K-C9300v          ,  VID:       ,  SN: 9N3KD63KWT0

NAME: "Slot 1",  DESCR: "Nexus 9000v 64 port Ethernet Module"
PID: N9K-X9364v          ,  VID:       ,  SN: 9ZGNAE6U1T0
"""

EOS_VERSION = """\
Arista DCS-7050TX-64
Hardware version: 01.11
Serial number: JPE00000000
Hardware MAC address: 001c.7300.0001
System MAC address: 001c.7300.0001

Software image version: 4.28.3M
Architecture: x86_64
Internal build version: 4.28.3M-29292810.4283M
Internal build ID: 1e3e8c5a-4b9d-4d27-9d4f-5a8d7f6b2c11

Uptime: {{uptime}}
Total memory: 8099756 kB
Free memory: 5937212 kB
"""

EOS_VERSION_JSON = (
    '{"mfgName": "Arista", "modelName": "DCS-7050TX-64", "hardwareRevision": "01.11", '
    '"serialNumber": "JPE00000000", "systemMacAddress": "00:1c:73:00:00:01", '
    '"hwMacAddress": "00:1c:73:00:00:01", "version": "4.28.3M", "architecture": "x86_64", '
    '"internalVersion": "4.28.3M-29292810.4283M", "uptime": {{uptime_s}}, '
    '"memTotal": 8099756, "memFree": 5937212, "isIntlVersion": false}\n'
)

JUNOS_VERSION = """\
Hostname: {{hostname}}
Model: vmx
Junos: 21.4R3.15
JUNOS OS Kernel 64-bit  [20221012.c9d6a2e_builder_stable_12_214]
JUNOS OS libs [20221012.c9d6a2e_builder_stable_12_214]
JUNOS OS runtime [20221012.c9d6a2e_builder_stable_12_214]
JUNOS Routing Software Suite [21.4R3.15]
"""

VRP_VERSION = """\
Huawei Versatile Routing Platform Software
VRP (R) software, Version 5.170 (S5720 V200R019C10SPC500)
Copyright (C) 2000-2020 HUAWEI TECH Co., Ltd.
HUAWEI S5720-28X-SI-AC Routing Switch uptime is {{uptime}}
"""

COMWARE_VERSION = """\
H3C Comware Software, Version 7.1.064, Release 0821P16
Copyright (c) 2004-2021 New H3C Technologies Co., Ltd. All rights reserved.
H3C S5130S-28S-EI uptime is {{uptime}}
"""

RGOS_VERSION = """\
System description      : Ruijie 10G Ethernet Switch(S5750-28GT4XS-H) By Ruijie Networks
System uptime           : {{uptime}}
System hardware version : 1.20
System software version : RGOS 10.4(3b19)p2, Release(06212420)
System serial number    : G1LQ10H000123
"""

GENERIC_EXPIRY = "Your password has expired. Change now? [Y/N]:"
VRP_EXPIRY = "Warning: The password will expire in 2 days.\nThe password needs to be changed. Change now? [Y/N]:"
VRP_LOGIN = (
    "Info: The max number of VTY users is 5, and the number\n"
    "      of current VTY users on line is 1.\n"
    "      The current login time is {{now_iso}}.\n"
)
JUNOS_LOGIN = "--- JUNOS 21.4R3.15 Kernel 64-bit  JNPR-12.1-20221012.c9d6a2e_buil\n"
