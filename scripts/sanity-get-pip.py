"""Offline stand-in for get-pip.py, for `ansible-test sanity` (issue #7; used by scripts/sanity.sh).

ansible-test builds each sanity test's virtual environment without pip, then bootstraps pip
with get-pip.py, downloaded from https://ci-files.testing.ansible.com unless
~/.ansible/test/cache/get_pip_<version>.py exists (ansible-core 2.19:
ansible_test/_util/target/setup/requirements.py, bootstrap(), whose error message says to
save the script there by hand). That host is not reachable here, PyPI is: scripts/sanity.sh
copies this file there, with the pip wheel from PyPI beside it.

Like get-pip.py, this runs pip from the wheel (a wheel is an importable zip) and installs the
packages given on the command line (`pip==<version>`) with the same options; get-pip.py's
own `--no-setuptools` / `--no-wheel` flags just mean "do not add those", as here.
"""

import glob
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
# get_pip_24_2.py -> 24.2
VERSION = os.path.splitext(os.path.basename(__file__))[0][len("get_pip_") :].replace("_", ".")
WHEELS = glob.glob(os.path.join(HERE, "pip-%s-*.whl" % VERSION))

if not WHEELS:
    sys.exit("%s: no pip-%s wheel in %s (run scripts/sanity.sh)" % (__file__, VERSION, HERE))

sys.path.insert(0, WHEELS[0])

from pip._internal.cli.main import main  # noqa: E402  (the wheel is on sys.path only now)

args = [arg for arg in sys.argv[1:] if arg not in ("--no-setuptools", "--no-wheel")]
sys.exit(main(["install", "--upgrade", "--force-reinstall"] + args))
