// Every op and attribute form prints back to the text it was parsed from, and the printed
// form parses again to the same text.
// RUN: recipe-opt %s | FileCheck %s
// RUN: recipe-opt %s | recipe-opt | FileCheck %s
// RUN: recipe-opt %s --mlir-print-op-generic | recipe-opt | FileCheck %s

// CHECK-LABEL: recipe.file "lib.recipe" {
recipe.file "lib.recipe" {
  // CHECK: recipe.model @nano = "gpt2" {d_model = 1.280000e+02 : f64, heads = 4.000000e+00 : f64, layers = 4.000000e+00 : f64}
  recipe.model @nano = "gpt2" {layers = 4.0, d_model = 128.0, heads = 4.0}
}
// CHECK: recipe.file "main.recipe" root recipe "demo" extends "base.recipe" {
recipe.file "main.recipe" root recipe "demo" extends "base.recipe" {
  // CHECK-NEXT: recipe.import "lib.recipe"
  recipe.import "lib.recipe"
  // CHECK-NEXT: recipe.let @lr = #recipe.const<@base_lr>
  recipe.let @lr = #recipe.const<@base_lr>
  // CHECK-NEXT: recipe.tokenizer @bytes = "bytes" {}
  recipe.tokenizer @bytes = "bytes" {}
  // CHECK-NEXT: recipe.dataset @web = "text" {field = "text", paths = ["a/*.jsonl"], tokenizer = @bytes} split "val" 2.500000e-02
  recipe.dataset @web = "text" {paths = ["a/*.jsonl"], tokenizer = @bytes, field = "text"} split "val" 0.025
  // CHECK-NEXT: recipe.model @net = @nano {tie_embeddings = false}
  recipe.model @net = @nano {tie_embeddings = false}
  // CHECK:      recipe.setting "batch" = #recipe.qty<65536 tokens>
  // CHECK-NEXT: recipe.setting "schedule" = #recipe.call<"wsd", {decay = #recipe.qty<10 percent>, min_lr = 1.000000e-05 : f64, warmup = #recipe.qty<500000000 tokens>}>
  recipe.train {
    recipe.setting "batch" = #recipe.qty<65536 tokens>
    recipe.setting "schedule" = #recipe.call<"wsd", {warmup = #recipe.qty<500000000 tokens>, decay = #recipe.qty<10 percent>, min_lr = 1.0e-05}>
  }
  // CHECK:      recipe.phase @a for #recipe.qty<64000 tokens = 250 steps> attributes {end_step = 250 : i64, start_step = 0 : i64} {
  // CHECK-NEXT:   recipe.rule focus when #recipe.cond<ppl gt p99.9> every #recipe.qty<1 epochs>
  // CHECK-NEXT:   recipe.rule stop when #recipe.cond<val.ppl(web.val) le 20.5>
  // CHECK-NEXT:   recipe.rule stop when #recipe.cond<step ge 10000 steps>
  // CHECK-NEXT:   recipe.rule stop when #recipe.cond<step ge 64000 tokens = 250 steps>
  // CHECK-NEXT:   recipe.rule stop when #recipe.cond<loss gt #recipe.const<@cap>>
  // CHECK-NEXT:   recipe.rule mix @base
  // CHECK-NEXT:   recipe.rule mix {
  // CHECK-NEXT:     recipe.weight @web 2.000000e-01 : f64 -> 6.000000e-01 : f64
  // CHECK-NEXT:   }
  // CHECK-NEXT:   recipe.rule subnet with {heads = 5.000000e-01 : f64, layers = 7.500000e-01 : f64}
  // CHECK-NEXT: }
  recipe.phase @a for #recipe.qty<64000 tokens = 250 steps> attributes {start_step = 0 : i64, end_step = 250 : i64} {
    recipe.rule focus when #recipe.cond<ppl gt p99.9> every #recipe.qty<1 epochs>
    recipe.rule stop when #recipe.cond<val.ppl(web.val) le 20.5>
    recipe.rule stop when #recipe.cond<step ge 10000 steps>
    recipe.rule stop when #recipe.cond<step ge 64000 tokens = 250 steps>
    recipe.rule stop when #recipe.cond<loss gt #recipe.const<@cap>>
    recipe.rule mix @base
    recipe.rule mix {
      recipe.weight @web 0.2 -> 0.6
    }
    recipe.rule subnet with {layers = 0.75, heads = 0.5}
  }
  // CHECK:      recipe.phase @b until #recipe.qty<30000 steps> {
  recipe.phase @b until #recipe.qty<30000 steps> {
  }
  // CHECK:      recipe.phase @c rest {
  recipe.phase @c rest {
  }
  // CHECK:      recipe.evaluate "loss" on @web split "val" every #recipe.qty<5 percent> limit 20
  recipe.evaluate "loss" on @web split "val" every #recipe.qty<5 percent> limit 20
  // CHECK-NEXT: recipe.checkpoint keep 0
  recipe.checkpoint keep 0
  // CHECK-NEXT: recipe.event "grad_spike" when #recipe.cond<grad_norm gt 3.5 sigma over 50 steps> -> "stop"
  recipe.event "grad_spike" when #recipe.cond<grad_norm gt 3.5 sigma over 50 steps> -> "stop"
}
// CHECK: recipe.override @lr = "text"
recipe.override @lr = "text"
// CHECK:      recipe.model @net = "gpt2" {d_model = 64 : i64} {preset = "nano"}
recipe.model @net = "gpt2" {d_model = 64} {preset = "nano"}
// CHECK-NEXT: recipe.train_config @net seq_len 256 batch 32 micro_batch 8 optimizer "adamw"(lr = 6.000000e-04, betas = (9.000000e-01, 0.94999999999999996), eps = 1.000000e-08, weight_decay = 1.000000e-01) grad_clip 0.000000e+00 schedule "wsd"(warmup = #recipe.qty<5 percent = 50 steps>, min_lr = 6.000000e-05, decay = #recipe.qty<100 steps>) precision "bf16" seed 7 init_from "w.safetensors" total_steps 1000
recipe.train_config @net seq_len 256 batch 32 micro_batch 8 optimizer "adamw"(lr = 6.0e-4, betas = (0.9, 0.95), eps = 1.0e-8, weight_decay = 0.1) grad_clip 0.0 schedule "wsd"(warmup = #recipe.qty<5 percent = 50 steps>, min_lr = 6.0e-5, decay = #recipe.qty<100 steps>) precision "bf16" seed 7 init_from "w.safetensors" total_steps 1000
