module attributes {recipe.name = "llama3-cpt", recipe.path = "recipes/llama3-cpt.recipe"} {
  recipe.let @base = "runs/llama-base/model.safetensors"
  recipe.let @lr = 1.000000e-03 : f64
  recipe.let @stage1_chinese = 2.000000e+00 : f64
  recipe.let @stage1_english = 8.000000e+00 : f64
  recipe.let @stage2_chinese = 1.000000e+00 : f64
  recipe.let @stage2_english = 7.000000e+00 : f64
  recipe.let @stage2_synthetic = 2.000000e+00 : f64
  recipe.tokenizer @tok = "sentencepiece" {path = "data/llama/tokenizer.model"}
  recipe.dataset @books = "text" {field = "text", paths = ["data/corpus/english/train/*.jsonl"], tokenizer = @tok, val_paths = ["data/corpus/english/val/*.jsonl"]} split "val" 0.000000e+00
  recipe.dataset @code = "text" {field = "text", paths = ["data/corpus/code/train/*.jsonl"], tokenizer = @tok}
  recipe.dataset @encyclopedia = "text" {field = "text", paths = ["data/corpus/science/train/*.jsonl"], tokenizer = @tok}
  recipe.dataset @math = "text" {field = "text", paths = ["data/corpus/science/train/*.jsonl"], tokenizer = @tok}
  recipe.dataset @papers = "text" {field = "text", paths = ["data/corpus/science/train/*.jsonl"], tokenizer = @tok}
  recipe.dataset @qa = "text" {field = "text", paths = ["data/corpus/qa/train/*.jsonl"], tokenizer = @tok}
  recipe.dataset @web = "text" {field = "text", paths = ["data/corpus/news/train/*.jsonl"], tokenizer = @tok, val_paths = ["data/corpus/news/val/*.jsonl"]} split "val" 0.000000e+00
  recipe.dataset @zh = "text" {field = "text", paths = ["data/corpus/chinese/train/*.jsonl"], tokenizer = @tok, val_paths = ["data/corpus/chinese/val/*.jsonl"]} split "val" 0.000000e+00
  recipe.mixture @bilingual {
    recipe.weight @zh 2.000000e-01 : f64
    recipe.weight @web 3.200000e-01 : f64
    recipe.weight @encyclopedia 4.000000e-02 : f64
    recipe.weight @books 1.200000e-01 : f64
    recipe.weight @qa 4.000000e-02 : f64
    recipe.weight @papers 8.000000e-02 : f64
    recipe.weight @math 8.000000e-02 : f64
    recipe.weight @code 1.200000e-01 : f64
  }
  recipe.mixture @enhanced {
    recipe.weight @zh 1.000000e-01 : f64
    recipe.weight @web 2.800000e-01 : f64
    recipe.weight @encyclopedia 3.500000e-02 : f64
    recipe.weight @books 1.050000e-01 : f64
    recipe.weight @qa 2.350000e-01 : f64
    recipe.weight @papers 7.000000e-02 : f64
    recipe.weight @math 7.000000e-02 : f64
    recipe.weight @code 1.050000e-01 : f64
  }
  recipe.model @net = "llama" {ctx = 256 : i64, d_ff = 512 : i64, d_model = 128 : i64, dropout = 0.000000e+00 : f64, heads = 4 : i64, init_std = 2.000000e-02 : f64, kv_heads = 2 : i64, layers = 4 : i64, norm_eps = 1.000000e-05 : f64, rope_theta = 1.000000e+04 : f64, tie_embeddings = false, vocab = 32000 : i64} {preset = "llama_nano", resolved}
  recipe.train_config @net seq_len 128 batch 16 micro_batch 16 optimizer "adamw"(lr = 1.000000e-03, betas = (9.000000e-01, 0.94999999999999996), eps = 1.000000e-08, weight_decay = 1.000000e-01) grad_clip 1.000000e+00 schedule "wsd"(warmup = #recipe.qty<50 steps>, min_lr = 1.000000e-04, decay = #recipe.qty<20 percent = 80 steps>) precision "fp32" seed 1337 init_from "runs/llama-base/model.safetensors" total_steps 400
  recipe.phase @bilingual for #recipe.qty<200 steps> attributes {end_step = 200 : i64, start_step = 0 : i64} {
    recipe.rule mix @bilingual {
      recipe.weight @zh 2.000000e-01 : f64
      recipe.weight @web 3.200000e-01 : f64
      recipe.weight @encyclopedia 4.000000e-02 : f64
      recipe.weight @books 1.200000e-01 : f64
      recipe.weight @qa 4.000000e-02 : f64
      recipe.weight @papers 8.000000e-02 : f64
      recipe.weight @math 8.000000e-02 : f64
      recipe.weight @code 1.200000e-01 : f64
    }
    recipe.rule record with {metric = "ppl", per = "block"}
  }
  recipe.phase @enhanced for #recipe.qty<200 steps> attributes {end_step = 400 : i64, start_step = 200 : i64} {
    recipe.rule mix @enhanced {
      recipe.weight @zh 1.000000e-01 : f64
      recipe.weight @web 2.800000e-01 : f64
      recipe.weight @encyclopedia 3.500000e-02 : f64
      recipe.weight @books 1.050000e-01 : f64
      recipe.weight @qa 2.350000e-01 : f64
      recipe.weight @papers 7.000000e-02 : f64
      recipe.weight @math 7.000000e-02 : f64
      recipe.weight @code 1.050000e-01 : f64
    }
    recipe.rule order with {by = "ppl", direction = "ascending"}
  }
  recipe.evaluate "ppl" on @zh split "val" every #recipe.qty<100 steps>
  recipe.evaluate "ppl" on @books split "val" every #recipe.qty<100 steps>
  recipe.evaluate "ppl" on @web split "val" every #recipe.qty<100 steps>
  recipe.checkpoint every #recipe.qty<500 steps> keep 2
  recipe.event "nan" -> "rollback"
}

