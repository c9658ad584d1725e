"""The core's own contributions, registered through the same hooks as any plugin's."""

from __future__ import annotations
