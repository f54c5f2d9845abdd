"""socialreward-torch: Social Reward (Isajanyan et al., ICLR 2024) as an
srbench scorer plugin in PyTorch that can also be trained with the paper's
recipe (fine-tuning the last CLIP blocks with a triplet loss) and exports
ONNX model directories for srbench's Go socialreward plugin.

Modules: :mod:`.model` (OpenAI-format CLIP), :mod:`.tokenizer` (CLIP BPE),
:mod:`.preprocess` (OpenAI's image transform), :mod:`.modeldir` (model
directories and fingerprints), :mod:`.engine` (scoring), :mod:`.trainer`
(the recipe), :mod:`.export` (ONNX directories), :mod:`.plugin` (the SDK
scorer) and :mod:`.cli` (``python -m socialreward_torch``).
"""

__version__ = "0.1.0"
