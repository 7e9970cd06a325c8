"""By-hand check of `advise --method alphalora` on SmolLM2-135M against the AlphaLoRA authors' code.

Not run by the tests (it needs the model, torch and transformers). Convert the GGUF to a Hugging
Face directory with the project's own converter, run the authors' `calculate_expert` and
`exponential_scaling` (imported from a checkout of peijunallin/alphalora, not copied) on it, and
compare with `mola-inspect advise --json`:
    mola-inspect convert ~/.cache/mola-inspect/SmolLM2-135M-Instruct.Q4_1.gguf --to-hf /tmp/smollm2-hf16 --dtype f16
    mola-inspect advise --from-base /tmp/smollm2-hf16 --json --output /tmp/ours.json
    /path/to/python Tests/Fixtures/check_alphalora_smollm2.py /path/to/alphalora /tmp/smollm2-hf16 /tmp/ours.json
Their script loads the model in float16, so convert to float16 for both sides to read the same
weights (measured: alphas within 2.7e-5, the same allocation; on the GGUF's own Float32 values the
KS choice of x_min moves in five layers). Prints both layer alphas and allocations and the largest difference.
"""
import importlib.util, json, sys
from pathlib import Path

import transformers  # before expert_number.py, whose module body sets HF cache paths
import torch

spec = importlib.util.spec_from_file_location("expert_number", Path(sys.argv[1]) / "expert_number.py")
reference = importlib.util.module_from_spec(spec)
spec.loader.exec_module(reference)
torch.manual_seed(25)
model = reference.get_llm(sys.argv[2])
model.eval()
theirs = reference.calculate_expert(model)
ours = json.loads(Path(sys.argv[3]).read_text())
our_alphas = [layer["evidence"]["alpha"] for layer in ours["layers"]]
allocation = [int(x) for x in reference.exponential_scaling(theirs, ours["total"], ours["beta"])]
print("theirs alphas:", [round(a, 4) for a in theirs])
print("ours   alphas:", [round(a, 4) for a in our_alphas])
print("largest |difference|:", max(abs(a - b) for a, b in zip(theirs, our_alphas)))
print("theirs allocation:", ",".join(map(str, allocation)))
print("ours   allocation:", ",".join(map(str, ours["allocation"])))
print("same allocation:", allocation == ours["allocation"])
