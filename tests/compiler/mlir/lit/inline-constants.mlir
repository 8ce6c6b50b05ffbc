// inline-constants: every #recipe.const<@x>, however nested, becomes x's value.
// RUN: recipe-opt %s --split-input-file --inline-constants --verify-diagnostics | FileCheck %s

// CHECK-LABEL: module
// CHECK-NEXT:    recipe.let @base = 6.000000e-04 : f64
// CHECK-NEXT:    recipe.let @cap = 4.000000e+00 : f64
// CHECK-NEXT:    recipe.let @lr = 6.000000e-04 : f64
// CHECK-NEXT:    recipe.let @w = 2.500000e-01 : f64
// CHECK-NEXT:    recipe.model @net = "gpt2" {d_model = 6.400000e+01 : f64, layers = 4.000000e+00 : f64}
// CHECK-NEXT:    recipe.dataset @web
// CHECK-NEXT:    recipe.train {
// CHECK-NEXT:      recipe.setting "optimizer" = #recipe.call<"adamw", {betas = [9.000000e-01, 6.000000e-04], lr = 6.000000e-04 : f64}>
// CHECK:         recipe.rule stop when #recipe.cond<loss gt 4>
// CHECK-NEXT:    recipe.rule mix {
// CHECK-NEXT:      recipe.weight @web 2.500000e-01 : f64 -> 6.000000e-04 : f64
// CHECK:         recipe.rule set with {lr = 6.000000e-04 : f64}
// CHECK-NOT:     #recipe.const
recipe.let @base = 6.0e-4
recipe.let @cap = 4.0
recipe.let @lr = #recipe.const<@base>
recipe.let @w = 0.25
recipe.model @net = "gpt2" {layers = 4.0, d_model = 64.0}
recipe.dataset @web = "shards" {paths = ["w/*.bin"]}
recipe.train {
  recipe.setting "optimizer" = #recipe.call<"adamw", {lr = #recipe.const<@lr>, betas = [0.9, #recipe.const<@base>]}>
}
recipe.phase @p for #recipe.qty<10 steps> {
  recipe.rule stop when #recipe.cond<loss gt #recipe.const<@cap>>
  recipe.rule mix {
    recipe.weight @web #recipe.const<@w> -> #recipe.const<@lr>
  }
  recipe.rule set with {lr = #recipe.const<@lr>}
}

// -----

// expected-error @+1 {{constant `a` is defined in terms of itself}}
recipe.let @a = #recipe.const<@b>
recipe.let @b = #recipe.const<@a>

// -----

recipe.phase @p for #recipe.qty<10 steps> {
  // expected-error @+1 {{unknown constant `nope`}}
  recipe.rule set with {lr = #recipe.const<@nope>}
}
