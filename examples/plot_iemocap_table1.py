"""
==============================================
Table 1 of the paper on a local IEMOCAP copy
==============================================

Leave-one-session-out evaluation of the four poolings on IEMOCAP (4 classes,
happy not merged with excited), as in the paper's Table 1. Set the
environment variable ``SKLEARN_SER_IEMOCAP`` to the root of
``IEMOCAP_full_release``; without it the example only prints what it would
do. The full protocol (200 epochs, 5 folds, 4 poolings) takes days on a CPU:
``SKLEARN_SER_EPOCHS`` sets a smaller budget, and the command line
``sklearn-ser evaluate`` runs the same protocol with more options.
"""

# %%
import os

from sklearn_ser import evaluate_sessions, make_ser_pipeline
from sklearn_ser._paper import PAPER_TABLE1
from sklearn_ser.datasets import load_iemocap

root = os.environ.get("SKLEARN_SER_IEMOCAP")
epochs = int(os.environ.get("SKLEARN_SER_EPOCHS", "200"))

if root is None or not os.path.isdir(root):
    print("SKLEARN_SER_IEMOCAP is not set to an IEMOCAP copy; nothing to run.")
    print("Paper (WA / UA %, full set):")
    for pooling, row in PAPER_TABLE1.items():
        print(f"  {pooling:<5} {row['full'][0]:.1f} / {row['full'][1]:.1f}")
else:
    data = load_iemocap(root, subset="improvised")
    for pooling in ["mean", "zhou", "yang", "lstm"]:
        pipe = make_ser_pipeline(pooling, memory=os.path.join(root, ".lld_cache"),
                                 max_epochs=epochs, random_state=0)
        result = evaluate_sessions(pipe, data.filenames, data.target, data.groups,
                                   params={"classifier__groups": data.speakers})
        wa, ua = PAPER_TABLE1[pooling]["improvised"]
        print(f"{pooling:<5} ours WA {100 * result.wa_mean:.1f} UA "
              f"{100 * result.ua_mean:.1f}   paper WA {wa} UA {ua}")
