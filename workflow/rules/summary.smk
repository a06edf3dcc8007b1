# Headline numbers of every stage merged into one machine-readable summary.
STAGE_TARGETS["provenance"] = lambda: [f"{RESULTS}/provenance/environment.tsv"]


rule summary:
    input:
        # a function: resolved after every rule file has registered its headline files
        lambda wildcards: headline_files(),
    output:
        json=f"{RESULTS}/summary.json",
        csv=f"{RESULTS}/summary.csv",
    log:
        f"{LOGS}/summary.log",
    benchmark:
        f"{BENCH}/summary.tsv"
    conda:
        "../../envs/plot.yaml"
    script:
        "../scripts/summary.py"


rule environment:
    output:
        report(
            f"{RESULTS}/provenance/environment.tsv",
            caption="../report/environment.rst",
            category="Reproducibility",
        ),
    log:
        f"{LOGS}/environment.log",
    benchmark:
        f"{BENCH}/environment.tsv"
    conda:
        "../../envs/train.yaml"
    script:
        "../scripts/environment.py"
