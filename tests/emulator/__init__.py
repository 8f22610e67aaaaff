"""A local emulator of the vendor APIs that sso.mappings talks to (see README.md)."""
