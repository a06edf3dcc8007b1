"""Supervised learning on Ising configurations (Carrasquilla & Melko 2017; Wetzel & Scherzer 2017).

data: phase labels and train/val/test splits; tc: P(ordered|T), its 1/2 crossing and the
finite-size extrapolation; decision: sigmoid fits of network outputs against observables;
pipeline: the stage's steps as functions of file paths and config slices (called by the
thin Snakemake scripts and by the tests).
"""
