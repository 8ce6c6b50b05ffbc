// expand-presets: model chains become explicit models with all twelve fields.
// RUN: recipe-opt %s --split-input-file --expand-presets --verify-diagnostics | FileCheck %s

// The model's own overrides win over its preset's; gpt2 defaults fill the rest
// (d_ff = 4 d_model, kv_heads = heads, vocab 50257, tied embeddings).
// CHECK-LABEL: module
// CHECK:       recipe.model @nano = "gpt2" {ctx = 256 : i64, d_ff = 512 : i64, d_model = 128 : i64, dropout = 0.000000e+00 : f64, heads = 4 : i64, init_std = 2.000000e-02 : f64, kv_heads = 4 : i64, layers = 4 : i64, norm_eps = 1.000000e-05 : f64, rope_theta = 1.000000e+04 : f64, tie_embeddings = true, vocab = 50257 : i64} {resolved}
// CHECK:       recipe.model @net = "gpt2" {ctx = 256 : i64, d_ff = 256 : i64, d_model = 64 : i64, dropout = 1.000000e-01 : f64, heads = 4 : i64, init_std = 2.000000e-02 : f64, kv_heads = 4 : i64, layers = 2 : i64, norm_eps = 1.000000e-05 : f64, rope_theta = 1.000000e+04 : f64, tie_embeddings = true, vocab = 50257 : i64} {preset = "nano", resolved}
// A chain of two: the preset is the model based on the architecture.
// CHECK:       recipe.model @wide = "gpt2" {{{.*}}d_ff = 512 : i64, d_model = 128 : i64{{.*}}layers = 2 : i64{{.*}}} {preset = "nano", resolved}
recipe.model @nano = "gpt2" {layers = 4.0, d_model = 128.0, heads = 4.0, ctx = 256.0}
recipe.model @net = @nano {layers = 2.0, d_model = 64.0, dropout = 0.1}
recipe.model @wide = @net {d_model = 128.0}

// -----

// llama: d_ff = 256 ceil(8 d_model / 3 / 256), untied, vocab 32000, ctx 2048.
// CHECK-LABEL: module
// CHECK:       recipe.model @tiny = "llama" {ctx = 2048 : i64, d_ff = 5632 : i64, d_model = 2048 : i64, dropout = 0.000000e+00 : f64, heads = 32 : i64, init_std = 2.000000e-02 : f64, kv_heads = 4 : i64, layers = 22 : i64, norm_eps = 1.000000e-05 : f64, rope_theta = 1.000000e+04 : f64, tie_embeddings = false, vocab = 32000 : i64} {resolved}
recipe.model @tiny = "llama" {layers = 22.0, d_model = 2048.0, heads = 32.0, kv_heads = 4.0}

// -----

// expected-error @+1 {{model `a` is based on itself (a -> b -> a)}}
recipe.model @a = @b {layers = 1.0}
// expected-error @+1 {{model `b` is based on itself (b -> a -> b)}}
recipe.model @b = @a {layers = 2.0}

// -----

// expected-error @+1 {{model `m` is based on unknown model `nope`}}
recipe.model @m = @nope {layers = 1.0}

// -----

// expected-error @+1 {{model `m` does not say its `layers` (a gpt2 model needs layers, d_model and heads)}}
recipe.model @m = "gpt2" {d_model = 64.0, heads = 4.0}

// -----

// A base's heads that no longer divide the derived d_model: the verifier catches the
// explicit model.
recipe.model @base = "gpt2" {layers = 1.0, d_model = 64.0, heads = 4.0}
// expected-error @+1 {{model `odd`: 4 heads do not divide d_model 66}}
recipe.model @odd = @base {d_model = 66.0}
