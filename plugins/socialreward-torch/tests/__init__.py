"""Unit tests of socialreward-torch. Run with
``/usr/bin/python3 -m unittest discover plugins/socialreward-torch/tests`` or,
as ``make test-python`` does, ``discover -s plugins/socialreward-torch``;
either way the test modules import ``helpers`` from this directory."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
