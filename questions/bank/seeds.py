"""The source notes the bank was written from: each file name (kept in `sources` for traceability) and the title users see."""
from __future__ import annotations

from questions.languages import check_language

# file name in shared/seeds/ -> its title in each language. Users never see the file names; pages show these titles.
SEED_TITLES: dict[str, dict[str, str]] = {
    "000_2140d564b5e31594.txt": {"en": "MoE parallelism implementation notes (zh)", "zh": "MoE 并行策略实现总结"},
    "001_af5af4a038612498.txt": {"en": "MoE parallelism interview questions (zh)", "zh": "MoE 并行策略面试题合集"},
    "002_8e12b2257a568922.txt": {"en": "Textbook chapter 15.2, MoE architecture (zh)", "zh": "教材 15.2 节：MoE 专家混合模型架构"},
    "003_80ad598c709aaa42.txt": {"en": "Interview notes, MoE architecture (zh)", "zh": "面试笔记：MOE 架构"},
    "004_ac9308a275c74e69.txt": {"en": "Interview notes, MoE architecture (zh, Markdown)", "zh": "面试笔记：MOE 架构（Markdown 版）"},
}
SEED_FILES: tuple[str, ...] = tuple(SEED_TITLES)


def seed_title(file_name: str, lang: str) -> str:
    """The title users see for a source note, e.g. "MoE parallelism interview questions (zh)"."""
    check_language(lang)
    if file_name not in SEED_TITLES:
        raise ValueError(f"seed ({file_name!r}) must be one of {list(SEED_TITLES)}")
    return SEED_TITLES[file_name][lang]
