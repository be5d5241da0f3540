"""The devices a net test runs on: the CPU always, CUDA where there is one.

A test parametrized with ``DEVICES`` runs its CPU case everywhere; its CUDA case
is marked ``gpu`` and skips with a reason on a machine without CUDA, so
``pytest -m gpu`` on a GPU machine runs exactly the CUDA cases.
"""

import pytest
import torch

needs_cuda = [
    pytest.mark.gpu,
    pytest.mark.skipif(
        not torch.cuda.is_available(), reason="CUDA is not available on this machine"
    ),
]

DEVICES = ["cpu", pytest.param("cuda", marks=needs_cuda)]


def requires_cuda(test):
    """Mark a test that only makes sense on CUDA: ``gpu``, and skipped without CUDA."""
    for mark in needs_cuda:
        test = mark(test)
    return test
