"""Themes from the stored sentence embeddings: pain points inside a touchpoint or stage, and the gaps in a
journey map (what the unassigned sentences are about, proposed as new touchpoints).

No encoder runs: the float16 embeddings written at scoring time are clustered. The recipe:

  1. normalise the embeddings (cosine geometry), reduce them with PCA to at most `PCA_DIMENSIONS`;
  2. HDBSCAN (`sklearn.cluster.HDBSCAN`) finds dense groups and leaves the rest as noise: no number of
     themes to choose, and sentences about nothing in particular are not forced into a theme;
  3. each group is kept only if it is tighter than chance, in the full space: its spread (1 - the mean cosine
     of its rows to their centroid) must be at most `MAX_SPREAD` of the spread of as many random stored
     sentences (any touchpoint, `corpus_sample`). A ratio, not a difference: encoders differ in how narrow
     a cone they put every sentence in (a random one's cosines are all above 0.9). So pure noise yields no
     theme (HDBSCAN alone finds a few small groups in large uniform noise), and a touchpoint that is all one
     complaint is one theme. A sentence then belongs to the nearest kept group it is close enough to
     (`MAX_ROW_SPREAD`), which drops stray rows HDBSCAN took in and takes in the edge of a group;
  4. each kept group is labelled by class-based TF-IDF (BERTopic's c-TF-IDF): word counts per group (the
     unclustered sentences as one more class), the term frequency in the group times log(1 + mean words per
     class / the word's count over every class), so a word common to every group ranks low.

Why not BERTopic itself: it would re-embed the texts (a model hub download) and pull umap-learn and numba;
the embeddings are stored already and scikit-learn has HDBSCAN and the vectorizer, which is all it adds here.
Every figure carries its n; nothing is clustered under the minimum volume, no theme is smaller than the
minimum theme size.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, Field
from sqlalchemy import Connection, func, select

from vocengine.insights.filters import InsightFilter, apply
from vocengine.journey.assign import TouchpointAssigner
from vocengine.journey.maps import ID_PATTERN, JourneyMap
from vocengine.model.labels import SENTIMENT_LABELS
from vocengine.store.tables import as_utc, sentence_result

Polarity = Literal["negative", "all"]
Floats = NDArray[np.float32]

PCA_DIMENSIONS = 15
MIN_SAMPLES = 5
MAX_SPREAD = 0.6
MAX_ROW_SPREAD = 0.8
NULL_DRAWS = 20
TOP_WORDS = 8
EXAMPLES = 3
PLACEHOLDER = re.compile(r"\[[A-Z_]+\]")  # what redaction leaves ([EMAIL], [NAME]): no theme is about it
RECIPE_THEMES = (
    "HDBSCAN over the normalised stored sentence embeddings (PCA to at most 15 dimensions); a cluster is kept when "
    "its spread (1 - mean cosine to its centroid) is at most 0.6 of that of as many random stored sentences; a "
    "sentence joins the nearest kept cluster it is close enough to; labels by class-based "
    "TF-IDF; trend: the theme's share of the selected sentences in the earlier and the later half of their dates"
)
RECIPE_GAPS = (
    "coverage: share of scored sentences with a touchpoint; proposals: the unassigned sentences clustered as themes "
    "are, each with the stage of the touchpoint prototype nearest its centroid"
)
sr = sentence_result.c


# -- clustering and labelling: pure functions --------------------------------------------------------------


def normalise(embeddings: NDArray[Any]) -> Floats:
    x = np.asarray(embeddings, dtype=np.float32)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    out: Floats = x / np.maximum(norms, 1e-12)
    return out


def corpus_sample(connection: Connection, sample: int = 5000) -> Floats | None:
    """The latest `sample` stored sentence embeddings (None with none): what a theme must be tighter than."""
    blobs = connection.execute(
        select(sr.embedding).where(sr.embedding.is_not(None)).order_by(sr.id.desc()).limit(sample)
    ).scalars()
    vectors = [np.frombuffer(blob, dtype=np.float16) for blob in blobs]
    return np.stack(vectors).astype(np.float32) if vectors else None


def cohesion(unit: Floats) -> float:
    """Mean cosine similarity of unit vectors to their normalised centroid (1: all alike)."""
    centroid = unit.mean(0)
    norm = float(np.linalg.norm(centroid))
    return 0.0 if norm == 0 else float((unit @ (centroid / norm)).mean())


def cluster(
    embeddings: NDArray[Any],
    min_size: int,
    *,
    corpus: NDArray[Any] | None = None,
    max_spread: float = MAX_SPREAD,
    seed: int = 0,
) -> NDArray[np.int64]:
    """A cluster number per row (0, 1, ... largest first), -1 for noise: HDBSCAN's dense groups of at least
    `min_size` rows whose spread is at most `max_spread` of that of as many random rows of `corpus` (a sample
    of every stored sentence, `corpus_sample`; without one, of `embeddings` themselves)."""
    from sklearn.cluster import HDBSCAN
    from sklearn.decomposition import PCA

    n = len(embeddings)
    labels = np.full(n, -1, dtype=np.int64)
    if n < max(2 * min_size, MIN_SAMPLES + 1):
        return labels
    unit = normalise(embeddings)
    reference = unit if corpus is None or len(corpus) == 0 else normalise(corpus)
    dims = min(PCA_DIMENSIONS, unit.shape[1], n - 1)
    reduced = PCA(n_components=dims, random_state=seed).fit_transform(unit) if dims < unit.shape[1] else unit
    rng = np.random.default_rng(seed)
    centroids: list[Floats] = []
    bounds: list[float] = []
    # HDBSCAN never calls everything one group unless allowed to, and allowed to it merges groups: so one group
    # and some noise, common in a small selection, is looked for only where no groups were found.
    for single in (False, True):
        found = HDBSCAN(
            min_cluster_size=min_size, min_samples=min(MIN_SAMPLES, min_size), allow_single_cluster=single, copy=True
        ).fit_predict(reduced)
        for label in sorted(set(found.tolist()) - {-1}):
            members = np.flatnonzero(found == label)
            size, pool = len(members), len(reference)
            draws = [cohesion(reference[rng.choice(pool, size, replace=size > pool)]) for _ in range(NULL_DRAWS)]
            chance = 1 - float(np.mean(draws))  # the spread of random sentences
            if 1 - cohesion(unit[members]) <= max_spread * chance:
                centroid = unit[members].mean(0)
                centroids.append(centroid / np.linalg.norm(centroid))
                bounds.append(1 - MAX_ROW_SPREAD * chance)
        if centroids:
            break
    if not centroids:
        return labels
    # HDBSCAN's dense cores are the seeds. A row belongs to the nearest seed it is close enough to: this drops
    # stray rows taken in at a core's edge (closer in the reduced space than in the full one) and takes in the
    # rows of a group that HDBSCAN left as noise around its core.
    margin = unit @ np.stack(centroids).T - np.array(bounds)
    best = margin.argmax(1)
    member = margin[np.arange(n), best] >= 0
    sizes = np.bincount(best[member], minlength=len(centroids))
    order = [k for k in np.argsort(-sizes, kind="stable") if sizes[k] >= min_size]
    for number, k in enumerate(order):
        labels[member & (best == k)] = number
    return labels


def class_tfidf(documents: Sequence[str], top: int = TOP_WORDS) -> list[list[str]]:
    """Per class (one document: the class's sentences joined), its most distinctive words by c-TF-IDF:
    tf(word, class) x log(1 + mean words per class / count of the word over all classes)."""
    from sklearn.feature_extraction.text import CountVectorizer

    cleaned = [PLACEHOLDER.sub(" ", doc) for doc in documents]
    try:
        counts = CountVectorizer(stop_words="english", token_pattern=r"(?u)\b[a-zA-Z][a-zA-Z]+\b").fit(cleaned)
    except ValueError:  # nothing but stop words
        return [[] for _ in documents]
    matrix = counts.transform(cleaned).toarray().astype(np.float64)
    words = counts.get_feature_names_out()
    per_class = matrix.sum(1, keepdims=True)
    tf = matrix / np.maximum(per_class, 1)
    idf = np.log(1 + per_class.mean() / np.maximum(matrix.sum(0), 1))
    weights = tf * idf
    out = []
    for row, present in zip(weights, matrix > 0, strict=True):
        order = [i for i in np.argsort(-row, kind="stable") if present[i]]
        out.append([str(words[i]) for i in order[:top]])
    return out


# -- the reports --------------------------------------------------------------------------------------------


class Example(BaseModel):
    response_id: int
    text: str = Field(description="redacted, as stored")


class Share(BaseModel):
    n: int = Field(description="the theme's sentences in this half")
    of: int = Field(description="the selected sentences in this half")
    share: float | None = Field(description="n / of, null when of is 0")


class WeekCount(BaseModel):
    week: str = Field(description="the Monday the week starts on")
    n: int


class Trend(BaseModel):
    earlier: Share
    later: Share
    weekly: list[WeekCount]


class Theme(BaseModel):
    id: int
    label: str = Field(description="its three most distinctive words")
    words: list[str] = Field(description="its most distinctive words by c-TF-IDF, best first")
    n: int = Field(description="sentences")
    comments: int
    share: float = Field(description="n / the sentences clustered")
    sentiment: dict[str, int] = Field(description="sentences per sentiment label")
    net_sentiment: float = Field(description="% positive - % negative sentences, over n")
    cohesion: float = Field(description="mean cosine similarity of its sentences to their centroid")
    trend: Trend
    examples: list[Example] = Field(description="the sentences closest to its centroid")


class ThemesReport(BaseModel):
    kind: Literal["themes"] = "themes"
    recipe: str = RECIPE_THEMES
    map_version_id: int
    polarity: Polarity
    filters: dict[str, Any]
    n: int = Field(description="sentences selected (with a stored embedding)")
    comments: int
    min_volume: int
    min_theme_size: int
    clustered: bool = Field(description="false under the minimum volume: nothing is claimed")
    unthemed: int = Field(description="selected sentences in no theme")
    themes: list[Theme]
    computed_at: datetime


class CoverageRow(BaseModel):
    key: str
    n: int = Field(description="scored sentences")
    assigned: int
    share: float | None = Field(description="assigned / n")


class Coverage(BaseModel):
    n: int
    assigned: int
    share: float | None
    by_source: list[CoverageRow]
    by_week: list[CoverageRow] = Field(description="key: the Monday the week starts on")
    by_stage: list[CoverageRow] = Field(
        description="n: sentences of the stage plus the unassigned ones whose nearest touchpoint is in it"
    )


class Proposal(BaseModel):
    id: str = Field(description="the suggested touchpoint id; POST /v1/journey/gaps/{id}/adopt adds it")
    name: str
    description: str
    stage: str = Field(description="the stage it most likely belongs to")
    nearest_touchpoint: str = Field(description="the existing touchpoint whose prototypes are closest")
    similarity: float = Field(description="cosine similarity of its centroid to that touchpoint")
    same_comment_stages: dict[str, int] = Field(
        description="stages of the assigned sentences in the same comments, with counts"
    )
    words: list[str]
    n: int
    comments: int
    net_sentiment: float
    cohesion: float
    examples: list[Example]


class GapsReport(BaseModel):
    kind: Literal["gaps"] = "gaps"
    recipe: str = RECIPE_GAPS
    map_version_id: int
    filters: dict[str, Any]
    coverage: Coverage
    unassigned: int = Field(description="unassigned sentences with a stored embedding")
    min_volume: int
    min_theme_size: int
    clustered: bool
    proposals: list[Proposal]
    computed_at: datetime


@dataclass(frozen=True)
class Rows:
    """Selected sentences, in id order."""

    response_id: NDArray[np.int64]
    text: list[str]
    sentiment: list[str]
    occurred_at: list[datetime]
    embeddings: Floats


def read_sentences(connection: Connection, f: InsightFilter, *, negative_only: bool, unassigned: bool) -> Rows:
    query = apply(
        select(sr.response_id, sr.text, sr.sentiment, sr.occurred_at, sr.embedding).where(sr.embedding.is_not(None)),
        f,
    )
    if negative_only:
        query = query.where(sr.sentiment == "negative")
    if unassigned:
        query = query.where(sr.touchpoint.is_(None))
    rows = connection.execute(query.order_by(sr.id)).all()
    embeddings = (
        np.stack([np.frombuffer(r.embedding, dtype=np.float16) for r in rows]).astype(np.float32)
        if rows
        else np.zeros((0, 1), dtype=np.float32)
    )
    return Rows(
        response_id=np.array([r.response_id for r in rows], dtype=np.int64),
        text=[r.text for r in rows],
        sentiment=[r.sentiment for r in rows],
        occurred_at=[as_utc(r.occurred_at) or r.occurred_at for r in rows],
        embeddings=embeddings,
    )


def _monday(value: datetime) -> str:
    day = value.astimezone(UTC).date()
    return (day - timedelta(days=day.weekday())).isoformat()


def _net(sentiments: Sequence[str]) -> tuple[dict[str, int], float]:
    counts = Counter(sentiments)
    n = max(len(sentiments), 1)
    return {label: counts.get(label, 0) for label in SENTIMENT_LABELS}, round(
        100.0 * (counts.get("positive", 0) - counts.get("negative", 0)) / n, 1
    )


def _examples(rows: Rows, members: NDArray[np.intp], unit: Floats, count: int = EXAMPLES) -> list[Example]:
    centroid = unit[members].mean(0)
    order = members[np.argsort(-(unit[members] @ centroid), kind="stable")]
    seen: set[str] = set()
    out = []
    for i in order:
        if rows.text[i] not in seen:
            seen.add(rows.text[i])
            out.append(Example(response_id=int(rows.response_id[i]), text=rows.text[i]))
        if len(out) == count:
            break
    return out


def _trend(rows: Rows, members: NDArray[np.intp]) -> Trend:
    stamps = np.array([t.timestamp() for t in rows.occurred_at])
    middle = (stamps.min() + stamps.max()) / 2
    later_all = stamps > middle
    mine = np.zeros(len(stamps), dtype=bool)
    mine[members] = True

    def share(half: NDArray[np.bool_]) -> Share:
        n, of = int((mine & half).sum()), int(half.sum())
        return Share(n=n, of=of, share=round(n / of, 4) if of else None)

    weeks = Counter(_monday(rows.occurred_at[i]) for i in members)
    return Trend(
        earlier=share(~later_all),
        later=share(later_all),
        weekly=[WeekCount(week=w, n=n) for w, n in sorted(weeks.items())],
    )


def _groups(rows: Rows, min_size: int, corpus: Floats | None) -> tuple[Floats, list[NDArray[np.intp]], list[list[str]]]:
    """Unit embeddings, each kept cluster's rows, and each cluster's distinctive words."""
    unit = normalise(rows.embeddings)
    labels = cluster(rows.embeddings, min_size, corpus=corpus)
    groups = [np.flatnonzero(labels == k) for k in range(int(labels.max()) + 1)] if len(labels) else []
    if not groups:
        return unit, [], []
    documents = [" ".join(rows.text[i] for i in members) for members in groups]
    documents.append(" ".join(rows.text[i] for i in np.flatnonzero(labels < 0)))
    return unit, groups, class_tfidf(documents)[: len(groups)]


def themes_report(
    connection: Connection,
    f: InsightFilter,
    polarity: Polarity,
    map_version_id: int,
    *,
    min_volume: int,
    min_theme_size: int,
) -> ThemesReport:
    rows = read_sentences(connection, f, negative_only=polarity == "negative", unassigned=False)
    n = len(rows.text)
    clustered = n >= min_volume
    corpus = corpus_sample(connection)
    unit, groups, words = _groups(rows, min_theme_size, corpus) if clustered else (rows.embeddings, [], [])
    themes = []
    for number, (members, top) in enumerate(zip(groups, words, strict=True)):
        counts, net = _net([rows.sentiment[i] for i in members])
        themes.append(
            Theme(
                id=number, label=", ".join(top[:3]) or f"theme {number}", words=top, n=len(members),
                comments=len(set(rows.response_id[members].tolist())), share=round(len(members) / n, 4),
                sentiment=counts, net_sentiment=net, cohesion=round(cohesion(unit[members]), 4),
                trend=_trend(rows, members), examples=_examples(rows, members, unit),
            )
        )  # fmt: skip
    return ThemesReport(
        map_version_id=map_version_id, polarity=polarity, filters=f.model_dump(mode="json", exclude_defaults=True),
        n=n, comments=len(set(rows.response_id.tolist())), min_volume=min_volume, min_theme_size=min_theme_size,
        clustered=clustered, unthemed=n - sum(t.n for t in themes), themes=themes, computed_at=datetime.now(UTC),
    )  # fmt: skip


def _row(key: str, n: int, assigned: int) -> CoverageRow:
    return CoverageRow(key=key, n=n, assigned=assigned, share=round(assigned / n, 4) if n else None)


def _coverage(connection: Connection, f: InsightFilter, likely_stage: Counter[str]) -> Coverage:
    assigned_flag = sr.touchpoint.is_not(None)
    rows = connection.execute(
        apply(select(sr.source, sr.stage, sr.occurred_at, assigned_flag.label("assigned")), f)
    ).all()
    by: dict[str, Counter[str]] = {"source": Counter(), "week": Counter(), "stage": Counter()}
    hit: dict[str, Counter[str]] = {"source": Counter(), "week": Counter(), "stage": Counter()}
    for r in rows:
        week = _monday(as_utc(r.occurred_at) or r.occurred_at)
        for name, key in (("source", r.source), ("week", week)):
            by[name][key] += 1
            hit[name][key] += bool(r.assigned)
        if r.assigned and r.stage is not None:
            by["stage"][r.stage] += 1
            hit["stage"][r.stage] += 1
    for stage, count in likely_stage.items():
        by["stage"][stage] += count
    n, assigned = len(rows), sum(hit["source"].values())
    return Coverage(
        n=n, assigned=assigned, share=round(assigned / n, 4) if n else None,
        **{f"by_{name}": [_row(k, v, hit[name][k]) for k, v in sorted(by[name].items())] for name in by},
    )  # fmt: skip


def _slug(words: Sequence[str], taken: set[str]) -> str:
    parts = [w for w in (re.sub(r"[^a-z0-9]", "", w.lower()) for w in words[:2]) if w]
    base = "_".join(parts)[:50] if parts else "proposed"
    base = base if re.match(ID_PATTERN, base) else f"t_{base}"
    candidate, suffix = base, 2
    while candidate in taken:
        candidate, suffix = f"{base}_{suffix}", suffix + 1
    taken.add(candidate)
    return candidate


def gaps_report(
    connection: Connection,
    f: InsightFilter,
    journey: JourneyMap,
    assigner: TouchpointAssigner,
    map_version_id: int,
    *,
    min_volume: int,
    min_theme_size: int,
) -> GapsReport:
    rows = read_sentences(connection, f, negative_only=False, unassigned=True)
    n = len(rows.text)
    pairs = journey.touchpoints()
    nearest = assigner.similarities(normalise(rows.embeddings)).argmax(1) if n else np.zeros(0, dtype=np.int64)
    likely = Counter(pairs[int(t)][0].id for t in nearest)
    coverage = _coverage(connection, f, likely)
    clustered = n >= min_volume
    corpus = corpus_sample(connection)
    unit, groups, words = _groups(rows, min_theme_size, corpus) if clustered else (rows.embeddings, [], [])
    taken = {tp.id for _, tp in pairs}
    proposals = []
    for members, top in zip(groups, words, strict=True):
        centroid = unit[members].mean(0)
        centroid /= max(float(np.linalg.norm(centroid)), 1e-12)
        similarities = assigner.similarities(centroid[None, :])[0]
        best = int(similarities.argmax())
        stage, touchpoint = pairs[best]
        counts, net = _net([rows.sentiment[i] for i in members])
        name = " ".join(top[:3]).capitalize() or "Proposed touchpoint"
        proposals.append(
            Proposal(
                id=_slug(top, taken), name=name,
                description=f"Feedback about {', '.join(top[:6]) or 'this theme'} ({len(members)} sentences no "
                "touchpoint took).",
                stage=stage.id, nearest_touchpoint=touchpoint.id, similarity=round(float(similarities[best]), 4),
                same_comment_stages=_same_comment_stages(connection, rows.response_id[members]),
                words=top, n=len(members), comments=len(set(rows.response_id[members].tolist())),
                net_sentiment=net, cohesion=round(cohesion(unit[members]), 4),
                examples=_examples(rows, members, unit, count=5),
            )
        )  # fmt: skip
    return GapsReport(
        map_version_id=map_version_id, filters=f.model_dump(mode="json", exclude_defaults=True), coverage=coverage,
        unassigned=n, min_volume=min_volume, min_theme_size=min_theme_size, clustered=clustered,
        proposals=proposals, computed_at=datetime.now(UTC),
    )  # fmt: skip


def _same_comment_stages(connection: Connection, response_ids: NDArray[np.int64]) -> dict[str, int]:
    ids = sorted(set(response_ids.tolist()))
    found: Counter[str] = Counter()
    for start in range(0, len(ids), 1000):
        for stage, count in connection.execute(
            select(sr.stage, func.count())
            .where(sr.response_id.in_(ids[start : start + 1000]), sr.stage.is_not(None))
            .group_by(sr.stage)
        ):
            found[stage] += int(count)
    return dict(found.most_common())


def with_proposal(journey: JourneyMap, proposal: Proposal) -> JourneyMap:
    """`journey` with the proposed touchpoint added at the end of its stage (its examples are the
    proposal's example sentences, so the assigner has prototypes in the customers' words)."""
    data = journey.model_dump(mode="json", exclude_none=True)
    stage = next((s for s in data["stages"] if s["id"] == proposal.stage), data["stages"][-1])
    stage["touchpoints"].append(
        {"id": proposal.id, "name": proposal.name[:200], "description": proposal.description[:2000],
         "examples": [e.text for e in proposal.examples if e.text.strip()]}
    )  # fmt: skip
    return JourneyMap.model_validate(data)
