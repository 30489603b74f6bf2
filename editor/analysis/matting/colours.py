"""Finding a lost subject again by its colours: the table of :mod:`editor.analysis.colours`
learnt on the prompted frame, read on the frame where it was lost."""

from __future__ import annotations

import cv2
import numpy as np

from editor.analysis.colours import colour_table, read_table
from editor.analysis.matting.types import round_kernel


class SubjectColours:
    """Finds a lost subject again by its colours (and its motion, when known)."""

    def __init__(self, image: np.ndarray, mask: np.ndarray):
        # (colours the subject hardly shows, or never, say nothing for it)
        self.table = colour_table(image, mask, ~mask, background_share=0.9, least=0.002)
        self.size = max(1, int(mask.sum()))

    def find(self, image: np.ndarray, evidence: np.ndarray | None = None) -> np.ndarray | None:
        """The region of ``image`` most like the subject: a connected blob of its colours
        (moving, where ``evidence`` says what moves) of about its size; None when no blob
        is convincing."""
        odds = cv2.GaussianBlur(read_table(self.table, image), (5, 5), 0)
        if evidence is not None:
            odds = odds * np.clip(evidence * 2.0, 0.0, 1.0)
        likely = (odds > 0.5).astype(np.uint8)
        h = image.shape[0]
        k = max(3, round(0.02 * h)) | 1
        likely = cv2.morphologyEx(likely, cv2.MORPH_CLOSE, round_kernel(k // 2))
        count, labels, stats, _ = cv2.connectedComponentsWithStats(likely, connectivity=8)
        best, best_mass = None, 0.0
        for i in range(1, count):
            area = stats[i, cv2.CC_STAT_AREA]
            if not 0.4 * self.size <= area <= 2.5 * self.size:
                continue
            region = labels == i
            mass = float(odds[region].mean())
            if mass > best_mass:
                best, best_mass = region, mass
        return best if best_mass >= 0.6 else None
