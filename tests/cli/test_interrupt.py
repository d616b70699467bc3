"""A signal stops a command with its own exit status, whatever code it hits."""

import os
import signal
import subprocess
import sys
import textwrap

import pytest

from sklearn_ser._cli import _interrupt

# A command, run as ``python -m`` like ``python -m sklearn_ser``, whose signal
# arrives while code run by PyRun_String executes (as an extension module's
# import runs it); it catches the interruption and returns 128 + the signal's
# number.
_COMMAND = textwrap.dedent("""
    import ctypes, sys
    from sklearn_ser._cli import _interrupt

    run = ctypes.pythonapi.PyRun_String
    run.argtypes = [ctypes.c_char_p, ctypes.c_int, ctypes.py_object,
                    ctypes.py_object]
    run.restype = ctypes.py_object
    CODE = b"import os, signal\\nos.kill(os.getpid(), signal.SIG{name})\\n" \\
        b"while True: pass"

    def command():
        with _interrupt.handling_signals():
            try:
                run(CODE, 257, {{}}, {{}})  # 257: Py_file_input
            except KeyboardInterrupt:
                return 128 + int(_interrupt.received())

    sys.exit(command())
""")


@pytest.mark.parametrize("name", ["TERM", "INT"])
def test_the_exit_status_survives_an_interrupt_inside_pyrun_string(name, tmp_path):
    (tmp_path / "signalled_command.py").write_text(_COMMAND.format(name=name))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(tmp_path), *filter(None, [os.environ.get("PYTHONPATH")])])}
    proc = subprocess.run([sys.executable, "-m", "signalled_command"], env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 128 + getattr(signal, "SIG" + name), proc.stderr


def test_the_handler_raises_interrupted_naming_the_signal():
    with _interrupt.handling_signals():
        with pytest.raises(_interrupt.Interrupted) as info:
            signal.raise_signal(signal.SIGTERM)
        assert _interrupt.received() == signal.SIGTERM
    assert info.value.status == 143 and info.value.name == "SIGTERM"
    assert signal.getsignal(signal.SIGTERM) is not _interrupt._handler
