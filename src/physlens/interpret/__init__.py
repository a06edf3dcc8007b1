"""Interpretation of trained networks in physical terms.

probing: bottleneck regression (which observable a neuron computes) and linear probes of
whole layers. Symbolic regression lives in physlens.symbolic; candidate observables in
physlens.observables.
"""
