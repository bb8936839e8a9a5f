"""Render: the timeline as a plan of spans, the compositor, and export."""

from engine.render.compositor import Compositor
from engine.render.export import export, export_plan
from engine.render.plan import FrameRecipe, Layer, Mix, RenderPlan, Span, build_plan, make_plan

__all__ = [
    "Compositor", "FrameRecipe", "Layer", "Mix", "RenderPlan", "Span",
    "build_plan", "export", "export_plan", "make_plan",
]
