# Headline numbers of every stage merged into one machine-readable summary.


rule summary:
    input:
        headline_files(),
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
