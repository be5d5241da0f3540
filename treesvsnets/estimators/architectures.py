"""The module settings of each built-in net that competes on tables, declared once.

:data:`TABLE_NETS` holds each net's settings and their defaults:
``TorchClassifier("ft_transformer")`` (a setting left None) and ``-e ft_transformer`` (the
registry's defaults) read the same entry, so the Python API and the command line build the
same module under one name; :func:`module_settings` puts the settings given in place of the
declared ones and refuses one the module does not take. The loop's settings (epochs,
optimizer, early stopping, device) are the estimator's, not the module's, and are not here.
Importing this imports nothing from torch (the registry reads it at start-up).

Each entry names exactly the settings its module takes (its builder in
:mod:`treesvsnets.estimators.torch.tabular` receives only these), at a CPU's size:

- ``resnet``: the paper's ResNet (Gorishniy et al. 2021, section 3.2), 2 blocks of 128;
- ``ft_transformer``: rtdl's default configuration for 2 blocks
  (``FTTransformer.get_default_kwargs(2)``: tokens of 128, 8 heads, attention dropout 0.15,
  FFN dropout 0.05). Until December 2026 the Python class built tokens of 96 with attention
  dropout 0.1 (the 1-block configuration's width) while the command line built 128; the
  paper's 2-block values, which every benchmark here used, are now both's;
- ``mlp_plr``: Gorishniy et al. 2022, periodic embeddings of 24 from 48 frequencies (initial
  scale 0.01, rtdl-num-embeddings' default), then an MLP of 2 blocks of 256;
- ``tabm``: Gorishniy et al. 2025 at a CPU's size, 16 heads over 2 blocks of 256, on PLR-lite
  embeddings of 16.
"""

from __future__ import annotations

from typing import Any

TABLE_NETS: dict[str, dict[str, Any]] = {
    "resnet": {
        "n_blocks": 2,
        "d_block": 128,
        "d_hidden_multiplier": 2.0,
        "dropout": 0.1,
        "residual_dropout": 0.0,
        "d_embedding": 8,
    },
    "ft_transformer": {
        "n_blocks": 2,
        "d_block": 128,
        "attention_heads": 8,
        "attention_dropout": 0.15,
        "ffn_dropout": 0.05,
        "residual_dropout": 0.0,
    },
    "mlp_plr": {
        "n_blocks": 2,
        "d_block": 256,
        "dropout": 0.1,
        "d_embedding": 24,
        "n_frequencies": 48,
        "frequency_scale": 0.01,
    },
    "tabm": {
        "n_blocks": 2,
        "d_block": 256,
        "dropout": 0.1,
        "ensemble_size": 16,
        "d_embedding": 16,
    },
}


def module_settings(architecture: str, given: dict[str, Any]) -> dict[str, Any]:
    """``architecture``'s declared settings, with those ``given`` in their place."""
    declared = TABLE_NETS[architecture]
    unknown = sorted(set(given) - set(declared))
    if unknown:
        raise TypeError(f"the {architecture} module takes no setting {', '.join(unknown)}")
    return {**declared, **given}


#: bytes an attention block keeps per (row, head, token, token) while it trains: its scores
#: and softmax in float32 and the dropout's mask (500 columns, 2 blocks, a batch of 128:
#: 4.6 GB estimated, 4.7 GB measured)
ATTENTION_BYTES = 4 + 4 + 1


def attention_bytes(params: dict[str, Any], tokens: int) -> int | None:
    """What a net of ``params`` attending over ``tokens`` tokens holds for its attention while
    it trains (None for a net without attention): it grows with the square of the tokens."""
    sizes = [params.get(key) for key in ("attention_heads", "n_blocks", "batch_size")]
    if not all(isinstance(size, int) and size > 0 for size in sizes):
        return None
    heads, blocks, batch = sizes
    return blocks * ATTENTION_BYTES * batch * heads * tokens**2
