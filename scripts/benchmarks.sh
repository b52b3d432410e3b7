#!/usr/bin/env bash
# The benchmarks behind README's results: full 15-epoch trainings on the whole of MNIST, one
# after another (one training at a time: they use every core). Each stage's median epoch
# time is in its results/<stage>/seeds.md. Benchmarks, not tests: CI does not run them.
#
#   scripts/benchmarks.sh                 # everything, then the report
#   scripts/benchmarks.sh m4 holdout report   # only these groups, in this order
#
# A stopped group resumes where it stopped when started again. A results folder holding runs
# of other settings (older code, another recipe) is refused: delete it, or add --overwrite.
#
#   RAY=HEAD_HOST:6379 scripts/benchmarks.sh m5   # each command's seeds as tasks on a Ray
#   RAY=local scripts/benchmarks.sh m5            # cluster (pip install -r requirements-ray.txt)
#
# With RAY (and THREADS, each task's CPUs: default 1) every command fans its seeds out over the
# cluster; the results land here, as without it.
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-.venv/bin/python}
cluster=()
[ -z "${RAY:-}" ] || cluster=(--ray="$RAY" --threads="${THREADS:-1}")
train() { "$python" main.py --verbose=2 "${cluster[@]}" "$@"; }

# The seed stages on 3 seeds each, beside the PyTorch reference (issue 16). m4's seeds 0-2
# ran first, one at a time on both cores (the m4 group). The rest is the fidelity group: two
# runs at a time, one thread each, in this order --
#   the reference (--mode=torch, PyTorch's own initialisation): results/<stage>/torch/;
#   this package with the other initialisation: results/ablations/init-torch/ (m2-m4) or
#   results/ablations/init-keras/ (m1, which starts from PyTorch's since issue 16);
#   the stage itself: results/<stage>/;
#   the reference with Keras' initialisation: results/ablations/init-keras/<stage>/torch/.
# So far m4's reference and ablation ran here; m3's reference ran alone with its line's command,
# m2's alone with --threads=2 (each seeds.json records its command). Later, two at a time on
# one thread each: Keras m3 and m2, then the reference of m1 and Keras m1 (with TensorFlow's
# oneDNN kernels on, as every run since records), then m1 with PyTorch's initialisation and the
# --init=keras reference of m1. When m1's default became PyTorch's initialisation, its
# Keras-init runs (recorded as `--stage=m1 --output_dir=results`, revision 9c5a1d9) moved to
# results/ablations/init-keras/m1/, and `--stage=m1` reran alone, one thread: the same numbers
# as its --init=torch ablation, which was then deleted. Its runs record 51d1717+dirty: the
# uncommitted change was that default, committed next (eba7563). The --init=torch lines of m2-m3 and the
# --init=keras reference of m2-m4 have not run.
m4() { train --stage=m4 --seeds=0,1,2 --output_dir=results; }
fidelity_runs() {
  local stage
  echo "--mode=torch --init=torch --stage=m4 --output_dir=results"
  echo "--init=torch --stage=m4 --output_dir=results/ablations/init-torch"
  for stage in m3 m2 m1; do
    echo "--mode=torch --init=torch --stage=$stage --output_dir=results"
  done
  for stage in m3 m2; do
    echo "--init=torch --stage=$stage --output_dir=results/ablations/init-torch"
    echo "--stage=$stage --output_dir=results"
  done
  echo "--init=keras --stage=m1 --output_dir=results/ablations/init-keras"
  echo "--stage=m1 --output_dir=results"
  for stage in m1 m2 m3 m4; do
    echo "--mode=torch --init=keras --stage=$stage --output_dir=results/ablations/init-keras"
  done
}
fidelity() {
  fidelity_runs | xargs -P 2 -L 1 "$python" main.py --verbose=2 --threads=1 --seeds=0,1,2
}

