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


def test_service_bench_copies_embeddings_as_near_paraphrases():
    import numpy as np

    from vocengine.bench_service import _jitter

    rng = np.random.default_rng(0)
    original = rng.standard_normal((50, 384)).astype(np.float16)
    sentences = [{"embedding": v.tobytes()} for v in original] + [{"embedding": None}]
    _jitter(sentences, np.random.default_rng(1))
    assert sentences[-1]["embedding"] is None
    moved = np.stack([np.frombuffer(s["embedding"], dtype=np.float16) for s in sentences[:-1]]).astype(np.float32)
    before = original.astype(np.float32)
    norms = np.linalg.norm(before, axis=1)
    np.testing.assert_allclose(np.linalg.norm(moved, axis=1), norms, rtol=1e-2)
    cosines = (moved * before).sum(1) / (norms * np.linalg.norm(moved, axis=1))
    assert 0.9 < cosines.min() and cosines.max() < 0.99


def test_service_bench_table_lists_queries_and_report_jobs():
    from vocengine.bench_service import table

    text = table(
        {
            "queries": {"/v1/journey/gaps": {"p50_ms": 4.0, "p95_ms": 6.0}},
            "report_jobs": {
                "/v1/journey/gaps": {"sentences": 10, "groups": 1, "job_s": 0.2, "peak_rss_increase_mb": 3}
            },
        }
    )
    assert "| `/v1/journey/gaps` | 4.0 | 6.0 |" in text
    assert "| `/v1/journey/gaps` | 10 | 1 | 0.2 | 3 |" in text
