"""Rendering on a remote GPU machine or a farm of them, on Ray.

The creator's machine runs no Ray: the editor and the command line talk to the farm's own HTTP API
(engine.farm.client, standard library only) through engine.farm.agent, a queue worker whose runner
is remote. The local SQLite queue stays the project's truth; a finished farm take comes back through
the same one-edit result path as a local one.

On the GPU side (`pip install 'shotloom[farm]'`): engine.farm.cluster starts the Ray head or joins
a machine to it, engine.farm.dispatcher owns the farm's job state durably, engine.farm.gpu is the
actor that keeps one GPU's pipelines warm, engine.farm.server is the HTTP API in front of them.
Ray is imported only by those GPU-side modules.
"""
