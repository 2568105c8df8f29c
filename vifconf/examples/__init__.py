"""Bundled example domains (package data)."""

from pathlib import Path

EXAMPLE_DOMAIN = Path(__file__).with_name("xen-hvm-seed.xml")
