# A two-rule workflow that checks what profiles/slurm makes SLURM do (tests/test_slurm.py):
# a GPU rule gets a GPU and cpus_per_gpu cores per GPU, and a failed job comes back with the
# profile's longer runtime on its next attempt.


rule all:
    input:
        "gpu.txt",
        "attempts.txt",


rule gpu_probe:
    output:
        "gpu.txt",
    resources:
        gpu=1,
    shell:
        "scontrol show job $SLURM_JOB_ID | grep -oE '(TresPerJob|CpusPerTres)=[^ ]+' > {output}; "
        "echo CUDA_VISIBLE_DEVICES=$CUDA_VISIBLE_DEVICES >> {output}"


# Named like the workflow's rule so that the profile's set-resources (runtime growing with
# each attempt) apply. Fails on its first attempt, succeeds on the second.
rule summary:
    output:
        "attempts.txt",
    shell:
        "if [ -e attempts.log ]; then again=1; else again=; fi; "
        "echo runtime={resources.runtime} timelimit=$(squeue -h -j $SLURM_JOB_ID -o %l) >> attempts.log; "
        "test -n \"$again\" && cp attempts.log {output}"