# Ablations: one change each to m5 as it was before issue 11 (batch 64 at lr 0.05), so each
# command names those two values; their names say what they changed then, and the report gives
# each one's changes from today's m5 (seed 0; the weight decay and the rotation on seeds 0-4, as
# their effects are close to the spread between seeds).
old_m5=(--batch_size=64 --lr=0.05)
ablations() {
  train --stage=m5 --seeds=0,1,2,3,4 --output_dir=results/ablations/no-weight-decay \
    "${old_m5[@]}" --weight_decay=0
  train --stage=m5 --seeds=0,1,2,3,4 --output_dir=results/ablations/rotation-8 "${old_m5[@]}" \
    --rotation_degrees=8
  train --stage=m5 --seeds=0 --output_dir=results/ablations/no-dropout "${old_m5[@]}" --dropout=0
  train --stage=m5 --seeds=0 --output_dir=results/ablations/batch-128 --batch_size=128 --lr=0.1
  train --stage=m5 --seeds=0 --output_dir=results/ablations/m4-step-schedule "${old_m5[@]}" \
    --schedule=step --step_size=6 --gamma=0.1 --warmup_epochs=0 --cooldown_epochs=0 --min_lr=0
}

# Choosing without the test set: trained on the first 55,000 training images and scored after
# every epoch on the last 5,000 (--holdout=5000; results/holdout/<name>/m5/), the test set never
# loaded. Every candidate of issue 11, in the order it ran: the m5 of then (batch-64), one change
# each, screened on seeds 0-2 and the best on seeds 0-4; batch-32 won and is today's m5.
# ema-0.999 was planned and dropped unrun, for time. After the confirmation on seeds 100-109
# failed, the search went on from batch-32 (today's m5); translate-1 was stopped after seed 0,
# which it held by less than any other candidate (lowest 99.38). cosine-to-0 (the cosine ends
# at 0 at the end of epoch 15, instead of at 0.001 held for the last 3 epochs) beat batch-32 on
# seeds 0-4 in both the mean of the last 4 epochs and the final loss, and is today's m5; it ran
# as --cooldown_epochs=0 --min_lr=0 on top of batch-32. two-pools (and two-pools-ray, the same
# through Ray on one thread per run) ran in the walltime group below: it held far less than
# cosine-to-0 (1 of 5 seeds) and was dropped. The recorded commands predate batch-32 and so leave out --batch_size=64
# --lr=0.05, which these lines give (batch-64 was recorded as results/holdout/m5).
# The third round (issue 11, after the confirmation on 110-119 failed) tried changes to today's
# m5, two runs at a time on one thread each: BN's moving statistics at Keras' momentum 0.99
# (neither metric better than cosine-to-0 on seeds 0-4: dropped), and no dropout, as the model
# under-fits (its train accuracy, with dropout on, stays below its held-out accuracy); that was
# stopped after seeds 0-2, below cosine-to-0 on each. A fifth of the weight decay (the same
# idea) was planned and dropped unrun, for the m6 search below. Then, as separable convs fitted
# the small plans of that search better (higher train accuracy, lower held-out loss), m5's
# shape with 20 channels in the second conv and three separable convs of 40 after the pool
# (7,790 params), beside the m6 search: stopped after seed 0, below cosine-to-0 there in the
# last-4 mean (99.49 against 99.54) and the final loss (0.0183 against 0.0160).
SEARCH=("0,1,2,3,4 batch-64 --batch_size=64 --lr=0.05"
        "0,1,2 relu-before-bn --batch_size=64 --lr=0.05 --nobn_before_relu"
        "0,1,2,3,4 ema-0.99 --batch_size=64 --lr=0.05 --ema_momentum=0.99"
        "0,1,2 lr-0.1 --batch_size=64 --lr=0.1"
        "0,1,2 batch-32+lr-0.05 --lr=0.05"
        "0,1,2,3,4 batch-32"
        "0,1,2 dropout-0.1 --batch_size=64 --lr=0.05 --dropout=0.1"
        "0,1,2 bn-momentum-0.99 --bn_momentum=0.99"
        "0 translate-1 --translation_pixels=1"
        "0,1,2,3,4 cosine-to-0"
        "0,1,2,3,4 bn-momentum-0.99+cosine-to-0 --threads=1 --bn_momentum=0.99"
        "0,1,2 dropout-0+cosine-to-0 --threads=1 --dropout=0"
        "0 7790-separable-40 --threads=1 --plan=10v,20v,P,40sv,40sv,40sv,10x1l")
