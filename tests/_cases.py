"""The robustness cases of hostile input (the docs table lists them all).

``tests/test_robustness.py`` holds the cases of everyday bad input and
renders the table of ``docs/robustness_table.rst`` from both lists; the
cases below are checked by the ``tests/test_hostile_*.py`` modules.
"""

from collections import namedtuple

ERROR, HANDLED, BUG = "clear error", "handled", "bug (xfail)"

Case = namedtuple("Case", "id entry input behaviour kind")

#: Test modules whose tests cover the cases of :data:`HOSTILE`.
HOSTILE_MODULES = ("tests.persistence.test_hostile_models", "tests.features.test_hostile_audio",
                   "tests.features.test_hostile_cache",
                   "tests.network.test_hostile_estimators",
                   "tests.cli.test_hostile_cli", "tests.test_hostile_inputs",
                   "tests.timeline.test_hostile_timeline")

HOSTILE = [
    # -- untrusted model files ------------------------------------------------
    Case("load-bomb-declared", "load",
         "2 MB model file whose ``metadata.json`` (or ``weights.npz``) declares "
         "gigabytes",
         "``ValueError`` naming the file and the member, before anything is "
         "decompressed; a member may hold at most 8 MiB (metadata), 64 MiB "
         "(arrays), 256 MiB (weights)", ERROR),
    Case("load-bomb-lying-header", "load",
         "member that declares a few bytes but inflates to hundreds of MB",
         "decompressed in a stream that stops at the declared size: "
         "``ValueError`` naming the file (damaged)", ERROR),
    Case("load-npy-header-lies", "load",
         "array whose ``.npy`` header declares 1 GiB (or an inner archive that "
         "declares more than the member limit)",
         "``ValueError`` naming the file and the array, checked before the "
         "array is made", ERROR),
    Case("load-huge-architecture", "load",
         "metadata with ``lstm_units=9000`` (or ``hidden_units``) beside small "
         "weights",
         "``ValueError`` naming the weight and both shapes; the shapes are "
         "compared on PyTorch's meta device, before any network is built; at "
         "most 16384 units", ERROR),
    Case("load-huge-n-frames", "load", "``PadCrop`` ``n_frames=10**8``",
         "``ValueError`` naming ``n_frames`` and the bound (100000 frames)",
         ERROR),
    Case("load-planted-memory", "load",
         "metadata that sets the ``memory`` folder of ``LLDExtractor``",
         "``ValueError`` naming the parameter: ``save`` never stores it; a "
         "pipeline saved with a cache loads with ``memory=None``", ERROR),
    Case("load-nan-weights", "load / sklearn-ser predict",
         "network weights holding NaN or inf",
         "``ValueError`` naming the weight; ``predict`` exits 1 and prints no "
         "label", ERROR),
    Case("load-deep-json", "load", "``metadata.json`` nested 100000 deep",
         "``ValueError`` naming the file: nested too deeply "
         "(no ``RecursionError``)", ERROR),
    Case("load-unexpected-exceptions", "load",
         "file setting a read-only attribute (``classes_``), or a network "
         "build that fails with ``RuntimeError`` or ``MemoryError``",
         "``ValueError`` naming the file and the exception", ERROR),
    Case("load-skops-untrusted-type", "load",
         "scikit-learn step (a skops member) whose schema names a type outside "
         "the model file's list (``os.system``, a ``FunctionTransformer`` that "
         "skops itself would trust, a function node)",
         "``ValueError`` naming the file, the step and the type, before skops "
         "builds anything", ERROR),
    Case("load-skops-bomb", "load",
         "scikit-learn step member declaring 1 GiB, or a compressed skops "
         "archive inside it",
         "``ValueError`` naming the file: the scikit-learn steps may hold 64 MiB "
         "in all, their archives store their members uncompressed", ERROR),
    Case("load-bounded-cost", "load",
         "any of the hostile files above, under 10 MB",
         "loaded or refused in a subprocess whose peak RSS stays under 1 GiB "
         "and within 10 s", HANDLED),
    Case("load-native-sampling-rate", "load",
         "9 KB model file whose ``LLDExtractor`` has ``sampling_rate`` 3 MHz "
         "(openSMILE corrupts its heap above 2,621,440 Hz and the interpreter "
         "aborts at predict), 10 MHz, 7999 Hz or 768001 Hz",
         "``ValueError`` naming the file and ``sampling_rate``: 8000 to 768000 "
         "Hz; openSMILE computes finite features at both ends of that range "
         "(each run in a fresh interpreter)", ERROR),
    Case("load-stored-parallelism", "load / save",
         "model file that sets ``n_jobs=12`` (``LLDExtractor``, a scikit-learn "
         "step), ``iterator_valid__num_workers=12`` with "
         "``multiprocessing_context='spawn'``, or ``compile=True``",
         "loaded with their defaults and one ``UserWarning`` naming them: a "
         "model file does not choose how many processes run (or whether a "
         "compiler does); prediction starts no process. ``save`` does not "
         "store them and lists them in ``not_saved``", HANDLED),
    Case("load-skorch-params", "load",
         "network parameters that override the checked state: ``classes`` "
         "duplicated, of mixed types or permuted; ``predict_nonlinearity`` "
         "null or a class; ``warm_start='yes'``; ``iterator_valid__shuffle``; "
         "``dataset__length``; ``torch_load_kwargs``; ``n_frames: true`` or "
         "``fill_value: true`` of ``PadCrop``",
         "``ValueError`` naming the file, the parameter and what was expected "
         "(``classes`` against the classes the network was trained on; a bool "
         "where a number is expected refused for every step)", ERROR),
    Case("predict-non-finite-outputs", "SERClassifier / SERRegressor / "
         "export_onnx / predict_timeline / StreamingRecognizer",
         "model file whose weights are finite but huge (x1e30), or inputs that "
         "overflow the network",
         "``predict`` and ``predict_proba`` raise ``ValueError`` naming the "
         "inputs (``X[i]``) with NaN or infinite outputs, never a label; the "
         "timeline names the windows by their times (also for a scikit-learn "
         "classifier's NaN probabilities); ``export_onnx`` refuses the network "
         "(its outputs on a probe)", ERROR),
    Case("load-special-files", "load",
         "model path that is a FIFO, a symbolic link to ``/dev/zero`` or "
         "``/dev/urandom``; reading that runs out of memory",
         "``ValueError`` naming the file and its kind (FIFO, character device) "
         "before a byte is read, no hang; ``MemoryError`` becomes a "
         "``ValueError`` naming the file", ERROR),
    Case("onnx-export-atomic", "export_onnx",
         "disk that fills up during the export (file size limit below the "
         "graph's size), over an existing ``.onnx`` file",
         "``OSError``; the existing file is unchanged and no temporary file is "
         "left (written to a temporary file, then renamed, as ``save`` does)",
         HANDLED),
    Case("onnx-bytes-labels", "export_onnx",
         "classifier fitted with bytes labels (``y.astype('S')``)",
         "``TypeError`` naming the class and suggesting ``np.char.decode`` (JSON "
         "metadata cannot hold bytes)", ERROR),
    Case("load-skops-fitted-state", "load",
         "scikit-learn step whose fitted arrays were altered: an ``SVC`` with "
         "``_dual_coef_`` or ``_intercept_`` shorter than libsvm reads (the "
         "interpreter segfaults at predict), more ``classes_`` than libsvm "
         "classes, permuted ``classes_``, NaN coefficients, invalid "
         "parameters",
         "``ValueError`` naming the file, the step, the estimator and the "
         "attribute with its expected shape, before anything predicts", ERROR),
    Case("predict-bounded-cost", "load + predict_proba",
         "each hostile model file under 10 MB above (3 MHz extractor, stored "
         "workers and ``spawn``, x1e30 weights, overriding parameters, an "
         "extractor at the 768 kHz bound), predicting a 1 s WAV file",
         "predicts or refuses in a fresh interpreter that never crashes, "
         "starts no child process and stays under 1 GiB peak and 10 s "
         "(measured: peak and time of the subprocess, its processes polled)",
         HANDLED),
    # -- audio ----------------------------------------------------------------
    Case("audio-rate-1hz", "LLDExtractor",
         "32 KB WAV file whose header says 1 Hz (or 10 MHz)",
         "``ValueError`` naming the file and the rate: 1000 to 768000 Hz "
         "expected (nothing is resampled)", ERROR),
    Case("audio-fifo", "LLDExtractor",
         "path of a FIFO (named pipe), with and without a cache",
         "``ValueError`` naming the file: not a regular file (no hang)", ERROR),
    Case("audio-device-symlink", "LLDExtractor",
         "symbolic link to ``/dev/zero``, with and without a cache",
         "``ValueError`` naming the file: a device, not a regular file", ERROR),
    Case("audio-wide-int", "LLDExtractor",
         "``int64`` waveform (``x16.astype(int)``), a list of ints, ``int8``, "
         "``uint16``",
         "``TypeError`` naming ``X[i]`` and the dtype, saying how to convert "
         "(``x.astype(np.float32) / 32768``); never scaled by a guess", ERROR),
    Case("audio-long-resample", "LLDExtractor",
         "2-minute 48 kHz stereo WAV file",
         "resampled while it is decoded: Python-side peak below 0.35 x the "
         "file size, whatever its duration (the whole signal in float64 "
         "before, then the decoded signal); same samples as ``resample_poly`` "
         "within 1e-6", HANDLED),
    Case("audio-long-duration", "LLDExtractor / EncoderExtractor / "
         "predict_timeline",
         "6 MB FLAC file holding 10 hours of silence; a file longer than "
         "``max_duration`` whose header gives no length",
         "``ValueError`` naming the file, its duration and ``max_duration`` "
         "(1 hour for the extractors, 24 hours for the timeline; None for no "
         "bound): from the header before anything is decoded or hashed, else "
         "as soon as decoding passes the bound", ERROR),
    Case("audio-non-utf8-name", "LLDExtractor",
         "valid WAV file whose name is not valid UTF-8",
         "read with the cache off as with it on; same features", HANDLED),
    # -- feature cache --------------------------------------------------------
    Case("cache-flipped-byte", "LLDExtractor(memory=...)",
         "cache entry with one flipped bit in its features",
         "the SHA-256 of the features does not match: extracted again, the "
         "entry overwritten", HANDLED),
    Case("cache-foreign-entry", "LLDExtractor(memory=...)",
         "well-formed, shorter entry of another input in an entry's place, or "
         "an entry cut short with its frame count edited",
         "the key stored in the entry (or the checksum) does not match: "
         "extracted again", HANDLED),
    Case("cache-read-only", "LLDExtractor(memory=...)",
         "cache folder that cannot be written (read-only, full)",
         "one ``UserWarning`` naming the folder and the reason; the features "
         "are computed and returned", HANDLED),
    Case("cache-entry-directory", "LLDExtractor(memory=...)",
         "folder in place of a cache entry",
         "treated as a damaged entry: extracted again (an empty folder is "
         "replaced by the entry, a non-empty one left alone with one warning)",
         HANDLED),
    Case("cache-fifo-entry", "LLDExtractor(memory=...)",
         "FIFO (named pipe, no writer) in place of a cache entry",
         "entries are opened without blocking and only regular files read: "
         "counts as missing, extracted again and the entry written in its "
         "place", HANDLED),
    Case("cache-symlinked-folder", "LLDExtractor(memory=...)",
         "a folder of the cache replaced by a symbolic link to another folder",
         "no entry is written through it (one ``UserWarning``: the cache "
         "cannot be written); the features are returned", HANDLED),
    Case("cache-location-not-a-folder", "LLDExtractor(memory=...)",
         "``memory`` naming a file; ``memory=\"\"``",
         "a file: one ``UserWarning`` and the features computed without a "
         "cache (the file is left alone); an empty path: ``ValueError`` (it "
         "would cache into the working directory)", HANDLED),
    Case("cache-file-changed", "LLDExtractor(memory=...)",
         "audio file rewritten by another process between its hash and its "
         "decoding",
         "``ValueError`` naming the file (it changed while it was read); "
         "nothing cached for it, so no entry holds features of other content "
         "than its key", ERROR),
    # -- estimators -----------------------------------------------------------
    Case("clf-bad-class-weight", "SERClassifier",
         "``class_weight`` with a NaN, inf, negative or non-numeric weight, or "
         "all weights 0",
         "``ValueError`` naming the class and the value (no training to NaN)",
         ERROR),
    Case("clf-mixed-type-labels", "SERClassifier / evaluate_sessions",
         "``y`` or ``groups`` mixing strings and numbers",
         "``TypeError`` naming a sample of each type, suggesting "
         "``.astype(str)`` (no bare ``'<' not supported``)", ERROR),
    Case("clf-one-sample-per-group", "SERClassifier",
         "``groups=np.arange(n)`` (one utterance per group) on a small corpus",
         "trains: the group-aware validation split uses fewer folds (at most "
         "the largest class count) instead of failing in scikit-learn", HANDLED),
    Case("ids-mixed-number-types", "SpeakerStandardScaler / SERClassifier / "
         "evaluate_sessions",
         "speakers, groups or labels ``1``, ``1.0`` and ``True`` in one list "
         "(equal in Python, so one dict key or one float after ``np.asarray``)",
         "``TypeError`` naming the first value of each type, suggesting "
         "``.astype(str)``; checked on the values as given, before numpy "
         "converts them", ERROR),
    Case("reg-huge-targets", "SERRegressor / load",
         "targets around 1e200 (finite, beyond float32); a model file whose "
         "``target_mean_`` is 1e300",
         "``ValueError`` at ``fit`` naming the sample, the target and the "
         "float32 range (no inf predictions, no file that ``load`` refuses "
         "later); the file is refused naming ``target_mean_``", ERROR),
    Case("save-params-changed-after-fit", "save",
         "``set_params(classifier__hidden_units=16)`` on a fitted pipeline, "
         "then ``save``",
         "``ValueError`` naming the step and the weights whose shapes no "
         "longer match; no file is written", ERROR),
    # -- timeline -------------------------------------------------------------
    Case("timeline-rate-bounds", "predict_timeline / StreamingRecognizer",
         "waveform with ``sampling_rate=1`` (16,000 times upsampled) or 10**9; "
         "a pipeline whose extractor was set to 3 MHz",
         "``ValueError`` naming ``sampling_rate`` and the range (1000 to "
         "768000 Hz for audio, 8000 to 768000 Hz for the extractor), before "
         "anything is resampled or reaches openSMILE; other rates are "
         "resampled a block at a time", ERROR),
    Case("timeline-huge-window", "predict_timeline / StreamingRecognizer",
         "``window=1e308`` or ``hop=1e308``",
         "``ValueError`` naming the parameter and the longest window (24 h), "
         "no ``OverflowError``", ERROR),
    # -- corpus files and clusters --------------------------------------------
    Case("csv-duplicate-column", "load_csv",
         "header line that names a column twice (``file,emotion,emotion``, "
         "also with spaces around a name)",
         "``ValueError`` naming the file, the column and its positions in the "
         "header (pandas would rename the second one and the first would "
         "silently be used)", ERROR),
    Case("dask-bad-n-workers", "sklearn_ser.dask.local_cluster",
         "``n_workers`` of 0, -1, ``\"2\"``, 1.5 or True",
         "``ValueError`` naming ``n_workers`` and the value, before any process "
         "is started (0 would start a cluster on which every task waits "
         "forever)", ERROR),
    # -- command line ---------------------------------------------------------
    Case("cli-model-not-a-file", "sklearn-ser predict / timeline / info",
         "model path that is a FIFO, a device (``/dev/null``) or a symbolic "
         "link to nothing",
         "exit status 1, one line saying what the path is (a FIFO, a "
         "character device, a link to a missing file), never \"does not "
         "exist\" for a path that exists; nothing blocks", ERROR),
    Case("cli-train-interrupted", "sklearn-ser train",
         "Ctrl-C (SIGINT) during training, over an existing model file",
         "exit status 130, one line saying no model was written (no \"fit "
         "done\" line); the existing file is unchanged, no temporary file is "
         "left", HANDLED),
    Case("cli-evaluate-interrupted", "sklearn-ser evaluate / demo",
         "Ctrl-C (SIGINT) in the first fold, or SIGTERM, during ``evaluate "
         "--n-jobs 2``",
         "stops at once: no further fold, no ``results.json``, exit status 130 "
         "(SIGTERM: 143), one line; joblib's worker processes are gone when "
         "the command ends", HANDLED),
    Case("cli-output-is-input", "sklearn-ser train",
         "``-o`` naming an audio file of the corpus (or its CSV), or an "
         "existing file that is not a model file",
         "exit status 1, one line naming the path, before training; the file "
         "is unchanged", ERROR),
    Case("cli-train-disk-full", "sklearn-ser train",
         "a folder for ``-o`` with less free space than the model needs, or "
         "that fills up while training",
         "refused before training (exit status 1, free and needed MiB named); "
         "a write that fails after training puts the model in the temporary "
         "(or home, or current) folder and names it (exit status 1)", HANDLED),
    Case("cli-plot-path", "sklearn-ser timeline",
         "``--plot`` naming a folder, a name without an image extension, or "
         "``/dev/full``",
         "exit status 1, one line naming the path and what is expected, before "
         "the recording is read; nothing written", ERROR),
    Case("cli-control-characters", "sklearn-ser predict / timeline / evaluate",
         "file names (or labels) with a tab, a newline or a terminal escape "
         "sequence",
         "text output shows such a name quoted with escapes (``\"a\\tb.wav\"``): "
         "one line per file, no raw control character", HANDLED),
    Case("cli-non-finite-output", "sklearn-ser predict / timeline",
         "a model whose probabilities come out NaN or inf (weights x1e30)",
         "an error naming the file (predict: the others are still predicted, "
         "exit status 1); JSON output is always valid JSON, never a bare "
         "``NaN``", ERROR),
    Case("cli-audio-warnings-once", "sklearn-ser evaluate / demo / train",
         "a corpus with clipped or narrowband recordings, folds in worker "
         "processes",
         "one ``warning:`` line per kind after the features are extracted, "
         "none repeated by the folds or their workers", HANDLED),
    Case("cli-output-checked-first", "sklearn-ser train / evaluate",
         "``-o`` in a missing or unwritable folder, ``-o`` a directory, "
         "``--out`` a file or not creatable",
         "exit status 1, one line naming the path, before the corpus is read "
         "or anything is trained", ERROR),
    Case("save-special-targets", "save / sklearn-ser train",
         "model path that is a symbolic link, a FIFO, a link to ``/dev/null``, "
         "a directory",
         "a link is written through (the link stays, its target gets the "
         "model); a FIFO or device is refused with ``ValueError``, a directory "
         "with ``IsADirectoryError``, naming the path", ERROR),
]
