# Unsupervised learning on the Ising data (Wetzel 2017): PCA and (variational) autoencoders
# trained on all temperatures without labels -> latent vs magnetisation, phase clusters, Tc.
# Training resume state lives in results/.resume/ (never an output).
from physlens.config import model_names
from physlens.unsupervised.names import data_slice, model_config_slice

UNSUP = f"{RESULTS}/unsupervised"
UNSUP_RESUME = f"{RESULTS}/.resume/unsupervised"
UNSUP_DATA = f"{RESULTS}/ising/L{config['unsupervised']['L']}.h5"
UNSUP_MODELS = model_names(config["unsupervised"])  # ae1, vae2, ...
# The config slice that fixes the (symmetrised) data every unsupervised rule reads (with
# the seed, a param of its own).
UNSUP_DATA_SLICE = data_slice(config["unsupervised"])
# Final files of the stage, and its headline-number files (merged into results/summary.json).
# (Lambdas, not defs: `snakemake --lint` flags rule files that mix rules and functions.)
STAGE_HEADLINES["unsupervised"] = lambda: [f"{UNSUP}/pca/headline.json"] + expand(
    f"{UNSUP}/{{model}}/headline.json", model=UNSUP_MODELS
)
STAGE_TARGETS["unsupervised"] = (
    lambda: [
        f"{UNSUP}/figures/latent_scatter.png",
        f"{UNSUP}/figures/latent_vs_temperature.png",
        f"{UNSUP}/figures/pca_components.png",
        f"{UNSUP}/figures/pca_magnetization.png",
    ]
    + STAGE_HEADLINES["unsupervised"]()
)


rule unsupervised_pca:
    input:
        data=UNSUP_DATA,
    output:
        pca=f"{UNSUP}/pca/pca.h5",
        headline=f"{UNSUP}/pca/headline.json",
    log:
        f"{LOGS}/unsupervised/pca.log",
    benchmark:
        f"{BENCH}/unsupervised/pca.tsv"
    conda:
        "../../envs/train.yaml"
    threads: 2
    resources:
        mem_mb=data_mem_mb(3000, 10, ising_data_mb(config, config["unsupervised"]["L"])),
        runtime=minutes(10),
    params:
        data=UNSUP_DATA_SLICE,
        pca=config["unsupervised"]["pca"],
        tc=config["unsupervised"]["tc"],
        seed=config["seed"],
    script:
        "../scripts/unsupervised_pca.py"


rule train_autoencoder:
    input:
        data=UNSUP_DATA,
    output:
        model=f"{UNSUP}/{{model}}/model.pt",
        meta=f"{UNSUP}/{{model}}/model.json",
        history=f"{UNSUP}/{{model}}/history.h5",
    log:
        f"{LOGS}/unsupervised/train_{{model}}.log",
    benchmark:
        f"{BENCH}/unsupervised/train_{{model}}.tsv"
    conda:
        "../../envs/train.yaml"
    threads: 2
    resources:
        gpu=1,
        mem_mb=3000,
        runtime=minutes(30),
    params:
        data=UNSUP_DATA_SLICE,
        model=lambda w: model_config_slice(config["unsupervised"], w.model),
        training=config["training"],
        seed=config["seed"],
        resume=f"{UNSUP_RESUME}/{{model}}",
    script:
        "../scripts/train_autoencoder.py"


rule unsupervised_analyse:
    input:
        data=UNSUP_DATA,
        model=f"{UNSUP}/{{model}}/model.pt",
        meta=f"{UNSUP}/{{model}}/model.json",
    output:
        latent=f"{UNSUP}/{{model}}/latent.h5",
        ranking=f"{UNSUP}/{{model}}/bottleneck_ranking.h5",
        headline=f"{UNSUP}/{{model}}/headline.json",
    log:
        f"{LOGS}/unsupervised/analyse_{{model}}.log",
    benchmark:
        f"{BENCH}/unsupervised/analyse_{{model}}.tsv"
    conda:
        "../../envs/train.yaml"
    threads: 1
    resources:
        mem_mb=3000,
        runtime=minutes(10),
    params:
        data=UNSUP_DATA_SLICE,
        clusters=config["unsupervised"]["clusters"],
        tc=config["unsupervised"]["tc"],
        probing=config["interpret"]["probing"],
        seed=config["seed"],
    script:
        "../scripts/unsupervised_analyse.py"


rule plot_unsupervised_latent:
    input:
        expand(f"{UNSUP}/{{model}}/latent.h5", model=UNSUP_MODELS),
    output:
        report(
            f"{UNSUP}/figures/latent_scatter.png",
            caption="../report/unsupervised_latent_scatter.rst",
            category="Unsupervised",
        ),
    log:
        f"{LOGS}/unsupervised/plot_latent_scatter.log",
    benchmark:
        f"{BENCH}/unsupervised/plot_latent_scatter.tsv"
    conda:
        "../../envs/plot.yaml"
    resources:
        mem_mb=1000,
        runtime=minutes(5),
    params:
        claims=CLAIMS,
    script:
        "../scripts/plot_unsupervised_latent.py"


rule plot_unsupervised_curves:
    input:
        expand(f"{UNSUP}/{{model}}/latent.h5", model=UNSUP_MODELS),
    output:
        report(
            f"{UNSUP}/figures/latent_vs_temperature.png",
            caption="../report/unsupervised_latent_vs_temperature.rst",
            category="Unsupervised",
        ),
    log:
        f"{LOGS}/unsupervised/plot_latent_vs_temperature.log",
    benchmark:
        f"{BENCH}/unsupervised/plot_latent_vs_temperature.tsv"
    conda:
        "../../envs/plot.yaml"
    resources:
        mem_mb=1000,
        runtime=minutes(5),
    params:
        claims=CLAIMS,
    script:
        "../scripts/plot_unsupervised_curves.py"


rule plot_unsupervised_pca_components:
    input:
        f"{UNSUP}/pca/pca.h5",
    output:
        report(
            f"{UNSUP}/figures/pca_components.png",
            caption="../report/unsupervised_pca_components.rst",
            category="Unsupervised",
        ),
    log:
        f"{LOGS}/unsupervised/plot_pca_components.log",
    benchmark:
        f"{BENCH}/unsupervised/plot_pca_components.tsv"
    conda:
        "../../envs/plot.yaml"
    resources:
        mem_mb=1000,
        runtime=minutes(5),
    params:
        claims=CLAIMS,
    script:
        "../scripts/plot_unsupervised_pca_components.py"


rule plot_unsupervised_pca_magnetization:
    input:
        f"{UNSUP}/pca/pca.h5",
    output:
        report(
            f"{UNSUP}/figures/pca_magnetization.png",
            caption="../report/unsupervised_pca_magnetization.rst",
            category="Unsupervised",
        ),
    log:
        f"{LOGS}/unsupervised/plot_pca_magnetization.log",
    benchmark:
        f"{BENCH}/unsupervised/plot_pca_magnetization.tsv"
    conda:
        "../../envs/plot.yaml"
    resources:
        mem_mb=1000,
        runtime=minutes(5),
    params:
        claims=CLAIMS,
    script:
        "../scripts/plot_unsupervised_pca_magnetization.py"
