#!/bin/bash
# CMC as a PBS Pro job array (ALCF Polaris and similar): one task per shard, no MPI.
#   1. plan (login node or a short job):  homodyne cmc plan --config C.yaml --output-dir OUT
#      its last stdout line reads "N shards": set -J 0-(N-1) below
#   2. qsub scripts/cluster/pbs_array.sh          (edit the #PBS lines first)
#   3. when all tasks are done:  homodyne cmc combine --output-dir OUT
# A task that fails or is killed can be rerun alone (qsub -J I-I ...); finished shards are
# never sampled again. Check your site's limits on array sizes and queued jobs.
#PBS -N homodyne_cmc
#PBS -A YOUR_PROJECT
#PBS -q debug
#PBS -l select=1:system=polaris
#PBS -l walltime=01:00:00
#PBS -l filesystems=home:eagle
#PBS -J 0-99
set -euo pipefail
cd "${PBS_O_WORKDIR:-.}"
OUT=${OUT:-homodyne_results}
# One shard per task, on all cores of the node; the index comes from $PBS_ARRAY_INDEX.
homodyne cmc shard --output-dir "$OUT"
