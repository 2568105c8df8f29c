"""``python -m vifconf``."""

from vifconf.cli import main

raise SystemExit(main())
