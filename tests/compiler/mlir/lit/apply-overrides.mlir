// apply-overrides: `--set name=value` (recipe.override) replaces a constant's value.
// RUN: recipe-opt %s --split-input-file --apply-overrides --verify-diagnostics | FileCheck %s

// CHECK-LABEL: module
// CHECK-NEXT:    recipe.let @lr = 3.000000e-04 : f64
// CHECK-NEXT:    recipe.let @warm = 1.000000e+02 : f64
// CHECK-NOT:     recipe.override
recipe.let @lr = 6.0e-4
recipe.let @warm = 100.0
recipe.override @lr = 3.0e-4

// -----

recipe.let @lr = 6.0e-4
// expected-error @+1 {{`--set lrr`: the recipe declares no constant `lrr` (did you mean `lr`?)}}
recipe.override @lrr = 3.0e-4

// -----

// The pass works on the merged module only.
// expected-error @+1 {{`apply-overrides` needs the merged module; run resolve-imports first}}
recipe.file "a.recipe" root {
}
