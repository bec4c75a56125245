#!/bin/bash
# CMC as a Slurm job array (NERSC Perlmutter and most university clusters), no MPI.
#   1. homodyne cmc plan --config C.yaml --output-dir OUT   (last line: "N shards")
#   2. sbatch --array=0-$((N-1)) scripts/cluster/slurm_array.sh   (edit the #SBATCH lines)
#   3. afterwards: homodyne cmc combine --output-dir OUT
#      (or chain it: sbatch --dependency=afterok:<array job id> --wrap "homodyne cmc combine --output-dir OUT")
# Rerun a failed task alone with --array=I; finished shards are skipped.
#SBATCH --job-name=homodyne_cmc
#SBATCH --account=YOUR_ACCOUNT
#SBATCH --qos=regular
#SBATCH --constraint=cpu
#SBATCH --nodes=1
#SBATCH --time=01:00:00
#SBATCH --array=0-99
set -euo pipefail
OUT=${OUT:-homodyne_results}
# The index comes from $SLURM_ARRAY_TASK_ID.
homodyne cmc shard --output-dir "$OUT"
