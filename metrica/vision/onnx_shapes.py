"""Loosen an exported model's fixed input size, so one file runs at any stride multiple.

Detectors are usually exported for one square input (YOLOX-Nano: 416×416). Their graphs
are fully convolutional and compute reshapes from runtime shapes, so only the declared
sizes of the input and outputs pin them. Renaming those dims to symbols lets ONNX Runtime
run the same weights on a 16:9 letterbox (fewer wasted pixels) or a larger input (small,
far people). A graph that really is fixed fails at the first run, and the caller falls back.
"""

from __future__ import annotations

from pathlib import Path

import onnx


def with_free_spatial_dims(model_path: Path) -> bytes:
    """The model with its input's H and W and its outputs' non-batch dims made symbolic."""
    model = onnx.load(str(model_path))
    graph = model.graph
    initializers = {init.name for init in graph.initializer}
    inputs = [value for value in graph.input if value.name not in initializers]
    for value in inputs[:1]:
        dims = value.type.tensor_type.shape.dim
        for index, name in ((2, "height"), (3, "width")):
            if len(dims) > index:
                dims[index].ClearField("dim_value")
                dims[index].dim_param = name
    for number, value in enumerate(graph.output):
        for index, dim in enumerate(value.type.tensor_type.shape.dim):
            if index > 0:
                dim.ClearField("dim_value")
                dim.dim_param = f"out{number}_{index}"
    del graph.value_info[:]  # recorded intermediate shapes would contradict the new sizes
    serialized: bytes = model.SerializeToString()
    return serialized
