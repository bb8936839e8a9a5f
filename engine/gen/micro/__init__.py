"""micro-ltx: a small LTX-Video model trained here, on the shapes world, shipped with Shotloom.

No machine where Shotloom is built or tested reaches a model hub, so the demo, the tests and a
first-time user need a model that makes real pictures offline. micro-ltx is built from the real
diffusers classes (``AutoencoderKLLTXVideo``, ``LTXVideoTransformer3DModel``, a small
``T5EncoderModel`` with a word-level tokenizer over the caption vocabulary,
``FlowMatchEulerDiscreteScheduler``) and saved with ``save_pretrained``, so ``LTXPipeline``,
``LTXImageToVideoPipeline`` and ``LTXConditionPipeline`` load it unchanged.

- ``world``: the procedurally drawn footage it learns from (coloured shapes bouncing over a plain
  background, captioned from their parameters) and the reading of a clip back (colours, track).
- ``components``: the component configurations and the offline tokenizer.
- ``train``: the training script (``python -m engine.gen.micro.train``), deterministic from a seed
  and resumable; it produced the weights in ``engine/assets/models/micro-ltx``.

Only ``world`` and ``components`` are imported at run time; nothing here imports torch at module
level.
"""

from pathlib import Path

MODEL_ID = "micro-ltx"
WEIGHTS_DIR = Path(__file__).resolve().parents[2] / "assets" / "models" / MODEL_ID
