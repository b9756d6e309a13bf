"""Opening an index takes on its saved user words (candidate names) lazily: each is taught to jieba only when a
text to segment contains it. Segmentation must be exactly what teaching every word up front gives — a name inside
an unspaced run, two names side by side, a name that is part of a longer one — and the other names stay untaught."""

from __future__ import annotations

import json
import random
import subprocess
import sys

from pipeline.core.paths import REPO_ROOT

SURNAMES = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许何吕施张孔曹严华金魏陶姜戚谢邹喻柏水窦章云苏潘葛奚范彭郎"
GIVEN = "雨桐梓涵一诺欣怡浩宇子轩思远俊杰诗琪嘉怡博文晓梅雪婷志强建华丽娟秀英桂兰海燕"
SEGMENT = """
import json, sys
from pathlib import Path
from pipeline.search import analyzer
names_file, texts, mode = Path(sys.argv[1]), json.loads(sys.argv[2]), sys.argv[3]
if mode == "eager":
    analyzer.add_user_words(names_file.read_text(encoding="utf-8").split())
else:
    analyzer.load_user_dictionary(names_file)
out = [analyzer.words(t) for t in texts]
print(json.dumps({"words": out, "taught": len(analyzer._USER_WORDS), "known": len(analyzer.user_words())}))
"""


def _run(names_file, texts: list[str], mode: str) -> dict:
    done = subprocess.run([sys.executable, "-c", SEGMENT, str(names_file), json.dumps(texts), mode], cwd=REPO_ROOT,
                          capture_output=True, text=True, check=True, timeout=300)
    return json.loads(done.stdout)


def test_lazily_taught_names_segment_exactly_as_names_taught_up_front(tmp_path):
    rng = random.Random(5)
    names = sorted({rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, rng.choice((1, 2)))) for _ in range(4000)})
    names += ["欧阳雨桐", "欧阳雨"]                              # one name inside a longer one
    (tmp_path / "userdict.txt").write_text("\n".join(names) + "\n", encoding="utf-8")
    picked = rng.sample(names, 30)
    texts = [f"考生{a}与{b}参加电工实操考核，{c}{d}缺考" for a, b, c, d in zip(*[iter(picked)] * 4, strict=False)]
    texts += ["欧阳雨桐的成绩", "欧阳雨的准考证", picked[0], f"{picked[1]} 电工 四级", "职业技能鉴定站"]
    eager, lazy = _run(tmp_path / "userdict.txt", texts, "eager"), _run(tmp_path / "userdict.txt", texts, "lazy")
    assert lazy["words"] == eager["words"]
    assert any(picked[0] in words for words in lazy["words"])          # the names really are single tokens
    assert lazy["known"] == eager["known"] == len(set(names))           # none lost (saved again with the index)
    assert lazy["taught"] < 60 < eager["taught"]                        # only the names the texts contain
