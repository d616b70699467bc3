"""The corpus of ``evaluate`` and ``train``: IEMOCAP or a CSV of your own."""

import os

from . import _dimensions
from ._common import CLIError, add_target_option, check_dir, is_dimensional, plural

_SUBSETS = ("full", "improvised", "scripted")
_CSV_OPTIONS = ("audio_column", "label_column", "speaker_column", "session_column",
                "root")


def add_data_options(parser):
    """The corpus options of ``evaluate`` and ``train``."""
    group = parser.add_argument_group(
        "data", "An IEMOCAP copy (--iemocap ROOT) or your own corpus (--data CSV: "
        "one row per audio file, read with sklearn_ser.datasets.load_csv).")
    source = group.add_mutually_exclusive_group(required=True)
    source.add_argument("--iemocap", metavar="ROOT",
                        help="root of IEMOCAP_full_release (with Session1..Session5)")
    source.add_argument("--data", metavar="CSV",
                        help="CSV of your own corpus: a column of audio paths, one "
                        "of labels and, to evaluate, one of speakers or sessions")
    group.add_argument("--audio-column", default=None, metavar="NAME",
                       help="--data: column of the audio paths (default: file)")
    group.add_argument("--label-column", default=None, metavar="NAME",
                       help="--data: column of the labels (default: emotion)")
    group.add_argument("--speaker-column", default=None, metavar="NAME",
                       help="--data: column of the speakers (needed by "
                       "--normalization speaker; groups the folds when there is no "
                       "session column)")
    group.add_argument("--session-column", default=None, metavar="NAME",
                       help="--data: column of the sessions, the groups of the "
                       "leave-one-group-out folds")
    group.add_argument("--root", default=None, metavar="DIR",
                       help="--data: folder that relative audio paths start from "
                       "(default: the CSV's folder)")
    group.add_argument("--subset", choices=_SUBSETS, default=None,
                       help="--iemocap: all utterances, or those of the improvised "
                       "or of the scripted dialogues (default: full; the paper "
                       "reports full and improvised)")
    group.add_argument("--merge-excited", action="store_true",
                       help="--iemocap: relabel 'exc' (excited) as 'hap' (happy), "
                       "a common variant; the paper keeps ang, hap, neu, sad "
                       "without it")
    add_target_option(group)
    group.add_argument("--dimension-columns", type=_dimensions.dimension_columns,
                       default=None, metavar="NAMES",
                       help="--data with --target dimensions: the columns of the "
                       "dimensional ratings, separated by commas (default: "
                       f"{_dimensions.DEFAULT_COLUMNS}); the label column is still "
                       "read (IEMOCAP's dimensions are the [V, A, D] triple of each "
                       "utterance line, of all its utterances)")


def _check_option_sources(args, dimensional):
    """Refuse the options that do not apply to the corpus the others name."""
    csv_given = [f"--{name.replace('_', '-')}" for name in _CSV_OPTIONS
                 if getattr(args, name) is not None]
    if args.dimension_columns is not None and not dimensional:
        raise CLIError("--dimension-columns applies to --target dimensions")
    if args.iemocap is not None:
        if args.dimension_columns is not None:
            csv_given.append("--dimension-columns")
        if csv_given:
            raise CLIError(f"{', '.join(csv_given)} apply to --data, not --iemocap")
        if dimensional and args.merge_excited:
            raise CLIError("--merge-excited relabels the categories; with --target "
                           "dimensions it changes nothing (the targets are the "
                           "[V, A, D] ratings): leave it out")
        return
    given = [flag for flag, value in (("--subset", args.subset),
                                      ("--merge-excited", args.merge_excited or None))
             if value is not None]
    if given:
        raise CLIError(f"{', '.join(given)} apply to --iemocap, not --data")