holdout() {
  local run
  for run in "${SEARCH[@]}"; do
    set -- $run
    train --stage=m5 --seeds="$1" --holdout=5000 --output_dir="results/holdout/$2" "${@:3}"
  done
}

# Issue 14's search for a stage of at most 5,000 params (m6): m5's recipe on smaller plans, scored
# on held-out images (results/holdout-m6/<name>/m5/, points of the frontier), first on a few
# seeds, one thread each beside another run. 4864-rf18: m5's shape with 8 and 12 channels
# where m5 has 10 and 16; 4864-rf24: a second pool before the last 3x3 conv (padded). rf24
# read higher than rf18 on seeds 0-2, and went on to seeds 3-4. Then two one-seed probes ran side
# by side: rf24 with 9 channels in the first conv (4,985 params), and rf24 without dropout.
# Then, two at a time: rf24 with a fifth of m5's weight decay, as the small plans under-fit
# (stopped after seeds 0-1, below rf24 on both in the last-4 mean and the final loss); m5's own
# shape with its first two convs kept and the three after the pool separable and 28 wide; four
# separable convs of 24 after the pool (receptive field 22). separable-28 read highest on seeds
# 0-2 (last-4 mean and final loss), became m6, and went on to seeds 3-4 (run as --seeds=3,4,
# then summarized with the 0-4 line, which finds 0-2 done): over 0-4 it still reads above
# rf24 (last-4 mean 99.44 against 99.41, final loss 0.0204 against 0.0217).
# m6 then missed the bar on seeds 100-109, and two more candidates ran side by side on seeds 0-2
# (`ONLY=<name> scripts/benchmarks.sh small`, one per process): 4960-separable-32, whose second
# conv is separable too, which pays for 12 and 24 channels at full resolution and 32 after the
# pool; and m6 with its first conv after the pool padded (GAP over 8x8 maps, not 6x6). Frozen
# before they ran: one replaces m6 (and is confirmed on seeds 110-119) only if, over seeds 0-2,
# it reads above m6 in the last-4 mean and below it in the final loss, with each seed's lowest
# of the last 4 at 99.40 or more. Neither did (seed 0: 99.34 and 99.36). Over seeds 0-2 separable-32 read
# level with m6 in the last-4 mean (99.46 against 99.45) and lower in the final loss (0.0183
# against 0.0196), so it went on to seeds 3-4, beside it batch 16 at lr 0.0125 (twice the updates
# again, at m5's lr-to-batch ratio). Over seeds 0-4 separable-32 read above m6 in both; with a
# core free, the two changes that read level or above m6 ran together on seeds 0-2:
# separable-32 with its first conv after the pool padded. Over seeds 0-2 (last-4 mean, final
# loss, lowest of the last 4 per seed): m6 99.45, 0.0196, 99.34/99.52/99.38; separable-32 99.46,
# 0.0183, 99.34/99.42/99.44; batch 16 99.50, 0.0191, 99.46/99.38/99.52; m6 padded 99.46,
# 0.0197; separable-32 padded 99.44, 0.0209. None met the rule (a seed under 99.40 each), so
# m6 stands and seeds 110-119 stay unused. Batch 16 then went on to seeds 3-4: over 0-4, last-4
# mean 99.49, final loss 0.0188, lowest per seed 99.46/99.38/99.52/99.40/99.46.
# Without dropout a small plan fitted its training images better and held-out images worse
# (4864-rf24+dropout-0), so two more ways to regularize batch 16 ran side by side on seeds 0-2,
# under the same rule: dropout 0.1 instead of 0.05, and random shifts of up to +-1 pixel.
# Dropout 0.1 was stopped after seeds 0-1: seed 1 fell to 99.36, so it could not meet the rule.
# Shifts of up to 1 pixel met it (last-4 mean 99.50 against 99.45, final loss 0.01959 against
# 0.01962, lowest per seed 99.46/99.46/99.44) and became m6.
SMALL=("0,1,2 4864-rf18 --plan=8v,12v,P,8x1,12v,12v,12v,10x1l"
       "0,1,2,3,4 4864-rf24 --plan=8v,12v,P,8x1,12v,12v,P,12,10x1l"
       "0 4985-rf24 --plan=9v,12v,P,8x1,12v,12v,P,12,10x1l"
       "0 4864-rf24+dropout-0 --plan=8v,12v,P,8x1,12v,12v,P,12,10x1l --dropout=0"
       "0,1 4864-rf24+weight-decay-1e-4 --plan=8v,12v,P,8x1,12v,12v,P,12,10x1l --weight_decay=1e-4"
       "0,1,2 4914-separable-28 --plan=10v,16v,P,28sv,28sv,28sv,10x1l"
       "0,1,2 4848-separable-24x4 --plan=8v,16v,P,24sv,24sv,24sv,24s,10x1l"
       "0,1,2,3,4 4914-separable-28 --plan=10v,16v,P,28sv,28sv,28sv,10x1l"
       "0,1,2 4960-separable-32 --plan=12v,24sv,P,32sv,32sv,32sv,10x1l"
       "0,1,2 4914-separable-28-padded --plan=10v,16v,P,28s,28sv,28sv,10x1l"
       "0,1,2,3,4 4960-separable-32 --plan=12v,24sv,P,32sv,32sv,32sv,10x1l"
       "0,1,2 4960-separable-32+batch-16 --plan=12v,24sv,P,32sv,32sv,32sv,10x1l --batch_size=16 --lr=0.0125"
       "0,1,2 4960-separable-32-padded --plan=12v,24sv,P,32s,32sv,32sv,10x1l"
       "0,1,2,3,4 4960-separable-32+batch-16 --plan=12v,24sv,P,32sv,32sv,32sv,10x1l --batch_size=16 --lr=0.0125"
       "0,1 4960-separable-32+batch-16+dropout-0.1 --plan=12v,24sv,P,32sv,32sv,32sv,10x1l --batch_size=16 --lr=0.0125 --dropout=0.1"
       "0,1,2 4960-separable-32+batch-16+translation-1 --plan=12v,24sv,P,32sv,32sv,32sv,10x1l --batch_size=16 --lr=0.0125 --translation_pixels=1")
