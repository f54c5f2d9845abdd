"""Entry point of the socialreward-torch plugin (zipapp: bin/plugins/socialreward-torch).

srbench launches the zipapp built by `make build` with no arguments: it then
serves the plugin (srbench_plugin.serve). With a command it is a tool; the
same commands run from the checkout as
``/usr/bin/python3 plugins/socialreward-torch COMMAND ...`` or, with this
directory on PYTHONPATH, ``/usr/bin/python3 -m socialreward_torch COMMAND ...``:
init-random, score, train, export (see socialreward_torch/cli.py).
"""

import os
import sys

if __name__ == "__main__":
    # Run from the checkout (python3 plugins/socialreward-torch), this
    # directory is sys.path[0] already; in the zipapp the archive root is.
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from socialreward_torch.cli import main

    main()
