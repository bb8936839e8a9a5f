"""micro-ltx: the small LTX-Video model Shotloom trains on its shapes world and ships in the
package (``engine/assets/models/micro-ltx``; the training script is ``engine.gen.micro.train``).

The LTX family's pipelines, conditioning and latent layout, unchanged; what differs is what its
training fixed and where its weights come from:

- captions were padded to 32 tokens in training, and the pipelines run T5 without an attention
  mask, so the padding length is part of the model (the LTX default is 128);
- it was trained in float32 and its matrices are tiny: "auto" means float32 (bfloat16 only blurs
  it) and one torch thread (as fast on a free machine; on a busy one, two threads waited for each
  other's core at every OpenMP barrier and a take took ten times longer);
- the weights are package data, never downloaded and never built: a missing folder means a broken
  installation (``loading.resolve_model`` says so).
"""

from __future__ import annotations

from typing import Any

from engine.errors import GenerationError
from engine.gen.families import register
from engine.gen.families.ltx import LTX

MAX_SEQUENCE_LENGTH = 32


@register
class MicroLTX(LTX):
    name = "micro_ltx"
    auto_dtype = "float32"
    torch_threads = 1

    def _args(self, ctx, num_frames: int, *, prompt: str | None = None, output_type: str = "np") -> dict[str, Any]:
        args = super()._args(ctx, num_frames, prompt=prompt, output_type=output_type)
        args["max_sequence_length"] = MAX_SEQUENCE_LENGTH
        return args

    def build_tiny(self, entry, dst) -> None:
        raise GenerationError(f"{entry.id} ships trained weights with Shotloom; it has no tiny build")
