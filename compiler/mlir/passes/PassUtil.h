// PassUtil.h — small pieces the passes share.
#pragma once

#include <string>

#include "compiler/mlir/Dialect.h"
#include "mlir/IR/Builders.h"
#include "mlir/Pass/Pass.h"

namespace recipec::ir {

// Every pass after resolve-imports works on the merged module; run on unmerged IR it would
// silently see nothing, so it says so instead.
inline mlir::LogicalResult requireMerged(mlir::ModuleOp module, llvm::StringRef pass) {
  auto files = module.getBody()->getOps<FileOp>();
  if (files.empty()) return mlir::success();
  return (*files.begin()).emitError() << "`" << pass << "` needs the merged module; run resolve-imports first";
}

// The location a declaration was written at, without the parts of a fused location.
inline mlir::Location mainLoc(mlir::Location loc) {
  if (auto fused = llvm::dyn_cast<mlir::FusedLoc>(loc))
    if (!fused.getLocations().empty()) return fused.getLocations().front();
  return loc;
}

inline std::string quoted(llvm::StringRef s) { return "`" + s.str() + "`"; }

}  // namespace recipec::ir
