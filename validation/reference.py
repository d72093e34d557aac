"""The float reference: the fused PyTorch student with the same frozen noise as the artifact."""

from __future__ import annotations

import copy
import logging

from msg_model.errors import InvalidInputError
from msg_model.fuse import fuse
from msg_model.fused import FusedSynthesis
from msg_model.spec import LoadedModel

logger = logging.getLogger(__name__)


class ReferenceModel:
    """A loaded model plus fused synthesis networks for each noise setting that artifacts ask for."""

    def __init__(self, model: LoadedModel):
        self.model = model
        self.synthesis_by_noise: dict[tuple[str, int | None], FusedSynthesis] = {}

    def loaded_noise_seed(self) -> int | None:
        generator = self.model.generator
        return None if generator is None else generator.synthesis.noise_seed

    def synthesis_for(self, noise_mode: str, noise_seed: int | None) -> FusedSynthesis:
        """Return the fused synthesis with `noise_mode` ("const" or "none") and the frozen noise of `noise_seed`.

        The model's own fused synthesis serves "const" with its own seed (or an unstated one). Other
        settings are fused again from the trainable form, which a model loaded from an IR folder
        lacks; that raises InvalidInputError.
        """
        if noise_mode == "const" and noise_seed in (None, self.loaded_noise_seed()):
            return self.model.synthesis
        key = (noise_mode, noise_seed)
        if key not in self.synthesis_by_noise:
            self.synthesis_by_noise[key] = self.fuse_with_noise(noise_mode, noise_seed)
        return self.synthesis_by_noise[key]

    def fuse_with_noise(self, noise_mode: str, noise_seed: int | None) -> FusedSynthesis:
        generator = self.model.generator
        if generator is None:
            raise InvalidInputError(
                f"the artifact uses noise_mode={noise_mode!r}, noise_seed={noise_seed!r}, but reference {self.model.spec!r} "
                f"has its noise baked in and no trainable form to fuse again; validate against a checkpoint or safetensors file"
            )
        synthesis = copy.deepcopy(generator.synthesis)
        if noise_seed is not None:
            synthesis.set_noise_seed(noise_seed)
        logger.info("fusing the reference again with noise_mode=%s, noise_seed=%s", noise_mode, noise_seed)
        return fuse(synthesis, noise_mode=noise_mode).eval()
