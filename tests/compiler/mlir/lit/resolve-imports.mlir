// resolve-imports: the recipe.file ops merge by the rules of `use` and `extends`.
// RUN: recipe-opt %s --split-input-file --resolve-imports --verify-diagnostics | FileCheck %s

// `extends`: the derived file overrides named declarations by name, phases by name (the
// phase keeps its place in the run), train settings key by key, evaluations by target,
// events by trigger, and the checkpoint policy as a whole. Output order is canonical.
// CHECK-LABEL: module attributes {recipe.name = "ablation", recipe.path = "ablation.recipe"}
// CHECK-NEXT:    recipe.let @lr = 3.000000e-04 : f64
// CHECK-NEXT:    recipe.let @warm = 1.000000e+02 : f64
// CHECK-NEXT:    recipe.dataset @code = "shards" {paths = ["code/*.bin"]}
// CHECK-NEXT:    recipe.dataset @web = "shards" {paths = ["web2/*.bin"]}
// CHECK-NEXT:    recipe.model @net = "gpt2" {d_model = 6.400000e+01 : f64, heads = 4.000000e+00 : f64, layers = 2.000000e+00 : f64}
// CHECK-NEXT:    recipe.train {
// CHECK-NEXT:      recipe.setting "model" = @net
// CHECK-NEXT:      recipe.setting "seq_len" = 1.280000e+02 : f64
// CHECK-NEXT:      recipe.setting "batch" = 6.400000e+01 : f64
// CHECK-NEXT:    }
// CHECK-NEXT:    recipe.phase @learn for #recipe.qty<100 steps> {
// CHECK-NEXT:      recipe.rule record
// CHECK:         recipe.phase @focus for #recipe.qty<300 steps> {
// CHECK-NEXT:      recipe.rule focus when #recipe.cond<ppl gt p80>
// CHECK:         recipe.phase @cool for #recipe.qty<50 steps> {
// CHECK:         recipe.evaluate "ppl" on @web split "val" every #recipe.qty<10 steps>
// CHECK-NEXT:    recipe.checkpoint keep 1
// CHECK-NEXT:    recipe.event "nan" -> "stop"
// CHECK-NOT:     recipe.file
recipe.file "base.recipe" recipe "base" {
  recipe.let @lr = 6.0e-4
  recipe.let @warm = 100.0
  recipe.dataset @web = "shards" {paths = ["web/*.bin"]}
  recipe.dataset @code = "shards" {paths = ["code/*.bin"]}
  recipe.model @net = "gpt2" {layers = 2.0, d_model = 64.0, heads = 4.0}
  recipe.train {
    recipe.setting "model" = @net
    recipe.setting "seq_len" = 128.0
    recipe.setting "batch" = 32.0
  }
  recipe.phase @learn for #recipe.qty<100 steps> {
    recipe.rule record with {metric = "ppl", per = "block"}
  }
  recipe.phase @focus for #recipe.qty<200 steps> {
    recipe.rule focus when #recipe.cond<ppl gt p90>
  }
  recipe.phase @cool for #recipe.qty<50 steps> {
  }
  recipe.evaluate "ppl" on @web split "val" every #recipe.qty<500 steps>
  recipe.checkpoint every #recipe.qty<100 steps> keep 3
  recipe.event "nan" -> "rollback"
}
recipe.file "ablation.recipe" root recipe "ablation" extends "base.recipe" {
  recipe.let @lr = 3.0e-4
  recipe.dataset @web = "shards" {paths = ["web2/*.bin"]}
  recipe.train {
    recipe.setting "batch" = 64.0
  }
  recipe.phase @focus for #recipe.qty<300 steps> {
    recipe.rule focus when #recipe.cond<ppl gt p80>
  }
  recipe.evaluate "ppl" on @web split "val" every #recipe.qty<10 steps>
  recipe.checkpoint keep 1
  recipe.event "nan" -> "stop"
}

// -----

// `use`: named declarations come in; a local declaration shadows an imported one; the
// imported file's train block and phases do not come in; names are per kind.
// CHECK-LABEL: module attributes {recipe.path = "main.recipe"}
// CHECK-NEXT:    recipe.dataset @base = "shards" {paths = ["d/*.bin"]}
// CHECK-NEXT:    recipe.mixture @base {
// CHECK:         recipe.model @nano = "gpt2" {layers = 1.000000e+00 : f64}
// CHECK-NEXT:    recipe.model @small = "gpt2" {layers = 6.000000e+00 : f64}
// CHECK-NOT:     recipe.train
// CHECK-NOT:     recipe.phase @lib_phase
recipe.file "lib.recipe" {
  recipe.model @nano = "gpt2" {layers = 4.0}
  recipe.model @small = "gpt2" {layers = 6.0}
  recipe.dataset @base = "shards" {paths = ["d/*.bin"]}
  recipe.train {
    recipe.setting "seq_len" = 16.0
  }
  recipe.phase @lib_phase for #recipe.qty<1 steps> {
  }
}
recipe.file "main.recipe" root {
  recipe.import "lib.recipe"
  recipe.model @nano = "gpt2" {layers = 1.0}
  recipe.mixture @base {
    recipe.weight @base 1.0
  }
}

// -----

// Two imports that declare the same name are ambiguous.
recipe.file "a.recipe" {
  // expected-note @+1 {{and this one}}
  recipe.model @nano = "gpt2" {layers = 4.0}
}
recipe.file "b.recipe" {
  // expected-error @+1 {{`nano` is declared by two imports (model)}}
  recipe.model @nano = "gpt2" {layers = 2.0}
}
recipe.file "main.recipe" root {
  recipe.import "a.recipe"
  recipe.import "b.recipe"
}

// -----

recipe.file "a.recipe" {
  recipe.import "b.recipe"
}
recipe.file "b.recipe" {
  // expected-error @+1 {{import cycle: a.recipe -> b.recipe -> a.recipe}}
  recipe.import "a.recipe"
}
recipe.file "main.recipe" root {
  recipe.import "a.recipe"
}

// -----

recipe.file "main.recipe" root {
  // expected-error @+1 {{imported file `missing.recipe` is not in the module}}
  recipe.import "missing.recipe"
}

// -----

// expected-error @+1 {{no recipe.file is marked `root`}}
recipe.file "a.recipe" {
}

// -----

recipe.file "main.recipe" root {
  // expected-note @+1 {{first declared here}}
  recipe.phase @p for #recipe.qty<1 steps> {
  }
  // expected-error @+1 {{phase `p` is declared twice}}
  recipe.phase @p for #recipe.qty<2 steps> {
  }
}