small() {
  local run
  for run in "${SMALL[@]}"; do
    set -- $run
    [ -z "${ONLY:-}" ] || [ "$2" = "$ONLY" ] || continue
    train --threads=1 --stage=m5 --seeds="$1" --holdout=5000 \
      --output_dir="results/holdout-m6/$2" "${@:3}"
  done
}

# m5 is confirmed on seeds 110-119, never run before its recipe was frozen. It ran as
# `RAY=local THREADS=1 scripts/benchmarks.sh m5` (two runs at a time, one thread each; to repeat
# a run exactly, give it --threads=1). The first confirmation, on seeds 100-109, of the recipe
# before cosine-to-0, failed and is kept in results/m5-confirmation-100-109/; results/m5-tuning/
# keeps the test-set runs of seeds 0-4 that earlier sessions looked at while choosing.
m5() { train --stage=m5 --seeds=110,111,112,113,114,115,116,117,118,119 --output_dir=results; }

# m6 (issue 14: at most 5,000 params) is 4960-separable-32+batch-16+translation-1 of the small
# group, which met the rule above on held-out seeds 0-2, confirmed once on seeds 110-119, never
# run before; as m5, through `RAY=local THREADS=1 scripts/benchmarks.sh m6`. The first m6,
# separable-28, failed its confirmation on seeds 100-109 (results/m6-confirmation-100-109/).
m6() { train --stage=m6 --seeds=110,111,112,113,114,115,116,117,118,119 --output_dir=results; }

