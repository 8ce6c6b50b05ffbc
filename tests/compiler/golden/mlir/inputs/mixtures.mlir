module attributes {recipe.name = "mixtures", recipe.path = "tests/compiler/mlir/inputs/mixtures.recipe"} {
  recipe.tokenizer @sp = "bytes" {}
  recipe.dataset @books = "text" {paths = ["data/books/*.txt"], tokenizer = @sp}
  recipe.dataset @code = "shards" {paths = ["data/code/*.bin"]}
  recipe.dataset @synth = "shards" {paths = ["data/synth/*.bin"]}
  recipe.dataset @web = "text" {paths = ["data/web/*.txt"], tokenizer = @sp} split "val" 5.000000e-02
  recipe.dataset @zh = "text" {paths = ["data/zh/*.txt"], tokenizer = @sp} split "val" 5.000000e-02
  recipe.mixture @stage1 {
    recipe.weight @zh 2.000000e-01 : f64
    recipe.weight @web 0.45714285714300001 : f64
    recipe.weight @books 0.171428571429 : f64
    recipe.weight @code 0.171428571429 : f64
  }
  recipe.mixture @stage2 {
    recipe.weight @zh 1.000000e-01 : f64
    recipe.weight @web 4.000000e-01 : f64
    recipe.weight @books 1.500000e-01 : f64
    recipe.weight @code 1.500000e-01 : f64
    recipe.weight @synth 2.000000e-01 : f64
  }
  recipe.model @net = "llama" {ctx = 512 : i64, d_ff = 768 : i64, d_model = 256 : i64, dropout = 0.000000e+00 : f64, heads = 8 : i64, init_std = 1.000000e-02 : f64, kv_heads = 2 : i64, layers = 2 : i64, norm_eps = 1.000000e-05 : f64, rope_theta = 1.000000e+04 : f64, tie_embeddings = false, vocab = 32000 : i64} {preset = "llama_nano", resolved}
  recipe.train_config @net seq_len 256 batch 256 micro_batch 64 optimizer "adamw"(lr = 3.000000e-04, betas = (9.000000e-01, 0.94999999999999996), eps = 9.9999999999999995E-7, weight_decay = 1.000000e-01) grad_clip 1.000000e+00 schedule "wsd"(warmup = #recipe.qty<1000000 tokens = 16 steps>, min_lr = 3.000000e-05, decay = #recipe.qty<20 percent = 400 steps>) precision "bf16" seed 7 init_from "runs/base/model.safetensors" total_steps 2000
  recipe.phase @bilingual for #recipe.qty<64000000 tokens = 977 steps> attributes {end_step = 977 : i64, start_step = 0 : i64} {
    recipe.rule mix @stage1 {
      recipe.weight @zh 2.000000e-01 : f64
      recipe.weight @web 0.45714285714300001 : f64
      recipe.weight @books 0.171428571429 : f64
      recipe.weight @code 0.171428571429 : f64
    }
    recipe.rule record with {metric = "ppl", per = "block"}
  }
  recipe.phase @enhanced for #recipe.qty<25 percent = 500 steps> attributes {end_step = 1477 : i64, start_step = 977 : i64} {
    recipe.rule mix @stage2 {
      recipe.weight @zh 1.000000e-01 : f64
      recipe.weight @web 4.000000e-01 : f64
      recipe.weight @books 1.500000e-01 : f64
      recipe.weight @code 1.500000e-01 : f64
      recipe.weight @synth 2.000000e-01 : f64
    }
    recipe.rule order with {by = "ppl", direction = "ascending"}
  }
  recipe.phase @anneal until #recipe.qty<2000 steps> attributes {end_step = 2000 : i64, start_step = 1477 : i64} {
    recipe.rule mix {
      recipe.weight @web 2.000000e-01 : f64 -> 6.000000e-01 : f64
      recipe.weight @zh 8.000000e-01 : f64 -> 4.000000e-01 : f64
    }
    recipe.rule set when #recipe.cond<step gt 1900 steps> with {lr = 1.000000e-04 : f64}
    recipe.rule stop when #recipe.cond<val.ppl(web.val) lt 12.5>
  }
  recipe.evaluate "ppl" on @web split "val" every #recipe.qty<200 steps> limit 50
  recipe.evaluate "loss" on @zh split "val"
  recipe.checkpoint every #recipe.qty<500 steps>
  recipe.event "loss_spike" when #recipe.cond<loss gt 4 sigma> -> "skip"
  recipe.event "nan" -> "rollback"
}

