// validate-rules: rules and events valid in their context.
// RUN: recipe-opt %s --split-input-file --validate-rules --verify-diagnostics | FileCheck %s

// A table recorded in an earlier phase (or earlier in the same phase) lets later phases
// rank blocks; such a module passes unchanged.
// CHECK-LABEL: module
// CHECK:       recipe.rule focus when #recipe.cond<ppl gt p50>
// CHECK:       recipe.rule order with {by = "ppl", direction = "descending"}
recipe.dataset @d = "shards" {paths = ["d/*.bin"]}
recipe.phase @learn for #recipe.qty<1 epochs> {
  recipe.rule record with {metric = "ppl", per = "block"}
}
recipe.phase @focus for #recipe.qty<1 epochs> {
  recipe.rule focus when #recipe.cond<ppl gt p50>
  recipe.rule stop when #recipe.cond<loss lt 1.5>
}
recipe.phase @curriculum for #recipe.qty<10 steps> {
  recipe.rule order with {by = "ppl", direction = "descending"}
}
recipe.event "loss_spike" when #recipe.cond<loss gt 4 sigma> -> "skip"

// -----

recipe.phase @first for #recipe.qty<1 epochs> {
  // expected-error @+1 {{`focus` in phase `first` needs a per-block table, but no earlier phase or rule records one}}
  recipe.rule focus when #recipe.cond<ppl gt p50>
}

// -----

recipe.phase @p for #recipe.qty<10 steps> {
  // expected-error @+1 {{percentile threshold in `grad_norm > p90` needs the per-block table; only `focus` and `drop` rank blocks}}
  recipe.rule stop when #recipe.cond<grad_norm gt p90>
}

// -----

recipe.phase @p for #recipe.qty<10 steps> {
  recipe.rule record with {metric = "ppl", per = "block"}
  // expected-error @+1 {{a sigma threshold does not rank blocks: `ppl > 3 sigma`}}
  recipe.rule drop when #recipe.cond<ppl gt 3 sigma>
}

// -----

// expected-note @+1 {{the `rest` phase}}
recipe.phase @main rest {
}
// expected-error @+1 {{phase `cool` comes after phase `main`, which runs for the rest of the run}}
recipe.phase @cool for #recipe.qty<10 steps> {
}

// -----

recipe.tokenizer @t = "bytes" {}
recipe.dataset @web = "text" {paths = ["w/*.txt"], tokenizer = @t}
recipe.phase @p for #recipe.qty<10 steps> {
  // expected-error @+1 {{`val.ppl(web.val)`: dataset `web` has no `val` split}}
  recipe.rule stop when #recipe.cond<val.ppl(web.val) lt 20>
}

// -----

recipe.phase @p for #recipe.qty<10 steps> {
  // expected-error @+1 {{`loss` is compared with a plain number, not 10 steps}}
  recipe.rule stop when #recipe.cond<loss lt 10 steps>
}

// -----

recipe.dataset @d = "shards" {paths = ["d/*.bin"]}
recipe.mixture @m {
  recipe.weight @d 1.0
}
recipe.phase @p for #recipe.qty<10 steps> {
  recipe.rule mix {
    // expected-error @+1 {{mix entry `m` is not a dataset (run normalise-mixtures first)}}
    recipe.weight @m 1.0
  }
}

// -----

recipe.phase @p for #recipe.qty<10 steps> {
  // expected-error @+1 {{a sigma threshold needs a running series (loss or grad_norm): `step > 2 sigma`}}
  recipe.rule stop when #recipe.cond<step gt 2 sigma>
}