def load_data(args):
    """The corpus the options name, as a Bunch, and a one-line name.

    With ``--target dimensions`` the Bunch's ``target`` is the ``(n, k)``
    array of the dimensions, ``target_names`` their names and ``labels``
    the categories.
    """
    import numpy as np

    dimensional = is_dimensional(args)
    _check_option_sources(args, dimensional)
    if args.iemocap is not None:
        from ..datasets import load_iemocap

        check_dir(args.iemocap, "IEMOCAP root")
        subset = args.subset or "full"
        data = load_iemocap(args.iemocap, subset=subset,
                            merge_excited=args.merge_excited,
                            target="dimensions" if dimensional else "category")
        return data, f"IEMOCAP {subset}"
    if os.path.isdir(args.data):
        raise CLIError(f"--data {args.data!r} is a directory; give the CSV file "
                       "that lists the audio files and their labels")
    if not os.path.isfile(args.data):
        raise CLIError(f"--data {args.data!r} does not exist")
    if args.root is not None:
        check_dir(args.root, "--root")
    from ..datasets import load_csv

    columns = {name: getattr(args, name) for name in _CSV_OPTIONS
               if getattr(args, name) is not None}
    data = load_csv(args.data, **columns)
    name = os.path.basename(args.data)
    if dimensional:
        names = args.dimension_columns or list(_dimensions.DIMENSIONS)
        data.labels = data.target
        data.target = _dimensions.csv_dimensions(data, names, name)
        data.target_names = np.array(names)
    return data, name


def category_labels(data):
    """The emotion categories of the corpus (also with dimensional targets)."""
    if data.target.ndim == 1:
        return data.target
    return getattr(data, "labels", None)


def audio_paths(data):
    """The real paths of the corpus's audio files (those that are paths)."""
    return {os.path.realpath(f) for f in data.filenames if isinstance(f, str)}


def speakers_of(args, data):
    """The speakers of the corpus; a CLIError when speaker normalisation lacks them."""
    speakers = getattr(data, "speakers", None)
    if args.normalization == "speaker" and speakers is None:
        raise CLIError("--normalization speaker needs the speaker of each file: "
                       "give --speaker-column")
    return speakers


def fold_groups(args, data):
    """The groups of the folds and their number; a CLIError if unusable."""
    import numpy as np

    groups = getattr(data, "groups", None)
    if groups is None:
        raise CLIError("evaluate needs the group of each file, so that no test "
                       "speaker is seen in training: give --session-column or "
                       "--speaker-column")
    n_groups = len(np.unique(groups))
    if n_groups < 2:
        raise CLIError(f"evaluate needs at least 2 sessions or speakers, the corpus "
                       f"has {n_groups}")
    n_splits = args.n_splits if args.n_splits is not None else min(5, n_groups)
    if not 2 <= n_splits <= n_groups:
        raise CLIError(f"--n-splits must be between 2 and the number of groups "
                       f"({n_groups}), got {n_splits}")
    return groups, n_splits


def describe_corpus(data, name, groups=None, n_splits=None):
    """One line: the corpus, its utterances and targets (and its folds)."""
    import numpy as np

    from ._output import counts, shown

    if data.target.ndim == 2:
        names = [str(n) for n in data.target_names]
        what = (f"dimensions {_dimensions.describe_targets(data.target, names)} "
                "(mean +- std)")
    else:
        k = len(np.unique(data.target))
        what = f"{k} {'class' if k == 1 else 'classes'} ({counts(data.target)})"
    line = f"{shown(name)}: {len(data.target)} utterances, {what}"
    if groups is not None:
        line += (f", {plural(len(np.unique(groups)), 'group')}, {n_splits} "
                 "leave-one-group-out folds")
    return line


def model_inputs(kind, data, speakers):
    """``X`` of the corpus for a pipeline: audio, with the speakers if it needs them."""
    X = list(data.filenames)
    if kind.needs_speakers:
        from ..pipeline._evaluation import with_speakers

        X = with_speakers(X, speakers)
    return X
