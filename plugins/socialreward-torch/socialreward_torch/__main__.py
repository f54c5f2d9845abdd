"""``python -m socialreward_torch``: the plugin (no command) or a tool command (see cli)."""

from .cli import main

main()
