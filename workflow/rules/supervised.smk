# Supervised learning on the Ising data (Carrasquilla & Melko 2017; Wetzel & Scherzer 2017):
# a phase-classifier ensemble trained at one L, evaluated at every L -> Tc(L) -> Tc;
# correlation-probing nets -> loss table and decision functions.
# Training resume state lives in results/.resume/ (never a declared output).
from physlens.supervised.names import probe_names

SUP = f"{RESULTS}/supervised"
SUP_RESUME = f"{RESULTS}/.resume/supervised"
SUP_CLASSIFIER_L = config["supervised"]["classifier"]["L"]
SUP_MEMBERS = list(range(config["supervised"]["classifier"]["members"]))
SUP_PROBES = probe_names(config["supervised"]["probes"])
# The config slice that fixes labels and train/val/test splits.
SUP_SPLIT = SUPERVISED_SPLIT
# Everything that shapes one classifier (the ensemble size only adds members).
SUP_CLASSIFIER = classifier_slice(config["supervised"])

# Registered in common.smk's STAGE_HEADLINES / STAGE_TARGETS. Lambdas, not functions:
# snakemake --lint asks rule files not to mix rules and function definitions.
# Headline-number files of the stage, merged into results/summary.json:
STAGE_HEADLINES["supervised"] = lambda: [
    f"{SUP}/headline_tc.json",
    f"{SUP}/probes/headline.json",
]
# Final files of the stage (figures, tables, headline numbers):
STAGE_TARGETS["supervised"] = (
    lambda: [
        f"{SUP}/figures/p_ordered.png",
        f"{SUP}/figures/tc_extrapolation.png",
        f"{SUP}/figures/loss_table.png",
        f"{SUP}/figures/decision_functions.png",
        f"{SUP}/tc.csv",
        f"{SUP}/probes/loss_table.csv",
        f"{SUP}/probes/decision_functions.csv",
    ]
    + STAGE_HEADLINES["supervised"]()
)


rule train_phase_classifier:
    input:
        data=f"{RESULTS}/ising/L{SUP_CLASSIFIER_L}.h5",
    output:
        model=f"{SUP}/classifier/member{{member}}/model.pt",
        meta=f"{SUP}/classifier/member{{member}}/model.json",
        history=f"{SUP}/classifier/member{{member}}/history.h5",
    log:
        f"{LOGS}/supervised/train_phase_classifier_member{{member}}.log",
    benchmark:
        f"{BENCH}/supervised/train_phase_classifier_member{{member}}.tsv"
    wildcard_constraints:
        member=r"\d+",
    conda:
        "../../envs/train.yaml"
    threads: 1
    resources:
        gpu=1,
        mem_mb=4000,
        runtime=minutes(30),
    params:
        split=SUP_SPLIT,
        classifier=SUP_CLASSIFIER,
        training=config["training"],
        seed=config["seed"],
        resume=f"{SUP_RESUME}/classifier/member{{member}}",
    script:
        "../scripts/train_phase_classifier.py"


rule supervised_predict_phase:
    input:
        data=f"{RESULTS}/ising/L{{L}}.h5",
        train_data=f"{RESULTS}/ising/L{SUP_CLASSIFIER_L}.h5",
        models=expand(f"{SUP}/classifier/member{{member}}/model.pt", member=SUP_MEMBERS),
        metas=expand(
            f"{SUP}/classifier/member{{member}}/model.json", member=SUP_MEMBERS
        ),
    output:
        f"{SUP}/classifier/predictions_L{{L}}.h5",
    log:
        f"{LOGS}/supervised/predict_phase_L{{L}}.log",
    benchmark:
        f"{BENCH}/supervised/predict_phase_L{{L}}.tsv"
    conda:
        "../../envs/train.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=minutes(10),
    params:
        split=SUP_SPLIT,
        seed=config["seed"],
        beta_over_nu=config["supervised"]["tc"]["beta_over_nu"],
    script:
        "../scripts/supervised_predict_phase.py"


rule supervised_tc:
    input:
        expand(f"{SUP}/classifier/predictions_L{{L}}.h5", L=ISING_SIZES),
    output:
        table=f"{SUP}/tc.csv",
        headline=f"{SUP}/headline_tc.json",
    log:
        f"{LOGS}/supervised/tc.log",
    benchmark:
        f"{BENCH}/supervised/tc.tsv"
    conda:
        "../../envs/train.yaml"
    resources:
        mem_mb=2000,
        runtime=minutes(10),
    params:
        sizes=ISING_SIZES,
        tc=config["supervised"]["tc"],
        seed=config["seed"],
    script:
        "../scripts/supervised_tc.py"


