"""Finishing a take: upscaling (image upscalers through spandrel) and frame interpolation (optical
flow, or a learned interpolator), each producing a new take of the same shot through the job queue.

weights.py   the finishing models, their weights found locally or through huggingface_hub (safetensors only)
upscale.py   tiled ×2/×4 upscaling of frames (torch; imported only inside jobs)
interpolate.py  frame-rate change and slow motion (engine.media.retime), which interpolator runs
rife.py      RIFE 4.22/4.26 (IFNet) in plain torch, loaded strictly from safetensors (imported only inside jobs)
jobs.py      the queue's runner for both kinds, the edit a finished job becomes
commands.py  `shotloom upscale` and `shotloom interpolate`
"""
