#!/bin/bash
# CMC on MPI ranks under PBS Pro (ALCF Polaris: Cray MPICH, launched with mpiexec/PALS).
# Build once with MPI:  cargo install --path crates/cli --features mpi
# Submit:               qsub scripts/cluster/pbs_mpi.sh      (edit the #PBS lines first)
# One rank per node, all cores of the node for its chains; a rerun resumes from the
# finished shards in $OUT/cmc/shards.
#PBS -N homodyne_cmc_mpi
#PBS -A YOUR_PROJECT
#PBS -q debug
#PBS -l select=4:system=polaris
#PBS -l walltime=01:00:00
#PBS -l filesystems=home:eagle
set -euo pipefail
cd "${PBS_O_WORKDIR:-.}"
CONFIG=${CONFIG:-homodyne_config.yaml}
OUT=${OUT:-homodyne_results}
NODES=$(wc -l < "$PBS_NODEFILE")
mpiexec -n "$NODES" --ppn 1 --depth 32 \
    homodyne --config "$CONFIG" --output-dir "$OUT" --method cmc --cmc-backend mpi
