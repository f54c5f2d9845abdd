"""Entry point of the colorfulness plugin (zipapp: bin/plugins/colorfulness).

srbench launches the zipapp built by `make build`; run by hand, it says that
it is a plugin and exits 1.
"""

import srbench_plugin as sp

from colorfulness import ColorfulnessScorer

if __name__ == "__main__":
    sp.serve(ColorfulnessScorer)
