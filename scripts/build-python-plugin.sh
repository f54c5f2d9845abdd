#!/usr/bin/env bash
# build-python-plugin.sh NAME OUT: pack the Python scorer plugin in
# plugins/NAME/ and the srbench_plugin SDK (harness/scorer/python/) into
# one executable zipapp OUT, run by #!/usr/bin/python3.
#
# The plugin's convention: plugins/NAME/__main__.py is the entry point (it
# calls srbench_plugin.serve), and every other *.py file and Python package
# under plugins/NAME/ is bundled at the archive's root, so __main__.py
# imports its modules by their plain names. Tests (test_*.py, *_test.py,
# tests/, testdata/) and everything that is not Python (Go test files,
# docs) are left out.
#
# The archive is an ordinary zipapp (what `python3 -m zipapp -p
# /usr/bin/python3` makes: the shebang line, then a zip whose root holds
# __main__.py), written by zipfile directly so that it is reproducible:
# entries in sorted order, each with the same timestamp and permissions
# (zipapp itself adds files in directory order with their mtimes), so an
# unchanged plugin keeps its sha256, and its pin in plugins.lock, across
# builds and machines.
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 NAME OUT" >&2; exit 2; }
name=$1
out=$2
root=$(cd "$(dirname "$0")/.." && pwd)
src=$root/plugins/$name
sdk=$root/harness/scorer/python/srbench_plugin
python=${PYTHON:-/usr/bin/python3}

[ -f "$src/__main__.py" ] || { echo "build-python-plugin: $src/__main__.py missing (the plugin's entry point)" >&2; exit 1; }

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

# copy_py FROM TO: the Python files under FROM, tests and caches left out.
copy_py() {
	(cd "$1" && find . \( -name __pycache__ -o -name tests -o -name testdata -o -name '.*' ! -name . \) -prune -o \
		-type f -name '*.py' ! -name 'test_*.py' ! -name '*_test.py' -print) | while read -r f; do
		mkdir -p "$2/$(dirname "$f")"
		cp "$1/$f" "$2/$f"
	done
}
copy_py "$src" "$stage"
if [ -e "$stage/srbench_plugin" ]; then
	echo "build-python-plugin: plugins/$name/srbench_plugin would shadow the SDK" >&2
	exit 1
fi
copy_py "$sdk" "$stage/srbench_plugin"

mkdir -p "$(dirname "$out")"
tmp_out="$out.tmp.$$"
"$python" - "$stage" "$tmp_out" <<'PY'
import os
import sys
import zipfile

stage, out = sys.argv[1], sys.argv[2]
files = sorted(os.path.relpath(os.path.join(d, f), stage).replace(os.sep, "/")
               for d, _, names in os.walk(stage) for f in names)
with open(out, "wb") as fd:
    fd.write(b"#!/usr/bin/python3\n")
    with zipfile.ZipFile(fd, "w", zipfile.ZIP_STORED) as z:
        for name in files:
            info = zipfile.ZipInfo(name, date_time=(2000, 1, 1, 0, 0, 0))
            info.create_system = 3  # Unix, so that the mode below is read
            info.external_attr = 0o100644 << 16
            with open(os.path.join(stage, name), "rb") as f:
                z.writestr(info, f.read())
PY
chmod 755 "$tmp_out"
mv -f "$tmp_out" "$out"
echo "build-python-plugin: $out ($(wc -c <"$out") bytes, sha256 $(sha256sum "$out" | cut -c1-12))"
