"""Record MoLA routing inside a PyTorch job, for `mola-inspect routing --trace DIR`.

Torch only. Attach a tracer to a model whose MoLA projections were built by the reference code
(GCYZSL/MoLA `Linear_MoE`: a `router` ModuleDict holding the `router` nn.Linear, `top_k`,
`number_experts`) or by any code that gives each adapted projection a `router` (an nn.Linear, or
a ModuleDict holding one) and a `top_k`; run forwards as usual; close it. Every process rank
writes its own files, so nothing is gathered between ranks:

    from mola_trace import RoutingTracer
    tracer = RoutingTracer(model, "traces/run-1", model_name="llama-2-7b mola-2468")
    for batch in loader:
        model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"])
    tracer.close()

    mola-inspect routing ADAPTER --trace traces/run-1      # merges every rank's shard

Files in DIR, per rank R (`torch.distributed` rank, else $RANK, else 0), NNNNN = R zero-padded:

1. `rank-NNNNN.safetensors`, N = every token row the routers saw, in forward order:
   - `mask`                                  U8  [N]     1 = a real token, 0 = padding
   - `layers.{l}.{projection}.indices`       I32 [N, K]  chosen experts, most probable first
   - `layers.{l}.{projection}.probabilities` F32 [N, K]  their softmax probabilities
   - `layers.{l}.{projection}.softmax`       F32 [N, E]  the whole softmax (with full_softmax)
2. `rank-NNNNN.json`, the manifest: format, version, model, rank, world_size, projections,
   experts_per_layer, top_k, full_softmax, tokens (N), counted_tokens (mask sum), shard.

The mask comes from the `attention_mask` keyword argument of each forward of `model` (all ones
when it is absent), or from `set_mask()` before the forward. Record forwards over whole
sequences (training, evaluation, scoring); generation with a key/value cache feeds the routers
one position at a time against a longer mask, which `close()` refuses. Routers recomputed by activation
checkpointing during the backward are not recorded twice. Statistics such as the mean
probability, the balance term and entropies need `full_softmax=True` (the default).
"""

import json
import os
import re

import torch

FORMAT = "mola-routing-trace"
VERSION = 1
PROJECTIONS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
_LAYER = re.compile(r"(?:^|\.)layers\.(\d+)\.")


def _router_linear(module):
    """The nn.Linear a MoLA projection routes with, or None when the module is not one."""
    router = getattr(module, "router", None)
    if isinstance(router, torch.nn.ModuleDict) and "router" in router:
        router = router["router"]
    return router if isinstance(router, torch.nn.Linear) else None


def find_routers(model):
    """(layer, projection, top_k, router nn.Linear) of every MoLA projection of `model`."""
    found = []
    for name, module in model.named_modules():
        router = _router_linear(module)
        projection = name.rsplit(".", 1)[-1]
        match = _LAYER.search(name + ".")
        if router is None or projection not in PROJECTIONS or match is None:
            continue
        layer = int(match.group(1))
        top_k = getattr(module, "top_k", 2)
        if isinstance(top_k, (list, tuple)):
            top_k = top_k[layer]
        found.append((layer, projection, int(min(top_k, router.out_features)), router))
    return sorted(found, key=lambda item: (item[0], PROJECTIONS.index(item[1])))


def _rank():
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        return torch.distributed.get_rank(), torch.distributed.get_world_size()
    return int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1))


def _tensor_bytes(tensor):
    tensor = tensor.contiguous()
    try:
        return tensor.numpy().tobytes()
    except (RuntimeError, TypeError):  # torch built without numpy
        return bytes(tensor.view(torch.uint8).reshape(-1).tolist())


