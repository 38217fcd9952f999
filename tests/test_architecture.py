"""The dependency rules of the layout: the import-linter contracts, moe_core importing only torch and stdlib (and
its checks importing no torch), and the sandbox's plain modules free of Streamlit, the app and the page."""
import subprocess
import sys
from pathlib import Path

import grimp

from tests.helpers.paths import ROOT


def test_import_linter_contracts_are_kept():
    lint_imports = Path(sys.executable).parent / "lint-imports"  # installed beside this Python (tests/requirements)
    done = subprocess.run([str(lint_imports), "--no-cache", str(ROOT / ".importlinter")],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "broken" in done.stdout and " 0 broken" in done.stdout


def external_imports(package: str) -> set[str]:
    """The top-level names of every package outside `package` that a module of `package` imports."""
    graph = grimp.build_graph(package, include_external_packages=True)
    external = {module for module in graph.modules if not module.startswith(package)}
    return {module.split(".")[0] for module in external if graph.find_modules_that_directly_import(module)}


def test_moe_core_imports_only_torch_and_the_standard_library():
    allowed = {"torch"} | set(sys.stdlib_module_names)
    assert external_imports("moe_core") - allowed == set()
    assert "torch" in external_imports("moe_core")


def test_the_external_import_check_sees_third_party_packages():
    # the same reader on the sandbox must see its third-party imports, or the moe_core check above proves nothing
    assert {"torch", "plotly"} <= external_imports("sandbox")


SANDBOX_PAGES = ("sandbox.page", "sandbox.calculator_page", "sandbox.experiments_page",
                 "sandbox.training_page")  # the page and its tabs
PAGES = ("questions.pages", *SANDBOX_PAGES)


def is_page(module: str) -> bool:
    return any(module == page or module.startswith(page + ".") for page in PAGES)


def test_no_library_or_feature_module_imports_a_page():
    graph = grimp.build_graph("moe_core", "questions", "sandbox")
    upward = sorted((importer, imported) for imported in graph.modules if is_page(imported)
                    for importer in graph.find_modules_that_directly_import(imported) if not is_page(importer))
    assert upward == []
    assert graph.find_modules_that_directly_import("questions.ui.shell")  # the graph holds the pages' imports


def test_only_the_sandbox_pages_import_streamlit_the_app_or_a_page():
    graph = grimp.build_graph("sandbox", "questions", include_external_packages=True)

    def forbidden(imported: str) -> bool:
        return imported == "streamlit" or imported.startswith(("questions.", "streamlit.")) or \
            imported in ("questions", *SANDBOX_PAGES)
    plain = [module for module in graph.modules if module.startswith("sandbox") and module not in SANDBOX_PAGES]
    found = sorted((module, imported) for module in plain
                   for imported in graph.find_modules_directly_imported_by(module) if forbidden(imported))
    assert found == []
    assert len(plain) > 5 and forbidden("streamlit")
    assert {"streamlit", "questions.ui.shell"} <= graph.find_modules_directly_imported_by("sandbox.page")


def test_moe_core_checks_import_no_torch():
    # the exercise runner checks a string with moe_core.checks: that must not import torch and the whole library
    done = subprocess.run([sys.executable, "-c", "import moe_core.checks, sys; assert 'torch' not in sys.modules"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]

