# SU(2) learning (Wetzel & Scherzer 2017): a phase-classifier ensemble on raw gauge links,
# trained away from beta_c -> P(deconfined | beta) -> beta_c; bottleneck regression of its
# logit against the Polyakov loop, the plaquette and a gauge-variant decoy.
# Training resume state lives in results/.resume/ (never a declared output).
S2L = f"{RESULTS}/su2_learning"
S2L_RESUME = f"{RESULTS}/.resume/su2_learning"
S2L_MEMBERS = list(range(config["su2_learning"]["classifier"]["members"]))
# Everything that shapes the labels, splits and classifiers (not beta_c or probing).
S2L_TRAIN = su2_training_slice(config["su2_learning"])
# The slice that fixes labels, splits and centre flips (what prediction needs).
S2L_SPLIT = split_slice(config["su2_learning"])
# With several N_s an ensemble is trained at each: su2.n_s's in S2L itself (probed and
# plotted), every other size's in S2L/Ns{n_s}; their crossings are extrapolated in N_s.
S2L_PREDICTIONS = [
    (
        f"{S2L}/predictions.h5"
        if n == config["su2"]["n_s"]
        else f"{S2L}/Ns{n}/predictions.h5"
    )
    for n in SU2_SIZES
]

# Registered in common.smk's STAGE_HEADLINES / STAGE_TARGETS. Lambdas, not functions:
# snakemake --lint asks rule files not to mix rules and function definitions.
# Headline-number files of the stage, merged into results/summary.json:
STAGE_HEADLINES["su2_learning"] = lambda: [
    f"{S2L}/headline_beta_c.json",
    f"{S2L}/probing/headline.json",
] + ([f"{S2L}/headline_beta_c_scaling.json"] if SU2_SCALING else [])
# Final files of the stage (figures, tables, headline numbers):
STAGE_TARGETS["su2_learning"] = (
    lambda: [
        f"{S2L}/figures/p_deconfined.png",
        f"{S2L}/figures/logit_vs_polyakov.png",
        f"{S2L}/figures/plaquette.png",
        f"{S2L}/beta_c.csv",
        f"{S2L}/probing/ranking.h5",
    ]
    + (
        [f"{S2L}/beta_c_scaling.csv", f"{S2L}/figures/beta_c_scaling.png"]
        if SU2_SCALING
        else []
    )
    + STAGE_HEADLINES["su2_learning"]()
)


rule su2_train_classifier:
    input:
        data=f"{RESULTS}/su2/configs.h5",
    output:
        model=f"{S2L}/classifier/member{{member}}/model.pt",
        meta=f"{S2L}/classifier/member{{member}}/model.json",
        history=f"{S2L}/classifier/member{{member}}/history.h5",
    log:
        f"{LOGS}/su2_learning/train_classifier_member{{member}}.log",
    benchmark:
        f"{BENCH}/su2_learning/train_classifier_member{{member}}.tsv"
    wildcard_constraints:
        member=r"\d+",
    conda:
        "../../envs/train.yaml"
    threads: 1
    resources:
        gpu=1,
        mem_mb=data_mem_mb(3000, 2.5, su2_data_mb(config)),
        runtime=minutes(30),
    params:
        su2_learning=S2L_TRAIN,
        training=config["training"],
        seed=config["seed"],
        resume=f"{S2L_RESUME}/classifier/member{{member}}",
    script:
        "../scripts/su2_train_classifier.py"


rule su2_predict_phase:
    input:
        data=f"{RESULTS}/su2/configs.h5",
        models=expand(f"{S2L}/classifier/member{{member}}/model.pt", member=S2L_MEMBERS),
        metas=expand(
            f"{S2L}/classifier/member{{member}}/model.json", member=S2L_MEMBERS
        ),
    output:
        f"{S2L}/predictions.h5",
    log:
        f"{LOGS}/su2_learning/predict_phase.log",
    benchmark:
        f"{BENCH}/su2_learning/predict_phase.tsv"
    conda:
        "../../envs/train.yaml"
    threads: 1
    resources:
        mem_mb=data_mem_mb(3000, 5, su2_data_mb(config)),
        runtime=minutes(10),
    params:
        su2_learning=S2L_SPLIT,
        seed=config["seed"],
    script:
        "../scripts/su2_predict_phase.py"


rule su2_beta_c:
    input:
        f"{S2L}/predictions.h5",
    output:
        table=f"{S2L}/beta_c.csv",
        headline=f"{S2L}/headline_beta_c.json",
    log:
        f"{LOGS}/su2_learning/beta_c.log",
    benchmark:
        f"{BENCH}/su2_learning/beta_c.tsv"
    conda:
        "../../envs/train.yaml"
    resources:
        mem_mb=1000,
        runtime=minutes(5),
    params:
        beta_c=config["su2_learning"]["beta_c"],
        seed=config["seed"],
        sizes=SU2_SIZES,
    script:
        "../scripts/su2_beta_c.py"


# The ensembles at the other sizes of su2.sizes (su2.n_s's are the rules above).
use rule su2_train_classifier as su2_train_classifier_size with:
    input:
        data=f"{RESULTS}/su2/configs_Ns{{n_s}}.h5",
    output:
        model=f"{S2L}/Ns{{n_s}}/classifier/member{{member}}/model.pt",
        meta=f"{S2L}/Ns{{n_s}}/classifier/member{{member}}/model.json",
        history=f"{S2L}/Ns{{n_s}}/classifier/member{{member}}/history.h5",
    log:
        f"{LOGS}/su2_learning/Ns{{n_s}}/train_classifier_member{{member}}.log",
    benchmark:
        f"{BENCH}/su2_learning/Ns{{n_s}}/train_classifier_member{{member}}.tsv"
    wildcard_constraints:
        n_s=r"\d+",
        member=r"\d+",
    resources:
        gpu=1,
        mem_mb=su2_mem_mb(3000, 2.5),
        runtime=minutes(30),
    params:
        su2_learning=S2L_TRAIN,
        training=config["training"],
        seed=config["seed"],
        resume=f"{S2L_RESUME}/Ns{{n_s}}/classifier/member{{member}}",


