"""openSMILE: the shipped feature configurations and the engine that runs them.

:class:`OpenSmileEngine` is the only place of the package that talks to
openSMILE (through the ``opensmile`` package's ``OpenSMILE`` class): it
owns the pool of initialised instances and makes every call into them.
There is one engine per feature set (:func:`engine`); ``ENGINE`` is the
engine of the paper's IS09 set.
"""

import ctypes
import os
import shutil
import tempfile
import threading

import numpy as np

from .._validation import FEATURE_RATES, check_sampling_rate
from ._audio import n_frames
from ._feature_sets import FEATURE_SET_NAMES, get_feature_set

CONFIG_NAME = get_feature_set("is09").config
"""File name of the IS09 configuration in ``sklearn_ser/data``."""

FEATURE_NAMES = get_feature_set("is09").feature_names
"""openSMILE's names of the 32 IS09 features, in output order."""
N_FEATURES = len(FEATURE_NAMES)  # 32

SOURCE = "extsource"
"""The ``cExternalAudioSource`` component of the configuration."""
SINK = "extsink"
"""The ``cExternalSink`` component of the configuration."""

# Frame callback of the sink with untyped pointers: a frame is copied with
# one memmove, without building a ctypes or numpy object per frame.
_FrameCallback = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_long,
                                  ctypes.c_void_p)


def packaged_config(name=CONFIG_NAME):
    """Path of a shipped configuration file (default: the IS09 one)."""
    return os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                        "data",
                        name)


class _Pool(dict):
    """Per-thread instances by sampling rate; freed with the thread's data."""

    def __del__(self):
        for smile in self.values():
            try:
                smile.free()
            except Exception:  # pragma: no cover - interpreter shutdown
                pass
        self.clear()


