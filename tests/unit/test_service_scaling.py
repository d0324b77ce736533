"""The host-side trigger stays importable where there is no Docker SDK (the service image,
Debian's test image): it loads the SDK only when it runs. Its real work is tested against
real containers in tests/integration/test_services.py."""

import subprocess
import sys

import pytest

from services import scaling


def test_importing_the_trigger_does_not_import_the_docker_sdk():
    code = "import sys, services.scaling; print('docker' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_bad_arguments_are_refused_before_touching_docker(capsys):
    with pytest.raises(SystemExit) as caught:
        scaling.main(["--service", "kv", "--replicas", "0"])
    assert caught.value.code == 2
    assert "--replicas must be at least 1" in capsys.readouterr().err