def write_safetensors(path, tensors, metadata=None):
    """Writes `tensors` (name -> CPU tensor of U8, I32 or F32) as a safetensors file."""
    names = {torch.uint8: "U8", torch.int32: "I32", torch.float32: "F32"}
    header, blobs, offset = {}, [], 0
    for name, tensor in tensors.items():
        data = _tensor_bytes(tensor)
        header[name] = {"dtype": names[tensor.dtype], "shape": list(tensor.shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    if metadata:
        header["__metadata__"] = metadata
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    temporary = path + ".partial"
    with open(temporary, "wb") as out:
        out.write(len(text).to_bytes(8, "little"))
        out.write(text)
        for blob in blobs:
            out.write(blob)
    os.replace(temporary, path)


class RoutingTracer:
    """Forward hooks on every MoLA router of `model`, recording each token's top-K experts."""

    def __init__(self, model, directory, model_name="", full_softmax=True, rank=None, world_size=None):
        self.directory = directory
        self.model_name = model_name
        self.full_softmax = full_softmax
        detected = _rank()
        self.rank = detected[0] if rank is None else rank
        self.world_size = detected[1] if world_size is None else world_size
        self.routers = find_routers(model)
        if not self.routers:
            raise ValueError("no MoLA router found: expected modules with a `router` under layers.N.<projection>")
        self.experts = {}
        for layer, _, _, router in self.routers:
            self.experts.setdefault(layer, router.out_features)
        self.top_k = {}
        for layer, _, top_k, _ in self.routers:
            self.top_k.setdefault(layer, top_k)
        self.records = {(layer, projection): [] for layer, projection, _, _ in self.routers}
        self.masks = []
        self.pending_mask = None
        self.step = 0
        self.recorded_step = {}
        self.handles = [model.register_forward_pre_hook(self._before_forward, with_kwargs=True)]
        for layer, projection, top_k, router in self.routers:
            self.handles.append(router.register_forward_hook(self._router_hook(layer, projection, top_k)))

    def set_mask(self, attention_mask):
        """The padding mask ([batch, time], nonzero = real) of the next forward, when the model is not given it."""
        self.pending_mask = attention_mask

    def _before_forward(self, module, args, kwargs):
        self.step += 1
        mask = kwargs.get("attention_mask", self.pending_mask)
        self.pending_mask = None
        self.masks.append(None if mask is None else (mask.detach().reshape(-1) != 0).to(torch.uint8).cpu())

    def _router_hook(self, layer, projection, top_k):
        def hook(module, inputs, logits):
            if self.recorded_step.get((layer, projection)) == self.step:
                return  # recomputed by activation checkpointing
            self.recorded_step[(layer, projection)] = self.step
            with torch.no_grad():
                p = torch.softmax(logits.detach().reshape(-1, logits.shape[-1]).float(), dim=-1)
                top, index = torch.topk(p, top_k, dim=-1)
                record = {"indices": index.to(torch.int32).cpu(), "probabilities": top.cpu()}
                if self.full_softmax:
                    record["softmax"] = p.cpu()
            self.records[(layer, projection)].append(record)
        return hook

    def close(self):
        """Removes the hooks and writes this rank's shard and manifest. Returns the manifest."""
        for handle in self.handles:
            handle.remove()
        self.handles = []
        rows = [sum(r["indices"].shape[0] for r in records) for records in self.records.values()]
        if len(set(rows)) > 1:
            raise RuntimeError(f"routers saw different numbers of tokens: {sorted(set(rows))}")
        tokens = rows[0] if rows else 0
        first = next(iter(self.records.values()))
        masks = [torch.ones(r["indices"].shape[0], dtype=torch.uint8) if m is None else m
                 for m, r in zip(self.masks, first)]
        mask = torch.cat(masks) if masks else torch.zeros(0, dtype=torch.uint8)
        if mask.shape[0] != tokens:
            raise RuntimeError(f"the padding masks cover {mask.shape[0]} tokens, the routers {tokens}")
        tensors = {"mask": mask}
        for (layer, projection), records in self.records.items():
            for field in ("indices", "probabilities") + (("softmax",) if self.full_softmax else ()):
                k = self.top_k[layer] if field != "softmax" else self.experts[layer]
                tensors[f"layers.{layer}.{projection}.{field}"] = (
                    torch.cat([r[field] for r in records]) if records else torch.zeros(0, k, dtype=torch.int32 if field == "indices" else torch.float32))
        os.makedirs(self.directory, exist_ok=True)
        shard = f"rank-{self.rank:05d}.safetensors"
        write_safetensors(os.path.join(self.directory, shard), tensors, {"format": FORMAT})
        layers = sorted(self.experts)
        manifest = {
            "format": FORMAT, "version": VERSION, "model": self.model_name,
            "rank": self.rank, "world_size": self.world_size,
            "projections": [p for p in PROJECTIONS if any(q == p for _, q, _, _ in self.routers)],
            "experts_per_layer": [self.experts[layer] for layer in layers],
            "top_k": [self.top_k[layer] for layer in layers],
            "full_softmax": self.full_softmax,
            "tokens": tokens, "counted_tokens": int(mask.sum()), "shard": shard,
        }
        path = os.path.join(self.directory, f"rank-{self.rank:05d}.json")
        with open(path + ".partial", "w") as out:
            json.dump(manifest, out, indent=1)
            out.write("\n")
        os.replace(path + ".partial", path)
        return manifest