use rule su2_predict_phase as su2_predict_phase_size with:
    input:
        data=f"{RESULTS}/su2/configs_Ns{{n_s}}.h5",
        models=expand(
            f"{S2L}/Ns{{{{n_s}}}}/classifier/member{{member}}/model.pt",
            member=S2L_MEMBERS,
        ),
        metas=expand(
            f"{S2L}/Ns{{{{n_s}}}}/classifier/member{{member}}/model.json",
            member=S2L_MEMBERS,
        ),
    output:
        f"{S2L}/Ns{{n_s}}/predictions.h5",
    log:
        f"{LOGS}/su2_learning/Ns{{n_s}}/predict_phase.log",
    benchmark:
        f"{BENCH}/su2_learning/Ns{{n_s}}/predict_phase.tsv"
    wildcard_constraints:
        n_s=r"\d+",
    resources:
        mem_mb=su2_mem_mb(3000, 5),
        runtime=minutes(10),


rule su2_beta_c_scaling:
    input:
        S2L_PREDICTIONS,
    output:
        table=f"{S2L}/beta_c_scaling.csv",
        headline=f"{S2L}/headline_beta_c_scaling.json",
    log:
        f"{LOGS}/su2_learning/beta_c_scaling.log",
    benchmark:
        f"{BENCH}/su2_learning/beta_c_scaling.tsv"
    conda:
        "../../envs/train.yaml"
    resources:
        mem_mb=1000,
        runtime=minutes(5),
    params:
        sizes=SU2_SIZES,
        bootstrap=config["su2_learning"]["beta_c"]["bootstrap"],
        nu=config["su2"]["scaling"]["nu"],
        seed=config["seed"],
    script:
        "../scripts/su2_beta_c_scaling.py"


rule plot_su2_beta_c_scaling:
    input:
        peaks=f"{RESULTS}/su2/headline_scaling.json",
        crossings=f"{S2L}/headline_beta_c_scaling.json",
    output:
        report(
            f"{S2L}/figures/beta_c_scaling.png",
            caption="../report/su2_beta_c_scaling.rst",
            category="SU(2)",
        ),
    log:
        f"{LOGS}/su2_learning/plot_beta_c_scaling.log",
    benchmark:
        f"{BENCH}/su2_learning/plot_beta_c_scaling.tsv"
    conda:
        "../../envs/plot.yaml"
    resources:
        mem_mb=1000,
        runtime=minutes(5),
    params:
        claims=CLAIMS,
    script:
        "../scripts/plot_su2_beta_c_scaling.py"


rule su2_probing:
    input:
        data=f"{RESULTS}/su2/configs.h5",
        predictions=f"{S2L}/predictions.h5",
    output:
        ranking=f"{S2L}/probing/ranking.h5",
        headline=f"{S2L}/probing/headline.json",
    log:
        f"{LOGS}/su2_learning/probing.log",
    benchmark:
        f"{BENCH}/su2_learning/probing.tsv"
    conda:
        "../../envs/train.yaml"
    resources:
        mem_mb=data_mem_mb(2000, 4, su2_data_mb(config)),
        runtime=minutes(10),
    params:
        probing=config["su2_learning"]["probing"],
        interpret=config["interpret"]["probing"],
        seed=config["seed"],
    script:
        "../scripts/su2_probing.py"


rule plot_su2_p_deconfined:
    input:
        predictions=f"{S2L}/predictions.h5",
        headline=f"{S2L}/headline_beta_c.json",
    output:
        report(
            f"{S2L}/figures/p_deconfined.png",
            caption="../report/su2_p_deconfined.rst",
            category="SU(2)",
        ),
    log:
        f"{LOGS}/su2_learning/plot_p_deconfined.log",
    benchmark:
        f"{BENCH}/su2_learning/plot_p_deconfined.tsv"
    conda:
        "../../envs/plot.yaml"
    resources:
        mem_mb=1000,
        runtime=minutes(5),
    params:
        claims=CLAIMS,
    script:
        "../scripts/plot_su2_p_deconfined.py"


rule plot_su2_logit_vs_polyakov:
    input:
        f"{S2L}/predictions.h5",
    output:
        report(
            f"{S2L}/figures/logit_vs_polyakov.png",
            caption="../report/su2_logit_vs_polyakov.rst",
            category="SU(2)",
        ),
    log:
        f"{LOGS}/su2_learning/plot_logit_vs_polyakov.log",
    benchmark:
        f"{BENCH}/su2_learning/plot_logit_vs_polyakov.tsv"
    conda:
        "../../envs/plot.yaml"
    resources:
        mem_mb=1000,
        runtime=minutes(5),
    params:
        claims=CLAIMS,
    script:
        "../scripts/plot_su2_logit_vs_polyakov.py"


rule plot_su2_plaquette:
    input:
        f"{RESULTS}/su2/configs.h5",
    output:
        report(
            f"{S2L}/figures/plaquette.png",
            caption="../report/su2_plaquette.rst",
            category="SU(2)",
        ),
    log:
        f"{LOGS}/su2_learning/plot_plaquette.log",
    benchmark:
        f"{BENCH}/su2_learning/plot_plaquette.tsv"
    conda:
        "../../envs/plot.yaml"
    resources:
        mem_mb=1000,
        runtime=minutes(5),
    params:
        claims=CLAIMS,
    script:
        "../scripts/plot_su2_plaquette.py"
