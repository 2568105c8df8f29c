"""vifconf: a keyboard-driven configurator for virtual machine NICs."""

__version__ = "0.1.0"