rule train_probe:
    input:
        data=f"{RESULTS}/ising/L{config['supervised']['probes']['L']}.h5",
    output:
        model=f"{SUP}/probes/{{probe}}/model.pt",
        meta=f"{SUP}/probes/{{probe}}/model.json",
        history=f"{SUP}/probes/{{probe}}/history.h5",
    log:
        f"{LOGS}/supervised/train_probe_{{probe}}.log",
    benchmark:
        f"{BENCH}/supervised/train_probe_{{probe}}.tsv"
    wildcard_constraints:
        probe=r"constant|\d+x\d+",
    conda:
        "../../envs/train.yaml"
    threads: 1
    resources:
        gpu=1,
        mem_mb=4000,
        runtime=minutes(30),
    params:
        split=SUP_SPLIT,
        probes=config["supervised"]["probes"],
        training=config["training"],
        seed=config["seed"],
        resume=f"{SUP_RESUME}/probes/{{probe}}",
    script:
        "../scripts/train_probe.py"


rule supervised_probes:
    input:
        data=f"{RESULTS}/ising/L{config['supervised']['probes']['L']}.h5",
        models=expand(f"{SUP}/probes/{{probe}}/model.pt", probe=SUP_PROBES),
        metas=expand(f"{SUP}/probes/{{probe}}/model.json", probe=SUP_PROBES),
    output:
        outputs=f"{SUP}/probes/outputs.h5",
        losses=f"{SUP}/probes/loss_table.csv",
        decision=f"{SUP}/probes/decision_functions.csv",
        headline=f"{SUP}/probes/headline.json",
    log:
        f"{LOGS}/supervised/probes.log",
    benchmark:
        f"{BENCH}/supervised/probes.tsv"
    conda:
        "../../envs/train.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=minutes(10),
    params:
        split=SUP_SPLIT,
        probes=config["supervised"]["probes"],
        names=SUP_PROBES,
        seed=config["seed"],
    script:
        "../scripts/supervised_probes.py"


rule plot_supervised_p_ordered:
    input:
        expand(f"{SUP}/classifier/predictions_L{{L}}.h5", L=ISING_SIZES),
        table=f"{SUP}/tc.csv",
    output:
        report(
            f"{SUP}/figures/p_ordered.png",
            caption="../report/supervised_p_ordered.rst",
            category="Supervised",
            subcategory="phase classifier",
        ),
    log:
        f"{LOGS}/supervised/plot_p_ordered.log",
    benchmark:
        f"{BENCH}/supervised/plot_p_ordered.tsv"
    conda:
        "../../envs/plot.yaml"
    resources:
        mem_mb=1000,
        runtime=minutes(5),
    params:
        claims=CLAIMS,
    script:
        "../scripts/plot_supervised_p_ordered.py"


rule plot_supervised_tc:
    input:
        table=f"{SUP}/tc.csv",
        headline=f"{SUP}/headline_tc.json",
    output:
        report(
            f"{SUP}/figures/tc_extrapolation.png",
            caption="../report/supervised_tc.rst",
            category="Supervised",
            subcategory="phase classifier",
        ),
    log:
        f"{LOGS}/supervised/plot_tc.log",
    benchmark:
        f"{BENCH}/supervised/plot_tc.tsv"
    conda:
        "../../envs/plot.yaml"
    resources:
        mem_mb=1000,
        runtime=minutes(5),
    params:
        claims=CLAIMS,
        nu=config["supervised"]["tc"]["nu"],
    script:
        "../scripts/plot_supervised_tc.py"


rule plot_supervised_losses:
    input:
        f"{SUP}/probes/loss_table.csv",
    output:
        report(
            f"{SUP}/figures/loss_table.png",
            caption="../report/supervised_losses.rst",
            category="Supervised",
            subcategory="correlation probing",
        ),
    log:
        f"{LOGS}/supervised/plot_losses.log",
    benchmark:
        f"{BENCH}/supervised/plot_losses.tsv"
    conda:
        "../../envs/plot.yaml"
    resources:
        mem_mb=1000,
        runtime=minutes(5),
    params:
        claims=CLAIMS,
    script:
        "../scripts/plot_supervised_losses.py"


rule plot_supervised_decision:
    input:
        outputs=f"{SUP}/probes/outputs.h5",
        fits=f"{SUP}/probes/decision_functions.csv",
    output:
        report(
            f"{SUP}/figures/decision_functions.png",
            caption="../report/supervised_decision.rst",
            category="Supervised",
            subcategory="correlation probing",
        ),
    log:
        f"{LOGS}/supervised/plot_decision.log",
    benchmark:
        f"{BENCH}/supervised/plot_decision.tsv"
    conda:
        "../../envs/plot.yaml"
    resources:
        mem_mb=1000,
        runtime=minutes(5),
    params:
        claims=CLAIMS,
    script:
        "../scripts/plot_supervised_decision.py"
