"""The benchmark's mechanics (not its timings: those are measured by `vocengine bench`, never asserted)."""

from vocengine.bench import generate_corpus, run_benchmark


def test_corpus_is_fixed_and_typical():
    corpus = generate_corpus(300)
    assert corpus == generate_corpus(300)
    sentences = [c.count(".") for c in corpus]
    assert min(sentences) == 1 and max(sentences) == 3


def test_benchmark_reports_one_encoder_pass_per_sentence_and_the_naive_four(default_analyzer, tmp_path):
    figures = run_benchmark(comments=40, latency_samples=5, naive_comments=5, out=tmp_path / "bench.json")
    assert figures["engine"]["encoder_passes_per_sentence"] == 1.0
    assert figures["naive"]["encoder_passes_per_sentence"] == 4.0
    assert figures["engine"]["sentences"] >= 40
    assert (tmp_path / "bench.json").is_file()
