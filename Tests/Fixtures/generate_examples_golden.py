"""Golden values of the analyses of issue 14 on the bundled examples (examples/mola-tiny-*),
computed densely in float64 numpy: every dW_i = s B_i A_i is formed and compared directly.

For each example, for the first and last layer and the projections q_proj and down_proj:
  delta     ||dW_i - dW_j||_F                         (redundancy --metric delta)
  cosine    <dW_i, dW_j> / (|dW_i| |dW_j|)              (--metric cosine)
  subspace  |U_i^T U_j|_F^2 / r over the column spaces (left singular vectors of dW), with the
            principal angles in degrees; subspace_row the same over the row spaces
  router    the cosine of the router rows               (--metric router)
  spectrum  the singular values of every dW_i, effective rank, stable rank, top share
Written to Tests/Fixtures/examples-golden/<example>.json (a few kB each), checked by
Tests/MoLAAnalysisTests/ExampleGoldenTests.swift.

Needs numpy only: safetensors files are read by hand and torch.save archives (ZIP + pickle)
with a restricted unpickler that only rebuilds float32 tensors. Run from the repository root:
python3 Tests/Fixtures/generate_examples_golden.py
"""
import itertools, json, pickle, struct, zipfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent.parent
OUT = ROOT / "Tests" / "Fixtures" / "examples-golden"
EXAMPLES = ["mola-tiny-2468", "mola-tiny-5555", "mola-tiny-8888"]
PROJECTIONS = [("self_attn", "q_proj"), ("mlp", "down_proj")]


def read_safetensors(path):
    data = path.read_bytes()
    length = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + length])
    base = 8 + length
    return {key: np.frombuffer(data[base + v["data_offsets"][0]:base + v["data_offsets"][1]], dtype="<f4").reshape(v["shape"])
            for key, v in header.items() if key != "__metadata__"}


def read_torch(path):
    archive = zipfile.ZipFile(path)
    top = archive.namelist()[0].split("/")[0]

    class Unpickler(pickle.Unpickler):
        def find_class(self, module, name):
            if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
                def rebuild(storage, offset, size, stride, *rest):
                    values = np.frombuffer(archive.read(f"{top}/data/{storage}"), dtype="<f4")
                    return np.lib.stride_tricks.as_strided(values[offset:], shape=size, strides=[s * 4 for s in stride]).copy()
                return rebuild
            if (module, name) == ("collections", "OrderedDict"):
                return dict
            if (module, name) == ("torch", "FloatStorage"):
                return "float32"
            raise pickle.UnpicklingError(f"refused {module}.{name}")

        def persistent_load(self, pid):
            assert pid[0] == "storage" and pid[1] == "float32"
            return pid[2]

    return Unpickler(__import__("io").BytesIO(archive.read(f"{top}/data.pkl"))).load()


def basis(matrix, r):
    u, s, _ = np.linalg.svd(matrix, full_matrices=False)
    rank = int((s > 1e-10 * s[0]).sum())
    return u[:, :min(rank, r)]


def main():
    OUT.mkdir(exist_ok=True)
    for example in EXAMPLES:
        folder = ROOT / "examples" / example
        config = json.loads((folder / "adapter_config.json").read_text())
        files = list(folder.glob("adapter_model.*"))
        tensors = read_safetensors(files[0]) if files[0].suffix == ".safetensors" else read_torch(files[0])
        layers = sorted({int(k.split(".")[4]) for k in tensors})
        result = {"example": example, "projections": []}
        for layer in [layers[0], layers[-1]]:
            for block, projection in PROJECTIONS:
                prefix = f"base_model.model.model.layers.{layer}.{block}.{projection}"
                experts = sum(1 for k in tensors if k.startswith(prefix + ".lora_A_"))
                r = tensors[f"{prefix}.lora_A_0.weight"].shape[0]
                s = config["lora_alpha"] / r
                dW = [s * tensors[f"{prefix}.lora_B_{e}.weight"].astype(np.float64) @ tensors[f"{prefix}.lora_A_{e}.weight"].astype(np.float64)
                      for e in range(experts)]
                router = tensors[f"{prefix}.router.router.weight"].astype(np.float64)
                columns = [basis(w, r) for w in dW]
                rows = [basis(w.T, r) for w in dW]
                entry = {"layer": layer, "projection": projection, "experts": experts,
                         "delta": [], "cosine": [], "subspace": [], "subspace_row": [], "router": [], "angles_degrees": [], "spectrum": []}
                for i, j in itertools.combinations(range(experts), 2):
                    entry["delta"].append([i, j, float(np.linalg.norm(dW[i] - dW[j]))])
                    entry["cosine"].append([i, j, float((dW[i] * dW[j]).sum() / (np.linalg.norm(dW[i]) * np.linalg.norm(dW[j])))])
                    for key, bases in [("subspace", columns), ("subspace_row", rows)]:
                        m = bases[i].T @ bases[j]
                        entry[key].append([i, j, float((m ** 2).sum() / min(bases[i].shape[1], bases[j].shape[1]))])
                    cosines = np.linalg.svd(columns[i].T @ columns[j], compute_uv=False)
                    entry["angles_degrees"].append([float(np.degrees(np.arccos(np.clip(c, 0, 1)))) for c in cosines])
                    entry["router"].append([i, j, float(router[i] @ router[j] / (np.linalg.norm(router[i]) * np.linalg.norm(router[j])))])
                for e in range(experts):
                    values = np.linalg.svd(dW[e], compute_uv=False)[:r]
                    p = values / values.sum()
                    entry["spectrum"].append({"singular_values": values.tolist(),
                                              "effective_rank": float(np.exp(-(p[p > 0] * np.log(p[p > 0])).sum())),
                                              "stable_rank": float((values ** 2).sum() / values[0] ** 2),
                                              "top_share": float(values[0] ** 2 / (values ** 2).sum())})
                result["projections"].append(entry)
        (OUT / f"{example}.json").write_text(json.dumps(result, separators=(",", ":")) + "\n")
        print(f"wrote {OUT / (example + '.json')}")


if __name__ == "__main__":
    main()
