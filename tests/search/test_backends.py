"""The engines themselves: clean imports on this Python, and one interface over both."""

import subprocess
import sys

import pytest

from pipeline.search.backends import open_backend
from pipeline.search.query import QAnd, QOr, QPhrase, QTerm
from pipeline.search.schema import SearchFilters, doc_from_meta, index_doc
from tests.search.conftest import CORPUS


def test_search_modules_import_without_syntax_or_deprecation_warnings():
    code = "import pipeline.search, pipeline.search.backends.whoosh_backend, pipeline.search.backends.tantivy_backend"
    run = subprocess.run([sys.executable, "-W", "error::SyntaxWarning", "-W", "error::DeprecationWarning",
                          "-c", code], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr


@pytest.mark.parametrize("name", ["whoosh", "tantivy"])
def test_both_engines_answer_the_same_primitives(name, tmp_path):
    backend = open_backend(name, tmp_path / name, create=True)
    backend.add([index_doc(doc_from_meta(meta)) for meta in CORPUS], fresh=True)
    assert backend.count() == len(CORPUS)
    plan = QAnd((QOr((QTerm("text", "电工"), QPhrase("grams", ("报名", "名登", "登记")))),),
                (QTerm("occupation", "焊工"),))
    found = {hit.archival_code for hit in backend.search(plan, SearchFilters(year=2024), 20)}
    assert found == {"J118-WS·2024-D10-KW-0001"}
    backend.delete(["J118-WS·2024-D10-KW-0001"])
    assert backend.search(plan, SearchFilters(year=2024), 20) == []
    backend.close()
    with pytest.raises(FileNotFoundError):
        open_backend(name, tmp_path / "nothing-here")
