"""The package's layers point one way: no module imports a layer above its own (lazy imports included)."""

import ast
from pathlib import Path

from dncnn import config

PACKAGE = config.PROJECT_ROOT / "dncnn"
# bottom to top; the modules of one layer may import each other
LAYERS = {
    "config": 0, "profiles": 0,
    "state": 3,  # the study's state (training.json), beside the catalogue: read by training, evaluation, analysis
    "files": 1, "runtime": 1,
    "data": 2,
    "model": 3,
    "training": 4,
    "evaluation": 5,
    "analysis": 6, "bench": 6, "restoration": 6,
    "commands": 7,
    "cli": 8, "__main__": 8,
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


ROOT_LAYER = 9  # "dncnn" itself: the package's face (dncnn.denoise) sits on top and may call any layer, lazily


def _layer(module: str) -> int:
    parts = module.split(".")
    return LAYERS[parts[1]] if len(parts) > 1 else ROOT_LAYER


def imports_of(path: Path, module: str | None = None) -> set[str]:
    """Every dncnn module that ``path`` (the module ``module``) imports, at module level or inside functions."""
    module = module or _module_name(path)
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "dncnn"}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            elif (node.module or "").split(".")[0] == "dncnn":
                target = node.module
            else:
                continue
            found.add(target)
            found |= {f"{target}.{a.name}" for a in node.names if (PACKAGE.parent / f"{target}.{a.name}".replace(".", "/")).exists()
                      or (PACKAGE.parent / (f"{target}.{a.name}".replace(".", "/") + ".py")).exists()}
    return found


def test_every_module_belongs_to_a_layer():
    for path in PACKAGE.rglob("*.py"):
        module = _module_name(path)
        if module != "dncnn":
            assert module.split(".")[1] in LAYERS, f"{module} is in no layer: add it to LAYERS and docs/layout.md"


def test_the_layout_guide_lists_every_module():
    text = (config.DOCS_DIR / "layout.md").read_text()
    missing = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).with_suffix("").as_posix()
        if path.name in ("__init__.py", "__main__.py"):
            continue
        if f"`{rel}`" not in text and f"`{rel.rsplit('/', 1)[0]}/`" not in text:
            missing.append(rel)
    assert not missing, f"docs/layout.md does not name {', '.join(missing)}: add a row to its table"


def test_no_import_goes_up_a_layer():
    upward = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = _module_name(path)
        for target in imports_of(path):
            if target != "dncnn" and _layer(target) > _layer(module):
                upward.append(f"{module} (layer {_layer(module)}) imports {target} (layer {_layer(target)})")
    assert not upward, "\n".join(upward)


def test_loading_a_model_does_not_import_training():
    for path in (PACKAGE / "model").glob("*.py"):
        assert not any(t.startswith("dncnn.training") for t in imports_of(path)), path.name


def test_evaluation_never_imports_training():
    """Evaluating a model reads the study's state (``dncnn.state``) and the catalogue, never the training code."""
    found = [f"{path.relative_to(PACKAGE)} imports {t}" for path in sorted((PACKAGE / "evaluation").rglob("*.py"))
             for t in imports_of(path) if t.startswith("dncnn.training")]
    assert not found, "\n".join(found)


def test_the_package_face_imports_only_lazily():
    """``import dncnn`` stays cheap: its ``__init__`` imports no layer at module level (``dncnn.denoise`` imports inside)."""
    tree = ast.parse((PACKAGE / "__init__.py").read_text())
    top = [node for node in tree.body if isinstance(node, ast.ImportFrom) and (node.level or "dncnn" in (node.module or ""))]
    assert not top


def test_the_checker_sees_lazy_and_relative_imports(tmp_path):
    found = imports_of(PACKAGE / "evaluation" / "denoisers.py")
    assert "dncnn.model.weights" in found and "dncnn.files.atomic" in found  # both imported inside functions
    fake = tmp_path / "fake.py"
    fake.write_text("from ..training.train import train\n\ndef f():\n    from dncnn.evaluation import protocol\n")
    found = imports_of(fake, module="dncnn.model.fake")
    assert {"dncnn.training.train", "dncnn.evaluation.protocol"} <= found
    assert all(_layer(t) > _layer("dncnn.model.fake") for t in found)


def public_definitions(root: Path = PACKAGE) -> dict[str, list[str]]:
    """Public name -> the modules under ``root`` that define it at top level (a function, class or
    assigned constant); an ``__init__.py``'s imports (re-exports) define nothing."""
    found: dict[str, list[str]] = {}
    for path in sorted(root.rglob("*.py")):
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names = [node.name]
            elif isinstance(node, (ast.Assign, ast.AnnAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                names = [n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)]
            else:
                continue
            for name in names:
                if not name.startswith("_"):
                    found.setdefault(name, []).append(str(path.relative_to(root.parent)))
    return found


def test_one_public_name_means_one_thing():
    clashes = {name: paths for name, paths in public_definitions().items() if len(paths) > 1}
    assert not clashes, "\n".join(f"{name} is defined in {', '.join(paths)}: rename one (one name, one meaning)"
                                  for name, paths in sorted(clashes.items()))


def test_the_name_checker_sees_functions_classes_and_constants(tmp_path):
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("from .a import SCALES\n")  # a re-export: not a definition
    (package / "a.py").write_text("SCALES = (2, 3)\n_private = 1\n\ndef load():\n    pass\n")
    (package / "sub" / "b.py").write_text("SCALES: tuple = (1.0, 0.9)\nx, load_it = 1, 2\n\nclass load:\n    pass\n")
    found = public_definitions(package)
    assert found["SCALES"] == ["pkg/a.py", "pkg/sub/b.py"] and found["load"] == ["pkg/a.py", "pkg/sub/b.py"]
    assert found["load_it"] == ["pkg/sub/b.py"] and "_private" not in found


def function_bodies_over(limit: int, root: Path = PACKAGE) -> list[str]:
    """``"<path>:<line> <name> (<n> lines)"`` of every function under ``root`` whose body, its
    docstring left out, spans more than ``limit`` lines."""
    found = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            body = node.body[1:] if ast.get_docstring(node) is not None else node.body
            if body and body[-1].end_lineno - body[0].lineno + 1 > limit:
                found.append(f"{path.relative_to(root.parent)}:{node.lineno} {node.name} "
                             f"({body[-1].end_lineno - body[0].lineno + 1} lines)")
    return found


def test_no_function_body_is_over_60_lines(tmp_path):
    assert not function_bodies_over(60), "split: " + "; ".join(function_bodies_over(60))
    package = tmp_path / "pkg"
    package.mkdir()
    long_body = "\n".join(f"    x{i} = {i}" for i in range(61))
    (package / "a.py").write_text(f'def short():\n    """Doc."""\n    return 1\n\n\ndef long():\n    """Doc\n    more."""\n{long_body}\n')
    assert [entry.split(" ")[1] for entry in function_bodies_over(60, package)] == ["long"]  # the checker sees it


def test_no_row_label_is_parsed_back_into_a_model():
    """Names and facts come from the catalogue (dncnn/model/catalog.py); a label is never split or searched."""
    patterns = ('split(" ")[0]', '"ours" in', "startswith(\"DnCNN", "startswith(\"CDnCNN")
    found = [f"{path.relative_to(PACKAGE.parent)}: {pattern}" for path in sorted(PACKAGE.rglob("*.py"))
             for pattern in patterns if pattern in path.read_text()]
    assert not found, "\n".join(found)
