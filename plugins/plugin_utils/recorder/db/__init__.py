"""The recorder's database: plain records (models), tables (schema), migrations and the
store the ``confvault.network.recorder`` callback writes through (recorder_store).

Importing this package does nothing; SQLAlchemy is only needed by the modules that use it.
"""
