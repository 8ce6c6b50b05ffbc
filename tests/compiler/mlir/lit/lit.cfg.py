# lit.cfg.py — the pass tests: each .mlir file runs recipe-opt on small IR and checks the
# output with FileCheck, or the diagnostics with --verify-diagnostics (the expected message
# is written next to the op that causes it). CTest runs one lit invocation per file
# (tests/compiler/mlir/CMakeLists.txt passes the tool paths as --param, and an exec_root per
# file: parallel lit runs sharing one would race on its .lit_test_times.txt).
import os

import lit.formats

config.name = "recipe-mlir"
config.test_format = lit.formats.ShTest(execute_external=True)
config.suffixes = [".mlir"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = lit_config.params.get("exec_root", "/tmp/recipe-mlir-lit")

tools = [os.path.dirname(lit_config.params["recipe_opt"]),
         os.path.dirname(lit_config.params.get("filecheck", "/usr/lib/llvm-19/bin/FileCheck"))]
config.environment["PATH"] = os.pathsep.join(tools + [os.environ.get("PATH", "")])