# Earlier versions of m5, kept in results/ablations/ as they were written (their command reads
# as m5's did then; each run records its revision). They put ReLU before BN and were written
# before --bn_before_relu existed: their files are rerun from their own revision, for example
# `git checkout 52a091b && scripts/benchmarks.sh m5` (--nobn_before_relu selects that order today):
#   relu-before-bn: m5 of revision 52a091b (conv -> ReLU -> BN), one change from the m5 of
#     issue 4.
#   relu-before-bn+no-weight-decay: that m5 with --weight_decay=0 (its seeds 1-4 record
#     0539d26+dirty: only its own seeds.json was uncommitted, see README).
#   relu-before-bn+rotation-8: revision 2cbd124, which also rotated by up to +-8 degrees.
#   relu-before-bn+rotation-8+no-weight-decay: revision 33fceb3, rotation and no weight decay.

# The shipped models: the last epoch (not the best one) of m5's and of m6's seed 110 (the first
# seed of each one's confirmation); each one's evaluation (pretrained/<name>_evaluation/:
# confusion.png, mistakes.png, evaluation.json) and exports, checked by their own runtimes
# (pretrained/<name>_export/export.json; the exported files are not committed). MODELS picks
# some: `MODELS=m6:110 scripts/benchmarks.sh pretrained` (a checkout's results keep no .keras).
pretrained() {
  local name_seed name
  mkdir -p pretrained
  for name_seed in ${MODELS:-m5:110 m6:110}; do
    name=${name_seed%:*}
    cp "results/$name/seed${name_seed#*:}/last.keras" "pretrained/$name.keras"
    cp "results/$name/seed${name_seed#*:}/metrics.json" "pretrained/$name.metrics.json"
    "$python" main.py --mode=evaluate --model="pretrained/$name.keras" \
      --output_dir="pretrained/${name}_evaluation"
    rm -rf "pretrained/${name}_export"
    "$python" main.py --mode=export --model="pretrained/$name.keras" \
      --export_dir="pretrained/${name}_export"
  done
}

# Ray's wall time on this machine: the same 5-seed m5 benchmark (held out, with the two-pool
# plan, a candidate of the search: receptive field 24 instead of 18, the same 7,906 params)
# one seed after another on every core, then through --ray=local, two one-thread runs at a
# time. Seconds of each into results/walltime.json.
walltime() {
  local plan=10v,16v,P,8x1,16v,16,P,16,10x1l start middle end
  local run=(--verbose=2 --stage=m5 --holdout=5000 --seeds=0,1,2,3,4 --plan=$plan)
  start=$(date +%s)
  "$python" main.py "${run[@]}" --output_dir=results/holdout/two-pools
  middle=$(date +%s)
  "$python" main.py "${run[@]}" --output_dir=results/holdout/two-pools-ray --ray=local --threads=1
  end=$(date +%s)
  printf '{"benchmark": "%s", "sequential_seconds": %d, "ray_local_seconds": %d, "cores": %d}\n' \
    "python main.py ${run[*]}" $((middle - start)) $((end - middle)) "$(nproc)" \
    > results/walltime.json
}

# Issue 12's faster path, checked for accuracy: --input=arrays (the augmentation inside the
# training step) on one seed of m4 and of m5, each beside another run, one thread each. Its
# m4 run records 51d1717+dirty: started before the commit that recorded --input in seeds.json.
input_arrays() {
  local stage_seed
  for stage_seed in m4:0 m5:110; do
    train --threads=1 --input=arrays --stage="${stage_seed%:*}" --seeds="${stage_seed#*:}" \
      --output_dir=results/ablations/input-arrays
  done
}

report() { "$python" main.py --mode=report; }

groups=("$@")
[ ${#groups[@]} -gt 0 ] || groups=(m4 fidelity holdout m5 ablations input_arrays small m6 pretrained
                                   report)
for group in "${groups[@]}"; do
  echo "== $group"
  "$group"
done
