module attributes {recipe.name = "syne-rounds", recipe.path = "recipes/syne-rounds.recipe"} {
  recipe.let @rate = 1.000000e+00 : f64
  recipe.tokenizer @tok = "bytes" {}
  recipe.dataset @books = "text" {field = "text", paths = ["data/corpus/english/train/*.jsonl"], tokenizer = @tok, val_paths = ["data/corpus/english/val/*.jsonl"]} split "val" 0.000000e+00
  recipe.dataset @qa = "text" {field = "text", paths = ["data/corpus/qa/train/*.jsonl"], tokenizer = @tok}
  recipe.dataset @zh = "text" {field = "text", paths = ["data/corpus/chinese/train/*.jsonl"], tokenizer = @tok, val_paths = ["data/corpus/chinese/val/*.jsonl"]} split "val" 0.000000e+00
  recipe.mixture @enhanced {
    recipe.weight @zh 1.000000e-01 : f64
    recipe.weight @books 0.69999999999999996 : f64
    recipe.weight @qa 2.000000e-01 : f64
  }
  recipe.model @net = "llama" {ctx = 256 : i64, d_ff = 512 : i64, d_model = 128 : i64, dropout = 0.000000e+00 : f64, heads = 4 : i64, init_std = 2.000000e-02 : f64, kv_heads = 2 : i64, layers = 4 : i64, norm_eps = 1.000000e-05 : f64, rope_theta = 1.000000e+04 : f64, tie_embeddings = false, vocab = 257 : i64} {preset = "llama_nano", resolved}
  recipe.train_config @net seq_len 128 batch 16 micro_batch 16 optimizer "adamw"(lr = 1.000000e-03, betas = (9.000000e-01, 0.94999999999999996), eps = 1.000000e-08, weight_decay = 1.000000e-01) grad_clip 1.000000e+00 schedule "wsd"(warmup = #recipe.qty<30 steps>, min_lr = 1.000000e-04, decay = #recipe.qty<20 percent = 60 steps>) precision "fp32" seed 1337 total_steps 300
  recipe.phase @round1 for #recipe.qty<150 steps> attributes {end_step = 150 : i64, start_step = 0 : i64} {
    recipe.rule mix @enhanced {
      recipe.weight @zh 1.000000e-01 : f64
      recipe.weight @books 0.69999999999999996 : f64
      recipe.weight @qa 2.000000e-01 : f64
    }
    recipe.rule fresh
  }
  recipe.phase @round2 for #recipe.qty<150 steps> attributes {end_step = 300 : i64, start_step = 150 : i64} {
    recipe.rule mix @enhanced {
      recipe.weight @zh 1.000000e-01 : f64
      recipe.weight @books 0.69999999999999996 : f64
      recipe.weight @qa 2.000000e-01 : f64
    }
    recipe.rule fresh
    recipe.rule remix with {rate = 1.000000e+00 : f64, window = 2.000000e-01 : f64}
  }
  recipe.evaluate "ppl" on @zh split "val" every #recipe.qty<75 steps>
  recipe.evaluate "ppl" on @books split "val" every #recipe.qty<75 steps>
  recipe.checkpoint every #recipe.qty<150 steps> keep 1
  recipe.event "nan" -> "rollback"
}

