"""Numba-compiled kernels on flat NumPy arrays (installed as ``hpo_core.kernels``).

Imports only numpy and numba. Each public wrapper validates its input and allocates outputs,
then calls a private ``@njit`` kernel.
"""
