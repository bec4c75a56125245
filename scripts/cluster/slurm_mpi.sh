#!/bin/bash
# CMC on MPI ranks under Slurm (NERSC Perlmutter: Cray MPICH via srun).
# Build once with MPI:  cargo install --path crates/cli --features mpi
#                       (Perlmutter: module load PrgEnv-gnu; libclang must be available)
# Submit:               sbatch scripts/cluster/slurm_mpi.sh   (edit the #SBATCH lines first)
# One rank per node, all cores of the node for its chains; a rerun resumes from the
# finished shards in $OUT/cmc/shards.
#SBATCH --job-name=homodyne_cmc_mpi
#SBATCH --account=YOUR_ACCOUNT
#SBATCH --qos=regular
#SBATCH --constraint=cpu
#SBATCH --nodes=4
#SBATCH --ntasks-per-node=1
#SBATCH --cpus-per-task=128
#SBATCH --time=01:00:00
set -euo pipefail
CONFIG=${CONFIG:-homodyne_config.yaml}
OUT=${OUT:-homodyne_results}
srun homodyne --config "$CONFIG" --output-dir "$OUT" --method cmc --cmc-backend mpi