class OpenSmileEngine:
    """Runs the shipped configuration of a feature set on mono float32 signals.

    Initialising and freeing openSMILE costs about as much as extracting a
    few hundred milliseconds of audio, so each thread keeps one instance per
    sampling rate for signals up to ``reuse_seconds`` and resets it after
    each run (``OpenSMILE.reset``, openSMILE's way to run again). Longer
    signals get their own instance, whose input level is allocated at their
    exact size, and it is freed after the run.

    Everything goes through the public methods of ``opensmile``'s
    ``OpenSMILE`` class except one call: the frame callback of the sink is
    registered with the C function ``smile_extsink_set_data_callback`` on the
    instance's handle (``OpenSMILE._smileobj``). The public
    ``external_sink_set_callback`` wraps every frame in a numpy array, which
    made the extraction 1.2 times slower; :meth:`check_private_api` fails
    with a clear message if a release of ``opensmile`` removes these names.

    Parameters
    ----------
    reuse_seconds : float, default=30.0
        Signals up to this long reuse a per-thread instance.
    feature_set : str, default="is09"
        The feature set whose configuration the engine runs (see
        :mod:`~sklearn_ser.features._feature_sets`).
    """

    def __init__(self, reuse_seconds=30.0, feature_set="is09"):
        self.reuse_seconds = reuse_seconds
        self.spec = get_feature_set(feature_set)
        self._local = threading.local()
        self._lock = threading.Lock()
        self._config_path = None
        self._checked = False

    # -- the configuration ------------------------------------------------------

    @property
    def feature_names(self):
        """openSMILE's names of the columns, in output order."""
        return self.spec.feature_names

    @property
    def n_features(self):
        """Number of columns."""
        return self.spec.n_features

    def config_path(self):
        """Path of the shipped config, ASCII-only (openSMILE's C API needs it)."""
        if self._config_path is None:
            with self._lock:
                path = packaged_config(self.spec.config)
                try:
                    path.encode("ascii")
                except UnicodeEncodeError:  # pragma: no cover - unusual install paths
                    folder = tempfile.mkdtemp(prefix="sklearn_ser_")
                    target = os.path.join(folder, self.spec.config)
                    shutil.copyfile(path, target)
                    path = target
                self._config_path = path
        return self._config_path

    def identity(self):
        """What determines the features besides the input: ``(version, config)``.

        Returns
        -------
        version : str
            Version of the ``opensmile`` package (it bundles openSMILE).
        config : bytes
            Content of the shipped configuration file.
        """
        import opensmile

        with open(packaged_config(self.spec.config), "rb") as f:
            return opensmile.__version__, f.read()

    # -- the private part of the opensmile package ----------------------------------

    @staticmethod
    def check_private_api(smile=None):
        """Check the names of ``opensmile`` the engine uses beyond its public API.

        Parameters
        ----------
        smile : opensmile.core.lib.OpenSMILE, default=None
            An initialised instance whose handle to check as well.

        Raises
        ------
        RuntimeError
            If the installed ``opensmile`` lacks one of them; the message names
            it and the version.
        """
        import opensmile
        from opensmile.core import lib

        missing = [name for name in ("smileapi", "ExternalSinkCallback",
                                     "SMILE_SUCCESS") if not hasattr(lib, name)]
        if not missing and not hasattr(lib.smileapi, "smile_extsink_set_data_callback"):
            missing.append("smileapi.smile_extsink_set_data_callback")
        if smile is not None and not isinstance(getattr(smile, "_smileobj", None), int):
            missing.append("OpenSMILE._smileobj")
        if missing:
            raise RuntimeError(
                f"opensmile {opensmile.__version__} lacks {missing}, which "
                "sklearn-ser uses to receive the frames of openSMILE; install an "
                "opensmile version that sklearn-ser supports (see its "
                "pyproject.toml)."
            )

    @staticmethod
    def _set_frame_callback(smile, callback):
        """Register ``callback`` (a ``_FrameCallback``) on the sink of ``smile``."""
        from opensmile.core import lib

        result = lib.smileapi.smile_extsink_set_data_callback(
            smile._smileobj, SINK.encode("ascii"),
            ctypes.cast(callback, lib.ExternalSinkCallback), None)
        if result != lib.SMILE_SUCCESS:  # pragma: no cover - config edited
            raise RuntimeError(
                f"openSMILE refused the frame callback of {SINK!r} (code {result})."
            )

    # -- instances ----------------------------------------------------------------

    def _new(self, sampling_rate, wave_buffer):
        """An initialised openSMILE instance running the shipped config."""
        from opensmile.core import lib

        smile = lib.OpenSMILE()
        try:
            smile.initialize(
                self.config_path(),
                {"sampleRate": int(sampling_rate), "waveBufferSize": int(wave_buffer)},
                loglevel=1,
            )
            if not self._checked:
                self.check_private_api(smile)
                n_el = smile.external_sink_get_num_elements(SINK)
                names = tuple(smile.external_sink_get_element_name(SINK, k)
                              for k in range(n_el))
                if names != self.feature_names:  # pragma: no cover - config edited
                    raise RuntimeError(
                        f"The openSMILE config {self.config_path()} produces the "
                        f"features {names}; expected {self.feature_names}."
                    )
                self._checked = True
        except BaseException:
            smile.free()
            raise
        return smile

    def _take(self, sampling_rate, size_hint):
        """An instance for one signal: ``(smile, reusable)``."""
        limit = int(self.reuse_seconds * sampling_rate)
        if size_hint > limit:
            return self._new(sampling_rate, size_hint), False
        pool = getattr(self._local, "pool", None)
        if pool is None:
            pool = self._local.pool = _Pool()
        smile = pool.pop(sampling_rate, None)
        if smile is None:
            smile = self._new(sampling_rate, limit)
        return smile, True

    def _give_back(self, smile, sampling_rate, reusable, ok):
        if reusable and ok:
            try:
                smile.reset()
                self._local.pool[sampling_rate] = smile
                return
            except Exception:  # pragma: no cover - then do not reuse it
                pass
        smile.free()

    # -- extraction -----------------------------------------------------------------

    def extract(self, blocks, sampling_rate, size_hint=0):
        """Run the feature set's config on one validated mono signal.

        Parameters
        ----------
        blocks : iterable of ndarray of shape (n_i,), dtype float32
            The signal in consecutive blocks (validated already). They are
            written to openSMILE's input level one by one, so no other full
            copy of the signal is needed.
        sampling_rate : int
            Sampling rate of the signal, in Hz, 8000 to 768000 (checked
            here, whoever calls: openSMILE's native code corrupts its memory
            far above that range).
        size_hint : int, default=0
            Expected number of samples: openSMILE's input level is allocated at
            this size once instead of growing by doubling.

        Returns
        -------
        features : ndarray of shape (n_frames, n_features), dtype float32
            ``n_frames(n_samples, sampling_rate, window)`` frames (``window``
            the set's longest analysis window): the trailing frame that
            openSMILE's smoothers emit after the end of the input is dropped.
        """
        sampling_rate = check_sampling_rate(sampling_rate, "sampling_rate",
                                            FEATURE_RATES)
        smile, reusable = self._take(sampling_rate, int(size_hint))
        ok = False
        try:
            n_samples = 0
            block = None
            for block in blocks:
                block = np.ascontiguousarray(block, dtype=np.float32)
                if block.size == 0:
                    continue
                if not smile.external_audio_source_write_data(SOURCE, block.tobytes()):
                    raise RuntimeError("openSMILE did not accept the audio buffer.")
                n_samples += block.shape[0]
            del block

            n_out = n_frames(n_samples, sampling_rate, self.spec.window)
            width = self.n_features
            out = np.empty((n_out, width), dtype=np.float32)
            base = out.ctypes.data
            row_bytes = width * 4
            count = [0]

            def on_frame(data, n, param):
                i = count[0]
                if i < n_out and n == width:
                    ctypes.memmove(base + i * row_bytes, data, row_bytes)
                count[0] = i + 1
                return 1

            callback = _FrameCallback(on_frame)  # alive until the run ends
            self._set_frame_callback(smile, callback)
            smile.external_audio_source_set_eoi(SOURCE)
            smile.run()
            ok = n_out > 0 and count[0] == n_out + 1
        finally:
            self._give_back(smile, sampling_rate, reusable, ok)
        if n_out == 0 or count[0] < n_out:  # pragma: no cover - validated before
            raise RuntimeError(
                f"openSMILE returned {count[0]} frames for {n_samples} samples, "
                f"expected {n_out} (at least one)."
            )
        return out


_ENGINES = {name: OpenSmileEngine(feature_set=name) for name in FEATURE_SET_NAMES}


def engine(feature_set="is09"):
    """The engine of a feature set in this process (each joblib worker has its own).

    Parameters
    ----------
    feature_set : str, default="is09"
        A name of :data:`~sklearn_ser.features._feature_sets.FEATURE_SET_NAMES`.

    Returns
    -------
    engine : OpenSmileEngine
    """
    try:
        return _ENGINES[feature_set]
    except (KeyError, TypeError):
        get_feature_set(feature_set)  # raises the ValueError naming the sets
        raise


ENGINE = engine("is09")
"""The engine of the paper's IS09 set."""
