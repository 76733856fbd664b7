"""Simulated network devices for the ConfVault test lab.

One asyncio event loop serves one SSH listener per simulated host (see ``server.py``).
Platform behaviour is data in ``profiles.py``; the CLI state machine is ``cli.py``.
"""
